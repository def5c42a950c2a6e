// SPoC against MNE 1.3's mne.decoding.SPoC (tests/ml/make-learner-reference.py) on the shared
// reference epochs with a continuous target, without and with covariance regularisation.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceEpochs } from '../../../tests/support/reference-epochs';
import { hasShared, referenceError } from '../../../tests/support/shared';
import { Spoc } from './spoc';

const ref = JSON.parse(readFileSync(new URL('../../../tests/ml/learner-reference.json', import.meta.url), 'utf8')).spoc;

describe.skipIf(!hasShared)('SPoC vs MNE 1.3', () => {
  const set = referenceEpochs()!;
  it.each(ref.cases.map((c: { reg: number | null }) => [c.reg, c]) as [number | null, any][])('reg %s: filters and patterns up to sign, log-power features', (_, c: any) => {
    const m = Spoc.fit(set, ref.target, { components: c.n_components, reg: c.reg });
    for (let k = 0; k < c.n_components; k++) {
      const f = m.state.filters[k];
      const e: number[] = c.filters[k];
      const sign = f.reduce((a, v, i) => a + v * e[i], 0) < 0 ? -1 : 1;
      expect(referenceError(f.map((v) => sign * v), e, 'nmax')).toBeLessThan(1e-6);
      const pat = m.state.patterns[k];
      expect(referenceError(pat.map((v) => sign * v), c.patterns[k], 'nmax')).toBeLessThan(1e-6);
    }
    expect(referenceError(m.transform(set).data, (c.features as number[][]).flat(), 'nmax')).toBeLessThan(1e-9);
    const again = Spoc.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    expect(Array.from(again.transform(set).data)).toEqual(Array.from(m.transform(set).data));
  });
  it('the first component\'s power follows the target (that is what SPoC is for)', () => {
    const m = Spoc.fit(set, ref.target, { components: 1 });
    const f = m.transform(set).data;
    const t: number[] = ref.target;
    const mf = f.reduce((a, b) => a + b, 0) / 45;
    const mt = t.reduce((a, b) => a + b, 0) / 45;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < 45; i++) {
      sxy += (f[i] - mf) * (t[i] - mt);
      sxx += (f[i] - mf) ** 2;
      syy += (t[i] - mt) ** 2;
    }
    expect(Math.abs(sxy / Math.sqrt(sxx * syy))).toBeGreaterThan(0.5);
  });
  it('a constant target is refused', () => {
    expect(() => Spoc.fit(set, new Array(45).fill(2))).toThrow(/one value only/);
  });
});
