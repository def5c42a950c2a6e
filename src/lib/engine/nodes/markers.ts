// Marker node classes: select/rename markers (NeuroPype RewriteMarkers) and assign class targets
// from marker values (NeuroPype AssignTargets). Engine worker / Node. Stateless.
import { InputError } from '../../core/errors';
import type { EpochsPacket, MarkersPacket, NodeClass, TargetedMarker } from '../types';
import { input, np, output, p } from './common';

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
  version: '1.0.0',
  neuropype: np('RewriteMarkers', 'markers'),
  doc: `Renames markers by rule and optionally drops all others (selection). Rules are tried in order;
keys may use wildcards (* and ?). An empty new name drops the marker.

- **in/out \`data\`** (markers).
- **rules** (dict old → new; NeuroPype's Python-dict text is accepted). **remove_all_others** (bool):
  keep only markers matched by a rule. **select** (list; optional): keep only these values (after renaming).`,
  inputs: [input('data', ['markers'], 'Marker events.')],
  outputs: [output('data', 'markers', 'Renamed / selected markers.')],
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
        const d = inputs.data as MarkersPacket | undefined;
        if (!d) return;
        const events: TargetedMarker[] = [];
        for (const e of d.events) {
          const rule = rules.find(([re]) => re.test(e.value));
          if (!rule && removeOthers) continue;
          const value = rule ? rule[1] : e.value;
          if (value === '' || (select && !select.includes(value))) continue;
          events.push({ ...e, value });
        }
        return events.length ? { data: { kind: 'markers', events } } : undefined;
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

export const assignTargets: NodeClass = {
  type: 'markers.assign-targets',
  package: 'markers',
  title: 'Assign targets',
  version: '1.0.0',
  neuropype: np('AssignTargets', 'machine_learning'),
  doc: `Gives markers (or epochs, by their marker) a numeric class target for calibration, from a
mapping of marker values: \`{"left": 0, "right": 1}\` or \`["left", "right"]\` (index = target).
Unmatched markers keep no target (and are ignored by trainable nodes).

- **in/out \`data\`** (markers | epochs).
- **mapping** (dict or list). **support_wildcards** (bool): keys may use * and ?.`,
  inputs: [input('data', ['markers', 'epochs'], 'Markers or epochs.')],
  outputs: [output('data', { sameAs: 'data' }, 'Same, with targets.')],
  params: [
    p.any('mapping', {}, 'Marker value → class target.'),
    p.bool('support_wildcards', false, 'Keys may use * and ?.'),
    p.bool('is_categorical', false, 'Accepted for NeuroPype compatibility.'),
    p.string('iv_column', 'Marker', 'Accepted for NeuroPype compatibility.'),
  ],
  create(params, ctx) {
    const wild = params.support_wildcards as boolean;
    const map = parseMapping(params.mapping, ctx.nodeId).map(([k, t]) => [wild ? wildcard(String(k)) : k, t] as const);
    if (!map.length) throw new InputError('mapping is empty: give e.g. {"left": 0, "right": 1}', ctx.nodeId);
    const targetOf = (v: string | undefined): number | undefined => {
      if (v === undefined) return undefined;
      for (const [k, t] of map) if (typeof k === 'string' ? k === v : k.test(v)) return t;
      return undefined;
    };
    return {
      process(inputs) {
        const d = inputs.data as MarkersPacket | EpochsPacket | undefined;
        if (!d) return;
        if (d.kind === 'markers') return { data: { kind: 'markers', events: d.events.map((e) => ({ ...e, target: targetOf(e.value) })) } };
        return { data: { ...d, items: d.items.map((e) => ({ ...e, target: targetOf(e.marker) })) } };
      },
      reset() {},
    };
  },
};
