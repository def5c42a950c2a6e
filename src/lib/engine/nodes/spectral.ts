// Spectral node classes: Welch PSD, multitaper PSD, band power (named bands, relative), FFT magnitude, spectrogram.
// Kernels (FFT, Welch, periodogram, integration) come from dsp/. Engine worker / Node.
// A spectral transform turns the time axis into a frequency axis placed last: segments
// (instance × time × space) give instance × space × frequency; a whole continuous chunk gives
// time (one element: its last sample's time) × space × frequency. Spectra are float64, as SciPy
// returns them; the chunk's `meta.scaling` says density | spectrum | magnitude.
import { InputError } from '../../core/errors';
import type { ChannelInfo } from '../../core/stream';
import { transposeInto } from '../../dsp/layout';
import type { WindowName } from '../../dsp/filter-design';
import { rfftMagnitude } from '../../dsp/fft';
import { multitaperPsd } from '../../dsp/multitaper';
import { SlidingSpectrum, type SlidingWindowName } from '../../dsp/sliding-spectrum';
import { bandPower, periodogram, relativeBandPower, welch, type Band, type Spectrum, type WelchOptions } from '../../dsp/spectral';
import { axisLabels, axisLength, featureAxis, frequencyAxis, instanceAxis, timeAxis, type Axis, type FeatureAxis, type FrequencyAxis, type TimeAxis } from '../axes';
import { axisIndex, itemAxisIndex, transposeBlock, viewAs, type Block } from '../block';
import { chunkProps, mapChunks, StreamStates, withProps, type Chunk } from '../packet';
import { insertAxis, mapShapes, markSingleton, removeAxis, chunkShape, type ChunkShape } from '../shapes';
import { LogLevel, type NodeClass, type NodeInstance } from '../types';
import { CONTINUOUS, Held, input, lanesAlongTime, metaChunks, np, output, p, rateOf, Scratches, SEGMENTED, TIME_SERIES } from './common';
import { framesOf, WindowCutter } from './time';

const WINDOWS = ['hann', 'hamming', 'blackman', 'boxcar', 'bartlett'] as const;
const SLIDING_WINDOWS = ['hann', 'hamming', 'boxcar'] as const;

// ------------------------------------------------------------------------------- spectrum layouts

/** Static shape of a spectral transform: time → frequency (last); without instances a one-element time axis stays in front. */
export function spectrumShape(s: ChunkShape): ChunkShape {
  const rest = removeAxis(s, 'time');
  const withFreq: ChunkShape = { ...rest, axes: [...rest.axes, 'frequency'] };
  return s.axes.includes('instance') ? withFreq : markSingleton(insertAxis(withFreq, 'time', 0), 'time');
}

/** A segmented block as instance × time × rest (view when it is already), and its lanes. */
function bySegments(b: Block): { lay: Block; n: number; frames: number; lanes: number; rest: Axis[] } {
  const inst = axisIndex(b, 'instance');
  const t = axisIndex(b, 'time');
  const others = b.axes.map((_, i) => i).filter((i) => i !== inst && i !== t);
  const lay = transposeBlock(b, [inst, t, ...others]);
  return { lay, n: lay.shape[0], frames: lay.shape[1], lanes: lanesAlongTime(b), rest: lay.axes.slice(2) };
}

/** A continuous block as time × rest (view when it is already). */
function byTime(b: Block): { lay: Block; frames: number; lanes: number; rest: Axis[]; lastMs: number; rate: number } {
  const t = axisIndex(b, 'time');
  const others = b.axes.map((_, i) => i).filter((i) => i !== t);
  const lay = transposeBlock(b, [t, ...others]);
  const time = lay.axes[0] as TimeAxis;
  return { lay, frames: lay.shape[0], lanes: lanesAlongTime(b), rest: lay.axes.slice(1), lastMs: time.timesMs[time.timesMs.length - 1], rate: time.nominalRateHz };
}

function block(data: Float64Array, axes: Axis[]): Block {
  return { data, shape: axes.map(axisLength), axes };
}

/** Frequency axes cached by their values (identical objects keep `sameStream` cheap downstream). */
class FrequencyAxes {
  private last: FrequencyAxis | undefined;
  of(freqs: Float64Array): FrequencyAxis {
    const l = this.last;
    if (l && l.frequenciesHz.length === freqs.length && l.frequenciesHz.every((f, i) => f === freqs[i])) return l;
    return (this.last = frequencyAxis(Float64Array.from(freqs)));
  }
}

/**
 * The skeleton of the spectral nodes: per segment one spectrum of all lanes (`estimate` gets the
 * segment frame-major, time × lanes, and returns lanes × bins); a whole continuous chunk (not
 * streaming) at once; streaming continuous chunks of an offline run held until the end of the
 * input. Online, continuous chunks give nothing (cut windows first, or use running band power).
 */
function spectralNode(
  scaling: string,
  estimate: (frameMajor: BlockData64, lanes: number, frames: number, fs: number, out: Float64Array | undefined) => { psd: Float64Array; freqsHz: Float64Array },
  ctx: { nodeId: string; offline: boolean },
  /** Bins of a segment's spectrum, when known before estimating it (lets every PSD go straight into the reused output). */
  binsOf?: (frames: number) => number,
): NodeInstance {
  const held = new Held();
  const freqs = new FrequencyAxes();
  const out = new Scratches();
  const segments = (c: Chunk, name: string): Chunk | undefined => {
    const fs = rateOf(c, ctx.nodeId);
    const { lay, n, frames, lanes, rest } = bySegments(c.block);
    if (!n) return undefined;
    const slab = frames * lanes;
    const known = binsOf?.(frames);
    const first = estimate(lay.data.subarray(0, slab), lanes, frames, fs, known ? out.get(name).f64(n * lanes * known).subarray(0, lanes * known) : undefined);
    const bins = first.freqsHz.length;
    const data = out.get(name).f64(n * lanes * bins);
    if (first.psd !== data.subarray(0, lanes * bins)) data.set(first.psd);
    for (let k = 1; k < n; k++) {
      const r = estimate(lay.data.subarray(k * slab, (k + 1) * slab), lanes, frames, fs, data.subarray(k * lanes * bins, (k + 1) * lanes * bins));
      if (r.psd !== data.subarray(k * lanes * bins, (k + 1) * lanes * bins)) data.set(r.psd, k * lanes * bins);
    }
    return { block: block(data, [lay.axes[0], ...rest, freqs.of(first.freqsHz)]), props: withProps(c.props, {}, { scaling }) };
  };
  const whole = (c: Chunk): Chunk => {
    const fs = rateOf(c, ctx.nodeId);
    const { lay, frames, lanes, rest, lastMs, rate } = byTime(c.block);
    const r = estimate(lay.data, lanes, frames, fs, undefined);
    return { block: block(r.psd, [timeAxis(Float64Array.of(lastMs), rate), ...rest, freqs.of(r.freqsHz)]), props: withProps(c.props, {}, { scaling }) };
  };
  return {
    process(inputs) {
      const r = mapChunks(inputs.data, [TIME_SERIES], (c, name) => {
        if (axisIndex(c.block, 'instance') >= 0) return segments(c, name);
        if (!c.props.is_streaming) return whole(c);
        if (ctx.offline) held.hold(name, c);
        return undefined;
      });
      return r ? { data: r } : undefined;
    },
    flush() {
      if (!held.size) return;
      return { data: new Map(held.take().map(([name, c]) => [name, whole(c)])) };
    },
    reset() {
      held.clear();
    },
  };
}

type BlockData64 = Block['data'];

const spectralIn = input('data', [TIME_SERIES], 'Segments (one spectrum each), or a whole continuous chunk.', {
  hint: 'a spectrum needs a time axis: feed segments (Sliding window, Segmentation) or a whole recording',
});
const spectralOut = (doc: string) => output('data', mapShapes('data', [TIME_SERIES], spectrumShape), doc);

// ------------------------------------------------------------------------------- Welch

export const welchSpectrum: NodeClass = {
  type: 'spectral.welch',
  package: 'spectral',
  title: 'Welch PSD',
  version: '1.1.0',
  neuropype: np('WelchSpectrum', 'spectral'),
  doc: `Power spectral density by Welch's method, as \`scipy.signal.welch\` (periodic window, per-segment
detrend, one-sided, bins 1…N/2−1 doubled), along the time axis.

- **in \`data\`**: segments (instance × time × space: one spectrum per epoch or window), or a whole
  continuous chunk (an imported recording; the streaming chunks of an offline run are joined and
  done at the end of the input). **out \`data\`**: instance × space × frequency, or time (one
  element) × space × frequency; \`meta.scaling\`.
- **segment_samples** (samples, nperseg; clamped to the epoch length), **overlap_samples** (samples;
  null = half), **nfft** (null = segment length), **window**, **detrend** (constant | linear | none),
- **scaling**: density (unit²/Hz) | spectrum (unit²). **average**: mean | median.
- For band power at every chunk, wire the signal into Band power itself (running band power): the
  same numbers as Sliding window → Welch (one segment) → Band power, several times cheaper.`,
  inputs: [spectralIn],
  outputs: [spectralOut('PSD per lane.')],
  params: [
    p.int('segment_samples', 256, 'Segment length (nperseg).', { unit: 'samples', domain: [2, 1 << 20] }),
    p.int('overlap_samples', null, 'Overlap between segments (null = half a segment).', { unit: 'samples', domain: [0, 1 << 20] }),
    p.int('nfft', null, 'FFT length ≥ segment (null = segment length).', { unit: 'samples', domain: [2, 1 << 22] }),
    p.enum('window', 'hann', WINDOWS, 'Window.'),
    p.enum('detrend', 'constant', ['constant', 'linear', 'none'], 'Per-segment detrend.'),
    p.enum('scaling', 'density', ['density', 'spectrum'], 'PSD (per Hz) or power spectrum.'),
    p.enum('average', 'mean', ['mean', 'median'], 'How segments are averaged.'),
  ],
  create(params, ctx) {
    const nov = params.overlap_samples as number | null;
    const base: WelchOptions = {
      window: params.window as WindowName,
      nfft: (params.nfft as number | null) ?? undefined,
      detrend: params.detrend === 'none' ? false : (params.detrend as 'constant' | 'linear'),
      scaling: params.scaling as 'density' | 'spectrum',
      average: params.average as 'mean' | 'median',
      frameMajor: true,
    };
    // one options object per segment length (re-validated only when the length changes)
    let optsFor = -1;
    let opts: WelchOptions = base;
    const freqScratch = { f: new Float64Array(0) };
    const optionsOf = (ns: number): WelchOptions => {
      if (ns === optsFor) return opts;
      const nperseg = Math.min(params.segment_samples as number, ns);
      if (nov !== null && nov >= nperseg) throw new InputError(`overlap_samples ${nov} must be smaller than the segment (${nperseg})`, ctx.nodeId);
      opts = { ...base, nperseg, noverlap: nov ?? undefined };
      optsFor = ns;
      return opts;
    };
    const binsOf = (frames: number) => {
      const o = optionsOf(frames);
      return ((o.nfft ?? o.nperseg!) >> 1) + 1;
    };
    const reuse: { psd?: Float64Array; freqsHz?: Float64Array } = {};
    return spectralNode(
      params.scaling as string,
      (x, lanes, frames, fs, out) => {
        const o = optionsOf(frames);
        const bins = binsOf(frames);
        if (freqScratch.f.length !== bins) freqScratch.f = new Float64Array(bins);
        reuse.psd = out;
        reuse.freqsHz = freqScratch.f;
        o.out = reuse;
        return welch(x, lanes, frames, fs, o);
      },
      ctx,
      binsOf,
    );
  },
};

// ------------------------------------------------------------------------------- multitaper

export const multitaperSpectrum: NodeClass = {
  type: 'spectral.multitaper',
  package: 'spectral',
  title: 'Multitaper PSD',
  version: '1.1.0',
  neuropype: np('MultitaperSpectrum', 'spectral'),
  doc: `Power spectral density by the multitaper method: DPSS (Slepian) tapers as
\`scipy.signal.windows.dpss\`, combined as \`mne.time_frequency.psd_array_multitaper\` does (mean removed,
one-sided, √eigenvalue weights or Thomson's adaptive weights, low-bias taper selection).

- **in/out \`data\`**: as spectral.welch (segments → instance × space × frequency; a whole continuous
  chunk → time (one element) × space × frequency).
- **half_bandwidth** (NW, standardised half bandwidth = half the smoothing bandwidth in Hz × epoch
  seconds; NeuroPype's parameter; default 2.5). **bandwidth** (Hz, MNE's full bandwidth; overrides
  half_bandwidth when set). **num_tapers** (null = ⌊2·NW⌋ as MNE, before low-bias selection).
- **adaptive** (bool): Thomson's adaptive weights (MNE; needs ≥ 3 tapers, else the fixed weights).
  **low_bias** (bool): keep tapers whose concentration exceeds 0.9.
- **normalization**: full (default: unit²/Hz, comparable to Welch's density) | length (MNE's default:
  the density times the sampling rate). **nfft** (null = epoch length; larger zero-pads).
- **onesided** (only true), **average_over_time_window** (accepted; each epoch gives one spectrum).`,
  inputs: [spectralIn],
  outputs: [spectralOut('PSD per lane.')],
  params: [
    p.float('half_bandwidth', 2.5, 'Standardised half bandwidth NW (time-half-bandwidth product).', { domain: [0.5, 1e6] }),
    p.float('bandwidth', null, 'Full smoothing bandwidth in Hz (MNE); overrides half_bandwidth.', { unit: 'Hz', domain: [0, 1e6] }),
    p.int('num_tapers', null, 'Tapers computed (null = floor(2·NW)).', { domain: [1, 1000] }),
    p.bool('adaptive', false, "Thomson's adaptive weighting of the tapered spectra."),
    p.bool('low_bias', true, 'Keep only tapers with > 90 % spectral concentration.'),
    p.enum('normalization', 'full', ['full', 'length'], 'full = unit²/Hz; length = MNE default (× fs).'),
    p.int('nfft', null, 'FFT length ≥ epoch length (null = epoch length).', { unit: 'samples', domain: [2, 1 << 22] }),
    p.bool('onesided', true, 'One-sided spectrum (two-sided is not supported).'),
    p.bool('average_over_time_window', false, 'Accepted for NeuroPype compatibility (one spectrum per epoch).'),
  ],
  create(params, ctx) {
    if (params.onesided === false) throw new InputError('two-sided multitaper spectra are not supported; set onesided to true', ctx.nodeId);
    const bandwidth = params.bandwidth as number | null;
    const opts = {
      halfNbw: bandwidth === null ? (params.half_bandwidth as number) : null,
      bandwidthHz: bandwidth,
      taperCount: params.num_tapers as number | null,
      adaptive: params.adaptive as boolean,
      lowBias: params.low_bias as boolean,
      normalization: params.normalization as 'full' | 'length',
      nfft: params.nfft as number | null,
    };
    let warned = false;
    let cm = new Float32Array(0);
    return spectralNode(
      'density',
      (x, lanes, frames, fs) => {
        const nw = opts.halfNbw ?? (bandwidth! * frames) / (2 * fs);
        if (!(nw < frames / 2)) throw new InputError(`half bandwidth NW ${nw} must be below half the epoch length (${frames} samples)`, ctx.nodeId);
        if (opts.taperCount !== null && opts.taperCount > frames) throw new InputError(`num_tapers ${opts.taperCount} exceeds the epoch length (${frames} samples)`, ctx.nodeId);
        // channel-major copy (the kernel reads [lane, sample])
        if (cm.length < x.length) cm = new Float32Array(x.length);
        const r = multitaperPsd(x instanceof Float32Array ? transposeInto(x, frames, lanes, cm.subarray(0, x.length)) : transposeInto(x, frames, lanes, new Float64Array(x.length)), lanes, frames, fs, opts);
        if ((r.unconverged > 0 || (opts.adaptive && !r.adaptive)) && !warned) {
          warned = true;
          ctx.log(30, r.unconverged > 0 ? 'adaptive multitaper weights did not converge on some channels' : `adaptive weighting needs ≥ 3 tapers (have ${r.taperCount}); fixed weights used`);
        }
        return { psd: r.psd, freqsHz: r.freqsHz };
      },
      ctx,
    );
  },
};

// ------------------------------------------------------------------------------- band power

export const DEFAULT_BANDS: Record<string, [number, number]> = { delta: [0.5, 4], theta: [4, 8], alpha: [8, 13], beta: [13, 30], gamma: [30, 45] };

const SPECTRA = { onlySignals: true, withAxes: ['frequency'] } as const;

/** Static shape of band power: [item axis ×] feature (spectra), or time × feature (a continuous signal). */
function bandPowerShape(s: ChunkShape): ChunkShape {
  if (!s.axes.includes('frequency')) return chunkShape(s.name, ['time', 'feature'], s.flags);
  const item = s.axes.includes('instance') ? 'instance' : s.axes.includes('time') ? 'time' : null;
  return chunkShape(s.name, item ? [item, 'feature'] : ['feature'], s.flags, item === 'time' && s.singletons.includes('time') ? ['time'] : []);
}

export const bandPowerNode: NodeClass = {
  type: 'spectral.band-power',
  package: 'spectral',
  title: 'Band power',
  version: '1.2.0',
  doc: `Integrates a PSD over named bands (bins with low ≤ f ≤ high; trapezoid as \`scipy.integrate.trapezoid\`,
or Simpson with SciPy 1.10's even='avg'), optionally relative to the power over \`total\`.

- **in \`data\`**: spectra (a frequency axis; density scaling) | a continuous signal (running band power,
  see below). **out \`data\`**: [instance or time ×] feature, one row per spectrum or window; features
  "<label>:<band>" (channel-major: all bands of the first channel first), unit = input unit² (or
  ratio when relative).
- **bands** (dict name → [low, high], Hz). **relative** (bool). **total** [low, high] (Hz). **rule**.
- With a **signal** in: a window of **window_length** ends every **step** (s, or samples when **unit** =
  samples; placed from the first sample as Sliding window places them, stamped with the window's last
  sample: an irregular time axis), and each window's PSD is \`scipy.signal.welch\` with one segment
  spanning it (**window**: hann | hamming | boxcar, periodic; **detrend**: constant | none; density).
  The same numbers as Sliding window → Welch PSD (segment ≥ window) → Band power, but without copying
  windows: when the bands cover few bins and windows are frequent, only those bins are updated at
  each sample (sliding DFT) instead of an FFT of every window — the cheap way to follow band power at
  every chunk; otherwise an FFT per window (the cheaper of the two is picked). A non-finite sample
  makes its channel NaN while it is in the window. A live parameter change starts the windows afresh
  (the next output comes one window later).`,
  inputs: [input('data', [SPECTRA, CONTINUOUS], 'PSD, or a continuous signal (running band power).', { hint: 'band power needs a spectrum (frequency axis) or a continuous signal' })],
  outputs: [output('data', mapShapes('data', [SPECTRA, CONTINUOUS], bandPowerShape), 'Band powers per lane and band.')],
  params: [
    p.dict('bands', DEFAULT_BANDS, 'Bands by name, [low, high] in Hz.', { unit: 'Hz' }),
    p.bool('relative', false, 'Divide by the power over total.'),
    p.list('total', [0.5, 45], 'Range for relative power.', { unit: 'Hz', items: 'number', lengths: [2] }),
    p.enum('rule', 'trapezoid', ['trapezoid', 'simpson'], 'Integration rule.'),
    p.float('window_length', 1, 'Signal in: window length.', { unit: 's or samples', domain: [0, Infinity], inputKinds: ['signal'] }),
    p.float('step', 0.1, 'Signal in: hop between window ends.', { unit: 's or samples', domain: [0, Infinity], inputKinds: ['signal'] }),
    p.enum('unit', 'seconds', ['seconds', 'samples'], 'Signal in: unit of window_length and step.', { inputKinds: ['signal'] }),
    p.enum('window', 'hann', SLIDING_WINDOWS, 'Signal in: window (periodic, as scipy.signal.get_window).', { inputKinds: ['signal'] }),
    p.enum('detrend', 'constant', ['constant', 'none'], 'Signal in: per-window detrend.', { inputKinds: ['signal'] }),
  ],
  create(params, ctx) {
    const entries = Object.entries(params.bands as Record<string, unknown>);
    if (!entries.length) throw new InputError('bands is empty; give e.g. {"alpha": [8, 13]}', ctx.nodeId);
    const names: string[] = [];
    const bands: Band[] = entries.map(([name, v]) => {
      if (!Array.isArray(v) || v.length !== 2 || !v.every((f) => typeof f === 'number' && f >= 0) || !(v[0] < v[1]))
        throw new InputError(`band "${name}" must be [low, high] in Hz with low < high, got ${JSON.stringify(v)}`, ctx.nodeId);
      names.push(name);
      return [v[0], v[1]] as const;
    });
    const total = params.total as [number, number];
    const rule = params.rule as 'trapezoid' | 'simpson';
    const relative = params.relative as boolean;
    const unit = params.unit as string;
    /** The feature axis "<label>:<band>" for rows labelled `rows`, and the output props, cached per layout. */
    const outputs = new StreamStates<{ feature: FeatureAxis; props: Chunk['props'] }>((c) => {
      const labels = rowLabels(c.block);
      const units = rowUnits(c.block);
      const fnames: string[] = [];
      const funits: string[] = [];
      labels.forEach((l, i) => {
        for (const b of names) {
          fnames.push(`${l}:${b}`);
          funits.push(relative ? 'ratio' : `${units[i]}^2`);
        }
      });
      const src = c.props.source;
      return { feature: featureAxis(fnames, funits), props: chunkProps({ ...src, id: `${src.id}.bandpower`, kind: 'features' }, { is_signal: true, is_streaming: c.props.is_streaming }) };
    });
    const out = new Scratches();
    let totScratch = new Float64Array(0);
    let bpBuf = new Float64Array(0);
    const spec: Spectrum = { freqsHz: new Float64Array(0), psd: new Float64Array(0), channelCount: 0, binCount: 0 };
    /** Integrates `spec` (rows × bins) into `y` at row k of width rows·bands. */
    const integrate = (y: Block['data'], k: number): void => {
      const width = spec.channelCount * names.length;
      if (bpBuf.length !== width) bpBuf = new Float64Array(width);
      if (totScratch.length !== spec.channelCount) totScratch = new Float64Array(spec.channelCount);
      const bp = relative ? relativeBandPower(spec, bands, total, rule, bpBuf, totScratch) : bandPower(spec, bands, rule, bpBuf);
      for (let i = 0; i < width; i++) y[k * width + i] = bp[i];
    };

    // spectra in: one output row per element of the item axis
    const ofSpectra = (c: Chunk, name: string): Chunk => {
      const b = c.block;
      const item = itemAxisIndex(b);
      const lay = viewAs(b, item >= 0 ? [b.axes[item].type, '...', 'frequency'] : ['...', 'frequency'], ctx.nodeId);
      const freqs = lay.axes.at(-1) as FrequencyAxis;
      const bins = freqs.frequenciesHz.length;
      const items = item >= 0 ? lay.shape[0] : 1;
      const rows = bins && items ? lay.data.length / bins / items : 0;
      const o = outputs.get(name, c);
      const y = out.get(name).f32(items * rows * names.length);
      spec.freqsHz = freqs.frequenciesHz;
      spec.channelCount = rows;
      spec.binCount = bins;
      for (let k = 0; k < items; k++) {
        spec.psd = lay.data.subarray(k * rows * bins, (k + 1) * rows * bins) as Float64Array;
        integrate(y, k);
      }
      const axes = item >= 0 ? [lay.axes[0], o.feature] : [o.feature];
      return { block: { data: y, shape: axes.map(axisLength), axes }, props: o.props };
    };

    // Signal in: one SlidingSpectrum per stream, over the bins from the lowest band edge to the highest.
    const sliding = new StreamStates<SlidingSpectrum>((c) => {
      const fs = rateOf(c, ctx.nodeId);
      const windowFrames = framesOf(params.window_length as number, unit, fs, ctx.nodeId, 'window_length');
      const stepFrames = framesOf(params.step as number, unit, fs, ctx.nodeId, 'step');
      if (windowFrames < 2) throw new InputError(`window_length of ${params.window_length} ${unit} is ${windowFrames} sample at ${fs} Hz; a spectrum needs at least 2`, ctx.nodeId);
      const edges = relative ? [...bands, total] : bands;
      return new SlidingSpectrum({
        channels: lanesAlongTime(c.block),
        sampleRateHz: fs,
        windowFrames,
        stepFrames,
        window: params.window as SlidingWindowName,
        detrend: params.detrend === 'none' ? false : 'constant',
        loHz: Math.min(...edges.map((x) => x[0])),
        hiHz: Math.max(...edges.map((x) => x[1])),
      });
    });
    let loggedBad = -Infinity;
    let badLogs = 0;
    let y: Block['data'] = new Float32Array(0);
    let ends = new Float64Array(0);
    let times: Float64Array = new Float64Array(0);
    let windows = 0;
    const onWindow = (f: number): void => {
      ends[windows] = times[f];
      integrate(y, windows++);
    };
    const ofSignal = (c: Chunk, name: string): Chunk | undefined => {
      const b = c.block;
      if (axisIndex(b, 'time') !== 0) throw new InputError('running band power expects time as the first axis (a continuous signal)', ctx.nodeId);
      const s = sliding.get(name, c);
      const o = outputs.get(name, c);
      const frames = b.shape[0];
      const lanes = lanesAlongTime(b);
      const most = Math.ceil(frames / s.stepFrames) + 1;
      y = out.get(name).f32(most * lanes * names.length);
      if (ends.length < most) ends = new Float64Array(most);
      times = (b.axes[0] as TimeAxis).timesMs;
      spec.freqsHz = s.freqsHz;
      spec.psd = s.psd;
      spec.channelCount = lanes;
      spec.binCount = s.binCount;
      windows = 0;
      const bad = s.nonFiniteSamples;
      s.push(b.data, frames, onWindow);
      if (s.nonFiniteSamples > bad && s.nonFiniteSamples - loggedBad >= 1000 * 2 ** Math.min(10, badLogs)) {
        // the first occurrence, then ever more rarely (a dead electrode would flood the log)
        ctx.log(LogLevel.WARNING, `${s.nonFiniteSamples} non-finite samples (NaN/Inf) so far; their channels read NaN until they leave the window`);
        loggedBad = s.nonFiniteSamples;
        badLogs++;
      }
      if (!windows) return undefined;
      const axes = [timeAxis(ends.slice(0, windows), 0), o.feature];
      return { block: { data: y.subarray(0, windows * lanes * names.length), shape: [windows, o.feature.names.length], axes }, props: o.props };
    };

    return {
      process(inputs) {
        const r = mapChunks(inputs.data, [SPECTRA, CONTINUOUS], (c, name) => (axisIndex(c.block, 'frequency') >= 0 ? ofSpectra(c, name) : ofSignal(c, name)));
        return r ? { data: r } : undefined;
      },
      check(meta) {
        for (const { name, chunk } of metaChunks(meta, CONTINUOUS)) if (axisIndex(chunk.block, 'frequency') < 0) sliding.get(name, chunk);
      },
      reset() {
        sliding.clear();
        loggedBad = -Infinity;
        badLogs = 0;
      },
    };
  },
};

/** Labels of the rows a spectrum or signal chunk is integrated over: its non-item, non-frequency, non-time axes flattened. */
function rowAxes(b: Block): Axis[] {
  return b.axes.filter((a) => a.type !== 'frequency' && a.type !== 'instance' && a.type !== 'time');
}

function rowLabels(b: Block): string[] {
  return flatLabels(rowAxes(b), axisLabels);
}

function rowUnits(b: Block): string[] {
  const axes = rowAxes(b);
  if (axes.length === 1 && axes[0].type === 'space') return axes[0].channels.map((c: ChannelInfo) => c.unit);
  return flatLabels(axes, (a) => new Array<string>(axisLength(a)).fill(''));
}

function flatLabels(axes: Axis[], labels: (a: Axis) => string[]): string[] {
  let out = [''];
  for (const a of axes) {
    const l = labels(a);
    out = out.flatMap((p) => l.map((x) => (p ? `${p}:${x}` : x)));
  }
  return out;
}

// ------------------------------------------------------------------------------- FFT magnitude

export const fftMagnitude: NodeClass = {
  type: 'spectral.fft',
  package: 'spectral',
  title: 'FFT magnitude',
  version: '1.1.0',
  doc: `|rFFT| along time of each lane of each segment (no window, no detrend, no normalisation:
\`numpy.abs(scipy.fft.rfft(x))\`).

- **in \`data\`**: segments; **out \`data\`**: instance × space × frequency (meta.scaling "magnitude"), bins k·fs/N.`,
  inputs: [input('data', [SEGMENTED], 'Epochs or windows.', { hint: 'segment the signal first (Sliding window, Segmentation)' })],
  outputs: [output('data', mapShapes('data', [SEGMENTED], spectrumShape), 'Magnitude spectra.')],
  params: [],
  create(_params, ctx) {
    const freqs = new FrequencyAxes();
    return {
      process(inputs) {
        const r = mapChunks(inputs.data, [SEGMENTED], (c) => {
          const fs = rateOf(c, ctx.nodeId);
          const { lay, n, frames, lanes, rest } = bySegments(c.block);
          if (!n) return undefined;
          const bins = Math.floor(frames / 2) + 1;
          const data = new Float64Array(n * lanes * bins);
          const cm = new Float64Array(frames * lanes);
          for (let k = 0; k < n; k++) {
            transposeInto(lay.data.subarray(k * frames * lanes, (k + 1) * frames * lanes), frames, lanes, cm);
            data.set(rfftMagnitude(cm, lanes, frames), k * lanes * bins);
          }
          const f = freqs.of(Float64Array.from({ length: bins }, (_, k) => (k * fs) / frames));
          return { block: block(data, [lay.axes[0], ...rest, f]), props: withProps(c.props, {}, { scaling: 'magnitude' }) };
        });
        return r ? { data: r } : undefined;
      },
      reset() {},
    };
  },
};

// ------------------------------------------------------------------------------- spectrogram

export const spectrogram: NodeClass = {
  type: 'spectral.spectrogram',
  package: 'spectral',
  title: 'Spectrogram',
  version: '1.1.0',
  doc: `Short-time spectra of a continuous signal: every \`step\` seconds, the periodogram (SciPy
\`periodogram\`: window, constant detrend, one-sided) of the last \`window_length\` seconds. Windows
are placed by sample count, so chunking does not change the output.

- **in \`data\`**: continuous chunks; **out \`data\`**: instance × space × frequency, one instance per
  window, stamped with its last sample's time.
- **window_length**, **step** (s). **window**. **scaling**: density | spectrum.`,
  inputs: [input('data', [CONTINUOUS], 'Continuous signal.', { hint: 'a spectrogram is cut from a continuous signal' })],
  outputs: [output('data', mapShapes('data', [CONTINUOUS], (s) => spectrumShape(insertAxis(s, 'instance', 0))), 'One spectrum per window.')],
  params: [
    p.float('window_length', 1, 'Window length.', { unit: 's', domain: [0, 3600] }),
    p.float('step', 0.25, 'Hop between windows.', { unit: 's', domain: [0, 3600] }),
    p.enum('window', 'hann', WINDOWS, 'Window.'),
    p.enum('scaling', 'density', ['density', 'spectrum'], 'PSD or power spectrum.'),
  ],
  create(params, ctx) {
    const len = (fs: number) => {
      const n = Math.round((params.window_length as number) * fs);
      if (n < 2) throw new InputError('window_length must cover at least 2 samples', ctx.nodeId);
      return n;
    };
    const step = (fs: number) => Math.max(1, Math.round((params.step as number) * fs));
    const cutters = new StreamStates(() => new WindowCutter(len, step, ctx.nodeId));
    const bufs = new Scratches();
    const freqs = new FrequencyAxes();
    return {
      process(inputs) {
        const r = mapChunks(inputs.data, [CONTINUOUS], (c, name) => {
          const w = cutters.get(name, c).windows(c, bufs, name);
          const n = w.endsMs.length;
          if (!n) return undefined;
          const fs = rateOf(c, ctx.nodeId);
          const W = w.time.timesMs.length;
          const lanes = W && n ? w.data.length / n / W : 0;
          const cm = new Float64Array(W * lanes);
          let data = new Float64Array(0);
          let f: Float64Array = new Float64Array(0);
          for (let k = 0; k < n; k++) {
            transposeInto(w.data.subarray(k * W * lanes, (k + 1) * W * lanes), W, lanes, cm);
            const sp = periodogram(cm, lanes, W, fs, { window: params.window as WindowName, scaling: params.scaling as 'density' });
            if (k === 0) {
              f = sp.freqsHz;
              data = new Float64Array(n * lanes * f.length);
            }
            data.set(sp.psd, k * lanes * f.length);
          }
          return { block: block(data, [instanceAxis(Float64Array.from(w.endsMs), {}, 'windows'), ...w.rest, freqs.of(f)]), props: withProps(c.props, {}, { scaling: params.scaling }) };
        });
        return r ? { data: r } : undefined;
      },
      check(meta) {
        for (const { chunk } of metaChunks(meta, CONTINUOUS)) len(rateOf(chunk, ctx.nodeId));
      },
      reset: () => cutters.clear(),
    };
  },
};
