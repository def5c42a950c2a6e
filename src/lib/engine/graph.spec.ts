// Port typing by what nodes accept: static shapes along NeuroPype-style chains; every edge NeuroPype
// accepts is accepted at load, every edge it refuses is refused with node id, class, the missing
// axis or chunk, and what to change; unknown shapes are checked on the first packet instead.
import { describe, expect, it } from 'vitest';
import type { PipelineDocumentInput } from './document';
import { parsePipelineDocument, PipelineError } from './document';
import { arrivingKinds, arrivingShapes, topologicalOrder } from './graph';
import { builtinRegistry } from './nodes/index';
import { NodeRegistry } from './registry';
import { Execution } from './runtime';
import { describeShape } from './shapes';
import { BUILTIN_NODE_CLASSES } from './nodes/index';
import { instantiate, makeStream, signalFromChannelMajor } from './testing';
import { selectChannels } from './nodes/channels';
import { markerChunk } from './packet';
import type { NodeClass } from './types';

const reg = builtinRegistry();
type N = PipelineDocumentInput['nodes'][number];
type E = NonNullable<PipelineDocumentInput['edges']>[number];

/** A chain: each node feeds the next on data; extra edges appended. */
function chain(nodes: N[], extra: E[] = []): PipelineDocumentInput {
  const edges: E[] = nodes.slice(1).map((n, i) => ({ source: nodes[i].id, target: n.id }));
  return { format: 'neurotab.pipeline', version: 1, meta: { name: 't', description: '' }, nodes, edges: [...edges, ...extra] };
}

function refusal(doc: PipelineDocumentInput): PipelineError {
  try {
    new Execution(reg).load(doc);
  } catch (e) {
    expect(e).toBeInstanceOf(PipelineError);
    return e as PipelineError;
  }
  throw new Error('expected the load to refuse the pipeline');
}

const lsl = { id: 'lsl', type: 'LSLInput' };
const lslMarkers = { id: 'lsl', type: 'LSLInput', params: { marker_query: "type='Markers'" } };
const xdf = { id: 'xdf', type: 'ImportXDF', params: { filename: 'calib.xdf' } };
const mk = { id: 'mk', type: 'io.marker-input' };
const seg = (id = 'seg') => ({ id, type: 'Segmentation', params: { time_bounds: [0.5, 3.5] } });

describe('edges NeuroPype accepts are accepted at load', () => {
  const accepted: [string, PipelineDocumentInput][] = [
    ['Segmentation → FIRFilter → Variance(time) → Logarithm → classifier (a filter along the time axis of each segment)', chain([lslMarkers, seg(), { id: 'fir', type: 'FIRFilter', params: { frequencies: [6, 8, 28, 32] } }, { id: 'var', type: 'Variance', params: { axis: 'time' } }, { id: 'log', type: 'Logarithm' }, { id: 'clf', type: 'ml.class-mean' }])],
    ['ImportXDF → IIRFilter → AssignTargets → Segmentation → WelchSpectrum → SelectRange(frequency, Hz) → band power (markers ride in the packet)', chain([xdf, { id: 'iir', type: 'IIRFilter', params: { frequencies: [1, 40] } }, { id: 'tg', type: 'AssignTargets', params: { mapping: { left: 0, right: 1 } } }, seg(), { id: 'psd', type: 'WelchSpectrum' }, { id: 'sel', type: 'SelectRange', params: { axis: 'frequency', unit: 'Hz', selection: '4...30' } }, { id: 'bp', type: 'spectral.band-power' }])],
    ['Segmentation → FIRFilter → Mean (instance): an ERP', chain([xdf, seg(), { id: 'fir', type: 'FIRFilter', params: { frequencies: [0.5, 1, 15, 16] } }, { id: 'erp', type: 'Mean' }, { id: 'plot', type: 'TimeSeriesPlot' }])],
    ['MovingWindow → MultitaperSpectrum → SelectRange(frequency) → Variance(frequency)', chain([lsl, { id: 'win', type: 'MovingWindow', params: { window_length: 2 } }, { id: 'mt', type: 'MultitaperSpectrum' }, { id: 'sel', type: 'SelectRange', params: { axis: 'frequency', unit: 'Hz', selection: '8...12' } }, { id: 'var', type: 'Variance', params: { axis: 'frequency' } }])],
    ['LSLInput → Rereferencing → SelectRange(space) → model → LSLOutput', chain([lsl, { id: 'car', type: 'Rereferencing' }, { id: 'pick', type: 'SelectRange', params: { selection: ['C3', 'C4'] } }, { id: 'out', type: 'LSLOutput' }])],
    ['marker stream → RewriteMarkers → AssignTargets → Segmentation.markers', chain([lsl, seg()], [
      { source: 'mk', sourcePort: 'markers', target: 'rw' },
      { source: 'rw', target: 'tg' },
      { source: 'tg', target: 'seg', targetPort: 'markers' },
    ])],
    ['Segmentation → Variance(time, force_feature_axis) → StreamData → InspectData', chain([xdf, seg(), { id: 'var', type: 'Variance', params: { axis: 'time', force_feature_axis: true } }, { id: 'sd', type: 'StreamData' }, { id: 'probe', type: 'InspectData' }])],
    ['SelectRange(frequency) before any spectrum: NeuroPype cuts only chunks with the axis, so the segments pass on to a filter', chain([xdf, seg(), { id: 'sel', type: 'SelectRange', params: { axis: 'frequency', unit: 'Hz', selection: '5:20' } }, { id: 'fir', type: 'FIRFilter' }])],
    ['a whole recording → Welch (time becomes frequency) → band power → CSV-like output', chain([xdf, { id: 'psd', type: 'WelchSpectrum' }, { id: 'bp', type: 'spectral.band-power' }, { id: 'out', type: 'LSLOutput' }])],
  ];
  for (const [label, doc] of accepted) {
    it(label, () => {
      if (doc.edges?.some((e) => e.source === 'mk')) doc.nodes.push(mk, { id: 'rw', type: 'RewriteMarkers', params: { rules: { '1': 'left' } } }, { id: 'tg', type: 'AssignTargets', params: { mapping: { left: 0 } } });
      expect(() => new Execution(reg).load(doc)).not.toThrow();
    });
  }

  it('SelectRange on an axis the data lacks passes that data on unchanged (shape and values)', () => {
    const doc = chain([lsl, { id: 'sel', type: 'SelectRange', params: { axis: 'frequency', unit: 'Hz', selection: '8...12' } }, { id: 'out', type: 'LSLOutput' }]);
    expect(describeShape(arrivingShapes(parsePipelineDocument(doc), reg).get('out')!.data)).toBe('(stream): time × space');
    const c = signalFromChannelMajor(makeStream(2, 100), Float64Array.from({ length: 20 }, (_, i) => i), 10);
    const out = instantiate(selectChannels, { axis: 'frequency', unit: 'Hz', selection: '8...12' }).node.process({ data: new Map([['eeg', c]]) });
    expect(out!.data!.get('eeg')).toBe(c);
  });

  it('the shapes each node sees: segments after Segmentation, a singleton time after Variance, instance × feature after the classifier', () => {
    const doc = chain([lslMarkers, seg(), { id: 'fir', type: 'FIRFilter', params: { frequencies: [6, 8, 28, 32] } }, { id: 'var', type: 'Variance', params: { axis: 'time' } }, { id: 'clf', type: 'ml.class-mean' }, { id: 'out', type: 'LSLOutput' }]);
    const parsed = parsePipelineDocument(doc);
    const shapes = arrivingShapes(parsed, reg);
    expect(describeShape(shapes.get('seg')!.data)).toBe('(stream): time × space; markers: instance (markers)');
    expect(describeShape(shapes.get('fir')!.data)).toBe('(stream): instance × time × space');
    expect(describeShape(shapes.get('var')!.data)).toBe('(stream): instance × time × space');
    expect(describeShape(shapes.get('clf')!.data)).toBe('(stream): instance × time (1) × space');
    expect(describeShape(shapes.get('out')!.data)).toBe('(stream): instance × feature');
    expect(arrivingKinds(parsed, reg).get('clf')!.data).toEqual(['features']);
    expect(arrivingKinds(parsed, reg).get('fir')!.data).toEqual(['epochs']);
  });
});

describe('edges NeuroPype refuses are refused at load, with node, class, what is missing and what to change', () => {
  const refused: [string, PipelineDocumentInput, string, RegExp][] = [
    ['markers into a filter', { ...chain([mk, { id: 'f', type: 'IIRFilter' }]), edges: [{ source: 'mk', sourcePort: 'markers', target: 'f' }] }, 'f', /input "data" of IIRFilter \(filter.iir\) needs a data chunk \(not markers\) with a time axis of more than one element, but mk.markers carries markers: instance \(markers\); filters run along a time axis/],
    ['a spectrum into a filter', chain([lsl, { id: 'win', type: 'MovingWindow' }, { id: 'psd', type: 'WelchSpectrum' }, { id: 'f', type: 'FIRFilter' }]), 'f', /FIRFilter \(filter.fir\) needs a data chunk \(not markers\) with a time axis of more than one element, but psd.data carries \(stream\): instance × space × frequency/],
    ['a variance over time into a filter (its time axis holds one element)', chain([xdf, seg(), { id: 'var', type: 'Variance' }, { id: 'f', type: 'IIRFilter' }]), 'f', /needs a data chunk \(not markers\) with a time axis of more than one element, but var.data carries \(stream\): instance × time \(1\) × space/],
    ['a continuous signal into Detrend (segments only)', chain([lsl, { id: 'd', type: 'filter.detrend' }]), 'd', /filter.detrend needs a data chunk \(not markers\) with a time axis of more than one element and an instance axis, but lsl.data carries \(stream\): time × space; segment the signal first/],
    ['segments into Resample (continuous only)', chain([xdf, seg(), { id: 'rs', type: 'Resample', params: { rate: 100 } }]), 'rs', /Resample \(filter.resample\) needs a data chunk \(not markers\) with a time axis of more than one element without an instance axis, but seg.data carries \(stream\): instance × time × space; resample the continuous signal before segmenting it/],
    ['segments into Segmentation', chain([xdf, seg('a'), seg('b')]), 'b', /Segmentation \(time.segmentation\) needs .* without an instance axis, but a.data carries \(stream\): instance × time × space/],
    ['a signal into RewriteMarkers', chain([lsl, { id: 'rw', type: 'RewriteMarkers' }]), 'rw', /RewriteMarkers \(markers.rewrite\) needs a marker chunk, but lsl.data carries \(stream\): time × space; wire a marker stream/],
    ['a continuous signal into AssignTargets (instances are what get targets)', chain([lsl, { id: 'tg', type: 'AssignTargets', params: { mapping: ['a'] } }]), 'tg', /AssignTargets \(markers.assign-targets\) needs a chunk with an instance axis, but lsl.data carries \(stream\): time × space; targets are given to instances/],
    ['Variance over an axis the data lacks', chain([lsl, { id: 'win', type: 'MovingWindow' }, { id: 'psd', type: 'WelchSpectrum' }, { id: 'var', type: 'Variance', params: { axis: 'time' } }]), 'var', /Variance \(math.variance\) needs a data chunk \(not markers\) with a time axis, but psd.data carries \(stream\): instance × space × frequency/],
    ['a continuous signal into an FFT of segments', chain([lsl, { id: 'fft', type: 'spectral.fft' }]), 'fft', /spectral.fft needs .* an instance axis, but lsl.data carries \(stream\): time × space/],
    ['epochs into the model deployment node (a continuous stream)', chain([xdf, seg(), { id: 'm', type: 'ml.model-predict' }]), 'm', /ml.model-predict needs a data chunk \(not markers\) with a time axis and a space axis without an instance axis, but seg.data carries/],
  ];
  for (const [label, doc, nodeId, message] of refused) {
    it(label, () => {
      const e = refusal(doc);
      const issue = e.issues.find((i) => i.nodeId === nodeId);
      expect(issue, e.message).toBeDefined();
      expect(issue!.message).toMatch(message);
      expect(e.message).toContain(`node "${nodeId}"`);
    });
  }

  it('values and data do not mix: a value into a data input, data into a parameter', () => {
    const pp = { id: 'pp', type: 'ParameterPort', params: { portname: 'band', value: [1, 40], value_type: 'list' } };
    const intoData: PipelineDocumentInput = { ...chain([pp, { id: 'f', type: 'IIRFilter' }]), edges: [{ source: 'pp', sourcePort: 'value', target: 'f', targetPort: 'data' }] };
    expect(refusal(intoData).message).toMatch(/workflow.parameter-port.value is a value, not data; wire it into a parameter of filter.iir/);
    const intoParam: PipelineDocumentInput = { ...chain([lsl, { id: 'f', type: 'IIRFilter' }]), edges: [{ source: 'lsl', target: 'f', targetPort: 'frequencies' }] };
    expect(refusal(intoParam).message).toMatch(/parameter "frequencies" of filter.iir can only be wired from a value output .* not lsl.data \(data\)/);
  });
});

describe('a shape known only once data flows is checked on the first packet, with the same message', () => {
  // a source that declares no output shape: what it emits is unknown until bound
  const opaque: NodeClass = {
    type: 'test.opaque-source',
    package: 'io',
    title: 'Opaque source',
    version: '1.0.0',
    doc: 'A test source whose output shape is unknown at load.',
    source: true,
    inputs: [],
    outputs: [{ name: 'data', title: 'Data', doc: 'Whatever is bound.' }],
    params: [],
    create: () => {
      let queue: unknown[] = [];
      return {
        bind: (b) => void (queue = [...(b as unknown[])]),
        pull: () => (queue.length ? { data: queue.shift() as never } : undefined),
        get done() {
          return queue.length === 0;
        },
        process: () => undefined,
        reset() {},
      };
    },
  };
  const r = new NodeRegistry();
  for (const c of [...BUILTIN_NODE_CLASSES, opaque]) r.register(c);
  const doc = chain([{ id: 'src', type: 'test.opaque-source' }, { id: 'f', type: 'IIRFilter', params: { frequencies: [1, 20] } }]);

  it('accepted at load; refused at the first packet that does not fit, then processed when it does', () => {
    const ex = new Execution(r, { info: { errorMode: 'ignore' } });
    expect(() => ex.load(doc)).not.toThrow();
    const good = new Map([['eeg', signalFromChannelMajor(makeStream(2, 100), new Float64Array(200), 100)]]);
    ex.bind('src', [new Map([['markers', markerChunk([{ timestampMs: 0, value: 'x' }])]]), good]);
    let out = 0;
    ex.tap('f', 'data', () => out++);
    ex.runOffline();
    expect(ex.errors()).toHaveLength(1);
    expect(ex.errors()[0]).toMatchObject({ nodeId: 'f', nodeType: 'IIRFilter' });
    expect(ex.errors()[0].message).toMatch(/input "data" of IIRFilter \(filter.iir\) needs a data chunk \(not markers\) with a time axis of more than one element, but src.data carries markers: instance \(markers\); filters run along a time axis/);
    expect(out).toBe(1);
  });
});

describe('one topological order for the compiler, the editors and arrivingShapes', () => {
  it('Kahn, stable in document order; nodes on or behind a cycle are set apart', () => {
    expect(topologicalOrder(['c', 'a', 'b'], [{ source: 'a', target: 'b' }])).toEqual({ order: ['c', 'a', 'b'], cyclic: [] });
    expect(topologicalOrder(['b', 'a'], [{ source: 'a', target: 'b' }])).toEqual({ order: ['a', 'b'], cyclic: [] });
    expect(topologicalOrder(['a', 'b', 'c', 'd'], [{ source: 'a', target: 'b' }, { source: 'b', target: 'c' }, { source: 'c', target: 'b' }, { source: 'c', target: 'd' }])).toEqual({ order: ['a'], cyclic: ['b', 'c', 'd'] });
    // edges to unknown nodes are ignored, a duplicate edge counts once
    expect(topologicalOrder(['a', 'b'], [{ source: 'a', target: 'b' }, { source: 'a', target: 'b' }, { source: 'x', target: 'a' }])).toEqual({ order: ['a', 'b'], cyclic: [] });
    // the compiler's plan follows it
    const ex = new Execution(reg);
    ex.load({ format: 'neurotab.pipeline', version: 1, nodes: [{ id: 'z', type: 'io.inspect' }, { id: 'f', type: 'IIRFilter' }, { id: 'in', type: 'LSLInput' }], edges: [{ source: 'in', target: 'f' }, { source: 'f', target: 'z' }] });
    expect(ex.metrics().map((m) => m.nodeId)).toEqual(['in', 'f', 'z']);
  });
});
