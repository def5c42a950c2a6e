// The ring across real browser threads: Chromium (playwright-core) loads a page that runs
// testing/browser-ring.page.ts with Workers running testing/browser-ring.worker.ts, bundled here with
// esbuild (tsx's own dependency, so always installed with the dev tools). Served twice by a tiny HTTP
// server: with COOP/COEP (cross-origin isolated → SharedArrayBuffer ring) and without (→ transfer
// fallback). Skipped when no Chromium is installed.
import { build } from 'esbuild';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../../../tests/support/chromium';
import type { ReaderReport } from './testing/ring-threads.fixture';

const executablePath = findChromium();

async function bundle(entry: string): Promise<string> {
  const out = await build({
    entryPoints: [new URL(entry, import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0].text;
}

function expectExact(report: ReaderReport, written: number): void {
  expect(report.firstProblem).toBe('');
  expect(report.badFrames).toBe(0);
  expect(report.seen + report.dropped).toBe(written);
  expect(report.readerDropped).toBe(report.dropped);
  expect(report.endPosition).toBe(written);
}

describe.skipIf(!executablePath)('Ring across browser workers (Chromium)', () => {
  let server: Server;
  let browser: Browser;
  let origin = '';

  beforeAll(async () => {
    const [page, worker] = await Promise.all([bundle('./testing/browser-ring.page.ts'), bundle('./testing/browser-ring.worker.ts')]);
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const isolated = url.pathname.startsWith('/isolated/');
      const headers: Record<string, string> = isolated
        ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' }
        : {};
      const file = url.pathname.replace(/^\/(isolated|plain)\//, '');
      if (file === '' || file === 'index.html') {
        res.writeHead(200, { ...headers, 'Content-Type': 'text/html' });
        res.end('<!doctype html><meta charset="utf-8"><title>ring</title><script type="module" src="page.js"></script>');
      } else if (file === 'page.js' || file === 'worker.js') {
        res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' });
        res.end(file === 'page.js' ? page : worker);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: executablePath!, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
  });

  async function run(path: string): Promise<any> {
    const page = await browser.newPage();
    try {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${origin}${path}`);
      await page.waitForFunction(() => (window as any).__ringResult, null, { timeout: 50_000 });
      const r = await page.evaluate(() => (window as any).__ringResult);
      if (!r.ok) throw new Error(`page failed: ${r.error}`);
      expect(errors).toEqual([]);
      return r.result;
    } finally {
      await page.close();
    }
  }

  it('isolated page: SharedArrayBuffer ring, writer worker at full speed, readers in the page and a worker — exact', async () => {
    const r = await run('/isolated/?mode=shared');
    expect(r.crossOriginIsolated).toBe(true);
    expect(r.keepUp.written).toBe(200_000);
    for (const report of [r.keepUp.page, r.keepUp.worker] as ReaderReport[]) {
      expectExact(report, 200_000);
      expect(report.dropped).toBe(0);
    }
    expectExact(r.lossy.slow, r.lossy.written);
    expectExact(r.lossy.racing, r.lossy.written);
    expect(r.lossy.slow.dropped).toBeGreaterThan(0);
  });

  it('page without isolation: no SharedArrayBuffer, transfer fallback from a worker — exact', async () => {
    const r = await run('/plain/?mode=transfer');
    expect(r.crossOriginIsolated).toBe(false);
    expect(r.sharedMemory).toBe(false);
    expect(r.localRingShared).toBe(false);
    expectExact(r.report, r.written);
  });
});
