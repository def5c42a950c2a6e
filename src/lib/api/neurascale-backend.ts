// What the NeuraScale family (API.md §10) needs beyond the device seam: its settings (auth mode,
// JWT secret, rate limit), sessions that are recordings in the library, data read back from them,
// exports in our file formats, and analyses over the ML decoders. Pure types; runs anywhere. The
// API worker implements it (neurascale-service.ts); the service worker forwards calls to it.
import type { ApiDevice, DeviceBackend, DeviceConfig } from './device-backend';

export interface NeuraScaleSettings {
  /** off: any or no token is accepted; local: JWTs minted by /v2/auth/login are required. */
  auth: 'off' | 'local';
  /** HS256 key, base64url (generated once, kept in IndexedDB settings). */
  secret: string;
  /** local mode: the login password (null: any password; the email must still be given). */
  password: string | null;
  /** REST requests per token and hour (the vendor's 1000); null: not enforced. */
  rateLimitPerHour: number | null;
}

export type NsSessionStatus = 'created' | 'recording' | 'completed';

export interface NsSession {
  id: string;
  name: string;
  patientId: string | null;
  deviceIds: string[];
  durationMinutes: number | null;
  protocol: string | null;
  status: NsSessionStatus;
  startTimeMs: number | null;
  endTimeMs: number | null;
  metadata: Record<string, unknown>;
  /** Library recordings made in this session (one per device stream). */
  recordingIds: string[];
  createdAtMs: number;
}

export interface NsSessionCreate {
  name: string;
  patientId?: string;
  deviceIds: string[];
  durationMinutes?: number;
  protocol?: string;
  metadata?: Record<string, unknown>;
}

export interface NsRecordingInfo {
  id: string;
  sessionId: string;
  deviceId: string;
  channelCount: number;
  sampleRateHz: number;
  durationSeconds: number;
  sampleCount: number;
  droppedFrames: number;
  status: string;
  stopReason: string | null;
}

export interface NsStreamStarted {
  deviceId: string;
  streamId: string;
  sessionId: string;
  sampleRateHz: number;
  channels: number[];
  /** false: the device already streamed with this config (idempotent start). */
  started: boolean;
  recordingId: string;
}

export interface NsTimeseries {
  sessionId: string;
  sampleRateHz: number;
  channels: number[];
  /** Rows: timestamp (epoch ms) and ch<N> per channel. */
  samples: Record<string, number | null>[];
}

export type NsExportFormat = 'csv' | 'edf' | 'bdf' | 'snirf' | 'bids' | 'json';

export interface NsExport {
  id: string;
  sessionId: string;
  format: NsExportFormat;
  status: 'queued' | 'running' | 'completed' | 'failed';
  filename: string | null;
  bytes: number | null;
  error: string | null;
  createdAtMs: number;
}

export interface NsExportRequest {
  sessionId: string;
  format: string;
  channels?: number[];
  startMs?: number;
  endMs?: number;
}

export interface NsAnalysis {
  id: string;
  sessionId: string;
  modelType: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  metrics: Record<string, number>;
  predictions: { timestamp: number; label: string; confidence: number }[];
  error: string | null;
  createdAtMs: number;
}

export interface NsModelInfo {
  modelType: string;
  description: string;
  modality: string;
  /** Our experiment type it runs (ml/experiment.ts). */
  experimentType: string;
  parametersSchema: Record<string, unknown>;
  deployed: boolean;
}

/** A live event of the family (WebSocket `session_event` / `system_event` / `error`). */
export type NsFailureCode = 'SESSION_NOT_FOUND' | 'ANALYSIS_NOT_FOUND' | 'EXPORT_NOT_FOUND' | 'VALIDATION_ERROR' | 'INVALID_CONFIGURATION' | 'SESSION_BUSY' | 'RANGE_TOO_LARGE' | 'NOT_IMPLEMENTED';

/** A NeuraScale failure that is not a device's (sessions, exports, analyses). */
export class NsFailure extends Error {
  override name = 'NsFailure';
  constructor(
    readonly code: NsFailureCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
  toWire(): { name: string; nsFailure: true; code: NsFailureCode; message: string; details: Record<string, unknown> } {
    return { name: this.name, nsFailure: true, code: this.code, message: this.message, details: this.details };
  }
  static isWire(w: unknown): w is { code: NsFailureCode; message: string; details?: Record<string, unknown> } {
    return typeof w === 'object' && w !== null && (w as { nsFailure?: unknown }).nsFailure === true;
  }
}

export interface NeuraScaleBackend extends DeviceBackend {
  nsSettings(): Promise<NeuraScaleSettings>;
  /** Session of each device being recorded now (device id → session id). */
  nsDeviceSessions(): Promise<Record<string, string>>;
  /** Every device (or the one named) with the sessions recording them: one call for a listing. */
  nsDevices(id?: string): Promise<{ devices: ApiDevice[]; sessions: Record<string, string> }>;
  /** Starts the device stream and records it into the device's active session (created when none). */
  nsStreamStart(deviceId: string, config?: Partial<DeviceConfig>): Promise<NsStreamStarted>;
  /** Stops the stream; the recording is closed and the auto-created session completed. */
  nsStreamStop(deviceId: string): Promise<{ deviceId: string; streamId: string }>;
  nsSessionCreate(s: NsSessionCreate): Promise<NsSession>;
  nsSessionList(limit: number, offset: number): Promise<{ items: NsSession[]; total: number }>;
  nsSessionGet(id: string): Promise<NsSession>;
  nsSessionUpdate(id: string, patch: { name?: string; metadata?: Record<string, unknown>; status?: NsSessionStatus }): Promise<NsSession>;
  /** SESSION_BUSY while recording. */
  nsSessionDelete(id: string): Promise<void>;
  nsSessionRecordings(id: string): Promise<NsRecordingInfo[]>;
  nsTimeseries(sessionId: string, q: { startMs?: number; endMs?: number; channels?: number[] }): Promise<NsTimeseries>;
  nsExportCreate(r: NsExportRequest): Promise<NsExport>;
  nsExportGet(id: string): Promise<NsExport>;
  nsExportFile(id: string): Promise<{ filename: string; mediaType: string; bytes: Uint8Array }>;
  nsAnalyze(sessionId: string, modelType: string, parameters: Record<string, unknown>): Promise<NsAnalysis>;
  nsAnalysis(id: string): Promise<NsAnalysis>;
  nsModels(): Promise<NsModelInfo[]>;
  nsDeploy(modelType: string, source: { artifactUrl?: string; experiment?: string }): Promise<NsModelInfo>;
}
