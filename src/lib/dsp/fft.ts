// Fast Fourier transforms in float64: complex FFT of any length (iterative radix-2 for powers of two,
// Bluestein's chirp-z for other lengths) and a real FFT (half-length complex FFT + split), matching
// numpy/scipy.fft `rfft` (no normalisation). Runs on any thread. Plans allocate once; HOT PATH:
// `RealFft.forward`/`power` and `Fft.transform` allocate nothing per call.
import { InputError } from '../core/errors';

const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

function checkLength(n: number, where: string): void {
  if (!Number.isInteger(n) || n < 1 || n > 1 << 26) throw new InputError(`FFT length must be an integer from 1 to 2^26, got ${n}`, where);
}

/** In-place radix-2 complex FFT of a power-of-two length (forward, e^{-2πikn/N}). */
class Radix2 {
  readonly n: number;
  private readonly rev: Uint32Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(n: number) {
    this.n = n;
    const bits = Math.round(Math.log2(n));
    this.rev = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
    const half = n >> 1;
    this.cos = new Float64Array(Math.max(half, 1));
    this.sin = new Float64Array(Math.max(half, 1));
    for (let k = 0; k < half; k++) {
      // exact values at the quarter points keep symmetric inputs exactly symmetric
      const a = (2 * Math.PI * k) / n;
      this.cos[k] = 4 * k === n ? 0 : Math.cos(a);
      this.sin[k] = -(4 * k === n ? 1 : Math.sin(a));
    }
  }

  /** HOT PATH: forward transform of (re, im) in place. */
  transform(re: Float64Array, im: Float64Array): void {
    const n = this.n;
    const rev = this.rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i];
      if (j > i) {
        let t = re[i];
        re[i] = re[j];
        re[j] = t;
        t = im[i];
        im[i] = im[j];
        im[j] = t;
      }
    }
    // size-2 butterflies
    for (let i = 0; i + 1 < n; i += 2) {
      const ar = re[i], ai = im[i], br = re[i + 1], bi = im[i + 1];
      re[i] = ar + br;
      im[i] = ai + bi;
      re[i + 1] = ar - br;
      im[i + 1] = ai - bi;
    }
    const cos = this.cos;
    const sin = this.sin;
    for (let size = 4; size <= n; size <<= 1) {
      const half = size >> 1;
      const step = n / size;
      for (let start = 0; start < n; start += size) {
        for (let j = 0, t = 0; j < half; j++, t += step) {
          const wr = cos[t], wi = sin[t];
          const p = start + j, q = p + half;
          const xr = re[q] * wr - im[q] * wi;
          const xi = re[q] * wi + im[q] * wr;
          re[q] = re[p] - xr;
          im[q] = im[p] - xi;
          re[p] += xr;
          im[p] += xi;
        }
      }
    }
  }
}

/** Complex FFT of any length: radix-2 when possible, else Bluestein over a power-of-two convolution. */
export class Fft {
  readonly n: number;
  private readonly r2?: Radix2;
  private readonly inner?: Radix2;
  private readonly chirpRe?: Float64Array;
  private readonly chirpIm?: Float64Array;
  private readonly kernRe?: Float64Array;
  private readonly kernIm?: Float64Array;
  private readonly bufRe?: Float64Array;
  private readonly bufIm?: Float64Array;

  constructor(n: number) {
    checkLength(n, 'Fft');
    this.n = n;
    if (isPow2(n)) {
      this.r2 = new Radix2(n);
      return;
    }
    let m = 1;
    while (m < 2 * n - 1) m <<= 1;
    this.inner = new Radix2(m);
    this.chirpRe = new Float64Array(n);
    this.chirpIm = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      // w_k = exp(-iπ k²/n), with k² (exact below 2^53) reduced mod 2n to keep the angle small
      const k2 = (k * k) % (2 * n);
      const a = (Math.PI * k2) / n;
      this.chirpRe[k] = Math.cos(a);
      this.chirpIm[k] = -Math.sin(a);
    }
    this.kernRe = new Float64Array(m);
    this.kernIm = new Float64Array(m);
    for (let k = 0; k < n; k++) {
      // conj(w_k) at k and m − k
      this.kernRe[k] = this.chirpRe[k];
      this.kernIm[k] = -this.chirpIm[k];
      if (k > 0) {
        this.kernRe[m - k] = this.chirpRe[k];
        this.kernIm[m - k] = -this.chirpIm[k];
      }
    }
    this.inner.transform(this.kernRe, this.kernIm);
    this.bufRe = new Float64Array(m);
    this.bufIm = new Float64Array(m);
  }

  /** Forward transform in place (arrays of length n). */
  transform(re: Float64Array, im: Float64Array): void {
    if (re.length < this.n || im.length < this.n) throw new InputError(`FFT of length ${this.n} needs arrays of that length`, 'Fft.transform');
    if (this.r2) {
      this.r2.transform(re, im);
      return;
    }
    const n = this.n;
    const inner = this.inner!;
    const m = inner.n;
    const cr = this.chirpRe!, ci = this.chirpIm!, br = this.bufRe!, bi = this.bufIm!, kr = this.kernRe!, ki = this.kernIm!;
    br.fill(0);
    bi.fill(0);
    for (let k = 0; k < n; k++) {
      br[k] = re[k] * cr[k] - im[k] * ci[k];
      bi[k] = re[k] * ci[k] + im[k] * cr[k];
    }
    inner.transform(br, bi);
    for (let k = 0; k < m; k++) {
      const r = br[k] * kr[k] - bi[k] * ki[k];
      const i = br[k] * ki[k] + bi[k] * kr[k];
      // inverse via conjugation: ifft(X) = conj(fft(conj(X))) / m
      br[k] = r;
      bi[k] = -i;
    }
    inner.transform(br, bi);
    const s = 1 / m;
    for (let k = 0; k < n; k++) {
      const r = br[k] * s;
      const i = -bi[k] * s;
      re[k] = r * cr[k] - i * ci[k];
      im[k] = r * ci[k] + i * cr[k];
    }
  }
}

/**
 * Real-input FFT of length n (numpy.fft.rfft / scipy.fft.rfft without normalisation): n/2+1 bins
 * (floor). Even n uses one complex FFT of n/2 points plus a split; odd n a full complex FFT.
 */
export class RealFft {
  readonly n: number;
  /** Number of output bins, floor(n/2) + 1. */
  readonly bins: number;
  private readonly half?: Fft;
  private readonly full?: Fft;
  private readonly zr: Float64Array;
  private readonly zi: Float64Array;
  private readonly twr: Float64Array;
  private readonly twi: Float64Array;

  constructor(n: number) {
    checkLength(n, 'RealFft');
    this.n = n;
    this.bins = (n >> 1) + 1;
    if (n % 2 === 0 && n >= 2) {
      const h = n >> 1;
      this.half = new Fft(h);
      this.zr = new Float64Array(h);
      this.zi = new Float64Array(h);
      this.twr = new Float64Array(h + 1);
      this.twi = new Float64Array(h + 1);
      for (let k = 0; k <= h; k++) {
        const a = (2 * Math.PI * k) / n;
        this.twr[k] = Math.cos(a);
        this.twi[k] = -Math.sin(a);
      }
    } else {
      this.full = new Fft(n);
      this.zr = new Float64Array(n);
      this.zi = new Float64Array(n);
      this.twr = this.twi = new Float64Array(0);
    }
  }

  /** Transform x[offset .. offset+n) into re/im (length ≥ bins). HOT PATH (no allocation). */
  forward(x: ArrayLike<number>, re: Float64Array, im: Float64Array, offset = 0): void {
    const n = this.n;
    const zr = this.zr, zi = this.zi;
    if (this.full) {
      for (let i = 0; i < n; i++) {
        zr[i] = x[offset + i];
        zi[i] = 0;
      }
      this.full.transform(zr, zi);
      for (let k = 0; k < this.bins; k++) {
        re[k] = zr[k];
        im[k] = zi[k];
      }
      return;
    }
    const h = n >> 1;
    for (let i = 0; i < h; i++) {
      zr[i] = x[offset + 2 * i];
      zi[i] = x[offset + 2 * i + 1];
    }
    this.half!.transform(zr, zi);
    this.split(re, im);
  }

  /** X[k] = E[k] + W^k O[k], with E, O the spectra of the even/odd samples recovered from Z. */
  private split(re: Float64Array, im: Float64Array): void {
    const h = this.n >> 1;
    const zr = this.zr, zi = this.zi, twr = this.twr, twi = this.twi;
    re[0] = zr[0] + zi[0];
    im[0] = 0;
    re[h] = zr[0] - zi[0];
    im[h] = 0;
    for (let k = 1; k < h; k++) {
      const ar = zr[k], ai = zi[k], br = zr[h - k], bi = -zi[h - k];
      const er = 0.5 * (ar + br), ei = 0.5 * (ai + bi);
      // O = (Z[k] − conj Z[h−k]) / (2i)
      const dr = ar - br, di = ai - bi;
      const or = 0.5 * di, oi = -0.5 * dr;
      re[k] = er + twr[k] * or - twi[k] * oi;
      im[k] = ei + twr[k] * oi + twi[k] * or;
    }
  }

  /** |X[k]|² for k = 0..bins−1, added to `acc` when `accumulate`, else written. HOT PATH. */
  power(x: ArrayLike<number>, out: Float64Array, offset = 0, accumulate = false): void {
    const n = this.n;
    if (this.full) {
      const zr = this.zr, zi = this.zi;
      for (let i = 0; i < n; i++) {
        zr[i] = x[offset + i];
        zi[i] = 0;
      }
      this.full.transform(zr, zi);
      for (let k = 0; k < this.bins; k++) {
        const p = zr[k] * zr[k] + zi[k] * zi[k];
        out[k] = accumulate ? out[k] + p : p;
      }
      return;
    }
    const h = n >> 1;
    const zr = this.zr, zi = this.zi, twr = this.twr, twi = this.twi;
    for (let i = 0; i < h; i++) {
      zr[i] = x[offset + 2 * i];
      zi[i] = x[offset + 2 * i + 1];
    }
    this.half!.transform(zr, zi);
    const p0 = (zr[0] + zi[0]) ** 2;
    const ph = (zr[0] - zi[0]) ** 2;
    out[0] = accumulate ? out[0] + p0 : p0;
    out[h] = accumulate ? out[h] + ph : ph;
    for (let k = 1; k < h; k++) {
      const ar = zr[k], ai = zi[k], br = zr[h - k], bi = -zi[h - k];
      const er = 0.5 * (ar + br), ei = 0.5 * (ai + bi);
      const or = 0.5 * (ai - bi), oi = -0.5 * (ar - br);
      const xr = er + twr[k] * or - twi[k] * oi;
      const xi = ei + twr[k] * oi + twi[k] * or;
      const p = xr * xr + xi * xi;
      out[k] = accumulate ? out[k] + p : p;
    }
  }
}

/** One-shot real FFT of a whole array: { re, im } of floor(n/2)+1 bins. Allocates. */
export function rfft(x: ArrayLike<number>): { re: Float64Array; im: Float64Array } {
  const plan = new RealFft(x.length);
  const re = new Float64Array(plan.bins);
  const im = new Float64Array(plan.bins);
  plan.forward(x, re, im);
  return { re, im };
}

/**
 * `numpy.abs(scipy.fft.rfft(x, axis=-1))` of a CHANNEL-MAJOR array x[c·ns + n]:
 * Float64Array [channel, floor(ns/2)+1].
 */
export function rfftMagnitude(x: ArrayLike<number>, nch: number, ns: number): Float64Array {
  if (x.length !== nch * ns) throw new InputError(`expected ${nch}×${ns} samples, got ${x.length}`, 'rfftMagnitude');
  const plan = new RealFft(ns);
  const nb = plan.bins;
  const out = new Float64Array(nch * nb);
  const re = new Float64Array(nb);
  const im = new Float64Array(nb);
  for (let c = 0; c < nch; c++) {
    plan.forward(x, re, im, c * ns);
    for (let k = 0; k < nb; k++) out[c * nb + k] = Math.hypot(re[k], im[k]);
  }
  return out;
}
