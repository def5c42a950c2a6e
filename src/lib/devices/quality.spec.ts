import { describe, expect, it } from 'vitest';
import { channelQuality, eegFullScaleUv, leadOffImpedanceOhms, toneAmplitude } from './quality.ts';

/** Frame-major window: channel c = fn(c, t). */
function windowOf(frames: number, channels: number, rateHz: number, fn: (c: number, tSec: number) => number): Float32Array {
  const out = new Float32Array(frames * channels);
  for (let f = 0; f < frames; f++) for (let c = 0; c < channels; c++) out[f * channels + c] = fn(c, f / rateHz);
  return out;
}

describe('signal quality', () => {
  const rate = 250;
  const frames = 500;
  const opts = { fullScale: eegFullScaleUv('openbci-cyton') };

  it('measures line noise amplitude at 50 or 60 Hz next to EEG-band activity', () => {
    const w = windowOf(frames, 3, rate, (c, t) => {
      const alpha = 30 * Math.sin(2 * Math.PI * 10 * t);
      if (c === 0) return alpha + 12 * Math.sin(2 * Math.PI * 50 * t + 0.3) + 40;
      if (c === 1) return alpha + 25 * Math.sin(2 * Math.PI * 60 * t);
      return alpha;
    });
    const q0 = channelQuality(w, frames, 3, 0, rate, opts);
    expect(q0.lineFrequencyHz).toBe(50);
    expect(q0.lineNoise).toBeGreaterThan(12 * 0.97);
    expect(q0.lineNoise).toBeLessThan(12 * 1.03);
    expect(q0.noisy).toBe(false);
    const q1 = channelQuality(w, frames, 3, 1, rate, opts);
    expect(q1.lineFrequencyHz).toBe(60);
    expect(Math.abs(q1.lineNoise - 25)).toBeLessThan(0.75);
    expect(q1.noisy).toBe(true);
    // Clean channel: the Hann window keeps the 10 Hz component's leakage at 50 Hz far below 1 µV.
    expect(channelQuality(w, frames, 3, 2, rate, opts).lineNoise).toBeLessThan(0.5);
    // The standard deviation of a 30 µV sine is 30/√2.
    expect(channelQuality(w, frames, 3, 2, rate, opts).std).toBeCloseTo(30 / Math.SQRT2, 1);
  });

  it('flags flat, railed and missing channels', () => {
    const fs = opts.fullScale;
    const w = windowOf(frames, 3, rate, (c, t) => (c === 0 ? 12.5 : c === 1 ? (Math.sin(2 * Math.PI * 3 * t) > 0 ? 0.95 * fs : -0.95 * fs) : t < 0.4 ? NaN : 20 * Math.sin(2 * Math.PI * 7 * t)));
    const flat = channelQuality(w, frames, 3, 0, rate, opts);
    expect(flat.flat).toBe(true);
    expect(flat.std).toBe(0);
    expect(flat.railed).toBe(false);
    const railed = channelQuality(w, frames, 3, 1, rate, opts);
    expect(railed.railed).toBe(true);
    expect(railed.railedFraction).toBe(1);
    expect(railed.flat).toBe(false);
    const gappy = channelQuality(w, frames, 3, 2, rate, opts);
    expect(gappy.missing).toBe(100);
    expect(gappy.flat).toBe(false);
    expect(gappy.railed).toBe(false);
  });

  it('computes Cyton lead-off impedance like the OpenBCI GUI (√2·σ / 6 nA − 2.2 kΩ)', () => {
    // A 10 kΩ electrode: 6 nA × 12.2 kΩ (incl. the series resistor) = 73.2 µV peak at 31.25 Hz.
    const w = windowOf(frames, 1, rate, (_c, t) => 73.2 * Math.sin(2 * Math.PI * 31.25 * t) + 5 * Math.sin(2 * Math.PI * 10 * t));
    const peak = toneAmplitude(w, frames, 1, 0, rate, 31.25);
    expect(Math.abs(peak - 73.2)).toBeLessThan(0.5);
    expect(Math.abs(leadOffImpedanceOhms(peak) - 10_000)).toBeLessThan(100);
    expect(leadOffImpedanceOhms(NaN)).toBeNaN();
  });

  it('knows the EEG full scale of each amplifier', () => {
    expect(eegFullScaleUv('openbci-cyton')).toBe(187_500);
    expect(eegFullScaleUv('openbci-cyton', 1)).toBe(4_500_000);
    expect(eegFullScaleUv('muse-2')).toBe(1000);
    expect(eegFullScaleUv('hegduino')).toBe(Infinity);
  });
});
