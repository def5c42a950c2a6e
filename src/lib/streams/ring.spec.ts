import { Worker } from 'node:worker_threads';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../core/errors';
import { Ring, RingReader, RingWriter, TransferRingReader, TransferRingWriter, type RingPort } from './ring';
import { patternValue, readAndVerify, writeKnownSequence, type ReaderReport, type RingWorkerTask } from './testing/ring-threads.fixture';

function frames(ch: number, first: number, n: number): { s: Float32Array; t: Float64Array } {
  const s = new Float32Array(n * ch);
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = first + i;
    for (let c = 0; c < ch; c++) s[i * ch + c] = patternValue(first + i, c);
  }
  return { s, t };
}

function expectFrames(ch: number, s: Float32Array, t: Float64Array, first: number, n: number): void {
  const want = frames(ch, first, n);
  expect(Array.from(t.subarray(0, n))).toEqual(Array.from(want.t));
  expect(Array.from(s.subarray(0, n * ch))).toEqual(Array.from(want.s));
}

describe('Ring (one thread)', () => {
  it('allocates a SharedArrayBuffer with the documented layout and attaches to it', () => {
    const ring = Ring.create({ channels: 3, capacityFrames: 5 });
    expect(ring.isShared).toBe(true);
    // 64-byte header, 5·3 float32 = 60 bytes → timestamps at 128 (8-aligned), 5 float64.
    expect(ring.buffer.byteLength).toBe(128 + 40);
    const again = Ring.attach(ring.buffer);
    expect([again.channels, again.capacityFrames]).toEqual([3, 5]);
  });

  it('pushes and drains in order across the wrap, never returning more than asked', () => {
    const ring = Ring.create({ channels: 4, capacityFrames: 8 });
    const w = new RingWriter(ring);
    const r = new RingReader(ring);
    const out = new Float32Array(8 * 4);
    const ts = new Float64Array(8);
    let next = 0;
    for (let round = 0; round < 10; round++) {
      const n = 1 + (round % 6);
      const { s, t } = frames(4, next + 0, n);
      expect(w.push(s, t, n)).toBe(n);
      expect(r.available()).toBe(n);
      const got = { ...r.read(3, out, ts) }; // read() reuses its result object: copy it
      expect(got.dropped).toBe(0);
      expect(got.frames).toBe(Math.min(3, n));
      expectFrames(4, out, ts, next, got.frames);
      const rest = r.read(8, out, ts);
      expect(rest.frames).toBe(n - got.frames);
      expectFrames(4, out, ts, next + got.frames, rest.frames);
      next += n;
    }
    expect(r.read(8, out, ts).frames).toBe(0);
    expect(r.droppedFrames).toBe(0);
  });

  it('copies wide frames in bulk across the wrap (TypedArray.set path) exactly like narrow ones', () => {
    const ring = Ring.create({ channels: 64, capacityFrames: 10 });
    const w = new RingWriter(ring);
    const r = new RingReader(ring);
    const out = new Float32Array(10 * 64);
    const ts = new Float64Array(10);
    let next = 0;
    for (let round = 0; round < 6; round++) {
      const { s, t } = frames(64, next, 7); // 448 values: bulk copy, wrapping every other round
      w.push(s, t, 7);
      expect({ ...r.read(10, out, ts) }).toEqual({ frames: 7, dropped: 0 });
      expectFrames(64, out, ts, next, 7);
      const k = Math.min(9, next + 7); // the first round has only 7 frames
      expect(r.peekLatest(9, out, ts)).toBe(k);
      expectFrames(64, out, ts, next + 7 - k, k);
      next += 7;
    }
  });

  it('counts an overrun exactly and resumes at the oldest frame still in the ring', () => {
    const ring = Ring.create({ channels: 2, capacityFrames: 10 });
    const w = new RingWriter(ring);
    const r = new RingReader(ring);
    const { s, t } = frames(2, 0, 37);
    w.push(s, t, 37);
    expect(r.available()).toBe(10);
    const out = new Float32Array(20);
    const ts = new Float64Array(10);
    expect({ ...r.read(4, out, ts) }).toEqual({ frames: 4, dropped: 27 });
    expectFrames(2, out, ts, 27, 4);
    const more = r.read(100, out, ts);
    expect(more).toEqual({ frames: 6, dropped: 0 });
    expectFrames(2, out, ts, 31, 6);
    expect(r.droppedFrames).toBe(27);
  });

  it("starts 'now' after existing frames, or at the 'oldest' still kept", () => {
    const ring = Ring.create({ channels: 1, capacityFrames: 4 });
    const w = new RingWriter(ring);
    const { s, t } = frames(1, 0, 6);
    w.push(s, t, 6);
    const now = new RingReader(ring, { from: 'now' });
    const oldest = new RingReader(ring, { from: 'oldest' });
    expect(now.available()).toBe(0);
    expect(oldest.position).toBe(2);
    const out = new Float32Array(4);
    const ts = new Float64Array(4);
    expect(oldest.read(4, out, ts).frames).toBe(4);
    expectFrames(1, out, ts, 2, 4);
  });

  it('peekLatest copies the newest frames without moving the cursor', () => {
    const ring = Ring.create({ channels: 3, capacityFrames: 6 });
    const w = new RingWriter(ring);
    const r = new RingReader(ring);
    const out = new Float32Array(30);
    const ts = new Float64Array(10);
    expect(r.peekLatest(4, out, ts)).toBe(0);
    const { s, t } = frames(3, 0, 9);
    w.push(s, t, 9);
    expect(r.peekLatest(4, out, ts)).toBe(4);
    expectFrames(3, out, ts, 5, 4);
    expect(r.peekLatest(10, out, ts)).toBe(6); // never more than the capacity
    expectFrames(3, out, ts, 3, 6);
    expect(r.available()).toBe(6);
    expect(r.position).toBe(0);
  });

  it('keeps exact sequence numbers across 2^32 frames (64-bit sequence in two halves)', () => {
    const ring = Ring.create({ channels: 2, capacityFrames: 16 });
    // A ring whose writer has already pushed 2^32 − 5 frames (header words per the documented layout).
    const h = new Int32Array(ring.buffer, 0, 16);
    const start = 2 ** 32 - 5;
    Atomics.store(h, 5, start | 0);
    Atomics.store(h, 6, 0);
    Atomics.store(h, 7, start | 0);
    const r = new RingReader(ring);
    expect(r.position).toBe(start);
    const w = new RingWriter(ring);
    const { s, t } = frames(2, start, 12);
    w.push(s, t, 12);
    expect(ring.writeSequence()).toBe(start + 12);
    expect(Atomics.load(h, 6)).toBe(1);
    const out = new Float32Array(40);
    const ts = new Float64Array(20);
    expect(r.read(20, out, ts)).toEqual({ frames: 12, dropped: 0 });
    expectFrames(2, out, ts, start, 12);
    // Lap it across the carry: the drop count stays exact.
    const big = frames(2, start + 12, 40);
    w.push(big.s, big.t, 40);
    expect(r.read(20, out, ts)).toEqual({ frames: 16, dropped: 24 });
    expectFrames(2, out, ts, start + 36, 16);
  });

  it('rejects bad shapes and foreign or truncated buffers with InputError', () => {
    expect(() => Ring.create({ channels: 0, capacityFrames: 8 })).toThrow(InputError);
    expect(() => Ring.create({ channels: 2, capacityFrames: 1.5 })).toThrow(/capacityFrames/);
    expect(() => Ring.create({ channels: 64, capacityFrames: 2 ** 26 })).toThrow(/limit/);
    expect(() => Ring.attach(new SharedArrayBuffer(16))).toThrow(/smaller than the ring header/);
    expect(() => Ring.attach(new SharedArrayBuffer(256))).toThrow(/bad magic/);
    const ring = Ring.create({ channels: 8, capacityFrames: 100 });
    // A header that lies about its size: the buffer is checked, nothing is allocated from it.
    const lying = new SharedArrayBuffer(ring.buffer.byteLength);
    new Uint8Array(lying).set(new Uint8Array(ring.buffer));
    new Int32Array(lying)[3] = 1_000_000;
    expect(() => Ring.attach(lying)).toThrow(/header says 1000000 frames/);
  });

  it('rejects a push whose arrays are shorter than the frame count', () => {
    const w = new RingWriter(Ring.create({ channels: 4, capacityFrames: 8 }));
    expect(() => w.push(new Float32Array(7), new Float64Array(2), 2)).toThrow(RangeError);
  });

  it('waitForData: ok on push, timed-out without, closed once drained', async () => {
    const ring = Ring.create({ channels: 1, capacityFrames: 8 });
    const w = new RingWriter(ring);
    const r = new RingReader(ring);
    expect(await r.waitForData(5)).toBe('timed-out');
    const pending = r.waitForData(10_000);
    setTimeout(() => w.push(new Float32Array([1]), new Float64Array([1]), 1), 1);
    expect(await pending).toBe('ok');
    r.read(8, new Float32Array(8), new Float64Array(8));
    const forever = r.waitForData(Number.POSITIVE_INFINITY);
    setTimeout(() => w.push(new Float32Array([1]), new Float64Array([1]), 1), 5);
    expect(await forever).toBe('ok');
    w.close();
    expect(w.push(new Float32Array([1]), new Float64Array([1]), 1)).toBe(0);
    expect(await r.waitForData(10_000)).toBe('ok'); // one frame still to drain
    r.read(8, new Float32Array(8), new Float64Array(8));
    expect(await r.waitForData(10_000)).toBe('closed');
  });

  it('waitForData polls where Atomics.waitAsync is missing, with the same results', async () => {
    const atomics = Atomics as { waitAsync?: unknown };
    const saved = atomics.waitAsync;
    atomics.waitAsync = undefined;
    try {
      const ring = Ring.create({ channels: 1, capacityFrames: 8 });
      const w = new RingWriter(ring);
      const r = new RingReader(ring);
      expect(await r.waitForData(10)).toBe('timed-out');
      const pending = r.waitForData(10_000);
      setTimeout(() => w.push(new Float32Array([1]), new Float64Array([1]), 1), 5);
      expect(await pending).toBe('ok');
      r.read(8, new Float32Array(8), new Float64Array(8));
      setTimeout(() => w.close(), 5);
      expect(await r.waitForData(10_000)).toBe('closed');
    } finally {
      atomics.waitAsync = saved;
    }
  });

  it('works as a same-thread ArrayBuffer ring (wake-ups through local listeners)', async () => {
    const ring = Ring.create({ channels: 2, capacityFrames: 4, shared: false });
    expect(ring.isShared).toBe(false);
    const w = new RingWriter(ring);
    const r = new RingReader(ring);
    const pending = r.waitForData(10_000);
    setTimeout(() => w.push(new Float32Array(2), new Float64Array(1), 1), 1);
    expect(await pending).toBe('ok');
    expect(r.available()).toBe(1);
  });
});

// ── real threads ──

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

interface Spawned {
  /** Resolves once the worker has attached (readers: their cursor is set). */
  ready: Promise<void>;
  result: Promise<any>;
}

function spawn(task: RingWorkerTask, transfer: Transferable[] = []): Spawned {
  const w = new Worker(new URL('./testing/ring-threads.worker.ts', import.meta.url), {
    execArgv: ['--import', 'tsx'],
    workerData: task,
    transferList: transfer as any,
  });
  workers.push(w);
  let onReady!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const result = new Promise((resolve, reject) => {
    w.on('message', (m: { ready?: boolean; ok?: boolean; result?: unknown; error?: string }) => {
      if (m.ready) onReady();
      else if (m.ok) resolve(m.result);
      else reject(new Error(m.error));
    });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`worker exited (${code}) before reporting`)));
  });
  return { ready, result };
}

function expectExact(report: ReaderReport, written: number): void {
  expect(report.firstProblem).toBe('');
  expect(report.badFrames).toBe(0);
  expect(report.seen + report.dropped).toBe(written);
  expect(report.readerDropped).toBe(report.dropped);
  expect(report.endPosition).toBe(written);
}

describe('Ring across worker_threads', () => {
  it('a writer thread at full speed, readers in the main thread and another thread that keep up: nothing lost, duplicated or torn', async () => {
    const ring = Ring.create({ channels: 16, capacityFrames: 1024 });
    const acks = new Int32Array(new SharedArrayBuffer(8));
    const total = 300_000; // ≈ 290 laps of the ring
    const job = { totalFrames: total, maxChunkFrames: 100, acks, lagFrames: 900 };
    const reader = spawn({ role: 'reader', buffer: ring.buffer as SharedArrayBuffer, job: { batchFrames: 64, acks, ackSlot: 1, from: 'oldest' } });
    const mainReader = new RingReader(ring, { from: 'oldest' });
    const writer = spawn({ role: 'writer', buffer: ring.buffer as SharedArrayBuffer, job });
    const main = await readAndVerify(mainReader, { batchFrames: 50, acks, ackSlot: 0 });
    const [{ written }, other] = await Promise.all([writer.result, reader.result]);
    expect(written).toBe(total);
    for (const report of [main, other as ReaderReport]) {
      expectExact(report, total);
      expect(report.dropped).toBe(0);
    }
  });

  it('a deliberately slow reader and a reader racing a small ring: overruns counted exactly, still no torn frame', async () => {
    const ring = Ring.create({ channels: 64, capacityFrames: 64 });
    const total = 200_000;
    const slow = spawn({ role: 'reader', buffer: ring.buffer as SharedArrayBuffer, job: { batchFrames: 16, pauseMs: 1, from: 'oldest' } });
    // The racing reader asks for the whole ring each time, so the writer laps it mid-copy often.
    const racing = spawn({ role: 'reader', buffer: ring.buffer as SharedArrayBuffer, job: { batchFrames: 64, from: 'oldest' } });
    await Promise.all([slow.ready, racing.ready]);
    const { written } = await spawn({ role: 'writer', buffer: ring.buffer as SharedArrayBuffer, job: { totalFrames: total, maxChunkFrames: 48 } }).result;
    const [s, r] = (await Promise.all([slow.result, racing.result])) as ReaderReport[];
    expect(written).toBe(total);
    expectExact(s, total);
    expectExact(r, total);
    expect(s.dropped).toBeGreaterThan(0);
  });
});

describe('Transfer fallback (no SharedArrayBuffer)', () => {
  it('same thread: TransferRingWriter → MessagePort → TransferRingReader, exact frames', async () => {
    const { port1, port2 } = new MessageChannel();
    const reader = new TransferRingReader(port2 as unknown as RingPort, { channels: 3, capacityFrames: 4096, from: 'now' });
    expect(reader.ring.isShared).toBe(false);
    const written = writeKnownSequence(new TransferRingWriter(port1 as unknown as RingPort, { channels: 3 }), 3, {
      totalFrames: 2000,
      maxChunkFrames: 33,
    });
    const report = await readAndVerify(reader, { batchFrames: 40 });
    expectExact(report, written);
    expect(report.dropped).toBe(0);
    reader.dispose();
    port1.close();
  });

  it('across a worker thread, and a small local ring counts its overruns exactly', async () => {
    const { port1, port2 } = new MessageChannel();
    const reader = new TransferRingReader(port2 as unknown as RingPort, { channels: 8, capacityFrames: 256 });
    const done = spawn({ role: 'transfer-writer', port: port1 as unknown as RingPort, channels: 8, job: { totalFrames: 20_000, maxChunkFrames: 64 } }, [
      port1 as unknown as Transferable,
    ]);
    // Read only after the writer has finished: the batches queued on the port then overwrite each
    // other in the 256-frame local ring as they are delivered.
    const { written } = await done.result;
    await new Promise((r) => setTimeout(r, 100)); // no reader waiting: deliveries just fill the ring
    const report = await readAndVerify(reader, { batchFrames: 8 });
    expectExact(report, written);
    expect(report.dropped).toBeGreaterThan(0);
    expect(reader.rejectedMessages).toBe(0);
    reader.dispose();
    port2.close();
  });

  it('ignores malformed messages and counts them', async () => {
    const { port1, port2 } = new MessageChannel();
    const reader = new TransferRingReader(port2 as unknown as RingPort, { channels: 2, capacityFrames: 16 });
    port1.postMessage({ type: 'ring-frames', channels: 3, frames: 1, samples: new Float32Array(3), timestampsMs: new Float64Array(1) });
    port1.postMessage({ type: 'ring-frames', channels: 2, frames: 5, samples: new Float32Array(2), timestampsMs: new Float64Array(5) });
    port1.postMessage('garbage');
    port1.postMessage({ type: 'ring-closed' });
    expect(await reader.waitForData(10_000)).toBe('closed');
    expect(reader.rejectedMessages).toBe(3);
    reader.dispose();
    port1.close();
  });
});

describe('RingReader.waitForDataSync', () => {
  it('returns ok when frames wait, timed-out when none arrive, closed after close, unsupported on a local ring', () => {
    const ring = Ring.create({ channels: 2, capacityFrames: 16, shared: true });
    const w = new RingWriter(ring);
    const r = new RingReader(ring);
    expect(r.waitForDataSync(1)).toBe('timed-out');
    w.push(new Float32Array(4), new Float64Array(2), 2);
    expect(r.waitForDataSync(1000)).toBe('ok');
    r.read(16, new Float32Array(32), new Float64Array(16));
    w.close();
    expect(r.waitForDataSync(1000)).toBe('closed');
    const local = Ring.create({ channels: 2, capacityFrames: 16, shared: false });
    expect(new RingReader(local).waitForDataSync(1000)).toBe('unsupported');
  });
});
