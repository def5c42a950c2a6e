// Small byte helpers shared by the format readers/writers: bounds-checked cursors, Latin-1/UTF-8
// text, fixed-width ASCII fields. Pure; runs anywhere. Never allocates more than asked after the
// caller validated the size against the byte length.
import { InputError } from '../core/errors';

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8Encoder = new TextEncoder();

export function decodeUtf8(b: Uint8Array): string {
  return utf8.decode(b);
}

export function encodeUtf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

/** Latin-1 text of `bytes[offset, offset+length)` (header fields are ASCII). */
export function latin1(bytes: Uint8Array, offset: number, length: number): string {
  let s = '';
  const end = Math.min(bytes.length, offset + length);
  for (let i = offset; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** True on little-endian hosts (all browsers and Node on x86/ARM); typed-array fast paths need it. */
export const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A read cursor that throws InputError naming the file and the field when the bytes run out. */
export class ByteReader {
  readonly view: DataView;
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly fileName: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.bytes.length - this.pos;
  }
  need(n: number, field: string): void {
    if (!(n >= 0) || n > this.bytes.length - this.pos) {
      throw new InputError(
        `${field} needs ${n} bytes at byte ${this.pos} but only ${Math.max(0, this.bytes.length - this.pos)} remain (file truncated or size field corrupt)`,
        this.fileName,
      );
    }
  }
  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.pos++];
  }
  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(field: string): number {
    this.need(8, field);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    return hi * 2 ** 32 + lo;
  }
  f64(field: string): number {
    this.need(8, field);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** A view (no copy) of the next n bytes. */
  slice(n: number, field: string): Uint8Array {
    this.need(n, field);
    const s = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}

/** Concatenate byte arrays. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Base name of a path (either separator). */
export function baseName(fileName: string): string {
  const i = Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\'));
  return i >= 0 ? fileName.slice(i + 1) : fileName;
}

/** Lower-case extension without the dot ("" if none); ".markers.csv" counts as "csv". */
export function extensionOf(fileName: string): string {
  const b = baseName(fileName);
  const i = b.lastIndexOf('.');
  return i > 0 ? b.slice(i + 1).toLowerCase() : '';
}
