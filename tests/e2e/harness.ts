// End-to-end harness: serves the built app (build/) with the project's own server and drives
// Debian's Chromium through playwright-core. Node only.
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import { startServer } from '../../cli/commands/serve';
import { CHROMIUM_ARGS, findChromium, NO_CHROMIUM_MESSAGE } from '../support/chromium';

export interface AppServer {
  url: string;
  close(): Promise<void>;
}

/** Serves build/ on a free loopback port. `isolationHeaders: false` = a plain static host. */
export async function serveApp(opts: { isolationHeaders?: boolean; dir?: string; port?: number } = {}): Promise<AppServer> {
  const { server, url } = await startServer({ port: opts.port ?? 0, host: '127.0.0.1', dir: opts.dir ?? 'build', isolationHeaders: opts.isolationHeaders ?? true });
  return { url, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((ok) => server.close(() => ok()));
}

export async function launch(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error(NO_CHROMIUM_MESSAGE);
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
}

export async function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1400, height: 860 }, deviceScaleFactor: 1 });
}

/** Opens the app and waits until the service worker controls it and the page is isolated. */
export async function openApp(context: BrowserContext, url: string, path = '/'): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await page.goto(new URL(path, url).href);
  await waitForIsolation(page);
  return page;
}

export async function waitForIsolation(page: Page): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker?.controller !== null && globalThis.crossOriginIsolated === true, null, { timeout: 30_000 });
  await page.waitForLoadState('load');
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync('test-results/screenshots', { recursive: true });
  const path = `test-results/screenshots/${name}.png`;
  await page.screenshot({ path });
  return path;
}

export interface AppFixture {
  browser: Browser;
  server: AppServer;
  context: BrowserContext;
}

/**
 * One browser, one served app and one context for a test file, opened before its tests and closed
 * after them. Read the fields inside tests (they are set in beforeAll).
 */
export function useApp(opts: { isolationHeaders?: boolean } = {}): AppFixture {
  const f = {} as AppFixture;
  beforeAll(async () => {
    f.browser = await launch();
    f.server = await serveApp(opts);
    f.context = await newContext(f.browser);
  });
  afterAll(async () => {
    await f.context?.close();
    await f.browser?.close();
    await f.server?.close();
  });
  return f;
}

/** Every row of the app's IndexedDB stores `stores` (by store name), read in the page. */
export function readStores(page: Page, stores: string[]): Promise<Record<string, unknown[]>> {
  return page.evaluate(async (names) => {
    const open = indexedDB.open('neurotab');
    const db: IDBDatabase = await new Promise((ok, fail) => {
      open.onsuccess = () => ok(open.result);
      open.onerror = () => fail(open.error);
    });
    const out: Record<string, unknown[]> = {};
    for (const store of names) {
      out[store] = await new Promise<unknown[]>((ok, fail) => {
        const r = db.transaction(store).objectStore(store).getAll();
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
    }
    db.close();
    return out;
  }, stores);
}
