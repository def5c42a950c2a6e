// Browser dedicated-worker entry for ring.browser.spec.ts (bundled by the test, never by the app):
// runs one ring-threads.fixture task sent by the page and posts the result back.
import { runTask, type RingWorkerTask } from './ring-threads.fixture';

const scope = globalThis as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: unknown): void };
scope.onmessage = (e: MessageEvent) => {
  runTask(e.data as RingWorkerTask, () => scope.postMessage({ ready: true })).then(
    (result) => scope.postMessage({ ok: true, result }),
    (err: unknown) => scope.postMessage({ ok: false, error: String((err as Error)?.stack ?? err) }),
  );
};
