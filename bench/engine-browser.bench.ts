// The online-latency figure of bench/engine.bench.ts measured in Debian's Chromium instead of Node:
// the same producer / engine / consumer code (bench/latency/roles.ts) in two Web Workers and the
// page's main thread, over SharedArrayBuffer rings on a cross-origin-isolated page. 64 ch × 1 kHz in
// 10-frame chunks, ring → IIR band-pass → CAR → running band power → ring; beside it the three-node
// form and the pass-through floor. Prints figures; asserts nothing. About 45 s (--quick: 20 s).
// Run: npx tsx bench/engine-browser.bench.ts [--quick]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { launch, serveApp } from '../tests/e2e/harness';
import { formatLatency, type Graph, type LatencyFigures } from './latency/roles';

const quick = process.argv.includes('--quick');
const dir = mkdtempSync(join(tmpdir(), 'nt-latency-'));
try {
  // esbuild (Vite's bundler for dependencies) packs the two entry points as plain ES modules.
  await build({
    entryPoints: { 'browser-page': 'bench/latency/browser-page.ts', 'browser-worker': 'bench/latency/browser-worker.ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: dir,
    logLevel: 'warning',
  });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>latency</title><script type="module" src="/browser-page.js"></script>');
  const server = await serveApp({ dir });
  const browser = await launch();
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
    await page.goto(server.url);
    await page.waitForFunction('typeof globalThis.measureLatency === "function"');
    const version = browser.version();
    const seconds = quick ? 6 : 15;
    const measure = (graph: Graph, s: number) => page.evaluate(`globalThis.measureLatency(${JSON.stringify(graph)}, ${s})`) as Promise<LatencyFigures>;
    const floor = await measure('floor', quick ? 4 : 8);
    const running = await measure('running', seconds);
    const chain = await measure('chain', quick ? 4 : 8);
    console.log(`engine-browser.bench: Chromium ${version}, page + 2 Web Workers, 64 ch × 1 kHz, 10-frame chunks`);
    console.log(`online latency  ring → IIR band-pass → CAR → band power (256-sample window, every chunk) → ring: ${formatLatency(running)} (target p99 < 2 ms: ${running.p99 < 2 ? 'met' : 'NOT met'})`);
    console.log(`                as three nodes (sliding window → Welch → band power): ${formatLatency(chain)}`);
    console.log(`                floor (stream input → stream output): ${formatLatency(floor)}`);
  } finally {
    await browser.close();
    await server.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
