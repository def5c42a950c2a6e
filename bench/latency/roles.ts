// The online-latency measurement's threads, shared by the Node bench (worker_threads) and the
// Chromium bench (Web Workers): the pipelines, the producer (pushes 10-frame chunks on time into a
// shared ring) and the engine (runs the pipeline from that ring into an output ring, timing each
// step). The caller supplies the clock, which must be one timeline for every thread. Bench-only.
import { Ring, RingReader, RingWriter } from '../../src/lib/streams/ring';
import { builtinRegistry, Execution, type PipelineDocumentInput } from '../../src/lib/engine/index';
import { makeStream } from '../../src/lib/engine/testing';

export type Graph = 'floor' | 'running' | 'chain';

export interface Setup {
  role: 'producer' | 'engine';
  inBuf: SharedArrayBuffer;
  outBuf: SharedArrayBuffer;
  sig: SharedArrayBuffer;
  channels: number;
  fs: number;
  chunk: number;
  seconds: number;
  graph: Graph;
}

export interface EngineReport {
  errors: string[];
  stepP50: number;
  stepP99: number;
}

/** Percentiles of one latency run and of its engine steps (ms). */
export interface LatencyFigures {
  p50: number;
  p99: number;
  max: number;
  n: number;
  stepP50: number;
  stepP99: number;
}

export const quantile = (a: number[], q: number): number => {
  const b = [...a].sort((x, y) => x - y);
  return b[Math.min(b.length - 1, Math.floor(q * b.length))];
};

/**
 * ring → band-pass → CAR → band power → ring. 'running': the band-power node on the signal;
 * 'chain': sliding window → Welch → band power (the same numbers, an FFT per window); 'floor':
 * stream input → stream output, no processing.
 */
export function onlineGraph(fs: number, chunk: number, form: Graph): PipelineDocumentInput {
  const head = [{ id: 'in', type: 'io.stream-input', params: { max_chunk_frames: 4096 } }];
  const tail = [{ id: 'out', type: 'io.stream-output' }];
  const win = 2 ** Math.round(Math.log2(0.25 * fs)); // 256 samples at 1 kHz, 512 at 2 kHz (power-of-two FFT)
  const bands = { alpha: [8, 13], beta: [13, 30] };
  const middle =
    form === 'floor'
      ? []
      : [
          { id: 'bp', type: 'filter.iir', params: { frequencies: [1, 40], order: 4 } },
          { id: 'car', type: 'channels.rereference' },
          ...(form === 'running'
            ? [{ id: 'bands', type: 'spectral.band-power', params: { bands, window_length: win, step: chunk, unit: 'samples' } }]
            : [
                { id: 'win', type: 'time.sliding-window', params: { window_length: win, step: chunk, unit: 'samples' } },
                { id: 'psd', type: 'spectral.welch', params: { segment_samples: win } },
                { id: 'bands', type: 'spectral.band-power', params: { bands } },
              ]),
        ];
  const nodes = [...head, ...middle, ...tail];
  return {
    format: 'neurotab.pipeline',
    version: 1,
    meta: { name: `latency (${form})`, description: '' },
    nodes,
    edges: nodes.slice(1).map((n, i) => ({ source: nodes[i].id, target: n.id })),
  };
}

/** Output ring width: band power gives 2 values per channel; the floor passes the input through. */
export const outputChannels = (channels: number, graph: Graph): number => (graph === 'floor' ? channels : channels * 2);

/** The measured case (64 ch × 1 kHz in 10-frame chunks) with its two shared rings: everything but the thread's role. */
export function latencySetup(graph: Graph, seconds: number): Omit<Setup, 'role'> {
  const channels = 64;
  const inRing = Ring.create({ channels, capacityFrames: 8192, shared: true });
  const outRing = Ring.create({ channels: outputChannels(channels, graph), capacityFrames: 16384, shared: true });
  return { inBuf: inRing.buffer as SharedArrayBuffer, outBuf: outRing.buffer as SharedArrayBuffer, sig: new SharedArrayBuffer(8), channels, fs: 1000, chunk: 10, seconds, graph };
}

/** The run's figures from the consumer's latencies and the engine's report (its errors fail the run). */
export function latencyFigures(lat: number[], rep: EngineReport): LatencyFigures {
  if (rep.errors.length) throw new Error(`engine errors: ${rep.errors.join('; ')}`);
  return { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), max: Math.max(...lat), n: lat.length, stepP50: rep.stepP50, stepP99: rep.stepP99 };
}

export const formatLatency = (r: LatencyFigures): string =>
  `p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms, max ${r.max.toFixed(3)} ms over ${r.n} outputs; engine step p50 ${r.stepP50.toFixed(3)} ms, p99 ${r.stepP99.toFixed(3)} ms`;

/** Pushes `seconds` of 64-ch-like signal in `chunk`-frame blocks on a fixed schedule, stamped with the push time. Blocks the thread. */
export function produce(d: Setup, nowMs: () => number): void {
  const writer = new RingWriter(Ring.attach(d.inBuf));
  const sig = new Int32Array(d.sig);
  const block = new Float32Array(d.chunk * d.channels);
  const ts = new Float64Array(d.chunk);
  const periodMs = (1000 * d.chunk) / d.fs;
  const pushes = Math.round((d.seconds * d.fs) / d.chunk);
  let t = nowMs();
  let n = 0;
  for (let k = 0; k < pushes; k++) {
    t += periodMs;
    for (;;) {
      const rem = t - nowMs();
      if (rem <= 0) break;
      if (rem > 0.3) Atomics.wait(sig, 1, 0, rem - 0.2);
    }
    for (let f = 0; f < d.chunk; f++, n++) for (let c = 0; c < d.channels; c++) block[f * d.channels + c] = 20 * Math.sin((2 * Math.PI * 10 * n) / d.fs + c) + ((n * 7919 + c * 104729) % 97) / 10;
    ts.fill(nowMs());
    writer.push(block, ts, d.chunk);
  }
}

/** Runs the pipeline on the rings until `signal` aborts, timing every step that had data (engine compute only). */
export async function runEngine(d: Setup, nowMs: () => number, signal: AbortSignal, onReady: () => void): Promise<EngineReport> {
  const ex = new Execution(builtinRegistry(), { info: { tickRateHz: 25, errorMode: 'stop' } });
  ex.load(onlineGraph(d.fs, d.chunk, d.graph));
  ex.bind('in', { descriptor: makeStream(d.channels, d.fs), reader: new RingReader(Ring.attach(d.inBuf)) });
  ex.bind('out', new RingWriter(Ring.attach(d.outBuf)));
  const stepMs: number[] = [];
  const step = ex.step.bind(ex);
  ex.step = () => {
    const t0 = nowMs();
    const produced = step();
    if (produced) stepMs.push(nowMs() - t0);
    return produced;
  };
  onReady();
  await ex.runOnline(signal, { blockMs: 5 }); // a thread dedicated to this pipeline, like the engine worker
  const warm = stepMs.slice(100);
  return { errors: ex.errors().map((e) => e.message), stepP50: quantile(warm, 0.5), stepP99: quantile(warm, 0.99) };
}

/**
 * The consumer (the caller's thread): reads the output ring until the producer is done and it is
 * drained; one latency per chunk (its first frame), output in hand − chunk pushed, after 1 s of warm-up.
 */
export async function collectLatencies(outBuf: SharedArrayBuffer, channels: number, nowMs: () => number, producing: () => boolean): Promise<number[]> {
  const reader = new RingReader(Ring.attach(outBuf));
  const lat: number[] = [];
  const buf = new Float32Array(4096 * channels);
  const ts = new Float64Array(4096);
  let lastTs = NaN;
  const t0 = nowMs();
  while (producing() || reader.available() > 0) {
    const r = reader.read(4096, buf, ts);
    const now = nowMs();
    for (let i = 0; i < r.frames; i++) {
      if (ts[i] === lastTs) continue;
      lastTs = ts[i];
      if (now - t0 > 1000) lat.push(now - ts[i]);
    }
    if (r.frames === 0) await reader.waitForData(50);
  }
  return lat;
}
