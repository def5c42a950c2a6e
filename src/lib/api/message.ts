// The REST API carried as messages instead of HTTP: one structured-clone-able request in, one
// response out, answered by the same Hono app (same routes, limits and envelopes as fetch()).
// Answered by the service worker; asked by static/neurotab-api.js (the public same-origin client,
// dependency-free, so it restates the caller's side). Any thread; no I/O of its own.
import type { WireError as RpcWire } from '../core/rpc';
import { BackendError, type WireError } from './backend';
import { ExpHubFailure } from './exphub';
import { isApiPath } from './index';

export interface ApiRequestMessage {
  method: string;
  /** Absolute URL, or a path resolved against the answering origin. */
  url: string;
  headers: [string, string][];
  /** Bodies of GET and HEAD are ignored. */
  body: ArrayBuffer | null;
}

export interface ApiResponseMessage {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: ArrayBuffer;
}

type App = { fetch(req: Request): Response | Promise<Response> };

function errorMessage(status: number, code: string, message: string): ApiResponseMessage {
  const body = new TextEncoder().encode(JSON.stringify({ error: { code, message } })).buffer as ArrayBuffer;
  return { status, statusText: '', headers: [['content-type', 'application/json']], body };
}

/** Answers one message with `app`; never rejects (a malformed message gets a 400 in the message). */
export async function answerApiMessage(app: App, msg: unknown, origin: string): Promise<ApiResponseMessage> {
  let res: Response;
  try {
    const m = (msg ?? {}) as Partial<ApiRequestMessage>;
    const url = new URL(String(m.url), origin);
    if (url.origin !== origin || !isApiPath(url.pathname)) return errorMessage(404, 'NOT_FOUND', `Only the API paths are served over messages, not ${url.pathname}`);
    const method = typeof m.method === 'string' ? m.method.toUpperCase() : 'GET';
    const headers = Array.isArray(m.headers) ? m.headers : [];
    const body = method === 'GET' || method === 'HEAD' || !(m.body instanceof ArrayBuffer) || m.body.byteLength === 0 ? null : m.body;
    res = await app.fetch(new Request(url, { method, headers, body }));
  } catch (e) {
    return errorMessage(400, 'BAD_REQUEST', `Malformed API message: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { status: res.status, statusText: res.statusText, headers: [...res.headers], body: await res.arrayBuffer() };
}

async function answerWithId(app: App, msg: unknown, origin: string): Promise<ApiResponseMessage & { id: unknown }> {
  const res = await answerApiMessage(app, msg, origin);
  return { id: (msg as { id?: unknown } | null)?.id, ...res };
}

/** One call posted with its own reply port: answered there (with the call's `id`), then the port is closed. */
export async function answerOnPort(app: App, msg: unknown, origin: string, reply: MessagePort): Promise<void> {
  const res = await answerWithId(app, msg, origin);
  reply.postMessage(res, [res.body]);
  reply.close();
}

/** Ids of the callers' ports this thread serves (a restarted service worker serves none of the old ones). */
const servedPorts = new Set<string>();
const MAX_SERVED_PORTS = 4096;

/**
 * Serves calls `{id, …}` → `{id, …}` on a caller's long-lived port named `portId`; acknowledges it
 * first (API_PORT_READY).
 */
export function serveApiPort(app: App, origin: string, port: MessagePort, portId?: unknown): void {
  if (typeof portId === 'string' && portId !== '') {
    if (servedPorts.size >= MAX_SERVED_PORTS) servedPorts.delete(servedPorts.values().next().value!);
    servedPorts.add(portId);
  }
  port.onmessage = async (ev: MessageEvent) => {
    const res = await answerWithId(app, ev.data, origin);
    port.postMessage(res, [res.body]);
  };
  port.postMessage({ type: 'API_PORT_READY' });
}

/** Whether this thread serves the caller's port `portId` (API_PORT_CHECK). */
export function servesApiPort(portId: unknown): boolean {
  return typeof portId === 'string' && servedPorts.has(portId);
}

export function reviveApiError(w: RpcWire): Error {
  if (typeof w.code === 'string') return BackendError.fromWire(w as unknown as WireError);
  if (typeof w.status === 'number' && typeof w.detail === 'string') return new ExpHubFailure(w.status, w.detail);
  return Object.assign(new Error(w.message), w);
}
