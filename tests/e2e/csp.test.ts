// The Content-Security-Policy in Chromium, on a static host that sends no headers (the service worker
// supplies them): every page loads and its workers, WebAssembly and TensorFlow.js run with no
// violation; navigations carry the document's policy as a header with nosniff; and an inline script
// smuggled into a shared document is blocked, the browser reporting it as a securitypolicyviolation
// event (the reporting this test checks; no report endpoint is configured).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { launch, newContext, serveApp, waitForIsolation, type AppServer } from './harness';
import { shareFragment } from '../../src/lib/engine/share';
import { examplePipelines } from '../../src/lib/clients/pipelines';
import type { Browser } from 'playwright-core';

interface Violation {
  directive: string;
  blocked: string;
  sample: string;
}

let browser: Browser;
let server: AppServer;
let context: BrowserContext;
beforeAll(async () => {
  browser = await launch();
  server = await serveApp({ isolationHeaders: false });
  context = await newContext(browser);
  // Every document of the context records the violations the browser reports, from its first script on.
  await context.addInitScript(() => {
    const seen: Violation[] = [];
    (globalThis as unknown as { __cspViolations: Violation[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample, source: `${e.sourceFile}:${e.lineNumber}:${e.columnNumber}` } as Violation));
  });
});
afterAll(async () => {
  await context?.close();
  await server?.close();
  await browser?.close();
});

const violations = (page: Page) => page.evaluate(() => (globalThis as unknown as { __cspViolations: Violation[] }).__cspViolations);

/** Opens `path` in a page once the service worker serves the origin; returns the page and the navigation's headers. */
async function open(path: string): Promise<{ page: Page; headers: Record<string, string> }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const res = await page.goto(new URL(path, server.url).href);
  expect(errors, path).toEqual([]);
  return { page, headers: res?.headers() ?? {} };
}

describe('Content-Security-Policy', () => {
  it('every page loads, streams, trains and runs its examples with no violation; navigations carry the policy and nosniff', async () => {
    // First visit: the plain host sends no policy header; the page's <meta> holds it. The worker then takes over.
    const first = await open('/');
    expect(first.headers['content-security-policy']).toBeUndefined();
    await waitForIsolation(first.page);
    const meta = await first.page.getAttribute('meta[http-equiv="content-security-policy"]', 'content');
    expect(meta).toMatch(/script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(meta).toContain("object-src 'none'");
    expect(meta).toContain("base-uri 'none'");

    for (const path of ['/', '/recordings', '/devices', '/pipelines', '/training', '/api', '/examples/jspsych']) {
      const { page, headers } = await open(path);
      await waitForIsolation(page);
      // From the service worker: the document's own policy, with what a <meta> cannot carry.
      expect(headers['content-security-policy'], path).toBe(`${meta}; frame-ancestors 'self'`);
      expect(headers['x-content-type-options'], path).toBe('nosniff');
      await page.waitForTimeout(300);
      expect(await violations(page), path).toEqual([]);
      await page.close();
    }

    // The engine worker, its WebAssembly filters and the io worker: the live stream moves.
    const live = first.page;
    await live.click('[data-testid="start-stream"]');
    await live.waitForSelector('[data-testid="stop-stream"]');
    await expect.poll(async () => Number((await live.getAttribute('[data-testid="live-view"]', 'data-frames')) ?? 0), { timeout: 10_000 }).toBeGreaterThan(250);
    await live.click('[data-testid="stop-stream"]');
    expect(await violations(live)).toEqual([]);

    // TensorFlow.js picks its backend in the training worker.
    const training = (await open('/training')).page;
    await expect.poll(() => training.locator('[data-testid="tf-backend"]').textContent(), { timeout: 30_000 }).toMatch(/backend: (webgpu|webgl|cpu)/);
    expect(await violations(training)).toEqual([]);
    await training.close();

    // The jsPsych example runs its timeline (inline stimulus styles are allowed; scripts stay files).
    const jspsych = (await open('/examples/jspsych')).page;
    await jspsych.click('[data-testid="start-experiment"]');
    await jspsych.keyboard.press('Space');
    await jspsych.waitForSelector('.jspsych-content', { timeout: 10_000 });
    expect(await violations(jspsych)).toEqual([]);
    await jspsych.close();

    // A static example page (its script a file beside it) drives the API with /neurotab-api.js; this app tab hosts the engine.
    const np = await open('/examples/np-client.html');
    expect(np.headers['content-security-policy']).toMatch(/^default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; .*; frame-ancestors 'self'$/);
    await np.page.selectOption('#transport', 'message');
    await np.page.click('#run');
    await np.page.waitForFunction(() => document.body.dataset.done === 'ok' || document.body.dataset.done === 'failed', null, { timeout: 30_000 });
    expect(await np.page.evaluate(() => document.body.dataset.done), (await np.page.textContent('#log')) ?? '').toBe('ok');
    expect(await violations(np.page)).toEqual([]);
    await np.page.close();
    await live.close();
  });

  it('an inline script smuggled into a shared document is blocked and reported', async () => {
    // A share link whose pipeline description carries markup and script. The app shows it as text…
    const doc = structuredClone(examplePipelines()[0].doc);
    doc.meta.description = `<img src="x" onerror="globalThis.__pwned = 'handler'"><script>globalThis.__pwned = 'script'</script>`;
    const { page } = await open(`/pipelines#${shareFragment(doc)}`);
    await waitForIsolation(page);
    const shown = page.locator('[data-testid="shared-pipeline"] p.muted').first();
    await expect.poll(() => shown.textContent()).toBe(doc.meta.description);
    expect(await page.locator('[data-testid="shared-pipeline"] img').count()).toBe(0);
    // …and should a renderer ever insert it as markup, or as a script, the policy stops it.
    await page.evaluate((html) => {
      const host = document.createElement('div');
      host.innerHTML = html;
      document.body.append(host);
      const script = document.createElement('script');
      script.textContent = host.querySelector('script')?.textContent ?? '';
      document.body.append(script);
    }, doc.meta.description);
    await expect.poll(async () => (await violations(page)).length).toBeGreaterThanOrEqual(2);
    expect(await page.evaluate(() => (globalThis as { __pwned?: string }).__pwned)).toBeUndefined();
    const seen = await violations(page);
    expect(seen).toContainEqual(expect.objectContaining({ directive: 'script-src-attr', blocked: 'inline' }));
    expect(seen).toContainEqual(expect.objectContaining({ directive: 'script-src-elem', blocked: 'inline' }));
    await page.close();
  });
});
