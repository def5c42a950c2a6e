// Temporal Derivative Distribution Repair (Fishburn et al. 2019, NeuroImage 184:171–179), exactly as
// MNE 1.3's `temporal_derivative_distribution_repair` (the authors' reference code): per channel,
// robust (Tukey biweight) down-weighting of outlying temporal derivatives of the < 0.5 Hz part.
// Runs anywhere (any thread, Node). Offline only (needs the whole recording). CHANNEL-MAJOR data.
import { InputError } from '../core/errors';
import { butter, sosfiltfilt } from '../dsp/index';

const TUNE = 4.685;
const MAX_ITERATIONS = 50;
const SQRT_EPS = Math.sqrt(2 ** -52);

/** k-th smallest of a[0 .. n) (quickselect, Hoare partition, median-of-three pivot); reorders a. */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // median of three to the middle
    if (a[mid] < a[lo]) [a[mid], a[lo]] = [a[lo], a[mid]];
    if (a[hi] < a[lo]) [a[hi], a[lo]] = [a[lo], a[hi]];
    if (a[hi] < a[mid]) [a[hi], a[mid]] = [a[mid], a[hi]];
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Median of a scratch array (reordered in place; O(n), numpy.median's value). */
function medianInPlace(a: Float64Array): number {
  const n = a.length;
  const upper = select(a, n >> 1);
  if (n % 2) return upper;
  // the lower middle is the largest of the part left of n/2 after selection
  let lower = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (a[i] > lower) lower = a[i];
  return (lower + upper) / 2;
}

/**
 * TDDR of every channel (optical density, as intended; haemoglobin works too). Steps per channel:
 * remove the mean; low = zero-phase 3rd-order 0.5 Hz Butterworth low-pass without padding
 * (filtfilt(..., padlen=0)), high = rest; w = Tukey biweight weights of diff(low) (tune 4.685,
 * σ = 1.4826·median|r|, ≤ 50 iterations); low' = cumsum([0, w·(diff − μ)]) − its mean;
 * result = low' + high + mean. Non-finite input is refused (it would poison the whole channel).
 */
export function tddr(x: ArrayLike<number>, channelCount: number, sampleCount: number, sampleRateHz: number): Float64Array {
  if (x.length !== channelCount * sampleCount) throw new InputError(`expected ${channelCount} × ${sampleCount} values, got ${x.length}`, 'tddr');
  if (sampleCount < 3) throw new InputError(`needs at least 3 samples, got ${sampleCount}`, 'tddr');
  const out = new Float64Array(channelCount * sampleCount);
  const fc = (0.5 * 2) / sampleRateHz;
  const sos = fc < 1 ? butter(3, 0.5, 'lowpass', sampleRateHz) : null;
  const n = sampleCount;
  const sig = new Float64Array(n);
  const deriv = new Float64Array(n - 1);
  const w = new Float64Array(n - 1);
  const dev = new Float64Array(n - 1);
  const scratch = new Float64Array(n - 1);
  const lowNew = new Float64Array(n);
  for (let c = 0; c < channelCount; c++) {
    const o = c * n;
    let mean = 0;
    for (let t = 0; t < n; t++) {
      const v = x[o + t];
      if (!Number.isFinite(v)) throw new InputError(`channel ${c} has a non-finite value at sample ${t}; drop or repair it first`, 'tddr');
      mean += v;
    }
    mean /= n;
    for (let t = 0; t < n; t++) sig[t] = x[o + t] - mean;
    const low = sos ? (sosfiltfilt(sos, sig, 1, n, { padtype: null }) as Float64Array) : sig.slice();
    for (let t = 0; t < n - 1; t++) deriv[t] = low[t + 1] - low[t];
    w.fill(1);
    let mu = Infinity;
    for (let iter = 0; iter < MAX_ITERATIONS; iter++) {
      const mu0 = mu;
      let sw = 0;
      let swd = 0;
      for (let t = 0; t < n - 1; t++) {
        swd += w[t] * deriv[t];
        sw += w[t];
      }
      mu = swd / sw;
      for (let t = 0; t < n - 1; t++) dev[t] = Math.abs(deriv[t] - mu);
      scratch.set(dev);
      const sigma = 1.4826 * medianInPlace(scratch);
      if (sigma === 0) break;
      for (let t = 0; t < n - 1; t++) {
        const r = dev[t] / (sigma * TUNE);
        w[t] = r < 1 ? (1 - r * r) ** 2 : 0;
      }
      if (Math.abs(mu - mu0) < SQRT_EPS * Math.max(Math.abs(mu), Math.abs(mu0))) break;
    }
    // Corrected low part: integrate the re-weighted, centred derivative; restore high part and mean.
    let acc = 0;
    let accMean = 0;
    for (let t = 0; t < n - 1; t++) {
      acc += w[t] * (deriv[t] - mu);
      lowNew[t + 1] = acc;
    }
    for (let t = 0; t < n; t++) accMean += lowNew[t];
    accMean /= n;
    for (let t = 0; t < n; t++) out[o + t] = lowNew[t] - accMean + (sig[t] - low[t]) + mean;
  }
  return out;
}
