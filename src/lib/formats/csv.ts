// Text recordings: OpenBCI GUI files, BrainFlow raw CSV (DataFilter.write_file), muse-lsl CSV, and
// Neurotab's own CSV (`timestamp_ms,<labels…>` + `<name>.markers.csv` with `timestamp_ms,value`).
// Pure; runs anywhere. Parses the whole text at once (allocates ~ a few × file size).
//
// Supported layouts (detected from the text):
// - OpenBCI GUI v5/v6 (BrainFlow era): `%` comment lines (`%Sample Rate = 250 Hz`,
//   `%Number of channels = 8`, `%Board = OpenBCI_GUI$BoardCytonSerial`), then a column-name row
//   ("Sample Index, EXG Channel 0, …, Accel Channel 0…2, …, Timestamp, Marker, Timestamp
//   (Formatted)"), comma separated. "EXG Channel n" → EEG stream (µV); "Accel Channel n" → aux
//   stream (g); "Marker" non-zero → marker; "Timestamp" (unix s or ms) anchors the start.
//   Older GUI files with `%` lines but no column row are read by position: index, n EXG channels,
//   3 accel, …, last numeric column = unix ms. Frame timestamps are the regular grid
//   start + i / rate (the file's timestamps are per-packet PC arrival times with duplicates).
// - BrainFlow raw CSV: tab separated, no header, one row per sample; the column layout is the
//   board's (BrainFlow brainflow_boards.cpp): 24 columns = Cyton (250 Hz, EEG 1–8, accel 9–11,
//   timestamp 22 in unix s, marker 23), 15 = Ganglion (200 Hz, EEG 1–4, accel 5–7, timestamp 13,
//   marker 14), 32 = Synthetic (250 Hz, EEG 1–16, accel 17–19, gyro 20–22, timestamp 30,
//   marker 31). 32 columns could also be Cyton+Daisy: pass `brainflowBoard: 'cyton-daisy'`.
//   Timestamps are the file's own (unix s → ms).
// - muse-lsl: `timestamps,TP9,AF7,AF8,TP10,Right AUX,Marker[0]`; timestamps in s (unix or LSL),
//   256 Hz; non-zero Marker → marker. Frame timestamps are the file's own.
// - Neurotab CSV: first column `timestamp_ms`, other columns are channels (unit unknown → "").
import { InputError } from '../core/errors';
import type { ChannelInfo, MarkerEvent, StreamDescriptor } from '../core/stream';
import { decodeUtf8, encodeUtf8 } from './bytes';
import type { RecordingData, RecordingStream } from './recording';

export type CsvLayout = 'openbci' | 'brainflow' | 'muse-csv' | 'csv';
export type BrainflowBoard = 'cyton' | 'ganglion' | 'synthetic' | 'cyton-daisy';

export interface CsvReadOptions {
  brainflowBoard?: BrainflowBoard;
}

interface BoardLayout {
  name: string;
  rateHz: number;
  columns: number;
  eeg: number[];
  eegNames?: string[];
  accel: number[];
  gyro: number[];
  timestamp: number;
  marker: number;
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

export const BRAINFLOW_BOARDS: Record<BrainflowBoard, BoardLayout> = {
  cyton: { name: 'Cyton', rateHz: 250, columns: 24, eeg: range(1, 8), accel: [9, 10, 11], gyro: [], timestamp: 22, marker: 23 },
  ganglion: { name: 'Ganglion', rateHz: 200, columns: 15, eeg: range(1, 4), accel: [5, 6, 7], gyro: [], timestamp: 13, marker: 14 },
  synthetic: {
    name: 'Synthetic',
    rateHz: 250,
    columns: 32,
    eeg: range(1, 16),
    eegNames: 'Fz,C3,Cz,C4,Pz,PO7,Oz,PO8,F5,F7,F3,F1,F2,F4,F6,F8'.split(','),
    accel: [17, 18, 19],
    gyro: [20, 21, 22],
    timestamp: 30,
    marker: 31,
  },
  'cyton-daisy': { name: 'CytonDaisy', rateHz: 125, columns: 32, eeg: range(1, 16), accel: [17, 18, 19], gyro: [], timestamp: 30, marker: 31 },
};

const STANDARD_RATES = [64, 100, 125, 128, 200, 250, 256, 500, 512, 1000, 1024, 2000, 2048, 4096, 8192];

/** Estimate a nominal rate from timestamps (ms): mean interval over the steps that are not gaps
 *  (≤ max(20 × the median step, 0.5 s): Bluetooth packet jitter and quantised stamps such as
 *  muse-lsl's 3/4 ms steps average out, recording gaps are ignored), snapped to a standard rate within 2 %. */
export function estimateRateHz(tMs: Float64Array): number {
  const n = tMs.length;
  if (n < 2 || !(tMs[n - 1] > tMs[0])) return 0;
  const stride = Math.max(1, Math.floor((n - 1) / 20000));
  const sample: number[] = [];
  for (let i = stride; i < n; i += stride) sample.push(tMs[i] - tMs[i - 1]);
  sample.sort((a, b) => a - b);
  const limit = Math.max(20 * sample[sample.length >> 1], 500);
  let sum = 0;
  let count = 0;
  for (let i = 1; i < n; i++) {
    const d = tMs[i] - tMs[i - 1];
    if (d >= 0 && d <= limit) {
      sum += d;
      count++;
    }
  }
  const r = count > 0 && sum > 0 ? (count * 1000) / sum : ((n - 1) * 1000) / (tMs[n - 1] - tMs[0]);
  for (const s of STANDARD_RATES) if (Math.abs(r - s) / s < 0.02) return s;
  return Number(r.toPrecision(6));
}

/** Which text layout the bytes hold (by content). */
export function detectCsvLayout(text: string): CsvLayout {
  const first = text.slice(0, 200).trimStart();
  if (first.startsWith('%')) return 'openbci';
  const line = first.split(/\r?\n/, 1)[0];
  if (/^timestamps,/.test(line)) return 'muse-csv';
  if (/^timestamp_ms(,|$)/.test(line)) return 'csv';
  if (line.includes('\t') && /^[-+0-9.eE\t ]+$/.test(line)) return 'brainflow';
  return 'csv';
}

function lines(text: string): string[] {
  const out = text.split(/\r?\n/);
  while (out.length && out[out.length - 1].trim() === '') out.pop();
  return out;
}

function cellNumber(s: string | undefined, fileName: string, line: number, column: string): number {
  if (s === undefined) throw new InputError(`line ${line}, column "${column}": missing value`, fileName);
  const t = s.trim();
  const v = Number(t);
  if (t === '' || !Number.isFinite(v)) {
    if (/^nan$/i.test(t)) return NaN;
    throw new InputError(`line ${line}, column "${column}": "${t.slice(0, 40)}" is not a number`, fileName);
  }
  return v;
}

function makeStream(id: string, kind: StreamDescriptor['kind'], rateHz: number, channels: ChannelInfo[], samples: Float32Array, t: Float64Array): RecordingStream {
  return { descriptor: { id, name: id, kind, sampleRateHz: rateHz, channels }, samples, timestampsMs: t };
}

/** Read any supported text layout. */
export function readCsv(bytes: Uint8Array, fileName = 'recording.csv', options: CsvReadOptions = {}): RecordingData {
  const text = decodeUtf8(bytes);
  const layout = detectCsvLayout(text);
  if (layout === 'openbci') return readOpenBci(text, fileName);
  if (layout === 'brainflow') return readBrainflow(text, fileName, options.brainflowBoard);
  if (layout === 'muse-csv') return readMuse(text, fileName);
  return readNeurotabCsv(text, fileName);
}

function readOpenBci(text: string, fileName: string): RecordingData {
  const all = lines(text);
  const header: Record<string, string> = {};
  let i = 0;
  for (; i < all.length && all[i].startsWith('%'); i++) {
    const m = /^%\s*([^=]+?)\s*=\s*(.*)$/.exec(all[i]);
    if (m) header[m[1].toLowerCase()] = m[2].trim();
  }
  const rateText = header['sample rate'];
  const rateHz = rateText ? parseFloat(rateText) : NaN;
  if (!(rateHz > 0)) throw new InputError(`OpenBCI header line "%Sample Rate = … Hz" is missing or invalid`, fileName);
  const declaredChannels = header['number of channels'] ? parseInt(header['number of channels'], 10) : undefined;
  let names: string[] | null = null;
  if (i < all.length && /[A-Za-z]/.test(all[i].split(',')[0])) {
    names = all[i].split(',').map((s) => s.trim());
    i++;
  }
  const rows = all.slice(i).filter((l) => l.trim() !== '');
  if (rows.length === 0) throw new InputError('no data rows after the OpenBCI header', fileName);
  // OpenBCI GUI v5 may write a row of zeros (sample index, every channel and the timestamp: 1970)
  // right after the header: a bogus frame, dropped when the row after it carries a real timestamp.
  let notes: string | undefined;
  if (rows.length > 1 && isZeroRow(rows[0], names) && epochColumn(rows[1], names, declaredChannels) >= 0) {
    notes = `Skipped line ${i + 1}: a row of zeros with timestamp 0 (1970) that OpenBCI GUI v5 writes before the first sample; every other row was kept.`;
    rows.shift();
    i++;
  }
  const ncols = rows[0].split(',').length;
  let eegCols: number[];
  let accelCols: number[];
  let tsCol = -1;
  let markerCol = -1;
  let labels: string[];
  if (names) {
    eegCols = names.map((n, k) => (/^(EXG|EEG) Channel \d+$/i.test(n) ? k : -1)).filter((k) => k >= 0);
    accelCols = names.map((n, k) => (/^Accel Channel \d+$/i.test(n) ? k : -1)).filter((k) => k >= 0);
    tsCol = names.findIndex((n) => n.toLowerCase() === 'timestamp');
    markerCol = names.findIndex((n) => /^marker/i.test(n));
    labels = eegCols.map((k) => names![k]);
  } else {
    const nch = declaredChannels ?? 8;
    if (ncols < 1 + nch) throw new InputError(`rows have ${ncols} columns, fewer than 1 + ${nch} channels`, fileName);
    eegCols = range(1, nch);
    accelCols = ncols >= 1 + nch + 3 ? range(nch + 1, nch + 3) : [];
    tsCol = epochColumn(rows[0], null, nch);
    labels = eegCols.map((_, k) => `EXG Channel ${k}`);
  }
  if (eegCols.length === 0) throw new InputError('no "EXG Channel n" columns in the OpenBCI column row', fileName);
  const n = rows.length;
  const eeg = new Float32Array(n * eegCols.length);
  const acc = new Float32Array(n * accelCols.length);
  const markers: MarkerEvent[] = [];
  let startMs: number | undefined;
  const markerRows: [number, number][] = [];
  for (let r = 0; r < n; r++) {
    const cells = rows[r].split(',');
    if (cells.length < ncols) throw new InputError(`line ${i + r + 1} has ${cells.length} columns, expected ${ncols}`, fileName);
    for (let c = 0; c < eegCols.length; c++) eeg[r * eegCols.length + c] = cellNumber(cells[eegCols[c]], fileName, i + r + 1, labels[c]);
    for (let c = 0; c < accelCols.length; c++) acc[r * accelCols.length + c] = cellNumber(cells[accelCols[c]], fileName, i + r + 1, 'accel');
    if (r === 0 && tsCol >= 0) {
      const t = cellNumber(cells[tsCol], fileName, i + 1, 'Timestamp');
      startMs = t > 1e11 ? t : t * 1000;
    }
    if (markerCol >= 0) {
      const v = Number(cells[markerCol]);
      if (v && Number.isFinite(v)) markerRows.push([r, v]);
    }
  }
  const t0 = startMs ?? 0;
  const t = new Float64Array(n);
  for (let r = 0; r < n; r++) t[r] = t0 + (r * 1000) / rateHz;
  for (const [r, v] of markerRows) markers.push({ timestampMs: t[r], value: String(v) });
  const streams: RecordingStream[] = [
    makeStream('eeg', 'eeg', rateHz, labels.map((label) => ({ label, unit: 'uV', type: 'EEG' })), eeg, t),
  ];
  if (accelCols.length) {
    streams.push(makeStream('accel', 'aux', rateHz, accelCols.map((_, k) => ({ label: `accel_${'xyz'[k] ?? k}`, unit: 'g', type: 'ACCEL' })), acc, t.slice()));
  }
  const board = header['board'];
  return {
    meta: { sourceFormat: 'openbci', startTimeMs: startMs, device: board ? board.replace(/^OpenBCI_GUI\$/, '') : undefined, notes, extra: header },
    streams,
    markers,
  };
}

/** Whether an OpenBCI data row is all zeros (a "Timestamp (Formatted)" cell, when named, aside). */
function isZeroRow(line: string, names: string[] | null): boolean {
  return line.split(',').every((c, k) => (names !== null && /formatted/i.test(names[k] ?? '')) || (c.trim() !== '' && Number(c) === 0));
}

/** The column of an OpenBCI row holding a unix time (s or ms): the named "Timestamp", else the last numeric column after the channels; -1 if it holds none. */
function epochColumn(line: string, names: string[] | null, channels = 8): number {
  const cells = line.split(',');
  if (names) {
    const k = names.findIndex((n) => n.toLowerCase() === 'timestamp');
    return k >= 0 && Number(cells[k]) > 1e9 ? k : -1;
  }
  for (let k = cells.length - 1; k > channels; k--) if (Number(cells[k]) > 1e9) return k;
  return -1;
}

function readBrainflow(text: string, fileName: string, board?: BrainflowBoard): RecordingData {
  const rows = lines(text);
  const ncols = rows[0].split('\t').length;
  const key: BrainflowBoard | undefined =
    board ?? (ncols === 24 ? 'cyton' : ncols === 15 ? 'ganglion' : ncols === 32 ? 'synthetic' : undefined);
  if (!key) {
    throw new InputError(`BrainFlow CSV with ${ncols} columns: not a known board layout (Cyton 24, Ganglion 15, Synthetic 32); pass the board`, fileName);
  }
  const L = BRAINFLOW_BOARDS[key];
  if (ncols !== L.columns) throw new InputError(`BrainFlow ${L.name} rows have ${L.columns} columns but line 1 has ${ncols}`, fileName);
  const n = rows.length;
  const eeg = new Float32Array(n * L.eeg.length);
  const aux = [...L.accel, ...L.gyro];
  const auxData = new Float32Array(n * aux.length);
  const t = new Float64Array(n);
  const markers: MarkerEvent[] = [];
  for (let r = 0; r < n; r++) {
    const cells = rows[r].split('\t');
    if (cells.length !== ncols) throw new InputError(`line ${r + 1} has ${cells.length} columns, expected ${ncols}`, fileName);
    for (let c = 0; c < L.eeg.length; c++) eeg[r * L.eeg.length + c] = cellNumber(cells[L.eeg[c]], fileName, r + 1, `EEG ${c + 1}`);
    for (let c = 0; c < aux.length; c++) auxData[r * aux.length + c] = cellNumber(cells[aux[c]], fileName, r + 1, `aux ${c + 1}`);
    t[r] = cellNumber(cells[L.timestamp], fileName, r + 1, 'timestamp') * 1000;
    const m = Number(cells[L.marker]);
    if (m && Number.isFinite(m)) markers.push({ timestampMs: t[r], value: String(m) });
  }
  const eegLabels = L.eegNames ?? L.eeg.map((_, k) => `EXG${k + 1}`);
  const streams: RecordingStream[] = [
    makeStream('eeg', 'eeg', L.rateHz, eegLabels.map((label) => ({ label, unit: 'uV', type: 'EEG' })), eeg, t),
  ];
  if (aux.length) {
    const ch: ChannelInfo[] = [
      ...L.accel.map((_, k) => ({ label: `accel_${'xyz'[k]}`, unit: 'g', type: 'ACCEL' })),
      ...L.gyro.map((_, k) => ({ label: `gyro_${'xyz'[k]}`, unit: 'deg/s', type: 'GYRO' })),
    ];
    streams.push(makeStream('aux', 'aux', L.rateHz, ch, auxData, t.slice()));
  }
  return { meta: { sourceFormat: 'brainflow', startTimeMs: n ? t[0] : undefined, device: L.name }, streams, markers };
}

function readMuse(text: string, fileName: string): RecordingData {
  const rows = lines(text);
  const names = rows[0].split(',').map((s) => s.trim());
  const markerCols = names.map((nm, k) => (/^marker/i.test(nm) ? k : -1)).filter((k) => k >= 0);
  const chCols = names.map((_, k) => k).filter((k) => k > 0 && !markerCols.includes(k));
  const n = rows.length - 1;
  const samples = new Float32Array(n * chCols.length);
  const t = new Float64Array(n);
  const markers: MarkerEvent[] = [];
  for (let r = 0; r < n; r++) {
    const cells = rows[r + 1].split(',');
    if (cells.length !== names.length) throw new InputError(`line ${r + 2} has ${cells.length} columns, expected ${names.length}`, fileName);
    t[r] = cellNumber(cells[0], fileName, r + 2, 'timestamps') * 1000;
    for (let c = 0; c < chCols.length; c++) samples[r * chCols.length + c] = cellNumber(cells[chCols[c]], fileName, r + 2, names[chCols[c]]);
    for (const k of markerCols) {
      const v = Number(cells[k]);
      if (v && Number.isFinite(v)) markers.push({ timestampMs: t[r], value: String(v) });
    }
  }
  const channels = chCols.map((k) => ({ label: names[k], unit: 'uV', type: /aux/i.test(names[k]) ? 'MISC' : 'EEG' }));
  const startMs = n && t[0] > 1e12 ? t[0] : undefined; // unix seconds ×1000; LSL clock values are far smaller
  return {
    meta: { sourceFormat: 'muse-csv', startTimeMs: startMs, device: 'Muse' },
    streams: [makeStream('eeg', 'eeg', estimateRateHz(t), channels, samples, t)],
    markers,
  };
}

function readNeurotabCsv(text: string, fileName: string): RecordingData {
  const rows = lines(text);
  if (rows.length === 0) throw new InputError('empty CSV file', fileName);
  const names = rows[0].split(',').map((s) => s.trim());
  if (names[0] !== 'timestamp_ms') {
    throw new InputError(`first column is "${names[0].slice(0, 40)}", expected "timestamp_ms" (Neurotab CSV), "timestamps" (muse-lsl), "%" header (OpenBCI) or tab-separated numbers (BrainFlow)`, fileName);
  }
  const nc = names.length - 1;
  const n = rows.length - 1;
  const samples = new Float32Array(n * nc);
  const t = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const cells = rows[r + 1].split(',');
    if (cells.length !== names.length) throw new InputError(`line ${r + 2} has ${cells.length} columns, expected ${names.length}`, fileName);
    t[r] = cellNumber(cells[0], fileName, r + 2, 'timestamp_ms');
    for (let c = 0; c < nc; c++) samples[r * nc + c] = cellNumber(cells[c + 1], fileName, r + 2, names[c + 1]);
  }
  const startMs = n && t[0] > 946684800000 ? t[0] : undefined;
  const channels = names.slice(1).map((label) => ({ label, unit: '', type: 'EEG' }));
  return { meta: { sourceFormat: 'csv', startTimeMs: startMs }, streams: [makeStream('eeg', 'eeg', estimateRateHz(t), channels, samples, t)], markers: [] };
}

/** Parse a markers CSV (`timestamp_ms,value[,duration_ms]`) written by writeCsv. */
export function readMarkersCsv(bytes: Uint8Array, fileName = 'recording.markers.csv'): MarkerEvent[] {
  const rows = lines(decodeUtf8(bytes));
  if (!rows.length || !/^timestamp_ms,value/.test(rows[0])) throw new InputError('first line must be "timestamp_ms,value"', fileName);
  return rows.slice(1).map((line, k) => {
    const m = /^([^,]*),("(?:[^"]|"")*"|[^,]*)(?:,(.*))?$/.exec(line);
    if (!m) throw new InputError(`line ${k + 2} is not "timestamp_ms,value"`, fileName);
    const value = m[2].startsWith('"') ? m[2].slice(1, -1).replace(/""/g, '"') : m[2];
    const ev: MarkerEvent = { timestampMs: cellNumber(m[1], fileName, k + 2, 'timestamp_ms'), value };
    if (m[3] !== undefined && m[3] !== '') ev.durationMs = cellNumber(m[3], fileName, k + 2, 'duration_ms');
    return ev;
  });
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  if (!Number.isFinite(v)) return 'NaN';
  // 9 significant digits round-trip float32 exactly.
  const s = v.toPrecision(9);
  return s.includes('e') ? s : s.replace(/\.?0+$/, '');
}

function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface CsvFile {
  /** '' for the main file, else a suffix such as '.markers.csv' or '.accel.csv' added after the main name without its .csv. */
  suffix: string;
  bytes: Uint8Array;
}

/** One stream as `timestamp_ms,<labels…>` (allocates the whole text). */
export function writeStreamCsv(s: RecordingStream): Uint8Array {
  const nc = s.descriptor.channels.length;
  const parts: string[] = [['timestamp_ms', ...s.descriptor.channels.map((c) => csvCell(c.label))].join(',')];
  const n = s.timestampsMs.length;
  for (let i = 0; i < n; i++) {
    let line = s.timestampsMs[i].toFixed(3);
    for (let c = 0; c < nc; c++) line += ',' + fmt(s.samples[i * nc + c]);
    parts.push(line);
  }
  return encodeUtf8(parts.join('\n') + '\n');
}

export function writeMarkersCsv(markers: MarkerEvent[]): Uint8Array {
  const withDuration = markers.some((m) => m.durationMs !== undefined);
  const head = withDuration ? 'timestamp_ms,value,duration_ms' : 'timestamp_ms,value';
  const rows = markers.map((m) => `${m.timestampMs.toFixed(3)},${csvCell(m.value)}${withDuration ? ',' + (m.durationMs ?? '') : ''}`);
  return encodeUtf8([head, ...rows].join('\n') + '\n');
}

/** All files of a recording as CSV: the first stream in the main file, other streams in
 *  `<name>.<streamId>.csv`, markers in `<name>.markers.csv` (always written, possibly empty). */
export function writeCsv(data: RecordingData): CsvFile[] {
  const files: CsvFile[] = [];
  data.streams.forEach((s, k) => files.push({ suffix: k === 0 ? '' : `.${s.descriptor.id.replace(/[^A-Za-z0-9_-]/g, '_')}.csv`, bytes: writeStreamCsv(s) }));
  if (files.length === 0) files.push({ suffix: '', bytes: encodeUtf8('timestamp_ms\n') });
  files.push({ suffix: '.markers.csv', bytes: writeMarkersCsv(data.markers) });
  return files;
}
