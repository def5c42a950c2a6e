// The learners behind NeuroPype's LogisticRegression and LinearDiscriminantAnalysis nodes, with
// NeuroPype's parameters and scikit-learn's behaviour: labels as given (numbers or strings) sorted as
// numpy.unique sorts them (that is the order of the probability columns), class weights, and a
// cross-validated search over `alphas` (C = 1/alpha) or a shrinkage list with unshuffled KFold, best =
// first of the highest mean score (GridSearchCV), then a refit on all trials. Runs anywhere; `fit`
// allocates; predict is cheap. State is plain JSON.
//
// Choices where NeuroPype is silent: folds are contiguous blocks (KFold, not stratified: NeuroPype says
// the trials are not shuffled); a fold whose training part lacks a class is skipped (scikit-learn would
// score it NaN); 'auto' class weights are scikit-learn's old name for 'balanced' (n / (k · count));
// dict weights default to 1 for labels not named; LDA's class weights become its priors (normalised);
// the optimisers run to convergence (NeuroPype's tolerance and max_iter bound scikit-learn's solvers, whose
// converged answer this is); multiclass 'auto' = multinomial for more than two classes (scikit-learn 1.2).
import { InputError } from '../core/errors';
import { kFold } from './cross-validation';
import { Lda, type LdaState } from './lda';
import { dense, type DenseMatrix } from './linalg';
import { LogisticRegression, type LogisticState } from './logistic';
import { searchScore, type SearchMetric } from './metrics';

export type Label = number | string;

export interface EncodedLabels {
  /** Distinct labels, sorted (numbers ascending, else strings by code point, as numpy.unique). */
  classes: Label[];
  /** Class index of each trial. */
  indices: Int32Array;
}

/** Sort the distinct labels and index the trials; refuses missing labels and a single class, naming what it saw. */
export function encodeLabels(y: ArrayLike<Label>, where = 'training labels'): EncodedLabels {
  const seen = new Map<Label, number>();
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) || v === '') {
      throw new InputError(`trial ${i} has no label (${String(v)}); every training trial needs a target value`, where);
    }
    seen.set(v, (seen.get(v) ?? 0) + 1);
  }
  const numeric = [...seen.keys()].every((v) => typeof v === 'number');
  const classes = [...seen.keys()].sort((a, b) => (numeric ? (a as number) - (b as number) : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
  if (classes.length < 2) {
    const what = classes.map((c) => `${JSON.stringify(c)} × ${seen.get(c)}`).join(', ') || 'none';
    throw new InputError(`only one class among the labels (seen: ${what}); a classifier needs trials of at least two classes`, where);
  }
  const index = new Map(classes.map((c, k) => [c, k]));
  return { classes, indices: Int32Array.from(Array.from(y), (v) => index.get(v)!) };
}

export type ClassWeights = null | 'balanced' | 'auto' | Record<string, number>;

/** Per-trial weights from class weights (scikit-learn's compute_sample_weight). */
export function sampleWeightsFor(enc: EncodedLabels, weights: ClassWeights): Float64Array | undefined {
  if (weights === null || weights === undefined) return undefined;
  const K = enc.classes.length;
  const n = enc.indices.length;
  let perClass: number[];
  if (weights === 'balanced' || weights === 'auto') {
    const counts = new Array<number>(K).fill(0);
    for (const k of enc.indices) counts[k]++;
    perClass = counts.map((c) => (c > 0 ? n / (K * c) : 0));
  } else if (typeof weights === 'object') {
    for (const key of Object.keys(weights)) {
      if (!enc.classes.some((c) => String(c) === key)) throw new InputError(`class weight for "${key}", but the labels are ${enc.classes.map((c) => JSON.stringify(c)).join(', ')}`, 'class weights');
      if (!(weights[key] >= 0)) throw new InputError(`class weight of "${key}" must be a non-negative number`, 'class weights');
    }
    perClass = enc.classes.map((c) => weights[String(c)] ?? 1);
  } else {
    throw new InputError(`class weights must be null, "balanced", "auto" or a dict of label → weight, got ${JSON.stringify(weights)}`, 'class weights');
  }
  return Float64Array.from(enc.indices, (k) => perClass[k]);
}

function rowsOf(x: DenseMatrix, idx: readonly number[]): DenseMatrix {
  const out = dense(idx.length, x.cols);
  idx.forEach((r, i) => out.data.set(x.data.subarray(r * x.cols, (r + 1) * x.cols), i * x.cols));
  return out;
}

function checkFeatures(x: DenseMatrix, n: number, where: string): void {
  if (x.rows !== n) throw new InputError(`${x.rows} feature rows for ${n} labels`, where);
  for (let i = 0; i < x.data.length; i++) {
    if (!Number.isFinite(x.data[i])) throw new InputError(`trial ${Math.floor(i / x.cols)} feature ${i % x.cols} is ${x.data[i]}; features must be finite`, where);
  }
}

/**
 * Mean cross-validated score of each candidate (unshuffled KFold); the index of the best (first of the
 * highest). `fitProba(trainX, trainY, candidate)` returns a predictor of [trial][class] probabilities.
 */
export function gridSearch<P>(
  x: DenseMatrix,
  enc: EncodedLabels,
  candidates: readonly P[],
  folds: number,
  metric: SearchMetric,
  fitProba: (x: DenseMatrix, y: Label[], candidate: P) => (x: DenseMatrix) => DenseMatrix,
): { scores: number[]; best: number } {
  const n = x.rows;
  if (!Number.isInteger(folds) || folds < 2) throw new InputError(`num_folds must be an integer ≥ 2, got ${folds}`, 'grid search');
  if (folds > n) throw new InputError(`${folds} folds need at least ${folds} trials, there are ${n}`, 'grid search');
  const splits = kFold(n, folds);
  const K = enc.classes.length;
  const scores = candidates.map((cand) => {
    let sum = 0;
    let used = 0;
    for (const f of splits) {
      const trainY = f.train.map((i) => enc.indices[i]);
      if (new Set(trainY).size < K) continue;
      const predict = fitProba(rowsOf(x, f.train), trainY.map((k) => enc.classes[k]), cand);
      sum += searchScore(metric, f.test.map((i) => enc.indices[i]), predict(rowsOf(x, f.test)));
      used++;
    }
    return used ? sum / used : NaN;
  });
  if (scores.every((s) => Number.isNaN(s))) {
    throw new InputError(`every one of the ${folds} folds leaves a class out of its training part (the trials are in class blocks); use fewer folds or interleave the trials`, 'grid search');
  }
  let best = 0;
  scores.forEach((s, i) => {
    if (s > scores[best] || Number.isNaN(scores[best])) best = i;
  });
  return { scores, best };
}

export interface LogisticLearnerOptions {
  /** 'l2' (default) or 'l1' (liblinear). */
  regularizer?: 'l2' | 'l1';
  /** Candidate regularisation strengths, C = 1/alpha (default [0.1, 0.5, 1, 5, 10]); one value skips the search. */
  alphas?: readonly number[];
  searchMetric?: SearchMetric;
  /** Folds of the search (default 5). */
  numFolds?: number;
  classWeights?: ClassWeights;
  /** 'ovr' (default), 'multinomial' or 'auto' (multinomial above two classes). */
  multiclass?: 'ovr' | 'multinomial' | 'auto';
  includeBias?: boolean;
  /** liblinear's intercept_scaling (l1 only; the bias is penalised there). */
  biasScaling?: number;
  maxIterations?: number;
}

export interface LogisticLearnerState {
  kind: 'logistic-learner';
  version: 1;
  classes: Label[];
  alpha: number;
  /** Mean CV score per alpha (empty without a search). */
  searchScores: number[];
  model: LogisticState;
}

export class LogisticLearner {
  readonly state: LogisticLearnerState;
  private readonly model: LogisticRegression;

  constructor(state: LogisticLearnerState) {
    if (state?.kind !== 'logistic-learner' || state.version !== 1) throw new InputError('not a logistic-learner state', 'LogisticRegression state');
    this.model = new LogisticRegression(state.model);
    if (state.classes.length !== state.model.classNames.length) throw new InputError('class list does not match the model', 'LogisticRegression state');
    this.state = state;
  }

  static fromJSON(state: LogisticLearnerState): LogisticLearner {
    return new LogisticLearner(state);
  }

  toJSON(): LogisticLearnerState {
    return this.state;
  }

  static fit(x: DenseMatrix, y: ArrayLike<Label>, options: LogisticLearnerOptions = {}): LogisticLearner {
    const where = 'LogisticRegression training data';
    const enc = encodeLabels(y, where);
    checkFeatures(x, enc.indices.length, where);
    const alphas = options.alphas ?? [0.1, 0.5, 1, 5, 10];
    if (alphas.length === 0 || alphas.some((a) => !(a > 0))) throw new InputError(`alphas must be positive numbers, got ${JSON.stringify(alphas)}`, 'LogisticRegression options');
    const multi = options.multiclass === 'auto' ? (enc.classes.length > 2 ? 'multinomial' : 'ovr') : (options.multiclass ?? 'ovr');
    const fitOne = (xs: DenseMatrix, ys: ArrayLike<Label>, alpha: number): LogisticRegression => {
      const e = encodeLabels(ys, where);
      return LogisticRegression.fit(xs, e.indices, e.classes.map(String), {
        c: 1 / alpha,
        penalty: options.regularizer ?? 'l2',
        multiClass: multi,
        fitIntercept: options.includeBias ?? true,
        interceptScaling: options.biasScaling ?? 1,
        sampleWeights: sampleWeightsFor(e, options.classWeights ?? null),
        maxIterations: options.maxIterations,
      });
    };
    let best = 0;
    let scores: number[] = [];
    if (alphas.length > 1) {
      ({ scores, best } = gridSearch(x, enc, alphas, options.numFolds ?? 5, options.searchMetric ?? 'accuracy', (xs, ys, a) => {
        const m = fitOne(xs, ys, a);
        return (t) => m.predictProba(t);
      }));
    }
    const model = fitOne(x, Array.from(y), alphas[best]);
    return new LogisticLearner({ kind: 'logistic-learner', version: 1, classes: enc.classes, alpha: alphas[best], searchScores: scores, model: model.state });
  }

  /** [trial][class] probabilities, columns in `state.classes` order. */
  predictProba(x: DenseMatrix): DenseMatrix {
    return this.model.predictProba(x);
  }

  /** The most probable label of each trial. */
  predict(x: DenseMatrix): Label[] {
    return Array.from(this.model.predict(x), (k) => this.state.classes[k]);
  }
}

export interface LdaLearnerOptions {
  /** 'eigen' (NeuroPype's default), 'lsqr' or 'svd'. */
  solver?: 'eigen' | 'lsqr' | 'svd';
  /** 'auto' (Ledoit–Wolf), a value in [0, 1], a list of values (searched by CV), or null. */
  shrinkage?: null | 'auto' | number | readonly number[];
  searchMetric?: SearchMetric;
  numFolds?: number;
  /** Class priors by label (missing labels 1, then normalised). */
  classWeights?: Record<string, number> | null;
  /** Rank threshold of the svd solver (default 1e-4). */
  tolerance?: number;
}

export interface LdaLearnerState {
  kind: 'lda-learner';
  version: 1;
  classes: Label[];
  shrinkage: null | 'auto' | number;
  searchScores: number[];
  model: LdaState;
}

export class LdaLearner {
  readonly state: LdaLearnerState;
  private readonly model: Lda;

  constructor(state: LdaLearnerState) {
    if (state?.kind !== 'lda-learner' || state.version !== 1) throw new InputError('not an LDA-learner state', 'LinearDiscriminantAnalysis state');
    this.model = new Lda(state.model);
    this.state = state;
  }

  static fromJSON(state: LdaLearnerState): LdaLearner {
    return new LdaLearner(state);
  }

  toJSON(): LdaLearnerState {
    return this.state;
  }

  static fit(x: DenseMatrix, y: ArrayLike<Label>, options: LdaLearnerOptions = {}): LdaLearner {
    const where = 'LinearDiscriminantAnalysis training data';
    const enc = encodeLabels(y, where);
    checkFeatures(x, enc.indices.length, where);
    const solver = options.solver ?? 'eigen';
    const shr = options.shrinkage === undefined ? 'auto' : options.shrinkage;
    const candidates: (null | 'auto' | number)[] = Array.isArray(shr) ? [...shr] : [shr as null | 'auto' | number];
    if (solver === 'svd' && candidates.some((c) => c !== null)) throw new InputError("the svd solver has no shrinkage; use solver 'lsqr' or 'eigen', or shrinkage null", 'LinearDiscriminantAnalysis options');
    const fitOne = (xs: DenseMatrix, ys: ArrayLike<Label>, s: null | 'auto' | number): Lda => {
      const e = encodeLabels(ys, where);
      const priors = options.classWeights ? e.classes.map((c) => options.classWeights![String(c)] ?? 1) : undefined;
      return Lda.fit(xs, e.indices, e.classes.map(String), { solver, shrinkage: s, priors, tol: options.tolerance });
    };
    let best = 0;
    let scores: number[] = [];
    if (candidates.length > 1) {
      ({ scores, best } = gridSearch(x, enc, candidates, options.numFolds ?? 5, options.searchMetric ?? 'accuracy', (xs, ys, s) => {
        const m = fitOne(xs, ys, s);
        return (t) => m.predictProba(t);
      }));
    }
    const model = fitOne(x, Array.from(y), candidates[best]);
    return new LdaLearner({ kind: 'lda-learner', version: 1, classes: enc.classes, shrinkage: candidates[best], searchScores: scores, model: model.state });
  }

  predictProba(x: DenseMatrix): DenseMatrix {
    return this.model.predictProba(x);
  }

  predict(x: DenseMatrix): Label[] {
    return Array.from(this.model.predict(x), (k) => this.state.classes[k]);
  }
}
