// The browser's Kernel stores on IndexedDB (fake-indexeddb): studies and bulk assignment of library
// recordings (all or none), the persisted queue running a real qc_eeg job behind the Kernel routes,
// a tab that dies mid-job (its job re-run at the next start, reported once), and 507 on a small quota.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { hasShared, sharedBytes } from '../../../tests/support/shared';
import { createKernelApp } from '../api/kernel';
import { readRecording } from '../formats/index';
import { NeurotabDb } from '../storage/db';
import { importRecording } from '../storage/library';
import { hex32 } from './ids';
import { DexieStudyStore, IdbJobQueue, IdbOutputStore } from './idb';
import { KernelService, newBatch } from './service';
import { newSecret } from './signing';

async function setup(quotaBytes = 1e10) {
  const db = new NeurotabDb(`kernel-${Math.random()}`);
  await db.open();
  const ids: string[] = [];
  for (const f of ['edf/S001R04.edf', 'snirf/Simple_Probe.snirf']) {
    const name = f.split('/')[1];
    ids.push((await importRecording(db, await readRecording(sharedBytes(`data/${f}`), name), name)).id);
  }
  const studies = new DexieStudyStore(db);
  const outputs = new IdbOutputStore(db, async () => ({ quota: quotaBytes, usage: 0 }));
  let now = Date.UTC(2026, 0, 1);
  const clock = () => now;
  const queue = new IdbJobQueue(db, { studies, outputs }, clock);
  const settings = { authEnabled: false, keyHashes: [], secretHex: newSecret() };
  const service = new KernelService(studies, queue, outputs, () => settings);
  return { db, ids, studies, outputs, queue, clock, advance: (ms: number) => (now += ms), app: createKernelApp(service, '/kernel') };
}

describe.skipIf(!hasShared)('Kernel on IndexedDB', () => {
  it('creates a study, assigns imported recordings in bulk (participants created by label), lists what is left', async () => {
    const s = await setup();
    const study = await s.studies.createStudy({ name: 'Tapping', alias: '1234' });
    expect(await s.studies.listUnassigned()).toHaveLength(2);
    const bad = await s.studies.assignDatasets(study.id, [{ recordingId: s.ids[0], participant: 'sub-01' }, { recordingId: 'nope' }]).catch((e) => e);
    expect(bad.message).toMatch(/no recording nope/);
    expect(await s.studies.listDatasets(study.id)).toEqual([]);
    await s.studies.assignDatasets(study.id, [{ recordingId: s.ids[0], participant: 'sub-01', experiment: 'motor' }, { recordingId: s.ids[1], participant: 'sub-01' }]);
    const ds = await s.studies.listDatasets(study.id);
    expect(ds.map((d) => [d.name, d.kinds])).toEqual([['S001R04.edf', ['eeg']], ['Simple_Probe.snirf', ['fnirs', 'aux']]]);
    expect(new Set(ds.map((d) => d.participantId)).size).toBe(1);
    expect(await s.studies.listUnassigned()).toEqual([]);
    expect((await s.studies.findStudy({ alias: '1234' }))?.id).toBe(study.id);
    await s.db.delete();
  });

  it('runs qc_eeg from the persisted queue behind the Kernel routes, outputs served from IndexedDB', async () => {
    const s = await setup();
    const study = await s.studies.createStudy({ name: 'Tapping' });
    await s.studies.assignDatasets(study.id, [{ recordingId: s.ids[0] }]);
    const base = `http://localhost/kernel/api/v1/study/${hex32(study.id)}/dataset/${hex32(s.ids[0])}/pipeline/qc_eeg`;
    expect((await s.app.request(base, { method: 'POST' })).status).toBe(200);
    expect((await (await s.app.request(`${base}/status`)).json()).status).toBe('PENDING');
    s.queue.start();
    await s.queue.idle();
    await s.queue.stop();
    const st = await (await s.app.request(`${base}/status`)).json();
    expect(st.status).toBe('SUCCEEDED');
    const r = await s.app.request(st.signed_urls.urls['qc_eeg.json']);
    expect(r.status).toBe(200);
    expect((await r.json()).channels).toHaveLength(64);
    await s.db.delete();
  });

  it('a tab that dies mid-job: the job is re-run at the next start and ends SUCCEEDED once; the dead runner cannot report it', async () => {
    const s = await setup();
    const study = await s.studies.createStudy({ name: 'Tapping' });
    await s.studies.assignDatasets(study.id, [{ recordingId: s.ids[0] }]);
    const { batch, jobs } = newBatch(study.id, 'qc_eeg', [s.ids[0]], {});
    await s.queue.submit(batch, jobs);
    const claimed = await s.queue.claim(); // the first tab took it, then closed
    expect(claimed?.id).toBe(jobs[0].id);
    expect((await s.queue.getJob(jobs[0].id))?.status).toBe('running');
    // The next start, after the lapsed lease.
    s.advance(60_000);
    const next = new IdbJobQueue(s.db, { studies: s.studies, outputs: s.outputs }, s.clock);
    expect(await next.recover()).toEqual([jobs[0].id]);
    next.start();
    await next.idle();
    await next.stop();
    const done = (await next.getJob(jobs[0].id))!;
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(2);
    // The first runner wakes up late and finishes its copy: the record is not touched again.
    await s.queue.execute(claimed!);
    expect(await next.getJob(jobs[0].id)).toEqual(done);
    expect((await s.outputs.open(jobs[0].id, 'qc_eeg.html'))?.size).toBeGreaterThan(1000);
    await s.db.delete();
  });

  it('507 when the storage estimate leaves too little room', async () => {
    const s = await setup(2e6);
    const study = await s.studies.createStudy({ name: 'Tapping' });
    await s.studies.assignDatasets(study.id, [{ recordingId: s.ids[0] }]);
    const r = await s.app.request(`http://localhost/kernel/api/v1/study/${hex32(study.id)}/dataset/${hex32(s.ids[0])}/pipeline/qc_eeg`, { method: 'POST' });
    expect(r.status).toBe(507);
    await s.db.delete();
  });
});
