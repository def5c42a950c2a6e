// First-level GLM for fNIRS as MNE-NIRS runs it: Nilearn's SPM canonical HRF (oversampled), condition
// boxcars convolved on Nilearn's high-resolution grid, a cosine drift basis and a constant; OLS or
// two-step AR(1) prewhitening (Prais–Winsten, all rows kept); betas, SE, t, p and dof per channel and
// chromophore; t contrasts. Runs anywhere (any thread, Node). Offline: allocates per call.
// Design matrices are COLUMN-MAJOR [column, frame] (= X transposed); data CHANNEL-MAJOR [channel, frame].
import { InputError } from '../core/errors';
import { logGamma, studentTLog10TwoSidedP, studentTTwoSidedP } from './student-t';

/** numpy.rint / numpy.round: round half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Parameters of the double-gamma HRF (Nilearn's _gamma_difference_hrf; SPM defaults). */
export interface HrfOptions {
  /** Peak gamma shape × dispersion, s; default 6. */
  delaySeconds?: number;
  /** Undershoot gamma shape × dispersion, s; default 16. */
  undershootSeconds?: number;
  dispersion?: number;
  undershootDispersion?: number;
  /** Undershoot amplitude; Nilearn's 0.167 (SPM12 uses 1/6). */
  ratio?: number;
  onsetSeconds?: number;
  /** Kernel length, s; default 32. */
  lengthSeconds?: number;
}

/** ln of scipy.stats.gamma.pdf(x, shape, loc, scale) for x > loc (−Infinity elsewhere). */
function logGammaPdf(x: number, shape: number, loc: number, scale: number, lgShape: number): number {
  const z = (x - loc) / scale;
  if (!(z > 0)) return -Infinity;
  return (shape - 1) * Math.log(z) - z - lgShape - Math.log(scale);
}

/**
 * Nilearn `spm_hrf(t_r, oversampling)` exactly (what MNE-NIRS's GLM convolves with): dt = t_r/O,
 * N = rint(length/dt) samples on numpy.linspace(0, length, N) (spacing length/(N−1), not dt), gamma
 * pdfs shifted by loc = dt, h = G(6) − 0.167·G(16), normalised to sum 1.
 */
export function spmHrf(tR: number, oversampling = 50, o: HrfOptions = {}): Float64Array {
  if (!(tR > 0) || !(oversampling >= 1)) throw new InputError(`t_r must be positive and oversampling ≥ 1, got ${tR}, ${oversampling}`, 'spm hrf');
  const delay = o.delaySeconds ?? 6;
  const under = o.undershootSeconds ?? 16;
  const disp = o.dispersion ?? 1;
  const uDisp = o.undershootDispersion ?? 1;
  const ratio = o.ratio ?? 0.167;
  const onset = o.onsetSeconds ?? 0;
  const length = o.lengthSeconds ?? 32;
  const dt = tR / oversampling;
  const N = roundHalfEven(length / dt);
  if (!(N >= 2)) throw new InputError(`kernel of ${length} s at ${dt} s steps has under 2 samples`, 'spm hrf');
  const step = length / (N - 1);
  const a1 = delay / disp;
  const a2 = under / uDisp;
  const lg1 = logGamma(a1);
  const lg2 = logGamma(a2);
  const h = new Float64Array(N);
  let sum = 0;
  for (let j = 0; j < N; j++) {
    const s = (j === N - 1 ? length : j * step) - onset;
    const v = Math.exp(logGammaPdf(s, a1, dt, disp, lg1)) - ratio * Math.exp(logGammaPdf(s, a2, dt, uDisp, lg2));
    h[j] = v;
    sum += v;
  }
  for (let j = 0; j < N; j++) h[j] /= sum;
  return h;
}

/** One event of the design: onset and duration in seconds on the frame-time axis. */
export interface GlmEvent {
  condition: string;
  onsetSeconds: number;
  durationSeconds: number;
  /** Default 1. */
  amplitude?: number;
}

export interface DesignOptions {
  /** Default 50 (Nilearn's and MNE-NIRS's). */
  oversampling?: number;
  /** Seconds before the first frame where the high-resolution grid starts; default −24 (Nilearn). */
  minOnsetSeconds?: number;
  /** Cosine drift cut-off, Hz; default 0.01 (MNE-NIRS); 'none' adds no drift. */
  highPassHz?: number | 'none';
  hrf?: HrfOptions;
}

export interface DesignMatrix {
  /** Conditions (sorted as numpy.unique), drift_1 … drift_K, constant. */
  columns: string[];
  conditions: string[];
  frameCount: number;
  /** COLUMN-MAJOR: X[frame t, column j] = data[j·frameCount + t]. */
  data: Float64Array;
}

/** First index i with grid(i) ≥ v (numpy.searchsorted, side 'left') on an evenly spaced grid. */
function searchGrid(v: number, a: number, step: number, n: number, grid: (i: number) => number): number {
  let i = Math.max(0, Math.min(n, Math.ceil((v - a) / step)));
  while (i > 0 && grid(i - 1) >= v) i--;
  while (i < n && grid(i) < v) i++;
  return i;
}

/**
 * Nilearn `make_first_level_design_matrix(frame_times, events, hrf_model='spm', drift_model='cosine',
 * high_pass, oversampling, min_onset)`, arithmetic as Nilearn 0.10–0.14: per condition, a boxcar on
 * the grid linspace(f0 + min_onset, f_last·(1 + 1/(n−1)), N_hr) (onset/offset by searchsorted),
 * convolved with `spmHrf(t_r, O)` (t_r = smallest frame step) and linearly interpolated at the frames;
 * then K = floor(2·n·high_pass·Δt) cosines √(2/n)·cos(π/n·(t + ½)·k) and a constant column.
 * The convolution is evaluated only where the frames need it, through the kernel's running sum.
 */
export function designMatrix(frameTimesSeconds: ArrayLike<number>, events: readonly GlmEvent[], o: DesignOptions = {}): DesignMatrix {
  const where = 'glm design';
  const n = frameTimesSeconds.length;
  if (n < 2) throw new InputError(`needs at least 2 frames, got ${n}`, where);
  const f = Float64Array.from(frameTimesSeconds);
  let tR = Infinity;
  for (let k = 0; k + 1 < n; k++) {
    const d = f[k + 1] - f[k];
    if (!(d > 0)) throw new InputError(`frame times must increase (frame ${k + 1})`, where);
    tR = Math.min(tR, d);
  }
  const O = o.oversampling ?? 50;
  const minOnset = o.minOnsetSeconds ?? -24;
  const fMin = f[0];
  const fMax = f[n - 1];
  for (const [i, e] of events.entries()) {
    if (!Number.isFinite(e.onsetSeconds) || !(e.durationSeconds >= 0) || !Number.isFinite(e.amplitude ?? 1)) throw new InputError(`event ${i} (${e.condition}) needs a finite onset, a duration ≥ 0 and a finite amplitude`, where);
  }
  const conditions = [...new Set(events.map((e) => e.condition))].sort();
  const h = spmHrf(tR, O, o.hrf);
  const Nh = h.length;
  // H[k] = Σ_{j ≤ k} h_j (compensated), the response to a unit step k grid steps after its onset.
  const H = new Float64Array(Nh);
  let acc = 0;
  let comp = 0;
  for (let j = 0; j < Nh; j++) {
    const y = h[j] - comp;
    const s = acc + y;
    comp = s - acc - y;
    acc = s;
    H[j] = acc;
  }
  const step = (k: number): number => (k < 0 ? 0 : H[Math.min(k, Nh - 1)]);
  const nHr = roundHalfEven(((n - 1) / (fMax - fMin)) * (fMax * (1 + 1 / (n - 1)) - fMin - minOnset) * O + 1);
  const ga = fMin + minOnset;
  const gb = fMax * (1 + 1 / (n - 1));
  const gStep = (gb - ga) / (nHr - 1);
  const grid = (i: number): number => (i === nHr - 1 ? gb : i * gStep + ga);
  // Interpolation brackets: frame k lies in (grid(idx[k] − 1), grid(idx[k])].
  const idx = new Int32Array(n);
  for (let k = 0; k < n; k++) idx[k] = Math.min(nHr - 1, Math.max(1, searchGrid(f[k], ga, gStep, nHr, grid)));
  let drifts = 0;
  if (o.highPassHz !== 'none') {
    const hp = o.highPassHz ?? 0.01;
    if (!(hp > 0)) throw new InputError(`high-pass must be positive (Hz) or 'none', got ${hp}`, where);
    drifts = Math.min(n - 1, Math.floor(2 * n * hp * ((fMax - fMin) / (n - 1))));
  }
  const columns = [...conditions, ...Array.from({ length: drifts }, (_, k) => `drift_${k + 1}`), 'constant'];
  const data = new Float64Array(columns.length * n);
  conditions.forEach((cond, j) => {
    const col = data.subarray(j * n, (j + 1) * n);
    // c at grid index i: Σ_e a_e (H(i − on_e) − H(i − off_e)); only frames within [on, off + Nh) see event e.
    const lo = new Float64Array(n);
    const hi = new Float64Array(n);
    for (const e of events) {
      if (e.condition !== cond) continue;
      const amp = e.amplitude ?? 1;
      const on = Math.min(searchGrid(e.onsetSeconds, ga, gStep, nHr, grid), nHr - 1);
      let off = Math.min(searchGrid(e.onsetSeconds + e.durationSeconds, ga, gStep, nHr, grid), nHr - 1);
      if (off < nHr - 1 && off === on) off++;
      for (let k = 0; k < n; k++) {
        const i = idx[k];
        if (i < on) continue;
        if (i - 1 >= off + Nh) break;
        lo[k] += amp * (step(i - 1 - on) - step(i - 1 - off));
        hi[k] += amp * (step(i - on) - step(i - off));
      }
    }
    for (let k = 0; k < n; k++) {
      const i = idx[k];
      const g0 = grid(i - 1);
      col[k] = ((hi[k] - lo[k]) / (grid(i) - g0)) * (f[k] - g0) + lo[k];
    }
  });
  const norm = Math.sqrt(2 / n);
  for (let k = 1; k <= drifts; k++) {
    const col = data.subarray((conditions.length + k - 1) * n, (conditions.length + k) * n);
    for (let t = 0; t < n; t++) col[t] = norm * Math.cos((Math.PI / n) * (t + 0.5) * k);
  }
  data.fill(1, (columns.length - 1) * n);
  return { columns, conditions, frameCount: n, data };
}

/** Frame times k / fs (MNE's raw.times: the first sample at 0). */
export function frameTimes(sampleCount: number, sampleRateHz: number): Float64Array {
  return Float64Array.from({ length: sampleCount }, (_, k) => k / sampleRateHz);
}

export type NoiseModel = 'ols' | 'ar1';

export interface GlmFit {
  noiseModel: NoiseModel;
  columns: string[];
  channelCount: number;
  /** n − rank(X). */
  dof: number;
  rank: number;
  /** [channel, column]. */
  betas: Float64Array;
  /** RSS / dof per channel (whitened for AR(1): the innovation variance). */
  residualVariance: Float64Array;
  /** AR(1) coefficient per channel (Yule–Walker on the OLS residuals); zeros for OLS. */
  rho: Float64Array;
  /** (XᵀX)⁻¹ per channel ([channel, column, column]; the same for every channel under OLS). */
  unscaledCovariance: Float64Array;
}

/** Cholesky of the p × p SPD matrix g (row-major, in place, lower triangle); throws naming the first dependent column. */
function cholesky(g: Float64Array, p: number, columns: readonly string[]): void {
  for (let j = 0; j < p; j++) {
    let d = g[j * p + j];
    for (let k = 0; k < j; k++) d -= g[j * p + k] ** 2;
    // Columns are scaled to unit norm first, so a pivot near 0 means linear dependence.
    if (!(d > 1e-12)) throw new InputError(`design matrix is rank-deficient: column "${columns[j]}" is (nearly) a combination of the ones before it; remove it or change the events`, 'glm fit');
    const l = Math.sqrt(d);
    g[j * p + j] = l;
    for (let i = j + 1; i < p; i++) {
      let s = g[i * p + j];
      for (let k = 0; k < j; k++) s -= g[i * p + k] * g[j * p + k];
      g[i * p + j] = s / l;
    }
  }
}

/** Solves L Lᵀ x = b in place (L lower triangle of g). */
function choleskySolve(g: Float64Array, p: number, b: Float64Array): void {
  for (let i = 0; i < p; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= g[i * p + k] * b[k];
    b[i] = s / g[i * p + i];
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < p; k++) s -= g[k * p + i] * b[k];
    b[i] = s / g[i * p + i];
  }
}

/**
 * Normal equations from a Gram matrix XᵀX, equilibrated (columns scaled to unit norm, Cholesky; for
 * well-conditioned fNIRS designs as accurate as QR, ~1e-14), with (XᵀX)⁻¹; reused for every channel
 * that shares the design.
 */
class GramSolver {
  readonly inverse: Float64Array;
  private readonly scale: Float64Array;
  private readonly chol: Float64Array;
  private readonly rhs: Float64Array;
  constructor(
    gram: Float64Array,
    private readonly p: number,
    columns: readonly string[],
  ) {
    const scale = (this.scale = new Float64Array(p));
    for (let j = 0; j < p; j++) {
      if (!(gram[j * p + j] > 0)) throw new InputError(`design column "${columns[j]}" is all zeros`, 'glm fit');
      scale[j] = 1 / Math.sqrt(gram[j * p + j]);
    }
    const g = (this.chol = new Float64Array(p * p));
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) g[i * p + j] = gram[i * p + j] * scale[i] * scale[j];
    cholesky(g, p, columns);
    this.rhs = new Float64Array(p);
    this.inverse = new Float64Array(p * p);
    for (let j = 0; j < p; j++) {
      const e = this.rhs.fill(0);
      e[j] = 1;
      choleskySolve(g, p, e);
      for (let i = 0; i < p; i++) this.inverse[i * p + j] = e[i] * scale[i] * scale[j];
    }
  }

  /** β from Xᵀy into `beta`. */
  solve(xty: Float64Array, beta: Float64Array): void {
    const { p, scale } = this;
    const b = this.rhs;
    for (let j = 0; j < p; j++) b[j] = xty[j] * scale[j];
    choleskySolve(this.chol, p, b);
    for (let j = 0; j < p; j++) beta[j] = b[j] * scale[j];
  }
}

/** Σ_t a[ao + t]·b[bo + t], t = 0 … n − 1. */
function dot(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, n: number): number {
  let s = 0;
  for (let t = 0; t < n; t++) s += a[ao + t] * b[bo + t];
  return s;
}

/**
 * What every channel's fit needs from the design, computed once, so that the Prais–Winsten-whitened
 * normal equations of any ρ cost O(p²) (Gram) and O(p·n) (right-hand side) instead of O(p²·n) per
 * channel — an hour's cosine drift basis alone has ~70 columns. With d_t = x_t − x_{t−1} and
 * δ = 1 − ρ, x_t − ρx_{t−1} = d_t + δ·x_{t−1}, so
 *   X*ᵀX* = (1 − ρ²)·x_0x_0ᵀ + D + δ(E + Eᵀ) + δ²M,  D = Σd_t d_tᵀ, E = Σd_t x_{t−1}ᵀ, M = Σx_{t−1}x_{t−1}ᵀ
 * (sums over t ≥ 1): the differences are formed sample by sample, so nothing cancels when ρ → 1
 * (expanding S0 − 2ρS1 + ρ²S0 instead loses ~4 digits at ρ = 0.98).
 */
class DesignMoments {
  /** XᵀX (the OLS Gram matrix). */
  readonly s0: Float64Array;
  private readonly dx: Float64Array;
  private readonly dd: Float64Array;
  private readonly dxLag: Float64Array;
  private readonly lagLag: Float64Array;
  private readonly dy: Float64Array;
  private readonly sums: Float64Array;
  private y0 = 0;
  private yLast = 0;
  constructor(
    readonly x: Float64Array,
    readonly n: number,
    readonly p: number,
  ) {
    const m = n - 1;
    const dx = (this.dx = new Float64Array(p * m));
    for (let j = 0; j < p; j++) for (let t = 0; t < m; t++) dx[j * m + t] = x[j * n + t + 1] - x[j * n + t];
    this.s0 = new Float64Array(p * p);
    this.dd = new Float64Array(p * p);
    this.dxLag = new Float64Array(p * p);
    this.lagLag = new Float64Array(p * p);
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) {
        if (j <= i) {
          this.s0[i * p + j] = this.s0[j * p + i] = dot(x, i * n, x, j * n, n);
          this.dd[i * p + j] = this.dd[j * p + i] = dot(dx, i * m, dx, j * m, m);
          this.lagLag[i * p + j] = this.lagLag[j * p + i] = dot(x, i * n, x, j * n, m);
        }
        this.dxLag[i * p + j] = dot(dx, i * m, x, j * n, m);
      }
    }
    this.dy = new Float64Array(m);
    this.sums = new Float64Array(4 * p);
  }

  whitenedGram(rho: number): Float64Array {
    const { x, n, p } = this;
    const g = new Float64Array(p * p);
    const delta = 1 - rho;
    const head = 1 - rho * rho;
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) {
        const k = i * p + j;
        g[k] = head * x[i * n] * x[j * n] + this.dd[k] + delta * (this.dxLag[k] + this.dxLag[j * p + i]) + delta * delta * this.lagLag[k];
      }
    }
    return g;
  }

  /**
   * One pass over y for everything its right-hand sides need: per column Σd·dy, Σd_t·y_{t−1},
   * Σx_{t−1}·dy_t, Σx_{t−1}·y_{t−1} (t ≥ 1), kept for `xty`.
   */
  load(y: Float64Array): void {
    const { x, n, p, dx, dy, sums } = this;
    const m = n - 1;
    for (let t = 0; t < m; t++) dy[t] = y[t + 1] - y[t];
    for (let j = 0; j < p; j++) {
      const xo = j * n;
      const dO = j * m;
      let a = 0, b = 0, c = 0, d = 0;
      for (let t = 0; t < m; t++) {
        const dxt = dx[dO + t];
        const xt = x[xo + t];
        const dyt = dy[t];
        const yt = y[t];
        a += dxt * dyt;
        b += dxt * yt;
        c += xt * dyt;
        d += xt * yt;
      }
      sums[4 * j] = a;
      sums[4 * j + 1] = b;
      sums[4 * j + 2] = c;
      sums[4 * j + 3] = d;
    }
    this.y0 = y[0];
    this.yLast = y[m];
  }

  /** Xᵀy (ρ = 0) or X*ᵀy* (same decomposition as whitenedGram) of the loaded y into `out`. */
  xty(rho: number, out: Float64Array): void {
    const { x, n, p, sums } = this;
    const delta = 1 - rho;
    for (let j = 0; j < p; j++) {
      const [dd, dLag, lagD, lagLag] = [sums[4 * j], sums[4 * j + 1], sums[4 * j + 2], sums[4 * j + 3]];
      out[j] = rho === 0 ? lagLag + x[j * n + n - 1] * this.yLast : (1 - rho * rho) * x[j * n] * this.y0 + dd + delta * (dLag + lagD) + delta * delta * lagLag;
    }
  }

  /** Residuals y − Xβ into `out` and the sum of squares of their Prais–Winsten transform (ρ = 0: plain RSS). */
  residuals(y: Float64Array, beta: Float64Array, rho: number, out: Float64Array): number {
    const { x, n, p } = this;
    out.set(y.subarray(0, n));
    for (let j = 0; j < p; j++) {
      const b = beta[j];
      const o = j * n;
      for (let t = 0; t < n; t++) out[t] -= x[o + t] * b;
    }
    let rss = (1 - rho * rho) * out[0] * out[0];
    for (let t = 1; t < n; t++) {
      const w = out[t] - rho * out[t - 1];
      rss += w * w;
    }
    return rss;
  }
}

/**
 * Fits the GLM to every channel of `y` (CHANNEL-MAJOR [channel, frame], Float32Array or Float64Array;
 * arithmetic in float64). 'ols': β = argmin ‖y − Xβ‖², σ² = RSS/(n − rank). 'ar1' (MNE-NIRS's default
 * noise model, here without Nilearn's rounding of ρ): ρ = Σe_t e_{t−1} / Σe_t² from the OLS residuals,
 * Prais–Winsten whitening of y and X keeping row 0, one OLS refit; σ² and (X*ᵀX*)⁻¹ from the whitened fit.
 * A channel with a non-finite sample is refused, naming it (nothing spreads to the other channels).
 */
export function fitGlm(y: ArrayLike<number>, channelCount: number, design: DesignMatrix, noiseModel: NoiseModel = 'ar1'): GlmFit {
  const where = 'glm fit';
  const n = design.frameCount;
  const p = design.columns.length;
  if (y.length !== channelCount * n) throw new InputError(`data has ${y.length} values; ${channelCount} channels × ${n} frames of the design expected`, where);
  if (n <= p) throw new InputError(`${n} frames cannot fit ${p} regressors`, where);
  const betas = new Float64Array(channelCount * p);
  const residualVariance = new Float64Array(channelCount);
  const rho = new Float64Array(channelCount);
  const unscaledCovariance = new Float64Array(channelCount * p * p);
  const dof = n - p;
  const yc = new Float64Array(n);
  const e = new Float64Array(n);
  const xty = new Float64Array(p);
  const olsBeta = new Float64Array(p);
  const moments = new DesignMoments(design.data, n, p);
  const ols = new GramSolver(moments.s0, p, design.columns);
  for (let c = 0; c < channelCount; c++) {
    for (let t = 0; t < n; t++) {
      const v = y[c * n + t];
      if (!Number.isFinite(v)) throw new InputError(`channel ${c} has a non-finite value at frame ${t}; drop or repair the channel first`, where);
      yc[t] = v;
    }
    const b = betas.subarray(c * p, (c + 1) * p);
    const inv = unscaledCovariance.subarray(c * p * p, (c + 1) * p * p);
    moments.load(yc);
    moments.xty(0, xty);
    if (noiseModel === 'ols') {
      ols.solve(xty, b);
      residualVariance[c] = moments.residuals(yc, b, 0, e) / dof;
      inv.set(ols.inverse);
      continue;
    }
    ols.solve(xty, olsBeta);
    moments.residuals(yc, olsBeta, 0, e);
    let num = 0;
    let den = e[0] * e[0];
    for (let t = 1; t < n; t++) {
      num += e[t] * e[t - 1];
      den += e[t] * e[t];
    }
    const r = den > 0 ? num / den : 0;
    rho[c] = r;
    const whitened = new GramSolver(moments.whitenedGram(r), p, design.columns);
    moments.xty(r, xty);
    whitened.solve(xty, b);
    residualVariance[c] = moments.residuals(yc, b, r, e) / dof;
    inv.set(whitened.inverse);
  }
  return { noiseModel, columns: design.columns, channelCount, dof, rank: p, betas, residualVariance, rho, unscaledCovariance };
}

export interface ContrastResult {
  name: string;
  /** Weights over the design columns. */
  vector: Float64Array;
  /** Per channel: c·β, √(σ²·cᵀ(XᵀX)⁻¹c), their ratio t, two-sided p and log10 p (finite where p underflows). */
  effect: Float64Array;
  se: Float64Array;
  t: Float64Array;
  p: Float64Array;
  log10p: Float64Array;
  dof: number;
}

/**
 * A t contrast: `weights` is a vector over the columns or a map column → weight (`{ '1': 1, '2': -1 }`);
 * other columns get 0. p = 2·P(T_dof > |t|).
 */
export function glmContrast(fit: GlmFit, weights: ArrayLike<number> | Readonly<Record<string, number>>, name?: string): ContrastResult {
  const p = fit.columns.length;
  let vector: Float64Array;
  if (typeof (weights as ArrayLike<number>).length === 'number') {
    vector = Float64Array.from(weights as ArrayLike<number>);
    if (vector.length !== p) throw new InputError(`contrast has ${vector.length} weights for ${p} columns (${fit.columns.join(', ')})`, 'glm contrast');
  } else {
    vector = new Float64Array(p);
    for (const [col, w] of Object.entries(weights as Record<string, number>)) {
      const j = fit.columns.indexOf(col);
      if (j < 0) throw new InputError(`no design column "${col}" (columns: ${fit.columns.join(', ')})`, 'glm contrast');
      vector[j] = w;
    }
  }
  if (!vector.some((w) => w !== 0)) throw new InputError('contrast has no non-zero weight', 'glm contrast');
  const C = fit.channelCount;
  const out: ContrastResult = {
    name: name ?? fit.columns.map((col, j) => (vector[j] ? `${vector[j] === 1 ? '' : vector[j] === -1 ? '-' : vector[j]}${col}` : '')).filter(Boolean).join(' + '),
    vector,
    effect: new Float64Array(C),
    se: new Float64Array(C),
    t: new Float64Array(C),
    p: new Float64Array(C),
    log10p: new Float64Array(C),
    dof: fit.dof,
  };
  for (let c = 0; c < C; c++) {
    let eff = 0;
    let q = 0;
    for (let i = 0; i < p; i++) {
      eff += vector[i] * fit.betas[c * p + i];
      for (let j = 0; j < p; j++) q += vector[i] * fit.unscaledCovariance[c * p * p + i * p + j] * vector[j];
    }
    const se = Math.sqrt(fit.residualVariance[c] * q);
    const t = eff / se;
    out.effect[c] = eff;
    out.se[c] = se;
    out.t[c] = t;
    out.p[c] = studentTTwoSidedP(t, fit.dof);
    out.log10p[c] = studentTLog10TwoSidedP(t, fit.dof);
  }
  return out;
}
