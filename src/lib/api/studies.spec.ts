// The native studies routes through createApi().request(): create/edit/delete studies, participants,
// bulk assignment of library recordings (all or none), unassignment, the job list, and the errors in
// the native envelope; then the Kernel family sees what they made.
import { describe, expect, it } from 'vitest';
import { createApi } from './index';
import { hex32 } from '../kernel/ids';
import { LocalJobQueue, MemoryStudyStore } from '../kernel/memory';
import { MemoryOutputStore } from '../kernel/outputs';
import { KernelService } from '../kernel/service';
import { newSecret } from '../kernel/signing';
import type { Backend } from './backend';

function setup() {
  const studies = new MemoryStudyStore();
  for (const [id, participant] of [['0187f1c2-a9b4-7c3e-8d2f-5a6b7c8d9e01', 'sub-01'], ['0187f1c2-a9b4-7c3e-8d2f-5a6b7c8d9e02', undefined]] as const)
    studies.addRecording(id, { name: `rec-${id.slice(-2)}.edf`, kinds: ['eeg'], createdAtMs: 1, byteSize: 10, participant }, async () => {
      throw new Error('not read in these tests');
    });
  const outputs = new MemoryOutputStore();
  const queue = new LocalJobQueue({ studies, outputs });
  const backend = new Proxy({}, { get: () => async () => ({}) }) as Backend;
  const kernel = new KernelService(studies, queue, outputs, () => ({ authEnabled: false, keyHashes: [], secretHex: newSecret() }));
  const app = createApi(backend, { studies: Object.assign(studies, { listJobs: queue.listJobs.bind(queue) }), kernel });
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await app.request(`http://localhost${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }) });
    return { status: r.status, json: r.status === 204 ? null : await r.json() };
  };
  return { call };
}

describe('native studies API', () => {
  it('creates a study, adds participants, assigns recordings in bulk, and Kernel lists them as datasets', async () => {
    const { call } = setup();
    const created = await call('POST', '/bci/v1/studies', { name: 'Finger tapping', alias: '000000000000000' });
    expect(created.status).toBe(201);
    const id = created.json.id;
    expect((await call('GET', '/bci/v1/studies')).json.studies.map((s: any) => s.name)).toEqual(['Finger tapping']);
    const part = await call('POST', `/bci/v1/studies/${id}/participants`, { participant_id: 'sub-02', status: 'pending' });
    expect(part.json).toMatchObject({ externalId: 'sub-02', status: 'pending' });
    expect((await call('GET', '/bci/v1/studies/unassigned')).json.recordings).toHaveLength(2);
    const assigned = await call('POST', `/bci/v1/studies/${id}/datasets`, { datasets: [{ recording_id: '0187f1c2-a9b4-7c3e-8d2f-5a6b7c8d9e01', experiment: 'tapping' }, { recording_id: '0187f1c2-a9b4-7c3e-8d2f-5a6b7c8d9e02', participant_uid: part.json.id }] });
    expect(assigned.status).toBe(200);
    expect(assigned.json.datasets).toHaveLength(2);
    expect((await call('GET', '/bci/v1/studies/unassigned')).json.recordings).toEqual([]);
    const k = await call('GET', '/kernel/api/v1/study/000000000000000/datasets');
    expect(k.json.datasets.map((d: any) => [d.id, d.participant.participant_id, d.participant.pending])).toEqual([[hex32('0187f1c2-a9b4-7c3e-8d2f-5a6b7c8d9e01'), 'sub-01', false], [hex32('0187f1c2-a9b4-7c3e-8d2f-5a6b7c8d9e02'), 'sub-02', true]]);
    expect((await call('PATCH', `/bci/v1/studies/${id}`, { description: 'pilot' })).json.description).toBe('pilot');
    expect((await call('DELETE', `/bci/v1/studies/${id}/datasets/0187f1c2-a9b4-7c3e-8d2f-5a6b7c8d9e02`)).status).toBe(204);
    expect((await call('GET', `/bci/v1/studies/${id}/datasets`)).json.datasets).toHaveLength(1);
    expect((await call('GET', `/bci/v1/studies/${id}/jobs`)).json.jobs).toEqual([]);
    expect((await call('DELETE', `/bci/v1/studies/${id}`)).status).toBe(204);
    expect((await call('GET', '/bci/v1/studies/unassigned')).json.recordings).toHaveLength(2);
  });

  it('refuses bad bodies, unknown studies and recordings (nothing assigned), duplicate aliases, wrong methods', async () => {
    const { call } = setup();
    const { json: s } = await call('POST', '/bci/v1/studies', { name: 'A', alias: 'a1' });
    const e1 = await call('POST', '/bci/v1/studies', { name: '' });
    expect(e1.status).toBe(400);
    expect(e1.json.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^Invalid body: name/) });
    expect((await call('POST', '/bci/v1/studies', { name: 'B', alias: 'a1' })).status).toBe(409);
    expect((await call('POST', '/bci/v1/studies', { name: 'B', colour: 'red' })).status).toBe(400);
    expect((await call('GET', '/bci/v1/studies/nope')).status).toBe(404);
    const partial = await call('POST', `/bci/v1/studies/${s.id}/datasets`, { datasets: [{ recording_id: '0187f1c2-a9b4-7c3e-8d2f-5a6b7c8d9e01' }, { recording_id: 'missing' }] });
    expect(partial.status).toBe(404);
    expect(partial.json.error.message).toMatch(/no recording missing/);
    expect((await call('GET', `/bci/v1/studies/${s.id}/datasets`)).json.datasets).toEqual([]);
    expect((await call('POST', `/bci/v1/studies/${s.id}/datasets`, { datasets: [] })).status).toBe(400);
    expect((await call('PUT', `/bci/v1/studies/${s.id}`, {})).status).toBe(405);
    expect((await call('GET', `/bci/v1/studies/${s.id}/jobs?limit=0`)).status).toBe(400);
  });
});
