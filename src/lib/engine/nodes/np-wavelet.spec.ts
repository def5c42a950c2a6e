// ContinuousWaveletTransform node against MNE's tfr_array_morlet with NeuroPype's cmor parameters
// mapped as docs/neural.md says (tests/dsp/make-cwt-node-reference.py → cwt-node-reference.json);
// segments per instance, offline held streaming chunks, online refusal to guess, bad parameters.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceError } from '../../../../tests/support/shared';
import { axisOf, epochsChunk, feedChunks, instantiate, makeStream, only, packet, randomChunks } from '../testing';
import { signalChunk } from '../packet';
import { continuousWaveletTransform } from './np-wavelet';

const ref = JSON.parse(readFileSync(new URL('../../../../tests/dsp/cwt-node-reference.json', import.meta.url), 'utf8'));
const fs: number = ref.sampleRateHz;
const T: number = ref.samples;
const C: number = ref.channels;
const stream = makeStream(C, fs);
const frames = Float64Array.from({ length: T * C }, (_, i) => {
  const n = Math.floor(i / C);
  const c = i % C;
  return Math.sin((2 * Math.PI * (6 + 3 * c) * n) / fs) * Math.exp(-(((n - 320) / 160) ** 2)) + 0.3 * Math.cos((2 * Math.PI * 25 * n) / fs + c);
});
const times = Float64Array.from({ length: T }, (_, i) => (i * 1000) / fs);
const expected = (ref.magnitude as number[][][]).flat(2); // [channel][freq][every 8th sample]
const F: number = ref.freqs.length;
const pick = (data: ArrayLike<number>, offset = 0) => {
  const m = Math.ceil(T / ref.every);
  const got = new Float64Array(C * F * m);
  for (let c = 0; c < C; c++) for (let f = 0; f < F; f++) for (let k = 0; k < m; k++) got[(c * F + f) * m + k] = data[offset + ((k * ref.every) * C + c) * F + f];
  return got;
};

describe('ContinuousWaveletTransform node vs MNE tfr_array_morlet (cmor1.0-1.5, scales 10…39)', () => {
  const params = ref.params;
  it('a non-streaming signal: time × space × frequency magnitudes, frequencies C·fs/s', () => {
    const { node } = instantiate(continuousWaveletTransform, params);
    const out = only(node.process({ data: packet(signalChunk(stream, frames, times, { streaming: false })) })!.data);
    expect(out.block.axes.map((a) => a.type)).toEqual(['time', 'space', 'frequency']);
    expect(referenceError(axisOf(out, 'frequency').frequenciesHz, ref.freqs, 'abs')).toBeLessThan(1e-12);
    expect(referenceError(pick(out.block.data), expected, 'nmax')).toBeLessThan(1e-10);
  });

  it('segments: each instance on its own; streaming chunks of an offline run are held to the end', () => {
    const seg = epochsChunk(stream, [{ samples: frames, timeMs: 0 }, { samples: frames, timeMs: 9000 }], T);
    const { node } = instantiate(continuousWaveletTransform, params);
    const out = only(node.process({ data: packet(seg) })!.data);
    expect(out.block.shape).toEqual([2, T, C, F]);
    expect(referenceError(pick(out.block.data, T * C * F), expected, 'nmax')).toBeLessThan(1e-5); // float32 segments
    const held = only(feedChunks(continuousWaveletTransform, params, signalChunk(stream, frames, times), randomChunks(T, 4, 100), { offline: true }).outputs.data);
    expect(referenceError(pick(held.block.data), expected, 'nmax')).toBeLessThan(1e-10);
  });

  it('online continuous chunks give nothing and say what to do; bad parameters are refused by name', () => {
    const { node, logs } = instantiate(continuousWaveletTransform, params);
    expect(node.process({ data: packet(signalChunk(stream, frames, times)) })).toBeUndefined();
    expect(logs.some((l) => /put Segmentation/.test(l.message))).toBe(true);
    expect(() => instantiate(continuousWaveletTransform, { scale_range: [5, 2] })).toThrow(/"scale_range"/);
    expect(() => instantiate(continuousWaveletTransform, { wavelet: 'mexh' })).toThrow(/wavelet/);
    const { node: big } = instantiate(continuousWaveletTransform);
    expect(() => big.process({ data: packet(signalChunk(stream, frames.subarray(0, 200 * C), times.subarray(0, 200), { streaming: false })) })).toThrow(/longer segments/);
  });
});
