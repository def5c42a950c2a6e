import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { fakeSerialKit } from '../../../tests/fakes/serial';
import { browserHardware } from '../clients/api-devices';
import type { SerialLike } from '../devices/transports/serial';
import { NeurotabDb } from '../storage/db';
import { Ring, RingReader } from '../streams/ring';
import { DeviceHub } from './device-hub';
import type { LiveSocket } from './live';
import { mintTokens } from './neurascale-auth';
import { NeuraScaleService, type SettingsStore } from './neurascale-service';
import { CLOSE_AUTH_FAILED, CLOSE_SLOW_CONSUMER, NeuraScaleSocketHandler } from './neurascale-ws';
import { LiveHost, LiveRoutes } from './live-host';
import { localConnector } from './live-client';
import type { LiveSocketHandler } from './live';

/** The live host of the engine, serving the NeuraScale socket endpoint (as the API worker does). */
function connector(handler: LiveSocketHandler) {
  return localConnector(new LiveHost(new LiveRoutes().add('/neurascale/ws', handler).router));
}

function memorySettings(): SettingsStore {
  const m = new Map<string, unknown>();
  return { get: async (k) => structuredClone(m.get(k)), put: async (k, v) => void m.set(k, structuredClone(v)) };
}

class FakeSocket implements LiveSocket {
  static n = 0;
  readonly id = `s${++FakeSocket.n}`;
  readonly transport = 'websocket' as const;
  readonly headers = {};
  sent: any[] = [];
  closed: { code?: number; reason?: string } | null = null;
  /** false: the client never reads, so every byte stays queued. */
  reading = true;
  bufferedBytes = 0;
  constructor(readonly url = '/neurascale/ws') {}
  send(data: string | Uint8Array): void {
    if (!this.reading) this.bufferedBytes += typeof data === 'string' ? data.length : data.byteLength;
    this.sent.push(JSON.parse(String(data)));
  }
  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
  }
  of(type: string): any[] {
    return this.sent.filter((m) => m.type === type);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(f: () => boolean, ms = 3000): Promise<void> {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await sleep(10);
  }
}

function decode(b64: string): Float32Array {
  const bin = Buffer.from(b64, 'base64');
  return new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
}

function rig(hub = new DeviceHub()) {
  const service = new NeuraScaleService({ devices: hub, db: new NeurotabDb(`ws-${Math.random()}`), settings: memorySettings() });
  const ws = new NeuraScaleSocketHandler(service);
  return {
    hub, service, ws,
    connect(url?: string) {
      const s = new FakeSocket(url);
      ws.open(s);
      return s;
    },
    say(s: FakeSocket, m: unknown) {
      ws.message(s, JSON.stringify(m));
    },
    async close() {
      ws.dispose();
      await service.close();
      await hub.close();
    },
  };
}

describe('NeuraScale WebSocket protocol', () => {
  it('subscribe (SDK form: sessionId + channels): neural_data_batch every ~100 ms carries exactly the ring samples, channel-major float32', async () => {
    const r = rig();
    const s = r.connect();
    const started = await r.service.nsStreamStart('synthetic', { sampleRateHz: 500, channels: [1, 2, 3, 4] });
    const info = await r.hub.deviceStream('synthetic');
    const mirror = new RingReader(Ring.attach(info.buffer), { from: 'now' });
    r.say(s, { type: 'subscribe', sessionId: started.sessionId, channels: [2, 4] });
    await until(() => s.of('neural_data_batch').length >= 8);
    await r.service.nsStreamStop('synthetic');
    await until(() => s.of('session_event').some((m) => m.event === 'recording_stopped'));
    const batches = s.of('neural_data_batch');
    expect(batches[0]).toMatchObject({ device_id: 'synthetic', session_id: started.sessionId, channels: [2, 4], sample_rate: 500, encoding: 'float32-le-channel-major', dropped_samples: 0 });
    // Everything the mirror reads from the first batch on is in the batches, in order, nothing lost.
    const all = new Float32Array(8 * 20000);
    const ts = new Float64Array(20000);
    const got = mirror.read(20000, all, ts).frames;
    const i0 = ts.subarray(0, got).indexOf(batches[0].timestamp_start);
    expect(i0).toBeGreaterThanOrEqual(0);
    let k = i0;
    for (const b of batches) {
      const v = decode(b.compressed_data);
      expect(v.length).toBe(b.sample_count * 2);
      for (let i = 0; i < b.sample_count; i++, k++) {
        expect(v[i]).toBe(all[k * 8 + 1]);
        expect(v[b.sample_count + i]).toBe(all[k * 8 + 3]);
      }
      expect(b.timestamp_end).toBe(ts[k - 1]);
    }
    expect(k).toBe(got);
    expect(s.of('system_event').map((m) => m.event)).toContain('stream_stopped');
    await r.close();
  });

  it('a device streaming without a session (started by another family) feeds device_id subscribers too', async () => {
    const r = rig();
    await r.hub.deviceStartStream('synthetic', { sampleRateHz: 250 });
    const s = r.connect();
    r.say(s, { type: 'subscribe', topic: 'neural_data', device_id: 'synthetic' });
    await until(() => s.of('neural_data_batch').length >= 2);
    expect(s.of('neural_data_batch')[0]).toMatchObject({ device_id: 'synthetic', session_id: null, channels: [1, 2, 3, 4, 5, 6, 7, 8] });
    await r.close();
  });

  it("subscribe with sample_rate ≤ 64 Hz: one neural_data per kept sample (every 5th at 250 Hz → 50 Hz), as the seed's message", async () => {
    const r = rig();
    const started = await r.service.nsStreamStart('synthetic', { sampleRateHz: 250, channels: [1, 2, 3] });
    const info = await r.hub.deviceStream('synthetic');
    const mirror = new RingReader(Ring.attach(info.buffer), { from: 'now' });
    const s = r.connect();
    r.say(s, { type: 'subscribe', topic: 'neural_data', session_id: started.sessionId, sample_rate: 50 });
    await until(() => s.of('neural_data').length >= 40);
    await r.service.nsStreamStop('synthetic');
    const msgs = s.of('neural_data');
    expect(msgs[0]).toMatchObject({ device_id: 'synthetic', session_id: started.sessionId, events: [] });
    expect(msgs[0].channels.map((c: { number: number }) => c.number)).toEqual([1, 2, 3]);
    const all = new Float32Array(8 * 5000);
    const ts = new Float64Array(5000);
    const n = mirror.read(5000, all, ts).frames;
    // Consecutive messages are 5 samples apart, each with the ring's value at that sample.
    const at = (t: number) => Array.from(ts.subarray(0, n)).findIndex((x) => Math.round(x) === t);
    const i0 = at(msgs[0].timestamp);
    expect(i0).toBeGreaterThanOrEqual(0);
    msgs.slice(0, 30).forEach((m: { timestamp: number; channels: { value: number }[] }, j: number) => {
      expect(at(m.timestamp)).toBe(i0 + 5 * j);
      expect(m.channels[1].value).toBe(all[(i0 + 5 * j) * 8 + 1]);
    });
    expect(s.of('neural_data_batch')).toHaveLength(0);
    await r.close();
  });

  it('device_control start_stream / stop_stream answer device_response; bad messages get an error message, never a crash', async () => {
    const r = rig();
    const s = r.connect();
    r.say(s, { type: 'device_control', action: 'start_stream', device_id: 'synthetic', config: { sample_rate: 250 } });
    await until(() => s.of('device_response').length === 1);
    expect(s.of('device_response')[0]).toMatchObject({ device_id: 'synthetic', action: 'start_stream', status: 'success', stream_id: expect.stringMatching(/^stream_/) });
    r.say(s, { type: 'device_control', action: 'start_stream', device_id: 'synthetic', config: { sample_rate: 500 } });
    await until(() => s.of('device_response').length === 2);
    expect(s.of('device_response')[1]).toMatchObject({ status: 'error', error_code: 'DEVICE_BUSY' });
    r.say(s, { type: 'device_control', action: 'stop_stream', device_id: 'synthetic' });
    await until(() => s.of('device_response').length === 3);
    expect(s.of('device_response')[2]).toMatchObject({ status: 'success', action: 'stop_stream' });
    r.ws.message(s, 'not json');
    r.say(s, { type: 'levitate' });
    r.say(s, { type: 'subscribe', topic: 'gossip' });
    await until(() => s.of('error').length === 3);
    expect(s.of('error').map((m) => m.error_code)).toEqual(['INVALID_MESSAGE', 'INVALID_MESSAGE', 'INVALID_MESSAGE']);
    expect(s.closed).toBeNull();
    await r.close();
  });

  it('auth local: ?token= or an auth message admits; a forged token gets an error and the socket is closed', async () => {
    const r = rig();
    const st = await r.service.setSettings({ auth: 'local' });
    const tokens = await mintTokens(st, 'me@lab', Date.now());
    const good = r.connect(`/neurascale/ws?token=${tokens.access_token}`);
    const late = r.connect();
    const bad = r.connect('/neurascale/ws?token=eyJhbGciOiJIUzI1NiJ9.e30.x');
    await sleep(20);
    r.say(late, { type: 'subscribe', topic: 'neural_data', session_id: 'x' });
    await until(() => late.of('error').length === 1);
    expect(late.of('error')[0].error_code).toBe('AUTHENTICATION_REQUIRED');
    r.say(late, { type: 'auth', token: tokens.access_token });
    await until(() => late.of('auth_ok').length === 1);
    r.say(good, { type: 'subscribe', topic: 'neural_data', device_id: 'synthetic' });
    await until(() => good.of('subscribed').length === 1);
    expect(bad.of('error')[0].error_code).toBe('INVALID_TOKEN');
    expect(bad.closed?.code).toBe(CLOSE_AUTH_FAILED);
    await r.close();
  });

  it('a client that stops reading is dropped with a reason once its backlog passes the bound; the stream and other clients go on', async () => {
    const hub = new DeviceHub();
    const service = new NeuraScaleService({ devices: hub, db: new NeurotabDb(`ws-${Math.random()}`), settings: memorySettings() });
    const ws = new NeuraScaleSocketHandler(service, { maxBufferedBytes: 50_000 });
    const slow = new FakeSocket();
    slow.reading = false;
    const fast = new FakeSocket();
    ws.open(slow);
    ws.open(fast);
    await service.nsStreamStart('synthetic', { sampleRateHz: 2000, channels: [1, 2, 3, 4, 5, 6, 7, 8] });
    for (const s of [slow, fast]) ws.message(s, JSON.stringify({ type: 'subscribe', device_id: 'synthetic' }));
    await until(() => slow.closed !== null);
    expect(slow.closed).toEqual({ code: CLOSE_SLOW_CONSUMER, reason: 'client is not reading: more than 50000 bytes queued' });
    const before = fast.of('neural_data_batch').length;
    await until(() => fast.of('neural_data_batch').length > before + 3);
    expect((await hub.deviceGet('synthetic')).streaming).toBe(true);
    ws.dispose();
    await service.close();
    await hub.close();
  });

  it('a board unplugged mid-stream: subscribers get error DEVICE_DISCONNECTED with retry_suggested, the recording keeps what arrived', async () => {
    const kit = fakeSerialKit();
    const serial = new kit.FakeSerial();
    const port = serial.plug({ usbVendorId: 0x0403, usbProductId: 0x6015 });
    const emu = new kit.CytonEmulator();
    emu.attach(port);
    const hub = new DeviceHub({ hardware: browserHardware({ serial: serial as unknown as SerialLike }), sleep: async () => undefined, backoff: { initialDelayMs: 5, maxDelayMs: 5, maxAttempts: 2 } });
    const r = rig(hub);
    const s = r.connect();
    const started = await r.service.nsStreamStart('openbci-cyton');
    r.say(s, { type: 'subscribe', topic: 'neural_data', session_id: started.sessionId });
    await until(() => s.of('subscribed').length === 1);
    await sleep(60);
    const pumping = setInterval(() => emu.pump(25), 100);
    await until(() => s.of('neural_data_batch').reduce((n, b) => n + b.sample_count, 0) >= 250);
    clearInterval(pumping);
    await sleep(150);
    serial.unplug(port);
    await until(() => s.of('error').length > 0);
    expect(s.of('error')[0]).toMatchObject({ error_code: 'DEVICE_DISCONNECTED', device_id: 'openbci-cyton', retry_suggested: true });
    await until(() => s.of('session_event').some((m) => m.event === 'session_completed'));
    expect((await r.hub.deviceGet('openbci-cyton')).status).toBe('error');
    const [rec] = await r.service.nsSessionRecordings(started.sessionId);
    expect(rec.sampleCount).toBe(emu.sent);
    expect(rec.stopReason).toMatch(/gave up reconnecting/);
    const sent = s.of('neural_data_batch').reduce((n, b) => n + b.sample_count, 0);
    expect(sent).toBe(emu.sent);
    await r.close();
  });
});

describe('NeuraScale SSE fallback (GET /ws/events + POST /ws/send) and GET /v2/data/stream/{stream_id}', () => {
  async function events(res: Response, until: (evs: any[]) => boolean, ms = 3000): Promise<any[]> {
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = '';
    const out: any[] = [];
    const t0 = Date.now();
    while (!until(out) && Date.now() - t0 < ms) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value, { stream: true });
      let i: number;
      while ((i = text.indexOf('\n\n')) >= 0) {
        const block = text.slice(0, i);
        text = text.slice(i + 2);
        const ev = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        const line = /^data: (.*)$/m.exec(block);
        if (!line) continue; // a comment (": connected", ": keep-alive")
        const data = JSON.parse(line[1]);
        out.push({ event: ev, ...data });
      }
    }
    await reader.cancel();
    return out;
  }

  it('streams the protocol as events; the POST fallback carries client messages; data/stream follows one stream', async () => {
    const { createNeuraScaleApp } = await import('./neurascale');
    const r = rig();
    const app = createNeuraScaleApp(r.service, '/neurascale', { live: connector(r.ws) });
    const started = await r.service.nsStreamStart('synthetic', { sampleRateHz: 250 });
    const res = await app.request(`/neurascale/ws/events?session_id=${started.sessionId}&channels=1,2`);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const got = await events(res, (e) => e.filter((x) => x.type === 'neural_data_batch').length >= 3);
    expect(got[0]).toMatchObject({ event: 'connection', connection_id: expect.any(String) });
    expect(got.find((x) => x.type === 'subscribed')).toMatchObject({ topic: 'neural_data', session_id: started.sessionId });
    const b = got.find((x) => x.type === 'neural_data_batch');
    expect(b).toMatchObject({ channels: [1, 2], device_id: 'synthetic' });
    expect(decode(b.compressed_data).length).toBe(2 * b.sample_count);

    const res2 = await app.request(`/neurascale/v2/data/stream/${started.streamId}`);
    const stream = await events(res2, (e) => e.some((x) => x.type === 'neural_data_batch'));
    expect(stream.find((x) => x.type === 'neural_data_batch')).toMatchObject({ device_id: 'synthetic', channels: [1, 2, 3, 4, 5, 6, 7, 8] });
    expect((await app.request('/neurascale/v2/data/stream/stream_nope')).status).toBe(404);

    const res3 = await app.request('/neurascale/ws/events');
    const reader3 = res3.body!.getReader();
    const first = new TextDecoder().decode((await reader3.read()).value);
    const socketId = JSON.parse(/data: (.*)/.exec(first)![1]).connection_id;
    expect(res3.headers.get('X-Live-Connection-Id')).toBe(socketId);
    const post = await app.request(`/neurascale/ws/send?connection_id=${socketId}`, { method: 'POST', body: JSON.stringify({ type: 'device_control', action: 'stop_stream', device_id: 'synthetic' }), headers: { 'Content-Type': 'application/json' } });
    expect(post.status).toBe(202);
    let text = '';
    while (!text.includes('device_response')) text += new TextDecoder().decode((await reader3.read()).value);
    expect(text).toMatch(/"status":"success"/);
    await reader3.cancel();
    expect((await app.request('/neurascale/ws/send?connection_id=nope', { method: 'POST', body: '{}' })).status).toBe(404);
    const noLive = createNeuraScaleApp(r.service);
    expect((await noLive.request('/neurascale/ws/events')).status).toBe(503);
    await r.close();
  });

  it('an event stream nobody reads is closed once its backlog passes the bound', async () => {
    const { createNeuraScaleApp } = await import('./neurascale');
    const hub = new DeviceHub();
    const service = new NeuraScaleService({ devices: hub, db: new NeurotabDb(`ws-${Math.random()}`), settings: memorySettings() });
    const ws = new NeuraScaleSocketHandler(service, { maxBufferedBytes: 100_000 });
    const app = createNeuraScaleApp(service, '/neurascale', { live: connector(ws) });
    await service.nsStreamStart('synthetic', { sampleRateHz: 2000, channels: Array.from({ length: 8 }, (_, i) => i + 1) });
    const res = await app.request('/neurascale/ws/events?device_id=synthetic');
    await sleep(1500); // nothing reads the body meanwhile
    const text = await res.text();
    expect(text).toMatch(/event: close\ndata: \{"code":4008,"reason":"client is not reading: more than 100000 bytes queued"\}/);
    expect((await hub.deviceGet('synthetic')).streaming).toBe(true);
    ws.dispose();
    await service.close();
    await hub.close();
  });
});
