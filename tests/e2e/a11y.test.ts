// Every page at desktop width and on a phone (390 × 844, touch): axe-core finds no serious or
// critical violation, nothing is laid out wider than the screen, every nav entry is on screen, and
// Tab reaches the controls with a visible focus ring. Screenshots of every page go to test-results/screenshots.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launch, openApp, screenshot, serveApp, type AppServer } from './harness';

const PAGES = ['/', '/recordings', '/api', '/devices', '/pipelines', '/training', '/studies', '/guide', '/lesson'];
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, hasTouch: true, isMobile: true };
const DESKTOP = { viewport: { width: 1400, height: 860 }, deviceScaleFactor: 1 };

let browser: Browser;
let server: AppServer;
beforeAll(async () => {
  browser = await launch();
  server = await serveApp();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function seriousViolations(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

for (const [name, options] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
  describe(`every page on ${name}`, () => {
    let context: BrowserContext;
    beforeAll(async () => {
      context = await browser.newContext(options);
    });
    afterAll(async () => {
      await context?.close();
    });
    for (const path of PAGES) {
      it(`${path}: axe finds no serious or critical violation; nothing is wider than the screen`, async () => {
        const page = await openApp(context, server.url, path);
        await page.waitForSelector('main');
        expect(await seriousViolations(page)).toEqual([]);
        const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, win: innerWidth }));
        expect(widths.doc).toBeLessThanOrEqual(widths.win);
        // Every nav entry is inside the viewport (none fall off the right edge).
        for (const box of await page.$$eval('nav a', (as) => as.map((a) => a.getBoundingClientRect().toJSON()))) {
          expect(box.right).toBeLessThanOrEqual(widths.win);
        }
        await screenshot(page, `${name}${path === '/' ? '-live' : path.replaceAll('/', '-')}`);
        await page.close();
      }, 60_000);
    }
  });
}

describe('keyboard', () => {
  it('Tab walks the nav in order and every focused control shows a focus ring', async () => {
    const context = await browser.newContext(DESKTOP);
    const page = await openApp(context, server.url, '/');
    const seen: string[] = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const f = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return null;
        const s = getComputedStyle(el);
        return { text: (el.textContent ?? '').trim(), tag: el.tagName, outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 };
      });
      if (!f) continue;
      expect(f.outline, `${f.tag} “${f.text}” has no visible focus`).toBe(true);
      seen.push(f.text);
    }
    const navOrder = ['Live', 'Recordings', 'API', 'Devices', 'Pipelines', 'Training'];
    expect(seen.filter((t) => navOrder.includes(t)).slice(0, 6)).toEqual(navOrder);
    // Past the nav, Tab reaches the Live page's Start stream button.
    expect(seen).toContain('Start stream');
    await context.close();
  }, 60_000);
});

describe('live updates', () => {
  it('the Live page announces the stream starting through a polite live region, and axe still passes while it streams', async () => {
    const context = await browser.newContext(PHONE);
    const page = await openApp(context, server.url, '/');
    const region = page.locator('[data-testid="stream-info"]');
    expect(await region.getAttribute('aria-live')).toBe('polite');
    expect(await region.innerText()).toContain('No stream');
    await page.tap('[data-testid="start-stream"]');
    await page.waitForSelector('[data-testid="stop-stream"]');
    await expect.poll(() => region.innerText()).toMatch(/\d+ ch · \d+ Hz/);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'phone-live-streaming');
    await context.close();
  }, 60_000);
});
