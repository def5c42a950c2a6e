// FFT band-pass ("brick-wall" spectral selection) for NeuroPype's SpectralSelection and for the
// filter-bank CSP's bands: FFT along time (zero-padded to nfft), bins outside the pass bands set to
// zero (band edges inclusive), inverse FFT, first `samples` values kept — numpy's
// irfft(mask · rfft(x, nfft), nfft)[:samples]. Runs anywhere; one-shot functions allocate; the
// streaming class allocates nothing per chunk after its first full block.
import { InputError } from '../core/errors';
import { Fft } from './fft';

export type BandHz = readonly [number, number];

function checkBands(bands: readonly BandHz[], where: string): void {
  if (bands.length === 0) throw new InputError('give at least one [low, high] band in Hz', where);
  for (const [lo, hi] of bands) if (!(lo <= hi) || !Number.isFinite(lo) || !Number.isFinite(hi)) throw new InputError(`band [${lo}, ${hi}] Hz is not a range low ≤ high`, where);
}

/** Pass mask over the nfft bins (both halves of the spectrum). */
function passMask(nfft: number, sampleRateHz: number, bands: readonly BandHz[]): Uint8Array {
  const mask = new Uint8Array(nfft);
  for (let k = 0; k <= nfft >> 1; k++) {
    const f = (k * sampleRateHz) / nfft;
    if (bands.some(([lo, hi]) => f >= lo && f <= hi)) {
      mask[k] = 1;
      mask[(nfft - k) % nfft] = 1;
    }
  }
  return mask;
}

/** Band-pass CHANNEL-MAJOR x (nch × ns) by FFT masking; nfft ≥ ns (default the next power of two). */
export function fftBandPass(x: ArrayLike<number>, nch: number, ns: number, sampleRateHz: number, bands: readonly BandHz[], nfft?: number): Float64Array {
  const where = 'FFT band-pass';
  if (x.length !== nch * ns) throw new InputError(`expected ${nch}×${ns} samples, got ${x.length}`, where);
  checkBands(bands, where);
  const n = nfft ?? 2 ** Math.ceil(Math.log2(Math.max(ns, 1)));
  if (!Number.isInteger(n) || n < ns) throw new InputError(`FFT size ${n} is shorter than the ${ns} samples`, where);
  const fft = new Fft(n);
  const mask = passMask(n, sampleRateHz, bands);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  const out = new Float64Array(nch * ns);
  for (let c = 0; c < nch; c++) {
    re.fill(0);
    im.fill(0);
    for (let t = 0; t < ns; t++) re[t] = x[c * ns + t];
    fft.transform(re, im);
    // inverse through the conjugate: x = conj(FFT(conj(X · mask))) / n, real part only
    for (let k = 0; k < n; k++) {
      re[k] *= mask[k];
      im[k] *= -mask[k];
    }
    fft.transform(re, im);
    for (let t = 0; t < ns; t++) out[c * ns + t] = re[t] / n;
  }
  return out;
}

/**
 * Streaming spectral selection for FRAME-MAJOR chunks: the signal is cut into consecutive blocks of
 * `blockSamples` (counted from the stream's start, so any chunking gives the same output), each
 * band-passed on its own; a block leaves when full, so the output lags by up to one block.
 */
export class BlockSpectralSelection {
  readonly channelCount: number;
  readonly blockSamples: number;
  private readonly buf: Float64Array;
  private readonly chMajor: Float64Array;
  private readonly sampleRateHz: number;
  private readonly bands: readonly BandHz[];
  private filled = 0;

  constructor(channelCount: number, sampleRateHz: number, bands: readonly BandHz[], blockSamples = 100) {
    if (!Number.isInteger(blockSamples) || blockSamples < 1) throw new InputError(`block size must be a positive number of samples, got ${blockSamples}`, 'SpectralSelection');
    checkBands(bands, 'SpectralSelection');
    this.channelCount = channelCount;
    this.blockSamples = blockSamples;
    this.sampleRateHz = sampleRateHz;
    this.bands = bands;
    this.buf = new Float64Array(blockSamples * channelCount);
    this.chMajor = new Float64Array(blockSamples * channelCount);
  }

  /** Feed a chunk; returns the completed blocks (FRAME-MAJOR, the input's type). */
  process<T extends Float32Array | Float64Array>(chunk: T): T {
    const C = this.channelCount;
    const frames = chunk.length / C;
    const B = this.blockSamples;
    const total = Math.floor((this.filled + frames) / B) * B;
    const out = (chunk instanceof Float32Array ? new Float32Array(total * C) : new Float64Array(total * C)) as T;
    let o = 0;
    for (let f = 0; f < frames; f++) {
      this.buf.set(chunk.subarray(f * C, (f + 1) * C), this.filled * C);
      if (++this.filled === B) {
        for (let t = 0; t < B; t++) for (let c = 0; c < C; c++) this.chMajor[c * B + t] = this.buf[t * C + c];
        const y = fftBandPass(this.chMajor, C, B, this.sampleRateHz, this.bands);
        for (let t = 0; t < B; t++) for (let c = 0; c < C; c++) out[o++] = y[c * B + t];
        this.filled = 0;
      }
    }
    return out;
  }

  reset(): void {
    this.filled = 0;
  }
}
