// BadChannelRemoval node: the removed set equals the clean_channels re-statement
// (tests/ml/make-bad-channels-reference.py → tests/ml/bad-channels-reference.json) on 60 s of S001R04
// with two spoilt channels, whole or streamed; exact blocks after the decision.
// InterpolateMissingChannels: the missing channels are MNE's _make_interpolation_matrix applied to
// the present ones (tests/dsp/make-spline-reference.py → tests/dsp/spline-reference.json), the
// present ones copied; continuous and segmented data.
// The artifact family as a .pyp (tests/fixtures/pyp/artifact-cleaning.pyp, patch-less variant):
// ImportEDF → AssignChannelLocations → RemoveUnlocalizedChannels → BadChannelRemoval →
// ArtifactRemoval → InterpolateMissingChannels on S001R04 with the bad-channel reference's spoilt channels.
// ArtifactRemoval node: wired to ml/asr.ts as NeuroPype's parameters say (step_size in seconds,
// max_dims 0 → 0.66, calib_seconds, init_on), checked against the NumPy re-statement of clean_rawdata
// (tests/ml/make-asr-reference.py → tests/ml/asr-reference.*) on 24 channels of S001R04 with injected
// bursts, in random chunkings; port typing and refused parameters.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasShared, needsShared, referenceError, sharedBytes } from '../../../../tests/support/shared';
import { readEdf } from '../../formats/edf';
import { signalChunk } from '../packet';
import { Execution } from '../runtime';
import { axisOf, epochsChunk, feedChunks, instantiate, makeStream, only, packet, randomChunks, signalFromChannelMajor } from '../testing';
import { builtinRegistry } from './index';
import { registryResolver } from '../registry';
import { parsePyp, pypToPipeline } from '../../formats/pyp';
import { copyPacket } from '../testing';
import { artifactRemoval, badChannelRemoval, interpolateMissingChannels } from './np-artifacts';
import { assignStandard1005 } from '../../dsp/montage-1005';
import { spaceAxis } from '../axes';

const ref = JSON.parse(readFileSync(new URL('../../../../tests/ml/asr-reference.json', import.meta.url), 'utf8'));
const blob = (() => {
  const b = readFileSync(new URL('../../../../tests/ml/asr-reference.f64', import.meta.url));
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
})();
const C: number = ref.channels.length;
const S: number = ref.samples;
const fs: number = ref.sampleRateHz;
const stream = makeStream(ref.channels as string[], fs);

/** The generator's input: S001R04's 24 channels with the three injected bursts, channel-major. */
function referenceInput(): Float64Array {
  const rec = readEdf(sharedBytes(ref.recording), 'S001R04.edf').streams[0];
  const nc = rec.descriptor.channels.length;
  const idx = (ref.channels as string[]).map((l) => rec.descriptor.channels.findIndex((c) => c.label === l || c.label === l.replace(/\.+$/, '')));
  const x = new Float64Array(C * S);
  for (let t = 0; t < S; t++) for (let c = 0; c < C; c++) x[c * S + t] = rec.samples[t * nc + idx[c]];
  for (const a of ref.artifacts) {
    for (let t = 0; t < S; t++) {
      const tt = t / fs - a.centreSeconds;
      const env = a.amplitudeUv * Math.exp(-0.5 * (tt / a.sdSeconds) ** 2);
      const wave = a.frequencyHz > 0 ? env * Math.cos(2 * Math.PI * a.frequencyHz * tt) : env;
      for (const c of a.channels) x[c * S + t] += wave * (1 + 0.1 * c);
    }
  }
  return x;
}

// the generator's options in NeuroPype's terms: 3200 samples = 20 s; 32 samples = 0.2 s at 160 Hz
const PARAMS = { use_clean_window: false, calib_seconds: ref.calibrationSamples / fs, step_size: ref.options.stepSamples / fs, block_size: ref.options.blockSize, cutoff: ref.options.cutoff, window_length: ref.options.windowSeconds, max_dims: 0 };

/** Output sampled as the reference stores it: [channel][every outputEvery-th sample]. */
function subsampled(frames: ArrayLike<number>): Float64Array {
  const every = ref.outputEvery;
  const n = ref.output.shape[1];
  const got = new Float64Array(C * n);
  for (let c = 0; c < C; c++) for (let i = 0; i < n; i++) got[c * n + i] = frames[i * every * C + c];
  return got;
}
const expected = blob.subarray(ref.output.offset, ref.output.offset + C * ref.output.shape[1]);

describe('ArtifactRemoval node (ASR) vs the clean_rawdata re-statement', needsShared, () => {
  const x = hasShared ? referenceInput() : new Float64Array(0);
  // float64, frame-major (signalFromChannelMajor rounds to float32)
  const frames = Float64Array.from({ length: S * C }, (_, i) => x[(i % C) * S + Math.floor(i / C)]);
  const sig = () => signalChunk(stream, frames, Float64Array.from({ length: S }, (_, i) => 1000 + (i * 1000) / fs));

  it('streaming: calibrates on the first calib_seconds, outputs the cleaned signal with its own time stamps, equal to clean_asr in any chunking', () => {
    const one = only(feedChunks(artifactRemoval, PARAMS, sig(), [S], { offline: true }).outputs.data);
    expect(one.block.shape).toEqual([S, C]);
    expect(one.block.data).toBeInstanceOf(Float64Array);
    expect(referenceError(subsampled(one.block.data), expected, 'nmax')).toBeLessThan(1e-11);
    expect(Array.from(axisOf(one, 'time').timesMs)).toEqual(Array.from(axisOf(sig(), 'time').timesMs));
    expect(axisOf(one, 'space').channels.map((c) => c.label)).toEqual(ref.channels);
    for (const seed of [3, 8]) {
      const many = only(feedChunks(artifactRemoval, PARAMS, sig(), randomChunks(S, seed, 300), { offline: true }).outputs.data);
      expect(referenceError(many.block.data, one.block.data, 'abs')).toBe(0);
      expect(Array.from(axisOf(many, 'time').timesMs)).toEqual(Array.from(axisOf(one, 'time').timesMs));
    }
  });

  it('nothing leaves while calibrating; emit_calib_data false starts the output after the calibration span', () => {
    const { node } = instantiate(artifactRemoval, PARAMS);
    const s = sig();
    const first = { block: { ...s.block, data: s.block.data.subarray(0, 3000 * C), shape: [3000, C] }, props: s.props };
    first.block.axes = [{ ...axisOf(s, 'time'), timesMs: axisOf(s, 'time').timesMs.subarray(0, 3000) }, axisOf(s, 'space')];
    expect(node.process({ data: packet(first) })).toBeUndefined();
    const dropped = only(feedChunks(artifactRemoval, { ...PARAMS, emit_calib_data: false }, sig(), randomChunks(S, 5, 500), { offline: true }).outputs.data);
    const all = only(feedChunks(artifactRemoval, PARAMS, sig(), [S], { offline: true }).outputs.data);
    const span = ref.calibrationSamples;
    expect(dropped.block.shape).toEqual([S - span, C]);
    expect(axisOf(dropped, 'time').timesMs[0]).toBe(axisOf(sig(), 'time').timesMs[span]);
    // the processor starts at the end of the calibration data: the filter state there is the one it carries on from
    let worst = 0;
    for (let i = 20 * fs * C; i < (S - span) * C; i++) worst = Math.max(worst, Math.abs(dropped.block.data[i] - all.block.data[span * C + i]));
    expect(worst).toBeLessThan(1e-6 * 800);
  });

  it('a non-streaming recording is its own calibration data (init_on = the first 20 s): the same output at once', () => {
    const s = sig();
    const whole = { block: s.block, props: { ...s.props, is_streaming: false } };
    const { node } = instantiate(artifactRemoval, { ...PARAMS, init_on: [0, ref.calibrationSamples / fs] });
    const out = only(node.process({ data: packet(whole) })!.data);
    expect(out.props.is_streaming).toBe(false);
    expect(referenceError(subsampled(out.block.data), expected, 'nmax')).toBeLessThan(1e-11);
    // streaming chunks afterwards are cleaned with that calibration, no buffering
    const next = node.process({ data: packet(s) });
    expect(only(next!.data).block.shape[0]).toBeGreaterThan(S - 200);
  });

  it('a recording shorter than calib_seconds calibrates on what there is at the end of an offline run, and says so', () => {
    const { outputs, logs } = feedChunks(artifactRemoval, { ...PARAMS, calib_seconds: 100 }, sig(), randomChunks(S, 6, 500), { offline: true });
    expect(only(outputs.data).block.shape).toEqual([S, C]);
    expect(logs.some((l) => l.level === 30 && /ended after 45.0 s, before calib_seconds \(100 s\)/.test(l.message))).toBe(true);
  });

  it('float32 in, float32 out; default use_clean_window runs clean_windows first', () => {
    const s = signalFromChannelMajor(stream, Float32Array.from(x), S, 0);
    const out = only(feedChunks(artifactRemoval, { calib_seconds: 45 }, s, randomChunks(S, 2, 400), { offline: true }).outputs.data);
    expect(out.block.data).toBeInstanceOf(Float32Array);
    expect(out.block.shape).toEqual([S, C]);
    // the bursts shrink
    const b = ref.artifacts[0];
    const t0 = Math.round(b.centreSeconds * fs);
    expect(Math.abs(out.block.data[t0 * C])).toBeLessThan(Math.abs(s.block.data[t0 * C]) / 4);
  });
});

describe('ArtifactRemoval parameters and ports', () => {
  it('refuses what it cannot honour, naming the parameter; accepts the saved defaults', () => {
    expect(() => instantiate(artifactRemoval, { use_legacy: true })).toThrow(/"use_legacy".*not supported/);
    expect(() => instantiate(artifactRemoval, { preserve_band: { low: 1 } })).toThrow(/"preserve_band"/);
    expect(() => instantiate(artifactRemoval, { stddev_cutoff: 3 })).toThrow(/"stddev_cutoff".*20 or 15/);
    expect(() => instantiate(artifactRemoval, { a: [1, 0.5] })).toThrow(/"a" and "b".*both or neither/);
    expect(() => instantiate(artifactRemoval, { lookahead: 1 })).toThrow(/"lookahead".*window_length\/2/);
    expect(() => instantiate(artifactRemoval, { step_size: 0 })).toThrow(/"step_size"/);
    expect(() => instantiate(artifactRemoval, { stddev_cutoff: 15, max_mem: 512, riemannian: true, use_legacy: false })).not.toThrow();
    const { node } = instantiate(artifactRemoval, { init_on: [0, 100] });
    const s = signalFromChannelMajor(makeStream(4, 100), new Float64Array(4 * 1000), 1000, 0, false);
    expect(() => node.process({ data: packet(s) })).toThrow(/"init_on" asks for 100 s of calibration data, but only 10.00 s/);
  });

  it('passes a stream with fewer than min_required_channels through untouched', () => {
    const s = signalFromChannelMajor(makeStream(1, 100), new Float64Array(100), 100);
    const { node } = instantiate(artifactRemoval);
    expect(only(node.process({ data: packet(s) })!.data)).toBe(s);
  });

  it('refuses segments at load with the reason', () => {
    const ex = new Execution(builtinRegistry());
    expect(() =>
      ex.load({
        format: 'neurotab.pipeline',
        version: 1,
        meta: { name: 't', description: '' },
        nodes: [
          { id: 'in', type: 'ImportFile' },
          { id: 'seg', type: 'Segmentation', params: { time_bounds: [0, 1] } },
          { id: 'asr', type: 'ArtifactRemoval' },
        ],
        edges: [
          { source: 'in', target: 'seg' },
          { source: 'seg', target: 'asr' },
        ],
      }),
    ).toThrow(/node "asr".*ArtifactRemoval.*instance × time × space.*put it before Segmentation/);
  });
});

describe('BadChannelRemoval node vs the clean_channels re-statement', needsShared, () => {
  const bc = JSON.parse(readFileSync(new URL('../../../../tests/ml/bad-channels-reference.json', import.meta.url), 'utf8'));
  const rec = hasShared ? readEdf(sharedBytes(bc.recording), 'S001R04.edf').streams[0] : null;
  const nc = rec?.descriptor.channels.length ?? 0;
  const N = rec ? rec.samples.length / nc : 0;
  const x = new Float64Array(N * nc);
  if (rec) {
    x.set(rec.samples);
    for (let n = 0; n < N; n++) {
      x[n * nc + bc.spoilt.uncorrelated.channel] = 40 * Math.sin(0.9 * n + 0.002 * n * n) + 30 * Math.cos(2.7 * n);
      x[n * nc + bc.spoilt.noisy.channel] += 60 * Math.sin((2 * Math.PI * 65 * n) / bc.sampleRateHz) + 40 * Math.sin((2 * Math.PI * 72.5 * n) / bc.sampleRateHz + 1);
    }
  }
  const labels = rec?.descriptor.channels.map((c) => c.label) ?? [];
  const space = spaceAxis(rec?.descriptor.channels ?? [], { positions: assignStandard1005(labels).positions });
  const st = makeStream(labels, bc.sampleRateHz);
  const sig = (streaming: boolean) => signalChunk(st, x, Float64Array.from({ length: N }, (_, i) => (i * 1000) / bc.sampleRateHz), { streaming, space });
  const params = { num_samples: bc.options.ransacSamples, subset_size: bc.options.subsetSize, calib_seconds: bc.seconds };
  const keptLabels = labels.filter((_, i) => !bc.removed.includes(i));

  it('a non-streaming recording: the removed channels are the re-statement\'s (init_on = its 60 s), the others copied exactly', () => {
    const { node, logs } = instantiate(badChannelRemoval, { ...params, init_on: [0, bc.seconds] });
    const out = only(node.process({ data: packet(sig(false)) })!.data);
    expect(axisOf(out, 'space').channels.map((c) => c.label)).toEqual(keptLabels);
    expect(out.block.shape).toEqual([N, keptLabels.length]);
    const kept = labels.flatMap((_, i) => (bc.removed.includes(i) ? [] : [i]));
    expect(Array.from(out.block.data.subarray(0, 2 * kept.length))).toEqual([0, 1].flatMap((n) => kept.map((c) => x[n * nc + c])));
    expect(logs.some((l) => l.level === 30 && new RegExp(`removing ${bc.removed.length} of 64`).test(l.message))).toBe(true);
  });

  it('streamed in any chunking: held for calib_seconds, then the same channels dropped from every sample', () => {
    const one = only(feedChunks(badChannelRemoval, params, sig(true), [N], { offline: true }).outputs.data);
    expect(axisOf(one, 'space').channels.map((c) => c.label)).toEqual(keptLabels);
    expect(one.block.shape).toEqual([N, keptLabels.length]);
    const many = only(feedChunks(badChannelRemoval, params, sig(true), randomChunks(N, 4, 2000), { offline: true }).outputs.data);
    expect(Array.from(many.block.data)).toEqual(Array.from(one.block.data));
    expect(Array.from(axisOf(many, 'time').timesMs)).toEqual(Array.from(axisOf(sig(true), 'time').timesMs));
    // nothing leaves before calib_seconds
    const { node } = instantiate(badChannelRemoval, params);
    const head = signalChunk(st, x.subarray(0, 100 * nc), Float64Array.from({ length: 100 }, (_, i) => i), { space });
    expect(node.process({ data: packet(head) })).toBeUndefined();
  });

  it('protect_channels keeps a bad channel; undocumented options are refused', () => {
    const prot = only(feedChunks(badChannelRemoval, { ...params, protect_channels: [labels[bc.spoilt.uncorrelated.channel]] }, sig(true), [N], { offline: true }).outputs.data);
    expect(axisOf(prot, 'space').channels.map((c) => c.label)).toContain(labels[bc.spoilt.uncorrelated.channel]);
    expect(axisOf(prot, 'space').channels).toHaveLength(keptLabels.length + 1);
    expect(() => instantiate(badChannelRemoval, { ignore_chanlocs: true })).toThrow(/"ignore_chanlocs".*needs the positions/);
    expect(() => instantiate(badChannelRemoval, { min_corr: 0.3 })).toThrow(/"min_corr".*not supported/);
    expect(() => instantiate(badChannelRemoval, { coords_override: 1 })).toThrow(/"coords_override"/);
    expect(() => instantiate(badChannelRemoval, { linenoise_aware: false, calib_seconds: 20, protect_channels: [3, 4, 18, 19] })).not.toThrow();
  });
});

describe('InterpolateMissingChannels node vs MNE', () => {
  const sp = JSON.parse(readFileSync(new URL('../../../../tests/dsp/spline-reference.json', import.meta.url), 'utf8'));
  const names: string[] = sp.names;
  const good = names.filter((n) => !sp.bads.includes(n));
  const n = 200;
  const sigOf = (i: number, t: number) => 1e-5 * Math.sin(2 * Math.PI * (3 + 0.5 * i) * (t / 100) + 0.3 * i) + 1e-6 * Math.cos(0.1 * i * t);
  const present = good.map((g) => names.indexOf(g));
  const x = Float64Array.from({ length: n * good.length }, (_, k) => sigOf(present[k % good.length], Math.floor(k / good.length)));
  const space = spaceAxis(good.map((label) => ({ label, unit: 'V', type: 'EEG' })), { positions: assignStandard1005(good).positions });
  const chunk = signalChunk(makeStream(good, 100), x, Float64Array.from({ length: n }, (_, i) => i * 10), { space });
  const desired = [...names].reverse().map((l, k) => (k % 2 ? l.toUpperCase() : l));

  it('missing channels = MNE\'s interpolation matrix (origin 0) times the present ones; present ones copied; labels in the desired order', () => {
    const { node } = instantiate(interpolateMissingChannels, { desired_channels: desired });
    const out = only(node.process({ data: packet(chunk) })!.data);
    const labels = axisOf(out, 'space').channels.map((c) => c.label);
    expect(labels.map((l) => l.toLowerCase())).toEqual(desired.map((l) => l.toLowerCase()));
    expect(out.block.shape).toEqual([n, names.length]);
    const D = names.length;
    for (const [r, bad] of (sp.bads as string[]).entries()) {
      const k = desired.findIndex((d) => d.toLowerCase() === bad.toLowerCase());
      const expected = Float64Array.from({ length: n }, (_, t) => (sp.matrixNoOrigin[r] as number[]).reduce((a, wgt, j) => a + wgt * x[t * good.length + j], 0));
      const got = Float64Array.from({ length: n }, (_, t) => out.block.data[t * D + k]);
      expect(referenceError(got, expected, 'nmax')).toBeLessThan(1e-9);
      expect(Array.from(axisOf(out, 'space').positions!.subarray(k * 3, k * 3 + 3))).toEqual(sp.positions[names.indexOf(bad)].map((v: number) => expect.closeTo(v, 12)));
    }
    const k = desired.findIndex((d) => d.toLowerCase() === 'fp1');
    expect(Array.from({ length: n }, (_, t) => out.block.data[t * D + k])).toEqual(Array.from({ length: n }, (_, t) => x[t * good.length]));
  });

  it('segments: every instance the same way; null passes through; refusals name what to change', () => {
    const { node } = instantiate(interpolateMissingChannels, { desired_channels: names });
    const one = only(node.process({ data: packet(chunk) })!.data);
    const seg = epochsChunk(makeStream(good, 100), [{ samples: Array.from(x.subarray(0, 100 * good.length)), timeMs: 0 }, { samples: Array.from(x.subarray(100 * good.length)), timeMs: 1000 }], 100);
    const segSpace = { ...seg, block: { ...seg.block, axes: [seg.block.axes[0], seg.block.axes[1], space] } };
    const out = only(node.process({ data: packet(segSpace) })!.data);
    expect(out.block.axes.map((a) => a.type)).toEqual(['instance', 'time', 'space']);
    expect(referenceError(out.block.data, one.block.data, 'nmax')).toBeLessThan(1e-6);
    const { node: pass } = instantiate(interpolateMissingChannels);
    expect(only(pass.process({ data: packet(chunk) })!.data)).toBe(chunk);
    const { node: odd } = instantiate(interpolateMissingChannels, { desired_channels: ['Fp1', 'Foo'] });
    expect(() => odd.process({ data: packet(chunk) })).toThrow(/"Foo" .*no standard 10-05 position.*remove them from desired_channels/);
    const { node: blind } = instantiate(interpolateMissingChannels, { desired_channels: names });
    expect(() => blind.process({ data: packet(signalChunk(makeStream(good, 100), x, axisOf(chunk, 'time').timesMs)) })).toThrow(/run AssignChannelLocations/);
    expect(() => instantiate(interpolateMissingChannels, { montage: 'biosemi64' })).toThrow(/"montage"/);
    expect(() => instantiate(interpolateMissingChannels, { min_ev: 0.1 })).toThrow(/"min_ev"/);
  });
});

describe('artifact-cleaning.pyp on S001R04 with two spoilt channels', needsShared, () => {
  it('loads through the registry, drops the spoilt channels, cleans, and restores all 64 in the desired order', () => {
    const bc = JSON.parse(readFileSync(new URL('../../../../tests/ml/bad-channels-reference.json', import.meta.url), 'utf8'));
    const text = readFileSync(new URL('../../../../tests/fixtures/pyp/artifact-cleaning.pyp', import.meta.url), 'utf8');
    const reg = builtinRegistry();
    const { doc } = pypToPipeline(parsePyp(text, 'artifact-cleaning.pyp'), registryResolver(reg));
    expect(doc.nodes.map((n) => reg.get(n.type).neuropype?.class)).toEqual(['ImportFile', 'AssignChannelLocations', 'RemoveUnlocalizedChannels', 'BadChannelRemoval', 'ArtifactRemoval', 'InterpolateMissingChannels']);
    const rec = readEdf(sharedBytes(bc.recording), 'S001R04.edf').streams[0];
    const nc = rec.descriptor.channels.length;
    const N = rec.samples.length / nc;
    const x = Float32Array.from(rec.samples);
    for (let n = 0; n < N; n++) {
      x[n * nc + bc.spoilt.uncorrelated.channel] = 40 * Math.sin(0.9 * n + 0.002 * n * n) + 30 * Math.cos(2.7 * n);
      x[n * nc + bc.spoilt.noisy.channel] += 60 * Math.sin((2 * Math.PI * 65 * n) / 160) + 40 * Math.sin((2 * Math.PI * 72.5 * n) / 160 + 1);
    }
    const ex = new Execution(reg);
    ex.load(doc);
    const ids = doc.nodes.map((n) => n.id);
    ex.bind(ids[0], { streams: [{ descriptor: rec.descriptor, samples: x, timestampsMs: rec.timestampsMs }], markers: [] });
    const taps: Record<string, ReturnType<typeof copyPacket>> = {};
    for (const id of ids.slice(3)) ex.tap(id, 'data', (p) => (taps[id] = copyPacket(p)));
    ex.runOffline();
    expect(ex.errors()).toEqual([]);
    const dropped = axisOf(only(taps[ids[3]]), 'space').channels.map((c) => c.label);
    const removed = rec.descriptor.channels.map((c) => c.label).filter((l) => !dropped.includes(l));
    expect(removed).toEqual(bc.removed.map((i: number) => bc.labels[i]));
    const cleaned = only(taps[ids[4]]);
    expect(cleaned.block.shape).toEqual([N, 64 - removed.length]);
    const out = only(taps[ids[5]]);
    const desired = doc.nodes[5].params.desired_channels as string[];
    expect(axisOf(out, 'space').channels.map((c) => c.label.replace(/\.+$/, '').toLowerCase())).toEqual(desired.map((d) => d.toLowerCase()));
    expect(out.block.shape).toEqual([N, 64]);
    expect(out.block.data.every(Number.isFinite)).toBe(true);
    // the uncorrelated channel comes back as the spline of its neighbours: it follows the original recording
    const k = desired.findIndex((d) => d.toLowerCase() === bc.labels[bc.spoilt.uncorrelated.channel].replace(/\.+$/, '').toLowerCase());
    const a = Float64Array.from({ length: N }, (_, n) => out.block.data[n * 64 + k]);
    const b = Float64Array.from({ length: N }, (_, n) => rec.samples[n * nc + bc.spoilt.uncorrelated.channel]);
    const mean = (v: Float64Array) => v.reduce((p, q) => p + q, 0) / v.length;
    const [ma, mb] = [mean(a), mean(b)];
    let sab = 0, saa = 0, sbb = 0;
    for (let n = 0; n < N; n++) {
      sab += (a[n] - ma) * (b[n] - mb);
      saa += (a[n] - ma) ** 2;
      sbb += (b[n] - mb) ** 2;
    }
    expect(sab / Math.sqrt(saa * sbb)).toBeGreaterThan(0.7);
  });
});
