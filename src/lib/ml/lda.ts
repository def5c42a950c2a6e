// Linear discriminant analysis with scikit-learn 1.2 semantics: solver 'svd' (the default, no
// covariance matrix formed, rank-aware with tol 1e-4) and 'lsqr'/'eigen' with optional shrinkage
// ('auto' = Ledoit–Wolf on standardised features, or a fixed value). Trained state is plain JSON.
// Runs anywhere. `fit` allocates; `decisionFunction` is cheap (one dot product per class and trial).
//
// Features are OBSERVATION-MAJOR DenseMatrix rows (trial × feature). Binary problems keep one
// coefficient row (class 1 minus class 0) like scikit-learn: decision > 0 → class 1,
// predict_proba = [1 − σ(d), σ(d)]; more classes: argmax of the per-class decision, softmax probabilities.
import { InputError } from '../core/errors';
import { classCounts } from './epochs';
import { empiricalCovariance, ledoitWolf, shrunkCovariance } from './covariance';
import { dense, eighSymmetric, matMul, solveSymmetric, svd, transpose, type DenseMatrix } from './linalg';

export interface LdaOptions {
  /** 'svd' (default, as scikit-learn), 'lsqr' or 'eigen' (these two accept shrinkage; same decision function). */
  solver?: 'svd' | 'lsqr' | 'eigen';
  /** null (default), 'auto' (Ledoit–Wolf) or a value in [0, 1]; not with 'svd'. */
  shrinkage?: null | 'auto' | number;
  /** Class priors; default the class frequencies. */
  priors?: number[];
  /** Rank threshold of the 'svd' solver (scikit-learn's tol, 1e-4). */
  tol?: number;
}

export interface LdaState {
  kind: 'lda';
  version: 1;
  featureCount: number;
  classNames: string[];
  /** [1][features] for two classes, [classes][features] otherwise. */
  coef: number[][];
  intercept: number[];
  priors: number[];
  means: number[][];
  solver: 'svd' | 'lsqr' | 'eigen';
  shrinkage: number | null;
}

/** Checks a feature matrix + labels before training. */
export function validateFeatures(x: DenseMatrix, labels: Int32Array, classNames: string[], what = 'training features'): void {
  if (x.data.length !== x.rows * x.cols) throw new InputError(`${x.data.length} values for ${x.rows} × ${x.cols}`, what);
  if (labels.length !== x.rows) throw new InputError(`${labels.length} labels for ${x.rows} trials`, what);
  for (let i = 0; i < x.data.length; i++) {
    if (!Number.isFinite(x.data[i])) {
      throw new InputError(`trial ${Math.floor(i / x.cols)} feature ${i % x.cols} is ${x.data[i]}; features must be finite`, what);
    }
  }
  const counts = classCounts(labels, classNames.length);
  if (counts.filter((c) => c > 0).length < 2) {
    throw new InputError('only one class present; a classifier needs trials of at least two classes', what);
  }
  counts.forEach((c, k) => {
    if (c < 1) throw new InputError(`class "${classNames[k]}" has no trials`, what);
  });
  if (x.rows <= classNames.length) throw new InputError(`${x.rows} trials for ${classNames.length} classes are too few`, what);
}

export class Lda {
  readonly state: LdaState;

  constructor(state: LdaState) {
    if (state?.kind !== 'lda' || state.version !== 1) throw new InputError('not an LDA state (kind "lda", version 1)', 'LDA state');
    const rows = state.classNames.length === 2 ? 1 : state.classNames.length;
    if (state.coef.length !== rows || state.coef.some((r) => r.length !== state.featureCount) || state.intercept.length !== rows) {
      throw new InputError(`coefficients do not match ${rows} rows × ${state.featureCount} features`, 'LDA state');
    }
    this.state = state;
  }

  static fromJSON(state: LdaState): Lda {
    return new Lda(state);
  }

  toJSON(): LdaState {
    return this.state;
  }

  static fit(x: DenseMatrix, labels: Int32Array, classNames: string[], options: LdaOptions = {}): Lda {
    validateFeatures(x, labels, classNames);
    const solver = options.solver ?? 'svd';
    const shrinkOpt = options.shrinkage ?? null;
    if (solver === 'svd' && shrinkOpt !== null) throw new InputError("shrinkage needs solver 'lsqr' or 'eigen'", 'LDA options');
    const n = x.rows;
    const d = x.cols;
    const K = classNames.length;
    const counts = classCounts(labels, K);
    const priors = options.priors ?? counts.map((c) => c / n);
    if (priors.length !== K || priors.some((p) => !(p > 0))) throw new InputError(`priors must be ${K} positive numbers`, 'LDA options');
    const psum = priors.reduce((a, b) => a + b, 0);
    for (let k = 0; k < K; k++) priors[k] /= psum;
    const means = dense(K, d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) means.data[labels[i] * d + j] += x.data[i * d + j];
    for (let k = 0; k < K; k++) for (let j = 0; j < d; j++) means.data[k * d + j] /= counts[k];

    let coef: DenseMatrix;
    let intercept: Float64Array;
    let shrinkageUsed: number | null = null;
    if (solver === 'svd') {
      ({ coef, intercept } = solveSvd(x, labels, means, priors, options.tol ?? 1e-4));
    } else {
      // Σ = Σ_k prior_k · cov_k (scikit-learn's _class_cov), then coef = Σ⁻¹ μ_kᵀ.
      const cov = dense(d, d);
      const shr: number[] = [];
      for (let k = 0; k < K; k++) {
        const rows: number[] = [];
        for (let i = 0; i < n; i++) if (labels[i] === k) rows.push(i);
        const xk = new Float64Array(rows.length * d);
        rows.forEach((r, m) => xk.set(x.data.subarray(r * d, (r + 1) * d), m * d));
        const { cov: ck, shrinkage } = classCov(xk, rows.length, d, shrinkOpt);
        shr.push(shrinkage);
        for (let i = 0; i < ck.data.length; i++) cov.data[i] += priors[k] * ck.data[i];
      }
      if (shrinkOpt !== null) shrinkageUsed = shr.reduce((a, b) => a + b, 0) / K;
      // lsqr: lstsq(Σ, μᵀ); eigen: same Σ⁻¹ through the eigendecomposition (identical decision function).
      const sol = solver === 'eigen' ? eigenInverse(cov, transpose(means)) : solveSymmetric(cov, transpose(means));
      coef = transpose(sol);
      intercept = new Float64Array(K);
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += means.data[k * d + j] * coef.data[k * d + j];
        intercept[k] = -0.5 * s + Math.log(priors[k]);
      }
    }
    let coefRows: number[][];
    let icpt: number[];
    if (K === 2) {
      coefRows = [Array.from({ length: d }, (_, j) => coef.data[d + j] - coef.data[j])];
      icpt = [intercept[1] - intercept[0]];
    } else {
      coefRows = Array.from({ length: K }, (_, k) => Array.from(coef.data.subarray(k * d, (k + 1) * d)));
      icpt = Array.from(intercept);
    }
    return new Lda({
      kind: 'lda',
      version: 1,
      featureCount: d,
      classNames: [...classNames],
      coef: coefRows,
      intercept: icpt,
      priors,
      means: Array.from({ length: K }, (_, k) => Array.from(means.data.subarray(k * d, (k + 1) * d))),
      solver,
      shrinkage: shrinkageUsed,
    });
  }

  /** [trial][row]: one column for two classes (positive → class 1), else one per class. */
  decisionFunction(x: DenseMatrix): DenseMatrix {
    const { coef, intercept, featureCount: d } = this.state;
    if (x.cols !== d) throw new InputError(`${x.cols} features, the model was trained on ${d}`, 'LDA input');
    const out = dense(x.rows, coef.length);
    for (let i = 0; i < x.rows; i++) {
      for (let k = 0; k < coef.length; k++) {
        let s = intercept[k];
        const w = coef[k];
        for (let j = 0; j < d; j++) s += x.data[i * d + j] * w[j];
        out.data[i * coef.length + k] = s;
      }
    }
    return out;
  }

  /** Binary: the single decision value per trial; multi-class: the winning class's value. */
  decisionValues(x: DenseMatrix): Float64Array {
    const d = this.decisionFunction(x);
    if (d.cols === 1) return d.data;
    return Float64Array.from({ length: d.rows }, (_, i) => Math.max(...d.data.subarray(i * d.cols, (i + 1) * d.cols)));
  }

  /** Class index per trial. */
  predict(x: DenseMatrix): Int32Array {
    const d = this.decisionFunction(x);
    const out = new Int32Array(x.rows);
    for (let i = 0; i < x.rows; i++) {
      if (d.cols === 1) {
        out[i] = d.data[i] > 0 ? 1 : 0;
      } else {
        let best = 0;
        for (let k = 1; k < d.cols; k++) if (d.data[i * d.cols + k] > d.data[i * d.cols + best]) best = k;
        out[i] = best;
      }
    }
    return out;
  }

  /** [trial][class] probabilities (scikit-learn: σ for two classes, softmax otherwise). */
  predictProba(x: DenseMatrix): DenseMatrix {
    const d = this.decisionFunction(x);
    const K = this.state.classNames.length;
    const out = dense(x.rows, K);
    for (let i = 0; i < x.rows; i++) {
      if (K === 2) {
        const p = 1 / (1 + Math.exp(-d.data[i]));
        out.data[i * 2] = 1 - p;
        out.data[i * 2 + 1] = p;
      } else {
        const row = d.data.subarray(i * K, (i + 1) * K);
        const m = Math.max(...row);
        let s = 0;
        for (let k = 0; k < K; k++) s += (out.data[i * K + k] = Math.exp(row[k] - m));
        for (let k = 0; k < K; k++) out.data[i * K + k] /= s;
      }
    }
    return out;
  }
}

/** scikit-learn `_solve_svd`: within-class whitening by SVD, then the between-class subspace. */
function solveSvd(
  x: DenseMatrix,
  labels: Int32Array,
  means: DenseMatrix,
  priors: number[],
  tol: number,
): { coef: DenseMatrix; intercept: Float64Array } {
  const n = x.rows;
  const d = x.cols;
  const K = means.rows;
  const xbar = new Float64Array(d);
  for (let k = 0; k < K; k++) for (let j = 0; j < d; j++) xbar[j] += priors[k] * means.data[k * d + j];
  // Xc: class-centred rows (order irrelevant for the SVD's V and S).
  const xc = dense(n, d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xc.data[i * d + j] = x.data[i * d + j] - means.data[labels[i] * d + j];
  const std = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += xc.data[i * d + j];
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (xc.data[i * d + j] - m) ** 2;
    std[j] = Math.sqrt(v / n) || 1;
  }
  const fac = 1 / (n - K);
  const xs = dense(n, d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xs.data[i * d + j] = (Math.sqrt(fac) * xc.data[i * d + j]) / std[j];
  const s1 = svd(xs);
  let rank = 0;
  for (const s of s1.s) if (s > tol) rank++;
  if (rank === 0) throw new InputError('every feature is constant within classes; nothing to discriminate', 'LDA training data');
  // scalings (d × rank) = (Vt[:rank] / std).T / S[:rank]
  const scal = dense(d, rank);
  for (let j = 0; j < d; j++) for (let r = 0; r < rank; r++) scal.data[j * rank + r] = s1.v.data[j * s1.v.cols + r] / std[j] / s1.s[r];
  const fac2 = K === 1 ? 1 : 1 / (K - 1);
  const xb = dense(K, d);
  for (let k = 0; k < K; k++) {
    const w = Math.sqrt(n * priors[k] * fac2);
    for (let j = 0; j < d; j++) xb.data[k * d + j] = w * (means.data[k * d + j] - xbar[j]);
  }
  const xbs = matMul(xb, scal); // K × rank
  const s2 = svd(xbs);
  let rank2 = 0;
  for (const s of s2.s) if (s > tol * s2.s[0]) rank2++;
  // scalings_ = scal @ V[:, :rank2]
  const v2 = dense(rank, rank2);
  for (let i = 0; i < rank; i++) for (let r = 0; r < rank2; r++) v2.data[i * rank2 + r] = s2.v.data[i * s2.v.cols + r];
  const scalings = matMul(scal, v2); // d × rank2
  const centred = dense(K, d);
  for (let k = 0; k < K; k++) for (let j = 0; j < d; j++) centred.data[k * d + j] = means.data[k * d + j] - xbar[j];
  const c = matMul(centred, scalings); // K × rank2
  const intercept = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let s = 0;
    for (let r = 0; r < rank2; r++) s += c.data[k * rank2 + r] ** 2;
    intercept[k] = -0.5 * s + Math.log(priors[k]);
  }
  const coef = matMul(c, transpose(scalings)); // K × d
  for (let k = 0; k < K; k++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += xbar[j] * coef.data[k * d + j];
    intercept[k] -= s;
  }
  return { coef, intercept };
}

/** scikit-learn `_cov`: empirical (biased, centred), fixed shrinkage, or 'auto' = Ledoit–Wolf on standardised data. */
function classCov(xk: Float64Array, n: number, d: number, shrinkage: null | 'auto' | number): { cov: DenseMatrix; shrinkage: number } {
  if (shrinkage === null) return { cov: empiricalCovariance(xk, n, d), shrinkage: 0 };
  if (shrinkage === 'auto') {
    const mean = new Float64Array(d);
    const scale = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += xk[i * d + j] / n;
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) scale[j] += (xk[i * d + j] - mean[j]) ** 2 / n;
    for (let j = 0; j < d; j++) scale[j] = Math.sqrt(scale[j]) || 1;
    const z = new Float64Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) z[i * d + j] = (xk[i * d + j] - mean[j]) / scale[j];
    const lw = ledoitWolf(z, n, d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) lw.covariance.data[i * d + j] *= scale[i] * scale[j];
    return { cov: lw.covariance, shrinkage: lw.shrinkage };
  }
  return { cov: shrunkCovariance(empiricalCovariance(xk, n, d), shrinkage), shrinkage };
}

/** Σ⁻¹ B via Σ's eigendecomposition, dropping eigenvalues below 1e-12 × the largest. */
function eigenInverse(cov: DenseMatrix, b: DenseMatrix): DenseMatrix {
  const { values, vectors } = eighSymmetric(cov);
  const d = cov.rows;
  const top = values[d - 1];
  const utb = matMul(transpose(vectors), b);
  for (let i = 0; i < d; i++) {
    const inv = values[i] > 1e-12 * top ? 1 / values[i] : 0;
    for (let j = 0; j < b.cols; j++) utb.data[i * b.cols + j] *= inv;
  }
  return matMul(vectors, utb);
}
