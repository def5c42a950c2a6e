// Covariance estimators: scikit-learn's empirical and Ledoit–Wolf semantics, checked against the
// textbook definitions (Ledoit & Wolf 2004, J. Multivariate Anal. 88:365, Lemmas 3.2–3.4), computed
// here the slow, literal way with explicit outer products.
import { describe, expect, it } from 'vitest';
import { empiricalCovariance, ledoitWolf, shrunkCovariance } from './covariance';
import { seededRandom } from './cross-validation';

function gaussianData(n: number, d: number, seed: number): Float64Array {
  const r = seededRandom(seed);
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: d }, () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
    // correlated columns with different scales
    for (let j = 0; j < d; j++) x[i * d + j] = (j + 1) * z[j] + 0.7 * z[(j + 1) % d] + 3;
  }
  return x;
}

/** Ledoit–Wolf 2004 with the normalised Frobenius norm ‖A‖² = tr(AAᵀ)/p. */
function paperShrinkage(x: Float64Array, n: number, p: number): number {
  const mean = new Array<number>(p).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j] += x[i * p + j] / n;
  const xc = Array.from({ length: n }, (_, i) => Array.from({ length: p }, (_, j) => x[i * p + j] - mean[j]));
  const S = Array.from({ length: p }, (_, a) => Array.from({ length: p }, (_, b) => xc.reduce((s, r) => s + r[a] * r[b], 0) / n));
  const m = S.reduce((s, r, a) => s + r[a], 0) / p;
  const norm2 = (f: (a: number, b: number) => number) => {
    let s = 0;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) s += f(a, b) ** 2;
    return s / p;
  };
  const d2 = norm2((a, b) => S[a][b] - (a === b ? m : 0));
  let b2bar = 0;
  for (const r of xc) b2bar += norm2((a, b) => r[a] * r[b] - S[a][b]);
  b2bar /= n * n;
  return Math.min(b2bar, d2) / d2;
}

describe('covariance estimators', () => {
  it('empirical covariance is the centred, biased (1/n) estimate', () => {
    const x = Float64Array.from([1, 2, 3, 5, 4, 9, 0, 1]); // 4 × 2
    const c = empiricalCovariance(x, 4, 2);
    // columns [1,3,4,0] mean 2, [2,5,9,1] mean 4.25
    const a = [1, 3, 4, 0].map((v) => v - 2);
    const b = [2, 5, 9, 1].map((v) => v - 4.25);
    const dot = (u: number[], v: number[]) => u.reduce((s, x, i) => s + x * v[i], 0) / 4;
    expect(c.data[0]).toBeCloseTo(dot(a, a), 14);
    expect(c.data[1]).toBeCloseTo(dot(a, b), 14);
    expect(c.data[3]).toBeCloseTo(dot(b, b), 14);
  });

  it.each([
    [40, 5, 1],
    [12, 8, 2], // fewer samples than twice the dimension: strong shrinkage
    [200, 3, 3],
  ])('Ledoit–Wolf shrinkage (n=%i, p=%i) equals the paper formula', (n, p, seed) => {
    const x = gaussianData(n, p, seed);
    const lw = ledoitWolf(x, n, p);
    const expected = paperShrinkage(x, n, p);
    expect(lw.shrinkage).toBeGreaterThan(0);
    expect(lw.shrinkage).toBeLessThanOrEqual(1);
    expect(Math.abs(lw.shrinkage - expected)).toBeLessThan(1e-12);
    const emp = empiricalCovariance(x, n, p);
    const want = shrunkCovariance(emp, expected);
    for (let i = 0; i < p * p; i++) expect(lw.covariance.data[i]).toBeCloseTo(want.data[i], 10);
    // trace is preserved by shrinkage towards μI
    let t0 = 0;
    let t1 = 0;
    for (let i = 0; i < p; i++) {
      t0 += emp.data[i * p + i];
      t1 += lw.covariance.data[i * p + i];
    }
    expect(t1).toBeCloseTo(t0, 10);
  });

  it('single-feature data get no shrinkage (scikit-learn returns 0)', () => {
    expect(ledoitWolf(Float64Array.from([1, 2, 4, 8]), 4, 1).shrinkage).toBe(0);
  });
});
