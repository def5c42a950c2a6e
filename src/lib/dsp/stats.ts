// Per-channel statistics and re-referencing: common average reference (MNE), z-score (SciPy),
// per-epoch variance / log-variance (NumPy), detrend (SciPy). Float64 arithmetic; any thread.
// CHANNEL-MAJOR functions allocate their output; the FRAME-MAJOR CAR can work in place (HOT PATH).
import { InputError } from '../core/errors';
import type { Samples } from './iir';

function checkDims(x: ArrayLike<number>, nch: number, ns: number, where: string): void {
  if (!Number.isInteger(nch) || nch < 1 || !Number.isInteger(ns) || ns < 0) throw new InputError(`bad shape ${nch}×${ns}`, where);
  if (x.length !== nch * ns) throw new InputError(`expected ${nch}×${ns} = ${nch * ns} samples, got ${x.length}`, where);
}

const newLike = (x: ArrayLike<number>, n: number): Samples => (x instanceof Float32Array ? new Float32Array(n) : new Float64Array(n));

/**
 * Common average reference of a CHANNEL-MAJOR array: y[c, n] = x[c, n] − mean over channels of x[:, n]
 * (`mne.set_eeg_reference(raw, 'average', projection=False)`). Returns a new array of x's type.
 */
export function commonAverageReference(x: Samples, nch: number, ns: number): Samples {
  checkDims(x, nch, ns, 'commonAverageReference');
  const mean = new Float64Array(ns);
  for (let c = 0; c < nch; c++) for (let n = 0; n < ns; n++) mean[n] += x[c * ns + n];
  for (let n = 0; n < ns; n++) mean[n] /= nch;
  const y = newLike(x, x.length);
  for (let c = 0; c < nch; c++) for (let n = 0; n < ns; n++) y[c * ns + n] = x[c * ns + n] - mean[n];
  return y;
}

/**
 * Common average reference of FRAME-MAJOR (interleaved) frames x[n·nch + c], written to `output`
 * (may be `x` itself: in place; default a new array). HOT PATH: no allocation when output is given.
 */
export function commonAverageReferenceFrames<T extends Samples>(x: T, nch: number, output?: Samples): T {
  if (!Number.isInteger(nch) || nch < 1 || x.length % nch !== 0) throw new InputError(`chunk of ${x.length} values is not whole ${nch}-channel frames`, 'commonAverageReferenceFrames');
  const y = (output ?? newLike(x, x.length)) as T;
  const inv = 1 / nch;
  for (let o = 0; o < x.length; o += nch) {
    let s = 0;
    for (let c = 0; c < nch; c++) s += x[o + c];
    const m = s * inv;
    for (let c = 0; c < nch; c++) y[o + c] = x[o + c] - m;
  }
  return y;
}

/**
 * `scipy.stats.zscore(x, axis=-1, ddof)` per channel of a CHANNEL-MAJOR array: (x − mean) / std.
 * A constant channel gives NaN (0/0), as SciPy does.
 */
export function zscore(x: Samples, nch: number, ns: number, ddof = 0): Samples {
  checkDims(x, nch, ns, 'zscore');
  const y = newLike(x, x.length);
  for (let c = 0; c < nch; c++) {
    const o = c * ns;
    let m = 0;
    for (let n = 0; n < ns; n++) m += x[o + n];
    m /= ns;
    let ss = 0;
    for (let n = 0; n < ns; n++) ss += (x[o + n] - m) ** 2;
    const sd = Math.sqrt(ss / (ns - ddof));
    for (let n = 0; n < ns; n++) y[o + n] = (x[o + n] - m) / sd;
  }
  return y;
}

/**
 * Variance over time of each epoch and channel: epochs[e, c, n] (shape ne×nch×ns, C order) →
 * Float64Array [epoch, channel] = `numpy.var(epochs, axis=-1, ddof)`.
 */
export function epochVariance(epochs: ArrayLike<number>, ne: number, nch: number, ns: number, ddof = 0): Float64Array {
  if (epochs.length !== ne * nch * ns) throw new InputError(`expected ${ne}×${nch}×${ns} values, got ${epochs.length}`, 'epochVariance');
  if (ns - ddof <= 0) throw new InputError(`need more than ddof = ${ddof} samples per epoch`, 'epochVariance');
  const out = new Float64Array(ne * nch);
  for (let r = 0; r < ne * nch; r++) {
    const o = r * ns;
    let m = 0;
    for (let n = 0; n < ns; n++) m += epochs[o + n];
    m /= ns;
    let ss = 0;
    for (let n = 0; n < ns; n++) ss += (epochs[o + n] - m) ** 2;
    out[r] = ss / (ns - ddof);
  }
  return out;
}

/** Natural log of `epochVariance` ([epoch, channel]); the classic CSP/motor-imagery feature. */
export function epochLogVariance(epochs: ArrayLike<number>, ne: number, nch: number, ns: number, ddof = 0): Float64Array {
  const v = epochVariance(epochs, ne, nch, ns, ddof);
  for (let i = 0; i < v.length; i++) v[i] = Math.log(v[i]);
  return v;
}

/**
 * Cut non-overlapping epochs from a CHANNEL-MAJOR signal: epochs[e, c, :] = x[c, e·len .. (e+1)·len)
 * for e = 0..floor(ns/len)−1. Returns Float64Array [epoch, channel, sample].
 */
export function epochsFromContinuous(x: ArrayLike<number>, nch: number, ns: number, epochSamples: number): Float64Array {
  checkDims(x, nch, ns, 'epochsFromContinuous');
  if (!Number.isInteger(epochSamples) || epochSamples < 1) throw new InputError(`epoch length must be a positive integer, got ${epochSamples}`, 'epochsFromContinuous');
  const ne = Math.floor(ns / epochSamples);
  const out = new Float64Array(ne * nch * epochSamples);
  for (let e = 0; e < ne; e++) {
    for (let c = 0; c < nch; c++) {
      for (let n = 0; n < epochSamples; n++) out[(e * nch + c) * epochSamples + n] = x[c * ns + e * epochSamples + n];
    }
  }
  return out;
}

/**
 * `scipy.signal.detrend(x, axis=-1, type)` per channel of a CHANNEL-MAJOR array: 'constant'
 * subtracts the mean, 'linear' the least-squares line. Returns a new array of x's type.
 */
export function detrend(x: Samples, nch: number, ns: number, type: 'constant' | 'linear' = 'linear'): Samples {
  checkDims(x, nch, ns, 'detrend');
  const y = newLike(x, x.length);
  const tMean = (ns - 1) / 2;
  let stt = 0;
  for (let n = 0; n < ns; n++) stt += (n - tMean) ** 2;
  for (let c = 0; c < nch; c++) {
    const o = c * ns;
    let m = 0;
    for (let n = 0; n < ns; n++) m += x[o + n];
    m /= ns;
    let slope = 0;
    if (type === 'linear' && stt > 0) {
      let sty = 0;
      for (let n = 0; n < ns; n++) sty += (n - tMean) * (x[o + n] - m);
      slope = sty / stt;
    }
    for (let n = 0; n < ns; n++) y[o + n] = x[o + n] - m - slope * (n - tMean);
  }
  return y;
}
