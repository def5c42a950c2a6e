// The study and job model behind the Kernel family and the native studies API (API.md §4 Study,
// Participant, Recording-as-dataset, Job, Asset), and the stores the service runs on. Plain data
// (structured-clone-able) so it crosses MessagePorts and Redis unchanged. Pure; any thread.
import type { RecordingData } from '../formats/recording';

export interface StudyInfo {
  /** Dashed uid; Kernel's study id is its hex or dashed form. */
  id: string;
  name: string;
  description?: string;
  organization?: string;
  /** Another id the study answers to (e.g. the digits a client already uses). */
  alias?: string;
  createdAtMs: number;
  /** True for studies read from a folder or BIDS dataset (not editable through the API). */
  readOnly?: boolean;
}

export type ParticipantStatus = 'active' | 'pending' | 'inactive';

export interface ParticipantInfo {
  id: string;
  studyId: string;
  /** The study's own identifier, e.g. "sub-001" (Kernel's `participant_id`). */
  externalId: string;
  createdAtMs: number;
  status: ParticipantStatus;
}

/** A recording assigned to a study: Kernel's dataset (API.md §8.3). */
export interface DatasetInfo {
  /** The recording's uid. */
  id: string;
  studyId: string;
  participantId: string;
  name: string;
  description?: string;
  experiment?: string;
  createdAtMs: number;
  startedAtMs?: number;
  stoppedAtMs?: number;
  /** Stream kinds of the recording ("eeg", "fnirs", "aux"). */
  kinds: string[];
  /** Bytes of stored samples (for output estimates). */
  byteSize: number;
  /** Where it came from: a file name, a device. */
  source?: string;
}

/** What a job reads: the recording, and the original file when the dataset keeps one (time-domain SNIRF needs it). */
export interface DatasetInput {
  dataset: DatasetInfo;
  recording: RecordingData;
  file?: { name: string; bytes: Uint8Array };
}

/** Canonical job states (API.md §4 Job); the Kernel family shows them upper-case. */
export type JobStatus = 'submitted' | 'pending' | 'runnable' | 'starting' | 'running' | 'succeeded' | 'failed';
export const TERMINAL: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed']);

export interface OutputInfo {
  filename: string;
  bytes: number;
  mediaType: string;
}

export interface JobRecord {
  /** Dashed uid (job_id on the wire). */
  id: string;
  template: string;
  studyId: string;
  datasetId: string;
  params: Record<string, unknown>;
  status: JobStatus;
  createdAtMs: number;
  startedAtMs?: number;
  stoppedAtMs?: number;
  /** Why it failed (FAILED), or a note on a re-run. */
  reason?: string;
  /** 0–1 while running, with what it is doing. */
  progress?: { fraction: number; message: string };
  outputs: OutputInfo[];
  /** The batch it belongs to (a single run is a batch of one). */
  batchId: string;
  executionId: string;
  /** Times it was started (a re-run after a crash or a retry counts). */
  attempts: number;
}

export interface BatchRecord {
  id: string;
  studyId: string;
  template: string;
  /** dataset uid → job uid, in submission order. */
  jobs: [string, string][];
  createdAtMs: number;
}

/** Studies, participants and datasets: IndexedDB in the browser, a folder or BIDS dataset in Node. */
export interface StudyStore {
  listStudies(): Promise<StudyInfo[]>;
  /** By uid or alias. */
  findStudy(key: { uid: string } | { alias: string }): Promise<StudyInfo | null>;
  createStudy(s: Omit<StudyInfo, 'id' | 'createdAtMs'>): Promise<StudyInfo>;
  updateStudy(id: string, patch: Partial<Pick<StudyInfo, 'name' | 'description' | 'organization' | 'alias'>>): Promise<StudyInfo>;
  /** Removes the study and its participants; its recordings stay in the library, unassigned. */
  deleteStudy(id: string): Promise<void>;
  listParticipants(studyId: string): Promise<ParticipantInfo[]>;
  createParticipant(p: Omit<ParticipantInfo, 'id' | 'createdAtMs'>): Promise<ParticipantInfo>;
  updateParticipant(id: string, patch: Partial<Pick<ParticipantInfo, 'externalId' | 'status'>>): Promise<ParticipantInfo>;
  listDatasets(studyId: string): Promise<DatasetInfo[]>;
  getDataset(id: string): Promise<DatasetInfo | null>;
  /** Assigns library recordings to a study (each to a participant), in one transaction: all or none. */
  assignDatasets(studyId: string, items: DatasetAssignment[]): Promise<DatasetInfo[]>;
  unassignDataset(id: string): Promise<void>;
  /** Recordings of the library that no study holds yet (for bulk assignment). */
  listUnassigned(): Promise<{ id: string; name: string; kinds: string[]; createdAtMs: number; participant?: string }[]>;
  loadDataset(id: string): Promise<DatasetInput>;
}

export interface DatasetAssignment {
  recordingId: string;
  /** A participant of the study; or */
  participantId?: string;
  /** its external id (created when new); default: the recording's own subject label, else "unknown". */
  participant?: string;
  name?: string;
  description?: string;
  experiment?: string;
}

/** Job records and the queue that runs them: IndexedDB + the tab's workers, or BullMQ on Redis. */
export interface JobQueue {
  /** Up = jobs can be queued; down (e.g. Redis unreachable) gives the reason. */
  health(): Promise<{ up: boolean; reason?: string }>;
  /** Records the batch and its jobs and queues them. */
  submit(batch: BatchRecord, jobs: JobRecord[]): Promise<void>;
  getJob(id: string): Promise<JobRecord | null>;
  /** The most recently created job of a dataset and pipeline. */
  latestJob(datasetId: string, template: string): Promise<JobRecord | null>;
  getBatch(id: string): Promise<BatchRecord | null>;
  /** Recent jobs of a study, newest first (the Studies page, GET /bci/v1/jobs). */
  listJobs(filter: { studyId?: string; limit?: number }): Promise<JobRecord[]>;
}
