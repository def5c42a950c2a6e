import { describe, expect, it } from 'vitest';
import { hasShared, referenceArray, referenceError, referenceJson, needsShared } from '../../../tests/support/shared';
import { InputError } from '../core/errors';
import { Fft, rfft, rfftMagnitude } from './fft';
import { getWindow } from './filter-design';
import { bandPower, periodogram, relativeBandPower, simpson, spectrogram, trapezoid, welch, type Band } from './spectral';

const NCH = 8;
const NS = 2500;

describe('spectra vs SciPy 1.10 (reference/spectral.json)', needsShared, () => {
  const man = hasShared ? referenceJson('spectral') : { cases: [] };
  const x = hasShared ? referenceArray(man.inputs.x) : new Float64Array();
  const x32 = Float32Array.from(x);
  const caseOf = (id: string): any => man.cases.find((c: any) => c.id === id);

  for (const scaling of ['density', 'spectrum'] as const) {
    it(`welch_${scaling}: PSD and frequencies, float64 and Float32Array input`, () => {
      const c = caseOf(`welch_${scaling}`);
      const exp = referenceArray(c.expected.Pxx);
      for (const backend of ['auto', 'js'] as const) {
        const s = welch(x, NCH, NS, 250, { scaling, backend });
        expect(s.binCount).toBe(129);
        expect(referenceError(s.psd, exp, 'nmax')).toBeLessThanOrEqual(c.tol.Pxx.f64);
        expect(referenceError(s.freqsHz, c.expected.f, 'nmax')).toBeLessThanOrEqual(c.tol.f.f64);
        expect(referenceError(welch(x32, NCH, NS, 250, { scaling, backend }).psd, exp, 'nmax')).toBeLessThanOrEqual(c.tol.Pxx.f32);
      }
    });
  }

  for (const [id, window, scaling] of [
    ['periodogram_boxcar_density', 'boxcar', 'density'],
    ['periodogram_hann_spectrum', 'hann', 'spectrum'],
  ] as const) {
    it(`${id} (length 2500: Bluestein path)`, () => {
      const c = caseOf(id);
      const exp = referenceArray(c.expected.Pxx);
      expect(referenceError(periodogram(x, NCH, NS, 250, { window, scaling }).psd, exp, 'nmax')).toBeLessThanOrEqual(c.tol.Pxx.f64);
      expect(referenceError(periodogram(x32, NCH, NS, 250, { window, scaling }).psd, exp, 'nmax')).toBeLessThanOrEqual(c.tol.Pxx.f32);
    });
  }

  it('rfft_magnitude of length 2500', () => {
    const c = caseOf('rfft_magnitude');
    const exp = referenceArray(c.expected.mag);
    expect(referenceError(rfftMagnitude(x, NCH, NS), exp, 'nmax')).toBeLessThanOrEqual(c.tol.mag.f64);
    expect(referenceError(rfftMagnitude(x32, NCH, NS), exp, 'nmax')).toBeLessThanOrEqual(c.tol.mag.f32);
  });

  it('band_power_welch: trapezoid, Simpson (even=avg), relative and total power', () => {
    const c = caseOf('band_power_welch');
    const bands: Band[] = c.band_order.map((n: string) => c.bands_hz[n] as Band);
    const s = welch(x, NCH, NS, 250);
    const tol = c.tol.all.f64;
    expect(referenceError(bandPower(s, bands), referenceArray(c.expected.trapezoid), 'nmax')).toBeLessThanOrEqual(tol);
    expect(referenceError(bandPower(s, bands, 'simpson'), referenceArray(c.expected.simpson), 'nmax')).toBeLessThanOrEqual(tol);
    expect(referenceError(relativeBandPower(s, bands), referenceArray(c.expected.relative_trapezoid), 'nmax')).toBeLessThanOrEqual(tol);
    expect(referenceError(bandPower(s, [[0.5, 45]]), referenceArray(c.expected.total_0p5_45_trapezoid), 'nmax')).toBeLessThanOrEqual(tol);
    const s32 = welch(x32, NCH, NS, 250);
    expect(referenceError(bandPower(s32, bands, 'simpson'), referenceArray(c.expected.simpson), 'nmax')).toBeLessThanOrEqual(c.tol.all.f32);
  });
});

describe('FFT against the DFT definition', () => {
  const naive = (re: number[], im: number[]): [number[], number[]] => {
    const n = re.length;
    const or: number[] = [];
    const oi: number[] = [];
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      for (let j = 0; j < n; j++) {
        const a = (-2 * Math.PI * ((k * j) % n)) / n;
        sr += re[j] * Math.cos(a) - im[j] * Math.sin(a);
        si += re[j] * Math.sin(a) + im[j] * Math.cos(a);
      }
      or.push(sr);
      oi.push(si);
    }
    return [or, oi];
  };
  for (const n of [1, 2, 3, 8, 12, 64, 97, 250, 256]) {
    it(`complex and real transforms of length ${n}`, () => {
      const re = Array.from({ length: n }, (_, i) => Math.sin(0.7 * i * i + 1) + 0.3 * Math.cos(3 * i));
      const im = Array.from({ length: n }, (_, i) => Math.cos(1.3 * i) - 0.1 * i);
      const [er, ei] = naive(re, im);
      const fr = Float64Array.from(re);
      const fi = Float64Array.from(im);
      new Fft(n).transform(fr, fi);
      const scale = Math.max(...er.map(Math.abs), ...ei.map(Math.abs));
      for (let k = 0; k < n; k++) {
        expect(Math.abs(fr[k] - er[k]) / scale).toBeLessThan(1e-12);
        expect(Math.abs(fi[k] - ei[k]) / scale).toBeLessThan(1e-12);
      }
      const [rr, ri] = naive(re, new Array(n).fill(0));
      const r = rfft(re);
      expect(r.re.length).toBe((n >> 1) + 1);
      for (let k = 0; k < r.re.length; k++) {
        expect(Math.abs(r.re[k] - rr[k]) / scale).toBeLessThan(1e-12);
        expect(Math.abs(r.im[k] - ri[k]) / scale).toBeLessThan(1e-12);
      }
    });
  }
});

describe('Welch: WebAssembly SIMD and JS paths agree', () => {
  for (const [nperseg, noverlap, ns] of [
    [16, 8, 200],
    [64, 16, 1000],
    [256, 128, 2433],
    [512, 256, 512],
    [64, 16, 1024],
  ]) {
    it(`nperseg ${nperseg}, noverlap ${noverlap}, ${ns} samples (odd and even segment counts), f64 and f32`, () => {
      const x = Float64Array.from({ length: 3 * ns }, (_, i) => Math.sin(0.37 * i) + ((i * 7919) % 101) / 50 + (i > ns ? 5 : 0));
      for (const xx of [x, Float32Array.from(x)]) {
        const a = welch(xx, 3, ns, 100, { nperseg, noverlap, backend: 'js' }).psd;
        const b = welch(xx, 3, ns, 100, { nperseg, noverlap }).psd;
        expect(referenceError(b, a, 'nmax')).toBeLessThan(1e-13);
      }
    });
  }
});

describe('Welch on frame-major input (engine packets) equals Welch on the channel-major copy', () => {
  const frameMajorOf = (x: Float32Array, nch: number, ns: number) => {
    const out = new Float32Array(nch * ns);
    for (let c = 0; c < nch; c++) for (let n = 0; n < ns; n++) out[n * nch + c] = x[c * ns + n];
    return out;
  };
  // whole input in the wasm memory (odd and even segment counts, an odd channel count), one channel
  // at a time (over 4 MiB), and the JS path
  for (const [nch, ns, nperseg, backend] of [
    [7, 256, 256, 'auto'],
    [64, 1000, 256, 'auto'],
    [5, 240_000, 512, 'auto'],
    [3, 1000, 100, 'js'],
  ] as const) {
    it(`${nch} ch × ${ns}, nperseg ${nperseg}, ${backend}`, () => {
      const x = Float32Array.from({ length: nch * ns }, (_, i) => Math.sin(0.37 * i) + ((i * 7919) % 101) / 50);
      const a = welch(x, nch, ns, 250, { nperseg, backend });
      const b = welch(frameMajorOf(x, nch, ns), nch, ns, 250, { nperseg, backend, frameMajor: true });
      expect(b.psd).toEqual(a.psd);
      expect(b.freqsHz).toEqual(a.freqsHz);
    });
  }
});

describe('spectrogram', () => {
  it('averaged over its segments equals welch with the same window and overlap (mean average)', () => {
    const ns = 3000;
    const x = Float64Array.from({ length: 2 * ns }, (_, i) => Math.sin(0.21 * i) + ((i * 7919) % 37) / 10);
    const sg = spectrogram(x, 2, ns, 250, { window: 'hann', nperseg: 256, noverlap: 128 });
    const w = welch(x, 2, ns, 250, { nperseg: 256, noverlap: 128, backend: 'js' });
    expect(sg.segmentCount).toBe(Math.floor((ns - 256) / 128) + 1);
    expect(sg.timesS[1] - sg.timesS[0]).toBeCloseTo(128 / 250, 12);
    const avg = new Float64Array(w.psd.length);
    for (let c = 0; c < 2; c++) for (let k = 0; k < sg.binCount; k++) {
      let s = 0;
      for (let g = 0; g < sg.segmentCount; g++) s += sg.psd[(c * sg.binCount + k) * sg.segmentCount + g];
      avg[c * sg.binCount + k] = s / sg.segmentCount;
    }
    expect(referenceError(avg, w.psd, 'nmax')).toBeLessThan(1e-13);
  });

  it("SciPy's default Tukey(0.25) window: flat middle, raised-cosine tapers, periodic", () => {
    const w = getWindow({ tukey: 0.25 }, 256, true);
    // periodic = first 256 of the symmetric 257-point window; taper width floor(0.25·256/2) = 32
    expect(w[0]).toBe(0);
    expect(w[32]).toBeCloseTo(1, 15);
    expect(w[128]).toBe(1);
    expect(w[16]).toBeCloseTo(0.5, 12);
    expect(getWindow({ tukey: 1 }, 64, true)).toEqual(getWindow('hann', 64, true));
  });
});

describe('spectral helpers', () => {
  it('trapezoid and simpson integrate polynomials as SciPy does (simpson exact for cubics on odd N)', () => {
    const xs = [0, 1, 2, 3, 4];
    expect(trapezoid([0, 1, 4, 9, 16], xs)).toBe(22);
    expect(simpson(xs.map((v) => v ** 3), xs)).toBeCloseTo(64, 12);
    // even N: SciPy 1.10 gives the average of the two Simpson+trapezoid combinations
    // ((4 + 17.5) + (0.5 + 20)) / 2 = 21 = scipy.integrate.simpson([0, 1, 8, 27], [0, 1, 2, 3]) in SciPy 1.10
    expect(simpson([0, 1, 8, 27], [0, 1, 2, 3])).toBeCloseTo(21, 12);
  });

  it('welch rejects inconsistent shapes and parameters', () => {
    expect(() => welch(new Float64Array(10), 2, 6, 250)).toThrow(InputError);
    expect(() => welch(new Float64Array(512), 1, 512, 250, { noverlap: 256 })).toThrow(/noverlap/);
    expect(() => welch(new Float64Array(512), 1, 512, 0)).toThrow(/sample rate/);
  });

  it('median averaging equals mean averaging for a stationary sine within the chi² bias correction', () => {
    const fs = 250;
    const x = Float64Array.from({ length: 5000 }, (_, i) => Math.sin((2 * Math.PI * 10 * i) / fs));
    const a = welch(x, 1, 5000, fs);
    const b = welch(x, 1, 5000, fs, { average: 'median' });
    const k = Math.round((10 * 256) / fs);
    expect(b.psd[k] / a.psd[k]).toBeGreaterThan(0.6);
    expect(b.psd[k] / a.psd[k]).toBeLessThan(1.7);
  });
});
