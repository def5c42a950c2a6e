// Device descriptors: what a device is (id, transports, BLE UUIDs or serial settings, streams it
// produces, command strings) as plain data, plus the driver lifecycle every real driver implements.
// Runs anywhere (page, workers, Node). Pure types and data helpers; no I/O, no Web API access here.
import type { StreamDescriptor } from '../core/stream.ts';

/** Readable device ids; never numbers (BrainFlow's numeric board ids are what not to copy). */
export type DeviceId =
  | 'openbci-cyton'
  | 'openbci-cyton-daisy'
  | 'openbci-ganglion'
  | 'muse-2'
  | 'muse-s'
  | 'muse-s-athena'
  | 'hegduino'
  | 'blueberry';

export type TransportKind = 'serial' | 'bluetooth' | 'usb';

/** Web Serial facts (also used by the WebUSB FTDI path, which needs the same line settings). */
export interface SerialFacts {
  baudRate: number;
  dataBits: 7 | 8;
  stopBits: 1 | 2;
  parity: 'none' | 'even' | 'odd';
  /** `navigator.serial.requestPort({ filters })` filters; empty = let the user pick any port. */
  usbFilters: { usbVendorId: number; usbProductId?: number }[];
}

/** Web Bluetooth facts. UUIDs are 128-bit, lowercase, dashed (Chrome rejects the dashless form). */
export interface BluetoothFacts {
  /** `requestDevice({ filters: [{ namePrefix }] })`. */
  namePrefixes: string[];
  /** Primary service to request (and list in optionalServices). */
  serviceUuid: string;
  /** Further services the driver reads (e.g. Device Information 0x180a for the Ganglion firmware). */
  optionalServiceUuids: string[];
  /** Characteristics by role, e.g. { control: '273e0001-…', eeg_tp9: '273e0003-…' }. */
  characteristics: Record<string, string>;
}

/** One device, as data. */
export interface DeviceDescriptor {
  id: DeviceId;
  name: string;
  manufacturer: string;
  transports: TransportKind[];
  serial?: SerialFacts;
  bluetooth?: BluetoothFacts;
  /** Streams the decoder produces; ids are `<device id>.<stream name>`. */
  streams: StreamDescriptor[];
  /** Named command strings the driver writes (start, stop, reset, …), exactly as sent. */
  commands: Record<string, string>;
  /** Where the protocol facts come from (repository + path), for whoever debugs the driver. */
  sources: string[];
}

/** Lifecycle state of a driver instance. */
export type DriverState = 'closed' | 'open' | 'streaming';

/** What a driver hands to its owner while streaming (decoded frames of one stream). */
export interface DriverFrames {
  streamId: string;
  /** Continuous sample index of the first frame (lost frames included), since `start`. */
  sampleIndex: number;
  frames: number;
  channelCount: number;
  /** Frame-major float32 samples, `frames * channelCount` values. */
  samples: Float32Array;
  /** One timestamp per frame, ms on the shared clock (core/clock.ts), dejittered. */
  timestampsMs: Float64Array;
}

/** Frames lost between two received packets (sample-counter gap), reported so it is never silent. */
export interface DriverGap {
  streamId: string;
  /** Sample index of the first lost frame. */
  sampleIndex: number;
  lostFrames: number;
  timestampMs: number;
}

export interface DriverListener {
  onFrames(f: DriverFrames): void;
  onGap(g: DriverGap): void;
  /** Transport closed by the device or the OS (unplugged, out of range). */
  onDisconnected(reason: string): void;
}

/**
 * The lifecycle every real driver implements (BrainFlow: prepare_session / start_stream /
 * stop_stream / release_session). Transports are injected so tests can pass a fake port or GATT
 * server. `open` connects and configures (handshake); `start` begins streaming; `stop` halts it
 * but keeps the connection; `close` releases the transport. Calls out of order throw StateError.
 */
export interface DeviceDriver {
  readonly descriptor: DeviceDescriptor;
  readonly state: DriverState;
  open(): Promise<void>;
  start(listener: DriverListener): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

/** Stream descriptor by its short name ("eeg", "aux", …) or full id; undefined if absent. */
export function findStream(d: DeviceDescriptor, name: string): StreamDescriptor | undefined {
  return d.streams.find((s) => s.id === name || s.id === `${d.id}.${name}`);
}

/** The short stream name of a stream id ("openbci-cyton.eeg" → "eeg"). */
export function streamName(streamId: string): string {
  const dot = streamId.indexOf('.');
  return dot < 0 ? streamId : streamId.slice(dot + 1);
}
