// Ledoit–Wolf, LDA with shrinkage (lsqr/eigen), multi-class LDA, logistic regression and ROC AUC
// against scikit-learn 1.2.1 itself: fixtures/sklearn.json is written by fixtures/make-sklearn-fixtures.py
// (Debian's python3-sklearn, the reference's version) from the shared reference's CSP features and epochs.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasShared, referenceArray, referenceError, referenceJson, needsShared } from '../../../tests/support/shared';
import { empiricalCovariance, ledoitWolf } from './covariance';
import { SsvepCca } from './cca';
import { rocAuc } from './cross-validation';
import { Lda } from './lda';
import { dense, type DenseMatrix } from './linalg';
import { logisticGradient, LogisticRegression } from './logistic';

const sk = JSON.parse(readFileSync(new URL('./fixtures/sklearn.json', import.meta.url), 'utf8'));
const flat = (a: number[][]) => Float64Array.from(a.flat());

describe('scikit-learn 1.2.1 on a formula-built 3-class set', () => {
  const X3: number[][] = sk.inputs.three_class.X;
  const x = dense(X3.length, 3, flat(X3));
  const y = Int32Array.from(sk.inputs.three_class.y as number[]);
  for (const key of ['lda_three_class_svd', 'lda_three_class_lsqr_auto']) {
    it(`${key}: coef, intercept, decision_function, predict_proba`, () => {
      const c = sk[key];
      const m = Lda.fit(x, y, ['a', 'b', 'c'], c.solver === 'svd' ? {} : { solver: c.solver, shrinkage: c.shrinkage });
      expect(referenceError(flat(m.state.coef), flat(c.coef), 'nmax')).toBeLessThan(1e-9);
      expect(referenceError(m.state.intercept, c.intercept, 'nmax')).toBeLessThan(1e-9);
      expect(referenceError(m.decisionFunction(x).data, flat(c.decision_function), 'nmax')).toBeLessThan(1e-9);
      expect(referenceError(m.predictProba(x).data, flat(c.predict_proba), 'abs')).toBeLessThan(1e-9);
      expect(Array.from(m.predict(x))).toEqual(c.predict);
    });
  }
});

describe('scikit-learn 1.2.1 CCA', () => {
  it('first canonical correlation of a 3-channel epoch with the f/2f sin-cos references', () => {
    const X: number[][] = sk.cca.X; // [sample][channel]
    const T = X.length;
    const data = new Float64Array(3 * T);
    for (let t = 0; t < T; t++) for (let c = 0; c < 3; c++) data[c * T + t] = X[t][c];
    const cca = new SsvepCca({ kind: 'ssvep-cca', version: 1, channelCount: 3, classNames: ['12Hz', '15Hz'], frequenciesHz: sk.cca.frequencies_hz, harmonics: 2, sampleRateHz: sk.cca.sample_rate_hz });
    const r = cca.correlations({ data, epochCount: 1, channelCount: 3, sampleCount: T });
    // scikit-learn's CCA is iterative (NIPALS); run to tol 1e-15 it agrees with the direct QR/SVD value.
    expect(referenceError(r.data, sk.cca.correlations, 'abs')).toBeLessThan(1e-9);
  });
});

describe('scikit-learn 1.2.1 on the reference CSP features and epochs', needsShared, () => {
  const ref = hasShared ? referenceJson('eeg_csp_lda') : ({} as any);
  const F: DenseMatrix = hasShared ? dense(45, 4, flat(ref.csp.features)) : dense(0, 0);
  const y = hasShared ? Int32Array.from(ref.epochs.labels as number[]) : new Int32Array(0);

  it('empirical_covariance and ledoit_wolf of the features', () => {
    expect(referenceError(empiricalCovariance(F.data, 45, 4).data, flat(sk.empirical_covariance_features), 'nmax')).toBeLessThan(1e-12);
    const lw = ledoitWolf(F.data, 45, 4);
    expect(Math.abs(lw.shrinkage - sk.ledoit_wolf_features.shrinkage)).toBeLessThan(1e-12);
    expect(referenceError(lw.covariance.data, flat(sk.ledoit_wolf_features.covariance), 'nmax')).toBeLessThan(1e-12);
  });

  it('ledoit_wolf of one 64-channel epoch (161 samples)', () => {
    const X = referenceArray(ref.epochs.X);
    const obs = new Float64Array(161 * 64);
    for (let c = 0; c < 64; c++) for (let t = 0; t < 161; t++) obs[t * 64 + c] = X[c * 161 + t];
    const lw = ledoitWolf(obs, 161, 64);
    expect(Math.abs(lw.shrinkage - sk.ledoit_wolf_epoch0.shrinkage)).toBeLessThan(1e-10);
    const diag = Array.from({ length: 64 }, (_, i) => lw.covariance.data[i * 64 + i]);
    expect(referenceError(diag, sk.ledoit_wolf_epoch0.covariance_diag, 'nmax')).toBeLessThan(1e-10);
    expect(referenceError(lw.covariance.data.subarray(0, 64), sk.ledoit_wolf_epoch0.covariance_row0, 'nmax')).toBeLessThan(1e-10);
  });

  it.each([0, 1, 2, 3])('LDA case %i (lsqr/eigen, shrinkage auto / 0.3 / none)', (k) => {
    const c = sk.lda[k];
    const m = Lda.fit(F, y, ['T1', 'T2'], { solver: c.solver, shrinkage: c.shrinkage });
    const tol = ref.lda.tol.coef_intercept_decision.f64;
    expect(referenceError(m.state.coef[0], c.coef[0], 'nmax')).toBeLessThanOrEqual(tol);
    expect(referenceError(m.state.intercept, c.intercept, 'nmax')).toBeLessThanOrEqual(tol);
    expect(referenceError(m.decisionValues(F), c.decision_function, 'nmax')).toBeLessThanOrEqual(tol);
    expect(referenceError(m.predictProba(F).data, flat(c.predict_proba), 'abs')).toBeLessThanOrEqual(tol);
    expect(Array.from(m.predict(F))).toEqual(c.predict);
  });

  it.each([0, 1])('LogisticRegression case %i (L2, lbfgs): same optimum, ours closer to it', (k) => {
    // scikit-learn's lbfgs stops on its ftol (64·eps relative decrease) before gtol=1e-12: at its
    // answer the gradient of C·Σ log-loss + ½‖w‖² is still ~1e-5…1e-4, so agreement is bounded by that.
    const c = sk.logistic[k];
    const m = LogisticRegression.fit(F, y, ['T1', 'T2'], { c: c.C });
    const yf = Float64Array.from(y);
    const gOurs = logisticGradient(F, yf, Float64Array.from([...m.state.coef[0], m.state.intercept[0]]), c.C);
    const gSk = logisticGradient(F, yf, Float64Array.from([...c.coef[0], c.intercept[0]]), c.C);
    const maxAbs = (g: Float64Array) => Math.max(...Array.from(g, Math.abs));
    expect(maxAbs(gOurs)).toBeLessThan(1e-10);
    expect(maxAbs(gSk)).toBeGreaterThan(maxAbs(gOurs));
    expect(referenceError(m.state.coef[0], c.coef[0], 'nmax')).toBeLessThan(1e-4);
    expect(Math.abs(m.state.intercept[0] - c.intercept[0])).toBeLessThan(1e-4);
    expect(referenceError(m.predictProba(F).data, flat(c.predict_proba), 'abs')).toBeLessThan(1e-5);
  });

  it('roc_auc_score over the pooled test trials of the stored folds', () => {
    const folds = ref.cross_validation.folds as { test: number[]; test_decision: number[] }[];
    const labels = folds.flatMap((f) => f.test.map((i) => y[i]));
    const scores = folds.flatMap((f) => f.test_decision);
    expect(Math.abs(rocAuc(labels, scores) - sk.roc_auc_pooled_cv.value)).toBeLessThan(1e-15);
  });
});
