import { describe, expect, it } from 'vitest';
import { fakeSerialKit } from '../../../tests/fakes/serial';
import { browserHardware } from '../clients/api-devices';
import type { SerialLike } from '../devices/transports/serial';
import { DeviceHub } from './device-hub';
import { createInstinctSystemApp, instinctSystemSettings, type InstinctSystemBackend } from './instinct-system';
import { call } from './testing';

function memory() {
  const m = new Map<string, unknown>();
  return { get: async (k: string) => structuredClone(m.get(k)), put: async (k: string, v: unknown) => void m.set(k, structuredClone(v)) };
}

function backendOf(hub: DeviceHub): InstinctSystemBackend {
  return Object.assign(Object.create(hub) as DeviceHub, instinctSystemSettings(memory()));
}

function rig(hub = new DeviceHub()) {
  return { hub, app: createInstinctSystemApp(backendOf(hub)) };
}

const form = { 'Content-Type': 'application/x-www-form-urlencoded' };

function expectEnvelope(r: { status: number; json: any }, status: number, code: string) {
  expect(r.status).toBe(status);
  expect(r.json).toMatchObject({ success: false, error: { code, message: expect.any(String), details: expect.any(Object) } });
}

describe('Instinct system endpoints (#15–#23, SDK routes)', () => {
  it('healthz: the documented keys, integers where the document shows null, and a message', async () => {
    const { app } = rig();
    const r = await call(app, 'GET', '/instinct/system/healthz');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 'healthy', message: expect.any(String), httpPort: expect.any(Number), grpcPort: 0, host: 'localhost' });
    const walk = (v: unknown, path: string) => {
      expect(v, path).not.toBeNull();
      if (typeof v === 'object') for (const [k, x] of Object.entries(v as object)) walk(x, `${path}.${k}`);
    };
    walk(r.json, 'healthz');
    for (const k of ['cycleCount', 'designedCapacity', 'maxCapacity', 'currentCapacity', 'voltage', 'percent', 'timeRemaining']) expect(Number.isInteger(r.json.battery[k]), k).toBe(true);
    expect(Object.keys(r.json.cpu).sort()).toEqual(['currentClockSpeed', 'load', 'temperature', 'totalClockSpeed']);
    expect(Object.keys(r.json.ram).sort()).toEqual(['available', 'free', 'total']);
    expect(Object.keys(r.json.storage).sort()).toEqual(['free', 'total']);
  });

  it('hostname: document form {hostname} and SDK form {name} share one value; bad names are 400', async () => {
    const { app } = rig();
    expect((await call(app, 'GET', '/instinct/system/hostname')).json.hostname).toBe('instinct-browser');
    const p = await call(app, 'PATCH', '/instinct/system/hostname', { hostname: 'lab-7' });
    expect(p.json).toMatchObject({ hostname: 'lab-7', success: true });
    expect((await call(app, 'GET', '/instinct/system/system/hostname')).json).toMatchObject({ name: 'lab-7', message: expect.any(String) });
    expect((await call(app, 'PATCH', '/instinct/system/system/hostname', { name: 'lab-8' })).json.name).toBe('lab-8');
    expect((await call(app, 'GET', '/instinct/system/hostname')).json.hostname).toBe('lab-8');
    expectEnvelope(await call(app, 'PATCH', '/instinct/system/hostname', { hostname: '' }), 400, 'invalid_parameter');
    expectEnvelope(await call(app, 'PATCH', '/instinct/system/hostname', { hostname: 'x'.repeat(64) }), 400, 'invalid_parameter');
    expect((await call(app, 'GET', '/instinct/system/hostname')).json.hostname).toBe('lab-8');
  });

  it('sensors: channels by label, gain and rate as form fields; config and status follow; stream start/stop; 409 while streaming', async () => {
    const hub = new DeviceHub();
    const be = backendOf(hub);
    await hub.deviceRegister({ id: 'cap32', kind: 'synthetic', config: { channelCount: 32 } });
    await be.instinctSetSystemSettings({ deviceId: 'cap32' });
    const app = createInstinctSystemApp(be);
    const put = await call(app, 'PUT', '/instinct/system/sensors/eeg?channels=CZ&channels=PZ', 'samplingFrequency=500', form);
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ success: true, channels: ['Cz', 'Pz'], samplingFrequency: 500, gain: 0, message: expect.any(String) });
    expect((await hub.deviceGet('cap32')).config).toMatchObject({ sampleRateHz: 500, channels: [18, 19] });
    const cfg = await call(app, 'GET', '/instinct/system/config');
    expect(cfg.json).toMatchObject({ eeg: { samplingFrequency: 500, channels: ['Cz', 'Pz'] }, streaming: { defaultSampleRate: 500 } });
    const bad = await call(app, 'PUT', '/instinct/system/sensors/eeg?channels=QQ', '', form);
    expectEnvelope(bad, 400, 'invalid_parameter');
    expect(bad.json.error.message).toMatch(/no channel 'QQ'; channels: Fp1, Fp2/);
    expectEnvelope(await call(app, 'PUT', '/instinct/system/sensors/eeg', 'samplingFrequency=100', form), 400, 'invalid_parameter');
    expect((await hub.deviceGet('cap32')).config.sampleRateHz).toBe(500);
    expect((await call(app, 'GET', '/instinct/system/status')).json).toMatchObject({ state: 'idle', eegStreaming: false, activeStreams: 0 });
    expect((await call(app, 'POST', '/instinct/system/sensors/eeg/stream')).json).toMatchObject({ success: true });
    expect((await call(app, 'GET', '/instinct/system/status')).json).toMatchObject({ state: 'streaming', eegStreaming: true, activeStreams: 1 });
    expectEnvelope(await call(app, 'POST', '/instinct/system/sensors/eeg/stream'), 409, 'stream_running');
    expectEnvelope(await call(app, 'PUT', '/instinct/system/sensors/eeg?channels=Fp1', '', form), 409, 'stream_running');
    expect((await call(app, 'DELETE', '/instinct/system/sensors/eeg/stream')).json.success).toBe(true);
    expectEnvelope(await call(app, 'DELETE', '/instinct/system/sensors/eeg/stream'), 409, 'device_unavailable');
    const patched = await call(app, 'PATCH', '/instinct/system/config', { eeg: { channels: ['O1', 'O2'] }, streaming: { defaultSampleRate: 250 } });
    expect(patched.json).toMatchObject({ eeg: { channels: ['O1', 'O2'] }, streaming: { defaultSampleRate: 250 } });
    expectEnvelope(await call(app, 'PATCH', '/instinct/system/config', { eeg: { samplingFrequency: 'fast' } }), 422, 'validation_failed');
    expect((await call(app, 'DELETE', '/instinct/system/sensors/eeg')).json.success).toBe(true);
    expect((await hub.deviceGet('cap32')).config).toMatchObject({ sampleRateHz: 250, channels: Array.from({ length: 32 }, (_, i) => i + 1) });
    await hub.close();
  });

  it('impedance: null per channel for a device without a check; ohms from a Cyton (lead-off tone) while it streams', async () => {
    const plain = rig();
    const none = await call(plain.app, 'GET', '/instinct/system/sensors/impedance?channels=Fp1,O2');
    expect(none.json).toEqual({ Fp1: null, O2: null });
    expectEnvelope(await call(plain.app, 'GET', '/instinct/system/sensors/impedance?channels=CMS'), 400, 'invalid_parameter');
    const kit = fakeSerialKit();
    const serial = new kit.FakeSerial();
    const port = serial.plug({ usbVendorId: 0x0403, usbProductId: 0x6015 });
    const emu = new kit.CytonEmulator({ electrodeOhms: 20_000 });
    emu.attach(port);
    const hub = new DeviceHub({ hardware: browserHardware({ serial: serial as unknown as SerialLike }), sleep: async () => undefined, impedanceSettleMs: 20 });
    const { app } = rig(hub);
    await hub.deviceConnect('openbci-cyton');
    expectEnvelope(await call(app, 'GET', '/instinct/system/sensors/impedance/all'), 409, 'device_unavailable');
    expect((await call(app, 'POST', '/instinct/system/sensors/eeg/stream')).status).toBe(200);
    const pumping = setInterval(() => emu.pump(10), 2);
    try {
      const all = await call(app, 'GET', '/instinct/system/sensors/impedance/all');
      expect(Object.keys(all.json)).toEqual((await hub.deviceGet('openbci-cyton')).channelLabels);
      for (const v of Object.values(all.json)) expect(Math.abs((v as number) - 20_000)).toBeLessThan(1000);
    } finally {
      clearInterval(pumping);
    }
    await hub.close();
  });

  it('debug commands are 501 not_supported (document and SDK paths); unknown system paths 404, wrong methods 405, in the envelope', async () => {
    const { app } = rig();
    expectEnvelope(await call(app, 'POST', '/instinct/system/debug/command', { command: 'x' }), 501, 'not_supported');
    expectEnvelope(await call(app, 'POST', '/instinct/system/system/debug', {}), 501, 'not_supported');
    expectEnvelope(await call(app, 'GET', '/instinct/system/nothing'), 404, 'resource_not_found');
    const m = await call(app, 'DELETE', '/instinct/system/healthz');
    expectEnvelope(m, 405, 'method_not_allowed');
    expect(m.headers.get('Allow')).toBe('GET, HEAD, OPTIONS');
    expectEnvelope(await call(createInstinctSystemApp(null), 'GET', '/instinct/system/healthz'), 503, 'engine_unavailable');
  });
});

describe('Instinct system endpoints inside the Instinct app (createApi instinctSystem)', () => {
  it('answer beside the streams routes under one mount and one envelope', async () => {
    const { createApi, instinctSystemRoutes } = await import('./index');
    const { LocalBackend } = await import('./local-backend');
    const hub = new DeviceHub();
    const app = createApi(new LocalBackend(), { instinctSystem: instinctSystemRoutes(backendOf(hub)) });
    expect((await call(app, 'GET', '/instinct/system/healthz')).json.status).toBe('healthy');
    expect((await call(app, 'GET', '/instinct/system/system/hostname')).json.name).toBe('instinct-browser');
    expect((await call(app, 'GET', '/instinct/stream/streams')).json).toMatchObject({ success: true, streams: [] });
    expectEnvelope(await call(app, 'POST', '/instinct/system/debug/command', {}), 501, 'not_supported');
    expectEnvelope(await call(app, 'GET', '/instinct/system/nothing'), 404, 'resource_not_found');
    const doc = (await call(app, 'GET', '/bci/v1/openapi.json')).json;
    expect(doc.paths['/instinct/system/sensors/impedance/all'].get.tags).toEqual(['instinct']);
    await hub.close();
  });
});
