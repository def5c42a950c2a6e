// Owns the acquisition workers of one tab: io (device → raw ring), engine (raw → filtered ring) and
// recorder (rings → IndexedDB), and the rings between them. Main thread only; no Svelte.
// With SharedArrayBuffer the rings are shared; without it (not isolated) every consumer gets its
// own MessagePort and the transferable-buffer fallback of streams/ring.ts ("degraded").
import { Ring, RingReader, TransferRingReader, TransferRingWriter } from '../streams/ring';
import type { MarkerEvent, StreamDescriptor } from '../core/stream';
import { openDb } from '../storage/db';
import { createRecording } from '../storage/recordings';
import { publishMarkers } from '../core/markers';
import { syntheticFnirsChannels } from '../devices/drivers/synthetic-fnirs/generator';
import type { LiveFnirsQuality } from '../fnirs/live';
import type {
  EngineEvent, EngineRequest, FilterSettings, IoDeviceStats, IoDeviceStatus, IoEvent, IoRequest, PlaybackSettings, RecorderEvent, RecorderRequest, RingSink, RingSource, SyntheticFnirsSettings, SyntheticSettings,
} from '../../../workers/protocol';
import { openSink, type FrameWriter } from '../../../workers/ring-endpoints';

export interface AcquisitionEvents {
  onStreamStarted?(descriptor: StreamDescriptor): void;
  onStreamStopped?(): void;
  onDeviceStats?(s: { framesWritten: number; progress?: number }): void;
  onPlaybackFinished?(): void;
  /** The synthetic fNIRS device started a task block (its marker is on the bus already). */
  onTaskBlock?(marker: MarkerEvent): void;
  onEngineStats?(s: { framesProcessed: number; droppedFrames: number; resets: number }): void;
  /** An fNIRS stream: what the filtered view shows (engine/fnirs-view), then its quality once a second. */
  onFnirsView?(v: Extract<EngineEvent, { type: 'fnirs-view' }>): void;
  onFnirsQuality?(q: LiveFnirsQuality): void;
  onRecordingProgress?(p: { recordingId: string; frames: number; bytes: number; droppedFrames: number; markers: number }): void;
  onRecordingStopped?(s: { recordingId: string; reason: string; message?: string }): void;
  onError?(message: string): void;
  /** A real device read in the io worker (startSerialDevice): connection state and counters. */
  onDeviceStatus?(s: IoDeviceStatus): void;
  onDeviceLiveStats?(s: IoDeviceStats): void;
}

const RING_SECONDS = 20;

/** One ring between one producer and several consumers, shared or emulated with ports. */
class Link {
  readonly shared: Ring | null;
  private readonly ports: MessagePort[] = [];
  private readonly consumerPorts: MessagePort[] = [];
  constructor(readonly channels: number, readonly capacityFrames: number, isolated: boolean) {
    this.shared = isolated ? Ring.create({ channels, capacityFrames, shared: true }) : null;
  }
  /** A source for a consumer in a worker (call before sink()). */
  source(): RingSource {
    if (this.shared) return { kind: 'shared', buffer: this.shared.buffer as SharedArrayBuffer };
    const ch = new MessageChannel();
    this.ports.push(ch.port1);
    return { kind: 'port', port: ch.port2, channels: this.channels, capacityFrames: this.capacityFrames };
  }
  /** A reader for a consumer on this page. */
  pageReader(): RingReader {
    if (this.shared) return new RingReader(this.shared, { from: 'now' });
    const ch = new MessageChannel();
    this.ports.push(ch.port1);
    this.consumerPorts.push(ch.port2);
    return new TransferRingReader(ch.port2, { channels: this.channels, capacityFrames: this.capacityFrames, from: 'now' });
  }
  sink(): RingSink {
    if (this.shared) return { kind: 'shared', buffer: this.shared.buffer as SharedArrayBuffer };
    return { kind: 'ports', ports: this.ports.splice(0), channels: this.channels };
  }
  /** Transferables of a source/sink when posted to a worker. */
  static transfer(x: RingSource | RingSink): Transferable[] {
    if (x.kind === 'port') return [x.port];
    if (x.kind === 'ports') return x.ports;
    return [];
  }
}

export class Acquisition {
  readonly isolated: boolean;
  descriptor: StreamDescriptor | null = null;
  rawReader: RingReader | null = null;
  filteredReader: RingReader | null = null;
  recordingId: string | null = null;
  private io: Worker | null = null;
  private engine: Worker | null = null;
  private recorder: Worker | null = null;
  private raw: Link | null = null;
  private events: AcquisitionEvents;

  constructor(events: AcquisitionEvents = {}) {
    this.events = events;
    this.isolated = globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined';
  }

  get streaming(): boolean {
    return this.descriptor !== null;
  }

  /** Starts the synthetic device and the filter chain. Resolves once the first descriptor is known. */
  startSynthetic(settings: SyntheticSettings, filter: FilterSettings): Promise<StreamDescriptor> {
    return this.startDevice(settings.channels, settings.sampleRateHz, filter, (sink) => ({ type: 'start-synthetic', settings, sink }), 'synthetic');
  }

  /** Starts the synthetic fNIRS device (its stream carries its probe). */
  startSyntheticFnirs(settings: SyntheticFnirsSettings, filter: FilterSettings): Promise<StreamDescriptor> {
    return this.startDevice(syntheticFnirsChannels().length, settings.sampleRateHz, filter, (sink) => ({ type: 'start-synthetic-fnirs', settings, sink }), 'synthetic-fnirs');
  }

  /** Synthetic fNIRS: a task block of `seconds` now (refused while one runs or a schedule is set). */
  startTaskBlock(seconds: number): void {
    this.io?.postMessage({ type: 'fnirs-task-block', seconds } satisfies IoRequest);
  }

  /** Synthetic fNIRS: repeat rest then task (null: stop after the running block). */
  setTaskSchedule(schedule: { taskSeconds: number; restSeconds: number } | null): void {
    this.io?.postMessage({ type: 'fnirs-schedule', schedule } satisfies IoRequest);
  }

  /** Replays one stream of a stored recording as a device (markers included). */
  startPlayback(settings: PlaybackSettings, stream: StreamDescriptor, filter: FilterSettings): Promise<StreamDescriptor> {
    return this.startDevice(stream.channels.length, stream.sampleRateHz, filter, (sink) => ({ type: 'start-playback', settings, sink }), `playback:${settings.recordingId}`);
  }

  /**
   * A serial device (Web Serial) read by the io worker: the page has granted the port with
   * requestPort; the worker finds it with getPorts(), runs the driver, reconnects, and writes the
   * primary stream into the raw ring. Rejects with `code` "not-found"/"unsupported" when the worker
   * cannot see the port (then read it on the page instead).
   */
  async startSerialDevice(
    deviceId: string,
    port: { usbVendorId?: number; usbProductId?: number },
    primary: StreamDescriptor,
    filter: FilterSettings,
    sides: StreamDescriptor[] = [],
  ): Promise<StreamDescriptor> {
    // Side streams need shared rings (the worker writes them); degraded mode records the primary only.
    const links = this.isolated ? sides.map((d) => this.sideLink(d)) : [];
    const request = (sink: RingSink): IoRequest => ({ type: 'start-serial-device', deviceId, port, sink, sides: links.map((x) => ({ streamId: x.descriptor.id, sink: x.link.sink() })) });
    const descriptor = await this.startDevice(primary.channels.length, primary.sampleRateHz, filter, request, `device:${deviceId}`);
    this.sides.push(...links.map((x) => ({ ...x, writer: null })));
    return descriptor;
  }

  /**
   * Asks the io worker to stop its device (the driver's stop commands, port closed) and waits for
   * its "stopped" (at most `timeoutMs`); `stop()` afterwards terminates the workers.
   */
  stopDeviceGracefully(timeoutMs = 2000): Promise<void> {
    const io = this.io;
    if (!io) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        io.removeEventListener('message', onMessage);
        resolve();
      };
      const onMessage = (ev: MessageEvent<IoEvent>) => {
        if (ev.data.type === 'stopped') done();
      };
      const timer = setTimeout(done, timeoutMs);
      io.addEventListener('message', onMessage);
      io.postMessage({ type: 'stop' } satisfies IoRequest);
    });
  }

  /** A command for the device read in the io worker (startSerialDevice). */
  sendDeviceCommand(command: string): void {
    this.io?.postMessage({ type: 'device-command', command } satisfies IoRequest);
  }

  /** What is streaming: "synthetic", "synthetic-fnirs" or "playback:<recording id>". */
  source: string | null = null;

  private async startDevice(channels: number, sampleRateHz: number, filter: FilterSettings, request: (sink: RingSink) => IoRequest, source: string): Promise<StreamDescriptor> {
    if (this.io) throw new Error('a stream is already running: stop it first');
    const { raw, filtered, engineSource } = this.openLinks(channels, Math.max(1, sampleRateHz), source);
    this.io = new Worker(new URL('../../../workers/io.worker.ts', import.meta.url), { type: 'module', name: 'neurotab-io' });

    const descriptor = await new Promise<StreamDescriptor>((resolve, reject) => {
      this.io!.onmessage = (ev: MessageEvent<IoEvent>) => {
        const m = ev.data;
        if (m.type === 'started') resolve(m.descriptor);
        else if (m.type === 'device-status') this.events.onDeviceStatus?.(m.status);
        else if (m.type === 'device-stats') this.events.onDeviceLiveStats?.(m.stats);
        else if (m.type === 'error') {
          reject(Object.assign(new Error(m.message), { code: m.code }));
          this.events.onError?.(`Device: ${m.message}`);
        } else if (m.type === 'stats') this.events.onDeviceStats?.(m);
        else if (m.type === 'finished') this.events.onPlaybackFinished?.();
        else if (m.type === 'task-block') this.events.onTaskBlock?.(m.marker);
        else if (m.type === 'stopped') this.events.onStreamStopped?.();
      };
      this.io!.onerror = (e) => reject(new Error(`the device worker failed to start: ${e.message}`));
      const sink = raw.sink();
      this.io!.postMessage(request(sink), Link.transfer(sink));
    });
    this.descriptor = descriptor;
    this.startEngine(descriptor, engineSource, filtered, filter);
    this.events.onStreamStarted?.(descriptor);
    return descriptor;
  }

  /** The raw and filtered rings of a new stream, and this page's readers of them. */
  private openLinks(channels: number, capacityRateHz: number, source: string): { raw: Link; filtered: Link; engineSource: RingSource } {
    const capacity = Math.ceil(capacityRateHz * RING_SECONDS);
    const raw = new Link(channels, capacity, this.isolated);
    const filtered = new Link(channels, capacity, this.isolated);
    this.source = source;
    this.raw = raw;
    // Consumers first (fallback ports are created per consumer), producers last.
    this.rawReader = raw.pageReader();
    this.filteredReader = filtered.pageReader();
    return { raw, filtered, engineSource: raw.source() };
  }

  /** The engine worker: raw ring in, live filter chain (and user pipelines) out. */
  private startEngine(descriptor: StreamDescriptor, engineSource: RingSource, filtered: Link, filter: FilterSettings): void {
    this.engine = new Worker(new URL('../../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'neurotab-engine' });
    this.engine.onmessage = (ev: MessageEvent<EngineEvent>) => {
      const m = ev.data;
      if (m.type === 'stats') this.events.onEngineStats?.(m);
      else if (m.type === 'fnirs-view') this.events.onFnirsView?.(m);
      else if (m.type === 'fnirs-quality') this.events.onFnirsQuality?.(m.quality);
      else if (m.type === 'error') this.events.onError?.(`Engine: ${m.message}`);
      for (const l of this.engineListeners) l(m);
    };
    const sink = filtered.sink();
    const req: EngineRequest = { type: 'start', descriptor, source: engineSource, sink, filter };
    this.engine.postMessage(req, [...Link.transfer(engineSource), ...Link.transfer(sink)]);
  }

  /** Writer of a device driven from this page (startExternal), else null. */
  private external: FrameWriter | null = null;
  /**
   * The device's other streams (accelerometer, PPG…): raw rings only (shared), recorded and
   * published. Written on this page (`writer`) or in the io worker (`writer` null).
   */
  private sides: Array<{ descriptor: StreamDescriptor; link: Link; writer: FrameWriter | null }> = [];

  private sideLink(descriptor: StreamDescriptor, capacityRateHz = descriptor.sampleRateHz): { descriptor: StreamDescriptor; link: Link } {
    return { descriptor, link: new Link(descriptor.channels.length, Math.ceil(Math.max(50, capacityRateHz) * RING_SECONDS), true) };
  }

  /**
   * A side stream of the device driven from this page (after startExternal): frames pushed into the
   * returned writer are recorded with the primary stream and offered to the API's engine; they are
   * not filtered or shown. Needs shared memory: null in degraded mode (the side stream is dropped).
   */
  addSideStream(descriptor: StreamDescriptor, capacityRateHz = descriptor.sampleRateHz): FrameWriter | null {
    if (!this.external) throw new Error('side streams belong to a device driven from this page: start it first');
    if (!this.isolated) return null;
    const { link } = this.sideLink(descriptor, capacityRateHz);
    const writer = openSink(link.sink());
    this.sides.push({ descriptor, link, writer });
    return writer;
  }

  /**
   * A device driven from this page (Web Bluetooth, or Web Serial / WebUSB read on the page): no io
   * worker; the caller pushes frames into the returned writer (the raw ring) and the filter chain
   * and recorder work as for the other sources. `capacityRateHz` sizes the ring for irregular
   * streams (rate 0).
   */
  startExternal(descriptor: StreamDescriptor, filter: FilterSettings, source: string, capacityRateHz = descriptor.sampleRateHz): FrameWriter {
    if (this.io || this.descriptor) throw new Error('a stream is already running: stop it first');
    const { raw, filtered, engineSource } = this.openLinks(descriptor.channels.length, Math.max(50, capacityRateHz), source);
    this.startEngine(descriptor, engineSource, filtered, filter);
    this.descriptor = descriptor;
    this.external = openSink(raw.sink());
    this.events.onStreamStarted?.(descriptor);
    return this.external;
  }

  private relayTimer: ReturnType<typeof setInterval> | null = null;

  /**
   * The recorder's view of the raw stream: the shared ring itself, or (degraded) a relay that
   * forwards what this page receives to the recorder worker through a port.
   */
  private recorderSource(): RingSource {
    if (!this.raw || !this.rawReader) throw new Error('start a stream before recording');
    if (this.raw.shared) return this.raw.source();
    const local = new RingReader(this.rawReader.ring, { from: 'now' });
    const ch = new MessageChannel();
    const writer = new TransferRingWriter(ch.port1, { channels: this.raw.channels });
    const frames = Math.max(64, Math.ceil((this.descriptor?.sampleRateHz ?? 250) / 4));
    const s = new Float32Array(frames * this.raw.channels);
    const t = new Float64Array(frames);
    this.relayTimer = setInterval(() => {
      for (;;) {
        const r = local.read(frames, s, t);
        if (r.frames === 0) break;
        writer.push(s, t, r.frames);
      }
    }, 100);
    return { kind: 'port', port: ch.port2, channels: this.raw.channels, capacityFrames: this.raw.capacityFrames };
  }

  private stopRelay(): void {
    if (this.relayTimer) clearInterval(this.relayTimer);
    this.relayTimer = null;
  }

  /** The running device streams as shared rings (empty in degraded mode), for the API's engine. */
  sharedStreams(): Array<{ descriptor: StreamDescriptor; buffer: SharedArrayBuffer }> {
    if (!this.descriptor || !this.raw?.shared) return [];
    return [
      { descriptor: this.descriptor, buffer: this.raw.shared.buffer as SharedArrayBuffer },
      ...this.sides.map((x) => ({ descriptor: x.descriptor, buffer: x.link.shared!.buffer as SharedArrayBuffer })),
    ];
  }

  private readonly engineListeners = new Set<(e: EngineEvent) => void>();

  /** Every event of the engine worker (pipelines page); a synthetic {type:'stopped'} when the stream stops. */
  onEngineEvent(listener: (e: EngineEvent) => void): () => void {
    this.engineListeners.add(listener);
    return () => this.engineListeners.delete(listener);
  }

  /** Sends a request to the engine worker; false when no stream (hence no engine) is running. */
  sendToEngine(req: EngineRequest, transfer: Transferable[] = []): boolean {
    if (!this.engine) return false;
    this.engine.postMessage(req, transfer);
    return true;
  }

  /** An fNIRS stream's live view: the running short-channel regression on or off. */
  setFnirsShortChannelRegression(on: boolean): void {
    this.sendToEngine({ type: 'set-fnirs', shortChannelRegression: on });
  }

  setEyesClosed(eyesClosed: boolean): void {
    this.io?.postMessage({ type: 'set-eyes-closed', eyesClosed } satisfies IoRequest);
  }

  setFilter(filter: FilterSettings): void {
    this.engine?.postMessage({ type: 'set-filter', filter } satisfies EngineRequest);
  }

  async startRecording(name?: string): Promise<string> {
    if (!this.descriptor) throw new Error('start a stream before recording');
    if (this.recordingId) throw new Error('already recording');
    const sides = this.sides.map((x) => ({ descriptor: x.descriptor, source: x.link.source() }));
    const rec = await createRecording(openDb(), { name, streams: [this.descriptor, ...sides.map((x) => x.descriptor)], source: this.source ?? 'unknown' });
    this.recorder = new Worker(new URL('../../../workers/recorder.worker.ts', import.meta.url), { type: 'module', name: 'neurotab-recorder' });
    const source = this.recorderSource();
    await new Promise<void>((resolve, reject) => {
      this.recorder!.onmessage = (ev: MessageEvent<RecorderEvent>) => {
        const m = ev.data;
        if (m.type === 'started') resolve();
        else if (m.type === 'progress') this.events.onRecordingProgress?.(m);
        else if (m.type === 'stopped') {
          this.recordingId = null;
          this.recorder?.terminate();
          this.recorder = null;
          this.stopRelay();
          this.events.onRecordingStopped?.(m);
        } else if (m.type === 'error') {
          reject(new Error(m.message));
          this.events.onError?.(`Recorder: ${m.message}`);
        }
      };
      const req: RecorderRequest = { type: 'start', recordingId: rec.id, streams: [{ descriptor: this.descriptor!, source }, ...sides] };
      this.recorder!.postMessage(req, Link.transfer(source));
    });
    this.recordingId = rec.id;
    return rec.id;
  }

  /** Puts markers on the bus: the recorder (and any other listener) receives them. */
  addMarkers(events: MarkerEvent[]): void {
    publishMarkers(events, 'neurotab');
  }

  /** Stops the recording; resolves when the recorder has written its last chunk. */
  stopRecording(): Promise<void> {
    const w = this.recorder;
    if (!w) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (ev: MessageEvent<RecorderEvent>) => {
        if (ev.data.type === 'stopped') {
          w.removeEventListener('message', done);
          resolve();
        }
      };
      w.addEventListener('message', done);
      w.postMessage({ type: 'stop' } satisfies RecorderRequest);
    });
  }

  async stop(): Promise<void> {
    await this.stopRecording();
    this.io?.postMessage({ type: 'stop' } satisfies IoRequest);
    this.engine?.postMessage({ type: 'stop' } satisfies EngineRequest);
    this.io?.terminate();
    this.engine?.terminate();
    if (this.engine) for (const l of this.engineListeners) l({ type: 'stopped' });
    this.io = this.engine = null;
    this.external?.close();
    this.external = null;
    for (const x of this.sides) x.writer?.close();
    this.sides = [];
    this.descriptor = null;
    this.source = null;
    this.rawReader = this.filteredReader = null;
    this.raw = null;
    this.stopRelay();
  }
}
