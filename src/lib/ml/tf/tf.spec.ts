// EEGNet / ShallowConvNet in Node on the tfjs CPU backend: architecture facts of the Keras
// references (parameter counts), the fast backprop kernels against tfjs's own kernels, training on a
// slice of the S001 left/right fist-imagery epochs, save → reload → identical predictions, checks
// before training (one class, too few trials, mismatched channels, NaN), and cancellation.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors';
import { sharedBytes, needsShared } from '../../../../tests/support/shared';
import { readEdf } from '../../formats/edf';
import { subsetEpochs, type EpochSet } from '../epochs';
import { epochsFromRecordings } from '../prepare';
import type { ExperimentConfig } from '../experiment';
import { installFastCpuKernels } from './fast-kernels';
import { buildEegNet, buildShallowConvNet } from './models';
import { loadDeepModel, predictDeepEpochs, predictDeepWindow, trainDeepModel, TrainingCancelled } from './train';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('architectures', () => {
  it('EEGNet-8,2 at 128 Hz, 64 channels, 128 samples has the Keras reference parameter count', () => {
    // Keras EEGNet(nb_classes=4, Chans=64, Samples=128): conv 8·64 + BN 4·8 + depthwise 64·16 +
    // BN 4·16 + separable 16·16 + 16·16 + BN 4·16 + dense (16·4)·4 + 4 = 3 444 parameters.
    const m = buildEegNet({ channelCount: 64, sampleCount: 128, sampleRateHz: 128, classCount: 4 });
    expect(m.countParams()).toBe(8 * 64 + 32 + 64 * 16 + 64 + 256 + 256 + 64 + 64 * 4 + 4);
    expect(m.outputs[0].shape).toEqual([null, 4]);
    m.dispose();
  });
  it('ShallowConvNet at 250 Hz keeps the paper’s 25-sample kernel, 75/15 pooling and 40 filters', () => {
    const m = buildShallowConvNet({ channelCount: 22, sampleCount: 1125, sampleRateHz: 250, classCount: 4 });
    const conv = m.getLayer('temporal_conv').getWeights()[0];
    expect(conv.shape).toEqual([1, 25, 1, 40]);
    expect(m.getLayer('spatial_conv').getWeights()[0].shape).toEqual([22, 1, 40, 40]);
    // (1125 − 25 + 1 − 75) / 15 + 1 = 69 pooled steps × 40 filters feed the dense layer.
    expect(m.getLayer('dense').getWeights()[0].shape).toEqual([69 * 40, 4]);
    m.dispose();
  });
  it('rejects windows too short for the pooling', () => {
    expect(() => buildEegNet({ channelCount: 8, sampleCount: 16, sampleRateHz: 128, classCount: 2 })).toThrow(InputError);
  });
});

describe('fast CPU backprop kernels', () => {
  it('give the same filter gradients as tfjs-backend-cpu', () => {
    const x = tf.randomNormal([2, 5, 23, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([2, 5, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
    const dw = tf.randomNormal([3, 4, 3, 2], 0, 1, 'float32', 3) as tf.Tensor4D;
    const grads = () => [
      ...([[1, 'same'], [2, 'valid'], [[1, 3], 'same']] as const).map(([s, p]) => tf.grad((f: tf.Tensor) => tf.conv2d(x, f as tf.Tensor4D, s as never, p).square().sum())(w).arraySync()),
      ...([[1, 'same'], [2, 'valid']] as const).map(([s, p]) => tf.grad((f: tf.Tensor) => tf.depthwiseConv2d(x, f as tf.Tensor4D, s as never, p).square().sum())(dw).arraySync()),
    ];
    const before = grads();
    installFastCpuKernels();
    const after = grads();
    const flat = (a: unknown) => (a as number[]).flat(4) as number[];
    before.forEach((b, i) => {
      const fb = flat(b);
      const fa = flat(after[i]);
      expect(fa.length).toBe(fb.length);
      const scale = Math.max(...fb.map(Math.abs));
      fa.forEach((v, j) => expect(Math.abs(v - fb[j])).toBeLessThan(1e-5 * scale));
    });
  });
});

const cfg = { type: 'motor_imagery_csp_lda', classes: { T1: 'left', T2: 'right' }, window: [1.0, 2.0], band: [7, 30], channels: ['C3..', 'Cz..', 'C4..', 'Cp3.', 'Cp4.', 'Fc3.', 'Fc4.', 'C1..'] } as ExperimentConfig;

describe('EEGNet on S001 left/right fist imagery (slice)', needsShared, () => {
  let set: EpochSet;
  beforeAll(() => {
    installFastCpuKernels();
    const recs = ['S001R04', 'S001R08'].map((f) => ({ recording: readEdf(sharedBytes(`data/edf/${f}.edf`), `${f}.edf`), source: f }));
    set = epochsFromRecordings(recs, cfg).epochs;
  });

  it('trains with per-epoch progress, reloads from its saved JSON and predicts identically', async () => {
    const logs: number[] = [];
    const model = await trainDeepModel('eegnet', set, { epochs: 3, batchSize: 10, seed: 7 }, { onEpoch: (l) => logs.push(l.epoch) });
    expect(logs).toEqual([1, 2, 3]);
    expect(model.history.every((h) => Number.isFinite(h.loss) && h.valLoss !== null)).toBe(true);
    expect(model.classNames).toEqual(['left', 'right']);
    const saved = JSON.parse(JSON.stringify(model));
    const a = await loadDeepModel(model);
    const b = await loadDeepModel(saved);
    const pa = predictDeepEpochs(a, set);
    const pb = predictDeepEpochs(b, set);
    expect(pa.length).toBe(set.epochCount * 2);
    expect(Array.from(pb)).toEqual(Array.from(pa));
    for (let e = 0; e < set.epochCount; e++) expect(pa[2 * e] + pa[2 * e + 1]).toBeCloseTo(1, 5);
    // The online path (one frame-major window) equals the batch path.
    const C = set.channelCount;
    const T = set.sampleCount;
    const fm = new Float32Array(C * T);
    for (let c = 0; c < C; c++) for (let t = 0; t < T; t++) fm[t * C + c] = set.data[c * T + t];
    const w = predictDeepWindow(b, fm, C);
    expect(w.probabilities[0]).toBeCloseTo(pa[0], 5);
    a.dispose();
    b.dispose();
  }, 120_000);

  it('refuses bad data before any training starts', async () => {
    const oneClass = subsetEpochs(set, Array.from(set.labels.keys()).filter((i) => set.labels[i] === 0));
    await expect(trainDeepModel('eegnet', oneClass)).rejects.toThrow(/only one class/);
    const few = subsetEpochs(set, [0, 1, 2, 3, 4].map((k) => Array.from(set.labels.keys()).filter((i) => set.labels[i] === k % 2)[k]));
    await expect(trainDeepModel('eegnet', few)).rejects.toThrow(/at least 4 are needed/);
    const nan = { ...set, data: set.data.slice() };
    nan.data[5 * set.channelCount * set.sampleCount + 3] = NaN;
    await expect(trainDeepModel('eegnet', nan)).rejects.toThrow(/epoch 5.*NaN/);
    const badLabels = { ...set, channelLabels: ['C3..'] };
    await expect(trainDeepModel('eegnet', badLabels)).rejects.toThrow(/channel labels/);
    const before = tf.memory().numTensors;
    await expect(trainDeepModel('shallow_convnet', { ...set, sampleCount: 10, data: new Float64Array(set.epochCount * set.channelCount * 10) })).rejects.toThrow(InputError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a cancelled run returns no model (the caller keeps the previous one)', async () => {
    let batches = 0;
    const previous = { id: 'previous' };
    let current: unknown = previous;
    await expect(
      trainDeepModel('eegnet', set, { epochs: 50, batchSize: 10 }, { cancelled: () => ++batches > 2 }).then((m) => {
        current = m;
      }),
    ).rejects.toBeInstanceOf(TrainingCancelled);
    expect(current).toBe(previous);
  }, 60_000);

  it('mismatched channels are refused at prediction', async () => {
    const m = await loadDeepModel(await trainDeepModel('eegnet', set, { epochs: 1, batchSize: 20 }));
    expect(() => predictDeepEpochs(m, { ...set, channelCount: 4, data: set.data.subarray(0, 4 * set.sampleCount), epochCount: 1 })).toThrow(/trained on 8/);
    m.dispose();
  }, 60_000);
});
