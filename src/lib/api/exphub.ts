// ExperimentHub family (API.md §11), mounted at /exphub: the observml FastAPI service's routes with
// their quirks (Python strings sent as JSON strings, 204 for a prediction by an unavailable experiment
// and for `None`, stop/delete always 200 with a status field, {"detail": …} errors, FastAPI's "Not Found" /
// "Method Not Allowed" / text "Internal Server Error"). Runs wherever the routers run; depends only on
// the `ExperimentBackend` seam below (the training worker's ExperimentHub behind it, or a hub wired
// directly in tests and the bridge). Must not train or hold experiment state itself.
import { Hono, type Context } from 'hono';
import { InputError } from '../core/errors';
import { normalizedGetPath, readBodyText, ApiError, FamilyRoutes, json, type FamilyEnvelope } from './http';
import { BackendError, type BackendErrorCode } from './backend';
import { publishHint, type ExperimentHub, type ExperimentState } from '../ml/experiments/hub';
import { parseCsvTable, parseDataFrame, columnJson, type Table } from '../ml/experiments/dataframe';
import { EXPERIMENT_CLASSES, EXPERIMENT_TYPES, NAME_PATTERN, RESERVED_NAMES, TYPE_ALIASES } from '../ml/experiments/config';
import type { PlotlyFigure } from '../ml/experiments/run';

/** Largest body accepted by /publish (API.md §11.1 #18). */
export const EXPHUB_MAX_PUBLISH_BYTES = 100 * 1024 * 1024;
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export interface ExperimentStatus {
  name: string;
  type: string;
  available: boolean;
  training: boolean;
  run_id: string | null;
  last_error: string | null;
  queue_depth: number;
}

/** Why an experiment has no model to show or predict with, and what to do next; null when it has one. */
export function notTrainedReason(s: ExperimentStatus): string | null {
  if (s.run_id) return null;
  if (s.training) return `${s.name} is still training; ask again once GET /exphub/${s.name}/status says "available": true`;
  if (s.last_error) return `the last training of ${s.name} failed: ${s.last_error}`;
  if (s.queue_depth === 0) return `${s.name} has not been trained and its queue is empty. Send its data first: ${publishHint(s.name)}; then POST /exphub/${s.name}/train`;
  return `${s.name} has not been trained: POST /exphub/${s.name}/train (${s.queue_depth} message${s.queue_depth === 1 ? '' : 's'} wait in its queue)`;
}

/**
 * What the ExperimentHub routes need. Every method is async with structured-clone-able values so a
 * service worker can forward calls. Failures: throw ExpHubFailure(status, detail), or InputError (→ 400).
 */
export interface ExperimentBackend {
  exphubHealth(): Promise<{ ok: boolean; reason?: string }>;
  exphubTypes(): Promise<Record<string, { module: string; class: string }>>;
  exphubCreate(name: string, type: string, config: Record<string, unknown>): Promise<void>;
  exphubTrain(name: string, config: Record<string, unknown>): Promise<string>;
  /** false: nothing saved under that name / run. */
  exphubLoad(name: string, runId?: string): Promise<boolean>;
  /** false: unknown experiment or nothing trained. */
  exphubSave(name: string): Promise<boolean>;
  /** false: not available (unknown, training, untrained) → 204. */
  exphubPredict(name: string): Promise<boolean>;
  /** false: unknown experiment. */
  exphubRetrain(name: string): Promise<boolean>;
  exphubStopTraining(name: string): Promise<boolean>;
  exphubDelete(name: string): Promise<boolean>;
  /** Throws ExpHubFailure 404 whose detail says why there is no such figure (no experiment, not trained and why, other names). */
  exphubFigure(name: string, plot: string, eda: boolean): Promise<PlotlyFigure>;
  exphubPublish(queue: string, table: Table): Promise<number>;
  exphubFlush(queue: string): Promise<void>;
  exphubTrainData(name: string): Promise<Record<string, Record<string, unknown>> | null>;
  exphubConfig(name: string): Promise<Record<string, unknown> | null>;
  /** Plot and EDA figure names per experiment (empty lists until it has a model). */
  exphubExperiments(): Promise<Record<string, [string[], string[]]>>;
  exphubIds(name: string): Promise<{ runId: string | null; expId: string | null } | null>;
  exphubResults(name: string): Promise<{ name: string; run_id: string; predictions: unknown; created: string } | null>;
  exphubLog(): Promise<string>;
  exphubStatus(name: string): Promise<ExperimentStatus | null>;
}

/** A failure with its HTTP status and FastAPI `detail`. */
export class ExpHubFailure extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** The ExperimentBackend of an ExperimentHub running in this thread (worker, Node, tests). */
export function hubBackend(hub: ExperimentHub): ExperimentBackend {
  const statusOf = (st: ExperimentState): ExperimentStatus => ({ name: st.name, type: st.type, available: st.available, training: st.training, run_id: st.runId, last_error: st.lastError, queue_depth: hub.depth(st.name) });
  const wrap = async <T>(fn: () => T | Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof Error && e.name === 'NotFound') throw new ExpHubFailure(404, e.message);
      throw e;
    }
  };
  return {
    exphubHealth: async () => ({ ok: true }),
    exphubTypes: async () => {
      const out: Record<string, { module: string; class: string }> = {};
      for (const t of EXPERIMENT_TYPES) out[t] = { ...EXPERIMENT_CLASSES[t] };
      for (const [alias, t] of Object.entries(TYPE_ALIASES)) out[alias] = { ...EXPERIMENT_CLASSES[t] };
      return out;
    },
    exphubCreate: (n, t, c) => wrap(() => void hub.create(n, t, c)),
    exphubTrain: (n, c) => wrap(() => hub.train(n, c)),
    exphubLoad: (n, r) => wrap(async () => (await hub.load(n, r)) !== undefined),
    exphubSave: (n) => wrap(async () => (hub.get(n)?.run ? (await hub.save(n), true) : false)),
    exphubPredict: (n) => wrap(() => hub.predict(n)),
    exphubRetrain: (n) => wrap(() => (hub.get(n) ? (hub.retrain(n), true) : false)),
    exphubStopTraining: async (n) => hub.stopTraining(n),
    exphubDelete: async (n) => hub.delete(n),
    exphubFigure: async (n, p, eda) => {
      const st = hub.get(n);
      if (!st) throw new ExpHubFailure(404, 'Experiment not found');
      const why = notTrainedReason(statusOf(st));
      if (why) throw new ExpHubFailure(404, `Plot not found: ${why}`);
      const figs = (eda ? st.run?.edaFigures : st.run?.figures) ?? {};
      const fig = figs[p];
      if (!fig) throw new ExpHubFailure(404, `Plot not found: ${n} has no ${eda ? 'EDA figure' : 'plot'} "${p}"; it has ${Object.keys(figs).join(', ') || 'none'}`);
      return fig;
    },
    exphubPublish: (q, t) => wrap(() => hub.publish(q, t)),
    exphubFlush: async (q) => hub.flush(q),
    exphubTrainData: async (n) => {
      const td = hub.get(n)?.run?.trainData;
      return td ? columnJson(td) : null;
    },
    exphubConfig: async (n) => hub.get(n)?.config ?? null,
    exphubExperiments: async () => {
      const out: Record<string, [string[], string[]]> = {};
      for (const st of hub.list()) out[st.name] = st.available && st.run ? [Object.keys(st.run.figures), Object.keys(st.run.edaFigures)] : [[], []];
      return out;
    },
    exphubIds: async (n) => {
      const st = hub.get(n);
      return st ? { runId: st.runId, expId: st.expId } : null;
    },
    exphubResults: async (n) => {
      const st = hub.get(n);
      if (!st?.results) return null;
      return { name: n, run_id: st.results.runId, predictions: st.results.predictions, created: new Date(st.results.createdMs).toISOString() };
    },
    exphubLog: async () => hub.recentLog(),
    exphubStatus: async (n) => {
      const st = hub.get(n);
      return st ? statusOf(st) : null;
    },
  };
}

const GENERIC_DETAIL: Record<string, string> = { ROUTE_NOT_FOUND: 'Not Found', METHOD_NOT_ALLOWED: 'Method Not Allowed' };

export const exphubEnvelope: FamilyEnvelope = {
  family: 'ExperimentHub',
  generic: (k) => (k === 'NOT_FOUND' ? 'ROUTE_NOT_FOUND' : k),
  body: (_status, code, message) => ({ detail: GENERIC_DETAIL[code] ?? message }),
  fromBackend: (code: BackendErrorCode) => (code === 'ENGINE_UNAVAILABLE' ? { status: 503, code } : { status: 500, code }),
};

/** A Python string returned by FastAPI: a JSON string document. */
const pyString = (s: string, status = 200) => json(s, status);
const noContent = () => new Response(null, { status: 204 });

/**
 * The ExperimentHub app under `mount`. `backend` null answers 503 "Engine unavailable" (no training
 * worker wired, e.g. no app tab hosts the engine).
 */
export function createExperimentHubApp(backend: ExperimentBackend | null, mount = '/exphub'): Hono {
  const app = new Hono({ getPath: normalizedGetPath });
  const routes = new FamilyRoutes(app, exphubEnvelope);
  // Every handler renders its own failures (FastAPI shapes) instead of the shared envelope handler.
  const r = {
    on(method: 'GET' | 'POST', path: string, fn: (c: Context) => Response | Promise<Response>) {
      routes.on(method, path, async (c) => {
        try {
          return await fn(c);
        } catch (err) {
          return renderFailure(err);
        }
      });
    },
  };
  const be = (): ExperimentBackend => {
    if (!backend) throw new ApiError(503, 'ENGINE_UNAVAILABLE', 'Engine unavailable', undefined, { 'Retry-After': '1' });
    return backend;
  };
  const name = (c: Context): string => {
    const n = c.req.param('name') ?? '';
    return n;
  };
  const checkCreateName = (n: string) => {
    if (RESERVED_NAMES.includes(n)) throw new ApiError(400, 'BAD_REQUEST', `Reserved experiment name: ${n}`);
    if (!NAME_PATTERN.test(n)) throw new ApiError(400, 'BAD_REQUEST', `Invalid experiment name: ${n}`);
  };
  const configBody = async (c: Context): Promise<Record<string, unknown>> => {
    const text = await readBodyText(c, exphubEnvelope, MAX_CONFIG_BYTES);
    if (text.trim() === '') return {};
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new ApiError(400, 'BAD_REQUEST', 'Invalid JSON body');
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ApiError(400, 'BAD_REQUEST', 'Invalid JSON body');
    return v as Record<string, unknown>;
  };
  const p = (path: string) => `${mount}${path}`;

  r.on('GET', mount || '/', () => pyString('Hello World'));
  r.on('GET', p('/health'), async () => {
    const h = await be().exphubHealth();
    if (!h.ok) throw new ApiError(503, 'ENGINE_UNAVAILABLE', h.reason ?? 'Engine unavailable');
    return json({
      mlops: { healthy: true, details: { status: 'connected', uri: 'indexeddb://exphub-registry' } },
      datastream: { healthy: true, details: { status: 'connected', host: 'engine', port: null } },
    });
  });
  r.on('GET', p('/available_experiments'), async () => json(await be().exphubTypes()));
  // The documented shape always (upstream answers 204 with none and a string for an untrained one,
  // which the documented client's response.json() cannot read).
  r.on('GET', p('/experiments'), async () => json(await be().exphubExperiments()));
  r.on('GET', p('/log'), async () => new Response(await be().exphubLog(), { headers: { 'Content-Type': 'text/plain; charset=utf-8' } }));
  r.on('POST', p('/create_experiment/:name/:type'), async (c) => {
    const n = name(c);
    const t = c.req.param('type') ?? '';
    checkCreateName(n);
    const types = await be().exphubTypes();
    if (!(t in types)) throw new ApiError(400, 'BAD_REQUEST', `Unknown experiment type: ${t}`);
    const cfg = await configBody(c);
    await be().exphubCreate(n, t, cfg);
    return json({ message: `Creating experiment '${n}' of type '${t}'` });
  });
  r.on('POST', p('/flush/:queue'), async (c) => {
    await be().exphubFlush(c.req.param('queue') ?? '');
    return pyString('Rabbit flushed');
  });
  r.on('POST', p('/publish/:queue'), async (c) => {
    const q = c.req.param('queue') ?? '';
    const text = await readBodyText(c, exphubEnvelope, EXPHUB_MAX_PUBLISH_BYTES);
    const ct = (c.req.header('Content-Type') ?? '').toLowerCase();
    let table: Table;
    if (ct.includes('text/csv')) table = parseCsvTable(text, 'body');
    else {
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch {
        throw new ApiError(400, 'BAD_REQUEST', 'Invalid JSON body; send a DataFrame as JSON (records, split or columns) or text/csv');
      }
      table = parseDataFrame(v, 'body');
    }
    return json({ queue: q, depth: await be().exphubPublish(q, table) });
  });
  r.on('POST', p('/:name/train'), async (c) => {
    const cfg = await configBody(c);
    await be().exphubTrain(name(c), cfg);
    return json({ message: 'Training started based on sent parameters.' });
  });
  r.on('POST', p('/:name/load'), async (c) => {
    if (!(await be().exphubLoad(name(c)))) throw new ApiError(404, 'NOT_FOUND', 'Experiment not found');
    return pyString('Experiment loaded');
  });
  r.on('POST', p('/:name/load/:run_id'), async (c) => {
    if (!(await be().exphubLoad(name(c), c.req.param('run_id')))) throw new ApiError(404, 'NOT_FOUND', 'Run not found');
    return pyString('Experiment loaded');
  });
  r.on('POST', p('/:name/save'), async (c) => {
    if (!(await be().exphubSave(name(c)))) throw new ApiError(404, 'NOT_FOUND', 'Experiment not found');
    return pyString('Experiment saved');
  });
  r.on('POST', p('/:name/predict'), async (c) => ((await be().exphubPredict(name(c))) ? pyString('Prediction called') : noContent()));
  r.on('POST', p('/:name/retrain'), async (c) => {
    if (!(await be().exphubRetrain(name(c)))) throw new ApiError(404, 'NOT_FOUND', 'Experiment not found');
    return pyString('Retraining started as requested.');
  });
  const stop = (legacy: boolean) => async (c: Context) => {
    const n = name(c);
    const ok = await be().exphubStopTraining(n);
    if (!ok) return json({ status: 'error', message: `Failed to stop training for experiment ${n}` });
    return json({ status: 'success', message: legacy ? `Experiment ${n} training stopped successfully` : `Training for experiment ${n} stopped successfully` });
  };
  r.on('POST', p('/:name/stop_training'), stop(false));
  r.on('POST', p('/:name/kill'), stop(true));
  r.on('POST', p('/:name/kill/:task_id'), () => json({ status: 'error', message: 'Task queue functionality has been removed. Use /stop_training instead.' }));
  r.on('POST', p('/:name/delete'), async (c) => {
    const n = name(c);
    return (await be().exphubDelete(n))
      ? json({ status: 'success', message: `Experiment ${n} deleted successfully` })
      : json({ status: 'error', message: `Failed to delete experiment ${n}: Experiment not found` });
  });
  const plot = (eda: boolean) => async (c: Context) => {
    const n = name(c);
    const pl = c.req.param('plot_name') ?? '';
    if (n === 'None' || pl === 'None') return noContent();
    return json(await be().exphubFigure(n, pl, eda));
  };
  r.on('GET', p('/:name/plot/:plot_name'), plot(false));
  r.on('GET', p('/:name/plot_eda/:plot_name'), plot(true));
  r.on('GET', p('/:name/train_data'), async (c) => {
    const d = await be().exphubTrainData(name(c));
    if (!d) throw new ApiError(404, 'NOT_FOUND', 'Experiment not found');
    return json(d);
  });
  r.on('GET', p('/:name/cfg'), async (c) => json((await be().exphubConfig(name(c))) ?? {}));
  const ids = (which: 'runId' | 'expId') => async (c: Context) => {
    const v = (await be().exphubIds(name(c)))?.[which];
    if (!v) throw new ApiError(404, 'NOT_FOUND', 'Experiment not found');
    return pyString(v);
  };
  r.on('GET', p('/:name/run_id'), ids('runId'));
  r.on('GET', p('/:name/exp_id'), ids('expId'));
  r.on('GET', p('/:name/results'), async (c) => {
    const res = await be().exphubResults(name(c));
    if (!res) throw new ApiError(404, 'NOT_FOUND', 'No results: call /predict first');
    return json(res);
  });
  r.on('GET', p('/:name/status'), async (c) => {
    const s = await be().exphubStatus(name(c));
    if (!s) throw new ApiError(404, 'NOT_FOUND', 'Experiment not found');
    return json(s);
  });
  routes.finish(mount);
  return app;
}

/** FastAPI shapes: {"detail"} for known failures; anything unexpected is a bare text 500. */
function renderFailure(err: unknown): Response {
  if (err instanceof ExpHubFailure) return json({ detail: err.detail }, err.status);
  if (err instanceof ApiError) return json(exphubEnvelope.body(err.status, err.code, err.message, undefined, ''), err.status, err.headers ?? {});
  if (err instanceof InputError) return json({ detail: err.message }, 400);
  if (err instanceof BackendError && err.code === 'ENGINE_UNAVAILABLE') return json({ detail: 'Engine unavailable' }, 503, { 'Retry-After': '1' });
  const wire = err as { status?: unknown; detail?: unknown; name?: unknown; message?: unknown };
  if (typeof wire?.status === 'number' && typeof wire.detail === 'string') return json({ detail: wire.detail }, wire.status);
  // InputErrors forwarded from a worker arrive as plain {name, message} objects.
  if (wire?.name === 'InputError' && typeof wire.message === 'string') return json({ detail: wire.message }, 400);
  return new Response('Internal Server Error', { status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}
