// Element-wise and statistics node classes: log, abs, scale, clip, threshold (any numeric kind),
// variance and mean per epoch (→ features), running / whole-recording z-score. Engine worker / Node.
// HOT PATH: element-wise nodes on signal/features reuse one output buffer.
import { InputError } from '../../core/errors';
import type { StreamDescriptor } from '../../core/stream';
import { zscore } from '../../dsp/stats';
import { toChannelMajor } from '../packets';
import type { EpochsPacket, FramesPacket, NodeClass, NodeInstance, Packet, SpectrumPacket } from '../types';
import { input, np, output, p, rateOf, samplesOf, Scratch32, withSamples } from './common';
import { copyFrames, joinFrames } from './filters';

const NUMERIC = ['signal', 'features', 'epochs', 'spectrum'] as const;

/** Applies fn to every value of a numeric packet (new arrays except the reused frames buffer). */
function elementwise(fn: (v: number) => number): NodeInstance {
  const scratch = new Scratch32();
  return {
    process(inputs) {
      const d = inputs.data as Packet | undefined;
      if (!d) return;
      switch (d.kind) {
        case 'signal':
        case 'features': {
          const x = samplesOf(d);
          const y = scratch.view(x.length);
          for (let i = 0; i < x.length; i++) y[i] = fn(x[i]);
          return { data: withSamples(d, y) };
        }
        case 'epochs':
          return { data: { ...d, items: d.items.map((e) => ({ ...e, samples: e.samples.map(fn) })) } };
        case 'spectrum':
          return { data: { ...d, items: d.items.map((it) => ({ ...it, values: it.values.map(fn) })) } };
        default:
          return;
      }
    },
    reset() {},
  };
}

const numericIn = input('data', [...NUMERIC], 'Numeric data (signal, features, epochs or spectrum).');
const sameOut = output('data', { sameAs: 'data' }, 'Same kind and layout, values transformed.');

export const logNode: NodeClass = {
  type: 'math.log',
  package: 'math',
  title: 'Logarithm',
  version: '1.0.0',
  neuropype: np('Logarithm', 'elementwise_math'),
  doc: `Element-wise logarithm (natural unless **base** is set). Values ≤ 0 give −Infinity / NaN as in NumPy.

- **in/out \`data\`** (signal | features | epochs | spectrum). **base** (null = e).`,
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

- **in/out \`data\`** (signal | features | epochs | spectrum).`,
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

- **in/out \`data\`** (signal | features | epochs | spectrum). **factor** (dimensionless), **offset** (output unit).`,
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

- **in/out \`data\`** (signal | features | epochs | spectrum). **min**, **max** (data unit; null = no limit).`,
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

- **in/out \`data\`** (signal | features | epochs | spectrum). **threshold** (data unit).`,
  inputs: [numericIn],
  outputs: [sameOut],
  params: [p.float('threshold', 0, 'Threshold.'), p.bool('inclusive', false, 'Use ≥ instead of >.')],
  create(params) {
    const t = params.threshold as number;
    return params.inclusive ? elementwise((v) => (v >= t ? 1 : 0)) : elementwise((v) => (v > t ? 1 : 0));
  },
};

// ------------------------------------------------------------------------------- per-epoch statistics

function featuresStream(src: StreamDescriptor, suffix: string): StreamDescriptor {
  return { ...src, id: `${src.id}.${suffix}`, kind: 'features', sampleRateHz: 0, channels: src.channels.map((c) => ({ ...c, type: 'FEATURE' })) };
}

/** One feature frame per epoch (or spectrum item): stat over time (or frequency) per channel. */
function reduceNode(suffix: string, stat: (get: (i: number) => number, n: number) => number): NodeInstance {
  let cached: { src: StreamDescriptor; out: StreamDescriptor } | undefined;
  const streamFor = (s: StreamDescriptor) => (cached?.src === s ? cached.out : (cached = { src: s, out: featuresStream(s, suffix) }).out);
  return {
    process(inputs) {
      const d = inputs.data as EpochsPacket | SpectrumPacket | undefined;
      if (!d?.items.length) return;
      const ch = d.stream.channels.length;
      const frames = d.items.length;
      const samples = new Float32Array(frames * ch);
      const ts = new Float64Array(frames);
      const targets = new Float64Array(frames);
      if (d.kind === 'epochs') {
        d.items.forEach((e, k) => {
          for (let c = 0; c < ch; c++) samples[k * ch + c] = stat((i) => e.samples[i * ch + c], e.frames);
          ts[k] = e.timestampMs;
          targets[k] = e.target ?? NaN;
        });
      } else {
        const bins = d.freqsHz.length;
        d.items.forEach((it, k) => {
          for (let c = 0; c < ch; c++) samples[k * ch + c] = stat((i) => it.values[c * bins + i], bins);
          ts[k] = it.timestampMs;
          targets[k] = it.target ?? NaN;
        });
      }
      return { data: { kind: 'features', stream: streamFor(d.stream), samples, timestampsMs: ts, frames, targets } };
    },
    reset() {},
  };
}

export const varianceNode: NodeClass = {
  type: 'math.variance',
  package: 'math',
  title: 'Variance',
  version: '1.0.0',
  neuropype: np('Variance', 'statistics'),
  doc: `Variance over time of each channel of each epoch (numpy.var with ddof), e.g. for log-variance
motor-imagery features. Computed in float64.

- **in \`data\`** (epochs | spectrum: over frequency); **out \`data\`** (features): one frame per epoch,
  carrying its timestamp and class target. **degrees_of_freedom** (ddof: 0 population, 1 sample).`,
  inputs: [input('data', ['epochs', 'spectrum'], 'Epochs (or spectra).')],
  outputs: [output('data', 'features', 'One variance per channel per epoch (unit²).')],
  params: [p.int('degrees_of_freedom', 0, 'ddof.', { domain: [0, 1000] }), p.enum('axis', 'time', ['time', 'frequency'], 'Axis reduced (time for epochs, frequency for spectra).')],
  create(params) {
    const ddof = params.degrees_of_freedom as number;
    return reduceNode('variance', (get, n) => {
      let m = 0;
      for (let i = 0; i < n; i++) m += get(i);
      m /= n;
      let s = 0;
      for (let i = 0; i < n; i++) s += (get(i) - m) ** 2;
      return s / (n - ddof);
    });
  },
};

export const meanNode: NodeClass = {
  type: 'math.mean',
  package: 'math',
  title: 'Mean',
  version: '1.0.0',
  neuropype: np('Mean', 'statistics'),
  doc: `Mean over time of each channel of each epoch (or over frequency of each spectrum).

- **in \`data\`** (epochs | spectrum); **out \`data\`** (features), one frame per epoch.`,
  inputs: [input('data', ['epochs', 'spectrum'], 'Epochs (or spectra).')],
  outputs: [output('data', 'features', 'Mean per channel per epoch.')],
  params: [p.enum('axis', 'time', ['time', 'frequency'], 'Axis reduced.')],
  create: () =>
    reduceNode('mean', (get, n) => {
      let m = 0;
      for (let i = 0; i < n; i++) m += get(i);
      return m / n;
    }),
};

// ------------------------------------------------------------------------------- z-score

export const zscoreNode: NodeClass = {
  type: 'math.zscore',
  package: 'math',
  title: 'Z-score',
  version: '1.0.0',
  doc: `Standardises each channel.

- **mode** running: exponentially weighted mean and variance with half-life **halflife** (s), updated
  sample by sample (state carried across chunks; starts at 0 for the first sample).
- **mode** recording: offline only, (x − mean) / std over the whole recording (\`scipy.stats.zscore\`,
  ddof 0), emitted at the end of the input.
- **in/out \`data\`** (signal | features).`,
  inputs: [input('data', ['signal', 'features'], 'Signal or feature frames.')],
  outputs: [output('data', { sameAs: 'data' }, 'Standardised values (dimensionless).')],
  params: [p.enum('mode', 'running', ['running', 'recording'], 'Running or whole-recording statistics.'), p.float('halflife', 10, 'Half-life of the running estimate.', { unit: 's', domain: [1e-6, 1e6] })],
  create(params, ctx) {
    const scratch = new Scratch32();
    let mean = new Float64Array(0);
    let vari = new Float64Array(0);
    let started = false;
    let held: FramesPacket[] = [];
    let stream: StreamDescriptor | undefined;
    return {
      process(inputs) {
        const d = inputs.data as FramesPacket | undefined;
        if (!d) return;
        if (params.mode === 'recording') {
          if (!ctx.offline) throw new InputError('mode "recording" needs an offline run; use mode "running" online', ctx.nodeId);
          held.push(copyFrames(d));
          return;
        }
        const ch = d.stream.channels.length;
        if (stream !== d.stream) {
          if (!stream || stream.channels.length !== ch) {
            mean = new Float64Array(ch);
            vari = new Float64Array(ch);
            started = false;
          }
          stream = d.stream;
        }
        const rate = d.stream.sampleRateHz > 0 ? d.stream.sampleRateHz : 1;
        const a = 1 - Math.pow(2, -1 / ((params.halflife as number) * rate));
        const x = samplesOf(d);
        const y = scratch.view(x.length);
        for (let n = 0; n < d.frames; n++) {
          for (let c = 0; c < ch; c++) {
            const v = x[n * ch + c];
            if (!started) {
              mean[c] = v;
              vari[c] = 0;
            }
            if (!Number.isFinite(v)) {
              y[n * ch + c] = NaN;
              continue;
            }
            const dlt = v - mean[c];
            mean[c] += a * dlt;
            vari[c] = (1 - a) * (vari[c] + a * dlt * dlt);
            const sd = Math.sqrt(vari[c]);
            y[n * ch + c] = sd > 0 ? (v - mean[c]) / sd : 0;
          }
          started = true;
        }
        return { data: withSamples(d, y) };
      },
      flush() {
        if (!held.length) return;
        const all = joinFrames(held);
        held = [];
        const ch = all.stream.channels.length;
        const z = zscore(toChannelMajor(all.samples, all.frames, ch), ch, all.frames);
        const out = new Float32Array(all.frames * ch);
        for (let c = 0; c < ch; c++) for (let n = 0; n < all.frames; n++) out[n * ch + c] = z[c * all.frames + n];
        return { data: withSamples(all, out) };
      },
      check(meta) {
        const s = meta.data?.stream;
        if (s && params.mode === 'running' && meta.data?.kind === 'signal') rateOf(s, ctx.nodeId);
      },
      reset() {
        started = false;
        held = [];
      },
    };
  },
};
