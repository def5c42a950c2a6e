// CSP options against MNE-Python 1.3 itself: fixtures/mne.json is written by
// fixtures/make-mne-fixtures.py (Debian's python3-mne 1.3.0, the reference's version) from the
// shared reference epochs. Tolerances are the reference's CSP tolerances (README §6).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasShared, referenceArray, referenceError, referenceJson, needsShared } from '../../../tests/support/shared';
import { classCovariances } from './covariance';
import { Csp, type CspOptions } from './csp';
import type { EpochSet } from './epochs';

const mne = JSON.parse(readFileSync(new URL('./fixtures/mne.json', import.meta.url), 'utf8'));
const byName = (n: string) => mne.cases.find((c: { name: string }) => c.name === n);

describe('CSP options vs MNE 1.3', needsShared, () => {
  const ref = hasShared ? referenceJson('eeg_csp_lda') : ({} as any);
  const tol = hasShared ? ref.csp.tol : ({} as any);
  const epochs = (averageReference = false): EpochSet => {
    const x = referenceArray(ref.epochs.X);
    if (averageReference) {
      for (let e = 0; e < 45; e++)
        for (let t = 0; t < 161; t++) {
          let m = 0;
          for (let c = 0; c < 64; c++) m += x[(e * 64 + c) * 161 + t] / 64;
          for (let c = 0; c < 64; c++) x[(e * 64 + c) * 161 + t] -= m;
        }
    }
    return { data: x, epochCount: 45, channelCount: 64, sampleCount: 161, labels: Int32Array.from(ref.epochs.labels), classNames: ['T1', 'T2'], sampleRateHz: 160 };
  };

  const cases: [string, CspOptions][] = [
    ['ledoit_wolf', { reg: 'ledoit_wolf' }],
    ['shrinkage_0.1', { reg: 0.1 }],
    ['cov_est_epoch', { covEstimation: 'epoch' }],
    ['norm_trace', { normTrace: true }],
    ['log_false', { log: false }],
    ['alternate', { componentOrder: 'alternate' }],
  ];
  it.each(cases)('%s: class covariances, eigenvalues, filters/patterns up to sign, features', (name, options) => {
    const exp = byName(name);
    expect(exp.ok).toBe(true);
    const set = epochs();
    const { covariances } = classCovariances(set, { estimation: options.covEstimation, normTrace: options.normTrace, reg: options.reg ?? null });
    for (let k = 0; k < 2; k++) {
      const c = covariances[k].data;
      let tr = 0;
      for (let i = 0; i < 64; i++) tr += c[i * 64 + i];
      expect(referenceError([tr, c[0], c[1]], [exp.class_cov_trace[k], exp.class_cov_00[k], exp.class_cov_01[k]], 'nmax')).toBeLessThanOrEqual(tol.class_covariances.f64);
    }
    const csp = Csp.fit(set, { components: 4, ...options });
    expect(referenceError(csp.state.eigenvalues, exp.eigenvalues, 'abs')).toBeLessThanOrEqual(tol.eigenvalues.f64);
    for (let j = 0; j < 4; j++) {
      const f = csp.state.filters[j];
      const s = Math.sign(f.reduce((a, v, i) => a + v * exp.filters[j][i], 0));
      expect(referenceError(f.map((v) => s * v), exp.filters[j], 'nmax')).toBeLessThanOrEqual(tol.filters_rows_up_to_sign.f64);
      expect(referenceError(csp.state.patterns[j].map((v) => s * v), exp.patterns[j], 'nmax')).toBeLessThanOrEqual(tol.filters_rows_up_to_sign.f64);
    }
    expect(referenceError(csp.transform(set).data, exp.features.flat(), 'abs')).toBeLessThanOrEqual(tol.features.f64);
  });

  it('average-referenced data: MNE 1.3 keeps a degenerate null-space component (λ < 0, feature ≈ −29); rank "auto" drops it and keeps the rest', () => {
    const exp = byName('avg_ref_reg_none');
    expect(exp.eigenvalues[0]).toBeLessThan(0); // MNE's first "component" is numerical noise
    const set = epochs(true);
    const csp = Csp.fit(set, { components: 3 });
    expect(csp.state.rank).toBe(63);
    // our components 0..2 = MNE's 1..3
    expect(referenceError(csp.state.eigenvalues.slice(0, 3), exp.eigenvalues.slice(1, 4), 'abs')).toBeLessThan(1e-6);
    const ours = csp.transform(set);
    const theirs = exp.features.map((row: number[]) => row.slice(1, 4)).flat();
    expect(referenceError(ours.data, theirs, 'abs')).toBeLessThan(1e-5);
    // and MNE refuses Ledoit–Wolf on the same data, which our rank handling accepts
    expect(byName('avg_ref_ledoit_wolf').ok).toBe(false);
    expect(Csp.fit(set, { components: 4, reg: 'ledoit_wolf', rank: 63 }).state.rank).toBe(63);
  });
});
