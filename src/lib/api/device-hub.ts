// DeviceHub: the device seam (device-backend.ts) over the device layer. Keeps the API's device
// records, runs each acquisition into a ring of its own (synthetic driver, playback, or a board's
// TransportDriver kept alive by a DeviceSession), measures quality and impedance from that ring,
// and queues device events. Runs on the engine-host page (Web Bluetooth is main-thread only) and in
// Node tests; browser permissions come in through `HardwareAccess`. Never opens a chooser: a board
// the browser has no permission for is refused (DEVICE_NOT_PAIRED) or, for a device registered
// through the API, served by the synthetic driver (`simulated`) until a board of its kind is granted.
import { nowMs } from '../core/clock';
import type { MarkerEvent, StreamDescriptor } from '../core/stream';
import type { DeviceId, DriverFrames, TransportKind } from '../devices/descriptor';
import { deviceDescriptor } from '../devices/drivers/registry';
import { CYTON_GAINS } from '../devices/drivers/openbci-cyton/decoder';
import { SyntheticDriver, syntheticStreamDescriptor } from '../devices/drivers/synthetic/driver';
import { SYNTHETIC_MAX_CHANNELS, SYNTHETIC_MAX_RATE_HZ, SYNTHETIC_MIN_RATE_HZ } from '../devices/drivers/synthetic/generator';
import { PlaybackDriver } from '../devices/drivers/playback/driver';
import { channelQuality, CYTON_LEADOFF_HZ, eegFullScaleUv, leadOffImpedanceOhms, toneAmplitude } from '../devices/quality';
import { DeviceSession, type BackoffOptions, type SessionStatus } from '../devices/session';
import { driverSpec } from '../devices/transports/driver-specs';
import { TransportDriver, type DriverSpec } from '../devices/transports/transport-driver';
import type { DeviceTransport } from '../devices/transports/types';
import { Ring, RingReader, RingWriter } from '../streams/ring';
import { ulid } from './http';
import {
  DeviceFailure,
  type ApiDevice, type ChannelQualityReport, type DeviceBackend, type DeviceCapabilities, type DeviceConfig, type DeviceEvent, type DeviceEventType,
  type DeviceHealth, type DeviceImpedance, type DeviceKind, type DeviceModality, type DevicePatch, type DeviceRegistration, type DeviceStreamInfo, type DiscoveredDevice,
} from './device-backend';

/** A board connection the browser allows without a chooser (getPorts / getDevices). */
export interface GrantedTransport {
  kind: DeviceId;
  transportKind: TransportKind;
  label: string;
  /** A fresh transport over the granted port or device. */
  open(): DeviceTransport;
}

/** What the browser lets the hub reach without a user gesture. */
export interface HardwareAccess {
  granted(): Promise<GrantedTransport[]>;
}

export interface PlaybackSource {
  stream: StreamDescriptor;
  samples: Float32Array;
  timestampsMs: Float64Array;
  markers: MarkerEvent[];
}

export interface DeviceHubOptions {
  hardware?: HardwareAccess;
  /** Reads a library recording for playback devices. */
  playback?: (recordingId: string) => Promise<PlaybackSource>;
  /** Where playback markers go (the marker bus on the page). */
  onMarkers?: (m: MarkerEvent[]) => void;
  clock?: () => number;
  /** Seconds of samples each device ring keeps (default 20). */
  ringSeconds?: number;
  /** Time the impedance check lets the tone / the device's reports settle (default 1000 ms). */
  impedanceSettleMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** Drivers' pacing timers (false in tests: they call `pump()`). */
  timers?: boolean;
  /** Driver sleeps (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
}

/** The device id under which the API lists the app's own acquisition (setAppStream). */
export const APP_STREAM_ID = 'app-live';

const SYNTHETIC_RATES = [125, 250, 256, 500, 512, 1000, 2000];
const MAX_EVENTS = 1000;
const QUALITY_WINDOW_SECONDS = 2;

/** One running acquisition. */
interface Acquisition {
  streamId: string;
  descriptor: StreamDescriptor;
  ring: Ring;
  startedAtMs: number;
  /** Frames written to the ring. */
  frames(): number;
  lost(): number;
  reconnects(): number;
  battery(): number | null;
  /** Last device-reported impedance frame (Ganglion). */
  reportedImpedance(): number[] | null;
  send?(cmd: string): Promise<void>;
  spec?: DriverSpec;
  stop(): Promise<void>;
  /** Drives a synthetic / playback driver without its timer (tests). */
  pump?(): void;
}

interface Entry {
  device: ApiDevice;
  /** Registered through the API: served by the synthetic driver when no board is granted. */
  fallback: boolean;
  channelCount: number;
  recordingId?: string;
  acq: Acquisition | null;
  connectedAtMs: number | null;
  /** Pending start (a second start waits for it instead of starting twice). */
  starting: Promise<unknown> | null;
  /** A config that needs a restart (rate, channels), set while streaming: it applies when the stream stops. */
  pending: DeviceConfig | null;
  /** Streamed by a page of the app (Live, Devices): the API reads it but does not start or stop it. */
  page: string | null;
}

const BOARD_SLUGS: [RegExp, DeviceId][] = [
  [/daisy/i, 'openbci-cyton-daisy'],
  [/ganglion/i, 'openbci-ganglion'],
  [/openbci|cyton/i, 'openbci-cyton'],
  [/athena/i, 'muse-s-athena'],
  [/muse.?s/i, 'muse-s'],
  [/muse/i, 'muse-2'],
  [/heg/i, 'hegduino'],
  [/blueberry/i, 'blueberry'],
];

/** The board kind a slug or name suggests ("openbci_001" → openbci-cyton); synthetic otherwise. */
export function kindFromName(...names: (string | undefined)[]): DeviceKind {
  for (const n of names) {
    if (!n) continue;
    if (deviceDescriptor(n)) return n as DeviceId;
    for (const [re, kind] of BOARD_SLUGS) if (re.test(n)) return kind;
  }
  return 'synthetic';
}

function primaryOf(kind: DeviceId): StreamDescriptor {
  return driverSpec(kind, deviceDescriptor(kind)!.transports[0]).primaryStream({});
}

function modalityOf(d: StreamDescriptor): DeviceModality {
  return d.kind === 'fnirs' ? 'fNIRS' : d.kind === 'aux' ? 'AUX' : 'EEG';
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

function sameConfig(a: DeviceConfig, b: DeviceConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class DeviceHub implements DeviceBackend {
  private readonly entries = new Map<string, Entry>();
  private readonly events: DeviceEvent[] = [];
  private seq = 0;
  private waiters: Array<() => void> = [];
  private readonly clock: () => number;

  constructor(private readonly o: DeviceHubOptions = {}) {
    this.clock = o.clock ?? nowMs;
    this.add({ id: 'synthetic', name: 'Synthetic EEG', kind: 'synthetic', serialNumber: 'SYN-0001', firmwareVersion: 'neurotab' }, false);
  }

  // ------------------------------------------------------------------------------------------
  // Records

  private capabilities(kind: DeviceKind, channels: number): DeviceCapabilities {
    if (kind === 'synthetic' || kind === 'playback') {
      return { sampleRatesHz: kind === 'playback' ? [] : SYNTHETIC_RATES, maxChannels: kind === 'synthetic' ? SYNTHETIC_MAX_CHANNELS : channels, signalTypes: ['EEG'], impedanceCheck: false, batteryMonitor: false, gains: [] };
    }
    const d = deviceDescriptor(kind)!;
    const spec = driverSpec(kind, d.transports[0]);
    const p = primaryOf(kind);
    return {
      sampleRatesHz: p.sampleRateHz > 0 ? [p.sampleRateHz] : [],
      maxChannels: p.channels.length,
      signalTypes: [modalityOf(p)],
      impedanceCheck: !!spec.impedance,
      batteryMonitor: d.streams.some((s) => s.channels.some((c) => c.label === 'battery')),
      gains: kind === 'openbci-cyton' || kind === 'openbci-cyton-daisy' ? [...CYTON_GAINS] : [],
    };
  }

  private add(r: DeviceRegistration, fallback: boolean, source?: PlaybackSource): Entry {
    const kind = r.kind;
    const board = kind !== 'synthetic' && kind !== 'playback' ? primaryOf(kind) : null;
    const channelCount = source?.stream.channels.length ?? board?.channels.length ?? r.config?.channelCount ?? r.config?.channels?.length ?? 8;
    const rate = source?.stream.sampleRateHz ?? (board && board.sampleRateHz > 0 ? board.sampleRateHz : r.config?.sampleRateHz ?? 250);
    const id = r.id ?? this.nextSlug(kind);
    const device: ApiDevice = {
      id,
      name: r.name ?? (board ? deviceDescriptor(kind)!.name : kind === 'playback' ? `Playback of ${source?.stream.name ?? 'a recording'}` : 'Synthetic EEG'),
      kind,
      modality: r.modality ?? (board ? modalityOf(board) : 'EEG'),
      status: 'offline',
      serialNumber: r.serialNumber ?? '',
      firmwareVersion: r.firmwareVersion ?? '',
      lastSeenMs: Date.now(),
      connected: false,
      streaming: false,
      streamId: null,
      capabilities: this.capabilities(kind, channelCount),
      channelLabels: (source?.stream ?? board ?? syntheticStreamDescriptor({ channels: Math.min(channelCount, SYNTHETIC_MAX_CHANNELS), sampleRateHz: SYNTHETIC_MIN_RATE_HZ })).channels.map((c) => c.label),
      config: { sampleRateHz: rate, channels: r.config?.channels ?? range(channelCount), gain: board && this.capabilities(kind, channelCount).gains.length ? 24 : null, filters: r.config?.filters ?? {} },
      calibration: null,
      metadata: { ...(r.metadata ?? {}) },
      simulated: false,
      batteryPercent: null,
      lastError: null,
    };
    const e: Entry = { device, fallback, channelCount, recordingId: r.recordingId, acq: null, connectedAtMs: null, starting: null, pending: null, page: null };
    this.entries.set(id, e);
    return e;
  }

  private nextSlug(kind: DeviceKind): string {
    const base = kind.replace(/-/g, '_');
    for (let n = 1; ; n++) {
      const id = `${base}_${String(n).padStart(3, '0')}`;
      if (!this.entries.has(id)) return id;
    }
  }

  private entry(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) throw new DeviceFailure('DEVICE_NOT_FOUND', `Device with ID '${id}' not found`, { resource_type: 'device', resource_id: id, available_devices: [...this.entries.keys()] });
    return e;
  }

  private view(e: Entry): ApiDevice {
    const d = e.device;
    if (e.acq) {
      d.batteryPercent = e.acq.battery();
      if (d.status === 'online') d.lastSeenMs = Date.now();
    }
    return structuredClone({ ...d, metadata: { ...d.metadata, ...(d.simulated ? { simulated: true } : {}) } });
  }

  private emit(type: DeviceEventType, deviceId: string, extra: Partial<DeviceEvent> = {}): void {
    this.events.push({ seq: ++this.seq, type, deviceId, timestampMs: this.clock(), ...extra });
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    for (const w of this.waiters.splice(0)) w();
  }

  async deviceList(): Promise<ApiDevice[]> {
    await this.addGrantedBoards();
    return [...this.entries.values()].map((e) => this.view(e));
  }

  /** A granted board with no record yet gets one (id = its kind), so the API lists it. */
  private async addGrantedBoards(): Promise<void> {
    for (const g of (await this.o.hardware?.granted().catch(() => [])) ?? []) {
      if (![...this.entries.values()].some((e) => e.device.kind === g.kind)) this.add({ id: g.kind, kind: g.kind }, false);
    }
  }

  /** `entry`, after listing granted boards when the id is not known yet. */
  private async find(id: string): Promise<Entry> {
    if (!this.entries.has(id)) await this.addGrantedBoards();
    return this.entry(id);
  }

  async deviceGet(id: string): Promise<ApiDevice> {
    return this.view(await this.find(id));
  }

  async deviceRegister(r: DeviceRegistration): Promise<ApiDevice> {
    if (r.id !== undefined && this.entries.has(r.id)) throw new DeviceFailure('DEVICE_EXISTS', `A device with ID '${r.id}' already exists; choose another id or PATCH that device`, { resource_id: r.id });
    if (r.id !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(r.id)) throw new DeviceFailure('VALIDATION_ERROR', `Device id '${r.id}' must be 1–64 letters, digits, '_', '.' or '-'`, { field: 'id' });
    let source: PlaybackSource | undefined;
    if (r.kind === 'playback') {
      if (!r.recordingId || !this.o.playback) throw new DeviceFailure('VALIDATION_ERROR', 'A playback device needs the recording_id of a library recording', { field: 'recording_id' });
      source = await this.o.playback(r.recordingId).catch((e) => {
        throw new DeviceFailure('VALIDATION_ERROR', `Recording ${r.recordingId} cannot be played back: ${(e as Error).message}`, { field: 'recording_id' });
      });
    }
    if (r.kind === 'synthetic') {
      const n = r.config?.channelCount ?? r.config?.channels?.length ?? 8;
      const rate = r.config?.sampleRateHz ?? 250;
      this.checkSynthetic(n, rate);
    }
    const e = this.add(r, r.kind !== 'synthetic' && r.kind !== 'playback', source);
    if (e.fallback) e.device.simulated = !(await this.grantedFor(r.kind as DeviceId));
    if (r.config) this.validateConfig(e, { ...e.device.config, ...r.config });
    this.emit('device_added', e.device.id);
    return this.view(e);
  }

  private checkSynthetic(channels: number, rateHz: number): void {
    if (!Number.isInteger(channels) || channels < 1 || channels > SYNTHETIC_MAX_CHANNELS)
      throw new DeviceFailure('INVALID_CONFIGURATION', `The synthetic device has 1 to ${SYNTHETIC_MAX_CHANNELS} channels, not ${channels}`, { field: 'channels' });
    if (!(rateHz >= SYNTHETIC_MIN_RATE_HZ && rateHz <= SYNTHETIC_MAX_RATE_HZ))
      throw new DeviceFailure('INVALID_CONFIGURATION', `The synthetic device samples at ${SYNTHETIC_MIN_RATE_HZ} to ${SYNTHETIC_MAX_RATE_HZ} Hz, not ${rateHz}`, { field: 'sample_rate', supported: SYNTHETIC_RATES });
  }

  async deviceUpdate(id: string, patch: DevicePatch): Promise<ApiDevice> {
    const e = this.entry(id);
    if (patch.name !== undefined) e.device.name = patch.name;
    if (patch.firmwareVersion !== undefined) e.device.firmwareVersion = patch.firmwareVersion;
    if (patch.metadata !== undefined) e.device.metadata = { ...e.device.metadata, ...patch.metadata };
    if (patch.status !== undefined) e.device.status = patch.status;
    return this.view(e);
  }

  async deviceRemove(id: string): Promise<void> {
    const e = this.entry(id);
    this.notFromPage(e, 'stop');
    if (e.acq || e.starting) throw new DeviceFailure('DEVICE_BUSY', `Device '${id}' is streaming; stop its stream first`, { resource_id: id });
    this.entries.delete(id);
    this.emit('device_removed', id);
  }

  // ------------------------------------------------------------------------------------------
  // The app's own acquisition (the Live page's synthetic / playback or the Devices page's board)

  /**
   * The primary stream of the app's one acquisition (null: it stopped). It is listed as device
   * `app-live`, streaming, readable by every family (quality, sockets, sessions); it is started
   * and stopped on the app's Live and Devices pages, so the API refuses to stop, reconfigure or remove it.
   */
  setAppStream(stream: { descriptor: StreamDescriptor; buffer: SharedArrayBuffer | ArrayBuffer } | null): void {
    const id = APP_STREAM_ID;
    const page = 'Live and Devices';
    const old = this.entries.get(id);
    if (old?.acq) {
      if (stream && old.acq.ring.buffer === stream.buffer) return;
      const streamId = old.acq.streamId;
      old.acq = null;
      this.entries.delete(id);
      this.emit('stream_stopped', id, { streamId, message: `stopped in the app (${page} pages)` });
    }
    if (!stream) return;
    const d = stream.descriptor;
    const prefix = d.id.split('.')[0];
    const kind: DeviceKind = deviceDescriptor(prefix) ? (prefix as DeviceId) : prefix === 'synthetic' ? 'synthetic' : 'playback';
    const e = this.add({ id, kind, name: `${d.name} (the app's live stream)`, modality: modalityOf(d) }, false, { stream: d, samples: new Float32Array(0), timestampsMs: new Float64Array(0), markers: [] });
    e.page = page;
    const ring = Ring.attach(stream.buffer);
    const streamId = `stream_${ulid(Date.now()).toLowerCase()}`;
    const writeSeq = () => ring.writeSequence();
    const start = writeSeq();
    e.acq = { streamId, descriptor: d, ring, startedAtMs: this.clock(), frames: () => writeSeq() - start, lost: () => 0, reconnects: () => 0, battery: () => null, reportedImpedance: () => null, stop: async () => undefined };
    Object.assign(e.device, { connected: true, streaming: true, streamId, status: 'online' });
    e.connectedAtMs = this.clock();
    this.emit('stream_started', id, { streamId });
  }

  private notFromPage(e: Entry, what: string): void {
    if (e.page) throw new DeviceFailure('DEVICE_BUSY', `${e.device.name} is run by the app (its ${e.page} pages): ${what} it there`, { resource_id: e.device.id, page: e.page });
  }

  // ------------------------------------------------------------------------------------------
  // Connection and streaming

  private async grantedFor(kind: DeviceId): Promise<GrantedTransport | undefined> {
    const all = (await this.o.hardware?.granted().catch(() => [])) ?? [];
    return all.find((g) => g.kind === kind);
  }

  async deviceConnect(id: string): Promise<ApiDevice> {
    const e = await this.find(id);
    if (e.device.connected) return this.view(e);
    const kind = e.device.kind;
    if (kind !== 'synthetic' && kind !== 'playback') {
      const g = await this.grantedFor(kind);
      if (!g && !e.fallback) {
        throw new DeviceFailure('DEVICE_NOT_PAIRED', `This browser has no permission for a ${deviceDescriptor(kind)!.name} yet: pair it once on the Devices page (the browser's chooser needs a click), then connect again`, { resource_id: id, kind });
      }
      e.device.simulated = !g;
    }
    e.device.connected = true;
    e.device.status = 'online';
    e.device.lastError = null;
    e.connectedAtMs = this.clock();
    this.emit('device_connected', id);
    return this.view(e);
  }

  async deviceDisconnect(id: string): Promise<ApiDevice> {
    const e = this.entry(id);
    this.notFromPage(e, 'disconnect');
    await e.starting?.catch(() => undefined);
    if (e.acq) await this.stopAcq(e);
    if (e.device.connected) {
      e.device.connected = false;
      e.device.status = 'offline';
      e.connectedAtMs = null;
      this.emit('device_disconnected', id);
    }
    return this.view(e);
  }

  /** Validates and normalises a config for this device; throws INVALID_CONFIGURATION. */
  private validateConfig(e: Entry, c: DeviceConfig): DeviceConfig {
    const caps = e.device.capabilities;
    const kind = e.device.kind;
    if (kind === 'synthetic') this.checkSynthetic(e.channelCount, c.sampleRateHz);
    else if (caps.sampleRatesHz.length && !caps.sampleRatesHz.includes(c.sampleRateHz))
      throw new DeviceFailure('INVALID_CONFIGURATION', `${e.device.name} samples at ${caps.sampleRatesHz.join(', ')} Hz, not ${c.sampleRateHz}`, { field: 'sample_rate', supported: caps.sampleRatesHz });
    const max = kind === 'synthetic' ? e.channelCount : caps.maxChannels;
    if (!Array.isArray(c.channels) || c.channels.length === 0 || c.channels.some((n) => !Number.isInteger(n) || n < 1 || n > max) || new Set(c.channels).size !== c.channels.length)
      throw new DeviceFailure('INVALID_CONFIGURATION', `Channels must be distinct numbers from 1 to ${max} on ${e.device.name}`, { field: 'channels', max_channels: max });
    if (c.gain !== null && c.gain !== undefined && !caps.gains.includes(c.gain))
      throw new DeviceFailure('INVALID_CONFIGURATION', caps.gains.length ? `Gain ${c.gain} is not one of ${caps.gains.join(', ')}` : `${e.device.name} has no settable gain`, { field: 'gain', supported: caps.gains });
    for (const [k, v] of Object.entries(c.filters ?? {}))
      if (v !== undefined && !(typeof v === 'number' && v > 0 && v < c.sampleRateHz / 2))
        throw new DeviceFailure('INVALID_CONFIGURATION', `Filter ${k} must be a frequency between 0 and ${c.sampleRateHz / 2} Hz (half the sample rate)`, { field: `filters.${k}` });
    return { sampleRateHz: c.sampleRateHz, channels: [...c.channels].sort((a, b) => a - b), gain: c.gain ?? null, filters: { ...(c.filters ?? {}) } };
  }

  private merged(e: Entry, partial: Partial<DeviceConfig> | undefined): DeviceConfig {
    const base = e.device.config;
    return this.validateConfig(e, {
      sampleRateHz: partial?.sampleRateHz ?? base.sampleRateHz,
      channels: partial?.channels ?? base.channels,
      gain: partial?.gain === undefined ? base.gain : partial.gain,
      filters: partial?.filters === undefined ? base.filters : { ...partial.filters },
    });
  }

  async deviceStartStream(id: string, config?: Partial<DeviceConfig>): Promise<{ device: ApiDevice; started: boolean }> {
    const e = await this.find(id);
    if (e.starting) await e.starting.catch(() => undefined);
    const next = this.merged(e, config);
    if (e.acq) {
      if (!config || sameConfig(next, e.device.config)) return { device: this.view(e), started: false };
      throw new DeviceFailure('DEVICE_BUSY', `Device '${id}' is already streaming with another configuration; stop it first or send the same configuration`, { resource_id: id, stream_id: e.device.streamId, config: e.device.config });
    }
    if (e.device.status === 'maintenance') throw new DeviceFailure('DEVICE_OFFLINE', `Device '${id}' is in maintenance; set its status back to ONLINE first`, { resource_id: id });
    if (!e.device.connected) await this.deviceConnect(id);
    const starting = this.startAcq(e, next);
    e.starting = starting;
    try {
      await starting;
    } finally {
      e.starting = null;
    }
    return { device: this.view(e), started: true };
  }

  private ringFor(d: StreamDescriptor): Ring {
    const rate = d.sampleRateHz > 0 ? d.sampleRateHz : 64;
    return Ring.create({ channels: d.channels.length, capacityFrames: Math.ceil(rate * (this.o.ringSeconds ?? 20)) });
  }

  private async startAcq(e: Entry, config: DeviceConfig): Promise<void> {
    const kind = e.device.kind;
    const streamId = `stream_${ulid(Date.now()).toLowerCase()}`;
    let acq: Acquisition;
    if (kind === 'synthetic' || (kind !== 'playback' && e.fallback && !(await this.grantedFor(kind)))) {
      acq = await this.startSynthetic(streamId, e.channelCount, config.sampleRateHz);
      e.device.simulated = kind !== 'synthetic';
    } else if (kind === 'playback') {
      acq = await this.startPlayback(streamId, e.recordingId!);
    } else {
      const g = await this.grantedFor(kind);
      if (!g) throw new DeviceFailure('DEVICE_NOT_PAIRED', `This browser has no permission for a ${deviceDescriptor(kind)!.name}: pair it once on the Devices page, then start again`, { resource_id: e.device.id, kind });
      acq = await this.startBoard(e, streamId, g);
      e.device.simulated = false;
      if (config.gain !== null) await this.applyGain(acq, config.gain, e.channelCount);
    }
    e.acq = acq;
    e.device.config = config;
    e.device.streaming = true;
    e.device.streamId = streamId;
    e.device.status = 'online';
    e.device.lastError = null;
    this.emit('stream_started', e.device.id, { streamId });
  }

  private async startSynthetic(streamId: string, channels: number, rateHz: number): Promise<Acquisition> {
    const descriptor = syntheticStreamDescriptor({ channels, sampleRateHz: rateHz });
    const ring = this.ringFor(descriptor);
    const driver = new SyntheticDriver({ channels, sampleRateHz: rateHz, clock: this.clock, timer: this.o.timers ?? true });
    await driver.open();
    await driver.start(new RingWriter(ring));
    return {
      streamId, descriptor, ring, startedAtMs: this.clock(),
      frames: () => driver.framesWritten, lost: () => driver.skippedFrames, reconnects: () => 0, battery: () => null, reportedImpedance: () => null,
      pump: () => void driver.pump(),
      stop: async () => {
        await driver.stop().catch(() => undefined);
        await driver.close();
      },
    };
  }

  private async startPlayback(streamId: string, recordingId: string): Promise<Acquisition> {
    const src = await this.o.playback!(recordingId);
    const ring = this.ringFor(src.stream);
    const driver = new PlaybackDriver({ stream: src.stream, samples: src.samples, timestampsMs: src.timestampsMs, markers: src.markers, loop: true, clock: this.clock, timer: this.o.timers ?? true });
    await driver.open();
    await driver.start(new RingWriter(ring), this.o.onMarkers);
    return {
      streamId, descriptor: src.stream, ring, startedAtMs: this.clock(),
      frames: () => driver.framesWritten, lost: () => 0, reconnects: () => 0, battery: () => null, reportedImpedance: () => null,
      pump: () => void driver.pump(),
      stop: async () => {
        await driver.stop().catch(() => undefined);
        await driver.close();
      },
    };
  }

  private async startBoard(e: Entry, streamId: string, g: GrantedTransport): Promise<Acquisition> {
    const spec = driverSpec(g.kind, g.transportKind);
    const descriptor = spec.primaryStream({});
    const ring = this.ringFor(descriptor);
    const writer = new RingWriter(ring);
    const C = descriptor.channels.length;
    let scratch = new Float32Array(C * 64);
    let battery: number | null = null;
    let impedance: number[] | null = null;
    let lost = 0;
    const driver = new TransportDriver(spec, g.open(), this.o.sleep ? { sleep: this.o.sleep } : {});
    const onFrames = (f: DriverFrames) => {
      if (f.streamId === descriptor.id) {
        let s = f.samples;
        if (f.channelCount !== C) {
          if (scratch.length < f.frames * C) scratch = new Float32Array(f.frames * C);
          for (let i = 0; i < f.frames; i++) for (let c = 0; c < C; c++) scratch[i * C + c] = c < f.channelCount ? f.samples[i * f.channelCount + c] : NaN;
          s = scratch;
        }
        writer.push(s, f.timestampsMs, f.frames);
        return;
      }
      if (f.frames === 0) return;
      const last = (f.frames - 1) * f.channelCount;
      const d = spec.descriptor.streams.find((x) => x.id === f.streamId);
      const b = d?.channels.findIndex((c) => c.label === 'battery') ?? -1;
      if (b >= 0) battery = f.samples[last + b];
      if (f.streamId.endsWith('.impedance')) impedance = Array.from(f.samples.subarray(last, last + f.channelCount));
    };
    const session: DeviceSession = new DeviceSession(
      driver,
      {
        onFrames,
        onGap: (gap) => {
          if (gap.streamId === descriptor.id) lost += gap.lostFrames;
        },
        onStatus: (s) => this.sessionStatus(e, streamId, s),
      },
      { backoff: this.o.backoff, now: this.clock },
    );
    try {
      await session.start();
    } catch (err) {
      throw new DeviceFailure('DEVICE_OFFLINE', `${e.device.name} could not be opened: ${(err as Error).message}`, { resource_id: e.device.id });
    }
    return {
      streamId, descriptor, ring, startedAtMs: this.clock(), spec,
      frames: () => writer.writeSequence,
      lost: () => lost,
      reconnects: () => session.reconnects,
      battery: () => battery,
      reportedImpedance: () => impedance,
      send: (cmd) => driver.send(cmd),
      stop: () => session.stop(),
    };
  }

  /** A board's connection changed while streaming: reconnecting / failed put the device in error. */
  private sessionStatus(e: Entry, streamId: string, s: SessionStatus): void {
    if (e.device.streamId !== streamId) return;
    const id = e.device.id;
    if (s.state === 'reconnecting') {
      if (e.device.status !== 'error') this.emit('device_error', id, { streamId, message: `Device ${id} disconnected (${s.reason}); reconnecting`, retrySuggested: true });
      e.device.status = 'error';
      e.device.lastError = s.reason;
    } else if (s.state === 'streaming' && e.device.status === 'error') {
      e.device.status = 'online';
      e.device.lastError = null;
      this.emit('device_connected', id, { streamId });
    } else if (s.state === 'failed') {
      e.device.status = 'error';
      e.device.lastError = s.message;
      e.device.streaming = false;
      e.device.streamId = null;
      e.device.connected = false;
      if (e.acq) new RingWriter(e.acq.ring).close();
      e.acq = null;
      this.applyPending(e);
      this.emit('device_error', id, { streamId, message: `Device ${id} was lost: ${s.message}`, retrySuggested: false });
      this.emit('stream_stopped', id, { streamId, message: s.message });
    }
  }

  private async applyGain(acq: Acquisition, gain: number, channels: number): Promise<void> {
    if (!acq.send) return;
    const code = CYTON_GAINS.indexOf(gain as (typeof CYTON_GAINS)[number]);
    const chars = '12345678QWERTYUI';
    for (let i = 0; i < channels; i++) await acq.send(`x${chars[i]}0${code}0110X`);
  }

  private async stopAcq(e: Entry): Promise<void> {
    const acq = e.acq!;
    e.acq = null;
    await acq.stop().catch(() => undefined);
    new RingWriter(acq.ring).close();
    const streamId = e.device.streamId ?? acq.streamId;
    e.device.streaming = false;
    e.device.streamId = null;
    this.applyPending(e);
    this.emit('stream_stopped', e.device.id, { streamId });
  }

  private applyPending(e: Entry): void {
    if (e.pending) e.device.config = e.pending;
    e.pending = null;
  }

  async deviceStopStream(id: string): Promise<ApiDevice> {
    const e = this.entry(id);
    this.notFromPage(e, 'stop');
    await e.starting?.catch(() => undefined);
    if (!e.acq) throw new DeviceFailure('STREAM_UNAVAILABLE', `Device '${id}' is not streaming; start its stream first`, { resource_id: id });
    await this.stopAcq(e);
    return this.view(e);
  }

  async deviceConfigure(id: string, config: Partial<DeviceConfig>): Promise<{ device: ApiDevice; applied: 'immediate' | 'on_next_start' }> {
    const e = this.entry(id);
    this.notFromPage(e, 'configure');
    const next = this.merged(e, config);
    if (!e.acq) {
      e.device.config = next;
      return { device: this.view(e), applied: 'on_next_start' };
    }
    const cur = e.device.config;
    const restart = next.sampleRateHz !== cur.sampleRateHz || next.channels.join() !== cur.channels.join();
    if (restart) {
      // Rate and channel selection take a restart of acquisition: kept for the next start.
      e.pending = next;
      return { device: this.view(e), applied: 'on_next_start' };
    }
    if (next.gain !== cur.gain && next.gain !== null) await this.applyGain(e.acq, next.gain, e.channelCount);
    e.device.config = next;
    return { device: this.view(e), applied: 'immediate' };
  }

  async deviceCalibrate(id: string, parameters: Record<string, unknown>, performedBy = 'api'): Promise<ApiDevice> {
    const e = this.entry(id);
    const t = Date.now();
    e.device.calibration = { timestampMs: t, parameters: structuredClone(parameters), validUntilMs: t + 24 * 3600_000, performedBy };
    return this.view(e);
  }

  // ------------------------------------------------------------------------------------------
  // Measurements

  /** The last `seconds` of a device's ring (time order), oldest first. Allocates. */
  private window(acq: Acquisition, seconds: number): { samples: Float32Array; frames: number } {
    const C = acq.descriptor.channels.length;
    const n = Math.max(2, Math.round((acq.descriptor.sampleRateHz || 40) * seconds));
    const samples = new Float32Array(n * C);
    const frames = new RingReader(acq.ring, { from: 'oldest' }).peekLatest(n, samples, new Float64Array(n));
    return { samples, frames };
  }

  async deviceSignalQuality(id: string): Promise<ChannelQualityReport[]> {
    const e = this.entry(id);
    const acq = e.acq;
    if (!acq) throw new DeviceFailure('STREAM_UNAVAILABLE', `Device '${id}' is not streaming; start its stream to measure signal quality`, { resource_id: id });
    const d = acq.descriptor;
    const C = d.channels.length;
    const { samples, frames } = this.window(acq, QUALITY_WINDOW_SECONDS);
    const kind = e.device.kind;
    const fullScale = d.kind === 'eeg' && kind !== 'synthetic' && kind !== 'playback' && !e.device.simulated ? eegFullScaleUv(kind, e.device.config.gain ?? 24) : Infinity;
    return e.device.config.channels.filter((n) => n <= C).map((n) => {
      const q = channelQuality(samples, frames, C, n - 1, d.sampleRateHz || 40, { fullScale });
      const missing = frames > 0 ? q.missing / frames : 1;
      let score = 1 - missing;
      if (q.railed) score *= 0.1;
      if (q.flat) score = 0;
      if (q.noisy) score *= 0.5;
      score = Math.max(0, Math.min(1, score));
      const lineRms = Number.isFinite(q.lineNoise) ? q.lineNoise / Math.SQRT2 : NaN;
      const snrDb = Number.isFinite(q.std) && lineRms > 0 ? 20 * Math.log10(q.std / lineRms) : null;
      return {
        number: n,
        label: d.channels[n - 1].label,
        quality: Math.round(score * 1000) / 1000,
        status: score >= 0.8 ? 'good' : score >= 0.5 ? 'fair' : 'poor',
        stdUv: Number.isFinite(q.std) ? q.std : null,
        railed: q.railed,
        flat: q.flat,
        lineNoiseUv: Number.isFinite(q.lineNoise) ? q.lineNoise : null,
        snrDb,
      };
    });
  }

  async deviceImpedance(id: string): Promise<DeviceImpedance> {
    const e = this.entry(id);
    if (!e.device.capabilities.impedanceCheck || e.device.simulated)
      throw new DeviceFailure('NOT_SUPPORTED', `${e.device.name}${e.device.simulated ? ' (simulated)' : ''} cannot measure electrode impedance; the OpenBCI Cyton, Cyton+Daisy and Ganglion can`, { resource_id: id });
    const acq = e.acq;
    if (!acq?.spec?.impedance || !acq.send) throw new DeviceFailure('DEVICE_OFFLINE', `Device '${id}' must be streaming to measure impedance; start its stream first`, { resource_id: id });
    const imp = acq.spec.impedance;
    const settle = this.o.impedanceSettleMs ?? 1000;
    const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
    for (const cmd of imp.on) await acq.send(cmd);
    let ohms: (number | null)[];
    let labels: string[];
    try {
      await sleep(settle);
      const d = acq.descriptor;
      if (imp.method === 'leadoff-tone') {
        const C = d.channels.length;
        const { samples, frames } = this.window(acq, Math.max(0.5, Math.min(2, settle / 1000)));
        labels = d.channels.map((c) => c.label);
        ohms = labels.map((_, ch) => {
          const z = leadOffImpedanceOhms(toneAmplitude(samples, frames, C, ch, d.sampleRateHz, CYTON_LEADOFF_HZ));
          return Number.isFinite(z) ? Math.round(z) : null;
        });
      } else {
        const rep = acq.reportedImpedance();
        const s = acq.spec.descriptor.streams.find((x) => x.id.endsWith('.impedance'));
        labels = s ? s.channels.map((c) => c.label.replace(/_impedance$/, '')) : [];
        ohms = labels.map((_, i) => (rep && Number.isFinite(rep[i]) ? rep[i] : null));
      }
    } finally {
      for (const cmd of imp.off) await acq.send(cmd).catch(() => undefined);
    }
    return { deviceId: id, labels, ohms, timestampMs: Date.now() };
  }

  async deviceHealth(id?: string): Promise<DeviceHealth[]> {
    const list = id === undefined ? [...this.entries.values()] : [this.entry(id)];
    const t = this.clock();
    return list.map((e) => {
      const acq = e.acq;
      const up = e.connectedAtMs === null ? 0 : (t - e.connectedAtMs) / 1000;
      const frames = acq?.frames() ?? 0;
      const streamSeconds = acq ? (t - acq.startedAtMs) / 1000 : 0;
      const status: DeviceHealth['status'] = !e.device.connected ? (e.device.status === 'error' ? 'unhealthy' : 'offline') : e.device.status === 'error' ? 'unhealthy' : (acq?.lost() ?? 0) > 0 ? 'degraded' : 'healthy';
      return {
        deviceId: e.device.id,
        status,
        connected: e.device.connected,
        streaming: e.device.streaming,
        uptimeSeconds: up,
        dataRateHz: streamSeconds > 0 ? frames / streamSeconds : 0,
        framesReceived: frames,
        lostFrames: acq?.lost() ?? 0,
        reconnects: acq?.reconnects() ?? 0,
        batteryPercent: acq?.battery() ?? null,
        lastError: e.device.lastError,
      };
    });
  }

  async deviceDiscover(): Promise<DiscoveredDevice[]> {
    const out: DiscoveredDevice[] = [{ kind: 'synthetic', name: 'Synthetic EEG', protocol: 'virtual', label: 'generator' }];
    for (const g of (await this.o.hardware?.granted().catch(() => [])) ?? []) out.push({ kind: g.kind, name: deviceDescriptor(g.kind)!.name, protocol: g.transportKind, label: g.label });
    return out;
  }

  async deviceStream(id: string): Promise<DeviceStreamInfo> {
    const e = this.entry(id);
    const acq = e.acq;
    if (!acq) throw new DeviceFailure('STREAM_UNAVAILABLE', `Device '${id}' is not streaming; start its stream first`, { resource_id: id });
    return { deviceId: id, streamId: acq.streamId, descriptor: acq.descriptor, buffer: acq.ring.buffer, channels: [...e.device.config.channels], startedAtMs: acq.startedAtMs };
  }

  async deviceEvents(afterSeq: number, waitMs: number): Promise<DeviceEvent[]> {
    const pick = () => this.events.filter((ev) => ev.seq > afterSeq);
    let got = pick();
    if (got.length || waitMs <= 0) return got;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, waitMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
    got = pick();
    return got;
  }

  /** Tests (timers off): make every running synthetic / playback driver produce what is due. */
  pump(): void {
    for (const e of this.entries.values()) e.acq?.pump?.();
  }

  /** Stops every acquisition the hub started (page unload, tests); the pages' own streams are theirs. */
  async close(): Promise<void> {
    for (const e of this.entries.values()) if (e.acq && !e.page) await this.stopAcq(e);
  }
}
