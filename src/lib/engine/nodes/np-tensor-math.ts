// NeuroPype's tensor_math classes: OverrideAxis (replace an axis by one of another type or new
// labels), SetAxisValues (overwrite one array of an axis, e.g. channel names) and StripSingletonAxis.
// Engine worker / Node. Structural: they build new axes (allocates one small axis per chunk, never
// copies the data) and pass marker chunks unless told otherwise.
import { InputError } from '../../core/errors';
import type { ChannelInfo } from '../../core/stream';
import {
  axisLabels,
  axisLength,
  featureAxis,
  frequencyAxis,
  instanceAxis,
  lagAxis,
  MARKER,
  plainAxis,
  spaceAxis,
  statisticAxis,
  timeAxis,
  type Axis,
  type AxisType,
  type InstanceField,
} from '../axes';
import { axisIndex, describeAxes, dropSingleton } from '../block';
import { mapChunks, withBlock, type Chunk, type ChunkQuery } from '../packet';
import { AXIS_PARAM_DOMAIN, mapShapes, removeAxis, sameAs } from '../shapes';
import type { NodeClass } from '../types';
import { DATA, input, np, output, p } from './common';
import { onlyDefault } from './np-common';

type Params = Readonly<Record<string, unknown>>;

/** The chunks a node with `only_signals` and an axis parameter works on. */
function withAxisAccepts(axisParam: string) {
  return (params: Params): ChunkQuery[] => [{ ...(params.only_signals === false ? {} : { onlySignals: true }), withAxes: [params[axisParam] as AxisType] }];
}

/** The axis a parameter names in a chunk, or an InputError naming what the chunk has. */
function axisAt(c: Chunk, type: AxisType, occurrence: number, who: string): number {
  const d = axisIndex(c.block, type, occurrence);
  if (d < 0) throw new InputError(`needs a ${type} axis${occurrence ? ` (occurrence ${occurrence})` : ''}, but the data has ${describeAxes(c.block.axes)}`, who);
  return d;
}

/** Numbers an axis carries, in NeuroPype's units (times in seconds), or undefined for axes of names. */
function axisNumbers(a: Axis): number[] | undefined {
  switch (a.type) {
    case 'time':
    case 'instance':
      return Array.from(a.timesMs, (t) => t / 1000);
    case 'frequency':
      return Array.from(a.frequenciesHz);
    case 'lag':
      return Array.from(a.lags);
    case 'axis':
      return Array.from({ length: a.length }, (_, i) => i);
    default:
      return undefined;
  }
}

/** Names an axis carries (channel labels, feature names, statistics, instance markers), or undefined. */
function axisNames(a: Axis): string[] | undefined {
  if (a.type === 'space' || a.type === 'feature' || a.type === 'statistic') return axisLabels(a);
  if (a.type === 'instance' && Array.isArray(a.fields[MARKER])) return [...(a.fields[MARKER] as string[])];
  return undefined;
}

const NUMERIC: readonly AxisType[] = ['time', 'instance', 'frequency', 'lag'];

// ------------------------------------------------------------------------------- OverrideAxis

/**
 * The new axis of OverrideAxis: `labels` (strings) and `numbers` (NeuroPype units: seconds, Hz,
 * samples), one per element; numeric axes need numbers, named axes take labels. `old` is kept for
 * `keep_other_arrays` when the type does not change.
 */
function buildAxis(type: AxisType, n: number, labels: string[] | undefined, numbers: number[] | undefined, old: Axis, keepOther: boolean, who: string): Axis {
  const same = old.type === type && keepOther;
  if (NUMERIC.includes(type)) {
    if (!numbers) throw new InputError(`a new ${type} axis needs numbers (${type === 'frequency' ? 'Hz' : type === 'lag' ? 'samples' : 'seconds'}): give them in init_data or set carry_over_numbers with a numeric old axis`, who);
    const f64 = Float64Array.from(numbers);
    if (type === 'frequency') return frequencyAxis(f64);
    if (type === 'lag') return lagAxis(f64);
    const ms = f64.map((s) => s * 1000);
    if (type === 'time') return timeAxis(ms, old.type === 'time' ? old.nominalRateHz : 0);
    const fields: Record<string, InstanceField> = same && old.type === 'instance' ? { ...old.fields } : {};
    if (labels) fields[MARKER] = labels;
    return instanceAxis(ms, fields, same && old.type === 'instance' ? old.instanceType : 'markers');
  }
  if (type === 'axis') return plainAxis(n);
  const names = labels ?? Array.from({ length: n }, (_, i) => String(i));
  if (type === 'space') {
    const prev = old.type === 'space' ? old : undefined;
    const channels: ChannelInfo[] = names.map((label, i) => (same && prev ? { ...prev.channels[i], label } : { label, unit: prev?.channels[i].unit ?? '', type: prev?.channels[i].type ?? 'MISC' }));
    return same && prev ? { ...prev, channels } : spaceAxis(channels);
  }
  if (type === 'feature') {
    const prev = old.type === 'feature' && same ? old : undefined;
    return featureAxis(names, prev ? prev.units : names.map(() => ''), prev ? prev.properties : null);
  }
  return statisticAxis(names);
}

function formatNumber(v: number, decimals: number): string {
  return String(+v.toFixed(decimals));
}

export const overrideAxis: NodeClass = {
  type: 'math.override-axis',
  package: 'math',
  title: 'Override axis',
  version: '1.0.0',
  neuropype: np('OverrideAxis', 'tensor_math'),
  doc: `Replaces one axis of every data chunk by an axis of another type, or of the same type with new
labels (NeuroPype's OverrideAxis). The data is not touched; only the axis changes.

- **in/out \`data\`**: chunks with the **old_axis** (occurrence **axis_occurrence**); markers pass
  (unless **only_signals** is false).
- **new_axis**: type of the new axis. **init_data** (list): its labels or values, one per element
  (the length must match): strings become names (feature/space/statistic; instance: Marker),
  numbers values (time/instance in seconds, frequency in Hz, lag in samples).
- Without **init_data**: **carry_over_names** copies the old labels (channel labels, feature names,
  instance markers), **carry_over_numbers** the old values (times, frequencies; as names with
  **decimals** digits when the new axis has names). With both, **join_format** combines them:
  \`"{old}-{new}"\` etc. (\`{new}\` the init_data label, \`{old}\` the old one).
- **keep_other_arrays** (same type only): keep the other arrays of the old axis (units, channel
  types and positions, instance fields). **keep_props**, **custom_label**, **verbosity**: accepted at
  their defaults (no effect here).
Where NeuroPype is silent (PYP.md/NEUROPYPE-NODES.md [I]): names without init_data are the element
indices; a numeric new axis without numbers is refused.`,
  inputs: [input('data', withAxisAccepts('old_axis'), 'Chunks with the axis to replace.', { hint: 'set old_axis to an axis the data has' })],
  outputs: [
    output(
      'data',
      mapShapes('data', withAxisAccepts('old_axis'), (s, params) => {
        const axes = s.axes.slice();
        const occ = params.axis_occurrence as number;
        const at = axes.map((t, i) => (t === params.old_axis ? i : -1)).filter((i) => i >= 0).at(occ) ?? -1;
        if (at < 0) return s;
        const wasSingleton = s.singletons.includes(axes[at]);
        axes[at] = params.new_axis as AxisType;
        return { ...s, axes, singletons: wasSingleton ? [...s.singletons.filter((t) => t !== params.old_axis), params.new_axis as AxisType] : s.singletons.filter((t) => t !== params.new_axis) };
      }),
      'The same chunks with the new axis.',
    ),
  ],
  params: [
    p.enum('old_axis', 'feature', AXIS_PARAM_DOMAIN, 'Axis to replace.'),
    p.int('axis_occurrence', 0, 'Which axis of that type (0 first, −1 last).', { domain: [-8, 8] }),
    p.enum('new_axis', 'feature', AXIS_PARAM_DOMAIN, 'Type of the new axis.'),
    p.list('init_data', null, 'Labels or values of the new axis, one per element (null = carry over).', { items: 'any' }),
    p.bool('carry_over_names', true, 'Copy the old labels where init_data gives none.'),
    p.bool('carry_over_numbers', true, 'Copy the old numeric values (times in s, frequencies in Hz).'),
    p.string('join_format', '{new}', 'How old and new labels combine ({old}, {new}).'),
    p.int('decimals', 3, 'Digits kept when numbers become labels.', { domain: [0, 15] }),
    p.string('custom_label', null, 'Accepted at null only.'),
    p.bool('keep_other_arrays', false, 'Keep the other arrays of the old axis (same type only).'),
    p.bool('keep_props', false, 'Accepted (axis properties are kept with keep_other_arrays).'),
    p.bool('only_signals', true, 'Only data chunks (false: marker chunks too).'),
    p.int('verbosity', 0, 'Accepted and ignored.'),
  ],
  create(params, ctx) {
    const who = ctx.nodeId;
    onlyDefault(params, 'custom_label', null, 'NeuroPype does not document it', who);
    const oldType = params.old_axis as AxisType;
    const newType = params.new_axis as AxisType;
    const occurrence = params.axis_occurrence as number;
    const init = params.init_data as unknown[] | null;
    const fmt = params.join_format as string;
    const decimals = params.decimals as number;
    if (init && NUMERIC.includes(newType) && !init.every((v) => typeof v === 'number'))
      throw new InputError(`a new ${newType} axis needs numbers, but init_data holds ${JSON.stringify(init.find((v) => typeof v !== 'number'))}; give numbers or choose a named axis (feature, space, statistic)`, who);
    const accepts = withAxisAccepts('old_axis')(params);
    const replace = (c: Chunk): Chunk => {
      const d = axisAt(c, oldType, occurrence, who);
      const old = c.block.axes[d];
      const n = axisLength(old);
      if (init && init.length !== n) throw new InputError(`init_data has ${init.length} entries but the ${oldType} axis has ${n} elements (${describeAxes(c.block.axes)}); give one per element`, who);
      const oldNumbers = params.carry_over_numbers ? axisNumbers(old) : undefined;
      const oldNames = params.carry_over_names ? axisNames(old) : undefined;
      const oldLabels = oldNames ?? oldNumbers?.map((v) => formatNumber(v, decimals));
      let labels: string[] | undefined;
      let numbers: number[] | undefined;
      if (init) {
        if (init.every((v) => typeof v === 'number')) numbers = init as number[];
        labels = init.map((v, i) => fmt.replaceAll('{new}', typeof v === 'number' ? formatNumber(v, decimals) : String(v)).replaceAll('{old}', oldLabels?.[i] ?? String(i)));
      } else {
        labels = oldLabels;
        numbers = oldNumbers;
      }
      const axes = c.block.axes.slice();
      axes[d] = buildAxis(newType, n, labels, numbers, old, params.keep_other_arrays as boolean, who);
      return withBlock(c, { data: c.block.data, shape: c.block.shape, axes });
    };
    return {
      process(inputs) {
        const r = mapChunks(inputs.data, accepts, replace);
        return r ? { data: r } : undefined;
      },
      reset() {},
    };
  },
};

// ------------------------------------------------------------------------------- SetAxisValues

/** The arrays SetAxisValues can write per axis type; the first is the main one (array_name null). */
const AXIS_ARRAYS: Record<AxisType, readonly string[]> = {
  space: ['names', 'units', 'types'],
  feature: ['names', 'units'],
  statistic: ['param_types'],
  time: ['times'],
  instance: ['times'],
  frequency: ['frequencies'],
  lag: ['lags'],
  axis: [],
};

function numbersOf(values: unknown[], what: string, who: string): Float64Array {
  const bad = values.find((v) => typeof v !== 'number');
  if (bad !== undefined) throw new InputError(`${what} must be numbers, got ${JSON.stringify(bad)}`, who);
  return Float64Array.from(values as number[]);
}

/** The axis with array `name` replaced by `values` (one per element). Allocates the new axis only. */
function setAxisArray(a: Axis, name: string, values: unknown[], who: string): Axis {
  const strings = values.map(String);
  switch (a.type) {
    case 'space':
      if (name === 'names') return { ...a, channels: a.channels.map((c, i) => ({ ...c, label: strings[i] })) };
      if (name === 'units') return { ...a, channels: a.channels.map((c, i) => ({ ...c, unit: strings[i] })) };
      return { ...a, channels: a.channels.map((c, i) => ({ ...c, type: strings[i] })) };
    case 'feature':
      return name === 'names' ? featureAxis(strings, a.units, a.properties) : featureAxis(a.names, strings, a.properties);
    case 'statistic':
      return statisticAxis(strings);
    case 'time':
      return timeAxis(numbersOf(values, 'time values (seconds)', who).map((s) => s * 1000), a.nominalRateHz);
    case 'instance': {
      if (name === 'times') return instanceAxis(numbersOf(values, 'instance times (seconds)', who).map((s) => s * 1000), a.fields, a.instanceType);
      // an instance-data field: numbers stay numbers (TargetValue), anything else strings (Marker)
      const field: InstanceField = values.every((v) => typeof v === 'number') ? Float64Array.from(values as number[]) : strings;
      return instanceAxis(a.timesMs, { ...a.fields, [name]: field }, a.instanceType);
    }
    case 'frequency':
      return frequencyAxis(numbersOf(values, 'frequencies (Hz)', who));
    case 'lag':
      return lagAxis(numbersOf(values, 'lags (samples)', who));
    case 'axis':
      throw new InputError('a plain axis has no arrays to set', who);
  }
}

export const setAxisValues: NodeClass = {
  type: 'math.set-axis-values',
  package: 'math',
  title: 'Set axis values',
  version: '1.0.0',
  neuropype: np('SetAxisValues', 'tensor_math'),
  doc: `Overwrites one array of an axis (NeuroPype's SetAxisValues), e.g. the channel names of a
stream whose device sends none: LSLInput → SetAxisValues(space, ["Fp1", …]) → SelectRange.

- **in/out \`data\`**: chunks with the **axis** (occurrence **axis_occurrence**), only the chunk named
  **stream** when set; markers pass unless **only_signals** is false.
- **values** (list): one per element of the axis (null: data passes unchanged, with a warning). **array_name** (null = the main array): space
  names | units | types; feature names | units; time/instance times (s); frequency frequencies
  (Hz); lag lags; statistic param_types; on the instance axis any other name is an instance-data
  field (numbers stay numbers, e.g. TargetValue; else strings, e.g. Marker).
- **handle_existing** "replace-all", **axis_label** null, **infer_dummy_values** false: the only values
  accepted (the others are undocumented).`,
  inputs: [input('data', withAxisAccepts('axis'), 'Chunks with the axis.', { hint: 'set axis to an axis the data has' })],
  outputs: [output('data', sameAs('data'), 'The same chunks, the axis array replaced.')],
  params: [
    p.enum('axis', 'space', AXIS_PARAM_DOMAIN, 'Axis whose array is set.'),
    p.list('values', null, 'New values, one per element of the axis.', { items: 'any' }),
    p.string('array_name', null, 'Array to set (null = the main one: names, times, frequencies …).'),
    p.string('axis_label', null, 'Accepted at null only.'),
    p.int('axis_occurrence', 0, 'Which axis of that type (0 first, −1 last).', { domain: [-8, 8] }),
    p.enum('handle_existing', 'replace-all', ['replace-all'], 'What happens to the existing values.'),
    p.bool('infer_dummy_values', false, 'Accepted at false only.'),
    p.bool('only_signals', true, 'Only data chunks (false: marker chunks too).'),
    p.string('stream', null, 'Only the chunk of this name (null = every chunk).'),
  ],
  create(params, ctx) {
    const who = ctx.nodeId;
    onlyDefault(params, 'axis_label', null, 'NeuroPype does not document it', who);
    onlyDefault(params, 'infer_dummy_values', false, 'NeuroPype does not document it', who);
    const type = params.axis as AxisType;
    const values = params.values as unknown[] | null;
    if (!values) {
      ctx.log(30, 'no "values" set: data passes unchanged; give one entry per element of the axis (e.g. channel names)');
      return { process: (inputs) => (inputs.data ? { data: inputs.data } : undefined), reset() {} };
    }
    const arrays = AXIS_ARRAYS[type];
    const name = (params.array_name as string | null) ?? arrays[0];
    if (name === undefined) throw new InputError(`a plain axis has no arrays to set; choose another axis`, who);
    if (!arrays.includes(name) && type !== 'instance') throw new InputError(`array_name "${name}" is not an array of a ${type} axis (arrays: ${arrays.join(', ')})`, who);
    const accepts = withAxisAccepts('axis')(params).map((q) => (params.stream ? { ...q, nameEquals: params.stream as string } : q));
    return {
      process(inputs) {
        const r = mapChunks(inputs.data, accepts, (c) => {
          const d = axisAt(c, type, params.axis_occurrence as number, who);
          const n = c.block.shape[d];
          if (values.length !== n) throw new InputError(`values has ${values.length} entries but the ${type} axis has ${n} elements (${describeAxes(c.block.axes)}); give one per element`, who);
          const axes = c.block.axes.slice();
          axes[d] = setAxisArray(axes[d], name, values, who);
          return withBlock(c, { data: c.block.data, shape: c.block.shape, axes });
        });
        return r ? { data: r } : undefined;
      },
      reset() {},
    };
  },
};

// ------------------------------------------------------------------------------- StripSingletonAxis

const stripAccepts = (params: Params): ChunkQuery[] => [{ ...DATA, withAxes: [params.axis as AxisType] }];

export const stripSingletonAxis: NodeClass = {
  type: 'math.strip-singleton-axis',
  package: 'math',
  title: 'Strip singleton axis',
  version: '1.0.0',
  neuropype: np('StripSingletonAxis', 'tensor_math'),
  doc: `Removes the **axis** of every data chunk where it holds exactly one element (NeuroPype's
StripSingletonAxis), e.g. the one-element time axis of a whole-recording spectrum before a plot.
Where it holds more, the chunk passes unchanged and a warning is logged once (NeuroPype is silent
on this case).

- **in/out \`data\`**: data chunks (those without the axis, and markers, pass). **axis** (default time).`,
  // Any data chunk: one without the axis passes unchanged (NeuroPype only touches chunks that have it,
  // and real pipelines strip a time axis from data that may or may not carry one).
  inputs: [input('data', [DATA], 'Data chunks; those without the axis pass unchanged.')],
  outputs: [output('data', mapShapes('data', stripAccepts, (s, params) => (s.singletons.includes(params.axis as AxisType) ? removeAxis(s, params.axis as AxisType) : s)), 'The chunks without the one-element axis.')],
  params: [p.enum('axis', 'time', AXIS_PARAM_DOMAIN, 'Axis removed when it has one element.')],
  create(params, ctx) {
    const type = params.axis as AxisType;
    let warned = false;
    return {
      process(inputs) {
        const r = mapChunks(inputs.data, stripAccepts(params), (c) => {
          const d = axisIndex(c.block, type);
          if (c.block.shape[d] === 1) return withBlock(c, dropSingleton(c.block, d));
          if (!warned) ctx.log(30, `the ${type} axis has ${c.block.shape[d]} elements, not 1: data passed unchanged`);
          warned = true;
          return c;
        });
        return r ? { data: r } : undefined;
      },
      reset() {},
    };
  },
};

/** The tensor_math classes, as index.ts registers them. */
export const NP_TENSOR_MATH: NodeClass[] = [overrideAxis, setAxisValues, stripSingletonAxis];
