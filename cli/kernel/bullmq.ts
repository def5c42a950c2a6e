// Kernel jobs at scale on BullMQ over Redis (Node only): RedisJobQueue, the JobQueue `neurotab kernel
// serve --redis` submits to and reads records from, and startKernelWorker, the BullMQ worker
// `neurotab kernel worker` runs. Job records are JSON under ntk:job:<uid> (batches ntk:batch:<uid>,
// the latest job of a dataset × pipeline ntk:latest:<dataset>:<pipeline>); the BullMQ job id is the
// job uid, so a submission is queued once. Retries: 3 attempts with exponential back-off for errors
// that are not the dataset's fault (a PipelineFailure ends FAILED at once). A killed worker's job is
// picked up again by BullMQ's stalled-job check (lock 10 s); outputs are cleared and rewritten through
// DirOutputStore's temp-and-rename, and a record turns SUCCEEDED only once (a Lua check-and-set).
// While Redis is away the server answers 503 (the serve client does not queue commands offline) and
// workers reconnect and resume on their own.
import { Queue, Worker, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { BatchRecord, JobQueue, JobRecord, StudyStore } from '../../src/lib/kernel/model';
import type { OutputStore } from '../../src/lib/kernel/outputs';
import { KernelFailure, runJob } from '../../src/lib/kernel/service';

export const QUEUE_NAME = 'neurotab-kernel';
const ATTEMPTS = 3;
/** How long a worker's lock on a job lasts without renewal: a killed worker's job is re-run after about this. */
export const LOCK_MS = 10_000;

const jobKey = (id: string) => `ntk:job:${id}`;
const batchKey = (id: string) => `ntk:batch:${id}`;
const latestKey = (datasetId: string, template: string) => `ntk:latest:${datasetId}:${template}`;
const studyJobsKey = (studyId: string) => `ntk:study-jobs:${studyId}`;
/** How many times a worker ran the job to SUCCEEDED. */
export const completionsKey = (id: string) => `ntk:completions:${id}`;

function connection(url: string, o: RedisOptions = {}): Redis {
  const u = new URL(url);
  if (u.protocol !== 'redis:') throw new Error(`--redis must be a redis://HOST:PORT URL, got ${url}`);
  return new Redis({ host: u.hostname, port: Number(u.port || 6379), db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0, ...o });
}

/** Sets a record's fields unless it already ended (SUCCEEDED/FAILED are final): returns 1 when written. */
const UPDATE_UNLESS_FINAL = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local rec = cjson.decode(cur)
if rec.status == 'succeeded' or rec.status == 'failed' then return 0 end
local patch = cjson.decode(ARGV[1])
for k, v in pairs(patch) do rec[k] = v end
redis.call('SET', KEYS[1], cjson.encode(rec))
return 1`;

/** The queue and job records in Redis, for `kernel serve --redis`. */
export class RedisJobQueue implements JobQueue {
  private readonly redis: Redis;
  private readonly queue: Queue;

  constructor(readonly url: string) {
    // Fail fast while Redis is away (→ 503) instead of queueing commands in memory.
    this.redis = connection(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
    this.redis.on('error', () => undefined);
    const queueConnection = connection(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    queueConnection.on('error', () => undefined);
    this.queue = new Queue(QUEUE_NAME, { connection: queueConnection });
    this.queue.on('error', () => undefined);
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw new KernelFailure(503, `Job queue unavailable (Redis at ${this.url}: ${e instanceof Error ? e.message : String(e)}); try again shortly`);
    }
  }

  async health() {
    if (this.redis.status !== 'ready') return { up: false, reason: `Redis at ${this.url} is ${this.redis.status}` };
    try {
      await this.redis.ping();
      return { up: true };
    } catch (e) {
      return { up: false, reason: `Redis at ${this.url}: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  async submit(batch: BatchRecord, jobs: JobRecord[]) {
    await this.call(async () => {
      const m = this.redis.multi().set(batchKey(batch.id), JSON.stringify(batch));
      for (const j of jobs) {
        m.set(jobKey(j.id), JSON.stringify({ ...j, status: 'pending' }));
        m.set(latestKey(j.datasetId, j.template), j.id);
        m.zadd(studyJobsKey(j.studyId), j.createdAtMs, j.id);
      }
      await m.exec();
      await this.queue.addBulk(jobs.map((j) => ({ name: j.template, data: { jobId: j.id }, opts: { jobId: j.id, attempts: ATTEMPTS, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 1000, removeOnFail: 1000 } })));
    });
  }

  async getJob(id: string) {
    const v = await this.call(() => this.redis.get(jobKey(id)));
    if (!v) return null;
    const r = JSON.parse(v) as JobRecord;
    // Lua's cjson writes an empty list as {}.
    return { ...r, outputs: Array.isArray(r.outputs) ? r.outputs : [] };
  }

  async latestJob(datasetId: string, template: string) {
    const id = await this.call(() => this.redis.get(latestKey(datasetId, template)));
    return id ? this.getJob(id) : null;
  }

  async getBatch(id: string) {
    const v = await this.call(() => this.redis.get(batchKey(id)));
    return v ? (JSON.parse(v) as BatchRecord) : null;
  }

  async listJobs(filter: { studyId?: string; limit?: number }) {
    if (!filter.studyId) return [];
    const ids = await this.call(() => this.redis.zrevrange(studyJobsKey(filter.studyId!), 0, (filter.limit ?? 100) - 1));
    const recs = await Promise.all(ids.map((id) => this.getJob(id)));
    return recs.filter((r): r is JobRecord => r !== null);
  }

  async close() {
    await this.queue.close().catch(() => undefined);
    this.redis.disconnect();
  }
}

export interface KernelWorker {
  concurrency: number;
  close(): Promise<void>;
}

/** A BullMQ worker running Kernel jobs (see the header). */
export async function startKernelWorker(o: { redis: string; studies: Pick<StudyStore, 'loadDataset'>; outputs: OutputStore; concurrency?: number; lockMs?: number }): Promise<KernelWorker> {
  const redis = connection(o.redis, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  redis.defineCommand('ntkUpdate', { numberOfKeys: 1, lua: UPDATE_UNLESS_FINAL });
  const update = (id: string, patch: Partial<JobRecord>) => (redis as unknown as { ntkUpdate(k: string, p: string): Promise<number> }).ntkUpdate(jobKey(id), JSON.stringify(patch));
  const concurrency = o.concurrency ?? 1;
  const worker = new Worker(
    QUEUE_NAME,
    async (job: Job<{ jobId: string }>) => {
      const raw = await redis.get(jobKey(job.data.jobId));
      if (!raw) throw new Error(`no record for job ${job.data.jobId}`);
      const rec = JSON.parse(raw) as JobRecord;
      if (rec.status === 'succeeded' || rec.status === 'failed') return rec.status;
      // attemptsStarted counts a start after a stall too (attemptsMade counts failures only).
      const attempt = Math.max(job.attemptsStarted, job.attemptsMade + 1);
      await update(rec.id, { status: 'running', startedAtMs: Date.now(), attempts: attempt, ...(attempt > 1 ? { reason: `re-run (attempt ${attempt})` } : {}) });
      let last = 0;
      const r = await runJob(rec, { studies: o.studies, outputs: o.outputs }, (fraction, message) => {
        const now = Date.now();
        if (now - last < 500 && fraction < 1) return;
        last = now;
        void update(rec.id, { progress: { fraction, message } }).catch(() => undefined);
      });
      // Counted before the final write: a job run to completion twice would show 2 (the tests check 1).
      if (r.status === 'succeeded') await redis.incr(completionsKey(rec.id));
      if (r.status === 'succeeded') await update(rec.id, { status: 'succeeded', outputs: r.outputs, stoppedAtMs: Date.now(), progress: { fraction: 1, message: 'done' } });
      else await update(rec.id, { status: 'failed', reason: r.reason, stoppedAtMs: Date.now() });
      return r.status;
    },
    { connection: redis, concurrency, lockDuration: o.lockMs ?? LOCK_MS, stalledInterval: Math.max(1000, (o.lockMs ?? LOCK_MS) / 2), maxStalledCount: 10 },
  );
  worker.on('error', () => undefined);
  worker.on('failed', (job, err) => {
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) void update(job.data.jobId, { status: 'failed', reason: `Internal error after ${job.attemptsMade} attempts: ${err.message}`, stoppedAtMs: Date.now() }).catch(() => undefined);
  });
  await worker.waitUntilReady();
  return {
    concurrency,
    close: async () => {
      await worker.close();
      redis.disconnect();
    },
  };
}
