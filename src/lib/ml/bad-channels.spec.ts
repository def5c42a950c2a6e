// Bad-channel detection against a NumPy re-statement of clean_rawdata 2.11 clean_channels
// (tests/ml/make-bad-channels-reference.py) on 60 s of S001R04 (64 channels) with two spoilt channels;
// the FIR design, MATLAB's RNG, and the behaviour that matters (spoilt and flat channels found).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasShared, referenceError, sharedBytes } from '../../../tests/support/shared';
import { assignStandard1005 } from '../dsp/montage-1005';
import { firFrequencySampling, pchip } from '../dsp/fir-sampling';
import { readEdf } from '../formats/edf';
import { detectBadChannels } from './bad-channels';
import { mt19937 } from './mt19937';

const ref = JSON.parse(readFileSync(new URL('../../../tests/ml/bad-channels-reference.json', import.meta.url), 'utf8'));

describe('pieces', () => {
  it("MT19937 doubles are MATLAB's rand after rng('default') (0.8147, 0.9058, 0.1270, …)", () => {
    const r = mt19937();
    expect([r(), r(), r()].map((v) => v.toFixed(4))).toEqual(['0.8147', '0.9058', '0.1270']);
  });
  it('design_fir(100, [0 45 50 80]/80, [1 1 0 0]) at 160 Hz (pchip-sampled response)', () => {
    expect(referenceError(firFrequencySampling(100, [0, 90 / 160, 100 / 160, 1], [1, 1, 0, 0]), ref.fir, 'abs')).toBeLessThan(1e-14);
  });
  it('pchip keeps monotone data monotone and reproduces a line', () => {
    expect(Array.from(pchip([0, 1, 3], [0, 1, 3], [0.5, 2]))).toEqual([0.5, 2]);
    const y = pchip([0, 1, 2, 3], [0, 0, 1, 1], Float64Array.from({ length: 31 }, (_, i) => i / 10));
    for (let i = 1; i < y.length; i++) expect(y[i]).toBeGreaterThanOrEqual(y[i - 1] - 1e-15);
  });
});

describe.skipIf(!hasShared)('clean_channels on S001R04 (60 s, 64 channels, two spoilt)', () => {
  const rec = hasShared ? readEdf(sharedBytes(ref.recording), 'S001R04.edf') : null;
  const s = rec?.streams[0];
  const C = s?.descriptor.channels.length ?? 0;
  const fs = ref.sampleRateHz;
  const S = ref.seconds * fs;
  const x = new Float64Array(S * C);
  if (s) {
    for (let i = 0; i < S * C; i++) x[i] = s.samples[i];
    for (let n = 0; n < S; n++) {
      x[n * C + ref.spoilt.uncorrelated.channel] = 40 * Math.sin(0.9 * n + 0.002 * n * n) + 30 * Math.cos(2.7 * n);
      x[n * C + ref.spoilt.noisy.channel] += 60 * Math.sin((2 * Math.PI * 65 * n) / fs) + 40 * Math.sin((2 * Math.PI * 72.5 * n) / fs + 1);
    }
  }
  const labels = s?.descriptor.channels.map((c) => c.label) ?? [];
  const { positions } = assignStandard1005(labels);
  const r = hasShared ? detectBadChannels(x, C, { sampleRateHz: fs, positions, ...ref.options }) : null;

  it('noise z-scores, window correlations and the removed set equal the re-statement', () => {
    expect(labels).toEqual(ref.labels);
    expect(referenceError(r!.noiseZ!, ref.noiseZ, 'nmax')).toBeLessThan(1e-9);
    expect(referenceError(r!.correlations, (ref.correlations as number[][]).flat(), 'abs')).toBeLessThan(1e-9);
    expect(r!.bad.flatMap((b, i) => (b ? [i] : []))).toEqual(ref.removed);
  });

  it('the uncorrelated channel is removed for correlation, the noisy one for noise', () => {
    expect(r!.reasons[ref.spoilt.uncorrelated.channel]).toContain('correlation');
    expect(r!.reasons[ref.spoilt.noisy.channel]).toContain('noise');
  });

  it('a flat channel is removed; protected and unlocalised channels are kept', () => {
    const y = x.slice();
    const flat = labels.indexOf('Pz..');
    for (let n = 0; n < S; n++) y[n * C + flat] = 0;
    const p = positions.slice();
    const unloc = labels.indexOf('Oz..');
    p.fill(NaN, unloc * 3, unloc * 3 + 3);
    const q = detectBadChannels(y, C, { sampleRateHz: fs, positions: p, ...ref.options, protect: [ref.spoilt.noisy.channel] });
    expect(q.bad[flat]).toBe(true);
    expect(q.bad[ref.spoilt.noisy.channel]).toBe(false);
    expect(q.usable).not.toContain(unloc);
  });

  it('without positions for most channels it says to assign channel locations', () => {
    expect(() => detectBadChannels(x, C, { sampleRateHz: fs, positions: new Float64Array(3 * C).fill(NaN) })).toThrow(/assign channel locations/);
  });
});
