// The engine host's side of the live transports (live.ts): a registry of live endpoints by path
// (`LiveRoutes`, where families add their handlers), the open connections with their backlog
// (`LiveHost`), and the MessagePort protocol that carries one connection to a page's socket shim,
// to the service worker's SSE responses or to the bridge relay. Runs on the engine host (the API
// worker) and in Node tests. Never blocks: sending is postMessage; a client's backlog is counted
// from its acknowledgements and the handler drops a client that lets it grow.
//
// Port protocol, one MessagePort per connection (live-client.ts is the other end):
//   host → client  {t:'open', id} | {t:'refused', status, message} | {t:'msg', data} | {t:'close', code, reason}
//   client → host  {t:'msg', data} | {t:'ack', size} | {t:'close', code, reason}
// `data` is a string or an ArrayBuffer; `size` counts what the client has taken, in liveSize units.
// Control messages on the host's API port (beside its RPC calls):
//   {type:'LIVE_OPEN', url, headers, transport} + [connection port]   → opens a connection on that port
//   {type:'LIVE_DELIVER', id, data} + [reply port]                     → {delivered: boolean} (SSE POST fallback)

import type { LiveSocket, LiveSocketHandler, LiveSocketRouter, LiveTransport } from './live';

/** Size of a message for backlog accounting: UTF-16 code units of text, bytes of binary. */
export function liveSize(data: string | Uint8Array | ArrayBuffer): number {
  return typeof data === 'string' ? data.length : data.byteLength;
}

/** Path only (no query), as routers see it. */
function pathOf(url: string): string {
  const q = url.search(/[?#]/);
  return (q < 0 ? url : url.slice(0, q)).replace(/\/{2,}/g, '/');
}

/** Live endpoints by path pattern (`/instinct/_sinks/:port`); families add theirs. */
export class LiveRoutes {
  private readonly entries: { re: RegExp; names: string[]; resolve: (params: Record<string, string>) => LiveSocketHandler | undefined }[] = [];

  /** `resolve` may answer undefined for a path it knows but cannot serve now (no such sink running). */
  add(pattern: string, resolve: LiveSocketHandler | ((params: Record<string, string>) => LiveSocketHandler | undefined)): this {
    const names: string[] = [];
    const re = new RegExp(
      '^' +
        pattern
          .split('/')
          .map((seg) => (seg.startsWith(':') ? (names.push(seg.slice(1)), '([^/]+)') : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
          .join('/') +
        '$',
    );
    this.entries.push({ re, names, resolve: typeof resolve === 'function' ? resolve : () => resolve });
    return this;
  }

  readonly router: LiveSocketRouter = (path) => {
    for (const e of this.entries) {
      const m = e.re.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      e.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
      const h = e.resolve(params);
      if (h) return h;
    }
    return undefined;
  };
}

/** How the host reaches one client (the transport's sending half). */
export interface LivePeer {
  send(data: string | Uint8Array): void;
  close(code: number, reason: string): void;
}

/** What a transport tells the host about its client. */
export interface LiveConnection {
  readonly id: string;
  received(data: string | Uint8Array): void;
  /** The client has taken `size` more (liveSize units) of what was sent. */
  acknowledged(size: number): void;
  /** The client went away (its code and reason). */
  closed(code: number, reason: string): void;
}

function connectionId(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return 'live_' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

class Connection implements LiveSocket, LiveConnection {
  readonly id = connectionId();
  private sent = 0;
  private acked = 0;
  private ended = false;
  constructor(
    readonly url: string,
    readonly headers: Readonly<Record<string, string>>,
    readonly transport: LiveTransport,
    private readonly peer: LivePeer,
    private readonly handler: LiveSocketHandler,
    private readonly forget: (c: Connection) => void,
  ) {}

  get bufferedBytes(): number {
    return this.sent - this.acked;
  }

  send(data: string | Uint8Array): void {
    if (this.ended) return;
    if (typeof data !== 'string' && this.transport === 'sse') throw new TypeError('SSE carries text only: send JSON (base64 for binary samples) on this connection');
    this.sent += liveSize(data);
    this.peer.send(data);
  }

  close(code = 1000, reason = ''): void {
    if (this.end(code, reason)) this.peer.close(code, reason);
  }

  received(data: string | Uint8Array): void {
    if (this.ended) return;
    try {
      this.handler.message(this, data);
    } catch {
      /* a handler must not throw; one that does loses that message, not the host */
    }
  }

  acknowledged(size: number): void {
    if (Number.isFinite(size) && size > 0) this.acked = Math.min(this.sent, this.acked + size);
  }

  closed(code: number, reason: string): void {
    this.end(code, reason);
  }

  /** Marks the end once and tells the handler (whichever side closed). */
  private end(code: number, reason: string): boolean {
    if (this.ended) return false;
    this.ended = true;
    this.forget(this);
    try {
      this.handler.close(this, code, reason);
    } catch {
      /* see received */
    }
    return true;
  }
}

/** The open live connections of this host. */
export class LiveHost {
  private readonly open_ = new Map<string, Connection>();
  constructor(readonly router: LiveSocketRouter) {}

  /** Opens a connection on `url` (path + query from the mount on); undefined: no endpoint there (404). */
  open(url: string, headers: Record<string, string>, transport: LiveTransport, peer: LivePeer): LiveConnection | undefined {
    const handler = this.router(pathOf(url));
    if (!handler) return undefined;
    const c = new Connection(url, headers, transport, peer, handler, (x) => this.open_.delete(x.id));
    this.open_.set(c.id, c);
    try {
      handler.open(c);
    } catch {
      c.close(1011, 'the endpoint failed to open the connection');
    }
    return c;
  }

  /** A client message that arrived outside its connection (the SSE POST fallback); false: no such connection. */
  deliver(id: string, data: string | Uint8Array): boolean {
    const c = this.open_.get(id);
    if (!c) return false;
    c.received(data);
    return true;
  }

  get size(): number {
    return this.open_.size;
  }

  /** Ends every connection (host shutting down). */
  closeAll(code = 1001, reason = 'the Neurotab engine host is going away'): void {
    for (const c of [...this.open_.values()]) c.close(code, reason);
  }
}

/** Host → client messages on a connection port. */
export type LiveHostMessage =
  | { t: 'open'; id: string }
  | { t: 'refused'; status: number; message: string }
  | { t: 'msg'; data: string | ArrayBuffer }
  | { t: 'close'; code: number; reason: string };

/** Client → host messages on a connection port. */
export type LiveClientMessage = { t: 'msg'; data: string | ArrayBuffer } | { t: 'ack'; size: number } | { t: 'close'; code: number; reason: string };

/** Serves one connection on `port` (host side of the port protocol). */
export function serveLivePort(host: LiveHost, port: MessagePort, url: string, headers: Record<string, string>, transport: LiveTransport): void {
  let done = false;
  // What the handler sends while it opens goes after the 'open' message.
  let early: LiveHostMessage[] | null = [];
  const post = (m: LiveHostMessage) => {
    if (early) early.push(m);
    else if (m.t === 'msg' && typeof m.data !== 'string') port.postMessage(m, [m.data]);
    else port.postMessage(m);
  };
  const peer: LivePeer = {
    send(data) {
      if (done) return;
      // Binary is copied: the handler may reuse its buffer.
      post({ t: 'msg', data: typeof data === 'string' ? data : (data.slice().buffer as ArrayBuffer) });
    },
    close(code, reason) {
      if (done) return;
      done = true;
      post({ t: 'close', code, reason });
      if (!early) port.close();
    },
  };
  const conn = host.open(url, headers, transport, peer);
  if (!conn) {
    port.postMessage({ t: 'refused', status: 404, message: `No live endpoint is open at ${pathOf(url)}` } satisfies LiveHostMessage);
    port.close();
    return;
  }
  const queued = early;
  early = null;
  port.postMessage({ t: 'open', id: conn.id } satisfies LiveHostMessage);
  for (const m of queued) post(m);
  if (done) {
    port.close();
    return;
  }
  port.onmessage = (ev: MessageEvent<LiveClientMessage>) => {
    const m = ev.data;
    if (!m || typeof m !== 'object') return;
    if (m.t === 'msg' && (typeof m.data === 'string' || m.data instanceof ArrayBuffer)) conn.received(typeof m.data === 'string' ? m.data : new Uint8Array(m.data));
    else if (m.t === 'ack') conn.acknowledged(Number(m.size));
    else if (m.t === 'close') {
      done = true;
      conn.closed(Number.isInteger(m.code) ? m.code : 1005, typeof m.reason === 'string' ? m.reason : '');
      port.close();
    }
  };
  // Where the browser reports a port whose other end went away (the page closed).
  port.addEventListener('close', () => {
    if (done) return;
    done = true;
    conn.closed(1006, 'the client went away');
  });
}

/** Answers the LIVE_OPEN / LIVE_DELIVER control messages arriving on the host's API port. */
export function serveLiveControl(host: LiveHost, port: MessagePort): void {
  port.addEventListener('message', (ev: MessageEvent) => {
    const m = ev.data as { type?: string; url?: unknown; headers?: unknown; transport?: unknown; id?: unknown; data?: unknown } | null;
    if (m?.type === 'LIVE_OPEN' && ev.ports[0]) {
      const headers = m.headers && typeof m.headers === 'object' ? (m.headers as Record<string, string>) : {};
      serveLivePort(host, ev.ports[0], String(m.url ?? ''), headers, m.transport === 'sse' ? 'sse' : 'websocket');
    } else if (m?.type === 'LIVE_DELIVER' && ev.ports[0]) {
      const data = typeof m.data === 'string' ? m.data : m.data instanceof ArrayBuffer ? new Uint8Array(m.data) : null;
      ev.ports[0].postMessage({ delivered: data !== null && host.deliver(String(m.id ?? ''), data) });
      ev.ports[0].close();
    }
  });
  port.start();
}
