// Logistic regression, xDAWN and CCA: checked against their defining equations (optimality
// conditions, the generalised eigen-equation, the multiple-correlation formula) and on synthetic
// signals with a known answer.
import { describe, expect, it } from 'vitest';
import { hasShared, referenceJson, needsShared } from '../../../tests/support/shared';
import { largestCanonicalCorrelation, orthonormalColumns, referenceSignals, SsvepCca } from './cca';
import { seededRandom } from './cross-validation';
import type { EpochSet } from './epochs';
import { crossValidate, parseExperimentConfig } from './experiment';
import { dense } from './linalg';
import { logisticGradient, LogisticRegression } from './logistic';
import { Xdawn } from './xdawn';

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

describe('logistic regression (L2, scikit-learn objective)', needsShared, () => {
  const ref = hasShared ? referenceJson('eeg_csp_lda') : ({} as any);
  it('reaches the optimum: gradient of C·Σ log-loss + ½‖w‖² vanishes', () => {
    const feats = ref.csp.features as number[][];
    const x = dense(feats.length, 4, Float64Array.from(feats.flat()));
    const labels = Int32Array.from(ref.epochs.labels);
    for (const c of [0.1, 1, 10]) {
      const m = LogisticRegression.fit(x, labels, ['T1', 'T2'], { c });
      const w = Float64Array.from([...m.state.coef[0], m.state.intercept[0]]);
      const g = logisticGradient(x, Float64Array.from(labels), w, c);
      expect(Math.max(...g.map(Math.abs))).toBeLessThan(1e-8);
      expect(m.state.iterations[0]).toBeLessThan(50); // Newton converges in a few steps
    }
    const m = LogisticRegression.fit(x, labels, ['T1', 'T2']);
    // These CSP features separate the training set perfectly (LDA: 100 %); so does the logistic model.
    expect(Array.from(m.predict(x))).toEqual(ref.lda.predictions);
    const again = LogisticRegression.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    expect(Array.from(again.predictProba(x).data)).toEqual(Array.from(m.predictProba(x).data));
  });
});

describe('xDAWN', () => {
  // 6 channels, 64 samples; targets carry a P300-like bump with spatial pattern a, plus spatially
  // correlated noise everywhere.
  const p = 6;
  const T = 64;
  const a = [0.1, 0.3, 1.0, 0.8, -0.2, 0.05];
  const make = (E: number, seed: number): EpochSet => {
    const r = seededRandom(seed);
    const labels = Int32Array.from({ length: E }, (_, e) => (e % 4 === 0 ? 1 : 0));
    const data = new Float64Array(E * p * T);
    for (let e = 0; e < E; e++) {
      for (let t = 0; t < T; t++) {
        const common = 2 * gauss(r);
        const bump = labels[e] === 1 ? 1.5 * Math.exp(-(((t - 32) / 6) ** 2)) : 0;
        for (let c = 0; c < p; c++) data[(e * p + c) * T + t] = bump * a[c] + common * (c % 2 ? 1 : -0.5) + gauss(r);
      }
    }
    return { data, epochCount: E, channelCount: p, sampleCount: T, labels, classNames: ['non-target', 'target'], sampleRateHz: 128 };
  };

  it('filters solve C_P w = λ C_x w and the target pattern recovers the true topography', () => {
    const set = make(400, 5);
    const xd = Xdawn.fit(set, { filtersPerClass: 2 });
    expect(xd.state.filters.length).toBe(4);
    // generalised eigen-equation check for the first target filter
    const E = set.epochCount;
    const cx = new Float64Array(p * p);
    const P = new Float64Array(p * T);
    const nT = set.labels.filter((l) => l === 1).length;
    for (let e = 0; e < E; e++) {
      for (let i = 0; i < p; i++)
        for (let j = 0; j < p; j++) {
          let s = 0;
          for (let t = 0; t < T; t++) s += set.data[(e * p + i) * T + t] * set.data[(e * p + j) * T + t];
          cx[i * p + j] += s / (E * T);
        }
      if (set.labels[e] === 1) for (let i = 0; i < p * T; i++) P[i] += set.data[e * p * T + i] / nT;
    }
    const cp = new Float64Array(p * p);
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) for (let t = 0; t < T; t++) cp[i * p + j] += (P[i * T + t] * P[j * T + t]) / T;
    const w = xd.state.filters[2];
    const lhs = Array.from({ length: p }, (_, i) => w.reduce((s, wj, j) => s + cp[i * p + j] * wj, 0));
    const rhs = Array.from({ length: p }, (_, i) => w.reduce((s, wj, j) => s + cx[i * p + j] * wj, 0));
    const lambda = lhs.reduce((s, v, i) => s + v * w[i], 0) / rhs.reduce((s, v, i) => s + v * w[i], 0);
    for (let i = 0; i < p; i++) expect(Math.abs(lhs[i] - lambda * rhs[i])).toBeLessThan(1e-10 * Math.max(...lhs.map(Math.abs)));
    expect(Math.hypot(...w)).toBeCloseTo(1, 12);
    const pat = xd.state.patterns[2];
    const cos = Math.abs(pat.reduce((s, v, i) => s + v * a[i], 0)) / Math.hypot(...pat) / Math.hypot(...a);
    expect(cos).toBeGreaterThan(0.98);
  });

  it('xDAWN + LDA separates targets (cross-validated AUC)', () => {
    const set = make(240, 9);
    const cfg = parseExperimentConfig({ type: 'p300_xdawn_lda', classes: { 1: 'non-target', 2: 'target' }, window: [0, 0.5], band: [1, 20], decimate: 4 });
    const r = crossValidate(cfg, set, { k: 4, seed: 1 });
    expect(r.metric).toBe('roc_auc');
    expect(r.mean).toBeGreaterThan(0.9);
  });
});

describe('CCA for SSVEP', () => {
  it('one channel against [sin, cos]: the canonical correlation is the multiple correlation R', () => {
    const fs = 256;
    const T = 512;
    const r = seededRandom(3);
    const x = Float64Array.from({ length: T }, (_, n) => 0.7 * Math.sin((2 * Math.PI * 12 * n) / fs + 1.1) + gauss(r));
    const y = referenceSignals(12, 1, fs, T);
    const rho = largestCanonicalCorrelation(orthonormalColumns(x, T), orthonormalColumns(y, T), T);
    // R² from least squares on centred [sin, cos] (2×2 normal equations)
    const c = (v: ArrayLike<number>, o = 0) => {
      let m = 0;
      for (let i = 0; i < T; i++) m += v[o + i] / T;
      return Array.from({ length: T }, (_, i) => v[o + i] - m);
    };
    const xs = c(x);
    const s = c(y, 0);
    const k = c(y, T);
    const dot = (u: number[], v: number[]) => u.reduce((acc, ui, i) => acc + ui * v[i], 0);
    const [ss, sk, kk, xsS, xsK] = [dot(s, s), dot(s, k), dot(k, k), dot(xs, s), dot(xs, k)];
    const det = ss * kk - sk * sk;
    const b1 = (kk * xsS - sk * xsK) / det;
    const b2 = (ss * xsK - sk * xsS) / det;
    const r2 = (b1 * xsS + b2 * xsK) / dot(xs, xs);
    expect(Math.abs(rho - Math.sqrt(r2))).toBeLessThan(1e-12);
  });

  it('classifies synthetic SSVEP epochs and needs no training data beyond the set-up', () => {
    const fs = 256;
    const T = 512;
    const p = 3;
    const freqs = [20, 30];
    const r = seededRandom(11);
    const E = 20;
    const labels = Int32Array.from({ length: E }, (_, e) => e % 2);
    const data = new Float64Array(E * p * T);
    for (let e = 0; e < E; e++)
      for (let c = 0; c < p; c++)
        for (let n = 0; n < T; n++) data[(e * p + c) * T + n] = (0.3 + 0.2 * c) * Math.sin((2 * Math.PI * freqs[labels[e]] * n) / fs + c + e) + 2 * gauss(r);
    const set: EpochSet = { data, epochCount: E, channelCount: p, sampleCount: T, labels, classNames: ['20Hz', '30Hz'], sampleRateHz: fs };
    const cca = SsvepCca.fit(set, { frequenciesHz: freqs });
    expect(Array.from(cca.predict(set))).toEqual(Array.from(labels));
    expect(() => SsvepCca.fit(set, { frequenciesHz: [20, 70] })).toThrow(/Nyquist/);
  });
});
