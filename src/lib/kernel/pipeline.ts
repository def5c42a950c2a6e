// What every Kernel pipeline job is (API.md §8.5): a named function from one dataset to output
// files, with progress and a storage check before big outputs, plus the helpers they share to read
// a recording (EEG, CW fNIRS and aux streams CHANNEL-MAJOR in float64, events in seconds from the
// first sample) and their parameters. Pure computation; any thread (jobs worker, BullMQ worker, CLI).
// A dataset that does not fit a pipeline throws PipelineFailure: the job ends FAILED with its reason.
import { InputError } from '../core/errors';
import { transposeInto } from '../dsp/layout';
import type { ChannelInfo } from '../core/stream';
import type { RecordingData, RecordingStream } from '../formats/recording';
import type { DatasetInput } from './model';

export interface PipelineContext {
  jobId: string;
  params: Record<string, unknown>;
  /** 0–1 and what is being done (throttled by the caller). */
  progress(fraction: number, message: string): void;
  /** Resolves when `bytes` more can be stored; rejects with PipelineFailure("Insufficient storage: …") otherwise. */
  ensureSpace(bytes: number, what: string): Promise<void>;
  /** Time stamped on the reports (ms since the epoch). */
  nowMs: number;
}

export interface PipelineOutput {
  filename: string;
  bytes: Uint8Array;
}

export type PipelineModality = 'eeg' | 'nirs' | 'td-nirs' | 'task' | 'syncbox';

export interface PipelineSpec {
  name: string;
  /** Kernel portal label. */
  label: string;
  modality: PipelineModality;
  /** What the job does here, one line (GET /api/v1/pipelines). */
  description: string;
  /** Output file names for a dataset (its 32-hex id). */
  outputs(datasetHex: string): string[];
  /** Bytes the outputs will take, to refuse a job early (507) when storage is short. */
  estimateBytes(byteSize: number): number;
  run(input: DatasetInput, ctx: PipelineContext): Promise<PipelineOutput[]>;
  /** Shown when the pipeline is experimental or needs more than a recording. */
  browserSupported: boolean | 'experimental';
}

/** The dataset does not fit the pipeline (or its parameters are wrong): the job fails with this reason and is not retried. */
export class PipelineFailure extends Error {
  override name = 'PipelineFailure';
}

// ---------------------------------------------------------------------------------------------
// Parameters

export const params = {
  num(p: Record<string, unknown>, key: string, dflt: number, range: [number, number] = [-Infinity, Infinity]): number {
    const v = p[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < range[0] || v > range[1])
      throw new PipelineFailure(`params.${key} must be a number${Number.isFinite(range[0]) || Number.isFinite(range[1]) ? ` in [${range[0]}, ${range[1]}]` : ''}, got ${JSON.stringify(v)}`);
    return v;
  },
  bool(p: Record<string, unknown>, key: string, dflt: boolean): boolean {
    const v = p[key] ?? dflt;
    if (typeof v !== 'boolean') throw new PipelineFailure(`params.${key} must be true or false, got ${JSON.stringify(v)}`);
    return v;
  },
  str<T extends string>(p: Record<string, unknown>, key: string, dflt: T, allowed?: readonly T[]): T {
    const v = p[key] ?? dflt;
    if (typeof v !== 'string' || (allowed && !allowed.includes(v as T))) throw new PipelineFailure(`params.${key} must be ${allowed ? allowed.map((a) => `"${a}"`).join(' or ') : 'a string'}, got ${JSON.stringify(v)}`);
    return v as T;
  },
  strings(p: Record<string, unknown>, key: string): string[] | undefined {
    const v = p[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new PipelineFailure(`params.${key} must be a list of strings, got ${JSON.stringify(v)}`);
    return v as string[];
  },
  /** `{ "<marker value>": "<condition>" }`: which events count and what they are called. */
  mapping(p: Record<string, unknown>, key: string): Record<string, string> | undefined {
    const v = p[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string'))
      throw new PipelineFailure(`params.${key} must map marker values to condition names, e.g. {"1": "tapping"}, got ${JSON.stringify(v)}`);
    return v as Record<string, string>;
  },
};

// ---------------------------------------------------------------------------------------------
// Reading a recording

/** A stream's chosen channels as CHANNEL-MAJOR float64 [channel, sample]. */
export interface ChannelBlock {
  stream: RecordingStream;
  /** Indices into the stream's channels. */
  indices: number[];
  channels: ChannelInfo[];
  sampleRateHz: number;
  sampleCount: number;
  /** Timestamp of the first sample, ms (the zero of every onset). */
  t0Ms: number;
  data: Float64Array;
}

/** `indices` of `stream` as a ChannelBlock. */
export function channelBlock(stream: RecordingStream, indices: number[]): ChannelBlock {
  const nc = stream.descriptor.channels.length;
  const n = stream.timestampsMs.length;
  const data = new Float64Array(indices.length * n);
  if (indices.length === nc && indices.every((c, i) => c === i)) transposeInto(stream.samples, n, nc, data);
  else indices.forEach((c, k) => {
    const o = k * n;
    for (let t = 0; t < n; t++) data[o + t] = stream.samples[t * nc + c];
  });
  return { stream, indices, channels: indices.map((c) => stream.descriptor.channels[c]), sampleRateHz: stream.descriptor.sampleRateHz, sampleCount: n, t0Ms: stream.timestampsMs[0] ?? 0, data };
}

/** The EEG channels of the recording (first stream with EEG-type channels), or PipelineFailure saying what the dataset has. */
export function eegBlock(rec: RecordingData, pipeline: string): ChannelBlock {
  for (const s of rec.streams) {
    if (!(s.descriptor.sampleRateHz > 0) || s.timestampsMs.length < 2) continue;
    const idx = s.descriptor.channels.flatMap((c, i) => (c.type === 'EEG' || (s.descriptor.kind === 'eeg' && !c.type) ? [i] : []));
    if (idx.length) return channelBlock(s, idx);
  }
  throw new PipelineFailure(`${pipeline} needs EEG channels; this dataset has ${describeStreams(rec)}. Run it on a dataset with EEG, or pick another pipeline`);
}

/** The continuous-wave fNIRS intensity channels, or PipelineFailure. */
export function cwBlock(rec: RecordingData, pipeline: string): ChannelBlock {
  for (const s of rec.streams) {
    if (s.descriptor.kind !== 'fnirs' || s.timestampsMs.length < 2) continue;
    const idx = s.descriptor.channels.flatMap((c, i) => (c.type === 'NIRS_CW_AMPLITUDE' ? [i] : []));
    if (idx.length) return channelBlock(s, idx);
  }
  throw new PipelineFailure(`${pipeline} needs continuous-wave fNIRS intensity (SNIRF dataType 1, or the total photon counts of time-domain moments); this dataset has ${describeStreams(rec)}`);
}

/** "3 streams: eeg (64 EEG channels at 160 Hz), …" for failure reasons. */
export function describeStreams(rec: RecordingData): string {
  if (!rec.streams.length) return 'no sample streams';
  const parts = rec.streams.map((s) => {
    const types = [...new Set(s.descriptor.channels.map((c) => c.type || 'untyped'))].join('/');
    return `${s.descriptor.id} (${s.descriptor.channels.length} ${types} channel${s.descriptor.channels.length === 1 ? '' : 's'} at ${+s.descriptor.sampleRateHz.toFixed(3)} Hz)`;
  });
  return `${rec.streams.length} stream${rec.streams.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

export interface EventInfo {
  value: string;
  /** Seconds from the first sample of the analysed stream. */
  onsetSeconds: number;
  durationSeconds: number;
}

/** Marker names that frame a session rather than mark a condition. */
export const SESSION_MARKERS = new Set(['start_experiment', 'end_experiment', 'boundary', 'start', 'end']);

/** The recording's markers as onsets in seconds from `t0Ms`, sorted. */
export function eventsFrom(rec: RecordingData, t0Ms: number): EventInfo[] {
  return rec.markers
    .map((m) => ({ value: m.value, onsetSeconds: (m.timestampMs - t0Ms) / 1000, durationSeconds: (m.durationMs ?? 0) / 1000 }))
    .sort((a, b) => a.onsetSeconds - b.onsetSeconds);
}

/** Task events grouped into conditions: `params.conditions` maps marker values to names; else each distinct value (session markers excluded). */
export function conditionEvents(events: EventInfo[], mapping: Record<string, string> | undefined, defaultDurationSeconds = 0): { condition: string; onsetSeconds: number; durationSeconds: number }[] {
  return events.flatMap((e) => {
    const condition = mapping ? mapping[e.value] : SESSION_MARKERS.has(e.value.toLowerCase()) ? undefined : e.value;
    if (condition === undefined) return [];
    return [{ condition, onsetSeconds: e.onsetSeconds, durationSeconds: e.durationSeconds > 0 ? e.durationSeconds : defaultDurationSeconds }];
  });
}

/** Runs `fn`, turning InputErrors of the DSP/fNIRS libraries into PipelineFailures with `what` in front. */
export function asFailure<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InputError) throw new PipelineFailure(`${what}: ${e.message}`);
    throw e;
  }
}

/** Median of finite values (NaN when none). */
export function median(values: ArrayLike<number>): number {
  const v = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

export function mean(values: ArrayLike<number>): number {
  let s = 0;
  let k = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) (s += values[i]), k++;
  return k ? s / k : NaN;
}

/** Sample standard deviation (ddof 1; NaN under 2 values). */
export function sd(values: ArrayLike<number>): number {
  const v = Array.from(values).filter(Number.isFinite);
  if (v.length < 2) return NaN;
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
}

/** Largest power of two ≤ x (≥ 1). */
export function pow2Below(x: number): number {
  return 2 ** Math.max(0, Math.floor(Math.log2(Math.max(1, x))));
}
