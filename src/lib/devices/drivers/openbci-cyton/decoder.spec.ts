import { describe, expect, it } from 'vitest';
import type { DecodedBlock } from '../decoder.ts';
import { CytonDecoder, cytonUvPerCount, int24be } from './decoder.ts';
import { emulatorPacket, encodeCytonPacket, seededRandom } from './encoder.ts';

function concat(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function byStream(blocks: DecodedBlock[], id: string): DecodedBlock[] {
  return blocks.filter((b) => b.streamId === id);
}

function decodeAll(bytes: Uint8Array, chunk = bytes.length): { blocks: DecodedBlock[]; dec: CytonDecoder } {
  const dec = new CytonDecoder();
  const blocks: DecodedBlock[] = [];
  for (let i = 0; i < bytes.length; i += chunk) blocks.push(...dec.push(bytes.subarray(i, i + chunk)));
  blocks.push(...dec.flush());
  return { blocks, dec };
}

// @openbci/utilities samplePacketReal ("Actual first byte received from device"), counter 5.
const SAMPLE_PACKET_REAL = Uint8Array.from([
  0xa0, 5, 0x8f, 0xf2, 0x40, 0x8f, 0xdf, 0xf4, 0x90, 0x2b, 0xb6, 0x8f, 0xbf, 0xbf, 0x7f, 0xff, 0xff, 0x7f, 0xff, 0xff, 0x94, 0x25, 0x34, 0x20,
  0xb6, 0x7d, 0, 0xe0, 0, 0xe0, 0x0f, 0x70, 0xc0,
]);

describe('Cyton decoder: published vectors', () => {
  it('decodes samplePacketReal like @openbci/utilities parsePacketStandardAccel (DEVICES.md §7c)', () => {
    const { blocks } = decodeAll(SAMPLE_PACKET_REAL);
    const eeg = byStream(blocks, 'openbci-cyton.eeg')[0];
    const expected = [-164141.2, -164245.9, -163812.4, -164430.2, 187500, 187500, -157990.3, 47919.2];
    for (let c = 0; c < 8; c++) expect(eeg.samples[c]).toBeCloseTo(expected[c], 0);
    const aux = byStream(blocks, 'openbci-cyton.aux')[0];
    expect(aux.samples[0]).toBeCloseTo(0.028, 6);
    expect(aux.samples[1]).toBeCloseTo(0.028, 6);
    expect(aux.samples[2]).toBeCloseTo(0.494, 6);
  });

  it('scales 0.0223517 µV/count at gain 24 and follows x…X gain commands and d (BrainFlow gain tracker)', () => {
    expect(cytonUvPerCount(24)).toBeCloseTo(0.0223517, 7);
    // @openbci/utilities samplePacket: channel k holds count k.
    const pkt = encodeCytonPacket({ counter: 0x45, counts: [1, 2, 3, 4, 5, 6, 7, 8], accel: [0, 1, 2] });
    const dec = new CytonDecoder();
    let eeg = dec.push(pkt).concat(dec.flush())[0];
    for (let c = 0; c < 8; c++) expect(eeg.samples[c]).toBe(Math.fround((c + 1) * cytonUvPerCount(24)));
    dec.noteCommand('x1030110Xx8000000X'); // ch1 gain code 3 = 6, ch8 gain code 0 = 1
    eeg = dec.push(encodeCytonPacket({ counter: 0x46, counts: [1, 2, 3, 4, 5, 6, 7, 8] })).concat(dec.flush())[0];
    expect(eeg.samples[0]).toBeCloseTo(cytonUvPerCount(6), 6);
    expect(eeg.samples[7]).toBeCloseTo(8 * (4.5 / 1 / 8388607) * 1e6, 3);
    dec.noteCommand('d');
    eeg = dec.push(encodeCytonPacket({ counter: 0x47, counts: [1, 2, 3, 4, 5, 6, 7, 8] })).concat(dec.flush())[0];
    expect(eeg.samples[0]).toBe(Math.fround(cytonUvPerCount(24)));
  });

  it('sign-extends 24-bit big-endian counts', () => {
    expect(int24be(Uint8Array.from([0x7f, 0xff, 0xff]), 0)).toBe(8388607);
    expect(int24be(Uint8Array.from([0x80, 0x00, 0x00]), 0)).toBe(-8388608);
    expect(int24be(Uint8Array.from([0xff, 0xff, 0xff]), 0)).toBe(-1);
  });
});

describe('Cyton decoder: footers and round trips', () => {
  it('round-trips random packets of every footer type', () => {
    const r = seededRandom(7);
    const specs = [];
    for (let i = 0; i < 300; i++) {
      const counts = Array.from({ length: 8 }, () => Math.floor(r() * 16777216) - 8388608);
      specs.push({ counter: i & 0xff, counts, footer: 0xc0, accel: [Math.floor(r() * 4000) - 2000, 100, 2000] as [number, number, number] });
    }
    const { blocks, dec } = decodeAll(concat(specs.map(encodeCytonPacket)), 97);
    const eeg = byStream(blocks, 'openbci-cyton.eeg');
    const frames = eeg.reduce((a, b) => a + b.frames, 0);
    expect(frames).toBe(300);
    expect(dec.counters.gaps).toBe(0);
    let f = 0;
    for (const b of eeg) {
      for (let k = 0; k < b.frames; k++, f++) {
        for (let c = 0; c < 8; c++) expect(b.samples[k * 8 + c]).toBeCloseTo(Math.fround(specs[f].counts[c] * cytonUvPerCount(24)), 1);
      }
    }
  });

  it('decodes raw aux (0xC1), time-synced packets (0xC3/0xC4 accel per firmware, 0xC5/0xC6) and skips user bytes (0xC2)', () => {
    const counts = [0, 0, 0, 0, 0, 0, 0, 0];
    const bytes = concat([
      encodeCytonPacket({ counter: 1, counts, footer: 0xc1, analog: [1, 513, 65535] }),
      encodeCytonPacket({ counter: 2, counts, footer: 0xc2, userBytes: Uint8Array.from([1, 2, 3, 4, 5, 6]) }),
      encodeCytonPacket({ counter: 7, counts, footer: 0xc3, accel: [8000, -8000, 4000], timeMs: 123456 }),
      encodeCytonPacket({ counter: 8, counts, footer: 0xc4, accel: [8000, -8000, 4000], timeMs: 123460 }),
      encodeCytonPacket({ counter: 9, counts, footer: 0xc4, accel: [8000, -8000, 4000], timeMs: 123464 }),
      encodeCytonPacket({ counter: 10, counts, footer: 0xc6, analog: [42, 0, 0], timeMs: 0xfffffff0 }),
    ]);
    const { blocks, dec } = decodeAll(bytes);
    const analog = byStream(blocks, 'openbci-cyton.analog');
    expect(Array.from(analog[0].samples)).toEqual([1, 513, 65535]);
    expect(analog[1].samples[0]).toBe(42);
    expect(analog[1].deviceTimeMs).toBe(0xfffffff0);
    const aux = byStream(blocks, 'openbci-cyton.aux');
    expect(aux.map((b) => b.deviceTimeMs)).toEqual([123456, 123460, 123464]);
    // X arrives on counter 7, Y on 8, Z on 9; the rest is held.
    expect(aux[2].samples[0]).toBeCloseTo(1, 6);
    expect(aux[2].samples[1]).toBeCloseTo(-1, 6);
    expect(aux[2].samples[2]).toBeCloseTo(0.5, 6);
    expect(Number.isNaN(aux[0].samples[1])).toBe(true);
    // 2 → 7 is a gap of 4 packets, 10 follows 9.
    expect(dec.counters.gaps).toBe(1);
    expect(dec.counters.lostFrames).toBe(4);
  });

  it('holds the last accel value across the firmware zero packets', () => {
    const counts = [0, 0, 0, 0, 0, 0, 0, 0];
    const { blocks } = decodeAll(
      concat([encodeCytonPacket({ counter: 0, counts, accel: [8, 16, 8000] }), encodeCytonPacket({ counter: 1, counts, accel: [0, 0, 0] })]),
    );
    const aux = byStream(blocks, 'openbci-cyton.aux')[0];
    expect(Array.from(aux.samples.subarray(3, 6))).toEqual(Array.from(aux.samples.subarray(0, 3)));
  });
});

describe('Cyton decoder: BrainFlow emulator framing with injected loss and corruption', () => {
  it('reports exact gap and lost-frame counts and the survivors intact', () => {
    const r = seededRandom(2024);
    const N = 6000;
    const originals: Uint8Array[] = [];
    const parts: Uint8Array[] = [];
    const fate: ('ok' | 'dropped' | 'truncated' | 'badHeader' | 'badFooter')[] = [];
    let lastFault = -10;
    // Joined mid-packet: the tail of a previous packet first.
    parts.push(emulatorPacket(255, r).subarray(16));
    for (let i = 0; i < N; i++) {
      const pkt = emulatorPacket(i, r);
      originals.push(pkt);
      // Known limit, measured while writing this test: over seeds 1–200 of this generator 97 %
      // of streams decode with exact counts; the others contain one false framing (no checksum
      // exists) and are off by one gap or, when a false packet's counter aliases, 256 frames.
      // Faults are isolated: two clean packets follow each one (and the join). Back-to-back
      // faults can be truly ambiguous without a checksum (a truncated packet plus garbage can
      // form a well-framed 33-byte packet with the right counter), so no decoder can count them
      // exactly; isolated faults it must.
      const clean = i < 2 || i - lastFault <= 2;
      const x = clean ? 1 : r();
      const garbage = r() < 0.03 && !clean;
      if (garbage || x < 0.09) lastFault = i;
      if (garbage) parts.push(Uint8Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * 256))); // garbage
      if (x < 0.03) {
        fate.push('dropped');
      } else if (x < 0.05) {
        fate.push('truncated');
        parts.push(pkt.slice(0, 1 + Math.floor(r() * 31)));
      } else if (x < 0.07) {
        fate.push('badHeader');
        const c = pkt.slice();
        c[0] = 0x41; // the firmware's own start byte, never sent by the dongle
        parts.push(c);
      } else if (x < 0.09) {
        fate.push('badFooter');
        const c = pkt.slice();
        c[32] = 0xc7 + Math.floor(r() * 0x38); // 0xC7..0xFE
        parts.push(c);
      } else {
        fate.push('ok');
        parts.push(pkt);
      }
    }
    // Ground truth: gaps are runs of lost packets between two received ones.
    const first = fate.indexOf('ok');
    const last = fate.lastIndexOf('ok');
    let gaps = 0;
    let lost = 0;
    for (let i = first + 1; i <= last; i++) {
      if (fate[i] !== 'ok') {
        lost++;
        if (fate[i - 1] === 'ok') gaps++;
      }
    }
    const bytes = concat(parts);
    // Random chunk sizes, like a serial read loop.
    const dec = new CytonDecoder();
    const blocks: DecodedBlock[] = [];
    for (let o = 0; o < bytes.length; ) {
      const n = 1 + Math.floor(r() * 200);
      blocks.push(...dec.push(bytes.subarray(o, o + n)));
      o += n;
    }
    blocks.push(...dec.flush());

    expect(dec.counters.gaps).toBe(gaps);
    expect(dec.counters.lostFrames).toBe(lost);
    expect(gaps).toBeGreaterThan(150);
    expect(dec.counters.resyncs).toBeGreaterThan(0);
    expect(dec.counters.bytesDiscarded).toBeGreaterThan(0);

    // Every received frame sits at its packet's index (relative to the first survivor) and
    // carries that packet's values. Without a checksum, a truncated packet whose cut lands on a
    // footer-like byte can be taken for a packet (its counter is right, its payload is not); the
    // packet after it is then lost instead, which leaves the counts above unchanged. Such frames
    // are not compared, and each may cost exactly one good packet.
    const eeg = byStream(blocks, 'openbci-cyton.eeg');
    let checked = 0;
    let truncatedTaken = 0;
    for (const b of eeg) {
      for (let k = 0; k < b.frames; k++) {
        const i = first + b.sampleIndex + k;
        if (fate[i] === 'truncated') truncatedTaken++;
        if (fate[i] !== 'ok') continue;
        const raw = int24be(originals[i], 2);
        expect(b.samples[k * 8]).toBe(Math.fround(raw * cytonUvPerCount(24)));
        checked++;
      }
    }
    expect(truncatedTaken).toBeLessThan(5);
    expect(checked).toBe(fate.filter((f) => f === 'ok').length - truncatedTaken);
  });

  it('never throws on pure garbage or empty input and counts what it threw away', () => {
    const r = seededRandom(5);
    const dec = new CytonDecoder();
    const junk = Uint8Array.from({ length: 5000 }, () => Math.floor(r() * 256));
    expect(() => dec.push(junk)).not.toThrow();
    expect(() => dec.push(new Uint8Array(0))).not.toThrow();
    expect(() => dec.flush()).not.toThrow();
    expect(dec.counters.bytesDiscarded).toBeGreaterThan(4900);
  });
});
