// A LiveSocket carried by a Server-Sent-Events response: each `send` becomes one `data:` event; the
// backlog (bytes enqueued and not yet pulled by the client) is what the handler bounds. Used where
// the live handler runs in the same thread as the router (API worker, bridge, Node tests).
// Text only: binary frames are refused, as live.ts says.
import type { LiveSocket, LiveSocketHandler } from './live';
import { ulid } from './http';

const enc = new TextEncoder();

export interface SseSocket extends LiveSocket {
  readonly response: Response;
}

/** Opens an SSE socket on `handler`; the first event (`event: open`) carries `socket_id` for the POST fallback. */
export function openSseSocket(handler: LiveSocketHandler, url: string, headers: Record<string, string>, onClosed?: (s: SseSocket) => void): SseSocket {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  const stream = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      cancel: () => end(1001, 'client went away'),
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 0 }),
  );
  const end = (code: number, reason: string) => {
    if (!open) return;
    open = false;
    handler.close(socket, code, reason);
    onClosed?.(socket);
  };
  const socket: SseSocket = {
    id: `sse_${ulid().toLowerCase()}`,
    url,
    headers,
    transport: 'sse',
    send(data) {
      if (!open) return;
      if (typeof data !== 'string') throw new TypeError('SSE carries text only: send JSON (base64 for samples)');
      controller.enqueue(enc.encode(`data: ${data}\n\n`));
    },
    get bufferedBytes() {
      return open ? Math.max(0, -(controller.desiredSize ?? 0)) : 0;
    },
    close(code = 1000, reason = '') {
      if (!open) return;
      try {
        controller.enqueue(enc.encode(`event: close\ndata: ${JSON.stringify({ code, reason })}\n\n`));
        controller.close();
      } catch {
        /* already closed */
      }
      end(code, reason);
    },
    response: new Response(stream, { status: 200, headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' } }),
  };
  controller.enqueue(enc.encode(`event: open\ndata: ${JSON.stringify({ socket_id: socket.id })}\n\n`));
  handler.open(socket);
  return socket;
}
