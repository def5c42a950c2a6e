// Marker node classes: select/rename markers (NeuroPype RewriteMarkers) and assign class targets
// from marker values (NeuroPype AssignTargets), on marker chunks and on segmented data (whose
// instances carry their markers' fields). Engine worker / Node. Stateless.
import { InputError } from '../../core/errors';
import { MARKER, TARGET, type InstanceAxis } from '../axes';
import { axisIndex, selectAlong } from '../block';
import { mapChunks, withProps, type Chunk, type ChunkQuery } from '../packet';
import { sameAs, withShapeFlags, mapShapes } from '../shapes';
import type { NodeClass } from '../types';
import { input, MARKERS, np, output, p } from './common';

/** The chunk with some instance fields replaced (a new instance axis; the data is shared). */
function withInstanceFields(c: Chunk, fields: InstanceAxis['fields']): Chunk {
  const d = axisIndex(c.block, 'instance');
  const a = c.block.axes[d] as InstanceAxis;
  const axes = c.block.axes.slice();
  axes[d] = { ...a, fields: { ...a.fields, ...fields } };
  return { block: { ...c.block, axes }, props: c.props };
}

/** '*' matches any run of characters, '?' one character; everything else literally. */
export function wildcard(pattern: string): RegExp {
  return new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
}

function parseRules(raw: unknown, who: string): [string, string][] {
  let r = raw;
  if (typeof r === 'string') {
    // NeuroPype files store rules as Python dict text: "{'3': 'left', '4': 'right'}".
    try {
      r = JSON.parse(r.replace(/'/g, '"'));
    } catch {
      throw new InputError(`rules "${raw}" is not a dict of marker → new marker`, who);
    }
  }
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new InputError('rules must be a dict {old: new}', who);
  return Object.entries(r as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
}

export const rewriteMarkers: NodeClass = {
  type: 'markers.rewrite',
  package: 'markers',
  title: 'Select / rename markers',
  version: '1.1.0',
  neuropype: np('RewriteMarkers', 'markers'),
  doc: `Renames markers by rule and optionally drops all others (selection), in every marker chunk
(other chunks pass through). Rules are tried in order; keys may use wildcards (* and ?). An empty
new name drops the marker. Dropped markers take every field of their instance with them.

- **in/out \`data\`**: marker chunks.
- **rules** (dict old → new; NeuroPype's Python-dict text is accepted). **remove_all_others** (bool):
  keep only markers matched by a rule. **select** (list; optional): keep only these values (after renaming).`,
  inputs: [input('data', [MARKERS], 'Marker events.', { hint: 'wire a marker stream (e.g. io.marker-input, or a recording\'s markers)' })],
  outputs: [output('data', sameAs('data'), 'Renamed / selected markers.')],
  params: [
    p.any('rules', {}, 'Rewriting rules {old: new}.'),
    p.bool('remove_all_others', false, 'Drop markers no rule matches.'),
    p.list('select', null, 'Values to keep after renaming (null = all).', { items: 'string' }),
    p.enum('pattern_syntax', 'wildcards', ['wildcards'], 'Rule key syntax.'),
  ],
  create(params, ctx) {
    const rules = parseRules(params.rules, ctx.nodeId).map(([k, v]) => [wildcard(k), v] as const);
    const removeOthers = params.remove_all_others as boolean;
    const select = params.select as string[] | null;
    return {
      process(inputs) {
        const out = mapChunks(inputs.data, [MARKERS], (c) => {
          const d = axisIndex(c.block, 'instance');
          if (d < 0) return c;
          const old = (c.block.axes[d] as InstanceAxis).fields[MARKER];
          const values = Array.isArray(old) ? old : [];
          const keep: number[] = [];
          const renamed: string[] = [];
          values.forEach((v, i) => {
            const rule = rules.find(([re]) => re.test(v));
            if (!rule && removeOthers) return;
            const value = rule ? rule[1] : v;
            if (value === '' || (select && !select.includes(value))) return;
            keep.push(i);
            renamed.push(value);
          });
          if (!keep.length) return undefined;
          return withInstanceFields({ block: selectAlong(c.block, d, keep), props: c.props }, { [MARKER]: renamed });
        });
        return out ? { data: out } : undefined;
      },
      reset() {},
    };
  },
};

/** NeuroPype mapping: {value: target}, or a list whose index is the target. */
export function parseMapping(raw: unknown, who: string): [RegExp | string, number][] {
  if (Array.isArray(raw)) return raw.map((v, i) => [String(v), i]);
  if (typeof raw === 'object' && raw !== null) {
    return Object.entries(raw as Record<string, unknown>).map(([k, v]) => {
      const t = Number(v);
      if (typeof v === 'boolean' || !Number.isFinite(t)) throw new InputError(`target of "${k}" must be a number, got ${JSON.stringify(v)}`, who);
      return [k, t];
    });
  }
  throw new InputError('mapping must be {marker: target} or a list of markers (index = target)', who);
}

const WITH_INSTANCES: ChunkQuery = { withAxes: ['instance'] };

export const assignTargets: NodeClass = {
  type: 'markers.assign-targets',
  package: 'markers',
  title: 'Assign targets',
  version: '1.1.0',
  neuropype: np('AssignTargets', 'machine_learning'),
  doc: `Gives every instance — marker events, or segments by their marker — a numeric class target for
calibration, written into its \`TargetValue\` field, from a mapping of the instances' \`iv_column\`
values (default Marker): \`{"left": 0, "right": 1}\` or \`["left", "right"]\` (index = target).
Unmatched instances get NaN (no target; trainable nodes ignore them). Chunks without instances pass.

- **in/out \`data\`**: chunks with an instance axis (marker chunks, segmented data).
- **mapping** (dict or list). **support_wildcards** (bool): keys may use * and ?.
- **iv_column** (string): the instance field read (Marker).`,
  inputs: [input('data', [WITH_INSTANCES], 'Markers or segments.', { hint: 'targets are given to instances: feed markers or segmented data' })],
  outputs: [output('data', mapShapes('data', [WITH_INSTANCES], (s) => withShapeFlags(s, { has_targets: true })), 'Same, with targets.')],
  params: [
    p.any('mapping', {}, 'Marker value → class target.'),
    p.bool('support_wildcards', false, 'Keys may use * and ?.'),
    p.bool('is_categorical', false, 'Accepted for NeuroPype compatibility.'),
    p.string('iv_column', MARKER, 'Instance field whose values are mapped.'),
  ],
  create(params, ctx) {
    const wild = params.support_wildcards as boolean;
    const map = parseMapping(params.mapping, ctx.nodeId).map(([k, t]) => [wild ? wildcard(String(k)) : k, t] as const);
    if (!map.length) throw new InputError('mapping is empty: give e.g. {"left": 0, "right": 1}', ctx.nodeId);
    const column = params.iv_column as string;
    const targetOf = (v: string): number => {
      for (const [k, t] of map) if (typeof k === 'string' ? k === v : k.test(v)) return t;
      return NaN;
    };
    return {
      process(inputs) {
        const out = mapChunks(inputs.data, [WITH_INSTANCES], (c) => {
          const a = c.block.axes[axisIndex(c.block, 'instance')] as InstanceAxis;
          const f = a.fields[column];
          const values = Array.isArray(f) ? f : f ? Array.from(f, String) : [];
          const targets = Float64Array.from(a.timesMs, (_, i) => (values[i] === undefined ? NaN : targetOf(values[i])));
          const r = withInstanceFields(c, { [TARGET]: targets });
          return { block: r.block, props: withProps(c.props, { has_targets: true }) };
        });
        return out ? { data: out } : undefined;
      },
      reset() {},
    };
  },
};
