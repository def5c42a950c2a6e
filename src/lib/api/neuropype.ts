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

  // PUT/PATCH on /info are answered above with READ_ONLY; record them for Allow/OPTIONS purposes only.
  return r.finish(mount);
}
