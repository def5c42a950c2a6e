// Benchmark: streams/ring.ts between two worker_threads versus postMessage with the buffers
// transferred, in the same run. Node only (run: `npx tsx bench/ring.bench.ts [--quick]`); prints
// figures and ratios, asserts nothing about speed. Finishes in about 30 s (--quick: about 10 s).
//
// Frames are 64-channel float32 frames with one float64 timestamp. Each push carries F frames:
// F = 1 (one time point) or F = 32 (a 32-sample block). The producer stamps every frame with its
// send time (process.hrtime, one monotonic clock for all threads — performance.now() differs
// between Node worker threads) and the consumer takes the latency when it has the frame in hand.
// Modes (as ../shared/bench/ring.mjs; 1 warm-up round + N counted rounds, medians reported):
//   throughput  the producer pushes as fast as it can for 0.5 s. ring: the consumer spins on read();
//               the producer waits when it gets within one push of lapping the consumer (so no
//               frame is dropped and both methods deliver everything). postMessage: the producer
//               stalls when more than 4096 frames are in flight. Latency here is mostly queueing.
//   paced       1000 pushes/s for 1 s. ring: the consumer sleeps in RingReader.waitForData
//               (Atomics.waitAsync, the app's real path); postMessage: the consumer's 'message'
//               event. p50/p99 = write → consumer wake-up with the data copied out.
// The ring reader also copies every frame out (read() into its own buffers), as a real consumer.
// A third row is the ring's own fallback for pages without isolation (TransferRingWriter →
// MessagePort → TransferRingReader → read()): postMessage plus the copies the ring API implies.
import { Worker, isMainThread, parentPort, workerData, MessageChannel, type MessagePort } from 'node:worker_threads';
import { availableParallelism, loadavg } from 'node:os';
import { Ring, RingReader, RingWriter, TransferRingReader, TransferRingWriter, type RingPort } from '../src/lib/streams/ring';

const CHANNELS = 64;
const CAPACITY = 8192;
const AHEAD = 4096;
const nowUs = (): number => Number(process.hrtime.bigint()) / 1e3;

type Method = 'ring' | 'postMessage' | 'transfer';
type Mode = 'throughput' | 'paced';
interface Setup {
  role: 'producer' | 'consumer';
  method: Method;
  framesPerPush: number;
  ringBuffer: SharedArrayBuffer;
  sigBuffer: SharedArrayBuffer;
  port: MessagePort;
}
interface RoundRequest {
  round: number;
  mode: Mode;
  durS: number;
  pushesPerS: number;
}
interface ConsumerReport {
  round: number;
  received: number;
  firstUs: number;
  lastUs: number;
  p50: number;
  p99: number;
}

// sig words: [0] frames consumed (postMessage back-pressure / ring ack), [1] sleep dummy
function producer(d: Setup): void {
  const sig = new Int32Array(d.sigBuffer);
  const F = d.framesPerPush;
  const writer = d.method === 'ring' ? new RingWriter(Ring.attach(d.ringBuffer)) : null;
  const transferWriter = d.method === 'transfer' ? new TransferRingWriter(d.port as unknown as RingPort, { channels: CHANNELS }) : null;
  const block = new Float32Array(F * CHANNELS);
  for (let i = 0; i < block.length; i++) block[i] = Math.sin(i);
  const ts = new Float64Array(F);
  let sent = 0; // frames, across rounds (the ring's sequence keeps counting)
  const sleepUntil = (t: number): void => {
    for (;;) {
      const rem = t - nowUs();
      if (rem <= 0) return;
      if (rem > 300) Atomics.wait(sig, 1, 0, (rem - 200) / 1e3);
    }
  };
  const push = (stamp: number): void => {
    if (writer) {
      while (sent + F - Atomics.load(sig, 0) > CAPACITY) {
        /* consumer about to be lapped: wait (bench only; the app's writer never waits) */
      }
      ts.fill(stamp);
      writer.push(block, ts, F);
    } else if (transferWriter) {
      while (sent - Atomics.load(sig, 0) > AHEAD) {
        /* too many in flight */
      }
      ts.fill(stamp);
      transferWriter.push(block, ts, F); // copies into fresh buffers and transfers them
    } else {
      while (sent - Atomics.load(sig, 0) > AHEAD) {
        /* too many in flight */
      }
      const b = block.slice();
      const t = new Float64Array(F).fill(stamp);
      d.port.postMessage({ samples: b, timestampsMs: t, frames: F }, [b.buffer, t.buffer]);
    }
    sent += F;
  };
  parentPort!.on('message', (req: RoundRequest) => {
    const t0 = nowUs();
    const tEnd = t0 + req.durS * 1e6;
    const period = req.mode === 'paced' ? 1e6 / req.pushesPerS : 0;
    let next = t0;
    let pushes = 0;
    for (;;) {
      if (req.mode === 'paced') {
        next += period;
        if (next > tEnd) break;
        sleepUntil(next);
      } else if ((pushes & 63) === 0 && nowUs() > tEnd) break;
      push(nowUs());
      pushes++;
    }
    push(-1); // end of round
    parentPort!.postMessage({ round: req.round, sentFrames: pushes * F });
  });
  parentPort!.postMessage({ ready: true });
}

function percentile(a: Float64Array, n: number, p: number): number {
  const s = a.slice(0, n).sort();
  return s[Math.min(n - 1, Math.floor(p * (n - 1) + 0.5))];
}

function consumer(d: Setup): void {
  const sig = new Int32Array(d.sigBuffer);
  const F = d.framesPerPush;
  const MAXLAT = 1 << 22;
  const lat = new Float64Array(MAXLAT);
  let n = 0;
  let first = 0;
  let last = 0;
  let consumed = 0;
  let round = -1;
  const finish = (): void => {
    const m = Math.min(n, MAXLAT);
    const report: ConsumerReport = { round, received: n, firstUs: first, lastUs: last, p50: percentile(lat, m, 0.5), p99: percentile(lat, m, 0.99) };
    parentPort!.postMessage(report);
  };
  /** Accounts frames [0, frames) of a batch; true at the end-of-round marker. */
  const onFrames = (ts: Float64Array, frames: number): boolean => {
    const t = nowUs();
    for (let i = 0; i < frames; i++) {
      if (ts[i] < 0) return true;
      if (n < MAXLAT) lat[n] = t - ts[i];
      if (n === 0) first = ts[i];
      n++;
    }
    last = t;
    return false;
  };
  if (d.method === 'ring' || d.method === 'transfer') {
    const reader =
      d.method === 'ring'
        ? new RingReader(Ring.attach(d.ringBuffer), { from: 'now' })
        : new TransferRingReader(d.port as unknown as RingPort, { channels: CHANNELS, capacityFrames: CAPACITY });
    // The transfer reader only receives while the event loop runs: it must always await.
    const spin = d.method === 'ring';
    const out = new Float32Array(CAPACITY * CHANNELS);
    const outTs = new Float64Array(CAPACITY);
    parentPort!.on('message', async (req: RoundRequest) => {
      round = req.round;
      n = 0;
      for (;;) {
        const r = reader.read(CAPACITY, out, outTs);
        if (r.dropped) throw new Error(`${d.method} dropped ${r.dropped} frames despite back-pressure`);
        consumed += r.frames;
        Atomics.store(sig, 0, consumed);
        if (r.frames > 0 && onFrames(outTs, r.frames)) break;
        if (r.frames === 0 && (req.mode === 'paced' || !spin)) await reader.waitForData(1000);
      }
      finish();
    });
  } else {
    parentPort!.on('message', (req: RoundRequest) => {
      round = req.round;
      n = 0;
    });
    d.port.on('message', (m: { timestampsMs: Float64Array; frames: number; samples: Float32Array }) => {
      consumed += m.frames;
      Atomics.store(sig, 0, consumed);
      if (onFrames(m.timestampsMs, F)) finish();
    });
  }
  parentPort!.postMessage({ ready: true });
}

// ── main ──
const median = (a: number[]): number => {
  const b = [...a].sort((p, q) => p - q);
  const m = b.length >> 1;
  return b.length % 2 ? b[m] : (b[m - 1] + b[m]) / 2;
};
const cpuS = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

interface Result {
  method: Method;
  mode: Mode;
  F: number;
  framesPerS: number;
  p50Us: number;
  p99Us: number;
  cpuPerS: number;
}

async function runConfig(method: Method, F: number, mode: Mode, rounds: number): Promise<Result> {
  const ring = Ring.create({ channels: CHANNELS, capacityFrames: CAPACITY, shared: true });
  const sigBuffer = new SharedArrayBuffer(8);
  const { port1, port2 } = new MessageChannel();
  const spawn = (role: Setup['role'], port: MessagePort): Worker =>
    new Worker(new URL(import.meta.url), {
      execArgv: ['--import', 'tsx'],
      workerData: { role, method, framesPerPush: F, ringBuffer: ring.buffer, sigBuffer, port },
      transferList: [port],
    });
  const cons = spawn('consumer', port2);
  const prod = spawn('producer', port1);
  const failed = new Promise<never>((_, reject) => {
    for (const w of [cons, prod]) w.once('error', reject);
  });
  const next = <T>(w: Worker): Promise<T> => Promise.race([new Promise<T>((res) => w.once('message', res)), failed]);
  await Promise.all([next(cons), next(prod)]); // both attached: the reader's cursor is set
  const durS = mode === 'throughput' ? 0.5 : 1.0;
  const out: Array<Omit<Result, 'method' | 'mode' | 'F'>> = [];
  for (let r = 0; r <= rounds; r++) {
    const c0 = cpuS();
    const w0 = nowUs();
    const pc = next<ConsumerReport>(cons);
    const pp = next<{ sentFrames: number }>(prod);
    const req: RoundRequest = { round: r, mode, durS: r === 0 ? Math.min(durS, 0.3) : durS, pushesPerS: 1000 };
    cons.postMessage(req);
    await new Promise((res) => setTimeout(res, 20));
    prod.postMessage(req);
    const [c, p] = await Promise.all([pc, pp]);
    const wallS = (nowUs() - w0) / 1e6 - 0.02;
    if (c.received !== p.sentFrames) throw new Error(`${method}: sent ${p.sentFrames} frames, received ${c.received}`);
    if (r > 0) {
      out.push({ framesPerS: c.received / ((c.lastUs - c.firstUs) / 1e6), p50Us: c.p50, p99Us: c.p99, cpuPerS: (cpuS() - c0) / wallS });
    }
  }
  await Promise.all([cons.terminate(), prod.terminate()]);
  return {
    method,
    mode,
    F,
    framesPerS: median(out.map((o) => o.framesPerS)),
    p50Us: median(out.map((o) => o.p50Us)),
    p99Us: median(out.map((o) => o.p99Us)),
    cpuPerS: median(out.map((o) => o.cpuPerS)),
  };
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const rounds = quick ? 1 : 3;
  console.log(`ring.bench: ${CHANNELS}-channel float32 frames, worker thread → worker thread, Node ${process.version}, ${rounds} rounds (median)`);
  // Figures are only comparable on an idle machine: "cpu" below is the process's CPU seconds per second.
  console.log(`machine: ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const results: Result[] = [];
  for (const mode of ['throughput', 'paced'] as const) {
    for (const F of [1, 32]) {
      for (const method of ['ring', 'postMessage', 'transfer'] as const) {
        const r = await runConfig(method, F, mode, rounds);
        results.push(r);
        const name = { ring: 'streams/ring (SAB)', postMessage: 'postMessage+transfer', transfer: 'TransferRing fallback' }[method];
        console.log(
          `${mode.padEnd(10)} ${name.padEnd(21)} ${String(F).padStart(2)} frame(s)/push  ` +
            `${(r.framesPerS / 1e3).toFixed(1).padStart(8)} k frames/s ${((r.framesPerS * CHANNELS * 4) / 1e6).toFixed(0).padStart(5)} MB/s  ` +
            `p50 ${r.p50Us.toFixed(1).padStart(8)} µs  p99 ${r.p99Us.toFixed(1).padStart(8)} µs  cpu ${r.cpuPerS.toFixed(2)} s/s`,
        );
      }
    }
  }
  console.log('ratios (ring / postMessage):');
  const get = (m: Method, mode: Mode, F: number): Result => results.find((r) => r.method === m && r.mode === mode && r.F === F)!;
  for (const F of [1, 32]) {
    const tr = get('ring', 'throughput', F).framesPerS / get('postMessage', 'throughput', F).framesPerS;
    const pr = get('ring', 'paced', F);
    const pp = get('postMessage', 'paced', F);
    console.log(
      `  ${String(F).padStart(2)} frame(s)/push: throughput ×${tr.toFixed(2)}; paced latency p50 ${pr.p50Us.toFixed(1)} vs ${pp.p50Us.toFixed(1)} µs ` +
        `(×${(pr.p50Us / pp.p50Us).toFixed(2)}), p99 ${pr.p99Us.toFixed(1)} vs ${pp.p99Us.toFixed(1)} µs (×${(pr.p99Us / pp.p99Us).toFixed(2)})`,
    );
  }
  const fb = [1, 32].map((F) => (get('transfer', 'throughput', F).framesPerS / get('postMessage', 'throughput', F).framesPerS).toFixed(2));
  console.log(`fallback (TransferRing / postMessage) throughput: ×${fb[0]} at 1 frame/push, ×${fb[1]} at 32`);
}

if (isMainThread) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
} else {
  const d = workerData as Setup;
  if (d.role === 'producer') producer(d);
  else consumer(d);
}
