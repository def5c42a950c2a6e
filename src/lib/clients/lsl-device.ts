// An LSL stream as the acquisition's device (issue 20 item 3). The API worker holds the bridge socket
// and already fills one ring per connected LSL stream (api/lsl-devices.ts); this page copies that ring,
// from its first frame, into the acquisition's raw ring (filter chain → live view, recorder: the path
// every board takes), and follows the connection's state (outlet gone and waiting / back / lost).
// Main thread only; no Svelte. Hot path: pump() — ring to ring into preallocated buffers, no allocation.
import type { Acquisition } from './acquisition';
import { QualityWindow, type DeviceLiveStats, type LiveDevice } from './devices';
import type { LslConnection } from '../api/lsl-devices';
import { publishMarkers } from '../core/markers';
import type { StreamDescriptor } from '../core/stream';
import { gapMarker } from '../devices/timing/counter-tracker';
import { Ring, RingReader } from '../streams/ring';
import type { FilterSettings } from '../../../workers/protocol';
import type { FrameWriter } from '../../../workers/ring-endpoints';

/** What the page calls in the API worker (its LslDevices, through core/rpc.ts). */
export interface LslDeviceSeam {
  connect(query: string): Promise<LslConnection>;
  ring(id: string): Promise<{ connection: LslConnection; buffer: SharedArrayBuffer | ArrayBuffer | null } | null>;
  disconnect(id: string): Promise<boolean>;
}

export interface LslDeviceEvents {
  /** The connection's state changed (`null`: it was closed elsewhere, e.g. DELETE /bci/v1/lsl/inlets). */
  onState(now: LslConnection | null, before: LslConnection): void;
}

/** Frames copied per read. */
const CHUNK_FRAMES = 256;
/** How often the connection's state is asked for (ms). */
const POLL_MS = 250;

export class LslDeviceConnection implements LiveDevice {
  readonly where = 'bridge' as const;
  readonly primary: StreamDescriptor;
  readonly quality: QualityWindow;
  private reader: RingReader | null = null;
  private writer: FrameWriter | null = null;
  private readonly samples: Float32Array;
  private readonly stamps: Float64Array;
  private running = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Frames copied into the acquisition, and frames the page fell too far behind to copy. */
  private framesCopied = 0;
  private framesOverrun = 0;
  private gaps = 0;
  private closed = false;

  private constructor(
    private readonly seam: LslDeviceSeam,
    private connection: LslConnection,
    private readonly buffer: SharedArrayBuffer,
    private readonly events: LslDeviceEvents,
  ) {
    this.primary = connection.stream;
    const C = this.primary.channels.length;
    this.quality = new QualityWindow(Math.max(64, Math.round((this.primary.sampleRateHz || 40) * 2)), C);
    this.samples = new Float32Array(CHUNK_FRAMES * C);
    this.stamps = new Float64Array(CHUNK_FRAMES);
  }

  /**
   * Connects the stream `query` names in the API worker. A marker stream stays connected there (its
   * markers land on the bus and are recorded with whatever streams) and comes back as `markers`.
   */
  static async open(seam: LslDeviceSeam, query: string, events: LslDeviceEvents): Promise<LslDeviceConnection | { markers: LslConnection }> {
    const c = await seam.connect(query);
    const r = await seam.ring(c.id);
    if (!r) throw new Error(`the LSL stream ${c.stream.name} was closed as it connected; connect it again`);
    if (!r.buffer) return { markers: r.connection };
    if (!(r.buffer instanceof SharedArrayBuffer)) {
      await seam.disconnect(c.id);
      throw new Error('an LSL stream needs shared memory to reach the live view: open the app where it is cross-origin isolated (the address bar shows no warning), then connect again');
    }
    return new LslDeviceConnection(seam, r.connection, r.buffer, events);
  }

  get id(): string {
    return this.connection.id;
  }

  get state(): LslConnection {
    return this.connection;
  }

  /** Feeds a new raw ring of `acq` (filter chain included) from the stream's first frame. */
  start(acq: Pick<Acquisition, 'startExternal'>, filter: FilterSettings): void {
    const d = this.primary;
    this.writer = acq.startExternal(d, filter, `lsl:${this.connection.query}`, d.sampleRateHz || 50);
    this.reader = new RingReader(Ring.attach(this.buffer), { from: 'oldest' });
    this.running = true;
    void this.run(this.reader);
    this.timer = setInterval(() => void this.poll(), POLL_MS);
  }

  private async run(reader: RingReader): Promise<void> {
    while (this.running) {
      await reader.waitForData(500);
      if (this.running) this.pump();
    }
  }

  /** Hot path: everything in the LSL ring now, into the acquisition's ring and the quality window. */
  private pump(): void {
    const reader = this.reader;
    if (!reader || !this.writer) return;
    const C = this.primary.channels.length;
    for (;;) {
      const r = reader.read(CHUNK_FRAMES, this.samples, this.stamps);
      if (r.dropped > 0) {
        // This page fell a whole ring behind (stalled for ~30 s): the frames it never copied are a gap, marked as a board's is.
        this.framesOverrun += r.dropped;
        const rate = this.primary.sampleRateHz;
        const startMs = r.frames > 0 && rate > 0 ? this.stamps[0] - (r.dropped * 1000) / rate : performance.timeOrigin + performance.now();
        publishMarkers([gapMarker(this.primary.id, startMs, r.dropped, rate)], 'lsl');
      }
      if (r.frames === 0) break;
      this.writer.push(this.samples, this.stamps, r.frames);
      this.quality.push(this.samples, r.frames, C);
      this.framesCopied += r.frames;
    }
  }

  private async poll(): Promise<void> {
    if (this.closed) return;
    const before = this.connection;
    let now: LslConnection | null;
    try {
      now = (await this.seam.ring(before.id))?.connection ?? null;
    } catch {
      return; // the worker is busy or restarting: ask again next time
    }
    if (this.closed) return;
    if (now) {
      if (now.frames_lost > before.frames_lost) this.gaps++;
      this.connection = now;
    }
    if (!now || now.state !== before.state) this.events.onState(now, before);
  }

  async send(): Promise<void> {
    throw new Error('an LSL stream takes no commands');
  }

  stats(): DeviceLiveStats {
    const c = this.connection;
    return {
      framesReceived: this.framesCopied,
      gaps: this.gaps + (this.framesOverrun > 0 ? 1 : 0),
      lostFrames: c.frames_lost + this.framesOverrun,
      lostFramesAllStreams: c.frames_lost + this.framesOverrun,
      resyncs: 0,
      bytesDiscarded: 0,
      malformedPackets: 0,
      unknownPackets: 0,
      reconnects: 0,
      batteryPercent: null,
      impedanceOhms: null,
    };
  }

  /** Copies what is left, stops, and closes the inlet (unless it was closed elsewhere). */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pump();
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.writer = null;
    this.reader = null;
    await this.seam.disconnect(this.connection.id).catch(() => false);
  }
}
