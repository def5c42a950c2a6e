// Live fNIRS in Chromium: the synthetic fNIRS device on the Live page shows HbO/HbR (the engine
// worker's fNIRS view) with a quality badge per channel after the first 10 s, its task button puts a
// "task" marker with its duration into the running recording, and the recording keeps the probe; a
// SNIRF file replayed from the library shows its haemoglobin too (its probe travels with the stream).
import { describe, expect, it } from 'vitest';
import { openApp, readStores, screenshot, useApp } from './harness';
import { needsShared, sharedPath } from '../support/shared';

const fx = useApp();

describe('live fNIRS', () => {
  it('synthetic fNIRS: HbO/HbR live with quality badges, a task block recorded as a marker, the probe kept', async () => {
    const app = await openApp(fx.context, fx.server.url);
    await app.click('[data-testid="device-synthetic-fnirs"]');
    await app.click('text=Motion artefacts'); // off: every channel of the simulated head is well coupled
    await app.click('[data-testid="start-stream"]');
    await app.waitForSelector('[data-testid="stop-stream"]');
    await app.waitForFunction(() => document.querySelector('[data-testid="fnirs-mode"]')?.textContent?.includes('HbO'));
    await app.fill('[data-testid="recording-name"]', 'fNIRS task');
    await app.click('[data-testid="start-recording"]');
    await app.waitForSelector('[data-testid="stop-recording"]');
    await app.click('[data-testid="fnirs-task-block"]');
    await app.waitForFunction(() => document.querySelector('[data-testid="fnirs-task-block"]')?.textContent?.includes('Task running'));
    // Quality needs a full 10 s window.
    await app.waitForSelector('[data-testid="fnirs-badge"]', { timeout: 20_000 });
    const badges = await app.$$eval('[data-testid="fnirs-badge"]', (els) => els.map((e) => ({ text: e.textContent ?? '', ok: e.getAttribute('data-ok') })));
    expect(badges).toHaveLength(20);
    expect(badges.every((b) => b.ok === 'true')).toBe(true);
    expect(badges[0].text).toMatch(/S1_D1 760\s*SCI 0\.\d\d CV \d+\.\d %/);
    expect(await app.textContent('.stream-info')).toContain('HbO/HbR');
    // The probe has short channels: the running short-channel regression can be switched on (the engine confirms).
    await app.click('[data-testid="fnirs-ssr"]');
    await app.waitForSelector('[data-testid="fnirs-ssr"][data-on="true"]');
    await screenshot(app, 'fnirs-live');

    await app.click('[data-testid="stop-recording"]');
    await app.waitForSelector('[data-testid="start-recording"]');
    const db = await readStores(app, ['recordings', 'markers']);
    const rec = (db.recordings as { id: string; name: string; probe?: { wavelengthsNm: number[]; detectorPositionsM: number[][] } }[]).find((r) => r.name === 'fNIRS task');
    const stored = {
      probe: rec?.probe,
      markers: (db.markers as { recordingId: string; value: string; durationMs?: number }[]).filter((m) => m.recordingId === rec?.id).map((m) => ({ value: m.value, durationMs: m.durationMs })),
    };
    expect(stored.probe?.wavelengthsNm).toEqual([760, 850]);
    expect(stored.probe?.detectorPositionsM).toHaveLength(7);
    expect(stored.markers).toEqual([{ value: 'task', durationMs: 20_000 }]);
    await app.click('[data-testid="stop-stream"]');
    await app.close();
  });

  it('a SNIRF recording replayed from the library: HbO/HbR from its probe, a badge with SCI and CV for each of its 18 channels', needsShared, async () => {
    const page = await openApp(fx.context, fx.server.url, '/recordings');
    await page.setInputFiles('[data-testid="import-input"]', sharedPath('data/snirf/neuro_run01.snirf'));
    await page.locator('[data-testid="recording-row"][data-status="complete"]', { hasText: 'neuro_run01.snirf' }).waitFor({ timeout: 30_000 });
    await page.click('a[href="/"]');
    await page.click('[data-testid="device-playback"]');
    await page.locator('[data-testid="playback-recording"] option', { hasText: 'neuro_run01.snirf' }).first().waitFor({ state: 'attached' });
    await page.selectOption('[data-testid="playback-recording"]', { label: 'neuro_run01.snirf' });
    await page.click('[data-testid="start-stream"]');
    await page.waitForSelector('[data-testid="stop-stream"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="fnirs-mode"]')?.textContent?.includes('HbO'));
    await page.waitForSelector('[data-testid="fnirs-badge"]', { timeout: 20_000 });
    const badges = await page.$$eval('[data-testid="fnirs-badge"]', (els) => els.map((e) => ({ text: e.textContent ?? '', ok: e.getAttribute('data-ok') })));
    expect(badges).toHaveLength(18);
    expect(badges.every((b) => /SCI [\d.-]+ CV [\d.]+ %/.test(b.text))).toBe(true);
    await screenshot(page, 'fnirs-playback');
    await page.click('[data-testid="stop-stream"]');
    await page.close();
  });
});
