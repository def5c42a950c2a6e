// The fNIRS example pipelines in the app, in Chromium, on the shared SNIRF recordings: both imported
// into the recordings library, each example ("fNIRS quality", "fNIRS block average", "fNIRS GLM")
// saved from the Pipelines page, opened with "Edit in editor" and run on each recording: no node in
// error, the edge previews show SCI per channel in [−1, 1], the block averages and finite GLM t, and
// the CSV the run wrote (downloaded from the editor) holds the numbers `neurotab run` writes in Node
// for the same document on the same file (so the probe and the stim markers survived the library).
// An fNIRS example started on the live stream is refused, saying why. Screenshots under
// test-results/screenshots/.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Page } from 'playwright-core';
import { openApp, screenshot, useApp } from './harness';
import { needsShared, sharedPath } from '../support/shared';
import { examplePipelines } from '../../src/lib/clients/pipelines';
import { run } from '../../cli/commands/run';

const fx = useApp();
const dir = mkdtempSync(join(tmpdir(), 'neurotab-fnirs-pipelines-'));

const FILES = [
  { file: 'neuro_run01.snirf', channels: 18 },
  { file: 'Simple_Probe.snirf', channels: 8 },
] as const;
const EXAMPLES = [
  { id: 'example:fnirs-quality', name: 'fNIRS quality', last: 'sci', csv: 'sci.csv' },
  { id: 'example:fnirs-block-average', name: 'fNIRS block average', last: 'blocks', csv: 'block_average.csv' },
  { id: 'example:fnirs-glm', name: 'fNIRS GLM', last: 'glm', csv: 'glm.csv' },
] as const;

/** `neurotab run <example> --in <file> --out-dir …` in this process (as cli/commands/run-fnirs.spec.ts runs it); the CSV's text. */
async function cliCsv(exampleId: string, file: string, csv: string): Promise<string> {
  const stem = `${exampleId.replace(/\W+/g, '-')}-${file}`;
  const pipeline = join(dir, `${stem}.json`);
  writeFileSync(pipeline, JSON.stringify(examplePipelines().find((e) => e.id === exampleId)!.doc));
  const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    expect(await run([pipeline, '--in', sharedPath(`data/snirf/${file}`), '--out-dir', join(dir, stem), '--quiet'])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return readFileSync(join(dir, stem, csv), 'utf8');
}

/** The CSV's numbers; a leading Marker column (the examples' ExportCSV marker_column: condition, contrast) apart. */
function parseCsv(text: string): { header: string[]; rows: number[][]; markers: string[] } {
  const [head, ...lines] = text.trim().split('\n');
  const header = head.split(',');
  const m = header[0] === 'Marker' ? 1 : 0;
  const cells = lines.map((l) => l.split(','));
  return { header: header.slice(m), rows: cells.map((c) => c.slice(m).map(Number)), markers: m ? cells.map((c) => c[0]) : [] };
}

async function download(page: Page, selector: string): Promise<{ name: string; text: string }> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return { name: d.suggestedFilename(), text: readFileSync((await d.path())!, 'utf8') };
}

const bars = (page: Page, edge: string) =>
  page.$$eval(`[data-testid="preview-${edge}-data"] .bar`, (els) => els.map((e) => ({ label: e.getAttribute('data-testid')!, value: Number(e.getAttribute('data-value')) })));

describe('fNIRS example pipelines in the app on SNIRF recordings of the library', needsShared, () => {
  it('each example, saved from the Pipelines page and opened in the editor, runs on neuro_run01 and Simple_Probe as `neurotab run` does', async () => {
    const page = await openApp(fx.context, fx.server.url, '/recordings');
    await page.setViewportSize({ width: 1400, height: 1000 });
    for (const { file } of FILES) {
      await page.setInputFiles('[data-testid="import-input"]', sharedPath(`data/snirf/${file}`));
      await page.locator('[data-testid="recording-row"][data-status="complete"]', { hasText: file }).waitFor({ timeout: 30_000 });
    }

    for (const ex of EXAMPLES) {
      // As a user: the example on the Pipelines page, saved to my pipelines, then "Edit in editor".
      await page.click('nav a[href="/pipelines"]');
      await page.click(`[data-testid="${ex.id.replace('example:', 'example-')}"]`);
      expect(await page.textContent('[data-testid="pipeline-name"]')).toBe(ex.name);
      await page.click('[data-testid="save-pipeline"]');
      await page.click('[data-testid="edit-in-editor"]');
      await page.waitForSelector(`[data-testid="editor-node-${ex.last}"]`);
      // The notices of the imports and saves, dismissed so the screenshots show the run.
      while (await page.locator('[aria-label="Dismiss"]').count()) await page.locator('[aria-label="Dismiss"]').first().click();

      for (const { file, channels } of FILES) {
        const stem = file.replace('.snirf', '');
        const value = await page.locator('[data-testid="editor-recording"] option', { hasText: stem }).getAttribute('value');
        await page.selectOption('[data-testid="editor-recording"]', value!);
        await page.click('[data-testid="editor-run-recording"]');
        await expect.poll(() => page.locator('[data-testid="editor-ran-on"]').textContent(), { timeout: 30_000 }).toContain(file);
        expect(await page.textContent('[data-testid="editor-message"]')).toMatch(new RegExp(`^ran on “${file}”: \\d+\\.\\d s of recording in \\d+ ms$`));
        expect(await page.locator('[data-testid^="editor-node-"].error').count()).toBe(0);
        // The last node produced items; the output node (ExportCSV) wrote its file.
        expect(await page.textContent(`[data-testid="node-status-${ex.last}"]`)).toMatch(/^[1-9]\d* out · 0 err/);
        const browser = await download(page, `[data-testid="editor-written-${ex.csv}"]`);
        expect(browser.name).toBe(ex.csv);
        await page.click('.svelte-flow__controls-fitview'); // the whole chain in view, as a user would
        await screenshot(page, `fnirs-pipelines-${ex.last}-${stem}`);

        // The run in the tab wrote what `neurotab run` writes on the file itself, to 1e-9.
        const got = parseCsv(browser.text);
        const want = parseCsv(await cliCsv(ex.id, file, ex.csv));
        expect(got.header).toEqual(want.header);
        expect(got.markers).toEqual(want.markers);
        expect(got.rows.length).toBe(want.rows.length);
        const off = got.rows.flatMap((r, i) => r.flatMap((v, j) => {
          const w = want.rows[i][j];
          return (Number.isNaN(w) ? Number.isNaN(v) : Math.abs(v - w) <= 1e-9 * Math.max(1, Math.abs(w))) ? [] : [`row ${i} ${want.header[j]}: ${v} ≠ ${w}`];
        }));
        expect(off).toEqual([]);
        // NaN only where it means something: the SEM of a condition with one event (Simple_Probe's 2 and 3).
        const nanColumns = new Set(want.rows.flatMap((r) => r.flatMap((v, j) => (Number.isNaN(v) ? [want.header[j].split(':')[1]] : []))));
        expect([...nanColumns]).toEqual(ex.last === 'blocks' && stem === 'Simple_Probe' ? ['sem'] : []);

        const last = await bars(page, ex.last);
        if (ex.last === 'sci') {
          // One SCI bar per channel (its newest window), each in [−1, 1].
          expect(last.length).toBe(channels);
          for (const b of last) expect(Math.abs(b.value)).toBeLessThanOrEqual(1);
          expect(got.header.length).toBe(channels + 1);
        } else if (ex.last === 'blocks') {
          // An epochs preview (a line), one mean and one SEM column per Hb channel.
          expect(await page.textContent('[data-testid="preview-blocks-data"]')).toMatch(/blocks\.data · epochs/);
          expect(await page.locator('[data-testid="preview-blocks-data"] svg path').count()).toBe(1);
          expect(got.header.length).toBe(channels * 2 + 1);
        } else {
          // The last contrast's statistics (mean over channels); t finite, as in glm.csv.
          expect(last.map((b) => b.label)).toEqual(['effect', 'se', 't', 'p', 'log10p'].map((s) => `bar-glm-${s}`));
          const tCols = want.header.flatMap((h, j) => (h.endsWith(':t') ? [j] : []));
          expect(tCols.length).toBe(channels);
          for (const r of got.rows) for (const j of tCols) expect(Number.isFinite(r[j])).toBe(true);
          const meanT = tCols.reduce((s, j) => s + want.rows.at(-1)![j], 0) / channels;
          expect(last[2].value).toBeCloseTo(meanT, 4); // the preview is float32
          // One number, named: the t of S1_D1 HbO for condition "1", from the tab and from Node.
          const t = want.header.indexOf('S1_D1 hbo:t');
          expect(Number.isFinite(got.rows[0][t])).toBe(true);
          expect(Math.abs(got.rows[0][t] - want.rows[0][t])).toBeLessThanOrEqual(1e-9);
        }
      }
    }
    await page.close();
  });
});

describe('an fNIRS example started on the live stream (the synthetic EEG)', () => {
  it('is refused before anything runs, saying why and what to do instead', async () => {
    const page = await openApp(fx.context, fx.server.url, '/');
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.click('[data-testid="start-stream"]');
    await page.waitForSelector('[data-testid="stop-stream"]');
    await page.click('nav a[href="/pipelines"]');
    for (const [id, why] of [
      ['example-fnirs-quality', /^The pipeline could not run\. “fNIRS quality” works on fNIRS channels, and the live stream “Synthetic EEG” has none \(\d+ EEG channels\): connect an fNIRS device/],
      ['example-fnirs-block-average', /^The pipeline could not run\. “fNIRS block average” runs on a recording, not on a live stream: its nodes “tddr” \(TDDR motion correction\), “blocks” \(Block average\) need the whole recording/],
      ['example-fnirs-glm', /^The pipeline could not run\. “fNIRS GLM” runs on a recording, not on a live stream: .*“glm” \(GLM \(canonical HRF\)\).*press “Run on recording”/],
    ] as const) {
      await page.click(`[data-testid="${id}"]`);
      await page.click('[data-testid="run-pipeline"]');
      expect(await page.textContent('[data-testid="run-problem"]')).toMatch(why);
      expect(await page.locator('[data-testid="stop-pipeline"]').count()).toBe(0);
      expect(await page.locator('[data-testid="run-status"]').count()).toBe(0);
      await page.locator('[data-testid="run-problem"]').scrollIntoViewIfNeeded();
      await screenshot(page, `fnirs-pipelines-live-refused-${id.replace('example-fnirs-', '')}`);
    }
    // The editor's own "Run on live stream" refuses it too, before it makes an execution.
    await page.click('nav a[href="/editor"]');
    await page.waitForSelector('[data-testid="editor-canvas"] .svelte-flow');
    const glm = examplePipelines().find((e) => e.id === 'example:fnirs-glm')!.doc;
    await page.setInputFiles('[data-testid="editor-file"]', { name: 'fnirs-glm.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(glm)) });
    await page.waitForSelector('[data-testid="editor-node-glm"]');
    await page.click('[data-testid="editor-run"]');
    expect(await page.textContent('[data-testid="editor-refusal"]')).toMatch(/^“fNIRS GLM” runs on a recording, not on a live stream: .*\. Press “Run on recording” with a recording of your library/);
    expect(new URL(page.url()).searchParams.get('execution')).toBeNull();
    const executions = await page.evaluate(async () => (await (await fetch('/np/executions')).json()) as unknown[]);
    expect(executions).toEqual([]);
    await screenshot(page, 'fnirs-pipelines-editor-live-refused');
    await page.close();
  });
});
