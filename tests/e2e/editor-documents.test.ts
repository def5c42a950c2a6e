// The pipeline editor's documents and runs in Chromium: a pipeline built in the editor is saved to
// the pipeline store, lists on the Pipelines page and opens back (reload, "Edit in editor", Open)
// as the same document, unsaved changes are shown and leaving asks; the drawn pipeline runs on a
// recording of the library (the shared EDF+, imported by the test) with per-node metrics and
// previews, a node in error red with its message; a share link opens read-only and runs only when
// its Run is pressed, a hostile one is refused before anything is drawn.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { alphaChain } from './alpha-chain';
import { openApp, screenshot, useApp } from './harness';
import { sharedPath } from '../support/shared';
import { deflateSync } from 'fflate';
import { toBase64Url } from '../../src/lib/engine/share';
import type { PipelineDocument } from '../../src/lib/engine/index';

const fx = useApp({ isolationHeaders: true });

/** The editor's document, through its own .json export (a real download). */
async function docOf(page: Page): Promise<PipelineDocument> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="editor-export-json"]')]);
  return JSON.parse(readFileSync((await dl.path())!, 'utf8')) as PipelineDocument;
}

async function addNode(page: Page, type: string): Promise<void> {
  await page.fill('[data-testid="palette-search"]', type);
  await page.click(`[data-testid="add-${type}"]`);
  await page.fill('[data-testid="palette-search"]', '');
}

/** Wires `source.data → target.data` through the keyboard connect menu of the side panel. */
async function connect(page: Page, source: string, target: string): Promise<void> {
  await page.selectOption('[data-testid="editor-select-node"]', source);
  await page.selectOption('[data-testid="editor-connect-target"]', `${source}.data>${target}.data`);
  await page.click('[data-testid="editor-connect"]');
}

describe('editor documents in the pipeline store', () => {
  it('builds, saves, reloads and opens the same document; unsaved changes are shown and leaving asks', async () => {
    const page = await openApp(fx.context, fx.server.url, '/editor');
    await page.waitForSelector('[data-testid="editor-canvas"] .svelte-flow');
    expect(await page.textContent('[data-testid="editor-saved"]')).toBe('not saved');
    for (const type of ['io.stream-input', 'filter.iir', 'time.sliding-window']) await addNode(page, type);
    await connect(page, 'stream_input', 'iir');
    await connect(page, 'iir', 'sliding_window');
    await page.fill('[data-testid="editor-name"]', 'My alpha');
    await page.press('[data-testid="editor-name"]', 'Enter');
    await expect.poll(() => page.textContent('[data-testid="editor-saved"]')).toBe('● unsaved');
    await screenshot(page, 'editor-doc-01-unsaved');

    // Leaving with unsaved changes asks; declining stays on the editor with the work.
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.dismiss();
    });
    await page.click('nav a[href="/pipelines"]');
    await expect.poll(() => asked.length).toBe(1);
    expect(asked[0]).toMatch(/unsaved changes/);
    expect(new URL(page.url()).pathname).toBe('/editor');

    await page.click('[data-testid="editor-save"]');
    await expect.poll(() => page.textContent('[data-testid="editor-saved"]')).toBe('saved · my-alpha.json');
    expect(new URL(page.url()).searchParams.get('pipeline')).toBe('my-alpha.json');
    const saved = await docOf(page);
    expect(saved.meta.name).toBe('My alpha');
    expect(saved.edges.map((e) => `${e.source}>${e.target}`)).toEqual(['stream_input>iir', 'iir>sliding_window']);
    await screenshot(page, 'editor-doc-02-saved');

    // Reload: the address names the file, the same document comes back, unchanged.
    await page.reload();
    await page.waitForSelector('[data-testid="editor-node-sliding_window"]');
    expect(await docOf(page)).toEqual(saved);
    expect(await page.textContent('[data-testid="editor-saved"]')).toBe('saved · my-alpha.json');

    // The Pipelines page lists it; its "Edit in editor" opens it back (no question: nothing unsaved).
    await page.click('nav a[href="/pipelines"]');
    await page.click('[data-testid="library-my-alpha.json"]');
    expect(await page.textContent('[data-testid="pipeline-name"]')).toBe('My alpha');
    await screenshot(page, 'editor-doc-03-pipelines-page');
    await page.click('[data-testid="edit-in-editor"]');
    await page.waitForSelector('[data-testid="editor-node-sliding_window"]');
    expect(new URL(page.url()).search).toBe('?pipeline=my-alpha.json');
    expect(await docOf(page)).toEqual(saved);

    // Save as new: a second file; New; Open brings the first back.
    await page.fill('[data-testid="editor-name"]', 'My alpha copy');
    await page.press('[data-testid="editor-name"]', 'Enter');
    await page.click('[data-testid="editor-save-as"]');
    await expect.poll(() => page.textContent('[data-testid="editor-saved"]')).toBe('saved · my-alpha-copy.json');
    await page.click('[data-testid="editor-new"]');
    await expect.poll(() => page.locator('.svelte-flow__node').count()).toBe(0);
    await page.selectOption('[data-testid="editor-open-choice"]', 'my-alpha.json');
    await page.click('[data-testid="editor-open"]');
    await page.waitForSelector('[data-testid="editor-node-sliding_window"]');
    expect(await docOf(page)).toEqual(saved);
    expect(await page.textContent('[data-testid="editor-saved"]')).toBe('saved · my-alpha.json');
    await screenshot(page, 'editor-doc-04-opened');
    await page.close();
  });
});

const ALPHA = alphaChain('alpha on a recording', 0.5);

describe('editor run on a recording of the library', () => {
  it('runs the drawn chain on the shared EDF+ to its end: metrics per node, previews per edge; a node in error turns red with its message', async () => {
    const page = await openApp(fx.context, fx.server.url, '/recordings');
    await page.setInputFiles('[data-testid="import-input"]', sharedPath('data/edf/S001R04.edf'));
    await page.waitForSelector('[data-testid="recording-row"][data-status="complete"]', { timeout: 30_000 });
    await page.click('nav a[href="/editor"]');
    await page.waitForSelector('[data-testid="editor-canvas"] .svelte-flow');
    await page.setInputFiles('[data-testid="editor-file"]', { name: 'alpha.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(ALPHA)) });
    await page.waitForSelector('[data-testid="editor-node-bands"]');
    await page.selectOption('[data-testid="editor-recording"]', { label: await page.locator('[data-testid="editor-recording"] option').nth(1).textContent() ?? '' });
    expect(await page.locator('[data-testid="editor-recording"] option').nth(1).textContent()).toContain('S001R04');
    await page.click('[data-testid="editor-run-recording"]');
    await expect.poll(() => page.textContent('[data-testid="editor-message"]'), { timeout: 20_000 }).toMatch(/ran on “S001R04[^”]*”: 125\.0 s of recording/);
    // 20 000 frames (and the file's 30 annotations) read and filtered; one band-power vector per 0.5 s step.
    expect(await page.textContent('[data-testid="node-status-in"]')).toMatch(/^20030 out · 0 err/);
    expect(await page.textContent('[data-testid="node-status-bp"]')).toMatch(/^20000 out · 0 err/);
    expect(await page.textContent('[data-testid="node-status-bands"]')).toMatch(/^2[45]\d out · 0 err/);
    expect(Number(await page.getAttribute('[data-testid="bar-bands-alpha"]', 'data-value'))).toBeGreaterThan(0);
    expect(await page.textContent('[data-testid="preview-in-data"]')).toMatch(/in\.data · signal · 160\.\d\/s/);
    expect(await page.locator('[data-testid="editor-node-bp"].error').count()).toBe(0);
    await screenshot(page, 'editor-rec-01-ran');

    // A band-pass above the recording's Nyquist frequency (80 Hz): that node is in error, red, with the engine's message.
    await page.selectOption('[data-testid="editor-select-node"]', 'bp');
    await page.fill('[data-testid="param-frequencies"] input', '[70, 90]');
    await page.press('[data-testid="param-frequencies"] input', 'Enter');
    await expect.poll(() => page.locator('[data-testid="editor-ran-on"]').count()).toBe(0);
    await page.click('[data-testid="editor-run-recording"]');
    await expect.poll(() => page.textContent('[data-testid="editor-message"]'), { timeout: 20_000 }).toMatch(/1 node in error/);
    await page.waitForSelector('[data-testid="editor-node-bp"].error');
    expect(await page.textContent('[data-testid="editor-node-bp"] [role="alert"]')).toMatch(/Nyquist|80/);
    expect(await page.locator('[data-testid="editor-node-in"].error').count()).toBe(0);
    await screenshot(page, 'editor-rec-02-node-in-error');
    await page.close();
  });
});

const payloadOf = (json: string) => toBase64Url(deflateSync(new TextEncoder().encode(json)));
const executions = (page: Page) => page.evaluate(async () => (await (await fetch('/np/executions')).json()).length as number);

describe('editor shared view', () => {
  it('refuses hostile and corrupt links before anything is drawn, with a message; nothing is run', async () => {
    const cases: Array<[string, RegExp]> = [
      [payloadOf('{"format":"neurotab.pipeline","version":1,"meta":{"__proto__":{"isAdmin":true},"name":"x"},"nodes":[{"id":"in","type":"io.stream-input"}],"edges":[]}'), /forbidden key "__proto__"/],
      [payloadOf('{"format":"neurotab.pipeline","version":1,"nodes":[{"id":"evil","type":"script.eval","params":{"code":"alert(1)"}}],"edges":[]}'), /unknown node type "script\.eval"/],
      [payloadOf('{"format":"neurotab.pipeline","version":1,"nodes":[{"id":"a","type":"filter.iir"},{"id":"b","type":"filter.iir"}],"edges":[{"source":"a","target":"b"},{"source":"b","target":"a"}]}'), /cycle/],
      [Buffer.from(deflateSync(new Uint8Array(30_000_000))).toString('base64url'), /expands to more than 1000000 bytes/],
      ['not*base64', /not base64url/],
    ];
    for (const [payload, message] of cases) {
      const page = await openApp(fx.context, fx.server.url, `/editor#p=${payload}`);
      await page.waitForSelector('[data-testid="editor-share-error"]');
      expect(await page.textContent('[data-testid="editor-share-error"]')).toMatch(message);
      expect(await page.locator('.svelte-flow').count()).toBe(0);
      expect(await page.evaluate(() => ({} as Record<string, unknown>).isAdmin ?? null)).toBeNull();
      expect(await executions(page)).toBe(0);
      if (payload === cases[0][0]) await screenshot(page, 'editor-share-01-hostile');
      await page.close();
    }
  });

  it('a share link opens read-only in a new page; nothing runs until Run is pressed, then it runs with previews', async () => {
    // The tab with the synthetic stream hosts the engine; the link is opened in another page.
    const host = await openApp(fx.context, fx.server.url, '/');
    await host.click('[data-testid="start-stream"]');
    await host.waitForSelector('[data-testid="stop-stream"]');
    await host.click('nav a[href="/editor"]');
    await host.waitForSelector('[data-testid="editor-canvas"] .svelte-flow');
    await host.setInputFiles('[data-testid="editor-file"]', { name: 'alpha.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ ...ALPHA, meta: { name: 'shared alpha', description: '' } })) });
    await host.waitForSelector('[data-testid="editor-node-bands"]');
    await host.click('[data-testid="editor-share"]');
    const url = await host.inputValue('[data-testid="editor-share-url"]');
    expect(new URL(url).pathname).toBe('/editor');
    const before = await executions(host);

    const other = await openApp(fx.context, fx.server.url, new URL(url).pathname + new URL(url).hash);
    await other.waitForSelector('[data-testid="editor-shared"]');
    expect(await other.textContent('[data-testid="editor-shared-name"]')).toBe('shared alpha');
    for (const n of ALPHA.nodes) {
      expect(await other.textContent('[data-testid="editor-node-list"]')).toContain(n.id);
      await other.waitForSelector(`[data-testid="editor-node-${n.id}"]`);
    }
    // Read-only: no palette, no editing actions; the parameters are shown but cannot be changed.
    expect(await other.locator('[data-testid="palette-search"]').count()).toBe(0);
    expect(await other.locator('[data-testid="editor-delete"]').count()).toBe(0);
    await other.selectOption('[data-testid="editor-select-node"]', 'bp');
    expect(await other.locator('[data-testid="param-frequencies"] input').isDisabled()).toBe(true);
    // Nothing runs by itself.
    await other.waitForTimeout(2000);
    expect(await executions(other)).toBe(before);
    expect(await other.locator('[data-testid="editor-previews"]').count()).toBe(0);
    expect(await other.locator('[data-testid="editor-stop"]').count()).toBe(0);
    await screenshot(other, 'editor-share-02-opened-not-running');

    await other.click('[data-testid="editor-run"]');
    await other.waitForSelector('[data-testid="editor-stop"]', { timeout: 15_000 });
    expect(await executions(other)).toBe(before + 1);
    await other.waitForSelector('[data-testid="bar-bands-alpha"]', { timeout: 20_000 });
    await expect.poll(() => other.textContent('[data-testid="node-status-bands"]'), { timeout: 10_000 }).toMatch(/[1-9]\d* out · 0 err/);
    // Still the read-only view of the same link.
    expect(await other.locator('[data-testid="editor-shared"]').count()).toBe(1);
    expect(await other.locator('[data-testid="palette-search"]').count()).toBe(0);
    await screenshot(other, 'editor-share-03-running');
    await other.click('[data-testid="editor-stop"]');
    await other.waitForSelector('[data-testid="editor-run"]');
    await other.close();
    await host.close();
  });
});
