// Benchmark of the TensorFlow.js models in Node: EEGNet-8,2 training time per epoch on the S001
// left/right fist-imagery epochs (R04+R08+R12: 45 × 64 channels × 161 samples, and an 8-channel
// motor slice) on the pure-JS cpu backend (the wasm backend has no convolution gradient kernels), and
// online one-window inference p50/p99 on cpu and wasm (target p99 < 10 ms).
// Run: `npx tsx bench/tf.bench.ts`. Prints figures only; ~1 minute. Needs ../shared (else exits).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { readEdf } from '../src/lib/formats/edf';
import { epochsFromRecordings } from '../src/lib/ml/prepare';
import type { ExperimentConfig } from '../src/lib/ml/experiment';
import { selectBackend } from '../src/lib/ml/tf/backend';
import { installFastCpuKernels } from '../src/lib/ml/tf/fast-kernels';
import { loadDeepModel, predictDeepWindow, trainDeepModel, type DeepModel } from '../src/lib/ml/tf/train';

const here = dirname(fileURLToPath(import.meta.url));
const shared = process.env.NEUROTAB_SHARED ?? resolve(here, '../../shared');
const wasmDir = resolve(here, '../node_modules/@tensorflow/tfjs-backend-wasm/dist') + '/';

function epochs(channels?: string[]) {
  const cfg = { type: 'motor_imagery_csp_lda', classes: { T1: 'left', T2: 'right' }, window: [1, 2], band: [7, 30], channels } as ExperimentConfig;
  const recs = ['S001R04', 'S001R08', 'S001R12'].map((f) => ({ recording: readEdf(new Uint8Array(readFileSync(join(shared, 'data/edf', `${f}.edf`))), f), source: f }));
  return epochsFromRecordings(recs, cfg).epochs;
}

async function trainTimed(label: string, set: ReturnType<typeof epochs>, n: number): Promise<DeepModel> {
  const stamps: number[] = [];
  let t = performance.now();
  const model = await trainDeepModel('eegnet', set, { epochs: n, batchSize: 16, validationFraction: 0, seed: 1 }, {
    onEpoch: () => {
      const now = performance.now();
      stamps.push(now - t);
      t = now;
    },
  });
  const mean = stamps.reduce((a, b) => a + b, 0) / stamps.length;
  console.log(`train ${label.padEnd(34)} ${tf.getBackend().padEnd(5)} ${(mean / 1000).toFixed(2)} s/epoch (${stamps.map((s) => (s / 1000).toFixed(2)).join(', ')})`);
  return model;
}

async function inference(label: string, meta: DeepModel, windows = 300): Promise<void> {
  const m = await loadDeepModel(meta);
  const C = meta.channelCount;
  const w = new Float32Array(C * meta.sampleCount).map((_, i) => Math.sin(i * 0.37) * 20);
  const times: number[] = [];
  for (let i = 0; i < windows + 20; i++) {
    const t0 = performance.now();
    predictDeepWindow(m, w, C);
    if (i >= 20) times.push(performance.now() - t0);
  }
  m.dispose();
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  console.log(`infer ${label.padEnd(34)} ${tf.getBackend().padEnd(5)} p50 ${q(0.5).toFixed(2)} ms  p99 ${q(0.99).toFixed(2)} ms  (target p99 < 10 ms${q(0.99) < 10 ? ', met' : ', NOT met'})`);
}

async function main(): Promise<void> {
  if (!existsSync(join(shared, 'data/edf/S001R04.edf'))) {
    console.log('tf.bench: ../shared/data/edf not found; nothing to measure');
    return;
  }
  await selectBackend(['cpu']);
  installFastCpuKernels();
  const full = epochs();
  const slice = epochs(['C3..', 'Cz..', 'C4..', 'Cp3.', 'Cp4.', 'Fc3.', 'Fc4.', 'C1..']);
  console.log(`S001 left/right epochs: ${full.epochCount} × ${full.channelCount} ch × ${full.sampleCount} samples @ ${full.sampleRateHz} Hz`);
  const fullModel = await trainTimed(`${full.epochCount}×64ch (1 epoch)`, full, 1);
  const sliceModel = await trainTimed(`${slice.epochCount}×8ch (3 epochs)`, slice, 3);
  await inference('64 ch × 161 window', fullModel);
  await inference('8 ch × 161 window', sliceModel);
  const w = await selectBackend(['wasm'], wasmDir);
  if (w.name === 'wasm') {
    await inference('64 ch × 161 window', fullModel);
    await inference('8 ch × 161 window', sliceModel);
  } else console.log(`wasm unavailable: ${w.rejected.map((r) => r.reason).join('; ')}`);
}

await main();
