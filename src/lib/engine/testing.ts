// Test harness for node classes: feeds a chunk through ONE node in chosen (e.g. random irregular)
// chunk sizes along its time axis, copying outputs (sources and filters reuse their buffers), so
// chunk invariance and state carry-over can be checked for every stateful node. Also small
// stream, signal and packet builders. Used by *.spec.ts and benchmarks only; no app code imports it.
import type { ChannelInfo, StreamDescriptor } from '../core/stream';
import { transposeInto } from '../dsp/layout';
import { instanceAxis, MARKER, spaceAxis, TARGET, timeAxis, type AxisOf, type AxisType } from './axes';
import { axisIndex, makeBlock, requireAxis, sliceAlong, type Block } from './block';
import { chunkProps, concatPackets, copyPacket, descriptorOf, framesOf, markerChunk, packetOf, signalChunk, type Chunk, type Packet, type TargetedMarker } from './packet';
import { resolveParams } from './params';
import { LogLevel, type NodeClass, type NodeContext, type NodeInstance, type PortValues } from './types';

export { copyPacket };

export function makeStream(channels: number | string[], sampleRateHz: number, extra: Partial<StreamDescriptor> = {}): StreamDescriptor {
  const labels = typeof channels === 'number' ? Array.from({ length: channels }, (_, i) => `ch${i + 1}`) : channels;
  const infos: ChannelInfo[] = labels.map((label) => ({ label, unit: 'uV', type: 'EEG' }));
  return { id: 'test', name: 'test', kind: 'eeg', sampleRateHz, channels: infos, ...extra };
}

/**
 * A continuous signal chunk (time × space) from channel-major rows `data[c · frames + n]`, stamped
 * t0Ms + n / rate (1 ms apart for an irregular stream). Streaming unless `streaming` is false.
 */
export function signalFromChannelMajor(stream: StreamDescriptor, data: ArrayLike<number>, frames: number, t0Ms = 0, streaming = true): Chunk {
  const ch = stream.channels.length;
  const samples = new Float32Array(frames * ch);
  for (let c = 0; c < ch; c++) for (let n = 0; n < frames; n++) samples[n * ch + c] = data[c * frames + n];
  const ts = new Float64Array(frames);
  const dt = stream.sampleRateHz > 0 ? 1000 / stream.sampleRateHz : 1;
  for (let n = 0; n < frames; n++) ts[n] = t0Ms + n * dt;
  return signalChunk(stream, samples, ts, { streaming });
}

/** Channel-major float64 copy (`out[c · frames + n]`) of frame-major samples, as SciPy's [channel, sample]. */
export function toChannelMajor(samples: ArrayLike<number>, frames: number, channels: number): Float64Array {
  return transposeInto(samples, frames, channels, new Float64Array(frames * channels));
}

/** A packet holding one chunk, named "eeg" unless said otherwise (what a node's `data` port receives). */
export function packet(chunk: Chunk, name = 'eeg'): Packet {
  return packetOf(name, chunk);
}

/**
 * A segmented chunk (instance × time × space): per epoch its frame-major samples (frames × channels),
 * its time (ms) and optionally marker and target; the time axis relative, first sample at `firstMs`.
 */
export function epochsChunk(stream: StreamDescriptor, epochs: readonly { samples: ArrayLike<number>; timeMs: number; marker?: string; target?: number }[], frames: number, firstMs = 0): Chunk {
  const ch = stream.channels.length;
  const data = new Float32Array(epochs.length * frames * ch);
  epochs.forEach((e, i) => data.set(Array.from(e.samples).slice(0, frames * ch), i * frames * ch));
  const rel = Float64Array.from({ length: frames }, (_, k) => firstMs + (k * 1000) / stream.sampleRateHz);
  const inst = instanceAxis(
    Float64Array.from(epochs, (e) => e.timeMs),
    { [MARKER]: epochs.map((e) => e.marker ?? ''), [TARGET]: Float64Array.from(epochs, (e) => e.target ?? NaN) },
    'segments',
  );
  return { block: makeBlock(data, [inst, timeAxis(rel, stream.sampleRateHz), spaceAxis(stream.channels)]), props: chunkProps(stream, { is_signal: true, is_streaming: true }) };
}

/** The values of element k of a block's first axis (an instance or a frame). View. */
export function slab(c: Chunk, k: number): Block['data'] {
  const n = c.block.shape[0] ? c.block.data.length / c.block.shape[0] : 0;
  return c.block.data.subarray(k * n, (k + 1) * n);
}

/** An axis of a chunk, or an error naming the axes it has. */
export function axisOf<T extends AxisType>(c: Chunk, type: T): AxisOf<T> {
  return requireAxis(c.block, type, 'test').axis;
}

/** The only data chunk (not markers) of a packet; throws when there is none or more than one. */
export function only(p: Packet | undefined): Chunk {
  const data = p ? [...p.values()].filter((c) => !c.props.has_markers) : [];
  if (data.length !== 1) throw new Error(`expected one data chunk, got ${data.length}${p ? ` (${[...p.keys()].join(', ')})` : ''}`);
  return data[0];
}

/**
 * The only data chunk of a packet as ring frames (packet.ts framesOf): rows along its item axis,
 * every other axis flattened, with the row labels (descriptorOf) and the instances' targets.
 */
export function framesView(p: Packet | undefined): { frames: number; samples: Float32Array; timestampsMs: Float64Array; labels: string[]; targets?: Float64Array; source: Chunk['props']['source'] } {
  const c = only(p);
  const f = framesOf(c);
  const inst = c.block.axes.find((a) => a.type === 'instance');
  const t = inst?.type === 'instance' ? inst.fields[TARGET] : undefined;
  return { frames: f.frames, samples: f.samples, timestampsMs: f.timestampsMs, labels: descriptorOf(c).channels.map((x) => x.label), targets: t instanceof Float64Array ? t : undefined, source: c.props.source };
}

/** Everything a packet holds, as plain JSON (names, axes, shapes, data, item times): for equality checks. Allocates. */
export function packetSummary(p: Packet | undefined): unknown {
  if (!p) return null;
  return [...p].map(([name, c]) => ({
    name,
    axes: c.block.axes.map((a) => a.type),
    shape: c.block.shape,
    data: Array.from(c.block.data),
    times: c.block.axes.filter((a) => a.type === 'time' || a.type === 'instance').map((a) => Array.from((a as { timesMs: Float64Array }).timesMs)),
  }));
}

export interface HarnessLog {
  level: number;
  message: string;
}

/** Instantiates a node class with checked params and a context that records logs; `wired`: the input ports taken as connected (default all). */
export function instantiate(cls: NodeClass, params: Record<string, unknown> = {}, offline = false, wired: readonly string[] = cls.inputs.map((p) => p.name)): { node: NodeInstance; logs: HarnessLog[] } {
  const logs: HarnessLog[] = [];
  const ctx: NodeContext = { nodeId: 'under-test', log: (level, message) => logs.push({ level, message }), offline, isWired: (port) => wired.includes(port) };
  return { node: cls.create(resolveParams(cls, params, 'test'), ctx), logs };
}

/** Seeded PRNG (mulberry32) for reproducible chunkings and signals. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random chunk sizes in [1, maxChunk] summing to total. */
export function randomChunks(total: number, seed: number, maxChunk = 97): number[] {
  const r = rng(seed);
  const out: number[] = [];
  let left = total;
  while (left > 0) {
    const n = Math.min(left, 1 + Math.floor(r() * maxChunk));
    out.push(n);
    left -= n;
  }
  return out;
}

export interface FeedOptions {
  /** Marker events, each delivered (as a marker chunk) with the piece that reaches its time. */
  markers?: readonly TargetedMarker[];
  /** Where markers go: the `markers` port (default) or the same packet as the data (NeuroPype's way). */
  markersIn?: 'port' | 'packet';
  offline?: boolean;
  /** Input port the signal goes to (default "data"). */
  port?: string;
  /** Chunk name of the signal (default "eeg"). */
  name?: string;
}

/**
 * Feeds `signal` through a fresh instance of `cls` in pieces of `sizes` elements along its time axis
 * (sum = its length), then flushes; returns every output port's packets joined in order (copied).
 */
export function feedChunks(cls: NodeClass, params: Record<string, unknown>, signal: Chunk, sizes: number[], opts: FeedOptions = {}): { outputs: PortValues; logs: HarnessLog[]; node: NodeInstance } {
  const port = opts.port ?? 'data';
  const wired = opts.markers?.length && opts.markersIn !== 'packet' ? [port, 'markers'] : [port];
  const { node, logs } = instantiate(cls, params, opts.offline ?? false, wired);
  const outputs: PortValues = {};
  const add = (r: PortValues | void | undefined) => {
    if (!r) return;
    for (const [k, v] of Object.entries(r)) if (v) outputs[k] = outputs[k] ? concatPackets(outputs[k]!, copyPacket(v)) : copyPacket(v);
  };
  const t = axisIndex(signal.block, 'time');
  if (t < 0) throw new Error('feedChunks needs a chunk with a time axis');
  const times = (signal.block.axes[t] as { timesMs: Float64Array }).timesMs;
  const total = signal.block.shape[t];
  const markers = [...(opts.markers ?? [])].sort((a, b) => a.timestampMs - b.timestampMs);
  const name = opts.name ?? 'eeg';
  let mi = 0;
  let pos = 0;
  for (const n of sizes) {
    const end = Math.min(total, pos + n);
    const piece: Map<string, Chunk> = new Map([[name, { block: sliceAlong(signal.block, t, pos, end), props: signal.props }]]);
    const inputs: PortValues = { [port]: piece };
    const limit = end >= total ? Infinity : times[end];
    const evs: TargetedMarker[] = [];
    while (mi < markers.length && markers[mi].timestampMs < limit) evs.push(markers[mi++]);
    if (evs.length) {
      const mk = markerChunk(evs, { streaming: signal.props.is_streaming });
      if (opts.markersIn === 'packet') piece.set('markers', mk);
      else inputs.markers = packetOf('markers', mk);
    }
    add(node.process(inputs));
    pos = end;
  }
  add(node.flush?.());
  return { outputs, logs, node };
}

export { LogLevel };
