// The guided first run in Chromium, fresh profile, clicks only: the Live page's "Try it" → the live
// synthetic signal → "Next" → the 40 s eyes open / closed calibration → training in the worker →
// the deployed model's live prediction following the synthetic eyes. Prints the seconds from
// navigation to the live signal and to the first live prediction (reported; the goal is < 5 s and
// < 60 s, measured as a median by bench/first-run.bench.ts). And the fault: a tab closed
// mid-calibration comes back at the phase it was on, and the guide finishes from there.
import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { newContext, openApp, screenshot, useApp } from './harness';
import { followGuide } from './guide-run';

const fx = useApp();

async function expectClass(page: Page, value: 'open' | 'closed'): Promise<void> {
  await expect.poll(() => page.getAttribute('[data-testid="live-prediction"]', 'data-class'), { timeout: 15_000, interval: 200 }).toBe(value);
}

describe('guided first run', () => {
  it('reaches a live prediction that follows the synthetic eyes with clicks only', async () => {
    const page = await openApp(fx.context, fx.server.url, '/');
    const t = await followGuide(page, true);
    console.log(`[guide] live signal ${t.signalSeconds.toFixed(1)} s, first live prediction ${t.predictionSeconds.toFixed(1)} s after navigation`);
    const timings = (await page.textContent('[data-testid="guide-timings"]')) ?? '';
    console.log(`[guide] ${timings.replace(/\s+/g, ' ').trim()}`);
    const acc = Number(/accuracy (\d+) %/.exec(timings)?.[1]);
    expect(acc).toBeGreaterThanOrEqual(80);
    // The prediction follows the eyes: closed, then open again.
    await page.click('[data-testid="guide-eyes-closed"]');
    await expectClass(page, 'closed');
    await screenshot(page, 'guide-live-closed');
    await page.click('[data-testid="guide-eyes-open"]');
    await expectClass(page, 'open');
    await screenshot(page, 'guide-live-open');
    // One acquisition: the guide's stream is the Live page's (the Live page shows it as running).
    await page.click('nav a[href="/"]');
    await page.locator('[data-testid="stop-stream"]').waitFor();
    await page.close();
  }, 240_000);

  it('a tab closed mid-calibration comes back at the phase it was on and finishes from there', async () => {
    const context: BrowserContext = await newContext(fx.browser);
    try {
      const page = await openApp(context, fx.server.url, '/guide');
      await page.locator('[data-testid="guide-signal"][data-shown="true"]').waitFor({ timeout: 20_000 });
      await page.click('[data-testid="guide-next"]');
      // Three phases of 4 s done, the fourth under way: close the tab.
      await page.waitForFunction(() => (document.querySelector('progress') as HTMLProgressElement | null)?.value === 3, null, { timeout: 30_000 });
      await page.close();

      const back = await openApp(context, fx.server.url, '/guide');
      const note = back.locator('[data-testid="guide-resumed"]');
      await note.waitFor({ timeout: 10_000 });
      expect(await note.textContent()).toMatch(/phase 4 of 10 of the calibration/);
      expect(await back.getAttribute('[data-testid="guide"]', 'data-step')).toBe('calibrate');
      await screenshot(back, 'guide-resumed');
      await back.locator('[data-testid="guide-next"]').waitFor();
      await back.click('[data-testid="guide-next"]');
      await back.locator('[data-testid="guide-first-prediction"]').waitFor({ timeout: 120_000 });
      // Trained on both parts: the recovered recording (phases 1–3) and the new one (4–10).
      const saved = await back.evaluate(() => JSON.parse(localStorage.getItem('neurotab.guide') ?? 'null') as { recordingIds: string[]; phasesDone: number });
      expect(saved.phasesDone).toBe(10);
      expect(saved.recordingIds.length).toBe(2);
      const timings = (await back.textContent('[data-testid="guide-timings"]')) ?? '';
      expect(Number(/accuracy (\d+) %/.exec(timings)?.[1])).toBeGreaterThanOrEqual(80);
      await back.click('[data-testid="guide-eyes-closed"]');
      await expectClass(back, 'closed');
      await back.close();
    } finally {
      await context.close();
    }
  }, 240_000);

  it('a full storage says the guide cannot save its place, and the guide goes on', async () => {
    const context: BrowserContext = await newContext(fx.browser);
    try {
      await context.addInitScript(`Storage.prototype.setItem = function () { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); };`);
      const page = await openApp(context, fx.server.url, '/guide');
      await page.locator('[data-testid="guide-signal"][data-shown="true"]').waitFor({ timeout: 20_000 });
      await page.click('[data-testid="guide-next"]');
      await page.locator('.notice', { hasText: 'Storage is full: the guide cannot save where it is, so closing this tab would start it over.' }).waitFor({ timeout: 10_000 });
      await page.locator('[data-testid="guide-prompt"]').waitFor();
      await screenshot(page, 'guide-storage-full');
      await page.close();
    } finally {
      await context.close();
    }
  }, 60_000);
});
