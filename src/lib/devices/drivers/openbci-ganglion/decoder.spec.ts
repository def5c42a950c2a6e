import { describe, expect, it } from 'vitest';
import type { DecodedBlock } from '../decoder.ts';
import { seededRandom } from '../openbci-cyton/encoder.ts';
import { GANGLION_UV_PER_COUNT, GanglionDecoder, readBitsMsbFirst, signedFromLsbSign, unpackFields } from './decoder.ts';
import { ganglionFirmware } from './descriptor.ts';
import { encodeGanglionFw2, encodeGanglionFw3, encodeGanglionRaw } from './encoder.ts';

const bytes = (xs: number[]) => Uint8Array.from(xs);

function fieldsOf(payload18or19: number[], width: 18 | 19): number[][] {
  // The published vectors are the 18/19 payload bytes without the id byte.
  const b = new Uint8Array(20);
  b.set(payload18or19, 1);
  const out = new Int32Array(8);
  unpackFields(b, width, out);
  return [Array.from(out.subarray(0, 4)), Array.from(out.subarray(4, 8))];
}

function eegCounts(blocks: DecodedBlock[]): number[][] {
  const rows: number[][] = [];
  for (const b of blocks.filter((x) => x.streamId === 'openbci-ganglion.eeg')) {
    for (let f = 0; f < b.frames; f++) rows.push(Array.from(b.samples.subarray(f * 4, f * 4 + 4), (v) => Math.round(v / GANGLION_UV_PER_COUNT)));
  }
  return rows;
}

describe('Ganglion field unpacking: OpenBCI doc / @openbci/utilities vectors (DEVICES.md §7d)', () => {
  it('18-bit positive', () => {
    const p = [0, 0, 0, 0, 0b00100000, 0, 0b00101000, 0, 0b00000100, 0b10000000, 0, 0b10111100, 0, 0b00000111, 0, 0b00101000, 0b11000000, 0b00001010];
    expect(fieldsOf(p, 18)).toEqual([
      [0, 2, 10, 4],
      [131074, 245760, 114698, 49162],
    ]);
  });
  it('18-bit negative', () => {
    const p = [
      0b11111111, 0b11111111, 0b01111111, 0b11111111, 0b10111111, 0b11111111, 0b11100111, 0b11111111, 0b11110101, 0, 0b00000001, 0b01001111, 0b10001110,
      0b00110000, 0, 0b00011111, 0b11110000, 0b00000001,
    ];
    expect(fieldsOf(p, 18)).toEqual([
      [-3, -5, -7, -11],
      [-262139, -198429, -262137, -4095],
    ]);
  });
  it('19-bit positive', () => {
    const p = [0, 0, 0, 0, 0b00001000, 0, 0b00000101, 0, 0, 0b01001000, 0, 0b00001001, 0b11110000, 0b00000001, 0b10110000, 0, 0b00110000, 0, 0b00001000];
    expect(fieldsOf(p, 19)).toEqual([
      [0, 2, 10, 4],
      [262148, 507910, 393222, 8],
    ]);
  });
  it('19-bit negative', () => {
    const p = [
      0b11111111, 0b11111111, 0b10111111, 0b11111111, 0b11101111, 0b11111111, 0b11111100, 0b11111111, 0b11111111, 0b01011000, 0, 0b00001011, 0b00111110,
      0b00111000, 0b11100000, 0, 0b00111111, 0b11110000, 0b00000001,
    ];
    expect(fieldsOf(p, 19)).toEqual([
      [-3, -5, -7, -11],
      [-262139, -198429, -262137, -4095],
    ]);
  });
  it('keeps bit 0 of negatives like OpenBCI JS (BrainFlow would give −4 for this field)', () => {
    expect(signedFromLsbSign(0b111111111111111101, 18)).toBe(-3);
    expect(readBitsMsbFirst(bytes([0b10100000]), 0, 0, 3)).toBe(0b101);
  });
});

describe('Ganglion decoder, firmware 2', () => {
  it('decodes the real notification 6A 00 97 … from zeroed state like @openbci/utilities parseGanglion', () => {
    const dec = new GanglionDecoder({ firmware: 2, requireRawBase: false });
    const pkt = bytes([0x6a, 0x00, 0x97, 0xc0, 0x2a, 0x30, 0x01, 0x38, 0x01, 0x59, 0x60, 0x17, 0x64, 0x03, 0x83, 0x00, 0x78, 0x30, 0x02, 0xb2]);
    const blocks = dec.push(pkt);
    expect(eegCounts(blocks)).toEqual([
      [-1214, -2700, -624, -5526],
      [-4208, -6296, -4470, -6216],
    ]);
    // id 106 → 19-bit, position 6 → sample numbers 11, 12 of the 201-sample cycle.
    expect(blocks[0].samples.length).toBe(8);
  });

  it('round-trips raw + delta packets (18 and 19 bit) within one count per negative delta, and counts losses', () => {
    const r = seededRandom(11);
    const truth: number[][] = [];
    const packets: Uint8Array[] = [];
    let prev = [100000, -200000, 5, -7];
    packets.push(encodeGanglionRaw(prev));
    truth.push(prev.slice());
    for (let id = 1; id <= 100; id++) {
      // Even positive and odd negative deltas survive the sign-in-bit-0 packing exactly.
      const step = () => {
        const d = Math.floor(r() * 2000) - 1000;
        return d >= 0 ? d & ~1 : d | 1;
      };
      const s1 = prev.map((v) => v - step());
      const s2 = s1.map((v) => v - step());
      packets.push(encodeGanglionFw2(id + (id > 50 ? 100 : 0), prev, s1, s2, id));
      truth.push(s1, s2);
      prev = s2;
    }
    // Lose packet id 30 (samples 59, 60): deltas after it are relative to an unknown base → NaN
    // until the next raw packet.
    const dec = new GanglionDecoder({ firmware: 2 });
    const blocks = packets.filter((_, i) => i !== 30).flatMap((p) => dec.push(p));
    const rows = eegCounts(blocks);
    const eeg = blocks.filter((b) => b.streamId === 'openbci-ganglion.eeg');
    expect(rows.length).toBe(201 - 2);
    for (let i = 0; i < 59; i++) expect(rows[i]).toEqual(truth[i]);
    expect(rows[59].every((v) => Number.isNaN(v))).toBe(true);
    expect(dec.counters.gaps).toBe(1);
    expect(dec.counters.lostFrames).toBe(2);
    const after = eeg.find((b) => b.lostBefore > 0);
    expect(after?.sampleIndex).toBe(61);
    // Next raw packet restores the base.
    const again = dec.push(encodeGanglionRaw([1, 2, 3, 4]));
    expect(eegCounts(again)).toEqual([[1, 2, 3, 4]]);
    expect(again[0].sampleIndex).toBe(201);
  });

  it('assembles accel X/Y/Z from ids %10 = 1,2,3 at 0.016 g per count', () => {
    const dec = new GanglionDecoder({ firmware: 2, requireRawBase: false });
    const z = [0, 0, 0, 0];
    const out = [
      ...dec.push(encodeGanglionFw2(11, z, z, z, 0x0e)),
      ...dec.push(encodeGanglionFw2(12, z, z, z, 0xff)),
      ...dec.push(encodeGanglionFw2(13, z, z, z, 64)),
    ];
    const acc = out.filter((b) => b.streamId === 'openbci-ganglion.accel');
    expect(acc.length).toBe(1);
    expect(acc[0].samples[0]).toBeCloseTo(14 * 0.016, 6);
    expect(acc[0].samples[1]).toBeCloseTo(-0.016, 6);
    expect(acc[0].samples[2]).toBeCloseTo(1.024, 6);
  });

  it('decodes the documented full 20-byte 18-bit packet (id 1, byte 19 = 0x0E → accel X = 14 counts)', () => {
    const doc = bytes([1, 0, 0, 0, 0, 0b00100000, 0, 0b00101000, 0, 0b00000100, 0b10000000, 0, 0b10111100, 0, 0b00000111, 0, 0b00101000, 0b11000000, 0b00001010, 0b00001110]);
    const dec = new GanglionDecoder({ firmware: 2, requireRawBase: false });
    const out = dec.push(doc);
    // Deltas [0,2,10,4] then [131074,245760,114698,49162] applied to a zero base (current = previous − delta).
    expect(eegCounts(out)).toEqual([
      [0, -2, -10, -4],
      [-131074, -245762, -114708, -49166],
    ]);
    const z = [0, 0, 0, 0];
    const acc = [...dec.push(encodeGanglionFw2(2, z, z, z, 0)), ...dec.push(encodeGanglionFw2(3, z, z, z, 0))].filter((b) => b.streamId === 'openbci-ganglion.accel');
    expect(acc[0].samples[0]).toBeCloseTo(14 * 0.016, 6);
  });

  it('decodes impedance CA 31 32 30 37 5A as channel 2 = 1207 ohm (OpenBCI_NodeJS_Ganglion test)', () => {
    const dec = new GanglionDecoder({ firmware: 2 });
    const out = dec.push(bytes([0xca, 0x31, 0x32, 0x30, 0x37, 0x5a]));
    expect(out[0].streamId).toBe('openbci-ganglion.impedance');
    expect(out[0].samples[1]).toBe(1207);
    expect(Number.isNaN(out[0].samples[0])).toBe(true);
  });

  it('counts malformed and unknown notifications without throwing', () => {
    const dec = new GanglionDecoder({ firmware: 2 });
    expect(dec.push(new Uint8Array(0))).toEqual([]);
    expect(dec.push(bytes([5, 1, 2]))).toEqual([]);
    expect(dec.push(new Uint8Array(20).fill(230))).toEqual([]);
    expect(dec.push(bytes([0xca, 0x31, 0x41]))).toEqual([]);
    expect(dec.counters.malformedPackets).toBe(3);
    expect(dec.counters.unknownPackets).toBe(1);
  });
});

describe('Ganglion decoder, firmware 3', () => {
  it('round-trips shifted samples within the dropped low bits, wraps ids 99 → 0 and 199 → 100, and counts the jump from 1 to 198 as a gap', () => {
    const r = seededRandom(3);
    const dec = new GanglionDecoder({ firmware: 3 });
    const truth: number[][] = [];
    const out: DecodedBlock[] = [];
    const ids = [97, 98, 99, 0, 1, 198, 199, 100, 101];
    for (const id of ids) {
      const s1 = Array.from({ length: 4 }, () => Math.floor(r() * 16777216) - 8388608);
      const s2 = Array.from({ length: 4 }, () => Math.floor(r() * 16777216) - 8388608);
      truth.push(s1, s2);
      out.push(...dec.push(encodeGanglionFw3(id, s1, s2)));
    }
    const rows = eegCounts(out);
    expect(rows.length).toBe(truth.length);
    for (let i = 0; i < rows.length; i++) {
      const width = ids[i >> 1] < 100 ? 18 : 19;
      const quantum = width === 18 ? 64 : 32;
      for (let c = 0; c < 4; c++) expect(Math.abs(rows[i][c] - truth[i][c])).toBeLessThan(2 * quantum);
    }
    expect(dec.counters.gaps).toBe(1);
    // 198 after 1 (positions 98 after 1): 96 packets = 192 frames lost.
    expect(out.find((b) => b.lostBefore > 0)?.lostBefore).toBe(192);
  });

  it('detects firmware from the software revision or the advertised name', () => {
    expect(ganglionFirmware('3.0.2')).toBe(3);
    expect(ganglionFirmware('2.0.1')).toBe(2);
    expect(ganglionFirmware(undefined, 'Ganglion 1.3 (A1B2)')).toBe(3);
    expect(ganglionFirmware(undefined, 'Ganglion-54ca')).toBe(2);
  });
});
