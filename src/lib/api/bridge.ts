// The app's end of the local bridge (`npm run neurotab -- bridge`), wherever its socket lives: the
// wire messages, the WebSocket to ws://127.0.0.1:<port>/_bridge?token=T over which the bridge sends
// HTTP requests, and the relay step that answers each with this origin's API. Any thread with
// WebSocket (the engine host's API worker, a page); the main-thread owner is clients/bridge.ts.
// No Svelte. Must not relay anything but API paths (isApiPath), and must not send the token anywhere else.
import { isApiPath } from './index';
import type { LiveClient, LiveConnector } from './live-client';
import type { LslBridgeClient } from './lsl-client';
import type { LslBridgeToTab, LslTabToBridge } from './lsl-wire';

/** Bridge → tab. `body` is UTF-8 text, `bodyBase64` binary (never both). */
export interface BridgeRequest {
  type: 'request';
  id: number;
  method: string;
  /** Path and query on the app origin, already mapped to a mount (`/np/executions?x=1`). */
  path: string;
  headers: Record<string, string>;
  body?: string;
  bodyBase64?: string;
}

/** Tab → bridge. `streaming`: the body follows in `response-chunk`s until `response-end`. */
export interface BridgeResponse {
  type: 'response';
  id: number;
  status: number;
  headers: Record<string, string>;
  body?: string;
  bodyBase64?: string;
  streaming?: true;
}

/** Bridge → tab: the client of a streamed response went away (`request-abort`), or took `bytes` of it (`response-ack`). */
export type BridgeStreamControl = { type: 'request-abort'; id: number } | { type: 'response-ack'; id: number; bytes: number };

/** Tab → bridge: a piece of a streamed body (bytes counted as sent), and its end. */
export type BridgeStreamPart = { type: 'response-chunk'; id: number; body?: string; bodyBase64?: string } | { type: 'response-end'; id: number };

/**
 * Live connections, either way. `live-open` (bridge → tab) names the mapped path; the tab answers
 * `live-opened` or `live-refused`; `live-ack` (bridge → tab) reports what the client has taken.
 */
export type BridgeLive =
  | { type: 'live-open'; conn: number; path: string; headers: Record<string, string> }
  | { type: 'live-opened'; conn: number }
  | { type: 'live-refused'; conn: number; status: number; message: string }
  | { type: 'live-message'; conn: number; data?: string; dataBase64?: string }
  | { type: 'live-ack'; conn: number; size: number }
  | { type: 'live-close'; conn: number; code: number; reason: string };

/** Tab → bridge: the ports of the Instinct WebSocket sinks running now (the bridge serves ws://127.0.0.1:<port>/ for each). */
export interface BridgeSinks {
  type: 'sinks';
  ports: number[];
}

/** Tab → bridge, first message after the socket opens. */
export interface BridgeHello {
  type: 'hello';
  app: 'neurotab';
  engineHost: boolean;
  userAgent: string;
}

/** Bridge → tab, answer to hello. */
export interface BridgeWelcome {
  type: 'welcome';
  bridge: string;
  port: number;
}

export type BridgeToTab = BridgeRequest | BridgeWelcome | BridgeStreamControl | BridgeLive | LslBridgeToTab;
export type TabToBridge = BridgeResponse | BridgeHello | BridgeStreamPart | BridgeLive | BridgeSinks | LslTabToBridge;

/** Most bytes of a streamed response sent to the bridge and not yet written to its client. */
export const RELAY_STREAM_WINDOW = 256 * 1024;

/** Path of the WebSocket endpoint on the bridge. */
export const BRIDGE_WS_PATH = '/_bridge';

export type BridgeConnectionState = 'connecting' | 'paired' | 'closed' | 'error';

export interface BridgeConnection {
  readonly port: number;
  close(): void;
}

/** What the UI hears from a connection, wherever its socket lives. */
export interface BridgeEvents {
  onState(state: BridgeConnectionState, detail?: string): void;
  /** Relayed requests since the last call (batched: at most a few calls a second) and the latest one. */
  onRelay?(count: number, last: { method: string; path: string; status: number }): void;
}

const TEXTUAL = /^(application\/(json|problem\+json|x-www-form-urlencoded|xml|yaml|x-yaml)|text\/)/i;

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** fetch() for the API paths of this origin, however the call travels. */
export type ApiFetch = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * Performs one relayed request on this origin (through `send`, fetch-compatible). Never throws:
 * failures become 502/400 responses.
 */
export async function performRelayed(req: BridgeRequest, origin: string, send: ApiFetch = fetch): Promise<BridgeResponse & { stream?: ReadableStream<Uint8Array> }> {
  const fail = (status: number, code: string, message: string): BridgeResponse => ({
    type: 'response',
    id: req.id,
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: { code, message } }),
  });
  let url: URL;
  try {
    url = new URL(req.path, origin);
  } catch {
    return fail(400, 'BAD_REQUEST', `The bridge sent an invalid path "${req.path}"`);
  }
  if (url.origin !== origin || !isApiPath(url.pathname)) return fail(404, 'NOT_FOUND', `The tab only relays API paths (/np, /bci/v1), not ${url.pathname}`);
  const init: RequestInit = { method: req.method, headers: req.headers, cache: 'no-store' };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    if (req.bodyBase64 !== undefined) init.body = fromBase64(req.bodyBase64) as BodyInit;
    else if (req.body !== undefined) init.body = req.body;
  }
  try {
    const res = await send(url.href, init);
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      if (k !== 'content-length' && k !== 'content-encoding' && k !== 'transfer-encoding') headers[k] = v;
    });
    const out: BridgeResponse = { type: 'response', id: req.id, status: res.status, headers };
    if (req.method === 'HEAD') return out;
    const ct = res.headers.get('content-type') ?? '';
    // An event stream never ends by itself: it goes on in chunks (openBridgeSocket pumps `stream`).
    if (/^text\/event-stream/i.test(ct) && res.body) return { ...out, streaming: true, stream: res.body };
    if (ct === '' || TEXTUAL.test(ct)) {
      const text = await res.text();
      if (text !== '') out.body = text;
    } else {
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (bytes.length) out.bodyBase64 = toBase64(bytes);
    }
    return out;
  } catch (e) {
    return fail(502, 'ENGINE_UNAVAILABLE', `The Neurotab tab could not reach its service worker (${e instanceof Error ? e.message : String(e)}); reload the tab`);
  }
}

/** The WebSocket URL for a bridge on this machine. */
export function bridgeUrl(port: number, token: string): string {
  return `ws://127.0.0.1:${port}${BRIDGE_WS_PATH}?token=${encodeURIComponent(token)}`;
}
/** Relay events are batched so a busy bridge does not wake the UI on every call. */
const RELAY_REPORT_MS = 250;

/**
 * Opens the socket and serves relayed requests with `answer` until closed; any thread with
 * WebSocket (the page, a worker). The bridge rejects a wrong token by refusing the upgrade, which
 * the browser reports as an error followed by close (code 1006).
 */
export function openBridgeSocket(
  port: number,
  token: string,
  opts: BridgeEvents & {
    engineHost: boolean;
    answer(req: BridgeRequest): Promise<BridgeResponse & { stream?: ReadableStream<Uint8Array> }>;
    /** Live endpoints for the bridge's WebSocket clients (none: their upgrades are refused with 503). */
    live?: LiveConnector;
    /** The running Instinct sink ports and their changes, for the bridge's per-port WebSocket servers. */
    sinks?: { ports(): number[]; onChange(fn: (ports: number[]) => void): () => void };
    /** The tab's LSL client: attached to this socket while paired. */
    lsl?: Pick<LslBridgeClient, 'attach' | 'detach' | 'onMessage'>;
  },
): BridgeConnection {
  let closedByUs = false;
  let paired = false;
  let relays = 0;
  let last: { method: string; path: string; status: number } | null = null;
  let reportTimer: ReturnType<typeof setTimeout> | null = null;
  const report = () => {
    reportTimer = null;
    if (relays && last) opts.onRelay?.(relays, last);
    relays = 0;
  };
  const ws = new WebSocket(bridgeUrl(port, token));
  const out = (m: TabToBridge) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
  };
  const streams = new Map<number, { reader: ReadableStreamDefaultReader<Uint8Array>; acked: number; sent: number; wake?: () => void }>();
  const lives = new Map<number, LiveClient | null>();
  let unsubscribeSinks: (() => void) | undefined;

  /** Sends a streamed body in chunks, never more than RELAY_STREAM_WINDOW ahead of what the bridge has written. */
  const pump = async (id: number, stream: ReadableStream<Uint8Array>, text: boolean) => {
    const reader = stream.getReader();
    const st: { reader: ReadableStreamDefaultReader<Uint8Array>; acked: number; sent: number; wake?: () => void } = { reader, acked: 0, sent: 0 };
    streams.set(id, st);
    const dec = new TextDecoder();
    try {
      for (;;) {
        while (st.sent - st.acked > RELAY_STREAM_WINDOW && streams.has(id)) await new Promise<void>((r) => (st.wake = r));
        if (!streams.has(id)) break;
        const { done, value } = await reader.read();
        if (done || !streams.has(id)) break;
        st.sent += value.byteLength;
        out(text ? { type: 'response-chunk', id, body: dec.decode(value, { stream: true }) } : { type: 'response-chunk', id, bodyBase64: toBase64(value) });
      }
    } catch {
      /* the stream failed or was cancelled: end it below */
    } finally {
      streams.delete(id);
      reader.cancel().catch(() => undefined);
      out({ type: 'response-end', id });
    }
  };

  /** A client's WebSocket on the bridge, served by a live endpoint of this origin. */
  const openLive = async (m: Extract<BridgeLive, { type: 'live-open' }>) => {
    if (!opts.live) return out({ type: 'live-refused', conn: m.conn, status: 503, message: 'This tab serves no live endpoints; pair the tab that hosts the engine' });
    lives.set(m.conn, null);
    const r = await opts.live.open(m.path, m.headers ?? {}, 'websocket', {
      message: (data) => out(typeof data === 'string' ? { type: 'live-message', conn: m.conn, data } : { type: 'live-message', conn: m.conn, dataBase64: toBase64(data) }),
      close: (code, reason) => {
        lives.delete(m.conn);
        out({ type: 'live-close', conn: m.conn, code, reason });
      },
    });
    if (!r.ok) {
      lives.delete(m.conn);
      return out({ type: 'live-refused', conn: m.conn, status: r.status, message: r.message });
    }
    if (!lives.has(m.conn)) return r.client.close(1001, 'the bridge client went away'); // closed while opening
    lives.set(m.conn, r.client);
    out({ type: 'live-opened', conn: m.conn });
  };

  ws.onopen = () => {
    const hello: BridgeHello = { type: 'hello', app: 'neurotab', engineHost: opts.engineHost, userAgent: navigator.userAgent };
    ws.send(JSON.stringify(hello));
  };
  ws.onmessage = (ev) => {
    let msg: BridgeToTab;
    try {
      msg = JSON.parse(String(ev.data)) as BridgeToTab;
    } catch {
      return; // not ours; the bridge only sends JSON
    }
    if (msg.type === 'welcome') {
      paired = true;
      opts.onState('paired');
      if (opts.sinks && !unsubscribeSinks) {
        out({ type: 'sinks', ports: opts.sinks.ports() });
        unsubscribeSinks = opts.sinks.onChange((ports) => out({ type: 'sinks', ports }));
      }
      opts.lsl?.attach({ send: out, bufferedBytes: () => ws.bufferedAmount }).catch(() => undefined);
    } else if (msg.type === 'request' && typeof msg.id === 'number' && typeof msg.path === 'string') {
      void opts.answer(msg).then(({ stream, ...res }) => {
        out(res);
        if (stream) void pump(msg.id, stream, TEXTUAL.test(res.headers['content-type'] ?? ''));
        relays++;
        last = { method: msg.method, path: msg.path, status: res.status };
        reportTimer ??= setTimeout(report, RELAY_REPORT_MS);
      });
    } else if (msg.type === 'response-ack') {
      const st = streams.get(msg.id);
      if (st) {
        st.acked += msg.bytes;
        st.wake?.();
      }
    } else if (msg.type === 'request-abort') {
      const st = streams.get(msg.id);
      streams.delete(msg.id);
      st?.wake?.();
      st?.reader.cancel().catch(() => undefined);
    } else if (msg.type === 'live-open' && typeof msg.conn === 'number') void openLive(msg);
    else if (msg.type === 'live-message') {
      const data = msg.dataBase64 !== undefined ? fromBase64(msg.dataBase64) : msg.data;
      if (data !== undefined) lives.get(msg.conn)?.send(data);
    } else if (msg.type === 'live-ack') lives.get(msg.conn)?.ack(msg.size);
    else if (msg.type === 'live-close') {
      const c = lives.get(msg.conn);
      lives.delete(msg.conn);
      c?.close(msg.code, msg.reason);
    } else if (typeof msg.type === 'string' && msg.type.startsWith('lsl-')) opts.lsl?.onMessage(msg as LslBridgeToTab);
  };
  ws.onclose = (ev) => {
    unsubscribeSinks?.();
    for (const st of streams.values()) st.reader.cancel().catch(() => undefined);
    streams.clear();
    for (const c of lives.values()) c?.close(1001, 'the bridge went away');
    lives.clear();
    opts.lsl?.detach(ev.reason || 'the bridge closed the connection');
    if (reportTimer !== null) clearTimeout(reportTimer);
    report();
    if (closedByUs) opts.onState('closed');
    else if (!paired) opts.onState('error', `Could not pair with the bridge on port ${port}: is "npm run neurotab -- bridge" running there, and is the token right? (${ev.reason || `code ${ev.code}`})`);
    else opts.onState('closed', ev.reason || 'The bridge stopped');
  };
  queueMicrotask(() => opts.onState('connecting'));
  return {
    port,
    close() {
      closedByUs = true;
      ws.close(1000, 'disconnected in the app');
    },
  };
}
/** Page ↔ worker messages of a bridge connection opened in a worker. */
export type BridgeWorkerEvent =
  | { type: 'state'; state: BridgeConnectionState; detail?: string }
  | { type: 'relay'; count: number; last: { method: string; path: string; status: number } };
/**
 * Worker side of `bridgeThroughWorker`: opens the socket here and answers every relayed request
 * with `send` (the worker's own API on `origin`), reporting state and relay counts to the page over
 * `events`.
 */
export function serveBridgeInWorker(
  events: MessagePort,
  port: number,
  token: string,
  send: ApiFetch,
  origin: string,
  extra: { live?: LiveConnector; sinks?: { ports(): number[]; onChange(fn: (ports: number[]) => void): () => void }; lsl?: Pick<LslBridgeClient, 'attach' | 'detach' | 'onMessage'> } = {},
): void {
  const post = (m: BridgeWorkerEvent) => events.postMessage(m);
  const conn = openBridgeSocket(port, token, {
    engineHost: true,
    ...extra,
    answer: (msg) => performRelayed(msg, origin, send),
    onState: (state, detail) => {
      post(detail === undefined ? { type: 'state', state } : { type: 'state', state, detail });
      if (state === 'closed' || state === 'error') events.close();
    },
    onRelay: (count, last) => post({ type: 'relay', count, last }),
  });
  events.onmessage = (ev: MessageEvent<{ type?: string }>) => {
    if (ev.data?.type === 'close') conn.close();
  };
}
