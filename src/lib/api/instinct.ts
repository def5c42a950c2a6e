// The Instinct family (API.md §9), mounted at /instinct (and at the root of the bridge's port
// 42069): the Streams Engine routes of the stream-operations pages (#1–#14), the SSE feed of
// WebSocket sinks (#24), and the second route set of Nexstem's Python SDK (instinct-py 1.5, §9.6:
// `/streams/stream…`, `/streams/node…`, `/streams/pipe…`, `message` in every answer). The Systems
// Engine routes (#15–#23, `/system/…`) are added by the device seam through `system`. Runs wherever
// the routers run; parses and validates every request (JSON, YAML, form), then calls the
// InstinctBackend. Must not hold stream state itself.

import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { parseDocument } from 'yaml';
import {
  INSTINCT_SIGNALS,
  INSTINCT_STATUS,
  InstinctError,
  instinctUuid,
  type InstinctBackend,
  type InstinctMeta,
  type InstinctNode,
  type InstinctPipe,
  type InstinctSignal,
  type InstinctStream,
  type InstinctStreamPatch,
} from './instinct-backend';
import { FamilyRoutes, json, normalizedGetPath, readBodyText, STATUS_OF_CODE, type FamilyEnvelope, type GenericFailure, type RouteDoc } from './http';
import type { BackendErrorCode } from './backend';
import { sseResponse, type LiveConnector } from './live-client';

/** Largest request body (a stream definition in JSON or YAML). */
export const INSTINCT_MAX_BODY_BYTES = 1024 * 1024;

const GENERIC: Record<GenericFailure, string> = {
  NOT_FOUND: 'resource_not_found',
  METHOD_NOT_ALLOWED: 'method_not_allowed',
  BAD_REQUEST: 'invalid_request',
  PAYLOAD_TOO_LARGE: 'payload_too_large',
  INTERNAL: 'internal_error',
  ENGINE_UNAVAILABLE: 'engine_unavailable',
};

/** `{"success": false, "error": {code, message, details}}` [doc]. */
export const instinctEnvelope: FamilyEnvelope = {
  family: 'Instinct',
  generic: (k) => GENERIC[k],
  body: (_status, code, message, details) => ({ success: false, error: { code, message, details: details ?? {} } }),
  // Instinct codes (a forwarded InstinctError) keep theirs; the engine's own codes are mapped.
  fromBackend: (code: BackendErrorCode | string) => {
    if (code in INSTINCT_STATUS) return { status: INSTINCT_STATUS[code], code };
    const status = STATUS_OF_CODE[code as BackendErrorCode] ?? 500;
    return { status, code: status === 503 ? 'engine_unavailable' : status === 404 ? 'resource_not_found' : status >= 500 ? 'internal_error' : 'invalid_request' };
  },
};

export interface InstinctAppOptions {
  /** Live connections to the engine host (SSE of the sinks); without it #24 answers 503. */
  live?: LiveConnector;
  /**
   * Adds the Systems Engine routes (#15–#23 and the SDK's `/system/…`) to this family's route table,
   * before its catch-all: register them with `routes.on(method, `${mount}/system/…`, handler, doc)`;
   * errors thrown there are rendered in the Instinct envelope (throw InstinctError).
   */
  system?: (routes: FamilyRoutes, mount: string) => void;
}

// --- bodies ------------------------------------------------------------------------------------

const YAML_TYPES = /^(application\/(x-)?yaml|text\/(x-)?yaml|text\/plain)/i;

function fieldOf(path: PropertyKey[]): string {
  return path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '');
}

/** Parses YAML text; a syntax error names its line. */
function parseYaml(text: string): unknown {
  const doc = parseDocument(text);
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line ?? null;
    throw new InstinctError('yaml_parse_error', `YAML does not parse${line ? ` at line ${line}` : ''}: ${err.message.split('\n')[0]}`, { line, column: err.linePos?.[0]?.col ?? null });
  }
  return doc.toJS();
}

/** The request body as a value: JSON (or YAML when its Content-Type says so, or `yaml` is set); undefined when empty. */
async function bodyValue(c: Context, yaml = false): Promise<unknown> {
  const text = await readBodyText(c, instinctEnvelope, INSTINCT_MAX_BODY_BYTES);
  if (text.trim() === '') return undefined;
  const ct = c.req.header('Content-Type') ?? '';
  if (yaml || (YAML_TYPES.test(ct) && !/^text\/plain/i.test(ct))) return parseYaml(text);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    // text/plain (a browser's default for string bodies) that is not JSON-looking may be YAML.
    if (/^text\/plain/i.test(ct) && !/^\s*[[{]/.test(text)) return parseYaml(text);
    throw new InstinctError('invalid_request', `Malformed JSON: ${e instanceof Error ? e.message : String(e)}; send a JSON body (or YAML to …/yaml)`);
  }
}

const uuid = (what: string) => z.string({ message: `${what} must be a string UUID` }).refine((v) => instinctUuid(v) !== null, { message: `${what} must be a valid UUID` });
const record = z.record(z.string(), z.unknown());

const nodeSchema = z.looseObject({
  id: uuid('node id'),
  type: z.string().min(1).optional(),
  meta: record.nullable().optional(),
  executable: z.string({ message: 'executable must be a string (the program the node runs)' }).min(1, 'executable must not be empty'),
  config: record.nullable().optional(),
});

/** Either spelling (§13 #14): source/destination, or source_node/target_node with ports. */
const pipeSchema = z
  .looseObject({
    id: uuid('pipe id'),
    source: uuid('pipe source').optional(),
    destination: uuid('pipe destination').optional(),
    source_node: uuid('pipe source_node').optional(),
    target_node: uuid('pipe target_node').optional(),
    source_port: z.string().min(1).optional(),
    target_port: z.string().min(1).optional(),
  })
  .refine((p) => (p.source ?? p.source_node) !== undefined && (p.destination ?? p.target_node) !== undefined, {
    message: 'a pipe needs source and destination (or source_node and target_node)',
  });

const metaSchema = z.looseObject({
  name: z.string().optional(),
  description: z.string().optional(),
  tags: z.array(z.string()).optional(),
  version: z.string().optional(),
});

const streamSchema = z.looseObject({
  id: uuid('id'),
  meta: metaSchema.nullable().optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  nodes: z.array(nodeSchema).optional(),
  pipes: z.array(pipeSchema).optional(),
});

const patchSchema = z.looseObject({
  meta: metaSchema.nullable().optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  nodes: z.array(nodeSchema).optional(),
  pipes: z.array(pipeSchema).optional(),
});

/** Zod failure → invalid_parameter (an id that is not a UUID, details.field) or invalid_request. */
function parse<T>(schema: z.ZodType<T>, value: unknown, root = ''): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = fieldOf([...(root ? [root] : []), ...issue.path]);
  const invalidId = /UUID/.test(issue.message) && issue.code === 'custom';
  throw new InstinctError(invalidId ? 'invalid_parameter' : 'invalid_request', `${field || 'body'}: ${issue.message}`, { field: field || 'body' });
}

function toNode(n: z.infer<typeof nodeSchema>): InstinctNode {
  return { id: n.id.toLowerCase(), type: n.type ?? 'EXECUTABLE', ...(n.meta ? { meta: n.meta } : {}), executable: n.executable, config: n.config ?? {} };
}

function toPipe(p: z.infer<typeof pipeSchema>): InstinctPipe {
  return {
    id: p.id.toLowerCase(),
    source: (p.source ?? p.source_node)!.toLowerCase(),
    destination: (p.destination ?? p.target_node)!.toLowerCase(),
    ...(p.source_port ? { sourcePort: p.source_port } : {}),
    ...(p.target_port ? { destinationPort: p.target_port } : {}),
  };
}

/** Meta from either shape (meta object, or flat name/description). */
function toMeta(v: { meta?: Record<string, unknown> | null; name?: string; description?: string }): InstinctMeta | undefined {
  const flat = { ...(v.name !== undefined ? { name: v.name } : {}), ...(v.description !== undefined ? { description: v.description } : {}) };
  if (!v.meta && !Object.keys(flat).length) return undefined;
  const { created: _c, updated: _u, ...rest } = (v.meta ?? {}) as InstinctMeta;
  return { ...flat, ...rest };
}

function toStream(value: unknown): InstinctStream {
  if (value === undefined) throw new InstinctError('invalid_request', 'Send the stream as a JSON (or YAML) object with "id", "nodes" and "pipes"', { field: 'body' });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InstinctError('invalid_request', 'body: expected an object with "id", "nodes" and "pipes"', { field: 'body' });
  if (!('id' in value)) throw new InstinctError('invalid_request', 'id: missing; every stream needs a client-chosen UUID "id"', { field: 'id' });
  const s = parse(streamSchema, value);
  return { id: s.id.toLowerCase(), meta: toMeta(s) ?? {}, nodes: (s.nodes ?? []).map(toNode), pipes: (s.pipes ?? []).map(toPipe) };
}

function list<T>(value: unknown, schema: z.ZodType<T>, what: string, keys: string[]): T[] {
  const items = Array.isArray(value) ? value : keys.map((k) => (value as Record<string, unknown> | undefined)?.[k]).find(Array.isArray);
  if (!Array.isArray(items)) throw new InstinctError('invalid_request', `Send a JSON array of ${what}`, { field: 'body' });
  if (!items.length) throw new InstinctError('invalid_request', `The array of ${what} is empty`, { field: 'body' });
  return items.map((x, i) => parse(schema, x, `[${i}]`));
}

const idList = z.string().refine((v) => instinctUuid(v) !== null, { message: 'must be a valid UUID' });

/** The stream id of a path: a UUID (400 invalid_parameter otherwise). */
function pathId(c: Context, name = 'streamId'): string {
  const raw = c.req.param(name) ?? '';
  const id = instinctUuid(raw);
  if (!id) throw new InstinctError('invalid_parameter', `${name} "${raw}" is not a valid UUID`, { field: name });
  return id;
}

function signalOf(raw: unknown): InstinctSignal {
  const v = typeof raw === 'object' && raw !== null && 'signal' in raw ? (raw as { signal: unknown }).signal : raw;
  if (typeof v !== 'string' || !INSTINCT_SIGNALS.includes(v as InstinctSignal))
    throw new InstinctError('invalid_signal', `signal must be one of ${INSTINCT_SIGNALS.join(', ')}${v === undefined ? ' (send signal=start)' : `, not ${JSON.stringify(v)}`}`, { signal: v ?? null });
  return v as InstinctSignal;
}

/** `signal=start` as form, text, JSON {"signal": …} or ?signal= (§9.3 #7). */
async function signalBody(c: Context): Promise<InstinctSignal> {
  const q = c.req.query('signal');
  if (q !== undefined) return signalOf(q);
  const text = (await readBodyText(c, instinctEnvelope, INSTINCT_MAX_BODY_BYTES)).trim();
  if (text.startsWith('{') || text.startsWith('"')) {
    try {
      return signalOf(JSON.parse(text));
    } catch (e) {
      if (e instanceof InstinctError) throw e;
      throw new InstinctError('invalid_request', 'Malformed JSON; send signal=start (form) or {"signal":"start"}');
    }
  }
  if (text.includes('=')) return signalOf(new URLSearchParams(text).get('signal') ?? undefined);
  return signalOf(text === '' ? undefined : text);
}

// --- OpenAPI schemas ---------------------------------------------------------------------------

const stateOut = z.enum(['created', 'starting', 'running', 'pausing', 'paused', 'stopping', 'stopped', 'error']);
const streamOut = z.object({
  id: z.string(),
  meta: z.record(z.string(), z.unknown()),
  nodes: z.array(z.object({ id: z.string(), type: z.string(), meta: z.record(z.string(), z.unknown()).optional(), executable: z.string(), config: z.record(z.string(), z.unknown()) })),
  pipes: z.array(z.object({ id: z.string(), source: z.string(), destination: z.string() })),
});
const statusOut = z.object({ state: stateOut, nodes: z.array(z.object({ id: z.string(), state: stateOut, metrics: z.object({ itemsProcessed: z.number().int(), errorCount: z.number().int() }) })) });
const idOk = z.object({ id: z.string(), success: z.literal(true) });
const sdkOk = z.object({ message: z.string(), success: z.literal(true) });
const YAML_BODY = { mediaType: 'application/yaml', description: 'The same structure as the JSON body, in YAML' };

// --- output ------------------------------------------------------------------------------------

/** Output normalisation (§9.2): meta shape, source/destination, ports only when named. */
function renderStream(s: InstinctStream): InstinctStream {
  return {
    id: s.id,
    meta: s.meta,
    nodes: s.nodes.map((n) => ({ id: n.id, type: n.type, ...(n.meta ? { meta: n.meta } : {}), executable: n.executable, config: n.config })),
    pipes: s.pipes.map((p) => ({
      id: p.id,
      source: p.source,
      destination: p.destination,
      ...(p.sourcePort ? { source_port: p.sourcePort } : {}),
      ...(p.destinationPort ? { target_port: p.destinationPort } : {}),
    })) as InstinctPipe[],
  };
}

export function createInstinctApp(backend: InstinctBackend, mount = '/instinct', opts: InstinctAppOptions = {}): Hono {
  const app = new Hono({ getPath: normalizedGetPath });
  const r = new FamilyRoutes(app, instinctEnvelope);
  const S = `${mount}/stream/streams`;
  const on = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, handler: (c: Context) => Promise<Response>, doc: RouteDoc) => r.on(method, path, handler, doc);

  // ---- #1–#14 (stream-operations pages)
  on('GET', S, async () => json({ success: true, streams: await backend.instinctList() }), {
    summary: 'List streams (#1)',
    ok: { status: 200, description: 'Stream ids and meta', schema: z.object({ success: z.literal(true), streams: z.array(z.object({ id: z.string(), meta: z.record(z.string(), z.unknown()) })) }) },
  });
  const create = async (c: Context, yaml: boolean) => {
    const stream = toStream(await bodyValue(c, yaml));
    await backend.instinctCreate(stream);
    return json({ id: stream.id, success: true });
  };
  on('POST', S, (c) => create(c, false), {
    summary: 'Create a stream (#2): client-chosen UUID ids; JSON (YAML with a YAML Content-Type)',
    body: streamSchema,
    ok: { status: 200, description: 'Created (state created)', schema: idOk },
    errors: ['invalid_request', 'invalid_parameter', 'stream_already_exists', 'validation_failed', 'yaml_parse_error'],
  });
  on('POST', `${S}/yaml`, (c) => create(c, true), {
    summary: 'Create a stream from YAML (#3)',
    rawBody: YAML_BODY,
    ok: { status: 200, description: 'Created', schema: idOk },
    errors: ['yaml_parse_error', 'invalid_request', 'invalid_parameter', 'stream_already_exists', 'validation_failed'],
  });
  on('GET', `${S}/:streamId`, async (c) => json({ success: true, stream: renderStream(await backend.instinctGet(pathId(c))) }), {
    summary: 'Get a stream (#4)',
    ok: { status: 200, description: 'The stream', schema: z.object({ success: z.literal(true), stream: streamOut }) },
    errors: ['stream_not_found', 'invalid_parameter'],
  });
  on('PUT', `${S}/:streamId`, async (c) => {
    const id = pathId(c);
    const v = await bodyValue(c);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InstinctError('invalid_request', 'body: expected an object with any of meta, nodes, pipes', { field: 'body' });
    const p = parse(patchSchema, v);
    const patch: InstinctStreamPatch = {};
    const meta = toMeta(p);
    if (meta) patch.meta = meta;
    if (p.nodes) patch.nodes = p.nodes.map(toNode);
    if (p.pipes) patch.pipes = p.pipes.map(toPipe);
    await backend.instinctReplace(id, patch);
    return json({ id, success: true });
  }, {
    summary: 'Replace parts of a stream (#5): each present key (meta, nodes, pipes) replaces that collection; only when created, stopped or error',
    body: patchSchema,
    ok: { status: 200, description: 'Replaced', schema: idOk },
    errors: ['stream_not_found', 'stream_running', 'invalid_parameter', 'validation_failed'],
  });
  on('DELETE', `${S}/:streamId`, async (c) => {
    await backend.instinctDelete(pathId(c));
    return json({ success: true });
  }, { summary: 'Delete a stream (#6); a running one is stopped first', ok: { status: 200, description: 'Deleted', schema: z.object({ success: z.literal(true) }) }, errors: ['stream_not_found'] });
  on('POST', `${S}/:streamId/signal`, async (c) => {
    const id = pathId(c);
    await backend.instinctSignal(id, await signalBody(c));
    return json({ id, success: true });
  }, {
    summary: 'Signal a stream (#7): signal=start|stop|pause|resume (form, text, JSON or ?signal=); answers once the transition has begun',
    rawBody: { mediaType: 'application/x-www-form-urlencoded', description: 'signal=start' },
    query: { signal: 'start | stop | pause | resume (instead of a body)' },
    ok: { status: 200, description: 'Transition begun; poll the status', schema: idOk },
    errors: ['invalid_signal', 'stream_not_found', 'invalid_state_transition', 'unsupported_executable', 'validation_failed'],
  });
  on('GET', `${S}/:streamId/status`, async (c) => json({ success: true, status: await backend.instinctStatus(pathId(c)) }), {
    summary: 'Stream status (#8): state and per-node itemsProcessed (chunks) and errorCount from the engine',
    ok: { status: 200, description: 'Status', schema: z.object({ success: z.literal(true), status: statusOut }) },
    errors: ['stream_not_found'],
  });
  const addNodes = async (c: Context, id: string, value: unknown) => {
    const nodes = list(value, nodeSchema, 'nodes', ['nodes']).map(toNode);
    return json({ id, success: true, nodes: await backend.instinctAddNodes(id, nodes) });
  };
  on('POST', `${S}/:streamId/nodes`, async (c) => {
    const id = pathId(c);
    return addNodes(c, id, await bodyValue(c));
  }, {
    summary: 'Add nodes (#9), also while running (they join the running graph)',
    body: z.array(nodeSchema),
    ok: { status: 200, description: 'Added node ids', schema: z.object({ id: z.string(), success: z.literal(true), nodes: z.array(z.string()) }) },
    errors: ['stream_not_found', 'invalid_parameter', 'stream_already_exists'],
  });
  const ids = (value: unknown, what: string, keys: string[]) => list(value, idList, `${what} ids`, keys).map((x) => x.toLowerCase());
  on('DELETE', `${S}/:streamId/nodes`, async (c) => {
    const id = pathId(c);
    return json({ id, success: true, nodes: await backend.instinctRemoveNodes(id, ids(await bodyValue(c), 'node', ['ids', 'nodes'])) });
  }, {
    summary: 'Remove nodes (#10) and their pipes; body: JSON array of node ids',
    body: z.array(z.string()),
    ok: { status: 200, description: 'Removed node ids', schema: z.object({ id: z.string(), success: z.literal(true), nodes: z.array(z.string()) }) },
    errors: ['stream_not_found', 'node_not_found', 'invalid_parameter'],
  });
  on('POST', `${S}/:streamId/nodes/:nodeId/signal`, async (c) => {
    const id = pathId(c);
    const nodeId = pathId(c, 'nodeId');
    const signal = await signalBody(c);
    await backend.instinctNodeSignal(id, nodeId, signal);
    return json({ id: nodeId, streamId: id, signal, success: true });
  }, {
    summary: 'Signal one node (#11): pause/resume/stop its processing; start restarts it',
    rawBody: { mediaType: 'application/x-www-form-urlencoded', description: 'signal=pause' },
    ok: { status: 200, description: 'Done', schema: z.object({ id: z.string(), streamId: z.string(), signal: z.string(), success: z.literal(true) }) },
    errors: ['invalid_signal', 'stream_not_found', 'node_not_found', 'invalid_state_transition'],
  });
  const addPipes = async (c: Context, id: string, value: unknown) => {
    const pipes = list(value, pipeSchema, 'pipes', ['pipes']).map(toPipe);
    return json({ id, pipes: await backend.instinctAddPipes(id, pipes), success: true });
  };
  const pipesOk = { status: 200, description: 'Pipe ids', schema: z.object({ id: z.string(), pipes: z.array(z.string()), success: z.literal(true) }) };
  on('POST', `${S}/:streamId/pipes`, async (c) => addPipes(c, pathId(c), await bodyValue(c)), {
    summary: 'Add pipes (#12), also while running (live edit; refused unchanged when the engine cannot connect them)',
    body: z.array(pipeSchema),
    ok: pipesOk,
    errors: ['stream_not_found', 'invalid_parameter', 'validation_failed', 'stream_already_exists'],
  });
  on('POST', `${S}/:streamId/pipes/yaml`, async (c) => addPipes(c, pathId(c), await bodyValue(c, true)), {
    summary: 'Add pipes from a YAML list (#13)',
    rawBody: YAML_BODY,
    ok: pipesOk,
    errors: ['yaml_parse_error', 'stream_not_found', 'invalid_parameter', 'validation_failed'],
  });
  on('DELETE', `${S}/:streamId/pipes`, async (c) => {
    const id = pathId(c);
    return json({ id, pipes: await backend.instinctRemovePipes(id, ids(await bodyValue(c), 'pipe', ['ids', 'pipes'])), success: true });
  }, { summary: 'Remove pipes (#14); body: JSON array of pipe ids', body: z.array(z.string()), ok: pipesOk, errors: ['stream_not_found', 'pipe_not_found', 'invalid_parameter'] });

  // ---- #24: SSE of a WebSocket sink
  on('GET', `${mount}/_sinks/:port/events`, async (c) => {
    const raw = c.req.param('port') ?? '';
    if (!/^[0-9]{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) throw new InstinctError('invalid_parameter', `port "${raw}" must be an integer 1–65535`, { field: 'port' });
    if (!opts.live) throw new InstinctError('engine_unavailable', 'Live data is not served here; open Neurotab in a tab to host the engine, then retry');
    if (c.req.method === 'HEAD') return new Response(null, { status: 200, headers: { 'Content-Type': 'text/event-stream; charset=utf-8' } });
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((v, k) => (headers[k] = v));
    const res = await sseResponse(opts.live, `${mount}/_sinks/${Number(raw)}`, headers);
    if (res instanceof Response) return res;
    if (res.status === 404) throw new InstinctError('resource_not_found', `No running WebSocket sink uses port ${Number(raw)}; start a stream with a WebSocket node whose config.port is ${Number(raw)}`, { port: Number(raw) });
    throw new InstinctError(res.status === 503 ? 'engine_unavailable' : 'internal_error', res.message);
  }, {
    summary: 'SSE feed of a WebSocket sink node (#24): one data: JSON per chunk {nodeId, streamId, port, t, sampleRate, channels, timestamps, data[frame][channel]}',
    ok: { status: 200, description: 'text/event-stream (a connection event with connection_id first; : keep-alive comments; a close event at the end)', schema: z.string(), mediaType: 'text/event-stream' },
    errors: ['resource_not_found', 'invalid_parameter', 'engine_unavailable'],
  });

  // ---- §9.6: the route set of Nexstem's Python SDK (instinct-py 1.5), same streams
  const SDK = `${mount}/streams`;
  const sdk = (message: string, extra: Record<string, unknown> = {}) => json({ message, success: true, ...extra });
  /** SDK bodies carry the stream id as `streamId`. */
  const sdkBody = async (c: Context): Promise<Record<string, unknown>> => {
    const v = await bodyValue(c);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InstinctError('invalid_request', 'body: expected a JSON object with "streamId"', { field: 'body' });
    return v as Record<string, unknown>;
  };
  const bodyId = (v: Record<string, unknown>, key = 'streamId') => {
    const id = instinctUuid(v[key]);
    if (!id) throw new InstinctError(v[key] === undefined ? 'invalid_request' : 'invalid_parameter', `${key} must be a valid UUID${v[key] === undefined ? ' (missing)' : ''}`, { field: key });
    return id;
  };
  on('POST', `${SDK}/stream`, async (c) => {
    const stream = toStream(await bodyValue(c));
    await backend.instinctCreate(stream);
    return sdk(`Stream ${stream.id} created`, { stream: renderStream(await backend.instinctGet(stream.id)) });
  }, { summary: 'SDK: create a stream (StreamResponse)', body: streamSchema, ok: { status: 200, description: 'Created', schema: sdkOk }, errors: ['invalid_request', 'invalid_parameter', 'stream_already_exists', 'validation_failed'] });
  on('GET', `${SDK}/stream`, async () => {
    const all = await backend.instinctList();
    return json(await Promise.all(all.map(async (s) => renderStream(await backend.instinctGet(s.id)))));
  }, { summary: 'SDK: list streams (a JSON array of stream configs, as the SDK iterates it)', ok: { status: 200, description: 'Streams', schema: z.array(streamOut) } });
  on('GET', `${SDK}/stream/:streamId`, async (c) => {
    const s = renderStream(await backend.instinctGet(pathId(c)));
    return json({ ...s, message: `Stream ${s.id}`, success: true });
  }, { summary: 'SDK: get a stream (its config, plus message and success)', ok: { status: 200, description: 'The stream', schema: streamOut }, errors: ['stream_not_found'] });
  on('DELETE', `${SDK}/stream/:streamId`, async (c) => {
    const id = pathId(c);
    await backend.instinctDelete(id);
    return sdk(`Stream ${id} deleted`);
  }, { summary: 'SDK: delete a stream', ok: { status: 200, description: 'Deleted', schema: sdkOk }, errors: ['stream_not_found'] });
  for (const [action, signal] of [['start', 'start'], ['stop', 'stop']] as const) {
    on('POST', `${SDK}/stream/${action}`, async (c) => {
      const id = bodyId(await sdkBody(c));
      const state = await backend.instinctSignal(id, signal);
      return sdk(`Stream ${id} ${state}`, { stream: renderStream(await backend.instinctGet(id)) });
    }, { summary: `SDK: ${action} a stream ({"streamId"})`, body: z.object({ streamId: z.string() }), ok: { status: 200, description: 'Transition begun', schema: sdkOk }, errors: ['stream_not_found', 'invalid_state_transition', 'unsupported_executable'] });
  }
  on('POST', `${SDK}/stream/signal`, async (c) => {
    const v = await sdkBody(c);
    const id = bodyId(v);
    const signal = signalOf(v.signal);
    const state = await backend.instinctSignal(id, signal);
    return sdk(`Stream ${id} ${state}`, { stream: renderStream(await backend.instinctGet(id)) });
  }, {
    summary: 'SDK: signal a stream ({"streamId", "signal": {"signal", "parameters"}} or a plain signal)',
    body: z.object({ streamId: z.string(), signal: z.union([z.string(), z.object({ signal: z.string(), parameters: record.optional() })]) }),
    ok: { status: 200, description: 'Transition begun', schema: sdkOk },
    errors: ['invalid_signal', 'stream_not_found', 'invalid_state_transition', 'unsupported_executable'],
  });
  on('POST', `${SDK}/stream/reconcile`, async (c) => {
    const id = bodyId(await sdkBody(c));
    const state = await backend.instinctReconcile(id);
    return sdk(`Stream ${id} reconciled (${state})`, { stream: renderStream(await backend.instinctGet(id)) });
  }, { summary: 'SDK: reconcile a stream (a running one restarts on its current definition)', body: z.object({ streamId: z.string() }), ok: { status: 200, description: 'Reconciled', schema: sdkOk }, errors: ['stream_not_found', 'unsupported_executable', 'validation_failed'] });
  const nodeOf = async (streamId: string, nodeId: string) => {
    const n = (await backend.instinctGet(streamId)).nodes.find((x) => x.id === nodeId);
    if (!n) throw new InstinctError('node_not_found', `Stream ${streamId} has no node ${nodeId}`, { ids: [nodeId] });
    return n;
  };
  on('POST', `${SDK}/node`, async (c) => {
    const v = await sdkBody(c);
    const id = bodyId(v);
    const node = toNode(parse(nodeSchema, v.node, 'node'));
    await backend.instinctAddNodes(id, [node]);
    return sdk(`Node ${node.id} added to stream ${id}`, { node });
  }, { summary: 'SDK: add a node ({"streamId", "node"})', body: z.object({ streamId: z.string(), node: nodeSchema }), ok: { status: 200, description: 'Added', schema: sdkOk }, errors: ['stream_not_found', 'invalid_parameter', 'stream_already_exists'] });
  on('POST', `${SDK}/node/signal`, async (c) => {
    const v = await sdkBody(c);
    const id = bodyId(v);
    const nodeId = bodyId(v, 'nodeId');
    const signal = signalOf(v.signal);
    await backend.instinctNodeSignal(id, nodeId, signal);
    return sdk(`Node ${nodeId} ${signal}`, { node: await nodeOf(id, nodeId) });
  }, { summary: 'SDK: signal a node ({"streamId", "nodeId", "signal"})', body: z.object({ streamId: z.string(), nodeId: z.string(), signal: z.unknown() }), ok: { status: 200, description: 'Done', schema: sdkOk }, errors: ['invalid_signal', 'stream_not_found', 'node_not_found', 'invalid_state_transition'] });
  on('GET', `${SDK}/node/:streamId/:nodeId`, async (c) => {
    const node = await nodeOf(pathId(c), pathId(c, 'nodeId'));
    return sdk(`Node ${node.id}`, { node });
  }, { summary: 'SDK: get a node', ok: { status: 200, description: 'The node', schema: sdkOk }, errors: ['stream_not_found', 'node_not_found'] });
  on('DELETE', `${SDK}/node/:streamId/:nodeId`, async (c) => {
    const id = pathId(c);
    const nodeId = pathId(c, 'nodeId');
    const node = await nodeOf(id, nodeId);
    await backend.instinctRemoveNodes(id, [nodeId]);
    return sdk(`Node ${nodeId} removed from stream ${id}`, { node });
  }, { summary: 'SDK: delete a node (and its pipes)', ok: { status: 200, description: 'Removed', schema: sdkOk }, errors: ['stream_not_found', 'node_not_found'] });
  const pipeOf = async (streamId: string, pipeId: string) => {
    const p = (await backend.instinctGet(streamId)).pipes.find((x) => x.id === pipeId);
    if (!p) throw new InstinctError('pipe_not_found', `Stream ${streamId} has no pipe ${pipeId}`, { ids: [pipeId] });
    return renderStream({ id: streamId, meta: {}, nodes: [], pipes: [p] }).pipes[0];
  };
  on('POST', `${SDK}/pipe`, async (c) => {
    const v = await sdkBody(c);
    const id = bodyId(v);
    const pipe = toPipe(parse(pipeSchema, v.pipe, 'pipe'));
    await backend.instinctAddPipes(id, [pipe]);
    return sdk(`Pipe ${pipe.id} added to stream ${id}`, { pipe: await pipeOf(id, pipe.id) });
  }, { summary: 'SDK: add a pipe ({"streamId", "pipe"})', body: z.object({ streamId: z.string(), pipe: pipeSchema }), ok: { status: 200, description: 'Added', schema: sdkOk }, errors: ['stream_not_found', 'invalid_parameter', 'validation_failed', 'stream_already_exists'] });
  on('GET', `${SDK}/pipe/:streamId/:pipeId`, async (c) => {
    const pipe = await pipeOf(pathId(c), pathId(c, 'pipeId'));
    return sdk(`Pipe ${pipe.id}`, { pipe });
  }, { summary: 'SDK: get a pipe', ok: { status: 200, description: 'The pipe', schema: sdkOk }, errors: ['stream_not_found', 'pipe_not_found'] });
  on('DELETE', `${SDK}/pipe/:streamId/:pipeId`, async (c) => {
    const id = pathId(c);
    const pipe = await pipeOf(id, pathId(c, 'pipeId'));
    await backend.instinctRemovePipes(id, [pipe.id]);
    return sdk(`Pipe ${pipe.id} removed from stream ${id}`, { pipe });
  }, { summary: 'SDK: delete a pipe', ok: { status: 200, description: 'Removed', schema: sdkOk }, errors: ['stream_not_found', 'pipe_not_found'] });

  opts.system?.(r, mount);
  return r.finish(mount);
}

