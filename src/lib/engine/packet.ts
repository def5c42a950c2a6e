// Packets of named chunks — NeuroPype's data model and the engine's (docs/packets.md): a Packet is
// an ordered map chunk name → Chunk; a Chunk is a Block (block.ts) plus props (flags, source stream,
// metadata). Chunk selection (NeuroPype's enumerate_chunks / find_first_chunk), the layouts of our
// former kinds (signal, markers, features, …) and conversions to and from stream descriptors, ring
// frames and marker events live here. Runs anywhere.
//
// Packet contract: a packet and everything in it is valid only during the step that delivers it.
// Nodes never mutate what they receive and copy what they keep. Sources may reuse their output
// objects (chunk, block, time axis, data buffer) at their next step; every other axis object is
// immutable once made, so nodes may keep axes (and `sameStream` layouts) by reference.
import type { ChannelInfo, MarkerEvent, StreamDescriptor, StreamKind } from '../core/stream';
import { DURATION, MARKER, TARGET, instanceAxis, spaceAxis, timeAxis, type Axis, type AxisType, type InstanceAxis } from './axes';
import { concatAlong, flattenFeatures, itemAxisIndex, makeBlock, sameStream, type Block, type HasAxes } from './block';

/** NeuroPype's chunk flags (PACKETS.md §1.2), by their NeuroPype names. */
export const FLAGS = ['is_signal', 'has_markers', 'is_event_stream', 'has_targets', 'is_streaming', 'is_sparse'] as const;
export type Flag = (typeof FLAGS)[number];

/** Identity of the stream a chunk comes from (what a StreamDescriptor's id, name and kind say). */
export interface StreamSource {
  readonly id: string;
  readonly name: string;
  readonly kind: StreamKind;
}

export interface ChunkProps extends Readonly<Record<Flag, boolean>> {
  readonly source: StreamSource;
  /** Free metadata: e.g. `scaling` of a spectrum ('density' | 'spectrum' | 'magnitude'). */
  readonly meta: Readonly<Record<string, unknown>>;
}

export interface Chunk {
  block: Block;
  props: ChunkProps;
}

/** What one wire carries per step: chunks by name, in order ("eeg", "markers", …). */
export type Packet = ReadonlyMap<string, Chunk>;

/** Default chunk names (PACKETS.md §1.1): markers live in "markers"; a signal is named by its stream's kind ("eeg"). */
export const MARKERS_CHUNK = 'markers';
export const MARKERS_SOURCE: StreamSource = { id: 'markers', name: 'markers', kind: 'markers' };

export function chunkProps(source: StreamSource, flags: Partial<Record<Flag, boolean>> = {}, meta: Record<string, unknown> = {}): ChunkProps {
  return {
    is_signal: false,
    has_markers: false,
    is_event_stream: false,
    has_targets: false,
    is_streaming: false,
    is_sparse: false,
    ...flags,
    source: { id: source.id, name: source.name, kind: source.kind },
    meta,
  };
}

/** Props with some flags or metadata changed (allocates one small object). */
export function withProps(props: ChunkProps, flags: Partial<Record<Flag, boolean>>, meta?: Record<string, unknown>): ChunkProps {
  return { ...props, ...flags, meta: meta ? { ...props.meta, ...meta } : props.meta };
}

/** The same chunk over another block (props shared). */
export function withBlock(c: Chunk, block: Block): Chunk {
  return { block, props: c.props };
}

/** The same chunk with new values, same shape and axes (the usual output of an element-wise or filter node). */
export function withData(c: Chunk, data: Block['data']): Chunk {
  return { block: { data, shape: c.block.shape, axes: c.block.axes }, props: c.props };
}

/** A packet of one chunk. */
export function packetOf(name: string, chunk: Chunk): Packet {
  return new Map([[name, chunk]]);
}

/** The chunk name a stream gets: its kind ("eeg", "fnirs", …), or its name with NeuroPype's `use_streamnames`. */
export function chunkNameOf(stream: StreamDescriptor, useStreamNames = false): string {
  return useStreamNames ? stream.name : stream.kind;
}

// ------------------------------------------------------------------------------- chunk selection

/**
 * Which chunks a node works on: NeuroPype's selection criteria (enumerate_chunks), and what an
 * input port accepts (checked statically by shapes.ts where the criteria are known at load).
 */
export interface ChunkQuery {
  /** Only chunks flagged `is_signal` (data, not markers). */
  onlySignals?: boolean;
  /** Only marker chunks (`has_markers`). */
  onlyMarkers?: boolean;
  /** false: skip marker chunks (default true). */
  allowMarkers?: boolean;
  /** Axis types that must be present. */
  withAxes?: readonly AxisType[];
  /**
   * Axis types that must be present and not known to hold one element (a filter's time axis: not
   * the singleton a reduction leaves). Checked at load from static shapes; at run time only their
   * presence is checked, since a streaming chunk may hold a single sample.
   */
  withLongAxes?: readonly AxisType[];
  /** Axis types that must be absent. */
  withoutAxes?: readonly AxisType[];
  withFlags?: readonly Flag[];
  withoutFlags?: readonly Flag[];
  /** Only chunks holding at least one value. */
  nonempty?: boolean;
  nameEquals?: string;
  nameStartsWith?: string;
  nameEndsWith?: string;
}

function hasAxis(axes: readonly Axis[], t: AxisType): boolean {
  for (let d = 0; d < axes.length; d++) if (axes[d].type === t) return true;
  return false;
}

export function chunkMatches(name: string, c: Chunk, q: ChunkQuery): boolean {
  const p = c.props;
  const axes = c.block.axes;
  if (q.onlySignals && !p.is_signal) return false;
  if (q.onlyMarkers && !p.has_markers) return false;
  if (q.allowMarkers === false && p.has_markers) return false;
  if (q.withAxes) for (const t of q.withAxes) if (!hasAxis(axes, t)) return false;
  if (q.withLongAxes) for (const t of q.withLongAxes) if (!hasAxis(axes, t)) return false;
  if (q.withoutAxes) for (const t of q.withoutAxes) if (hasAxis(axes, t)) return false;
  if (q.withFlags) for (const f of q.withFlags) if (!p[f]) return false;
  if (q.withoutFlags) for (const f of q.withoutFlags) if (p[f]) return false;
  if (q.nonempty && c.block.data.length === 0) return false;
  if (q.nameEquals !== undefined && name !== q.nameEquals) return false;
  if (q.nameStartsWith !== undefined && !name.startsWith(q.nameStartsWith)) return false;
  if (q.nameEndsWith !== undefined && !name.endsWith(q.nameEndsWith)) return false;
  return true;
}

/** A chunk matches a port when it matches any of its queries (an empty list accepts everything). */
export function chunkMatchesAny(name: string, c: Chunk, qs: readonly ChunkQuery[]): boolean {
  if (!qs.length) return true;
  for (const q of qs) if (chunkMatches(name, c, q)) return true;
  return false;
}

/** NeuroPype's enumerate_chunks: [name, chunk] of every chunk matching `q`, in packet order. Allocates the list. */
export function enumerateChunks(p: Packet | undefined, q: ChunkQuery = {}): [string, Chunk][] {
  const out: [string, Chunk][] = [];
  if (p) for (const [name, c] of p) if (chunkMatches(name, c, q)) out.push([name, c]);
  return out;
}

/** NeuroPype's find_first_chunk. */
export function findFirstChunk(p: Packet | undefined, q: ChunkQuery = {}): [string, Chunk] | undefined {
  if (p) for (const [name, c] of p) if (chunkMatches(name, c, q)) return [name, c];
  return undefined;
}

/**
 * The usual node body: each chunk matching `q` (a query, a port's query list, or a predicate) is
 * replaced by `fn`'s result (undefined drops it), every other chunk passes through unchanged.
 * Returns undefined when nothing is left. Allocates the output map only.
 */
export function mapChunks(p: Packet | undefined, q: ChunkQuery | readonly ChunkQuery[] | ((name: string, c: Chunk) => boolean), fn: (c: Chunk, name: string) => Chunk | undefined): Packet | undefined {
  if (!p) return undefined;
  const test = typeof q === 'function' ? q : Array.isArray(q) ? (n: string, c: Chunk) => chunkMatchesAny(n, c, q) : (n: string, c: Chunk) => chunkMatches(n, c, q as ChunkQuery);
  let out: Map<string, Chunk> | undefined;
  for (const [name, c] of p) {
    const r = test(name, c) ? fn(c, name) : c;
    if (r) (out ??= new Map()).set(name, r);
  }
  return out;
}

/** Marker chunks of a packet, in order. */
export function markerChunks(p: Packet | undefined): Chunk[] {
  const out: Chunk[] = [];
  if (p) for (const c of p.values()) if (c.props.has_markers) out.push(c);
  return out;
}

// ------------------------------------------------------------------------------- counting, joining, copying

/** Elements of a block along its item axis (instance, else time); 1 when it has neither. */
export function itemCount(b: Block): number {
  const d = itemAxisIndex(b);
  return d < 0 ? 1 : b.shape[d];
}

/** Items a packet carries: elements along the instance (else time) axis of each chunk, summed. HOT PATH (no allocation). */
export function packetItems(p: Packet): number {
  let n = 0;
  for (const c of p.values()) n += itemCount(c.block);
  return n;
}

/** Joins two packets (b after a): chunks of the same name along their item axis, others appended. Allocates. */
export function concatPackets(a: Packet, b: Packet): Packet {
  const out = new Map(a);
  for (const [name, cb] of b) {
    const ca = out.get(name);
    if (!ca) {
      out.set(name, cb);
      continue;
    }
    const d = itemAxisIndex(ca.block);
    if (d < 0 || itemAxisIndex(cb.block) !== d) throw new Error(`cannot join chunk "${name}": it has no instance or time axis to join along`);
    out.set(name, { block: concatAlong([ca.block, cb.block], d), props: cb.props });
  }
  return out;
}

/** A deep copy of a chunk's data and of the arrays a source may reuse (time and instance times). */
export function copyChunk(c: Chunk): Chunk {
  const axes = c.block.axes.map((a) => (a.type === 'time' || a.type === 'instance' ? { ...a, timesMs: a.timesMs.slice() } : a));
  return { block: { data: c.block.data.slice(), shape: c.block.shape.slice(), axes }, props: c.props };
}

export function copyPacket(p: Packet): Packet {
  const out = new Map<string, Chunk>();
  for (const [name, c] of p) out.set(name, copyChunk(c));
  return out;
}

// ------------------------------------------------------------------------------- per-stream state

/**
 * State a node keeps per chunk name, rebuilt when a chunk no longer continues the same stream
 * (`sameStream`). Every stateful node holds its filters, windows or histories in one of these.
 */
export class StreamStates<S> {
  private readonly byName = new Map<string, { layout: HasAxes; state: S }>();
  constructor(private readonly create: (c: Chunk, name: string, previous: S | undefined) => S) {}

  /** The state for this chunk: kept if it continues the stream, else made afresh. HOT PATH (no allocation when kept). */
  get(name: string, c: Chunk): S {
    const e = this.byName.get(name);
    if (e && sameStream(e.layout, c.block)) {
      if (e.layout.axes !== c.block.axes) e.layout = { axes: c.block.axes };
      return e.state;
    }
    const state = this.create(c, name, e?.state);
    this.byName.set(name, { layout: { axes: c.block.axes }, state });
    return state;
  }

  peek(name: string): S | undefined {
    return this.byName.get(name)?.state;
  }

  entries(): [string, S][] {
    return [...this.byName].map(([n, e]) => [n, e.state]);
  }

  clear(): void {
    this.byName.clear();
  }
}

// ------------------------------------------------------------------------------- layouts of our streams

/** A continuous signal (time × space) over frame-major samples: a view, no copy. */
export function signalChunk(stream: StreamDescriptor, samples: Float32Array | Float64Array, timestampsMs: Float64Array, opts: { streaming?: boolean; space?: Axis } = {}): Chunk {
  const block = makeBlock(samples, [timeAxis(timestampsMs, stream.sampleRateHz), opts.space ?? spaceAxis(stream.channels, stream.probe ? { probe: stream.probe } : {})]);
  return { block, props: chunkProps(stream, { is_signal: true, is_streaming: opts.streaming ?? true }) };
}

/** A marker event with the class target AssignTargets may give it. */
export interface TargetedMarker extends MarkerEvent {
  target?: number;
}

/** A marker chunk (PACKETS.md §1.4): one instance per event, fields Marker, TargetValue (NaN = none), DurationMs; NaN data. */
export function markerChunk(events: readonly TargetedMarker[], opts: { streaming?: boolean; source?: StreamSource } = {}): Chunk {
  const n = events.length;
  const times = new Float64Array(n);
  const marker: string[] = new Array(n);
  const target = new Float64Array(n);
  const duration = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const e = events[i];
    times[i] = e.timestampMs;
    marker[i] = e.value;
    target[i] = e.target ?? NaN;
    duration[i] = e.durationMs ?? NaN;
  }
  const axis = instanceAxis(times, { [MARKER]: marker, [TARGET]: target, [DURATION]: duration }, 'markers');
  return { block: makeBlock(new Float64Array(n).fill(NaN), [axis]), props: chunkProps(opts.source ?? MARKERS_SOURCE, { has_markers: true, is_streaming: opts.streaming ?? true }) };
}

/** The events of a chunk's instance axis (a marker chunk, or segments by their marker). Allocates. */
export function markersOf(c: Chunk): TargetedMarker[] {
  const a = c.block.axes.find((x): x is InstanceAxis => x.type === 'instance');
  if (!a) return [];
  const m = a.fields[MARKER];
  const t = a.fields[TARGET];
  const d = a.fields[DURATION];
  return Array.from(a.timesMs, (timestampMs, i) => {
    const e: TargetedMarker = { timestampMs, value: Array.isArray(m) ? (m[i] ?? '') : '' };
    if (t instanceof Float64Array && !Number.isNaN(t[i])) e.target = t[i];
    if (d instanceof Float64Array && !Number.isNaN(d[i])) e.durationMs = d[i];
    return e;
  });
}

/** Channels describing a chunk's non-item axes: the space axis's channels, or one FEATURE channel per flattened element. Allocates. */
export function channelsOf(c: Chunk): ChannelInfo[] {
  const b = c.block;
  const d = itemAxisIndex(b);
  const rest = b.axes.filter((_, i) => i !== d);
  if (rest.length === 1 && rest[0].type === 'space') return [...rest[0].channels];
  const flat = flattenFeatures(b).axes.at(-1)!;
  if (flat.type !== 'feature') return [{ label: 'value', unit: '', type: 'FEATURE' }];
  return flat.names.map((label, i) => ({ label, unit: flat.units[i], type: c.props.source.kind === 'predictions' ? 'PREDICTION' : 'FEATURE' }));
}

/**
 * A chunk's stream as a descriptor: identity from its props, rate from its time axis (0 when it has
 * none or its items are instances), one channel per element of its non-item axes. Allocates.
 */
export function descriptorOf(c: Chunk): StreamDescriptor {
  const time = c.block.axes.find((a) => a.type === 'time');
  const rate = time && time.type === 'time' && !c.block.axes.some((a) => a.type === 'instance') ? time.nominalRateHz : 0;
  return { ...c.props.source, sampleRateHz: rate, channels: channelsOf(c) };
}

/**
 * A chunk as ring frames: one row per element of its item axis (time or instance), every other
 * axis flattened into the row, stamped with the item times. View (no copy) when the block is float32
 * with its item axis first — a continuous signal as it comes from a ring; otherwise allocates.
 * A chunk without item axis is one row stamped NaN.
 */
export function framesOf(c: Chunk): { samples: Float32Array; timestampsMs: Float64Array; frames: number; width: number } {
  const b = c.block;
  const d = itemAxisIndex(b);
  if (d < 0) return { samples: Float32Array.from(b.data), timestampsMs: Float64Array.of(NaN), frames: 1, width: b.data.length };
  const frames = b.shape[d];
  const width = frames ? b.data.length / frames : b.shape.reduce((p, n, i) => (i === d ? p : p * n), 1);
  const axis = b.axes[d] as { timesMs: Float64Array };
  const rows = d === 0 ? b : flattenFeatures(b);
  const samples = rows.data instanceof Float32Array ? rows.data : Float32Array.from(rows.data);
  return { samples, timestampsMs: axis.timesMs, frames, width };
}
