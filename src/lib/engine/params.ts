// Parameter checking against a node class's ParamSpec (type, domain, list shape) and the mapping
// to NeuroPype's parameter vocabulary (value_type 'builtins.float', port_type 'FloatPort').
// Pure; runs anywhere. Must not mutate the values it is given.
import { InputError } from '../core/errors';
import type { NodeClass, ParamSpec, ParamType } from './types';

/** Checks one value; returns the normalised value (ints stay ints, lists copied) or throws InputError. */
export function checkParam(spec: ParamSpec, value: unknown, where: string): unknown {
  const at = where ? `${where}: parameter "${spec.name}"` : `parameter "${spec.name}"`;
  if (value === undefined) return structuredClone(spec.default);
  if (value === null) {
    if (spec.nullable || spec.type === 'any') return null;
    throw new InputError(`must not be null (expects ${describeType(spec)})`, at);
  }
  switch (spec.type) {
    case 'bool':
      if (typeof value !== 'boolean') throw new InputError(`expects true or false, got ${show(value)}`, at);
      return value;
    case 'int':
    case 'float': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || Number.isNaN(n)) throw new InputError(`expects a number${unitText(spec)}, got ${show(value)}`, at);
      if (spec.type === 'int' && !Number.isInteger(n)) throw new InputError(`expects a whole number, got ${show(value)}`, at);
      checkRange(spec, n, at);
      return n;
    }
    case 'string':
      if (typeof value !== 'string') throw new InputError(`expects a string, got ${show(value)}`, at);
      return value;
    case 'enum': {
      const allowed = (spec.domain ?? []) as readonly string[];
      if (typeof value !== 'string' || !allowed.includes(value))
        throw new InputError(`expects one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${show(value)}`, at);
      return value;
    }
    case 'list': {
      if (!Array.isArray(value)) throw new InputError(`expects a list${spec.items ? ` of ${spec.items}s` : ''}${unitText(spec)}, got ${show(value)}`, at);
      if (spec.lengths && !spec.lengths.includes(value.length))
        throw new InputError(`expects ${spec.lengths.join(' or ')} items, got ${value.length}`, at);
      value.forEach((v, i) => {
        if (spec.items === 'number') {
          if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`item ${i} must be a finite number${unitText(spec)}, got ${show(v)}`, at);
          checkRange(spec, v, `${at} item ${i}`);
        } else if (spec.items === 'string' && typeof v !== 'string') {
          throw new InputError(`item ${i} must be a string, got ${show(v)}`, at);
        }
      });
      return structuredClone(value);
    }
    case 'dict':
      if (typeof value !== 'object' || Array.isArray(value)) throw new InputError(`expects an object, got ${show(value)}`, at);
      return structuredClone(value);
    case 'any':
      return structuredClone(value);
  }
}

function checkRange(spec: ParamSpec, n: number, at: string): void {
  if (!spec.domain || typeof spec.domain[0] !== 'number') return;
  const [lo, hi] = spec.domain as [number, number];
  if (n < lo || n > hi) throw new InputError(`${n}${spec.unit ? ' ' + spec.unit : ''} is outside [${lo}, ${hi}]`, at);
}

function unitText(spec: ParamSpec): string {
  return spec.unit ? ` (${spec.unit})` : '';
}

function describeType(spec: ParamSpec): string {
  return spec.type === 'enum' ? `one of ${(spec.domain as string[]).join(', ')}` : spec.type;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** Finds a parameter by name or alias. */
export function findParam(cls: NodeClass, name: string): ParamSpec | undefined {
  return cls.params.find((p) => p.name === name) ?? cls.params.find((p) => p.aliases?.includes(name));
}

/**
 * Resolves a node's full parameter set: defaults for what is missing, every given value checked.
 * Unknown names are an error (a typo in a pipeline must not pass silently).
 */
export function resolveParams(cls: NodeClass, given: Record<string, unknown> | undefined, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of cls.params) out[spec.name] = structuredClone(spec.default);
  for (const [name, value] of Object.entries(given ?? {})) {
    const spec = findParam(cls, name);
    if (!spec) {
      if (cls.lenientParams) continue;
      const known = cls.params.map((p) => p.name).join(', ') || '(none)';
      throw new InputError(`unknown parameter "${name}" for ${cls.type}; known: ${known}`, where);
    }
    out[spec.name] = checkParam(spec, value, where);
  }
  return out;
}

// --- NeuroPype vocabulary ----------------------------------------------------------------------

const VALUE_TYPE: Record<ParamType, string> = {
  bool: 'builtins.bool',
  int: 'builtins.int',
  float: 'builtins.float',
  string: 'builtins.str',
  enum: 'builtins.str',
  list: 'builtins.list',
  dict: 'builtins.dict',
  any: 'builtins.object',
};
const PORT_TYPE: Record<ParamType, string> = {
  bool: 'BoolPort',
  int: 'IntPort',
  float: 'FloatPort',
  string: 'StringPort',
  enum: 'EnumPort',
  list: 'ListPort',
  dict: 'DictPort',
  any: 'Port',
};

/** NeuroPype `value_type` of a parameter ('builtins.float' …). */
export function neuropypeValueType(spec: ParamSpec): string {
  return VALUE_TYPE[spec.type];
}

/** NeuroPype `port_type` of a parameter ('FloatPort' …). */
export function neuropypePortType(spec: ParamSpec): string {
  return PORT_TYPE[spec.type];
}

/** NeuroPype `value_domain`: enum members or [min, max] with ±Infinity spelled as strings; else null. */
export function neuropypeValueDomain(spec: ParamSpec): (number | string)[] | null {
  if (!spec.domain) return null;
  if (typeof spec.domain[0] === 'string') return [...(spec.domain as readonly string[])];
  return (spec.domain as [number, number]).map((n) => (n === Infinity ? 'Infinity' : n === -Infinity ? '-Infinity' : n));
}
