// PlaybackDriver: a stored or imported recording replayed as if it were a device, in real time or
// faster, with its markers. Same lifecycle as every driver (open / start / stop / close). Runs in
// the io worker (or Node). Timestamps are re-stamped onto the shared clock from the recording's own
// timing (gaps and jitter are preserved, scaled by the speed); markers are emitted when due.
import { InputError, StateError } from '../../../core/errors';
import { nowMs } from '../../../core/clock';
import type { MarkerEvent, StreamDescriptor } from '../../../core/stream';

export interface FrameSink {
  push(samples: Float32Array, timestampsMs: Float64Array, frames: number): number;
}

export interface PlaybackOptions {
  stream: StreamDescriptor;
  /** Frame-major samples and their original timestamps (ms). */
  samples: Float32Array;
  timestampsMs: Float64Array;
  markers?: MarkerEvent[];
  /** 1 = real time; 2, 4, … faster. */
  speed?: number;
  /** Start again at the beginning when the end is reached. */
  loop?: boolean;
  chunkMs?: number;
  clock?: () => number;
  /** false: the owner calls pump() (tests). */
  timer?: boolean;
}

export type PlaybackState = 'closed' | 'open' | 'streaming' | 'finished';

export class PlaybackDriver {
  readonly stream: StreamDescriptor;
  state: PlaybackState = 'closed';
  framesWritten = 0;
  private readonly o: Required<Omit<PlaybackOptions, 'markers'>> & { markers: MarkerEvent[] };
  private readonly ch: number;
  private readonly n: number;
  private sink: FrameSink | null = null;
  private onMarkers: ((m: MarkerEvent[]) => void) | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private anchorMs = 0; // shared-clock time of the recording's first frame in the current pass
  private t0 = 0;
  private next = 0; // next frame index
  private nextMarker = 0;
  private readonly outS: Float32Array;
  private readonly outT: Float64Array;

  constructor(opts: PlaybackOptions) {
    const ch = opts.stream.channels.length;
    const n = opts.timestampsMs.length;
    if (ch < 1) throw new InputError('the stream has no channels', 'playback');
    if (n === 0) throw new InputError('the recording has no frames to play', 'playback');
    if (opts.samples.length !== n * ch) throw new InputError(`${opts.samples.length} samples do not make ${n} frames of ${ch} channels`, 'playback');
    const speed = opts.speed ?? 1;
    if (!(speed > 0 && speed <= 1000)) throw new InputError(`speed must be > 0 and ≤ 1000, got ${speed}`, 'playback');
    this.stream = opts.stream;
    this.ch = ch;
    this.n = n;
    this.o = { speed, loop: opts.loop ?? false, chunkMs: opts.chunkMs ?? 16, clock: opts.clock ?? nowMs, timer: opts.timer ?? true, ...opts, markers: [...(opts.markers ?? [])].sort((a, b) => a.timestampMs - b.timestampMs) };
    this.t0 = opts.timestampsMs[0];
    const maxFrames = 8192;
    this.outS = new Float32Array(maxFrames * ch);
    this.outT = new Float64Array(maxFrames);
  }

  async open(): Promise<void> {
    if (this.state !== 'closed') throw new StateError(`PlaybackDriver.open: already ${this.state}`);
    this.state = 'open';
  }

  async start(sink: FrameSink, onMarkers?: (m: MarkerEvent[]) => void): Promise<void> {
    if (this.state !== 'open') throw new StateError(`PlaybackDriver.start: state is ${this.state}, open it first`);
    this.sink = sink;
    this.onMarkers = onMarkers ?? null;
    this.anchorMs = this.o.clock();
    this.next = 0;
    this.nextMarker = this.o.markers.findIndex((m) => m.timestampMs >= this.t0);
    if (this.nextMarker < 0) this.nextMarker = this.o.markers.length;
    this.state = 'streaming';
    if (this.o.timer) this.timer = setInterval(() => this.pump(), this.o.chunkMs);
  }

  /** Maps an original timestamp to the shared clock for the current pass. */
  private stamp(t: number): number {
    return this.anchorMs + (t - this.t0) / this.o.speed;
  }

  /** Emits every frame and marker due by now. Returns the frames emitted. */
  pump(): number {
    if (this.state !== 'streaming' || !this.sink) return 0;
    const now = this.o.clock();
    const ts = this.o.timestampsMs;
    const ch = this.ch;
    let emitted = 0;
    for (;;) {
      let k = 0;
      while (this.next < this.n && k < this.outT.length && this.stamp(ts[this.next]) <= now) {
        this.outT[k] = this.stamp(ts[this.next]);
        this.outS.set(this.o.samples.subarray(this.next * ch, (this.next + 1) * ch), k * ch);
        this.next++;
        k++;
      }
      if (k > 0) {
        this.sink.push(this.outS, this.outT, k);
        this.framesWritten += k;
        emitted += k;
      }
      if (k < this.outT.length) break;
    }
    const due: MarkerEvent[] = [];
    const ms = this.o.markers;
    while (this.nextMarker < ms.length && this.stamp(ms[this.nextMarker].timestampMs) <= now) {
      const m = ms[this.nextMarker++];
      due.push({ ...m, timestampMs: this.stamp(m.timestampMs) });
    }
    if (due.length) this.onMarkers?.(due);
    if (this.next >= this.n) {
      if (this.o.loop) {
        const period = this.o.stream.sampleRateHz > 0 ? 1000 / this.o.stream.sampleRateHz : 0;
        this.anchorMs = this.stamp(ts[this.n - 1]) + period / this.o.speed;
        this.next = 0;
        this.nextMarker = 0;
      } else {
        this.state = 'finished';
        this.clearTimer();
      }
    }
    return emitted;
  }

  /** Fraction of the recording played in the current pass (0…1). */
  get progress(): number {
    return this.next / this.n;
  }

  private clearTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async stop(): Promise<void> {
    this.clearTimer();
    if (this.state === 'streaming' || this.state === 'finished') this.state = 'open';
  }

  async close(): Promise<void> {
    this.clearTimer();
    this.state = 'closed';
    this.sink = null;
  }
}
