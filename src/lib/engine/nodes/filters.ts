// Filter node classes: IIR (Butterworth / Chebyshev I / Bessel), notch with harmonics, FIR (window
// design, linear phase), moving average, DC blocking, detrend, polyphase resampling, decimation.
// Numeric kernels come from dsp/ (never re-implemented here). Engine worker / Node.
// HOT PATH: process() of the streaming filters reuses its output buffer (packet contract, common.ts).
import { InputError } from '../../core/errors';
import type { StreamDescriptor } from '../../core/stream';
import { bessel, besselord, buttord, butter, cheb1ord, cheby1, concatSos, firwin, iirnotchSos, type BandType, type Sos, type WindowName } from '../../dsp/filter-design';
import { LFilter, SosFilter, sosfiltfilt } from '../../dsp/iir';
import { decimate as dspDecimate, StreamingDecimator, StreamingResampler } from '../../dsp/resample';
import { toChannelMajor } from '../packets';
import type { EpochsPacket, FramesPacket, InputMeta, NodeClass, NodeContext, NodeInstance } from '../types';
import { input, metaStream, np, output, p, rateOf, samplesOf, Scratch32, SIGNAL_IN, SIGNAL_OUT, withSamples } from './common';

/**
 * Streaming SOS stage shared by the IIR-type nodes: designs for the arriving stream's rate,
 * carries state across chunks, redesigns when the stream changes, resets a channel whose state
 * went non-finite (NaN/Inf input, logged), and offers zero-phase filtering of a whole recording
 * offline (held back until flush).
 */
export class SosStage {
  private filter: SosFilter | undefined;
  private stream: StreamDescriptor | undefined;
  private readonly out = new Scratch32();
  private held: FramesPacket[] = [];
  private warned = 0;

  constructor(
    private readonly design: (sampleRateHz: number) => Sos,
    private readonly ctx: NodeContext,
    private readonly opts: { zeroPhaseOffline?: boolean; initialState?: 'zero' | 'step'; padlen?: number | null } = {},
  ) {}

  check(stream: StreamDescriptor): void {
    this.design(rateOf(stream, this.ctx.nodeId));
  }

  process(d: FramesPacket): FramesPacket | undefined {
    if (this.opts.zeroPhaseOffline && this.ctx.offline) {
      this.held.push(copyFrames(d));
      return undefined;
    }
    if (!this.filter || this.stream !== d.stream) this.prepare(d.stream);
    const x = samplesOf(d);
    const y = this.filter!.process(x, this.out.view(x.length));
    return withSamples(d, y);
  }

  /** Offline zero-phase: filters everything held with sosfiltfilt (SciPy defaults) and emits it. */
  flush(): FramesPacket | undefined {
    if (!this.held.length) return undefined;
    const all = joinFrames(this.held);
    this.held = [];
    const ch = all.stream.channels.length;
    const sos = this.design(rateOf(all.stream, this.ctx.nodeId));
    const cm = toChannelMajor(all.samples, all.frames, ch);
    const y = sosfiltfilt(sos, cm, ch, all.frames, this.opts.padlen == null ? {} : { padlen: this.opts.padlen }) as Float64Array;
    const out = new Float32Array(all.frames * ch);
    for (let c = 0; c < ch; c++) for (let n = 0; n < all.frames; n++) out[n * ch + c] = y[c * all.frames + n];
    return withSamples(all, out);
  }

  reset(): void {
    this.filter?.reset();
    this.held = [];
  }

  private prepare(stream: StreamDescriptor): void {
    const changed = this.stream !== undefined;
    const sos = this.design(rateOf(stream, this.ctx.nodeId));
    this.filter = new SosFilter(sos, stream.channels.length, {
      initialState: this.opts.initialState ?? 'zero',
      onNonFinite: (c) => {
        if (this.warned++ < 20) this.ctx.log(30, `non-finite input on channel ${stream.channels[c]?.label ?? c}: filter state reset`);
      },
    });
    if (changed) this.ctx.log(20, `stream changed (${stream.channels.length} ch at ${stream.sampleRateHz} Hz): filter redesigned`);
    this.stream = stream;
  }
}

export function copyFrames(d: FramesPacket): FramesPacket {
  return {
    kind: d.kind,
    stream: d.stream,
    samples: samplesOf(d).slice(),
    timestampsMs: d.timestampsMs.slice(0, d.frames),
    frames: d.frames,
    targets: d.targets?.slice(0, d.frames),
  };
}

export function joinFrames(list: FramesPacket[]): FramesPacket {
  const ch = list[0].stream.channels.length;
  const frames = list.reduce((n, d) => n + d.frames, 0);
  const samples = new Float32Array(frames * ch);
  const ts = new Float64Array(frames);
  let o = 0;
  for (const d of list) {
    samples.set(samplesOf(d), o * ch);
    ts.set(d.timestampsMs.subarray(0, d.frames), o);
    o += d.frames;
  }
  return { kind: list[0].kind, stream: list.at(-1)!.stream, samples, timestampsMs: ts, frames };
}

const MODES = ['bandpass', 'highpass', 'lowpass', 'bandstop'] as const;

/**
 * Corner frequencies from NeuroPype-style `frequencies`: one corner, two corners, or transition
 * bands ([stop, pass] / [pass, stop] / four edges) whose middles become the corners.
 */
export function cornersOf(freqs: number[], mode: BandType, who: string): number | [number, number] {
  const band = mode === 'bandpass' || mode === 'bandstop';
  const inc = freqs.every((f, i) => i === 0 || f > freqs[i - 1]);
  if (!inc) throw new InputError(`frequencies must increase, got [${freqs.join(', ')}] Hz`, who);
  if (band) {
    if (freqs.length === 2) return [freqs[0], freqs[1]];
    if (freqs.length === 4) return [(freqs[0] + freqs[1]) / 2, (freqs[2] + freqs[3]) / 2];
    throw new InputError(`${mode} needs 2 corner frequencies or 4 transition edges (Hz), got ${freqs.length}`, who);
  }
  if (freqs.length === 1) return freqs[0];
  if (freqs.length === 2) return (freqs[0] + freqs[1]) / 2;
  throw new InputError(`${mode} needs 1 corner frequency or 2 transition edges (Hz), got ${freqs.length}`, who);
}

// ------------------------------------------------------------------------------- IIR

export const iirFilter: NodeClass = {
  type: 'filter.iir',
  package: 'filters',
  title: 'IIR filter',
  version: '1.0.0',
  neuropype: np('IIRFilter', 'signal_processing'),
  doc: `Causal IIR filter (second-order sections, state carried across chunks, so the output does not
depend on chunking). Designs equal SciPy's \`butter\` / \`cheby1\` / \`bessel(norm='phase')\`.

- **in/out \`data\`** (signal).
- **frequencies** (list, Hz): one corner (low/high-pass), two corners (band-pass/stop), or NeuroPype's
  transition edges (2 for low/high-pass, 4 for band-pass/stop) whose middles become the corners.
- **mode**: bandpass | highpass | lowpass | bandstop. **design**: butter | cheby1 | bessel.
- **order** (int; null = derive): prototype order (band filters have twice as many poles, as in SciPy).
  null with transition edges (NeuroPype: "leave empty to derive from the transition band"): the
  lowest order that loses at most \`pass_loss\` dB at the pass edges and attenuates at least
  \`stop_atten\` dB at the stop edges, with SciPy's natural frequencies — butter: \`scipy.signal.buttord\`,
  cheby1: \`cheb1ord\`, bessel: the lowest order meeting it (SciPy has no besselord; see dsp besselord).
  Edge order: low-pass [pass, stop], high-pass [stop, pass], band-pass [stop, pass, pass, stop],
  band-stop [pass, stop, stop, pass]. null with plain corners (nothing to derive from): order 4.
- **pass_loss** (dB, default 3 as NeuroPype): maximum pass-band loss when deriving the order, and the
  Chebyshev I ripple. **stop_atten** (dB): minimum stop-band attenuation when deriving the order.
- **offline_filtfilt** (bool): offline only, zero-phase forward-backward filtering of the whole
  recording (SciPy \`sosfiltfilt\`, odd padding), emitted at the end of the input.
- **initial_state**: zero (SciPy default) | step (start in the steady state of the first sample, no DC ringing).
- NaN/Inf input: the affected channel's state is reset at the end of the chunk and a WARNING is logged.`,
  inputs: [SIGNAL_IN],
  outputs: [SIGNAL_OUT],
  params: [
    p.list('frequencies', [0.5, 1, 40, 45], 'Corner frequencies or transition edges.', { unit: 'Hz', items: 'number', lengths: [1, 2, 4], domain: [0, Infinity] }),
    p.enum('mode', 'bandpass', MODES, 'Pass-band shape.'),
    p.int('order', null, 'Filter order of the prototype (null = derive from the transition band; 4 when only corners are given).', { domain: [1, 25] }),
    p.enum('design', 'butter', ['butter', 'cheby1', 'bessel'], 'Filter family.'),
    p.float('pass_loss', 3, 'Maximum pass-band loss (order derivation) and Chebyshev I ripple.', { unit: 'dB', domain: [0.001, 20] }),
    p.float('stop_atten', 50, 'Minimum stop-band attenuation when the order is derived (not used when the order is given).', { unit: 'dB', domain: [0, 300] }),
    p.bool('offline_filtfilt', false, 'Zero-phase (forward-backward) filtering when run offline.'),
    p.int('filtfilt_padlen', null, 'Offline zero-phase: odd-extension length per side (null = SciPy default 3·(2·sections+1)); MNE uses its ringing estimate.', { unit: 'samples', domain: [0, 1e9] }),
    p.enum('initial_state', 'zero', ['zero', 'step'], 'Initial filter state.'),
    p.enum('axis', 'time', ['time'], 'Axis to filter (only time).'),
    p.bool('ignore_nans', false, 'Accepted for NeuroPype compatibility; non-finite samples always reset the channel.'),
  ],
  create(params, ctx) {
    const mode = params.mode as BandType;
    const freqs = params.frequencies as number[];
    const corners = cornersOf(freqs, mode, ctx.nodeId);
    const family = params.design as 'butter' | 'cheby1' | 'bessel';
    const passLoss = params.pass_loss as number;
    const stopAtten = params.stop_atten as number;
    const transition = freqs.length === (mode === 'bandpass' || mode === 'bandstop' ? 4 : 2);
    const given = params.order as number | null;
    let warned = false;
    const design = (fs: number): Sos => {
      let order = given ?? DEFAULT_IIR_ORDER;
      let wn: number | [number, number] = corners;
      if (given === null && transition) {
        const derived = deriveOrder(freqs, mode, family, passLoss, stopAtten, fs, ctx.nodeId);
        if (derived) {
          ({ order, naturalHz: wn } = derived);
          ctx.log(20, `order ${order} derived from the transition bands (natural frequencies ${[wn].flat().map((f) => f.toFixed(3)).join(', ')} Hz at ${fs} Hz)`);
        } else if (!warned) {
          warned = true;
          ctx.log(30, `stop_atten ${stopAtten} dB cannot be met by any finite order; using order ${DEFAULT_IIR_ORDER} at the transition-band middles`);
        }
      }
      if (family === 'cheby1') return cheby1(order, passLoss, wn, mode, fs);
      if (family === 'bessel') return bessel(order, wn, mode, fs, 'phase');
      return butter(order, wn, mode, fs);
    };
    return sosNode(design, ctx, {
      zeroPhaseOffline: params.offline_filtfilt as boolean,
      initialState: params.initial_state as 'zero' | 'step',
      padlen: params.filtfilt_padlen as number | null,
    });
  },
};

const DEFAULT_IIR_ORDER = 4;
/** Largest derived order: what the designs support (a typical NeuroPype band [1, 2, 30, 35] Hz needs ~30). */
const MAX_DERIVED_ORDER = { butter: 64, cheby1: 64, bessel: 25 } as const;

/**
 * NeuroPype IIRFilter with `order: null` and transition edges: the order and natural frequencies
 * from the specification (pass edges lose at most pass_loss dB, stop edges are attenuated at least
 * stop_atten dB): butter → scipy buttord, cheby1 → scipy cheb1ord (ripple = pass_loss), bessel →
 * dsp besselord (lowest order that meets it; SciPy has none). Edge order as NeuroPype writes them:
 * low-pass [pass, stop], high-pass [stop, pass], band-pass [stop, pass, pass, stop], band-stop
 * [pass, stop, stop, pass]. undefined when stop_atten is not finite (no order can meet it).
 */
export function deriveOrder(
  freqs: number[],
  mode: BandType,
  family: 'butter' | 'cheby1' | 'bessel',
  passLossDb: number,
  stopAttenDb: number,
  fs: number,
  who: string,
): { order: number; naturalHz: number | [number, number] } | undefined {
  if (!Number.isFinite(stopAttenDb)) return undefined;
  let pass: number | number[];
  let stop: number | number[];
  if (mode === 'lowpass') [pass, stop] = [freqs[0], freqs[1]];
  else if (mode === 'highpass') [stop, pass] = [freqs[0], freqs[1]];
  else if (mode === 'bandpass') [pass, stop] = [[freqs[1], freqs[2]], [freqs[0], freqs[3]]];
  else [pass, stop] = [[freqs[0], freqs[3]], [freqs[1], freqs[2]]];
  let est;
  try {
    est = family === 'cheby1' ? cheb1ord(pass, stop, passLossDb, stopAttenDb, fs) : family === 'bessel' ? besselord(pass, stop, passLossDb, stopAttenDb, fs, MAX_DERIVED_ORDER.bessel) : buttord(pass, stop, passLossDb, stopAttenDb, fs);
  } catch (e) {
    throw new InputError(`cannot derive the order from frequencies [${freqs.join(', ')}] Hz at ${fs} Hz: ${e instanceof Error ? e.message : String(e)}`, who);
  }
  if (est.btype !== mode) throw new InputError(`frequencies [${freqs.join(', ')}] Hz describe a ${est.btype} transition, not ${mode}`, who);
  if ('met' in est && !est.met) throw new InputError(`no Bessel filter up to order ${MAX_DERIVED_ORDER.bessel} loses ≤ ${passLossDb} dB at the pass edges and ≥ ${stopAttenDb} dB at the stop edges; widen the transition bands or set order`, who);
  const max = MAX_DERIVED_ORDER[family];
  if (est.order > max || est.order < 1)
    throw new InputError(`the transition bands of [${freqs.join(', ')}] Hz need order ${est.order} (${passLossDb} dB pass loss, ${stopAttenDb} dB stop attenuation); at most ${max}: widen them, lower stop_atten or set order`, who);
  return { order: est.order, naturalHz: est.naturalHz };
}

function sosNode(design: (fs: number) => Sos, ctx: NodeContext, opts: ConstructorParameters<typeof SosStage>[2]): NodeInstance {
  const stage = new SosStage(design, ctx, opts);
  return {
    process(inputs) {
      const d = inputs.data as FramesPacket | undefined;
      if (!d) return;
      const out = stage.process(d);
      return out ? { data: out } : undefined;
    },
    flush() {
      const out = stage.flush();
      return out ? { data: out } : undefined;
    },
    check(meta: InputMeta) {
      const s = metaStream(meta);
      if (s) stage.check(s);
    },
    reset: () => stage.reset(),
  };
}

// ------------------------------------------------------------------------------- notch

export const notchFilter: NodeClass = {
  type: 'filter.notch',
  package: 'filters',
  title: 'Notch filter',
  version: '1.0.0',
  doc: `Removes mains interference: a second-order IIR notch (SciPy \`iirnotch\`) at the line frequency
and, optionally, its harmonics below Nyquist, cascaded. Causal with carried state.

- **in/out \`data\`** (signal).
- **frequency** (Hz): line frequency, 50 or 60. **quality** (Q = f / −3 dB width). **harmonics** (int):
  how many multiples to remove in total (1 = only the fundamental); harmonics at or above Nyquist are skipped.
- **offline_filtfilt** (bool): zero-phase offline, as in filter.iir.`,
  inputs: [SIGNAL_IN],
  outputs: [SIGNAL_OUT],
  params: [
    p.float('frequency', 50, 'Line frequency.', { unit: 'Hz', domain: [0.001, 100000] }),
    p.float('quality', 30, 'Quality factor (centre frequency / bandwidth).', { domain: [0.1, 1000] }),
    p.int('harmonics', 1, 'Number of multiples of the frequency to remove (1 = fundamental only).', { domain: [1, 20] }),
    p.bool('offline_filtfilt', false, 'Zero-phase (forward-backward) filtering when run offline.'),
  ],
  create(params, ctx) {
    const f0 = params.frequency as number;
    const q = params.quality as number;
    const h = params.harmonics as number;
    const design = (fs: number): Sos => {
      const parts: Sos[] = [];
      for (let k = 1; k <= h; k++) if (k * f0 < fs / 2) parts.push(iirnotchSos(k * f0, q, fs));
      if (!parts.length) throw new InputError(`notch at ${f0} Hz is at or above Nyquist (${fs / 2} Hz)`, ctx.nodeId);
      return concatSos(...parts);
    };
    return sosNode(design, ctx, { zeroPhaseOffline: params.offline_filtfilt as boolean });
  },
};

// ------------------------------------------------------------------------------- DC block

export const dcBlock: NodeClass = {
  type: 'filter.dc-block',
  package: 'filters',
  title: 'DC removal',
  version: '1.0.0',
  doc: `Removes the DC offset and slow drift of a continuous stream with a first-order high-pass
(y[n] = x[n] − x[n−1] + a·y[n−1], a = exp(−2π·cutoff/fs)), starting in the steady state of the first
sample so there is no initial step. For a per-window linear or constant detrend use filter.detrend.

- **in/out \`data\`** (signal). **cutoff** (Hz): −3 dB corner of the high-pass.`,
  inputs: [SIGNAL_IN],
  outputs: [SIGNAL_OUT],
  params: [p.float('cutoff', 0.1, 'High-pass corner.', { unit: 'Hz', domain: [1e-6, 100000] })],
  create(params, ctx) {
    const fc = params.cutoff as number;
    const design = (fs: number): Sos => {
      if (!(fc < fs / 2)) throw new InputError(`cutoff ${fc} Hz must be below Nyquist (${fs / 2} Hz)`, ctx.nodeId);
      const a = Math.exp((-2 * Math.PI * fc) / fs);
      return Float64Array.of(1, -1, 0, 1, -a, 0);
    };
    return sosNode(design, ctx, { initialState: 'step' });
  },
};

// ------------------------------------------------------------------------------- FIR

const WINDOWS = ['hamming', 'hann', 'blackman', 'boxcar', 'bartlett'] as const;

export const firFilter: NodeClass = {
  type: 'filter.fir',
  package: 'filters',
  title: 'FIR filter',
  version: '1.0.0',
  neuropype: np('FIRFilter', 'signal_processing'),
  doc: `Linear-phase FIR filter designed with the window method (SciPy \`firwin\`) and applied causally
with carried state (SciPy \`lfilter\` with zi): output is delayed by order/2 samples.

- **in/out \`data\`** (signal).
- **frequencies** (list, Hz), **mode**: as filter.iir (transition edges' middles become the cutoffs).
- **order** (int, taps − 1; null = about 3.3 / (narrowest transition / fs), Hamming rule, at least 32).
- **window**: hamming | hann | blackman | boxcar | bartlett.`,
  inputs: [SIGNAL_IN],
  outputs: [SIGNAL_OUT],
  params: [
    p.list('frequencies', [0.5, 1, 40, 45], 'Cutoff frequencies or transition edges.', { unit: 'Hz', items: 'number', lengths: [1, 2, 4], domain: [0, Infinity] }),
    p.enum('mode', 'bandpass', MODES, 'Pass-band shape.'),
    p.int('order', null, 'Filter order = taps − 1 (bandpass/highpass need an even order).', { domain: [2, 20000] }),
    p.enum('window', 'hamming', WINDOWS, 'Design window.'),
    p.float('stop_atten', 50, 'Accepted for NeuroPype compatibility.', { unit: 'dB', domain: [0, 300] }),
    p.bool('minimum_phase', false, 'Accepted for NeuroPype compatibility; this node is always linear phase.'),
    p.enum('axis', 'time', ['time'], 'Axis to filter (only time).'),
  ],
  create(params, ctx) {
    const mode = params.mode as BandType;
    const freqs = params.frequencies as number[];
    const corners = cornersOf(freqs, mode, ctx.nodeId);
    const design = (fs: number): Float64Array => {
      let order = params.order as number | null;
      if (order === null) {
        let tw = Infinity;
        if (freqs.length === 4) tw = Math.min(freqs[1] - freqs[0], freqs[3] - freqs[2]);
        else if (freqs.length === 2 && (mode === 'lowpass' || mode === 'highpass')) tw = freqs[1] - freqs[0];
        else tw = Math.max(0.5, Math.min(...(typeof corners === 'number' ? [corners] : corners)) / 2);
        order = Math.max(32, 2 * Math.ceil((3.3 * fs) / tw / 2));
      }
      const passZero = mode === 'lowpass' || mode === 'bandstop';
      if (!passZero && order % 2 === 1) order += 1;
      return firwin(order + 1, corners, { passZero, window: params.window as WindowName, sampleRateHz: fs });
    };
    return lfilterNode((fs) => ({ b: design(fs), a: [1] }), ctx);
  },
};

function lfilterNode(design: (fs: number) => { b: ArrayLike<number>; a: ArrayLike<number> }, ctx: NodeContext): NodeInstance {
  let filter: LFilter | undefined;
  let stream: StreamDescriptor | undefined;
  let warned = 0;
  const out = new Scratch32();
  return {
    process(inputs) {
      const d = inputs.data as FramesPacket | undefined;
      if (!d) return;
      if (!filter || stream !== d.stream) {
        const { b, a } = design(rateOf(d.stream, ctx.nodeId));
        filter = new LFilter(b, a, d.stream.channels.length);
        stream = d.stream;
      }
      const x = samplesOf(d);
      const y = filter.process(x, out.view(x.length));
      // LFilter resets a channel whose state went non-finite at the end of the chunk; say so.
      const ch = d.stream.channels.length;
      for (let c = 0, o = (d.frames - 1) * ch; c < ch; c++) {
        if (!Number.isFinite(y[o + c]) && warned++ < 20) ctx.log(30, `non-finite input on channel ${d.stream.channels[c].label}: filter state reset`);
      }
      return { data: withSamples(d, y) };
    },
    check(meta) {
      const s = metaStream(meta);
      if (s) design(rateOf(s, ctx.nodeId));
    },
    reset: () => filter?.reset(),
  };
}

// ------------------------------------------------------------------------------- moving average

export const movingAverage: NodeClass = {
  type: 'filter.moving-average',
  package: 'filters',
  title: 'Moving average',
  version: '1.0.0',
  neuropype: np('MovingAverage', 'signal_processing'),
  doc: `Causal boxcar average over the last N samples of each channel (an FIR with N equal taps 1/N,
state carried across chunks).

- **in/out \`data\`** (signal). **window_length** (s, or samples when **unit** = samples).`,
  inputs: [SIGNAL_IN],
  outputs: [SIGNAL_OUT],
  params: [
    p.float('window_length', 0.1, 'Averaging window.', { unit: 's or samples', domain: [0, Infinity] }),
    p.enum('unit', 'seconds', ['seconds', 'samples'], 'Unit of window_length.'),
  ],
  create(params, ctx) {
    const len = params.window_length as number;
    const n = (fs: number): number => {
      const k = params.unit === 'samples' ? Math.round(len) : Math.round(len * fs);
      if (k < 1) throw new InputError(`window of ${len} ${params.unit} is shorter than one sample`, ctx.nodeId);
      return k;
    };
    return lfilterNode((fs) => ({ b: new Float64Array(n(fs)).fill(1 / n(fs)), a: [1] }), ctx);
  },
};

// ------------------------------------------------------------------------------- detrend (epochs)

export const detrend: NodeClass = {
  type: 'filter.detrend',
  package: 'filters',
  title: 'Detrend',
  version: '1.0.0',
  doc: `Removes the mean ('constant') or the least-squares line ('linear') from each channel of each
epoch or window, as SciPy \`signal.detrend\`.

- **in/out \`data\`** (epochs). **type**: constant | linear.`,
  inputs: [input('data', ['epochs'], 'Epochs or sliding windows.')],
  outputs: [output('data', 'epochs', 'Detrended epochs.')],
  params: [p.enum('type', 'linear', ['constant', 'linear'], 'What to remove.')],
  create(params) {
    const linear = params.type === 'linear';
    return {
      process(inputs) {
        const d = inputs.data as EpochsPacket | undefined;
        if (!d) return;
        const ch = d.stream.channels.length;
        const items = d.items.map((e) => {
          const out = new Float32Array(e.frames * ch);
          const n = e.frames;
          const tm = (n - 1) / 2;
          let stt = 0;
          for (let i = 0; i < n; i++) stt += (i - tm) ** 2;
          for (let c = 0; c < ch; c++) {
            let mean = 0;
            for (let i = 0; i < n; i++) mean += e.samples[i * ch + c];
            mean /= n;
            let slope = 0;
            if (linear && stt > 0) {
              let sxy = 0;
              for (let i = 0; i < n; i++) sxy += (i - tm) * (e.samples[i * ch + c] - mean);
              slope = sxy / stt;
            }
            for (let i = 0; i < n; i++) out[i * ch + c] = e.samples[i * ch + c] - mean - slope * (i - tm);
          }
          return { ...e, samples: out };
        });
        return { data: { kind: 'epochs', stream: d.stream, items } };
      },
      reset() {},
    };
  },
};

// ------------------------------------------------------------------------------- resampling

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** up/down integers with targetHz / sourceHz = up / down (exact for integer rates, else best with down ≤ 1000). */
export function resampleRatio(sourceHz: number, targetHz: number, who: string): [number, number] {
  if (Number.isInteger(sourceHz) && Number.isInteger(targetHz)) {
    const g = gcd(sourceHz, targetHz);
    return [targetHz / g, sourceHz / g];
  }
  let best: [number, number] = [1, 1];
  let err = Infinity;
  for (let down = 1; down <= 1000; down++) {
    const up = Math.round((targetHz / sourceHz) * down);
    if (up < 1) continue;
    const e = Math.abs(up / down - targetHz / sourceHz);
    if (e < err - 1e-15) [best, err] = [[up, down], e];
  }
  if (err > 1e-6 * (targetHz / sourceHz)) throw new InputError(`cannot resample ${sourceHz} Hz to ${targetHz} Hz with a small integer ratio`, who);
  return best;
}

export const resample: NodeClass = {
  type: 'filter.resample',
  package: 'filters',
  title: 'Resample (polyphase)',
  version: '1.0.0',
  neuropype: np('Resample', 'signal_processing'),
  doc: `Changes the sample rate by a rational factor up/down with SciPy \`resample_poly\`'s anti-alias FIR
(Kaiser β = 5, 20·max(up, down)+1 taps), streaming with the filter delay compensated, so output
frame j is the sample at time t0 + j / rate. At the end of an offline run the tail is completed
with zero padding exactly as \`resample_poly\` does.

- **in/out \`data\`** (signal; output at **rate**). **rate** (Hz).`,
  inputs: [SIGNAL_IN],
  outputs: [output('data', 'signal', 'Resampled signal.')],
  params: [p.float('rate', 128, 'Target sample rate.', { unit: 'Hz', domain: [1e-3, 1e6] })],
  create(params, ctx) {
    const target = params.rate as number;
    let st: { rs: StreamingResampler; stream: StreamDescriptor; out: StreamDescriptor; t0: number; emitted: number; frames: number } | undefined;
    const emit = (y: Float64Array, ch: number): FramesPacket | undefined => {
      const n = y.length / ch;
      if (!n || !st) return undefined;
      const ts = new Float64Array(n);
      for (let i = 0; i < n; i++) ts[i] = st.t0 + ((st.emitted + i) * 1000) / target;
      st.emitted += n;
      return { kind: 'signal', stream: st.out, samples: Float32Array.from(y), timestampsMs: ts, frames: n };
    };
    return {
      process(inputs) {
        const d = inputs.data as FramesPacket | undefined;
        if (!d) return;
        if (!st || st.stream !== d.stream) {
          const [up, down] = resampleRatio(rateOf(d.stream, ctx.nodeId), target, ctx.nodeId);
          st = { rs: new StreamingResampler(d.stream.channels.length, up, down), stream: d.stream, out: { ...d.stream, sampleRateHz: target }, t0: d.timestampsMs[0], emitted: 0, frames: 0 };
        }
        st.frames += d.frames;
        const out = emit(st.rs.process(samplesOf(d)), d.stream.channels.length);
        return out ? { data: out } : undefined;
      },
      flush() {
        if (!st || !ctx.offline) return;
        const ch = st.stream.channels.length;
        const total = Math.ceil((st.frames * st.rs.up) / st.rs.down);
        const missing = total - st.emitted;
        if (missing <= 0) return;
        const padFrames = Math.ceil(((missing + st.rs.delayOutputSamples + 2) * st.rs.down) / st.rs.up) + 1;
        const y = st.rs.process(new Float64Array(padFrames * ch));
        const out = emit(y.subarray(0, Math.min(missing, y.length / ch) * ch), ch);
        return out ? { data: out } : undefined;
      },
      check(meta) {
        const s = metaStream(meta);
        if (s) resampleRatio(rateOf(s, ctx.nodeId), target, ctx.nodeId);
      },
      reset() {
        st = undefined;
      },
    };
  },
};

export const decimateNode: NodeClass = {
  type: 'filter.decimate',
  package: 'filters',
  title: 'Decimate',
  version: '1.0.0',
  neuropype: np('Decimate', 'signal_processing'),
  doc: `Keeps every q-th sample after an anti-alias Chebyshev I low-pass (SciPy \`decimate\`:
cheby1(8, 0.05 dB, 0.8·fs/2q)), counted from the first sample ever received (chunk-invariant).
Causal online; with **zero_phase** an offline run filters forward-backward over the whole recording
as \`scipy.signal.decimate(zero_phase=True)\`.

- **in/out \`data\`** (signal; output at fs/q). **factor** (q). **zero_phase** (bool, offline only).`,
  inputs: [SIGNAL_IN],
  outputs: [output('data', 'signal', 'Decimated signal.')],
  params: [p.int('factor', 2, 'Decimation factor q.', { domain: [1, 1000] }), p.bool('zero_phase', false, 'Forward-backward anti-alias filter (offline).')],
  create(params, ctx) {
    const q = params.factor as number;
    let st: { dec: StreamingDecimator; stream: StreamDescriptor; out: StreamDescriptor; phase: number } | undefined;
    let held: FramesPacket[] = [];
    const outStream = (s: StreamDescriptor) => ({ ...s, sampleRateHz: rateOf(s, ctx.nodeId) / q });
    return {
      process(inputs) {
        const d = inputs.data as FramesPacket | undefined;
        if (!d) return;
        if (params.zero_phase && ctx.offline) {
          held.push(copyFrames(d));
          return;
        }
        if (!st || st.stream !== d.stream) st = { dec: new StreamingDecimator(d.stream.channels.length, q), stream: d.stream, out: outStream(d.stream), phase: 0 };
        const first = (q - st.phase) % q;
        const y = st.dec.process(samplesOf(d));
        st.phase = (st.phase + d.frames) % q;
        const n = y.length / d.stream.channels.length;
        if (!n) return;
        const ts = new Float64Array(n);
        for (let k = 0; k < n; k++) ts[k] = d.timestampsMs[first + k * q];
        return { data: { kind: 'signal', stream: st.out, samples: Float32Array.from(y), timestampsMs: ts, frames: n } };
      },
      flush() {
        if (!held.length) return;
        const all = joinFrames(held);
        held = [];
        const ch = all.stream.channels.length;
        const y = dspDecimate(toChannelMajor(all.samples, all.frames, ch), ch, all.frames, q, { zeroPhase: true });
        const n = y.length / ch;
        const out = new Float32Array(n * ch);
        const ts = new Float64Array(n);
        for (let k = 0; k < n; k++) {
          ts[k] = all.timestampsMs[k * q];
          for (let c = 0; c < ch; c++) out[k * ch + c] = y[c * n + k];
        }
        return { data: { kind: 'signal', stream: outStream(all.stream), samples: out, timestampsMs: ts, frames: n } };
      },
      reset() {
        st = undefined;
        held = [];
      },
    };
  },
};
