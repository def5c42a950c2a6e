// Power spectra on CHANNEL-MAJOR arrays: Welch (scipy.signal.welch defaults), periodogram, and band
// power from a PSD (trapezoid or SciPy 1.10 Simpson), relative band power. Float64 arithmetic; runs on
// any thread. HOT PATH: the per-segment loop in `welch` (no allocation per segment; plans are cached).
import { InputError } from '../core/errors';
import { RealFft } from './fft';
import { getWindow, type WindowName } from './filter-design';
import { WasmWelch } from './wasm-welch';
import { transposeInto } from './layout';

/** Options of `welch` (SciPy names and defaults). */
export interface WelchOptions {
  /** Default 'hann' (periodic, as scipy.signal.get_window). */
  window?: WindowName;
  /** Segment length in samples, default 256 (clamped to the signal length, as SciPy does). */
  nperseg?: number;
  /** Overlap in samples, default floor(nperseg / 2). */
  noverlap?: number;
  /** FFT length ≥ nperseg (zero padding), default nperseg. */
  nfft?: number;
  /** Per-segment detrend: 'constant' (default, subtract mean), 'linear', or false. */
  detrend?: 'constant' | 'linear' | false;
  /** 'density' (V²/Hz, default) or 'spectrum' (V²). */
  scaling?: 'density' | 'spectrum';
  /** Average over segments: 'mean' (default) or 'median' (bias-corrected as SciPy). */
  average?: 'mean' | 'median';
  /**
   * 'auto' (default): WebAssembly SIMD (two segments per vector) for typed-array input, power-of-two
   * nperseg = nfft ≥ 16, detrend 'constant', average 'mean'; JS otherwise. 'js' forces JS.
   */
  backend?: 'auto' | 'js';
  /**
   * Reuse: write the PSD (length nch × bins) and frequencies (length bins) into these arrays instead
   * of allocating (the online engine passes the same buffers every step). Wrong lengths are ignored.
   */
  out?: { psd?: Float64Array; freqsHz?: Float64Array };
  /**
   * x is FRAME-major (x[n·nch + c], as the engine's packets carry samples) instead of channel-major:
   * transposed on its way into the kernel, with no copy of its own.
   */
  frameMajor?: boolean;
}

/** A one-sided PSD: `psd` is Float64Array [channel, bin], bins at `freqsHz`. */
export interface Spectrum {
  freqsHz: Float64Array;
  psd: Float64Array;
  channelCount: number;
  binCount: number;
}

const wasmPlans = new Map<number, WasmWelch | null>();
function wasmPlanFor(n: number): WasmWelch | null {
  let p = wasmPlans.get(n);
  if (p === undefined) {
    p = WasmWelch.create(n);
    if (wasmPlans.size > 8) wasmPlans.clear();
    wasmPlans.set(n, p);
  }
  return p;
}

/**
 * psd[o + k] = scale · acc[2k + lane] (lanes 1) or scale · (acc[2k] + acc[2k + 1]) (lanes 2), doubled
 * for 1 ≤ k < lastDoubled. HOT PATH: three plain loops, no branch per bin.
 */
function scaledInto(psd: Float64Array, o: number, acc: Float64Array, lane: number, lanes: 1 | 2, nb: number, scale: number, lastDoubled: number): void {
  const two = 2 * scale;
  if (lanes === 2) {
    psd[o] = (acc[0] + acc[1]) * scale;
    for (let k = 1; k < lastDoubled; k++) psd[o + k] = (acc[2 * k] + acc[2 * k + 1]) * two;
    for (let k = Math.max(1, lastDoubled); k < nb; k++) psd[o + k] = (acc[2 * k] + acc[2 * k + 1]) * scale;
  } else {
    psd[o] = acc[lane] * scale;
    for (let k = 1; k < lastDoubled; k++) psd[o + k] = acc[2 * k + lane] * two;
    for (let k = Math.max(1, lastDoubled); k < nb; k++) psd[o + k] = acc[2 * k + lane] * scale;
  }
}

/**
 * The Welch PSD of every channel via the wasm kernel, into psd: mean-averaged, constant-detrended
 * segment powers times `scale` (times 2 for bins 1 … lastDoubled − 1, the one-sided fold).
 */
function welchWasm(
  w: WasmWelch,
  x: Float32Array | Float64Array,
  frameMajor: boolean,
  nch: number,
  ns: number,
  win: Float64Array,
  step: number,
  nseg: number,
  psd: Float64Array,
  nb: number,
  scale: number,
  lastDoubled: number,
): void {
  const f32 = x instanceof Float32Array;
  const bytes = f32 ? 4 : 8;
  // Small inputs (the online case): copy every channel in at once, no per-channel views.
  // Large ones (a whole recording): one channel at a time, so the wasm memory stays small.
  const whole = nch * ns * bytes <= WASM_WHOLE_BYTES;
  w.ensureData((whole ? nch * ns : ns) * bytes);
  w.setWindow(win);
  const base = w.layout.DATA;
  const data = w.dataView(f32);
  if (whole) {
    if (frameMajor) transposeInto(x, ns, nch, data);
    else data.set(x);
  }
  const acc = w.accView();
  let c0 = 0;
  if (whole && nseg % 2 === 1) {
    // an odd number of segments (often one: window = segment) would leave a lane idle on the last
    // pair; put two CHANNELS in the two lanes instead, every segment of each
    w.setMask(1);
    for (; c0 + 1 < nch; c0 += 2) {
      const a = base + c0 * ns * bytes;
      const b = a + ns * bytes;
      acc.fill(0);
      for (let g = 0; g < nseg; g++) w.pair(f32, a + g * step * bytes, b + g * step * bytes);
      scaledInto(psd, c0 * nb, acc, 0, 1, nb, scale, lastDoubled);
      scaledInto(psd, (c0 + 1) * nb, acc, 1, 1, nb, scale, lastDoubled);
    }
  }
  for (let c = c0; c < nch; c++) {
    let at = base;
    if (whole) at += c * ns * bytes;
    else if (frameMajor) for (let n = 0; n < ns; n++) data[n] = x[n * nch + c];
    else data.set(x.subarray(c * ns, (c + 1) * ns));
    acc.fill(0);
    w.setMask(1);
    let g = 0;
    for (; g + 1 < nseg; g += 2) w.pair(f32, at + g * step * bytes, at + (g + 1) * step * bytes);
    if (g < nseg) {
      w.setMask(0);
      const a = at + g * step * bytes;
      w.pair(f32, a, a);
    }
    scaledInto(psd, c * nb, acc, 0, 2, nb, scale, lastDoubled);
  }
}

/** Inputs up to this size are copied into the wasm memory whole (bytes). */
const WASM_WHOLE_BYTES = 4 << 20;

/** Windows are pure functions of (name, length): cache the few in use (no allocation per call). */
const windowCache = new Map<string, Float64Array>();
let lastWindow: { name: WindowName; n: number; win: Float64Array } | null = null;
function cachedWindow(name: WindowName, n: number): Float64Array {
  if (lastWindow && lastWindow.name === name && lastWindow.n === n) return lastWindow.win;
  const key = typeof name === 'string' ? `${name}:${n}` : `${JSON.stringify(name)}:${n}`;
  let w = windowCache.get(key);
  if (!w) {
    w = getWindow(name, n, true);
    if (windowCache.size > 32) windowCache.clear();
    windowCache.set(key, w);
  }
  lastWindow = { name, n, win: w };
  return w;
}

/** Σw and Σw² of a cached window. */
const windowSums = new WeakMap<Float64Array, { sum: number; squares: number }>();
function sumsOf(win: Float64Array): { sum: number; squares: number } {
  let s = windowSums.get(win);
  if (!s) {
    s = { sum: 0, squares: 0 };
    for (let i = 0; i < win.length; i++) {
      s.sum += win[i];
      s.squares += win[i] * win[i];
    }
    windowSums.set(win, s);
  }
  return s;
}

/**
 * Welch's factor from |X|² of one windowed segment to a PSD bin: 1/(fs·Σw²) for 'density', 1/(Σw)²
 * for 'spectrum' (before the one-sided doubling), with the periodic window of length n.
 */
export function psdScale(window: WindowName, n: number, sampleRateHz: number, scaling: 'density' | 'spectrum'): number {
  const { sum, squares } = sumsOf(cachedWindow(window, n));
  return scaling === 'density' ? 1 / (sampleRateHz * squares) : 1 / (sum * sum);
}

/** Scratch of the JS Welch path, grown on demand (single-threaded per realm). */
let jsBuf = new Float64Array(0);
let jsAcc = new Float64Array(0);
function jsScratch(nfft: number, nb: number): { buf: Float64Array; acc: Float64Array } {
  if (jsBuf.length !== nfft) jsBuf = new Float64Array(nfft);
  if (jsAcc.length !== nb) jsAcc = new Float64Array(nb);
  return { buf: jsBuf, acc: jsAcc };
}

const planCache = new Map<number, RealFft>();
function planFor(n: number): RealFft {
  let p = planCache.get(n);
  if (!p) {
    p = new RealFft(n);
    if (planCache.size > 32) planCache.clear();
    planCache.set(n, p);
  }
  return p;
}

/** Subtract the least-squares line from buf[0..n) in place (scipy.signal.detrend type='linear'). */
function detrendLinearInPlace(buf: Float64Array, n: number): void {
  if (n < 2) {
    if (n === 1) buf[0] = 0;
    return;
  }
  const tMean = (n - 1) / 2;
  let yMean = 0;
  for (let i = 0; i < n; i++) yMean += buf[i];
  yMean /= n;
  let stt = 0;
  let sty = 0;
  for (let i = 0; i < n; i++) {
    const t = i - tMean;
    stt += t * t;
    sty += t * (buf[i] - yMean);
  }
  const slope = sty / stt;
  for (let i = 0; i < n; i++) buf[i] -= yMean + slope * (i - tMean);
}

/** SciPy's _median_bias(n): median of n chi²₂ draws / their mean. */
function medianBias(n: number): number {
  let s = 0;
  for (let i = 1; i <= (n - 1) >> 1; i++) s += 1 / (2 * i + 1) - 1 / (2 * i);
  return 1 + s;
}

/**
 * `scipy.signal.welch(x, fs, window, nperseg, noverlap, nfft, detrend, return_onesided=True, scaling,
 * axis=-1, average)` for a CHANNEL-MAJOR array x[c·ns + n] (Float32Array, Float64Array or number[]).
 * Segments start at k·(nperseg − noverlap); trailing samples that do not fill a segment are unused.
 */
export function welch(x: ArrayLike<number>, nch: number, ns: number, sampleRateHz: number, opts: WelchOptions = {}): Spectrum {
  const where = 'welch';
  if (x.length !== nch * ns) throw new InputError(`expected ${nch}×${ns} samples, got ${x.length}`, where);
  if (!(sampleRateHz > 0)) throw new InputError(`sample rate must be positive, got ${sampleRateHz}`, where);
  if (ns < 1) throw new InputError('need at least one sample per channel', where);
  const nperseg = Math.min(opts.nperseg ?? 256, ns);
  const noverlap = opts.noverlap ?? Math.floor(nperseg / 2);
  const nfft = opts.nfft ?? nperseg;
  if (!Number.isInteger(nperseg) || nperseg < 1) throw new InputError(`nperseg must be a positive integer, got ${nperseg}`, where);
  if (!Number.isInteger(noverlap) || noverlap < 0 || noverlap >= nperseg) throw new InputError(`noverlap must be an integer in [0, nperseg), got ${noverlap}`, where);
  if (!Number.isInteger(nfft) || nfft < nperseg) throw new InputError(`nfft must be an integer ≥ nperseg, got ${nfft}`, where);
  const win = cachedWindow(opts.window ?? 'hann', nperseg);
  const detrend = opts.detrend ?? 'constant';
  const average = opts.average ?? 'mean';
  const scale = psdScale(opts.window ?? 'hann', nperseg, sampleRateHz, opts.scaling ?? 'density');
  const step = nperseg - noverlap;
  const nseg = Math.floor((ns - nperseg) / step) + 1;
  const nb = (nfft >> 1) + 1;
  const given = opts.out?.psd;
  const psd = given && given.length === nch * nb ? given : new Float64Array(nch * nb);
  const lastDoubled = nfft % 2 === 0 ? nb - 1 : nb;
  const useWasm =
    opts.backend !== 'js' && (x instanceof Float32Array || x instanceof Float64Array) && nfft === nperseg && detrend === 'constant' && average === 'mean';
  const wplan = useWasm ? wasmPlanFor(nperseg) : null;
  if (wplan) {
    welchWasm(wplan, x as Float32Array | Float64Array, opts.frameMajor === true, nch, ns, win, step, nseg, psd, nb, scale / nseg, lastDoubled);
  } else {
    if (opts.frameMajor) x = transposeInto(x, ns, nch, new Float64Array(nch * ns));
    const plan = planFor(nfft);
    const { buf, acc } = jsScratch(nfft, nb);
    const segs = average === 'median' ? new Float64Array(nseg * nb) : null;
    const tmp = average === 'median' ? new Float64Array(nseg) : null;
    for (let c = 0; c < nch; c++) {
      acc.fill(0);
      for (let g = 0; g < nseg; g++) {
        const st = c * ns + g * step;
        if (detrend === 'constant') {
          let m = 0;
          for (let i = 0; i < nperseg; i++) m += x[st + i];
          m /= nperseg;
          for (let i = 0; i < nperseg; i++) buf[i] = (x[st + i] - m) * win[i];
        } else {
          for (let i = 0; i < nperseg; i++) buf[i] = x[st + i];
          if (detrend === 'linear') detrendLinearInPlace(buf, nperseg);
          for (let i = 0; i < nperseg; i++) buf[i] *= win[i];
        }
        if (segs) plan.power(buf, segs.subarray(g * nb, (g + 1) * nb));
        else plan.power(buf, acc, 0, true);
      }
      const o = c * nb;
      if (segs && tmp) {
        const bias = medianBias(nseg);
        for (let k = 0; k < nb; k++) {
          for (let g = 0; g < nseg; g++) tmp[g] = segs[g * nb + k];
          tmp.sort();
          const mid = nseg >> 1;
          const med = nseg % 2 ? tmp[mid] : 0.5 * (tmp[mid - 1] + tmp[mid]);
          psd[o + k] = (med * scale) / bias;
        }
      } else {
        for (let k = 0; k < nb; k++) psd[o + k] = (acc[k] * scale) / nseg;
      }
      for (let k = 1; k < lastDoubled; k++) psd[o + k] *= 2;
    }
  }
  const givenF = opts.out?.freqsHz;
  const freqsHz = givenF && givenF.length === nb ? givenF : new Float64Array(nb);
  for (let k = 0; k < nb; k++) freqsHz[k] = (k * sampleRateHz) / nfft;
  return { freqsHz, psd, channelCount: nch, binCount: nb };
}

/** Options of `periodogram`: window default 'boxcar'; same detrend/scaling/nfft as `welch`. */
export type PeriodogramOptions = Omit<WelchOptions, 'nperseg' | 'noverlap' | 'average'>;

/** `scipy.signal.periodogram(x, fs, window='boxcar', ...)`: one segment of the whole signal. */
export function periodogram(x: ArrayLike<number>, nch: number, ns: number, sampleRateHz: number, opts: PeriodogramOptions = {}): Spectrum {
  return welch(x, nch, ns, sampleRateHz, { ...opts, window: opts.window ?? 'boxcar', nperseg: ns, noverlap: 0, nfft: opts.nfft ?? ns });
}

/** A time-frequency PSD: `psd` Float64Array [channel, frequency, segment]. */
export interface Spectrogram {
  freqsHz: Float64Array;
  /** Segment centres in seconds from the first sample: (nperseg/2 + k·step)/fs. */
  timesS: Float64Array;
  psd: Float64Array;
  channelCount: number;
  binCount: number;
  segmentCount: number;
}

/**
 * `scipy.signal.spectrogram(x, fs, window=('tukey', 0.25), nperseg=256, noverlap=nperseg//8,
 * detrend='constant', scaling='density', mode='psd', axis=-1)` on a CHANNEL-MAJOR array: one-sided
 * PSD of every segment (the segments `welch` would average). Allocates; not for the acquisition loop.
 */
export function spectrogram(x: ArrayLike<number>, nch: number, ns: number, sampleRateHz: number, opts: Omit<WelchOptions, 'average' | 'backend'> = {}): Spectrogram {
  const where = 'spectrogram';
  if (x.length !== nch * ns) throw new InputError(`expected ${nch}×${ns} samples, got ${x.length}`, where);
  if (!(sampleRateHz > 0)) throw new InputError(`sample rate must be positive, got ${sampleRateHz}`, where);
  const nperseg = Math.min(opts.nperseg ?? 256, ns);
  const noverlap = opts.noverlap ?? Math.floor(nperseg / 8);
  const nfft = opts.nfft ?? nperseg;
  if (!Number.isInteger(nperseg) || nperseg < 1 || !Number.isInteger(noverlap) || noverlap < 0 || noverlap >= nperseg || !(nfft >= nperseg)) {
    throw new InputError(`bad segment parameters nperseg=${nperseg} noverlap=${noverlap} nfft=${nfft}`, where);
  }
  const window = opts.window ?? { tukey: 0.25 };
  const win = cachedWindow(window, nperseg);
  const scale = psdScale(window, nperseg, sampleRateHz, opts.scaling ?? 'density');
  const detrend = opts.detrend ?? 'constant';
  const step = nperseg - noverlap;
  const nseg = Math.floor((ns - nperseg) / step) + 1;
  const plan = planFor(nfft);
  const nb = plan.bins;
  const lastDoubled = nfft % 2 === 0 ? nb - 1 : nb;
  const psd = new Float64Array(nch * nb * nseg);
  const buf = new Float64Array(nfft);
  const p = new Float64Array(nb);
  for (let c = 0; c < nch; c++) {
    for (let g = 0; g < nseg; g++) {
      const st = c * ns + g * step;
      for (let i = 0; i < nperseg; i++) buf[i] = x[st + i];
      if (detrend === 'constant') {
        let m = 0;
        for (let i = 0; i < nperseg; i++) m += buf[i];
        m /= nperseg;
        for (let i = 0; i < nperseg; i++) buf[i] -= m;
      } else if (detrend === 'linear') detrendLinearInPlace(buf, nperseg);
      for (let i = 0; i < nperseg; i++) buf[i] *= win[i];
      plan.power(buf, p);
      for (let k = 0; k < nb; k++) psd[(c * nb + k) * nseg + g] = p[k] * scale * (k > 0 && k < lastDoubled ? 2 : 1);
    }
  }
  const freqsHz = new Float64Array(nb);
  for (let k = 0; k < nb; k++) freqsHz[k] = (k * sampleRateHz) / nfft;
  const timesS = new Float64Array(nseg);
  for (let g = 0; g < nseg; g++) timesS[g] = (nperseg / 2 + g * step) / sampleRateHz;
  return { freqsHz, timesS, psd, channelCount: nch, binCount: nb, segmentCount: nseg };
}

/** `scipy.integrate.trapezoid(y, x)`. */
export function trapezoid(y: ArrayLike<number>, x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 1; i < y.length; i++) s += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return s;
}

function basicSimpson(y: ArrayLike<number>, x: ArrayLike<number>, start: number, stop: number): number {
  let s = 0;
  for (let i = start; i < stop; i += 2) {
    const h0 = x[i + 1] - x[i];
    const h1 = x[i + 2] - x[i + 1];
    const hsum = h0 + h1;
    const hprod = h0 * h1;
    const r = h1 !== 0 ? h0 / h1 : 0;
    s += (hsum / 6) * (y[i] * (2 - (r !== 0 ? 1 / r : 0)) + y[i + 1] * (hsum * (hprod !== 0 ? hsum / hprod : 0)) + y[i + 2] * (2 - r));
  }
  return s;
}

/**
 * `scipy.integrate.simpson(y, x)` with SciPy 1.10 semantics (even='avg'): for an even number of
 * points, the mean of (Simpson on the first N−1 + trapezoid on the last interval) and
 * (trapezoid on the first interval + Simpson on the last N−1).
 */
export function simpson(y: ArrayLike<number>, x: ArrayLike<number>): number {
  const n = y.length;
  if (n < 2) return 0;
  if (n % 2 === 1) return basicSimpson(y, x, 0, n - 2);
  const val = 0.5 * (x[n - 1] - x[n - 2]) * (y[n - 1] + y[n - 2]) + 0.5 * (x[1] - x[0]) * (y[1] + y[0]);
  const result = basicSimpson(y, x, 0, n - 3) + basicSimpson(y, x, 1, n - 2);
  return result / 2 + val / 2;
}

/** A frequency band [lowHz, highHz], inclusive on both ends. */
export type Band = readonly [number, number];

/**
 * Band power per channel and band from a PSD (e.g. `welch(...)` with scaling 'density'): integrate
 * the bins with lowHz ≤ f ≤ highHz by 'trapezoid' (default) or 'simpson'. Returns Float64Array
 * [channel, band]. A band containing fewer than two bins gives 0.
 */
export function bandPower(spec: Spectrum, bands: readonly Band[], rule: 'trapezoid' | 'simpson' = 'trapezoid', out?: Float64Array): Float64Array {
  const { psd, freqsHz, channelCount: nch, binCount: nb } = spec;
  const nbands = bands.length;
  const res = out && out.length === nch * nbands ? out : new Float64Array(nch * nbands);
  for (let b = 0; b < nbands; b++) {
    const lo = bands[b][0];
    const hi = bands[b][1];
    if (!(lo <= hi)) throw new InputError(`band [${lo}, ${hi}] Hz must have low ≤ high`, 'bandPower');
    let k0 = 0;
    while (k0 < nb && freqsHz[k0] < lo) k0++;
    let k1 = k0;
    while (k1 < nb && freqsHz[k1] <= hi) k1++;
    if (rule === 'simpson') {
      const f = freqsHz.subarray(k0, k1);
      for (let c = 0; c < nch; c++) res[c * nbands + b] = simpson(psd.subarray(c * nb + k0, c * nb + k1), f);
    } else {
      // trapezoid inline (HOT PATH online: no views, no allocation)
      for (let c = 0; c < nch; c++) {
        const o = c * nb;
        let s = 0;
        for (let k = k0 + 1; k < k1; k++) s += ((freqsHz[k] - freqsHz[k - 1]) * (psd[o + k] + psd[o + k - 1])) / 2;
        res[c * nbands + b] = s;
      }
    }
  }
  return res;
}

/** Band power divided by the power over `total` (default 0.5–45 Hz), same rule. [channel, band]. */
export function relativeBandPower(
  spec: Spectrum,
  bands: readonly Band[],
  total: Band = [0.5, 45],
  rule: 'trapezoid' | 'simpson' = 'trapezoid',
  out?: Float64Array,
  totalScratch?: Float64Array,
): Float64Array {
  const bp = bandPower(spec, bands, rule, out);
  const tot = bandPower(spec, [total], rule, totalScratch);
  for (let c = 0; c < spec.channelCount; c++) for (let b = 0; b < bands.length; b++) bp[c * bands.length + b] /= tot[c];
  return bp;
}
