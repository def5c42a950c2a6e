// NeuroPype neural nodes: CommonSpatialPatterns against MNE's CSP on the shared reference's 45
// motor-imagery epochs (../shared/reference/eeg_csp_lda.json, made with MNE 1.3), and the
// calibration chain of real pipelines run end to end on S001 (LSLInput → InjectCalibrationData
// (ImportEDF of another run) → AssignTargets → Segmentation → CSP → Variance → Logarithm →
// LogisticRegression → MeasureLoss).
import { describe, expect, it } from 'vitest';
import { hasShared, needsShared, referenceArray, referenceError, referenceJson, sharedBytes } from '../../../../tests/support/shared';
import { instanceAxis, MARKER, spaceAxis, TARGET, timeAxis } from '../axes';
import { makeBlock } from '../block';
import { chunkProps, type Chunk, type Packet } from '../packet';
import { Execution } from '../runtime';
import { axisOf, copyPacket, instantiate } from '../testing';
import type { FrameReader, MarkerSource } from '../types';
import { readEdf } from '../../formats/edf';
import { builtinRegistry } from './index';
import { commonSpatialPatterns, filterBankCommonSpatialPattern, sourcePowerComodulation } from './np-neural';
import { readFileSync } from 'node:fs';

const ref = hasShared ? referenceJson('eeg_csp_lda') : null;
const E = 45;
const P = 64;
const T = 161;

/** The reference epochs as an instance × time × space chunk, labelled (or given targets), non-streaming. */
function referenceSegments(targets?: readonly number[]): Chunk {
  const x = referenceArray(ref.epochs.X); // [epoch, channel, sample]
  const data = new Float64Array(E * T * P);
  for (let e = 0; e < E; e++) for (let c = 0; c < P; c++) for (let t = 0; t < T; t++) data[(e * T + t) * P + c] = x[(e * P + c) * T + t];
  const labels: number[] = ref.epochs.labels;
  const inst = instanceAxis(Float64Array.from({ length: E }, (_, e) => e * 8000), { [MARKER]: labels.map((l) => (l ? 'T2' : 'T1')), [TARGET]: Float64Array.from(targets ?? labels) }, 'segments');
  const time = timeAxis(Float64Array.from({ length: T }, (_, t) => 1000 + t * 6.25), 160);
  const space = spaceAxis((ref.ch_names as string[]).map((label) => ({ label, unit: 'V', type: 'EEG' })));
  return { block: makeBlock(data, [inst, time, space]), props: chunkProps({ id: 's001', name: 'S001', kind: 'eeg' }, { is_signal: true, is_streaming: false }) };
}

describe('CommonSpatialPatterns node (MNE CSP)', needsShared, () => {
  it('nof pairs in alternate order: the eigenvalues and each component signal as MNE filters give them', () => {
    const { node } = instantiate(commonSpatialPatterns, { nof: 2 });
    const seg = referenceSegments();
    const out = node.process({ data: new Map([['eeg', seg]]) })!.data!.get('eeg')!;
    expect(out.block.axes.map((a) => a.type)).toEqual(['instance', 'time', 'space']);
    expect(out.block.shape).toEqual([E, T, 4]);
    expect(axisOf(out, 'space').channels.map((c) => c.label)).toEqual(['CSP1', 'CSP2', 'CSP3', 'CSP4']);
    const state = (node.trainable!.exportModel() as Record<string, { eigenvalues: number[] }>).eeg;
    const all: number[] = ref.csp.eigenvalues;
    const sorted = [...all].sort((a, b) => a - b);
    const expected = [sorted[63], sorted[0], sorted[62], sorted[1]];
    expect(referenceError(state.eigenvalues.slice(0, 4), expected, 'abs')).toBeLessThan(ref.csp.tol.eigenvalues.f64);
    // each component = MNE's filter of the same eigenvalue applied to the epochs (up to sign): compare log mean power
    const filters = referenceArray(ref.csp.filters); // [component, channel]
    const x = referenceArray(ref.epochs.X);
    for (let j = 0; j < 4; j++) {
      const idx = all.findIndex((v) => Math.abs(v - expected[j]) < 1e-9);
      const mne = new Float64Array(E);
      const ours = new Float64Array(E);
      for (let e = 0; e < E; e++) {
        let s = 0;
        let o = 0;
        for (let t = 0; t < T; t++) {
          let y = 0;
          for (let c = 0; c < P; c++) y += filters[idx * P + c] * x[(e * P + c) * T + t];
          s += y * y;
          o += out.block.data[(e * T + t) * 4 + j] ** 2;
        }
        mne[e] = Math.log(s / T);
        ours[e] = Math.log(o / T);
      }
      expect(referenceError(ours, mne, 'abs')).toBeLessThan(1e-6);
    }
  });

  it('outputs nothing untrained, does not train on streaming segments, refuses more than two classes and non-segment layouts', () => {
    const { node } = instantiate(commonSpatialPatterns);
    const seg = referenceSegments();
    expect(node.process({ data: new Map([['eeg', { block: seg.block, props: { ...seg.props, is_streaming: true } }]]) })).toBeUndefined();
    expect(node.trainable!.fitted).toBe(false);
    const three = { ...seg, block: { ...seg.block, axes: [instanceAxis(axisOf(seg, 'instance').timesMs, { [TARGET]: Float64Array.from({ length: E }, (_, e) => e % 3) }, 'segments'), ...seg.block.axes.slice(1)] } };
    expect(() => node.process({ data: new Map([['eeg', three]]) })).toThrow(/exactly two classes/);
  });
});

// ------------------------------------------------------------------------------- the calibration chain end to end

/** A ring-like reader over a whole recording, `chunk` frames per read (what LSLInput binds). */
function replay(samples: Float32Array, times: Float64Array, ch: number, chunk: number): FrameReader & { left(): number } {
  let pos = 0;
  return {
    read(max, out, ts) {
      const n = Math.min(max, chunk, times.length - pos);
      out.set(samples.subarray(pos * ch, (pos + n) * ch));
      ts.set(times.subarray(pos, pos + n));
      pos += n;
      return { frames: n, dropped: 0 };
    },
    left: () => times.length - pos,
  };
}

describe('motor imagery online: InjectCalibrationData trains CSP + LogisticRegression from another run', needsShared, () => {
  it('predicts every live trial of S001R08 after calibrating on S001R04, and MeasureLoss reports their misclassification rate', () => {
    const calib = readEdf(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf');
    const live = readEdf(sharedBytes('data/edf/S001R08.edf'), 'S001R08.edf');
    const ex = new Execution(builtinRegistry());
    ex.load({
      format: 'neurotab.pipeline',
      version: 1,
      meta: { name: 'motor imagery (NeuroPype-shaped)', description: '' },
      nodes: [
        { id: 'lsl', type: 'LSLInput', params: { query: "type='EEG'", marker_query: "type='Markers'" } },
        { id: 'xdf', type: 'ImportEDF', params: { filename: 'S001R04.edf' } },
        { id: 'inject', type: 'InjectCalibrationData', params: { delay_streaming_packets: true } },
        { id: 'iir', type: 'IIRFilter', params: { frequencies: [7, 30], mode: 'bandpass', order: 4 } },
        { id: 'targets', type: 'AssignTargets', params: { mapping: { T1: 0, T2: 1 } } },
        { id: 'seg', type: 'Segmentation', params: { time_bounds: [1, 2] } },
        { id: 'csp', type: 'CommonSpatialPatterns', params: { nof: 2 } },
        { id: 'var', type: 'Variance', params: { axis: 'time' } },
        { id: 'log', type: 'Logarithm' },
        { id: 'lr', type: 'LogisticRegression', params: { class_weights: 'auto' } },
        { id: 'loss', type: 'MeasureLoss' },
      ],
      edges: [
        { source: 'lsl', target: 'inject', targetPort: 'streaming_data' },
        { source: 'xdf', target: 'inject', targetPort: 'calib_data' },
        { source: 'inject', target: 'iir' },
        { source: 'iir', target: 'targets' },
        { source: 'targets', target: 'seg' },
        { source: 'seg', target: 'csp' },
        { source: 'csp', target: 'var' },
        { source: 'var', target: 'log' },
        { source: 'log', target: 'lr' },
        { source: 'lr', target: 'loss', sourcePort: 'data', targetPort: 'data' },
      ],
    });
    // both runs' EDF headers give the same start time; the live session comes after the calibration one
    const laterMs = 10 * 60 * 1000;
    const s = { ...live.streams[0], timestampsMs: live.streams[0].timestampsMs.map((t) => t + laterMs) };
    const liveMarkers = live.markers.map((m) => ({ ...m, timestampMs: m.timestampMs + laterMs }));
    const ch = s.descriptor.channels.length;
    const reader = replay(s.samples, s.timestampsMs, ch, 160);
    const pending = [...liveMarkers];
    const markers: MarkerSource = {
      drain() {
        // markers become available once the samples up to their time have been read
        const upTo = s.timestampsMs[Math.max(0, s.timestampsMs.length - reader.left() - 1)];
        const out = [];
        while (pending.length && pending[0].timestampMs <= upTo) out.push(pending.shift()!);
        return out;
      },
    };
    ex.bind('lsl', { descriptor: s.descriptor, reader, markers });
    ex.bind('xdf', calib);
    const predictions: Packet[] = [];
    const losses: Packet[] = [];
    ex.tap('lr', 'data', (p) => predictions.push(copyPacket(p)));
    ex.tap('loss', 'loss', (p) => losses.push(copyPacket(p)));
    ex.play();
    for (let i = 0; i < 400 && reader.left() > 0; i++) ex.step();
    for (let i = 0; i < 5; i++) ex.step();
    expect(ex.errors()).toEqual([]);
    expect(ex.state().calibrating).toBe(false);

    // AssignTargets labels T1/T2; the rest (T0) are segmented too, unlabelled, and predicted as well
    const isTrial = (v: string) => v === 'T1' || v === 'T2';
    const [first, ...rest] = predictions;
    const firstChunk = first.get('eeg')!;
    expect(firstChunk.props.is_streaming).toBe(false); // the training chunk is predicted too
    expect(Array.from(axisOf(firstChunk, 'instance').fields[TARGET] as Float64Array).filter(Number.isFinite)).toHaveLength(calib.markers.filter((m) => isTrial(m.value)).length);
    const liveRows = rest.flatMap((p) => {
      const c = p.get('eeg')!;
      const t = axisOf(c, 'instance').fields[TARGET] as Float64Array;
      return Array.from({ length: c.block.shape[0] }, (_, i) => ({ p1: c.block.data[i * 2 + 1], target: t[i] })).filter((r) => Number.isFinite(r.target));
    });
    const end = s.timestampsMs[s.timestampsMs.length - 1];
    expect(liveRows).toHaveLength(liveMarkers.filter((m) => isTrial(m.value) && m.timestampMs + 2000 <= end).length);
    const errors = liveRows.filter((r) => (r.p1 > 0.5 ? 1 : 0) !== r.target).length;
    const mcr = errors / liveRows.length;
    const lastLoss = losses[losses.length - 1].get('eeg')!;
    expect(axisOf(lastLoss, 'feature').names).toEqual(['MCR']);
    expect(lastLoss.block.data[0]).toBeCloseTo(mcr, 12);
    console.log(`S001R04 → S001R08: ${liveRows.length} live trials, accuracy ${(1 - mcr).toFixed(3)}`);
  });
});

describe('SourcePowerComodulation node (MNE SPoC)', needsShared, () => {
  const spoc = JSON.parse(readFileSync(new URL('../../../../tests/ml/learner-reference.json', import.meta.url), 'utf8')).spoc;
  it.each([[0.001], [0]])('cov_lambda %s: each component\'s log mean power is MNE\'s SPoC feature (tests/ml/make-learner-reference.py)', (lambda) => {
    const c = spoc.cases.find((k: { reg: number | null }) => k.reg === (lambda || null));
    const { node } = instantiate(sourcePowerComodulation, { nof: c.n_components, cov_lambda: lambda });
    const out = node.process({ data: new Map([['eeg', referenceSegments(spoc.target)]]) })!.data!.get('eeg')!;
    const k = c.n_components;
    expect(out.block.shape).toEqual([E, T, k]);
    expect(axisOf(out, 'space').channels.map((ch) => ch.label)).toEqual(['SPoC1', 'SPoC2', 'SPoC3'].slice(0, k));
    const ours = new Float64Array(E * k);
    for (let e = 0; e < E; e++) for (let j = 0; j < k; j++) {
      let s = 0;
      for (let t = 0; t < T; t++) s += out.block.data[(e * T + t) * k + j] ** 2;
      ours[e * k + j] = Math.log(s / T);
    }
    expect(referenceError(ours, (c.features as number[][]).flat(), 'nmax')).toBeLessThan(1e-9);
    // the model round-trips; streaming segments are filtered, not trained on
    const { node: again } = instantiate(sourcePowerComodulation, { nof: k, cov_lambda: lambda });
    again.trainable!.importModel(JSON.parse(JSON.stringify(node.trainable!.exportModel())));
    const seg = referenceSegments(spoc.target);
    const live = again.process({ data: new Map([['eeg', { block: seg.block, props: { ...seg.props, is_streaming: true } }]]) })!.data!.get('eeg')!;
    expect(Array.from(live.block.data)).toEqual(Array.from(out.block.data));
  });

  it('untrained it outputs nothing; a constant target and a missing target field are refused with what to do', () => {
    const { node } = instantiate(sourcePowerComodulation);
    const seg = referenceSegments(spoc.target);
    expect(node.process({ data: new Map([['eeg', { block: seg.block, props: { ...seg.props, is_streaming: true } }]]) })).toBeUndefined();
    expect(() => node.process({ data: new Map([['eeg', referenceSegments(new Array(E).fill(2))]]) })).toThrow(/at least two distinct values/);
    const { node: other } = instantiate(sourcePowerComodulation, { target_field: 'Arousal' });
    expect(() => other.process({ data: new Map([['eeg', referenceSegments(spoc.target)]]) })).toThrow(/"Arousal"/);
    expect(() => instantiate(sourcePowerComodulation, { cov_lambda: 2 })).toThrow(/cov_lambda/);
  });
});

describe('FilterBankCommonSpatialPattern node (MNE CSP per FFT-masked band)', needsShared, () => {
  const fb = JSON.parse(readFileSync(new URL('../../../../tests/ml/learner-reference.json', import.meta.url), 'utf8')).fbcsp;
  it('each band\'s components: log mean power = MNE\'s CSP features on the numpy band-passed epochs (tests/ml/make-learner-reference.py)', () => {
    const { node } = instantiate(filterBankCommonSpatialPattern, { bands: fb.bands, nof: fb.nof });
    const out = node.process({ data: new Map([['eeg', referenceSegments()]]) })!.data!.get('eeg')!;
    const k = 2 * fb.nof;
    const K = fb.bands.length * k;
    expect(out.block.shape).toEqual([E, T, K]);
    expect(axisOf(out, 'space').channels[k].label).toBe(`CSP1@${fb.bands[1][0]}-${fb.bands[1][1]}Hz`);
    fb.perBand.forEach((b: { features: number[][] }, i: number) => {
      const ours = new Float64Array(E * k);
      for (let e = 0; e < E; e++)
        for (let j = 0; j < k; j++) {
          let s = 0;
          for (let t = 0; t < T; t++) s += out.block.data[(e * T + t) * K + i * k + j] ** 2;
          ours[e * k + j] = Math.log(s / T);
        }
      expect(referenceError(ours, b.features.flat(), 'nmax')).toBeLessThan(1e-8);
    });
    const { node: again } = instantiate(filterBankCommonSpatialPattern, { bands: fb.bands, nof: fb.nof });
    again.trainable!.importModel(JSON.parse(JSON.stringify(node.trainable!.exportModel())));
    const seg = referenceSegments();
    const live = again.process({ data: new Map([['eeg', { block: seg.block, props: { ...seg.props, is_streaming: true } }]]) })!.data!.get('eeg')!;
    expect(Array.from(live.block.data)).toEqual(Array.from(out.block.data));
  });

  it('refuses the short-time FFT options and malformed bands, naming the parameter', () => {
    expect(() => instantiate(filterBankCommonSpatialPattern, { window_length: 64 })).toThrow(/"window_length".*not supported/);
    expect(() => instantiate(filterBankCommonSpatialPattern, { bands: [[8, 4]] })).toThrow(/"bands"/);
    expect(() => instantiate(filterBankCommonSpatialPattern, { min_fft_size: 512, window_func: 'hamming' })).not.toThrow();
    expect(() => instantiate(filterBankCommonSpatialPattern).node.trainable!.fit()).toThrow(/FilterBankCommonSpatialPattern trains on non-streaming labelled segments/);
  });
});
