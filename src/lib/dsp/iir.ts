// IIR/FIR filtering: a streaming multichannel SOS filter for FRAME-MAJOR (interleaved) chunks with
// state carried between chunks, and SciPy-like one-shot functions on CHANNEL-MAJOR arrays
// (sosfilt, sosfilt_zi, sosfiltfilt, lfilter, lfilter_zi, filtfilt). Runs on any thread.
// HOT PATH: the biquad kernels below run in the acquisition loop; they must not allocate per sample.
// Arithmetic is float64 (JS numbers) whatever the sample dtype; Float32Array outputs round once per sample.
import { InputError } from '../core/errors';
import { Fft } from './fft';
import { validateSos, type Sos } from './filter-design';
import { WasmSos } from './wasm-sos';

/** Sample arrays accepted everywhere in dsp/. */
export type Samples = Float32Array | Float64Array;

/**
 * Kernel: filter `n` samples read from x[xo + i·xs], written to y[yo + i·ys], through the cascade
 * `coef` (SOS rows), with DF-II-transposed state z[zo + 2s], z[zo + 2s + 1] updated in place.
 */
type Kernel = (coef: Float64Array, x: Samples, xo: number, xs: number, y: Samples, yo: number, ys: number, n: number, z: Float64Array, zo: number) => void;

/** Same arithmetic as SciPy's _sosfilt loop (bit-identical results in float64). */
function genericKernel(coef: Float64Array, x: Samples, xo: number, xs: number, y: Samples, yo: number, ys: number, n: number, z: Float64Array, zo: number): void {
  const nsec = coef.length / 6;
  for (let i = 0; i < n; i++) {
    let v = x[xo + i * xs];
    for (let s = 0; s < nsec; s++) {
      const k = 6 * s;
      const q = zo + 2 * s;
      const t = coef[k] * v + z[q];
      z[q] = coef[k + 1] * v - coef[k + 4] * t + z[q + 1];
      z[q + 1] = coef[k + 2] * v - coef[k + 5] * t;
      v = t;
    }
    y[yo + i * ys] = v;
  }
}

/**
 * Source of a kernel specialised for `nsec` sections: coefficients and state in locals, sections
 * unrolled (the fastest plain-JS form; ~2x the generic loop). Built from the integer `nsec` only,
 * never from user strings, so compiling it with `new Function` is not an injection risk.
 */
function unrolledSource(nsec: number): string {
  let s = '';
  for (let k = 0; k < nsec; k++) {
    s += `const b0_${k} = coef[${6 * k}], b1_${k} = coef[${6 * k + 1}], b2_${k} = coef[${6 * k + 2}], a1_${k} = coef[${6 * k + 4}], a2_${k} = coef[${6 * k + 5}];\n`;
    s += `let z1_${k} = z[zo + ${2 * k}], z2_${k} = z[zo + ${2 * k + 1}];\n`;
  }
  s += 'let xi = xo, yi = yo;\nfor (let i = 0; i < n; i++) {\n  let v = x[xi], t;\n';
  for (let k = 0; k < nsec; k++) {
    s += `  t = b0_${k} * v + z1_${k}; z1_${k} = b1_${k} * v - a1_${k} * t + z2_${k}; z2_${k} = b2_${k} * v - a2_${k} * t; v = t;\n`;
  }
  s += '  y[yi] = v; xi += xs; yi += ys;\n}\n';
  for (let k = 0; k < nsec; k++) s += `z[zo + ${2 * k}] = z1_${k}; z[zo + ${2 * k + 1}] = z2_${k};\n`;
  return s;
}

const MAX_UNROLLED = 32;
const kernelCache = new Map<string, Kernel>();
let codegenAvailable = true;

/**
 * The kernel for `nsec` sections and this (input, output) dtype pair. One compiled copy per dtype pair
 * keeps each monomorphic. Falls back to the generic loop where `new Function` is blocked (CSP).
 */
function kernelFor(nsec: number, x: Samples, y: Samples): Kernel {
  if (!codegenAvailable || nsec > MAX_UNROLLED) return genericKernel;
  const key = `${nsec}|${x instanceof Float32Array ? 'f32' : 'f64'}|${y instanceof Float32Array ? 'f32' : 'f64'}`;
  let k = kernelCache.get(key);
  if (!k) {
    try {
      // eslint-disable-next-line no-new-func
      k = new Function('coef', 'x', 'xo', 'xs', 'y', 'yo', 'ys', 'n', 'z', 'zo', unrolledSource(nsec)) as Kernel;
    } catch {
      codegenAvailable = false;
      return genericKernel;
    }
    kernelCache.set(key, k);
  }
  return k;
}

function checkDims(x: Samples, nch: number, ns: number, where: string): void {
  if (!Number.isInteger(nch) || nch < 1 || !Number.isInteger(ns) || ns < 0) throw new InputError(`channel count ${nch} and sample count ${ns} must be integers (channels ≥ 1)`, where);
  if (x.length !== nch * ns) throw new InputError(`expected ${nch}×${ns} = ${nch * ns} samples, got ${x.length}`, where);
}

const newLike = (x: Samples, n: number): Samples => (x instanceof Float32Array ? new Float32Array(n) : new Float64Array(n));

// ---------- steady state ----------

/** Solve the small dense system m·v = rhs (Gaussian elimination with partial pivoting); m is n×n row-major. */
function solve(m: Float64Array, rhs: Float64Array, n: number): Float64Array {
  const a = m.slice();
  const b = rhs.slice();
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]) > Math.abs(a[piv * n + col])) piv = r;
    if (a[piv * n + col] === 0) throw new InputError('filter has a pole at z = 1; no steady state exists', 'lfilter_zi');
    if (piv !== col) {
      for (let j = 0; j < n; j++) [a[col * n + j], a[piv * n + j]] = [a[piv * n + j], a[col * n + j]];
      [b[col], b[piv]] = [b[piv], b[col]];
    }
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col] / a[col * n + col];
      if (f === 0) continue;
      for (let j = col; j < n; j++) a[r * n + j] -= f * a[col * n + j];
      b[r] -= f * b[col];
    }
  }
  const out = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let j = r + 1; j < n; j++) s -= a[r * n + j] * out[j];
    out[r] = s / a[r * n + r];
  }
  return out;
}

/**
 * `scipy.signal.lfilter_zi(b, a)`: the DF-II-transposed state (length max(len a, len b) − 1) of the
 * step response's steady state. Multiply by the first sample to start a filter without a transient.
 */
export function lfilterZi(b: ArrayLike<number>, a: ArrayLike<number>): Float64Array {
  if (a.length === 0 || a[0] === 0) throw new InputError('a[0] must be non-zero', 'lfilter_zi');
  const n = Math.max(a.length, b.length);
  const bb = new Float64Array(n);
  const aa = new Float64Array(n);
  for (let i = 0; i < b.length; i++) bb[i] = b[i] / a[0];
  for (let i = 0; i < a.length; i++) aa[i] = a[i] / a[0];
  if (n === 1) return new Float64Array(0);
  const m = n - 1;
  // I − companion(a)ᵀ: companion's first row is −a[1:], sub-diagonal ones.
  const mat = new Float64Array(m * m);
  for (let r = 0; r < m; r++) {
    for (let col = 0; col < m; col++) {
      const comp = col === 0 ? -aa[r + 1] : r === col - 1 ? 1 : 0; // companion(a)ᵀ[r][col]
      mat[r * m + col] = (r === col ? 1 : 0) - comp;
    }
  }
  const rhs = new Float64Array(m);
  for (let i = 0; i < m; i++) rhs[i] = bb[i + 1] - aa[i + 1] * bb[0];
  return solve(mat, rhs, m);
}

/** `scipy.signal.sosfilt_zi(sos)`: per-section steady state, Float64Array [section, 2]. */
export function sosfiltZi(sos: Sos): Float64Array {
  validateSos(sos, 'sosfilt_zi');
  const nsec = sos.length / 6;
  const zi = new Float64Array(2 * nsec);
  let scale = 1;
  for (let s = 0; s < nsec; s++) {
    const b = sos.subarray(6 * s, 6 * s + 3);
    const a = sos.subarray(6 * s + 3, 6 * s + 6);
    const z = lfilterZi(b, a);
    zi[2 * s] = scale * z[0];
    zi[2 * s + 1] = scale * z[1];
    scale *= (b[0] + b[1] + b[2]) / (a[0] + a[1] + a[2]);
  }
  return zi;
}

// ---------- one-shot, channel-major ----------

/** Which kernel runs the biquad cascades: 'auto' = WebAssembly SIMD when available, else JS. */
export type IirBackend = 'auto' | 'js' | 'wasm';

let defaultBackend: IirBackend = 'auto';
/** Set the process-wide default backend (tests and benchmarks compare both; results are bit-identical). */
export function setIirBackend(b: IirBackend): void {
  defaultBackend = b;
}

const BLOCK = 4096;
const oneShotWasm = new Map<string, WasmSos | null>();

/** A cached one-pair wasm instance loaded with these coefficients (null: use JS). */
function oneShotKernel(sos: Float64Array, backend: IirBackend): WasmSos | null {
  if (backend === 'js') return null;
  const key = Array.prototype.join.call(sos, ',');
  let w = oneShotWasm.get(key);
  if (w === undefined) {
    if (oneShotWasm.size > 16) oneShotWasm.clear();
    w = WasmSos.create(sos, 1);
    if (w) w.ensure(w.ioPtr + 2 * BLOCK * 8);
    oneShotWasm.set(key, w);
  }
  if (!w && backend === 'wasm') throw new InputError('WebAssembly SIMD is not available here', 'sosfilt');
  return w;
}

/**
 * `scipy.signal.sosfilt(sos, x, axis=-1, zi)` on a CHANNEL-MAJOR array x[c·ns + n] (Float32Array or
 * Float64Array). `zi` (optional, Float64Array [channel, section, 2]) is the initial state and is
 * overwritten with the final state (SciPy's zf). Returns a new array of x's type. HOT PATH for
 * offline work: channel pairs go through the WebAssembly SIMD kernel in blocks when available.
 */
export function sosfilt(sos: Sos, x: Samples, nch: number, ns: number, zi?: Float64Array, backend: IirBackend = defaultBackend): Samples {
  validateSos(sos, 'sosfilt');
  checkDims(x, nch, ns, 'sosfilt');
  const nsec = sos.length / 6;
  const state = zi ?? new Float64Array(nch * nsec * 2);
  if (state.length !== nch * nsec * 2) throw new InputError(`zi must hold channel×section×2 = ${nch * nsec * 2} values, got ${state.length}`, 'sosfilt');
  const y = newLike(x, x.length);
  const per = nsec * 2;
  let ch = 0;
  const w = nch >= 2 && (backend === 'wasm' || nch * ns >= 8192) ? oneShotKernel(sos, backend) : null;
  if (w) {
    const f32 = x instanceof Float32Array;
    const bytes = f32 ? 4 : 8;
    const io = w.ioPtr;
    const view = f32 ? new Float32Array(w.buffer, io, 2 * BLOCK) : new Float64Array(w.buffer, io, 2 * BLOCK);
    const zv = w.stateView();
    for (; ch + 1 < nch; ch += 2) {
      const a = ch * ns;
      const b = (ch + 1) * ns;
      for (let k = 0; k < nsec; k++) {
        zv[4 * k] = state[ch * per + 2 * k];
        zv[4 * k + 1] = state[(ch + 1) * per + 2 * k];
        zv[4 * k + 2] = state[ch * per + 2 * k + 1];
        zv[4 * k + 3] = state[(ch + 1) * per + 2 * k + 1];
      }
      for (let s0 = 0; s0 < ns; s0 += BLOCK) {
        const len = Math.min(BLOCK, ns - s0);
        view.set(x.subarray(a + s0, a + s0 + len), 0);
        view.set(x.subarray(b + s0, b + s0 + len), BLOCK);
        w.run(f32, 0, io, io + BLOCK * bytes, io, io + BLOCK * bytes, bytes, len);
        y.set(view.subarray(0, len), a + s0);
        y.set(view.subarray(BLOCK, BLOCK + len), b + s0);
      }
      for (let k = 0; k < nsec; k++) {
        state[ch * per + 2 * k] = zv[4 * k];
        state[(ch + 1) * per + 2 * k] = zv[4 * k + 1];
        state[ch * per + 2 * k + 1] = zv[4 * k + 2];
        state[(ch + 1) * per + 2 * k + 1] = zv[4 * k + 3];
      }
    }
  }
  const k = kernelFor(nsec, x, y);
  for (; ch < nch; ch++) k(sos, x, ch * ns, 1, y, ch * ns, 1, ns, state, ch * per);
  return y;
}

/** Odd/even/constant extension of each channel by `padlen` samples on both sides (float64). */
function extend(x: Samples, nch: number, ns: number, padlen: number, padtype: 'odd' | 'even' | 'constant'): Float64Array {
  const m = ns + 2 * padlen;
  const ext = new Float64Array(nch * m);
  for (let ch = 0; ch < nch; ch++) {
    const o = ch * ns;
    const e = ch * m;
    const first = x[o];
    const last = x[o + ns - 1];
    for (let i = 0; i < ns; i++) ext[e + padlen + i] = x[o + i];
    for (let i = 1; i <= padlen; i++) {
      const l = x[o + i];
      const r = x[o + ns - 1 - i];
      if (padtype === 'odd') {
        ext[e + padlen - i] = 2 * first - l;
        ext[e + padlen + ns - 1 + i] = 2 * last - r;
      } else if (padtype === 'even') {
        ext[e + padlen - i] = l;
        ext[e + padlen + ns - 1 + i] = r;
      } else {
        ext[e + padlen - i] = first;
        ext[e + padlen + ns - 1 + i] = last;
      }
    }
  }
  return ext;
}

/** Options of the zero-phase filters. */
export interface FiltFiltOptions {
  /** SciPy's default 'odd'; null = no padding. */
  padtype?: 'odd' | 'even' | 'constant' | null;
  /** Samples of padding per side; default SciPy's rule (see each function). */
  padlen?: number;
  /** Kernel for sosfiltfilt's passes (default: the process-wide IIR backend). */
  backend?: IirBackend;
}

/** Forward-backward pass over a padded float64 buffer, in place; `run(buf, offset)` filters one channel from steady state. */
function forwardBackward(ext: Float64Array, nch: number, m: number, run: (buf: Float64Array, o: number) => void): void {
  for (let ch = 0; ch < nch; ch++) {
    const o = ch * m;
    run(ext, o);
    ext.subarray(o, o + m).reverse();
    run(ext, o);
    ext.subarray(o, o + m).reverse();
  }
}

/**
 * `scipy.signal.sosfiltfilt(sos, x, axis=-1, padtype='odd', padlen=None)` on a CHANNEL-MAJOR array.
 * Default padlen = 3·(2·nSections + 1 − min(#b2=0, #a2=0)); needs ns > padlen. Returns x's type.
 */
export function sosfiltfilt(sos: Sos, x: Samples, nch: number, ns: number, opts: FiltFiltOptions = {}): Samples {
  validateSos(sos, 'sosfiltfilt');
  checkDims(x, nch, ns, 'sosfiltfilt');
  const nsec = sos.length / 6;
  let zb2 = 0;
  let za2 = 0;
  for (let s = 0; s < nsec; s++) {
    if (sos[6 * s + 2] === 0) zb2++;
    if (sos[6 * s + 5] === 0) za2++;
  }
  const padtype = opts.padtype === undefined ? 'odd' : opts.padtype;
  const padlen = padtype === null ? 0 : (opts.padlen ?? 3 * (2 * nsec + 1 - Math.min(zb2, za2)));
  if (!Number.isInteger(padlen) || padlen < 0) throw new InputError(`padlen must be a non-negative integer, got ${padlen}`, 'sosfiltfilt');
  if (ns <= padlen) throw new InputError(`signal of ${ns} samples is too short: needs more than padlen = ${padlen}`, 'sosfiltfilt');
  const ext = padtype === null ? Float64Array.from(x) : extend(x, nch, ns, padlen, padtype);
  const m = ns + 2 * padlen;
  const zi = sosfiltZi(sos);
  const per = 2 * nsec;
  const state = new Float64Array(nch * per);
  const pass = (buf: Float64Array): Float64Array => {
    for (let ch = 0; ch < nch; ch++) for (let i = 0; i < per; i++) state[ch * per + i] = zi[i] * buf[ch * m];
    // channel pairs go through the wasm kernel when available (same float64 result as JS)
    const out = sosfilt(sos, buf, nch, m, state, opts.backend ?? defaultBackend) as Float64Array;
    for (let ch = 0; ch < nch; ch++) out.subarray(ch * m, (ch + 1) * m).reverse();
    return out;
  };
  const back = pass(pass(ext));
  ext.set(back);
  const y = newLike(x, nch * ns);
  for (let ch = 0; ch < nch; ch++) y.set(ext.subarray(ch * m + padlen, ch * m + padlen + ns), ch * ns);
  return y;
}

/** Normalised DF-II-transposed lfilter over one strided run; z has max(len a, len b) − 1 entries. */
function lfilterRun(b: Float64Array, a: Float64Array, x: ArrayLike<number>, xo: number, y: Samples | Float64Array, yo: number, n: number, z: Float64Array): void {
  const order = z.length;
  if (order === 0) {
    for (let i = 0; i < n; i++) y[yo + i] = b[0] * x[xo + i];
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = x[xo + i];
    const out = b[0] * v + z[0];
    for (let j = 0; j < order - 1; j++) z[j] = b[j + 1] * v + z[j + 1] - a[j + 1] * out;
    z[order - 1] = b[order] * v - a[order] * out;
    y[yo + i] = out;
  }
}

function normaliseBa(b: ArrayLike<number>, a: ArrayLike<number>, where: string): { bn: Float64Array; an: Float64Array } {
  if (b.length === 0 || a.length === 0) throw new InputError('b and a must be non-empty', where);
  if (a[0] === 0 || !Number.isFinite(a[0])) throw new InputError('a[0] must be a non-zero number', where);
  const n = Math.max(a.length, b.length);
  const bn = new Float64Array(n);
  const an = new Float64Array(n);
  for (let i = 0; i < b.length; i++) bn[i] = b[i] / a[0];
  for (let i = 0; i < a.length; i++) an[i] = a[i] / a[0];
  return { bn, an };
}

/**
 * `scipy.signal.lfilter(b, a, x, axis=-1, zi)` on a CHANNEL-MAJOR array (FIR when a = [1]).
 * `zi` (optional, Float64Array [channel, max(len a, len b) − 1]) is updated to the final state.
 */
export function lfilter(b: ArrayLike<number>, a: ArrayLike<number>, x: Samples, nch: number, ns: number, zi?: Float64Array): Samples {
  checkDims(x, nch, ns, 'lfilter');
  const { bn, an } = normaliseBa(b, a, 'lfilter');
  const order = bn.length - 1;
  const state = zi ?? new Float64Array(nch * order);
  if (state.length !== nch * order) throw new InputError(`zi must hold channel×${order} values, got ${state.length}`, 'lfilter');
  const y = newLike(x, x.length);
  for (let ch = 0; ch < nch; ch++) lfilterRun(bn, an, x, ch * ns, y, ch * ns, ns, state.subarray(ch * order, (ch + 1) * order));
  return y;
}

/**
 * `scipy.signal.filtfilt(b, a, x, axis=-1, padtype='odd', padlen=None)` (method 'pad') on a
 * CHANNEL-MAJOR array; default padlen = 3·max(len a, len b).
 */
export function filtfilt(b: ArrayLike<number>, a: ArrayLike<number>, x: Samples, nch: number, ns: number, opts: FiltFiltOptions = {}): Samples {
  checkDims(x, nch, ns, 'filtfilt');
  const { bn, an } = normaliseBa(b, a, 'filtfilt');
  const padtype = opts.padtype === undefined ? 'odd' : opts.padtype;
  const padlen = padtype === null ? 0 : (opts.padlen ?? 3 * Math.max(a.length, b.length));
  if (ns <= padlen) throw new InputError(`signal of ${ns} samples is too short: needs more than padlen = ${padlen}`, 'filtfilt');
  const ext = padtype === null ? Float64Array.from(x) : extend(x, nch, ns, padlen, padtype);
  const m = ns + 2 * padlen;
  const zi = lfilterZi(bn, an);
  const z = new Float64Array(zi.length);
  forwardBackward(ext, nch, m, (buf, o) => {
    for (let i = 0; i < z.length; i++) z[i] = zi[i] * buf[o];
    lfilterRun(bn, an, buf, o, buf, o, m, z);
  });
  const y = newLike(x, nch * ns);
  for (let ch = 0; ch < nch; ch++) y.set(ext.subarray(ch * m + padlen, ch * m + padlen + ns), ch * ns);
  return y;
}

/** Filter length from which firZeroPhase convolves by FFT (below it, directly: fewer operations). */
export const FIR_FFT_MIN_TAPS = 64;

/**
 * MNE 1.3's zero-phase FIR application (`raw.filter(..., method='fir', phase='zero')` with an odd-length
 * linear-phase `h`, e.g. from `mneFirFilter`) on a CHANNEL-MAJOR array: pad each side by n_edge =
 * len(h) − 1 samples of odd reflection (2·x[0] − x[i]; when the signal is shorter, reflection is
 * limited to what exists and the rest is zero, as MNE's 'reflect_limited'), full convolution with h,
 * keep ns samples from (len(h) − 1)/2 + n_edge. Returns Float64Array. Short filters convolve directly;
 * from FIR_FFT_MIN_TAPS taps by FFT (overlap-save, two channels per complex transform: h is real, so
 * the real and imaginary parts of the result are the two channels' outputs), as MNE does.
 */
export function firZeroPhase(h: ArrayLike<number>, x: ArrayLike<number>, nch: number, ns: number): Float64Array {
  if (x.length !== nch * ns) throw new InputError(`expected ${nch}×${ns} samples, got ${x.length}`, 'firZeroPhase');
  if (h.length < 1 || h.length % 2 === 0) throw new InputError(`zero-phase FIR needs an odd number of taps, got ${h.length}`, 'firZeroPhase');
  const nh = h.length;
  const edge = nh - 1;
  const m = ns + 2 * edge;
  const y = new Float64Array(nch * ns);
  const delay = (nh - 1) / 2;
  const ext = new Float64Array(m);
  /** ext ← channel c with n_edge samples of odd reflection each side. */
  const extend = (c: number) => {
    const o = c * ns;
    ext.fill(0);
    for (let i = 0; i < ns; i++) ext[edge + i] = x[o + i];
    const lim = Math.min(edge, ns - 1);
    for (let i = 1; i <= lim; i++) {
      ext[edge - i] = 2 * x[o] - x[o + i];
      ext[edge + ns - 1 + i] = 2 * x[o + ns - 1] - x[o + ns - 1 - i];
    }
  };
  if (nh < FIR_FFT_MIN_TAPS) {
    for (let c = 0; c < nch; c++) {
      extend(c);
      // full convolution sample k = Σ_j h[j]·ext[k − j]; keep k = delay + edge + n
      for (let n = 0; n < ns; n++) {
        const k = delay + edge + n;
        let acc = 0;
        for (let j = 0; j < nh; j++) acc += h[j] * ext[k - j];
        y[c * ns + n] = acc;
      }
    }
    return y;
  }
  // Output n needs ext[delay + n − j + edge] for j in [0, nh): the block of N inputs from ext[delay + n0]
  // gives, by circular convolution, outputs n0 + t at position edge + t for t < N − edge.
  let N = 1;
  while (N < Math.min(ns + edge, Math.max(4 * nh, 1024))) N *= 2;
  const step = N - edge;
  const fft = new Fft(N);
  const hr = new Float64Array(N);
  const hi = new Float64Array(N);
  for (let j = 0; j < nh; j++) hr[j] = h[j];
  fft.transform(hr, hi);
  const zr = new Float64Array(N);
  const zi = new Float64Array(N);
  const ext2 = new Float64Array(m);
  // A constant channel stays exactly constant (its direct sum, as short filters give it): the FFT's
  // rounding would otherwise make it noise, and quality metrics rely on flat meaning flat.
  const varying: number[] = [];
  for (let c = 0; c < nch; c++) {
    const o = c * ns;
    let flat = true;
    for (let i = 1; i < ns && flat; i++) flat = x[i + o] === x[o];
    if (!flat) varying.push(c);
    else {
      let acc = 0;
      for (let j = 0; j < nh; j++) acc += h[j] * x[o];
      y.fill(acc, o, o + ns);
    }
  }
  for (let v = 0; v < varying.length; v += 2) {
    const c = varying[v];
    const c2 = v + 1 < varying.length ? varying[v + 1] : -1;
    if (c2 >= 0) {
      extend(c2);
      ext2.set(ext);
    }
    extend(c);
    for (let n0 = 0; n0 < ns; n0 += step) {
      const from = delay + n0;
      const len = Math.min(N, m - from);
      for (let i = 0; i < len; i++) {
        zr[i] = ext[from + i];
        zi[i] = c2 >= 0 ? ext2[from + i] : 0;
      }
      zr.fill(0, len);
      zi.fill(0, len);
      fft.transform(zr, zi);
      // (Z·H), then the inverse as conj(fft(conj(·))) / N
      for (let k = 0; k < N; k++) {
        const r = zr[k] * hr[k] - zi[k] * hi[k];
        const i = zr[k] * hi[k] + zi[k] * hr[k];
        zr[k] = r;
        zi[k] = -i;
      }
      fft.transform(zr, zi);
      const count = Math.min(step, ns - n0);
      for (let t = 0; t < count; t++) {
        y[c * ns + n0 + t] = zr[edge + t] / N;
        if (c2 >= 0) y[c2 * ns + n0 + t] = -zi[edge + t] / N;
      }
    }
  }
  return y;
}

// ---------- streaming, frame-major ----------

/** Options of `SosFilter`. */
export interface SosFilterOptions {
  /**
   * 'zero' (SciPy's default) starts from rest; 'step' starts each channel in the steady state of its
   * first sample (sosfilt_zi · x0), which avoids the ringing a DC offset would cause. Also used after
   * a non-finite reset.
   */
  initialState?: 'zero' | 'step';
  /** Called once per channel whose state became NaN/±Infinity and was reset (after the chunk). */
  onNonFinite?: (channel: number) => void;
  /** Kernel: 'auto' (default: WebAssembly SIMD if available, else JS), 'js' or 'wasm' (throws if unavailable). */
  backend?: IirBackend;
}

/**
 * Streaming multichannel SOS cascade for FRAME-MAJOR (interleaved) chunks: sample n of channel c
 * is x[n·channelCount + c]. State is carried between `process` calls, so any chunking gives the
 * same output as one call (bit-identical, on either backend). HOT PATH: `process` allocates only
 * when no output array is passed (and, on wasm, when a chunk is larger than any before).
 *
 * A NaN/Infinity input makes that channel's state non-finite: at the end of the chunk the channel
 * is reset (to zero, or to the next chunk's first sample in 'step' mode), `nonFiniteResets` is
 * incremented and `onNonFinite` is called, so one bad sample cannot poison the filter forever.
 */
export class SosFilter {
  readonly channelCount: number;
  readonly sectionCount: number;
  /** 'wasm' or 'js': the kernel this instance uses for same-dtype chunks. */
  readonly backend: 'wasm' | 'js';
  /** How many channel resets a non-finite state has caused since construction. */
  nonFiniteResets = 0;
  private readonly sos: Float64Array;
  private readonly zi: Float64Array;
  /** JS-backend state [channel, section, 2] (also the staging copy for mixed-dtype chunks on wasm). */
  private readonly z: Float64Array;
  private readonly wasm: WasmSos | null;
  private readonly pendingInit: Uint8Array;
  private readonly mode: 'zero' | 'step';
  private readonly onNonFinite?: (channel: number) => void;

  constructor(sos: Sos, channelCount: number, options: SosFilterOptions = {}) {
    validateSos(sos, 'SosFilter');
    if (!Number.isInteger(channelCount) || channelCount < 1) throw new InputError(`channel count must be a positive integer, got ${channelCount}`, 'SosFilter');
    this.sos = Float64Array.from(sos);
    this.channelCount = channelCount;
    this.sectionCount = sos.length / 6;
    this.zi = sosfiltZi(this.sos);
    this.z = new Float64Array(channelCount * this.sectionCount * 2);
    const want = options.backend ?? defaultBackend;
    this.wasm = want === 'js' ? null : WasmSos.create(this.sos, (channelCount + 1) >> 1);
    if (!this.wasm && want === 'wasm') throw new InputError('WebAssembly SIMD is not available here', 'SosFilter');
    this.backend = this.wasm ? 'wasm' : 'js';
    this.mode = options.initialState ?? 'zero';
    this.pendingInit = new Uint8Array(channelCount).fill(this.mode === 'step' ? 1 : 0);
    this.onNonFinite = options.onNonFinite;
  }

  /** Write one state value (section s, index i∈{0,1}) of a channel, on whichever backend holds it. */
  private put(zv: Float64Array | null, ch: number, s: number, i: number, v: number): void {
    if (!zv) {
      this.z[(ch * this.sectionCount + s) * 2 + i] = v;
      return;
    }
    const pair = ch >> 1;
    const base = (pair * this.sectionCount + s) * 4 + 2 * i;
    zv[base + (ch & 1)] = v;
    // odd channel count: the last pair's second lane mirrors its first
    if ((ch & 1) === 0 && ch + 1 === this.channelCount) zv[base + 1] = v;
  }

  private get(zv: Float64Array | null, ch: number, s: number, i: number): number {
    if (!zv) return this.z[(ch * this.sectionCount + s) * 2 + i];
    return zv[((ch >> 1) * this.sectionCount + s) * 4 + 2 * i + (ch & 1)];
  }

  /**
   * Filter one frame-major chunk (length a multiple of channelCount). Writes into `output` when given
   * (may be `input` itself for in-place use; must have the same length), else into a new array of the
   * input's type. Returns the output.
   */
  process<T extends Samples>(input: T, output?: Samples): T {
    const nch = this.channelCount;
    if (input.length % nch !== 0) throw new InputError(`chunk of ${input.length} values is not a whole number of ${nch}-channel frames`, 'SosFilter.process');
    const out = (output ?? newLike(input, input.length)) as T;
    if (out.length !== input.length) throw new InputError(`output length ${out.length} differs from input length ${input.length}`, 'SosFilter.process');
    const frames = input.length / nch;
    if (frames === 0) return out;
    const nsec = this.sectionCount;
    const per = nsec * 2;
    const w = this.wasm && input instanceof Float32Array === out instanceof Float32Array ? this.wasm : null;
    if (this.wasm && !w) this.syncFromWasm();
    if (w) w.ensure(w.ioPtr + input.length * (input instanceof Float32Array ? 4 : 8));
    const zv = w ? w.stateView() : null;
    for (let ch = 0; ch < nch; ch++) {
      if (this.pendingInit[ch]) {
        const x0 = input[ch];
        if (Number.isFinite(x0)) {
          for (let s = 0; s < nsec; s++) for (let i = 0; i < 2; i++) this.put(zv, ch, s, i, this.zi[2 * s + i] * x0);
          this.pendingInit[ch] = 0;
        }
      }
    }
    if (w) {
      const f32 = input instanceof Float32Array;
      const bytes = f32 ? 4 : 8;
      const io = w.ioPtr;
      // copy in/out through cached whole-heap views: no allocation for chunks up to 4096 values
      const heap = f32 ? w.heapF32() : w.heapF64();
      const base = io / bytes;
      heap.set(input, base);
      const stride = nch * bytes;
      for (let p = 0; p < w.pairs; p++) {
        const a = io + 2 * p * bytes;
        const b = 2 * p + 1 < nch ? a + bytes : a;
        w.run(f32, p, a, b, a, b, stride, frames);
      }
      if (input.length <= 4096) for (let i = 0; i < input.length; i++) out[i] = heap[base + i];
      else out.set(heap.subarray(base, base + input.length));
    } else {
      const k = kernelFor(nsec, input, out);
      for (let ch = 0; ch < nch; ch++) k(this.sos, input, ch, nch, out, ch, nch, frames, this.z, ch * per);
      if (this.wasm) this.syncToWasm();
    }
    const zv2 = this.wasm ? this.wasm.stateView() : null;
    for (let ch = 0; ch < nch; ch++) {
      let finite = true;
      for (let s = 0; s < nsec && finite; s++) if (!Number.isFinite(this.get(zv2, ch, s, 0)) || !Number.isFinite(this.get(zv2, ch, s, 1))) finite = false;
      if (!finite) {
        for (let s = 0; s < nsec; s++) for (let i = 0; i < 2; i++) this.put(zv2, ch, s, i, 0);
        if (this.mode === 'step') this.pendingInit[ch] = 1;
        this.nonFiniteResets++;
        this.onNonFinite?.(ch);
      }
    }
    return out;
  }

  private syncFromWasm(): void {
    const zv = this.wasm!.stateView();
    for (let ch = 0; ch < this.channelCount; ch++) for (let s = 0; s < this.sectionCount; s++) for (let i = 0; i < 2; i++) this.z[(ch * this.sectionCount + s) * 2 + i] = this.get(zv, ch, s, i);
  }

  private syncToWasm(): void {
    const zv = this.wasm!.stateView();
    for (let ch = 0; ch < this.channelCount; ch++) for (let s = 0; s < this.sectionCount; s++) for (let i = 0; i < 2; i++) this.put(zv, ch, s, i, this.z[(ch * this.sectionCount + s) * 2 + i]);
  }

  /** Back to the initial condition (zero, or 'step' re-armed for the next chunk). */
  reset(): void {
    this.z.fill(0);
    if (this.wasm) this.wasm.stateView().fill(0);
    this.pendingInit.fill(this.mode === 'step' ? 1 : 0);
  }

  /** Set every channel to the steady state of a constant input equal to `frame[c]` (sosfilt_zi · x0). */
  setSteadyState(frame: ArrayLike<number>): void {
    if (frame.length !== this.channelCount) throw new InputError(`frame has ${frame.length} values, expected ${this.channelCount}`, 'SosFilter.setSteadyState');
    const zv = this.wasm ? this.wasm.stateView() : null;
    for (let ch = 0; ch < this.channelCount; ch++) {
      for (let s = 0; s < this.sectionCount; s++) for (let i = 0; i < 2; i++) this.put(zv, ch, s, i, this.zi[2 * s + i] * frame[ch]);
      this.pendingInit[ch] = 0;
    }
  }

  /** A copy of the state, Float64Array [channel, section, 2] (SciPy's zf layout per channel). */
  getState(): Float64Array {
    if (this.wasm) this.syncFromWasm();
    return this.z.slice();
  }

  /** Replace the state ([channel, section, 2]). */
  setState(state: ArrayLike<number>): void {
    if (state.length !== this.z.length) throw new InputError(`state must hold ${this.z.length} values, got ${state.length}`, 'SosFilter.setState');
    this.z.set(state);
    if (this.wasm) this.syncToWasm();
    this.pendingInit.fill(0);
  }
}

/**
 * Streaming FIR (or general b/a) filter for FRAME-MAJOR chunks, state carried between chunks
 * (`lfilter` with zi), so chunking never changes the output. Arithmetic in float64. A non-finite
 * state is zeroed at the end of the chunk and counted. Not the fastest path for long FIRs.
 */
export class LFilter {
  readonly channelCount: number;
  /** Channel resets caused by a NaN/Infinity state (the state is zeroed at the end of that chunk). */
  nonFiniteResets = 0;
  private readonly bn: Float64Array;
  private readonly an: Float64Array;
  private readonly z: Float64Array;
  private readonly order: number;

  constructor(b: ArrayLike<number>, a: ArrayLike<number>, channelCount: number) {
    if (!Number.isInteger(channelCount) || channelCount < 1) throw new InputError(`channel count must be a positive integer, got ${channelCount}`, 'LFilter');
    const { bn, an } = normaliseBa(b, a, 'LFilter');
    this.bn = bn;
    this.an = an;
    this.order = bn.length - 1;
    this.channelCount = channelCount;
    this.z = new Float64Array(channelCount * this.order);
  }

  /** Filter one frame-major chunk; returns a new array of the input's type unless `output` is given. */
  process<T extends Samples>(input: T, output?: Samples): T {
    const nch = this.channelCount;
    if (input.length % nch !== 0) throw new InputError(`chunk of ${input.length} values is not a whole number of ${nch}-channel frames`, 'LFilter.process');
    const out = (output ?? newLike(input, input.length)) as T;
    const frames = input.length / nch;
    const b = this.bn;
    const a = this.an;
    const order = this.order;
    for (let ch = 0; ch < nch; ch++) {
      const z = this.z.subarray(ch * order, (ch + 1) * order);
      for (let i = 0; i < frames; i++) {
        const idx = i * nch + ch;
        const v = input[idx];
        if (order === 0) {
          out[idx] = b[0] * v;
          continue;
        }
        const o = b[0] * v + z[0];
        for (let j = 0; j < order - 1; j++) z[j] = b[j + 1] * v + z[j + 1] - a[j + 1] * o;
        z[order - 1] = b[order] * v - a[order] * o;
        out[idx] = o;
      }
      let finite = true;
      for (let j = 0; j < order; j++) if (!Number.isFinite(z[j])) finite = false;
      if (!finite) {
        z.fill(0);
        this.nonFiniteResets++;
      }
    }
    return out;
  }

  reset(): void {
    this.z.fill(0);
  }

  /** A copy of the state, Float64Array [channel, order] (SciPy's lfilter zf per channel, MATLAB's filter zf). */
  getState(): Float64Array {
    return this.z.slice();
  }

  /** Replace the state ([channel, order]), e.g. with the final state of an earlier run. */
  setState(state: ArrayLike<number>): void {
    if (state.length !== this.z.length) throw new InputError(`state must hold ${this.z.length} values, got ${state.length}`, 'LFilter.setState');
    this.z.set(state);
  }
}
