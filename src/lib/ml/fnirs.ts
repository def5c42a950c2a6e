// fNIRS signal chain for classification, as MNE-Python does it: raw continuous-wave intensity →
// optical density (−ln(I / mean I)) → haemoglobin (modified Beer–Lambert law, ppf 6, MNE's
// extinction table × 0.2303, distances in metres, × 1e-3), then per-trial window features (mean,
// slope, peak per channel and chromophore, baseline-corrected). Runs anywhere (training worker,
// Node); offline: allocates one copy of the recording per step. Data are CHANNEL-MAJOR float64.
import { InputError } from '../core/errors';
import { dense, type DenseMatrix } from './linalg';

/**
 * Molar extinction coefficients of HbO₂ and Hb in cm⁻¹/M (S. Prahl's tabulation, the source of MNE's
 * extinction_coef.mat), every 10 nm from 650 to 900 nm; linearly interpolated in between (MNE
 * interpolates Prahl's 2-nm table, so values between the 10-nm points can differ slightly).
 */
const PRAHL_NM = [650, 660, 670, 680, 690, 700, 710, 720, 730, 740, 750, 760, 770, 780, 790, 800, 810, 820, 830, 840, 850, 860, 870, 880, 890, 900];
const PRAHL_HBO = [368, 319.6, 294, 277.6, 276, 290, 314, 348, 390, 446, 518, 586, 650, 710, 756, 816, 864, 916, 974, 1022, 1058, 1092, 1128, 1154, 1178, 1198];
const PRAHL_HBR = [3750.12, 3226.56, 2795.12, 2407.92, 2051.96, 1794.28, 1540.48, 1325.88, 1102.2, 1115.88, 1405.24, 1548.52, 1311.88, 1075.44, 890.8, 761.72, 717.08, 693.76, 693.04, 692.36, 691.32, 726.44, 743.6, 761.84, 791.6, 817.2];

/** [HbO, HbR] extinction in cm⁻¹/M at `nm` (650–900 nm). */
export function extinctionCoefficients(nm: number): [number, number] {
  if (!(nm >= PRAHL_NM[0] && nm <= PRAHL_NM[PRAHL_NM.length - 1])) throw new InputError(`no extinction coefficients for ${nm} nm (650–900 nm supported)`, 'fnirs wavelength');
  let i = Math.min(Math.floor((nm - 650) / 10), PRAHL_NM.length - 2);
  while (i > 0 && PRAHL_NM[i] > nm) i--;
  const f = (nm - PRAHL_NM[i]) / (PRAHL_NM[i + 1] - PRAHL_NM[i]);
  return [PRAHL_HBO[i] + f * (PRAHL_HBO[i + 1] - PRAHL_HBO[i]), PRAHL_HBR[i] + f * (PRAHL_HBR[i + 1] - PRAHL_HBR[i])];
}

/** MNE `optical_density`: OD = −ln(|I| / mean |I|) per channel (MNE takes |I| when intensities are negative). */
export function opticalDensity(intensity: ArrayLike<number>, channelCount: number, sampleCount: number): Float64Array {
  const out = new Float64Array(channelCount * sampleCount);
  for (let c = 0; c < channelCount; c++) {
    const o = c * sampleCount;
    let mean = 0;
    for (let t = 0; t < sampleCount; t++) mean += Math.abs(intensity[o + t]);
    mean /= sampleCount;
    if (!(mean > 0)) throw new InputError(`channel ${c} has no positive intensity`, 'fnirs optical density');
    for (let t = 0; t < sampleCount; t++) {
      const v = Math.abs(intensity[o + t]);
      if (v === 0) throw new InputError(`channel ${c} has a zero intensity at sample ${t}`, 'fnirs optical density');
      out[o + t] = -Math.log(v / mean);
    }
  }
  return out;
}

export interface NirsChannel {
  label: string;
  sourceIndex?: number;
  detectorIndex?: number;
  wavelengthNm?: number;
}

/** Source–detector pair and wavelength of a channel, from its fields or an MNE-style label "S1_D2 760". */
export function parseNirsChannel(ch: NirsChannel): { pair: string; source: number; detector: number; kind: number | 'hbo' | 'hbr' } | null {
  const m = /^S(\d+)_D(\d+)\s+(\d+(?:\.\d+)?|hbo|hbr)$/i.exec(ch.label.trim());
  const source = ch.sourceIndex ?? (m ? Number(m[1]) : NaN);
  const detector = ch.detectorIndex ?? (m ? Number(m[2]) : NaN);
  if (!(source >= 1 && detector >= 1)) return null;
  const tail = m?.[3].toLowerCase();
  const kind: number | 'hbo' | 'hbr' | undefined = ch.wavelengthNm ?? (tail === 'hbo' || tail === 'hbr' ? tail : tail ? Number(tail) : undefined);
  if (kind === undefined) return null;
  return { pair: `S${source}_D${detector}`, source, detector, kind };
}

export interface HaemoglobinResult {
  /** Channel-major [HbO/HbR, sample], same positions as the input channels (HbO at the shorter wavelength). */
  data: Float64Array;
  labels: string[];
}

/**
 * MNE `beer_lambert_law(od, ppf)`: per source–detector pair [HbO; HbR] = pinv(ε · d · ppf) · [OD_λ1; OD_λ2] · 1e-3
 * (ε = extinction × 0.2303, d in metres), written over the pair's channels (λ1 < λ2 → hbo, hbr).
 */
export function beerLambert(od: Float64Array, channels: NirsChannel[], sampleCount: number, distancesM: ArrayLike<number>, ppf = 6): HaemoglobinResult {
  const C = channels.length;
  if (od.length !== C * sampleCount) throw new InputError(`expected ${C} × ${sampleCount} values`, 'fnirs beer-lambert');
  if (!(ppf > 0)) throw new InputError(`ppf must be positive, got ${ppf}`, 'fnirs beer-lambert');
  const parsed = channels.map((ch, i) => {
    const p = parseNirsChannel(ch);
    if (!p || typeof p.kind !== 'number') throw new InputError(`channel ${i} "${ch.label}" is not an "Sx_Dy <wavelength>" channel`, 'fnirs beer-lambert');
    return { ...p, index: i, nm: p.kind };
  });
  const pairs = new Map<string, typeof parsed>();
  for (const p of parsed) pairs.set(p.pair, [...(pairs.get(p.pair) ?? []), p]);
  const out = new Float64Array(C * sampleCount);
  const labels = new Array<string>(C);
  for (const [pair, chs] of pairs) {
    if (chs.length !== 2) throw new InputError(`pair ${pair} has ${chs.length} wavelengths; exactly 2 are needed`, 'fnirs beer-lambert');
    const [a, b] = [...chs].sort((x, y) => x.nm - y.nm);
    if (a.nm === b.nm) throw new InputError(`pair ${pair} has the same wavelength twice`, 'fnirs beer-lambert');
    const d = distancesM[a.index];
    if (!(d > 0 && d < 1)) throw new InputError(`pair ${pair}: source–detector distance ${d} m is not plausible`, 'fnirs beer-lambert');
    const [ea0, ea1] = extinctionCoefficients(a.nm);
    const [eb0, eb1] = extinctionCoefficients(b.nm);
    // EL = ε·d·ppf (rows: wavelengths; columns: HbO, HbR); its inverse (2 × 2: pinv = inv when regular).
    const k = 0.2303 * d * ppf;
    const m00 = ea0 * k;
    const m01 = ea1 * k;
    const m10 = eb0 * k;
    const m11 = eb1 * k;
    const det = m00 * m11 - m01 * m10;
    if (Math.abs(det) < 1e-12 * Math.max(Math.abs(m00 * m11), Math.abs(m01 * m10))) throw new InputError(`pair ${pair}: wavelengths ${a.nm} / ${b.nm} nm cannot separate HbO from HbR`, 'fnirs beer-lambert');
    const i00 = m11 / det;
    const i01 = -m01 / det;
    const i10 = -m10 / det;
    const i11 = m00 / det;
    const oa = a.index * sampleCount;
    const ob = b.index * sampleCount;
    for (let t = 0; t < sampleCount; t++) {
      const x = od[oa + t];
      const y = od[ob + t];
      out[oa + t] = (i00 * x + i01 * y) * 1e-3;
      out[ob + t] = (i10 * x + i11 * y) * 1e-3;
    }
    labels[a.index] = `${pair} hbo`;
    labels[b.index] = `${pair} hbr`;
  }
  return { data: out, labels };
}

/** Euclidean source–detector distance of each channel from probe positions (metres). */
export function sourceDetectorDistances(channels: NirsChannel[], sourcePositionsM: number[][], detectorPositionsM: number[][]): Float64Array {
  return Float64Array.from(channels, (ch, i) => {
    const p = parseNirsChannel(ch);
    const s = p ? sourcePositionsM[p.source - 1] : undefined;
    const d = p ? detectorPositionsM[p.detector - 1] : undefined;
    if (!s || !d) throw new InputError(`channel ${i} "${ch.label}" has no probe position`, 'fnirs probe');
    let acc = 0;
    for (let k = 0; k < Math.max(s.length, d.length); k++) acc += ((s[k] ?? 0) - (d[k] ?? 0)) ** 2;
    return Math.sqrt(acc);
  });
}

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
