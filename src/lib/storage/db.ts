// The IndexedDB database of Neurotab, through Dexie: one versioned schema shared by the page, the
// workers and the service worker. Opening it has no side effects beyond IndexedDB itself.
// Must not import anything from the UI, workers or engine; only core types.
import Dexie, { type EntityTable } from 'dexie';
import type { NirsProbe, StreamDescriptor } from '../core/stream';
import { uuidv7 } from '../core/ids';

/** 'importing': being written from a file; left behind only by a crash, and then deleted at start-up. */
export type RecordingStatus = 'recording' | 'importing' | 'complete' | 'recovered';

/** Per-stream bookkeeping inside a recording. */
export interface RecordedStream {
  descriptor: StreamDescriptor;
  frames: number;
  chunks: number;
  firstTimestampMs: number | null;
  lastTimestampMs: number | null;
  /** Frames the recorder could not read in time (ring overruns); never silent. */
  droppedFrames: number;
}

export interface RecordingRow {
  id: string; // uuid v7
  name: string;
  /** When the row was made: the start of a live recording, the import of a file. */
  createdAtMs: number;
  /**
   * When the recording was made (ms since the epoch): a live recording's start, an imported file's
   * stated start or date; absent when a file does not say. Schema v3.
   */
  recordedAtMs?: number;
  status: RecordingStatus;
  /** Why it stopped when not by the user: "storage-full", "storage-error: …", "recovered after the tab closed". */
  stopReason?: string;
  endedAtMs?: number;
  streams: RecordedStream[];
  markerCount: number;
  /** Bytes of samples and timestamps stored. */
  byteSize: number;
  studyId?: string;
  participant?: string;
  session?: string;
  task?: string;
  notes?: string;
  /** Where it came from: "synthetic", a device id, or an imported file name. */
  source?: string;
  /** Kinds of its streams ("eeg", "fnirs", …), for filtering the library. Schema v2. */
  kinds?: string[];
  /** fNIRS probe geometry of an imported SNIRF file (not indexed: no schema change). */
  probe?: NirsProbe;
}

/** At most one second of one stream. Samples are frame-major float32, timestamps float64 ms. */
export interface ChunkRow {
  recordingId: string;
  streamId: string;
  seq: number;
  firstTimestampMs: number;
  frames: number;
  samples: Float32Array;
  timestampsMs: Float64Array;
}

export interface MarkerRow {
  id?: number;
  recordingId: string;
  timestampMs: number;
  value: string;
  durationMs?: number;
}

export interface StudyRow { id: string; name: string; createdAtMs: number; description?: string; organization?: string; alias?: string }
/** Schema v5 (Kernel studies): a study's participant; `externalId` is the study's own label ("sub-001"). */
export interface ParticipantRow { id: string; studyId: string; externalId: string; createdAtMs: number; status: 'active' | 'pending' | 'inactive' }
/** Schema v5: a recording assigned to a study (Kernel's dataset); `id` is the recording's. */
export interface DatasetRow { id: string; studyId: string; participantId: string; name: string; description?: string; experiment?: string; createdAtMs: number }
/** Schema v5: Kernel jobs and batches (kernel/model.ts JobRecord / BatchRecord, plus the runner's lease). */
export interface KernelJobRow { id: string; template: string; studyId: string; datasetId: string; batchId: string; status: string; createdAtMs: number; leaseUntilMs?: number; runnerId?: string; [k: string]: unknown }
export interface KernelBatchRow { id: string; studyId: string; template: string; jobs: [string, string][]; createdAtMs: number }
/** Schema v5: a job's output file (the IndexedDB OutputStore). */
export interface KernelOutputRow { jobId: string; filename: string; data: Blob; bytes: number }
export interface PipelineRow { path: string; content: string; updatedAtMs: number; contentType: string }
export interface ExecutionRow { id: string; family: string; alias?: string; createdAtMs: number; state: unknown }
export interface JobRow { id: string; kind: string; status: string; createdAtMs: number; updatedAtMs: number; progress?: number; result?: unknown; error?: string }
export interface AssetRow { id: string; name: string; contentType: string; size: number; createdAtMs: number; data?: Blob; opfsPath?: string }
export interface ModelRow { id: string; name: string; kind: string; createdAtMs: number; state: unknown }
export interface SettingRow { key: string; value: unknown }
export interface LogRow { id?: number; timestampMs: number; level: number; source: string; message: string }
/** An Instinct stream definition (api/instinct-backend.ts InstinctStream), by its client-chosen UUID. Schema v3. */
export interface InstinctStreamRow<T = unknown> { id: string; stream: T; updatedAtMs: number }

/** Version 1 of the schema, frozen: migrations (and their tests) start from it. */
export const SCHEMA_V1: Readonly<Record<string, string>> = {
  studies: 'id, name, createdAtMs',
  recordings: 'id, createdAtMs, status, studyId',
  chunks: '[recordingId+streamId+seq], recordingId',
  markers: '++id, recordingId, [recordingId+timestampMs]',
  pipelines: 'path, updatedAtMs',
  executions: 'id, family, alias',
  jobs: 'id, kind, status, createdAtMs',
  assets: 'id, name, createdAtMs',
  models: 'id, name, kind, createdAtMs',
  settings: 'key',
  logs: '++id, timestampMs, source',
};

export class NeurotabDb extends Dexie {
  studies!: EntityTable<StudyRow, 'id'>;
  recordings!: EntityTable<RecordingRow, 'id'>;
  chunks!: Dexie.Table<ChunkRow, [string, string, number]>;
  markers!: EntityTable<MarkerRow, 'id'>;
  pipelines!: EntityTable<PipelineRow, 'path'>;
  executions!: EntityTable<ExecutionRow, 'id'>;
  jobs!: EntityTable<JobRow, 'id'>;
  assets!: EntityTable<AssetRow, 'id'>;
  models!: EntityTable<ModelRow, 'id'>;
  settings!: EntityTable<SettingRow, 'key'>;
  logs!: EntityTable<LogRow, 'id'>;
  instinctStreams!: EntityTable<InstinctStreamRow, 'id'>;
  participants!: EntityTable<ParticipantRow, 'id'>;
  datasets!: EntityTable<DatasetRow, 'id'>;
  kernelJobs!: EntityTable<KernelJobRow, 'id'>;
  kernelBatches!: EntityTable<KernelBatchRow, 'id'>;
  kernelOutputs!: Dexie.Table<KernelOutputRow, [string, string]>;

  constructor(name = 'neurotab') {
    super(name);
    // Never edit a published version: add the next one with its upgrade below.
    this.version(1).stores(SCHEMA_V1);
    // v2: recordings are indexed by the kinds of their streams (library filter "EEG" / "fNIRS").
    this.version(2)
      .stores({ recordings: 'id, createdAtMs, status, studyId, *kinds' })
      .upgrade((tx) =>
        tx
          .table<RecordingRow, string>('recordings')
          .toCollection()
          .modify((r) => {
            r.kinds = recordingKinds(r);
          }),
      );
    // v3: recordings carry the date they were made (recordedAtMs; not indexed, the library sorts in
    // memory). Imports kept their timestamps on the file's clock, so an epoch first timestamp is the
    // file's start; a live recording was made when its row was.
    this.version(3).upgrade((tx) =>
      tx
        .table<RecordingRow, string>('recordings')
        .toCollection()
        .modify((r) => {
          const recordedAtMs = r.source?.startsWith('file:') ? epochStartMs(r) : r.createdAtMs;
          if (recordedAtMs !== undefined) r.recordedAtMs = recordedAtMs;
        }),
    );
    // v4: Instinct stream definitions (they come back, stopped, after a reload).
    this.version(4).stores({ instinctStreams: 'id, updatedAtMs' });
    // v5 (Kernel studies, kernel/): participants, datasets (recordings assigned to studies), job
    // queue, batches and outputs; studies gain an alias index. Recordings already tagged with a
    // study become its datasets, with a participant per distinct `participant` label.
    this.version(5)
      .stores({
        studies: 'id, name, createdAtMs, alias',
        participants: 'id, studyId, [studyId+externalId]',
        datasets: 'id, studyId, participantId',
        kernelJobs: 'id, status, createdAtMs, studyId, batchId, [datasetId+template+createdAtMs]',
        kernelBatches: 'id, studyId',
        kernelOutputs: '[jobId+filename], jobId',
      })
      .upgrade(async (tx) => {
        const studyIds = new Set((await tx.table<StudyRow, string>('studies').toArray()).map((s) => s.id));
        const participants = new Map<string, string>();
        const recordings = await tx.table<RecordingRow, string>('recordings').toArray();
        for (const r of recordings) {
          if (!r.studyId || !studyIds.has(r.studyId)) continue;
          const label = r.participant?.trim() || 'unknown';
          const key = `${r.studyId}\u0000${label}`;
          let pid = participants.get(key);
          if (!pid) {
            pid = uuidv7(r.createdAtMs);
            participants.set(key, pid);
            await tx.table<ParticipantRow, string>('participants').add({ id: pid, studyId: r.studyId, externalId: label, createdAtMs: r.createdAtMs, status: 'active' });
          }
          await tx.table<DatasetRow, string>('datasets').add({ id: r.id, studyId: r.studyId, participantId: pid, name: r.name, experiment: r.task, createdAtMs: r.createdAtMs });
        }
      });
  }
}

/**
 * An imported recording's first timestamp when it is a date (after 1973: the LSL clock and
 * file-relative times are far smaller), else undefined.
 */
function epochStartMs(r: Pick<RecordingRow, 'streams'>): number | undefined {
  const first = Math.min(...r.streams.map((s) => s.firstTimestampMs ?? Infinity));
  return first > 1e11 && Number.isFinite(first) ? first : undefined;
}

/** The distinct stream kinds of a recording, in stream order. */
export function recordingKinds(r: Pick<RecordingRow, 'streams'>): string[] {
  return [...new Set(r.streams.map((s) => s.descriptor.kind))];
}

let shared: NeurotabDb | null = null;

/** The app's database (one connection per thread). */
export function openDb(): NeurotabDb {
  shared ??= new NeurotabDb();
  return shared;
}
