// fNIRS channel quality: intensity checks (non-positive, non-finite, flat, saturated), scalp coupling
// index (MNE 1.3), windowed SCI and peak spectral power (MNE-NIRS / Pollonini's PHOEBE and QT-NIRS),
// coefficient of variation, and pruning by thresholds with the reason for every dropped channel.
// Runs anywhere (any thread, Node). Offline: allocates. CHANNEL-MAJOR data [channel, sample].
import { InputError } from '../core/errors';
import { firZeroPhase, mneFirFilter, periodogram } from '../dsp/index';
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

/** Per-window quality scores: `scores` [channel, window]; window w covers samples [starts[w], ends[w]). */
export interface WindowedScores {
  scores: Float64Array;
  windowCount: number;
  starts: number[];
  ends: number[];
}

function windows(sampleCount: number, sampleRateHz: number, windowSeconds: number, where: string): { ws: number; n: number } {
  const ws = Math.ceil(windowSeconds * sampleRateHz);
  if (!(ws >= 2)) throw new InputError(`window of ${windowSeconds} s is under two samples`, where);
  const n = Math.floor(sampleCount / ws);
  if (n < 1) throw new InputError(`recording of ${sampleCount} samples is shorter than one ${windowSeconds} s window`, where);
  return { ws, n };
}

/**
 * MNE-NIRS `scalp_coupling_index_windowed(od, time_window)`: SCI in consecutive windows of
 * ceil(time_window·fs) samples over the recording band-passed as a whole (MNE-NIRS's quirk kept: the
 * last window ends one sample early when it would reach the last sample).
 */
export function scalpCouplingIndexWindowed(od: ArrayLike<number>, channels: readonly NirsChannel[], sampleCount: number, sampleRateHz: number, windowSeconds = 10, band: CardiacBand = {}): WindowedScores {
  const C = channels.length;
  const { ws, n } = windows(sampleCount, sampleRateHz, windowSeconds, 'windowed scalp coupling index');
  const f = cardiacBandpass(od, C, sampleCount, sampleRateHz, band);
  const scores = new Float64Array(C * n);
  const starts: number[] = [];
  const ends: number[] = [];
  for (let w = 0; w < n; w++) {
    const s = w * ws;
    const e = Math.min(s + ws, sampleCount - 1);
    starts.push(s);
    ends.push(e);
    for (const [a, b] of wavelengthPairs(channels, 'windowed scalp coupling index')) scores[a * n + w] = scores[b * n + w] = correlation(f, a * sampleCount + s, f, b * sampleCount + s, e - s);
  }
  return { scores, windowCount: n, starts, ends };
}

/**
 * Peak spectral power, MNE-NIRS `peak_power(od, time_window)` (Pollonini et al. 2016, PHOEBE): per
 * window of ceil(time_window·fs) samples of the band-passed OD, each wavelength divided by its
 * standard deviation (ddof 0; not demeaned), c = full cross-correlation / window length, PSP =
 * max of `periodogram(c, fs, window='hamming')` (density, constant detrend). Both channels of a pair
 * get the value.
 */
export function peakSpectralPower(od: ArrayLike<number>, channels: readonly NirsChannel[], sampleCount: number, sampleRateHz: number, windowSeconds = 10, band: CardiacBand = {}): WindowedScores {
  const C = channels.length;
  const { ws, n } = windows(sampleCount, sampleRateHz, windowSeconds, 'peak spectral power');
  const f = cardiacBandpass(od, C, sampleCount, sampleRateHz, band);
  const pairs = wavelengthPairs(channels, 'peak spectral power');
  const scores = new Float64Array(C * n);
  const starts: number[] = [];
  const ends: number[] = [];
  const nc = 2 * ws - 1;
  const c1 = new Float64Array(ws);
  const c2 = new Float64Array(ws);
  const xc = new Float64Array(pairs.length * nc);
  const normalised = (dst: Float64Array, o: number): void => {
    let m = 0;
    for (let i = 0; i < ws; i++) m += f[o + i];
    m /= ws;
    let v = 0;
    for (let i = 0; i < ws; i++) v += (f[o + i] - m) ** 2;
    const sd = Math.sqrt(v / ws) || 1;
    for (let i = 0; i < ws; i++) dst[i] = f[o + i] / sd;
  };
  for (let w = 0; w < n; w++) {
    const s = w * ws;
    starts.push(s);
    ends.push(s + ws);
    pairs.forEach(([a, b], k) => {
      normalised(c1, a * sampleCount + s);
      normalised(c2, b * sampleCount + s);
      // numpy.correlate(c1, c2, 'full')[k] = Σ_n c1[n + k − (ws − 1)] · c2[n]
      for (let lag = 0; lag < nc; lag++) {
        const shift = lag - (ws - 1);
        let acc = 0;
        for (let i = Math.max(0, -shift); i < Math.min(ws, ws - shift); i++) acc += c1[i + shift] * c2[i];
        xc[k * nc + lag] = acc / ws;
      }
    });
    const spec = periodogram(xc, pairs.length, nc, sampleRateHz, { window: 'hamming' });
    pairs.forEach(([a, b], k) => {
      let peak = -Infinity;
      for (let j = 0; j < spec.binCount; j++) peak = Math.max(peak, spec.psd[k * spec.binCount + j]);
      scores[a * n + w] = scores[b * n + w] = peak;
    });
  }
  return { scores, windowCount: n, starts, ends };
}

/** Fraction of each channel's windows whose score is at least `threshold` (QT-NIRS's channel rule). */
export function fractionOfWindowsAbove(w: WindowedScores, threshold: number): Float64Array {
  const C = w.scores.length / w.windowCount;
  const out = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let k = 0;
    for (let i = 0; i < w.windowCount; i++) if (w.scores[c * w.windowCount + i] >= threshold) k++;
    out[c] = k / w.windowCount;
  }
  return out;
}

/**
 * Coefficient of variation of raw intensity, % = 100 · std(I, ddof 1) / mean(I) per channel (the
 * inverse of Homer3 hmrR_PruneChannels' SNR = mean/std); Infinity when the mean is not positive.
 */
export function coefficientOfVariation(intensity: ArrayLike<number>, channelCount: number, sampleCount: number): Float64Array {
  const out = new Float64Array(channelCount);
  for (let c = 0; c < channelCount; c++) {
    const o = c * sampleCount;
    let m = 0;
    for (let t = 0; t < sampleCount; t++) m += intensity[o + t];
    m /= sampleCount;
    let v = 0;
    for (let t = 0; t < sampleCount; t++) v += (intensity[o + t] - m) ** 2;
    const sd = Math.sqrt(v / (sampleCount - 1));
    out[c] = m > 0 && Number.isFinite(sd) ? (100 * sd) / m : Infinity;
  }
  return out;
}

/** What is wrong with a channel's raw intensity, before anything is computed from it. */
export interface IntensityCheck {
  /** Samples ≤ 0 (optical density is undefined there). */
  nonPositive: number;
  /** NaN / ±Infinity samples. */
  nonFinite: number;
  /** True when every finite sample has the same value. */
  flat: boolean;
  /** Fraction of samples at the channel's maximum, or at or above `ceiling` when one is given. */
  saturatedFraction: number;
}

export interface IntensityCheckOptions {
  /** The device's full-scale value; samples at or above it are saturated. */
  ceiling?: number;
}

/** Per-channel intensity checks (see IntensityCheck); pass the result to `pruneChannels`. */
export function intensityChecks(intensity: ArrayLike<number>, channelCount: number, sampleCount: number, opts: IntensityCheckOptions = {}): IntensityCheck[] {
  const out: IntensityCheck[] = [];
  for (let c = 0; c < channelCount; c++) {
    const o = c * sampleCount;
    let nonPositive = 0;
    let nonFinite = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let t = 0; t < sampleCount; t++) {
      const v = intensity[o + t];
      if (!Number.isFinite(v)) {
        nonFinite++;
        continue;
      }
      if (v <= 0) nonPositive++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const top = opts.ceiling ?? hi;
    let atTop = 0;
    for (let t = 0; t < sampleCount; t++) if (intensity[o + t] >= top) atTop++;
    out.push({ nonPositive, nonFinite, flat: !(hi > lo), saturatedFraction: sampleCount ? atTop / sampleCount : 0 });
  }
  return out;
}

/** Thresholds of `pruneChannels`; a metric not given is not checked. */
export interface PruneThresholds {
  /** Minimum SCI (MNE's tutorial uses 0.5). */
  sciMin?: number;
  /** Minimum per-channel PSP value (e.g. `fractionOfWindowsAbove(psp, 0.1)` against 0.75, or a median PSP against 0.1). */
  pspMin?: number;
  /** Maximum coefficient of variation in % (7.5 % is common). */
  cvMaxPercent?: number;
  /** Saturated fraction above which a channel is dropped; default 0.05 (5 % of samples at the top). */
  saturatedFractionMax?: number;
}

export interface PruneMetrics {
  sci?: ArrayLike<number>;
  psp?: ArrayLike<number>;
  cvPercent?: ArrayLike<number>;
  intensity?: readonly IntensityCheck[];
}

export interface DroppedChannel {
  channel: number;
  label: string;
  /** Why, readable: "SCI 0.31 < 0.5", "3 samples ≤ 0", "pair partner S1_D1 850 dropped". */
  reasons: string[];
}

export interface PruneResult {
  /** Channels kept, in input order. */
  keep: number[];
  dropped: DroppedChannel[];
}

/**
 * Channels failing any threshold are dropped, and with them the other wavelengths of their pair
 * (a pair without all its wavelengths cannot be converted to haemoglobin). Returns what is kept and,
 * for every dropped channel, why.
 */
export function pruneChannels(channels: readonly NirsChannel[], metrics: PruneMetrics, thresholds: PruneThresholds = {}): PruneResult {
  const C = channels.length;
  const reasons: string[][] = channels.map(() => []);
  const fmt = (v: number) => (Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : v.toPrecision(3));
  const check = (name: string, values: ArrayLike<number> | undefined, limit: number | undefined, below: boolean) => {
    if (!values || limit === undefined) return;
    if (values.length !== C) throw new InputError(`${name} has ${values.length} values for ${C} channels`, 'prune channels');
    for (let c = 0; c < C; c++) {
      const v = values[c];
      if (!Number.isFinite(v) ? true : below ? v < limit : v > limit) reasons[c].push(`${name} ${Number.isFinite(v) ? fmt(v) : String(v)} ${below ? '<' : '>'} ${limit}`);
    }
  };
  check('SCI', metrics.sci, thresholds.sciMin, true);
  check('PSP', metrics.psp, thresholds.pspMin, true);
  check('CV %', metrics.cvPercent, thresholds.cvMaxPercent, false);
  const satMax = thresholds.saturatedFractionMax ?? 0.05;
  metrics.intensity?.forEach((q, c) => {
    if (q.nonFinite) reasons[c].push(`${q.nonFinite} non-finite samples`);
    if (q.nonPositive) reasons[c].push(`${q.nonPositive} samples ≤ 0`);
    if (q.flat) reasons[c].push('flat (constant intensity)');
    else if (q.saturatedFraction > satMax) reasons[c].push(`saturated: ${(100 * q.saturatedFraction).toFixed(1)} % of samples at the top`);
  });
  const bad = reasons.map((r) => r.length > 0);
  for (const p of nirsPairs(channels, 'prune channels')) {
    const failed = p.channels.filter((c) => bad[c]);
    if (failed.length === 0) continue;
    for (const c of p.channels) if (!bad[c]) reasons[c].push(`pair partner ${failed.map((f) => channels[f].label).join(', ')} dropped`);
  }
  const keep: number[] = [];
  const dropped: DroppedChannel[] = [];
  reasons.forEach((r, c) => (r.length ? dropped.push({ channel: c, label: channels[c].label, reasons: r }) : keep.push(c)));
  return { keep, dropped };
}

/** The rows `keep` of a CHANNEL-MAJOR array (e.g. after pruneChannels). */
export function pickChannels(x: ArrayLike<number>, sampleCount: number, keep: readonly number[]): Float64Array {
  const out = new Float64Array(keep.length * sampleCount);
  keep.forEach((c, k) => {
    for (let t = 0; t < sampleCount; t++) out[k * sampleCount + t] = x[c * sampleCount + t];
  });
  return out;
}
