// The engine worker driven through its message protocol in Node (shared rings, BroadcastChannel
// marker bus): the live chain as a pipeline gives the fixed band-pass + notch cascade's output; a
// user pipeline runs beside it with reports, output rings, live parameter changes and markers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamDescriptor } from '../src/lib/core/stream';
import { butter, concatSos, iirnotchSos, SosFilter } from '../src/lib/dsp/index';
import { Ring, RingReader, RingWriter } from '../src/lib/streams/ring';
import { publishMarkers } from '../src/lib/core/markers';
import type { InspectSnapshot } from '../src/lib/engine/index';
import type { EngineEvent, EngineRequest, PipelineReport } from './protocol';
import { until } from '../tests/support/until';

const events: EngineEvent[] = [];
let send: (req: EngineRequest) => void;

const CH = 4;
const FS = 250;
const descriptor: StreamDescriptor = {
  id: 'synthetic',
  name: 'Synthetic',
  kind: 'eeg',
  sampleRateHz: FS,
  channels: ['O1', 'O2', 'C3', 'C4'].map((label) => ({ label, unit: 'uV', type: 'EEG' })),
} as StreamDescriptor;
const raw = Ring.create({ channels: CH, capacityFrames: FS * 20, shared: true });
const filtered = Ring.create({ channels: CH, capacityFrames: FS * 20, shared: true });
const rawWriter = new RingWriter(raw);
const filteredReader = new RingReader(filtered, { from: 'oldest' });
let framesWritten = 0;

/** Test signal: 10 Hz (amplitude 20) + 50 Hz mains (amplitude 10) + DC offset 30, per channel scaled. */
function signal(from: number, frames: number, alphaAmp = 20): { s: Float32Array; t: Float64Array } {
  const s = new Float32Array(frames * CH);
  const t = new Float64Array(frames);
  for (let i = 0; i < frames; i++) {
    const n = from + i;
    t[i] = 1_700_000_000_000 + (n * 1000) / FS;
    for (let c = 0; c < CH; c++) s[i * CH + c] = (c + 1) * (alphaAmp * Math.sin((2 * Math.PI * 10 * n) / FS) + 10 * Math.sin((2 * Math.PI * 50 * n) / FS) + 30);
  }
  return { s, t };
}

function write(frames: number, alphaAmp = 20): void {
  for (let done = 0; done < frames; ) {
    const n = Math.min(37, frames - done);
    const { s, t } = signal(framesWritten, n, alphaAmp);
    rawWriter.push(s, t, n);
    framesWritten += n;
    done += n;
  }
}

const lastReport = (runId: number): PipelineReport | undefined =>
  (events.filter((e) => e.type === 'pipeline-report' && e.runId === runId).at(-1) as Extract<EngineEvent, { type: 'pipeline-report' }> | undefined)?.report;

beforeAll(async () => {
  const self = { postMessage: (e: EngineEvent) => void events.push(structuredClone(e)), onmessage: null as null | ((ev: { data: EngineRequest }) => void) };
  (globalThis as { self?: unknown }).self = self;
  await import('./engine.worker');
  send = (req) => self.onmessage!({ data: req });
  send({ type: 'start', descriptor, source: { kind: 'shared', buffer: raw.buffer as SharedArrayBuffer }, sink: { kind: 'shared', buffer: filtered.buffer as SharedArrayBuffer }, filter: { bandHz: [1, 40], notchHz: 50 } });
  expect(events.some((e) => e.type === 'started')).toBe(true);
});

afterAll(() => {
  send({ type: 'stop' });
  rawWriter.close();
});

describe('engine worker', () => {
  it('the live chain (a pipeline) writes what the fixed band-pass + notch cascade computes', async () => {
    write(FS * 4);
    const out = new Float32Array(FS * 4 * CH);
    const ts = new Float64Array(FS * 4);
    let got = 0;
    await until(() => {
      const r = filteredReader.read(FS * 4 - got, out.subarray(got * CH), ts.subarray(got));
      got += r.frames;
      return got >= FS * 4;
    }, 'filtered frames');
    // Reference: the cascade the worker used before pipelines (order-4 Butterworth 1–40 Hz, Q=30 notch at 50 and 100 Hz), one call.
    const sos = concatSos(butter(4, [1, 40], 'bandpass', FS), iirnotchSos(50, 30, FS), iirnotchSos(100, 30, FS));
    const { s, t } = signal(0, FS * 4);
    const expected = new Float32Array(s.length);
    new SosFilter(sos, CH, { initialState: 'step' }).process(s, expected);
    let maxErr = 0;
    for (let i = 0; i < expected.length; i++) maxErr = Math.max(maxErr, Math.abs(out[i] - expected[i]));
    expect(maxErr).toBeLessThan(1e-3);
    expect(Array.from(ts)).toEqual(Array.from(t));
    // The 10 Hz component passes (amplitude ≈ 20·(c+1)), the 50 Hz mains and the DC are gone.
    const last = out.subarray(FS * 3 * CH);
    let peak = 0;
    for (let i = 0; i < FS; i++) peak = Math.max(peak, Math.abs(last[i * CH]));
    expect(peak).toBeGreaterThan(18);
    expect(peak).toBeLessThan(21);
  });

  it('runs a user pipeline beside it: band power in reports, an output ring, live parameters within their domain, markers from the bus', async () => {
    const doc = {
      format: 'neurotab.pipeline',
      version: 1,
      meta: { name: 'alpha' },
      nodes: [
        { id: 'in', type: 'io.stream-input' },
        { id: 'mk', type: 'io.marker-input' },
        { id: 'win', type: 'time.sliding-window', params: { window_length: 1, step: 0.25 } },
        { id: 'psd', type: 'spectral.welch', params: { segment_samples: 250 } },
        { id: 'bands', type: 'spectral.band-power', params: { bands: { alpha: [8, 12], beta: [13, 30] } } },
        { id: 'probe', type: 'io.inspect' },
        { id: 'markers', type: 'io.inspect' },
        { id: 'out', type: 'io.stream-output' },
      ],
      edges: [
        { source: 'in', target: 'win' },
        { source: 'win', target: 'psd' },
        { source: 'psd', target: 'bands' },
        { source: 'bands', target: 'probe' },
        { source: 'bands', target: 'out' },
        { source: 'mk', sourcePort: 'markers', target: 'markers' },
      ],
    };
    send({ type: 'run-pipeline', runId: 7, doc });
    expect(events.some((e) => e.type === 'pipeline-started' && e.runId === 7)).toBe(true);
    write(FS * 2);
    const snap = await until(() => (lastReport(7)?.inspect.probe as InspectSnapshot | null) ?? undefined, 'band power');
    expect(snap.channels).toEqual(['O1:alpha', 'O1:beta', 'O2:alpha', 'O2:beta', 'C3:alpha', 'C3:beta', 'C4:alpha', 'C4:beta']);
    const v = snap.latest as number[];
    // A 10 Hz sine of amplitude A has power A²/2 (Parseval); Hann-windowed Welch keeps most of it within 8–12 Hz.
    for (let c = 0; c < CH; c++) {
      const a = 20 * (c + 1);
      expect(v[2 * c]).toBeGreaterThan(0.8 * (a * a) / 2);
      expect(v[2 * c]).toBeLessThan(1.05 * (a * a) / 2);
      expect(v[2 * c + 1]).toBeLessThan(0.01 * v[2 * c]);
    }
    // Its stream-output node got a ring with 8 feature channels.
    const output = events.find((e) => e.type === 'pipeline-output' && e.runId === 7) as Extract<EngineEvent, { type: 'pipeline-output' }>;
    expect(output.descriptor.channels).toHaveLength(8);
    expect(output.source.kind).toBe('shared');

    // Outside the domain: refused, the run goes on.
    send({ type: 'set-pipeline-params', runId: 7, requestId: 1, nodeId: 'psd', values: { segment_samples: 1 } });
    const refused = events.find((e) => e.type === 'pipeline-params' && e.requestId === 1) as Extract<EngineEvent, { type: 'pipeline-params' }>;
    expect(refused.ok).toBe(false);
    expect(refused.message).toMatch(/segment_samples.*outside \[2,/);
    // A valid change applies live: the alpha band narrowed to 11–12 Hz loses most of the 10 Hz power.
    send({ type: 'set-pipeline-params', runId: 7, requestId: 2, nodeId: 'bands', values: { bands: { alpha: [11, 12], beta: [13, 30] } } });
    const ok = events.find((e) => e.type === 'pipeline-params' && e.requestId === 2) as Extract<EngineEvent, { type: 'pipeline-params' }>;
    expect(ok.ok).toBe(true);
    expect(ok.params?.bands).toEqual({ alpha: [11, 12], beta: [13, 30] });
    const before = events.length;
    write(FS * 2);
    await until(() => {
      const r = events.slice(before).filter((e) => e.type === 'pipeline-report').at(-1) as Extract<EngineEvent, { type: 'pipeline-report' }> | undefined;
      const s = r?.report.inspect.probe as InspectSnapshot | null | undefined;
      return s && (s.latest as number[])[0] < 0.5 * v[0];
    }, 'narrower alpha band');

    // Markers published on the bus reach the marker input.
    publishMarkers([{ timestampMs: 1_700_000_000_000 + (framesWritten * 1000) / FS, value: 'stim/left' }], 'test');
    await new Promise((r) => setTimeout(r, 50));
    write(10);
    const m = await until(() => (lastReport(7)?.inspect.markers as InspectSnapshot | null) ?? undefined, 'markers');
    expect((m.latest as { value: string }[]).map((e) => e.value)).toEqual(['stim/left']);

    const report = lastReport(7)!;
    expect(report.framesIn).toBeGreaterThanOrEqual(FS * 4);
    expect(report.metrics.find((x) => x.nodeId === 'psd')!.itemsOut).toBeGreaterThan(4);
    const logs = events.filter((e) => e.type === 'pipeline-report' && e.runId === 7).flatMap((e) => (e as { report: PipelineReport }).report.logs.map((l) => l.message));
    expect(logs).toContain('bands (spectral.band-power): parameters changed: bands');

    send({ type: 'stop-pipeline', runId: 7 });
    expect(events.some((e) => e.type === 'pipeline-stopped' && e.runId === 7)).toBe(true);
  });

  it('calibrates a trainable node from bus markers, fits on request, then predicts', async () => {
    const doc = {
      format: 'neurotab.pipeline',
      version: 1,
      meta: { name: 'calibration' },
      nodes: [
        { id: 'in', type: 'io.stream-input' },
        { id: 'mk', type: 'io.marker-input' },
        { id: 'labels', type: 'markers.assign-targets', params: { mapping: { left: 0, right: 1 } } },
        { id: 'epochs', type: 'time.segmentation', params: { time_bounds: [0, 0.5], select_markers: ['left', 'right'] } },
        { id: 'var', type: 'math.variance' },
        { id: 'clf', type: 'ml.class-mean' },
        { id: 'probe', type: 'io.inspect' },
      ],
      edges: [
        { source: 'mk', sourcePort: 'markers', target: 'labels' },
        { source: 'labels', target: 'epochs', targetPort: 'markers' },
        { source: 'in', target: 'epochs' },
        { source: 'epochs', target: 'var' },
        { source: 'var', target: 'clf' },
        { source: 'clf', target: 'probe' },
      ],
    };
    send({ type: 'run-pipeline', runId: 9, doc });
    const trial = async (value: string, amp: number) => {
      publishMarkers([{ timestampMs: 1_700_000_000_000 + (framesWritten * 1000) / FS, value }], 'test');
      await new Promise((r) => setTimeout(r, 30));
      write(FS, amp);
      await new Promise((r) => setTimeout(r, 30));
    };
    for (let k = 0; k < 4; k++) {
      await trial('left', 5);
      await trial('right', 60);
    }
    await until(() => (lastReport(9)?.metrics.find((m) => m.nodeId === 'var')?.itemsOut ?? 0) >= 8, 'eight labelled epochs');
    expect(lastReport(9)!.state.calibrating).toBe(true);
    send({ type: 'fit-pipeline', runId: 9 });
    expect(lastReport(9)!.state).toMatchObject({ calibrating: false, status: 'running' });
    const logs = events.filter((e) => e.type === 'pipeline-report' && e.runId === 9).flatMap((e) => (e as { report: PipelineReport }).report.logs.map((l) => l.message));
    expect(logs.some((m) => /clf .*fitted on 8 labelled items/.test(m))).toBe(true);
    await trial('right', 60);
    const right = await until(() => (lastReport(9)?.inspect.probe as InspectSnapshot | null) ?? undefined, 'a prediction');
    expect(right.channels).toEqual(['p(0)', 'p(1)', 'predicted']);
    expect((right.latest as number[])[2]).toBe(1);
    const before = events.length;
    await trial('left', 5);
    const left = await until(() => {
      const r = events.slice(before).filter((e) => e.type === 'pipeline-report' && e.runId === 9).at(-1) as Extract<EngineEvent, { type: 'pipeline-report' }> | undefined;
      const snap = r?.report.inspect.probe as InspectSnapshot | null | undefined;
      return snap && snap.timestampMs !== right.timestampMs ? snap : undefined;
    }, 'a second prediction');
    expect((left.latest as number[])[2]).toBe(0);
    send({ type: 'stop-pipeline', runId: 9 });
  });

  it('reports an invalid pipeline by node without disturbing the live chain', async () => {
    send({ type: 'run-pipeline', runId: 8, doc: { format: 'neurotab.pipeline', version: 1, nodes: [{ id: 'x', type: 'no.such-node' }], edges: [] } });
    const err = events.find((e) => e.type === 'pipeline-error' && e.runId === 8) as Extract<EngineEvent, { type: 'pipeline-error' }>;
    expect(err.message).toMatch(/unknown node type "no.such-node"/);
    expect(err.issues?.[0]).toMatchObject({ nodeId: 'x' });
    filteredReader.read(FS * 20, new Float32Array(FS * 20 * CH), new Float64Array(FS * 20));
    write(FS);
    let got = 0;
    await until(() => (got += filteredReader.read(FS, new Float32Array(FS * CH), new Float64Array(FS)).frames) >= FS, 'live chain still running');
  });
});
