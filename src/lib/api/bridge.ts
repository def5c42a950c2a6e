// The app's end of the local bridge (`npm run neurotab -- bridge`), wherever its socket lives: the
// wire messages, the WebSocket to ws://127.0.0.1:<port>/_bridge?token=T over which the bridge sends
// HTTP requests, and the relay step that answers each with this origin's API. Any thread with
// WebSocket (the engine host's API worker, a page); the main-thread owner is clients/bridge.ts.
// No Svelte. Must not relay anything but API paths (isApiPath), and must not send the token anywhere else.
import { isApiPath } from './index';

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

/** Tab → bridge. */
export interface BridgeResponse {
  type: 'response';
  id: number;
  status: number;
  headers: Record<string, string>;
  body?: string;
  bodyBase64?: string;
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

export type BridgeToTab = BridgeRequest | BridgeWelcome;
export type TabToBridge = BridgeResponse | BridgeHello;

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
export async function performRelayed(req: BridgeRequest, origin: string, send: ApiFetch = fetch): Promise<BridgeResponse> {
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
  opts: BridgeEvents & { engineHost: boolean; answer(req: BridgeRequest): Promise<BridgeResponse> },
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
    } else if (msg.type === 'request' && typeof msg.id === 'number' && typeof msg.path === 'string') {
      void opts.answer(msg).then((res) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(res));
        relays++;
        last = { method: msg.method, path: msg.path, status: res.status };
        reportTimer ??= setTimeout(report, RELAY_REPORT_MS);
      });
    }
  };
  ws.onclose = (ev) => {
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
export function serveBridgeInWorker(events: MessagePort, port: number, token: string, send: ApiFetch, origin: string): void {
  const post = (m: BridgeWorkerEvent) => events.postMessage(m);
  const conn = openBridgeSocket(port, token, {
    engineHost: true,
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
