// The NeuroPype-compatible family (API.md §7), mounted at /np (and at the bridge's root).
// Runs wherever the router runs; parses and validates every request, then calls the Backend and
// renders NeuroPype's wire shapes. Must not hold execution state itself (the Backend does).

import { Hono, type Context } from 'hono';
import { z } from 'zod';
import {
  type Backend,
  type BackendErrorCode,
  type EdgeCreate,
  type ExecutionInfo,
  type NodeCreate,
  type NpParameter,
  type NpPort,
  type StatePatch,
} from './backend';
import {
  ApiError,
  emptyString,
  FamilyRoutes,
  json,
  normalizedGetPath,
  readJsonBody,
  STATUS_OF_CODE,
  type FamilyEnvelope,
  type GenericFailure,
  type RouteDoc,
} from './http';

/** Version reported by GET /version; compares ≥ 2024.1.0 so clients pick the action endpoints. */
export const NP_VERSION = '2024.1.0+browser.0.1.0';
/** Largest request body accepted (inline .pyp content included). */
export const NP_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Most log records returned by one GET /logs. */
export const NP_LOGS_PAGE = 1000;
/** Most error records returned by one GET /errors. */
export const NP_ERRORS_PAGE = 100;

const GENERIC: Record<GenericFailure, string> = {
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  BAD_REQUEST: 'BAD_REQUEST',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  INTERNAL: 'INTERNAL',
  ENGINE_UNAVAILABLE: 'ENGINE_UNAVAILABLE',
};

/** `{"error": {"code", "message"}}` (+ `details` when there are any, e.g. the unsupported classes). */
export const neuropypeEnvelope: FamilyEnvelope = {
  family: 'NeuroPype',
  generic: (k) => GENERIC[k],
  body: (_status, code, message, details) => ({ error: { code, message, ...(details ? { details } : {}) } }),
  fromBackend: (code: BackendErrorCode) => ({ status: STATUS_OF_CODE[code] ?? 500, code }),
};

const bad = (message: string) => new ApiError(400, 'BAD_REQUEST', message);

// --- path parameters ---------------------------------------------------------------------------

function execId(c: Context): number {
  const raw = c.req.param('id') ?? '';
  if (!/^[0-9]{1,9}$/.test(raw)) throw new ApiError(404, 'EXECUTION_NOT_FOUND', `Execution ${raw} does not exist`);
  return Number(raw);
}

function intParam(c: Context, name: string, code: BackendErrorCode, what: string): number {
  const raw = c.req.param(name) ?? '';
  if (!/^[0-9]{1,9}$/.test(raw)) throw new ApiError(404, code, `${what} ${raw} does not exist`);
  return Number(raw);
}

// --- bodies ------------------------------------------------------------------------------------

async function body(c: Context): Promise<unknown> {
  return readJsonBody(c, neuropypeEnvelope, { maxBytes: NP_MAX_BODY_BYTES, pythonTokens: true });
}

function describeIssues(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`)
    .join('; ');
}

function parse<T>(schema: z.ZodType<T>, value: unknown, code = 'BAD_REQUEST', status = 400): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new ApiError(status, code, describeIssues(r.error));
  return r.data;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function objectBody(v: unknown, what: string): Record<string, unknown> {
  if (v === undefined) return {};
  if (!isObject(v)) throw bad(`${what}: expected a JSON object`);
  return v;
}

const infoSchema = z
  .looseObject({
    log_level: z.number().int('log_level must be an integer (10 DEBUG … 50 CRITICAL)').optional(),
    error_mode: z.enum(['ignore', 'debug', 'stop'], { message: "error_mode must be 'ignore', 'debug' or 'stop'" }).optional(),
    tickrate: z.number().positive('tickrate must be a number > 0 (Hz)').finite('tickrate must be finite').optional(),
    debug_hooks: z.array(z.unknown()).optional(),
  })
  .refine((v) => v.log_level === undefined || (v.log_level >= 0 && v.log_level <= 100), {
    message: 'log_level must be a Python logging level between 0 and 100',
  });

const createSchema = z.looseObject({ info: z.unknown().optional() });

const loadSchema = z.looseObject({
  what: z.enum(['graph', 'parameters'], { message: "what must be 'graph' or 'parameters'" }).optional(),
  file: z.string().min(1, 'file must not be empty').max(4096).optional(),
  content: z.string().min(1, 'content must not be empty').optional(),
  token: z.string().optional().nullable(),
  data: z.unknown().optional(),
});

const paramsDataSchema = z.record(z.string(), z.looseObject({ value: z.unknown() }).refine((v) => 'value' in v, 'each entry needs a "value" key'));

const statePatchSchema = z.looseObject({
  running: z.boolean('running must be true or false').optional(),
  paused: z.boolean('paused must be true or false').optional(),
  completed: z.boolean('completed must be true or false').optional(),
  needs_keepalive: z.boolean('needs_keepalive must be true or false').optional(),
});

const descriptionSchema = z.strictObject(
  {
    name: z.string().optional(),
    description: z.string().optional(),
    url: z.string().optional(),
    status: z.string().optional(),
    license: z.string().optional(),
    version: z.string().optional(),
  },
  { message: 'only name, description, url, status, license and version can be set (all strings)' },
);

const positionSchema = z.object({ x: z.number().finite(), y: z.number().finite() });

const nodeCreateSchema = z
  .looseObject({
    type: z.string().min(1).optional(),
    class: z.string().min(1).optional(),
    module: z.string().optional(),
    uuid: z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'uuid must be a dashed UUID').optional(),
    title: z.string().optional(),
    position: positionSchema.optional(),
    parameters: z
      .union([z.record(z.string(), z.unknown()), z.array(z.looseObject({ id: z.string(), value: z.unknown() }))])
      .optional(),
  })
  .refine((v) => v.type !== undefined || v.class !== undefined, { message: 'give the node class as "type" or "class"' });

const portName = z.string().min(1).max(200);
const edgeCreateSchema = z.looseObject({
  source_node: z.number().int('source_node must be an integer node id'),
  source_port: portName.optional(),
  target_node: z.number().int('target_node must be an integer node id'),
  target_port: portName.optional(),
});

const saveSchema = z.looseObject({ file: z.string().min(1, 'file must not be empty').max(4096).optional() });

function fromIdx(c: Context): number {
  const raw = c.req.query('from_idx');
  if (raw === undefined || raw === '') return 0;
  if (!/^-?[0-9]{1,15}$/.test(raw)) throw bad(`from_idx must be an integer, got ${JSON.stringify(raw)}`);
  return Math.max(0, Number(raw));
}

// --- rendering -----------------------------------------------------------------------------------

/** value_domain is the one place where ±Infinity is written as the strings "Infinity"/"-Infinity". */
function domain(d: (number | string)[] | null): (number | string)[] | null {
  if (!d) return null;
  return d.map((v) => (v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v));
}
const renderParam = (p: NpParameter): NpParameter => ({ ...p, value_domain: domain(p.value_domain) });
const renderPort = (p: NpPort): NpPort => ({ ...p, value_domain: domain(p.value_domain) });

// --- OpenAPI: response schemas and one entry per route (checked complete by the spec) -----------

const domainSchema = z.array(z.union([z.number(), z.string()])).nullable();
const infoOut = z.object({ log_level: z.number().int(), error_mode: z.enum(['ignore', 'debug', 'stop']), tickrate: z.number(), debug_hooks: z.array(z.unknown()) });
const stateOut = z.object({
  running: z.boolean(),
  paused: z.boolean(),
  completed: z.boolean(),
  calibrating: z.boolean(),
  needs_keepalive: z.boolean(),
  had_errors: z.boolean(),
  status: z.enum(['pending', 'calibrating', 'running', 'paused', 'stopped', 'succeeded', 'failed']),
});
const descriptionOut = z.object({ name: z.string(), description: z.string(), url: z.string(), status: z.string(), license: z.string(), version: z.string() });
const parameterOut = z.object({ id: z.string(), value: z.unknown(), value_type: z.string(), port_type: z.string(), value_domain: domainSchema, customized: z.boolean() });
const nodeOut = z.object({
  id: z.number().int(),
  uuid: z.string(),
  type: z.string(),
  module: z.string(),
  title: z.string(),
  position: positionSchema.optional(),
  parameters: z.array(parameterOut),
});
const edgeOut = z.object({ id: z.number().int(), source_node: z.number().int(), source_port: z.string(), target_node: z.number().int(), target_port: z.string() });
const graphOut = z.object({ description: descriptionOut, nodes: z.array(nodeOut), edges: z.array(edgeOut) });
const errorRecordOut = z.object({
  id: z.number().int(),
  time: z.number(),
  node_id: z.number().int().nullable(),
  node_type: z.string().nullable(),
  message: z.string(),
  traceback: z.string().nullable(),
  fatal: z.boolean(),
});
const logRecordOut = z.object({ id: z.number().int(), level: z.number().int(), message: z.string(), time: z.number(), name: z.string(), node_id: z.number().int().nullable() });
const executionOut = z.object({ id: z.number().int(), info: infoOut, state: stateOut.optional(), graph: graphOut.optional(), errors: z.array(errorRecordOut) });
const portOut = z.object({
  id: z.string(),
  verbose_name: z.string(),
  help: z.string(),
  port_type: z.string(),
  value_type: z.string(),
  direction: z.enum(['IN', 'OUT', 'INOUT']),
  default: z.unknown(),
  value_domain: domainSchema,
  editable: z.boolean(),
  is_data_port: z.boolean(),
  connected: z.boolean().optional(),
});
const classOut = z.object({ class: z.string(), module: z.string(), package: z.string(), name: z.string(), version: z.string(), summary: z.string(), browser_supported: z.boolean() });
const emptyStringOut = z.literal('').describe('The JSON document "" (NeuroPype\'s "200 with an empty string").');
const ok = (description: string, schema?: z.ZodType) => ({ status: 200, description, ...(schema ? { schema } : {}) });
const empty = (description: string) => ok(description, emptyStringOut);
const X = 'EXECUTION_NOT_FOUND';

/** [method, path relative to the mount, doc] for every NeuroPype route. */
export const NEUROPYPE_DOCS: ['GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', string, RouteDoc][] = [
  ['GET', '/', { summary: 'Liveness for clients that probe the base URL', ok: ok('Service marker', z.object({ service: z.string(), api: z.string() })), errors: ['ENGINE_UNAVAILABLE'] }],
  ['GET', '/version', { summary: 'NeuroPype version, edition and install (the mount path)', ok: ok('Version', z.object({ version: z.string(), edition: z.string(), install: z.string() })), errors: ['ENGINE_UNAVAILABLE'] }],
  ['GET', '/executions', { summary: 'List live executions (info and state only when a pipeline is loaded)', ok: ok('Executions', z.array(z.object({ id: z.number().int(), info: infoOut.optional(), state: stateOut.optional() }))) }],
  ['POST', '/executions', { summary: 'Create an execution; info is fixed for its life', body: z.object({ info: infoSchema.optional() }), ok: ok('Created (200, as NeuroPype)', z.object({ id: z.number().int(), info: infoOut, errors: z.array(errorRecordOut) })), errors: ['INVALID_INFO', 'EXECUTION_LIMIT'] }],
  ['GET', '/executions/{id}', { summary: 'Execution details (state and graph when loaded)', ok: ok('Execution', executionOut), errors: [X] }],
  ['DELETE', '/executions/{id}', { summary: 'Stop immediately and forget the execution', ok: empty('Deleted'), errors: [X] }],
  ['GET', '/executions/{id}/info', { summary: 'Execution info (read-only; PUT/PATCH answer 405 READ_ONLY)', ok: ok('Info', infoOut), errors: [X] }],
  ['POST', '/executions/{id}/actions/load', { summary: 'Load a pipeline (file from the pipeline store or inline content), or legacy {what: "parameters"}', body: loadSchema, ok: empty('Loaded; state pending'), errors: [X, 'BAD_REQUEST', 'FILE_NOT_FOUND', 'PIPELINE_PARSE_ERROR', 'UNSUPPORTED_NODE_CLASS', 'ENCRYPTED_PIPELINE_UNSUPPORTED', 'INVALID_PARAMETER_VALUE', 'NO_PIPELINE_LOADED'] }],
  ['POST', '/executions/{id}/actions/configure', { summary: 'Set ParameterPort values by name (unknown names: one WARNING log record each)', body: z.record(z.string(), z.unknown()), ok: empty('Applied'), errors: [X, 'BAD_REQUEST', 'NO_PIPELINE_LOADED', 'INVALID_PARAMETER_VALUE'] }],
  ['POST', '/executions/{id}/actions/play', { summary: 'Play (restart from the beginning), or resume when paused', ok: empty('Playing'), errors: [X, 'NO_PIPELINE_LOADED'] }],
  ['POST', '/executions/{id}/actions/pause', { summary: 'Pause a running execution', ok: empty('Paused'), errors: [X, 'INVALID_STATE_TRANSITION'] }],
  ['POST', '/executions/{id}/actions/resume', { summary: 'Resume a paused execution', ok: empty('Running'), errors: [X, 'INVALID_STATE_TRANSITION'] }],
  ['POST', '/executions/{id}/actions/stop', { summary: 'Stop (graph kept, restartable)', ok: empty('Stopped'), errors: [X] }],
  ['POST', '/executions/{id}/actions/keepalive', { summary: 'Refresh the keepalive timer (needs_keepalive: stopped 5 s after the last ping)', ok: empty('Pinged'), errors: [X] }],
  ['POST', '/executions/{id}/actions/reload', { summary: 'Re-read the graph from the file it was loaded from', ok: empty('Reloaded; state pending'), errors: [X, 'NO_PIPELINE_LOADED', 'FILE_NOT_FOUND', 'PIPELINE_PARSE_ERROR', 'UNSUPPORTED_NODE_CLASS'] }],
  ['POST', '/executions/{id}/actions/save', { summary: 'Save the graph (with API changes) as .pyp (or .json) to the pipeline store', body: saveSchema, ok: empty('Saved'), errors: [X, 'BAD_REQUEST', 'NO_PIPELINE_LOADED', 'INSUFFICIENT_STORAGE'] }],
  ['GET', '/executions/{id}/state', { summary: 'Execution state (not a keepalive ping)', ok: ok('State', stateOut), errors: [X] }],
  ['PATCH', '/executions/{id}/state', { summary: 'Legacy control: any of completed, running, paused, needs_keepalive (applied in that order)', body: statePatchSchema, ok: ok('State after the change', stateOut), errors: [X, 'BAD_REQUEST', 'NO_PIPELINE_LOADED'] }],
  ['GET', '/executions/{id}/logs', { summary: 'Log records with id ≥ from_idx (at most 1000; keepalive ping)', query: { from_idx: 'First record id (integer, default 0); page with last.id + 1' }, ok: ok('Records, ascending', z.array(logRecordOut)), errors: [X, 'BAD_REQUEST'] }],
  ['GET', '/executions/{id}/errors', { summary: 'Latest 100 error records (keepalive ping)', query: { from_idx: 'First record id (integer, default 0)' }, ok: ok('Records, ascending', z.array(errorRecordOut)), errors: [X, 'BAD_REQUEST'] }],
  ['GET', '/executions/{id}/graph', { summary: 'The whole graph (empty when nothing is loaded)', ok: ok('Graph', graphOut), errors: [X] }],
  ['GET', '/executions/{id}/graph/description', { summary: 'Graph description', ok: ok('Description', descriptionOut), errors: [X] }],
  ['PUT', '/executions/{id}/graph/description', { summary: 'Change description fields', body: descriptionSchema, ok: ok('Description after the change', descriptionOut), errors: [X, 'BAD_REQUEST'] }],
  ['GET', '/executions/{id}/graph/nodes', { summary: 'Nodes', ok: ok('Nodes', z.array(nodeOut)), errors: [X] }],
  ['POST', '/executions/{id}/graph/nodes', { summary: 'Add a node (an empty execution gets an empty graph first)', body: nodeCreateSchema, ok: ok('The new node', nodeOut), errors: [X, 'BAD_REQUEST', 'NODE_CLASS_NOT_FOUND', 'UNSUPPORTED_NODE_CLASS', 'INVALID_PARAMETER_VALUE'] }],
  ['GET', '/executions/{id}/graph/nodes/{node_id}', { summary: 'One node', ok: ok('Node', nodeOut), errors: [X, 'NODE_NOT_FOUND'] }],
  ['DELETE', '/executions/{id}/graph/nodes/{node_id}', { summary: 'Remove a node and every edge touching it', ok: empty('Removed'), errors: [X, 'NODE_NOT_FOUND'] }],
  ['GET', '/executions/{id}/graph/nodes/{node_id}/parameters', { summary: "A node's parameters (aliases listed under both names)", ok: ok('Parameters', z.array(parameterOut)), errors: [X, 'NODE_NOT_FOUND'] }],
  ['GET', '/executions/{id}/graph/nodes/{node_id}/parameters/{param}', { summary: 'One parameter', ok: ok('Parameter', parameterOut), errors: [X, 'NODE_NOT_FOUND', 'PARAMETER_NOT_FOUND'] }],
  ['PATCH', '/executions/{id}/graph/nodes/{node_id}/parameters/{param}', { summary: 'Set a parameter (only "value" is applied; live while running)', body: z.looseObject({ value: z.unknown() }), ok: ok('Parameter after the change', parameterOut), errors: [X, 'BAD_REQUEST', 'NODE_NOT_FOUND', 'PARAMETER_NOT_FOUND', 'INVALID_PARAMETER_VALUE'] }],
  ['GET', '/executions/{id}/graph/nodes/{node_id}/parameters/{param}/value', { summary: 'Raw parameter value', ok: ok('The value as a JSON document', z.unknown()), errors: [X, 'NODE_NOT_FOUND', 'PARAMETER_NOT_FOUND'] }],
  ['PUT', '/executions/{id}/graph/nodes/{node_id}/parameters/{param}/value', { summary: 'Set the raw value (body = the JSON value)', body: z.unknown(), ok: empty('Set'), errors: [X, 'BAD_REQUEST', 'NODE_NOT_FOUND', 'PARAMETER_NOT_FOUND', 'INVALID_PARAMETER_VALUE'] }],
  ['GET', '/executions/{id}/graph/nodes/{node_id}/ports', { summary: 'All ports of a node (data and parameter ports, with connected)', ok: ok('Ports', z.array(portOut)), errors: [X, 'NODE_NOT_FOUND'] }],
  ['GET', '/executions/{id}/graph/edges', { summary: 'Edges', ok: ok('Edges', z.array(edgeOut)), errors: [X] }],
  ['POST', '/executions/{id}/graph/edges', { summary: 'Add an edge (ports default to "data"; an input accepts one edge)', body: edgeCreateSchema, ok: ok('The new edge', edgeOut), errors: [X, 'BAD_REQUEST', 'NODE_NOT_FOUND', 'UNKNOWN_PORT', 'PORT_DIRECTION_MISMATCH', 'PORT_ALREADY_CONNECTED'] }],
  ['GET', '/executions/{id}/graph/edges/{edge_id}', { summary: 'One edge', ok: ok('Edge', edgeOut), errors: [X, 'EDGE_NOT_FOUND'] }],
  ['DELETE', '/executions/{id}/graph/edges/{edge_id}', { summary: 'Remove an edge', ok: empty('Removed'), errors: [X, 'EDGE_NOT_FOUND'] }],
  ['GET', '/packages', { summary: 'Node packages (NeuroPype module groups)', ok: ok('Packages', z.array(z.object({ id: z.string(), name: z.string(), module: z.string(), description: z.string(), node_count: z.number().int() }))) }],
  ['GET', '/nodeclasses', { summary: 'Node classes, optionally of one package', query: { package: 'Package id (GET /packages)' }, ok: ok('Classes', z.array(classOut)), errors: ['PACKAGE_NOT_FOUND'] }],
  ['GET', '/nodeclasses/{class_name}', { summary: 'Class details with ports and Markdown doc (class name or fully qualified module)', ok: ok('Class', classOut.extend({ ports: z.array(portOut), doc: z.string() })), errors: ['NODE_CLASS_NOT_FOUND'] }],
];

/** Hono pattern for an OpenAPI path of this family ("{id}" → ":id"). */
const honoPattern = (openapiPath: string) => openapiPath.replace(/\{(\w+)\}/g, (_m, n: string) => `:${n === 'node_id' ? 'node' : n === 'edge_id' ? 'edge' : n === 'class_name' ? 'name' : n}`);

// --- the app -------------------------------------------------------------------------------------

/** The NeuroPype app with routes relative to `mount` ("/np", or "" at the bridge's root). */
export function createNeuroPypeApp(backend: Backend, mount = '/np'): Hono {
  const app = new Hono({ getPath: normalizedGetPath });
  const r = new FamilyRoutes(app, neuropypeEnvelope);
  const P = (p: string) => (p === '/' ? mount || '/' : mount + p);
  const up = async () => {
    const st = await backend.status();
    if (st.engine !== 'up') throw new ApiError(503, 'ENGINE_UNAVAILABLE', `The Neurotab engine is not available (${st.reason ?? 'no engine'}); open Neurotab in a browser tab`);
  };
  const E = (p = '') => P(`/executions/:id${p}`);
  const N = (p = '') => E(`/graph/nodes/:node${p}`);

  // #1, #2
  r.on('GET', P('/'), async () => {
    await up();
    return json({ service: 'neuropype-compat', api: '2024.1.0' });
  });
  r.on('GET', P('/version'), async () => {
    await up();
    return json({ version: NP_VERSION, edition: 'Browser', install: mount || '/' });
  });

  // #3, #4
  r.on('GET', P('/executions'), async () => json(await backend.listExecutions()));
  r.on('POST', P('/executions'), async (c) => {
    const b = parse(createSchema, objectBody(await body(c), 'execution'));
    let info: Partial<ExecutionInfo> = {};
    if (b.info !== undefined && b.info !== null) {
      if (!isObject(b.info)) throw new ApiError(400, 'INVALID_INFO', 'info must be an object with log_level, error_mode and tickrate');
      const v = parse(infoSchema, b.info, 'INVALID_INFO');
      // Only the documented keys; anything else a client sends is ignored.
      if (v.log_level !== undefined) info.log_level = v.log_level;
      if (v.error_mode !== undefined) info.error_mode = v.error_mode;
      if (v.tickrate !== undefined) info.tickrate = v.tickrate;
    }
    const ex = await backend.createExecution(info);
    return json({ id: ex.id, info: ex.info, errors: ex.errors });
  });

  // #5, #6
  r.on('GET', E(), async (c) => json(await backend.getExecution(execId(c))));
  r.on('DELETE', E(), async (c) => {
    await backend.deleteExecution(execId(c));
    return emptyString();
  });

  // #7 (+ PUT/PATCH → 405 READ_ONLY)
  r.on('GET', E('/info'), async (c) => json(await backend.getInfo(execId(c))));
  const readOnly = async (c: Context) => {
    await backend.getInfo(execId(c)); // 404 first for unknown executions
    throw new ApiError(405, 'READ_ONLY', 'Execution info can only be set when the execution is created (POST /executions with {"info": …})', undefined, {
      Allow: 'GET, HEAD, OPTIONS',
    });
  };
  app.on(['PUT', 'PATCH'], E('/info'), readOnly);

  // #8 load (graph or legacy parameters)
  r.on('POST', E('/actions/load'), async (c) => {
    const id = execId(c);
    const b = parse(loadSchema, objectBody(await body(c), 'load request'));
    if (b.what === 'parameters') {
      const data = parse(paramsDataSchema, b.data ?? {});
      const values: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(data)) values[k] = (v as { value: unknown }).value;
      await backend.configure(id, values);
      return emptyString();
    }
    if (b.file === undefined && b.content === undefined) throw bad('give "file" (a pipeline name in the store) or "content" (pipeline text) to load');
    await backend.load(id, { file: b.file, content: b.content, token: b.token ?? undefined });
    return emptyString();
  });

  // #9 configure
  r.on('POST', E('/actions/configure'), async (c) => {
    const id = execId(c);
    const b = await body(c);
    if (!isObject(b)) throw bad('configure expects a JSON object {<ParameterPort name>: value, …}');
    await backend.configure(id, b);
    return emptyString();
  });

  // #10, #11
  for (const action of ['play', 'pause', 'resume', 'stop', 'keepalive'] as const) {
    r.on('POST', E(`/actions/${action}`), async (c) => {
      await backend.control(execId(c), action);
      return emptyString();
    });
  }
  // #12
  r.on('POST', E('/actions/reload'), async (c) => {
    await backend.reload(execId(c));
    return emptyString();
  });
  // #13
  r.on('POST', E('/actions/save'), async (c) => {
    const id = execId(c);
    const b = parse(saveSchema, objectBody(await body(c), 'save request'));
    await backend.save(id, b.file);
    return emptyString();
  });

  // #14, #15
  r.on('GET', E('/state'), async (c) => json(await backend.getState(execId(c))));
  r.on('PATCH', E('/state'), async (c) => {
    const id = execId(c);
    const b = await body(c);
    if (!isObject(b)) throw bad('PATCH /state expects a JSON object with any of running, paused, completed, needs_keepalive');
    const p = parse(statePatchSchema, b);
    const patch: StatePatch = {};
    for (const k of ['completed', 'running', 'paused', 'needs_keepalive'] as const) if (p[k] !== undefined) patch[k] = p[k];
    return json(await backend.patchState(id, patch));
  });

  // #16, #17
  r.on('GET', E('/logs'), async (c) => {
    const id = execId(c);
    return json(await backend.logs(id, fromIdx(c), NP_LOGS_PAGE));
  });
  r.on('GET', E('/errors'), async (c) => {
    const id = execId(c);
    return json(await backend.errors(id, fromIdx(c), NP_ERRORS_PAGE));
  });

  // #18, #19
  r.on('GET', E('/graph'), async (c) => {
    const g = await backend.getGraph(execId(c));
    return json({ ...g, nodes: g.nodes.map((n) => ({ ...n, parameters: n.parameters.map(renderParam) })) });
  });
  r.on('GET', E('/graph/description'), async (c) => json((await backend.getGraph(execId(c))).description));
  r.on('PUT', E('/graph/description'), async (c) => {
    const id = execId(c);
    const d = parse(descriptionSchema, objectBody(await body(c), 'description'));
    return json(await backend.setDescription(id, d));
  });

  // #20, #21
  r.on('GET', E('/graph/nodes'), async (c) => {
    const g = await backend.getGraph(execId(c));
    return json(g.nodes.map((n) => ({ ...n, parameters: n.parameters.map(renderParam) })));
  });
  r.on('POST', E('/graph/nodes'), async (c) => {
    const id = execId(c);
    const b = await body(c);
    if (!isObject(b)) throw bad('add a node with a JSON object {"type": <node class>, "parameters": {…}}');
    const n = parse(nodeCreateSchema, b);
    let parameters: Record<string, unknown> | undefined;
    if (Array.isArray(n.parameters)) {
      parameters = {};
      for (const p of n.parameters) Object.defineProperty(parameters, p.id, { value: p.value, enumerable: true, writable: true, configurable: true });
    } else parameters = n.parameters;
    const create: NodeCreate = {
      class: (n.type ?? n.class) as string,
      ...(n.module !== undefined ? { module: n.module } : {}),
      ...(n.uuid !== undefined ? { uuid: n.uuid.toLowerCase() } : {}),
      ...(n.title !== undefined ? { title: n.title } : {}),
      ...(n.position !== undefined ? { position: n.position } : {}),
      ...(parameters !== undefined ? { parameters } : {}),
    };
    const node = await backend.addNode(id, create);
    return json({ ...node, parameters: node.parameters.map(renderParam) });
  });
  const findNode = async (c: Context) => {
    const id = execId(c);
    const nodeId = intParam(c, 'node', 'NODE_NOT_FOUND', 'Node');
    const g = await backend.getGraph(id);
    const node = g.nodes.find((n) => n.id === nodeId);
    if (!node) throw new ApiError(404, 'NODE_NOT_FOUND', `Node ${nodeId} does not exist in execution ${id}`);
    return { id, nodeId, node, graph: g };
  };
  r.on('GET', N(), async (c) => {
    const { node } = await findNode(c);
    return json({ ...node, parameters: node.parameters.map(renderParam) });
  });
  r.on('DELETE', N(), async (c) => {
    const id = execId(c);
    await backend.removeNode(id, intParam(c, 'node', 'NODE_NOT_FOUND', 'Node'));
    return emptyString();
  });

  // #22 – #24
  const findParam = async (c: Context) => {
    const f = await findNode(c);
    const name = c.req.param('param') ?? '';
    const p = f.node.parameters.find((q) => q.id === name);
    if (!p) throw new ApiError(404, 'PARAMETER_NOT_FOUND', `Node ${f.nodeId} (${f.node.type}) has no parameter "${name}"`);
    return { ...f, name, param: p };
  };
  r.on('GET', N('/parameters'), async (c) => json((await findNode(c)).node.parameters.map(renderParam)));
  r.on('GET', N('/parameters/:param'), async (c) => json(renderParam((await findParam(c)).param)));
  r.on('PATCH', N('/parameters/:param'), async (c) => {
    const { id, nodeId, name } = await findParam(c);
    const b = await body(c);
    if (!isObject(b) || !('value' in b)) throw bad('PATCH a parameter with a JSON object that has a "value" key');
    return json(renderParam(await backend.setParameter(id, nodeId, name, b.value)));
  });
  r.on('GET', N('/parameters/:param/value'), async (c) => json((await findParam(c)).param.value));
  r.on('PUT', N('/parameters/:param/value'), async (c) => {
    const { id, nodeId, name } = await findParam(c);
    const b = await body(c);
    if (b === undefined) throw bad('PUT the new value as a JSON document (e.g. "P07", 4, [1, 2] or null)');
    await backend.setParameter(id, nodeId, name, b);
    return emptyString();
  });

  // #25
  r.on('GET', N('/ports'), async (c) => {
    const id = execId(c);
    return json((await backend.getPorts(id, intParam(c, 'node', 'NODE_NOT_FOUND', 'Node'))).map(renderPort));
  });

  // #26, #27
  r.on('GET', E('/graph/edges'), async (c) => json((await backend.getGraph(execId(c))).edges));
  r.on('POST', E('/graph/edges'), async (c) => {
    const id = execId(c);
    const b = await body(c);
    if (!isObject(b)) throw bad('add an edge with {"source_node": int, "source_port": str, "target_node": int, "target_port": str}');
    const e = parse(edgeCreateSchema, b);
    const create: EdgeCreate = {
      source_node: e.source_node,
      source_port: e.source_port ?? 'data',
      target_node: e.target_node,
      target_port: e.target_port ?? 'data',
    };
    return json(await backend.addEdge(id, create));
  });
  r.on('GET', E('/graph/edges/:edge'), async (c) => {
    const id = execId(c);
    const edgeId = intParam(c, 'edge', 'EDGE_NOT_FOUND', 'Edge');
    const edge = (await backend.getGraph(id)).edges.find((e) => e.id === edgeId);
    if (!edge) throw new ApiError(404, 'EDGE_NOT_FOUND', `Edge ${edgeId} does not exist`);
    return json(edge);
  });
  r.on('DELETE', E('/graph/edges/:edge'), async (c) => {
    const id = execId(c);
    await backend.removeEdge(id, intParam(c, 'edge', 'EDGE_NOT_FOUND', 'Edge'));
    return emptyString();
  });

  // #28 – #30
  r.on('GET', P('/packages'), async () => json(await backend.listPackages()));
  r.on('GET', P('/nodeclasses'), async (c) => {
    const pkg = c.req.query('package');
    return json(await backend.listNodeClasses(pkg === undefined || pkg === '' ? undefined : pkg));
  });
  r.on('GET', P('/nodeclasses/:name'), async (c) => {
    const d = await backend.getNodeClass(c.req.param('name') ?? '');
    return json({ ...d, ports: d.ports.map(renderPort) });
  });

  for (const [method, path, doc] of NEUROPYPE_DOCS) r.describe(method, P(honoPattern(path)), doc);
  return r.finish(mount);
}
