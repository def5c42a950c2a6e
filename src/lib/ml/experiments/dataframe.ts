// pandas-style DataFrame JSON (records, split, column-dict) and CSV text → a continuous recording
// with markers, the form ExperimentHub clients publish to a queue (API.md §11, #18). Numeric columns
// are channels; one column (default "marker") holds marker values (empty/null = none). Pure; runs
// anywhere. Allocates the whole table: the caller bounds the body size first.
import { InputError } from '../../core/errors';
import type { RecordingLike } from '../prepare';

export type Table = { columns: string[]; rows: unknown[][] };

export function parseDataFrame(doc: unknown, where = 'data'): Table {
  if (Array.isArray(doc)) {
    if (doc.length === 0) throw new InputError('is an empty list of records', where);
    const columns: string[] = [];
    for (const r of doc) {
      if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new InputError('records must be objects', where);
      for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
    }
    return { columns, rows: doc.map((r) => columns.map((c) => (r as Record<string, unknown>)[c] ?? null)) };
  }
  if (typeof doc === 'object' && doc !== null) {
    const d = doc as Record<string, unknown>;
    if (Array.isArray(d.columns) && Array.isArray(d.data)) {
      const columns = d.columns.map(String);
      const rows = d.data as unknown[];
      if (!rows.every((r) => Array.isArray(r) && r.length === columns.length)) throw new InputError(`"split" rows must be lists of ${columns.length} values`, where);
      return { columns, rows: rows as unknown[][] };
    }
    const columns = Object.keys(d);
    if (columns.length === 0) throw new InputError('has no columns', where);
    const cols = columns.map((c) => {
      const v = d[c];
      if (Array.isArray(v)) return v;
      if (typeof v === 'object' && v !== null) {
        const entries = Object.entries(v as Record<string, unknown>).sort((a, b) => Number(a[0]) - Number(b[0]));
        return entries.map((e) => e[1]);
      }
      throw new InputError(`column "${c}" must be a list or an {index: value} object`, where);
    });
    const n = cols[0].length;
    if (!cols.every((c) => c.length === n)) throw new InputError('columns have different lengths', where);
    return { columns, rows: Array.from({ length: n }, (_, i) => cols.map((c) => c[i])) };
  }
  throw new InputError('must be a DataFrame as JSON (records list, split or column form)', where);
}

export function parseCsvTable(text: string, where = 'data'): Table {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new InputError('CSV needs a header line and at least one row', where);
  const columns = lines[0].split(',').map((s) => s.trim());
  const rows = lines.slice(1).map((l, i) => {
    const cells = l.split(',');
    if (cells.length !== columns.length) throw new InputError(`CSV line ${i + 2} has ${cells.length} cells, the header has ${columns.length}`, where);
    return cells.map((c) => {
      const t = c.trim();
      return t !== '' && Number.isFinite(Number(t)) ? Number(t) : t;
    });
  });
  return { columns, rows };
}

/** A table → recording: numeric columns are EEG channels at `sampleRateHz`; `markerColumn` holds markers. */
export function recordingFromTable(t: Table, sampleRateHz: number, markerColumn = 'marker', where = 'data'): RecordingLike {
  if (!(sampleRateHz > 0)) throw new InputError('needs "sample_rate_hz" (in setup) to read a table as a recording', where);
  const mi = t.columns.indexOf(markerColumn);
  const chans = t.columns.map((_, i) => i).filter((i) => i !== mi && t.columns[i] !== 'timestamp' && t.columns[i] !== 'index');
  if (chans.length === 0) throw new InputError('has no channel columns', where);
  const n = t.rows.length;
  const samples = new Float32Array(n * chans.length);
  const timestampsMs = new Float64Array(n);
  const markers: RecordingLike['markers'] = [];
  t.rows.forEach((row, r) => {
    timestampsMs[r] = (r * 1000) / sampleRateHz;
    chans.forEach((ci, c) => {
      const v = row[ci];
      if (typeof v !== 'number') throw new InputError(`row ${r}, column "${t.columns[ci]}" is ${JSON.stringify(v)}, not a number`, where);
      samples[r * chans.length + c] = v;
    });
    if (mi >= 0) {
      const m = row[mi];
      if (m !== null && m !== undefined && m !== '' && m !== 0) markers.push({ timestampMs: timestampsMs[r], value: String(m) });
    }
  });
  return {
    streams: [
      {
        descriptor: {
          id: 'eeg',
          name: 'EEG',
          kind: 'eeg',
          sampleRateHz,
          channels: chans.map((i) => ({ label: t.columns[i], unit: 'uV', type: 'EEG' })),
        } as RecordingLike['streams'][number]['descriptor'],
        samples,
        timestampsMs,
      },
    ],
    markers,
  };
}

/** pandas `to_json(orient='columns')`: {"col": {"0": v, "1": v}}. */
export function columnJson(cols: Record<string, ArrayLike<unknown>>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(cols)) {
    const col: Record<string, unknown> = {};
    for (let i = 0; i < v.length; i++) col[String(i)] = v[i];
    out[k] = col;
  }
  return out;
}
