// The Kernel family through the bridge with a headless app tab: the Kernel seed's own Python
// `requests` examples (tests/kernel/seed_client.py, Debian's python3-requests) at the root of the
// bridge's Kernel port — list a study's datasets, run qc_eeg on each, poll until it ends, download
// every signed URL — with the jobs run by the tab's persisted queue on recordings imported in the tab.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { execFile, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { launch, newContext, openApp, serveApp, type AppServer } from './harness';
import { startBridge, type Bridge } from '../../cli/bridge/relay';
import { hasShared, sharedPath } from '../support/shared';

const hasRequests = spawnSync('/usr/bin/python3', ['-c', 'import requests'], { stdio: 'ignore' }).status === 0;
const TOKEN = 'e2e-kernel-bridge-token-1234';

describe.skipIf(!hasShared || !hasRequests)("the Kernel seed's Python examples against the bridge and a headless app tab", () => {
  let browser: Browser;
  let server: AppServer;
  let context: BrowserContext;
  let bridge: Bridge;
  let page: Page;
  const http = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(bridge.url + path, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, json: await r.json().catch(() => null) };
  };

  beforeAll(async () => {
    browser = await launch();
    server = await serveApp();
    context = await newContext(browser);
    // Every port free-chosen: the vendors' defaults may be taken on a shared machine.
    bridge = await startBridge({ port: 0, ports: { exphub: null, instinct: null, neurascale: null, kernel: 0 }, token: TOKEN, timeoutMs: 20_000 });
    page = await openApp(context, server.url, '/recordings');
    for (const f of ['data/edf/S001R04.edf', 'data/snirf/Simple_Probe.snirf']) {
      await page.setInputFiles('[data-testid="import-input"]', sharedPath(f));
      await page.locator('[data-testid="recording-row"][data-status="complete"]', { hasText: f.split('/')[2] }).waitFor({ timeout: 30_000 });
    }
    await page.goto(`${server.url}/api?bridge=${bridge.port}&token=${TOKEN}`);
    await page.click('[data-testid="bridge-allow"]');
    await bridge.waitForTab();
    for (let i = 0; i < 80 && (await http('GET', '/bci/v1/studies')).status !== 200; i++) await new Promise((r) => setTimeout(r, 250));
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await bridge?.close();
    await server?.close();
    await browser?.close();
  });

  it('lists the datasets, runs qc_eeg, polls until SUCCEEDED and downloads every signed URL', async () => {
    const study = await http('POST', '/bci/v1/studies', { name: 'Bridge study', alias: 'bridge1' });
    expect(study.status).toBe(201);
    const recs = (await http('GET', '/bci/v1/studies/unassigned')).json.recordings;
    expect(recs).toHaveLength(2);
    expect((await http('POST', `/bci/v1/studies/${study.json.id}/datasets`, { datasets: recs.map((r: { id: string }) => ({ recording_id: r.id, participant: 'sub-01' })) })).status).toBe(200);
    const kernelUrl = `http://127.0.0.1:${bridge.ports.kernel}`;
    const out = await new Promise<string>((ok, no) =>
      execFile('/usr/bin/python3', [resolve('tests/kernel/seed_client.py'), kernelUrl, 'bridge1', 'qc_eeg'], { timeout: 150_000 }, (err, stdout, stderr) => (err ? no(new Error(`${err.message}\n${stderr}`)) : ok(stdout))),
    );
    const r = JSON.parse(out);
    expect(r.datasets).toHaveLength(2);
    const runs = r.datasets.map((d: string) => r.runs[d]);
    expect(runs.map((x: { status: string }) => x.status).sort()).toEqual(['FAILED', 'SUCCEEDED']);
    const ok = runs.find((x: { status: string }) => x.status === 'SUCCEEDED');
    expect(Object.keys(ok.files)).toEqual(['qc_eeg.html', 'qc_eeg.json']);
    expect(ok.files['qc_eeg.html'].content_type).toBe('text/html; charset=utf-8');
    expect(runs.find((x: { status: string }) => x.status === 'FAILED').reason).toMatch(/^qc_eeg needs EEG channels/);
  }, 180_000);
});
