// NeuroPype's neural module on the packet model: CommonSpatialPatterns over ml/csp.ts (MNE's CSP,
// checked against the shared reference). Engine worker / Node. Trainable nodes follow
// calibration.ts: train on labelled non-streaming segments, one model per chunk name, apply the
// filters to every chunk once trained, output nothing before.
import { InputError } from '../../core/errors';
import type { ChannelInfo } from '../../core/stream';
import { spaceAxis, TARGET, type SpaceAxis } from '../axes';
import { findAxis, makeBlock, viewAs } from '../block';
import { ChunkModels, labelsOf } from '../calibration';
import { mapChunks, type Chunk } from '../packet';
import { mapShapes } from '../shapes';
import type { NodeClass } from '../types';
import { Csp, type CspState } from '../../ml/csp';
import { Spoc, type SpocState } from '../../ml/spoc';
import { input, np, output, p, SEGMENTED } from './common';
import { NP_ARTIFACTS } from './np-artifacts';

const SEGMENTS_WITH_SPACE = [{ ...SEGMENTED, withAxes: ['instance', 'space'] as const }];

/** A chunk's segments as [instance, channel, sample] float64 (what ml/ takes), refusing other layouts. Allocates. */
function epochData(c: Chunk, who: string): { data: Float64Array; n: number; p: number; t: number } {
  const b = c.block;
  if (b.axes.length !== 3) throw new InputError(`needs segments (instance × time × space) and nothing else, but the data has ${b.axes.map((a) => a.type).join(' × ')}; reduce or select the other axes first`, who);
  const v = viewAs(b, ['instance', 'space', 'time'], who);
  return { data: Float64Array.from(v.data), n: v.shape[0], p: v.shape[1], t: v.shape[2] };
}

/** Components space axis "<prefix>1" … "<prefix>k". */
function componentAxis(prefix: string, k: number): SpaceAxis {
  return spaceAxis(Array.from({ length: k }, (_, j): ChannelInfo => ({ label: `${prefix}${j + 1}`, unit: '', type: 'MISC' })));
}

/** Segments through spatial filters w (rows = components, cols = channels, row-major): instance × time × component. Allocates. */
function applySpatialFilters(c: Chunk, w: { rows: number; cols: number; data: ArrayLike<number> }, space: SpaceAxis, who: string): Chunk {
  const { data, n, p: ch, t } = epochData(c, who);
  if (w.cols !== ch) throw new InputError(`the filters were trained on ${w.cols} channels, the data has ${ch}`, who);
  const k = w.rows;
  const out = new Float64Array(n * t * k);
  for (let e = 0; e < n; e++) {
    for (let j = 0; j < k; j++) {
      for (let c2 = 0; c2 < ch; c2++) {
        const wc = w.data[j * ch + c2];
        const base = (e * ch + c2) * t;
        for (let s = 0; s < t; s++) out[(e * t + s) * k + j] += wc * data[base + s];
      }
    }
  }
  const inst = findAxis(c.block, 'instance')!;
  const time = findAxis(c.block, 'time')!;
  return { block: makeBlock(c.block.data instanceof Float32Array ? Float32Array.from(out) : out, [inst, time, space]), props: c.props };
}

export const commonSpatialPatterns: NodeClass = {
  type: 'ml.common-spatial-patterns',
  package: 'neural',
  title: 'Common spatial patterns',
  version: '1.0.0',
  neuropype: np('CommonSpatialPatterns', 'neural'),
  trainable: true,
  doc: `Supervised spatial filters that maximise the variance contrast between two classes (NeuroPype's
CommonSpatialPatterns; MNE's CSP, docs/neural.md: class covariances of the concatenated trials,
generalised eigenproblem, rank-aware). Trains on labelled non-streaming segments (calibration.ts),
then filters every chunk; outputs nothing before.

- **in \`data\`**: segments, instance × time × space, labels in \`cond_field\` (two classes).
- **out \`data\`**: instance × time × space where the space axis holds the 2·\`nof\` components
  ("CSP1" …), ordered as MNE's 'alternate' (largest eigenvalue, smallest, 2nd largest, …),
  i.e. \`nof\` filter pairs. Variance(time) + Logarithm give the classic log-variance features.
- **nof** (int): filter pairs. **cond_field**, **initialize_once**, **dont_reset_model** as the learners.
  More than two classes are refused (NeuroPype's one-vs-rest layout is undocumented).`,
  inputs: [input('data', SEGMENTS_WITH_SPACE, 'Labelled segments (calibration) / segments to filter.', { hint: 'CSP works on segments with channels: put Segmentation before it' })],
  outputs: [output('data', mapShapes('data', SEGMENTS_WITH_SPACE, (s) => s), 'Segments in CSP components.')],
  params: [
    p.int('nof', 3, 'Number of filter pairs.', { domain: [1, 1000] }),
    p.string('cond_field', TARGET, 'Instance field with the class labels.'),
    p.bool('initialize_once', true, 'Train once; false = retrain on every labelled non-streaming chunk.'),
    p.bool('dont_reset_model', false, 'Keep the model when the graph upstream changes.'),
    p.dict('metadata', {}, 'Accepted for NeuroPype compatibility (ignored).'),
    p.bool('set_breakpoint', false, 'Accepted for NeuroPype compatibility (ignored).'),
  ],
  create(params, ctx) {
    const nof = params.nof as number;
    const condField = params.cond_field as string;
    const models = new ChunkModels<{ csp: Csp; space: SpaceAxis }>({ initializeOnce: params.initialize_once as boolean, condField });
    const train = (c: Chunk, name: string) => {
      const y = labelsOf(c, ctx.nodeId, condField);
      const { data, p: ch, t } = epochData(c, ctx.nodeId);
      const keep = Array.from(y.keys()).filter((i) => Number.isFinite(y[i]));
      const classes = [...new Set(keep.map((i) => y[i]))].sort((a, b) => a - b);
      const x = new Float64Array(keep.length * ch * t);
      keep.forEach((e, k) => x.set(data.subarray(e * ch * t, (e + 1) * ch * t), k * ch * t));
      const labels = Int32Array.from(keep, (i) => classes.indexOf(y[i]));
      const csp = Csp.fit({ data: x, epochCount: keep.length, channelCount: ch, sampleCount: t, labels, classNames: classes.map(String), sampleRateHz: 0 }, { components: 2 * nof, componentOrder: 'alternate' });
      models.set(name, { csp, space: componentAxis('CSP', 2 * nof) });
      ctx.log(20, `trained on ${keep.length} labelled segments of "${name}" (classes ${classes.join(', ')})`);
    };
    const apply = (m: { csp: Csp; space: SpaceAxis }, c: Chunk): Chunk => applySpatialFilters(c, m.csp.filterMatrix(), m.space, ctx.nodeId);
    return {
      trainable: {
        keepOnUpstreamChange: params.dont_reset_model as boolean,
        get fitted() {
          return models.fitted;
        },
        collected: 0,
        fit() {
          throw new InputError('CSP trains on non-streaming labelled segments (an imported recording, InjectCalibrationData or AccumulateCalibrationData), not on demand', ctx.nodeId);
        },
        exportModel: () => Object.fromEntries(Object.entries(models.exportModels()).map(([k, m]) => [k, m.csp.toJSON()])),
        importModel(state) {
          if (!state || typeof state !== 'object') throw new InputError('a CommonSpatialPatterns model is an object of CSP states by chunk name', ctx.nodeId);
          const entries = Object.entries(state as Record<string, CspState>).map(([k, s]) => {
            const csp = Csp.fromJSON(s);
            return [k, { csp, space: componentAxis('CSP', csp.state.components) }] as const;
          });
          models.importModels(Object.fromEntries(entries));
        },
        clear: () => models.clear(),
      },
      process(inputs) {
        const out = mapChunks(inputs.data, SEGMENTS_WITH_SPACE, (c, name) => {
          if (models.wantsTraining(name, c)) train(c, name);
          else if (!models.get(name) && !c.props.is_streaming) labelsOf(c, ctx.nodeId, condField); // calibration data without labels: says which markers it saw
          const m = models.get(name);
          return m ? apply(m, c) : undefined;
        });
        return out?.size ? { data: out } : undefined;
      },
      reset() {},
    };
  },
};

export const sourcePowerComodulation: NodeClass = {
  type: 'ml.source-power-comodulation',
  package: 'neural',
  title: 'Source power comodulation (SPoC)',
  version: '1.0.0',
  neuropype: np('SourcePowerComodulation', 'neural'),
  trainable: true,
  doc: `Supervised spatial filters whose band power follows a continuous target (NeuroPype's
SourcePowerComodulation; MNE's SPoC, docs/neural.md: z-scored target, C_z w = λ C w, filters by
|λ| descending). Trains on non-streaming segments carrying a target (calibration.ts), then filters
every chunk; outputs nothing before. Band-pass the signal first; Variance(time) (+ Logarithm) after
gives the power features.

- **in \`data\`**: segments, instance × time × space, the target in \`target_field\` (real numbers).
- **out \`data\`**: instance × time × space where the space axis holds the \`nof\` components
  ("SPoC1" …), strongest comodulation first.
- **nof** (int, 3): components kept (MNE's n_components; NeuroPype does not say whether it means
  pairs — here it is the count). **cov_lambda** (0.001): covariance shrinkage (MNE's \`reg\`).
  **target_field**, **initialize_once**, **dont_reset_model** as the learners.`,
  inputs: [input('data', SEGMENTS_WITH_SPACE, 'Segments with a target (calibration) / segments to filter.', { hint: 'SPoC works on segments with channels: put Segmentation before it' })],
  outputs: [output('data', mapShapes('data', SEGMENTS_WITH_SPACE, (s) => s), 'Segments in SPoC components.')],
  params: [
    p.int('nof', 3, 'Number of components.', { domain: [1, 1000] }),
    p.float('cov_lambda', 0.001, 'Covariance shrinkage in [0, 1] (0 = none).', { domain: [0, 1] }),
    p.string('target_field', TARGET, 'Instance field with the continuous target.'),
    p.bool('initialize_once', true, 'Train once; false = retrain on every non-streaming chunk with targets.'),
    p.bool('dont_reset_model', false, 'Keep the model when the graph upstream changes.'),
    p.dict('metadata', {}, 'Accepted for NeuroPype compatibility (ignored).'),
    p.bool('set_breakpoint', false, 'Accepted for NeuroPype compatibility (ignored).'),
  ],
  create(params, ctx) {
    const nof = params.nof as number;
    const lambda = params.cov_lambda as number;
    const field = params.target_field as string;
    type Model = { spoc: Spoc; space: SpaceAxis; w: { rows: number; cols: number; data: Float64Array } };
    const model = (spoc: Spoc): Model => {
      const { components: k, channelCount: ch, filters } = spoc.state;
      return { spoc, space: componentAxis('SPoC', k), w: { rows: k, cols: ch, data: Float64Array.from(filters.slice(0, k).flat()) } };
    };
    const models = new ChunkModels<Model>({ initializeOnce: params.initialize_once as boolean, condField: field });
    const train = (c: Chunk, name: string) => {
      const y = labelsOf(c, ctx.nodeId, field);
      const { data, p: ch, t } = epochData(c, ctx.nodeId);
      const keep = Array.from(y.keys()).filter((i) => Number.isFinite(y[i]));
      const x = new Float64Array(keep.length * ch * t);
      keep.forEach((e, k) => x.set(data.subarray(e * ch * t, (e + 1) * ch * t), k * ch * t));
      const labels = (findAxis(c.block, 'space')!.channels).map((ch2) => ch2.label);
      const spoc = Spoc.fit({ data: x, epochCount: keep.length, channelCount: ch, sampleCount: t, channelLabels: labels }, keep.map((i) => y[i]), { components: nof, reg: lambda > 0 ? lambda : null });
      models.set(name, model(spoc));
      ctx.log(20, `trained on ${keep.length} segments of "${name}" with a target in "${field}"`);
    };
    return {
      trainable: {
        keepOnUpstreamChange: params.dont_reset_model as boolean,
        get fitted() {
          return models.fitted;
        },
        collected: 0,
        fit() {
          throw new InputError('SPoC trains on non-streaming segments with a target (an imported recording, InjectCalibrationData or AccumulateCalibrationData), not on demand', ctx.nodeId);
        },
        exportModel: () => Object.fromEntries(Object.entries(models.exportModels()).map(([k, m]) => [k, m.spoc.toJSON()])),
        importModel(state) {
          if (!state || typeof state !== 'object') throw new InputError('a SourcePowerComodulation model is an object of SPoC states by chunk name', ctx.nodeId);
          models.importModels(Object.fromEntries(Object.entries(state as Record<string, SpocState>).map(([k, s]) => [k, model(Spoc.fromJSON(s))])));
        },
        clear: () => models.clear(),
      },
      process(inputs) {
        const out = mapChunks(inputs.data, SEGMENTS_WITH_SPACE, (c, name) => {
          if (models.wantsTraining(name, c)) train(c, name);
          else if (!models.get(name) && !c.props.is_streaming) labelsOf(c, ctx.nodeId, field); // calibration data without labels: says which markers it saw
          const m = models.get(name);
          return m ? applySpatialFilters(c, m.w, m.space, ctx.nodeId) : undefined;
        });
        return out?.size ? { data: out } : undefined;
      },
      reset() {},
    };
  },
};

/** This module's classes, most used first (registered by nodes/index.ts). */
export const NP_NEURAL: NodeClass[] = [...NP_ARTIFACTS, commonSpatialPatterns, sourcePowerComodulation];
