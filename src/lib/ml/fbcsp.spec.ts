// NeuroPype-style filter-bank CSP against MNE 1.3 CSP(n_components = 2·nof, cov_est='epoch',
// component_order='alternate') on NumPy FFT-masked bands (tests/ml/make-learner-reference.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceEpochs } from '../../../tests/support/reference-epochs';
import { hasShared, referenceError } from '../../../tests/support/shared';
import { bandPassEpochs, FftFilterBankCsp, NEUROPYPE_FBCSP_BANDS } from './fbcsp';

const ref = JSON.parse(readFileSync(new URL('../../../tests/ml/learner-reference.json', import.meta.url), 'utf8')).fbcsp;

describe.skipIf(!hasShared)('filter-bank CSP (NeuroPype bands) vs MNE CSP per FFT-masked band', () => {
  const set = referenceEpochs()!;
  const fb = hasShared ? FftFilterBankCsp.fit(set, { bands: ref.bands, nof: ref.nof }) : null;
  it('bands are NeuroPype\'s defaults; the FFT band-pass equals numpy irfft(mask · rfft)', () => {
    expect(ref.bands).toEqual(NEUROPYPE_FBCSP_BANDS.map((b) => [...b]));
    ref.perBand.forEach((b: any) => {
      const x = bandPassEpochs(set, 160, b.band, 256);
      expect(referenceError(x.data.subarray(0, 161), b.bandpassed_epoch0_ch0, 'nmax')).toBeLessThan(1e-12);
    });
  });
  it.each([0, 1, 2, 3, 4])('band %i: filters up to sign and log-variance features', (i) => {
    const b = ref.perBand[i];
    const csp = fb!.state.bank.csps[i];
    const k = 2 * ref.nof;
    for (let j = 0; j < k; j++) {
      const f = csp.filters[j];
      const e: number[] = b.filters[j];
      const sign = f.reduce((a, v, c) => a + v * e[c], 0) < 0 ? -1 : 1;
      expect(referenceError(f.map((v) => sign * v), e, 'nmax')).toBeLessThan(1e-5);
    }
    const feats = fb!.transform(set);
    const mine = Float64Array.from({ length: 45 * k }, (_, q) => feats.data[Math.floor(q / k) * feats.cols + i * k + (q % k)]);
    expect(referenceError(mine, (b.features as number[][]).flat(), 'nmax')).toBeLessThan(1e-8);
  });
  it('state reloads from JSON', () => {
    const again = FftFilterBankCsp.fromJSON(JSON.parse(JSON.stringify(fb!.toJSON())));
    expect(Array.from(again.transform(set).data)).toEqual(Array.from(fb!.transform(set).data));
  });
});
