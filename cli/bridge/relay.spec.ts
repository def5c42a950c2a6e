// The bridge against a fake tab: a Node WebSocket client that pairs like the app does and answers
// relayed requests with the real API router over a LocalBackend (what the tab's service worker does).
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { createApi } from '../../src/lib/api/index';
import { LocalBackend } from '../../src/lib/api/local-backend';
import { bridgeThroughWorker, serveBridgeInWorker, type BridgeConnectionState, type BridgeRequest, type BridgeResponse } from '../../src/lib/clients/bridge';
import { BRIDGE_DEFAULT_PORTS, isLoopbackHost, mapBridgePath, startBridge, type Bridge } from './relay';
import { createServer as createNetServer } from 'node:net';
import { LiveHost, LiveRoutes } from '../../src/lib/api/live-host';
import { localConnector } from '../../src/lib/api/live-client';
import { SinkHub } from '../../src/lib/api/instinct-sinks';
import { parseBridgeArgs } from '../commands/bridge';

const APP_ORIGIN = 'http://127.0.0.1:4173';
const TOKEN = 'test-token-0123456789';

/** A small pipeline (bare NeuroPype patch JSON): LSLInput → IIRFilter → InspectData, ParameterPort "band" → IIRFilter.frequencies. */
const PIPELINE = JSON.stringify({
  description: { name: 'Alpha', description: 'Alpha band filter', license: '', status: '(unspecified)', url: '', version: '0.0.0' },
  edges: [
    ['node1', 'data', 'node2', 'data'],
    ['node2', 'data', 'node3', 'data'],
    ['node4', 'value', 'node2', 'frequencies'],
  ],
  nodes: {
    node1: { class: 'LSLInput', module: 'neuropype.nodes.network.LSLInput', params: { query: { customized: true, type: 'StringPort', value: "type='EEG'" } } },
    node2: { class: 'IIRFilter', module: 'neuropype.nodes.signal_processing.IIRFilter', params: { frequencies: { customized: true, type: 'ListPort', value: [7, 8, 12, 13] }, mode: { customized: false, type: 'EnumPort', value: 'bandpass' } } },
    node3: { class: 'InspectData', module: 'neuropype.nodes.visualization.InspectData', params: {} },
    node4: { class: 'ParameterPort', module: 'neuropype.nodes.workflow.ParameterPort', params: { portname: { customized: true, type: 'StringPort', value: 'band' } } },
  },
  version: 1.1,
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function call(port: number, method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((ok, fail) => {
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path, headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...opts.headers } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          ok({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', fail);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

interface FakeTab {
  ws: WebSocket;
  seen: BridgeRequest[];
  backend: LocalBackend;
  close(): Promise<void>;
}

/** Pairs like the app; `answer: false` never answers (to test timeouts). */
function fakeTab(bridge: Bridge, opts: { token?: string; origin?: string | null; answer?: boolean } = {}): Promise<FakeTab> {
  const backend = new LocalBackend();
  const api = createApi(backend);
  const seen: BridgeRequest[] = [];
  const headers: Record<string, string> = {};
  if (opts.origin !== null) headers.Origin = opts.origin ?? APP_ORIGIN;
  const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/_bridge?token=${encodeURIComponent(opts.token ?? TOKEN)}`, { headers });
  ws.on('message', async (data) => {
    const msg = JSON.parse(data.toString()) as BridgeRequest | { type: 'welcome' };
    if (msg.type !== 'request') return;
    seen.push(msg);
    if (opts.answer === false) return;
    const res = await api.request(msg.path, { method: msg.method, headers: msg.headers, body: msg.method === 'GET' || msg.method === 'HEAD' ? undefined : msg.body });
    const h: Record<string, string> = {};
    res.headers.forEach((v, k) => (h[k] = v));
    const out: BridgeResponse = { type: 'response', id: msg.id, status: res.status, headers: h, body: await res.text() };
    ws.send(JSON.stringify(out));
  });
  return new Promise((ok, fail) => {
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'hello', app: 'neurotab', engineHost: true, userAgent: 'node' }));
      ws.once('message', () => ok({ ws, seen, backend, close: async () => {
        ws.close();
        await backend.dispose();
      } }));
    });
    ws.once('unexpected-response', (_req, res) => fail(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', fail);
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'neurotab-bridge-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('pure helpers', () => {
  it('accepts only loopback Host names, with or without a port', () => {
    for (const h of ['localhost', 'localhost:6937', '127.0.0.1', '127.0.0.1:80', '[::1]', '[::1]:6937', 'LOCALHOST:1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of [undefined, '', 'evil.com', 'evil.com:6937', '127.0.0.1.evil.com', 'localhost.evil.com:6937', '10.0.0.1:6937', '[::2]:6937', '0.0.0.0:6937', 'localhost:6937:1'])
      expect(isLoopbackHost(h), String(h)).toBe(false);
  });

  it('maps the root to the NeuroPype family and keeps the mounts', () => {
    expect(mapBridgePath('/executions')).toBe('/np/executions');
    expect(mapBridgePath('/executions/1234/logs?from_idx=3')).toBe('/np/executions/1234/logs?from_idx=3');
    expect(mapBridgePath('/')).toBe('/np');
    expect(mapBridgePath('//executions//')).toBe('/np/executions/');
    expect(mapBridgePath('/np/version')).toBe('/np/version');
    expect(mapBridgePath('/bci/v1/compat')).toBe('/bci/v1/compat');
    expect(mapBridgePath('/npx')).toBe('/np/npx');
    expect(mapBridgePath('/bci/v2')).toBe('/np/bci/v2');
  });

  it('maps each port\'s root to its family; every mount answers on every port', () => {
    expect(mapBridgePath('/my_experiment/train', 'exphub')).toBe('/exphub/my_experiment/train');
    expect(mapBridgePath('/', 'exphub')).toBe('/exphub');
    expect(mapBridgePath('/stream/streams?x=1', 'instinct')).toBe('/instinct/stream/streams?x=1');
    expect(mapBridgePath('/streams/stream/start', 'instinct')).toBe('/instinct/streams/stream/start');
    expect(mapBridgePath('/v2/devices', 'neurascale')).toBe('/neurascale/v2/devices');
    expect(mapBridgePath('/api/v1/devices/', 'neurascale')).toBe('/neurascale/api/v1/devices/');
    expect(mapBridgePath('/ws?token=t', 'neurascale')).toBe('/neurascale/ws?token=t');
    expect(mapBridgePath('/api/v1/study/1/datasets', 'kernel')).toBe('/kernel/api/v1/study/1/datasets');
    for (const root of ['neuropype', 'exphub', 'instinct', 'neurascale', 'kernel'] as const)
      for (const m of ['/np/executions', '/bci/v1/compat', '/exphub/health', '/instinct/stream/streams', '/neurascale/v2/devices', '/kernel/api/v1/study/1']) expect(mapBridgePath(m, root)).toBe(m);
  });

  it('parses the command line and rejects bad values', () => {
    expect(parseBridgeArgs([])).toMatchObject({ port: 6937, timeoutMs: 30_000, sinkPorts: true, ports: BRIDGE_DEFAULT_PORTS });
    expect(parseBridgeArgs(['--port-instinct', 'off', '--port-kernel', '9797', '--no-sink-ports'])).toMatchObject({ ports: { instinct: null, kernel: 9797, exphub: 8010 }, sinkPorts: false });
    expect(parseBridgeArgs(['--port-neuropype', 'off']).port).toBeNull();
    expect(() => parseBridgeArgs(['--port-exphub', '6937'])).toThrow(/two families/);
    expect(() => parseBridgeArgs(['--port-bogus', '1'])).toThrow(/unknown family/);
    expect(() => parseBridgeArgs(['--port-neuropype', 'off', '--port-exphub', 'off', '--port-instinct', 'off', '--port-neurascale', 'off', '--port-kernel', 'off'])).toThrow(/every port is off/);
    expect(parseBridgeArgs(['--port', '7000', '--token', 'abcdefgh'])).toMatchObject({ port: 7000, token: 'abcdefgh' });
    expect(() => parseBridgeArgs(['--port', 'x'])).toThrow(/--port/);
    expect(() => parseBridgeArgs(['--token', 'short'])).toThrow(/--token/);
    expect(() => parseBridgeArgs(['--frobnicate'])).toThrow(/unknown option/);
  });
});

describe('bridge with no tab', () => {
  let bridge: Bridge;
  beforeAll(async () => {
    bridge = await startBridge({ port: 0, token: TOKEN });
  });
  afterAll(() => bridge.close());

  it('listens on 127.0.0.1 only', () => {
    expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers 503 ENGINE_UNAVAILABLE with Retry-After: 1 in the family envelope', async () => {
    const r = await call(bridge.port, 'GET', '/executions');
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.json.error.code).toBe('ENGINE_UNAVAILABLE');
    expect(r.json.error.message).toMatch(/open Neurotab.*pair/);
    const n = await call(bridge.port, 'GET', '/bci/v1/compat');
    expect(n.status).toBe(503);
    expect(n.json.error).toMatchObject({ code: 'ENGINE_UNAVAILABLE', request_id: null });
  });

  it('a random token is generated when none is given (URL-safe, ≥ 128 bits)', async () => {
    const b = await startBridge({ port: 0 });
    try {
      expect(b.token).toMatch(/^[A-Za-z0-9_-]{22,}$/);
      expect(b.token).not.toBe(TOKEN);
    } finally {
      await b.close();
    }
  });
});

describe('bridge paired with a fake tab', () => {
  let bridge: Bridge;
  let tab: FakeTab | null = null;
  beforeAll(async () => {
    bridge = await startBridge({ port: 0, token: TOKEN, timeoutMs: 300 });
  });
  afterEach(async () => {
    await tab?.close();
    tab = null;
  });
  afterAll(() => bridge.close());

  it('refuses a wrong token, a missing Origin and a foreign Host on the upgrade', async () => {
    await expect(fakeTab(bridge, { token: 'wrong-token-xxxxxxxxx' })).rejects.toThrow(/401/);
    await expect(fakeTab(bridge, { origin: null })).rejects.toThrow(/403/);
    expect(bridge.tabConnected).toBe(false);
    const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/_bridge?token=${TOKEN}`, { headers: { Host: 'attacker.example:80', Origin: APP_ORIGIN } });
    const status = await new Promise<number>((ok) => ws.once('unexpected-response', (_q, res) => ok(res.statusCode ?? 0)));
    expect(status).toBe(403);
  });

  it('pairs with the right token and relays the NeuroPype family served at the root', async () => {
    tab = await fakeTab(bridge);
    expect(bridge.tabConnected).toBe(true);
    expect(bridge.pairedOrigin).toBe(APP_ORIGIN);
    const v = await call(bridge.port, 'GET', '/version');
    expect(v.status).toBe(200);
    expect(v.json.version).toMatch(/^2024\.1\.0/);
    expect(v.headers['x-request-id']).toMatch(/^req_/);
    expect(tab.seen.at(-1)?.path).toBe('/np/version');
    const created = await call(bridge.port, 'POST', '/executions', { body: { info: { tickrate: 25 } } });
    expect(created.status).toBe(200);
    const list = await call(bridge.port, 'GET', '/np/executions');
    expect(list.json.map((e: { id: number }) => e.id)).toEqual([created.json.id]);
    const logs = await call(bridge.port, 'GET', `/executions/${created.json.id}/logs?from_idx=0`);
    expect(tab.seen.at(-1)?.path).toBe(`/np/executions/${created.json.id}/logs?from_idx=0`);
    expect(logs.status).toBe(200);
    // HEAD: headers, no body.
    const head = await call(bridge.port, 'HEAD', '/executions');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
  });

  it('refuses foreign Host headers (DNS rebinding) and foreign browser origins, but not the paired origin', async () => {
    tab = await fakeTab(bridge);
    const before = tab.seen.length;
    const host = await call(bridge.port, 'GET', '/executions', { headers: { Host: 'rebind.attacker.example:6937' } });
    expect(host.status).toBe(403);
    expect(host.json.error.code).toBe('FORBIDDEN_HOST');
    const origin = await call(bridge.port, 'GET', '/executions', { headers: { Origin: 'https://evil.example' } });
    expect(origin.status).toBe(403);
    expect(origin.json.error.code).toBe('FORBIDDEN_ORIGIN');
    // A browser subresource GET (<img src>) carries no Origin but Sec-Fetch-Site.
    const img = await call(bridge.port, 'GET', '/executions', { headers: { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'no-cors' } });
    expect(img.status).toBe(403);
    expect(tab.seen.length).toBe(before); // none reached the tab
    const own = await call(bridge.port, 'GET', '/executions', { headers: { Origin: APP_ORIGIN, Host: 'localhost:6937' } });
    expect(own.status).toBe(200);
  });

  it('reads a load request\'s file from disk and hands it to the tab as content', async () => {
    tab = await fakeTab(bridge);
    const file = join(tmp, 'alpha.pyp');
    writeFileSync(file, PIPELINE);
    const { json: ex } = await call(bridge.port, 'POST', '/executions', { body: {} });
    const load = await call(bridge.port, 'POST', `/executions/${ex.id}/actions/load`, { body: { file } });
    expect(load.status).toBe(200);
    expect(load.text).toBe('""');
    const sent = JSON.parse(tab.seen.at(-1)!.body!);
    expect(sent).toEqual({ file, content: PIPELINE });
    const desc = await call(bridge.port, 'GET', `/executions/${ex.id}/graph/description`);
    expect(desc.json.name).toBe('Alpha');
    const state = await call(bridge.port, 'GET', `/np/executions/${ex.id}/state`);
    expect(state.json).toMatchObject({ status: 'pending', running: false, paused: true, completed: false });
  });

  it('reload re-reads the disk file the bridge loaded from; other reloads pass through', async () => {
    tab = await fakeTab(bridge);
    const file = join(tmp, 'reload.pyp');
    writeFileSync(file, PIPELINE);
    const { json: ex } = await call(bridge.port, 'POST', '/executions', { body: {} });
    expect((await call(bridge.port, 'POST', `/executions/${ex.id}/actions/load`, { body: { file } })).status).toBe(200);
    expect((await call(bridge.port, 'POST', `/executions/${ex.id}/actions/play`)).status).toBe(200);
    writeFileSync(file, PIPELINE.replace('"Alpha"', '"Alpha v2"'));
    const r = await call(bridge.port, 'POST', `/executions/${ex.id}/actions/reload`);
    expect(r.status).toBe(200);
    expect(tab.seen.at(-1)!.path).toBe(`/np/executions/${ex.id}/actions/load`);
    expect((await call(bridge.port, 'GET', `/executions/${ex.id}/graph/description`)).json.name).toBe('Alpha v2');
    // Same post-state as a load (API.md #12).
    expect((await call(bridge.port, 'GET', `/executions/${ex.id}/state`)).json).toMatchObject({ status: 'pending', running: false });
    rmSync(file);
    const gone = await call(bridge.port, 'POST', `/executions/${ex.id}/actions/reload`);
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe('FILE_NOT_FOUND');
    // Loaded inline: the API answers (nothing was loaded from a file).
    const { json: ex2 } = await call(bridge.port, 'POST', '/executions', { body: {} });
    await call(bridge.port, 'POST', `/executions/${ex2.id}/actions/load`, { body: { content: PIPELINE } });
    const inline = await call(bridge.port, 'POST', `/executions/${ex2.id}/actions/reload`);
    expect(inline.status).toBe(409);
    expect(inline.json.error.code).toBe('NO_PIPELINE_LOADED');
    expect(tab.seen.at(-1)!.path).toBe(`/np/executions/${ex2.id}/actions/reload`);
  });

  it('a missing file is FILE_NOT_FOUND in the NeuroPype envelope and never reaches the tab', async () => {
    tab = await fakeTab(bridge);
    const { json: ex } = await call(bridge.port, 'POST', '/executions', { body: {} });
    const before = tab.seen.length;
    const r = await call(bridge.port, 'POST', `/executions/${ex.id}/actions/load`, { body: { file: join(tmp, 'nope.pyp') } });
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('FILE_NOT_FOUND');
    expect(r.json.error.message).toContain('nope.pyp');
    expect(tab.seen.length).toBe(before);
  });

  it('passes through inline content, parameter loads and malformed bodies for the API to judge', async () => {
    tab = await fakeTab(bridge);
    const { json: ex } = await call(bridge.port, 'POST', '/executions', { body: {} });
    const bad = await call(bridge.port, 'POST', `/executions/${ex.id}/actions/load`, { body: '{"file": ' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('BAD_REQUEST');
    expect(tab.seen.at(-1)!.body).toBe('{"file": ');
    const inline = await call(bridge.port, 'POST', `/executions/${ex.id}/actions/load`, { body: { content: PIPELINE } });
    expect(inline.status).toBe(200);
    const params = await call(bridge.port, 'POST', `/executions/${ex.id}/actions/load`, { body: { what: 'parameters', data: { band: { value: [8, 9, 11, 12] } } } });
    expect(params.status).toBe(200);
    expect(JSON.parse(tab.seen.at(-1)!.body!)).toEqual({ what: 'parameters', data: { band: { value: [8, 9, 11, 12] } } });
    // Python's NaN token in a file load is tolerated (json.dumps emits it).
    const file = join(tmp, 'alpha2.pyp');
    writeFileSync(file, PIPELINE);
    const nan = await call(bridge.port, 'POST', `/executions/${ex.id}/actions/load`, { body: `{"file": ${JSON.stringify(file)}, "extra": NaN}` });
    expect(nan.status).toBe(200);
  });

  it('a tab that never answers yields 504 after the timeout, never a hang', async () => {
    tab = await fakeTab(bridge, { answer: false });
    const r = await call(bridge.port, 'GET', '/executions');
    expect(r.status).toBe(504);
    expect(r.json.error.code).toBe('ENGINE_UNAVAILABLE');
    expect(r.headers['retry-after']).toBe('1');
  });

  it('a tab that disconnects mid-request yields 503 at once; the next tab takes over', async () => {
    const b = await startBridge({ port: 0, token: TOKEN, timeoutMs: 60_000 });
    try {
      const silent = await fakeTab(b, { answer: false });
      const pendingCall = call(b.port, 'GET', '/executions');
      await new Promise<void>((ok) => {
        const t = setInterval(() => {
          if (silent.seen.length) {
            clearInterval(t);
            ok();
          }
        }, 5);
      });
      silent.ws.terminate();
      const r = await pendingCall;
      expect(r.status).toBe(503);
      expect(r.json.error.message).toMatch(/disconnected/);
      const next = await fakeTab(b);
      const ok = await call(b.port, 'GET', '/executions');
      expect(ok.status).toBe(200);
      // A newer tab replaces the paired one.
      const newer = await fakeTab(b);
      await new Promise((r2) => next.ws.once('close', r2));
      expect((await call(b.port, 'GET', '/version')).status).toBe(200);
      expect(newer.seen.length).toBe(1);
      await next.close();
      await newer.close();
      await silent.backend.dispose();
    } finally {
      await b.close();
    }
  });

  it('refuses oversized bodies with 413 before relaying', async () => {
    tab = await fakeTab(bridge);
    const r = await call(bridge.port, 'POST', '/executions', { body: 'x'.repeat(16 * 1024 * 1024 + 1) });
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(tab.seen.length).toBe(0);
  });
});

describe("the app's own tab code (clients/bridge.ts), socket in a worker as the engine host opens it", () => {
  let bridge: Bridge;
  let backend: LocalBackend;
  beforeAll(async () => {
    bridge = await startBridge({ port: 0, token: TOKEN });
    backend = new LocalBackend();
    // The browser sends the page's Origin on the upgrade; Node's client is told to.
    vi.stubGlobal(
      'WebSocket',
      class extends WebSocket {
        constructor(url: string) {
          super(url, { headers: { Origin: APP_ORIGIN } });
        }
      },
    );
  });
  afterAll(async () => {
    vi.unstubAllGlobals();
    await bridge.close();
    await backend.dispose();
  });

  it('pairs, answers from the worker with the API, reports relays in batches and closes', async () => {
    const api = createApi(backend);
    // The worker, on the far end of a real MessageChannel (workers/api-engine.worker.ts "bridge").
    const worker = {
      postMessage(m: { port: number; token: string }, transfer: MessagePort[]) {
        serveBridgeInWorker(transfer[0], m.port, m.token, async (url, init) => api.fetch(new Request(url, init)), APP_ORIGIN);
      },
    } as unknown as Worker;
    const states: BridgeConnectionState[] = [];
    const relays: Array<{ count: number; path: string; status: number }> = [];
    const conn = bridgeThroughWorker(worker)(bridge.port, TOKEN, {
      onState: (s) => states.push(s),
      onRelay: (count, last) => relays.push({ count, path: last.path, status: last.status }),
    });
    await bridge.waitForTab();
    await expect.poll(() => states).toContain('paired');
    expect(bridge.pairedOrigin).toBe(APP_ORIGIN);

    const created = await call(bridge.port, 'POST', '/executions', { body: {} });
    expect(created.status).toBe(200);
    const state = await call(bridge.port, 'GET', `/executions/${created.json.id}/state`);
    expect(state.status).toBe(200);
    expect(state.json).toMatchObject({ running: false });
    const missing = await call(bridge.port, 'GET', '/executions/999999/state');
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('EXECUTION_NOT_FOUND');
    // Three calls in quick succession: one report (or few), all counted, the last one named.
    await expect.poll(() => relays.reduce((n, r) => n + r.count, 0)).toBe(3);
    expect(relays.length).toBeLessThan(3);
    expect(relays.at(-1)).toEqual({ count: expect.any(Number), path: '/np/executions/999999/state', status: 404 });

    conn.close();
    await expect.poll(() => states.at(-1)).toBe('closed');
    await expect.poll(() => bridge.tabConnected).toBe(false);
  });
});

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((ok) => {
    const srv = createNetServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => ok(p));
    });
  });
}

/** Collects a WebSocket's text messages; resolves `opened` or rejects with the refusal's status. */
function wsClient(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  const messages: string[] = [];
  let closed: { code: number; reason: string } | null = null;
  ws.on('message', (d) => messages.push(d.toString()));
  ws.on('close', (code, reason) => (closed = { code, reason: reason.toString() }));
  const opened = new Promise<void>((ok, fail) => {
    ws.once('open', () => ok());
    ws.once('unexpected-response', (_q, res) => fail(new Error(`refused ${res.statusCode}`)));
    ws.once('error', fail);
  });
  return { ws, messages, opened, get closed() { return closed; } };
}

describe('every vendor port, live WebSockets and streamed SSE, through the app\'s own tab code', () => {
  let bridge: Bridge;
  let backend: LocalBackend;
  let host: LiveHost;
  let sinkPort: number;
  const SID = '7348dd95-7835-4a8a-9ec5-2e4cee1e72e2';
  const nodes = (port: number) => [
    { id: '5c3a1d8b-c2f6-4c8a-bcf3-1af7e51b1e06', executable: '/usr/share/instinct/signal-generator', config: { sampleRate: 2000, channels: 64 } },
    { id: '9fb2e8d4-57a0-4e5c-a5b1-84b8f43c3292', executable: 'node /usr/share/engines/worker-scripts/WebSocket.js', config: { port } },
  ];

  beforeAll(async () => {
    sinkPort = await freePort();
    bridge = await startBridge({ port: 0, ports: { exphub: 0, instinct: 0, neurascale: 0, kernel: 0 }, token: TOKEN, timeoutMs: 5000 });
    // A small backlog bound, so a client that stops reading is dropped within a second or two.
    backend = new LocalBackend({ sinks: new SinkHub({ maxBacklog: 256 * 1024 }) });
    host = new LiveHost(new LiveRoutes().add('/instinct/_sinks/:port', (p) => backend.sinks.handler(Number(p.port))).router);
    const api = createApi(backend, { live: localConnector(host) });
    vi.stubGlobal('WebSocket', class extends WebSocket {
      constructor(url: string) {
        super(url, { headers: { Origin: APP_ORIGIN } });
      }
    });
    const worker = {
      postMessage(m: { port: number; token: string }, transfer: MessagePort[]) {
        serveBridgeInWorker(transfer[0], m.port, m.token, async (url, init) => api.fetch(new Request(url, init)), APP_ORIGIN, {
          live: localConnector(host),
          sinks: { ports: () => backend.sinks.activePorts(), onChange: (fn) => backend.sinks.onPortsChanged(fn) },
        });
      },
    } as unknown as Worker;
    bridgeThroughWorker(worker)(bridge.port, TOKEN, { onState: () => {} });
    await bridge.waitForTab();
    vi.unstubAllGlobals();
  });
  afterAll(async () => {
    await bridge.close();
    await backend.dispose();
  });

  it('each family answers at the root of its port, in its own envelope, and every mount on every port', async () => {
    const p = bridge.ports;
    expect(Object.keys(p).sort()).toEqual(['exphub', 'instinct', 'kernel', 'neurascale', 'neuropype']);
    expect(new Set(Object.values(p)).size).toBe(5);
    expect((await call(p.instinct!, 'GET', '/stream/streams')).json).toEqual({ success: true, streams: [] });
    // No experiments backend in this tab: ExperimentHub's own 503, relayed, at its root.
    expect((await call(p.exphub!, 'GET', '/health')).json).toEqual({ detail: 'Engine unavailable' });
    // No Kernel backend in this tab either: Kernel's own 503, relayed, at its root.
    expect((await call(p.kernel!, 'GET', '/api/v1/study/1/datasets')).json).toMatchObject({ detail: expect.stringMatching(/^Kernel jobs unavailable/) });
    for (const port of Object.values(p)) {
      expect((await call(port!, 'GET', '/np/executions')).json).toEqual([]);
      expect((await call(port!, 'GET', '/instinct/stream/streams')).status).toBe(200);
      expect((await call(port!, 'GET', '/bci/v1/compat')).status).toBe(200);
    }
    expect((await call(p.neuropype!, 'GET', '/executions')).status).toBe(200);
    // The bridge's own refusals use the family of the path.
    const evil = { headers: { Host: 'evil.example' } };
    expect((await call(p.instinct!, 'GET', '/stream/streams', evil)).json).toEqual({ success: false, error: { code: 'forbidden_host', message: expect.any(String), details: {} } });
    expect((await call(p.exphub!, 'GET', '/health', evil)).json).toEqual({ detail: expect.stringMatching(/loopback/) });
    expect((await call(p.neurascale!, 'GET', '/v2/devices', evil)).json.error).toMatchObject({ code: 'FORBIDDEN_HOST', details: {}, request_id: null });
  });

  it('a running sink streams to WebSocket clients on the relayed path and on its own port, and to SSE; a client that stops reading is dropped with a reason, the others and the engine go on', async () => {
    const ip = bridge.ports.instinct!;
    expect((await call(ip, 'POST', '/stream/streams', { body: { id: SID, nodes: nodes(sinkPort), pipes: [{ id: 'e93b59c0-4dbf-48c5-9db8-19a312fd4aed', source: nodes(0)[0].id, destination: nodes(0)[1].id }] } })).status).toBe(200);
    // No sink runs yet: the upgrade is refused before the handshake.
    await expect(wsClient(`ws://127.0.0.1:${ip}/_sinks/${sinkPort}`).opened).rejects.toThrow(/404/);
    expect((await call(ip, 'POST', `/stream/streams/${SID}/signal`, { body: 'signal=start', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })).status).toBe(200);
    await expect.poll(() => bridge.sinkPorts).toEqual([sinkPort]);

    const relayed = wsClient(`ws://127.0.0.1:${ip}/_sinks/${sinkPort}`);
    const own = wsClient(`ws://localhost:${sinkPort}/`);
    const slow = wsClient(`ws://127.0.0.1:${bridge.ports.neuropype}/instinct/_sinks/${sinkPort}`);
    await Promise.all([relayed.opened, own.opened, slow.opened]);
    // Refused like requests: a foreign Origin, a foreign Host.
    await expect(wsClient(`ws://127.0.0.1:${ip}/_sinks/${sinkPort}`, { Origin: 'https://evil.example' }).opened).rejects.toThrow(/403/);
    await expect(wsClient(`ws://127.0.0.1:${ip}/_sinks/${sinkPort}`, { Host: 'evil.example' }).opened).rejects.toThrow(/403/);
    (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    await expect.poll(() => own.messages.length, { timeout: 5000 }).toBeGreaterThan(3);
    const chunk = JSON.parse(own.messages[0]);
    expect(chunk).toMatchObject({ streamId: SID, port: sinkPort, sampleRate: 2000 });
    expect(chunk.channels.length).toBe(64);
    expect(chunk.data.length).toBe(chunk.timestamps.length);

    // SSE of the same sink, streamed through the bridge.
    const sse = await new Promise<string>((ok, fail) => {
      const req = httpRequest({ host: '127.0.0.1', port: ip, path: `/_sinks/${sinkPort}/events` }, (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
          if ((text.match(/\ndata: \{"nodeId"/g) ?? []).length >= 2) {
            req.destroy();
            ok(text);
          }
        });
      });
      req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : fail(e)));
      req.end();
    });
    expect(sse).toMatch(/^: connected\n\nevent: connection\ndata: \{"connection_id":"live_[0-9a-f]{32}"\}/);

    // The paused client is dropped by the host once its backlog passes the bound; the others go on.
    await expect.poll(() => host.size, { timeout: 15_000 }).toBeLessThanOrEqual(2);
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await expect.poll(() => slow.closed, { timeout: 10_000 }).not.toBeNull();
    expect(slow.closed!.code).toBe(4008);
    expect(slow.closed!.reason).toMatch(/stopped reading/);
    const before = relayed.messages.length;
    await expect.poll(() => relayed.messages.length, { timeout: 5000 }).toBeGreaterThan(before + 3);
    const st = await call(ip, 'GET', `/stream/streams/${SID}/status`);
    expect(st.json.status.state).toBe('running');
    expect(st.json.status.nodes[1].metrics.errorCount).toBe(0);

    // Stopping the stream closes its clients and the sink's own server.
    await call(ip, 'POST', `/stream/streams/${SID}/signal`, { body: { signal: 'stop' } });
    await expect.poll(() => relayed.closed).toEqual({ code: 1001, reason: `the sink on port ${sinkPort} stopped` });
    await expect.poll(() => own.closed?.code).toBe(1001);
    await expect.poll(() => bridge.sinkPorts).toEqual([]);
  }, 60_000);
});
