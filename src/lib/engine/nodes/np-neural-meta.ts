// NeuroPype's neural meta-nodes on the packet model: EventRelatedPotential and PreprocessEEG, fixed
// chains of existing node classes run inside one node. Engine worker / Node. The stages are real node
// instances (parameters checked as the registry checks them), fed in order; nothing is copied beyond
// what the stages themselves do.
import { InputError } from '../../core/errors';
import { resolveParams } from '../params';
import { concatPackets, mapChunks, type Packet } from '../packet';
import type { SpaceAxis } from '../axes';
import { applyAlong, axisIndex, findAxis, selectAlong, viewAs } from '../block';
import { cleanWindows } from '../../ml/asr';
import { chunkShape, mapShapes, type PacketShape, type ShapeInputs } from '../shapes';
import type { NodeClass, NodeContext, NodeInstance, PortValues } from '../types';
import { rereference, selectChannels } from './channels';
import { firFilter, notchFilter, resample } from './filters';
import { scaleNode } from './math';
import { artifactRemoval, badChannelRemoval, interpolateMissingChannels } from './np-artifacts';
import { refuseUnlessDefault } from './np-machine-learning';
import { assignChannelLocations, removeUnlocalizedChannels } from './np-source-localization';
import { input, np, output, p, CONTINUOUS, WITH_SPACE } from './common';
import { segmentation } from './time';

/** One stage of a chain: a node class and the parameters the meta-node gives it. */
type Stage = readonly [NodeClass, Record<string, unknown>];
/** A chain step at run time: a stage to instantiate, or an instance the meta-node made itself. */
type Step = Stage | NodeInstance;

/** The stages' data output shape after another, from the shape reaching the chain. */
function chainShape(stages: (params: Readonly<Record<string, unknown>>) => Stage[]) {
  return (inputs: ShapeInputs, params: Readonly<Record<string, unknown>>): PacketShape => {
    let shape: PacketShape | undefined = inputs.data;
    for (const [cls, given] of stages(params)) {
      const fn = cls.outputs[0].shape;
      if (!fn) return 'unknown';
      shape = fn({ data: shape }, resolveParams(cls, given, cls.type));
    }
    return shape ?? 'unknown';
  };
}

/** A stage's instance with its parameters checked as the registry checks them, named under the meta-node. */
function instantiateStage([cls, given]: Stage, ctx: NodeContext): NodeInstance {
  const where = `${ctx.nodeId}/${cls.neuropype?.class ?? cls.type}`;
  const sub: NodeContext = { nodeId: where, log: ctx.log, offline: ctx.offline, isWired: (port) => port === 'data' };
  return cls.create(resolveParams(cls, given, where), sub);
}

/**
 * Stage instances fed one after another through their `data` ports. `flush` flushes stage k and runs
 * what it releases through the stages after it, for k = 0, 1, … (so held data reaches the end).
 */
class Chain {
  private readonly nodes: NodeInstance[];
  constructor(steps: Step[], ctx: NodeContext) {
    this.nodes = steps.map((s) => (Array.isArray(s) ? instantiateStage(s as Stage, ctx) : (s as NodeInstance)));
  }
  private run(from: number, data: Packet | undefined): Packet | undefined {
    let d = data;
    for (let k = from; k < this.nodes.length && d; k++) d = (this.nodes[k].process({ data: d }) as PortValues | undefined)?.data;
    return d;
  }
  process(data: Packet | undefined): Packet | undefined {
    return this.run(0, data);
  }
  flush(): Packet | undefined {
    let out: Packet | undefined;
    for (let k = 0; k < this.nodes.length; k++) {
      const released = (this.nodes[k].flush?.() as PortValues | undefined)?.data;
      const d = released ? this.run(k + 1, released) : undefined;
      if (d) out = out ? concatPackets(out, d) : d;
    }
    return out;
  }
  reset(): void {
    for (const n of this.nodes) n.reset();
  }
}

/** NeuroPype's "a...b" range string (or [a, b]) in seconds. */
function secondsRange(v: unknown, name: string, who: string): [number, number] {
  const pair = typeof v === 'string' ? v.split('...').map((x) => Number(x.trim())) : Array.isArray(v) ? v.map(Number) : [];
  if (pair.length !== 2 || !pair.every(Number.isFinite) || !(pair[1] > pair[0])) throw new InputError(`parameter "${name}" must be "a...b" or [a, b] in seconds with a < b, got ${JSON.stringify(v)}`, who);
  return [pair[0], pair[1]];
}

function erpStages(params: Readonly<Record<string, unknown>>, who = 'EventRelatedPotential'): Stage[] {
  const stages: Stage[] = [];
  const range = params.channel_range;
  if (!(range === ':' || range === null || range === undefined || (Array.isArray(range) && range.length === 0))) stages.push([selectChannels, { axis: 'space', selection: range, unit: Array.isArray(range) ? 'names' : 'indices' }]);
  const lp = params.lowpass_cutoff as number[];
  if (!Array.isArray(lp)) throw new InputError(`parameter "lowpass_cutoff" must be [] or low-pass edges in Hz ([pass, stop] or [cutoff]), got ${JSON.stringify(lp)}`, who);
  if (lp.length) stages.push([firFilter, { frequencies: lp, mode: 'lowpass' }]);
  const baseline = params.skip_baseline_removal ? null : secondsRange(params.baseline_removal_range, 'baseline_removal_range', who);
  stages.push([segmentation, { time_bounds: params.time_bounds, baseline, max_gap_length: params.max_gap_length }]);
  return stages;
}

export const eventRelatedPotential: NodeClass = {
  type: 'neural.event-related-potential',
  package: 'neural',
  title: 'Event-related potential (meta)',
  version: '1.0.2',
  neuropype: np('EventRelatedPotential', 'neural'),
  doc: `Cuts baseline-corrected epochs around markers (NeuroPype's EventRelatedPotential meta-node):
SelectRange(space, \`channel_range\`) → FIRFilter low-pass (\`lowpass_cutoff\`, when given) →
Segmentation(\`time_bounds\`, baseline = \`baseline_removal_range\`, \`max_gap_length\`), run as
those node classes run.

- **in \`data\`**: a continuous signal with its markers riding along (LSLInput, ImportXDF).
- **out \`erp_data\`**: instance × time × space epochs (Segmentation's output), one per marker.
- **time_bounds** ([tmin, tmax] s; [-0.3, 1] as the saved files), **baseline_removal_range**
  ("a...b" or [a, b] s; "-0.3...0"), **skip_baseline_removal**, **channel_range** (":" = all; a
  list of labels or an index range), **lowpass_cutoff** ([] = none; [pass, stop] Hz),
  **max_gap_length** (s).
- **output_measure**: "trials" only (the per-condition averages NeuroPype may offer are not
  documented; GroupedMean after this node gives them).`,
  inputs: [input('data', [CONTINUOUS], 'Continuous signal and its markers.', { hint: 'ERPs are cut from a continuous signal (time, no instances) whose markers ride along' })],
  outputs: [output('erp_data', chainShape(erpStages), 'Epochs around the markers.')],
  params: [
    p.list('time_bounds', [-0.3, 1], 'Epoch limits relative to each marker.', { unit: 's', items: 'number', lengths: [2] }),
    p.any('baseline_removal_range', '-0.3...0', 'Baseline window relative to each marker, "a...b" or [a, b].', { unit: 's' }),
    p.bool('skip_baseline_removal', false, 'No baseline subtraction.'),
    p.any('channel_range', ':', 'Channels to keep (":" = all; labels or an index range).'),
    p.list('lowpass_cutoff', [], 'Low-pass edges [pass, stop] (Hz); [] = no filter.', { unit: 'Hz', items: 'number' }),
    p.float('max_gap_length', 0.2, 'As Segmentation.', { unit: 's' }),
    p.enum('output_measure', 'trials', ['trials'], 'What to output ("trials" = the epochs).'),
    p.dict('metadata', {}, 'Accepted for NeuroPype compatibility (ignored).'),
    p.bool('set_breakpoint', false, 'Accepted for NeuroPype compatibility (ignored).'),
  ],
  create(params, ctx) {
    const chain = new Chain(erpStages(params, ctx.nodeId), ctx);
    const wrap = (d: Packet | undefined) => (d?.size ? { erp_data: d } : undefined);
    return {
      process: (inputs) => wrap(chain.process(inputs.data)),
      flush: () => wrap(chain.flush()),
      reset: () => chain.reset(),
    };
  },
};

const UNIT_SCALE: Record<string, number> = { v: 1, mv: 1e-3, uv: 1e-6, µv: 1e-6, μv: 1e-6, nv: 1e-9 };

/** Channels whose unit is a known voltage rescaled to `desired` (fix_unit); others untouched. */
function unitFixer(desired: string, who: string): NodeInstance {
  const to = UNIT_SCALE[desired.toLowerCase()];
  if (!to) throw new InputError(`parameter "desired_unit" = ${JSON.stringify(desired)}: give a voltage unit (V, mV, uV, nV)`, who);
  const cache = new WeakMap<SpaceAxis, { space: SpaceAxis; gains: Float64Array } | null>();
  const plan = (s: SpaceAxis) => {
    if (cache.has(s)) return cache.get(s)!;
    const gains = Float64Array.from(s.channels, (c) => (UNIT_SCALE[c.unit.toLowerCase()] ?? to) / to);
    const p = gains.every((g) => g === 1) ? null : { space: { ...s, channels: s.channels.map((c) => (UNIT_SCALE[c.unit.toLowerCase()] ? { ...c, unit: desired } : c)) }, gains };
    cache.set(s, p);
    return p;
  };
  return {
    process(inputs) {
      const out = mapChunks(inputs.data, [WITH_SPACE], (c) => {
        const d = axisIndex(c.block, 'space');
        const pl = plan(c.block.axes[d] as SpaceAxis);
        if (!pl) return c;
        return { block: applyAlong(c.block, d, (x, y) => x.forEach((v, i) => (y[i] = v * pl.gains[i])), pl.space), props: c.props };
      });
      return out ? { data: out } : undefined;
    },
    reset() {},
  };
}

/** Remembers each stream's channel labels as they pass (the set InterpolateMissingChannels restores). */
class ChannelMemory {
  readonly byName = new Map<string, string[]>();
  readonly instance: NodeInstance = {
    process: (inputs) => {
      for (const [name, c] of inputs.data ?? []) {
        const s = findAxis(c.block, 'space');
        if (s && c.props.is_signal && !this.byName.has(name)) this.byName.set(name, s.channels.map((ch) => ch.label));
      }
      return { data: inputs.data };
    },
    reset: () => {},
  };
}

/** InterpolateMissingChannels per stream, onto the channels the memory saw for it. */
function restoreChannels(memory: ChannelMemory, ctx: NodeContext): NodeInstance {
  const per = new Map<string, NodeInstance>();
  return {
    process(inputs) {
      if (!inputs.data) return undefined;
      const out = new Map(inputs.data);
      for (const [name, c] of inputs.data) {
        const desired = memory.byName.get(name);
        if (!desired || !findAxis(c.block, 'space')) continue;
        let node = per.get(name);
        if (!node) per.set(name, (node = instantiateStage([interpolateMissingChannels, { desired_channels: desired }], ctx)));
        const r = node.process({ data: new Map([[name, c]]) }) as PortValues | undefined;
        const got = r?.data?.get(name);
        if (got) out.set(name, got);
      }
      return { data: out };
    },
    reset() {},
  };
}

/**
 * RemoveBadTimeWindows on a non-streaming chunk: clean_windows (ml/asr.ts; 1 s windows, overlap 0.66)
 * drops the windows out of `range`; streaming chunks pass (NeuroPype does not say it runs online).
 */
function badWindowRemover(range: [number, number], maxBadChannels: number, ctx: NodeContext): NodeInstance {
  return {
    process(inputs) {
      const out = mapChunks(inputs.data, [CONTINUOUS], (c) => {
        if (c.props.is_streaming || !findAxis(c.block, 'space')) return c;
        const b = viewAs(c.block, ['time', 'space'], ctx.nodeId);
        const fs = findAxis(b, 'time')!.nominalRateHz;
        const C = b.shape[1];
        const { mask } = cleanWindows(b.data, C, { sampleRateHz: fs, zThresholds: range, maxBadChannels, windowSeconds: 1, windowOverlap: 0.66 });
        const keep = Array.from(mask.keys()).filter((i) => mask[i]);
        if (keep.length === mask.length) return c;
        ctx.log(20, `removed ${((mask.length - keep.length) / fs).toFixed(1)} s of bad time windows`);
        return { block: selectAlong(b, 0, keep), props: c.props };
      });
      return out ? { data: out } : undefined;
    },
    reset() {},
  };
}

export const preprocessEeg: NodeClass = {
  type: 'neural.preprocess-eeg',
  package: 'neural',
  title: 'Preprocess EEG (meta)',
  version: '1.2.2',
  neuropype: np('PreprocessEEG', 'neural'),
  doc: `A canonical EEG cleaning chain in one node (NeuroPype's PreprocessEEG meta-node), run as these
node classes run: SelectRange(space, \`channels_to_import\`) → unit fix (\`fix_unit\`: V/mV/nV
channels to \`desired_unit\`) → Scaling (\`scale_factor\`) → AssignChannelLocations (\`montage\`) →
RemoveUnlocalizedChannels (\`remove_unlocalized_chans\`; the channel list is remembered here) →
Resample (\`sampling_rate\`) → FIRFilter high-pass (\`highpass_frequencies\`, \`highpass_stop_atten\`) →
NotchFilter (\`use_notch_filter\`, \`notch_frequency\`) → BadChannelRemoval
(\`bad_channel_corr_threshold\`, \`bad_channel_noise_threshold\`, \`bad_channel_max_broken_time\`,
\`num_samples\`, \`subset_size\`, \`protected_channels_during_cleaning\`, \`use_clean_window\`,
\`init_on\`, \`calib_seconds\`) → ArtifactRemoval (\`burst_removal_cutoff\`, the same calibration
settings, \`extra_ar_params\`) → InterpolateMissingChannels (the remembered list, unless
\`skip_interpolate\`) → Rereferencing (\`rereferencing\`: "CAR" = common average, a list =
those channels, "none") → RemoveBadTimeWindows (\`clean_signal_range\`, \`max_bad_channels\`:
clean_windows on a non-streaming chunk; streaming chunks pass) → FIRFilter low-pass
(\`lowpass_frequencies\`, \`lowpass_stop_atten\`). \`skip_preprocessing\` keeps only the selection.

- **in/out \`data\`**: a continuous EEG signal, time × space.
- Choices: \`calib_seconds\` 0 = the nodes' own defaults for streams (a non-streaming chunk is its
  own calibration data); the median re-referencing over time of the 2018 chain (an offset removal)
  is left to the high-pass; DejitterTimestamps is not run (the engine dejitters at acquisition).
  Undocumented parameters are accepted at their defaults only: \`window_len\` (0.5),
  \`max_broken_time\` (0.4), \`bad_window_removal_band\` ([]), \`export_to_h5\` (false);
  \`use_caching\` has no effect.`,
  inputs: [input('data', [CONTINUOUS], 'Continuous EEG.', { hint: 'PreprocessEEG cleans a continuous signal (time × space); put it before Segmentation' })],
  outputs: [output('data', mapShapes('data', [CONTINUOUS], (s) => chunkShape(s.name, ['time', 'space'], s.flags)), 'Cleaned EEG.')],
  params: [
    p.any('channels_to_import', 'all', 'Channels to keep ("all", a list of labels, or an index range).'),
    p.bool('skip_preprocessing', false, 'Only select the channels.'),
    p.float('scale_factor', 1.0, 'Multiplier applied to the data.'),
    p.bool('fix_unit', true, 'Rescale channels in V, mV or nV to desired_unit.'),
    p.string('desired_unit', 'uV', 'Unit of the cleaned data.'),
    p.float('sampling_rate', null, 'Resample to this rate (null = keep).', { unit: 'Hz' }),
    p.list('highpass_frequencies', [0.1, 0.5], 'High-pass transition [stop, pass].', { unit: 'Hz', items: 'number' }),
    p.float('highpass_stop_atten', 50, 'High-pass stop-band attenuation.', { unit: 'dB' }),
    p.list('lowpass_frequencies', [45, 50], 'Low-pass transition [pass, stop].', { unit: 'Hz', items: 'number' }),
    p.float('lowpass_stop_atten', 120, 'Low-pass stop-band attenuation.', { unit: 'dB' }),
    p.bool('use_notch_filter', false, 'Remove line noise with a notch.'),
    p.float('notch_frequency', 50, 'Line frequency.', { unit: 'Hz' }),
    p.any('rereferencing', 'CAR', '"CAR" (common average), a list of reference channels, or "none".'),
    p.string('montage', 'auto', 'Montage for AssignChannelLocations ("auto" = standard 10-05).'),
    p.bool('remove_unlocalized_chans', true, 'Drop channels without a position.'),
    p.float('bad_channel_corr_threshold', 0.8, 'BadChannelRemoval corr_threshold.'),
    p.float('bad_channel_noise_threshold', 4, 'BadChannelRemoval noise_threshold.'),
    p.float('bad_channel_max_broken_time', 0.4, 'BadChannelRemoval max_broken_time.'),
    p.int('num_samples', 200, 'BadChannelRemoval RANSAC reconstructions.'),
    p.float('subset_size', 0.15, 'BadChannelRemoval subset size.'),
    p.float('window_len', 0.5, 'Not documented (accepted at 0.5).', { unit: 's' }),
    p.float('max_broken_time', 0.4, 'Not documented (accepted at 0.4).'),
    p.list('protected_channels_during_cleaning', [], 'Channels BadChannelRemoval never removes.'),
    p.float('burst_removal_cutoff', 10.0, 'ArtifactRemoval cutoff (SD).'),
    p.dict('extra_ar_params', {}, 'Further ArtifactRemoval parameters by name.'),
    p.float('calib_seconds', 0, 'Seconds of a stream to calibrate on (0 = the nodes\' defaults).', { unit: 's' }),
    p.bool('use_clean_window', true, 'Calibrate the cleaning nodes on clean windows.'),
    p.list('init_on', [], 'Calibration range for the cleaning nodes.', { items: 'number' }),
    p.list('clean_signal_range', [-4, 6], 'RemoveBadTimeWindows z-score range.', { items: 'number' }),
    p.float('max_bad_channels', 0.2, 'RemoveBadTimeWindows: most channels out of range in a kept window.'),
    p.list('bad_window_removal_band', [], 'Not documented (accepted at []).'),
    p.bool('skip_interpolate', false, 'Do not restore the removed channels.'),
    p.bool('use_caching', false, 'No effect.'),
    p.bool('export_to_h5', false, 'Not supported (accepted at false).'),
    p.dict('metadata', {}, 'Accepted for NeuroPype compatibility (ignored).'),
    p.bool('set_breakpoint', false, 'Accepted for NeuroPype compatibility (ignored).'),
  ],
  create(params, ctx) {
    const who = ctx.nodeId;
    refuseUnlessDefault(params, 'window_len', 0.5, 'NeuroPype does not document which stage it feeds', who);
    refuseUnlessDefault(params, 'max_broken_time', 0.4, 'NeuroPype does not document which stage it feeds; bad_channel_max_broken_time sets BadChannelRemoval\'s', who);
    refuseUnlessDefault(params, 'bad_window_removal_band', [], 'NeuroPype does not document it', who);
    refuseUnlessDefault(params, 'export_to_h5', false, 'HDF5 export is not implemented; record with RecordToXDF after this node', who);
    const extra = (params.extra_ar_params ?? {}) as Record<string, unknown>;
    const range = params.clean_signal_range as number[];
    if (!Array.isArray(range) || range.length !== 2 || !(range[0] < range[1])) throw new InputError(`parameter "clean_signal_range" must be [low, high] z-scores with low < high, got ${JSON.stringify(range)}`, who);
    const steps: Step[] = [];
    const sel = params.channels_to_import;
    if (!(sel === 'all' || sel === ':' || (Array.isArray(sel) && sel.length === 0))) steps.push([selectChannels, { axis: 'space', selection: sel, unit: Array.isArray(sel) ? 'names' : 'indices' }]);
    if (!params.skip_preprocessing) {
      if (params.fix_unit) steps.push(unitFixer(params.desired_unit as string, who));
      if (params.scale_factor !== 1) steps.push([scaleNode, { factor: params.scale_factor }]);
      steps.push([assignChannelLocations, { montage: params.montage === 'auto' ? '' : params.montage }]);
      if (params.remove_unlocalized_chans) steps.push([removeUnlocalizedChannels, {}]);
      const memory = new ChannelMemory();
      steps.push(memory.instance);
      if (params.sampling_rate !== null) steps.push([resample, { rate: params.sampling_rate }]);
      steps.push([firFilter, { frequencies: params.highpass_frequencies, mode: 'highpass', stop_atten: params.highpass_stop_atten }]);
      if (params.use_notch_filter) steps.push([notchFilter, { frequency: params.notch_frequency }]);
      const calib = (params.calib_seconds as number) > 0 ? { calib_seconds: params.calib_seconds } : {};
      const cleaning = { use_clean_window: params.use_clean_window, init_on: params.init_on, ...calib };
      steps.push([badChannelRemoval, { corr_threshold: params.bad_channel_corr_threshold, noise_threshold: params.bad_channel_noise_threshold, max_broken_time: params.bad_channel_max_broken_time, num_samples: params.num_samples, subset_size: params.subset_size, protect_channels: params.protected_channels_during_cleaning, ...cleaning }]);
      steps.push([artifactRemoval, { cutoff: params.burst_removal_cutoff, ...cleaning, ...extra }]);
      if (!params.skip_interpolate) steps.push(restoreChannels(memory, ctx));
      const ref = params.rereferencing;
      if (ref === 'CAR') steps.push([rereference, { mode: 'average' }]);
      else if (Array.isArray(ref) && ref.length) steps.push([rereference, { mode: 'channels', reference_channels: ref }]);
      else if (!(ref === 'none' || ref === '' || ref === null || (Array.isArray(ref) && ref.length === 0))) throw new InputError(`parameter "rereferencing" must be "CAR", a list of reference channels or "none", got ${JSON.stringify(ref)}`, who);
      steps.push(badWindowRemover([range[0], range[1]], params.max_bad_channels as number, ctx));
      steps.push([firFilter, { frequencies: params.lowpass_frequencies, mode: 'lowpass', stop_atten: params.lowpass_stop_atten }]);
    }
    const chain = new Chain(steps, ctx);
    return {
      process: (inputs) => ({ data: chain.process(inputs.data) }),
      flush: () => ({ data: chain.flush() }),
      reset: () => chain.reset(),
    };
  },
};

/** This file's classes (listed in np-neural.ts' NP_NEURAL). */
export const NP_NEURAL_META: NodeClass[] = [eventRelatedPotential, preprocessEeg];
