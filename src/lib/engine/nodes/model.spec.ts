// ml.model-predict: the node's streaming predictions (any chunking) equal the experiment's own batch
// predictions (ml/experiment.ts predictModel, LDA posteriors as scikit-learn defines them for two
// classes: expit(decision value)) on the same windows of the same causally band-passed signal, on
// the synthetic device's eyes open/closed switch and on the PhysioNet motor-imagery EDF files, and
// for an EEGNet run bound by the host like predictDeepEpochs; the live prediction follows the eyes;
// mismatched rate/channels are refused naming the difference.
import { describe, expect, it } from 'vitest';
import { sharedBytes, needsShared } from '../../../../tests/support/shared';
import type { MarkerEvent, StreamDescriptor } from '../../core/stream';
import { syntheticStreamDescriptor } from '../../devices/drivers/synthetic/driver';
import { SyntheticGenerator } from '../../devices/drivers/synthetic/generator';
import { sosfilt, sosfiltZi } from '../../dsp/iir';
import { readEdf } from '../../formats/edf';
import { parseExperimentConfig, predictModel, trainModel, type ExperimentConfig, type TrainedModel } from '../../ml/experiment';
import { epochsFromRecording, epochsFromRecordings, mneBandPass, type RecordingLike } from '../../ml/prepare';
import { Execution } from '../runtime';
import { feedChunks, framesView, instantiate, packet, randomChunks } from '../testing';
import { sliceAlong } from '../block';
import { copyPacket, signalChunk, type Chunk } from '../packet';
import { builtinRegistry } from './index';
import { modelPredict, summariseModel, type ModelPredictPeek } from './model';

/** A synthetic recording: eyes switch every `segmentS` seconds (closed first), a marker at each switch. */
function eyesRecording(seed: number, seconds: number, segmentS: number, channels = 8, fs = 250): RecordingLike & { closedAt: (frame: number) => boolean } {
  const settings = { channels, sampleRateHz: fs, lineFrequencyHz: 50 as const, seed, eyesClosed: false };
  const gen = new SyntheticGenerator(settings);
  const n = seconds * fs;
  const seg = segmentS * fs;
  const samples = new Float32Array(n * channels);
  const timestampsMs = new Float64Array(n);
  const markers: MarkerEvent[] = [];
  const t0 = 1_000_000;
  for (let start = 0; start < n; start += seg) {
    const closed = (start / seg) % 2 === 0;
    gen.setEyesClosed(closed);
    const len = Math.min(seg, n - start);
    gen.next(len, samples.subarray(start * channels, (start + len) * channels));
    markers.push({ timestampMs: t0 + (start * 1000) / fs, value: closed ? 'closed' : 'open' });
  }
  for (let i = 0; i < n; i++) timestampsMs[i] = t0 + (i * 1000) / fs;
  const descriptor = syntheticStreamDescriptor(settings);
  return { streams: [{ descriptor, samples, timestampsMs }], markers, closedAt: (f) => Math.floor(f / seg) % 2 === 0 };
}

function signalOf(rec: RecordingLike): Chunk {
  const s = rec.streams[0];
  return signalChunk(s.descriptor, Float32Array.from(s.samples), s.timestampsMs);
}

/**
 * The reference path, written from the definitions: the model's channels picked by label, the
 * experiment's band-pass run causally from the steady state of the first sample (SciPy
 * `sosfilt(sos, x, zi=sosfilt_zi(sos) * x[0])`), windows of the model's length ending at every
 * `hop`-th frame once full, predicted in one batch by the experiment's `predictModel`.
 */
function batchPredictions(model: TrainedModel, rec: RecordingLike, hop: number) {
  const s = rec.streams[0];
  const labels = s.descriptor.channels.map((c) => c.label);
  const picks = model.channelLabels!.map((l) => labels.indexOf(l));
  const C = picks.length;
  const N = s.timestampsMs.length;
  const all = labels.length;
  const x = new Float64Array(C * N);
  picks.forEach((ch, c) => {
    for (let n = 0; n < N; n++) x[c * N + n] = s.samples[n * all + ch];
  });
  const { sos } = mneBandPass(model.config.band, model.sampleRateHz);
  const zi1 = sosfiltZi(sos);
  const zi = new Float64Array(C * zi1.length);
  for (let c = 0; c < C; c++) for (let i = 0; i < zi1.length; i++) zi[c * zi1.length + i] = zi1[i] * x[c * N];
  const y = sosfilt(sos, x, C, N, zi, 'js');
  const T = model.sampleCount;
  const ends: number[] = [];
  for (let n = T - 1; n < N; n += hop) ends.push(n);
  const data = new Float64Array(ends.length * C * T);
  ends.forEach((end, e) => {
    for (let c = 0; c < C; c++) for (let t = 0; t < T; t++) data[(e * C + c) * T + t] = y[c * N + end - T + 1 + t];
  });
  const p = predictModel(model, { data, epochCount: ends.length, channelCount: C, sampleCount: T, channelLabels: model.channelLabels, sampleRateHz: model.sampleRateHz });
  return { ends, predicted: p.predicted, scores: p.scores, timestampsMs: ends.map((n) => s.timestampsMs[n]) };
}

function checkAgainstBatch(model: TrainedModel, rec: RecordingLike, rateHz: number, seed: number) {
  const hop = Math.round(model.sampleRateHz / rateHz);
  const ref = batchPredictions(model, rec, hop);
  const signal = signalOf(rec);
  const { outputs, logs } = feedChunks(modelPredict, { model, rate: rateHz }, signal, randomChunks(signal.block.shape[0], seed, 300));
  expect(logs.filter((l) => l.level >= 40)).toEqual([]);
  const out = framesView(outputs.data);
  const K = model.classNames.length;
  expect(out.labels).toEqual([...model.classNames.map((c) => `p(${c})`), 'predicted']);
  expect(out.frames).toBe(ref.ends.length);
  expect(Array.from(out.timestampsMs)).toEqual(ref.timestampsMs);
  let maxErr = 0;
  for (let i = 0; i < out.frames; i++) {
    expect(out.samples[i * (K + 1) + K], `prediction ${i}`).toBe(ref.predicted[i]);
    // scikit-learn LinearDiscriminantAnalysis, binary: predict_proba[:, 1] = expit(decision_function).
    const p1 = 1 / (1 + Math.exp(-ref.scores[i]));
    maxErr = Math.max(maxErr, Math.abs(out.samples[i * (K + 1) + 1] - p1), Math.abs(out.samples[i * (K + 1)] - (1 - p1)));
  }
  expect(maxErr).toBeLessThan(1e-6); // float32 output of float64 posteriors
  return { out, ref };
}

describe('ml.model-predict on the synthetic eyes open/closed switch', () => {
  const cfg: ExperimentConfig = parseExperimentConfig({ type: 'motor_imagery_csp_lda', classes: { open: 'open', closed: 'closed' }, window: [0.3, 1.8], band: [8, 12], components: 4 });
  const train = eyesRecording(1, 96, 4);
  const model = JSON.parse(JSON.stringify(trainModel(cfg, epochsFromRecording(train, cfg).epochs))) as TrainedModel;
  const test = eyesRecording(2, 48, 4);

  it('equals the experiment’s batch predictions on the same windows, for any chunking', () => {
    const { out } = checkAgainstBatch(model, test, 4, 7);
    // and a second chunking at another rate gives the same answers as its own batch
    checkAgainstBatch(model, test, 10, 8);
    expect(out.source.kind).toBe('predictions');
  });

  it('follows the eyes: windows well inside a segment are classified right', () => {
    const signal = signalOf(test);
    const { outputs, node } = feedChunks(modelPredict, { model, rate: 4 }, signal, randomChunks(signal.block.shape[0], 3, 500));
    const out = framesView(outputs.data);
    const K = 2;
    const closedIndex = model.classNames.indexOf('closed');
    const fs = 250;
    const T = model.sampleCount;
    let right = 0;
    let total = 0;
    for (let i = 0; i < out.frames; i++) {
      const end = Math.round(((out.timestampsMs[i] - test.streams[0].timestampsMs[0]) * fs) / 1000);
      const start = end - T + 1;
      // skip windows that straddle a switch (plus the 0.3 s alpha ramp and the filter's settling)
      if (test.closedAt(start - 100) !== test.closedAt(end)) continue;
      total++;
      if ((out.samples[i * (K + 1) + K] === closedIndex) === test.closedAt(end)) right++;
    }
    expect(total).toBeGreaterThan(60);
    expect(right / total).toBeGreaterThanOrEqual(0.95);
    const peek = node.peek!() as ModelPredictPeek;
    expect(peek.predictions).toBe(out.frames);
    expect(peek.latest?.className).toBe(model.classNames[out.samples[(out.frames - 1) * (K + 1) + K]]);
    expect(peek.history.length).toBeGreaterThan(10);
    expect(peek.windowSeconds).toBeCloseTo(T / 250, 12);
    expect(peek.predictMsP99!).toBeGreaterThanOrEqual(peek.predictMsP50!);
  });

  it('refuses a stream at another rate or without the model’s channels, naming the difference', () => {
    const at500 = eyesRecording(3, 4, 2, 8, 500);
    expect(() => feedChunks(modelPredict, { model }, signalOf(at500), [500])).toThrow(/runs at 500 Hz; the model was trained at 250 Hz/);
    const four = eyesRecording(3, 4, 2, 4, 250);
    expect(() => feedChunks(modelPredict, { model }, signalOf(four), [500])).toThrow(/lacks channel\(s\) "P7", "P8", "O1", "O2"/);
    const { node } = instantiate(modelPredict, {});
    expect(() => node.process({ data: packet(signalOf(four)) })).toThrow(/no model: set model_id/);
    // model_id the host never bound: no output, the error in peek and the log (once).
    const { node: unresolved, logs } = instantiate(modelPredict, { model_id: 'run-x' });
    expect(unresolved.process({ data: packet(signalOf(four)) })).toBeUndefined();
    unresolved.process({ data: packet(signalOf(four)) });
    expect((unresolved.peek!() as ModelPredictPeek).error).toMatch(/model "run-x" was not loaded/);
    expect(logs.filter((l) => /model "run-x" was not loaded/.test(l.message))).toHaveLength(1);
    expect(() => summariseModel({ kind: 'neurotab.tf-model', version: 1, classNames: ['a', 'b'] })).toThrow(/needs its run config/);
    expect(() => summariseModel({ kind: 'something' })).toThrow(/not a Neurotab model/);
  });

  it('runs in a pipeline from a saved run {model, config} on the live-stream input node', () => {
    const ex = new Execution(builtinRegistry(), { info: { logLevel: 20, errorMode: 'stop', tickRateHz: 25 } });
    ex.load({
      format: 'neurotab.pipeline',
      version: 1,
      meta: { name: 'deploy' },
      nodes: [
        { id: 'in', type: 'io.stream-input' },
        { id: 'predict', type: 'ml.model-predict', params: { model: { model, config: { type: cfg.type, band: cfg.band } }, rate: 2 } },
      ],
      edges: [{ source: 'in', target: 'predict' }],
    });
    const s = test.streams[0];
    let pos = 0;
    const reader = {
      read(max: number, outS: Float32Array, outT: Float64Array) {
        const n = Math.min(max, outT.length, s.timestampsMs.length - pos, 333);
        const C = s.descriptor.channels.length;
        outS.set(s.samples.subarray(pos * C, (pos + n) * C));
        outT.set(s.timestampsMs.subarray(pos, pos + n));
        pos += n;
        return { frames: n, dropped: 0 };
      },
    };
    ex.bind('in', { descriptor: s.descriptor as StreamDescriptor, reader });
    ex.play();
    while (pos < s.timestampsMs.length) ex.step();
    const peek = ex.peek('predict') as ModelPredictPeek;
    expect(peek.error).toBeNull();
    const ref = batchPredictions(model, test, 125);
    expect(peek.predictions).toBe(ref.ends.length);
    expect(peek.history.map((h) => h.classIndex)).toEqual(Array.from(ref.predicted.slice(-peek.history.length)));
  });
});

describe('ml.model-predict with a TensorFlow.js network (bound by the host)', () => {
  it('a saved EEGNet run on 4 of 8 channels predicts like predictDeepEpochs on the same windows', async () => {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    const tft = await import('../../ml/tf/train');
    (await import('../../ml/tf/fast-kernels')).installFastCpuKernels();
    const config = { type: 'eegnet', classes: { open: 'open', closed: 'closed' }, window: [0.3, 1.8], band: [8, 12], channels: ['O2', 'O1', 'P7', 'P8'] };
    const cfg = parseExperimentConfig({ ...config, type: 'motor_imagery_csp_lda' });
    const train = eyesRecording(4, 20, 2);
    const set = epochsFromRecording(train, cfg).epochs;
    const deep = await tft.trainDeepModel('eegnet', set, { epochs: 1, batchSize: 10, validationFraction: 0, seed: 1 });
    const saved = JSON.parse(JSON.stringify({ model: deep, config }));
    const loaded = await tft.loadDeepModel(deep);
    try {
      const test = eyesRecording(5, 6, 3);
      const signal = signalOf(test);
      const { node } = instantiate(modelPredict, { model: saved, rate: 2 });
      expect(() => node.process({ data: packet(signal) })).toThrow(/eegnet network is not loaded/);
      const fresh = instantiate(modelPredict, { model: saved, rate: 2 }).node;
      fresh.bind!({ kind: 'deep-window-predictor', predict: (w: Float64Array, C: number) => tft.predictDeepWindow(loaded, w, C) });
      const outs: ReturnType<typeof framesView>[] = [];
      let pos = 0;
      for (const n of randomChunks(signal.block.shape[0], 5, 400)) {
        const r = fresh.process({ data: packet({ block: sliceAlong(signal.block, 0, pos, pos + n), props: signal.props }) });
        if (r?.data) outs.push(framesView(copyPacket(r.data)));
        pos += n;
      }
      // The reference: picks in the model's order (O2, O1, P7, P8), causal band-pass, windows, batch prediction.
      const classicLike = { kind: 'neurotab.classic-model', version: 1, config: cfg, classNames: deep.classNames, channelLabels: deep.channelLabels, sampleRateHz: 250, sampleCount: deep.sampleCount } as unknown as TrainedModel;
      const hop = 125;
      const s = test.streams[0];
      const labels = s.descriptor.channels.map((c) => c.label);
      const picks = deep.channelLabels!.map((l) => labels.indexOf(l));
      expect(picks).toEqual([7, 6, 4, 5]);
      const N = s.timestampsMs.length;
      const x = new Float64Array(4 * N);
      picks.forEach((ch, c) => {
        for (let n = 0; n < N; n++) x[c * N + n] = s.samples[n * 8 + ch];
      });
      const { sos } = mneBandPass(classicLike.config.band, 250);
      const z1 = sosfiltZi(sos);
      const zi = new Float64Array(4 * z1.length);
      for (let c = 0; c < 4; c++) for (let i = 0; i < z1.length; i++) zi[c * z1.length + i] = z1[i] * x[c * N];
      const y = sosfilt(sos, x, 4, N, zi, 'js');
      const T = deep.sampleCount;
      const ends: number[] = [];
      for (let n = T - 1; n < N; n += hop) ends.push(n);
      const data = new Float64Array(ends.length * 4 * T);
      ends.forEach((end, e) => {
        for (let c = 0; c < 4; c++) for (let t = 0; t < T; t++) data[(e * 4 + c) * T + t] = y[c * N + end - T + 1 + t];
      });
      const p = tft.predictDeepEpochs(loaded, { data, epochCount: ends.length, channelCount: 4, sampleCount: T, sampleRateHz: 250 });
      const got = outs.flatMap((o) => Array.from({ length: o.frames }, (_, i) => Array.from(o.samples.subarray(i * 3, i * 3 + 3))));
      expect(got.length).toBe(ends.length);
      expect(got.length).toBeGreaterThan(5);
      got.forEach((row, e) => {
        expect(row[0]).toBeCloseTo(p[e * 2], 5);
        expect(row[1]).toBeCloseTo(p[e * 2 + 1], 5);
        expect(row[2]).toBe(p[e * 2 + 1] > p[e * 2] ? 1 : 0);
      });
    } finally {
      loaded.dispose();
    }
  }, 60_000);
});

describe('ml.model-predict on PhysioNet motor imagery (EDF, 64 channels, 160 Hz)', needsShared, () => {
  it('a model trained on S001R08 + R12 predicts S001R04 as the experiment does in batch', () => {
    const cfg = parseExperimentConfig({ type: 'motor_imagery_csp_lda', classes: { T1: 'left', T2: 'right' }, window: [1.0, 2.0], band: [7, 30], components: 4 });
    const recs = ['S001R08', 'S001R12'].map((f) => ({ recording: readEdf(sharedBytes(`data/edf/${f}.edf`), `${f}.edf`), source: f }));
    const model = JSON.parse(JSON.stringify(trainModel(cfg, epochsFromRecordings(recs, cfg).epochs))) as TrainedModel;
    const r04 = readEdf(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf');
    const { out } = checkAgainstBatch(model, r04, 4, 11);
    expect(out.frames).toBeGreaterThan(400);
  });
});

/**
 * Train/deploy parity: a model trained with `filter: "causal"` saw exactly the preprocessing the node
 * applies online. The node's predictions on a recording equal the offline predictions of the same
 * model on epochs cut by the TRAINING path (ml/prepare.ts epochsFromRecording, causal) at the node's
 * window ends. Held-out accuracy of causal training (train on some runs, test the deployed windows
 * of another) is reported beside the zero-phase recipe and the old mismatch (zero-phase training,
 * causal deployment), and must not be below either.
 */
function parityAndHeldOut(cfgDoc: Record<string, unknown>, train: { recording: RecordingLike; source: string }[], test: RecordingLike, rateHz: number, label: string) {
  const causalCfg = parseExperimentConfig({ ...cfgDoc, filter: 'causal' });
  const zeroCfg = parseExperimentConfig(cfgDoc);
  const causal = JSON.parse(JSON.stringify(trainModel(causalCfg, epochsFromRecordings(train, causalCfg).epochs))) as TrainedModel;
  const zero = trainModel(zeroCfg, epochsFromRecordings(train, zeroCfg).epochs);

  // 1. Parity: node output at each window end = predictModel on the training path's causal epochs there.
  const signal = signalOf(test);
  const { outputs, logs } = feedChunks(modelPredict, { model: causal, rate: rateHz }, signal, randomChunks(signal.block.shape[0], 5, 400));
  expect(logs.filter((l) => l.level >= 40)).toEqual([]);
  const out = framesView(outputs.data);
  const s = test.streams[0];
  const fs = s.descriptor.sampleRateHz;
  const last = Math.round(causalCfg.window[1] * fs);
  const t0 = s.timestampsMs[0];
  const allEnds = Array.from(out.timestampsMs, (t) => Math.round(((t - t0) * fs) / 1000));
  // A marker `last` frames before each window end makes extractEpochs cut exactly the node's window
  // (windows ending before frame `last` have no such marker: the first one or two are left out).
  const skip = allEnds.filter((end) => end < last).length;
  const ends = allEnds.slice(skip);
  expect(ends.length).toBeGreaterThan(100);
  const markers = ends.map((end) => ({ timestampMs: s.timestampsMs[end - last], value: Object.keys(causalCfg.classes)[0] }));
  const firstClassOnly = { ...causalCfg, classes: { [Object.keys(causalCfg.classes)[0]]: Object.values(causalCfg.classes)[0] } };
  const { epochs } = epochsFromRecording({ streams: test.streams, markers }, firstClassOnly);
  expect(epochs.epochCount).toBe(ends.length);
  const offline = predictModel(causal, epochs);
  const K = causal.classNames.length;
  let maxErr = 0;
  for (let j = 0; j < ends.length; j++) {
    const i = j + skip;
    expect(out.samples[i * (K + 1) + K], `window ${i}`).toBe(offline.predicted[j]);
    const p1 = 1 / (1 + Math.exp(-offline.scores[j]));
    maxErr = Math.max(maxErr, Math.abs(out.samples[i * (K + 1) + 1] - p1));
  }
  expect(maxErr).toBeLessThan(1e-6);

  // 2. Held-out accuracy on the test recording's trials.
  const trials = epochsFromRecording(test, causalCfg).epochs.epochCount;
  const acc = (model: TrainedModel, cfg: ExperimentConfig) => {
    const set = epochsFromRecording(test, cfg).epochs;
    const p = predictModel(model, set);
    return p.predicted.reduce((a, k, i) => a + (k === set.labels[i] ? 1 : 0), 0) / set.epochCount;
  };
  const accCausal = acc(causal, causalCfg); // what the deployed node predicts at those windows (parity above)
  const accMismatch = acc(zero, causalCfg); // zero-phase training, causal deployment (before)
  const accOffline = acc(zero, zeroCfg); // the zero-phase recipe evaluated offline
  console.log(`[${label}] held-out accuracy: causal training + causal deployment ${(accCausal * 100).toFixed(1)} %, zero-phase training + causal deployment ${(accMismatch * 100).toFixed(1)} %, zero-phase offline ${(accOffline * 100).toFixed(1)} % (${ends.length} deployed windows equal offline)`);
  return { accCausal, accMismatch, accOffline, trials };
}

describe('train/deploy parity with filter: "causal"', () => {
  it('synthetic eyes: deployed = offline on the same causal windows; held-out accuracy does not drop', () => {
    const r = parityAndHeldOut(
      { type: 'motor_imagery_csp_lda', classes: { open: 'open', closed: 'closed' }, window: [0.3, 1.8], band: [8, 12], components: 4 },
      [{ recording: eyesRecording(1, 96, 4), source: 'train' }],
      eyesRecording(2, 64, 4),
      4,
      'synthetic eyes',
    );
    expect(r.accCausal).toBeGreaterThanOrEqual(r.accMismatch);
    expect(r.accCausal).toBeGreaterThanOrEqual(r.accOffline);
  });
});

describe('train/deploy parity on PhysioNet motor imagery', needsShared, () => {
  it('S001 leave-one-run-out: deployed = offline on the same causal windows; pooled held-out accuracy does not drop', () => {
    const runs = ['S001R04', 'S001R08', 'S001R12'].map((f) => ({ recording: readEdf(sharedBytes(`data/edf/${f}.edf`), `${f}.edf`), source: f }));
    const doc = { type: 'motor_imagery_csp_lda', classes: { T1: 'left', T2: 'right' }, window: [1.0, 2.0], band: [7, 30], components: 4 };
    const pooled = { causal: 0, mismatch: 0, offline: 0, trials: 0 };
    runs.forEach((test, i) => {
      const r = parityAndHeldOut(doc, runs.filter((_, j) => j !== i), test.recording, 2, `S001, held out ${test.source}`);
      pooled.causal += r.accCausal * r.trials;
      pooled.mismatch += r.accMismatch * r.trials;
      pooled.offline += r.accOffline * r.trials;
      pooled.trials += r.trials;
    });
    console.log(`[S001 leave-one-run-out, ${pooled.trials} trials] correct: causal training ${pooled.causal.toFixed(0)}, zero-phase training deployed causally ${pooled.mismatch.toFixed(0)}, zero-phase offline ${pooled.offline.toFixed(0)}`);
    expect(pooled.trials).toBe(45);
    // Counts of correct trials (integers up to rounding of accuracy × trials).
    expect(Math.round(pooled.causal)).toBeGreaterThanOrEqual(Math.round(pooled.mismatch));
    expect(Math.round(pooled.causal)).toBeGreaterThanOrEqual(Math.round(pooled.offline));
  }, 30_000);
});
