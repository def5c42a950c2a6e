// Axis types of NeuroPype's data model (docs/packets.md): time, space, frequency, instance, feature,
// statistic, lag and plain axes, with the arrays each carries, and the operations every block
// helper needs on them (length, subset, concatenation, singleton, labels, equality of layout).
// Pure data; runs anywhere. Axis objects are never mutated once made (sources excepted: see the
// packet contract in packet.ts), so nodes may keep them by reference.
import type { ChannelInfo, NirsProbe } from '../core/stream';

export type AxisType = 'time' | 'space' | 'frequency' | 'instance' | 'feature' | 'statistic' | 'lag' | 'axis';
export const AXIS_TYPES: readonly AxisType[] = ['time', 'space', 'frequency', 'instance', 'feature', 'statistic', 'lag', 'axis'];

/**
 * Sample times. On a continuous stream: ms on the shared clock (core/clock.ts). After
 * segmentation: ms relative to each instance's time (e.g. −200 … 800), shared by all instances.
 */
export interface TimeAxis {
  readonly type: 'time';
  timesMs: Float64Array;
  /** Nominal rate in Hz; 0 = irregular (features, predictions). */
  readonly nominalRateHz: number;
}

/** Channels: label, unit, type (and fNIRS wavelength, source/detector), optional 3-D positions. */
export interface SpaceAxis {
  readonly type: 'space';
  readonly channels: readonly ChannelInfo[];
  /** n × 3, metres, row-major; a NaN row = position unknown. null = no positions at all. */
  readonly positions: Float64Array | null;
  /** e.g. "10-20", "10-05" (NeuroPype `naming_system`). */
  readonly namingSystem?: string;
  /** e.g. "RAS" (NeuroPype `coordinate_system`). */
  readonly coordinateSystem?: string;
  /** Montage the positions came from (NeuroPype SpaceAxis.montage, read by InterpolateMissingChannels). */
  readonly montage?: string;
  /**
   * fNIRS: the probe (source and detector positions, m) the channels' sourceIndex/detectorIndex point
   * into — how the fNIRS nodes get source–detector distances; kept by channel subsets (indices, not rows).
   */
  readonly probe?: NirsProbe;
}

export interface FrequencyAxis {
  readonly type: 'frequency';
  readonly frequenciesHz: Float64Array;
}

/** One field of the instance record table: strings (Marker) or numbers (TargetValue; NaN = none). */
export type InstanceField = string[] | Float64Array;

/** Instance field names NeuroPype uses (PACKETS.md §1.4); our marker duration has no NeuroPype name. */
export const MARKER = 'Marker';
export const TARGET = 'TargetValue';
export const DURATION = 'DurationMs';

/** Segments, trials or marker events: one time each (ms, shared clock) and a record table. */
export interface InstanceAxis {
  readonly type: 'instance';
  timesMs: Float64Array;
  /** Record table, one entry per instance in every field (Marker, TargetValue, DurationMs, …). */
  readonly fields: Readonly<Record<string, InstanceField>>;
  /** 'markers' for marker chunks, 'segments' after Segmentation, 'windows' for sliding windows. */
  readonly instanceType: string;
}

export interface FeatureAxis {
  readonly type: 'feature';
  readonly names: readonly string[];
  readonly units: readonly string[];
  /** Per feature, free properties (NeuroPype's NORMALIZED …); null = none. */
  readonly properties: readonly Readonly<Record<string, unknown>>[] | null;
}

export interface StatisticAxis {
  readonly type: 'statistic';
  readonly paramTypes: readonly string[];
}

export interface LagAxis {
  readonly type: 'lag';
  /** Offsets in samples. */
  readonly lags: Float64Array;
}

/** A plain axis: a length and nothing else. */
export interface PlainAxis {
  readonly type: 'axis';
  readonly length: number;
}

export type Axis = TimeAxis | SpaceAxis | FrequencyAxis | InstanceAxis | FeatureAxis | StatisticAxis | LagAxis | PlainAxis;
export type AxisOf<T extends AxisType> = Extract<Axis, { type: T }>;

// ------------------------------------------------------------------------------- constructors

export function timeAxis(timesMs: Float64Array, nominalRateHz: number): TimeAxis {
  return { type: 'time', timesMs, nominalRateHz };
}

export function spaceAxis(channels: readonly ChannelInfo[], extra: Partial<Omit<SpaceAxis, 'type' | 'channels'>> = {}): SpaceAxis {
  return { type: 'space', channels, positions: null, ...extra };
}

export function frequencyAxis(frequenciesHz: Float64Array): FrequencyAxis {
  return { type: 'frequency', frequenciesHz };
}

export function instanceAxis(timesMs: Float64Array, fields: Record<string, InstanceField> = {}, instanceType = 'markers'): InstanceAxis {
  return { type: 'instance', timesMs, fields, instanceType };
}

export function featureAxis(names: readonly string[], units: readonly string[] = names.map(() => ''), properties: FeatureAxis['properties'] = null): FeatureAxis {
  return { type: 'feature', names, units, properties };
}

export function statisticAxis(paramTypes: readonly string[]): StatisticAxis {
  return { type: 'statistic', paramTypes };
}

export function lagAxis(lags: Float64Array): LagAxis {
  return { type: 'lag', lags };
}

export function plainAxis(length: number): PlainAxis {
  return { type: 'axis', length };
}

// ------------------------------------------------------------------------------- queries

export function axisLength(a: Axis): number {
  switch (a.type) {
    case 'time':
      return a.timesMs.length;
    case 'space':
      return a.channels.length;
    case 'frequency':
      return a.frequenciesHz.length;
    case 'instance':
      return a.timesMs.length;
    case 'feature':
      return a.names.length;
    case 'statistic':
      return a.paramTypes.length;
    case 'lag':
      return a.lags.length;
    case 'axis':
      return a.length;
  }
}

/** One readable label per element (channel labels, feature names, "10 Hz", "250 ms", "3"). Allocates. */
export function axisLabels(a: Axis): string[] {
  switch (a.type) {
    case 'space':
      return a.channels.map((c) => c.label);
    case 'feature':
      return [...a.names];
    case 'statistic':
      return [...a.paramTypes];
    case 'frequency':
      return Array.from(a.frequenciesHz, (f) => `${+f.toPrecision(6)} Hz`);
    case 'time':
      return Array.from(a.timesMs, (t) => `${+t.toPrecision(9)} ms`);
    case 'instance': {
      const m = a.fields[MARKER];
      return Array.from(a.timesMs, (t, i) => (Array.isArray(m) && m[i] ? m[i] : `${+t.toPrecision(9)} ms`));
    }
    case 'lag':
      return Array.from(a.lags, (l) => `lag ${l}`);
    case 'axis':
      return Array.from({ length: a.length }, (_, i) => String(i));
  }
}

/** The unit of each element, where the axis has one (space: channel units, feature: units); else ''. */
export function axisUnits(a: Axis): string[] {
  if (a.type === 'space') return a.channels.map((c) => c.unit);
  if (a.type === 'feature') return [...a.units];
  return new Array<string>(axisLength(a)).fill('');
}

// ------------------------------------------------------------------------------- operations (allocate)

function pick<T>(arr: readonly T[], idx: ArrayLike<number>): T[] {
  return Array.from(idx, (i) => arr[i]);
}

function pickF64(arr: Float64Array, idx: ArrayLike<number>): Float64Array {
  return Float64Array.from(idx, (i) => arr[i]);
}

function pickField(f: InstanceField, idx: ArrayLike<number>): InstanceField {
  return Array.isArray(f) ? pick(f, idx) : pickF64(f, idx);
}

/** The elements `indices` of an axis, every array of the axis subset together (positions, fields …). */
export function axisSubset(a: Axis, indices: ArrayLike<number>): Axis {
  switch (a.type) {
    case 'time':
      return timeAxis(pickF64(a.timesMs, indices), a.nominalRateHz);
    case 'space': {
      let positions: Float64Array | null = null;
      if (a.positions) {
        positions = new Float64Array(indices.length * 3);
        for (let k = 0; k < indices.length; k++) positions.set(a.positions.subarray(indices[k] * 3, indices[k] * 3 + 3), k * 3);
      }
      return { ...a, channels: pick(a.channels, indices), positions };
    }
    case 'frequency':
      return frequencyAxis(pickF64(a.frequenciesHz, indices));
    case 'instance': {
      const fields: Record<string, InstanceField> = {};
      for (const [k, f] of Object.entries(a.fields)) fields[k] = pickField(f, indices);
      return instanceAxis(pickF64(a.timesMs, indices), fields, a.instanceType);
    }
    case 'feature':
      return featureAxis(pick(a.names, indices), pick(a.units, indices), a.properties ? pick(a.properties, indices) : null);
    case 'statistic':
      return statisticAxis(pick(a.paramTypes, indices));
    case 'lag':
      return lagAxis(pickF64(a.lags, indices));
    case 'axis':
      return plainAxis(indices.length);
  }
}

function joinF64(list: Float64Array[]): Float64Array {
  const out = new Float64Array(list.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of list) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}

/**
 * Axes of one type joined end to end (the axis of a concatenation). Instance fields missing in
 * some parts are filled with "" (strings) or NaN (numbers).
 */
export function axisConcat(list: readonly Axis[]): Axis {
  const a = list[0];
  if (list.some((x) => x.type !== a.type)) throw new Error(`cannot join axes of types ${[...new Set(list.map((x) => x.type))].join(', ')}`);
  if (list.length === 1) return a;
  switch (a.type) {
    case 'time':
      return timeAxis(joinF64(list.map((x) => (x as TimeAxis).timesMs)), a.nominalRateHz);
    case 'space': {
      const parts = list as SpaceAxis[];
      const channels = parts.flatMap((x) => x.channels);
      const positions = parts.some((x) => x.positions) ? joinF64(parts.map((x) => x.positions ?? new Float64Array(x.channels.length * 3).fill(NaN))) : null;
      return { ...a, channels, positions };
    }
    case 'frequency':
      return frequencyAxis(joinF64(list.map((x) => (x as FrequencyAxis).frequenciesHz)));
    case 'instance': {
      const parts = list as InstanceAxis[];
      const names = [...new Set(parts.flatMap((x) => Object.keys(x.fields)))];
      const fields: Record<string, InstanceField> = {};
      for (const name of names) {
        const sample = parts.map((x) => x.fields[name]).find((f) => f !== undefined)!;
        if (Array.isArray(sample)) fields[name] = parts.flatMap((x) => (x.fields[name] as string[] | undefined) ?? new Array<string>(x.timesMs.length).fill(''));
        else fields[name] = joinF64(parts.map((x) => (x.fields[name] as Float64Array | undefined) ?? new Float64Array(x.timesMs.length).fill(NaN)));
      }
      return instanceAxis(joinF64(parts.map((x) => x.timesMs)), fields, a.instanceType);
    }
    case 'feature': {
      const parts = list as FeatureAxis[];
      const props = parts.some((x) => x.properties) ? parts.flatMap((x) => x.properties ?? x.names.map(() => ({}))) : null;
      return featureAxis(
        parts.flatMap((x) => x.names),
        parts.flatMap((x) => x.units),
        props,
      );
    }
    case 'statistic':
      return statisticAxis((list as StatisticAxis[]).flatMap((x) => x.paramTypes));
    case 'lag':
      return lagAxis(joinF64(list.map((x) => (x as LagAxis).lags)));
    case 'axis':
      return plainAxis(list.reduce((n, x) => n + (x as PlainAxis).length, 0));
  }
}

function mean(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return x.length ? s / x.length : NaN;
}

/**
 * The one-element axis of the same type that a reduction leaves (NeuroPype's reductions with
 * `force_feature_axis` false): time, frequency, lag and instance keep the mean of their values
 * (instance fields keep a value only where every instance agrees); space, feature and statistic
 * get one element named `label` (e.g. "variance").
 */
export function axisSingleton(a: Axis, label: string): Axis {
  switch (a.type) {
    case 'time':
      return timeAxis(Float64Array.of(mean(a.timesMs)), a.nominalRateHz);
    case 'frequency':
      return frequencyAxis(Float64Array.of(mean(a.frequenciesHz)));
    case 'lag':
      return lagAxis(Float64Array.of(mean(a.lags)));
    case 'instance': {
      const fields: Record<string, InstanceField> = {};
      for (const [k, f] of Object.entries(a.fields)) {
        if (Array.isArray(f)) fields[k] = [f.every((v) => v === f[0]) ? (f[0] ?? '') : ''];
        else fields[k] = Float64Array.of(f.every((v) => Object.is(v, f[0])) ? (f[0] ?? NaN) : NaN);
      }
      return instanceAxis(Float64Array.of(mean(a.timesMs)), fields, a.instanceType);
    }
    case 'space': {
      const units = [...new Set(a.channels.map((c) => c.unit))];
      return spaceAxis([{ label, unit: units.length === 1 ? units[0] : '', type: 'MISC' }]);
    }
    case 'feature':
      return featureAxis([label], [a.units.length && a.units.every((u) => u === a.units[0]) ? a.units[0] : '']);
    case 'statistic':
      return statisticAxis([label]);
    case 'axis':
      return plainAxis(1);
  }
}

function sameF64(a: Float64Array, b: Float64Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function sameChannels(a: readonly ChannelInfo[], b: readonly ChannelInfo[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x.label !== y.label || x.unit !== y.unit || x.type !== y.type || x.wavelengthNm !== y.wavelengthNm || x.sourceIndex !== y.sourceIndex || x.detectorIndex !== y.detectorIndex) return false;
  }
  return true;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((v, i) => v === b[i]));
}

/**
 * Whether two axes describe the same stream layout: same type and, per type, the same nominal rate
 * (time), channels and positions (space), frequencies, names, lags or length. Time stamps and
 * instances are not compared: they are what changes from chunk to chunk. See `sameStream`.
 */
export function sameAxisLayout(a: Axis, b: Axis): boolean {
  if (a === b) return true;
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'time':
      return a.nominalRateHz === (b as TimeAxis).nominalRateHz;
    case 'instance':
      return true;
    case 'space': {
      const y = b as SpaceAxis;
      return sameChannels(a.channels, y.channels) && (a.positions === y.positions || (!!a.positions && !!y.positions && sameF64(a.positions, y.positions)));
    }
    case 'frequency':
      return sameF64(a.frequenciesHz, (b as FrequencyAxis).frequenciesHz);
    case 'feature':
      return sameStrings(a.names, (b as FeatureAxis).names) && sameStrings(a.units, (b as FeatureAxis).units);
    case 'statistic':
      return sameStrings(a.paramTypes, (b as StatisticAxis).paramTypes);
    case 'lag':
      return sameF64(a.lags, (b as LagAxis).lags);
    case 'axis':
      return a.length === (b as PlainAxis).length;
  }
}
