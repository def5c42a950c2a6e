// Spherical splines and the 10-05 table against MNE-Python 1.3 (tests/dsp/make-spline-reference.py,
// Debian's python3-mne): interpolation matrix with and without the fitted origin, interpolate_bads output.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceError } from '../../../tests/support/shared';
import { assignStandard1005, standard1005Labels, standard1005Position } from './montage-1005';
import { sphericalSplineMatrix, splineG } from './spherical-spline';

const ref = JSON.parse(readFileSync(new URL('../../../tests/dsp/spline-reference.json', import.meta.url), 'utf8'));
const names: string[] = ref.names;
const bads: string[] = ref.bads;
const goods = names.filter((n) => !bads.includes(n));

describe('standard 10-05 table', () => {
  it('positions equal those MNE assigns with set_montage (head frame, metres)', () => {
    const { positions, missing } = assignStandard1005(names);
    expect(missing).toEqual([]);
    expect(referenceError(positions, (ref.positions as number[][]).flat(), 'abs')).toBeLessThan(1e-15);
  });
  it('labels are found case-insensitively, with EDF padding, an EEG prefix or a reference suffix', () => {
    const cz = standard1005Position('Cz');
    for (const l of ['CZ', 'cz', 'Cz..', 'EEG Cz', 'Cz-REF']) expect(standard1005Position(l)).toEqual(cz);
    expect(standard1005Position('Fc5.')).toEqual(standard1005Position('FC5'));
    expect(standard1005Position('Status')).toBeNull();
    const r = assignStandard1005(['Fp1.', 'EOG', 'Oz']);
    expect(r.found).toEqual([true, false, true]);
    expect(r.missing).toEqual(['EOG']);
    expect(Number.isNaN(r.positions[3])).toBe(true);
    expect(standard1005Labels()).toHaveLength(343);
  });
});

describe('spherical-spline interpolation vs MNE 1.3', () => {
  const pos = assignStandard1005(names).positions;
  const sel = (list: string[]) => Float64Array.from(list.flatMap((n) => Array.from(pos.subarray(names.indexOf(n) * 3, names.indexOf(n) * 3 + 3))));
  it('g(1) and g(−1) are the plain and the alternating Legendre-weight sums (P_n(±1) = (±1)^n)', () => {
    let s = 0;
    for (let n = 1; n <= 50; n++) s += (2 * n + 1) / (n ** 4 * (n + 1) ** 4 * 4 * Math.PI);
    expect(splineG(1)).toBeCloseTo(s, 15);
    let t = 0;
    for (let n = 1; n <= 50; n++) t += ((2 * n + 1) / (n ** 4 * (n + 1) ** 4 * 4 * Math.PI)) * (n % 2 ? -1 : 1);
    expect(splineG(-1)).toBeCloseTo(t, 15);
  });
  it('_make_interpolation_matrix with the fitted origin and without', () => {
    const w = sphericalSplineMatrix(sel(goods), sel(bads), { origin: ref.origin });
    expect([w.rows, w.cols]).toEqual([4, 28]);
    expect(referenceError(w.data, (ref.matrix as number[][]).flat(), 'nmax')).toBeLessThan(1e-9);
    const w0 = sphericalSplineMatrix(sel(goods), sel(bads));
    expect(referenceError(w0.data, (ref.matrixNoOrigin as number[][]).flat(), 'nmax')).toBeLessThan(1e-9);
    // rows sum to one: a constant potential is reproduced
    for (let i = 0; i < 4; i++) expect(w.data.subarray(i * 28, (i + 1) * 28).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
  });
  it('interpolate_bads output', () => {
    const w = sphericalSplineMatrix(sel(goods), sel(bads), { origin: ref.origin });
    const T = 200;
    const sig = (i: number, n: number) => Math.sin(2 * Math.PI * (3 + 0.5 * i) * (n / 100) + 0.3 * i) * 1e-5 + 1e-6 * Math.cos(0.1 * i * n);
    const got = new Float64Array(4 * T);
    for (let b = 0; b < 4; b++)
      for (let n = 0; n < T; n++) {
        let s = 0;
        goods.forEach((g, j) => (s += w.data[b * 28 + j] * sig(names.indexOf(g), n)));
        got[b * T + n] = s;
      }
    expect(referenceError(got, (ref.interpolated as number[][]).flat(), 'nmax')).toBeLessThan(1e-9);
  });
  it('a missing position is refused with what to do', () => {
    const p = sel(goods);
    p[4] = NaN;
    expect(() => sphericalSplineMatrix(p, sel(bads))).toThrow(/assign channel locations first/);
  });
});
