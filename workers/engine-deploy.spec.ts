// The engine worker's deployment slot, driven through its message protocol in Node: a saved run in
// the Dexie `models` table (fake-indexeddb) is deployed by id on the live synthetic stream; reports
// carry the model node's predictions, which follow the device's eyes-closed switch; the deployment
// runs beside a user pipeline; an unknown run id and a stream the model does not fit are reported.
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticStreamDescriptor } from '../src/lib/devices/drivers/synthetic/driver';
import { SyntheticGenerator } from '../src/lib/devices/drivers/synthetic/generator';
import type { ModelPredictPeek } from '../src/lib/engine/nodes/model';
import { parseExperimentConfig, trainModel } from '../src/lib/ml/experiment';
import { epochsFromRecording } from '../src/lib/ml/prepare';
import { openDb } from '../src/lib/storage/db';
import { Ring, RingWriter } from '../src/lib/streams/ring';
import type { EngineEvent, EngineRequest } from './protocol';
import { until } from '../tests/support/until';

const FS = 250;
const CH = 8;
const settings = { channels: CH, sampleRateHz: FS, lineFrequencyHz: 50 as const, seed: 11, eyesClosed: false };
const descriptor = syntheticStreamDescriptor(settings);
const events: EngineEvent[] = [];
let send: (req: EngineRequest) => void;
const raw = Ring.create({ channels: CH, capacityFrames: FS * 20, shared: true });
const filtered = Ring.create({ channels: CH, capacityFrames: FS * 20, shared: true });
const rawWriter = new RingWriter(raw);
const live = new SyntheticGenerator(settings);
let framesWritten = 0;

/** Writes `seconds` of the live synthetic signal in 1/10 s chunks, yielding so the worker loop runs. */
async function stream(seconds: number): Promise<void> {
  const n = FS / 10;
  const s = new Float32Array(n * CH);
  const t = new Float64Array(n);
  for (let k = 0; k < seconds * 10; k++) {
    live.next(n, s);
    for (let i = 0; i < n; i++) t[i] = 1_700_000_000_000 + ((framesWritten + i) * 1000) / FS;
    rawWriter.push(s, t, n);
    framesWritten += n;
    await new Promise((r) => setTimeout(r, 2));
  }
}

const lastPeek = (deployId: number): ModelPredictPeek | undefined => {
  const r = events.filter((e) => e.type === 'deployment-report' && e.deployId === deployId).at(-1) as Extract<EngineEvent, { type: 'deployment-report' }> | undefined;
  return r?.report.predictions.predict as ModelPredictPeek | undefined;
};

beforeAll(async () => {
  // A saved run as the training worker stores it: eyes open/closed CSP+LDA on a recording of this device.
  const cfg = parseExperimentConfig({ type: 'motor_imagery_csp_lda', classes: { open: 'open', closed: 'closed' }, window: [0.3, 1.8], band: [8, 12] });
  const gen = new SyntheticGenerator({ ...settings, seed: 3 });
  const N = 80 * FS;
  const samples = new Float32Array(N * CH);
  const markers = [];
  for (let start = 0; start < N; start += 4 * FS) {
    const closed = (start / (4 * FS)) % 2 === 0;
    gen.setEyesClosed(closed);
    gen.next(4 * FS, samples.subarray(start * CH));
    markers.push({ timestampMs: (start * 1000) / FS, value: closed ? 'closed' : 'open' });
  }
  const rec = { streams: [{ descriptor, samples, timestampsMs: Float64Array.from({ length: N }, (_, i) => (i * 1000) / FS) }], markers };
  const model = trainModel(cfg, epochsFromRecording(rec, cfg).epochs);
  await openDb().models.put({ id: 'run-eyes', name: 'eyes', kind: 'experiment-run:motor_imagery_csp_lda', createdAtMs: 1, state: JSON.parse(JSON.stringify({ runId: 'run-eyes', name: 'eyes', config: { ...cfg }, model })) });

  const self = { postMessage: (e: EngineEvent) => void events.push(structuredClone(e)), onmessage: null as null | ((ev: { data: EngineRequest }) => void) };
  (globalThis as { self?: unknown }).self = self;
  await import('./engine.worker');
  send = (req) => self.onmessage!({ data: req });
  send({ type: 'start', descriptor, source: { kind: 'shared', buffer: raw.buffer as SharedArrayBuffer }, sink: { kind: 'shared', buffer: filtered.buffer as SharedArrayBuffer }, filter: { bandHz: [1, 40], notchHz: 50 } });
});

afterAll(() => {
  send({ type: 'stop' });
  rawWriter.close();
});

const deployDoc = (modelId: string) => ({
  format: 'neurotab.pipeline',
  version: 1,
  meta: { name: 'deploy' },
  nodes: [
    { id: 'in', type: 'io.stream-input' },
    { id: 'predict', type: 'ml.model-predict', params: { model_id: modelId, rate: 4 } },
  ],
  edges: [{ source: 'in', target: 'predict' }],
});

describe('engine worker: deployed model', () => {
  it('predicts on the live stream from a saved run id, following the eyes, beside a user pipeline', async () => {
    send({ type: 'run-pipeline', runId: 1, doc: { format: 'neurotab.pipeline', version: 1, meta: { name: 'probe' }, nodes: [{ id: 'in', type: 'io.stream-input' }, { id: 'probe', type: 'io.inspect' }], edges: [{ source: 'in', target: 'probe' }] } });
    send({ type: 'deploy-model', deployId: 1, doc: deployDoc('run-eyes') });
    await until(() => events.some((e) => e.type === 'deployment-started' && e.deployId === 1), 'deployment-started');
    live.setEyesClosed(true);
    await stream(4);
    await until(() => (lastPeek(1)?.predictions ?? 0) > 8, 'predictions');
    const closed = lastPeek(1)!;
    expect(closed.error).toBeNull();
    expect(closed.classNames).toEqual(['open', 'closed']);
    expect(closed.history.slice(-4).map((h) => h.className)).toEqual(['closed', 'closed', 'closed', 'closed']);
    live.setEyesClosed(false);
    await stream(4);
    await until(() => (lastPeek(1)?.predictions ?? 0) >= closed.predictions + 14, 'more predictions');
    expect(lastPeek(1)!.history.slice(-4).map((h) => h.className)).toEqual(['open', 'open', 'open', 'open']);
    // The user pipeline was not replaced: it is still running and saw the same frames.
    expect(events.some((e) => e.type === 'pipeline-stopped')).toBe(false);
    const report = events.filter((e) => e.type === 'pipeline-report' && e.runId === 1).at(-1) as Extract<EngineEvent, { type: 'pipeline-report' }>;
    expect(report.report.state.status).toBe('running');
    send({ type: 'stop-deployment', deployId: 1 });
    await until(() => events.some((e) => e.type === 'deployment-stopped' && e.deployId === 1), 'deployment-stopped');
    send({ type: 'stop-pipeline', runId: 1 });
  });

  it('names an unknown run id, and a stream the model does not fit', async () => {
    send({ type: 'deploy-model', deployId: 2, doc: deployDoc('no-such-run') });
    const err = await until(() => events.find((e) => e.type === 'deployment-error' && e.deployId === 2), 'deployment-error');
    expect((err as { message: string }).message).toMatch(/no saved run "no-such-run"/);
    // A model of 4 other channels: the live stream lacks them.
    const row = await openDb().models.get('run-eyes');
    const state = structuredClone(row!.state) as { model: { channelLabels: string[] } };
    state.model.channelLabels = ['Cz', 'Pz', 'Oz', 'Fz', 'F3', 'F4', 'P3', 'P4'];
    await openDb().models.put({ ...row!, id: 'run-other', state });
    // Refused before it starts (nothing runs), with the channels that are missing.
    send({ type: 'deploy-model', deployId: 3, doc: deployDoc('run-other') });
    const refused = await until(() => events.find((e) => e.type === 'deployment-error' && e.deployId === 3), 'deployment-error');
    expect((refused as { message: string }).message).toMatch(/lacks channel\(s\) "Cz", "Pz", "Oz", "Fz", "F3", "F4", "P3", "P4"/);
    expect(events.some((e) => e.type === 'deployment-started' && e.deployId === 3)).toBe(false);
  });
});
