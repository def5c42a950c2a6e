// The live fNIRS chain against MNE 1.3 (shared/reference/fnirs.json) through the SNIRF reader's
// float32 frames: once its baseline is the whole recording, its HbO/HbR are MNE's
// beer_lambert_law(optical_density(raw)) and its SCI over a whole-recording window is MNE's
// scalp_coupling_index; ΔOD mode is the library's opticalDensity; chunk invariance; bad samples stay
// in their channel and are named.
import { describe, expect, it } from 'vitest';
import { needsShared, referenceArray, referenceError, referenceJson, sharedBytes } from '../../../tests/support/shared';
import type { StreamDescriptor } from '../core/stream';
import { HEGDUINO } from '../devices/drivers/hegduino/descriptor';
import { generateFnirs } from '../devices/drivers/synthetic-fnirs/testing';
import { readSnirf } from '../formats/snirf';
import { LiveFnirs } from './live';
import { opticalDensity } from './beer-lambert';
import { channelMidpoints, sourceDetectorDistances } from './channels';
import { RunningShortChannelRegression } from './short-channels';

/** Channel-major copy of frame-major float32 frames. */
function channelMajor(frames: Float32Array, C: number, T: number): Float64Array {
  const out = new Float64Array(C * T);
  for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) out[c * T + t] = frames[t * C + c];
  return out;
}

async function snirfStream(name: string) {
  const rec = await readSnirf(sharedBytes(`data/snirf/${name}.snirf`), `${name}.snirf`);
  const s = rec.streams.find((x) => x.descriptor.kind === 'fnirs')!;
  const descriptor: StreamDescriptor = { ...s.descriptor, probe: rec.probe };
  return { descriptor, frames: s.samples, T: s.timestampsMs.length, C: s.descriptor.channels.length };
}

describe('LiveFnirs against MNE 1.3 (fnirs.json)', needsShared, () => {
  const ref = referenceJson('fnirs');
  for (const r of ref.recordings as any[]) {
    it(`${r.recording}: HbO/HbR after a whole-recording baseline are MNE's, in µM; SCI over the whole recording is MNE's`, async () => {
      const s = await snirfStream(r.recording);
      // MNE's rate (its rounding of the time step; our reader keeps the file's mean step): SCI's FIR depends on it.
      s.descriptor.sampleRateHz = r.sfreq;
      const seconds = s.T / s.descriptor.sampleRateHz;
      const live = new LiveFnirs(s.descriptor, { baselineSeconds: seconds, qualityWindowSeconds: seconds });
      expect(live.mode).toBe('haemoglobin');
      expect(live.output.channels.map((c) => c.label)).toEqual(r.beer_lambert.ch_names_out);
      expect(live.output.channels.every((c) => c.unit === 'uM')).toBe(true);
      const out = new Float32Array(s.frames.length);
      live.process(s.frames, s.T, out); // the baseline fills
      live.process(s.frames, s.T, out); // now OD is against the whole recording's mean, as MNE's
      const hbUm = referenceArray(r.beer_lambert.data).map((v) => v * 1e6);
      expect(referenceError(channelMajor(out, s.C, s.T), hbUm, 'nmax')).toBeLessThan(r.beer_lambert.tol.f32);
      const q = live.quality()!;
      const sci = r.scalp_coupling_index;
      expect(referenceError(q.channels.map((c) => c.sci!), sci.values, sci.tol.metric)).toBeLessThan(sci.tol.f32);
      // The verdict is pruneChannels' at SCI 0.5: a channel fails exactly when MNE's SCI is below it.
      q.channels.forEach((c, i) => {
        if (sci.values[i] < 0.5) expect(c.reasons.join()).toMatch(/SCI 0\.\d+ < 0\.5/);
        if (!c.ok) expect(c.reasons.length).toBeGreaterThan(0);
      });
    });
  }
});

describe('LiveFnirs', () => {
  const { g, T, C, frames } = generateFnirs({ sampleRateHz: 10, seed: 4, taskBlocks: [{ onsetSeconds: 20, durationSeconds: 15 }] }, 60);
  const stream = g.stream;

  it('is chunk-invariant: any split of the frames gives the same output', () => {
    const whole = new Float32Array(T * C);
    new LiveFnirs(stream).process(frames, T, whole);
    const parts = new Float32Array(T * C);
    const live = new LiveFnirs(stream);
    const sizes = [1, 7, 3, 64, 2, 129, 5];
    for (let t = 0, i = 0; t < T; i++) {
      const n = Math.min(sizes[i % sizes.length], T - t);
      live.process(frames.subarray(t * C, (t + n) * C), n, parts.subarray(t * C, (t + n) * C));
      t += n;
    }
    expect(parts).toEqual(whole);
    expect(whole.every(Number.isFinite)).toBe(true);
  });

  it('without probe positions shows ΔOD, says why, and ΔOD after the baseline is opticalDensity', () => {
    const { probe: _p, ...bare } = stream;
    const live = new LiveFnirs(bare, { baselineSeconds: T / 10 });
    expect(live.mode).toBe('optical-density');
    expect(live.note).toMatch(/no probe positions/);
    expect(live.output.channels[0].label).toBe('S1_D1 760 ΔOD');
    const out = new Float32Array(T * C);
    live.process(frames, T, out);
    live.process(frames, T, out);
    expect(referenceError(channelMajor(out, C, T), opticalDensity(channelMajor(frames, C, T), C, T), 'nmax')).toBeLessThan(1e-5);
  });

  it('a sample ≤ 0 holds its channel (no NaN), leaves the other pairs untouched, and quality names it', () => {
    const bad = frames.slice();
    for (let t = 200; t < 230; t++) bad[t * C + 4] = t % 2 ? 0 : -3; // S2_D2 760
    const clean = new Float32Array(T * C);
    const dirty = new Float32Array(T * C);
    new LiveFnirs(stream).process(frames, T, clean);
    const live = new LiveFnirs(stream);
    live.process(bad, T, dirty);
    expect(dirty.every(Number.isFinite)).toBe(true);
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < C; c++) if (c !== 4 && c !== 5) expect(dirty[t * C + c]).toBe(clean[t * C + c]);
    }
    // Held: in ΔOD the channel keeps its value from just before the bad stretch.
    const { probe: _p, ...bare } = stream;
    const od = new Float32Array(T * C);
    new LiveFnirs(bare).process(bad, T, od);
    for (let t = 200; t < 230; t++) expect(od[t * C + 4]).toBe(od[199 * C + 4]);
    expect(od[230 * C + 4]).not.toBe(od[199 * C + 4]);
    const quiet = new LiveFnirs(stream, { qualityWindowSeconds: 40 });
    quiet.process(bad, 400, new Float32Array(400 * C));
    const q = quiet.quality()!;
    expect(q.channels[4]).toMatchObject({ label: 'S2_D2 760', ok: false });
    expect(q.channels[4].reasons).toContain('30 samples ≤ 0');
    // Its partner is judged with it: the pair's SCI is 0 once one wavelength is unusable.
    expect(q.channels[5]).toMatchObject({ label: 'S2_D2 850', ok: false, sci: 0 });
    expect(q.channels[0].reasons).toEqual([]);
  });

  it('has no quality until a full window has arrived', () => {
    const live = new LiveFnirs(stream, { qualityWindowSeconds: 10 });
    live.process(frames, 99, new Float32Array(99 * C));
    expect(live.quality()).toBeNull();
    live.process(frames.subarray(99 * C), 1, new Float32Array(C));
    expect(live.quality()?.channels).toHaveLength(20);
  });

  it('HEGduino (no distances, irregular rate): ΔOD of red and IR, its ratio passed through as the device’s, CV without SCI', () => {
    const heg = HEGDUINO.streams[0];
    const live = new LiveFnirs(heg);
    expect(live.mode).toBe('optical-density');
    expect(live.output.channels.map((c) => c.label)).toEqual(['red ΔOD', 'ir ΔOD', 'ratio (device)', 'ambient (device)']);
    const n = 150;
    const x = new Float32Array(n * 4);
    for (let t = 0; t < n; t++) x.set([1000 + 10 * Math.sin(t / 5), 2000 + 5 * Math.cos(t / 7), 0.5 + t / 1000, 3], t * 4);
    const out = new Float32Array(n * 4);
    live.process(x, n, out);
    for (let t = 0; t < n; t++) expect(out[t * 4 + 2]).toBe(x[t * 4 + 2]);
    const q = live.quality()!;
    expect(q.channels.map((c) => c.label)).toEqual(['red', 'ir']);
    expect(q.channels.every((c) => c.sci === null && c.cvPercent > 0 && c.cvPercent < 1)).toBe(true);
    expect(q).toMatchObject({ windowSeconds: null, windowSamples: 100 });
  });

  it('short-channel regression: the running estimate (τ 60 s) over the Hb positions, and it removes most of the scalp signal', () => {
    const { g: g2, T: T2, frames: f2 } = generateFnirs({ sampleRateHz: 10, seed: 6, motionPerMinute: 0 }, 300);
    const plain = new LiveFnirs(g2.stream);
    expect(plain.hasShortChannels).toBe(true);
    expect(plain.shortChannelRegression).toBe(false);
    const hb = new Float32Array(T2 * C);
    plain.process(f2, T2, hb);
    const live = new LiveFnirs(g2.stream, { shortChannelRegression: true });
    const out = new Float32Array(T2 * C);
    live.process(f2, T2, out);
    // The library's running regression on the Hb channels (all 20 positions are Hb here).
    const probe = g2.probe;
    const ssr = new RunningShortChannelRegression(live.output.channels, sourceDetectorDistances(g2.channels, probe.sourcePositionsM, probe.detectorPositionsM), {
      sampleRateHz: 10, midpointsM: channelMidpoints(g2.channels, probe.sourcePositionsM, probe.detectorPositionsM), timeConstantSeconds: 60,
    });
    const want = new Float64Array(T2 * C);
    ssr.process(hb, T2, want);
    expect(out).toEqual(Float32Array.from(want));
    // Without a task, what is left on a long HbO channel after the first minute is far smaller.
    const variance = (x: Float32Array, c: number) => {
      const v = Array.from({ length: T2 - 600 }, (_, t) => x[(t + 600) * C + c]);
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      return v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length;
    };
    for (const c of [0, 2, 4, 6, 8, 10]) expect(variance(out, c), live.output.channels[c].label).toBeLessThan(0.5 * variance(hb, c));
    // Off again: the next frame is the plain chain's.
    live.setShortChannelRegression(false);
    const off = new Float32Array(C);
    const reference = new Float32Array(C);
    live.process(f2.subarray(0, C), 1, off);
    plain.process(f2.subarray(0, C), 1, reference);
    expect(off).toEqual(reference);
    expect(new LiveFnirs({ ...g2.stream, probe: { ...probe, detectorPositionsM: probe.detectorPositionsM.map(([x], j) => [x, j > 2 ? 0.03 : 0, 0]) } }).hasShortChannels).toBe(false);
  });
});
