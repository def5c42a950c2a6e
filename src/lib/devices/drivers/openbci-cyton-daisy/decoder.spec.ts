import { describe, expect, it } from 'vitest';
import type { DecodedBlock } from '../decoder.ts';
import { cytonUvPerCount } from '../openbci-cyton/decoder.ts';
import { encodeCytonPacket } from '../openbci-cyton/encoder.ts';
import { CytonDaisyDecoder } from './decoder.ts';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Packet `counter` carries value base + channel (+100 for daisy halves). */
function pkt(counter: number): Uint8Array {
  const daisy = counter % 2 === 0;
  return encodeCytonPacket({ counter, counts: Array.from({ length: 8 }, (_, c) => counter * 1000 + c + (daisy ? 100 : 0)) });
}

function eegFrames(blocks: DecodedBlock[]): { idx: number; values: number[] }[] {
  const out: { idx: number; values: number[] }[] = [];
  for (const b of blocks.filter((x) => x.streamId === 'openbci-cyton-daisy.eeg')) {
    for (let f = 0; f < b.frames; f++) out.push({ idx: b.sampleIndex + f, values: Array.from(b.samples.subarray(f * 16, f * 16 + 16)) });
  }
  return out;
}

describe('Cyton + Daisy decoder', () => {
  it('pairs the even (daisy, ch 9–16) and odd (board, ch 1–8) packets into 16-channel frames across the wrap', () => {
    const dec = new CytonDaisyDecoder();
    const counters = [252, 253, 254, 255, 0, 1, 2, 3];
    const blocks = dec.push(concat(counters.map(pkt))).concat(dec.flush());
    const frames = eegFrames(blocks);
    expect(frames.map((f) => f.idx)).toEqual([0, 1, 2, 3]);
    const s = cytonUvPerCount(24);
    // Frame 2 is counters 0 (daisy) and 1 (board).
    expect(frames[2].values[0]).toBe(Math.fround((1 * 1000 + 0) * s));
    expect(frames[2].values[8]).toBe(Math.fround((0 * 1000 + 0 + 100) * s));
    expect(frames[2].values[15]).toBe(Math.fround((0 * 1000 + 7 + 100) * s));
    expect(dec.counters.gaps).toBe(0);
  });

  it('drops a frame whose daisy half is lost and counts it, and skips a leading odd packet', () => {
    const dec = new CytonDaisyDecoder();
    const counters = [9, 10, 11, 13, 14, 15, 16, 17];
    const frames = eegFrames(dec.push(concat(counters.map(pkt))).concat(dec.flush()));
    // 9 has no daisy half before it; 12 is lost so frame (12,13) is lost.
    expect(frames.map((f) => f.idx)).toEqual([0, 2, 3]);
    expect(dec.counters.gaps).toBe(1);
    expect(dec.counters.lostFrames).toBe(1);
  });

  it('applies per-channel gains to daisy channels (Q..I letters)', () => {
    const dec = new CytonDaisyDecoder({ commandsSent: ['xQ010110X'] }); // channel 9, gain code 1 = 2
    const frames = eegFrames(dec.push(concat([pkt(2), pkt(3)])).concat(dec.flush()));
    expect(frames[0].values[8]).toBe(Math.fround((2000 + 100) * cytonUvPerCount(2)));
    expect(frames[0].values[9]).toBe(Math.fround((2000 + 101) * cytonUvPerCount(24)));
  });
});
