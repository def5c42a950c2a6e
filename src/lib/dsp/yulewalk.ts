// Recursive (IIR) filter design by the modified Yule–Walker method, as MATLAB's `yulewalk(n, f, m)`
// (Friedlander & Porat 1984): the denominator from the correlations of the desired power response,
// the numerator by spectral factorisation and a least-squares fit. Used for the spectral-shaping
// filter of Artifact Subspace Reconstruction (ml/asr.ts). Runs anywhere; design time only (allocates).
import { EigenvalueDecomposition, Matrix, solve } from 'ml-matrix';
import { InputError } from '../core/errors';
import { Fft } from './fft';

/** Numerator `b` and denominator `a` (a[0] = 1), float64. */
export interface YulewalkFilter {
  b: Float64Array;
  a: Float64Array;
}

/**
 * MATLAB `[b, a] = yulewalk(order, frequencies, magnitudes)`. `frequencies` are normalised (1 = Nyquist),
 * increasing from 0 to 1 (a repeated value marks a step); `magnitudes` the desired |H| at each.
 * The grid is MATLAB's: 513 points from DC to Nyquist, steps smoothed over 20 points.
 */
export function yulewalk(order: number, frequencies: readonly number[], magnitudes: readonly number[]): YulewalkFilter {
  const where = 'yulewalk';
  if (!Number.isInteger(order) || order < 1) throw new InputError(`order must be a positive integer, got ${order}`, where);
  const mf = frequencies.length;
  if (mf < 2 || magnitudes.length !== mf) throw new InputError(`${mf} frequencies for ${magnitudes.length} magnitudes; give two or more of each`, where);
  if (frequencies[0] !== 0 || frequencies[mf - 1] !== 1) throw new InputError('frequencies must start at 0 and end at 1 (Nyquist)', where);
  for (let i = 1; i < mf; i++) if (!(frequencies[i] >= frequencies[i - 1])) throw new InputError('frequencies must be non-decreasing', where);
  for (const m of magnitudes) if (!(m >= 0)) throw new InputError('magnitudes must be non-negative numbers', where);

  // Desired magnitude on the grid (0-based indices; MATLAB's 1-based nb/ne shifted by one).
  const npt = 513;
  const lap = 20;
  const ht = new Float64Array(npt);
  let nb = 0;
  ht[0] = magnitudes[0];
  for (let i = 0; i < mf - 1; i++) {
    let ne: number;
    if (frequencies[i + 1] === frequencies[i]) {
      nb -= lap / 2;
      ne = nb + lap;
    } else {
      ne = Math.trunc(frequencies[i + 1] * npt) - 1;
    }
    for (let j = nb; j <= ne; j++) {
      const inc = ne === nb ? 0 : (j - nb) / (ne - nb);
      if (j >= 0 && j < npt) ht[j] = inc * magnitudes[i + 1] + (1 - inc) * magnitudes[i];
    }
    nb = ne + 1;
  }
  const n = 2 * npt - 2;
  const full = new Float64Array(n);
  full.set(ht);
  for (let k = 1; k < npt - 1; k++) full[npt - 1 + k] = ht[npt - 1 - k];

  const fft = new Fft(n);
  const nr = 4 * order;
  // Correlations of the power response, Hamming-like tapered.
  const re = Float64Array.from(full, (h) => h * h);
  const im = new Float64Array(n);
  ifft(fft, re, im);
  const r = new Float64Array(nr);
  for (let k = 0; k < nr; k++) r[k] = re[k] * (0.54 + 0.46 * Math.cos((Math.PI * k) / (nr - 1)));

  const a = polystab(denominator(r, order));
  const rHalf = r.slice();
  rHalf[0] /= 2;
  const qh = numerator(rHalf, a, order);

  // Ss = 2·Re(Qh/A) on the whole circle, then the minimum-phase factor by the cepstrum.
  const qRe = new Float64Array(n);
  const qIm = new Float64Array(n);
  qRe.set(qh);
  fft.transform(qRe, qIm);
  const aRe = new Float64Array(n);
  const aIm = new Float64Array(n);
  aRe.set(a);
  fft.transform(aRe, aIm);
  const cRe = new Float64Array(n);
  const cIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const den = aRe[k] * aRe[k] + aIm[k] * aIm[k];
    const ss = (2 * (qRe[k] * aRe[k] + qIm[k] * aIm[k])) / den;
    // complex log of a real number: ln|ss| + iπ when negative
    cRe[k] = Math.log(Math.abs(ss));
    cIm[k] = ss < 0 ? Math.PI : 0;
  }
  ifft(fft, cRe, cIm);
  const n2 = Math.trunc((n + 1) / 2);
  for (let k = 0; k < n; k++) {
    const w = k === 0 ? 0.5 : k < n2 ? 1 : 0;
    cRe[k] *= w;
    cIm[k] *= w;
  }
  fft.transform(cRe, cIm);
  for (let k = 0; k < n; k++) {
    const mag = Math.exp(cRe[k]);
    const ph = cIm[k];
    cRe[k] = mag * Math.cos(ph);
    cIm[k] = mag * Math.sin(ph);
  }
  ifft(fft, cRe, cIm);
  // numf is linear with a real system matrix: the real part of the fit is the fit of the real part.
  const b = numerator(cRe.subarray(0, nr), a, order);
  return { b, a };
}

function ifft(fft: Fft, re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let k = 0; k < n; k++) im[k] = -im[k];
  fft.transform(re, im);
  for (let k = 0; k < n; k++) {
    re[k] /= n;
    im[k] = -im[k] / n;
  }
}

/** Modified Yule–Walker denominator of order `na` from correlations r[0…nr−1] (least squares). */
function denominator(r: Float64Array, na: number): Float64Array {
  const nr = r.length;
  const rows = nr - 1 - na;
  const m = new Matrix(rows, na);
  const rhs = new Matrix(rows, 1);
  // toeplitz(r[na … nr−2], r[na … 1])
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < na; j++) m.set(i, j, r[Math.abs(na + i - j)]);
    rhs.set(i, 0, -r[na + 1 + i]);
  }
  const x = solve(m, rhs);
  const a = new Float64Array(na + 1);
  a[0] = 1;
  for (let j = 0; j < na; j++) a[j + 1] = x.get(j, 0);
  return a;
}

/** Numerator of order `nb` whose ratio with `a` has impulse response closest to `h` (least squares). */
function numerator(h: ArrayLike<number>, a: Float64Array, nb: number): Float64Array {
  const nh = h.length;
  const impulse = new Float64Array(nh);
  for (let i = 0; i < nh; i++) {
    let v = i === 0 ? 1 : 0;
    for (let k = 1; k < a.length && k <= i; k++) v -= a[k] * impulse[i - k];
    impulse[i] = v / a[0];
  }
  const m = new Matrix(nh, nb + 1);
  const rhs = new Matrix(nh, 1);
  for (let i = 0; i < nh; i++) {
    for (let j = 0; j <= nb && j <= i; j++) m.set(i, j, impulse[i - j]);
    rhs.set(i, 0, h[i]);
  }
  const x = solve(m, rhs);
  return Float64Array.from({ length: nb + 1 }, (_, j) => x.get(j, 0));
}

/** MATLAB `polystab`: roots outside the unit circle reflected inside (1/conj), leading coefficient kept. */
function polystab(a: Float64Array): Float64Array {
  const n = a.length - 1;
  const companion = new Matrix(n, n);
  for (let j = 0; j < n; j++) companion.set(0, j, -a[j + 1] / a[0]);
  for (let i = 1; i < n; i++) companion.set(i, i - 1, 1);
  const evd = new EigenvalueDecomposition(companion);
  const rootsRe = evd.realEigenvalues;
  const rootsIm = evd.imaginaryEigenvalues;
  // poly(v): product of (z − v_k), complex arithmetic
  let pRe = [1];
  let pIm = [0];
  for (let k = 0; k < n; k++) {
    let vr = rootsRe[k];
    let vi = rootsIm[k];
    const mag2 = vr * vr + vi * vi;
    if (mag2 > 1) {
      vr = vr / mag2;
      vi = vi / mag2;
    }
    const nRe = new Array<number>(pRe.length + 1).fill(0);
    const nIm = new Array<number>(pRe.length + 1).fill(0);
    for (let i = 0; i < pRe.length; i++) {
      nRe[i] += pRe[i];
      nIm[i] += pIm[i];
      nRe[i + 1] -= pRe[i] * vr - pIm[i] * vi;
      nIm[i + 1] -= pRe[i] * vi + pIm[i] * vr;
    }
    pRe = nRe;
    pIm = nIm;
  }
  return Float64Array.from(pRe, (v) => v * a[0]);
}
