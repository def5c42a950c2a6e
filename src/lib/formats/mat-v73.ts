// MATLAB v7.3 MAT files (HDF5 with a 512-byte MATLAB header as user block) read into the same
// values as level-5 files (mat.ts), through h5wasm. Async; runs anywhere h5wasm does. Checks every
// dataset's size against the file before reading it; never follows references deeper than MAX_DEPTH
// (a reference cycle ends there).
//
// How MATLAB lays a variable out in HDF5 (what `save -v7.3` writes; names at the root, helpers in
// "#refs#" and "#subsystem#"):
//   numeric, char, logical  a dataset with attribute MATLAB_class ("double", "single", "int8" …,
//                           "char" as uint16 UTF-16 code units, "logical" as uint8); HDF5 is
//                           row-major, so its shape is MATLAB's dims reversed and its data, read in
//                           order, is MATLAB's column-major order. Complex: a compound {real, imag}.
//   empty array             a dataset holding MATLAB's dims (uint64) with MATLAB_empty = 1
//   cell                    a dataset of object references (MATLAB_class "cell"), one per element
//   struct (1×1)            a group (MATLAB_class "struct"), one member per field
//   struct array            a group whose fields are datasets of object references, one per element
//   anything else           (function handles, strings, tables: MCOS objects) → an opaque value
import { InputError } from '../core/errors';
import { hasHdf5Signature, readH5, type H5, type H5Dataset, type H5Group } from './h5';
import { ARRAY_OF_CLASS, type MatNumericClass, type MatNumericData, type MatValue } from './mat';

const MAX_DEPTH = 64;
const H5T_COMPOUND = 6;
const H5T_REFERENCE = 7;
const isNumericClass = (cls: string): cls is MatNumericClass => Object.hasOwn(ARRAY_OF_CLASS, cls);

class V73Reader {
  constructor(
    readonly h5: H5,
    readonly fileName: string,
    readonly byteLength: number,
  ) {}

  fail(msg: string, path: string): never {
    throw new InputError(`${path}: ${msg}`, this.fileName);
  }

  attr(e: H5Group | H5Dataset, name: string): unknown {
    const a = e.attrs[name];
    return a ? a.value : undefined;
  }

  matlabClass(e: H5Group | H5Dataset): string | undefined {
    const v = this.attr(e, 'MATLAB_class');
    return typeof v === 'string' ? v : v instanceof Uint8Array ? new TextDecoder().decode(v) : undefined;
  }

  /** A dataset's values, after checking its size against the file (compressed data may exceed it ×1000). */
  data(d: H5Dataset, path: string): unknown {
    const shape = d.shape ?? [];
    const n = shape.reduce((a, b) => a * b, 1);
    const size = Math.max(1, d.metadata.size ?? 1);
    const limit = (d.filters ?? []).length > 0 ? Math.min(2 ** 31, this.byteLength * 1000) : this.byteLength;
    if (!d.metadata.vlen && n * size > limit) this.fail(`claims ${shape.join('×')} values (${n * size} bytes), more than the file can hold`, path);
    return d.value;
  }

  /** MATLAB dims of a dataset: its HDF5 shape reversed (at least two). */
  dims(d: H5Dataset): number[] {
    const shape = [...(d.shape ?? [])].reverse();
    while (shape.length < 2) shape.push(1);
    return shape;
  }

  refs(d: H5Dataset, path: string): unknown[] {
    const v = this.data(d, path);
    if (!Array.isArray(v)) this.fail('expected object references', path);
    return v as unknown[];
  }

  deref(from: H5Dataset, ref: unknown, path: string, depth: number): MatValue {
    const target = from.dereference(ref as never);
    if (!(target instanceof this.h5.Dataset) && !(target instanceof this.h5.Group)) this.fail('a reference leads nowhere', path);
    return this.value(target as H5Dataset | H5Group, path, depth + 1);
  }

  value(e: H5Dataset | H5Group, path: string, depth: number): MatValue {
    if (depth > MAX_DEPTH) this.fail(`references nested deeper than ${MAX_DEPTH} (a cycle?)`, path);
    const cls = this.matlabClass(e);
    if (e instanceof this.h5.Group) {
      if (cls !== undefined && cls !== 'struct') return { kind: 'opaque', classCode: 17 };
      return this.struct(e as H5Group, path, depth);
    }
    const d = e as H5Dataset;
    if (this.attr(d, 'MATLAB_empty')) return this.empty(d, cls ?? 'double', path);
    if (d.metadata.type === H5T_REFERENCE) {
      const refs = this.refs(d, path);
      return { kind: 'cell', dims: this.dims(d), cells: refs.map((r, i) => this.deref(d, r, `${path}{${i + 1}}`, depth)) };
    }
    const dims = this.dims(d);
    const count = dims.reduce((a, b) => a * b, 1);
    if (cls === 'char') {
      const v = this.data(d, path) as ArrayLike<number>;
      const u = v instanceof Uint16Array ? v : Uint16Array.from(v);
      let text = '';
      for (let i = 0; i < u.length; i += 8192) text += String.fromCharCode(...u.subarray(i, i + 8192));
      return { kind: 'char', dims, text };
    }
    if (cls === 'logical') {
      const u = this.data(d, path) as ArrayLike<number>;
      return { kind: 'logical', dims, data: Uint8Array.from(u, (x) => (x ? 1 : 0)) };
    }
    if (cls === undefined || isNumericClass(cls)) {
      const mcls = (cls ?? 'double') as MatNumericClass;
      const v = this.data(d, path);
      if (d.metadata.type === H5T_COMPOUND) {
        // Complex: h5wasm gives one [real, imag] pair per element.
        const pairs = v as [number, number][];
        return { kind: 'numeric', class: mcls, dims, real: toClass(pairs.map((p) => p[0]), mcls, path, this), imag: toClass(pairs.map((p) => p[1]), mcls, path, this) };
      }
      const real = toClass(v, mcls, path, this);
      if (real.length !== count) this.fail(`${real.length} values for dimensions ${dims.join('×')}`, path);
      return { kind: 'numeric', class: mcls, dims, real };
    }
    return { kind: 'opaque', classCode: 17 };
  }

  empty(d: H5Dataset, cls: string, path: string): MatValue {
    const stored = this.data(d, path);
    const dims = stored && typeof stored === 'object' && 'length' in (stored as object) ? Array.from(stored as ArrayLike<number | bigint>, Number) : [0, 0];
    if (dims.length < 2 || dims.some((x) => !Number.isFinite(x) || x < 0) || dims.reduce((a, b) => a * b, 1) !== 0) this.fail(`an empty array with dims [${dims.join(', ')}]`, path);
    switch (cls) {
      case 'char':
        return { kind: 'char', dims, text: '' };
      case 'cell':
        return { kind: 'cell', dims, cells: [] };
      case 'logical':
        return { kind: 'logical', dims, data: new Uint8Array(0) };
      case 'struct':
        return { kind: 'struct', dims, fields: this.fieldNames(d) ?? [], elements: [] };
      default:
        return isNumericClass(cls)
          ? { kind: 'numeric', class: cls, dims, real: toClass(new Float64Array(0), cls, path, this) }
          : { kind: 'opaque', classCode: 17 };
    }
  }

  /** MATLAB_fields (field order) when present: a list of char arrays. */
  fieldNames(e: H5Group | H5Dataset): string[] | undefined {
    const v = this.attr(e, 'MATLAB_fields');
    if (!Array.isArray(v)) return undefined;
    return v.map((f) => (Array.isArray(f) ? f.join('') : typeof f === 'string' ? f : String(f)));
  }

  struct(g: H5Group, path: string, depth: number): MatValue {
    const names = this.fieldNames(g)?.filter((f) => g.keys().includes(f)) ?? g.keys();
    const members = names.map((f) => [f, g.get(f)] as const);
    const isRefField = (m: unknown) => m instanceof this.h5.Dataset && (m as H5Dataset).metadata.type === H5T_REFERENCE && this.matlabClass(m as H5Dataset) === undefined;
    if (members.length > 0 && members.every(([, m]) => isRefField(m))) {
      // A struct array: field f of element i is the object behind reference i of dataset f.
      const dims = this.dims(members[0][1] as H5Dataset);
      const count = dims.reduce((a, b) => a * b, 1);
      const refs = members.map(([f, m]) => {
        const r = this.refs(m as H5Dataset, `${path}.${f}`);
        if (r.length !== count) this.fail(`field ${f} has ${r.length} elements, ${members[0][0]} has ${count}`, path);
        return r;
      });
      const elements: Record<string, MatValue>[] = [];
      for (let i = 0; i < count; i++) {
        const rec: Record<string, MatValue> = {};
        members.forEach(([f, m], k) => setOwn(rec, f, this.deref(m as H5Dataset, refs[k][i], `${path}(${i + 1}).${f}`, depth)));
        elements.push(rec);
      }
      return { kind: 'struct', dims, fields: names, elements };
    }
    const rec: Record<string, MatValue> = {};
    for (const [f, m] of members) {
      if (!(m instanceof this.h5.Dataset) && !(m instanceof this.h5.Group)) continue;
      setOwn(rec, f, this.value(m as H5Dataset | H5Group, `${path}.${f}`, depth + 1));
    }
    return { kind: 'struct', dims: [1, 1], fields: Object.keys(rec), elements: [rec] };
  }
}

function setOwn<T>(o: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function toClass(v: unknown, cls: MatNumericClass, path: string, r: V73Reader): MatNumericData {
  if (typeof v === 'number' || typeof v === 'bigint') v = [v];
  if (!(ArrayBuffer.isView(v) || Array.isArray(v))) r.fail('numeric data expected', path);
  const a = v as ArrayLike<number | bigint>;
  if (cls === 'int64') return BigInt64Array.from(a as ArrayLike<number | bigint>, (x) => BigInt(x));
  if (cls === 'uint64') return BigUint64Array.from(a as ArrayLike<number | bigint>, (x) => BigInt(x));
  const C = ARRAY_OF_CLASS[cls] as unknown as typeof Float64Array;
  if (v instanceof C) return v as MatNumericData;
  return C.from(Array.from(a, Number)) as MatNumericData;
}

/** True when the bytes are an HDF5 file (a MATLAB v7.3 file has its superblock at byte 512). */
export const isMatV73 = hasHdf5Signature;

/** Read a MATLAB v7.3 file's named variables (those not starting with "#"). */
export async function readMatV73(bytes: Uint8Array, fileName = 'file.mat'): Promise<Record<string, MatValue>> {
  if (!hasHdf5Signature(bytes)) throw new InputError('no HDF5 signature: not a MATLAB v7.3 file', fileName);
  return readH5(bytes, fileName, (file, h5) => {
    const r = new V73Reader(h5, fileName, bytes.length);
    const vars: Record<string, MatValue> = {};
    for (const k of file.keys()) {
      if (k.startsWith('#')) continue;
      const e = file.get(k);
      if (e instanceof h5.Dataset || e instanceof h5.Group) setOwn(vars, k, r.value(e as H5Dataset | H5Group, k, 0));
    }
    return vars;
  });
}
