// Stream descriptors: what a stream of samples is (kind, rate, channels with units).
// Shared by devices, rings, engine, storage, formats and the API. Pure data; imports nothing.
//
// Sample layout used everywhere a chunk of frames is passed around (rings, engine chunks,
// recordings): FRAME-MAJOR (interleaved), `samples[frame * channelCount + channel]`, float32,
// with one float64 timestamp per frame (`timestampsMs[frame]`, on the shared clock, core/clock.ts).

export type StreamKind = 'eeg' | 'fnirs' | 'aux' | 'markers' | 'features' | 'predictions';

export interface ChannelInfo {
  /** Label as the user knows it: "Fp1", "AF7", "S1_D1 760", "accel_x". */
  label: string;
  /** Physical unit: "uV", "V", "g", "deg/s", "a.u.", "W/m2", "mol/L". */
  unit: string;
  /** Channel type: "EEG", "EOG", "EMG", "ECG", "MISC", "ACCEL", "GYRO", "PPG", "STIM", "NIRS_CW_AMPLITUDE", … */
  type: string;
  /** fNIRS only: wavelength in nanometres. */
  wavelengthNm?: number;
  /** fNIRS only: 1-based source and detector indices. */
  sourceIndex?: number;
  detectorIndex?: number;
}

export interface StreamDescriptor {
  /** Readable unique id within its context, e.g. "synthetic-eeg", "muse-2.eeg". */
  id: string;
  name: string;
  kind: StreamKind;
  /** Nominal sample rate in Hz; 0 for irregular streams (markers). */
  sampleRateHz: number;
  channels: ChannelInfo[];
  /** fNIRS only: the probe geometry of a live device (kept with its recordings, written to SNIRF). */
  probe?: NirsProbe;
}

/** A block of consecutive frames of one stream. */
export interface Chunk {
  /** Frame-major samples, length >= frames * channelCount. */
  samples: Float32Array;
  /** One timestamp per frame, ms on the shared clock. */
  timestampsMs: Float64Array;
  frames: number;
  channelCount: number;
}

/** A marker event: a string at a time on the shared clock. */
export interface MarkerEvent {
  timestampMs: number;
  value: string;
  /** Optional duration in ms (EDF+ annotations, BIDS events). */
  durationMs?: number;
}

export function channelLabels(d: StreamDescriptor): string[] {
  return d.channels.map((c) => c.label);
}

/**
 * The descriptor a NeuroPype/LSL-style stream query names: `type='EEG'` (kind, or the channels'
 * type), `name='Muse'`, `id='synthetic.eeg'`, or a bare id / name / kind. Case-insensitive; an
 * empty query takes the first stream.
 */
export function matchStreamQuery<T extends { descriptor: StreamDescriptor }>(streams: T[], query: string): T | undefined {
  const q = query.trim();
  const m = /^(type|name|id)\s*=\s*['"]?([^'"]*)['"]?$/i.exec(q);
  const [field, value] = m ? [m[1].toLowerCase(), m[2].toLowerCase()] : ['any', q.toLowerCase()];
  return streams.find(({ descriptor: d }) => {
    if (field === 'type') return d.kind === value || d.channels[0]?.type.toLowerCase() === value;
    if (field === 'name') return d.name.toLowerCase() === value;
    if (field === 'id') return d.id.toLowerCase() === value;
    return value === '' || [d.id, d.name, d.kind].some((x) => x.toLowerCase() === value);
  });
}

/** fNIRS probe geometry (SNIRF /nirs/probe), positions in metres (converted from the file's LengthUnit). */
export interface NirsProbe {
  wavelengthsNm: number[];
  /** Per source, [x, y, z] (3D if the file had them, else 2D with z = 0). */
  sourcePositionsM: number[][];
  detectorPositionsM: number[][];
  /** True when positions came from 3D datasets. */
  positions3d: boolean;
  sourceLabels?: string[];
  detectorLabels?: string[];
  landmarks?: { label: string; positionM: number[] }[];
}
