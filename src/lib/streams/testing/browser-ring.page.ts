// Browser page script for ring.browser.spec.ts (bundled by the test, never by the app): runs the
// cross-thread ring scenarios with real browser Workers and leaves a report in window.__ringResult.
// "shared" mode needs a cross-origin isolated page; "transfer" mode runs on a page that is not.
import { Ring, RingReader, TransferRingReader, sharedMemoryAvailable, type RingPort } from '../ring';
import { readAndVerify, type ReaderReport, type RingWorkerTask } from './ring-threads.fixture';

interface Spawned {
  ready: Promise<void>;
  result: Promise<any>;
}

function spawn(task: RingWorkerTask, transfer: Transferable[] = []): Spawned {
  const w = new Worker(new URL('./worker.js', location.href), { type: 'module' });
  let onReady!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const result = new Promise((resolve, reject) => {
    w.onmessage = (e: MessageEvent) => {
      const m = e.data as { ready?: boolean; ok?: boolean; result?: unknown; error?: string };
      if (m.ready) onReady();
      else if (m.ok) resolve(m.result);
      else reject(new Error(m.error));
    };
    w.onerror = (e) => reject(new Error(`worker error: ${e.message}`));
  });
  w.postMessage(task, transfer);
  return { ready, result };
}

async function shared(): Promise<unknown> {
  const keepUp = Ring.create({ channels: 16, capacityFrames: 1024, shared: true });
  const acks = new Int32Array(new SharedArrayBuffer(8));
  const total = 200_000;
  const buffer = keepUp.buffer as SharedArrayBuffer;
  const other = spawn({ role: 'reader', buffer, job: { batchFrames: 64, acks, ackSlot: 1, from: 'oldest' } });
  await other.ready;
  const mainReader = new RingReader(keepUp, { from: 'oldest' });
  const writer = spawn({ role: 'writer', buffer, job: { totalFrames: total, maxChunkFrames: 100, acks, lagFrames: 900 } });
  const page = await readAndVerify(mainReader, { batchFrames: 50, acks, ackSlot: 0 });
  const [{ written }, worker] = await Promise.all([writer.result, other.result]);

  const small = Ring.create({ channels: 64, capacityFrames: 64, shared: true });
  const sb = small.buffer as SharedArrayBuffer;
  const slow = spawn({ role: 'reader', buffer: sb, job: { batchFrames: 16, pauseMs: 1, from: 'oldest' } });
  const racing = spawn({ role: 'reader', buffer: sb, job: { batchFrames: 64, from: 'oldest' } });
  await Promise.all([slow.ready, racing.ready]);
  const lossy = await spawn({ role: 'writer', buffer: sb, job: { totalFrames: 100_000, maxChunkFrames: 48 } }).result;
  const [slowReport, racingReport] = (await Promise.all([slow.result, racing.result])) as ReaderReport[];
  return {
    crossOriginIsolated,
    keepUp: { written, page, worker },
    lossy: { written: lossy.written, slow: slowReport, racing: racingReport },
  };
}

async function transfer(): Promise<unknown> {
  const { port1, port2 } = new MessageChannel();
  const reader = new TransferRingReader(port2 as RingPort, { channels: 8, capacityFrames: 4096, from: 'now' });
  const writer = spawn({ role: 'transfer-writer', port: port1 as RingPort, channels: 8, job: { totalFrames: 20_000, maxChunkFrames: 64 } }, [port1]);
  const report = await readAndVerify(reader, { batchFrames: 64 });
  const { written } = await writer.result;
  return { crossOriginIsolated, sharedMemory: sharedMemoryAvailable(), localRingShared: reader.ring.isShared, written, report };
}

const mode = new URLSearchParams(location.search).get('mode');
(mode === 'shared' ? shared() : transfer()).then(
  (r) => ((window as unknown as { __ringResult: unknown }).__ringResult = { ok: true, result: r }),
  (e: unknown) => ((window as unknown as { __ringResult: unknown }).__ringResult = { ok: false, error: String((e as Error)?.stack ?? e) }),
);
