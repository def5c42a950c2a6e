// Cross-validation splits (k-fold, stratified k-fold, shuffle-split) with a seeded, platform-independent
// generator, and the scores reported for experiments: accuracy, balanced accuracy, chance level,
// confusion matrix, ROC AUC. Pure functions; runs anywhere. Small allocations only.
//
// Splits are deterministic for a given seed on every platform (mulberry32 + Fisher–Yates). They are
// not NumPy's permutations: to reproduce a scikit-learn run, pass its stored indices as `Fold`s.
import { InputError } from '../core/errors';

export interface Fold {
  train: number[];
  test: number[];
}

/** mulberry32: a tiny 32-bit PRNG, uniform in [0, 1). Same sequence everywhere for a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates permutation of 0…n−1. */
export function permutation(n: number, random: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

function checkK(n: number, k: number): void {
  if (!Number.isInteger(k) || k < 2) throw new InputError(`folds must be an integer ≥ 2, got ${k}`, 'cv');
  if (k > n) throw new InputError(`${k} folds need at least ${k} trials, there are ${n}`, 'cv');
}

/** K-fold: contiguous folds over the (optionally shuffled) indices; the first n mod k folds get one extra. */
export function kFold(n: number, k: number, options: { shuffle?: boolean; seed?: number } = {}): Fold[] {
  checkK(n, k);
  const order = options.shuffle ? permutation(n, seededRandom(options.seed ?? 0)) : Array.from({ length: n }, (_, i) => i);
  const folds: Fold[] = [];
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    const test = order.slice(start, start + size);
    const inTest = new Set(test);
    folds.push({ train: order.filter((i) => !inTest.has(i)).sort((a, b) => a - b), test: [...test].sort((a, b) => a - b) });
    start += size;
  }
  return folds;
}

/**
 * Stratified k-fold: each class's (shuffled) trials are dealt round-robin over the folds, continuing
 * where the previous class stopped, so every fold holds each class in proportion (±1 trial).
 */
export function stratifiedKFold(labels: ArrayLike<number>, k: number, options: { seed?: number; shuffle?: boolean } = {}): Fold[] {
  const n = labels.length;
  checkK(n, k);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!byClass.has(l)) byClass.set(l, []);
    byClass.get(l)!.push(i);
  }
  for (const [l, idx] of byClass) {
    if (idx.length < k) throw new InputError(`class ${l} has ${idx.length} trials, fewer than the ${k} folds; use fewer folds`, 'cv');
  }
  const random = seededRandom(options.seed ?? 0);
  const shuffle = options.shuffle ?? true;
  const tests: number[][] = Array.from({ length: k }, () => []);
  let slot = 0;
  for (const l of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = byClass.get(l)!;
    const order = shuffle ? permutation(idx.length, random).map((i) => idx[i]) : idx;
    for (const i of order) {
      tests[slot % k].push(i);
      slot++;
    }
  }
  return tests.map((t) => {
    const inTest = new Set(t);
    return { train: Array.from({ length: n }, (_, i) => i).filter((i) => !inTest.has(i)), test: t.sort((a, b) => a - b) };
  });
}

/** Shuffle-split: `splits` independent random train/test partitions, test size = ceil(testFraction·n) (scikit-learn's rule). */
export function shuffleSplit(n: number, splits: number, testFraction: number, seed = 0): Fold[] {
  if (!(testFraction > 0 && testFraction < 1)) throw new InputError(`test fraction must be in (0, 1), got ${testFraction}`, 'cv');
  const nTest = Math.ceil(testFraction * n);
  if (nTest < 1 || nTest >= n) throw new InputError(`${n} trials cannot be split with test fraction ${testFraction}`, 'cv');
  const random = seededRandom(seed);
  return Array.from({ length: splits }, () => {
    const p = permutation(n, random);
    return { test: p.slice(0, nTest), train: p.slice(nTest) };
  });
}

export function accuracy(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  if (truth.length !== predicted.length || truth.length === 0) throw new InputError('accuracy needs two equal, non-empty label lists', 'score');
  let ok = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) ok++;
  return ok / truth.length;
}

/** Mean per-class recall (scikit-learn's balanced_accuracy_score); classes absent from `truth` are skipped. */
export function balancedAccuracy(truth: ArrayLike<number>, predicted: ArrayLike<number>, classCount: number): number {
  const cm = confusionMatrix(truth, predicted, classCount);
  let sum = 0;
  let present = 0;
  for (let k = 0; k < classCount; k++) {
    const row = cm[k].reduce((a, b) => a + b, 0);
    if (row === 0) continue;
    sum += cm[k][k] / row;
    present++;
  }
  return sum / present;
}

/** cm[true][predicted] counts (scikit-learn's confusion_matrix orientation). */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, classCount: number): number[][] {
  const cm = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  for (let i = 0; i < truth.length; i++) cm[truth[i]][predicted[i]]++;
  return cm;
}

/** Chance level of accuracy: the share of the most frequent class (always guessing it). */
export function chanceLevel(labels: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  return Math.max(...counts.values()) / labels.length;
}

/**
 * Binary ROC AUC (scikit-learn's roc_auc_score): the probability that a random positive scores above a
 * random negative, ties counting one half (Mann–Whitney U with mid-ranks). `positive` = label of class 1.
 */
export function rocAuc(truth: ArrayLike<number>, scores: ArrayLike<number>, positive = 1): number {
  const n = truth.length;
  if (n !== scores.length) throw new InputError(`${n} labels for ${scores.length} scores`, 'roc_auc');
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const mid = (i + j) / 2 + 1;
    for (let m = i; m <= j; m++) ranks[idx[m]] = mid;
    i = j + 1;
  }
  let nPos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; i++) {
    if (truth[i] === positive) {
      nPos++;
      rankSum += ranks[i];
    }
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) throw new InputError('ROC AUC needs both classes among the test trials', 'roc_auc');
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}
