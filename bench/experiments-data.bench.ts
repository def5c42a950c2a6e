// Benchmark of the table/recording experiment types (Node): isolation-forest fit and scoring, PCA
// fit and SPE scoring, the Prophet-like forecaster on a year of hourly data (additive and
// multiplicative), and the fNIRS chain (OD → Beer–Lambert → window features → 5-fold logistic
// regression) on neuro_run01.snirf when ../shared is present. Prints figures only (no assertions).
// Run: `npx tsx bench/experiments-data.bench.ts [--quick]`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IsolationForest } from '../src/lib/ml/isolation-forest';
import { Pca } from '../src/lib/ml/pca';
import { Forecaster } from '../src/lib/ml/forecast';
import { dense } from '../src/lib/ml/linalg';
import { seededRandom } from '../src/lib/ml/cross-validation';
import { parseFnirsSpec, trainFnirs } from '../src/lib/ml/experiments/fnirs-classification';
import { readSnirf } from '../src/lib/formats/snirf';

const quick = process.argv.includes('--quick');
const rnd = seededRandom(1);
const normal = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());

function time<T>(label: string, reps: number, fn: () => T): T {
  let out: T = fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    out = fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(`${label.padEnd(58)} median ${times[Math.floor(times.length / 2)].toFixed(1).padStart(8)} ms  (min ${times[0].toFixed(1)}, ${reps} runs)`);
  return out;
}

const n = quick ? 2000 : 10000;
const d = 8;
const x = dense(n, d);
for (let i = 0; i < n; i++) {
  const z = normal();
  for (let j = 0; j < d; j++) x.data[i * d + j] = z * (j + 1) * 0.3 + normal();
}
console.log(`data: ${n} rows × ${d} features`);
const forest = time('isolation forest fit (100 trees, ψ = 256)', 5, () => IsolationForest.fit(x, { seed: 1 }));
const s = time(`isolation forest score_samples (${n} rows)`, 5, () => forest.scoreSamples(x));
console.log(`  → score range [${Math.min(...s).toFixed(3)}, ${Math.max(...s).toFixed(3)}]`);
const pca = time('PCA fit (4 components, thin SVD of the centred data)', 5, () => Pca.fit(x, { components: 4 }));
time(`PCA reconstruction error (${n} rows)`, 5, () => pca.reconstructionError(x));

const hours = quick ? 24 * 90 : 24 * 365;
const tDays = Float64Array.from({ length: hours }, (_, i) => 19000 + i / 24);
const y = tDays.map((t) => (100 + 0.05 * (t - 19000)) * (1 + 0.2 * Math.sin(2 * Math.PI * t) + 0.05 * Math.sin((2 * Math.PI * t) / 7)) + normal());
time(`forecaster fit additive (${hours} hourly points, 25 changepoints)`, 3, () => Forecaster.fit(tDays, y, { seasonalityMode: 'additive', yearlySeasonality: false }));
const f = time(`forecaster fit multiplicative (${hours} points, ALS)`, 3, () => Forecaster.fit(tDays, y, { seasonalityMode: 'multiplicative', yearlySeasonality: false }));
time('forecaster predict 7 days ahead (168 points)', 20, () => f.predict(Float64Array.from({ length: 168 }, (_, i) => tDays[hours - 1] + (i + 1) / 24)));

const shared = process.env.NEUROTAB_SHARED ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../shared');
const snirf = join(shared, 'data/snirf/neuro_run01.snirf');
if (existsSync(snirf)) {
  const rec = await readSnirf(new Uint8Array(readFileSync(snirf)), 'neuro_run01.snirf');
  const spec = parseFnirsSpec({ setup: { classes: { '1': 'task', '2': 'task' }, rest_class: 'rest', window: [0, 15] } });
  const r = time('fNIRS neuro_run01 (18 ch × 8000): OD → Hb → features → 5-fold LR', 5, () => trainFnirs(spec, { table: null, recordings: [{ recording: rec, source: 'neuro_run01' }] }));
  console.log(`  → task vs rest CV accuracy ${r.metrics.mean.toFixed(3)} (chance ${r.metrics.chance.toFixed(3)}, ROC AUC ${r.metrics.rocAuc?.toFixed(3)}, ${r.metrics.epochCount} trials)`);
} else console.log('fNIRS: ../shared absent, skipped');
