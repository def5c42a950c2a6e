import { describe, expect, it } from 'vitest';
import { hasShared, referenceArray, referenceError, referenceJson, needsShared } from '../../../tests/support/shared';
import { firZeroPhase } from './iir';
import { InputError } from '../core/errors';
import { bessel, butter, cheby1, firwin, freqz, iirnotch, iirnotchSos, mneFirFilter, sosfreqz, type BandType } from './filter-design';

interface Design {
  id: string;
  func: string;
  params: Record<string, any>;
  sos?: number[][];
  taps?: number[];
  b?: number[];
  a?: number[];
  freqz_row: number;
  tol: Record<string, { metric: 'nmax'; f64: number; f32: number }>;
}

describe('filter design vs SciPy 1.10 / MNE 1.3 (reference/filter_design.json)', needsShared, () => {
  const man = hasShared ? referenceJson('filter_design') : { designs: [] };
  const designs: Design[] = man.designs;
  const mag = hasShared ? referenceArray({ file: 'filter_design.freqz_mag.f64', shape: [designs.length, 512] }) : new Float64Array();
  const row = (d: Design): Float64Array => mag.subarray(d.freqz_row * 512, (d.freqz_row + 1) * 512);

  const design = (d: Design): { sos?: Float64Array; taps?: Float64Array } => {
    const p = d.params;
    switch (d.func) {
      case 'butter':
        return { sos: butter(p.N, p.Wn, p.btype as BandType, p.fs) };
      case 'cheby1':
        return { sos: cheby1(p.N, p.rp, p.Wn, p.btype as BandType, p.fs) };
      case 'bessel':
        return { sos: bessel(p.N, p.Wn, p.btype as BandType, p.fs, p.norm) };
      case 'iirnotch':
        return { sos: iirnotchSos(p.w0, p.Q, p.fs) };
      case 'firwin':
        return { taps: firwin(p.numtaps, p.cutoff, { passZero: p.pass_zero, window: p.window, scale: p.scale, sampleRateHz: p.fs }) };
      default:
        return { taps: mneFirFilter(p.fs, p.l_freq, p.h_freq) };
    }
  };

  it('covers every design family in the manifest', () => {
    const funcs = new Set(designs.map((d) => d.func));
    expect([...funcs].sort()).toEqual(['bessel', 'butter', 'cheby1', 'firwin', 'iirnotch', 'mne.filter.create_filter']);
    expect(designs.length).toBe(65);
  });

  for (const d of designs) {
    it(`${d.id}: coefficients and |H| match (f64 tolerance, and f32-rounded coefficients)`, () => {
      const got = design(d);
      if (got.sos) {
        const exp = referenceArray(d.sos!);
        expect(got.sos.length).toBe(exp.length);
        expect(referenceError(got.sos, exp, 'nmax')).toBeLessThanOrEqual(d.tol.sos.f64);
        expect(referenceError(Float32Array.from(got.sos), exp, 'nmax')).toBeLessThanOrEqual(d.tol.sos.f32);
        expect(referenceError(sosfreqz(got.sos, 512, d.params.fs).magnitude, row(d), 'nmax')).toBeLessThanOrEqual(d.tol.freqz_mag.f64);
      } else {
        const exp = referenceArray(d.taps!);
        expect(got.taps!.length).toBe(exp.length);
        expect(referenceError(got.taps!, exp, 'nmax')).toBeLessThanOrEqual(d.tol.taps.f64);
        expect(referenceError(Float32Array.from(got.taps!), exp, 'nmax')).toBeLessThanOrEqual(d.tol.taps.f32);
        expect(referenceError(freqz(got.taps!, [1], 512, d.params.fs).magnitude, row(d), 'nmax')).toBeLessThanOrEqual(d.tol.freqz_mag.f64);
      }
      if (d.func === 'iirnotch') {
        const { b, a } = iirnotch(d.params.w0, d.params.Q, d.params.fs);
        expect(referenceError(b, d.b!, 'nmax')).toBeLessThanOrEqual(1e-12);
        expect(referenceError(a, d.a!, 'nmax')).toBeLessThanOrEqual(1e-12);
      }
    });
  }
});

describe("MNE's default FIR for fNIRS SCI (reference/fnirs.json)", needsShared, () => {
  const man = hasShared ? referenceJson('fnirs') : { recordings: [] };
  for (const r of man.recordings as any[]) {
    it(`${r.recording}: create_filter(0.7, 1.5, trans 0.3) taps${r.scalp_coupling_index.filtered_od ? ' and the zero-phase filtered OD' : ''}`, () => {
      const sci = r.scalp_coupling_index;
      const h = mneFirFilter(r.sfreq, 0.7, 1.5, { lTransBandwidthHz: 0.3, hTransBandwidthHz: 0.3 });
      const exp = referenceArray(sci.fir_taps);
      expect(h.length).toBe(exp.length);
      expect(referenceError(h, exp, 'nmax')).toBeLessThan(1e-12);
      if (sci.filtered_od) {
        const od = referenceArray(r.optical_density.data);
        const [nch, ns] = sci.filtered_od.shape;
        expect(referenceError(firZeroPhase(h, od, nch, ns), referenceArray(sci.filtered_od), 'nmax')).toBeLessThan(1e-12);
      }
    });
  }
});

describe('filter design parameter validation', () => {
  it('rejects corners at or above Nyquist, non-increasing bands and bad orders with InputError', () => {
    expect(() => butter(4, 125, 'lowpass', 250)).toThrow(InputError);
    expect(() => butter(4, 0, 'highpass', 250)).toThrow(/above 0/);
    expect(() => butter(4, [40, 1], 'bandpass', 250)).toThrow(/increase/);
    expect(() => butter(4, 10, 'bandpass', 250)).toThrow(/two corner/);
    expect(() => butter(0, 10, 'lowpass', 250)).toThrow(/order/);
    expect(() => butter(2.5, 10, 'lowpass', 250)).toThrow(/order/);
    expect(() => cheby1(4, 0, 10, 'lowpass', 250)).toThrow(/ripple/);
    expect(() => iirnotch(50, 30, 90)).toThrow(/Nyquist/);
    expect(() => firwin(100, 0.5, { passZero: false })).toThrow(/odd/);
    expect(() => butter(4, 10, 'lowpass', Number.NaN)).toThrow(/sample rate/);
  });

  it('a Butterworth low-pass has |H| = 1/sqrt(2) at the corner and 1 at DC', () => {
    const sos = butter(5, 30, 'lowpass', 256);
    const { magnitude } = sosfreqz(sos, 128, 256); // grid step 1 Hz
    expect(magnitude[0]).toBeCloseTo(1, 12);
    expect(magnitude[30]).toBeCloseTo(Math.SQRT1_2, 10);
  });
});
