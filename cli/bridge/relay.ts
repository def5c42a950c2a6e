// The bridge: an HTTP server on 127.0.0.1 that relays the Neurotab REST API to one paired app tab
// over a WebSocket (the tab performs each request against its own origin's service worker).
// Node only. Must not listen beyond loopback, must not hang a client (every relayed request times
// out), and must not accept a request from a foreign browser origin or a non-loopback Host.
//
// Wire: bridge → tab {type:'request', id, method, path, headers, body}; tab → bridge
// {type:'response', id, status, headers, body}. See src/lib/clients/bridge.ts.
// NeuroPype `file` paths in load requests are disk paths here: the bridge reads them and sends
// `content`; a reload of an execution it loaded that way re-reads the file and loads it again.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import { parsePythonJson } from '../../src/lib/core/python-json';
import type { BridgeRequest, BridgeResponse, BridgeWelcome, TabToBridge } from '../../src/lib/api/bridge';

export const BRIDGE_WS_PATH = '/_bridge';
/** Largest request body relayed (the API's own limit is 4 MiB; a .pyp read from disk may add to it). */
export const BRIDGE_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Largest pipeline file read from disk for a load request. */
export const BRIDGE_MAX_FILE_BYTES = 8 * 1024 * 1024;

export interface BridgeOptions {
  port: number;
  /** Pairing token; random (URL-safe, 128 bits) when absent. */
  token?: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Status lines (default: none). */
  log?: (line: string) => void;
  /** Reads a pipeline file named by a load request (default: fs.readFile as UTF-8). */
  readFile?: (path: string) => Promise<string>;
}

export interface Bridge {
  readonly port: number;
  readonly token: string;
  readonly url: string;
  /** Origin of the paired tab, null while none is connected. */
  readonly pairedOrigin: string | null;
  readonly tabConnected: boolean;
  /** Resolves when a tab is paired (at once when one already is). */
  waitForTab(): Promise<void>;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True for `localhost`, `127.0.0.1`, `[::1]`, each with an optional port (DNS-rebinding guard). */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host.trim());
  if (!m) return false;
  return LOOPBACK_HOSTS.has(m[1].toLowerCase());
}

/**
 * Maps a bridge path to an app path: the families' mounts pass through; anything else is the
 * NeuroPype family served at the root, as NeuroPype serves it (`/executions` → `/np/executions`).
 */
export function mapBridgePath(pathAndQuery: string): string {
  const q = pathAndQuery.indexOf('?');
  const path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  const query = q < 0 ? '' : pathAndQuery.slice(q);
  const collapsed = path.replace(/\/{2,}/g, '/');
  const under = (m: string) => collapsed === m || collapsed.startsWith(m + '/');
  if (under('/np') || under('/bci/v1')) return collapsed + query;
  return (collapsed === '/' ? '/np' : '/np' + collapsed) + query;
}

/** Load requests whose `file` the bridge reads from disk: /np/executions/{id}/actions/load. */
const LOAD_PATH = /^\/np\/executions\/([^/]+)\/actions\/load$/;
/** Reload of an execution the bridge loaded from disk: re-read the file and load it again (API.md #12: same post-state as #8). */
const RELOAD_PATH = /^\/np\/executions\/([^/]+)\/actions\/reload$/;
const EXECUTION_PATH = /^\/np\/executions\/([^/]+)$/;

type Envelope = { status: number; headers: Record<string, string>; body: string };

function envelope(path: string, status: number, code: string, message: string, extra: Record<string, string> = {}): Envelope {
  const native = path.startsWith('/bci/v1');
  const error: Record<string, unknown> = { code, message };
  if (native) error.request_id = null;
  return {
    status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...extra },
    body: JSON.stringify({ error }),
  };
}

function send(res: ServerResponse, e: Envelope): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(e.status, { ...e.headers, 'Content-Length': Buffer.byteLength(e.body) });
  res.end(e.body);
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too-large'> {
  return new Promise((ok, fail) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.resume();
      ok('too-large');
      return;
    }
    const parts: Buffer[] = [];
    let total = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      total += c.length;
      if (total > maxBytes) over = true;
      else if (!over) parts.push(c);
    });
    req.on('end', () => ok(over ? 'too-large' : Buffer.concat(parts)));
    req.on('error', fail);
  });
}

/** Headers forwarded to the tab (end-to-end, content related); the rest stays here. */
const FORWARD_HEADERS = ['content-type', 'accept', 'if-none-match', 'if-match', 'authorization', 'x-api-key', 'range'];
/** Response headers that must not be copied back (the bridge computes them). */
const HOP_HEADERS = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive']);

const TAB_UNAVAILABLE = 'No Neurotab tab is paired with this bridge: open Neurotab in a browser and pair it (API page → Bridge, or open the app at /?bridge=<port>&token=<token> and click Allow), then retry.';

/** Starts the bridge; resolves once it listens. */
export async function startBridge(opts: BridgeOptions): Promise<Bridge> {
  const token = opts.token ?? randomBytes(16).toString('base64url');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const log = opts.log ?? (() => {});
  const readPipeline = opts.readFile ?? ((p: string) => readFile(p, 'utf8'));

  let tab: WebSocket | null = null;
  let pairedOrigin: string | null = null;
  let nextId = 1;
  const pending = new Map<number, { resolve: (r: BridgeResponse | null) => void; timer: NodeJS.Timeout }>();
  let tabWaiters: Array<() => void> = [];
  /** Execution id → the disk file the bridge loaded it from (for reload). */
  const diskFiles = new Map<string, string>();

  const failPending = () => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      pending.delete(id);
      p.resolve(null);
    }
  };

  /** Sends one request to the tab; null = no tab / tab gone / timed out (with reason). */
  function relay(r: Omit<BridgeRequest, 'type' | 'id'>): Promise<BridgeResponse | 'no-tab' | 'timeout' | 'gone'> {
    const ws = tab;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.resolve('no-tab');
    const id = nextId++;
    return new Promise((ok) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        ok('timeout');
      }, timeoutMs);
      pending.set(id, { resolve: (res) => ok(res ?? 'gone'), timer });
      ws.send(JSON.stringify({ type: 'request', id, ...r } satisfies BridgeRequest));
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawPath = req.url ?? '/';
    const mapped = mapBridgePath(rawPath);
    if (!isLoopbackHost(req.headers.host)) {
      send(res, envelope(mapped, 403, 'FORBIDDEN_HOST', `Host "${req.headers.host ?? ''}" is not a loopback name; the bridge only answers requests addressed to localhost, 127.0.0.1 or [::1]`));
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== pairedOrigin) {
      send(res, envelope(mapped, 403, 'FORBIDDEN_ORIGIN', `Requests from the web page ${origin} are refused; only programs on this machine and the paired Neurotab tab may use the bridge`));
      return;
    }
    // Browsers mark every request they make (even an <img> GET, which carries no Origin) with
    // Sec-Fetch-Site; programs do not. Only the paired tab's origin may come from a browser.
    if (req.headers['sec-fetch-site'] !== undefined && (origin === undefined || origin !== pairedOrigin)) {
      send(res, envelope(mapped, 403, 'FORBIDDEN_ORIGIN', 'Requests made by web pages are refused; only programs on this machine and the paired Neurotab tab may use the bridge'));
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const pathOnly = mapped.split('?')[0];
    if (pathOnly === BRIDGE_WS_PATH || pathOnly === '/np' + BRIDGE_WS_PATH) {
      send(res, {
        status: 200,
        headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
        body: JSON.stringify({ bridge: 'neurotab', paired: tab !== null, origin: pairedOrigin }),
      });
      return;
    }
    const body = await readBody(req, BRIDGE_MAX_BODY_BYTES);
    if (body === 'too-large') {
      send(res, envelope(mapped, 413, 'PAYLOAD_TOO_LARGE', `Request body is larger than ${BRIDGE_MAX_BODY_BYTES} bytes; send a smaller body`));
      return;
    }
    const headers: Record<string, string> = {};
    for (const h of FORWARD_HEADERS) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    let text: string | undefined;
    let bodyBase64: string | undefined;
    if (body.length) {
      const decoded = new TextDecoder('utf-8', { fatal: false }).decode(body);
      if (Buffer.from(decoded, 'utf8').equals(body)) text = decoded;
      else bodyBase64 = body.toString('base64');
    }
    let relayPath = mapped;
    /** Execution whose disk file is (re)loaded by this request, and that file. */
    let loaded: { id: string; file: string | null } | null = null;
    const loadMatch = method === 'POST' ? LOAD_PATH.exec(pathOnly) : null;
    const reloadMatch = method === 'POST' ? RELOAD_PATH.exec(pathOnly) : null;
    if (loadMatch && text !== undefined) {
      const substituted = await substituteFile(text, mapped);
      if ('error' in substituted) {
        send(res, substituted.error);
        return;
      }
      text = substituted.body;
      if (substituted.file !== null) headers['content-type'] = 'application/json';
      if (!substituted.parameters) loaded = { id: loadMatch[1], file: substituted.file };
    } else if (reloadMatch && diskFiles.has(reloadMatch[1])) {
      const file = diskFiles.get(reloadMatch[1])!;
      const substituted = await substituteFile(JSON.stringify({ file }), mapped);
      if ('error' in substituted) {
        send(res, substituted.error);
        return;
      }
      relayPath = `/np/executions/${reloadMatch[1]}/actions/load`;
      text = substituted.body;
      bodyBase64 = undefined;
      headers['content-type'] = 'application/json';
      loaded = { id: reloadMatch[1], file };
    }
    if (!tab) {
      send(res, envelope(mapped, 503, 'ENGINE_UNAVAILABLE', TAB_UNAVAILABLE, { 'Retry-After': '1' }));
      return;
    }
    const answer = await relay({ method, path: relayPath, headers, ...(text !== undefined ? { body: text } : {}), ...(bodyBase64 !== undefined ? { bodyBase64 } : {}) });
    if (answer === 'no-tab' || answer === 'gone') {
      send(res, envelope(mapped, 503, 'ENGINE_UNAVAILABLE', answer === 'gone' ? `The Neurotab tab disconnected before answering. ${TAB_UNAVAILABLE}` : TAB_UNAVAILABLE, { 'Retry-After': '1' }));
      return;
    }
    if (answer === 'timeout') {
      send(res, envelope(mapped, 504, 'ENGINE_UNAVAILABLE', `The Neurotab tab did not answer within ${timeoutMs / 1000} s; check that its page is responsive (reload it and pair again), then retry`, { 'Retry-After': '1' }));
      return;
    }
    if (answer.status === 200 && loaded) {
      if (loaded.file !== null) diskFiles.set(loaded.id, loaded.file);
      else diskFiles.delete(loaded.id);
    }
    const deleted = method === 'DELETE' && answer.status < 300 ? EXECUTION_PATH.exec(pathOnly) : null;
    if (deleted) diskFiles.delete(deleted[1]);
    const out = answer.bodyBase64 !== undefined ? Buffer.from(answer.bodyBase64, 'base64') : Buffer.from(answer.body ?? '', 'utf8');
    const resHeaders: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(answer.headers ?? {})) if (!HOP_HEADERS.has(k.toLowerCase())) resHeaders[k] = v;
    resHeaders['Content-Length'] = method === 'HEAD' ? 0 : out.length;
    res.writeHead(answer.status, resHeaders);
    res.end(method === 'HEAD' ? undefined : out);
  }

  /**
   * In a load request, `file` is a path on this machine: read it and hand its text to the tab as
   * `content` (the tab's `file` would name an entry of its pipeline store). Bodies that are not
   * JSON objects, or carry `content` already, or load parameters, pass through untouched (the API
   * answers them).
   */
  async function substituteFile(text: string, mapped: string): Promise<{ body: string; file: string | null; parameters: boolean } | { error: Envelope }> {
    let parsed: unknown;
    try {
      parsed = parsePythonJson(text, 'request body');
    } catch {
      return { body: text, file: null, parameters: false };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { body: text, file: null, parameters: false };
    const b = parsed as Record<string, unknown>;
    const parameters = b.what !== undefined && b.what !== 'graph';
    if (typeof b.file !== 'string' || b.file === '' || b.content !== undefined || parameters) return { body: text, file: null, parameters };
    let content: string;
    try {
      content = await readPipeline(b.file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${(e as Error).message})`;
      return { error: envelope(mapped, 404, 'FILE_NOT_FOUND', `Pipeline file ${b.file} ${why} on the machine running the bridge; give the full path of a .pyp or pipeline .json file`) };
    }
    if (Buffer.byteLength(content) > BRIDGE_MAX_FILE_BYTES) {
      return { error: envelope(mapped, 413, 'PAYLOAD_TOO_LARGE', `Pipeline file ${b.file} is larger than ${BRIDGE_MAX_FILE_BYTES} bytes`) };
    }
    return { body: JSON.stringify({ ...b, content }), file: b.file, parameters: false };
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => send(res, envelope(mapBridgePath(req.url ?? '/'), 500, 'INTERNAL', `Bridge error: ${e instanceof Error ? e.message : String(e)}`)));
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 * 1024 });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, why: string) => {
      log(`refused a tab connection: ${why}`);
      socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(why)}\r\n\r\n${why}`);
    };
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== BRIDGE_WS_PATH) return refuse(403, 'unknown WebSocket path');
    if (!isLoopbackHost(req.headers.host)) return refuse(403, `Host "${req.headers.host ?? ''}" is not a loopback name`);
    const given = url.searchParams.get('token') ?? '';
    if (!sameToken(given, token)) return refuse(401, 'wrong pairing token');
    const origin = req.headers.origin;
    if (!origin || origin === 'null') return refuse(403, 'a tab must connect from a web page (Origin header missing)');
    if (!/^https?:\/\//.test(origin)) return refuse(403, `origin ${origin} is not a web origin`);
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, origin));
  });

  function attach(ws: WebSocket, origin: string): void {
    if (tab) {
      const old = tab;
      tab = null;
      failPending();
      old.close(4000, 'replaced by another Neurotab tab');
    }
    tab = ws;
    pairedOrigin = origin;
    let alive = true;
    ws.on('pong', () => (alive = true));
    const heartbeat = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, 10_000);
    ws.on('message', (data) => {
      let msg: TabToBridge;
      try {
        msg = JSON.parse(data.toString()) as TabToBridge;
      } catch {
        return;
      }
      if (msg.type === 'hello') {
        ws.send(JSON.stringify({ type: 'welcome', bridge: 'neurotab', port: boundPort } satisfies BridgeWelcome));
        log(`tab paired (origin ${origin}${msg.engineHost ? ', engine host' : ''})`);
        for (const w of tabWaiters.splice(0)) w();
      } else if (msg.type === 'response' && typeof msg.id === 'number') {
        const p = pending.get(msg.id);
        if (!p) return; // timed out already
        clearTimeout(p.timer);
        pending.delete(msg.id);
        p.resolve(msg);
      }
    });
    ws.on('close', () => {
      clearInterval(heartbeat);
      if (tab !== ws) return;
      tab = null;
      pairedOrigin = null;
      failPending();
      log('tab disconnected; requests get 503 until a tab pairs again');
    });
    ws.on('error', () => ws.terminate());
  }

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, '127.0.0.1', () => ok());
  });
  const addr = server.address();
  const boundPort = typeof addr === 'object' && addr ? addr.port : opts.port;
  const url = `http://127.0.0.1:${boundPort}`;

  return {
    port: boundPort,
    token,
    url,
    get pairedOrigin() {
      return pairedOrigin;
    },
    get tabConnected() {
      return tab !== null;
    },
    waitForTab() {
      if (tab && pairedOrigin) return Promise.resolve();
      return new Promise((r) => tabWaiters.push(r));
    },
    async close() {
      failPending();
      for (const c of wss.clients) c.terminate();
      tab = null;
      tabWaiters = [];
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
