// Test/benchmark encoder for Muse S Athena notifications (inverse of decoder.ts). Runs anywhere;
// allocates per packet, not for the acquisition loop.

export interface AthenaSubPacket {
  tag: number;
  index: number;
  data: Uint8Array;
}

/** Pack unsigned `width`-bit values LSB-first into `bytes` bytes. */
export function packLsbFirst(values: ArrayLike<number>, width: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let n = 0; n < values.length; n++) {
    for (let i = 0; i < width; i++) {
      const bit = n * width + i;
      if ((values[n] >>> i) & 1) out[bit >> 3] |= 1 << (bit & 7);
    }
  }
  return out;
}

/** int16 little-endian values (IMU payload). */
export function packInt16Le(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    out[2 * i] = values[i] & 0xff;
    out[2 * i + 1] = (values[i] >> 8) & 0xff;
  }
  return out;
}

/** One packet: 14-byte header (first sub-packet's tag/index in bytes 9/10), then sub-packets. */
export function encodeAthenaPacket(counter: number, deviceTicks: number, subs: AthenaSubPacket[]): Uint8Array {
  let len = 14 + subs[0].data.length;
  for (let i = 1; i < subs.length; i++) len += 5 + subs[i].data.length;
  if (len > 255) throw new RangeError(`packet of ${len} bytes does not fit the length byte`);
  const b = new Uint8Array(len);
  b[0] = len;
  b[1] = counter & 0xff;
  b[2] = deviceTicks & 0xff;
  b[3] = (deviceTicks >>> 8) & 0xff;
  b[4] = (deviceTicks >>> 16) & 0xff;
  b[5] = (deviceTicks >>> 24) & 0xff;
  b[9] = subs[0].tag;
  b[10] = subs[0].index & 0xff;
  b.set(subs[0].data, 14);
  let o = 14 + subs[0].data.length;
  for (let i = 1; i < subs.length; i++) {
    b[o] = subs[i].tag;
    b[o + 1] = subs[i].index & 0xff;
    b.set(subs[i].data, o + 5);
    o += 5 + subs[i].data.length;
  }
  return b;
}
