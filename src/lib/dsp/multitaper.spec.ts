import { describe, expect, it } from 'vitest';
import { dpss, multitaperPsd } from './multitaper';
import { referenceError } from '../../../tests/support/shared';
import fixtures from './fixtures/multitaper-fixtures.json';

// Written by fixtures/make-multitaper-fixtures.py: SciPy's dpss, and psd_array_multitaper as MNE defines it.
interface DpssCase {
  M: number;
  NW: number;
  Kmax: number | null;
  sym: boolean;
  norm: 2 | 'approximate';
  windows: number[][];
  ratios: number[] | null;
  call: string;
}
interface PsdCase {
  label: string;
  n: number;
  kwargs: { nfft?: number; bandwidth?: number; adaptive?: boolean; fmin?: number; fmax?: number; normalization?: 'length' | 'full'; low_bias?: boolean };
  freqs: number[];
  psd: number[][];
}


describe('dpss = scipy.signal.windows.dpss', () => {
  for (const c of fixtures.dpss as DpssCase[]) {
    it(c.call, () => {
      const got = dpss(c.M, c.NW, c.Kmax ?? 1, { sym: c.sym, norm: c.norm });
      expect(got.windows.length).toBe(c.windows.length);
      for (let k = 0; k < c.windows.length; k++) {
        expect(got.windows[k].length).toBe(c.M);
        let err = 0;
        for (let i = 0; i < c.M; i++) err = Math.max(err, Math.abs(got.windows[k][i] - c.windows[k][i]));
        expect(err, `taper ${k}`).toBeLessThan(1e-9);
      }
      if (c.ratios) for (let k = 0; k < c.ratios.length; k++) expect(Math.abs(got.ratios[k] - c.ratios[k]), `ratio ${k}`).toBeLessThan(1e-9);
    });
  }
  it('rejects impossible parameters', () => {
    expect(() => dpss(64, 40, 3)).toThrow(/M\/2/);
    expect(() => dpss(64, 3, 65)).toThrow(/Kmax/);
    expect(() => dpss(0, 3, 1)).toThrow(/positive/);
  });
});

describe('multitaperPsd = psd_array_multitaper (MNE definition)', () => {
  const x = fixtures.x as number[][];
  const fs = fixtures.fs;
  for (const c of fixtures.psd as PsdCase[]) {
    it(c.label, () => {
      const nch = x.length;
      const flat = new Float64Array(nch * c.n);
      for (let ch = 0; ch < nch; ch++) for (let t = 0; t < c.n; t++) flat[ch * c.n + t] = x[ch][t];
      const k = c.kwargs;
      const got = multitaperPsd(flat, nch, c.n, fs, {
        bandwidthHz: k.bandwidth ?? null,
        adaptive: k.adaptive,
        fminHz: k.fmin,
        fmaxHz: k.fmax,
        normalization: k.normalization,
        lowBias: k.low_bias,
        nfft: k.nfft,
      });
      expect(Array.from(got.freqsHz)).toEqual(c.freqs);
      expect(got.unconverged).toBe(0);
      const want = Float64Array.from(c.psd.flat());
      expect(referenceError(got.psd, want, 'nmax')).toBeLessThan(1e-9);
    });
  }
  it('a float32 copy of the input stays within float32 rounding', () => {
    const c = (fixtures.psd as PsdCase[])[0];
    const flat = new Float32Array(x.length * c.n);
    for (let ch = 0; ch < x.length; ch++) for (let t = 0; t < c.n; t++) flat[ch * c.n + t] = x[ch][t];
    const got = multitaperPsd(flat, x.length, c.n, fs);
    expect(referenceError(got.psd, Float64Array.from(c.psd.flat()), 'nmax')).toBeLessThan(1e-5);
  });
  it('rejects a bandwidth below one bin', () => {
    expect(() => multitaperPsd(new Float64Array(500), 1, 500, 250, { bandwidthHz: 0.1 })).toThrow(/0\.5/);
  });
});
