import { describe, expect, it } from 'vitest';
import { connectPort, rpcProxy, servePort, RpcTimeoutError } from './rpc';

describe('rpc over MessagePort', () => {
  it('calls methods, carries results and typed error fields, times out on silence', async () => {
    const { port1, port2 } = new MessageChannel();
    class Boom extends Error { override name = 'Boom'; code = 'E42'; }
    const target = {
      add: (a: number, b: number) => a + b,
      async later(x: string) { return { x, n: [1, 2] }; },
      fail() { throw new Boom('nope'); },
      hang() { return new Promise(() => {}); },
    };
    servePort(port1, target);
    const client = connectPort(port2, { timeoutMs: 200 });
    const api = rpcProxy<typeof target>(client);
    expect(await api.add(2, 3)).toBe(5);
    expect(await api.later('a')).toEqual({ x: 'a', n: [1, 2] });
    await expect(api.fail()).rejects.toMatchObject({ name: 'Boom', message: 'nope', code: 'E42' });
    await expect(client.call('missing', [])).rejects.toThrow(/no method "missing"/);
    await expect(api.hang()).rejects.toBeInstanceOf(RpcTimeoutError);
    client.close();
    await expect(api.add(1, 1)).rejects.toThrow(/closed/);
    port1.close();
  });
});
