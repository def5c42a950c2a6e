// Public surface of the API layer (API.md §1–§7, §12, §13). Runs in the service worker, the bridge
// and tests; imports no engine code (LocalBackend, which runs the engine, lives in ./local-backend
// and is imported only where the engine runs). Must not hold execution state: the Backend does.
//
// Building the router
//   const app = createApi(backend);                      // Hono app, every family under its mount
//   const app = createApi(backend, { neuropypeAtRoot: true }); // bridge: NeuroPype also at /executions …
//   await app.request('/np/executions', { method: 'POST', body: '{}' });   // tests
//   self.onfetch = (e) => { if (isApiPath(new URL(e.request.url).pathname)) e.respondWith(app.fetch(e.request)); }
//
// Backend (./backend.ts): the only dependency. Async methods with plain, structured-clone-able
// arguments and results, so the service worker can forward each call over a MessagePort:
//   method names = Backend's keys; failures = BackendError(code, message, details) — send
//   `err.toWire()` across and rebuild with `BackendError.fromWire(w)` (plain {code, message,
//   details} objects are also rendered correctly). ENGINE_UNAVAILABLE → 503 + Retry-After: 1 in the
//   family envelope; status() = {engine: 'down', reason} makes GET /np and /np/version answer 503.
//   Implementations: LocalBackend (./local-backend.ts: real engine in this thread; options
//   `registry`, `store` (PipelineStore: list/get/put/delete, MemoryPipelineStore by default),
//   `bind(req)` to attach device rings/recordings to LSLInput/ImportFile nodes after each load,
//   `executionLimit`), and later the SW forwarder.
//
// Families and mounts (MOUNTS): NeuroPype at /np (§7, every endpoint of §7.1), Instinct at /instinct
// (§9 streams, sinks' SSE and the SDK route set; instinct.ts), native at /bci/v1
// (§2 GET /compat; GET /openapi.json: OpenAPI 3.1 of every family, generated from the route tables and
// their zod schemas; §12 GET /pipelines, GET|PUT|DELETE /pipelines/{path}: the virtual file store that
// NeuroPype `file` names resolve against, exact key first, then by basename); NeuraScale at
// /neurascale (§10: REST v2, /api/v2, the /api/v1/devices alias; ./neurascale.ts, backend
// `opts.neurascale`; its SSE through `opts.live`); Instinct's system endpoints (§9.3 #15–#23) are
// added to the Instinct app by `opts.instinctSystem` = instinctSystemRoutes(device seam).
//
// Common behaviour (§1): paths normalised (runs of `/` collapsed, trailing `/` dropped) before
// routing; OPTIONS on a known path → 204 + Allow; HEAD = GET without body; wrong method on a known
// path → 405 + Allow in the family envelope; X-Request-Id: req_<ULID> and Cache-Control: no-store on
// every response; NeuroPype bodies may use Python's bare NaN/Infinity/-Infinity; missing Content-Type
// is sniffed (JSON or form); bodies over 4 MiB (NeuroPype) / 16 MiB (pipeline files) → 413
// PAYLOAD_TOO_LARGE without being read; every rejected call leaves state unchanged.
// Error envelopes: NeuroPype {"error": {code, message, details?}}; native adds request_id.
// Codes beyond API.md §6: NOT_FOUND 404 (unknown path), METHOD_NOT_ALLOWED 405, PAYLOAD_TOO_LARGE 413,
// INSUFFICIENT_STORAGE 507 (save when the quota is exhausted).

import { Hono } from 'hono';
import type { Backend } from './backend';
import { commonHeaders, errorResponse, familyRoutesOf, json, normalizedGetPath } from './http';
import { buildOpenApi } from './openapi';
import { createNativeApp, type FamilyMount } from './native';
import { createNeuroPypeApp, neuropypeEnvelope, NP_VERSION } from './neuropype';
import { createExperimentHubApp, type ExperimentBackend } from './exphub';
import { createInstinctApp, type InstinctAppOptions } from './instinct';
import type { LiveConnector } from './live-client';
import { createNeuraScaleApp } from './neurascale';
import type { NeuraScaleBackend } from './neurascale-backend';
import { createKernelApp } from './kernel';
import { createStudiesApp, type StudiesBackend } from './studies';
import { createLslApp, type LslBackend } from './lsl';
import type { KernelBackend } from '../kernel/service';

export * from './backend';
export { ApiError, normalizePath, ulid, requestId } from './http';
export { createNeuroPypeApp, neuropypeEnvelope, NP_VERSION, NP_MAX_BODY_BYTES } from './neuropype';
export { createNativeApp, nativeEnvelope, checkStorePath, type FamilyMount } from './native';
export { buildOpenApi, openApiPath, type OpenApiFamily } from './openapi';
export { createInstinctApp, instinctEnvelope, INSTINCT_MAX_BODY_BYTES, type InstinctAppOptions } from './instinct';
export * from './instinct-backend';
export { createNeuraScaleApp, neurascaleEnvelope, type NeuraScaleAppOptions } from './neurascale';
export type { NeuraScaleBackend } from './neurascale-backend';
export { instinctSystemRoutes, type InstinctSystemBackend } from './instinct-system';
export { createExperimentHubApp, hubBackend, ExpHubFailure, exphubEnvelope, EXPHUB_MAX_PUBLISH_BYTES, type ExperimentBackend, type ExperimentStatus } from './exphub';
export { createStudiesApp, type StudiesBackend } from './studies';
export { createKernelApp, kernelEnvelope, kernelStatus, aggregateStatus, KERNEL_MAX_BATCH } from './kernel';

/** Default mounts (API.md §2). */
export const MOUNTS = { neuropype: '/np', native: '/bci/v1', exphub: '/exphub', instinct: '/instinct', neurascale: '/neurascale', kernel: '/kernel' } as const;

/** Families this build serves, as reported by GET /bci/v1/compat. */
export const FAMILIES: FamilyMount[] = [
  { family: 'neuropype', mount: MOUNTS.neuropype, emulates: 'NeuroPype API 2024.1.0' },
  { family: 'instinct', mount: MOUNTS.instinct, emulates: 'Instinct API' },
  { family: 'experimenthub', mount: MOUNTS.exphub, emulates: 'ExperimentHub API' },
  { family: 'neurascale', mount: MOUNTS.neurascale, emulates: 'NeuraScale REST v2 + WS beta' },
  { family: 'kernel', mount: MOUNTS.kernel, emulates: 'Kernel API (2025-04)' },
];

export interface ApiOptions {
  /** Also serve the NeuroPype family at the root (`/executions`), as the bridge does. */
  neuropypeAtRoot?: boolean;
  /** The ExperimentHub family's backend (exphub.ts); without one, /exphub answers 503 "Engine unavailable". */
  experiments?: ExperimentBackend;
  /** Live connections to the engine host (SSE feeds, the SSE POST fallback); without it they answer 503. */
  live?: LiveConnector;
  /** The Instinct Systems Engine routes (#15–#23), added to the Instinct app (instinct.ts). */
  instinctSystem?: InstinctAppOptions['system'];
  /** The NeuraScale family's backend (neurascale-backend.ts); without one, /neurascale answers 503 ENGINE_UNAVAILABLE. */
  neurascale?: NeuraScaleBackend;
  /** The Kernel family's backend (kernel/service.ts); without one, /kernel answers 503. */
  kernel?: KernelBackend;
  /** The native studies routes' backend (/bci/v1/studies); without one they answer 503. */
  studies?: StudiesBackend;
  /** The native LSL routes' backend (/bci/v1/lsl, lsl.ts); without one (or unpaired) they answer 503. */
  lsl?: LslBackend;
}

/** True when a same-origin path belongs to the API (the service worker answers it). */
export function isApiPath(pathname: string): boolean {
  return Object.values(MOUNTS).some((m) => pathname === m || pathname.startsWith(m + '/') || pathname.startsWith(m + '//'));
}

/** The root app: common headers, then one sub-app per family. */
export function createApi(backend: Backend, opts: ApiOptions = {}): Hono {
  const app = new Hono({ getPath: normalizedGetPath });
  app.use('*', commonHeaders);
  let doc: unknown;
  const native = createNativeApp(backend, () => FAMILIES, MOUNTS.native, () => (doc ??= openApiDocument(native, np, instinct, ns, kernel, studies, lsl)), opts.live);
  const np = createNeuroPypeApp(backend, MOUNTS.neuropype);
  const instinct = createInstinctApp(backend, MOUNTS.instinct, { live: opts.live, system: opts.instinctSystem });
  const ns = createNeuraScaleApp(opts.neurascale ?? null, MOUNTS.neurascale, { live: opts.live });
  // Before the native app: its catch-all would answer /bci/v1/studies… otherwise.
  const studies = createStudiesApp(opts.studies ?? null, `${MOUNTS.native}/studies`);
  app.route('/', studies);
  const lsl = createLslApp(opts.lsl ?? null, `${MOUNTS.native}/lsl`);
  app.route('/', lsl);
  app.route('/', native);
  app.route('/', np);
  app.route('/', instinct);
  app.route('/', createExperimentHubApp(opts.experiments ?? null, MOUNTS.exphub));
  app.route('/', ns);
  const kernel = createKernelApp(opts.kernel ?? null, MOUNTS.kernel);
  app.route('/', kernel);
  if (opts.neuropypeAtRoot) app.route('/', createNeuroPypeApp(backend, ''));
  app.notFound((c) => notFound(c.req.path));
  app.onError((err, c) => errorResponse(c, neuropypeEnvelope, err));
  return app;
}

const ERROR_SCHEMA = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' }, request_id: { type: 'string' } },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
};

const NS_ERROR_SCHEMA = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' }, request_id: { type: 'string' }, timestamp: { type: 'string' } }, required: ['code', 'message'] } },
  required: ['error'],
};
const KERNEL_ERROR_SCHEMA = { type: 'object', properties: { detail: { type: 'string' } }, required: ['detail'] };

const INSTINCT_ERROR_SCHEMA = {
  type: 'object',
  properties: {
    success: { const: false },
    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } }, required: ['code', 'message', 'details'] },
  },
  required: ['success', 'error'],
};

/** The OpenAPI document of every mounted family (GET /bci/v1/openapi.json). */
function openApiDocument(native: Hono, np: Hono, instinct: Hono, ns: Hono, kernel: Hono, studies: Hono, lsl: Hono): unknown {
  return buildOpenApi(
    [
      { family: 'neuropype', title: 'NeuroPype-compatible API (2024.1.0)', mount: MOUNTS.neuropype, routes: familyRoutesOf.get(np)!, errorSchema: ERROR_SCHEMA },
      { family: 'instinct', title: 'Instinct-compatible API (Streams Engine)', mount: MOUNTS.instinct, routes: familyRoutesOf.get(instinct)!, errorSchema: INSTINCT_ERROR_SCHEMA },
      { family: 'native', title: 'Neurotab native API', mount: MOUNTS.native, routes: familyRoutesOf.get(native)!, errorSchema: ERROR_SCHEMA },
      { family: 'neurascale', title: 'NeuraScale-compatible API (REST v2, /api/v1/devices alias)', mount: MOUNTS.neurascale, routes: familyRoutesOf.get(ns)!, errorSchema: NS_ERROR_SCHEMA },
      { family: 'studies', title: 'Neurotab native API: studies, participants, datasets', mount: `${MOUNTS.native}/studies`, routes: familyRoutesOf.get(studies)!, errorSchema: ERROR_SCHEMA },
      { family: 'lsl', title: 'Neurotab native API: Lab Streaming Layer through the bridge', mount: `${MOUNTS.native}/lsl`, routes: familyRoutesOf.get(lsl)!, errorSchema: ERROR_SCHEMA },
      { family: 'kernel', title: 'Kernel-compatible API (2025-04)', mount: MOUNTS.kernel, routes: familyRoutesOf.get(kernel)!, errorSchema: KERNEL_ERROR_SCHEMA },
    ],
    NP_VERSION.replace(/^.*\+browser\./, ''),
  );
}

function notFound(path: string): Response {
  const mounts = Object.values(MOUNTS).join(', ');
  return new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: `No API endpoint at ${path}; the API families are mounted at ${mounts}` } }), {
    status: 404,
    headers: { 'Content-Type': 'application/json' },
  });
}
