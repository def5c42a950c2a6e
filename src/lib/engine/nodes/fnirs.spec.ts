// The fNIRS nodes against MNE 1.3 (shared/reference/fnirs.json: OD, Hb, SCI, TDDR on both SNIRF
// recordings, f64 intensities and our reader's f32 samples) and fnirs_glm.json (GLM contrasts OLS /
// AR(1), block averages), the Homer3 spline and MNE-NIRS short-channel regression peers
// (tests/fnirs/peers.json); live nodes through random chunkings (harness); port typing at load; refusals.
// The SNIRF reader's rate for neuro_run01 is 20.033 Hz where MNE's is 20.040 Hz, so chunks are put on
// MNE's time base (sample k at k / sfreq), as src/lib/fnirs/mne-reference.spec.ts does.
import { describe, expect, it } from 'vitest';
import { hasShared, referenceArray, referenceError, referenceJson, sharedBytes } from '../../../../tests/support/shared';
import type { ChannelInfo, StreamDescriptor } from '../../core/stream';
import { readSnirf } from '../../formats/snirf';
import { axisLabels, type SpaceAxis } from '../axes';
import { signalChunk, withProps, type Chunk, type TargetedMarker } from '../packet';
import { Execution } from '../runtime';
import { axisOf, feedChunks, only, packetSummary, randomChunks, toChannelMajor } from '../testing';
import { fnirsPeers, peerArray } from '../../../../tests/fnirs/peers';
import { beerLambertNode, blockAverageNode, glmNode, GLM_STATISTICS, opticalDensityNode, scalpCouplingIndexNode, shortChannelRegressionNode, splineMotionCorrectionNode, tddrNode } from './fnirs';
import { builtinRegistry } from './index';

const ref = hasShared ? referenceJson('fnirs') : { recordings: [] };
const glmRef = hasShared ? referenceJson('fnirs_glm') : null;
const NAME = 'fnirs';

/** Frame-major copy of CHANNEL-MAJOR values. */
function frameMajor<T extends Float32Array | Float64Array>(cm: ArrayLike<number>, C: number, n: number, out: T): T {
  for (let c = 0; c < C; c++) for (let t = 0; t < n; t++) out[t * C + c] = cm[c * n + t];
  return out;
}

/** Chunk on MNE's time base: sample k at k / fs (ms), non-streaming unless said. */
function chunkOf(descriptor: StreamDescriptor, samples: Float32Array | Float64Array, n: number, fs: number, streaming = false): Chunk {
  const times = Float64Array.from({ length: n }, (_, k) => (k * 1000) / fs);
  return signalChunk({ ...descriptor, sampleRateHz: fs }, samples, times, { streaming });
}

/** A shared SNIRF file's fNIRS stream with the recording's probe, as ImportFile hands it over. */
async function snirfStream(name: string): Promise<{ descriptor: StreamDescriptor; samples: Float32Array; n: number }> {
  const rec = await readSnirf(sharedBytes(`data/snirf/${name}.snirf`), `${name}.snirf`);
  const s = rec.streams.find((x) => x.descriptor.kind === 'fnirs')!;
  return { descriptor: { ...s.descriptor, probe: rec.probe }, samples: s.samples, n: s.timestampsMs.length };
}

const out = (r: ReturnType<typeof feedChunks>) => only(r.outputs.data);
const cmOf = (c: Chunk) => toChannelMajor(c.block.data, c.block.shape[0], c.block.shape[1]);

describe.skipIf(!hasShared)('fNIRS nodes against MNE 1.3 (fnirs.json)', () => {
  for (const r of ref.recordings as any[]) {
    const C = r.ch_names.length;
    const T = r.n_times;
    const fs = r.sfreq;
    const within = (actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { metric: 'nmax' | 'abs' }, bound: number) => expect(referenceError(actual, expected, tol.metric)).toBeLessThan(bound);

    for (const dtype of ['f64', 'f32'] as const) {
      it(`${r.recording}: OpticalDensity → BeerLambert, SCI and TDDR equal MNE (${dtype === 'f64' ? "the reference's float64 intensities" : "our SNIRF reader's float32 samples"})`, async () => {
        const s = await snirfStream(r.recording);
        expect(s.descriptor.channels.map((ch) => ch.label)).toEqual(r.ch_names);
        const samples = dtype === 'f64' ? frameMajor(referenceArray(r.raw_intensity), C, T, new Float64Array(C * T)) : s.samples;
        const raw = chunkOf(s.descriptor, samples, T, fs);
        const od = out(feedChunks(opticalDensityNode, {}, raw, [T], { offline: true, name: NAME }));
        expect(od.block.data).toBeInstanceOf(dtype === 'f64' ? Float64Array : Float32Array);
        expect(axisOf(od, 'space').channels.every((ch) => ch.unit === 'OD')).toBe(true);
        within(cmOf(od), referenceArray(r.optical_density.data), r.optical_density.tol, r.optical_density.tol[dtype]);

        const hb = out(feedChunks(beerLambertNode, { unit: 'M' }, od, [T], { name: NAME }));
        expect(axisLabels(axisOf(hb, 'space'))).toEqual(r.beer_lambert.ch_names_out);
        within(cmOf(hb), referenceArray(r.beer_lambert.data), r.beer_lambert.tol, r.beer_lambert.tol[dtype]);
        const uM = out(feedChunks(beerLambertNode, {}, od, [T], { name: NAME }));
        expect(referenceError(cmOf(uM), Float64Array.from(referenceArray(r.beer_lambert.data), (v) => v * 1e6), 'nmax')).toBeLessThan(r.beer_lambert.tol[dtype]);
        expect(axisOf(uM, 'space').channels.map((ch) => ch.unit)).toEqual(new Array(C).fill('uM'));

        const sci = out(feedChunks(scalpCouplingIndexNode, { window_seconds: null }, od, [T], { name: NAME }));
        expect(sci.block.axes.map((a) => a.type)).toEqual(['instance', 'space']);
        expect(sci.block.shape).toEqual([1, C]);
        within(sci.block.data, r.scalp_coupling_index.values, r.scalp_coupling_index.tol, r.scalp_coupling_index.tol[dtype]);

        const rep = out(feedChunks(tddrNode, {}, od, [T], { offline: true, name: NAME }));
        within(cmOf(rep), referenceArray(r.tddr.data), r.tddr.tol, r.tddr.tol[dtype]);
      });
    }

    it(`${r.recording}: offline streaming pieces (RecordingInput) give MNE's OD and TDDR; live OD differs from MNE's by a constant per channel once its baseline is in`, async () => {
      const s = await snirfStream(r.recording);
      const pieces = chunkOf(s.descriptor, s.samples, T, fs, true);
      const sizes = randomChunks(T, 7, 500);
      const od = out(feedChunks(opticalDensityNode, {}, pieces, sizes, { offline: true, name: NAME }));
      within(cmOf(od), referenceArray(r.optical_density.data), r.optical_density.tol, r.optical_density.tol.f32);
      const rep = out(feedChunks(tddrNode, {}, withStreaming(od), sizes, { offline: true, name: NAME }));
      within(cmOf(rep), referenceArray(r.tddr.data), r.tddr.tol, r.tddr.tol.f32);

      const baselineS = 20;
      const B = Math.round(baselineS * fs);
      const live = cmOf(out(feedChunks(opticalDensityNode, { baseline_seconds: baselineS }, pieces, sizes, { name: NAME })));
      const mne = referenceArray(r.optical_density.data);
      for (let c = 0; c < C; c++) {
        const d0 = live[c * T + B] - mne[c * T + B];
        let worst = 0;
        for (let t = B; t < T; t++) worst = Math.max(worst, Math.abs(live[c * T + t] - mne[c * T + t] - d0));
        expect(worst, r.ch_names[c]).toBeLessThan(1e-5);
      }
    });
  }
});

function withStreaming(c: Chunk): Chunk {
  return { block: c.block, props: withProps(c.props, { is_streaming: true }) };
}

describe.skipIf(!hasShared)('live fNIRS nodes: chunk invariance', () => {
  it('OpticalDensity (baseline 10 s), BeerLambert, ScalpCouplingIndex (10 s windows every 5 s) and ShortChannelRegression (running) give the same output at any chunking', async () => {
    const r = (ref.recordings as any[])[0];
    const s = await snirfStream(r.recording);
    const T = s.n;
    const sig = chunkOf(s.descriptor, s.samples, T, r.sfreq, true);
    const chain: [typeof opticalDensityNode, Record<string, unknown>][] = [
      [opticalDensityNode, { baseline_seconds: 10 }],
      [beerLambertNode, {}],
      [scalpCouplingIndexNode, { window_seconds: 10, step_seconds: 5 }],
    ];
    let input = sig;
    for (const [cls, params] of chain) {
      const one = out(feedChunks(cls, params, input, [T], { name: NAME }));
      for (const seed of [3, 11]) expect(packetSummary(feedChunks(cls, params, input, randomChunks(T, seed, 97), { name: NAME }).outputs.data)).toEqual(packetSummary(new Map([[NAME, one]])));
      if (cls === scalpCouplingIndexNode) {
        // window k covers samples [5 s·k, 5 s·k + 10 s): its time is its last sample's
        const W = Math.round(10 * r.sfreq);
        const S = Math.round(5 * r.sfreq);
        expect(one.block.shape[0]).toBe(Math.floor((T - W) / S) + 1);
        expect(axisOf(one, 'instance').timesMs[1]).toBe(axisOf(input, 'time').timesMs[S + W - 1]);
        const v = one.block.data;
        for (let i = 0; i < v.length; i++) expect(Math.abs(v[i])).toBeLessThanOrEqual(1 + 1e-9);
      }
      if (cls === opticalDensityNode) input = withStreaming(one);
      if (cls === beerLambertNode) {
        const synthetic = one;
        const sizes = randomChunks(T, 5, 200);
        // this probe's pairs are 2.0 and 2.24 cm apart: at 2.1 cm the 2 cm pairs act as short channels
        const params = { max_short_distance_m: 0.021 };
        const regressed = out(feedChunks(shortChannelRegressionNode, params, one, randomChunks(T, 5, 200), { name: NAME }));
        expect(packetSummary(new Map([[NAME, regressed]]))).toEqual(packetSummary(feedChunks(shortChannelRegressionNode, params, one, [T], { name: NAME }).outputs.data));
        const changed = Array.from({ length: one.block.shape[1] }, (_, c) => regressed.block.data[(T - 1) * one.block.shape[1] + c] !== one.block.data[(T - 1) * one.block.shape[1] + c]);
        expect(changed.some(Boolean) && !changed.every(Boolean)).toBe(true);
      }
    }
  });
});

describe.skipIf(!glmRef)('GLM and BlockAverage nodes against fnirs_glm.json', () => {
  const input = glmRef?.input;
  const C: number = input?.ch_names.length;
  const n: number = input?.n_times;
  const fs: number = input?.sfreq;
  const hbDescriptor = (): StreamDescriptor => ({
    id: 'hb',
    name: 'hb',
    kind: 'fnirs',
    sampleRateHz: fs,
    channels: (input.ch_names as string[]).map((label): ChannelInfo => ({ label, unit: 'M', type: label.endsWith('hbo') ? 'NIRS_HbO' : 'NIRS_HbR' })),
  });
  const hbChunk = (dtype: 'f64' | 'f32') => {
    const hb = frameMajor(referenceArray(input.hb), C, n, new Float64Array(C * n));
    return chunkOf(hbDescriptor(), dtype === 'f64' ? hb : Float32Array.from(hb), n, fs);
  };

  for (const cs of (glmRef?.cases ?? []) as any[]) {
    const markers: TargetedMarker[] = cs.events.onset_s.map((o: number, i: number) => ({ timestampMs: o * 1000, value: cs.events.condition[i], durationMs: cs.events.duration_s[i] * 1000 }));
    for (const model of ['ols', 'ar1'] as const) {
      for (const dtype of ['f64', 'f32'] as const) {
        it(`${cs.id}: GLM (${model}, ${dtype}) effect, se, t, p, log10 p of the default contrasts 1, 2, 1 - 2 (markers ${dtype === 'f64' ? 'on the port' : 'in the packet'})`, () => {
          const r = cs[model];
          const res = out(feedChunks(glmNode, { noise_model: model }, hbChunk(dtype), [n], { markers, markersIn: dtype === 'f64' ? 'port' : 'packet', offline: true, name: NAME }));
          expect(res.block.axes.map((a) => a.type)).toEqual(['instance', 'space', 'statistic']);
          expect(axisOf(res, 'instance').fields.Marker).toEqual(r.contrasts.map((k: { name: string }) => k.name));
          expect(axisLabels(axisOf(res, 'space'))).toEqual(input.ch_names);
          expect(res.props.meta.dof).toBe(r.dof);
          expect(res.props.meta.columns).toEqual(cs.column_names);
          const K = r.contrasts.length;
          const S = GLM_STATISTICS.length;
          for (const [stat, key] of [['effect', 'effect'], ['se', 'se'], ['t', 't'], ['p', 'p'], ['log10p', 'log10_p']] as const) {
            const s = GLM_STATISTICS.indexOf(stat);
            // reference layout [channel, contrast]
            const got = Float64Array.from({ length: C * K }, (_, i) => res.block.data[((i % K) * C + Math.floor(i / K)) * S + s]);
            const tol = r.tol[key];
            const expected = referenceArray(r[key]);
            let e: number;
            if (tol.metric === 'nmax_col') {
              e = 0;
              for (let k = 0; k < K; k++) {
                const pick = (a: ArrayLike<number>) => Float64Array.from({ length: C }, (_, c) => a[c * K + k]);
                e = Math.max(e, referenceError(pick(got), pick(expected), 'nmax'));
              }
            } else e = referenceError(got, expected, tol.metric);
            expect(e, `${stat}: ${e}`).toBeLessThan(tol[dtype]);
          }
        });
      }
    }
  }

  for (const dtype of ['f64', 'f32'] as const) {
    it(`BlockAverage (${dtype}): mean and SEM per condition, −5 … 25 s, baseline before onset`, () => {
      const b = glmRef.block_average;
      const markers: TargetedMarker[] = b.event_onset_s.map((o: number, i: number) => ({ timestampMs: o * 1000, value: b.event_condition[i] }));
      const res = out(feedChunks(blockAverageNode, {}, hbChunk(dtype), [n], { markers, offline: true, name: NAME }));
      expect(res.block.axes.map((a) => a.type)).toEqual(['instance', 'time', 'space', 'statistic']);
      expect(axisOf(res, 'instance').fields.Marker).toEqual(b.conditions);
      expect(Array.from(axisOf(res, 'instance').fields.Count as Float64Array)).toEqual(b.n_events);
      expect(referenceError(Float64Array.from(axisOf(res, 'time').timesMs, (t) => t / 1000), b.times_s, 'abs')).toBeLessThan(1e-12);
      const K = b.conditions.length;
      const L = b.times_s.length;
      for (const [s, key] of [[0, 'mean'], [1, 'sem']] as const) {
        // reference layout [condition, channel, time]
        const got = Float64Array.from({ length: K * C * L }, (_, i) => {
          const k = Math.floor(i / (C * L));
          const c = Math.floor(i / L) % C;
          const j = i % L;
          return res.block.data[((k * L + j) * C + c) * 2 + s];
        });
        expect(referenceError(got, referenceArray(b[key]), 'nmax'), key).toBeLessThan(b.tol[key][dtype]);
      }
    });
  }
});

describe('spline and short-channel regression nodes against the NumPy peers (tests/fnirs/peers.json)', () => {
  const stream = (names: string[], fs: number, probe?: StreamDescriptor['probe']): StreamDescriptor => ({
    id: 'p',
    name: 'p',
    kind: 'fnirs',
    sampleRateHz: fs,
    channels: names.map((label) => ({ label, unit: 'OD', type: 'NIRS_OD' })),
    ...(probe ? { probe } : {}),
  });

  it("MotionCorrectionSpline equals Homer3's detection + spline (p 0.99, AMPthresh 0.2)", () => {
    const m = fnirsPeers.motion;
    const C = m.ch_names.length;
    const od = peerArray(m.od);
    const T = od.length / C;
    const c = chunkOf(stream(m.ch_names, m.sfreq), frameMajor(od, C, T, new Float64Array(C * T)), T, m.sfreq);
    const th = m.thresholds;
    const y = out(feedChunks(splineMotionCorrectionNode, { t_motion_seconds: th.tMotion, t_mask_seconds: th.tMask, std_threshold: th.STDEVthresh, amp_threshold: th.AMPthresh, p: m.spline_p }, c, [T], { offline: true, name: NAME }));
    expect(referenceError(cmOf(y), peerArray(m.spline_corrected), 'nmax')).toBeLessThan(1e-9);
  });

  // The peer's probe: distances 3 cm (long) and 0.8 cm (short) at its midpoints, as source/detector positions.
  const s = fnirsPeers.short_channel;
  const probe = { wavelengthsNm: [760, 850], sourcePositionsM: [[0, 0, 0], [0.06, 0, 0]], detectorPositionsM: [[0.03, 0, 0], [0.09, 0, 0], [0.008, 0, 0], [0.068, 0, 0]], positions3d: false };
  const C = s.ch_names.length;
  const x = peerArray(s.x);
  const T = x.length / C;
  const frames = frameMajor(x, C, T, new Float64Array(C * T));

  for (const method of ['nearest', 'mean'] as const) {
    it(`ShortChannelRegression offline (${method}) equals MNE-NIRS's formula`, () => {
      const y = out(feedChunks(shortChannelRegressionNode, { method }, chunkOf(stream(s.ch_names, s.sfreq, probe), frames, T, s.sfreq), [T], { offline: true, name: NAME }));
      expect(referenceError(cmOf(y), peerArray(s[method].y), 'nmax')).toBeLessThan(1e-10);
    });
  }

  it('ShortChannelRegression on streaming chunks equals the NumPy running recursion (τ 30 s) at any chunking', () => {
    const live = chunkOf(stream(s.ch_names, s.sfreq, probe), frames, T, s.sfreq, true);
    const y = out(feedChunks(shortChannelRegressionNode, { time_constant_seconds: 30 }, live, randomChunks(T, 9, 50), { name: NAME }));
    expect(referenceError(cmOf(y), peerArray(s.running_tau30.y), 'nmax')).toBeLessThan(1e-10);
  });
});

describe('fNIRS nodes: port typing and refusals', () => {
  const doc = (nodes: { id: string; type: string; params?: Record<string, unknown> }[]) => ({
    format: 'neurotab.pipeline',
    version: 1,
    nodes: [{ id: 'in', type: 'io.import-file', params: { filename: 'x.snirf' } }, ...nodes],
    edges: nodes.map((nd, i) => ({ source: i ? nodes[i - 1].id : 'in', target: nd.id })),
  });

  it('accepts the fNIRS chain from an importer; refuses a spectrum into BeerLambert, naming what it needs', () => {
    expect(() => new Execution(builtinRegistry()).load(doc([{ id: 'od', type: 'fnirs.optical-density' }, { id: 'hb', type: 'EstimateConcentrations' }, { id: 'glm', type: 'fnirs.glm' }]))).not.toThrow();
    expect(() => new Execution(builtinRegistry()).load(doc([{ id: 'psd', type: 'spectral.welch' }, { id: 'hb', type: 'fnirs.beer-lambert' }]))).toThrow(/node "hb".*input "data".*fNIRS nodes take a continuous fNIRS signal/s);
    expect(() => new Execution(builtinRegistry()).load(doc([{ id: 'glm', type: 'fnirs.glm' }, { id: 'sci', type: 'fnirs.scalp-coupling-index' }]))).toThrow(/node "sci"/);
  });

  it('refuses bad parameters with what to change', () => {
    const load = (type: string, params: Record<string, unknown>) => () => new Execution(builtinRegistry()).load(doc([{ id: 'x', type, params }]));
    expect(load('fnirs.beer-lambert', { ppf_per_wavelength: { 760: -1 } })).toThrow(/ppf_per_wavelength needs \{wavelength in nm: positive factor\}/);
    expect(load('fnirs.beer-lambert', { ppf: 0 })).toThrow(/ppf/);
    expect(load('fnirs.block-average', { tmin_seconds: 5, tmax_seconds: 1 })).toThrow(/tmax_seconds \(1\) must be after tmin_seconds \(5\)/);
    expect(load('fnirs.block-average', { baseline: [0] })).toThrow(/baseline must be \[from, to\]/);
    expect(load('fnirs.scalp-coupling-index', { l_freq: 2, h_freq: 1 })).toThrow(/l_freq \(2 Hz\) must be below h_freq/);
    expect(load('fnirs.glm', { contrasts: { a: { x: 'one' } } })).toThrow(/contrast "a" must be \{condition: weight\}/);
  });

  const descriptor: StreamDescriptor = {
    id: 'n',
    name: 'n',
    kind: 'fnirs',
    sampleRateHz: 10,
    channels: [760, 850].map((nm) => ({ label: `S1_D1 ${nm}`, unit: 'a.u.', type: 'NIRS_CW_AMPLITUDE', wavelengthNm: nm, sourceIndex: 1, detectorIndex: 1 })),
  };
  const ones = (streaming: boolean) => chunkOf(descriptor, new Float32Array(400).fill(1).map((v, i) => v + 0.01 * Math.sin(i)), 200, 10, streaming);

  it('refuses what it cannot do, saying what is missing: no probe, a live stream into an offline node, a contrast on an unknown condition, no markers', () => {
    expect(() => feedChunks(beerLambertNode, {}, ones(false), [200], { name: NAME })).toThrow(/needs the probe geometry.*SNIRF file that has \/nirs\/probe/);
    expect(() => feedChunks(tddrNode, {}, ones(true), [100, 100], { name: NAME })).toThrow(/whole recording and cannot run on a live stream/);
    expect(() => feedChunks(glmNode, {}, ones(false), [200], { name: NAME, offline: true })).toThrow(/no marker reached it/);
    const markers = [{ timestampMs: 5000, value: 'task' }];
    expect(() => feedChunks(glmNode, { contrasts: { c: { rest: 1 } } }, ones(false), [200], { name: NAME, offline: true, markers })).toThrow(/contrast "c" names "rest", which is not a condition \(conditions: task\)/);
    expect(() => feedChunks(blockAverageNode, { conditions: ['rest'] }, ones(false), [200], { name: NAME, offline: true, markers })).toThrow(/none of the markers is one of the conditions \["rest"\] \(markers seen: task\)/);
  });

  it('live OD never spreads NaN: a sample ≤ 0 or NaN repeats its channel\'s previous OD, the other channel is untouched', () => {
    const c = ones(true);
    const data = Float32Array.from(c.block.data);
    data[2 * 50] = 0;
    data[2 * 51] = NaN;
    const bad = { ...c, block: { ...c.block, data } };
    const od = out(feedChunks(opticalDensityNode, { baseline_seconds: 5 }, bad, [200], { name: NAME })).block.data;
    const good = out(feedChunks(opticalDensityNode, { baseline_seconds: 5 }, c, [200], { name: NAME })).block.data;
    expect(od[2 * 50]).toBe(od[2 * 49]);
    expect(od[2 * 51]).toBe(od[2 * 49]);
    for (let t = 0; t < 200; t++) expect(od[2 * t + 1]).toBe(good[2 * t + 1]);
    expect(Array.from(od).every(Number.isFinite)).toBe(true);
    expect((axisOf(out(feedChunks(opticalDensityNode, { baseline_seconds: 5 }, c, [200], { name: NAME })), 'space') as SpaceAxis).channels[0].type).toBe('NIRS_OD');
  });
});
