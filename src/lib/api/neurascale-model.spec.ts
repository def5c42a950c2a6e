// Model-based random test of the NeuraScale family (like model.spec.ts for NeuroPype): thousands of
// REST calls in random order — valid, invalid and malformed — against a model of the devices (kind,
// streaming, config) and sessions (devices, status, which device streams record into which). After
// every call: never a 5xx, errors in the family envelope with the status of their code, the status
// the model predicts, and a rejected call leaves devices and sessions exactly as they were.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Hono } from 'hono';
import { NeurotabDb } from '../storage/db';
import { DeviceHub } from './device-hub';
import { createNeuraScaleApp, NS_STATUS } from './neurascale';
import { NeuraScaleService, type SettingsStore } from './neurascale-service';
import { call, type Reply } from './testing';

interface MDevice {
  streaming: boolean;
  rate: number;
  channels: number[];
  /** Channels the device has (synthetic registered with 8). */
  max: number;
  /** Rate / channels PATCHed while streaming: they apply when the stream stops. */
  pending: { rate: number; channels: number[] } | null;
}
interface MSession {
  deviceIds: string[];
  status: 'created' | 'recording' | 'completed';
  auto: boolean;
  recording: Set<string>;
}
interface Model {
  devices: Map<string, MDevice>;
  sessions: Map<string, MSession>;
  /** Session ids in creation order. */
  order: string[];
}

const IDS = ['synthetic', 'eeg_a', 'eeg_b', 'openbci_001'];
const BOGUS = ['nope', 'x y', '%2F', 'a'.repeat(70)];
const RATES = [125, 250, 256, 500, 100, 3000];
const CHANNELS = [[1, 2], [1, 2, 3, 4, 5, 6, 7, 8], [0], [9], [2, 2], [1]];

type Cmd =
  | { k: 'register'; id: string; named: boolean; type: string }
  | { k: 'start'; id: string; rate?: number; channels?: number[] }
  | { k: 'stop'; id: string }
  | { k: 'config'; id: string; rate?: number; channels?: number[] }
  | { k: 'delete'; id: string }
  | { k: 'get'; id: string }
  | { k: 'list'; size: number }
  | { k: 'session'; deviceIds: string[]; named: boolean }
  | { k: 'deleteSession'; ref: number }
  | { k: 'garbage'; method: string; path: string; body: string };

const idArb = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...IDS) }, { weight: 1, arbitrary: fc.constantFrom(...BOGUS) });
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('register' as const), id: idArb, named: fc.boolean(), type: fc.constantFrom('EEG', 'EEG', 'fNIRS', 'XYZ') }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('start' as const), id: idArb, rate: fc.option(fc.constantFrom(...RATES), { nil: undefined }), channels: fc.option(fc.constantFrom(...CHANNELS), { nil: undefined }) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('stop' as const), id: idArb }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('config' as const), id: idArb, rate: fc.option(fc.constantFrom(...RATES), { nil: undefined }), channels: fc.option(fc.constantFrom(...CHANNELS), { nil: undefined }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('delete' as const), id: idArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('get' as const), id: idArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('list' as const), size: fc.constantFrom(1, 50, 100, 0, 101) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('session' as const), deviceIds: fc.subarray([...IDS, 'nope'], { maxLength: 2 }), named: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('deleteSession' as const), ref: fc.nat(10) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('garbage' as const),
      method: fc.constantFrom('POST', 'PATCH', 'PUT', 'DELETE', 'GET'),
      path: fc.constantFrom('/v2/devices', '/v2/devices/synthetic/config', '/v2/sessions', '/v2/data/export', '/v2/auth/login', '/api/v1/devices', '/api/v1/devices/synthetic/connect', '/v2/analysis/sessions/x/analyze'),
      body: fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('{', '[]', 'null', '{"sample_rate":"fast"}', '{"channels":"all"}', '{"name":5}', '{"device_ids":"synthetic"}', '{"filters":{"notch":-1}}', '\u0000')),
    }),
  },
);

async function snapshot(app: Hono): Promise<string> {
  const d = (await call(app, 'GET', '/neurascale/v2/devices?size=100')).json;
  const s = (await call(app, 'GET', '/neurascale/v2/sessions?limit=100')).json;
  return JSON.stringify({ d: d.items.map(({ last_seen: _l, ...rest }: Record<string, unknown>) => rest), s: s.items });
}

function sameConfig(d: MDevice, rate: number, channels: number[]): boolean {
  return d.rate === rate && d.channels.join() === [...channels].sort((a, b) => a - b).join();
}

function validConfig(d: MDevice, rate: number, channels: number[]): boolean {
  return rate >= 125 && rate <= 2000 && channels.length > 0 && new Set(channels).size === channels.length && channels.every((n) => n >= 1 && n <= d.max);
}

/** The status the model predicts, and the model updated when the call succeeds. */
function apply(m: Model, c: Cmd, r: Reply): number | null {
  const known = (id: string) => m.devices.get(id);
  switch (c.k) {
    case 'register': {
      if (!c.named) return 400;
      if (c.type === 'XYZ') return 422;
      if (BOGUS.includes(c.id) && c.id !== 'nope') return c.id.length > 64 ? 400 : 400;
      if (m.devices.has(c.id)) return 409;
      m.devices.set(c.id, { streaming: false, rate: 250, channels: [1, 2, 3, 4, 5, 6, 7, 8], max: 8, pending: null });
      return 201;
    }
    case 'start': {
      const d = known(c.id);
      if (!d) return 404;
      const rate = c.rate ?? d.rate;
      const channels = c.channels ?? d.channels;
      const board = c.id === 'openbci_001';
      if (!validConfig(d, rate, channels) || (board && rate !== 250)) return 422;
      if (d.streaming) return c.rate === undefined && c.channels === undefined ? 200 : sameConfig(d, rate, channels) ? 200 : 409;
      d.streaming = true;
      d.rate = rate;
      d.channels = [...channels].sort((a, b) => a - b);
      const s = m.order.map((id) => [id, m.sessions.get(id)!] as const).find(([, s]) => s.status !== 'completed' && s.deviceIds.includes(c.id));
      if (s) {
        s[1].status = 'recording';
        s[1].recording.add(c.id);
      } else {
        const id = r.json?.session_id as string;
        m.sessions.set(id, { deviceIds: [c.id], status: 'recording', auto: true, recording: new Set([c.id]) });
        m.order.push(id);
      }
      return 200;
    }
    case 'stop': {
      const d = known(c.id);
      if (!d) return 404;
      if (!d.streaming) return 409;
      d.streaming = false;
      if (d.pending) {
        d.rate = d.pending.rate;
        d.channels = d.pending.channels;
        d.pending = null;
      }
      for (const s of m.sessions.values()) {
        if (!s.recording.delete(c.id)) continue;
        if (s.recording.size === 0) s.status = s.auto ? 'completed' : 'created';
      }
      return 200;
    }
    case 'config': {
      const d = known(c.id);
      if (!d) return 404;
      const rate = c.rate ?? d.rate;
      const channels = c.channels ?? d.channels;
      if (!validConfig(d, rate, channels) || (c.id === 'openbci_001' && rate !== 250)) return 422;
      const sorted = [...channels].sort((a, b) => a - b);
      if (!d.streaming) {
        d.rate = rate;
        d.channels = sorted;
      } else if (!sameConfig(d, rate, channels)) d.pending = { rate, channels: sorted };
      return 200;
    }
    case 'delete': {
      const d = known(c.id);
      if (!d) return 404;
      if (d.streaming) return 409;
      m.devices.delete(c.id);
      return 204;
    }
    case 'get':
      return known(c.id) ? 200 : 404;
    case 'list':
      return c.size >= 1 && c.size <= 100 ? 200 : 422;
    case 'session': {
      if (!c.named) return 400;
      if (c.deviceIds.some((id) => !m.devices.has(id))) return 404;
      const id = r.json?.id as string;
      m.sessions.set(id, { deviceIds: c.deviceIds, status: 'created', auto: false, recording: new Set() });
      m.order.push(id);
      return 201;
    }
    case 'deleteSession': {
      if (m.order.length === 0) return 404;
      const id = m.order[c.ref % m.order.length];
      const s = m.sessions.get(id)!;
      if (s.recording.size > 0) return 409;
      m.sessions.delete(id);
      m.order = m.order.filter((x) => x !== id);
      return 204;
    }
    case 'garbage':
      return null;
  }
}

async function run(app: Hono, m: Model, c: Cmd): Promise<Reply> {
  const P = (p: string) => `/neurascale${p}`;
  const dev = (id: string) => encodeURIComponent(id);
  const cfg = (x: { rate?: number; channels?: number[] }) => ({ ...(x.rate !== undefined ? { sample_rate: x.rate } : {}), ...(x.channels ? { channels: x.channels } : {}) });
  switch (c.k) {
    case 'register':
      return call(app, 'POST', P('/v2/devices'), { id: c.id, ...(c.named ? { name: `Device ${c.id}` } : {}), type: c.type });
    case 'start':
      return call(app, 'POST', P(`/v2/devices/${dev(c.id)}/stream/start`), cfg(c));
    case 'stop':
      return call(app, 'POST', P(`/v2/devices/${dev(c.id)}/stream/stop`));
    case 'config':
      return call(app, 'PATCH', P(`/v2/devices/${dev(c.id)}/config`), cfg(c));
    case 'delete':
      return call(app, 'DELETE', P(`/v2/devices/${dev(c.id)}`));
    case 'get':
      return call(app, 'GET', P(`/v2/devices/${dev(c.id)}`));
    case 'list':
      return call(app, 'GET', P(`/v2/devices?size=${c.size}`));
    case 'session':
      return call(app, 'POST', P('/v2/sessions'), { ...(c.named ? { name: 'S' } : {}), deviceIds: c.deviceIds });
    case 'deleteSession': {
      const id = m.order.length ? m.order[c.ref % m.order.length] : 'session_none';
      return call(app, 'DELETE', P(`/v2/sessions/${id}`));
    }
    case 'garbage':
      return call(app, c.method, P(c.path), c.method === 'GET' ? undefined : c.body, { 'Content-Type': 'application/json' });
  }
}

describe('NeuraScale model-based random test', () => {
  it('thousands of valid and malformed calls: no 5xx, the predicted status, rejected calls change nothing', async () => {
    let calls = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(cmdArb, { minLength: 20, maxLength: 60 }), async (cmds) => {
        const hub = new DeviceHub({ timers: false });
        const service = new NeuraScaleService({ devices: hub, db: new NeurotabDb(`model-${Math.random()}`), settings: memory() });
        const app = createNeuraScaleApp(service, '/neurascale', { settingsTtlMs: 60_000 });
        const m: Model = { devices: new Map([['synthetic', { streaming: false, rate: 250, channels: [1, 2, 3, 4, 5, 6, 7, 8], max: 8, pending: null }]]), sessions: new Map(), order: [] };
        try {
          for (const c of cmds) {
            const before = await snapshot(app);
            const r = await run(app, m, c);
            calls++;
            const label = `${JSON.stringify(c)} → ${r.status} ${r.text.slice(0, 200)}`;
            expect(r.status, label).toBeLessThan(500);
            if (r.status >= 400 && c.k === 'garbage' && c.path.startsWith('/api/v1')) expect(typeof r.json?.error, label).toBe('string'); // the Flask alias's shape
            else if (r.status >= 400) {
              expect(r.json?.error?.code, label).toEqual(expect.any(String));
              // VALIDATION_ERROR is 400 for a malformed or incomplete body, 422 for a field of the wrong kind (API.md §10: "400/422").
              if (r.json.error.code === 'VALIDATION_ERROR') expect([400, 422], label).toContain(r.status);
              else expect(NS_STATUS[r.json.error.code], label).toBe(r.status);
              expect(r.json.error.request_id, label).toMatch(/^req_/);
            }
            const expected = apply(m, c, r);
            if (expected !== null) expect(r.status, label).toBe(expected);
            if (r.status >= 400) expect(await snapshot(app), label).toBe(before);
            // Every device and session agrees with the model.
            const devices = (await call(app, 'GET', '/neurascale/v2/devices?size=100')).json.items as { id: string; streaming: boolean; config: { sample_rate: number; channels: number[] } }[];
            expect(devices.map((d) => d.id).sort(), label).toEqual([...m.devices.keys()].sort());
            for (const d of devices) {
              const md = m.devices.get(d.id)!;
              expect(d.streaming, `${label} ${d.id}`).toBe(md.streaming);
              expect(d.config.sample_rate, `${label} ${d.id}`).toBe(md.rate);
              expect(d.config.channels, `${label} ${d.id}`).toEqual(md.channels);
            }
            const sessions = (await call(app, 'GET', '/neurascale/v2/sessions?limit=100')).json.items as { id: string; status: string }[];
            expect(sessions.map((s) => s.id), label).toEqual(m.order);
            for (const s of sessions) expect(s.status, `${label} ${s.id}`).toBe(m.sessions.get(s.id)!.status);
          }
        } finally {
          await service.close();
          await hub.close();
        }
      }),
      { numRuns: 100, seed: 14 },
    );
    expect(calls).toBeGreaterThan(3000);
  }, 240_000);
});

function memory(): SettingsStore {
  const m = new Map<string, unknown>();
  return { get: async (k) => structuredClone(m.get(k)), put: async (k, v) => void m.set(k, structuredClone(v)) };
}
