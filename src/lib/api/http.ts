// Behaviour common to every API family (API.md §1): path normalisation, request ids, no-store,
// OPTIONS/HEAD/405 from a per-family route table, bounded body reading, JSON (Python dialect) and
// form sniffing, and the family error envelope. Runs wherever the routers run (service worker,
// bridge, tests). Must not touch the engine or storage; must never read more body than its limit.

import type { Context, Handler, Hono, MiddlewareHandler } from 'hono';
import type { ZodType } from 'zod';
import { InputError } from '../core/errors';
import { parsePythonJson } from '../core/python-json';
import { concatBytes } from '../formats/bytes';
import { BackendError, type BackendErrorCode } from './backend';

// ---------------------------------------------------------------------------------------------
// Request ids: req_<ULID> (26 Crockford base-32 characters: 48-bit ms time + 80 random bits).

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID string (26 characters, time-sortable). */
export function ulid(timeMs: number = Date.now()): string {
  let t = Math.floor(timeMs);
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const r = new Uint8Array(16);
  crypto.getRandomValues(r);
  let rand = '';
  for (let i = 0; i < 16; i++) rand += CROCKFORD[r[i] & 31];
  return time + rand;
}

export function requestId(): string {
  return `req_${ulid()}`;
}

// ---------------------------------------------------------------------------------------------
// Paths

/** Collapse runs of `/`, drop a trailing `/` (the origin root `/` stays). Case is kept. */
export function normalizePath(path: string): string {
  let p = path.replace(/\/{2,}/g, '/');
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (!p.startsWith('/')) p = '/' + p;
  return p;
}

/** Hono `getPath` option: route on the normalised path (query string excluded). */
export function normalizedGetPath(req: Request): string {
  const url = req.url;
  const start = url.indexOf('/', url.indexOf('://') + 3);
  if (start < 0) return '/';
  let end = url.indexOf('?', start);
  const hash = url.indexOf('#', start);
  if (end < 0 || (hash >= 0 && hash < end)) end = hash >= 0 ? hash : url.length;
  return normalizePath(url.slice(start, end));
}

/** Common headers on every response (§1.8). */
export const commonHeaders: MiddlewareHandler = async (c, next) => {
  const id = requestId();
  c.set('requestId' as never, id as never);
  await next();
  c.res.headers.set('X-Request-Id', id);
  c.res.headers.set('Cache-Control', 'no-store');
};

// ---------------------------------------------------------------------------------------------
// Errors

/** An HTTP failure rendered in the family's envelope. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

/** HTTP status of each backend code (API.md §6, NeuroPype list). */
export const STATUS_OF_CODE: Record<BackendErrorCode, number> = {
  EXECUTION_NOT_FOUND: 404,
  NODE_NOT_FOUND: 404,
  EDGE_NOT_FOUND: 404,
  PARAMETER_NOT_FOUND: 404,
  NODE_CLASS_NOT_FOUND: 404,
  PACKAGE_NOT_FOUND: 404,
  FILE_NOT_FOUND: 404,
  BAD_REQUEST: 400,
  INVALID_INFO: 400,
  NO_PIPELINE_LOADED: 409,
  INVALID_STATE_TRANSITION: 409,
  PORT_ALREADY_CONNECTED: 409,
  PIPELINE_PARSE_ERROR: 422,
  UNSUPPORTED_NODE_CLASS: 422,
  UNKNOWN_PORT: 422,
  PORT_DIRECTION_MISMATCH: 422,
  INVALID_PARAMETER_VALUE: 422,
  ENCRYPTED_PIPELINE_UNSUPPORTED: 422,
  READ_ONLY: 405,
  EXECUTION_LIMIT: 429,
  INSUFFICIENT_STORAGE: 507,
  ENGINE_UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** Generic situations every family must express in its own words/codes. */
export type GenericFailure = 'NOT_FOUND' | 'METHOD_NOT_ALLOWED' | 'BAD_REQUEST' | 'PAYLOAD_TOO_LARGE' | 'INTERNAL' | 'ENGINE_UNAVAILABLE';

/** How one family renders failures on the wire. */
export interface FamilyEnvelope {
  /** Family name, used in messages ("neuropype"). */
  family: string;
  /** The code this family uses for a generic failure. */
  generic(kind: GenericFailure): string;
  /** The JSON body for an error. */
  body(status: number, code: string, message: string, details: Record<string, unknown> | undefined, requestId: string): unknown;
  /** Map a backend error code to this family's status and code. */
  fromBackend(code: BackendErrorCode): { status: number; code: string };
}

/** Turn anything thrown inside a family app into its envelope. */
export function errorResponse(c: Context, env: FamilyEnvelope, err: unknown): Response {
  let status: number;
  let code: string;
  let message: string;
  let details: Record<string, unknown> | undefined;
  let headers: Record<string, string> = {};
  if (err instanceof ApiError) {
    ({ status, code, message, details } = err);
    headers = err.headers ?? {};
  } else if (err instanceof BackendError || isWireError(err)) {
    const e = err as { code: BackendErrorCode; message: string; details?: Record<string, unknown> };
    ({ status, code } = env.fromBackend(e.code));
    message = e.message;
    details = e.details;
  } else if (err instanceof InputError) {
    status = 400;
    code = env.generic('BAD_REQUEST');
    message = err.message;
  } else {
    status = 500;
    code = env.generic('INTERNAL');
    const m = err instanceof Error ? err.message : typeof (err as { message?: unknown })?.message === 'string' ? (err as { message: string }).message : String(err);
    message = `Internal error: ${m}`;
  }
  if (status === 503 && !headers['Retry-After']) headers['Retry-After'] = '1';
  const rid = (c.get('requestId' as never) as string | undefined) ?? requestId();
  return new Response(JSON.stringify(env.body(status, code, message, details, rid)), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

function isWireError(e: unknown): boolean {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    typeof (e as { message?: unknown }).message === 'string' &&
    (e as { code: string }).code in STATUS_OF_CODE
  );
}

// ---------------------------------------------------------------------------------------------
// Route table: known paths and their methods, for OPTIONS, 405 and family 404s.

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface TableEntry {
  pattern: string;
  re: RegExp;
  methods: Set<string>;
}

/** Convert a Hono pattern (`/a/:id/b/:rest{.+}`) into an anchored RegExp. */
function patternToRegExp(pattern: string): RegExp {
  const parts = pattern.split('/').map((seg) => {
    const m = /^:[A-Za-z_][A-Za-z0-9_]*(?:\{(.+)\})?$/.exec(seg);
    if (m) return m[1] ? `(?:${m[1]})` : '[^/]+';
    return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${parts.join('/')}$`);
}

/** What the OpenAPI document says about one route (schemas are zod; the document converts them). */
export interface RouteDoc {
  summary: string;
  description?: string;
  /** JSON request body. */
  body?: ZodType;
  /** Non-JSON request body: media type → description. */
  rawBody?: { mediaType: string; description: string };
  /** Query parameters: name → description. */
  query?: Record<string, string>;
  /** Success response. */
  ok: { status: number; description: string; schema?: ZodType; mediaType?: string };
  /** Error codes this route may answer with (besides the generic ones). */
  errors?: string[];
}

/** The route table of every family app, so createApi can describe them (OpenAPI). */
export const familyRoutesOf = new WeakMap<Hono, FamilyRoutes>();

/**
 * A family's routes: each `on()` registers the handler in Hono and records the method for
 * OPTIONS / 405. `finish()` adds the catch-all that answers OPTIONS, 405 and 404 in the
 * family envelope; call it after the last route.
 */
export class FamilyRoutes {
  private readonly table: TableEntry[] = [];
  constructor(
    readonly app: Hono,
    readonly env: FamilyEnvelope,
  ) {
    app.onError((err, c) => errorResponse(c, env, err));
    familyRoutesOf.set(app, this);
  }

  /** Documented routes, in registration order (for the OpenAPI document). */
  readonly docs: { method: Method; pattern: string; doc: RouteDoc }[] = [];

  on(method: Method | Method[], pattern: string, handler: Handler, doc?: RouteDoc): this {
    const methods = Array.isArray(method) ? method : [method];
    if (doc) for (const m of methods) this.docs.push({ method: m, pattern, doc });
    let entry = this.table.find((e) => e.pattern === pattern);
    if (!entry) {
      entry = { pattern, re: patternToRegExp(pattern), methods: new Set() };
      this.table.push(entry);
    }
    // Anything thrown (also non-Error values, e.g. a plain {code, message} from a message port) → envelope.
    const safe: Handler = async (c, next) => {
      try {
        return await handler(c, next);
      } catch (e) {
        return errorResponse(c, this.env, e);
      }
    };
    for (const m of methods) {
      entry.methods.add(m);
      if (m === 'GET') entry.methods.add('HEAD');
      this.app.on(m, pattern, safe);
    }
    return this;
  }

  /** Attach documentation to a registered route. */
  describe(method: Method, pattern: string, doc: RouteDoc): this {
    if (!this.table.some((e) => e.pattern === pattern && e.methods.has(method))) throw new Error(`describe: no route ${method} ${pattern}`);
    this.docs.push({ method, pattern, doc });
    return this;
  }

  /** Registered routes without documentation ("METHOD pattern"), for completeness checks. */
  undocumented(): string[] {
    const out: string[] = [];
    for (const e of this.table)
      for (const m of e.methods) if (m !== 'HEAD' && !this.docs.some((d) => d.pattern === e.pattern && d.method === m)) out.push(`${m} ${e.pattern}`);
    return out;
  }

  /** Methods allowed on a (normalised, mount-prefixed) path, or undefined when unknown. */
  allowed(path: string): string[] | undefined {
    const ms = new Set<string>();
    for (const e of this.table) if (e.re.test(path)) for (const m of e.methods) ms.add(m);
    if (ms.size === 0) return undefined;
    ms.add('OPTIONS');
    return [...ms].sort();
  }

  /** Catch-all: OPTIONS → 204 + Allow; known path, wrong method → 405 + Allow; else 404. */
  finish(mount: string): Hono {
    const catchAll: Handler = (c) => {
      const allow = this.allowed(c.req.path);
      if (allow && c.req.method === 'OPTIONS') {
        return new Response(null, { status: 204, headers: { Allow: allow.join(', ') } });
      }
      if (allow) {
        throw new ApiError(
          405,
          this.env.generic('METHOD_NOT_ALLOWED'),
          `${c.req.method} is not allowed on ${c.req.path}; use ${allow.filter((m) => m !== 'OPTIONS').join(', ')}`,
          undefined,
          { Allow: allow.join(', ') },
        );
      }
      throw new ApiError(404, this.env.generic('NOT_FOUND'), `No ${this.env.family} endpoint at ${c.req.path}`);
    };
    this.app.all(mount || '/', catchAll);
    this.app.all(`${mount}/*`, catchAll);
    return this.app;
  }
}

// ---------------------------------------------------------------------------------------------
// Bodies

/** Read the request body as bytes without ever holding more than `maxBytes`. */
export async function readBodyBytes(c: Context, env: FamilyEnvelope, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new ApiError(413, env.generic('PAYLOAD_TOO_LARGE'), `Request body is larger than ${maxBytes} bytes; send a smaller body`);
  const declared = c.req.header('Content-Length');
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > maxBytes) throw tooLarge();
  const stream = c.req.raw.body;
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    parts.push(value);
  }
  return concatBytes(parts);
}

/** Read the body as UTF-8 text (400 when it is not valid UTF-8). */
export async function readBodyText(c: Context, env: FamilyEnvelope, maxBytes: number): Promise<string> {
  const bytes = await readBodyBytes(c, env, maxBytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError(400, env.generic('BAD_REQUEST'), 'Request body is not valid UTF-8 text');
  }
}

/** `undefined` marks an empty body. */
export type ParsedBody = unknown;

/**
 * Parse a request body: JSON (optionally with Python's NaN/Infinity tokens) or
 * application/x-www-form-urlencoded. A missing or generic Content-Type is sniffed.
 */
export async function readJsonBody(
  c: Context,
  env: FamilyEnvelope,
  opts: { maxBytes: number; pythonTokens: boolean },
): Promise<ParsedBody> {
  const text = await readBodyText(c, env, opts.maxBytes);
  if (text.trim() === '') return undefined;
  const ct = (c.req.header('Content-Type') ?? '').toLowerCase();
  const isForm = ct.includes('application/x-www-form-urlencoded') || (!ct.includes('json') && looksLikeForm(text));
  if (isForm) {
    const out: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(text)) out[k] = v;
    return out;
  }
  try {
    if (opts.pythonTokens) return parsePythonJson(text, 'request body');
    return JSON.parse(text) as unknown;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new ApiError(400, env.generic('BAD_REQUEST'), `Malformed JSON: ${msg.replace(/^request body: /, '')}; send a valid JSON body`);
  }
}

function looksLikeForm(text: string): boolean {
  const t = text.trimStart();
  if (/^[[{"\-0-9]/.test(t) || /^(true|false|null|NaN|Infinity)\b/.test(t)) return false;
  return /^[A-Za-z0-9_.%~+-]+=/.test(t);
}

/** A JSON response with strict output (non-finite numbers become null). */
export function json(value: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(value ?? null), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

/** The NeuroPype "200 with an empty string": a JSON document holding `""`. */
export function emptyString(): Response {
  return new Response('""', { status: 200, headers: { 'Content-Type': 'application/json' } });
}
