// Workflow node classes: ParameterPort, a named pipeline setting that the API (`configure`) can
// change while running and that is wired into another node's parameter. Engine worker / Node.
import { InputError } from '../../core/errors';
import type { NodeClass } from '../types';
import { np, p, valueOutput } from './common';

const VALUE_TYPES = ['any', 'string', 'float', 'int', 'bool', 'list', 'dict'] as const;

export const parameterPort: NodeClass = {
  type: 'workflow.parameter-port',
  package: 'workflow',
  title: 'Parameter port',
  version: '1.0.0',
  neuropype: np('ParameterPort', 'workflow'),
  doc: `A named pipeline parameter (NeuroPype ParameterPort, API.md §7.9). Wire \`value\` into a parameter
of another node (edge targetPort = that parameter's name); \`Execution.configure({name: value})\` changes
it while running. The target node is rebuilt with the new value only if the value passes that
parameter's checks and the data it is receiving; otherwise the change is rejected and nothing changes.

- **out \`value\`** (value).
- **internal_name** (alias **portname**): the public name. **value** (alias **default**): current value.
- **value_type**: any | string | float | int | bool | list | dict (checked on every change); an empty
  string for float … dict means no value (the designer's unfilled default).`,
  inputs: [],
  outputs: [valueOutput('value', 'The current value, applied to the wired parameter.')],
  params: [
    p.string('internal_name', 'param', 'Public name used by configure.', { aliases: ['portname'] }),
    p.any('value', null, 'Current value (null = leave the target parameter at its own value).', { aliases: ['default'] }),
    p.enum('value_type', 'any', VALUE_TYPES, 'Type every value must have.'),
    p.string('desc', '', 'Description shown to users.'),
    p.string('verbose_name', '', 'Display name.'),
  ],
  values: (params) => ({ value: currentValue(params) }),
  create(params, ctx) {
    const v = currentValue(params);
    const t = params.value_type as (typeof VALUE_TYPES)[number];
    if (v !== null && v !== undefined && !matchesType(v, t)) throw new InputError(`value ${JSON.stringify(v)} is not of value_type ${t}`, ctx.nodeId);
    return { process: () => undefined, reset() {}, peek: () => ({ name: params.internal_name, value: v }) };
  },
};

/**
 * The port's value; an empty string for a non-string value_type is no value (null), as NeuroPype's
 * designer saves a ParameterPort whose default was never filled in (e.g. a dict set by the host).
 */
function currentValue(params: Readonly<Record<string, unknown>>): unknown {
  const t = params.value_type;
  return params.value === '' && t !== 'string' && t !== 'any' ? null : params.value;
}

function matchesType(v: unknown, t: (typeof VALUE_TYPES)[number]): boolean {
  switch (t) {
    case 'any':
      return true;
    case 'string':
      return typeof v === 'string';
    case 'float':
      return typeof v === 'number';
    case 'int':
      return typeof v === 'number' && Number.isInteger(v);
    case 'bool':
      return typeof v === 'boolean';
    case 'list':
      return Array.isArray(v);
    case 'dict':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
  }
}
