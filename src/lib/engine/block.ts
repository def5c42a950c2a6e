// Blocks: an n-dimensional array (row-major, C order) with one typed axis per dimension, and the
// helpers node authors need on them: find an axis, reorder axes, select, slice, reduce, concatenate,
// run a kernel along one axis of every lane, flatten into features, and the one `sameStream` rule.
// Pure; runs anywhere. Each helper says whether it copies: "view" = no copy (shares `data`),
// "allocates" = new arrays (not for per-sample work on the acquisition path).
import { InputError } from '../core/errors';
import { axisConcat, axisLabels, axisLength, axisSingleton, axisSubset, axisUnits, featureAxis, sameAxisLayout, type Axis, type AxisOf, type AxisType } from './axes';

export type BlockData = Float32Array | Float64Array;

/**
 * `data[i0·s0 + i1·s1 + …]` with row-major strides over `shape`; `axes[d]` describes dimension d and
 * `axisLength(axes[d]) === shape[d]`. A continuous signal is time × space, which is exactly the
 * engine's FRAME-MAJOR buffer (`samples[frame · channels + channel]`).
 */
export interface Block {
  data: BlockData;
  shape: number[];
  axes: Axis[];
}

/** Something that has axes: a Block, or the layout of one a node remembers. */
export interface HasAxes {
  readonly axes: readonly Axis[];
}

function product(xs: readonly number[], from = 0, to = xs.length): number {
  let p = 1;
  for (let i = from; i < to; i++) p *= xs[i];
  return p;
}

/** A block over `data` (view) with the shape its axes give; throws when the sizes disagree. */
export function makeBlock(data: BlockData, axes: Axis[]): Block {
  const shape = axes.map(axisLength);
  const n = product(shape);
  if (data.length !== n) throw new Error(`block data holds ${data.length} values but its axes (${describeAxes(axes)}) need ${n}`);
  return { data, shape, axes };
}

/** "time (250) × space (8)". */
export function describeAxes(axes: readonly Axis[]): string {
  return axes.length ? axes.map((a) => `${a.type} (${axisLength(a)})`).join(' × ') : 'no axes';
}

/** Position of the `occurrence`-th axis of a type (0 first, 1 second, −1 last); −1 when absent. */
export function axisIndex(b: HasAxes, type: AxisType, occurrence = 0): number {
  const axes = b.axes;
  if (occurrence < 0) {
    for (let d = axes.length - 1, seen = -1; d >= 0; d--) if (axes[d].type === type && seen-- === occurrence) return d;
    return -1;
  }
  for (let d = 0, seen = 0; d < axes.length; d++) if (axes[d].type === type && seen++ === occurrence) return d;
  return -1;
}

export function findAxis<T extends AxisType>(b: HasAxes, type: T, occurrence = 0): AxisOf<T> | undefined {
  const d = axisIndex(b, type, occurrence);
  return d < 0 ? undefined : (b.axes[d] as AxisOf<T>);
}

/** The axis a node works on, or an InputError naming what the chunk has instead. */
export function requireAxis<T extends AxisType>(b: HasAxes, type: T, who: string, occurrence = 0): { index: number; axis: AxisOf<T> } {
  const index = axisIndex(b, type, occurrence);
  if (index < 0) {
    const which = occurrence === 0 ? `a ${type} axis` : `${type} axis occurrence ${occurrence}`;
    throw new InputError(`needs ${which}, but the data has ${describeAxes(b.axes)}`, who);
  }
  return { index, axis: b.axes[index] as AxisOf<T> };
}

/** Row-major strides (in elements). */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  for (let d = shape.length - 1, acc = 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/**
 * How one axis splits the data into lanes: element k of lane (o, i) is at `(o · n + k) · inner + i`
 * for o < outer, i < inner. With the axis first (`outer` 1) the data is frame-major n × inner, as
 * the streaming kernels (SosFilter, LFilter) take it; instance × time × space along time gives
 * `outer` instances of frame-major time × space.
 */
export function lanesOf(b: { shape: readonly number[] }, axis: number): { outer: number; n: number; inner: number } {
  return { outer: product(b.shape, 0, axis), n: b.shape[axis], inner: product(b.shape, axis + 1) };
}

/** The item axis of a chunk: its instance axis, else its time axis; −1 when it has neither. */
export function itemAxisIndex(b: HasAxes): number {
  const i = axisIndex(b, 'instance');
  return i >= 0 ? i : axisIndex(b, 'time');
}

function alloc(like: BlockData, n: number): BlockData {
  return like instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
}

// ------------------------------------------------------------------------------- reordering

/**
 * The block with dimension `perm[d]` of `b` as its dimension d. View when `perm` is the identity;
 * otherwise allocates and copies (2-D in cache-friendly tiles).
 */
export function transposeBlock(b: Block, perm: readonly number[]): Block {
  const nd = b.shape.length;
  if (perm.length !== nd || [...perm].sort((x, y) => x - y).some((v, i) => v !== i)) throw new Error(`[${perm.join(', ')}] is not a permutation of ${nd} axes`);
  if (perm.every((v, i) => v === i)) return b;
  const shape = perm.map((p) => b.shape[p]);
  const axes = perm.map((p) => b.axes[p]);
  const out = alloc(b.data, b.data.length);
  const x = b.data;
  if (nd === 2) {
    // out[j, i] = x[i, j]: 32 × 32 tiles
    const [rows, cols] = b.shape;
    const B = 32;
    for (let i0 = 0; i0 < rows; i0 += B) {
      const i1 = Math.min(rows, i0 + B);
      for (let j0 = 0; j0 < cols; j0 += B) {
        const j1 = Math.min(cols, j0 + B);
        for (let j = j0; j < j1; j++) for (let i = i0; i < i1; i++) out[j * rows + i] = x[i * cols + j];
      }
    }
    return { data: out, shape, axes };
  }
  const inStrides = stridesOf(b.shape);
  const step = perm.map((p) => inStrides[p]);
  const idx = new Array<number>(nd).fill(0);
  const last = nd - 1;
  const runLen = shape[last];
  const runStep = step[last];
  let src = 0;
  for (let o = 0; o < out.length; o += runLen) {
    for (let k = 0, s = src; k < runLen; k++, s += runStep) out[o + k] = x[s];
    // odometer over the dimensions before the last
    for (let d = last - 1; d >= 0; d--) {
      idx[d]++;
      src += step[d];
      if (idx[d] < shape[d]) break;
      src -= step[d] * shape[d];
      idx[d] = 0;
    }
  }
  return { data: out, shape, axes };
}

/** Moves dimension `from` to position `to` (NumPy moveaxis). View when from === to. */
export function moveAxis(b: Block, from: number, to: number): Block {
  const perm = b.shape.map((_, i) => i).filter((i) => i !== from);
  perm.splice(to, 0, from);
  return transposeBlock(b, perm);
}

/**
 * The block with its axes in the order given by type, NeuroPype's `block[space, time]`; `'...'`
 * stands for every axis not named, in its current order (`[..., 'time']` puts time last). Each type
 * names its first axis of that type. View when the order already matches; otherwise allocates.
 */
export function viewAs(b: Block, order: readonly (AxisType | '...')[], who = 'viewAs'): Block {
  const named: number[] = [];
  for (const t of order) {
    if (t === '...') continue;
    const d = b.axes.findIndex((a, i) => a.type === t && !named.includes(i));
    if (d < 0) throw new InputError(`needs a ${t} axis, but the data has ${describeAxes(b.axes)}`, who);
    named.push(d);
  }
  const rest = b.axes.map((_, i) => i).filter((i) => !named.includes(i));
  const dots = order.indexOf('...');
  if (dots < 0 && rest.length) throw new InputError(`axis order [${order.join(', ')}] leaves out ${rest.map((i) => b.axes[i].type).join(', ')}; add '...' for the others`, who);
  const perm: number[] = [];
  let k = 0;
  for (const t of order) {
    if (t === '...') perm.push(...rest);
    else perm.push(named[k++]);
  }
  return transposeBlock(b, perm);
}

// ------------------------------------------------------------------------------- selecting and slicing

/** Elements `indices` along dimension `axis`; the axis's arrays are subset with the data. Allocates. */
export function selectAlong(b: Block, axis: number, indices: ArrayLike<number>): Block {
  const { outer, n, inner } = lanesOf(b, axis);
  const m = indices.length;
  for (let k = 0; k < m; k++) if (!(indices[k] >= 0 && indices[k] < n)) throw new Error(`index ${indices[k]} outside the ${b.axes[axis].type} axis (${n} elements)`);
  const out = alloc(b.data, outer * m * inner);
  const x = b.data;
  if (inner === 1) {
    // the last axis (channels of time × space): element by element
    for (let o = 0; o < outer; o++) for (let k = 0; k < m; k++) out[o * m + k] = x[o * n + indices[k]];
  } else {
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < m; k++) {
        const src = (o * n + indices[k]) * inner;
        out.set(x.subarray(src, src + inner), (o * m + k) * inner);
      }
    }
  }
  const shape = b.shape.slice();
  shape[axis] = m;
  const axes = b.axes.slice();
  axes[axis] = axisSubset(b.axes[axis], indices);
  return { data: out, shape, axes };
}

/** Elements [start, end) along dimension `axis`. View when `axis` is the first dimension; otherwise allocates. */
export function sliceAlong(b: Block, axis: number, start: number, end: number): Block {
  const { outer, n, inner } = lanesOf(b, axis);
  const s = Math.max(0, Math.min(n, start));
  const e = Math.max(s, Math.min(n, end));
  const idx = Array.from({ length: e - s }, (_, i) => s + i);
  const axes = b.axes.slice();
  axes[axis] = sliceAxis(b.axes[axis], s, e);
  const shape = b.shape.slice();
  shape[axis] = e - s;
  if (outer === 1) return { data: b.data.subarray(s * inner, e * inner), shape, axes };
  return { ...selectAlong(b, axis, idx), axes };
}

/** Elements [start, end) of an axis; time and instance times are views. */
function sliceAxis(a: Axis, start: number, end: number): Axis {
  if (a.type === 'time') return { ...a, timesMs: a.timesMs.subarray(start, end) };
  return axisSubset(a, Array.from({ length: end - start }, (_, i) => start + i));
}

// ------------------------------------------------------------------------------- reducing

/** What a reduction does with the reduced axis: NeuroPype's keep_axis / force_feature_axis. */
export type ReduceMode = 'singleton' | 'drop' | 'feature';

/**
 * Reduces every lane along dimension `axis` to one number with `fn` (the lane is copied into a
 * float64 scratch first, so `fn` sees contiguous float64 values). The reduced axis becomes a
 * one-element axis of the same type ('singleton', NeuroPype's default), disappears ('drop',
 * `keep_axis` false) or becomes a one-element feature axis named `label` ('feature',
 * `force_feature_axis`). The output keeps the input's float type. Allocates.
 */
export function reduceAlong(b: Block, axis: number, fn: (lane: Float64Array) => number, mode: ReduceMode = 'singleton', label = 'value'): Block {
  const { outer, n, inner } = lanesOf(b, axis);
  const out = alloc(b.data, outer * inner);
  const lane = new Float64Array(n);
  const x = b.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      for (let k = 0, s = o * n * inner + i; k < n; k++, s += inner) lane[k] = x[s];
      out[o * inner + i] = fn(lane);
    }
  }
  const axes = b.axes.slice();
  const shape = b.shape.slice();
  if (mode === 'drop') {
    axes.splice(axis, 1);
    shape.splice(axis, 1);
  } else {
    axes[axis] = mode === 'feature' ? featureAxis([label]) : axisSingleton(b.axes[axis], label);
    shape[axis] = 1;
  }
  return { data: out, shape, axes };
}

/** Removes a one-element dimension (StripSingletonAxis). View. */
export function dropSingleton(b: Block, axis: number): Block {
  if (b.shape[axis] !== 1) throw new Error(`the ${b.axes[axis].type} axis has ${b.shape[axis]} elements, not 1`);
  const axes = b.axes.slice();
  const shape = b.shape.slice();
  axes.splice(axis, 1);
  shape.splice(axis, 1);
  return { data: b.data, shape, axes };
}

// ------------------------------------------------------------------------------- joining

/**
 * Blocks joined along dimension `axis` (NeuroPype `concat`): every other dimension must match;
 * the joined axis is the concatenation of theirs, the others come from the first block. The
 * result is float64 if any part is. Allocates (returns the only block unchanged).
 */
export function concatAlong(list: readonly Block[], axis: number): Block {
  if (!list.length) throw new Error('nothing to join');
  if (list.length === 1) return list[0];
  const first = list[0];
  for (const b of list) {
    if (b.shape.length !== first.shape.length || b.shape.some((v, d) => d !== axis && v !== first.shape[d]))
      throw new InputError(`cannot join blocks of ${describeAxes(first.axes)} and ${describeAxes(b.axes)} along ${first.axes[axis].type}`);
  }
  const outer = product(first.shape, 0, axis);
  const inner = product(first.shape, axis + 1);
  const total = list.reduce((s, b) => s + b.shape[axis], 0);
  const out = list.some((b) => b.data instanceof Float64Array) ? new Float64Array(outer * total * inner) : new Float32Array(outer * total * inner);
  for (let o = 0; o < outer; o++) {
    let at = o * total * inner;
    for (const b of list) {
      const len = b.shape[axis] * inner;
      out.set(b.data.subarray(o * len, o * len + len), at);
      at += len;
    }
  }
  const shape = first.shape.slice();
  shape[axis] = total;
  const axes = first.axes.slice();
  axes[axis] = axisConcat(list.map((b) => b.axes[axis]));
  return { data: out, shape, axes };
}

// ------------------------------------------------------------------------------- kernels along an axis

/**
 * Runs `kernel(input, output)` on every lane along dimension `axis` (e.g. a filter along time of
 * every instance and channel): the lane is gathered into a contiguous float64 array and the result
 * scattered back. `outAxis` replaces the axis when the kernel changes its length (a spectrum: time
 * → frequency); default: same axis, same length. General path; kernels with a frame-major fast path
 * should use `lanesOf` instead. Allocates the output and two lane buffers.
 */
export function applyAlong(b: Block, axis: number, kernel: (input: Float64Array, output: Float64Array) => void, outAxis: Axis = b.axes[axis]): Block {
  const { outer, n, inner } = lanesOf(b, axis);
  const m = axisLength(outAxis);
  const out = alloc(b.data, outer * m * inner);
  const lane = new Float64Array(n);
  const res = new Float64Array(m);
  const x = b.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      for (let k = 0, s = o * n * inner + i; k < n; k++, s += inner) lane[k] = x[s];
      kernel(lane, res);
      for (let k = 0, s = o * m * inner + i; k < m; k++, s += inner) out[s] = res[k];
    }
  }
  const axes = b.axes.slice();
  axes[axis] = outAxis;
  const shape = b.shape.slice();
  shape[axis] = m;
  return { data: out, shape, axes };
}

// ------------------------------------------------------------------------------- features

/**
 * Learners' view: the item axis (instance, else time) first, every other axis flattened into one
 * feature axis whose names join the element labels of the non-singleton axes with ":" ("C3:alpha"),
 * in row-major order of those axes. A block without instance or time axis becomes one feature
 * vector (1-D). View when the block already is item × feature (or item × one axis); else allocates.
 */
export function flattenFeatures(b: Block): Block {
  const item = itemAxisIndex(b);
  const moved = item > 0 ? moveAxis(b, item, 0) : b;
  const rest = item >= 0 ? moved.axes.slice(1) : moved.axes;
  const head = item >= 0 ? [moved.axes[0]] : [];
  if (rest.length === 1 && rest[0].type === 'feature') return moved;
  // singleton axes add nothing to a name, unless every axis is one
  const anyLong = rest.some((a) => axisLength(a) !== 1);
  const all = rest.map((a) => ({ n: axisLength(a), labels: axisLabels(a), units: axisUnits(a), shown: !anyLong || axisLength(a) !== 1 }));
  const count = product(rest.map(axisLength));
  const names: string[] = new Array(count);
  const units: string[] = new Array(count);
  const idx = new Array<number>(rest.length).fill(0);
  for (let f = 0; f < count; f++) {
    const label: string[] = [];
    let unit = '';
    for (let d = 0; d < rest.length; d++) {
      if (!all[d].shown) continue;
      label.push(all[d].labels[idx[d]]);
      if (all[d].units[idx[d]]) unit = all[d].units[idx[d]];
    }
    names[f] = label.join(':');
    units[f] = unit;
    for (let d = rest.length - 1; d >= 0; d--) {
      if (++idx[d] < all[d].n) break;
      idx[d] = 0;
    }
  }
  const axes = [...head, featureAxis(names, units)];
  return { data: moved.data, shape: axes.map(axisLength), axes };
}

// ------------------------------------------------------------------------------- the stream rule

/**
 * The one rule every stateful node uses to decide whether a chunk continues the stream its state
 * belongs to: the same axis types in the same order and, per axis, the same layout — nominal rate
 * (time), channels (space), frequencies, feature names, lags, lengths of plain axes. Time stamps
 * and instances are not compared (they change from chunk to chunk), and neither is object
 * identity: an upstream node that builds a new but equal space axis keeps the state going. Cheap
 * when the axes are the same objects (the usual case on the hot path).
 */
export function sameStream(a: HasAxes, b: HasAxes): boolean {
  const x = a.axes;
  const y = b.axes;
  if (x === y) return true;
  if (x.length !== y.length) return false;
  for (let d = 0; d < x.length; d++) if (!sameAxisLayout(x[d], y[d])) return false;
  return true;
}
