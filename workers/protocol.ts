// Typed messages between the page and its workers (discriminated unions on `type`), and how a
// worker reaches a ring: a SharedArrayBuffer when the page is cross-origin isolated, else
// MessagePorts carrying transferable batches (streams/ring.ts fallback). Types only.
import type { MarkerEvent, StreamDescriptor } from '../src/lib/core/stream';
import type { ExecutionState, LogRecord, NodeMetrics, PipelineIssue } from '../src/lib/engine/index';
import type { LiveFnirsQuality } from '../src/lib/fnirs/live';
import type { FnirsFigures } from '../src/lib/fnirs/figures';

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

/** The synthetic fNIRS device (devices/drivers/synthetic-fnirs): 10 long/short pairs at 760/850 nm. */
export interface SyntheticFnirsSettings {
  /** 2 … 50 Hz. */
  sampleRateHz: number;
  seed: number;
  /** HbO change of a sustained task block on long channels, µM. */
  responseUm: number;
  /** Motion artefacts per minute (0: none). */
  motionPerMinute: number;
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
  | { type: 'start-synthetic-fnirs'; settings: SyntheticFnirsSettings; sink: RingSink }
  /** Synthetic fNIRS: a task block from the next frame on, or a repeating rest/task schedule (null: none). */
  | { type: 'fnirs-task-block'; seconds: number }
  | { type: 'fnirs-schedule'; schedule: { taskSeconds: number; restSeconds: number } | null }
  /**
   * A real serial device read in this worker: the page granted the port (requestPort); the worker
   * finds it with getPorts(). `sides`: rings for the device's other streams (by stream id).
   */
  | { type: 'start-serial-device'; deviceId: string; port: { usbVendorId?: number; usbProductId?: number }; sink: RingSink; sides?: Array<{ streamId: string; sink: RingSink }> }
  /** A command string for the device read in this worker (impedance check, channel settings). */
  | { type: 'device-command'; command: string }
  | { type: 'stop' };
/** Live state of a real device read in the io worker (see devices/session.ts SessionStatus). */
export interface IoDeviceStatus {
  state: 'idle' | 'connecting' | 'streaming' | 'reconnecting' | 'stopped' | 'failed';
  attempt?: number;
  delayMs?: number;
  reason?: string;
  reconnects?: number;
  message?: string;
  code?: string;
}
/** A device's counters since it connected. */
export interface IoDeviceStats {
  /** Frames of the primary stream received. */
  framesReceived: number;
  /** Gaps and frames lost in the primary stream (counter gaps and outages). */
  gaps: number;
  lostFrames: number;
  /** Frames lost summed over every stream of the device. */
  lostFramesAllStreams: number;
  resyncs: number;
  bytesDiscarded: number;
  malformedPackets: number;
  unknownPackets: number;
  reconnects: number;
}
export type IoEvent =
  | { type: 'started'; descriptor: StreamDescriptor }
  | { type: 'stats'; framesWritten: number; progress?: number }
  | { type: 'finished' }
  /** Synthetic fNIRS: a task block started (its marker, also published on the marker bus). */
  | { type: 'task-block'; marker: MarkerEvent }
  | { type: 'stopped' }
  | { type: 'device-status'; status: IoDeviceStatus }
  | { type: 'device-stats'; stats: IoDeviceStats }
  | { type: 'error'; message: string; code?: string };

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
  /** An fNIRS stream: the running short-channel regression on or off (where the probe has short channels). */
  | { type: 'set-fnirs'; shortChannelRegression: boolean }
  | { type: 'stop' }
  // A user pipeline on the live stream, beside the filter chain (one at a time; a new run replaces it).
  | { type: 'run-pipeline'; runId: number; doc: unknown }
  | { type: 'stop-pipeline'; runId: number }
  | { type: 'set-pipeline-params'; runId: number; requestId: number; nodeId: string; values: Record<string, unknown> }
  /** Ends calibration now: fits every trainable node on what it collected (result in the log). */
  | { type: 'fit-pipeline'; runId: number }
  /**
   * A trained model deployed on the live stream (Training page): a pipeline with ml.model-predict
   * nodes whose `model_id` (saved run id) the worker resolves from IndexedDB. Runs in its own slot,
   * beside the live chain and the Pipelines page's pipeline; a new deployment replaces the previous.
   */
  | { type: 'deploy-model'; deployId: number; doc: unknown }
  | { type: 'stop-deployment'; deployId: number };
export type EngineEvent =
  | { type: 'started' }
  | { type: 'stats'; framesProcessed: number; droppedFrames: number; resets: number }
  | { type: 'stopped' }
  | { type: 'error'; message: string }
  /** An fNIRS stream: what the filtered ring carries instead (HbO/HbR µM or ΔOD) and why. */
  | { type: 'fnirs-view'; descriptor: StreamDescriptor; mode: 'haemoglobin' | 'optical-density'; note: string; shortChannels: boolean; shortChannelRegression: boolean }
  /** Once a second for an fNIRS stream: channel quality over the last window. */
  | { type: 'fnirs-quality'; quality: LiveFnirsQuality }
  | { type: 'pipeline-started'; runId: number }
  /** A stream-output node's ring (sent again with a new ring when its layout changes). */
  | { type: 'pipeline-output'; runId: number; nodeId: string; descriptor: StreamDescriptor; source: RingSource }
  /** A few times a second while a pipeline runs: state, per-node metrics, new log records, inspect values. */
  | { type: 'pipeline-report'; runId: number; report: PipelineReport }
  | { type: 'pipeline-params'; runId: number; requestId: number; ok: boolean; nodeId: string; params?: Record<string, unknown>; message?: string; issues?: PipelineIssue[] }
  | { type: 'pipeline-stopped'; runId: number }
  | { type: 'pipeline-error'; runId: number; message: string; issues?: PipelineIssue[] }
  | { type: 'deployment-started'; deployId: number }
  /** A few times a second while a model is deployed. */
  | { type: 'deployment-report'; deployId: number; report: DeploymentReport }
  | { type: 'deployment-stopped'; deployId: number }
  /** The model could not be loaded or does not fit the stream; nothing runs. */
  | { type: 'deployment-error'; deployId: number; message: string };

export interface DeploymentReport {
  state: ExecutionState;
  metrics: NodeMetrics[];
  logs: LogRecord[];
  /** peek() of every ml.model-predict node (engine/nodes/model.ts ModelPredictPeek), by node id. */
  predictions: Record<string, unknown>;
  framesIn: number;
}

export interface PipelineReport {
  state: ExecutionState;
  metrics: NodeMetrics[];
  /** Log records since the previous report. */
  logs: LogRecord[];
  /** Latest value of every io.inspect node (InspectSnapshot or null), by node id. */
  inspect: Record<string, unknown>;
  /** Frames the pipeline received from the device ring. */
  framesIn: number;
}

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
  | { type: 'import'; jobId: number; file: File; /** Other files of the dataset (an EEGLAB set's .fdt). */ companions?: File[] }
  | { type: 'export'; jobId: number; recordingId: string; format: ExportFormat; fileName: string }
  /** The fNIRS figures and tables of a stored recording (fnirs/figures.ts). */
  | { type: 'fnirs-figures'; jobId: number; recordingId: string };
export type LibraryEvent =
  | { type: 'progress'; jobId: number; phase: 'reading' | 'parsing' | 'writing'; fraction: number }
  | { type: 'imported'; jobId: number; recordingId: string; name: string; notes?: string }
  | { type: 'exported'; jobId: number; files: Array<{ fileName: string; bytes: Uint8Array }> }
  | { type: 'fnirs-figures'; jobId: number; figures: FnirsFigures }
  | { type: 'failed'; jobId: number; message: string };
