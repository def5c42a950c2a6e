// The device seam: the API's view of every device the app can drive (boards, synthetic, playback),
// with capabilities, status, config, calibration, impedance, signal quality, battery, connect /
// disconnect and stream start / stop. Pure types and one error class; runs anywhere. The page
// implements it (api/device-hub.ts, wired in clients/api-devices.ts) and serves it to the API worker
// over a MessagePort: every method is async and takes / returns structured-clone-able data.
import type { StreamDescriptor } from '../core/stream';
import type { DeviceId, TransportKind } from '../devices/descriptor';

/** What runs a device: a board's driver, the synthetic generator, or a recording played back. */
export type DeviceKind = DeviceId | 'synthetic' | 'playback';

export type DeviceModality = 'EEG' | 'EMG' | 'ECG' | 'fNIRS' | 'HYBRID' | 'AUX';
export type DeviceStatus = 'online' | 'offline' | 'maintenance' | 'error';

export interface DeviceFilters {
  notchHz?: number;
  highpassHz?: number;
  lowpassHz?: number;
}

/** The acquisition config of a device (one at a time, API.md §13 #29). Channels are 1-based. */
export interface DeviceConfig {
  sampleRateHz: number;
  channels: number[];
  /** Amplifier gain where the board has one (Cyton, Daisy), else null. */
  gain: number | null;
  /** Recorded with the config; the live stream of the API carries raw samples. */
  filters: DeviceFilters;
}

export interface DeviceCapabilities {
  sampleRatesHz: number[];
  maxChannels: number;
  signalTypes: string[];
  impedanceCheck: boolean;
  batteryMonitor: boolean;
  /** Gains the board accepts; empty when it has no settable gain. */
  gains: number[];
}

export interface DeviceCalibration {
  timestampMs: number;
  parameters: Record<string, unknown>;
  validUntilMs: number | null;
  performedBy: string;
}

/** One device as the API families see it. */
export interface ApiDevice {
  /** Slug, e.g. "openbci_001" or "synthetic". */
  id: string;
  name: string;
  kind: DeviceKind;
  modality: DeviceModality;
  status: DeviceStatus;
  serialNumber: string;
  firmwareVersion: string;
  lastSeenMs: number;
  connected: boolean;
  streaming: boolean;
  /** Id of the running acquisition (stream_<ulid>) while streaming. */
  streamId: string | null;
  capabilities: DeviceCapabilities;
  /** Label of every channel the device has; channel number n is `channelLabels[n - 1]`. */
  channelLabels: string[];
  config: DeviceConfig;
  calibration: DeviceCalibration | null;
  metadata: Record<string, unknown>;
  /** Served by the synthetic driver because no board of its kind is connected. */
  simulated: boolean;
  batteryPercent: number | null;
  /** Why the device is in `error` (the last failure), else null. */
  lastError: string | null;
}

export interface DeviceRegistration {
  /** Slug; generated (`<kind>_<n>`) when absent. */
  id?: string;
  name?: string;
  kind: DeviceKind;
  modality?: DeviceModality;
  serialNumber?: string;
  firmwareVersion?: string;
  metadata?: Record<string, unknown>;
  /** Initial config; `channelCount` sets the synthetic driver's channel count. */
  config?: Partial<DeviceConfig> & { channelCount?: number };
  /** Playback: the library recording to replay. */
  recordingId?: string;
}

export interface DevicePatch {
  name?: string;
  status?: DeviceStatus;
  firmwareVersion?: string;
  metadata?: Record<string, unknown>;
}

/** A streaming device's live ring: attach with `Ring.attach(buffer)` in the reading thread. */
export interface DeviceStreamInfo {
  deviceId: string;
  streamId: string;
  /** All channels of the device, frame-major in the ring. */
  descriptor: StreamDescriptor;
  buffer: SharedArrayBuffer | ArrayBuffer;
  /** The 1-based channels the config selects. */
  channels: number[];
  startedAtMs: number;
}

export interface ChannelQualityReport {
  /** 1-based channel number. */
  number: number;
  label: string;
  /** 0 … 1: 1 = clean, lowered by railing, flat line, line noise and missing samples. */
  quality: number;
  status: 'good' | 'fair' | 'poor';
  stdUv: number | null;
  railed: boolean;
  flat: boolean;
  lineNoiseUv: number | null;
  /** Broadband power over line-noise power, dB (null when either is unknown). */
  snrDb: number | null;
}

export interface DeviceImpedance {
  deviceId: string;
  labels: string[];
  /** Ohms per channel; null where the device gave no value. */
  ohms: (number | null)[];
  timestampMs: number;
}

export interface DeviceHealth {
  deviceId: string;
  status: 'healthy' | 'degraded' | 'unhealthy' | 'offline';
  connected: boolean;
  streaming: boolean;
  uptimeSeconds: number;
  /** Frames per second over the stream's life. */
  dataRateHz: number;
  framesReceived: number;
  lostFrames: number;
  reconnects: number;
  batteryPercent: number | null;
  lastError: string | null;
}

/** A device the API can connect without a chooser (permission granted before), or a virtual one. */
export interface DiscoveredDevice {
  kind: DeviceKind;
  name: string;
  protocol: TransportKind | 'virtual';
  /** Port or device label ("FTDI 0403:6015", "Muse-1A2B", "generator"). */
  label: string;
}

export type DeviceEventType = 'device_added' | 'device_removed' | 'device_connected' | 'device_disconnected' | 'stream_started' | 'stream_stopped' | 'device_error';

export interface DeviceEvent {
  /** Increasing per hub; `deviceEvents(after)` returns the events with seq > after. */
  seq: number;
  type: DeviceEventType;
  deviceId: string;
  timestampMs: number;
  streamId?: string;
  message?: string;
  /** device_error: the device may come back (reconnecting), so a retry makes sense. */
  retrySuggested?: boolean;
}

export type DeviceFailureCode =
  | 'DEVICE_NOT_FOUND'
  | 'DEVICE_EXISTS'
  | 'DEVICE_BUSY'
  | 'DEVICE_OFFLINE'
  | 'DEVICE_NOT_PAIRED'
  | 'STREAM_UNAVAILABLE'
  | 'INVALID_CONFIGURATION'
  | 'VALIDATION_ERROR'
  | 'NOT_SUPPORTED';

/** A device failure with a code the families map to their own (NeuraScale uses these names). */
export class DeviceFailure extends Error {
  override name = 'DeviceFailure';
  constructor(
    readonly code: DeviceFailureCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
  /** Plain form for postMessage; `deviceFailure: true` tells it apart from other wire errors. */
  toWire(): { name: string; deviceFailure: true; code: DeviceFailureCode; message: string; details: Record<string, unknown> } {
    return { name: this.name, deviceFailure: true, code: this.code, message: this.message, details: this.details };
  }
  static isWire(w: unknown): w is { code: DeviceFailureCode; message: string; details?: Record<string, unknown> } {
    return typeof w === 'object' && w !== null && (w as { deviceFailure?: unknown }).deviceFailure === true;
  }
}

/** The device seam. Failures reject with DeviceFailure (or its wire form). */
export interface DeviceBackend {
  deviceList(): Promise<ApiDevice[]>;
  deviceGet(id: string): Promise<ApiDevice>;
  deviceRegister(r: DeviceRegistration): Promise<ApiDevice>;
  deviceUpdate(id: string, patch: DevicePatch): Promise<ApiDevice>;
  /** DEVICE_BUSY while streaming. */
  deviceRemove(id: string): Promise<void>;
  /** Boards: DEVICE_NOT_PAIRED when the browser has no permission for one of its kind. */
  deviceConnect(id: string): Promise<ApiDevice>;
  deviceDisconnect(id: string): Promise<ApiDevice>;
  /**
   * Connects when needed and starts acquisition. The same config again while streaming is a no-op
   * (`started: false`, same streamId); another config while streaming: DEVICE_BUSY.
   */
  deviceStartStream(id: string, config?: Partial<DeviceConfig>): Promise<{ device: ApiDevice; started: boolean }>;
  /** STREAM_UNAVAILABLE when not streaming. */
  deviceStopStream(id: string): Promise<ApiDevice>;
  /** Merges; while streaming only changes that need no restart apply now (gain, filters). */
  deviceConfigure(id: string, config: Partial<DeviceConfig>): Promise<{ device: ApiDevice; applied: 'immediate' | 'on_next_start' }>;
  deviceCalibrate(id: string, parameters: Record<string, unknown>, performedBy?: string): Promise<ApiDevice>;
  /** NOT_SUPPORTED without an impedance check; DEVICE_OFFLINE when not streaming. */
  deviceImpedance(id: string): Promise<DeviceImpedance>;
  /** STREAM_UNAVAILABLE when not streaming. */
  deviceSignalQuality(id: string): Promise<ChannelQualityReport[]>;
  /** One device, or all of them. */
  deviceHealth(id?: string): Promise<DeviceHealth[]>;
  deviceDiscover(): Promise<DiscoveredDevice[]>;
  /** The live ring of a streaming device (STREAM_UNAVAILABLE otherwise). */
  deviceStream(id: string): Promise<DeviceStreamInfo>;
  /** Events with seq > `afterSeq`; waits up to `waitMs` for one when there is none yet. */
  deviceEvents(afterSeq: number, waitMs: number): Promise<DeviceEvent[]>;
}
