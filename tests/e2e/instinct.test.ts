// The Instinct family end to end. In Chromium: a same-origin page drives the seed's stream with
// fetch() through the service worker, and its WebSocket sink's chunks reach the page through SSE,
// the socket shim (NeurotabWebSocket and the patched WebSocket) and BroadcastChannel; a device that
// stops while a stream reads it puts the stream in `error` and the recording keeps what arrived.
// Through the bridge at the vendors' default ports (run under
// `flock /tmp/neurotab-vendor-ports.lock`): the seed's create-stream body, signal=start
// form-encoded, growing itemsProcessed, stop and delete from Python `requests` and from fetch(), the
// SDK's route set, a real WebSocket client on the sink, and the ExperimentHub seed's own
// `ExperimentHubClient` run unmodified from Python against port 8010.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket as NodeWebSocket } from 'ws';
import { openApp, screenshot, useApp, waitForIsolation } from './harness';
import { startBridge, type Bridge } from '../../cli/bridge/relay';
import { experimentHubClientScript, instinctSeed } from '../support/seeds';
import { fakeSerialKit } from '../fakes/serial';

const fx = useApp();
const SEED = instinctSeed();
const SID = SEED.create.id as string;
const FILTER = SEED.create.nodes[1].id as string;
const SINK = '0d6f1e2a-3b4c-4d5e-8f60-718293a4b5c6';
const SINK_PORT = 36006;
/** The seed's stream with a WebSocket sink after its filter (§9.5's consumer node). */
const withSink = (port: number) => ({
  ...SEED.create,
  nodes: [...SEED.create.nodes, { id: SINK, type: 'EXECUTABLE_CONSUMER', meta: { type: 'OUTPUT' }, executable: 'node /usr/share/engines/worker-scripts/WebSocket.js', config: { port } }],
  pipes: [...SEED.create.pipes, { id: '1e2d3c4b-5a69-4788-97a6-b5c4d3e2f100', source: FILTER, destination: SINK }],
});

/** A page of the app's origin (controlled by the service worker) with /neurotab-api.js loaded as `window.neurotab`. */
async function examplePage(): Promise<Page> {
  const page = await fx.context.newPage();
  page.on('pageerror', (e) => console.error(`[example page error] ${e.message}`));
  await page.goto(new URL('/examples/np-client.html', fx.server.url).href);
  await waitForIsolation(page);
  // Not an inline script: the app's pages carry a strict Content-Security-Policy (script-src 'self').
  await page.evaluate("import('/neurotab-api.js').then((api) => { window.neurotab = api; })");
  await page.waitForFunction(() => 'neurotab' in window);
  return page;
}

describe('Instinct in Chromium: a same-origin page, the service worker and the engine-host tab', () => {
  it('drives the seed stream with fetch and receives its sink through SSE, the socket shim and BroadcastChannel', async () => {
    const host = await openApp(fx.context, fx.server.url, '/api');
    await host.waitForSelector('[data-testid="engine-host"][data-host="true"]');
    const page = await examplePage();
    const r = await page.evaluate(
      async ({ body, sid, port }) => {
        const api = (window as unknown as { neurotab: Record<string, any> }).neurotab; // eslint-disable-line @typescript-eslint/no-explicit-any
        const S = '/instinct/stream/streams';
        const created = await fetch(S, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then((x) => x.json());
        const started = await fetch(`${S}/${sid}/signal`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'signal=start' }).then((x) => x.json());
        const status = async () => (await fetch(`${S}/${sid}/status`).then((x) => x.json())).status;
        const t0 = performance.now();
        while ((await status()).state !== 'running' && performance.now() - t0 < 10_000) await new Promise((ok) => setTimeout(ok, 50));
        const first = await status();
        const got: Record<string, any[]> = { sse: [], shim: [], patched: [], bc: [] }; // eslint-disable-line @typescript-eslint/no-explicit-any
        const bc = new BroadcastChannel(`instinct:${port}`);
        bc.onmessage = (ev) => got.bc.push(ev.data);
        const es = new EventSource(`/instinct/_sinks/${port}/events`);
        let connection = '';
        es.addEventListener('connection', (ev) => (connection = JSON.parse((ev as MessageEvent).data).connection_id));
        es.onmessage = (ev) => got.sse.push(JSON.parse(ev.data));
        const shim = new api.NeurotabWebSocket(`ws://${location.host}/instinct/_sinks/${port}`);
        let shimOpen = false;
        shim.onopen = () => (shimOpen = true);
        shim.onmessage = (ev: MessageEvent) => got.shim.push(JSON.parse(ev.data));
        const closes: { code: number; reason: string; wasClean: boolean }[] = [];
        shim.onclose = (ev: CloseEvent) => closes.push({ code: ev.code, reason: ev.reason, wasClean: ev.wasClean });
        api.installWebSocketShim();
        const patched = new WebSocket(`ws://${location.host}/instinct/_sinks/${port}`);
        patched.onmessage = (ev) => got.patched.push(JSON.parse(ev.data));
        const nativeStays = !(new WebSocket('ws://127.0.0.1:9/elsewhere') instanceof api.NeurotabWebSocket);
        const missing = new api.NeurotabWebSocket(`ws://${location.host}/instinct/_sinks/9`);
        const refused = await new Promise<{ code: number; reason: string }>((ok) => (missing.onclose = (ev: CloseEvent) => ok({ code: ev.code, reason: ev.reason })));
        const t1 = performance.now();
        while (Object.values(got).some((m) => m.length < 3) && performance.now() - t1 < 15_000) await new Promise((ok) => setTimeout(ok, 50));
        const later = await status();
        es.close();
        bc.close();
        const stopped = await fetch(`${S}/${sid}/signal`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'signal=stop' }).then((x) => x.json());
        const t2 = performance.now();
        while (!closes.length && performance.now() - t2 < 5000) await new Promise((ok) => setTimeout(ok, 50));
        const deleted = await fetch(`${S}/${sid}`, { method: 'DELETE' }).then((x) => x.json());
        const counts = Object.fromEntries(Object.entries(got).map(([k, v]) => [k, v.length]));
        return { created, started, first, later, counts, samples: { sse: got.sse[0], shim: got.shim[0], bc: got.bc[0], patched: got.patched[0] }, connection, shimOpen, closes, nativeStays, refused, stopped, deleted };
      },
      { body: withSink(SINK_PORT), sid: SID, port: SINK_PORT },
    );
    expect(r.created).toEqual({ id: SID, success: true });
    expect(r.started).toEqual({ id: SID, success: true });
    expect(r.first.state).toBe('running');
    for (const k of ['sse', 'shim', 'patched', 'bc']) expect(r.counts[k], k).toBeGreaterThanOrEqual(3);
    for (const m of Object.values(r.samples)) {
      expect(m).toMatchObject({ nodeId: SINK, streamId: SID, port: SINK_PORT, sampleRate: 250, channels: ['Fp1', 'Fp2', 'C3', 'C4'] });
      expect(m.data.length).toBe(m.timestamps.length);
    }
    expect(r.connection).toMatch(/^live_[0-9a-f]{32}$/);
    expect(r.shimOpen).toBe(true);
    expect(r.nativeStays).toBe(true);
    expect(r.refused.code).toBe(1006);
    expect(r.refused.reason).toMatch(/404: No live endpoint/);
    const items = (s: { nodes: { id: string; metrics: { itemsProcessed: number } }[] }) => s.nodes.find((n) => n.id === FILTER)!.metrics.itemsProcessed;
    expect(items(r.later)).toBeGreaterThan(items(r.first));
    expect(r.closes[0]).toEqual({ code: 1001, reason: `the sink on port ${SINK_PORT} stopped`, wasClean: true });
    expect(r.stopped).toEqual({ id: SID, success: true });
    expect(r.deleted).toEqual({ success: true });
    await page.close();
    await host.close();
  });

  it('a device that disconnects while a stream reads it: the stream is in error, with why; the recording keeps what arrived', async () => {
    // A Cyton on a fake serial port (tests/fakes), streaming at 250 Hz while asked to.
    await fx.context.addInitScript(`(() => {
      const kit = (${fakeSerialKit.toString()})();
      const serial = new kit.FakeSerial();
      Object.defineProperty(Navigator.prototype, 'serial', { get: () => serial, configurable: true });
      const emu = new kit.CytonEmulator({});
      const port = serial.plug({ usbVendorId: 0x0403, usbProductId: 0x6015 });
      emu.attach(port);
      serial.chooserPick = port;
      const t0 = performance.now();
      let due = 0;
      setInterval(() => {
        const n = Math.floor(((performance.now() - t0) * 250) / 1000) - due;
        due += n;
        if (n > 0) emu.pump(n);
      }, 20);
    })();`);
    const app = await openApp(fx.context, fx.server.url, '/devices');
    await app.click('[data-testid="device-openbci-cyton"]');
    await app.click('[data-testid="device-connect"]');
    await app.waitForSelector('[data-testid="device-status"][data-state="streaming"]', { timeout: 20_000 });
    await app.fill('[data-testid="recording-name"]', 'instinct-fault');
    await app.click('[data-testid="start-recording"]');
    await app.waitForSelector('[data-testid="recording-status"]');
    const page = await examplePage();
    const id = '3f1e9b2a-7c4d-4e8f-9a0b-1c2d3e4f5a6b';
    const [eegNode, filterNode] = ['4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d', '5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e'];
    const eeg = {
      id,
      nodes: [
        { id: eegNode, executable: '/usr/share/instinct/eeg', config: {} },
        { id: filterNode, executable: 'signal-filter', config: { highpass: 1 } },
      ],
      pipes: [{ id: '6c7d8e9f-0a1b-4c2d-9e3f-4a5b6c7d8e9f', source: eegNode, destination: filterNode }],
    };
    const status = () => page.evaluate(async (sid) => (await fetch(`/instinct/stream/streams/${sid}/status`).then((x) => x.json())).status, id);
    await page.evaluate(async (body) => {
      await fetch('/instinct/stream/streams', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      await fetch(`/instinct/stream/streams/${body.id}/signal`, { method: 'POST', body: 'signal=start', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    }, eeg);
    await expect.poll(async () => (await status()).nodes[1].metrics.itemsProcessed, { timeout: 15_000 }).toBeGreaterThan(20);
    // The device goes away while the recording runs.
    await app.click('[data-testid="device-disconnect"]');
    await app.waitForSelector('[data-testid="device-empty"]');
    await expect.poll(async () => (await status()).state, { timeout: 10_000 }).toBe('error');
    const st = await status();
    expect(st.error).toMatch(/openbci-cyton\.eeg.*disconnected/);
    expect(st.nodes[1].metrics.itemsProcessed).toBeGreaterThan(20);
    const rec = await app.evaluate(
      () =>
        new Promise<{ frames: number; status: string }>((ok, fail) => {
          const open = indexedDB.open('neurotab');
          open.onerror = () => fail(open.error);
          open.onsuccess = () => {
            const r = open.result.transaction('recordings').objectStore('recordings').getAll();
            r.onsuccess = () => {
              const x = r.result.find((row: { name: string }) => row.name === 'instinct-fault');
              ok({ frames: x?.streams[0]?.frames ?? 0, status: x?.status ?? 'missing' });
            };
          };
        }),
    );
    expect(rec.status).toBe('complete');
    expect(rec.frames).toBeGreaterThan(100);
    await page.close();
    await app.close();
  });
});

const PYTHON = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import requests'], { stdio: 'ignore' }).status === 0);
if (!PYTHON) console.warn('[instinct e2e] skipping the Python clients: python3 with requests is missing (Debian: apt install python3-requests)');

describe.skipIf(!PYTHON)('Instinct and ExperimentHub at their vendor ports, through the bridge with a headless app tab', () => {
  const TOKEN = 'e2e-instinct-token-42';
  let bridge: Bridge;
  let host: Page;
  const dir = mkdtempSync(join(tmpdir(), 'neurotab-e2e-instinct-'));

  function py(script: string, args: string[] = [], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
    const file = join(dir, `s${Math.random().toString(36).slice(2)}.py`);
    writeFileSync(file, script);
    return new Promise((ok) => execFile(PYTHON!, [file, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => ok({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr })));
  }

  beforeAll(async () => {
    bridge = await startBridge({ port: 6937, ports: { exphub: 8010, instinct: 42069, neurascale: 8000, kernel: 8050 }, token: TOKEN, timeoutMs: 15_000 });
    host = await openApp(fx.context, fx.server.url, `/api?bridge=${bridge.port}&token=${TOKEN}`);
    await host.waitForSelector('[data-testid="bridge-prompt"]');
    // Paired as the engine host, the tab's API worker holds the socket (and announces its sinks' ports).
    await host.waitForSelector('[data-testid="engine-host"][data-host="true"]', { timeout: 20_000 });
    await host.click('[data-testid="bridge-allow"]');
    await bridge.waitForTab();
    // The engine host answers once the tab holds the lock.
    for (let t0 = Date.now(); ; ) {
      const r = await fetch('http://127.0.0.1:42069/stream/streams');
      if (r.status === 200) break;
      if (Date.now() - t0 > 20_000) throw new Error(`the engine host did not answer through the bridge within 20 s: ${r.status} ${await r.text()}`);
      await new Promise((ok) => setTimeout(ok, 250));
    }
  });
  afterAll(async () => {
    await host?.close();
    await bridge?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("Python requests: the seed's create body, signal=start form-encoded, growing itemsProcessed, stop, delete", async () => {
    const seedFile = join(dir, 'seed.json');
    writeFileSync(seedFile, JSON.stringify(SEED.create));
    const r = await py(
      `
import json, sys, time, requests
BASE = "http://localhost:42069"
seed = json.load(open(sys.argv[1]))
sid = seed["id"]
print("create", requests.post(f"{BASE}/stream/streams", json=seed).json())
print("start", requests.post(f"{BASE}/stream/streams/{sid}/signal", data={"signal": "start"}).json())
counts = []
for _ in range(100):
    st = requests.get(f"{BASE}/stream/streams/{sid}/status").json()["status"]
    if st["state"] == "running":
        counts.append(st["nodes"][1]["metrics"]["itemsProcessed"])
        if len(counts) >= 3 and counts[-1] > counts[0]: break
    time.sleep(0.2)
print("counts", json.dumps(counts))
print("stop", requests.post(f"{BASE}/stream/streams/{sid}/signal", data={"signal": "stop"}).json())
for _ in range(50):
    if requests.get(f"{BASE}/stream/streams/{sid}/status").json()["status"]["state"] == "stopped": break
    time.sleep(0.1)
print("stopped", requests.get(f"{BASE}/stream/streams/{sid}/status").json()["status"]["state"])
print("delete", requests.delete(f"{BASE}/stream/streams/{sid}").json())
r = requests.get(f"{BASE}/stream/streams/{sid}")
print("gone", r.status_code, r.json()["error"]["code"])
`,
      [seedFile],
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const line = (k: string) => r.stdout.split('\n').find((l) => l.startsWith(k + ' '))!.slice(k.length + 1);
    expect(line('create')).toBe(`{'id': '${SID}', 'success': True}`);
    expect(line('start')).toBe(`{'id': '${SID}', 'success': True}`);
    const counts = JSON.parse(line('counts')) as number[];
    expect(counts.length).toBeGreaterThanOrEqual(3);
    expect(counts.at(-1)!).toBeGreaterThan(counts[0]);
    expect(line('stop')).toBe(`{'id': '${SID}', 'success': True}`);
    expect(line('stopped')).toBe('stopped');
    expect(line('delete')).toBe("{'success': True}");
    expect(line('gone')).toBe('404 stream_not_found');
  });

  it("Python requests in the SDK's route set (instinct-py 1.5's calls, 1 s timeouts): message in every answer", async () => {
    const r = await py(`
import json, time, uuid, requests
B = "http://localhost:42069/streams"
sid, gen, flt, pipe = (str(uuid.uuid4()) for _ in range(4))
cfg = {"id": sid, "meta": None, "nodes": [
  {"executable": "eeg_source" if False else "SignalGenerator", "config": {"sampleRate": 250, "channels": 4}, "id": gen, "meta": None},
  {"executable": "bandpass_filter", "config": {"cutoff": 10, "bandwidth": 4, "order": 4}, "id": flt, "meta": None}],
  "pipes": [{"source": gen, "destination": flt, "id": pipe}]}
def post(path, body):
    r = requests.post(f"{B}/{path}", json=body, timeout=1.0); r.raise_for_status(); return r.json()
out = {}
out["create"] = post("stream", cfg)
out["start"] = post("stream/start", {"streamId": sid})
time.sleep(0.5)
out["get"] = requests.get(f"{B}/stream/{sid}", timeout=1.0).json()
out["list"] = requests.get(f"{B}/stream", timeout=1.0).json()
out["signal"] = post("stream/signal", {"streamId": sid, "signal": {"signal": "pause", "parameters": {}}})
time.sleep(0.2)
out["resume"] = post("stream/signal", {"streamId": sid, "signal": {"signal": "resume", "parameters": {}}})
out["reconcile"] = post("stream/reconcile", {"streamId": sid})
out["stop"] = post("stream/stop", {"streamId": sid})
out["delete"] = requests.delete(f"{B}/stream/{sid}", timeout=1.0).json()
print(json.dumps(out))
`);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    for (const k of ['create', 'start', 'get', 'signal', 'resume', 'reconcile', 'stop', 'delete']) expect(out[k], k).toMatchObject({ message: expect.any(String), success: true });
    expect(out.create.stream.nodes.length).toBe(2);
    expect(out.get.nodes[1]).toMatchObject({ executable: 'bandpass_filter', config: { cutoff: 10, bandwidth: 4, order: 4 } });
    expect(Array.isArray(out.list)).toBe(true);
  });

  it('fetch() from Node and a real WebSocket client on the sink, at the vendor port and on the sink port itself', async () => {
    const base = 'http://127.0.0.1:42069';
    const j = (path: string, init?: RequestInit) => fetch(base + path, init).then(async (x) => ({ status: x.status, json: await x.json() }));
    expect((await j('/stream/streams', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(withSink(SINK_PORT)) })).json).toEqual({ id: SID, success: true });
    expect((await j(`/stream/streams/${SID}/signal`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'signal=start' })).json).toEqual({ id: SID, success: true });
    await expect.poll(() => bridge.sinkPorts, { timeout: 10_000 }).toEqual([SINK_PORT]);
    const receive = (url: string) =>
      new Promise<unknown[]>((ok, fail) => {
        const ws = new NodeWebSocket(url);
        const got: unknown[] = [];
        ws.on('message', (d) => {
          got.push(JSON.parse(d.toString()));
          if (got.length === 3) {
            ws.close();
            ok(got);
          }
        });
        ws.on('error', fail);
      });
    const [relayed, own] = await Promise.all([receive(`ws://127.0.0.1:42069/_sinks/${SINK_PORT}`), receive(`ws://127.0.0.1:${SINK_PORT}/`)]);
    for (const m of [...relayed, ...own]) expect(m).toMatchObject({ nodeId: SINK, streamId: SID, port: SINK_PORT, sampleRate: 250 });
    const st = await j(`/stream/streams/${SID}/status`);
    expect(st.json.status.nodes.map((n: { state: string }) => n.state)).toEqual(['running', 'running', 'running']);
    expect((await j(`/stream/streams/${SID}`, { method: 'DELETE' })).json).toEqual({ success: true });
    await expect.poll(() => bridge.sinkPorts).toEqual([]);
  });

  it("the ExperimentHub seed's ExperimentHubClient runs unmodified from Python against port 8010", async () => {
    const r = await py(experimentHubClientScript());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"mlops": {');
    expect(r.stdout).toContain('"time_series": {');
    expect(r.stdout).toContain("Create result: {'message': \"Creating experiment 'my_experiment' of type 'time_series'\"}");
    expect(r.stdout).toMatch(/^Prediction result: /m);
    expect(r.stdout).toMatch(/^Plot: \{/m);
    await screenshot(host, 'api-page-vendor-ports');
  });
});
