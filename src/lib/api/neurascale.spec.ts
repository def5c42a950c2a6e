import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { NeurotabDb } from '../storage/db';
import { DeviceHub } from './device-hub';
import { createNeuraScaleApp } from './neurascale';
import { NeuraScaleService, type SettingsStore } from './neurascale-service';
import { call } from './testing';
import { createApi } from './index';

function memorySettings(): SettingsStore {
  const m = new Map<string, unknown>();
  return { get: async (k) => structuredClone(m.get(k)), put: async (k, v) => void m.set(k, structuredClone(v)) };
}

function rig(o: { clock?: () => number } = {}) {
  const hub = new DeviceHub({ timers: true });
  const db = new NeurotabDb(`ns-${Math.random()}`);
  const service = new NeuraScaleService({ devices: hub, db, settings: memorySettings() });
  const app = createNeuraScaleApp(service, '/neurascale', { clock: o.clock, settingsTtlMs: 0 });
  const close = async () => {
    await service.close();
    await hub.close();
  };
  return { hub, db, service, app, close };
}

const SEED_START = { sample_rate: 250, channels: [1, 2, 3, 4, 5, 6, 7, 8], filters: { notch: 60, highpass: 0.5, lowpass: 100 } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function expectEnvelope(r: { status: number; json: any }, status: number, code: string) {
  expect(r.status).toBe(status);
  expect(r.json.error).toMatchObject({ code, message: expect.any(String), details: expect.any(Object), request_id: expect.stringMatching(/^req_/), timestamp: expect.stringMatching(/Z$/) });
}

describe('NeuraScale REST v2: devices and streams', () => {
  it('lists devices as a page with channel_count and sampling_rate; v2 and /api/v2 answer the same', async () => {
    const { app, close } = rig();
    const r = await call(app, 'GET', '/neurascale/v2/devices');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ total: 1, page: 1, size: 50, pages: 1, has_next: false, has_prev: false, next_cursor: null });
    expect(r.json.items[0]).toMatchObject({ id: 'synthetic', type: 'EEG', status: 'OFFLINE', channel_count: 8, sampling_rate: 250, connected: false, streaming: false, session_id: null, stream_id: null, capabilities: { max_channels: 64, has_impedance_check: false } });
    const alias = await call(app, 'GET', '/neurascale/api/v2/devices');
    expect(alias.json.total).toBe(1);
    expectEnvelope(await call(app, 'GET', '/neurascale/v2/devices?size=101'), 422, 'VALIDATION_ERROR');
    await close();
  });

  it("the seed's example: POST /v2/devices openbci_001 (camelCase body), then its stream/start body → stream_id; same body again is idempotent; another config is DEVICE_BUSY", async () => {
    const { app, db, close } = rig();
    const reg = await call(app, 'POST', '/neurascale/v2/devices', { id: 'openbci_001', name: 'OpenBCI Cyton', type: { value: 'EEG' }, serialNumber: 'OBCI-1', firmwareVersion: '3.1.2' });
    expect(reg.status).toBe(201);
    expect(reg.json).toMatchObject({ id: 'openbci_001', serial_number: 'OBCI-1', firmware_version: '3.1.2', status: 'OFFLINE', metadata: { simulated: true, device_kind: 'openbci-cyton' } });
    const s = await call(app, 'POST', '/neurascale/v2/devices/openbci_001/stream/start', SEED_START);
    expect(s.status).toBe(200);
    expect(s.json).toMatchObject({ stream_id: expect.stringMatching(/^stream_/), device_id: 'openbci_001', streaming: true, session_id: expect.stringMatching(/^session_/), sample_rate: 250, channels: SEED_START.channels, message: 'Device openbci_001 started streaming' });
    const again = await call(app, 'POST', '/neurascale/v2/devices/openbci_001/stream/start', SEED_START);
    expect(again.json.stream_id).toBe(s.json.stream_id);
    expectEnvelope(await call(app, 'POST', '/neurascale/v2/devices/openbci_001/stream/start', { ...SEED_START, channels: [1, 2] }), 409, 'DEVICE_BUSY');
    expectEnvelope(await call(app, 'POST', '/neurascale/v2/devices/openbci_001/stream/start', { sample_rate: 500 }), 422, 'INVALID_CONFIGURATION');
    const d = await call(app, 'GET', '/neurascale/v2/devices/openbci_001');
    expect(d.json).toMatchObject({ status: 'ONLINE', streaming: true, session_id: s.json.session_id, stream_id: s.json.stream_id, config: { sample_rate: 250, filters: { notch: 60, highpass: 0.5, lowpass: 100 } } });
    await sleep(1300);
    const q = await call(app, 'GET', '/neurascale/v2/devices/openbci_001/signal-quality');
    expect(q.status).toBe(200);
    expect(q.json.channels).toHaveLength(8);
    expect(q.json.channels[0]).toMatchObject({ number: 1, status: 'good', flat: false });
    const stop = await call(app, 'POST', '/neurascale/v2/devices/openbci_001/stream/stop');
    expect(stop.json).toMatchObject({ device_id: 'openbci_001', stream_id: s.json.stream_id, streaming: false });
    expectEnvelope(await call(app, 'POST', '/neurascale/v2/devices/openbci_001/stream/stop'), 409, 'STREAM_UNAVAILABLE');
    // The session is a recording in the library, holding what was streamed.
    const recs = await call(app, 'GET', `/neurascale/v2/sessions/${s.json.session_id}/recordings`);
    expect(recs.json.items).toHaveLength(1);
    const rec = recs.json.items[0];
    expect(rec).toMatchObject({ session_id: s.json.session_id, channel_count: 8, sample_rate: 250, status: 'complete' });
    expect(rec.sample_count).toBeGreaterThan(250);
    const row = await db.recordings.get(rec.id);
    expect(row?.session).toBe(s.json.session_id);
    expect((await call(app, 'GET', `/neurascale/v2/sessions/${s.json.session_id}`)).json.status).toBe('completed');
    await close();
  });

  it('unknown devices answer DEVICE_NOT_FOUND with the seed’s details; impedance on the synthetic device is 501', async () => {
    const { app, close } = rig();
    const r = await call(app, 'GET', '/neurascale/v2/devices/openbci_001');
    expectEnvelope(r, 404, 'DEVICE_NOT_FOUND');
    expect(r.json.error.message).toBe("Device with ID 'openbci_001' not found");
    expect(r.json.error.details).toEqual({ resource_type: 'device', resource_id: 'openbci_001', available_devices: ['synthetic'] });
    expectEnvelope(await call(app, 'GET', '/neurascale/v2/devices/synthetic/impedance'), 501, 'NOT_IMPLEMENTED');
    expectEnvelope(await call(app, 'GET', '/neurascale/v2/devices/synthetic/signal-quality'), 409, 'STREAM_UNAVAILABLE');
    expectEnvelope(await call(app, 'PUT', '/neurascale/v2/devices'), 405, 'METHOD_NOT_ALLOWED');
    expectEnvelope(await call(app, 'GET', '/neurascale/v2/nothing'), 404, 'NOT_FOUND');
    expectEnvelope(await call(app, 'POST', '/neurascale/v2/devices', '{"name": '), 400, 'VALIDATION_ERROR');
    await close();
  });

  it('config PATCH merges (on_next_start when idle); calibration is kept; delete is 204 and 409 while streaming', async () => {
    const { app, close } = rig();
    const p = await call(app, 'PATCH', '/neurascale/v2/devices/synthetic/config', { sample_rate: 500, channels: [1, 2, 3, 4] });
    expect(p.json).toMatchObject({ device_id: 'synthetic', config: { sample_rate: 500, channels: [1, 2, 3, 4] }, applied: 'on_next_start' });
    expectEnvelope(await call(app, 'PATCH', '/neurascale/v2/devices/synthetic/config', { gain: 24 }), 422, 'INVALID_CONFIGURATION');
    const cal = await call(app, 'POST', '/neurascale/v2/devices/synthetic/calibration', { offsets: [0, 1] });
    expect(cal.json.calibration).toMatchObject({ parameters: { offsets: [0, 1] }, performed_by: 'api' });
    expect((await call(app, 'GET', '/neurascale/v2/devices/synthetic')).json.calibration).toBeUndefined();
    expect((await call(app, 'GET', '/neurascale/v2/devices/synthetic?include_calibration=true')).json.calibration.parameters).toEqual({ offsets: [0, 1] });
    await call(app, 'POST', '/neurascale/v2/devices', { id: 'eeg_2', name: 'Second' });
    await call(app, 'POST', '/neurascale/v2/devices/eeg_2/stream/start');
    expectEnvelope(await call(app, 'DELETE', '/neurascale/v2/devices/eeg_2'), 409, 'DEVICE_BUSY');
    await call(app, 'POST', '/neurascale/v2/devices/eeg_2/stream/stop');
    expect((await call(app, 'DELETE', '/neurascale/v2/devices/eeg_2')).status).toBe(204);
    await close();
  });
});

describe('NeuraScale REST v2: sessions, data, export, analysis', () => {
  it('a session created first records its device; timeseries reads the rows back; exports in our formats', async () => {
    const { app, close } = rig();
    const s = await call(app, 'POST', '/neurascale/v2/sessions', { name: 'MI run', patientId: 'P01', deviceIds: ['synthetic'], durationMinutes: 5, protocol: 'motor imagery' });
    expect(s.status).toBe(201);
    expect(s.json).toMatchObject({ name: 'MI run', patient_id: 'P01', device_ids: ['synthetic'], duration_minutes: 5, status: 'created' });
    const start = await call(app, 'POST', '/neurascale/v2/devices/synthetic/stream/start', { sample_rate: 250, channels: [1, 2, 3, 4] });
    expect(start.json.session_id).toBe(s.json.id);
    expect((await call(app, 'GET', `/neurascale/v2/sessions/${s.json.id}`)).json.status).toBe('recording');
    expectEnvelope(await call(app, 'DELETE', `/neurascale/v2/sessions/${s.json.id}`), 409, 'SESSION_BUSY');
    await sleep(1200);
    const t = await call(app, 'GET', `/neurascale/v2/data/timeseries?session_id=${s.json.id}&channels=1,3&format=json`);
    expect(t.status).toBe(200);
    expect(t.json).toMatchObject({ session_id: s.json.id, sample_rate: 250, channels: [1, 3] });
    expect(t.json.samples.length).toBeGreaterThan(200);
    expect(Object.keys(t.json.samples[0])).toEqual(['timestamp', 'ch1', 'ch3']);
    const ts = t.json.samples.map((x: { timestamp: number }) => x.timestamp);
    expect(ts.every((v: number, i: number) => i === 0 || v > ts[i - 1])).toBe(true);
    const sub = await call(app, 'GET', `/neurascale/v2/data/timeseries?session_id=${s.json.id}&start=${new Date(ts[10]).toISOString()}&end=${ts[19]}`);
    expect(sub.json.samples.length).toBeGreaterThanOrEqual(9);
    expectEnvelope(await call(app, 'GET', `/neurascale/v2/data/timeseries?session_id=${s.json.id}&channels=9`), 400, 'VALIDATION_ERROR');
    expectEnvelope(await call(app, 'GET', '/neurascale/v2/data/timeseries?session_id=session_nope'), 404, 'SESSION_NOT_FOUND');
    const done = await call(app, 'PATCH', `/neurascale/v2/sessions/${s.json.id}`, { status: 'completed', metadata: { note: 'ok' } });
    expect(done.json).toMatchObject({ status: 'completed', metadata: { note: 'ok' } });
    expect((await call(app, 'GET', '/neurascale/v2/devices/synthetic')).json.streaming).toBe(false);
    for (const format of ['csv', 'edf', 'json']) {
      const ex = await call(app, 'POST', '/neurascale/v2/data/export', { session_id: s.json.id, format, channels: [1, 2] });
      expect(ex.status).toBe(202);
      expect(ex.json).toMatchObject({ export_id: expect.stringMatching(/^export_/), status: expect.stringMatching(/queued|running/), download_url: null });
      let st = ex.json;
      for (let i = 0; i < 50 && st.status !== 'completed' && st.status !== 'failed'; i++) {
        await sleep(20);
        st = (await call(app, 'GET', `/neurascale/v2/data/export/${ex.json.export_id}`)).json;
      }
      expect(st).toMatchObject({ status: 'completed', download_url: `/neurascale/v2/data/export/${ex.json.export_id}/file` });
      const file = await app.request(st.download_url);
      expect(file.status).toBe(200);
      const bytes = new Uint8Array(await file.arrayBuffer());
      expect(bytes.length).toBe(st.bytes);
      if (format === 'edf') expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('0       ');
      if (format === 'csv') expect(new TextDecoder().decode(bytes).split('\n')[0]).toBe('timestamp_ms,Fp1,Fp2');
      if (format === 'json') expect(JSON.parse(new TextDecoder().decode(bytes)).channels).toEqual(['Fp1', 'Fp2']);
    }
    const xdf = await call(app, 'POST', '/neurascale/v2/data/export', { session_id: s.json.id, format: 'xdf' });
    expectEnvelope(xdf, 400, 'VALIDATION_ERROR');
    expect(xdf.json.error.message).toMatch(/read, not written/);
    expect((await call(app, 'DELETE', `/neurascale/v2/sessions/${s.json.id}`)).status).toBe(204);
    expectEnvelope(await call(app, 'GET', `/neurascale/v2/sessions/${s.json.id}`), 404, 'SESSION_NOT_FOUND');
    await close();
  });

  it('analysis: models map to our experiment types; unknown model_type is 422; a session without markers fails with the reason', async () => {
    const { app, close } = rig();
    const models = await call(app, 'GET', '/neurascale/v2/analysis/models');
    expect(models.json.items.find((m: { model_type: string }) => m.model_type === 'motor_imagery_4class')).toMatchObject({ experiment_type: 'motor_imagery_csp_lda', modality: 'EEG' });
    const s = await call(app, 'POST', '/neurascale/v2/sessions', { name: 'x', device_ids: ['synthetic'] });
    expectEnvelope(await call(app, 'POST', `/neurascale/v2/analysis/sessions/${s.json.id}/analyze`, { model_type: 'telepathy' }), 422, 'INVALID_CONFIGURATION');
    await call(app, 'POST', '/neurascale/v2/devices/synthetic/stream/start');
    await sleep(300);
    await call(app, 'POST', '/neurascale/v2/devices/synthetic/stream/stop');
    const a = await call(app, 'POST', `/neurascale/v2/analysis/sessions/${s.json.id}/analyze`, { model_type: 'motor_imagery_4class', parameters: { window_size: 2.0, overlap: 0.5, frequency_bands: { mu: [8, 12], beta: [16, 24] } } });
    expect(a.status).toBe(202);
    expect(a.json).toMatchObject({ analysis_id: expect.stringMatching(/^analysis_/), status: 'queued' });
    let res = a.json;
    for (let i = 0; i < 50 && !['completed', 'failed'].includes(res.status); i++) {
      await sleep(20);
      res = (await call(app, 'GET', `/neurascale/v2/analysis/results/${a.json.analysis_id}`)).json;
    }
    expect(res.status).toBe('failed');
    expect(res.error).toMatch(/class/i);
    expectEnvelope(await call(app, 'GET', '/neurascale/v2/analysis/results/analysis_x'), 404, 'ANALYSIS_NOT_FOUND');
    await close();
  });
});

describe('NeuraScale auth and rate limits', () => {
  it('auth off: no token needed; local: login → Bearer works; expired, forged and refresh-as-access tokens are 401 INVALID_TOKEN', async () => {
    let now = Date.parse('2025-01-15T10:00:00Z');
    const { app, service, close } = rig({ clock: () => now });
    expect((await call(app, 'GET', '/neurascale/v2/devices')).status).toBe(200);
    await service.setSettings({ auth: 'local', password: 'pw' });
    expectEnvelope(await call(app, 'GET', '/neurascale/v2/devices'), 401, 'INVALID_TOKEN');
    expectEnvelope(await call(app, 'POST', '/neurascale/v2/auth/login', { email: 'a@b.c', password: 'wrong' }), 401, 'INVALID_TOKEN');
    expectEnvelope(await call(app, 'POST', '/neurascale/v2/auth/login', { email: 'a@b.c' }), 400, 'VALIDATION_ERROR');
    const login = await call(app, 'POST', '/neurascale/v2/auth/login', { email: 'a@b.c', password: 'pw' });
    expect(login.json).toMatchObject({ token_type: 'Bearer', expires_in: 1800 });
    const auth = { Authorization: `Bearer ${login.json.access_token}` };
    expect((await call(app, 'GET', '/neurascale/v2/devices', undefined, auth)).status).toBe(200);
    // Claims as the reference implementation names them.
    const claims = JSON.parse(Buffer.from(login.json.access_token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'a@b.c', role: 'user', type: 'access', aud: 'neurascale-api', iss: 'neurascale-auth', jti: expect.any(String) });
    expect(claims.exp - claims.iat).toBe(1800);
    const asAccess = await call(app, 'GET', '/neurascale/v2/devices', undefined, { Authorization: `Bearer ${login.json.refresh_token}` });
    expectEnvelope(asAccess, 401, 'INVALID_TOKEN');
    const forged = await new SignJWT({ role: 'admin', type: 'access' }).setProtectedHeader({ alg: 'HS256' }).setSubject('a@b.c').setIssuedAt().setExpirationTime('1h').setAudience('neurascale-api').setIssuer('neurascale-auth').sign(new TextEncoder().encode('not-the-app-secret-not-the-app-secret'));
    const f = await call(app, 'GET', '/neurascale/v2/devices', undefined, { Authorization: `Bearer ${forged}` });
    expectEnvelope(f, 401, 'INVALID_TOKEN');
    expect(f.json.error.message).toMatch(/signature/);
    expectEnvelope(await call(app, 'GET', '/neurascale/v2/devices', undefined, { Authorization: 'Bearer abc.def' }), 401, 'INVALID_TOKEN');
    now += 1801_000;
    const expired = await call(app, 'GET', '/neurascale/v2/devices', undefined, auth);
    expectEnvelope(expired, 401, 'INVALID_TOKEN');
    expect(expired.json.error.message).toMatch(/expired/);
    const refreshed = await call(app, 'POST', '/neurascale/v2/auth/refresh', { refresh_token: login.json.refresh_token });
    expect((await call(app, 'GET', '/neurascale/v2/devices', undefined, { Authorization: `Bearer ${refreshed.json.access_token}` })).status).toBe(200);
    expectEnvelope(await call(app, 'POST', '/neurascale/v2/auth/refresh', { refresh_token: login.json.access_token }), 401, 'INVALID_TOKEN');
    // The v1 alias is behind the same check, in its own error shape.
    const v1 = await call(app, 'GET', '/neurascale/api/v1/devices');
    expect(v1.status).toBe(401);
    expect(typeof v1.json.error).toBe('string');
    await close();
  });

  it('rate limit: off by default; on, the request past the limit in an hour is 429 RATE_LIMIT_EXCEEDED with Retry-After, per token', async () => {
    let now = 1_000_000_000;
    const { app, service, close } = rig({ clock: () => now });
    for (let i = 0; i < 30; i++) expect((await call(app, 'GET', '/neurascale/v2/analysis/models')).status).toBe(200);
    await service.setSettings({ rateLimitPerHour: 5 });
    for (let i = 0; i < 5; i++) {
      const r = await call(app, 'GET', '/neurascale/v2/analysis/models');
      expect(r.status).toBe(200);
      expect(r.headers.get('X-RateLimit-Remaining')).toBe(String(4 - i));
      now += 60_000;
    }
    const over = await call(app, 'GET', '/neurascale/v2/analysis/models');
    expectEnvelope(over, 429, 'RATE_LIMIT_EXCEEDED');
    expect(over.headers.get('Retry-After')).toBe(String(3600 - 5 * 60));
    // Another token has its own counter.
    expect((await call(app, 'GET', '/neurascale/v2/analysis/models', undefined, { Authorization: 'Bearer other' })).status).toBe(200);
    now += (3600 - 5 * 60) * 1000 + 1;
    expect((await call(app, 'GET', '/neurascale/v2/analysis/models')).status).toBe(200);
    await close();
  });
});

describe('NeuraScale in the whole API', () => {
  it('is listed by /bci/v1/compat and described in /bci/v1/openapi.json; without a backend it answers 503', async () => {
    const { service, close } = rig();
    const { LocalBackend } = await import('./local-backend');
    const app = createApi(new LocalBackend(), { neurascale: service });
    const compat = await call(app, 'GET', '/bci/v1/compat');
    expect(compat.json.families).toContainEqual(expect.objectContaining({ family: 'neurascale', mount: '/neurascale', emulates: 'NeuraScale REST v2 + WS beta' }));
    const doc = (await call(app, 'GET', '/bci/v1/openapi.json')).json;
    for (const p of ['/neurascale/v2/devices', '/neurascale/v2/devices/{device_id}/stream/start', '/neurascale/v2/sessions', '/neurascale/v2/data/timeseries', '/neurascale/api/v1/devices', '/neurascale/api/v1/devices/{device_id}/signal-quality'])
      expect(doc.paths[p], p).toBeDefined();
    expect((await call(app, 'GET', '/neurascale/v2/devices')).status).toBe(200);
    const bare = createApi(new LocalBackend());
    expectEnvelope(await call(bare, 'GET', '/neurascale/v2/devices'), 503, 'ENGINE_UNAVAILABLE');
    await close();
  });
});
