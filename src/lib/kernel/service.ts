// The Kernel service behind the /kernel routes (API.md §8): the KernelBackend seam the Hono app calls
// (plain, structured-clone-able arguments and results, so a service worker can forward it by method
// name), KernelService (studies + job queue + output store + settings), and runJob, the one function
// every runner calls to execute a job (the tab's job workers, the BullMQ worker, the in-process
// queue, `neurotab kernel run`). Any thread; no DOM. Must not keep the signing secret anywhere but
// in the settings it was given (the routes ask the backend to sign and verify).
import { uuidv7 } from '../core/ids';
import { pipelineNamed } from './catalog';
import { RUNNERS } from './runners';
import type { BatchRecord, DatasetInfo, JobQueue, JobRecord, OutputInfo, ParticipantInfo, StudyInfo, StudyStore } from './model';
import { mediaTypeOf, isOutputName, type OutputStore } from './outputs';
import { PipelineFailure, type PipelineContext } from './pipeline';
import { apiKeyHash, checkSignedOutput, signOutput } from './signing';
import { studyKey } from './ids';

/** A failure the Kernel routes render as `{"detail": …}` with this status. */
export class KernelFailure extends Error {
  override name = 'KernelFailure';
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export interface KernelSettings {
  /** API keys required (off by default, API.md §8.1). */
  authEnabled: boolean;
  /** SHA-256 (hex) of each valid key. */
  keyHashes: string[];
  /** The app-local HMAC secret for signed output links (hex). */
  secretHex: string;
}

/** What the /kernel routes need. Every method is async with structured-clone-able values. */
export interface KernelBackend {
  kernelHealth(): Promise<{ up: boolean; reason?: string }>;
  /** True when auth is off, or the key is one of the settings' keys. */
  kernelAuthorize(key: string | null): Promise<boolean>;
  kernelSign(jobId: string, filename: string, expires: number): Promise<string>;
  kernelVerify(jobId: string, filename: string, expires: string | undefined, sig: string | undefined, nowMs: number): Promise<'ok' | 'expired' | 'forged'>;
  /** A study by its path segment (dashed/undashed uid or alias). */
  kernelStudy(segment: string): Promise<StudyInfo | null>;
  kernelDatasets(studyId: string): Promise<{ dataset: DatasetInfo; participant: ParticipantInfo | null }[]>;
  /** Queues one job per dataset as one batch; KernelFailure 404 (a dataset not in the study) / 507 / 503. */
  kernelRun(studyId: string, template: string, datasetIds: string[], params: Record<string, unknown>): Promise<{ batchId: string; jobs: [string, string][] }>;
  kernelLatestJob(studyId: string, datasetId: string, template: string): Promise<JobRecord | null>;
  kernelBatch(batchId: string): Promise<{ batch: BatchRecord; jobs: JobRecord[] } | null>;
  kernelOutput(jobId: string, filename: string): Promise<Blob | null>;
}

/** The dependencies of one job run. */
export interface JobDeps {
  studies: Pick<StudyStore, 'loadDataset'>;
  outputs: OutputStore;
  nowMs?: () => number;
}

export type JobResult = { status: 'succeeded'; outputs: OutputInfo[] } | { status: 'failed'; reason: string };

/**
 * Runs one job to its end: loads the dataset, runs the pipeline, writes every output (each `put` is
 * atomic; the job's old outputs are cleared first, so a re-run after a crash starts clean and the
 * same job always ends with the same files). PipelineFailure → failed with its reason; any other
 * error is thrown (a runner may retry it).
 */
export async function runJob(job: Pick<JobRecord, 'id' | 'template' | 'datasetId' | 'params'>, deps: JobDeps, progress: (fraction: number, message: string) => void = () => {}): Promise<JobResult> {
  const run = RUNNERS[job.template];
  if (!run) return { status: 'failed', reason: `Unknown pipeline: ${job.template}` };
  const now = deps.nowMs ?? Date.now;
  try {
    progress(0.02, 'loading the dataset');
    const input = await deps.studies.loadDataset(job.datasetId);
    const ctx: PipelineContext = {
      jobId: job.id,
      params: job.params,
      progress,
      nowMs: now(),
      ensureSpace: async (bytes, what) => {
        const free = await deps.outputs.freeBytes();
        if (free !== null && free < bytes) throw new PipelineFailure(`Insufficient storage: ${what} needs ${(bytes / 1e6).toFixed(1)} MB and ${(Math.max(0, free) / 1e6).toFixed(1)} MB are free; free space (delete old job outputs or recordings) and run it again`);
      },
    };
    const files = await run(input, ctx);
    await deps.outputs.clear(job.id);
    const outputs: OutputInfo[] = [];
    for (const f of files) {
      if (!isOutputName(f.filename)) throw new Error(`pipeline ${job.template} produced an invalid output name ${JSON.stringify(f.filename)}`);
      await ctx.ensureSpace(f.bytes.byteLength, f.filename);
      await deps.outputs.put(job.id, f.filename, f.bytes);
      outputs.push({ filename: f.filename, bytes: f.bytes.byteLength, mediaType: mediaTypeOf(f.filename) });
    }
    progress(1, 'done');
    return { status: 'succeeded', outputs };
  } catch (e) {
    if (e instanceof PipelineFailure) return { status: 'failed', reason: e.message };
    throw e;
  }
}

/** The batch and job records of a submission (one job per dataset, in order). */
export function newBatch(studyId: string, template: string, datasetIds: string[], params: Record<string, unknown>, nowMs = Date.now()): { batch: BatchRecord; jobs: JobRecord[] } {
  const batchId = uuidv7(nowMs);
  const jobs: JobRecord[] = datasetIds.map((datasetId) => ({
    id: uuidv7(nowMs),
    template,
    studyId,
    datasetId,
    params,
    status: 'submitted',
    createdAtMs: nowMs,
    outputs: [],
    batchId,
    executionId: uuidv7(nowMs),
    attempts: 0,
  }));
  return { batch: { id: batchId, studyId, template, jobs: jobs.map((j) => [j.datasetId, j.id]), createdAtMs: nowMs }, jobs };
}

/** Studies, queue, outputs and settings behind the Kernel routes. */
export class KernelService implements KernelBackend {
  constructor(
    readonly studies: StudyStore,
    readonly queue: JobQueue,
    readonly outputs: OutputStore,
    readonly settings: () => KernelSettings | Promise<KernelSettings>,
  ) {}

  async kernelHealth() {
    return this.queue.health();
  }

  async kernelAuthorize(key: string | null): Promise<boolean> {
    const s = await this.settings();
    if (!s.authEnabled) return true;
    if (!key) return false;
    return s.keyHashes.includes(await apiKeyHash(key));
  }

  async kernelSign(jobId: string, filename: string, expires: number): Promise<string> {
    return signOutput((await this.settings()).secretHex, jobId, filename, expires);
  }

  async kernelVerify(jobId: string, filename: string, expires: string | undefined, sig: string | undefined, nowMs: number) {
    return checkSignedOutput((await this.settings()).secretHex, jobId, filename, expires, sig, nowMs);
  }

  async kernelStudy(segment: string): Promise<StudyInfo | null> {
    const key = studyKey(segment);
    if (!key) return null;
    return (await this.studies.findStudy(key)) ?? ('uid' in key ? this.studies.findStudy({ alias: segment }) : null);
  }

  async kernelDatasets(studyId: string) {
    const [datasets, participants] = await Promise.all([this.studies.listDatasets(studyId), this.studies.listParticipants(studyId)]);
    const byId = new Map(participants.map((p) => [p.id, p]));
    return datasets.map((dataset) => ({ dataset, participant: byId.get(dataset.participantId) ?? null }));
  }

  async kernelRun(studyId: string, template: string, datasetIds: string[], params: Record<string, unknown>) {
    const spec = pipelineNamed(template);
    if (!spec) throw new KernelFailure(400, `Unknown pipeline: ${template}`);
    const h = await this.queue.health();
    if (!h.up) throw new KernelFailure(503, `Job queue unavailable: ${h.reason ?? 'down'}; try again shortly`);
    let need = 0;
    for (const id of datasetIds) {
      const d = await this.studies.getDataset(id);
      if (!d || d.studyId !== studyId) throw new KernelFailure(404, `Dataset not found: ${id.replace(/-/g, '')}`);
      need += spec.estimateBytes(d.byteSize);
    }
    const free = await this.outputs.freeBytes();
    if (free !== null && free < need)
      throw new KernelFailure(507, `Insufficient storage: ${template} on ${datasetIds.length} dataset(s) needs about ${(need / 1e6).toFixed(1)} MB and ${(Math.max(0, free) / 1e6).toFixed(1)} MB are free; delete old outputs or recordings first`);
    const { batch, jobs } = newBatch(studyId, template, datasetIds, params);
    await this.queue.submit(batch, jobs);
    return { batchId: batch.id, jobs: batch.jobs };
  }

  async kernelLatestJob(studyId: string, datasetId: string, template: string) {
    const j = await this.queue.latestJob(datasetId, template);
    return j && j.studyId === studyId ? j : null;
  }

  async kernelBatch(batchId: string) {
    const batch = await this.queue.getBatch(batchId);
    if (!batch) return null;
    const jobs = await Promise.all(batch.jobs.map(([, id]) => this.queue.getJob(id)));
    return { batch, jobs: jobs.filter((j): j is JobRecord => j !== null) };
  }

  async kernelOutput(jobId: string, filename: string) {
    if (!isOutputName(filename)) return null;
    return this.outputs.open(jobId, filename);
  }
}
