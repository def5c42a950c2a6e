import { describe, expect, it } from 'vitest';
import { fakeSerialKit } from '../../../../tests/fakes/serial.ts';
import { fakeBluetoothKit } from '../../../../tests/fakes/bluetooth.ts';
import { fakeUsbKit } from '../../../../tests/fakes/usb.ts';
import { CYTON_SERIAL } from '../drivers/openbci-cyton/descriptor.ts';
import { BluetoothTransport, type BluetoothDeviceLike } from './bluetooth.ts';
import { FtdiTransport, ftdiBaudDivisor, ftdiLineValue, stripModemStatus, FTDI_REQUEST, type UsbDeviceLike, type UsbLike } from './ftdi.ts';
import { SerialTransport, type SerialLike, type SerialPortLike } from './serial.ts';
import { TransportError } from './types.ts';

const tick = () => new Promise((ok) => setTimeout(ok, 0));

describe('SerialTransport', () => {
  const kit = fakeSerialKit();
  const setup = () => {
    const serial = new kit.FakeSerial();
    const port = serial.plug({ usbVendorId: 0x0403, usbProductId: 0x6015 });
    const t = new SerialTransport(serial as unknown as SerialLike, port as unknown as SerialPortLike, CYTON_SERIAL);
    return { serial, port, t };
  };

  it('reads, writes, reports an unplug once, and reopens the replugged adapter through getPorts()', async () => {
    const { serial, port, t } = setup();
    const got: number[] = [];
    const reasons: string[] = [];
    t.onDisconnect = (r) => reasons.push(r);
    await t.open();
    await t.listen((b) => got.push(...b));
    port.emit(Uint8Array.of(1, 2, 3));
    await tick();
    await t.write(Uint8Array.of(0x62));
    expect(got).toEqual([1, 2, 3]);
    expect(port.written).toEqual([0x62]);

    serial.unplug(port);
    await tick();
    expect(reasons).toHaveLength(1);
    expect(t.connected).toBe(false);
    await expect(t.open()).rejects.toMatchObject({ code: 'not-found' });

    const again = serial.plug({ usbVendorId: 0x0403, usbProductId: 0x6015 });
    await t.open();
    await t.listen((b) => got.push(...b));
    again.emit(Uint8Array.of(9));
    await tick();
    expect(got).toEqual([1, 2, 3, 9]);
    expect(again.openCount).toBe(1);
    await t.close();
    expect(again.isOpen).toBe(false);
    expect(reasons).toHaveLength(1); // close is not a disconnect
  });

  it('maps a busy port to port-busy', async () => {
    const { port, t } = setup();
    port.busy = true;
    const err = await t.open().catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.code).toBe('port-busy');
  });
});

describe('FTDI over WebUSB', () => {
  it('encodes baud divisors as FTDI AN232B-05 tabulates them', () => {
    // AN232B-05 examples: 115200 → 0x001A, 9600 → 0x4138, 19200 → 0x809C; 3 Mbaud → 0, 2 Mbaud → 1.
    expect(ftdiBaudDivisor(115200)).toMatchObject({ value: 0x001a, index: 0 });
    expect(ftdiBaudDivisor(9600)).toMatchObject({ value: 0x4138, index: 0 });
    expect(ftdiBaudDivisor(19200)).toMatchObject({ value: 0x809c, index: 0 });
    expect(ftdiBaudDivisor(3_000_000).value).toBe(0);
    expect(ftdiBaudDivisor(2_000_000).value).toBe(1);
    expect(ftdiBaudDivisor(115200).actualBaudRate).toBeCloseTo(115384.6, 1);
    expect(ftdiLineValue({ dataBits: 8, parity: 'none', stopBits: 1 })).toBe(0x0008);
    expect(ftdiLineValue({ dataBits: 7, parity: 'even', stopBits: 2 })).toBe(0x1207);
  });

  it('strips two modem-status bytes from every 64-byte packet', () => {
    const data = new Uint8Array(64 + 10);
    for (let i = 0; i < data.length; i++) data[i] = i;
    const out = new Uint8Array(data.length);
    const n = stripModemStatus(data, 64, out);
    expect(n).toBe(62 + 8);
    expect(out[0]).toBe(2);
    expect(out[61]).toBe(63);
    expect(out[62]).toBe(66);
    expect(stripModemStatus(Uint8Array.of(0x01, 0x60), 64, out)).toBe(0);
  });

  it('configures the chip, reads payload bytes, writes, and reports an unplug', async () => {
    const { FakeUsb, FakeFtdiDevice } = fakeUsbKit();
    const usb = new FakeUsb();
    const dev = new FakeFtdiDevice();
    usb.devices.push(dev);
    const t = new FtdiTransport(usb as unknown as UsbLike, dev as unknown as UsbDeviceLike, CYTON_SERIAL);
    const reasons: string[] = [];
    t.onDisconnect = (r) => reasons.push(r);
    await t.open();
    const reqs = dev.controls.map((c) => c.request);
    expect(reqs[0]).toBe(FTDI_REQUEST.reset);
    expect(dev.controls.find((c) => c.request === FTDI_REQUEST.baudRate)).toMatchObject({ value: 0x1a, index: 0 });
    expect(dev.controls.find((c) => c.request === FTDI_REQUEST.data)?.value).toBe(8);
    expect(dev.claimed).toEqual([0]);
    const got: number[] = [];
    await t.listen((b) => got.push(...b));
    const payload = new Uint8Array(150).map((_, i) => (i * 7) & 0xff);
    dev.emit(payload);
    for (let i = 0; i < 10 && got.length < 150; i++) await tick();
    expect(got).toEqual([...payload]);
    await t.write(Uint8Array.of(0x62));
    expect(dev.out).toEqual([0x62]);
    usb.unplug(dev);
    await tick();
    expect(reasons).toHaveLength(1);
    await expect(t.open()).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('BluetoothTransport', () => {
  const kit = fakeBluetoothKit();
  const SVC = '0000fe84-0000-1000-8000-00805f9b34fb';
  const RX = '2d30c082-f39f-4ce6-923f-3484ea480596';
  const TX = '2d30c083-f39f-4ce6-923f-3484ea480596';

  it('subscribes, delivers notifications with their UUID, writes, survives a drop and reconnects', async () => {
    const dev = new kit.FakeBluetoothDevice('d1', 'Ganglion-1234');
    dev.addService(SVC, [RX, TX]);
    const t = new BluetoothTransport(dev as unknown as BluetoothDeviceLike, { serviceUuid: SVC, notify: [RX], write: TX });
    const got: Array<[number[], string | undefined]> = [];
    const reasons: string[] = [];
    t.onDisconnect = (r) => reasons.push(r);
    await t.open();
    await t.listen((b, u) => got.push([[...b], u]));
    dev.characteristic(RX).notify(Uint8Array.of(1, 2));
    await t.write(Uint8Array.of(0x62));
    expect(got).toEqual([[[1, 2], RX]]);
    expect(dev.writes).toEqual([{ uuid: TX, bytes: Uint8Array.of(0x62) }]);

    dev.goAway();
    expect(reasons).toHaveLength(1);
    await expect(t.open()).rejects.toMatchObject({ code: 'not-found' });
    dev.comeBack();
    await t.open();
    await t.listen((b, u) => got.push([[...b], u]));
    dev.characteristic(RX).notify(Uint8Array.of(3));
    expect(got[1]).toEqual([[3], RX]);
    expect(dev.gatt.connects).toBe(2);
    await t.close();
    expect(dev.gatt.connected).toBe(false);
    expect(reasons).toHaveLength(1);
  });

  it('calls a device without the service the wrong device', async () => {
    const dev = new kit.FakeBluetoothDevice('d2', 'Ganglion-0000');
    dev.addService('0000180a-0000-1000-8000-00805f9b34fb', []);
    const t = new BluetoothTransport(dev as unknown as BluetoothDeviceLike, { serviceUuid: SVC, notify: [RX], write: TX });
    await expect(t.open()).rejects.toMatchObject({ code: 'wrong-device' });
    expect(dev.gatt.connected).toBe(false);
  });
});
