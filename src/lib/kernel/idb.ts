// The browser's Kernel stores on IndexedDB (storage/db.ts schema v5): studies, participants and
// datasets over the recordings library (DexieStudyStore), the persisted job queue run by the engine
// host tab (IdbJobQueue), and outputs as Blobs (IdbOutputStore). Any thread with IndexedDB (page,
// workers, service worker reads). The queue's contract: a job is claimed with a lease its runner
// renews; a tab that dies leaves it `running` with a lapsed lease, and the next start puts it back
// to `pending` (attempts kept) — never lost; it ends SUCCEEDED or FAILED once, by the runner holding
// the lease (a transaction checks it), so it is never reported twice.
import { uuidv7 } from '../core/ids';
import type { DatasetRow, KernelJobRow, NeurotabDb, ParticipantRow, StudyRow } from '../storage/db';
import { loadRecordingData } from '../storage/library';
import type { BatchRecord, DatasetAssignment, DatasetInfo, DatasetInput, JobQueue, JobRecord, ParticipantInfo, StudyInfo, StudyStore } from './model';
import type { OutputStore } from './outputs';
import { runJob, type JobDeps } from './service';

const studyOf = (r: StudyRow): StudyInfo => ({ id: r.id, name: r.name, description: r.description, organization: r.organization, alias: r.alias, createdAtMs: r.createdAtMs });

export class DexieStudyStore implements StudyStore {
  constructor(private readonly db: NeurotabDb) {}

  async listStudies() {
    return (await this.db.studies.orderBy('createdAtMs').toArray()).map(studyOf);
  }
  async findStudy(key: { uid: string } | { alias: string }) {
    const r = 'uid' in key ? await this.db.studies.get(key.uid) : await this.db.studies.where('alias').equals(key.alias).first();
    return r ? studyOf(r) : null;
  }
  async createStudy(s: Omit<StudyInfo, 'id' | 'createdAtMs'>) {
    const row: StudyRow = { id: uuidv7(), name: s.name, description: s.description, organization: s.organization, alias: s.alias, createdAtMs: Date.now() };
    await this.db.transaction('rw', this.db.studies, async () => {
      if (row.alias && (await this.db.studies.where('alias').equals(row.alias).count())) throw new Error(`another study already has the alias "${row.alias}"`);
      await this.db.studies.add(row);
    });
    return studyOf(row);
  }
  async updateStudy(id: string, patch: Partial<Pick<StudyInfo, 'name' | 'description' | 'organization' | 'alias'>>) {
    return this.db.transaction('rw', this.db.studies, async () => {
      const r = await this.db.studies.get(id);
      if (!r) throw new Error(`no study ${id}`);
      if (patch.alias && patch.alias !== r.alias && (await this.db.studies.where('alias').equals(patch.alias).count())) throw new Error(`another study already has the alias "${patch.alias}"`);
      const next = { ...r, ...patch };
      await this.db.studies.put(next);
      return studyOf(next);
    });
  }
  async deleteStudy(id: string) {
    await this.db.transaction('rw', [this.db.studies, this.db.participants, this.db.datasets, this.db.recordings], async () => {
      const ds = await this.db.datasets.where('studyId').equals(id).primaryKeys();
      await this.db.recordings.where('id').anyOf(ds).modify((r) => void delete r.studyId);
      await this.db.datasets.where('studyId').equals(id).delete();
      await this.db.participants.where('studyId').equals(id).delete();
      await this.db.studies.delete(id);
    });
  }
  async listParticipants(studyId: string): Promise<ParticipantInfo[]> {
    return this.db.participants.where('studyId').equals(studyId).sortBy('createdAtMs');
  }
  async createParticipant(p: Omit<ParticipantInfo, 'id' | 'createdAtMs'>) {
    const row: ParticipantRow = { ...p, id: uuidv7(), createdAtMs: Date.now() };
    await this.db.participants.add(row);
    return row;
  }
  async updateParticipant(id: string, patch: Partial<Pick<ParticipantInfo, 'externalId' | 'status'>>) {
    return this.db.transaction('rw', this.db.participants, async () => {
      const r = await this.db.participants.get(id);
      if (!r) throw new Error(`no participant ${id}`);
      const next = { ...r, ...patch };
      await this.db.participants.put(next);
      return next;
    });
  }

  private async info(d: DatasetRow): Promise<DatasetInfo> {
    const r = await this.db.recordings.get(d.id);
    return { ...d, kinds: r?.kinds ?? [], byteSize: r?.byteSize ?? 0, startedAtMs: r?.createdAtMs, stoppedAtMs: r?.endedAtMs, source: r?.source };
  }
  async listDatasets(studyId: string) {
    const rows = await this.db.datasets.where('studyId').equals(studyId).sortBy('createdAtMs');
    return Promise.all(rows.map((d) => this.info(d)));
  }
  async getDataset(id: string) {
    const d = await this.db.datasets.get(id);
    return d ? this.info(d) : null;
  }
  async assignDatasets(studyId: string, items: DatasetAssignment[]) {
    const db = this.db;
    const rows = await db.transaction('rw', [db.studies, db.participants, db.datasets, db.recordings], async () => {
      if (!(await db.studies.get(studyId))) throw new Error(`no study ${studyId}`);
      const out: DatasetRow[] = [];
      for (const it of items) {
        const rec = await db.recordings.get(it.recordingId);
        if (!rec) throw new Error(`no recording ${it.recordingId} in the library`);
        if (rec.status === 'recording' || rec.status === 'importing') throw new Error(`recording ${rec.name} is still being ${rec.status === 'recording' ? 'recorded' : 'imported'}; assign it when it is complete`);
        let participantId = it.participantId;
        if (participantId) {
          const p = await db.participants.get(participantId);
          if (!p || p.studyId !== studyId) throw new Error(`participant ${participantId} is not in this study`);
        } else {
          const label = (it.participant ?? rec.participant ?? '').trim() || 'unknown';
          participantId = (await db.participants.where('[studyId+externalId]').equals([studyId, label]).first())?.id;
          if (!participantId) {
            participantId = uuidv7();
            await db.participants.add({ id: participantId, studyId, externalId: label, createdAtMs: Date.now(), status: 'active' });
          }
        }
        const row: DatasetRow = { id: rec.id, studyId, participantId, name: it.name ?? rec.name, description: it.description, experiment: it.experiment ?? rec.task, createdAtMs: rec.createdAtMs };
        await db.datasets.put(row);
        await db.recordings.update(rec.id, { studyId });
        out.push(row);
      }
      return out;
    });
    return Promise.all(rows.map((d) => this.info(d)));
  }
  async unassignDataset(id: string) {
    await this.db.transaction('rw', [this.db.datasets, this.db.recordings], async () => {
      await this.db.datasets.delete(id);
      await this.db.recordings.where('id').equals(id).modify((r) => void delete r.studyId);
    });
  }
  async listUnassigned() {
    const assigned = new Set(await this.db.datasets.toCollection().primaryKeys());
    return (await this.db.recordings.orderBy('createdAtMs').toArray())
      .filter((r) => !assigned.has(r.id) && (r.status === 'complete' || r.status === 'recovered'))
      .map((r) => ({ id: r.id, name: r.name, kinds: r.kinds ?? [], createdAtMs: r.createdAtMs, participant: r.participant }));
  }
  async loadDataset(id: string): Promise<DatasetInput> {
    const dataset = await this.getDataset(id);
    if (!dataset) throw new Error(`dataset ${id} is not in any study`);
    return { dataset, recording: await loadRecordingData(this.db, id) };
  }
}

/** Outputs as Blobs in IndexedDB (one transaction per file: all of it or nothing). */
export class IdbOutputStore implements OutputStore {
  constructor(
    private readonly db: NeurotabDb,
    private readonly estimate: () => Promise<{ quota?: number; usage?: number } | null> = async () => (typeof navigator !== 'undefined' && navigator.storage?.estimate ? navigator.storage.estimate() : null),
  ) {}
  async put(jobId: string, filename: string, bytes: Uint8Array) {
    await this.db.kernelOutputs.put({ jobId, filename, data: new Blob([bytes as BlobPart]), bytes: bytes.byteLength });
  }
  async open(jobId: string, filename: string) {
    return (await this.db.kernelOutputs.get([jobId, filename]))?.data ?? null;
  }
  async clear(jobId: string) {
    await this.db.kernelOutputs.where('jobId').equals(jobId).delete();
  }
  async freeBytes() {
    const e = await this.estimate();
    return e && e.quota !== undefined && e.usage !== undefined ? e.quota - e.usage : null;
  }
}

const LEASE_MS = 15_000;
const toRecord = (r: KernelJobRow): JobRecord => {
  const { leaseUntilMs: _l, runnerId: _r, ...rec } = r;
  return rec as unknown as JobRecord;
};

/** The persisted queue (see the header). `start()` runs it in this thread until `stop()`. */
export class IdbJobQueue implements JobQueue {
  private readonly runnerId = uuidv7();
  private running = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly db: NeurotabDb,
    private readonly deps: JobDeps,
    private readonly clock: () => number = Date.now,
  ) {}

  async health() {
    return { up: true };
  }
  async submit(batch: BatchRecord, jobs: JobRecord[]) {
    await this.db.transaction('rw', this.db.kernelBatches, this.db.kernelJobs, async () => {
      await this.db.kernelBatches.add(batch);
      await this.db.kernelJobs.bulkAdd(jobs.map((j) => ({ ...j, status: 'pending' }) as unknown as KernelJobRow));
    });
    this.wake?.();
  }
  async getJob(id: string) {
    const r = await this.db.kernelJobs.get(id);
    return r ? toRecord(r) : null;
  }
  async latestJob(datasetId: string, template: string) {
    const r = await this.db.kernelJobs.where('[datasetId+template+createdAtMs]').between([datasetId, template, -Infinity], [datasetId, template, Infinity]).last();
    return r ? toRecord(r) : null;
  }
  async getBatch(id: string) {
    return (await this.db.kernelBatches.get(id)) ?? null;
  }
  async listJobs(filter: { studyId?: string; limit?: number }) {
    const c = filter.studyId ? this.db.kernelJobs.where('studyId').equals(filter.studyId) : this.db.kernelJobs.toCollection();
    return (await c.toArray()).sort((a, b) => b.createdAtMs - a.createdAtMs).slice(0, filter.limit ?? 100).map(toRecord);
  }

  /** Puts every job whose runner's lease lapsed (a tab that died) back to pending; returns their ids. */
  async recover(): Promise<string[]> {
    const now = this.clock();
    return this.db.transaction('rw', this.db.kernelJobs, async () => {
      const stale = await this.db.kernelJobs.where('status').anyOf('running', 'starting').filter((j) => !(j.leaseUntilMs! > now)).toArray();
      for (const j of stale) await this.db.kernelJobs.update(j.id, { status: 'pending', runnerId: undefined, leaseUntilMs: undefined, reason: `re-run: the tab running it closed (attempt ${Number(j.attempts ?? 0) + 1} next)` });
      return stale.map((j) => j.id);
    });
  }

  /** Claims the oldest pending job for this runner, or null. */
  async claim(): Promise<JobRecord | null> {
    const now = this.clock();
    return this.db.transaction('rw', this.db.kernelJobs, async () => {
      const next = await this.db.kernelJobs.where('status').equals('pending').sortBy('createdAtMs');
      const j = next[0];
      if (!j) return null;
      const patch = { status: 'running', runnerId: this.runnerId, leaseUntilMs: now + LEASE_MS, startedAtMs: now, attempts: Number(j.attempts ?? 0) + 1 };
      await this.db.kernelJobs.update(j.id, patch);
      return toRecord({ ...j, ...patch });
    });
  }

  /** Writes a patch if this runner still holds the job and it has not ended: true when written. */
  private async own(id: string, patch: Partial<KernelJobRow>): Promise<boolean> {
    return this.db.transaction('rw', this.db.kernelJobs, async () => {
      const j = await this.db.kernelJobs.get(id);
      if (!j || j.runnerId !== this.runnerId || j.status === 'succeeded' || j.status === 'failed') return false;
      await this.db.kernelJobs.update(id, patch);
      return true;
    });
  }

  /** Runs one claimed job to its end. */
  async execute(job: JobRecord): Promise<void> {
    const renew = setInterval(() => void this.own(job.id, { leaseUntilMs: this.clock() + LEASE_MS }).catch(() => undefined), LEASE_MS / 3);
    let last = 0;
    try {
      const r = await runJob(job, this.deps, (fraction, message) => {
        const now = this.clock();
        if (now - last < 250 && fraction < 1) return;
        last = now;
        void this.own(job.id, { progress: { fraction, message } }).catch(() => undefined);
      }).catch((e: unknown) => ({ status: 'failed' as const, reason: `Internal error: ${e instanceof Error ? e.message : String(e)}` }));
      await this.own(job.id, r.status === 'succeeded' ? { status: 'succeeded', outputs: r.outputs, stoppedAtMs: this.clock(), leaseUntilMs: undefined } : { status: 'failed', reason: r.reason, stoppedAtMs: this.clock(), leaseUntilMs: undefined });
    } finally {
      clearInterval(renew);
    }
  }

  /** Recovers lapsed jobs, then runs pending ones one at a time until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      await this.recover();
      while (this.running) {
        const job = await this.claim();
        if (job) await this.execute(job);
        else await new Promise<void>((r) => {
          this.wake = r;
          setTimeout(r, 1000);
        });
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Resolves when no job is pending or held by this runner (tests). */
  async idle(): Promise<void> {
    for (;;) {
      const open = await this.db.kernelJobs.where('status').anyOf('pending', 'running').count();
      if (!open) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
