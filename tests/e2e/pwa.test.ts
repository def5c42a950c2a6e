// Installable and offline, as Chromium itself judges: the DevTools installability check reports no
// error (manifest, PNG icons, service worker), the manifest's icons and screenshots load, the
// "Install app" button appears when beforeinstallprompt fires, and after one visit every page
// opens with the network off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApp, useApp } from './harness';
import { CHROMIUM_ARGS, findChromium } from '../support/chromium';

const PAGES = ['/', '/recordings', '/api', '/devices', '/pipelines', '/training', '/studies', '/guide', '/lesson'];
const f = useApp();

describe('installable app', () => {
  // Chromium never offers installation in an incognito profile (Playwright's contexts are), so the
  // installability check runs in a fresh on-disk profile.
  let profileDir = '';
  let profile: BrowserContext;
  beforeAll(async () => {
    profileDir = mkdtempSync(join(tmpdir(), 'neurotab-pwa-'));
    profile = await chromium.launchPersistentContext(profileDir, { executablePath: findChromium() ?? undefined, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1400, height: 860 } });
  });
  afterAll(async () => {
    await profile?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it('Chromium reports no installability error, and every manifest image loads with its declared size', async () => {
    const page = await openApp(profile, f.server.url);
    const cdp = await profile.newCDPSession(page);
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: { errorId: string }[] };
    expect(installabilityErrors.map((e) => e.errorId)).toEqual([]);
    const manifest = await (await page.request.get(new URL('/manifest.webmanifest', f.server.url).href)).json();
    const purposes = manifest.icons.map((i: { sizes: string; purpose: string }) => `${i.sizes} ${i.purpose}`);
    expect(purposes).toEqual(expect.arrayContaining(['192x192 any', '512x512 any', '512x512 maskable']));
    expect(manifest.screenshots.map((s: { form_factor: string }) => s.form_factor).sort()).toEqual(['narrow', 'wide']);
    for (const img of [...manifest.icons, ...manifest.screenshots] as { src: string; sizes: string }[]) {
      if (img.sizes === 'any') continue;
      const size = await page.evaluate(async (src) => {
        const im = new Image();
        im.src = src;
        await im.decode();
        return `${im.naturalWidth}x${im.naturalHeight}`;
      }, img.src);
      expect(size, img.src).toBe(img.sizes);
    }
    await page.close();
  }, 60_000);

  it('shows "Install app" when the browser offers installation, and hands the click to the offer', async () => {
    const page = await openApp(f.context, f.server.url);
    expect(await page.locator('[data-testid="install-app"]').count()).toBe(0);
    // Headless Chromium never shows its install UI, so the offer is raised as the browser raises it:
    // a cancelable beforeinstallprompt event carrying prompt().
    await page.evaluate(() => {
      const e = Object.assign(new Event('beforeinstallprompt', { cancelable: true }), {
        prompt: async () => void ((globalThis as Record<string, unknown>).prompted = true),
        userChoice: Promise.resolve({ outcome: 'accepted' }),
      });
      dispatchEvent(e);
      (globalThis as Record<string, unknown>).defaultPrevented = e.defaultPrevented;
    });
    await page.click('[data-testid="install-app"]');
    expect(await page.evaluate(() => [(globalThis as Record<string, unknown>).defaultPrevented, (globalThis as Record<string, unknown>).prompted])).toEqual([true, true]);
    await page.waitForSelector('[data-testid="install-app"]', { state: 'detached' });
    await page.close();
  }, 60_000);

  it('after one visit, every page opens offline', async () => {
    const first = await openApp(f.context, f.server.url);
    // The whole navigation, as the online page draws it, must come back offline on every page.
    await first.waitForSelector('nav a');
    const navLinks = await first.locator('nav a').count();
    expect(navLinks).toBeGreaterThanOrEqual(PAGES.length - 1); // every page but /guide has a nav entry
    await f.context.setOffline(true);
    try {
      for (const path of PAGES) {
        const page = await f.context.newPage();
        await page.goto(new URL(path, f.server.url).href);
        await page.waitForSelector('main h1, main h2, main [data-testid]', { timeout: 15_000 });
        expect(await page.locator('nav a').count(), path).toBe(navLinks);
        await page.close();
      }
    } finally {
      await f.context.setOffline(false);
      await first.close();
    }
  }, 90_000);
});
