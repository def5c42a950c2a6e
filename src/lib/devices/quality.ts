// Per-channel signal quality for the Devices page: railed (near the amplifier's full scale),
// flat (no variance: electrode off or channel dead), line noise (amplitude at 50/60 Hz) and
// lead-off impedance (Cyton: 6 nA at 31.2 Hz through a 2.2 kΩ series resistor, as the OpenBCI GUI
// computes it). Pure functions over a window of frame-major samples; runs anywhere. Allocation-free
// per call except the returned object; not for per-sample use.
import type { DeviceId } from './descriptor.ts';

export interface ChannelQuality {
  /** Standard deviation over the window, in the stream's unit (µV for EEG). */
  std: number;
  /** Fraction of samples beyond `railFraction` of full scale. */
  railedFraction: number;
  railed: boolean;
  flat: boolean;
  /** Amplitude (peak) of the strongest of 50/60 Hz, in the stream's unit. */
  lineNoise: number;
  lineFrequencyHz: 50 | 60;
  noisy: boolean;
  /** NaN values (lost frames, missing channel) in the window. */
  missing: number;
}

export interface QualityOptions {
  /** Full scale of the amplifier in the stream's unit (± this value); Infinity = no rail check. */
  fullScale: number;
  /** A sample beyond this fraction of full scale counts as railed (OpenBCI GUI: 90 %). */
  railFraction?: number;
  /** Railed when more than this fraction of the window is railed. */
  railedWindowFraction?: number;
  /** Flat when the standard deviation is below this (µV). */
  flatBelow?: number;
  /** Noisy when the line amplitude exceeds this (µV). */
  lineNoiseAbove?: number;
}

/**
 * Peak amplitude of the component at `frequencyHz` in channel `ch` of a frame-major window
 * (Hann-windowed single-frequency DFT, mean removed; exact for a pure tone to within leakage).
 */
export function toneAmplitude(samples: ArrayLike<number>, frames: number, channels: number, ch: number, sampleRateHz: number, frequencyHz: number): number {
  if (frames < 2 || !(frequencyHz > 0) || frequencyHz >= sampleRateHz / 2) return NaN;
  let mean = 0;
  let n = 0;
  for (let f = 0; f < frames; f++) {
    const v = samples[f * channels + ch];
    if (v === v) {
      mean += v;
      n++;
    }
  }
  if (n < 2) return NaN;
  mean /= n;
  const w = (2 * Math.PI * frequencyHz) / sampleRateHz;
  let re = 0;
  let im = 0;
  let wsum = 0;
  for (let f = 0; f < frames; f++) {
    const v = samples[f * channels + ch];
    if (v !== v) continue;
    const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * f) / (frames - 1));
    const x = (v - mean) * hann;
    re += x * Math.cos(w * f);
    im -= x * Math.sin(w * f);
    wsum += hann;
  }
  return (2 * Math.hypot(re, im)) / wsum;
}

export function channelQuality(samples: ArrayLike<number>, frames: number, channels: number, ch: number, sampleRateHz: number, o: QualityOptions): ChannelQuality {
  const railAt = o.fullScale * (o.railFraction ?? 0.9);
  let sum = 0;
  let sum2 = 0;
  let n = 0;
  let railed = 0;
  let missing = 0;
  for (let f = 0; f < frames; f++) {
    const v = samples[f * channels + ch];
    if (v !== v) {
      missing++;
      continue;
    }
    sum += v;
    sum2 += v * v;
    n++;
    if (Math.abs(v) >= railAt) railed++;
  }
  const mean = n > 0 ? sum / n : 0;
  const std = n > 1 ? Math.sqrt(Math.max(0, (sum2 - n * mean * mean) / (n - 1))) : NaN;
  const a50 = toneAmplitude(samples, frames, channels, ch, sampleRateHz, 50);
  const a60 = toneAmplitude(samples, frames, channels, ch, sampleRateHz, 60);
  const lineFrequencyHz: 50 | 60 = !(a60 > a50) ? 50 : 60;
  const lineNoise = lineFrequencyHz === 50 ? a50 : a60;
  const railedFraction = n > 0 ? railed / n : 0;
  return {
    std,
    railedFraction,
    railed: railedFraction > (o.railedWindowFraction ?? 0.1),
    flat: n < 2 || std < (o.flatBelow ?? 0.5),
    lineNoise,
    lineFrequencyHz,
    noisy: lineNoise > (o.lineNoiseAbove ?? 20),
    missing,
  };
}

/** Cyton lead-off drive: 6 nA at 31.2 Hz (ADS1299 LOFF register as the OpenBCI firmware sets it). */
export const CYTON_LEADOFF_AMPS = 6e-9;
export const CYTON_LEADOFF_HZ = 31.25;
/** Series resistor on every Cyton input. */
export const CYTON_SERIES_OHMS = 2200;

/**
 * Electrode impedance in ohms from the lead-off tone in µV while lead-off current is on:
 * Z = √2 · σ / I − R_series, with σ the RMS of the 31.2 Hz component (= peak / √2), i.e.
 * Z = peak / I − R_series. NaN when the tone is absent.
 */
export function leadOffImpedanceOhms(tonePeakUv: number, driveAmps = CYTON_LEADOFF_AMPS, seriesOhms = CYTON_SERIES_OHMS): number {
  if (!(tonePeakUv >= 0)) return NaN;
  return Math.max(0, (tonePeakUv * 1e-6) / driveAmps - seriesOhms);
}

/** ± full scale in µV of each device's EEG input (2^23 counts × µV per count, or the ADC range). */
export function eegFullScaleUv(id: DeviceId, gain = 24): number {
  switch (id) {
    case 'openbci-cyton':
    case 'openbci-cyton-daisy':
      return (4.5 / gain) * 1e6; // ADS1299: Vref 4.5 V / gain
    case 'openbci-ganglion':
      return (1.2 / 1.5 / 51) * 1e6; // MCP3912: 1.2 V / 1.5 / gain 51
    case 'muse-2':
    case 'muse-s':
      return 2048 * (125 / 256); // 12-bit, offset 2048
    case 'muse-s-athena':
      return 8192 * (1450 / 16383); // 14-bit, offset 8192
    default:
      return Infinity;
  }
}
