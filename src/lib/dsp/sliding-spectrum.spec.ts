import { describe, expect, it } from 'vitest';
import { hasShared, referenceArray, referenceError, referenceJson, needsShared } from '../../../tests/support/shared';
import { InputError } from '../core/errors';
import { transposeInto } from './layout';
import { SlidingSpectrum, type SlidingSpectrumOptions } from './sliding-spectrum';
import { bandPower, welch, type Band } from './spectral';

const NCH = 8;
const NS = 2500;
const FS = 250;

/** Every window's PSD (copies), fed in chunks of the given sizes (cycled). */
function run(x: Float32Array | Float64Array, o: SlidingSpectrumOptions, chunks: number[] = [NS]): { psd: Float64Array[]; ends: number[]; s: SlidingSpectrum } {
  const s = new SlidingSpectrum(o);
  const psd: Float64Array[] = [];
  const ends: number[] = [];
  const frames = x.length / o.channels;
  for (let pos = 0, i = 0; pos < frames; i++) {
    const n = Math.min(chunks[i % chunks.length], frames - pos);
    const at = pos;
    s.push(x.subarray(pos * o.channels, (pos + n) * o.channels), n, (f) => {
      psd.push(s.psd.slice());
      ends.push(at + f);
    });
    pos += n;
  }
  return { psd, ends, s };
}

describe('sliding spectrum vs SciPy 1.10 (reference/spectral.json)', needsShared, () => {
  const man = hasShared ? referenceJson('spectral') : { cases: [] };
  const caseOf = (id: string): any => man.cases.find((c: any) => c.id === id);
  const x = hasShared ? referenceArray(man.inputs.x) : new Float64Array(NCH * NS);
  const frameMajor = transposeInto(x, NCH, NS, new Float64Array(NCH * NS)); // reference is [channel, sample]
  // reference [channel, bin] restricted to bins k0 … k0 + nb − 1
  const bins = (ref: Float64Array, total: number, k0: number, nb: number): Float64Array => {
    const out = new Float64Array(NCH * nb);
    for (let c = 0; c < NCH; c++) out.set(ref.subarray(c * total + k0, c * total + k0 + nb), c * nb);
    return out;
  };

  it('welch_density: the mean of the sliding windows (256 long, every 128) is scipy.signal.welch, float64 and float32 input, both methods', () => {
    const c = caseOf('welch_density');
    const exp = referenceArray(c.expected.Pxx);
    for (const [input, tol, method] of [
      [frameMajor, c.tol.Pxx.f64, 'sliding'],
      [Float32Array.from(frameMajor), c.tol.Pxx.f32, 'sliding'],
      [frameMajor, c.tol.Pxx.f64, 'fft'],
    ] as const) {
      const { psd, s } = run(input, { channels: NCH, sampleRateHz: FS, windowFrames: 256, stepFrames: 128, loHz: 0, hiHz: FS / 2, method });
      expect(s.method).toBe(method);
      expect(psd.length).toBe(c.details.n_segments);
      expect(s.binCount).toBe(129);
      const mean = new Float64Array(s.psd.length);
      for (const p of psd) for (let i = 0; i < p.length; i++) mean[i] += p[i] / psd.length;
      expect(referenceError(mean, exp, 'nmax')).toBeLessThanOrEqual(tol);
      expect(referenceError(s.freqsHz, c.expected.f, 'nmax')).toBeLessThanOrEqual(c.tol.f.f64);
    }
  });

  it('band_power_welch: alpha…gamma from the sliding estimate of only the bins the bands need', () => {
    const c = caseOf('band_power_welch');
    const bands: Band[] = c.band_order.map((n: string) => c.bands_hz[n] as Band);
    const { psd, s } = run(frameMajor, { channels: NCH, sampleRateHz: FS, windowFrames: 256, stepFrames: 128, loHz: 0.5, hiHz: 45 }, [7, 1, 33]);
    expect(s.firstBin).toBe(1); // 0.98 Hz … 44.9 Hz: bins 1 … 46
    expect(s.binCount).toBe(46);
    const mean = new Float64Array(s.psd.length);
    for (const p of psd) for (let i = 0; i < p.length; i++) mean[i] += p[i] / psd.length;
    const bp = bandPower({ freqsHz: s.freqsHz, psd: mean, channelCount: NCH, binCount: s.binCount }, bands);
    expect(referenceError(bp, referenceArray(c.expected.trapezoid), 'nmax')).toBeLessThanOrEqual(c.tol.all.f64);
  });

  for (const [id, window, scaling] of [
    ['periodogram_boxcar_density', 'boxcar', 'density'],
    ['periodogram_hann_spectrum', 'hann', 'spectrum'],
  ] as const) {
    it(`${id}: one window of the whole 2500 samples, a band of bins (20–60 Hz)`, () => {
      const c = caseOf(id);
      const { psd, s } = run(frameMajor, { channels: NCH, sampleRateHz: FS, windowFrames: NS, stepFrames: NS, loHz: 20, hiHz: 60, window, scaling }, [100]);
      expect(psd.length).toBe(1);
      expect(s.firstBin).toBe(200); // 20 Hz at 0.1 Hz per bin
      expect(referenceError(psd[0], bins(referenceArray(c.expected.Pxx), 1251, s.firstBin, s.binCount), 'nmax')).toBeLessThanOrEqual(c.tol.Pxx.f64);
    });
  }

  it('periodogram_boxcar_density at DC and Nyquist (bins 0 and N/2: reflected neighbours, not doubled)', () => {
    const c = caseOf('periodogram_boxcar_density');
    const ref = referenceArray(c.expected.Pxx);
    for (const [lo, hi, k0] of [
      [0, 1, 0],
      [124, 125, 1240],
    ]) {
      const { psd, s } = run(frameMajor, { channels: NCH, sampleRateHz: FS, windowFrames: NS, stepFrames: NS, loHz: lo, hiHz: hi, window: 'boxcar' });
      expect(s.firstBin).toBe(k0);
      expect(referenceError(psd[0], bins(ref, 1251, k0, s.binCount), 'nmax')).toBeLessThanOrEqual(c.tol.Pxx.f64);
    }
  });
});

describe('sliding spectrum: stream behaviour', () => {
  const ch = 3;
  const fs = 500;
  const signal = (frames: number, dc = 0): Float64Array => {
    const x = new Float64Array(frames * ch);
    for (let n = 0; n < frames; n++) for (let c = 0; c < ch; c++) x[n * ch + c] = dc + 10 * Math.sin((2 * Math.PI * (9 + c) * n) / fs) + 3 * Math.sin((2 * Math.PI * 21.3 * n) / fs + c) + ((n * 7919 + c * 13) % 17) / 9;
    return x;
  };
  const opts = { channels: ch, sampleRateHz: fs, windowFrames: 250, stepFrames: 10, loHz: 4, hiHz: 30 };

  it('windows end after N samples and then every step, whatever the chunking, with identical values (both methods, which agree)', () => {
    const x = signal(3000);
    const fft = run(x, { ...opts, method: 'fft' }, [3000]);
    for (const method of ['sliding', 'fft'] as const) {
      const whole = run(x, { ...opts, method }, [3000]);
      const odd = run(x, { ...opts, method }, [1, 249, 7, 13, 100]);
      expect(whole.ends[0]).toBe(249);
      expect(whole.ends[1]).toBe(259);
      expect(whole.ends.length).toBe(1 + Math.floor((3000 - 250) / 10));
      expect(odd.ends).toEqual(whole.ends);
      for (let w = 0; w < whole.psd.length; w++) expect(odd.psd[w]).toEqual(whole.psd[w]);
      for (let w = 0; w < whole.psd.length; w += 17) expect(referenceError(whole.psd[w], fft.psd[w], 'nmax')).toBeLessThan(1e-12);
    }
  });

  it("'auto' updates few bins at each sample, and runs an FFT per window when the bins are many and windows rare", () => {
    expect(new SlidingSpectrum({ ...opts, channels: 1 }).method).toBe('sliding'); // 4–30 Hz at 2 Hz: 14 bins every 10 samples
    expect(new SlidingSpectrum({ channels: 1, sampleRateHz: 2000, windowFrames: 8192, stepFrames: 200, loHz: 30, hiHz: 500 }).method).toBe('fft');
  });

  it('matches welch on the same window at every step of a long run (rounding does not accumulate), with a large DC offset', () => {
    const frames = 60_000; // 2 min at 500 Hz: 5,976 windows
    const x = signal(frames, 5e4);
    const s = new SlidingSpectrum(opts);
    let worst = 0;
    let checked = 0;
    let windows = 0;
    s.push(x, frames, (f) => {
      if (windows++ % 37 !== 0 && f < frames - 10) return; // a spread of windows, the last one included
      const w = welch(x.subarray((f - 249) * ch, (f + 1) * ch), ch, 250, fs, { nperseg: 250, frameMajor: true });
      const ref = new Float64Array(ch * s.binCount);
      for (let c = 0; c < ch; c++) ref.set(w.psd.subarray(c * w.binCount + s.firstBin, c * w.binCount + s.firstBin + s.binCount), c * s.binCount);
      worst = Math.max(worst, referenceError(s.psd, ref, 'nmax'));
      checked++;
    });
    expect(checked).toBeGreaterThan(50);
    expect(worst).toBeLessThan(1e-12);
  });

  it('forgets a garbage value (1e30) within two windows, as a fresh FFT would', () => {
    const x = signal(5000);
    x[1000 * ch] = 1e30;
    const s = new SlidingSpectrum({ ...opts, loHz: 0, detrend: false });
    let checked = 0;
    s.push(x, 5000, (f) => {
      if (f < 1000 + 2 * 250) return;
      const w = welch(x.subarray((f - 249) * ch, (f + 1) * ch), ch, 250, fs, { nperseg: 250, frameMajor: true, detrend: false });
      const ref = new Float64Array(ch * s.binCount);
      for (let c = 0; c < ch; c++) ref.set(w.psd.subarray(c * w.binCount, c * w.binCount + s.binCount), c * s.binCount);
      expect(referenceError(s.psd, ref, 'nmax')).toBeLessThan(1e-12);
      checked++;
    });
    expect(checked).toBeGreaterThan(300);
  });

  it.each(['sliding', 'fft'] as const)('a NaN sample makes its channel NaN only while it is inside the window; other channels are untouched (%s)', (method) => {
    const x = signal(1000);
    const bad = x.slice();
    bad[400 * ch + 1] = NaN;
    bad[401 * ch + 1] = Infinity;
    const good = run(x, { ...opts, method });
    const hit = run(bad, { ...opts, method });
    expect(hit.s.nonFiniteSamples).toBe(2);
    for (let w = 0; w < good.ends.length; w++) {
      const end = good.ends[w];
      const inWindow = end >= 400 && end - 250 < 401;
      for (let c = 0; c < ch; c++) {
        const got = hit.psd[w].subarray(c * hit.s.binCount, (c + 1) * hit.s.binCount);
        const want = good.psd[w].subarray(c * good.s.binCount, (c + 1) * good.s.binCount);
        if (c === 1 && inWindow) expect(got.every(Number.isNaN)).toBe(true);
        else expect(referenceError(got, want, 'nmax')).toBeLessThan(1e-12);
      }
    }
  });

  it('reset forgets the past; bad options are refused with what is wrong', () => {
    const x = signal(600);
    const a = run(x, opts);
    const s = a.s;
    s.reset();
    const again: Float64Array[] = [];
    s.push(x, 600, () => again.push(s.psd.slice()));
    expect(again).toEqual(a.psd);
    expect(() => new SlidingSpectrum({ ...opts, windowFrames: 1 })).toThrow(InputError);
    expect(() => new SlidingSpectrum({ ...opts, stepFrames: 0 })).toThrow(/step/);
    expect(() => new SlidingSpectrum({ ...opts, sampleRateHz: 0 })).toThrow(/sample rate/);
  });
});
