// The REST API inside the service worker: the Hono app of src/lib/api over a Backend that answers
// pipeline-store calls itself (IndexedDB) and forwards the rest to the engine-host tab through a
// MessagePort (core/rpc.ts). With no host tab the API answers 503 ENGINE_UNAVAILABLE in the
// family's envelope after a short wait — never a hang. Live connections (the page's socket shim,
// SSE responses) go to the host over the same port (LIVE_OPEN, live-host.ts): the page's shim talks
// to the host directly on the port it handed over; SSE is fed from a port this worker holds.
// Service-worker thread only. Holds the host port in memory; after the worker is restarted it asks
// the open tabs again (the lock holder answers).
/// <reference lib="webworker" />
import { self } from '$app/service-worker';
import { BackendError, createApi, instinctSystemRoutes, isApiPath as isApiRoute, type Backend, type ExperimentBackend, type InstinctSystemBackend, type NeuraScaleBackend, type StudiesBackend } from '../lib/api/index';
import type { LslBackend } from '../lib/api/lsl';
import { portConnector } from '../lib/api/live-client';
import type { KernelBackend } from '../lib/kernel/service';
import { connectPort, RpcClosedError, RpcTimeoutError, type RpcClient } from '../lib/core/rpc';
import { PipelineFiles } from '../lib/api/pipeline-files';
import { answerOnPort, reviveApiError, serveApiPort } from '../lib/api/message';
import type { LiveHostMessage } from '../lib/api/live-host';
import { nowMs } from '../lib/core/clock';
import { openDb } from '../lib/storage/db';
import { IndexedDbPipelineStore } from '../lib/storage/pipeline-store';

// An app tab that is still starting needs a moment to take the engine lock and announce itself.
const HOST_WAIT_MS = 3000;
const CALL_TIMEOUT_MS = 15_000;
const LIVENESS_CHECK_MS = 250;
/** A host that answered this recently is taken as alive without asking the browser. */
const FRESH_MS = 1000;
let lastAnsweredMs = -Infinity;

let host: RpcClient | null = null;
/** The port under `host`: live connections are opened on it (LIVE_OPEN). */
let hostPort: MessagePort | null = null;
/** The window client that owns `host`; a host whose page navigated away or closed is dead. */
let hostClientId: string | null = null;
const waiters: Array<() => void> = [];

/** A tab that holds the engine lock hands us its port. */
export function acceptEngineHost(port: MessagePort, clientId: string | null): void {
  // The previous port is not closed: calls in flight on it still complete; new calls use this one.
  host = connectPort(port, { timeoutMs: CALL_TIMEOUT_MS, reviveError: reviveApiError });
  hostPort = port;
  hostClientId = clientId;
  lastAnsweredMs = nowMs(); // it just spoke
  for (const w of waiters.splice(0)) w();
}

async function engineHost(): Promise<RpcClient | null> {
  if (host && !host.closed) return host;
  host = null;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  if (windows.length === 0) return null;
  const arrived = new Promise<void>((resolve) => {
    waiters.push(resolve);
    setTimeout(resolve, HOST_WAIT_MS);
  });
  for (const w of windows) w.postMessage({ type: 'ENGINE_HOST_WANTED' });
  await arrived;
  return host;
}

/** The host's page still exists (it may have closed or navigated without its port saying so). */
async function hostPageAlive(clientId: string | null): Promise<boolean> {
  return clientId === null || (await self.clients.get(clientId)) !== undefined;
}

const HOST_GONE = Symbol('host gone');

/**
 * One call on the host. Hot path: no IPC besides the call itself (asking the browser whether the
 * host page exists costs as much as the call). A call still pending after LIVENESS_CHECK_MS checks
 * it, and again at that interval, so a host that vanished silently is noticed within a fraction of
 * a second: the host is dropped and HOST_GONE returned.
 */
async function callHost(h: RpcClient, method: string, args: unknown[]): Promise<unknown> {
  const clientId = hostClientId;
  let timer: ReturnType<typeof setInterval> | undefined;
  const gone = new Promise<typeof HOST_GONE>((resolve) => {
    timer = setInterval(() => {
      void hostPageAlive(clientId).then((alive) => {
        if (!alive) resolve(HOST_GONE);
      });
    }, LIVENESS_CHECK_MS);
  });
  try {
    const r = await Promise.race([h.call(method, args), gone]);
    if (r === HOST_GONE && host === h) host = null;
    return r;
  } finally {
    clearInterval(timer);
  }
}

const UNAVAILABLE = 'No Neurotab tab is open to run the engine. Open Neurotab in a browser tab on this site, then retry.';

// Storage-only calls are answered here from IndexedDB: they work with no engine tab open.
const files = new PipelineFiles(new IndexedDbPipelineStore(openDb()));
const storageOnly: Partial<Backend> = {
  listPipelines: () => files.list(),
  readPipeline: (path) => files.read(path),
  writePipeline: (path, text) => files.write(path, text),
  deletePipeline: (path) => files.delete(path),
};

/**
 * A call on the engine host. A host that vanished (HOST_GONE, or a stale host whose page is gone)
 * is replaced once: its engine and the call went with it, so the call goes to the new host.
 */
async function callEngine(method: string, args: unknown[]): Promise<unknown> {
  for (let attempt = 0; attempt < 2; attempt++) {
    let h = await engineHost();
    // Between bursts, make sure of the host before using it (one IPC); within a burst, callHost's
    // slow-call check is enough.
    if (h && nowMs() - lastAnsweredMs > FRESH_MS && !(await hostPageAlive(hostClientId))) {
      if (host === h) host = null;
      h = await engineHost();
    }
    if (!h) throw new BackendError('ENGINE_UNAVAILABLE', UNAVAILABLE);
    try {
      const r = await callHost(h, method, args);
      if (r === HOST_GONE) continue;
      lastAnsweredMs = nowMs();
      return r;
    } catch (e) {
      if (e instanceof RpcTimeoutError || e instanceof RpcClosedError) {
        if (host === h) host = null;
        throw new BackendError('ENGINE_UNAVAILABLE', `The engine tab did not answer (${e.message}). Reload Neurotab and retry.`);
      }
      throw e;
    }
  }
  throw new BackendError('ENGINE_UNAVAILABLE', UNAVAILABLE);
}

const forwarding = new Proxy({} as Backend, {
  get(_t, method) {
    if (typeof method !== 'string' || method === 'then') return undefined;
    if (method in storageOnly) return storageOnly[method as keyof Backend];
    if (method === 'status') return () => callEngine('status', []).catch(() => ({ engine: 'down', reason: UNAVAILABLE }));
    return (...args: unknown[]) => callEngine(method, args);
  },
});

/** The host's port for a live connection, checked like a call's host (null: no tab hosts the engine). */
async function liveHostPort(): Promise<MessagePort | null> {
  let h = await engineHost();
  if (h && !(await hostPageAlive(hostClientId))) {
    if (host === h) host = null;
    h = await engineHost();
  }
  return h && host === h ? hostPort : null;
}

const live = portConnector(liveHostPort, UNAVAILABLE);

// The forwarding proxy relays any method, so it serves the ExperimentHub family's calls as well.
const app = createApi(forwarding, {
  experiments: forwarding as unknown as ExperimentBackend,
  neurascale: forwarding as unknown as NeuraScaleBackend,
  instinctSystem: instinctSystemRoutes(forwarding as unknown as InstinctSystemBackend),
  live,
  kernel: forwarding as unknown as KernelBackend,
  studies: forwarding as unknown as StudiesBackend,
  lsl: forwarding as unknown as LslBackend,
});

/**
 * A page's socket shim opens a live connection (static/neurotab-api.js, LIVE_CONNECT): its port goes
 * on to the engine host, which serves it directly; without a host the port is refused at once.
 */
export async function connectLive(msg: { url?: unknown; headers?: unknown }, port: MessagePort): Promise<void> {
  const hp = await liveHostPort();
  if (!hp) {
    port.postMessage({ t: 'refused', status: 503, message: UNAVAILABLE } satisfies LiveHostMessage);
    port.close();
    return;
  }
  const headers = msg.headers && typeof msg.headers === 'object' ? msg.headers : {};
  hp.postMessage({ type: 'LIVE_OPEN', url: String(msg.url ?? ''), headers, transport: 'websocket' }, [port]);
}

export function isApiPath(pathname: string): boolean {
  return isApiRoute(pathname);
}

export function handleApi(req: Request): Promise<Response> {
  return Promise.resolve(app.fetch(req));
}

/**
 * The same API over messages (static/neurotab-api.js): a same-origin page posts
 * `{type: 'API_REQUEST', id, method, url, headers, body}` and gets `{id, status, statusText, headers,
 * body}` back; the browser's fetch machinery (≈3 ms per call in Chromium) is skipped. Either one call
 * posted to this worker with its own reply port, or many calls over a port the page hands over
 * (API_PORT: a port message goes straight here, where a postMessage() to this worker is routed
 * through the browser as an event; API_PORT_CHECK asks whether this worker instance still serves a
 * port). Never rejects.
 */
export function answerApiRequest(msg: unknown, reply: MessagePort): Promise<void> {
  return answerOnPort(app, msg, self.location.origin, reply);
}

export function acceptApiPort(port: MessagePort, portId: unknown): void {
  serveApiPort(app, self.location.origin, port, portId);
}
