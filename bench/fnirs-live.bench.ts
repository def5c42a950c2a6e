// fNIRS live benchmark (Node; run: `npx tsx bench/fnirs-live.bench.ts`): 64 optical channels
// (24 long + 8 short pairs × 760/850 nm) at 50 Hz through the live chain the engine worker runs
// (fnirs/live.ts: OD → Beer–Lambert per frame, and once a second SCI + CV over the last 10 s), in
// chunks of 1, 5 and 25 frames (20, 100, 500 ms). Prints p50 / p99 / max per chunk (a chunk that
// crosses a second boundary includes the quality pass, as in the worker), OD → Hb alone, and the quality pass alone;
// beside it, in the same run, NumPy/SciPy + MNE's FIR doing the same per-chunk work
// (bench/fnirs_live_peer.py, Debian's /usr/bin/python3, one BLAS thread). Also the same chain as
// pipeline nodes (engine/nodes/fnirs.ts: OpticalDensity → BeerLambert, and the OD → ScalpCouplingIndex
// with 10 s windows every 1 s), p50 / p99 per chunk. Asserts nothing about speed.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamDescriptor } from '../src/lib/core/stream';
import { signalChunk, type Packet } from '../src/lib/engine/packet';
import { beerLambertNode, opticalDensityNode, scalpCouplingIndexNode } from '../src/lib/engine/nodes/fnirs';
import { instantiate } from '../src/lib/engine/testing';
import { extinctionCoefficients, LiveFnirs, sourceDetectorDistances } from '../src/lib/fnirs/index';

const FS = 50;
const SECONDS = 600;
const T = FS * SECONDS;
const LONG = 24;
const SHORT = 8;
const sources: number[][] = [];
const detectors: number[][] = [];
const pairs: [number, number][] = [];
for (let k = 0; k < LONG; k++) {
  sources.push([0.03 * k, 0, 0]);
  detectors.push([0.03 * k + 0.03, 0, 0]);
  pairs.push([k + 1, k + 1]);
}
for (let j = 0; j < SHORT; j++) {
  detectors.push([0.09 * j, 0.008, 0]);
  pairs.push([3 * j + 1, LONG + j + 1]);
}
const stream: StreamDescriptor = {
  id: 'bench.nirs',
  name: 'bench',
  kind: 'fnirs',
  sampleRateHz: FS,
  channels: pairs.flatMap(([s, d]) => [760, 850].map((nm) => ({ label: `S${s}_D${d} ${nm}`, unit: 'a.u.', type: 'NIRS_CW_AMPLITUDE', wavelengthNm: nm, sourceIndex: s, detectorIndex: d }))),
  probe: { wavelengthsNm: [760, 850], sourcePositionsM: sources, detectorPositionsM: detectors, positions3d: false },
};
const C = stream.channels.length;

/** Frame-major float32 intensities: a cardiac pulse on both wavelengths, slower physiology, noise. */
const frames = new Float32Array(T * C);
let seed = 7;
const noise = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5);
for (let t = 0; t < T; t++) {
  const ts = t / FS;
  const sys = 0.004 * Math.sin(2 * Math.PI * 1.1 * ts) + 0.01 * Math.sin(2 * Math.PI * 0.1 * ts);
  for (let c = 0; c < C; c++) frames[t * C + c] = 1e4 * Math.exp(-(sys + 0.002 * noise()));
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

console.log(`fnirs-live.bench: Node ${process.version}; ${C} channels × ${FS} Hz × ${SECONDS} s; ${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)} (a shared machine: figures are noisy)`);
const node: Record<string, { p50: number; p99: number; max: number; p99Process: number }> = {};
let qualityUs: number[] = [];
for (const chunk of [1, 5, 25]) {
  const live = new LiveFnirs(stream);
  const out = new Float32Array(chunk * C);
  const us: number[] = [];
  const processUs: number[] = [];
  const q: number[] = [];
  let nextQualityFrame = FS;
  for (let t = 0; t + chunk <= T; t += chunk) {
    const t0 = performance.now();
    live.process(frames.subarray(t * C, (t + chunk) * C), chunk, out);
    processUs.push((performance.now() - t0) * 1000);
    if (t + chunk >= nextQualityFrame) {
      const q0 = performance.now();
      live.quality();
      q.push((performance.now() - q0) * 1000);
      nextQualityFrame += FS;
    }
    us.push((performance.now() - t0) * 1000);
  }
  // The first 10 s have no quality yet; skip the warm-up (JIT) second.
  const steady = us.slice(Math.ceil((10 * FS) / chunk));
  node[chunk] = { p50: percentile(steady, 50), p99: percentile(steady, 99), max: Math.max(...steady), p99Process: percentile(processUs.slice(Math.ceil((10 * FS) / chunk)), 99) };
  qualityUs = q.slice(10);
}

// The same chain as pipeline nodes, as the engine runs it: one streaming chunk per step through each node in turn.
const times = Float64Array.from({ length: T }, (_, t) => (t * 1000) / FS);
const nodes: Record<string, { p50: number; p99: number }> = {};
for (const chunk of [1, 5, 25]) {
  const od = instantiate(opticalDensityNode, { baseline_seconds: 10 }).node;
  const hb = instantiate(beerLambertNode, {}).node;
  const sci = instantiate(scalpCouplingIndexNode, { window_seconds: 10, step_seconds: 1 }).node;
  const us: number[] = [];
  for (let t = 0; t + chunk <= T; t += chunk) {
    const t0 = performance.now();
    const raw: Packet = new Map([['fnirs', signalChunk(stream, frames.subarray(t * C, (t + chunk) * C), times.subarray(t, t + chunk))]]);
    const dOd = (od.process({ data: raw }) || undefined)?.data;
    hb.process({ data: dOd });
    sci.process({ data: dOd });
    us.push((performance.now() - t0) * 1000);
  }
  const steady = us.slice(Math.ceil((10 * FS) / chunk));
  nodes[chunk] = { p50: percentile(steady, 50), p99: percentile(steady, 99) };
}

// The peer, on the same frames.
const base = join(tmpdir(), `fnirs-live-${process.pid}`);
writeFileSync(`${base}.f32`, frames);
const distances = sourceDetectorDistances(stream.channels, sources, detectors);
writeFileSync(
  `${base}.json`,
  JSON.stringify({ file: `${base}.f32`, channels: C, samples: T, sfreq: FS, distances: Array.from(distances), abs_coef: [760, 850].map((nm) => extinctionCoefficients(nm).map((e) => e * 0.2303)), chunks: [1, 5, 25] }),
);
const py = spawnSync('/usr/bin/python3', [new URL('./fnirs_live_peer.py', import.meta.url).pathname, `${base}.json`], {
  encoding: 'utf8',
  timeout: 600_000,
  env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
});
const peer = py.status === 0 ? JSON.parse(py.stdout.trim().split('\n').pop()!) : null;
const f = (x: number) => `${x.toFixed(0).padStart(6)} µs`;
for (const chunk of [1, 5, 25]) {
  const n = node[chunk];
  const p = peer?.chunks[String(chunk)];
  console.log(
    `  chunk ${String(chunk).padStart(2)} frames (${(chunk * 1000) / FS} ms): Node p50 ${f(n.p50)} p99 ${f(n.p99)} max ${f(n.max)} (OD → Hb alone p99 ${f(n.p99Process)})` +
      (p ? `   NumPy/SciPy p50 ${f(p.p50)} p99 ${f(p.p99)} max ${f(p.max)}` : ''),
  );
}
console.log(
  `  quality pass (SCI + CV over 10 s × ${C} ch): Node p50 ${f(percentile(qualityUs, 50))} p99 ${f(percentile(qualityUs, 99))}` +
    (peer ? `   NumPy/SciPy (MNE FIR) p50 ${f(peer.quality.p50)} p99 ${f(peer.quality.p99)}` : `   peer did not run (${(py.stderr || py.error?.message || '').trim().split('\n').pop()})`),
);
for (const chunk of [1, 5, 25]) console.log(`  nodes OpticalDensity → BeerLambert + ScalpCouplingIndex (10 s windows every 1 s), chunk ${String(chunk).padStart(2)} frames: p50 ${f(nodes[chunk].p50)} p99 ${f(nodes[chunk].p99)}`);
console.log(`live chain, ${C} ch at ${FS} Hz: p99 per chunk of 5 frames ${f(node[5].p99)} of a ${(5 * 1000) / FS} ms budget`);
for (const x of [`${base}.f32`, `${base}.json`]) rmSync(x, { force: true });
