// In-memory StudyStore and an in-process JobQueue (model.ts): tests, `neurotab kernel serve` without
// Redis (studies read from a folder, jobs run in the serving process) and `neurotab kernel run`.
// Any thread. The queue runs `concurrency` jobs at a time through runJob, FIFO; records live in memory
// only (the browser's queue persists them in IndexedDB, the BullMQ queue in Redis).
import { uuidv7 } from '../core/ids';
import type { BatchRecord, DatasetAssignment, DatasetInfo, DatasetInput, JobQueue, JobRecord, ParticipantInfo, StudyInfo, StudyStore } from './model';
import { runJob, type JobDeps } from './service';

/** A dataset's recording, read when a job needs it. */
export type DatasetLoader = () => Promise<Omit<DatasetInput, 'dataset'>>;

export class MemoryStudyStore implements StudyStore {
  private readonly studies = new Map<string, StudyInfo>();
  private readonly participants = new Map<string, ParticipantInfo>();
  private readonly datasets = new Map<string, DatasetInfo>();
  /** Recordings of the library (assigned or not) and how to read each. */
  private readonly library = new Map<string, { name: string; kinds: string[]; createdAtMs: number; byteSize: number; participant?: string; load: DatasetLoader }>();

  /** Adds a library recording (the folder scan, tests). */
  addRecording(id: string, info: { name: string; kinds: string[]; createdAtMs: number; byteSize: number; participant?: string }, load: DatasetLoader): void {
    this.library.set(id, { ...info, load });
  }

  /** Adds a study, participant or dataset as it is (a folder's read-only study keeps name-based ids). */
  putStudy(s: StudyInfo): void {
    this.studies.set(s.id, s);
  }
  putParticipant(p: ParticipantInfo): void {
    this.participants.set(p.id, p);
  }
  putDataset(d: DatasetInfo): void {
    this.datasets.set(d.id, d);
  }

  async listStudies() {
    return [...this.studies.values()];
  }
  async findStudy(key: { uid: string } | { alias: string }) {
    if ('uid' in key) return this.studies.get(key.uid) ?? null;
    return [...this.studies.values()].find((s) => s.alias === key.alias) ?? null;
  }
  async createStudy(s: Omit<StudyInfo, 'id' | 'createdAtMs'>) {
    if (s.alias && [...this.studies.values()].some((x) => x.alias === s.alias)) throw new Error(`another study already has the alias "${s.alias}"`);
    const study: StudyInfo = { ...s, id: uuidv7(), createdAtMs: Date.now() };
    this.studies.set(study.id, study);
    return study;
  }
  async updateStudy(id: string, patch: Partial<Pick<StudyInfo, 'name' | 'description' | 'organization' | 'alias'>>) {
    const s = this.studies.get(id);
    if (!s) throw new Error(`no study ${id}`);
    if (patch.alias && patch.alias !== s.alias && [...this.studies.values()].some((x) => x.alias === patch.alias)) throw new Error(`another study already has the alias "${patch.alias}"`);
    const next = { ...s, ...patch };
    this.studies.set(id, next);
    return next;
  }
  async deleteStudy(id: string) {
    this.studies.delete(id);
    for (const [k, p] of this.participants) if (p.studyId === id) this.participants.delete(k);
    for (const [k, d] of this.datasets) if (d.studyId === id) this.datasets.delete(k);
  }
  async listParticipants(studyId: string) {
    return [...this.participants.values()].filter((p) => p.studyId === studyId);
  }
  async createParticipant(p: Omit<ParticipantInfo, 'id' | 'createdAtMs'>) {
    const part: ParticipantInfo = { ...p, id: uuidv7(), createdAtMs: Date.now() };
    this.participants.set(part.id, part);
    return part;
  }
  async updateParticipant(id: string, patch: Partial<Pick<ParticipantInfo, 'externalId' | 'status'>>) {
    const p = this.participants.get(id);
    if (!p) throw new Error(`no participant ${id}`);
    const next = { ...p, ...patch };
    this.participants.set(id, next);
    return next;
  }
  async listDatasets(studyId: string) {
    return [...this.datasets.values()].filter((d) => d.studyId === studyId).sort((a, b) => a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : 1));
  }
  async getDataset(id: string) {
    return this.datasets.get(id) ?? null;
  }
  async assignDatasets(studyId: string, items: DatasetAssignment[]) {
    if (!this.studies.has(studyId)) throw new Error(`no study ${studyId}`);
    for (const it of items) if (!this.library.has(it.recordingId)) throw new Error(`no recording ${it.recordingId}`);
    const out: DatasetInfo[] = [];
    for (const it of items) {
      const rec = this.library.get(it.recordingId)!;
      let participantId = it.participantId;
      if (!participantId) {
        const ext = it.participant ?? rec.participant ?? 'unknown';
        participantId = (await this.listParticipants(studyId)).find((p) => p.externalId === ext)?.id ?? (await this.createParticipant({ studyId, externalId: ext, status: 'active' })).id;
      }
      const d: DatasetInfo = { id: it.recordingId, studyId, participantId, name: it.name ?? rec.name, description: it.description, experiment: it.experiment, createdAtMs: rec.createdAtMs, kinds: rec.kinds, byteSize: rec.byteSize, source: rec.name };
      this.datasets.set(d.id, d);
      out.push(d);
    }
    return out;
  }
  async unassignDataset(id: string) {
    this.datasets.delete(id);
  }
  async listUnassigned() {
    return [...this.library.entries()].filter(([id]) => !this.datasets.has(id)).map(([id, r]) => ({ id, name: r.name, kinds: r.kinds, createdAtMs: r.createdAtMs, participant: r.participant }));
  }
  async loadDataset(id: string): Promise<DatasetInput> {
    const dataset = this.datasets.get(id);
    const rec = this.library.get(id);
    if (!dataset || !rec) throw new Error(`dataset ${id} is not in any study`);
    return { dataset, ...(await rec.load()) };
  }
}

/** Runs jobs in this process (see the header). `idle()` resolves when nothing is queued or running. */
export class LocalJobQueue implements JobQueue {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly batches = new Map<string, BatchRecord>();
  private readonly waiting: string[] = [];
  private running = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly deps: JobDeps,
    private readonly concurrency = 1,
  ) {}

  async health() {
    return { up: true };
  }
  async submit(batch: BatchRecord, jobs: JobRecord[]) {
    this.batches.set(batch.id, batch);
    for (const j of jobs) {
      this.jobs.set(j.id, { ...j, status: 'pending' });
      this.waiting.push(j.id);
    }
    this.pump();
  }
  async getJob(id: string) {
    return this.jobs.get(id) ?? null;
  }
  async latestJob(datasetId: string, template: string) {
    let best: JobRecord | null = null;
    for (const j of this.jobs.values()) if (j.datasetId === datasetId && j.template === template && (!best || j.createdAtMs >= best.createdAtMs)) best = j;
    return best;
  }
  async getBatch(id: string) {
    return this.batches.get(id) ?? null;
  }
  async listJobs(filter: { studyId?: string; limit?: number }) {
    return [...this.jobs.values()].filter((j) => !filter.studyId || j.studyId === filter.studyId).sort((a, b) => b.createdAtMs - a.createdAtMs).slice(0, filter.limit ?? 100);
  }
  idle(): Promise<void> {
    if (!this.running && !this.waiting.length) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length) {
      const id = this.waiting.shift()!;
      this.running++;
      void this.execute(id).finally(() => {
        this.running--;
        this.pump();
        if (!this.running && !this.waiting.length) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }

  private async execute(id: string): Promise<void> {
    const update = (patch: Partial<JobRecord>) => this.jobs.set(id, { ...this.jobs.get(id)!, ...patch });
    const job = this.jobs.get(id)!;
    update({ status: 'running', startedAtMs: Date.now(), attempts: job.attempts + 1 });
    try {
      const r = await runJob(job, this.deps, (fraction, message) => update({ progress: { fraction, message } }));
      update(r.status === 'succeeded' ? { status: 'succeeded', outputs: r.outputs, stoppedAtMs: Date.now() } : { status: 'failed', reason: r.reason, stoppedAtMs: Date.now() });
    } catch (e) {
      update({ status: 'failed', reason: `Internal error: ${e instanceof Error ? e.message : String(e)}`, stoppedAtMs: Date.now() });
    }
  }
}
