import { describe, expect, it } from 'vitest';
import type { DecodedBlock } from '../decoder.ts';
import { BlueberryDecoder, encodeBlueberryPacket } from './decoder.ts';
import { BLUEBERRY, BLUEBERRY_LONG_PATH, BLUEBERRY_SHORT_PATH } from './descriptor.ts';

describe('Blueberry decoder', () => {
  it('decodes big-endian int32 intensities per path and counts packet-index gaps across the wrap', () => {
    const dec = new BlueberryDecoder();
    const out: DecodedBlock[] = [];
    for (const i of [254, 255, 0, 3]) out.push(...dec.push(encodeBlueberryPacket(i, i, [i * 10, -i, 2_000_000_000]), BLUEBERRY_LONG_PATH.toUpperCase()));
    out.push(...dec.push(encodeBlueberryPacket(7, 0, [1, 2, 3]), BLUEBERRY_SHORT_PATH));
    const long = out.filter((b) => b.streamId === 'blueberry.long');
    expect(long.map((b) => Array.from(b.samples))).toEqual([
      [2540, -254, 2_000_000_000],
      [2550, -255, 2_000_000_000],
      [0, 0, 2_000_000_000],
      [30, -3, 2_000_000_000],
    ]);
    expect(long[3].lostBefore).toBe(2);
    expect(long[3].sampleIndex).toBe(5);
    expect(dec.counters.gaps).toBe(1);
    expect(out.find((b) => b.streamId === 'blueberry.short')?.sampleIndex).toBe(0);
  });

  it('describes its streams with wavelengths 740/880/850 nm', () => {
    expect(BLUEBERRY.streams[0].channels.map((c) => c.wavelengthNm)).toEqual([740, 880, 850]);
  });

  it('counts short and unknown notifications without throwing', () => {
    const dec = new BlueberryDecoder();
    expect(dec.push(new Uint8Array(5), BLUEBERRY_LONG_PATH)).toEqual([]);
    expect(dec.push(new Uint8Array(20), 'ffff')).toEqual([]);
    expect(dec.counters.malformedPackets).toBe(1);
    expect(dec.counters.unknownPackets).toBe(1);
  });
});
