// Running PSD of a sliding window for the bins a band-power read-out needs: what `scipy.signal.welch`
// gives for one segment spanning the window (periodic cosine window, constant detrend, density or
// spectrum scaling, one-sided), at every step. For few bins and short steps, updated sample by sample
// (sliding DFT: O(bins) per sample instead of an FFT of the whole window per step); otherwise the last
// N samples are kept and each window goes through welch. Any thread. HOT PATH: push() (no allocation).
//
// Math (sliding). A_j = Σ x[n]·e^(−2πi·j·n/N) over the absolute sample indices n of the window (twiddles
// depend on n mod N only, so each sample adds its difference with the sample leaving the window). The
// window-relative DFT is X_j = ω^j·A_j with ω = e^(2πi·n0/N), n0 = the window's first index. A
// constant detrend zeroes X_0; a cosine window a0 − a1·cos(2πm/N) turns into three taps in
// frequency, Y_k = a0·X_k − a1/2·(X_(k−1) + X_(k+1)); for real x, A_(−j) = conj(A_j). Rounding does
// not last: a second accumulator sums each run of N samples from zero (additions only, relative to the
// run's first sample so a DC offset costs no precision) and replaces the sliding one whenever a window
// starts at a multiple of N; a garbage value (say 1e30 from a garbled packet) is forgotten in ≤ 2N.
import { InputError } from '../core/errors';
import { psdScale, welch } from './spectral';

export type SlidingWindowName = 'hann' | 'hamming' | 'boxcar';
const COSINE_TERMS: Record<SlidingWindowName, readonly [number, number]> = { hann: [0.5, 0.5], hamming: [0.54, 0.46], boxcar: [1, 0] };

export interface SlidingSpectrumOptions {
  channels: number;
  sampleRateHz: number;
  /** Window length N (samples): one DFT segment, as welch's nperseg = nfft = N. */
  windowFrames: number;
  /** A window ends after the first N samples, then every `stepFrames` samples. */
  stepFrames: number;
  window?: SlidingWindowName;
  detrend?: 'constant' | false;
  /** 'density' (unit²/Hz, default) or 'spectrum' (unit²), as welch's scaling. */
  scaling?: 'density' | 'spectrum';
  /** Frequency range whose bins (loHz ≤ k·fs/N ≤ hiHz) are estimated. */
  loHz: number;
  hiHz: number;
  /**
   * 'sliding': update the bins at every sample (cheap for few bins and short steps); 'fft': keep the
   * last N samples and run welch on each window (cheaper for many bins or long steps); 'auto'
   * (default) picks the cheaper by a cost estimate. Both give the same numbers.
   */
  method?: 'auto' | 'sliding' | 'fft';
}

/** Rough per-channel costs (ns) measured in V8: a bin update per sample, and an N-point Welch window. */
function slidingIsCheaper(bins: number, stepFrames: number, n: number): boolean {
  const slidingNs = 4.5 * bins * stepFrames;
  const pow2 = (n & (n - 1)) === 0;
  const fftNs = n * ((pow2 ? 0.6 : 2.5) * Math.log2(n) + 3);
  return slidingNs < fftNs;
}

export class SlidingSpectrum {
  /** Frequencies of the estimated bins (k·fs/N for k = firstBin … ). */
  readonly freqsHz: Float64Array;
  readonly binCount: number;
  /** PSD of the last window that ended, CHANNEL-MAJOR [channel, bin] (unit²/Hz, or unit² with scaling 'spectrum'); NaN for a channel whose window holds a non-finite sample. */
  readonly psd: Float64Array;
  readonly firstBin: number;
  /** Samples between window ends. */
  readonly stepFrames: number;
  /** How the bins are computed ('auto' resolved). */
  readonly method: 'sliding' | 'fft';
  /** Non-finite samples (NaN, ±Inf) seen since construction or reset. */
  nonFiniteSamples = 0;
  private readonly ch: number;
  private readonly n: number;
  private readonly a0: number;
  private readonly a1Half: number;
  private readonly detrend: boolean;
  private readonly scale: number;
  private readonly lastDoubled: number;
  /** Accumulated bins j = accFirst … accFirst + accCount − 1 (the estimated bins and their neighbours). */
  private readonly accFirst: number;
  private readonly accCount: number;
  /** Per estimated bin, for taps k, k − 1, k + 1: accumulator offset (−1: a zero term) and imaginary sign (−1: conjugate). */
  private readonly tapAt: Int32Array;
  private readonly tapSign: Float64Array;
  private readonly cosT: Float64Array;
  private readonly sinT: Float64Array;
  private readonly win: SlidingWindowName;
  private readonly scaling: 'density' | 'spectrum';
  private readonly fs: number;
  /** FFT method: the window in channel-major order, and welch's full PSD. */
  private fftIn = new Float64Array(0);
  private fftPsd: Float64Array = new Float64Array(0);
  /** Twiddles of the current sample, interleaved [re, im] per accumulated bin. */
  private readonly tw: Float64Array;
  /**
   * Accumulators, interleaved per channel and bin: [A re, A im, B re, B im] at 4·(c·M + m). A slides
   * (adds the new sample, drops the leaving one); B sums the current run of N from zero.
   */
  private readonly acc: Float64Array;
  /** The last N samples (frame-major ring, float64 so what leaves is exactly what entered; non-finite samples stored as 0). */
  private readonly hist: Float64Array;
  private readonly lastBad: Float64Array;
  /** Per channel, the first sample of the current run of N (the fresh accumulator sums x − ref). */
  private readonly ref: Float64Array;
  private count = 0;
  private nextEnd: number;

  constructor(o: SlidingSpectrumOptions) {
    const where = 'SlidingSpectrum';
    const N = o.windowFrames;
    if (!Number.isInteger(N) || N < 2) throw new InputError(`window length must be an integer ≥ 2 samples, got ${N}`, where);
    if (!Number.isInteger(o.stepFrames) || o.stepFrames < 1) throw new InputError(`step must be a positive integer of samples, got ${o.stepFrames}`, where);
    if (!Number.isInteger(o.channels) || o.channels < 1) throw new InputError(`channels must be a positive integer, got ${o.channels}`, where);
    if (!(o.sampleRateHz > 0)) throw new InputError(`sample rate must be positive, got ${o.sampleRateHz}`, where);
    const fs = o.sampleRateHz;
    const half = N >> 1;
    // bins with lo ≤ f ≤ hi, f computed as welch computes it
    let k0 = 0;
    while (k0 <= half && (k0 * fs) / N < o.loHz) k0++;
    let k1 = k0;
    while (k1 <= half && (k1 * fs) / N <= o.hiHz) k1++;
    this.firstBin = k0;
    this.binCount = k1 - k0;
    this.freqsHz = new Float64Array(this.binCount);
    for (let k = 0; k < this.binCount; k++) this.freqsHz[k] = ((k0 + k) * fs) / N;
    const win = o.window ?? 'hann';
    [this.a0, this.a1Half] = [COSINE_TERMS[win][0], COSINE_TERMS[win][1] / 2];
    this.detrend = (o.detrend ?? 'constant') === 'constant';
    this.scale = psdScale(win, N, fs, o.scaling ?? 'density');
    this.lastDoubled = N % 2 === 0 ? half : half + 1;
    const neighbours = this.a1Half !== 0 ? 1 : 0;
    this.accFirst = Math.max(0, k0 - neighbours);
    const bins = Math.max(0, Math.min(half, k1 - 1 + neighbours) - this.accFirst + 1);
    const method = o.method ?? 'auto';
    this.method = method === 'auto' ? (slidingIsCheaper(bins, o.stepFrames, N) ? 'sliding' : 'fft') : method;
    // the FFT method accumulates nothing: push only keeps the history
    this.accCount = this.method === 'sliding' ? bins : 0;
    this.win = win;
    this.scaling = o.scaling ?? 'density';
    this.fs = fs;
    this.tapAt = new Int32Array(3 * this.binCount);
    this.tapSign = new Float64Array(3 * this.binCount);
    const detrend = this.detrend;
    for (let b = 0; b < this.binCount; b++) {
      const k = k0 + b;
      [k, k - 1, k + 1].forEach((j, t) => {
        let sign = 1;
        if (j < 0) [j, sign] = [-j, -1]; // A_(−j) = conj(A_j) for real x
        else if (j > half) [j, sign] = [N - j, -1]; // A_(N−j) = conj(A_j)
        const unused = (j === 0 && detrend) || (t > 0 && neighbours === 0);
        this.tapAt[3 * b + t] = unused ? -1 : j - this.accFirst;
        this.tapSign[3 * b + t] = sign;
      });
    }
    this.ch = o.channels;
    this.n = N;
    this.stepFrames = o.stepFrames;
    this.cosT = new Float64Array(N);
    this.sinT = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      this.cosT[i] = Math.cos((2 * Math.PI * i) / N);
      this.sinT[i] = Math.sin((2 * Math.PI * i) / N);
    }
    this.tw = new Float64Array(2 * this.accCount);
    this.acc = new Float64Array(4 * o.channels * this.accCount);
    this.hist = new Float64Array(N * o.channels);
    this.lastBad = new Float64Array(o.channels).fill(-Infinity);
    this.ref = new Float64Array(o.channels);
    this.psd = new Float64Array(o.channels * this.binCount);
    this.nextEnd = N;
  }

  /**
   * Feeds `frames` FRAME-MAJOR frames; calls `onWindow(frame)` (index in this chunk of the window's
   * last frame) whenever a window ends, with `psd` holding that window's spectrum. HOT PATH.
   */
  push(x: ArrayLike<number>, frames: number, onWindow: (frame: number) => void): void {
    const { ch, n: N, accFirst, accCount: M, cosT, sinT, tw, acc, hist, ref } = this;
    if (x.length < frames * ch) throw new InputError(`expected ${frames}×${ch} samples, got ${x.length}`, 'SlidingSpectrum');
    for (let f = 0; f < frames; f++) {
      const abs = this.count;
      const pos = abs % N;
      // twiddles e^(−2πi·j·abs/N) for the accumulated bins
      for (let m = 0; m < M; m++) {
        const idx = ((accFirst + m) * pos) % N;
        tw[2 * m] = cosT[idx];
        tw[2 * m + 1] = -sinT[idx];
      }
      const row = f * ch;
      const h = pos * ch;
      for (let c = 0; c < ch; c++) {
        let v = x[row + c];
        if (!(v - v === 0)) {
          v = 0; // NaN/±Inf: the channel reads NaN while this sample is in its window
          this.lastBad[c] = abs;
          this.nonFiniteSamples++;
        }
        const d = v - hist[h + c];
        hist[h + c] = v;
        if (pos === 0) ref[c] = v;
        const e = v - ref[c];
        for (let m = 0, i = 4 * c * M; m < 2 * M; m += 2, i += 4) {
          const re = tw[m];
          const im = tw[m + 1];
          acc[i] += d * re;
          acc[i + 1] += d * im;
          acc[i + 2] += e * re;
          acc[i + 3] += e * im;
        }
      }
      this.count = abs + 1;
      if (pos === N - 1) {
        // the window [abs − N + 1, abs] starts at a multiple of N: take the exact sums, start afresh
        for (let i = 0; i < acc.length; i += 4) {
          acc[i] = acc[i + 2];
          acc[i + 1] = acc[i + 3];
          acc[i + 2] = 0;
          acc[i + 3] = 0;
        }
        if (accFirst === 0) for (let c = 0; c < ch; c++) acc[4 * c * M] += N * ref[c]; // bin 0 sums x itself
      }
      if (this.count === this.nextEnd) {
        this.nextEnd += this.stepFrames;
        this.estimate(abs);
        onWindow(f);
      }
    }
  }

  /** Window of `N` samples ending at absolute index `end` → `psd`. */
  private estimate(end: number): void {
    if (this.method === 'fft') return this.estimateByFft(end);
    const { ch, n: N, accCount: M, acc, a0, a1Half, scale, lastDoubled, firstBin, binCount, psd, tapAt, tapSign } = this;
    // ω = e^(2πi·n0/N), n0 = first sample of the window
    const p0 = (end - N + 1) % N;
    const wRe = this.cosT[p0];
    const wIm = this.sinT[p0];
    for (let c = 0; c < ch; c++) {
      const out = c * binCount;
      if (this.lastBad[c] > end - N) {
        psd.fill(NaN, out, out + binCount);
        continue;
      }
      const base = c * M;
      for (let b = 0; b < binCount; b++) {
        const t = 3 * b;
        // taps k, k − 1, k + 1: accumulator offset (−1 = zero) and sign of the imaginary part
        let i = tapAt[t];
        let yRe = i < 0 ? 0 : a0 * acc[4 * (base + i)];
        let yIm = i < 0 ? 0 : a0 * tapSign[t] * acc[4 * (base + i) + 1];
        if (a1Half !== 0) {
          i = tapAt[t + 1];
          if (i >= 0) {
            // − a1/2 · ω⁻¹·A_(k−1)
            const re = acc[4 * (base + i)];
            const im = tapSign[t + 1] * acc[4 * (base + i) + 1];
            yRe -= a1Half * (wRe * re + wIm * im);
            yIm -= a1Half * (wRe * im - wIm * re);
          }
          i = tapAt[t + 2];
          if (i >= 0) {
            // − a1/2 · ω·A_(k+1)
            const re = acc[4 * (base + i)];
            const im = tapSign[t + 2] * acc[4 * (base + i) + 1];
            yRe -= a1Half * (wRe * re - wIm * im);
            yIm -= a1Half * (wRe * im + wIm * re);
          }
        }
        const k = firstBin + b;
        psd[out + b] = (yRe * yRe + yIm * yIm) * scale * (k >= 1 && k < lastDoubled ? 2 : 1);
      }
    }
  }

  /** The same window through welch (one segment of N): the history is in order from slot (end + 1) mod N. */
  private estimateByFft(end: number): void {
    const { ch, n: N, hist, psd, firstBin, binCount } = this;
    if (this.fftIn.length !== ch * N) this.fftIn = new Float64Array(ch * N);
    const x = this.fftIn;
    const p0 = (end + 1) % N;
    for (let m = 0; m < N; m++) {
      const row = ((p0 + m) % N) * ch;
      for (let c = 0; c < ch; c++) x[c * N + m] = hist[row + c];
    }
    const full = welch(x, ch, N, this.fs, { nperseg: N, window: this.win, detrend: this.detrend ? 'constant' : false, scaling: this.scaling, out: { psd: this.fftPsd } });
    this.fftPsd = full.psd;
    for (let c = 0; c < ch; c++) {
      const out = c * binCount;
      if (this.lastBad[c] > end - N) psd.fill(NaN, out, out + binCount);
      else psd.set(full.psd.subarray(c * full.binCount + firstBin, c * full.binCount + firstBin + binCount), out);
    }
  }

  /** Forgets every sample (the next window ends N samples from now). */
  reset(): void {
    this.count = 0;
    this.nextEnd = this.n;
    this.acc.fill(0);
    this.hist.fill(0);
    this.lastBad.fill(-Infinity);
    this.nonFiniteSamples = 0;
  }
}
