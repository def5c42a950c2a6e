// NeuroPype's signal_processing classes PeakLatency (where the maximum lies along an axis, in the
// axis's unit) and FrequencyNormalization (1/f normalisation of spectra), on the dsp/axis-ops
// kernels. Engine worker / Node. Stateless per chunk; each allocates its output.
import { InputError } from '../../core/errors';
import { frequencyNormalize, peakPositions } from '../../dsp/axis-ops';
import { axisSingleton, type AxisType } from '../axes';
import { axisIndex, describeAxes } from '../block';
import { mapChunks, withBlock, withData, type Chunk, type ChunkQuery } from '../packet';
import { AXIS_PARAM_DOMAIN, mapShapes, markSingleton, sameAs } from '../shapes';
import type { NodeClass } from '../types';
import { alloc, input, np, output, p } from './common';
import { onlyDefault, rethrowAs } from './np-common';

type Params = Readonly<Record<string, unknown>>;

const peakAccepts = (params: Params): ChunkQuery[] => [{ onlySignals: true, withAxes: [params.axis as AxisType] }];

/** The values of a chunk's axis in `unit` (undefined = indices), or an InputError when the unit does not fit the axis. */
function positionsIn(c: Chunk, d: number, unit: string, who: string): Float64Array | undefined {
  const a = c.block.axes[d];
  if (unit === 'indices') return undefined;
  if (unit === 'Hz' && a.type === 'frequency') return a.frequenciesHz;
  if (unit === 'seconds' && (a.type === 'time' || a.type === 'instance')) return a.timesMs.map((t) => t / 1000);
  throw new InputError(`unit "${unit}" does not fit a ${a.type} axis (use ${a.type === 'frequency' ? '"Hz"' : a.type === 'time' || a.type === 'instance' ? '"seconds"' : '"indices"'} or "indices"); the data has ${describeAxes(c.block.axes)}`, who);
}

export const peakLatency: NodeClass = {
  type: 'spectral.peak-latency',
  package: 'spectral',
  title: 'Peak latency',
  version: '1.0.0',
  neuropype: np('PeakLatency', 'signal_processing'),
  doc: `Where the maximum (the minimum with **negative**) lies along an axis, per lane (NeuroPype's
PeakLatency): e.g. MultitaperSpectrum → FrequencyNormalization → SelectRange(frequency) →
PeakLatency(frequency, Hz) gives each channel's alpha peak frequency. The axis keeps one element (of
its type, at its mean value) holding the position in **unit**: Hz (frequency), seconds (time,
instance), or indices. Ties: the first (numpy.argmax); NaN values are skipped; no interpolation
between bins (NeuroPype documents none).

- **in/out \`data\`**: data chunks with the **axis**; markers pass.
- **update_on_streaming** (true): false leaves streaming chunks out (only whole data is analysed).
- **subtract_filter_delay**, **account_for_time_axis**: accepted at false only (undocumented).`,
  inputs: [input('data', peakAccepts, 'Data with the axis searched.', { hint: 'set axis to an axis the data has (frequency for spectra, time for segments)' })],
  outputs: [output('data', mapShapes('data', peakAccepts, (s, params) => markSingleton(s, params.axis as AxisType)), 'The peak position per lane.')],
  params: [
    p.enum('axis', 'time', AXIS_PARAM_DOMAIN, 'Axis searched.'),
    p.enum('unit', 'seconds', ['seconds', 'Hz', 'indices'], 'Unit of the result.'),
    p.bool('negative', false, 'Find the minimum instead.'),
    p.bool('subtract_filter_delay', false, 'Accepted at false only.'),
    p.bool('account_for_time_axis', false, 'Accepted at false only.'),
    p.bool('update_on_streaming', true, 'Also analyse streaming chunks.'),
  ],
  create(params, ctx) {
    const who = ctx.nodeId;
    onlyDefault(params, 'subtract_filter_delay', false, 'no filter delay is known here', who);
    onlyDefault(params, 'account_for_time_axis', false, 'NeuroPype does not document it', who);
    const type = params.axis as AxisType;
    return {
      process(inputs) {
        const r = mapChunks(inputs.data, peakAccepts(params), (c) => {
          if (c.props.is_streaming && !params.update_on_streaming) return undefined;
          const d = axisIndex(c.block, type);
          const values = positionsIn(c, d, params.unit as string, who);
          let peaks: Float64Array;
          try {
            peaks = peakPositions(c.block.data, c.block.shape, d, { axisValues: values, negative: params.negative as boolean });
          } catch (e) {
            rethrowAs(e, who);
          }
          const data = alloc(c.block.data, peaks.length);
          data.set(peaks);
          const axes = c.block.axes.slice();
          axes[d] = axisSingleton(axes[d], 'peak');
          const shape = c.block.shape.slice();
          shape[d] = 1;
          return withBlock(c, { data, shape, axes });
        });
        return r ? { data: r } : undefined;
      },
      reset() {},
    };
  },
};

const SPECTRA: ChunkQuery = { onlySignals: true, withAxes: ['frequency'] };

export const frequencyNormalization: NodeClass = {
  type: 'spectral.frequency-normalization',
  package: 'spectral',
  title: 'Frequency normalization',
  version: '1.1.1',
  neuropype: np('FrequencyNormalization', 'signal_processing'),
  doc: `1/f normalisation of spectra along the frequency axis (NeuroPype's FrequencyNormalization,
whose help text is only "1/f frequency normalization"; the method is our inference,
NEUROPYPE-NODES.md [I]):

- without **fit_frequency_range**: every value times f^**alpha** (the 0 Hz bin unscaled);
- with **fit_frequency_range** [lo, hi] (Hz): per lane, a straight line fitted to log10(power) over
  log10(f) on the bins in range (numpy.polyfit), every f > 0 bin divided by it.

- **in/out \`data\`**: data chunks with a frequency axis (spectra); markers pass.`,
  inputs: [input('data', [SPECTRA], 'Spectra (a frequency axis).', { hint: 'feed a spectrum (WelchSpectrum, MultitaperSpectrum)' })],
  outputs: [output('data', sameAs('data'), 'Normalised spectra.')],
  params: [
    p.float('alpha', 1, 'Exponent of the 1/f^alpha background.', { domain: [-10, 10] }),
    p.list('fit_frequency_range', null, 'Range [lo, hi] to fit the 1/f law in (null = scale by f^alpha).', { unit: 'Hz', items: 'number', lengths: [2] }),
  ],
  create(params, ctx) {
    const range = params.fit_frequency_range as [number, number] | null;
    if (range && !(range[0] < range[1])) throw new InputError(`fit_frequency_range [${range.join(', ')}] Hz is not a range lo < hi`, ctx.nodeId);
    return {
      process(inputs) {
        const r = mapChunks(inputs.data, [SPECTRA], (c) => {
          const d = axisIndex(c.block, 'frequency');
          const f = c.block.axes[d];
          const y = alloc(c.block.data, c.block.data.length);
          try {
            y.set(frequencyNormalize(c.block.data, c.block.shape, d, f.type === 'frequency' ? f.frequenciesHz : [], { alpha: params.alpha as number, fitRangeHz: range }));
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

/** The signal_processing classes, as index.ts registers them. */
export const NP_SIGNAL_PROCESSING: NodeClass[] = [peakLatency, frequencyNormalization];
