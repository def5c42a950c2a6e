// The in-memory model every reader returns and every writer takes: a recording's metadata,
// its sample streams (frame-major float32 + float64 ms timestamps) and its markers.
// Pure data and small helpers; runs anywhere (page, workers, service worker, Node); no I/O.
//
// Layout (same as core/stream Chunk): `samples[frame * channelCount + channel]`, Float32Array,
// `timestampsMs[frame]` Float64Array, one per frame. Float32 is enough for every supported
// format: EDF's 16-bit and BDF's 24-bit digital values are exact in float32's 24-bit mantissa
// and the physical value (gain · digital + offset) keeps ~7 significant digits, far below any
// amplifier's noise; SNIRF/XDF float64 data lose only digits beyond 1e-7 relative.
//
// Time: when the file states a wall-clock start (EDF, SNIRF, BIDS), `meta.startTimeMs` is that
// instant in ms since the Unix epoch (file wall-clock read as UTC: EDF stores no time zone) and
// all timestamps and markers are on that same epoch clock (= startTimeMs + offset in file).
// When it does not (XDF's LSL clock, CSV without dates), `startTimeMs` is undefined and
// timestamps are on the file's own clock (XDF: LSL seconds × 1000; CSV: its timestamp column);
// a date the file gives beside such timestamps (XDF's header datetime) is `recordedAtMs`.
import type { ChannelInfo, MarkerEvent, NirsProbe, StreamDescriptor } from '../core/stream';

export type { NirsProbe };

export type FormatId = 'edf' | 'bdf' | 'xdf' | 'snirf' | 'csv' | 'openbci' | 'brainflow' | 'muse-csv' | 'bids' | 'eeglab';

export interface RecordingMeta {
  /** The format the data was read from (or 'neurotab' for app recordings). */
  sourceFormat: FormatId | 'neurotab';
  /** Wall-clock start, ms since the Unix epoch (see module header); undefined if unknown. */
  startTimeMs?: number;
  /**
   * When the recording was made (ms since the epoch) where the file says so but its timestamps are
   * on another clock (XDF's header datetime); read both with `recordingDateMs`.
   */
  recordedAtMs?: number;
  subject?: string;
  session?: string;
  task?: string;
  notes?: string;
  /** Device / equipment name when the file says it (EDF+ equipment, OpenBCI board, XDF source). */
  device?: string;
  /** Anything else the file's header holds, as strings (e.g. EDF "recording" field, XDF header XML). */
  extra?: Record<string, string>;
}

export interface RecordingStream {
  descriptor: StreamDescriptor;
  /** Frame-major samples: samples.length === timestampsMs.length * descriptor.channels.length. */
  samples: Float32Array;
  /** One timestamp per frame (ms), monotonically non-decreasing; gaps mean discontinuities. */
  timestampsMs: Float64Array;
  /**
   * Channel positions when the file has them (EEGLAB chanlocs): channels × 3, row-major, metres, in
   * MNE's head frame (x right, y front, z up); NaN for a channel without a position.
   */
  channelPositionsM?: Float64Array;
}

/**
 * An epoched recording (EEGLAB sets with trials > 1): its first stream holds the epochs one after
 * another — epoch k is frames k·framesPerEpoch … (k+1)·framesPerEpoch − 1, and timestamps run on
 * across epochs as if they were continuous (frame f at f / rate), so the file's event latencies
 * (markers) fall inside their epochs. Epoch k's time-locking event is at frame
 * k·framesPerEpoch − tminMs·rate/1000. Readers of continuous data must refuse such a recording
 * (or use the epochs) rather than treat the joins as continuous signal.
 */
export interface RecordingEpochs {
  count: number;
  framesPerEpoch: number;
  /** Time of each epoch's first frame relative to its time-locking event (EEGLAB xmin), ms. */
  tminMs: number;
  /** Each epoch's event type(s) (EEGLAB epoch.eventtype, several joined with "/" as MNE names them). */
  labels: string[];
}

export interface RecordingData {
  meta: RecordingMeta;
  streams: RecordingStream[];
  /** Markers on the same clock as the stream timestamps, sorted by time. */
  markers: MarkerEvent[];
  /** fNIRS only. */
  probe?: NirsProbe;
  /** Set when the recording holds epochs rather than continuous data (see RecordingEpochs). */
  epochs?: RecordingEpochs;
}

/** When the recording was made, ms since the epoch, if the file says: its start, else its stated date. */
export function recordingDateMs(meta: RecordingMeta): number | undefined {
  return meta.startTimeMs ?? meta.recordedAtMs;
}

/** Number of frames of a stream. */
export function frameCount(s: RecordingStream): number {
  return s.timestampsMs.length;
}

/** Duration covered by the recording's streams in seconds (first to last frame + one period). */
export function durationSeconds(d: RecordingData): number {
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const s of d.streams) {
    const n = s.timestampsMs.length;
    if (n === 0) continue;
    const periodMs = s.descriptor.sampleRateHz > 0 ? 1000 / s.descriptor.sampleRateHz : 0;
    t0 = Math.min(t0, s.timestampsMs[0]);
    t1 = Math.max(t1, s.timestampsMs[n - 1] + periodMs);
  }
  return t1 > t0 ? (t1 - t0) / 1000 : 0;
}

/** One channel of a stream as a new Float32Array (copies; not for hot loops). */
export function channelData(s: RecordingStream, channel: number): Float32Array {
  const nc = s.descriptor.channels.length;
  const n = s.timestampsMs.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = s.samples[i * nc + channel];
  return out;
}

/** Regular timestamps: start + i · 1000 / rate. */
export function regularTimestamps(startMs: number, frames: number, sampleRateHz: number): Float64Array {
  const t = new Float64Array(frames);
  const periodMs = 1000 / sampleRateHz;
  for (let i = 0; i < frames; i++) t[i] = startMs + i * periodMs;
  return t;
}

/** Checks the invariants above; throws a plain Error naming the stream (programming error). */
export function assertRecording(d: RecordingData): void {
  for (const s of d.streams) {
    const nc = s.descriptor.channels.length;
    if (s.samples.length !== s.timestampsMs.length * nc) {
      throw new Error(`stream ${s.descriptor.id}: ${s.samples.length} samples for ${s.timestampsMs.length} frames × ${nc} channels`);
    }
  }
}

export type { ChannelInfo, MarkerEvent, StreamDescriptor };
