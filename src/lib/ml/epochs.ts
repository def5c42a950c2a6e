// Epochs for the classic decoders: labelled trials cut from a continuous recording at markers,
// plus the checks every trainer runs before it fits (one class, too few trials, channel mismatch,
// NaN/Infinity). Pure functions; runs anywhere. Copies data (allocates): not for the acquisition loop.
//
// Layouts (same as MNE / shared/reference):
//   continuous input  CHANNEL-MAJOR `data[channel * sampleCount + sample]` (Float64Array or Float32Array);
//                     frame-major chunks (core/stream) are converted with `channelMajorFromFrameMajor`.
//   epochs            `data[(epoch * channelCount + channel) * sampleCount + sample]`, Float64Array.
import { InputError } from '../core/errors';

export interface EpochSet {
  /** [epoch, channel, sample], float64. */
  data: Float64Array;
  epochCount: number;
  channelCount: number;
  sampleCount: number;
  /** Class index per epoch, into `classNames`. */
  labels: Int32Array;
  classNames: string[];
  sampleRateHz: number;
  channelLabels?: string[];
  /** Where each epoch came from (file name or recording id), for error messages and grouping. */
  sources?: string[];
}

export interface ContinuousSignal {
  /** CHANNEL-MAJOR samples `data[channel * sampleCount + sample]`. */
  data: Float64Array | Float32Array;
  channelCount: number;
  sampleCount: number;
  sampleRateHz: number;
  channelLabels?: string[];
  /** Name used in error messages (file name). */
  source?: string;
}

/** A marker at a sample index of the continuous signal. */
export interface SampleMarker {
  sample: number;
  value: string;
}

export interface EpochingOptions {
  /** Marker value → class name; markers with other values are ignored. Class order = first appearance in this map. */
  classes: Record<string, string>;
  /** [start, end] seconds after the marker; both ends INCLUSIVE, as MNE's tmin/tmax (1.0–2.0 s at 160 Hz = 161 samples). */
  windowSeconds: [number, number];
}

/** Class names in a stable order: first appearance in the `classes` map (duplicates merged). */
export function classNamesOf(classes: Record<string, string>): string[] {
  const names: string[] = [];
  for (const v of Object.values(classes)) if (!names.includes(v)) names.push(v);
  return names;
}

/** The window's sample offsets after a marker: round(start·fs) … round(end·fs), inclusive. */
export function windowSamples(windowSeconds: [number, number], sampleRateHz: number): { first: number; count: number } {
  const [t0, t1] = windowSeconds;
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || t1 <= t0) {
    throw new InputError(`window must be [start, end] seconds with end > start, got [${t0}, ${t1}]`, 'window');
  }
  const first = Math.round(t0 * sampleRateHz);
  const last = Math.round(t1 * sampleRateHz);
  return { first, count: last - first + 1 };
}

/**
 * Cuts epochs at markers. A marker whose window runs off either end of the recording is skipped
 * (as MNE drops epochs that are out of bounds); the count of skipped markers is returned.
 */
export function extractEpochs(
  signal: ContinuousSignal,
  markers: SampleMarker[],
  options: EpochingOptions,
): { epochs: EpochSet; skipped: number } {
  const { channelCount: nc, sampleCount: ns, sampleRateHz } = signal;
  const where = signal.source ?? 'recording';
  if (signal.data.length !== nc * ns) {
    throw new InputError(`${signal.data.length} samples for ${nc} channels × ${ns} samples`, where);
  }
  if (!(sampleRateHz > 0)) throw new InputError(`sample rate must be positive, got ${sampleRateHz}`, where);
  const classNames = classNamesOf(options.classes);
  const { first, count } = windowSamples(options.windowSeconds, sampleRateHz);
  const kept: { start: number; label: number }[] = [];
  let skipped = 0;
  for (const m of markers) {
    const name = options.classes[m.value];
    if (name === undefined) continue;
    const start = m.sample + first;
    if (start < 0 || start + count > ns) {
      skipped++;
      continue;
    }
    kept.push({ start, label: classNames.indexOf(name) });
  }
  const data = new Float64Array(kept.length * nc * count);
  kept.forEach(({ start }, e) => {
    for (let c = 0; c < nc; c++) {
      const src = c * ns + start;
      const dst = (e * nc + c) * count;
      for (let t = 0; t < count; t++) data[dst + t] = signal.data[src + t];
    }
  });
  return {
    epochs: {
      data,
      epochCount: kept.length,
      channelCount: nc,
      sampleCount: count,
      labels: Int32Array.from(kept.map((k) => k.label)),
      classNames,
      sampleRateHz,
      channelLabels: signal.channelLabels,
      sources: kept.map(() => where),
    },
    skipped,
  };
}

/** Frame-major (interleaved, core/stream Chunk layout) → channel-major float64. Allocates. */
export function channelMajorFromFrameMajor(samples: ArrayLike<number>, channelCount: number): Float64Array {
  const frames = Math.floor(samples.length / channelCount);
  const out = new Float64Array(frames * channelCount);
  for (let f = 0; f < frames; f++) for (let c = 0; c < channelCount; c++) out[c * frames + f] = samples[f * channelCount + c];
  return out;
}

/** Concatenates epoch sets (several recordings). Channels, window and rate must agree. */
export function concatEpochSets(sets: EpochSet[]): EpochSet {
  if (sets.length === 0) throw new InputError('no epochs to combine: give at least one recording', 'epochs');
  const a = sets[0];
  for (const [i, s] of sets.entries()) {
    const where = s.sources?.[0] ?? `recording ${i}`;
    if (s.channelCount !== a.channelCount) {
      throw new InputError(`has ${s.channelCount} channels, the first recording has ${a.channelCount}; use recordings with the same montage`, where);
    }
    if (a.channelLabels && s.channelLabels && s.channelLabels.join('\u0000') !== a.channelLabels.join('\u0000')) {
      const j = s.channelLabels.findIndex((l, k) => l !== a.channelLabels![k]);
      throw new InputError(`channel ${j} is "${s.channelLabels[j]}", the first recording has "${a.channelLabels[j]}"; channels must match`, where);
    }
    if (s.sampleCount !== a.sampleCount || s.sampleRateHz !== a.sampleRateHz) {
      throw new InputError(`epochs of ${s.sampleCount} samples at ${s.sampleRateHz} Hz, the first recording has ${a.sampleCount} at ${a.sampleRateHz} Hz; resample first`, where);
    }
    if (s.classNames.join('\u0000') !== a.classNames.join('\u0000')) {
      throw new InputError(`classes [${s.classNames}] differ from [${a.classNames}]`, where);
    }
  }
  const epochCount = sets.reduce((n, s) => n + s.epochCount, 0);
  const data = new Float64Array(epochCount * a.channelCount * a.sampleCount);
  const labels = new Int32Array(epochCount);
  const sources: string[] = [];
  let e = 0;
  for (const s of sets) {
    data.set(s.data, e * a.channelCount * a.sampleCount);
    labels.set(s.labels, e);
    sources.push(...(s.sources ?? new Array<string>(s.epochCount).fill('')));
    e += s.epochCount;
  }
  return { ...a, data, epochCount, labels, sources };
}

/** The epochs at `indices` (copies). */
export function subsetEpochs(set: EpochSet, indices: ArrayLike<number>): EpochSet {
  const per = set.channelCount * set.sampleCount;
  const data = new Float64Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  const sources: string[] = [];
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    data.set(set.data.subarray(k * per, (k + 1) * per), i * per);
    labels[i] = set.labels[k];
    if (set.sources) sources.push(set.sources[k]);
  }
  return { ...set, data, epochCount: indices.length, labels, sources: set.sources ? sources : undefined };
}

export function classCounts(labels: Int32Array, classCount: number): number[] {
  const counts = new Array<number>(classCount).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

/**
 * Checks run before any training: shapes agree, every value is finite, at least two classes,
 * and at least `minPerClass` epochs of each. Throws InputError saying what and where.
 */
export function validateEpochs(set: EpochSet, options: { minPerClass?: number; what?: string } = {}): void {
  const what = options.what ?? 'training data';
  const minPerClass = options.minPerClass ?? 2;
  const { epochCount, channelCount, sampleCount } = set;
  if (set.data.length !== epochCount * channelCount * sampleCount) {
    throw new InputError(`${set.data.length} values for ${epochCount} epochs × ${channelCount} channels × ${sampleCount} samples`, what);
  }
  if (set.labels.length !== epochCount) throw new InputError(`${set.labels.length} labels for ${epochCount} epochs`, what);
  if (channelCount < 1 || sampleCount < 2) {
    throw new InputError(`epochs of ${channelCount} channels × ${sampleCount} samples are too small; widen the window`, what);
  }
  if (set.channelLabels && set.channelLabels.length !== channelCount) {
    throw new InputError(`${set.channelLabels.length} channel labels for ${channelCount} channels`, what);
  }
  for (let i = 0; i < set.data.length; i++) {
    if (!Number.isFinite(set.data[i])) {
      const e = Math.floor(i / (channelCount * sampleCount));
      const c = Math.floor(i / sampleCount) % channelCount;
      const t = i % sampleCount;
      const ch = set.channelLabels?.[c] ?? String(c);
      const src = set.sources?.[e] ? ` (${set.sources[e]})` : '';
      throw new InputError(
        `epoch ${e}${src}, channel ${ch}, sample ${t} is ${set.data[i]}; remove or interpolate non-finite samples before training`,
        what,
      );
    }
  }
  const nClasses = set.classNames.length;
  for (const l of set.labels) {
    if (l < 0 || l >= nClasses) throw new InputError(`label ${l} is not a class index (0…${nClasses - 1})`, what);
  }
  const counts = classCounts(set.labels, nClasses);
  const present = counts.filter((c) => c > 0).length;
  if (present < 2) {
    const only = set.classNames[counts.findIndex((c) => c > 0)] ?? 'none';
    throw new InputError(
      `only one class present (${only}: ${epochCount} epochs); a classifier needs epochs of at least two classes — check the marker-to-class mapping`,
      what,
    );
  }
  counts.forEach((c, k) => {
    if (c < minPerClass) {
      throw new InputError(`class "${set.classNames[k]}" has ${c} epochs, at least ${minPerClass} are needed; record more trials`, what);
    }
  });
}

/** Checks data given to a trained model: same channel count (and labels, when both are known), finite values. */
export function validateForModel(
  set: { data: Float64Array; channelCount: number; channelLabels?: string[] },
  model: { channelCount: number; channelLabels?: string[] },
  what = 'input',
): void {
  if (set.channelCount !== model.channelCount) {
    throw new InputError(`has ${set.channelCount} channels, the model was trained on ${model.channelCount}`, what);
  }
  if (set.channelLabels && model.channelLabels) {
    const j = model.channelLabels.findIndex((l, k) => set.channelLabels![k] !== l);
    if (j >= 0) throw new InputError(`channel ${j} is "${set.channelLabels[j]}", the model was trained with "${model.channelLabels[j]}"`, what);
  }
  for (let i = 0; i < set.data.length; i++) {
    if (!Number.isFinite(set.data[i])) throw new InputError(`value ${i} is ${set.data[i]}; non-finite samples cannot be classified`, what);
  }
}
