// ExperimentHub family through app.request(): every endpoint of API.md §11.1 with its documented
// shapes and quirks (JSON-string bodies, 204s, 200-with-status-error, {"detail"} errors, FastAPI
// 404/405 texts), on a real ExperimentHub training CSP+LDA on a published DataFrame.
import { beforeEach, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { createApi } from './index';
import { createExperimentHubApp, hubBackend } from './exphub';
import { ExperimentHub } from '../ml/experiments/hub';
import type { Backend } from './backend';
import { extinctionCoefficients } from '../ml/fnirs';
import { readSnirf } from '../formats/snirf';
import { sharedBytes, needsShared } from '../../../tests/support/shared';

/** 4 channels at 100 Hz; markers A/B every 2 s; class A adds a 10 Hz burst on ch0, class B on ch1. */
function syntheticFrame(trials = 40): Record<string, number[] | (string | null)[]> {
  const fs = 100;
  const n = trials * 2 * fs + fs;
  const cols: Record<string, number[]> = { c0: [], c1: [], c2: [], c3: [] };
  const marker: (string | null)[] = new Array(n).fill(null);
  let seed = 1;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 2;
  for (let i = 0; i < n; i++) for (const k of Object.keys(cols)) cols[k].push(rnd());
  for (let t = 0; t < trials; t++) {
    const start = fs / 2 + t * 2 * fs;
    const cls = t % 2 === 0 ? 'A' : 'B';
    marker[start] = cls;
    const ch = cls === 'A' ? 'c0' : 'c1';
    for (let i = 0; i < fs; i++) cols[ch][start + i] += 4 * Math.sin((2 * Math.PI * 10 * i) / fs);
  }
  return { ...cols, marker };
}

const config = {
  setup: { classes: { A: 'left', B: 'right' }, window: [0.1, 0.9], band: [5, 20], sample_rate_hz: 100 },
  create_model: { model_type: 'motor_imagery_csp_lda', params: { components: 2 } },
};

let hub: ExperimentHub;
let app: Hono;
const req = (path: string, init: RequestInit = {}) => app.request(`/exphub${path}`, init);
const post = (path: string, body?: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
  req(path, { method: 'POST', body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), headers });

async function trained(name = 'mi'): Promise<void> {
  expect((await post(`/create_experiment/${name}/motor_imagery_csp_lda`, config)).status).toBe(200);
  expect((await post(`/publish/${name}`, syntheticFrame())).status).toBe(200);
  expect((await post(`/${name}/train`, {})).status).toBe(200);
  await hub.idle(name);
}

beforeEach(() => {
  hub = new ExperimentHub();
  app = createApi({ status: async () => ({ engine: 'up' }) } as unknown as Backend, { experiments: hubBackend(hub) });
});

describe('ExperimentHub family at /exphub', () => {
  it('GET / and /health', async () => {
    const root = await req('/');
    expect(root.headers.get('Content-Type')).toContain('application/json');
    expect(await root.text()).toBe('"Hello World"');
    const h = await req('/health');
    expect(await h.json()).toEqual({
      mlops: { healthy: true, details: { status: 'connected', uri: 'indexeddb://exphub-registry' } },
      datastream: { healthy: true, details: { status: 'connected', host: 'engine', port: null } },
    });
    expect(h.headers.get('X-Request-Id')).toMatch(/^req_[0-9A-Z]{26}$/);
  });

  it('GET /available_experiments lists every type with module and class', async () => {
    const body = (await (await req('/available_experiments')).json()) as Record<string, { module: string; class: string }>;
    for (const t of ['motor_imagery_csp_lda', 'p300_xdawn_lda', 'ssvep_cca', 'eegnet', 'shallow_convnet', 'bci_motor_imagery']) {
      expect(typeof body[t].module).toBe('string');
      expect(typeof body[t].class).toBe('string');
    }
  });

  it('POST /create_experiment: message, unknown type, invalid JSON, reserved name', async () => {
    const ok = await post('/create_experiment/my_exp/motor_imagery_csp_lda', config);
    expect(await ok.json()).toEqual({ message: "Creating experiment 'my_exp' of type 'motor_imagery_csp_lda'" });
    const bad = await post('/create_experiment/x/invalid_type', config);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ detail: 'Unknown experiment type: invalid_type' });
    const garbled = await post('/create_experiment/y/eegnet', '{"setup": ');
    expect(garbled.status).toBe(400);
    expect(await garbled.json()).toEqual({ detail: 'Invalid JSON body' });
    for (const n of ['health', 'experiments', 'None']) {
      const r = await post(`/create_experiment/${n}/eegnet`, {});
      expect(r.status).toBe(400);
      expect(await r.json()).toEqual({ detail: `Reserved experiment name: ${n}` });
    }
    expect(hub.list().map((e) => e.name)).toEqual(['my_exp']);
  });

  it('GET /experiments in the documented shape: {} with none, empty lists until trained, then figure names', async () => {
    expect(await (await req('/experiments')).json()).toEqual({});
    await post('/create_experiment/mi/motor_imagery_csp_lda', config);
    expect(await (await req('/experiments')).json()).toEqual({ mi: [[], []] });
    await post('/publish/mi', syntheticFrame());
    await post('/mi/train', {});
    await hub.idle('mi');
    expect(await (await req('/experiments')).json()).toEqual({ mi: [['fold_scores', 'confusion_matrix'], ['class_balance', 'channel_variance']] });
  });

  it('train → status, run_id, exp_id, cfg, train_data, plots', async () => {
    await post('/create_experiment/mi/motor_imagery_csp_lda', config);
    expect(await (await post('/publish/mi', syntheticFrame())).json()).toEqual({ queue: 'mi', depth: 1 });
    const t = await post('/mi/train', {});
    expect(await t.json()).toEqual({ message: 'Training started based on sent parameters.' });
    await hub.idle('mi');
    const st = (await (await req('/mi/status')).json()) as Record<string, unknown>;
    expect(st).toMatchObject({ name: 'mi', type: 'motor_imagery_csp_lda', available: true, training: false, last_error: null, queue_depth: 0 });
    const runId = await (await req('/mi/run_id')).json();
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    expect(st.run_id).toBe(runId);
    expect(await (await req('/mi/exp_id')).text()).toBe('"1"');
    expect(await (await req('/mi/cfg')).json()).toMatchObject(config);
    expect(await (await req('/nobody/cfg')).json()).toEqual({});
    const td = (await (await req('/mi/train_data')).json()) as Record<string, Record<string, unknown>>;
    expect(Object.keys(td.class)).toHaveLength(40);
    expect(td.class['0']).toBe('left');
    const cm = (await (await req('/mi/plot/confusion_matrix')).json()) as { data: { type: string; z: number[][] }[]; layout: object };
    expect(cm.data[0].type).toBe('heatmap');
    const total = cm.data[0].z.flat().reduce((a, b) => a + b, 0);
    expect(total).toBe(40);
    // The synthetic classes are separable: the diagonal holds most trials.
    expect(cm.data[0].z[0][0] + cm.data[0].z[1][1]).toBeGreaterThan(34);
    const folds = (await (await req('/mi/plot/fold_scores')).json()) as { data: { y: number[] }[] };
    expect(folds.data[0].y).toHaveLength(5);
    expect((await (await req('/mi/plot_eda/class_balance')).json()) as object).toMatchObject({ data: [{ type: 'bar', y: [20, 20] }] });
    expect((await req('/None/plot/x')).status).toBe(204);
    expect((await req('/mi/plot/None')).status).toBe(204);
    expect(await (await req('/mi/plot/nope')).json()).toEqual({ detail: 'Plot not found: mi has no plot "nope"; it has fold_scores, confusion_matrix' });
    expect((await req('/ghost/plot_eda/class_balance')).status).toBe(404);
  });

  it('train without a type or without data', async () => {
    const r = await post('/fresh/train', {});
    expect(r.status).toBe(400);
    expect(((await r.json()) as { detail: string }).detail).toMatch(/no registered type/);
    await post('/create_experiment/empty/motor_imagery_csp_lda', config);
    await post('/empty/train', {});
    await hub.idle('empty');
    expect(await (await req('/empty/status')).json()).toMatchObject({ available: false, training: false, last_error: expect.stringMatching(/^no data to learn from: the queue "empty" is empty\. POST a DataFrame .* to \/exphub\/publish\/empty /) });
    // Created through /train with the type in the config (load_object or create_model).
    await post('/publish/viaconfig', syntheticFrame());
    expect((await post('/viaconfig/train', config)).status).toBe(200);
    await hub.idle('viaconfig');
    expect(await (await req('/viaconfig/status')).json()).toMatchObject({ available: true });
  });

  it('save, load, load/{run_id}; unknown → 404', async () => {
    expect((await post('/mi/save')).status).toBe(404);
    await trained('mi');
    const first = await (await req('/mi/run_id')).json();
    expect(await (await post('/mi/save')).text()).toBe('"Experiment saved"');
    await post('/publish/mi', syntheticFrame(20));
    await post('/mi/retrain');
    await hub.idle('mi');
    const second = await (await req('/mi/run_id')).json();
    expect(second).not.toBe(first);
    expect(await (await post(`/mi/load/${first}`)).text()).toBe('"Experiment loaded"');
    expect(await (await req('/mi/run_id')).json()).toBe(first);
    expect(await (await post('/mi/load')).text()).toBe('"Experiment loaded"');
    expect(await (await post('/other/load')).json()).toEqual({ detail: 'Experiment not found' });
    expect(await (await post('/mi/load/0123456789abcdef0123456789abcdef')).json()).toEqual({ detail: 'Run not found' });
  });

  it('predict: 204 when unavailable, "Prediction called" and results after training', async () => {
    expect((await post('/mi/predict')).status).toBe(204);
    expect((await req('/mi/results')).status).toBe(404);
    await trained('mi');
    await post('/publish/mi', syntheticFrame(10));
    const p = await post('/mi/predict');
    expect(await p.text()).toBe('"Prediction called"');
    const res = (await (await req('/mi/results')).json()) as { name: string; run_id: string; predictions: Record<string, Record<string, unknown>>; created: string };
    expect(res.name).toBe('mi');
    expect(res.run_id).toMatch(/^[0-9a-f]{32}$/);
    expect(Object.keys(res.predictions.predicted)).toHaveLength(10);
    const correct = Object.keys(res.predictions.predicted).filter((k) => res.predictions.predicted[k] === res.predictions.true[k]).length;
    expect(correct).toBeGreaterThanOrEqual(9);
    expect(new Date(res.created).toISOString()).toBe(res.created);
  });

  it('retrain unknown → 404; stop_training / kill / kill/{task} / delete keep 200 with a status', async () => {
    expect(await (await post('/ghost/retrain')).json()).toEqual({ detail: 'Experiment not found' });
    expect(await (await post('/ghost/stop_training')).json()).toEqual({ status: 'error', message: 'Failed to stop training for experiment ghost' });
    await trained('mi');
    const before = await (await req('/mi/run_id')).json();
    // Stop a retrain right away: the previous model stays.
    await post('/publish/mi', syntheticFrame());
    await post('/mi/retrain');
    const s = await post('/mi/stop_training');
    expect(s.status).toBe(200);
    expect(await s.json()).toEqual({ status: 'success', message: 'Training for experiment mi stopped successfully' });
    await hub.idle('mi');
    expect(await (await req('/mi/run_id')).json()).toBe(before);
    expect(await (await req('/mi/status')).json()).toMatchObject({ available: true, last_error: expect.stringMatching(/previous model is unchanged/) });
    expect(await (await post('/mi/kill')).json()).toEqual({ status: 'success', message: 'Experiment mi training stopped successfully' });
    expect(await (await post('/mi/kill/abc')).json()).toEqual({ status: 'error', message: 'Task queue functionality has been removed. Use /stop_training instead.' });
    expect(await (await post('/mi/delete')).json()).toEqual({ status: 'success', message: 'Experiment mi deleted successfully' });
    const again = await post('/mi/delete');
    expect(again.status).toBe(200);
    expect(((await again.json()) as { status: string }).status).toBe('error');
    expect((await req('/mi/status')).status).toBe(404);
  });

  it('publish (records, split, CSV), flush, bad data', async () => {
    const recs = [{ c0: 1, c1: 2, marker: null }, { c0: 3, c1: 4, marker: 'A' }];
    expect(await (await post('/publish/q', recs)).json()).toEqual({ queue: 'q', depth: 1 });
    expect(await (await post('/publish/q', { columns: ['c0', 'c1'], index: [0, 1], data: [[1, 2], [3, 4]] })).json()).toEqual({ queue: 'q', depth: 2 });
    expect(await (await post('/publish/q', 'c0,c1,marker\n1,2,\n3,4,A\n', { 'Content-Type': 'text/csv' })).json()).toEqual({ queue: 'q', depth: 3 });
    expect(hub.depth('q')).toBe(3);
    expect(await (await post('/flush/q')).text()).toBe('"Rabbit flushed"');
    expect(hub.depth('q')).toBe(0);
    expect(await (await post('/flush/never-seen')).text()).toBe('"Rabbit flushed"');
    expect((await post('/publish/q', 'not json')).status).toBe(400);
    expect((await post('/publish/q', { columns: ['a'], data: [[1, 2]] })).status).toBe(400);
    expect((await post('/publish/q', 'a,b\n1\n', { 'Content-Type': 'text/csv' })).status).toBe(400);
    const big = await req('/publish/q', { method: 'POST', body: 'x', headers: { 'Content-Length': String(200 * 1024 * 1024) } });
    expect(big.status).toBe(413);
  });

  it('GET /log is text; unknown routes 404 "Not Found"; wrong method 405 "Method Not Allowed"; OPTIONS', async () => {
    await post('/create_experiment/mi/eegnet', config);
    const log = await req('/log');
    expect(log.headers.get('Content-Type')).toContain('text/plain');
    expect(await log.text()).toMatch(/created experiment mi of type eegnet/);
    const nf = await req('/a/b/c/d');
    expect(nf.status).toBe(404);
    expect(await nf.json()).toEqual({ detail: 'Not Found' });
    const wm = await req('/mi/train');
    expect(wm.status).toBe(405);
    expect(await wm.json()).toEqual({ detail: 'Method Not Allowed' });
    expect(wm.headers.get('Allow')).toContain('POST');
    expect((await req('/health', { method: 'POST' })).status).toBe(405);
    const opt = await req('/mi/plot/x', { method: 'OPTIONS' });
    expect(opt.status).toBe(204);
    expect(opt.headers.get('Allow')).toContain('GET');
    expect((await req('//mi//status/')).status).toBe(200);
  });

  it('503 "Engine unavailable" without a backend; unhandled errors are text 500', async () => {
    const bare = createApi({} as Backend);
    const r = await bare.request('/exphub/health');
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ detail: 'Engine unavailable' });
    expect(r.headers.get('Retry-After')).toBe('1');
    const broken = createExperimentHubApp({ ...hubBackend(hub), exphubLog: async () => { throw new TypeError('boom'); } });
    const e = await broken.request('/exphub/log');
    expect(e.status).toBe(500);
    expect(await e.text()).toBe('Internal Server Error');
  });

  it('GET /bci/v1/compat lists the family', async () => {
    const c = (await (await app.request('/bci/v1/compat')).json()) as { families: { family: string; mount: string }[] };
    expect(c.families.some((f) => f.family === 'experimenthub' && f.mount === '/exphub')).toBe(true);
  });
});

// ── The table/recording types of API.md §11.2: time_series, fault_detection, fnirs_classification ──

/** Park–Miller uniform in [0, 1) and a Box–Muller normal from it. */
function rng(seed: number) {
  let s = seed;
  const u = () => (s = (s * 16807) % 2147483647) / 2147483647;
  return { u, n: () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u()) };
}

const HOUR_MS = 3_600_000;
const T0_MS = Date.UTC(2024, 0, 1);
/** Hourly series with a rising trend and a daily cycle that grows with it (multiplicative). */
const tsValue = (h: number) => (100 + (0.5 * h) / 24) * (1 + 0.2 * Math.sin((2 * Math.PI * h) / 24));

/** pandas `to_json()` (orient='columns') of an hourly frame: ds as epoch ms, value. */
function tsFrame(fromHour: number, hours: number, noise = 0.5, seed = 5) {
  const r = rng(seed);
  const ds: Record<string, number> = {};
  const value: Record<string, number> = {};
  for (let i = 0; i < hours; i++) {
    ds[String(i)] = T0_MS + (fromHour + i) * HOUR_MS;
    value[String(i)] = tsValue(fromHour + i) + noise * r.n();
  }
  return { ds, value };
}

// The seed's own example configuration (API.md §11 / experimenthub-api.txt).
const seedTsConfig = {
  setup: { target: 'value', ds: 'ds' },
  create_model: { model_type: 'Prophet', params: { seasonality_mode: 'multiplicative', daily_seasonality: true } },
};

describe('time_series (Prophet-like forecaster)', () => {
  it("the seed's example run as a new user runs it, with no data sent: the plot's 404, the status and /experiments say why and how to send data", async () => {
    await post('/create_experiment/my_experiment/time_series', seedTsConfig);
    const untrained = await req('/my_experiment/plot/forecast');
    expect(untrained.status).toBe(404);
    expect(((await untrained.json()) as { detail: string }).detail).toBe(
      "Plot not found: my_experiment has not been trained and its queue is empty. Send its data first: POST a DataFrame (JSON records, split or columns; or text/csv) to /exphub/publish/my_experiment (/publish/my_experiment on the bridge's ExperimentHub port 8010), or name recordings in data.recordings; then POST /exphub/my_experiment/train",
    );
    expect(await (await post('/my_experiment/train', seedTsConfig)).json()).toEqual({ message: 'Training started based on sent parameters.' });
    await hub.idle('my_experiment');
    expect((await post('/my_experiment/predict')).status).toBe(204);
    const plot = await req('/my_experiment/plot/forecast');
    expect(plot.status).toBe(404);
    const detail = ((await plot.json()) as { detail: string }).detail;
    expect(detail).toMatch(/^Plot not found: the last training of my_experiment failed: no data to learn from: the queue "my_experiment" is empty\. POST a DataFrame .* to \/exphub\/publish\/my_experiment .*; then train again$/);
    const status = (await (await req('/my_experiment/status')).json()) as { available: boolean; last_error: string; queue_depth: number };
    expect(status).toMatchObject({ available: false, queue_depth: 0 });
    expect(detail).toContain(status.last_error);
    expect(await (await req('/experiments')).json()).toEqual({ my_experiment: [[], []] });
    // Following the advice works: publish, train, and the plot is there.
    await post('/publish/my_experiment', tsFrame(0, 24 * 21));
    await post('/my_experiment/train', seedTsConfig);
    await hub.idle('my_experiment');
    expect((await req('/my_experiment/plot/forecast')).status).toBe(200);
  });

  it('seed config: publish → train → figures, train_data; predict the next day and flag a planted anomaly', async () => {
    expect(await (await post('/create_experiment/my_experiment/time_series', seedTsConfig)).json()).toEqual({ message: "Creating experiment 'my_experiment' of type 'time_series'" });
    expect((await post('/publish/my_experiment', tsFrame(0, 24 * 21))).status).toBe(200);
    expect(await (await post('/my_experiment/train', seedTsConfig)).json()).toEqual({ message: 'Training started based on sent parameters.' });
    await hub.idle('my_experiment');
    expect(await (await req('/my_experiment/status')).json()).toMatchObject({ type: 'time_series', available: true, last_error: null });
    expect(await (await req('/experiments')).json()).toEqual({ my_experiment: [['forecast', 'components'], ['series', 'histogram', 'correlation']] });
    const fc = (await (await req('/my_experiment/plot/forecast')).json()) as { data: { name: string; y: number[] }[] };
    expect(fc.data.map((d) => d.name)).toEqual(['value observed', 'value upper', 'value interval', 'value forecast']);
    const comp = (await (await req('/my_experiment/plot/components')).json()) as { data: { name: string }[] };
    // Prophet's 'auto' rule adds weekly seasonality too (≥ 2 weeks of sub-weekly data).
    expect(comp.data.map((d) => d.name)).toEqual(['value trend', 'value weekly (relative)', 'value daily (relative)']);
    const td = (await (await req('/my_experiment/train_data')).json()) as Record<string, Record<string, number>>;
    expect(Object.keys(td)).toEqual(['ds', 'value', 'yhat']);
    expect(Object.keys(td.ds)).toHaveLength(504);
    // The multiplicative fit follows the noise-free curve to within the noise (σ = 0.5).
    let worst = 0;
    for (const k of Object.keys(td.yhat)) worst = Math.max(worst, Math.abs(td.yhat[k] - tsValue(Number(k))));
    expect(worst).toBeLessThan(0.6);

    // Next day, with an outlier at hour 10: forecast, interval, anomaly flag.
    const next = tsFrame(24 * 21, 24, 0.5, 9);
    next.value['10'] += 25;
    await post('/publish/my_experiment', next);
    expect(await (await post('/my_experiment/predict')).text()).toBe('"Prediction called"');
    const res = (await (await req('/my_experiment/results')).json()) as { predictions: Record<string, Record<string, unknown>> };
    const p = res.predictions;
    expect(Object.keys(p)).toEqual(['ds', 'yhat', 'yhat_lower', 'yhat_upper', 'y', 'anomaly']);
    for (let h = 0; h < 24; h++) expect(Math.abs((p.yhat[String(h)] as number) - tsValue(24 * 21 + h))).toBeLessThan(1);
    expect(p.anomaly['10']).toBe(true);
    expect(Object.values(p.anomaly).filter(Boolean).length).toBeLessThanOrEqual(8);
  });

  it('CSV with date strings, two targets; config and data errors say where', async () => {
    const lines = ['ds,a,b'];
    for (let d = 0; d < 60; d++) lines.push(`${new Date(T0_MS + d * 86_400_000).toISOString().slice(0, 10)},${10 + d + 3 * Math.sin((2 * Math.PI * d) / 7)},${50 - d / 2}`);
    const cfg = { setup: { target: ['a', 'b'], ds: 'ds' }, create_model: { model_type: 'Prophet', params: { weekly_seasonality: true, yearly_seasonality: false, n_changepoints: 0 } } };
    await post('/create_experiment/two/time_series', cfg);
    await post('/publish/two', lines.join('\n'), { 'Content-Type': 'text/csv' });
    await post('/two/train', {});
    await hub.idle('two');
    expect(await (await req('/two/status')).json()).toMatchObject({ available: true, last_error: null });
    const td = (await (await req('/two/train_data')).json()) as Record<string, Record<string, number>>;
    expect(Object.keys(td)).toEqual(['ds', 'a', 'b', 'a_yhat', 'b_yhat']);
    expect(Math.abs(td.a_yhat['30'] - td.a['30'])).toBeLessThan(1e-6);
    // Bad option: refused when /train is called (400), nothing starts.
    const bad = await post('/two/train', { create_model: { model_type: 'Prophet', params: { seasonality_mode: 'log' } } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/config\.seasonality_mode: must be "additive" or "multiplicative"/);
    expect((await post('/create_experiment/arima/time_series', { create_model: { model_type: 'ARIMA' } })).status).toBe(200);
    const arima = await post('/arima/train', {});
    expect(((await arima.json()) as { detail: string }).detail).toMatch(/model_type "Prophet"/);
    // Missing target column: the run fails with the columns listed; the experiment stays unavailable.
    await post('/create_experiment/nocol/time_series', seedTsConfig);
    await post('/publish/nocol', [{ ds: T0_MS, y: 1 }, { ds: T0_MS + HOUR_MS, y: 2 }, { ds: T0_MS + 2 * HOUR_MS, y: 3 }]);
    await post('/nocol/train', {});
    await hub.idle('nocol');
    expect(await (await req('/nocol/status')).json()).toMatchObject({ available: false, last_error: expect.stringMatching(/has no column "value" \(columns: ds, y\)/) });
  });

  it('save → retrain on other data → load/{run_id} restores the saved forecaster', async () => {
    await post('/create_experiment/ts/time_series', seedTsConfig);
    await post('/publish/ts', tsFrame(0, 24 * 14));
    await post('/ts/train', {});
    await hub.idle('ts');
    const first = await (await req('/ts/run_id')).json();
    expect(await (await post('/ts/save')).text()).toBe('"Experiment saved"');
    const before = JSON.stringify(hub.get('ts')!.run!.model);
    await post('/publish/ts', tsFrame(24 * 14, 24 * 14, 3, 77));
    await post('/ts/retrain');
    await hub.idle('ts');
    expect(JSON.stringify(hub.get('ts')!.run!.model)).not.toBe(before);
    expect(await (await post(`/ts/load/${first}`)).text()).toBe('"Experiment loaded"');
    expect(JSON.stringify(hub.get('ts')!.run!.model)).toBe(before);
    // The load_object form upstream clients send works without create_experiment.
    await post('/publish/lo', tsFrame(0, 24 * 7));
    expect((await post('/lo/train', { ...seedTsConfig, load_object: { module: 'framework.TimeSeriesAnalysis', name: 'TimeSeriesExperiment' } })).status).toBe(200);
    await hub.idle('lo');
    expect(await (await req('/lo/status')).json()).toMatchObject({ type: 'time_series', available: true });
  });
});

/** Three sensors: x2 ≈ 2·x1, x3 independent; rows listed in `faults` break the pattern as `kind` says. */
function sensorRecords(n: number, seed: number, faults: number[], kind: 'spike' | 'decorrelate') {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const x1 = Math.sin(i / 10) + 0.1 * r.n();
    let x2 = 2 * x1 + 0.1 * r.n();
    let x3 = 0.5 * r.n();
    const fault = faults.includes(i);
    if (fault && kind === 'spike') x3 += 6;
    if (fault && kind === 'decorrelate') x2 = -2 * x1;
    return { t: T0_MS + i * 1000, x1, x2, x3, fault: fault ? 1 : 0 };
  });
}

describe('fault_detection (isolation forest, PCA)', () => {
  const faults = [50, 120, 121, 200, 333];

  it('IsolationForest: train on data with rare faults, figures, scores; predict flags new faults', async () => {
    const cfg = { setup: { ds: 't', target: 'fault' }, create_model: { model_type: 'IsolationForest', params: { n_estimators: 100, contamination: 0.02, random_state: 0 } } };
    await post('/create_experiment/fd/fault_detection', cfg);
    await post('/publish/fd', sensorRecords(400, 11, faults, 'spike'));
    await post('/fd/train', {});
    await hub.idle('fd');
    expect(await (await req('/fd/status')).json()).toMatchObject({ type: 'fault_detection', available: true, last_error: null });
    expect(await (await req('/experiments')).json()).toEqual({ fd: [['anomaly_score'], ['correlation', 'histogram']] });
    const scores = hub.get('fd')!.run!.scores!;
    expect(scores.roc_auc).toBeGreaterThan(0.99);
    const corr = (await (await req('/fd/plot_eda/correlation')).json()) as { data: { x: string[]; z: number[][] }[] };
    expect(corr.data[0].x).toEqual(['x1', 'x2', 'x3']);
    expect(corr.data[0].z[0][1]).toBeGreaterThan(0.95);
    const td = (await (await req('/fd/train_data')).json()) as Record<string, Record<string, unknown>>;
    expect(Object.keys(td)).toEqual(['t', 'x1', 'x2', 'x3', 'fault', 'score', 'anomaly']);
    for (const i of faults) expect(td.anomaly[String(i)]).toBe(true);

    await post('/publish/fd', sensorRecords(100, 12, [7, 70], 'spike'));
    await post('/fd/predict');
    const p = ((await (await req('/fd/results')).json()) as { predictions: Record<string, Record<string, unknown>> }).predictions;
    expect(Object.keys(p)).toEqual(['t', 'score', 'anomaly', 'true']);
    expect(p.anomaly['7']).toBe(true);
    expect(p.anomaly['70']).toBe(true);
    // contamination 0.02: the threshold is the 2nd percentile of the training scores.
    expect(Object.values(p.anomaly).filter(Boolean).length).toBeLessThanOrEqual(5);
  });

  it('PCA: the reconstruction error finds faults that break the correlation inside the normal range', async () => {
    const cfg = { setup: { ds: 't', target: 'fault', features: ['x1', 'x2', 'x3'] }, create_model: { model_type: 'PCA', params: { n_components: 2, contamination: 0.02 } } };
    await post('/create_experiment/pca/fault_detection', cfg);
    await post('/publish/pca', sensorRecords(400, 13, faults, 'decorrelate'));
    await post('/pca/train', {});
    await hub.idle('pca');
    expect(await (await req('/pca/status')).json()).toMatchObject({ available: true, last_error: null });
    expect(await (await req('/experiments')).json()).toEqual({ pca: [['explained_variance', 'anomaly_score'], ['correlation', 'histogram']] });
    const ev = (await (await req('/pca/plot/explained_variance')).json()) as { data: { y: number[] }[] };
    expect(ev.data[0].y).toHaveLength(2);
    expect(hub.get('pca')!.run!.scores!.recall).toBe(1);
    await post('/publish/pca', sensorRecords(60, 14, [30], 'decorrelate'));
    await post('/pca/predict');
    const p = ((await (await req('/pca/results')).json()) as { predictions: Record<string, Record<string, unknown>> }).predictions;
    expect(p.anomaly['30']).toBe(true);
    expect(Object.values(p.anomaly).filter(Boolean).length).toBeLessThanOrEqual(3);
    // Options are checked when training is asked for.
    const bad = await post('/pca/train', { create_model: { model_type: 'PCA', params: { contamination: 'auto' } } });
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/PCA needs a numeric contamination/);
    const kmeans = await post('/pca/train', { create_model: { model_type: 'KMeans' } });
    expect(kmeans.status).toBe(400);
  });

  it('too few rows and non-numeric cells are reported by status', async () => {
    await post('/create_experiment/tiny/fault_detection', {});
    await post('/publish/tiny', [{ a: 1 }, { a: 2 }]);
    await post('/tiny/train', {});
    await hub.idle('tiny');
    expect(((await (await req('/tiny/status')).json()) as { last_error: string }).last_error).toMatch(/at least 8 rows/);
    await post('/publish/tiny', { columns: ['a', 'b'], data: Array.from({ length: 10 }, (_, i) => [i, i === 4 ? 'x' : i]) });
    await post('/tiny/train', { setup: { features: ['a', 'b'] } });
    await hub.idle('tiny');
    expect(((await (await req('/tiny/status')).json()) as { last_error: string }).last_error).toMatch(/row 4, column "b" is "x"/);
  });
});

/**
 * A synthetic raw-intensity fNIRS table (10 Hz; pairs S1_D1, S1_D2 at 760/850 nm; 3 cm): HbO rises
 * ~1 µM (HbR falls 0.3 µM) about 6 s after each marker, on S1_D1 for "A" and on S1_D2 for "B";
 * Gaussian noise and a slow drift; intensities by the inverse modified Beer–Lambert law (ppf 6).
 */
function fnirsTable(trials: number, seed: number): Record<string, (number | string | null)[]> {
  const fs = 10;
  const gap = 25 * fs;
  const n = trials * gap + 20 * fs;
  const r = rng(seed);
  const hbo = [new Float64Array(n), new Float64Array(n)];
  const hbr = [new Float64Array(n), new Float64Array(n)];
  const marker: (string | null)[] = new Array(n).fill(null);
  for (let p = 0; p < 2; p++) for (let i = 0; i < n; i++) {
    hbo[p][i] = 0.3e-6 * Math.sin((2 * Math.PI * i) / (90 * fs) + p) + 0.25e-6 * r.n();
    hbr[p][i] = 0.1e-6 * Math.sin((2 * Math.PI * i) / (70 * fs)) + 0.1e-6 * r.n();
  }
  for (let t = 0; t < trials; t++) {
    const on = 5 * fs + t * gap;
    const cls = t % 2 ? 'B' : 'A';
    marker[on] = cls;
    const p = cls === 'A' ? 0 : 1;
    for (let i = 0; i < 20 * fs; i++) {
      const s = i / fs;
      const h = (s / 6) ** 2 * Math.exp(2 * (1 - s / 6)); // peak 1 at 6 s
      hbo[p][on + i] += 1e-6 * h;
      hbr[p][on + i] -= 0.3e-6 * h;
    }
  }
  const k = 0.2303 * 0.03 * 6;
  const cols: Record<string, (number | string | null)[]> = {};
  for (const nm of [760, 850]) {
    const [eo, er] = extinctionCoefficients(nm);
    for (let p = 0; p < 2; p++) cols[`S1_D${p + 1} ${nm}`] = Array.from({ length: n }, (_, i) => 1000 * Math.exp(-(eo * k * hbo[p][i] + er * k * hbr[p][i]) * 1e3));
  }
  cols.marker = marker;
  return cols;
}

describe('fnirs_classification (HbO/HbR window features + logistic regression)', () => {
  const cfg = {
    setup: { classes: { A: 'left', B: 'right' }, window: [0, 12], baseline: [-2, 0], sample_rate_hz: 10, distances_m: 0.03 },
    create_model: { model_type: 'logistic_regression', params: { C: 1, cv: 5 } },
  };

  it('raw intensities published as a DataFrame: CV metrics, response figure, predictions on new trials', async () => {
    await post('/create_experiment/nirs/fnirs_classification', cfg);
    await post('/publish/nirs', fnirsTable(30, 21));
    await post('/nirs/train', {});
    await hub.idle('nirs');
    expect(await (await req('/nirs/status')).json()).toMatchObject({ type: 'fnirs_classification', available: true, last_error: null });
    expect(await (await req('/experiments')).json()).toEqual({ nirs: [['fold_scores', 'confusion_matrix', 'hemodynamic_response'], ['class_balance']] });
    const m = hub.get('nirs')!.run!.metrics!;
    expect(m.classCounts).toEqual([15, 15]);
    expect(m.folds).toHaveLength(5);
    expect(m.mean).toBeGreaterThan(0.9);
    const hr = (await (await req('/nirs/plot/hemodynamic_response')).json()) as { data: { name: string; x: number[]; y: number[] }[] };
    expect(hr.data.map((d) => d.name)).toEqual(['left HbO', 'left HbR', 'right HbO', 'right HbR']);
    // Averaged over both pairs, the response peaks near 6 s at about half of 1 µM.
    const leftHbo = hr.data[0];
    const peakAt = leftHbo.x[leftHbo.y.indexOf(Math.max(...leftHbo.y))];
    expect(peakAt).toBeGreaterThan(4);
    expect(peakAt).toBeLessThan(8);
    expect(Math.max(...leftHbo.y)).toBeGreaterThan(0.3);
    const td = (await (await req('/nirs/train_data')).json()) as Record<string, Record<string, unknown>>;
    expect(Object.keys(td)).toEqual(['trial', 'onset_s', 'class', 'source']);

    await post('/publish/nirs', fnirsTable(10, 22));
    await post('/nirs/predict');
    const p = ((await (await req('/nirs/results')).json()) as { predictions: Record<string, Record<string, unknown>> }).predictions;
    const keys = Object.keys(p.predicted);
    expect(keys).toHaveLength(10);
    expect(keys.filter((k) => p.predicted[k] === p.true[k]).length).toBeGreaterThanOrEqual(9);
  });

  it('bad input: missing distances, one class, unknown feature, too few trials', async () => {
    const noDist = { setup: { ...cfg.setup, distances_m: undefined } };
    await post('/create_experiment/nd/fnirs_classification', noDist);
    await post('/publish/nd', fnirsTable(6, 1));
    await post('/nd/train', {});
    await hub.idle('nd');
    expect(((await (await req('/nd/status')).json()) as { last_error: string }).last_error).toMatch(/give setup\.distances_m/);
    await post('/create_experiment/one/fnirs_classification', {});
    const one = await post('/one/train', { setup: { classes: { A: 'x', B: 'x' } } });
    expect(((await one.json()) as { detail: string }).detail).toMatch(/at least two distinct classes/);
    const feat = await post('/one/train', { setup: { classes: { A: 'a', B: 'b' }, features: ['mean', 'variance'] } });
    expect(((await feat.json()) as { detail: string }).detail).toMatch(/unknown feature "variance"/);
    await post('/create_experiment/few/fnirs_classification', cfg);
    await post('/publish/few', fnirsTable(3, 2));
    await post('/few/train', {});
    await hub.idle('few');
    expect(((await (await req('/few/status')).json()) as { last_error: string }).last_error).toMatch(/class "right" has 1 trial/);
  });

  describe('real SNIRF recording (neuro_run01: stim "1" ×4, "2" ×2)', needsShared, () => {
    it('task vs rest from data.recordings: cross-validated accuracy is reported', async () => {
      const realHub = new ExperimentHub({ loadRecording: async (id) => readSnirf(sharedBytes(`data/snirf/${id}.snirf`), `${id}.snirf`) });
      const realApp = createExperimentHubApp(hubBackend(realHub));
      const rpost = (path: string, body: unknown) => realApp.request(`/exphub${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
      // Six stimuli are few: task (both stimuli) vs rest windows far from any stimulus gives 6 vs 6.
      const real = { setup: { classes: { '1': 'task', '2': 'task' }, rest_class: 'rest', window: [0, 15], baseline: [-2, 0] }, create_model: { model_type: 'logistic_regression', params: { cv: 5 } }, data: { recordings: ['neuro_run01'] } };
      expect((await rpost('/create_experiment/snirf/fnirs_classification', real)).status).toBe(200);
      await rpost('/snirf/train', {});
      await realHub.idle('snirf');
      const st = (await (await realApp.request('/exphub/snirf/status')).json()) as { available: boolean; last_error: string | null };
      expect(st).toMatchObject({ available: true, last_error: null });
      const m = realHub.get('snirf')!.run!.metrics!;
      expect(m.classNames).toEqual(['task', 'rest']);
      expect(m.classCounts).toEqual([6, 6]);
      const title = ((await (await realApp.request('/exphub/snirf/plot/fold_scores')).json()) as { layout: { title: { text: string } } }).layout.title.text;
      expect(title).toMatch(/^Cross-validated accuracy: [\d.]+ \(chance 0\.500\)$/);
      console.log(`[fnirs neuro_run01 task vs rest, 5-fold] accuracy ${m.mean.toFixed(3)} (folds ${m.folds.map((f) => f.toFixed(2)).join(', ')}), chance ${m.chance.toFixed(3)}, ROC AUC ${m.rocAuc?.toFixed(3)}, ${m.epochCount} trials`);
      // Stim 1 vs stim 2: 4 vs 2 trials allow 2 folds only; reported, not asserted (too few trials to mean much).
      await rpost('/snirf/train', { setup: { classes: { '1': 'one', '2': 'two' }, rest_class: null } });
      await realHub.idle('snirf');
      const m2 = realHub.get('snirf')!.run!.metrics!;
      expect(m2.classCounts).toEqual([4, 2]);
      expect(m2.folds).toHaveLength(2);
      console.log(`[fnirs neuro_run01 stim 1 vs 2, 2-fold] accuracy ${m2.mean.toFixed(3)}, chance ${m2.chance.toFixed(3)}, ROC AUC ${m2.rocAuc?.toFixed(3)}`);
    });
  });
});
