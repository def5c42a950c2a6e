// NeuraScale from outside the browser, end to end: the bridge on NeuraScale's default port 8000
// (family at the root, as api.neurascale.io's dev server is), paired with a headless app tab that
// hosts the engine. From Python (Debian's python3-requests + python3-websocket) and from Node
// (fetch + ws): login, GET /v2/devices, the seed's stream/start body on openbci_001, a WebSocket
// subscription receiving neural_data / neural_data_batch, stop. Binds a vendor port: run under
// `flock /tmp/neurotab-vendor-ports.lock`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page, Browser } from 'playwright-core';
import { execFile, spawnSync } from 'node:child_process';
import { WebSocket } from 'ws';
import { existsSync } from 'node:fs';
import { launch, newContext, openApp, serveApp, type AppServer } from './harness';
import { sharedPath } from '../support/shared';
import { startBridge, type Bridge } from '../../cli/bridge/relay';

const TOKEN = 'e2e-neurascale-bridge-token';
const PORT = 8000;
const PYTHON = '/usr/bin/python3';
const hasPython = spawnSync(PYTHON, ['-c', 'import requests, websocket'], { stdio: 'ignore' }).status === 0;
if (!hasPython) console.warn('[neurascale bridge e2e] skipping the Python client: Debian python3-requests and python3-websocket are needed');
const SEED_START = { sample_rate: 250, channels: [1, 2, 3, 4, 5, 6, 7, 8], filters: { notch: 60, highpass: 0.5, lowpass: 100 } };

let browser: Browser;
let server: AppServer;
let context: BrowserContext;
let bridge: Bridge;
let page: Page;
const base = `http://127.0.0.1:${PORT}`;

async function http(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  browser = await launch();
  server = await serveApp();
  context = await newContext(browser);
  bridge = await startBridge({ port: 0, ports: { neurascale: PORT }, token: TOKEN, timeoutMs: 15_000 });
  expect(bridge.ports.neurascale).toBe(PORT);
  page = await openApp(context, server.url, `/api?bridge=${bridge.port}&token=${TOKEN}`);
  await page.waitForSelector('[data-testid="bridge-prompt"]');
  await page.click('[data-testid="bridge-allow"]');
  await bridge.waitForTab();
  for (let i = 0; i < 80; i++) {
    const r = await http('GET', '/v2/devices');
    if (r.status === 200) break;
    await new Promise((ok) => setTimeout(ok, 250));
  }
}, 60_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await bridge?.close();
  await server?.close();
});

const PY = `
import base64, json, struct, sys, time
import requests, websocket
base = sys.argv[1]
out = {}
r = requests.post(base + '/v2/auth/login', json={'email': 'lab@example.org', 'password': 'secret'})
out['login'] = r.status_code
token = r.json()['access_token']
H = {'Authorization': 'Bearer ' + token}
out['devices'] = [d['id'] for d in requests.get(base + '/v2/devices', headers=H).json()['items']]
out['register'] = requests.post(base + '/v2/devices', headers=H, json={'id': 'openbci_001', 'name': 'OpenBCI Cyton', 'type': 'EEG'}).status_code
start = requests.post(base + '/v2/devices/openbci_001/stream/start', headers=H,
                      json={'sample_rate': 250, 'channels': [1, 2, 3, 4, 5, 6, 7, 8], 'filters': {'notch': 60, 'highpass': 0.5, 'lowpass': 100}}).json()
out['start'] = start
# websocket-client sends Origin: <the bridge's own address> unless told not to; the bridge refuses
# every Origin but the paired tab's.
def connect(path):
    return websocket.create_connection(base.replace('http', 'ws') + path, timeout=10, suppress_origin=True)
seen = {'neural_data': 0, 'neural_data_batch': 0, 'auth_ok': 0, 'subscribed': 0}
first = None
samples = 0
def follow(ws, until):
    global first, samples
    t0 = time.time()
    while time.time() - t0 < 15 and not until():
        m = json.loads(ws.recv())
        seen[m['type']] = seen.get(m['type'], 0) + 1
        if m['type'] == 'neural_data' and first is None:
            first = m
        if m['type'] == 'neural_data_batch':
            raw = base64.b64decode(m['compressed_data'])
            assert len(raw) == 4 * m['sample_count'] * len(m['channels']), 'batch size'
            struct.unpack('<%df' % (len(raw) // 4), raw)
            samples += m['sample_count']
    ws.close()
# The seed's form (auth message, then subscribe by session), asking for 50 Hz: one neural_data per sample.
ws = connect('/ws')
ws.send(json.dumps({'type': 'auth', 'token': token}))
ws.send(json.dumps({'type': 'subscribe', 'topic': 'neural_data', 'session_id': start['session_id'], 'sample_rate': 50}))
follow(ws, lambda: seen['neural_data'] >= 20)
# The SDK's form (?token=), full rate by device: neural_data_batch.
ws = connect('/ws?token=' + token)
ws.send(json.dumps({'type': 'subscribe', 'topic': 'neural_data', 'device_id': 'openbci_001'}))
follow(ws, lambda: seen['neural_data_batch'] >= 5)
out['seen'] = seen
out['first'] = first
out['batch_samples'] = samples
out['stop'] = requests.post(base + '/v2/devices/openbci_001/stream/stop', headers=H).json()
out['recordings'] = requests.get(base + '/v2/sessions/' + start['session_id'] + '/recordings', headers=H).json()
print(json.dumps(out))
`;

describe('NeuraScale through the bridge on port 8000', () => {
  it.skipIf(!hasPython)('Python (requests + websocket-client): login, devices, the seed stream/start, a WebSocket subscription receiving neural_data, stop', async () => {
    const stdout = await new Promise<string>((ok, fail) =>
      execFile(PYTHON, ['-c', PY, base], { timeout: 60_000 }, (e, so, se) => (e ? fail(new Error(`${e.message}\n${se}`)) : ok(so))),
    );
    const r = JSON.parse(stdout);
    expect(r.login).toBe(200);
    expect(r.devices).toContain('synthetic');
    expect(r.register).toBe(201);
    expect(r.start).toMatchObject({ device_id: 'openbci_001', streaming: true, sample_rate: 250, channels: SEED_START.channels, stream_id: expect.stringMatching(/^stream_/) });
    expect(r.seen.auth_ok).toBe(1);
    expect(r.seen.subscribed).toBe(2);
    expect(r.seen.neural_data).toBeGreaterThanOrEqual(20);
    expect(r.seen.neural_data_batch).toBeGreaterThanOrEqual(5);
    expect(r.first).toMatchObject({ type: 'neural_data', device_id: 'openbci_001', session_id: r.start.session_id, events: [] });
    expect(r.first.channels).toHaveLength(8);
    expect(r.first.channels[0]).toMatchObject({ number: 1, value: expect.any(Number) });
    expect(r.batch_samples).toBeGreaterThan(100);
    expect(r.stop).toMatchObject({ device_id: 'openbci_001', streaming: false, stream_id: r.start.stream_id });
    expect(r.recordings.items[0]).toMatchObject({ channel_count: 8, sample_rate: 250, status: 'complete' });
    const del = await http('DELETE', '/v2/devices/openbci_001');
    expect(del.status).toBe(204);
  }, 90_000);

  const CLIENT_DIR = sharedPath('clients', 'neurascale');
  it.skipIf(!hasPython || !existsSync(`${CLIENT_DIR}/device_api_example.py`))("NeuraScale's device_api_example.py, unmodified, through the bridge (its DeviceAPIClient pointed at port 8000)", async () => {
    const driver = 'import sys\nsys.path.insert(0, sys.argv[1])\nimport device_api_example as example\nexample.DeviceAPIClient.__init__.__defaults__ = (sys.argv[2],)\nexample.main()\n';
    const stdout = await new Promise<string>((ok, fail) =>
      execFile(PYTHON, ['-c', driver, CLIENT_DIR, base], { timeout: 60_000 }, (e, so, se) => (e ? fail(new Error(`${e.message}\n${se}`)) : ok(so))),
    );
    expect(stdout).toContain('Device added: Synthetic EEG (state: disconnected)');
    expect(stdout).toMatch(/Session ID: session_[0-9a-z]{26}/);
    expect(stdout).toContain('Health status: healthy');
    expect(stdout.match(/Channel \d+: good \(SNR: -?[\d.]+ dB\)/g)).toHaveLength(8);
    expect(stdout).toContain('=== Example completed ===');
  }, 90_000);

  it('JavaScript (fetch + ws, ?token= on the URL as the SDK does): stream, subscribe, receive, stop; the SSE form of data/stream', async () => {
    const login = await http('POST', '/v2/auth/login', { email: 'js@example.org', password: 'x' });
    const token = login.json.access_token as string;
    expect((await http('GET', '/api/v2/devices', undefined, token)).json.items.length).toBeGreaterThan(0);
    const start = await http('POST', '/v2/devices/synthetic/stream/start', SEED_START, token);
    expect(start.status).toBe(200);
    const ws = new WebSocket(`ws://127.0.0.1:${PORT}/ws?token=${token}`);
    const got: any[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
    ws.on('message', (d) => got.push(JSON.parse(d.toString())));
    await new Promise((ok, fail) => (ws.once('open', ok), ws.once('error', fail)));
    ws.send(JSON.stringify({ type: 'subscribe', sessionId: start.json.session_id, channels: [1, 2] }));
    for (let i = 0; i < 100 && got.filter((m) => m.type === 'neural_data_batch').length < 3; i++) await new Promise((ok) => setTimeout(ok, 100));
    const batch = got.find((m) => m.type === 'neural_data_batch');
    expect(batch).toMatchObject({ device_id: 'synthetic', session_id: start.json.session_id, channels: [1, 2], sample_rate: 250 });
    expect(Buffer.from(batch.compressed_data, 'base64').length).toBe(4 * 2 * batch.sample_count);
    ws.send(JSON.stringify({ type: 'device_control', action: 'stop_stream', device_id: 'synthetic' }));
    for (let i = 0; i < 50 && !got.some((m) => m.type === 'device_response'); i++) await new Promise((ok) => setTimeout(ok, 100));
    expect(got.find((m) => m.type === 'device_response')).toMatchObject({ action: 'stop_stream', status: 'success', stream_id: start.json.stream_id });
    ws.close();
    // The SSE form through the bridge (streamed response): events arrive for a running stream.
    const again = await http('POST', '/v2/devices/synthetic/stream/start', { sample_rate: 250 }, token);
    const ctl = new AbortController();
    const res = await fetch(`${base}/v2/data/stream/${again.json.stream_id}`, { signal: ctl.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('neural_data_batch')) text += new TextDecoder().decode((await reader.read()).value);
    ctl.abort();
    await http('POST', '/v2/devices/synthetic/stream/stop', undefined, token);
  }, 60_000);
});
