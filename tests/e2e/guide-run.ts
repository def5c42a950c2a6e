// Follows the guided first run with clicks only, from the Live page's "Try it" to the first live
// prediction, on a page already open at "/". Shared by tests/e2e/guide.test.ts and
// bench/first-run.bench.ts. Node only (drives the page through playwright-core).
import type { Page } from 'playwright-core';
import { screenshot } from './harness';

/** Seconds since navigation at which the guide saw the signal and the first prediction. */
export async function followGuide(page: Page, shots = false): Promise<{ signalSeconds: number; predictionSeconds: number }> {
  await page.click('[data-testid="try-it"]');
  await page.locator('[data-testid="guide-signal"][data-shown="true"]').waitFor({ timeout: 20_000 });
  const signalSeconds = Number(/on screen ([\d.]+) s/.exec((await page.textContent('[data-testid="guide-signal"]')) ?? '')?.[1]);
  if (shots) await screenshot(page, 'guide-signal');
  await page.click('[data-testid="guide-next"]');
  await page.locator('[data-testid="guide-prompt"]').waitFor();
  if (shots) {
    await page.locator('[data-testid="guide-prompt"][data-eyes="closed"]').waitFor({ timeout: 10_000 });
    await screenshot(page, 'guide-calibration');
  }
  const first = page.locator('[data-testid="guide-first-prediction"]');
  await first.waitFor({ timeout: 120_000 });
  const predictionSeconds = Number(await first.getAttribute('data-ms')) / 1000;
  return { signalSeconds, predictionSeconds };
}

