// SSVEP detection by canonical correlation analysis (Lin et al. 2006): for each target frequency f,
// the largest canonical correlation between the epoch (samples × channels) and the reference set
// [sin 2πhft, cos 2πhft], h = 1…harmonics; the predicted class is the frequency with the largest one.
// Needs no training (`fit` only checks the data and records the set-up, so it fits the same
// train/predict interface and cross-validation as the other decoders). Runs anywhere; `correlations`
// allocates per call (small) and is the online path.
import { InputError } from '../core/errors';
import { validateEpochs, validateForModel, type EpochSet } from './epochs';
import type { EpochData } from './csp';
import { dense, eighSymmetric, svd, type DenseMatrix } from './linalg';

export interface CcaOptions {
  /** Stimulation frequency in Hz of each class, in class-index order. */
  frequenciesHz: number[];
  /** Harmonics in the reference set (default 2: f and 2f). */
  harmonics?: number;
}

export interface CcaState {
  kind: 'ssvep-cca';
  version: 1;
  channelCount: number;
  channelLabels?: string[];
  classNames: string[];
  frequenciesHz: number[];
  harmonics: number;
  sampleRateHz: number;
}

export class SsvepCca {
  readonly state: CcaState;

  constructor(state: CcaState) {
    if (state?.kind !== 'ssvep-cca' || state.version !== 1) throw new InputError('not an SSVEP-CCA state', 'CCA state');
    if (state.frequenciesHz.length !== state.classNames.length) {
      throw new InputError(`${state.frequenciesHz.length} frequencies for ${state.classNames.length} classes`, 'CCA state');
    }
    const nyquist = state.sampleRateHz / 2;
    for (const f of state.frequenciesHz) {
      if (!(f > 0) || f * state.harmonics >= nyquist) {
        throw new InputError(`target ${f} Hz with ${state.harmonics} harmonics must stay below Nyquist (${nyquist} Hz)`, 'CCA options');
      }
    }
    this.state = state;
  }

  static fromJSON(state: CcaState): SsvepCca {
    return new SsvepCca(state);
  }

  toJSON(): CcaState {
    return this.state;
  }

  static fit(set: EpochSet, options: CcaOptions): SsvepCca {
    validateEpochs(set, { minPerClass: 1, what: 'SSVEP data' });
    return new SsvepCca({
      kind: 'ssvep-cca',
      version: 1,
      channelCount: set.channelCount,
      channelLabels: set.channelLabels,
      classNames: [...set.classNames],
      frequenciesHz: [...options.frequenciesHz],
      harmonics: options.harmonics ?? 2,
      sampleRateHz: set.sampleRateHz,
    });
  }

  /** [epoch, class]: largest canonical correlation with each target's reference set. */
  correlations(x: EpochData): DenseMatrix {
    validateForModel(x, this.state, 'CCA input');
    const { channelCount: p, sampleCount: T } = x;
    const K = this.state.frequenciesHz.length;
    const refs = this.state.frequenciesHz.map((f) => orthonormalColumns(referenceSignals(f, this.state.harmonics, this.state.sampleRateHz, T), T));
    const out = dense(x.epochCount, K);
    for (let e = 0; e < x.epochCount; e++) {
      const qx = orthonormalColumns(x.data.subarray(e * p * T, (e + 1) * p * T), T);
      for (let k = 0; k < K; k++) out.data[e * K + k] = largestCanonicalCorrelation(qx, refs[k], T);
    }
    return out;
  }

  predict(x: EpochData): Int32Array {
    const r = this.correlations(x);
    const K = r.cols;
    return Int32Array.from({ length: x.epochCount }, (_, e) => {
      let best = 0;
      for (let k = 1; k < K; k++) if (r.data[e * K + k] > r.data[e * K + best]) best = k;
      return best;
    });
  }
}

/** Reference set, column-major [2·harmonics][T]: sin, cos of 2π·h·f·t, t = n / fs. */
export function referenceSignals(frequencyHz: number, harmonics: number, sampleRateHz: number, sampleCount: number): Float64Array {
  const out = new Float64Array(2 * harmonics * sampleCount);
  for (let h = 1; h <= harmonics; h++) {
    const w = (2 * Math.PI * h * frequencyHz) / sampleRateHz;
    for (let n = 0; n < sampleCount; n++) {
      out[(2 * h - 2) * sampleCount + n] = Math.sin(w * n);
      out[(2 * h - 1) * sampleCount + n] = Math.cos(w * n);
    }
  }
  return out;
}

/**
 * Orthonormal basis of the mean-centred columns (each column = `T` consecutive values, i.e. a
 * channel-major epoch), by modified Gram–Schmidt; numerically dependent columns are dropped.
 */
export function orthonormalColumns(cols: ArrayLike<number>, T: number): Float64Array[] {
  const n = Math.floor(cols.length / T);
  const basis: Float64Array[] = [];
  let scale = 0;
  for (let c = 0; c < n; c++) {
    const v = new Float64Array(T);
    let m = 0;
    for (let t = 0; t < T; t++) m += cols[c * T + t];
    m /= T;
    for (let t = 0; t < T; t++) v[t] = cols[c * T + t] - m;
    const norm0 = Math.hypot(...v);
    scale = Math.max(scale, norm0);
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        let d = 0;
        for (let t = 0; t < T; t++) d += q[t] * v[t];
        for (let t = 0; t < T; t++) v[t] -= d * q[t];
      }
    }
    let norm = 0;
    for (let t = 0; t < T; t++) norm += v[t] * v[t];
    norm = Math.sqrt(norm);
    if (norm <= 1e-10 * scale || norm === 0) continue;
    for (let t = 0; t < T; t++) v[t] /= norm;
    basis.push(v);
  }
  return basis;
}

/** Largest singular value of Qxᵀ Qy, the first canonical correlation of the two column spaces. */
export function largestCanonicalCorrelation(qx: Float64Array[], qy: Float64Array[], T: number): number {
  if (qx.length === 0 || qy.length === 0) return 0;
  const a = qx.length;
  const b = qy.length;
  const m = new Float64Array(a * b);
  for (let i = 0; i < a; i++)
    for (let j = 0; j < b; j++) {
      let s = 0;
      for (let t = 0; t < T; t++) s += qx[i][t] * qy[j][t];
      m[i * b + j] = s;
    }
  const g = dense(b, b);
  for (let i = 0; i < b; i++)
    for (let j = 0; j < b; j++) {
      let s = 0;
      for (let r = 0; r < a; r++) s += m[r * b + i] * m[r * b + j];
      g.data[i * b + j] = s;
    }
  const { values } = eighSymmetric(g);
  return Math.sqrt(Math.max(0, Math.min(1, values[b - 1])));
}

/**
 * MATLAB `[A, B, r] = canoncorr(X, Y)` (NeuroPype's CCA node: outputs A, B and D = r): X (n × p) and
 * Y (n × q) observations in rows; both centred; A (p × d) and B (q × d) make the canonical variates
 * X₀A and Y₀B uncorrelated with unit variance (divisor n − 1); r (d = min(rank X, rank Y)) descending.
 * Computed by SVD whitening (statsmodels' CanCorr, scaled by √(n − 1)) rather than MATLAB's pivoted QR:
 * the same subspaces; column signs are chosen so that each column of A has its largest entry positive
 * (B follows, so that the pairs correlate positively). Allocates; not for per-sample use.
 */
export function canonicalCorrelation(x: DenseMatrix, y: DenseMatrix): { a: DenseMatrix; b: DenseMatrix; r: Float64Array } {
  const n = x.rows;
  if (y.rows !== n) throw new InputError(`X has ${n} observations and Y ${y.rows}; CCA needs the same number of time points in both`, 'CCA');
  if (n < 2) throw new InputError('CCA needs at least two observations', 'CCA');
  for (const m of [x, y]) for (const v of m.data) if (!Number.isFinite(v)) throw new InputError('CCA inputs must be finite', 'CCA');
  const whiten = (m: DenseMatrix) => {
    const c = dense(n, m.cols);
    for (let j = 0; j < m.cols; j++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += m.data[i * m.cols + j] / n;
      for (let i = 0; i < n; i++) c.data[i * m.cols + j] = m.data[i * m.cols + j] - mean;
    }
    const { u, s, v } = svd(c);
    const tol = Math.max(n, m.cols) * 2.220446049250313e-16 * (s[0] ?? 0);
    let rank = 0;
    while (rank < s.length && s[rank] > tol) rank++;
    return { u, s, v, rank };
  };
  const wx = whiten(x);
  const wy = whiten(y);
  const d = Math.min(wx.rank, wy.rank);
  // M = Uxᵀ Uy over the ranks
  const m = dense(wx.rank, wy.rank);
  for (let i = 0; i < wx.rank; i++)
    for (let j = 0; j < wy.rank; j++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += wx.u.data[t * wx.u.cols + i] * wy.u.data[t * wy.u.cols + j];
      m.data[i * wy.rank + j] = s;
    }
  const inner = svd(m);
  const scale = Math.sqrt(n - 1);
  const coef = (w: typeof wx, vecs: DenseMatrix, cols: number) => {
    const out = dense(cols, d);
    for (let k = 0; k < d; k++)
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let i = 0; i < w.rank; i++) s += (w.v.data[j * w.v.cols + i] / w.s[i]) * vecs.data[i * vecs.cols + k];
        out.data[j * d + k] = s * scale;
      }
    return out;
  };
  const a = coef(wx, inner.u, x.cols);
  const b = coef(wy, inner.v, y.cols);
  const r = Float64Array.from({ length: d }, (_, k) => Math.min(Math.max(inner.s[k], 0), 1));
  for (let k = 0; k < d; k++) {
    let big = 0;
    for (let j = 0; j < x.cols; j++) if (Math.abs(a.data[j * d + k]) > Math.abs(big)) big = a.data[j * d + k];
    if (big < 0) {
      for (let j = 0; j < x.cols; j++) a.data[j * d + k] = -a.data[j * d + k];
      for (let j = 0; j < y.cols; j++) b.data[j * d + k] = -b.data[j * d + k];
    }
  }
  return { a, b, r };
}
