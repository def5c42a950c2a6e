// NeuroPype's neural module on the packet model: the spatial filters CommonSpatialPatterns (ml/csp.ts),
// SourcePowerComodulation (ml/spoc.ts) and FilterBankCommonSpatialPattern (ml/fbcsp.ts); the
// artifact classes (np-artifacts.ts) and meta-nodes (np-neural-meta.ts) are listed here too. Engine
// worker / Node. Trainable nodes follow calibration.ts: train on labelled non-streaming segments, one
// model per chunk name, apply the filters to every chunk once trained, output nothing before.
import { InputError } from '../../core/errors';
import type { ChannelInfo } from '../../core/stream';
import { spaceAxis, TARGET, type SpaceAxis } from '../axes';
import { findAxis, makeBlock, viewAs } from '../block';
import { ChunkModels, labelsOf } from '../calibration';
import { mapChunks, type Chunk } from '../packet';
import { mapShapes } from '../shapes';
import type { NodeClass, PortValues, TrainableState } from '../types';
import type { EpochSet } from '../../ml/epochs';
import { Csp, type CspState } from '../../ml/csp';
import { Spoc, type SpocState } from '../../ml/spoc';
import { FftFilterBankCsp, NEUROPYPE_FBCSP_BANDS, type FbcspState } from '../../ml/fbcsp';
import type { DenseMatrix } from '../../ml/linalg';
import { input, np, output, p, rateOf, SEGMENTED } from './common';
import { refuseUnlessDefault } from './np-machine-learning';
import { NP_ARTIFACTS } from './np-artifacts';
import { NP_NEURAL_META } from './np-neural-meta';

const SEGMENTS_WITH_SPACE = [{ ...SEGMENTED, withAxes: ['instance', 'space'] as const }];

/** A chunk's segments as [instance, channel, sample] float64 (what ml/ takes), refusing other layouts. Allocates. */
function epochData(c: Chunk, who: string): { data: Float64Array; n: number; p: number; t: number } {
  const b = c.block;
  if (b.axes.length !== 3) throw new InputError(`needs segments (instance × time × space) and nothing else, but the data has ${b.axes.map((a) => a.type).join(' × ')}; reduce or select the other axes first`, who);
  const v = viewAs(b, ['instance', 'space', 'time'], who);
  return { data: Float64Array.from(v.data), n: v.shape[0], p: v.shape[1], t: v.shape[2] };
}

/** The labelled segments of a calibration chunk as [instance, channel, sample] float64 and their label values. Allocates. */
function labelledSegments(c: Chunk, who: string, field: string): { data: Float64Array; epochCount: number; channelCount: number; sampleCount: number; y: number[] } {
  const y = labelsOf(c, who, field);
  const { data, p: ch, t } = epochData(c, who);
  const keep = Array.from(y.keys()).filter((i) => Number.isFinite(y[i]));
  const x = new Float64Array(keep.length * ch * t);
  keep.forEach((e, k) => x.set(data.subarray(e * ch * t, (e + 1) * ch * t), k * ch * t));
  return { data: x, epochCount: keep.length, channelCount: ch, sampleCount: t, y: keep.map((i) => y[i]) };
}

/** Labelled segments as an EpochSet of classes sorted by value (what ml/csp.ts trains on). Allocates. */
function classSegments(c: Chunk, who: string, field: string, sampleRateHz = 0): EpochSet {
  const { y, ...x } = labelledSegments(c, who, field);
  const classes = [...new Set(y)].sort((a, b) => a - b);
  return { ...x, labels: Int32Array.from(y, (v) => classes.indexOf(v)), classNames: classes.map(String), sampleRateHz };
}

/**
 * The trainable contract of the spatial-filter nodes (CSP, SPoC, FBCSP): models per chunk name from
 * non-streaming labelled segments only, so fit() on demand is refused.
 */
function spatialTrainable<M, S>(models: ChunkModels<M>, params: Readonly<Record<string, unknown>>, who: string, what: string, toJSON: (m: M) => S, fromJSON: (s: S) => M): TrainableState {
  return {
    keepOnUpstreamChange: params.dont_reset_model as boolean,
    get fitted() {
      return models.fitted;
    },
    collected: 0,
    fit() {
      throw new InputError(`${what} trains on non-streaming labelled segments (an imported recording, InjectCalibrationData or AccumulateCalibrationData), not on demand`, who);
    },
    exportModel: () => Object.fromEntries(Object.entries(models.exportModels()).map(([k, m]) => [k, toJSON(m)])),
    importModel(state) {
      if (!state || typeof state !== 'object') throw new InputError(`a ${what} model is an object of states by chunk name`, who);
      models.importModels(Object.fromEntries(Object.entries(state as Record<string, S>).map(([k, st]) => [k, fromJSON(st)])));
    },
    clear: () => models.clear(),
  };
}

/** The body of the spatial-filter nodes: train on labelled calibration segments, then filter every chunk; nothing before. */
function trainThenFilter<M>(inputs: PortValues, models: ChunkModels<M>, train: (c: Chunk, name: string) => void, apply: (m: M, c: Chunk) => Chunk, field: string, who: string): PortValues | undefined {
  const out = mapChunks(inputs.data, SEGMENTS_WITH_SPACE, (c, name) => {
    if (models.wantsTraining(name, c)) train(c, name);
    else if (!models.get(name) && !c.props.is_streaming) labelsOf(c, who, field); // calibration data without labels: says which markers it saw
    const m = models.get(name);
    return m ? apply(m, c) : undefined;
  });
  return out?.size ? { data: out } : undefined;
}

/** Components space axis "<prefix>1" … "<prefix>k". */
function componentAxis(prefix: string, k: number): SpaceAxis {
  return spaceAxis(Array.from({ length: k }, (_, j): ChannelInfo => ({ label: `${prefix}${j + 1}`, unit: '', type: 'MISC' })));
}

type Filters = { rows: number; cols: number; data: ArrayLike<number> };

/**
 * Adds w · x into components k0 … k0 + w.rows of `out` (instance × time × K), x being [instance,
 * channel, sample] with `ch` channels and `t` samples.
 */
function filterInto(out: Float64Array, K: number, k0: number, x: Float64Array, n: number, ch: number, t: number, w: Filters, who: string): void {
  if (w.cols !== ch) throw new InputError(`the filters were trained on ${w.cols} channels, the data has ${ch}`, who);
  for (let e = 0; e < n; e++)
    for (let j = 0; j < w.rows; j++)
      for (let c = 0; c < ch; c++) {
        const wc = w.data[j * ch + c];
        const base = (e * ch + c) * t;
        for (let s = 0; s < t; s++) out[(e * t + s) * K + k0 + j] += wc * x[base + s];
      }
}

/** A segments chunk with the components `out` (instance × time × space) on a new space axis. */
function componentChunk(c: Chunk, out: Float64Array, space: SpaceAxis): Chunk {
  return { block: makeBlock(c.block.data instanceof Float32Array ? Float32Array.from(out) : out, [findAxis(c.block, 'instance')!, findAxis(c.block, 'time')!, space]), props: c.props };
}

/** Segments through spatial filters w (rows = components, cols = channels, row-major): instance × time × component. Allocates. */
function applySpatialFilters(c: Chunk, w: Filters, space: SpaceAxis, who: string): Chunk {
  const { data, n, p: ch, t } = epochData(c, who);
  const out = new Float64Array(n * t * w.rows);
  filterInto(out, w.rows, 0, data, n, ch, t, w, who);
  return componentChunk(c, out, space);
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
      const set = classSegments(c, ctx.nodeId, condField);
      const csp = Csp.fit(set, { components: 2 * nof, componentOrder: 'alternate' });
      models.set(name, { csp, space: componentAxis('CSP', 2 * nof) });
      ctx.log(20, `trained on ${set.epochCount} labelled segments of "${name}" (classes ${set.classNames.join(', ')})`);
    };
    const apply = (m: { csp: Csp; space: SpaceAxis }, c: Chunk): Chunk => applySpatialFilters(c, m.csp.filterMatrix(), m.space, ctx.nodeId);
    return {
      trainable: spatialTrainable(models, params, ctx.nodeId, 'CommonSpatialPatterns', (m) => m.csp.toJSON(), (st: CspState) => {
        const csp = Csp.fromJSON(st);
        return { csp, space: componentAxis('CSP', csp.state.components) };
      }),
      process: (inputs) => trainThenFilter(inputs, models, train, apply, condField, ctx.nodeId),
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
      const { y, ...x } = labelledSegments(c, ctx.nodeId, field);
      const spoc = Spoc.fit({ ...x, channelLabels: findAxis(c.block, 'space')!.channels.map((ch) => ch.label) }, y, { components: nof, reg: lambda > 0 ? lambda : null });
      models.set(name, model(spoc));
      ctx.log(20, `trained on ${x.epochCount} segments of "${name}" with a target in "${field}"`);
    };
    return {
      trainable: spatialTrainable(models, params, ctx.nodeId, 'SourcePowerComodulation', (m) => m.spoc.toJSON(), (st: SpocState) => model(Spoc.fromJSON(st))),
      process: (inputs) => trainThenFilter(inputs, models, train, (m, c) => applySpatialFilters(c, m.w, m.space, ctx.nodeId), field, ctx.nodeId),
      reset() {},
    };
  },
};

export const filterBankCommonSpatialPattern: NodeClass = {
  type: 'ml.filter-bank-csp',
  package: 'neural',
  title: 'Filter-bank CSP',
  version: '1.0.0',
  neuropype: np('FilterBankCommonSpatialPattern', 'neural'),
  trainable: true,
  doc: `CSP in several frequency bands (NeuroPype's FilterBankCommonSpatialPattern; ml/fbcsp.ts,
docs/neural.md): every segment is band-passed in each band by FFT masking (nfft = max(min_fft_size,
next power of two ≥ samples)), one CSP per band (nof pairs, MNE's 'alternate' order, per-trial
covariances averaged per class, optional shrinkage). Trains on labelled non-streaming segments
(calibration.ts), then filters every chunk; outputs nothing before. Variance(time) + Logarithm after
give the classic FBCSP log-variance features.

- **in \`data\`**: segments, instance × time × space, two classes in \`cond_field\`.
- **out \`data\`**: instance × time × space where the space axis holds band after band the 2·\`nof\`
  components of each ("CSP1@8-12Hz" …).
- **bands** (Hz, [[0.5,3],[4,7],[8,12],[13,30],[31,42]]), **nof** (3), **shrinkage** (0 … 1, 0),
  **min_fft_size** (256), **cond_field**, **initialize_once**, **dont_reset_model** as CSP.
- Not implemented (one FFT over each trial): **window_length**, **window_param**, **overlap_length**
  are refused unless null; **window_func**, **window_unit**, **overlap_unit** only apply to those
  and are accepted.`,
  inputs: [input('data', SEGMENTS_WITH_SPACE, 'Labelled segments (calibration) / segments to filter.', { hint: 'FBCSP works on segments with channels: put Segmentation before it' })],
  outputs: [output('data', mapShapes('data', SEGMENTS_WITH_SPACE, (s) => s), 'Segments in the CSP components of every band.')],
  params: [
    p.list('bands', NEUROPYPE_FBCSP_BANDS.map((b) => [...b]), 'Pass bands [low, high] in Hz.', { unit: 'Hz' }),
    p.int('nof', 3, 'CSP filter pairs per band.', { domain: [1, 1000] }),
    p.float('shrinkage', 0, 'Covariance shrinkage in [0, 1].', { domain: [0, 1] }),
    p.int('min_fft_size', 256, 'Smallest FFT length.', { domain: [1, 1 << 24] }),
    p.string('window_func', 'hann', 'STFT window (not implemented; only with window_length).'),
    p.int('window_length', null, 'Not implemented (accepted at null).'),
    p.string('window_unit', 'samples', 'Unit of window_length (not implemented).'),
    p.list('window_param', null, 'Not implemented (accepted at null).'),
    p.int('overlap_length', null, 'Not implemented (accepted at null).'),
    p.string('overlap_unit', 'samples', 'Unit of overlap_length (not implemented).'),
    p.string('cond_field', TARGET, 'Instance field with the class labels.'),
    p.bool('initialize_once', true, 'Train once; false = retrain on every labelled non-streaming chunk.'),
    p.bool('dont_reset_model', false, 'Keep the model when the graph upstream changes.'),
    p.dict('metadata', {}, 'Accepted for NeuroPype compatibility (ignored).'),
    p.bool('set_breakpoint', false, 'Accepted for NeuroPype compatibility (ignored).'),
  ],
  create(params, ctx) {
    const who = ctx.nodeId;
    for (const name of ['window_length', 'window_param', 'overlap_length']) refuseUnlessDefault(params, name, null, 'the short-time FFT variant is not implemented; each trial is band-passed by one FFT', who);
    const bands = params.bands as number[][];
    if (!Array.isArray(bands) || bands.length === 0 || bands.some((b) => !Array.isArray(b) || b.length !== 2 || !(b[0] >= 0 && b[1] > b[0]))) throw new InputError(`parameter "bands" must be a non-empty list of [low, high] Hz with 0 ≤ low < high, got ${JSON.stringify(bands)}`, who);
    const condField = params.cond_field as string;
    type Model = { fb: FftFilterBankCsp; space: SpaceAxis; filters: DenseMatrix[] };
    const model = (fb: FftFilterBankCsp): Model => {
      const { bandsHz, csps } = fb.state.bank;
      const filters = csps.map((st) => new Csp(st).filterMatrix());
      const channels = bandsHz.flatMap((b, i) => Array.from({ length: filters[i].rows }, (_, j): ChannelInfo => ({ label: `CSP${j + 1}@${b[0]}-${b[1]}Hz`, unit: '', type: 'MISC' })));
      return { fb, space: spaceAxis(channels), filters };
    };
    const models = new ChunkModels<Model>({ initializeOnce: params.initialize_once as boolean, condField });
    const train = (c: Chunk, name: string) => {
      const set = classSegments(c, who, condField, rateOf(c, who));
      const fb = FftFilterBankCsp.fit(set, { bands: bands.map((b) => [b[0], b[1]] as const), nof: params.nof as number, shrinkage: params.shrinkage as number, minFftSize: params.min_fft_size as number });
      models.set(name, model(fb));
      ctx.log(20, `trained on ${set.epochCount} labelled segments of "${name}" in ${bands.length} bands (classes ${set.classNames.join(', ')})`);
    };
    /** Every band's filtered segments, joined along the component axis (band after band). Allocates. */
    const apply = (m: Model, c: Chunk): Chunk => {
      const { data, n, p: ch, t } = epochData(c, who);
      const perBand = m.fb.bandPassed({ data, epochCount: n, channelCount: ch, sampleCount: t });
      const K = m.space.channels.length;
      const out = new Float64Array(n * t * K);
      let k0 = 0;
      perBand.forEach((x, b) => {
        filterInto(out, K, k0, x.data, n, ch, t, m.filters[b], who);
        k0 += m.filters[b].rows;
      });
      return componentChunk(c, out, m.space);
    };
    return {
      trainable: spatialTrainable(models, params, who, 'FilterBankCommonSpatialPattern', (m) => m.fb.toJSON(), (st: FbcspState) => model(FftFilterBankCsp.fromJSON(st))),
      process: (inputs) => trainThenFilter(inputs, models, train, apply, condField, who),
      reset() {},
    };
  },
};

/** This module's classes, most used first (registered by nodes/index.ts). */
export const NP_NEURAL: NodeClass[] = [...NP_ARTIFACTS, commonSpatialPatterns, sourcePowerComodulation, filterBankCommonSpatialPattern, ...NP_NEURAL_META];
