import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { zlibSync } from 'fflate';
import { InputError } from '../core/errors';
import { matCell, matChar, matDouble, matFromJs, matNumbers, matStrings, matStruct, readMat, writeMat, type MatValue } from './mat';
import { writeChunksMat } from './mat-export';

// Fixtures and SciPy's view of them: tests/formats/mat.py (committed with its output).
const dir = new URL('../../../tests/formats/mat/', import.meta.url);
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
const expectedJson = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as { files: Record<string, Record<string, unknown>> };

const num = (x: number | bigint): number | string => {
  if (typeof x === 'bigint') return x >= -(2n ** 53n) + 1n && x <= 2n ** 53n - 1n ? Number(x) : x.toString();
  return Number.isNaN(x) ? 'nan' : x === Infinity ? 'inf' : x === -Infinity ? '-inf' : x;
};

/** Our value in the generator's JSON vocabulary (column-major, as loadmat's Fortran-order flattening). */
function vocabulary(v: MatValue): unknown {
  switch (v.kind) {
    case 'numeric':
      return { class: v.class, dims: v.dims, real: Array.from(v.real as ArrayLike<number | bigint>, num), ...(v.imag ? { imag: Array.from(v.imag as ArrayLike<number | bigint>, num) } : {}) };
    case 'logical':
      return { class: 'logical', dims: v.dims, data: Array.from(v.data) };
    case 'char':
      return { class: 'char', dims: v.dims, text: v.text };
    case 'cell':
      return { class: 'cell', dims: v.dims, cells: v.cells.map(vocabulary) };
    case 'struct':
      return {
        class: 'struct',
        dims: v.dims,
        fields: v.fields,
        elements: v.elements.map((e) => Object.fromEntries(v.fields.map((f) => [f, vocabulary(e[f])]))),
        ...(v.className !== undefined ? { className: v.className } : {}),
      };
    case 'sparse':
      return {
        class: 'sparse',
        dims: v.dims,
        rowIndices: Array.from(v.rowIndices),
        colStarts: Array.from(v.colStarts),
        logical: v.logical,
        real: Array.from(v.real, num),
        ...(v.imag ? { imag: Array.from(v.imag, num) } : {}),
      };
    case 'opaque':
      return { class: 'opaque' };
  }
}
const view = (vars: Record<string, MatValue>) => Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, vocabulary(v)]));

describe('readMat: files SciPy wrote (savemat, format 5)', () => {
  it.each(['scipy-v5.mat', 'scipy-v5-compressed.mat', 'scipy-v5-bigendian.mat'])('%s reads to the values loadmat gives', (name) => {
    const m = readMat(fixture(name), name);
    expect(m.littleEndian).toBe(!name.includes('bigendian'));
    expect(m.headerText).toMatch(/^MATLAB 5\.0 MAT-file/);
    expect(view(m.variables)).toEqual(expectedJson.files[name]);
  });
  it('covers every class (numeric real and complex, char, logical, cell, struct arrays, sparse)', () => {
    const kinds = new Set(Object.values(readMat(fixture('scipy-v5.mat')).variables).map((v) => (v.kind === 'numeric' ? `${v.class}${v.imag ? '+i' : ''}` : v.kind)));
    for (const k of ['double', 'double+i', 'single', 'single+i', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'char', 'logical', 'cell', 'struct', 'sparse']) expect(kinds).toContain(k);
  });
  it('reads the element layouts MATLAB writes: doubles stored as miUINT8/miINT16, miUINT16 chars, objects, function handles', () => {
    const m = readMat(fixture('crafted.mat'), 'crafted.mat');
    const expected = structuredClone(expectedJson.files['crafted.mat']) as Record<string, { cells: { dims: number[] }[] }>;
    // An miMATRIX of zero bytes is MATLAB's [] (0×0 double, as the format document says); SciPy makes it 1×0.
    expect(expected.cell_with_empty.cells[0].dims).toEqual([1, 0]);
    expected.cell_with_empty.cells[0].dims = [0, 0];
    expect(view(m.variables)).toEqual(expected);
  });
  it('gives char rows and numbers through the helpers', () => {
    const v = readMat(fixture('scipy-v5.mat')).variables;
    expect(v.txt_matrix.kind === 'char' && matStrings(v.txt_matrix)).toEqual(['abc', 'def']);
    expect(Array.from(matNumbers(v.d_mat))).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect(Array.from(matNumbers(v.sp))).toEqual([0, 2, 0, 0, 1.5, 0, 0, 0, 0, 0, 3.25, 0]);
  });
});

describe('readMat: bad input', () => {
  const good = fixture('scipy-v5.mat');
  const goodZ = fixture('scipy-v5-compressed.mat');
  it('refuses every truncation with an InputError naming the byte (never another exception)', () => {
    for (const bytes of [good, goodZ]) {
      for (let n = 0; n < bytes.length; n += n < 200 ? 1 : 7) {
        let err: unknown;
        try {
          readMat(bytes.subarray(0, n), 'cut.mat');
        } catch (e) {
          err = e;
        }
        // A cut exactly between variables is a valid shorter file.
        if (err === undefined) continue;
        expect(err, `cut at ${n}`).toBeInstanceOf(InputError);
        expect((err as Error).message).toMatch(/^cut\.mat: /);
      }
    }
    expect(() => readMat(good.subarray(0, 300), 'cut.mat')).toThrow(/truncated/);
    expect(() => readMat(goodZ.subarray(0, 300), 'cut.mat')).toThrow(/truncated|inflate/);
  });
  it('survives random byte flips: an InputError or a value, never another exception', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (const bytes of [good, goodZ]) {
      for (let k = 0; k < 600; k++) {
        const b = bytes.slice();
        for (let j = 0; j < 4; j++) b[128 + Math.floor(rand() * (b.length - 128))] = Math.floor(rand() * 256);
        try {
          readMat(b, 'flip.mat');
        } catch (e) {
          expect(e, `flip run ${k}`).toBeInstanceOf(InputError);
        }
      }
    }
  });
  it('refuses sizes the bytes cannot hold, before allocating', () => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(128 + 4, 0xfffffff0, true);
    expect(() => readMat(b, 'big.mat')).toThrow(/claims 4294967280 bytes but only \d+ remain.*MAT byte 128/);
  });
  it('refuses a compressed element that would inflate past what DEFLATE can carry', () => {
    // A real zlib stream whose inner tag claims 1 GiB: refused from the tag, nothing that large is allocated.
    const inner = new Uint8Array(64);
    new DataView(inner.buffer).setUint32(0, 14, true);
    new DataView(inner.buffer).setUint32(4, 2 ** 30, true);
    const z = zlibSync(inner);
    const file = new Uint8Array(128 + 8 + z.length);
    file.set(good.subarray(0, 128));
    new DataView(file.buffer).setUint32(128, 15, true);
    new DataView(file.buffer).setUint32(132, z.length, true);
    file.set(z, 136);
    expect(() => readMat(file, 'bomb.mat')).toThrow(/claims 1073741832 bytes when inflated; refused/);
  });
  it('refuses corrupt compressed data, v7.3 (HDF5) files and level-4 files with what to do', () => {
    const b = goodZ.slice();
    for (let i = 140; i < 160; i++) b[i] ^= 0x5a;
    expect(() => readMat(b, 'z.mat')).toThrow(InputError);
    const hdf5 = new Uint8Array(1024);
    hdf5.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(() => readMat(hdf5, 'v73.mat')).toThrow(/HDF5 file \(MATLAB v7\.3\)/);
    const v73 = good.slice(0, 512);
    v73.set(new TextEncoder().encode('MATLAB 7.3 MAT-file, Platform: GLNXA64'));
    v73[126] = 0;
    expect(() => readMat(v73, 'v73.mat')).toThrow(/v7\.3 \(HDF5\)/);
    expect(() => readMat(new Uint8Array(200), 'v4.mat')).toThrow(/level-4 files are not supported/);
  });
  it('refuses cells nested deeper than 64 (no unbounded recursion)', () => {
    // Built by hand: the writer itself refuses this depth.
    const el = (type: number, data: Uint8Array) => {
      const out = new Uint8Array(8 + data.length + ((8 - (data.length % 8)) % 8));
      const dv = new DataView(out.buffer);
      dv.setUint32(0, type, true);
      dv.setUint32(4, data.length, true);
      out.set(data, 8);
      return out;
    };
    const cat = (...p: Uint8Array[]) => {
      const out = new Uint8Array(p.reduce((a, b) => a + b.length, 0));
      let o = 0;
      for (const x of p) out.set(x, (o += x.length) - x.length);
      return out;
    };
    const header = (cls: number) => cat(el(6, new Uint8Array(new Uint32Array([cls, 0]).buffer)), el(5, new Uint8Array(new Int32Array([1, 1]).buffer)), el(1, new Uint8Array(0)));
    let m = el(14, cat(header(6), el(9, new Uint8Array(new Float64Array([1]).buffer))));
    for (let d = 0; d < 100; d++) m = el(14, cat(header(1), m));
    const file = cat(good.subarray(0, 128), m);
    expect(() => readMat(file, 'deep.mat')).toThrow(/nested deeper than 64/);
  });
});

// What our writer writes; loadmat's view of these files is tests/formats/mat/ours.json.
const DESCRIPTION = 'Platform: Neurotab, Created on: fixture written by src/lib/formats/mat.spec.ts';
const OURS: Record<string, MatValue> = {
  d_scalar: matDouble([3.5]),
  d_mat: matDouble([0, 1, 2, 3, 4, 5], [2, 3]),
  d_3d: matDouble(Array.from({ length: 24 }, (_, i) => i / 4), [2, 3, 4]),
  d_empty: matDouble([], [0, 0]),
  d_special: matDouble([NaN, Infinity, -Infinity, -0, 5e-324, 1.7976931348623157e308]),
  c_double: { kind: 'numeric', class: 'double', dims: [1, 2], real: Float64Array.of(1, -3), imag: Float64Array.of(2, 0.5) },
  s_row: { kind: 'numeric', class: 'single', dims: [1, 2], real: Float32Array.of(1.5, -2.25) },
  i8: { kind: 'numeric', class: 'int8', dims: [1, 3], real: Int8Array.of(-128, 0, 127) },
  u16: { kind: 'numeric', class: 'uint16', dims: [1, 2], real: Uint16Array.of(0, 65535) },
  i32: { kind: 'numeric', class: 'int32', dims: [2, 1], real: Int32Array.of(-(2 ** 31), 2 ** 31 - 1) },
  i64: { kind: 'numeric', class: 'int64', dims: [1, 2], real: BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n) },
  u64: { kind: 'numeric', class: 'uint64', dims: [1, 1], real: BigUint64Array.of(2n ** 64n - 1n) },
  txt: matChar('hello'),
  txt_unicode: matChar('µV ünï ✓'),
  txt_empty: matChar(''),
  txt_matrix: { kind: 'char', dims: [2, 3], text: 'adbecf' },
  logical: { kind: 'logical', dims: [1, 3], data: Uint8Array.of(1, 0, 1) },
  cell: matCell([matDouble([1]), matChar('two'), matCell([matChar('nested')]), matStruct({ a: matDouble([1, 2]) })]),
  st: matStruct({ a: matDouble([1]), b: matChar('text'), nested: matStruct({ x: matDouble([1, 2, 3]) }) }),
  st_array: matStruct([
    { name: matChar('a'), value: matDouble([1]) },
    { name: matChar('bb'), value: matDouble([1, 2]) },
  ]),
  js: matFromJs({ label: 'Cz', values: [1, 2.5], flags: [true, false], mixed: ['a', 1, null], f32: Float32Array.of(0.5) }),
};
const EXPORT = writeChunksMat(
  [
    {
      name: 'eeg',
      // time × space, row-major: sample t of channel c is 10·t + c.
      data: Float64Array.from({ length: 6 }, (_, k) => 10 * Math.floor(k / 2) + (k % 2)),
      shape: [3, 2],
      axes: [
        { type: 'time', timesMs: [0, 4, 8], nominalRateHz: 250 },
        { type: 'space', names: ['C3', 'C4'], units: ['uV', 'uV'], types: ['EEG', 'EEG'], positionsM: [-0.05, 0, 0.06, 0.05, 0, 0.06] },
      ],
      props: { is_signal: true, is_streaming: false, source: 'test' },
    },
    {
      name: 'markers',
      // A marker chunk's block is a vector along its instance axis (NaN, as NeuroPype's).
      data: [NaN, NaN],
      shape: [2],
      axes: [{ type: 'instance', timesMs: [1000, 2500], fields: { Marker: ['left', 'right'], TargetValue: [0, 1] } }],
    },
    {
      name: 'eeg',
      data: Float64Array.from({ length: 8 }, (_, k) => k),
      shape: [2, 2, 2],
      axes: [
        { type: 'instance', timesMs: [0, 1000] },
        { type: 'frequency', frequenciesHz: [8, 12] },
        { type: 'feature', names: ['f1', 'f2'] },
      ],
    },
  ],
  { description: DESCRIPTION },
);
const OUR_FILES: Record<string, Uint8Array> = {
  'ours.mat': writeMat(OURS, { compress: false, description: DESCRIPTION }),
  'ours-compressed.mat': writeMat(OURS, { compress: true, description: DESCRIPTION }),
  'ours-export.mat': EXPORT,
};

describe('writeMat', () => {
  it('reads back through our reader to the same values', () => {
    for (const [name, bytes] of Object.entries(OUR_FILES).slice(0, 2)) expect(view(readMat(bytes, name).variables), name).toEqual(view(OURS));
  });
  it('writes the committed files that loadmat read (regenerate: MAT_WRITE=1 vitest run …mat.spec.ts, then /usr/bin/python3 tests/formats/mat.py)', () => {
    if (process.env.MAT_WRITE) for (const [name, bytes] of Object.entries(OUR_FILES)) writeFileSync(new URL(name, dir), bytes);
    for (const [name, bytes] of Object.entries(OUR_FILES)) expect(Buffer.compare(Buffer.from(bytes), Buffer.from(fixture(name))), `${name} differs from the committed file`).toBe(0);
  });
  it('is read by SciPy (loadmat) to the values written', () => {
    const ours = JSON.parse(readFileSync(new URL('ours.json', dir), 'utf8')) as { files: Record<string, Record<string, unknown>> };
    expect(ours.files['ours.mat']).toEqual(view(OURS));
    expect(ours.files['ours-compressed.mat']).toEqual(view(OURS));
  });
  it('refuses what MATLAB cannot hold, naming it', () => {
    expect(() => writeMat({ '1bad': matDouble([1]) })).toThrow(/variable name "1bad" is not a MATLAB identifier/);
    expect(() => writeMat({ x: matStruct({ 'bad-name': matDouble([1]) }) })).toThrow(/x: field name "bad-name"/);
    expect(() => writeMat({ x: matDouble([1, 2], [3, 1]) })).toThrow(/x: dimensions \[3, 1\] do not fit 2 elements/);
    expect(() => writeMat({ x: { kind: 'numeric', class: 'int8', dims: [1, 1], real: Float64Array.of(1) } })).toThrow(/int8 array needs a Int8Array/);
  });
});

describe('writeChunksMat (the layout ExportMAT writes)', () => {
  it('is read by SciPy to the data and axes of each chunk', () => {
    const ours = (JSON.parse(readFileSync(new URL('ours.json', dir), 'utf8')) as { files: Record<string, Record<string, Record<string, unknown>>> }).files['ours-export.mat'];
    expect(Object.keys(ours)).toEqual(['eeg', 'markers', 'eeg_2']);
    const el = (v: unknown) => (v as { elements: Record<string, unknown>[] }).elements[0] as Record<string, any>;
    const eeg = el(ours.eeg);
    expect(eeg.name.text).toBe('eeg');
    // data(t, c) = 10·t + c (MATLAB indexing), i.e. column-major [0 10 20 1 11 21].
    expect(eeg.data).toEqual({ class: 'double', dims: [3, 2], real: [0, 10, 20, 1, 11, 21] });
    const [time, space] = eeg.axes.cells.map(el);
    expect(time.type.text).toBe('time');
    expect(time.times).toEqual({ class: 'double', dims: [3, 1], real: [0, 0.004, 0.008] });
    expect(time.nominal_rate.real).toEqual([250]);
    expect(space.names.cells.map((c: { text: string }) => c.text)).toEqual(['C3', 'C4']);
    expect(space.positions).toEqual({ class: 'double', dims: [2, 3], real: [-0.05, 0.05, 0, 0, 0.06, 0.06] });
    expect(el(eeg.props).is_signal).toEqual({ class: 'logical', dims: [1, 1], data: [1] });
    const markers = el(ours.markers);
    expect(markers.data.dims).toEqual([2, 1]);
    const inst = el(markers.axes.cells[0]);
    expect(inst.times.real).toEqual([1, 2.5]);
    expect(el(inst.data).Marker.cells.map((c: { text: string }) => c.text)).toEqual(['left', 'right']);
    expect(el(inst.data).TargetValue.real).toEqual([0, 1]);
    // 3-D: data(i, f, k) = block[i][f][k] = 4i + 2f + k.
    expect(el(ours.eeg_2).data).toEqual({ class: 'double', dims: [2, 2, 2], real: [0, 4, 2, 6, 1, 5, 3, 7] });
  });
  it('refuses chunks whose axes do not fit their shape', () => {
    expect(() => writeChunksMat([{ name: 'x', data: [1, 2], shape: [2], axes: [{ type: 'axis', length: 3 }] }])).toThrow(/chunk "x": axis 1 \(axis\) has 3 entries for a dimension of 2/);
  });
});

const python = '/usr/bin/python3';
const hasScipy = existsSync(python) && (() => {
  try {
    execFileSync(python, ['-c', 'import scipy.io'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasScipy) console.warn('mat.spec: Debian python3-scipy not found — the live loadmat check is SKIPPED (the committed ours.json is still checked)');

describe.skipIf(!hasScipy)('live: loadmat reads what writeMat writes now', () => {
  it('matches the values written', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'mat-'));
    const files = Object.entries(OUR_FILES).slice(0, 2).map(([name, bytes]) => {
      const f = join(tmp, name);
      writeFileSync(f, bytes);
      return f;
    });
    const script = new URL('../../../tests/formats/mat.py', import.meta.url).pathname;
    const seen = JSON.parse(execFileSync(python, [script, '--read', ...files], { encoding: 'utf8' }));
    for (const f of files) expect(seen[f], f).toEqual(view(OURS));
  });
});
