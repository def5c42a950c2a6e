// What a person sees when the browser lacks something: without SharedArrayBuffer the app runs in
// "degraded mode" (transferable-buffer rings) and still streams and records; without service
// workers and SharedArrayBuffer it says what is missing and what still works.
import { describe, expect, it } from 'vitest';
import { openApp, screenshot, useApp } from './harness';

const fx = useApp();

describe('fallbacks', () => {
  it('without SharedArrayBuffer: degraded mode, still streams through transferable buffers and records', async () => {
    const page = await fx.context.newPage();
    await page.addInitScript(() => {
      delete (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer;
    });
    await page.goto(fx.server.url);
    await page.waitForFunction(() => navigator.serviceWorker?.controller !== null);
    await expect.poll(() => page.textContent('[data-testid="isolation"]')).toContain('Degraded mode');
    await page.click('[data-testid="start-stream"]');
    await page.waitForSelector('[data-testid="stop-stream"]');
    const drawn = async () => Number((await page.getAttribute('[data-testid="live-view"]', 'data-frames')) ?? 0);
    await expect.poll(drawn, { timeout: 10_000 }).toBeGreaterThan(250);
    await page.fill('[data-testid="recording-name"]', 'Degraded');
    await page.click('[data-testid="start-recording"]');
    await page.waitForSelector('[data-testid="stop-recording"]');
    await page.waitForTimeout(3000);
    await page.click('[data-testid="stop-recording"]');
    await page.waitForSelector('[data-testid="start-recording"]');
    await page.click('[data-testid="stop-stream"]');
    await page.click('a[href="/recordings"]');
    const row = page.locator('[data-testid="recording-row"][data-status="complete"]', { hasText: 'Degraded' });
    await row.waitFor();
    expect(Number(await row.getAttribute('data-frames'))).toBeGreaterThan(250 * 2);
    await page.close();
  });

  it('without service workers and SharedArrayBuffer: a clear page of what is missing and what still works', async () => {
    const page = await fx.context.newPage();
    await page.addInitScript(() => {
      delete (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer;
      Object.defineProperty(Navigator.prototype, 'serviceWorker', { get: () => undefined, configurable: true });
      delete (Navigator.prototype as { serviceWorker?: unknown }).serviceWorker;
    });
    await page.goto(fx.server.url);
    const box = page.locator('[data-testid="unsupported"]');
    await box.waitFor();
    const text = (await box.textContent()) ?? '';
    expect(text).toContain('This browser cannot run Neurotab fully');
    expect(text).toMatch(/✕\s*Service workers/);
    expect(text).toMatch(/✕\s*SharedArrayBuffer/);
    expect(text).toMatch(/What still works/);
    await screenshot(page, 'unsupported');
    expect(await page.textContent('[data-testid="offline-ready"]')).toContain('No offline support');
    // The recordings page still works there.
    await page.click('text=your recordings');
    await page.waitForSelector('[data-testid="import-button"]');
    expect(await page.textContent('main')).toContain('live streaming and offline use are off');
    await page.close();
  });
});
