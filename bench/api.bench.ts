// API router benchmark, in process (router + LocalBackend + engine, no service worker, no network):
// the floor under the SW round trip of issue 5 (targets there: p50 < 2 ms, p99 < 10 ms, ≥ 1000 calls/s
// page → SW → engine host → page). Also .pyp parse/write of a 40-node pipeline.
// Node only: `npx tsx bench/api.bench.ts`. Finishes in a few seconds; prints, asserts nothing.
import { createApi } from '../src/lib/api/index.ts';
import { LocalBackend } from '../src/lib/api/local-backend.ts';
import { alphaPyp } from '../src/lib/api/testing.ts';
import { parsePyp, writePyp } from '../src/lib/formats/pyp.ts';

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timeCalls(label: string, n: number, fn: (i: number) => Response | Promise<Response>): Promise<void> {
  for (let i = 0; i < 200; i++) await (await fn(i)).text(); // warm-up
  const t: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const a = performance.now();
    const r = await fn(i);
    await r.text();
    t.push(performance.now() - a);
    if (r.status >= 500) throw new Error(`${label}: ${r.status}`);
  }
  const total = performance.now() - t0;
  t.sort((x, y) => x - y);
  console.log(
    `${label.padEnd(44)} p50 ${pct(t, 50).toFixed(3)} ms  p99 ${pct(t, 99).toFixed(3)} ms  ${Math.round((n / total) * 1000)} calls/s`,
  );
}

const backend = new LocalBackend();
const app = createApi(backend);
await backend.writePipeline('pipelines/alpha.pyp', alphaPyp());
const id = (await (await app.request('/np/executions', { method: 'POST', body: '{}' })).json()) as { id: number };
await app.request(`/np/executions/${id.id}/actions/load`, { method: 'POST', body: '{"file": "alpha.pyp"}' });
await app.request(`/np/executions/${id.id}/actions/play`, { method: 'POST' });

console.log('API router, in process (LocalBackend, real engine, one running execution)');
await timeCalls('GET /np/executions/{id}/state', 5000, () => app.request(`/np/executions/${id.id}/state`));
await timeCalls('GET /np/executions/{id}/logs?from_idx=…', 5000, () => app.request(`/np/executions/${id.id}/logs?from_idx=1000000`));
await timeCalls('POST …/actions/configure {band}', 2000, (i) =>
  app.request(`/np/executions/${id.id}/actions/configure`, { method: 'POST', body: `{"band": [${1 + (i % 3)}, 2, 30, 35]}` }),
);
await timeCalls('GET /np/executions/{id} (full details)', 2000, () => app.request(`/np/executions/${id.id}`));
await timeCalls('POST + DELETE /np/executions', 1000, async (i) =>
  i % 2 === 0
    ? app.request('/np/executions', { method: 'POST', body: '{}' })
    : app.request(`/np/executions/${((await backend.listExecutions()).at(-1) as { id: number }).id}`, { method: 'DELETE' }),
);
await timeCalls('error path: GET /np/executions/4711 (404)', 5000, () => app.request('/np/executions/4711'));

// .pyp: a 40-node, 20-parameter-per-node pipeline (larger than any of the 48 public files).
const big = parsePyp(alphaPyp());
const node = big.nodes[1];
big.nodes = Array.from({ length: 40 }, (_, k) => ({
  ...node,
  index: k + 1,
  uuid: crypto.randomUUID(),
  params: Object.fromEntries(Array.from({ length: 20 }, (_, j) => [`p${j}`, { customized: j % 3 === 0, type: 'ListPort', value: [j, 1.5, 'x'] }])),
}));
big.edges = Array.from({ length: 39 }, (_, k) => ({ source: k + 1, sourcePort: 'data', target: k + 2, targetPort: 'data' }));
const text = writePyp(big);
let t0 = performance.now();
for (let i = 0; i < 50; i++) writePyp(big);
const writeMs = (performance.now() - t0) / 50;
t0 = performance.now();
for (let i = 0; i < 50; i++) parsePyp(text);
const parseMs = (performance.now() - t0) / 50;
console.log(`.pyp 40 nodes × 20 params (${(text.length / 1024).toFixed(0)} KiB): write ${writeMs.toFixed(2)} ms, parse ${parseMs.toFixed(2)} ms`);

await backend.dispose();
