// NeuroPype's utilities node classes on the packet model: ShiftTimestamps (move time stamps),
// ExtractChannels (a stream's channel labels as a value), DiscardLongChunks (drop the long
// calibration-time outputs so only live results go on), SetStreamProperties (set chunk flags),
// HoldLastPacket (re-emit the last non-empty packet). Engine worker / Node.
import { InputError } from '../../core/errors';
import { FLAGS, copyPacket, enumerateChunks, itemCount, mapChunks, packetItems, withProps, type Chunk, type Flag, type Packet } from '../packet';
import { axisIndex } from '../block';
import { sameAs, UNKNOWN_SHAPE, type ChunkShape } from '../shapes';
import type { NodeClass } from '../types';
import { input, np, output, p, valueOutput, WITH_SPACE } from './common';
import { FILTER_LAG_META } from './filters';
import { dictOf } from './np-programming';
import { onlyDefault } from './np-common';

// ------------------------------------------------------------------------------- ShiftTimestamps

/** The chunk with `deltaMs` added to the times of its item axis (instance, else time). Allocates the time array. */
function shiftedChunk(c: Chunk, deltaMs: number): Chunk {
  const b = c.block;
  const inst = axisIndex(b, 'instance');
  const d = inst >= 0 ? inst : axisIndex(b, 'time');
  if (d < 0 || deltaMs === 0) return c;
  const a = b.axes[d] as { timesMs: Float64Array };
  const times = new Float64Array(a.timesMs.length);
  for (let i = 0; i < times.length; i++) times[i] = a.timesMs[i] + deltaMs;
  const axes = b.axes.slice();
  axes[d] = { ...b.axes[d], timesMs: times } as (typeof axes)[number];
  return { block: { data: b.data, shape: b.shape, axes }, props: c.props };
}

/** First item time of a packet's chunks (NaN when none). */
function firstTime(p: Packet): number {
  let t = Infinity;
  for (const c of p.values()) {
    const b = c.block;
    const inst = axisIndex(b, 'instance');
    const d = inst >= 0 ? inst : axisIndex(b, 'time');
    if (d >= 0 && b.shape[d] > 0) t = Math.min(t, (b.axes[d] as { timesMs: Float64Array }).timesMs[0]);
  }
  return Number.isFinite(t) ? t : NaN;
}

export const shiftTimestamps: NodeClass = {
  type: 'np.shift-timestamps',
  package: 'compat',
  title: 'Shift time stamps',
  version: '1.2.1',
  neuropype: np('ShiftTimestamps', 'utilities'),
  doc: `Adds \`offset\` seconds to the time stamps of every data chunk (NeuroPype ShiftTimestamps): the
time axis of a continuous signal, the instance times of segmented data (its time axis is relative
to each instance and stays). Marker chunks move too with \`include_markers\`.

- **in/out \`data\`** (any).
- **offset** (s). **include_markers** (bool): shift marker chunks as well.
- **beginning_from_zero** (bool): first subtract the first time stamp seen (of any chunk of the
  first non-empty packet), so the stream starts at 0 (+ offset); kept until reset.
- **offset_triggers_state_reset** is accepted and ignored (a changed offset rebuilds this node anyway).
- **compensate_filter_lag** (bool): also subtract the delay upstream linear-phase filters recorded in
  the chunk (FIRFilter: order/2 samples, MovingAverage: (N − 1)/2; IIR filters record none), and
  clear that record so a second ShiftTimestamps does not subtract it again.
- **marker_fields**, **timestamp_pairs**, **use_time_axis**: refused unless at their defaults (null,
  null, false) — undocumented.`,
  inputs: [input('data', [], 'Anything.')],
  outputs: [output('data', sameAs('data'), 'The same chunks, time stamps moved.')],
  params: [
    p.float('offset', 0, 'Time added to every stamp.', { unit: 's' }),
    p.bool('compensate_filter_lag', false, 'Also subtract the delay recorded by upstream linear-phase filters.'),
    p.bool('include_markers', false, 'Shift marker chunks too.'),
    p.any('marker_fields', null, 'Not supported (null only).'),
    p.bool('beginning_from_zero', false, 'Re-base the stamps to start at 0.'),
    p.bool('offset_triggers_state_reset', true, 'Accepted and ignored.'),
    p.any('timestamp_pairs', null, 'Not supported (null only).'),
    p.bool('use_time_axis', false, 'Not supported (false only).'),
  ],
  create(params, ctx) {
    onlyDefault(params, 'marker_fields', null, 'undocumented', ctx.nodeId);
    onlyDefault(params, 'timestamp_pairs', null, 'undocumented', ctx.nodeId);
    onlyDefault(params, 'use_time_axis', false, 'undocumented', ctx.nodeId);
    const offsetMs = (params.offset as number) * 1000;
    const includeMarkers = params.include_markers as boolean;
    const fromZero = params.beginning_from_zero as boolean;
    const compensate = params.compensate_filter_lag as boolean;
    let baseMs = NaN;
    return {
      process(inputs) {
        const d = inputs.data;
        if (!d) return;
        if (fromZero && Number.isNaN(baseMs)) baseMs = firstTime(d);
        const delta = offsetMs - (fromZero ? (Number.isNaN(baseMs) ? 0 : baseMs) : 0);
        const out = mapChunks(d, (_, c) => includeMarkers || !c.props.has_markers, (c) => {
          const lagS = compensate ? Number(c.props.meta[FILTER_LAG_META] ?? 0) : 0;
          const shifted = shiftedChunk(c, delta - lagS * 1000);
          return lagS ? { block: shifted.block, props: withProps(c.props, {}, { [FILTER_LAG_META]: 0 }) } : shifted;
        });
        return out ? { data: out } : undefined;
      },
      reset() {
        baseMs = NaN;
      },
    };
  },
};

// ------------------------------------------------------------------------------- ExtractChannels

export const extractChannels: NodeClass = {
  type: 'np.extract-channels',
  package: 'channels',
  title: 'Extract channel names',
  version: '1.0.1',
  neuropype: np('ExtractChannels', 'utilities'),
  doc: `The channel labels of a stream as a value (NeuroPype ExtractChannels), typically wired into
InterpolateMissingChannels \`desired_channels\` to restore the channel set after bad-channel removal.
The labels are known only once data flows, while value wires are applied at load: the wired
parameter keeps its own value (null) at load, and this node reports the labels it saw
(\`Execution.peek\`: \`{stream, channel_names}\`).

- **in \`data\`**: a chunk with a space axis. **out \`channel_names\`** (value).
- **stream** (string; "" = the first data chunk with channels). **verbose**: labels also logged (INFO) when they change.`,
  inputs: [input('data', [WITH_SPACE], 'Data with channels.', { hint: 'feed a stream with a space axis (channels)' })],
  outputs: [valueOutput('channel_names', 'Channel labels (known once data flows).')],
  params: [p.string('stream', '', 'Chunk to read ("" = the first with channels).'), p.bool('verbose', false, 'Log the labels.')],
  values: () => ({ channel_names: null }),
  create(params, ctx) {
    const want = params.stream as string;
    let seen: { stream: string; channel_names: string[] } | null = null;
    return {
      process(inputs) {
        const [hit] = enumerateChunks(inputs.data, want ? { ...WITH_SPACE, nameEquals: want } : WITH_SPACE);
        if (!hit) return;
        const sp = hit[1].block.axes.find((a) => a.type === 'space');
        const labels = sp?.type === 'space' ? sp.channels.map((c) => c.label) : [];
        if (seen && seen.stream === hit[0] && seen.channel_names.join('\u0000') === labels.join('\u0000')) return;
        seen = { stream: hit[0], channel_names: labels };
        if (params.verbose) ctx.log(20, `${hit[0]}: ${labels.join(', ')}`);
      },
      reset() {},
      peek: () => seen,
    };
  },
};

// ------------------------------------------------------------------------------- DiscardLongChunks

export const discardLongChunks: NodeClass = {
  type: 'np.discard-long-chunks',
  package: 'compat',
  title: 'Discard long chunks',
  version: '1.0.0',
  neuropype: np('DiscardLongChunks', 'utilities'),
  doc: `Drops chunks longer than \`threshold\` (NeuroPype DiscardLongChunks). Real files place it after a
learner so the one long prediction for the calibration data is dropped and only live results go on.
The length of a chunk is its number of items — instances (trials, predictions), else samples —
which NeuroPype does not document (the corpus sets 10 and 10000; our reading: items).

- **in/out \`data\`** (any).
- **threshold** (items): chunks with more are long. **entire_packet** (bool): drop the whole packet
  when any chunk is long (else only the long chunks).`,
  inputs: [input('data', [], 'Anything.')],
  outputs: [output('data', sameAs('data'), 'What is not too long.')],
  params: [p.float('threshold', 10, 'Longest chunk passed, in items (instances, else samples).', { unit: 'items', domain: [0, Infinity] }), p.bool('entire_packet', true, 'Drop the whole packet when any chunk is long.')],
  create(params) {
    const threshold = params.threshold as number;
    const entire = params.entire_packet as boolean;
    const long = (c: Chunk) => itemCount(c.block) > threshold;
    return {
      process(inputs) {
        const d = inputs.data;
        if (!d) return;
        if (entire) return [...d.values()].some(long) ? undefined : { data: d };
        const out = mapChunks(d, (_, c) => long(c), () => undefined);
        return out ? { data: out } : undefined;
      },
      reset() {},
    };
  },
};

// ------------------------------------------------------------------------------- SetStreamProperties

export const setStreamProperties: NodeClass = {
  type: 'np.set-stream-properties',
  package: 'compat',
  title: 'Set stream properties',
  version: '1.3.2',
  neuropype: np('SetStreamProperties', 'utilities'),
  doc: `Sets chunk flags (NeuroPype SetStreamProperties), e.g. \`{"has_markers": false}\` to turn a
grouped marker result into a data chunk. Only NeuroPype's six flags can be set: ${FLAGS.join(', ')}.

- **in/out \`data\`** (any).
- **properties** (dict flag → bool; NeuroPype's Python dict text is accepted).
- **stream_name** (string, null = every chunk): the chunk to change. **only_signals** (bool): only
  chunks flagged is_signal.`,
  inputs: [input('data', [], 'Anything.')],
  outputs: [
    output(
      'data',
      (ins, params) => {
        const arriving = ins.data;
        if (!arriving || arriving === UNKNOWN_SHAPE) return UNKNOWN_SHAPE;
        let flags: Partial<Record<Flag, boolean>>;
        try {
          flags = flagsOf(params.properties, 'SetStreamProperties');
        } catch {
          return arriving;
        }
        return arriving.map((s) => shapeWithFlags(s, flags, params.stream_name as string | null, params.only_signals as boolean));
      },
      'The chunks with the flags set.',
    ),
  ],
  params: [p.any('properties', {}, 'Flags to set {flag: bool}.'), p.string('stream_name', null, 'Chunk to change (null = all).'), p.bool('only_signals', false, 'Only chunks flagged is_signal.')],
  create(params, ctx) {
    const flags = flagsOf(params.properties, ctx.nodeId);
    const name = params.stream_name as string | null;
    const onlySignals = params.only_signals as boolean;
    return {
      process(inputs) {
        const out = mapChunks(inputs.data, (n, c) => (name === null || n === name) && (!onlySignals || c.props.is_signal), (c) => ({ block: c.block, props: withProps(c.props, flags) }));
        return out ? { data: out } : undefined;
      },
      reset() {},
    };
  },
};

function flagsOf(raw: unknown, who: string): Partial<Record<Flag, boolean>> {
  const out: Partial<Record<Flag, boolean>> = {};
  for (const [k, v] of Object.entries(dictOf(raw, 'properties', who))) {
    if (!(FLAGS as readonly string[]).includes(k)) throw new InputError(`parameter "properties": "${k}" is not a chunk property that can be set here; use ${FLAGS.join(', ')}`, who);
    if (typeof v !== 'boolean') throw new InputError(`parameter "properties": "${k}" must be true or false, got ${JSON.stringify(v)}`, who);
    out[k as Flag] = v;
  }
  return out;
}

/** A chunk shape after SetStreamProperties: the flags set where it certainly matches, unknown where it may. */
function shapeWithFlags(s: ChunkShape, flags: Partial<Record<Flag, boolean>>, name: string | null, onlySignals: boolean): ChunkShape {
  const nameFits = name === null ? true : s.name === null ? undefined : s.name === name;
  const signalFits = !onlySignals ? true : s.flags.is_signal;
  if (nameFits === false || signalFits === false) return s;
  if (nameFits && signalFits) return { ...s, flags: { ...s.flags, ...flags } };
  const known = { ...s.flags };
  for (const f of Object.keys(flags) as Flag[]) delete known[f];
  return { ...s, flags: known };
}

// ------------------------------------------------------------------------------- HoldLastPacket

export const holdLastPacket: NodeClass = {
  type: 'np.hold-last-packet',
  package: 'compat',
  title: 'Hold last packet',
  version: '1.0.0',
  neuropype: np('HoldLastPacket', 'utilities'),
  doc: `Passes every non-empty packet and, when a packet arrives empty (no chunk, or no items in any
chunk), emits the last non-empty one again (NeuroPype HoldLastPacket; undocumented — our reading of
how real files use it: later nodes always see data).

- **in/out \`data\`** (any). No parameters.`,
  inputs: [input('data', [], 'Anything.')],
  outputs: [output('data', sameAs('data'), 'The packet, or the last non-empty one.')],
  params: [],
  create() {
    let held: Packet | undefined;
    return {
      process(inputs) {
        const d = inputs.data;
        if (d && d.size && packetItems(d) > 0) {
          held = copyPacket(d);
          return { data: d };
        }
        return held ? { data: held } : d ? { data: d } : undefined;
      },
      reset() {
        held = undefined;
      },
    };
  },
};

export const NP_UTILITIES: NodeClass[] = [shiftTimestamps, extractChannels, discardLongChunks, setStreamProperties, holdLastPacket];
