// Instinct's system endpoints (API.md §9.3 #15–#23, §9.6) on the device seam, registered into the
// Instinct app's route table (instinct.ts `system`: instinctSystemRoutes(backend)), or standalone
// (createInstinctSystemApp, tests): healthz (integers, never nulls, and a `message` as the
// instinct-py SDK reads), hostname (also the SDK's /system/system/hostname {name}), config, status,
// sensors (channels, gain, rate of the selected device), EEG stream start/stop, impedance, debug → 501.
// Runs wherever the routers run; holds no state (settings live behind InstinctSystemBackend).
import { Hono, type Context } from 'hono';
import { ApiError, FamilyRoutes, json, normalizedGetPath, readJsonBody, type RouteDoc } from './http';
import type { ApiDevice, DeviceBackend } from './device-backend';
import { instinctEnvelope } from './instinct';

export interface InstinctSystemSettings {
  hostname: string;
  /** Device the headset endpoints act on; null: the first connected board, else the synthetic device. */
  deviceId: string | null;
  defaultSampleRate: number | null;
}

/** The device seam plus the few settings of the system endpoints. */
export interface InstinctSystemBackend extends DeviceBackend {
  instinctSystemSettings(): Promise<InstinctSystemSettings>;
  instinctSetSystemSettings(patch: Partial<InstinctSystemSettings>): Promise<InstinctSystemSettings>;
}

/** Device failures in Instinct's words (API.md §6 codes; `device_unavailable` 409 is ours). */
const FROM_DEVICE: Record<string, [number, string]> = {
  DEVICE_NOT_FOUND: [404, 'resource_not_found'],
  DEVICE_BUSY: [409, 'stream_running'],
  DEVICE_OFFLINE: [409, 'device_unavailable'],
  DEVICE_NOT_PAIRED: [409, 'device_unavailable'],
  STREAM_UNAVAILABLE: [409, 'device_unavailable'],
  INVALID_CONFIGURATION: [422, 'validation_failed'],
  VALIDATION_ERROR: [400, 'invalid_parameter'],
  NOT_SUPPORTED: [501, 'not_supported'],
};

async function call<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    const o = e as { code?: string; message?: string; details?: Record<string, unknown> };
    const m = typeof o?.code === 'string' ? FROM_DEVICE[o.code] : undefined;
    if (m) throw new ApiError(m[0], m[1], String(o.message), o.details ?? {});
    throw e;
  }
}

const fail = (status: number, code: string, message: string, details: Record<string, unknown> = {}) => new ApiError(status, code, message, details);

/** Host facts the router's thread can read (API.md §9.3 #15): best effort, integers. */
async function hostFacts(): Promise<{ ramTotal: number; storageTotal: number; storageFree: number }> {
  const nav = globalThis.navigator as (Navigator & { deviceMemory?: number }) | undefined;
  const est = await nav?.storage?.estimate?.().catch(() => undefined);
  const total = Math.round(est?.quota ?? 0);
  return { ramTotal: Math.round((nav?.deviceMemory ?? 0) * 1024 ** 3), storageTotal: total, storageFree: Math.max(0, total - Math.round(est?.usage ?? 0)) };
}

export interface InstinctSystemOptions {
  /** Start of `uptime` in /system/status (default: when the app was made). */
  startedAtMs?: number;
}

/** The system routes as the Instinct app's `system` option (API.md §9.3 #15–#23, §9.6). */
export function instinctSystemRoutes(backend: InstinctSystemBackend | null, o: InstinctSystemOptions = {}): (routes: FamilyRoutes, mount: string) => void {
  return (routes, mount) => registerInstinctSystem(routes, mount, backend, o);
}

/** The system routes alone under `mount` ("/instinct"), in Instinct's envelope (tests; no streams routes). */
export function createInstinctSystemApp(backend: InstinctSystemBackend | null, mount = '/instinct', o: InstinctSystemOptions = {}): Hono {
  const app = new Hono({ getPath: normalizedGetPath });
  const r = new FamilyRoutes(app, instinctEnvelope);
  registerInstinctSystem(r, mount, backend, o);
  return r.finish(`${mount}/system`);
}

function registerInstinctSystem(r: FamilyRoutes, mount: string, backend: InstinctSystemBackend | null, o: InstinctSystemOptions): void {
  const startedAtMs = o.startedAtMs ?? Date.now();
  const be = () => {
    if (!backend) throw fail(503, 'engine_unavailable', 'The Instinct system endpoints need a Neurotab tab to host the devices; open Neurotab in a browser tab');
    return backend;
  };
  const P = (p: string) => `${mount}/system${p}`;
  const doc = (summary: string): RouteDoc => ({ summary, ok: { status: 200, description: summary } });

  /** The device the headset endpoints act on. */
  const selected = async (): Promise<ApiDevice> => {
    const s = await be().instinctSystemSettings();
    if (s.deviceId) return call(be().deviceGet(s.deviceId));
    const list = await call(be().deviceList());
    return list.find((d) => d.streaming) ?? list.find((d) => d.connected && d.kind !== 'synthetic') ?? list.find((d) => d.kind === 'synthetic') ?? list[0];
  };

  const healthz = async (c: Context) => {
    const h = await hostFacts();
    const list = await call(be().deviceList());
    const battery = list.find((d) => d.batteryPercent !== null)?.batteryPercent ?? null;
    return json({
      status: 'healthy',
      message: 'healthy',
      httpPort: Number(new URL(c.req.url).port) || 0,
      grpcPort: 0,
      host: new URL(c.req.url).hostname,
      battery: { hasBattery: battery !== null, cycleCount: 0, isCharging: false, designedCapacity: 0, maxCapacity: 0, currentCapacity: 0, voltage: 0, capacityUnit: '', percent: Math.round(battery ?? 0), timeRemaining: 0, acConnected: battery === null, type: '', model: '', manufacturer: '', serial: '' },
      cpu: { load: 0, temperature: 0, totalClockSpeed: 0, currentClockSpeed: 0 },
      ram: { total: h.ramTotal, available: 0, free: 0 },
      storage: { total: h.storageTotal, free: h.storageFree },
    });
  };
  r.on('GET', P('/healthz'), healthz, doc('#15 Health of the "headset" (integers, never nulls; the SDK reads them)'));

  const getName = async () => (await be().instinctSystemSettings()).hostname;
  const setName = async (c: Context, key: 'hostname' | 'name') => {
    const b = await readJsonBody(c, instinctEnvelope, { maxBytes: 64 * 1024, pythonTokens: false });
    const v = (b as Record<string, unknown> | undefined)?.[key] ?? (b as Record<string, unknown> | undefined)?.[key === 'name' ? 'hostname' : 'name'];
    if (typeof v !== 'string' || v.trim() === '' || v.length > 63 || !/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(v)) throw fail(400, 'invalid_parameter', `${key} must be 1–63 letters, digits or '-', starting with a letter or digit`, { field: key });
    await be().instinctSetSystemSettings({ hostname: v });
    return v;
  };
  r.on('GET', P('/hostname'), async () => json({ hostname: await getName(), message: 'ok' }), doc('#16 Host name'));
  r.on('PATCH', P('/hostname'), async (c) => json({ hostname: await setName(c, 'hostname'), success: true, message: 'Host name changed' }), doc('#16 Rename'));
  r.on('GET', P('/system/hostname'), async () => json({ name: await getName(), success: true, message: 'ok' }), doc('SDK: host name as {name}'));
  r.on(['PATCH', 'POST', 'PUT'], P('/system/hostname'), async (c) => json({ name: await setName(c, 'name'), success: true, message: 'Host name changed' }), doc('SDK: rename ({name})'));

  const configOf = async () => {
    const d = await selected();
    const s = await be().instinctSystemSettings();
    return { eeg: { samplingFrequency: d.config.sampleRateHz, gain: d.config.gain ?? 0, channels: d.config.channels.map((n) => d.channelLabels[n - 1]) }, streaming: { defaultSampleRate: s.defaultSampleRate ?? d.config.sampleRateHz }, device: { id: d.id, name: d.name, kind: d.kind } };
  };
  r.on('GET', P('/config'), async () => json({ ...(await configOf()), message: 'ok' }), doc('#17 Config of the EEG sensors'));
  r.on('PATCH', P('/config'), async (c) => {
    const b = await readJsonBody(c, instinctEnvelope, { maxBytes: 64 * 1024, pythonTokens: false });
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw fail(400, 'invalid_request', 'Send a JSON object, e.g. {"eeg": {"samplingFrequency": 250}}');
    const patch = b as { eeg?: Record<string, unknown>; streaming?: Record<string, unknown> };
    const d = await selected();
    const eeg = patch.eeg;
    if (eeg !== undefined && (typeof eeg !== 'object' || eeg === null)) throw fail(422, 'validation_failed', 'eeg must be an object', { field: 'eeg' });
    const rate = eeg?.samplingFrequency;
    const gain = eeg?.gain;
    const chans = eeg?.channels;
    if (rate !== undefined && typeof rate !== 'number') throw fail(422, 'validation_failed', 'eeg.samplingFrequency must be a number (Hz)', { field: 'eeg.samplingFrequency' });
    if (gain !== undefined && typeof gain !== 'number') throw fail(422, 'validation_failed', 'eeg.gain must be a number', { field: 'eeg.gain' });
    if (chans !== undefined && !(Array.isArray(chans) && chans.every((x) => typeof x === 'string'))) throw fail(422, 'validation_failed', 'eeg.channels must be channel labels', { field: 'eeg.channels' });
    const dsr = patch.streaming?.defaultSampleRate;
    if (dsr !== undefined && (typeof dsr !== 'number' || !(dsr > 0))) throw fail(422, 'validation_failed', 'streaming.defaultSampleRate must be a positive number', { field: 'streaming.defaultSampleRate' });
    const numbers = chans === undefined ? undefined : labelsToNumbers(d, chans as string[], 422, 'validation_failed');
    if (rate !== undefined || gain !== undefined || numbers) await call(be().deviceConfigure(d.id, { ...(rate !== undefined ? { sampleRateHz: rate as number } : {}), ...(gain !== undefined ? { gain: gain as number } : {}), ...(numbers ? { channels: numbers } : {}) }));
    if (dsr !== undefined) await be().instinctSetSystemSettings({ defaultSampleRate: dsr as number });
    return json({ ...(await configOf()), message: 'Config merged' });
  }, doc('#17 Merge a partial config'));

  r.on('GET', P('/status'), async () => {
    const list = await call(be().deviceList());
    const d = await selected();
    const active = list.filter((x) => x.streaming).length;
    const state = list.some((x) => x.status === 'error') ? 'error' : active > 0 ? 'streaming' : 'idle';
    return json({ state, eegStreaming: d.streaming, activeStreams: active, uptime: Math.round((Date.now() - startedAtMs) / 1000), device: d.id, message: 'ok' });
  }, doc('#18 Acquisition status'));

  const notSupported = () => {
    throw fail(501, 'not_supported', 'Raw headset debug commands have no meaning in the browser: the device layer sends board commands itself');
  };
  r.on('POST', P('/debug/command'), async () => notSupported(), doc('#19 → 501'));
  r.on('POST', P('/system/debug'), async () => notSupported(), doc('SDK debug → 501'));

  // #20 sensors: ?channels=CZ&channels=PZ, form (or JSON) gain / samplingFrequency.
  r.on('PUT', P('/sensors/eeg'), async (c) => {
    const d = await selected();
    if (d.streaming) throw fail(409, 'stream_running', `${d.name} is streaming; stop the EEG stream (DELETE /system/sensors/eeg/stream) before changing sensors`);
    const q = new URL(c.req.url).searchParams.getAll('channels').flatMap((x) => x.split(',')).filter((x) => x !== '');
    const b = ((await readJsonBody(c, instinctEnvelope, { maxBytes: 64 * 1024, pythonTokens: false })) ?? {}) as Record<string, unknown>;
    const num = (k: string) => {
      const v = b[k] ?? c.req.query(k);
      if (v === undefined || v === '') return undefined;
      const n = Number(v);
      if (!Number.isFinite(n)) throw fail(400, 'invalid_parameter', `${k} must be a number`, { field: k });
      return n;
    };
    const gain = num('gain');
    const rate = num('samplingFrequency');
    const channels = q.length ? labelsToNumbers(d, q, 400, 'invalid_parameter') : undefined;
    const res = await call(be().deviceConfigure(d.id, { ...(channels ? { channels } : {}), ...(gain !== undefined ? { gain } : {}), ...(rate !== undefined ? { sampleRateHz: rate } : {}) })).catch((e) => {
      if (e instanceof ApiError && e.status === 422) throw fail(400, 'invalid_parameter', e.message, e.details);
      throw e;
    });
    const cfg = res.device.config;
    return json({ success: true, channels: cfg.channels.map((n) => res.device.channelLabels[n - 1]), gain: cfg.gain ?? 0, samplingFrequency: cfg.sampleRateHz, message: 'Sensors configured' });
  }, { ...doc('#20 Select channels, gain and rate'), query: { channels: 'channel label; repeat for several' } });
  r.on('DELETE', P('/sensors/eeg'), async () => {
    const d = await selected();
    if (d.streaming) throw fail(409, 'stream_running', `${d.name} is streaming; stop the EEG stream first`);
    const rate = d.capabilities.sampleRatesHz.includes(250) || d.kind === 'synthetic' ? 250 : d.capabilities.sampleRatesHz[0] ?? d.config.sampleRateHz;
    await call(be().deviceConfigure(d.id, { channels: d.channelLabels.map((_, i) => i + 1), sampleRateHz: rate, gain: d.capabilities.gains.length ? 24 : null }));
    return json({ success: true, message: 'Sensors reset to defaults' });
  }, doc('#20 Reset sensors'));

  // #21 EEG stream
  r.on('POST', P('/sensors/eeg/stream'), async () => {
    const d = await selected();
    if (d.streaming) throw fail(409, 'stream_running', `${d.name} is already streaming`);
    await call(be().deviceStartStream(d.id));
    return json({ success: true, device: d.id, message: `${d.name} streaming` });
  }, doc('#21 Start EEG acquisition on the selected device'));
  r.on('DELETE', P('/sensors/eeg/stream'), async () => {
    const d = await selected();
    if (!d.streaming) throw fail(409, 'device_unavailable', `${d.name} is not streaming`);
    await call(be().deviceStopStream(d.id));
    return json({ success: true, device: d.id, message: `${d.name} stopped` });
  }, doc('#21 Stop EEG acquisition'));

  // #22, #23 impedance in ohms; null for devices without an impedance check.
  const impedance = async (labels: string[] | null) => {
    const d = await selected();
    const want = labels ?? d.channelLabels;
    const idx = labels ? labelsToNumbers(d, labels, 400, 'invalid_parameter') : want.map((_, i) => i + 1);
    if (!d.capabilities.impedanceCheck || d.simulated) return json(Object.fromEntries(want.map((l) => [l, null])));
    if (!d.streaming) throw fail(409, 'device_unavailable', `${d.name} must be streaming to measure impedance; POST /system/sensors/eeg/stream first`);
    const z = await call(be().deviceImpedance(d.id));
    return json(Object.fromEntries(want.map((l, i) => {
      const at = z.labels.findIndex((x) => x.toLowerCase() === d.channelLabels[idx[i] - 1].toLowerCase());
      return [l, at >= 0 ? z.ohms[at] : (z.ohms[idx[i] - 1] ?? null)];
    })));
  };
  r.on('GET', P('/sensors/impedance'), async (c) => {
    const q = new URL(c.req.url).searchParams.getAll('channels').flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '');
    return impedance(q.length ? q : null);
  }, { ...doc('#22 Impedance of some channels (ohms)'), query: { channels: 'comma-separated labels' } });
  r.on('GET', P('/sensors/impedance/all'), async () => impedance(null), doc('#23 Impedance of every channel (ohms)'));
}

/** Channel labels (case-insensitive) → 1-based numbers; unknown labels are refused, naming the ones that exist. */
function labelsToNumbers(d: ApiDevice, labels: string[], status: number, code: string): number[] {
  return labels.map((l) => {
    const i = d.channelLabels.findIndex((x) => x.toLowerCase() === l.toLowerCase());
    if (i < 0) throw fail(status, code, `${d.name} has no channel '${l}'; channels: ${d.channelLabels.join(', ')}`, { field: 'channels', channel: l });
    return i + 1;
  });
}

/** The settings part of InstinctSystemBackend over a key-value store (IndexedDB settings; memory in tests). */
export function instinctSystemSettings(store: { get(key: string): Promise<unknown>; put(key: string, value: unknown): Promise<void> }): Pick<InstinctSystemBackend, 'instinctSystemSettings' | 'instinctSetSystemSettings'> {
  const KEY = 'instinct.system';
  const read = async (): Promise<InstinctSystemSettings> => ({ hostname: 'instinct-browser', deviceId: null, defaultSampleRate: null, ...((await store.get(KEY)) as Partial<InstinctSystemSettings> | undefined) });
  return {
    instinctSystemSettings: read,
    instinctSetSystemSettings: async (patch) => {
      const next = { ...(await read()), ...patch };
      await store.put(KEY, next);
      return next;
    },
  };
}

