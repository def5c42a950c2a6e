// fNIRS features for classification: per-trial window features (mean, slope, peak per channel and
// chromophore, baseline-corrected) of haemoglobin from the fNIRS library (../fnirs: optical density,
// modified Beer–Lambert law as MNE-Python does it), re-exported here for the experiment code.
// Runs anywhere (training worker, Node); offline: allocates. Data are CHANNEL-MAJOR float64.
import { InputError } from '../core/errors';
import { dense, type DenseMatrix } from './linalg';

export { beerLambert, extinctionCoefficients, opticalDensity, parseNirsChannel, sourceDetectorDistances, type HaemoglobinResult, type NirsChannel } from '../fnirs/index';

export type FnirsFeature = 'mean' | 'slope' | 'peak';
export const FNIRS_FEATURES: readonly FnirsFeature[] = ['mean', 'slope', 'peak'];

export interface WindowFeatureOptions {
  sampleRateHz: number;
  /** Seconds after the onset, [start, end] inclusive. */
  windowSeconds: [number, number];
  /** Seconds relative to the onset whose mean is subtracted first (null: none). */
  baselineSeconds: [number, number] | null;
  features: readonly FnirsFeature[];
}

/**
 * Features of each trial (rows) for each channel × feature (columns, channel-major then feature):
 * mean of the window, least-squares slope (units per second), peak = the window value farthest from
 * zero (signed). All after subtracting the baseline mean. Onsets whose window or baseline leaves the
 * recording are refused.
 */
export function windowFeatures(data: ArrayLike<number>, channelCount: number, sampleCount: number, onsets: number[], o: WindowFeatureOptions): DenseMatrix {
  const fs = o.sampleRateHz;
  const w0 = Math.round(o.windowSeconds[0] * fs);
  const w1 = Math.round(o.windowSeconds[1] * fs);
  if (!(w1 > w0)) throw new InputError('window must span at least two samples', 'fnirs window');
  const b = o.baselineSeconds ? [Math.round(o.baselineSeconds[0] * fs), Math.round(o.baselineSeconds[1] * fs)] : null;
  if (b && !(b[1] >= b[0])) throw new InputError('baseline must be [start, end] with end ≥ start', 'fnirs baseline');
  const F = o.features.length;
  const out = dense(onsets.length, channelCount * F);
  const n = w1 - w0 + 1;
  const tMean = (w0 + w1) / 2;
  let sxx = 0;
  for (let i = w0; i <= w1; i++) sxx += (i - tMean) ** 2;
  onsets.forEach((on, r) => {
    const lo = Math.min(on + w0, b ? on + b[0] : Infinity);
    const hi = on + w1;
    if (lo < 0 || hi >= sampleCount) throw new InputError(`trial ${r} at sample ${on}: window or baseline runs outside the recording`, 'fnirs window');
    for (let c = 0; c < channelCount; c++) {
      const o2 = c * sampleCount + on;
      let base = 0;
      if (b) {
        for (let i = b[0]; i <= b[1]; i++) base += data[o2 + i];
        base /= b[1] - b[0] + 1;
      }
      let sum = 0;
      let sxy = 0;
      let peak = 0;
      for (let i = w0; i <= w1; i++) {
        const v = data[o2 + i] - base;
        sum += v;
        sxy += (i - tMean) * v;
        if (Math.abs(v) > Math.abs(peak)) peak = v;
      }
      o.features.forEach((f, k) => {
        out.data[r * channelCount * F + c * F + k] = f === 'mean' ? sum / n : f === 'slope' ? (sxy / sxx) * fs : peak;
      });
    }
  });
  return out;
}
