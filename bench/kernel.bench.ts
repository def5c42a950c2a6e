// Kernel jobs: time per job in Node (qc_eeg on S001R04 and on a synthetic one-hour 64-channel 160 Hz
// recording, analysis_nirs_glm on neuro_run01), the same qc_eeg job in Chromium (main thread of a
// page, esbuild bundle), and BullMQ batch throughput over a private redis-server with 1 and 2
// `neurotab kernel worker` processes (speed-up) and the queue's overhead per job against running the
// same 20 jobs in one process. Figures are noisy on a shared 2-core machine. Prints; asserts nothing.
// Run: npx tsx bench/kernel.bench.ts [--quick]   (--quick skips the one-hour recording)
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { launch, serveApp } from '../tests/e2e/harness';
import { bidsFolder, sharedDataset } from '../tests/kernel/support';
import { startRedis } from '../tests/kernel/redis';
import { sharedPath } from '../tests/support/shared';
import { startKernelServer } from '../cli/commands/kernel';
import { folderStudy } from '../cli/kernel/stores';
import { Prng } from '../src/lib/devices/drivers/synthetic/generator';
import { MemoryOutputStore } from '../src/lib/kernel/outputs';
import { analysisNirsGlm } from '../src/lib/kernel/pipelines/nirs';
import { qcEeg } from '../src/lib/kernel/pipelines/qc-eeg';
import { runJob } from '../src/lib/kernel/service';
import type { DatasetInput } from '../src/lib/kernel/model';
import type { PipelineContext } from '../src/lib/kernel/pipeline';

const quick = process.argv.includes('--quick');
const ctx: PipelineContext = { jobId: 'bench', params: {}, progress: () => {}, ensureSpace: async () => {}, nowMs: Date.now() };
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const time = async (fn: () => Promise<unknown>, n: number) => {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
};

console.log(`kernel.bench: Node ${process.version}; figures are noisy (2 shared cores)`);

// --- Time per job in Node -------------------------------------------------------------------
const eeg = await sharedDataset('edf/S001R04.edf');
console.log(`qc_eeg, S001R04 (64 ch × 160 Hz × 125 s): ${(await time(() => qcEeg(eeg, ctx), 5)).toFixed(1)} ms per job (median of 5, recording already read)`);
const nirs = await sharedDataset('snirf/neuro_run01.snirf');
console.log(`analysis_nirs_glm, neuro_run01 (18 ch × 20 Hz × 399 s, full Hb chain + AR(1) GLM + report): ${(await time(() => analysisNirsGlm(nirs, ctx), 3)).toFixed(1)} ms per job (median of 3)`);
if (!quick) {
  const fs = 160;
  const n = 3600 * fs;
  const C = 64;
  const rng = new Prng(17);
  const samples = new Float32Array(n * C);
  for (let t = 0; t < n; t++) for (let c = 0; c < C; c++) samples[t * C + c] = 20 * Math.sin((2 * Math.PI * 10 * t) / fs + c) + 5 * Math.sin((2 * Math.PI * 50 * t) / fs) + 15 * (rng.uniform() - 0.5);
  const hour: DatasetInput = {
    dataset: { ...eeg.dataset, name: 'synthetic one hour' },
    recording: { meta: { sourceFormat: 'neurotab' }, markers: [], streams: [{ descriptor: { id: 'eeg', name: 'eeg', kind: 'eeg', sampleRateHz: fs, channels: Array.from({ length: C }, (_, c) => ({ label: `E${c + 1}`, unit: 'uV', type: 'EEG' })) }, samples, timestampsMs: Float64Array.from({ length: n }, (_, t) => (t * 1000) / fs) }] },
  };
  console.log(`qc_eeg, synthetic one hour (64 ch × 160 Hz × 3600 s): ${((await time(() => qcEeg(hour, ctx), 1)) / 1000).toFixed(2)} s per job (one run)`);
}

// --- The same job in Chromium ----------------------------------------------------------------
{
  const dir = mkdtempSync(join(tmpdir(), 'ntk-bench-'));
  try {
    await build({ entryPoints: { page: 'bench/kernel/browser-page.ts' }, bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outdir: dir, logLevel: 'warning' });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>kernel</title><script type="module" src="/page.js"></script>');
    copyFileSync(sharedPath('data', 'edf/S001R04.edf'), join(dir, 'S001R04.edf'));
    const server = await serveApp({ dir });
    const browser = await launch();
    try {
      const page = await browser.newPage();
      page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
      await page.goto(server.url);
      await page.waitForFunction('typeof globalThis.runKernelJob === "function"');
      const r = (await page.evaluate(`globalThis.runKernelJob('qc_eeg', 'S001R04.edf', 5)`)) as { ms: number[]; status: string };
      const studies = (await folderStudy(bidsFolder([['sub-01/eeg/a.edf', 'edf/S001R04.edf']]))).store;
      const [id] = (await studies.listDatasets((await studies.listStudies())[0].id)).map((d) => d.id);
      const nodeMs = await time(() => runJob({ id: '0187f1d4-e5f6-7071-8293-a4b5c6d7e8f9', template: 'qc_eeg', datasetId: id, params: {} }, { studies, outputs: new MemoryOutputStore() }), 5);
      console.log(`qc_eeg job incl. reading the EDF, in-tab (Chromium ${browser.version()}, page main thread): ${median(r.ms).toFixed(1)} ms (${r.status}); Node: ${nodeMs.toFixed(1)} ms; tab/Node ${(median(r.ms) / nodeMs).toFixed(2)}`);
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- BullMQ throughput -------------------------------------------------------------------------
const JOBS = 20;
const data = bidsFolder(Array.from({ length: JOBS }, (_, i) => [`sub-${String(i + 1).padStart(2, '0')}/eeg/sub-${i + 1}_eeg.edf`, ['edf/S001R04.edf', 'edf/S001R08.edf', 'edf/S001R12.edf'][i % 3]] as [string, string]));

function spawnWorker(redis: string, outputs: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/neurotab.ts', 'kernel', 'worker', '--redis', redis, '--data', data, '--outputs', outputs], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((ok) => child.stdout!.on('data', (b: Buffer) => b.toString().includes('Kernel worker on') && ok(child)));
}

async function batchSeconds(workers: number): Promise<number> {
  const redis = await startRedis();
  const outputs = mkdtempSync(join(tmpdir(), 'ntk-bench-out-'));
  const server = await startKernelServer({ data, outputs, port: 0, host: '127.0.0.1', redis: redis.url });
  const procs = await Promise.all(Array.from({ length: workers }, () => spawnWorker(redis.url, outputs)));
  try {
    const api = (p: string, init?: RequestInit) => fetch(`${server.url}/api/v1/study/${server.alias}${p}`, init).then((r) => r.json());
    const ids = (await api('/datasets')).datasets.map((d: { id: string }) => d.id);
    const t0 = performance.now();
    const b = await api('/pipeline/qc_eeg/batch', { method: 'POST', body: JSON.stringify({ dataset_ids: ids }) });
    while ((await api(`/pipeline/qc_eeg/batch/${b.batch_job_id}/status`)).status !== 'SUCCEEDED') await new Promise((r) => setTimeout(r, 20));
    return (performance.now() - t0) / 1000;
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await server.close();
    await redis.dispose();
    rmSync(outputs, { recursive: true, force: true });
  }
}

{
  const { store } = await folderStudy(data);
  const ids = (await store.listDatasets((await store.listStudies())[0].id)).map((d) => d.id);
  const t0 = performance.now();
  for (const id of ids) await runJob({ id: '0187f1d4-e5f6-7071-8293-a4b5c6d7e8f9', template: 'qc_eeg', datasetId: id, params: {} }, { studies: store, outputs: new MemoryOutputStore() });
  const direct = (performance.now() - t0) / 1000;
  const one = await batchSeconds(1);
  const two = await batchSeconds(2);
  console.log(`BullMQ batch of ${JOBS} qc_eeg jobs (EDF read from disk, outputs written): 1 worker process ${one.toFixed(2)} s (${(JOBS / one).toFixed(1)} jobs/s), 2 worker processes ${two.toFixed(2)} s (${(JOBS / two).toFixed(1)} jobs/s), speed-up ${(one / two).toFixed(2)}×`);
  console.log(`queue overhead per job: ${(((one - direct) / JOBS) * 1000).toFixed(1)} ms (1 worker: ${one.toFixed(2)} s against ${direct.toFixed(2)} s for the same jobs one after another in one process, outputs in memory, polling every 20 ms)`);
}
rmSync(data, { recursive: true, force: true });
process.exit(0);
