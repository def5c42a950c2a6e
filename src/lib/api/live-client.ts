// The client side of the live transports: opening a connection to a live endpoint of the engine
// host, in this thread (`localConnector`, where the host runs: the API worker, Node) or over a
// MessagePort (`portConnector`, the service worker), and the Server-Sent-Events response built on it
// (`sseResponse`: heartbeat comments, ends cleanly when either side goes, backpressure through the
// stream's queue). Runs in the service worker, the API worker and Node; never blocks the host.
// The page's socket shim (static/neurotab-api.js) speaks the same port protocol (live-host.ts).

import { liveSize, type LiveClientMessage, type LiveHost, type LiveHostMessage } from './live-host';
import type { LiveTransport } from './live';

/** What a client hears from its connection. */
export interface LiveEvents {
  message(data: string | Uint8Array): void;
  close(code: number, reason: string): void;
}

/** An open connection, from the client's side. */
export interface LiveClient {
  readonly id: string;
  send(data: string | Uint8Array): void;
  /** The client has taken `size` (liveSize units) of what arrived: the host's backlog shrinks by it. */
  ack(size: number): void;
  close(code?: number, reason?: string): void;
}

export type LiveOpened = { ok: true; client: LiveClient } | { ok: false; status: number; message: string };

/** Opens live connections on the engine host, wherever it is. */
export interface LiveConnector {
  open(url: string, headers: Record<string, string>, transport: LiveTransport, events: LiveEvents): Promise<LiveOpened>;
  /** A client message for connection `id` sent outside it (the SSE POST fallback); false: no such connection. */
  deliver(id: string, data: string | Uint8Array): Promise<boolean>;
}

const NO_ENDPOINT = (url: string) => `No live endpoint is open at ${url.split('?')[0]}`;

/** The host runs in this thread. */
export function localConnector(host: LiveHost): LiveConnector {
  return {
    async open(url, headers, transport, events) {
      let closed = false;
      const conn = host.open(url, headers, transport, {
        send: (data) => events.message(data),
        close: (code, reason) => {
          closed = true;
          events.close(code, reason);
        },
      });
      if (!conn) return { ok: false, status: 404, message: NO_ENDPOINT(url) };
      return {
        ok: true,
        client: {
          id: conn.id,
          send: (data) => !closed && conn.received(data),
          ack: (size) => conn.acknowledged(size),
          close: (code = 1000, reason = '') => {
            if (closed) return;
            closed = true;
            conn.closed(code, reason);
          },
        },
      };
    },
    async deliver(id, data) {
      return host.deliver(id, data);
    },
  };
}

/** How long a host may take to accept or refuse a connection. */
const OPEN_TIMEOUT_MS = 5000;

/** The client end of one connection port (live-host.ts protocol): resolves once the host accepted or refused. */
export function portClient(port: MessagePort, events: LiveEvents, timeoutMs = OPEN_TIMEOUT_MS): Promise<LiveOpened> {
  return new Promise((resolve) => {
    let state: 'opening' | 'open' | 'closed' = 'opening';
    const end = (code: number, reason: string) => {
      if (state === 'closed') return;
      const was = state;
      state = 'closed';
      clearTimeout(timer);
      port.close();
      if (was === 'open') events.close(code, reason);
      else resolve({ ok: false, status: 503, message: `The engine host closed the connection before accepting it (${reason})` });
    };
    const timer = setTimeout(() => {
      if (state !== 'opening') return;
      state = 'closed';
      port.close();
      resolve({ ok: false, status: 504, message: `The engine host did not answer within ${timeoutMs / 1000} s; reload the Neurotab tab and retry` });
    }, timeoutMs);
    port.onmessage = (ev: MessageEvent<LiveHostMessage>) => {
      const m = ev.data;
      if (!m || typeof m !== 'object') return;
      if (state === 'opening' && m.t === 'open') {
        state = 'open';
        id = m.id;
        clearTimeout(timer);
        resolve({ ok: true, client });
      } else if (state === 'opening' && m.t === 'refused') {
        state = 'closed';
        clearTimeout(timer);
        port.close();
        resolve({ ok: false, status: m.status, message: m.message });
      } else if (state === 'open' && m.t === 'msg') events.message(typeof m.data === 'string' ? m.data : new Uint8Array(m.data));
      else if (m.t === 'close') end(m.code, m.reason);
    };
    port.addEventListener('close', () => end(1006, 'the engine host went away'));
    let id = '';
    const post = (m: LiveClientMessage, transfer: Transferable[] = []) => {
      if (state === 'open') port.postMessage(m, transfer);
    };
    const client: LiveClient = {
      get id() {
        return id;
      },
      send(data) {
        if (typeof data === 'string') post({ t: 'msg', data });
        else {
          const buf = data.slice().buffer as ArrayBuffer;
          post({ t: 'msg', data: buf }, [buf]);
        }
      },
      ack: (size) => post({ t: 'ack', size }),
      close(code = 1000, reason = '') {
        if (state !== 'open') return;
        post({ t: 'close', code, reason });
        state = 'closed';
        port.close();
      },
    };
  });
}

/**
 * Connections over the host's API port (the service worker's side): `hostPort` gives the port the
 * engine host serves, or null when no tab hosts the engine (→ 503).
 */
export function portConnector(hostPort: () => Promise<MessagePort | null>, unavailable: string): LiveConnector {
  return {
    async open(url, headers, transport, events) {
      const hp = await hostPort();
      if (!hp) return { ok: false, status: 503, message: unavailable };
      const ch = new MessageChannel();
      hp.postMessage({ type: 'LIVE_OPEN', url, headers, transport }, [ch.port2]);
      return portClient(ch.port1, events);
    },
    async deliver(id, data) {
      const hp = await hostPort();
      if (!hp) return false;
      const ch = new MessageChannel();
      const answer = new Promise<boolean>((ok) => {
        const t = setTimeout(() => ok(false), OPEN_TIMEOUT_MS);
        ch.port1.onmessage = (ev: MessageEvent<{ delivered?: boolean }>) => {
          clearTimeout(t);
          ch.port1.close();
          ok(ev.data?.delivered === true);
        };
      });
      const payload = typeof data === 'string' ? data : (data.slice().buffer as ArrayBuffer);
      hp.postMessage({ type: 'LIVE_DELIVER', id, data: payload }, [ch.port2]);
      return answer;
    },
  };
}

/** Queue of a live SSE response before the client reads it; more than this and the host sees the backlog grow. */
export const SSE_QUEUE_BYTES = 64 * 1024;
export const SSE_HEARTBEAT_MS = 15_000;

/** One SSE event: every line of `text` as a `data:` line. */
function sseEvent(text: string, event?: string): string {
  return `${event ? `event: ${event}\n` : ''}data: ${text.replace(/\r\n|\r|\n/g, '\ndata: ')}\n\n`;
}

/**
 * A `text/event-stream` response carrying connection `url` of the live host: first a `connection` event
 * (`{"connection_id"}`, also in `X-Live-Connection-Id`: the id the POST fallback names), then one
 * `data:` event per message, a `: keep-alive` comment every 15 s, and an `close` event
 * (`{"code","reason"}`) before the stream ends when the host closes. The client going away closes
 * the connection (1001). What the client has read is acknowledged to the host, so a client that stops
 * reading shows a growing backlog there. Refusals come back for the family to render in its envelope.
 */
export async function sseResponse(
  connector: LiveConnector,
  url: string,
  headers: Record<string, string>,
  opts: { heartbeatMs?: number } = {},
): Promise<Response | { status: number; message: string }> {
  const enc = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let ended = false;
  let enqueued = 0;
  let consumed = 0;
  /** Sizes of enqueued messages not yet read, oldest first: [encoded bytes, liveSize]. */
  const unread: [number, number][] = [];
  let client: LiveClient | null = null;
  let early: (string | null)[] | null = [];
  let heartbeat: ReturnType<typeof setInterval> | undefined;

  const acknowledge = () => {
    if (ended || !client) return;
    const queued = SSE_QUEUE_BYTES - (controller.desiredSize ?? 0);
    const read = enqueued - Math.max(0, queued);
    let size = 0;
    while (unread.length && consumed + unread[0][0] <= read) {
      const [bytes, s] = unread.shift()!;
      consumed += bytes;
      size += s;
    }
    if (size > 0) client.ack(size);
  };
  const push = (text: string, size: number) => {
    if (ended) return;
    const bytes = enc.encode(text);
    enqueued += bytes.length;
    unread.push([bytes.length, size]);
    controller.enqueue(bytes);
    acknowledge();
  };
  const finish = (code: number, reason: string) => {
    if (ended) return;
    push(sseEvent(JSON.stringify({ code, reason }), 'close'), 0);
    ended = true;
    clearInterval(heartbeat);
    controller.close();
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull: () => acknowledge(),
      cancel: () => {
        ended = true;
        clearInterval(heartbeat);
        client?.close(1001, 'the SSE client went away');
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: SSE_QUEUE_BYTES }),
  );

  const opened = await connector.open(url, headers, 'sse', {
    message(data) {
      if (typeof data !== 'string') return; // the host refuses binary on SSE
      if (early) early.push(data);
      else push(sseEvent(data), liveSize(data));
    },
    close(code, reason) {
      if (early) early.push(null, `${code}\u0000${reason}`);
      else finish(code, reason);
    },
  });
  if (!opened.ok) return { status: opened.status, message: opened.message };
  client = opened.client;
  push(`: connected\n\n${sseEvent(JSON.stringify({ connection_id: client.id }), 'connection')}`, 0);
  const queued = early;
  early = null;
  for (let i = 0; i < queued.length; i++) {
    const m = queued[i];
    if (m === null) {
      const [code, reason] = (queued[++i] as string).split('\u0000');
      finish(Number(code), reason);
    } else push(sseEvent(m), liveSize(m));
  }
  if (!ended) {
    heartbeat = setInterval(() => push(': keep-alive\n\n', 0), opts.heartbeatMs ?? SSE_HEARTBEAT_MS);
    (heartbeat as { unref?: () => void }).unref?.();
  }
  return new Response(stream, {
    status: 200,
    headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'X-Accel-Buffering': 'no', 'X-Live-Connection-Id': client.id },
  });
}
