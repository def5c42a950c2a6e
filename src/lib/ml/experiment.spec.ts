// predictWindow (the online path of ml.model-predict) against predictModel (the batch path used by
// cross-validation): same class, same score, and per-class values equal to LDA's predict_proba /
// CCA's correlations of the same epoch — for CSP+LDA, xDAWN+LDA and CCA models — with the feature
// stage run once per window.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SsvepCca } from './cca';
import { Csp } from './csp';
import { parseExperimentConfig, predictModel, predictWindow, trainModel, type ExperimentConfig } from './experiment';
import type { EpochSet } from './epochs';
import { Xdawn } from './xdawn';

/** Seeded epochs: class k carries a nearly phase-locked (8 + 5k) Hz sinusoid on channels 2k, 2k+1, plus noise (mulberry32). */
function epochs(seed: number, perClass = 12): EpochSet {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const C = 4;
  const T = 128;
  const fs = 128;
  const n = 2 * perClass;
  const data = new Float64Array(n * C * T);
  const labels = new Int32Array(n);
  for (let e = 0; e < n; e++) {
    const k = e % 2;
    labels[e] = k;
    const f = 8 + 5 * k;
    const ph = rand() * 0.3;
    for (let c = 0; c < C; c++) for (let t = 0; t < T; t++) data[(e * C + c) * T + t] = (c >> 1 === k ? (2 - (c & 1)) * Math.sin((2 * Math.PI * f * t) / fs + ph) : 0) + (rand() - 0.5) * 1.5;
  }
  return { data, epochCount: n, channelCount: C, sampleCount: T, labels, classNames: ['8Hz', '13Hz'], sampleRateHz: fs, channelLabels: ['A', 'B', 'C', 'D'] };
}

/** One epoch of a channel-major set as a FRAME-MAJOR window (the engine layout). */
function frameMajor(set: EpochSet, e: number): Float64Array {
  const { channelCount: C, sampleCount: T } = set;
  const out = new Float64Array(C * T);
  for (let c = 0; c < C; c++) for (let t = 0; t < T; t++) out[t * C + c] = set.data[(e * C + c) * T + t];
  return out;
}

const base = { classes: { a: '8Hz', b: '13Hz' }, window: [0, 0.99], band: [5, 30] };
const cases: [string, ExperimentConfig][] = [
  ['CSP + LDA', parseExperimentConfig({ ...base, type: 'motor_imagery_csp_lda', components: 2 })],
  ['xDAWN + LDA', parseExperimentConfig({ ...base, type: 'p300_xdawn_lda', filtersPerClass: 1, decimate: 4 })],
  ['CCA', parseExperimentConfig({ ...base, type: 'ssvep_cca' })],
];

afterEach(() => vi.restoreAllMocks());

describe('predictWindow equals predictModel, one feature pass per window', () => {
  for (const [name, cfg] of cases) {
    it(name, () => {
      const model = trainModel(cfg, epochs(1));
      const test = epochs(2);
      const batch = predictModel(model, test);
      const spies = [vi.spyOn(Csp.prototype, 'transform'), vi.spyOn(Xdawn.prototype, 'transform'), vi.spyOn(SsvepCca.prototype, 'correlations')];
      for (let e = 0; e < test.epochCount; e++) {
        const w = predictWindow(model, frameMajor(test, e), test.channelCount, test.channelLabels);
        expect(w.classIndex).toBe(batch.predicted[e]);
        expect(w.className).toBe(model.classNames[batch.predicted[e]]);
        expect(w.score).toBeCloseTo(batch.scores[e], 12);
        if (model.lda) {
          // scikit-learn's binary LDA: predict_proba = [1 − σ(d), σ(d)].
          const p1 = 1 / (1 + Math.exp(-batch.scores[e]));
          expect(w.perClass[1]).toBeCloseTo(p1, 12);
          expect(w.perClass[0]).toBeCloseTo(1 - p1, 12);
        } else {
          expect(w.perClass[1] - w.perClass[0]).toBeCloseTo(batch.scores[e], 12);
        }
      }
      const calls = spies.reduce((s, sp) => s + sp.mock.calls.length, 0);
      expect(calls).toBe(test.epochCount);
      // sanity: the seeded classes are separable, so the comparison is not between two constant answers
      const right = batch.predicted.reduce((s, k, i) => s + (k === test.labels[i] ? 1 : 0), 0);
      expect(right / test.epochCount).toBeGreaterThan(0.8);
    });
  }
  it('a window of the wrong length is refused', () => {
    const model = trainModel(cases[0][1], epochs(1));
    expect(() => predictWindow(model, new Float64Array(10), 4)).toThrow(/window holds 10 values; the model needs 128 frames × 4 channels/);
  });
});
