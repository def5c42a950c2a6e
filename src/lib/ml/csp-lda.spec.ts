// CSP + LDA against MNE 1.3 / scikit-learn 1.2 (shared/reference/eeg_csp_lda.json, README §6),
// on the reference's own stored epochs so that no other module's filter is involved.
import { describe, expect, it } from 'vitest';
import { hasShared, referenceArray, referenceError, referenceJson, needsShared } from '../../../tests/support/shared';
import { classCovariances } from './covariance';
import { Csp } from './csp';
import { subsetEpochs, type EpochSet } from './epochs';
import { Lda } from './lda';
import { accuracy } from './cross-validation';

describe('CSP + LDA vs MNE/scikit-learn (eeg_csp_lda)', needsShared, () => {
  const ref = hasShared ? referenceJson('eeg_csp_lda') : ({} as any);
  const epochs = (): EpochSet => {
    const [E, C, T] = ref.epochs.X.shape as number[];
    return {
      data: referenceArray(ref.epochs.X),
      epochCount: E,
      channelCount: C,
      sampleCount: T,
      labels: Int32Array.from(ref.epochs.labels as number[]),
      classNames: ['T1', 'T2'],
      sampleRateHz: ref.sfreq,
      channelLabels: ref.ch_names,
    };
  };

  it('class covariances match MNE (concatenated, uncentred, N−1)', () => {
    const { covariances } = classCovariances(epochs());
    const got = new Float64Array(2 * 64 * 64);
    got.set(covariances[0].data, 0);
    got.set(covariances[1].data, 64 * 64);
    const tol = ref.csp.tol.class_covariances;
    expect(referenceError(got, referenceArray(ref.csp.class_covariances), tol.metric)).toBeLessThanOrEqual(tol.f64);
  });

  it('eigenvalues, filters and patterns (up to sign) and log-variance features match MNE', () => {
    const set = epochs();
    const csp = Csp.fit(set, { components: 4 });
    const s = csp.state;
    expect(s.rank).toBe(64);
    const tolE = ref.csp.tol.eigenvalues;
    expect(referenceError(s.eigenvalues, ref.csp.eigenvalues, tolE.metric)).toBeLessThanOrEqual(tolE.f64);

    const F = referenceArray(ref.csp.filters);
    const P = referenceArray(ref.csp.patterns);
    const tolF = ref.csp.tol.filters_rows_up_to_sign;
    for (let j = 0; j < 4; j++) {
      const exp = F.subarray(j * 64, (j + 1) * 64);
      const expP = P.subarray(j * 64, (j + 1) * 64);
      const dot = s.filters[j].reduce((a, v, i) => a + v * exp[i], 0);
      const sign = Math.sign(dot);
      expect(referenceError(s.filters[j].map((v) => sign * v), exp, tolF.metric)).toBeLessThanOrEqual(tolF.f64);
      expect(referenceError(s.patterns[j].map((v) => sign * v), expP, tolF.metric)).toBeLessThanOrEqual(tolF.f64);
    }
    const feats = csp.transform(set);
    const tolX = ref.csp.tol.features;
    expect(referenceError(feats.data, referenceArray(ref.csp.features), tolX.metric)).toBeLessThanOrEqual(tolX.f64);
  });

  it('LDA (svd solver) coefficients, decision values and predictions match scikit-learn', () => {
    const set = epochs();
    const feats = Csp.fit(set, { components: 4 }).transform(set);
    const lda = Lda.fit(feats, set.labels, set.classNames);
    const tol = ref.lda.tol.coef_intercept_decision;
    expect(referenceError(lda.state.coef[0], ref.lda.coef[0], tol.metric)).toBeLessThanOrEqual(tol.f64);
    expect(referenceError(lda.state.intercept, ref.lda.intercept, tol.metric)).toBeLessThanOrEqual(tol.f64);
    expect(referenceError(lda.decisionValues(feats), ref.lda.decision_function, tol.metric)).toBeLessThanOrEqual(tol.f64);
    expect(Array.from(lda.predict(feats))).toEqual(ref.lda.predictions);
    // scikit-learn's lsqr/eigen solvers use the biased pooled covariance (divisor n, not n − 2), so
    // their coefficients are the svd ones scaled by n / (n − 2); 'eigen' equals 'lsqr'.
    const n = set.epochCount;
    for (const solver of ['lsqr', 'eigen'] as const) {
      const m = Lda.fit(feats, set.labels, set.classNames, { solver });
      const scaled = ref.lda.coef[0].map((c: number) => (c * n) / (n - 2));
      expect(referenceError(m.state.coef[0], scaled, 'nmax')).toBeLessThanOrEqual(1e-8);
      expect(Array.from(m.predict(feats))).toEqual(ref.lda.predictions);
    }
    const proba = lda.predictProba(feats);
    const d0 = ref.lda.decision_function[0];
    expect(proba.data[1]).toBeCloseTo(1 / (1 + Math.exp(-d0)), 12);
  });

  it('the stored ShuffleSplit folds give the stored accuracies, predictions and decision values', () => {
    const set = epochs();
    const tolD = ref.cross_validation.tol.test_decision;
    const accs: number[] = [];
    for (const fold of ref.cross_validation.folds) {
      const train = subsetEpochs(set, fold.train);
      const test = subsetEpochs(set, fold.test);
      const csp = Csp.fit(train, { components: 4 });
      const lda = Lda.fit(csp.transform(train), train.labels, train.classNames);
      const ft = csp.transform(test);
      const pred = lda.predict(ft);
      expect(Array.from(pred)).toEqual(fold.test_pred);
      expect(referenceError(lda.decisionValues(ft), fold.test_decision, tolD.metric)).toBeLessThanOrEqual(tolD.f64);
      const acc = accuracy(test.labels, pred);
      expect(Math.round(acc * 9)).toBe(fold.n_correct);
      accs.push(acc);
    }
    const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
    expect(mean).toBeCloseTo(ref.cross_validation.mean_accuracy, 12);
  });

  it("componentOrder 'alternate' interleaves largest and smallest eigenvalues (MNE)", () => {
    const csp = Csp.fit(epochs(), { components: 4, componentOrder: 'alternate' });
    const sorted = [...ref.csp.eigenvalues].sort((a: number, b: number) => a - b);
    const n = sorted.length;
    const expected = [sorted[n - 1], sorted[0], sorted[n - 2], sorted[1]];
    expect(referenceError(csp.state.eigenvalues.slice(0, 4), expected, 'abs')).toBeLessThanOrEqual(ref.csp.tol.eigenvalues.f64);
  });

  it('trained state survives JSON and predicts identically', () => {
    const set = epochs();
    const csp = Csp.fit(set, { components: 4 });
    const feats = csp.transform(set);
    const lda = Lda.fit(feats, set.labels, set.classNames);
    const csp2 = Csp.fromJSON(JSON.parse(JSON.stringify(csp.toJSON())));
    const lda2 = Lda.fromJSON(JSON.parse(JSON.stringify(lda.toJSON())));
    expect(Array.from(lda2.decisionValues(csp2.transform(set)))).toEqual(Array.from(lda.decisionValues(feats)));
  });
});
