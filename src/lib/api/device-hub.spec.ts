import { describe, expect, it } from 'vitest';
import { fakeSerialKit } from '../../../tests/fakes/serial';
import type { SerialLike } from '../devices/transports/serial';
import { browserHardware } from '../clients/api-devices';
import { Ring, RingReader } from '../streams/ring';
import { DeviceFailure } from './device-backend';
import { DeviceHub, kindFromName } from './device-hub';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

async function failure(p: Promise<unknown>): Promise<DeviceFailure> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DeviceFailure) return e;
    throw e;
  }
  throw new Error('expected a DeviceFailure');
}

const settle = (ms = 5) => new Promise((r) => setTimeout(r, ms));

function cytonRig(opts: { electrodeOhms?: number } = {}) {
  const kit = fakeSerialKit();
  const serial = new kit.FakeSerial();
  const port = serial.plug({ usbVendorId: 0x0403, usbProductId: 0x6015 });
  const emu = new kit.CytonEmulator(opts);
  emu.attach(port);
  const hub = new DeviceHub({
    hardware: browserHardware({ serial: serial as unknown as SerialLike }),
    sleep: async () => undefined,
    impedanceSettleMs: 20,
    backoff: { initialDelayMs: 5, maxDelayMs: 5, maxAttempts: 3 },
  });
  return { kit, serial, port, emu, hub };
}

describe('DeviceHub: synthetic and registered devices', () => {
  it('lists the synthetic device; streams into a ring that a reader in another thread could attach to', async () => {
    const c = clock();
    const hub = new DeviceHub({ clock: c.now, timers: false });
    const list = await hub.deviceList();
    expect(list.map((d) => d.id)).toEqual(['synthetic']);
    expect(list[0]).toMatchObject({ kind: 'synthetic', status: 'offline', connected: false, streaming: false, config: { sampleRateHz: 250, channels: [1, 2, 3, 4, 5, 6, 7, 8] } });
    const { device, started } = await hub.deviceStartStream('synthetic', { sampleRateHz: 500, channels: [1, 2] });
    expect(started).toBe(true);
    expect(device).toMatchObject({ connected: true, streaming: true, status: 'online', config: { sampleRateHz: 500, channels: [1, 2] } });
    expect(device.streamId).toMatch(/^stream_[0-9a-z]{26}$/);
    const info = await hub.deviceStream('synthetic');
    const reader = new RingReader(Ring.attach(info.buffer), { from: 'oldest' });
    c.advance(100);
    hub.pump();
    const out = new Float32Array(8 * 200);
    const r = reader.read(200, out, new Float64Array(200));
    expect(r.frames).toBe(51); // frames 0…50 are due after 100 ms at 500 Hz
    expect(info.descriptor.channels).toHaveLength(8);
    await hub.close();
  });

  it('start is idempotent with the same config, DEVICE_BUSY with another; stop twice is STREAM_UNAVAILABLE', async () => {
    const hub = new DeviceHub({ timers: false });
    const a = await hub.deviceStartStream('synthetic', { sampleRateHz: 250 });
    const b = await hub.deviceStartStream('synthetic', { sampleRateHz: 250 });
    expect(b.started).toBe(false);
    expect(b.device.streamId).toBe(a.device.streamId);
    const busy = await failure(hub.deviceStartStream('synthetic', { sampleRateHz: 500 }));
    expect(busy.code).toBe('DEVICE_BUSY');
    expect((await hub.deviceGet('synthetic')).config.sampleRateHz).toBe(250);
    await hub.deviceStopStream('synthetic');
    expect((await failure(hub.deviceStopStream('synthetic'))).code).toBe('STREAM_UNAVAILABLE');
  });

  it('rejects bad configs with INVALID_CONFIGURATION and changes nothing', async () => {
    const hub = new DeviceHub({ timers: false });
    const before = await hub.deviceGet('synthetic');
    for (const bad of [{ sampleRateHz: 100 }, { channels: [0] }, { channels: [9] }, { channels: [1, 1] }, { gain: 24 }, { filters: { lowpassHz: 400 } }]) {
      const f = await failure(hub.deviceStartStream('synthetic', bad));
      expect(f.code).toBe('INVALID_CONFIGURATION');
      expect(f.message.length).toBeGreaterThan(20);
    }
    expect(await hub.deviceGet('synthetic')).toEqual({ ...before, lastSeenMs: expect.any(Number) });
  });

  it('a device registered as an OpenBCI board with no board granted streams from the synthetic driver, marked simulated', async () => {
    const hub = new DeviceHub({ timers: false });
    expect(kindFromName('openbci_001')).toBe('openbci-cyton');
    expect(kindFromName('my_muse')).toBe('muse-2');
    expect(kindFromName('eeg_9')).toBe('synthetic');
    const d = await hub.deviceRegister({ id: 'openbci_001', kind: 'openbci-cyton', name: 'Lab Cyton' });
    expect(d).toMatchObject({ id: 'openbci_001', simulated: true, metadata: { simulated: true }, capabilities: { sampleRatesHz: [250], maxChannels: 8, gains: [1, 2, 4, 6, 8, 12, 24] } });
    const s = await hub.deviceStartStream('openbci_001', { sampleRateHz: 250, channels: [1, 2, 3, 4, 5, 6, 7, 8], filters: { notchHz: 60, highpassHz: 0.5, lowpassHz: 100 } });
    expect(s.device).toMatchObject({ streaming: true, simulated: true });
    expect((await failure(hub.deviceRegister({ id: 'openbci_001', kind: 'synthetic' }))).code).toBe('DEVICE_EXISTS');
    expect((await failure(hub.deviceRemove('openbci_001'))).code).toBe('DEVICE_BUSY');
    expect((await failure(hub.deviceImpedance('openbci_001'))).code).toBe('NOT_SUPPORTED');
    await hub.deviceStopStream('openbci_001');
    await hub.deviceRemove('openbci_001');
    expect((await failure(hub.deviceGet('openbci_001'))).details).toMatchObject({ resource_type: 'device', resource_id: 'openbci_001', available_devices: ['synthetic'] });
  });

  it('signal quality of the synthetic EEG is measured by devices/quality.ts on the last 2 s of the ring', async () => {
    const c = clock();
    const hub = new DeviceHub({ clock: c.now, timers: false });
    await hub.deviceStartStream('synthetic', { channels: [1, 3] });
    for (let i = 0; i < 20; i++) {
      c.advance(100);
      hub.pump();
    }
    const q = await hub.deviceSignalQuality('synthetic');
    expect(q.map((x) => x.number)).toEqual([1, 3]);
    for (const ch of q) {
      expect(ch.flat).toBe(false);
      expect(ch.stdUv).toBeGreaterThan(1);
      expect(ch.status).toBe('good');
      expect(ch.snrDb).toBeGreaterThan(0);
    }
  });

  it('events: long-poll resolves on the next event, in order', async () => {
    const hub = new DeviceHub({ timers: false });
    const waiting = hub.deviceEvents(0, 2000);
    await hub.deviceConnect('synthetic');
    const ev = await waiting;
    expect(ev.map((e) => e.type)).toEqual(['device_connected']);
    await hub.deviceStartStream('synthetic');
    await hub.deviceDisconnect('synthetic');
    const all = await hub.deviceEvents(ev[0].seq, 0);
    expect(all.map((e) => e.type)).toEqual(['stream_started', 'stream_stopped', 'device_disconnected']);
    expect(await hub.deviceEvents(all[2].seq, 10)).toEqual([]);
  });
});

describe('DeviceHub: a board the browser has permission for (fake Web Serial + Cyton emulator)', () => {
  it('is listed, connects, streams its real decoded samples, and a registered device of that kind takes it over', async () => {
    const { hub, emu } = cytonRig();
    const ids = (await hub.deviceList()).map((d) => d.id);
    expect(ids).toContain('openbci-cyton');
    const disc = await hub.deviceDiscover();
    expect(disc.find((d) => d.kind === 'openbci-cyton')).toMatchObject({ protocol: 'serial', label: expect.stringContaining('0403') });
    const reg = await hub.deviceRegister({ id: 'openbci_001', kind: 'openbci-cyton' });
    expect(reg.simulated).toBe(false);
    await hub.deviceStartStream('openbci_001', { gain: 24 });
    expect(emu.streaming).toBe(true);
    expect(emu.commands).toContain('x1060110X');
    const info = await hub.deviceStream('openbci_001');
    const reader = new RingReader(Ring.attach(info.buffer), { from: 'oldest' });
    emu.pump(250);
    await settle();
    const out = new Float32Array(8 * 300);
    const r = reader.read(300, out, new Float64Array(300));
    expect(r.frames).toBe(250);
    // Channel 1 carries the emulator's 50 µV 10 Hz sine: its peak is within a count of 50 µV.
    let peak = 0;
    for (let f = 0; f < r.frames; f++) peak = Math.max(peak, Math.abs(out[f * 8]));
    expect(peak).toBeGreaterThan(49.9);
    expect(peak).toBeLessThan(50.1);
    await hub.deviceStopStream('openbci_001');
    expect(emu.streaming).toBe(false);
    await hub.close();
  });

  it('measures impedance from the lead-off tone (the emulator drives 6 nA through 10 kΩ + 2.2 kΩ)', async () => {
    const { hub, emu } = cytonRig({ electrodeOhms: 10_000 });
    await hub.deviceStartStream('openbci-cyton');
    const pumping = setInterval(() => emu.pump(10), 2);
    try {
      const z = await hub.deviceImpedance('openbci-cyton');
      expect(z.labels).toHaveLength(8);
      for (const ohms of z.ohms) expect(Math.abs(ohms! - 10_000)).toBeLessThan(600);
    } finally {
      clearInterval(pumping);
    }
    expect(emu.leadOff.size).toBe(0); // lead-off current switched off again
    await hub.close();
  });

  it('a board without permission is refused with DEVICE_NOT_PAIRED, naming the Devices page', async () => {
    const kit = fakeSerialKit();
    const hub = new DeviceHub({ hardware: browserHardware({ serial: new kit.FakeSerial() as unknown as SerialLike }) });
    // Built-in board records exist only for granted boards; a record of a board kind that is not
    // from the API (fallback off) is what a paired-then-unplugged board leaves.
    const hidden = hub as unknown as { add(r: object, fallback: boolean): unknown };
    hidden.add({ id: 'openbci-cyton', kind: 'openbci-cyton' }, false);
    const f = await failure(hub.deviceConnect('openbci-cyton'));
    expect(f.code).toBe('DEVICE_NOT_PAIRED');
    expect(f.message).toMatch(/Devices page/);
    expect((await hub.deviceGet('openbci-cyton')).connected).toBe(false);
  });

  it('unplugged while streaming: device_error with retrySuggested, status error; frames already written stay readable', async () => {
    const { hub, emu, serial, port } = cytonRig();
    await hub.deviceStartStream('openbci-cyton');
    const info = await hub.deviceStream('openbci-cyton');
    const reader = new RingReader(Ring.attach(info.buffer), { from: 'oldest' });
    emu.pump(100);
    await settle();
    const seq = (await hub.deviceEvents(0, 0)).at(-1)!.seq;
    serial.unplug(port);
    const ev = await hub.deviceEvents(seq, 1000);
    expect(ev[0]).toMatchObject({ type: 'device_error', deviceId: 'openbci-cyton', retrySuggested: true });
    expect((await hub.deviceGet('openbci-cyton')).status).toBe('error');
    const out = new Float32Array(8 * 200);
    expect(reader.read(200, out, new Float64Array(200)).frames).toBe(100);
    // It gives up after the attempts: the stream ends, the device says why.
    const end = await waitFor(hub, 'stream_stopped');
    expect(end.message).toMatch(/gave up/);
    const d = await hub.deviceGet('openbci-cyton');
    expect(d).toMatchObject({ status: 'error', streaming: false });
    expect(d.lastError).toMatch(/gave up reconnecting/);
  });
});

async function waitFor(hub: DeviceHub, type: string) {
  let after = 0;
  for (let i = 0; i < 50; i++) {
    const ev = await hub.deviceEvents(after, 200);
    const hit = ev.find((e) => e.type === type);
    if (hit) return hit;
    if (ev.length) after = ev.at(-1)!.seq;
  }
  throw new Error(`no ${type} event`);
}

describe("DeviceHub: the app pages' own streams", () => {
  it("lists the app's one acquisition as app-live: readable (quality), never stopped or reconfigured by the API; gone when the app stops it", async () => {
    const { RingWriter } = await import('../streams/ring');
    const { syntheticStreamDescriptor } = await import('../devices/drivers/synthetic/driver');
    const { SyntheticGenerator } = await import('../devices/drivers/synthetic/generator');
    const hub = new DeviceHub({ timers: false });
    const descriptor = syntheticStreamDescriptor({ channels: 4, sampleRateHz: 250 });
    const ring = Ring.create({ channels: 4, capacityFrames: 5000 });
    hub.setAppStream({ descriptor, buffer: ring.buffer });
    const d = await hub.deviceGet('app-live');
    expect(d).toMatchObject({ kind: 'synthetic', streaming: true, connected: true, status: 'online', config: { sampleRateHz: 250, channels: [1, 2, 3, 4] }, channelLabels: ['Fp1', 'Fp2', 'C3', 'C4'] });
    const w = new RingWriter(ring);
    const g = new SyntheticGenerator({ channels: 4, sampleRateHz: 250 });
    const out = new Float32Array(500 * 4);
    g.next(500, out);
    w.push(out, Float64Array.from({ length: 500 }, (_, i) => 1e6 + i * 4), 500);
    expect((await hub.deviceSignalQuality('app-live')).every((q) => q.status === 'good')).toBe(true);
    expect((await hub.deviceHealth('app-live'))[0].framesReceived).toBe(500);
    for (const f of [hub.deviceStopStream('app-live'), hub.deviceConfigure('app-live', { sampleRateHz: 500 }), hub.deviceRemove('app-live'), hub.deviceDisconnect('app-live')]) {
      const e = await failure(f);
      expect(e.code).toBe('DEVICE_BUSY');
      expect(e.message).toMatch(/run by the app \(its Live and Devices pages\): (stop|configure|remove|disconnect)/);
    }
    expect((await hub.deviceStartStream('app-live')).started).toBe(false);
    hub.setAppStream(null);
    expect((await hub.deviceList()).map((x) => x.id)).toEqual(['synthetic']);
    const ev = await hub.deviceEvents(0, 0);
    expect(ev.map((x) => x.type)).toEqual(['stream_started', 'stream_stopped']);
    expect(ring.closed).toBe(false); // the page's ring is the page's
  });
});
