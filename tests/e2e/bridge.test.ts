// The API outside and inside the browser, end to end: NeuroPype's own exec.py (run unmodified from
// ../shared/clients with Debian's python3-requests) against the bridge paired with a headless app
// tab; a second same-origin page driving a pipeline through the service worker while the app tab
// hosts the engine; host hand-over and 503 when no tab is left — never a hang.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, newContext, openApp, screenshot, serveApp, waitForIsolation, type AppServer } from './harness';
import { startBridge, type Bridge } from '../../cli/bridge/relay';
import { needsShared, sharedPath } from '../support/shared';

const CLIENT = sharedPath('clients/neuropype_exec.py');
const hasClient = existsSync(CLIENT);
const hasPython = spawnSync('python3', ['-c', 'import requests'], { stdio: 'ignore' }).status === 0;
const skipPython = !hasClient || !hasPython;
if (skipPython) {
  console.warn(
    `[bridge e2e] skipping the exec.py tests: ${!hasClient ? `${CLIENT} is absent (../shared not mounted)` : 'python3 with requests is missing (Debian: apt install python3-requests)'}`,
  );
}

const TOKEN = 'e2e-bridge-token-1234';

/** A .pyp (XML with the patch JSON, as NeuroPype writes it): LSLInput → IIRFilter → InspectData, ParameterPort "band" → IIRFilter.frequencies. */
const PATCH = {
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
};
const PYP = `<?xml version='1.0' encoding='utf-8'?>
<scheme description="Alpha band filter" title="Alpha" version="2.0">
\t<nodes />
\t<links />
\t<annotations />
\t<thumbnail />
\t<node_properties />
\t<patch>${JSON.stringify(PATCH, null, 4)}</patch>
</scheme>
`;

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Bounds a promise: a hang fails the test with a message instead of timing the whole file out. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, fail) => (t = setTimeout(() => fail(new Error(`${what} did not finish within ${ms / 1000} s (hang)`)), ms)))]).finally(() =>
    clearTimeout(t),
  );
}

describe("NeuroPype's exec.py against the bridge and a headless app tab", { ...needsShared, skip: skipPython }, () => {
  let server: AppServer;
  let context: BrowserContext;
  let bridge: Bridge;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), 'neurotab-e2e-bridge-'));
  const pyp = join(dir, 'alpha.pyp');
  const lines: string[] = [];

  /** Runs exec.py where it is, against the bridge; never rejects (the exit code is returned). */
  function execPy(args: string[], timeoutMs = 30_000): Promise<Run> {
    return new Promise((ok) => {
      execFile('python3', [CLIENT, '--host', '127.0.0.1', '--port', String(bridge.port), ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        ok({ code, stdout, stderr });
      });
    });
  }

  async function http(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; headers: Headers }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(bridge.url + path, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  beforeAll(async () => {
    writeFileSync(pyp, PYP);
    server = await serveApp();
    context = await newContext(browser);
    bridge = await startBridge({ port: 0, token: TOKEN, timeoutMs: 15_000, log: (l) => lines.push(l) });
    page = await openApp(context, server.url, `/api?bridge=${bridge.port}&token=${TOKEN}`);
    await page.waitForSelector('[data-testid="bridge-prompt"]');
    // The token left the address bar as soon as it was read.
    expect(new URL(page.url()).searchParams.get('token')).toBeNull();
    await page.click('[data-testid="bridge-allow"]');
    await within(20_000, 'pairing', bridge.waitForTab());
    await page.waitForSelector('[data-testid="bridge-state"]:has-text("Paired")');
    // The engine host answers once the tab holds the lock.
    await within(20_000, 'the engine host', (async () => {
      for (;;) {
        const r = await http('GET', '/executions');
        if (r.status === 200) break;
        console.log(`[bridge e2e] waiting for the engine host: ${r.status} ${JSON.stringify(r.json)}`);
        await new Promise((r2) => setTimeout(r2, 250));
      }
    })());
  });

  afterAll(async () => {
    await context?.close();
    await bridge?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let exid = '';

  it('pairs only after the click, with the token the bridge printed', () => {
    expect(bridge.pairedOrigin).toBe(new URL(server.url).origin);
    expect(lines.some((l) => /tab paired \(origin http:\/\/127\.0\.0\.1:\d+, engine host\)|tab paired/.test(l))).toBe(true);
  });

  it('--file … --play loads the .pyp from disk and plays it', async () => {
    const r = await execPy(['--file', pyp, '--play']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = /Pipeline loaded with execution ID (\d+)/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    exid = m![1];
    expect(r.stdout).toContain('Pipeline started.');
    const st = await http('GET', `/executions/${exid}/state`);
    expect(st.json).toMatchObject({ running: true, paused: false, completed: false, status: 'running' });
    const info = await http('GET', `/executions/${exid}/info`);
    expect(info.json.tickrate).toBe(25);
  });

  it('--list shows the running execution with its description and status', async () => {
    const r = await execPy(['--list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Running executions:');
    expect(r.stdout).toMatch(new RegExp(`ID: ${exid}, Pipeline: \\{'name': 'Alpha', 'description': 'Alpha band filter'.*\\}, Status: running`));
  });

  it('--exid … --state prints the state', async () => {
    const r = await execPy(['--exid', exid, '--state']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^ID: ${exid}, Pipeline: \\{.*'name': 'Alpha'.*\\}, Status: running$`, 'm'));
  });

  it('--exid … --config sets a ParameterPort on the running pipeline', async () => {
    const r = await execPy(['--exid', exid, '--config', "{'band': [8, 9, 11, 12]}"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Pipeline parameters set: {'band': [8, 9, 11, 12]}");
    const nodes = (await http('GET', `/executions/${exid}/graph/nodes`)).json as { type: string; parameters: { id: string; value: unknown }[] }[];
    const iir = nodes.find((n) => n.type === 'IIRFilter');
    expect(iir?.parameters.find((p) => p.id === 'frequencies')?.value).toEqual([8, 9, 11, 12]);
    expect((await http('GET', `/executions/${exid}/state`)).json.status).toBe('running');
  });

  it('--exid … --logs follows the log records for a few seconds', async () => {
    const child = spawn('python3', ['-u', CLIENT, '--host', '127.0.0.1', '--port', String(bridge.port), '--exid', exid, '--logs']);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
    await expect.poll(() => out, { timeout: 15_000 }).toContain('INFO: started');
    await new Promise((r) => setTimeout(r, 2500)); // keep following while it runs
    child.kill('SIGINT');
    const code = await within(10_000, 'exec.py --logs after Ctrl+C', exited).catch((e: Error) => {
      child.kill('SIGKILL');
      throw new Error(`${e.message}; its output so far:\n${out}`);
    });
    expect(code).toBe(0);
    expect(out).toContain(`Fetching logs for pipeline ${exid}. ^C to exit at any time.`);
    expect(out).toMatch(/^INFO: loaded pipeline "Alpha" \(4 nodes, 3 edges\)$/m);
    expect(out).toMatch(/^INFO: configured node4$/m);
    expect(out).toContain('Ctrl+C pressed. Exiting.');
    // Each record printed once (exec.py advances from_idx).
    expect(out.match(/^INFO: started$/gm)?.length).toBe(1);
  });

  it('--exid … --stop stops and deletes the execution', async () => {
    const r = await execPy(['--exid', exid, '--stop']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Pipeline stopped and execution deleted.');
    expect((await http('GET', `/executions/${exid}`)).status).toBe(404);
    const again = await execPy(['--exid', exid, '--state']);
    expect(again.stdout).toContain(`Execution ${exid} not found.`);
    expect(again.code).toBe(1);
  });

  it('a missing file is reported by exec.py with FILE_NOT_FOUND', async () => {
    const r = await execPy(['--file', join(dir, 'missing.pyp')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Error loading pipeline: .*FILE_NOT_FOUND.*missing\.pyp/);
  });

  it('--purge deletes every execution', async () => {
    const a = await execPy(['--file', pyp]);
    const b = await execPy(['--file', pyp, '--play']);
    expect(a.code + b.code).toBe(0);
    const before = (await http('GET', '/executions')).json as { id: number }[];
    expect(before.length).toBeGreaterThanOrEqual(2); // + the one left by the missing-file run
    const r = await execPy(['--purge']);
    expect(r.code).toBe(0);
    for (const e of before) expect(r.stdout).toContain(`Deleted execution ${e.id}`);
    expect((await http('GET', '/executions')).json).toEqual([]);
    const list = await execPy(['--list']);
    expect(list.stdout).toBe('Running executions:\nNone\n');
  });

  it('re-pairs by itself when the bridge restarts with the same --token', async () => {
    const port = bridge.port;
    await bridge.close();
    await page.waitForSelector('[data-testid="bridge-state"]:has-text("Connecting")');
    bridge = await startBridge({ port, token: TOKEN, timeoutMs: 15_000, log: (l) => lines.push(l) });
    await within(20_000, 're-pairing', bridge.waitForTab());
    await page.waitForSelector('[data-testid="bridge-state"]:has-text("Paired")');
    const r = await execPy(['--list']);
    expect(r.stdout).toBe('Running executions:\nNone\n');
  });

  it('the API page shows the pairing and the families (screenshot)', async () => {
    await page.fill('[data-testid="api-path"]', '/np/executions');
    await page.click('[data-testid="api-send"]');
    await page.waitForSelector('[data-testid="api-result"][data-status="200"]');
    await page.waitForSelector('[data-testid="api-families"] tr[data-family="neuropype"]');
    expect(await page.getAttribute('[data-testid="engine-host"]', 'data-host')).toBe('true');
    // The socket lives in the API worker; its batched relay reports reach the panel.
    await expect.poll(() => page.textContent('[data-testid="bridge-panel"]'), { timeout: 5_000 }).toMatch(/[1-9]\d* requests? relayed[\s\S]*Last: GET \/np\/executions → 200/);
    const shot = await screenshot(page, 'api-page-paired');
    console.log(`[bridge e2e] screenshot: ${shot}`);
  });

  it('after the tab disconnects, the bridge answers 503 + Retry-After at once', async () => {
    await page.click('[data-testid="bridge-disconnect"]');
    await expect.poll(() => bridge.tabConnected, { timeout: 10_000 }).toBe(false);
    const r = await within(5_000, 'GET /executions with no tab', http('GET', '/executions'));
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(r.json.error.code).toBe('ENGINE_UNAVAILABLE');
    expect(lines.some((l) => /tab disconnected/.test(l))).toBe(true);
    await page.waitForSelector('[data-testid="bridge-state"]:has-text("Disconnected")');
  });

  it('a wrong token is refused and the page says so', async () => {
    await page.fill('[data-testid="bridge-port"]', String(bridge.port));
    await page.fill('[data-testid="bridge-token"]', 'not-the-token-at-all');
    await page.click('[data-testid="bridge-connect"]');
    await page.waitForSelector('[data-testid="bridge-state"]:has-text("Pairing failed")');
    expect(bridge.tabConnected).toBe(false);
    expect(lines.some((l) => /wrong pairing token/.test(l))).toBe(true);
  });
});

describe('a second same-origin page drives the API through the service worker', () => {
  let server: AppServer;
  let context: BrowserContext;
  beforeAll(async () => {
    server = await serveApp();
    context = await newContext(browser);
  });
  afterAll(async () => {
    await context?.close();
    await server?.close();
  });

  async function fetchStatus(page: Page, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any; retryAfter: string | null }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return page.evaluate(
      async ({ path, init }) => {
        const res = await fetch(path, { method: init.method ?? 'GET', headers: { 'Content-Type': 'application/json' }, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : undefined, retryAfter: res.headers.get('retry-after') };
      },
      { path, init },
    );
  }

  it('np-client.html runs a full session while the app tab hosts the engine; the host hands over, then 503', async () => {
    const host = await openApp(context, server.url, '/api');
    await host.waitForSelector('[data-testid="engine-host"][data-host="true"]');
    const other = await openApp(context, server.url, '/api');
    expect(await other.getAttribute('[data-testid="engine-host"]', 'data-host')).toBe('false');

    const example = await context.newPage();
    example.on('pageerror', (e) => console.error(`[example page error] ${e.message}`));
    await example.goto(new URL('/examples/np-client.html', server.url).href);
    await waitForIsolation(example);
    await example.click('#run');
    await example.waitForFunction(() => document.body.dataset.done === 'ok' || document.body.dataset.done === 'failed', null, { timeout: 30_000 });
    const log = (await example.textContent('#log')) ?? '';
    expect(await example.evaluate(() => document.body.dataset.done), log).toBe('ok');
    for (const step of ['POST /np/executions', '/actions/load', '/actions/configure', '/actions/play', '/logs?from_idx=0', '/actions/stop', 'DELETE /np/executions/'])
      expect(log).toContain(step);
    expect(log).toMatch(/INFO: started/);
    expect(log).toMatch(/"status":"running"/);
    expect(log).toMatch(/"status":"stopped"/);
    expect(log).toContain('Session complete; 0 execution(s) left.');
    await screenshot(example, 'np-client-example');

    // A running pipeline driven from the example page while the host tab runs it.
    const created = await fetchStatus(example, '/np/executions', { method: 'POST', body: {} });
    const id = created.body.id as number;
    expect((await fetchStatus(example, `/np/executions/${id}/actions/load`, { method: 'POST', body: { content: JSON.stringify(PATCH) } })).status).toBe(200);
    expect((await fetchStatus(example, `/np/executions/${id}/actions/play`, { method: 'POST' })).status).toBe(200);
    expect((await fetchStatus(example, `/np/executions/${id}/state`)).body.status).toBe('running');

    // The host closes: the other tab takes the lock and answers; the engine restarted, so the old execution is gone.
    await host.close();
    await other.waitForSelector('[data-testid="engine-host"][data-host="true"]', { timeout: 20_000 });
    const after = await within(20_000, 'GET /np/executions after the host closed', fetchStatus(example, '/np/executions'));
    expect([200, 503]).toContain(after.status);
    await expect.poll(async () => (await fetchStatus(example, '/np/executions')).status, { timeout: 20_000 }).toBe(200);
    expect((await fetchStatus(example, `/np/executions/${id}`)).status).toBe(404);
    const again = await fetchStatus(example, '/np/executions', { method: 'POST', body: {} });
    expect(again.status).toBe(200);

    // The last app tab closes: only the example page is left, which does not host an engine → 503, promptly.
    await other.close();
    // The closed tab's worker may answer for a moment while it is torn down; every call returns
    // (bounded), and within a bounded time the answer is 503 in the family envelope.
    const t0 = Date.now();
    let none = await within(20_000, 'GET /np/executions with no app tab', fetchStatus(example, '/np/executions'));
    while (none.status !== 503 && Date.now() - t0 < 40_000) {
      await new Promise((r) => setTimeout(r, 250));
      none = await within(20_000, 'GET /np/executions with no app tab', fetchStatus(example, '/np/executions'));
    }
    console.log(`[bridge e2e] with no app tab left, the service worker answered ${none.status} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(none.status).toBe(503);
    expect(none.retryAfter).toBe('1');
    expect(none.body.error.code).toBe('ENGINE_UNAVAILABLE');
    expect(none.body.error.message).toMatch(/Neurotab/);
    // Once the dead host is known, later calls fail fast with the "open Neurotab" message.
    const t1 = Date.now();
    const next = await within(10_000, 'second GET with no app tab', fetchStatus(example, '/np/executions'));
    console.log(`[bridge e2e] the next call: ${next.status} after ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    expect(next.status).toBe(503);
    expect(next.body.error.message).toMatch(/Open Neurotab/);
    await example.close();
  });
});
