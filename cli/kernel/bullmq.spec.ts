// Kernel jobs on BullMQ over a private redis-server (tests/kernel/redis.ts): `kernel serve --redis`
// in this process, `kernel worker` as two child processes. A batch of 20 datasets with one worker
// SIGKILLed mid-job ends with all 20 SUCCEEDED, each run to completion exactly once, nothing
// half-written left, and the same outputs as a single-process run; a job whose file is gone for a
// moment is retried and succeeds; Redis going away mid-batch makes the server answer 503 and the jobs
// resume when it returns.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasShared } from '../../tests/support/shared';
import { hasRedis, startRedis, type TestRedis } from '../../tests/kernel/redis';
import { MemoryOutputStore } from '../../src/lib/kernel/outputs';
import { runJob } from '../../src/lib/kernel/service';
import { bidsFolder, eventually } from '../../tests/kernel/support';
import { startKernelServer, type KernelServer } from '../commands/kernel';
import { folderStudy } from './stores';
import { completionsKey } from './bullmq';

const RUNS = ['edf/S001R04.edf', 'edf/S001R08.edf', 'edf/S001R12.edf'];

function spawnWorker(redis: string, data: string, outputs: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/neurotab.ts', 'kernel', 'worker', '--redis', redis, '--data', data, '--outputs', outputs], {
    env: { ...process.env, NEUROTAB_KERNEL_LOCK_MS: '3000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((ok, no) => {
    let out = '';
    const t = setTimeout(() => no(new Error(`worker did not start: ${out}`)), 60_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('Kernel worker on')) {
        clearTimeout(t);
        ok(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => no(new Error(`worker exited ${code}: ${out}`)));
  });
}

/** Without the report's creation time (the only field that differs between two runs). */
const stable = (json: string) => {
  const j = JSON.parse(json);
  delete j.created_at;
  return j;
};

describe.skipIf(!hasShared || !hasRedis)('Kernel jobs on BullMQ / Redis', () => {
  let redis: TestRedis;
  let data: string;
  let outputs: string;
  let server: KernelServer;
  const workers: ChildProcess[] = [];
  const api = (path: string, init?: RequestInit) => fetch(`${server.url}/api/v1/study/${server.alias}${path}`, init);

  beforeAll(async () => {
    redis = await startRedis();
    data = bidsFolder(Array.from({ length: 20 }, (_, i) => [`sub-${String(i + 1).padStart(2, '0')}/eeg/sub-${String(i + 1).padStart(2, '0')}_task-motor_eeg.edf`, RUNS[i % 3]] as [string, string]));
    outputs = mkdtempSync(join(tmpdir(), 'ntk-redis-out-'));
    server = await startKernelServer({ data, outputs, port: 0, host: '127.0.0.1', redis: redis.url });
    workers.push(...(await Promise.all([spawnWorker(redis.url, data, outputs), spawnWorker(redis.url, data, outputs)])));
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await server?.close();
    await redis?.dispose();
    rmSync(data, { recursive: true, force: true });
    rmSync(outputs, { recursive: true, force: true });
  });

  const batchStatus = async (id: string) => (await api(`/pipeline/qc_eeg/batch/${id}/status`)).json();

  it('a batch of 20 with one of 2 workers SIGKILLed mid-job: all SUCCEEDED exactly once, outputs as a single-process run', async () => {
    const ids = (await (await api('/datasets')).json()).datasets.map((d: { id: string }) => d.id);
    expect(ids).toHaveLength(20);
    const r = await (await api('/pipeline/qc_eeg/batch', { method: 'POST', body: JSON.stringify({ dataset_ids: ids }) })).json();
    // Both workers busy, some jobs done: kill one in the middle of its job.
    await eventually(async () => (await batchStatus(r.batch_job_id)).jobs.filter((j: { status: string }) => j.status === 'SUCCEEDED').length >= 3, { timeoutMs: 60_000, what: 'three jobs done' });
    const killed = workers.shift()!;
    killed.kill('SIGKILL');
    await eventually(async () => (await batchStatus(r.batch_job_id)).status === 'SUCCEEDED', { timeoutMs: 120_000, intervalMs: 250, what: 'the batch to succeed' });
    const done = await batchStatus(r.batch_job_id);
    expect(done.jobs.map((j: { status: string }) => j.status)).toEqual(Array(20).fill('SUCCEEDED'));

    const client = new Redis(redis.url);
    client.on('error', () => undefined);
    try {
      const records = await Promise.all(done.jobs.map(async (j: { job_id: string }) => {
        const uid = `${j.job_id.slice(0, 8)}-${j.job_id.slice(8, 12)}-${j.job_id.slice(12, 16)}-${j.job_id.slice(16, 20)}-${j.job_id.slice(20)}`;
        return { uid, completions: Number(await client.get(completionsKey(uid))), rec: JSON.parse((await client.get(`ntk:job:${uid}`))!) };
      }));
      expect(records.map((x) => x.completions)).toEqual(Array(20).fill(1));
      // The killed worker's job was started again by the other.
      expect(records.some((x) => x.rec.attempts >= 2)).toBe(true);
      // No temporary file survives, and each job directory holds exactly its outputs.
      for (const x of records) expect(readdirSync(join(outputs, x.uid)).sort()).toEqual(['qc_eeg.html', 'qc_eeg.json']);
      // The same outputs as one process running the same jobs.
      const { store } = await folderStudy(data);
      for (const x of records.slice(0, 6)) {
        const mem = new MemoryOutputStore();
        const single = await runJob(x.rec, { studies: store, outputs: mem });
        expect(single.status).toBe('succeeded');
        const mine = new TextDecoder().decode(mem.files.get(`${x.rec.id}/qc_eeg.json`)!);
        expect(stable(readFileSync(join(outputs, x.uid, 'qc_eeg.json'), 'utf8'))).toEqual(stable(mine));
      }
    } finally {
      client.disconnect();
    }
  }, 240_000);

  it('an error that is not the dataset\'s fault (its file gone for a moment) is retried and the job SUCCEEDS on a later attempt', async () => {
    const rel = 'sub-07/eeg/sub-07_task-motor_eeg.edf';
    const id = (await (await api('/datasets')).json()).datasets.find((d: { meta: { name: string } }) => d.meta.name === rel).id;
    const link = join(data, rel);
    const target = readlinkSync(link);
    unlinkSync(link);
    const r = await (await api(`/dataset/${id}/pipeline/qc_eeg`, { method: 'POST', body: JSON.stringify({ params: { highpass_hz: 2 } }) })).json();
    const client = new Redis(redis.url);
    client.on('error', () => undefined);
    const uid = `${r.job_id.slice(0, 8)}-${r.job_id.slice(8, 12)}-${r.job_id.slice(12, 16)}-${r.job_id.slice(16, 20)}-${r.job_id.slice(20)}`;
    try {
      // The first attempt fails (ENOENT) and waits for its back-off; the file comes back meanwhile.
      await eventually(async () => /ENOENT/.test((await client.hget(`bull:neurotab-kernel:${uid}`, 'failedReason')) ?? ''), { timeoutMs: 30_000, what: 'the first attempt to fail' });
      symlinkSync(target, link);
      await eventually(async () => (await (await api(`/dataset/${id}/pipeline/qc_eeg/status`)).json()).status === 'SUCCEEDED', { timeoutMs: 60_000, intervalMs: 250, what: 'the retried job to succeed' });
      expect(JSON.parse((await client.get(`ntk:job:${uid}`))!).attempts).toBeGreaterThanOrEqual(2);
    } finally {
      client.disconnect();
      if (!existsSync(link)) symlinkSync(target, link);
    }
  }, 120_000);

  it('Redis going away mid-batch: 503 with Retry-After meanwhile, the jobs resume when it returns', async () => {
    const ids = (await (await api('/datasets')).json()).datasets.map((d: { id: string }) => d.id).slice(0, 6);
    const r = await (await api('/pipeline/qc_eeg/batch', { method: 'POST', body: JSON.stringify({ dataset_ids: ids, params: { highpass_hz: 1 } }) })).json();
    expect((await batchStatus(r.batch_job_id)).status).toBe('RUNNING');
    await redis.stop();
    const st = await api(`/pipeline/qc_eeg/batch/${r.batch_job_id}/status`);
    expect(st.status).toBe(503);
    expect(st.headers.get('Retry-After')).toBe('1');
    expect((await st.json()).detail).toMatch(/^Job queue unavailable/);
    const run = await api(`/dataset/${ids[0]}/pipeline/qc_eeg`, { method: 'POST' });
    expect(run.status).toBe(503);
    await redis.start();
    await eventually(async () => {
      const s = await api(`/pipeline/qc_eeg/batch/${r.batch_job_id}/status`);
      return s.status === 200 && (await s.json()).status === 'SUCCEEDED';
    }, { timeoutMs: 120_000, intervalMs: 500, what: 'the batch to resume and succeed' });
  }, 240_000);
});
