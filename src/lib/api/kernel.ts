// Kernel family (API.md §8), mounted at /kernel: the portal's customer API — datasets of a study, run
// a pipeline on a dataset (or a batch), the most recent run's status with signed output URLs — plus
// the catalog and the signed asset route (HMAC-SHA256 over job/file/expiry, Range requests).
// `/api/vi/…` answers as `/api/v1/…` and `GET /api/v1/study/{id}` as its `/datasets` (§2). Errors are
// FastAPI's `{"detail": …}`. Runs wherever the routers run (service worker, bridge, `neurotab kernel
// serve`); depends only on the KernelBackend seam. Must not run jobs or hold job state itself.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { ApiError, FamilyRoutes, json, normalizedGetPath, readJsonBody, type FamilyEnvelope } from './http';
import type { BackendErrorCode } from './backend';
import { PIPELINES, pipelineNamed } from '../kernel/catalog';
import { HEX32, hex32, uidOf } from '../kernel/ids';
import type { JobRecord, JobStatus } from '../kernel/model';
import { mediaTypeOf } from '../kernel/outputs';
import type { KernelBackend } from '../kernel/service';
import { keyFromAuthorization, SIGNED_URL_SECONDS } from '../kernel/signing';

/** Largest batch (API.md §8.4 #4). */
export const KERNEL_MAX_BATCH = 500;

const GENERIC_DETAIL: Record<string, string> = { NOT_FOUND: 'Not Found', METHOD_NOT_ALLOWED: 'Method Not Allowed' };

export const kernelEnvelope: FamilyEnvelope = {
  family: 'Kernel',
  generic: (k) => k,
  body: (_status, code, message) => ({ detail: GENERIC_DETAIL[code] ?? message }),
  fromBackend: (code: BackendErrorCode) => (code === 'ENGINE_UNAVAILABLE' ? { status: 503, code } : code === 'INSUFFICIENT_STORAGE' ? { status: 507, code } : { status: 500, code }),
};

const fail = (status: number, detail: string, headers?: Record<string, string>) => new ApiError(status, 'KERNEL', detail, undefined, headers);

/** A KernelFailure (or its plain wire form from a message port) as the route's ApiError. */
function rethrow(e: unknown): never {
  const f = e as { name?: string; status?: unknown; detail?: unknown };
  if (f && typeof f === 'object' && typeof f.status === 'number' && typeof f.detail === 'string') throw fail(f.status, f.detail, f.status === 503 ? { 'Retry-After': '1' } : undefined);
  throw e;
}

/** Kernel's status vocabulary (AWS Batch's, upper-case). */
export const kernelStatus = (s: JobStatus) => s.toUpperCase();

const seconds = (ms: number | undefined) => (ms === undefined ? 0 : ms / 1000);

const Sizes = z.record(z.string(), z.number());
const SignedUrls = z.object({ urls: z.record(z.string(), z.string()), sizes: Sizes, batch_job_id: z.string(), execution_id: z.string() }).nullable();
const StatusSchema = z.object({ job_id: z.string(), status: z.string(), signed_urls: SignedUrls, reason: z.string().optional() });

/** The Kernel app under `mount`. `backend` null answers 503 (nothing hosts the jobs). */
export function createKernelApp(backend: KernelBackend | null, mount = '/kernel', clock: () => number = Date.now): Hono {
  const app = new Hono({ getPath: normalizedGetPath });
  const routes = new FamilyRoutes(app, kernelEnvelope);
  const be = (): KernelBackend => {
    if (!backend) throw fail(503, 'Kernel jobs unavailable: no app tab or `neurotab kernel serve` hosts them; open the app and try again', { 'Retry-After': '1' });
    return backend;
  };
  const authorize = async (c: Context) => {
    if (!(await be().kernelAuthorize(keyFromAuthorization(c.req.header('Authorization'))))) throw fail(401, 'Missing or invalid API key');
  };
  const study = async (c: Context) => {
    const s = await be().kernelStudy(c.req.param('study_id') ?? '');
    if (!s) throw fail(404, 'Study not found');
    return s;
  };
  const pipeline = (c: Context) => {
    const name = c.req.param('pipeline_name') ?? '';
    if (!pipelineNamed(name)) throw fail(400, `Unknown pipeline: ${name}; GET ${mount}/api/v1/pipelines lists the twelve`);
    return name;
  };
  const datasetOf = async (c: Context, studyId: string) => {
    const id = c.req.param('dataset_id') ?? '';
    const uid = HEX32.test(id) ? uidOf(id) : null;
    const found = uid ? (await be().kernelDatasets(studyId)).find((d) => d.dataset.id === uid) : undefined;
    if (!found) throw fail(404, 'Dataset not found');
    return found.dataset;
  };
  // Behind the bridge the tab sees its own origin; the bridge names the loopback address the client used.
  const origin = (c: Context) => {
    const fwd = c.req.header('X-Forwarded-Host');
    return fwd && /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/.test(fwd) ? `http://${fwd}` : new URL(c.req.url).origin;
  };
  const signedUrls = async (c: Context, j: JobRecord) => {
    if (j.status !== 'succeeded' || !j.outputs.length) return null;
    const jobHex = hex32(j.id);
    const expires = Math.floor(clock() / 1000) + SIGNED_URL_SECONDS;
    const urls: Record<string, string> = {};
    const sizes: Record<string, number> = {};
    for (const o of j.outputs) {
      const sig = await be().kernelSign(jobHex, o.filename, expires);
      urls[o.filename] = `${origin(c)}${mount}/assets/${jobHex}/${encodeURIComponent(o.filename)}?expires=${expires}&sig=${sig}`;
      sizes[o.filename] = o.bytes / 1e6;
    }
    return { urls, sizes, batch_job_id: hex32(j.batchId), execution_id: hex32(j.executionId) };
  };
  const statusOf = async (c: Context, j: JobRecord) => ({
    job_id: hex32(j.id),
    status: kernelStatus(j.status),
    signed_urls: await signedUrls(c, j),
    ...(j.reason && j.status === 'failed' ? { reason: j.reason } : {}),
  });
  const on = (method: 'GET' | 'POST', path: string, fn: (c: Context) => Promise<Response>, doc: Parameters<FamilyRoutes['on']>[3], authed = true) => {
    const handler = async (c: Context) => {
      try {
        if (authed) await authorize(c);
        return await fn(c);
      } catch (e) {
        rethrow(e);
      }
    };
    routes.on(method, `${mount}${path}`, handler, doc);
    if (path.startsWith('/api/v1/')) routes.on(method, `${mount}${path.replace('/api/v1/', '/api/vi/')}`, handler);
  };

  const listDatasets = async (c: Context) => {
    const s = await study(c);
    const rows = await be().kernelDatasets(s.id);
    return json({
      datasets: rows.map(({ dataset: d, participant: p }) => ({
        id: hex32(d.id),
        meta: { name: d.name, description: d.description ?? '', experiment: d.experiment ?? '' },
        participant: p
          ? { id: hex32(p.id), participant_id: p.externalId, created_at: seconds(p.createdAtMs), active: p.status === 'active', pending: p.status === 'pending', status: p.status }
          : { id: '', participant_id: '', created_at: 0, active: false, pending: false, status: 'unknown' },
        created_date: seconds(d.createdAtMs),
        started_at: seconds(d.startedAtMs ?? d.createdAtMs),
        stopped_at: seconds(d.stoppedAtMs ?? d.createdAtMs),
      })),
    });
  };
  const datasetsDoc = { summary: 'All datasets of a study with their metadata and participant', ok: { status: 200, description: '{"datasets": KernelDataset[]}' }, errors: ['401', '404 Study not found', '503'] };
  on('GET', '/api/v1/study/:study_id/datasets', listDatasets, datasetsDoc);
  on('GET', '/api/v1/study/:study_id', listDatasets, { ...datasetsDoc, summary: 'Alias of …/datasets (one published example omits it)' });

  on(
    'POST',
    '/api/v1/study/:study_id/dataset/:dataset_id/pipeline/:pipeline_name',
    async (c) => {
      const s = await study(c);
      const d = await datasetOf(c, s.id);
      const name = pipeline(c);
      const body = await readJsonBody(c, kernelEnvelope, { maxBytes: 1 << 20, pythonTokens: false });
      const params = paramsOf(body);
      const r = await be().kernelRun(s.id, name, [d.id], params);
      return json({ job_id: hex32(r.jobs[0][1]) });
    },
    { summary: 'Run a pipeline on a dataset (a new job each call)', body: z.object({ params: z.record(z.string(), z.unknown()).optional() }), ok: { status: 200, description: '{"job_id": hex32}', schema: z.object({ job_id: z.string() }) }, errors: ['400 Unknown pipeline', '401', '404', '503', '507'] },
  );
  on(
    'GET',
    '/api/v1/study/:study_id/dataset/:dataset_id/pipeline/:pipeline_name/status',
    async (c) => {
      const s = await study(c);
      const d = await datasetOf(c, s.id);
      const name = pipeline(c);
      const j = await be().kernelLatestJob(s.id, d.id, name);
      if (!j) throw fail(404, 'No pipeline run found');
      return json(await statusOf(c, j));
    },
    { summary: 'Status of the most recent run, with signed URLs of its outputs once it SUCCEEDED', ok: { status: 200, description: 'KernelStatus', schema: StatusSchema }, errors: ['400', '401', '404 No pipeline run found'] },
  );
  on(
    'POST',
    '/api/v1/study/:study_id/pipeline/:pipeline_name/batch',
    async (c) => {
      const s = await study(c);
      const name = pipeline(c);
      const body = await readJsonBody(c, kernelEnvelope, { maxBytes: 1 << 20, pythonTokens: false });
      const ids = (body as { dataset_ids?: unknown } | undefined)?.dataset_ids;
      if (!Array.isArray(ids) || !ids.length || ids.length > KERNEL_MAX_BATCH || !ids.every((x) => typeof x === 'string'))
        throw fail(400, `Send {"dataset_ids": [...]} with 1 to ${KERNEL_MAX_BATCH} dataset ids`);
      const known = new Map((await be().kernelDatasets(s.id)).map((d) => [hex32(d.dataset.id), d.dataset.id]));
      const uids = (ids as string[]).map((id) => {
        const uid = known.get(id.toLowerCase());
        if (!uid) throw fail(404, `Dataset not found: ${id}`);
        return uid;
      });
      const r = await be().kernelRun(s.id, name, uids, paramsOf(body));
      return json({ batch_job_id: hex32(r.batchId), job_ids: Object.fromEntries(r.jobs.map(([d, j]) => [hex32(d), hex32(j)])) });
    },
    { summary: 'Run a pipeline on many datasets as one batch', body: z.object({ dataset_ids: z.array(z.string()).min(1).max(KERNEL_MAX_BATCH), params: z.record(z.string(), z.unknown()).optional() }), ok: { status: 200, description: '{"batch_job_id", "job_ids": {dataset_id: job_id}}' }, errors: ['400', '401', '404', '503', '507'] },
  );
  on(
    'GET',
    '/api/v1/study/:study_id/pipeline/:pipeline_name/batch/:batch_job_id/status',
    async (c) => {
      const s = await study(c);
      pipeline(c);
      const id = c.req.param('batch_job_id') ?? '';
      const b = HEX32.test(id) ? await be().kernelBatch(uidOf(id)!) : null;
      if (!b || b.batch.studyId !== s.id) throw fail(404, 'Batch not found');
      const jobs = await Promise.all(b.jobs.map(async (j) => ({ dataset_id: hex32(j.datasetId), ...(await statusOf(c, j)) })));
      return json({ batch_job_id: hex32(b.batch.id), status: aggregateStatus(b.jobs.map((j) => j.status)), jobs });
    },
    { summary: 'Status of every job of a batch and the aggregate', ok: { status: 200, description: '{"batch_job_id", "status", "jobs": [...]}' }, errors: ['401', '404 Batch not found'] },
  );
  on(
    'GET',
    '/api/v1/pipelines',
    async () => json(PIPELINES.map((p) => ({ name: p.name, label: p.label, modality: p.modality, description: p.description, outputs: p.outputs('<dataset_id>'), browser_supported: p.browserSupported }))),
    { summary: 'The twelve pipelines, their labels and output names', ok: { status: 200, description: 'Pipeline[]' } },
  );
  on(
    'GET',
    '/assets/:job_id/:filename',
    async (c) => {
      const jobHex = (c.req.param('job_id') ?? '').toLowerCase();
      const filename = decodeURIComponent(c.req.param('filename') ?? '');
      const verdict = await be().kernelVerify(jobHex, filename, c.req.query('expires'), c.req.query('sig'), clock());
      if (verdict === 'expired') throw fail(403, 'Signed URL expired; ask for the status again for fresh URLs');
      if (verdict === 'forged') throw fail(403, 'Invalid signature');
      const blob = HEX32.test(jobHex) ? await be().kernelOutput(uidOf(jobHex)!, filename) : null;
      if (!blob) throw fail(404, 'Output not found');
      return blobResponse(blob, filename, c.req.header('Range'));
    },
    { summary: 'A job output behind a signed URL (expires, sig); Range requests', query: { expires: 'Unix seconds', sig: 'hex HMAC-SHA256 of job_id/filename/expires' }, ok: { status: 200, description: 'The file', mediaType: 'application/octet-stream' }, errors: ['403 Signed URL expired / Invalid signature', '404', '416'] },
    false,
  );
  return routes.finish(mount);
}

/** `{"params": {...}}` of a run body, or {} (no body). */
function paramsOf(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw fail(400, 'The body, when sent, must be a JSON object such as {"params": {...}}');
  const p = (body as { params?: unknown }).params;
  if (p === undefined) return {};
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw fail(400, '"params" must be a JSON object');
  return p as Record<string, unknown>;
}

/** FAILED if any failed and none is still running, SUCCEEDED if all succeeded, else RUNNING (API.md §8.4 #5). */
export function aggregateStatus(statuses: JobStatus[]): string {
  if (statuses.length && statuses.every((s) => s === 'succeeded')) return 'SUCCEEDED';
  const open = statuses.some((s) => s !== 'succeeded' && s !== 'failed');
  if (!open && statuses.some((s) => s === 'failed')) return 'FAILED';
  return 'RUNNING';
}

/** The output, whole or one byte range (RFC 9110 §14; a single range, suffix ranges included). */
function blobResponse(blob: Blob, filename: string, range: string | undefined): Response {
  const size = blob.size;
  const headers: Record<string, string> = {
    'Content-Type': mediaTypeOf(filename),
    'Content-Disposition': `attachment; filename="${filename.replace(/["\\]/g, '_')}"`,
    'Accept-Ranges': 'bytes',
  };
  if (range) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    let start = NaN;
    let end = NaN;
    if (m && (m[1] || m[2])) {
      if (m[1]) {
        start = Number(m[1]);
        end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
      } else {
        start = Math.max(0, size - Number(m[2]));
        end = size - 1;
      }
    }
    if (!m || !(start <= end) || start >= size)
      return new Response(JSON.stringify({ detail: `Range ${range} is not satisfiable for ${size} bytes; ask for bytes=0-${size - 1} or less` }), { status: 416, headers: { 'Content-Type': 'application/json', 'Content-Range': `bytes */${size}` } });
    return new Response(blob.slice(start, end + 1), { status: 206, headers: { ...headers, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': String(end - start + 1) } });
  }
  return new Response(blob, { status: 200, headers: { ...headers, 'Content-Length': String(size) } });
}
