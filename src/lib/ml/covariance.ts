// Covariance estimators for the decoders: empirical (scikit-learn's `empirical_covariance`),
// Ledoit–Wolf shrinkage (scikit-learn's `ledoit_wolf` formula), and the class covariances MNE's CSP
// uses. Runs anywhere. Fit-time code; the epoch loops below are the hot part of CSP training.
//
// Two data layouts appear here, named in every function:
//   VARIABLE-MAJOR  `data[variable * observationCount + observation]` (a channel-major signal: p channels × N samples);
//   OBSERVATION-MAJOR `data[observation * variableCount + variable]` (a feature matrix: n trials × d features).
import { InputError } from '../core/errors';
import { dense, type DenseMatrix } from './linalg';
import type { EpochSet } from './epochs';

export interface CovarianceOptions {
  /** Do not subtract the mean (MNE's CSP: true; scikit-learn's default: false). */
  assumeCentered?: boolean;
  /** Divisor N − ddof (scikit-learn's empirical_covariance: 0; MNE's CSP class covariance: 1). */
  ddof?: number;
}

/** Empirical covariance of VARIABLE-MAJOR data (p variables × N observations). */
export function empiricalCovarianceVarMajor(
  data: ArrayLike<number>,
  variableCount: number,
  observationCount: number,
  options: CovarianceOptions = {},
): DenseMatrix {
  const p = variableCount;
  const n = observationCount;
  const x = centredCopy(data, p, n, options.assumeCentered ?? false);
  const out = dense(p, p);
  for (let i = 0; i < p; i++) {
    const xi = i * n;
    for (let j = 0; j <= i; j++) {
      const xj = j * n;
      let s = 0;
      for (let t = 0; t < n; t++) s += x[xi + t] * x[xj + t];
      out.data[i * p + j] = s;
      out.data[j * p + i] = s;
    }
  }
  const div = n - (options.ddof ?? 0);
  if (!(div > 0)) throw new InputError(`${n} observations are too few for a covariance with ddof ${options.ddof ?? 0}`, 'covariance');
  for (let k = 0; k < out.data.length; k++) out.data[k] /= div;
  return out;
}

/** Empirical covariance of OBSERVATION-MAJOR data (n observations × d variables), scikit-learn semantics by default. */
export function empiricalCovariance(
  data: ArrayLike<number>,
  observationCount: number,
  variableCount: number,
  options: CovarianceOptions = {},
): DenseMatrix {
  return empiricalCovarianceVarMajor(transposeFlat(data, observationCount, variableCount), variableCount, observationCount, options);
}

/**
 * Ledoit–Wolf shrinkage coefficient for VARIABLE-MAJOR data, as scikit-learn's
 * `ledoit_wolf_shrinkage(X, assume_centered)`: with S = X Xᵀ / n and μ = tr(S)/p,
 * δ = (‖S‖²_F − 2μ tr(S) + pμ²)/p, β = (Σ_k ‖x_k‖⁴ / n − ‖S‖²_F) / (p n), shrinkage = min(β, δ)/δ.
 */
export function ledoitWolfShrinkageVarMajor(
  data: ArrayLike<number>,
  variableCount: number,
  observationCount: number,
  assumeCentered = false,
): number {
  const p = variableCount;
  const n = observationCount;
  if (p === 1) return 0;
  const x = centredCopy(data, p, n, assumeCentered);
  const s = empiricalCovarianceVarMajor(x, p, n, { assumeCentered: true, ddof: 0 });
  let traceS = 0;
  for (let i = 0; i < p; i++) traceS += s.data[i * p + i];
  const mu = traceS / p;
  let normS2 = 0;
  for (const v of s.data) normS2 += v * v;
  let sumNorm4 = 0;
  for (let t = 0; t < n; t++) {
    let r = 0;
    for (let i = 0; i < p; i++) r += x[i * n + t] * x[i * n + t];
    sumNorm4 += r * r;
  }
  let beta = (sumNorm4 / n - normS2) / (p * n);
  const delta = (normS2 - 2 * mu * traceS + p * mu * mu) / p;
  beta = Math.min(beta, delta);
  return beta === 0 ? 0 : beta / delta;
}

/** (1 − shrinkage)·S + shrinkage·(tr(S)/p)·I, as scikit-learn's `shrunk_covariance`. */
export function shrunkCovariance(s: DenseMatrix, shrinkage: number): DenseMatrix {
  if (!(shrinkage >= 0 && shrinkage <= 1)) throw new InputError(`shrinkage must be in [0, 1], got ${shrinkage}`, 'shrinkage');
  const p = s.rows;
  let tr = 0;
  for (let i = 0; i < p; i++) tr += s.data[i * p + i];
  const mu = tr / p;
  const out = dense(p, p);
  for (let k = 0; k < s.data.length; k++) out.data[k] = (1 - shrinkage) * s.data[k];
  for (let i = 0; i < p; i++) out.data[i * p + i] += shrinkage * mu;
  return out;
}

/** Ledoit–Wolf covariance of VARIABLE-MAJOR data (biased empirical covariance shrunk towards μI). */
export function ledoitWolfVarMajor(
  data: ArrayLike<number>,
  variableCount: number,
  observationCount: number,
  assumeCentered = false,
): { covariance: DenseMatrix; shrinkage: number } {
  const shrinkage = ledoitWolfShrinkageVarMajor(data, variableCount, observationCount, assumeCentered);
  const emp = empiricalCovarianceVarMajor(data, variableCount, observationCount, { assumeCentered, ddof: 0 });
  return { covariance: shrunkCovariance(emp, shrinkage), shrinkage };
}

/** Ledoit–Wolf covariance of OBSERVATION-MAJOR data (n × d), scikit-learn's `LedoitWolf().fit(X)`. */
export function ledoitWolf(
  data: ArrayLike<number>,
  observationCount: number,
  variableCount: number,
  assumeCentered = false,
): { covariance: DenseMatrix; shrinkage: number } {
  return ledoitWolfVarMajor(transposeFlat(data, observationCount, variableCount), variableCount, observationCount, assumeCentered);
}

export type CovarianceRegularisation = null | 'ledoit_wolf' | number;

export interface ClassCovarianceOptions {
  /** 'concat' (MNE default): one covariance of the class's epochs concatenated in time; 'epoch': mean of per-epoch covariances. */
  estimation?: 'concat' | 'epoch';
  /** Divide each class covariance by its trace (MNE's norm_trace; default false in MNE 1.3). */
  normTrace?: boolean;
  /** null: empirical; 'ledoit_wolf': Ledoit–Wolf shrinkage; a number in [0, 1]: fixed shrinkage. */
  reg?: CovarianceRegularisation;
}

/**
 * Class covariances of epochs as MNE 1.3's CSP computes them with reg=None: for class k,
 * C_k = Z_k Z_kᵀ / (N_k − 1), Z_k the class's epochs concatenated in time, NOT mean-centred
 * ('concat'); or the mean over epochs of X Xᵀ/(T − 1) ('epoch'). With `reg` the (biased,
 * uncentred) estimate is shrunk as scikit-learn does and scaled by N/(N−1) as MNE does. Returns one p×p matrix per class and the
 * class weights (epoch counts). Hot: O(epochs · channels² · samples).
 */
export function classCovariances(set: EpochSet, options: ClassCovarianceOptions = {}): { covariances: DenseMatrix[]; weights: number[] } {
  const { channelCount: p, sampleCount: T, classNames } = set;
  const estimation = options.estimation ?? 'concat';
  const reg = options.reg ?? null;
  const covariances: DenseMatrix[] = [];
  const weights: number[] = [];
  for (let k = 0; k < classNames.length; k++) {
    const members: number[] = [];
    for (let e = 0; e < set.epochCount; e++) if (set.labels[e] === k) members.push(e);
    weights.push(members.length);
    let cov: DenseMatrix;
    if (estimation === 'concat') {
      const n = members.length * T;
      if (reg === null) {
        cov = accumulateCrossProducts(set, members);
        for (let i = 0; i < cov.data.length; i++) cov.data[i] /= n - 1;
      } else {
        const z = concatenateVarMajor(set, members);
        cov = regularised(z, p, n, reg);
      }
    } else {
      cov = dense(p, p);
      for (const e of members) {
        const c = epochCovariance(set, e, reg);
        for (let i = 0; i < c.data.length; i++) cov.data[i] += c.data[i] / members.length;
      }
    }
    if (options.normTrace) {
      let tr = 0;
      for (let i = 0; i < p; i++) tr += cov.data[i * p + i];
      for (let i = 0; i < cov.data.length; i++) cov.data[i] /= tr;
    }
    covariances.push(cov);
  }
  return { covariances, weights };
}

/** One epoch's covariance as MNE 1.3's `_regularized_covariance` gives it (uncentred; X Xᵀ/(T − 1) without reg). */
export function epochCovariance(set: Pick<EpochSet, 'data' | 'channelCount' | 'sampleCount'>, epoch: number, reg: CovarianceRegularisation = null): DenseMatrix {
  const { channelCount: p, sampleCount: T } = set;
  if (reg === null) {
    const c = accumulateCrossProducts(set, [epoch]);
    for (let i = 0; i < c.data.length; i++) c.data[i] /= T - 1;
    return c;
  }
  return regularised(set.data.subarray(epoch * p * T, (epoch + 1) * p * T), p, T, reg);
}

/** MNE 1.3's regularised estimate: scikit-learn's (biased, uncentred) estimator, then un-biased by N/(N−1) like the empirical one. */
function regularised(z: ArrayLike<number>, p: number, n: number, reg: Exclude<CovarianceRegularisation, null>): DenseMatrix {
  const c = reg === 'ledoit_wolf' ? ledoitWolfVarMajor(z, p, n, true).covariance : shrunkCovariance(empiricalCovarianceVarMajor(z, p, n, { assumeCentered: true, ddof: 0 }), reg);
  for (let i = 0; i < c.data.length; i++) c.data[i] *= n / (n - 1);
  return c;
}

/** Σ over the given epochs of X Xᵀ (uncentred), p × p. Hot path of CSP fitting. */
export function accumulateCrossProducts(set: Pick<EpochSet, 'data' | 'channelCount' | 'sampleCount'>, epochIndices: ArrayLike<number>): DenseMatrix {
  const { channelCount: p, sampleCount: T, data } = set;
  const out = dense(p, p);
  const acc = out.data;
  for (let m = 0; m < epochIndices.length; m++) {
    const base = epochIndices[m] * p * T;
    for (let i = 0; i < p; i++) {
      const xi = base + i * T;
      let j = 0;
      // Four columns per pass: x_i(t) is loaded once for four products (≈1.6× faster than one).
      for (; j + 3 <= i; j += 4) {
        const x0 = base + j * T;
        const x1 = x0 + T;
        const x2 = x1 + T;
        const x3 = x2 + T;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let t = 0; t < T; t++) {
          const v = data[xi + t];
          s0 += v * data[x0 + t];
          s1 += v * data[x1 + t];
          s2 += v * data[x2 + t];
          s3 += v * data[x3 + t];
        }
        const o = i * p + j;
        acc[o] += s0;
        acc[o + 1] += s1;
        acc[o + 2] += s2;
        acc[o + 3] += s3;
      }
      for (; j <= i; j++) {
        const xj = base + j * T;
        let s = 0;
        for (let t = 0; t < T; t++) s += data[xi + t] * data[xj + t];
        acc[i * p + j] += s;
      }
    }
  }
  for (let i = 0; i < p; i++) for (let j = 0; j < i; j++) acc[j * p + i] = acc[i * p + j];
  return out;
}

/** The given epochs concatenated in time, VARIABLE-MAJOR (p × epochs·T). */
function concatenateVarMajor(set: EpochSet, members: number[]): Float64Array {
  const { channelCount: p, sampleCount: T } = set;
  const n = members.length * T;
  const z = new Float64Array(p * n);
  members.forEach((e, m) => {
    for (let c = 0; c < p; c++) z.set(set.data.subarray((e * p + c) * T, (e * p + c + 1) * T), c * n + m * T);
  });
  return z;
}

function centredCopy(data: ArrayLike<number>, p: number, n: number, assumeCentered: boolean): Float64Array {
  if (data.length !== p * n) throw new InputError(`${data.length} values for ${p} variables × ${n} observations`, 'covariance');
  const x = Float64Array.from(data);
  if (assumeCentered) return x;
  for (let i = 0; i < p; i++) {
    let m = 0;
    for (let t = 0; t < n; t++) m += x[i * n + t];
    m /= n;
    for (let t = 0; t < n; t++) x[i * n + t] -= m;
  }
  return x;
}

/** OBSERVATION-MAJOR (n × d) → VARIABLE-MAJOR (d × n). */
export function transposeFlat(data: ArrayLike<number>, rows: number, cols: number): Float64Array {
  if (data.length !== rows * cols) throw new InputError(`${data.length} values for ${rows} × ${cols}`, 'matrix');
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j];
  return out;
}
