import { describe, expect, it } from 'vitest';
import { fakeBluetoothKit } from '../../../tests/fakes/bluetooth.ts';
import type { MarkerEvent } from '../core/stream.ts';
import { subscribeMarkers } from '../core/markers.ts';
import { encodeAthenaPacket, packInt16Le, packLsbFirst } from '../devices/drivers/muse-s-athena/encoder.ts';
import { ATHENA_CONTROL, ATHENA_DATA, MUSE_S_ATHENA } from '../devices/drivers/muse-s-athena/descriptor.ts';
import { MUSE_S_ATHENA_DRIVER } from '../devices/drivers/muse-s-athena/driver.ts';
import { BluetoothTransport, type BluetoothDeviceLike } from '../devices/transports/bluetooth.ts';
import { Ring, RingReader, RingWriter } from '../streams/ring.ts';
import type { Acquisition } from './acquisition.ts';
import { DeviceConnection, QualityWindow } from './devices.ts';

describe('QualityWindow', () => {
  it('keeps the last N frames in time order and pads missing channels with NaN', () => {
    const w = new QualityWindow(4, 2);
    w.push(Float32Array.of(1, 10, 2, 20, 3, 30), 3, 2);
    w.push(Float32Array.of(4, 5, 6), 3, 1); // a 1-channel block: channel 2 missing
    const o = w.ordered();
    expect(o.frames).toBe(4);
    expect([...o.samples]).toEqual([3, 30, 4, NaN, 5, NaN, 6, NaN]);
  });
});

describe('DeviceConnection (page path)', () => {
  it('feeds the primary stream into the ring (4-ch packets padded to 8), counts its gaps, puts gap markers on the bus, reads the battery', async () => {
    const kit = fakeBluetoothKit();
    const dev = new kit.FakeBluetoothDevice('a', 'MuseS-Athena-1');
    dev.addService(MUSE_S_ATHENA.bluetooth!.serviceUuid, [ATHENA_CONTROL, ATHENA_DATA]);
    const transport = new BluetoothTransport(dev as unknown as BluetoothDeviceLike, { serviceUuid: MUSE_S_ATHENA.bluetooth!.serviceUuid, ...MUSE_S_ATHENA_DRIVER.bluetooth! });
    const ring = Ring.create({ channels: 8, capacityFrames: 1024, shared: false });
    const reader = new RingReader(ring, { from: 'oldest' });
    // Side streams get rings of their own (regular rates only: not the battery).
    const sides = new Map<string, Ring>();
    const addSideStream = (d: { id: string; channels: unknown[] }) => {
      const r = Ring.create({ channels: d.channels.length, capacityFrames: 1024, shared: false });
      sides.set(d.id, r);
      return new RingWriter(r);
    };
    const acq = { startExternal: () => new RingWriter(ring), addSideStream, stop: async () => {} } as unknown as Acquisition;
    const statuses: string[] = [];
    const conn = new DeviceConnection({ ...MUSE_S_ATHENA_DRIVER, commandGapMs: 0 }, transport, { onStatus: (s) => statuses.push(s.state) });
    const markers: MarkerEvent[] = [];
    const unsubscribe = subscribeMarkers((e) => markers.push(...e));
    await conn.start(acq, { bandHz: null, notchHz: null });
    expect(statuses).toEqual(['connecting', 'streaming']);
    expect([...sides.keys()]).toEqual(['muse-s-athena.imu', 'muse-s-athena.optics']);

    const data = dev.characteristic(ATHENA_DATA);
    const eeg8 = (index: number) => ({ tag: 0x12, index, data: packLsbFirst(Array.from({ length: 16 }, (_, v) => 8192 + 100 * (v & 7)), 14, 28) });
    const eeg4 = (index: number) => ({ tag: 0x11, index, data: packLsbFirst(Array.from({ length: 16 }, () => 8192 + 50), 14, 28) });
    const battery = new Uint8Array(20);
    battery[0] = 14918 & 0xff;
    battery[1] = 14918 >> 8;
    data.notify(encodeAthenaPacket(0, 0, [eeg8(0), { tag: 0x98, index: 0, data: battery }]));
    data.notify(encodeAthenaPacket(1, 256, [eeg8(1)]));
    data.notify(encodeAthenaPacket(2, 512, [eeg8(3)])); // index 2 lost: 2 frames
    data.notify(encodeAthenaPacket(3, 768, [eeg4(0)]));
    data.notify(encodeAthenaPacket(4, 1024, [{ tag: 0x47, index: 0, data: packInt16Le(Array.from({ length: 18 }, (_, i) => i)) }]));

    const s = new Float32Array(64 * 8);
    const t = new Float64Array(64);
    const r = reader.read(64, s, t);
    expect(r.frames).toBe(2 + 2 + 2 + 4);
    expect(s[1]).toBeCloseTo(100 * (1450 / 16383), 4); // AF7 of the first 8-ch frame
    expect(s[6 * 8 + 0]).toBeCloseTo(50 * (1450 / 16383), 4); // first 4-ch frame, TP9
    expect(Number.isNaN(s[6 * 8 + 4])).toBe(true); // AUX_1 absent in a 4-ch packet
    // The IMU packet (3 samples of accel + gyro) went to its side ring, not the EEG ring.
    const imu = new RingReader(sides.get('muse-s-athena.imu')!, { from: 'oldest' }).read(64, new Float32Array(64 * 6), new Float64Array(64));
    expect(imu.frames).toBe(3);
    const st = conn.stats();
    expect(st).toMatchObject({ framesReceived: 10, gaps: 1, lostFrames: 2 });
    expect(st.batteryPercent).toBeCloseTo(58.27, 2);
    await new Promise((ok) => setTimeout(ok, 20));
    expect(markers.map((m) => m.value)).toContain('gap:muse-s-athena.eeg:2');
    unsubscribe();
    await conn.stop();
    expect(dev.gatt.connected).toBe(false);
  });
});
