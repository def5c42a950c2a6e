// Channel node classes: select (by label, index or type), re-reference (common average, chosen
// channels, linked mastoids), bipolar derivations. Engine worker / Node.
// HOT PATH: process() reuses its output buffer and caches the channel plan per stream descriptor.
import { InputError } from '../../core/errors';
import type { ChannelInfo, StreamDescriptor } from '../../core/stream';
import { withChannels } from '../packets';
import type { EpochsPacket, FramesPacket, InputMeta, NodeClass, NodeInstance, Packet, PortValues, SpectrumPacket } from '../types';
import { input, metaStream, np, output, p, resolveChannels, samplesOf, Scratch32, withSamples } from './common';

const FRAME_KINDS = ['signal', 'features', 'epochs'] as const;

/** Applies a per-frame channel map to signal/features/epochs packets, caching per descriptor. */
function channelMapNode<Plan>(
  build: (stream: StreamDescriptor) => { plan: Plan; out: StreamDescriptor },
  apply: (plan: Plan, x: Float32Array, y: Float32Array, frames: number, inCh: number, outCh: number) => void,
) {
  let cached: { src: StreamDescriptor; plan: Plan; out: StreamDescriptor } | undefined;
  const scratch = new Scratch32();
  const get = (s: StreamDescriptor) => {
    if (!cached || cached.src !== s) cached = { src: s, ...build(s) };
    return cached;
  };
  return {
    process(inputs: PortValues): PortValues | undefined {
      const d = inputs.data as Packet | undefined;
      if (!d) return;
      if (d.kind === 'epochs') {
        const c = get(d.stream);
        const inCh = d.stream.channels.length;
        const outCh = c.out.channels.length;
        const items = d.items.map((e) => {
          const y = new Float32Array(e.frames * outCh);
          apply(c.plan, e.samples, y, e.frames, inCh, outCh);
          return { ...e, samples: y };
        });
        return { data: { kind: 'epochs', stream: c.out, items } satisfies EpochsPacket };
      }
      const f = d as FramesPacket;
      const c = get(f.stream);
      const outCh = c.out.channels.length;
      const y = scratch.view(f.frames * outCh);
      apply(c.plan, samplesOf(f), y, f.frames, f.stream.channels.length, outCh);
      return { data: withSamples(f, y, c.out) };
    },
    check(meta: InputMeta) {
      const s = metaStream(meta);
      if (s) build(s);
    },
    reset() {},
  };
}

// ------------------------------------------------------------------------------- select

export const selectChannels: NodeClass = {
  type: 'channels.select',
  package: 'channels',
  title: 'Select channels (or frequencies)',
  version: '1.0.0',
  neuropype: np('SelectRange', 'tensor_math'),
  doc: `Keeps the chosen channels, in the order given (NeuroPype's SelectRange on the space axis), or
the chosen frequency bins of a spectrum (SelectRange on the frequency axis).

- **in/out \`data\`** (signal | features | epochs | spectrum).
- **selection** (list, or a NeuroPype range string): axis space — labels, indices or types, or an
  index range like ":" / "2:10"; axis frequency — "lo...hi" in Hz (bins with lo ≤ f ≤ hi; unit Hz)
  or an index range "a:b" (unit indices).
- **unit**: names | indices | types | Hz. Label matching ignores case and EDF padding dots ("C3.." = "C3").
- **axis**: space (channels) | frequency (spectrum bins).`,
  inputs: [input('data', [...FRAME_KINDS, 'spectrum'], 'Data with channels, or spectra.')],
  outputs: [output('data', { sameAs: 'data' }, 'Only the selected channels / bins.')],
  params: [
    p.any('selection', ':', 'What to keep: a list, a Python-style index range ("0:8", ":"), or a Hz range "8...13".'),
    p.enum('unit', 'names', ['names', 'indices', 'types', 'Hz'], 'How selection items are read.'),
    p.enum('axis', 'space', ['space', 'frequency'], 'Axis to select on: space = channels, frequency = spectrum bins.'),
  ],
  create(params, ctx) {
    const sel = params.selection;
    if (!(typeof sel === 'string' || Array.isArray(sel))) throw new InputError('selection must be a list or a range string like "0:8"', ctx.nodeId);
    if (params.axis === 'frequency') return frequencySelect(sel, params.unit as string, ctx.nodeId);
    const build = (s: StreamDescriptor) => {
      let idx: number[];
      if (typeof sel === 'string') idx = parseRange(sel, s.channels.length, ctx.nodeId);
      else idx = resolveChannels(s, sel, params.unit === 'Hz' ? 'names' : (params.unit as 'names'), ctx.nodeId);
      if (!idx.length) throw new InputError('selection keeps no channel', ctx.nodeId);
      return { plan: Int32Array.from(idx), out: withChannels(s, idx.map((i) => s.channels[i])) };
    };
    const frames = channelMapNode(build, (idx, x, y, nFrames, inCh, outCh) => {
      for (let n = 0; n < nFrames; n++) {
        const xo = n * inCh;
        const yo = n * outCh;
        for (let k = 0; k < outCh; k++) y[yo + k] = x[xo + idx[k]];
      }
    });
    return {
      ...frames,
      process(inputs: PortValues) {
        const d = inputs.data as Packet | undefined;
        if (d?.kind !== 'spectrum') return frames.process(inputs);
        const { plan: idx, out } = build(d.stream);
        const bins = d.freqsHz.length;
        const items = d.items.map((it) => {
          const v = new Float64Array(idx.length * bins);
          idx.forEach((c, k) => v.set(it.values.subarray(c * bins, c * bins + bins), k * bins));
          return { ...it, values: v };
        });
        return { data: { ...d, stream: out, items } };
      },
    };
  },
};

/** SelectRange on the frequency axis of spectra: "lo...hi" Hz (inclusive) or an index range/list. */
function frequencySelect(sel: unknown, unit: string, who: string): NodeInstance {
  const pick = (freqs: Float64Array): number[] => {
    let idx: number[];
    const m = typeof sel === 'string' ? /^\s*(-?[\d.]+)\s*\.\.\.\s*(-?[\d.]+)\s*$/.exec(sel) : null;
    if (m) {
      const lo = Number(m[1]);
      const hi = Number(m[2]);
      idx = [];
      freqs.forEach((f, k) => f >= lo && f <= hi && idx.push(k));
    } else if (typeof sel === 'string') {
      if (unit === 'Hz') throw new InputError(`frequency selection in Hz must look like "8...13", got "${sel}"`, who);
      idx = parseRange(sel, freqs.length, who);
    } else {
      idx = (sel as unknown[]).map((v) => {
        const k = unit === 'Hz' ? freqs.findIndex((f) => Math.abs(f - Number(v)) < 1e-9) : Number(v);
        if (!Number.isInteger(k) || k < 0 || k >= freqs.length) throw new InputError(`frequency ${unit === 'Hz' ? `${v} Hz` : `index ${v}`} is not a bin of this spectrum`, who);
        return k;
      });
    }
    if (!idx.length) throw new InputError('frequency selection keeps no bin', who);
    return idx;
  };
  let cached: { freqs: Float64Array; idx: number[]; out: Float64Array } | undefined;
  return {
    process(inputs) {
      const d = inputs.data as Packet | undefined;
      if (!d) return;
      if (d.kind !== 'spectrum') throw new InputError(`axis "frequency" needs spectra, got ${d.kind}`, who);
      if (!cached || cached.freqs !== d.freqsHz) {
        const idx = pick(d.freqsHz);
        cached = { freqs: d.freqsHz, idx, out: Float64Array.from(idx, (k) => d.freqsHz[k]) };
      }
      const { idx, out } = cached;
      const bins = d.freqsHz.length;
      const ch = d.stream.channels.length;
      const items = d.items.map((it) => {
        const v = new Float64Array(ch * idx.length);
        for (let c = 0; c < ch; c++) for (let k = 0; k < idx.length; k++) v[c * idx.length + k] = it.values[c * bins + idx[k]];
        return { ...it, values: v };
      });
      const sp: SpectrumPacket = { ...d, freqsHz: out, items };
      return { data: sp };
    },
    reset() {},
  };
}

/** "a:b", ":", "3", "-2:" over n items (Python slice semantics, step 1). */
export function parseRange(s: string, n: number, who: string): number[] {
  const t = s.trim();
  const m = /^(-?\d*)\s*:\s*(-?\d*)$/.exec(t);
  if (m) {
    const norm = (v: string, def: number) => (v === '' ? def : Math.max(0, Math.min(n, Number(v) < 0 ? n + Number(v) : Number(v))));
    const a = norm(m[1], 0);
    const b = norm(m[2], n);
    return Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);
  }
  if (/^-?\d+$/.test(t)) {
    const i = Number(t) < 0 ? n + Number(t) : Number(t);
    if (i < 0 || i >= n) throw new InputError(`index ${t} outside 0..${n - 1}`, who);
    return [i];
  }
  throw new InputError(`range "${s}" is not of the form "start:stop"`, who);
}

// ------------------------------------------------------------------------------- re-reference

export const rereference: NodeClass = {
  type: 'channels.rereference',
  package: 'channels',
  title: 'Re-reference',
  version: '1.0.0',
  neuropype: np('Rereferencing', 'signal_processing'),
  doc: `Subtracts a reference from every channel, frame by frame (no state, chunk-invariant).

- **in/out \`data\`** (signal | epochs).
- **mode**: average (common average of the reference channels; MNE \`set_eeg_reference('average')\`),
  channels (mean of \`reference_channels\`), linked-mastoids (mean of the two mastoid channels, M1/M2
  or A1/A2 or TP9/TP10 unless \`reference_channels\` names them).
- **reference_channels** (list of labels): the reference set; for average, empty = all channels of
  type EEG (or all channels if none is typed EEG).
- **estimator**: mean | median (median only for average).
- **exclude** (list of labels): channels left untouched (e.g. EOG).`,
  inputs: [input('data', ['signal', 'epochs'], 'Signal to re-reference.')],
  outputs: [output('data', { sameAs: 'data' }, 'Re-referenced signal (same channels).')],
  params: [
    p.enum('mode', 'average', ['average', 'channels', 'linked-mastoids'], 'Reference.'),
    p.list('reference_channels', [], 'Reference channel labels.', { items: 'string' }),
    p.enum('estimator', 'mean', ['mean', 'median'], 'How the reference is formed from its channels.'),
    p.list('exclude', [], 'Channel labels not re-referenced.', { items: 'string' }),
  ],
  create(params, ctx) {
    const mode = params.mode as string;
    const median = params.estimator === 'median';
    const build = (s: StreamDescriptor) => {
      const names = params.reference_channels as string[];
      let ref: number[];
      if (mode === 'channels') {
        if (!names.length) throw new InputError('mode "channels" needs reference_channels', ctx.nodeId);
        ref = resolveChannels(s, names, 'names', ctx.nodeId);
      } else if (mode === 'linked-mastoids') {
        if (names.length) ref = resolveChannels(s, names, 'names', ctx.nodeId);
        else {
          const pairs = [['M1', 'M2'], ['A1', 'A2'], ['TP9', 'TP10']];
          const found = pairs.map((pr) => pr.map((l) => s.channels.findIndex((c) => c.label.replace(/[.\s]+$/, '').toUpperCase() === l))).find((ix) => ix.every((i) => i >= 0));
          if (!found) throw new InputError(`no mastoid pair (M1/M2, A1/A2, TP9/TP10) in stream "${s.name}"; set reference_channels`, ctx.nodeId);
          ref = found;
        }
      } else {
        ref = names.length ? resolveChannels(s, names, 'names', ctx.nodeId) : s.channels.map((c, i) => (c.type.toUpperCase() === 'EEG' ? i : -1)).filter((i) => i >= 0);
        if (!ref.length) ref = s.channels.map((_, i) => i);
      }
      const excluded = new Set(resolveChannels(s, params.exclude as string[], 'names', ctx.nodeId));
      const apply = s.channels.map((_, i) => !excluded.has(i));
      return { plan: { ref: Int32Array.from(ref), apply, tmp: new Float64Array(ref.length) }, out: s };
    };
    return channelMapNode(build, (plan, x, y, frames, ch) => {
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
    });
  },
};

// ------------------------------------------------------------------------------- bipolar

export const bipolar: NodeClass = {
  type: 'channels.bipolar',
  package: 'channels',
  title: 'Bipolar derivations',
  version: '1.0.0',
  doc: `Builds bipolar channels A − B (e.g. the double banana "Fp1-F7").

- **in \`data\`** (signal | epochs); **out \`data\`**: one channel per pair, labelled "A-B".
- **pairs** (list): "A-B" strings or [A, B] label pairs.`,
  inputs: [input('data', ['signal', 'epochs'], 'Referential signal.')],
  outputs: [output('data', { sameAs: 'data' }, 'Bipolar channels.')],
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
    const build = (s: StreamDescriptor) => {
      const a = resolveChannels(s, pairs.map((x) => x[0]), 'names', ctx.nodeId);
      const b = resolveChannels(s, pairs.map((x) => x[1]), 'names', ctx.nodeId);
      const channels: ChannelInfo[] = pairs.map((pr, i) => ({ ...s.channels[a[i]], label: `${pr[0]}-${pr[1]}` }));
      return { plan: { a: Int32Array.from(a), b: Int32Array.from(b) }, out: withChannels(s, channels) };
    };
    return channelMapNode(build, ({ a, b }, x, y, frames, inCh, outCh) => {
      for (let n = 0; n < frames; n++) for (let k = 0; k < outCh; k++) y[n * outCh + k] = x[n * inCh + a[k]] - x[n * inCh + b[k]];
    });
  },
};
