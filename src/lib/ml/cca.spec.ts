// canoncorr (NeuroPype's CCA node: A, B, D) against statsmodels 0.13 CanCorr (tests/ml/make-learner-reference.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceError } from '../../../tests/support/shared';
import { canonicalCorrelation } from './cca';
import { dense } from './linalg';

const ref = JSON.parse(readFileSync(new URL('../../../tests/ml/learner-reference.json', import.meta.url), 'utf8')).cca;
const mat = (rows: number[][]) => dense(rows.length, rows[0].length, Float64Array.from(rows.flat()));

describe('canonical correlation analysis vs statsmodels CanCorr', () => {
  const X = mat(ref.X);
  const Y = mat(ref.Y);
  const n = X.rows;
  const { a, b, r } = canonicalCorrelation(X, Y);
  it('canonical correlations', () => {
    expect(referenceError(r, ref.cancorr, 'abs')).toBeLessThan(1e-10);
  });
  it('coefficients: statsmodels (unit-norm variates) × √(n − 1), up to column sign', () => {
    const d = r.length;
    for (const [ours, theirs] of [[a, ref.x_cancoef_unit_norm], [b, ref.y_cancoef_unit_norm]] as const) {
      for (let k = 0; k < d; k++) {
        const col = Array.from({ length: ours.rows }, (_, j) => ours.data[j * d + k]);
        const exp = (theirs as number[][]).map((row) => row[k] * Math.sqrt(n - 1));
        const sign = col.reduce((s, v, j) => s + v * exp[j], 0) < 0 ? -1 : 1;
        expect(referenceError(col.map((v) => sign * v), exp, 'nmax')).toBeLessThan(1e-8);
      }
    }
  });
  it('the variates have unit variance and correlate by r', () => {
    const d = r.length;
    const variate = (m: typeof X, c: typeof a, k: number) => {
      const v = Array.from({ length: n }, (_, i) => {
        let s = 0;
        for (let j = 0; j < m.cols; j++) s += m.data[i * m.cols + j] * c.data[j * d + k];
        return s;
      });
      const mean = v.reduce((p, q) => p + q, 0) / n;
      return v.map((q) => q - mean);
    };
    for (let k = 0; k < d; k++) {
      const u = variate(X, a, k);
      const v = variate(Y, b, k);
      expect(u.reduce((s, q) => s + q * q, 0) / (n - 1)).toBeCloseTo(1, 10);
      expect(u.reduce((s, q, i) => s + q * v[i], 0) / (n - 1)).toBeCloseTo(r[k], 10);
    }
  });
  it('different numbers of time points are refused', () => {
    expect(() => canonicalCorrelation(X, dense(3, 3))).toThrow(/same number of time points/);
  });
});
