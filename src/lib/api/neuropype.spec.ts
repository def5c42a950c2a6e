// Every endpoint of the NeuroPype family (API.md §7) and the native store (§12) through app.request(),
// with the documented shapes, status codes and each error, on the real engine (LocalBackend).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Hono } from 'hono';
import { createApi } from './index';
import { LocalBackend, MemoryPipelineStore } from './local-backend';
import { alphaPyp, call, sineBinding, type Reply } from './testing';

let backend: LocalBackend;
let app: Hono;

function setup(opts: ConstructorParameters<typeof LocalBackend>[0] = {}) {
  backend = new LocalBackend({ bind: (r) => (r.type === 'io.stream-input' ? sineBinding(250, 4) : undefined), ...opts });
  app = createApi(backend);
}

beforeEach(() => setup());
afterEach(async () => {
  vi.useRealTimers();
  await backend.dispose();
});

const REQ_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;

function expectError(r: Reply, status: number, code: string): void {
  expect(r.status).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/application\/json/);
  expect(r.json).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  expect(r.json.error.message.length).toBeGreaterThan(10);
}

const emptyOk = (r: Reply) => {
  expect(r.status).toBe(200);
  expect(r.text).toBe('""');
  expect(r.headers.get('content-type')).toMatch(/application\/json/);
};

async function create(info?: object): Promise<number> {
  const r = await call(app, 'POST', '/np/executions', info ? { info } : {});
  expect(r.status).toBe(200);
  return r.json.id as number;
}

async function loaded(): Promise<number> {
  await call(app, 'PUT', '/bci/v1/pipelines/pipelines/alpha.pyp', alphaPyp());
  const id = await create();
  emptyOk(await call(app, 'POST', `/np/executions/${id}/actions/load`, { file: 'pipelines/alpha.pyp' }));
  return id;
}

const STATE = (running: boolean, paused: boolean, completed: boolean, status: string) => ({
  running,
  paused,
  completed,
  calibrating: false,
  needs_keepalive: false,
  had_errors: false,
  status,
});

describe('common behaviour (§1)', () => {
  it('normalises paths: collapses // and drops a trailing /', async () => {
    for (const p of ['/np/executions', '/np//executions', '/np/executions/', '//np///executions//']) {
      const r = await call(app, 'GET', p);
      expect(r.status, p).toBe(200);
      expect(r.json).toEqual([]);
    }
    expect((await call(app, 'GET', '/np/')).json).toEqual({ service: 'neuropype-compat', api: '2024.1.0' });
  });
  it('puts X-Request-Id (req_<ULID>) and Cache-Control: no-store on every response, errors included', async () => {
    const seen = new Set<string>();
    for (const [m, p] of [
      ['GET', '/np/version'],
      ['GET', '/np/executions/1'],
      ['OPTIONS', '/np/executions'],
      ['PUT', '/np/executions'],
      ['GET', '/elsewhere'],
      ['GET', '/bci/v1/compat'],
    ]) {
      const r = await call(app, m, p);
      expect(r.headers.get('x-request-id'), `${m} ${p}`).toMatch(REQ_ID);
      expect(r.headers.get('cache-control'), `${m} ${p}`).toBe('no-store');
      seen.add(r.headers.get('x-request-id')!);
    }
    expect(seen.size).toBe(6);
  });
  it('OPTIONS → 204 with Allow; HEAD like GET without a body; wrong method → 405 + Allow in the envelope', async () => {
    const o = await call(app, 'OPTIONS', '/np/executions');
    expect(o.status).toBe(204);
    expect(o.headers.get('allow')).toBe('GET, HEAD, OPTIONS, POST');
    const id = await create();
    const o2 = await call(app, 'OPTIONS', `/np/executions/${id}/graph/nodes/1/parameters/x/value`);
    expect(o2.headers.get('allow')).toBe('GET, HEAD, OPTIONS, PUT');
    const h = await call(app, 'HEAD', '/np/executions');
    expect(h.status).toBe(200);
    expect(h.text).toBe('');
    const w = await call(app, 'DELETE', '/np/executions');
    expectError(w, 405, 'METHOD_NOT_ALLOWED');
    expect(w.headers.get('allow')).toBe('GET, HEAD, OPTIONS, POST');
    expectError(await call(app, 'POST', `/np/executions/${id}/state`), 405, 'METHOD_NOT_ALLOWED');
  });
  it('unknown paths → 404 in the family envelope', async () => {
    expectError(await call(app, 'GET', '/np/nothing/here'), 404, 'NOT_FOUND');
    expectError(await call(app, 'POST', '/np/executions/1234/actions/explode'), 404, 'NOT_FOUND');
    expect((await call(app, 'GET', '/nowhere')).status).toBe(404);
  });
  it("accepts Python's bare NaN/Infinity tokens and a missing Content-Type", async () => {
    const id = await loaded();
    const r = await app.request(`/np/executions/${id}/graph/nodes/2/parameters/stop_atten/value`, { method: 'PUT', body: 'Infinity' });
    // stop_atten's domain is [0, 300] dB: Infinity parses, then fails validation with the node's message.
    expect(r.status).toBe(422);
    const ok = await app.request(`/np/executions/${id}/actions/configure`, { method: 'POST', body: '{"band": [7, 8, 12, 13], "unused": NaN}' });
    expect(ok.status).toBe(200);
  });
  it('malformed JSON → 400 BAD_REQUEST saying where, nothing changes', async () => {
    const r = await call(app, 'POST', '/np/executions', '{"info": {"tickrate": 30,}}');
    expectError(r, 400, 'BAD_REQUEST');
    expect(r.json.error.message).toMatch(/Malformed JSON.*line 1, column 26/);
    expect((await call(app, 'GET', '/np/executions')).json).toEqual([]);
  });
  it('oversized bodies → 413 without reading them whole, nothing changes', async () => {
    const id = await loaded();
    const before = (await call(app, 'GET', `/np/executions/${id}`)).json;
    const big = JSON.stringify({ content: 'x'.repeat(5 * 1024 * 1024) });
    const r = await call(app, 'POST', `/np/executions/${id}/actions/load`, big);
    expectError(r, 413, 'PAYLOAD_TOO_LARGE');
    // A lying Content-Length is refused before reading.
    const lying = await app.request(`/np/executions/${id}/actions/configure`, { method: 'POST', body: '{}', headers: { 'Content-Length': '999999999' } });
    expect(lying.status).toBe(413);
    expect((await call(app, 'GET', `/np/executions/${id}`)).json).toEqual(before);
  });
});

describe('service (#1, #2)', () => {
  it('GET / and GET /version', async () => {
    expect((await call(app, 'GET', '/np')).json).toEqual({ service: 'neuropype-compat', api: '2024.1.0' });
    const v = await call(app, 'GET', '/np/version');
    expect(v.json).toEqual({ version: '2024.1.0+browser.0.1.0', edition: 'Browser', install: '/np' });
    expect(v.json.version >= '2024.1.0').toBe(true);
  });
  it('503 ENGINE_UNAVAILABLE with Retry-After when the backend is down', async () => {
    const down = Object.create(backend) as LocalBackend;
    down.status = async () => ({ engine: 'down', reason: 'no Neurotab tab is open' });
    const a = createApi(down);
    const r = await call(a, 'GET', '/np/version');
    expectError(r, 503, 'ENGINE_UNAVAILABLE');
    expect(r.headers.get('retry-after')).toBe('1');
    expect(r.json.error.message).toMatch(/open Neurotab/);
  });
});

describe('a backend behind a message port (service worker forwarder)', () => {
  it('renders BackendErrors and their plain wire form in the envelope; ENGINE_UNAVAILABLE → 503 + Retry-After', async () => {
    const { BackendError } = await import('./backend');
    const failing = new Proxy({} as LocalBackend, {
      get: (_t, k) =>
        k === 'status'
          ? async () => ({ engine: 'up' })
          : k === 'getExecution'
            ? async () => Promise.reject({ code: 'EXECUTION_NOT_FOUND', message: 'Execution 1234 does not exist' }) // plain wire object
            : async () => Promise.reject(new BackendError('ENGINE_UNAVAILABLE', 'No Neurotab tab is open; open Neurotab and retry')),
    });
    const a = createApi(failing);
    const r = await call(a, 'GET', '/np/executions');
    expectError(r, 503, 'ENGINE_UNAVAILABLE');
    expect(r.headers.get('retry-after')).toBe('1');
    expectError(await call(a, 'POST', '/np/executions/1234/actions/play'), 503, 'ENGINE_UNAVAILABLE');
    expectError(await call(a, 'GET', '/np/executions/1234'), 404, 'EXECUTION_NOT_FOUND');
    const native = await call(a, 'GET', '/bci/v1/pipelines');
    expect(native.status).toBe(503);
    expect(native.json.error).toMatchObject({ code: 'ENGINE_UNAVAILABLE', request_id: expect.stringMatching(REQ_ID) });
  });
});

describe('executions (#3–#7)', () => {
  it('creates with the documented defaults and answers 200 with id/info/errors', async () => {
    const r = await call(app, 'POST', '/np/executions', {});
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ id: expect.any(Number), info: { log_level: 20, error_mode: 'ignore', tickrate: 25, debug_hooks: [] }, errors: [] });
    expect(r.json.id).toBeGreaterThanOrEqual(1000);
    expect(r.json.id).toBeLessThanOrEqual(9999);
    const empty = await app.request('/np/executions', { method: 'POST' });
    expect(empty.status).toBe(200);
  });
  it('keeps the info given at creation (exec.py sends {"info": {"tickrate": …}})', async () => {
    const r = await call(app, 'POST', '/np/executions', { info: { tickrate: 50.5, log_level: 10, error_mode: 'stop', colour: 'red' } });
    expect(r.json.info).toEqual({ log_level: 10, error_mode: 'stop', tickrate: 50.5, debug_hooks: [] });
    expect((await call(app, 'GET', `/np/executions/${r.json.id}/info`)).json).toEqual(r.json.info);
  });
  it.each([
    [{ error_mode: 'panic' }, /error_mode/],
    [{ tickrate: 0 }, /tickrate/],
    [{ tickrate: -5 }, /tickrate/],
    [{ tickrate: 'fast' }, /tickrate/],
    [{ log_level: 20.5 }, /log_level/],
    ['not an object', /info/],
  ])('rejects info %j with 400 INVALID_INFO', async (info, msg) => {
    const r = await call(app, 'POST', '/np/executions', { info });
    expectError(r, 400, 'INVALID_INFO');
    expect(r.json.error.message).toMatch(msg);
    expect((await call(app, 'GET', '/np/executions')).json).toEqual([]);
  });
  it('429 EXECUTION_LIMIT beyond the live limit', async () => {
    await backend.dispose();
    setup({ executionLimit: 3 });
    for (let i = 0; i < 3; i++) await create();
    expectError(await call(app, 'POST', '/np/executions', {}), 429, 'EXECUTION_LIMIT');
    expect((await call(app, 'GET', '/np/executions')).json).toHaveLength(3);
  });
  it('lists abbreviated entries: id always, info and state only when loaded', async () => {
    const a = await create();
    const b = await loaded();
    const list = (await call(app, 'GET', '/np/executions')).json;
    expect(list).toContainEqual({ id: a });
    expect(list).toContainEqual({ id: b, info: { log_level: 20, error_mode: 'ignore', tickrate: 25, debug_hooks: [] }, state: STATE(false, true, false, 'pending') });
  });
  it('GET /executions/{id}: full details; 404 for unknown and non-numeric ids', async () => {
    const id = await loaded();
    const d = (await call(app, 'GET', `/np/executions/${id}`)).json;
    expect(Object.keys(d).sort()).toEqual(['errors', 'graph', 'id', 'info', 'state']);
    expect(d.graph.description.name).toBe('Alpha');
    expect(d.graph.nodes.map((n: { id: number; type: string }) => [n.id, n.type])).toEqual([
      [1, 'LSLInput'],
      [2, 'IIRFilter'],
      [3, 'InspectData'],
      [4, 'ParameterPort'],
    ]);
    expect(d.graph.nodes[0].uuid).toBe('5a9295ab-be0a-4ad0-bc80-0c99afe1f616');
    expect(d.graph.edges).toEqual([
      { id: 1, source_node: 1, source_port: 'data', target_node: 2, target_port: 'data' },
      { id: 2, source_node: 2, source_port: 'data', target_node: 3, target_port: 'data' },
      { id: 3, source_node: 4, source_port: 'value', target_node: 2, target_port: 'frequencies' },
    ]);
    const nf = await call(app, 'GET', '/np/executions/4711');
    expectError(nf, 404, 'EXECUTION_NOT_FOUND');
    expect(nf.json.error.message).toBe('Execution 4711 does not exist');
    expectError(await call(app, 'GET', '/np/executions/abc'), 404, 'EXECUTION_NOT_FOUND');
  });
  it('DELETE → 200 "" and the execution is gone; again → 404', async () => {
    const id = await loaded();
    emptyOk(await call(app, 'POST', `/np/executions/${id}/actions/play`));
    emptyOk(await call(app, 'DELETE', `/np/executions/${id}`));
    await backend.settle();
    expect(backend.activeLoops()).toBe(0);
    expectError(await call(app, 'DELETE', `/np/executions/${id}`), 404, 'EXECUTION_NOT_FOUND');
    expect((await call(app, 'GET', '/np/executions')).json).toEqual([]);
  });
  it('info is read-only: PUT/PATCH → 405 READ_ONLY with Allow; unknown execution → 404', async () => {
    const id = await create();
    const r = await call(app, 'PATCH', `/np/executions/${id}/info`, { tickrate: 1 });
    expectError(r, 405, 'READ_ONLY');
    expect(r.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expectError(await call(app, 'PUT', `/np/executions/${id}/info`, {}), 405, 'READ_ONLY');
    expectError(await call(app, 'GET', '/np/executions/9999/info'), 404, 'EXECUTION_NOT_FOUND');
  });
});

describe('load, reload, save (#8, #12, #13)', () => {
  it('loads by exact store key and by basename of a desktop path; post-state is pending', async () => {
    await call(app, 'PUT', '/bci/v1/pipelines/pipelines/alpha.pyp', alphaPyp());
    const id = await create();
    emptyOk(await call(app, 'POST', `/np/executions/${id}/actions/load`, { file: 'C:/Users/me/Documents/alpha.pyp', token: 'ignored' }));
    expect((await call(app, 'GET', `/np/executions/${id}/state`)).json).toEqual(STATE(false, true, false, 'pending'));
    const logs = (await call(app, 'GET', `/np/executions/${id}/logs`)).json;
    expect(logs.map((l: { message: string }) => l.message).join('\n')).toMatch(/loaded pipeline "Alpha" \(4 nodes, 3 edges\)/);
  });
  it('loads inline content and our own pipeline JSON', async () => {
    const id = await create();
    const doc = {
      format: 'neurotab.pipeline',
      version: 1,
      meta: { name: 'mine', description: '' },
      nodes: [
        { id: 'src', type: 'io.stream-input', params: {} },
        { id: 'f', type: 'filter.iir', params: { frequencies: [1, 30], mode: 'bandpass' } },
      ],
      edges: [{ source: 'src', sourcePort: 'data', target: 'f', targetPort: 'data' }],
    };
    emptyOk(await call(app, 'POST', `/np/executions/${id}/actions/load`, { content: JSON.stringify(doc) }));
    const g = (await call(app, 'GET', `/np/executions/${id}/graph`)).json;
    expect(g.nodes.map((n: { id: number; type: string }) => [n.id, n.type])).toEqual([
      [1, 'LSLInput'],
      [2, 'IIRFilter'],
    ]);
    expect(g.description.name).toBe('mine');
  });
  it('queues play/configure sent while a load is in progress behind it (§13 #13)', async () => {
    // A store that takes 100 ms to read (IndexedDB/OPFS under load): the load is in progress meanwhile.
    const slow = new MemoryPipelineStore();
    const get = slow.get.bind(slow);
    slow.get = async (p) => (await new Promise((r) => setTimeout(r, 100)), get(p));
    await backend.dispose();
    setup({ store: slow });
    await call(app, 'PUT', '/bci/v1/pipelines/pipelines/alpha.pyp', alphaPyp());
    const id = await create();
    const url = `/np/executions/${id}/actions`;
    const loading = call(app, 'POST', `${url}/load`, { file: 'pipelines/alpha.pyp' });
    await new Promise((r) => setTimeout(r, 20));
    const [configure, play] = await Promise.all([call(app, 'POST', `${url}/configure`, { band: [1, 2, 30, 35] }), call(app, 'POST', `${url}/play`)]);
    const load = await loading;
    [load, configure, play].forEach(emptyOk);
    expect((await call(app, 'GET', `/np/executions/${id}/state`)).json.status).toBe('running');
  });
  it('replaces a running graph: stops it first, then pending', async () => {
    const id = await loaded();
    emptyOk(await call(app, 'POST', `/np/executions/${id}/actions/play`));
    emptyOk(await call(app, 'POST', `/np/executions/${id}/actions/load`, { file: 'alpha.pyp' }));
    expect((await call(app, 'GET', `/np/executions/${id}/state`)).json.status).toBe('pending');
  });
  it('errors: 400 without file/content or with an unknown what, 404 FILE_NOT_FOUND, 404 for unknown execution', async () => {
    const id = await create();
    expectError(await call(app, 'POST', `/np/executions/${id}/actions/load`, {}), 400, 'BAD_REQUEST');
    expectError(await call(app, 'POST', `/np/executions/${id}/actions/load`, { file: 'a.pyp', what: 'model' }), 400, 'BAD_REQUEST');
    expectError(await call(app, 'POST', `/np/executions/${id}/actions/load`, { file: 42 }), 400, 'BAD_REQUEST');
    expectError(await call(app, 'POST', `/np/executions/${id}/actions/load`, { file: 'missing.pyp' }), 404, 'FILE_NOT_FOUND');
    expectError(await call(app, 'POST', '/np/executions/1234/actions/load', { file: 'x.pyp' }), 404, 'EXECUTION_NOT_FOUND');
    expect((await call(app, 'GET', '/np/executions')).json).toEqual([{ id }]);
  });
  it('422 UNSUPPORTED_NODE_CLASS lists the classes and loads nothing (the previous graph stays)', async () => {
    const id = await loaded();
    const before = (await call(app, 'GET', `/np/executions/${id}`)).json;
    const r = await call(app, 'POST', `/np/executions/${id}/actions/load`, { content: alphaPyp({ extraClass: ['NoSuchClass', 'OtherMissingClass', 'NoSuchClass'] }) });
    expectError(r, 422, 'UNSUPPORTED_NODE_CLASS');
    expect(r.json.error.details).toEqual({ classes: ['NoSuchClass', 'OtherMissingClass'] });
    expect(r.json.error.message).toMatch(/NoSuchClass, OtherMissingClass/);
    expect((await call(app, 'GET', `/np/executions/${id}`)).json).toEqual(before);
  });
  it('422 PIPELINE_PARSE_ERROR for broken files and invalid parameter values; 422 ENCRYPTED_PIPELINE_UNSUPPORTED', async () => {
    const id = await create();
    expectError(await call(app, 'POST', `/np/executions/${id}/actions/load`, { content: '<scheme><nodes></scheme>' }), 422, 'PIPELINE_PARSE_ERROR');
    const badValue = await call(app, 'POST', `/np/executions/${id}/actions/load`, { content: alphaPyp({ frequencies: [1, 2, 3] }) });
    expectError(badValue, 422, 'PIPELINE_PARSE_ERROR');
    expect(badValue.json.error.message).toMatch(/frequencies/);
    expectError(await call(app, 'POST', `/np/executions/${id}/actions/load`, { content: 'gAAAAAB' + 'k'.repeat(100) }), 422, 'ENCRYPTED_PIPELINE_UNSUPPORTED');
    expect((await call(app, 'GET', '/np/executions')).json).toEqual([{ id }]);
  });
  it('legacy {"what": "parameters"} sets ParameterPort values like configure', async () => {
    const id = await loaded();
    emptyOk(await call(app, 'POST', `/np/executions/${id}/actions/load`, { what: 'parameters', data: { band: { value: [1, 2, 30, 35] } } }));
    expect((await call(app, 'GET', `/np/executions/${id}/graph/nodes/4/parameters/value/value`)).json).toEqual([1, 2, 30, 35]);
    expectError(await call(app, 'POST', `/np/executions/${id}/actions/load`, { what: 'parameters', data: { band: [1, 2] } }), 400, 'BAD_REQUEST');
  });
  it('reload re-reads the file; 409 when nothing was loaded from a file', async () => {
    const id = await loaded();
    await call(app, 'PUT', '/bci/v1/pipelines/pipelines/alpha.pyp', alphaPyp().replace('"name": "Alpha"', '"name": "Alpha v2"'));
    emptyOk(await call(app, 'POST', `/np/executions/${id}/actions/reload`));
    expect((await call(app, 'GET', `/np/executions/${id}/graph/description`)).json.name).toBe('Alpha v2');
    const other = await create();
    expectError(await call(app, 'POST', `/np/executions/${other}/actions/reload`), 409, 'NO_PIPELINE_LOADED');
  });
  it('save writes a .pyp (with API changes) that loads again; 400 without a target, 409 without a graph', async () => {
    const id = await loaded();
    await call(app, 'PATCH', `/np/executions/${id}/graph/nodes/2/parameters/mode`, { value: 'bandstop' });
    emptyOk(await call(app, 'POST', `/np/executions/${id}/actions/save`, { file: 'pipelines/alpha-bandstop.pyp' }));
    const text = (await call(app, 'GET', '/bci/v1/pipelines/pipelines/alpha-bandstop.pyp')).text;
    expect(text).toMatch(/^<\?xml/);
    expect(text).toContain('"value": "bandstop"');
    const again = await create();
    emptyOk(await call(app, 'POST', `/np/executions/${again}/actions/load`, { file: 'alpha-bandstop.pyp' }));
    const g1 = (await call(app, 'GET', `/np/executions/${id}/graph`)).json;
    const g2 = (await call(app, 'GET', `/np/executions/${again}/graph`)).json;
    expect(g2).toEqual(g1);
    emptyOk(await call(app, 'POST', `/np/executions/${id}/actions/save`, {})); // back to its own file
    const fresh = await create();
    expectError(await call(app, 'POST', `/np/executions/${fresh}/actions/save`, { file: 'x.pyp' }), 409, 'NO_PIPELINE_LOADED');
    await call(app, 'POST', `/np/executions/${fresh}/graph/nodes`, { type: 'IIRFilter' });
    expectError(await call(app, 'POST', `/np/executions/${fresh}/actions/save`, {}), 400, 'BAD_REQUEST');
    expectError(await call(app, 'POST', `/np/executions/${fresh}/actions/save`, { file: '../escape.pyp' }), 400, 'BAD_REQUEST');
  });
});

describe('configure (#9)', () => {
  it('sets ParameterPort values by name; unknown names are ignored with one WARNING each', async () => {
    const id = await loaded();
    emptyOk(await call(app, 'POST', `/np/executions/${id}/actions/configure`, { band: [0.5, 1, 40, 45], subject_id: 'P1' }));
    expect((await call(app, 'GET', `/np/executions/${id}/graph/nodes/4/parameters/default/value`)).json).toEqual([0.5, 1, 40, 45]);
    const warnings = (await call(app, 'GET', `/np/executions/${id}/logs`)).json.filter((l: { level: number }) => l.level === 30);
    expect(warnings.map((w: { message: string }) => w.message)).toEqual([expect.stringContaining('"subject_id"')]);
  });
  it('422 INVALID_PARAMETER_VALUE when the value does not fit the wired port; nothing changes', async () => {
    const id = await loaded();
    const r = await call(app, 'POST', `/np/executions/${id}/actions/configure`, { band: 'wide' });
    expectError(r, 422, 'INVALID_PARAMETER_VALUE');
    expect((await call(app, 'GET', `/np/executions/${id}/graph/nodes/4/parameters/value/value`)).json).toBeNull();
  });
  it('409 without a pipeline, 400 for a non-object body, 404 for an unknown execution', async () => {
    const id = await create();
    expectError(await call(app, 'POST', `/np/executions/${id}/actions/configure`, { a: 1 }), 409, 'NO_PIPELINE_LOADED');
    expectError(await call(app, 'POST', `/np/executions/${id}/actions/configure`, [1, 2]), 400, 'BAD_REQUEST');
    expectError(await call(app, 'POST', '/np/executions/1000/actions/configure', {}), 404, 'EXECUTION_NOT_FOUND');
  });
});

describe('play / pause / resume / stop / keepalive (#10, #11, #14)', () => {
  it('follows the transition table', async () => {
    const id = await loaded();
    const url = `/np/executions/${id}`;
    const state = async () => (await call(app, 'GET', `${url}/state`)).json;
    expectError(await call(app, 'POST', `${url}/actions/pause`), 409, 'INVALID_STATE_TRANSITION');
    expectError(await call(app, 'POST', `${url}/actions/resume`), 409, 'INVALID_STATE_TRANSITION');
    emptyOk(await call(app, 'POST', `${url}/actions/play`));
    expect(await state()).toEqual(STATE(true, false, false, 'running'));
    emptyOk(await call(app, 'POST', `${url}/actions/play`)); // idempotent
    emptyOk(await call(app, 'POST', `${url}/actions/pause`));
    expect(await state()).toEqual(STATE(true, true, false, 'paused'));
    emptyOk(await call(app, 'POST', `${url}/actions/pause`)); // idempotent
    emptyOk(await call(app, 'POST', `${url}/actions/resume`));
    expect((await state()).status).toBe('running');
    emptyOk(await call(app, 'POST', `${url}/actions/resume`)); // idempotent when running
    emptyOk(await call(app, 'POST', `${url}/actions/pause`));
    emptyOk(await call(app, 'POST', `${url}/actions/play`)); // play on paused = resume
    expect((await state()).status).toBe('running');
    emptyOk(await call(app, 'POST', `${url}/actions/stop`));
    expect(await state()).toEqual(STATE(false, false, false, 'stopped'));
    emptyOk(await call(app, 'POST', `${url}/actions/stop`)); // idempotent
    expectError(await call(app, 'POST', `${url}/actions/pause`), 409, 'INVALID_STATE_TRANSITION');
    emptyOk(await call(app, 'POST', `${url}/actions/play`)); // restart from the beginning
    expect((await state()).status).toBe('running');
    emptyOk(await call(app, 'POST', `${url}/actions/keepalive`));
    expect(backend.activeLoops()).toBe(1);
  });
  it('409 NO_PIPELINE_LOADED for play without a graph; 404 for unknown executions', async () => {
    const id = await create();
    expectError(await call(app, 'POST', `/np/executions/${id}/actions/play`), 409, 'NO_PIPELINE_LOADED');
    for (const a of ['play', 'pause', 'resume', 'stop', 'keepalive', 'reload', 'save'])
      expectError(await call(app, 'POST', `/np/executions/2000/actions/${a}`), 404, 'EXECUTION_NOT_FOUND');
    expectError(await call(app, 'GET', '/np/executions/2000/state'), 404, 'EXECUTION_NOT_FOUND');
  });
  it('the pipeline really runs: a bad design fails the run under error_mode "stop", and only flags it under "ignore"', async () => {
    await call(app, 'PUT', '/bci/v1/pipelines/nyquist.pyp', alphaPyp({ frequencies: [100, 140] })); // above 125 Hz Nyquist at 250 Hz
    const stop = await create({ error_mode: 'stop' });
    const ignore = await create({ error_mode: 'ignore' });
    for (const id of [stop, ignore]) {
      emptyOk(await call(app, 'POST', `/np/executions/${id}/actions/load`, { file: 'nyquist.pyp' }));
      emptyOk(await call(app, 'POST', `/np/executions/${id}/actions/play`));
    }
    await vi.waitFor(async () => expect((await call(app, 'GET', `/np/executions/${stop}/state`)).json.status).toBe('failed'), { timeout: 5000, interval: 20 });
    const s = (await call(app, 'GET', `/np/executions/${stop}/state`)).json;
    expect(s).toMatchObject({ running: false, completed: false, had_errors: true, status: 'failed' });
    const errs = (await call(app, 'GET', `/np/executions/${stop}/errors`)).json;
    expect(errs[0]).toMatchObject({ id: 0, node_id: 2, node_type: 'IIRFilter', fatal: true, message: expect.stringMatching(/Nyquist|125/) });
    await vi.waitFor(async () => expect((await call(app, 'GET', `/np/executions/${ignore}/state`)).json.had_errors).toBe(true), { timeout: 5000, interval: 20 });
    expect((await call(app, 'GET', `/np/executions/${ignore}/state`)).json.status).toBe('running');
    const logs = (await call(app, 'GET', `/np/executions/${ignore}/logs`)).json;
    expect(logs.some((l: { level: number; node_id: number }) => l.level === 40 && l.node_id === 2)).toBe(true);
  });
  it('a good pipeline runs without errors and keeps running', async () => {
    const id = await loaded();
    emptyOk(await call(app, 'POST', `/np/executions/${id}/actions/play`));
    await new Promise((r) => setTimeout(r, 300));
    const s = (await call(app, 'GET', `/np/executions/${id}/state`)).json;
    expect(s).toEqual(STATE(true, false, false, 'running'));
    expect((await call(app, 'GET', `/np/executions/${id}/errors`)).json).toEqual([]);
  });
});

describe('keepalive watchdog (§7.5)', () => {
  it('stops (not deletes) the run 5 s after the last ping; logs/errors/keepalive ping, state does not', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] });
    await backend.dispose();
    setup({ bind: () => undefined });
    const id = await loaded();
    const url = `/np/executions/${id}`;
    const patched = await call(app, 'PATCH', `${url}/state`, { running: true, paused: false, needs_keepalive: true });
    expect(patched.json).toEqual({ ...STATE(true, false, false, 'running'), needs_keepalive: true });
    for (const ping of [`${url}/logs`, `${url}/errors`]) {
      await vi.advanceTimersByTimeAsync(4000);
      await call(app, 'GET', ping);
    }
    await vi.advanceTimersByTimeAsync(4000);
    emptyOk(await call(app, 'POST', `${url}/actions/keepalive`));
    await vi.advanceTimersByTimeAsync(4000);
    await call(app, 'GET', `${url}/state`); // not a ping
    expect((await call(app, 'GET', `${url}/state`)).json.status).toBe('running');
    await vi.advanceTimersByTimeAsync(1200);
    const s = (await call(app, 'GET', `${url}/state`)).json;
    expect(s).toMatchObject({ running: false, status: 'stopped', needs_keepalive: true });
    const logs = (await call(app, 'GET', `${url}/logs`)).json;
    expect(logs.at(-1)).toMatchObject({ level: 30, message: 'keepalive expired' });
    expect((await call(app, 'GET', '/np/executions')).json.map((e: { id: number }) => e.id)).toEqual([id]);
  });
});

describe('PATCH /state, legacy control (§7.4)', () => {
  it('applies the recipes of public clients', async () => {
    const id = await loaded();
    const url = `/np/executions/${id}/state`;
    expect((await call(app, 'PATCH', url, { running: true, paused: false })).json).toEqual(STATE(true, false, false, 'running'));
    expect((await call(app, 'PATCH', url, { paused: true })).json.status).toBe('paused');
    expect((await call(app, 'PATCH', url, { paused: false })).json.status).toBe('running');
    expect((await call(app, 'PATCH', url, { running: false })).json).toEqual(STATE(false, false, false, 'stopped'));
    expect((await call(app, 'PATCH', url, { running: true })).json).toEqual(STATE(true, false, false, 'running'));
    const done = (await call(app, 'PATCH', url, { completed: true, running: false, paused: false })).json;
    expect(done).toEqual(STATE(false, false, true, 'succeeded'));
    expect((await call(app, 'PATCH', url, { completed: false })).json).toEqual(STATE(false, false, false, 'succeeded'));
    expect((await call(app, 'GET', url)).json.completed).toBe(false);
    await call(app, 'PATCH', url, { completed: true });
    // Clients round-trip the whole state they read: read-only and unknown keys are ignored.
    const rt = await call(app, 'PATCH', url, { ...done, completed: false, running: true, paused: false, status: 'bogus', extra: 1 });
    expect(rt.json).toEqual(STATE(true, false, false, 'running'));
    expect((await call(app, 'PATCH', url, { needs_keepalive: true })).json.needs_keepalive).toBe(true);
  });
  it('{"running": true} from pending keeps paused (flags are independent)', async () => {
    const id = await loaded();
    expect((await call(app, 'PATCH', `/np/executions/${id}/state`, { running: true })).json).toEqual(STATE(true, true, false, 'paused'));
  });
  it('{"running": false, "paused": true} stops and leaves paused; a later {"running": true} comes back paused', async () => {
    const id = await loaded();
    const url = `/np/executions/${id}/state`;
    await call(app, 'POST', `/np/executions/${id}/actions/play`);
    expect((await call(app, 'PATCH', url, { running: false, paused: true })).json).toEqual(STATE(false, true, false, 'stopped'));
    expect((await call(app, 'GET', url)).json).toEqual(STATE(false, true, false, 'stopped'));
    expect((await call(app, 'PATCH', url, { running: true })).json).toEqual(STATE(true, true, false, 'paused'));
    expect((await call(app, 'PATCH', url, { paused: false })).json).toEqual(STATE(true, false, false, 'running'));
    await call(app, 'POST', `/np/executions/${id}/actions/stop`);
    expect((await call(app, 'GET', url)).json).toEqual(STATE(false, false, false, 'stopped'));
  });
  it('400 for non-boolean values, 409 running:true without a graph, 404 unknown; nothing changes', async () => {
    const id = await loaded();
    expectError(await call(app, 'PATCH', `/np/executions/${id}/state`, { running: 'yes' }), 400, 'BAD_REQUEST');
    expectError(await call(app, 'PATCH', `/np/executions/${id}/state`, [true]), 400, 'BAD_REQUEST');
    expect((await call(app, 'GET', `/np/executions/${id}/state`)).json.status).toBe('pending');
    const empty = await create();
    expectError(await call(app, 'PATCH', `/np/executions/${empty}/state`, { running: true, needs_keepalive: true }), 409, 'NO_PIPELINE_LOADED');
    expectError(await call(app, 'PATCH', '/np/executions/1111/state', {}), 404, 'EXECUTION_NOT_FOUND');
  });
});

describe('logs and errors (#16, #17)', () => {
  it('pages with from_idx = last.id + 1, ascending, with the documented record fields', async () => {
    const id = await loaded();
    for (let i = 0; i < 5; i++) await call(app, 'POST', `/np/executions/${id}/actions/configure`, { [`nope${i}`]: i });
    const all = (await call(app, 'GET', `/np/executions/${id}/logs`)).json;
    expect(all.length).toBeGreaterThanOrEqual(6);
    for (const r of all) {
      expect(Object.keys(r).sort()).toEqual(['id', 'level', 'message', 'name', 'node_id', 'time']);
      expect(r.time).toBeGreaterThan(1.7e9);
      expect(r.time).toBeLessThan(1e10);
    }
    expect(all.map((r: { id: number }) => r.id)).toEqual([...all.map((r: { id: number }) => r.id)].sort((a, b) => a - b));
    const from = all[2].id;
    expect((await call(app, 'GET', `/np/executions/${id}/logs?from_idx=${from}`)).json).toEqual(all.slice(2));
    expect((await call(app, 'GET', `/np/executions/${id}/logs?from_idx=${all.at(-1).id + 1}`)).json).toEqual([]);
    expectError(await call(app, 'GET', `/np/executions/${id}/logs?from_idx=abc`), 400, 'BAD_REQUEST');
    expectError(await call(app, 'GET', `/np/executions/${id}/errors?from_idx=1.5`), 400, 'BAD_REQUEST');
    expect((await call(app, 'GET', `/np/executions/${id}/errors`)).json).toEqual([]);
    expectError(await call(app, 'GET', '/np/executions/1000/logs'), 404, 'EXECUTION_NOT_FOUND');
    expectError(await call(app, 'GET', '/np/executions/1000/errors'), 404, 'EXECUTION_NOT_FOUND');
  });
});

describe('graph (#18–#27)', () => {
  it('empty execution: default description and an empty graph', async () => {
    const id = await create();
    expect((await call(app, 'GET', `/np/executions/${id}/graph`)).json).toEqual({
      description: { name: '(untitled)', description: '(description missing)', url: '', status: '(unspecified)', license: '', version: '0.0.0' },
      nodes: [],
      edges: [],
    });
    expect((await call(app, 'GET', `/np/executions/${id}/graph/nodes`)).json).toEqual([]);
    expect((await call(app, 'GET', `/np/executions/${id}/graph/edges`)).json).toEqual([]);
  });
  it('description GET and PUT (partial); 400 for unknown keys or non-strings', async () => {
    const id = await loaded();
    const d = await call(app, 'PUT', `/np/executions/${id}/graph/description`, { name: 'Renamed', license: 'MIT' });
    expect(d.json).toEqual({ name: 'Renamed', description: 'Alpha band filter', url: '', status: '(unspecified)', license: 'MIT', version: '0.0.0' });
    expect((await call(app, 'GET', `/np/executions/${id}/graph/description`)).json).toEqual(d.json);
    expectError(await call(app, 'PUT', `/np/executions/${id}/graph/description`, { name: 3 }), 400, 'BAD_REQUEST');
    expectError(await call(app, 'PUT', `/np/executions/${id}/graph/description`, { owner: 'x' }), 400, 'BAD_REQUEST');
  });
  it('worked example: add a node, wire it, patch a parameter, read its ports, remove the edge (§7.3.1)', async () => {
    const id = await loaded();
    const url = `/np/executions/${id}/graph`;
    const add = await call(app, 'POST', `${url}/nodes`, { type: 'IIRFilter', parameters: { frequencies: [8, 9, 13, 14], mode: 'bandpass' }, position: { x: 420, y: 300 } });
    expect(add.status).toBe(200);
    expect(add.json).toMatchObject({ id: 5, type: 'IIRFilter', module: 'neuropype.nodes.signal_processing.IIRFilter', position: { x: 420, y: 300 } });
    expect(add.json.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(add.json.parameters).toContainEqual({ id: 'frequencies', value: [8, 9, 13, 14], value_type: 'builtins.list', port_type: 'ListPort', value_domain: [0, 'Infinity'], customized: true });
    expect(add.json.parameters).toContainEqual({
      id: 'mode',
      value: 'bandpass',
      value_type: 'builtins.str',
      port_type: 'EnumPort',
      value_domain: ['bandpass', 'highpass', 'lowpass', 'bandstop'],
      customized: true,
    });
    const edge = await call(app, 'POST', `${url}/edges`, { source_node: 1, source_port: 'data', target_node: 5, target_port: 'data' });
    expect(edge.json).toEqual({ id: 4, source_node: 1, source_port: 'data', target_node: 5, target_port: 'data' });
    const again = await call(app, 'POST', `${url}/edges`, { source_node: 1, source_port: 'data', target_node: 5, target_port: 'data' });
    expectError(again, 409, 'PORT_ALREADY_CONNECTED');
    expect(again.json.error.message).toBe('Input port data of node 5 already has a connection (edge 4)');
    const patched = await call(app, 'PATCH', `${url}/nodes/5/parameters/frequencies`, {
      id: 'frequencies',
      value: [7, 8, 12, 13],
      value_type: 'builtins.list',
      port_type: 'ListPort',
      value_domain: null,
    });
    expect(patched.json).toEqual({ id: 'frequencies', value: [7, 8, 12, 13], value_type: 'builtins.list', port_type: 'ListPort', value_domain: [0, 'Infinity'], customized: true });
    const bad = await call(app, 'PATCH', `${url}/nodes/5/parameters/frequencies`, { value: 'abc' });
    expectError(bad, 422, 'INVALID_PARAMETER_VALUE');
    expect(bad.json.error.message).toMatch(/^frequencies expects builtins.list/);
    const ports = (await call(app, 'GET', `${url}/nodes/5/ports`)).json;
    expect(ports[0]).toEqual({
      id: 'data',
      verbose_name: expect.any(String),
      help: expect.any(String),
      port_type: 'DataPort',
      value_type: 'Packet',
      direction: 'INOUT',
      default: null,
      value_domain: null,
      editable: false,
      is_data_port: true,
      connected: true,
    });
    expect(ports.find((p: { id: string }) => p.id === 'order')).toMatchObject({ port_type: 'IntPort', value_type: 'builtins.int', direction: 'IN', value_domain: [0, 25], editable: true, is_data_port: false, connected: false });
    emptyOk(await call(app, 'DELETE', `${url}/edges/4`));
    const gone = await call(app, 'DELETE', `${url}/edges/4`);
    expectError(gone, 404, 'EDGE_NOT_FOUND');
    expect(gone.json.error.message).toBe('Edge 4 does not exist');
  });
  it('ParameterPort aliases: PUT default/value, GET portname/value (§7.9, worked example)', async () => {
    const id = await loaded();
    const n = `/np/executions/${id}/graph/nodes/4/parameters`;
    emptyOk(await call(app, 'PUT', `${n}/default/value`, '[1, 2, 20, 25]', { 'Content-Type': 'application/json' }));
    expect((await call(app, 'GET', `${n}/value/value`)).json).toEqual([1, 2, 20, 25]);
    expect((await call(app, 'GET', `${n}/portname/value`)).json).toBe('band');
    const names = (await call(app, 'GET', n)).json.map((p: { id: string }) => p.id);
    expect(names).toEqual(expect.arrayContaining(['internal_name', 'portname', 'value', 'default']));
    expect((await call(app, 'GET', `${n}/internal_name`)).json).toMatchObject({ id: 'internal_name', value: 'band', value_type: 'builtins.str', port_type: 'StringPort' });
  });
  it('node GET/DELETE: deleting removes every edge touching it; errors 404 NODE_NOT_FOUND / PARAMETER_NOT_FOUND', async () => {
    const id = await loaded();
    const url = `/np/executions/${id}/graph`;
    expect((await call(app, 'GET', `${url}/nodes/2`)).json).toMatchObject({ id: 2, type: 'IIRFilter', uuid: 'b4ec7900-456d-40d1-a0ec-de5824f946a4', position: { x: 300, y: 100 } });
    emptyOk(await call(app, 'DELETE', `${url}/nodes/2`));
    expect((await call(app, 'GET', `${url}/edges`)).json).toEqual([]);
    expectError(await call(app, 'GET', `${url}/nodes/2`), 404, 'NODE_NOT_FOUND');
    expectError(await call(app, 'DELETE', `${url}/nodes/2`), 404, 'NODE_NOT_FOUND');
    expectError(await call(app, 'GET', `${url}/nodes/x`), 404, 'NODE_NOT_FOUND');
    expectError(await call(app, 'GET', `${url}/nodes/1/parameters/nope`), 404, 'PARAMETER_NOT_FOUND');
    expectError(await call(app, 'GET', `${url}/nodes/1/parameters/nope/value`), 404, 'PARAMETER_NOT_FOUND');
    expectError(await call(app, 'PUT', `${url}/nodes/1/parameters/nope/value`, '1'), 404, 'PARAMETER_NOT_FOUND');
    expectError(await call(app, 'GET', `${url}/nodes/77/ports`), 404, 'NODE_NOT_FOUND');
    expectError(await call(app, 'GET', `${url}/edges/1`), 404, 'EDGE_NOT_FOUND');
    // Node ids are never reused.
    expect((await call(app, 'POST', `${url}/nodes`, { class: 'IIRFilter' })).json.id).toBe(5);
  });
  it('parameter edits: 400 without value; PUT value with no body → 400; works while running', async () => {
    const id = await loaded();
    const url = `/np/executions/${id}/graph/nodes/2/parameters/mode`;
    emptyOk(await call(app, 'POST', `/np/executions/${id}/actions/play`));
    expectError(await call(app, 'PATCH', url, { id: 'mode' }), 400, 'BAD_REQUEST');
    expectError(await call(app, 'PUT', `${url}/value`), 400, 'BAD_REQUEST');
    emptyOk(await call(app, 'PUT', `${url}/value`, '"bandstop"'));
    expect((await call(app, 'GET', `${url}/value`)).json).toBe('bandstop');
    expectError(await call(app, 'PUT', `${url}/value`, '"sideways"'), 422, 'INVALID_PARAMETER_VALUE');
    expect((await call(app, 'GET', `${url}/value`)).json).toBe('bandstop');
    expect((await call(app, 'GET', `/np/executions/${id}/state`)).json.status).toBe('running');
  });
  it('adding nodes: 400 without class, 404 NODE_CLASS_NOT_FOUND, 422 UNSUPPORTED_NODE_CLASS, 422 INVALID_PARAMETER_VALUE; works on an empty execution', async () => {
    const id = await create();
    const url = `/np/executions/${id}/graph/nodes`;
    expectError(await call(app, 'POST', url, { parameters: {} }), 400, 'BAD_REQUEST');
    expectError(await call(app, 'POST', url, { type: 'no.such-node' }), 404, 'NODE_CLASS_NOT_FOUND');
    const un = await call(app, 'POST', url, { type: 'NoSuchNodeClass' });
    expectError(un, 422, 'UNSUPPORTED_NODE_CLASS');
    expect(un.json.error.details).toEqual({ classes: ['NoSuchNodeClass'] });
    expectError(await call(app, 'POST', url, { type: 'IIRFilter', parameters: { order: 99 } }), 422, 'INVALID_PARAMETER_VALUE');
    expectError(await call(app, 'POST', url, { type: 'IIRFilter', parameters: { nonsense: 1 } }), 422, 'INVALID_PARAMETER_VALUE');
    expect((await call(app, 'GET', '/np/executions')).json).toEqual([{ id }]); // still empty: nothing was created
    const ok = await call(app, 'POST', url, { type: 'IIRFilter', parameters: [{ id: 'order', value: 2 }] });
    expect(ok.json.id).toBe(1);
    expect((await call(app, 'GET', `${url}/1/parameters/order/value`)).json).toBe(2);
  });
  it('adding edges: 400, 404 NODE_NOT_FOUND, 422 UNKNOWN_PORT, 422 PORT_DIRECTION_MISMATCH; ports default to data', async () => {
    const id = await loaded();
    const url = `/np/executions/${id}/graph/edges`;
    expectError(await call(app, 'POST', url, { source_node: 'one', target_node: 2 }), 400, 'BAD_REQUEST');
    expectError(await call(app, 'POST', url, { source_node: 1, target_node: 42 }), 404, 'NODE_NOT_FOUND');
    expectError(await call(app, 'POST', url, { source_node: 1, source_port: 'zzz', target_node: 3 }), 422, 'UNKNOWN_PORT');
    expectError(await call(app, 'POST', url, { source_node: 2, source_port: 'frequencies', target_node: 3 }), 422, 'PORT_DIRECTION_MISMATCH');
    const extra = (await call(app, 'POST', `/np/executions/${id}/graph/nodes`, { type: 'InspectData' })).json.id;
    const e = await call(app, 'POST', url, { source_node: 2, target_node: extra });
    expect(e.json).toEqual({ id: 4, source_node: 2, source_port: 'data', target_node: extra, target_port: 'data' });
    expect((await call(app, 'GET', `${url}/4`)).json).toEqual(e.json);
  });
});

describe('catalog (#28–#30)', () => {
  it('packages and node classes, filtered by package; class details by name or module', async () => {
    const pk = (await call(app, 'GET', '/np/packages')).json;
    const sp = pk.find((p: { id: string }) => p.id === 'signal_processing');
    expect(sp).toMatchObject({ id: 'signal_processing', name: 'Signal Processing', module: 'neuropype.nodes.signal_processing' });
    expect(sp.node_count).toBeGreaterThanOrEqual(2);
    const classes = (await call(app, 'GET', '/np/nodeclasses?package=signal_processing')).json;
    expect(classes).toHaveLength(sp.node_count);
    expect(classes).toContainEqual({
      class: 'IIRFilter',
      module: 'neuropype.nodes.signal_processing.IIRFilter',
      package: 'signal_processing',
      name: expect.any(String),
      version: expect.any(String),
      summary: expect.stringMatching(/IIR/),
      browser_supported: true,
    });
    const all = (await call(app, 'GET', '/np/nodeclasses')).json;
    expect(all.length).toBe(pk.reduce((s: number, p: { node_count: number }) => s + p.node_count, 0));
    expectError(await call(app, 'GET', '/np/nodeclasses?package=astrology'), 404, 'PACKAGE_NOT_FOUND');
    const d = (await call(app, 'GET', '/np/nodeclasses/IIRFilter')).json;
    expect(d.doc).toMatch(/IIR/);
    expect(d.ports.find((p: { id: string }) => p.id === 'frequencies')).toEqual({
      id: 'frequencies',
      verbose_name: expect.any(String),
      help: expect.any(String),
      port_type: 'ListPort',
      value_type: 'builtins.list',
      direction: 'IN',
      default: [0.5, 1, 40, 45],
      value_domain: [0, 'Infinity'],
      editable: true,
      is_data_port: false,
    });
    expect((await call(app, 'GET', '/np/nodeclasses/neuropype.nodes.signal_processing.IIRFilter')).json.class).toBe('IIRFilter');
    expectError(await call(app, 'GET', '/np/nodeclasses/iirfilter'), 404, 'NODE_CLASS_NOT_FOUND');
  });
});

describe('native API (§2 discovery, §12 pipeline store)', () => {
  it('GET /bci/v1/compat lists the mounted families with engine status', async () => {
    expect((await call(app, 'GET', '/bci/v1/compat')).json).toEqual({
      families: [
        { family: 'neuropype', mount: '/np', emulates: 'NeuroPype API 2024.1.0', engine: 'up' },
        { family: 'instinct', mount: '/instinct', emulates: 'Instinct API', engine: 'up' },
        { family: 'experimenthub', mount: '/exphub', emulates: 'ExperimentHub API', engine: 'up' },
        { family: 'neurascale', mount: '/neurascale', emulates: 'NeuraScale REST v2 + WS beta', engine: 'up' },
        { family: 'kernel', mount: '/kernel', emulates: 'Kernel API (2025-04)', engine: 'up' },
      ],
    });
  });
  it('PUT (204) / GET (text) / list / DELETE pipeline files; errors in the native envelope', async () => {
    const text = alphaPyp();
    const put = await call(app, 'PUT', '/bci/v1/pipelines/pipelines/a b.pyp', text);
    expect(put.status).toBe(204);
    expect(put.headers.get('x-request-id')).toMatch(REQ_ID);
    const got = await call(app, 'GET', '/bci/v1/pipelines/pipelines/a%20b.pyp');
    expect(got.status).toBe(200);
    expect(got.text).toBe(text);
    expect(got.headers.get('content-type')).toMatch(/xml/);
    expect((await call(app, 'GET', '/bci/v1/pipelines')).json).toEqual([{ path: 'pipelines/a b.pyp', bytes: new TextEncoder().encode(text).length, modifiedMs: expect.any(Number) }]);
    const bad = await call(app, 'PUT', '/bci/v1/pipelines/x.pyp', 'just some words');
    expect(bad.status).toBe(422);
    expect(bad.json.error).toMatchObject({ code: 'PIPELINE_PARSE_ERROR', request_id: expect.stringMatching(REQ_ID) });
    expect((await call(app, 'PUT', '/bci/v1/pipelines/x.pyp', '')).status).toBe(400);
    expect((await call(app, 'PUT', '/bci/v1/pipelines/a%5C..%5Cb.pyp', text)).status).toBe(400);
    expect((await call(app, 'GET', '/bci/v1/pipelines/none.pyp')).json.error.code).toBe('FILE_NOT_FOUND');
    expect((await call(app, 'POST', '/bci/v1/pipelines/x.pyp', text)).status).toBe(405);
    expect((await call(app, 'DELETE', '/bci/v1/pipelines/pipelines/a b.pyp')).status).toBe(204);
    expect((await call(app, 'DELETE', '/bci/v1/pipelines/pipelines/a b.pyp')).status).toBe(404);
    expect((await call(app, 'GET', '/bci/v1/pipelines')).json).toEqual([]);
    expect((await call(app, 'GET', '/bci/v1/nothing')).json.error.code).toBe('NOT_FOUND');
  });
});

describe('OpenAPI document (GET /bci/v1/openapi.json)', () => {
  it('documents every registered route of every family, and only those', async () => {
    const { familyRoutesOf } = await import('./http');
    const { createNeuroPypeApp } = await import('./neuropype');
    expect(familyRoutesOf.get(createNeuroPypeApp(backend))!.undocumented()).toEqual([]);
    const r = await call(app, 'GET', '/bci/v1/openapi.json');
    expect(r.status).toBe(200);
    const doc = r.json;
    expect(doc.openapi).toBe('3.1.0');
    const ops: [string, string][] = [];
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) for (const m of Object.keys(item)) ops.push([m.toUpperCase(), path]);
    // 40 NeuroPype operations (§7.1) + native compat, openapi.json, markers, pipelines list, get, put, delete, live message (other families, studies and lsl included: their specs)
    expect(ops.filter(([, p]) => /^\/(np|bci\/v1)(\/|$)/.test(p) && !p.startsWith('/bci/v1/studies') && !p.startsWith('/bci/v1/lsl')).length).toBe(40 + 8);
    // Every documented operation exists: OPTIONS on a concrete path lists its method.
    for (const [method, path] of ops) {
      const concrete = path.replace(/\{[^}]+\}/g, (m) => (m === '{path}' ? 'a.pyp' : m === '{param}' ? 'order' : m === '{class_name}' ? 'IIRFilter' : '1000'));
      const allow = (await call(app, 'OPTIONS', concrete)).headers.get('allow') ?? '';
      expect(allow.split(', '), `${method} ${path}`).toContain(method);
    }
    const ids = ops.map(([m, p]) => doc.paths[p][m.toLowerCase()].operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const load = doc.paths['/np/executions/{id}/actions/load'].post;
    expect(load.requestBody.content['application/json'].schema.properties).toHaveProperty('file');
    expect(load.responses['4XX'].description).toMatch(/UNSUPPORTED_NODE_CLASS/);
    expect(doc.paths['/np/executions/{id}/state'].get.responses['200'].content['application/json'].schema.properties.status.enum).toContain('succeeded');
    expect(doc.paths['/bci/v1/pipelines/{path}'].put.requestBody.content).toHaveProperty('application/xml');
  });
});
