// The Devices page's state: browser support, the chosen device and transport, the connection's
// status (connecting / streaming / reconnecting n / failed), live stats (achieved vs nominal rate,
// dropped samples, battery) and per-channel signal quality. Main thread only; wraps clients/devices.ts
// (boards) and clients/lsl-device.ts (an LSL stream, read in the API worker through the bridge) and feeds
// the app's one acquisition (state/acquisition.svelte.ts, which also records). No decoding here.
import { acquisition } from './acquisition.svelte';
import { browserSupport, chooseTransport, DeviceConnection, driverSpec, SUPPORTED_DEVICES, WorkerSerialConnection, type DeviceLiveStats, type LiveDevice } from '../clients/devices';
import { SerialTransport } from '../devices/transports/serial';
import type { StreamDescriptor } from '../core/stream';
import type { DeviceDescriptor, DeviceId, TransportKind } from '../devices/descriptor';
import { channelQuality, CYTON_LEADOFF_HZ, eegFullScaleUv, leadOffImpedanceOhms, toneAmplitude, type ChannelQuality } from '../devices/quality';
import type { SessionStatus } from '../devices/session';
import { TransportError, type TransportErrorCode } from '../devices/transports/types';
import { app } from './app.svelte';
import { LslDeviceConnection } from '../clients/lsl-device';
import type { LslConnection } from '../api/lsl-devices';
import { LSL_NEEDS_BRIDGE, lslQueryFor } from '../devices/drivers/lsl/driver';

export interface ConnectError {
  code: TransportErrorCode | 'other';
  title: string;
  message: string;
}

const ERROR_TITLES: Record<TransportErrorCode | 'other', string> = {
  unsupported: 'Not available in this browser',
  'permission-denied': 'No device chosen or permission denied',
  'port-busy': 'The port is busy',
  'wrong-device': 'Wrong device',
  'unknown-firmware': 'Unknown firmware',
  'not-found': 'Device not reachable',
  io: 'Connection failed',
  other: 'Connection failed',
};

export function describeError(e: unknown): ConnectError {
  const code: TransportErrorCode | 'other' = e instanceof TransportError ? e.code : 'other';
  return { code, title: ERROR_TITLES[code], message: (e as Error)?.message ?? String(e) };
}

class DevicesState {
  support = $state(browserSupport());
  devices: readonly DeviceDescriptor[] = SUPPORTED_DEVICES;
  selectedId = $state<DeviceId>('openbci-cyton');
  transportKind = $state<TransportKind>('serial');
  status = $state<SessionStatus>({ state: 'idle' });
  error = $state<ConnectError | null>(null);
  descriptor = $state<StreamDescriptor | null>(null);
  deviceLabel = $state('');
  stats = $state<DeviceLiveStats | null>(null);
  /** Frames per second of the primary stream over the last stats interval. */
  achievedRateHz = $state(0);
  quality = $state<ChannelQuality[]>([]);
  gapEvents = $state(0);
  /** Impedance check running (lead-off current on / Ganglion impedance mode). */
  impedanceOn = $state(false);
  /** Ohms per channel from the lead-off tone (Cyton), while the check runs. */
  leadOffOhms = $state<number[] | null>(null);
  private connection = $state.raw<LiveDevice | null>(null);
  /** Where the driver runs: the io worker (serial, when it can see the port), this page, or the bridge (LSL). */
  where = $state<'page' | 'worker' | 'bridge' | null>(null);
  /** While an LSL stream feeds the acquisition: its name and what its link says (lost and waiting / back / given up). */
  lsl = $state<{ name: string; state: LslConnection['state']; message: string | null } | null>(null);
  /** "LSL stream" is chosen in the device list: Connect resolves the stream these fields name. */
  lslChosen = $state(false);
  lslFields = $state({ name: '', type: 'EEG', sourceId: '' });
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastCount = 0;
  private lastTickMs = 0;
  /** The app's one acquisition, which this page's board feeds while connected. */
  get acq() {
    return acquisition.client;
  }

  /** The recording of the app's acquisition, while this page's board feeds it. */
  get recording() {
    return this.active ? acquisition.recording : null;
  }

  /** An fNIRS device (HEGduino, Blueberry): what the one acquisition's filtered view shows, while this page's board feeds it. */
  get fnirsView() {
    return this.active ? acquisition.fnirsView : null;
  }

  /** An fNIRS device's channel quality, while this page's board feeds the acquisition. */
  get fnirsQuality() {
    return this.active ? acquisition.fnirsQuality : null;
  }

  /** A reconnection re-runs the handshake (Cyton soft reset): any impedance check has ended. */
  private setStatus(s: SessionStatus): void {
    this.status = s;
    if (s.state === 'reconnecting') {
      this.impedanceOn = false;
      this.leadOffOhms = null;
    }
  }

  get selected(): DeviceDescriptor {
    return this.devices.find((d) => d.id === this.selectedId) ?? this.devices[0];
  }

  get active(): boolean {
    return this.connection !== null;
  }

  /** Transports this device can use that this browser offers. */
  available(d: DeviceDescriptor): TransportKind[] {
    return d.transports.filter((k) => (k === 'serial' ? this.support.serial : k === 'usb' ? this.support.usb : this.support.bluetooth));
  }

  select(id: DeviceId): void {
    if (this.active) return;
    this.lslChosen = false;
    this.selectedId = id;
    const d = this.selected;
    this.transportKind = this.available(d)[0] ?? d.transports[0];
    this.error = null;
  }

  /** Must run from a click handler: the chooser needs the user gesture. */
  async connect(): Promise<void> {
    if (this.active) return;
    const d = this.selected;
    this.error = null;
    this.status = { state: 'connecting' };
    await acquisition.claimForDevice(d.name, {
      // A worker that cannot see the port is handled by falling back to the page.
      onError: () => this.connection instanceof WorkerSerialConnection && this.status.state === 'connecting',
      onDeviceStatus: (s) => {
        if (this.connection instanceof WorkerSerialConnection) this.setStatus(s as SessionStatus);
      },
      onDeviceLiveStats: (s) => {
        if (this.connection instanceof WorkerSerialConnection) this.connection.update(s);
      },
    });
    try {
      const transport = await chooseTransport(d, this.transportKind);
      this.deviceLabel = transport.label;
      const spec = driverSpec(d.id, this.transportKind);
      const eeg = spec.primaryStream({}).kind === 'eeg';
      const filter = { bandHz: eeg ? ([1, 40] as [number, number]) : null, notchHz: eeg ? (50 as const) : null };
      let started = false;
      if (transport instanceof SerialTransport) {
        // Serial: read in the io worker when it can see the granted port; else on this page.
        const w = new WorkerSerialConnection(spec, this.acq);
        this.connection = w;
        this.descriptor = w.primary;
        try {
          await w.start(transport.portInfo, filter);
          started = true;
          this.where = 'worker';
        } catch (e) {
          await this.acq.stop();
          this.connection = null;
          const code = (e as { code?: string }).code;
          if (code !== 'not-found' && code !== 'unsupported') throw new TransportError((code ?? 'io') as TransportErrorCode, (e as Error).message);
        }
      }
      if (!started) {
        const conn = new DeviceConnection(spec, transport, {
          onStatus: (s) => this.setStatus(s),
          onGap: () => this.gapEvents++,
        });
        this.connection = conn;
        this.descriptor = conn.primary;
        await conn.start(this.acq, filter);
        this.where = 'page';
      }
      this.streamingStarted();
    } catch (e) {
      this.failed(e);
    }
  }

  /** The device streams into the acquisition: publish it and tick its stats. */
  private streamingStarted(): void {
    this.status = this.status.state === 'connecting' ? { state: 'streaming', reconnects: 0 } : this.status;
    // NeuroPype executions through the API (LSLInput) read this device too.
    app.publishStreams(this.acq.sharedStreams());
    this.lastCount = 0;
    this.lastTickMs = performance.now();
    this.timer = setInterval(() => this.tick(), 1000);
  }

  private failed(e: unknown): void {
    this.connection = null;
    this.descriptor = null;
    this.lsl = null;
    acquisition.releaseDevice();
    this.error = describeError(e);
    this.status = { state: 'failed', message: this.error.message, code: this.error.code };
  }

  /** Chooses "LSL stream" as the kind of device to connect (by name, type or source id). */
  chooseLsl(): void {
    if (this.active) return;
    this.lslChosen = true;
    this.error = null;
  }

  /** Connect with "LSL stream" chosen: the stream the fields name. */
  async connectChosenLsl(): Promise<void> {
    const query = lslQueryFor($state.snapshot(this.lslFields));
    if (!query) {
      this.error = { code: 'other', title: 'Which LSL stream?', message: 'Give its name, type or source id (as its outlet announces it), or pick it from the LSL streams the bridge finds.' };
      return;
    }
    await this.connectLsl(query, this.lslFields.name.trim() || query);
  }

  /**
   * An LSL stream (the query LSL resolves it by, as the LSL panel lists it) becomes the acquisition's
   * device: the API worker, which holds the bridge socket, reads it into a ring; this page shows and
   * records it from there. A marker stream stays connected to the marker bus instead.
   */
  async connectLsl(query: string, name = query): Promise<void> {
    if (this.active) {
      app.notify('info', `${this.deviceLabel} is connected: disconnect it first (the app runs one acquisition at a time).`);
      return;
    }
    this.error = null;
    const seam = app.lslDevices();
    if (!seam) {
      this.failed(new Error(LSL_NEEDS_BRIDGE));
      return;
    }
    this.status = { state: 'connecting' };
    this.deviceLabel = `LSL stream ${name}`;
    await acquisition.claimForDevice(this.deviceLabel, { onError: () => false });
    let opened: Awaited<ReturnType<typeof LslDeviceConnection.open>> | null = null;
    try {
      opened = await LslDeviceConnection.open(seam, query, { onState: (now, before) => void this.lslStateChanged(now, before) });
      if ('markers' in opened) {
        acquisition.releaseDevice();
        this.status = { state: 'idle' };
        app.notify('info', `The LSL marker stream ${opened.markers.stream.name} is connected: its markers land on the marker bus and are recorded with the running stream.`);
        return;
      }
      const d = opened.primary;
      this.lsl = { name: d.name, state: 'streaming', message: null };
      this.deviceLabel = `LSL stream ${d.name} (${d.channels.length} ch${d.sampleRateHz ? ` @ ${d.sampleRateHz} Hz` : ', irregular'})`;
      this.connection = opened;
      this.descriptor = d;
      const eeg = d.kind === 'eeg';
      opened.start(this.acq, { bandHz: eeg ? [1, 40] : null, notchHz: eeg ? 50 : null });
      this.where = 'bridge';
      this.streamingStarted();
    } catch (e) {
      // Connected in the worker but not started here: close its inlet too.
      if (opened instanceof LslDeviceConnection) await opened.stop();
      this.failed(e);
    }
  }

  private async lslStateChanged(now: LslConnection | null, before: LslConnection): Promise<void> {
    if (!this.lsl) return;
    if (!now) {
      app.notify('info', `The LSL stream ${before.stream.name} was disconnected elsewhere (through the API).${this.recording ? ' Its recording was stopped and kept.' : ''}`);
      await this.disconnect();
    } else if (now.state === 'waiting') this.lsl = { ...this.lsl, state: 'waiting', message: 'LSL stream lost — waiting for it to return' };
    else if (now.state === 'streaming') this.lsl = { ...this.lsl, state: 'streaming', message: `LSL stream back${now.frames_lost > before.frames_lost ? ` — ${now.frames_lost - before.frames_lost} samples missing, marked as a gap` : ''}` };
    else {
      // The driver's words: "the LSL stream was lost: <why>" (no recovery without a source id, or the bridge went away).
      const why = now.detail ?? 'the LSL stream was lost';
      this.lsl = { ...this.lsl, state: 'lost', message: `${why[0].toUpperCase()}${why.slice(1)}; it will not come back by itself. Disconnect, then connect it again once its outlet and the bridge run` };
    }
  }

  private tick(): void {
    const c = this.connection;
    if (!c) return;
    const s = c.stats();
    const t = performance.now();
    this.achievedRateHz = ((s.framesReceived - this.lastCount) * 1000) / Math.max(1, t - this.lastTickMs);
    this.lastCount = s.framesReceived;
    this.lastTickMs = t;
    this.stats = s;
    const w = c.quality.ordered();
    const d = c.primary;
    const fullScale = d.kind === 'eeg' && c.spec ? eegFullScaleUv(c.spec.descriptor.id) : Infinity;
    const out: ChannelQuality[] = [];
    for (let ch = 0; ch < c.quality.channels; ch++) out.push(channelQuality(w.samples, w.frames, c.quality.channels, ch, d.sampleRateHz || 40, { fullScale }));
    this.quality = out;
    if (this.impedanceOn && c.spec?.impedance?.method === 'leadoff-tone' && d.sampleRateHz > 0) {
      const ohms: number[] = [];
      for (let ch = 0; ch < c.quality.channels; ch++) ohms.push(leadOffImpedanceOhms(toneAmplitude(w.samples, w.frames, c.quality.channels, ch, d.sampleRateHz, CYTON_LEADOFF_HZ)));
      this.leadOffOhms = ohms;
    }
  }

  /** The device can measure electrode impedance. */
  get canCheckImpedance(): boolean {
    return !!this.connection?.spec?.impedance;
  }

  /** Start or stop the impedance check (commands from the driver spec). */
  async toggleImpedance(): Promise<void> {
    const c = this.connection;
    const imp = c?.spec?.impedance;
    if (!c || !imp) return;
    const on = !this.impedanceOn;
    try {
      for (const cmd of on ? imp.on : imp.off) await c.send(cmd);
      this.impedanceOn = on;
      if (!on) this.leadOffOhms = null;
    } catch (e) {
      app.notify('error', `Impedance check: ${(e as Error).message}`);
    }
  }

  /** Impedances to show: measured from the lead-off tone, or reported by the device. */
  get impedanceOhms(): number[] | null {
    if (!this.impedanceOn) return null;
    return this.leadOffOhms ?? this.stats?.impedanceOhms ?? null;
  }

  async disconnect(): Promise<void> {
    const c = this.connection;
    if (!c) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.stopRecording();
    await c.stop();
    await this.acq.stop();
    app.publishStreams([]);
    acquisition.releaseDevice();
    this.connection = null;
    this.where = null;
    this.lsl = null;
    this.impedanceOn = false;
    this.leadOffOhms = null;
    this.descriptor = null;
    this.status = { state: 'idle' };
    this.quality = [];
    this.achievedRateHz = 0;
  }

  async stopRecording(): Promise<void> {
    if (this.recording) await acquisition.stopRecording();
  }

  get reader() {
    return this.acq.filteredReader;
  }
}

export const devices = new DevicesState();
