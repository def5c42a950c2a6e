import { describe, expect, it, vi } from 'vitest';
import { referenceArray, referenceError, referenceJson, needsShared } from '../../../tests/support/shared';
import { PipelineError, type PipelineDocumentInput } from './document';
import { builtinRegistry } from './nodes/index';
import { featureAxis } from './axes';
import { makeBlock, sameStream } from './block';
import { ChunkModels, labelsOf } from './calibration';
import { InputError } from '../core/errors';
import { BUILTIN_NODE_CLASSES } from './nodes/index';
import { itemsAndFeatures } from './nodes/ml';
import { NodeRegistry } from './registry';
import { concatPackets, copyPacket, mapChunks, type Packet } from './packet';
import { Execution } from './runtime';
import { axisOf, framesView, makeStream, signalFromChannelMajor, toChannelMajor } from './testing';
import type { NodeClass, RecordingSource } from './types';

const reg = builtinRegistry();

function doc(nodes: PipelineDocumentInput['nodes'], edges: PipelineDocumentInput['edges'] = []): PipelineDocumentInput {
  return { format: 'neurotab.pipeline', version: 1, meta: { name: 't', description: '' }, nodes, edges };
}

function loadError(d: unknown): PipelineError {
  const ex = new Execution(reg);
  try {
    ex.load(d);
  } catch (e) {
    expect(e).toBeInstanceOf(PipelineError);
    return e as PipelineError;
  }
  throw new Error('expected the load to fail');
}

/** A recording-like source from channel-major data. */
function recording(stream: ReturnType<typeof makeStream>, data: ArrayLike<number>, frames: number, markers: RecordingSource['markers'] = []): RecordingSource {
  const p = signalFromChannelMajor(stream, data, frames);
  return { streams: [{ descriptor: stream, samples: p.block.data as Float32Array, timestampsMs: axisOf(p, 'time').timesMs }], markers };
}

/** Collects (copies of) everything a node emits on a port. */
function collect(ex: Execution, nodeId: string, port = 'data'): () => Packet | undefined {
  let acc: Packet | undefined;
  ex.tap(nodeId, port, (p) => {
    const c = copyPacket(p);
    // a new layout (channels changed by a live edit) starts the collection afresh
    const same = acc && [...c].every(([name, x]) => !acc!.get(name) || sameStream(acc!.get(name)!.block, x.block));
    acc = acc && same ? concatPackets(acc, c) : c;
  });
  return () => acc;
}

describe('pipeline documents', () => {
  it('rejects unknown node types, naming the node and the field', () => {
    const e = loadError(doc([{ id: 'f', type: 'filter.nope' }]));
    expect(e.issues[0]).toMatchObject({ nodeId: 'f', path: 'nodes[0].type' });
    expect(e.message).toContain('unknown node type "filter.nope"');
  });

  it('rejects structural errors with the JSON path', () => {
    const e = loadError({ format: 'neurotab.pipeline', version: 1, nodes: [{ id: 'a b', type: 'filter.iir' }] });
    expect(e.issues[0].path).toBe('nodes[0].id');
    expect(loadError('{not json').message).toContain('not valid JSON');
    expect(loadError({ format: 'neurotab.pipeline', version: 7, nodes: [] }).message).toContain('newer than this engine');
  });

  it('migrates a bare {nodes, edges} object (version 0)', () => {
    const ex = new Execution(reg);
    ex.load({ nodes: [{ id: 'a', type: 'io.inspect' }], edges: [] });
    expect(ex.document?.format).toBe('neurotab.pipeline');
  });

  it('rejects parameters outside their domain, naming node and parameter', () => {
    const e = loadError(doc([{ id: 'bp', type: 'filter.iir', params: { order: 99 } }]));
    expect(e.issues[0].nodeId).toBe('bp');
    expect(e.message).toMatch(/order.*outside \[0, 25\]/);
    expect(loadError(doc([{ id: 'bp', type: 'filter.iir', params: { mode: 'band' } }])).message).toContain('expects one of');
    expect(loadError(doc([{ id: 'bp', type: 'filter.iir', params: { frequncies: [1, 2] } }])).message).toContain('unknown parameter "frequncies"');
    expect(loadError(doc([{ id: 'bp', type: 'filter.iir', params: { frequencies: [40, 1] } }])).message).toContain('must increase');
  });

  it('rejects dangling edges, unknown ports, double wiring, kind mismatches and cycles', () => {
    expect(loadError(doc([{ id: 'a', type: 'filter.iir' }], [{ source: 'a', target: 'zz' }])).message).toContain('target node "zz" does not exist');
    expect(loadError(doc([{ id: 'a', type: 'filter.iir' }, { id: 'b', type: 'filter.iir' }], [{ source: 'a', sourcePort: 'out', target: 'b' }])).message).toContain('has no output "out"');
    const two = doc(
      [
        { id: 'a', type: 'filter.iir' },
        { id: 'b', type: 'filter.iir' },
        { id: 'c', type: 'filter.iir' },
      ],
      [
        { source: 'a', target: 'c' },
        { source: 'b', target: 'c' },
      ],
    );
    expect(loadError(two).message).toContain('already has a connection');
    const kinds = doc(
      [
        { id: 'm', type: 'io.marker-input' },
        { id: 'f', type: 'filter.iir' },
      ],
      [{ source: 'm', sourcePort: 'markers', target: 'f' }],
    );
    const refused = loadError(kinds);
    expect(refused.issues[0]).toMatchObject({ nodeId: 'f', path: 'edges' });
    expect(refused.message).toContain('input "data" of IIRFilter (filter.iir) needs a data chunk (not markers) with a time axis');
    expect(refused.message).toContain('but m.markers carries markers: instance (markers); filters run along a time axis');
    const cyc = doc(
      [
        { id: 'a', type: 'filter.iir' },
        { id: 'b', type: 'filter.iir' },
      ],
      [
        { source: 'a', target: 'b' },
        { source: 'b', target: 'a' },
      ],
    );
    expect(loadError(cyc).message).toContain('cycle through nodes "a", "b"');
  });

  it('resolves NeuroPype class names', () => {
    const ex = new Execution(reg);
    ex.load(doc([{ id: 'f', type: 'IIRFilter', params: { frequencies: [8, 12], order: 2 } }]));
    expect(ex.nodeClass('f').type).toBe('filter.iir');
  });
});

describe('offline runs against SciPy (filtering.json)', needsShared, () => {
  const ref = referenceJson('filtering');
  const x = referenceArray(ref.inputs.x);
  const [C, N] = ref.inputs.x.shape as [number, number];
  const stream = makeStream(C, 250);
  const caseOf = (id: string) => (ref.cases as any[]).find((c) => c.id === id) ?? (ref.streaming as any[]).find((c) => c.id === id);

  function runChain(chunkFrames: number | number[], nodes: PipelineDocumentInput['nodes']): ReturnType<typeof framesView> {
    const ex = new Execution(reg);
    const ids = nodes.map((n) => n.id);
    const edges = [{ source: 'rec', target: ids[0] }, ...ids.slice(1).map((id, i) => ({ source: ids[i], target: id }))];
    ex.load(doc([{ id: 'rec', type: 'io.recording-input', params: { chunk_frames: typeof chunkFrames === 'number' ? chunkFrames : 1 } }, ...nodes], edges));
    const rec = recording(stream, x, N);
    if (Array.isArray(chunkFrames)) {
      // Irregular chunks: feed the recording in the reference's chunk sizes via a ring-like reader.
      let pos = 0;
      let i = 0;
      ex.load(doc([{ id: 'in', type: 'io.stream-input' }, ...nodes], [{ source: 'in', target: ids[0] }, ...edges.slice(1)]));
      const all = signalFromChannelMajor(stream, x, N);
      const allTimes = axisOf(all, 'time').timesMs;
      ex.bind('in', {
        descriptor: stream,
        reader: {
          read(_max: number, s: Float32Array, t: Float64Array) {
            if (i >= chunkFrames.length) return { frames: 0, dropped: 0 };
            const n = chunkFrames[i++];
            s.set(all.block.data.subarray(pos * C, (pos + n) * C));
            t.set(allTimes.subarray(pos, pos + n));
            pos += n;
            return { frames: n, dropped: 0 };
          },
        },
      });
      const got = collect(ex, ids.at(-1)!);
      ex.play();
      for (let k = 0; k < chunkFrames.length; k++) ex.step();
      return framesView(got());
    }
    ex.bind('rec', rec);
    const got = collect(ex, ids.at(-1)!);
    ex.runOffline();
    expect(ex.state().status).toBe('succeeded');
    return framesView(got());
  }

  const chainA: PipelineDocumentInput['nodes'] = [
    { id: 'bp', type: 'filter.iir', params: { frequencies: [1, 40], mode: 'bandpass', order: 4 } },
    { id: 'notch', type: 'filter.notch', params: { frequency: 50, quality: 30 } },
  ];

  it('IIR band-pass + notch = sosfilt(sos_A) within the f32 tolerance, and chunking does not matter', () => {
    const c = caseOf('sosfilt_A_zero');
    const expected = referenceArray(c.expected.y ?? c.expected);
    const whole = runChain(N, chainA);
    expect(whole.frames).toBe(N);
    expect(referenceError(toChannelMajor(whole.samples, N, C), expected, 'nmax')).toBeLessThan(c.tol.y?.f32 ?? c.tol.f32);
    const s = caseOf('stream_sosfilt_A_zero');
    const irregular = runChain(s.chunk_sizes, chainA);
    expect(Array.from(irregular.samples)).toEqual(Array.from(whole.samples));
    const small = runChain(7, chainA);
    expect(Array.from(small.samples)).toEqual(Array.from(whole.samples));
  });

  it('IIR high-pass from the step steady state = sosfilt(sos_B, zi·x0)', () => {
    const c = caseOf('sosfilt_B_zi');
    const expected = referenceArray(c.expected.y ?? c.expected);
    const got = runChain(caseOf('stream_sosfilt_B_zi').chunk_sizes, [{ id: 'hp', type: 'filter.iir', params: { frequencies: [1], mode: 'highpass', order: 2, initial_state: 'step' } }]);
    expect(referenceError(toChannelMajor(got.samples, N, C), expected, 'nmax')).toBeLessThan(c.tol.y?.f32 ?? c.tol.f32);
  });

  it('FIR (firwin 101 taps, hamming) = lfilter(b_FIR), chunked irregularly', () => {
    const c = caseOf('stream_lfilter_fir');
    const expected = referenceArray(c.expected.y);
    const got = runChain(c.chunk_sizes, [{ id: 'fir', type: 'filter.fir', params: { frequencies: [7, 30], mode: 'bandpass', order: 100, window: 'hamming' } }]);
    expect(referenceError(toChannelMajor(got.samples, N, C), expected, 'nmax')).toBeLessThan(c.tol.y.f32);
  });
});

describe('zero-phase offline (MNE check vector, eeg_csp_lda.json)', needsShared, () => {
  it('filter.iir offline_filtfilt with padlen 89 = MNE/SciPy sosfiltfilt on C3 of S001R04', () => {
    const ref = referenceJson('eeg_csp_lda');
    const cc = ref.filter.check_channel;
    const raw = referenceArray(cc.raw);
    const expected = referenceArray(cc.filtered);
    const stream = makeStream(['C3'], 160);
    const ex = new Execution(reg);
    ex.load(
      doc(
        [
          { id: 'rec', type: 'io.recording-input', params: { chunk_frames: 333 } },
          { id: 'bp', type: 'filter.iir', params: { frequencies: [7, 30], order: 4, offline_filtfilt: true, filtfilt_padlen: ref.filter.padlen } },
        ],
        [{ source: 'rec', target: 'bp' }],
      ),
    );
    ex.bind('rec', recording(stream, raw, raw.length));
    const got = collect(ex, 'bp');
    ex.runOffline();
    const y = framesView(got());
    expect(y.frames).toBe(raw.length);
    expect(referenceError(y.samples, expected, 'nmax')).toBeLessThan(cc.tol.filtered.f32);
  });
});

describe('runtime behaviour', () => {
  const stream = makeStream(['Fz', 'Cz', 'Pz', 'Oz'], 250);
  const N = 1000;
  const data = new Float64Array(4 * N).map((_, i) => Math.sin(i * 0.37) * 10 + (i % 7));

  function running(extra: PipelineDocumentInput['nodes'] = [], extraEdges: PipelineDocumentInput['edges'] = [], info = {}) {
    const ex = new Execution(reg, { info });
    ex.load(
      doc(
        [
          { id: 'rec', type: 'io.recording-input', params: { chunk_frames: 100 } },
          { id: 'bp', type: 'filter.iir', params: { frequencies: [1, 40], order: 2 } },
          { id: 'car', type: 'channels.rereference' },
          ...extra,
        ],
        [{ source: 'rec', target: 'bp' }, { source: 'bp', target: 'car' }, ...extraEdges],
      ),
    );
    ex.bind('rec', recording(stream, data, N));
    return ex;
  }

  it('counts items, calls and time per node, and logs with increasing ids', () => {
    const ex = running();
    ex.runOffline();
    const m = Object.fromEntries(ex.metrics().map((x) => [x.nodeId, x]));
    expect(m.bp.itemsIn).toBe(N);
    expect(m.car.itemsOut).toBe(N);
    expect(m.bp.calls).toBe(10);
    expect(m.bp.timeMs).toBeGreaterThanOrEqual(0);
    ex.runOffline(); // runs again from the start
    expect(ex.metrics().find((x) => x.nodeId === 'bp')!.itemsIn).toBe(2 * N);
    const logs = ex.logs();
    expect(logs.length).toBeGreaterThan(0);
    logs.forEach((r, i) => i && expect(r.id).toBeGreaterThan(logs[i - 1].id));
    expect(ex.logs(logs.at(-1)!.id)).toHaveLength(1);
  });

  it('changes a parameter while running; rejects an invalid one without disturbing the node', () => {
    const ex = running();
    ex.play();
    ex.step();
    expect(() => ex.setParam('bp', 'frequencies', [1, 200])).toThrow(/below Nyquist/);
    expect(ex.getParam('bp', 'frequencies')).toEqual([1, 40]);
    expect(() => ex.setParam('bp', 'order', -1)).toThrow(/outside/);
    ex.setParam('bp', 'frequencies', [2, 30]);
    expect(ex.getParam('bp', 'frequencies')).toEqual([2, 30]);
    expect(ex.step()).toBe(1);
    expect(ex.state().status).toBe('running');
    expect(() => ex.addEdge({ source: 'car', target: 'bp' })).toThrow(/already has a connection/);
    expect(() => ex.removeNode('nope')).toThrow(/no node/);
  });

  it('rejects a live change that would break a downstream node, leaving the running graph as it was', () => {
    const ex = new Execution(reg);
    ex.load(
      doc(
        [
          { id: 'rec', type: 'io.recording-input', params: { chunk_frames: 100 } },
          { id: 'pick', type: 'channels.select', params: { selection: ['Fz', 'Cz', 'Pz'] } },
          { id: 'ref', type: 'channels.rereference', params: { mode: 'channels', reference_channels: ['Cz'] } },
          { id: 'hp', type: 'filter.iir', params: { frequencies: [1], mode: 'highpass', order: 2 } },
        ],
        [
          { source: 'rec', target: 'pick' },
          { source: 'pick', target: 'ref' },
          { source: 'ref', target: 'hp' },
        ],
      ),
    );
    ex.bind('rec', recording(stream, data, N));
    const out = collect(ex, 'hp');
    ex.play();
    ex.step();
    expect(() => ex.setParam('pick', 'selection', ['Fz', 'Pz'])).toThrow(/node "ref".*would break this node.*"Cz" not in stream/);
    expect(ex.getParam('pick', 'selection')).toEqual(['Fz', 'Cz', 'Pz']);
    ex.setParam('pick', 'selection', ['Oz', 'Cz']);
    while (!ex.sourcesDone()) ex.step();
    expect(framesView(out()).labels).toEqual(['Oz', 'Cz']);
    expect(ex.errors()).toEqual([]);
  });

  it('configure sets ParameterPort values into the wired parameter, all-or-nothing', () => {
    const ex = running([{ id: 'pp', type: 'ParameterPort', params: { portname: 'band', value: [1, 40], value_type: 'list' } }], [{ source: 'pp', sourcePort: 'value', target: 'bp', targetPort: 'frequencies' }]);
    ex.play();
    ex.step();
    expect(ex.configure({ band: [8, 12], nope: 1 }).ignored).toEqual(['nope']);
    expect(ex.getParam('bp', 'frequencies')).toEqual([8, 12]);
    expect(() => ex.configure({ band: [8, 500] })).toThrow(/Nyquist/);
    expect(ex.getParam('bp', 'frequencies')).toEqual([8, 12]);
    expect(() => ex.configure({ band: 'x' })).toThrow(/expects a list/);
    expect(ex.logs().some((l) => l.level === 30 && l.message.includes('"nope"'))).toBe(true);
  });

  it('error_mode ignore logs and continues; stop halts with status failed', () => {
    for (const mode of ['ignore', 'stop', 'debug'] as const) {
      const ex = new Execution(reg, { info: { errorMode: mode, logLevel: 10 } });
      ex.load(
        doc(
          [
            { id: 'rec', type: 'io.recording-input', params: { chunk_frames: 100 } },
            { id: 'bp', type: 'filter.iir', params: { frequencies: [1, 200], order: 2 } },
          ],
          [{ source: 'rec', target: 'bp' }],
        ),
      );
      ex.bind('rec', recording(stream, data, N));
      ex.runOffline();
      expect(ex.state().had_errors).toBe(true);
      expect(ex.errors()[0]).toMatchObject({ nodeId: 'bp', nodeType: 'IIRFilter', fatal: mode !== 'ignore' });
      expect(ex.errors()[0].message).toContain('below Nyquist');
      expect(ex.metrics().find((m) => m.nodeId === 'bp')!.errors).toBe(mode === 'ignore' ? 10 : 1);
      expect(ex.errors()).toHaveLength(mode === 'ignore' ? 10 : 1);
      expect(ex.state().status).toBe(mode === 'ignore' ? 'succeeded' : 'failed');
      if (mode === 'debug') expect(ex.logs().some((l) => l.level === 10 && l.message.includes('at '))).toBe(true);
    }
  });

  it('a NaN burst does not poison the filter: later output is finite and a warning is logged', () => {
    const d = Float64Array.from(data);
    for (let i = 200; i < 210; i++) d[1 * N + i] = NaN;
    const ex = running();
    ex.bind('rec', recording(stream, d, N));
    const got = collect(ex, 'bp');
    ex.runOffline();
    const y = framesView(got());
    for (let n = 400; n < N; n++) expect(Number.isFinite(y.samples[n * 4 + 1])).toBe(true);
    expect(ex.logs().some((l) => l.level === 30 && l.message.includes('non-finite'))).toBe(true);
  });

  it('state() follows NeuroPype transitions', () => {
    const ex = running();
    expect(ex.state()).toMatchObject({ status: 'pending', running: false, paused: true });
    ex.play();
    expect(ex.state()).toMatchObject({ status: 'running', running: true, paused: false });
    ex.pause();
    expect(ex.state()).toMatchObject({ status: 'paused', running: true, paused: true });
    ex.resume();
    ex.stop();
    expect(ex.state()).toMatchObject({ status: 'stopped', running: false });
    expect(() => ex.pause()).toThrow(/cannot pause/);
  });
});

describe('calibration (collect labelled data from markers, fit, predict)', () => {
  const fs = 100;
  const stream = makeStream(['A', 'B'], fs);
  const trials = 40;
  const N = trials * 200 + 200;
  const data = new Float64Array(2 * N);
  const markers: RecordingSource['markers'] = [];
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 2;
  for (let n = 0; n < N; n++) {
    data[n] = rnd();
    data[N + n] = rnd();
  }
  for (let t = 0; t < trials; t++) {
    const cls = t % 2;
    const start = 100 + t * 200;
    markers.push({ timestampMs: (start * 1000) / fs, value: cls ? 'right' : 'left' });
    // class 0: strong 10 Hz on A; class 1: on B
    for (let n = start; n < start + 100; n++) data[cls * N + n] += 4 * Math.sin((2 * Math.PI * 10 * n) / fs);
  }

  const pipeline = (extra: Record<string, unknown> = {}) =>
    doc(
      [
        { id: 'rec', type: 'io.recording-input', params: { chunk_frames: 64 } },
        { id: 'targets', type: 'AssignTargets', params: { mapping: { left: 0, right: 1 } } },
        { id: 'epochs', type: 'Segmentation', params: { time_bounds: [0, 0.99] } },
        { id: 'var', type: 'Variance' },
        { id: 'log', type: 'Logarithm' },
        { id: 'clf', type: 'ml.class-mean', params: extra },
      ],
      [
        { source: 'rec', sourcePort: 'markers', target: 'targets' },
        { source: 'rec', target: 'epochs' },
        { source: 'targets', target: 'epochs', targetPort: 'markers' },
        { source: 'epochs', target: 'var' },
        { source: 'var', target: 'log' },
        { source: 'log', target: 'clf' },
      ],
    );

  it('offline: a first pass collects and fits, the second predicts the labels', () => {
    const ex = new Execution(reg);
    ex.load(pipeline());
    ex.bind('rec', recording(stream, data, N, markers));
    const got = collect(ex, 'clf');
    ex.runOffline();
    const p = framesView(got());
    expect(p.frames).toBe(trials);
    let correct = 0;
    for (let k = 0; k < p.frames; k++) if (p.samples[k * 3 + 2] === p.targets![k]) correct++;
    expect(correct).toBeGreaterThanOrEqual(trials - 2);
    const model = ex.exportModels().clf as { classes: number[] };
    expect(model.classes).toEqual([0, 1]);
    expect(ex.logs().some((l) => l.message.includes('fitted on 40 labelled items'))).toBe(true);
  });

  it('online: calibrating until min_trials per class, then predicting; fitting with one class is an error', () => {
    const ex = new Execution(reg);
    ex.load(pipeline({ min_trials: 5 }));
    ex.bind('rec', recording(stream, data, N, markers));
    const got = collect(ex, 'clf');
    ex.play();
    expect(ex.state()).toMatchObject({ status: 'calibrating', calibrating: true });
    while (!ex.sourcesDone()) ex.step();
    expect(ex.state().status).toBe('running');
    expect(framesView(got()).frames).toBe(trials - 10 + 1);

    const one = new Execution(reg);
    one.load(pipeline());
    one.bind('rec', recording(stream, data, N, markers.filter((m) => m.value === 'left')));
    one.runOffline();
    expect(one.errors()[0].message).toContain('at least 2 classes');
  });

  // A learner written the NeuroPype way on calibration.ts (what the LogisticRegression/LDA nodes will
  // look like): trains on non-streaming chunks that carry labels, one model per chunk name, predicts
  // on every chunk (the training chunk included), outputs nothing untrained.
  const nearestMean: NodeClass = {
    type: 'test.nearest-mean',
    package: 'ml',
    title: 'Nearest class mean (NeuroPype-style calibration)',
    version: '1.0.0',
    doc: 'Test learner: trains on non-streaming labelled instances, predicts the nearest class mean.',
    trainable: true,
    inputs: [{ name: 'data', title: 'Data', doc: 'Instances.', accepts: [{ onlySignals: true, withAxes: ['instance'] }] }],
    outputs: [{ name: 'data', title: 'Data', doc: 'Predicted class per instance.' }],
    params: [
      { name: 'initialize_once', title: 'Initialize once', type: 'bool', default: true, doc: 'Train once.' },
      { name: 'dont_reset_model', title: "Don't reset model", type: 'bool', default: false, doc: 'Keep the model when upstream changes.' },
    ],
    create(params, ctx) {
      const models = new ChunkModels<{ classes: number[]; means: number[][] }>({ initializeOnce: params.initialize_once as boolean });
      return {
        trainable: {
          keepOnUpstreamChange: params.dont_reset_model as boolean,
          get fitted() {
            return models.fitted;
          },
          collected: 0,
          fit() {
            throw new InputError('trains on non-streaming calibration data only', ctx.nodeId);
          },
          exportModel: () => models.exportModels(),
          importModel: (m) => models.importModels(m as never),
          clear: () => models.clear(),
        },
        process(inputs) {
          const out = mapChunks(inputs.data, { withAxes: ['instance'] }, (c, name) => {
            const { rows, width, data: x } = itemsAndFeatures(c);
            if (models.wantsTraining(name, c)) {
              const y = labelsOf(c, ctx.nodeId);
              const classes = [...new Set(Array.from(y).filter((v) => !Number.isNaN(v)))].sort();
              const means = classes.map((k) => {
                const m = new Array(width).fill(0);
                let n = 0;
                for (let i = 0; i < rows; i++) if (y[i] === k) for (let j = 0, n1 = ++n; j < width; j++) m[j] += (x[i * width + j] - m[j]) / n1;
                return m;
              });
              models.set(name, { classes, means });
            }
            const m = models.get(name);
            if (!m) return undefined; // untrained: nothing
            const pred = Float32Array.from({ length: rows }, (_, i) => {
              const d = m.means.map((mu) => mu.reduce((s, v, j) => s + (x[i * width + j] - v) ** 2, 0));
              return m.classes[d.indexOf(Math.min(...d))];
            });
            const inst = c.block.axes.find((a) => a.type === 'instance')!;
            return { block: makeBlock(pred, [inst, featureAxis(['class'])]), props: c.props };
          });
          return out ? { data: out } : undefined;
        },
        reset() {},
      };
    },
  };
  const withLearner = new NodeRegistry();
  for (const c of [...BUILTIN_NODE_CLASSES, nearestMean]) withLearner.register(c);
  const calibPipeline = (extra: Record<string, unknown> = {}, streamData = false) =>
    doc(
      [
        { id: 'xdf', type: 'ImportXDF' },
        ...(streamData ? [{ id: 'sd', type: 'StreamData' }] : []),
        { id: 'targets', type: 'AssignTargets', params: { mapping: { left: 0, right: 1 } } },
        { id: 'epochs', type: 'Segmentation', params: { time_bounds: [0, 0.99] } },
        { id: 'var', type: 'Variance', params: { axis: 'time' } },
        { id: 'log', type: 'Logarithm' },
        { id: 'clf', type: 'test.nearest-mean', params: extra },
      ],
      [
        { source: 'xdf', target: streamData ? 'sd' : 'targets' },
        ...(streamData ? [{ source: 'sd', target: 'targets' }] : []),
        { source: 'targets', target: 'epochs' },
        { source: 'epochs', target: 'var' },
        { source: 'var', target: 'log' },
        { source: 'log', target: 'clf' },
      ],
    );

  it('NeuroPype calibration: an imported recording (non-streaming, labelled) trains the learner, which then predicts it; the same data flagged streaming does not train', () => {
    const ex = new Execution(withLearner);
    ex.load(calibPipeline());
    ex.bind('xdf', recording(stream, data, N, markers));
    const got = collect(ex, 'clf');
    ex.play();
    expect(ex.state().status).toBe('calibrating');
    ex.runOffline({ calibration: 'online' });
    expect(ex.errors()).toEqual([]);
    const p = framesView(got());
    expect(p.frames).toBe(trials);
    let correct = 0;
    for (let k = 0; k < trials; k++) if (p.samples[k] === p.targets![k]) correct++;
    expect(correct).toBeGreaterThanOrEqual(trials - 2);
    expect(Object.keys(ex.exportModels().clf as object)).toEqual(['eeg']); // one model per chunk name

    const live = new Execution(withLearner);
    live.load(calibPipeline({}, true));
    live.bind('xdf', recording(stream, data, N, markers));
    const none = collect(live, 'clf');
    live.runOffline({ calibration: 'online' });
    expect(none()).toBeUndefined();
    expect(live.state().calibrating).toBe(false); // finished, but never fitted:
    expect(live.exportModels()).toEqual({});
  });

  it('a change upstream resets the model (NeuroPype), unless dont_reset_model; ml.class-mean keeps its own', () => {
    for (const keep of [false, true]) {
      const ex = new Execution(withLearner);
      ex.load(calibPipeline({ dont_reset_model: keep }));
      ex.bind('xdf', recording(stream, data, N, markers));
      ex.runOffline({ calibration: 'online' });
      expect(ex.nodeClass('clf').type).toBe('test.nearest-mean');
      expect(Object.keys(ex.exportModels())).toEqual(['clf']);
      ex.setParam('var', 'degrees_of_freedom', 1);
      expect(Object.keys(ex.exportModels())).toEqual(keep ? ['clf'] : []);
      if (!keep) expect(ex.logs().some((l) => l.nodeId === 'clf' && /graph upstream changed: model and calibration data reset/.test(l.message))).toBe(true);
      // a change elsewhere (downstream or beside) keeps it
    }
    const cm = new Execution(reg);
    cm.load(pipeline());
    cm.bind('rec', recording(stream, data, N, markers));
    cm.runOffline();
    cm.setParam('var', 'degrees_of_freedom', 1);
    expect(Object.keys(cm.exportModels())).toEqual(['clf']);
  });
});

describe('online mode', () => {
  it('processes ring data as it arrives, markers from a queue, and live graph edits keep other nodes running', async () => {
    const { Ring, RingReader, RingWriter } = await import('../streams/ring');
    const stream = makeStream(['C3', 'C4'], 100);
    const ring = Ring.create({ channels: 2, capacityFrames: 1024, shared: false });
    const writer = new RingWriter(ring);
    const ex = new Execution(reg, { info: { tickRateHz: 50 } });
    ex.load(
      doc(
        [
          { id: 'in', type: 'LSLInput' },
          { id: 'mk', type: 'io.marker-input' },
          { id: 'hp', type: 'filter.iir', params: { frequencies: [1], mode: 'highpass', order: 2 } },
          { id: 'ep', type: 'time.segmentation', params: { time_bounds: [0, 0.09] } },
          { id: 'probe', type: 'InspectData' },
        ],
        [
          { source: 'in', target: 'hp' },
          { source: 'hp', target: 'ep' },
          { source: 'mk', sourcePort: 'markers', target: 'ep', targetPort: 'markers' },
          { source: 'ep', target: 'probe' },
        ],
      ),
    );
    ex.bind('in', { descriptor: stream, reader: new RingReader(ring) });
    const hpOut = collect(ex, 'hp');
    const ac = new AbortController();
    const loop = ex.runOnline(ac.signal);
    const chunk = new Float32Array(20).map((_, i) => i);
    const ts = new Float64Array(10);
    for (let k = 0; k < 10; k++) {
      for (let i = 0; i < 10; i++) ts[i] = (k * 10 + i) * 10;
      writer.push(chunk, ts, 10);
      if (k === 3) ex.pushMarkers('mk', { timestampMs: 300, value: 'go' });
      if (k === 5) {
        ex.addNode({ id: 'abs', type: 'math.abs' });
        ex.addEdge({ source: 'hp', target: 'abs' });
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    // wait (bounded) until everything pushed has been processed, then stop the loop
    for (let i = 0; i < 500 && (ex.metrics().find((m) => m.nodeId === 'hp')?.itemsIn ?? 0) < 100; i++) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await loop;
    expect(framesView(hpOut()).frames).toBe(100);
    expect(ex.peek('probe')).toMatchObject({ kind: 'epochs', items: 1, latest: { frames: 10, marker: 'go' } });
    expect(ex.metrics().find((m) => m.nodeId === 'abs')!.itemsIn).toBeGreaterThan(0);
    // the filter kept its state across the edit: identical to an uninterrupted run
    const ref = new Execution(reg);
    ref.load(doc([{ id: 'rec', type: 'io.recording-input', params: { chunk_frames: 7 } }, { id: 'hp', type: 'filter.iir', params: { frequencies: [1], mode: 'highpass', order: 2 } }], [{ source: 'rec', target: 'hp' }]));
    const cm = new Float64Array(200);
    for (let n = 0; n < 100; n++) for (let c = 0; c < 2; c++) cm[c * 100 + n] = (n % 10) * 2 + c;
    ref.bind('rec', recording(stream, cm, 100));
    const refOut = collect(ref, 'hp');
    ref.runOffline();
    expect(Array.from(framesView(hpOut()).samples)).toEqual(Array.from(framesView(refOut()).samples));
  });

  it('keepalive: stops with a warning when not pinged for 5 s', () => {
    const ex = new Execution(reg);
    ex.load(doc([{ id: 'a', type: 'io.inspect' }]));
    ex.play();
    ex.setNeedsKeepalive(true);
    const realNow = performance.now.bind(performance);
    const start = realNow();
    const spy = vi.spyOn(performance, 'now').mockImplementation(() => start + 6000);
    try {
      expect(ex.state()).toMatchObject({ status: 'stopped', running: false, needs_keepalive: true });
    } finally {
      spy.mockRestore();
    }
    expect(ex.logs().some((l) => l.level === 30 && l.message === 'keepalive expired')).toBe(true);
  });
});

describe('online loop on a shared ring (blocking wait)', () => {
  it('processes every pushed frame, in order, same as a local ring with the asynchronous wait; stops on abort', async () => {
    const { Ring, RingReader, RingWriter } = await import('../streams/ring');
    const stream = makeStream(['C3', 'C4'], 100);
    const run = async (shared: boolean): Promise<ReturnType<typeof framesView>> => {
      const ring = Ring.create({ channels: 2, capacityFrames: 1024, shared });
      const writer = new RingWriter(ring);
      const ex = new Execution(reg, { info: { tickRateHz: 50 } });
      ex.load(doc([{ id: 'in', type: 'io.stream-input' }, { id: 'bp', type: 'filter.iir', params: { frequencies: [2, 20], order: 2 } }], [{ source: 'in', target: 'bp' }]));
      ex.bind('in', { descriptor: stream, reader: new RingReader(ring) });
      const out = collect(ex, 'bp');
      const ac = new AbortController();
      const loop = ex.runOnline(ac.signal, { blockMs: 3 });
      const chunk = new Float32Array(14);
      const ts = new Float64Array(7);
      for (let k = 0; k < 12; k++) {
        for (let i = 0; i < 7; i++) {
          const n = k * 7 + i;
          ts[i] = n * 10;
          chunk[2 * i] = Math.sin(n / 3);
          chunk[2 * i + 1] = n % 5;
        }
        writer.push(chunk, ts, 7);
        await new Promise((r) => setTimeout(r, 2));
      }
      for (let i = 0; i < 500 && (out() ? framesView(out()).frames : 0) < 84; i++) await new Promise((r) => setTimeout(r, 5));
      ac.abort();
      await loop;
      return framesView(out());
    };
    const blocking = await run(true);
    const asynchronous = await run(false);
    expect(blocking.frames).toBe(84);
    expect(Array.from(blocking.timestampsMs)).toEqual(Array.from({ length: 84 }, (_, n) => n * 10));
    expect(Array.from(blocking.samples)).toEqual(Array.from(asynchronous.samples));
  });
});

describe('yieldToEventLoop', () => {
  it('resolves in order through setImmediate, and through one reused MessageChannel where setImmediate is missing (browsers)', async () => {
    const { yieldToEventLoop } = await import('./runtime');
    const order: number[] = [];
    await Promise.all([yieldToEventLoop().then(() => order.push(1)), yieldToEventLoop().then(() => order.push(2))]);
    vi.stubGlobal('setImmediate', undefined);
    try {
      await Promise.all([yieldToEventLoop().then(() => order.push(3)), yieldToEventLoop().then(() => order.push(4))]);
    } finally {
      vi.unstubAllGlobals();
    }
    expect(order).toEqual([1, 2, 3, 4]);
  });
});
