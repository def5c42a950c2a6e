// Pipelines page in a real browser: a band-power pipeline on the live synthetic stream (alpha rises
// with eyes closed), live parameter edits with domain checks, share links (round trip, hostile and
// corrupt links refused with a message) and import validation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'fflate';
import { launch, newContext, openApp, readStores, screenshot, serveApp, type AppServer } from './harness';
import { examplePipelines, pypResolver } from '../../src/lib/clients/pipelines';
import { pipelineToPyp, writePyp } from '../../src/lib/formats/pyp';
import { shareFragment } from '../../src/lib/engine/share';

let browser: Browser;
let server: AppServer;
let context: BrowserContext;
beforeAll(async () => {
  browser = await launch();
  server = await serveApp({ isolationHeaders: true });
  context = await newContext(browser);
});
afterAll(async () => {
  await context?.close();
  await server?.close();
  await browser?.close();
});

const payloadOf = (json: string) => Buffer.from(deflateSync(new TextEncoder().encode(json))).toString('base64url');

async function alphaMean(page: Page): Promise<number> {
  const v = await page.getAttribute('[data-testid="band-mean-alpha"]', 'data-value');
  return v === null ? NaN : Number(v);
}

/** Starts the synthetic stream on the Live page and runs an example pipeline on it from the Pipelines page. */
async function runExampleOnLiveStream(exampleId: string): Promise<Page> {
  const page = await openApp(context, server.url, '/');
  await page.click('[data-testid="start-stream"]');
  await page.waitForSelector('[data-testid="stop-stream"]');
  await page.click('nav a[href="/pipelines"]');
  await page.click(`[data-testid="example-${exampleId}"]`);
  await page.click('[data-testid="run-pipeline"]');
  return page;
}

/** The metrics table's rows as cell texts (node, calls, items in, items out, errors, time). */
function metricsRows(page: Page): Promise<string[][]> {
  return page.$$eval('[data-testid="metrics"] tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')));
}

/** Mean of a few readings of the alpha band power, 300 ms apart. */
async function alphaAverage(page: Page, n = 5): Promise<number> {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += await alphaMean(page);
    await page.waitForTimeout(300);
  }
  return sum / n;
}

describe('pipelines on the live stream', () => {
  it('runs the alpha band-power pipeline; closing the eyes raises alpha power; parameters change live within their domain', async () => {
    const page = await runExampleOnLiveStream('alpha-beta');
    await page.waitForSelector('[data-testid="band-mean-alpha"]', { timeout: 10_000 });
    await expect.poll(() => page.textContent('[data-testid="run-status"]')).toContain('Running on the live stream');
    // Let the 2 s windows fill with eyes-open data.
    await page.waitForTimeout(3000);
    const open = await alphaAverage(page);
    expect(open).toBeGreaterThan(0);
    const betaOpen = Number(await page.getAttribute('[data-testid="band-mean-beta"]', 'data-value'));
    expect(betaOpen).toBeGreaterThan(0);
    await screenshot(page, 'pipelines-alpha-eyes-open');

    // Close the eyes on the Live page; the pipeline keeps running in the engine worker.
    await page.click('nav a[href="/"]');
    await page.click('[data-testid="eyes-closed"]');
    await page.click('nav a[href="/pipelines"]');
    await page.waitForSelector('[data-testid="band-mean-alpha"]');
    await expect.poll(() => alphaMean(page), { timeout: 15_000 }).toBeGreaterThan(open * 3);
    await page.waitForTimeout(2500);
    const closed = await alphaAverage(page);
    expect(closed).toBeGreaterThan(open * 3);
    await screenshot(page, 'pipelines-alpha-eyes-closed');

    // Metrics and log are reported.
    const psd = (await metricsRows(page)).find((r) => r[0] === 'psd');
    expect(psd).toBeDefined();
    expect(Number(psd![2])).toBeGreaterThan(0);
    expect(await page.textContent('[data-testid="log"]')).toContain('started');

    // Band power fed a spectrum: its parameters for a signal input are hidden until asked for.
    expect(await page.$('[data-testid="param-bands-window_length"]')).toBeNull();
    expect(await page.textContent('[data-testid="show-params-bands"]')).toContain('Show parameters used with a signal input');
    await page.click('[data-testid="show-params-bands"]');
    await page.waitForSelector('[data-testid="param-bands-window_length"]');
    await page.click('[data-testid="show-params-bands"]');

    // A value outside the parameter's domain is refused with a message; the run is undisturbed.
    await page.fill('[data-testid="param-psd-segment_samples"]', '1');
    await page.press('[data-testid="param-psd-segment_samples"]', 'Enter');
    await expect.poll(() => page.textContent('[data-testid="param-error-psd-segment_samples"]')).toMatch(/outside \[2,/);
    // A valid change is applied live: beta band moved to 20–30 Hz, alpha untouched and still high.
    await page.fill('[data-testid="param-bands-bands"]', '{"alpha": [8, 13], "beta": [20, 30]}');
    await page.press('[data-testid="param-bands-bands"]', 'Enter');
    await expect.poll(() => page.textContent('[data-testid="log"]'), { timeout: 5000 }).toContain('parameters changed: bands');
    expect(await page.$('[data-testid="param-error-bands-bands"]')).toBeNull();
    await expect.poll(() => alphaMean(page)).toBeGreaterThan(open * 3);
    expect(await page.textContent('[data-testid="run-status"]')).toContain('Running');

    await page.click('[data-testid="stop-pipeline"]');
    await expect.poll(() => page.textContent('[data-testid="run-status"]')).toContain('Stopped');
    await page.click('nav a[href="/"]');
    await page.click('[data-testid="stop-stream"]');
    await page.close();
  });
});

describe('running band power', () => {
  it('the running example updates alpha and beta every 50 ms from the signal itself; closing the eyes raises alpha', async () => {
    const page = await runExampleOnLiveStream('running-band-power');
    await page.waitForSelector('[data-testid="band-mean-alpha"]', { timeout: 10_000 });
    await page.waitForTimeout(2000); // 1 s windows full of eyes-open data
    const open = await alphaAverage(page);
    expect(open).toBeGreaterThan(0);
    // about 20 outputs a second: the node's item count grows by roughly that much
    const outputs = async (): Promise<number> => Number((await metricsRows(page)).find((r) => r[0] === 'bands')?.[3] ?? NaN); // items out: one frame per window
    const c0 = await outputs();
    await page.waitForTimeout(2000);
    const rate = ((await outputs()) - c0) / 2;
    expect(rate).toBeGreaterThan(10);
    expect(rate).toBeLessThan(30);
    await screenshot(page, 'pipelines-running-band-power');
    // the window parameters apply here (a signal reaches the node) and are shown
    await page.locator('[data-testid="param-bands-window_length"]').scrollIntoViewIfNeeded();
    expect(await page.inputValue('[data-testid="param-bands-window_length"]')).toBe('1');
    await screenshot(page, 'pipelines-running-band-power-params');
    await page.click('nav a[href="/"]');
    await page.click('[data-testid="eyes-closed"]');
    await page.click('nav a[href="/pipelines"]');
    await page.waitForSelector('[data-testid="band-mean-alpha"]');
    await expect.poll(() => alphaMean(page), { timeout: 15_000 }).toBeGreaterThan(open * 3);
    await page.click('[data-testid="stop-pipeline"]');
    await page.click('nav a[href="/"]');
    await page.click('[data-testid="stop-stream"]');
    await page.close();
  });
});

describe('output rings', () => {
  it('a signal pipeline writes its output ring, shown as a live trace on the page', async () => {
    const page = await openApp(context, server.url, '/pipelines');
    await page.click('[data-testid="pl-start-stream"]');
    await page.waitForSelector('[data-testid="pl-stream"]');
    await page.click('[data-testid="example-clean"]');
    await page.click('[data-testid="run-pipeline"]');
    const frames = async () => Number((await page.getAttribute('[data-testid="live-view"]', 'data-frames')) ?? 0);
    await expect.poll(frames, { timeout: 10_000 }).toBeGreaterThan(250);
    // The inspect node sees the re-referenced signal: the channel values sum to ~0 (common average).
    const latest = await page.textContent('[data-testid="inspect-probe"]');
    expect(latest).toContain('signal · 16 values');
    const mean = Number(await page.getAttribute('[data-testid="band-mean-value"]', 'data-value'));
    expect(Math.abs(mean)).toBeLessThan(0.01);
    await screenshot(page, 'pipelines-clean-output');
    await page.click('[data-testid="stop-pipeline"]');
    await page.close();
  });
});

describe('recorders', () => {
  it('a NeuroPype recorder .pyp on the live stream: its plots show as panels, and on stop RecordToXDF\'s file joins the recordings library', async () => {
    const page = await openApp(context, server.url, '/pipelines');
    await page.click('[data-testid="pl-start-stream"]');
    await page.waitForSelector('[data-testid="pl-stream"]');
    const pyp = readFileSync(new URL('../fixtures/pipelines/np-io-record-online.pyp', import.meta.url));
    await page.setInputFiles('[data-testid="import-file"]', { name: 'record.pyp', mimeType: 'application/xml', buffer: pyp });
    await expect.poll(() => page.textContent('[data-testid="pipeline-name"]')).toBe('Record the live EEG');
    await page.click('[data-testid="run-pipeline"]');
    // node5 = TimeSeriesSweepPlot on the filtered signal: an inspect panel with the 16 channels
    await expect.poll(() => page.textContent('[data-testid="inspect-node5"]'), { timeout: 10_000 }).toContain('signal · 16 values');
    await page.waitForTimeout(1500);
    await page.click('[data-testid="stop-pipeline"]');
    const recording = async () => ((await readStores(page, ['recordings'])).recordings as { name: string; status: string; streams: { frames: number }[] }[]).find((r) => r.name === 'raw-eeg.xdf');
    await expect.poll(async () => (await recording())?.status, { timeout: 10_000 }).toBe('complete');
    expect((await recording())!.streams[0].frames).toBeGreaterThan(250);
    await page.close();
  });
});

describe('markers', () => {
  it('markers from the Live page reach the marker input of the pipeline: an epoch is cut around each', async () => {
    const page = await runExampleOnLiveStream('epochs');
    await expect.poll(() => page.textContent('[data-testid="run-status"]')).toContain('Running on the live stream');
    expect(await page.textContent('[data-testid="inspect-probe"]')).toContain('waiting for data');
    await page.waitForTimeout(500);
    await page.click('nav a[href="/"]');
    await page.fill('[data-testid="marker-text"]', 'stim/left');
    await page.click('[data-testid="add-marker"]');
    await page.click('nav a[href="/pipelines"]');
    // −0.2…0.8 s at 250 Hz: 251 frames, cut once the signal reaches 0.8 s after the marker.
    await expect.poll(() => page.textContent('[data-testid="inspect-probe"]'), { timeout: 10_000 }).toContain('marker “stim/left”');
    expect(await page.textContent('[data-testid="inspect-probe"]')).toContain('251 frames × 16 channels');
    const rows = await page.$$eval('[data-testid="metrics"] tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')));
    expect(Number(rows.find((r) => r[0] === 'markers')![3])).toBe(1);
    await page.click('[data-testid="stop-pipeline"]');
    await page.click('nav a[href="/"]');
    await page.click('[data-testid="stop-stream"]');
    await page.close();
  });
});

describe('share links', () => {
  it('round trip: a shared pipeline (with an edited parameter) is reviewed, then added to my pipelines', async () => {
    const page = await openApp(context, server.url, '/pipelines');
    await page.click('[data-testid="example-clean"]');
    await page.fill('[data-testid="param-notch-frequency"]', '60');
    await page.press('[data-testid="param-notch-frequency"]', 'Enter');
    await page.click('[data-testid="share-pipeline"]');
    const link = await page.inputValue('[data-testid="share-link"]');
    expect(link).toMatch(/\/pipelines#p=[A-Za-z0-9_-]+$/);
    await page.close();

    const other = await openApp(context, server.url, new URL(link).pathname + new URL(link).hash);
    await other.waitForSelector('[data-testid="shared-pipeline"]');
    expect(await other.textContent('[data-testid="shared-name"]')).toBe('Band-pass, notch, common average');
    // Shown for review, not running, parameters as shared.
    expect(await other.textContent('[data-testid="shared-graph"] [data-testid="node-notch"]')).toContain('60');
    expect(await other.$('[data-testid="run-status"]')).toBeNull();
    await screenshot(other, 'pipelines-shared-review');
    await other.click('[data-testid="add-shared"]');
    await other.waitForSelector('[data-testid="library-band-pass-notch-common-average.json"]');
    expect(await other.textContent('[data-testid="pipeline-name"]')).toBe('Band-pass, notch, common average');
    expect(await other.inputValue('[data-testid="param-notch-frequency"]')).toBe('60');
    expect(new URL(other.url()).hash).toBe('');
    // Stored: still there after a reload.
    await other.reload();
    await other.waitForSelector('[data-testid="library-band-pass-notch-common-average.json"]');
    await other.close();
  });

  it('refuses hostile and corrupt links with a clear message, and adds nothing', async () => {
    const polluting = payloadOf(
      '{"format":"neurotab.pipeline","version":1,"meta":{"__proto__":{"isAdmin":true},"name":"x"},"nodes":[{"id":"in","type":"io.stream-input"}],"edges":[]}',
    );
    const unknownNode = payloadOf('{"format":"neurotab.pipeline","version":1,"nodes":[{"id":"evil","type":"script.eval","params":{"code":"alert(1)"}}],"edges":[]}');
    const bomb = Buffer.from(deflateSync(new Uint8Array(30_000_000))).toString('base64url');
    const cases: Array<[string, RegExp]> = [
      [polluting, /forbidden key "__proto__"/],
      [unknownNode, /unknown node type "script\.eval"/],
      [bomb, /expands to more than 1000000 bytes/],
      ['not*base64', /not base64url/],
      [payloadOf('{"format":"neurotab.pipeline"').slice(0, 12), /cut short|corrupt/],
    ];
    for (const [payload, message] of cases) {
      const page = await openApp(context, server.url, `/pipelines#p=${payload}`);
      await page.waitForSelector('[data-testid="share-error"]');
      expect(await page.textContent('[data-testid="share-error"]')).toMatch(message);
      expect(await page.$('[data-testid="add-shared"]')).toBeNull();
      expect(await page.evaluate(() => ({} as Record<string, unknown>).isAdmin)).toBeUndefined();
      if (payload === polluting) await screenshot(page, 'pipelines-hostile-link');
      await page.close();
    }
  });

  it('a refusal follows the fragment it was about: a new fragment replaces or clears it, in the same tab', async () => {
    const refusal = '[data-testid="share-error"]';
    const page = await openApp(context, server.url, '/pipelines#p=not-base64!!');
    await expect.poll(() => page.textContent(refusal)).toContain('character "!" at position 10 is not base64url');
    // Another fragment typed in the address bar (a fragment navigation: hashchange, same document).
    await page.goto(new URL('/pipelines#p=also*bad', server.url).href);
    await expect.poll(() => page.textContent(refusal)).toContain('character "*" at position 4 is not base64url');
    await page.goto(new URL('/pipelines#pipeline=x', server.url).href);
    await page.waitForSelector(refusal, { state: 'detached' });
    expect(await page.$('[data-testid="shared-pipeline"]')).toBeNull();
    // A good link after a bad one: its review replaces the refusal.
    const good = shareFragment(examplePipelines()[0].doc);
    await page.goto(new URL('/pipelines#p=not-base64!!', server.url).href);
    await page.waitForSelector(refusal);
    await page.goto(new URL(`/pipelines#${good}`, server.url).href);
    await page.waitForSelector('[data-testid="shared-name"]');
    expect(await page.$(refusal)).toBeNull();
    // The app's own links: "Pipelines" from this page (same route, no hashchange), and away and back.
    await page.goto(new URL('/pipelines#p=not-base64!!', server.url).href);
    await page.waitForSelector(refusal);
    await page.click('nav a[href="/pipelines"]');
    await page.waitForSelector(refusal, { state: 'detached' });
    expect(new URL(page.url()).hash).toBe('');
    await page.goto(new URL('/pipelines#p=not-base64!!', server.url).href);
    await page.waitForSelector(refusal);
    await page.click('nav a[href="/"]');
    await page.click('nav a[href="/pipelines"]');
    await page.waitForSelector('[data-testid="pipeline-name"]');
    expect(await page.$(refusal)).toBeNull();
    await page.close();
  });
});

describe('import', () => {
  it('imports a NeuroPype .pyp file (classes mapped through the registry)', async () => {
    const page = await openApp(context, server.url, '/pipelines');
    const pyp = writePyp(pipelineToPyp(examplePipelines()[0].doc, pypResolver));
    await page.setInputFiles('[data-testid="import-file"]', { name: 'alpha.pyp', mimeType: 'application/xml', buffer: Buffer.from(pyp) });
    await expect.poll(() => page.textContent('[data-testid="pipeline-name"]')).toBe('Band power: alpha and beta');
    const graph = (await page.textContent('[data-testid="pipeline-graph"]')) ?? '';
    for (const cls of ['LSLInput', 'IIRFilter', 'MovingWindow', 'WelchSpectrum']) expect(graph).toContain(cls);
    expect(await page.$('[data-testid="pipeline-problem"]')).toBeNull();
    await page.close();
  });

  it('imports a NeuroPype recorder .pyp: each node shows its class, what its inputs accept and the axes arriving on each edge', async () => {
    const page = await openApp(context, server.url, '/pipelines');
    const pyp = readFileSync(new URL('../fixtures/pipelines/np-io-record-online.pyp', import.meta.url));
    await page.setInputFiles('[data-testid="import-file"]', { name: 'record.pyp', mimeType: 'application/xml', buffer: pyp });
    await expect.poll(() => page.textContent('[data-testid="pipeline-name"]')).toBe('Record the live EEG');
    const graph = (await page.textContent('[data-testid="pipeline-graph"]')) ?? '';
    for (const cls of ['LSLInput', 'RecordToXDF', 'RecordToCSV', 'TimeSeriesSweepPlot', 'MarkerStreamWindow', 'ScrollPlot']) expect(graph).toContain(cls);
    // node4 = RecordToCSV, fed by the IIR filter (node2): a continuous signal, time × space
    expect(await page.textContent('[data-testid="accepts-node4-data"]')).toMatch(/data accepts .*data chunk/);
    expect(await page.textContent('[data-testid="axes-node4-data"]')).toMatch(/time.*space/);
    expect(await page.$('[data-testid="pipeline-problem"]')).toBeNull();
    await page.close();
  });

  it('imports a valid JSON pipeline, and reports a broken one by node and field', async () => {
    const page = await openApp(context, server.url, '/pipelines');
    const good = {
      format: 'neurotab.pipeline',
      version: 1,
      meta: { name: 'Imported theta', description: '' },
      nodes: [
        { id: 'in', type: 'io.stream-input' },
        { id: 'win', type: 'MovingWindow', params: { window_length: 1, step: 0.5 } },
        { id: 'psd', type: 'WelchSpectrum', params: { segment_samples: 128 } },
        { id: 'theta', type: 'spectral.band-power', params: { bands: { theta: [4, 8] } } },
        { id: 'probe', type: 'io.inspect' },
      ],
      edges: [
        { source: 'in', target: 'win' },
        { source: 'win', target: 'psd' },
        { source: 'psd', target: 'theta' },
        { source: 'theta', target: 'probe' },
      ],
    };
    await page.setInputFiles('[data-testid="import-file"]', { name: 'theta.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(good)) });
    await expect.poll(() => page.textContent('[data-testid="pipeline-name"]')).toBe('Imported theta');
    expect(await page.$('[data-testid="pipeline-problem"]')).toBeNull();

    const bad = structuredClone(good);
    bad.nodes[2].params = { segment_samples: 0 };
    bad.edges.push({ source: 'probe', target: 'in' });
    await page.setInputFiles('[data-testid="import-file"]', { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) });
    await page.waitForSelector('[data-testid="pipeline-problem"]');
    const text = (await page.textContent('[data-testid="pipeline-problem"]')) ?? '';
    expect(text).toContain('broken.json is not a valid pipeline');
    expect(text).toMatch(/psd.*segment_samples/);
    await screenshot(page, 'pipelines-import-error');
    await page.close();
  });
});
