// Shared pieces for node classes: port/param shorthands, the chunk queries ports use, reusable
// output buffers, streaming kernels along the time axis (fast path for time-first blocks, fresh
// state per instance of segmented data), holding whole recordings for zero-phase work, channel
// look-up. Runs in the engine worker / Node. The packet contract is in ../packet.ts.
import { InputError } from '../../core/errors';
import { normLabel } from '../../core/labels';
import type { ChannelInfo } from '../../core/stream';
import { transposeInto } from '../../dsp/layout';
import { axisLabels, axisLength, type TimeAxis } from '../axes';
import { axisIndex, concatAlong, describeAxes, findAxis, lanesOf, moveAxis, transposeBlock, type BlockData, type HasAxes } from '../block';
import { chunkMatches, copyChunk, markerChunks, markersOf, StreamStates, withBlock, withData, type Chunk, type ChunkQuery } from '../packet';
import type { ShapeFn } from '../shapes';
import type { InputMeta, InputPortSpec, NeuroPypeAlias, NodeContext, OutputPortSpec, ParamSpec, PortValues } from '../types';

export function np(cls: string, pkg: string): NeuroPypeAlias {
  return { class: cls, module: `neuropype.nodes.${pkg}.${cls}`, package: pkg };
}

export function input(name: string, accepts: InputPortSpec['accepts'], doc: string, opts: { optional?: boolean; hint?: string } = {}): InputPortSpec {
  return { name, title: titleCase(name), accepts, doc, optional: opts.optional ?? false, hint: opts.hint };
}

export function output(name: string, shape: ShapeFn, doc: string): OutputPortSpec {
  return { name, title: titleCase(name), shape, doc };
}

/** A value output (ParameterPort): wired into parameters, not data inputs. */
export function valueOutput(name: string, doc: string): OutputPortSpec {
  return { name, title: titleCase(name), value: true, doc };
}

function titleCase(s: string): string {
  return s.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase());
}

type P = Omit<ParamSpec, 'name' | 'title' | 'type' | 'default' | 'doc'> & { title?: string };

function param(type: ParamSpec['type'], name: string, def: unknown, doc: string, extra: P = {}): ParamSpec {
  return { name, title: extra.title ?? titleCase(name), type, default: def, doc, ...extra };
}

export const p = {
  bool: (name: string, def: boolean, doc: string, extra?: P) => param('bool', name, def, doc, extra),
  int: (name: string, def: number | null, doc: string, extra?: P) => param('int', name, def, doc, { nullable: def === null, ...extra }),
  float: (name: string, def: number | null, doc: string, extra?: P) => param('float', name, def, doc, { nullable: def === null, ...extra }),
  string: (name: string, def: string | null, doc: string, extra?: P) => param('string', name, def, doc, { nullable: def === null, ...extra }),
  enum: (name: string, def: string, values: readonly string[], doc: string, extra?: P) => param('enum', name, def, doc, { domain: values, ...extra }),
  list: (name: string, def: unknown[] | null, doc: string, extra?: P) => param('list', name, def, doc, { nullable: def === null, ...extra }),
  dict: (name: string, def: Record<string, unknown> | null, doc: string, extra?: P) => param('dict', name, def, doc, { nullable: def === null, ...extra }),
  any: (name: string, def: unknown, doc: string, extra?: P) => param('any', name, def, doc, extra),
};

// ------------------------------------------------------------------------------- the chunks ports work on

/** Any data chunk (not markers). */
export const DATA: ChunkQuery = { onlySignals: true };
/** Data with a time axis of more than one sample: continuous or segmented (filters). */
export const TIME_SERIES: ChunkQuery = { onlySignals: true, withLongAxes: ['time'] };
/** A continuous signal: time (more than one sample), no instance axis (windows, resampling, segmentation). */
export const CONTINUOUS: ChunkQuery = { onlySignals: true, withLongAxes: ['time'], withoutAxes: ['instance'] };
/** Segmented data: instances × time (epochs, windows). */
export const SEGMENTED: ChunkQuery = { onlySignals: true, withAxes: ['instance'], withLongAxes: ['time'] };
/** Data with channels. */
export const WITH_SPACE: ChunkQuery = { onlySignals: true, withAxes: ['space'] };
/** Marker chunks. */
export const MARKERS: ChunkQuery = { onlyMarkers: true };

// ------------------------------------------------------------------------------- buffers

/** Grow-only scratch buffers: views of exactly `n` values (contents undefined). */
export class Scratch {
  private b32 = new Float32Array(0);
  private b64 = new Float64Array(0);
  f32(n: number): Float32Array {
    if (this.b32.length < n) this.b32 = new Float32Array(Math.max(n, this.b32.length * 2));
    return this.b32.length === n ? this.b32 : this.b32.subarray(0, n);
  }
  f64(n: number): Float64Array {
    if (this.b64.length < n) this.b64 = new Float64Array(Math.max(n, this.b64.length * 2));
    return this.b64.length === n ? this.b64 : this.b64.subarray(0, n);
  }
  /** Of the same float type as `like`. */
  like(like: BlockData, n: number): BlockData {
    return like instanceof Float32Array ? this.f32(n) : this.f64(n);
  }
}

/** One scratch per chunk name (a packet may carry several chunks, each needs its own output buffer). */
export class Scratches {
  private readonly byName = new Map<string, Scratch>();
  get(name: string): Scratch {
    let s = this.byName.get(name);
    if (!s) this.byName.set(name, (s = new Scratch()));
    return s;
  }
}

export function alloc(like: BlockData, n: number): BlockData {
  return like instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
}

// ------------------------------------------------------------------------------- axes and streams

/** The nominal rate of a chunk's time axis, or an InputError when it has none or it is irregular. */
export function rateOf(c: Chunk | HasAxes, who: string): number {
  const axes = 'block' in c ? c.block : c;
  const t = findAxis(axes, 'time');
  const name = 'props' in c ? `"${(c as Chunk).props.source.name}"` : 'the data';
  if (!t) throw new InputError(`needs a time axis; ${name} has ${describeAxes(axes.axes)}`, who);
  if (!(t.nominalRateHz > 0)) throw new InputError(`needs a regularly sampled stream; ${name} has no nominal rate`, who);
  return t.nominalRateHz;
}

/** The channels of a chunk's space axis, or an InputError naming the axes it has. */
export function channelsOfSpace(c: HasAxes, who: string): readonly ChannelInfo[] {
  const s = findAxis(c, 'space');
  if (!s) throw new InputError(`needs a space axis (channels), but the data has ${describeAxes(c.axes)}`, who);
  return s.channels;
}

/** Lanes along time: every element of the axes other than time and instance (channels × …). */
export function lanesAlongTime(b: HasAxes): number {
  let n = 1;
  for (const a of b.axes) if (a.type !== 'time' && a.type !== 'instance') n *= axisLength(a);
  return n;
}

/** A readable name for lane `lane` of a chunk (its channel label when the lanes are the channels). */
export function laneLabel(b: HasAxes, lane: number): string {
  const rest = b.axes.filter((a) => a.type !== 'time' && a.type !== 'instance');
  return rest.length === 1 ? (axisLabels(rest[0])[lane] ?? String(lane)) : `lane ${lane}`;
}

// ------------------------------------------------------------------------------- streaming kernels along time

/** A streaming kernel over interleaved lanes (SosFilter, LFilter): state carried between calls. */
export interface LaneKernel {
  process(input: BlockData, output: BlockData): BlockData;
  reset(): void;
}

/**
 * Runs a streaming kernel along the time axis of chunks, one kernel (state) per chunk name kept
 * while the stream continues (`sameStream`). Continuous data with time first — the ring's
 * frame-major time × space — goes straight through the kernel into a reused buffer (HOT PATH, no
 * copy). Time elsewhere: moved first and back (allocates). Segmented data (an instance axis):
 * every instance is filtered from a fresh state, as NeuroPype filters segments.
 */
export class AlongTime<K extends LaneKernel> {
  private readonly kernels: StreamStates<K>;
  private readonly out = new Scratches();
  /** `make` builds the kernel for a stream's lanes and rate; `changed`: it replaces one of another layout. */
  constructor(make: (lanes: number, rateHz: number, c: Chunk, name: string, changed: boolean) => K, who: string) {
    this.kernels = new StreamStates((c, name, previous) => make(lanesAlongTime(c.block), rateOf(c, who), c, name, previous !== undefined));
  }

  apply(c: Chunk, name: string): Chunk {
    const k = this.kernels.get(name, c);
    const b = c.block;
    const t = axisIndex(b, 'time');
    const inst = axisIndex(b, 'instance');
    if (inst < 0) {
      if (t === 0) return withData(c, k.process(b.data, this.out.get(name).like(b.data, b.data.length)));
      const moved = moveAxis(b, t, 0);
      const y = k.process(moved.data, alloc(b.data, b.data.length));
      return withBlock(c, moveAxis({ data: y, shape: moved.shape, axes: moved.axes }, 0, t));
    }
    const others = b.axes.map((_, i) => i).filter((i) => i !== inst && i !== t);
    const perm = [inst, t, ...others];
    const lay = transposeBlock(b, perm);
    const { outer, n, inner } = lanesOf(lay, 1);
    const y = alloc(b.data, b.data.length);
    const slab = n * inner;
    for (let i = 0; i < outer; i++) {
      k.reset();
      k.process(lay.data.subarray(i * slab, (i + 1) * slab), y.subarray(i * slab, (i + 1) * slab));
    }
    k.reset();
    const back = perm.map((_, d) => perm.indexOf(d));
    return withBlock(c, transposeBlock({ data: y, shape: lay.shape, axes: lay.axes }, back));
  }

  /** The kernel a chunk would get (built if needed): lets `check` validate a design against a layout. */
  prepare(c: Chunk, name: string): K {
    return this.kernels.get(name, c);
  }

  reset(): void {
    for (const [, k] of this.kernels.entries()) k.reset();
  }

  clear(): void {
    this.kernels.clear();
  }
}

/**
 * Work on whole time series: `fn` gets the channel-major float64 copy (lanes × n, SciPy's
 * [channel, sample]) of each slab along time — the whole chunk, or each instance of segmented data —
 * and returns lanes × m values (m = n, or another length with `time` giving the new time axis).
 * The result goes back into the chunk's layout and float type. Allocates (zero-phase filtering,
 * whole-recording statistics; not for the streaming path).
 */
export function wholeAlongTime(c: Chunk, fn: (cm: Float64Array, lanes: number, n: number) => Float64Array, time?: (t: TimeAxis) => TimeAxis): Chunk {
  const b = c.block;
  const t = axisIndex(b, 'time');
  const inst = axisIndex(b, 'instance');
  const others = b.axes.map((_, i) => i).filter((i) => i !== inst && i !== t);
  const perm = inst < 0 ? [t, ...others] : [inst, t, ...others];
  const lay = transposeBlock(b, perm);
  const at = inst < 0 ? 0 : 1;
  const { outer, n, inner } = lanesOf(lay, at);
  const newTime = time ? time(lay.axes[at] as TimeAxis) : (lay.axes[at] as TimeAxis);
  const m = newTime.timesMs.length;
  const y = alloc(b.data, outer * m * inner);
  const cm = new Float64Array(n * inner);
  for (let i = 0; i < outer; i++) {
    transposeInto(lay.data.subarray(i * n * inner, (i + 1) * n * inner), n, inner, cm);
    const r = fn(cm, inner, n);
    if (r.length !== m * inner) throw new Error(`kernel returned ${r.length} values, expected ${m * inner}`);
    const o = i * m * inner;
    for (let l = 0; l < inner; l++) for (let k = 0; k < m; k++) y[o + k * inner + l] = r[l * m + k];
  }
  const axes = lay.axes.slice();
  axes[at] = newTime;
  const shape = lay.shape.slice();
  shape[at] = m;
  const back = perm.map((_, d) => perm.indexOf(d));
  return withBlock(c, transposeBlock({ data: y, shape, axes }, back));
}

/**
 * Pieces of continuous chunks held per chunk name until the end of an offline run, for nodes that
 * need the whole recording at once (zero-phase filters, whole-recording statistics and spectra).
 * Copies what it holds; `take` joins each name's pieces along time (allocates).
 */
export class Held {
  private readonly byName = new Map<string, Chunk[]>();
  hold(name: string, c: Chunk): void {
    const list = this.byName.get(name);
    if (list) list.push(copyChunk(c));
    else this.byName.set(name, [copyChunk(c)]);
  }
  get size(): number {
    return this.byName.size;
  }
  take(): [string, Chunk][] {
    const out: [string, Chunk][] = [];
    for (const [name, list] of this.byName) {
      const t = axisIndex(list[0].block, 'time');
      out.push([name, { block: concatAlong(list.map((c) => c.block), t), props: list.at(-1)!.props }]);
    }
    this.byName.clear();
    return out;
  }
  clear(): void {
    this.byName.clear();
  }
}

// ------------------------------------------------------------------------------- channels

/** Resolves channel names/indices/types to indices; throws naming the missing ones. */
export function resolveChannels(channels: readonly ChannelInfo[], selection: unknown[], unit: 'names' | 'indices' | 'types', who: string, streamName = 'the stream'): number[] {
  const out: number[] = [];
  const labels = channels.map((c) => c.label);
  const missing: string[] = [];
  for (const s of selection) {
    if (unit === 'indices') {
      const i = Number(s);
      if (!Number.isInteger(i) || i < 0 || i >= labels.length) missing.push(String(s));
      else out.push(i);
    } else if (unit === 'names') {
      const name = String(s);
      let i = labels.indexOf(name);
      if (i < 0) i = labels.findIndex((l) => normLabel(l) === normLabel(name));
      if (i < 0) missing.push(name);
      else out.push(i);
    } else {
      const t = String(s).toUpperCase();
      let any = false;
      channels.forEach((c, i) => {
        if (c.type.toUpperCase() === t) {
          out.push(i);
          any = true;
        }
      });
      if (!any) missing.push(String(s));
    }
  }
  if (missing.length) {
    throw new InputError(
      `channel ${unit === 'types' ? 'type' : unit === 'indices' ? 'index' : 'label'}(s) ${missing.map((m) => `"${m}"`).join(', ')} not in stream "${streamName}" (channels: ${labels.slice(0, 12).join(', ')}${labels.length > 12 ? ', …' : ''})`,
      who,
    );
  }
  return out;
}

/** Re-exported for the nodes that import it from here (it lives in core/labels.ts since dsp/ uses it too). */
export { normLabel };

// ------------------------------------------------------------------------------- live checks

/** The layouts a port last carried (InputMeta) that match `q`, as chunk-like objects (axes and props, no data) for `check`. */
export function metaChunks(meta: InputMeta, q: ChunkQuery, port = 'data'): { name: string; chunk: Chunk }[] {
  const out: { name: string; chunk: Chunk }[] = [];
  for (const l of meta[port] ?? []) {
    const chunk: Chunk = { block: { data: new Float32Array(0), shape: [], axes: [...l.axes] }, props: l.props };
    if (chunkMatches(l.name, chunk, q)) out.push({ name: l.name, chunk });
  }
  return out;
}

// ------------------------------------------------------------------------------- markers beside data

/**
 * The marker chunks a node with a `markers` port works with: those arriving on the port when it is
 * wired, else those riding in the `data` packet (NeuroPype's way: LSLInput, ImportXDF).
 */
export function markerChunksFor(ctx: NodeContext, inputs: PortValues): Chunk[] {
  const fromPort = ctx.isWired?.('markers') ?? inputs.markers !== undefined;
  return markerChunks(fromPort ? inputs.markers : inputs.data);
}

/** The Marker values of those chunks, in order. */
export function markerValuesFor(ctx: NodeContext, inputs: PortValues): string[] {
  return markerChunksFor(ctx, inputs).flatMap((c) => markersOf(c).map((e) => e.value));
}
