// Channel node classes: SelectRange along any axis (channels by label, index or type; frequencies by
// Hz; times by seconds; anything by index), re-reference (common average, chosen channels, linked
// mastoids), bipolar derivations. Engine worker / Node.
// HOT PATH: the per-frame channel maps work on the space axis in place when it is the last axis
// (time × space, instance × time × space), reuse their output buffer, and cache the plan per stream.
import { InputError } from '../../core/errors';
import type { ChannelInfo } from '../../core/stream';
import { axisLength, axisSubset, spaceAxis, type Axis, type AxisType, type SpaceAxis } from '../axes';
import { axisIndex, moveAxis, selectAlong, type Block } from '../block';
import { mapChunks, StreamStates, withBlock, type Chunk, type ChunkQuery } from '../packet';
import { mapShapes, markSingleton, sameAs, AXIS_PARAM_DOMAIN } from '../shapes';
import type { InputMeta, NodeClass, NodeInstance } from '../types';
import { alloc, input, metaChunks, np, output, p, resolveChannels, Scratches, WITH_SPACE } from './common';

/**
 * A per-frame map over the space axis (select, re-reference, bipolar): `build` makes the plan and
 * the output channels for a stream's channels (cached per chunk name while the stream continues),
 * `apply` maps `rows` frames of inCh values to outCh values. Space last: straight on the data;
 * elsewhere: moved last and back (allocates).
 */
function channelMapNode<Plan>(
  build: (space: SpaceAxis, c: Chunk) => { plan: Plan; space: SpaceAxis | null },
  apply: (plan: Plan, x: Block['data'], y: Block['data'], rows: number, inCh: number, outCh: number) => void,
  who: string,
): NodeInstance {
  interface State {
    plan: Plan;
    space: SpaceAxis;
    inAxes: readonly Axis[] | null;
    outAxes: Axis[];
  }
  const states = new StreamStates<State>((c) => {
    const s = c.block.axes[axisIndex(c.block, 'space')] as SpaceAxis;
    const { plan, space } = build(s, c);
    return { plan, space: space ?? s, inAxes: null, outAxes: [] };
  });
  const out = new Scratches();
  const map = (c: Chunk, name: string): Chunk => {
    const st = states.get(name, c);
    const b = c.block;
    const d = axisIndex(b, 'space');
    if (d < 0) throw new InputError('needs a space axis (channels)', who);
    if (st.inAxes !== b.axes) {
      st.inAxes = b.axes;
      st.outAxes = b.axes.map((a, i) => (i === d ? st.space : a));
    }
    const inCh = b.shape[d];
    const outCh = st.space.channels.length;
    if (d === b.shape.length - 1) {
      const rows = inCh ? b.data.length / inCh : 0;
      const y = out.get(name).like(b.data, rows * outCh);
      apply(st.plan, b.data, y, rows, inCh, outCh);
      const shape = b.shape.slice();
      shape[d] = outCh;
      return withBlock(c, { data: y, shape, axes: st.outAxes });
    }
    const last = moveAxis(b, d, b.shape.length - 1);
    const rows = inCh ? last.data.length / inCh : 0;
    const y = alloc(b.data, rows * outCh);
    apply(st.plan, last.data, y, rows, inCh, outCh);
    const shape = last.shape.slice();
    shape[shape.length - 1] = outCh;
    const axes = last.axes.slice();
    axes[axes.length - 1] = st.space;
    return withBlock(c, moveAxis({ data: y, shape, axes }, b.shape.length - 1, d));
  };
  return {
    process(inputs) {
      const r = mapChunks(inputs.data, [WITH_SPACE], map);
      return r ? { data: r } : undefined;
    },
    check(meta: InputMeta) {
      for (const { chunk } of metaChunks(meta, WITH_SPACE)) build(chunk.block.axes[axisIndex(chunk.block, 'space')] as SpaceAxis, chunk);
    },
    reset() {},
  };
}

const SPACE_IN = (doc: string) => input('data', [WITH_SPACE], doc, { hint: 'this node works on channels: the data needs a space axis' });
const SPACE_OUT = (doc: string) => output('data', sameAs('data'), doc);

// ------------------------------------------------------------------------------- select

/** "a:b" (Python slice), "a...b" (inclusive), ":", "3", "-2:" over n items, step 1. */
export function parseRange(s: string, n: number, who: string): number[] {
  const t = s.trim();
  const m = /^(-?\d*)\s*:\s*(-?\d*)$/.exec(t);
  const norm = (v: string, def: number) => (v === '' ? def : Math.max(0, Math.min(n, Number(v) < 0 ? n + Number(v) : Number(v))));
  if (m) {
    const a = norm(m[1], 0);
    const b = norm(m[2], n);
    return Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);
  }
  const inc = /^(-?\d+)\s*\.\.\.\s*(-?\d+)$/.exec(t);
  if (inc) {
    const a = norm(inc[1], 0);
    const b = Math.min(n - 1, Number(inc[2]) < 0 ? n + Number(inc[2]) : Number(inc[2]));
    return Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);
  }
  if (/^-?\d+$/.test(t)) {
    const i = Number(t) < 0 ? n + Number(t) : Number(t);
    if (i < 0 || i >= n) throw new InputError(`index ${t} outside 0..${n - 1}`, who);
    return [i];
  }
  throw new InputError(`range "${s}" is not of the form "start:stop" or "first...last"`, who);
}

const VALUE_RANGE = /^\s*(-?[\d.eE+-]+)\s*\.\.\.\s*(-?[\d.eE+-]+)\s*$/;

/** The indices SelectRange keeps along one axis, for its selection and unit. */
export function selectionIndices(axis: Axis, sel: string | unknown[], unit: string, who: string, streamName = 'the stream'): number[] {
  const n = axisLength(axis);
  const values = axis.type === 'frequency' ? axis.frequenciesHz : axis.type === 'time' ? axis.timesMs : undefined;
  const scale = axis.type === 'time' ? 1000 : 1; // time selections are in seconds, the axis in ms
  if ((unit === 'Hz' || unit === 'seconds') && values) {
    if (typeof sel === 'string') {
      const m = VALUE_RANGE.exec(sel);
      if (!m) throw new InputError(`a selection in ${unit} must look like "8...13", got "${sel}"`, who);
      const lo = Number(m[1]) * scale;
      const hi = Number(m[2]) * scale;
      const eps = 1e-9 * Math.max(1, Math.abs(hi));
      const idx: number[] = [];
      values.forEach((v, k) => v >= lo - eps && v <= hi + eps && idx.push(k));
      return idx;
    }
    return sel.map((v) => {
      const k = values.findIndex((f) => Math.abs(f - Number(v) * scale) < 1e-9 * Math.max(1, Math.abs(f)));
      if (k < 0) throw new InputError(`${v} ${unit} is not an element of the ${axis.type} axis`, who);
      return k;
    });
  }
  if (unit === 'Hz' || unit === 'seconds') throw new InputError(`unit "${unit}" needs a ${unit === 'Hz' ? 'frequency' : 'time'} axis, not ${axis.type}`, who);
  if (typeof sel === 'string') {
    const m = VALUE_RANGE.exec(sel);
    if (m && axis.type === 'frequency') return selectionIndices(axis, sel, 'Hz', who, streamName);
    return parseRange(sel, n, who);
  }
  if (axis.type === 'space') return resolveChannels(axis.channels, sel, unit === 'types' ? 'types' : unit === 'indices' ? 'indices' : 'names', who, streamName);
  if (axis.type === 'feature' && unit === 'names') {
    return sel.map((v) => {
      const k = axis.names.indexOf(String(v));
      if (k < 0) throw new InputError(`feature "${v}" not in ${axis.names.slice(0, 12).join(', ')}`, who);
      return k;
    });
  }
  return sel.map((v) => {
    const k = Number(v);
    if (!Number.isInteger(k) || k < -n || k >= n) throw new InputError(`index ${JSON.stringify(v)} outside the ${axis.type} axis (0..${n - 1})`, who);
    return k < 0 ? n + k : k;
  });
}

/** Whether a selection certainly keeps one element (a one-element list, or one index). */
function selectsOne(sel: unknown): boolean {
  return (Array.isArray(sel) && sel.length === 1) || (typeof sel === 'string' && /^\s*-?\d+\s*$/.test(sel));
}

const selectAccepts = (params: Readonly<Record<string, unknown>>): ChunkQuery[] => [{ onlySignals: true, withAxes: [params.axis as AxisType] }];
/** What SelectRange's input takes: any data chunk, since NeuroPype's SelectRange only touches the chunks that have the axis. */
const SELECT_IN: ChunkQuery[] = [{ onlySignals: true }];

export const selectChannels: NodeClass = {
  type: 'channels.select',
  package: 'channels',
  title: 'Select range (channels, frequencies, times …)',
  version: '1.1.0',
  neuropype: np('SelectRange', 'tensor_math'),
  doc: `NeuroPype's SelectRange: keeps the chosen elements of one axis of every data chunk that has it,
in the order given; every array of the axis (labels, positions, times, instance fields) follows.

- **in/out \`data\`**: chunks with the axis named by **axis**; data chunks without it pass through
  unchanged, as in NeuroPype (a SelectRange on frequency placed before any spectrum keeps the signal).
- **axis**: space (channels, the default here) | frequency | time | instance | feature | … .
- **selection**: a list, or a range string: "a:b" (Python slice, e.g. "0:8", ":", ":-6"), "a...b"
  (inclusive indices), "-1" (the last, kept as a one-element axis), or with **unit** Hz / seconds
  "lo...hi" (the elements whose frequency or time lies in [lo, hi], ends included; times in seconds,
  relative to the segment after segmentation).
- **unit**: names (channel labels, feature names) | indices | types (channel types) | Hz | seconds.
  Label matching ignores case and EDF padding dots ("C3.." = "C3").`,
  inputs: [input('data', SELECT_IN, 'Data; the chunks with the selected axis are cut.', { hint: 'wire a data stream (not only markers)' })],
  outputs: [
    output(
      'data',
      mapShapes('data', selectAccepts, (s, params) => (selectsOne(params.selection) ? markSingleton(s, params.axis as AxisType) : s)),
      'Only the selected elements.',
    ),
  ],
  params: [
    p.any('selection', ':', 'What to keep: a list, an index range ("0:8", ":", "0...7"), or a value range "8...13" (unit Hz / seconds).'),
    p.enum('unit', 'names', ['names', 'indices', 'types', 'Hz', 'seconds'], 'How selection items are read.'),
    p.enum('axis', 'space', AXIS_PARAM_DOMAIN, 'Axis to select on.'),
    p.bool('apply_multiple_axes', false, 'Accepted for NeuroPype compatibility (one axis is selected).'),
  ],
  create(params, ctx) {
    const sel = params.selection;
    if (!(typeof sel === 'string' || Array.isArray(sel))) throw new InputError('selection must be a list or a range string like "0:8"', ctx.nodeId);
    const axisType = params.axis as AxisType;
    const unit = params.unit as string;
    if (axisType === 'space') {
      return channelMapNode(
        (space, c) => {
          const idx = selectionIndices(space, sel, unit, ctx.nodeId, c.props.source.name);
          if (!idx.length) throw new InputError('selection keeps no channel', ctx.nodeId);
          return { plan: Int32Array.from(idx), space: axisSubset(space, idx) as SpaceAxis };
        },
        (idx, x, y, rows, inCh, outCh) => {
          for (let n = 0; n < rows; n++) {
            const xo = n * inCh;
            const yo = n * outCh;
            for (let k = 0; k < outCh; k++) y[yo + k] = x[xo + idx[k]];
          }
        },
        ctx.nodeId,
      );
    }
    // other axes: cached indices per axis object
    let cached: { axis: Axis; idx: number[] } | undefined;
    return {
      process(inputs) {
        const out = mapChunks(inputs.data, selectAccepts(params), (c) => {
          const d = axisIndex(c.block, axisType);
          const a = c.block.axes[d];
          if (cached?.axis !== a) {
            const idx = selectionIndices(a, sel, unit, ctx.nodeId, c.props.source.name);
            if (!idx.length) throw new InputError(`selection ${JSON.stringify(sel)} keeps no ${axisType === 'frequency' ? 'bin' : 'element'} of the ${axisType} axis`, ctx.nodeId);
            cached = { axis: a, idx };
          }
          return withBlock(c, selectAlong(c.block, d, cached.idx));
        });
        return out ? { data: out } : undefined;
      },
      reset() {},
    };
  },
};

// ------------------------------------------------------------------------------- re-reference

export const rereference: NodeClass = {
  type: 'channels.rereference',
  package: 'channels',
  title: 'Re-reference',
  version: '1.1.0',
  neuropype: np('Rereferencing', 'signal_processing'),
  doc: `Subtracts a reference from every channel, frame by frame (no state, chunk-invariant).

- **in/out \`data\`**: chunks with a space axis (continuous or segmented).
- **mode**: average (common average of the reference channels; MNE \`set_eeg_reference('average')\`),
  channels (mean of \`reference_channels\`), linked-mastoids (mean of the two mastoid channels, M1/M2
  or A1/A2 or TP9/TP10 unless \`reference_channels\` names them).
- **reference_channels** (list of labels): the reference set; for average, empty = all channels of
  type EEG (or all channels if none is typed EEG).
- **estimator**: mean | median (median only for average).
- **exclude** (list of labels): channels left untouched (e.g. EOG).`,
  inputs: [SPACE_IN('Signal to re-reference.')],
  outputs: [SPACE_OUT('Re-referenced signal (same channels).')],
  params: [
    p.enum('mode', 'average', ['average', 'channels', 'linked-mastoids'], 'Reference.'),
    p.list('reference_channels', [], 'Reference channel labels.', { items: 'string' }),
    p.enum('estimator', 'mean', ['mean', 'median'], 'How the reference is formed from its channels.'),
    p.list('exclude', [], 'Channel labels not re-referenced.', { items: 'string' }),
  ],
  create(params, ctx) {
    const mode = params.mode as string;
    const median = params.estimator === 'median';
    const build = (space: SpaceAxis, c: Chunk) => {
      const channels = space.channels;
      const name = c.props.source.name;
      const names = params.reference_channels as string[];
      let ref: number[];
      if (mode === 'channels') {
        if (!names.length) throw new InputError('mode "channels" needs reference_channels', ctx.nodeId);
        ref = resolveChannels(channels, names, 'names', ctx.nodeId, name);
      } else if (mode === 'linked-mastoids') {
        if (names.length) ref = resolveChannels(channels, names, 'names', ctx.nodeId, name);
        else {
          const pairs = [['M1', 'M2'], ['A1', 'A2'], ['TP9', 'TP10']];
          const found = pairs.map((pr) => pr.map((l) => channels.findIndex((x) => x.label.replace(/[.\s]+$/, '').toUpperCase() === l))).find((ix) => ix.every((i) => i >= 0));
          if (!found) throw new InputError(`no mastoid pair (M1/M2, A1/A2, TP9/TP10) in stream "${name}"; set reference_channels`, ctx.nodeId);
          ref = found;
        }
      } else {
        ref = names.length ? resolveChannels(channels, names, 'names', ctx.nodeId, name) : channels.map((x, i) => (x.type.toUpperCase() === 'EEG' ? i : -1)).filter((i) => i >= 0);
        if (!ref.length) ref = channels.map((_, i) => i);
      }
      const excluded = new Set(resolveChannels(channels, params.exclude as string[], 'names', ctx.nodeId, name));
      const apply = channels.map((_, i) => !excluded.has(i));
      return { plan: { ref: Int32Array.from(ref), apply, tmp: new Float64Array(ref.length) }, space: null };
    };
    return channelMapNode(
      build,
      (plan, x, y, frames, ch) => {
        const { ref, apply, tmp } = plan;
        const nr = ref.length;
        if (!median && nr === ch && apply.every(Boolean)) {
          // common average over every channel: the hot case, branch-free inner loops
          const inv = 1 / ch;
          for (let n = 0; n < frames; n++) {
            const o = n * ch;
            let r = 0;
            for (let c = 0; c < ch; c++) r += x[o + c];
            r *= inv;
            for (let c = 0; c < ch; c++) y[o + c] = x[o + c] - r;
          }
          return;
        }
        for (let n = 0; n < frames; n++) {
          const o = n * ch;
          let r = 0;
          if (median) {
            for (let k = 0; k < nr; k++) tmp[k] = x[o + ref[k]];
            tmp.sort();
            r = nr % 2 ? tmp[(nr - 1) >> 1] : 0.5 * (tmp[nr / 2 - 1] + tmp[nr / 2]);
          } else {
            for (let k = 0; k < nr; k++) r += x[o + ref[k]];
            r /= nr;
          }
          for (let c = 0; c < ch; c++) y[o + c] = apply[c] ? x[o + c] - r : x[o + c];
        }
      },
      ctx.nodeId,
    );
  },
};

// ------------------------------------------------------------------------------- bipolar

export const bipolar: NodeClass = {
  type: 'channels.bipolar',
  package: 'channels',
  title: 'Bipolar derivations',
  version: '1.1.0',
  doc: `Builds bipolar channels A − B (e.g. the double banana "Fp1-F7").

- **in \`data\`**: chunks with a space axis; **out \`data\`**: one channel per pair, labelled "A-B".
- **pairs** (list): "A-B" strings or [A, B] label pairs.`,
  inputs: [SPACE_IN('Referential signal.')],
  outputs: [SPACE_OUT('Bipolar channels.')],
  params: [p.list('pairs', [], 'Derivations as "A-B" or [A, B].')],
  create(params, ctx) {
    const pairs = (params.pairs as unknown[]).map((pr, i) => {
      if (typeof pr === 'string') {
        const k = pr.indexOf('-', 1);
        if (k < 0) throw new InputError(`pair ${i} "${pr}" is not of the form "A-B"`, ctx.nodeId);
        return [pr.slice(0, k), pr.slice(k + 1)];
      }
      if (Array.isArray(pr) && pr.length === 2 && pr.every((x) => typeof x === 'string')) return pr as string[];
      throw new InputError(`pair ${i} must be "A-B" or [A, B]`, ctx.nodeId);
    });
    if (!pairs.length) throw new InputError('pairs is empty: give at least one "A-B" derivation', ctx.nodeId);
    return channelMapNode(
      ({ channels }, c) => {
        const a = resolveChannels(channels, pairs.map((x) => x[0]), 'names', ctx.nodeId, c.props.source.name);
        const b = resolveChannels(channels, pairs.map((x) => x[1]), 'names', ctx.nodeId, c.props.source.name);
        const out: ChannelInfo[] = pairs.map((pr, i) => ({ ...channels[a[i]], label: `${pr[0]}-${pr[1]}` }));
        return { plan: { a: Int32Array.from(a), b: Int32Array.from(b) }, space: spaceAxis(out) };
      },
      ({ a, b }, x, y, frames, inCh, outCh) => {
        for (let n = 0; n < frames; n++) for (let k = 0; k < outCh; k++) y[n * outCh + k] = x[n * inCh + a[k]] - x[n * inCh + b[k]];
      },
      ctx.nodeId,
    );
  },
};

