// A NeuroPype-family client loads a pipeline with ml.model-predict {model_id} through app.request():
// the host's binder resolves the saved run asynchronously (as workers/api-engine.worker.ts does from
// IndexedDB, here from a Map), the node waits for it (emitting nothing), then its predictions reach
// the stream output — equal to the node run directly with the model inline. An unknown id and a changed model_id are
// reported/re-resolved.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MarkerEvent, StreamDescriptor } from '../core/stream';
import { syntheticStreamDescriptor } from '../devices/drivers/synthetic/driver';
import { SyntheticGenerator } from '../devices/drivers/synthetic/generator';
import { modelBinding, modelPredict } from '../engine/nodes/model';
import { feedChunks, framesView } from '../engine/testing';
import { signalChunk, type StreamInputBinding } from '../engine/index';
import { parseExperimentConfig, trainModel } from '../ml/experiment';
import { epochsFromRecording, type RecordingLike } from '../ml/prepare';
import { createApi } from './index';
import { LocalBackend } from './local-backend';
import { call } from './testing';

function eyes(seed: number, seconds: number): RecordingLike {
  const settings = { channels: 8, sampleRateHz: 250, lineFrequencyHz: 50 as const, seed, eyesClosed: false };
  const gen = new SyntheticGenerator(settings);
  const fs = 250;
  const seg = 4 * fs;
  const n = seconds * fs;
  const samples = new Float32Array(n * 8);
  const markers: MarkerEvent[] = [];
  for (let start = 0; start < n; start += seg) {
    const closed = (start / seg) % 2 === 0;
    gen.setEyesClosed(closed);
    gen.next(Math.min(seg, n - start), samples.subarray(start * 8, Math.min(n, start + seg) * 8));
    markers.push({ timestampMs: 1e6 + (start * 1000) / fs, value: closed ? 'closed' : 'open' });
  }
  const timestampsMs = Float64Array.from({ length: n }, (_, i) => 1e6 + (i * 1000) / fs);
  return { streams: [{ descriptor: syntheticStreamDescriptor(settings), samples, timestampsMs }], markers };
}

/** Plays a recording into an io.stream-input node in chunks of 100 frames, as fast as it is read, once `open()`. */
function recordingBinding(rec: RecordingLike, open: () => boolean = () => true): StreamInputBinding {
  const s = rec.streams[0];
  const C = s.descriptor.channels.length;
  let pos = 0;
  return {
    descriptor: s.descriptor as StreamDescriptor,
    reader: {
      read(max, out, ts) {
        const n = open() ? Math.min(max, 100, s.timestampsMs.length - pos) : 0;
        out.set(s.samples.subarray(pos * C, (pos + n) * C));
        ts.set(s.timestampsMs.subarray(pos, pos + n));
        pos += n;
        return { frames: n, dropped: 0 };
      },
    },
  };
}

const cfg = parseExperimentConfig({ type: 'motor_imagery_csp_lda', classes: { open: 'open', closed: 'closed' }, window: [0.3, 1.8], band: [8, 12], filter: 'causal' });
const model = trainModel(cfg, epochsFromRecording(eyes(1, 64), cfg).epochs);
/** Saved runs as the training worker stores them (Dexie `models` row state: {runId, model, config, …}). */
const runs = new Map<string, unknown>([['run-eyes', { runId: 'run-eyes', name: 'eyes', model, config: { ...cfg } }]]);

let backend: LocalBackend;
afterEach(async () => backend?.dispose());

function setup(test: RecordingLike) {
  const sink = { samples: [] as number[], frames: 0 };
  const lookups: string[] = [];
  let resolved = false;
  backend = new LocalBackend({
    bind: (r) => {
      // The stream starts once a run was read: frames arriving while the node waits are not predicted.
      if (r.type === 'io.stream-input') return recordingBinding(test, () => resolved);
      if (r.type === 'io.stream-output') return { push: (x: Float32Array, _t: Float64Array, n: number) => (sink.samples.push(...x.subarray(0, n * 3)), (sink.frames += n), n) };
      if (r.type === 'ml.model-predict' && typeof r.params.model_id === 'string') {
        return modelBinding(r.params.model_id, async (id) => {
          lookups.push(id);
          await new Promise((ok) => setTimeout(ok, 30)); // IndexedDB is asynchronous: the node must wait
          resolved = true;
          return runs.get(id);
        });
      }
      return undefined;
    },
  });
  return { app: createApi(backend), sink, lookups };
}

const doc = (modelId: string) => ({
  format: 'neurotab.pipeline',
  version: 1,
  meta: { name: 'deployed eyes' },
  nodes: [
    { id: 'in', type: 'io.stream-input', params: {} },
    { id: 'predict', type: 'ml.model-predict', params: { model_id: modelId, rate: 4 } },
    { id: 'out', type: 'io.stream-output', params: { stream_name: 'eyes-predictions' } },
  ],
  edges: [
    { source: 'in', sourcePort: 'data', target: 'predict', targetPort: 'data' },
    { source: 'predict', sourcePort: 'data', target: 'out', targetPort: 'data' },
  ],
});

describe('ml.model-predict with model_id through the NeuroPype API', () => {
  it('the binder resolves the saved run; predictions equal the node with the model inline', async () => {
    const test = eyes(2, 24);
    const { app, sink, lookups } = setup(test);
    const id = (await call(app, 'POST', '/np/executions', {})).json.id as number;
    expect((await call(app, 'POST', `/np/executions/${id}/actions/load`, { content: JSON.stringify(doc('run-eyes')) })).status).toBe(200);
    expect((await call(app, 'POST', `/np/executions/${id}/actions/play`)).status).toBe(200);
    // Reference: the same node, model inline, over the whole recording.
    const s = test.streams[0];
    const signal = signalChunk(s.descriptor, Float32Array.from(s.samples), s.timestampsMs);
    const ref = framesView(feedChunks(modelPredict, { model, rate: 4 }, signal, [signal.block.shape[0]]).outputs.data);
    expect(ref.frames).toBeGreaterThan(80);
    // Everything the stream delivered after the run was read is predicted, as with the model inline.
    await vi.waitFor(() => expect(sink.frames).toBe(ref.frames), { timeout: 10_000, interval: 20 });
    expect(lookups).toEqual(['run-eyes']);
    expect(sink.samples).toEqual(Array.from(ref.samples));
    const logs = (await call(app, 'GET', `/np/executions/${id}/logs`)).json as { level: number; message: string }[];
    expect(logs.filter((l) => l.level >= 40)).toEqual([]);
  });

  it('an unknown model_id is reported in the logs; setting model_id resolves the new run', async () => {
    const { app, sink, lookups } = setup(eyes(3, 12));
    const id = (await call(app, 'POST', '/np/executions', {})).json.id as number;
    await call(app, 'POST', `/np/executions/${id}/actions/load`, { content: JSON.stringify(doc('run-missing')) });
    await call(app, 'POST', `/np/executions/${id}/actions/play`);
    await vi.waitFor(
      async () => {
        const logs = (await call(app, 'GET', `/np/executions/${id}/logs`)).json as { message: string }[];
        expect(logs.map((l) => l.message).join('\n')).toMatch(/model "run-missing" could not be loaded: .*no saved run "run-missing"/);
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(sink.frames).toBe(0);
    // Find the model node's NeuroPype id and set model_id (PATCH parameter): the host resolves it again.
    const g = (await call(app, 'GET', `/np/executions/${id}/graph`)).json as { nodes: { id: number; type: string }[] };
    const node = g.nodes.find((n) => n.type !== 'LSLInput' && n.type !== 'LSLOutput')!;
    expect((await call(app, 'POST', `/np/executions/${id}/actions/stop`)).status).toBe(200); // model_id is not a live parameter
    const r = await call(app, 'PATCH', `/np/executions/${id}/graph/nodes/${node.id}/parameters/model_id`, { value: 'run-eyes' });
    expect(r.status, r.text).toBe(200);
    await vi.waitFor(() => expect(lookups).toEqual(['run-missing', 'run-eyes']), { timeout: 5_000, interval: 20 });
  });
});
