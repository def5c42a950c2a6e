// The MAT layout NeuroPype's ExportMAT writes here: one struct per chunk of a packet, holding the
// data block and its axes. The engine's ExportMAT node maps its chunks onto MatExportChunk (a
// structural type: formats import nothing from the engine) and calls writeChunksMat. Pure; runs
// anywhere; allocates the whole file (offline export, not for a streaming loop).
//
// Layout (MAT level 5, compressed; all numbers double, times in seconds):
//   one variable per chunk, named after the chunk ("eeg", "markers"; characters MATLAB does not
//   allow become "_", a leading non-letter gets an "x" prefix, repeats get "_2", "_3" …), a 1×1
//   struct with fields
//     name   char     the chunk's own name
//     data   double   the block with dims = shape, in the chunk's axis order: data(i1, …, in) is
//                     block[i1]…[in] (one axis → an n×1 column)
//     axes   1×n cell, one struct per dimension, in order, each with `type` (char) and by type:
//              time       times (n×1, s), nominal_rate (Hz; 0 = irregular)
//              space      names, units, types (n×1 cells of char), positions (n×3, metres; NaN = unknown)
//              frequency  frequencies (n×1, Hz)
//              instance   times (n×1, s), data (struct: one n×1 field per instance field — cells
//                         of char for text such as Marker, doubles for numbers such as TargetValue)
//              feature    names, units (n×1 cells)
//              statistic  names (n×1 cell)
//              lag        lags (n×1, samples)
//              axis       length
//     props  struct   the chunk's properties (flags as logical, the rest as char or double)
import { InputError } from '../core/errors';
import { MAT_NAME, matChar, matDouble, matStruct, writeMat, type MatCell, type MatValue } from './mat';

export type MatExportAxis =
  | { type: 'time'; timesMs: ArrayLike<number>; nominalRateHz: number }
  | { type: 'space'; names: string[]; units?: string[]; types?: string[]; /** n×3 row-major, metres; NaN = unknown. */ positionsM?: ArrayLike<number> }
  | { type: 'frequency'; frequenciesHz: ArrayLike<number> }
  | { type: 'instance'; timesMs: ArrayLike<number>; fields?: Record<string, ArrayLike<number> | string[]> }
  | { type: 'feature'; names: string[]; units?: string[] }
  | { type: 'statistic'; names: string[] }
  | { type: 'lag'; lags: ArrayLike<number> }
  | { type: 'axis'; length: number };

export interface MatExportChunk {
  name: string;
  /** Row-major (C order) block of `shape`. */
  data: ArrayLike<number>;
  shape: number[];
  /** One per dimension, in the block's order. */
  axes: MatExportAxis[];
  props?: Record<string, boolean | number | string>;
}

const column = (v: ArrayLike<number>, scale = 1): MatValue => matDouble(Array.from(v, (x) => x * scale), [v.length, 1]);
const textColumn = (v: string[]): MatCell => ({ kind: 'cell', dims: [v.length, 1], cells: v.map(matChar) });

/** Axis length, for the shape check. */
function axisLength(a: MatExportAxis): number {
  switch (a.type) {
    case 'time':
    case 'instance':
      return a.timesMs.length;
    case 'space':
    case 'feature':
    case 'statistic':
      return a.names.length;
    case 'frequency':
      return a.frequenciesHz.length;
    case 'lag':
      return a.lags.length;
    case 'axis':
      return a.length;
  }
}

function axisStruct(a: MatExportAxis, where: string): MatValue {
  const n = axisLength(a);
  const fields: Record<string, MatValue> = { type: matChar(a.type) };
  const same = (v: { length: number } | undefined, what: string) => {
    if (v && v.length !== n) throw new InputError(`${what} has ${v.length} entries for ${n} along the axis`, where);
  };
  switch (a.type) {
    case 'time':
      fields.times = column(a.timesMs, 1e-3);
      fields.nominal_rate = matDouble([a.nominalRateHz]);
      break;
    case 'space': {
      same(a.units, 'units');
      same(a.types, 'types');
      if (a.positionsM && a.positionsM.length !== 3 * n) throw new InputError(`positions hold ${a.positionsM.length} numbers for ${n} channels × 3`, where);
      fields.names = textColumn(a.names);
      fields.units = textColumn(a.units ?? a.names.map(() => ''));
      fields.types = textColumn(a.types ?? a.names.map(() => ''));
      // n×3, column-major from the row-major input.
      const pos = new Float64Array(3 * n).fill(NaN);
      if (a.positionsM) for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) pos[i + n * k] = a.positionsM[3 * i + k];
      fields.positions = matDouble(pos, [n, 3]);
      break;
    }
    case 'frequency':
      fields.frequencies = column(a.frequenciesHz);
      break;
    case 'instance': {
      fields.times = column(a.timesMs, 1e-3);
      const data: Record<string, MatValue> = {};
      for (const [k, v] of Object.entries(a.fields ?? {})) {
        same(v, `instance field ${k}`);
        if (!MAT_NAME.test(k)) throw new InputError(`instance field ${JSON.stringify(k)} is not a MATLAB identifier`, where);
        data[k] = Array.isArray(v) && v.every((x) => typeof x === 'string') ? textColumn(v as string[]) : column(v as ArrayLike<number>);
      }
      fields.data = matStruct(data);
      break;
    }
    case 'feature':
      same(a.units, 'units');
      fields.names = textColumn(a.names);
      fields.units = textColumn(a.units ?? a.names.map(() => ''));
      break;
    case 'statistic':
      fields.names = textColumn(a.names);
      break;
    case 'lag':
      fields.lags = column(a.lags);
      break;
    case 'axis':
      fields.length = matDouble([a.length]);
      break;
  }
  return matStruct(fields);
}

/** A MATLAB variable name for a chunk name (see the module header), unique among `taken`. */
export function matVariableName(name: string, taken: Set<string>): string {
  let base = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z]/.test(base)) base = 'x' + base;
  base = base.slice(0, 63);
  let v = base;
  for (let k = 2; taken.has(v); k++) v = `${base.slice(0, 63 - String(k).length - 1)}_${k}`;
  taken.add(v);
  return v;
}

/** The chunks of a packet as a MAT file, in the layout above. */
export function writeChunksMat(chunks: MatExportChunk[], options: { description?: string } = {}): Uint8Array {
  const taken = new Set<string>();
  const vars: Record<string, MatValue> = {};
  for (const c of chunks) {
    const where = `chunk "${c.name}"`;
    if (c.axes.length !== c.shape.length) throw new InputError(`${c.shape.length} dimensions but ${c.axes.length} axes`, where);
    c.axes.forEach((a, d) => {
      if (axisLength(a) !== c.shape[d]) throw new InputError(`axis ${d + 1} (${a.type}) has ${axisLength(a)} entries for a dimension of ${c.shape[d]}`, where);
    });
    const count = c.shape.reduce((a, b) => a * b, 1);
    if (c.data.length !== count) throw new InputError(`${c.data.length} values for shape ${c.shape.join('×')}`, where);
    // Row-major → column-major: the same element order MATLAB indexes with data(i1, …, in).
    const dims = c.shape.length === 1 ? [c.shape[0], 1] : c.shape.length === 0 ? [1, 1] : c.shape;
    const colMajor = new Float64Array(count);
    const strides = c.shape.map((_, d) => c.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    const idx = new Array<number>(c.shape.length).fill(0);
    for (let k = 0; k < count; k++) {
      // k runs column-major over idx (first index fastest).
      let src = 0;
      for (let d = 0; d < idx.length; d++) src += idx[d] * strides[d];
      colMajor[k] = c.data[src];
      for (let d = 0; d < idx.length && ++idx[d] === c.shape[d]; d++) idx[d] = 0;
    }
    const props: Record<string, MatValue> = {};
    for (const [k, v] of Object.entries(c.props ?? {})) {
      if (!MAT_NAME.test(k)) throw new InputError(`property ${JSON.stringify(k)} is not a MATLAB identifier`, where);
      props[k] = typeof v === 'boolean' ? { kind: 'logical', dims: [1, 1], data: Uint8Array.of(v ? 1 : 0) } : typeof v === 'number' ? matDouble([v]) : matChar(v);
    }
    vars[matVariableName(c.name, taken)] = matStruct({
      name: matChar(c.name),
      data: matDouble(colMajor, dims),
      axes: { kind: 'cell', dims: [1, c.axes.length], cells: c.axes.map((a, d) => axisStruct(a, `${where} axis ${d + 1}`)) },
      props: matStruct(props),
    });
  }
  return writeMat(vars, { compress: true, ...(options.description ? { description: options.description } : {}) });
}
