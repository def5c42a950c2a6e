// NeuroPype's formatting node classes on the packet model: they change which chunks a packet holds
// and under what names — MergeStreams (several packets into one), RenameStreams, ExtractStreams
// (keep named chunks), SelectInstances (keep instances by their record fields) — and FuseStreams
// (several signals resampled onto one clock, the only one here that computes values).
// Engine worker / Node. FuseStreams keeps per-stream sample buffers; the others are stateless.
import { InputError } from '../../core/errors';
import { axisConcat, TARGET, timeAxis, type InstanceAxis, type InstanceField, type SpaceAxis } from '../axes';
import { axisIndex, describeAxes, findAxis, makeBlock, moveAxis, selectAlong } from '../block';
import { chunkMatches, chunkProps, mapChunks, StreamStates, type Chunk, type ChunkQuery, type Packet } from '../packet';
import { sameAs, shapeMatches, signalShape, UNKNOWN_SHAPE, type ChunkShape } from '../shapes';
import type { InputPortSpec, NodeClass } from '../types';
import { input, metaChunks, np, output, p } from './common';
import { wildcard } from './markers';
import { dictOf } from './np-programming';
import { onlyDefault } from './np-common';

/** A name free in `taken`: the name itself, else name-2, name-3 … (our naming of a second stream of a kind). */
function freeName(name: string, taken: { has(n: string): boolean }): string {
  if (!taken.has(name)) return name;
  let k = 2;
  while (taken.has(`${name}-${k}`)) k++;
  return `${name}-${k}`;
}

// ------------------------------------------------------------------------------- MergeStreams

const MERGE_INPUTS = 8;
const mergePorts = Array.from({ length: MERGE_INPUTS }, (_, k) => `data${k + 1}`);

function mergeInto(out: Map<string, Chunk>, p: Packet, replace: boolean): void {
  for (const [name, c] of p) out.set(replace ? name : freeName(name, out), c);
}

export const mergeStreams: NodeClass = {
  type: 'np.merge-streams',
  package: 'compat',
  title: 'Merge streams',
  version: '1.0.0',
  neuropype: np('MergeStreams', 'formatting'),
  doc: `Combines the chunks of up to ${MERGE_INPUTS} packets into one (NeuroPype MergeStreams), in input
order (\`sorting\` "input"). On a name clash the later chunk replaces the earlier with
\`replace_if_exists\`; otherwise it is kept under the next free name ("eeg-2", "markers-2" — our
naming of a second stream of a kind; NeuroPype's rule is undocumented), so no data is lost. Inputs
that deliver nothing in a step are skipped.

- **in \`data1\` … \`data${MERGE_INPUTS}\`** (any; \`data1\` required). **out \`outdata\`**.
- **replace_if_exists** (bool). **sorting**: "input" (the other orders are undocumented).`,
  inputs: mergePorts.map((name, k): InputPortSpec => input(name, [], `Packet ${k + 1}.`, { optional: k > 0 })),
  outputs: [
    output(
      'outdata',
      (ins, params) => {
        const out: ChunkShape[] = [];
        for (const port of mergePorts) {
          const s = ins[port];
          if (s === UNKNOWN_SHAPE) return UNKNOWN_SHAPE;
          for (const c of s ?? []) {
            const clash = c.name === null ? -1 : out.findIndex((o) => o.name === c.name);
            if (clash >= 0 && params.replace_if_exists) out[clash] = c;
            else out.push(c.name === null ? c : { ...c, name: freeName(c.name, { has: (n) => out.some((o) => o.name === n) }) });
          }
        }
        return out;
      },
      'Every chunk of every input.',
    ),
  ],
  params: [p.bool('replace_if_exists', false, 'A later chunk of the same name replaces the earlier (else it is renamed).'), p.enum('sorting', 'input', ['input'], 'Order of the chunks: by input port.')],
  create(params) {
    const replace = params.replace_if_exists as boolean;
    return {
      process(inputs) {
        const out = new Map<string, Chunk>();
        for (const port of mergePorts) {
          const d = inputs[port];
          if (d) mergeInto(out, d, replace);
        }
        return out.size ? { outdata: out } : undefined;
      },
      reset() {},
    };
  },
};

// ------------------------------------------------------------------------------- RenameStreams

type Renames = [RegExp, string][];

function renamesOf(raw: unknown, who: string): Renames {
  return Object.entries(dictOf(raw, 'name_changes', who)).map(([from, to]) => {
    if (typeof to !== 'string' || !to) throw new InputError(`parameter "name_changes": the new name for "${from}" must be a non-empty string, got ${JSON.stringify(to)}`, who);
    return [wildcard(from), to];
  });
}

function renamed(name: string, renames: Renames): string {
  return renames.find(([re]) => re.test(name))?.[1] ?? name;
}

export const renameStreams: NodeClass = {
  type: 'np.rename-streams',
  package: 'compat',
  title: 'Rename streams',
  version: '1.1.0',
  neuropype: np('RenameStreams', 'formatting'),
  doc: `Renames chunks (NeuroPype RenameStreams): \`name_changes\` maps old → new; keys may use the
wildcards * and ? (the first matching key wins). When two chunks would get one name, the later is
kept as name-2 (no data lost).

- **in/out \`data\`** (any).
- **name_changes** (dict old → new; NeuroPype's Python dict text is accepted).
- **wildcard_stream_filter**: "any stream" (the other values are undocumented).`,
  inputs: [input('data', [], 'Anything.')],
  outputs: [
    output(
      'data',
      (ins, params) => {
        const s = ins.data;
        if (!s || s === UNKNOWN_SHAPE) return UNKNOWN_SHAPE;
        let renames: Renames;
        try {
          renames = renamesOf(params.name_changes, 'RenameStreams');
        } catch {
          return s;
        }
        return s.map((c) => (c.name === null ? c : { ...c, name: renamed(c.name, renames) }));
      },
      'The chunks, renamed.',
    ),
  ],
  params: [p.any('name_changes', {}, 'Old name → new name.'), p.enum('wildcard_stream_filter', 'any stream', ['any stream'], 'Streams wildcards may match.')],
  create(params, ctx) {
    const renames = renamesOf(params.name_changes, ctx.nodeId);
    return {
      process(inputs) {
        const d = inputs.data;
        if (!d) return;
        const out = new Map<string, Chunk>();
        for (const [name, c] of d) out.set(freeName(renamed(name, renames), out), c);
        return { data: out };
      },
      reset() {},
    };
  },
};

// ------------------------------------------------------------------------------- ExtractStreams

function nameTest(params: Readonly<Record<string, unknown>>): ((name: string) => boolean) | null {
  const names = params.stream_names as string[] | null;
  if (names === null) return null;
  if (!params.support_wildcards) return (n) => names.includes(n);
  const res = names.map(wildcard);
  return (n) => res.some((re) => re.test(n));
}

export const extractStreams: NodeClass = {
  type: 'np.extract-streams',
  package: 'compat',
  title: 'Extract streams',
  version: '2.2.1',
  neuropype: np('ExtractStreams', 'formatting'),
  doc: `Keeps only the named chunks (NeuroPype ExtractStreams), e.g. \`["eeg"]\` or \`["markers"]\` after
ImportXDF. A packet with none of them gives nothing.

- **in/out \`data\`** (any).
- **stream_names** (list of names; null = every chunk). **support_wildcards** (bool): names may use *
  and ?. **selection_criteria**: {} only (the criteria syntax is undocumented). **verbose**: ignored.`,
  inputs: [input('data', [], 'Anything.')],
  outputs: [
    output(
      'data',
      (ins, params) => {
        const s = ins.data;
        if (!s || s === UNKNOWN_SHAPE) return UNKNOWN_SHAPE;
        const keep = nameTest(params);
        return keep ? s.filter((c) => c.name === null || keep(c.name)) : s;
      },
      'The named chunks.',
    ),
  ],
  params: [
    p.list('stream_names', null, 'Chunks to keep (null = all).', { items: 'string' }),
    p.dict('selection_criteria', {}, 'Not supported ({} only).'),
    p.bool('support_wildcards', false, 'Names may use * and ?.'),
    p.bool('verbose', false, 'Ignored.'),
  ],
  create(params, ctx) {
    onlyDefault(params, 'selection_criteria', {}, 'its syntax is undocumented; name the chunks in "stream_names"', ctx.nodeId);
    const keep = nameTest(params);
    return {
      process(inputs) {
        const out = keep ? mapChunks(inputs.data, (n) => !keep(n), () => undefined) : inputs.data;
        return out ? { data: out } : undefined;
      },
      reset() {},
    };
  },
};

// ------------------------------------------------------------------------------- SelectInstances

type Selection = { field: string; values: unknown[] }[];

function selectionOf(raw: unknown, who: string): Selection {
  return Object.entries(dictOf(raw, 'selection', who)).map(([field, v]) => ({ field, values: Array.isArray(v) ? v : [v] }));
}

/** Whether instance i's `field` holds one of `values` (strings compared as text, numbers as numbers). */
function fieldMatches(f: InstanceField, i: number, values: unknown[]): boolean {
  if (Array.isArray(f)) return values.some((v) => String(v) === f[i]);
  return values.some((v) => Number(v) === f[i]);
}

const INSTANCES = [{ withAxes: ['instance' as const] }];

export const selectInstances: NodeClass = {
  type: 'np.select-instances',
  package: 'markers',
  title: 'Select instances',
  version: '1.1.1',
  neuropype: np('SelectInstances', 'formatting'),
  doc: `Keeps the instances (marker events, segments, trials) whose record fields match (NeuroPype
SelectInstances), in every chunk with an instance axis; the data of the dropped instances goes with
them. \`selection\` maps a field to an accepted value or list of values (any of them); fields are
combined by \`combine_selections\`. Text fields (Marker) compare as text, numeric ones (TargetValue)
as numbers. A field no instance has is an error naming the fields there are.

- **in/out \`data\`**: chunks with an instance axis; other chunks pass through.
- **selection** (dict field → value(s); Python dict text accepted). **combine_selections**: and | or.
- **invert_selection** (bool): keep the others. **assign_target_value** (number, null): TargetValue
  of the kept instances.
- **condition** (""), **default_comparison_operator** ("auto"), **combine_previous** ("override"),
  **drop_immediately** (true): refused at other values (expressions and masks are undocumented).`,
  inputs: [input('data', INSTANCES, 'Chunks with instances.', { hint: 'feed markers or segmented data (an instance axis)' })],
  outputs: [output('data', sameAs('data'), 'The selected instances.')],
  params: [
    p.any('selection', {}, 'Field → accepted value(s).'),
    p.enum('combine_selections', 'and', ['and', 'or'], 'How fields combine.'),
    p.string('condition', '', 'Not supported ("" only).'),
    p.string('default_comparison_operator', 'auto', 'Not supported ("auto" only).'),
    p.bool('invert_selection', false, 'Keep the instances that do not match.'),
    p.string('combine_previous', 'override', 'Not supported ("override" only).'),
    p.bool('drop_immediately', true, 'Not supported (true only).'),
    p.float('assign_target_value', null, 'TargetValue given to the kept instances (null = unchanged).'),
  ],
  create(params, ctx) {
    onlyDefault(params, 'condition', '', 'expressions are undocumented; use "selection"', ctx.nodeId);
    onlyDefault(params, 'default_comparison_operator', 'auto', 'undocumented', ctx.nodeId);
    onlyDefault(params, 'combine_previous', 'override', 'undocumented', ctx.nodeId);
    onlyDefault(params, 'drop_immediately', true, 'instances are always dropped here', ctx.nodeId);
    const selection = selectionOf(params.selection, ctx.nodeId);
    const any = params.combine_selections === 'or';
    const invert = params.invert_selection as boolean;
    const target = params.assign_target_value as number | null;
    const instancesOf = (c: Chunk, name: string): { d: number; a: InstanceAxis } => {
      const d = axisIndex(c.block, 'instance');
      const a = c.block.axes[d] as InstanceAxis;
      for (const { field } of selection)
        if (!a.fields[field]) throw new InputError(`selection names the instance field "${field}", but chunk "${name}" has ${Object.keys(a.fields).join(', ') || 'no fields'}`, ctx.nodeId);
      return { d, a };
    };
    const select = (c: Chunk, name: string): Chunk => {
      const { d, a } = instancesOf(c, name);
      const keep: number[] = [];
      for (let i = 0; i < a.timesMs.length; i++) {
        const hits = selection.map(({ field, values }) => fieldMatches(a.fields[field], i, values));
        const ok = !selection.length || (any ? hits.some(Boolean) : hits.every(Boolean));
        if (ok !== invert) keep.push(i);
      }
      let block = keep.length === a.timesMs.length ? c.block : selectAlong(c.block, d, keep);
      if (target !== null) {
        const axes = block.axes.slice();
        const kept = axes[d] as InstanceAxis;
        axes[d] = { ...kept, fields: { ...kept.fields, [TARGET]: new Float64Array(kept.timesMs.length).fill(target) } };
        block = { ...block, axes };
      }
      return { block, props: target !== null && keep.length ? { ...c.props, has_targets: true } : c.props };
    };
    return {
      process(inputs) {
        const out = mapChunks(inputs.data, INSTANCES, select);
        return out ? { data: out } : undefined;
      },
      check(meta) {
        for (const { name, chunk } of metaChunks(meta, INSTANCES[0])) instancesOf(chunk, name);
      },
      reset() {},
    };
  },
};


// ------------------------------------------------------------------------------- FuseStreams

/** The signals FuseStreams fuses: continuous data with channels. */
const FUSABLE: ChunkQuery = { onlySignals: true, withAxes: ['time', 'space'], withoutAxes: ['instance'] };

/** One input stream's samples not yet past the output grid: times (ms) and frame-major float64 values. */
interface FuseBuffer {
  space: SpaceAxis;
  kind: Chunk['props']['source']['kind'];
  times: number[];
  values: number[];
  streaming: boolean;
}

export const fuseStreams: NodeClass = {
  type: 'np.fuse-streams',
  package: 'compat',
  title: 'Fuse streams',
  version: '0.9.6',
  neuropype: np('FuseStreams', 'formatting'),
  doc: `Fuses the continuous signals of a packet (devices at different rates, e.g. EEG and an eye
tracker merged by MergeStreams) into one chunk \`stream_name\` on a common clock at \`srate\` (NeuroPype
FuseStreams). Each stream is interpolated linearly by its time stamps (\`numpy.interp\`; NeuroPype's
method is undocumented) at the grid times first + k / srate, from the first time every stream has
data; the channels are concatenated in chunk order (labels and positions kept). A grid point is
emitted once every stream has a sample at or after it, so the output does not depend on how the
input is chunked. A stream whose layout changes (rate, channels) starts a fresh buffer. Marker and
other chunks pass through.

- **in/out \`data\`**: signal chunks (time × space) → one time × space chunk.
- **srate** (Hz). **stream_name** (output chunk name). **buffer_delay**, **min_headroom**,
  **desired_headroom** (s) and **verbosity** are accepted and unused: the output runs as close behind
  the slowest stream as interpolation allows.`,
  inputs: [input('data', [FUSABLE], 'Signals to fuse.', { hint: 'feed continuous signals (time × space), e.g. MergeStreams of two devices' })],
  outputs: [
    output(
      'data',
      (ins, params) => {
        const s = ins.data;
        if (!s || s === UNKNOWN_SHAPE) return UNKNOWN_SHAPE;
        const rest = s.filter((c) => !shapeMatches(c, FUSABLE));
        return rest.length === s.length ? s : [signalShape(params.stream_name as string), ...rest];
      },
      'The fused signal and the other chunks.',
    ),
  ],
  params: [
    p.float('srate', 250, 'Rate of the fused stream.', { unit: 'Hz', domain: [1e-3, 1e6] }),
    p.string('stream_name', 'eeg', 'Name of the fused chunk.'),
    p.float('buffer_delay', 2, 'Accepted and unused.', { unit: 's' }),
    p.float('min_headroom', 2, 'Accepted and unused.', { unit: 's' }),
    p.float('desired_headroom', 5, 'Accepted and unused.', { unit: 's' }),
    p.int('verbosity', 1, 'Accepted and unused.'),
  ],
  create(params, ctx) {
    const stepMs = 1000 / (params.srate as number);
    const name = params.stream_name as string;
    // one buffer per stream, started afresh when a stream's layout changes (sameStream)
    const buffers = new StreamStates<FuseBuffer>((c) => ({ space: findAxis(c.block, 'space')!, times: [], values: [], kind: c.props.source.kind, streaming: c.props.is_streaming }));
    let startMs = NaN;
    let k = 0;
    let fusedSpace: { parts: SpaceAxis[]; axis: SpaceAxis } | undefined;

    const add = (cname: string, c: Chunk) => {
      const b = moveAxis(c.block, axisIndex(c.block, 'time'), 0);
      if (b.axes.length !== 2) throw new InputError(`chunk "${cname}" must be time × space to be fused, but has ${describeAxes(b.axes)}`, ctx.nodeId);
      const t = (b.axes[0] as { timesMs: Float64Array }).timesMs;
      const buf = buffers.get(cname, c);
      const C = buf.space.channels.length;
      buf.streaming = c.props.is_streaming;
      for (let n = 0; n < t.length; n++) {
        if (buf.times.length && t[n] <= buf.times[buf.times.length - 1]) continue; // not after the last: dropped
        buf.times.push(t[n]);
        for (let ch = 0; ch < C; ch++) buf.values.push(b.data[n * C + ch]);
      }
    };

    /** Grid points up to `untilMs`, interpolated from every buffer; trims what no later point needs. */
    const emit = (untilMs: number): Chunk | undefined => {
      const list = buffers.entries().map(([, b]) => b);
      if (!list.length || list.some((b) => !b.times.length)) return undefined;
      if (Number.isNaN(startMs)) startMs = Math.max(...list.map((b) => b.times[0]));
      const width = list.reduce((n, b) => n + b.space.channels.length, 0);
      const grid: number[] = [];
      for (let g = startMs + k * stepMs; g <= untilMs + 1e-9; g = startMs + ++k * stepMs) grid.push(g);
      if (!grid.length) return undefined;
      const out = new Float64Array(grid.length * width);
      let off = 0;
      for (const b of list) {
        const C = b.space.channels.length;
        let i = 0;
        grid.forEach((g, r) => {
          while (i + 1 < b.times.length && b.times[i + 1] <= g) i++;
          const t0 = b.times[i];
          const j = Math.min(i + 1, b.times.length - 1);
          const w = j === i || g <= t0 ? 0 : (g - t0) / (b.times[j] - t0);
          for (let ch = 0; ch < C; ch++) out[r * width + off + ch] = b.values[i * C + ch] + w * (b.values[j * C + ch] - b.values[i * C + ch]);
        });
        // keep the last sample at or before the next grid point, and everything after it
        const next = startMs + k * stepMs;
        let keep = 0;
        while (keep + 1 < b.times.length && b.times[keep + 1] <= next) keep++;
        b.times.splice(0, keep);
        b.values.splice(0, keep * C);
        off += C;
      }
      // the joined space axis is kept while the streams' axes are the same (the one sameStream identity check downstream)
      if (!fusedSpace || fusedSpace.parts.length !== list.length || fusedSpace.parts.some((a, i) => a !== list[i].space)) {
        const parts = list.map((b) => b.space);
        fusedSpace = { parts, axis: parts.length === 1 ? parts[0] : (axisConcat(parts) as SpaceAxis) };
      }
      const space = fusedSpace.axis;
      const streaming = list.some((b) => b.streaming);
      return { block: makeBlock(out, [timeAxis(Float64Array.from(grid), params.srate as number), space]), props: chunkProps({ id: name, name, kind: list[0].kind }, { is_signal: true, is_streaming: streaming }) };
    };

    /** The last time every stream has reached: grid points up to it can be interpolated. */
    const commonEnd = () => Math.min(...buffers.entries().map(([, b]) => b).map((b) => (b.times.length ? b.times[b.times.length - 1] : -Infinity)));

    /** The output packet: the fused chunk where the first fused stream was, the other chunks as they came. */
    const assemble = (p: Packet | undefined, fused: Chunk | undefined): Packet | undefined => {
      const out = new Map<string, Chunk>();
      let placed = false;
      for (const [n, c] of p ?? []) {
        if (!chunkMatches(n, c, FUSABLE)) out.set(n, c);
        else if (!placed && fused) {
          out.set(name, fused);
          placed = true;
        }
      }
      if (fused && !placed) out.set(name, fused);
      return out.size ? out : undefined;
    };

    return {
      process(inputs) {
        const d = inputs.data;
        if (!d) return;
        for (const [n, c] of d) if (chunkMatches(n, c, FUSABLE)) add(n, c);
        const out = assemble(d, emit(commonEnd()));
        return out ? { data: out } : undefined;
      },
      reset() {
        buffers.clear();
        startMs = NaN;
        k = 0;
      },
    };
  },
};

export const NP_FORMATTING: NodeClass[] = [mergeStreams, fuseStreams, renameStreams, extractStreams, selectInstances];
