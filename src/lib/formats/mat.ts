// MATLAB level-5 MAT files (the format of MATLAB 5 … 7, `save -v7`; not v7.3, which is HDF5):
// read every documented element and array class, write numeric, logical, char, cell and struct
// arrays. Pure; runs anywhere (compressed elements through fflate's zlib). Never allocates from a
// size the bytes cannot hold, never inflates past what the compressed bytes can carry, and never
// recurses deeper than MAX_DEPTH. Numeric arrays read from an uncompressed file may be views of
// the input bytes (no copy): do not reuse the input buffer while the values are in use.
//
// Byte layout (MathWorks, "MAT-File Format", level 5):
//   header, 128 bytes: 116 bytes of text ("MATLAB 5.0 MAT-file, …"), 8 bytes subsystem offset,
//   u16 version 0x0100, 2 bytes endian indicator "IM" (little-endian file) or "MI" (big-endian).
//   Then data elements, each 8-byte aligned: tag [u32 type][u32 byte count] + data + padding, or
//   a small element [u16 byte count (1–4)][u16 type] (as one u32: count in the high half) + 4 data
//   bytes. Types: 1 miINT8 2 miUINT8 3 miINT16 4 miUINT16 5 miINT32 6 miUINT32 7 miSINGLE 9 miDOUBLE
//   12 miINT64 13 miUINT64 14 miMATRIX 15 miCOMPRESSED (zlib of one element) 16 miUTF8 17 miUTF16
//   18 miUTF32, all in the file's byte order.
//   miMATRIX: array flags (miUINT32 ×2: class in bits 0–7, 0x800 complex, 0x400 global,
//   0x200 logical; then sparse nzmax), dimensions (miINT32 ×n), name (miINT8), then per class:
//   numeric 6–15 → real part [+ imaginary part], each in any numeric type (MATLAB stores doubles
//   as the smallest type that holds them); char 4 → one element of UINT16/UTF16/UTF8/UINT8/UTF32
//   code units; cell 1 → prod(dims) miMATRIX; struct 2 → field-name length (miINT32), names
//   (miINT8, NUL-padded), then prod(dims) × nfields miMATRIX (element-major, fields in order);
//   object 3 → class name (miINT8), then as struct; sparse 5 → ir, jc (miINT32), pr [, pi];
//   16 function handles and 17 opaque (MCOS) objects are kept as placeholders. An miMATRIX of
//   byte count 0 is an empty 0×0 double (MATLAB writes empty cell contents that way).
//   Arrays are column-major (MATLAB/Fortran order): element (i, j) of an m×n array is at i + m·j.
import { Unzlib, unzlibSync, zlibSync } from 'fflate';
import { InputError } from '../core/errors';
import { latin1 } from './bytes';

export type MatNumericClass = 'double' | 'single' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64';
export type MatNumericData = Float64Array | Float32Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/** A numeric array, column-major, its data in the class's own typed array. */
export interface MatNumeric {
  kind: 'numeric';
  class: MatNumericClass;
  dims: number[];
  real: MatNumericData;
  imag?: MatNumericData;
}
export interface MatLogical {
  kind: 'logical';
  dims: number[];
  /** 0 or 1 per element, column-major. */
  data: Uint8Array;
}
/** A char array: its characters column-major in one string (use matStrings for the rows). */
export interface MatChar {
  kind: 'char';
  dims: number[];
  text: string;
}
export interface MatCell {
  kind: 'cell';
  dims: number[];
  cells: MatValue[];
}
/** A struct array (or an object of `className`): one record of the same fields per element, column-major. */
export interface MatStruct {
  kind: 'struct';
  dims: number[];
  fields: string[];
  elements: Record<string, MatValue>[];
  className?: string;
}
/** A sparse matrix in compressed-column form (as stored): column j's entries are colStarts[j] … colStarts[j+1]−1. */
export interface MatSparse {
  kind: 'sparse';
  dims: number[];
  rowIndices: Int32Array;
  colStarts: Int32Array;
  real: Float64Array;
  imag?: Float64Array;
  logical: boolean;
}
/** A function handle (class 16) or an opaque MATLAB object (class 17, e.g. string, table): not decoded. */
export interface MatOpaque {
  kind: 'opaque';
  classCode: number;
}
export type MatValue = MatNumeric | MatLogical | MatChar | MatCell | MatStruct | MatSparse | MatOpaque;

export interface MatFile {
  /** The header's descriptive text (trailing spaces removed). */
  headerText: string;
  littleEndian: boolean;
  /** Named variables in file order (unnamed ones, such as MATLAB's subsystem data, are left out). */
  variables: Record<string, MatValue>;
}

const MAX_DEPTH = 64;
/** Largest inflated element: DEFLATE cannot expand more than 1032:1, and typed arrays stop at 2 GiB. */
const maxInflatedBytes = (compressed: number) => Math.min(2 ** 31 - 1, compressed * 1032 + 1024);

const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18 } as const;
const MI_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4 };
const MI_NAME: Record<number, string> = { 1: 'miINT8', 2: 'miUINT8', 3: 'miINT16', 4: 'miUINT16', 5: 'miINT32', 6: 'miUINT32', 7: 'miSINGLE', 9: 'miDOUBLE', 12: 'miINT64', 13: 'miUINT64', 14: 'miMATRIX', 15: 'miCOMPRESSED', 16: 'miUTF8', 17: 'miUTF16', 18: 'miUTF32' };
const CLASS_CODE: Record<MatNumericClass, number> = { double: 6, single: 7, int8: 8, uint8: 9, int16: 10, uint16: 11, int32: 12, uint32: 13, int64: 14, uint64: 15 };
const CLASS_OF_CODE: Record<number, MatNumericClass> = Object.fromEntries(Object.entries(CLASS_CODE).map(([k, v]) => [v, k as MatNumericClass]));
const MI_OF_CLASS: Record<MatNumericClass, number> = { double: 9, single: 7, int8: 1, uint8: 2, int16: 3, uint16: 4, int32: 5, uint32: 6, int64: 12, uint64: 13 };
/** The typed array holding each numeric class. */
export const ARRAY_OF_CLASS = {
  double: Float64Array,
  single: Float32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
} as const;
const ARRAY_OF_MI: Record<number, (typeof ARRAY_OF_CLASS)[MatNumericClass]> = {
  1: Int8Array,
  2: Uint8Array,
  3: Int16Array,
  4: Uint16Array,
  5: Int32Array,
  6: Uint32Array,
  7: Float32Array,
  9: Float64Array,
  12: BigInt64Array,
  13: BigUint64Array,
  16: Uint8Array,
  17: Uint16Array,
  18: Uint32Array,
};
const F = { COMPLEX: 0x800, GLOBAL: 0x400, LOGICAL: 0x200 } as const;
const CLS = { CELL: 1, STRUCT: 2, OBJECT: 3, CHAR: 4, SPARSE: 5, FUNCTION: 16, OPAQUE: 17 } as const;

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------
// Reading

interface Element {
  type: number;
  /** The element's data bytes (a view). */
  data: Uint8Array;
  /** Where the element started, for messages. */
  offset: number;
}

class Reader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
    readonly where: string,
    /** Offset of `bytes` in the file (0, or inside an inflated element: the compressed element's offset). */
    readonly base: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(msg: string, offset: number): never {
    throw new InputError(`${msg} (MAT byte ${this.base + offset})`, this.where);
  }
  u32(at: number): number {
    return this.view.getUint32(at, this.littleEndian);
  }
  /** The element at `pos`, and where the next one starts. */
  element(pos: number, what: string): { el: Element; next: number } {
    if (pos + 8 > this.bytes.length) this.fail(`${what}: the file ends inside an element tag (truncated)`, pos);
    const first = this.u32(pos);
    const small = first >>> 16;
    if (small !== 0) {
      if (small > 4) this.fail(`${what}: a small data element claims ${small} bytes (at most 4)`, pos);
      return { el: { type: first & 0xffff, data: this.bytes.subarray(pos + 4, pos + 4 + small), offset: pos }, next: pos + 8 };
    }
    const n = this.u32(pos + 4);
    if (n > this.bytes.length - pos - 8) this.fail(`${what}: ${MI_NAME[first] ?? `type ${first}`} element claims ${n} bytes but only ${this.bytes.length - pos - 8} remain (truncated or corrupt)`, pos);
    // miCOMPRESSED is not padded; everything else is padded to 8 bytes (padding may be cut at the end).
    const end = pos + 8 + n;
    const next = first === MI.COMPRESSED ? end : Math.min(this.bytes.length, end + ((8 - (n % 8)) % 8));
    return { el: { type: first, data: this.bytes.subarray(pos + 8, end), offset: pos }, next };
  }
}

/**
 * The element's values as a typed array of its own type, in host byte order: a view of the input
 * when it is aligned and in host order (large data arrays are, as SciPy's are), else a copy.
 */
function typedData(r: Reader, el: Element, what: string): MatNumericData {
  const Ctor = ARRAY_OF_MI[el.type];
  if (!Ctor) r.fail(`${what}: expected numeric data, found ${MI_NAME[el.type] ?? `element type ${el.type}`}`, el.offset);
  const size = MI_SIZE[el.type];
  if (el.data.length % size) r.fail(`${what}: ${el.data.length} bytes is not a whole number of ${MI_NAME[el.type]} values`, el.offset);
  if ((r.littleEndian === littleEndianHost || size === 1) && el.data.byteOffset % size === 0) return new Ctor(el.data.buffer as ArrayBuffer, el.data.byteOffset, el.data.length / size);
  const copy = el.data.slice();
  if (r.littleEndian !== littleEndianHost && size > 1) {
    for (let i = 0; i < copy.length; i += size) copy.subarray(i, i + size).reverse();
  }
  return new Ctor(copy.buffer, 0, copy.length / size);
}

/** Values converted to a class's array (doubles MATLAB stored as uint8 become a Float64Array …). */
function asClass(data: MatNumericData, cls: MatNumericClass): MatNumericData {
  const Ctor = ARRAY_OF_CLASS[cls];
  if (data instanceof Ctor) return data;
  const out = new Ctor(data.length);
  const big = out instanceof BigInt64Array || out instanceof BigUint64Array;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    (out as unknown as (number | bigint)[])[i] = big ? BigInt(typeof v === 'bigint' ? v : Math.trunc(v)) : Number(v);
  }
  return out;
}

function int32s(r: Reader, el: Element, what: string): Int32Array {
  const d = typedData(r, el, what);
  if (d instanceof Int32Array) return d;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array || d instanceof Float32Array || d instanceof Float64Array)
    r.fail(`${what}: expected integers, found ${MI_NAME[el.type]}`, el.offset);
  return Int32Array.from(d as ArrayLike<number>);
}

const product = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
const utf8 = new TextDecoder('utf-8', { fatal: false });

function charText(r: Reader, el: Element, what: string): string {
  switch (el.type) {
    case MI.UTF8:
      return utf8.decode(el.data);
    case MI.UINT8:
    case MI.INT8:
      return latin1(el.data, 0, el.data.length);
    case MI.UINT16:
    case MI.UTF16: {
      const u = typedData(r, el, what) as Uint16Array;
      let s = '';
      for (let i = 0; i < u.length; i += 8192) s += String.fromCharCode(...u.subarray(i, i + 8192));
      return s;
    }
    case MI.UTF32:
    case MI.INT32:
    case MI.UINT32: {
      const u = typedData(r, el, what) as Uint32Array;
      let s = '';
      for (const c of u) s += String.fromCodePoint(Math.min(c, 0x10ffff));
      return s;
    }
    default:
      return r.fail(`${what}: char data in ${MI_NAME[el.type] ?? `type ${el.type}`}`, el.offset);
  }
}

function setOwn<T>(o: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/**
 * Inflate one miCOMPRESSED element into exactly the element it declares, capped at what DEFLATE can
 * carry. Fast path: read the declared size by inflating into an 8-byte buffer (fflate drops what does
 * not fit, so nothing large is allocated; small elements only, as it decodes the stream twice), then
 * inflate once into a buffer of that size. Large elements, and streams the fast path cannot take,
 * go through the streaming inflater, which also allocates the element once.
 */
function inflateElement(r: Reader, el: Element, what: string): Uint8Array {
  if (el.data.length <= 1 << 16) {
    try {
      const head = unzlibSync(el.data, { out: new Uint8Array(8) });
      if (head.length === 8) {
        const dv = new DataView(head.buffer);
        const first = dv.getUint32(0, r.littleEndian);
        const total = first >>> 16 ? 8 : 8 + dv.getUint32(4, r.littleEndian);
        if (total > maxInflatedBytes(el.data.length)) r.fail(`${what}: a compressed element of ${el.data.length} bytes claims ${total} bytes when inflated; refused`, el.offset);
        const out = unzlibSync(el.data, { out: new Uint8Array(total) });
        if (out.length === total) return out;
      }
    } catch (e) {
      if (e instanceof InputError) throw e;
      // Stored blocks past the buffer, corrupt data: the streaming path decides and says why.
    }
  }
  return inflateStreaming(r, el, what);
}

function inflateStreaming(r: Reader, el: Element, what: string): Uint8Array {
  const cap = maxInflatedBytes(el.data.length);
  let out: Uint8Array | null = null;
  let head = new Uint8Array(0);
  let filled = 0;
  const done = () => out !== null && filled === out.length;
  const inflater = new Unzlib((chunk) => {
    if (out === null) {
      const joined = new Uint8Array(head.length + chunk.length);
      joined.set(head);
      joined.set(chunk, head.length);
      if (joined.length < 8) {
        head = joined;
        return;
      }
      const dv = new DataView(joined.buffer);
      const first = dv.getUint32(0, r.littleEndian);
      const total = first >>> 16 ? 8 : 8 + dv.getUint32(4, r.littleEndian);
      if (total > cap) r.fail(`${what}: a compressed element of ${el.data.length} bytes claims ${total} bytes when inflated; refused`, el.offset);
      out = new Uint8Array(total);
      chunk = joined;
    }
    // Bytes past the declared element (MATLAB pads some) are ignored.
    const n = Math.min(chunk.length, out.length - filled);
    out.set(chunk.subarray(0, n), filled);
    filled += n;
  });
  try {
    const STEP = 1 << 16;
    for (let i = 0; i < el.data.length && !done(); i += STEP) {
      const end = Math.min(el.data.length, i + STEP);
      inflater.push(el.data.subarray(i, end), end === el.data.length);
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    r.fail(`${what}: compressed data does not inflate (${(e as Error).message}); the file is corrupt or truncated`, el.offset);
  }
  if (!done()) r.fail(`${what}: compressed data ends before the element it holds (truncated)`, el.offset);
  return out!;
}

function readMatrix(r: Reader, el: Element, depth: number, what: string): { name: string; value: MatValue } {
  if (depth > MAX_DEPTH) r.fail(`${what}: arrays nested deeper than ${MAX_DEPTH}`, el.offset);
  if (el.data.length === 0) return { name: '', value: { kind: 'numeric', class: 'double', dims: [0, 0], real: new Float64Array(0) } };
  const sub = new Reader(el.data, r.littleEndian, r.where, r.base + el.offset + 8);
  let pos = 0;
  const next = (label: string): Element => {
    const e = sub.element(pos, `${what} ${label}`);
    pos = e.next;
    return e.el;
  };
  const flagsEl = next('array flags');
  if (flagsEl.type !== MI.UINT32 || flagsEl.data.length < 8) sub.fail(`${what}: array flags must be 8 bytes of miUINT32`, flagsEl.offset);
  const flags = new DataView(flagsEl.data.buffer, flagsEl.data.byteOffset, 8).getUint32(0, r.littleEndian);
  const cls = flags & 0xff;
  if (cls === CLS.FUNCTION || cls === CLS.OPAQUE) {
    // Function handles and MCOS objects (strings, tables …) have no documented layout: keep a placeholder.
    return { name: opaqueName(sub, pos), value: { kind: 'opaque', classCode: cls } };
  }
  const dimsEl = next('dimensions');
  const dimsRaw = int32s(sub, dimsEl, `${what} dimensions`);
  const dims = Array.from(dimsRaw);
  if (dims.length < 2 || dims.some((d) => d < 0)) sub.fail(`${what}: bad dimensions [${dims.join(', ')}]`, dimsEl.offset);
  const nameEl = next('name');
  const name = latin1(nameEl.data, 0, nameEl.data.length);
  const at = name ? `${what} "${name}"` : what;
  const count = product(dims);
  const complex = (flags & F.COMPLEX) !== 0;
  const numericCls = CLASS_OF_CODE[cls];
  if (numericCls) {
    const real = typedData(sub, next('real part'), at);
    if (real.length !== count) sub.fail(`${at}: ${real.length} values for dimensions ${dims.join('×')}`, pos);
    const imag = complex ? typedData(sub, next('imaginary part'), at) : undefined;
    if (imag && imag.length !== count) sub.fail(`${at}: ${imag.length} imaginary values for dimensions ${dims.join('×')}`, pos);
    if (flags & F.LOGICAL) return { name, value: { kind: 'logical', dims, data: Uint8Array.from(real as ArrayLike<number>, (v) => (v ? 1 : 0)) } };
    return { name, value: { kind: 'numeric', class: numericCls, dims, real: asClass(real, numericCls), ...(imag ? { imag: asClass(imag, numericCls) } : {}) } };
  }
  switch (cls) {
    case CLS.CHAR: {
      const text = count === 0 && pos >= el.data.length ? '' : charText(sub, next('characters'), at);
      if ([...text].length !== count && text.length !== count) sub.fail(`${at}: ${text.length} characters for dimensions ${dims.join('×')}`, pos);
      return { name, value: { kind: 'char', dims, text } };
    }
    case CLS.CELL: {
      if (count * 8 > el.data.length - pos) sub.fail(`${at}: ${count} cells cannot fit in the remaining ${el.data.length - pos} bytes`, pos);
      const cells: MatValue[] = [];
      for (let i = 0; i < count; i++) cells.push(childMatrix(sub, next(`cell ${i + 1}`), depth, `${at}{${i + 1}}`));
      return { name, value: { kind: 'cell', dims, cells } };
    }
    case CLS.STRUCT:
    case CLS.OBJECT: {
      let className: string | undefined;
      if (cls === CLS.OBJECT) {
        const c = next('class name');
        className = latin1(c.data, 0, c.data.length);
      }
      const lenEl = next('field name length');
      const len = int32s(sub, lenEl, `${at} field name length`)[0] ?? 0;
      const namesEl = next('field names');
      if (len <= 0 && namesEl.data.length > 0) sub.fail(`${at}: field name length ${len}`, lenEl.offset);
      const fields: string[] = [];
      for (let i = 0; len > 0 && i + len <= namesEl.data.length; i += len) {
        const raw = namesEl.data.subarray(i, i + len);
        const z = raw.indexOf(0);
        fields.push(latin1(raw, 0, z < 0 ? raw.length : z));
      }
      if (count * fields.length * 8 > el.data.length - pos) sub.fail(`${at}: ${count} × ${fields.length} fields cannot fit in the remaining bytes`, pos);
      const elements: Record<string, MatValue>[] = [];
      for (let i = 0; i < count; i++) {
        const rec: Record<string, MatValue> = {};
        for (const f of fields) setOwn(rec, f, childMatrix(sub, next(`field ${f}`), depth, `${at}(${i + 1}).${f}`));
        elements.push(rec);
      }
      return { name, value: { kind: 'struct', dims, fields, elements, ...(className !== undefined ? { className } : {}) } };
    }
    case CLS.SPARSE: {
      if (dims.length !== 2) sub.fail(`${at}: a sparse array must be 2-D`, pos);
      const rowIndices = int32s(sub, next('row indices'), `${at} row indices`);
      const colStarts = int32s(sub, next('column starts'), `${at} column starts`);
      if (colStarts.length !== dims[1] + 1) sub.fail(`${at}: ${colStarts.length} column starts for ${dims[1]} columns`, pos);
      const nnz = colStarts[dims[1]];
      for (let j = 0; j < dims[1]; j++) if (colStarts[j] > colStarts[j + 1] || colStarts[j] < 0) sub.fail(`${at}: column starts are not increasing`, pos);
      if (nnz > rowIndices.length) sub.fail(`${at}: ${nnz} entries but ${rowIndices.length} row indices`, pos);
      for (let k = 0; k < nnz; k++) if (rowIndices[k] < 0 || rowIndices[k] >= dims[0]) sub.fail(`${at}: row index ${rowIndices[k]} outside ${dims[0]} rows`, pos);
      const pr = asClass(typedData(sub, next('values'), at), 'double') as Float64Array;
      const pi = complex ? (asClass(typedData(sub, next('imaginary values'), at), 'double') as Float64Array) : undefined;
      if (pr.length < nnz || (pi && pi.length < nnz)) sub.fail(`${at}: ${pr.length} values for ${nnz} entries`, pos);
      return {
        name,
        value: { kind: 'sparse', dims, rowIndices: rowIndices.subarray(0, nnz), colStarts, real: pr.subarray(0, nnz), ...(pi ? { imag: pi.subarray(0, nnz) } : {}), logical: (flags & F.LOGICAL) !== 0 },
      };
    }
    default:
      return sub.fail(`${at}: unknown array class ${cls}`, flagsEl.offset);
  }
}

/** Name of a function handle / opaque element: the first text element after the flags (function handles have dimensions first). */
function opaqueName(sub: Reader, pos: number): string {
  try {
    for (let k = 0; k < 2 && pos < sub.bytes.length; k++) {
      const { el, next } = sub.element(pos, 'name');
      if (el.type === MI.INT8 || el.type === MI.UINT8) return latin1(el.data, 0, el.data.length);
      pos = next;
    }
  } catch {
    // a malformed placeholder stays unnamed
  }
  return '';
}

function childMatrix(r: Reader, el: Element, depth: number, what: string): MatValue {
  if (el.type === MI.COMPRESSED) {
    const inner = new Reader(inflateElement(r, el, what), r.littleEndian, r.where, r.base + el.offset);
    return childMatrix(inner, inner.element(0, what).el, depth, what);
  }
  if (el.type !== MI.MATRIX) r.fail(`${what}: expected an miMATRIX element, found ${MI_NAME[el.type] ?? `type ${el.type}`}`, el.offset);
  return readMatrix(r, el, depth + 1, what).value;
}

/**
 * Read a level-5 MAT file. Throws InputError naming the file, the variable and the byte offset when
 * something is wrong (truncated, corrupt, a v7.3 HDF5 file or a level-4 file).
 */
export function readMat(bytes: Uint8Array, fileName = 'file.mat'): MatFile {
  if (bytes.length >= 8 && bytes[0] === 0x89 && latin1(bytes, 1, 3) === 'HDF')
    throw new InputError('this is an HDF5 file (MATLAB v7.3), not a level-5 MAT file; read it through h5wasm (EEGLAB sets are, by readEeglab)', fileName);
  if (bytes.length < 128) throw new InputError(`a MAT file starts with a 128-byte header; this one has ${bytes.length} bytes`, fileName);
  const headerText = latin1(bytes, 0, 116).replace(/[\s\0]+$/, '');
  const endian = latin1(bytes, 126, 2);
  if (endian !== 'IM' && endian !== 'MI') {
    if (headerText.startsWith('MATLAB 7.3')) throw new InputError('this is a MATLAB v7.3 (HDF5) file, not a level-5 MAT file', fileName);
    throw new InputError('not a level-5 MAT file (no "IM"/"MI" endian mark at byte 126; level-4 files are not supported — save with -v7)', fileName);
  }
  if (headerText.startsWith('MATLAB 7.3')) throw new InputError('this is a MATLAB v7.3 (HDF5) file, not a level-5 MAT file', fileName);
  const littleEndian = endian === 'IM';
  const r = new Reader(bytes, littleEndian, fileName, 0);
  const variables: Record<string, MatValue> = {};
  let pos = 128;
  while (pos < bytes.length) {
    // Trailing padding (fewer than 8 bytes, or zeros) after the last element is tolerated.
    if (bytes.length - pos < 8 && bytes.subarray(pos).every((b) => b === 0)) break;
    const { el, next } = r.element(pos, 'variable');
    pos = next;
    let target = el;
    let reader = r;
    if (el.type === MI.COMPRESSED) {
      reader = new Reader(inflateElement(r, el, 'compressed variable'), littleEndian, fileName, el.offset);
      target = reader.element(0, 'compressed variable').el;
    }
    if (target.type !== MI.MATRIX) r.fail(`expected a variable (miMATRIX), found ${MI_NAME[target.type] ?? `element type ${target.type}`}`, el.offset);
    const { name, value } = readMatrix(reader, target, 0, 'variable');
    if (name !== '') setOwn(variables, name, value);
  }
  return { headerText, littleEndian, variables };
}

// ---------------------------------------------------------------------------------------------
// Helpers for readers of MAT contents (EEGLAB, …)

/** Number of elements. */
export const matCount = (v: MatValue): number => (v.kind === 'opaque' ? 0 : product(v.dims));

/** Numeric, logical or sparse contents as doubles, column-major (real part; sparse made dense). */
export function matNumbers(v: MatValue): Float64Array {
  if (v.kind === 'numeric') return asClass(v.real, 'double') as Float64Array;
  if (v.kind === 'logical') return Float64Array.from(v.data);
  if (v.kind === 'sparse') {
    const out = new Float64Array(v.dims[0] * v.dims[1]);
    for (let j = 0; j < v.dims[1]; j++) for (let k = v.colStarts[j]; k < v.colStarts[j + 1]; k++) out[v.rowIndices[k] + v.dims[0] * j] = v.real[k];
    return out;
  }
  throw new InputError(`expected a number array, found a ${v.kind} array`);
}

/** The rows of a char array (a 1×N array gives one string; an empty one gives none). */
export function matStrings(v: MatChar): string[] {
  const [rows, cols = 0] = v.dims;
  // One character per code point (as SciPy writes), else per UTF-16 unit (as MATLAB counts them).
  const points = [...v.text];
  const chars = points.length === rows * cols ? points : v.text.split('');
  const out: string[] = [];
  for (let i = 0; i < rows; i++) {
    let s = '';
    for (let j = 0; j < cols; j++) s += chars[i + rows * j];
    out.push(s);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing

export interface WriteMatOptions {
  /** Wrap each variable in miCOMPRESSED (zlib), as `save -v7` does. Default true. */
  compress?: boolean;
  /** Header text after "MATLAB 5.0 MAT-file, "; default names Neurotab and the time of writing. */
  description?: string;
}

/** MATLAB identifiers: a letter, then letters, digits and underscores, at most 63 characters. */
export const MAT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

class Writer {
  parts: Uint8Array[] = [];
  length = 0;
  push(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

function tag(type: number, n: number): Uint8Array {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, n, true);
  return b;
}

/** One data element (little-endian), padded to 8 bytes. */
function dataElement(w: Writer, type: number, data: Uint8Array): void {
  w.push(tag(type, data.length));
  w.push(data);
  if (data.length % 8) w.push(new Uint8Array(8 - (data.length % 8)));
}

function leBytes(a: MatNumericData | Int32Array | Uint32Array): Uint8Array {
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (littleEndianHost || a.BYTES_PER_ELEMENT === 1) return b;
  const c = b.slice();
  for (let i = 0; i < c.length; i += a.BYTES_PER_ELEMENT) c.subarray(i, i + a.BYTES_PER_ELEMENT).reverse();
  return c;
}

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

function checkDims(v: { dims: number[] }, count: number, where: string): void {
  if (v.dims.length < 2 || v.dims.some((d) => !Number.isInteger(d) || d < 0) || product(v.dims) !== count)
    throw new InputError(`dimensions [${v.dims.join(', ')}] do not fit ${count} elements (at least two, whole numbers)`, where);
}

function matrixElement(v: MatValue, name: string, where: string, depth: number): Uint8Array {
  if (depth > MAX_DEPTH) throw new InputError(`nested deeper than ${MAX_DEPTH}`, where);
  const w = new Writer();
  const flags = (cls: number, f = 0) => dataElement(w, MI.UINT32, leBytes(Uint32Array.of(cls | f, 0)));
  const header = (cls: number, dims: number[], f = 0) => {
    flags(cls, f);
    dataElement(w, MI.INT32, leBytes(Int32Array.from(dims)));
    dataElement(w, MI.INT8, ascii(name));
  };
  switch (v.kind) {
    case 'numeric': {
      checkDims(v, v.real.length, where);
      if (!(v.real instanceof ARRAY_OF_CLASS[v.class])) throw new InputError(`a ${v.class} array needs a ${ARRAY_OF_CLASS[v.class].name}`, where);
      if (v.imag && (v.imag.length !== v.real.length || !(v.imag instanceof ARRAY_OF_CLASS[v.class]))) throw new InputError('the imaginary part must match the real part', where);
      header(CLASS_CODE[v.class], v.dims, v.imag ? F.COMPLEX : 0);
      dataElement(w, MI_OF_CLASS[v.class], leBytes(v.real));
      if (v.imag) dataElement(w, MI_OF_CLASS[v.class], leBytes(v.imag));
      break;
    }
    case 'logical':
      checkDims(v, v.data.length, where);
      header(CLASS_CODE.uint8, v.dims, F.LOGICAL);
      dataElement(w, MI.UINT8, Uint8Array.from(v.data, (x) => (x ? 1 : 0)));
      break;
    case 'char': {
      const chars = [...v.text];
      checkDims(v, chars.length, where);
      header(CLS.CHAR, v.dims);
      // UTF-8 as SciPy writes char data (one character per code point).
      dataElement(w, MI.UTF8, new TextEncoder().encode(v.text));
      break;
    }
    case 'cell':
      checkDims(v, v.cells.length, where);
      header(CLS.CELL, v.dims);
      v.cells.forEach((c, i) => w.push(matrixElement(c, '', `${where}{${i + 1}}`, depth + 1)));
      break;
    case 'struct': {
      checkDims(v, v.elements.length, where);
      for (const f of v.fields) if (!MAT_NAME.test(f)) throw new InputError(`field name ${JSON.stringify(f)} is not a MATLAB identifier (a letter, then letters, digits or _, at most 63)`, where);
      if (v.className !== undefined) throw new InputError('objects (structs with a class name) cannot be written', where);
      header(CLS.STRUCT, v.dims);
      const len = Math.max(1, ...v.fields.map((f) => f.length)) + 1;
      dataElement(w, MI.INT32, leBytes(Int32Array.of(len)));
      const names = new Uint8Array(len * v.fields.length);
      v.fields.forEach((f, i) => names.set(ascii(f), i * len));
      dataElement(w, MI.INT8, names);
      v.elements.forEach((rec, i) => {
        for (const f of v.fields) {
          if (!Object.hasOwn(rec, f)) throw new InputError(`element ${i + 1} has no field "${f}"`, where);
          w.push(matrixElement(rec[f], '', `${where}(${i + 1}).${f}`, depth + 1));
        }
      });
      break;
    }
    case 'sparse':
      throw new InputError('sparse arrays are read, not written', where);
    case 'opaque':
      throw new InputError('function handles and MATLAB objects cannot be written', where);
  }
  const body = w.bytes();
  const out = new Uint8Array(8 + body.length);
  out.set(tag(MI.MATRIX, body.length));
  out.set(body, 8);
  return out;
}

/** Write a level-5 MAT file (little-endian) holding the given variables, in order. */
export function writeMat(variables: Record<string, MatValue>, options: WriteMatOptions = {}): Uint8Array {
  const w = new Writer();
  const header = new Uint8Array(128).fill(0x20);
  const text = `MATLAB 5.0 MAT-file, ${options.description ?? `Platform: Neurotab, Created on: ${new Date().toUTCString()}`}`;
  header.set(ascii(text.slice(0, 116)));
  header.fill(0, 116, 124);
  header[124] = 0x00;
  header[125] = 0x01;
  header[126] = 0x49; // 'I'
  header[127] = 0x4d; // 'M'
  w.push(header);
  for (const [name, v] of Object.entries(variables)) {
    if (!MAT_NAME.test(name)) throw new InputError(`variable name ${JSON.stringify(name)} is not a MATLAB identifier (a letter, then letters, digits or _, at most 63)`);
    const el = matrixElement(v, name, name, 0);
    if (options.compress ?? true) {
      const z = zlibSync(el);
      w.push(tag(MI.COMPRESSED, z.length));
      w.push(z);
    } else w.push(el);
  }
  return w.bytes();
}

// ---------------------------------------------------------------------------------------------
// Building values

/** A double array from numbers (column-major) with the given dimensions (default a row). */
export function matDouble(values: ArrayLike<number>, dims: number[] = [1, values.length]): MatNumeric {
  return { kind: 'numeric', class: 'double', dims, real: Float64Array.from(values) };
}

/** A 1×N char array (or 0×0 for ""). */
export function matChar(text: string): MatChar {
  const n = [...text].length;
  return { kind: 'char', dims: n ? [1, n] : [0, 0], text };
}

/** A 1×N cell array. */
export function matCell(cells: MatValue[]): MatCell {
  return { kind: 'cell', dims: [1, cells.length], cells };
}

/** A 1×1 struct (or a 1×N struct array from several records with the same fields). */
export function matStruct(records: Record<string, MatValue> | Record<string, MatValue>[]): MatStruct {
  const elements = Array.isArray(records) ? records : [records];
  const fields = elements.length ? Object.keys(elements[0]) : [];
  return { kind: 'struct', dims: [1, elements.length], fields, elements };
}

/**
 * A JavaScript value as MATLAB would hold it: number → 1×1 double, boolean → logical, string →
 * char, null → [] (0×0 double), number arrays and typed arrays → double row (Float32Array → single,
 * integer typed arrays → their class), arrays of strings or mixed → cell, plain objects → 1×1 struct.
 */
export function matFromJs(v: unknown, where = 'value'): MatValue {
  if (v === null || v === undefined) return matDouble([], [0, 0]);
  if (typeof v === 'number') return matDouble([v]);
  if (typeof v === 'bigint') return { kind: 'numeric', class: 'int64', dims: [1, 1], real: BigInt64Array.of(v) };
  if (typeof v === 'boolean') return { kind: 'logical', dims: [1, 1], data: Uint8Array.of(v ? 1 : 0) };
  if (typeof v === 'string') return matChar(v);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const entry = (Object.entries(ARRAY_OF_CLASS) as [MatNumericClass, (typeof ARRAY_OF_CLASS)[MatNumericClass]][]).find(([, C]) => v instanceof C);
    if (!entry) throw new InputError('unsupported typed array', where);
    const [cls] = entry;
    return { kind: 'numeric', class: cls, dims: [1, (v as MatNumericData).length], real: (v as MatNumericData).slice() };
  }
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'number')) return matDouble(v as number[]);
    if (v.length && v.every((x) => typeof x === 'boolean')) return { kind: 'logical', dims: [1, v.length], data: Uint8Array.from(v as boolean[], (b) => (b ? 1 : 0)) };
    return matCell(v.map((x, i) => matFromJs(x, `${where}{${i + 1}}`)));
  }
  if (typeof v === 'object') {
    if (isMatValue(v)) return v;
    const rec: Record<string, MatValue> = {};
    for (const [k, x] of Object.entries(v)) setOwn(rec, k, matFromJs(x, `${where}.${k}`));
    return matStruct(rec);
  }
  throw new InputError(`cannot store a ${typeof v} in a MAT file`, where);
}

function isMatValue(v: object): v is MatValue {
  const k = (v as { kind?: unknown }).kind;
  return (k === 'numeric' || k === 'logical' || k === 'char' || k === 'cell' || k === 'struct' || k === 'sparse' || k === 'opaque') && Array.isArray((v as { dims?: unknown }).dims);
}
