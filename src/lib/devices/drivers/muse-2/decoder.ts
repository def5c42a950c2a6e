// Pure decoder for the classic Muse BLE protocol (Muse 2016, Muse 2, Muse S): one notification
// at a time, tagged with its characteristic UUID; EEG/PPG channels arrive on separate
// characteristics and are grouped by their uint16 sequence number. Runs in the page (Web
// Bluetooth) and Node. Never throws from `push`. Hot path: per notification, small allocations only.
//
// Layouts (DEVICES.md §3.1; muse-js muse-parse.ts; BrainFlow muse.cpp), all big-endian:
//   EEG   [0..1] seq, 12 × 12-bit unsigned (two per 3 bytes); µV = (n − 2048) × 125/256
//   ACC   [0..1] seq, 3 × (x,y,z) int16 at 2, 8, 14; g = n × 0.0000610352
//   GYRO  same layout; °/s = n × 0.0074768
//   PPG   [0..1] seq, 6 × 24-bit; muse-js reads UNSIGNED, BrainFlow signed (cast_24bit_to_int32).
//         We follow muse-js: these are photodiode intensities, and reading the MSB as a sign turns
//         bright readings into large negative numbers.
//   TELEM [0..1] seq, battery uint16/512 %, fuel gauge uint16 × 2.2 mV, [6..7] ?, temperature @8
//   CTRL  [0] count of valid bytes, then ASCII; JSON objects split across notifications.
import { CounterTracker } from '../../timing/counter-tracker.ts';
import { BlockCollector } from '../block-collector.ts';
import { emptyCounters, normalizeUuid, type DecodedBlock, type DecoderCounters, type DeviceDecoder } from '../decoder.ts';
import { MUSE_CHARACTERISTICS } from './descriptor.ts';

export const MUSE_EEG_UV_PER_COUNT = 125 / 256; // 0.48828125
export const MUSE_ACCEL_G_PER_COUNT = 0.0000610352;
export const MUSE_GYRO_DPS_PER_COUNT = 0.0074768;

/** 12-bit unsigned samples, two per three bytes (muse-js decodeUnsigned12BitData). */
export function decodeUnsigned12Bit(b: Uint8Array, start: number, count: number, out: Float64Array): void {
  for (let i = 0, o = start; i < count; i += 2, o += 3) {
    out[i] = (b[o] << 4) | (b[o + 1] >> 4);
    if (i + 1 < count) out[i + 1] = ((b[o + 1] & 0x0f) << 8) | b[o + 2];
  }
}

/** 24-bit unsigned big-endian samples (muse-js decodeUnsigned24BitData). */
export function decodeUnsigned24Bit(b: Uint8Array, start: number, count: number, out: Float64Array): void {
  for (let i = 0, o = start; i < count; i++, o += 3) out[i] = b[o] * 65536 + (b[o + 1] << 8) + b[o + 2];
}

/** Encode a control command: [length incl. newline, ASCII…, 0x0A] (muse-js encodeCommand). */
export function encodeMuseCommand(cmd: string): Uint8Array {
  const out = new Uint8Array(cmd.length + 2);
  out[0] = cmd.length + 1;
  for (let i = 0; i < cmd.length; i++) out[1 + i] = cmd.charCodeAt(i) & 0x7f;
  out[cmd.length + 1] = 0x0a;
  return out;
}

function seqNewer(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000;
}

interface PendingSeq {
  seq: number;
  mask: number;
  data: Float64Array;
}

/**
 * Groups per-channel notifications that share a sequence number into frames. A sequence is
 * emitted when all expected channels arrived, or — with NaN for the missing channels — once a
 * sequence two steps newer has started (a lost notification must not stall the stream). Then the
 * sequence goes through a gap tracker so lost sequences become counted gaps.
 */
export class SequenceGrouper {
  private pending: PendingSeq[] = [];
  private readonly tracker: CounterTracker;
  private readonly fullMask: number;
  private newest = -1;
  private lastEmitted = -1;

  constructor(
    readonly streamId: string,
    readonly channelCount: number,
    readonly framesPerSeq: number,
    private readonly collector: BlockCollector,
    private readonly counters: DecoderCounters,
  ) {
    this.fullMask = (1 << channelCount) - 1;
    this.tracker = new CounterTracker(65536, framesPerSeq, 256);
  }

  /** Channel `ch` of sequence `seq`: `values` holds `framesPerSeq` samples. */
  add(seq: number, ch: number, values: Float64Array): void {
    let p = this.pending.find((x) => x.seq === seq);
    if (!p) {
      if (this.lastEmitted >= 0 && !seqNewer(seq, this.lastEmitted)) {
        this.counters.malformedPackets++; // late: its sequence was already emitted
        return;
      }
      p = { seq, mask: 0, data: new Float64Array(this.framesPerSeq * this.channelCount).fill(NaN) };
      this.pending.push(p);
      this.pending.sort((a, b) => (seqNewer(a.seq, b.seq) ? 1 : -1));
      if (this.newest < 0 || seqNewer(seq, this.newest)) this.newest = seq;
    }
    for (let f = 0; f < this.framesPerSeq; f++) p.data[f * this.channelCount + ch] = values[f];
    p.mask |= 1 << ch;
    if (p.mask === this.fullMask) {
      // Emit everything up to and including this sequence, in order.
      while (this.pending.length > 0) {
        const q = this.pending[0];
        if (seqNewer(q.seq, seq)) break;
        this.emit(this.pending.shift() as PendingSeq);
      }
    }
    while (this.pending.length > 0 && ((this.newest - this.pending[0].seq) & 0xffff) >= 2) this.emit(this.pending.shift() as PendingSeq);
  }

  flush(): void {
    while (this.pending.length > 0) this.emit(this.pending.shift() as PendingSeq);
  }

  private emit(p: PendingSeq): void {
    this.lastEmitted = p.seq;
    const step = this.tracker.next(p.seq);
    if (step.duplicate) {
      this.counters.malformedPackets++;
      return;
    }
    if (step.lostFrames > 0) {
      this.counters.gaps++;
      this.counters.lostFrames += step.lostFrames;
    }
    this.collector.frames(this.streamId, this.channelCount, step.sampleIndex, step.lostFrames, p.data, this.framesPerSeq);
  }
}

export interface MuseDecoderOptions {
  /** 4 (presets p21/p51, default) or 5 (p20/p50: the right AUX electrode too). */
  eegChannels?: 4 | 5;
  /** PPG characteristics to expect (BrainFlow notes only 2 of 3 stream on some units); default 3. */
  ppgChannels?: 2 | 3;
}

const EEG_CHARS = [MUSE_CHARACTERISTICS.eeg_tp9, MUSE_CHARACTERISTICS.eeg_af7, MUSE_CHARACTERISTICS.eeg_af8, MUSE_CHARACTERISTICS.eeg_tp10, MUSE_CHARACTERISTICS.eeg_aux];
const PPG_CHARS = [MUSE_CHARACTERISTICS.ppg_1, MUSE_CHARACTERISTICS.ppg_2, MUSE_CHARACTERISTICS.ppg_3];

export class MuseClassicDecoder implements DeviceDecoder {
  readonly input = 'notifications' as const;
  readonly counters = emptyCounters();
  /** Parsed JSON responses from the control characteristic (status, device info, rc). */
  readonly controlResponses: Record<string, unknown>[] = [];
  private readonly collector = new BlockCollector();
  private readonly eeg: SequenceGrouper;
  private readonly ppg: SequenceGrouper;
  private readonly accel: CounterTracker = new CounterTracker(65536, 3, 256);
  private readonly gyro: CounterTracker = new CounterTracker(65536, 3, 256);
  private readonly telemetry: CounterTracker = new CounterTracker(65536, 1, 256);
  private readonly eegChannels: number;
  private readonly tmp12 = new Float64Array(12);
  private readonly tmp9 = new Float64Array(9);
  private readonly tmp3 = new Float64Array(3);
  private control = '';

  constructor(
    readonly deviceId: string,
    opts: MuseDecoderOptions = {},
  ) {
    this.eegChannels = opts.eegChannels ?? 4;
    this.eeg = new SequenceGrouper(`${deviceId}.eeg`, this.eegChannels, 12, this.collector, this.counters);
    this.ppg = new SequenceGrouper(`${deviceId}.ppg`, opts.ppgChannels ?? 3, 6, this.collector, this.counters);
  }

  push(payload: Uint8Array, characteristicUuid = ''): DecodedBlock[] {
    const uuid = normalizeUuid(characteristicUuid);
    const eegCh = EEG_CHARS.indexOf(uuid as (typeof EEG_CHARS)[number]);
    const ppgCh = PPG_CHARS.indexOf(uuid as (typeof PPG_CHARS)[number]);
    if (uuid === MUSE_CHARACTERISTICS.control) {
      this.controlPacket(payload);
    } else if (payload.length < 20) {
      this.counters.malformedPackets++;
    } else if (eegCh >= 0) {
      if (eegCh >= this.eegChannels) {
        this.counters.unknownPackets++;
      } else {
        this.counters.packets++;
        decodeUnsigned12Bit(payload, 2, 12, this.tmp12);
        for (let i = 0; i < 12; i++) this.tmp12[i] = (this.tmp12[i] - 2048) * MUSE_EEG_UV_PER_COUNT;
        this.eeg.add((payload[0] << 8) | payload[1], eegCh, this.tmp12);
      }
    } else if (ppgCh >= 0) {
      if (ppgCh >= this.ppg.channelCount) {
        this.counters.unknownPackets++;
      } else {
        this.counters.packets++;
        decodeUnsigned24Bit(payload, 2, 6, this.tmp12);
        this.ppg.add((payload[0] << 8) | payload[1], ppgCh, this.tmp12);
      }
    } else if (uuid === MUSE_CHARACTERISTICS.accelerometer) {
      this.imu(payload, this.accel, `${this.deviceId}.accel`, MUSE_ACCEL_G_PER_COUNT);
    } else if (uuid === MUSE_CHARACTERISTICS.gyroscope) {
      this.imu(payload, this.gyro, `${this.deviceId}.gyro`, MUSE_GYRO_DPS_PER_COUNT);
    } else if (uuid === MUSE_CHARACTERISTICS.telemetry) {
      const step = this.telemetry.next((payload[0] << 8) | payload[1]);
      if (!step.duplicate) {
        this.counters.packets++;
        this.tmp3[0] = ((payload[2] << 8) | payload[3]) / 512;
        this.tmp3[1] = ((payload[4] << 8) | payload[5]) * 2.2;
        this.tmp3[2] = (payload[8] << 8) | payload[9];
        this.collector.frame(`${this.deviceId}.telemetry`, 3, step.sampleIndex, step.lostFrames, this.tmp3);
      }
    } else {
      this.counters.unknownPackets++;
    }
    return this.collector.finish();
  }

  flush(): DecodedBlock[] {
    this.eeg.flush();
    this.ppg.flush();
    return this.collector.finish();
  }

  private imu(b: Uint8Array, tracker: CounterTracker, streamId: string, scale: number): void {
    const step = tracker.next((b[0] << 8) | b[1]);
    if (step.duplicate) {
      this.counters.malformedPackets++;
      return;
    }
    this.counters.packets++;
    if (step.lostFrames > 0) {
      this.counters.gaps++;
      this.counters.lostFrames += step.lostFrames;
    }
    for (let i = 0; i < 9; i++) this.tmp9[i] = (((b[2 + 2 * i] << 24) | (b[3 + 2 * i] << 16)) >> 16) * scale;
    this.collector.frames(streamId, 3, step.sampleIndex, step.lostFrames, this.tmp9, 3);
  }

  /** Byte 0 = number of valid bytes; concatenate and cut complete `{…}` objects. */
  private controlPacket(b: Uint8Array): void {
    if (b.length < 1) {
      this.counters.malformedPackets++;
      return;
    }
    const n = Math.min(b[0], b.length - 1);
    for (let i = 1; i <= n; i++) this.control += String.fromCharCode(b[i]);
    for (;;) {
      const start = this.control.indexOf('{');
      if (start < 0) {
        this.control = '';
        return;
      }
      const end = this.control.indexOf('}', start);
      if (end < 0) {
        this.control = this.control.slice(start);
        if (this.control.length > 4096) this.control = ''; // never grow without bound on garbage
        return;
      }
      const text = this.control.slice(start, end + 1);
      this.control = this.control.slice(end + 1);
      try {
        this.controlResponses.push(JSON.parse(text) as Record<string, unknown>);
        this.counters.packets++;
      } catch {
        this.counters.malformedPackets++;
      }
    }
  }
}
