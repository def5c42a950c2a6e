// NeuroPype formatting on the packet model: exact chunks, names, axes and data for MergeStreams,
// RenameStreams, ExtractStreams and SelectInstances; static shapes accepted/refused at load; bad
// parameters refused at load with node id and parameter.
import { describe, expect, it } from 'vitest';
import { MARKER, TARGET } from '../axes';
import { PipelineError, type PipelineDocumentInput } from '../document';
import { concatPackets, copyPacket, markerChunk, markersOf, signalChunk, type Chunk, type Packet } from '../packet';
import { Execution } from '../runtime';
import { markerShape, signalShape } from '../shapes';
import { referenceError } from '../../../../tests/support/shared';
import { axisOf, epochsChunk, instantiate, makeStream, packetSummary, rng, signalFromChannelMajor, slab, toChannelMajor } from '../testing';
import { builtinRegistry } from './index';
import { extractStreams, fuseStreams, mergeStreams, renameStreams, selectInstances } from './np-formatting';

const eeg = () => signalFromChannelMajor(makeStream(['C3', 'C4'], 250), Float64Array.from({ length: 20 }, (_, i) => i), 10);
const eye = () => signalFromChannelMajor(makeStream(['x', 'y'], 60, { kind: 'aux' }), new Float64Array(8), 4);
const marks = (...values: string[]) => markerChunk(values.map((value, i) => ({ timestampMs: 100 * (i + 1), value })));
const pk = (...entries: [string, Chunk][]): Packet => new Map(entries);
const range = (from: number, to: number, step: number) => Array.from({ length: Math.round((to - from) / step) + 1 }, (_, k) => from + k * step);

type N = PipelineDocumentInput['nodes'][number];
type E = NonNullable<PipelineDocumentInput['edges']>[number];
function load(nodes: N[], edges: E[] = []): Execution {
  const ex = new Execution(builtinRegistry());
  ex.load({ format: 'neurotab.pipeline', version: 1, meta: { name: 't', description: '' }, nodes, edges });
  return ex;
}
function loadError(nodes: N[], edges: E[] = []): string {
  try {
    load(nodes, edges);
  } catch (e) {
    expect(e).toBeInstanceOf(PipelineError);
    return (e as PipelineError).issues.map((i) => `${i.nodeId}: ${i.message}`).join('\n');
  }
  throw new Error('expected a refusal');
}

describe('MergeStreams', () => {
  it('every chunk of every input, in input order; a clash is kept under the next free name, or replaced with replace_if_exists', () => {
    const a = pk(['eeg', eeg()], ['markers', marks('a')]);
    const b = pk(['gaze', eye()], ['markers', marks('b')]);
    const out = instantiate(mergeStreams, {}).node.process({ data1: a, data2: b })!.outdata!;
    expect([...out.keys()]).toEqual(['eeg', 'markers', 'gaze', 'markers-2']);
    expect(out.get('eeg')).toBe(a.get('eeg'));
    expect(markersOf(out.get('markers-2')!).map((e) => e.value)).toEqual(['b']);
    const replaced = instantiate(mergeStreams, { replace_if_exists: true }).node.process({ data1: a, data2: b })!.outdata!;
    expect([...replaced.keys()]).toEqual(['eeg', 'markers', 'gaze']);
    expect(markersOf(replaced.get('markers')!).map((e) => e.value)).toEqual(['b']);
    // the static shape names the chunks the same way
    const shape = mergeStreams.outputs[0].shape!({ data1: [signalShape('eeg'), markerShape()], data2: [markerShape()] }, { replace_if_exists: false });
    expect(shape !== 'unknown' && shape.map((c) => c.name)).toEqual(['eeg', 'markers', 'markers-2']);
    const replacedShape = mergeStreams.outputs[0].shape!({ data1: [signalShape('eeg'), markerShape()], data2: [markerShape()] }, { replace_if_exists: true });
    expect(replacedShape !== 'unknown' && replacedShape.map((c) => c.name)).toEqual(['eeg', 'markers']);
    // an input that delivers nothing this step is skipped
    expect([...instantiate(mergeStreams, {}).node.process({ data2: b })!.outdata!.keys()]).toEqual(['gaze', 'markers']);
  });
  it('a signal and a separate marker stream merged feed Segmentation (accepted at load); an unknown sorting is refused', () => {
    const nodes: N[] = [{ id: 'lsl', type: 'LSLInput' }, { id: 'mk', type: 'io.marker-input' }, { id: 'm', type: 'MergeStreams' }, { id: 'seg', type: 'Segmentation', params: { time_bounds: [0, 1] } }];
    const edges: E[] = [
      { source: 'lsl', target: 'm', targetPort: 'data1' },
      { source: 'mk', sourcePort: 'markers', target: 'm', targetPort: 'data2' },
      { source: 'm', sourcePort: 'outdata', target: 'seg' },
    ];
    expect(() => load(nodes, edges)).not.toThrow();
    expect(loadError([{ id: 'm', type: 'MergeStreams', params: { sorting: 'alphabetic' } }])).toMatch(/^m: .*"sorting".*expects one of "input"/m);
  });
});

describe('RenameStreams', () => {
  it('renames by exact name or wildcard (first key wins); two chunks given one name keep both', () => {
    const input = pk(['PulsatingFrequencies', eeg()], ['eeg', eeg()], ['markers', marks('a')]);
    const out = instantiate(renameStreams, { name_changes: { PulsatingFrequencies: 'to-cca', 'e?g': 'to-cca', 'mark*': 'events' } }).node.process({ data: input })!.data!;
    expect([...out.keys()]).toEqual(['to-cca', 'to-cca-2', 'events']);
    expect(out.get('to-cca')).toBe(input.get('PulsatingFrequencies'));
    const py = instantiate(renameStreams, { name_changes: "{'eeg': 'EEG'}" }).node.process({ data: pk(['eeg', eeg()]) })!.data!;
    expect([...py.keys()]).toEqual(['EEG']);
  });
  it('static names follow the renaming: ImportXDF → RenameStreams(markers → events) → ExtractStreams(["markers"]) → RewriteMarkers is refused at load', () => {
    const msg = loadError(
      [{ id: 'x', type: 'ImportXDF' }, { id: 'r', type: 'RenameStreams', params: { name_changes: { markers: 'events' } } }, { id: 'e', type: 'ExtractStreams', params: { stream_names: ['markers'] } }, { id: 'rw', type: 'RewriteMarkers' }],
      [
        { source: 'x', target: 'r' },
        { source: 'r', target: 'e' },
        { source: 'e', target: 'rw' },
      ],
    );
    expect(msg).toMatch(/^rw: .*RewriteMarkers.*needs a marker chunk/m);
  });
  it('an empty new name is refused at load', () => {
    expect(loadError([{ id: 'r', type: 'RenameStreams', params: { name_changes: { eeg: '' } } }])).toMatch(/^r: .*"name_changes": the new name for "eeg" must be a non-empty string/m);
  });
});

describe('ExtractStreams', () => {
  const input = () => pk(['eeg', eeg()], ['eeg-2', eeg()], ['markers', marks('a')]);
  it('keeps the named chunks (wildcards with support_wildcards); null keeps all; none left gives nothing', () => {
    expect([...instantiate(extractStreams, { stream_names: ['markers'] }).node.process({ data: input() })!.data!.keys()]).toEqual(['markers']);
    expect([...instantiate(extractStreams, { stream_names: ['eeg*'], support_wildcards: true }).node.process({ data: input() })!.data!.keys()]).toEqual(['eeg', 'eeg-2']);
    expect(instantiate(extractStreams, { stream_names: ['eeg*'] }).node.process({ data: input() })).toBeUndefined();
    expect([...instantiate(extractStreams, {}).node.process({ data: input() })!.data!.keys()]).toEqual(['eeg', 'eeg-2', 'markers']);
  });
  it('ImportXDF → ExtractStreams(["eeg"]) → RewriteMarkers is refused at load (no marker chunk left); selection_criteria is refused', () => {
    const msg = loadError([{ id: 'x', type: 'ImportXDF' }, { id: 'e', type: 'ExtractStreams', params: { stream_names: ['eeg'] } }, { id: 'rw', type: 'RewriteMarkers' }], [
      { source: 'x', target: 'e' },
      { source: 'e', target: 'rw' },
    ]);
    expect(msg).toMatch(/^rw: .*needs a marker chunk/m);
    expect(loadError([{ id: 'e', type: 'ExtractStreams', params: { selection_criteria: { is_signal: true } } }])).toMatch(/^e: .*parameter "selection_criteria" .* is not supported/m);
  });
});

describe('SelectInstances', () => {
  const stream = makeStream(['C3', 'C4'], 100);
  const epochs = () =>
    epochsChunk(
      stream,
      ['eyes-closed', 'eyes-open', 'eyes-closed', 'blink'].map((marker, i) => ({ samples: Float32Array.from({ length: 6 }, () => i), timeMs: 1000 * i, marker, target: i % 2 })),
      3,
    );
  it('keeps marker events whose field matches (OR within a list), with all their fields', () => {
    const out = instantiate(selectInstances, { selection: { Marker: ['eyes-closed', 'blink'] } }).node.process({ data: pk(['markers', marks('eyes-closed', 'eyes-open', 'blink')]) })!.data!;
    expect(markersOf(out.get('markers')!).map((e) => [e.value, e.timestampMs])).toEqual([
      ['eyes-closed', 100],
      ['blink', 300],
    ]);
  });
  it('selects segments with their data; and / or across fields; invert; assign_target_value', () => {
    const run = (params: Record<string, unknown>) => instantiate(selectInstances, params).node.process({ data: pk(['eeg', epochs()]) })!.data!.get('eeg')!;
    const closed = run({ selection: "{'Marker': 'eyes-closed'}" });
    expect(closed.block.shape).toEqual([2, 3, 2]);
    expect(Array.from(axisOf(closed, 'instance').timesMs)).toEqual([0, 2000]);
    expect(Array.from(slab(closed, 1))).toEqual([2, 2, 2, 2, 2, 2]);
    expect(Array.from(axisOf(run({ selection: { Marker: 'eyes-closed', TargetValue: 1 } }), 'instance').timesMs)).toEqual([]);
    expect(Array.from(axisOf(run({ selection: { Marker: 'eyes-closed', TargetValue: 1 }, combine_selections: 'or' }), 'instance').timesMs)).toEqual([0, 1000, 2000, 3000]);
    expect(axisOf(run({ selection: { Marker: 'eyes-closed' }, invert_selection: true }), 'instance').fields[MARKER]).toEqual(['eyes-open', 'blink']);
    const relabelled = run({ selection: { Marker: 'blink' }, assign_target_value: 5 });
    expect(Array.from(axisOf(relabelled, 'instance').fields[TARGET] as Float64Array)).toEqual([5]);
    expect(relabelled.props.has_targets).toBe(true);
  });
  it('a field no instance has is an error naming the fields there are, also for a live edit before it is applied (check)', () => {
    expect(() => instantiate(selectInstances, { selection: { Condition: 'x' } }).node.process({ data: pk(['eeg', epochs()]) })).toThrow(/instance field "Condition", but chunk "eeg" has Marker, TargetValue/);
    const layouts = { data: [{ name: 'eeg', axes: epochs().block.axes, props: epochs().props }] };
    expect(() => instantiate(selectInstances, { selection: { Condition: 'x' } }).node.check!(layouts)).toThrow(/instance field "Condition"/);
    expect(() => instantiate(selectInstances, { selection: { Marker: 'x' } }).node.check!(layouts)).not.toThrow();
  });
  it('a continuous signal without instances is refused at load; undocumented options are refused', () => {
    expect(loadError([{ id: 'lsl', type: 'LSLInput' }, { id: 's', type: 'SelectInstances' }], [{ source: 'lsl', target: 's' }])).toMatch(/^s: .*SelectInstances.*needs a chunk with an instance axis/m);
    expect(loadError([{ id: 's', type: 'SelectInstances', params: { condition: 'TargetValue > 1' } }])).toMatch(/^s: .*parameter "condition"/m);
    expect(loadError([{ id: 's', type: 'SelectInstances', params: { drop_immediately: false } }])).toMatch(/^s: .*parameter "drop_immediately"/m);
  });
});

describe('FuseStreams', async () => {
  const ref = (await import('./fixtures/fuse-reference.json')).default;
  const kinds = ['eeg', 'aux'] as const;
  const streams = ref.streams.map((s, i) => {
    const t = Float64Array.from({ length: s.n }, (_, k) => s.t0 + k * s.step_ms + s.jitter * Math.sin(k));
    const C = s.freqs.length;
    const x = new Float32Array(s.n * C);
    for (let k = 0; k < s.n; k++) for (let c = 0; c < C; c++) x[k * C + c] = Math.sin(2 * Math.PI * s.freqs[c] * (t[k] / 1000)) * (c + 1);
    return { name: kinds[i], desc: makeStream(s.freqs.map((_, c) => `${kinds[i]}${c + 1}`), s.rate, { kind: kinds[i] }), t, x, C };
  });
  /** The streams cut at `bounds` (ms): one packet per step with each stream's samples in [prev, bound). */
  function packets(bounds: number[], streaming: boolean): Packet[] {
    let lo = -Infinity;
    return [...bounds, Infinity].map((hi) => {
      const p = new Map<string, Chunk>();
      for (const s of streams) {
        const idx = Array.from(s.t.keys()).filter((k) => s.t[k] >= lo && s.t[k] < hi);
        if (!idx.length) continue;
        p.set(s.name, signalChunk(s.desc, s.x.slice(idx[0] * s.C, (idx.at(-1)! + 1) * s.C), s.t.slice(idx[0], idx.at(-1)! + 1), { streaming }));
      }
      if (hi === Infinity) p.set('markers', marks('end'));
      lo = hi;
      return p;
    });
  }
  function fuse(ps: Packet[]) {
    const { node } = instantiate(fuseStreams, { srate: ref.srate, stream_name: 'fused' });
    let out: Packet | undefined;
    const spaces = new Set<unknown>();
    for (const p of ps) {
      const r = node.process({ data: p })?.data;
      if (r?.get('fused')) spaces.add(r.get('fused')!.block.axes[1]);
      if (r) out = out ? concatPackets(out, copyPacket(r)) : copyPacket(r);
    }
    expect(spaces.size, 'one space axis object for the whole stream').toBe(1);
    return out!;
  }
  it('equals numpy.interp of each stream on the common 100 Hz grid (EEG 250 Hz jittered + aux 60 Hz), channels concatenated', () => {
    const out = fuse(packets([], false));
    expect([...out.keys()]).toEqual(['fused', 'markers']);
    const f = out.get('fused')!;
    expect(f.block.axes.map((a) => a.type)).toEqual(['time', 'space']);
    expect(axisOf(f, 'space').channels.map((c) => c.label)).toEqual(['eeg1', 'eeg2', 'eeg3', 'aux1', 'aux2']);
    expect(axisOf(f, 'time').nominalRateHz).toBe(100);
    const T = ref.grid_ms.length;
    expect(f.block.shape).toEqual([T, 5]);
    expect(referenceError(axisOf(f, 'time').timesMs, Float64Array.from(ref.grid_ms), 'nmax')).toBeLessThan(1e-12);
    expect(referenceError(toChannelMajor(f.block.data, T, 5), Float64Array.from(ref.fused_channel_major), 'nmax')).toBeLessThan(1e-9);
  });
  it('gives the same samples whatever the chunking, live (streaming pieces) or whole', () => {
    const whole = fuse(packets([], false));
    for (const seed of [4, 5]) {
      const r = rng(seed);
      const bounds = Array.from({ length: 40 }, () => 1000 + r() * 3000).sort((a, b) => a - b);
      expect(packetSummary(new Map([['fused', fuse(packets(bounds, true)).get('fused')!]]))).toEqual(packetSummary(new Map([['fused', whole.get('fused')!]])));
    }
  });
  it('an equal but rebuilt descriptor continues the stream; another channel set starts that stream afresh (sameStream)', () => {
    const { node } = instantiate(fuseStreams, { srate: 100, stream_name: 'fused' });
    const piece = (labels: string[], t0: number) => signalFromChannelMajor(makeStream(labels, 100), new Float64Array(labels.length * 10).fill(labels.length), 10, t0);
    const a = node.process({ data: pk(['eeg', piece(['C3', 'C4'], 0)]) })!.data!.get('fused')!;
    const b = node.process({ data: pk(['eeg', piece(['C3', 'C4'], 100)]) })!.data!.get('fused')!;
    expect(Array.from(axisOf(b, 'time').timesMs)).toEqual(range(100, 190, 10));
    expect(axisOf(b, 'space')).toBe(axisOf(a, 'space'));
    const c = node.process({ data: pk(['eeg', piece(['C3', 'C4', 'Cz'], 200)]) })!.data!.get('fused')!;
    expect(axisOf(c, 'space').channels.map((x) => x.label)).toEqual(['C3', 'C4', 'Cz']);
    expect(Array.from(axisOf(c, 'time').timesMs)).toEqual(range(200, 290, 10));
    expect(Array.from(c.block.data.subarray(0, 3))).toEqual([3, 3, 3]);
  });
  it('segments are refused at load (fusing needs continuous signals)', () => {
    expect(loadError([{ id: 'x', type: 'ImportXDF' }, { id: 'seg', type: 'Segmentation', params: { time_bounds: [0, 1] } }, { id: 'f', type: 'FuseStreams' }], [
      { source: 'x', target: 'seg' },
      { source: 'seg', target: 'f' },
    ])).toMatch(/^f: .*FuseStreams.*without an instance axis/m);
  });
});
