import { describe, expect, it } from 'vitest';
import { InputError } from '../../../core/errors';
import { welch, type Spectrum } from '../../../dsp/spectral';
import { SYNTHETIC_LABELS, SyntheticGenerator, type SyntheticSettings } from './generator';

function generate(settings: SyntheticSettings, seconds: number): { out: Float32Array; ns: number } {
  const g = new SyntheticGenerator(settings);
  const ns = Math.round(seconds * settings.sampleRateHz);
  const out = new Float32Array(ns * settings.channels);
  g.next(ns, out);
  return { out, ns };
}

/** Welch PSD (dsp/spectral, checked against SciPy there) of frame-major data, 0.25 Hz bins. */
function spectrum(out: Float32Array, ch: number, ns: number, fs: number): Spectrum {
  const cm = new Float64Array(ch * ns);
  for (let f = 0; f < ns; f++) for (let c = 0; c < ch; c++) cm[c * ns + f] = out[f * ch + c];
  return welch(cm, ch, ns, fs, { nperseg: fs * 4 });
}
const psdAt = (s: Spectrum, c: number, hz: number): number => {
  const df = s.freqsHz[1] - s.freqsHz[0];
  return s.psd[c * s.binCount + Math.round(hz / df)];
};
/** Mean PSD over [lo, hi] Hz. */
const psdMean = (s: Spectrum, c: number, lo: number, hi: number): number => {
  let sum = 0;
  let n = 0;
  for (let b = 0; b < s.binCount; b++) {
    if (s.freqsHz[b] >= lo && s.freqsHz[b] <= hi) {
      sum += s.psd[c * s.binCount + b];
      n++;
    }
  }
  return sum / n;
};
const O1 = SYNTHETIC_LABELS.indexOf('O1');
const FP1 = SYNTHETIC_LABELS.indexOf('Fp1');

describe('SyntheticGenerator', () => {
  it('has 64 distinct 10-20/10-10 labels, frontal first', () => {
    expect(new Set(SYNTHETIC_LABELS).size).toBe(64);
    expect(SYNTHETIC_LABELS.slice(0, 2)).toEqual(['Fp1', 'Fp2']);
    expect(new SyntheticGenerator({ channels: 8, sampleRateHz: 250 }).labels).toEqual(SYNTHETIC_LABELS.slice(0, 8));
  });

  it('is deterministic from its seed, whatever the chunking, including a runtime eyes switch', () => {
    const settings = { channels: 8, sampleRateHz: 500, seed: 42 };
    const a = new SyntheticGenerator(settings);
    const whole = new Float32Array(3000 * 8);
    a.next(1000, whole);
    a.setEyesClosed(true);
    a.next(2000, whole.subarray(1000 * 8));
    const b = new SyntheticGenerator(settings);
    const pieces = new Float32Array(3000 * 8);
    const sizes = [1, 7, 100, 333, 559]; // 1000 frames in odd chunks
    let at = 0;
    for (const n of sizes) {
      b.next(n, pieces.subarray(at * 8));
      at += n;
    }
    b.setEyesClosed(true);
    while (at < 3000) {
      const n = Math.min(97, 3000 - at);
      b.next(n, pieces.subarray(at * 8));
      at += n;
    }
    expect(pieces).toEqual(whole);
    const other = new Float32Array(3000 * 8);
    new SyntheticGenerator({ ...settings, seed: 43 }).next(3000, other);
    let same = 0;
    for (let i = 0; i < other.length; i++) if (other[i] === whole[i]) same++;
    expect(same).toBeLessThan(10);
  });

  it('shows the 10 Hz alpha peak on occipital sites only with eyes closed', () => {
    const fs = 250;
    const base = { channels: 8, sampleRateHz: fs, seed: 7, blinksPerMinute: 0, lineFrequencyHz: 0 as const };
    const open = generate({ ...base, eyesClosed: false }, 60);
    const closed = generate({ ...base, eyesClosed: true }, 60);
    const so = spectrum(open.out, 8, open.ns, fs);
    const sc = spectrum(closed.out, 8, closed.ns, fs);
    const peakRatio = (s: Spectrum, c: number) => psdMean(s, c, 9.5, 10.5) / ((psdMean(s, c, 6, 8) + psdMean(s, c, 12, 14)) / 2);
    expect(peakRatio(sc, O1)).toBeGreaterThan(20);
    expect(peakRatio(so, O1)).toBeLessThan(2);
    // The maximum between 6 and 14 Hz sits at 10 Hz when closed.
    let best = 0;
    let bestHz = 0;
    for (let b = 0; b < sc.binCount; b++) {
      const hz = sc.freqsHz[b];
      if (hz >= 6 && hz <= 14 && sc.psd[O1 * sc.binCount + b] > best) [best, bestHz] = [sc.psd[O1 * sc.binCount + b], hz];
    }
    expect(Math.abs(bestHz - 10)).toBeLessThanOrEqual(0.25);
    // Posterior dominance: frontal alpha power is a small fraction of occipital.
    expect(psdAt(sc, FP1, 10) / psdAt(sc, O1, 10)).toBeLessThan(0.1);
  });

  it('switches alpha on at runtime (setEyesClosed) after a short ramp', () => {
    const fs = 250;
    const g = new SyntheticGenerator({ channels: 8, sampleRateHz: fs, seed: 9, blinksPerMinute: 0, lineFrequencyHz: 0 });
    const ns = 30 * fs;
    const before = new Float32Array(ns * 8);
    const after = new Float32Array(ns * 8);
    g.next(ns, before);
    g.setEyesClosed(true);
    expect(g.eyesClosed).toBe(true);
    g.next(ns, after);
    const ratio = psdAt(spectrum(after, 8, ns, fs), O1, 10) / psdAt(spectrum(before, 8, ns, fs), O1, 10);
    expect(ratio).toBeGreaterThan(50);
  });

  it('puts the line-noise peak at 50 or 60 Hz as configured', () => {
    const fs = 500;
    for (const line of [50, 60] as const) {
      const { out, ns } = generate({ channels: 4, sampleRateHz: fs, seed: 3, lineFrequencyHz: line, blinksPerMinute: 0 }, 30);
      const s = spectrum(out, 4, ns, fs);
      const other = line === 50 ? 60 : 50;
      for (let c = 0; c < 4; c++) {
        expect(psdAt(s, c, line) / psdMean(s, c, line - 8, line - 3)).toBeGreaterThan(100);
        expect(psdAt(s, c, other) / psdMean(s, c, other - 8, other - 3)).toBeLessThan(3);
      }
    }
    const none = generate({ channels: 2, sampleRateHz: fs, seed: 3, lineFrequencyHz: 0, blinksPerMinute: 0 }, 30);
    const sn = spectrum(none.out, 2, none.ns, fs);
    expect(psdAt(sn, 0, 50) / psdMean(sn, 0, 42, 47)).toBeLessThan(3);
  });

  it('has a 1/f background: log-log PSD slope near −1 between 1 and 40 Hz', () => {
    const fs = 250;
    const { out, ns } = generate({ channels: 4, sampleRateHz: fs, seed: 11, lineFrequencyHz: 0, blinksPerMinute: 0 }, 120);
    const s = spectrum(out, 4, ns, fs);
    for (const c of [0, 3]) {
      // Least-squares slope of log10 PSD against log10 f over log-spaced frequencies.
      const xs: number[] = [];
      const ys: number[] = [];
      for (let hz = 1; hz <= 40; hz *= 1.25) {
        xs.push(Math.log10(hz));
        ys.push(Math.log10(psdMean(s, c, hz * 0.95, hz * 1.05)));
      }
      const mx = xs.reduce((a, b) => a + b) / xs.length;
      const my = ys.reduce((a, b) => a + b) / ys.length;
      let sxy = 0;
      let sxx = 0;
      for (let i = 0; i < xs.length; i++) {
        sxy += (xs[i] - mx) * (ys[i] - my);
        sxx += (xs[i] - mx) ** 2;
      }
      const slope = sxy / sxx;
      expect(slope).toBeLessThan(-0.7);
      expect(slope).toBeGreaterThan(-1.3);
    }
  });

  it('has the same background level in µV²/Hz at every sample rate', () => {
    const level = (fs: number): number[] => {
      const { out, ns } = generate({ channels: 2, sampleRateHz: fs, seed: 3, lineFrequencyHz: 0, blinksPerMinute: 0 }, 60);
      const s = spectrum(out, 2, ns, fs);
      return [2, 5, 20].map((hz) => psdMean(s, 0, hz - 1, hz + 1));
    };
    const slow = level(125);
    const fast = level(2000);
    for (let i = 0; i < 3; i++) {
      expect(fast[i] / slow[i]).toBeGreaterThan(0.6);
      expect(fast[i] / slow[i]).toBeLessThan(1.6);
    }
    // Magnitudes of resting EEG: ≈ 10 µV²/Hz at 2 Hz, ≈ 1 µV²/Hz at 20 Hz.
    expect(slow[0]).toBeGreaterThan(3);
    expect(slow[0]).toBeLessThan(30);
    expect(slow[2]).toBeGreaterThan(0.3);
    expect(slow[2]).toBeLessThan(3);
  });

  it('blinks on frontal channels while the eyes are open, not on occipital ones, not with eyes closed', () => {
    const fs = 250;
    const settings = { channels: 8, sampleRateHz: fs, seed: 5, lineFrequencyHz: 0 as const, blinksPerMinute: 15 };
    const countBlinks = (out: Float32Array, c: number): number => {
      let n = 0;
      let refractory = 0;
      for (let f = 0; f < out.length / 8; f++) {
        if (refractory > 0) refractory--;
        else if (out[f * 8 + c] > 70) {
          n++;
          refractory = fs / 2;
        }
      }
      return n;
    };
    const open = generate(settings, 120).out;
    const blinks = countBlinks(open, FP1);
    expect(blinks).toBeGreaterThan(15); // ≈ 30 expected in 2 min at 15/min, at least 1 s apart
    expect(blinks).toBeLessThan(50);
    expect(countBlinks(open, O1)).toBe(0);
    expect(countBlinks(generate({ ...settings, eyesClosed: true }, 120).out, FP1)).toBe(0);
  });

  it('rejects channel counts, rates and line frequencies out of range with InputError', () => {
    const ok = { channels: 8, sampleRateHz: 250 };
    for (const bad of [
      { ...ok, channels: 0 },
      { ...ok, channels: 65 },
      { ...ok, channels: 2.5 },
      { ...ok, sampleRateHz: 124 },
      { ...ok, sampleRateHz: 2001 },
      { ...ok, sampleRateHz: Number.NaN },
      { ...ok, lineFrequencyHz: 55 as 50 },
      { ...ok, seed: 0.5 },
    ]) {
      expect(() => new SyntheticGenerator(bad)).toThrow(InputError);
    }
    expect(() => new SyntheticGenerator({ ...ok, channels: 65 })).toThrow(/channels must be an integer from 1 to 64, got 65/);
    expect(() => new SyntheticGenerator({ channels: 1, sampleRateHz: 125 })).not.toThrow();
    expect(() => new SyntheticGenerator({ channels: 64, sampleRateHz: 2000 })).not.toThrow();
  });
});
