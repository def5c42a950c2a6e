// Isolation forest (Liu, Ting & Zhou 2008) for unsupervised anomaly detection, with scikit-learn's
// IsolationForest conventions: ψ = max_samples (default min(256, n)), height limit ⌈log₂ ψ⌉, random
// feature and uniform random threshold in the node's (min, max), go left when x ≤ threshold; path
// length h(x) = depth + c(leaf size); score_samples = −2^(−E[h(x)] / c(ψ)) (lower = more abnormal);
// offset −0.5 for contamination 'auto', else the contamination percentile of the training scores.
// Runs anywhere (training worker, Node). fit allocates; scoring is O(trees · depth) per row (hot in
// the fault-detection predict path) and allocates one output array.
import { InputError } from '../core/errors';
import { seededRandom } from './cross-validation';
import type { DenseMatrix } from './linalg';

/** One tree as flat node arrays; a leaf has left = right = −1 and feature −1. */
export interface IsolationTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  /** Training samples that reached each node. */
  samples: number[];
}

export interface IsolationForestState {
  kind: 'isolation-forest';
  version: 1;
  featureCount: number;
  /** ψ, the subsample size each tree was grown on. */
  maxSamples: number;
  contamination: 'auto' | number;
  /** decision_function = score_samples − offset. */
  offset: number;
  trees: IsolationTree[];
}

export interface IsolationForestOptions {
  /** Trees (default 100). */
  nEstimators?: number;
  /** 'auto' = min(256, n); an integer count; or a fraction of n in (0, 1]. */
  maxSamples?: 'auto' | number;
  /** 'auto' (offset −0.5, Liu et al.'s threshold) or the expected outlier share in (0, 0.5]. */
  contamination?: 'auto' | number;
  seed?: number;
}

const EULER_GAMMA = 0.5772156649015329;

/** c(n): average path length of an unsuccessful BST search among n points (sklearn `_average_path_length`). */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n <= 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** NumPy's default (linear) percentile of `values` at q ∈ [0, 100]. */
export function percentileLinear(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) throw new InputError('percentile of no values', 'percentile');
  const pos = (q / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export class IsolationForest {
  readonly state: IsolationForestState;

  constructor(state: IsolationForestState) {
    if (state?.kind !== 'isolation-forest' || state.version !== 1 || !Array.isArray(state.trees)) throw new InputError('not an isolation-forest state', 'isolation forest');
    this.state = state;
  }

  static fromJSON(state: IsolationForestState): IsolationForest {
    return new IsolationForest(state);
  }

  toJSON(): IsolationForestState {
    return this.state;
  }

  static fit(x: DenseMatrix, options: IsolationForestOptions = {}): IsolationForest {
    const { rows: n, cols: d } = x;
    if (n < 2) throw new InputError(`needs at least 2 rows, got ${n}`, 'isolation forest');
    if (d < 1) throw new InputError('needs at least one feature column', 'isolation forest');
    for (const v of x.data) if (!Number.isFinite(v)) throw new InputError('data contain NaN or infinite values', 'isolation forest');
    const nTrees = options.nEstimators ?? 100;
    if (!Number.isInteger(nTrees) || nTrees < 1) throw new InputError(`n_estimators must be a positive integer, got ${nTrees}`, 'isolation forest');
    const ms = options.maxSamples ?? 'auto';
    let psi: number;
    if (ms === 'auto') psi = Math.min(256, n);
    else if (Number.isInteger(ms) && ms >= 1) psi = Math.min(ms, n);
    else if (ms > 0 && ms <= 1) psi = Math.max(1, Math.floor(ms * n));
    else throw new InputError(`max_samples must be 'auto', a positive integer or a fraction in (0, 1]; got ${ms}`, 'isolation forest');
    const contamination = options.contamination ?? 'auto';
    if (contamination !== 'auto' && !(contamination > 0 && contamination <= 0.5)) throw new InputError(`contamination must be 'auto' or in (0, 0.5]; got ${contamination}`, 'isolation forest');
    const random = seededRandom(options.seed ?? 0);
    const heightLimit = Math.ceil(Math.log2(Math.max(psi, 2)));
    const all = Array.from({ length: n }, (_, i) => i);
    const trees: IsolationTree[] = [];
    for (let t = 0; t < nTrees; t++) {
      // ψ rows without replacement (partial Fisher–Yates).
      for (let i = 0; i < psi; i++) {
        const j = i + Math.floor(random() * (n - i));
        [all[i], all[j]] = [all[j], all[i]];
      }
      trees.push(growTree(x, all.slice(0, psi), heightLimit, random));
    }
    const forest = new IsolationForest({ kind: 'isolation-forest', version: 1, featureCount: d, maxSamples: psi, contamination, offset: -0.5, trees });
    if (contamination !== 'auto') forest.state.offset = percentileLinear(forest.scoreSamples(x), 100 * contamination);
    return forest;
  }

  /** −2^(−E[h(x)] / c(ψ)) per row: in [−1, 0), lower = more abnormal (scikit-learn's sign). Hot path. */
  scoreSamples(x: DenseMatrix): Float64Array {
    const { featureCount, trees, maxSamples } = this.state;
    if (x.cols !== featureCount) throw new InputError(`expected ${featureCount} feature columns, got ${x.cols}`, 'isolation forest');
    const out = new Float64Array(x.rows);
    const denom = trees.length * averagePathLength(maxSamples);
    for (let i = 0; i < x.rows; i++) {
      const o = i * x.cols;
      let sum = 0;
      for (const tr of trees) {
        let node = 0;
        let depth = 0;
        while (tr.left[node] !== -1) {
          node = x.data[o + tr.feature[node]] <= tr.threshold[node] ? tr.left[node] : tr.right[node];
          depth++;
        }
        sum += depth + averagePathLength(tr.samples[node]);
      }
      out[i] = -Math.pow(2, denom !== 0 ? -sum / denom : -1);
    }
    return out;
  }

  /** score_samples − offset: negative = outlier. */
  decisionFunction(x: DenseMatrix): Float64Array {
    const s = this.scoreSamples(x);
    for (let i = 0; i < s.length; i++) s[i] -= this.state.offset;
    return s;
  }

  /** 1 inlier, −1 outlier (scikit-learn's labels). */
  predict(x: DenseMatrix): Int8Array {
    const d = this.decisionFunction(x);
    return Int8Array.from(d, (v) => (v < 0 ? -1 : 1));
  }
}

function growTree(x: DenseMatrix, rows: number[], heightLimit: number, random: () => number): IsolationTree {
  const tr: IsolationTree = { feature: [], threshold: [], left: [], right: [], samples: [] };
  const d = x.cols;
  const order = Array.from({ length: d }, (_, i) => i);
  const build = (idx: number[], depth: number): number => {
    const node = tr.feature.length;
    tr.feature.push(-1);
    tr.threshold.push(0);
    tr.left.push(-1);
    tr.right.push(-1);
    tr.samples.push(idx.length);
    if (depth >= heightLimit || idx.length <= 1) return node;
    // A random feature among those not constant in this node (scikit-learn's random splitter).
    for (let i = d - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const f of order) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const r of idx) {
        const v = x.data[r * d + f];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (!(hi > lo)) continue;
      let thr = lo + random() * (hi - lo);
      if (thr >= hi) thr = lo;
      const left: number[] = [];
      const right: number[] = [];
      for (const r of idx) (x.data[r * d + f] <= thr ? left : right).push(r);
      tr.feature[node] = f;
      tr.threshold[node] = thr;
      tr.left[node] = build(left, depth + 1);
      tr.right[node] = build(right, depth + 1);
      return node;
    }
    return node;
  };
  build(rows, 0);
  return tr;
}
