// SyntheticDriver: the synthetic EEG device with the common driver lifecycle open / start / stop /
// close (devices/descriptor.ts), paced by a timer, timestamped on the shared clock, writing chunks
// into a ring (RingWriter / TransferRingWriter) or a DriverListener. Runs in a worker (io worker),
// the page or Node. Must not block: each tick generates only the frames that are due.
import { nowMs } from '../../../core/clock';
import { InputError, StateError } from '../../../core/errors';
import type { StreamDescriptor } from '../../../core/stream';
import type { DeviceDescriptor, DriverListener, DriverState } from '../../descriptor';
import { SyntheticGenerator, validateSyntheticSettings, SYNTHETIC_LABELS, type SyntheticSettings } from './generator';

/** Where the frames go: RingWriter, TransferRingWriter, or anything with the same push. */
export interface FrameSink {
  push(samples: Float32Array, timestampsMs: Float64Array, frames: number): number;
}

export interface SyntheticDriverOptions extends SyntheticSettings {
  /** Emit a chunk this often, ms (4 … 250; default 16). */
  chunkMs?: number;
  /** After a stall (throttled tab, paused debugger) longer than this, skip frames instead of bursting; ms, default 1000. */
  maxBurstMs?: number;
  /** Clock for timestamps and pacing; default the shared clock `nowMs`. Tests pass a fake. */
  clock?: () => number;
  /** false: no timer; the owner calls `pump()` (tests, offline generation). Default true. */
  timer?: boolean;
}

/** Device facts of the synthetic device (same shape as DeviceDescriptor, id 'synthetic'). */
export type SyntheticDeviceDescriptor = Omit<DeviceDescriptor, 'id'> & { id: 'synthetic' };

export const SYNTHETIC_STREAM_ID = 'synthetic.eeg';

/** The stream the driver produces for these settings (known before `start`). */
export function syntheticStreamDescriptor(settings: SyntheticSettings): StreamDescriptor {
  validateSyntheticSettings(settings, 'synthetic');
  return {
    id: SYNTHETIC_STREAM_ID,
    name: 'Synthetic EEG',
    kind: 'eeg',
    sampleRateHz: settings.sampleRateHz,
    channels: SYNTHETIC_LABELS.slice(0, settings.channels).map((label) => ({ label, unit: 'uV', type: 'EEG' })),
  };
}

export class SyntheticDriver {
  readonly descriptor: SyntheticDeviceDescriptor;
  readonly stream: StreamDescriptor;
  /** Frames the sink accepted since construction. */
  framesWritten = 0;
  /** Frames skipped after stalls longer than maxBurstMs (never generated). */
  skippedFrames = 0;
  /** The error that stopped streaming, if the sink threw. */
  lastError: unknown = undefined;
  private readonly settings: SyntheticSettings;
  private readonly chunkMs: number;
  private readonly maxBurstFrames: number;
  private readonly clock: () => number;
  private readonly useTimer: boolean;
  private generator: SyntheticGenerator | null = null;
  private stateValue: DriverState = 'closed';
  private sink: FrameSink | null = null;
  private listener: DriverListener | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private anchorMs = 0;
  /** Frames due-or-skipped since `start` (the sample index of the next frame, relative to start). */
  private emitted = 0;
  private samples: Float32Array = new Float32Array(0);
  private timestamps: Float64Array = new Float64Array(0);
  private eyesClosedValue: boolean;

  constructor(options: SyntheticDriverOptions) {
    validateSyntheticSettings(options, 'SyntheticDriver');
    const chunkMs = options.chunkMs ?? 16;
    if (!Number.isFinite(chunkMs) || chunkMs < 4 || chunkMs > 250) {
      throw new InputError(`chunkMs must be from 4 to 250 ms, got ${chunkMs}`, 'SyntheticDriver');
    }
    this.settings = { ...options };
    this.chunkMs = chunkMs;
    this.maxBurstFrames = Math.max(1, Math.round(((options.maxBurstMs ?? 1000) * options.sampleRateHz) / 1000));
    this.clock = options.clock ?? nowMs;
    this.useTimer = options.timer ?? true;
    this.eyesClosedValue = options.eyesClosed ?? false;
    this.stream = syntheticStreamDescriptor(options);
    this.descriptor = {
      id: 'synthetic',
      name: 'Synthetic EEG',
      manufacturer: 'Neurotab',
      transports: [],
      streams: [this.stream],
      commands: {},
      sources: ['src/lib/devices/drivers/synthetic/generator.ts'],
    };
  }

  get state(): DriverState {
    return this.stateValue;
  }

  get eyesClosed(): boolean {
    return this.eyesClosedValue;
  }

  /** Switch the simulated subject's eyes (alpha on occipital/parietal sites, blinks off) at runtime. */
  setEyesClosed(closed: boolean): void {
    this.eyesClosedValue = closed;
    this.generator?.setEyesClosed(closed);
  }

  /** Creates the generator (seeded); the signal continues across stop/start until close. */
  async open(): Promise<void> {
    if (this.stateValue !== 'closed') throw new StateError(`SyntheticDriver.open: already ${this.stateValue}`);
    this.generator = new SyntheticGenerator({ ...this.settings, eyesClosed: this.eyesClosedValue });
    const maxChunk = this.maxBurstFrames + Math.ceil((this.chunkMs * this.settings.sampleRateHz) / 1000) + 1;
    this.samples = new Float32Array(maxChunk * this.settings.channels);
    this.timestamps = new Float64Array(maxChunk);
    this.stateValue = 'open';
  }

  /**
   * Starts streaming into a ring writer (or any FrameSink) or a DriverListener. Frame k after start
   * is stamped anchor + k·1000/sampleRateHz, the anchor being the clock at start.
   */
  async start(target: FrameSink | DriverListener): Promise<void> {
    if (this.stateValue !== 'open') throw new StateError(`SyntheticDriver.start: driver is ${this.stateValue}; call open() first`);
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
    if (this.stateValue !== 'streaming' || !this.generator) return 0;
    const fs = this.settings.sampleRateHz;
    const due = Math.floor(((this.clock() - this.anchorMs) * fs) / 1000) + 1 - this.emitted;
    if (due <= 0) return 0;
    let n = due;
    if (n > this.maxBurstFrames) {
      const skip = n - this.maxBurstFrames;
      this.listener?.onGap({ streamId: SYNTHETIC_STREAM_ID, sampleIndex: this.emitted, lostFrames: skip, timestampMs: this.stampOf(this.emitted) });
      this.skippedFrames += skip;
      this.emitted += skip;
      n = this.maxBurstFrames;
    }
    const gen = this.generator;
    const ch = this.settings.channels;
    const samples = this.samples;
    const ts = this.timestamps;
    gen.next(n, samples);
    for (let i = 0; i < n; i++) ts[i] = this.stampOf(this.emitted + i);
    const first = this.emitted;
    this.emitted += n;
    let accepted = n;
    try {
      if (this.sink) accepted = this.sink.push(samples, ts, n); // 0 once the ring is closed
      else if (this.listener) {
        // Listener path (devices/descriptor.ts): views over reused buffers; copy them to keep them.
        this.listener.onFrames({
          streamId: SYNTHETIC_STREAM_ID,
          sampleIndex: first,
          frames: n,
          channelCount: ch,
          samples: samples.subarray(0, n * ch),
          timestampsMs: ts.subarray(0, n),
        });
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
    if (this.stateValue !== 'streaming') throw new StateError(`SyntheticDriver.stop: driver is ${this.stateValue}, not streaming`);
    this.halt();
  }

  /** Releases everything. Closing a closed driver is a no-op. The sink itself is not closed. */
  async close(): Promise<void> {
    if (this.stateValue === 'streaming') this.halt();
    this.generator = null;
    this.stateValue = 'closed';
  }

  private halt(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.sink = null;
    this.listener = null;
    if (this.stateValue === 'streaming') this.stateValue = 'open';
  }

  private stampOf(k: number): number {
    return this.anchorMs + (k * 1000) / this.settings.sampleRateHz;
  }
}
