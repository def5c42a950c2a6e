// Native LSL routes (issue 20 item 4), mounted at /bci/v1/lsl: the streams the paired bridge
// resolves on the lab network, and the app streams published there as LSL outlets. Native error
// envelope. Runs wherever the routers run; depends only on the LslBackend seam (lsl-publisher.ts).
// Without a paired bridge every route answers 503 saying how to start one.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { ApiError, FamilyRoutes, json, normalizedGetPath, readJsonBody } from './http';
import { nativeEnvelope } from './native';
import type { LslConnection } from './lsl-devices';
import type { LslPublication } from './lsl-publisher';
import type { LslStreamSummary } from './lsl-wire';

/**
 * What the routes need (LslPublisher implements it). Methods are `lsl*` and may be async, so the
 * service worker forwards them to the engine host like its other backend calls.
 */
export interface LslBackend {
  lslPaired(): boolean | Promise<boolean>;
  lslStreams(waitS: number): Promise<LslStreamSummary[]>;
  lslOutlets(): LslPublication[] | Promise<LslPublication[]>;
  lslPublish(source: string, o: { name?: string; type?: string }): Promise<LslPublication>;
  lslWithdraw(id: string): boolean | Promise<boolean>;
  lslInlets(): LslConnection[] | Promise<LslConnection[]>;
  lslConnect(query: string): Promise<LslConnection>;
  lslDisconnect(id: string): Promise<boolean>;
}

export const LSL_NO_BRIDGE = 'LSL needs the bridge: start it on this machine with "npm run neurotab -- bridge" and pair this tab (API page → Bridge), then retry.';

const OutletBody = z
  .object({
    source: z.string().min(1).max(300).describe('The app stream: a live stream id (a device ring, the synthetic stream or a pipeline output, e.g. "synthetic-eeg") or "markers"'),
    name: z.string().min(1).max(200).optional(),
    type: z.string().min(1).max(100).optional(),
  })
  .strict();

const InletBody = z
  .object({ query: z.string().min(1).max(500).describe("An XPath predicate on the stream info, as liblsl's resolve_bypred: name='BioSemi', type='EEG', source_id='…'") })
  .strict();

async function body<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const v = await readJsonBody(c, nativeEnvelope, { maxBytes: 64 * 1024, pythonTokens: false });
  const r = schema.safeParse(v ?? {});
  if (!r.success) throw new ApiError(400, 'BAD_REQUEST', `Invalid body: ${r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
  return r.data;
}

export function createLslApp(backend: LslBackend | null, mount = '/bci/v1/lsl'): Hono {
  const routes = new FamilyRoutes(new Hono({ getPath: normalizedGetPath }), nativeEnvelope);
  const unavailable = (message = LSL_NO_BRIDGE) => new ApiError(503, 'BRIDGE_UNAVAILABLE', message, undefined, { 'Retry-After': '5' });
  const be = async (): Promise<LslBackend> => {
    if (!backend || !(await backend.lslPaired())) throw unavailable();
    return backend;
  };
  /** A failure of the bridge link → 502 with its words (the bridge answered, or went away, mid-call). */
  const viaBridge = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ApiError) throw e;
      const m = e instanceof Error ? e.message : String(e);
      if (/^no app stream|neither samples nor markers|^no LSL stream matches/.test(m)) throw new ApiError(404, 'NOT_FOUND', m);
      if (/this tab's own outlet/.test(m)) throw new ApiError(409, 'CONFLICT', m);
      // LslUnavailableError (its name may not survive the service worker's forwarding; its advice does).
      if (m.includes('npm run neurotab -- bridge')) throw unavailable(m);
      throw new ApiError(502, 'BRIDGE_ERROR', m);
    }
  };

  routes.on(
    'GET',
    `${mount}/streams`,
    async (c: Context) => {
      const raw = c.req.query('wait');
      const waitS = raw === undefined ? 1 : Number(raw);
      if (!Number.isFinite(waitS) || waitS < 0 || waitS > 30) throw new ApiError(400, 'BAD_REQUEST', `wait must be seconds from 0 to 30, not "${raw}"`);
      const b = await be();
      const found = await viaBridge(() => b.lslStreams(waitS));
      return json({
        streams: found.map((s) => ({ name: s.name, type: s.type, source_id: s.sourceId, channel_count: s.channelCount, nominal_srate: s.nominalSrateHz, channel_format: s.channelFormat, hostname: s.hostname, uid: s.uid })),
      });
    },
    { summary: 'LSL streams the bridge resolves on the network', query: { wait: 'seconds to listen for replies (default 1, at most 30)' }, ok: { status: 200, description: '{"streams": [{name, type, source_id, channel_count, nominal_srate, channel_format, hostname, uid}]}' }, errors: ['BRIDGE_UNAVAILABLE', 'BRIDGE_ERROR'] },
  );
  routes.on('GET', `${mount}/outlets`, async () => json({ outlets: await (await be()).lslOutlets() }), { summary: 'App streams published as LSL outlets', ok: { status: 200, description: '{"outlets": LslPublication[]}' }, errors: ['BRIDGE_UNAVAILABLE'] });
  routes.on(
    'POST',
    `${mount}/outlets`,
    async (c: Context) => {
      const b = await be();
      const { source, ...o } = await body(c, OutletBody);
      return json(await viaBridge(() => b.lslPublish(source, o)), 201);
    },
    { summary: 'Publish an app stream as an LSL outlet (channel labels, units, types and rate from its descriptor)', body: OutletBody, ok: { status: 201, description: 'LslPublication' }, errors: ['BRIDGE_UNAVAILABLE', 'BRIDGE_ERROR'] },
  );
  routes.on(
    'DELETE',
    `${mount}/outlets/:id`,
    async (c: Context) => {
      const id = c.req.param('id') ?? '';
      if (!(await (await be()).lslWithdraw(id))) throw new ApiError(404, 'NOT_FOUND', `No LSL outlet ${id}; GET ${mount}/outlets lists them`);
      return new Response(null, { status: 204 });
    },
    { summary: 'Withdraw an LSL outlet', ok: { status: 204, description: 'Withdrawn' }, errors: ['BRIDGE_UNAVAILABLE'] },
  );
  routes.on('GET', `${mount}/inlets`, async () => json({ inlets: await (await be()).lslInlets() }), { summary: 'LSL streams connected as devices of the tab', ok: { status: 200, description: '{"inlets": LslConnection[]}' }, errors: ['BRIDGE_UNAVAILABLE'] });
  routes.on(
    'POST',
    `${mount}/inlets`,
    async (c: Context) => {
      const b = await be();
      const { query } = await body(c, InletBody);
      return json(await viaBridge(() => b.lslConnect(query)), 201);
    },
    { summary: 'Connect an LSL stream as a device: its samples fill a ring pipelines bind to (LSLInput query); a marker stream feeds the marker bus', body: InletBody, ok: { status: 201, description: 'LslConnection' }, errors: ['BRIDGE_UNAVAILABLE', 'BRIDGE_ERROR'] },
  );
  routes.on(
    'DELETE',
    `${mount}/inlets/:id`,
    async (c: Context) => {
      const id = c.req.param('id') ?? '';
      if (!(await (await be()).lslDisconnect(id))) throw new ApiError(404, 'NOT_FOUND', `No LSL inlet ${id}; GET ${mount}/inlets lists them`);
      return new Response(null, { status: 204 });
    },
    { summary: 'Disconnect an LSL stream', ok: { status: 204, description: 'Disconnected' }, errors: ['BRIDGE_UNAVAILABLE'] },
  );
  return routes.finish(mount);
}
