// The Studies page in Chromium over the real app: import two recordings, create a study, assign both
// in one call, run qc_eeg on both from the page (the engine-host tab's API worker runs the persisted
// queue), watch one end SUCCEEDED with downloadable outputs and the fNIRS one FAILED with its reason,
// and the Kernel API (through the service worker) list the study's datasets.
import { describe, expect, it } from 'vitest';
import { openApp, screenshot, useApp } from './harness';
import { hasShared, sharedPath } from '../support/shared';

const fx = useApp();

describe.skipIf(!hasShared)('Studies page', () => {
  it('creates a study, assigns imported recordings in bulk, runs a pipeline and shows its outputs', async () => {
    const page = await openApp(fx.context, fx.server.url, '/recordings');
    for (const f of ['data/edf/S001R04.edf', 'data/snirf/Simple_Probe.snirf']) {
      await page.setInputFiles('[data-testid="import-input"]', sharedPath(f));
      await page.locator('[data-testid="recording-row"][data-status="complete"]', { hasText: f.split('/')[2] }).waitFor({ timeout: 30_000 });
    }
    await page.click('a[href="/studies"]');
    await page.fill('[data-testid="study-name"]', 'E2E tapping');
    await page.fill('input[placeholder^="Alias"]', 'e2e1');
    await page.click('[data-testid="create-study"]');
    await page.getByText('Assign recordings from the library').waitFor();
    for (const name of ['S001R04.edf', 'Simple_Probe.snirf']) await page.getByLabel(new RegExp(name.replace('.', '\\.'))).check();
    await page.click('[data-testid="assign"]');
    await expect.poll(() => page.locator('table tbody tr').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const boxes = page.locator('section:has(h3:text("Datasets")) tbody input[type="checkbox"]');
    for (let i = 0; i < (await boxes.count()); i++) await boxes.nth(i).check();
    await page.selectOption('[data-testid="pipeline"]', 'qc_eeg');
    await page.click('[data-testid="run-pipeline"]');
    const jobs = page.locator('[data-testid="jobs"] tbody');
    await expect.poll(() => jobs.textContent(), { timeout: 60_000, interval: 500 }).toMatch(/SUCCEEDED[\s\S]*|FAILED/);
    await expect.poll(async () => (await jobs.textContent())?.includes('SUCCEEDED') && (await jobs.textContent())?.includes('FAILED'), { timeout: 60_000, interval: 500 }).toBe(true);
    expect(await jobs.textContent()).toContain('qc_eeg needs EEG channels');
    const link = jobs.locator('a', { hasText: 'qc_eeg.json' });
    await link.waitFor({ timeout: 10_000 });
    const href = await link.getAttribute('href');
    const got = (await page.evaluate(`fetch(${JSON.stringify(href)}).then(async (r) => ({ status: r.status, type: r.headers.get('content-type'), channels: (await r.json()).channels.length }))`)) as { status: number; type: string; channels: number };
    expect(got).toEqual({ status: 200, type: 'application/json', channels: 64 });
    const listed = (await page.evaluate(`fetch('/kernel/api/v1/study/e2e1/datasets').then((r) => r.json())`)) as { datasets: { meta: { name: string } }[] };
    expect(listed.datasets.map((d) => d.meta.name).sort()).toEqual(['S001R04.edf', 'Simple_Probe.snirf']);
    await screenshot(page, 'studies');
    await page.close();
  });
});
