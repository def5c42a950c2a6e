// The pipeline editor's documents and runs in Chromium: a pipeline built in the editor is saved to
// the pipeline store, lists on the Pipelines page and opens back (reload, "Edit in editor", Open)
// as the same document, unsaved changes are shown and leaving asks; the drawn pipeline runs on a
// recording of the library (the shared EDF+, imported by the test) with per-node metrics and
// previews, a node in error red with its message; a share link opens read-only and runs only when
// its Run is pressed, a hostile one is refused before anything is drawn.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { launch, newContext, openApp, screenshot, serveApp, type AppServer } from './harness';
import { sharedPath } from '../support/shared';
import type { PipelineDocument } from '../../src/lib/engine/index';

let browser: Browser;
let server: AppServer;
let context: BrowserContext;
beforeAll(async () => {
  browser = await launch();
  server = await serveApp({ isolationHeaders: true });
  context = await newContext(browser);
});
afterAll(async () => {
  await context?.close();
  await server?.close();
  await browser?.close();
});

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
    const page = await openApp(context, server.url, '/editor');
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
