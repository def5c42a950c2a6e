// Benchmark of the classic decoders (Node): CSP + LDA fit on 45 trials × 64 channels × 161 samples
// (the PhysioNet S001 left/right epochs when ../shared is present, else seeded noise of that shape),
// with the fit split into its stages, plus per-epoch online transform+predict and a 10-fold CV.
// Run: `npx tsx bench/ml.bench.ts`. Prints figures only (no assertions); target fit < 200 ms.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classCovariances } from '../src/lib/ml/covariance';
import { crossValidate, parseExperimentConfig } from '../src/lib/ml/experiment';
import { Csp } from '../src/lib/ml/csp';
import { seededRandom, shuffleSplit } from '../src/lib/ml/cross-validation';
import type { EpochSet } from '../src/lib/ml/epochs';
import { Lda } from '../src/lib/ml/lda';
import { Xdawn } from '../src/lib/ml/xdawn';
import { dense, eighGeneralised } from '../src/lib/ml/linalg';

const E = 45;
const C = 64;
const T = 161;

function loadEpochs(): { set: EpochSet; source: string } {
  const shared = process.env.NEUROTAB_SHARED ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../shared');
  const refPath = join(shared, 'reference', 'eeg_csp_lda.json');
  if (existsSync(refPath)) {
    const ref = JSON.parse(readFileSync(refPath, 'utf8'));
    const buf = readFileSync(join(shared, 'reference', ref.epochs.X.file));
    const copy = new Uint8Array(buf.byteLength);
    copy.set(buf);
    return {
      set: { data: new Float64Array(copy.buffer), epochCount: E, channelCount: C, sampleCount: T, labels: Int32Array.from(ref.epochs.labels), classNames: ['left', 'right'], sampleRateHz: 160 },
      source: 'reference epochs (S001 R04/R08/R12, 7–30 Hz)',
    };
  }
  const r = seededRandom(1);
  const data = Float64Array.from({ length: E * C * T }, () => r() - 0.5);
  return { set: { data, epochCount: E, channelCount: C, sampleCount: T, labels: Int32Array.from({ length: E }, (_, i) => i % 2), classNames: ['left', 'right'], sampleRateHz: 160 }, source: 'seeded noise' };
}

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `median ${q(0.5).toFixed(2)} ms, p90 ${q(0.9).toFixed(2)} ms, min ${s[0].toFixed(2)} ms (n=${s.length})`;
}

function time(fn: () => void, reps: number, warmup = 3): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}

const { set, source } = loadEpochs();
console.log(`ml bench — Node ${process.version}, ${E} trials × ${C} channels × ${T} samples, ${source}`);

// First (cold) fit, as a user sees it once per page load.
const cold0 = performance.now();
const cold = Csp.fit(set, { components: 4 });
Lda.fit(cold.transform(set), set.labels, set.classNames);
console.log(`CSP + LDA fit, cold (first call, includes JIT): ${(performance.now() - cold0).toFixed(1)} ms`);

const fit = time(() => {
  const csp = Csp.fit(set, { components: 4 });
  Lda.fit(csp.transform(set), set.labels, set.classNames);
}, 30);
console.log(`CSP + LDA fit (warm): ${stats(fit)}  — target < 200 ms: ${fit.sort((a, b) => a - b)[15] < 200 ? 'met' : 'NOT met'}`);

let covs = classCovariances(set).covariances;
console.log(`  class covariances:        ${stats(time(() => (covs = classCovariances(set).covariances), 30))}`);
const sum = dense(C, C);
for (let i = 0; i < sum.data.length; i++) sum.data[i] = covs[0].data[i] + covs[1].data[i];
console.log(`  generalised eigh (64×64): ${stats(time(() => eighGeneralised(covs[0], sum), 30))}`);
const csp = Csp.fit(set, { components: 4 });
const feats = csp.transform(set);
console.log(`  CSP transform (45 trials): ${stats(time(() => csp.transform(set), 30))}`);
console.log(`  LDA fit (svd, 45×4):       ${stats(time(() => Lda.fit(feats, set.labels, set.classNames), 30))}`);

// Online: one epoch in, one prediction out.
const lda = Lda.fit(feats, set.labels, set.classNames);
const one = { data: set.data.subarray(0, C * T), epochCount: 1, channelCount: C, sampleCount: T };
const online = time(() => lda.predict(csp.transform(one)), 2000, 50);
console.log(`online transform + predict, 1 epoch: ${stats(online)}`);

const cfg = parseExperimentConfig({ type: 'motor_imagery_csp_lda', classes: { T1: 'left', T2: 'right' }, window: [1, 2], band: [7, 30], components: 4 });
const folds = shuffleSplit(E, 10, 0.2, 42);
console.log(`10-fold ShuffleSplit CV (CSP+LDA refit per fold): ${stats(time(() => crossValidate(cfg, set, { folds }), 5, 1))}`);

// P300-sized xDAWN + shrinkage LDA (the Muse P300 set's shape: 775 epochs × 4 channels × 205 samples, 25 bins).
{
  const r = seededRandom(2);
  const P = { data: Float64Array.from({ length: 775 * 4 * 205 }, () => r() - 0.5), epochCount: 775, channelCount: 4, sampleCount: 205, labels: Int32Array.from({ length: 775 }, (_, i) => (i % 6 === 0 ? 1 : 0)), classNames: ['non-target', 'target'], sampleRateHz: 256 };
  const xdFit = time(() => {
    const xd = Xdawn.fit(P, { filtersPerClass: 2, decimate: 8 });
    Lda.fit(xd.transform(P), P.labels, P.classNames, { solver: 'lsqr', shrinkage: 'auto' });
  }, 10, 2);
  console.log(`xDAWN + LDA(lsqr, Ledoit–Wolf) fit, 775 × 4 × 205: ${stats(xdFit)}`);
}
