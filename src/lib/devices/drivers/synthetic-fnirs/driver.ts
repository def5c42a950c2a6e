// SyntheticFnirsDriver: the synthetic fNIRS device (generator.ts) as a device with the common driver
// lifecycle (synthetic/paced-driver.ts), and the "task" a class can run on it: a block now
// (startTaskBlock) or a repeating rest/task schedule (setSchedule). Each block's onset is reported,
// stamped with the timestamp of the frame it starts at, as a marker `task` with its duration, so a
// recording carries the events its GLM or block average needs. Runs in the io worker, the page or
// Node; `pump` (generate) allocates only subarray views.
import { InputError } from '../../../core/errors';
import type { MarkerEvent, StreamDescriptor } from '../../../core/stream';
import { PacedDriver, type PacingOptions } from '../synthetic/paced-driver';
import { SyntheticFnirsGenerator, SYNTHETIC_FNIRS_STREAM_ID, syntheticFnirsStreamDescriptor, validateSyntheticFnirsSettings, type SyntheticFnirsSettings } from './generator';

/** Marker value of a task block's onset (its durationMs is the block's length). */
export const FNIRS_TASK_MARKER = 'task';
/** Longest task block or rest, s. */
const MAX_BLOCK_SECONDS = 600;

export interface SyntheticFnirsDriverOptions extends Omit<SyntheticFnirsSettings, 'taskBlocks'>, PacingOptions {
  /** Called (inside pump) when a task block starts, with its marker. */
  onTaskBlock?: (marker: MarkerEvent) => void;
}

/** A repeating schedule: `restSeconds` of rest, then `taskSeconds` of task, and again. */
export interface TaskSchedule {
  taskSeconds: number;
  restSeconds: number;
}

function checkSeconds(s: number, what: string): void {
  if (!(s >= 1 && s <= MAX_BLOCK_SECONDS)) throw new InputError(`${what} must be from 1 to ${MAX_BLOCK_SECONDS} s, got ${s}`, 'SyntheticFnirsDriver');
}

export class SyntheticFnirsDriver extends PacedDriver {
  readonly stream: StreamDescriptor;
  private readonly settings: SyntheticFnirsSettings;
  private readonly onTaskBlock?: (marker: MarkerEvent) => void;
  private readonly fs: number;
  private readonly channels: number;
  private generator: SyntheticFnirsGenerator | null = null;
  /** Driver frame at which the running block ends / the next block starts (Infinity: none). */
  private taskOffAt = Number.POSITIVE_INFINITY;
  private nextOnsetAt = Number.POSITIVE_INFINITY;
  private nextBlockFrames = 0;
  private scheduleValue: { taskFrames: number; restFrames: number } | null = null;

  constructor(options: SyntheticFnirsDriverOptions = {}) {
    validateSyntheticFnirsSettings(options, 'SyntheticFnirsDriver');
    const stream = syntheticFnirsStreamDescriptor(options);
    super('SyntheticFnirsDriver', SYNTHETIC_FNIRS_STREAM_ID, stream.sampleRateHz, stream.channels.length, options);
    const { onTaskBlock, chunkMs: _c, maxBurstMs: _m, clock: _k, timer: _t, ...settings } = options;
    this.settings = settings;
    this.onTaskBlock = onTaskBlock;
    this.stream = stream;
    this.fs = stream.sampleRateHz;
    this.channels = stream.channels.length;
  }

  /** Whether a task block is running. */
  get taskRunning(): boolean {
    return this.taskOffAt !== Number.POSITIVE_INFINITY;
  }

  get schedule(): TaskSchedule | null {
    const s = this.scheduleValue;
    return s && { taskSeconds: s.taskFrames / this.fs, restSeconds: s.restFrames / this.fs };
  }

  /**
   * A task block of `durationSeconds` from the next frame on (its marker is reported when that frame
   * is generated). False, and nothing changes, while a block runs or a schedule is set, or when not streaming.
   */
  startTaskBlock(durationSeconds: number): boolean {
    checkSeconds(durationSeconds, 'a task block');
    if (this.state !== 'streaming' || this.taskRunning || this.scheduleValue || this.nextOnsetAt !== Number.POSITIVE_INFINITY) return false;
    this.nextOnsetAt = this.nextFrame;
    this.nextBlockFrames = Math.round(durationSeconds * this.fs);
    return true;
  }

  /**
   * Repeats rest then task from now on (`null`: no further blocks; a running block finishes).
   * Replaces an earlier schedule once its running block has ended.
   */
  setSchedule(schedule: TaskSchedule | null): void {
    if (!schedule) {
      this.scheduleValue = null;
      if (!this.taskRunning) this.nextOnsetAt = Number.POSITIVE_INFINITY;
      return;
    }
    checkSeconds(schedule.taskSeconds, 'taskSeconds');
    checkSeconds(schedule.restSeconds, 'restSeconds');
    this.scheduleValue = { taskFrames: Math.round(schedule.taskSeconds * this.fs), restFrames: Math.round(schedule.restSeconds * this.fs) };
    this.nextBlockFrames = this.scheduleValue.taskFrames;
    if (!this.taskRunning) this.nextOnsetAt = this.nextFrame + this.scheduleValue.restFrames;
  }

  protected openGenerator(): void {
    this.generator = new SyntheticFnirsGenerator(this.settings);
  }

  protected closeGenerator(): void {
    this.generator = null;
    this.taskOffAt = this.nextOnsetAt = Number.POSITIVE_INFINITY;
    this.scheduleValue = null;
  }

  /** HOT PATH. Generates in segments split at task transitions (frames skipped after a stall included). */
  protected generate(first: number, frames: number, out: Float32Array): void {
    const gen = this.generator!;
    const end = first + frames;
    let pos = first;
    while (pos < end) {
      if (this.taskOffAt <= pos) {
        gen.setTask(false);
        const off = this.taskOffAt;
        this.taskOffAt = Number.POSITIVE_INFINITY;
        if (this.scheduleValue) {
          this.nextBlockFrames = this.scheduleValue.taskFrames;
          this.nextOnsetAt = off + this.scheduleValue.restFrames;
        }
        continue;
      }
      if (this.nextOnsetAt <= pos) {
        // A block whose onset fell into skipped frames starts now, shortened by the frames missed.
        const length = this.nextBlockFrames - (pos - this.nextOnsetAt);
        this.nextOnsetAt = Number.POSITIVE_INFINITY;
        if (length > 0) {
          gen.setTask(true);
          this.taskOffAt = pos + length;
          this.onTaskBlock?.({ timestampMs: this.stampOf(pos), value: FNIRS_TASK_MARKER, durationMs: (length * 1000) / this.fs });
        } else if (this.scheduleValue) this.nextOnsetAt = pos + this.scheduleValue.restFrames;
        continue;
      }
      const n = Math.min(end, this.taskOffAt, this.nextOnsetAt) - pos;
      gen.next(n, out.subarray((pos - first) * this.channels));
      pos += n;
    }
  }
}
