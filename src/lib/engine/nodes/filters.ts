// Filter node classes: IIR (Butterworth / Chebyshev I / Bessel), notch with harmonics, FIR (window
// design, linear phase), moving average, DC blocking, detrend, polyphase resampling, decimation.
// They filter along the time axis of every data chunk (continuous: state carried across chunks per
// chunk name; segmented: each instance from a fresh state, as NeuroPype). Numeric kernels come from
// dsp/ (never re-implemented here). Engine worker / Node.
// HOT PATH: a continuous time × space chunk goes through the kernel into a reused buffer (common.ts AlongTime).
import { InputError } from '../../core/errors';
import { bessel, besselord, buttord, butter, cheb1ord, cheby1, concatSos, firwin, iirnotchSos, type BandType, type Sos, type WindowName } from '../../dsp/filter-design';
import { LFilter, SosFilter, sosfiltfilt } from '../../dsp/iir';
import { decimate as dspDecimate, StreamingDecimator, StreamingResampler } from '../../dsp/resample';
import { timeAxis, type TimeAxis } from '../axes';
import { applyAlong, axisIndex, concatAlong, moveAxis, type Block } from '../block';
import { mapChunks, StreamStates, withBlock, withProps, type Chunk, type ChunkProps } from '../packet';
import { sameAs } from '../shapes';
import type { InputMeta, NodeClass, NodeContext, NodeInstance } from '../types';
import { onlyDefault } from './np-common';
import { alloc, AlongTime, CONTINUOUS, Held, input, laneLabel, lanesAlongTime, metaChunks, np, output, p, rateOf, SEGMENTED, TIME_SERIES, wholeAlongTime } from './common';

/** The data input of a filter: anything with a time axis (continuous or segmented); other chunks pass. */
const FILTER_IN = input('data', [TIME_SERIES], 'Time series: continuous, or segmented (each instance filtered on its own).', {
  hint: 'filters run along a time axis: feed a signal or segments, not a spectrum, features or markers',
});
const FILTER_OUT = output('data', sameAs('data'), 'Filtered chunks, same axes; other chunks pass through.');

/**
 * Streaming SOS filtering shared by the IIR-type nodes: designed for each stream's rate, state
 * carried across chunks, redesigned when the stream changes, a lane whose state went non-finite
 * (NaN/Inf input) reset and logged. Zero-phase (`zeroPhase`): a non-streaming chunk is filtered
 * forward-backward at once (SciPy sosfiltfilt); streaming chunks of an offline run are held and
 * filtered at the end of the input.
 */
function sosNode(design: (sampleRateHz: number) => Sos, ctx: NodeContext, opts: { zeroPhase?: boolean; initialState?: 'zero' | 'step'; padlen?: number | null } = {}): NodeInstance {
  let warned = 0;
  const along = new AlongTime((lanes, fs, c, _name, changed) => {
    const f = new SosFilter(design(fs), lanes, {
      initialState: opts.initialState ?? 'zero',
      onNonFinite: (lane) => {
        if (warned++ < 20) ctx.log(30, `non-finite input on ${laneLabel(c.block, lane)}: filter state reset`);
      },
    });
    if (changed) ctx.log(20, `stream changed (${lanes} lanes at ${fs} Hz): filter redesigned`);
    return f;
  }, ctx.nodeId);
  const held = new Held();
  const zeroPhase = (c: Chunk): Chunk => {
    const sos = design(rateOf(c, ctx.nodeId));
    return wholeAlongTime(c, (cm, lanes, n) => sosfiltfilt(sos, cm, lanes, n, opts.padlen == null ? {} : { padlen: opts.padlen }) as Float64Array);
  };
  return {
    process(inputs) {
      const out = mapChunks(inputs.data, [TIME_SERIES], (c, name) => {
        if (opts.zeroPhase && !c.props.is_streaming) return zeroPhase(c);
        if (opts.zeroPhase && ctx.offline) {
          held.hold(name, c);
          return undefined;
        }
        return along.apply(c, name);
      });
      return out ? { data: out } : undefined;
    },
    flush() {
      if (!held.size) return;
      return { data: new Map(held.take().map(([name, c]) => [name, zeroPhase(c)])) };
    },
    check(meta: InputMeta) {
      for (const { chunk } of metaChunks(meta, TIME_SERIES)) design(rateOf(chunk, ctx.nodeId));
    },
    reset() {
      along.reset();
      held.clear();
    },
  };
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

- **in/out \`data\`**: chunks with a time axis, continuous (state carried across chunks) or
  segmented (each instance filtered from a fresh state, as NeuroPype filters segments).
- **frequencies** (list, Hz): one corner (low/high-pass), two corners (band-pass/stop), or NeuroPype's
  transition edges (2 for low/high-pass, 4 for band-pass/stop) whose middles become the corners.
- **mode**: bandpass | highpass | lowpass | bandstop. **design**: butter | cheby1 | bessel.
- **order** (int; null or 0 = derive, as NeuroPype): prototype order (band filters have twice as many poles, as in SciPy).
  null with transition edges (NeuroPype: "leave empty to derive from the transition band"): the
  lowest order that loses at most \`pass_loss\` dB at the pass edges and attenuates at least
  \`stop_atten\` dB at the stop edges, with SciPy's natural frequencies — butter: \`scipy.signal.buttord\`,
  cheby1: \`cheb1ord\`, bessel: the lowest order meeting it (SciPy has no besselord; see dsp besselord).
  Edge order: low-pass [pass, stop], high-pass [stop, pass], band-pass [stop, pass, pass, stop],
  band-stop [pass, stop, stop, pass]. null with plain corners (nothing to derive from): order 4.
- **pass_loss** (dB, default 3 as NeuroPype): maximum pass-band loss when deriving the order, and the
  Chebyshev I ripple. **stop_atten** (dB): minimum stop-band attenuation when deriving the order.
- **offline_filtfilt** (bool): zero-phase forward-backward filtering (SciPy \`sosfiltfilt\`, odd
  padding) of whole data: a non-streaming chunk (an imported recording, calibration data) at once;
  the streaming chunks of an offline run held and emitted at the end of the input. Online: causal.
- **initial_state**: zero (SciPy default) | step (start in the steady state of the first sample, no DC ringing).
- NaN/Inf input: the affected channel's state is reset at the end of the chunk and a WARNING is logged.`,
  inputs: [FILTER_IN],
  outputs: [FILTER_OUT],
  params: [
    p.list('frequencies', [0.5, 1, 40, 45], 'Corner frequencies or transition edges.', { unit: 'Hz', items: 'number', lengths: [1, 2, 4], domain: [0, Infinity] }),
    p.enum('mode', 'bandpass', MODES, 'Pass-band shape.'),
    p.int('order', null, 'Filter order of the prototype (null or 0 = derive from the transition band; 4 when only corners are given).', { domain: [0, 25] }),
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
    const given = (params.order as number | null) || null; // NeuroPype's 0 = derive
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
      zeroPhase: params.offline_filtfilt as boolean,
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

// ------------------------------------------------------------------------------- notch

export const notchFilter: NodeClass = {
  type: 'filter.notch',
  package: 'filters',
  title: 'Notch filter',
  version: '1.0.0',
  doc: `Removes mains interference: a second-order IIR notch (SciPy \`iirnotch\`) at the line frequency
and, optionally, its harmonics below Nyquist, cascaded. Causal with carried state.

- **in/out \`data\`**: chunks with a time axis (as filter.iir).
- **frequency** (Hz): line frequency, 50 or 60. **quality** (Q = f / −3 dB width). **harmonics** (int):
  how many multiples to remove in total (1 = only the fundamental); harmonics at or above Nyquist are skipped.
- **offline_filtfilt** (bool): zero-phase on whole data, as in filter.iir.`,
  inputs: [FILTER_IN],
  outputs: [FILTER_OUT],
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
    return sosNode(design, ctx, { zeroPhase: params.offline_filtfilt as boolean });
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

- **in/out \`data\`**: chunks with a time axis (as filter.iir). **cutoff** (Hz): −3 dB corner of the high-pass.`,
  inputs: [FILTER_IN],
  outputs: [FILTER_OUT],
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
with carried state (SciPy \`lfilter\` with zi): output is delayed by order/2 samples, a delay the
output chunks record (ShiftTimestamps' \`compensate_filter_lag\` subtracts it).

- **in/out \`data\`**: chunks with a time axis (as filter.iir).
- **frequencies** (list, Hz), **mode**: as filter.iir (transition edges' middles become the cutoffs).
- **order** (int, taps − 1; null = about 3.3 / (narrowest transition / fs), Hamming rule, at least 32).
- **window**: hamming | hann | blackman | boxcar | bartlett.`,
  inputs: [FILTER_IN],
  outputs: [FILTER_OUT],
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
    return lfilterNode((fs) => ({ b: design(fs), a: [1] }), ctx, true);
  },
};

/**
 * Chunk metadata key: the delay (s) that upstream linear-phase filters added to the signal, summed
 * along the chain — what ShiftTimestamps' compensate_filter_lag subtracts. IIR filters add none here
 * (their group delay varies with frequency).
 */
export const FILTER_LAG_META = 'filter_lag_s';

/** An lfilter over time; `linearPhase`: the taps are symmetric, so the output lags by (taps − 1) / 2 samples, recorded in FILTER_LAG_META. */
function lfilterNode(design: (fs: number) => { b: ArrayLike<number>; a: ArrayLike<number> }, ctx: NodeContext, linearPhase = false): NodeInstance {
  let warned = 0;
  const lagS = new Map<number, number>(); // fs → delay of the design at that rate
  const along = new AlongTime((lanes, fs) => {
    const { b, a } = design(fs);
    lagS.set(fs, (b.length - 1) / 2 / fs);
    return new LFilter(b, a, lanes);
  }, ctx.nodeId);
  // the props of the last input and their lagged copy, so a stream's chunks share one props object
  let propsIn: ChunkProps | undefined;
  let propsOut: ChunkProps | undefined;
  const lagged = (props: ChunkProps, fs: number): ChunkProps => {
    if (props !== propsIn) {
      propsIn = props;
      propsOut = withProps(props, {}, { [FILTER_LAG_META]: Number(props.meta[FILTER_LAG_META] ?? 0) + (lagS.get(fs) ?? 0) });
    }
    return propsOut!;
  };
  return {
    process(inputs) {
      const out = mapChunks(inputs.data, [TIME_SERIES], (c, name) => {
        const before = along.prepare(c, name).nonFiniteResets;
        const y = along.apply(c, name);
        // LFilter resets a lane whose state went non-finite at the end of the chunk; say so.
        if (along.prepare(c, name).nonFiniteResets > before && warned++ < 20) ctx.log(30, `non-finite input on ${c.props.source.name}: filter state reset`);
        return linearPhase ? { block: y.block, props: lagged(c.props, rateOf(c, ctx.nodeId)) } : y;
      });
      return out ? { data: out } : undefined;
    },
    check(meta) {
      for (const { chunk } of metaChunks(meta, TIME_SERIES)) design(rateOf(chunk, ctx.nodeId));
    },
    reset: () => along.reset(),
  };
}

// ------------------------------------------------------------------------------- moving average

/** Data without a time axis whose items are instances (successive predictions, features per trial). */
const INSTANCE_SERIES = { onlySignals: true, withAxes: ['instance'], withoutAxes: ['time'] } as const;

/**
 * Causal moving average along the instance axis (NeuroPype's MovingAverage on features or
 * predictions): each instance becomes the mean of the instances within the window that ends at it
 * (the last `n` instances, or those less than `seconds` older by their instance times), across
 * chunks. Allocates per chunk (instance data is small).
 */
class InstanceAverage {
  private history = new Map<string, { timesMs: number[]; rows: Float64Array[]; width: number }>();
  constructor(
    private readonly window: { samples: number } | { seconds: number },
    private readonly subtract: boolean,
  ) {}
  apply(c: Chunk, name: string): Chunk {
    const b = moveAxis(c.block, axisIndex(c.block, 'instance'), 0);
    const nInst = b.shape[0];
    const width = nInst ? b.data.length / nInst : 0;
    let h = this.history.get(name);
    if (!h || h.width !== width) this.history.set(name, (h = { timesMs: [], rows: [], width }));
    const times = (b.axes[0] as { timesMs: Float64Array }).timesMs;
    const out = new (b.data.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(b.data.length);
    for (let i = 0; i < nInst; i++) {
      h.timesMs.push(times[i]);
      h.rows.push(Float64Array.from(b.data.subarray(i * width, (i + 1) * width)));
      if ('samples' in this.window) while (h.rows.length > this.window.samples) (h.rows.shift(), h.timesMs.shift());
      else while (h.timesMs.length > 1 && times[i] - h.timesMs[0] >= this.window.seconds * 1000) (h.rows.shift(), h.timesMs.shift());
      for (let k = 0; k < width; k++) {
        let sum = 0;
        for (const r of h.rows) sum += r[k];
        const mean = sum / h.rows.length;
        out[i * width + k] = this.subtract ? b.data[i * width + k] - mean : mean;
      }
    }
    const back = moveAxis({ data: out, shape: b.shape, axes: b.axes }, 0, axisIndex(c.block, 'instance'));
    return withBlock(c, back);
  }
  reset(): void {
    this.history.clear();
  }
}

export const movingAverage: NodeClass = {
  type: 'filter.moving-average',
  package: 'filters',
  title: 'Moving average',
  version: '1.1.0',
  neuropype: np('MovingAverage', 'signal_processing'),
  doc: `Causal boxcar average over the last N samples of each channel (an FIR with N equal taps 1/N,
state carried across chunks). On data without a time axis but with instances (features or
predictions per trial or window, as NeuroPype pipelines smooth their classifier output), it
averages along the instance axis instead: each instance becomes the mean of those in the window
ending at it (by instance times when the window is in seconds).

- **in/out \`data\`**: chunks with a time axis (as filter.iir), or with an instance axis and no time axis.
- **window_length** (s, or samples when **unit** = samples); NeuroPype's **order** / **order_unit**
  name the same window and take precedence when set. **subtract**: output the data minus its
  moving average (a high-pass). **axis**: NeuroPype's; \`time\` (its default) also covers the
  instance axis of data that has no time axis.`,
  inputs: [input('data', [TIME_SERIES, INSTANCE_SERIES], 'Time series (continuous or segmented), or instances (features, predictions) without a time axis.', {
    hint: 'a moving average runs along a time axis, or along the instances of features or predictions',
  })],
  outputs: [FILTER_OUT],
  params: [
    p.float('window_length', 0.1, 'Averaging window.', { unit: 's or samples', domain: [0, Infinity] }),
    p.enum('unit', 'seconds', ['seconds', 'samples'], 'Unit of window_length.'),
    p.float('order', null, "NeuroPype's name for the window (in order_unit); null: window_length.", { unit: 's or samples', domain: [0, Infinity] }),
    p.enum('order_unit', 'seconds', ['seconds', 'samples'], "Unit of order (NeuroPype's)."),
    p.enum('axis', 'time', ['time', 'instance'], 'Axis to average along (time: the time axis, or the instances of data without one).'),
    p.bool('subtract', false, 'Output the data minus its moving average.'),
    p.bool('ignore_nans', false, "NeuroPype's; only false is supported."),
    p.bool('output_nans', false, "NeuroPype's; only false is supported."),
  ],
  create(params, ctx) {
    onlyDefault(params, 'ignore_nans', false, 'NaNs propagate through the average', ctx.nodeId);
    onlyDefault(params, 'output_nans', false, 'NaNs propagate through the average', ctx.nodeId);
    const useOrder = params.order !== null && params.order !== undefined;
    const len = (useOrder ? params.order : params.window_length) as number;
    const unit = (useOrder ? params.order_unit : params.unit) as string;
    const subtract = params.subtract === true;
    const n = (fs: number): number => {
      const k = unit === 'samples' ? Math.round(len) : Math.round(len * fs);
      if (k < 1) throw new InputError(`window of ${len} ${unit} is shorter than one sample`, ctx.nodeId);
      return k;
    };
    const instances = new InstanceAverage(unit === 'samples' ? { samples: Math.max(1, Math.round(len)) } : { seconds: len }, subtract);
    const alongTime = params.axis !== 'instance';
    const fir = lfilterNode((fs) => {
      const k = n(fs);
      const b = new Float64Array(k).fill(-1 / k);
      if (subtract) b[0] += 1;
      else b.fill(1 / k);
      return { b, a: [1] };
    }, ctx, !subtract);
    return {
      process(inputs) {
        const timed = alongTime ? fir.process({ data: inputs.data }) : undefined;
        const base = alongTime ? (timed?.data as typeof inputs.data) : inputs.data;
        const out = mapChunks(base, alongTime ? [INSTANCE_SERIES] : [{ onlySignals: true, withAxes: ['instance'] }], (c, name) => instances.apply(c, name));
        return out ? { data: out } : undefined;
      },
      check: fir.check,
      reset() {
        fir.reset?.();
        instances.reset();
      },
    };
  },
};

// ------------------------------------------------------------------------------- detrend (segments)

export const detrend: NodeClass = {
  type: 'filter.detrend',
  package: 'filters',
  title: 'Detrend',
  version: '1.1.0',
  doc: `Removes the mean ('constant') or the least-squares line ('linear') along time from each lane
(channel …) of each epoch or window, as SciPy \`signal.detrend\`.

- **in/out \`data\`**: segmented data (instance × time …). **type**: constant | linear.`,
  inputs: [input('data', [SEGMENTED], 'Epochs or sliding windows.', { hint: 'segment the signal first (Segmentation or Sliding window)' })],
  outputs: [output('data', sameAs('data'), 'Detrended segments.')],
  params: [p.enum('type', 'linear', ['constant', 'linear'], 'What to remove.')],
  create(params) {
    const linear = params.type === 'linear';
    const kernel = (x: Float64Array, y: Float64Array): void => {
      const n = x.length;
      const tm = (n - 1) / 2;
      let mean = 0;
      for (let i = 0; i < n; i++) mean += x[i];
      mean /= n;
      let slope = 0;
      if (linear) {
        let stt = 0;
        let sxy = 0;
        for (let i = 0; i < n; i++) {
          stt += (i - tm) ** 2;
          sxy += (i - tm) * (x[i] - mean);
        }
        if (stt > 0) slope = sxy / stt;
      }
      for (let i = 0; i < n; i++) y[i] = x[i] - mean - slope * (i - tm);
    };
    return {
      process(inputs) {
        const out = mapChunks(inputs.data, [SEGMENTED], (c) => withBlock(c, applyAlongTime(c.block, kernel)));
        return out ? { data: out } : undefined;
      },
      reset() {},
    };
  },
};

function applyAlongTime(b: Block, kernel: (x: Float64Array, y: Float64Array) => void): Block {
  return applyAlong(b, axisIndex(b, 'time'), kernel);
}

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

/** A chunk's time axis first (view when it is already), for the frame-major streaming kernels. */
function timeFirst(b: Block): Block {
  const t = axisIndex(b, 'time');
  return t === 0 ? b : moveAxis(b, t, 0);
}

/** A continuous chunk from frame-major float64 output frames (n × lanes) with a new time axis, in the input's layout and float type. */
function framesBack(c: Chunk, like: Block, y: Float64Array, time: TimeAxis): Chunk {
  const t = axisIndex(c.block, 'time');
  const data = alloc(c.block.data, y.length);
  data.set(y);
  const axes = like.axes.slice();
  axes[0] = time;
  const shape = like.shape.slice();
  shape[0] = time.timesMs.length;
  const b: Block = { data, shape, axes };
  return withBlock(c, t === 0 ? b : moveAxis(b, 0, t));
}

export const resample: NodeClass = {
  type: 'filter.resample',
  package: 'filters',
  title: 'Resample (polyphase)',
  version: '1.1.0',
  neuropype: np('Resample', 'signal_processing'),
  doc: `Changes the sample rate by a rational factor up/down with SciPy \`resample_poly\`'s anti-alias FIR
(Kaiser β = 5, 20·max(up, down)+1 taps), streaming with the filter delay compensated, so output
frame j is the sample at time t0 + j / rate. At the end of an offline run (and for a whole,
non-streaming chunk) the tail is completed with zero padding exactly as \`resample_poly\` does.

- **in/out \`data\`**: continuous chunks (time, no instances), output at **rate** (Hz).`,
  inputs: [input('data', [CONTINUOUS], 'Continuous signal.', { hint: 'resample the continuous signal before segmenting it' })],
  outputs: [output('data', sameAs('data'), 'Resampled signal.')],
  params: [p.float('rate', 128, 'Target sample rate.', { unit: 'Hz', domain: [1e-3, 1e6] })],
  create(params, ctx) {
    const target = params.rate as number;
    interface State {
      rs: StreamingResampler;
      t0: number;
      emitted: number;
      frames: number;
      lanes: number;
      like: Block;
      chunk: Chunk;
    }
    const make = (c: Chunk): State => {
      const [up, down] = resampleRatio(rateOf(c, ctx.nodeId), target, ctx.nodeId);
      const lanes = lanesAlongTime(c.block);
      return { rs: new StreamingResampler(lanes, up, down), t0: 0, emitted: 0, frames: 0, lanes, like: timeFirst(c.block), chunk: c };
    };
    const states = new StreamStates<State>((c) => make(c));
    const emit = (st: State, y: Float64Array): Chunk | undefined => {
      const n = y.length / st.lanes;
      if (!n) return undefined;
      const ts = new Float64Array(n);
      for (let i = 0; i < n; i++) ts[i] = st.t0 + ((st.emitted + i) * 1000) / target;
      st.emitted += n;
      return framesBack(st.chunk, st.like, y, timeAxis(ts, target));
    };
    const tail = (st: State): Chunk | undefined => {
      const total = Math.ceil((st.frames * st.rs.up) / st.rs.down);
      const missing = total - st.emitted;
      if (missing <= 0) return undefined;
      const padFrames = Math.ceil(((missing + st.rs.delayOutputSamples + 2) * st.rs.down) / st.rs.up) + 1;
      const y = st.rs.process(new Float64Array(padFrames * st.lanes));
      return emit(st, y.subarray(0, Math.min(missing, y.length / st.lanes) * st.lanes));
    };
    const step = (st: State, c: Chunk): Chunk | undefined => {
      const b = timeFirst(c.block);
      if (st.frames === 0) st.t0 = (b.axes[0] as TimeAxis).timesMs[0];
      st.frames += b.shape[0];
      st.chunk = c;
      return emit(st, st.rs.process(b.data));
    };
    return {
      process(inputs) {
        const out = mapChunks(inputs.data, [CONTINUOUS], (c, name) => {
          if (!c.props.is_streaming) {
            // a whole recording: resample_poly at once, tail included, without touching the stream state
            const st = make(c);
            const head = step(st, c);
            const end = tail(st);
            return head && end ? { block: concatAlongTime([head.block, end.block]), props: c.props } : (head ?? end);
          }
          return step(states.get(name, c), c);
        });
        return out ? { data: out } : undefined;
      },
      flush() {
        if (!ctx.offline) return;
        const out = new Map<string, Chunk>();
        for (const [name, st] of states.entries()) {
          const c = tail(st);
          if (c) out.set(name, c);
        }
        return out.size ? { data: out } : undefined;
      },
      check(meta) {
        for (const { chunk } of metaChunks(meta, CONTINUOUS)) resampleRatio(rateOf(chunk, ctx.nodeId), target, ctx.nodeId);
      },
      reset() {
        states.clear();
      },
    };
  },
};

function concatAlongTime(list: Block[]): Block {
  return concatAlong(list, axisIndex(list[0], 'time'));
}

export const decimateNode: NodeClass = {
  type: 'filter.decimate',
  package: 'filters',
  title: 'Decimate',
  version: '1.1.0',
  neuropype: np('Decimate', 'signal_processing'),
  doc: `Keeps every q-th sample after an anti-alias Chebyshev I low-pass (SciPy \`decimate\`:
cheby1(8, 0.05 dB, 0.8·fs/2q)), counted from the first sample ever received (chunk-invariant).
Causal on streaming chunks; with **zero_phase**, forward-backward over whole data as
\`scipy.signal.decimate(zero_phase=True)\`: a non-streaming chunk at once, the streaming chunks of
an offline run at the end of the input.

- **in/out \`data\`**: continuous chunks (time, no instances), output at fs/q. **factor** (q). **zero_phase** (bool).`,
  inputs: [input('data', [CONTINUOUS], 'Continuous signal.', { hint: 'decimate the continuous signal before segmenting it' })],
  outputs: [output('data', sameAs('data'), 'Decimated signal.')],
  params: [p.int('factor', 2, 'Decimation factor q.', { domain: [1, 1000] }), p.bool('zero_phase', false, 'Forward-backward anti-alias filter (whole data).')],
  create(params, ctx) {
    const q = params.factor as number;
    interface State {
      dec: StreamingDecimator;
      phase: number;
      rate: number;
    }
    const states = new StreamStates<State>((c) => ({ dec: new StreamingDecimator(lanesAlongTime(c.block), q), phase: 0, rate: rateOf(c, ctx.nodeId) / q }));
    const held = new Held();
    const zeroPhase = (c: Chunk): Chunk => {
      const rate = rateOf(c, ctx.nodeId) / q;
      return wholeAlongTime(
        c,
        (cm, lanes, n) => dspDecimate(cm, lanes, n, q, { zeroPhase: true }),
        (t) => timeAxis(Float64Array.from({ length: Math.ceil(t.timesMs.length / q) }, (_, k) => t.timesMs[k * q]), rate),
      );
    };
    return {
      process(inputs) {
        const out = mapChunks(inputs.data, [CONTINUOUS], (c, name) => {
          if (params.zero_phase && !c.props.is_streaming) return zeroPhase(c);
          if (params.zero_phase && ctx.offline) {
            held.hold(name, c);
            return undefined;
          }
          const st = states.get(name, c);
          const b = timeFirst(c.block);
          const frames = b.shape[0];
          const first = (q - st.phase) % q;
          const y = st.dec.process(b.data);
          st.phase = (st.phase + frames) % q;
          const n = y.length / lanesAlongTime(b);
          if (!n) return undefined;
          const times = (b.axes[0] as TimeAxis).timesMs;
          const ts = new Float64Array(n);
          for (let k = 0; k < n; k++) ts[k] = times[first + k * q];
          return framesBack(c, b, y, timeAxis(ts, st.rate));
        });
        return out ? { data: out } : undefined;
      },
      flush() {
        if (!held.size) return;
        return { data: new Map(held.take().map(([name, c]) => [name, zeroPhase(c)])) };
      },
      reset() {
        states.clear();
        held.clear();
      },
    };
  },
};
