// Element-wise and statistics node classes: log, abs, scale, clip, threshold (any data chunk),
// variance and mean along a named axis (NeuroPype's reductions: the axis becomes a one-element axis,
// a one-element feature axis, or disappears), running / whole-recording z-score. Engine worker / Node.
// HOT PATH: element-wise nodes reuse one output buffer per chunk name.
import { InputError } from '../../core/errors';
import { location } from '../../dsp/grouped-mean';
import { zscore } from '../../dsp/stats';
import type { AxisType } from '../axes';
import { axisIndex, reduceAlong, type ReduceMode } from '../block';
import { mapChunks, StreamStates, withBlock, withData, type Chunk, type ChunkQuery } from '../packet';
import { AXIS_PARAM_DOMAIN, mapShapes, markSingleton, removeAxis, replaceAxis, sameAs, type ChunkShape } from '../shapes';
import type { NodeClass, NodeInstance } from '../types';
import { CONTINUOUS, DATA, Held, input, lanesAlongTime, metaChunks, np, output, p, rateOf, Scratches, wholeAlongTime } from './common';

/** Applies fn to every value of every data chunk (markers pass); one reused output buffer per chunk name. */
export function elementwise(fn: (v: number) => number): NodeInstance {
  const out = new Scratches();
  return {
    process(inputs) {
      const r = mapChunks(inputs.data, [DATA], (c, name) => {
        const x = c.block.data;
        const y = out.get(name).like(x, x.length);
        for (let i = 0; i < x.length; i++) y[i] = fn(x[i]);
        return withData(c, y);
      });
      return r ? { data: r } : undefined;
    },
    reset() {},
  };
}

const numericIn = input('data', [DATA], 'Data (any axes).', { hint: 'markers carry no values to transform' });
const sameOut = output('data', sameAs('data'), 'Same axes, values transformed; markers pass through.');

export const logNode: NodeClass = {
  type: 'math.log',
  package: 'math',
  title: 'Logarithm',
  version: '1.0.0',
  neuropype: np('Logarithm', 'elementwise_math'),
  doc: `Element-wise logarithm (natural unless **base** is set). Values ≤ 0 give −Infinity / NaN as in NumPy.

- **in/out \`data\`**: any data chunk. **base** (null = e).`,
  inputs: [numericIn],
  outputs: [sameOut],
  params: [p.float('base', null, 'Logarithm base (null = natural).', { domain: [0, Infinity] })],
  create(params) {
    const base = params.base as number | null;
    const k = base ? 1 / Math.log(base) : 1;
    return elementwise((v) => Math.log(v) * k);
  },
};

export const absNode: NodeClass = {
  type: 'math.abs',
  package: 'math',
  title: 'Absolute value',
  version: '1.0.0',
  doc: `Element-wise |x|.

- **in/out \`data\`**: any data chunk.`,
  inputs: [numericIn],
  outputs: [sameOut],
  params: [],
  create: () => elementwise(Math.abs),
};

export const scaleNode: NodeClass = {
  type: 'math.scale',
  package: 'math',
  title: 'Scale and offset',
  version: '1.0.0',
  doc: `y = factor · x + offset (e.g. V → µV with factor 1e6).

- **in/out \`data\`**: any data chunk. **factor** (dimensionless), **offset** (output unit).`,
  inputs: [numericIn],
  outputs: [sameOut],
  params: [p.float('factor', 1, 'Multiplier.'), p.float('offset', 0, 'Added after scaling.')],
  create(params) {
    const f = params.factor as number;
    const o = params.offset as number;
    return elementwise((v) => f * v + o);
  },
};

export const clipNode: NodeClass = {
  type: 'math.clip',
  package: 'math',
  title: 'Clip',
  version: '1.0.0',
  doc: `Limits values to [min, max] (numpy.clip). NaN stays NaN.

- **in/out \`data\`**: any data chunk. **min**, **max** (data unit; null = no limit).`,
  inputs: [numericIn],
  outputs: [sameOut],
  params: [p.float('min', null, 'Lower limit (null = none).'), p.float('max', null, 'Upper limit (null = none).')],
  create(params, ctx) {
    const lo = (params.min as number | null) ?? -Infinity;
    const hi = (params.max as number | null) ?? Infinity;
    if (lo > hi) throw new InputError(`min ${lo} is above max ${hi}`, ctx.nodeId);
    return elementwise((v) => (v < lo ? lo : v > hi ? hi : v));
  },
};

export const thresholdNode: NodeClass = {
  type: 'math.threshold',
  package: 'math',
  title: 'Threshold',
  version: '1.0.0',
  doc: `1 where x > threshold (or ≥ when **inclusive**), else 0 — e.g. a neurofeedback trigger on a band power.

- **in/out \`data\`**: any data chunk. **threshold** (data unit).`,
  inputs: [numericIn],
  outputs: [sameOut],
  params: [p.float('threshold', 0, 'Threshold.'), p.bool('inclusive', false, 'Use ≥ instead of >.')],
  create(params) {
    const t = params.threshold as number;
    return params.inclusive ? elementwise((v) => (v >= t ? 1 : 0)) : elementwise((v) => (v > t ? 1 : 0));
  },
};

// ------------------------------------------------------------------------------- reductions

const reduceAccepts = (params: Readonly<Record<string, unknown>>): ChunkQuery[] => [{ onlySignals: true, withAxes: [params.axis as AxisType] }];

function reduceMode(params: Readonly<Record<string, unknown>>): ReduceMode {
  return params.force_feature_axis ? 'feature' : params.keep_axis === false ? 'drop' : 'singleton';
}

/** Static shape of a reduction along params.axis. */
function reducedShape(s: ChunkShape, params: Readonly<Record<string, unknown>>): ChunkShape {
  const axis = params.axis as AxisType;
  const mode = reduceMode(params);
  if (mode === 'drop') return removeAxis(s, axis);
  if (mode === 'feature') return markSingleton(replaceAxis(s, axis, 'feature'), 'feature');
  return markSingleton(s, axis);
}

/** NeuroPype's reduction nodes: `stat` over every lane along the axis named by `axis` (occurrence `axis_occurrence`). */
function reduction(label: string, stat: (lane: Float64Array) => number, params: Readonly<Record<string, unknown>>, who: string): NodeInstance {
  const axis = params.axis as AxisType;
  const occurrence = params.axis_occurrence as number;
  const mode = reduceMode(params);
  return {
    process(inputs) {
      const r = mapChunks(inputs.data, reduceAccepts(params), (c) => {
        const d = axisIndex(c.block, axis, occurrence);
        if (d < 0) throw new InputError(`has no ${axis} axis occurrence ${occurrence}`, who);
        return withBlock(c, reduceAlong(c.block, d, stat, mode, label));
      });
      return r ? { data: r } : undefined;
    },
    reset() {},
  };
}

const REDUCTION_PARAMS = (defaultAxis: AxisType) => [
  p.enum('axis', defaultAxis, AXIS_PARAM_DOMAIN, 'Axis reduced.'),
  p.int('axis_occurrence', 0, 'Which axis of that type (0 first, 1 second, −1 last).', { domain: [-8, 8] }),
  p.bool('force_feature_axis', false, 'Make the reduced axis a one-element feature axis (instead of a one-element axis of its type).'),
  p.bool('keep_axis', true, 'false: drop the reduced axis instead of keeping it with one element.'),
];

const reductionIn = input('data', reduceAccepts, 'Data with the reduced axis.', { hint: 'set "axis" to an axis the data has (e.g. time for segments, frequency for spectra)' });
const reductionOut = (doc: string) => output('data', mapShapes('data', reduceAccepts, reducedShape), doc);

export const varianceNode: NodeClass = {
  type: 'math.variance',
  package: 'math',
  title: 'Variance',
  version: '1.1.0',
  neuropype: np('Variance', 'statistics'),
  doc: `Variance along an axis of every data chunk (numpy.var with ddof), computed in float64 — e.g.
along time of each channel of each segment, for log-variance motor-imagery features.

- **in \`data\`**: chunks with the **axis** (time, frequency, instance …). **out \`data\`**: the same
  axes with **axis** reduced to one element (NeuroPype's default), or to a one-element feature axis
  "variance" (**force_feature_axis**), or dropped (**keep_axis** false). Instances keep their fields.
- **degrees_of_freedom** (ddof: 0 population, 1 sample).`,
  inputs: [reductionIn],
  outputs: [reductionOut('One variance per lane (unit²).')],
  params: [p.int('degrees_of_freedom', 0, 'ddof.', { domain: [0, 1000] }), ...REDUCTION_PARAMS('time')],
  create(params, ctx) {
    const ddof = params.degrees_of_freedom as number;
    return reduction(
      'variance',
      (x) => {
        const n = x.length;
        let m = 0;
        for (let i = 0; i < n; i++) m += x[i];
        m /= n;
        let s = 0;
        for (let i = 0; i < n; i++) s += (x[i] - m) ** 2;
        return s / (n - ddof);
      },
      params,
      ctx.nodeId,
    );
  },
};

export const meanNode: NodeClass = {
  type: 'math.mean',
  package: 'math',
  title: 'Mean',
  version: '1.1.0',
  neuropype: np('Mean', 'statistics'),
  doc: `Mean along an axis of every data chunk; NeuroPype's default axis is instance (an average over
trials: Segmentation → FIR → Mean gives the event-related potential).

- **in/out \`data\`**: as math.variance (the reduced axis keeps one element, becomes a feature, or goes).
- **trim_proportion** (0 … < 0.5; null or 0 = the plain mean): the trimmed mean, int(p·n) values cut
  from each end of every lane (scipy.stats.trim_mean).
- **robust** with **robust_estimator_type** median: the median instead (the trim is then unused).
- **ignore_nans**: NaNs are left out of every lane (numpy.nanmean); otherwise a NaN makes the lane NaN.`,
  inputs: [reductionIn],
  outputs: [reductionOut('Mean per lane.')],
  params: [
    ...REDUCTION_PARAMS('instance'),
    p.float('trim_proportion', null, 'Proportion cut from each end before averaging (trimmed mean).', { domain: [0, 0.5] }),
    p.bool('robust', false, 'Use the robust estimator (the median) instead of the mean.'),
    p.enum('robust_estimator_type', 'median', ['median'], 'The robust estimator.'),
    p.bool('ignore_nans', false, 'Leave NaNs out of each lane.'),
  ],
  create: (params, ctx) => {
    const trim = (params.trim_proportion as number | null) ?? 0;
    if (!(trim >= 0 && trim < 0.5)) throw new InputError(`trim_proportion ${trim}: must be in [0, 0.5)`, ctx.nodeId);
    const type = params.robust ? 'median' : trim > 0 ? 'trimmed' : 'mean';
    const ignoreNans = params.ignore_nans as boolean;
    return reduction(
      'mean',
      (x) => {
        if (type === 'mean' && !ignoreNans) {
          let m = 0;
          for (let i = 0; i < x.length; i++) m += x[i];
          return m / x.length;
        }
        const all = Array.from(x);
        const v = ignoreNans ? all.filter((e) => !Number.isNaN(e)) : all;
        if (!v.length || (!ignoreNans && v.some(Number.isNaN))) return NaN;
        return location(v, type, [trim, trim]);
      },
      params,
      ctx.nodeId,
    );
  },
};

// ------------------------------------------------------------------------------- z-score

export const zscoreNode: NodeClass = {
  type: 'math.zscore',
  package: 'math',
  title: 'Z-score',
  version: '1.1.0',
  doc: `Standardises each lane (channel …) of a continuous chunk along time.

- **mode** running: exponentially weighted mean and variance with half-life **halflife** (s), updated
  sample by sample (state carried across chunks; starts at 0 for the first sample).
- **mode** recording: (x − mean) / std over the whole recording (\`scipy.stats.zscore\`, ddof 0): a
  non-streaming chunk at once; the streaming chunks of an offline run at the end of the input.
- **in/out \`data\`**: continuous chunks (time, no instances).`,
  inputs: [input('data', [CONTINUOUS], 'Continuous signal or feature frames.', { hint: 'z-scores run along a continuous time axis' })],
  outputs: [output('data', sameAs('data'), 'Standardised values (dimensionless).')],
  params: [p.enum('mode', 'running', ['running', 'recording'], 'Running or whole-recording statistics.'), p.float('halflife', 10, 'Half-life of the running estimate.', { unit: 's', domain: [1e-6, 1e6] })],
  create(params, ctx) {
    const out = new Scratches();
    const held = new Held();
    interface State {
      mean: Float64Array;
      vari: Float64Array;
      started: boolean;
    }
    const states = new StreamStates<State>((c, _name, prev) => {
      const lanes = lanesAlongTime(c.block);
      // a new layout of the same width keeps its running statistics
      if (prev && prev.mean.length === lanes) return prev;
      return { mean: new Float64Array(lanes), vari: new Float64Array(lanes), started: false };
    });
    const whole = (c: Chunk): Chunk => wholeAlongTime(c, (cm, lanes, n) => zscore(cm, lanes, n) as Float64Array);
    return {
      process(inputs) {
        const r = mapChunks(inputs.data, [CONTINUOUS], (c, name) => {
          if (params.mode === 'recording') {
            if (!c.props.is_streaming) return whole(c);
            if (!ctx.offline) throw new InputError('mode "recording" needs whole data (an offline run or an imported recording); use mode "running" online', ctx.nodeId);
            held.hold(name, c);
            return undefined;
          }
          const t = axisIndex(c.block, 'time');
          if (t !== 0) throw new InputError('running z-score expects time as the first axis', ctx.nodeId);
          const st = states.get(name, c);
          const ch = st.mean.length;
          const tAxis = c.block.axes[0];
          const rate = tAxis.type === 'time' && tAxis.nominalRateHz > 0 ? tAxis.nominalRateHz : 1;
          const a = 1 - Math.pow(2, -1 / ((params.halflife as number) * rate));
          const x = c.block.data;
          const y = out.get(name).like(x, x.length);
          const { mean, vari } = st;
          const frames = c.block.shape[0];
          for (let n = 0; n < frames; n++) {
            for (let k = 0; k < ch; k++) {
              const v = x[n * ch + k];
              if (!st.started) {
                mean[k] = v;
                vari[k] = 0;
              }
              if (!Number.isFinite(v)) {
                y[n * ch + k] = NaN;
                continue;
              }
              const dlt = v - mean[k];
              mean[k] += a * dlt;
              vari[k] = (1 - a) * (vari[k] + a * dlt * dlt);
              const sd = Math.sqrt(vari[k]);
              y[n * ch + k] = sd > 0 ? (v - mean[k]) / sd : 0;
            }
            st.started = true;
          }
          return withData(c, y);
        });
        return r ? { data: r } : undefined;
      },
      flush() {
        if (!held.size) return;
        return { data: new Map(held.take().map(([name, c]) => [name, whole(c)])) };
      },
      check(meta) {
        if (params.mode !== 'running') return;
        for (const { chunk } of metaChunks(meta, { ...CONTINUOUS, withAxes: ['space'] })) rateOf(chunk, ctx.nodeId);
      },
      reset() {
        for (const [, st] of states.entries()) st.started = false;
        held.clear();
      },
    };
  },
};
