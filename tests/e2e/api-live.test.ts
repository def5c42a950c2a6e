// NeuroPype executions through the service worker read the live device stream: the engine host
// binds stream-input (LSLInput) nodes to the running device's ring, and says so when none runs.
import { describe, expect, it } from 'vitest';
import { openApp, useApp } from './harness';
import { runLiveExecution as runExecution } from './np-live';

const fx = useApp();

describe('API executions on the live stream', () => {
  it('binds stream input to the running device, and warns clearly when no device streams', async () => {
    const page = await openApp(fx.context, fx.server.url);
    await page.waitForSelector('[data-testid="start-stream"]');
    const idle = await runExecution(page);
    expect(idle.logs.some((l) => l.level === 30 && /no live stream matches type='EEG'.*Live page/.test(l.message))).toBe(true);

    await page.click('[data-testid="start-stream"]');
    await page.waitForSelector('[data-testid="stop-stream"]');
    const live = await runExecution(page);
    expect(live.state.running).toBe(true);
    expect(live.state.had_errors).toBe(false);
    expect(live.logs.some((l) => /no live stream matches|could not bind/.test(l.message))).toBe(false);
    await page.click('[data-testid="stop-stream"]');
    await page.close();
  });
});

describe('storage-only API calls without an engine tab', () => {
  it('the service worker answers the pipeline store from IndexedDB while engine calls get 503', async () => {
    const app = await openApp(fx.context, fx.server.url);
    await app.close(); // no app tab is left: nobody hosts the engine
    const page = await fx.context.newPage();
    await page.goto(new URL('/examples/np-client.html', fx.server.url).href);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const r = await page.evaluate(async () => {
      const doc = JSON.stringify({ format: 'neurotab.pipeline', version: 1, meta: { name: 'stored offline', description: '' }, nodes: [], edges: [] });
      const put = await fetch('/bci/v1/pipelines/examples/empty.json', { method: 'PUT', body: doc });
      const get = await fetch('/bci/v1/pipelines/empty.json'); // by basename
      const list = await fetch('/bci/v1/pipelines').then((x) => x.json());
      const t0 = performance.now();
      const engine = await fetch('/np/executions');
      return { put: put.status, get: get.status, text: await get.text(), list, engine: engine.status, retry: engine.headers.get('retry-after'), body: await engine.json(), waitedMs: performance.now() - t0 };
    });
    expect(r.put).toBe(204);
    expect(r.get).toBe(200);
    expect(JSON.parse(r.text).meta.name).toBe('stored offline');
    expect(r.list.map((f: { path: string }) => f.path)).toContain('examples/empty.json');
    expect(r.engine).toBe(503);
    expect(r.retry).toBe('1');
    expect(r.body.error.code).toBe('ENGINE_UNAVAILABLE');
    expect(r.body.error.message).toMatch(/Open Neurotab/);
    await page.close();
  });
});

describe('ExperimentHub family through the service worker', () => {
  it('answers /exphub from the training worker of the engine-host tab', async () => {
    const page = await openApp(fx.context, fx.server.url);
    const r = await page.evaluate(async () => {
      const get = async (p: string) => {
        const res = await fetch(p);
        return { status: res.status, body: await res.text() };
      };
      const health = await get('/exphub/health');
      const types = await get('/exphub/available_experiments');
      const created = await fetch('/exphub/create_experiment/alpha_demo/motor_imagery_csp_lda', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      const experiments = await get('/exphub/experiments');
      const status = await get('/exphub/alpha_demo/status');
      const missing = await get('/exphub/nope/status');
      return { health, types, created: created.status, experiments, status, missing };
    });
    expect(r.health.status).toBe(200);
    expect(r.types.status).toBe(200);
    expect(Object.keys(JSON.parse(r.types.body))).toContain('motor_imagery_csp_lda');
    expect(r.created).toBeLessThan(300);
    expect(r.experiments.body).toContain('alpha_demo');
    expect(r.status.status).toBe(200);
    expect(r.missing.status).toBe(404);
    await page.close();
  });
});
