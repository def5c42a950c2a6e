// fNIRS channel quality: scalp coupling index (MNE 1.3).
// Runs anywhere (any thread, Node). Offline: allocates. CHANNEL-MAJOR data [channel, sample].
import { InputError } from '../core/errors';
import { firZeroPhase, mneFirFilter } from '../dsp/index';
import { nirsPairs, type NirsChannel } from './channels';

/** The cardiac band both quality metrics look at, as MNE / MNE-NIRS default (Hz). */
export interface CardiacBand {
  lFreqHz?: number;
  hFreqHz?: number;
  lTransBandwidthHz?: number;
  hTransBandwidthHz?: number;
}

/**
 * OD band-passed as MNE's `filter_data(od, fs, 0.7, 1.5, l_trans_bandwidth=0.3, h_trans_bandwidth=0.3)`:
 * MNE's default zero-phase firwin FIR with odd-reflection padding (dsp mneFirFilter + firZeroPhase).
 */
export function cardiacBandpass(od: ArrayLike<number>, channelCount: number, sampleCount: number, sampleRateHz: number, band: CardiacBand = {}): Float64Array {
  const h = mneFirFilter(sampleRateHz, band.lFreqHz ?? 0.7, band.hFreqHz ?? 1.5, { lTransBandwidthHz: band.lTransBandwidthHz ?? 0.3, hTransBandwidthHz: band.hTransBandwidthHz ?? 0.3 });
  return firZeroPhase(h, od, channelCount, sampleCount);
}

/** Pearson correlation of x[a, a+n) and y[b, b+n); 0 when either is constant (MNE's SCI rule). */
function correlation(x: ArrayLike<number>, a: number, y: ArrayLike<number>, b: number, n: number): number {
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[a + i];
    my += y[b + i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const u = x[a + i] - mx;
    const v = y[b + i] - my;
    sxy += u * v;
    sxx += u * u;
    syy += v * v;
  }
  const r = sxy / Math.sqrt(sxx * syy);
  return Number.isFinite(r) ? Math.max(-1, Math.min(1, r)) : 0;
}

/** The first two wavelength channels of every pair (what SCI and PSP correlate). */
function wavelengthPairs(channels: readonly NirsChannel[], where: string): [number, number][] {
  return nirsPairs(channels, where).map((p) => {
    if (p.channels.length < 2 || typeof p.kinds[0] !== 'number') throw new InputError(`pair ${p.pair} needs two wavelengths of optical density, has ${p.kinds.join(', ')}`, where);
    return [p.channels[0], p.channels[1]];
  });
}

/**
 * MNE 1.3 `scalp_coupling_index(od)`: Pearson correlation of the pair's two wavelengths after the
 * cardiac band-pass (`cardiacBandpass`); both channels of a pair get the value (0 if one is flat).
 */
export function scalpCouplingIndex(od: ArrayLike<number>, channels: readonly NirsChannel[], sampleCount: number, sampleRateHz: number, band: CardiacBand = {}): Float64Array {
  const C = channels.length;
  const f = cardiacBandpass(od, C, sampleCount, sampleRateHz, band);
  const sci = new Float64Array(C);
  for (const [a, b] of wavelengthPairs(channels, 'scalp coupling index')) sci[a] = sci[b] = correlation(f, a * sampleCount, f, b * sampleCount, sampleCount);
  return sci;
}
