// NeuroPype's formatting node classes on the packet model: they change which chunks a packet holds
// and under what names, not the values — MergeStreams (several packets into one), RenameStreams,
// ExtractStreams (keep named chunks), SelectInstances (keep instances by their record fields).
// Engine worker / Node. Stateless.
import { InputError } from '../../core/errors';
import { TARGET, type InstanceAxis, type InstanceField } from '../axes';
import { axisIndex, selectAlong } from '../block';
import { mapChunks, type Chunk, type Packet } from '../packet';
import { sameAs, UNKNOWN_SHAPE, type ChunkShape } from '../shapes';
import type { InputPortSpec, NodeClass } from '../types';
import { input, np, output, p } from './common';
import { wildcard } from './markers';
import { dictOf } from './np-programming';
import { onlyDefault } from './np-utilities';

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
      (ins) => {
        const out: ChunkShape[] = [];
        for (const port of mergePorts) {
          const s = ins[port];
          if (s === UNKNOWN_SHAPE) return UNKNOWN_SHAPE;
          if (s) out.push(...s);
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
    const select = (c: Chunk, name: string): Chunk => {
      const d = axisIndex(c.block, 'instance');
      const a = c.block.axes[d] as InstanceAxis;
      for (const { field } of selection)
        if (!a.fields[field]) throw new InputError(`selection names the instance field "${field}", but chunk "${name}" has ${Object.keys(a.fields).join(', ') || 'no fields'}`, ctx.nodeId);
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
      reset() {},
    };
  },
};


export const NP_FORMATTING: NodeClass[] = [mergeStreams, renameStreams, extractStreams, selectInstances];
