// Quality metrics, motion detection and correction, short-separation regression and filters against
// peer outputs (tests/fnirs/make-fnirs-peers.py: MNE-NIRS's PSP / windowed SCI / short-channel formulas
// with MNE 1.3's filter, Homer3's motion functions in NumPy, SciPy's smoothing spline and filters),
// plus pruning and bad input: what is refused, what is dropped and why, and nothing turning into NaN.
import { describe, expect, it } from 'vitest';
import { fnirsPeers, peerArray } from '../../../tests/fnirs/peers';
import { hasShared, referenceArray, referenceError, referenceJson } from '../../../tests/support/shared';
import {
  bandpass,
  beerLambert,
  coefficientOfVariation,
  detectMotionArtifacts,
  extinctionCoefficients,
  fractionOfWindowsAbove,
  intensityChecks,
  movingAverageDetrend,
  opticalDensity,
  peakSpectralPower,
  pruneChannels,
  RunningShortChannelRegression,
  scalpCouplingIndexWindowed,
  shortChannelRegression,
  smoothingSpline,
  splineMotionCorrection,
  sourceDetectorDistances,
} from './index';

const labelsOf = (names: string[]) => names.map((label) => ({ label }));

describe.skipIf(!hasShared)('channel quality on the shared SNIRF recordings (MNE-NIRS formulas, MNE filter)', () => {
  const ref = hasShared ? referenceJson('fnirs') : { recordings: [] };
  for (const r of ref.recordings as any[]) {
    const q = fnirsPeers.quality.recordings.find((x: any) => x.recording === r.recording);
    it(`${r.recording}: peak spectral power and windowed SCI per 10 s window, CV per channel`, () => {
      const C = r.ch_names.length;
      const T = r.n_times;
      const od = opticalDensity(referenceArray(r.raw_intensity), C, T);
      const psp = peakSpectralPower(od, labelsOf(r.ch_names), T, r.sfreq, 10);
      expect(psp.windowCount).toBe(q.windows);
      expect(referenceError(psp.scores, peerArray(q.psp), 'nmax')).toBeLessThan(1e-10);
      const sci = scalpCouplingIndexWindowed(od, labelsOf(r.ch_names), T, r.sfreq, 10);
      expect(referenceError(sci.scores, peerArray(q.sci_windowed), 'abs')).toBeLessThan(1e-9);
      expect(referenceError(coefficientOfVariation(referenceArray(r.raw_intensity), C, T), q.cv_percent, 'nmax')).toBeLessThan(1e-12);
      const good = fractionOfWindowsAbove(psp, 0.1);
      expect(Array.from(good).every((f) => f >= 0 && f <= 1)).toBe(true);
    });
  }
});

describe('motion artefacts (Homer3 hmrR_MotionArtifactByChannel, hmrR_MotionCorrectSpline)', () => {
  const m = fnirsPeers.motion;
  const od = peerArray(m.od);
  const C = m.ch_names.length;
  const T = od.length / C;
  it('detects the same samples per channel as Homer3', () => {
    const th = m.thresholds;
    const det = detectMotionArtifacts(od, labelsOf(m.ch_names), T, m.sfreq, { tMotionSeconds: th.tMotion, tMaskSeconds: th.tMask, stdThreshold: th.STDEVthresh, ampThreshold: th.AMPthresh });
    expect(Array.from(det.includedByChannel)).toEqual(Array.from(peerArray(m.included_by_channel)));
    expect(Array.from(det.included)).toEqual(m.included);
    expect(det.included.includes(0)).toBe(true);
  });
  it('smoothing spline equals SciPy make_smoothing_spline(lam = (1 − p)/p) on uneven knots', () => {
    const s = m.smoothing_spline;
    for (const c of s.cases) expect(referenceError(smoothingSpline(s.t, s.y, c.p), c.values, 'nmax'), `p ${c.p}`).toBeLessThan(1e-9);
  });
  it('spline correction equals Homer3 with p = 0.99 and removes the baseline shift', () => {
    const mask = Uint8Array.from(peerArray(m.included_by_channel));
    const y = splineMotionCorrection(od, C, T, m.sfreq, mask, m.spline_p);
    expect(referenceError(y, peerArray(m.spline_corrected), 'nmax')).toBeLessThan(1e-9);
    // the 0.3 OD step at sample 300 of pair S1_D1 is gone: the means either side differ by far less
    const before = y.subarray(250, 295).reduce((a, b) => a + b, 0) / 45;
    const after = y.subarray(320, 365).reduce((a, b) => a + b, 0) / 45;
    expect(Math.abs(after - before)).toBeLessThan(0.05);
  });
});

describe('short-separation regression (MNE-NIRS formula; running estimate)', () => {
  const s = fnirsPeers.short_channel;
  const x = peerArray(s.x);
  const C = s.ch_names.length;
  const T = x.length / C;
  const chans = labelsOf(s.ch_names);
  it('nearest short channel of the same wavelength, and the mean of the short channels', () => {
    const near = shortChannelRegression(x, chans, T, s.distances_m, { midpointsM: s.midpoints_m });
    expect(near.plan.regressors.slice(0, 4)).toEqual([0, 1, 2, 3].map((c) => s.nearest.regressors[String(c)]));
    expect(referenceError(near.coefficients, s.nearest.coefficients, 'nmax')).toBeLessThan(1e-12);
    expect(referenceError(near.data, peerArray(s.nearest.y), 'nmax')).toBeLessThan(1e-12);
    const mean = shortChannelRegression(x, chans, T, s.distances_m, { method: 'mean' });
    expect(referenceError(mean.data, peerArray(s.mean.y), 'nmax')).toBeLessThan(1e-12);
  });
  it('running estimate: peer output for τ = 30 s, chunk invariance, τ = ∞ ends at the offline coefficient', () => {
    const frames = new Float64Array(C * T);
    for (let c = 0; c < C; c++) for (let t = 0; t < T; t++) frames[t * C + c] = x[c * T + t];
    const run = (tau: number, chunks: number[]) => {
      const r = new RunningShortChannelRegression(chans, s.distances_m, { midpointsM: s.midpoints_m, sampleRateHz: s.sfreq, timeConstantSeconds: tau });
      const out = new Float64Array(C * T);
      let at = 0;
      for (let k = 0; at < T; k++) {
        const n = Math.min(chunks[k % chunks.length], T - at);
        const view = out.subarray(at * C, (at + n) * C);
        r.process(frames.subarray(at * C, (at + n) * C), n, view);
        at += n;
      }
      return { out, coefficients: r.coefficients };
    };
    const one = run(30, [T]);
    const chunked = run(30, [1, 7, 64, 3, 250, 17]);
    expect(Array.from(chunked.out)).toEqual(Array.from(one.out));
    const expected = peerArray(s.running_tau30.y);
    const got = new Float64Array(C * T);
    for (let c = 0; c < C; c++) for (let t = 0; t < T; t++) got[c * T + t] = one.out[t * C + c];
    expect(referenceError(got, expected, 'nmax')).toBeLessThan(1e-10);
    expect(referenceError(run(Infinity, [100]).coefficients, s.nearest.coefficients, 'nmax')).toBeLessThan(1e-12);
  });
  it('refuses a montage without short channels or distances, with what to do', () => {
    expect(() => shortChannelRegression(x, chans, T, undefined)).toThrow(/distance per channel.*give distances in metres/);
    expect(() => shortChannelRegression(x, chans, T, s.distances_m.map(() => 0.03))).toThrow(/no short channels/);
    expect(() => shortChannelRegression(x, chans, T, s.distances_m)).toThrow(/needs channel midpoints/);
  });
});

describe('Beer–Lambert beyond MNE: three wavelengths off the 2 nm grid, ppf per wavelength (NumPy pinv peer)', () => {
  it('equals pinv(ε·0.2303·d·ppf) · OD · 1e-3 with MNE-interpolated extinction', () => {
    const b = fnirsPeers.beer_lambert_3wl;
    for (const [nm, e] of Object.entries(b.extinction as Record<string, number[]>)) expect(referenceError(extinctionCoefficients(Number(nm)), e, 'nmax')).toBeLessThan(1e-14);
    const od = Float64Array.from(b.od.flat());
    const T = b.od[0].length;
    const ppf = Object.fromEntries(Object.entries(b.ppf as Record<string, number>).map(([k, v]) => [Number(k), v]));
    const hb = beerLambert(od, labelsOf(b.ch_names), T, [b.distance_m, b.distance_m, b.distance_m], ppf);
    expect(hb.labels).toEqual(['S1_D1 hbo', 'S1_D1 hbr']);
    expect(hb.inputChannels).toEqual([0, 1]);
    expect(referenceError(hb.data, b.hb.flat(), 'nmax')).toBeLessThan(1e-12);
  });
});

describe('filters against MNE / SciPy', () => {
  const f = fnirsPeers.filters;
  const x = peerArray(f.x);
  const T = x.length / 2;
  it('MNE default FIR band-pass, Butterworth forward–backward, 100 s moving-average detrend', () => {
    expect(referenceError(bandpass(x, 2, T, f.sfreq, 0.05, 0.5), peerArray(f.fir), 'nmax')).toBeLessThan(1e-10);
    expect(referenceError(bandpass(x, 2, T, f.sfreq, 0.05, 0.5, { method: 'butterworth', order: 3 }), peerArray(f.butterworth), 'nmax')).toBeLessThan(1e-9);
    expect(referenceError(movingAverageDetrend(x, 2, T, f.sfreq, 100), peerArray(f.moving_average_100s), 'nmax')).toBeLessThan(1e-12);
  });
});

describe('bad input: clear errors, dropped channels with reasons, no NaN spreading', () => {
  const chans = labelsOf(['S1_D1 760', 'S1_D1 850', 'S2_D1 760', 'S2_D1 850', 'S3_D1 760', 'S3_D1 850']);
  const T = 200;
  const raw = new Float64Array(6 * T);
  for (let c = 0; c < 6; c++) for (let t = 0; t < T; t++) raw[c * T + t] = 1000 + 10 * Math.sin(t / 5 + c) + c;
  raw[2 * T + 40] = 0; // S2_D1 760: a zero intensity
  raw[2 * T + 41] = -3; //            and a negative one
  for (let t = 0; t < T; t++) raw[5 * T + t] = t % 3 === 0 ? 4095 : Math.min(4095, 3000 + t * 10); // S3_D1 850 clipped at a 12-bit ceiling
  it('intensity checks and pruning name each dropped channel and why, pair partners included', () => {
    const checks = intensityChecks(raw, 6, T, { ceiling: 4095 });
    expect(checks[2].nonPositive).toBe(2);
    expect(checks[5].saturatedFraction).toBeGreaterThan(0.3);
    const cv = coefficientOfVariation(raw, 6, T);
    const pruned = pruneChannels(chans, { intensity: checks, cvPercent: cv }, { cvMaxPercent: 50 });
    expect(pruned.keep).toEqual([0, 1]);
    const why = Object.fromEntries(pruned.dropped.map((d) => [d.label, d.reasons.join('; ')]));
    expect(why['S2_D1 760']).toMatch(/2 samples ≤ 0/);
    expect(why['S2_D1 850']).toMatch(/pair partner S2_D1 760 dropped/);
    expect(why['S3_D1 850']).toMatch(/saturated: .* % of samples at the top/);
    expect(why['S3_D1 760']).toMatch(/pair partner S3_D1 850 dropped/);
  });
  it('OD refuses a zero intensity naming channel and sample; Beer–Lambert refuses missing wavelengths and distances', () => {
    expect(() => opticalDensity(raw, 6, T)).toThrow(/channel 2 has a zero intensity at sample 40; drop the channel/);
    const od = opticalDensity(raw.subarray(0, 2 * T), 2, T);
    expect(() => beerLambert(od, chans.slice(0, 2), T, undefined)).toThrow(/probe has no positions; give distances in metres/);
    expect(() => beerLambert(od.subarray(0, T), chans.slice(0, 1), T, [0.03])).toThrow(/pair S1_D1 has 1 wavelengths; at least 2/);
    expect(() => sourceDetectorDistances(chans, [[0, 0, 0]], [])).toThrow(/no position for detector 1 in the probe/);
    const hb = beerLambert(od, chans.slice(0, 2), T, [0.03, 0.03], { ageYears: 25 });
    expect(hb.data.every(Number.isFinite)).toBe(true);
  });
  it('a flat channel gets SCI/PSP 0 instead of NaN, and its neighbours are untouched', () => {
    const od = opticalDensity(raw.subarray(0, 2 * T), 2, T);
    const flat = Float64Array.from(od);
    flat.fill(0, T); // S1_D1 850 flat
    const w = peakSpectralPower(flat, chans.slice(0, 2), T, 10, 10);
    expect(Array.from(w.scores).every(Number.isFinite)).toBe(true);
    const sci = scalpCouplingIndexWindowed(flat, chans.slice(0, 2), T, 10, 10);
    expect(Array.from(sci.scores)).toEqual(new Array(sci.scores.length).fill(0));
  });
});
