// FIR design by frequency sampling and its zero-phase application as clean_rawdata does them
// (`design_fir`, `filtfilt_fast`), plus MATLAB's shape-preserving `pchip` interpolation they rest on.
// Used by bad-channel detection (ml/bad-channels.ts). Runs anywhere; allocates (design and one-shot use).
import { InputError } from '../core/errors';
import { Fft } from './fft';

/**
 * MATLAB `interp1(x, y, xi, 'pchip')` (Fritsch–Carlson slopes: weighted harmonic mean inside, the
 * shape-preserving three-point formula at the ends). `x` strictly increasing.
 */
export function pchip(x: readonly number[], y: readonly number[], xi: ArrayLike<number>): Float64Array {
  const n = x.length;
  if (n < 2 || y.length !== n) throw new InputError(`pchip needs two or more points with as many values (${n} points, ${y.length} values)`, 'pchip');
  const h = new Float64Array(n - 1);
  const del = new Float64Array(n - 1);
  for (let k = 0; k < n - 1; k++) {
    h[k] = x[k + 1] - x[k];
    if (!(h[k] > 0)) throw new InputError('pchip: x must be strictly increasing', 'pchip');
    del[k] = (y[k + 1] - y[k]) / h[k];
  }
  const d = new Float64Array(n);
  if (n === 2) {
    d[0] = d[1] = del[0];
  } else {
    for (let k = 1; k < n - 1; k++) {
      if (del[k - 1] * del[k] > 0) {
        const w1 = 2 * h[k] + h[k - 1];
        const w2 = h[k] + 2 * h[k - 1];
        d[k] = (w1 + w2) / (w1 / del[k - 1] + w2 / del[k]);
      }
    }
    const end = (h0: number, h1: number, d0: number, d1: number): number => {
      let s = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1);
      if (Math.sign(s) !== Math.sign(d0)) s = 0;
      else if (Math.sign(d0) !== Math.sign(d1) && Math.abs(s) > Math.abs(3 * d0)) s = 3 * d0;
      return s;
    };
    d[0] = end(h[0], h[1], del[0], del[1]);
    d[n - 1] = end(h[n - 2], h[n - 3], del[n - 2], del[n - 3]);
  }
  const out = new Float64Array(xi.length);
  for (let i = 0; i < xi.length; i++) {
    const v = xi[i];
    let k = 0;
    while (k < n - 2 && v >= x[k + 1]) k++;
    const s = v - x[k];
    const c = (3 * del[k] - 2 * d[k] - d[k + 1]) / h[k];
    const b = (d[k] - 2 * del[k] + d[k + 1]) / (h[k] * h[k]);
    out[i] = y[k] + s * (d[k] + s * (c + s * b));
  }
  return out;
}

/**
 * clean_rawdata `design_fir(N, F, A)`: order-N linear-phase FIR (N + 1 taps) by sampling the
 * amplitude response `A` at normalised frequencies `F` (1 = Nyquist; pchip between them on an
 * nfft = max(512, 2^⌈log2 N⌉) grid), delaying by N/2, inverse FFT, Hamming window.
 */
export function firFrequencySampling(order: number, frequencies: readonly number[], amplitudes: readonly number[]): Float64Array {
  if (!Number.isInteger(order) || order < 1) throw new InputError(`order must be a positive integer, got ${order}`, 'design_fir');
  const nfft = Math.max(512, 2 ** Math.ceil(Math.log(order) / Math.log(2)));
  const grid = Float64Array.from({ length: nfft + 1 }, (_, i) => i);
  const amp = pchip(frequencies.map((f) => Math.round(f * nfft)), amplitudes, grid);
  const n = 2 * nfft;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let k = 0; k <= nfft; k++) {
    const ph = (-0.5 * order * Math.PI * k) / nfft;
    re[k] = amp[k] * Math.cos(ph);
    im[k] = amp[k] * Math.sin(ph);
  }
  for (let k = 1; k < nfft; k++) {
    re[n - k] = re[k];
    im[n - k] = -im[k];
  }
  // real(ifft(X)) = real(fft(conj X)) / n
  for (let k = 0; k < n; k++) im[k] = -im[k];
  new Fft(n).transform(re, im);
  const b = new Float64Array(order + 1);
  for (let i = 0; i <= order; i++) b[i] = (re[i] / n) * (0.54 - 0.46 * Math.cos((2 * Math.PI * i) / order));
  return b;
}

/**
 * clean_rawdata `filtfilt_fast(B, 1, X)` on a CHANNEL-MAJOR array: pad each end by len(B) samples of
 * odd reflection (indices wrap when the signal is shorter), FIR forward from rest, backward, unpad.
 */
export function firFiltfiltReflect(b: ArrayLike<number>, x: ArrayLike<number>, nch: number, ns: number): Float64Array {
  if (x.length !== nch * ns) throw new InputError(`expected ${nch}×${ns} samples, got ${x.length}`, 'filtfilt_fast');
  const w = b.length;
  const m = ns + 2 * w;
  const ext = new Float64Array(m);
  const tmp = new Float64Array(m);
  const out = new Float64Array(nch * ns);
  const mod = (i: number) => ((i % ns) + ns) % ns;
  for (let c = 0; c < nch; c++) {
    const o = c * ns;
    for (let i = 0; i < w; i++) ext[i] = 2 * x[o] - x[o + mod(w - i)];
    for (let i = 0; i < ns; i++) ext[w + i] = x[o + i];
    for (let i = 0; i < w; i++) ext[w + ns + i] = 2 * x[o + ns - 1] - x[o + mod(ns - 2 - i)];
    for (let pass = 0; pass < 2; pass++) {
      const src = pass === 0 ? ext : tmp;
      const dst = pass === 0 ? tmp : ext;
      // dst = reverse(filter(b, 1, src))
      for (let k = 0; k < m; k++) {
        let acc = 0;
        for (let j = 0; j < w && j <= k; j++) acc += b[j] * src[k - j];
        dst[m - 1 - k] = acc;
      }
    }
    for (let i = 0; i < ns; i++) out[o + i] = ext[w + i];
  }
  return out;
}
