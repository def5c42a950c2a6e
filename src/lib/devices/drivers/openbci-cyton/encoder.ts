// Test/benchmark encoder for Cyton packets (the inverse of decoder.ts) and a generator of the
// BrainFlow Cyton emulator's framing (emulator/brainflow_emulator/emulate_common.py: 0xA0, counter,
// 30 random bytes, 0xC0). Runs anywhere; allocates per packet, so not for the acquisition loop.
import { CYTON_HEADER, CYTON_PACKET_BYTES } from './decoder.ts';

export interface CytonPacketSpec {
  counter: number;
  /** Raw ADC counts per channel (8 values, −2^23 .. 2^23−1). */
  counts: ArrayLike<number>;
  /** Footer 0xC0..0xC6 (default 0xC0). */
  footer?: number;
  /** Accel counts X, Y, Z (footer 0xC0; for 0xC3/0xC4 only `accel[counter % 10 − 7]` is sent). */
  accel?: [number, number, number];
  /** Raw aux values (footer 0xC1: three; 0xC5/0xC6: the first). */
  analog?: [number, number, number];
  /** Board time in ms (footers 0xC3..0xC6). */
  timeMs?: number;
  /** Raw aux bytes for footer 0xC2. */
  userBytes?: Uint8Array;
}

function put24(b: Uint8Array, i: number, v: number): void {
  const u = v & 0xffffff;
  b[i] = u >>> 16;
  b[i + 1] = (u >>> 8) & 0xff;
  b[i + 2] = u & 0xff;
}

function put16(b: Uint8Array, i: number, v: number): void {
  b[i] = (v >> 8) & 0xff;
  b[i + 1] = v & 0xff;
}

function put32(b: Uint8Array, i: number, v: number): void {
  b[i] = (v >>> 24) & 0xff;
  b[i + 1] = (v >>> 16) & 0xff;
  b[i + 2] = (v >>> 8) & 0xff;
  b[i + 3] = v & 0xff;
}

export function encodeCytonPacket(s: CytonPacketSpec): Uint8Array {
  const b = new Uint8Array(CYTON_PACKET_BYTES);
  const footer = s.footer ?? 0xc0;
  b[0] = CYTON_HEADER;
  b[1] = s.counter & 0xff;
  for (let c = 0; c < 8; c++) put24(b, 2 + 3 * c, s.counts[c] ?? 0);
  if (footer === 0xc0 && s.accel) {
    put16(b, 26, s.accel[0]);
    put16(b, 28, s.accel[1]);
    put16(b, 30, s.accel[2]);
  } else if (footer === 0xc1 && s.analog) {
    put16(b, 26, s.analog[0]);
    put16(b, 28, s.analog[1]);
    put16(b, 30, s.analog[2]);
  } else if (footer === 0xc2 && s.userBytes) {
    b.set(s.userBytes.subarray(0, 6), 26);
  } else if (footer >= 0xc3) {
    if ((footer === 0xc3 || footer === 0xc4) && s.accel) {
      const axis = (s.counter % 10) - 7;
      if (axis >= 0) put16(b, 26, s.accel[axis]);
    } else if ((footer === 0xc5 || footer === 0xc6) && s.analog) {
      put16(b, 26, s.analog[0]);
    }
    put32(b, 28, s.timeMs ?? 0);
  }
  b[32] = footer;
  return b;
}

/** One packet exactly as the BrainFlow Cyton emulator writes it (random payload, footer 0xC0). */
export function emulatorPacket(counter: number, random: () => number): Uint8Array {
  const b = new Uint8Array(CYTON_PACKET_BYTES);
  b[0] = CYTON_HEADER;
  b[1] = counter & 0xff;
  for (let i = 2; i < 32; i++) b[i] = Math.floor(random() * 256);
  b[32] = 0xc0;
  return b;
}

/** Seeded PRNG (mulberry32) for reproducible byte streams in tests and benchmarks. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
