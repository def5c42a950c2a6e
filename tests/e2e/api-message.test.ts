// /neurotab-api.js: the REST API carried as service-worker messages gives a same-origin page the
// same answers as fetch() — statuses, headers, bodies, error envelopes and limits — and the
// example client runs a whole NeuroPype session over it.
import { describe, expect, it } from 'vitest';
import { openApp, screenshot, useApp } from './harness';

const fx = useApp();

// Each call as [method, path, body?, content-type?]; run once through fetch and once through apiFetch.
const CALLS: [string, string, string?, string?][] = [
  ['GET', '/np/version'],
  ['GET', '/np/executions/4711'], // 404 in the NeuroPype envelope
  ['PUT', '/np/version'], // 405 with Allow
  ['POST', '/np/executions', '{"info": {"tickrate": NaN}', 'application/json'], // malformed JSON → 400
  ['POST', '/np/executions', 'x'.repeat(5 * 1024 * 1024), 'application/json'], // over the 4 MiB limit → 413
  ['PUT', '/bci/v1/pipelines/examples/msg.json', JSON.stringify({ format: 'neurotab.pipeline', version: 1, meta: { name: 'via message', description: '' }, nodes: [], edges: [] })],
  ['GET', '/bci/v1/pipelines/msg.json'],
  ['HEAD', '/np/version'],
  ['GET', '/exphub/nope/status'], // ExperimentHub's FastAPI-style 404
];

describe('apiFetch (/neurotab-api.js) through the service worker', () => {
  it('answers exactly as fetch() does, errors and limits included', async () => {
    const page = await openApp(fx.context, fx.server.url, '/api');
    await page.waitForSelector('[data-testid="engine-host"][data-host="true"]');
    // A string, not a function: Vitest rewrites import() in test code, and the page has no such helper.
    const r = (await page.evaluate(`(async () => {
      const calls = ${JSON.stringify(CALLS)};
      const mod = await import('/neurotab-api.js');
      const out = [];
      for (const [method, path, body, type] of calls) {
        const row = [];
        for (const [via, send] of [['fetch', fetch], ['message', mod.apiFetch]]) {
          const res = await send(path, { method, body, headers: type ? { 'Content-Type': type } : {} });
          row.push({ via, status: res.status, type: res.headers.get('content-type'), allow: res.headers.get('allow'), body: await res.text() });
        }
        out.push(row);
      }
      const x = await mod.apiFetch('/favicon.svg');
      return { out, transport: mod.apiTransport(), notApi: { status: x.status, body: await x.text() } };
    })()`)) as {
      out: { via: string; status: number; type: string | null; allow: string | null; body: string }[][];
      transport: string;
      notApi: { status: number; body: string };
    };
    expect(r.transport).toBe('service-worker message');
    const statuses = r.out.map(([f, m]) => [f.status, m.status]);
    expect(statuses).toEqual([
      [200, 200],
      [404, 404],
      [405, 405],
      [400, 400],
      [413, 413],
      [204, 204],
      [200, 200],
      [200, 200],
      [404, 404],
    ]);
    for (const [f, m] of r.out) {
      expect(m.type).toBe(f.type);
      expect(m.allow).toBe(f.allow);
      // Bodies agree except where they carry a fresh id or time.
      if (!/"(id|time|timestamp)"/.test(f.body)) expect(m.body).toBe(f.body);
    }
    expect(JSON.parse(r.out[3][1].body).error.message).toMatch(/JSON/i);
    expect(JSON.parse(r.out[6][1].body).meta.name).toBe('via message');
    expect(r.out[7][1].body).toBe(''); // HEAD
    // Only API paths are carried; a static file is refused with a message that says so.
    expect(r.notApi.status).toBe(404);
    expect(r.notApi.body).toMatch(/Only the API paths/);
    await page.close();
  });

  it('the example client runs a full NeuroPype session over messages', async () => {
    const host = await openApp(fx.context, fx.server.url, '/api');
    await host.waitForSelector('[data-testid="engine-host"][data-host="true"]');
    const example = await fx.context.newPage();
    await example.goto(new URL('/examples/np-client.html', fx.server.url).href);
    await example.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await example.selectOption('#transport', 'message');
    await example.click('#run');
    await example.waitForFunction(() => document.body.dataset.done === 'ok' || document.body.dataset.done === 'failed', null, { timeout: 30_000 });
    const log = (await example.textContent('#log')) ?? '';
    expect(await example.evaluate(() => document.body.dataset.done), log).toBe('ok');
    expect(log).toMatch(/"status":"running"/);
    expect(log).toContain('Session complete; 0 execution(s) left.');
    await screenshot(example, 'np-client-message-transport');
    await example.close();
    await host.close();
  });

  it('a service worker stopped by the browser costs a moment, not a hang: the next calls are answered', async () => {
    const page = await openApp(fx.context, fx.server.url, '/api');
    await page.waitForSelector('[data-testid="engine-host"][data-host="true"]');
    const call = `(async () => {
      const t = performance.now();
      const res = await Promise.race([globalThis.__apiFetch('/np/version'), new Promise((ok) => setTimeout(() => ok(null), 10000))]);
      return { status: res ? res.status : 'no answer in 10 s', ms: performance.now() - t };
    })()`;
    await page.evaluate(`(async () => { globalThis.__apiFetch = (await import('/neurotab-api.js')).apiFetch; })()`);
    for (let i = 0; i < 3; i++) expect(await page.evaluate(call)).toMatchObject({ status: 200 }); // the port is up
    const cdp = await fx.context.newCDPSession(page);
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    const first = (await page.evaluate(call)) as { status: number | string; ms: number };
    expect(first.status).toBe(200);
    expect(first.ms).toBeLessThan(5000);
    expect(await page.evaluate(call)).toMatchObject({ status: 200 });
    console.log(`[api-message] first call after the service worker was stopped: ${first.ms.toFixed(0)} ms`);
    await cdp.detach();
    await page.close();
  });
});

