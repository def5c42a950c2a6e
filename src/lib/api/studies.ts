// Native studies API (API.md §12), mounted at /bci/v1/studies: studies, their participants, the
// library recordings assigned to them as datasets (in bulk, all or none) and their Kernel jobs — what
// the Kernel family (§8) reads. Native error envelope. Runs wherever the routers run; depends only on
// the StudiesBackend seam (a StudyStore plus the job list). Must not run jobs.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { ApiError, FamilyRoutes, json, normalizedGetPath, readJsonBody } from './http';
import { nativeEnvelope } from './native';
import type { DatasetAssignment, JobQueue, StudyStore } from '../kernel/model';
import { STUDY_ID } from '../kernel/ids';

/** What the studies routes need: the study store and the job list. */
export type StudiesBackend = StudyStore & Pick<JobQueue, 'listJobs'>;

const MAX_ASSIGN = 1000;
const bad = (message: string) => new ApiError(400, 'BAD_REQUEST', message);
const notFound = (what: string) => new ApiError(404, 'NOT_FOUND', what);

const StudyBody = z.object({ name: z.string().min(1).max(200), description: z.string().max(4000).optional(), organization: z.string().max(200).optional(), alias: z.string().regex(STUDY_ID).optional() }).strict();
const ParticipantBody = z.object({ participant_id: z.string().min(1).max(200), status: z.enum(['active', 'pending', 'inactive']).optional() }).strict();
const AssignBody = z
  .object({
    datasets: z
      .array(z.object({ recording_id: z.string().min(1), participant: z.string().min(1).max(200).optional(), participant_uid: z.string().optional(), name: z.string().max(200).optional(), description: z.string().max(4000).optional(), experiment: z.string().max(200).optional() }).strict())
      .min(1)
      .max(MAX_ASSIGN),
  })
  .strict();

async function body<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const v = await readJsonBody(c, nativeEnvelope, { maxBytes: 1 << 20, pythonTokens: false });
  const r = schema.safeParse(v ?? {});
  if (!r.success) throw bad(`Invalid body: ${r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** A store failure about a missing or conflicting thing → 400/404 with its words. */
async function store<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    if (/^no (study|participant|recording)/.test(m)) throw notFound(m);
    if (/already has the alias|is not in this study|still being/.test(m)) throw new ApiError(409, 'CONFLICT', m);
    throw e;
  }
}

export function createStudiesApp(backend: StudiesBackend | null, mount = '/bci/v1/studies'): Hono {
  const app = new Hono({ getPath: normalizedGetPath });
  const routes = new FamilyRoutes(app, nativeEnvelope);
  const be = (): StudiesBackend => {
    if (!backend) throw new ApiError(503, 'ENGINE_UNAVAILABLE', 'Studies unavailable: no app tab hosts them; open the app and try again', undefined, { 'Retry-After': '1' });
    return backend;
  };
  const study = async (c: Context) => {
    const s = await be().findStudy({ uid: c.req.param('id') ?? '' });
    if (!s) throw notFound(`No study ${c.req.param('id')}`);
    return s;
  };
  const p = (path: string) => `${mount}${path}`;

  routes.on('GET', mount, async () => json({ studies: await be().listStudies() }), { summary: 'List studies', ok: { status: 200, description: '{"studies": Study[]}' } });
  routes.on('POST', mount, async (c) => json(await store(async () => be().createStudy(await body(c, StudyBody))), 201), { summary: 'Create a study', body: StudyBody, ok: { status: 201, description: 'Study' }, errors: ['CONFLICT'] });
  routes.on('GET', p('/unassigned'), async () => json({ recordings: await be().listUnassigned() }), { summary: 'Library recordings no study holds yet (for bulk assignment)', ok: { status: 200, description: '{"recordings": [...]}' } });
  routes.on('GET', p('/:id'), async (c) => json(await study(c)), { summary: 'One study', ok: { status: 200, description: 'Study' } });
  routes.on('PATCH', p('/:id'), async (c) => {
    const s = await study(c);
    if (s.readOnly) throw new ApiError(405, 'READ_ONLY', 'This study is read from a folder and cannot be edited here');
    return json(await store(async () => be().updateStudy(s.id, await body(c, StudyBody.partial()))));
  }, { summary: 'Edit a study', body: StudyBody.partial(), ok: { status: 200, description: 'Study' }, errors: ['CONFLICT', 'READ_ONLY'] });
  routes.on('DELETE', p('/:id'), async (c) => {
    const s = await study(c);
    await be().deleteStudy(s.id);
    return new Response(null, { status: 204 });
  }, { summary: 'Delete a study and its participants (its recordings stay in the library, unassigned)', ok: { status: 204, description: 'Deleted' } });
  routes.on('GET', p('/:id/participants'), async (c) => json({ participants: await be().listParticipants((await study(c)).id) }), { summary: "A study's participants", ok: { status: 200, description: '{"participants": [...]}' } });
  routes.on('POST', p('/:id/participants'), async (c) => {
    const s = await study(c);
    const b = await body(c, ParticipantBody);
    return json(await be().createParticipant({ studyId: s.id, externalId: b.participant_id, status: b.status ?? 'active' }), 201);
  }, { summary: 'Add a participant', body: ParticipantBody, ok: { status: 201, description: 'Participant' } });
  routes.on('PATCH', p('/:id/participants/:pid'), async (c) => {
    const s = await study(c);
    const b = await body(c, ParticipantBody.partial());
    const pid = c.req.param('pid') ?? '';
    if (!(await be().listParticipants(s.id)).some((x) => x.id === pid)) throw notFound(`No participant ${pid} in this study`);
    return json(await store(() => be().updateParticipant(pid, { ...(b.participant_id ? { externalId: b.participant_id } : {}), ...(b.status ? { status: b.status } : {}) })));
  }, { summary: 'Edit a participant', body: ParticipantBody.partial(), ok: { status: 200, description: 'Participant' } });
  routes.on('GET', p('/:id/datasets'), async (c) => json({ datasets: await be().listDatasets((await study(c)).id) }), { summary: "A study's datasets", ok: { status: 200, description: '{"datasets": [...]}' } });
  routes.on('POST', p('/:id/datasets'), async (c) => {
    const s = await study(c);
    const b = await body(c, AssignBody);
    const items: DatasetAssignment[] = b.datasets.map((d) => ({ recordingId: d.recording_id, participant: d.participant, participantId: d.participant_uid, name: d.name, description: d.description, experiment: d.experiment }));
    return json({ datasets: await store(() => be().assignDatasets(s.id, items)) });
  }, { summary: 'Assign library recordings to the study (bulk; all or none)', body: AssignBody, ok: { status: 200, description: '{"datasets": [...]}' }, errors: ['CONFLICT'] });
  routes.on('DELETE', p('/:id/datasets/:did'), async (c) => {
    const s = await study(c);
    const d = await be().getDataset(c.req.param('did') ?? '');
    if (!d || d.studyId !== s.id) throw notFound(`No dataset ${c.req.param('did')} in this study`);
    await be().unassignDataset(d.id);
    return new Response(null, { status: 204 });
  }, { summary: 'Take a recording out of the study (it stays in the library)', ok: { status: 204, description: 'Unassigned' } });
  routes.on('GET', p('/:id/jobs'), async (c) => {
    const s = await study(c);
    const limit = Number(c.req.query('limit') ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw bad('limit must be a whole number from 1 to 1000');
    return json({ jobs: await be().listJobs({ studyId: s.id, limit }) });
  }, { summary: "A study's Kernel jobs, newest first, with status, progress and outputs", query: { limit: '1–1000, default 100' }, ok: { status: 200, description: '{"jobs": Job[]}' } });
  return routes.finish(mount);
}
