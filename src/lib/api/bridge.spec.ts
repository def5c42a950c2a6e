// The tab's relay step against a real origin: a Node HTTP server serving the API router (standing in
// for the service worker), so performRelayed's fetch, path guard and body encodings are exercised.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createApi } from './index';
import { LocalBackend } from './local-backend';
import { bridgeUrl, performRelayed, type BridgeRequest } from './bridge';

let server: Server;
let origin = '';
const backend = new LocalBackend();
const api = createApi(backend);

beforeAll(async () => {
  server = createServer(async (req, res) => {
    if (req.url === '/np/blob') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.end(Buffer.from([0, 1, 2, 253, 254, 255]));
      return;
    }
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    const body = parts.length ? Buffer.concat(parts) : undefined;
    const r = await api.request(req.url ?? '/', { method: req.method, headers: req.headers as Record<string, string>, body: body && req.method !== 'GET' && req.method !== 'HEAD' ? body : undefined });
    const headers: Record<string, string> = {};
    r.headers.forEach((v, k) => (headers[k] = v));
    res.writeHead(r.status, headers);
    res.end(Buffer.from(await r.arrayBuffer()));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const a = server.address();
  origin = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});
afterAll(async () => {
  await backend.dispose();
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

const req = (r: Partial<BridgeRequest>): BridgeRequest => ({ type: 'request', id: 7, method: 'GET', path: '/np/version', headers: {}, ...r });

describe('performRelayed', () => {
  it('performs an API request on its origin and returns status, headers and text body', async () => {
    const res = await performRelayed(req({}), origin);
    expect(res).toMatchObject({ type: 'response', id: 7, status: 200 });
    expect(JSON.parse(res.body!).version).toMatch(/^2024\.1\.0/);
    expect(res.headers['x-request-id']).toMatch(/^req_/);
    expect(res.headers['content-length']).toBeUndefined();
  });

  it('sends bodies and returns error envelopes unchanged', async () => {
    const created = await performRelayed(req({ method: 'POST', path: '/np/executions', headers: { 'content-type': 'application/json' }, body: '{"info":{"tickrate":10}}' }), origin);
    expect(created.status).toBe(200);
    const id = JSON.parse(created.body!).id as number;
    const bad = await performRelayed(req({ method: 'POST', path: `/np/executions/${id}/actions/load`, headers: { 'content-type': 'application/json' }, body: '{' }), origin);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body!).error.code).toBe('BAD_REQUEST');
    const head = await performRelayed(req({ method: 'HEAD', path: '/np/executions' }), origin);
    expect(head.status).toBe(200);
    expect(head.body).toBeUndefined();
  });

  it('returns binary bodies as base64', async () => {
    const res = await performRelayed(req({ path: '/np/blob' }), origin);
    expect(res.body).toBeUndefined();
    expect([...Buffer.from(res.bodyBase64!, 'base64')]).toEqual([0, 1, 2, 253, 254, 255]);
  });

  it('relays only API paths on its own origin', async () => {
    for (const path of ['/', '/index.html', '/_app/x.js', 'http://evil.example/np/version', '//evil.example/np/version']) {
      const res = await performRelayed(req({ path }), origin);
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.body!).error.message).toMatch(/only relays API paths/);
    }
  });

  it('a network failure becomes a 502 envelope, not a throw', async () => {
    const res = await performRelayed(req({}), 'http://127.0.0.1:1');
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body!).error.code).toBe('ENGINE_UNAVAILABLE');
  });
});

describe('bridgeUrl', () => {
  it('builds the loopback URL with an encoded token', () => {
    expect(bridgeUrl(6937, 'a b&c')).toBe('ws://127.0.0.1:6937/_bridge?token=a%20b%26c');
  });
});
