// Page side of the Chromium latency bench: creates the shared rings, starts the producer and engine
// workers, and collects latencies on the page's main thread (Atomics.waitAsync on the output ring),
// exactly as bench/engine.bench.ts does with worker_threads. Exposes `window.measureLatency`.
import { Ring } from '../../src/lib/streams/ring';
import { collectLatencies, outputChannels, quantile, type EngineReport, type Graph, type Setup } from './roles';

const nowMs = (): number => performance.timeOrigin + performance.now();

async function measureLatency(graph: Graph, seconds: number): Promise<{ p50: number; p99: number; max: number; n: number; stepP50: number; stepP99: number }> {
  if (!crossOriginIsolated) throw new Error('the page is not cross-origin isolated: no SharedArrayBuffer');
  const channels = 64;
  const fs = 1000;
  const chunk = 10;
  const inRing = Ring.create({ channels, capacityFrames: 8192, shared: true });
  const outRing = Ring.create({ channels: outputChannels(channels, graph), capacityFrames: 16384, shared: true });
  const base = { inBuf: inRing.buffer as SharedArrayBuffer, outBuf: outRing.buffer as SharedArrayBuffer, sig: new SharedArrayBuffer(8), channels, fs, chunk, seconds, graph };
  const spawn = (): Worker => new Worker(new URL('./browser-worker.js', import.meta.url), { type: 'module' });
  const eng = spawn();
  const next = (w: Worker): Promise<unknown> => new Promise((r) => w.addEventListener('message', (e) => r(e.data), { once: true }));
  eng.postMessage({ ...base, role: 'engine' } satisfies Setup);
  await next(eng);
  const prod = spawn();
  let producing = true;
  void next(prod).then(() => (producing = false));
  prod.postMessage({ ...base, role: 'producer' } satisfies Setup);
  const lat = await collectLatencies(outRing.buffer as SharedArrayBuffer, outputChannels(channels, graph), nowMs, () => producing);
  const report = next(eng) as Promise<EngineReport>;
  eng.postMessage('stop');
  const rep = await report;
  eng.terminate();
  prod.terminate();
  if (rep.errors.length) throw new Error(`engine errors: ${rep.errors.join('; ')}`);
  return { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), max: Math.max(...lat), n: lat.length, stepP50: rep.stepP50, stepP99: rep.stepP99 };
}

(globalThis as { measureLatency?: typeof measureLatency }).measureLatency = measureLatency;
