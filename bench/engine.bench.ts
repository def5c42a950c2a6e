// Benchmark of the signal engine (Node; run: `npx tsx bench/engine.bench.ts [--quick]`). Prints
// figures and targets; asserts nothing about speed. About 60 s (--quick: about 20 s).
//
// 1. Online latency across real threads (worker_threads): a producer thread pushes 64 ch × 1 kHz in
//    10-frame chunks every 10 ms into a SharedArrayBuffer ring; an engine thread runs
//    ring → IIR band-pass → common average → band power (256-sample window, every chunk) → output ring;
//    the main thread wakes on the output ring. Latency = output frame in hand − input chunk pushed
//    (one monotonic clock for all threads: process.hrtime). Target p99 < 2 ms. Band power is the
//    running band-power node (signal in); printed beside it, the same numbers computed as three nodes
//    (sliding window → Welch → band power: an FFT of every window), and the floor: the same threads
//    and rings with a pass-through pipeline.
// 2. Capacity: the graph at 256 ch × 2 kHz (20-frame chunks), one thread, rings included:
//    CPU time per second of signal, both forms of band power. Target < 25 % of one core.
// 3. Offline: 64 ch, 1 h at 1 kHz through band-pass + notch + common average (generated on the fly
//    in 4096-frame chunks): seconds, target < 10 s, and the ratio to SciPy/NumPy doing the same chain.
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Ring, RingReader, RingWriter } from '../src/lib/streams/ring';
import { builtinRegistry, Execution, packetItems, type FrameReader } from '../src/lib/engine/index';
import { makeStream } from '../src/lib/engine/testing';
import { collectLatencies, formatLatency, latencyFigures, latencySetup, onlineGraph, outputChannels, produce, runEngine, type EngineReport, type Graph, type LatencyFigures, type Setup } from './latency/roles';

/** One monotonic clock for all threads. */
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const cpuS = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function latency(seconds: number, graph: Graph): Promise<LatencyFigures> {
  const base = latencySetup(graph, seconds);
  const eng = new Worker(new URL(import.meta.url), { execArgv: ['--import', 'tsx'], workerData: { ...base, role: 'engine' } satisfies Setup });
  await new Promise((r) => eng.once('message', r));
  const prod = new Worker(new URL(import.meta.url), { execArgv: ['--import', 'tsx'], workerData: { ...base, role: 'producer' } satisfies Setup });
  let producing = true;
  prod.once('message', () => (producing = false));
  const lat = await collectLatencies(base.outBuf, outputChannels(base.channels, graph), nowMs, () => producing);
  eng.postMessage('stop');
  const rep = (await new Promise((r) => eng.once('message', r))) as EngineReport;
  await Promise.all([eng.terminate(), prod.terminate()]);
  return latencyFigures(lat, rep);
}

function capacity(seconds: number, form: Graph): { cpuPct: number; wallPct: number } {
  const channels = 256;
  const fs = 2000;
  const chunk = 20;
  const inRing = Ring.create({ channels, capacityFrames: 8192, shared: true });
  const outRing = Ring.create({ channels: channels * 2, capacityFrames: 4096, shared: true });
  const writer = new RingWriter(inRing);
  const ex = new Execution(builtinRegistry(), { info: { errorMode: 'stop' } });
  ex.load(onlineGraph(fs, chunk, form));
  ex.bind('in', { descriptor: makeStream(channels, fs), reader: new RingReader(inRing) });
  ex.bind('out', new RingWriter(outRing));
  const outReader = new RingReader(outRing);
  const ob = new Float32Array(4096 * channels * 2);
  const ot = new Float64Array(4096);
  const block = new Float32Array(chunk * channels);
  for (let i = 0; i < block.length; i++) block[i] = Math.sin(i * 0.01) * 20 + (i % 13);
  const ts = new Float64Array(chunk);
  ex.play();
  const pushes = Math.round((seconds * fs) / chunk);
  // warm-up (JIT) on the first second, measured afterwards
  for (let k = 0; k < fs / chunk; k++) {
    writer.push(block, ts, chunk);
    ex.step();
    outReader.read(4096, ob, ot);
  }
  const c0 = cpuS();
  const w0 = nowMs();
  for (let k = 0; k < pushes; k++) {
    ts.fill(k);
    writer.push(block, ts, chunk);
    ex.step();
    outReader.read(4096, ob, ot);
  }
  const cpu = cpuS() - c0;
  const wall = (nowMs() - w0) / 1000;
  if (ex.errors().length) throw new Error(ex.errors()[0].message);
  return { cpuPct: (100 * cpu) / seconds, wallPct: (100 * wall) / seconds };
}

function offline(hours: number): { seconds: number; cpuSeconds: number; frames: number } {
  const channels = 64;
  const fs = 1000;
  const total = Math.round(hours * 3600 * fs);
  const blockFrames = 10_000;
  const block = new Float32Array(blockFrames * channels);
  for (let n = 0; n < blockFrames; n++) for (let c = 0; c < channels; c++) block[n * channels + c] = 30 * Math.sin((2 * Math.PI * (8 + c / 8) * n) / fs) + 5 * Math.sin((2 * Math.PI * 50 * n) / fs) + 10 * c;
  let pos = 0;
  const reader: FrameReader = {
    read(max, s, t) {
      const n = Math.min(max, total - pos, blockFrames - (pos % blockFrames));
      s.set(block.subarray((pos % blockFrames) * channels, ((pos % blockFrames) + n) * channels));
      for (let i = 0; i < n; i++) t[i] = pos + i;
      pos += n;
      return { frames: n, dropped: 0 };
    },
  };
  const ex = new Execution(builtinRegistry(), { info: { errorMode: 'stop' } });
  ex.load({
    format: 'neurotab.pipeline',
    version: 1,
    nodes: [
      { id: 'in', type: 'io.stream-input', params: { max_chunk_frames: 4096 } },
      { id: 'bp', type: 'filter.iir', params: { frequencies: [1, 40], order: 4 } },
      { id: 'notch', type: 'filter.notch', params: { frequency: 50 } },
      { id: 'car', type: 'channels.rereference' },
    ],
    edges: [
      { source: 'in', target: 'bp' },
      { source: 'bp', target: 'notch' },
      { source: 'notch', target: 'car' },
    ],
  });
  ex.bind('in', { descriptor: makeStream(channels, fs), reader });
  let out = 0;
  ex.tap('car', 'data', (p) => void (out += packetItems(p)));
  ex.play();
  const t0 = nowMs();
  const c0 = cpuS();
  while (pos < total) ex.step();
  const seconds = (nowMs() - t0) / 1000;
  const cpuSeconds = cpuS() - c0;
  if (out !== total) throw new Error(`offline: ${out} frames out of ${total}`);
  return { seconds, cpuSeconds, frames: total };
}

/** SciPy/NumPy doing the same chain on 64 ch × `seconds` at 1 kHz (float32 data as the engine). */
function scipyOffline(seconds: number): number | null {
  const code = `
import time, numpy as np, scipy.signal as s
fs=1000; n=${Math.round(seconds * 1000)}
t=np.arange(n)/fs
x=(30*np.sin(2*np.pi*8*t)[None,:]+5*np.sin(2*np.pi*50*t)[None,:]+10*np.arange(64)[:,None]).astype(np.float32)
sos=np.vstack([s.butter(4,[1,40],'bandpass',fs=fs,output='sos'), s.tf2sos(*s.iirnotch(50,30,fs=fs))])
t0=time.perf_counter()
y=s.sosfilt(sos,x,axis=-1)
y=y-y.mean(axis=0,keepdims=True)
print(time.perf_counter()-t0)
`;
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return null;
  const v = Number(r.stdout.trim());
  return Number.isFinite(v) ? v : null;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  console.log(
    `engine.bench: Node ${process.version}${quick ? ' (quick)' : ''}; ${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)} ` +
      '(latency percentiles and wall times suffer on a loaded machine; CPU-time figures much less)',
  );

  const floor = await latency(quick ? 4 : 10, 'floor');
  const lat = await latency(quick ? 6 : 20, 'running');
  const chain = await latency(quick ? 4 : 10, 'chain');
  console.log(
    `online latency  64 ch × 1 kHz, 10-frame chunks, ring → IIR band-pass → CAR → band power (256-sample window, every chunk) → ring across 3 threads: ` +
      `p50 ${lat.p50.toFixed(3)} ms, p99 ${lat.p99.toFixed(3)} ms, max ${lat.max.toFixed(3)} ms over ${lat.n} outputs (target p99 < 2 ms: ${lat.p99 < 2 ? 'met' : 'NOT met'})`,
  );
  console.log(`                of which engine compute per chunk (one step, ring read → ring write): p50 ${lat.stepP50.toFixed(3)} ms, p99 ${lat.stepP99.toFixed(3)} ms; the rest is thread wake-up and scheduling`);
  console.log(`                the same band powers as three nodes (sliding window → Welch → band power, an FFT of every window): ${formatLatency(chain)}`);
  console.log(
    `                floor, the same threads and rings passing the chunks through (stream input → stream output, no processing): ${formatLatency(floor)} ` +
      '(on a virtual machine whose caches go cold between chunks, this is the share of the tail no pipeline can avoid)',
  );
  console.log(`                load average after the latency runs: ${loadavg()[0].toFixed(1)} (other processes on these ${availableParallelism()} cores stretch the tail)`);

  const cap = capacity(quick ? 3 : 6, 'running');
  const capChain = capacity(quick ? 3 : 6, 'chain');
  console.log(
    `capacity        same graph at 256 ch × 2 kHz, 20-frame chunks (512-sample window): ${cap.cpuPct.toFixed(1)} % of one core (CPU time), ${cap.wallPct.toFixed(1)} % wall (target < 25 %: ${cap.cpuPct < 25 ? 'met' : 'NOT met'}); ` +
      `as three nodes: ${capChain.cpuPct.toFixed(1)} % CPU, ${capChain.wallPct.toFixed(1)} % wall`,
  );

  const hours = quick ? 0.1 : 1;
  const off = offline(hours);
  const full = off.seconds / hours;
  const pySeconds = quick ? 60 : 200;
  const py = scipyOffline(pySeconds);
  const pyFull = py === null ? null : (py * 3600) / pySeconds;
  console.log(
    `offline         64 ch × ${hours} h × 1 kHz, band-pass + notch + CAR: ${off.seconds.toFixed(2)} s` +
      (hours !== 1 ? ` (→ ${full.toFixed(2)} s per hour)` : '') +
      ` wall, ${off.cpuSeconds.toFixed(2)} s CPU (target < 10 s per hour: ${full < 10 ? 'met' : 'NOT met'}); ${(off.frames / off.seconds / 1e6).toFixed(2)} M frames/s`,
  );
  if (pyFull !== null)
    console.log(`                SciPy sosfilt + NumPy CAR, same chain (${pySeconds} s measured, scaled to 1 h): ${pyFull.toFixed(2)} s → engine/SciPy speed ratio ×${(pyFull / full).toFixed(2)}`);
  else console.log('                SciPy not available: no ratio');
}

if (isMainThread) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
} else {
  const d = workerData as Setup;
  if (d.role === 'producer') {
    produce(d, nowMs);
    parentPort!.postMessage('done');
  } else {
    const ac = new AbortController();
    parentPort!.on('message', () => ac.abort());
    void runEngine(d, nowMs, ac.signal, () => parentPort!.postMessage('ready')).then((r) => parentPort!.postMessage(r));
  }
}
