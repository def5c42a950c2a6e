// Spherical-spline interpolation of scalp potentials (Perrin et al. 1989) as MNE-Python 1.3's
// `_make_interpolation_matrix`: positions (minus an origin) projected on the unit sphere,
// g(cos θ) = Σ_{n=1}^{terms} (2n+1) / (n^m (n+1)^m 4π) · P_n(cos θ) with stiffness m = 4 and 50
// Legendre terms, α = 1e-5 on the diagonal, and the constant term solved with the weights through
// pinv([[G, 1], [1ᵀ, 0]]). Used by InterpolateMissingChannels and by bad-channel detection's RANSAC.
// Runs anywhere; building a matrix allocates (O(n³)), applying it is one product per sample.
import { Matrix, pseudoInverse } from 'ml-matrix';
import { InputError } from '../core/errors';

export interface SphericalSplineOptions {
  /** Subtracted from every position before projecting on the sphere (metres; MNE: the fitted head origin). Default [0, 0, 0]. */
  origin?: readonly [number, number, number];
  /** Spline order m (default 4). */
  stiffness?: number;
  /** Legendre terms of g (default 50, MNE 1.3; clean_rawdata sums until converged, the same to ~1e-11). */
  legendreTerms?: number;
  /** Regularisation added to G's diagonal (default 1e-5). */
  alpha?: number;
}

/** g(x) for one cosine, by the Legendre recurrence. */
export function splineG(cosAngle: number, stiffness = 4, legendreTerms = 50): number {
  let p0 = 1;
  let p1 = cosAngle;
  let g = 0;
  for (let n = 1; n <= legendreTerms; n++) {
    if (n > 1) {
      const p2 = ((2 * n - 1) * cosAngle * p1 - (n - 1) * p0) / n;
      p0 = p1;
      p1 = p2;
    }
    g += ((2 * n + 1) / (n ** stiffness * (n + 1) ** stiffness * 4 * Math.PI)) * p1;
  }
  return g;
}

function unitRows(p: ArrayLike<number>, origin: readonly number[], where: string): Float64Array {
  if (p.length % 3 !== 0) throw new InputError(`${p.length} values are not x, y, z triples`, where);
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i += 3) {
    const x = p[i] - origin[0];
    const y = p[i + 1] - origin[1];
    const z = p[i + 2] - origin[2];
    const r = Math.hypot(x, y, z);
    if (!(r > 0) || !Number.isFinite(r)) throw new InputError(`position ${i / 3} is missing, non-finite or at the origin; assign channel locations first`, where);
    out[i] = x / r;
    out[i + 1] = y / r;
    out[i + 2] = z / r;
  }
  return out;
}

/**
 * Interpolation matrix W (to × from, row-major): the potential at each `to` position is
 * Σ_j W[i, j] · v_j over the `from` channels. Positions are n × 3 row-major, metres.
 */
export function sphericalSplineMatrix(from: ArrayLike<number>, to: ArrayLike<number>, options: SphericalSplineOptions = {}): { rows: number; cols: number; data: Float64Array } {
  const where = 'spherical spline';
  const origin = options.origin ?? [0, 0, 0];
  const m = options.stiffness ?? 4;
  const terms = options.legendreTerms ?? 50;
  const alpha = options.alpha ?? 1e-5;
  const a = unitRows(from, origin, `${where} (source positions)`);
  const b = unitRows(to, origin, `${where} (target positions)`);
  const nf = a.length / 3;
  const nt = b.length / 3;
  if (nf < 1) throw new InputError('no source channels to interpolate from', where);
  const c = new Matrix(nf + 1, nf + 1);
  for (let i = 0; i < nf; i++) {
    for (let j = 0; j <= i; j++) {
      const g = splineG(a[3 * i] * a[3 * j] + a[3 * i + 1] * a[3 * j + 1] + a[3 * i + 2] * a[3 * j + 2], m, terms);
      c.set(i, j, g);
      c.set(j, i, g);
    }
    c.set(i, i, c.get(i, i) + alpha);
    c.set(i, nf, 1);
    c.set(nf, i, 1);
  }
  const cInv = pseudoInverse(c);
  const out = new Float64Array(nt * nf);
  const row = new Float64Array(nf + 1);
  for (let i = 0; i < nt; i++) {
    for (let j = 0; j < nf; j++) row[j] = splineG(b[3 * i] * a[3 * j] + b[3 * i + 1] * a[3 * j + 1] + b[3 * i + 2] * a[3 * j + 2], m, terms);
    row[nf] = 1;
    for (let j = 0; j < nf; j++) {
      let s = 0;
      for (let k = 0; k <= nf; k++) s += row[k] * cInv.get(k, j);
      out[i * nf + j] = s;
    }
  }
  return { rows: nt, cols: nf, data: out };
}
