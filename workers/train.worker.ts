// Training worker entry: runs the ExperimentHub (classic recipes and TensorFlow.js networks) off the
// main thread so the UI and the engine never stall. Thin wiring: backend choice, recordings from
// IndexedDB, saved runs in the Dexie `models` table, messages of src/lib/ml/tf/protocol.ts.
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { errorMessage } from '../src/lib/core/errors';
import { selectBackend } from '../src/lib/ml/tf/backend';
import { installFastCpuKernels } from '../src/lib/ml/tf/fast-kernels';
import { ExperimentHub, type RunRegistry, type SavedRun } from '../src/lib/ml/experiments/hub';
import { hubBackend } from '../src/lib/api/exphub';
import { servePort } from '../src/lib/core/rpc';
import type { DeepModel } from '../src/lib/ml/tf/train';
import type { RunReport, TrainEvent, TrainRequest } from '../src/lib/ml/tf/protocol';
import { openDb } from '../src/lib/storage/db';
import { loadRecordingData } from '../src/lib/storage/library';

const post = (e: TrainEvent) => self.postMessage(e);
const RUN_KIND = 'experiment-run';

/**
 * Saved runs live in the app's Dexie `models` table (id = run id, name = experiment name) rather than
 * tf.io 'indexeddb://': one versioned database for classic and deep models, listable and deletable
 * with the rest of the app's data, and the same JSON the API and files carry.
 */
const registry: RunRegistry = {
  async put(run) {
    await openDb().models.put({ id: run.runId, name: run.name, kind: `${RUN_KIND}:${run.type}`, createdAtMs: run.savedAtMs, state: run });
  },
  async get(runId) {
    const row = await openDb().models.get(runId);
    return row?.kind.startsWith(RUN_KIND) ? (row.state as SavedRun) : undefined;
  },
  async latest(name) {
    const rows = await openDb().models.where('name').equals(name).toArray();
    const runs = rows.filter((r) => r.kind.startsWith(RUN_KIND)).sort((a, b) => b.createdAtMs - a.createdAtMs);
    return runs[0]?.state as SavedRun | undefined;
  },
};

let backendName = 'cpu';

/** Switches the tfjs backend (between runs only); returns the backend in use afterwards. */
async function useBackend(name: string): Promise<string> {
  const tf = await import('@tensorflow/tfjs');
  try {
    // Single-threaded wasm: the threaded build spawns its own workers, which this worker does not need.
    if (name === 'wasm') tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (tf.getBackend() !== name) {
      const ok = await Promise.race([tf.setBackend(name), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
      if (!ok) throw new Error(`${name} did not initialise`);
    }
    await tf.ready();
  } catch {
    await tf.setBackend(backendName);
  }
  return tf.getBackend();
}

/** Wall-clock of a run and of the final model's training epochs (the figure the benchmark reports). */
const timers = new Map<string, { startMs: number; finalStartMs: number; finalEpochs: number; finalMs: number; totalMs: number }>();
const hub = new ExperimentHub({
  registry,
  loadRecording: (id) => loadRecordingData(openDb(), id),
  onEvent: (e) => {
    const t = timers.get(e.name);
    const now = performance.now();
    if (e.type === 'phase') {
      if (t && e.phase.phase === 'training-final') t.finalStartMs = now;
      post({ type: 'phase', name: e.name, phase: e.phase });
    } else if (e.type === 'epoch') {
      if (t && e.log.fold === null) {
        t.finalEpochs = e.log.epoch;
        t.finalMs = now - t.finalStartMs;
      }
      post({ type: 'epoch', name: e.name, log: e.log });
    }
    else if (e.type === 'failed') post({ type: 'failed', name: e.name, message: e.message, cancelled: e.cancelled });
    else if (e.type === 'finished') {
      if (t) t.totalMs = now - t.startMs;
      void finished(e.name);
    }
  },
});

async function finished(name: string): Promise<void> {
  try {
    await hub.save(name);
    const report = await reportOf(name, true);
    if (report) post({ type: 'finished', report });
  } catch (e) {
    post({ type: 'failed', name, message: errorMessage(e), cancelled: false });
  }
}

/** Report of the current run; with `timeInference`, measures one-window latency (100 windows). */
async function reportOf(name: string, timeInference: boolean): Promise<RunReport | null> {
  const st = hub.get(name);
  const run = st?.run;
  if (!run) return null;
  let inference: RunReport['inference'] = null;
  if (timeInference && (run.model as DeepModel).kind === 'neurotab.tf-model') {
    const tf = await import('../src/lib/ml/tf/train');
    // Online inference prefers wasm (XNNPACK; no GPU round trip per window), then the training backend.
    const inferBackend = await useBackend('wasm');
    const m = await tf.loadDeepModel(run.model as DeepModel);
    const C = m.meta.channelCount;
    const window = new Float32Array(C * m.meta.sampleCount).map((_, i) => Math.sin(i));
    const times: number[] = [];
    for (let i = 0; i < 110; i++) {
      const t0 = performance.now();
      tf.predictDeepWindow(m, window, C);
      if (i >= 10) times.push(performance.now() - t0);
    }
    m.dispose();
    await useBackend(backendName);
    times.sort((a, b) => a - b);
    inference = { p50Ms: times[Math.floor(times.length * 0.5)], p99Ms: times[Math.floor(times.length * 0.99)], windows: times.length, backend: inferBackend };
  }
  const t = timers.get(name);
  return {
    name,
    runId: run.runId,
    type: run.type,
    metrics: run.metrics,
    history: run.history,
    figures: run.figures,
    durationMs: t?.totalMs ?? 0,
    msPerEpoch: t && t.finalEpochs ? t.finalMs / t.finalEpochs : null,
    inference,
    // Classic recipes do not use TensorFlow.js: they run in float64 JavaScript in this worker.
    backend: (run.model as DeepModel).kind === 'neurotab.tf-model' ? (run.model as DeepModel).backend : 'float64 JS',
  };
}

self.addEventListener('message', (ev: MessageEvent<TrainRequest | { type: 'serve-exphub' }>) => {
  // The engine-host tab hands a port on which the REST API's /exphub family calls this hub.
  if (ev.data?.type === 'serve-exphub' && ev.ports[0]) {
    servePort(ev.ports[0], hubBackend(hub));
    return;
  }
  void handle(ev.data as TrainRequest).catch((e) => post({ type: 'error', message: errorMessage(e) }));
});

async function handle(m: TrainRequest): Promise<void> {
  switch (m.type) {
    case 'init': {
      installFastCpuKernels();
      // WASM has no training kernels (Conv2DBackpropFilter…): training takes webgpu, webgl, else cpu.
      const choice = await selectBackend(['webgpu', 'webgl', 'cpu'], { 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });
      backendName = choice.name;
      post({ type: 'ready', backend: choice.name, rejected: [...choice.rejected, { name: 'wasm', reason: 'no gradient kernels for convolutions (inference only)' }] });
      return;
    }
    case 'train': {
      const now = performance.now();
      timers.set(m.name, { startMs: now, finalStartMs: now, finalEpochs: 0, finalMs: 0, totalMs: 0 });
      const config = { ...m.config, data: { recordings: m.recordingIds } };
      try {
        hub.create(m.name, String(m.config.type ?? ''), config);
        hub.train(m.name, {});
      } catch (e) {
        post({ type: 'failed', name: m.name, message: errorMessage(e), cancelled: false });
      }
      return;
    }
    case 'stop':
      hub.stopTraining(m.name);
      return;
    case 'list':
      post({ type: 'experiments', experiments: await summaries() });
      return;
    case 'load': {
      const run = await hub.load(m.name, m.runId);
      post({ type: 'loaded', name: m.name, report: run ? await reportOf(m.name, false) : null });
      return;
    }
    case 'delete':
      hub.delete(m.name);
      await openDb().models.where('name').equals(m.name).delete();
      post({ type: 'experiments', experiments: await summaries() });
      return;
  }
}

async function summaries() {
  const rows = (await openDb().models.toArray()).filter((r) => r.kind.startsWith(RUN_KIND));
  const names = new Set([...hub.list().map((e) => e.name), ...rows.map((r) => r.name)]);
  return [...names].map((name) => {
    const st = hub.get(name);
    const saved = rows.filter((r) => r.name === name).sort((a, b) => b.createdAtMs - a.createdAtMs);
    return {
      name,
      type: st?.type ?? (saved[0]?.state as SavedRun | undefined)?.type ?? '',
      available: st?.available ?? false,
      training: st?.training ?? false,
      runId: st?.runId ?? null,
      lastError: st?.lastError ?? null,
      savedRuns: saved.map((r) => ({ runId: r.id, savedAtMs: r.createdAtMs })),
    };
  });
}

