import { describe, expect, it } from 'vitest';
import type { DecodedBlock } from '../decoder.ts';
import { encodeHegLine, HegduinoDecoder } from './decoder.ts';

const enc = new TextEncoder();

function frames(blocks: DecodedBlock[]): number[][] {
  const out: number[][] = [];
  for (const b of blocks) for (let f = 0; f < b.frames; f++) out.push(Array.from(b.samples.subarray(f * 4, f * 4 + 4)));
  return out;
}

describe('HEGduino decoder', () => {
  it('decodes full-mode serial lines split at arbitrary byte boundaries, with device time', () => {
    const text =
      'HEGduino v0.4 booting\r\n' +
      encodeHegLine(1200, 2400, 0.5, { us: 1000000, ambient: 12, velocity: 0, acceleration: 0 }) +
      encodeHegLine(1210, 2390, 0.5063, { us: 1025000, ambient: 11, velocity: 0.1, acceleration: -0.02 });
    const bytes = enc.encode(text);
    const dec = new HegduinoDecoder();
    const blocks: DecodedBlock[] = [];
    for (let i = 0; i < bytes.length; i += 7) blocks.push(...dec.push(bytes.subarray(i, i + 7)));
    blocks.push(...dec.flush());
    const rows = frames(blocks);
    expect(rows[0]).toEqual([1200, 2400, 0.5, 12]);
    expect(rows[1][2]).toBeCloseTo(0.5063, 4);
    expect(blocks.map((b) => b.deviceTimeMs)).toEqual([1000, 1025]);
    expect(dec.counters.unknownPackets).toBe(1);
    expect(dec.textLines).toEqual(['HEGduino v0.4 booting']);
  });

  it('decodes fast-mode lines from 20-byte BLE notifications (ambient NaN)', () => {
    const text = encodeHegLine(987654, 876543, 1.126781) + encodeHegLine(987000, 876000, 1.126712);
    const bytes = enc.encode(text);
    const dec = new HegduinoDecoder('notifications');
    const blocks: DecodedBlock[] = [];
    for (let i = 0; i < bytes.length; i += 20) blocks.push(...dec.push(bytes.subarray(i, i + 20)));
    const rows = frames(blocks);
    expect(rows.length).toBe(2);
    expect(rows[0].slice(0, 2)).toEqual([987654, 876543]);
    expect(Number.isNaN(rows[0][3])).toBe(true);
    expect(blocks[blocks.length - 1].sampleIndex + blocks[blocks.length - 1].frames).toBe(2);
  });

  it('drops garbage without newlines and recovers on the next line', () => {
    const dec = new HegduinoDecoder();
    dec.push(new Uint8Array(1000).fill(0x41));
    const rows = frames(dec.push(enc.encode('\n1|2|3\r\n')));
    expect(rows).toEqual([[1, 2, 3, NaN]]);
    expect(dec.counters.resyncs).toBeGreaterThan(0);
    expect(() => dec.push(enc.encode('a|b|c\r\n|||\r\n'))).not.toThrow();
    expect(dec.counters.unknownPackets).toBe(3); // the tail of the A-run, 'a|b|c' and '|||'
  });
});
