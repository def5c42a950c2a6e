// SSVEP detection by canonical correlation analysis (Lin et al. 2006): for each target frequency f,
// the largest canonical correlation between the epoch (samples × channels) and the reference set
// [sin 2πhft, cos 2πhft], h = 1…harmonics; the predicted class is the frequency with the largest one.
// Needs no training (`fit` only checks the data and records the set-up, so it fits the same
// train/predict interface and cross-validation as the other decoders). Runs anywhere; `correlations`
// allocates per call (small) and is the online path.
import { InputError } from '../core/errors';
import { validateEpochs, validateForModel, type EpochSet } from './epochs';
import type { EpochData } from './csp';
import { dense, eighSymmetric, type DenseMatrix } from './linalg';

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
