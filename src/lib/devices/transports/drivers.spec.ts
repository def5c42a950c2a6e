import { describe, expect, it } from 'vitest';
import { fakeSerialKit } from '../../../../tests/fakes/serial.ts';
import { fakeBluetoothKit } from '../../../../tests/fakes/bluetooth.ts';
import { fakeUsbKit } from '../../../../tests/fakes/usb.ts';
import type { DriverFrames, DriverGap } from '../descriptor.ts';
import { cytonUvPerCount } from '../drivers/openbci-cyton/decoder.ts';
import { CYTON_SERIAL } from '../drivers/openbci-cyton/descriptor.ts';
import { CYTON_DRIVER } from '../drivers/openbci-cyton/driver.ts';
import { CYTON_DAISY_DRIVER } from '../drivers/openbci-cyton-daisy/driver.ts';
import { encodeGanglionFw3, encodeGanglionRaw } from '../drivers/openbci-ganglion/encoder.ts';
import { GANGLION_RECEIVE, GANGLION_SEND, GANGLION_SERVICE, DEVICE_INFORMATION_SERVICE, SOFTWARE_REVISION } from '../drivers/openbci-ganglion/descriptor.ts';
import { GANGLION_DRIVER } from '../drivers/openbci-ganglion/driver.ts';
import { BluetoothTransport, type BluetoothDeviceLike } from './bluetooth.ts';
import { FtdiTransport, type UsbDeviceLike, type UsbLike } from './ftdi.ts';
import { SerialTransport, type SerialLike, type SerialPortLike } from './serial.ts';
import { TransportDriver } from './transport-driver.ts';

const settle = async () => {
  for (let i = 0; i < 40; i++) await new Promise((ok) => setTimeout(ok, 0));
};
const fastSleep = async () => {};

function listener() {
  const frames: DriverFrames[] = [];
  const gaps: DriverGap[] = [];
  const drops: string[] = [];
  return { frames, gaps, drops, l: { onFrames: (f: DriverFrames) => frames.push(f), onGap: (g: DriverGap) => gaps.push(g), onDisconnected: (r: string) => drops.push(r) } };
}

describe('Cyton driver', () => {
  it('tells the decoder every command: a gain change sent while streaming rescales that channel', async () => {
    const kit = fakeSerialKit();
    const serial = new kit.FakeSerial();
    const port = serial.plug({ usbVendorId: 0x0403, usbProductId: 0x6015 });
    const emu = new kit.CytonEmulator();
    emu.attach(port);
    const driver = new TransportDriver(CYTON_DRIVER, new SerialTransport(serial as unknown as SerialLike, port as unknown as SerialPortLike, CYTON_SERIAL), { sleep: fastSleep });
    const c = listener();
    await driver.open();
    await driver.start(c.l);
    // Same counts, two gains: channel 1 at gain 24 then (x1 0 4 …: gain code 4 = 8) at gain 8.
    const counts = [1000, 0, 0, 0, 0, 0, 0, 0];
    port.emit(kit.cytonPacket(0, counts));
    port.emit(kit.cytonPacket(1, counts));
    await settle();
    await driver.send('x1040000X');
    port.emit(kit.cytonPacket(2, counts));
    port.emit(kit.cytonPacket(3, counts));
    await settle();
    await driver.close();
    const eeg = c.frames.filter((f) => f.streamId === 'openbci-cyton.eeg');
    const ch1: number[] = [];
    for (const f of eeg) for (let i = 0; i < f.frames; i++) ch1.push(f.samples[i * 8]);
    expect(ch1).toHaveLength(4);
    expect(ch1[0]).toBeCloseTo(1000 * cytonUvPerCount(24), 4);
    expect(ch1[3]).toBeCloseTo(1000 * cytonUvPerCount(8), 4);
    expect(emu.commands.endsWith('x1040000Xs')).toBe(true);
  });

  it('runs a whole session over the WebUSB FTDI transport (modem-status bytes stripped before decoding)', async () => {
    const { FakeUsb, FakeFtdiDevice } = fakeUsbKit();
    const kit = fakeSerialKit();
    const usb = new FakeUsb();
    const dev = new FakeFtdiDevice();
    usb.devices.push(dev);
    const emu = new kit.CytonEmulator({ dropCounters: [7] });
    emu.attach(dev as unknown as InstanceType<typeof kit.FakeSerialPort>);
    const driver = new TransportDriver(CYTON_DRIVER, new FtdiTransport(usb as unknown as UsbLike, dev as unknown as UsbDeviceLike, CYTON_SERIAL), { sleep: fastSleep });
    const c = listener();
    await driver.open();
    await driver.start(c.l);
    emu.pump(30);
    await settle();
    const eeg = c.frames.filter((f) => f.streamId === 'openbci-cyton.eeg');
    expect(eeg.reduce((a, f) => a + f.frames, 0)).toBe(29);
    expect(c.gaps.filter((g) => g.streamId === 'openbci-cyton.eeg')).toEqual([expect.objectContaining({ sampleIndex: 7, lostFrames: 1 })]);
    expect(driver.counters().bytesDiscarded).toBe(0);
    usb.unplug(dev);
    await settle();
    expect(c.drops).toHaveLength(1);
    expect(driver.state).toBe('closed');
  });

  it('refuses a Cyton without a Daisy for the 16-channel driver', async () => {
    const kit = fakeSerialKit();
    const serial = new kit.FakeSerial();
    const port = serial.plug({ usbVendorId: 0x0403, usbProductId: 0x6015 });
    new kit.CytonEmulator().attach(port);
    const driver = new TransportDriver(CYTON_DAISY_DRIVER, new SerialTransport(serial as unknown as SerialLike, port as unknown as SerialPortLike, CYTON_SERIAL), { sleep: fastSleep });
    await expect(driver.open()).rejects.toMatchObject({ code: 'wrong-device' });
    expect(port.isOpen).toBe(false);
  });
});

describe('Ganglion driver', () => {
  const kit = fakeBluetoothKit();
  function ganglion(revision?: string, name = 'Ganglion-1a2b') {
    const dev = new kit.FakeBluetoothDevice('g', name);
    dev.addService(GANGLION_SERVICE, [GANGLION_RECEIVE, GANGLION_SEND]);
    if (revision !== undefined) dev.addService(DEVICE_INFORMATION_SERVICE, [SOFTWARE_REVISION], { [SOFTWARE_REVISION]: new TextEncoder().encode(revision) });
    const t = new BluetoothTransport(dev as unknown as BluetoothDeviceLike, { serviceUuid: GANGLION_SERVICE, ...GANGLION_DRIVER.bluetooth! });
    return { dev, driver: new TransportDriver(GANGLION_DRIVER, t, { sleep: fastSleep }) };
  }

  it('reads the firmware revision, starts with b, decodes fw 3 packets and counts a lost one', async () => {
    const { dev, driver } = ganglion('3.0.2');
    await driver.open();
    expect(driver.options.ganglionFirmware).toBe(3);
    const c = listener();
    await driver.start(c.l);
    expect(dev.writes.map((w) => String.fromCharCode(...w.bytes))).toEqual(['b']);
    const rx = dev.characteristic(GANGLION_RECEIVE);
    const s = [100, -200, 300, -400];
    for (const id of [0, 1, 3]) rx.notify(encodeGanglionFw3(100 + id, s, s));
    const eeg = c.frames.filter((f) => f.streamId === 'openbci-ganglion.eeg');
    expect(eeg.reduce((a, f) => a + f.frames, 0)).toBe(6);
    expect(c.gaps).toEqual([expect.objectContaining({ streamId: 'openbci-ganglion.eeg', sampleIndex: 4, lostFrames: 2 })]);
    await driver.close();
    expect(dev.writes.map((w) => String.fromCharCode(...w.bytes))).toEqual(['b', 's']);
  });

  it('falls back to fw 2 from the name when there is no Device Information service', async () => {
    const { driver } = ganglion(undefined, 'Ganglion-0c1f');
    await driver.open();
    expect(driver.options.ganglionFirmware).toBe(2);
    const c = listener();
    await driver.start(c.l);
    const { dev } = { dev: (driver.transport as unknown as { device: InstanceType<typeof kit.FakeBluetoothDevice> }).device };
    dev.characteristic(GANGLION_RECEIVE).notify(encodeGanglionRaw([10, 20, 30, 40]));
    expect(c.frames.filter((f) => f.streamId === 'openbci-ganglion.eeg').reduce((a, f) => a + f.frames, 0)).toBe(1);
    await driver.close();
  });
});
