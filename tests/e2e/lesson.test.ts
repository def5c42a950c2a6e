// Lessons as links in Chromium: a lesson composed on /lesson (with hostile Markdown) becomes a link
// and a QR code; a fresh profile opens the link, sees the lesson ready (the markup shown as text,
// the javascript: link not a link), runs it through the guide to a live prediction and finds its
// result kept on that device; a lesson carrying a pipeline opens it on the Pipelines page for review;
// a tampered link is refused with a message; a lesson asking for a
// Muse in a browser without Web Bluetooth (as on iOS) says so and offers the synthetic EEG.
import { describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { newContext, openApp, screenshot, useApp } from './harness';

const fx = useApp();

async function compose(context: BrowserContext, fields: { title: string; instructions: string; device?: string }): Promise<string> {
  const page = await openApp(context, fx.server.url, '/lesson');
  await page.fill('[data-testid="compose-title"]', fields.title);
  await page.fill('[data-testid="compose-instructions"]', fields.instructions);
  if (fields.device) await page.selectOption('[data-testid="compose-device"]', fields.device);
  await page.locator('[data-testid="lesson-qr"]').waitFor({ timeout: 10_000 });
  const link = await page.inputValue('[data-testid="lesson-link"]');
  await page.close();
  return link;
}

async function freshContext(browser: Browser, init?: string): Promise<BrowserContext> {
  const c = await newContext(browser);
  if (init) await c.addInitScript(init);
  return c;
}

describe('lessons as links', () => {
  it('a lesson built in one profile opens ready in a fresh one, runs, and keeps the result there', async () => {
    const hostile = '# Alpha\nClose your **eyes**. <img src=x onerror="window.__pwned=1"> [run me](javascript:window.__pwned=2) [MNE](https://mne.tools/)\n\n- open\n- closed';
    const author = await openApp(fx.context, fx.server.url, '/lesson');
    await author.fill('[data-testid="compose-title"]', 'Alpha waves');
    await author.fill('[data-testid="compose-instructions"]', hostile);
    await author.locator('[data-testid="lesson-qr"]').waitFor({ timeout: 10_000 });
    expect(await author.locator('[data-testid="lesson-qr"]').evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(100);
    const link = await author.inputValue('[data-testid="lesson-link"]');
    expect(link).toMatch(new RegExp(`^${fx.server.url.replace(/\/$/, '')}/lesson#l=[A-Za-z0-9_-]+$`));
    await screenshot(author, 'lesson-composer');
    await author.setViewportSize({ width: 390, height: 844 });
    await screenshot(author, 'lesson-composer-390');
    await author.close();

    const student = await freshContext(fx.browser);
    try {
      const page = await openApp(student, link, link.replace(/^https?:\/\/[^/]+/, ''));
      await page.locator('[data-testid="lesson-title"]', { hasText: 'Alpha waves' }).waitFor({ timeout: 10_000 });
      const body = page.locator('[data-testid="lesson-instructions"]');
      expect(await body.locator('h2').textContent()).toBe('Alpha');
      expect(await body.locator('strong').textContent()).toBe('eyes');
      expect(await body.locator('li').allTextContents()).toEqual(['open', 'closed']);
      expect(await body.textContent()).toContain('<img src=x onerror="window.__pwned=1">');
      expect(await body.locator('img').count()).toBe(0);
      expect(await body.locator('a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href))).toEqual(['https://mne.tools/']);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? null)).toBeNull();
      expect(await page.textContent('[data-testid="lesson-results"]')).toMatch(/No run yet/);
      await screenshot(page, 'lesson-student');

      await page.click('[data-testid="lesson-start"]');
      await page.locator('[data-testid="guide-lesson"]', { hasText: 'Alpha waves' }).waitFor();
      await page.locator('[data-testid="guide-signal"][data-shown="true"]').waitFor({ timeout: 20_000 });
      await page.click('[data-testid="guide-next"]');
      await page.locator('[data-testid="guide-first-prediction"]').waitFor({ timeout: 120_000 });
      // Back to the lesson: this device's result is listed (IndexedDB, this profile only).
      await page.goto(link);
      await expect.poll(() => page.textContent('[data-testid="lesson-results"]'), { timeout: 10_000 }).toMatch(/accuracy \d+ % · first prediction after \d+ s/);
      await page.close();
    } finally {
      await student.close();
    }
  }, 240_000);

  it('refuses a tampered link with a message, running nothing', async () => {
    const link = await compose(fx.context, { title: 'Tamper me', instructions: 'Eyes closed, then open.' });
    const [base, payload] = link.split('#l=');
    const mid = Math.floor(payload.length / 2);
    const tampered = `${base}#l=${payload.slice(0, mid)}${payload[mid] === 'Q' ? 'R' : 'Q'}${payload.slice(mid + 1, -4)}`;
    const c = await freshContext(fx.browser);
    try {
      const page = await openApp(c, fx.server.url, tampered.replace(/^https?:\/\/[^/]+/, ''));
      const refused = page.locator('[data-testid="lesson-refused"]');
      await refused.waitFor({ timeout: 10_000 });
      expect(await refused.textContent()).toMatch(/The link was refused: the link (is corrupt|is cut short|does not hold)/);
      expect(await page.locator('[data-testid="lesson-title"]').count()).toBe(0);
      await screenshot(page, 'lesson-tampered');
      await page.close();
    } finally {
      await c.close();
    }
  }, 60_000);

  it('a lesson for a Muse in a browser without Web Bluetooth says so and offers the synthetic EEG', async () => {
    const link = await compose(fx.context, { title: 'Muse lesson', instructions: 'Put the Muse on.', device: 'muse-2' });
    // As on iOS: none of Web Bluetooth, Web Serial, WebUSB.
    const c = await freshContext(fx.browser, 'for (const k of ["bluetooth", "serial", "usb"]) { try { Object.defineProperty(Navigator.prototype, k, { get: () => undefined, configurable: true }); } catch {} }');
    try {
      const page = await openApp(c, fx.server.url, link.replace(/^https?:\/\/[^/]+/, ''));
      const warn = page.locator('[data-testid="lesson-unsupported"]');
      await warn.waitFor({ timeout: 10_000 });
      expect(await warn.textContent()).toMatch(/asks for a Muse.*Web Bluetooth, which this browser does not offer/);
      expect(await page.locator('[data-testid="lesson-start"]').isDisabled()).toBe(true);
      await page.setViewportSize({ width: 390, height: 844 });
      await screenshot(page, 'lesson-unsupported-390');
      await page.click('[data-testid="lesson-use-synthetic"]');
      await page.locator('[data-testid="lesson-synthetic-note"]').waitFor();
      expect(await page.locator('[data-testid="lesson-start"]').isDisabled()).toBe(false);
      await page.click('[data-testid="lesson-start"]');
      await page.locator('[data-testid="guide-signal"][data-shown="true"]').waitFor({ timeout: 20_000 });
      expect(await page.textContent('[data-testid="guide-signal"]')).toMatch(/Synthetic/i);
      await page.close();
    } finally {
      await c.close();
    }
  }, 60_000);

  it('a lesson carrying a pipeline opens it on the Pipelines page for review (nothing runs by itself)', async () => {
    const pipeline = {
      format: 'neurotab.pipeline',
      version: 1,
      meta: { name: 'Alpha band power', description: 'band-pass 8–12 Hz' },
      nodes: [
        { id: 'in', type: 'io.stream-input', params: { query: "type='EEG'" } },
        { id: 'bp', type: 'filter.iir', params: { frequencies: [8, 12], mode: 'bandpass', order: 4 } },
        { id: 'out', type: 'io.stream-output', params: { stream_name: 'alpha' } },
      ],
      edges: [
        { source: 'in', target: 'bp' },
        { source: 'bp', target: 'out' },
      ],
    };
    const author = await openApp(fx.context, fx.server.url, '/lesson');
    await author.fill('[data-testid="compose-title"]', 'Filter lesson');
    await author.check('[data-testid="compose-recipe-pipeline"]');
    await author.fill('[data-testid="compose-pipeline"]', '{"format": "neurotab.pipeline"');
    await author.locator('[data-testid="compose-error"]').waitFor();
    await author.fill('[data-testid="compose-pipeline"]', JSON.stringify(pipeline));
    await author.locator('[data-testid="lesson-qr"]').waitFor({ timeout: 10_000 });
    const link = await author.inputValue('[data-testid="lesson-link"]');
    await author.close();
    const c = await freshContext(fx.browser);
    try {
      const page = await openApp(c, fx.server.url, link.replace(/^https?:\/\/[^/]+/, ''));
      await page.click('[data-testid="lesson-start"]');
      await page.waitForSelector('[data-testid="shared-pipeline"]', { timeout: 15_000 });
      expect(await page.textContent('[data-testid="shared-name"]')).toBe('Alpha band power');
      await page.close();
    } finally {
      await c.close();
    }
  }, 60_000);
});
