// InsertMarkers: the exact markers inserted inside anchor-delimited spans (per second and in all),
// the same whatever the chunking (a span opened in one chunk and closed in a later one), other
// chunks untouched, and undocumented options refused at load.
import { describe, expect, it } from 'vitest';
import { PipelineError } from '../document';
import { markerChunk, markersOf } from '../packet';
import { Execution } from '../runtime';
import { feedChunks, instantiate, makeStream, randomChunks, signalFromChannelMajor } from '../testing';
import { builtinRegistry } from './index';
import { insertMarkers } from './np-markers';

const FS = 250;
const N = 30 * FS;
const sig = signalFromChannelMajor(makeStream(1, FS), new Float64Array(N), N);
const design = [
  { timestampMs: 1000, value: 'calibration-close' },
  { timestampMs: 5000, value: 'beep' },
  { timestampMs: 11000, value: 'calibration-open' },
  { timestampMs: 20000, value: 'calibration-close' },
  { timestampMs: 25500, value: 'calibration-open' },
];
const params = { anchor_marker: 'calibration-close', anchor_marker_B: 'calibration-open', time_limits: [0, -1], payload: 'eyes-closed', counting: 'persecond', count: 1 };
const range = (from: number, to: number, step: number) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, k) => from + k * step);

function inserted(p: Record<string, unknown>, sizes: number[]) {
  const out = feedChunks(insertMarkers, p, sig, sizes, { markers: design, markersIn: 'packet' }).outputs.data!;
  return { all: markersOf(out.get('markers')!), eeg: out.get('eeg')! };
}

describe('InsertMarkers (marker-spanned)', () => {
  it('one per second from each opening to one second before its closing, the end included, merged in time order', () => {
    const { all, eeg } = inserted(params, [N]);
    const want = [...range(1000, 10000, 1000), ...range(20000, 24500, 1000)];
    expect(all.filter((e) => e.value === 'eyes-closed').map((e) => e.timestampMs)).toEqual(want);
    expect(all.filter((e) => e.value !== 'eyes-closed').map((e) => e.value)).toEqual(design.map((e) => e.value));
    expect(all.map((e) => e.timestampMs)).toEqual([...all.map((e) => e.timestampMs)].sort((a, b) => a - b));
    expect(all.find((e) => e.value === 'eyes-closed')!.target).toBeUndefined();
    expect(eeg.block.shape).toEqual([N, 1]);
  });
  it('gives the same markers when the span opens in one chunk and closes in a later one (they arrive with the closing marker)', () => {
    const byTime = (es: ReturnType<typeof markersOf>) => [...es].sort((a, b) => a.timestampMs - b.timestampMs || a.value.localeCompare(b.value));
    const one = inserted(params, [N]).all;
    for (const seed of [1, 2, 3]) expect(byTime(inserted(params, randomChunks(N, seed, 900)).all)).toEqual(byTime(one));
  });
  it('4 per second, and "total" (count markers spread over the span)', () => {
    expect(inserted({ ...params, count: 4 }, [N]).all.filter((e) => e.value === 'eyes-closed').length).toBe(37 + 19);
    const total = inserted({ ...params, counting: 'total', count: 4 }, [N]).all.filter((e) => e.value === 'eyes-closed').map((e) => e.timestampMs);
    expect(total).toEqual([1000, 3250, 5500, 7750, 20000, 21125, 22250, 23375]);
  });
  it('without both anchors nothing is inserted, and the log says so', () => {
    const { node, logs } = instantiate(insertMarkers, { ...params, anchor_marker_B: '' });
    expect(logs.map((l) => l.message)).toEqual(['anchor_marker and anchor_marker_B are not both set: no span opens, no marker is inserted']);
    const mk = node.process({ data: new Map([['markers', markerChunk(design)]]) })!.data!;
    expect(markersOf(mk.get('markers')!)).toEqual(design);
  });
  it('a packet without markers passes unchanged', () => {
    const { node } = instantiate(insertMarkers, params);
    const p = new Map([['eeg', sig]]);
    expect(node.process({ data: p })!.data!.get('eeg')).toBe(sig);
    const mk = node.process({ data: new Map([['markers', markerChunk([{ timestampMs: 0, value: 'x' }])]]) })!.data!;
    expect(markersOf(mk.get('markers')!).map((e) => e.value)).toEqual(['x']);
  });
  it('refuses at load: random placement, a fractional total, other undocumented options', () => {
    const err = (p: Record<string, unknown>) => {
      try {
        new Execution(builtinRegistry()).load({ format: 'neurotab.pipeline', version: 1, nodes: [{ id: 'ins', type: 'InsertMarkers', params: p }], edges: [] });
      } catch (e) {
        expect(e).toBeInstanceOf(PipelineError);
        return (e as PipelineError).issues.map((i) => `${i.nodeId}: ${i.message}`).join('\n');
      }
      return '';
    };
    expect(err({ ...params, placement: 'random' })).toMatch(/^ins: .*parameter "placement" = "random" is not supported/m);
    expect(err({ ...params, counting: 'total', count: 2.5 })).toMatch(/"count" must be a whole number/);
    expect(err({ ...params, except_markers: ['blink'] })).toMatch(/"except_markers"/);
    expect(err({ ...params, mode: 'fixed-rate' })).toMatch(/"mode".*expects one of "marker-spanned"/);
  });
});
