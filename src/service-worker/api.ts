// The REST API inside the service worker: the Hono app of src/lib/api over a Backend that answers
// pipeline-store calls itself (IndexedDB) and forwards the rest to the engine-host tab through a
// MessagePort (core/rpc.ts). With no host tab the API answers 503 ENGINE_UNAVAILABLE in the
// family's envelope after a short wait — never a hang.
// Service-worker thread only. Holds the host port in memory; after the worker is restarted it asks
// the open tabs again (the lock holder answers).
/// <reference lib="webworker" />
import { self } from '$app/service-worker';
import { BackendError, createApi, ExpHubFailure, isApiPath as isApiRoute, type Backend, type ExperimentBackend, type WireError } from '../lib/api/index';
import { connectPort, RpcClosedError, RpcTimeoutError, type RpcClient, type WireError as RpcWire } from '../lib/core/rpc';
import { PipelineFiles } from '../lib/api/pipeline-files';
import { openDb } from '../lib/storage/db';
import { IndexedDbPipelineStore } from '../lib/storage/pipeline-store';

// An app tab that is still starting needs a moment to take the engine lock and announce itself.
const HOST_WAIT_MS = 3000;
const CALL_TIMEOUT_MS = 15_000;

let host: RpcClient | null = null;
/** The window client that owns `host`; a host whose page navigated away or closed is dead. */
let hostClientId: string | null = null;
const waiters: Array<() => void> = [];

function reviveError(w: RpcWire): Error {
  if (typeof w.code === 'string') return BackendError.fromWire(w as unknown as WireError);
  if (typeof w.status === 'number' && typeof w.detail === 'string') return new ExpHubFailure(w.status, w.detail);
  return Object.assign(new Error(w.message), w);
}

/** A tab that holds the engine lock hands us its port. */
export function acceptEngineHost(port: MessagePort, clientId: string | null): void {
  // The previous port is not closed: calls in flight on it still complete; new calls use this one.
  host = connectPort(port, { timeoutMs: CALL_TIMEOUT_MS, reviveError });
  hostClientId = clientId;
  for (const w of waiters.splice(0)) w();
}

async function engineHost(): Promise<RpcClient | null> {
  if (host && !host.closed && (hostClientId === null || (await self.clients.get(hostClientId)))) return host;
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

const UNAVAILABLE = 'No Neurotab tab is open to run the engine. Open Neurotab in a browser tab on this site, then retry.';

// Storage-only calls are answered here from IndexedDB: they work with no engine tab open.
const files = new PipelineFiles(new IndexedDbPipelineStore(openDb()));
const storageOnly: Partial<Backend> = {
  listPipelines: () => files.list(),
  readPipeline: (path) => files.read(path),
  writePipeline: (path, text) => files.write(path, text),
  deletePipeline: (path) => files.delete(path),
};

const forwarding = new Proxy({} as Backend, {
  get(_t, method) {
    if (typeof method !== 'string' || method === 'then') return undefined;
    if (method in storageOnly) return storageOnly[method as keyof Backend];
    return async (...args: unknown[]) => {
      const h = await engineHost();
      if (method === 'status') return h ? h.call('status', []).catch(() => ({ engine: 'down', reason: UNAVAILABLE })) : { engine: 'down', reason: UNAVAILABLE };
      if (!h) throw new BackendError('ENGINE_UNAVAILABLE', UNAVAILABLE);
      try {
        return await h.call(method, args);
      } catch (e) {
        if (e instanceof RpcTimeoutError || e instanceof RpcClosedError) {
          if (host === h) host = null;
          throw new BackendError('ENGINE_UNAVAILABLE', `The engine tab did not answer (${e.message}). Reload Neurotab and retry.`);
        }
        throw e;
      }
    };
  },
});

// The forwarding proxy relays any method, so it serves the ExperimentHub family's calls as well.
const app = createApi(forwarding, { experiments: forwarding as unknown as ExperimentBackend });

export function isApiPath(pathname: string): boolean {
  return isApiRoute(pathname);
}

export function handleApi(req: Request): Promise<Response> {
  return Promise.resolve(app.fetch(req));
}
