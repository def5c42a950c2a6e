// Timestamp dejittering as liblsl 1.16's `postproc_dejitterer` (the recursion NeuroPype's
// DejitterTimestamps, by the same author, is inferred to use): a recursive-least-squares line
// t ≈ w0 + w1·k through the stamps against the sample count k, with exponential forgetting of
// half-life `forgetHalftimeSeconds`, started at slope 1/rate and P = 1e10·I; each stamp is replaced by
// the line's value at its k. Runs anywhere; state lives in the object (any chunking gives the same
// stamps); HOT PATH: `process` allocates nothing when given an output array.
//
// Units: seconds here (liblsl's); the engine's millisecond stamps are converted by the caller. Where
// NeuroPype is silent we chose: the first stamp is the baseline (liblsl truncates it to whole seconds;
// the line is the same up to rounding); `warmupSamples` > 0 passes that many stamps through unchanged
// while the line is learnt (−1, the default, = none); `maxUpdateRateHz` updates the line on every k-th
// sample only, k = ceil(rate / max), and predicts the others; `forceMonotonic` never lets a stamp go
// below the previous one. An irregular stream (rate 0) is passed through.
import { InputError } from '../core/errors';

export interface DejitterOptions {
  /** Nominal sampling rate in Hz (0 = irregular: no dejittering). */
  sampleRateHz: number;
  /** Half-life of the forgetting, seconds (NeuroPype forget_halftime, default 90). */
  forgetHalftimeSeconds?: number;
  /** Stamps passed through unchanged at the start (default −1 = none). */
  warmupSamples?: number;
  /** Highest rate of line updates, Hz (NeuroPype max_updaterate, default 500). */
  maxUpdateRateHz?: number;
  /** Output stamps never decrease (default true). */
  forceMonotonic?: boolean;
}

export class Dejitter {
  private readonly lambda: number;
  private readonly every: number;
  private readonly warmup: number;
  private readonly monotonic: boolean;
  private readonly rate: number;
  private t0 = NaN;
  private k = 0;
  private w0 = 0;
  private w1 = 0;
  private p00 = 1e10;
  private p11 = 1e10;
  private p01 = 0;
  private last = -Infinity;

  constructor(options: DejitterOptions) {
    const where = 'DejitterTimestamps';
    const fs = options.sampleRateHz;
    if (!(fs >= 0)) throw new InputError(`sampling rate must be ≥ 0, got ${fs}`, where);
    const half = options.forgetHalftimeSeconds ?? 90;
    if (!(half > 0)) throw new InputError(`forget half-time must be positive seconds, got ${half}`, where);
    const maxRate = options.maxUpdateRateHz ?? 500;
    if (!(maxRate > 0)) throw new InputError(`max update rate must be positive, got ${maxRate}`, where);
    this.rate = fs;
    this.lambda = fs > 0 ? 2 ** (-1 / (fs * half)) : 0;
    this.every = fs > 0 ? Math.max(1, Math.ceil(fs / maxRate)) : 1;
    this.warmup = Math.max(0, options.warmupSamples ?? -1);
    this.monotonic = options.forceMonotonic ?? true;
    this.reset();
  }

  reset(): void {
    this.t0 = NaN;
    this.k = 0;
    this.w0 = 0;
    this.w1 = this.rate > 0 ? 1 / this.rate : 0;
    this.p00 = 1e10;
    this.p11 = 1e10;
    this.p01 = 0;
    this.last = -Infinity;
  }

  /** Dejitter one timestamp (seconds). */
  next(t: number): number {
    let out = t;
    if (this.lambda > 0 && Number.isFinite(t)) {
      if (Number.isNaN(this.t0)) this.t0 = t;
      const u1 = this.k;
      const x = t - this.t0;
      if (u1 % this.every === 0) {
        const lam = this.lambda;
        const pi0 = this.p00 + u1 * this.p01;
        const pi1 = this.p01 + u1 * this.p11;
        const al = x - (this.w0 + u1 * this.w1);
        const gInv = 1 / (lam + pi0 + pi1 * u1);
        const il = 1 / lam;
        this.p00 = il * (this.p00 - pi0 * pi0 * gInv);
        this.p01 = il * (this.p01 - pi0 * pi1 * gInv);
        this.p11 = il * (this.p11 - pi1 * pi1 * gInv);
        this.w0 += al * (this.p00 + this.p01 * u1);
        this.w1 += al * (this.p01 + this.p11 * u1);
      }
      this.k++;
      out = this.k <= this.warmup ? t : this.w0 + u1 * this.w1 + this.t0;
    }
    if (this.monotonic) {
      if (out < this.last) out = this.last;
      else this.last = out;
    }
    return out;
  }

  /** Dejitter a chunk of stamps (seconds); writes into `output` (may be `stamps` itself) or a new array. */
  process(stamps: ArrayLike<number>, output?: Float64Array): Float64Array {
    const out = output ?? new Float64Array(stamps.length);
    for (let i = 0; i < stamps.length; i++) out[i] = this.next(stamps[i]);
    return out;
  }
}
