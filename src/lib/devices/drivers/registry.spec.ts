import { describe, expect, it } from 'vitest';
import { createDecoder, DEVICE_DESCRIPTORS, deviceDescriptor } from './registry.ts';

const UUID128 = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('device registry', () => {
  it('has the eight devices with readable ids and a decoder each', () => {
    expect(DEVICE_DESCRIPTORS.map((d) => d.id)).toEqual([
      'openbci-cyton',
      'openbci-cyton-daisy',
      'openbci-ganglion',
      'muse-2',
      'muse-s',
      'muse-s-athena',
      'hegduino',
      'blueberry',
    ]);
    for (const d of DEVICE_DESCRIPTORS) expect(createDecoder(d.id).deviceId).toBe(d.id);
    expect(deviceDescriptor('nope')).toBeUndefined();
  });

  it('keeps device facts consistent: stream ids prefixed by the device, BLE UUIDs in the 128-bit lowercase dashed form Web Bluetooth needs', () => {
    for (const d of DEVICE_DESCRIPTORS) {
      expect(d.transports.length).toBeGreaterThan(0);
      for (const s of d.streams) {
        expect(s.id.startsWith(`${d.id}.`)).toBe(true);
        expect(s.channels.length).toBeGreaterThan(0);
        if (s.kind === 'fnirs') expect(s.channels.some((c) => typeof c.wavelengthNm === 'number')).toBe(true);
      }
      if (d.transports.includes('bluetooth')) {
        expect(d.bluetooth?.serviceUuid).toMatch(UUID128);
        for (const u of Object.values(d.bluetooth?.characteristics ?? {})) expect(u).toMatch(UUID128);
      }
      if (d.transports.includes('serial')) expect(d.serial?.baudRate).toBe(115200);
    }
  });
});
