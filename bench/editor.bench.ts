// Pipeline editor figures with 200 nodes (40 chains of stream input → IIR → sliding window → Welch →
// band power): in Node, what the draft cache saves per 10 Hz report (labels and edge checks, cold vs
// cached); in Debian's Chromium on the built app, frame times while panning, zooming and dragging
// a node (p50/p99 fps), the latency from an /np API edit to the editor drawing it, and frame times
// while 30 edges show live previews at 10 Hz and the engine runs 64 ch × 1 kHz (six chains, each
// from the synthetic stream: 30 tapped source ports).
// Prints figures; never asserts. Usage: npx tsx bench/editor.bench.ts [--quick]
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { builtinRegistry, type PipelineDocument } from '../src/lib/engine/index';
import { DraftCache, checkEdge, portLabels } from '../src/lib/components/editor/engine-adapter';
import { launch, newContext, openApp, serveApp } from '../tests/e2e/harness';

const quick = process.argv.includes('--quick');
const CHAINS = 40;
const STAGES = [
  ['in', 'io.stream-input', {}],
  ['bp', 'filter.iir', { frequencies: [1, 40] }],
  ['win', 'time.sliding-window', {}],
  ['psd', 'spectral.welch', {}],
  ['bands', 'spectral.band-power', {}],
] as const;

function bigDocument(): PipelineDocument {
  const doc: PipelineDocument = { format: 'neurotab.pipeline', version: 1, meta: { name: 'bench-200', description: '' }, nodes: [], edges: [], ui: { positions: {} } };
  const positions = (doc.ui as { positions: Record<string, { x: number; y: number }> }).positions;
  for (let c = 0; c < CHAINS; c++)
    STAGES.forEach(([id, type, params], s) => {
      const nodeId = `${id}${c}`;
      doc.nodes.push({ id: nodeId, type, params: structuredClone(params) as Record<string, unknown> });
      positions[nodeId] = { x: 40 + s * 260, y: 40 + c * 140 };
      if (s) doc.edges.push({ source: `${STAGES[s - 1][0]}${c}`, sourcePort: 'data', target: nodeId, targetPort: 'data' });
    });
  return doc;
}

/** Six chains, each from its own stream input (the same synthetic stream): 30 edges with distinct source ports. */
function previewDocument(): PipelineDocument {
  const doc: PipelineDocument = { format: 'neurotab.pipeline', version: 1, meta: { name: 'bench-previews', description: '' }, nodes: [], edges: [] };
  const stages = [...STAGES, ['out', 'io.stream-output', {}]] as const;
  for (let c = 0; c < 6; c++)
    stages.forEach(([id, type, params], s) => {
      doc.nodes.push({ id: `${id}${c}`, type, params: id === 'out' ? { stream_name: `bandpower${c}`, stream_type: 'Features' } : (structuredClone(params) as Record<string, unknown>) });
      if (s) doc.edges.push({ source: `${stages[s - 1][0]}${c}`, sourcePort: 'data', target: `${id}${c}`, targetPort: 'data' });
    });
  return doc;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
};
const results: string[] = [];

// ------------------------------------------------------------------ Node: the draft cache
{
  const registry = builtinRegistry();
  const doc = bigDocument();
  const edge = { source: 'bands0', sourcePort: 'data', target: 'bp1', targetPort: 'data' };
  const reps = quick ? 5 : 20;
  const time = (fn: () => void) => {
    fn();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    return (performance.now() - t0) / reps;
  };
  const coldLabels = time(() => portLabels(doc, registry));
  const coldCheck = time(() => checkEdge(doc, edge, registry));
  const cache = new DraftCache(registry);
  const warmLabels = time(() => cache.labels(doc));
  const warmCheck = time(() => cache.checkEdge(doc, edge));
  results.push(
    `draft cache, 200 nodes: labels per redraw ${coldLabels.toFixed(2)} ms uncached → ${warmLabels.toFixed(3)} ms cached (×${(coldLabels / warmLabels).toFixed(0)}); ` +
      `edge check ${coldCheck.toFixed(2)} ms → ${warmCheck.toFixed(3)} ms (×${(coldCheck / warmCheck).toFixed(0)}); at 10 Hz reports the uncached labels cost ${(coldLabels * 10).toFixed(0)} ms/s of main thread`,
  );
}

// ------------------------------------------------------------------ Chromium: frames and API latency
if (!existsSync('build/index.html')) {
  console.log('editor bench: building the app first');
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
}
const browser = await launch();
const server = await serveApp();
try {
  const context = await newContext(browser);
  const host = await openApp(context, server.url, '/');
  const doc = bigDocument();
  const id: number = await host.evaluate(async (content) => {
    const created = await fetch('/np/executions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((r) => r.json());
    const load = await fetch(`/np/executions/${created.id}/actions/load`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content }) });
    if (!load.ok) throw new Error(await load.text());
    return created.id;
  }, JSON.stringify(doc));
  // The editor in a second page: the first stays the engine host (a reload of it would end the execution).
  const ed = await context.newPage();
  const t0 = Date.now();
  await ed.goto(new URL(`/editor?execution=${id}`, server.url).href);
  await ed.waitForFunction((n) => document.querySelectorAll('.svelte-flow__node').length >= n, doc.nodes.length, { timeout: 60_000 });
  results.push(`open /editor with ${doc.nodes.length} nodes and ${doc.edges.length} edges: ${Date.now() - t0} ms to all nodes in the DOM`);
  await ed.waitForTimeout(500);

  // rAF intervals over `ms` while `act` runs (a string: tsx's helpers do not exist in the page).
  const frames = async (act: () => Promise<void>): Promise<number[]> => {
    await ed.evaluate(`(() => { window.__frames = []; window.__framing = true; requestAnimationFrame(function tick(t) { window.__frames.push(t); if (window.__framing) requestAnimationFrame(tick); }); })()`);
    await act();
    const times: number[] = await ed.evaluate(`(() => { window.__framing = false; return window.__frames; })()`);
    // Two callbacks with one timestamp are one frame (input dispatch can run rAF twice in a frame).
    const distinct = [...new Set(times)];
    return distinct.slice(1).map((t, i) => t - distinct[i]);
  };
  const fpsLine = (what: string, d: number[]) =>
    `${what}: ${d.length} frames, p50 ${(1000 / pct(d, 0.5)).toFixed(1)} fps (${pct(d, 0.5).toFixed(1)} ms), p99 ${(1000 / pct(d, 0.99)).toFixed(1)} fps (${pct(d, 0.99).toFixed(1)} ms), ${d.filter((x) => x > 33.4).length} frames over 33 ms`;

  const pane = (await ed.locator('[data-testid="editor-canvas"] .svelte-flow__pane').boundingBox())!;
  const steps = quick ? 60 : 200;
  const pan = await frames(async () => {
    const x = pane.x + pane.width / 2;
    const y = pane.y + pane.height - 20;
    await ed.mouse.move(x, y);
    await ed.mouse.down();
    for (let i = 0; i < steps; i++) await ed.mouse.move(x + 150 * Math.sin(i / 10), y - 150 * Math.abs(Math.sin(i / 17)));
    await ed.mouse.up();
  });
  results.push(fpsLine('pan, 200 nodes', pan));

  const zoom = await frames(async () => {
    await ed.mouse.move(pane.x + pane.width / 2, pane.y + pane.height / 2);
    for (let i = 0; i < steps; i++) await ed.mouse.wheel(0, (i % 40 < 20 ? 1 : -1) * 60);
  });
  results.push(fpsLine('zoom (wheel), 200 nodes', zoom));

  const title = (await ed.locator('.svelte-flow__node').first().locator('.title').boundingBox())!;
  const drag = await frames(async () => {
    const x = title.x + title.width / 2;
    const y = title.y + title.height / 2;
    await ed.mouse.move(x, y);
    await ed.mouse.down();
    for (let i = 0; i < steps; i++) await ed.mouse.move(x + 120 * Math.sin(i / 10), y + 80 * Math.sin(i / 13));
    await ed.mouse.up();
  });
  results.push(fpsLine('drag a node, 200 nodes', drag));

  // API edit → redraw: another page of the origin adds a node over HTTP; the editor's DOM gains it.
  const client = await context.newPage();
  await client.goto(new URL('/examples/np-client.html', server.url).href);
  await client.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const latencies: number[] = [];
  await ed.bringToFront();
  const visibility = await ed.evaluate(() => document.visibilityState);
  for (let i = 0; i < (quick ? 3 : 10); i++) {
    const before = await ed.locator('.svelte-flow__node').count();
    await ed.evaluate(`(() => { window.__seen = 0; const want = ${before + 1}; const check = () => { if (document.querySelectorAll('.svelte-flow__node').length >= want) window.__seen = performance.timeOrigin + performance.now(); else requestAnimationFrame(check); }; check(); })()`);
    const sent: number = await client.evaluate(async (eid) => {
      const t = performance.timeOrigin + performance.now();
      const r = await fetch(`/np/executions/${eid}/graph/nodes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ class: 'math.abs' }) });
      if (!r.ok) throw new Error(await r.text());
      return t;
    }, id);
    await ed.waitForFunction(() => (window as unknown as { __seen: number }).__seen > 0, undefined, { timeout: 10_000 });
    latencies.push((await ed.evaluate(() => (window as unknown as { __seen: number }).__seen)) - sent);
  }
  results.push(`API edit → redraw (POST graph/nodes from another page until the editor's DOM has the node, ${latencies.length} edits, editor page ${visibility}): p50 ${pct(latencies, 0.5).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`);
  await client.close();
  await context.close();

  // Live previews: a fresh profile (its own engine host) with the synthetic stream at 64 ch × 1 kHz,
  // the six-chain document imported in the editor and run from its Run button (an /np execution).
  const live = await newContext(browser);
  const tab = await openApp(live, server.url, '/');
  await tab.selectOption('select:near(:text("Channels"))', '64');
  await tab.selectOption('select:near(:text("Sample rate"))', '1000');
  await tab.click('[data-testid="start-stream"]');
  await tab.waitForSelector('[data-testid="stop-stream"]');
  await tab.click('nav a[href="/editor"]');
  await tab.waitForSelector('[data-testid="editor-canvas"] .svelte-flow');
  const six = previewDocument();
  await tab.setInputFiles('[data-testid="editor-file"]', { name: 'previews.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(six)) });
  await tab.waitForSelector('[data-testid="editor-node-bands5"]');
  await tab.click('[data-testid="editor-run"]');
  await tab.waitForSelector('[data-testid="editor-stop"]', { timeout: 20_000 });
  // Every tapped port has a preview once a full window has passed through each chain.
  await tab.waitForFunction(() => document.querySelectorAll('[data-testid="editor-previews"] .preview').length >= 30 && document.querySelectorAll('[data-testid^="bar-bands5-"]').length > 0, undefined, { timeout: 30_000 });
  const previewCount = await tab.locator('[data-testid="editor-previews"] .preview').count();
  const watchMs = quick ? 3000 : 10_000;
  await tab.evaluate(`(() => { window.__frames = []; window.__framing = true; requestAnimationFrame(function tick(t) { window.__frames.push(t); if (window.__framing) requestAnimationFrame(tick); }); })()`);
  await tab.waitForTimeout(watchMs);
  const times: number[] = await tab.evaluate(`(() => { window.__framing = false; return window.__frames; })()`);
  const distinct = [...new Set(times)];
  const d = distinct.slice(1).map((t, i) => t - distinct[i]);
  const metrics = await tab.textContent('[data-testid="node-status-in0"]');
  results.push(fpsLine(`${previewCount} live edge previews at 10 Hz, engine on 64 ch × 1 kHz (${watchMs / 1000} s watching; in0: ${metrics})`, d));
  await tab.click('[data-testid="editor-stop"]');
  await live.close();
} finally {
  await browser.close();
  await server.close();
}
console.log('\neditor bench');
for (const r of results) console.log(`  ${r}`);
