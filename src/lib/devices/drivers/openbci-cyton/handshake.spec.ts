import { describe, expect, it } from 'vitest';
import { parseCytonReply } from './handshake.ts';

// Reply texts from OpenBCI_32bit_Library.cpp boardReset and OpenBCI_Radios.cpp (DEVICES.md §1.1).
describe('Cyton handshake replies', () => {
  it('reads the soft-reset banner: firmware, daisy, end of transmission', () => {
    const banner =
      'OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\nOn Daisy ADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\nFirmware: v3.1.2\n$$$';
    const r = parseCytonReply(banner);
    expect(r).toMatchObject({ complete: true, boardOff: false, firmware: 'v3.1.2', daisy: true });
    expect(parseCytonReply(banner.slice(0, 40)).complete).toBe(false);
  });

  it('recognises the dongle answering for a board that is off', () => {
    const r = parseCytonReply('Failure: Communications timeout - Device failed to poll Host$$$');
    expect(r.boardOff).toBe(true);
    expect(r.complete).toBe(true);
    expect(parseCytonReply('OpenBCI Emulator $$$')).toMatchObject({ complete: true, boardOff: false, daisy: false });
  });
});
