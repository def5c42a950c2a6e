// Engine host election: the tab that holds the Web Lock "neurotab-engine" serves the service
// worker's API calls (a MessagePort per service-worker instance). When it closes, the lock passes
// to another open tab, which announces itself. Main thread only; no Svelte.
import { ENGINE_LOCK } from '../core/locks';

export interface EngineHostHandle {
  /** Resolves when this tab has become the host. */
  readonly hosting: Promise<void>;
  readonly isHost: boolean;
}

/**
 * Waits for the engine lock (queued behind the current host), then hands the service worker a
 * port whose other end `serve` connects to the backend (in the API engine worker), again whenever
 * the service worker asks (it restarted) or changes (update).
 */
export function becomeEngineHost(serve: (port: MessagePort) => void): EngineHostHandle {
  let isHost = false;
  let becameHost!: () => void;
  const hosting = new Promise<void>((r) => (becameHost = r));
  if (!('serviceWorker' in navigator) || !('locks' in navigator)) return { hosting, isHost };
  void navigator.locks.request(ENGINE_LOCK, async () => {
    const announce = async () => {
      // The active worker, even when this page is not controlled (first visit, hard reload).
      const worker = navigator.serviceWorker.controller ?? (await navigator.serviceWorker.ready).active;
      if (!worker) return;
      const { port1, port2 } = new MessageChannel();
      serve(port1);
      worker.postMessage({ type: 'ENGINE_HOST' }, [port2]);
    };
    navigator.serviceWorker.addEventListener('message', (ev) => {
      if ((ev.data as { type?: string } | null)?.type === 'ENGINE_HOST_WANTED') void announce();
    });
    navigator.serviceWorker.addEventListener('controllerchange', () => void announce());
    await announce();
    isHost = true;
    becameHost();
    // Hold the lock for the life of the tab.
    await new Promise(() => {});
  });
  return {
    hosting,
    get isHost() {
      return isHost;
    },
  };
}
