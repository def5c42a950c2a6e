// Real devices on this page: what the browser offers, the choosers (user gesture), the driver +
// session per device, and the glue that feeds the primary stream into an Acquisition (ring →
// filter chain → live view / recorder) with gap markers on the marker bus, and its regular-rate
// side streams (accelerometer, PPG…) into rings of their own (recorder, API). Main thread only; no
// Svelte. Hot path: `onFrames` (per chunk/notification): one ring push and one copy into the
// quality window, no allocation.
import type { Acquisition } from './acquisition';
import type { StreamDescriptor } from '../core/stream';
import type { DeviceDescriptor, DeviceId, DriverFrames, DriverGap, TransportKind } from '../devices/descriptor';
import { DEVICE_DESCRIPTORS } from '../devices/drivers/registry';
import { DeviceSession, type BackoffOptions, type SessionStatus } from '../devices/session';
import { gapMarker } from '../devices/timing/counter-tracker';
import { BluetoothTransport, webBluetooth } from '../devices/transports/bluetooth';
import { FtdiTransport, webUsb } from '../devices/transports/ftdi';
import { SerialTransport, webSerial } from '../devices/transports/serial';
import { TransportDriver, type DriverSpec } from '../devices/transports/transport-driver';
import { driverSpec } from '../devices/transports/driver-specs';

export { driverSpec };
import { classifyDomError, TransportError, type DeviceTransport } from '../devices/transports/types';
import { publishMarkers } from '../streams/marker-bus';
import type { FilterSettings, IoDeviceStats } from '../../../workers/protocol';
import type { FrameWriter } from '../../../workers/ring-endpoints';

export interface BrowserSupport {
  serial: boolean;
  bluetooth: boolean;
  usb: boolean;
  /** Linux desktop Chromium: Web Bluetooth needs a flag there. */
  linux: boolean;
  secureContext: boolean;
}

export function browserSupport(): BrowserSupport {
  const ua = globalThis.navigator?.userAgent ?? '';
  return {
    serial: webSerial() !== undefined,
    bluetooth: webBluetooth() !== undefined,
    usb: webUsb() !== undefined,
    linux: /Linux/.test(ua) && !/Android/.test(ua),
    secureContext: globalThis.isSecureContext === true,
  };
}

export const SUPPORTED_DEVICES: readonly DeviceDescriptor[] = DEVICE_DESCRIPTORS;

/**
 * Opens the browser's chooser for a device (call it first thing in a click handler: the user
 * gesture is consumed by the first await). Serial/USB: the port filtered by the descriptor's USB
 * ids; BLE: name prefixes and the services the driver needs.
 */
export async function chooseTransport(d: DeviceDescriptor, kind: TransportKind): Promise<DeviceTransport> {
  if (kind === 'serial') {
    const serial = webSerial();
    if (!serial || !d.serial) throw new TransportError('unsupported', 'this browser has no Web Serial (use desktop Chrome or Edge; on Android choose USB)');
    const filters = d.serial.usbFilters.map((f) => ({ ...f }));
    const port = await serial.requestPort(filters.length ? { filters } : {}).catch((e) => {
      throw classifyDomError(e, 'choosing a serial port');
    });
    return new SerialTransport(serial, port, d.serial);
  }
  if (kind === 'usb') {
    const usb = webUsb();
    if (!usb || !d.serial) throw new TransportError('unsupported', 'this browser has no WebUSB');
    const filters = d.serial.usbFilters.map((f) => ({ vendorId: f.usbVendorId, productId: f.usbProductId }));
    const dev = await usb.requestDevice({ filters }).catch((e) => {
      throw classifyDomError(e, 'choosing a USB device');
    });
    if (dev.vendorId !== 0x0403) throw new TransportError('wrong-device', `${dev.productName ?? 'that device'} is not an FTDI adapter (the OpenBCI dongle is FTDI 0403:6015)`);
    return new FtdiTransport(usb, dev, d.serial);
  }
  const bt = webBluetooth();
  const facts = d.bluetooth;
  if (!bt || !facts) throw new TransportError('unsupported', 'this browser has no Web Bluetooth (on Linux enable chrome://flags/#enable-experimental-web-platform-features)');
  const spec = driverSpec(d.id, 'bluetooth');
  const device = await bt
    .requestDevice({ filters: facts.namePrefixes.map((namePrefix) => ({ namePrefix })), optionalServices: [facts.serviceUuid, ...facts.optionalServiceUuids] })
    .catch((e) => {
      throw classifyDomError(e, 'choosing a Bluetooth device');
    });
  return new BluetoothTransport(device, { serviceUuid: facts.serviceUuid, notify: spec.bluetooth?.notify ?? [], write: spec.bluetooth?.write });
}

/**
 * The device's streams recorded beside the primary one: the regular-rate ones (accelerometer, PPG,
 * …). Irregular telemetry (battery, rate 0) only feeds the status line (EDF/BDF need regular rates).
 */
export function sideStreams(spec: DriverSpec, primary: StreamDescriptor): StreamDescriptor[] {
  return spec.descriptor.streams.filter((d) => d.id !== primary.id && d.sampleRateHz > 0);
}

/** Rolling window of the primary stream for quality metrics (fixed size, no allocation per push). */
export class QualityWindow {
  readonly data: Float32Array;
  private write = 0;
  filled = 0;
  constructor(
    readonly frames: number,
    readonly channels: number,
  ) {
    this.data = new Float32Array(frames * channels);
  }
  push(samples: Float32Array, frames: number, channelCount: number): void {
    const C = this.channels;
    for (let f = 0; f < frames; f++) {
      const o = this.write * C;
      for (let c = 0; c < C; c++) this.data[o + c] = c < channelCount ? samples[f * channelCount + c] : NaN;
      this.write = (this.write + 1) % this.frames;
    }
    this.filled = Math.min(this.frames, this.filled + frames);
  }
  /** The window in time order (oldest first); allocates (call ~1/s). */
  ordered(): { samples: Float32Array; frames: number } {
    const C = this.channels;
    const n = this.filled;
    const out = new Float32Array(n * C);
    const start = (this.write - n + this.frames) % this.frames;
    for (let f = 0; f < n; f++) out.set(this.data.subarray(((start + f) % this.frames) * C, ((start + f) % this.frames) * C + C), f * C);
    return { samples: out, frames: n };
  }
}

export interface DeviceConnectionEvents {
  onStatus(s: SessionStatus): void;
  onGap?(g: DriverGap): void;
}

/** Counters before the first report. */
const NO_STATS: IoDeviceStats = {
  framesReceived: 0, gaps: 0, lostFrames: 0, lostFramesAllStreams: 0, resyncs: 0,
  bytesDiscarded: 0, malformedPackets: 0, unknownPackets: 0, reconnects: 0,
};

/** What the Devices page shows: the counters plus battery and impedance where the device reports them. */
export interface DeviceLiveStats extends IoDeviceStats {
  /** Last value of a battery channel (%), if the device reports one. */
  batteryPercent: number | null;
  /** Last impedance per channel (ohms), if the device reports them (Ganglion `z`). */
  impedanceOhms: number[] | null;
}

/** What the Devices page needs from a connected device, wherever its driver runs. */
export interface LiveDevice {
  /** Where its driver runs: this page, the io worker, or the bridge (an LSL stream, clients/lsl-device.ts). */
  readonly where: 'page' | 'worker' | 'bridge';
  /** The board's driver spec; none for an LSL stream. */
  readonly spec?: DriverSpec;
  readonly primary: StreamDescriptor;
  readonly quality: QualityWindow;
  stats(): DeviceLiveStats;
  /** Write a command to the device (gain tracking sees it). */
  send(command: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A serial device whose driver runs in the io worker (Acquisition.startSerialDevice): status and
 * counters arrive as messages; the quality window is filled from the raw ring on the page.
 */
export class WorkerSerialConnection implements LiveDevice {
  readonly where = 'worker' as const;
  readonly primary: StreamDescriptor;
  readonly quality: QualityWindow;
  private last: IoDeviceStats | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly buf: Float32Array;
  private readonly ts: Float64Array;

  constructor(
    readonly spec: DriverSpec,
    private readonly acq: Acquisition,
  ) {
    this.primary = spec.primaryStream({});
    this.quality = new QualityWindow(Math.max(64, Math.round((this.primary.sampleRateHz || 40) * 2)), this.primary.channels.length);
    this.buf = new Float32Array(256 * this.primary.channels.length);
    this.ts = new Float64Array(256);
  }

  /** Resolves once the worker streams; rejects (with `code`) when it cannot open the port. */
  async start(port: { usbVendorId?: number; usbProductId?: number }, filter: FilterSettings): Promise<void> {
    await this.acq.startSerialDevice(this.spec.descriptor.id, port, this.primary, filter, sideStreams(this.spec, this.primary));
    const reader = this.acq.rawReader;
    const C = this.primary.channels.length;
    this.timer = setInterval(() => {
      if (!reader) return;
      for (;;) {
        const r = reader.read(256, this.buf, this.ts);
        if (r.frames === 0) break;
        this.quality.push(this.buf, r.frames, C);
      }
    }, 250);
  }

  async send(command: string): Promise<void> {
    this.acq.sendDeviceCommand(command);
  }

  /** Counters from the worker (Acquisition events.onDeviceLiveStats). */
  update(s: IoDeviceStats): void {
    this.last = s;
  }

  stats(): DeviceLiveStats {
    return { ...(this.last ?? NO_STATS), batteryPercent: null, impedanceOhms: null };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // Let the worker send the stop command and close the port before it is terminated.
    await this.acq.stopRecording();
    await this.acq.stopDeviceGracefully();
    await this.acq.stop();
  }
}

/** One connected device feeding an Acquisition, its driver on this page. */
export class DeviceConnection implements LiveDevice {
  readonly where = 'page' as const;
  readonly driver: TransportDriver;
  readonly session: DeviceSession;
  readonly primary: StreamDescriptor;
  readonly quality: QualityWindow;
  private writer: FrameWriter | null = null;
  /** The device's other streams (recorded and published with the primary one), by stream id. */
  private sideWriters = new Map<string, { writer: FrameWriter; channels: number }>();
  private scratch: Float32Array;
  private batteryPercent: number | null = null;
  private impedanceOhms: number[] | null = null;
  /** Frames pushed into the ring. */
  framesWritten = 0;
  private primaryGaps = 0;
  private primaryLost = 0;

  constructor(
    readonly spec: DriverSpec,
    readonly transport: DeviceTransport,
    private readonly events: DeviceConnectionEvents,
    backoff?: Partial<BackoffOptions>,
  ) {
    this.driver = new TransportDriver(spec, transport);
    this.primary = spec.primaryStream({});
    const C = this.primary.channels.length;
    this.quality = new QualityWindow(Math.max(64, Math.round((this.primary.sampleRateHz || 40) * 2)), C);
    this.scratch = new Float32Array(C * 64);
    this.session = new DeviceSession(this.driver, { onFrames: (f) => this.onFrames(f), onGap: (g) => this.onGap(g), onStatus: (s) => events.onStatus(s) }, { backoff });
  }

  /** Connect and stream into a new raw ring of `acq` (filter chain included). */
  async start(acq: Acquisition, filter: FilterSettings): Promise<void> {
    this.writer = acq.startExternal(this.primary, filter, `device:${this.spec.descriptor.id}`, this.primary.sampleRateHz || 40);
    for (const d of sideStreams(this.spec, this.primary)) {
      const w = acq.addSideStream(d);
      if (w) this.sideWriters.set(d.id, { writer: w, channels: d.channels.length });
    }
    try {
      await this.session.start();
    } catch (e) {
      this.writer = null;
      this.sideWriters.clear();
      await acq.stop();
      throw e;
    }
  }

  async send(command: string): Promise<void> {
    await this.driver.send(command);
  }

  async stop(): Promise<void> {
    await this.session.stop();
    this.writer = null;
    this.sideWriters.clear();
  }

  /** Hot path: frames of any stream from the driver. */
  private onFrames(f: DriverFrames): void {
    if (f.streamId !== this.primary.id) {
      this.side(f);
      return;
    }
    const C = this.primary.channels.length;
    let samples = f.samples;
    if (f.channelCount !== C) {
      // A packet type with a subset of the channels (Athena 4- vs 8-channel EEG): pad with NaN.
      if (this.scratch.length < f.frames * C) this.scratch = new Float32Array(f.frames * C);
      for (let i = 0; i < f.frames; i++)
        for (let c = 0; c < C; c++) this.scratch[i * C + c] = c < f.channelCount ? f.samples[i * f.channelCount + c] : NaN;
      samples = this.scratch;
    }
    this.writer?.push(samples, f.timestampsMs, f.frames);
    this.framesWritten += f.frames;
    this.quality.push(f.samples, f.frames, f.channelCount);
  }

  private side(f: DriverFrames): void {
    const d = this.spec.descriptor.streams.find((s) => s.id === f.streamId);
    if (!d || f.frames === 0) return;
    const w = this.sideWriters.get(f.streamId);
    if (w && w.channels === f.channelCount) w.writer.push(f.samples, f.timestampsMs, f.frames);
    const last = (f.frames - 1) * f.channelCount;
    const b = d.channels.findIndex((c) => c.label === 'battery');
    if (b >= 0) this.batteryPercent = f.samples[last + b];
    if (f.streamId.endsWith('.impedance')) this.impedanceOhms = Array.from(f.samples.subarray(last, last + f.channelCount));
  }

  private onGap(g: DriverGap): void {
    if (g.streamId === this.primary.id) {
      this.primaryGaps++;
      this.primaryLost += g.lostFrames;
    }
    if (g.streamId === this.primary.id) publishMarkers([gapMarker(g.streamId, g.timestampMs, g.lostFrames, this.primary.sampleRateHz)], 'device');
    this.events.onGap?.(g);
  }

  stats(): DeviceLiveStats {
    const c = this.driver.counters();
    return {
      framesReceived: this.session.framesReceived.get(this.primary.id) ?? 0,
      gaps: this.primaryGaps,
      lostFrames: this.primaryLost,
      lostFramesAllStreams: c.lostFrames,
      resyncs: c.resyncs,
      bytesDiscarded: c.bytesDiscarded,
      malformedPackets: c.malformedPackets,
      unknownPackets: c.unknownPackets,
      reconnects: this.session.reconnects,
      batteryPercent: this.batteryPercent,
      impedanceOhms: this.impedanceOhms,
    };
  }
}
