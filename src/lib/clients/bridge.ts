// The tab's end of the local bridge, main thread: connects this tab to `npm run neurotab -- bridge`.
// The engine-host tab opens the socket in its API worker (api/bridge.ts serveBridgeInWorker), which
// answers with the same Hono app (no main-thread hop); any other tab opens it here and goes through
// the service worker with static/neurotab-api.js (answers exactly as fetch() from any same-origin
// page). No Svelte. Must not send the token anywhere but the bridge on 127.0.0.1.
import { openBridgeSocket, performRelayed, type ApiFetch, type BridgeConnection, type BridgeEvents, type BridgeWorkerEvent } from '../api/bridge';
import { portClient, type LiveConnector } from '../api/live-client';

export type { BridgeConnection, BridgeConnectionState } from '../api/bridge';
// The worker's end and the wire, for callers that run both ends together (cli/bridge/relay.spec.ts).
export { serveBridgeInWorker, type BridgeRequest, type BridgeResponse } from '../api/bridge';

/** The bridge's default port (NeuroPype's). */
export const BRIDGE_DEFAULT_PORT = 6937;

export interface BridgeCallbacks extends BridgeEvents {
  engineHost?: () => boolean;
  /**
   * When this tab hosts the engine: opens the socket in the thread that answers the API (its API
   * worker), so a relayed request never crosses to the main thread (see `serveBridgeInWorker`).
   */
  hostBridge?: () => BridgeOpener | null;
}

/** Opens a connection somewhere else (a worker) and reports its events here. */
export type BridgeOpener = (port: number, token: string, events: BridgeEvents) => BridgeConnection;

let apiFetchLoaded: Promise<ApiFetch> | null = null;
/**
 * The API over service-worker messages (static/neurotab-api.js, the public same-origin client):
 * the same answers as fetch() without the browser's ≈3 ms fetch machinery per call.
 */
function loadApiFetch(origin: string): Promise<ApiFetch> {
  apiFetchLoaded ??= import(/* @vite-ignore */ `${origin}/neurotab-api.js`).then(
    (m: { apiFetch: ApiFetch }) => m.apiFetch,
    () => fetch, // an older deployment without the client: plain fetch reaches the same API
  );
  return apiFetchLoaded;
}

/** Validates a port typed by the user or taken from `?bridge=`. */
export function parseBridgePort(raw: string | null | undefined): number | null {
  if (raw === null || raw === undefined || !/^\d{1,5}$/.test(raw.trim())) return null;
  const p = Number(raw.trim());
  return p >= 1 && p <= 65535 ? p : null;
}

/**
 * Main thread: connects this tab to the bridge. The engine host opens the socket in its API worker
 * (`cb.hostBridge`); another tab relays through its service worker with /neurotab-api.js.
 */
export function connectBridge(port: number, token: string, cb: BridgeCallbacks): BridgeConnection {
  const events: BridgeEvents = { onState: cb.onState, onRelay: cb.onRelay };
  const inHost = cb.hostBridge?.() ?? null;
  if (inHost) return inHost(port, token, events);
  const origin = location.origin;
  return openBridgeSocket(port, token, {
    ...events,
    engineHost: cb.engineHost?.() ?? false,
    live: serviceWorkerLive(),
    // Without a controlling service worker, fetch() would reach the static server, not the API.
    // Event streams go by fetch() (the message client answers whole bodies only).
    answer: (msg) =>
      navigator.serviceWorker?.controller
        ? (/text\/event-stream/.test(msg.headers.accept ?? '') || /\/events$/.test(msg.path.split('?')[0]) ? Promise.resolve(fetch) : loadApiFetch(origin)).then((send) => performRelayed(msg, origin, send))
        : Promise.resolve({
            type: 'response',
            id: msg.id,
            status: 503,
            headers: { 'content-type': 'application/json', 'retry-after': '1' },
            body: JSON.stringify({ error: { code: 'ENGINE_UNAVAILABLE', message: 'The paired Neurotab tab is not yet served by its service worker; wait until it shows "Offline-ready" (or reload it), then retry' } }),
          }),
  });
}

/**
 * Live endpoints reached through this page's service worker (a tab that does not host the engine):
 * the service worker hands the connection's port to the engine host (LIVE_CONNECT).
 */
function serviceWorkerLive(): LiveConnector {
  return {
    async open(url, headers, _transport, events) {
      const sw = navigator.serviceWorker?.controller;
      if (!sw) return { ok: false, status: 503, message: 'This tab is not served by its service worker yet; reload it' };
      const ch = new MessageChannel();
      sw.postMessage({ type: 'LIVE_CONNECT', url, headers }, [ch.port2]);
      return portClient(ch.port1, events);
    },
    async deliver() {
      return false;
    },
  };
}
/** Main thread: a `BridgeOpener` that opens the socket in `worker` (which runs `serveBridgeInWorker`). */
export function bridgeThroughWorker(worker: Worker): BridgeOpener {
  return (port, token, events) => {
    const link = new MessageChannel();
    link.port1.onmessage = (ev: MessageEvent<BridgeWorkerEvent>) => {
      const m = ev.data;
      if (m?.type === 'state') events.onState(m.state, m.detail);
      else if (m?.type === 'relay') events.onRelay?.(m.count, m.last);
    };
    worker.postMessage({ type: 'bridge', port, token }, [link.port2]);
    return {
      port,
      close() {
        link.port1.postMessage({ type: 'close' });
      },
    };
  };
}
