// Spectral node classes: Welch PSD, multitaper PSD, band power (named bands, relative), FFT magnitude, spectrogram.
// Kernels (FFT, Welch, periodogram, integration) come from dsp/. Engine worker / Node.
// Spectra are float64, CHANNEL-MAJOR per item ([channel, bin]), as SciPy returns them.
import { InputError } from '../../core/errors';
import type { ChannelInfo, StreamDescriptor } from '../../core/stream';
import type { WindowName } from '../../dsp/filter-design';
import { rfftMagnitude } from '../../dsp/fft';
import { multitaperPsd } from '../../dsp/multitaper';
import { SlidingSpectrum, type SlidingWindowName } from '../../dsp/sliding-spectrum';
import { bandPower, periodogram, relativeBandPower, welch, type Band, type Spectrum, type WelchOptions } from '../../dsp/spectral';
import { toChannelMajor, transposeInto } from '../packets';
import { LogLevel, type EpochsPacket, type FramesPacket, type NodeClass, type PortValues, type SpectrumItem, type SpectrumPacket } from '../types';
import { input, np, output, p, rateOf } from './common';
import { copyFrames, joinFrames } from './filters';
import { framesOf, WindowCutter } from './time';

const WINDOWS = ['hann', 'hamming', 'blackman', 'boxcar', 'bartlett'] as const;
const SLIDING_WINDOWS = ['hann', 'hamming', 'boxcar'] as const;

function epochChannelMajor(e: { samples: Float32Array; frames: number }, ch: number): Float64Array;
function epochChannelMajor(e: { samples: Float32Array; frames: number }, ch: number, scratch: { buf: Float32Array }): Float32Array;
function epochChannelMajor(e: { samples: Float32Array; frames: number }, ch: number, scratch?: { buf: Float32Array }): Float64Array | Float32Array {
  if (!scratch) return toChannelMajor(e.samples, e.frames, ch);
  // float32 channel-major copy (the samples are float32 already; welch computes in float64)
  const n = e.frames * ch;
  if (scratch.buf.length < n) scratch.buf = new Float32Array(n);
  return transposeInto(e.samples, e.frames, ch, scratch.buf.subarray(0, n));
}

/**
 * Offline end of input for the spectral estimators (Welch, multitaper): one spectrum of the whole
 * signal they held, stamped with its last frame's time.
 */
function wholeSignalSpectrum(
  held: FramesPacket[],
  nodeId: string,
  scaling: SpectrumPacket['scaling'],
  estimate: (all: FramesPacket, channels: number, fs: number) => { psd: Float64Array; freqsHz: Float64Array },
): { data: SpectrumPacket } {
  const all = joinFrames(held);
  const r = estimate(all, all.stream.channels.length, rateOf(all.stream, nodeId));
  return { data: { kind: 'spectrum', stream: all.stream, freqsHz: r.freqsHz, scaling, items: [{ timestampMs: all.timestampsMs[all.frames - 1], values: r.psd }] } };
}

// ------------------------------------------------------------------------------- Welch

export const welchSpectrum: NodeClass = {
  type: 'spectral.welch',
  package: 'spectral',
  title: 'Welch PSD',
  version: '1.0.0',
  neuropype: np('WelchSpectrum', 'spectral'),
  doc: `Power spectral density by Welch's method, as \`scipy.signal.welch\` (periodic window, per-segment
detrend, one-sided, bins 1…N/2−1 doubled).

- **in \`data\`** (epochs: one spectrum per epoch or window | signal: offline only, one spectrum of
  the whole recording at the end). **out \`data\`** (spectrum).
- **segment_samples** (samples, nperseg; clamped to the epoch length), **overlap_samples** (samples;
  null = half), **nfft** (null = segment length), **window**, **detrend** (constant | linear | none),
- **scaling**: density (unit²/Hz) | spectrum (unit²). **average**: mean | median.
- For band power at every chunk, wire the signal into Band power itself (running band power): the
  same numbers as Sliding window → Welch (one segment) → Band power, several times cheaper.`,
  inputs: [input('data', ['epochs', 'signal'], 'Epochs/windows, or a whole signal offline.')],
  outputs: [output('data', 'spectrum', 'PSD per channel.')],
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
    };
    // one options object per epoch length (re-validated only when the length changes)
    let optsFor = -1;
    let opts: WelchOptions = base;
    const optionsOf = (ns: number): WelchOptions => {
      if (ns === optsFor) return opts;
      const nperseg = Math.min(params.segment_samples as number, ns);
      if (nov !== null && nov >= nperseg) throw new InputError(`overlap_samples ${nov} must be smaller than the segment (${nperseg})`, ctx.nodeId);
      opts = { ...base, nperseg, noverlap: nov ?? undefined, out: {}, frameMajor: true };
      optsFor = ns;
      return opts;
    };
    let held: FramesPacket[] = [];
    // Online reuse (packet contract: valid during the step only): one PSD buffer per item slot,
    // one frequency grid, the items array and the packet.
    const psdPool: Float64Array[] = [];
    let freqs: Float64Array = new Float64Array(0);
    const items: SpectrumItem[] = [];
    const packet: SpectrumPacket = { kind: 'spectrum', stream: undefined as unknown as StreamDescriptor, freqsHz: freqs, scaling: params.scaling as 'density', items };
    const result = { data: packet as SpectrumPacket | undefined };
    return {
      process(inputs) {
        const d = inputs.data;
        if (!d) return;
        if (d.kind === 'signal') {
          if (ctx.offline) held.push(copyFrames(d));
          return;
        }
        const e = d as EpochsPacket;
        const n = e.items.length;
        if (!n) return;
        const ch = e.stream.channels.length;
        const fs = rateOf(e.stream, ctx.nodeId);
        items.length = n;
        for (let k = 0; k < n; k++) {
          const it = e.items[k];
          const o = optionsOf(it.frames);
          const out = o.out!;
          out.psd = psdPool[k];
          out.freqsHz = freqs; // same grid for every item of a packet; a different length allocates (and is rejected below)
          const sp = welch(it.samples, ch, it.frames, fs, o); // frame-major, transposed inside
          psdPool[k] = sp.psd;
          if (k === 0) freqs = sp.freqsHz;
          else if (sp.freqsHz.length !== freqs.length) throw new InputError('epochs of different lengths give different frequency grids; make epochs equal', ctx.nodeId);
          const item = items[k] ?? (items[k] = { timestampMs: 0, values: sp.psd });
          item.timestampMs = it.timestampMs;
          item.values = sp.psd;
          item.target = it.target;
          item.marker = it.marker;
        }
        packet.stream = e.stream;
        packet.freqsHz = freqs;
        result.data = packet;
        return result;
      },
      flush() {
        if (!held.length) return;
        const whole = held;
        held = [];
        return wholeSignalSpectrum(whole, ctx.nodeId, params.scaling as 'density', (all, ch, fs) => welch(all.samples, ch, all.frames, fs, { ...optionsOf(all.frames), out: undefined }));
      },
      reset() {
        held = [];
      },
    };
  },
};

// ------------------------------------------------------------------------------- multitaper

export const multitaperSpectrum: NodeClass = {
  type: 'spectral.multitaper',
  package: 'spectral',
  title: 'Multitaper PSD',
  version: '1.0.0',
  neuropype: np('MultitaperSpectrum', 'spectral'),
  doc: `Power spectral density by the multitaper method: DPSS (Slepian) tapers as
\`scipy.signal.windows.dpss\`, combined as \`mne.time_frequency.psd_array_multitaper\` does (mean removed,
one-sided, √eigenvalue weights or Thomson's adaptive weights, low-bias taper selection).

- **in \`data\`** (epochs: one spectrum per epoch or window | signal: offline only, one spectrum of the
  whole recording at the end). **out \`data\`** (spectrum, per channel).
- **half_bandwidth** (NW, standardised half bandwidth = half the smoothing bandwidth in Hz × epoch
  seconds; NeuroPype's parameter; default 2.5). **bandwidth** (Hz, MNE's full bandwidth; overrides
  half_bandwidth when set). **num_tapers** (null = ⌊2·NW⌋ as MNE, before low-bias selection).
- **adaptive** (bool): Thomson's adaptive weights (MNE; needs ≥ 3 tapers, else the fixed weights).
  **low_bias** (bool): keep tapers whose concentration exceeds 0.9.
- **normalization**: full (default: unit²/Hz, comparable to Welch's density) | length (MNE's default:
  the density times the sampling rate). **nfft** (null = epoch length; larger zero-pads).
- **onesided** (only true), **average_over_time_window** (accepted; each epoch gives one spectrum).`,
  inputs: [input('data', ['epochs', 'signal'], 'Epochs/windows, or a whole signal offline.')],
  outputs: [output('data', 'spectrum', 'PSD per channel.')],
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
    const spectrumOf = (x: Float64Array | Float32Array, ch: number, frames: number, fs: number): { psd: Float64Array; freqsHz: Float64Array } => {
      const nw = opts.halfNbw ?? (bandwidth! * frames) / (2 * fs);
      if (!(nw < frames / 2)) throw new InputError(`half bandwidth NW ${nw} must be below half the epoch length (${frames} samples)`, ctx.nodeId);
      if (opts.taperCount !== null && opts.taperCount > frames) throw new InputError(`num_tapers ${opts.taperCount} exceeds the epoch length (${frames} samples)`, ctx.nodeId);
      const r = multitaperPsd(x, ch, frames, fs, opts);
      if ((r.unconverged > 0 || (opts.adaptive && !r.adaptive)) && !warned) {
        warned = true;
        ctx.log(30, r.unconverged > 0 ? 'adaptive multitaper weights did not converge on some channels' : `adaptive weighting needs ≥ 3 tapers (have ${r.taperCount}); fixed weights used`);
      }
      return { psd: r.psd, freqsHz: r.freqsHz };
    };
    let held: FramesPacket[] = [];
    const scratch = { buf: new Float32Array(0) };
    return {
      process(inputs) {
        const d = inputs.data;
        if (!d) return;
        if (d.kind === 'signal') {
          if (ctx.offline) held.push(copyFrames(d));
          return;
        }
        const e = d as EpochsPacket;
        if (!e.items.length) return;
        const fs = rateOf(e.stream, ctx.nodeId);
        const ch = e.stream.channels.length;
        let freqs: Float64Array | undefined;
        const items: SpectrumItem[] = [];
        for (const it of e.items) {
          const r = spectrumOf(epochChannelMajor(it, ch, scratch), ch, it.frames, fs);
          if (freqs && r.freqsHz.length !== freqs.length) throw new InputError('epochs of different lengths give different frequency grids; make epochs equal', ctx.nodeId);
          freqs = r.freqsHz;
          items.push({ timestampMs: it.timestampMs, values: r.psd, target: it.target, marker: it.marker });
        }
        return { data: { kind: 'spectrum', stream: e.stream, freqsHz: freqs!, scaling: 'density', items } };
      },
      flush() {
        if (!held.length) return;
        const whole = held;
        held = [];
        return wholeSignalSpectrum(whole, ctx.nodeId, 'density', (all, ch, fs) => spectrumOf(toChannelMajor(all.samples, all.frames, ch), ch, all.frames, fs));
      },
      reset() {
        held = [];
      },
    };
  },
};

// ------------------------------------------------------------------------------- band power

export const DEFAULT_BANDS: Record<string, [number, number]> = { delta: [0.5, 4], theta: [4, 8], alpha: [8, 13], beta: [13, 30], gamma: [30, 45] };

export const bandPowerNode: NodeClass = {
  type: 'spectral.band-power',
  package: 'spectral',
  title: 'Band power',
  version: '1.1.0',
  doc: `Integrates a PSD over named bands (bins with low ≤ f ≤ high; trapezoid as \`scipy.integrate.trapezoid\`,
or Simpson with SciPy 1.10's even='avg'), optionally relative to the power over \`total\`.

- **in \`data\`** (spectrum, density scaling | signal: running band power, see below); **out \`data\`**
  (features): one frame per spectrum or window, channels "<label>:<band>" (channel-major: all bands
  of the first channel first), unit = input unit² (or ratio when relative).
- **bands** (dict name → [low, high], Hz). **relative** (bool). **total** [low, high] (Hz). **rule**.
- With a **signal** in: a window of **window_length** ends every **step** (s, or samples when **unit** =
  samples; placed from the first sample as Sliding window places them, stamped with the window's last
  sample and its target), and each window's PSD is \`scipy.signal.welch\` with one segment spanning it
  (**window**: hann | hamming | boxcar, periodic; **detrend**: constant | none; density). The same
  numbers as Sliding window → Welch PSD (segment ≥ window) → Band power, but without copying windows:
  when the bands cover few bins and windows are frequent, only those bins are updated at each sample
  (sliding DFT) instead of an FFT of every window — the cheap way to follow band power at every
  chunk; otherwise an FFT per window (the cheaper of the two is picked). A non-finite sample makes its
  channel NaN while it is in the window. A live parameter change starts the windows afresh (the next
  output comes one window later).`,
  inputs: [input('data', ['spectrum', 'signal'], 'PSD, or a continuous signal (running band power).')],
  outputs: [output('data', 'features', 'Band powers per channel and band.')],
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
    let cached: { src: StreamDescriptor; out: StreamDescriptor } | undefined;
    // reused from step to step (packet contract): output arrays grow, views are exact-length
    let samplesBuf = new Float32Array(0);
    let tsBuf = new Float64Array(0);
    let targetsBuf = new Float64Array(0);
    let bpBuf = new Float64Array(0);
    let totScratch = new Float64Array(0);
    const spec: Spectrum = { freqsHz: new Float64Array(0), psd: new Float64Array(0), channelCount: 0, binCount: 0 };
    const ensure = (ch: number, frames: number): void => {
      const width = ch * names.length;
      if (samplesBuf.length < frames * width) samplesBuf = new Float32Array(frames * width);
      if (tsBuf.length < frames) {
        tsBuf = new Float64Array(frames);
        targetsBuf = new Float64Array(frames);
      }
      if (bpBuf.length !== width) bpBuf = new Float64Array(width);
      if (totScratch.length !== ch) totScratch = new Float64Array(ch);
    };
    /** Integrates `spec` into output row k. */
    const integrate = (k: number, timestampMs: number, target: number): void => {
      const width = bpBuf.length;
      const bp = relative ? relativeBandPower(spec, bands, total, rule, bpBuf, totScratch) : bandPower(spec, bands, rule, bpBuf);
      for (let i = 0; i < width; i++) samplesBuf[k * width + i] = bp[i];
      tsBuf[k] = timestampMs;
      targetsBuf[k] = target;
    };
    const packetOf = (frames: number): PortValues => {
      const width = bpBuf.length;
      const samples = samplesBuf.length === frames * width ? samplesBuf : samplesBuf.subarray(0, frames * width);
      const ts = tsBuf.length === frames ? tsBuf : tsBuf.subarray(0, frames);
      const targets = targetsBuf.length === frames ? targetsBuf : targetsBuf.subarray(0, frames);
      return { data: { kind: 'features', stream: cached!.out, samples, timestampsMs: ts, frames, targets } };
    };
    const outputFor = (src: StreamDescriptor): void => {
      if (cached?.src === src) return;
      const channels: ChannelInfo[] = [];
      for (const c of src.channels) for (const b of names) channels.push({ label: `${c.label}:${b}`, unit: relative ? 'ratio' : `${c.unit}^2`, type: 'FEATURE' });
      cached = { src, out: { ...src, id: `${src.id}.bandpower`, kind: 'features', sampleRateHz: 0, channels } };
    };

    // Signal in: one SlidingSpectrum per stream, over the bins from the lowest band edge to the highest.
    let sliding: { src: StreamDescriptor; spectrum: SlidingSpectrum } | undefined;
    let chunk: FramesPacket | undefined;
    let windows = 0;
    let loggedBad = -Infinity;
    let badLogs = 0;
    const onWindow = (f: number): void => integrate(windows++, chunk!.timestampsMs[f], chunk!.targets?.[f] ?? NaN);
    const slidingFor = (src: StreamDescriptor): NonNullable<typeof sliding> => {
      if (sliding?.src === src) return sliding;
      // a new descriptor object for the same layout (a node upstream rebuilt it) keeps the history
      if (sliding && sliding.src.channels.length === src.channels.length && sliding.src.sampleRateHz === src.sampleRateHz) return Object.assign(sliding, { src });
      const fs = rateOf(src, ctx.nodeId);
      const windowFrames = framesOf(params.window_length as number, unit, fs, ctx.nodeId, 'window_length');
      const stepFrames = framesOf(params.step as number, unit, fs, ctx.nodeId, 'step');
      if (windowFrames < 2) throw new InputError(`window_length of ${params.window_length} ${unit} is ${windowFrames} sample at ${fs} Hz; a spectrum needs at least 2`, ctx.nodeId);
      const edges = relative ? [...bands, total] : bands;
      const spectrum = new SlidingSpectrum({
        channels: src.channels.length,
        sampleRateHz: fs,
        windowFrames,
        stepFrames,
        window: params.window as SlidingWindowName,
        detrend: params.detrend === 'none' ? false : 'constant',
        loHz: Math.min(...edges.map((b) => b[0])),
        hiHz: Math.max(...edges.map((b) => b[1])),
      });
      return (sliding = { src, spectrum });
    };

    return {
      process(inputs) {
        const d = inputs.data;
        if (!d) return;
        if (d.kind === 'signal') {
          const s = slidingFor(d.stream);
          outputFor(d.stream);
          const ch = d.stream.channels.length;
          ensure(ch, Math.ceil(d.frames / s.spectrum.stepFrames) + 1);
          spec.freqsHz = s.spectrum.freqsHz;
          spec.psd = s.spectrum.psd;
          spec.channelCount = ch;
          spec.binCount = s.spectrum.binCount;
          chunk = d;
          windows = 0;
          const bad = s.spectrum.nonFiniteSamples;
          s.spectrum.push(d.samples, d.frames, onWindow);
          chunk = undefined;
          if (s.spectrum.nonFiniteSamples > bad && s.spectrum.nonFiniteSamples - loggedBad >= 1000 * 2 ** Math.min(10, badLogs)) {
            // the first occurrence, then ever more rarely (a dead electrode would flood the log)
            ctx.log(LogLevel.WARNING, `${s.spectrum.nonFiniteSamples} non-finite samples (NaN/Inf) so far; their channels read NaN until they leave the window`);
            loggedBad = s.spectrum.nonFiniteSamples;
            badLogs++;
          }
          return windows ? packetOf(windows) : undefined;
        }
        if (d.kind !== 'spectrum') return;
        outputFor(d.stream);
        const ch = d.stream.channels.length;
        const frames = d.items.length;
        ensure(ch, frames);
        spec.freqsHz = d.freqsHz;
        spec.channelCount = ch;
        spec.binCount = d.freqsHz.length;
        for (let k = 0; k < frames; k++) {
          const it = d.items[k];
          spec.psd = it.values;
          integrate(k, it.timestampMs, it.target ?? NaN);
        }
        return packetOf(frames);
      },
      check(meta) {
        const m = meta.data;
        if (m?.kind === 'signal' && m.stream) slidingFor(m.stream);
      },
      reset() {
        sliding = undefined;
        loggedBad = -Infinity;
        badLogs = 0;
      },
    };
  },
};

// ------------------------------------------------------------------------------- FFT magnitude

export const fftMagnitude: NodeClass = {
  type: 'spectral.fft',
  package: 'spectral',
  title: 'FFT magnitude',
  version: '1.0.0',
  doc: `|rFFT| of each channel of each epoch (no window, no detrend, no normalisation: \`numpy.abs(scipy.fft.rfft(x))\`).

- **in \`data\`** (epochs); **out \`data\`** (spectrum, scaling "magnitude"), bins k·fs/N.`,
  inputs: [input('data', ['epochs'], 'Epochs or windows.')],
  outputs: [output('data', 'spectrum', 'Magnitude spectra.')],
  params: [],
  create(_params, ctx) {
    return {
      process(inputs) {
        const d = inputs.data as EpochsPacket | undefined;
        if (!d?.items.length) return;
        const fs = rateOf(d.stream, ctx.nodeId);
        const ch = d.stream.channels.length;
        const n = d.items[0].frames;
        const bins = Math.floor(n / 2) + 1;
        const freqs = Float64Array.from({ length: bins }, (_, k) => (k * fs) / n);
        const items = d.items.map((e) => {
          if (e.frames !== n) throw new InputError('epochs of different lengths in one packet', ctx.nodeId);
          return { timestampMs: e.timestampMs, target: e.target, marker: e.marker, values: rfftMagnitude(epochChannelMajor(e, ch), ch, n) };
        });
        return { data: { kind: 'spectrum', stream: d.stream, freqsHz: freqs, scaling: 'magnitude', items } };
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
  version: '1.0.0',
  doc: `Short-time spectra of a continuous signal: every \`step\` seconds, the periodogram (SciPy
\`periodogram\`: window, constant detrend, one-sided) of the last \`window_length\` seconds. Windows
are placed by sample count, so chunking does not change the output.

- **in \`data\`** (signal); **out \`data\`** (spectrum): one item per window, timestamped at its last sample.
- **window_length**, **step** (s). **window**. **scaling**: density | spectrum.`,
  inputs: [input('data', ['signal'], 'Continuous signal.')],
  outputs: [output('data', 'spectrum', 'One spectrum per window.')],
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
    const cut = new WindowCutter(len, step, ctx.nodeId);
    return {
      process(inputs) {
        const d = inputs.data as FramesPacket | undefined;
        if (!d) return;
        const w = cut.windows(d);
        if (!w.items.length) return;
        const fs = d.stream.sampleRateHz;
        const ch = d.stream.channels.length;
        let freqs: Float64Array = new Float64Array(0);
        const items = w.items.map((e) => {
          const s = periodogram(epochChannelMajor(e, ch), ch, e.frames, fs, { window: params.window as WindowName, scaling: params.scaling as 'density' });
          freqs = s.freqsHz;
          return { timestampMs: e.timestampMs, values: s.psd };
        });
        return { data: { kind: 'spectrum', stream: d.stream, freqsHz: freqs, scaling: params.scaling as 'density', items } };
      },
      check(meta) {
        const s = meta.data?.stream;
        if (s) len(rateOf(s, ctx.nodeId));
      },
      reset: () => cut.reset(),
    };
  },
};

