// Shared pieces of the table-based experiment types (time_series, fault_detection, fnirs_classification):
// the data a run receives (a published DataFrame or stored recordings), column access with clear
// errors, a recording seen as a table, parameter readers, and the EDA figures (series, histogram,
// correlation) as Plotly-style JSON. Pure; runs anywhere (training worker, Node). Allocates copies.
import { InputError } from '../../core/errors';
import { markersToSamples, type RecordingLike } from '../prepare';
import type { Table } from './dataframe';
import type { PlotlyFigure } from './run';

/** What a run or a prediction gets: the next queue message, or recordings named in `data.recordings`. */
export interface DataInput {
  table: Table | null;
  recordings: { recording: RecordingLike; source: string }[];
}

export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** setup, create_model.params and the top level merged (params win), plus create_model.model_type. */
export function hubSections(doc: Record<string, unknown>): { flat: Record<string, unknown>; modelType: string | undefined } {
  const setup = isObj(doc.setup) ? doc.setup : {};
  const cm = isObj(doc.create_model) ? doc.create_model : {};
  const params = isObj(cm.params) ? cm.params : {};
  return { flat: { ...doc, ...setup, ...params }, modelType: typeof cm.model_type === 'string' ? cm.model_type : typeof doc.model_type === 'string' ? doc.model_type : undefined };
}

/** Typed readers of optional parameters; errors name the key. */
export const param = {
  number(flat: Record<string, unknown>, key: string, where: string, check: (v: number) => boolean, rule: string): number | undefined {
    const v = flat[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !check(v)) throw new InputError(`must be ${rule}; got ${JSON.stringify(v)}`, `${where}.${key}`);
    return v;
  },
  string(flat: Record<string, unknown>, key: string, where: string): string | undefined {
    const v = flat[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v === '') throw new InputError(`must be a non-empty string; got ${JSON.stringify(v)}`, `${where}.${key}`);
    return v;
  },
  strings(flat: Record<string, unknown>, key: string, where: string): string[] | undefined {
    const v = flat[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string' && v !== '') return [v];
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && x !== '')) throw new InputError('must be a column name or a non-empty list of them', `${where}.${key}`);
    return v as string[];
  },
  pair(flat: Record<string, unknown>, key: string, where: string): [number, number] | undefined {
    const v = flat[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x)) || !(v[1] > v[0])) throw new InputError('must be [start, end] numbers with end > start', `${where}.${key}`);
    return [v[0], v[1]];
  },
};

export function columnIndex(t: Table, name: string, where: string): number {
  const i = t.columns.indexOf(name);
  if (i < 0) throw new InputError(`has no column "${name}" (columns: ${t.columns.join(', ')})`, where);
  return i;
}

/** A column as numbers; null/empty/non-numbers are refused with their row. */
export function numericColumn(t: Table, i: number, where: string): Float64Array {
  const out = new Float64Array(t.rows.length);
  t.rows.forEach((row, r) => {
    const v = row[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`row ${r}, column "${t.columns[i]}" is ${JSON.stringify(v)}, not a finite number`, where);
    out[r] = v;
  });
  return out;
}

/** Columns whose values are all numbers (booleans count as 0/1 nowhere: they are labels), minus `exclude`. */
export function numericColumnNames(t: Table, exclude: string[]): string[] {
  return t.columns.filter((c, i) => !exclude.includes(c) && t.rows.length > 0 && t.rows.every((r) => typeof r[i] === 'number'));
}

/** A recording's first stream as a table: ds (epoch ms of each frame), one column per channel, marker. */
export function tableFromRecordings(recs: DataInput['recordings'], where: string): Table {
  if (recs.length === 0) throw new InputError('no data', where);
  const first = recs[0].recording.streams[0];
  if (!first) throw new InputError(`${recs[0].source} has no streams`, where);
  const labels = first.descriptor.channels.map((c) => c.label);
  const columns = ['ds', ...labels, 'marker'];
  const rows: unknown[][] = [];
  for (const { recording, source } of recs) {
    const s = recording.streams[0];
    const C = s.descriptor.channels.length;
    if (C !== labels.length || s.descriptor.channels.some((c, i) => c.label !== labels[i])) throw new InputError(`${source} has other channels than ${recs[0].source}`, where);
    const ts = s.timestampsMs;
    const byFrame = new Map<number, string>(markersToSamples(ts, s.descriptor.sampleRateHz || 1, recording.markers).map((m) => [m.sample, m.value]));
    for (let f = 0; f < ts.length; f++) {
      const row: unknown[] = [ts[f]];
      for (let c = 0; c < C; c++) row.push(s.samples[f * C + c]);
      row.push(byFrame.get(f) ?? null);
      rows.push(row);
    }
  }
  return { columns, rows };
}

export function tableOf(input: DataInput, where: string): Table {
  return input.table ?? tableFromRecordings(input.recordings, where);
}

// ── EDA figures ──

export function seriesFigure(x: ArrayLike<unknown>, cols: { name: string; values: ArrayLike<number> }[], title: string): PlotlyFigure {
  return {
    data: cols.map((c) => ({ type: 'scatter', mode: 'lines', name: c.name, x: Array.from(x), y: Array.from(c.values) })),
    layout: { title: { text: title } },
  };
}

export function histogramFigure(cols: { name: string; values: ArrayLike<number> }[], bins = 30): PlotlyFigure {
  return {
    data: cols.map((c) => {
      const v = Array.from(c.values);
      const lo = Math.min(...v);
      const hi = Math.max(...v);
      const w = hi > lo ? (hi - lo) / bins : 1;
      const counts = new Array<number>(bins).fill(0);
      for (const x of v) counts[Math.min(bins - 1, Math.floor((x - lo) / w))]++;
      return { type: 'bar', name: c.name, x: counts.map((_, i) => lo + (i + 0.5) * w), y: counts, opacity: 0.6 };
    }),
    layout: { title: { text: 'Value distribution' }, barmode: 'overlay', xaxis: { title: { text: 'value' } }, yaxis: { title: { text: 'count' } } },
  };
}

/** Pearson correlation matrix of the columns (NaN-free input). */
export function correlationMatrix(cols: ArrayLike<number>[]): number[][] {
  const n = cols[0]?.length ?? 0;
  const z = cols.map((c) => {
    let m = 0;
    for (let i = 0; i < n; i++) m += c[i];
    m /= n;
    let s = 0;
    for (let i = 0; i < n; i++) s += (c[i] - m) ** 2;
    const sd = Math.sqrt(s) || 1;
    return Float64Array.from({ length: n }, (_, i) => (c[i] - m) / sd);
  });
  return z.map((a) => z.map((b) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i] * b[i];
    return s;
  }));
}

export function correlationFigure(cols: { name: string; values: ArrayLike<number> }[]): PlotlyFigure {
  const names = cols.map((c) => c.name);
  return {
    data: [{ type: 'heatmap', x: names, y: names, z: correlationMatrix(cols.map((c) => c.values)), zmin: -1, zmax: 1, colorscale: 'RdBu' }],
    layout: { title: { text: 'Correlation (Pearson)' } },
  };
}

/** Whole-array statistics used by the unsupervised scores. */
export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return a.length ? s / a.length : NaN;
}
