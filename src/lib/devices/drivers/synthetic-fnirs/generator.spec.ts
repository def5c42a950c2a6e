// The synthetic fNIRS generator: deterministic and chunk-invariant, its probe and channels, raw
// intensities that OD → Beer–Lambert turns back into haemoglobin with the physiology where it should
// be (cardiac, respiration and Mayer peaks in the PSD; the task response on long channels only).
import { describe, expect, it } from 'vitest';
import { welch } from '../../../dsp/spectral';
import { beerLambert, blockAverage, nirsPairs, opticalDensity } from '../../../fnirs/index';
import { SyntheticFnirsGenerator } from './generator';
import { generateFnirs } from './testing';

describe('SyntheticFnirsGenerator', () => {
  it('is deterministic from its seed whatever the chunking, including a live task switch', () => {
    const settings = { seed: 7, sampleRateHz: 10 };
    const a = new SyntheticFnirsGenerator(settings);
    const C = a.channels.length;
    const whole = new Float32Array(900 * C);
    a.next(300, whole);
    a.setTask(true);
    a.next(600, whole.subarray(300 * C));
    const b = new SyntheticFnirsGenerator(settings);
    const pieces = new Float32Array(900 * C);
    let at = 0;
    for (const n of [1, 13, 286]) {
      b.next(n, pieces.subarray(at * C));
      at += n;
    }
    b.setTask(true);
    for (const n of [250, 1, 349]) {
      b.next(n, pieces.subarray(at * C));
      at += n;
    }
    expect(Array.from(pieces)).toEqual(Array.from(whole));
    expect(Array.from(new SyntheticFnirsGenerator({ seed: 8 }).channels, (c) => c.label)).toEqual(Array.from(a.channels, (c) => c.label));
  });

  it('has 6 long (3 cm) and 4 short (0.8 cm) pairs at two wavelengths, positive intensities', () => {
    const { g, raw, distances } = generateFnirs({ seed: 1 }, 60);
    expect(nirsPairs(g.channels).map((p) => p.kinds)).toEqual(new Array(10).fill([760, 850]));
    const d = Array.from(distances, (x) => Math.round(x * 1000) / 10);
    expect(d.filter((x) => x === 3).length).toBe(12);
    expect(d.filter((x) => x === 0.8).length).toBe(8);
    expect(raw.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
  });

  it('OD → Beer–Lambert gives HbO with cardiac, respiration and Mayer peaks, and the task response only on long channels', () => {
    const fs = 10;
    const blocks = Array.from({ length: 16 }, (_, k) => ({ onsetSeconds: 30 + 40 * k + 7 * (k % 3), durationSeconds: 15 }));
    const { g, T, C, raw, distances } = generateFnirs({ seed: 3, sampleRateHz: fs, motionPerMinute: 0, taskBlocks: blocks }, 720);
    const hb = beerLambert(opticalDensity(raw, C, T), g.channels, T, distances);
    const shortHbo = hb.labels.indexOf('S1_D4 hbo');
    const spec = welch(hb.data.subarray(shortHbo * T, (shortHbo + 1) * T), 1, T, fs, { nperseg: 1024 });
    const at = (hz: number) => spec.psd[Math.round(hz / (spec.freqsHz[1] - spec.freqsHz[0]))];
    const floor = at(2.5);
    for (const hz of [0.1, 0.3, 1.1]) expect(at(hz), `${hz} Hz`).toBeGreaterThan(30 * floor);
    const avg = blockAverage(hb.data, C, T, fs, g.taskEvents(), { tminSeconds: -5, tmaxSeconds: 25 });
    const L = avg.timesSeconds.length;
    const peak = (label: string) => {
      const c = hb.labels.indexOf(label);
      const m = avg.mean.subarray(c * L, (c + 1) * L);
      return m[avg.timesSeconds.findIndex((t) => t >= 15)];
    };
    // 15 s into a 15 s block the canonical response is near its 0.5 µM plateau (HbR −0.3 × that).
    for (const long of ['S2_D1', 'S3_D2']) {
      expect(peak(`${long} hbo`)).toBeGreaterThan(0.35e-6);
      expect(peak(`${long} hbo`)).toBeLessThan(0.65e-6);
      expect(peak(`${long} hbr`)).toBeLessThan(-0.08e-6);
    }
    for (const short of ['S1_D4', 'S2_D5']) expect(Math.abs(peak(`${short} hbo`))).toBeLessThan(0.15e-6);
  });
});
