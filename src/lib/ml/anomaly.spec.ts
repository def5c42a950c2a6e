// Isolation forest and PCA against scikit-learn 1.2.1 / NumPy (fixtures/anomaly.json, written by
// fixtures/make-anomaly-fixtures.py): c(n), scores of sklearn's own trees through our scorer, the
// contamination offset, planted outliers ranked first by our own forest, the docstring example;
// PCA axes (up to sklearn's sign rule, exactly), variances, scores and reconstruction errors.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { averagePathLength, IsolationForest, percentileLinear, type IsolationForestState } from './isolation-forest';
import { Pca } from './pca';
import { rocAuc } from './cross-validation';
import { dense, fromRows } from './linalg';

const fx = JSON.parse(readFileSync(new URL('./fixtures/anomaly.json', import.meta.url), 'utf8'));
const X = fromRows(fx.iforest.X, 'X');
const probe = fromRows(fx.iforest.probe, 'probe');
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const state = (trees: IsolationForestState['trees'], offset: number, contamination: 'auto' | number): IsolationForestState => ({
  kind: 'isolation-forest', version: 1, featureCount: 2, maxSamples: fx.iforest.max_samples, contamination, offset, trees,
});

describe('isolation forest (scikit-learn IsolationForest)', () => {
  it('c(n) equals sklearn _average_path_length', () => {
    fx.average_path_length.n.forEach((n: number, i: number) => expect(averagePathLength(n)).toBeCloseTo(fx.average_path_length.c[i], 12));
  });

  it("scores sklearn's own trees exactly like score_samples; offset 'auto' = −0.5; predict", () => {
    const f = IsolationForest.fromJSON(state(fx.iforest.trees, fx.iforest.offset_auto, 'auto'));
    expect(fx.iforest.offset_auto).toBe(-0.5);
    expect(maxAbsDiff(f.scoreSamples(X), fx.iforest.score_samples_X)).toBeLessThan(1e-12);
    expect(maxAbsDiff(f.scoreSamples(probe), fx.iforest.score_samples_probe)).toBeLessThan(1e-12);
    expect(Array.from(f.predict(probe))).toEqual(fx.iforest.predict_probe);
  });

  it('contamination: the offset is numpy.percentile of the training scores', () => {
    const c = fx.iforest.contamination_005;
    const f = IsolationForest.fromJSON(state(c.trees, 0, 0.05));
    expect(percentileLinear(f.scoreSamples(X), 5)).toBeCloseTo(c.offset, 12);
    f.state.offset = c.offset;
    expect(Array.from(f.predict(X))).toEqual(c.predict_X);
  });

  it('our own forest (different random trees) ranks the planted outliers like sklearn does', () => {
    const f = IsolationForest.fit(X, { seed: 1 });
    const ours = f.scoreSamples(X);
    const theirs: number[] = fx.iforest.default_forest.score_samples_X;
    const truth: number[] = fx.iforest.is_outlier;
    // Lower score = more abnormal: AUC of −score for the planted outliers.
    const aucOurs = rocAuc(truth, Array.from(ours, (v) => -v));
    const aucTheirs = rocAuc(truth, theirs.map((v) => -v));
    expect(aucTheirs).toBeGreaterThan(0.99);
    expect(aucOurs).toBeGreaterThan(0.99);
    const top = (s: ArrayLike<number>) => Array.from(s, (v, i) => [v, i]).sort((a, b) => a[0] - b[0]).slice(0, 10).map((p) => p[1]).sort((a, b) => a - b);
    expect(top(ours).filter((i) => i >= 200).length).toBeGreaterThanOrEqual(9);
    // Score scale: inliers near the 'auto' threshold's inside, outliers well below it.
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(Array.from(ours.subarray(200)))).toBeLessThan(-0.6);
    expect(mean(Array.from(ours.subarray(0, 200)))).toBeGreaterThan(-0.5);
    expect(Math.abs(mean(Array.from(ours)) - mean(theirs))).toBeLessThan(0.02);
    // JSON round trip scores identically.
    const back = IsolationForest.fromJSON(JSON.parse(JSON.stringify(f.toJSON())));
    expect(Array.from(back.scoreSamples(X))).toEqual(Array.from(ours));
  });

  it("sklearn's docstring example: fit [-1.1], [0.3], [0.5], [100] → predict [0.1], [0], [90] = 1, 1, −1", () => {
    const f = IsolationForest.fit(fromRows([[-1.1], [0.3], [0.5], [100]], 'x'), { seed: 0 });
    expect(Array.from(f.predict(fromRows([[0.1], [0], [90]], 'q')))).toEqual(fx.iforest_docstring.predict);
  });

  it('identical rows cannot be isolated: every score is exactly −0.5 (h = c(ψ))', () => {
    const f = IsolationForest.fit(dense(50, 3, new Float64Array(150).fill(2)), { nEstimators: 10 });
    expect(Array.from(f.scoreSamples(dense(2, 3, new Float64Array(6).fill(2))))).toEqual([-0.5, -0.5]);
  });

  it('refuses NaN, one row, bad options, wrong width', () => {
    expect(() => IsolationForest.fit(dense(2, 1, Float64Array.of(1, NaN)))).toThrow(/NaN/);
    expect(() => IsolationForest.fit(fromRows([[1]], 'x'))).toThrow(/at least 2 rows/);
    expect(() => IsolationForest.fit(X, { contamination: 0.7 })).toThrow(/contamination/);
    expect(() => IsolationForest.fit(X, { maxSamples: -3 })).toThrow(/max_samples/);
    expect(() => IsolationForest.fit(X, { nEstimators: 2 }).scoreSamples(dense(1, 3))).toThrow(/expected 2 feature columns/);
  });
});

describe('PCA (scikit-learn PCA, NumPy SVD)', () => {
  const P = fromRows(fx.pca.X, 'P');
  const p = Pca.fit(P, { components: 3 });

  it('mean, components (with sklearn sign rule), variances, singular values', () => {
    expect(maxAbsDiff(p.state.mean, fx.pca.mean)).toBeLessThan(1e-12);
    expect(maxAbsDiff(p.state.components.flat(), fx.pca.components.flat())).toBeLessThan(1e-10);
    expect(maxAbsDiff(p.state.explainedVariance, fx.pca.explained_variance)).toBeLessThan(1e-10);
    expect(maxAbsDiff(p.state.explainedVarianceRatio, fx.pca.explained_variance_ratio)).toBeLessThan(1e-12);
    expect(maxAbsDiff(p.state.singularValues, fx.pca.singular_values)).toBeLessThan(1e-10);
    expect(maxAbsDiff(p.state.singularValues, fx.pca.numpy_svd.s.slice(0, 3))).toBeLessThan(1e-10);
    // numpy's right singular vectors equal the axes up to sign.
    p.state.components.forEach((row, c) => expect(Math.abs(row.reduce((a, v, j) => a + v * fx.pca.numpy_svd.vt[c][j], 0))).toBeCloseTo(1, 10));
  });

  it('transform and reconstruction error', () => {
    expect(maxAbsDiff(p.transform(fromRows(fx.pca.X.slice(0, 5), 'x5')).data, fx.pca.transform_first5.flat())).toBeLessThan(1e-10);
    const rel = maxAbsDiff(p.reconstructionError(P), fx.pca.reconstruction_sq_error) / Math.max(...fx.pca.reconstruction_sq_error);
    expect(rel).toBeLessThan(1e-8);
    // T² averages k·(n−1)/n over the training rows (each score variance is its explained variance).
    const t2 = p.hotellingT2(P);
    expect(t2.reduce((a, b) => a + b, 0) / t2.length).toBeCloseTo((3 * 119) / 120, 10);
  });

  it('fractional n_components picks the smallest k with cumulative ratio above it', () => {
    const r = fx.pca.explained_variance_ratio as number[];
    expect(Pca.fit(P, { components: r[0] - 1e-6 }).state.components).toHaveLength(1);
    expect(Pca.fit(P, { components: r[0] + 1e-6 }).state.components).toHaveLength(2);
    expect(() => Pca.fit(P, { components: 9 })).toThrow(/≤ min/);
  });
});
