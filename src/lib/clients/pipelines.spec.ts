import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { adaptForLive, examplePipelines, importPipelineText, libraryPath, liveRefusal, pypResolver, registry, wholeRecordingRefusal } from './pipelines';
import { arrivingKinds, Execution, parsePipelineDocument, PipelineError, type FrameReader } from '../engine/index';
import { framesView, makeStream } from '../engine/testing';
import { validatePipeline } from '../engine/share';
import { pipelineToPyp, writePyp } from '../formats/pyp';

const fixtureText = (name: string) => readFileSync(`tests/fixtures/pipelines/${name}`, 'utf8');

describe('pipelines client', () => {
  it('ships examples the engine accepts, each with something to inspect and a live input', () => {
    const ex = examplePipelines();
    expect(ex.map((e) => e.id)).toEqual(['example:alpha-beta', 'example:running-band-power', 'example:clean', 'example:epochs', 'example:fnirs-quality', 'example:fnirs-block-average', 'example:fnirs-glm']);
    for (const e of ex) {
      expect(e.doc.nodes.some((n) => n.type === 'io.inspect')).toBe(true);
      // the fNIRS examples read a recording (neurotab run on SNIRF files; adaptForLive turns it into the device)
      expect(e.doc.nodes.some((n) => n.type === (e.id.startsWith('example:fnirs') ? 'io.import-file' : 'io.stream-input'))).toBe(true);
    }
  });

  it('the running band-power example follows a 10 Hz rhythm every 50 ms: alpha far above beta', () => {
    const doc = examplePipelines().find((e) => e.id === 'example:running-band-power')!.doc;
    const fs = 500;
    const frames = 5 * fs;
    const x = new Float32Array(frames * 2);
    for (let n = 0; n < frames; n++) for (let c = 0; c < 2; c++) x[n * 2 + c] = 20 * Math.sin((2 * Math.PI * 10 * n) / fs + c) + 2 * Math.sin((2 * Math.PI * 21 * n) / fs);
    let pos = 0;
    const reader: FrameReader = {
      read(max, s, t) {
        const n = Math.min(max, frames - pos, 25);
        s.set(x.subarray(pos * 2, (pos + n) * 2));
        for (let i = 0; i < n; i++) t[i] = ((pos + i) * 1000) / fs;
        pos += n;
        return { frames: n, dropped: 0 };
      },
    };
    const ex = new Execution(registry, { info: { errorMode: 'stop' } });
    ex.load(doc);
    ex.bind('in', { descriptor: makeStream(2, fs), reader });
    const rows: number[][] = [];
    ex.tap('bands', 'data', (p) => {
      const f = framesView(p);
      for (let k = 0; k < f.frames; k++) rows.push(Array.from(f.samples.subarray(k * 4, k * 4 + 4)));
    });
    ex.play();
    while (pos < frames / 2) ex.step();
    // a live change that would break the node is refused with what is wrong; the run goes on
    expect(() => ex.setParams('bands', { window_length: 0.001 })).toThrow(/window_length of 0.001 seconds is 1 sample at 500 Hz; a spectrum needs at least 2/);
    expect(() => ex.setParams('bands', { step: 0 })).toThrow(/step of 0 seconds is shorter than one sample/);
    while (pos < frames) ex.step();
    expect(ex.errors()).toEqual([]);
    expect(rows.length).toBe(1 + Math.floor((frames - fs) / 25)); // the first after 1 s, then every 50 ms (25 samples)
    const [alpha, beta] = rows[rows.length - 1];
    expect(alpha / beta).toBeGreaterThan(20); // 20² / 2² = 100 in amplitude², less the filters' skirts
  });

  it('knows what reaches each node, so editors can hide parameters for other inputs', () => {
    const [alphaBeta, running] = examplePipelines();
    const k1 = arrivingKinds(alphaBeta.doc, registry);
    expect(k1.get('bands')?.data).toEqual(['spectrum']);
    expect(k1.get('windows')?.data).toEqual(['signal']);
    expect(k1.get('out')?.data).toEqual(['features']);
    expect(arrivingKinds(running.doc, registry).get('bands')?.data).toEqual(['signal']);
    const windowParam = registry.find('spectral.band-power')!.params.find((p) => p.name === 'window_length')!;
    expect(windowParam.inputKinds).toEqual(['signal']);
    // a cycle or an unknown class leaves the nodes behind it out, without throwing
    const broken = { ...alphaBeta.doc, nodes: [...alphaBeta.doc.nodes, { id: 'x', type: 'no.such', params: {} }], edges: [...alphaBeta.doc.edges, { source: 'bands', sourcePort: 'data', target: 'highpass', targetPort: 'data' }] };
    expect(arrivingKinds(broken, registry).has('bands')).toBe(false);
  });

  it('imports our JSON and names it after the file when it has no name', () => {
    const doc = JSON.parse(fixtureText('bandpower.json'));
    delete doc.meta;
    const r = importPipelineText(JSON.stringify(doc), 'my-bands.json');
    expect(r.doc.meta.name).toBe('my-bands');
    expect(r.doc.nodes.map((n) => n.id)).toEqual(['rec', 'highpass', 'pick', 'windows', 'psd', 'bands', 'out']);
  });

  it('imports a NeuroPype .pyp written from one of our pipelines with the same classes and parameters', () => {
    const doc = examplePipelines()[0].doc;
    const pyp = writePyp(pipelineToPyp(doc, pypResolver));
    expect(pyp).toContain('<scheme');
    const back = importPipelineText(pyp, 'alpha.pyp').doc;
    expect(back.nodes.map((n) => registry.find(n.type)!.type)).toEqual(doc.nodes.map((n) => n.type));
    const iir = back.nodes.find((n) => registry.find(n.type)!.type === 'filter.iir')!;
    expect(iir.params).toMatchObject({ frequencies: [1], mode: 'highpass', order: 2 });
    const bands = back.nodes.find((n) => n.type === 'spectral.band-power')!;
    expect(bands.params.bands).toEqual({ alpha: [8, 13], beta: [13, 30] });
    expect(back.edges).toHaveLength(doc.edges.length);
  });

  it('reports bad files precisely: JSON syntax, node and field', () => {
    expect(() => importPipelineText('{"nodes": [', 'x.json')).toThrow(/x\.json: unexpected end of input.*line 1, column 12/);
    const doc = JSON.parse(fixtureText('bandpower.json'));
    doc.nodes[4].params.scaling = 'loud';
    let err: unknown;
    try {
      importPipelineText(JSON.stringify(doc), 'bad.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).issues[0]).toMatchObject({ nodeId: 'psd' });
    expect((err as PipelineError).message).toMatch(/scaling.*"density", "spectrum".*"loud"/);
  });

  it('adapts an offline pipeline to the live stream: recording input → stream input, its markers → the marker bus', () => {
    const doc = parsePipelineDocument(fixtureText('motor-imagery-calibration.json'));
    const { doc: live, notes } = adaptForLive(doc);
    expect(live.nodes.find((n) => n.id === 'rec')!.type).toBe('io.stream-input');
    expect(live.nodes.find((n) => n.id === 'rec_markers')!.type).toBe('io.marker-input');
    expect(live.edges.find((e) => e.target === 'labels')).toMatchObject({ source: 'rec_markers', sourcePort: 'markers' });
    expect(notes).toHaveLength(2);
    expect(() => validatePipeline(live, registry)).not.toThrow();
    // The original is untouched.
    expect(doc.nodes[0].type).toBe('io.recording-input');
  });

  it('picks library file names that do not collide', () => {
    expect(libraryPath('Band power: alpha & beta', [])).toBe('band-power-alpha-beta.json');
    expect(libraryPath('x', ['x.json', 'x-2.json'])).toBe('x-3.json');
    expect(libraryPath('***', [])).toBe('pipeline.json');
  });
});

describe('liveRefusal: the fNIRS examples on a live stream', () => {
  const example = (id: string) => examplePipelines().find((e) => e.id === id)!.doc;
  const eeg = { id: 'synthetic-eeg', name: 'Synthetic EEG', kind: 'eeg' as const, sampleRateHz: 250, channels: Array.from({ length: 16 }, (_, i) => ({ label: `Ch${i + 1}`, unit: 'uV', type: 'EEG' })) };
  const nirs = { id: 'nirs', name: 'fNIRS cap', kind: 'fnirs' as const, sampleRateHz: 10, channels: ['S1_D1 760', 'S1_D1 850'].map((label) => ({ label, unit: 'V', type: 'NIRS_CW_AMPLITUDE' })) };

  it('refuses the block-average and GLM examples on any live stream, naming the whole-recording nodes and what to do instead', () => {
    for (const [id, last] of [['example:fnirs-block-average', '“blocks” (Block average)'], ['example:fnirs-glm', '“glm” (GLM (canonical HRF))']] as const)
      for (const stream of [eeg, nirs]) {
        const why = liveRefusal(example(id), stream)!;
        expect(why).toMatch(/runs on a recording, not on a live stream: its nodes “tddr” \(TDDR motion correction\), /);
        expect(why).toContain(last);
        expect(why).toMatch(/press “Run on recording”.*neurotab run/);
      }
  });

  it('wholeRecordingRefusal (the editor asks it before a live run) needs no stream: the offline-only examples, not the others', () => {
    expect(wholeRecordingRefusal(example('example:fnirs-glm'))).toMatch(/^“fNIRS GLM” runs on a recording, not on a live stream: .*\. Press “Run on recording”/);
    expect(wholeRecordingRefusal(example('example:fnirs-block-average'))).toMatch(/“blocks” \(Block average\)/);
    for (const id of ['example:fnirs-quality', 'example:alpha-beta', 'example:epochs']) expect(wholeRecordingRefusal(example(id))).toBeNull();
  });

  it('refuses "fNIRS quality" on a stream without fNIRS channels and lets it run on one with them; EEG examples run', () => {
    expect(liveRefusal(example('example:fnirs-quality'), eeg)).toBe('“fNIRS quality” works on fNIRS channels, and the live stream “Synthetic EEG” has none (16 EEG channels): connect an fNIRS device on the Devices page, or open the pipeline in the editor and run it on an fNIRS recording of your library.');
    expect(liveRefusal(example('example:fnirs-quality'), nirs)).toBeNull();
    expect(liveRefusal(example('example:alpha-beta'), eeg)).toBeNull();
  });
});
