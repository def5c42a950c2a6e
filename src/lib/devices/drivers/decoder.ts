// The shape shared by every pure device decoder: bytes (serial) or one BLE notification in,
// decoded frames per stream out, with continuous sample indices and counters of what went wrong.
// Runs in the io worker, the page (BLE) and Node (CLI, tests). Decoders never throw out of `push`
// on bad input: they resynchronise, count, and go on. No I/O, no clock reads here.

/** Frames of one stream decoded from one or more packets. */
export interface DecodedBlock {
  /** Full stream id, e.g. "openbci-cyton.eeg". */
  streamId: string;
  /** Continuous index of the first frame since the decoder was created, lost frames included. */
  sampleIndex: number;
  frames: number;
  channelCount: number;
  /** Frame-major float32 values (physical units of the stream descriptor). */
  samples: Float32Array;
  /** Frames lost immediately before this block (detected from the device's counters). */
  lostBefore: number;
  /** Device time of the first frame in ms, when the device sends one (Cyton 0xC3–0xC6, Athena). */
  deviceTimeMs?: number;
}

/** Totals a decoder keeps; all counts since creation (or `reset`). */
export interface DecoderCounters {
  /** Packets (or notifications, or text lines) decoded successfully. */
  packets: number;
  /** Bytes thrown away while searching for the next packet boundary. */
  bytesDiscarded: number;
  /** Times the decoder lost framing and searched for a new packet start. */
  resyncs: number;
  /** Well-framed packets of a type the decoder does not know (counted, skipped). */
  unknownPackets: number;
  /** Packets that were framed but could not be decoded (wrong length, bad field). */
  malformedPackets: number;
  /** Gaps seen in the device's sample counters (one per discontinuity). */
  gaps: number;
  /** Frames lost in those gaps, summed over streams. */
  lostFrames: number;
}

export function emptyCounters(): DecoderCounters {
  return { packets: 0, bytesDiscarded: 0, resyncs: 0, unknownPackets: 0, malformedPackets: 0, gaps: 0, lostFrames: 0 };
}

/** Input shape: a serial byte stream, or BLE notifications tagged with their characteristic. */
export type DecoderInput = 'bytes' | 'notifications';

export interface DeviceDecoder {
  readonly deviceId: string;
  readonly input: DecoderInput;
  readonly counters: DecoderCounters;
  /**
   * Decode the next chunk. Serial decoders take any slice of the byte stream (packets may span
   * calls); BLE decoders take exactly one notification payload and its characteristic UUID.
   * Hot path: called per chunk/notification in the acquisition loop.
   */
  push(payload: Uint8Array, characteristicUuid?: string): DecodedBlock[];
  /** End of input: decode whatever complete packet is still held back (serial lookahead). */
  flush(): DecodedBlock[];
  /**
   * Channel labels of a block when a packet type carries a subset of the descriptor's channels
   * (e.g. 4- vs 8-channel Athena EEG); undefined = the descriptor's labels in order.
   */
  labelsFor?(streamId: string, channelCount: number): string[] | undefined;
}

/** Lowercase a UUID for comparison; Web Bluetooth and captures may differ in case. */
export function normalizeUuid(uuid: string): string {
  return uuid.trim().toLowerCase();
}
