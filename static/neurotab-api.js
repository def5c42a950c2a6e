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
// Main thread of a same-origin page. No dependencies; the protocol is one message per call:
// {type: 'API_REQUEST', method, url, headers: [[name, value]…], body: ArrayBuffer|null} posted to
// the active service worker with a reply port, answered with {status, statusText, headers, body}.

const TIMEOUT_MS = 60_000;

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
  return new Promise((resolve, reject) => {
    const { port1, port2 } = new MessageChannel();
    const settle = () => {
      clearTimeout(timer);
      req.signal.removeEventListener('abort', onAbort);
      port1.close();
    };
    const onAbort = () => {
      settle();
      reject(req.signal.reason);
    };
    const timer = setTimeout(() => {
      settle();
      reject(new TypeError(`Neurotab's service worker did not answer ${req.method} ${req.url} within ${TIMEOUT_MS / 1000} s`));
    }, TIMEOUT_MS);
    req.signal.addEventListener('abort', onAbort);
    port1.onmessage = (ev) => {
      settle();
      const m = ev.data;
      const empty = m.status === 204 || m.status === 205 || m.status === 304 || req.method === 'HEAD';
      resolve(new Response(empty ? null : m.body, { status: m.status, statusText: m.statusText, headers: m.headers }));
    };
    const msg = { type: 'API_REQUEST', method: req.method, url: req.url, headers: [...req.headers], body };
    sw.postMessage(msg, body ? [port2, body] : [port2]);
  });
}
