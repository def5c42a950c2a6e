// The native API family at /bci/v1 (API.md §12): discovery of the mounted families and the
// pipeline store that NeuroPype `file` names resolve against. Runs wherever the router runs.
// Must not interpret pipelines beyond checking that stored text parses as one.

import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { readPipelineText } from '../formats/pyp';
import { checkMarker, MARKER_MAX_BATCH, publishMarkers } from '../core/markers';
import { nowMs } from '../core/clock';
import type { MarkerEvent } from '../core/stream';
import type { Backend, BackendErrorCode } from './backend';
import type { LiveConnector } from './live-client';
import {
  ApiError,
  FamilyRoutes,
  json,
  normalizedGetPath,
  readBodyText,
  readJsonBody,
  STATUS_OF_CODE,
  type FamilyEnvelope,
  type GenericFailure,
} from './http';

/** Largest pipeline file accepted by PUT /pipelines/{path}. */
export const NATIVE_MAX_PIPELINE_BYTES = 16 * 1024 * 1024;

/** One row of GET /bci/v1/compat. */
export interface FamilyMount {
  family: string;
  mount: string;
  emulates: string;
}

const GENERIC: Record<GenericFailure, string> = {
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  BAD_REQUEST: 'BAD_REQUEST',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  INTERNAL: 'INTERNAL',
  ENGINE_UNAVAILABLE: 'ENGINE_UNAVAILABLE',
};

/** `{"error": {"code", "message", "details"?, "request_id"}}` [prop]. */
export const nativeEnvelope: FamilyEnvelope = {
  family: 'native',
  generic: (k) => GENERIC[k],
  body: (_status, code, message, details, requestId) => ({
    error: { code, message, ...(details ? { details } : {}), request_id: requestId },
  }),
  fromBackend: (code: BackendErrorCode) => ({ status: STATUS_OF_CODE[code] ?? 500, code }),
};

/** A store key: relative, `/`-separated, no `.`/`..` segments, printable, at most 512 characters. */
export function checkStorePath(raw: string): string {
  const p = raw.replace(/\\/g, '/').replace(/^\/+/, '');
  if (p === '' || p.length > 512) throw new ApiError(400, 'BAD_REQUEST', 'Pipeline path must be 1–512 characters, e.g. "pipelines/alpha.pyp"');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) throw new ApiError(400, 'BAD_REQUEST', 'Pipeline path must not contain control characters');
  if (p.split('/').some((s) => s === '' || s === '.' || s === '..'))
    throw new ApiError(400, 'BAD_REQUEST', `Pipeline path "${raw}" has an empty, "." or ".." segment; use a plain relative path`);
  return p;
}

const fileInfo = z.object({ path: z.string(), bytes: z.number().int(), modifiedMs: z.number() });

export function createNativeApp(backend: Backend, families: () => FamilyMount[], mount = '/bci/v1', openapi?: () => unknown, live?: LiveConnector): Hono {
  const app = new Hono({ getPath: normalizedGetPath });
  const r = new FamilyRoutes(app, nativeEnvelope);

  r.on(
    'GET',
    `${mount}/compat`,
    async () => {
      const st = await backend.status();
      return json({ families: families().map((f) => ({ ...f, engine: st.engine })) });
    },
    {
      summary: 'Discovery: the mounted families and whether the engine is up',
      ok: { status: 200, description: 'Families', schema: z.object({ families: z.array(z.object({ family: z.string(), mount: z.string(), emulates: z.string(), engine: z.enum(['up', 'down']) })) }) },
    },
  );

  if (openapi)
    r.on('GET', `${mount}/openapi.json`, () => json(openapi()), {
      summary: 'This OpenAPI 3.1 document (every family, generated from the route schemas)',
      ok: { status: 200, description: 'OpenAPI document', schema: z.record(z.string(), z.unknown()) },
    });

  r.on('GET', `${mount}/pipelines`, async () => json(await backend.listPipelines()), {
    summary: 'Files in the pipeline store',
    ok: { status: 200, description: 'Files, by path', schema: z.array(fileInfo) },
  });

  const storePath = (c: Context) => checkStorePath(c.req.param('path') ?? '');
  r.on('GET', `${mount}/pipelines/:path{.+}`, async (c) => {
    const text = await backend.readPipeline(storePath(c));
    const type = text.trimStart().startsWith('<') ? 'application/xml; charset=utf-8' : 'application/json; charset=utf-8';
    return new Response(text, { status: 200, headers: { 'Content-Type': type } });
  }, {
    summary: 'Read a pipeline file (.pyp XML or pipeline JSON); NeuroPype `file` names resolve here (exact key, then basename)',
    ok: { status: 200, description: 'The file text', schema: z.string(), mediaType: 'application/xml' },
    errors: ['FILE_NOT_FOUND', 'BAD_REQUEST'],
  });
  r.on('PUT', `${mount}/pipelines/:path{.+}`, async (c) => {
    const path = storePath(c);
    const text = await readBodyText(c, nativeEnvelope, NATIVE_MAX_PIPELINE_BYTES);
    if (text.trim() === '') throw new ApiError(400, 'BAD_REQUEST', 'Send the pipeline text (.pyp XML or pipeline JSON) as the request body');
    try {
      readPipelineText(text, path);
    } catch (e) {
      throw new ApiError(422, 'PIPELINE_PARSE_ERROR', `${e instanceof Error ? e.message : String(e)}; nothing was stored`);
    }
    await backend.writePipeline(path, text);
    return new Response(null, { status: 204 });
  }, {
    summary: 'Store a pipeline file (checked to parse as .pyp or pipeline JSON; nothing stored otherwise)',
    rawBody: { mediaType: 'application/xml', description: '.pyp XML, a bare NeuroPype patch, or a neurotab.pipeline JSON document' },
    ok: { status: 204, description: 'Stored' },
    errors: ['BAD_REQUEST', 'PIPELINE_PARSE_ERROR', 'PAYLOAD_TOO_LARGE'],
  });
  const markerSchema = z.object({
    value: z.string().min(1),
    timestampMs: z.number().positive().optional(),
    durationMs: z.number().nonnegative().optional(),
  });
  r.on('POST', `${mount}/markers`, async (c) => {
    // Stamped on arrival when the sender gives no time: as early as possible, before any other work.
    const receivedAtMs = nowMs();
    const body = await readJsonBody(c, nativeEnvelope, { maxBytes: 1024 * 1024, pythonTokens: false });
    const items = Array.isArray((body as { markers?: unknown } | undefined)?.markers) ? (body as { markers: unknown[] }).markers : body === undefined ? [] : [body];
    if (items.length === 0) throw new ApiError(400, 'BAD_REQUEST', 'Send a marker {"value": "stim", "timestampMs": …} or a batch {"markers": [ … ]}');
    if (items.length > MARKER_MAX_BATCH) throw new ApiError(400, 'BAD_REQUEST', `At most ${MARKER_MAX_BATCH} markers per request; split the batch`);
    const events: MarkerEvent[] = [];
    items.forEach((m, i) => {
      const r = checkMarker(m, receivedAtMs);
      if (typeof r === 'string') throw new ApiError(400, 'BAD_REQUEST', `${items.length > 1 ? `markers[${i}]: ` : ''}${r}; no marker was sent`);
      events.push(r);
    });
    publishMarkers(events, 'api');
    return json({ accepted: events.length, markers: events }, 202);
  }, {
    summary: 'Send event markers to the running recording and pipelines (marker bus); timestampMs is on the shared clock (performance.timeOrigin + performance.now()), stamped on arrival when absent',
    body: z.union([markerSchema, z.object({ markers: z.array(markerSchema) })]),
    ok: { status: 202, description: 'Markers published', schema: z.object({ accepted: z.number(), markers: z.array(markerSchema) }) },
    errors: ['BAD_REQUEST', 'PAYLOAD_TOO_LARGE'],
  });

  // The client → server half of a live SSE connection (live-client.ts): the body is one message for
  // the connection whose id the stream's `connection` event gave (families name their own paths too).
  r.on('POST', `${mount}/live/:id`, async (c) => {
    if (!live) throw new ApiError(503, 'ENGINE_UNAVAILABLE', 'Live connections are not served here; open Neurotab in a tab to host the engine, then retry');
    const text = await readBodyText(c, nativeEnvelope, 1024 * 1024);
    if (!(await live.deliver(c.req.param('id') ?? '', text))) throw new ApiError(404, 'NOT_FOUND', `No open live connection ${c.req.param('id')}; open the SSE stream first and use the connection_id of its connection event`);
    return json({ delivered: true }, 202);
  }, {
    summary: 'Send one client message on an open live SSE connection (the id comes from the stream\'s connection event or its X-Live-Connection-Id header)',
    rawBody: { mediaType: 'application/json', description: 'The message, as the WebSocket form of the endpoint would carry it' },
    ok: { status: 202, description: 'Delivered to the endpoint', schema: z.object({ delivered: z.literal(true) }) },
    errors: ['NOT_FOUND', 'ENGINE_UNAVAILABLE'],
  });

  r.on('DELETE', `${mount}/pipelines/:path{.+}`, async (c) => {
    await backend.deletePipeline(storePath(c));
    return new Response(null, { status: 204 });
  }, { summary: 'Delete a pipeline file', ok: { status: 204, description: 'Deleted' }, errors: ['FILE_NOT_FOUND', 'BAD_REQUEST'] });

  return r.finish(mount);
}
