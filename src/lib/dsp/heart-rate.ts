// R-peak detection in an ECG (Pan & Tompkins 1985, the single-signal form) and heart rate over windows
// of R peaks (NeuroPype's HeartRate: BPM per window of `windowLength`, moved by `windowShift`, in seconds
// or beats). Runs anywhere; one-shot functions, allocate.
//
// Detection: zero-phase Butterworth band-pass 5–15 Hz (order 2), Pan–Tompkins five-point derivative,
// squaring, 150 ms moving-window integration (MWI); candidates = local maxima of the MWI at least 200 ms
// apart; adaptive thresholds as Pan–Tompkins (SPKI/NPKI learnt over the first 2 s, THR = NPKI +
// ¼(SPKI − NPKI), signal/noise updates by ⅛) and search-back at ½ THR when no beat came for 1.66 mean
// RR intervals; the R peak is the band-passed signal's maximum in the 150 ms before the MWI peak,
// refined to the recorded signal's maximum within ±30 ms (so an inverted lead needs flipping first).
// Left out (documented choices): the T-wave slope test and the second (band-passed) threshold set.
import { InputError } from '../core/errors';
import { butter } from './filter-design';
import { sosfiltfilt } from './iir';

/** Sample indices of the R peaks of a single-channel ECG. */
export function detectRPeaks(ecg: ArrayLike<number>, sampleRateHz: number): number[] {
  const where = 'R-peak detection';
  const n = ecg.length;
  const fs = sampleRateHz;
  if (!(fs >= 50)) throw new InputError(`an ECG needs at least 50 Hz to find R peaks, got ${fs}`, where);
  if (n < 2 * fs) throw new InputError(`${(n / fs).toFixed(2)} s of ECG are too short; give at least 2 s`, where);
  const x = Float64Array.from(ecg, (v) => (Number.isFinite(v) ? v : 0));
  const bp = sosfiltfilt(butter(2, [5, 15], 'bandpass', fs), x, 1, n) as Float64Array;
  const sq = new Float64Array(n);
  for (let i = 4; i < n; i++) {
    const d = (2 * bp[i] + bp[i - 1] - bp[i - 3] - 2 * bp[i - 4]) / 8;
    sq[i] = d * d;
  }
  const w = Math.max(1, Math.round(0.15 * fs));
  const mwi = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += sq[i] - (i >= w ? sq[i - w] : 0);
    mwi[i] = acc / w;
  }
  const refractory = Math.round(0.2 * fs);
  // candidates: local maxima, at least `refractory` apart (the larger wins)
  const cands: number[] = [];
  for (let i = 1; i < n - 1; i++) {
    if (mwi[i] > mwi[i - 1] && mwi[i] >= mwi[i + 1]) {
      const last = cands[cands.length - 1];
      if (last !== undefined && i - last < refractory) {
        if (mwi[i] > mwi[last]) cands[cands.length - 1] = i;
      } else cands.push(i);
    }
  }
  const learn = Math.min(n, Math.round(2 * fs));
  let spki = 0;
  let npki = 0;
  for (let i = 0; i < learn; i++) {
    spki = Math.max(spki, mwi[i]);
    npki += mwi[i] / learn;
  }
  spki *= 0.25;
  npki *= 0.5;
  const beats: number[] = [];
  const rr: number[] = [];
  let lastBeat = -Infinity;
  let sinceIdx = 0; // first candidate after the last beat
  const near = Math.round(0.03 * fs);
  const locate = (p: number): number => {
    let best = p;
    for (let i = Math.max(0, p - w); i <= p; i++) if (bp[i] > bp[best]) best = i;
    // refine to the recorded signal's maximum within ±30 ms (the band-pass shifts the apex slightly)
    let r = best;
    for (let i = Math.max(0, best - near); i <= Math.min(n - 1, best + near); i++) if (x[i] > x[r]) r = i;
    return r;
  };
  const accept = (ci: number, searchback: boolean) => {
    const p = cands[ci];
    spki = searchback ? 0.25 * mwi[p] + 0.75 * spki : 0.125 * mwi[p] + 0.875 * spki;
    if (Number.isFinite(lastBeat)) {
      rr.push(p - lastBeat);
      if (rr.length > 8) rr.shift();
    }
    lastBeat = p;
    beats.push(locate(p));
    sinceIdx = ci + 1;
  };
  for (let ci = 0; ci < cands.length; ci++) {
    const p = cands[ci];
    if (p - lastBeat < refractory) continue;
    const thr = npki + 0.25 * (spki - npki);
    if (mwi[p] > thr) {
      accept(ci, false);
      continue;
    }
    npki = 0.125 * mwi[p] + 0.875 * npki;
    // search back: no beat for 1.66 mean RR → the largest candidate since the last beat above THR/2
    if (rr.length > 0) {
      const mean = rr.reduce((a, b) => a + b, 0) / rr.length;
      const next = cands[ci + 1] ?? n;
      if (next - lastBeat > 1.66 * mean) {
        let best = -1;
        for (let k = sinceIdx; k <= ci; k++) if (cands[k] - lastBeat >= refractory && (best < 0 || mwi[cands[k]] > mwi[cands[best]])) best = k;
        if (best >= 0 && mwi[cands[best]] > 0.5 * thr) {
          accept(best, true);
          ci = best;
        }
      }
    }
  }
  return beats;
}

export interface HeartRateOptions {
  /** Window length (NeuroPype default 10) and shift (3), in `unit`. */
  windowLength?: number;
  windowShift?: number;
  /** 'seconds' (default) or 'beats'. */
  unit?: 'seconds' | 'beats';
}

/**
 * Heart rate per window from R-peak times (seconds, increasing): BPM = 60 / mean R–R interval of the
 * peaks inside the window, stamped at the window's end. Seconds: windows [t₀ + k·shift, t₀ + k·shift +
 * length] from the first peak while they end by the last; beats: `length` consecutive peaks, moved by
 * `shift` peaks. A window with fewer than two peaks gives NaN. (NeuroPype does not document the formula.)
 */
export function heartRate(peakTimesSeconds: ArrayLike<number>, options: HeartRateOptions = {}): { timesSeconds: number[]; bpm: number[] } {
  const L = options.windowLength ?? 10;
  const S = options.windowShift ?? 3;
  if (!(L > 0 && S > 0)) throw new InputError(`window length and shift must be positive, got ${L} and ${S}`, 'HeartRate');
  const t = Array.from(peakTimesSeconds);
  for (let i = 1; i < t.length; i++) if (!(t[i] > t[i - 1])) throw new InputError('R-peak times must increase', 'HeartRate');
  const times: number[] = [];
  const bpm: number[] = [];
  const rate = (i0: number, i1: number) => (i1 - i0 >= 1 ? (60 * (i1 - i0)) / (t[i1] - t[i0]) : NaN);
  if ((options.unit ?? 'seconds') === 'beats') {
    const l = Math.round(L);
    const s = Math.round(S);
    for (let i = 0; i + l <= t.length; i += s) {
      times.push(t[i + l - 1]);
      bpm.push(rate(i, i + l - 1));
    }
  } else if (t.length > 0) {
    for (let start = t[0]; start + L <= t[t.length - 1] + 1e-12; start += S) {
      let i0 = t.findIndex((v) => v >= start);
      let i1 = i0;
      while (i1 + 1 < t.length && t[i1 + 1] <= start + L) i1++;
      if (i0 < 0) i0 = i1 = t.length;
      times.push(start + L);
      bpm.push(rate(i0, i1));
    }
  }
  return { timesSeconds: times, bpm };
}
