// The Kernel family through app.request(): every route of API.md §8.2 with its shapes and codes, the
// /api/vi/ and study aliases, API keys, signed asset links (forged, expired, Range, media types), the
// status vocabulary and batches, 507 and 503 — over real recordings of shared/data run by the
// in-process queue (the same runJob as every runner).
import { beforeEach, describe, expect, it } from 'vitest';
import { sharedBytes, hasShared } from '../../../tests/support/shared';
import { readRecording } from '../formats/index';
import { hex32 } from '../kernel/ids';
import { LocalJobQueue, MemoryStudyStore } from '../kernel/memory';
import { MemoryOutputStore } from '../kernel/outputs';
import { KernelService, type KernelSettings } from '../kernel/service';
import { apiKeyHash, newApiKey, newSecret } from '../kernel/signing';
import { aggregateStatus, createKernelApp } from './kernel';
import { RUNNERS } from '../kernel/runners';

const FILES = ['edf/S001R04.edf', 'edf/S001R08.edf', 'snirf/neuro_run01.snirf'];

async function setup(o: { capacityBytes?: number; settings?: Partial<KernelSettings> } = {}) {
  const studies = new MemoryStudyStore();
  const ids = ['0187f1c2-a9b4-7c3e-8d2f-5a6b7c8d9e01', '0187f1c2-a9b4-7c3e-8d2f-5a6b7c8d9e02', '0187f1c2-a9b4-7c3e-8d2f-5a6b7c8d9e03'];
  FILES.forEach((rel, i) => {
    const bytes = sharedBytes(`data/${rel}`);
    const name = rel.split('/')[1];
    studies.addRecording(ids[i], { name, kinds: [rel.startsWith('edf') ? 'eeg' : 'fnirs'], createdAtMs: 1717003600000 + i, byteSize: bytes.byteLength, participant: 'sub-001' }, async () => ({ recording: await readRecording(bytes, name), file: { name, bytes } }));
  });
  const study = await studies.createStudy({ name: 'Finger tapping', alias: '000000000000000' });
  await studies.assignDatasets(study.id, ids.map((recordingId) => ({ recordingId, experiment: 'finger_tapping' })));
  const outputs = new MemoryOutputStore(o.capacityBytes ?? null);
  const queue = new LocalJobQueue({ studies, outputs });
  const settings: KernelSettings = { authEnabled: false, keyHashes: [], secretHex: newSecret(), ...o.settings };
  let nowMs = Date.UTC(2026, 0, 1);
  const service = new KernelService(studies, queue, outputs, () => settings);
  const app = createKernelApp(service, '/kernel', () => nowMs);
  return { app, queue, study, ids: ids.map(hex32), settings, advance: (ms: number) => (nowMs += ms), base: `http://localhost/kernel/api/v1/study/${hex32(study.id)}` };
}

type Setup = Awaited<ReturnType<typeof setup>>;
const get = (s: Setup, url: string, init?: RequestInit) => s.app.request(url, init);

describe.skipIf(!hasShared)('Kernel family', () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup();
  });

  it('lists a study\'s datasets in Kernel\'s shape, by hex, dashed id or alias, under /api/v1, /api/vi and without /datasets', async () => {
    const r = await get(s, `${s.base}/datasets`);
    expect(r.status).toBe(200);
    const { datasets } = await r.json();
    expect(datasets.map((d: any) => d.id)).toEqual(s.ids);
    const d = datasets[0];
    expect(d.meta).toEqual({ name: 'S001R04.edf', description: '', experiment: 'finger_tapping' });
    expect(d.participant).toMatchObject({ participant_id: 'sub-001', active: true, pending: false, status: 'active' });
    expect(d.participant.id).toMatch(/^[0-9a-f]{32}$/);
    expect(d.created_date).toBe(1717003600);
    for (const url of [`http://localhost/kernel/api/vi/study/${s.study.id}/datasets`, `http://localhost/kernel/api/v1/study/000000000000000`, `http://localhost/kernel/api/vi/study/${hex32(s.study.id).toUpperCase()}`]) {
      const a = await get(s, url);
      expect(a.status, url).toBe(200);
      expect((await a.json()).datasets.length).toBe(3);
    }
    const missing = await get(s, 'http://localhost/kernel/api/v1/study/ffffffffffffffffffffffffffffffff/datasets');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: 'Study not found' });
  });

  it('runs qc_eeg, reports SUCCEEDED with signed URLs and sizes in MB, and serves each output with its media type', async () => {
    const run = await get(s, `${s.base}/dataset/${s.ids[0]}/pipeline/qc_eeg`, { method: 'POST' });
    expect(run.status).toBe(200);
    const { job_id } = await run.json();
    expect(job_id).toMatch(/^[0-9a-f]{32}$/);
    await s.queue.idle();
    const st = await (await get(s, `${s.base}/dataset/${s.ids[0]}/pipeline/qc_eeg/status`)).json();
    expect(st.job_id).toBe(job_id);
    expect(st.status).toBe('SUCCEEDED');
    expect(Object.keys(st.signed_urls.urls)).toEqual(['qc_eeg.html', 'qc_eeg.json']);
    expect(st.signed_urls.batch_job_id).toMatch(/^[0-9a-f]{32}$/);
    expect(st.signed_urls.execution_id).toMatch(/^[0-9a-f]{32}$/);
    for (const [file, url] of Object.entries<string>(st.signed_urls.urls)) {
      expect(url).toMatch(new RegExp(`^http://localhost/kernel/assets/${job_id}/${file}\\?expires=\\d+&sig=[0-9a-f]{64}$`));
      const r = await get(s, url);
      expect(r.status).toBe(200);
      expect(r.headers.get('Content-Type')).toBe(file.endsWith('.html') ? 'text/html; charset=utf-8' : 'application/json');
      expect(r.headers.get('Content-Disposition')).toBe(`attachment; filename="${file}"`);
      const body = new Uint8Array(await r.arrayBuffer());
      expect(body.byteLength / 1e6).toBeCloseTo(st.signed_urls.sizes[file], 12);
      // Ranges: first bytes, a suffix, an open end; unsatisfiable → 416.
      const part = await get(s, url, { headers: { Range: 'bytes=0-9' } });
      expect(part.status).toBe(206);
      expect(part.headers.get('Content-Range')).toBe(`bytes 0-9/${body.byteLength}`);
      expect(new Uint8Array(await part.arrayBuffer())).toEqual(body.slice(0, 10));
      const tail = await get(s, url, { headers: { Range: 'bytes=-5' } });
      expect(new Uint8Array(await tail.arrayBuffer())).toEqual(body.slice(-5));
      const open = await get(s, url, { headers: { Range: `bytes=${body.byteLength - 3}-` } });
      expect(new Uint8Array(await open.arrayBuffer())).toEqual(body.slice(-3));
      const bad = await get(s, url, { headers: { Range: `bytes=${body.byteLength}-` } });
      expect(bad.status).toBe(416);
      expect(bad.headers.get('Content-Range')).toBe(`bytes */${body.byteLength}`);
    }
  });

  it('signs links for the loopback address a bridge forwards, never for another host', async () => {
    await get(s, `${s.base}/dataset/${s.ids[0]}/pipeline/qc_eeg`, { method: 'POST' });
    await s.queue.idle();
    const via = async (host: string) => Object.values<string>((await (await get(s, `${s.base}/dataset/${s.ids[0]}/pipeline/qc_eeg/status`, { headers: { 'X-Forwarded-Host': host } })).json()).signed_urls.urls)[0];
    expect(await via('127.0.0.1:8050')).toMatch(/^http:\/\/127\.0\.0\.1:8050\/kernel\/assets\//);
    expect(await via('evil.example')).toMatch(/^http:\/\/localhost\/kernel\/assets\//);
  });

  it('refuses forged and expired links with 403 and says which', async () => {
    await get(s, `${s.base}/dataset/${s.ids[0]}/pipeline/qc_eeg`, { method: 'POST' });
    await s.queue.idle();
    const st = await (await get(s, `${s.base}/dataset/${s.ids[0]}/pipeline/qc_eeg/status`)).json();
    const url = new URL(st.signed_urls.urls['qc_eeg.html']);
    const other = new URL(url);
    other.pathname = other.pathname.replace('qc_eeg.html', 'qc_eeg.json');
    const longer = new URL(url);
    longer.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    const noSig = new URL(url);
    noSig.searchParams.delete('sig');
    for (const u of [other, longer, noSig]) {
      const r = await get(s, u.href);
      expect(r.status, u.href).toBe(403);
      expect(await r.json()).toEqual({ detail: 'Invalid signature' });
    }
    s.advance(3601 * 1000);
    const late = await get(s, url.href);
    expect(late.status).toBe(403);
    expect((await late.json()).detail).toMatch(/^Signed URL expired/);
    // A fresh status signs fresh links.
    const again = await (await get(s, `${s.base}/dataset/${s.ids[0]}/pipeline/qc_eeg/status`)).json();
    expect((await get(s, again.signed_urls.urls['qc_eeg.html'])).status).toBe(200);
  });

  it('ends a pipeline that does not fit the dataset FAILED with its reason (qc_eeg on fNIRS); the run call itself succeeds', async () => {
    const run = await get(s, `${s.base}/dataset/${s.ids[2]}/pipeline/qc_eeg`, { method: 'POST' });
    expect(run.status).toBe(200);
    await s.queue.idle();
    const st = await (await get(s, `${s.base}/dataset/${s.ids[2]}/pipeline/qc_eeg/status`)).json();
    expect(st.status).toBe('FAILED');
    expect(st.signed_urls).toBeNull();
    expect(st.reason).toMatch(/^qc_eeg needs EEG channels; this dataset has 2 streams/);
  });

  it('reports the most recent run; unknown pipeline 400, unknown dataset 404, no run yet 404', async () => {
    expect(await (await get(s, `${s.base}/dataset/${s.ids[0]}/pipeline/qc_eeg/status`)).json()).toEqual({ detail: 'No pipeline run found' });
    const a = await (await get(s, `${s.base}/dataset/${s.ids[0]}/pipeline/qc_eeg`, { method: 'POST' })).json();
    const b = await (await get(s, `${s.base}/dataset/${s.ids[0]}/pipeline/qc_eeg`, { method: 'POST', body: JSON.stringify({ params: { highpass_hz: 1 } }), headers: { 'Content-Type': 'application/json' } })).json();
    expect(b.job_id).not.toBe(a.job_id);
    await s.queue.idle();
    expect((await (await get(s, `${s.base}/dataset/${s.ids[0]}/pipeline/qc_eeg/status`)).json()).job_id).toBe(b.job_id);
    const unknown = await get(s, `${s.base}/dataset/${s.ids[0]}/pipeline/qc_everything`, { method: 'POST' });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).detail).toMatch(/^Unknown pipeline: qc_everything/);
    expect((await get(s, `${s.base}/dataset/ffffffffffffffffffffffffffffffff/pipeline/qc_eeg`, { method: 'POST' })).status).toBe(404);
    expect((await get(s, `${s.base}/dataset/not-hex/pipeline/qc_eeg/status`)).status).toBe(404);
    const badBody = await get(s, `${s.base}/dataset/${s.ids[0]}/pipeline/qc_eeg`, { method: 'POST', body: '{"params": [1]}', headers: { 'Content-Type': 'application/json' } });
    expect(badBody.status).toBe(400);
    expect(await badBody.json()).toEqual({ detail: '"params" must be a JSON object' });
    const wrongMethod = await get(s, `${s.base}/dataset/${s.ids[0]}/pipeline/qc_eeg`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toEqual({ detail: 'Method Not Allowed' });
  });

  it('runs batches and aggregates their status; validates the list', async () => {
    const r = await get(s, `${s.base}/pipeline/qc_eeg/batch`, { method: 'POST', body: JSON.stringify({ dataset_ids: s.ids }), headers: { 'Content-Type': 'application/json' } });
    expect(r.status).toBe(200);
    const { batch_job_id, job_ids } = await r.json();
    expect(Object.keys(job_ids)).toEqual(s.ids);
    const running = await (await get(s, `${s.base}/pipeline/qc_eeg/batch/${batch_job_id}/status`)).json();
    expect(running.status).toBe('RUNNING');
    await s.queue.idle();
    const done = await (await get(s, `${s.base}/pipeline/qc_eeg/batch/${batch_job_id}/status`)).json();
    expect(done.jobs.map((j: any) => [j.dataset_id, j.job_id, j.status])).toEqual(s.ids.map((d, i) => [d, job_ids[d], i < 2 ? 'SUCCEEDED' : 'FAILED']));
    expect(done.status).toBe('FAILED');
    expect(done.jobs[0].signed_urls.batch_job_id).toBe(batch_job_id);
    for (const body of [{}, { dataset_ids: [] }, { dataset_ids: Array(501).fill(s.ids[0]) }, { dataset_ids: [1] }])
      expect((await get(s, `${s.base}/pipeline/qc_eeg/batch`, { method: 'POST', body: JSON.stringify(body) })).status).toBe(400);
    const missing = await get(s, `${s.base}/pipeline/qc_eeg/batch`, { method: 'POST', body: JSON.stringify({ dataset_ids: [s.ids[0], 'ffffffffffffffffffffffffffffffff'] }) });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: 'Dataset not found: ffffffffffffffffffffffffffffffff' });
    expect((await get(s, `${s.base}/pipeline/qc_eeg/batch/ffffffffffffffffffffffffffffffff/status`)).status).toBe(404);
    expect(aggregateStatus(['succeeded', 'failed', 'running'])).toBe('RUNNING');
    expect(aggregateStatus(['succeeded', 'succeeded'])).toBe('SUCCEEDED');
  });

  it('lists the twelve pipelines', async () => {
    const list = await (await get(s, 'http://localhost/kernel/api/v1/pipelines')).json();
    expect(list.map((p: any) => p.name).sort()).toEqual(['analysis_eeg', 'analysis_nirs_epoched', 'analysis_nirs_glm', 'analysis_task', 'pipeline_snirf_gated', 'qc_eeg', 'qc_nirs', 'qc_nirs_basic', 'qc_syncbox', 'reconstruction', 'snirf_hb_moments', 'snirf_moments']);
    expect(Object.keys(RUNNERS).sort()).toEqual(list.map((p: any) => p.name).sort());
    expect(list.find((p: any) => p.name === 'snirf_hb_moments')).toMatchObject({ label: 'SNIRF: Hb Moments', modality: 'nirs', outputs: ['<dataset_id>_HB_MOMENTS.snirf'] });
  });
});

describe.skipIf(!hasShared)('Kernel API keys, storage and availability', () => {
  it('with auth on: 401 without or with a wrong key; the raw key and Bearer both work; signed assets need no key', async () => {
    const key = newApiKey();
    const s = await setup({ settings: { authEnabled: true, keyHashes: [await apiKeyHash(key)] } });
    for (const h of [{}, { Authorization: 'ntk_wrong' }, { Authorization: `Bearer ${key}x` }] as Record<string, string>[]) {
      const r = await get(s, `${s.base}/datasets`, { headers: h });
      expect(r.status).toBe(401);
      expect(await r.json()).toEqual({ detail: 'Missing or invalid API key' });
    }
    expect((await get(s, `${s.base}/datasets`, { headers: { Authorization: key } })).status).toBe(200);
    expect((await get(s, `${s.base}/datasets`, { headers: { Authorization: `Bearer ${key}` } })).status).toBe(200);
    await get(s, `${s.base}/dataset/${s.ids[0]}/pipeline/qc_eeg`, { method: 'POST', headers: { Authorization: key } });
    await s.queue.idle();
    const st = await (await get(s, `${s.base}/dataset/${s.ids[0]}/pipeline/qc_eeg/status`, { headers: { Authorization: key } })).json();
    expect((await get(s, st.signed_urls.urls['qc_eeg.json'])).status).toBe(200);
  });

  it('507 before queueing when storage is short, and nothing is queued', async () => {
    const s = await setup({ capacityBytes: 1e6 });
    const r = await get(s, `${s.base}/dataset/${s.ids[0]}/pipeline/qc_eeg`, { method: 'POST' });
    expect(r.status).toBe(507);
    expect((await r.json()).detail).toMatch(/^Insufficient storage: qc_eeg on 1 dataset\(s\) needs about 8\.0 MB and 1\.0 MB are free/);
    expect(await (await get(s, `${s.base}/dataset/${s.ids[0]}/pipeline/qc_eeg/status`)).json()).toEqual({ detail: 'No pipeline run found' });
  });

  it('503 with Retry-After when nothing hosts the jobs', async () => {
    const app = createKernelApp(null);
    const r = await app.request('http://localhost/kernel/api/v1/study/1/datasets');
    expect(r.status).toBe(503);
    expect(r.headers.get('Retry-After')).toBe('1');
    expect((await r.json()).detail).toMatch(/^Kernel jobs unavailable/);
  });
});
