// The bridge: HTTP servers on 127.0.0.1 that relay the Neurotab REST API to one paired app tab
// over a WebSocket (the tab performs each request against its own origin's service worker). One
// server per family at its vendor's default port with that family at the root (NeuroPype 6937,
// ExperimentHub 8010, Instinct 42069, NeuraScale 8000, Kernel 8050 — ours), every prefixed mount
// answering on every port; each port movable or off. WebSocket clients of the live endpoints
// (/neurascale/ws, /instinct/_sinks/{port}) are relayed frame by frame, and a running Instinct sink
// also gets a real WebSocket server at ws://127.0.0.1:<its port>/. Node only. Must not listen beyond
// loopback, must not hang a client (every relayed request times out), must not accept a request from
// a foreign browser origin or a non-loopback Host, and must not buffer without bound for a client
// that stops reading (it is dropped with a close reason).
//
// Wire: bridge → tab {type:'request', id, method, path, headers, body}; tab → bridge
// {type:'response', id, status, headers, body}, streamed bodies and live connections as in
// src/lib/clients/bridge.ts; the tab's lsl-* messages go to its LSL link (lsl-link.ts).
// NeuroPype `file` paths in load requests are disk paths here: the bridge reads them and sends
// `content`; a reload of an execution it loaded that way re-reads the file and loads it again.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import { parsePythonJson } from '../../src/lib/core/python-json';
import type { BridgeLive, BridgeRequest, BridgeResponse, BridgeToTab, BridgeWelcome, TabToBridge } from '../../src/lib/api/bridge';
import { createLslLink, type LslLinkOptions } from './lsl-link';

export const BRIDGE_WS_PATH = '/_bridge';
/** Largest request body relayed (the API's own limit is 4 MiB; a .pyp read from disk may add to it). */
export const BRIDGE_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Largest pipeline file read from disk for a load request. */
export const BRIDGE_MAX_FILE_BYTES = 8 * 1024 * 1024;

/** The families the bridge serves at the root of a port of their own. */
export type BridgeFamily = 'neuropype' | 'exphub' | 'instinct' | 'neurascale' | 'kernel';
export const BRIDGE_FAMILIES: readonly BridgeFamily[] = ['neuropype', 'exphub', 'instinct', 'neurascale', 'kernel'];
/** Mount of each family in the app (API.md §2). */
export const FAMILY_MOUNTS: Readonly<Record<BridgeFamily, string>> = { neuropype: '/np', exphub: '/exphub', instinct: '/instinct', neurascale: '/neurascale', kernel: '/kernel' };
/** The vendors' default ports; Kernel's is ours (its API is a cloud service at https://api.kernel.com). */
export const BRIDGE_DEFAULT_PORTS: Readonly<Record<BridgeFamily, number>> = { neuropype: 6937, exphub: 8010, instinct: 42069, neurascale: 8000, kernel: 8050 };
/** Every prefixed mount: passes through on every port. */
const MOUNT_PREFIXES = ['/np', '/bci/v1', '/exphub', '/instinct', '/neurascale', '/kernel'];
/** Live endpoints a WebSocket client may open (mapped paths). */
const LIVE_PATH = /^\/(neurascale\/ws(\/[^/]*)?|instinct\/_sinks\/\d{1,5})$/;
/** A live client whose unsent backlog passes this is dropped (the host usually drops it first). */
export const BRIDGE_LIVE_MAX_BUFFERED = 4 * 1024 * 1024;
/** A streamed response whose client lets this much queue up is ended. */
export const BRIDGE_STREAM_MAX_BUFFERED = 4 * 1024 * 1024;

export interface BridgeOptions {
  /** NeuroPype's port (6937 by default in the CLI; 0: any free port); null: off. */
  port: number | null;
  /** The other families' ports (0: any free port); absent or null: off. */
  ports?: Partial<Record<Exclude<BridgeFamily, 'neuropype'>, number | null>>;
  /** Serve ws://127.0.0.1:<port>/ for each running Instinct sink (default true). */
  sinkServers?: boolean;
  /** Pairing token; random (URL-safe, 128 bits) when absent. */
  token?: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Status lines (default: none). */
  log?: (line: string) => void;
  /** Reads a pipeline file named by a load request (default: fs.readFile as UTF-8). */
  readFile?: (path: string) => Promise<string>;
  /** The tab's LSL outlets and inlets (cli/bridge/lsl-link.ts): LSL settings, or false to refuse them. */
  lsl?: false | Pick<LslLinkOptions, 'config' | 'maxBufferedBytes' | 'hostname'>;
}

export interface Bridge {
  /** The first port listened on (NeuroPype's unless it is off): where tabs pair. */
  readonly port: number;
  /** Every family's bound port. */
  readonly ports: Readonly<Partial<Record<BridgeFamily, number>>>;
  /** Ports of the Instinct sink WebSocket servers open now. */
  readonly sinkPorts: readonly number[];
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
 * Maps a bridge path to an app path: the families' mounts pass through; anything else belongs to the
 * port's own family, served at the root as its vendor serves it (`/executions` → `/np/executions` on
 * NeuroPype's port, `/my_experiment/train` → `/exphub/my_experiment/train` on ExperimentHub's).
 */
export function mapBridgePath(pathAndQuery: string, root: BridgeFamily = 'neuropype'): string {
  const q = pathAndQuery.indexOf('?');
  const path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  const query = q < 0 ? '' : pathAndQuery.slice(q);
  const collapsed = path.replace(/\/{2,}/g, '/');
  if (MOUNT_PREFIXES.some((m) => collapsed === m || collapsed.startsWith(m + '/'))) return collapsed + query;
  const mount = FAMILY_MOUNTS[root];
  return (collapsed === '/' ? mount : mount + collapsed) + query;
}

/** Load requests whose `file` the bridge reads from disk: /np/executions/{id}/actions/load. */
const LOAD_PATH = /^\/np\/executions\/([^/]+)\/actions\/load$/;
/** Reload of an execution the bridge loaded from disk: re-read the file and load it again (API.md #12: same post-state as #8). */
const RELOAD_PATH = /^\/np\/executions\/([^/]+)\/actions\/reload$/;
const EXECUTION_PATH = /^\/np\/executions\/([^/]+)$/;

type Envelope = { status: number; headers: Record<string, string>; body: string };

/** An error of the bridge itself, in the envelope of the family the path belongs to (API.md §6). */
function envelope(path: string, status: number, code: string, message: string, extra: Record<string, string> = {}): Envelope {
  const under = (m: string) => path === m || path.startsWith(m + '/');
  let body: unknown;
  if (under('/exphub') || under('/kernel')) body = { detail: message };
  else if (under('/instinct')) body = { success: false, error: { code: code.toLowerCase(), message, details: {} } };
  else if (under('/neurascale')) body = { error: { code, message, details: {}, request_id: null, timestamp: new Date().toISOString() } };
  else body = { error: { code, message, ...(under('/bci/v1') ? { request_id: null } : {}) } };
  return {
    status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...extra },
    body: JSON.stringify(body),
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

/** Starts the bridge; resolves once every enabled port listens. */
export async function startBridge(opts: BridgeOptions): Promise<Bridge> {
  const token = opts.token ?? randomBytes(16).toString('base64url');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const log = opts.log ?? (() => {});
  const readPipeline = opts.readFile ?? ((p: string) => readFile(p, 'utf8'));
  const wanted: [BridgeFamily, number][] = [];
  if (opts.port !== null && opts.port !== undefined) wanted.push(['neuropype', opts.port]);
  for (const f of BRIDGE_FAMILIES) {
    const p = f === 'neuropype' ? undefined : opts.ports?.[f];
    if (p !== null && p !== undefined) wanted.push([f, p]);
  }
  if (!wanted.length) throw new Error('every port of the bridge is off; enable at least one family');

  let tab: WebSocket | null = null;
  let pairedOrigin: string | null = null;
  let nextId = 1;
  /** Relayed requests awaiting the tab; `res` is written directly when the answer streams. */
  const pending = new Map<number, { resolve: (r: BridgeResponse | null) => void; timer: NodeJS.Timeout; res: ServerResponse }>();
  /** Streamed responses being written (SSE). */
  const streaming = new Map<number, ServerResponse>();
  let tabWaiters: Array<() => void> = [];
  /** Execution id → the disk file the bridge loaded it from (for reload). */
  const diskFiles = new Map<string, string>();
  /** Live WebSocket clients by connection id; `opening` ones wait for the tab's answer. */
  let nextConn = 1;
  const lives = new Map<number, WebSocket>();
  const opening = new Map<number, (answer: { ok: true } | { ok: false; status: number; message: string }) => void>();

  const toTab = (m: BridgeToTab) => {
    if (tab && tab.readyState === WebSocket.OPEN) tab.send(JSON.stringify(m));
  };
  const lsl = opts.lsl === false ? null : createLslLink({ ...opts.lsl, send: toTab, bufferedBytes: () => tab?.bufferedAmount ?? 0, log });

  /** The tab went away: nothing in flight may hang. */
  const failPending = () => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      pending.delete(id);
      p.resolve(null);
    }
    for (const [id, res] of streaming) {
      streaming.delete(id);
      res.end();
    }
    for (const [conn, answer] of opening) {
      opening.delete(conn);
      answer({ ok: false, status: 503, message: TAB_UNAVAILABLE });
    }
    for (const [conn, ws] of lives) {
      lives.delete(conn);
      ws.close(1012, 'the Neurotab tab disconnected from the bridge');
    }
    setSinkPorts([]);
    void lsl?.reset();
  };

  /** Sends one request to the tab; null = no tab / tab gone / timed out (with reason). */
  function relay(r: Omit<BridgeRequest, 'type' | 'id'>, res: ServerResponse): Promise<BridgeResponse | 'no-tab' | 'timeout' | 'gone'> {
    const ws = tab;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.resolve('no-tab');
    const id = nextId++;
    return new Promise((ok) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        ok('timeout');
      }, timeoutMs);
      pending.set(id, { resolve: (answer) => ok(answer ?? 'gone'), timer, res });
      ws.send(JSON.stringify({ type: 'request', id, ...r } satisfies BridgeRequest));
    });
  }

  /** Browsers send Origin (and Sec-Fetch-Site); only the paired tab's origin may come from one. */
  function originRefusal(req: IncomingMessage): string | null {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== pairedOrigin) return `Requests from the web page ${origin} are refused; only programs on this machine and the paired Neurotab tab may use the bridge`;
    // Browsers mark every request they make (even an <img> GET, which carries no Origin) with
    // Sec-Fetch-Site; programs do not.
    if (req.headers['sec-fetch-site'] !== undefined && (origin === undefined || origin !== pairedOrigin)) return 'Requests made by web pages are refused; only programs on this machine and the paired Neurotab tab may use the bridge';
    return null;
  }

  async function handle(root: BridgeFamily, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawPath = req.url ?? '/';
    const mapped = mapBridgePath(rawPath, root);
    if (!isLoopbackHost(req.headers.host)) {
      send(res, envelope(mapped, 403, 'FORBIDDEN_HOST', `Host "${req.headers.host ?? ''}" is not a loopback name; the bridge only answers requests addressed to localhost, 127.0.0.1 or [::1]`));
      return;
    }
    const refused = originRefusal(req);
    if (refused) {
      send(res, envelope(mapped, 403, 'FORBIDDEN_ORIGIN', refused));
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const pathOnly = mapped.split('?')[0];
    if (pathOnly === BRIDGE_WS_PATH || pathOnly === FAMILY_MOUNTS[root] + BRIDGE_WS_PATH) {
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
    // The address the client used (a loopback name, checked above): links the tab builds (Kernel's signed URLs) point back here.
    if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
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
    const answer = await relay({ method, path: relayPath, headers, ...(text !== undefined ? { body: text } : {}), ...(bodyBase64 !== undefined ? { bodyBase64 } : {}) }, res);
    if (answer === 'no-tab' || answer === 'gone') {
      send(res, envelope(mapped, 503, 'ENGINE_UNAVAILABLE', answer === 'gone' ? `The Neurotab tab disconnected before answering. ${TAB_UNAVAILABLE}` : TAB_UNAVAILABLE, { 'Retry-After': '1' }));
      return;
    }
    if (answer === 'timeout') {
      send(res, envelope(mapped, 504, 'ENGINE_UNAVAILABLE', `The Neurotab tab did not answer within ${timeoutMs / 1000} s; check that its page is responsive (reload it and pair again), then retry`, { 'Retry-After': '1' }));
      return;
    }
    if (answer.streaming) return; // written as it arrives (onTabMessage)
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

  /** A streamed response's headers (then its chunks) are written as the tab sends them. */
  function startStream(id: number, msg: BridgeResponse, res: ServerResponse): void {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(msg.headers ?? {})) if (!HOP_HEADERS.has(k.toLowerCase())) headers[k] = v;
    res.writeHead(msg.status, headers);
    res.flushHeaders();
    streaming.set(id, res);
    res.on('close', () => {
      if (streaming.delete(id)) toTab({ type: 'request-abort', id });
    });
  }

  function onTabMessage(msg: TabToBridge): void {
    if (msg.type === 'response' && typeof msg.id === 'number') {
      const p = pending.get(msg.id);
      if (!p) return; // timed out already
      clearTimeout(p.timer);
      pending.delete(msg.id);
      if (msg.streaming) startStream(msg.id, msg, p.res);
      p.resolve(msg);
    } else if (msg.type === 'response-chunk') {
      const res = streaming.get(msg.id);
      if (!res) return;
      const buf = msg.bodyBase64 !== undefined ? Buffer.from(msg.bodyBase64, 'base64') : Buffer.from(msg.body ?? '', 'utf8');
      if (res.writableLength > BRIDGE_STREAM_MAX_BUFFERED) {
        // The client stopped reading: end its stream rather than hold more for it.
        streaming.delete(msg.id);
        toTab({ type: 'request-abort', id: msg.id });
        res.destroy();
        return;
      }
      res.write(buf, () => toTab({ type: 'response-ack', id: msg.id, bytes: buf.length }));
    } else if (msg.type === 'response-end') {
      const res = streaming.get(msg.id);
      streaming.delete(msg.id);
      res?.end();
    } else if (msg.type === 'live-opened' || msg.type === 'live-refused') {
      const answer = opening.get(msg.conn);
      opening.delete(msg.conn);
      answer?.(msg.type === 'live-opened' ? { ok: true } : { ok: false, status: msg.status, message: msg.message });
    } else if (msg.type === 'live-message') liveToClient(msg);
    else if (msg.type === 'live-close') {
      const ws = lives.get(msg.conn);
      lives.delete(msg.conn);
      ws?.close(closeCode(msg.code), String(msg.reason ?? '').slice(0, 120));
    } else if (msg.type === 'sinks' && Array.isArray(msg.ports)) setSinkPorts(msg.ports.filter((p) => Number.isInteger(p) && p >= 1 && p <= 65535));
    else lsl?.onTabMessage(msg);
  }

  /** Tab → client frame; acknowledged once written to the client's socket, so the host sees a client that stops reading. */
  function liveToClient(msg: Extract<BridgeLive, { type: 'live-message' }>): void {
    const ws = lives.get(msg.conn);
    if (!ws) return;
    if (ws.bufferedAmount > BRIDGE_LIVE_MAX_BUFFERED) {
      lives.delete(msg.conn);
      ws.close(4008, `dropped: the client stopped reading (more than ${BRIDGE_LIVE_MAX_BUFFERED} bytes queued); reconnect to resume`);
      toTab({ type: 'live-close', conn: msg.conn, code: 4008, reason: 'the bridge client stopped reading' });
      return;
    }
    const binary = msg.dataBase64 !== undefined;
    const data = binary ? Buffer.from(msg.dataBase64!, 'base64') : (msg.data ?? '');
    const size = binary ? (data as Buffer).length : (data as string).length;
    ws.send(data, { binary }, (err) => {
      if (!err) toTab({ type: 'live-ack', conn: msg.conn, size });
    });
  }

  /**
   * A WebSocket upgrade: the tab's pairing socket, or a client of a live endpoint (`fixedPath`: a
   * sink port's own server). Live clients pass the same Host/Origin checks as requests, and the tab
   * accepts or refuses (HTTP 404/503) before the handshake completes.
   */
  function onUpgrade(root: BridgeFamily, req: IncomingMessage, socket: Duplex, head: Buffer, fixedPath?: string): void {
    const refuse = (status: number, why: string) => {
      const text = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable', 504: 'Gateway Timeout' }[status] ?? 'Error';
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(why)}\r\n\r\n${why}`);
    };
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!fixedPath && url.pathname === BRIDGE_WS_PATH) {
      const pairRefuse = (status: number, why: string) => {
        log(`refused a tab connection: ${why}`);
        refuse(status, why);
      };
      if (!isLoopbackHost(req.headers.host)) return pairRefuse(403, `Host "${req.headers.host ?? ''}" is not a loopback name`);
      const given = url.searchParams.get('token') ?? '';
      if (!sameToken(given, token)) return pairRefuse(401, 'wrong pairing token');
      const origin = req.headers.origin;
      if (!origin || origin === 'null') return pairRefuse(403, 'a tab must connect from a web page (Origin header missing)');
      if (!/^https?:\/\//.test(origin)) return pairRefuse(403, `origin ${origin} is not a web origin`);
      wss.handleUpgrade(req, socket, head, (ws) => attach(ws, origin));
      return;
    }
    const mapped = fixedPath ?? mapBridgePath(req.url ?? '/', root);
    const path = mapped.split('?')[0];
    if (!LIVE_PATH.test(path)) return refuse(404, `No WebSocket endpoint at ${path}; the live ones are /neurascale/ws and /instinct/_sinks/<port>`);
    if (!isLoopbackHost(req.headers.host)) return refuse(403, `Host "${req.headers.host ?? ''}" is not a loopback name; the bridge only answers localhost, 127.0.0.1 or [::1]`);
    const refused = originRefusal(req);
    if (refused) return refuse(403, refused);
    if (!tab) return refuse(503, TAB_UNAVAILABLE);
    const conn = nextConn++;
    const headers: Record<string, string> = {};
    for (const h of ['origin', 'authorization', 'sec-websocket-protocol', 'user-agent']) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h] as string;
    const timer = setTimeout(() => {
      if (opening.delete(conn)) refuse(504, 'The Neurotab tab did not answer the connection in time; check that its page is responsive, then retry');
    }, Math.min(timeoutMs, 10_000));
    opening.set(conn, (answer) => {
      clearTimeout(timer);
      if (!answer.ok) return refuse(answer.status === 404 ? 404 : answer.status === 504 ? 504 : 503, answer.message);
      if (socket.destroyed) return toTab({ type: 'live-close', conn, code: 1001, reason: 'the client went away' });
      wss.handleUpgrade(req, socket, head, (ws) => attachLive(conn, ws));
    });
    toTab({ type: 'live-open', conn, path: mapped, headers });
  }

  function attachLive(conn: number, ws: WebSocket): void {
    lives.set(conn, ws);
    ws.on('message', (data, isBinary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      toTab(isBinary ? { type: 'live-message', conn, dataBase64: buf.toString('base64') } : { type: 'live-message', conn, data: buf.toString('utf8') });
    });
    ws.on('close', (code, reason) => {
      if (lives.get(conn) !== ws) return;
      lives.delete(conn);
      toTab({ type: 'live-close', conn, code, reason: reason.toString() });
    });
    ws.on('error', () => ws.terminate());
  }

  // ---- the Instinct sinks' own servers: ws://127.0.0.1:<port>/ as Instinct clients connect to a headset
  const sinkServers = new Map<number, Server>();
  function setSinkPorts(ports: number[]): void {
    if (opts.sinkServers === false) return;
    const want = new Set(ports.filter((p) => !Object.values(boundPorts).includes(p)));
    for (const [p, srv] of sinkServers) {
      if (want.has(p)) continue;
      sinkServers.delete(p);
      srv.closeAllConnections();
      srv.close();
      log(`sink port ${p} closed`);
    }
    for (const p of want) {
      if (sinkServers.has(p)) continue;
      const srv = createServer((_req, res) => {
        res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
        res.end(`ws://127.0.0.1:${p}/ is an Instinct WebSocket sink: connect with a WebSocket client`);
      });
      srv.on('upgrade', (req, socket, head) => onUpgrade('instinct', req, socket, head, `/instinct/_sinks/${p}`));
      srv.once('error', (e) => {
        sinkServers.delete(p);
        log(`could not open the Instinct sink port ${p} (${(e as Error).message}); its data stays at ws://127.0.0.1:${primary}/instinct/_sinks/${p}`);
      });
      srv.listen(p, '127.0.0.1', () => log(`Instinct sink on ws://127.0.0.1:${p}/`));
      sinkServers.set(p, srv);
    }
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 * 1024 });

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
        ws.send(JSON.stringify({ type: 'welcome', bridge: 'neurotab', port: primary } satisfies BridgeWelcome));
        log(`tab paired (origin ${origin}${msg.engineHost ? ', engine host' : ''})`);
        for (const w of tabWaiters.splice(0)) w();
      } else onTabMessage(msg);
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

  const servers: Server[] = [];
  const boundPorts: Partial<Record<BridgeFamily, number>> = {};
  try {
    for (const [family, port] of wanted) {
      const server: Server = createServer((req, res) => {
        handle(family, req, res).catch((e: unknown) => send(res, envelope(mapBridgePath(req.url ?? '/', family), 500, 'INTERNAL', `Bridge error: ${e instanceof Error ? e.message : String(e)}`)));
      });
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => onUpgrade(family, req, socket, head));
      await new Promise<void>((ok, fail) => {
        server.once('error', (e: NodeJS.ErrnoException) =>
          fail(e.code === 'EADDRINUSE' ? new Error(`port ${port} (${family}) is in use: stop what listens there, or move this family with --port-${family} N (or switch it off with --port-${family} off)`) : e),
        );
        server.listen(port, '127.0.0.1', () => ok());
      });
      servers.push(server);
      const addr = server.address();
      boundPorts[family] = typeof addr === 'object' && addr ? addr.port : port;
    }
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }
  const primary = boundPorts[wanted[0][0]]!;
  const url = `http://127.0.0.1:${primary}`;

  return {
    port: primary,
    ports: boundPorts,
    get sinkPorts() {
      return [...sinkServers.keys()].sort((a, b) => a - b);
    },
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
      await Promise.all(
        [...servers, ...sinkServers.values()].map((server) => {
          server.closeAllConnections();
          return new Promise<void>((ok) => server.close(() => ok()));
        }),
      );
      sinkServers.clear();
    },
  };
}

/** A close code the ws library sends (1000–1014 bar the reserved ones, 3000–4999); others become 1011. */
function closeCode(code: unknown): number {
  const c = Number(code);
  return (c >= 1000 && c <= 1014 && ![1004, 1005, 1006].includes(c)) || (c >= 3000 && c <= 4999) ? c : 1011;
}
