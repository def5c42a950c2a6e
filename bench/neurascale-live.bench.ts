// Live data to NeuraScale clients, 64 ch × 1 kHz: a producer writes the ring (channel 1 = frame
// index, every timestamp = its write time on the shared clock), the NeuraScale socket handler reads
// it and sends neural_data_batch to (a) a real WebSocket client (ws, 127.0.0.1) and (b) an SSE client
// of GET /neurascale/ws/events. Checks every frame arrives once, in order; prints p50/p99/max delivery
// latency from ring write to client receipt. The bridge relay (branch `apis`) adds its own hop on top.
// Usage: npx tsx bench/neurascale-live.bench.ts [--quick] [--minutes N]   (--quick: 30 s; default 10 min)
import 'fake-indexeddb/auto';
import { loadavg } from 'node:os';
import { WebSocket, WebSocketServer } from 'ws';
import { nowMs } from '../src/lib/core/clock';
import { Ring, RingWriter } from '../src/lib/streams/ring';
import { NeurotabDb } from '../src/lib/storage/db';
import { DeviceHub } from '../src/lib/api/device-hub';
import { NeuraScaleService } from '../src/lib/api/neurascale-service';
import { NeuraScaleSocketHandler } from '../src/lib/api/neurascale-ws';
import { createNeuraScaleApp } from '../src/lib/api/neurascale';
import { LiveHost, LiveRoutes } from '../src/lib/api/live-host';
import { localConnector } from '../src/lib/api/live-client';

const args = process.argv.slice(2);
const minutesAt = args.indexOf('--minutes');
const seconds = minutesAt >= 0 ? Number(args[minutesAt + 1]) * 60 : args.includes('--quick') ? 30 : 600;
const CHANNELS = 64;
const RATE_HZ = 1000;
const CHUNK_MS = 10;

const hub = new DeviceHub();
const mem = new Map<string, unknown>();
const service = new NeuraScaleService({ devices: hub, db: new NeurotabDb('bench-live'), settings: { get: async (k) => mem.get(k), put: async (k, v) => void mem.set(k, v) } });
const handler = new NeuraScaleSocketHandler(service);
// The engine host's live endpoints, as the API worker has them.
const host = new LiveHost(new LiveRoutes().add('/neurascale/ws', handler).router);
const app = createNeuraScaleApp(service, '/neurascale', { live: localConnector(host) });

// The producer: the device as a page of the app would publish it.
const descriptor = { id: 'bench.eeg', name: 'Bench EEG', kind: 'eeg' as const, sampleRateHz: RATE_HZ, channels: Array.from({ length: CHANNELS }, (_, i) => ({ label: `Ch${i + 1}`, unit: 'uV', type: 'EEG' })) };
const ring = Ring.create({ channels: CHANNELS, capacityFrames: RATE_HZ * 20 });
const writer = new RingWriter(ring);
hub.setAppStream({ descriptor, buffer: ring.buffer });

/** One receiving client: decodes channel 1 (the frame index) and the write times. */
class Receiver {
  next = -1;
  frames = 0;
  errors: string[] = [];
  latencies: number[] = [];
  onBatch(m: { compressed_data: string; sample_count: number; timestamp_end: number; channels: number[]; dropped_samples: number }): void {
    const at = nowMs();
    const bin = Buffer.from(m.compressed_data, 'base64');
    const v = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);
    const n = m.sample_count;
    for (let i = 0; i < n; i++) {
      const k = v[i]; // channel 1, channel-major
      if (this.next >= 0 && k !== this.next && this.errors.length < 5) this.errors.push(`expected frame ${this.next}, got ${k}`);
      this.next = k + 1;
    }
    if (m.dropped_samples > 0 && this.errors.length < 5) this.errors.push(`${m.dropped_samples} samples dropped by the ring`);
    this.frames += n;
    this.latencies.push(at - m.timestamp_end);
  }
  report(label: string, written: number, first: number): void {
    const l = [...this.latencies].sort((a, b) => a - b);
    const q = (p: number) => l[Math.min(l.length - 1, Math.floor(p * l.length))]?.toFixed(1);
    const expected = written - first;
    console.log(`  ${label}: ${this.frames} of ${expected} frames (${this.frames === expected && this.errors.length === 0 ? 'none lost, in order' : `LOST or out of order: ${this.errors.join('; ') || `${expected - this.frames} missing`}`}); ${this.latencies.length} batches; latency ring write → client p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${l.at(-1)?.toFixed(1)} ms`);
  }
}

// (a) WebSocket: a ws server opening each client on the live host (what the bridge's relay does,
// minus its hop over the tab's socket).
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('connection', (ws, req) => {
  let sent = 0;
  let acked = 0;
  const conn = host.open(req.url ?? '/neurascale/ws', {}, 'websocket', {
    send: (d) => {
      sent += typeof d === 'string' ? d.length : d.byteLength;
      ws.send(d);
    },
    close: (code, reason) => ws.close(code, reason),
  });
  if (!conn) return ws.close(1008, 'no such endpoint');
  // What left ws's send buffer counts as taken by the client (JSON is ASCII: characters = bytes).
  const ackTimer = setInterval(() => {
    const taken = sent - ws.bufferedAmount;
    if (taken > acked) conn.acknowledged(taken - acked);
    acked = Math.max(acked, taken);
  }, 50);
  ws.on('message', (d) => conn.received(d.toString()));
  ws.on('close', (code, reason) => {
    clearInterval(ackTimer);
    conn.closed(code, reason.toString());
  });
});
await new Promise((r) => wss.once('listening', r));
const port = (wss.address() as { port: number }).port;
const wsRx = new Receiver();
const client = new WebSocket(`ws://127.0.0.1:${port}/neurascale/ws`);
await new Promise((r) => client.once('open', r));
let wsFirst = -1;
client.on('message', (d) => {
  const m = JSON.parse(d.toString());
  if (m.type === 'neural_data_batch') {
    if (wsFirst < 0) wsFirst = Buffer.from(m.compressed_data, 'base64').readFloatLE(0);
    wsRx.onBatch(m);
  }
});
client.send(JSON.stringify({ type: 'subscribe', topic: 'neural_data', device_id: 'app-live', channels: 'all' }));

// (b) SSE.
const sseRx = new Receiver();
let sseFirst = -1;
const sse = await app.request('/neurascale/ws/events?device_id=app-live');
const reader = sse.body!.getReader();
void (async () => {
  const dec = new TextDecoder();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    text += dec.decode(value, { stream: true });
    let i: number;
    while ((i = text.indexOf('\n\n')) >= 0) {
      const block = text.slice(0, i);
      text = text.slice(i + 2);
      if (!block.startsWith('data: ')) continue;
      const m = JSON.parse(block.slice(6));
      if (m.type !== 'neural_data_batch') continue;
      if (sseFirst < 0) sseFirst = Buffer.from(m.compressed_data, 'base64').readFloatLE(0);
      sseRx.onBatch(m);
    }
  }
})();

// Produce in real time for `seconds`.
console.log(`NeuraScale live data, ${CHANNELS} ch × ${RATE_HZ} Hz for ${seconds} s, chunks of ${CHUNK_MS} ms (machine load ${loadavg()[0].toFixed(1)}; figures are noisy on a shared 2-core machine)`);
await new Promise((r) => setTimeout(r, 300)); // subscriptions attached
const perChunk = (RATE_HZ * CHUNK_MS) / 1000;
const samples = new Float32Array(perChunk * CHANNELS);
const ts = new Float64Array(perChunk);
let written = 0;
const t0 = nowMs();
await new Promise<void>((done) => {
  const tick = () => {
    const due = Math.floor(((nowMs() - t0) * RATE_HZ) / 1000);
    while (written + perChunk <= due) {
      const at = nowMs();
      for (let f = 0; f < perChunk; f++) {
        samples[f * CHANNELS] = written + f;
        for (let c = 1; c < CHANNELS; c++) samples[f * CHANNELS + c] = Math.sin(written + f + c);
        ts[f] = at;
      }
      writer.push(samples, ts, perChunk);
      written += perChunk;
    }
    if (nowMs() - t0 >= seconds * 1000) done();
    else setTimeout(tick, CHUNK_MS / 2);
  };
  tick();
});
await new Promise((r) => setTimeout(r, 500)); // the last batch
console.log(`  producer: ${written} frames written`);
wsRx.report('WebSocket (ws on 127.0.0.1)', written, wsFirst);
sseRx.report('SSE (GET /neurascale/ws/events)', written, sseFirst);
client.close();
await reader.cancel();
wss.close();
handler.dispose();
hub.setAppStream(null);
await service.close();
await hub.close();
process.exit(0);
