// NeuroPype utilities on the packet model: exact resulting blocks, axes and props for
// ShiftTimestamps, ExtractChannels, DiscardLongChunks, SetStreamProperties and HoldLastPacket;
// chunk invariance where they keep state; port typing and bad parameters refused at load.
import { describe, expect, it } from 'vitest';
import { featureAxis, instanceAxis, MARKER, TARGET } from '../axes';
import { makeBlock } from '../block';
import { PipelineError, type PipelineDocumentInput } from '../document';
import { chunkProps, markerChunk, markersOf, type Chunk, type Packet } from '../packet';
import { Execution } from '../runtime';
import { markerShape, signalShape } from '../shapes';
import { axisOf, epochsChunk, feedChunks, instantiate, makeStream, packetSummary, randomChunks, signalFromChannelMajor } from '../testing';
import { FILTER_LAG_META, firFilter, iirFilter, movingAverage } from './filters';
import { builtinRegistry } from './index';
import { discardLongChunks, extractChannels, holdLastPacket, setStreamProperties, shiftTimestamps } from './np-utilities';

const stream = makeStream(['C3', 'Cz', 'C4'], 250);
const N = 500;
const x = Float64Array.from({ length: 3 * N }, (_, i) => Math.sin(i * 0.37) * 10);
const sig = (t0 = 1000, streaming = true) => signalFromChannelMajor(stream, x, N, t0, streaming);
const events = [
  { timestampMs: 1100, value: 'left' },
  { timestampMs: 2100, value: 'right' },
];

function loadError(nodes: PipelineDocumentInput['nodes'], edges: PipelineDocumentInput['edges'] = []): string {
  try {
    new Execution(builtinRegistry()).load({ format: 'neurotab.pipeline', version: 1, meta: { name: 't', description: '' }, nodes, edges });
  } catch (e) {
    expect(e).toBeInstanceOf(PipelineError);
    return (e as PipelineError).issues.map((i) => `${i.nodeId}: ${i.message}`).join('\n');
  }
  throw new Error('expected a refusal');
}

describe('ShiftTimestamps', () => {
  it('adds offset (s) to a continuous time axis; the data, space axis and marker chunks are untouched unless include_markers', () => {
    const { node } = instantiate(shiftTimestamps, { offset: -0.043 });
    const input: Packet = new Map<string, Chunk>([
      ['eeg', sig()],
      ['markers', markerChunk(events)],
    ]);
    const out = node.process({ data: input })!.data!;
    const eeg = out.get('eeg')!;
    expect(Array.from(axisOf(eeg, 'time').timesMs)).toEqual(Array.from(axisOf(sig(), 'time').timesMs, (t) => t - 43));
    expect(eeg.block.data).toBe(input.get('eeg')!.block.data);
    expect(axisOf(eeg, 'space')).toBe(input.get('eeg')!.block.axes[1]);
    expect(out.get('markers')).toBe(input.get('markers'));
    const withMarkers = instantiate(shiftTimestamps, { offset: -0.043, include_markers: true }).node.process({ data: input })!.data!;
    expect(markersOf(withMarkers.get('markers')!).map((e) => e.timestampMs)).toEqual([1057, 2057]);
  });

  it('segmented data: the instance times move, the relative time axis stays', () => {
    const ep = epochsChunk(stream, [{ samples: new Float32Array(30), timeMs: 5000, marker: 'left' }], 10, -200);
    const out = instantiate(shiftTimestamps, { offset: 0.5 }).node.process({ data: new Map([['eeg', ep]]) })!.data!.get('eeg')!;
    expect(Array.from(axisOf(out, 'instance').timesMs)).toEqual([5500]);
    expect(axisOf(out, 'time')).toBe(ep.block.axes[1]);
    expect(axisOf(out, 'instance').fields[MARKER]).toEqual(['left']);
  });

  it('beginning_from_zero re-bases to the first stamp seen, the same in any chunking', () => {
    const one = feedChunks(shiftTimestamps, { beginning_from_zero: true, offset: 1 }, sig(7000), [N]).outputs.data;
    const many = feedChunks(shiftTimestamps, { beginning_from_zero: true, offset: 1 }, sig(7000), randomChunks(N, 3, 40)).outputs.data;
    expect(packetSummary(many)).toEqual(packetSummary(one));
    const t = axisOf(one!.get('eeg')!, 'time').timesMs;
    expect([t[0], t[1], t[N - 1]]).toEqual([1000, 1004, 1000 + (N - 1) * 4]);
  });

  it('compensate_filter_lag subtracts the delay upstream linear-phase filters recorded (FIR: order/2 samples, moving average: (N − 1)/2), once', () => {
    const through = (cls: typeof firFilter, params: Record<string, unknown>, c: Chunk) => instantiate(cls, params).node.process({ data: new Map([['eeg', c]]) })!.data!.get('eeg')!;
    const timesOf = (c: Chunk) => Array.from(axisOf(c, 'time').timesMs.subarray(0, 2));
    // 250 Hz: FIR order 50 → 25 samples = 100 ms; a 5-sample moving average → 2 samples = 8 ms
    const filtered = through(movingAverage, { window_length: 5, unit: 'samples' }, through(firFilter, { frequencies: [8, 30], order: 50 }, sig(1000)));
    expect(filtered.props.meta[FILTER_LAG_META]).toBeCloseTo(0.108, 12);
    const shifted = through(shiftTimestamps, { compensate_filter_lag: true, offset: 0.5 }, filtered);
    expect(timesOf(shifted)).toEqual([1000 + 500 - 108, 1004 + 500 - 108].map((t) => expect.closeTo(t, 9)));
    expect(timesOf(through(shiftTimestamps, { compensate_filter_lag: true }, shifted))).toEqual(timesOf(shifted));
    expect(timesOf(through(shiftTimestamps, { offset: 0.5 }, filtered))).toEqual([1500, 1504]);
    // an IIR filter records no delay (its group delay varies with frequency): nothing to subtract
    const iir = through(iirFilter, { frequencies: [8, 30] }, sig(1000));
    expect(iir.props.meta[FILTER_LAG_META]).toBeUndefined();
    expect(timesOf(through(shiftTimestamps, { compensate_filter_lag: true }, iir))).toEqual([1000, 1004]);
  });

  it('parameters it cannot honour are refused at load, naming the parameter', () => {
    expect(loadError([{ id: 'st', type: 'ShiftTimestamps', params: { use_time_axis: true } }])).toMatch(/"use_time_axis"/);
  });
});

describe('ExtractChannels', () => {
  it('reports the channel labels of the first data chunk with channels, or of the named one', () => {
    const { node } = instantiate(extractChannels, {});
    node.process({ data: new Map<string, Chunk>([['markers', markerChunk(events)], ['eeg', sig()]]) });
    expect(node.peek!()).toEqual({ stream: 'eeg', channel_names: ['C3', 'Cz', 'C4'] });
    const other = signalFromChannelMajor(makeStream(['Fp1', 'Fp2'], 250), new Float64Array(20), 10);
    const named = instantiate(extractChannels, { stream: 'eog' }).node;
    named.process({ data: new Map<string, Chunk>([['eeg', sig()], ['eog', other]]) });
    expect(named.peek!()).toEqual({ stream: 'eog', channel_names: ['Fp1', 'Fp2'] });
  });
  it('a marker stream (no channels) is refused at load with the reason', () => {
    expect(loadError([{ id: 'mk', type: 'io.marker-input' }, { id: 'ex', type: 'ExtractChannels' }], [{ source: 'mk', sourcePort: 'markers', target: 'ex' }])).toMatch(/^ex: .*ExtractChannels.*needs a data chunk \(not markers\) with a space axis/m);
  });
});

describe('DiscardLongChunks', () => {
  const predictions = (n: number): Chunk => ({
    block: makeBlock(new Float64Array(n * 3), [instanceAxis(Float64Array.from({ length: n }, (_, i) => i), { [TARGET]: new Float64Array(n) }), featureAxis(['p(0)', 'p(1)', 'predicted'])]),
    props: chunkProps({ id: 'p', name: 'p', kind: 'predictions' }, { is_signal: true }),
  });
  it('drops the long calibration prediction (90 trials) and passes the live ones (1 trial), threshold in items', () => {
    const { node } = instantiate(discardLongChunks, {});
    expect(node.process({ data: new Map([['eeg', predictions(90)]]) })).toBeUndefined();
    const live = new Map([['eeg', predictions(1)]]);
    expect(node.process({ data: live })!.data).toBe(live);
    expect(instantiate(discardLongChunks, { threshold: 10000 }).node.process({ data: new Map([['eeg', sig()]]) })!.data!.get('eeg')!.block.shape).toEqual([N, 3]);
    expect(instantiate(discardLongChunks, { threshold: 499 }).node.process({ data: new Map([['eeg', sig()]]) })).toBeUndefined();
  });
  it('entire_packet false drops only the long chunks', () => {
    const out = instantiate(discardLongChunks, { entire_packet: false }).node.process({ data: new Map<string, Chunk>([['eeg', predictions(90)], ['markers', markerChunk(events)]]) })!.data!;
    expect([...out.keys()]).toEqual(['markers']);
  });
});

describe('SetStreamProperties', () => {
  it('sets the flags on every chunk, or the named one, or only signals', () => {
    const input = new Map<string, Chunk>([['eeg', sig()], ['markers', markerChunk(events)]]);
    const all = instantiate(setStreamProperties, { properties: { has_markers: false, is_signal: true } }).node.process({ data: input })!.data!;
    expect([all.get('eeg')!.props.has_markers, all.get('markers')!.props.has_markers, all.get('markers')!.props.is_signal]).toEqual([false, false, true]);
    expect(all.get('markers')!.block).toBe(input.get('markers')!.block);
    const named = instantiate(setStreamProperties, { properties: "{'is_streaming': False}", stream_name: 'markers' }).node.process({ data: input })!.data!;
    expect([named.get('eeg')!.props.is_streaming, named.get('markers')!.props.is_streaming]).toEqual([true, false]);
    const signals = instantiate(setStreamProperties, { properties: { is_streaming: false }, only_signals: true }).node.process({ data: input })!.data!;
    expect([signals.get('eeg')!.props.is_streaming, signals.get('markers')!.props.is_streaming]).toEqual([false, true]);
  });
  it('the static shape carries the new flags (known where the chunk certainly matches, unknown where it may)', () => {
    const shape = setStreamProperties.outputs[0].shape!;
    const out = shape({ data: [signalShape(null, true), markerShape()] }, { properties: { has_markers: false }, stream_name: 'markers', only_signals: false });
    expect(out).not.toBe('unknown');
    const [eeg, mk] = out as Exclude<typeof out, 'unknown'>;
    expect(mk.flags.has_markers).toBe(false);
    expect('has_markers' in eeg.flags).toBe(false);
  });
  it('a property that is not a chunk flag is refused at load', () => {
    expect(loadError([{ id: 'ssp', type: 'SetStreamProperties', params: { properties: { colour: 'red' } } }])).toMatch(/^ssp: .*"colour" is not a chunk property that can be set here; use is_signal, has_markers/m);
  });
});

describe('HoldLastPacket', () => {
  it('passes non-empty packets and answers an empty one with a copy of the last non-empty one', () => {
    const { node } = instantiate(holdLastPacket, {});
    const first = new Map([['markers', markerChunk(events)]]);
    expect(node.process({ data: first })!.data).toBe(first);
    const empty = new Map([['markers', markerChunk([])]]);
    const held = node.process({ data: empty })!.data!;
    expect(markersOf(held.get('markers')!).map((e) => e.value)).toEqual(['left', 'right']);
    expect(held.get('markers')!.block.data).not.toBe(first.get('markers')!.block.data);
    node.reset();
    expect(node.process({ data: empty })!.data).toBe(empty);
  });
});
