// First-load figures in Debian's Chromium on the built app: gzip bytes of the JavaScript and CSS the
// first page (Live, a fresh profile) loads, its largest chunks, whether TensorFlow.js or h5wasm are
// among them, and the time to interactive on an offline reload (median of 5). Prints; never asserts.
// Usage: npx tsx bench/first-load.bench.ts   (build first: npx vite build). Numbers are noisy on a shared machine.
import { gzipSync } from 'node:zlib';
import { launch, newContext, serveApp, waitForIsolation } from '../tests/e2e/harness';

const browser = await launch();
const server = await serveApp();
const context = await newContext(browser);
const page = await context.newPage();

const loaded: { url: string; kind: string; bytes: number; gzipBytes: number; heavy: string | null }[] = [];
// Recognised by their content (chunk names are hashes): a string of TensorFlow.js core's, a symbol of h5wasm's.
const heavyOf = (text: string) => (text.includes('High memory usage in GPU') ? 'TensorFlow.js' : text.includes('H5Fopen') ? 'h5wasm' : null);
const pending: Promise<void>[] = [];
page.on('response', (res) => {
  const type = res.request().resourceType();
  if (type !== 'script' && type !== 'stylesheet') return;
  // Worker entry points (spawned by app.start, after first paint) are counted apart from the page's own.
  const kind = new URL(res.url()).pathname.includes('/workers/') ? 'worker' : type;
  pending.push(
    res.body().then(
      (body) => void loaded.push({ url: new URL(res.url()).pathname, kind, bytes: body.length, gzipBytes: gzipSync(body).length, heavy: heavyOf(body.toString('latin1')) }),
      () => undefined,
    ),
  );
});
await page.goto(server.url);
await waitForIsolation(page);
await page.waitForSelector('[data-testid="start-stream"]');
await Promise.all(pending);

const sum = (kind: string, f: 'bytes' | 'gzipBytes') => loaded.filter((r) => r.kind === kind).reduce((s, r) => s + r[f], 0);
const kB = (b: number) => `${(b / 1024).toFixed(1)} kB`;
console.log(`first page (/), fresh profile: ${loaded.length} JS/CSS files `);
console.log(`  JavaScript  ${kB(sum('script', 'gzipBytes')).padStart(9)} gzip   (${kB(sum('script', 'bytes'))} raw)`);
console.log(`  workers     ${kB(sum('worker', 'gzipBytes')).padStart(9)} gzip   (${kB(sum('worker', 'bytes'))} raw; loaded by the workers the page starts)`);
console.log(`  CSS         ${kB(sum('stylesheet', 'gzipBytes')).padStart(9)} gzip   (${kB(sum('stylesheet', 'bytes'))} raw)`);
console.log('  largest:');
for (const r of [...loaded].sort((a, b) => b.gzipBytes - a.gzipBytes).slice(0, 6)) console.log(`    ${kB(r.gzipBytes).padStart(9)} gzip  ${r.url}`);
const heavy = loaded.filter((r) => r.heavy).map((r) => `${r.heavy} (${r.url}, ${kB(r.gzipBytes)} gzip)`);
console.log(`  TensorFlow.js / h5wasm loaded by the first page or its workers: ${heavy.length ? heavy.join(', ') : 'none'}`);

// Offline reload: the service worker serves the shell; interactive = the Start stream button rendered
// (ssr is off, so it exists only once the client has hydrated), in ms since navigation start.
await context.setOffline(true);
const tti: number[] = [];
for (let i = 0; i < 5; i++) {
  await page.reload({ waitUntil: 'commit' });
  tti.push(await page.waitForFunction(() => document.querySelector('[data-testid="start-stream"]') && performance.now()).then((h) => h.jsonValue() as Promise<number>));
}
tti.sort((a, b) => a - b);
console.log(`time to interactive, offline reload: median ${tti[2].toFixed(0)} ms (of 5: ${tti.map((t) => t.toFixed(0)).join(', ')})`);

await context.close();
await browser.close();
await server.close();
