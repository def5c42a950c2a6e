// The API as messages (api/message.ts), asked by the public client static/neurotab-api.js over real
// MessageChannels: every answer equals what app.request() gives for the same request on the same
// engine — statuses, headers, bodies, error envelopes, limits — and what is not an API call is refused.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Hono } from 'hono';
import { createApi, NP_MAX_BODY_BYTES } from './index';
import { LocalBackend } from './local-backend';
import { answerApiMessage, answerOnPort, serveApiPort } from './message';
import { apiFetch } from '../../../static/neurotab-api.js';

const ORIGIN = 'http://neurotab.test';
let backend: LocalBackend;
let app: Hono;
const send: (input: string, init?: RequestInit) => Promise<Response> = apiFetch;

/** The controlling service worker: its message handler as src/service-worker/index.ts has it. */
class FakeServiceWorker {
  /** Types of the messages posted to it (each one an event the browser routes). */
  events: string[] = [];
  ports: MessagePort[] = [];
  /** Port ids this instance serves (a restarted worker serves none; servesApiPort in the real one). */
  private served = new Set<string>();
  /** false: an older worker that ignores API_PORT. */
  constructor(private readonly servesPorts = true) {}
  postMessage(msg: { type?: string; portId?: string }, transfer: Transferable[] = []): void {
    this.events.push(String(msg?.type));
    const port = transfer[0] as MessagePort | undefined;
    if (msg?.type === 'API_REQUEST' && port) void answerOnPort(app, msg, ORIGIN, port);
    else if (msg?.type === 'API_PORT' && port && this.servesPorts) {
      this.ports.push(port);
      this.served.add(String(msg.portId));
      serveApiPort(app, ORIGIN, port, msg.portId);
    } else if (msg?.type === 'API_PORT_CHECK' && port && this.servesPorts) port.postMessage({ alive: this.served.has(String(msg.portId)) });
  }
  /** The browser stopped and restarted the worker: the ports it served go silent, unclosed. */
  restart(): void {
    for (const p of this.ports) p.onmessage = () => {};
    this.served.clear();
  }
  count(type: string): number {
    return this.events.filter((t) => t === type).length;
  }
}
let sw: FakeServiceWorker;
const useWorker = (w: FakeServiceWorker) => {
  sw = w;
  vi.stubGlobal('navigator', { serviceWorker: { controller: w } });
};

beforeEach(() => {
  backend = new LocalBackend();
  app = createApi(backend);
  useWorker(new FakeServiceWorker());
});

afterEach(async () => {
  vi.unstubAllGlobals();
  await backend.dispose();
});

async function both(path: string, init?: RequestInit): Promise<[Response, Response]> {
  const viaMessage = await send(ORIGIN + path, init);
  const direct = await app.request(ORIGIN + path, init);
  return [viaMessage, direct];
}

describe('the REST API over messages', () => {
  it('answers as app.request() does: success, errors, methods, HEAD', async () => {
    const json = { 'Content-Type': 'application/json' };
    const cases: [string, RequestInit?][] = [
      ['/np/version'],
      ['/np/executions/4711'],
      ['/np/version', { method: 'PUT' }],
      ['/np/executions', { method: 'POST', headers: json, body: '{"info": ' }],
      ['/np/executions', { method: 'POST', headers: json, body: '{"info": {"tickrate": NaN}}' }],
      ['/np/version', { method: 'HEAD' }],
      ['/bci/v1/compat'],
      ['/exphub/health'],
    ];
    for (const [path, init] of cases) {
      const [m, d] = await both(path, init);
      const where = `${init?.method ?? 'GET'} ${path}`;
      expect(m.status, where).toBe(d.status);
      expect(m.headers.get('content-type'), where).toBe(d.headers.get('content-type'));
      expect(m.headers.get('allow'), where).toBe(d.headers.get('allow'));
      const [mb, db] = [await m.text(), await d.text()];
      // Fresh ids and request ids differ between the two calls; everything else is the same.
      const strip = (t: string) => t.replace(/"(id|request_id)":("[^"]*"|\d+)/g, '"$1":_');
      expect(strip(mb), where).toBe(strip(db));
    }
  });

  it('carries state: an execution created over messages is the engine’s', async () => {
    const created = await send(`${ORIGIN}/np/executions`, { method: 'POST', body: '{}' });
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: number };
    const listed = (await (await app.request('/np/executions')).json()) as { id: number }[];
    expect(listed.map((e) => e.id)).toContain(id);
    expect((await send(`${ORIGIN}/np/executions/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await app.request(`/np/executions/${id}`)).status).toBe(404);
  });

  it('keeps the body limit (413) and binary bodies intact', async () => {
    const big = new Uint8Array(NP_MAX_BODY_BYTES + 1).fill(32);
    const r = await send(`${ORIGIN}/np/executions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: big });
    expect(r.status).toBe(413);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    const doc = JSON.stringify({ format: 'neurotab.pipeline', version: 1, meta: { name: 'über', description: '' }, nodes: [], edges: [] });
    expect((await send(`${ORIGIN}/bci/v1/pipelines/x.json`, { method: 'PUT', body: new TextEncoder().encode(doc) })).status).toBe(204);
    expect(await (await send(`${ORIGIN}/bci/v1/pipelines/x.json`)).text()).toBe(doc);
  });

  it('refuses what is not an API call of this origin, and malformed messages', async () => {
    const file = await send(`${ORIGIN}/index.html`);
    expect(file.status).toBe(404);
    expect(await file.text()).toMatch(/Only the API paths/);
    const foreign = await send('http://elsewhere.test/np/version');
    expect(foreign.status).toBe(404);
    for (const bad of [null, 42, { url: 'http://[' }, { url: `${ORIGIN}/np/version`, method: 'GET', headers: [['bad header', 'x']] }]) {
      const res = await answerApiMessage(app, bad, ORIGIN);
      expect([400, 404]).toContain(res.status);
      const body = JSON.parse(new TextDecoder().decode(res.body)) as { error: { message: string } };
      expect(body.error.message.length).toBeGreaterThan(10);
    }
  });

  it("goes over the page's port once it is ready: one event for many calls", async () => {
    for (let i = 0; i < 20; i++) expect((await send(`${ORIGIN}/np/version`)).status).toBe(200);
    expect(sw.count('API_PORT')).toBe(1);
    expect(sw.count('API_REQUEST')).toBeLessThanOrEqual(1); // the first call, before the port was acknowledged
    const inFlight = await Promise.all(Array.from({ length: 8 }, () => send(`${ORIGIN}/np/executions`, { method: 'POST', body: '{}' })));
    const ids = await Promise.all(inFlight.map(async (r) => ((await r.json()) as { id: number }).id));
    expect(new Set(ids).size).toBe(8); // every answer reached its own call
    expect(sw.count('API_REQUEST')).toBeLessThanOrEqual(1);
  });

  it('a worker that does not serve ports (an older version) answers every call as an event', async () => {
    useWorker(new FakeServiceWorker(false));
    for (let i = 0; i < 5; i++) expect((await send(`${ORIGIN}/np/version`)).status).toBe(200);
    expect(sw.count('API_REQUEST')).toBe(5);
  });

  it('a port closed under calls in flight: idempotent calls are sent again, the others fail as a network error', async () => {
    await send(`${ORIGIN}/np/version`);
    const port = sw.ports[0];
    port.onmessage = () => {}; // the worker stops answering…
    const get = send(`${ORIGIN}/np/version`);
    const post = send(`${ORIGIN}/np/executions`, { method: 'POST', body: '{}' }).then(
      () => null,
      (e: Error) => e,
    );
    await new Promise((r) => setTimeout(r, 20));
    port.close(); // …and its port is closed
    expect((await get).status).toBe(200);
    expect((await post)?.message).toMatch(/stopped before answering POST/);
    expect(await (await app.request('/np/executions')).json()).toEqual([]); // not created twice, nor at all
    expect((await send(`${ORIGIN}/np/version`)).status).toBe(200);
    expect(sw.count('API_PORT')).toBe(2);
  });

  it('a worker restarted under a live port (no close): a slow call asks, learns the port is gone, and is sent again', async () => {
    await send(`${ORIGIN}/np/version`);
    expect((await send(`${ORIGIN}/np/version`)).status).toBe(200); // over the port
    sw.restart();
    const t0 = performance.now();
    const r = await send(`${ORIGIN}/bci/v1/pipelines`);
    expect(r.status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(3000); // one check interval, not the 60 s timeout
    expect(sw.count('API_PORT_CHECK')).toBeGreaterThanOrEqual(1);
    expect((await send(`${ORIGIN}/np/version`)).status).toBe(200); // a new port
    expect(sw.count('API_PORT')).toBe(2);
  });

  it('after a long pause the first call does not trust the old port (the worker may have been stopped meanwhile)', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      expect((await send(`${ORIGIN}/np/version`)).status).toBe(200);
      expect((await send(`${ORIGIN}/np/version`)).status).toBe(200); // over the port
      const old = sw.ports[0];
      old.onmessage = () => {}; // the browser stopped the worker while the page was idle: nobody answers there
      vi.advanceTimersByTime(60_000);
      const r = await Promise.race([send(`${ORIGIN}/np/version`), new Promise<'hang'>((ok) => setTimeout(() => ok('hang'), 2000))]);
      expect(r === 'hang' ? 'hang' : r.status).toBe(200);
      expect(sw.count('API_PORT')).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a newer worker taking over (an update) moves a slow idempotent call to it', async () => {
    await send(`${ORIGIN}/np/version`);
    expect((await send(`${ORIGIN}/np/version`)).status).toBe(200); // over the old worker's port
    const old = sw;
    old.ports[0].onmessage = () => {}; // the old worker, now redundant, no longer answers
    const pending = send(`${ORIGIN}/np/version`);
    useWorker(new FakeServiceWorker()); // the update's worker controls the page
    expect((await pending).status).toBe(200);
    expect(sw.count('API_REQUEST')).toBe(1); // sent again to the new worker
  });
});

