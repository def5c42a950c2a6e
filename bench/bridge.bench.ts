// Round trip of a small API call in real Chromium: page → service worker → engine host (the API
// engine worker of the host tab) → page, sequential (p50/p99, calls/s) and with 8 in flight — a
// NeuroPype execution's state, and beside it a running Instinct stream's status; then
// the same call from Python through the bridge to the engine-host tab, whose API worker holds the
// WebSocket and answers from its own API (requests.Session keep-alive, and requests.get with a new
// connection per call as exec.py does). Node; needs build/ (npx vite build), Chromium, and
// python3 with requests for the bridge part. Run: npx tsx bench/bridge.bench.ts [--dir <build dir>]
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { launch, newContext, openApp, serveApp } from '../tests/e2e/harness';
import { startBridge } from '../cli/bridge/relay';

const SEQUENTIAL_CALLS = 600;
const CONCURRENT_CALLS = 600;
const BASELINE_CALLS = 200;
const IN_FLIGHT = 8;
const PY_SESSION_CALLS = 300;
const PY_GET_CALLS = 50;
const TOKEN = 'bench-bridge-token-42';

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

type Pg = Awaited<ReturnType<typeof openApp>>;

/** Sequential round trips of one GET from the page: sorted times (ms). */
async function sequential(page: Pg, path: string, n: number): Promise<number[]> {
  const times = await page.evaluate(
    async ({ path, n }) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        const r = await fetch(path);
        await r.arrayBuffer();
        out.push(performance.now() - t);
      }
      return out;
    },
    { path, n },
  );
  return times.sort((a, b) => a - b);
}

/** p50 of Python requests.Session GETs through a bridge paired with an instant Node fake tab. */
async function bareBridgeP50(): Promise<number> {
  const { WebSocket } = await import('ws');
  const b = await startBridge({ port: 0, token: TOKEN });
  const ws = new WebSocket(`ws://127.0.0.1:${b.port}/_bridge?token=${TOKEN}`, { headers: { Origin: 'http://127.0.0.1:1' } });
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as { type: string; id: number };
    if (m.type === 'request') ws.send(JSON.stringify({ type: 'response', id: m.id, status: 200, headers: { 'content-type': 'application/json' }, body: '{"running":true}' }));
  });
  await new Promise((r) => ws.once('open', r));
  const py = `
import json, time, requests
s = requests.Session(); url = ${JSON.stringify(b.url + '/executions/1/state')}
for _ in range(50): s.get(url)
out = []
for _ in range(300):
    t = time.perf_counter(); s.get(url).json(); out.append((time.perf_counter() - t) * 1000)
print(json.dumps(sorted(out)))
`;
  const out = await new Promise<string>((ok, fail) => execFile('python3', ['-c', py], { timeout: 60_000 }, (e, so, se) => (e ? fail(new Error(se || e.message)) : ok(so))));
  ws.close();
  await b.close();
  return pct(JSON.parse(out) as number[], 50);
}

/** p50 of the same Python loop against a Node HTTP server that answers at once: the floor of any call. */
async function trivialHttpP50(): Promise<number> {
  const { createServer } = await import('node:http');
  const srv = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"running":true}');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  const py = `
import json, time, requests
s = requests.Session(); url = 'http://127.0.0.1:${port}/executions/1/state'
for _ in range(50): s.get(url)
out = []
for _ in range(300):
    t = time.perf_counter(); s.get(url).json(); out.append((time.perf_counter() - t) * 1000)
print(json.dumps(sorted(out)))
`;
  try {
    const out = await new Promise<string>((ok, fail) => execFile('python3', ['-c', py], { timeout: 60_000 }, (e, so, se) => (e ? fail(new Error(se || e.message)) : ok(so))));
    return pct(JSON.parse(out) as number[], 50);
  } finally {
    srv.close();
  }
}

function fmt(ms: number): string {
  return `${ms.toFixed(2)} ms`;
}

async function main(): Promise<void> {
  const dirArg = process.argv.indexOf('--dir');
  const dir = dirArg >= 0 ? process.argv[dirArg + 1] : 'build';
  if (!existsSync(`${dir}/index.html`)) {
    console.log(`bridge.bench: no ${dir}/ — run "npx vite build" first; skipped`);
    return;
  }
  // Latency on a shared machine is dominated by CPU contention: print it beside the figures.
  console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min)`);
  const server = await serveApp({ dir });
  const browser = await launch();
  const bridge = await startBridge({ port: 0, token: TOKEN, timeoutMs: 15_000 });
  try {
    const context = await newContext(browser);
    const host = await openApp(context, server.url, `/api?bridge=${bridge.port}&token=${TOKEN}`);
    await host.waitForSelector('[data-testid="engine-host"][data-host="true"]');
    const page = await openApp(context, server.url, '/examples/np-client.html');

    // One loaded execution whose state we read: a small call that reaches the engine.
    const id = await page.evaluate(async () => {
      const r = await fetch('/np/executions', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      return ((await r.json()) as { id: number }).id;
    });
    const path = `/np/executions/${id}/state`;

    // Each transport: sequential calls (p50/p99, calls/s), then IN_FLIGHT at a time (calls/s).
    // Strings, not functions: tsx's helpers (__name) and import() rewriting do not exist in the page.
    const measure = (send: string, callPath = path) =>
      page.evaluate(`(async () => {
        const send = ${send};
        const path = ${JSON.stringify(callPath)};
        for (let i = 0; i < 100; i++) await (await send(path)).json(); // warm-up
        const times = [];
        const t0 = performance.now();
        for (let i = 0; i < ${SEQUENTIAL_CALLS}; i++) {
          const t = performance.now();
          const r = await send(path);
          await r.json();
          if (r.status !== 200) throw new Error('status ' + r.status);
          times.push(performance.now() - t);
        }
        const totalMs = performance.now() - t0;
        let next = 0;
        const c0 = performance.now();
        await Promise.all(Array.from({ length: ${IN_FLIGHT} }, async () => {
          while (next < ${CONCURRENT_CALLS}) { next++; await (await send(path)).json(); }
        }));
        return { times, totalMs, concMs: performance.now() - c0 };
      })()`) as Promise<{ times: number[]; totalMs: number; concMs: number }>;
    const report = (label: string, r: { times: number[]; totalMs: number; concMs: number }) => {
      const t = [...r.times].sort((a, b) => a - b);
      const rate = SEQUENTIAL_CALLS / (r.totalMs / 1000);
      console.log(`  ${label}: p50 ${fmt(pct(t, 50))}, p90 ${fmt(pct(t, 90))}, p99 ${fmt(pct(t, 99))}, max ${fmt(t[t.length - 1])}; ${rate.toFixed(0)} calls/s sequential, ${(CONCURRENT_CALLS / (r.concMs / 1000)).toFixed(0)} calls/s with ${IN_FLIGHT} in flight`);
      console.log(`    targets: p50 < 2 ms ${pct(t, 50) < 2 ? 'MET' : 'MISSED'}, p99 < 10 ms ${pct(t, 99) < 10 ? 'MET' : 'MISSED'}, ≥ 1000 calls/s ${rate >= 1000 ? 'MET' : 'MISSED'} (sequential)`);
      return t;
    };
    console.log(`SW round trip (second page → service worker → engine host → page), GET ${path.replace(String(id), '{id}')}, ${SEQUENTIAL_CALLS} calls:`);
    const viaMessage = await measure(`(await import('/neurotab-api.js')).apiFetch`);
    const viaFetch = await measure('fetch');
    report('apiFetch (/neurotab-api.js, a message to the service worker)', viaMessage);
    const s = report('fetch() (the browser fetch machinery → service worker fetch event)', viaFetch);
    // Where the time goes (same page, same load): a cached static file through the service worker,
    // and an API route the service worker answers without the engine (GET /np/version).
    const fileT = await sequential(page, '/favicon.svg', BASELINE_CALLS);
    const versionT = await sequential(page, '/np/version', BASELINE_CALLS);
    console.log(`  fetch() breakdown (p50): cached file via SW ${fmt(pct(fileT, 50))}; /np/version (SW + router, no engine) ${fmt(pct(versionT, 50))}; + engine host hop ${fmt(pct(s, 50) - pct(versionT, 50))}`);

    // The same round trip for an Instinct stream's status while the stream runs (generator → filter).
    const sid = '7348dd95-7835-4a8a-9ec5-2e4cee1e72e2';
    await page.evaluate(`(async () => {
      const S = '/instinct/stream/streams';
      const n = ['5c3a1d8b-c2f6-4c8a-bcf3-1af7e51b1e06', '9fb2e8d4-57a0-4e5c-a5b1-84b8f43c3292'];
      await fetch(S, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id: '${sid}',
        nodes: [{ id: n[0], executable: '/usr/share/instinct/signal-generator', config: { sampleRate: 250, channels: 4 } }, { id: n[1], executable: '/usr/share/instinct/signal-filter', config: { highpass: 1, lowpass: 35 } }],
        pipes: [{ id: 'e93b59c0-4dbf-48c5-9db8-19a312fd4aed', source: n[0], destination: n[1] }] }) });
      await fetch(S + '/${sid}/signal', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'signal=start' });
    })()`);
    const statusPath = `/instinct/stream/streams/${sid}/status`;
    console.log(`Beside it, GET /instinct/stream/streams/{id}/status of a running stream (same page, same run), ${SEQUENTIAL_CALLS} calls:`);
    report('apiFetch', await measure(`(await import('/neurotab-api.js')).apiFetch`, statusPath));
    report('fetch()', await measure('fetch', statusPath));
    await page.evaluate(`fetch('/instinct/stream/streams/${sid}', { method: 'DELETE' })`);

    // Through the bridge from Python.
    if (spawnSync('python3', ['-c', 'import requests'], { stdio: 'ignore' }).status !== 0) {
      console.log('bridge: python3 with requests is missing (Debian: python3-requests); skipped');
      return;
    }
    await host.click('[data-testid="bridge-allow"]');
    await bridge.waitForTab();
    const url = `${bridge.url}/executions/${id}/state`;
    const py = `
import json, time, requests, statistics
url = ${JSON.stringify(url)}
s = requests.Session()
for _ in range(100): s.get(url).json()
def run(get, n):
    out = []
    t0 = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        r = get(url); r.json()
        assert r.status_code == 200, r.text
        out.append((time.perf_counter() - t) * 1000)
    return out, (time.perf_counter() - t0)
a, ta = run(s.get, ${PY_SESSION_CALLS})
b, tb = run(requests.get, ${PY_GET_CALLS})
print(json.dumps({"session": a, "sessionS": ta, "get": b, "getS": tb}))
`;
    const out = await new Promise<string>((ok, fail) =>
      execFile('python3', ['-c', py], { timeout: 120_000, maxBuffer: 16 << 20 }, (e, stdout, stderr) => (e ? fail(new Error(stderr || e.message)) : ok(stdout))),
    );
    const r = JSON.parse(out) as { session: number[]; sessionS: number; get: number[]; getS: number };
    const a = [...r.session].sort((x, y) => x - y);
    const b = [...r.get].sort((x, y) => x - y);
    // The bridge's own cost: the same Python loop against a bridge whose tab is a Node WebSocket
    // client answering at once (no browser).
    const bare = await bareBridgeP50();
    const floor = await trivialHttpP50();
    console.log(`Floor: Python requests.Session → a Node HTTP server answering at once: p50 ${fmt(floor)}`);
    console.log(`Bridge alone (Python requests.Session → bridge → Node fake tab, no browser): p50 ${fmt(bare)}`);
    console.log('Bridge (Python requests → bridge → WebSocket → the engine-host tab\'s API worker → back):');
    console.log(`  requests.Session ×${a.length}: p50 ${fmt(pct(a, 50))}, p90 ${fmt(pct(a, 90))}, p99 ${fmt(pct(a, 99))}; ${(a.length / r.sessionS).toFixed(0)} calls/s`);
    console.log(`  requests.get (new connection each, as exec.py) ×${b.length}: p50 ${fmt(pct(b, 50))}, p99 ${fmt(pct(b, 99))}`);
    console.log(`machine load at the end: ${loadavg()[0].toFixed(1)} (1 min)`);
    console.log(`  target: p50 < 5 ms ${pct(a, 50) < 5 ? 'MET' : 'MISSED'} (Session), ${pct(b, 50) < 5 ? 'MET' : 'MISSED'} (requests.get)`);
  } finally {
    await browser.close();
    await bridge.close();
    await server.close();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
