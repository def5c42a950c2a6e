// Page side of the Chromium latency bench: creates the shared rings, starts the producer and engine
// workers, and collects latencies on the page's main thread (Atomics.waitAsync on the output ring),
// exactly as bench/engine.bench.ts does with worker_threads. Exposes `window.measureLatency`.
import { collectLatencies, latencyFigures, latencySetup, outputChannels, type EngineReport, type Graph, type LatencyFigures, type Setup } from './roles';

const nowMs = (): number => performance.timeOrigin + performance.now();

async function measureLatency(graph: Graph, seconds: number): Promise<LatencyFigures> {
  if (!crossOriginIsolated) throw new Error('the page is not cross-origin isolated: no SharedArrayBuffer');
  const base = latencySetup(graph, seconds);
  const spawn = (): Worker => new Worker(new URL('./browser-worker.js', import.meta.url), { type: 'module' });
  const next = (w: Worker): Promise<unknown> => new Promise((r) => w.addEventListener('message', (e) => r(e.data), { once: true }));
  const eng = spawn();
  eng.postMessage({ ...base, role: 'engine' } satisfies Setup);
  await next(eng);
  const prod = spawn();
  let producing = true;
  void next(prod).then(() => (producing = false));
  prod.postMessage({ ...base, role: 'producer' } satisfies Setup);
  const lat = await collectLatencies(base.outBuf, outputChannels(base.channels, graph), nowMs, () => producing);
  const report = next(eng) as Promise<EngineReport>;
  eng.postMessage('stop');
  const rep = await report;
  eng.terminate();
  prod.terminate();
  return latencyFigures(lat, rep);
}

(globalThis as { measureLatency?: typeof measureLatency }).measureLatency = measureLatency;
