// Regularised logistic regression with scikit-learn 1.2's objectives (NeuroPype's LogisticRegression
// wraps scikit-learn's). Trained state is plain JSON. Runs anywhere. `fit` allocates and is
// O(iterations · n · d²) (Newton) or O(iterations · n · d) (L-BFGS, coordinate descent);
// `decisionFunction` is one dot product per class row.
//
//  - penalty 'l2' (lbfgs/newton-cg): ½‖w‖² + C·Σ s_i·loss_i, intercept not penalised. Two classes or
//    one-vs-rest: Newton with backtracking (d ≤ 200), else L-BFGS; multinomial: softmax loss by L-BFGS.
//  - penalty 'l1' (liblinear, the only solver scikit-learn allows for it): Σ|w_j| + C·Σ s_i·loss_i where
//    the intercept is the weight of a constant feature `interceptScaling` and IS penalised, as liblinear
//    does; one-vs-rest; solved by coordinate descent with one-dimensional Newton steps (CDN).
//  s_i = sample weights (class weights resolved by the caller, e.g. 'balanced' = n / (k · count)).
// More than two classes, one-vs-rest: probabilities are the per-class sigmoids normalised to sum 1;
// multinomial: softmax. Two classes keep one row (positive → class 1) like scikit-learn.
import { InputError } from '../core/errors';
import { validateFeatures } from './lda';
import { dense, solveSymmetric, type DenseMatrix } from './linalg';
import { lbfgs } from './optimize';

export interface LogisticOptions {
  /** Inverse regularisation strength (scikit-learn's C, default 1; NeuroPype's alpha = 1/C). */
  c?: number;
  /** 'l2' (default) or 'l1'. */
  penalty?: 'l2' | 'l1';
  /** 'ovr' (default) or 'multinomial' (l2 only). */
  multiClass?: 'ovr' | 'multinomial';
  /** Fit an intercept (default true). */
  fitIntercept?: boolean;
  /** l1: value of the constant feature whose weight is the (penalised) intercept (liblinear's intercept_scaling, default 1). */
  interceptScaling?: number;
  /** Per-trial loss weights (default 1). */
  sampleWeights?: ArrayLike<number>;
  /** Convergence: Newton/CD step max |Δ| or L-BFGS gradient scale (default 1e-10). */
  tol?: number;
  /** Iteration cap (default 100 Newton / 1000 L-BFGS / 1000 CD sweeps). */
  maxIterations?: number;
}

export interface LogisticState {
  kind: 'logistic';
  version: 1;
  featureCount: number;
  classNames: string[];
  /** [1][features] for two classes (positive → class 1; multinomial keeps [2][…]), else one row per class. */
  coef: number[][];
  intercept: number[];
  c: number;
  iterations: number[];
  /** Absent in older states: 'l2'. */
  penalty?: 'l2' | 'l1';
  /** Absent in older states: 'ovr'. */
  multiClass?: 'ovr' | 'multinomial';
}

export class LogisticRegression {
  readonly state: LogisticState;

  constructor(state: LogisticState) {
    if (state?.kind !== 'logistic' || state.version !== 1) throw new InputError('not a logistic-regression state', 'logistic state');
    if (state.coef.some((r) => r.length !== state.featureCount) || state.intercept.length !== state.coef.length) {
      throw new InputError(`coefficients do not match ${state.coef.length} rows × ${state.featureCount} features`, 'logistic state');
    }
    this.state = state;
  }

  static fromJSON(state: LogisticState): LogisticRegression {
    return new LogisticRegression(state);
  }

  toJSON(): LogisticState {
    return this.state;
  }

  static fit(x: DenseMatrix, labels: Int32Array, classNames: string[], options: LogisticOptions = {}): LogisticRegression {
    validateFeatures(x, labels, classNames);
    const where = 'logistic options';
    const c = options.c ?? 1;
    if (!(c > 0)) throw new InputError(`C must be positive, got ${c}`, where);
    const penalty = options.penalty ?? 'l2';
    const multiClass = options.multiClass ?? 'ovr';
    if (penalty === 'l1' && multiClass === 'multinomial') throw new InputError("the l1 penalty (liblinear) is one-vs-rest only; use multiclass 'ovr' or the l2 penalty", where);
    const fitIntercept = options.fitIntercept ?? true;
    const sw = options.sampleWeights ? Float64Array.from(options.sampleWeights) : new Float64Array(x.rows).fill(1);
    if (sw.length !== x.rows || sw.some((v) => !(v >= 0))) throw new InputError(`sample weights must be ${x.rows} non-negative numbers`, where);
    const tol = options.tol ?? 1e-10;
    const K = classNames.length;
    const coef: number[][] = [];
    const intercept: number[] = [];
    const iterations: number[] = [];
    if (multiClass === 'multinomial') {
      const r = multinomial(x, labels, K, c, sw, fitIntercept, tol, options.maxIterations ?? 1000);
      const D = x.cols + 1;
      for (let k = 0; k < K; k++) {
        coef.push(Array.from(r.w.subarray(k * D, k * D + x.cols)));
        intercept.push(r.w[k * D + x.cols]);
      }
      iterations.push(r.iterations);
    } else {
      const targets = K === 2 ? [1] : Array.from({ length: K }, (_, k) => k);
      for (const k of targets) {
        const y = Float64Array.from(labels, (l) => (l === k ? 1 : 0));
        const r =
          penalty === 'l1'
            ? l1Cdn(x, y, c, sw, fitIntercept ? (options.interceptScaling ?? 1) : 0, tol, options.maxIterations ?? 1000)
            : x.cols + 1 <= 200
              ? newton(x, y, c, sw, fitIntercept, tol, options.maxIterations ?? 100)
              : binaryLbfgs(x, y, c, sw, fitIntercept, tol, options.maxIterations ?? 1000);
        coef.push(Array.from(r.w.subarray(0, x.cols)));
        intercept.push(r.w[x.cols]);
        iterations.push(r.iterations);
      }
    }
    return new LogisticRegression({ kind: 'logistic', version: 1, featureCount: x.cols, classNames: [...classNames], coef, intercept, c, iterations, penalty, multiClass });
  }

  /** [trial][row] linear scores. */
  decisionFunction(x: DenseMatrix): DenseMatrix {
    const { coef, intercept, featureCount: d } = this.state;
    if (x.cols !== d) throw new InputError(`${x.cols} features, the model was trained on ${d}`, 'logistic input');
    const out = dense(x.rows, coef.length);
    for (let i = 0; i < x.rows; i++)
      for (let k = 0; k < coef.length; k++) {
        let s = intercept[k];
        for (let j = 0; j < d; j++) s += coef[k][j] * x.data[i * d + j];
        out.data[i * coef.length + k] = s;
      }
    return out;
  }

  /** [trial][class] probabilities (one-vs-rest: normalised sigmoids; multinomial: softmax). */
  predictProba(x: DenseMatrix): DenseMatrix {
    const d = this.decisionFunction(x);
    const K = this.state.classNames.length;
    const rows = d.cols;
    const out = dense(x.rows, K);
    for (let i = 0; i < x.rows; i++) {
      const z = d.data.subarray(i * rows, (i + 1) * rows);
      const p = out.data.subarray(i * K, (i + 1) * K);
      if (this.state.multiClass === 'multinomial') {
        const m = Math.max(...z);
        let s = 0;
        for (let k = 0; k < K; k++) s += p[k] = Math.exp(z[k] - m);
        for (let k = 0; k < K; k++) p[k] /= s;
      } else if (K === 2) {
        p[1] = sigmoid(z[0]);
        p[0] = 1 - p[1];
      } else {
        let s = 0;
        for (let k = 0; k < K; k++) s += p[k] = sigmoid(z[k]);
        for (let k = 0; k < K; k++) p[k] /= s;
      }
    }
    return out;
  }

  predict(x: DenseMatrix): Int32Array {
    const p = this.predictProba(x);
    const K = p.cols;
    return Int32Array.from({ length: x.rows }, (_, i) => {
      let best = 0;
      for (let k = 1; k < K; k++) if (p.data[i * K + k] > p.data[i * K + best]) best = k;
      return best;
    });
  }
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** z_i = x_i·w + w[d] (the intercept slot; 0 when not fitted). */
function scores(x: DenseMatrix, w: Float64Array, z: Float64Array): void {
  const d = x.cols;
  for (let i = 0; i < x.rows; i++) {
    let s = w[d];
    for (let j = 0; j < d; j++) s += x.data[i * d + j] * w[j];
    z[i] = s;
  }
}

/** ½‖w‖² + C·Σ s_i [softplus(z_i) − y_i z_i] and its gradient (length d + 1; intercept unpenalised). */
function binaryObjective(x: DenseMatrix, y: Float64Array, w: Float64Array, c: number, sw: Float64Array, grad: Float64Array | null, fitIntercept: boolean): number {
  const d = x.cols;
  const z = new Float64Array(x.rows);
  scores(x, w, z);
  let f = 0;
  for (let j = 0; j < d; j++) f += 0.5 * w[j] * w[j];
  if (grad) {
    for (let j = 0; j < d; j++) grad[j] = w[j];
    grad[d] = 0;
  }
  for (let i = 0; i < x.rows; i++) {
    f += c * sw[i] * (softplus(z[i]) - y[i] * z[i]);
    if (grad) {
      const r = c * sw[i] * (sigmoid(z[i]) - y[i]);
      for (let j = 0; j < d; j++) grad[j] += r * x.data[i * d + j];
      grad[d] += r;
    }
  }
  if (grad && !fitIntercept) grad[d] = 0;
  return f;
}

/** Gradient of the unweighted binary objective, length d + 1 (exported for the optimality tests). */
export function logisticGradient(x: DenseMatrix, y: Float64Array, w: Float64Array, c: number): Float64Array {
  const g = new Float64Array(x.cols + 1);
  binaryObjective(x, y, w, c, new Float64Array(x.rows).fill(1), g, true);
  return g;
}

function newton(x: DenseMatrix, y: Float64Array, c: number, sw: Float64Array, fitIntercept: boolean, tol: number, maxIterations: number): { w: Float64Array; iterations: number } {
  const n = x.rows;
  const d = x.cols;
  const D = d + 1;
  let w = new Float64Array(D);
  let f = binaryObjective(x, y, w, c, sw, null, fitIntercept);
  const g = new Float64Array(D);
  const z = new Float64Array(n);
  for (let it = 1; it <= maxIterations; it++) {
    binaryObjective(x, y, w, c, sw, g, fitIntercept);
    scores(x, w, z);
    const h = dense(D, D);
    for (let j = 0; j < d; j++) h.data[j * D + j] = 1;
    for (let i = 0; i < n; i++) {
      const p = sigmoid(z[i]);
      const s = c * sw[i] * p * (1 - p);
      if (s === 0) continue;
      for (let a = 0; a < D; a++) {
        const xa = a < d ? x.data[i * d + a] : 1;
        if (xa === 0) continue;
        for (let b = 0; b <= a; b++) h.data[a * D + b] += s * xa * (b < d ? x.data[i * d + b] : 1);
      }
    }
    for (let a = 0; a < D; a++) for (let b = 0; b < a; b++) h.data[b * D + a] = h.data[a * D + b];
    if (!fitIntercept) {
      // freeze the intercept: unit row/column, zero gradient
      for (let a = 0; a < D; a++) h.data[d * D + a] = h.data[a * D + d] = 0;
      h.data[d * D + d] = 1;
    }
    const step = solveSymmetric(h, dense(D, 1, g)).data;
    let t = 1;
    let next = new Float64Array(D);
    let fNext = Infinity;
    for (let ls = 0; ls < 50; ls++) {
      for (let j = 0; j < D; j++) next[j] = w[j] - t * step[j];
      fNext = binaryObjective(x, y, next, c, sw, null, fitIntercept);
      // Near the optimum f changes below its rounding error: accept the (quadratically convergent) full step.
      if (fNext <= f + 1e-13 * Math.abs(f)) break;
      t /= 2;
    }
    let maxStep = 0;
    for (let j = 0; j < D; j++) maxStep = Math.max(maxStep, Math.abs(next[j] - w[j]));
    w = next;
    next = new Float64Array(D);
    f = fNext;
    if (maxStep < tol) return { w, iterations: it };
  }
  return { w, iterations: maxIterations };
}

function binaryLbfgs(x: DenseMatrix, y: Float64Array, c: number, sw: Float64Array, fitIntercept: boolean, tol: number, maxIterations: number): { w: Float64Array; iterations: number } {
  const scale = 1 + c * sw.reduce((a, b) => a + b, 0);
  const r = lbfgs((w, g) => binaryObjective(x, y, w, c, sw, g, fitIntercept), new Float64Array(x.cols + 1), { gradientTolerance: tol * scale, maxIterations });
  return { w: r.w, iterations: r.iterations };
}

/** Multinomial: ½Σ_k‖w_k‖² + C·Σ_i s_i [logΣ_k e^{z_ik} − z_{i,y_i}]; parameters [class][d + 1]. */
function multinomial(x: DenseMatrix, labels: Int32Array, K: number, c: number, sw: Float64Array, fitIntercept: boolean, tol: number, maxIterations: number): { w: Float64Array; iterations: number } {
  const n = x.rows;
  const d = x.cols;
  const D = d + 1;
  const z = new Float64Array(K);
  const fg = (w: Float64Array, g: Float64Array): number => {
    let f = 0;
    g.fill(0);
    for (let k = 0; k < K; k++)
      for (let j = 0; j < d; j++) {
        f += 0.5 * w[k * D + j] ** 2;
        g[k * D + j] = w[k * D + j];
      }
    for (let i = 0; i < n; i++) {
      let m = -Infinity;
      for (let k = 0; k < K; k++) {
        let s = w[k * D + d];
        for (let j = 0; j < d; j++) s += w[k * D + j] * x.data[i * d + j];
        z[k] = s;
        if (s > m) m = s;
      }
      let se = 0;
      for (let k = 0; k < K; k++) se += Math.exp(z[k] - m);
      const lse = m + Math.log(se);
      const wi = c * sw[i];
      f += wi * (lse - z[labels[i]]);
      for (let k = 0; k < K; k++) {
        const r = wi * (Math.exp(z[k] - lse) - (labels[i] === k ? 1 : 0));
        for (let j = 0; j < d; j++) g[k * D + j] += r * x.data[i * d + j];
        g[k * D + d] += r;
      }
    }
    if (!fitIntercept) for (let k = 0; k < K; k++) g[k * D + d] = 0;
    return f;
  };
  const scale = 1 + c * sw.reduce((a, b) => a + b, 0);
  const r = lbfgs(fg, new Float64Array(K * D), { gradientTolerance: tol * scale, maxIterations });
  return { w: r.w, iterations: r.iterations };
}

/**
 * liblinear's L1 problem: Σ_j |w_j| + C·Σ s_i log(1 + e^{−ỹ_i w·x̃_i}), x̃ = [x, b] with the intercept
 * feature b (0 = none), by cyclic coordinate descent with one-dimensional Newton steps and an
 * Armijo line search on the exact objective (Yuan et al. 2010, CDN). Returns w with the intercept
 * (w_b · b) in slot d.
 */
function l1Cdn(x: DenseMatrix, y01: Float64Array, c: number, sw: Float64Array, b: number, tol: number, maxSweeps: number): { w: Float64Array; iterations: number } {
  const n = x.rows;
  const d = x.cols;
  const D = b > 0 ? d + 1 : d;
  const col = (j: number, i: number) => (j < d ? x.data[i * d + j] : b);
  const ys = Float64Array.from(y01, (v) => (v > 0 ? 1 : -1));
  const w = new Float64Array(D);
  const m = new Float64Array(n); // margins ỹ_i w·x̃_i
  const loss = (i: number, mi: number) => c * sw[i] * softplus(-mi);
  let sweep = 0;
  for (; sweep < maxSweeps; sweep++) {
    let maxDelta = 0;
    for (let j = 0; j < D; j++) {
      let g = 0;
      let h = 0;
      for (let i = 0; i < n; i++) {
        const v = col(j, i);
        if (v === 0) continue;
        const p = sigmoid(-m[i]); // σ(−margin)
        g -= c * sw[i] * ys[i] * v * p;
        h += c * sw[i] * v * v * p * (1 - p);
      }
      h = Math.max(h, 1e-12);
      let step: number;
      if (g + 1 <= h * w[j]) step = -(g + 1) / h;
      else if (g - 1 >= h * w[j]) step = -(g - 1) / h;
      else step = -w[j];
      if (step === 0) continue;
      // Armijo on F(w + λ step e_j) − F(w) ≤ σλ(g·step + |w_j + step| − |w_j|)
      const base = g * step + Math.abs(w[j] + step) - Math.abs(w[j]);
      let lambda = 1;
      let accepted = false;
      for (let ls = 0; ls < 40; ls++) {
        const nw = w[j] + lambda * step;
        let diff = Math.abs(nw) - Math.abs(w[j]);
        for (let i = 0; i < n; i++) {
          const v = col(j, i);
          if (v === 0) continue;
          diff += loss(i, m[i] + lambda * step * ys[i] * v) - loss(i, m[i]);
        }
        if (diff <= 0.01 * lambda * base) {
          accepted = true;
          break;
        }
        lambda /= 2;
      }
      if (!accepted) continue;
      const delta = lambda * step;
      w[j] += delta;
      for (let i = 0; i < n; i++) m[i] += delta * ys[i] * col(j, i);
      maxDelta = Math.max(maxDelta, Math.abs(delta));
    }
    if (maxDelta < tol) break;
  }
  const out = new Float64Array(d + 1);
  out.set(w.subarray(0, d));
  out[d] = b > 0 ? w[d] * b : 0;
  return { w: out, iterations: sweep + 1 };
}
