// The recordings library in Chromium: import real files (EDF+, SNIRF), see their details and
// markers, export them and read the export back; a corrupt file is refused with a clear message
// and leaves the library unchanged.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApp, screenshot, useApp } from './harness';
import { sharedPath, needsShared } from '../support/shared';
import { readEdf } from '../../src/lib/formats/edf';
import { readSnirf } from '../../src/lib/formats/snirf';

const fx = useApp();

describe('recordings library', needsShared, () => {
  it('imports an EDF+ file with its annotations, exports it as EDF+ and the export reads back the same', async () => {
    const page = await openApp(fx.context, fx.server.url, '/recordings');
    const file = sharedPath('data/edf/S001R04.edf');
    await page.setInputFiles('[data-testid="import-input"]', file);
    const row = page.locator('[data-testid="recording-row"][data-status="complete"]', { hasText: 'S001R04.edf' });
    await row.waitFor({ timeout: 30_000 });
    const original = readEdf(new Uint8Array(readFileSync(file)), 'S001R04.edf');
    expect(Number(await row.getAttribute('data-frames'))).toBe(original.streams[0].timestampsMs.length);
    await row.locator('button.name-btn').click();
    const detail = page.locator('[data-testid="recording-detail"]');
    await detail.waitFor();
    await expect.poll(() => detail.textContent()).toContain(`Markers (${original.markers.length})`);
    await page.waitForTimeout(300);
    await screenshot(page, 'recording-detail');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-edf"]')]);
    const dir = mkdtempSync(join(tmpdir(), 'neurotab-export-'));
    const out = join(dir, download.suggestedFilename());
    await download.saveAs(out);
    const back = readEdf(new Uint8Array(readFileSync(out)), out);
    expect(back.streams[0].descriptor.channels.map((c) => c.label)).toEqual(original.streams[0].descriptor.channels.map((c) => c.label));
    expect(back.streams[0].timestampsMs.length).toBe(original.streams[0].timestampsMs.length);
    expect(back.markers.map((m) => m.value)).toEqual(original.markers.map((m) => m.value));
    // Re-written at 16 bits from the data's own range: values agree to the quantisation step.
    const a = original.streams[0].samples;
    const b = back.streams[0].samples;
    let maxAbs = 0;
    let maxErr = 0;
    for (let i = 0; i < a.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(a[i]));
      maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]));
    }
    expect(maxErr).toBeLessThan((2 * maxAbs) / 65535 + 1e-6);
    await page.close();
  });

  it('imports SNIRF (fNIRS) through h5wasm in the browser', async () => {
    const page = await openApp(fx.context, fx.server.url, '/recordings');
    await page.setInputFiles('[data-testid="import-input"]', sharedPath('data/snirf/Simple_Probe.snirf'));
    const row = page.locator('[data-testid="recording-row"][data-status="complete"]', { hasText: 'Simple_Probe.snirf' });
    await row.waitFor({ timeout: 30_000 });
    expect(Number(await row.getAttribute('data-frames'))).toBeGreaterThan(0);
    // The probe geometry is kept with the recording (fNIRS analysis takes distances from it).
    const probe = await readSnirf(new Uint8Array(readFileSync(sharedPath('data/snirf/Simple_Probe.snirf'))), 'Simple_Probe.snirf');
    await row.locator('button.name-btn').click();
    const shown = page.locator('[data-testid="recording-probe"]');
    await shown.waitFor();
    expect((await shown.textContent())?.replace(/\s+/g, ' ')).toContain(
      `Probe: ${probe.probe!.sourcePositionsM.length} source${probe.probe!.sourcePositionsM.length === 1 ? '' : 's'}, ${probe.probe!.detectorPositionsM.length} detector`,
    );
    await page.close();
  });

  it('dates recordings by when they were made (the import time beside it), newest recording first', async () => {
    const page = await openApp(fx.context, fx.server.url, '/recordings');
    await page.waitForSelector('[data-testid="recordings-table"], .empty');
    const s001 = page.locator('[data-testid="recording-row"][data-status="complete"]', { hasText: 'S001R04.edf' });
    const biosemi = page.locator('[data-testid="recording-row"][data-status="complete"]', { hasText: 'Newtest17-256.bdf' });
    // S001R04 may be there already (imported by the first test); the BDF comes after it.
    if ((await s001.count()) === 0) {
      await page.setInputFiles('[data-testid="import-input"]', sharedPath('data/edf/S001R04.edf'));
      await s001.waitFor({ timeout: 30_000 });
    }
    await page.setInputFiles('[data-testid="import-input"]', sharedPath('data/bdf/Newtest17-256.bdf'));
    await biosemi.waitFor({ timeout: 30_000 });
    // The headers' start dates (EDF 12.08.09 16.15.00, BDF 05.11.01 19.38.42), not today's import.
    const today = new Date().toLocaleDateString('en-US', { dateStyle: 'medium' });
    const s001Date = (await s001.locator('[data-testid="recording-date"]').textContent()) ?? '';
    expect(s001Date).toMatch(/^\s*Aug 12, 2009, 4:15\s?PM\s*imported /);
    expect(s001Date).toContain(`imported ${today}`);
    expect(await biosemi.locator('[data-testid="recording-date"]').textContent()).toMatch(/^\s*Nov 5, 2001, 7:38\s?PM/);
    // Imported last, the 2001 recording still sorts below the 2009 one.
    const names = await page.locator('[data-testid="recording-row"] .name-btn').allTextContents();
    expect(names.findIndex((n) => n.includes('S001R04.edf'))).toBeLessThan(names.findIndex((n) => n.includes('Newtest17-256.bdf')));
    await screenshot(page, 'recordings-dated');
    await page.close();
  });

  it('an OpenBCI GUI v5 file: the row of zeros after its header is skipped and the import says so', async () => {
    const page = await openApp(fx.context, fx.server.url, '/recordings');
    // The shared v6 recording in the GUI's v5 shape: no column row, no Marker column, a row of zeros first.
    const v6 = readFileSync(sharedPath('data/openbci/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt'), 'latin1').split('\r\n');
    const rows = v6.slice(5).filter((l) => l !== '').map((l) => l.split(',').filter((_, k) => k !== 23).join(','));
    const v5 = [...v6.slice(0, 4), Array(24).fill('0.0').join(','), ...rows].join('\r\n');
    await page.setInputFiles('[data-testid="import-input"]', { name: 'OpenBCI-v5.txt', mimeType: 'text/plain', buffer: Buffer.from(v5, 'latin1') });
    await page.locator('.notice', { hasText: 'Imported "OpenBCI-v5.txt". Skipped line 5' }).waitFor({ timeout: 30_000 });
    const row = page.locator('[data-testid="recording-row"][data-status="complete"]', { hasText: 'OpenBCI-v5.txt' });
    expect(Number(await row.getAttribute('data-frames'))).toBe(22_490);
    expect(await row.locator('[data-testid="recording-date"]').textContent()).toMatch(/^\s*May 15, 2019, 4:00\s?PM/); // first timestamp 1557936053329
    await row.locator('button.name-btn').click();
    expect(await page.locator('[data-testid="recording-notes"]').textContent()).toMatch(/^Skipped line 5: a row of zeros with timestamp 0 \(1970\)/);
    await page.close();
  });

  it('refuses a corrupt file with a clear message and leaves the library unchanged', async () => {
    const page = await openApp(fx.context, fx.server.url, '/recordings');
    // The list loads asynchronously: count once it is shown (table, or the empty library).
    const listed = '[data-testid="recordings-table"], .empty';
    await page.waitForSelector(listed);
    const before = await page.locator('[data-testid="recording-row"]').count();
    const bad = join(mkdtempSync(join(tmpdir(), 'neurotab-bad-')), 'broken.edf');
    const bytes = readFileSync(sharedPath('data/edf/S001R04.edf')).subarray(0, 600);
    writeFileSync(bad, bytes);
    await page.setInputFiles('[data-testid="import-input"]', bad);
    const alert = page.locator('[role="alert"]', { hasText: 'broken.edf' });
    await alert.waitFor({ timeout: 20_000 });
    expect(await alert.textContent()).toMatch(/Could not import "broken\.edf": .+library was not changed/);
    await page.reload();
    await page.waitForSelector(listed);
    expect(await page.locator('[data-testid="recording-row"]').count()).toBe(before);
    await page.close();
  });
});

describe('playback', needsShared, () => {
  it('replays an imported recording as a device at 10×, its markers landing in a new recording', async () => {
    const page = await openApp(fx.context, fx.server.url, '/recordings');
    if ((await page.locator('[data-testid="recording-row"][data-status="complete"]', { hasText: 'S001R04.edf' }).count()) === 0) {
      await page.setInputFiles('[data-testid="import-input"]', sharedPath('data/edf/S001R04.edf'));
      await page.locator('[data-testid="recording-row"][data-status="complete"]', { hasText: 'S001R04.edf' }).waitFor({ timeout: 30_000 });
    }
    await page.click('a[href="/"]');
    await page.click('[data-testid="device-playback"]');
    await page.locator('[data-testid="playback-recording"] option', { hasText: 'S001R04.edf' }).first().waitFor({ state: 'attached' });
    await page.selectOption('[data-testid="playback-recording"]', { label: 'S001R04.edf' });
    await page.selectOption('select:near([data-testid="playback-recording"])', { label: '10×' }).catch(() => {});
    await page.click('[data-testid="start-stream"]');
    await page.waitForSelector('[data-testid="stop-stream"]');
    await page.fill('[data-testid="recording-name"]', 'Replayed');
    await page.click('[data-testid="start-recording"]');
    await page.waitForSelector('[data-testid="stop-recording"]');
    await expect.poll(async () => Number((await page.getAttribute('[data-testid="live-view"]', 'data-frames')) ?? 0), { timeout: 15_000 }).toBeGreaterThan(1000);
    await page.waitForTimeout(3000);
    await screenshot(page, 'playback');
    await page.click('[data-testid="stop-recording"]');
    await page.waitForSelector('[data-testid="start-recording"]');
    await page.click('[data-testid="stop-stream"]');
    await page.click('a[href="/recordings"]');
    const row = page.locator('[data-testid="recording-row"][data-status="complete"]', { hasText: 'Replayed' });
    await row.waitFor();
    expect(Number(await row.getAttribute('data-frames'))).toBeGreaterThan(1000);
    await row.locator('button.name-btn').click();
    // S001R04's annotations (T0/T1/T2 every ~4 s) are replayed as markers: some landed.
    await expect.poll(async () => (await page.locator('[data-testid="recording-detail"]').textContent()) ?? '', { timeout: 10_000 }).toMatch(/Markers \([1-9]\d*\)/);
    await page.close();
  });
});
