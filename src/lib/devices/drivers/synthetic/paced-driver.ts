// PacedDriver: the timer-paced lifecycle the synthetic devices share (open / start / stop / close,
// devices/descriptor.ts): frames are due at anchor + k/rate on the shared clock, each tick generates
// only the frames that are due, a stall longer than maxBurstMs skips frames (reported as a gap)
// instead of bursting. Subclasses supply the generator. Runs in a worker (io worker), the page or
// Node. Must not block; `pump` allocates nothing.
import { nowMs } from '../../../core/clock';
import { InputError, StateError } from '../../../core/errors';
import type { DriverListener, DriverState } from '../../descriptor';

/** Where the frames go: RingWriter, TransferRingWriter, or anything with the same push. */
export interface FrameSink {
  push(samples: Float32Array, timestampsMs: Float64Array, frames: number): number;
}

export interface PacingOptions {
  /** Emit a chunk this often, ms (4 … 250; default 16). */
  chunkMs?: number;
  /** After a stall (throttled tab, paused debugger) longer than this, skip frames instead of bursting; ms, default 1000. */
  maxBurstMs?: number;
  /** Clock for timestamps and pacing; default the shared clock `nowMs`. Tests pass a fake. */
  clock?: () => number;
  /** false: no timer; the owner calls `pump()` (tests, offline generation). Default true. */
  timer?: boolean;
}

export abstract class PacedDriver {
  /** Frames the sink accepted since construction. */
  framesWritten = 0;
  /** Frames skipped after stalls longer than maxBurstMs (never generated). */
  skippedFrames = 0;
  /** The error that stopped streaming, if the sink threw. */
  lastError: unknown = undefined;
  protected readonly chunkMs: number;
  protected readonly maxBurstFrames: number;
  private readonly clock: () => number;
  private readonly useTimer: boolean;
  private stateValue: DriverState = 'closed';
  private sink: FrameSink | null = null;
  private listener: DriverListener | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private anchorMs = 0;
  /** Frames due-or-skipped since `start` (the index of the next frame, relative to start). */
  private emitted = 0;
  private samples: Float32Array = new Float32Array(0);
  private timestamps: Float64Array = new Float64Array(0);

  constructor(
    /** Class name in error messages. */
    private readonly name: string,
    private readonly streamId: string,
    private readonly sampleRateHz: number,
    private readonly channelCount: number,
    options: PacingOptions,
  ) {
    const chunkMs = options.chunkMs ?? 16;
    if (!Number.isFinite(chunkMs) || chunkMs < 4 || chunkMs > 250) throw new InputError(`chunkMs must be from 4 to 250 ms, got ${chunkMs}`, name);
    this.chunkMs = chunkMs;
    this.maxBurstFrames = Math.max(1, Math.round(((options.maxBurstMs ?? 1000) * sampleRateHz) / 1000));
    this.clock = options.clock ?? nowMs;
    this.useTimer = options.timer ?? true;
  }

  /** Makes the (seeded) generator; the signal continues across stop/start until close. */
  protected abstract openGenerator(): void;
  /** Drops the generator (close). */
  protected abstract closeGenerator(): void;
  /**
   * Writes `frames` frames, frame-major, into `out`; `first` is the driver frame index of the first
   * (since start, skipped frames included; its timestamp is `stampOf(first)`). HOT PATH.
   */
  protected abstract generate(first: number, frames: number, out: Float32Array): void;

  get state(): DriverState {
    return this.stateValue;
  }

  async open(): Promise<void> {
    if (this.stateValue !== 'closed') throw new StateError(`${this.name}.open: already ${this.stateValue}`);
    this.openGenerator();
    const maxChunk = this.maxBurstFrames + Math.ceil((this.chunkMs * this.sampleRateHz) / 1000) + 1;
    this.samples = new Float32Array(maxChunk * this.channelCount);
    this.timestamps = new Float64Array(maxChunk);
    this.stateValue = 'open';
  }

  /**
   * Starts streaming into a ring writer (or any FrameSink) or a DriverListener. Frame k after start
   * is stamped anchor + k·1000/sampleRateHz, the anchor being the clock at start.
   */
  async start(target: FrameSink | DriverListener): Promise<void> {
    if (this.stateValue !== 'open') throw new StateError(`${this.name}.start: driver is ${this.stateValue}; call open() first`);
    if ('onFrames' in target) {
      this.listener = target;
      this.sink = null;
    } else {
      this.sink = target;
      this.listener = null;
    }
    this.anchorMs = this.clock();
    this.emitted = 0;
    this.lastError = undefined;
    this.stateValue = 'streaming';
    if (this.useTimer) this.timer = setInterval(() => this.pump(), this.chunkMs);
  }

  /**
   * Generates and delivers every frame whose timestamp is ≤ now. Called by the timer; call it
   * yourself with `timer: false`. Returns the frames delivered.
   */
  pump(): number {
    if (this.stateValue !== 'streaming') return 0;
    const due = Math.floor(((this.clock() - this.anchorMs) * this.sampleRateHz) / 1000) + 1 - this.emitted;
    if (due <= 0) return 0;
    let n = due;
    if (n > this.maxBurstFrames) {
      const skip = n - this.maxBurstFrames;
      this.listener?.onGap({ streamId: this.streamId, sampleIndex: this.emitted, lostFrames: skip, timestampMs: this.stampOf(this.emitted) });
      this.skippedFrames += skip;
      this.emitted += skip;
      n = this.maxBurstFrames;
    }
    const ch = this.channelCount;
    const samples = this.samples;
    const ts = this.timestamps;
    const first = this.emitted;
    this.generate(first, n, samples);
    for (let i = 0; i < n; i++) ts[i] = this.stampOf(first + i);
    this.emitted += n;
    let accepted = n;
    try {
      if (this.sink) accepted = this.sink.push(samples, ts, n); // 0 once the ring is closed
      else if (this.listener) {
        // Listener path (devices/descriptor.ts): views over reused buffers; copy them to keep them.
        this.listener.onFrames({ streamId: this.streamId, sampleIndex: first, frames: n, channelCount: ch, samples: samples.subarray(0, n * ch), timestampsMs: ts.subarray(0, n) });
      }
    } catch (e) {
      this.lastError = e;
      this.halt();
      this.listener?.onDisconnected(`sink failed: ${e instanceof Error ? e.message : String(e)}`);
      return 0;
    }
    this.framesWritten += accepted;
    return accepted;
  }

  /** Stops the timer; the driver stays open (start again to resume the same signal). */
  async stop(): Promise<void> {
    if (this.stateValue !== 'streaming') throw new StateError(`${this.name}.stop: driver is ${this.stateValue}, not streaming`);
    this.halt();
  }

  /** Releases everything. Closing a closed driver is a no-op. The sink itself is not closed. */
  async close(): Promise<void> {
    if (this.stateValue === 'streaming') this.halt();
    this.closeGenerator();
    this.stateValue = 'closed';
  }

  private halt(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.sink = null;
    this.listener = null;
    if (this.stateValue === 'streaming') this.stateValue = 'open';
  }

  /** Timestamp (ms, shared clock) of driver frame k since start. */
  protected stampOf(k: number): number {
    return this.anchorMs + (k * 1000) / this.sampleRateHz;
  }

  /** Driver frame index of the next frame to be generated (since start). */
  protected get nextFrame(): number {
    return this.emitted;
  }
}
