// NeuroPype's statistics classes GroupedMean (one instance per group of trials, the dsp/grouped-mean
// kernel) and Winsorize (clip to quantiles along an axis, the dsp/axis-ops kernel). Engine worker /
// Node. Both work on each chunk on its own (stateless) and allocate their output.
import { InputError } from '../../core/errors';
import { groupedMean, type GroupedMeanOptions } from '../../dsp/grouped-mean';
import { winsorize } from '../../dsp/axis-ops';
import { instanceAxis, type AxisType, type InstanceAxis, type InstanceField } from '../axes';
import { axisIndex, moveAxis } from '../block';
import { mapChunks, withBlock, withData, type ChunkQuery } from '../packet';
import { AXIS_PARAM_DOMAIN, sameAs } from '../shapes';
import type { NodeClass } from '../types';
import { alloc, input, np, output, p } from './common';
import { rethrowAs } from './np-common';

const WITH_INSTANCES: ChunkQuery = { onlySignals: true, withAxes: ['instance'] };

/** The mean type the kernel computes from NeuroPype's mean_type, trim_proportion and winsorize. */
function meanTypeOf(params: Readonly<Record<string, unknown>>): NonNullable<GroupedMeanOptions['meanType']> {
  const type = params.mean_type as NonNullable<GroupedMeanOptions['meanType']>;
  const trim = params.trim_proportion as number[];
  if (type === 'median') return 'median';
  if (type === 'winsorized' || (params.winsorize && (type === 'trimmed' || trim.some((t) => t > 0)))) return 'winsorized';
  return type === 'trimmed' || trim.some((t) => t > 0) ? 'trimmed' : 'mean';
}

/** Instance field `f` for the groups: the group's value for a grouping field, else the value all members share ('' / NaN when they differ). */
function groupField(f: InstanceField, members: number[][]): InstanceField {
  if (Array.isArray(f)) return members.map((m) => (m.every((i) => f[i] === f[m[0]]) ? f[m[0]] : ''));
  return Float64Array.from(members, (m) => (m.every((i) => Object.is(f[i], f[m[0]])) ? f[m[0]] : NaN));
}

export const groupedMeanNode: NodeClass = {
  type: 'math.grouped-mean',
  package: 'math',
  title: 'Grouped mean',
  version: '1.1.0',
  neuropype: np('GroupedMean', 'statistics'),
  doc: `The mean of the instances (trials) of each group (NeuroPype's GroupedMean): a group is each
distinct combination of the **group_cols** instance fields (default Marker), groups sorted by those
values (numerically where every value is a number). One instance per group leaves, at the mean time
of its members; the other axes are kept.

- **in/out \`data\`**: data chunks with an instance axis; markers pass.
- **mean_type**: mean | median | trimmed | winsorized; with **trim_proportion** [lower, upper] not
  zero, mean becomes a trimmed mean (scipy.stats.mstats.trimmed_mean), or a winsorized one with
  **winsorize**.
- **fill_cols** (true): the output instances carry the group's field values (and every other field
  all its members share); false: no instance fields.
- **grouping_type** "levels" and **error_type** "none" only (where NeuroPype puts an error estimate is
  undocumented); **ci_range**, **ddof**, **equal_var**, **allow_markers**, **use_caching** are accepted
  and do not change the means.`,
  inputs: [input('data', [WITH_INSTANCES], 'Segmented data or features (instance axis).', { hint: 'GroupedMean averages instances: feed segments or features, e.g. after Segmentation' })],
  outputs: [output('data', sameAs('data'), 'One instance per group.')],
  params: [
    p.list('group_cols', ['Marker'], 'Instance fields that define the groups.', { items: 'string' }),
    p.enum('grouping_type', 'levels', ['levels'], 'Each distinct combination of values is a group.'),
    p.enum('mean_type', 'mean', ['mean', 'median', 'trimmed', 'winsorized'], 'Location estimate per group.'),
    p.list('trim_proportion', [0, 0], 'Proportions [lower, upper] trimmed or winsorized.', { items: 'number', lengths: [2] }),
    p.bool('winsorize', false, 'Winsorize instead of trimming.'),
    p.enum('error_type', 'none', ['none'], 'Error estimate (only none).'),
    p.float('ci_range', 0.95, 'Accepted (no error estimate is computed).', { domain: [0, 1] }),
    p.int('ddof', 1, 'Accepted (no error estimate is computed).', { domain: [0, 1000] }),
    p.bool('equal_var', false, 'Accepted (no error estimate is computed).'),
    p.bool('fill_cols', true, 'Carry the group values into the output instance fields.'),
    p.bool('allow_markers', true, 'Accepted; marker chunks pass.'),
    p.bool('use_caching', false, 'Accepted and ignored.'),
  ],
  create(params, ctx) {
    const who = ctx.nodeId;
    const cols = params.group_cols as string[];
    if (!cols.length) throw new InputError('group_cols is empty: give at least one instance field (e.g. ["Marker"])', who);
    const trim = params.trim_proportion as [number, number];
    if (trim.some((t) => !(t >= 0 && t < 0.5))) throw new InputError(`trim_proportion ${JSON.stringify(trim)}: each proportion must be in [0, 0.5)`, who);
    const meanType = meanTypeOf(params);
    return {
      process(inputs) {
        const r = mapChunks(inputs.data, [WITH_INSTANCES], (c) => {
          const d = axisIndex(c.block, 'instance');
          const inst = c.block.axes[d] as InstanceAxis;
          const n = inst.timesMs.length;
          if (n === 0) return c;
          const missing = cols.filter((f) => !inst.fields[f]);
          if (missing.length) throw new InputError(`instances have no field ${missing.map((m) => `"${m}"`).join(', ')} (fields: ${Object.keys(inst.fields).join(', ') || 'none'}); set group_cols`, who);
          const first = moveAxis(c.block, d, 0);
          let res;
          try {
            res = groupedMean(first.data, n, cols.map((f) => Array.from(inst.fields[f] as ArrayLike<string | number>)), { meanType, trim });
          } catch (e) {
            rethrowAs(e, who);
          }
          const members = res.groupValues.map((vals) => {
            const m: number[] = [];
            for (let i = 0; i < n; i++) if (cols.every((f, k) => String(inst.fields[f][i]) === vals[k])) m.push(i);
            return m;
          });
          const fields: Record<string, InstanceField> = {};
          if (params.fill_cols) for (const [k, f] of Object.entries(inst.fields)) fields[k] = groupField(f, members);
          const times = Float64Array.from(members, (m) => m.reduce((s, i) => s + inst.timesMs[i], 0) / m.length);
          const axes = first.axes.slice();
          axes[0] = instanceAxis(times, fields, inst.instanceType);
          const shape = first.shape.slice();
          shape[0] = members.length;
          const data = alloc(c.block.data, res.means.length);
          data.set(res.means);
          return withBlock(c, moveAxis({ data, shape, axes }, 0, d));
        });
        return r ? { data: r } : undefined;
      },
      reset() {},
    };
  },
};

// ------------------------------------------------------------------------------- Winsorize

const winsorAccepts = (params: Readonly<Record<string, unknown>>): ChunkQuery[] => [{ onlySignals: true, withAxes: [params.axis as AxisType] }];

export const winsorizeNode: NodeClass = {
  type: 'math.winsorize',
  package: 'math',
  title: 'Winsorize',
  version: '0.8.0',
  neuropype: np('Winsorize', 'statistics'),
  doc: `Clips extreme values to quantiles along an axis (NeuroPype's Winsorize), as
\`scipy.stats.mstats.winsorize(x, limits=(lower, upper), axis)\`: per lane the ⌊lower·n⌋ smallest
values become the next one up and the ⌊upper·n⌋ largest the next one down; NaN stays NaN.

- **in/out \`data\`**: data chunks with the **axis** (default instance); markers pass.
- **trim_proportion**: the upper proportion; **trim_proportion_lower** the lower one (null = the same
  as trim_proportion). Which one is the upper limit is NeuroPype's inference (NEUROPYPE-NODES.md [I]).`,
  inputs: [input('data', winsorAccepts, 'Data with the axis.', { hint: 'set axis to an axis the data has' })],
  outputs: [output('data', sameAs('data'), 'Winsorized values.')],
  params: [
    p.enum('axis', 'instance', AXIS_PARAM_DOMAIN, 'Axis along which quantiles are taken.'),
    p.float('trim_proportion', 0.1, 'Upper proportion clipped.', { domain: [0, 1] }),
    p.float('trim_proportion_lower', null, 'Lower proportion clipped (null = trim_proportion).', { domain: [0, 1] }),
  ],
  create(params, ctx) {
    const type = params.axis as AxisType;
    const upper = params.trim_proportion as number;
    const lower = (params.trim_proportion_lower as number | null) ?? upper;
    return {
      process(inputs) {
        const r = mapChunks(inputs.data, winsorAccepts(params), (c) => {
          const y = alloc(c.block.data, c.block.data.length);
          try {
            y.set(winsorize(c.block.data, c.block.shape, axisIndex(c.block, type), lower, upper));
          } catch (e) {
            rethrowAs(e, ctx.nodeId);
          }
          return withData(c, y);
        });
        return r ? { data: r } : undefined;
      },
      reset() {},
    };
  },
};

/** The statistics classes, as index.ts registers them. */
export const NP_STATISTICS: NodeClass[] = [groupedMeanNode, winsorizeNode];
