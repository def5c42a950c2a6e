// Sample timestamps from a sample index and a nominal rate, anchored to arrival times and
// dejittered like LSL: a robust, exponentially forgetting linear fit of arrival time against
// sample index, so every frame gets a smooth time on the shared clock that never goes backwards.
// Pure; runs wherever the decoder runs (io worker, page, Node). Hot path: no allocation per call.
//
// Model: arrival(i) = a + b·i + latency + jitter, where i is the index of the LAST frame of a
// block (a block can only arrive after its last sample was taken) and jitter ≥ 0 is transport
// delay (USB polling, BLE connection events, OS scheduling). The fit tracks a (offset) and b
// (sample period in ms, which absorbs device-vs-host clock drift). Residuals beyond
// `outlierScale` robust standard deviations are clipped (Huber), so a burst of late BLE
// notifications does not drag the line. The mean transport latency stays in the timestamps, as in
// LSL; subtract a measured `latencyMs` if known. Gaps in the index (lost packets) need no special
// care: the line is a function of the index, not of the packet count.

export interface DejitterOptions {
  /** Nominal sample rate of the stream, Hz (> 0). */
  sampleRateHz: number;
  /** Forgetting half-life of the fit, seconds of signal (LSL's smoothing half-time is 90 s). */
  halfLifeSeconds?: number;
  /** Residual clip in robust standard deviations (default 3). */
  outlierScale?: number;
  /** Known constant transport latency subtracted from every timestamp, ms (default 0). */
  latencyMs?: number;
  /** A residual larger than this, several times in a row, re-anchors the fit (sleep, replug), ms. */
  resetAfterMs?: number;
}

export class Dejitter {
  readonly nominalPeriodMs: number;
  private readonly halfLifeFrames: number;
  private readonly outlierScale: number;
  private readonly latencyMs: number;
  private readonly resetAfterMs: number;
  private readonly priorWeight: number;
  // Anchor (first observation) keeps the regression numbers small and well conditioned.
  private anchored = false;
  private x0 = 0;
  private y0 = 0;
  private lastU = 0;
  // Exponentially weighted sums, centred (weighted Welford).
  private w = 0;
  private mu = 0;
  private mv = 0;
  private suu = 0;
  private suv = 0;
  // Robust residual scale: EW mean absolute residual (≈ 0.8 σ for Gaussian noise).
  private madMs = 0;
  private farInARow = 0;
  private lastOutMs = -Infinity;
  /** Observations clipped as outliers, and re-anchors after a clock jump. */
  clipped = 0;
  resets = 0;

  constructor(opts: DejitterOptions) {
    if (!(opts.sampleRateHz > 0)) throw new RangeError(`sampleRateHz must be > 0, got ${opts.sampleRateHz}`);
    this.nominalPeriodMs = 1000 / opts.sampleRateHz;
    this.halfLifeFrames = (opts.halfLifeSeconds ?? 90) * opts.sampleRateHz;
    this.outlierScale = opts.outlierScale ?? 3;
    this.latencyMs = opts.latencyMs ?? 0;
    this.resetAfterMs = opts.resetAfterMs ?? 1000;
    // Prior on the slope (the nominal period), worth about one second of evenly spread samples:
    // Σ(u−ū)² for n points over a span L is ≈ n·L²/12.
    const oneSecond = opts.sampleRateHz;
    this.priorWeight = (oneSecond * oneSecond * oneSecond) / 12 / 8;
  }

  /** Fitted sample period in ms (nominal until data say otherwise). */
  get periodMs(): number {
    return (this.suv + this.priorWeight * this.nominalPeriodMs) / (this.suu + this.priorWeight);
  }

  /**
   * Stamp frames [firstIndex, firstIndex + frames) of a block that arrived at `arrivalMs`
   * (shared clock), writing `frames` timestamps to `out` from `outOffset`. Hot path.
   */
  stamp(firstIndex: number, frames: number, arrivalMs: number, out: Float64Array, outOffset = 0): void {
    const lastIndex = firstIndex + frames - 1;
    this.observe(lastIndex, arrivalMs);
    const b = this.periodMs;
    const a = this.mv - b * this.mu;
    const base = this.y0 + a - this.latencyMs;
    let prev = this.lastOutMs;
    for (let k = 0; k < frames; k++) {
      let t = base + b * (firstIndex + k - this.x0);
      // Never backwards: a new fit may place this block slightly before the last one stamped.
      if (!(t > prev)) t = prev + 1e-3; // 1 µs: well above the float64 step at epoch-ms magnitudes
      out[outOffset + k] = t;
      prev = t;
    }
    this.lastOutMs = prev;
  }

  /** Time the fit gives to a sample index (no update, no monotonic guard). */
  timeOf(index: number): number {
    if (!this.anchored) return NaN;
    const b = this.periodMs;
    return this.y0 + this.mv - b * this.mu + b * (index - this.x0) - this.latencyMs;
  }

  reset(): void {
    this.anchored = false;
    this.w = this.mu = this.mv = this.suu = this.suv = this.madMs = 0;
    this.farInARow = 0;
    // lastOutMs is kept: timestamps stay monotonic across a re-anchor.
  }

  private observe(index: number, arrivalMs: number): void {
    if (!this.anchored) {
      this.anchored = true;
      this.x0 = index;
      this.y0 = arrivalMs;
      this.lastU = 0;
      this.w = 1;
      this.mu = 0;
      this.mv = 0;
      this.suu = 0;
      this.suv = 0;
      this.madMs = 0;
      return;
    }
    const u = index - this.x0;
    let v = arrivalMs - this.y0;
    const b = this.periodMs;
    const pred = this.mv - b * this.mu + b * u;
    const r = v - pred;
    if (Math.abs(r) > this.resetAfterMs) {
      if (++this.farInARow >= 3) {
        this.resets++;
        this.reset();
        this.observe(index, arrivalMs);
      }
      return;
    }
    this.farInARow = 0;
    // Clip with a floor on the scale so a perfectly regular source does not clip everything.
    const scale = Math.max(this.madMs * 1.25, 0.05 * this.nominalPeriodMs, 0.05);
    const lim = this.outlierScale * scale;
    if (this.w > 8 && r > lim) {
      v = pred + lim;
      this.clipped++;
    } else if (this.w > 8 && r < -lim) {
      v = pred - lim;
      this.clipped++;
    }
    const du0 = u - this.lastU;
    this.lastU = u;
    const lambda = du0 > 0 ? Math.pow(2, -du0 / this.halfLifeFrames) : 1;
    const wPrev = lambda * this.w;
    this.w = wPrev + 1;
    const du = u - this.mu;
    const dv = v - this.mv;
    this.mu += du / this.w;
    this.mv += dv / this.w;
    const f = wPrev / this.w;
    this.suu = lambda * this.suu + du * du * f;
    this.suv = lambda * this.suv + du * dv * f;
    // Residual scale adapts over ~50 observations.
    const rr = Math.abs(v - pred);
    this.madMs = this.w <= 2 ? rr : this.madMs + (rr - this.madMs) * 0.02;
  }
}
