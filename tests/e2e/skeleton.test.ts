// The walking skeleton in a real browser: isolation through the service worker on a plain static
// host, the live synthetic stream, recording, the library across reloads and offline, recovery of
// a recording whose tab died, and the API through the service worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launch, newContext, openApp, screenshot, serveApp, waitForIsolation, type AppServer } from './harness';
import { hasShared, sharedPath } from '../support/shared';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

async function framesDrawn(page: Page): Promise<number> {
  return Number((await page.getAttribute('[data-testid="live-view"]', 'data-frames')) ?? 0);
}

async function startStream(page: Page): Promise<void> {
  await page.click('[data-testid="start-stream"]');
  await page.waitForSelector('[data-testid="stop-stream"]');
}

describe('service worker and isolation on a static host that sends no headers', () => {
  let server: AppServer;
  let context: BrowserContext;
  beforeAll(async () => {
    server = await serveApp({ isolationHeaders: false });
    context = await newContext(browser);
  });
  afterAll(async () => {
    await context?.close();
    await server?.close();
  });

  it('first visit: the worker takes control and the page becomes cross-origin isolated', async () => {
    const page = await context.newPage();
    const res = await page.goto(server.url);
    // The server itself sends no isolation headers…
    expect(res?.headers()['cross-origin-embedder-policy']).toBeUndefined();
    await waitForIsolation(page);
    // …the service worker does.
    expect(await page.evaluate(() => typeof SharedArrayBuffer !== 'undefined' && crossOriginIsolated)).toBe(true);
    await expect.poll(() => page.textContent('[data-testid="isolation"]')).toContain('Isolated');
    // A hard reload bypasses the worker; the app recovers isolation with one more reload, no loop.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Page.reload', { ignoreCache: true });
    await page.waitForTimeout(500);
    await waitForIsolation(page);
    // Stable: no further document loads once isolated (a loop would keep requesting the page).
    let navigations = 0;
    page.on('request', (r) => {
      if (r.isNavigationRequest() && r.frame() === page.mainFrame()) navigations++;
    });
    await page.waitForTimeout(2000);
    expect(navigations).toBe(0);
    await page.close();
  });

  it('answers /np/version and /bci/v1/compat through the service worker', async () => {
    const page = await openApp(context, server.url);
    const version = await page.evaluate(async () => {
      const r = await fetch('/np/version');
      return { status: r.status, body: await r.json(), rid: r.headers.get('x-request-id') };
    });
    expect(version.status).toBe(200);
    expect(version.body).toMatchObject({ version: expect.stringMatching(/^2024\.1\.0/), edition: 'Browser', install: '/np' });
    expect(version.rid).toMatch(/^req_[0-9A-HJKMNP-TV-Z]{26}$/);
    const compat = await page.evaluate(async () => {
      const r = await fetch('/bci/v1/compat');
      return { status: r.status, body: await r.json() };
    });
    expect(compat.status).toBe(200);
    const np = compat.body.families.find((f: { family: string }) => f.family === 'neuropype');
    expect(np).toMatchObject({ family: 'neuropype', mount: '/np', emulates: 'NeuroPype API 2024.1.0' });
    expect(['up', 'down']).toContain(np.engine);
    await page.close();
  });
});

describe('live stream, recording, library, offline and recovery', () => {
  let server: AppServer;
  let context: BrowserContext;
  beforeAll(async () => {
    server = await serveApp({ isolationHeaders: true });
    context = await newContext(browser);
  });
  afterAll(async () => {
    await context?.close();
    await server?.close();
  });

  it('shows the synthetic stream moving, raw and filtered, with no dropped frames', async () => {
    const page = await openApp(context, server.url);
    await startStream(page);
    await expect.poll(() => framesDrawn(page), { timeout: 10_000 }).toBeGreaterThan(250);
    const a = await framesDrawn(page);
    await page.waitForTimeout(1000);
    const b = await framesDrawn(page);
    // 16 channels at 250 Hz: about 250 new frames per second reach the view.
    expect(b - a).toBeGreaterThan(150);
    expect(b - a).toBeLessThan(400);
    await page.click('[data-testid="eyes-closed"]');
    await page.waitForTimeout(2500);
    await screenshot(page, 'live-view');
    await page.click('[data-testid="show-raw"]');
    const c = await framesDrawn(page);
    await page.waitForTimeout(700);
    expect(await framesDrawn(page)).toBeGreaterThan(c);
    expect(await page.textContent('[data-testid="dropped-frames"]')).toContain('Dropped frames: 0');
    await page.click('[data-testid="stop-stream"]');
    await page.close();
  });

  it('records about 5 s, lists it with the right frame count after a reload, and works offline', async () => {
    const page = await openApp(context, server.url);
    await startStream(page);
    await page.fill('[data-testid="recording-name"]', 'Five seconds');
    const t0 = Date.now();
    await page.click('[data-testid="start-recording"]');
    await page.waitForSelector('[data-testid="stop-recording"]');
    await page.waitForTimeout(5000);
    await page.click('[data-testid="stop-recording"]');
    const elapsed = (Date.now() - t0) / 1000;
    await page.waitForSelector('[data-testid="start-recording"]');
    await page.click('[data-testid="stop-stream"]');
    await page.click('a[href="/recordings"]');
    await page.waitForURL('**/recordings');
    await page.reload();
    await waitForIsolation(page);
    const row = page.locator('[data-testid="recording-row"][data-status="complete"]', { hasText: 'Five seconds' });
    await row.waitFor({ timeout: 20_000 }).catch(async (e) => {
      await screenshot(page, 'FAILED-recordings-after-reload');
      throw new Error(`${(e as Error).message}\npage text: ${(await page.textContent('main'))?.slice(0, 500)}`);
    });
    const frames = Number(await row.getAttribute('data-frames'));
    expect(await row.getAttribute('data-status')).toBe('complete');
    // 250 Hz for ~5 s (the click-to-click time bounds it); a chunk is at most one second = 250 frames.
    expect(frames).toBeGreaterThan(250 * (5 - 1));
    expect(frames).toBeLessThan(250 * (elapsed + 1));
    await screenshot(page, 'recordings');

    // Network off: the server goes away entirely, and the app still loads and lists the recording.
    await server.close();
    await context.setOffline(true);
    await page.reload();
    await page.locator('[data-testid="recording-row"][data-status="complete"]', { hasText: 'Five seconds' }).waitFor();
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    // Workers and what they import (chunks, WebAssembly) work offline too: import a SNIRF file
    // (library worker + h5wasm), then stream (io + engine workers).
    if (hasShared) {
      await page.setInputFiles('[data-testid="import-input"]', sharedPath('data/snirf/Simple_Probe.snirf'));
      await page.locator('[data-testid="recording-row"]', { hasText: 'Simple_Probe.snirf' }).waitFor({ timeout: 30_000 });
    }
    await page.click('a[href="/"]');
    await startStream(page);
    await expect.poll(() => framesDrawn(page), { timeout: 10_000 }).toBeGreaterThan(100);
    await page.click('[data-testid="stop-stream"]');
    await context.setOffline(false);
    await page.close();
    server = await serveApp({ isolationHeaders: true });
  });

  it('a page closed mid-recording comes back as a recovered recording', async () => {
    const page = await openApp(context, server.url);
    await startStream(page);
    await page.fill('[data-testid="recording-name"]', 'Interrupted');
    await page.click('[data-testid="start-recording"]');
    await page.waitForSelector('[data-testid="stop-recording"]');
    await page.waitForTimeout(3000);
    await page.close({ runBeforeUnload: false });
    const again = await openApp(context, server.url, '/recordings');
    const row = again.locator('[data-testid="recording-row"]', { hasText: 'Interrupted' });
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 15_000 }).toBe('recovered');
    const frames = Number(await row.getAttribute('data-frames'));
    // ~3 s at 250 Hz, minus at most the last unsaved second.
    expect(frames).toBeGreaterThan(250 * 1);
    expect(frames).toBeLessThan(250 * 5);
    await again.close();
  });
});
