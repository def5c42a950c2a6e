// The experiment recipes end to end on real recordings, read with formats/ and filtered with dsp/:
// - motor imagery (EDF S001 R04/R08/R12): the epochs equal MNE's stored epochs and the stored
//   scikit-learn folds reproduce their accuracies;
// - P300 (xDAWN + LDA) on the four Muse P300 files and SSVEP (CCA) on the Muse SSVEP file:
//   cross-validated scores well above chance (shared/data/SOURCES.md: P300 marker 1 = non-target,
//   2 = target; SSVEP marker 1 = 30 Hz, 2 = 20 Hz, "Right AUX" = POz).
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceArray, referenceError, referenceJson, sharedBytes, sharedPath, needsShared } from '../../../tests/support/shared';
import { readCsv } from '../formats/csv';
import { readEdf } from '../formats/edf';
import { crossValidate, parseExperimentConfig, predictModel, predictWindow, trainModel } from './experiment';
import { epochsFromRecordings, mneRingingSamples, mneBandPass } from './prepare';

describe('recipes on real recordings', needsShared, () => {
  it('EDF → MNE-identical epochs → the stored CSP+LDA folds (motor imagery)', () => {
    const ref = referenceJson('eeg_csp_lda');
    const cfg = parseExperimentConfig({ type: 'motor_imagery_csp_lda', classes: { T1: 'left', T2: 'right' }, window: [1.0, 2.0], band: [7, 30], components: 4 });
    expect(mneRingingSamples(mneBandPass([7, 30], 160).sos)).toBe(ref.filter.padlen);
    const recs = ['S001R04', 'S001R08', 'S001R12'].map((f) => ({ recording: readEdf(sharedBytes(`data/edf/${f}.edf`), `${f}.edf`), source: f }));
    const { epochs, skipped } = epochsFromRecordings(recs, cfg);
    expect(skipped).toBe(0);
    expect(Array.from(epochs.labels)).toEqual(ref.epochs.labels);
    expect(epochs.channelLabels).toEqual(ref.ch_names);
    const volts = epochs.data.map((v) => v * 1e-6); // EDF µV → MNE's volts
    const tol = ref.epochs.tol.X;
    expect(referenceError(volts, referenceArray(ref.epochs.X), tol.metric)).toBeLessThanOrEqual(tol.f64);
    const folds = ref.cross_validation.folds.map((f: { train: number[]; test: number[] }) => ({ train: f.train, test: f.test }));
    const r = crossValidate(cfg, epochs, { folds });
    expect(r.folds.map((a) => Math.round(a * 9))).toEqual(ref.cross_validation.folds.map((f: { n_correct: number }) => f.n_correct));
    expect(r.mean).toBeCloseTo(ref.cross_validation.mean_accuracy, 12);
    expect(r.chance).toBeCloseTo(23 / 45, 12);
    // Online path: one frame-major window at a time gives the batch predictions and LDA posteriors.
    const model = JSON.parse(JSON.stringify(trainModel(cfg, epochs)));
    const batch = predictModel(model, epochs);
    const per = 64 * 161;
    for (let e = 0; e < 45; e += 11) {
      const fm = new Float32Array(per);
      for (let c = 0; c < 64; c++) for (let t = 0; t < 161; t++) fm[t * 64 + c] = epochs.data[e * per + c * 161 + t];
      const w = predictWindow(model, fm, 64, epochs.channelLabels);
      expect(w.classIndex).toBe(batch.predicted[e]);
      expect(w.className).toBe(['left', 'right'][batch.predicted[e]]);
      expect(w.perClass[1]).toBeCloseTo(1 / (1 + Math.exp(-w.score)), 12);
      expect(Math.abs(w.score - batch.scores[e])).toBeLessThan(1e-6 * Math.abs(batch.scores[e]) + 1e-9); // float32 window
    }
    expect(() => predictWindow(model, new Float32Array(per - 64), 64)).toThrow(/needs 161 frames/);
  });

  const muse = (name: string) => ({ recording: readCsv(sharedBytes(`data/muse-csv/${name}`), name), source: name });

  it('P300: xDAWN + LDA, 5-fold AUC well above 0.5', () => {
    const files = readdirSync(sharedPath('data/muse-csv')).filter((f) => f.startsWith('P300_')).sort();
    expect(files.length).toBe(4);
    const cfg = parseExperimentConfig({ type: 'p300_xdawn_lda', classes: { 1: 'non-target', 2: 'target' }, window: [0, 0.8], band: [1, 20], filtersPerClass: 2 });
    const { epochs } = epochsFromRecordings(files.map(muse), cfg);
    expect(epochs.channelLabels).toEqual(['TP9', 'AF7', 'AF8', 'TP10']);
    expect(epochs.sampleRateHz).toBe(256); // 30,732 rows over 120.03 s per file
    expect(epochs.epochCount).toBe(775);
    const r = crossValidate(cfg, epochs, { k: 5, seed: 1 });
    expect(r.metric).toBe('roc_auc');
    expect(r.chance).toBe(0.5);
    // Under the null the AUC's s.d. with 131 targets / 644 non-targets is ≈ 0.028 (pooled) and
    // ≈ 0.06 per fold; observed ≈ 0.71 pooled.
    expect(r.mean).toBeGreaterThan(0.65);
    expect(Math.min(...r.folds)).toBeGreaterThan(0.6);
    expect(r.rocAuc!).toBeGreaterThan(0.65);
  });

  it('SSVEP: CCA on 30 vs 20 Hz, 5-fold accuracy well above chance', () => {
    // Band kept below 60 Hz: the recording has North-American mains at 60 Hz = 2 × 30 Hz, which
    // the 30 Hz reference's second harmonic would otherwise pick up in every epoch.
    const cfg = parseExperimentConfig({
      type: 'ssvep_cca',
      classes: { 1: '30Hz', 2: '20Hz' },
      window: [0.5, 3.0],
      band: [5, 45],
      channels: ['TP9', 'AF7', 'AF8', 'TP10', 'Right AUX'],
    });
    const { epochs } = epochsFromRecordings([muse('SSVEP_s1_sess1_data_2017-09-14-21.20.04.csv')], cfg);
    // 30,732 rows over 120.04 s = 256 Hz; the LSL stamps come in 12-sample bursts (0–4 ms steps,
    // then 15–18 ms gaps), so a rate estimated from typical steps alone comes out wrong (250 Hz),
    // which detunes the CCA references (30 Hz would be generated as 30.7 Hz).
    expect(epochs.sampleRateHz).toBe(256);
    expect(epochs.epochCount).toBe(32);
    const r = crossValidate(cfg, epochs, { k: 5, seed: 1 });
    expect(r.chance).toBeCloseTo(18 / 32, 12);
    expect(r.mean).toBeGreaterThan(0.85);
    expect(r.accuracy).toBeGreaterThan(0.85);
  });
});
