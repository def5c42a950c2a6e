// Property tests: no decoder throws on arbitrary input, and what comes out is well formed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecodedBlock } from './decoder.ts';
import { MUSE_CHARACTERISTICS } from './muse-2/descriptor.ts';
import { encodeAthenaPacket, packLsbFirst } from './muse-s-athena/encoder.ts';
import { encodeCytonPacket } from './openbci-cyton/encoder.ts';
import { ATHENA_DATA } from './muse-s-athena/descriptor.ts';
import { BLUEBERRY_LONG_PATH, BLUEBERRY_SHORT_PATH } from './blueberry/descriptor.ts';
import { GANGLION_RECEIVE } from './openbci-ganglion/descriptor.ts';
import { createDecoder, DEVICE_DESCRIPTORS } from './registry.ts';

const UUIDS = [...Object.values(MUSE_CHARACTERISTICS), ATHENA_DATA, BLUEBERRY_LONG_PATH, BLUEBERRY_SHORT_PATH, GANGLION_RECEIVE, 'not-a-uuid'];

function checkBlocks(blocks: DecodedBlock[], next: Map<string, number>): void {
  for (const b of blocks) {
    expect(b.frames).toBeGreaterThan(0);
    expect(b.samples.length).toBe(b.frames * b.channelCount);
    expect(b.lostBefore).toBeGreaterThanOrEqual(0);
    // Sample indices never go backwards within a stream.
    const prev = next.get(b.streamId) ?? 0;
    expect(b.sampleIndex).toBeGreaterThanOrEqual(prev);
    next.set(b.streamId, b.sampleIndex + b.frames);
  }
}

describe('every decoder on arbitrary input', () => {
  for (const d of DEVICE_DESCRIPTORS) {
    it(`${d.id}: never throws, blocks are well formed, indices never go backwards`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.record({ bytes: fc.uint8Array({ maxLength: 300 }), uuid: fc.constantFrom(...UUIDS) }), { maxLength: 40 }),
          (chunks) => {
            const dec = createDecoder(d.id, { ganglionFirmware: 2 });
            const next = new Map<string, number>();
            for (const c of chunks) checkBlocks(dec.push(c.bytes, c.uuid), next);
            checkBlocks(dec.flush(), next);
          },
        ),
        { numRuns: 150, seed: 7 },
      );
    });
  }
});

/** Valid packets, then random flips, deletions and insertions. */
const mutated = (valid: Uint8Array) =>
  fc.array(fc.record({ at: fc.nat(), op: fc.constantFrom('flip', 'delete', 'insert'), v: fc.integer({ min: 0, max: 255 }) }), { maxLength: 30 }).map((muts) => {
    const b = Array.from(valid);
    for (const m of muts) {
      const i = m.at % Math.max(1, b.length);
      if (m.op === 'flip') b[i] = m.v;
      else if (m.op === 'delete') b.splice(i, 1);
      else b.splice(i, 0, m.v);
    }
    return Uint8Array.from(b);
  });

describe('decoders on damaged valid streams', () => {
  const cyton = new Uint8Array(33 * 60);
  for (let i = 0; i < 60; i++) cyton.set(encodeCytonPacket({ counter: i, counts: [i, 2, 3, 4, 5, 6, 7, 8] }), 33 * i);
  for (const id of ['openbci-cyton', 'openbci-cyton-daisy'] as const) {
    it(`${id}: at most one frame per packet, never throws`, () => {
      fc.assert(
        fc.property(mutated(cyton), fc.integer({ min: 1, max: 100 }), (bytes, chunk) => {
          const dec = createDecoder(id);
          const next = new Map<string, number>();
          let frames = 0;
          for (let o = 0; o < bytes.length; o += chunk) {
            const blocks = dec.push(bytes.subarray(o, o + chunk));
            checkBlocks(blocks, next);
            frames += blocks.filter((b) => b.streamId.endsWith('.eeg')).reduce((a, b) => a + b.frames, 0);
          }
          expect(frames).toBeLessThanOrEqual(60);
        }),
        { numRuns: 200, seed: 11 },
      );
    });
  }

  it('muse-s-athena: damaged notifications never throw', () => {
    const sub = (tag: number, index: number) => ({ tag, index, data: packLsbFirst(new Array(16).fill(8000), 14, 28) });
    const valid = encodeAthenaPacket(3, 0, [sub(0x12, 0), sub(0x12, 1), sub(0x12, 2), sub(0x12, 3)]);
    fc.assert(
      fc.property(fc.array(mutated(valid), { maxLength: 10 }), (notes) => {
        const dec = createDecoder('muse-s-athena');
        const next = new Map<string, number>();
        for (const n of notes) checkBlocks(dec.push(n, ATHENA_DATA), next);
      }),
      { numRuns: 200, seed: 13 },
    );
  });
});
