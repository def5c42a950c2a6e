// Rational resampling: upfirdn and resample_poly (SciPy 1.10: Kaiser β=5 anti-alias FIR, zero-padded
// edges, same output alignment), decimate (order-8 Chebyshev I, zero-phase), and streaming causal
// polyphase resampler / IIR decimator classes for FRAME-MAJOR chunks. Float64 arithmetic; any thread.
// HOT PATH: the streaming `process` methods (allocate only when a chunk is larger than any before).
import { InputError } from '../core/errors';
import { cheby1, firwin, type Sos, type WindowName } from './filter-design';
import { sosfilt, sosfiltfilt, SosFilter, type Samples } from './iir';

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

function checkFactors(up: number, down: number, where: string): [number, number] {
  if (!Number.isInteger(up) || !Number.isInteger(down) || up < 1 || down < 1 || up > 1 << 16 || down > 1 << 16) {
    throw new InputError(`up and down must be integers from 1 to 65536, got ${up}/${down}`, where);
  }
  const g = gcd(up, down);
  return [up / g, down / g];
}

/** Taps per output phase: phase p holds h[p], h[p+up], h[p+2up], … */
function polyphase(h: Float64Array, up: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let p = 0; p < up; p++) {
    const n = Math.ceil((h.length - p) / up);
    const t = new Float64Array(Math.max(n, 0));
    for (let j = 0; j < t.length; j++) t[j] = h[p + j * up];
    out.push(t);
  }
  return out;
}

/**
 * Output m of upfirdn: Y[m] = Σ_i x[i]·h[m·down − i·up] for inputs 0 ≤ i < nAvail, read from
 * x[xo + i·xs] (inputs beyond nAvail are treated as zero).
 */
function upfirdnAt(phases: Float64Array[], up: number, down: number, m: number, x: ArrayLike<number>, xo: number, xs: number, nAvail: number): number {
  const t = m * down;
  const iMax = Math.floor(t / up);
  const taps = phases[t - iMax * up];
  let s = 0;
  const jStart = Math.max(0, iMax - (nAvail - 1));
  const jEnd = Math.min(taps.length, iMax + 1);
  for (let j = jStart; j < jEnd; j++) s += taps[j] * x[xo + (iMax - j) * xs];
  return s;
}

/**
 * `scipy.signal.upfirdn(h, x, up, down, axis=-1)` on a CHANNEL-MAJOR array: upsample by zero
 * insertion, FIR-filter with h, keep every down-th sample. Output [channel, ((ns−1)·up + len h − 1)//down + 1].
 */
export function upfirdn(h: ArrayLike<number>, x: ArrayLike<number>, nch: number, ns: number, up: number, down: number): Float64Array {
  if (x.length !== nch * ns) throw new InputError(`expected ${nch}×${ns} samples, got ${x.length}`, 'upfirdn');
  if (h.length < 1) throw new InputError('filter must have at least one tap', 'upfirdn');
  if (!Number.isInteger(up) || !Number.isInteger(down) || up < 1 || down < 1) throw new InputError(`up/down must be positive integers, got ${up}/${down}`, 'upfirdn');
  const phases = polyphase(Float64Array.from(h), up);
  const nOut = Math.floor(((ns - 1) * up + h.length - 1) / down) + 1;
  const y = new Float64Array(nch * nOut);
  for (let c = 0; c < nch; c++) for (let m = 0; m < nOut; m++) y[c * nOut + m] = upfirdnAt(phases, up, down, m, x, c * ns, 1, ns);
  return y;
}

/** Options of `resamplePoly`. */
export interface ResamplePolyOptions {
  /** Window for SciPy's FIR design, default Kaiser β = 5.0; or explicit taps (not scaled by up). */
  window?: WindowName | Float64Array;
  /** 'constant' (zeros beyond the edges, default) or 'mean' (pad with each channel's mean). */
  padtype?: 'constant' | 'mean';
}

/** SciPy resample_poly's filter: firwin(2·10·max(up,down)+1, 1/max(up,down), window)·up, zero-prefixed. */
function resampleDesign(up: number, down: number, window: WindowName | Float64Array): { h: Float64Array; preRemove: number } {
  let h0: Float64Array;
  let halfLen: number;
  if (window instanceof Float64Array) {
    h0 = window.slice();
    halfLen = (h0.length - 1) >> 1;
  } else {
    const maxRate = Math.max(up, down);
    halfLen = 10 * maxRate;
    h0 = firwin(2 * halfLen + 1, 1 / maxRate, { window });
  }
  for (let i = 0; i < h0.length; i++) h0[i] *= up;
  const prePad = down - (halfLen % down);
  const h = new Float64Array(prePad + h0.length);
  h.set(h0, prePad);
  return { h, preRemove: Math.floor((halfLen + prePad) / down) };
}

/**
 * `scipy.signal.resample_poly(x, up, down, axis=-1, window=('kaiser', 5.0), padtype='constant')` on
 * a CHANNEL-MAJOR array (up/down reduced by their gcd). Output Float64Array [channel, ceil(ns·up/down)].
 */
export function resamplePoly(x: ArrayLike<number>, nch: number, ns: number, upIn: number, downIn: number, opts: ResamplePolyOptions = {}): Float64Array {
  if (x.length !== nch * ns) throw new InputError(`expected ${nch}×${ns} samples, got ${x.length}`, 'resamplePoly');
  const [up, down] = checkFactors(upIn, downIn, 'resamplePoly');
  if (up === 1 && down === 1) return Float64Array.from(x);
  const nOut = Math.ceil((ns * up) / down);
  const { h, preRemove } = resampleDesign(up, down, opts.window ?? { kaiser: 5.0 });
  const phases = polyphase(h, up);
  const y = new Float64Array(nch * nOut);
  const buf = new Float64Array(ns);
  for (let c = 0; c < nch; c++) {
    let bg = 0;
    if (opts.padtype === 'mean') {
      for (let i = 0; i < ns; i++) bg += x[c * ns + i];
      bg /= ns;
    }
    for (let i = 0; i < ns; i++) buf[i] = x[c * ns + i] - bg;
    for (let j = 0; j < nOut; j++) y[c * nOut + j] = upfirdnAt(phases, up, down, preRemove + j, buf, 0, 1, ns) + bg;
  }
  return y;
}

/** SciPy decimate's default IIR: cheby1(8, 0.05, 0.8/q) with corners relative to Nyquist. */
export function decimateSos(q: number, order = 8): Sos {
  return cheby1(order, 0.05, 0.8 / q, 'lowpass', 2);
}

/**
 * `scipy.signal.decimate(x, q, ftype='iir', zero_phase, axis=-1)` on a CHANNEL-MAJOR array:
 * zero-phase (default) = sosfiltfilt(cheby1(8, 0.05, 0.8/q)) then every q-th sample from the first;
 * zeroPhase false = causal sosfilt. Output Float64Array [channel, ceil(ns/q)].
 */
export function decimate(x: Samples, nch: number, ns: number, q: number, opts: { order?: number; zeroPhase?: boolean } = {}): Float64Array {
  if (!Number.isInteger(q) || q < 1) throw new InputError(`decimation factor must be a positive integer, got ${q}`, 'decimate');
  const sos = decimateSos(q, opts.order ?? 8);
  const f = opts.zeroPhase === false ? sosfilt(sos, x, nch, ns) : sosfiltfilt(sos, x, nch, ns);
  const nOut = Math.ceil(ns / q);
  const y = new Float64Array(nch * nOut);
  for (let c = 0; c < nch; c++) for (let j = 0; j < nOut; j++) y[c * nOut + j] = f[c * ns + j * q];
  return y;
}

/** Options of `StreamingResampler`. */
export interface StreamingResamplerOptions {
  /** Anti-alias FIR (applied at the upsampled rate, already scaled by up); default SciPy's resample_poly design. */
  taps?: Float64Array;
  /**
   * Drop the filter's initial delay so output j is the sample at time j·down/(up·fs_in), exactly
   * resample_poly's output j (default true; only with the default taps).
   */
  compensateDelay?: boolean;
}

/**
 * Causal polyphase resampler by up/down for FRAME-MAJOR chunks, state carried between chunks: the
 * concatenated output of any chunking equals `upfirdn(h, x, up, down)` (minus the dropped delay), and
 * with default options equals `resamplePoly` except the last ~10·max(up,down)/up outputs that
 * resample_poly computes from the zero padding after the end. Output is Float64Array frames.
 */
export class StreamingResampler {
  readonly channelCount: number;
  readonly up: number;
  readonly down: number;
  /** Output samples withheld (not yet computable) at the start because of the FIR's delay. */
  readonly delayOutputSamples: number;
  private readonly phases: Float64Array[];
  private readonly hist: number;
  private buf: Float64Array;
  private filled = 0; // frames held in buf: the last `hist` frames before the new chunk
  private totalIn = 0;
  private nextOut: number;

  constructor(channelCount: number, up: number, down: number, opts: StreamingResamplerOptions = {}) {
    if (!Number.isInteger(channelCount) || channelCount < 1) throw new InputError(`channel count must be a positive integer, got ${channelCount}`, 'StreamingResampler');
    [this.up, this.down] = checkFactors(up, down, 'StreamingResampler');
    this.channelCount = channelCount;
    let h: Float64Array;
    let pre = 0;
    if (opts.taps) {
      h = opts.taps.slice();
    } else {
      const d = resampleDesign(this.up, this.down, { kaiser: 5.0 });
      h = d.h;
      pre = opts.compensateDelay === false ? 0 : d.preRemove;
    }
    this.phases = polyphase(h, this.up);
    this.hist = Math.ceil(h.length / this.up) + 1;
    this.delayOutputSamples = pre;
    this.nextOut = pre;
    this.buf = new Float64Array(this.hist * channelCount * 2);
  }

  /** Resample one frame-major chunk; returns the newly computable output frames (maybe none). */
  process(input: ArrayLike<number>): Float64Array {
    const nch = this.channelCount;
    if (input.length % nch !== 0) throw new InputError(`chunk of ${input.length} values is not whole ${nch}-channel frames`, 'StreamingResampler.process');
    const frames = input.length / nch;
    const need = (this.filled + frames) * nch;
    if (this.buf.length < need) {
      const nb = new Float64Array(need * 2);
      nb.set(this.buf.subarray(0, this.filled * nch));
      this.buf = nb;
    }
    for (let i = 0; i < input.length; i++) this.buf[this.filled * nch + i] = input[i];
    const base = this.totalIn - this.filled; // global index of buf frame 0
    this.totalIn += frames;
    this.filled += frames;
    // outputs m with floor(m·down/up) ≤ totalIn − 1
    const lastM = Math.floor((this.totalIn * this.up - 1) / this.down);
    const count = Math.max(0, lastM - this.nextOut + 1);
    const out = new Float64Array(count * nch);
    const up = this.up;
    const down = this.down;
    for (let k = 0; k < count; k++) {
      const m = this.nextOut + k;
      const t = m * down;
      const iMax = Math.floor(t / up);
      const taps = this.phases[t - iMax * up];
      const jEnd = Math.min(taps.length, iMax + 1, iMax - base + 1);
      for (let c = 0; c < nch; c++) {
        let s = 0;
        for (let j = 0; j < jEnd; j++) s += taps[j] * this.buf[(iMax - j - base) * nch + c];
        out[k * nch + c] = s;
      }
    }
    this.nextOut += count;
    // keep the last `hist` frames
    if (this.filled > this.hist) {
      const drop = this.filled - this.hist;
      this.buf.copyWithin(0, drop * nch, this.filled * nch);
      this.filled = this.hist;
    }
    return out;
  }

  /** Forget all input (start again from silence). */
  reset(): void {
    this.filled = 0;
    this.totalIn = 0;
    this.nextOut = this.delayOutputSamples;
    this.buf.fill(0);
  }
}

/**
 * Causal IIR decimator by q for FRAME-MAJOR chunks (`decimate(..., zero_phase=False)`): anti-alias
 * SOS (default cheby1(8, 0.05, 0.8/q)) with state carried, then every q-th frame counted from the
 * first frame ever received, so chunking never changes the output.
 */
export class StreamingDecimator {
  readonly channelCount: number;
  readonly q: number;
  private readonly filter: SosFilter;
  private phase = 0;
  private scratch: Float64Array = new Float64Array(0);

  constructor(channelCount: number, q: number, sos?: Sos) {
    if (!Number.isInteger(q) || q < 1) throw new InputError(`decimation factor must be a positive integer, got ${q}`, 'StreamingDecimator');
    this.channelCount = channelCount;
    this.q = q;
    this.filter = new SosFilter(sos ?? decimateSos(q), channelCount);
  }

  /** Filter and decimate one chunk; returns the kept frames (Float64Array, frame-major). */
  process(input: Samples): Float64Array {
    const nch = this.channelCount;
    if (this.scratch.length < input.length) this.scratch = new Float64Array(input.length);
    const f = this.filter.process(input instanceof Float64Array ? input : Float64Array.from(input), this.scratch.subarray(0, input.length));
    const frames = input.length / nch;
    const first = (this.q - this.phase) % this.q;
    const count = first < frames ? Math.floor((frames - 1 - first) / this.q) + 1 : 0;
    const out = new Float64Array(count * nch);
    for (let k = 0; k < count; k++) out.set(f.subarray((first + k * this.q) * nch, (first + k * this.q + 1) * nch), k * nch);
    this.phase = (this.phase + frames) % this.q;
    return out;
  }

  reset(): void {
    this.filter.reset();
    this.phase = 0;
  }
}
