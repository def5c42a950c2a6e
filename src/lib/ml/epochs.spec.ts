// Epoching (MNE's inclusive tmin/tmax window) and the checks that run before any training.
import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors';
import { concatEpochSets, extractEpochs, validateEpochs, type EpochSet } from './epochs';
import { Csp } from './csp';
import { crossValidate, parseExperimentConfig, trainModel } from './experiment';
import { Lda } from './lda';
import { dense } from './linalg';
import { markersToSamples } from './prepare';

// 2 channels × 100 samples at 10 Hz: channel 0 = sample index, channel 1 = −index.
const signal = {
  data: Float64Array.from({ length: 200 }, (_, i) => (i < 100 ? i : -(i - 100))),
  channelCount: 2,
  sampleCount: 100,
  sampleRateHz: 10,
  channelLabels: ['A', 'B'],
  source: 'ramp',
};

function toySet(labels: number[], opts: Partial<EpochSet> = {}): EpochSet {
  const E = labels.length;
  const r = (i: number) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453);
  return {
    data: Float64Array.from({ length: E * 3 * 20 }, (_, i) => r(i) - 0.5),
    epochCount: E,
    channelCount: 3,
    sampleCount: 20,
    labels: Int32Array.from(labels),
    classNames: ['a', 'b'],
    sampleRateHz: 100,
    ...opts,
  };
}

describe('extractEpochs', () => {
  it('cuts [start, end] s after each marker, both ends inclusive, channel-major', () => {
    const { epochs, skipped } = extractEpochs(
      signal,
      [
        { sample: 10, value: 'L' },
        { sample: 30, value: 'X' }, // not in the class map: ignored
        { sample: 40, value: 'R' },
        { sample: 95, value: 'L' }, // runs off the end: skipped
      ],
      { classes: { L: 'left', R: 'right' }, windowSeconds: [0.5, 1.0] },
    );
    expect(skipped).toBe(1);
    expect(epochs.epochCount).toBe(2);
    expect(epochs.sampleCount).toBe(6); // 0.5..1.0 s at 10 Hz = samples +5..+10
    expect(Array.from(epochs.labels)).toEqual([0, 1]);
    expect(epochs.classNames).toEqual(['left', 'right']);
    expect(Array.from(epochs.data.subarray(0, 6))).toEqual([15, 16, 17, 18, 19, 20]);
    expect(Array.from(epochs.data.subarray(6, 12))).toEqual([-15, -16, -17, -18, -19, -20]);
    expect(Array.from(epochs.data.subarray(12, 18))).toEqual([45, 46, 47, 48, 49, 50]);
  });
  it('rejects a window with end ≤ start', () => {
    expect(() => extractEpochs(signal, [], { classes: { L: 'l' }, windowSeconds: [1, 1] })).toThrow(InputError);
  });
});

describe('bad input is refused before training', () => {
  it('one class', () => {
    const s = toySet([0, 0, 0, 0]);
    expect(() => Csp.fit(s)).toThrow(/only one class/);
    const cfg = parseExperimentConfig({ type: 'motor_imagery_csp_lda', classes: { T1: 'a', T2: 'b' }, window: [0, 0.19], band: [7, 30] });
    expect(() => trainModel(cfg, s)).toThrow(InputError);
  });
  it('too few trials', () => {
    expect(() => Csp.fit(toySet([0, 1, 1, 1]))).toThrow(/class "a" has 1 epochs, at least 2/);
    const cfg = parseExperimentConfig({ type: 'motor_imagery_csp_lda', classes: { T1: 'a', T2: 'b' }, window: [0, 0.19], band: [7, 30], components: 2 });
    expect(() => crossValidate(cfg, toySet([0, 0, 0, 1, 1, 1, 1, 1]), { k: 5 })).toThrow(/at least 5 are needed/);
  });
  it('NaN or Infinity, with its location', () => {
    const s = toySet([0, 1, 0, 1, 0, 1], { channelLabels: ['Cz', 'C3', 'C4'] });
    s.data[(3 * 3 + 2) * 20 + 7] = NaN;
    expect(() => validateEpochs(s)).toThrow(/epoch 3, channel C4, sample 7 is NaN/);
    expect(() => Csp.fit(s)).toThrow(InputError);
    const x = dense(4, 2, Float64Array.from([1, 2, 3, Infinity, 5, 6, 7, 8]));
    expect(() => Lda.fit(x, Int32Array.from([0, 0, 1, 1]), ['a', 'b'])).toThrow(/trial 1 feature 1 is Infinity/);
  });
  it('mismatched channels between recordings and at prediction', () => {
    const a = toySet([0, 1, 0, 1], { channelLabels: ['Cz', 'C3', 'C4'], sources: ['r1', 'r1', 'r1', 'r1'] });
    const b = toySet([0, 1], { channelLabels: ['Cz', 'C4', 'C3'], sources: ['r2', 'r2'] });
    expect(() => concatEpochSets([a, b])).toThrow(/r2: channel 1 is "C4", the first recording has "C3"/);
    const c = { ...toySet([0, 1]), channelCount: 2, data: new Float64Array(2 * 2 * 20), sources: ['r3', 'r3'] };
    expect(() => concatEpochSets([a, c])).toThrow(/r3: has 2 channels/);
    const csp = Csp.fit(toySet([0, 1, 0, 1, 0, 1]), { components: 2 });
    expect(() => csp.transform({ data: new Float64Array(2 * 20), epochCount: 1, channelCount: 2, sampleCount: 20 })).toThrow(/2 channels, the model was trained on 3/);
  });
  it('experiment documents are validated', () => {
    expect(() => parseExperimentConfig({ type: 'nope', classes: {}, window: [0, 1], band: [1, 2] })).toThrow(/experiment.type/);
    expect(() => parseExperimentConfig({ type: 'ssvep_cca', classes: { 1: 'a', 2: 'a' }, window: [0, 1], band: [1, 2] })).toThrow(/two distinct/);
    expect(() => parseExperimentConfig({ type: 'ssvep_cca', classes: { 1: 'left', 2: 'right' }, window: [0, 1], band: [1, 2] })).toThrow(/stimulation frequency/);
    expect(() => parseExperimentConfig({ type: 'p300_xdawn_lda', classes: { 1: 'n', 2: 't' }, window: [1, 0], band: [1, 2] })).toThrow(/experiment.window/);
  });
});

describe('markersToSamples', () => {
  it('maps marker times to the nearest frame of irregular timestamps and drops markers outside the stream', () => {
    const t = Float64Array.from([1000, 1004, 1008.2, 1011.7, 1016]);
    const got = markersToSamples(t, 256, [
      { timestampMs: 990, value: 'before' },
      { timestampMs: 1000, value: 'a' },
      { timestampMs: 1009.9, value: 'b' },
      { timestampMs: 1010.1, value: 'c' },
      { timestampMs: 1017.5, value: 'd' }, // within half a period of the last frame
      { timestampMs: 1030, value: 'after' },
    ]);
    expect(got).toEqual([
      { sample: 0, value: 'a' },
      { sample: 2, value: 'b' },
      { sample: 3, value: 'c' },
      { sample: 4, value: 'd' },
    ]);
  });
});
