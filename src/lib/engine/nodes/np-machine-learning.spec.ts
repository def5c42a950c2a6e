// NeuroPype machine_learning nodes: the learners wired to ml/learners.ts checked against
// scikit-learn 1.2.1 (tests/ml/learner-reference.json, made by tests/ml/make-learner-reference.py
// with Debian's python3-sklearn on the shared reference's CSP features), MeasureLoss against
// sklearn.metrics on the same file, and the calibration nodes' exact packets and chunk invariance.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceError } from '../../../../tests/support/shared';
import { featureAxis, instanceAxis, MARKER, TARGET } from '../axes';
import { makeBlock } from '../block';
import { chunkProps, concatPackets, markerChunk, markersOf, packetOf, type Chunk, type Packet } from '../packet';
import { Execution, PipelineError } from '../index';
import { axisOf, copyPacket, instantiate, makeStream, packetSummary, randomChunks, signalFromChannelMajor } from '../testing';
import { builtinRegistry } from './index';
import { accumulateCalibrationData, injectCalibrationData, linearDiscriminantAnalysis, logisticRegression, measureLoss } from './np-machine-learning';

const ref = JSON.parse(readFileSync(new URL('../../../../tests/ml/learner-reference.json', import.meta.url), 'utf8'));
const F10: number[][] = ref.inputs.F10;
const y2: number[] = ref.metrics.binary.truth;
const SRC = { id: 'test', name: 'test', kind: 'eeg' as const };

/** An instance × feature chunk with targets (non-streaming unless said). */
function features(rows: number[][], targets: number[], streaming = false, names = rows[0].map((_, j) => `f${j}`)): Chunk {
  const inst = instanceAxis(Float64Array.from(rows, (_, i) => i * 1000), { [MARKER]: targets.map(String), [TARGET]: Float64Array.from(targets) }, 'segments');
  return { block: makeBlock(Float64Array.from(rows.flat()), [inst, featureAxis(names)]), props: chunkProps(SRC, { is_signal: true, is_streaming: streaming }) };
}

function run(node: ReturnType<typeof instantiate>['node'], c: Chunk): Chunk | undefined {
  return node.process({ data: packetOf('eeg', c) })?.data?.get('eeg');
}

describe('LogisticRegression node (scikit-learn GridSearchCV over alphas)', () => {
  const g = ref.logistic_grid.find((x: { data: string }) => x.data === 'F10');

  it('trains on the labelled non-streaming chunk and predicts it as the refit GridSearchCV model; class columns named by label', () => {
    const { node } = instantiate(logisticRegression, { alphas: g.alphas, num_folds: g.folds, search_metric: g.metric });
    const out = run(node, features(F10, y2))!;
    expect(out.block.axes.map((a) => a.type)).toEqual(['instance', 'feature']);
    expect(axisOf(out, 'feature').names).toEqual(['0', '1']);
    expect(axisOf(out, 'instance').fields[TARGET]).toEqual(Float64Array.from(y2));
    expect(out.props.is_streaming).toBe(false);
    expect(referenceError(out.block.data, (g.predict_proba as number[][]).flat(), 'abs')).toBeLessThan(1e-5);
    expect((node.trainable!.exportModel() as Record<string, { alpha: number }>).eeg.alpha).toBeCloseTo(1 / g.best_C, 12);
  });

  it('outputs nothing untrained, does not train on streaming chunks, then predicts streaming chunks; the model survives export/import', () => {
    const { node } = instantiate(logisticRegression, { alphas: [1] });
    expect(run(node, features(F10, y2, true))).toBeUndefined();
    expect(node.trainable!.fitted).toBe(false);
    expect(node.trainable!.collected).toBe(45); // kept for Execution.fit()
    node.trainable!.fit();
    const live = run(node, features(F10.slice(0, 5), y2.slice(0, 5), true))!;
    expect(live.props.is_streaming).toBe(true);
    expect(live.block.shape).toEqual([5, 2]);
    const again = instantiate(logisticRegression, { alphas: [1] }).node;
    again.trainable!.importModel(JSON.parse(JSON.stringify(node.trainable!.exportModel())));
    expect(Array.from(run(again, features(F10.slice(0, 5), y2.slice(0, 5), true))!.block.data)).toEqual(Array.from(live.block.data));
  });

  it('probabilistic false gives the predicted label; labelled chunks without labels say which markers they saw', () => {
    const { node } = instantiate(logisticRegression, { alphas: [1], probabilistic: false });
    const out = run(node, features(F10, y2))!;
    expect(axisOf(out, 'feature').names).toEqual(['prediction']);
    const c = ref.logistic.find((x: { name: string }) => x.name === 'binary_l2_C1');
    expect(Array.from(out.block.data)).toEqual(c.predict.map(Number));
    const { node: n2 } = instantiate(logisticRegression, { cond_field: 'Label' });
    expect(() => run(n2, features(F10, y2))).toThrow(/no instance carries a label in "Label"; the instances' markers are "1", "0" — give AssignTargets a mapping/);
  });

  it('refuses parameters it cannot honour, naming them', () => {
    expect(() => instantiate(logisticRegression, { dual_formulation: true })).toThrow(/"dual_formulation".*not supported/);
    expect(() => instantiate(logisticRegression, { l1_ratios: [0.5] })).toThrow(/"l1_ratios"/);
    expect(() => instantiate(logisticRegression, { alphas: [] })).toThrow(/alphas must be a non-empty list/);
    expect(() => instantiate(logisticRegression, { class_weights: 3 })).toThrow(/class_weights/);
    expect(() => instantiate(logisticRegression, { verbosity: 2, num_jobs: -1, solver: 'liblinear' })).not.toThrow();
  });
});

describe('LinearDiscriminantAnalysis node (scikit-learn)', () => {
  it.each(['binary_eigen_auto', 'binary_lsqr_0.2'])('%s: predict_proba of the training chunk', (name) => {
    const c = ref.lda.find((x: { name: string }) => x.name === name);
    const { node } = instantiate(linearDiscriminantAnalysis, { solver: c.params.solver, shrinkage: c.params.shrinkage });
    const out = run(node, features(F10, y2))!;
    expect(referenceError(out.block.data, (c.predict_proba as number[][]).flat(), 'abs')).toBeLessThan(1e-5);
  });

  it('refuses svd with shrinkage and undocumented options', () => {
    expect(() => instantiate(linearDiscriminantAnalysis, { solver: 'svd' })).toThrow(/svd.*no shrinkage/);
    expect(() => instantiate(linearDiscriminantAnalysis, { robust_method: 'huber' })).toThrow(/"robust_method"/);
  });
});

describe('MeasureLoss node (sklearn.metrics)', () => {
  const m = ref.metrics.binary;
  const preds = (streaming: boolean, from = 0, to = y2.length) => features(m.proba.slice(from, to), y2.slice(from, to), streaming, ['0', '1']);

  it.each([
    ['log_loss', m.log_loss],
    ['brier', m.brier],
    ['MCR', 1 - m.accuracy],
  ])('%s of a whole chunk; streaming chunks give the running value', (metric, expected) => {
    const { node } = instantiate(measureLoss, { loss_metric: metric });
    const whole = node.process({ data: packetOf('eeg', preds(false)) })!.loss!.get('eeg')!;
    expect(axisOf(whole, 'feature').names).toEqual([metric]);
    expect(whole.block.data[0]).toBeCloseTo(expected as number, 10);
    node.process({ data: packetOf('eeg', preds(true, 0, 20)) });
    const last = node.process({ data: packetOf('eeg', preds(true, 20)) })!.loss!.get('eeg')!;
    expect(last.block.data[0]).toBeCloseTo(expected as number, 10);
  });

  it('says when a true label is not among the predicted classes', () => {
    const { node } = instantiate(measureLoss);
    expect(() => node.process({ data: packetOf('eeg', features(m.proba, y2.map((y) => y + 5), false, ['0', '1'])) })).toThrow(/true label \d is not among the prediction's classes \(0, 1\)/);
  });
});

// ------------------------------------------------------------------------------- calibration nodes

const stream = makeStream(['C3', 'C4'], 100);
const N = 600;
const sig = (streaming = true) => signalFromChannelMajor(stream, Float64Array.from({ length: 2 * N }, (_, i) => Math.sin(i / 7) + (i % 13)), N, 0, streaming);
const live = (from: number, to: number): Packet => {
  const s = sig();
  return packetOf('eeg', { block: { ...s.block, data: s.block.data.slice(from * 2, to * 2), shape: [to - from, 2], axes: [{ ...axisOf(s, 'time'), timesMs: axisOf(s, 'time').timesMs.slice(from, to) }, s.block.axes[1]] }, props: s.props });
};

describe('InjectCalibrationData', () => {
  const calib = () => packetOf('eeg', sig(false));

  it('emits the calibration packet first (non-streaming), queues a live packet of the same step for the next, then passes live packets', () => {
    const { node } = instantiate(injectCalibrationData);
    expect(node.process({ streaming_data: live(0, 10) })).toBeUndefined(); // dropped before calibration
    const first = node.process({ streaming_data: live(10, 20), calib_data: calib() })!.data!;
    expect(packetSummary(first)).toEqual(packetSummary(calib()));
    expect(first.get('eeg')!.props.is_streaming).toBe(false);
    const second = node.process({ streaming_data: live(20, 30) })!.data!;
    expect(packetSummary(second)).toEqual(packetSummary(live(10, 30)));
    expect(second.get('eeg')!.props.is_streaming).toBe(true);
  });

  it('delay_streaming_packets queues the live packets that came before the calibration packet', () => {
    const { node } = instantiate(injectCalibrationData, { delay_streaming_packets: true });
    expect(node.process({ streaming_data: live(0, 10) })).toBeUndefined();
    node.process({ calib_data: calib() });
    expect(packetSummary(node.flush!()!.data)).toEqual(packetSummary(live(0, 10)));
  });

  it('unwired calib_data: the live stream passes through', () => {
    const { node } = instantiate(injectCalibrationData, {}, false, ['streaming_data']);
    expect(packetSummary(node.process({ streaming_data: live(0, 10) })!.data)).toEqual(packetSummary(live(0, 10)));
  });
});

describe('AccumulateCalibrationData', () => {
  const markers = [
    { timestampMs: 500, value: 'x' },
    { timestampMs: 1000, value: 'calib-begin' },
    { timestampMs: 2500, value: 'left' },
    { timestampMs: 4000, value: 'calib-end' },
    { timestampMs: 5000, value: 'right' },
  ];
  const feed = (sizes: number[], params: Record<string, unknown> = {}) => {
    const { node } = instantiate(accumulateCalibrationData, params);
    const outs: Packet[] = [];
    const s = sig();
    const t = axisOf(s, 'time').timesMs;
    let pos = 0;
    let mi = 0;
    for (const n of sizes) {
      const pk = new Map(live(pos, pos + n));
      const limit = pos + n >= N ? Infinity : t[pos + n];
      const evs = [];
      while (mi < markers.length && markers[mi].timestampMs < limit) evs.push(markers[mi++]);
      if (evs.length) pk.set('markers', markerChunk(evs, { streaming: true }));
      const r = node.process({ data: pk });
      if (r?.data) outs.push(copyPacket(r.data));
      pos += n;
    }
    const f = node.flush!();
    if (f?.data) outs.push(copyPacket(f.data));
    return outs;
  };

  it('emits the span begin … end (both included) as one non-streaming packet, then the rest of the stream, whatever the chunking', () => {
    const one = feed([N]);
    const [calib] = one;
    expect(calib.get('eeg')!.props.is_streaming).toBe(false);
    expect(calib.get('markers')!.props.is_streaming).toBe(false);
    const times = axisOf(calib.get('eeg')!, 'time').timesMs;
    expect([times[0], times[times.length - 1], times.length]).toEqual([1000, 4000, 301]);
    expect(markersOf(calib.get('markers')!).map((e) => e.value)).toEqual(['calib-begin', 'left', 'calib-end']);
    const rest = one.slice(1);
    expect(axisOf(rest[0].get('eeg')!, 'time').timesMs[0]).toBe(4010);
    expect(markersOf(rest[0].get('markers')!).map((e) => e.value)).toEqual(['right']);
    for (const seed of [3, 7, 11]) {
      const many = feed(randomChunks(N, seed, 90));
      expect(packetSummary(many[0])).toEqual(packetSummary(calib));
      const joined = many.slice(1).reduce(concatPackets);
      expect(packetSummary(joined)).toEqual(packetSummary(rest.reduce(concatPackets)));
      expect(axisOf(joined.get('eeg')!, 'time').timesMs).toEqual(Float64Array.from({ length: N - 401 }, (_, k) => 4010 + k * 10));
    }
  });

  it('calibration_first false passes the live packets while accumulating; marker_mode other than markers is refused', () => {
    const outs = feed([100, 100, 100, 100, 100, 100], { calibration_first: false });
    expect(outs.filter((o) => o.get('eeg')?.props.is_streaming === false)).toHaveLength(1);
    expect(() => instantiate(accumulateCalibrationData, { marker_mode: 'duration' })).toThrow(/marker_mode/);
  });
});

describe('load-time typing', () => {
  it('a learner refuses a marker-only input at load, naming node, class and what to change', () => {
    const ex = new Execution(builtinRegistry());
    const d = {
      format: 'neurotab.pipeline',
      version: 1,
      meta: { name: 't', description: '' },
      nodes: [
        { id: 'mk', type: 'io.marker-input' },
        { id: 'lr', type: 'LogisticRegression' },
      ],
      edges: [{ source: 'mk', sourcePort: 'markers', target: 'lr' }],
    };
    let err: unknown;
    try {
      ex.load(d);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PipelineError);
    expect(String((err as Error).message)).toMatch(/node "lr".*LogisticRegression.*instances/s);
  });
});
