// NeuraScale family (API.md §10), mounted at /neurascale: REST v2 (§10.1–§10.4, also under
// /api/v2), the Flask-shaped /api/v1/devices alias (§10.3) that NeuraScale's own example client
// speaks, JWT auth (off by default, `local` by setting) and per-token rate limits (§10.6, off by
// default). Bodies in snake_case or camelCase; answers in snake_case. Runs wherever the routers run;
// depends only on NeuraScaleBackend (the API worker's NeuraScaleService behind a port, or one wired
// directly in tests). Holds no device or session state: only the rate counters and a settings cache.
import { Hono, type Context } from 'hono';
import { ApiError, errorResponse, FamilyRoutes, json, normalizedGetPath, readJsonBody, type FamilyEnvelope, type RouteDoc } from './http';
import type { BackendErrorCode } from './backend';
import type { ApiDevice, ChannelQualityReport, DeviceConfig, DeviceFilters, DeviceHealth, DeviceKind, DeviceModality, DeviceStatus } from './device-backend';
import { kindFromName } from './device-hub';
import type { NeuraScaleBackend, NeuraScaleSettings, NsAnalysis, NsExport, NsModelInfo, NsRecordingInfo, NsSession } from './neurascale-backend';
import { mintTokens, RateLimiter, verifyToken } from './neurascale-auth';
import { sseResponse, type LiveConnector } from './live-client';

const MAX_BODY_BYTES = 1024 * 1024;

/** HTTP status of each NeuraScale code (API.md §6; device and session failures keep their names). */
export const NS_STATUS: Record<string, number> = {
  VALIDATION_ERROR: 400,
  INVALID_TOKEN: 401,
  INSUFFICIENT_PERMISSIONS: 403,
  DEVICE_NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  ANALYSIS_NOT_FOUND: 404,
  EXPORT_NOT_FOUND: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  DEVICE_BUSY: 409,
  DEVICE_EXISTS: 409,
  DEVICE_OFFLINE: 409,
  DEVICE_NOT_PAIRED: 409,
  STREAM_UNAVAILABLE: 409,
  SESSION_BUSY: 409,
  PAYLOAD_TOO_LARGE: 413,
  RANGE_TOO_LARGE: 413,
  INVALID_CONFIGURATION: 422,
  RATE_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  NOT_IMPLEMENTED: 501,
  ENGINE_UNAVAILABLE: 503,
};
const RENAMED: Record<string, string> = { NOT_SUPPORTED: 'NOT_IMPLEMENTED' };

export const neurascaleEnvelope: FamilyEnvelope = {
  family: 'neurascale',
  generic: (k) => ({ NOT_FOUND: 'NOT_FOUND', METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED', BAD_REQUEST: 'VALIDATION_ERROR', PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE', INTERNAL: 'INTERNAL_ERROR', ENGINE_UNAVAILABLE: 'ENGINE_UNAVAILABLE' })[k],
  body: (_s, code, message, details, requestId) => ({ error: { code, message, details: details ?? {}, request_id: requestId, timestamp: new Date().toISOString() } }),
  fromBackend: (code: BackendErrorCode) => (code === 'ENGINE_UNAVAILABLE' ? { status: 503, code } : code === 'BAD_REQUEST' ? { status: 400, code: 'VALIDATION_ERROR' } : { status: 500, code: 'INTERNAL_ERROR' }),
};

/** The Flask reference's error shape, `{"error": "<message>"}` (the /api/v1/devices alias). */
export const flaskEnvelope: FamilyEnvelope = {
  ...neurascaleEnvelope,
  family: 'neurascale v1',
  body: (_s, _code, message) => ({ error: message }),
};

/** Failures from the backend (DeviceFailure / NsFailure, as instances or as wire objects) → ApiError. */
function mapFailure(e: unknown): never {
  const o = e as { code?: unknown; message?: unknown; details?: unknown } | null;
  if (o && typeof o.code === 'string') {
    const code = RENAMED[o.code] ?? o.code;
    if (code in NS_STATUS && code !== 'ENGINE_UNAVAILABLE') throw new ApiError(NS_STATUS[code], code, String(o.message), (o.details as Record<string, unknown>) ?? {});
  }
  throw e;
}

async function call<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    mapFailure(e);
  }
}

// ---------------------------------------------------------------------------------------------
// Bodies: snake_case or camelCase in, plain checks with messages that say what to send.

type Obj = Record<string, unknown>;
const camel = (s: string) => s.replace(/_([a-z])/g, (_m, ch: string) => ch.toUpperCase());
const bad = (msg: string, field?: string, status = 400, code = 'VALIDATION_ERROR') => new ApiError(status, code, msg, field ? { field } : {});

function field(b: Obj, name: string): unknown {
  return b[name] !== undefined ? b[name] : b[camel(name)];
}
function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function optString(b: Obj, name: string, max = 256): string | undefined {
  const v = field(b, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max) throw bad(`${name} must be a string of at most ${max} characters`, name);
  return v;
}
function optNumber(b: Obj, name: string): number | undefined {
  const v = field(b, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`${name} must be a number`, name);
  return v;
}
/** Enums may come as plain strings or FastAPI's {"value": …} objects (§13 #17). */
function enumValue(v: unknown): unknown {
  return isObj(v) && 'value' in v ? v.value : v;
}

async function body(c: Context, env: FamilyEnvelope = neurascaleEnvelope): Promise<Obj> {
  const b = await readJsonBody(c, env, { maxBytes: MAX_BODY_BYTES, pythonTokens: true });
  if (b === undefined) return {};
  if (!isObj(b)) throw bad('The request body must be a JSON object');
  return b;
}

function configFrom(b: Obj, where: 'start' | 'config'): Partial<DeviceConfig> {
  const out: Partial<DeviceConfig> = {};
  const rate = optNumber(b, 'sample_rate') ?? optNumber(b, 'sampling_rate');
  if (rate !== undefined) out.sampleRateHz = rate;
  const ch = field(b, 'channels');
  if (ch !== undefined && ch !== null) {
    if (!Array.isArray(ch) || ch.some((n) => !Number.isInteger(n))) throw bad('channels must be an array of channel numbers (1-based integers)', 'channels', 422, 'INVALID_CONFIGURATION');
    out.channels = ch as number[];
  }
  const f = field(b, 'filters');
  if (f !== undefined && f !== null) {
    if (!isObj(f)) throw bad('filters must be an object with notch, highpass, lowpass or bandpass', 'filters', 422, 'INVALID_CONFIGURATION');
    const filters: DeviceFilters = {};
    const num = (k: string) => {
      const v = f[k];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`filters.${k} must be a frequency in Hz`, `filters.${k}`, 422, 'INVALID_CONFIGURATION');
      return v;
    };
    filters.notchHz = num('notch');
    filters.highpassHz = num('highpass');
    filters.lowpassHz = num('lowpass');
    if (f.bandpass !== undefined) {
      const bp = f.bandpass;
      if (!Array.isArray(bp) || bp.length !== 2 || !bp.every((x) => typeof x === 'number' && x > 0) || bp[0] >= bp[1]) throw bad('filters.bandpass must be [low, high] in Hz with low < high', 'filters.bandpass', 422, 'INVALID_CONFIGURATION');
      filters.highpassHz = bp[0];
      filters.lowpassHz = bp[1];
    }
    for (const k of Object.keys(filters) as (keyof DeviceFilters)[]) if (filters[k] === undefined) delete filters[k];
    out.filters = filters;
  }
  if (where === 'config') {
    const g = field(b, 'gain');
    if (g !== undefined) {
      if (g !== null && (typeof g !== 'number' || !Number.isFinite(g))) throw bad('gain must be a number', 'gain', 422, 'INVALID_CONFIGURATION');
      out.gain = g as number | null;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rendering

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
const STATUS_OUT: Record<DeviceStatus, string> = { online: 'ONLINE', offline: 'OFFLINE', maintenance: 'MAINTENANCE', error: 'ERROR' };

function renderConfig(c: DeviceConfig) {
  const filters: Record<string, number> = {};
  if (c.filters.notchHz !== undefined) filters.notch = c.filters.notchHz;
  if (c.filters.highpassHz !== undefined) filters.highpass = c.filters.highpassHz;
  if (c.filters.lowpassHz !== undefined) filters.lowpass = c.filters.lowpassHz;
  return { sample_rate: c.sampleRateHz, channels: c.channels, filters, gain: c.gain };
}

function renderDevice(d: ApiDevice, base: string, sessionId: string | null) {
  const self = `${base}/v2/devices/${encodeURIComponent(d.id)}`;
  return {
    id: d.id,
    name: d.name,
    type: d.modality,
    status: STATUS_OUT[d.status],
    serial_number: d.serialNumber,
    firmware_version: d.firmwareVersion,
    last_seen: iso(d.lastSeenMs),
    calibration: d.calibration && { timestamp: iso(d.calibration.timestampMs), parameters: d.calibration.parameters, valid_until: iso(d.calibration.validUntilMs), performed_by: d.calibration.performedBy },
    metadata: { ...d.metadata, device_kind: d.kind },
    connected: d.connected,
    streaming: d.streaming,
    session_id: sessionId,
    stream_id: d.streamId,
    channel_count: d.config.channels.length,
    sampling_rate: d.config.sampleRateHz,
    battery_level: d.batteryPercent,
    config: renderConfig(d.config),
    capabilities: {
      supported_sampling_rates: d.capabilities.sampleRatesHz,
      max_channels: d.capabilities.maxChannels,
      signal_types: d.capabilities.signalTypes,
      has_impedance_check: d.capabilities.impedanceCheck,
      has_battery_monitor: d.capabilities.batteryMonitor,
    },
    _links: { self: { href: self }, sessions: { href: `${base}/v2/sessions` }, calibration: { href: `${self}/calibration` }, metrics: { href: `${self}/signal-quality` } },
  };
}

function renderSession(s: NsSession, base: string) {
  return {
    id: s.id, name: s.name, patient_id: s.patientId, device_ids: s.deviceIds, duration_minutes: s.durationMinutes, protocol: s.protocol, status: s.status,
    start_time: iso(s.startTimeMs), end_time: iso(s.endTimeMs), metadata: s.metadata, recording_ids: s.recordingIds,
    _links: { self: { href: `${base}/v2/sessions/${s.id}` }, recordings: { href: `${base}/v2/sessions/${s.id}/recordings` } },
  };
}

function renderRecording(r: NsRecordingInfo) {
  return {
    id: r.id, session_id: r.sessionId, device_id: r.deviceId, channel_count: r.channelCount, sample_rate: r.sampleRateHz, duration: r.durationSeconds, sample_count: r.sampleCount,
    quality: r.sampleCount > 0 ? Math.max(0, 1 - r.droppedFrames / (r.sampleCount + r.droppedFrames)) : null, status: r.status, stop_reason: r.stopReason,
    file: { filename: `${r.id}.edf`, url: `/bci/v1/recordings/${r.id}` },
  };
}

function renderExport(e: NsExport, base: string) {
  return { export_id: e.id, session_id: e.sessionId, format: e.format, status: e.status, download_url: e.status === 'completed' ? `${base}/v2/data/export/${e.id}/file` : null, filename: e.filename, bytes: e.bytes, error: e.error };
}

function renderAnalysis(a: NsAnalysis) {
  return { analysis_id: a.id, session_id: a.sessionId, model_type: a.modelType, status: a.status, metrics: a.metrics, predictions: a.predictions, ...(a.error ? { error: a.error } : {}) };
}

function renderModel(m: NsModelInfo) {
  return { model_type: m.modelType, description: m.description, modality: m.modality, experiment_type: m.experimentType, parameters_schema: m.parametersSchema, deployed: m.deployed };
}

function renderQuality(q: ChannelQualityReport) {
  return { number: q.number, label: q.label, quality: q.quality, status: q.status, std_uv: q.stdUv, railed: q.railed, flat: q.flat, line_noise_uv: q.lineNoiseUv, snr_db: q.snrDb };
}

// ---------------------------------------------------------------------------------------------
// The app

export interface NeuraScaleAppOptions {
  /** Live connections to the engine host, where the socket handler (neurascale-ws.ts) runs: the SSE fallback and data/stream. */
  live?: LiveConnector;
  /** ms since the epoch; tests pass a fake (token expiry, rate windows). */
  clock?: () => number;
  /** How long a settings read is reused (default 1000 ms; tests: 0). */
  settingsTtlMs?: number;
}

const TYPE_IN: Record<string, DeviceModality> = { EEG: 'EEG', EMG: 'EMG', ECG: 'ECG', FNIRS: 'fNIRS', HYBRID: 'HYBRID', AUX: 'AUX', TMS: 'HYBRID', TDCS: 'HYBRID' };

/** The NeuraScale app with routes relative to `mount` ("/neurascale", or "" at the bridge's root). */
export function createNeuraScaleApp(backend: NeuraScaleBackend | null, mount = '/neurascale', o: NeuraScaleAppOptions = {}): Hono {
  const app = new Hono({ getPath: normalizedGetPath });
  const clock = o.clock ?? Date.now;
  const limiter = new RateLimiter(clock);
  let cached: { at: number; s: NeuraScaleSettings } | null = null;
  let monitoring = false;

  const be = (): NeuraScaleBackend => {
    if (!backend) throw new ApiError(503, 'ENGINE_UNAVAILABLE', 'The NeuraScale API is not available: no Neurotab tab hosts the engine; open Neurotab in a browser tab');
    return backend;
  };
  const settings = async (): Promise<NeuraScaleSettings> => {
    const ttl = o.settingsTtlMs ?? 1000;
    if (cached && clock() - cached.at < ttl) return cached.s;
    const s = await be().nsSettings();
    cached = { at: clock(), s };
    return s;
  };
  const sessionsOf = async () => call(be().nsDeviceSessions());

  // Auth and rate limits for every route but login / refresh (both forms of the path).
  const isAuthPath = (p: string) => /\/v2\/auth\/(login|refresh)$/.test(p);
  app.use(`${mount}/*`, async (c, next) => {
    const env = c.req.path.startsWith(`${mount}/api/v1/`) ? flaskEnvelope : neurascaleEnvelope;
    try {
      if (c.req.method === 'OPTIONS' || !backend) return await next();
      const s = await settings();
      const header = c.req.header('Authorization') ?? '';
      const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? '';
      if (s.auth === 'local' && !isAuthPath(c.req.path)) {
        if (!token) throw new ApiError(401, 'INVALID_TOKEN', 'Missing Authorization: Bearer <token>; get one from POST /v2/auth/login', {}, { 'WWW-Authenticate': 'Bearer' });
        const v = await verifyToken(s, token, 'access', clock());
        if ('reason' in v) throw new ApiError(401, 'INVALID_TOKEN', `Invalid token: ${v.reason}`, {}, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
      }
      if (s.rateLimitPerHour !== null) {
        const retry = limiter.take(token || 'anonymous', s.rateLimitPerHour);
        if (retry !== null) throw new ApiError(429, 'RATE_LIMIT_EXCEEDED', `More than ${s.rateLimitPerHour} requests in the last hour with this token; retry in ${retry} s`, { limit: s.rateLimitPerHour, window_seconds: 3600, retry_after: retry }, { 'Retry-After': String(retry) });
      }
      await next();
      if (s.rateLimitPerHour !== null) c.res.headers.set('X-RateLimit-Remaining', String(limiter.remaining(token || 'anonymous', s.rateLimitPerHour)));
    } catch (e) {
      // ApiError, or the engine being away (BackendError ENGINE_UNAVAILABLE → 503 + Retry-After).
      return errorResponse(c, env, e);
    }
  });

  // The alias in an app of its own, so its 404 / 405 keep the Flask shape too.
  const v1app = new Hono({ getPath: normalizedGetPath });
  const v1 = new FamilyRoutes(v1app, flaskEnvelope);
  registerV1(v1, be, mount, sessionsOf, () => monitoring, (m) => (monitoring = m));
  app.route('/', v1.finish(`${mount}/api/v1/devices`));

  const r = new FamilyRoutes(app, neurascaleEnvelope);
  // Every v2 route also answers under /api/v2 (the FastAPI reference and the published SDKs).
  const on = (method: Parameters<FamilyRoutes['on']>[0], path: string, h: (c: Context) => Promise<Response>, doc: RouteDoc) => {
    r.on(method, `${mount}/v2${path}`, h, doc);
    r.on(method, `${mount}/api/v2${path}`, h);
  };
  const ok = (status: number, description: string) => ({ status, description });

  // A1, A2
  on('POST', '/auth/login', async (c) => {
    const b = await body(c);
    const email = optString(b, 'email');
    const password = optString(b, 'password');
    if (!email || password === undefined) throw bad('Send {"email": …, "password": …}', !email ? 'email' : 'password');
    const s = await settings();
    if (s.password !== null && password !== s.password) throw new ApiError(401, 'INVALID_TOKEN', 'Wrong email or password; the password is set in Neurotab settings (NeuraScale API)');
    return json(await mintTokens(s, email, clock()));
  }, { summary: 'Log in: an HS256 JWT pair (A1)', ok: ok(200, 'Token pair'), errors: ['VALIDATION_ERROR', 'INVALID_TOKEN'] });
  on('POST', '/auth/refresh', async (c) => {
    const b = await body(c);
    const token = optString(b, 'refresh_token', 8192);
    if (!token) throw bad('Send {"refresh_token": …} from the login answer', 'refresh_token');
    const s = await settings();
    const v = await verifyToken(s, token, 'refresh', clock());
    if ('reason' in v) throw new ApiError(401, 'INVALID_TOKEN', `Invalid refresh token: ${v.reason}`);
    return json(await mintTokens(s, v.sub, clock(), v.role));
  }, { summary: 'Refresh a token pair (A2)', ok: ok(200, 'Token pair'), errors: ['INVALID_TOKEN'] });

  // D1–D11
  on('GET', '/devices', async (c) => {
    const q = c.req.query();
    const page = q.page === undefined ? 1 : Number(q.page);
    const size = q.size === undefined ? 50 : Number(q.size);
    if (!Number.isInteger(page) || page < 1) throw bad('page must be an integer ≥ 1', 'page', 422);
    if (!Number.isInteger(size) || size < 1 || size > 100) throw bad('size must be an integer from 1 to 100', 'size', 422);
    if (q.status !== undefined && !Object.values(STATUS_OUT).includes(q.status.toUpperCase())) throw bad(`status must be one of ${Object.values(STATUS_OUT).join(', ')}`, 'status', 422);
    const { devices, sessions } = await call(be().nsDevices());
    let list = devices;
    if (q.status) list = list.filter((d) => STATUS_OUT[d.status] === q.status!.toUpperCase());
    if (q.type) list = list.filter((d) => d.modality.toUpperCase() === q.type!.toUpperCase());
    if (q.search) list = list.filter((d) => `${d.id} ${d.name} ${d.serialNumber}`.toLowerCase().includes(q.search!.toLowerCase()));
    const total = list.length;
    const pages = Math.max(1, Math.ceil(total / size));
    const items = list.slice((page - 1) * size, page * size).map((d) => renderDevice(d, mount, sessions[d.id] ?? null));
    const link = (p: number) => ({ href: `${mount}/v2/devices?page=${p}&size=${size}` });
    return json({
      items, total, page, size, pages, has_next: page < pages, has_prev: page > 1, next_cursor: page < pages ? String(page + 1) : null, prev_cursor: page > 1 ? String(page - 1) : null,
      _links: { self: link(page), ...(page < pages ? { next: link(page + 1) } : {}), ...(page > 1 ? { prev: link(page - 1) } : {}) },
    });
  }, { summary: 'Devices, paginated (D1)', query: { status: 'ONLINE, OFFLINE, MAINTENANCE or ERROR', type: 'EEG, EMG, …', search: 'in id, name, serial', page: '1-based', size: '1–100' }, ok: ok(200, 'NSPage<NSDevice>') });
  on('POST', '/devices', async (c) => {
    const b = await body(c);
    const name = optString(b, 'name');
    if (!name) throw bad('name is required', 'name');
    const typeRaw = enumValue(field(b, 'type'));
    const modality = typeRaw === undefined ? 'EEG' : TYPE_IN[String(typeRaw).toUpperCase()];
    if (!modality) throw bad(`type must be one of EEG, EMG, ECG, fNIRS, TMS, tDCS, HYBRID`, 'type', 422);
    const id = optString(b, 'id', 64);
    const metadata = field(b, 'metadata');
    if (metadata !== undefined && !isObj(metadata)) throw bad('metadata must be an object', 'metadata', 422);
    const kindHint = isObj(metadata) ? (metadata.device_kind ?? metadata.driver) : undefined;
    const kind: DeviceKind = kindFromName(typeof kindHint === 'string' ? kindHint : undefined, id, name);
    const d = await call(be().deviceRegister({ id, name, kind, modality, serialNumber: optString(b, 'serial_number') ?? '', firmwareVersion: optString(b, 'firmware_version') ?? '', metadata: (metadata as Obj) ?? {} }));
    return json(renderDevice(d, mount, null), 201);
  }, { summary: 'Register a device (D6); a board kind with none connected is served by the synthetic driver (metadata.simulated)', ok: ok(201, 'NSDevice'), errors: ['VALIDATION_ERROR', 'DEVICE_EXISTS'] });
  const dev = (c: Context) => c.req.param('device_id')!;
  on('GET', '/devices/:device_id', async (c) => {
    const { devices: [d], sessions } = await call(be().nsDevices(dev(c)));
    const out = renderDevice(d, mount, sessions[d.id] ?? null);
    if (c.req.query('include_calibration') !== 'true') delete (out as Partial<typeof out>).calibration;
    return json(out);
  }, { summary: 'One device (D2)', query: { include_calibration: 'true to include the calibration' }, ok: ok(200, 'NSDevice'), errors: ['DEVICE_NOT_FOUND'] });
  on('PATCH', '/devices/:device_id', async (c) => {
    const b = await body(c);
    const st = enumValue(field(b, 'status'));
    const status = st === undefined ? undefined : (Object.entries(STATUS_OUT).find(([, v]) => v === String(st).toUpperCase())?.[0] as DeviceStatus | undefined);
    if (st !== undefined && !status) throw bad(`status must be one of ${Object.values(STATUS_OUT).join(', ')}`, 'status', 422);
    const metadata = field(b, 'metadata');
    if (metadata !== undefined && !isObj(metadata)) throw bad('metadata must be an object', 'metadata', 422);
    const name = optString(b, 'name');
    const firmwareVersion = optString(b, 'firmware_version');
    const d = await call(be().deviceUpdate(dev(c), { name, status, firmwareVersion, metadata: metadata as Obj | undefined }));
    return json(renderDevice(d, mount, (await sessionsOf())[d.id] ?? null));
  }, { summary: 'Update a device (D7)', ok: ok(200, 'NSDevice'), errors: ['DEVICE_NOT_FOUND', 'VALIDATION_ERROR'] });
  on('DELETE', '/devices/:device_id', async (c) => {
    await call(be().deviceRemove(dev(c)));
    return new Response(null, { status: 204 });
  }, { summary: 'Remove a device (D8)', ok: ok(204, 'Removed'), errors: ['DEVICE_NOT_FOUND', 'DEVICE_BUSY'] });
  on('POST', '/devices/:device_id/stream/start', async (c) => {
    const cfg = configFrom(await body(c), 'start');
    const s = await call(be().nsStreamStart(dev(c), cfg));
    return json({ stream_id: s.streamId, device_id: s.deviceId, streaming: true, session_id: s.sessionId, sample_rate: s.sampleRateHz, channels: s.channels, message: s.started ? `Device ${s.deviceId} started streaming` : `Device ${s.deviceId} is already streaming with this configuration` });
  }, { summary: 'Start streaming (D3): idempotent with the same config; records into the device session', ok: ok(200, 'Stream started'), errors: ['DEVICE_NOT_FOUND', 'DEVICE_BUSY', 'DEVICE_OFFLINE', 'DEVICE_NOT_PAIRED', 'INVALID_CONFIGURATION'] });
  on('POST', '/devices/:device_id/stream/stop', async (c) => {
    const s = await call(be().nsStreamStop(dev(c)));
    return json({ device_id: s.deviceId, stream_id: s.streamId, streaming: false, message: `Device ${s.deviceId} stopped streaming` });
  }, { summary: 'Stop streaming (D4)', ok: ok(200, 'Stream stopped'), errors: ['DEVICE_NOT_FOUND', 'STREAM_UNAVAILABLE'] });
  on('PATCH', '/devices/:device_id/config', async (c) => {
    const { device, applied } = await call(be().deviceConfigure(dev(c), configFrom(await body(c), 'config')));
    return json({ device_id: device.id, config: renderConfig(device.config), applied });
  }, { summary: 'Change the acquisition config (D5)', ok: ok(200, 'Merged config'), errors: ['DEVICE_NOT_FOUND', 'INVALID_CONFIGURATION'] });
  on('POST', '/devices/:device_id/calibration', async (c) => {
    const b = await body(c);
    const d = await call(be().deviceCalibrate(dev(c), b));
    return json(renderDevice(d, mount, (await sessionsOf())[d.id] ?? null));
  }, { summary: 'Record a calibration (D9)', ok: ok(200, 'NSDevice with calibration'), errors: ['DEVICE_NOT_FOUND'] });
  on('GET', '/devices/:device_id/impedance', async (c) => {
    const z = await call(be().deviceImpedance(dev(c)));
    return json({ device_id: z.deviceId, impedances: Object.fromEntries(z.ohms.map((v, i) => [String(i + 1), v])), labels: z.labels, unit: 'ohm', timestamp: iso(z.timestampMs) });
  }, { summary: 'Electrode impedance (D10): Cyton lead-off tone, Ganglion reports', ok: ok(200, 'Ohms per channel'), errors: ['DEVICE_NOT_FOUND', 'DEVICE_OFFLINE', 'NOT_IMPLEMENTED'] });
  on('GET', '/devices/:device_id/signal-quality', async (c) => {
    const q = await call(be().deviceSignalQuality(dev(c)));
    return json({ device_id: dev(c), channels: q.map(renderQuality), overall: q.length ? Math.round((q.reduce((s, x) => s + x.quality, 0) / q.length) * 1000) / 1000 : null });
  }, { summary: 'Signal quality per channel (D11), from the device layer quality metrics', ok: ok(200, 'Quality'), errors: ['DEVICE_NOT_FOUND', 'STREAM_UNAVAILABLE'] });

  // S1–S6
  const sid = (c: Context) => c.req.param('session_id')!;
  on('POST', '/sessions', async (c) => {
    const b = await body(c);
    const name = optString(b, 'name');
    if (!name) throw bad('name is required', 'name');
    const ids = field(b, 'device_ids');
    if (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string')) throw bad('device_ids must be an array of device ids', 'device_ids');
    const metadata = field(b, 'metadata');
    if (metadata !== undefined && !isObj(metadata)) throw bad('metadata must be an object', 'metadata', 422);
    const duration = optNumber(b, 'duration_minutes');
    if (duration !== undefined && duration <= 0) throw bad('duration_minutes must be positive', 'duration_minutes', 422);
    const s = await call(be().nsSessionCreate({ name, patientId: optString(b, 'patient_id'), deviceIds: ids as string[], durationMinutes: duration, protocol: optString(b, 'protocol'), metadata: metadata as Obj | undefined }));
    return json(renderSession(s, mount), 201);
  }, { summary: 'Create a session (S1): its device streams are recorded into the library', ok: ok(201, 'NSSession'), errors: ['VALIDATION_ERROR', 'DEVICE_NOT_FOUND'] });
  on('GET', '/sessions', async (c) => {
    const limit = c.req.query('limit') === undefined ? 20 : Number(c.req.query('limit'));
    const offset = c.req.query('offset') === undefined ? 0 : Number(c.req.query('offset'));
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw bad('limit must be an integer from 1 to 100', 'limit', 422);
    if (!Number.isInteger(offset) || offset < 0) throw bad('offset must be an integer ≥ 0', 'offset', 422);
    const { items, total } = await call(be().nsSessionList(limit, offset));
    return json({ items: items.map((s) => renderSession(s, mount)), total, limit, offset });
  }, { summary: 'Sessions (S2)', query: { limit: '1–100', offset: '≥ 0' }, ok: ok(200, 'Page of NSSession') });
  on('GET', '/sessions/:session_id', async (c) => json(renderSession(await call(be().nsSessionGet(sid(c))), mount)), { summary: 'One session (S3)', ok: ok(200, 'NSSession'), errors: ['SESSION_NOT_FOUND'] });
  on('PATCH', '/sessions/:session_id', async (c) => {
    const b = await body(c);
    const status = field(b, 'status');
    if (status !== undefined && !['created', 'recording', 'completed'].includes(status as string)) throw bad('status must be created, recording or completed', 'status', 422);
    const metadata = field(b, 'metadata');
    if (metadata !== undefined && !isObj(metadata)) throw bad('metadata must be an object', 'metadata', 422);
    const s = await call(be().nsSessionUpdate(sid(c), { name: optString(b, 'name'), metadata: metadata as Obj | undefined, status: status as NsSession['status'] | undefined }));
    return json(renderSession(s, mount));
  }, { summary: 'Update a session (S4); status "completed" stops its recordings', ok: ok(200, 'NSSession'), errors: ['SESSION_NOT_FOUND', 'VALIDATION_ERROR'] });
  on('DELETE', '/sessions/:session_id', async (c) => {
    await call(be().nsSessionDelete(sid(c)));
    return new Response(null, { status: 204 });
  }, { summary: 'Delete a session (S5); its recordings stay in the library', ok: ok(204, 'Deleted'), errors: ['SESSION_NOT_FOUND', 'SESSION_BUSY'] });
  on('GET', '/sessions/:session_id/recordings', async (c) => json({ items: (await call(be().nsSessionRecordings(sid(c)))).map(renderRecording) }), { summary: 'Recordings of a session (S6)', ok: ok(200, 'Recordings'), errors: ['SESSION_NOT_FOUND'] });

  // T1, T2 (+ poll and file)
  const time = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined || v === '') return undefined;
    const t = /^\d+(\.\d+)?$/.test(v) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(t)) throw bad(`${name} must be an ISO 8601 time or epoch milliseconds`, name);
    return t;
  };
  const channelList = (v: unknown, name = 'channels'): number[] | undefined => {
    if (v === undefined || v === null || v === '') return undefined;
    const list = typeof v === 'string' ? v.split(',').map((x) => Number(x.trim())) : v;
    if (!Array.isArray(list) || list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) throw bad(`${name} must be channel numbers, e.g. 1,2,3`, name);
    return list as number[];
  };
  on('GET', '/data/timeseries', async (c) => {
    const q = c.req.query();
    if (!q.session_id) throw bad('session_id is required', 'session_id');
    if (q.format !== undefined && q.format !== 'json') throw bad('format must be json (export other formats with POST /v2/data/export)', 'format');
    const start = time(q.start, 'start');
    const end = time(q.end, 'end');
    if (start !== undefined && end !== undefined && end < start) throw bad('end is before start', 'end');
    const t = await call(be().nsTimeseries(q.session_id, { startMs: start, endMs: end, channels: channelList(q.channels) }));
    return json({ session_id: t.sessionId, sample_rate: t.sampleRateHz, channels: t.channels, samples: t.samples });
  }, { summary: 'Samples of a session (T1), rows of timestamp + ch<N>', query: { session_id: 'session', start: 'ISO 8601 or epoch ms', end: 'ISO 8601 or epoch ms', channels: '1,2,3', format: 'json' }, ok: ok(200, 'Time series'), errors: ['SESSION_NOT_FOUND', 'RANGE_TOO_LARGE'] });
  on('POST', '/data/export', async (c) => {
    const b = await body(c);
    const sessionId = optString(b, 'session_id');
    const format = optString(b, 'format');
    if (!sessionId) throw bad('session_id is required', 'session_id');
    if (!format) throw bad('format is required (csv, edf, bdf, snirf, bids, json)', 'format');
    const s = field(b, 'start');
    const e = field(b, 'end');
    const ex = await call(be().nsExportCreate({ sessionId, format, channels: channelList(field(b, 'channels')), startMs: time(s === undefined ? undefined : String(s), 'start'), endMs: time(e === undefined ? undefined : String(e), 'end') }));
    return json(renderExport(ex, mount), 202);
  }, { summary: 'Export a session (T2) in one of our formats; poll the export', ok: ok(202, 'Export queued'), errors: ['SESSION_NOT_FOUND', 'VALIDATION_ERROR'] });
  on('GET', '/data/export/:export_id', async (c) => json(renderExport(await call(be().nsExportGet(c.req.param('export_id')!)), mount)), { summary: 'Export status', ok: ok(200, 'Export'), errors: ['EXPORT_NOT_FOUND'] });
  on('GET', '/data/export/:export_id/file', async (c) => {
    const f = await call(be().nsExportFile(c.req.param('export_id')!));
    return new Response(f.bytes as Uint8Array<ArrayBuffer>, { status: 200, headers: { 'Content-Type': f.mediaType, 'Content-Disposition': `attachment; filename="${f.filename}"` } });
  }, { summary: 'The exported file', ok: { status: 200, description: 'File', mediaType: 'application/octet-stream' }, errors: ['EXPORT_NOT_FOUND'] });

  // N1–N4
  on('POST', '/analysis/sessions/:session_id/analyze', async (c) => {
    const b = await body(c);
    const modelType = optString(b, 'model_type');
    if (!modelType) throw bad('model_type is required (GET /v2/analysis/models lists them)', 'model_type');
    const params = field(b, 'parameters') ?? {};
    if (!isObj(params)) throw bad('parameters must be an object', 'parameters', 422);
    const a = await call(be().nsAnalyze(sid(c), modelType, params));
    return json({ analysis_id: a.id, status: a.status }, 202);
  }, { summary: 'Analyse a session (N1): cross-validated decoder of ml/', ok: ok(202, 'Queued'), errors: ['SESSION_NOT_FOUND', 'INVALID_CONFIGURATION'] });
  on('GET', '/analysis/results/:analysis_id', async (c) => json(renderAnalysis(await call(be().nsAnalysis(c.req.param('analysis_id')!)))), { summary: 'Analysis result (N2)', ok: ok(200, 'Result'), errors: ['ANALYSIS_NOT_FOUND'] });
  on('GET', '/analysis/models', async () => json({ items: (await call(be().nsModels())).map(renderModel) }), { summary: 'Models (N3) and the experiment types they run', ok: ok(200, 'Models') });
  on('POST', '/analysis/models/deploy', async (c) => {
    const b = await body(c);
    const modelType = optString(b, 'model_type');
    if (!modelType) throw bad('model_type is required', 'model_type', 422, 'INVALID_CONFIGURATION');
    const m = await call(be().nsDeploy(modelType, { artifactUrl: optString(b, 'artifact_url', 2048), experiment: optString(b, 'experiment') }));
    return json({ model_type: m.modelType, status: 'deployed' }, 201);
  }, { summary: 'Deploy a model (N4)', ok: ok(201, 'Deployed'), errors: ['INVALID_CONFIGURATION'] });

  // T3 and the SSE + POST fallback of the WebSocket (§10.5): a connection to the socket endpoint of
  // the engine host (its query subscribes, as on the socket), carried as Server-Sent Events.
  const sse = async (c: Context, query: string): Promise<Response> => {
    if (!o.live) throw new ApiError(503, 'ENGINE_UNAVAILABLE', `Live data needs a Neurotab tab hosting the engine; open Neurotab in a tab (or connect a WebSocket to ${mount}/ws through \`neurotab bridge\`)`);
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((v, k) => (headers[k] = v));
    const res = await sseResponse(o.live, `${mount}/ws${query}`, headers);
    if (res instanceof Response) return res;
    throw new ApiError(res.status === 404 ? 503 : res.status, res.status === 404 || res.status === 503 ? 'ENGINE_UNAVAILABLE' : 'INTERNAL_ERROR', res.message);
  };
  r.on('GET', `${mount}/ws/events`, async (c) => {
    const q = c.req.query();
    if (q.channels !== undefined && q.channels !== 'all') channelList(q.channels);
    return sse(c, new URL(c.req.url).search);
  }, { summary: 'The WebSocket protocol as Server-Sent Events (server → client): the query subscribes (topic, session_id, device_id, channels); the open event names connection_id for POST /ws/send', query: { topic: 'neural_data or custom_events', session_id: 'subscribe to a session', device_id: 'subscribe to a device', channels: '1,2,3 or all', token: 'access token (auth local)' }, ok: { status: 200, description: 'text/event-stream', mediaType: 'text/event-stream' }, errors: ['ENGINE_UNAVAILABLE'] });
  r.on('POST', `${mount}/ws/send`, async (c) => {
    const id = c.req.query('connection_id') ?? c.req.query('socket_id') ?? c.req.header('X-Live-Connection-Id');
    const b = await body(c);
    if (!id || !o.live || !(await o.live.deliver(id, JSON.stringify(b)))) throw new ApiError(404, 'NOT_FOUND', `No open event stream ${id ?? ''}: open GET ${mount}/ws/events first and send the connection_id of its open event`, { connection_id: id ?? null });
    return json({ accepted: true, connection_id: id }, 202);
  }, { summary: 'A client message (auth, subscribe, unsubscribe, device_control) for an open event stream', query: { connection_id: 'from the open event' }, ok: { status: 202, description: 'Accepted' }, errors: ['NOT_FOUND'] });
  on('GET', '/data/stream/:stream_id', async (c) => {
    const streamId = c.req.param('stream_id')!;
    const d = (await call(be().deviceList())).find((x) => x.streamId === streamId);
    if (!d) throw new ApiError(404, 'STREAM_UNAVAILABLE', `No device streams as ${streamId}; start a stream (POST /v2/devices/{id}/stream/start) and use its stream_id`, { resource_id: streamId });
    const token = c.req.query('token');
    return sse(c, `?topic=neural_data&device_id=${encodeURIComponent(d.id)}${token ? `&token=${encodeURIComponent(token)}` : ''}`);
  }, { summary: 'A device stream as Server-Sent Events of neural_data / neural_data_batch (T3)', ok: { status: 200, description: 'text/event-stream', mediaType: 'text/event-stream' }, errors: ['STREAM_UNAVAILABLE', 'ENGINE_UNAVAILABLE'] });

  // One OpenAPI family: the v1 alias's routes are described beside v2's.
  r.docs.push(...v1.docs);
  return r.finish(mount);
}

// ---------------------------------------------------------------------------------------------
// /api/v1/devices — the Flask reference server's shapes (NeuraScale's device_api_example.py).

const V1_TYPES = ['synthetic', 'openbci', 'brainflow'] as const;
const BRAINFLOW_BOARDS: Record<string, DeviceKind> = { '-1': 'synthetic', synthetic: 'synthetic', '0': 'openbci-cyton', cyton: 'openbci-cyton', '1': 'openbci-ganglion', ganglion: 'openbci-ganglion', '2': 'openbci-cyton-daisy', daisy: 'openbci-cyton-daisy', '22': 'muse-2', '38': 'muse-2', muse: 'muse-2' };

function v1State(d: ApiDevice): string {
  return d.status === 'error' ? 'error' : d.streaming ? 'streaming' : d.connected ? 'connected' : 'disconnected';
}

function v1Device(d: ApiDevice, sessionId: string | null) {
  return {
    device_id: d.id, device_name: d.name, device_type: d.kind, state: v1State(d), connected: d.connected, streaming: d.streaming, session_id: sessionId,
    capabilities: { supported_sampling_rates: d.capabilities.sampleRatesHz, max_channels: d.capabilities.maxChannels, signal_types: d.capabilities.signalTypes, has_impedance_check: d.capabilities.impedanceCheck, has_battery_monitor: d.capabilities.batteryMonitor },
    config: { sampling_rate: d.config.sampleRateHz, n_channels: d.config.channels.length, channels: d.config.channels },
    metadata: { ...d.metadata, ...(d.simulated ? { simulated: true } : {}) },
  };
}

function v1Health(h: DeviceHealth) {
  return {
    device_id: h.deviceId, status: h.status,
    metrics: {
      connection: { connected: h.connected, uptime_seconds: h.uptimeSeconds, reconnects: h.reconnects },
      data: { streaming: h.streaming, data_rate_hz: h.dataRateHz, samples_received: h.framesReceived, samples_lost: h.lostFrames },
      battery: { level: h.batteryPercent },
    },
    last_error: h.lastError,
  };
}

function registerV1(r: FamilyRoutes, be: () => NeuraScaleBackend, mount: string, sessionsOf: () => Promise<Record<string, string>>, monitoring: () => boolean, setMonitoring: (m: boolean) => void): void {
  const P = (p: string) => `${mount}/api/v1/devices${p}`;
  const id = (c: Context) => c.req.param('device_id')!;
  const doc = (summary: string, status = 200): RouteDoc => ({ summary: `v1 alias: ${summary}`, ok: { status, description: summary } });
  r.on('GET', P(''), async () => {
    const { devices, sessions } = await call(be().nsDevices());
    return json(devices.map((d) => v1Device(d, sessions[d.id] ?? null)));
  }, doc('list devices (bare array)'));
  r.on('POST', P(''), async (c) => {
    const b = await body(c, flaskEnvelope);
    const deviceId = optString(b, 'device_id', 64);
    const type = optString(b, 'device_type');
    if (!deviceId) throw bad('device_id is required');
    if (!type) throw bad(`device_type is required: one of ${V1_TYPES.join(', ')}`);
    const cfg = field(b, 'device_config') ?? {};
    if (!isObj(cfg)) throw bad('device_config must be an object');
    let kind: DeviceKind;
    const t = type.toLowerCase();
    if (t === 'synthetic') kind = 'synthetic';
    else if (t === 'openbci') kind = kindFromName(String(cfg.board ?? cfg.board_type ?? 'cyton'));
    else if (t === 'brainflow') {
      const board = String(cfg.board_id ?? cfg.board ?? 'synthetic').toLowerCase();
      const k = BRAINFLOW_BOARDS[board];
      if (!k) throw bad(`BrainFlow board ${board} has no driver here; boards: synthetic (-1), cyton (0), ganglion (1), daisy (2), muse (22, 38)`);
      kind = k;
    } else throw bad(`device_type '${type}' has no driver in Neurotab; device types: ${V1_TYPES.join(', ')}${t === 'lsl' ? ' (LSL streams reach the tab through `neurotab bridge`)' : ''}`);
    if (kind === 'openbci-cyton' && t === 'openbci' && cfg.board !== undefined && !/cyton|openbci/i.test(String(cfg.board))) throw bad(`OpenBCI board '${String(cfg.board)}' is not one of cyton, daisy, ganglion`);
    const rate = typeof cfg.sampling_rate === 'number' ? cfg.sampling_rate : typeof cfg.sample_rate === 'number' ? cfg.sample_rate : undefined;
    const n = typeof cfg.n_channels === 'number' ? cfg.n_channels : typeof cfg.channel_count === 'number' ? cfg.channel_count : undefined;
    const st = typeof cfg.signal_type === 'string' ? TYPE_IN[cfg.signal_type.toUpperCase()] : undefined;
    const d = await call(be().deviceRegister({ id: deviceId, kind, name: typeof cfg.name === 'string' ? cfg.name : undefined, modality: st, metadata: { device_config: cfg }, config: kind === 'synthetic' ? { ...(rate !== undefined ? { sampleRateHz: rate } : {}), ...(n !== undefined ? { channelCount: n } : {}) } : undefined }));
    return json(v1Device(d, null), 201);
  }, doc('add a device (device_type synthetic, openbci or brainflow)', 201));
  r.on('GET', P('/discover'), async (c) => {
    const t = c.req.query('timeout');
    if (t !== undefined && !(Number(t) >= 0)) throw bad('timeout must be a number of seconds');
    return json((await call(be().deviceDiscover())).map((d) => ({ name: d.name, device_type: d.kind, protocol: d.protocol, label: d.label })));
  }, { ...doc('devices the browser already has permission for, plus synthetic'), query: { timeout: 'seconds (accepted; discovery answers at once)' } });
  r.on('GET', P('/health'), async (c) => {
    const deviceId = c.req.query('device_id');
    const list = await call(be().deviceHealth(deviceId || undefined));
    if (deviceId) return json({ ...v1Health(list[0]), monitoring: monitoring() });
    const worst = list.some((h) => h.status === 'unhealthy') ? 'unhealthy' : list.some((h) => h.status === 'degraded') ? 'degraded' : 'healthy';
    return json({ status: worst, monitoring: monitoring(), devices: Object.fromEntries(list.map((h) => [h.deviceId, v1Health(h)])) });
  }, { ...doc('device health'), query: { device_id: 'one device' } });
  r.on('POST', P('/health/monitoring/start'), async () => {
    setMonitoring(true);
    return json({ monitoring: true, message: 'Health monitoring started' });
  }, doc('start health monitoring'));
  r.on('POST', P('/health/monitoring/stop'), async () => {
    setMonitoring(false);
    return json({ monitoring: false, message: 'Health monitoring stopped' });
  }, doc('stop health monitoring'));
  r.on('GET', P('/:device_id'), async (c) => {
    const { devices: [d], sessions } = await call(be().nsDevices(id(c)));
    return json(v1Device(d, sessions[d.id] ?? null));
  }, doc('one device'));
  r.on('DELETE', P('/:device_id'), async (c) => {
    const d = await call(be().deviceGet(id(c)));
    if (d.streaming) await call(be().nsStreamStop(d.id));
    if (d.connected) await call(be().deviceDisconnect(d.id));
    await call(be().deviceRemove(d.id));
    return json({ device_id: d.id, message: `Device ${d.id} removed` });
  }, doc('remove a device (stops and disconnects it first)'));
  r.on('POST', P('/:device_id/connect'), async (c) => {
    const d = await call(be().deviceConnect(id(c)));
    return json({ ...v1Device(d, null), message: `Device ${d.id} connected${d.simulated ? ' (simulated: no board of its kind is paired)' : ''}` });
  }, doc('connect'));
  r.on('POST', P('/:device_id/disconnect'), async (c) => {
    const d = await call(be().deviceDisconnect(id(c)));
    return json({ ...v1Device(d, null), message: `Device ${d.id} disconnected` });
  }, doc('disconnect'));
  r.on('POST', P('/:device_id/stream/start'), async (c) => {
    const s = await call(be().nsStreamStart(id(c)));
    return json({ device_id: s.deviceId, streaming: true, session_id: s.sessionId, stream_id: s.streamId, message: `Device ${s.deviceId} started streaming` });
  }, doc('start streaming (recorded into a session)'));
  r.on('POST', P('/:device_id/stream/stop'), async (c) => {
    const s = await call(be().nsStreamStop(id(c)));
    return json({ device_id: s.deviceId, streaming: false, message: `Device ${s.deviceId} stopped streaming` });
  }, doc('stop streaming'));
  r.on('GET', P('/:device_id/impedance'), async (c) => {
    const z = await call(be().deviceImpedance(id(c)));
    return json({ device_id: z.deviceId, impedance: Object.fromEntries(z.labels.map((l, i) => [l, z.ohms[i]])), unit: 'ohm', timestamp: iso(z.timestampMs) });
  }, doc('electrode impedance'));
  r.on('GET', P('/:device_id/signal-quality'), async (c) => {
    const q = await call(be().deviceSignalQuality(id(c)));
    return json({
      device_id: id(c),
      signal_quality: Object.fromEntries(q.map((x) => [String(x.number), { channel: x.label, quality_level: x.status, quality: x.quality, snr_db: x.snrDb ?? 0, railed: x.railed, flat: x.flat, line_noise_uv: x.lineNoiseUv }])),
    });
  }, doc('signal quality per channel'));
}
