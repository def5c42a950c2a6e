// worker_threads entry for the ring tests: runs one task from ring-threads.fixture.ts and posts the
// result. Node only (loaded with `--import tsx`); never bundled into the app.
import { parentPort, workerData } from 'node:worker_threads';
import { runTask, type RingWorkerTask } from './ring-threads.fixture';

runTask(workerData as RingWorkerTask, () => parentPort!.postMessage({ ready: true })).then(
  (result) => parentPort!.postMessage({ ok: true, result }),
  (e: unknown) => parentPort!.postMessage({ ok: false, error: String((e as Error)?.stack ?? e) }),
);
