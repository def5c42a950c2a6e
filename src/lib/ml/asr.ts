// Artifact Subspace Reconstruction (Kothe & Jung 2016; Chang et al. 2019), following clean_rawdata 2.11
// (sccn/clean_rawdata asr_calibrate.m / asr_process.m): calibration on clean data, then streaming
// reconstruction of the high-variance subspace. NeuroPype's ArtifactRemoval is this algorithm. Runs
// anywhere. `asrCalibrate` allocates freely; `AsrProcessor.process` allocates its output and, at each
// statistics update (every `stepSamples`), the eigendecomposition's matrices — never per sample.
//
// Layout: FRAME-MAJOR samples x[n·channels + c] in and out (the engine's chunks). All arithmetic float64.
//
// Calibration (asr_calibrate): non-finite samples → 0; the IIR spectral-shaping filter (default: MATLAB's
// yulewalk(8, [0 2 3 13 16 40 min(80, fs/2−1) fs/2] Hz, [3 .75 .33 .33 1 1 3 3]), i.e. more weight on
// delta and gamma) runs from rest; per block of `blockSize` samples the mean outer product; their
// geometric median (Weiszfeld, tol 1e-5, 500 iterations, started at the coordinate-wise median) is the
// robust covariance C₀; M = sqrtm(C₀); with M = V D Vᵀ, the RMS of each component |x·V| in windows of
// `windowSeconds` with `windowOverlap` is fitted by a truncated generalised Gaussian
// (`fitEegDistribution`), and the threshold matrix is T = diag(μ + cutoff·σ)·Vᵀ.
//
// Processing (asr_process): the shaping filter continues from its calibration state; the covariance is
// the mean outer product of the filtered samples over the last N = round(window·fs) samples (zeros before
// the first); at statistics sample 1 and every multiple of `stepSamples` (counted from the start of the
// stream, not of the chunk — this is where we differ from asr_process, whose update points restart in
// each chunk, so that any chunking gives the same output) the covariance's eigenvectors V with
// eigenvalues d are judged: component i is an artifact when d_i ≥ ‖T v_i‖² and it is among the top
// `maxDims` (clean_rawdata's rule, including its `(1:C) < C − maxDims` count); the reconstruction is
// R = M·pinv(diag(keep)·VᵀM)·Vᵀ (computed as C₀V_k(V_kᵀC₀V_k)⁻¹V_kᵀ, the same matrix when M has full
// rank), blended from the previous R with a raised cosine over the samples since the last update.
// Statistics run `lookahead` samples ahead of the output: a sample leaves once the update after its
// position + lookahead has been computed, so the output lags the input by lookahead plus up to one step.
// `flush()` ends the stream as clean_asr does offline: the signal is extended by its reflection through
// the last sample (lookahead samples), and the final update falls on the end of that extension. The
// concatenated output then equals clean_asr on the whole recording, sample for sample.
import gamma from '@stdlib/math-base-special-gamma';
import gammaincinv from '@stdlib/math-base-special-gammaincinv';
import { EigenvalueDecomposition, Matrix, pseudoInverse } from 'ml-matrix';
import { InputError, StateError } from '../core/errors';
import { LFilter, type Samples } from '../dsp/iir';
import { yulewalk, type YulewalkFilter } from '../dsp/yulewalk';
import { eighSymmetric, fromRows, toRows, dense } from './linalg';

export interface AsrCalibrationOptions {
  sampleRateHz: number;
  /** Threshold in standard deviations of the clean component RMS (NeuroPype 7.5; clean_rawdata 5). */
  cutoff?: number;
  /** Samples per block of the robust covariance (default 10). */
  blockSize?: number;
  /** Spectral-shaping IIR filter for the statistics (default `asrShapingFilter(fs)`). */
  filter?: YulewalkFilter;
  /** RMS window for the thresholds, seconds (default 0.5). */
  windowSeconds?: number;
  /** Overlap of those windows, 0…1 (default 0.66). */
  windowOverlap?: number;
  /** Most of the windows that may be artifacts below the clean range (default 0.1). */
  maxDropoutFraction?: number;
  /** Least fraction of the windows that are clean (default 0.25). */
  minCleanFraction?: number;
}

/** Calibrated ASR, plain JSON. */
export interface AsrState {
  kind: 'asr';
  version: 1;
  channelCount: number;
  sampleRateHz: number;
  cutoff: number;
  /** M = sqrtm(robust covariance of the filtered calibration data), [channel][channel]. */
  mixing: number[][];
  /** T = diag(μ + cutoff·σ)·Vᵀ, [component][channel]. */
  threshold: number[][];
  b: number[];
  a: number[];
  /** Shaping-filter state at the end of the calibration data, [channel × order] (clean_rawdata carries it on). */
  filterState: number[];
}

/** clean_rawdata's default shaping filter for a sampling rate (MATLAB yulewalk, order 8). */
export function asrShapingFilter(sampleRateHz: number): YulewalkFilter {
  if (!(sampleRateHz > 0)) throw new InputError(`sampling rate must be positive, got ${sampleRateHz}`, 'ASR filter');
  const hz = [0, 2, 3, 13, 16, 40, Math.min(80, sampleRateHz / 2 - 1)];
  const amps = [3, 0.75, 0.33, 0.33, 1, 1, 3, 3];
  if (sampleRateHz < 80) {
    // clean_rawdata: min(80, fs/2 − 1) lies below 40 Hz then; drop that corner rather than attenuate.
    hz.splice(hz.length - 2, 1);
    amps.pop();
  }
  return yulewalk(8, [...hz.map((f) => (2 * f) / sampleRateHz), 1], amps);
}

export interface EegDistributionFit {
  mu: number;
  sigma: number;
  alpha: number;
  beta: number;
}

/**
 * clean_rawdata `fit_eeg_distribution`: fit a generalised Gaussian exp(−|x|^β) truncated to the
 * quantiles [0.022, 0.6] to the clean part of a distribution of values (window RMS), searching the
 * left offset (up to `maxDropoutFraction`), the width (down to `minCleanFraction` of the interval)
 * and β ∈ 1.7:0.15:3.5 for the least KL divergence of a histogram. Returns location μ and scale σ.
 */
export function fitEegDistribution(values: ArrayLike<number>, minCleanFraction = 0.25, maxDropoutFraction = 0.1): EegDistributionFit {
  const quants = [0.022, 0.6];
  const step = 0.01;
  const betas = Array.from({ length: 13 }, (_, i) => 1.7 + 0.15 * i);
  const x = Float64Array.from(values).sort();
  const n = x.length;
  const zbounds = betas.map((b) => quants.map((q) => Math.sign(q - 0.5) * gammaincinv(Math.sign(q - 0.5) * (2 * q - 1), 1 / b) ** (1 / b)));
  const rescale = betas.map((b) => b / (2 * gamma(1 / b)));
  const lowerMin = quants[0];
  const maxWidth = quants[1] - quants[0];
  const minWidth = minCleanFraction * maxWidth;
  const offsets = Array.from({ length: Math.floor(maxDropoutFraction / step + 1e-10) + 1 }, (_, k) => Math.round(n * (lowerMin + step * k)));
  const rows = Math.round(n * maxWidth);
  if (rows < 2 || offsets[offsets.length - 1] + rows > n) throw new InputError(`${n} windows are too few to fit the clean EEG distribution; give more calibration data`, 'ASR calibration');
  const cols = offsets.length;
  // xm[i][j] = x[i + offset_j] − x[offset_j]  (MATLAB's X(1+m : …) with 1-based offsets)
  const xm = new Float64Array(rows * cols);
  const x1 = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    x1[j] = x[offsets[j]];
    for (let i = 0; i < rows; i++) xm[i * cols + j] = x[i + offsets[j]] - x1[j];
  }
  let best = Infinity;
  let optBeta = betas[0];
  let optBounds = zbounds[0];
  let optLo = 0;
  let optHi = 0;
  const widths = Math.floor((maxWidth - minWidth) / step + 1e-10) + 1;
  for (let w = 0; w < widths; w++) {
    const m = Math.round(n * (maxWidth - step * w));
    const nbins = Math.round(3 * Math.log2(1 + m / 2));
    const logq = new Float64Array(nbins * cols);
    for (let j = 0; j < cols; j++) {
      const scale = nbins / xm[(m - 1) * cols + j];
      const counts = new Float64Array(nbins);
      for (let i = 0; i < m; i++) {
        const h = xm[i * cols + j] * scale;
        counts[h >= nbins - 1 ? nbins - 1 : Math.floor(h)]++;
      }
      for (let k = 0; k < nbins; k++) logq[k * cols + j] = Math.log(counts[k] + 0.01);
    }
    for (let bi = 0; bi < betas.length; bi++) {
      const [lo, hi] = zbounds[bi];
      const p = new Float64Array(nbins);
      let ps = 0;
      for (let k = 0; k < nbins; k++) ps += p[k] = Math.exp(-(Math.abs(lo + ((k + 0.5) / nbins) * (hi - lo)) ** betas[bi])) * rescale[bi];
      for (let k = 0; k < nbins; k++) p[k] /= ps;
      let minKl = Infinity;
      let idx = 0;
      for (let j = 0; j < cols; j++) {
        let kl = 0;
        for (let k = 0; k < nbins; k++) kl += p[k] * (Math.log(p[k]) - logq[k * cols + j]);
        kl += Math.log(m);
        if (kl < minKl) {
          minKl = kl;
          idx = j;
        }
      }
      if (minKl < best) {
        best = minKl;
        optBeta = betas[bi];
        optBounds = zbounds[bi];
        optLo = x1[idx];
        optHi = x1[idx] + xm[(m - 1) * cols + idx];
      }
    }
  }
  const alpha = (optHi - optLo) / (optBounds[1] - optBounds[0]);
  const mu = optLo - optBounds[0] * alpha;
  const sigma = Math.sqrt((alpha * alpha * gamma(3 / optBeta)) / gamma(1 / optBeta));
  return { mu, sigma, alpha, beta: optBeta };
}

/**
 * Geometric median of the rows of an n × d row-major matrix (Weiszfeld, as clean_rawdata's
 * `geometric_median`: start at the coordinate-wise median, stop when ‖Δy‖/‖y‖ < tol). `weights`
 * scale each coordinate's share of the distances (a symmetric matrix stored as its triangle uses 2
 * for the off-diagonal entries, giving the median of the full matrices).
 */
export function geometricMedian(x: Float64Array, n: number, d: number, weights?: Float64Array, tol = 1e-5, maxIterations = 500): Float64Array {
  const y = new Float64Array(d);
  const col = new Float64Array(n);
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < n; i++) col[i] = x[i * d + j];
    col.sort();
    y[j] = n % 2 ? col[(n - 1) >> 1] : 0.5 * (col[n / 2 - 1] + col[n / 2]);
  }
  const w = weights ?? new Float64Array(d).fill(1);
  const next = new Float64Array(d);
  for (let it = 0; it < maxIterations; it++) {
    next.fill(0);
    let total = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const v = x[i * d + j] - y[j];
        s += w[j] * v * v;
      }
      if (s === 0) continue;
      const inv = 1 / Math.sqrt(s);
      total += inv;
      for (let j = 0; j < d; j++) next[j] += x[i * d + j] * inv;
    }
    let dn = 0;
    let yn = 0;
    for (let j = 0; j < d; j++) {
      const v = next[j] / total;
      dn += w[j] * (v - y[j]) ** 2;
      yn += w[j] * v * v;
      y[j] = v;
    }
    if (Math.sqrt(dn) / Math.sqrt(yn) < tol) break;
  }
  return y;
}

export interface CleanWindowsOptions {
  sampleRateHz: number;
  /** Most channels allowed out of range in a kept window: a count, or a fraction when in (0, 1) (NeuroPype 0.2). */
  maxBadChannels?: number;
  /** [low, high] robust z-score range of window RMS (NeuroPype's ASR [-5, 7]; clean_rawdata [-3.5, 5]). */
  zThresholds?: readonly [number, number];
  /** Window length, seconds (NeuroPype's window_len_cleanwindow 0.5; clean_rawdata 1). */
  windowSeconds?: number;
  /** Window overlap (default 0.66). */
  windowOverlap?: number;
  maxDropoutFraction?: number;
  minCleanFraction?: number;
}

/**
 * clean_rawdata `clean_windows` (NeuroPype's ArtifactRemoval `use_clean_window`): per channel, window
 * RMS z-scored against its clean distribution (`fitEegDistribution`); a window is removed when more
 * than `maxBadChannels` channels lie above the high or below the low threshold. Returns the kept
 * FRAME-MAJOR samples (the calibration data for `asrCalibrate`), the sample mask and the removed windows' start samples.
 */
export function cleanWindows(frames: Samples, channelCount: number, options: CleanWindowsOptions): { kept: Float64Array; mask: Uint8Array; removedWindowStarts: number[] } {
  const where = 'clean windows';
  const C = channelCount;
  if (frames.length % C !== 0) throw new InputError(`${frames.length} values are not whole ${C}-channel frames`, where);
  const S = frames.length / C;
  const fs = options.sampleRateHz;
  let maxBad = options.maxBadChannels ?? 0.2;
  if (maxBad > 0 && maxBad < 1) maxBad = Math.round(C * maxBad);
  const [zlo, zhi] = options.zThresholds ?? [-5, 7];
  const N = (options.windowSeconds ?? 0.5) * fs;
  const wl = Math.floor(N - 1) + 1;
  const hop = N * (1 - (options.windowOverlap ?? 0.66));
  const offsets: number[] = [];
  for (let k = 0; 1 + k * hop <= S - N + 1e-10; k++) offsets.push(Math.round(1 + k * hop) - 1);
  if (offsets.length < 10) throw new InputError(`${(S / fs).toFixed(1)} s hold too few windows to find the clean ones; give more calibration data`, where);
  const W = offsets.length;
  const wz = new Float64Array(C * W);
  const rms = new Float64Array(W);
  for (let c = 0; c < C; c++) {
    for (let w = 0; w < W; w++) {
      let acc = 0;
      for (let i = 0; i < wl; i++) acc += frames[(offsets[w] + i) * C + c] ** 2;
      rms[w] = Math.sqrt(acc / N);
    }
    const fit = fitEegDistribution(rms, options.minCleanFraction ?? 0.25, options.maxDropoutFraction ?? 0.1);
    for (let w = 0; w < W; w++) wz[c * W + w] = (rms[w] - fit.mu) / fit.sigma;
  }
  const mask = new Uint8Array(S).fill(1);
  const removed: number[] = [];
  const col = new Float64Array(C);
  for (let w = 0; w < W; w++) {
    for (let c = 0; c < C; c++) col[c] = wz[c * W + w];
    col.sort();
    const high = zhi > 0 && col[C - 1 - maxBad] > zhi;
    const low = zlo < 0 && col[maxBad] < zlo;
    if (high || low) {
      removed.push(offsets[w]);
      mask.fill(0, offsets[w], offsets[w] + wl);
    }
  }
  let n = 0;
  for (let t = 0; t < S; t++) n += mask[t];
  const kept = new Float64Array(n * C);
  for (let t = 0, o = 0; t < S; t++) if (mask[t]) for (let c = 0; c < C; c++) kept[o++] = frames[t * C + c];
  return { kept, mask, removedWindowStarts: removed };
}

/** Calibrate ASR on clean FRAME-MAJOR data (channels × at least a few seconds). */
export function asrCalibrate(frames: Samples, channelCount: number, options: AsrCalibrationOptions): AsrState {
  const where = 'ASR calibration';
  const C = channelCount;
  const fs = options.sampleRateHz;
  if (!Number.isInteger(C) || C < 1) throw new InputError(`channel count must be a positive integer, got ${C}`, where);
  if (frames.length % C !== 0) throw new InputError(`${frames.length} values are not whole ${C}-channel frames`, where);
  if (!(fs > 0)) throw new InputError(`sampling rate must be positive, got ${fs}`, where);
  const cutoff = options.cutoff ?? 7.5;
  const blockSize = options.blockSize ?? 10;
  const windowSeconds = options.windowSeconds ?? 0.5;
  const overlap = options.windowOverlap ?? 0.66;
  if (!(cutoff > 0)) throw new InputError(`cutoff must be a positive number of standard deviations, got ${cutoff}`, where);
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new InputError(`block size must be a positive integer, got ${blockSize}`, where);
  if (!(overlap >= 0 && overlap < 1)) throw new InputError(`window overlap must be in [0, 1), got ${overlap}`, where);
  const S = frames.length / C;
  const N = Math.round(windowSeconds * fs);
  const hop = N * (1 - overlap);
  if (N < 1 || S - N - 1 < hop) {
    throw new InputError(`${(S / fs).toFixed(2)} s of calibration data hold too few ${windowSeconds} s windows; give at least a few tens of seconds of clean data`, where);
  }
  const filter = options.filter ?? asrShapingFilter(fs);
  const x = Float64Array.from(frames, (v) => (Number.isFinite(v) ? v : 0));
  const iir = new LFilter(filter.b, filter.a, C);
  const xf = iir.process(x, new Float64Array(x.length));
  for (const v of xf) if (!Number.isFinite(v)) throw new InputError('the shaping IIR filter diverged on the calibration data; give a milder filter or remove the bad sections or channels', where);

  // Mean outer product per block (upper triangle), block j covering samples j·bs … j·bs + bs − 1 (clamped).
  const tri = (C * (C + 1)) / 2;
  const blocks = Math.ceil(S / blockSize);
  const u = new Float64Array(blocks * tri);
  for (let j = 0; j < blocks; j++) {
    const o = j * tri;
    for (let k = 0; k < blockSize; k++) {
      const t = Math.min(S - 1, j * blockSize + k) * C;
      let q = o;
      for (let a = 0; a < C; a++) {
        const va = xf[t + a];
        for (let b = a; b < C; b++) u[q++] += va * xf[t + b];
      }
    }
  }
  for (let i = 0; i < u.length; i++) u[i] /= blockSize;
  const weights = new Float64Array(tri);
  for (let a = 0, q = 0; a < C; a++) for (let b = a; b < C; b++) weights[q++] = a === b ? 1 : 2;
  const med = geometricMedian(u, blocks, tri, weights);
  const c0 = dense(C, C);
  for (let a = 0, q = 0; a < C; a++) for (let b = a; b < C; b++, q++) c0.data[a * C + b] = c0.data[b * C + a] = med[q];

  const e0 = eighSymmetric(c0);
  const m = dense(C, C);
  for (let k = 0; k < C; k++) {
    const s = Math.sqrt(Math.max(e0.values[k], 0));
    for (let a = 0; a < C; a++) for (let b = 0; b < C; b++) m.data[a * C + b] += e0.vectors.data[a * C + k] * s * e0.vectors.data[b * C + k];
  }
  const { vectors: V } = eighSymmetric(m);

  // Thresholds: per component, the RMS of |x·v| over windows starting at round(1 + k·hop) (1-based).
  const starts: number[] = [];
  for (let k = 0; 1 + k * hop <= S - N + 1e-10; k++) starts.push(Math.round(1 + k * hop) - 1);
  const y2 = new Float64Array(S);
  const t = dense(C, C);
  for (let c = 0; c < C; c++) {
    for (let s = 0; s < S; s++) {
      let v = 0;
      for (let a = 0; a < C; a++) v += xf[s * C + a] * V.data[a * C + c];
      y2[s] = v * v;
    }
    const rms = starts.map((s0) => {
      let acc = 0;
      for (let i = 0; i < N; i++) acc += y2[s0 + i];
      return Math.sqrt(acc / N);
    });
    const fit = fitEegDistribution(rms, options.minCleanFraction ?? 0.25, options.maxDropoutFraction ?? 0.1);
    const scale = fit.mu + cutoff * fit.sigma;
    for (let a = 0; a < C; a++) t.data[c * C + a] = scale * V.data[a * C + c];
  }
  return {
    kind: 'asr',
    version: 1,
    channelCount: C,
    sampleRateHz: fs,
    cutoff,
    mixing: toRows(m),
    threshold: toRows(t),
    b: Array.from(filter.b),
    a: Array.from(filter.a),
    filterState: Array.from(iir.getState()),
  };
}

export interface AsrProcessOptions {
  /** Covariance window, seconds (default 0.5; raised to 1.5·channels/fs as asr_process does). */
  windowSeconds?: number;
  /** How far the statistics run ahead of the output, seconds (default window/2). */
  lookaheadSeconds?: number;
  /** Samples between statistics updates (default 32, clean_rawdata's). */
  stepSamples?: number;
  /** Most components removed at once: a count (≥ 1) or a fraction of the channels (< 1; default 0.66). */
  maxDims?: number;
}

/** Streaming ASR over FRAME-MAJOR chunks; see the module header. One instance per stream. */
export class AsrProcessor {
  readonly channelCount: number;
  /** Samples of lookahead (P) and of the covariance window (N), and the update step. */
  readonly lookaheadFrames: number;
  readonly windowFrames: number;
  readonly stepFrames: number;
  /** Components that may be removed at once (after the fraction is resolved). */
  readonly maxDims: number;
  private readonly state: AsrState;
  private readonly m: Float64Array;
  private readonly t: Float64Array;
  private readonly c0: Float64Array;
  private readonly filter: LFilter;
  private readonly statsRing: Float64Array;
  private readonly raw: Float64Array;
  private readonly rawCapacity: number;
  private readonly cov: Matrix;
  private readonly r: Float64Array;
  private readonly lastR: Float64Array;
  private readonly tmp0: Float64Array;
  private readonly tmp1: Float64Array;
  private scratch = new Float64Array(0);
  private filtered = new Float64Array(0);
  private out = new Float64Array(0);
  private outFrames = 0;
  private inCount = 0;
  private statsCount = 0;
  private lastN = 0;
  private lastTrivial = true;
  private flushed = false;
  /** Statistics updates that reconstructed at least one component (for diagnostics). */
  nontrivialUpdates = 0;

  constructor(state: AsrState, options: AsrProcessOptions = {}) {
    const where = 'ASR processing';
    if (state?.kind !== 'asr' || state.version !== 1) throw new InputError('not an ASR state (kind "asr", version 1)', where);
    const C = state.channelCount;
    const m = fromRows(state.mixing, `${where}: mixing`);
    const t = fromRows(state.threshold, `${where}: threshold`);
    if (m.rows !== C || m.cols !== C || t.rows !== C || t.cols !== C) throw new InputError(`state matrices are not ${C} × ${C}`, where);
    const fs = state.sampleRateHz;
    const windowSeconds = Math.max(options.windowSeconds ?? 0.5, (1.5 * C) / fs);
    const step = options.stepSamples ?? 32;
    if (!Number.isInteger(step) || step < 1) throw new InputError(`step must be a positive whole number of samples, got ${step}`, where);
    const maxDims = options.maxDims ?? 0.66;
    if (!(maxDims >= 0)) throw new InputError(`max dims must be ≥ 0, got ${maxDims}`, where);
    this.state = state;
    this.channelCount = C;
    this.windowFrames = Math.round(windowSeconds * fs);
    this.lookaheadFrames = Math.round((options.lookaheadSeconds ?? windowSeconds / 2) * fs);
    if (this.lookaheadFrames < 0) throw new InputError('lookahead must not be negative', where);
    this.stepFrames = step;
    this.maxDims = maxDims < 1 ? Math.round(C * maxDims) : Math.floor(maxDims);
    this.m = m.data;
    this.t = t.data;
    this.c0 = new Float64Array(C * C);
    for (let a = 0; a < C; a++)
      for (let b = 0; b < C; b++) {
        let s = 0;
        for (let k = 0; k < C; k++) s += this.m[a * C + k] * this.m[k * C + b];
        this.c0[a * C + b] = s;
      }
    this.filter = new LFilter(state.b, state.a, C);
    this.statsRing = new Float64Array(this.windowFrames * C);
    this.rawCapacity = this.lookaheadFrames + step + 2;
    this.raw = new Float64Array(this.rawCapacity * C);
    this.cov = new Matrix(C, C);
    this.r = new Float64Array(C * C);
    this.lastR = new Float64Array(C * C);
    this.tmp0 = new Float64Array(C);
    this.tmp1 = new Float64Array(C);
    this.reset();
  }

  /** Back to the start of a stream (filter state from the calibration, no pending samples). */
  reset(): void {
    this.filter.setState(this.state.filterState);
    this.statsRing.fill(0);
    this.inCount = 0;
    this.statsCount = 0;
    this.lastN = 0;
    this.lastTrivial = true;
    this.lastR.fill(0);
    for (let c = 0; c < this.channelCount; c++) this.lastR[c * this.channelCount + c] = 1;
    this.flushed = false;
    this.nontrivialUpdates = 0;
  }

  /** Samples received and not yet returned. */
  get pendingFrames(): number {
    return this.inCount - Math.max(0, this.lastN - this.lookaheadFrames);
  }

  /** Feed one chunk; returns the samples that are final (FRAME-MAJOR, the input's type, maybe none). */
  process<T extends Samples>(chunk: T): T {
    if (this.flushed) throw new StateError('this ASR stream was flushed; call reset() before feeding a new one');
    const C = this.channelCount;
    if (chunk.length % C !== 0) throw new InputError(`chunk of ${chunk.length} values is not whole ${C}-channel frames`, 'ASR processing');
    this.outFrames = 0;
    this.feed(chunk, chunk.length / C, false);
    return this.emit(chunk);
  }

  /** End of stream: returns the remaining samples (extended by reflection as clean_asr does). */
  flush<T extends Samples>(like: T): T {
    if (this.flushed) throw new StateError('this ASR stream was already flushed; call reset() first');
    this.outFrames = 0;
    const C = this.channelCount;
    const S = this.inCount;
    if (S > 0) {
      const P = this.lookaheadFrames;
      const tail = new Float64Array(P * C);
      const last = this.rawAt(S - 1);
      for (let j = 1; j <= P; j++) {
        const src = this.rawAt(Math.max(0, S - 1 - j));
        for (let c = 0; c < C; c++) tail[(j - 1) * C + c] = 2 * this.raw[last + c] - this.raw[src + c];
      }
      this.feed(tail, P, true, S);
      if (this.lastN < this.statsCount) this.update(this.statsCount, S);
    }
    this.flushed = true;
    return this.emit(like);
  }

  private rawAt(i: number): number {
    return (i % this.rawCapacity) * this.channelCount;
  }

  private feed(chunk: ArrayLike<number>, frames: number, tail: boolean, signalLength = Infinity): void {
    const C = this.channelCount;
    const n = frames * C;
    if (this.scratch.length < n) {
      this.scratch = new Float64Array(n);
      this.filtered = new Float64Array(n);
    }
    const x = this.scratch.subarray(0, n);
    for (let i = 0; i < n; i++) {
      const v = chunk[i];
      x[i] = Number.isFinite(v) ? v : 0;
    }
    const xf = this.filter.process(x, this.filtered.subarray(0, n));
    const N = this.windowFrames;
    for (let f = 0; f < frames; f++) {
      this.raw.set(x.subarray(f * C, (f + 1) * C), this.rawAt(this.inCount));
      this.inCount++;
      this.statsRing.set(xf.subarray(f * C, (f + 1) * C), (this.statsCount % N) * C);
      this.statsCount++;
      const j = this.statsCount;
      if (j === 1 || j % this.stepFrames === 0) this.update(j, tail ? signalLength : Infinity);
    }
  }

  /** Statistics update at stats sample n (1-based): new R, then the samples up to n − P are final. */
  private update(n: number, signalLength: number): void {
    const C = this.channelCount;
    const N = this.windowFrames;
    const have = Math.min(n, N);
    for (let a = 0; a < C; a++) {
      for (let b = a; b < C; b++) {
        let s = 0;
        for (let k = 0; k < have; k++) {
          const o = ((n - 1 - k) % N) * C;
          s += this.statsRing[o + a] * this.statsRing[o + b];
        }
        s /= N;
        this.cov.set(a, b, s);
        this.cov.set(b, a, s);
      }
    }
    const evd = new EigenvalueDecomposition(this.cov, { assumeSymmetric: true });
    const d = evd.realEigenvalues;
    const V = evd.eigenvectorMatrix;
    const order = Array.from(d, (_, i) => i).sort((p, q) => d[p] - d[q]);
    const kept: number[] = [];
    for (let i = 0; i < C; i++) {
      const src = order[i];
      let thr = 0;
      for (let r = 0; r < C; r++) {
        let s = 0;
        for (let a = 0; a < C; a++) s += this.t[r * C + a] * V.get(a, src);
        thr += s * s;
      }
      if (d[src] < thr || i + 1 < C - this.maxDims) kept.push(src);
    }
    const trivial = kept.length === C;
    if (trivial) {
      this.r.fill(0);
      for (let c = 0; c < C; c++) this.r[c * C + c] = 1;
    } else {
      this.reconstruction(V, kept);
      this.nontrivialUpdates++;
    }
    // Positions (lastN, n] of the delayed signal: sample index s = position − P − 1 (0-based).
    const P = this.lookaheadFrames;
    const first = Math.max(0, this.lastN - P);
    const end = Math.min(n - P, signalLength);
    this.reserve(Math.max(0, end - first));
    const span = n - this.lastN;
    const blendBoth = !trivial || !this.lastTrivial;
    for (let s = first; s < end; s++) {
      const src = this.rawAt(s);
      const o = this.outFrames * C;
      if (blendBoth) {
        const w = (1 - Math.cos((Math.PI * (s + P + 1 - this.lastN)) / span)) / 2;
        for (let a = 0; a < C; a++) {
          let s1 = 0;
          let s0 = 0;
          for (let b = 0; b < C; b++) {
            const v = this.raw[src + b];
            s1 += this.r[a * C + b] * v;
            s0 += this.lastR[a * C + b] * v;
          }
          this.tmp1[a] = s1;
          this.tmp0[a] = s0;
        }
        for (let a = 0; a < C; a++) this.out[o + a] = w * this.tmp1[a] + (1 - w) * this.tmp0[a];
      } else {
        for (let a = 0; a < C; a++) this.out[o + a] = this.raw[src + a];
      }
      this.outFrames++;
    }
    this.lastN = n;
    this.lastR.set(this.r);
    this.lastTrivial = trivial;
  }

  /** R = C₀V_k (V_kᵀC₀V_k)⁻¹ V_kᵀ into this.r (pinv through the SVD when that system is singular). */
  private reconstruction(V: Matrix, kept: number[]): void {
    const C = this.channelCount;
    const k = kept.length;
    const w = new Float64Array(C * k); // C₀ V_k
    for (let a = 0; a < C; a++)
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let b = 0; b < C; b++) s += this.c0[a * C + b] * V.get(b, kept[j]);
        w[a * k + j] = s;
      }
    const g = new Float64Array(k * k); // V_kᵀ C₀ V_k
    for (let i = 0; i < k; i++)
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let a = 0; a < C; a++) s += V.get(a, kept[i]) * w[a * k + j];
        g[i * k + j] = g[j * k + i] = s;
      }
    if (!choleskyInPlace(g, k)) {
      this.reconstructionPinv(V, kept);
      return;
    }
    // y = G⁻¹ V_kᵀ (k × C), then R = W y.
    const y = new Float64Array(k * C);
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < k; i++) {
        let s = V.get(c, kept[i]);
        for (let j = 0; j < i; j++) s -= g[i * k + j] * y[j * C + c];
        y[i * C + c] = s / g[i * k + i];
      }
      for (let i = k - 1; i >= 0; i--) {
        let s = y[i * C + c];
        for (let j = i + 1; j < k; j++) s -= g[j * k + i] * y[j * C + c];
        y[i * C + c] = s / g[i * k + i];
      }
    }
    for (let a = 0; a < C; a++)
      for (let b = 0; b < C; b++) {
        let s = 0;
        for (let j = 0; j < k; j++) s += w[a * k + j] * y[j * C + b];
        this.r[a * C + b] = s;
      }
  }

  private reconstructionPinv(V: Matrix, kept: number[]): void {
    const C = this.channelCount;
    const keep = new Uint8Array(C);
    for (const i of kept) keep[i] = 1;
    const m = new Matrix(C, C);
    for (let a = 0; a < C; a++) for (let b = 0; b < C; b++) m.set(a, b, this.m[a * C + b]);
    const bm = V.transpose().mmul(m);
    for (let i = 0; i < C; i++) if (!keep[i]) for (let b = 0; b < C; b++) bm.set(i, b, 0);
    const r = m.mmul(pseudoInverse(bm)).mmul(V.transpose());
    for (let a = 0; a < C; a++) for (let b = 0; b < C; b++) this.r[a * C + b] = r.get(a, b);
  }

  private reserve(frames: number): void {
    const need = (this.outFrames + frames) * this.channelCount;
    if (this.out.length < need) {
      const grown = new Float64Array(Math.max(need, 2 * this.out.length));
      grown.set(this.out.subarray(0, this.outFrames * this.channelCount));
      this.out = grown;
    }
  }

  private emit<T extends Samples>(like: T): T {
    const n = this.outFrames * this.channelCount;
    const res = (like instanceof Float32Array ? new Float32Array(n) : new Float64Array(n)) as T;
    res.set(this.out.subarray(0, n));
    return res;
  }
}

/** Lower Cholesky factor in place (row-major, lower triangle used); false when not positive definite. */
function choleskyInPlace(g: Float64Array, k: number): boolean {
  let maxDiag = 0;
  for (let i = 0; i < k; i++) maxDiag = Math.max(maxDiag, g[i * k + i]);
  for (let j = 0; j < k; j++) {
    let s = g[j * k + j];
    for (let p = 0; p < j; p++) s -= g[j * k + p] ** 2;
    if (!(s > maxDiag * 1e-14)) return false;
    const l = Math.sqrt(s);
    g[j * k + j] = l;
    for (let i = j + 1; i < k; i++) {
      let t = g[i * k + j];
      for (let p = 0; p < j; p++) t -= g[i * k + p] * g[j * k + p];
      g[i * k + j] = t / l;
    }
  }
  return true;
}
