// Minimal request/response RPC over a MessagePort, used between the service worker and the
// engine-host tab, and between the page and its workers. Any thread. Unlike comlink it has
// per-call timeouts and notices a closed peer, so a dead tab yields an error, never a hang.
// Arguments and results must be structured-clone-able. Errors travel as plain objects.

interface CallMessage { rpc: 'call'; id: number; method: string; args: unknown[] }
interface ReplyMessage { rpc: 'reply'; id: number; ok: boolean; value?: unknown; error?: WireError }
export interface WireError { name: string; message: string; [key: string]: unknown }

export class RpcTimeoutError extends Error {
  override name = 'RpcTimeoutError';
}
export class RpcClosedError extends Error {
  override name = 'RpcClosedError';
}

function toWire(e: unknown): WireError {
  if (e && typeof e === 'object') {
    const o = e as Record<string, unknown>;
    const wire: WireError = { name: String(o.name ?? 'Error'), message: String(o.message ?? e) };
    for (const [k, v] of Object.entries(o)) {
      try {
        structuredClone(v);
        wire[k] = v;
      } catch {
        /* drop what cannot travel */
      }
    }
    return wire;
  }
  return { name: 'Error', message: String(e) };
}

/** Answers calls arriving on `port` by invoking methods of `target`. Returns a function that stops serving. */
export function servePort(port: MessagePort, target: object): () => void {
  const onMessage = async (ev: MessageEvent) => {
    const m = ev.data as CallMessage;
    if (!m || m.rpc !== 'call') return;
    let reply: ReplyMessage;
    try {
      const fn = (target as Record<string, unknown>)[m.method];
      if (typeof fn !== 'function' || m.method.startsWith('_') || m.method === 'constructor') {
        throw Object.assign(new Error(`no method "${m.method}"`), { name: 'RpcMethodError' });
      }
      const value = await (fn as (...a: unknown[]) => unknown).apply(target, m.args);
      reply = { rpc: 'reply', id: m.id, ok: true, value };
    } catch (e) {
      reply = { rpc: 'reply', id: m.id, ok: false, error: toWire(e) };
    }
    try {
      port.postMessage(reply);
    } catch (e) {
      port.postMessage({ rpc: 'reply', id: m.id, ok: false, error: toWire(new Error(`result could not be sent: ${(e as Error).message}`)) });
    }
  };
  port.addEventListener('message', onMessage);
  port.start();
  return () => port.removeEventListener('message', onMessage);
}

export interface RpcClient {
  call(method: string, args: unknown[], timeoutMs?: number): Promise<unknown>;
  readonly closed: boolean;
  close(): void;
}

/**
 * The calling side. `reviveError` rebuilds typed errors from their wire form. The client counts as
 * closed when the port fires "close" (the peer's document went away) or after `close()`.
 */
export function connectPort(port: MessagePort, opts: { timeoutMs?: number; reviveError?: (w: WireError) => Error } = {}): RpcClient {
  const pending = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  let nextId = 1;
  let closed = false;
  const revive = opts.reviveError ?? ((w: WireError) => Object.assign(new Error(w.message), w));
  const failAll = (e: Error) => {
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.fail(e);
    }
    pending.clear();
  };
  port.addEventListener('message', (ev: MessageEvent) => {
    const m = ev.data as ReplyMessage;
    if (!m || m.rpc !== 'reply') return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok) p.ok(m.value);
    else p.fail(revive(m.error ?? { name: 'Error', message: 'unknown error' }));
  });
  port.addEventListener('close', () => {
    closed = true;
    failAll(new RpcClosedError('the other side closed'));
  });
  port.start();
  return {
    get closed() {
      return closed;
    },
    close() {
      closed = true;
      failAll(new RpcClosedError('closed'));
      port.close();
    },
    call(method, args, timeoutMs = opts.timeoutMs ?? 10_000) {
      if (closed) return Promise.reject(new RpcClosedError('the other side closed'));
      const id = nextId++;
      return new Promise((ok, fail) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          fail(new RpcTimeoutError(`no answer to "${method}" within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { ok, fail, timer });
        port.postMessage({ rpc: 'call', id, method, args } satisfies CallMessage);
      });
    },
  };
}

/** A typed proxy: every method call becomes `client.call(name, args)`. */
export function rpcProxy<T extends object>(client: RpcClient): T {
  return new Proxy({} as T, {
    get(_t, prop) {
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      return (...args: unknown[]) => client.call(prop, args);
    },
  });
}
