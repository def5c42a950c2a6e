// Public surface of the API layer: `createApi(backend)` builds the root Hono app with every
// family mounted under its prefix (API.md §2); the Backend interface is the only thing it needs.
// Runs in the service worker, the bridge and tests. Must not import the engine (the backend may).
//
//   const app = createApi(backend);            // backend: LocalBackend (tests, bridge) or an SW forwarder
//   const res = await app.request('/np/executions', { method: 'POST', body: '{}' });
//   // in a service worker: self.addEventListener('fetch', e => { if (isApiPath(path)) e.respondWith(app.fetch(e.request)) })
//
// Families and mounts: NeuroPype at /np (API.md §7), native at /bci/v1 (§12: /compat, /pipelines/{path}).
// Every response carries X-Request-Id (req_<ULID>) and Cache-Control: no-store; paths are normalised
// (`//` collapsed, trailing `/` dropped); OPTIONS → 204 + Allow; HEAD = GET without body; a wrong
// method on a known path → 405 + Allow in the family's envelope.

import { Hono } from 'hono';
import type { Backend } from './backend';
import { commonHeaders, errorResponse, normalizedGetPath } from './http';
import { createNativeApp, type FamilyMount } from './native';
import { createNeuroPypeApp, neuropypeEnvelope } from './neuropype';

export * from './backend';
export { ApiError, normalizePath, ulid, requestId } from './http';
export { createNeuroPypeApp, neuropypeEnvelope, NP_VERSION, NP_MAX_BODY_BYTES } from './neuropype';
export { createNativeApp, nativeEnvelope, checkStorePath, type FamilyMount } from './native';

/** Default mounts (API.md §2). */
export const MOUNTS = { neuropype: '/np', native: '/bci/v1' } as const;

/** Families this build serves, as reported by GET /bci/v1/compat. */
export const FAMILIES: FamilyMount[] = [{ family: 'neuropype', mount: MOUNTS.neuropype, emulates: 'NeuroPype API 2024.1.0' }];

export interface ApiOptions {
  /** Also serve the NeuroPype family at the root (`/executions`), as the bridge does. */
  neuropypeAtRoot?: boolean;
}

/** True when a same-origin path belongs to the API (the service worker answers it). */
export function isApiPath(pathname: string): boolean {
  return Object.values(MOUNTS).some((m) => pathname === m || pathname.startsWith(m + '/') || pathname.startsWith(m + '//'));
}

/** The root app: common headers, then one sub-app per family. */
export function createApi(backend: Backend, opts: ApiOptions = {}): Hono {
  const app = new Hono({ getPath: normalizedGetPath });
  app.use('*', commonHeaders);
  app.route('/', createNativeApp(backend, () => FAMILIES, MOUNTS.native));
  app.route('/', createNeuroPypeApp(backend, MOUNTS.neuropype));
  if (opts.neuropypeAtRoot) app.route('/', createNeuroPypeApp(backend, ''));
  app.notFound((c) => notFound(c.req.path));
  app.onError((err, c) => errorResponse(c, neuropypeEnvelope, err));
  return app;
}

function notFound(path: string): Response {
  const mounts = Object.values(MOUNTS).join(', ');
  return new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: `No API endpoint at ${path}; the API families are mounted at ${mounts}` } }), {
    status: 404,
    headers: { 'Content-Type': 'application/json' },
  });
}
