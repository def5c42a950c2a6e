// NeuroPype's signal kernels against their peers (tests/dsp/make-signal-kernels-reference.py): MNE 1.3
// tfr_array_morlet, scipy.stats.mstats winsorize / trimmed_mean / sem, numpy digitize / argmax / polyfit,
// liblsl's dejitter recursion in NumPy, SciPy's electrocardiogram() with find_peaks; FFT band-pass
// blocks and the dejitterer are chunk-invariant.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceError } from '../../../tests/support/shared';
import { discretize, frequencyNormalize, peakPositions, winsorize } from './axis-ops';
import { Dejitter } from './dejitter';
import { groupedMean } from './grouped-mean';
import { detectRPeaks, heartRate } from './heart-rate';
import { BlockSpectralSelection, fftBandPass } from './spectral-selection';
import { cmorAsMorlet, morletWavelets, tfrMorlet } from './wavelet';

const ref = JSON.parse(readFileSync(new URL('../../../tests/dsp/signal-kernels-reference.json', import.meta.url), 'utf8'));

describe('ContinuousWaveletTransform (complex Morlet) vs MNE tfr_array_morlet', () => {
  const m = ref.morlet;
  const [E, C, F, T] = m.shape;
  const x = new Float64Array(E * C * T);
  for (let e = 0; e < E; e++)
    for (let c = 0; c < C; c++)
      for (let n = 0; n < T; n++) x[(e * C + c) * T + n] = Math.sin((2 * Math.PI * (6 + 3 * c) * n) / m.sampleRateHz + e) * Math.exp(-(((n - 320) / 160) ** 2)) + 0.3 * Math.cos((2 * Math.PI * 25 * n) / m.sampleRateHz + c) + 0.05 * Math.sin((0.37 * n * n) / 640);
  it.each(m.cases.map((c: any, i: number) => [JSON.stringify(c.nCycles), c.zeroMean, i]) as [string, boolean, number][])('n_cycles %s, zero_mean %s: real and imaginary parts', (_, zm, i) => {
    const c = m.cases[i as number];
    const r = tfrMorlet(x, E * C, T, m.sampleRateHz, m.freqs, { nCycles: c.nCycles, zeroMean: zm as boolean });
    const every = m.every;
    const re = Float64Array.from({ length: (r.re.length / every) | 0 }, (_, k) => r.re[k * every]);
    const im = Float64Array.from({ length: (r.re.length / every) | 0 }, (_, k) => r.im![k * every]);
    expect(referenceError(re, c.re, 'nmax')).toBeLessThan(1e-10);
    expect(referenceError(im, c.im, 'nmax')).toBeLessThan(1e-10);
    const p = tfrMorlet(x, E * C, T, m.sampleRateHz, m.freqs, { nCycles: c.nCycles, zeroMean: zm as boolean, output: 'power' });
    expect(p.re[777]).toBeCloseTo(r.re[777] ** 2 + r.im![777] ** 2, 14);
  });
  it('wavelets have norm √2 and an odd length centred on t = 0; too long a wavelet is refused', () => {
    const [w] = morletWavelets(200, [10], { nCycles: 7 });
    expect(w.re.length % 2).toBe(1);
    expect(w.re.reduce((s, v, k) => s + v * v + w.im[k] * w.im[k], 0)).toBeCloseTo(2, 12);
    expect(() => tfrMorlet(new Float64Array(100), 1, 100, 200, [2])).toThrow(/longer segments/);
  });
  it("NeuroPype's cmor1.0-1.5 over scales 1…128 maps to frequencies 1.5·fs/s and 6.66 cycles", () => {
    const r = cmorAsMorlet(1, 1.5, [1, 2, 128], 256);
    expect(r.freqsHz).toEqual([384, 192, 3]);
    expect(r.nCycles).toBeCloseTo(2 * Math.PI * 1.5 * Math.sqrt(0.5), 12);
  });
});

describe('Winsorize, Discretize, PeakLatency, FrequencyNormalization, GroupedMean', () => {
  it.each(ref.winsorize.map((w: any, i: number) => [i, w.axis, JSON.stringify(w.limits)]) as [number, number, string][])('winsorize case %i (axis %i, limits %s) as scipy.stats.mstats.winsorize', (i) => {
    const w = ref.winsorize[i as number];
    const data = Array.isArray(w.data[0]) ? w.data : [w.data];
    const shape = Array.isArray(w.data[0]) ? [data.length, data[0].length] : [w.data.length];
    const flat = Float64Array.from((data as (number | null)[][]).flat(), (v) => (v === null ? NaN : v));
    const got = winsorize(flat, shape, w.axis, w.limits[0], w.limits[1]);
    const exp = (Array.isArray(w.result[0]) ? w.result : [w.result]).flat().map((v: number | null) => (v === null ? NaN : v));
    // NaN stays NaN here; SciPy (masked_invalid) leaves them out of n too but then overwrites them with the upper value
    got.forEach((v, k) => (Number.isNaN(flat[k]) ? expect(v).toBeNaN() : expect(v).toBe(exp[k])));
  });
  it('discretize as numpy.digitize (right=False) indexing the new values', () => {
    const d = ref.digitize;
    expect(Array.from(discretize(d.x, d.cutoffs, d.newValues))).toEqual(d.result);
    expect(() => discretize([1], [1, 2], [0, 1])).toThrow(/one more value than cutoffs/);
  });
  it('peak positions as numpy argmax (ties: the first) in Hz, and argmin as indices along another axis', () => {
    const p = ref.peak;
    expect(Array.from(peakPositions(p.data, p.shape, 2, { axisValues: p.freqs }))).toEqual(p.argmaxHz);
    expect(Array.from(peakPositions(p.data, p.shape, 1, { negative: true }))).toEqual(p.argminIdxAxis1);
  });
  it('frequency normalisation: × f^alpha, and division by the log-log fit (numpy.polyfit)', () => {
    const q = ref.freqnorm;
    const flat = Float64Array.from(q.psd.flat());
    expect(referenceError(frequencyNormalize(flat, [3, q.freqs.length], 1, q.freqs, { alpha: q.alpha }), q.times_f_alpha.flat(), 'nmax')).toBeLessThan(1e-13);
    expect(referenceError(frequencyNormalize(flat, [3, q.freqs.length], 1, q.freqs, { fitRangeHz: q.fitRange }), q.fitted.flat(), 'nmax')).toBeLessThan(1e-11);
  });
  it.each(['mean', 'median', 'trimmed', 'winsorized', 'sem', 'std'])('grouped %s', (kind) => {
    const g = ref.groupedMean;
    const vals = Float64Array.from(g.values.flat());
    const opts =
      kind === 'trimmed' ? { meanType: 'trimmed' as const, trim: [0.2, 0.1] as [number, number] }
      : kind === 'winsorized' ? { meanType: 'winsorized' as const, trim: [0.2, 0.2] as [number, number] }
      : kind === 'median' ? { meanType: 'median' as const }
      : kind === 'sem' || kind === 'std' ? { errorType: kind as 'sem' | 'std' }
      : {};
    const r = groupedMean(vals, 14, [g.keys], opts);
    expect(r.groups).toEqual(g.groups);
    const got = kind === 'sem' || kind === 'std' ? r.errors! : r.means;
    expect(referenceError(got, g[kind].flat(), 'nmax')).toBeLessThan(1e-13);
  });
});

describe('DejitterTimestamps (liblsl RLS)', () => {
  const d = ref.dejitter;
  const K = 120 * d.rate;
  const stamps = Float64Array.from({ length: K }, (_, k) => 1000.25 + (k / d.rate) * (1 + 20e-6) + 0.004 * Math.sin(k * 2.399963) * Math.cos(k * 0.61803) + 0.002 * Math.sin(k * 0.0137));
  const run = (chunk: number) => {
    const dj = new Dejitter({ sampleRateHz: d.rate, forgetHalftimeSeconds: d.halftime, forceMonotonic: false });
    const out = new Float64Array(K);
    for (let i = 0; i < K; i += chunk) out.set(dj.process(stamps.subarray(i, Math.min(K, i + chunk))), i);
    return out;
  };
  const whole = run(K);
  it('equals the NumPy transcription of the recursion', () => {
    const every = Float64Array.from({ length: d.dejittered_every97.length }, (_, i) => whole[i * d.every]);
    expect(referenceError(every, d.dejittered_every97, 'abs')).toBeLessThan(1e-9);
  });
  it('any chunking gives the same stamps; jitter shrinks more than tenfold after the first minute', () => {
    expect(Array.from(run(7))).toEqual(Array.from(whole));
    let before = 0;
    let after = 0;
    const trueAt = (k: number) => 1000.25 + (k / d.rate) * (1 + 20e-6);
    for (let k = 60 * d.rate; k < K; k++) {
      before = Math.max(before, Math.abs(stamps[k] - trueAt(k)));
      after = Math.max(after, Math.abs(whole[k] - trueAt(k)));
    }
    expect(after).toBeLessThan(before / 10);
  });
  it('monotonic output, warm-up pass-through, irregular streams untouched', () => {
    const dj = new Dejitter({ sampleRateHz: 100, warmupSamples: 3 });
    const o = dj.process([5, 5.01, 5.02, 5.05, 5.0]);
    expect(Array.from(o.subarray(0, 3))).toEqual([5, 5.01, 5.02]);
    for (let i = 1; i < o.length; i++) expect(o[i]).toBeGreaterThanOrEqual(o[i - 1]);
    expect(Array.from(new Dejitter({ sampleRateHz: 0, forceMonotonic: false }).process([3, 1, 2]))).toEqual([3, 1, 2]);
  });
});

describe('HeartRate: Pan–Tompkins R peaks and BPM windows', () => {
  it("SciPy's electrocardiogram(): the same R peaks as find_peaks (within 3 samples at 360 Hz) outside an ectopic stretch", () => {
    const e = ref.ecg;
    const x = Float64Array.from(e.counts as number[], (v) => v * e.mvPerCount);
    // 18.9–20.8 s hold an ectopic beat in artefact (record 208 is full of PVCs): find_peaks's 150-sample
    // distance rule keeps one small bump there, Pan–Tompkins finds the sharp beat at 7055 and another bump;
    // everywhere else the two agree beat for beat.
    const outside = (p: number) => p < 6800 || p > 7500;
    const ours = detectRPeaks(x, e.sampleRateHz).filter(outside);
    const theirs = (e.findPeaks as number[]).filter(outside);
    expect(ours.length).toBe(theirs.length);
    ours.forEach((p, i) => expect(Math.abs(p - theirs[i])).toBeLessThanOrEqual(3));
  });
  it('a synthetic ECG with known beats, baseline wander and T waves: every beat, nothing else', () => {
    const fs = 250;
    const dur = 60;
    const beats: number[] = [];
    for (let t = 0.5, k = 0; t < dur - 1; k++) {
      beats.push(t);
      t += 0.8 + 0.15 * Math.sin(k / 4);
    }
    const x = new Float64Array(dur * fs);
    const g = (t: number, c: number, s: number, a: number) => a * Math.exp(-0.5 * ((t - c) / s) ** 2);
    for (let i = 0; i < x.length; i++) {
      const t = i / fs;
      let v = 0.3 * Math.sin(2 * Math.PI * 0.3 * t) + 0.02 * Math.sin(i * 1.7) * Math.cos(i * 0.3);
      for (const b of beats) {
        if (Math.abs(t - b) > 0.6) continue;
        v += g(t, b - 0.16, 0.02, 0.12) + g(t, b - 0.02, 0.008, -0.15) + g(t, b, 0.008, 1) + g(t, b + 0.025, 0.01, -0.25) + g(t, b + 0.28, 0.045, 0.35);
      }
      x[i] = v;
    }
    const found = detectRPeaks(x, fs).map((p) => p / fs);
    expect(found.length).toBe(beats.length);
    found.forEach((t, i) => expect(Math.abs(t - beats[i])).toBeLessThan(0.01));
  });
  it('BPM per 10 s window moved by 3 s, from the find_peaks beats', () => {
    const e = ref.ecg;
    const r = heartRate((e.findPeaks as number[]).map((p) => p / e.sampleRateHz), { windowLength: 10, windowShift: 3 });
    expect(referenceError(r.timesSeconds, e.heartRateSeconds_10_3.map((w: number[]) => w[0]), 'abs')).toBeLessThan(1e-12);
    expect(referenceError(r.bpm, e.heartRateSeconds_10_3.map((w: number[]) => w[1]), 'abs')).toBeLessThan(1e-9);
    const beatsUnit = heartRate([0, 1, 2, 3.5, 4], { windowLength: 3, windowShift: 2, unit: 'beats' });
    expect(beatsUnit.bpm).toEqual([60, (60 * 2) / 2]);
  });
});

describe('SpectralSelection', () => {
  it('streaming blocks equal the one-shot band-pass of each block, for any chunking', () => {
    const C = 2;
    const n = 1000;
    const x = Float64Array.from({ length: n * C }, (_, i) => Math.sin(i * 0.37) + Math.cos(i * 0.011));
    const run = (chunk: number) => {
      const s = new BlockSpectralSelection(C, 100, [[8, 12]], 100);
      const parts: number[] = [];
      for (let i = 0; i < n; i += chunk) parts.push(...s.process(x.subarray(i * C, Math.min(n, i + chunk) * C)));
      return parts;
    };
    const a = run(1000);
    expect(a.length).toBe(1000 * C);
    expect(run(33)).toEqual(a);
    const block = new Float64Array(200);
    for (let t = 0; t < 100; t++) for (let c = 0; c < C; c++) block[c * 100 + t] = x[(300 + t) * C + c];
    const y = fftBandPass(block, C, 100, 100, [[8, 12]]);
    expect(referenceError(Float64Array.from({ length: 100 }, (_, t) => a[(300 + t) * C + 1]), y.subarray(100), 'abs')).toBeLessThan(1e-15);
  });
});
