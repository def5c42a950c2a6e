// Neurotab's REST API for pages of the Neurotab origin, over messages to the service worker.
// `apiFetch(path, init)` takes and returns what fetch() does (a Request-like input, a real
// Response) and reaches the same routes, limits and error envelopes as fetch('/np/…'), but skips
// the browser's fetch machinery: a call answered by the service worker costs ≈3 ms through fetch()
// in Chromium and a fraction of a millisecond as a message. Without a service worker (first visit,
// unsupported browser) it is plain fetch(). Usage, from any page or worker script on this origin:
//
//   import { apiFetch } from '/neurotab-api.js';
//   const res = await apiFetch('/np/executions', { method: 'POST', body: '{}' });
//
// Main thread of a same-origin page. No dependencies. One call is one message
// {type: 'API_REQUEST', id, method, url, headers: [[name, value]…], body: ArrayBuffer|null},
// answered with {id, status, statusText, headers, body}. Calls travel over a MessagePort the page
// hands the service worker ({type: 'API_PORT'}, acknowledged with {type: 'API_PORT_READY'}): a port
// message goes straight to the worker, where postMessage() to the worker itself is routed through
// the browser as an event. The port is renewed every few seconds of use, and a call that takes long
// posts {type: 'API_KEEPALIVE'} as it waits: those events keep the browser from stopping the worker
// as idle (30 s without events) while calls go through it. Until a port
// is ready (or with a worker too old to answer one) a call is posted to the worker with its own
// reply port.

const TIMEOUT_MS = 60_000;
/** A port older than this is replaced on the next call (the browser stops a worker idle for 30 s). */
const RENEW_MS = 10_000;
/**
 * While its replacement is not ready yet, an old port still serves if younger than this: its worker
 * cannot have been stopped as idle since (30 s after the event that created the port).
 */
const ALIVE_MS = 25_000;

/** @returns {ServiceWorker | null} */
function worker() {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return null;
  return navigator.serviceWorker.controller;
}

/** How calls travel from this page right now. @returns {'service-worker message' | 'fetch'} */
export function apiTransport() {
  return worker() ? 'service-worker message' : 'fetch';
}

/**
 * @typedef {{ sw: ServiceWorker, port: MessagePort, ready: boolean, bornMs: number, retired: boolean,
 *   pending: Map<number, { settle: (m: any) => void, fail: (e: unknown) => void }> }} Link
 */
/** @type {Link | null} */
let link = null;
let nextId = 1;

/** @param {Link} l */
function retire(l) {
  l.retired = true;
  if (l.pending.size === 0) l.port.close();
}

/**
 * The port to send a call on, renewing it when it is old or belongs to another worker; null while
 * no port is ready (the call then goes as its own event).
 * @param {ServiceWorker} sw
 * @returns {Link | null}
 */
function linkFor(sw) {
  const now = performance.now();
  if (link && link.sw === sw && now - link.bornMs < RENEW_MS) return link.ready ? link : null;
  const old = link;
  const { port1, port2 } = new MessageChannel();
  /** @type {Link} */
  const l = { sw, port: port1, ready: false, bornMs: now, retired: false, pending: new Map() };
  port1.onmessage = (ev) => {
    const m = ev.data;
    if (m && m.type === 'API_PORT_READY') {
      l.ready = true;
      if (old && !old.retired) retire(old);
      return;
    }
    const p = l.pending.get(m && m.id);
    if (!p) return;
    l.pending.delete(m.id);
    p.settle(m);
    if (l.retired && l.pending.size === 0) port1.close();
  };
  // The worker was stopped or replaced with calls in flight: they fail as a network error would.
  port1.addEventListener('close', () => {
    for (const p of l.pending.values()) p.fail(new TypeError("Neurotab's service worker stopped before answering; retry"));
    l.pending.clear();
    if (link === l) link = null;
  });
  sw.postMessage({ type: 'API_PORT' }, [port2]);
  link = l;
  // Until the new port is ready, the previous one serves if its worker is surely still running.
  if (old && old.sw === sw && old.ready && !old.retired && now - old.bornMs < ALIVE_MS) return old;
  if (old && !old.retired) retire(old);
  return null;
}

/**
 * Like fetch(input, init) for the API paths (/np, /bci/v1, /exphub, …) of this origin.
 * @param {RequestInfo | URL} input
 * @param {RequestInit} [init]
 * @returns {Promise<Response>}
 */
export async function apiFetch(input, init) {
  const sw = worker();
  if (!sw) return fetch(input, init);
  // The Request constructor resolves the URL and encodes any body (FormData boundary included).
  const req = new Request(input, init);
  const body = req.method === 'GET' || req.method === 'HEAD' ? null : await req.arrayBuffer();
  req.signal.throwIfAborted();
  const id = nextId++;
  const msg = { type: 'API_REQUEST', id, method: req.method, url: req.url, headers: [...req.headers], body };
  return new Promise((resolve, reject) => {
    const via = linkFor(sw);
    /** @type {MessagePort | null} */
    let own = null;
    // A port message is no event: during a long call, events keep the worker from being stopped as idle.
    const keepAlive = via ? setInterval(() => sw.postMessage({ type: 'API_KEEPALIVE' }), RENEW_MS) : undefined;
    const done = () => {
      clearTimeout(timer);
      clearInterval(keepAlive);
      req.signal.removeEventListener('abort', onAbort);
      if (own) own.close();
      else if (via) {
        via.pending.delete(id);
        if (via.retired && via.pending.size === 0) via.port.close();
      }
    };
    const fail = (/** @type {unknown} */ e) => {
      done();
      reject(e);
    };
    const settle = (/** @type {any} */ m) => {
      done();
      const empty = m.status === 204 || m.status === 205 || m.status === 304 || req.method === 'HEAD';
      resolve(new Response(empty ? null : m.body, { status: m.status, statusText: m.statusText, headers: m.headers }));
    };
    const onAbort = () => fail(req.signal.reason);
    const timer = setTimeout(() => fail(new TypeError(`Neurotab's service worker did not answer ${req.method} ${req.url} within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
    req.signal.addEventListener('abort', onAbort);
    const transfer = body ? [body] : [];
    if (via) {
      via.pending.set(id, { settle, fail });
      via.port.postMessage(msg, transfer);
    } else {
      const ch = new MessageChannel();
      own = ch.port1;
      own.onmessage = (ev) => settle(ev.data);
      sw.postMessage(msg, [ch.port2, ...transfer]);
    }
  });
}
