// Multitaper spectra: DPSS (Slepian) tapers as scipy.signal.windows.dpss computes them (tridiagonal
// eigenproblem, SciPy's sign conventions, concentration ratios) and the multitaper PSD of
// mne.time_frequency.psd_array_multitaper (unweighted or adaptive combination, low_bias, 'length' /
// 'full' normalisation). Float64; runs on any thread. Taper sets are cached per (length, NW);
// `multitaperPsd` allocates its result (not for a per-sample loop).
import { InputError } from '../core/errors';
import { Fft, RealFft } from './fft';

export interface DpssOptions {
  /** true (default): symmetric; false: periodic (computed for M+1 and truncated, as SciPy's sym=False). */
  sym?: boolean;
  /** 2 (default here, and SciPy's when Kmax is given): unit L2 norm before truncation; 'approximate': max 1 with the even-length correction. */
  norm?: 2 | 'approximate';
}

export interface DpssResult {
  /** Kmax tapers of length M, most concentrated first. */
  windows: Float64Array[];
  /** Spectral concentration ratio of each taper within ±NW/M (SciPy return_ratios). */
  ratios: Float64Array;
}

/**
 * Eigenvalues of a symmetric tridiagonal matrix (diagonal d, off-diagonal e) below x: the Sturm
 * count. Pivots that vanish are nudged (standard LAPACK practice).
 */
function sturmCount(d: Float64Array, e: Float64Array, x: number): number {
  let count = 0;
  let q = d[0] - x;
  if (q < 0) count++;
  for (let i = 1; i < d.length; i++) {
    if (q === 0) q = Number.EPSILON * (Math.abs(e[i - 1]) + 1);
    q = d[i] - x - (e[i - 1] * e[i - 1]) / q;
    if (q < 0) count++;
  }
  return count;
}

/** The k-th smallest eigenvalue (0-based) by bisection to full double precision. */
function eigenvalueAt(d: Float64Array, e: Float64Array, k: number, lo: number, hi: number): number {
  for (let it = 0; it < 200; it++) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (sturmCount(d, e, mid) > k) hi = mid;
    else lo = mid;
  }
  return 0.5 * (lo + hi);
}

/**
 * Eigenvector of the tridiagonal matrix for eigenvalue lambda by inverse iteration, solving
 * (T − λI)x = b with Gaussian elimination with partial pivoting (LAPACK dstein's approach). Unit norm.
 */
function eigenvector(d: Float64Array, e: Float64Array, lambda: number): Float64Array {
  const n = d.length;
  // LU of T − λI with row interchanges: U has up to two super-diagonals
  const u0 = new Float64Array(n);
  const u1 = new Float64Array(n);
  const u2 = new Float64Array(n);
  const l = new Float64Array(n);
  const swap = new Uint8Array(n);
  const scale = Math.max(Math.abs(lambda), 1);
  const tiny = Number.EPSILON * scale;
  let a = d[0] - lambda;
  let b = n > 1 ? e[0] : 0;
  let c = 0;
  for (let i = 0; i < n - 1; i++) {
    const sub = e[i];
    const nd = d[i + 1] - lambda;
    const nb = i + 1 < n - 1 ? e[i + 1] : 0;
    if (Math.abs(a) >= Math.abs(sub)) {
      if (a === 0) a = tiny;
      const m = sub / a;
      l[i] = m;
      u0[i] = a;
      u1[i] = b;
      u2[i] = c;
      a = nd - m * b;
      b = nb - m * c;
      c = 0;
      swap[i] = 0;
    } else {
      const m = a / sub;
      l[i] = m;
      u0[i] = sub;
      u1[i] = nd;
      u2[i] = nb;
      a = b - m * nd;
      b = c - m * nb;
      c = 0;
      swap[i] = 1;
    }
  }
  u0[n - 1] = a === 0 ? tiny : a;
  let x = new Float64Array(n).fill(1 / Math.sqrt(n));
  // a slightly perturbed start keeps the iteration off any exact orthogonality
  for (let i = 0; i < n; i++) x[i] *= 1 + 1e-3 * Math.sin(i + 1);
  for (let it = 0; it < 3; it++) {
    const y = x.slice();
    // forward: apply the row operations
    for (let i = 0; i < n - 1; i++) {
      if (swap[i]) {
        const t = y[i];
        y[i] = y[i + 1];
        y[i + 1] = t - l[i] * y[i];
      } else y[i + 1] -= l[i] * y[i];
    }
    // back substitution
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i];
      if (i + 1 < n) s -= u1[i] * y[i + 1];
      if (i + 2 < n) s -= u2[i] * y[i + 2];
      y[i] = s / u0[i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += y[i] * y[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) y[i] /= norm;
    x = y;
  }
  return x;
}

/** Autocorrelation r[k] = Σ_m w[m]·w[m+k], k = 0..M−1, through a power-of-two FFT. */
function autocorr(w: Float64Array): Float64Array {
  const m = w.length;
  let n = 1;
  while (n < 2 * m - 1) n <<= 1;
  const fft = new Fft(n);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  re.set(w);
  fft.transform(re, im);
  for (let k = 0; k < n; k++) {
    re[k] = re[k] * re[k] + im[k] * im[k];
    im[k] = 0;
  }
  // inverse of a real, even spectrum = forward transform / n
  fft.transform(re, im);
  const out = new Float64Array(m);
  for (let k = 0; k < m; k++) out[k] = re[k] / n;
  return out;
}

/**
 * `scipy.signal.windows.dpss(M, NW, Kmax, sym, norm, return_ratios=True)`: the Kmax most
 * concentrated discrete prolate spheroidal sequences of length M for the standardised half
 * bandwidth NW, with SciPy's signs (even tapers sum positive, odd tapers start positive) and their
 * concentration ratios.
 */
export function dpss(M: number, NW: number, Kmax: number, opts: DpssOptions = {}): DpssResult {
  const where = 'dpss';
  if (!Number.isInteger(M) || M < 1) throw new InputError(`M must be a positive integer, got ${M}`, where);
  if (!Number.isInteger(Kmax) || !(Kmax > 0 && Kmax <= M)) throw new InputError(`Kmax must be an integer in 1..M (${M}), got ${Kmax}`, where);
  if (!(NW > 0)) throw new InputError(`NW must be positive, got ${NW}`, where);
  if (!(NW < M / 2)) throw new InputError(`NW must be less than M/2 (${M / 2}), got ${NW}`, where);
  if (M === 1) return { windows: [Float64Array.of(1)], ratios: Float64Array.of(1) };
  const sym = opts.sym ?? true;
  const norm = opts.norm ?? 2;
  const L = sym ? M : M + 1;
  const W = NW / L;
  const d = new Float64Array(L);
  const e = new Float64Array(L - 1);
  const cw = Math.cos(2 * Math.PI * W);
  for (let i = 0; i < L; i++) d[i] = ((L - 1 - 2 * i) / 2) ** 2 * cw;
  for (let i = 1; i < L; i++) e[i - 1] = (i * (L - i)) / 2;
  // Gershgorin bounds
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < L; i++) {
    const r = (i > 0 ? Math.abs(e[i - 1]) : 0) + (i < L - 1 ? Math.abs(e[i]) : 0);
    lo = Math.min(lo, d[i] - r);
    hi = Math.max(hi, d[i] + r);
  }
  const windows: Float64Array[] = [];
  for (let k = 0; k < Kmax; k++) {
    const lambda = eigenvalueAt(d, e, L - 1 - k, lo, hi);
    const v = eigenvector(d, e, lambda);
    if (k % 2 === 0) {
      let s = 0;
      for (let i = 0; i < L; i++) s += v[i];
      if (s < 0) for (let i = 0; i < L; i++) v[i] = -v[i];
    } else {
      const thresh = Math.max(1e-7, 1 / L);
      for (let i = 0; i < L; i++) {
        if (v[i] * v[i] > thresh) {
          if (v[i] < 0) for (let j = 0; j < L; j++) v[j] = -v[j];
          break;
        }
      }
    }
    windows.push(v);
  }
  const ratios = new Float64Array(Kmax);
  for (let k = 0; k < Kmax; k++) {
    const rxx = autocorr(windows[k]);
    let s = rxx[0] * 2 * W;
    for (let n = 1; n < L; n++) {
      const x = Math.PI * 2 * W * n;
      s += rxx[n] * 4 * W * (Math.sin(x) / x);
    }
    ratios[k] = s;
  }
  if (norm === 'approximate') {
    let max = -Infinity;
    for (const v of windows) for (let i = 0; i < L; i++) max = Math.max(max, v[i]);
    const correction = L % 2 === 0 ? (L * L) / (L * L + NW) : 1;
    for (const v of windows) for (let i = 0; i < L; i++) v[i] = (v[i] / max) * correction;
  }
  return { windows: sym ? windows : windows.map((v) => v.slice(0, M)), ratios };
}

/** Options of `multitaperPsd` (MNE names and defaults). */
export interface MultitaperOptions {
  /** Full frequency bandwidth in Hz (frequencies within ±bandwidth/2 are smoothed together); default 8·fs/n. */
  bandwidthHz?: number | null;
  /** Standardised half bandwidth NW (= bandwidthHz·n/(2·fs)); overrides bandwidthHz when given. */
  halfNbw?: number | null;
  /** Tapers computed before low_bias selection; default ⌊2·NW⌋ (MNE). */
  taperCount?: number | null;
  /** FFT length ≥ n (zero padding, as MNE's _mt_spectra n_fft); default n. */
  nfft?: number | null;
  /** Adaptive (Thomson) weights instead of √eigenvalue weights; needs ≥ 3 tapers (else ignored, as MNE). */
  adaptive?: boolean;
  /** Keep only tapers with concentration > 0.9 (default true). */
  lowBias?: boolean;
  /** 'length' (MNE's default): a density times fs; 'full': divided by fs as nitime, i.e. unit²/Hz like scipy welch 'density'. */
  normalization?: 'length' | 'full';
  /** Subtract each signal's mean first (default true). */
  removeDc?: boolean;
  /** Adaptive iterations at most (MNE psd_array_multitaper default 150). */
  maxIter?: number;
  /** Keep frequencies fminHz ≤ f ≤ fmaxHz (default all). */
  fminHz?: number;
  fmaxHz?: number;
}

export interface MultitaperSpectrum {
  freqsHz: Float64Array;
  /** CHANNEL-MAJOR [channel, bin]. */
  psd: Float64Array;
  channelCount: number;
  binCount: number;
  /** Tapers used (after low_bias) and their concentration ratios. */
  taperCount: number;
  eigenvalues: Float64Array;
  /** Adaptive weighting was used (false when requested with fewer than 3 tapers). */
  adaptive: boolean;
  /** Adaptive only: channels whose iteration did not converge within maxIter. */
  unconverged: number;
}

const plans = new Map<number, RealFft>();
function planFor(n: number): RealFft {
  let p = plans.get(n);
  if (!p) {
    p = new RealFft(n);
    if (plans.size > 16) plans.clear();
    plans.set(n, p);
  }
  return p;
}

const taperCache = new Map<string, { windows: Float64Array[]; eigenvalues: Float64Array }>();

/**
 * MNE `_compute_mt_params`: periodic DPSS with half_nbw = bandwidth·n/(2·fs) (default 4, or `halfNbw`),
 * Kmax = ⌊2·half_nbw⌋ (or `taperCount`), then low_bias (concentration > 0.9; the best one if none is).
 */
export function multitaperTapers(
  n: number,
  sampleRateHz: number,
  bandwidthHz: number | null | undefined,
  lowBias = true,
  halfNbwGiven: number | null = null,
  taperCount: number | null = null,
): { windows: Float64Array[]; eigenvalues: Float64Array; halfNbw: number } {
  const halfNbw = halfNbwGiven ?? (bandwidthHz != null ? (bandwidthHz * n) / (2 * sampleRateHz) : 4);
  if (!(halfNbw >= 0.5)) throw new InputError(`bandwidth ${bandwidthHz ?? ''} gives a normalised half-bandwidth of ${halfNbw} < 0.5; use at least ${sampleRateHz / n} Hz`, 'multitaper');
  const kmax = taperCount ?? Math.floor(2 * halfNbw);
  const key = `${n}:${halfNbw}:${kmax}:${lowBias}`;
  let t = taperCache.get(key);
  if (!t) {
    const { windows, ratios } = dpss(n, halfNbw, kmax, { sym: false });
    let keep = windows.map((_, i) => i).filter((i) => !lowBias || ratios[i] > 0.9);
    if (!keep.length) {
      let best = 0;
      for (let i = 1; i < ratios.length; i++) if (ratios[i] > ratios[best]) best = i;
      keep = [best];
    }
    t = { windows: keep.map((i) => windows[i]), eigenvalues: Float64Array.from(keep, (i) => ratios[i]) };
    if (taperCache.size > 16) taperCache.clear();
    taperCache.set(key, t);
  }
  return { ...t, halfNbw };
}

/**
 * `mne.time_frequency.psd_array_multitaper(x, sfreq, fmin, fmax, bandwidth, adaptive, low_bias,
 * normalization, remove_dc)` on a CHANNEL-MAJOR array x[c·n + t]. One-sided, DC and (even n)
 * Nyquist halved in power as MNE does; 'length' scaling = 2·Σλ_k|X_k|²/Σλ_k (unit² per bin, i.e.
 * unit²/Hz·fs), 'full' divides by fs.
 */
export function multitaperPsd(x: ArrayLike<number>, nch: number, n: number, sampleRateHz: number, opts: MultitaperOptions = {}): MultitaperSpectrum {
  const where = 'multitaper';
  if (x.length !== nch * n) throw new InputError(`expected ${nch}×${n} samples, got ${x.length}`, where);
  if (!(sampleRateHz > 0)) throw new InputError(`sample rate must be positive, got ${sampleRateHz}`, where);
  if (n < 2) throw new InputError('need at least two samples per channel', where);
  const { windows, eigenvalues } = multitaperTapers(n, sampleRateHz, opts.bandwidthHz, opts.lowBias ?? true, opts.halfNbw ?? null, opts.taperCount ?? null);
  const nfft = opts.nfft ?? n;
  if (!Number.isInteger(nfft) || nfft < n) throw new InputError(`nfft must be an integer ≥ the signal length (${n}), got ${nfft}`, where);
  const K = windows.length;
  const adaptive = (opts.adaptive ?? false) && K >= 3;
  const removeDc = opts.removeDc ?? true;
  const maxIter = opts.maxIter ?? 150;
  const fmin = opts.fminHz ?? 0;
  const fmax = opts.fmaxHz ?? Infinity;
  const plan = planFor(nfft);
  const nb = plan.bins;
  const keep: number[] = [];
  const binHz = 1 / (nfft * (1 / sampleRateHz)); // numpy rfftfreq's arithmetic, so grids compare exactly
  for (let k = 0; k < nb; k++) {
    const f = k * binHz;
    if (f >= fmin && f <= fmax) keep.push(k);
  }
  const out = new Float64Array(nch * keep.length);
  const buf = new Float64Array(nfft); // zero tail = padding
  const sk = new Float64Array(K * nb); // |X_k(f)|² per taper (DC/Nyquist halved)
  const pw = new Float64Array(nb);
  let sumEig = 0;
  for (let k = 0; k < K; k++) sumEig += eigenvalues[k];
  let unconverged = 0;
  const est = adaptive ? new Float64Array(nb) : null;
  const iter = adaptive ? new Float64Array(nb) : null;
  const dk = adaptive ? new Float64Array(K * nb) : null;
  const prev = adaptive ? new Float64Array(K * nb) : null;
  for (let c = 0; c < nch; c++) {
    let mean = 0;
    if (removeDc) {
      for (let t = 0; t < n; t++) mean += x[c * n + t];
      mean /= n;
    }
    for (let k = 0; k < K; k++) {
      const w = windows[k];
      for (let t = 0; t < n; t++) buf[t] = (x[c * n + t] - mean) * w[t];
      plan.power(buf, pw);
      pw[0] /= 2;
      if (nfft % 2 === 0) pw[nb - 1] /= 2;
      sk.set(pw, k * nb);
    }
    if (!adaptive) {
      for (let j = 0; j < keep.length; j++) {
        const f = keep[j];
        let s = 0;
        for (let k = 0; k < K; k++) s += eigenvalues[k] * sk[k * nb + f];
        out[c * keep.length + j] = (2 * s) / sumEig;
      }
      continue;
    }
    // adaptive (MNE _psd_from_mt_adaptive): variance from the fixed-weight estimate over ALL bins
    for (let f = 0; f < nb; f++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += eigenvalues[k] * sk[k * nb + f];
      est![f] = (2 * s) / sumEig;
    }
    let integral = 0;
    const dx = Math.PI / nb;
    for (let f = 1; f < nb; f++) integral += (dx * (est![f] + est![f - 1])) / 2;
    const variance = integral / (2 * Math.PI);
    // seed: the first two tapers with √λ weights; iterate on the kept bins only (MNE masks first)
    const nk = keep.length;
    for (let j = 0; j < nk; j++) {
      const f = keep[j];
      iter![j] = (2 * (eigenvalues[0] * sk[f] + eigenvalues[1] * sk[nb + f])) / (eigenvalues[0] + eigenvalues[1]);
    }
    prev!.fill(0);
    let converged = false;
    for (let it = 0; it < maxIter; it++) {
      let worst = 0;
      for (let j = 0; j < nk; j++) {
        let ms = 0;
        for (let k = 0; k < K; k++) {
          const lam = eigenvalues[k];
          const v = (iter![j] / (lam * iter![j] + (1 - lam) * variance)) * Math.sqrt(lam);
          dk![k * nb + j] = v;
          const diff = prev![k * nb + j] - v;
          ms += diff * diff;
        }
        ms /= K;
        if (ms > worst) worst = ms;
      }
      if (worst < 1e-10) {
        converged = true;
        break;
      }
      for (let j = 0; j < nk; j++) {
        const f = keep[j];
        let num = 0;
        let den = 0;
        for (let k = 0; k < K; k++) {
          const w2 = dk![k * nb + j] * dk![k * nb + j];
          num += w2 * sk[k * nb + f];
          den += w2;
        }
        iter![j] = (2 * num) / den;
      }
      prev!.set(dk!);
    }
    if (!converged) unconverged++;
    for (let j = 0; j < keep.length; j++) out[c * keep.length + j] = iter![j];
  }
  if (opts.normalization === 'full') for (let i = 0; i < out.length; i++) out[i] /= sampleRateHz;
  const freqsHz = Float64Array.from(keep, (k) => k * binHz);
  return { freqsHz, psd: out, channelCount: nch, binCount: keep.length, taperCount: K, eigenvalues: eigenvalues.slice(), adaptive, unconverged };
}
