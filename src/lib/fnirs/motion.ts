// Motion artefacts: detection per channel as Homer3's hmrR_MotionArtifactByChannel (tMotion, tMask,
// STDEVthresh, AMPthresh) and spline correction as Homer3's hmrR_MotionCorrectSpline (Scholkmann et
// al. 2010, smoothing parameter p as MATLAB csaps). Runs anywhere (any thread, Node). Offline only
// (needs the whole recording); allocates. CHANNEL-MAJOR data [channel, sample].
import { InputError } from '../core/errors';
import { nirsPairs, type NirsChannel } from './channels';

export interface MotionDetectionOptions {
  /** Look for a change within this span, s (Homer3 tMotion); default 0.5. */
  tMotionSeconds?: number;
  /** Mark ± this long around a detected change, s (Homer3 tMask); default 1. */
  tMaskSeconds?: number;
  /** A change above this many standard deviations of the channel's sample-to-sample difference is motion (Homer3 STDEVthresh); default 50. */
  stdThreshold?: number;
  /** A change above this amplitude (units of the data, e.g. OD) is motion (Homer3 AMPthresh); default 5. */
  ampThreshold?: number;
}

export interface MotionDetection {
  /** [channel, sample], 1 = clean, 0 = motion (Homer3 tIncCh). */
  includedByChannel: Uint8Array;
  /** [sample], 0 where any channel has motion (Homer3 tInc). */
  included: Uint8Array;
}

/**
 * Homer3 `hmrR_MotionArtifactByChannel(dod, ..., tMotion, tMask, STDEVthresh, AMPthresh)`: for every
 * source–detector pair, sample t is motion when, for some lag 1 … round(tMotion·fs), |x[t+lag] − x[t]|
 * of any wavelength of the pair exceeds STDEVthresh · std(diff x) (ddof 1) or AMPthresh; the marks
 * (on sample t + 1) are widened by ± round(tMask·fs) samples. Both wavelengths of a pair share the mask.
 */
export function detectMotionArtifacts(x: ArrayLike<number>, channels: readonly NirsChannel[], sampleCount: number, sampleRateHz: number, o: MotionDetectionOptions = {}): MotionDetection {
  const C = channels.length;
  const n = sampleCount;
  if (x.length !== C * n) throw new InputError(`expected ${C} × ${n} values, got ${x.length}`, 'motion detection');
  const lags = Math.round((o.tMotionSeconds ?? 0.5) * sampleRateHz);
  const buffer = Math.round((o.tMaskSeconds ?? 1) * sampleRateHz);
  const stdT = o.stdThreshold ?? 50;
  const ampT = o.ampThreshold ?? 5;
  const includedByChannel = new Uint8Array(C * n).fill(1);
  const included = new Uint8Array(n).fill(1);
  const bad = new Uint8Array(Math.max(0, n - 1));
  for (const pair of nirsPairs(channels, 'motion detection')) {
    bad.fill(0);
    for (const c of pair.channels) {
      const o2 = c * n;
      let m = 0;
      for (let t = 0; t + 1 < n; t++) m += x[o2 + t + 1] - x[o2 + t];
      m /= n - 1;
      let v = 0;
      for (let t = 0; t + 1 < n; t++) v += (x[o2 + t + 1] - x[o2 + t] - m) ** 2;
      const limit = Math.min(Math.sqrt(v / (n - 2)) * stdT, ampT);
      for (let t = 0; t + 1 < n; t++) {
        for (let k = 1; k <= lags && t + k < n; k++) {
          if (Math.abs(x[o2 + t + k] - x[o2 + t]) > limit) {
            bad[t] = 1;
            break;
          }
        }
      }
    }
    for (let r = 0; r < bad.length; r++) {
      if (!bad[r]) continue;
      for (let q = Math.max(0, r - buffer); q <= Math.min(n - 2, r + buffer); q++) {
        for (const c of pair.channels) includedByChannel[c * n + q + 1] = 0;
        included[q + 1] = 0;
      }
    }
  }
  return { includedByChannel, included };
}

/**
 * Values at the knots of the cubic smoothing spline of (t, y) minimising p·Σ(y − f)² + (1 − p)·∫f''²,
 * as MATLAB `csaps(t, y, p, t)` (and SciPy `make_smoothing_spline(t, y, lam=(1 − p)/p)`), by Reinsch's
 * algorithm: (R + λ QᵀQ) γ = Qᵀy, f = y − λ Q γ, a banded (pentadiagonal) SPD solve.
 */
export function smoothingSpline(t: ArrayLike<number>, y: ArrayLike<number>, p: number): Float64Array {
  const n = y.length;
  if (!(p >= 0 && p <= 1)) throw new InputError(`smoothing parameter p must be in [0, 1], got ${p}`, 'smoothing spline');
  if (n <= 2 || p === 1) return Float64Array.from(y);
  const h = new Float64Array(n - 1);
  for (let i = 0; i + 1 < n; i++) {
    h[i] = t[i + 1] - t[i];
    if (!(h[i] > 0)) throw new InputError('knots must increase', 'smoothing spline');
  }
  const m = n - 2;
  if (p === 0) {
    // The limit λ → ∞: the least-squares straight line.
    let st = 0, sy = 0, stt = 0, sty = 0;
    for (let i = 0; i < n; i++) {
      st += t[i];
      sy += y[i];
      stt += t[i] * t[i];
      sty += t[i] * y[i];
    }
    const slope = (n * sty - st * sy) / (n * stt - st * st);
    const icpt = (sy - slope * st) / n;
    return Float64Array.from({ length: n }, (_, i) => icpt + slope * t[i]);
  }
  const lambda = (1 - p) / p;
  // Q column j (interior knot j + 1) has q0 = 1/h_j at row j, q1 = −1/h_j − 1/h_{j+1} at row j+1, q2 = 1/h_{j+1} at row j+2.
  const q0 = (j: number) => 1 / h[j];
  const q1 = (j: number) => -1 / h[j] - 1 / h[j + 1];
  const q2 = (j: number) => 1 / h[j + 1];
  // Band of A = R + λ QᵀQ: diagonal d, first and second off-diagonals e, f.
  const d = new Float64Array(m);
  const e = new Float64Array(m);
  const f = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    d[j] = (h[j] + h[j + 1]) / 3 + lambda * (q0(j) ** 2 + q1(j) ** 2 + q2(j) ** 2);
    if (j + 1 < m) e[j] = h[j + 1] / 6 + lambda * (q1(j) * q0(j + 1) + q2(j) * q1(j + 1));
    if (j + 2 < m) f[j] = lambda * q2(j) * q0(j + 2);
  }
  const g = new Float64Array(m);
  for (let j = 0; j < m; j++) g[j] = q0(j) * y[j] + q1(j) * y[j + 1] + q2(j) * y[j + 2];
  // LDLᵀ of the pentadiagonal band (L unit lower with two sub-diagonals l1, l2).
  const D = new Float64Array(m);
  const l1 = new Float64Array(m);
  const l2 = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let dj = d[j];
    if (j >= 1) dj -= l1[j - 1] ** 2 * D[j - 1];
    if (j >= 2) dj -= l2[j - 2] ** 2 * D[j - 2];
    D[j] = dj;
    if (j + 1 < m) {
      let v = e[j];
      if (j >= 1) v -= l2[j - 1] * l1[j - 1] * D[j - 1];
      l1[j] = v / dj;
    }
    if (j + 2 < m) l2[j] = f[j] / dj;
  }
  for (let j = 0; j < m; j++) {
    if (j >= 1) g[j] -= l1[j - 1] * g[j - 1];
    if (j >= 2) g[j] -= l2[j - 2] * g[j - 2];
  }
  for (let j = 0; j < m; j++) g[j] /= D[j];
  for (let j = m - 1; j >= 0; j--) {
    if (j + 1 < m) g[j] -= l1[j] * g[j + 1];
    if (j + 2 < m) g[j] -= l2[j] * g[j + 2];
  }
  const out = Float64Array.from(y);
  for (let j = 0; j < m; j++) {
    out[j] -= lambda * q0(j) * g[j];
    out[j + 1] -= lambda * q1(j) * g[j];
    out[j + 2] -= lambda * q2(j) * g[j];
  }
  return out;
}

/**
 * Homer3 `hmrR_MotionCorrectSpline(dod, mlAct, tIncCh, p)`: on every channel, each motion segment
 * (from `includedByChannel`) loses its smoothing-spline trend (p, default 0.99), then segments are
 * shifted to join their neighbours, matching means over windows of the segment length (< 0.3 s),
 * 0.3 s (< 3 s) or a tenth of it. Homer3's index conventions are kept (a segment starts at the last
 * clean sample before the motion); where Homer3 would average an empty window (NaN) no shift is made.
 */
export function splineMotionCorrection(x: ArrayLike<number>, channelCount: number, sampleCount: number, sampleRateHz: number, includedByChannel: Uint8Array, p = 0.99): Float64Array {
  const n = sampleCount;
  if (x.length !== channelCount * n || includedByChannel.length !== channelCount * n) throw new InputError(`expected ${channelCount} × ${n} values and mask`, 'spline motion correction');
  if (!(p >= 0 && p <= 1)) throw new InputError(`p must be in [0, 1], got ${p}`, 'spline motion correction');
  const out = Float64Array.from(x);
  const times = Float64Array.from({ length: n }, (_, k) => k / sampleRateHz);
  const wind = (len: number) => (len < 0.3 * sampleRateHz ? len : len < 3 * sampleRateHz ? Math.floor(0.3 * sampleRateHz) : Math.floor(len / 10));
  for (let c = 0; c < channelCount; c++) {
    const o = c * n;
    const inc = includedByChannel.subarray(o, o + n);
    if (inc.every((v) => v === 1)) continue;
    const dod = x;
    const sp = out;
    // MATLAB 1-based sample k is index o + k − 1 here; lists hold 1-based values as Homer3's do.
    const at = (k: number) => o + k - 1;
    const mean = (arr: ArrayLike<number>, from: number, to: number): number | null => {
      if (to < from) return null;
      let s = 0;
      for (let k = from; k <= to; k++) s += arr[at(k)];
      return s / (to - from + 1);
    };
    const shift = (from: number, to: number, meanFrom: number | null, meanTo: number | null, base: ArrayLike<number>) => {
      for (let k = from; k <= to; k++) sp[at(k)] = base[at(k)] + (meanFrom !== null && meanTo !== null ? meanTo - meanFrom : 0);
    };
    let Ms: number[] = [];
    let Mf: number[] = [];
    for (let k = 1; k < n; k++) {
      const d = inc[k] - inc[k - 1];
      if (d === -1) Ms.push(k);
      else if (d === 1) Mf.push(k);
    }
    if (Mf.length === 0) Mf = [n];
    if (Ms.length === 0) Ms = [1];
    if (Ms[0] > Mf[0]) Ms = [1, ...Ms];
    if (Ms[Ms.length - 1] > Mf[Mf.length - 1]) Mf = [...Mf, n];
    const Ml = Ms.map((s, j) => Mf[j] - s);
    const nb = Ml.length;
    for (let j = 0; j < nb; j++) {
      const a = Ms[j];
      const b = Mf[j] - 1;
      if (b < a) continue;
      const seg = Float64Array.from({ length: b - a + 1 }, (_, i) => dod[at(a + i)]);
      const fit = smoothingSpline(times.subarray(a - 1, b), seg, p);
      for (let i = 0; i < seg.length; i++) sp[at(a + i)] = seg[i] - fit[i];
    }
    // First motion segment: join the previous clean segment if there is one, else the next one.
    {
      const a = Ms[0];
      const b = Mf[0] - 1;
      const windCurr = wind(Ml[0]);
      if (a > 1) {
        const windPrev = wind(a - 1);
        shift(a, b, mean(sp, a, a + windCurr - 1), mean(sp, a - windPrev, a - 1), sp);
      } else {
        const nextLen = nb > 1 ? Ms[1] - Mf[0] + 1 : n - Mf[0] + 1;
        const windNext = wind(nextLen);
        shift(a, b, mean(sp, b - windCurr, b - 1), mean(sp, b + 1, b + windNext), sp);
      }
    }
    for (let k = 0; k + 1 < nb; k++) {
      // Clean segment between motion segments k and k + 1: shifted from the original data.
      let a = Mf[k];
      let b = Ms[k + 1] - 1;
      let prevLen = Ml[k];
      let currLen = b - a + 1;
      shift(a, b, mean(dod, a, a + wind(currLen) - 1), mean(sp, a - wind(prevLen), a - 1), dod);
      // Motion segment k + 1.
      a = Ms[k + 1];
      b = Mf[k + 1] - 1;
      prevLen = currLen;
      currLen = Ml[k + 1];
      shift(a, b, mean(sp, a, a + wind(currLen) - 1), mean(sp, a - wind(prevLen), a - 1), sp);
    }
    // Last clean segment (Homer3 starts it one sample early, on the last motion sample).
    if (Mf[nb - 1] < n) {
      const a = Mf[nb - 1] - 1;
      const b = n;
      shift(a, b, mean(dod, a, a + wind(b - a + 1) - 1), mean(sp, a - wind(Ml[nb - 1]), a - 1), dod);
    }
  }
  return out;
}
