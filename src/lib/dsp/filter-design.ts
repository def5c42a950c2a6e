// Digital filter design (IIR: Butterworth, Chebyshev I, Bessel, notch; FIR: windowed sinc, MNE's
// default FIR) producing coefficients identical to SciPy 1.10 / MNE 1.3 within float64 rounding.
// Pure and synchronous; runs anywhere (page, workers, Node). Design is not a hot path (allocates).
// Must not import anything but ../core; all design maths is float64 even for float32 engines.
import { InputError } from '../core/errors';

/** Pass-band shape. */
export type BandType = 'lowpass' | 'highpass' | 'bandpass' | 'bandstop';

/**
 * Second-order sections: Float64Array of `nSections` rows `[b0, b1, b2, 1, a1, a2]`
 * (SciPy's `output='sos'` layout, a0 normalised to 1).
 */
export type Sos = Float64Array;

/** Complex number as a pair (re, im); arrays of these hold zeros and poles. */
interface C {
  re: number;
  im: number;
}
const c = (re: number, im = 0): C => ({ re, im });
const cadd = (a: C, b: C): C => c(a.re + b.re, a.im + b.im);
const csub = (a: C, b: C): C => c(a.re - b.re, a.im - b.im);
const cmul = (a: C, b: C): C => c(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
const cscale = (a: C, s: number): C => c(a.re * s, a.im * s);
const cneg = (a: C): C => c(-a.re, -a.im);
const cabs = (a: C): number => Math.hypot(a.re, a.im);
function cdiv(a: C, b: C): C {
  // Smith's algorithm (what NumPy uses) to avoid overflow.
  if (Math.abs(b.re) >= Math.abs(b.im)) {
    const r = b.im / b.re;
    const d = b.re + b.im * r;
    return c((a.re + a.im * r) / d, (a.im - a.re * r) / d);
  }
  const r = b.re / b.im;
  const d = b.re * r + b.im;
  return c((a.re * r + a.im) / d, (a.im * r - a.re) / d);
}
function csqrt(a: C): C {
  if (a.re === 0 && a.im === 0) return c(0, a.im);
  const m = cabs(a);
  if (a.re >= 0) {
    const t = Math.sqrt(0.5 * (m + a.re));
    return c(t, a.im / (2 * t));
  }
  const t = Math.sqrt(0.5 * (m - a.re));
  return c(Math.abs(a.im) / (2 * t), Math.sign(a.im) === -1 || Object.is(a.im, -0) ? -t : t);
}
const cprod = (xs: C[]): C => xs.reduce((acc, x) => cmul(acc, x), c(1));

interface Zpk {
  z: C[];
  p: C[];
  k: number;
}

// ---------- analog prototypes (cutoff 1 rad/s) ----------

function buttap(n: number): Zpk {
  const p: C[] = [];
  for (let m = -n + 1; m < n; m += 2) {
    const th = (Math.PI * m) / (2 * n);
    p.push(c(-Math.cos(th), -Math.sin(th)));
  }
  return { z: [], p, k: 1 };
}

function cheb1ap(n: number, rippleDb: number): Zpk {
  const eps = Math.sqrt(Math.pow(10, 0.1 * rippleDb) - 1);
  const mu = Math.asinh(1 / eps) / n;
  const p: C[] = [];
  for (let m = -n + 1; m < n; m += 2) {
    const th = (Math.PI * m) / (2 * n);
    // -sinh(mu + j th) = -(sinh mu cos th + j cosh mu sin th)
    p.push(c(-Math.sinh(mu) * Math.cos(th), -Math.cosh(mu) * Math.sin(th)));
  }
  let k = cprod(p.map(cneg)).re;
  if (n % 2 === 0) k /= Math.sqrt(1 + eps * eps);
  return { z: [], p, k };
}

/** Roots of a monic polynomial with real coefficients (ascending powers), Aberth iteration + Newton polish. */
function polyRoots(coefAsc: number[]): C[] {
  const n = coefAsc.length - 1;
  const evalP = (x: C): [C, C] => {
    let pv = c(coefAsc[n]);
    let dv = c(0);
    for (let i = n - 1; i >= 0; i--) {
      dv = cadd(cmul(dv, x), pv);
      pv = cadd(cmul(pv, x), c(coefAsc[i]));
    }
    return [pv, dv];
  };
  const radius = Math.pow(Math.abs(coefAsc[0]), 1 / n);
  let r: C[] = [];
  for (let i = 0; i < n; i++) {
    const th = (2 * Math.PI * i) / n + 0.4;
    r.push(c(radius * Math.cos(th), radius * Math.sin(th)));
  }
  for (let iter = 0; iter < 500; iter++) {
    let maxStep = 0;
    const next: C[] = [];
    for (let i = 0; i < n; i++) {
      const [pv, dv] = evalP(r[i]);
      const ratio = cdiv(pv, dv);
      let s = c(0);
      for (let j = 0; j < n; j++) if (j !== i) s = cadd(s, cdiv(c(1), csub(r[i], r[j])));
      const w = cdiv(ratio, csub(c(1), cmul(ratio, s)));
      next.push(csub(r[i], w));
      maxStep = Math.max(maxStep, cabs(w) / Math.max(cabs(r[i]), 1e-300));
    }
    r = next;
    if (maxStep < 1e-15) break;
  }
  // Newton polish, then force exact conjugate symmetry.
  r = r.map((x) => {
    let y = x;
    for (let i = 0; i < 3; i++) {
      const [pv, dv] = evalP(y);
      if (dv.re === 0 && dv.im === 0) break;
      y = csub(y, cdiv(pv, dv));
    }
    return y;
  });
  return r.map((x) => (Math.abs(x.im) <= 1e-14 * cabs(x) ? c(x.re, 0) : x));
}

function besselap(n: number, norm: 'phase' | 'mag' | 'delay'): Zpk {
  // Reverse Bessel polynomial theta_n(s) = sum_k (2n-k)! / (2^(n-k) k! (n-k)!) s^k; its roots are
  // SciPy's 1/_bessel_zeros(n) (delay-normalised poles).
  const coef: number[] = [];
  const fact = (m: number): number => {
    let f = 1;
    for (let i = 2; i <= m; i++) f *= i;
    return f;
  };
  for (let k = 0; k <= n; k++) coef.push(fact(2 * n - k) / (Math.pow(2, n - k) * fact(k) * fact(n - k)));
  let p = polyRoots(coef);
  const aLast = coef[0];
  let k = 1;
  if (norm === 'delay') {
    k = aLast;
  } else if (norm === 'mag') {
    const g = (w: number): number => Math.abs(aLast / cabs(cprod(p.map((pi) => csub(c(0, w), pi))))) - Math.SQRT1_2;
    // |H(jw)| decreases monotonically; bracket then bisect + secant to full precision.
    let lo = 0;
    let hi = 1.5;
    while (g(hi) > 0) hi *= 2;
    for (let i = 0; i < 200 && hi - lo > 1e-16 * hi; i++) {
      const mid = 0.5 * (lo + hi);
      if (g(mid) > 0) lo = mid;
      else hi = mid;
    }
    const w = 0.5 * (lo + hi);
    p = p.map((pi) => cscale(pi, 1 / w));
    k = Math.pow(w, -n) * aLast;
  } else {
    const f = Math.pow(10, -Math.log10(aLast) / n);
    p = p.map((pi) => cscale(pi, f));
  }
  return { z: [], p, k };
}

// ---------- frequency transforms (SciPy lp2*_zpk) and bilinear ----------

function lp2lp(f: Zpk, wo: number): Zpk {
  const degree = f.p.length - f.z.length;
  return { z: f.z.map((z) => cscale(z, wo)), p: f.p.map((p) => cscale(p, wo)), k: f.k * Math.pow(wo, degree) };
}

function lp2hp(f: Zpk, wo: number): Zpk {
  const degree = f.p.length - f.z.length;
  const z = f.z.map((x) => cdiv(c(wo), x));
  const p = f.p.map((x) => cdiv(c(wo), x));
  for (let i = 0; i < degree; i++) z.push(c(0));
  const k = f.k * cdiv(cprod(f.z.map(cneg)), cprod(f.p.map(cneg))).re;
  return { z, p, k };
}

function splitBp(xs: C[], bw: number, wo: number): C[] {
  const lp = xs.map((x) => cscale(x, bw / 2));
  const root = lp.map((x) => csqrt(csub(cmul(x, x), c(wo * wo))));
  return [...lp.map((x, i) => cadd(x, root[i])), ...lp.map((x, i) => csub(x, root[i]))];
}

function lp2bp(f: Zpk, wo: number, bw: number): Zpk {
  const degree = f.p.length - f.z.length;
  const z = splitBp(f.z, bw, wo);
  const p = splitBp(f.p, bw, wo);
  for (let i = 0; i < degree; i++) z.push(c(0));
  return { z, p, k: f.k * Math.pow(bw, degree) };
}

function lp2bs(f: Zpk, wo: number, bw: number): Zpk {
  const degree = f.p.length - f.z.length;
  const hpz = f.z.map((x) => cdiv(c(bw / 2), x));
  const hpp = f.p.map((x) => cdiv(c(bw / 2), x));
  const split = (xs: C[]): C[] => {
    const root = xs.map((x) => csqrt(csub(cmul(x, x), c(wo * wo))));
    return [...xs.map((x, i) => cadd(x, root[i])), ...xs.map((x, i) => csub(x, root[i]))];
  };
  const z = split(hpz);
  const p = split(hpp);
  for (let i = 0; i < degree; i++) z.push(c(0, wo));
  for (let i = 0; i < degree; i++) z.push(c(0, -wo));
  const k = f.k * cdiv(cprod(f.z.map(cneg)), cprod(f.p.map(cneg))).re;
  return { z, p, k };
}

function bilinear(f: Zpk, fs: number): Zpk {
  const degree = f.p.length - f.z.length;
  const fs2 = c(2 * fs);
  const z = f.z.map((x) => cdiv(cadd(fs2, x), csub(fs2, x)));
  const p = f.p.map((x) => cdiv(cadd(fs2, x), csub(fs2, x)));
  for (let i = 0; i < degree; i++) z.push(c(-1));
  const k = f.k * cdiv(cprod(f.z.map((x) => csub(fs2, x))), cprod(f.p.map((x) => csub(fs2, x)))).re;
  return { z, p, k };
}

// ---------- zpk -> sos (SciPy zpk2sos, pairing='nearest') ----------

const EPS = 2.220446049250313e-16;
const isReal = (x: C): boolean => x.im === 0;

/** SciPy's _cplxreal: one of each conjugate pair (positive imaginary, averaged), then the reals. */
function cplxreal(zs: C[]): C[] {
  if (zs.length === 0) return [];
  const tol = 100 * EPS;
  const idx = zs.map((_, i) => i);
  idx.sort((a, b) => zs[a].re - zs[b].re || Math.abs(zs[a].im) - Math.abs(zs[b].im) || a - b);
  const z = idx.map((i) => zs[i]);
  const real: number[] = [];
  const rest: C[] = [];
  for (const x of z) {
    if (Math.abs(x.im) <= tol * cabs(x)) real.push(x.re);
    else rest.push(x);
  }
  const zp = rest.filter((x) => x.im > 0);
  const zn = rest.filter((x) => x.im < 0);
  if (zp.length !== zn.length) throw new InputError('complex values without matching conjugates', 'zpk2sos');
  // Sort runs of (nearly) equal real part by imaginary magnitude.
  let start = 0;
  while (start < zp.length) {
    let stop = start;
    while (stop + 1 < zp.length && zp[stop + 1].re - zp[stop].re <= tol * cabs(zp[stop])) stop++;
    if (stop > start) {
      const byIm = (a: C, b: C): number => Math.abs(a.im) - Math.abs(b.im);
      const a = zp.slice(start, stop + 1).sort(byIm);
      const b = zn.slice(start, stop + 1).sort(byIm);
      for (let i = 0; i <= stop - start; i++) {
        zp[start + i] = a[i];
        zn[start + i] = b[i];
      }
    }
    start = stop + 1;
  }
  const zc = zp.map((x, i) => c((x.re + zn[i].re) / 2, (x.im - zn[i].im) / 2));
  return [...zc, ...real.map((r) => c(r))];
}

function nearestIdx(fro: C[], to: C, which: 'any' | 'real' | 'complex'): number {
  const order = fro.map((_, i) => i);
  const d = fro.map((x) => cabs(csub(x, to)));
  order.sort((a, b) => d[a] - d[b] || a - b);
  if (which === 'any') return order[0];
  for (const i of order) if (isReal(fro[i]) === (which === 'real')) return i;
  throw new InputError(`no ${which} zero left to pair`, 'zpk2sos');
}

/** Coefficients of (x - r1)(x - r2)... as real numbers, leading 1 (NumPy poly on conjugate pairs). */
function poly(roots: C[]): number[] {
  let a: C[] = [c(1)];
  for (const r of roots) {
    const next: C[] = [];
    for (let i = 0; i <= a.length; i++) {
      const hi = i < a.length ? a[i] : c(0);
      const lo = i > 0 ? cmul(a[i - 1], cneg(r)) : c(0);
      next.push(cadd(hi, lo));
    }
    a = next;
  }
  return a.map((x) => x.re);
}

function singleSection(z: C[], p: C[], out: Float64Array, row: number): void {
  const b = poly(z);
  const a = poly(p);
  for (let i = 0; i < 6; i++) out[row * 6 + i] = 0;
  for (let i = 0; i < b.length; i++) out[row * 6 + 3 - b.length + i] = b[i];
  for (let i = 0; i < a.length; i++) out[row * 6 + 6 - a.length + i] = a[i];
}

function zpk2sos(f: Zpk): Sos {
  let z = f.z.slice();
  let p = f.p.slice();
  if (z.length === 0 && p.length === 0) return Float64Array.of(f.k, 0, 0, 1, 0, 0);
  while (p.length < z.length) p.push(c(0));
  while (z.length < p.length) z.push(c(0));
  const nSections = (p.length + 1) >> 1;
  if (p.length % 2 === 1) {
    p.push(c(0));
    z.push(c(0));
  }
  z = cplxreal(z);
  p = cplxreal(p);
  const worst = (xs: C[]): number => {
    let best = 0;
    let bestV = Infinity;
    xs.forEach((x, i) => {
      const v = Math.abs(1 - cabs(x));
      if (v < bestV) {
        bestV = v;
        best = i;
      }
    });
    return best;
  };
  const take = (xs: C[], i: number): C => xs.splice(i, 1)[0];
  const conj = (x: C): C => c(x.re, -x.im);
  const sos = new Float64Array(nSections * 6);
  for (let si = nSections - 1; si >= 0; si--) {
    const p1 = take(p, worst(p));
    const nRealP = p.filter(isReal).length;
    if (isReal(p1) && nRealP === 0) {
      const z1 = take(z, nearestIdx(z, p1, 'real'));
      singleSection([z1, c(0)], [p1, c(0)], sos, si);
    } else if (p.length + 1 === z.length && !isReal(p1) && nRealP === 1 && z.filter(isReal).length === 1) {
      const z1 = take(z, nearestIdx(z, p1, 'complex'));
      singleSection([z1, conj(z1)], [p1, conj(p1)], sos, si);
    } else {
      let p2: C;
      if (isReal(p1)) {
        const realIdx = p.map((x, i) => (isReal(x) ? i : -1)).filter((i) => i >= 0);
        const w = worst(realIdx.map((i) => p[i]));
        p2 = take(p, realIdx[w]);
      } else {
        p2 = conj(p1);
      }
      if (z.length > 0) {
        const z1 = take(z, nearestIdx(z, p1, 'any'));
        if (!isReal(z1)) singleSection([z1, conj(z1)], [p1, p2], sos, si);
        else if (z.length > 0) {
          const z2 = take(z, nearestIdx(z, p1, 'real'));
          singleSection([z1, z2], [p1, p2], sos, si);
        } else singleSection([z1], [p1, p2], sos, si);
      } else singleSection([], [p1, p2], sos, si);
    }
  }
  for (let i = 0; i < 3; i++) sos[i] *= f.k;
  return sos;
}

// ---------- public IIR designers ----------

function checkOrder(order: number, max: number, where: string): void {
  if (!Number.isInteger(order) || order < 1 || order > max) {
    throw new InputError(`filter order must be an integer from 1 to ${max}, got ${order}`, where);
  }
}

function normaliseCutoff(cutoffHz: number | readonly number[], btype: BandType, sampleRateHz: number, where: string): number[] {
  if (!(sampleRateHz > 0) || !Number.isFinite(sampleRateHz)) {
    throw new InputError(`sample rate must be a positive number of Hz, got ${sampleRateHz}`, where);
  }
  const nyq = sampleRateHz / 2;
  const band = btype === 'bandpass' || btype === 'bandstop';
  const list = typeof cutoffHz === 'number' ? [cutoffHz] : [...cutoffHz];
  if (band && list.length !== 2) throw new InputError(`${btype} needs two corner frequencies [low, high] in Hz`, where);
  if (!band && list.length !== 1) throw new InputError(`${btype} needs one corner frequency in Hz`, where);
  for (const f of list) {
    if (!(f > 0 && f < nyq)) {
      throw new InputError(`corner frequency ${f} Hz must be above 0 and below Nyquist (${nyq} Hz at ${sampleRateHz} Hz)`, where);
    }
  }
  if (band && !(list[0] < list[1])) throw new InputError(`band edges must increase, got [${list.join(', ')}] Hz`, where);
  return list.map((f) => (2 * f) / sampleRateHz);
}

function iirDesign(proto: Zpk, cutoffHz: number | readonly number[], btype: BandType, sampleRateHz: number, where: string): Sos {
  const wn = normaliseCutoff(cutoffHz, btype, sampleRateHz, where);
  const fs = 2;
  const warped = wn.map((w) => 2 * fs * Math.tan((Math.PI * w) / fs));
  let f: Zpk;
  if (btype === 'lowpass') f = lp2lp(proto, warped[0]);
  else if (btype === 'highpass') f = lp2hp(proto, warped[0]);
  else {
    const bw = warped[1] - warped[0];
    const wo = Math.sqrt(warped[0] * warped[1]);
    f = btype === 'bandpass' ? lp2bp(proto, wo, bw) : lp2bs(proto, wo, bw);
  }
  return zpk2sos(bilinear(f, fs));
}

/**
 * Butterworth design = `scipy.signal.butter(order, cutoffHz, btype, fs=sampleRateHz, output='sos')`.
 * `cutoffHz` is one corner (low/high-pass) or `[low, high]` (band-pass/stop). Pass
 * `sampleRateHz = 2` to give corners relative to Nyquist. Throws InputError on bad parameters.
 */
export function butter(order: number, cutoffHz: number | readonly number[], btype: BandType, sampleRateHz: number): Sos {
  checkOrder(order, 64, 'butter');
  return iirDesign(buttap(order), cutoffHz, btype, sampleRateHz, 'butter');
}

/** Chebyshev type I = `scipy.signal.cheby1(order, rippleDb, cutoffHz, btype, fs=sampleRateHz, output='sos')`. */
export function cheby1(order: number, rippleDb: number, cutoffHz: number | readonly number[], btype: BandType, sampleRateHz: number): Sos {
  checkOrder(order, 64, 'cheby1');
  if (!(rippleDb > 0) || !Number.isFinite(rippleDb)) throw new InputError(`pass-band ripple must be > 0 dB, got ${rippleDb}`, 'cheby1');
  return iirDesign(cheb1ap(order, rippleDb), cutoffHz, btype, sampleRateHz, 'cheby1');
}

/**
 * Bessel/Thomson = `scipy.signal.bessel(order, cutoffHz, btype, fs=sampleRateHz, norm, output='sos')`.
 * norm 'phase' (SciPy's default), 'mag' (−3 dB at the corner) or 'delay'. Orders 1..25.
 */
export function bessel(
  order: number,
  cutoffHz: number | readonly number[],
  btype: BandType,
  sampleRateHz: number,
  norm: 'phase' | 'mag' | 'delay' = 'phase',
): Sos {
  checkOrder(order, 25, 'bessel');
  if (norm !== 'phase' && norm !== 'mag' && norm !== 'delay') throw new InputError(`norm must be 'phase', 'mag' or 'delay', got ${String(norm)}`, 'bessel');
  // the prototype (polynomial roots) depends on order and norm only; the transforms never mutate it
  const key = `${order}:${norm}`;
  let proto = besselProtos.get(key);
  if (!proto) besselProtos.set(key, (proto = besselap(order, norm)));
  return iirDesign(proto, cutoffHz, btype, sampleRateHz, 'bessel');
}

const besselProtos = new Map<string, Zpk>();

/** Transfer function b/a (a[0] = 1). */
export interface TransferFunction {
  b: Float64Array;
  a: Float64Array;
}

/** Second-order IIR notch = `scipy.signal.iirnotch(w0Hz, quality, fs=sampleRateHz)` (−3 dB width w0/Q). */
export function iirnotch(w0Hz: number, quality: number, sampleRateHz: number): TransferFunction {
  normaliseCutoff(w0Hz, 'lowpass', sampleRateHz, 'iirnotch');
  if (!(quality > 0) || !Number.isFinite(quality)) throw new InputError(`quality factor must be > 0, got ${quality}`, 'iirnotch');
  let w0 = (2 * w0Hz) / sampleRateHz;
  let bw = w0 / quality;
  bw *= Math.PI;
  w0 *= Math.PI;
  const gb = 1 / Math.sqrt(2);
  const beta = (Math.sqrt(1 - gb ** 2) / gb) * Math.tan(bw / 2);
  const gain = 1 / (1 + beta);
  const cw = Math.cos(w0);
  return {
    b: Float64Array.of(gain * 1, gain * (-2 * cw), gain * 1),
    a: Float64Array.of(1, -2 * gain * cw, 2 * gain - 1),
  };
}

/** The notch as one second-order section (what `tf2sos(*iirnotch(...))` gives). */
export function iirnotchSos(w0Hz: number, quality: number, sampleRateHz: number): Sos {
  const { b, a } = iirnotch(w0Hz, quality, sampleRateHz);
  return Float64Array.of(b[0], b[1], b[2], 1, a[1], a[2]);
}

/** Stack several SOS arrays into one cascade (e.g. band-pass + notch). */
export function concatSos(...parts: Sos[]): Sos {
  const out = new Float64Array(parts.reduce((n, s) => n + s.length, 0));
  let o = 0;
  for (const s of parts) {
    if (s.length % 6 !== 0) throw new InputError(`SOS length ${s.length} is not a multiple of 6`, 'concatSos');
    out.set(s, o);
    o += s.length;
  }
  return out;
}

/** Throws InputError unless `sos` is a non-empty Float64Array of rows [b0,b1,b2,1,a1,a2] with finite values. */
export function validateSos(sos: ArrayLike<number>, where = 'sos'): void {
  if (sos.length === 0 || sos.length % 6 !== 0) throw new InputError(`SOS must hold rows of 6 numbers, got ${sos.length} values`, where);
  for (let i = 0; i < sos.length; i++) {
    if (!Number.isFinite(sos[i])) throw new InputError(`SOS value ${i} is not finite`, where);
    if (i % 6 === 3 && sos[i] !== 1) throw new InputError(`SOS row ${i / 6 - 0.5} has a0 = ${sos[i]}; normalise a0 to 1`, where);
  }
}

// ---------- windows and FIR ----------

/** Window names understood by `getWindow` (SciPy names). */
export type WindowName = 'hamming' | 'hann' | 'blackman' | 'boxcar' | 'bartlett' | { kaiser: number } | { tukey: number };

/** Modified Bessel function of the first kind, order 0 (power series; exact to rounding for |x| < 700). */
export function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 1000; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/**
 * `scipy.signal.get_window(name, n, fftbins=periodic)`: periodic (for spectra, default of get_window)
 * or symmetric (for FIR design). Kaiser as `{ kaiser: beta }`, Tukey as `{ tukey: alpha }`.
 */
export function getWindow(name: WindowName, n: number, periodic: boolean): Float64Array {
  if (!Number.isInteger(n) || n < 1) throw new InputError(`window length must be a positive integer, got ${n}`, 'getWindow');
  const m = periodic ? n + 1 : n;
  const w = new Float64Array(m);
  if (m === 1) {
    w[0] = 1;
  } else if (typeof name === 'object' && 'tukey' in name) {
    const alpha = name.tukey;
    if (alpha <= 0) w.fill(1);
    else if (alpha >= 1) return getWindow('hann', n, periodic);
    else {
      const width = Math.floor((alpha * (m - 1)) / 2);
      for (let i = 0; i < m; i++) {
        if (i <= width) w[i] = 0.5 * (1 + Math.cos(Math.PI * (-1 + (2 * i) / alpha / (m - 1))));
        else if (i < m - width - 1) w[i] = 1;
        else w[i] = 0.5 * (1 + Math.cos(Math.PI * (-2 / alpha + 1 + (2 * i) / alpha / (m - 1))));
      }
    }
  } else if (typeof name === 'object') {
    const beta = name.kaiser;
    const alpha = (m - 1) / 2;
    const den = besselI0(beta);
    for (let i = 0; i < m; i++) w[i] = besselI0(beta * Math.sqrt(1 - ((i - alpha) / alpha) ** 2)) / den;
  } else if (name === 'boxcar') {
    w.fill(1);
  } else if (name === 'bartlett') {
    for (let i = 0; i < m; i++) w[i] = i <= (m - 1) / 2 ? (2 * i) / (m - 1) : 2 - (2 * i) / (m - 1);
  } else {
    const a = name === 'hamming' ? [0.54, 0.46] : name === 'hann' ? [0.5, 0.5] : name === 'blackman' ? [0.42, 0.5, 0.08] : null;
    if (!a) throw new InputError(`unknown window ${String(name)}`, 'getWindow');
    // SciPy general_cosine: fac = linspace(-pi, pi, m); w = sum a_k cos(k fac)
    const step = (2 * Math.PI) / (m - 1);
    for (let i = 0; i < m; i++) {
      const fac = i === m - 1 ? Math.PI : -Math.PI + i * step;
      let v = 0;
      for (let k = 0; k < a.length; k++) v += a[k] * Math.cos(k * fac);
      w[i] = v;
    }
  }
  return periodic ? w.subarray(0, n).slice() : w;
}

const sinc = (x: number): number => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));

/** Options of `firwin` (SciPy names). */
export interface FirwinOptions {
  /** Pass DC (low-pass / band-stop) when true, SciPy's default. */
  passZero?: boolean;
  window?: WindowName;
  /** Normalise so the gain is 1 at DC, Nyquist or the first pass band's centre. Default true. */
  scale?: boolean;
  /** Sample rate the cutoffs are given in; default 2 (cutoffs relative to Nyquist). */
  sampleRateHz?: number;
}

/**
 * Windowed-sinc linear-phase FIR = `scipy.signal.firwin(numtaps, cutoff, window, pass_zero, scale, fs)`.
 * Cutoffs strictly increasing in (0, fs/2). Returns the taps.
 */
export function firwin(numtaps: number, cutoff: number | readonly number[], opts: FirwinOptions = {}): Float64Array {
  const passZero = opts.passZero ?? true;
  const fs = opts.sampleRateHz ?? 2;
  const scale = opts.scale ?? true;
  if (!Number.isInteger(numtaps) || numtaps < 1) throw new InputError(`numtaps must be a positive integer, got ${numtaps}`, 'firwin');
  const nyq = 0.5 * fs;
  const cut = (typeof cutoff === 'number' ? [cutoff] : [...cutoff]).map((f) => f / nyq);
  if (cut.length === 0) throw new InputError('at least one cutoff frequency is needed', 'firwin');
  for (let i = 0; i < cut.length; i++) {
    if (!(cut[i] > 0 && cut[i] < 1)) throw new InputError(`cutoff ${cut[i] * nyq} must be above 0 and below Nyquist ${nyq}`, 'firwin');
    if (i > 0 && !(cut[i] > cut[i - 1])) throw new InputError('cutoff frequencies must increase', 'firwin');
  }
  const passNyquist = ((cut.length & 1) === 1) !== passZero;
  if (passNyquist && numtaps % 2 === 0) {
    throw new InputError('a filter that passes Nyquist needs an odd number of taps', 'firwin');
  }
  const edges = [...(passZero ? [0] : []), ...cut, ...(passNyquist ? [1] : [])];
  const alpha = 0.5 * (numtaps - 1);
  const h = new Float64Array(numtaps);
  for (let i = 0; i < numtaps; i++) {
    const m = i - alpha;
    let v = 0;
    for (let b = 0; b < edges.length; b += 2) {
      v += edges[b + 1] * sinc(edges[b + 1] * m);
      v -= edges[b] * sinc(edges[b] * m);
    }
    h[i] = v;
  }
  const win = getWindow(opts.window ?? 'hamming', numtaps, false);
  for (let i = 0; i < numtaps; i++) h[i] *= win[i];
  if (scale) {
    const [left, right] = [edges[0], edges[1]];
    const sf = left === 0 ? 0 : right === 1 ? 1 : 0.5 * (left + right);
    let s = 0;
    for (let i = 0; i < numtaps; i++) s += h[i] * Math.cos(Math.PI * (i - alpha) * sf);
    for (let i = 0; i < numtaps; i++) h[i] /= s;
  }
  return h;
}

/** Options of `mneFirFilter` (MNE create_filter, method='fir', fir_design='firwin', phase='zero'). */
export interface MneFirOptions {
  /** Default 'auto': min(max(0.25·l_freq, 2), l_freq). */
  lTransBandwidthHz?: number;
  /** Default 'auto': min(max(0.25·h_freq, 2), fs/2 − h_freq). */
  hTransBandwidthHz?: number;
  window?: 'hamming' | 'hann' | 'blackman';
}

const MNE_LENGTH_FACTOR = { hann: 3.1, hamming: 3.3, blackman: 5.0 } as const;

/**
 * MNE 1.3's default FIR: `mne.filter.create_filter(None, fs, lFreqHz, hFreqHz, method='fir',
 * fir_design='firwin', phase='zero', filter_length='auto', *_trans_bandwidth='auto')`.
 * lFreqHz null = low-pass, hFreqHz null = high-pass, lFreqHz < hFreqHz band-pass (band-stop not supported).
 * Built as MNE does: one firwin low-pass per transition band (own odd length round(factor·fs/transition)),
 * centred and summed. Apply zero-phase (centred convolution) for MNE's result.
 */
export function mneFirFilter(sampleRateHz: number, lFreqHz: number | null, hFreqHz: number | null, opts: MneFirOptions = {}): Float64Array {
  const where = 'mneFirFilter';
  const win = opts.window ?? 'hamming';
  const nyq = sampleRateHz / 2;
  if (!(sampleRateHz > 0)) throw new InputError(`sample rate must be positive, got ${sampleRateHz}`, where);
  if (lFreqHz === null && hFreqHz === null) throw new InputError('give l_freq, h_freq or both', where);
  for (const f of [lFreqHz, hFreqHz]) if (f !== null && !(f > 0 && f < nyq)) throw new InputError(`frequency ${f} Hz must be in (0, ${nyq})`, where);
  const lTrans = lFreqHz === null ? Infinity : (opts.lTransBandwidthHz ?? Math.min(Math.max(0.25 * lFreqHz, 2), lFreqHz));
  const hTrans = hFreqHz === null ? Infinity : (opts.hTransBandwidthHz ?? Math.min(Math.max(0.25 * hFreqHz, 2), nyq - hFreqHz));
  const factor = MNE_LENGTH_FACTOR[win];
  let n = Math.max(Math.ceil((factor / Math.min(lTrans, hTrans)) * sampleRateHz), 1);
  n += (n - 1) % 2;
  let freq: number[];
  let gain: number[];
  if (lFreqHz !== null && hFreqHz !== null && !(lFreqHz < hFreqHz)) {
    throw new InputError('band-stop (l_freq > h_freq) is not supported; use butter(..., "bandstop") or iirnotch', where);
  } else if (lFreqHz !== null && hFreqHz !== null) {
    freq = [0, lFreqHz - lTrans, lFreqHz, hFreqHz, hFreqHz + hTrans, nyq];
    gain = [0, 0, 1, 1, 0, 0];
  } else if (hFreqHz !== null) {
    freq = [0, hFreqHz, hFreqHz + hTrans, nyq];
    gain = [1, 1, 0, 0];
  } else {
    freq = [0, lFreqHz! - lTrans, lFreqHz!, nyq];
    gain = [0, 0, 1, 1];
  }
  const fn = freq.map((f) => f / nyq);
  const h = new Float64Array(n);
  let prevF = fn[fn.length - 1];
  let prevG = gain[gain.length - 1];
  if (prevG === 1) h[n >> 1] = 1;
  for (let i = fn.length - 2; i >= 0; i--) {
    const f = fn[i];
    const g = gain[i];
    if (g !== prevG) {
      const transition = (prevF - f) / 2;
      let m = Math.round(factor / transition);
      m += 1 - (m % 2);
      if (m > n) throw new InputError(`transition needs ${m} taps, more than the filter length ${n}`, where);
      const lp = firwin(m, (prevF + f) / 2, { window: win, passZero: true, sampleRateHz: 2 });
      const off = (n - m) >> 1;
      for (let j = 0; j < m; j++) h[off + j] += g === 0 ? -lp[j] : lp[j];
    }
    prevG = g;
    prevF = f;
  }
  return h;
}

// ---------- frequency response ----------

/**
 * |H| of an SOS cascade at `nPoints` frequencies f_k = k·(fs/2)/nPoints, k = 0..nPoints−1
 * (`scipy.signal.sosfreqz(sos, worN=nPoints, fs)`); returns { freqsHz, magnitude }.
 */
export function sosfreqz(sos: Sos, nPoints: number, sampleRateHz = 2): { freqsHz: Float64Array; magnitude: Float64Array } {
  validateSos(sos, 'sosfreqz');
  const freqsHz = new Float64Array(nPoints);
  const magnitude = new Float64Array(nPoints);
  for (let k = 0; k < nPoints; k++) {
    const w = (Math.PI * k) / nPoints;
    freqsHz[k] = (k * sampleRateHz) / 2 / nPoints;
    const c1 = Math.cos(w), s1 = Math.sin(w), c2 = Math.cos(2 * w), s2 = Math.sin(2 * w);
    let mag = 1;
    for (let r = 0; r < sos.length; r += 6) {
      const nr = sos[r] + sos[r + 1] * c1 + sos[r + 2] * c2;
      const ni = -(sos[r + 1] * s1 + sos[r + 2] * s2);
      const dr = sos[r + 3] + sos[r + 4] * c1 + sos[r + 5] * c2;
      const di = -(sos[r + 4] * s1 + sos[r + 5] * s2);
      mag *= Math.hypot(nr, ni) / Math.hypot(dr, di);
    }
    magnitude[k] = mag;
  }
  return { freqsHz, magnitude };
}

/** |H| of a transfer function b/a on the same grid as `sosfreqz` (`scipy.signal.freqz(b, a, worN, fs)`). */
export function freqz(b: ArrayLike<number>, a: ArrayLike<number>, nPoints: number, sampleRateHz = 2): { freqsHz: Float64Array; magnitude: Float64Array } {
  const freqsHz = new Float64Array(nPoints);
  const magnitude = new Float64Array(nPoints);
  const evalAt = (p: ArrayLike<number>, w: number): number => {
    let re = 0;
    let im = 0;
    for (let i = 0; i < p.length; i++) {
      re += p[i] * Math.cos(w * i);
      im -= p[i] * Math.sin(w * i);
    }
    return Math.hypot(re, im);
  };
  for (let k = 0; k < nPoints; k++) {
    const w = (Math.PI * k) / nPoints;
    freqsHz[k] = (k * sampleRateHz) / 2 / nPoints;
    magnitude[k] = evalAt(b, w) / evalAt(a, w);
  }
  return { freqsHz, magnitude };
}

// ---------------------------------------------------------------------------------------------
// Order selection from a transition-band specification (scipy.signal.buttord / cheb1ord)

/** Result of an order estimate: the order and the natural (critical) frequencies to design with, Hz. */
export interface OrderEstimate {
  order: number;
  /** One value for low/high-pass, [low, high] for band-pass/stop (Hz), as SciPy returns with fs. */
  naturalHz: number | [number, number];
  btype: BandType;
}

/**
 * Bounded scalar minimisation by Brent's method (golden section + parabolic interpolation), as
 * `scipy.optimize.fminbound(func, x1, x2)` with xtol 1e-5 and at most 500 evaluations (the
 * Forsythe–Malcolm–Moler `fmin` algorithm SciPy uses). Returns the abscissa.
 */
export function fminbound(func: (x: number) => number, x1: number, x2: number, xatol = 1e-5, maxfun = 500): number {
  if (!(x1 <= x2)) throw new InputError(`fminbound: lower bound ${x1} exceeds upper bound ${x2}`, 'fminbound');
  const sqrtEps = Math.sqrt(2.2e-16);
  const golden = 0.5 * (3 - Math.sqrt(5));
  let a = x1;
  let b = x2;
  let fulc = a + golden * (b - a);
  let nfc = fulc;
  let xf = fulc;
  let rat = 0;
  let e = 0;
  let x = xf;
  let fx = func(x);
  let num = 1;
  let ffulc = fx;
  let fnfc = fx;
  let xm = 0.5 * (a + b);
  let tol1 = sqrtEps * Math.abs(xf) + xatol / 3;
  let tol2 = 2 * tol1;
  const sign = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0);
  while (Math.abs(xf - xm) > tol2 - 0.5 * (b - a)) {
    let useGolden = true;
    if (Math.abs(e) > tol1) {
      useGolden = false;
      let r = (xf - nfc) * (fx - ffulc);
      let q = (xf - fulc) * (fx - fnfc);
      let p = (xf - fulc) * q - (xf - nfc) * r;
      q = 2 * (q - r);
      if (q > 0) p = -p;
      q = Math.abs(q);
      r = e;
      e = rat;
      if (Math.abs(p) < Math.abs(0.5 * q * r) && p > q * (a - xf) && p < q * (b - xf)) {
        rat = p / q;
        x = xf + rat;
        if (x - a < tol2 || b - x < tol2) rat = tol1 * (sign(xm - xf) + (xm - xf === 0 ? 1 : 0));
      } else useGolden = true;
    }
    if (useGolden) {
      e = xf >= xm ? a - xf : b - xf;
      rat = golden * e;
    }
    const si = sign(rat) + (rat === 0 ? 1 : 0);
    x = xf + si * Math.max(Math.abs(rat), tol1);
    const fu = func(x);
    num++;
    if (fu <= fx) {
      if (x >= xf) a = xf;
      else b = xf;
      fulc = nfc;
      ffulc = fnfc;
      nfc = xf;
      fnfc = fx;
      xf = x;
      fx = fu;
    } else {
      if (x < xf) a = x;
      else b = x;
      if (fu <= fnfc || nfc === xf) {
        fulc = nfc;
        ffulc = fnfc;
        nfc = x;
        fnfc = fu;
      } else if (fu <= ffulc || fulc === xf || fulc === nfc) {
        fulc = x;
        ffulc = fu;
      }
    }
    xm = 0.5 * (a + b);
    tol1 = sqrtEps * Math.abs(xf) + xatol / 3;
    tol2 = 2 * tol1;
    if (num >= maxfun) break;
  }
  return xf;
}

type OrderKind = 'butter' | 'cheby';

/** Prototype order (real, before ceil) that meets gpass/gstop at the normalised stop edge `nat`. */
function orderFor(kind: OrderKind, nat: number, gpass: number, gstop: number): number {
  const GSTOP = 10 ** (0.1 * Math.abs(gstop));
  const GPASS = 10 ** (0.1 * Math.abs(gpass));
  return kind === 'butter' ? Math.log10((GSTOP - 1) / (GPASS - 1)) / (2 * Math.log10(nat)) : Math.acosh(Math.sqrt((GSTOP - 1) / (GPASS - 1))) / Math.acosh(nat);
}

/** Shared part of buttord/cheb1ord: validation, pre-warping, filter type, natural-frequency ratio. */
function orderSpec(passHz: number | readonly number[], stopHz: number | readonly number[], gpassDb: number, gstopDb: number, fs: number, kind: OrderKind, where: string) {
  const wp = (typeof passHz === 'number' ? [passHz] : [...passHz]).map((f) => (2 * f) / fs);
  const ws = (typeof stopHz === 'number' ? [stopHz] : [...stopHz]).map((f) => (2 * f) / fs);
  if (!(fs > 0) || !Number.isFinite(fs)) throw new InputError(`sample rate must be a positive number of Hz, got ${fs}`, where);
  if (!(wp.length === ws.length && (wp.length === 1 || wp.length === 2))) throw new InputError('pass and stop edges must both be one frequency or both two', where);
  for (const w of [...wp, ...ws]) if (!(w > 0 && w < 1)) throw new InputError(`band edges must lie strictly between 0 and Nyquist (${fs / 2} Hz); got ${((w * fs) / 2).toFixed(4)} Hz`, where);
  if (!(gpassDb > 0)) throw new InputError(`gpass must be positive dB, got ${gpassDb}`, where);
  if (!(gstopDb > gpassDb)) throw new InputError(`gstop (${gstopDb} dB) must exceed gpass (${gpassDb} dB)`, where);
  // scipy: 1 low, 2 high, 3 band-stop, 4 band-pass
  let type = 2 * (wp.length - 1) + 1;
  if (wp[0] >= ws[0]) type += 1;
  if (wp.length === 2) {
    const ok = type === 4 ? ws[0] < wp[0] && wp[0] < wp[1] && wp[1] < ws[1] : wp[0] < ws[0] && ws[0] < ws[1] && ws[1] < wp[1];
    if (!ok) throw new InputError(`band edges must nest: band-pass stop < pass < pass < stop, band-stop pass < stop < stop < pass (Hz)`, where);
  } else if (wp[0] === ws[0]) throw new InputError('pass and stop edges must differ', where);
  const passb = wp.map((w) => Math.tan((Math.PI * w) / 2));
  const stopb = ws.map((w) => Math.tan((Math.PI * w) / 2));
  const natOf = (p: number[]) => Math.min(...stopb.map((s) => Math.abs((s * (p[0] - p[1])) / (s * s - p[0] * p[1]))));
  let nat: number;
  if (type === 1) nat = stopb[0] / passb[0];
  else if (type === 2) nat = passb[0] / stopb[0];
  else if (type === 4) nat = Math.min(...stopb.map((s) => Math.abs((s * s - passb[0] * passb[1]) / (s * (passb[0] - passb[1])))));
  else {
    // band-stop: SciPy ≥ 1.11 optimises each pass edge separately from the ORIGINAL edges (fminbound)
    const obj = (ind: number) => (w: number) => {
      const p = passb.slice();
      p[ind] = w;
      return orderFor(kind, natOf(p), gpassDb, gstopDb);
    };
    const wp0 = fminbound(obj(0), passb[0], stopb[0] - 1e-12);
    const wp1 = fminbound(obj(1), stopb[1] + 1e-12, passb[1]);
    passb[0] = wp0;
    passb[1] = wp1;
    nat = natOf(passb);
  }
  const btype: BandType = type === 1 ? 'lowpass' : type === 2 ? 'highpass' : type === 3 ? 'bandstop' : 'bandpass';
  return { type, passb, nat, btype };
}

const postWarp = (w: number, fs: number): number => ((Math.atan(w) * 2) / Math.PI) * (fs / 2);

/**
 * `scipy.signal.buttord(wp, ws, gpass, gstop, fs=fs)`: the lowest Butterworth order that loses no
 * more than `gpassDb` in the pass band and attenuates at least `gstopDb` in the stop band, and the
 * natural frequency (−3 dB point) that gives exactly gpass at the pass edge. Edges in Hz; the
 * filter type follows from them (pass < stop: low-pass; two edges each: band-pass when the stop
 * edges enclose the pass edges, else band-stop).
 */
export function buttord(passHz: number | readonly number[], stopHz: number | readonly number[], gpassDb: number, gstopDb: number, sampleRateHz: number): OrderEstimate {
  const { type, passb, nat, btype } = orderSpec(passHz, stopHz, gpassDb, gstopDb, sampleRateHz, 'butter', 'buttord');
  const GPASS = 10 ** (0.1 * Math.abs(gpassDb));
  const order = Math.ceil(orderFor('butter', nat, gpassDb, gstopDb));
  const W0 = order === 0 ? 1 : (GPASS - 1) ** (-1 / (2 * order));
  let WN: number[];
  if (type === 1) WN = [W0 * passb[0]];
  else if (type === 2) WN = [passb[0] / W0];
  else if (type === 3) {
    const discr = Math.sqrt((passb[1] - passb[0]) ** 2 + 4 * W0 ** 2 * passb[0] * passb[1]);
    WN = [Math.abs((passb[1] - passb[0] + discr) / (2 * W0)), Math.abs((passb[1] - passb[0] - discr) / (2 * W0))].sort((x, y) => x - y);
  } else {
    WN = [-W0, W0].map((w0) => Math.abs((-w0 * (passb[1] - passb[0])) / 2 + Math.sqrt((w0 ** 2 / 4) * (passb[1] - passb[0]) ** 2 + passb[0] * passb[1]))).sort((x, y) => x - y);
  }
  const wn = WN.map((w) => postWarp(w, sampleRateHz));
  return { order, naturalHz: wn.length === 1 ? wn[0] : [wn[0], wn[1]], btype };
}

/**
 * `scipy.signal.cheb1ord(wp, ws, gpass, gstop, fs=fs)`: the lowest Chebyshev type I order meeting
 * the same specification; the natural frequencies are the pass-band edges (for band-stop, the
 * optimised ones), and the design's ripple is gpass.
 */
export function cheb1ord(passHz: number | readonly number[], stopHz: number | readonly number[], gpassDb: number, gstopDb: number, sampleRateHz: number): OrderEstimate {
  const { passb, nat, btype } = orderSpec(passHz, stopHz, gpassDb, gstopDb, sampleRateHz, 'cheby', 'cheb1ord');
  const order = Math.ceil(orderFor('cheby', nat, gpassDb, gstopDb));
  const wn = passb.map((w) => postWarp(w, sampleRateHz));
  return { order, naturalHz: wn.length === 1 ? wn[0] : [wn[0], wn[1]], btype };
}

/**
 * Bessel order for a transition-band specification. SciPy has no `besselord`, so this searches the
 * lowest order N ≤ maxOrder whose `bessel(N, corner, norm='phase')` design loses at most gpassDb at
 * every pass edge and attenuates at least gstopDb at every stop edge (|H| evaluated exactly there).
 * Low/high-pass: for each N the corner is placed (bisection) so the pass edge loses exactly gpassDb,
 * as buttord does for Butterworth. Band-pass/stop: the corners are the middles of the two transition
 * bands. A Bessel filter trades selectivity for a flat group delay, so N is much higher than
 * Butterworth's for the same specification; when no N up to maxOrder meets it, maxOrder is returned
 * (with its corner) and `met` is false.
 */
export function besselord(
  passHz: number | readonly number[],
  stopHz: number | readonly number[],
  gpassDb: number,
  gstopDb: number,
  sampleRateHz: number,
  maxOrder = 25,
): OrderEstimate & { met: boolean } {
  const { btype } = orderSpec(passHz, stopHz, gpassDb, gstopDb, sampleRateHz, 'butter', 'besselord');
  const p = typeof passHz === 'number' ? [passHz] : [...passHz];
  const s = typeof stopHz === 'number' ? [stopHz] : [...stopHz];
  const lossDb = (sos: Sos, f: number) => -20 * Math.log10(sosMagnitudeAt(sos, f, sampleRateHz));
  const cornerFor = (n: number): number | [number, number] => {
    if (p.length === 2) return [(p[0] + s[0]) / 2, (p[1] + s[1]) / 2];
    // loss at the pass edge falls as the corner moves away from it into the stop side's direction
    const low = btype === 'lowpass';
    let a = low ? p[0] : 1e-9 * sampleRateHz;
    let b = low ? 0.4999 * sampleRateHz : p[0];
    for (let it = 0; it < 48; it++) {
      const m = 0.5 * (a + b);
      const l = lossDb(bessel(n, m, btype, sampleRateHz, 'phase'), p[0]);
      if (l > gpassDb === low) a = m;
      else b = m;
    }
    return low ? b : a;
  };
  let corner: number | [number, number] = 0;
  for (let n = 1; n <= maxOrder; n++) {
    corner = cornerFor(n);
    const sos = bessel(n, corner, btype, sampleRateHz, 'phase');
    if (p.every((f) => lossDb(sos, f) <= gpassDb + 1e-9) && s.every((f) => lossDb(sos, f) >= gstopDb)) return { order: n, naturalHz: corner, btype, met: true };
  }
  return { order: maxOrder, naturalHz: corner, btype, met: false };
}

/** |H(e^{jω})| of an SOS cascade at one frequency (Hz). */
export function sosMagnitudeAt(sos: Sos, freqHz: number, sampleRateHz: number): number {
  const w = (2 * Math.PI * freqHz) / sampleRateHz;
  const c1 = Math.cos(w);
  const s1 = -Math.sin(w);
  const c2 = Math.cos(2 * w);
  const s2 = -Math.sin(2 * w);
  let mag = 1;
  for (let i = 0; i < sos.length; i += 6) {
    const nr = sos[i] + sos[i + 1] * c1 + sos[i + 2] * c2;
    const ni = sos[i + 1] * s1 + sos[i + 2] * s2;
    const dr = sos[i + 3] + sos[i + 4] * c1 + sos[i + 5] * c2;
    const di = sos[i + 4] * s1 + sos[i + 5] * s2;
    mag *= Math.hypot(nr, ni) / Math.hypot(dr, di);
  }
  return mag;
}
