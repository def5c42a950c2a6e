// A new version of the app: the service worker installs it in the background, the page says a new
// version is ready, and one click reloads into it. Served from a copy of build/ that is changed
// while the page is open, as a deployment would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launch, newContext, openApp, screenshot, serveApp, type AppServer } from './harness';

let browser: Browser;
let server: AppServer;
const dir = join(mkdtempSync(join(tmpdir(), 'neurotab-update-')), 'build');
beforeAll(async () => {
  cpSync('build', dir, { recursive: true });
  browser = await launch();
  server = await serveApp({ dir });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('updates', () => {
  it('offers the waiting version and reloads into it on one click', async () => {
    const context = await newContext(browser);
    const page = await openApp(context, server.url);
    const firstWorker = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.active?.scriptURL);
    expect(firstWorker).toContain('/service-worker.js');
    expect(await page.locator('[data-testid="update-banner"]').count()).toBe(0);
    // "Deploy" a new version, then let the page look for updates (it does when it becomes visible).
    // (the static server reads file sizes at start, so it restarts on the same port, as a deploy would)
    appendFileSync(join(dir, 'service-worker.js'), `\n// deployed ${Date.now()}\n`);
    const port = Number(new URL(server.url).port);
    await server.close();
    server = await serveApp({ dir, port });
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
    const banner = page.locator('[data-testid="update-banner"]');
    await banner.waitFor({ timeout: 30_000 });
    expect(await banner.textContent()).toContain('A new version of Neurotab is ready');
    await screenshot(page, 'update-banner');
    const reloaded = page.waitForEvent('load');
    await banner.locator('button').click();
    await reloaded;
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null && crossOriginIsolated);
    const state = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      return { waiting: !!reg?.waiting, active: reg?.active?.state };
    });
    expect(state).toEqual({ waiting: false, active: 'activated' });
    expect(await page.locator('[data-testid="update-banner"]').count()).toBe(0);
    await context.close();
  });
});
