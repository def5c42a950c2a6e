// The editor's run on a recording, on the shared EDF+ (S001R04: 64 ch, 160 Hz, 20 000 frames, 125 s,
// T0/T1/T2 annotations): the drawn chain (stream input → IIR → window → Welch → band power, markers
// from a marker input) reads the recording; every node and edge reports what passed; a band-pass
// above Nyquist is the node in error, with the engine's message, while the rest still runs.
import { describe, expect, it } from 'vitest';
import { builtinRegistry, emptyPipeline, type PipelineDocument } from '../../engine/index';
import { readEdf } from '../../formats/edf';
import { readSnirf } from '../../formats/snirf';
import { examplePipelines } from '../../clients/pipelines';
import { needsShared, sharedBytes } from '../../../../tests/support/shared';
import { adaptForRecording, runOnRecording } from './recording-run';

const registry = builtinRegistry();

function chain(band: [number, number]): PipelineDocument {
  const d = emptyPipeline('alpha');
  d.nodes = [
    { id: 'in', type: 'io.stream-input', params: {} },
    { id: 'marks', type: 'io.marker-input', params: {} },
    { id: 'bp', type: 'filter.iir', params: { frequencies: band, order: 2 } },
    { id: 'win', type: 'time.sliding-window', params: { window_length: 2, step: 0.5 } },
    { id: 'psd', type: 'spectral.welch', params: { segment_samples: 256, scaling: 'density' } },
    { id: 'bands', type: 'spectral.band-power', params: { bands: { alpha: [8, 13], beta: [13, 30] } } },
    { id: 'out', type: 'io.stream-output', params: { stream_name: 'bandpower', stream_type: 'Features' } },
    { id: 'ticks', type: 'io.inspect', params: {} },
  ];
  const e = (source: string, target: string) => ({ source, sourcePort: 'data', target, targetPort: 'data' });
  d.edges = [e('in', 'bp'), e('bp', 'win'), e('win', 'psd'), e('psd', 'bands'), e('bands', 'out'), e('marks', 'ticks')];
  return d;
}

describe('adaptForRecording', () => {
  it('replays the recording in place of the live input and takes the markers from it', () => {
    const { doc, notes } = adaptForRecording(chain([1, 40]), registry);
    expect(doc.nodes.find((n) => n.id === 'in')!.type).toBe('io.recording-input');
    expect(doc.nodes.some((n) => n.id === 'marks')).toBe(false);
    expect(doc.edges).toContainEqual({ source: 'in', sourcePort: 'markers', target: 'ticks', targetPort: 'data' });
    expect(notes.join('; ')).toMatch(/replays the recording.*markers come from the recording/);
  });
  it('refuses a pipeline without any input, saying what to add', () => {
    const d = emptyPipeline();
    d.nodes = [{ id: 'bp', type: 'filter.iir', params: {} }];
    expect(() => adaptForRecording(d, registry)).toThrow(/no input: add a stream input/);
  });
});

describe('runOnRecording (S001R04.edf)', needsShared, () => {
  const rec = readEdf(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf');

  it('reports per node and per edge what ran through the drawn chain', () => {
    const eeg = rec.streams.find((s) => s.descriptor.kind === 'eeg')!;
    expect(eeg.timestampsMs.length).toBe(20_000);
    const { report, seconds } = runOnRecording(chain([1, 40]), rec, registry);
    expect(seconds).toBeCloseTo(19_999 / 160, 3);
    // Every frame (and annotation) of the recording was replayed, every frame left the filter.
    expect(rec.markers.length).toBe(30);
    expect(report.nodes.in.metrics!.itemsOut).toBe(20_000 + 30);
    expect(report.nodes.bp.metrics!.itemsOut).toBe(20_000);
    for (const id of ['in', 'bp', 'win', 'psd', 'bands']) expect(report.nodes[id].error).toBeNull();
    // 2 s windows every 0.5 s over 125 s: about 247 windows (the first after 2 s).
    expect(report.nodes.bands.metrics!.itemsOut).toBeGreaterThan(240);
    expect(report.nodes.bands.metrics!.itemsOut).toBeLessThanOrEqual(250);
    const edge = (id: string) => report.edges.find((e) => e.source === id)!;
    expect(edge('in').kind).toBe('signal');
    expect(edge('in').itemsPerSecond).toBeCloseTo(160, 0);
    expect(edge('bands').bars!.map((b) => b.label)).toEqual(['alpha', 'beta']);
    expect(edge('bands').bars!.every((b) => b.value > 0)).toBe(true);
    // The marker input's edge now carries the recording's annotations.
    expect(report.edges.find((e) => e.source === 'in' && e.sourcePort === 'markers')!.ticks!.length).toBeGreaterThan(0);
    expect(report.nodes.marks.metrics).toBeNull();
    expect(report.state.completed).toBe(true);
  });

  it('a band-pass above Nyquist (80 Hz here) is the node in error, with the engine\'s message', () => {
    const { report } = runOnRecording(chain([70, 90]), rec, registry);
    expect(report.nodes.bp.error?.message).toMatch(/Nyquist|80/);
    expect(report.nodes.in.error).toBeNull();
    expect(report.nodes.in.metrics!.itemsOut).toBe(20_000 + 30);
  });
});

describe('runOnRecording: files the writers wrote (Simple_Probe.snirf, the "fNIRS quality" example)', needsShared, () => {
  it('keeps ExportCSV\'s sci.csv in memory: one row per 10 s window, one SCI in [−1, 1] per channel', async () => {
    const rec = await readSnirf(sharedBytes('data/snirf/Simple_Probe.snirf'), 'Simple_Probe.snirf');
    const doc = examplePipelines().find((e) => e.id === 'example:fnirs-quality')!.doc;
    const { report, files } = runOnRecording(doc, rec, registry);
    expect(report.nodes.csv.error).toBeNull();
    expect(files.map((f) => f.path)).toEqual(['sci.csv']);
    const [head, ...rows] = new TextDecoder().decode(files[0].bytes).trim().split('\n');
    expect(head.split(',')).toHaveLength(8 + 1);
    expect(rows).toHaveLength(12); // 1,200 frames at 10 Hz, 100 per window
    for (const r of rows) for (const v of r.split(',').slice(0, 8).map(Number)) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    // A chain without writers writes nothing.
    expect(runOnRecording(chain([1, 4]), rec, registry).files).toEqual([]);
  });
});
