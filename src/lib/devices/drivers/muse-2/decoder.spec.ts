import { describe, expect, it } from 'vitest';
import type { DecodedBlock } from '../decoder.ts';
import { decodeUnsigned12Bit, decodeUnsigned24Bit, encodeMuseCommand, MuseClassicDecoder } from './decoder.ts';
import { MUSE_CHARACTERISTICS as C } from './descriptor.ts';

const u8 = (xs: number[]) => Uint8Array.from(xs);
const of = (blocks: DecodedBlock[], name: string) => blocks.filter((b) => b.streamId === `muse-2.${name}`);

// Vectors from urish/muse-js src/lib/muse-parse.spec.ts and muse-utils.spec.ts (DEVICES.md §7c).
const BYTES18 = [87, 33, 192, 82, 73, 6, 106, 242, 49, 64, 88, 153, 128, 66, 254, 44, 119, 157];

describe('Muse classic: muse-js vectors', () => {
  it('12-bit samples', () => {
    const out = new Float64Array(12);
    decodeUnsigned12Bit(u8(BYTES18), 0, 12, out);
    expect(Array.from(out)).toEqual([1394, 448, 1316, 2310, 1711, 561, 1029, 2201, 2052, 766, 711, 1949]);
  });

  it('24-bit samples (unsigned, as muse-js; BrainFlow would read 8405758 as negative)', () => {
    const out = new Float64Array(6);
    decodeUnsigned24Bit(u8(BYTES18), 0, 6, out);
    expect(Array.from(out)).toEqual([5710272, 5392646, 7008817, 4216985, 8405758, 2914205]);
  });

  it('EEG notification 00 01 + (28 03 80)×6 → index 1, −687.5 / −562.5 µV alternating', () => {
    const dec = new MuseClassicDecoder('muse-2');
    const pkt = u8([0, 1, ...Array.from({ length: 6 }, () => [0x28, 0x03, 0x80]).flat()]);
    for (const ch of [C.eeg_tp9, C.eeg_af7, C.eeg_af8, C.eeg_tp10]) expect(dec.push(pkt, ch).length).toBe(ch === C.eeg_tp10 ? 1 : 0);
    const eeg = of(dec.flush(), 'eeg');
    expect(eeg.length).toBe(0);
    const dec2 = new MuseClassicDecoder('muse-2');
    let blocks: DecodedBlock[] = [];
    for (const ch of [C.eeg_tp9, C.eeg_af7, C.eeg_af8, C.eeg_tp10]) blocks = blocks.concat(dec2.push(pkt, ch.toUpperCase()));
    const b = of(blocks, 'eeg')[0];
    expect(b.frames).toBe(12);
    expect(b.channelCount).toBe(4);
    for (let f = 0; f < 12; f++) for (let c = 0; c < 4; c++) expect(b.samples[f * 4 + c]).toBe(f % 2 === 0 ? -687.5 : -562.5);
  });

  it('telemetry → seq 330, battery 90.859375 %, fuel gauge 4083.2 mV, temperature 27', () => {
    const dec = new MuseClassicDecoder('muse-2');
    const t = of(dec.push(u8([1, 74, 181, 184, 7, 64, 15, 127, 0, 27, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), C.telemetry), 'telemetry')[0];
    expect(t.samples[0]).toBe(90.859375);
    expect(t.samples[1]).toBeCloseTo(4083.2, 3);
    expect(t.samples[2]).toBe(27);
  });

  it('accelerometer → g, three samples', () => {
    const dec = new MuseClassicDecoder('muse-2');
    const a = of(dec.push(u8([82, 109, 13, 178, 13, 157, 60, 115, 18, 5, 13, 73, 60, 53, 17, 183, 17, 227, 60, 143]), C.accelerometer), 'accel')[0];
    const expected = [0.2139894112, 0.212707672, 0.94451972, 0.2815553776, 0.2075807152, 0.9407355376, 0.276794632, 0.2794801808, 0.9462287056];
    expect(a.frames).toBe(3);
    for (let i = 0; i < 9; i++) expect(a.samples[i]).toBeCloseTo(expected[i], 6);
  });

  it('gyroscope → deg/s, three samples', () => {
    const dec = new MuseClassicDecoder('muse-2');
    const g = of(dec.push(u8([1, 109, 5, 12, 0, 157, 0, 115, 5, 5, 0, 73, 0, 53, 5, 183, 0, 227, 0, 143]), C.gyroscope), 'gyro')[0];
    const expected = [9.6600256, 1.1738576, 0.859832, 9.607688, 0.5458064, 0.3962704, 10.9385584, 1.6972336, 1.0691824];
    for (let i = 0; i < 9; i++) expect(g.samples[i]).toBeCloseTo(expected[i], 4);
  });

  it('control responses split across notifications parse into JSON objects', () => {
    const fragments = [
      '{"ap":"headset",', '"sp":"RevE",', '"tp":"consumer",', '"hw":"3.1",', '"bn":27,', '"fw":"1.2.13",', '"bl":"1.2.3",', '"pv":1,', '"rc":0}',
      '{"rc":0}', '{"rc":0}', '{"hn":"Muse-1324",', '"sn":"2031-TZRW-132', '4",', '"ma":"00-55-da-b0-1', '3-24",', '"id":"07473435 3231',
      '3630 004f003a",', '"bp":82,', '"ts":0,', '"ps":32,', '"rc":0}{"r', 'c":0}',
    ];
    const dec = new MuseClassicDecoder('muse-2');
    for (const f of fragments) {
      const n = new Uint8Array(20);
      n[0] = f.length;
      for (let i = 0; i < f.length; i++) n[1 + i] = f.charCodeAt(i);
      dec.push(n, C.control);
    }
    expect(dec.controlResponses).toEqual([
      { ap: 'headset', bl: '1.2.3', bn: 27, fw: '1.2.13', hw: '3.1', pv: 1, rc: 0, sp: 'RevE', tp: 'consumer' },
      { rc: 0 },
      { rc: 0 },
      { bp: 82, hn: 'Muse-1324', id: '07473435 32313630 004f003a', ma: '00-55-da-b0-13-24', ps: 32, rc: 0, sn: '2031-TZRW-1324', ts: 0 },
      { rc: 0 },
    ]);
  });

  it('encodes commands as [length, ASCII, newline] (v1 → 03 76 31 0A)', () => {
    expect(Array.from(encodeMuseCommand('v1'))).toEqual([3, 0x76, 0x31, 0x0a]);
    expect(Array.from(encodeMuseCommand('p21'))).toEqual([4, 0x70, 0x32, 0x31, 0x0a]);
  });
});

describe('Muse classic: grouping, loss and resilience', () => {
  function eegPkt(seq: number, value: number): Uint8Array {
    // All twelve samples equal `value` (12-bit): two per three bytes.
    const b = new Uint8Array(20);
    b[0] = seq >> 8;
    b[1] = seq & 0xff;
    for (let o = 2; o < 20; o += 3) {
      b[o] = value >> 4;
      b[o + 1] = ((value & 0x0f) << 4) | (value >> 8);
      b[o + 2] = value & 0xff;
    }
    return b;
  }

  it('groups channels by sequence across the 65535 → 0 wrap, fills a lost channel notification with NaN, counts lost sequences', () => {
    const dec = new MuseClassicDecoder('muse-2');
    const chars = [C.eeg_tp9, C.eeg_af7, C.eeg_af8, C.eeg_tp10];
    const blocks: DecodedBlock[] = [];
    const seqs = [65533, 65534, 65535, 0, 3, 4, 5];
    for (const s of seqs) {
      for (let c = 0; c < 4; c++) {
        if (s === 0 && c === 2) continue; // one lost notification
        blocks.push(...dec.push(eegPkt(s, 2048 + c), chars[c]));
      }
    }
    blocks.push(...dec.flush());
    const eeg = of(blocks, 'eeg');
    const frames = eeg.reduce((a, b) => a + b.frames, 0);
    expect(frames).toBe(7 * 12);
    expect(dec.counters.gaps).toBe(1); // 1 and 2 lost
    expect(dec.counters.lostFrames).toBe(24);
    const withNaN = eeg.find((b) => b.sampleIndex <= 36 && b.sampleIndex + b.frames > 36) as DecodedBlock;
    const k = 36 - withNaN.sampleIndex;
    expect(Number.isNaN(withNaN.samples[k * 4 + 2])).toBe(true);
    expect(withNaN.samples[k * 4 + 1]).toBeCloseTo(1 * 0.48828125, 6);
    const after = eeg.find((b) => b.lostBefore === 24) as DecodedBlock;
    expect(after.sampleIndex).toBe(4 * 12 + 24);
  });

  it('groups the three PPG characteristics (6 unsigned 24-bit samples each) by sequence', () => {
    const dec = new MuseClassicDecoder('muse-2');
    const ppg = (seq: number, v: number) => Uint8Array.from([seq >> 8, seq & 0xff, ...Array.from({ length: 6 }, () => [v >> 16, (v >> 8) & 0xff, v & 0xff]).flat()]);
    const out = [
      ...dec.push(ppg(9, 0x800001), C.ppg_1),
      ...dec.push(ppg(9, 2), C.ppg_2),
      ...dec.push(ppg(9, 3), C.ppg_3),
    ];
    const p = of(out, 'ppg')[0];
    expect(p.frames).toBe(6);
    expect(Array.from(p.samples.subarray(0, 3))).toEqual([0x800001, 2, 3]);
  });

  it('never throws on short, unknown or garbage notifications', () => {
    const dec = new MuseClassicDecoder('muse-2');
    expect(() => dec.push(new Uint8Array(3), C.eeg_tp9)).not.toThrow();
    expect(() => dec.push(new Uint8Array(20), '00002a19-0000-1000-8000-00805f9b34fb')).not.toThrow();
    expect(() => dec.push(u8([19, ...Array.from({ length: 19 }, () => 0x7b)]), C.control)).not.toThrow();
    expect(dec.counters.malformedPackets).toBe(1);
    expect(dec.counters.unknownPackets).toBe(1);
  });
});
