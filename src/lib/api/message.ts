// The REST API carried as messages instead of HTTP: one structured-clone-able request in, one
// response out, answered by the same Hono app (same routes, limits and envelopes as fetch()).
// Used by the service worker (static/neurotab-api.js posts to it) and by the API engine worker
// (the engine-host tab relays bridge requests straight to it). Any thread; no I/O of its own.
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

function errorMessage(status: number, code: string, message: string): ApiResponseMessage {
  const body = new TextEncoder().encode(JSON.stringify({ error: { code, message } })).buffer as ArrayBuffer;
  return { status, statusText: '', headers: [['content-type', 'application/json']], body };
}

/** Answers one message with `app`; never rejects (a malformed message gets a 400 in the message). */
export async function answerApiMessage(app: { fetch(req: Request): Response | Promise<Response> }, msg: unknown, origin: string): Promise<ApiResponseMessage> {
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

/** The caller's side: a message answer as a Response (no body where HTTP allows none). */
export function responseFromMessage(m: ApiResponseMessage, method: string): Response {
  const empty = m.status === 204 || m.status === 205 || m.status === 304 || method === 'HEAD';
  return new Response(empty ? null : m.body, { status: m.status, statusText: m.statusText, headers: m.headers });
}

/** The caller's side: a fetch()-style request as a message (the Request constructor encodes any body). */
export async function messageFromRequest(input: RequestInfo | URL, init?: RequestInit): Promise<ApiRequestMessage> {
  const req = new Request(input, init);
  const body = req.method === 'GET' || req.method === 'HEAD' ? null : await req.arrayBuffer();
  return { method: req.method, url: req.url, headers: [...req.headers], body };
}

/** Rebuilds the API's typed errors from their RPC wire form (a backend in another thread). */
export function reviveApiError(w: RpcWire): Error {
  if (typeof w.code === 'string') return BackendError.fromWire(w as unknown as WireError);
  if (typeof w.status === 'number' && typeof w.detail === 'string') return new ExpHubFailure(w.status, w.detail);
  return Object.assign(new Error(w.message), w);
}
