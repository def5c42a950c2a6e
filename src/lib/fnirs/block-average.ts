// Block averages: epochs around event onsets, baseline correction, and the mean and SEM per condition,
// as mne.Epochs(tmin, tmax, baseline=(None, 0)) + scipy.stats.sem (ddof 1). Runs anywhere (any thread,
// Node). Offline: allocates. Input CHANNEL-MAJOR [channel, sample]; epochs [event, channel, time].
import { InputError } from '../core/errors';
import { roundHalfEven } from './glm';

export interface BlockEvent {
  condition: string;
  /** Seconds from the first sample (sample k is at k / fs, MNE's raw.times). */
  onsetSeconds: number;
}

export interface BlockAverageOptions {
  /** Epoch start relative to the onset, s; default −5. */
  tminSeconds?: number;
  /** Epoch end (inclusive), s; default 25. */
  tmaxSeconds?: number;
  /** Baseline [from, to] in s (null = from the epoch start), subtracted per event and channel; null = none. Default [null, 0]. */
  baseline?: [number | null, number] | null;
}

export interface BlockAverage {
  /** Conditions, sorted. */
  conditions: string[];
  /** Events kept per condition. */
  counts: number[];
  /** Epoch time of each lag, s: j / fs for j = round(tmin·fs) … round(tmax·fs). */
  timesSeconds: Float64Array;
  /** Kept events in onset order: sample round(onset·fs) and condition. */
  eventSamples: number[];
  eventConditions: string[];
  /** Events whose epoch leaves the recording (never averaged), with the reason. */
  skipped: { event: number; condition: string; reason: string }[];
  /** Baseline-corrected epochs [event, channel, time]. */
  epochs: Float64Array;
  /** [condition, channel, time]. */
  mean: Float64Array;
  /** Standard error of the mean (ddof 1); NaN for a condition with a single event. */
  sem: Float64Array;
}

/** Epochs and per-condition mean and SEM of `x` around `events` (see BlockAverageOptions). */
export function blockAverage(x: ArrayLike<number>, channelCount: number, sampleCount: number, sampleRateHz: number, events: readonly BlockEvent[], o: BlockAverageOptions = {}): BlockAverage {
  const where = 'block average';
  if (x.length !== channelCount * sampleCount) throw new InputError(`expected ${channelCount} × ${sampleCount} values, got ${x.length}`, where);
  const j0 = roundHalfEven((o.tminSeconds ?? -5) * sampleRateHz);
  const j1 = roundHalfEven((o.tmaxSeconds ?? 25) * sampleRateHz);
  if (!(j1 > j0)) throw new InputError(`tmax must be after tmin by at least one sample`, where);
  const L = j1 - j0 + 1;
  const timesSeconds = Float64Array.from({ length: L }, (_, k) => (j0 + k) / sampleRateHz);
  const base = o.baseline === undefined ? ([null, 0] as [null, number]) : o.baseline;
  const inBase = (t: number) => base !== null && (base[0] === null || t >= base[0]) && t <= base[1];
  const baseLags = Array.from(timesSeconds.keys()).filter((k) => inBase(timesSeconds[k]));
  if (base && baseLags.length === 0) throw new InputError(`baseline [${base[0]}, ${base[1]}] s holds no sample of the epoch [${timesSeconds[0]}, ${timesSeconds[L - 1]}] s`, where);
  const order = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.onsetSeconds - b.e.onsetSeconds);
  const kept: { s: number; condition: string }[] = [];
  const skipped: BlockAverage['skipped'] = [];
  for (const { e, i } of order) {
    if (!Number.isFinite(e.onsetSeconds)) {
      skipped.push({ event: i, condition: e.condition, reason: 'onset is not a finite number' });
      continue;
    }
    const s = roundHalfEven(e.onsetSeconds * sampleRateHz);
    if (s + j0 < 0 || s + j1 >= sampleCount) skipped.push({ event: i, condition: e.condition, reason: `epoch ${(s + j0) / sampleRateHz} – ${(s + j1) / sampleRateHz} s runs outside the recording` });
    else kept.push({ s, condition: e.condition });
  }
  const conditions = [...new Set(kept.map((k) => k.condition))].sort();
  const E = kept.length;
  const epochs = new Float64Array(E * channelCount * L);
  kept.forEach(({ s }, ev) => {
    for (let c = 0; c < channelCount; c++) {
      const o2 = (ev * channelCount + c) * L;
      const src = c * sampleCount + s + j0;
      for (let k = 0; k < L; k++) epochs[o2 + k] = x[src + k];
      if (!base) continue;
      let m = 0;
      for (const k of baseLags) m += epochs[o2 + k];
      m /= baseLags.length;
      for (let k = 0; k < L; k++) epochs[o2 + k] -= m;
    }
  });
  const K = conditions.length;
  const mean = new Float64Array(K * channelCount * L);
  const sem = new Float64Array(K * channelCount * L);
  const counts = conditions.map((cond, ci) => {
    const members = kept.flatMap((k, ev) => (k.condition === cond ? [ev] : []));
    const m = members.length;
    for (let c = 0; c < channelCount; c++) {
      const o2 = (ci * channelCount + c) * L;
      for (let k = 0; k < L; k++) {
        let s = 0;
        for (const ev of members) s += epochs[(ev * channelCount + c) * L + k];
        const mu = s / m;
        let v = 0;
        for (const ev of members) v += (epochs[(ev * channelCount + c) * L + k] - mu) ** 2;
        mean[o2 + k] = mu;
        sem[o2 + k] = m > 1 ? Math.sqrt(v / (m - 1)) / Math.sqrt(m) : NaN;
      }
    }
    return m;
  });
  return { conditions, counts, timesSeconds, eventSamples: kept.map((k) => k.s), eventConditions: kept.map((k) => k.condition), skipped, epochs, mean, sem };
}
