// Every endpoint of the Instinct family (API.md §9: stream-operations routes #1–#14, the sinks' SSE
// #24, and the Python SDK's route set §9.6) through app.request(), with the documented shapes,
// codes and envelope, on the real engine (LocalBackend): the seed's own bodies, live edits while
// running, per-node signals, persistence, and a device that disconnects mid-run.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { createApi } from './index';
import { LocalBackend } from './local-backend';
import { call, readSse, sineBinding, type Reply } from './testing';
import { until } from '../../../tests/support/until';
import { MemoryInstinctStreamStore } from './instinct-streams';
import { mapExecutable } from './instinct-executables';
import { LiveHost, LiveRoutes } from './live-host';
import { localConnector } from './live-client';
import { createBuiltinRegistry } from '../engine/index';
import { instinctSeed } from '../../../tests/support/seeds';

const SEED = instinctSeed();
const SID = SEED.create.id as string;
const [SRC, FLT] = (SEED.create.nodes as { id: string }[]).map((n) => n.id);
const S = '/instinct/stream/streams';
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

let backend: LocalBackend;
let app: Hono;
let store: MemoryInstinctStreamStore;
let deviceIds: string[];
let unplugged = false;

function setup() {
  store = new MemoryInstinctStreamStore();
  deviceIds = [];
  unplugged = false;
  backend = new LocalBackend({
    instinctStore: store,
    // The host's device rings: a clock-paced sine stands in for the live EEG stream; `unplug()` closes it as a ring closes.
    bind: (r) => {
      if (r.type !== 'io.stream-input') return undefined;
      const b = sineBinding(250, 8);
      deviceIds.push(b.descriptor.id);
      const read = b.reader.read;
      b.reader.read = (m, out, ts) => (unplugged ? { frames: 0, dropped: 0 } : read(m, out, ts));
      b.reader.waitForData = async (ms) => (unplugged ? 'closed' : new Promise((ok) => setTimeout(() => ok('timed-out'), Math.min(ms, 16))));
      return b;
    },
  });
  const host = new LiveHost(new LiveRoutes().add('/instinct/_sinks/:port', (p) => backend.sinks.handler(Number(p.port))).router);
  app = createApi(backend, { live: localConnector(host) });
}

beforeEach(() => setup());
afterEach(async () => {
  await backend.dispose();
});

function expectError(r: Reply, status: number, code: string): void {
  expect(r.status, r.text).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/application\/json/);
  expect(r.json).toEqual({ success: false, error: { code, message: expect.any(String), details: expect.any(Object) } });
  expect(r.json.error.message.length).toBeGreaterThan(10);
}

const create = async (body: unknown = SEED.create) => {
  const r = await call(app, 'POST', S, body);
  expect(r.status, r.text).toBe(200);
  return r;
};
const signal = (id: string, s: string) => call(app, 'POST', `${S}/${id}/signal`, `signal=${s}`, FORM);
const status = async (id = SID) => (await call(app, 'GET', `${S}/${id}/status`)).json.status as { state: string; nodes: { id: string; state: string; metrics: { itemsProcessed: number; errorCount: number } }[] };
const settled = (id: string, state: string) => until(async () => (await status(id)).state === state, `stream ${id} ${state}`);
const items = async (node: string, id = SID) => (await status(id)).nodes.find((n) => n.id === node)!.metrics.itemsProcessed;
const uuid = (k: number) => `00000000-0000-4000-8000-${String(k).padStart(12, '0')}`;

describe('streams: create, list, get, replace, delete (#1–#6)', () => {
  it('the seed body creates the stream; list, get and the envelope are as documented', async () => {
    const r = await create();
    expect(r.json).toEqual({ id: SID, success: true });
    const list = await call(app, 'GET', S);
    expect(list.json).toEqual({ success: true, streams: [{ id: SID, meta: { ...SEED.create.meta, created: expect.any(String), updated: expect.any(String) } }] });
    expect(Date.parse(list.json.streams[0].meta.created)).toBeGreaterThan(0);
    const got = await call(app, 'GET', `${S}/${SID}`);
    expect(got.json).toEqual({ success: true, stream: { ...SEED.create, meta: list.json.streams[0].meta } });
    expect(got.headers.get('x-request-id')).toMatch(/^req_/);
    expect(got.headers.get('cache-control')).toBe('no-store');
    expect((await status()).state).toBe('created');
  });

  it('refuses bad bodies with the field that is wrong, and changes nothing', async () => {
    const badNode = structuredClone(SEED.create);
    badNode.nodes[1].id = 'not-a-uuid';
    const r = await call(app, 'POST', S, badNode);
    expectError(r, 400, 'invalid_parameter');
    expect(r.json.error.details.field).toBe('nodes[1].id');
    expectError(await call(app, 'POST', S, { meta: { name: 'x' } }), 400, 'invalid_request');
    expectError(await call(app, 'POST', S, '{"id": '), 400, 'invalid_request');
    expectError(await call(app, 'POST', S, { ...SEED.create, id: 'x-1' }), 400, 'invalid_parameter');
    const dangling = structuredClone(SEED.create);
    dangling.pipes[0].destination = uuid(9);
    const d = await call(app, 'POST', S, dangling);
    expectError(d, 422, 'validation_failed');
    expect(d.json.error.details.field).toBe('pipes[0].destination');
    expect((await call(app, 'GET', S)).json.streams).toEqual([]);
    await create();
    expectError(await call(app, 'POST', S, SEED.create), 409, 'stream_already_exists');
  });

  it('accepts the flat data-model shape and YAML; answers in the meta / source-destination shape; a YAML error names its line', async () => {
    const flat = {
      id: uuid(1),
      name: 'Flat',
      description: 'data-model page shape',
      nodes: [
        { id: uuid(2), executable: 'SignalGenerator' },
        { id: uuid(3), executable: 'signal-filter', config: { lowpass: 30 } },
      ],
      pipes: [{ id: uuid(4), source_node: uuid(2), source_port: 'data', target_node: uuid(3), target_port: 'data' }],
    };
    await create(flat);
    const got = (await call(app, 'GET', `${S}/${uuid(1)}`)).json.stream;
    expect(got.meta).toMatchObject({ name: 'Flat', description: 'data-model page shape' });
    expect(got.nodes[0]).toEqual({ id: uuid(2), type: 'EXECUTABLE', executable: 'SignalGenerator', config: {} });
    expect(got.pipes).toEqual([{ id: uuid(4), source: uuid(2), destination: uuid(3), source_port: 'data', target_port: 'data' }]);

    const yaml = `id: ${uuid(10)}\nmeta:\n  name: From YAML\nnodes:\n  - id: ${uuid(11)}\n    type: EXECUTABLE\n    executable: /usr/share/instinct/signal-generator\n    config: {sampleRate: 250, channels: 2}\npipes: []\n`;
    const y = await call(app, 'POST', `${S}/yaml`, yaml, { 'Content-Type': 'application/yaml' });
    expect(y.json).toEqual({ id: uuid(10), success: true });
    expect((await call(app, 'GET', `${S}/${uuid(10)}`)).json.stream.nodes[0].config).toEqual({ sampleRate: 250, channels: 2 });
    const broken = await call(app, 'POST', `${S}/yaml`, `id: ${uuid(12)}\nnodes:\n  - id: [unclosed\n    executable: x\n`, { 'Content-Type': 'text/yaml' });
    expectError(broken, 400, 'yaml_parse_error');
    expect(broken.json.error.details.line).toBe(4);
    expect(broken.json.error.message).toMatch(/line 4/);
  });

  it('PUT replaces each collection given (the seed example), only while not running; DELETE stops and deletes', async () => {
    await create();
    const r = await call(app, 'PUT', `${S}/${SID}`, SEED.update);
    expect(r.json).toEqual({ id: SID, success: true });
    const got = (await call(app, 'GET', `${S}/${SID}`)).json.stream;
    expect(got.meta).toMatchObject(SEED.update.meta);
    expect(got.nodes).toEqual(SEED.update.nodes);
    expect(got.pipes).toEqual([]);
    expect((await signal(SID, 'start')).status).toBe(200);
    await settled(SID, 'running');
    expectError(await call(app, 'PUT', `${S}/${SID}`, { pipes: [] }), 409, 'stream_running');
    expectError(await call(app, 'PUT', `${S}/${uuid(99)}`, { pipes: [] }), 404, 'stream_not_found');
    expect((await call(app, 'DELETE', `${S}/${SID}`)).json).toEqual({ success: true });
    expect(backend.sinks.activePorts()).toEqual([]);
    const gone = await call(app, 'GET', `${S}/${SID}`);
    // §9.4, the documented example
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ success: false, error: { code: 'stream_not_found', message: `Stream ${SID} not found`, details: { streamId: SID } } });
    expectError(await call(app, 'GET', `${S}/7348dd95`), 400, 'invalid_parameter');
  });
});

describe('signals and status (#7, #8)', () => {
  it('signal=start form-encoded runs the seed stream; itemsProcessed grows; pause, resume, stop settle', async () => {
    await create();
    expect((await signal(SID, 'start')).json).toEqual({ id: SID, success: true });
    expect(['starting', 'running']).toContain((await status()).state);
    await settled(SID, 'running');
    const a = await items(SRC);
    await until(async () => (await items(FLT)) > a + 5, 'itemsProcessed growing');
    const st = await status();
    expect(st).toEqual({ state: 'running', nodes: [SRC, FLT].map((id) => ({ id, state: 'running', metrics: { itemsProcessed: expect.any(Number), errorCount: 0 } })) });
    expect(st.nodes[0].metrics.itemsProcessed).toBeGreaterThanOrEqual(st.nodes[1].metrics.itemsProcessed - 1);
    // Same-state signals are no-ops; the other encodings work alike.
    expect((await call(app, 'POST', `${S}/${SID}/signal`, 'signal=start', { 'Content-Type': 'text/plain' })).status).toBe(200);
    expect((await call(app, 'POST', `${S}/${SID}/signal`, { signal: 'pause' })).status).toBe(200);
    await settled(SID, 'paused');
    const frozen = await items(SRC);
    await new Promise((r) => setTimeout(r, 150));
    expect(await items(SRC)).toBe(frozen);
    expectError(await signal(SID, 'start'), 409, 'invalid_state_transition');
    expect((await call(app, 'POST', `${S}/${SID}/signal?signal=resume`)).status).toBe(200);
    expect((await status()).state).toBe('running');
    await until(async () => (await items(SRC)) > frozen, 'processing after resume');
    expect((await signal(SID, 'stop')).status).toBe(200);
    expect(['stopping', 'stopped']).toContain((await status()).state);
    await settled(SID, 'stopped');
    expect((await status()).nodes.every((n) => n.state === 'stopped')).toBe(true);
    expectError(await signal(SID, 'pause'), 409, 'invalid_state_transition');
    expectError(await signal(SID, 'jump'), 400, 'invalid_signal');
    expectError(await call(app, 'POST', `${S}/${SID}/signal`, ''), 400, 'invalid_signal');
    // A restart begins from scratch.
    await signal(SID, 'start');
    await settled(SID, 'running');
    expect(await items(SRC)).toBeLessThan(frozen + 50);
  });

  it('an executable with no browser equivalent fails at start with 422 and the stream unchanged', async () => {
    const body = structuredClone(SEED.create);
    body.nodes[1].executable = '/usr/share/instinct/gpu-beamformer';
    await create(body);
    const r = await signal(SID, 'start');
    expectError(r, 422, 'unsupported_executable');
    expect(r.json.error.details.nodes).toEqual([FLT]);
    expect((await status()).state).toBe('created');
    const bad = structuredClone(SEED.create);
    bad.id = uuid(50);
    bad.nodes[0].config = { sampleRate: 250, channels: 'many' };
    await create(bad);
    expectError(await signal(uuid(50), 'start'), 422, 'validation_failed');
    expect((await status(uuid(50))).state).toBe('created');
  });

  it('stop from created is refused; an unknown stream is 404', async () => {
    await create();
    expectError(await signal(SID, 'stop'), 409, 'invalid_state_transition');
    expectError(await signal(uuid(77), 'start'), 404, 'stream_not_found');
    expectError(await call(app, 'GET', `${S}/${uuid(77)}/status`), 404, 'stream_not_found');
  });

  it('any of our node classes by type id or NeuroPype class name, with config as parameters', async () => {
    const reg = createBuiltinRegistry();
    expect(mapExecutable('/opt/nodes/filter.iir', { frequencies: [8, 12], mode: 'bandpass' }, reg)).toEqual({ parts: [{ type: 'filter.iir', params: { frequencies: [8, 12], mode: 'bandpass' } }] });
    expect(mapExecutable('IIRFilter', {}, reg)?.parts[0].type).toBe('filter.iir');
    expect(mapExecutable('node /usr/share/engines/worker-scripts/SignalGenerator.js', { sampleRate: 500, channels: 8 }, reg)?.generator).toMatchObject({ sampleRateHz: 500 });
    expect(mapExecutable('/usr/share/instinct/signal-filter', { highpass: 1, lowpass: 35, notch: 50 }, reg)?.parts).toEqual([
      { type: 'filter.iir', params: { mode: 'bandpass', frequencies: [1, 35] } },
      { type: 'filter.notch', params: { frequency: 50 } },
    ]);
    expect(() => mapExecutable('filter.iir', { nope: 1 }, reg)).toThrow(/no parameter "nope"/);
    expect(mapExecutable('/bin/true', {}, reg)).toBeNull();
    const ours = {
      id: uuid(60),
      nodes: [
        { id: uuid(61), executable: 'SignalGenerator', config: { sampleRate: 250, channels: 4, frequencies: [10] } },
        { id: uuid(62), executable: '/opt/nodes/filter.iir', config: { frequencies: [8, 12], mode: 'bandpass' } },
        { id: uuid(63), executable: 'spectral.band-power', config: { bands: { alpha: [8, 12] }, window_length: 1, step: 0.1 } },
      ],
      pipes: [
        { id: uuid(64), source: uuid(61), destination: uuid(62) },
        { id: uuid(65), source: uuid(62), destination: uuid(63) },
      ],
    };
    await create(ours);
    expect((await signal(uuid(60), 'start')).status).toBe(200);
    await until(async () => (await items(uuid(63), uuid(60))) > 0, 'band power computed');
    expect((await status(uuid(60))).nodes.every((n) => n.metrics.errorCount === 0)).toBe(true);
  });
});

describe('nodes and pipes, also while running (#9–#14)', () => {
  const SINK = uuid(100);
  const sinkNode = { id: SINK, type: 'EXECUTABLE_CONSUMER', meta: { type: 'OUTPUT' }, executable: 'node /usr/share/engines/worker-scripts/WebSocket.js', config: { port: 8088 } };

  it('a sink added to a running stream, then piped, publishes its chunks to SSE; removing it ends the feed', async () => {
    await create();
    await signal(SID, 'start');
    await settled(SID, 'running');
    const added = await call(app, 'POST', `${S}/${SID}/nodes`, [sinkNode]);
    expect(added.json).toEqual({ id: SID, success: true, nodes: [SINK] });
    expectError(await call(app, 'POST', `${S}/${SID}/nodes`, [sinkNode]), 409, 'stream_already_exists');
    expectError(await call(app, 'GET', '/instinct/_sinks/9999/events'), 404, 'resource_not_found');
    const pipe = { id: uuid(101), source: FLT, destination: SINK };
    expect((await call(app, 'POST', `${S}/${SID}/pipes`, [pipe])).json).toEqual({ id: SID, pipes: [uuid(101)], success: true });
    expect(backend.sinks.activePorts()).toEqual([8088]);
    const res = await app.request('/instinct/_sinks/8088/events');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    // The POST fallback names the connection the stream's connection event gave.
    const conn = res.headers.get('x-live-connection-id')!;
    expect((await call(app, 'POST', `/bci/v1/live/${conn}`, '{"type":"ping"}')).status).toBe(202);
    expect((await call(app, 'POST', '/bci/v1/live/live_00', '{}')).status).toBe(404);
    const text = await readSse(res, (t) => (t.match(/\ndata: \{"nodeId"/g) ?? []).length >= 2);
    expect(text).toContain(`event: connection\ndata: {"connection_id":"${conn}"}`);
    const chunk = JSON.parse(text.split('\n').find((l) => l.startsWith('data: {"nodeId"'))!.slice(6));
    expect(chunk).toMatchObject({ nodeId: SINK, streamId: SID, port: 8088, sampleRate: 250, channels: ['Fp1', 'Fp2', 'C3', 'C4'] });
    expect(chunk.data.length).toBe(chunk.timestamps.length);
    expect(chunk.data[0].length).toBe(4);
    expect(chunk.t).toBe(chunk.timestamps.at(-1));
    expect((await status()).nodes.find((n) => n.id === SINK)!.state).toBe('running');
    // Deleting the node removes its pipe and stops the sink.
    expect((await call(app, 'DELETE', `${S}/${SID}/nodes`, [SINK])).json).toEqual({ id: SID, success: true, nodes: [SINK] });
    expect((await call(app, 'GET', `${S}/${SID}`)).json.stream.pipes.map((p: { id: string }) => p.id)).toEqual([SEED.create.pipes[0].id]);
    expect(backend.sinks.activePorts()).toEqual([]);
    const missing = await call(app, 'DELETE', `${S}/${SID}/nodes`, [SINK]);
    expectError(missing, 404, 'node_not_found');
    expect(missing.json.error.details.ids).toEqual([SINK]);
    expect((await status()).state).toBe('running');
  });

  it('pipes: YAML list, unknown endpoints 422, duplicates 409, delete and unknown pipe 404; a refused live edit changes nothing', async () => {
    await create();
    const dup = await call(app, 'POST', `${S}/${SID}/pipes`, [{ id: SEED.create.pipes[0].id, source: SRC, destination: FLT }]);
    expectError(dup, 409, 'stream_already_exists');
    expectError(await call(app, 'POST', `${S}/${SID}/pipes`, [{ id: uuid(5), source: SRC, destination: uuid(6) }]), 422, 'validation_failed');
    expectError(await call(app, 'POST', `${S}/${SID}/pipes`, [{ id: 'z93b59c0-4dbf-48c5-9db8-19a312fd4aed', source: SRC, destination: FLT }]), 400, 'invalid_parameter');
    expectError(await call(app, 'POST', `${S}/${SID}/pipes/yaml`, '- id: [\n', { 'Content-Type': 'application/yaml' }), 400, 'yaml_parse_error');
    const removed = await call(app, 'DELETE', `${S}/${SID}/pipes`, [SEED.create.pipes[0].id]);
    expect(removed.json).toEqual({ id: SID, pipes: [SEED.create.pipes[0].id], success: true });
    expectError(await call(app, 'DELETE', `${S}/${SID}/pipes`, [SEED.create.pipes[0].id]), 404, 'pipe_not_found');
    const y = await call(app, 'POST', `${S}/${SID}/pipes/yaml`, `- id: ${uuid(7)}\n  source: ${SRC}\n  destination: ${FLT}\n`, { 'Content-Type': 'application/yaml' });
    expect(y.json).toEqual({ id: SID, pipes: [uuid(7)], success: true });
    // Running: a pipe the engine cannot connect (markers into a filter) is refused and nothing changes.
    await call(app, 'POST', `${S}/${SID}/nodes`, [{ id: uuid(8), executable: 'io.marker-input', config: {} }]);
    await signal(SID, 'start');
    await settled(SID, 'running');
    const before = (await call(app, 'GET', `${S}/${SID}`)).json;
    const bad = await call(app, 'POST', `${S}/${SID}/pipes`, [{ id: uuid(9), source: uuid(8), destination: FLT }]);
    expectError(bad, 422, 'validation_failed');
    expect(bad.json.error.details.issues[0]).toMatchObject({ nodeId: uuid(8), message: expect.stringMatching(/no output "data"/) });
    expect((await call(app, 'GET', `${S}/${SID}`)).json).toEqual(before);
    expect((await status()).state).toBe('running');
  });

  it('node signals: pause freezes a node while the rest runs, resume continues, start restarts it, stop idles it', async () => {
    await create();
    await signal(SID, 'start');
    await settled(SID, 'running');
    const nodeSignal = (node: string, s: string) => call(app, 'POST', `${S}/${SID}/nodes/${node}/signal`, `signal=${s}`, FORM);
    const r = await nodeSignal(FLT, 'pause');
    expect(r.json).toEqual({ id: FLT, streamId: SID, signal: 'pause', success: true });
    const f0 = await items(FLT);
    const s0 = await items(SRC);
    await until(async () => (await items(SRC)) > s0 + 5, 'source runs on');
    expect(await items(FLT)).toBeLessThanOrEqual(f0 + 1);
    expect((await status()).nodes.map((n) => n.state)).toEqual(['running', 'paused']);
    expect((await nodeSignal(FLT, 'resume')).status).toBe(200);
    await until(async () => (await items(FLT)) > f0 + 3, 'filter resumed');
    // A paused source leaves the graph and keeps its count; resumed, it counts on.
    await nodeSignal(SRC, 'pause');
    const paused = await items(SRC);
    await new Promise((res) => setTimeout(res, 120));
    expect(await items(SRC)).toBe(paused);
    await nodeSignal(SRC, 'resume');
    await until(async () => (await items(SRC)) > paused, 'source counting on');
    // start restarts a node from scratch.
    expect((await nodeSignal(FLT, 'start')).status).toBe(200);
    expect(await items(FLT)).toBeLessThan(5);
    await nodeSignal(FLT, 'stop');
    expect((await status()).nodes[1].state).toBe('stopped');
    expectError(await nodeSignal(FLT, 'pause'), 409, 'invalid_state_transition');
    expectError(await nodeSignal(uuid(3), 'pause'), 404, 'node_not_found');
    expectError(await nodeSignal(FLT, 'wobble'), 400, 'invalid_signal');
    await signal(SID, 'stop');
    await settled(SID, 'stopped');
    expectError(await nodeSignal(FLT, 'start'), 409, 'invalid_state_transition');
  });
});

describe('faults', () => {
  it('a device that disconnects while a stream runs: state error, with why; the stream restarts once it is back', async () => {
    const body = { id: uuid(200), nodes: [{ id: uuid(201), executable: '/usr/share/instinct/eeg', config: { channels: ['Ch1', 'Ch3'] } }, { id: uuid(202), executable: 'signal-filter', config: { highpass: 1 } }], pipes: [{ id: uuid(203), source: uuid(201), destination: uuid(202) }] };
    await create(body);
    await signal(uuid(200), 'start');
    await settled(uuid(200), 'running');
    await until(async () => (await items(uuid(202), uuid(200))) > 2, 'device data processed');
    backend.sourcesChanged(deviceIds); // still there: nothing happens
    expect((await status(uuid(200))).state).toBe('running');
    backend.sourcesChanged([]);
    const st = (await call(app, 'GET', `${S}/${uuid(200)}/status`)).json.status;
    expect(st.state).toBe('error');
    expect(st.error).toMatch(/disconnected/);
    expect(st.nodes.every((n: { state: string }) => n.state === 'error')).toBe(true);
    const kept = st.nodes[1].metrics.itemsProcessed;
    expect(kept).toBeGreaterThan(2); // what arrived was processed and is still counted
    expect((await signal(uuid(200), 'start')).status).toBe(200);
    await settled(uuid(200), 'running');
    // Its ring closes (the device layer stops it): the stream fails at once instead of spinning on the closed ring.
    unplugged = true;
    await settled(uuid(200), 'error');
    expect((await status(uuid(200))).nodes[0].state).toBe('error');
    expect((await call(app, 'GET', `${S}/${uuid(200)}/status`)).json.status.error).toMatch(/sine|synthetic|disconnected/);
  });
});

describe('persistence', () => {
  it('definitions come back, stopped, in a new backend on the same store; deleted ones do not', async () => {
    await create();
    await create({ ...SEED.update, id: uuid(300) });
    await signal(SID, 'start');
    await settled(SID, 'running');
    await call(app, 'DELETE', `${S}/${uuid(300)}`);
    await backend.dispose();
    const again = new LocalBackend({ instinctStore: store });
    const app2 = createApi(again);
    const list = (await call(app2, 'GET', S)).json.streams;
    expect(list.map((s: { id: string }) => s.id)).toEqual([SID]);
    expect((await call(app2, 'GET', `${S}/${SID}/status`)).json.status.state).toBe('stopped');
    expect((await call(app2, 'GET', `${S}/${SID}`)).json.stream.nodes).toEqual(SEED.create.nodes);
    await again.dispose();
  });
});

describe("Nexstem's Python SDK route set (§9.6)", () => {
  const P = '/instinct/streams';
  it('create, get, list, start, signal, reconcile, stop and delete, with message in every answer', async () => {
    const cfg = { ...SEED.create, meta: null, nodes: SEED.create.nodes.map((n: object) => ({ ...n, meta: null })) }; // model_dump() writes None as null
    const c = await call(app, 'POST', `${P}/stream`, cfg);
    expect(c.json).toMatchObject({ message: expect.any(String), success: true, stream: { id: SID, nodes: expect.any(Array), pipes: expect.any(Array) } });
    const one = await call(app, 'GET', `${P}/stream/${SID}`);
    expect(one.json).toMatchObject({ id: SID, message: expect.any(String), success: true });
    expect(one.json.nodes[0]).toMatchObject({ id: SRC, executable: SEED.create.nodes[0].executable, config: SEED.create.nodes[0].config });
    const all = await call(app, 'GET', `${P}/stream`);
    expect(Array.isArray(all.json)).toBe(true);
    expect(all.json.map((s: { id: string }) => s.id)).toEqual([SID]);
    for (const [path, body] of [
      ['stream/start', { streamId: SID }],
      ['stream/signal', { streamId: SID, signal: { signal: 'pause', parameters: {} } }],
      ['stream/signal', { streamId: SID, signal: 'resume' }],
      ['stream/reconcile', { streamId: SID }],
    ] as const) {
      const r = await call(app, 'POST', `${P}/${path}`, body);
      expect(r.status, `${path} ${r.text}`).toBe(200);
      expect(r.json).toMatchObject({ message: expect.any(String), success: true });
      await settled(SID, path === 'stream/signal' && typeof body.signal === 'object' ? 'paused' : 'running');
    }
    await until(async () => (await items(FLT)) > 0, 'data after reconcile');
    const node = { id: uuid(400), executable: 'Logger', config: {}, meta: null };
    expect((await call(app, 'POST', `${P}/node`, { streamId: SID, node })).json).toMatchObject({ message: expect.any(String), success: true, node: { id: uuid(400) } });
    expect((await call(app, 'GET', `${P}/node/${SID}/${uuid(400)}`)).json).toMatchObject({ success: true, node: { executable: 'Logger' } });
    const pipe = { id: uuid(401), source: FLT, destination: uuid(400) };
    expect((await call(app, 'POST', `${P}/pipe`, { streamId: SID, pipe })).json).toMatchObject({ message: expect.any(String), success: true, pipe: { id: uuid(401), source: FLT, destination: uuid(400) } });
    expect((await call(app, 'GET', `${P}/pipe/${SID}/${uuid(401)}`)).json.pipe.id).toBe(uuid(401));
    expect((await call(app, 'POST', `${P}/node/signal`, { streamId: SID, nodeId: uuid(400), signal: { signal: 'pause', parameters: {} } })).json).toMatchObject({ message: expect.any(String), success: true });
    expect((await call(app, 'DELETE', `${P}/pipe/${SID}/${uuid(401)}`)).json).toMatchObject({ message: expect.any(String), success: true });
    expect((await call(app, 'DELETE', `${P}/node/${SID}/${uuid(400)}`)).json).toMatchObject({ message: expect.any(String), success: true });
    expect((await call(app, 'POST', `${P}/stream/stop`, { streamId: SID })).json).toMatchObject({ message: expect.any(String), success: true });
    await settled(SID, 'stopped');
    expect((await call(app, 'DELETE', `${P}/stream/${SID}`)).json).toMatchObject({ message: expect.any(String), success: true });
    expectError(await call(app, 'GET', `${P}/stream/${SID}`), 404, 'stream_not_found');
    expectError(await call(app, 'POST', `${P}/stream/start`, {}), 400, 'invalid_request');
    expectError(await call(app, 'POST', `${P}/stream/start`, { streamId: 'x' }), 400, 'invalid_parameter');
  });
});

describe('common behaviour (§1) in the Instinct envelope', () => {
  it('OPTIONS lists methods, a wrong method is 405 with Allow, an unknown path 404; /bci/v1/compat and the OpenAPI document list Instinct', async () => {
    const o = await app.request(`${S}/${SID}`, { method: 'OPTIONS' });
    expect(o.status).toBe(204);
    expect(o.headers.get('allow')).toBe('DELETE, GET, HEAD, OPTIONS, PUT');
    const w = await call(app, 'PATCH', S);
    expectError(w, 405, 'method_not_allowed');
    expect(w.headers.get('allow')).toBe('GET, HEAD, OPTIONS, POST');
    expectError(await call(app, 'GET', '/instinct/nothing/here'), 404, 'resource_not_found');
    expect((await call(app, 'GET', '/instinct//stream/streams/')).status).toBe(200);
    const compat = (await call(app, 'GET', '/bci/v1/compat')).json.families;
    expect(compat).toContainEqual({ family: 'instinct', mount: '/instinct', emulates: 'Instinct API', engine: 'up' });
    const { familyRoutesOf } = await import('./http');
    const { createInstinctApp } = await import('./instinct');
    expect(familyRoutesOf.get(createInstinctApp(backend))!.undocumented()).toEqual([]);
    const doc = (await call(app, 'GET', '/bci/v1/openapi.json')).json;
    expect(doc.paths['/instinct/stream/streams/{streamId}/signal'].post.tags).toEqual(['instinct']);
    expect(doc.paths['/instinct/streams/stream/reconcile'].post).toBeDefined();
    expect(doc.paths['/instinct/_sinks/{port}/events'].get).toBeDefined();
  });
});
