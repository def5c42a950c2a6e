// Multi-class LDA (scikit-learn's svd solver) against the closed-form Gaussian discriminant with the
// pooled within-class covariance (divisor n − K), and filter-bank CSP on the S001 motor-imagery runs.
import { describe, expect, it } from 'vitest';
import { sharedBytes, needsShared } from '../../../tests/support/shared';
import { readEdf } from '../formats/edf';
import { seededRandom, stratifiedKFold, accuracy } from './cross-validation';
import { Csp, FilterBankCsp } from './csp';
import { subsetEpochs } from './epochs';
import { parseExperimentConfig } from './experiment';
import { Lda } from './lda';
import { dense, solveSymmetric } from './linalg';
import { epochsFromRecordings } from './prepare';

describe('LDA, three classes', () => {
  it('per-class decision differences equal the closed form x·S⁻¹(μk − μ0) − ½(μkS⁻¹μk − μ0S⁻¹μ0) + ln(πk/π0)', () => {
    const r = seededRandom(21);
    const g = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    const d = 3;
    const K = 3;
    const counts = [30, 20, 25];
    const centres = [
      [0, 0, 0],
      [2, 0.5, -1],
      [-1, 2, 1],
    ];
    const rows: number[][] = [];
    const labels: number[] = [];
    counts.forEach((n, k) => {
      for (let i = 0; i < n; i++) {
        const z = [g(), g(), g()];
        rows.push([centres[k][0] + z[0], centres[k][1] + 0.5 * z[0] + z[1], centres[k][2] + z[2] - 0.3 * z[1]]);
        labels.push(k);
      }
    });
    const n = rows.length;
    const x = dense(n, d, Float64Array.from(rows.flat()));
    const y = Int32Array.from(labels);
    const lda = Lda.fit(x, y, ['a', 'b', 'c']);
    // closed form
    const mu = centres.map((_, k) => [0, 1, 2].map((j) => rows.filter((_, i) => labels[i] === k).reduce((s, row) => s + row[j], 0) / counts[k]));
    const S = dense(d, d);
    rows.forEach((row, i) => {
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) S.data[a * d + b] += ((row[a] - mu[labels[i]][a]) * (row[b] - mu[labels[i]][b])) / (n - K);
    });
    const W = solveSymmetric(S, dense(d, K, Float64Array.from([0, 1, 2].flatMap((j) => mu.map((m) => m[j])))));
    const w = (k: number) => [0, 1, 2].map((j) => W.data[j * K + k]);
    const c = (k: number) => -0.5 * mu[k].reduce((s, v, j) => s + v * w(k)[j], 0) + Math.log(counts[k] / n);
    const dec = lda.decisionFunction(x);
    for (let i = 0; i < n; i++) {
      const closed = [0, 1, 2].map((k) => rows[i].reduce((s, v, j) => s + v * w(k)[j], 0) + c(k));
      for (let k = 1; k < K; k++) {
        expect(dec.data[i * K + k] - dec.data[i * K]).toBeCloseTo(closed[k] - closed[0], 9);
      }
    }
    const proba = lda.predictProba(x);
    for (let i = 0; i < n; i++) expect(proba.data[i * 3] + proba.data[i * 3 + 1] + proba.data[i * 3 + 2]).toBeCloseTo(1, 12);
    expect(accuracy(y, lda.predict(x))).toBeGreaterThan(0.7);
  });
});

describe('filter-bank CSP on S001 R04/R08/R12', needsShared, () => {
  it('one CSP per band, features concatenated band by band (each block is the plain CSP of that band)', () => {
    const recs = ['S001R04', 'S001R08', 'S001R12'].map((f) => ({ recording: readEdf(sharedBytes(`data/edf/${f}.edf`), f), source: f }));
    const base = { type: 'motor_imagery_csp_lda', classes: { T1: 'left', T2: 'right' }, window: [1.0, 2.0] };
    const bands: [number, number][] = [
      [8, 12],
      [12, 16],
      [16, 24],
      [24, 30],
    ];
    const perBand = bands.map((b) => epochsFromRecordings(recs, parseExperimentConfig({ ...base, band: b })).epochs);
    const fb = FilterBankCsp.fit(bands.map((b, i) => ({ bandHz: b, epochs: perBand[i] })), { components: 2 });
    const f = fb.transform(perBand);
    expect([f.rows, f.cols]).toEqual([45, 8]);
    const second = Csp.fit(perBand[1], { components: 2 }).transform(perBand[1]);
    for (let e = 0; e < 45; e++) for (let j = 0; j < 2; j++) expect(f.data[e * 8 + 2 + j]).toBe(second.data[e * 2 + j]);
    // cross-validated FBCSP + LDA is a working classifier on these runs
    const folds = stratifiedKFold(perBand[0].labels, 5, { seed: 1 });
    let correct = 0;
    for (const fold of folds) {
      const tr = perBand.map((s) => subsetEpochs(s, fold.train));
      const te = perBand.map((s) => subsetEpochs(s, fold.test));
      const m = FilterBankCsp.fit(bands.map((b, i) => ({ bandHz: b, epochs: tr[i] })), { components: 2 });
      const lda = Lda.fit(m.transform(tr), tr[0].labels, tr[0].classNames, { solver: 'lsqr', shrinkage: 'auto' });
      const p = lda.predict(m.transform(te));
      correct += p.filter((c, i) => c === te[0].labels[i]).length;
    }
    expect(correct / 45).toBeGreaterThan(23 / 45); // above the majority-class rate
    const reloaded = new FilterBankCsp(JSON.parse(JSON.stringify(fb.toJSON())));
    expect(Array.from(reloaded.transform(perBand).data)).toEqual(Array.from(f.data));
  });
});
