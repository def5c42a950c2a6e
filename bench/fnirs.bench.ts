// fNIRS offline benchmark (Node; run: `npx tsx bench/fnirs.bench.ts`): a one-hour, 100-channel
// (40 long + 10 short pairs × 760/850 nm), 10 Hz recording through OD → Beer–Lambert → TDDR →
// short-channel regression → design (2 conditions) → AR(1) GLM + 3 t contrasts, in the fNIRS library
// and, in the same run, in NumPy/SciPy (bench/fnirs_peer.py under Debian's /usr/bin/python3, one
// BLAS thread as Node has one core). Prints per-step seconds, both totals and the ratio, and the
// largest difference between the two implementations' t values. Asserts nothing about speed.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beerLambert, channelMidpoints, designMatrix, extinctionCoefficients, fitGlm, frameTimes, glmContrast, opticalDensity, shortChannelRegression, sourceDetectorDistances, tddr, type GlmEvent } from '../src/lib/fnirs/index';

const FS = 10;
const T = 3600 * FS;
const WAVELENGTHS = [760, 850] as const;
const LONG_PAIRS = 40;
const SHORT_PAIRS = 10;

// Probe: long pairs along a line (3 cm); one short detector (0.8 cm) beside every fourth source.
const sources: number[][] = [];
const detectors: number[][] = [];
const pairs: [number, number][] = [];
for (let k = 0; k < LONG_PAIRS; k++) {
  sources.push([0.03 * k, 0, 0]);
  detectors.push([0.03 * k + 0.03, 0.005 * (k % 2), 0]);
  pairs.push([k + 1, k + 1]);
}
for (let j = 0; j < SHORT_PAIRS; j++) {
  detectors.push([0.12 * j, 0.008, 0]);
  pairs.push([4 * j + 1, LONG_PAIRS + j + 1]);
}
const channels = pairs.flatMap(([s, d]) => WAVELENGTHS.map((nm) => ({ label: `S${s}_D${d} ${nm}`, sourceIndex: s, detectorIndex: d, wavelengthNm: nm })));
const C = channels.length;
const distances = sourceDetectorDistances(channels, sources, detectors);
const midpoints = channelMidpoints(channels, sources, detectors);

// Events: 20 s blocks of conditions A and B alternating every 30 s (120 blocks).
const events: GlmEvent[] = Array.from({ length: 119 }, (_, k) => ({ condition: k % 2 ? 'B' : 'A', onsetSeconds: 15 + 30 * k, durationSeconds: 20 }));

/** Seeded intensities: systemic sinusoids shared by all channels, a block response on long channels, noise. */
function makeIntensities(): Float64Array {
  const x = new Float64Array(C * T);
  let s = 12345;
  const noise = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
  const taskA = new Float64Array(T);
  for (const e of events) for (let t = Math.round(e.onsetSeconds * FS); t < Math.round((e.onsetSeconds + e.durationSeconds) * FS); t++) taskA[t] += e.condition === 'A' ? 1 : 0.5;
  for (let c = 0; c < C; c++) {
    const long = distances[c] > 0.015;
    for (let t = 0; t < T; t++) {
      const ts = t / FS;
      const sys = 0.01 * Math.sin(2 * Math.PI * 0.1 * ts) + 0.004 * Math.sin(2 * Math.PI * 1.1 * ts) + 0.006 * Math.sin(2 * Math.PI * 0.03 * ts + 1);
      const od = (long ? 0.7 : 1) * sys + (long ? 0.01 * taskA[t] : 0) + 0.003 * noise() + (t > T / 2 && c === 3 ? 0.2 : 0);
      x[c * T + t] = 1e4 * Math.exp(-od);
    }
  }
  return x;
}

function nodeChain(raw: Float64Array): { steps: Record<string, number>; total: number; t: Float64Array } {
  const steps: Record<string, number> = {};
  const t0 = performance.now();
  const step = <R>(name: string, fn: () => R): R => {
    const s = performance.now();
    const r = fn();
    steps[name] = (performance.now() - s) / 1000;
    return r;
  };
  const od = step('optical density', () => opticalDensity(raw, C, T));
  const hb = step('Beer-Lambert', () => beerLambert(od, channels, T, distances, 6));
  const clean = step('TDDR', () => tddr(hb.data, C, T, FS));
  const ssr = step('short-channel regression', () => shortChannelRegression(clean, hb.labels.map((label) => ({ label })), T, distances, { midpointsM: midpoints }));
  const X = step('design matrix', () => designMatrix(frameTimes(T, FS), events, { highPassHz: 0.01 }));
  const t = step('AR(1) GLM + 3 contrasts', () => {
    const fit = fitGlm(ssr.data, C, X, 'ar1');
    const cons = ([{ A: 1 }, { B: 1 }, { A: 1, B: -1 }] as Record<string, number>[]).map((w) => glmContrast(fit, w).t);
    return Float64Array.from({ length: C * 3 }, (_, i) => cons[i % 3][Math.floor(i / 3)]);
  });
  return { steps, total: (performance.now() - t0) / 1000, t };
}

const raw = makeIntensities();
console.log(`fnirs.bench: Node ${process.version}; ${C} channels × 1 h × ${FS} Hz (${T} samples), 2 conditions; ${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)} (wall times on a shared machine are noisy)`);
nodeChain(raw); // warm-up (JIT)
const node = nodeChain(raw);

const base = join(tmpdir(), `neurotab-fnirs-bench-${process.pid}`);
writeFileSync(`${base}.f64`, new Uint8Array(raw.buffer));
const shortOf = new Map<number, number>();
const hbLabels = channels.map((ch) => ch.label);
const plan = shortChannelRegression(new Float64Array(C * 4).fill(1), channels, 4, distances, { midpointsM: midpoints }).plan;
plan.regressors.forEach((r, c) => r.length && shortOf.set(c, r[0]));
const pairIdx = pairs.map((_, p) => [2 * p, 2 * p + 1, distances[2 * p]]);
writeFileSync(
  `${base}.json`,
  JSON.stringify({
    file: `${base}.f64`,
    channels: C,
    samples: T,
    sfreq: FS,
    labels: hbLabels,
    pairs: pairIdx,
    abs_coef: WAVELENGTHS.map((nm) => extinctionCoefficients(nm).map((e) => e * 0.2303)),
    nearest_short: Object.fromEntries(shortOf),
    onsets: events.map((e) => e.onsetSeconds),
    durations: events.map((e) => e.durationSeconds),
    conditions: events.map((e) => e.condition),
  }),
);
const py = spawnSync('/usr/bin/python3', [new URL('./fnirs_peer.py', import.meta.url).pathname, `${base}.json`], {
  encoding: 'utf8',
  timeout: 600_000,
  env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
});
const fmt = (s: number) => `${s.toFixed(2)} s`;
const names = Object.keys(node.steps);
if (py.status === 0) {
  const peer = JSON.parse(py.stdout.trim().split('\n').pop()!);
  const tBytes = readFileSync(`${base}.json.t.f64`);
  const tPy = new Float64Array(tBytes.buffer.slice(tBytes.byteOffset, tBytes.byteOffset + tBytes.byteLength));
  let maxDiff = 0;
  for (let i = 0; i < tPy.length; i++) maxDiff = Math.max(maxDiff, Math.abs(tPy[i] - node.t[i]));
  for (const n of names) console.log(`  ${n.padEnd(26)} Node ${fmt(node.steps[n]).padStart(8)}   NumPy/SciPy ${fmt(peer.steps[n]).padStart(8)}`);
  console.log(`offline chain, 1 h × ${C} ch × ${FS} Hz: Node ${fmt(node.total)}, NumPy/SciPy ${fmt(peer.total_s)} (NumPy ${peer.numpy}, 1 BLAS thread) → NumPy time / Node time ×${(peer.total_s / node.total).toFixed(2)}`);
  console.log(`  the two agree: max |t_Node − t_NumPy| over ${tPy.length} contrast values = ${maxDiff.toExponential(1)}`);
} else {
  for (const n of names) console.log(`  ${n.padEnd(26)} Node ${fmt(node.steps[n]).padStart(8)}`);
  console.log(`offline chain: Node ${fmt(node.total)}; NumPy/SciPy peer did not run (${(py.stderr || py.error?.message || '').trim().split('\n').pop()}): apt-get install -y python3-scipy`);
}
for (const f of [`${base}.f64`, `${base}.json`, `${base}.json.t.f64`]) rmSync(f, { force: true });
