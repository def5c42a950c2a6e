// Live data over the API: the seam between endpoints that push data to a client (NeuraScale's
// WebSocket and its SSE fallback, Instinct's WebSocket sink nodes, live SSE feeds) and the
// transports that carry them (the page-level WebSocket shim, SSE responses of the service worker,
// the bridge's WebSocket relay). Pure types; runs anywhere. A handler runs where the live data is
// (the engine host); it must never block: a client that stops reading is dropped, never waited for.

/** How a live connection reaches its client. */
export type LiveTransport = 'websocket' | 'sse';

/** One client connection of a live endpoint, whichever transport carries it. */
export interface LiveSocket {
  /** Unique among open connections of this host. */
  readonly id: string;
  /** Path and query the client opened, from the mount on (e.g. "/neurascale/ws?token=…"). */
  readonly url: string;
  /** Request headers, lower-case names (Authorization, Origin …) as far as the transport knows them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly transport: LiveTransport;
  /**
   * Queues a message and returns at once. SSE carries text only: binary is refused there
   * (handlers send JSON, base64 for samples, on that transport).
   */
  send(data: string | Uint8Array): void;
  /** Bytes queued and not yet taken by the client: a handler drops a client whose backlog grows past its bound. */
  readonly bufferedBytes: number;
  /** Ends the connection (WebSocket close code and reason; SSE: the stream ends). */
  close(code?: number, reason?: string): void;
}

/** What serves one live endpoint. Calls arrive in order per connection; none may throw. */
export interface LiveSocketHandler {
  open(socket: LiveSocket): void;
  /** A client message (WebSocket frame; SSE: the body of the fallback POST that goes with the stream). */
  message(socket: LiveSocket, data: string | Uint8Array): void;
  /** The client went away or the transport dropped it; release what the connection held. */
  close(socket: LiveSocket, code: number, reason: string): void;
}

/** Finds the handler of a path (from the mount on, no query); undefined: no such endpoint (the transport answers 404). */
export type LiveSocketRouter = (path: string) => LiveSocketHandler | undefined;
