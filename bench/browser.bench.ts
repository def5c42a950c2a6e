// Browser figures, measured in Debian's Chromium on the built app: live-view frame rate at
// 16 ch × 250 Hz and 64 ch × 1 kHz, and a 64 ch × 2 kHz recording (frames stored vs expected,
// chunks lost, display fps while recording). Prints figures; never asserts.
// Usage: npx tsx bench/browser.bench.ts [--minutes N] [--quick]   (the figure is --minutes 10)
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { launch, newContext, openApp, serveApp } from '../tests/e2e/harness';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const minutesArg = args.indexOf('--minutes');
const recordMinutes = minutesArg >= 0 ? Number(args[minutesArg + 1]) : quick ? 0.25 : 1;

if (!existsSync('build/index.html')) {
  console.log('browser bench: building the app first');
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
}

const browser = await launch();
const server = await serveApp();
const context = await newContext(browser);
const page = await openApp(context, server.url);

async function configure(channels: number, rate: number): Promise<void> {
  if (await page.isVisible('[data-testid="stop-stream"]')) await page.click('[data-testid="stop-stream"]');
  await page.selectOption('select:near(:text("Channels"))', String(channels));
  await page.selectOption('select:near(:text("Sample rate"))', String(rate));
  await page.click('[data-testid="start-stream"]');
  await page.waitForSelector('[data-testid="stop-stream"]');
}

/** Frame intervals of requestAnimationFrame over `seconds`: mean fps, p99 frame time, long frames. */
async function displayFps(seconds: number): Promise<{ fps: number; p99Ms: number; over33: number }> {
  // A string, not a function: tsx's name-keeping helpers do not exist in the page.
  return page.evaluate(`new Promise((done) => {
    const times = [];
    const t0 = performance.now();
    requestAnimationFrame(function tick(t) {
      times.push(t);
      if (t - t0 < ${seconds} * 1000) requestAnimationFrame(tick);
      else {
        const d = times.slice(1).map((x, i) => x - times[i]).sort((a, b) => a - b);
        done({ fps: (1000 * d.length) / (times[times.length - 1] - times[0]), p99Ms: d[Math.floor(d.length * 0.99)] || 0, over33: d.filter((x) => x > 33.4).length });
      }
    });
  })`);
}

const results: string[] = [];
for (const [ch, rate] of [[16, 250], [64, 1000]] as const) {
  await configure(ch, rate);
  await page.waitForTimeout(1500);
  const f = await displayFps(quick ? 3 : 8);
  results.push(`live view ${ch} ch × ${rate} Hz: ${f.fps.toFixed(1)} fps, p99 frame ${f.p99Ms.toFixed(1)} ms, ${f.over33} frames over 33 ms`);
}

await configure(64, 2000);
await page.fill('[data-testid="recording-name"]', 'bench-64x2k');
const t0 = Date.now();
await page.click('[data-testid="start-recording"]');
await page.waitForSelector('[data-testid="stop-recording"]');
const fpsWhileRecording = await displayFps(recordMinutes * 60);
await page.click('[data-testid="stop-recording"]');
await page.waitForSelector('[data-testid="start-recording"]');
const seconds = (Date.now() - t0) / 1000;
const stored: { frames: number; chunks: number; droppedFrames: number } = await page.evaluate(`new Promise((ok, fail) => {
  const open = indexedDB.open('neurotab');
  open.onerror = () => fail(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const r = db.transaction('recordings').objectStore('recordings').getAll();
    r.onsuccess = () => { db.close(); ok(r.result.find((x) => x.name === 'bench-64x2k').streams[0]); };
  };
})`);
const dropped = Number((await page.textContent('[data-testid="dropped-frames"]'))?.replace(/\D+/g, '') ?? 0);
results.push(
  `recording 64 ch × 2 kHz for ${seconds.toFixed(0)} s: ${stored.frames.toLocaleString()} frames in ${stored.chunks} chunks (expected ≈ ${(seconds * 2000).toLocaleString(undefined, { maximumFractionDigits: 0 })}), ` +
    `${stored.droppedFrames} frames dropped by the recorder, ${dropped} dropped in the engine; display ${fpsWhileRecording.fps.toFixed(1)} fps, p99 frame ${fpsWhileRecording.p99Ms.toFixed(1)} ms`,
);
await page.click('[data-testid="stop-stream"]');

console.log('\nBrowser figures (Chromium, headless, software rendering):');
for (const r of results) console.log('  ' + r);
await browser.close();
await server.close();
