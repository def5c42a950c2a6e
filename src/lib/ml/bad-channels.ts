// Bad-channel detection as clean_rawdata 2.11's `clean_channels` (NeuroPype's BadChannelRemoval): a
// channel is bad when, for longer than `maxBrokenTime`, its correlation with the median of RANSAC
// spherical-spline reconstructions from random channel subsets falls below `corrThreshold`, or when
// its high-frequency noise (above 50 Hz, as a robust z-score across channels) exceeds
// `noiseThreshold`. Runs anywhere; one-shot over a calibration recording, allocates freely.
//
// Input is FRAME-MAJOR x[n·channels + c] with 3-D positions (n × 3, metres, NaN = unlocalised: such a
// channel is judged by the noise criterion only). Steps, as clean_channels: at sampling rates above
// 100 Hz the signal is low-passed (design_fir(100, [0 45 50 Nyquist], [1 1 0 0]), filtfilt_fast) and
// noisiness = mad(x − lowpass)/mad(lowpass) (median absolute deviations), z = (noisiness − median) /
// (1.4826·mad); the correlations use the low-passed signal in windows of `windowSeconds`·round(fs)
// samples starting every window; each RANSAC sample interpolates all channels from round(subsetSize·C)
// random ones (MATLAB's randsample on MT19937, seed 5489 = rng('default'), so the subsets are
// clean_rawdata's in MATLAB); the reconstruction is the element-wise lower median over the samples;
// correlations are uncentred. Where clean_rawdata is silent or breaks we chose: a window in which a
// channel or its reconstruction is flat (correlation 0/0) counts as broken, and channels whose
// noisiness is not finite (flat) are left out of the noise statistics instead of making them NaN.
import { InputError } from '../core/errors';
import { firFiltfiltReflect, firFrequencySampling } from '../dsp/fir-sampling';
import { sphericalSplineMatrix } from '../dsp/spherical-spline';
import { mt19937 } from './mt19937';

export interface BadChannelOptions {
  sampleRateHz: number;
  /** n × 3 positions, metres, row-major; NaN for channels without one. */
  positions: ArrayLike<number>;
  /** Least correlation with the reconstruction (NeuroPype 0.8). */
  corrThreshold?: number;
  /** Most high-frequency noise, robust z-score (NeuroPype 4). */
  noiseThreshold?: number;
  /** Correlation window, seconds (default 5). */
  windowSeconds?: number;
  /** Longest a good channel may be broken: seconds, or a fraction of the recording when in (0, 1) (default 0.4). */
  maxBrokenTime?: number;
  /** RANSAC reconstructions (NeuroPype 200; clean_rawdata 50). */
  ransacSamples?: number;
  /** Fraction of the channels in each RANSAC subset (NeuroPype 0.15; clean_rawdata 0.25). */
  subsetSize?: number;
  /** Seed of the MT19937 stream that draws the subsets (default 5489, MATLAB's default). */
  seed?: number;
  /** Channel indices never removed. */
  protect?: readonly number[];
}

export interface BadChannelResult {
  /** Per channel: removed? */
  bad: boolean[];
  /** Per channel: why ('correlation', 'noise', both, or none). */
  reasons: ('correlation' | 'noise')[][];
  /** Indices of the channels with positions (rows of `correlations`). */
  usable: number[];
  /** [usable channel][window] correlation with the RANSAC reconstruction. */
  correlations: Float64Array;
  windowCount: number;
  /** Robust z-score of each channel's noisiness; null at 100 Hz and below (not measured). */
  noiseZ: Float64Array | null;
}

function median(v: Float64Array): number {
  const s = Float64Array.from(v).sort();
  const n = s.length;
  return n % 2 ? s[(n - 1) >> 1] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

function mad(v: Float64Array): number {
  const m = median(v);
  return median(Float64Array.from(v, (x) => Math.abs(x - m)));
}

/** Detect bad channels in FRAME-MAJOR data; see the module header. */
export function detectBadChannels(frames: ArrayLike<number>, channelCount: number, options: BadChannelOptions): BadChannelResult {
  const where = 'bad-channel detection';
  const C = channelCount;
  const fs = options.sampleRateHz;
  if (!Number.isInteger(C) || C < 2) throw new InputError(`needs at least 2 channels, got ${C}`, where);
  if (frames.length % C !== 0) throw new InputError(`${frames.length} values are not whole ${C}-channel frames`, where);
  if (options.positions.length !== 3 * C) throw new InputError(`${options.positions.length / 3} positions for ${C} channels`, where);
  const S = frames.length / C;
  const corrThreshold = options.corrThreshold ?? 0.8;
  const noiseThreshold = options.noiseThreshold ?? 4;
  const numSamples = options.ransacSamples ?? 200;
  const subsetSize = Math.round((options.subsetSize ?? 0.15) * C);
  let maxBroken = options.maxBrokenTime ?? 0.4;
  maxBroken = maxBroken > 0 && maxBroken < 1 ? S * maxBroken : Math.round(fs) * maxBroken;
  const wl = (options.windowSeconds ?? 5) * Math.round(fs);
  if (!Number.isInteger(wl) || wl < 2) throw new InputError(`a window of ${options.windowSeconds ?? 5} s is not a whole number of samples ≥ 2`, where);
  const offsets: number[] = [];
  for (let k = 0; 1 + k * wl <= S - wl; k++) offsets.push(k * wl);
  if (offsets.length === 0) throw new InputError(`${(S / fs).toFixed(1)} s of data hold no ${wl / Math.round(fs)} s window; give a longer recording`, where);

  // channel-major copy, then the < 50 Hz version for the correlations and the noise measure
  const raw = new Float64Array(C * S);
  for (let t = 0; t < S; t++) for (let c = 0; c < C; c++) raw[c * S + t] = frames[t * C + c];
  let x: Float64Array = raw;
  let noiseZ: Float64Array | null = null;
  if (fs > 100) {
    const b = firFrequencySampling(100, [0, (2 * 45) / fs, (2 * 50) / fs, 1], [1, 1, 0, 0]);
    x = firFiltfiltReflect(b, raw, C, S);
    const noisiness = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      const hf = Float64Array.from({ length: S }, (_, t) => raw[c * S + t] - x[c * S + t]);
      noisiness[c] = mad(hf) / mad(x.subarray(c * S, (c + 1) * S));
    }
    const finite = noisiness.filter((v) => Number.isFinite(v));
    const med = median(finite);
    const spread = mad(finite) * 1.4826;
    noiseZ = Float64Array.from(noisiness, (v) => (v - med) / spread);
  }

  const usable: number[] = [];
  for (let c = 0; c < C; c++) {
    const p = [0, 1, 2].map((i) => options.positions[3 * c + i]);
    if (p.every(Number.isFinite) && Math.hypot(...p) > 0) usable.push(c);
  }
  if (usable.length <= C / 2) throw new InputError(`only ${usable.length} of ${C} channels have positions; assign channel locations (most channels need X, Y, Z)`, where);
  if (subsetSize < 1 || subsetSize >= usable.length) throw new InputError(`a RANSAC subset of ${subsetSize} channels does not fit ${usable.length} localised channels; change subset size`, where);
  const U = usable.length;
  const locs = Float64Array.from(usable.flatMap((c) => [0, 1, 2].map((i) => options.positions[3 * c + i])));

  // RANSAC: each sample's subset (indices into `usable`) and its U × subset interpolation matrix
  const rand = mt19937(options.seed ?? 5489);
  const subsets: Int32Array[] = [];
  const mats: Float64Array[] = [];
  for (let k = 0; k < numSamples; k++) {
    const pool = Array.from({ length: U }, (_, i) => i);
    const pick: number[] = [];
    while (pick.length < subsetSize) {
      const j = Math.round((pool.length - 1) * rand());
      pick.push(pool[j]);
      pool.splice(j, 1);
    }
    const sub = Int32Array.from(pick);
    const src = Float64Array.from(pick.flatMap((i) => [locs[3 * i], locs[3 * i + 1], locs[3 * i + 2]]));
    subsets.push(sub);
    mats.push(sphericalSplineMatrix(src, locs, { legendreTerms: 500 }).data);
  }

  const W = offsets.length;
  const corrs = new Float64Array(U * W);
  const medianAt = Math.round(numSamples / 2) - 1; // MATLAB YY(:,:,round(end/2)) of the sorted samples
  const preds = new Float64Array(numSamples);
  const xt = new Float64Array(U);
  const sxy = new Float64Array(U);
  const sxx = new Float64Array(U);
  const syy = new Float64Array(U);
  const yt = new Float64Array(U * numSamples);
  for (let w = 0; w < W; w++) {
    sxy.fill(0);
    sxx.fill(0);
    syy.fill(0);
    for (let t = offsets[w]; t < offsets[w] + wl; t++) {
      for (let i = 0; i < U; i++) xt[i] = x[usable[i] * S + t];
      for (let k = 0; k < numSamples; k++) {
        const sub = subsets[k];
        const m = mats[k];
        for (let i = 0; i < U; i++) {
          let s = 0;
          for (let j = 0; j < subsetSize; j++) s += m[i * subsetSize + j] * xt[sub[j]];
          yt[i * numSamples + k] = s;
        }
      }
      for (let i = 0; i < U; i++) {
        for (let k = 0; k < numSamples; k++) preds[k] = yt[i * numSamples + k];
        preds.sort();
        const y = preds[medianAt];
        sxy[i] += xt[i] * y;
        sxx[i] += xt[i] * xt[i];
        syy[i] += y * y;
      }
    }
    for (let i = 0; i < U; i++) corrs[i * W + w] = sxy[i] / (Math.sqrt(sxx[i]) * Math.sqrt(syy[i]));
  }

  const protect = new Set(options.protect ?? []);
  const bad = new Array<boolean>(C).fill(false);
  const reasons: ('correlation' | 'noise')[][] = Array.from({ length: C }, () => []);
  usable.forEach((c, i) => {
    let broken = 0;
    for (let w = 0; w < W; w++) if (!(corrs[i * W + w] >= corrThreshold)) broken++;
    if (broken * wl > maxBroken) reasons[c].push('correlation');
  });
  if (noiseZ) for (let c = 0; c < C; c++) if (noiseZ[c] > noiseThreshold) reasons[c].push('noise');
  for (let c = 0; c < C; c++) bad[c] = reasons[c].length > 0 && !protect.has(c);
  if (bad.filter(Boolean).length > 0.75 * C) {
    throw new InputError('more than 75 % of the channels would be removed; the channel locations are probably wrong (check the montage or the labels)', where);
  }
  return { bad, reasons, usable, correlations: corrs, windowCount: W, noiseZ };
}
