// SNIRF 1.0/1.1 (fNIRS, HDF5) reader and writer over bytes → RecordingData, through h5wasm (h5.ts).
// Async (h5wasm's WebAssembly module loads once, on first use); runs in the page, workers and
// Node. Works only in h5wasm's in-memory file system (one temporary file per call, removed after);
// never touches the real disk. Checks dataset sizes against the byte length before reading them.
//
// Read model (SNIRF spec v1.1, https://github.com/fNIRS/snirf):
//   /nirs[i]/data1 → one 'fnirs' stream "nirs": dataTimeSeries [time × measurement] (frame-major as
//   stored; a file stored transposed is detected by shape), channel per measurementList entry
//   (or the 1.1 `measurementLists` arrays) labelled like MNE "S1_D1 690", with sourceIndex,
//   detectorIndex, wavelengthNm; type NIRS_CW_AMPLITUDE for dataType 1, else "NIRS_<dataTypeLabel>"
//   or "NIRS_<dataType>"; unit from dataUnit, else "a.u.". Further /nirsN or dataN groups become
//   streams "nirs2", "nirs-data2", …
//   time: [T] explicit or [2] = (start, spacing); TimeUnit "ms" is scaled. Rate = 1 / spacing or
//   (T − 1) / (t_last − t_first) (the file's own; MNE rounds the step to 4 decimals).
//   stimN → markers (value = name, duration = column 2; amplitude ignored). MNE 1.3 gives every
//   stim annotation 1 s instead of the file's duration.
//   auxN → streams "aux-<name>" (kind aux). probe → RecordingData.probe in metres (LengthUnit).
//   MeasurementDate/Time (+ optional zone, else UTC) → meta.startTimeMs; timestamps are
//   startTimeMs + time (relative ms from the file's zero when the date is missing).
// Write: SNIRF 1.1, float64 data, metres, seconds; one fnirs stream required (others → aux).
import { InputError } from '../core/errors';
import type { ChannelInfo, MarkerEvent } from '../core/stream';
import { hasHdf5Signature, loadH5wasm, readH5, tempH5Path, type H5, type H5Dataset, type H5Group } from './h5';
import type { NirsProbe, RecordingData, RecordingStream } from './recording';

export { loadH5wasm } from './h5';

const LENGTH_TO_M: Record<string, number> = { m: 1, cm: 0.01, mm: 0.001, um: 1e-6 };

class SnirfReader {
  constructor(
    readonly h5: H5,
    readonly fileName: string,
    readonly byteLength: number,
  ) {}

  dataset(g: H5Group, name: string): H5Dataset | null {
    const e = g.get(name);
    return e instanceof this.h5.Dataset ? e : null;
  }

  /** Values of a dataset after checking its size against the file (compressed data may exceed it ×1000). */
  values(d: H5Dataset, path: string): unknown {
    const shape = d.shape ?? [];
    const n = shape.reduce((a, b) => a * b, 1);
    const size = Math.max(1, d.metadata.size ?? 1);
    const compressed = (d.filters ?? []).length > 0;
    const limit = compressed ? Math.min(2 ** 31, this.byteLength * 1000) : this.byteLength;
    if (!d.metadata.vlen && n * size > limit) {
      throw new InputError(`dataset ${path} claims ${shape.join('×')} values (${n * size} bytes), more than the file can hold`, this.fileName);
    }
    return d.value;
  }

  str(g: H5Group, name: string, path: string): string | undefined {
    const d = this.dataset(g, name);
    if (!d) return undefined;
    const v = this.values(d, `${path}/${name}`);
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
    if (v instanceof Uint8Array) return new TextDecoder().decode(v);
    return v === null || v === undefined ? undefined : String(v);
  }

  strs(g: H5Group, name: string, path: string): string[] | undefined {
    const d = this.dataset(g, name);
    if (!d) return undefined;
    const v = this.values(d, `${path}/${name}`);
    if (typeof v === 'string') return [v];
    if (Array.isArray(v)) return v.flat(Infinity).map(String);
    return undefined;
  }

  nums(g: H5Group, name: string, path: string): { data: Float64Array; shape: number[] } | undefined {
    const d = this.dataset(g, name);
    if (!d) return undefined;
    const v = this.values(d, `${path}/${name}`);
    const shape = d.shape ?? [];
    if (typeof v === 'number' || typeof v === 'bigint') return { data: Float64Array.of(Number(v)), shape };
    if (v instanceof Float64Array) return { data: v, shape };
    if (v instanceof BigInt64Array || v instanceof BigUint64Array) return { data: Float64Array.from(v, Number), shape };
    // No mapping function: Float64Array.from(x, Number) is ~100× slower on large arrays.
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return { data: Float64Array.from(v as unknown as ArrayLike<number>), shape };
    if (Array.isArray(v)) return { data: Float64Array.from(v.flat(Infinity) as number[], Number), shape };
    throw new InputError(`dataset ${path}/${name} is not numeric`, this.fileName);
  }

  num(g: H5Group, name: string, path: string): number | undefined {
    const v = this.nums(g, name, path);
    return v && v.data.length ? v.data[0] : undefined;
  }

  group(g: H5Group, name: string): H5Group | null {
    const e = g.get(name);
    return e instanceof this.h5.Group ? e : null;
  }
}

function indexedKeys(g: H5Group, prefix: string): string[] {
  const re = new RegExp(`^${prefix}(\\d*)$`);
  return g
    .keys()
    .filter((k) => re.test(k))
    .sort((a, b) => Number(a.slice(prefix.length) || 0) - Number(b.slice(prefix.length) || 0));
}

function parseStart(date?: string, time?: string): number | undefined {
  if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date.trim())) return undefined;
  const t = time && /^\d{2}:\d{2}:\d{2}/.test(time.trim()) ? time.trim() : '00:00:00';
  const zone = /([Zz]|[+-]\d{2}:?\d{2})$/.test(t) ? '' : 'Z';
  const ms = Date.parse(`${date.trim()}T${t}${zone}`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Read a SNIRF file. */
export async function readSnirf(bytes: Uint8Array, fileName = 'recording.snirf'): Promise<RecordingData> {
  if (!hasHdf5Signature(bytes)) throw new InputError('no HDF5 signature (\\x89HDF…): not a SNIRF/HDF5 file', fileName);
  return readH5(bytes, fileName, (file, h5) => readOpenFile(new SnirfReader(h5, fileName, bytes.length), file));
}

function readOpenFile(R: SnirfReader, file: H5Group): RecordingData {
  const fileName = R.fileName;
  const formatVersion = R.str(file, 'formatVersion', '');
  const nirsKeys = indexedKeys(file, 'nirs');
  if (nirsKeys.length === 0) throw new InputError('no /nirs group: not a SNIRF file', fileName);
  const streams: RecordingStream[] = [];
  const markers: MarkerEvent[] = [];
  let meta: RecordingData['meta'] = { sourceFormat: 'snirf' };
  let probe: NirsProbe | undefined;
  nirsKeys.forEach((nk, ni) => {
    const nirs = R.group(file, nk)!;
    const np = `/${nk}`;
    const tagsGroup = R.group(nirs, 'metaDataTags');
    const tags: Record<string, string> = {};
    if (tagsGroup) {
      for (const k of tagsGroup.keys()) {
        const v = R.str(tagsGroup, k, `${np}/metaDataTags`);
        if (v !== undefined) tags[k] = v;
      }
    }
    const lengthUnit = (tags.LengthUnit ?? 'mm').trim();
    const toM = LENGTH_TO_M[lengthUnit] ?? 0.001;
    const timeScaleMs = (tags.TimeUnit ?? 's').trim() === 'ms' ? 1 : 1000;
    const startMs = parseStart(tags.MeasurementDate, tags.MeasurementTime);
    if (ni === 0) {
      meta = {
        sourceFormat: 'snirf',
        startTimeMs: startMs,
        subject: tags.SubjectID && tags.SubjectID !== 'default' ? tags.SubjectID : undefined,
        extra: { ...tags, ...(formatVersion ? { formatVersion } : {}) },
      };
    }
    const base = startMs ?? 0;

    // Probe.
    const pg = R.group(nirs, 'probe');
    const wavelengths = pg ? Array.from(R.nums(pg, 'wavelengths', `${np}/probe`)?.data ?? []) : [];
    if (pg && ni === 0) {
      const pos = (name3: string, name2: string) => {
        const p3 = R.nums(pg, name3, `${np}/probe`);
        const p2 = p3 ? undefined : R.nums(pg, name2, `${np}/probe`);
        const p = p3 ?? p2;
        if (!p || p.shape.length !== 2) return { list: [] as number[][], is3d: !!p3 };
        const [rows, cols] = p.shape;
        const list: number[][] = [];
        for (let r = 0; r < rows; r++) {
          const row = [0, 0, 0];
          for (let c = 0; c < Math.min(3, cols); c++) row[c] = p.data[r * cols + c] * toM;
          list.push(row);
        }
        return { list, is3d: !!p3 };
      };
      const src = pos('sourcePos3D', 'sourcePos2D');
      const det = pos('detectorPos3D', 'detectorPos2D');
      const lm = pos('landmarkPos3D', 'landmarkPos2D');
      const lmLabels = R.strs(pg, 'landmarkLabels', `${np}/probe`) ?? [];
      probe = {
        wavelengthsNm: wavelengths,
        sourcePositionsM: src.list,
        detectorPositionsM: det.list,
        positions3d: src.is3d && det.is3d,
        sourceLabels: R.strs(pg, 'sourceLabels', `${np}/probe`),
        detectorLabels: R.strs(pg, 'detectorLabels', `${np}/probe`),
      };
      if (lm.list.length) probe.landmarks = lm.list.map((positionM, i) => ({ label: lmLabels[i] ?? `L${i + 1}`, positionM }));
    }

    // Data blocks.
    for (const dk of indexedKeys(nirs, 'data')) {
      const dg = R.group(nirs, dk)!;
      const dp = `${np}/${dk}`;
      const time = R.nums(dg, 'time', dp);
      const series = R.nums(dg, 'dataTimeSeries', dp);
      if (!time || !series) continue; // e.g. minimum_example: no dataTimeSeries
      const channels = readMeasurementList(R, dg, dp, wavelengths);
      const { data, shape } = series;
      const C = channels.length;
      const timeLen = time.data.length === 2 && shape.length === 2 && shape[0] !== 2 && shape[1] !== 2 ? -1 : time.data.length;
      let T: number;
      let samples: Float32Array;
      if (shape.length === 2 && shape[1] === C && (timeLen === -1 || shape[0] === timeLen)) {
        T = shape[0];
        samples = Float32Array.from(data);
      } else if (shape.length === 2 && shape[0] === C && (timeLen === -1 || shape[1] === timeLen)) {
        T = shape[1];
        samples = new Float32Array(T * C);
        for (let c = 0; c < C; c++) for (let t = 0; t < T; t++) samples[t * C + c] = data[c * T + t];
      } else {
        throw new InputError(`${dp}/dataTimeSeries has shape ${shape.join('×')}, expected time × ${C} measurements (${time.data.length} times)`, fileName);
      }
      const { timestampsMs, rateHz } = timeAxis(time.data, T, base, timeScaleMs);
      const id = ni === 0 && dk === 'data1' ? 'nirs' : ni === 0 ? `nirs-${dk}` : `${nk}-${dk}`;
      streams.push({ descriptor: { id, name: id, kind: 'fnirs', sampleRateHz: rateHz, channels }, samples, timestampsMs });
    }

    // Stims.
    for (const sk of indexedKeys(nirs, 'stim')) {
      const sg = R.group(nirs, sk)!;
      const name = R.str(sg, 'name', `${np}/${sk}`) ?? sk;
      const d = R.nums(sg, 'data', `${np}/${sk}`);
      if (!d || d.data.length === 0) continue;
      const cols = d.shape.length === 2 ? d.shape[1] : d.data.length;
      const rows = d.data.length / cols;
      for (let r = 0; r < rows; r++) {
        const ev: MarkerEvent = { timestampMs: base + d.data[r * cols] * timeScaleMs, value: name };
        if (cols >= 2) ev.durationMs = d.data[r * cols + 1] * timeScaleMs;
        markers.push(ev);
      }
    }

    // Aux.
    for (const ak of indexedKeys(nirs, 'aux')) {
      const ag = R.group(nirs, ak)!;
      const ap = `${np}/${ak}`;
      const time = R.nums(ag, 'time', ap);
      const series = R.nums(ag, 'dataTimeSeries', ap);
      if (!time || !series || series.data.length === 0) continue;
      const name = R.str(ag, 'name', ap) || ak;
      const unit = R.str(ag, 'dataUnit', ap) ?? '';
      const offsetS = R.num(ag, 'timeOffset', ap) ?? 0;
      const cols = series.shape.length === 2 ? series.shape[1] : 1;
      const T = series.data.length / cols;
      const { timestampsMs, rateHz } = timeAxis(time.data, T, base + offsetS * timeScaleMs, timeScaleMs);
      const channels: ChannelInfo[] = Array.from({ length: cols }, (_, c) => ({ label: cols === 1 ? name : `${name}_${c + 1}`, unit, type: 'MISC' }));
      const id = `aux-${name.replace(/[^A-Za-z0-9_.-]+/g, '_')}`;
      streams.push({ descriptor: { id, name, kind: 'aux', sampleRateHz: rateHz, channels }, samples: Float32Array.from(series.data), timestampsMs });
    }
  });
  markers.sort((a, b) => a.timestampMs - b.timestampMs);
  const out: RecordingData = { meta, streams, markers };
  if (probe) out.probe = probe;
  return out;
}

function timeAxis(time: Float64Array, T: number, baseMs: number, scaleMs: number): { timestampsMs: Float64Array; rateHz: number } {
  const timestampsMs = new Float64Array(T);
  if (time.length === 2 && T !== 2) {
    const [start, step] = time;
    for (let i = 0; i < T; i++) timestampsMs[i] = baseMs + (start + i * step) * scaleMs;
    return { timestampsMs, rateHz: step > 0 ? 1000 / (step * scaleMs) : 0 };
  }
  for (let i = 0; i < T; i++) timestampsMs[i] = baseMs + time[i] * scaleMs;
  const span = T > 1 ? (timestampsMs[T - 1] - timestampsMs[0]) / 1000 : 0;
  return { timestampsMs, rateHz: span > 0 ? (T - 1) / span : 0 };
}

function readMeasurementList(R: SnirfReader, dg: H5Group, dp: string, wavelengths: number[]): ChannelInfo[] {
  const make = (src: number, det: number, wl: number, dataType: number, label?: string, unit?: string): ChannelInfo => {
    const nm = wavelengths[wl - 1];
    const type = dataType === 1 ? 'NIRS_CW_AMPLITUDE' : `NIRS_${(label || String(dataType)).toUpperCase()}`;
    const suffix = dataType === 1 || !label ? (nm !== undefined ? String(nm) : `wl${wl}`) : label.toLowerCase();
    const ch: ChannelInfo = { label: `S${src}_D${det} ${suffix}`, unit: unit || 'a.u.', type, sourceIndex: src, detectorIndex: det };
    if (nm !== undefined) ch.wavelengthNm = nm;
    return ch;
  };
  const lists = R.group(dg, 'measurementLists');
  if (lists) {
    // SNIRF 1.1 array form.
    const p = `${dp}/measurementLists`;
    const src = R.nums(lists, 'sourceIndex', p)?.data ?? new Float64Array();
    const det = R.nums(lists, 'detectorIndex', p)?.data ?? new Float64Array();
    const wl = R.nums(lists, 'wavelengthIndex', p)?.data ?? new Float64Array();
    const dt = R.nums(lists, 'dataType', p)?.data ?? new Float64Array();
    const labels = R.strs(lists, 'dataTypeLabel', p) ?? [];
    const units = R.strs(lists, 'dataUnit', p) ?? [];
    return Array.from(src, (s, i) => make(s, det[i], wl[i], dt[i] ?? dt[0] ?? 1, labels[i], units[i]));
  }
  return indexedKeys(dg, 'measurementList')
    .filter((k) => k !== 'measurementList')
    .map((k) => {
      const g = R.group(dg, k)!;
      const p = `${dp}/${k}`;
      return make(R.num(g, 'sourceIndex', p) ?? 0, R.num(g, 'detectorIndex', p) ?? 0, R.num(g, 'wavelengthIndex', p) ?? 0, R.num(g, 'dataType', p) ?? 1, R.str(g, 'dataTypeLabel', p), R.str(g, 'dataUnit', p));
    });
}

// ---------------------------------------------------------------------------------------------
// Writer

/** Write SNIRF 1.1. Needs one 'fnirs' stream whose channels carry sourceIndex/detectorIndex/wavelengthNm. */
export async function writeSnirf(data: RecordingData, fileName = 'recording.snirf'): Promise<Uint8Array> {
  const nirs = data.streams.find((s) => s.descriptor.kind === 'fnirs');
  if (!nirs) throw new InputError('SNIRF needs an fNIRS stream (kind "fnirs"); this recording has none — export EDF or CSV instead', fileName);
  const chans = nirs.descriptor.channels;
  for (const [i, c] of chans.entries()) {
    if (!c.sourceIndex || !c.detectorIndex) throw new InputError(`channel ${i + 1} (${c.label}) has no source/detector index; SNIRF needs them`, fileName);
  }
  const wavelengths = data.probe?.wavelengthsNm?.length
    ? data.probe.wavelengthsNm.slice()
    : [...new Set(chans.map((c) => c.wavelengthNm ?? 0))].sort((a, b) => a - b);
  const { h5, fs } = await loadH5wasm();
  const path = tempH5Path('write', 'out.snirf');
  const f = new h5.File(path, 'w');
  try {
    const str = (g: H5Group, name: string, value: string) => g.create_dataset({ name, data: value });
    const i32 = (g: H5Group, name: string, v: number) => g.create_dataset({ name, data: new Int32Array([v]), shape: [], dtype: '<i' });
    const f64 = (g: H5Group, name: string, v: Float64Array, shape: number[]) => g.create_dataset({ name, data: v, shape, dtype: '<d' });
    str(f, 'formatVersion', '1.1');
    const n = f.create_group('nirs');
    const tags = n.create_group('metaDataTags');
    const start = data.meta.startTimeMs;
    const iso = start !== undefined ? new Date(Math.floor(start / 1000) * 1000).toISOString() : undefined;
    str(tags, 'SubjectID', data.meta.subject ?? 'default');
    str(tags, 'MeasurementDate', iso ? iso.slice(0, 10) : 'unknown');
    str(tags, 'MeasurementTime', iso ? `${iso.slice(11, 19)}Z` : 'unknown');
    str(tags, 'LengthUnit', 'm');
    str(tags, 'TimeUnit', 's');
    str(tags, 'FrequencyUnit', 'Hz');
    // Times relative to the whole second of the start (the date/time tags' resolution).
    const zeroMs = start !== undefined ? Math.floor(start / 1000) * 1000 : 0;
    const rel = (tMs: number) => (tMs - zeroMs) / 1000;

    const d = n.create_group('data1');
    const T = nirs.timestampsMs.length;
    const C = chans.length;
    f64(d, 'dataTimeSeries', Float64Array.from(nirs.samples), [T, C]);
    f64(d, 'time', Float64Array.from(nirs.timestampsMs, rel), [T]);
    chans.forEach((c, k) => {
      const m = d.create_group(`measurementList${k + 1}`);
      i32(m, 'sourceIndex', c.sourceIndex!);
      i32(m, 'detectorIndex', c.detectorIndex!);
      const wi = wavelengths.indexOf(c.wavelengthNm ?? 0);
      i32(m, 'wavelengthIndex', wi >= 0 ? wi + 1 : 1);
      const cw = c.type === 'NIRS_CW_AMPLITUDE' || !c.type.startsWith('NIRS_');
      i32(m, 'dataType', cw ? 1 : 99999);
      if (!cw) str(m, 'dataTypeLabel', c.type.slice(5));
      i32(m, 'dataTypeIndex', 1);
      if (c.unit && c.unit !== 'a.u.') str(m, 'dataUnit', c.unit);
    });

    const byName = new Map<string, MarkerEvent[]>();
    for (const m of data.markers) byName.set(m.value, [...(byName.get(m.value) ?? []), m]);
    [...byName.entries()].forEach(([name, list], k) => {
      const g = n.create_group(`stim${k + 1}`);
      str(g, 'name', name);
      const arr = new Float64Array(list.length * 3);
      list.forEach((m, i) => {
        arr[i * 3] = rel(m.timestampMs);
        arr[i * 3 + 1] = (m.durationMs ?? 0) / 1000;
        arr[i * 3 + 2] = 1;
      });
      f64(g, 'data', arr, [list.length, 3]);
    });

    const probe = n.create_group('probe');
    f64(probe, 'wavelengths', Float64Array.from(wavelengths), [wavelengths.length]);
    const nSrc = Math.max(...chans.map((c) => c.sourceIndex!), data.probe?.sourcePositionsM.length ?? 0);
    const nDet = Math.max(...chans.map((c) => c.detectorIndex!), data.probe?.detectorPositionsM.length ?? 0);
    const pos = (list: number[][] | undefined, count: number) => {
      const a = new Float64Array(count * 3);
      for (let i = 0; i < count; i++) for (let j = 0; j < 3; j++) a[i * 3 + j] = list?.[i]?.[j] ?? 0;
      return a;
    };
    const dims = data.probe?.positions3d ? '3D' : '2D';
    const cut = (a: Float64Array, count: number) => (dims === '3D' ? a : Float64Array.from({ length: count * 2 }, (_, i) => a[Math.floor(i / 2) * 3 + (i % 2)]));
    const w = dims === '3D' ? 3 : 2;
    f64(probe, `sourcePos${dims}`, cut(pos(data.probe?.sourcePositionsM, nSrc), nSrc), [nSrc, w]);
    f64(probe, `detectorPos${dims}`, cut(pos(data.probe?.detectorPositionsM, nDet), nDet), [nDet, w]);
    if (data.probe?.sourceLabels?.length) probe.create_dataset({ name: 'sourceLabels', data: data.probe.sourceLabels });
    if (data.probe?.detectorLabels?.length) probe.create_dataset({ name: 'detectorLabels', data: data.probe.detectorLabels });
    const lms = data.probe?.landmarks ?? [];
    if (lms.length) {
      const nL = lms.length;
      f64(probe, `landmarkPos${dims}`, cut(pos(lms.map((l) => l.positionM), nL), nL), [nL, w]);
      probe.create_dataset({ name: 'landmarkLabels', data: lms.map((l) => l.label) });
    }

    let auxIndex = 0;
    for (const s of data.streams) {
      if (s === nirs || s.timestampsMs.length === 0) continue;
      const nc = s.descriptor.channels.length;
      for (let c = 0; c < nc; c++) {
        const g = n.create_group(`aux${++auxIndex}`);
        const ch = s.descriptor.channels[c];
        str(g, 'name', nc === 1 && s.descriptor.id.startsWith('aux-') ? s.descriptor.name : ch.label);
        if (ch.unit) str(g, 'dataUnit', ch.unit);
        const col = new Float64Array(s.timestampsMs.length);
        for (let i = 0; i < col.length; i++) col[i] = s.samples[i * nc + c];
        f64(g, 'dataTimeSeries', col, [col.length, 1]);
        f64(g, 'time', Float64Array.from(s.timestampsMs, rel), [col.length]);
        f64(g, 'timeOffset', Float64Array.of(0), [1]);
      }
    }
  } finally {
    f.close();
  }
  const out = fs.readFile(path) as Uint8Array;
  fs.unlink(path);
  return out;
}
