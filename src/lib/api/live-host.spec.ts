// The live transports' host side and their clients: routes, connections and backlog, the port
// protocol over a real MessageChannel, the SSE response, and Instinct's sink fan-out with a client
// that stops reading (bounded, dropped with a reason, the others unaffected).
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveSocket, LiveSocketHandler } from './live';
import { LiveHost, LiveRoutes, liveSize, serveLivePort, type LivePeer } from './live-host';
import { localConnector, portClient, sseResponse } from './live-client';
import { readSse } from './testing';
import { SINK_DROPPED_CODE, SinkHub, sinkPath } from './instinct-sinks';
import { until } from '../../../tests/support/until';

/** A handler that records what happens and echoes text back in upper case. */
function recorder(): LiveSocketHandler & { events: string[]; sockets: LiveSocket[] } {
  const events: string[] = [];
  const sockets: LiveSocket[] = [];
  return {
    events,
    sockets,
    open(s) {
      sockets.push(s);
      events.push(`open ${s.url} ${s.transport}`);
      s.send('hello');
    },
    message(s, d) {
      events.push(`message ${typeof d === 'string' ? d : `bytes ${d.length}`}`);
      if (typeof d === 'string') s.send(d.toUpperCase());
      else s.send(d);
    },
    close(_s, code, reason) {
      events.push(`close ${code} ${reason}`);
    },
  };
}

function fakePeer(): LivePeer & { sent: (string | Uint8Array)[]; closed?: [number, string] } {
  const p: LivePeer & { sent: (string | Uint8Array)[]; closed?: [number, string] } = {
    sent: [],
    send: (d) => void p.sent.push(d),
    close: (code, reason) => void (p.closed = [code, reason]),
  };
  return p;
}

describe('LiveRoutes', () => {
  it('finds a handler by path pattern with decoded parameters; undefined where none serves', () => {
    const h = recorder();
    const seen: Record<string, string>[] = [];
    const routes = new LiveRoutes().add('/neurascale/ws', h).add('/instinct/_sinks/:port', (p) => (seen.push(p), p.port === '8088' ? h : undefined));
    expect(routes.router('/neurascale/ws')).toBe(h);
    expect(routes.router('/instinct/_sinks/8088')).toBe(h);
    expect(routes.router('/instinct/_sinks/9')).toBeUndefined();
    expect(routes.router('/instinct/_sinks/8088/extra')).toBeUndefined();
    expect(seen).toEqual([{ port: '8088' }, { port: '9' }]);
  });
});

describe('LiveHost', () => {
  it('opens, relays messages, counts the backlog from acknowledgements, and tells the handler of the end once', () => {
    const h = recorder();
    const host = new LiveHost(new LiveRoutes().add('/x', h).router);
    const peer = fakePeer();
    const conn = host.open('/x?token=t', { origin: 'o' }, 'websocket', peer)!;
    expect(h.events).toEqual(['open /x?token=t websocket']);
    expect(h.sockets[0].headers).toEqual({ origin: 'o' });
    conn.received('abc');
    expect(peer.sent).toEqual(['hello', 'ABC']);
    expect(h.sockets[0].bufferedBytes).toBe(liveSize('hello') + 3);
    conn.acknowledged(5);
    expect(h.sockets[0].bufferedBytes).toBe(3);
    conn.acknowledged(1e9); // never below zero
    expect(h.sockets[0].bufferedBytes).toBe(0);
    expect(host.deliver(conn.id, 'post')).toBe(true); // the SSE POST fallback
    expect(host.deliver('nope', 'post')).toBe(false);
    conn.closed(1001, 'gone');
    h.sockets[0].close(1000, 'again'); // after the end: nothing more
    expect(h.events.slice(-2)).toEqual(['message post', 'close 1001 gone']);
    expect(peer.closed).toBeUndefined();
    expect(host.size).toBe(0);
    expect(host.open('/nowhere', {}, 'websocket', fakePeer())).toBeUndefined();
  });

  it('refuses binary on SSE (text only) and closes from the handler side through the peer', () => {
    const h = recorder();
    const host = new LiveHost(new LiveRoutes().add('/x', h).router);
    const peer = fakePeer();
    host.open('/x', {}, 'sse', peer);
    expect(() => h.sockets[0].send(new Uint8Array(2))).toThrow(/text only/);
    h.sockets[0].close(4000, 'bye');
    expect(peer.closed).toEqual([4000, 'bye']);
    expect(h.events.at(-1)).toBe('close 4000 bye');
  });
});

describe('the port protocol (page shim, service worker, bridge tab)', () => {
  const opened: MessagePort[] = [];
  afterEach(() => {
    for (const p of opened.splice(0)) p.close();
  });

  it('carries text and binary both ways, acknowledgements, and the close of either side', async () => {
    const h = recorder();
    const host = new LiveHost(new LiveRoutes().add('/x', h).router);
    const ch = new MessageChannel();
    opened.push(ch.port1, ch.port2);
    serveLivePort(host, ch.port2, '/x', {}, 'websocket');
    const got: (string | number)[] = [];
    let closed: [number, string] | null = null;
    const r = await portClient(ch.port1, { message: (d) => got.push(typeof d === 'string' ? d : d.length), close: (c, why) => (closed = [c, why]) });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.client.id).toMatch(/^live_[0-9a-f]{32}$/);
    r.client.send('ping');
    r.client.send(new Uint8Array([1, 2, 3]));
    await until(() => got.length === 3, 'got.length === 3');
    // The greeting sent while opening arrives after the open message, first.
    expect(got).toEqual(['hello', 'PING', 3]);
    expect(h.sockets[0].bufferedBytes).toBe(5 + 4 + 3);
    r.client.ack(9);
    await until(() => h.sockets[0].bufferedBytes === 3, 'h.sockets[0].bufferedBytes === 3');
    h.sockets[0].close(4001, 'done');
    await until(() => closed !== null, 'closed !== null');
    expect(closed).toEqual([4001, 'done']);
  });

  it('a client closing ends the connection on the host; an unknown path is refused with 404', async () => {
    const h = recorder();
    const host = new LiveHost(new LiveRoutes().add('/x', h).router);
    const a = new MessageChannel();
    opened.push(a.port1, a.port2);
    serveLivePort(host, a.port2, '/x', {}, 'websocket');
    const r = await portClient(a.port1, { message: () => {}, close: () => {} });
    if (!r.ok) throw new Error('not opened');
    r.client.close(1000, 'bye');
    await until(() => h.events.includes('close 1000 bye'), 'the close on the host');
    expect(host.size).toBe(0);

    const b = new MessageChannel();
    opened.push(b.port1, b.port2);
    serveLivePort(host, b.port2, '/nope', {}, 'websocket');
    expect(await portClient(b.port1, { message: () => {}, close: () => {} })).toEqual({ ok: false, status: 404, message: 'No live endpoint is open at /nope' });
  });
});

describe('sseResponse', () => {
  it('opens with the connection id, sends data: events and heartbeats, and a close event when the host ends', async () => {
    const h = recorder();
    const host = new LiveHost(new LiveRoutes().add('/x', h).router);
    const res = await sseResponse(localConnector(host), '/x', {}, { heartbeatMs: 20 });
    if (!(res instanceof Response)) throw new Error(res.message);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const id = res.headers.get('x-live-connection-id')!;
    expect(await localConnector(host).deliver(id, 'from post')).toBe(true);
    h.sockets[0].send('two\nlines');
    let text = await readSse(res, (t) => t.includes(': keep-alive'), { keepOpen: true });
    expect(text).toContain(`event: connection\ndata: {"connection_id":"${id}"}\n\n`);
    expect(text).toContain('data: hello\n\n');
    expect(text).toContain('data: FROM POST\n\n');
    expect(text).toContain('data: two\ndata: lines\n\n');
    h.sockets[0].close(1001, 'stopped');
    text += await readSse(res, () => false);
    expect(text.endsWith('event: close\ndata: {"code":1001,"reason":"stopped"}\n\n')).toBe(true);
  });

  it('the client going away closes the connection; a client that reads acknowledges, one that does not shows a backlog', async () => {
    const h = recorder();
    const host = new LiveHost(new LiveRoutes().add('/x', h).router);
    const res = (await sseResponse(localConnector(host), '/x', {})) as Response;
    const s = h.sockets[0];
    const big = 'x'.repeat(1000);
    for (let i = 0; i < 200; i++) s.send(big); // 200 kB, more than the stream queues
    expect(s.bufferedBytes).toBeGreaterThan(100_000);
    const reader = res.body!.getReader();
    let read = 0;
    while (read < 150_000) read += (await reader.read()).value!.length;
    expect(s.bufferedBytes).toBeLessThan(80_000);
    await reader.cancel();
    expect(h.events.at(-1)).toBe('close 1001 the SSE client went away');
    expect(await sseResponse(localConnector(host), '/nope', {})).toEqual({ status: 404, message: 'No live endpoint is open at /nope' });
  });
});

describe('SinkHub (Instinct WebSocket sinks)', () => {
  it('fans each chunk out to BroadcastChannel and every client; drops one that stops reading, with a reason; the others go on', async () => {
    const broadcasts: unknown[] = [];
    const hub = new SinkHub({ maxBacklog: 10_000, broadcast: (port, m) => broadcasts.push([port, m]) });
    const host = new LiveHost(new LiveRoutes().add('/instinct/_sinks/:port', (p) => hub.handler(Number(p.port))).router);
    const ports: number[][] = [];
    hub.onPortsChanged((p) => ports.push(p));
    expect(host.open(sinkPath(8088), {}, 'websocket', fakePeer())).toBeUndefined(); // no sink yet
    const pub = hub.publisher(8088, 'stream-1', 'node-1');
    const reader = fakePeer();
    const slow = fakePeer();
    const readerConn = host.open(sinkPath(8088), {}, 'websocket', reader)!;
    host.open(sinkPath(8088), {}, 'websocket', slow);
    const chunk = { t: 1, sampleRate: 250, channels: ['Cz'], timestamps: [1], data: [[0.5]] };
    for (let i = 0; i < 200; i++) {
      pub.publish(chunk);
      readerConn.acknowledged(liveSize(reader.sent.at(-1) as string)); // this one keeps up
    }
    expect(JSON.parse(reader.sent[0] as string)).toEqual({ nodeId: 'node-1', streamId: 'stream-1', port: 8088, ...chunk });
    expect(reader.sent.length).toBe(200);
    expect(slow.closed?.[0]).toBe(SINK_DROPPED_CODE);
    expect(slow.closed?.[1]).toMatch(/stopped reading/);
    expect(slow.sent.length).toBeLessThan(200);
    expect(broadcasts.length).toBe(200);
    expect(broadcasts[0]).toEqual([8088, { nodeId: 'node-1', streamId: 'stream-1', port: 8088, ...chunk }]);
    pub.release();
    expect(reader.closed).toEqual([1001, 'the sink on port 8088 stopped']);
    expect(ports).toEqual([[8088], []]);
    expect(hub.activePorts()).toEqual([]);
  });

  it('posts to BroadcastChannel("instinct:<port>") by default', async () => {
    const hub = new SinkHub();
    const pub = hub.publisher(36006, 's', 'n');
    const ch = new BroadcastChannel('instinct:36006');
    const got: unknown[] = [];
    ch.onmessage = (ev) => got.push(ev.data);
    pub.publish({ t: 2, sampleRate: 0, channels: [], timestamps: [2], markers: [{ t: 2, value: 'go' }] });
    await until(() => got.length === 1, 'got.length === 1');
    expect(got[0]).toMatchObject({ port: 36006, streamId: 's', markers: [{ t: 2, value: 'go' }] });
    ch.close();
    pub.release();
  });
});
