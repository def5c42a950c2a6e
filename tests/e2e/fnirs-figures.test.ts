// The recordings library's fNIRS figures in Chromium on the shared SNIRF files: imported, analysed in
// the library worker, the quality / block-average / GLM figures shown as images (screenshots of each
// under test-results/screenshots/), and saved as SVG, PNG and TSV.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApp, useApp } from './harness';
import { needsShared, sharedPath } from '../support/shared';

const fx = useApp();

describe('fNIRS figures in the recordings library', needsShared, () => {
  for (const [file, conditions] of [['neuro_run01.snirf', 2], ['Simple_Probe.snirf', 3]] as const) {
    it(`${file}: quality on the probe, block averages and GLM t render; PNG, SVG and TSV download`, async () => {
      const page = await openApp(fx.context, fx.server.url, '/recordings');
      await page.setViewportSize({ width: 1400, height: 1000 });
      await page.setInputFiles('[data-testid="import-input"]', sharedPath(`data/snirf/${file}`));
      const row = page.locator('[data-testid="recording-row"][data-status="complete"]', { hasText: file });
      await row.waitFor({ timeout: 30_000 });
      await row.locator('button.name-btn').click();
      await page.click('[data-testid="fnirs-analyse"]');
      const stem = file.replace('.snirf', '');
      for (const id of ['quality', 'blockAverage', 'glm']) {
        const fig = page.locator(`[data-testid="fnirs-figure-${id}"]`);
        await fig.waitFor({ timeout: 30_000 });
        // The image decoded (an SVG that failed to parse would have no natural size).
        await expect.poll(() => fig.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(640);
        await fig.scrollIntoViewIfNeeded();
        await fig.screenshot({ path: `test-results/screenshots/fnirs-${stem}-${id}.png` });
      }
      const alt = await page.$$eval('[data-testid^="fnirs-figure-blockAverage"] img', (imgs) => (imgs[0] as HTMLImageElement).naturalHeight);
      expect(alt).toBe(30 + conditions * 220);

      const save = async (button: string) => {
        const [d] = await Promise.all([page.waitForEvent('download'), page.locator(button).click()]);
        return { name: d.suggestedFilename(), bytes: readFileSync((await d.path())!) };
      };
      const png = await save('[data-testid="fnirs-figure-quality"] button:text("PNG")');
      expect(png.name).toBe(`${stem}_channels.png`);
      expect([...png.bytes.subarray(1, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('PNG');
      expect(png.bytes.readUInt32BE(16)).toBe(1280); // 2× the figure's 640 px width
      const svg = await save('[data-testid="fnirs-figure-glm"] button:text("SVG")');
      expect(svg.bytes.toString('utf8')).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      const tsv = await save('[data-testid="fnirs-tsv-quality"]');
      expect(tsv.name).toBe(`${stem}_channels.tsv`);
      expect(tsv.bytes.toString('utf8').split('\n')[0]).toBe('name\ttype\tsource\tdetector\twavelength_nominal\tunits\tsci\tpsp\tcv_percent\tstatus\tstatus_description');
      await page.close();
    });
  }
});
