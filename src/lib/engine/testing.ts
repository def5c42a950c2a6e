// Test harness for node classes: feeds a packet through ONE node in chosen (e.g. random irregular)
// chunk sizes, copying outputs (buffers are reused by nodes), so chunk-invariance and state
// carry-over can be checked for every stateful node. Also small signal/stream builders.
// Used by *.spec.ts and benchmarks only; no app code imports it.
import type { ChannelInfo, StreamDescriptor } from '../core/stream';
import { concatPackets } from './packets';
import { LogLevel, type FramesPacket, type MarkersPacket, type NodeClass, type NodeContext, type NodeInstance, type Packet, type PortValues } from './types';
import { resolveParams } from './params';
import { sliceFrames } from './packets';

export function makeStream(channels: number | string[], sampleRateHz: number, extra: Partial<StreamDescriptor> = {}): StreamDescriptor {
  const labels = typeof channels === 'number' ? Array.from({ length: channels }, (_, i) => `ch${i + 1}`) : channels;
  const infos: ChannelInfo[] = labels.map((label) => ({ label, unit: 'uV', type: 'EEG' }));
  return { id: 'test', name: 'test', kind: 'eeg', sampleRateHz, channels: infos, ...extra };
}

export interface HarnessLog {
  level: number;
  message: string;
}

/** Instantiates a node class with checked params and a context that records logs. */
export function instantiate(cls: NodeClass, params: Record<string, unknown> = {}, offline = false): { node: NodeInstance; logs: HarnessLog[] } {
  const logs: HarnessLog[] = [];
  const ctx: NodeContext = { nodeId: 'under-test', log: (level, message) => logs.push({ level, message }), offline };
  return { node: cls.create(resolveParams(cls, params, 'test'), ctx), logs };
}

/** Deep-copies a packet (nodes reuse output buffers). */
export function copyPacket(p: Packet): Packet {
  if (p.kind === 'signal' || p.kind === 'features') return { ...sliceFrames(p, 0, p.frames) };
  return structuredClone(p);
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
  /** Marker events delivered on the `markers` port, each with the chunk that reaches its time. */
  markers?: MarkersPacket['events'];
  offline?: boolean;
  /** Extra params for the node. */
  port?: string;
}

/**
 * Feeds `signal` through a fresh instance of `cls` in chunks of `sizes` frames (sum = frames),
 * then flushes; returns every output port's packets joined in order.
 */
export function feedChunks(cls: NodeClass, params: Record<string, unknown>, signal: FramesPacket, sizes: number[], opts: FeedOptions = {}): { outputs: PortValues; logs: HarnessLog[]; node: NodeInstance } {
  const { node, logs } = instantiate(cls, params, opts.offline ?? false);
  const outputs: PortValues = {};
  const add = (r: PortValues | void | undefined) => {
    if (!r) return;
    for (const [k, v] of Object.entries(r)) if (v) outputs[k] = outputs[k] ? concatPackets(outputs[k]!, copyPacket(v)) : copyPacket(v);
  };
  const markers = [...(opts.markers ?? [])].sort((a, b) => a.timestampMs - b.timestampMs);
  let mi = 0;
  let pos = 0;
  for (const n of sizes) {
    const end = Math.min(signal.frames, pos + n);
    const inputs: PortValues = { [opts.port ?? 'data']: sliceFrames(signal, pos, end) };
    const limit = end >= signal.frames ? Infinity : signal.timestampsMs[end];
    const evs = [];
    while (mi < markers.length && markers[mi].timestampMs < limit) evs.push(markers[mi++]);
    if (evs.length) inputs.markers = { kind: 'markers', events: evs };
    add(node.process(inputs));
    pos = end;
  }
  add(node.flush?.());
  return { outputs, logs, node };
}

export { LogLevel };
