// MNE 1.3's zero-phase FIR (firZeroPhase with mneFirFilter's taps) against mne.filter.filter_data on
// the cases of tests/dsp/make-fir-zero-phase-reference.py: a filter longer than the signal (the live
// fNIRS quality window), several FFT blocks with an odd channel count, a constant channel, and a
// short filter that convolves directly. The shared fNIRS reference checks the same on real OD
// (filter-design.spec.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceError } from '../../../tests/support/shared';
import { mneFirFilter } from './filter-design';
import { FIR_FFT_MIN_TAPS, firZeroPhase } from './iir';

interface Case {
  name: string;
  sampleRateHz: number;
  channels: number;
  samples: number;
  lFreqHz: number;
  hFreqHz: number;
  transHz: number;
  constantChannel: number | null;
  filtered: number[];
}
const ref = JSON.parse(readFileSync(new URL('../../../tests/dsp/fir-zero-phase-reference.json', import.meta.url), 'utf8')) as { cases: Case[] };

/** The generator's signal, channel-major. */
function signal(c: Case): Float64Array {
  const x = new Float64Array(c.channels * c.samples);
  for (let ch = 0; ch < c.channels; ch++) {
    for (let n = 0; n < c.samples; n++) {
      const t = n / c.sampleRateHz;
      x[ch * c.samples + n] = ch === c.constantChannel ? 0.3 : Math.sin(2 * Math.PI * 1.1 * t + ch) + 0.5 * Math.sin(2 * Math.PI * 0.23 * (ch + 1) * t) + (0.1 * ch * n) / c.samples;
    }
  }
  return x;
}

describe('firZeroPhase equals mne.filter.filter_data', () => {
  for (const c of ref.cases) {
    it(c.name, () => {
      const h = mneFirFilter(c.sampleRateHz, c.lFreqHz, c.hFreqHz, { lTransBandwidthHz: c.transHz, hTransBandwidthHz: c.transHz });
      const y = firZeroPhase(h, signal(c), c.channels, c.samples);
      expect(referenceError(y, c.filtered, 'nmax')).toBeLessThan(1e-12);
      expect(referenceError(firZeroPhase(h, Float32Array.from(signal(c)), c.channels, c.samples), c.filtered, 'nmax')).toBeLessThan(1e-6);
      if (c.constantChannel !== null) {
        // flat stays flat (quality metrics read a flat channel as SCI 0), not FFT rounding noise
        const row = y.subarray(c.constantChannel * c.samples, (c.constantChannel + 1) * c.samples);
        expect(row.every((v) => v === row[0])).toBe(true);
      }
    });
  }

  it('the cases cover both the direct and the FFT convolution', () => {
    const taps = ref.cases.map((c) => mneFirFilter(c.sampleRateHz, c.lFreqHz, c.hFreqHz, { lTransBandwidthHz: c.transHz, hTransBandwidthHz: c.transHz }).length);
    expect(taps.some((n) => n < FIR_FFT_MIN_TAPS)).toBe(true);
    expect(taps.some((n) => n >= FIR_FFT_MIN_TAPS)).toBe(true);
  });
});
