import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeSerialKit } from '../../../tests/fakes/serial.ts';
import { fakeBluetoothKit } from '../../../tests/fakes/bluetooth.ts';
import type { DriverFrames, DriverGap } from './descriptor.ts';
import { CYTON_SERIAL } from './drivers/openbci-cyton/descriptor.ts';
import { CYTON_DRIVER } from './drivers/openbci-cyton/driver.ts';
import { MUSE_2_DRIVER } from './drivers/muse-2/driver.ts';
import { backoffDelayMs, DeviceSession, type SessionStatus } from './session.ts';
import { BluetoothTransport, type BluetoothDeviceLike } from './transports/bluetooth.ts';
import { SerialTransport, type SerialLike, type SerialPortLike } from './transports/serial.ts';
import { TransportDriver } from './transports/transport-driver.ts';

const IDS = { usbVendorId: 0x0403, usbProductId: 0x6015 };
const flush = async () => {
  for (let i = 0; i < 30; i++) await Promise.resolve();
};

function collector() {
  const frames: DriverFrames[] = [];
  const gaps: DriverGap[] = [];
  const statuses: SessionStatus[] = [];
  return { frames, gaps, statuses, listener: { onFrames: (f: DriverFrames) => frames.push(f), onGap: (g: DriverGap) => gaps.push(g), onStatus: (s: SessionStatus) => statuses.push(s) } };
}

describe('backoff', () => {
  it('doubles from the initial delay up to the cap', () => {
    const o = { initialDelayMs: 250, factor: 2, maxDelayMs: 3000, maxAttempts: 10 };
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelayMs(a, o))).toEqual([250, 500, 1000, 2000, 3000, 3000]);
  });
});

describe('DeviceSession over a fake Cyton on a fake serial port', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('handshakes, counts dropped packets exactly, reconnects with backoff after an unplug, keeps indices continuous, stops', async () => {
    let t = 1_000_000;
    const now = () => t;
    const sleep = async (ms: number) => {
      t += ms;
      await Promise.resolve();
    };
    const kit = fakeSerialKit();
    const serial = new kit.FakeSerial();
    const port = serial.plug(IDS);
    const emu = new kit.CytonEmulator({ dropCounters: [20, 21, 22] });
    emu.attach(port);
    const transport = new SerialTransport(serial as unknown as SerialLike, port as unknown as SerialPortLike, CYTON_SERIAL);
    const driver = new TransportDriver(CYTON_DRIVER, transport, { now, sleep });
    const c = collector();
    const session = new DeviceSession(driver, c.listener, { now, backoff: { initialDelayMs: 100, factor: 2, maxDelayMs: 1000 } });

    await session.start();
    expect(session.status.state).toBe('streaming');
    // Stop a stale stream, soft reset, defaults, start: every command seen by the gain tracker.
    expect(emu.commands).toBe('svdb');
    expect(driver.commandsSent).toEqual(['s', 'v', 'd', 'b']);

    for (let i = 0; i < 5; i++) {
      emu.pump(10);
      t += 40;
      await flush();
    }
    const eeg = () => c.frames.filter((f) => f.streamId === 'openbci-cyton.eeg');
    expect(eeg().reduce((a, f) => a + f.frames, 0)).toBe(47);
    const eegGaps = c.gaps.filter((g) => g.streamId === 'openbci-cyton.eeg');
    expect(eegGaps).toHaveLength(1);
    expect(eegGaps[0]).toMatchObject({ sampleIndex: 20, lostFrames: 3 });
    // Channel 1 carries 50 µV·sin(2π·10·k/250) at the default gain 24: check the µV scale.
    const first = eeg()[0];
    // Within one count (0.0224 µV at gain 24).
    expect(Math.abs(first.samples[8 * 5] - 50 * Math.sin((2 * Math.PI * 10 * 5) / 250))).toBeLessThan(0.0224);

    // Unplug: the session reports reconnecting and retries with backoff until the port is back.
    serial.unplug(port);
    await flush();
    expect(session.status).toMatchObject({ state: 'reconnecting', attempt: 1, delayMs: 100 });
    t += 100;
    await vi.advanceTimersByTimeAsync(100);
    await flush();
    expect(session.status).toMatchObject({ state: 'reconnecting', attempt: 2, delayMs: 200 });
    const last = eeg()[eeg().length - 1];
    const lastEndMs = last.timestampsMs[last.frames - 1] + 4;
    const nextBefore = last.sampleIndex + last.frames;

    const port2 = serial.plug(IDS);
    emu.attach(port2);
    emu.streaming = false;
    t += 200;
    const tReconnect = t;
    await vi.advanceTimersByTimeAsync(200);
    await flush();
    expect(session.status).toMatchObject({ state: 'streaming', reconnects: 1 });
    expect(c.statuses.filter((s) => s.state === 'reconnecting').map((s) => (s as { attempt: number }).attempt)).toEqual([1, 2]);
    const outage = c.gaps.filter((g) => g.streamId === 'openbci-cyton.eeg')[1];
    // Handshake time (sleep 50 ms) passes after tReconnect; the gap is measured after it.
    const expectedLost = Math.round(((tReconnect + 50 - lastEndMs) * 250) / 1000);
    expect(outage).toMatchObject({ sampleIndex: nextBefore, lostFrames: expectedLost });
    expect(outage.timestampMs).toBeCloseTo(lastEndMs, 6);

    emu.pump(10);
    t += 40;
    await flush();
    const resumed = eeg()[eeg().length - 1];
    expect(resumed.sampleIndex).toBe(nextBefore + expectedLost);
    expect(driver.counters().gaps).toBeGreaterThanOrEqual(2);
    expect(driver.counters().lostFrames).toBeGreaterThanOrEqual(3 + expectedLost);

    await session.stop();
    expect(session.status.state).toBe('stopped');
    expect(emu.commands.endsWith('s')).toBe(true);
    expect(port2.isOpen).toBe(false);
  });

  it('fails the first connection with wrong-device when nothing answers the reset', async () => {
    let t = 0;
    const kit = fakeSerialKit();
    const serial = new kit.FakeSerial();
    const port = serial.plug(IDS); // no emulator: silent port
    const driver = new TransportDriver(CYTON_DRIVER, new SerialTransport(serial as unknown as SerialLike, port as unknown as SerialPortLike, CYTON_SERIAL), {
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
    });
    const c = collector();
    const session = new DeviceSession(driver, c.listener);
    await expect(session.start()).rejects.toMatchObject({ code: 'wrong-device' });
    expect(session.status).toMatchObject({ state: 'failed', code: 'wrong-device' });
    expect(port.isOpen).toBe(false);
  });

  it('gives up after maxAttempts', async () => {
    const kit = fakeBluetoothKit();
    const emu = new kit.MuseEmulator();
    const transport = new BluetoothTransport(emu.device as unknown as BluetoothDeviceLike, { serviceUuid: MUSE_2_DRIVER.descriptor.bluetooth!.serviceUuid, ...MUSE_2_DRIVER.bluetooth! });
    const driver = new TransportDriver(MUSE_2_DRIVER, transport, { sleep: async () => {} });
    const c = collector();
    const session = new DeviceSession(driver, c.listener, { backoff: { initialDelayMs: 10, factor: 2, maxDelayMs: 40, maxAttempts: 3 } });
    await session.start();
    emu.pump(5);
    expect(c.frames.filter((f) => f.streamId === 'muse-2.eeg').reduce((a, f) => a + f.frames, 0)).toBeGreaterThanOrEqual(48);
    emu.device.goAway();
    await vi.advanceTimersByTimeAsync(10 + 20 + 40 + 1);
    await flush();
    expect(session.status.state).toBe('failed');
    expect(c.statuses.filter((s) => s.state === 'reconnecting')).toHaveLength(3);
  });
});
