// Test/benchmark encoder for Ganglion notifications (inverse of decoder.ts): packs 18/19-bit
// fields MSB-first with the sign in bit 0, as firmware compressData18/19 does. Runs anywhere;
// allocates per packet, not for the acquisition loop.

/** Field bits for a value: low `width` bits, bit 0 replaced by the sign (1 = negative). */
export function fieldFromValue(v: number, width: number): number {
  const mask = width === 32 ? 0xffffffff : (1 << width) - 1;
  return ((v & mask & ~1) | (v < 0 ? 1 : 0)) >>> 0;
}

/** A 20-byte notification: `id`, 8 fields of `width` bits MSB-first, then `lastByte` for 18-bit. */
export function packGanglion(id: number, fields: ArrayLike<number>, width: 18 | 19, lastByte = 0): Uint8Array {
  const b = new Uint8Array(20);
  b[0] = id;
  let bit = 0;
  for (let n = 0; n < 8; n++) {
    for (let i = width - 1; i >= 0; i--, bit++) if ((fields[n] >>> i) & 1) b[1 + (bit >> 3)] |= 0x80 >> (bit & 7);
  }
  if (width === 18) b[19] = lastByte & 0xff;
  return b;
}

/** fw 2 raw packet (id 0): 4 × int24 BE, then the firmware's 'A'..'G' padding. */
export function encodeGanglionRaw(counts: ArrayLike<number>): Uint8Array {
  const b = new Uint8Array(20);
  for (let c = 0; c < 4; c++) {
    const u = counts[c] & 0xffffff;
    b[1 + 3 * c] = u >>> 16;
    b[2 + 3 * c] = (u >>> 8) & 0xff;
    b[3 + 3 * c] = u & 0xff;
  }
  for (let i = 13; i < 20; i++) b[i] = 0x41 + (i - 13);
  return b;
}

/** fw 2 delta packet: fields are previous − current per channel for the two samples. */
export function encodeGanglionFw2(id: number, previous: ArrayLike<number>, s1: ArrayLike<number>, s2: ArrayLike<number>, accelByte = 0): Uint8Array {
  const width = id <= 100 ? 18 : 19;
  const f: number[] = [];
  for (let c = 0; c < 4; c++) f.push(fieldFromValue(previous[c] - s1[c], width));
  for (let c = 0; c < 4; c++) f.push(fieldFromValue(s1[c] - s2[c], width));
  return packGanglion(id, f, width, accelByte);
}

/** fw 3 packet: fields are the samples shifted right by 6 (18-bit) or 5 (19-bit). */
export function encodeGanglionFw3(id: number, s1: ArrayLike<number>, s2: ArrayLike<number>, accelByte = 0): Uint8Array {
  const width = id < 100 ? 18 : 19;
  const shift = width === 18 ? 6 : 5;
  const f: number[] = [];
  for (const s of [s1, s2]) for (let c = 0; c < 4; c++) f.push(fieldFromValue(s[c] >> shift, width));
  return packGanglion(id, f, width, accelByte);
}
