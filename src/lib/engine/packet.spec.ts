// Packets of named chunks: selection (NeuroPype's enumerate_chunks criteria), the usual node body
// (mapChunks), joining and copying, our layouts (signal, markers) and their conversions to
// descriptors and ring frames, per-stream state, and the calibration helpers.
import { describe, expect, it } from 'vitest';
import { featureAxis, instanceAxis, MARKER, TARGET } from './axes';
import { makeBlock, sliceAlong } from './block';
import { ChunkModels, labelledCount, labelsOf } from './calibration';
import {
  chunkProps,
  concatPackets,
  copyPacket,
  descriptorOf,
  enumerateChunks,
  findFirstChunk,
  framesOf,
  mapChunks,
  markerChunk,
  markersOf,
  packetItems,
  StreamStates,
  withProps,
  type Chunk,
} from './packet';
import { kindOfChunk } from './shapes';
import { axisOf, epochsChunk, makeStream, signalFromChannelMajor } from './testing';

const stream = makeStream(['C3', 'C4'], 100);
const eeg = signalFromChannelMajor(stream, [1, 2, 3, 4, 5, 6], 3, 1000);
const events = [
  { timestampMs: 1005, value: 'left', durationMs: 500 },
  { timestampMs: 1020, value: 'right', target: 1 },
];
const markers = markerChunk(events);
const spectrum: Chunk = { block: makeBlock(new Float64Array(2), [featureAxis(['a', 'b'])]), props: chunkProps(stream, { is_signal: true, is_streaming: false }) };
const pkt = new Map<string, Chunk>([
  ['eeg', eeg],
  ['markers', markers],
  ['eeg-features', spectrum],
]);

describe('chunk selection (NeuroPype enumerate_chunks / find_first_chunk)', () => {
  const names = (q: Parameters<typeof enumerateChunks>[1]) => enumerateChunks(pkt, q).map(([n]) => n);
  it('by flags, axes, names and emptiness, in packet order', () => {
    expect(names({})).toEqual(['eeg', 'markers', 'eeg-features']);
    expect(names({ onlySignals: true })).toEqual(['eeg', 'eeg-features']);
    expect(names({ allowMarkers: false })).toEqual(['eeg', 'eeg-features']);
    expect(names({ onlyMarkers: true })).toEqual(['markers']);
    expect(names({ withAxes: ['time', 'space'] })).toEqual(['eeg']);
    expect(names({ withoutAxes: ['time'] })).toEqual(['markers', 'eeg-features']);
    expect(names({ withFlags: ['is_streaming'] })).toEqual(['eeg', 'markers']);
    expect(names({ withoutFlags: ['is_streaming'] })).toEqual(['eeg-features']);
    expect(names({ nameEquals: 'eeg' })).toEqual(['eeg']);
    expect(names({ nameStartsWith: 'eeg' })).toEqual(['eeg', 'eeg-features']);
    expect(names({ nameEndsWith: 'features' })).toEqual(['eeg-features']);
    expect(names({ nonempty: true, onlyMarkers: true })).toEqual(['markers']);
    expect(enumerateChunks(new Map([['m', markerChunk([])]]), { nonempty: true })).toEqual([]);
    expect(findFirstChunk(pkt, { withAxes: ['feature'] })?.[0]).toBe('eeg-features');
    expect(findFirstChunk(pkt, { withAxes: ['lag'] })).toBeUndefined();
  });

  it('mapChunks replaces the chunks it works on, passes the others, and drops what the node drops', () => {
    const out = mapChunks(pkt, { onlySignals: true, withAxes: ['time'] }, (c) => ({ block: { ...c.block, data: c.block.data.map((v) => -v) }, props: c.props }))!;
    expect([...out.keys()]).toEqual(['eeg', 'markers', 'eeg-features']);
    expect(Array.from(out.get('eeg')!.block.data)).toEqual([-1, -4, -2, -5, -3, -6]);
    expect(out.get('markers')).toBe(markers);
    expect([...mapChunks(pkt, { onlyMarkers: true }, () => undefined)!.keys()]).toEqual(['eeg', 'eeg-features']);
    expect(mapChunks(new Map([['eeg', eeg]]), {}, () => undefined)).toBeUndefined();
  });
});

describe('layouts and conversions', () => {
  it('a signal is time × space over the frame-major samples; as frames it is a view', () => {
    expect(eeg.block.axes.map((a) => a.type)).toEqual(['time', 'space']);
    expect(Array.from(eeg.block.data)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(eeg.props).toMatchObject({ is_signal: true, has_markers: false, is_streaming: true, source: { id: 'test', name: 'test', kind: 'eeg' } });
    const f = framesOf(eeg);
    expect(f.samples).toBe(eeg.block.data);
    expect([f.frames, f.width, Array.from(f.timestampsMs)]).toEqual([3, 2, [1000, 1010, 1020]]);
    expect(descriptorOf(eeg)).toEqual({ ...stream, sampleRateHz: 100 });
    expect(kindOfChunk('eeg', eeg)).toBe('signal');
  });

  it('a marker chunk is one instance axis (Marker, TargetValue, DurationMs), NaN data; events round-trip', () => {
    expect(markers.block.axes.map((a) => a.type)).toEqual(['instance']);
    expect(markers.block.data.every(Number.isNaN)).toBe(true);
    expect(markers.props).toMatchObject({ has_markers: true, is_signal: false });
    expect(markersOf(markers)).toEqual(events);
    expect(kindOfChunk('markers', markers)).toBe('markers');
  });

  it('segments as frames: one row per instance, the rest flattened; targets from the instances', () => {
    const ep = epochsChunk(stream, [{ samples: [1, 2, 3, 4], timeMs: 50, marker: 'a', target: 0 }, { samples: [5, 6, 7, 8], timeMs: 90, marker: 'b' }], 2);
    expect(kindOfChunk('eeg', ep)).toBe('epochs');
    const f = framesOf(ep);
    expect([f.frames, f.width, Array.from(f.timestampsMs)]).toEqual([2, 4, [50, 90]]);
    expect(descriptorOf(ep).channels.map((c) => c.label)).toEqual(['0 ms:C3', '0 ms:C4', '10 ms:C3', '10 ms:C4']);
    expect(descriptorOf(ep).sampleRateHz).toBe(0); // items are instances
    expect(labelsOf(ep, 'n')).toEqual(Float64Array.of(0, NaN));
    expect(labelledCount(ep)).toBe(1);
  });

  it('items: elements along the instance (else time) axis, summed over chunks', () => {
    expect(packetItems(pkt)).toBe(3 + 2 + 1);
  });

  it('concatPackets joins chunks of the same name along their item axis and appends the others; copyPacket copies what a source may reuse', () => {
    const a = new Map([['eeg', { block: sliceAlong(eeg.block, 0, 0, 1), props: eeg.props }]]);
    const b = new Map<string, Chunk>([
      ['eeg', { block: sliceAlong(eeg.block, 0, 1, 3), props: eeg.props }],
      ['markers', markers],
    ]);
    const j = concatPackets(a, b);
    expect([...j.keys()]).toEqual(['eeg', 'markers']);
    expect(Array.from(j.get('eeg')!.block.data)).toEqual(Array.from(eeg.block.data));
    expect(Array.from(axisOf(j.get('eeg')!, 'time').timesMs)).toEqual([1000, 1010, 1020]);
    const twice = concatPackets(new Map([['markers', markers]]), new Map([['markers', markers]]));
    expect(markersOf(twice.get('markers')!).map((e) => e.value)).toEqual(['left', 'right', 'left', 'right']);
    const c = copyPacket(pkt);
    expect(c.get('eeg')!.block.data).not.toBe(eeg.block.data);
    expect(axisOf(c.get('eeg')!, 'time').timesMs).not.toBe(axisOf(eeg, 'time').timesMs);
    expect(Array.from(c.get('eeg')!.block.data)).toEqual(Array.from(eeg.block.data));
  });
});

describe('StreamStates: per chunk name, kept while the stream continues', () => {
  it('keeps the state for new but equal axes, makes a new one for another layout, and one per name', () => {
    let made = 0;
    const states = new StreamStates(() => ({ n: made++ }));
    const first = states.get('eeg', eeg);
    expect(states.get('eeg', signalFromChannelMajor(makeStream(['C3', 'C4'], 100), [0, 0], 1))).toBe(first);
    expect(states.get('eeg-2', eeg)).not.toBe(first);
    const wider = states.get('eeg', signalFromChannelMajor(makeStream(['C3', 'C4', 'Cz'], 100), [0, 0, 0], 1));
    expect(wider).not.toBe(first);
    expect(made).toBe(3);
  });
});

describe('calibration helpers (NeuroPype learners)', () => {
  const labelled = (streaming: boolean, targets: number[]): Chunk => {
    const inst = instanceAxis(Float64Array.from(targets, (_, i) => i), { [MARKER]: targets.map((t) => (Number.isNaN(t) ? 'rest' : 'cue')), [TARGET]: Float64Array.from(targets) });
    return { block: makeBlock(new Float32Array(targets.length * 2), [inst, featureAxis(['a', 'b'])]), props: withProps(chunkProps(stream, { is_signal: true }), { is_streaming: streaming }) };
  };
  it('a model per chunk name, trained on non-streaming labelled chunks, once with initialize_once', () => {
    const once = new ChunkModels<string>({ initializeOnce: true });
    expect(once.wantsTraining('eeg', labelled(true, [0, 1]))).toBe(false); // live data does not train
    expect(once.wantsTraining('eeg', labelled(false, [NaN, NaN]))).toBe(false); // no labels
    expect(once.wantsTraining('eeg', labelled(false, [0, 1]))).toBe(true);
    once.set('eeg', 'model A');
    expect(once.fitted).toBe(true);
    expect(once.wantsTraining('eeg', labelled(false, [0, 1]))).toBe(false);
    expect(once.wantsTraining('eeg-2', labelled(false, [0, 1]))).toBe(true);
    const again = new ChunkModels<string>({ initializeOnce: false });
    again.set('eeg', 'model A');
    expect(again.wantsTraining('eeg', labelled(false, [0, 1]))).toBe(true);
    const copy = new ChunkModels<string>({ initializeOnce: true });
    copy.importModels(JSON.parse(JSON.stringify(once.exportModels())));
    expect(copy.get('eeg')).toBe('model A');
  });

  it('labelsOf says which field it looked in and which markers it saw', () => {
    expect(() => labelsOf(labelled(false, [NaN, NaN]), 'node "lr"')).toThrow(/node "lr": no instance carries a label in "TargetValue"; the instances' markers are "rest" — give AssignTargets a mapping/);
    expect(() => labelsOf(eeg, 'node "lr"')).toThrow(/no instance axis; segment it first/);
  });
});
