// fetch() for the REST API over a MessagePort to a thread that answers it with the Hono app
// (workers/api-engine.worker.ts "serve-http"): requests are multiplexed by id on one port.
// Main thread. Never reaches the network; only API paths are answered (others get a 404 message).
import { messageFromRequest, responseFromMessage, type ApiResponseMessage } from '../api/message';

export type ApiFetch = (input: string, init?: RequestInit) => Promise<Response>;

const TIMEOUT_MS = 60_000;

export function apiOverPort(port: MessagePort): ApiFetch {
  const pending = new Map<number, { resolve: (r: Response) => void; method: string; timer: ReturnType<typeof setTimeout> }>();
  let nextId = 1;
  port.onmessage = (ev: MessageEvent<ApiResponseMessage & { id: number }>) => {
    const p = pending.get(ev.data?.id);
    if (!p) return;
    pending.delete(ev.data.id);
    clearTimeout(p.timer);
    p.resolve(responseFromMessage(ev.data, p.method));
  };
  return async (input, init) => {
    const msg = await messageFromRequest(input, init);
    return new Promise<Response>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new TypeError(`the API engine did not answer ${msg.method} ${msg.url} within ${TIMEOUT_MS / 1000} s`));
      }, TIMEOUT_MS);
      pending.set(id, { resolve, method: msg.method, timer });
      port.postMessage({ id, ...msg }, msg.body ? [msg.body] : []);
    });
  };
}
