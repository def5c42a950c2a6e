// LogisticRegression / LDA learners and MeasureLoss metrics against scikit-learn 1.2.1
// (tests/ml/make-learner-reference.py, Debian's python3-sklearn) on the shared reference's real CSP
// features (+ channel log-variances) and a formula-built 3-class set with string labels.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceError } from '../../../tests/support/shared';
import { encodeLabels, LdaLearner, LogisticLearner, sampleWeightsFor } from './learners';
import { dense } from './linalg';
import { LogisticRegression } from './logistic';
import { classificationMetric, regressionMetric, type LossMetric } from './metrics';

const ref = JSON.parse(readFileSync(new URL('../../../tests/ml/learner-reference.json', import.meta.url), 'utf8'));
const mat = (rows: number[][]) => dense(rows.length, rows[0].length, Float64Array.from(rows.flat()));
const F10 = mat(ref.inputs.F10);
const y2: number[] = ref.metrics.binary.truth;
const X3 = mat(ref.inputs.three_class.X);
const y3: string[] = ref.inputs.three_class.y;
const data = (name: string) => (name.startsWith('three') ? { x: X3, y: y3 } : { x: F10, y: y2 });

describe('LogisticRegression vs scikit-learn (converged solvers)', () => {
  it.each(ref.logistic.map((c: { name: string }) => [c.name, c]) as [string, any][])('%s: coefficients, intercepts, predict_proba, predict', (name, c: any) => {
    let { x, y } = data(name as string);
    if (name === 'binary_l2_C0.1_balanced') {
      x = dense(40, 10, x.data.slice(0, 400));
      y = (y as number[]).slice(0, 40);
    }
    const p = c.params;
    const m = LogisticLearner.fit(x, y as (number | string)[], {
      alphas: [1 / p.C],
      regularizer: p.penalty ?? 'l2',
      multiclass: p.multi_class ?? 'ovr',
      classWeights: p.class_weight ?? null,
      includeBias: p.fit_intercept ?? true,
      biasScaling: p.intercept_scaling ?? 1,
      maxIterations: 100000,
    });
    expect(m.state.classes.map(String)).toEqual(c.classes.map(String));
    const l1 = p.penalty === 'l1';
    // scikit-learn's newton-cg and liblinear stop at tol 1e-8 of their own criteria
    const tol = 1e-5;
    const coef = m.state.model.coef;
    const expCoef = c.coef as number[][];
    expect(referenceError(coef.slice(0, expCoef.length).flat(), expCoef.flat(), 'nmax')).toBeLessThan(tol);
    if (p.fit_intercept !== false) expect(referenceError(m.state.model.intercept.slice(0, expCoef.length), c.intercept, 'abs')).toBeLessThan(tol);
    expect(referenceError(m.predictProba(x).data, (c.predict_proba as number[][]).flat(), 'abs')).toBeLessThan(tol);
    expect(m.predict(x).map(String)).toEqual(c.predict.map(String));
    if (l1) {
      // the same features are exactly zero
      const zeros = (r: number[]) => r.map((v) => Math.abs(v) < 1e-12);
      expect(coef.slice(0, expCoef.length).map(zeros)).toEqual(expCoef.map(zeros));
    }
    const again = LogisticLearner.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    expect(Array.from(again.predictProba(x).data)).toEqual(Array.from(m.predictProba(x).data));
  });

  it.each(ref.logistic_grid.map((g: { data: string }, i: number) => [g.data, i]) as [string, number][])('alphas search on %s: GridSearchCV scores, chosen C, refit probabilities', (_, i) => {
    const g = ref.logistic_grid[i as number];
    const { x, y } = g.data === 'F10' ? { x: F10, y: y2 } : { x: X3, y: y3 };
    // scikit-learn's estimator ran with multi_class='auto' (multinomial for the three classes)
    const m = LogisticLearner.fit(x, y as (number | string)[], { alphas: g.alphas, numFolds: g.folds, searchMetric: g.metric, multiclass: 'auto', maxIterations: 100000 });
    expect(referenceError(m.state.searchScores, g.mean_test_score, 'abs')).toBeLessThan(1e-6);
    expect(1 / m.state.alpha).toBeCloseTo(g.best_C, 12);
    expect(referenceError(m.predictProba(x).data, (g.predict_proba as number[][]).flat(), 'abs')).toBeLessThan(1e-6);
  });

  it('refuses one class, missing labels and NaN features, saying what it saw', () => {
    expect(() => LogisticLearner.fit(F10, new Array(45).fill('left'))).toThrow(/only one class .*"left" × 45/);
    expect(() => LogisticLearner.fit(F10, [...y2.slice(0, 44), NaN])).toThrow(/trial 44 has no label/);
    const bad = dense(45, 10, F10.data.slice());
    bad.data[13] = NaN;
    expect(() => LogisticLearner.fit(bad, y2)).toThrow(/trial 1 feature 3 is NaN/);
    expect(() => LogisticLearner.fit(F10, y2, { classWeights: { cat: 2 } })).toThrow(/class weight for "cat"/);
  });

  it('labels sort as numpy.unique sorts them; balanced weights are n / (k · count)', () => {
    expect(encodeLabels(['b', 'a', 'c', 'a']).classes).toEqual(['a', 'b', 'c']);
    expect(encodeLabels([10, 2, 2]).classes).toEqual([2, 10]);
    const e = encodeLabels([0, 0, 0, 1]);
    expect(Array.from(sampleWeightsFor(e, 'auto')!)).toEqual([4 / 6, 4 / 6, 4 / 6, 2]);
  });

  it('many features (L-BFGS path) reach the same optimum as Newton', () => {
    const wide = dense(45, 210);
    for (let i = 0; i < 45; i++) for (let j = 0; j < 210; j++) wide.data[i * 210 + j] = F10.data[i * 10 + (j % 10)] * (1 + 0.01 * Math.sin(j * 1.3 + i));
    const labels = Int32Array.from(y2);
    const a = LogisticRegression.fit(wide, labels, ['0', '1'], { c: 0.05 });
    const narrow = dense(45, 199, Float64Array.from({ length: 45 * 199 }, (_, k) => wide.data[Math.floor(k / 199) * 210 + (k % 199)]));
    const b = LogisticRegression.fit(narrow, labels, ['0', '1'], { c: 0.05 });
    expect(a.state.iterations[0]).toBeGreaterThan(0);
    // the 199-feature problem is solved by Newton; its probabilities are close to the 210-feature L-BFGS ones
    let d = 0;
    const pa = a.predictProba(wide).data;
    const pb = b.predictProba(narrow).data;
    for (let i = 0; i < pa.length; i++) d = Math.max(d, Math.abs(pa[i] - pb[i]));
    expect(d).toBeLessThan(0.2);
    // and the L-BFGS answer is stationary
    const fitB = LogisticRegression.fit(wide, labels, ['0', '1'], { c: 0.05, tol: 1e-12 });
    expect(referenceError(fitB.state.coef[0], a.state.coef[0], 'nmax')).toBeLessThan(1e-5);
  });
});

describe('LinearDiscriminantAnalysis learner vs scikit-learn', () => {
  it.each(ref.lda.map((c: { name: string }) => [c.name, c]) as [string, any][])('%s', (name, c: any) => {
    const { x, y } = data(name as string);
    const p = c.params;
    const classes = encodeLabels(y as (number | string)[]).classes;
    const weights = p.priors ? Object.fromEntries(classes.map((k, i) => [String(k), p.priors[i]])) : null;
    const m = LdaLearner.fit(x, y as (number | string)[], { solver: p.solver, shrinkage: p.shrinkage ?? null, classWeights: weights });
    const rows = (c.coef as number[][]).length;
    expect(referenceError(m.state.model.coef.flat(), (c.coef as number[][]).flat(), 'nmax')).toBeLessThan(1e-9);
    expect(referenceError(m.state.model.intercept.slice(0, rows), c.intercept, 'nmax')).toBeLessThan(1e-9);
    expect(referenceError(m.predictProba(x).data, (c.predict_proba as number[][]).flat(), 'abs')).toBeLessThan(1e-9);
    expect(m.predict(x).map(String)).toEqual(c.predict.map(String));
  });
  it('shrinkage list: GridSearchCV scores and choice', () => {
    const g = ref.lda_grid;
    const m = LdaLearner.fit(F10, y2, { solver: 'lsqr', shrinkage: g.shrinkages, numFolds: g.folds });
    expect(referenceError(m.state.searchScores, g.mean_test_score, 'abs')).toBeLessThan(1e-12);
    expect(m.state.shrinkage).toBe(g.best);
    expect(referenceError(m.predictProba(F10).data, (g.predict_proba as number[][]).flat(), 'abs')).toBeLessThan(1e-9);
  });
});

describe('MeasureLoss metrics vs sklearn.metrics', () => {
  const b = ref.metrics.binary;
  const t = ref.metrics.three;
  const r = ref.metrics.regression;
  const cases: [LossMetric, any, string][] = [
    ['accuracy', b, 'accuracy'], ['MCR', b, 'mcr'], ['balanced_accuracy', b, 'balanced_accuracy'], ['AUC', b, 'roc_auc'], ['log_loss', b, 'log_loss'],
    ['F1', b, 'f1'], ['precision', b, 'precision'], ['recall', b, 'recall'], ['brier', b, 'brier'],
    ['accuracy', t, 'accuracy'], ['balanced_accuracy', t, 'balanced_accuracy'], ['AUC', t, 'roc_auc_ovr_macro'], ['log_loss', t, 'log_loss'], ['F1', t, 'f1_macro'],
  ];
  it.each(cases)('%s', (metric, c, key) => {
    const v = classificationMetric(metric, c.truth, mat(c.proba));
    const exp = key === 'mcr' ? 1 - c.accuracy : c[key];
    expect(Math.abs(v - exp)).toBeLessThan(1e-12);
  });
  it.each([['MSE', 'mse'], ['RMSE', 'rmse'], ['MAE', 'mae'], ['R2', 'r2']] as [LossMetric, string][])('%s', (metric, key) => {
    expect(Math.abs(regressionMetric(metric, r.truth, r.predicted) - r[key])).toBeLessThan(1e-12);
  });
  it('an unknown metric names the known ones', () => {
    expect(() => classificationMetric('MSE', [0, 1], mat([[1, 0], [0, 1]]))).toThrow(/use one of MCR, accuracy/);
  });
});
