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
// hands the service worker ({type: 'API_PORT', portId}, acknowledged with {type: 'API_PORT_READY'}):
// a port message goes straight to the worker, where postMessage() to the worker itself is routed
// through the browser as an event. Until a port is ready (or with a worker too old to answer one) a
// call is posted to the worker with its own reply port.
// Lifetime: the browser stops a worker 30 s after its last event, and messages on a port are not
// events. So the port is renewed after 10 s of use (each renewal is an event), and a call that waits
// over 0.3 s asks the worker, as an event, whether it still holds the port
// ({type: 'API_PORT_CHECK', portId} → {alive}). A worker that was stopped and started again holds
// none: the port is dropped, its idempotent calls (GET, HEAD, PUT, DELETE, OPTIONS) are sent again
// as events, and the others fail as a network error would.
//
// Live endpoints (NeuraScale's /neurascale/ws, Instinct's sinks /instinct/_sinks/{port}): a service
// worker cannot intercept WebSockets, so `NeurotabWebSocket` is a drop-in WebSocket that reaches them
// over a MessagePort the service worker hands to the engine-host tab ({type: 'LIVE_CONNECT', url,
// headers} + port; the port protocol is src/lib/api/live-host.ts: host → page {t:'open'|'refused'|
// 'msg'|'close'}, page → host {t:'msg'|'ack'|'close'}; the page acknowledges what it has dispatched,
// so a page that stops handling messages is dropped by the endpoint rather than slowing it).
//
//   import { NeurotabWebSocket, installWebSocketShim } from '/neurotab-api.js';
//   const ws = new NeurotabWebSocket(`ws://${location.host}/instinct/_sinks/8088`);
//   installWebSocketShim();   // or: new WebSocket(…) routes live API URLs here, all others stay native

const TIMEOUT_MS = 60_000;
/** A port older than this is replaced on the next call. */
const RENEW_MS = 10_000;
/**
 * While its replacement is not ready yet, an old port still serves if younger than this: its worker
 * cannot have been stopped as idle since (30 s after the event that created the port).
 */
const ALIVE_MS = 25_000;
/** A call over a port unanswered for this long checks (and keeps alive) the port's worker, then again at this interval. */
const CHECK_MS = 300;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

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
 * @typedef {{ settle: (m: any) => void, lost: () => void }} Pending
 * @typedef {{ sw: ServiceWorker, id: string, port: MessagePort, ready: boolean, bornMs: number, retired: boolean,
 *   dead: boolean, checking: boolean, pending: Map<number, Pending> }} Link
 */
/** @type {Link | null} */
let link = null;
let nextId = 1;

/** @param {Link} l */
function retire(l) {
  l.retired = true;
  if (l.pending.size === 0) l.port.close();
}

/** The port's worker is gone: drop the port, resend or fail what was waiting on it. @param {Link} l */
function died(l) {
  if (l.dead) return;
  l.dead = true;
  if (link === l) link = null;
  const waiting = [...l.pending.values()];
  l.pending.clear();
  l.port.close();
  for (const p of waiting) p.lost();
}

/** Asks the worker (as an event, which also keeps it running) whether it still holds the port. @param {Link} l */
function check(l) {
  if (l.checking || l.dead) return;
  // A newer worker took over (an update): the old one may stop at any moment; its port is done.
  if (worker() !== l.sw) {
    died(l);
    return;
  }
  l.checking = true;
  const { port1, port2 } = new MessageChannel();
  port1.onmessage = (ev) => {
    port1.close();
    l.checking = false;
    if (ev.data && ev.data.alive === false) died(l);
  };
  l.sw.postMessage({ type: 'API_PORT_CHECK', portId: l.id }, [port2]);
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
  const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  /** @type {Link} */
  const l = { sw, id, port: port1, ready: false, bornMs: now, retired: false, dead: false, checking: false, pending: new Map() };
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
  // Where the browser reports a port whose other end went away.
  port1.addEventListener('close', () => died(l));
  sw.postMessage({ type: 'API_PORT', portId: id }, [port2]);
  link = l;
  // Until the new port is ready, the previous one serves if its worker is surely still running.
  if (old && old.sw === sw && old.ready && !old.retired && !old.dead && now - old.bornMs < ALIVE_MS) return old;
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
  // An event stream never ends: it needs fetch()'s streaming body, not one message with the whole body.
  if ((req.headers.get('accept') ?? '').includes('text/event-stream') || /\/events$/.test(new URL(req.url).pathname)) return fetch(req);
  const body = req.method === 'GET' || req.method === 'HEAD' ? null : await req.arrayBuffer();
  req.signal.throwIfAborted();
  const id = nextId++;
  const msg = { type: 'API_REQUEST', id, method: req.method, url: req.url, headers: [...req.headers], body };
  // An idempotent call may be sent twice (after its port died): its body is copied, not moved.
  const again = IDEMPOTENT.has(req.method);
  return new Promise((resolve, reject) => {
    /** @type {Link | null} */
    let via = null;
    /** @type {MessagePort | null} */
    let own = null;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    let watch;
    let done = false;
    const finish = () => {
      done = true;
      clearTimeout(timer);
      clearInterval(watch);
      req.signal.removeEventListener('abort', onAbort);
      if (own) own.close();
      if (via) {
        via.pending.delete(id);
        if (via.retired && via.pending.size === 0) via.port.close();
      }
    };
    const fail = (/** @type {unknown} */ e) => {
      if (done) return;
      finish();
      reject(e);
    };
    const settle = (/** @type {any} */ m) => {
      if (done) return;
      finish();
      const empty = m.status === 204 || m.status === 205 || m.status === 304 || req.method === 'HEAD';
      resolve(new Response(empty ? null : m.body, { status: m.status, statusText: m.statusText, headers: m.headers }));
    };
    const onAbort = () => fail(req.signal.reason);
    const timer = setTimeout(() => fail(new TypeError(`Neurotab's service worker did not answer ${req.method} ${req.url} within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
    req.signal.addEventListener('abort', onAbort);
    /** Posts the call to `target` as its own event, with a reply port. @param {ServiceWorker} target */
    const asEvent = (target) => {
      const ch = new MessageChannel();
      own = ch.port1;
      own.onmessage = (ev) => settle(ev.data);
      target.postMessage(msg, body && !again ? [ch.port2, body] : [ch.port2]);
    };
    via = linkFor(sw);
    if (!via) {
      asEvent(sw);
      return;
    }
    const l = via;
    l.pending.set(id, {
      settle,
      lost: () => {
        if (done) return;
        clearInterval(watch);
        via = null;
        const target = worker(); // the worker that controls the page now (an update may have replaced it)
        if (again && target) asEvent(target);
        else fail(new TypeError(`Neurotab's service worker stopped before answering ${req.method} ${req.url}; retry`));
      },
    });
    l.port.postMessage(msg, body && !again ? [body] : []);
    watch = setInterval(() => check(l), CHECK_MS);
  });
}

// ---------------------------------------------------------------------------------------------
// WebSocket shim for the live endpoints

/** Paths of live endpoints (any host): NeuraScale's socket and Instinct's sinks. */
const LIVE_PATHS = [/^\/neurascale\/ws(\/|$)/, /^\/instinct\/_sinks\/\d+$/];

/** @param {string | URL} url */
export function isLiveUrl(url) {
  try {
    const u = new URL(String(url), location.href);
    return /^(ws|wss|http|https):$/.test(u.protocol) && LIVE_PATHS.some((re) => re.test(u.pathname.replace(/\/{2,}/g, '/')));
  } catch {
    return false;
  }
}

/** @param {string | ArrayBuffer} data */
const liveSize = (data) => (typeof data === 'string' ? data.length : data.byteLength);

/**
 * A WebSocket (same events, readyState, send, close, binaryType, bufferedAmount) whose other end is
 * a live endpoint of the engine-host tab instead of a server.
 */
export class NeurotabWebSocket extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  CONNECTING = 0;
  OPEN = 1;
  CLOSING = 2;
  CLOSED = 3;

  /** @param {string | URL} url @param {string | string[]} [protocols] */
  constructor(url, protocols) {
    super();
    const u = new URL(String(url), location.href);
    if (u.protocol === 'http:') u.protocol = 'ws:';
    if (u.protocol === 'https:') u.protocol = 'wss:';
    /** @type {string} */
    this.url = u.href;
    this.protocol = Array.isArray(protocols) ? (protocols[0] ?? '') : (protocols ?? '');
    this.extensions = '';
    /** @type {BinaryType} */
    this.binaryType = 'blob';
    /** @type {number} */
    this.readyState = 0;
    /** Bytes given to send() and not yet handed to the port (Blobs being read). */
    this.bufferedAmount = 0;
    /** @type {((ev: Event) => void) | null} */ this.onopen = null;
    /** @type {((ev: MessageEvent) => void) | null} */ this.onmessage = null;
    /** @type {((ev: CloseEvent) => void) | null} */ this.onclose = null;
    /** @type {((ev: Event) => void) | null} */ this.onerror = null;
    for (const type of ['open', 'message', 'close', 'error']) this.addEventListener(type, (ev) => /** @type {any} */ (this)['on' + type]?.call(this, ev));
    /** @type {Promise<void>} sends stay in order while Blobs are read */
    this._sending = Promise.resolve();
    const { port1, port2 } = new MessageChannel();
    this._port = port1;
    port1.onmessage = (ev) => this._hostMessage(ev.data);
    port1.addEventListener('close', () => this._ended(1006, 'the engine host went away', false));
    const sw = worker();
    if (!sw) {
      queueMicrotask(() => this._ended(1006, 'No Neurotab service worker controls this page: open it from the Neurotab site (reload once after the first visit)', false));
      return;
    }
    sw.postMessage({ type: 'LIVE_CONNECT', url: u.pathname + u.search, headers: { origin: location.origin } }, [port2]);
  }

  /** @param {any} m */
  _hostMessage(m) {
    if (!m || typeof m !== 'object') return;
    if (m.t === 'open' && this.readyState === 0) {
      this.readyState = 1;
      this.dispatchEvent(new Event('open'));
    } else if (m.t === 'refused') this._ended(1006, `${m.status}: ${m.message}`, false);
    else if (m.t === 'msg' && this.readyState === 1) {
      const data = typeof m.data === 'string' || this.binaryType === 'arraybuffer' ? m.data : new Blob([m.data]);
      this.dispatchEvent(new MessageEvent('message', { data, origin: new URL(this.url).origin }));
      // Dispatched: the endpoint's backlog for this page shrinks.
      this._port.postMessage({ t: 'ack', size: liveSize(m.data) });
    } else if (m.t === 'close') this._ended(m.code, m.reason, true);
  }

  /** @param {number} code @param {string} reason @param {boolean} wasClean */
  _ended(code, reason, wasClean) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this._port.close();
    if (!wasClean) this.dispatchEvent(new Event('error'));
    this.dispatchEvent(new CloseEvent('close', { code, reason, wasClean }));
  }

  /** @param {string | ArrayBuffer | ArrayBufferView | Blob} data */
  send(data) {
    if (this.readyState === 0) throw new DOMException('send() before the connection is open', 'InvalidStateError');
    if (this.readyState !== 1) return;
    if (typeof data === 'string') {
      this._sending = this._sending.then(() => this._post(data));
      return;
    }
    const size = data instanceof Blob ? data.size : data.byteLength;
    this.bufferedAmount += size;
    const bytes =
      data instanceof Blob
        ? data.arrayBuffer()
        : Promise.resolve(data instanceof ArrayBuffer ? data.slice(0) : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    this._sending = this._sending.then(async () => {
      const buf = await bytes;
      this.bufferedAmount -= size;
      this._post(buf);
    });
  }

  /** @param {string | ArrayBuffer} data */
  _post(data) {
    if (this.readyState !== 1) return;
    this._port.postMessage({ t: 'msg', data }, typeof data === 'string' ? [] : [data]);
  }

  /** @param {number} [code] @param {string} [reason] */
  close(code = 1000, reason = '') {
    if (code !== 1000 && !(code >= 3000 && code <= 4999)) throw new DOMException(`close code must be 1000 or 3000–4999, not ${code}`, 'InvalidAccessError');
    if (this.readyState >= 2) return;
    const was = this.readyState;
    this.readyState = 2;
    if (was === 1) this._sending.then(() => this._port.postMessage({ t: 'close', code, reason }));
    queueMicrotask(() => this._ended(code, reason, was === 1));
  }
}

/** @type {typeof WebSocket | null} */
let nativeWebSocket = null;

/**
 * Patches window.WebSocket so that `new WebSocket(url)` for a live API URL (isLiveUrl) gives a
 * NeurotabWebSocket, and every other URL the browser's own WebSocket. Idempotent.
 */
export function installWebSocketShim() {
  if (nativeWebSocket) return;
  const Native = (nativeWebSocket = globalThis.WebSocket);
  /** @param {string | URL} url @param {string | string[]} [protocols] */
  function WebSocketShim(url, protocols) {
    return isLiveUrl(url) ? new NeurotabWebSocket(url, protocols) : new Native(url, protocols);
  }
  Object.assign(WebSocketShim, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  WebSocketShim.prototype = Native.prototype;
  globalThis.WebSocket = /** @type {any} */ (WebSocketShim);
}
