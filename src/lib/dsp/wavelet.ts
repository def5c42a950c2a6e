// Continuous wavelet transform with complex Morlet wavelets as MNE-Python 1.3's `morlet` and
// `tfr_array_morlet` (NeuroPype's ContinuousWaveletTransform; its pywt 'cmorB-C' wavelet maps onto
// these through `cmorAsMorlet`). Runs anywhere; allocates per call (one-shot over segments).
//
// Wavelet at f with n cycles: σ = n/(2πf); t = k/fs for |k/fs| < 5σ (a sample at 0, symmetric);
// W = (e^{2πift} − [zeroMean] e^{−2(πfσ)²}) · e^{−t²/(2σ²)}, scaled to ‖W‖ = √2. The transform is the
// linear convolution x * W, centred ('same': output t = full index t + (len W − 1)/2), by FFT.
import { InputError } from '../core/errors';
import { Fft } from './fft';

export interface MorletOptions {
  /** Cycles per wavelet: one number or one per frequency (MNE's n_cycles, default 7). */
  nCycles?: number | readonly number[];
  /** Subtract the wavelet's DC offset (MNE's zero_mean, default false). */
  zeroMean?: boolean;
}

/** MNE `morlet(sfreq, freqs, n_cycles, zero_mean=…)`: complex wavelets as interleaved [re, im] arrays. */
export function morletWavelets(sampleRateHz: number, freqsHz: readonly number[], options: MorletOptions = {}): { re: Float64Array; im: Float64Array }[] {
  const where = 'Morlet wavelets';
  if (!(sampleRateHz > 0)) throw new InputError(`sampling rate must be positive, got ${sampleRateHz}`, where);
  const nc = options.nCycles ?? 7;
  const cycles = typeof nc === 'number' ? freqsHz.map(() => nc) : [...nc];
  if (cycles.length !== freqsHz.length) throw new InputError(`${cycles.length} cycle counts for ${freqsHz.length} frequencies; give one or one per frequency`, where);
  return freqsHz.map((f, i) => {
    if (!(f > 0)) throw new InputError(`frequencies must be greater than 0, got ${f}`, where);
    const sigma = cycles[i] / (2 * Math.PI * f);
    const dt = 1 / sampleRateHz;
    const half = Math.ceil((5 * sigma) / dt); // numpy.arange(0, 5σ, 1/fs) has this many points
    const n = 2 * half - 1;
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    const offset = options.zeroMean ? Math.exp(-2 * (Math.PI * f * sigma) ** 2) : 0;
    let norm = 0;
    for (let k = 0; k < n; k++) {
      const t = (k - (half - 1)) * dt;
      const g = Math.exp(-(t * t) / (2 * sigma * sigma));
      re[k] = (Math.cos(2 * Math.PI * f * t) - offset) * g;
      im[k] = Math.sin(2 * Math.PI * f * t) * g;
      norm += re[k] * re[k] + im[k] * im[k];
    }
    const s = 1 / (Math.sqrt(0.5) * Math.sqrt(norm));
    for (let k = 0; k < n; k++) {
      re[k] *= s;
      im[k] *= s;
    }
    return { re, im };
  });
}

export interface Tfr {
  /** [signal][frequency][time] real and imaginary parts (output 'complex'), or the power / phase in `re`. */
  re: Float64Array;
  im: Float64Array | null;
  signals: number;
  freqs: number;
  times: number;
}

/**
 * MNE `tfr_array_morlet(x, sfreq, freqs, n_cycles, zero_mean, output)` for CHANNEL-MAJOR signals
 * (nSignals × nTimes, e.g. epochs × channels flattened). output 'complex' (default), 'power' (|·|²) or 'phase'.
 */
export function tfrMorlet(x: ArrayLike<number>, nSignals: number, nTimes: number, sampleRateHz: number, freqsHz: readonly number[], options: MorletOptions & { output?: 'complex' | 'power' | 'phase' } = {}): Tfr {
  const where = 'Morlet transform';
  if (x.length !== nSignals * nTimes) throw new InputError(`expected ${nSignals}×${nTimes} samples, got ${x.length}`, where);
  const ws = morletWavelets(sampleRateHz, freqsHz, options);
  const longest = Math.max(...ws.map((w) => w.re.length));
  if (longest > nTimes) throw new InputError(`a wavelet is ${longest} samples long but the signal has ${nTimes}; use fewer cycles, higher frequencies or longer segments`, where);
  const fsize = 2 ** Math.ceil(Math.log2(nTimes + longest - 1));
  const fft = new Fft(fsize);
  const wRe = ws.map((w) => {
    const re = new Float64Array(fsize);
    const im = new Float64Array(fsize);
    re.set(w.re);
    im.set(w.im);
    fft.transform(re, im);
    return { re, im, len: w.re.length };
  });
  const F = freqsHz.length;
  const output = options.output ?? 'complex';
  const outRe = new Float64Array(nSignals * F * nTimes);
  const outIm = output === 'complex' ? new Float64Array(nSignals * F * nTimes) : null;
  const xr = new Float64Array(fsize);
  const xi = new Float64Array(fsize);
  const pr = new Float64Array(fsize);
  const pi = new Float64Array(fsize);
  for (let s = 0; s < nSignals; s++) {
    xr.fill(0);
    xi.fill(0);
    for (let t = 0; t < nTimes; t++) xr[t] = x[s * nTimes + t];
    fft.transform(xr, xi);
    for (let f = 0; f < F; f++) {
      const w = wRe[f];
      // inverse FFT of the product through the conjugate
      for (let k = 0; k < fsize; k++) {
        pr[k] = xr[k] * w.re[k] - xi[k] * w.im[k];
        pi[k] = -(xr[k] * w.im[k] + xi[k] * w.re[k]);
      }
      fft.transform(pr, pi);
      const start = (w.len - 1) >> 1;
      const o = (s * F + f) * nTimes;
      for (let t = 0; t < nTimes; t++) {
        const re = pr[start + t] / fsize;
        const im = -pi[start + t] / fsize;
        if (output === 'complex') {
          outRe[o + t] = re;
          outIm![o + t] = im;
        } else outRe[o + t] = output === 'power' ? re * re + im * im : Math.atan2(im, re);
      }
    }
  }
  return { re: outRe, im: outIm, signals: nSignals, freqs: F, times: nTimes };
}

/**
 * NeuroPype's parameters (pywt 'cmorB-C': ψ(t) = (πB)^{-1/2} e^{−t²/B} e^{2πiCt}, scales s) as MNE Morlet
 * settings: frequency f = C·fs/s, and the same Gaussian width in cycles, n = 2πC·√(B/2). The
 * normalisation is MNE's (‖W‖ = √2), not pywt's.
 */
export function cmorAsMorlet(bandwidth: number, centerFrequency: number, scales: readonly number[], sampleRateHz: number): { freqsHz: number[]; nCycles: number } {
  if (!(bandwidth > 0) || !(centerFrequency > 0)) throw new InputError('cmor bandwidth and center frequency must be positive', 'CWT');
  return { freqsHz: scales.map((s) => (centerFrequency * sampleRateHz) / s), nCycles: 2 * Math.PI * centerFrequency * Math.sqrt(bandwidth / 2) };
}
