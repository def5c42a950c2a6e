// CSP on average-referenced data (rank p − 1). MNE 1.3's plain eigh(C0, C0 + C1) fails there; the
// reference README (§6) says to reduce the rank first, e.g. drop one channel after the average
// reference. Solving in the range of C0 + C1 (rank 'auto') must give the same components.
import { describe, expect, it } from 'vitest';
import { hasShared, referenceArray, referenceJson, needsShared } from '../../../tests/support/shared';
import { InputError } from '../core/errors';
import { Csp } from './csp';
import type { EpochSet } from './epochs';

describe('CSP rank handling (average reference)', needsShared, () => {
  const ref = hasShared ? referenceJson('eeg_csp_lda') : ({} as any);
  const [E, C, T] = hasShared ? ref.epochs.X.shape : [0, 0, 0];
  const averageReferenced = (): EpochSet => {
    const x = referenceArray(ref.epochs.X);
    for (let e = 0; e < E; e++)
      for (let t = 0; t < T; t++) {
        let m = 0;
        for (let c = 0; c < C; c++) m += x[(e * C + c) * T + t];
        m /= C;
        for (let c = 0; c < C; c++) x[(e * C + c) * T + t] -= m;
      }
    return { data: x, epochCount: E, channelCount: C, sampleCount: T, labels: Int32Array.from(ref.epochs.labels), classNames: ['T1', 'T2'], sampleRateHz: 160 };
  };
  const dropLast = (s: EpochSet): EpochSet => {
    const p = s.channelCount - 1;
    const data = new Float64Array(s.epochCount * p * T);
    for (let e = 0; e < s.epochCount; e++) data.set(s.data.subarray(e * s.channelCount * T, (e * s.channelCount + p) * T), e * p * T);
    return { ...s, data, channelCount: p };
  };

  it('finds rank 63 and gives the features of CSP on 63 channels', () => {
    const avg = averageReferenced();
    const csp = Csp.fit(avg, { components: 4 });
    expect(csp.state.rank).toBe(63);
    expect(csp.state.filters.length).toBe(63);
    const dropped = Csp.fit(dropLast(avg), { components: 4 });
    expect(dropped.state.rank).toBe(63);
    for (let j = 0; j < 63; j++) expect(Math.abs(csp.state.eigenvalues[j] - dropped.state.eigenvalues[j])).toBeLessThan(1e-9);
    const f1 = csp.transform(avg).data;
    const f2 = dropped.transform(dropLast(avg)).data;
    let maxDiff = 0;
    for (let i = 0; i < f1.length; i++) maxDiff = Math.max(maxDiff, Math.abs(f1[i] - f2[i]));
    expect(maxDiff).toBeLessThan(1e-7);
    for (const v of f1) expect(Number.isFinite(v)).toBe(true);
  });

  it("rank 'full' refuses rank-deficient data; more components than the rank are refused", () => {
    const avg = averageReferenced();
    expect(() => Csp.fit(avg, { rank: 'full' })).toThrow(/rank 63 < 64/);
    expect(() => Csp.fit(avg, { components: 64 })).toThrow(InputError);
  });

  it('Ledoit–Wolf regularised CSP stays full rank and usable on average-referenced data', () => {
    const avg = averageReferenced();
    const csp = Csp.fit(avg, { components: 4, reg: 'ledoit_wolf' });
    expect(csp.state.rank).toBe(64);
    for (const v of csp.transform(avg).data) expect(Number.isFinite(v)).toBe(true);
  });
});
