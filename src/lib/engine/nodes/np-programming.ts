// NeuroPype's programming node classes: value nodes that build plain values (strings, dict
// entries, the current list item) for other nodes' parameters — ConstantString, StringConcat,
// BreakStructure, ListIterator. They carry no packets: each `value` output is copied by the runtime
// into the parameters wired to it (NeuroPype's parameter ports, PYP.md §1.4/§1.7), in topological
// order, so value nodes chain (ConstantString → StringConcat → RecordToXDF `output_root`). Engine
// worker / Node. Stateless.
import { InputError } from '../../core/errors';
import { parsePythonLiteral } from '../../formats/pyp';
import type { NodeClass, OutputPortSpec, ParamSpec } from '../types';
import { np, p, valueOutput } from './common';

const idle = () => ({ process: () => undefined, reset() {} });

export const constantString: NodeClass = {
  type: 'np.constant-string',
  package: 'workflow',
  title: 'Constant string',
  version: '1.0.0',
  neuropype: np('ConstantString', 'programming'),
  doc: `A fixed string for another node's parameter (NeuroPype ConstantString): wire \`data\` into a
parameter (RecordToXDF \`output_root\`, StringConcat \`data1\` …).

- **out \`data\`** (value): **value**.
- **value** (string).`,
  inputs: [],
  outputs: [valueOutput('data', 'The string, applied to the wired parameter.')],
  params: [p.string('value', '', 'The string.')],
  values: (params) => ({ data: params.value }),
  create: idle,
};

const CONCAT_INPUTS = ['data1', 'data2', 'data3', 'data4'];

export const stringConcat: NodeClass = {
  type: 'np.string-concat',
  package: 'workflow',
  title: 'Concatenate strings',
  version: '1.0.0',
  neuropype: np('StringConcat', 'programming'),
  doc: `Joins up to four strings in port order, with no separator, skipping unset ones (NeuroPype
StringConcat; the order and the skipping are inferred from how real files build paths:
root + "/" + name). The inputs are parameters, wired from value outputs (ConstantString,
ParameterPort, BreakStructure …); numbers are written as Python's str() would for whole numbers.

- **in \`data1\` … \`data4\`** (value parameters, string; null = unset).
- **out \`outstring\`** (value).`,
  inputs: [],
  outputs: [valueOutput('outstring', 'The joined string.')],
  params: CONCAT_INPUTS.map((n, i) => p.any(n, null, `String ${i + 1} (null = skipped).`)),
  values: (params) => ({ outstring: CONCAT_INPUTS.map((n) => params[n]).filter((v) => v !== null && v !== undefined).map(String).join('') }),
  create(params, ctx) {
    for (const n of CONCAT_INPUTS) {
      const v = params[n];
      if (v !== null && typeof v !== 'string' && typeof v !== 'number') throw new InputError(`parameter "${n}" must be a string, got ${JSON.stringify(v)}`, ctx.nodeId);
    }
    return idle();
  },
};

const BREAK_SLOTS = 15;
const slots = Array.from({ length: BREAK_SLOTS }, (_, k) => k);
const DEFAULT_TYPES = ['str'] as const;

export const breakStructure: NodeClass = {
  type: 'np.break-structure',
  package: 'workflow',
  title: 'Break structure',
  version: '1.0.0',
  neuropype: np('BreakStructure', 'programming'),
  doc: `Splits a dict into up to 15 values (NeuroPype BreakStructure): \`out<k>\` = \`indict[name<k>]\` when
the key is there, else \`default<k>\` (as a string, \`defaults_type\` "str"); a slot whose name is unset
gives no value (the wired parameter keeps its own). Typically fed by a ParameterPort of
value_type dict, its outputs setting ImportXDF \`filename\`, Segmentation \`time_bounds\` …

- **in \`indict\`** (value parameter, dict; NeuroPype's Python dict text is accepted).
- **out \`out0\` … \`out14\`** (values).
- **name0** … **name14** (string, null), **default0** … **default14** (any, null), **defaults_type**
  ("str" only: the other casts are undocumented and refused).`,
  inputs: [],
  outputs: slots.map((k): OutputPortSpec => valueOutput(`out${k}`, `indict[name${k}], else default${k}.`)),
  params: [
    p.any('indict', null, 'The dict to split (null = empty).'),
    ...slots.map((k): ParamSpec => p.string(`name${k}`, null, `Key read into out${k}.`)),
    ...slots.map((k): ParamSpec => p.any(`default${k}`, null, `Value of out${k} when the key is missing.`)),
    p.enum('defaults_type', 'str', DEFAULT_TYPES, 'Type the defaults are cast to (only "str").'),
  ],
  values(params) {
    const dict = dictOf(params.indict, 'indict', 'BreakStructure');
    const out: Record<string, unknown> = {};
    for (const k of slots) {
      const name = params[`name${k}`] as string | null;
      if (name === null) continue;
      const def = params[`default${k}`];
      out[`out${k}`] = Object.hasOwn(dict, name) ? dict[name] : def === null || def === undefined ? null : String(def);
    }
    return out;
  },
  create(params, ctx) {
    dictOf(params.indict, 'indict', ctx.nodeId);
    return idle();
  },
};

export const listIterator: NodeClass = {
  type: 'np.list-iterator',
  package: 'workflow',
  title: 'List iterator',
  version: '1.2.0',
  neuropype: np('ListIterator', 'programming'),
  doc: `NeuroPype ListIterator runs the whole pipeline once per item of \`items\`, with \`curitem\` set to
that item (an offline batch loop). Neurotab runs a pipeline once, so this node accepts a list of at
most one item and gives it on \`curitem\`; a longer list is refused at load (run the pipeline once
per item, e.g. with a ParameterPort set from the command line or the API, instead). An empty list
gives no value.

- **in \`items\`** (value parameter, list). **out \`curitem\`** (value). **verbose** is ignored.`,
  inputs: [],
  outputs: [valueOutput('curitem', 'The current (only) item.')],
  params: [p.list('items', [], 'Items to iterate over (at most one here).'), p.bool('verbose', false, 'Ignored.')],
  values: (params) => ({ curitem: (params.items as unknown[])[0] ?? null }),
  create(params, ctx) {
    const items = params.items as unknown[];
    if (items.length > 1)
      throw new InputError(
        `parameter "items" holds ${items.length} items, but running the pipeline once per item (NeuroPype's batch loop) is not supported; give one item and run the pipeline once per item`,
        ctx.nodeId,
      );
    return idle();
  },
};

/** A dict parameter: an object, NeuroPype's Python dict text, or null (empty). */
export function dictOf(raw: unknown, name: string, who: string): Record<string, unknown> {
  if (raw === null || raw === undefined) return {};
  let v: unknown = raw;
  if (typeof v === 'string') {
    try {
      v = parsePythonLiteral(v, who);
    } catch {
      throw new InputError(`parameter "${name}" is not a dict: ${JSON.stringify(raw)}`, who);
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(`parameter "${name}" must be a dict, got ${JSON.stringify(raw)}`, who);
  return v as Record<string, unknown>;
}

export const NP_PROGRAMMING: NodeClass[] = [constantString, stringConcat, breakStructure, listIterator];
