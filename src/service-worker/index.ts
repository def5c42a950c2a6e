/// <reference lib="webworker" />
// Neurotab's service worker: (1) adds the cross-origin isolation headers to everything it serves,
// (2) precaches the built app so it works offline, (3) routes the REST API (Hono) and forwards
// engine calls to the engine-host tab. It is a router, never the engine: no timers, no state that
// must survive its termination (IndexedDB holds what must).
import { self } from '$app/service-worker';
import { immutable, assets } from '$app/manifest';
import { version } from '$app/env';
import { withIsolationHeaders } from './isolation';
import { handleApi, isApiPath, acceptEngineHost, answerApiRequest, acceptApiPort, connectLive } from './api';
import { servesApiPort } from '../lib/api/message';

const CACHE = `neurotab-${version}`;
// The app shell ("/" serves index.html through the static fallback) plus every built and static file.
const PRECACHE = ['/', ...immutable.map((f) => `/${f.path}`.replace(/^\/+/, '/')), ...assets.map((f) => `/${f.path}`.replace(/^\/+/, '/'))];

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // Plus what workers import (written at build time: $app/manifest does not list those).
      const extra = await fetch('/_app/precache.json', { cache: 'no-store' })
        .then((r) => (r.ok ? (r.json() as Promise<string[]>) : []))
        .catch(() => [] as string[]);
      await cache.addAll([...new Set([...PRECACHE, ...extra])]);
      // First install: take over at once (nothing older is running). Updates wait for the page's
      // consent (the page shows "a new version is ready" and posts SKIP_WAITING).
      if (!self.registration.active) await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE && key.startsWith('neurotab-')) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  const data = event.data as { type?: string } | null;
  if (data?.type === 'SKIP_WAITING') void self.skipWaiting();
  else if (data?.type === 'ENGINE_HOST' && event.ports[0]) acceptEngineHost(event.ports[0], (event.source as Client | null)?.id ?? null);
  else if (data?.type === 'VERSION') event.ports[0]?.postMessage({ version });
  else if (data?.type === 'API_REQUEST' && event.ports[0]) event.waitUntil(answerApiRequest(data, event.ports[0]));
  else if (data?.type === 'API_PORT' && event.ports[0]) acceptApiPort(event.ports[0], (data as { portId?: unknown }).portId);
  // The page's WebSocket shim (static/neurotab-api.js): its connection port goes on to the engine host.
  else if (data?.type === 'LIVE_CONNECT' && event.ports[0]) event.waitUntil(connectLive(data as { url?: unknown; headers?: unknown }, event.ports[0]));
  // A page's call on its port is slow: does this worker (maybe restarted since) still serve the port? The event also keeps it running.
  else if (data?.type === 'API_PORT_CHECK' && event.ports[0]) event.ports[0].postMessage({ alive: servesApiPort((data as { portId?: unknown }).portId) });
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return; // foreign requests go to the network untouched
  if (isApiPath(url.pathname)) {
    event.respondWith(handleApi(req));
    return;
  }
  if (req.method !== 'GET') return;
  if (req.mode === 'navigate') {
    event.respondWith(navigate(req));
    return;
  }
  event.respondWith(asset(req));
});

/** App shell first (works offline and matches the cached assets), network when not cached. */
async function navigate(req: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const cached = (await cache.match(req, { ignoreSearch: true })) ?? (await cache.match('/'));
  if (cached) return withIsolationHeaders(cached);
  try {
    return withIsolationHeaders(await fetch(req));
  } catch {
    return new Response('Neurotab is offline and this page was never loaded. Connect once to install the app.', {
      status: 503,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
  }
}

async function asset(req: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(req, { ignoreSearch: true });
  if (cached) return withIsolationHeaders(cached);
  try {
    return withIsolationHeaders(await fetch(req));
  } catch {
    return new Response(`offline: ${new URL(req.url).pathname} is not cached`, { status: 504 });
  }
}
