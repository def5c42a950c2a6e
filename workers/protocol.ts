// Typed messages between the page and its workers (discriminated unions on `type`), and how a
// worker reaches a ring: a SharedArrayBuffer when the page is cross-origin isolated, else
// MessagePorts carrying transferable batches (streams/ring.ts fallback). Types only.
import type { MarkerEvent, StreamDescriptor } from '../src/lib/core/stream';

/** Where a worker reads frames from. */
export type RingSource =
  | { kind: 'shared'; buffer: SharedArrayBuffer }
  | { kind: 'port'; port: MessagePort; channels: number; capacityFrames: number };

/** Where a worker writes frames to (fallback: one port per consumer). */
export type RingSink =
  | { kind: 'shared'; buffer: SharedArrayBuffer }
  | { kind: 'ports'; ports: MessagePort[]; channels: number };

export interface SyntheticSettings {
  channels: number;
  sampleRateHz: number;
  lineFrequencyHz: 50 | 60;
  seed: number;
  eyesClosed: boolean;
}

// ── io worker ──
export interface PlaybackSettings {
  recordingId: string;
  streamId: string;
  /** 1 = real time. */
  speed: number;
  loop: boolean;
}

export type IoRequest =
  | { type: 'start-synthetic'; settings: SyntheticSettings; sink: RingSink }
  | { type: 'start-playback'; settings: PlaybackSettings; sink: RingSink }
  | { type: 'set-eyes-closed'; eyesClosed: boolean }
  | { type: 'stop' };
export type IoEvent =
  | { type: 'started'; descriptor: StreamDescriptor }
  | { type: 'stats'; framesWritten: number; progress?: number }
  | { type: 'finished' }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

// ── engine worker ──
export interface FilterSettings {
  /** Band-pass corners in Hz, or null for none. */
  bandHz: [number, number] | null;
  /** Notch frequency in Hz (with harmonics below Nyquist), or null for none. */
  notchHz: 50 | 60 | null;
}
export type EngineRequest =
  | { type: 'start'; descriptor: StreamDescriptor; source: RingSource; sink: RingSink; filter: FilterSettings }
  | { type: 'set-filter'; filter: FilterSettings }
  | { type: 'stop' };
export type EngineEvent =
  | { type: 'started' }
  | { type: 'stats'; framesProcessed: number; droppedFrames: number; resets: number }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

// ── recorder worker ──
export type RecorderRequest =
  | { type: 'start'; recordingId: string; streams: Array<{ descriptor: StreamDescriptor; source: RingSource }> }
  | { type: 'markers'; events: MarkerEvent[] }
  | { type: 'stop' };
export type RecorderEvent =
  | { type: 'started'; recordingId: string }
  | { type: 'progress'; recordingId: string; frames: number; bytes: number; droppedFrames: number; markers: number }
  | { type: 'stopped'; recordingId: string; reason: 'user' | 'storage-full' | 'storage-error'; message?: string }
  | { type: 'error'; message: string };

// ── library worker (import / export) ──
export type ExportFormat = 'edf' | 'bdf' | 'csv' | 'snirf' | 'zip';
export type LibraryRequest =
  | { type: 'import'; jobId: number; file: File }
  | { type: 'export'; jobId: number; recordingId: string; format: ExportFormat; fileName: string };
export type LibraryEvent =
  | { type: 'progress'; jobId: number; phase: 'reading' | 'parsing' | 'writing'; fraction: number }
  | { type: 'imported'; jobId: number; recordingId: string; name: string }
  | { type: 'exported'; jobId: number; files: Array<{ fileName: string; bytes: Uint8Array }> }
  | { type: 'failed'; jobId: number; message: string };
