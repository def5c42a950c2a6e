import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DecodedBlock } from '../decoder.ts';
import { seededRandom } from '../openbci-cyton/encoder.ts';
import { ATHENA_EEG_UV_PER_COUNT, MuseAthenaDecoder } from './decoder.ts';
import { encodeAthenaPacket, packInt16Le, packLsbFirst } from './encoder.ts';

const of = (blocks: DecodedBlock[], name: string) => blocks.filter((b) => b.streamId === `muse-s-athena.${name}`);
function rows(blocks: DecodedBlock[]): number[][] {
  const out: number[][] = [];
  for (const b of blocks) for (let f = 0; f < b.frames; f++) out.push(Array.from(b.samples.subarray(f * b.channelCount, (f + 1) * b.channelCount)));
  return out;
}

describe('Muse S Athena decoder', () => {
  it('decodes battery raw 14918 as 58.27 % (/256: OpenMuse test_battery_58_27, DEVICES.md §3.2)', () => {
    const data = new Uint8Array(20);
    data[0] = 14918 & 0xff;
    data[1] = 14918 >> 8;
    const dec = new MuseAthenaDecoder();
    const bat = of(dec.push(encodeAthenaPacket(0, 0, [{ tag: 0x98, index: 0, data }])), 'battery');
    expect(bat[0].samples[0]).toBeCloseTo(58.27, 2);
  });

  it('reads the variable-length 0x88 battery/status sub-packet (new firmware) to the end of its packet', () => {
    const status = new Uint8Array(190);
    status[0] = 23143 & 0xff; // 90.40 % (OpenMuse test_battery_90_40)
    status[1] = 23143 >> 8;
    const dec = new MuseAthenaDecoder();
    const pkt = encodeAthenaPacket(0, 0, [{ tag: 0x12, index: 0, data: new Uint8Array(28) }, { tag: 0x88, index: 0, data: status }]);
    const out = dec.push(pkt);
    expect(of(out, 'battery')[0].samples[0]).toBeCloseTo(90.4, 2);
    expect(dec.counters.malformedPackets + dec.counters.unknownPackets).toBe(0);
  });

  it('round-trips 8-ch and 4-ch EEG (14-bit LSB-first, sample-major), centred on 8192', () => {
    const r = seededRandom(1);
    const raw8 = Array.from({ length: 16 }, () => Math.floor(r() * 16384));
    const raw4 = Array.from({ length: 16 }, () => Math.floor(r() * 16384));
    const dec = new MuseAthenaDecoder();
    const pkt = encodeAthenaPacket(5, 1234, [
      { tag: 0x12, index: 10, data: packLsbFirst(raw8, 14, 28) },
      { tag: 0x11, index: 3, data: packLsbFirst(raw4, 14, 28) },
    ]);
    const eeg = of(dec.push(pkt), 'eeg');
    expect(eeg.map((b) => [b.channelCount, b.frames])).toEqual([
      [8, 2],
      [4, 4],
    ]);
    const got8 = Array.from(eeg[0].samples);
    raw8.forEach((n, i) => expect(got8[i]).toBe(Math.fround((n - 8192) * ATHENA_EEG_UV_PER_COUNT)));
    const got4 = Array.from(eeg[1].samples);
    raw4.forEach((n, i) => expect(got4[i]).toBe(Math.fround((n - 8192) * ATHENA_EEG_UV_PER_COUNT)));
    expect(dec.labelsFor('muse-s-athena.eeg', 4)).toEqual(['TP9', 'AF7', 'AF8', 'TP10']);
  });

  it('round-trips IMU (int16 LE, acc g, gyro with negative scale) and optics (20-bit raw)', () => {
    const imu = [16384, -16384, 0, 1000, -1000, 1, 2, 3, 4, 5, 6, 7, -8, -9, -10, -11, -12, 32767];
    const optics16 = Array.from({ length: 16 }, (_, i) => i * 65536 + 17);
    const optics4 = [1, 2, 3, 0xfffff, 5, 6, 7, 8, 9, 10, 11, 12];
    const dec = new MuseAthenaDecoder();
    const blocks = dec.push(
      encodeAthenaPacket(0, 0, [
        { tag: 0x47, index: 0, data: packInt16Le(imu) },
        { tag: 0x36, index: 0, data: packLsbFirst(optics16, 20, 40) },
        { tag: 0x34, index: 0, data: packLsbFirst(optics4, 20, 30) },
        { tag: 0x53, index: 0, data: new Uint8Array(24) },
      ]),
    );
    const m = rows(of(blocks, 'imu'));
    expect(m.length).toBe(3);
    expect(m[0][0]).toBeCloseTo(1.0000007, 5);
    expect(m[0][1]).toBeCloseTo(-1.0000007, 5);
    expect(m[0][3]).toBeCloseTo(-7.4768, 4);
    expect(m[2][5]).toBeCloseTo(32767 * -0.0074768, 2);
    const o = of(blocks, 'optics');
    expect(Array.from(o[0].samples)).toEqual(optics16);
    expect(Array.from(o[1].samples)).toEqual(optics4);
    expect(dec.labelsFor('muse-s-athena.optics', 4)).toEqual(['optics_LI_NIR', 'optics_RI_NIR', 'optics_LI_IR', 'optics_RI_IR']);
  });

  it('splits notifications holding several packets, counts per-tag index gaps across 255 → 0 and lost packets', () => {
    const eeg = (index: number) => ({ tag: 0x12, index, data: packLsbFirst(new Array(16).fill(8192), 14, 28) });
    const p1 = encodeAthenaPacket(254, 0, [eeg(254), eeg(255)]);
    const p2 = encodeAthenaPacket(255, 0, [eeg(0)]);
    const p3 = encodeAthenaPacket(1, 0, [eeg(3)]); // packet 0 and EEG indices 1, 2 lost
    const both = new Uint8Array(p1.length + p2.length);
    both.set(p1);
    both.set(p2, p1.length);
    const dec = new MuseAthenaDecoder();
    const blocks = [...dec.push(both), ...dec.push(p3)];
    const e = of(blocks, 'eeg');
    expect(e.reduce((a, b) => a + b.frames, 0)).toBe(8);
    expect(dec.counters.gaps).toBe(1);
    expect(dec.counters.lostFrames).toBe(4);
    expect(dec.lostPackets).toBe(1);
    expect(e[e.length - 1].sampleIndex).toBe(10);
  });

  it('survives truncated packets, bad lengths and unknown tags without throwing', () => {
    const dec = new MuseAthenaDecoder();
    const good = encodeAthenaPacket(0, 0, [{ tag: 0x12, index: 0, data: new Uint8Array(28) }, { tag: 0x47, index: 0, data: new Uint8Array(36) }]);
    expect(() => dec.push(good.subarray(0, 50))).not.toThrow(); // length byte says more than present
    expect(() => dec.push(Uint8Array.from([3, 1, 2]))).not.toThrow();
    expect(() => dec.push(new Uint8Array(0))).not.toThrow();
    const unknown = encodeAthenaPacket(1, 0, [{ tag: 0x12, index: 1, data: new Uint8Array(28) }, { tag: 0x77, index: 0, data: new Uint8Array(10) }]);
    const out = dec.push(unknown);
    expect(of(out, 'eeg')[0].frames).toBe(2);
    expect(dec.counters.unknownPackets).toBe(1);
    expect(dec.counters.malformedPackets).toBe(2);
  });
});

// Real captures from DominiqueMakowski/OpenMuse tests/test_data (MIT per its pyproject), not
// committed here: set OPENMUSE_TEST_DATA to that folder to run these.
const captureDir = process.env.OPENMUSE_TEST_DATA ?? '';
const haveCaptures = captureDir !== '' && existsSync(join(captureDir, 'test_battery_58_27.txt'));

function decodeCapture(file: string): { dec: MuseAthenaDecoder; blocks: DecodedBlock[] } {
  const dec = new MuseAthenaDecoder();
  const blocks: DecodedBlock[] = [];
  for (const line of readFileSync(join(captureDir, file), 'utf8').split('\n')) {
    const parts = line.trim().split('\t');
    if (parts.length < 3 || !parts[1].startsWith('273e0013')) continue;
    blocks.push(...dec.push(Uint8Array.from(parts[2].match(/../g) ?? [], (h) => parseInt(h, 16))));
  }
  return { dec, blocks };
}

describe.skipIf(!haveCaptures)('Muse S Athena decoder on OpenMuse captures', () => {
  it('test_battery_58_27.txt: battery 58.2x %, every packet framed', () => {
    const { dec, blocks } = decodeCapture('test_battery_58_27.txt');
    const bat = of(blocks, 'battery').map((b) => b.samples[0]);
    expect(bat.length).toBeGreaterThan(3);
    for (const v of bat) expect(Math.abs(v - 58.25)).toBeLessThan(0.05);
    expect(dec.counters.malformedPackets).toBe(0);
    expect(dec.counters.unknownPackets).toBe(0);
  });

  it('data_p1041.txt: 8-ch EEG, IMU and 16-ch optics, no framing errors', () => {
    const { dec, blocks } = decodeCapture('data_p1041.txt');
    expect(dec.counters.malformedPackets).toBe(0);
    expect(dec.counters.unknownPackets).toBe(0);
    // Packet counters and per-tag indices run without a break through this capture.
    expect(dec.counters.gaps).toBe(0);
    expect(dec.lostPackets).toBe(0);
    expect(of(blocks, 'eeg').every((b) => b.channelCount === 8)).toBe(true);
    expect(of(blocks, 'optics').every((b) => b.channelCount === 16)).toBe(true);
    const acc = rows(of(blocks, 'imu'));
    // At rest the accelerometer magnitude is ~1 g.
    const g = acc.map((r) => Math.hypot(r[0], r[1], r[2]));
    const mean = g.reduce((a, b) => a + b, 0) / g.length;
    expect(mean).toBeGreaterThan(0.8);
    expect(mean).toBeLessThan(1.2);
  });
});
