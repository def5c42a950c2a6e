// Static shapes: what a packet will hold, known before any data flows (chunk names, axis types in
// order, singleton axes, known flags). Output ports declare how they turn what arrives into what
// leaves; input ports declare which chunks they accept (ChunkQuery); graph.ts propagates shapes
// along a pipeline so the compiler accepts every edge NeuroPype accepts and refuses the others at
// load, with the reason. Pure; runs anywhere.
import { AXIS_TYPES, axisLength, type AxisType } from './axes';
import { FLAGS, type Chunk, type ChunkQuery, type Flag } from './packet';

export interface ChunkShape {
  /** Chunk name when known at load; null when it depends on the bound stream ("eeg", "fnirs" …). */
  readonly name: string | null;
  /** Axis types, in order. */
  readonly axes: readonly AxisType[];
  /** Axis types known to hold exactly one element (what a reduction leaves). */
  readonly singletons: readonly AxisType[];
  /** Flags known at load; a missing flag is unknown. */
  readonly flags: Readonly<Partial<Record<Flag, boolean>>>;
}

/** A packet's static shape: its chunks, or 'unknown' (a source whose streams are known only once bound). */
export type PacketShape = readonly ChunkShape[] | 'unknown';
export const UNKNOWN_SHAPE = 'unknown';

/** What reaches each input port of a node at load (undefined: the port is not wired). */
export type ShapeInputs = Readonly<Record<string, PacketShape | undefined>>;

/** An output port's static shape, from what reaches the node's inputs and its parameters. */
export type ShapeFn = (inputs: ShapeInputs, params: Readonly<Record<string, unknown>>) => PacketShape;

/** The labels editors and the UI show (derived from the axes; nothing else depends on them). */
export type DataKind = 'signal' | 'features' | 'markers' | 'spectrum' | 'epochs' | 'value';

// ------------------------------------------------------------------------------- building shapes

export function chunkShape(name: string | null, axes: readonly AxisType[], flags: ChunkShape['flags'] = {}, singletons: readonly AxisType[] = []): ChunkShape {
  return { name, axes, singletons, flags };
}

/** A continuous signal: time × space. */
export function signalShape(name: string | null, streaming?: boolean): ChunkShape {
  return chunkShape(name, ['time', 'space'], streaming === undefined ? { is_signal: true, has_markers: false } : { is_signal: true, has_markers: false, is_streaming: streaming });
}

/** A marker chunk: one instance axis. */
export function markerShape(name = 'markers', streaming?: boolean): ChunkShape {
  return chunkShape(name, ['instance'], streaming === undefined ? { has_markers: true, is_signal: false } : { has_markers: true, is_signal: false, is_streaming: streaming });
}

/**
 * The shape of a chunk that exists (run time): its axes, which of them hold one element (time and
 * instance excepted: a streaming chunk may hold one sample or one event), all its flags.
 */
export function shapeOfChunk(name: string, c: Chunk): ChunkShape {
  const flags: Partial<Record<Flag, boolean>> = {};
  for (const f of FLAGS) flags[f] = c.props[f];
  const axes = c.block.axes.map((a) => a.type);
  const singletons = c.block.axes.filter((a) => a.type !== 'time' && a.type !== 'instance' && axisLength(a) === 1).map((a) => a.type);
  return { name, axes, singletons, flags };
}

export function shapeOfPacket(p: ReadonlyMap<string, Chunk>): ChunkShape[] {
  return [...p].map(([n, c]) => shapeOfChunk(n, c));
}

/** The shape with axis `from` replaced by `to` (e.g. time → frequency); the replacement is not a singleton. */
export function replaceAxis(s: ChunkShape, from: AxisType, to: AxisType): ChunkShape {
  const i = s.axes.indexOf(from);
  if (i < 0) return s;
  const axes = s.axes.slice();
  axes[i] = to;
  return { ...s, axes, singletons: s.singletons.filter((t) => t !== from) };
}

/** The shape with one more axis at `at` (0 = in front). */
export function insertAxis(s: ChunkShape, type: AxisType, at = 0, singleton = false): ChunkShape {
  const axes = s.axes.slice();
  axes.splice(at, 0, type);
  return { ...s, axes, singletons: singleton ? [...s.singletons, type] : s.singletons };
}

export function removeAxis(s: ChunkShape, type: AxisType): ChunkShape {
  const i = s.axes.indexOf(type);
  if (i < 0) return s;
  const axes = s.axes.slice();
  axes.splice(i, 1);
  return { ...s, axes, singletons: s.singletons.filter((t) => t !== type) };
}

/** The shape with `type` known to hold one element. */
export function markSingleton(s: ChunkShape, type: AxisType): ChunkShape {
  return s.singletons.includes(type) ? s : { ...s, singletons: [...s.singletons, type] };
}

export function withShapeFlags(s: ChunkShape, flags: Partial<Record<Flag, boolean>>): ChunkShape {
  return { ...s, flags: { ...s.flags, ...flags } };
}

// ------------------------------------------------------------------------------- output shape functions

/** Output = what reaches `port`, unchanged (pass-through nodes). */
export function sameAs(port: string): ShapeFn {
  return (ins) => ins[port] ?? UNKNOWN_SHAPE;
}

/** Output = a fixed shape (sources). */
export function fixedShape(shape: PacketShape): ShapeFn {
  return () => shape;
}

/**
 * Output = what reaches `port`, with every chunk the port works on (matching `accepts`) turned into
 * `fn`'s shape (null drops it) and the other chunks passed through, as `mapChunks` does at run time.
 */
export function mapShapes(port: string, accepts: readonly ChunkQuery[] | ((params: Readonly<Record<string, unknown>>) => readonly ChunkQuery[]), fn: (s: ChunkShape, params: Readonly<Record<string, unknown>>) => ChunkShape | null): ShapeFn {
  return (ins, params) => {
    const arriving = ins[port];
    if (!arriving || arriving === UNKNOWN_SHAPE) return UNKNOWN_SHAPE;
    const qs = typeof accepts === 'function' ? accepts(params) : accepts;
    const out: ChunkShape[] = [];
    for (const s of arriving) {
      const r = shapeMatchesAny(s, qs) ? fn(s, params) : s;
      if (r) out.push(r);
    }
    return out;
  };
}

// ------------------------------------------------------------------------------- matching

/**
 * Whether a chunk of this shape can satisfy the query: false only when it certainly cannot (an axis
 * missing, a known flag against it); what is unknown at load (flags not known, emptiness, a name
 * left to the stream) is given the benefit of the doubt and checked again on the first packet.
 */
export function shapeMatches(s: ChunkShape, q: ChunkQuery): boolean {
  const f = s.flags;
  if (q.onlySignals && f.is_signal === false) return false;
  if (q.onlyMarkers && f.has_markers === false) return false;
  if (q.allowMarkers === false && f.has_markers === true) return false;
  if (q.withAxes?.some((t) => !s.axes.includes(t))) return false;
  if (q.withLongAxes?.some((t) => !s.axes.includes(t) || (s.singletons.includes(t) && s.axes.filter((x) => x === t).length === 1))) return false;
  if (q.withoutAxes?.some((t) => s.axes.includes(t))) return false;
  if (q.withFlags?.some((x) => f[x] === false)) return false;
  if (q.withoutFlags?.some((x) => f[x] === true)) return false;
  if (s.name !== null) {
    if (q.nameEquals !== undefined && s.name !== q.nameEquals) return false;
    if (q.nameStartsWith !== undefined && !s.name.startsWith(q.nameStartsWith)) return false;
    if (q.nameEndsWith !== undefined && !s.name.endsWith(q.nameEndsWith)) return false;
  }
  return true;
}

export function shapeMatchesAny(s: ChunkShape, qs: readonly ChunkQuery[]): boolean {
  return !qs.length || qs.some((q) => shapeMatches(s, q));
}

// ------------------------------------------------------------------------------- words

/** "a signal chunk with a time axis (more than one sample) and no instance axis". */
export function describeQuery(q: ChunkQuery): string {
  const what = q.onlyMarkers ? 'a marker chunk' : q.onlySignals ? 'a data chunk (not markers)' : q.allowMarkers === false ? 'a non-marker chunk' : 'a chunk';
  const parts: string[] = [];
  const an = (t: string) => (t === 'instance' || t === 'axis' ? `an ${t}` : `a ${t}`);
  const long = q.withLongAxes ?? [];
  const need = [...long.map((t) => `${an(t)} axis of more than one element`), ...(q.withAxes ?? []).filter((t) => !long.includes(t)).map((t) => `${an(t)} axis`)];
  if (need.length) parts.push(`with ${list(need)}`);
  if (q.withoutAxes?.length) parts.push(`without ${list(q.withoutAxes.map((t) => `${an(t)} axis`))}`);
  if (q.withFlags?.length) parts.push(`flagged ${q.withFlags.join(', ')}`);
  if (q.withoutFlags?.length) parts.push(`not flagged ${q.withoutFlags.join(', ')}`);
  if (q.nameEquals !== undefined) parts.push(`named "${q.nameEquals}"`);
  if (q.nameStartsWith !== undefined) parts.push(`named "${q.nameStartsWith}…"`);
  if (q.nameEndsWith !== undefined) parts.push(`named "…${q.nameEndsWith}"`);
  return [what, ...parts].join(' ');
}

export function describeQueries(qs: readonly ChunkQuery[]): string {
  return qs.length ? qs.map(describeQuery).join(', or ') : 'any chunk';
}

function list(xs: string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`;
}

/** "eeg: time × space; markers: instance (markers)". */
export function describeShape(p: PacketShape | undefined): string {
  if (p === undefined) return 'nothing';
  if (p === UNKNOWN_SHAPE) return 'data whose shape is known only once its source is bound';
  if (!p.length) return 'an empty packet';
  return p
    .map((s) => {
      const axes = s.axes.length ? s.axes.map((t) => (s.singletons.includes(t) ? `${t} (1)` : t)).join(' × ') : 'no axes';
      return `${s.name ?? '(stream)'}: ${axes}${s.flags.has_markers ? ' (markers)' : ''}`;
    })
    .join('; ');
}

/**
 * The kind label of a chunk shape, for the UI and editors only: markers, spectrum (a frequency
 * axis), features (a feature axis, or instances without time), epochs (instances × time), signal
 * (time). Singleton axes are ignored.
 */
export function kindOf(s: ChunkShape): Exclude<DataKind, 'value'> {
  if (s.flags.has_markers) return 'markers';
  const long = s.axes.filter((t) => !s.singletons.includes(t));
  if (long.includes('frequency')) return 'spectrum';
  if (long.includes('feature')) return 'features';
  if (long.includes('instance')) return long.includes('time') ? 'epochs' : 'features';
  if (long.includes('time')) return 'signal';
  return 'features';
}

/**
 * The kind label of a chunk that exists: one-element axes count as singletons, except the item
 * axis (one epoch is still epochs, one sample still a signal) — the instance axis, or the time axis
 * when there are no instances.
 */
export function kindOfChunk(name: string, c: Chunk): Exclude<DataKind, 'value'> {
  const s = shapeOfChunk(name, c);
  const item = s.axes.includes('instance') ? 'instance' : 'time';
  return kindOf({ ...s, singletons: c.block.axes.filter((a) => a.type !== item && axisLength(a) === 1).map((a) => a.type) });
}

/** Every axis type name, for parameters that name an axis (NeuroPype's `axis` EnumPort). */
export const AXIS_PARAM_DOMAIN: readonly string[] = AXIS_TYPES;
