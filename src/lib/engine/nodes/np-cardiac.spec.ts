// NeuroPype's HeartRate on R peaks of SciPy's electrocardiogram() (find_peaks, as committed by
// tests/dsp/make-signal-kernels-reference.py): the BPM windows of the reference, the same whether the
// peaks arrive at once or in random pieces, the output stream's name and axes; refusals.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceError } from '../../../../tests/support/shared';
import { instanceAxis, MARKER } from '../axes';
import { makeBlock } from '../block';
import { chunkProps, type Chunk, type Packet } from '../packet';
import { Execution } from '../runtime';
import { axisOf, instantiate, rng } from '../testing';
import { builtinRegistry } from './index';
import { heartRateNode } from './np-cardiac';

const ecg = JSON.parse(readFileSync(new URL('../../../../tests/dsp/signal-kernels-reference.json', import.meta.url), 'utf8')).ecg;
const peaksMs: number[] = (ecg.findPeaks as number[]).map((k) => (1000 * k) / ecg.sampleRateHz);
const peaks = (ms: number[]): Chunk => ({
  block: makeBlock(new Float64Array(ms.length).fill(NaN), [instanceAxis(Float64Array.from(ms), { [MARKER]: ms.map(() => 'R') })]),
  props: chunkProps({ id: 'ecg', name: 'ecg', kind: 'aux' }, { is_streaming: true }),
});

/** Feeds the peaks in pieces (sizes cycling through `sizes`), joining the "ecg-hr" rows. */
function feed(sizes: number[]): { timesMs: number[]; bpm: number[]; last?: Chunk } {
  const { node } = instantiate(heartRateNode, { window_length: 10, window_shift: 3 });
  const res = { timesMs: [] as number[], bpm: [] as number[], last: undefined as Chunk | undefined };
  for (let at = 0, k = 0; at < peaksMs.length; k++) {
    const n = sizes[k % sizes.length];
    const out = node.process({ data: new Map([['ecg-peaks', peaks(peaksMs.slice(at, at + n))]]) as Packet })?.data?.get('ecg-hr');
    at += n;
    if (!out) continue;
    res.last = out;
    res.timesMs.push(...axisOf(out, 'time').timesMs);
    res.bpm.push(...out.block.data);
  }
  return res;
}

describe('HeartRate', () => {
  it('gives the reference BPM windows (10 s, shift 3 s), in any piecing of the peaks', () => {
    const whole = feed([peaksMs.length]);
    const exp = ecg.heartRateSeconds_10_3 as number[][];
    expect(referenceError(Float64Array.from(whole.timesMs, (t) => t / 1000), Float64Array.from(exp, (w) => w[0]), 'abs')).toBeLessThan(1e-9);
    expect(referenceError(Float64Array.from(whole.bpm), Float64Array.from(exp, (w) => w[1]), 'abs')).toBeLessThan(1e-9);
    const r = rng(4);
    const pieces = feed(Array.from({ length: 40 }, () => 1 + Math.floor(r() * 9)));
    expect(pieces.timesMs).toEqual(whole.timesMs);
    expect(pieces.bpm).toEqual(whole.bpm);
    expect(pieces.last!.block.axes.map((a) => a.type)).toEqual(['time', 'feature']);
    expect(axisOf(pieces.last!, 'feature').names).toEqual(['HR']);
    expect(axisOf(pieces.last!, 'time').nominalRateHz).toBe(0);
  });

  it('refuses peaks that go back in time; at load, refuses a stream that is not "…-peaks"', () => {
    const { node } = instantiate(heartRateNode);
    node.process({ data: new Map([['ecg-peaks', peaks([1000, 2000])]]) });
    expect(() => node.process({ data: new Map([['ecg-peaks', peaks([1500])]]) })).toThrow(/R-peak times must increase/);
    const doc = { format: 'neurotab.pipeline', version: 1, nodes: [{ id: 'xdf', type: 'ImportXDF', params: { filename: 'x.xdf' } }, { id: 'hr', type: 'HeartRate' }], edges: [{ source: 'xdf', target: 'hr' }] };
    expect(() => new Execution(builtinRegistry()).load(doc)).toThrow(/node "hr".*HeartRate.*named "…-peaks".*RDetection output/);
  });
});
