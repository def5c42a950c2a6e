// Time-domain SNIRF for the Kernel pipelines: read photon time-of-flight data (SNIRF dataType 201,
// gated histograms, with probe/timeDelays and timeDelayWidths; or 301, moments, with
// probe/momentOrders and each measurement's dataTypeIndex), write them back, and add metaDataTags to
// a SNIRF file. The library's SNIRF reader keeps continuous-wave data only (it drops dataTypeIndex and
// the delays), hence this module. Async (h5wasm), any thread; works in h5wasm's in-memory file system
// only, one temporary file per call, removed after. Checks every size against the file's bytes.
//
// In memory: counts/moments CHANNEL-MAJOR [channel, gate|order, time] (index (c·G + g)·T + t), float64;
// delays and widths in picoseconds; times in seconds from the file's zero.
import { InputError } from '../core/errors';
import type { MarkerEvent } from '../core/stream';
import type { NirsProbe } from '../formats/recording';
import { loadH5wasm } from '../formats/snirf';

type H5 = Awaited<ReturnType<typeof loadH5wasm>>['h5'];
type Group = InstanceType<H5['Group']>;

export interface TdChannel {
  source: number;
  detector: number;
  wavelengthNm: number;
}

export interface TdData {
  kind: 'gated' | 'moments';
  /** Seconds from the file's zero, one per frame. */
  timesS: Float64Array;
  /** MeasurementDate/Time as ms since the epoch, when the file states them. */
  startTimeMs?: number;
  channels: TdChannel[];
  /** Gated: gate starts and widths (ps). */
  gateDelaysPs?: Float64Array;
  gateWidthsPs?: Float64Array;
  /** Moments: the orders stored (0 = total counts, 1 = mean time of flight, 2 = variance). */
  momentOrders?: number[];
  /** [channel, gate or order, time]. */
  values: Float64Array;
  /** Stims as markers, onsets in seconds from the file's zero (timestampMs = onset·1000). */
  markers: MarkerEvent[];
  probe: NirsProbe;
  tags: Record<string, string>;
}

/** Gates or orders per channel. */
export function depthOf(d: TdData): number {
  return d.kind === 'gated' ? d.gateDelaysPs!.length : d.momentOrders!.length;
}

const TIME_TO_PS: Record<string, number> = { s: 1e12, ms: 1e9, us: 1e6, ns: 1e3, ps: 1 };

let tmp = 0;

async function withFile<T>(bytes: Uint8Array | null, mode: 'r' | 'a' | 'w', fileName: string, fn: (f: InstanceType<H5['File']>, h5: H5) => T): Promise<{ value: T; bytes: Uint8Array | null }> {
  const { h5, fs } = await loadH5wasm();
  const path = `/neurotab-td-${++tmp}.snirf`;
  if (bytes) fs.writeFile(path, bytes);
  let f: InstanceType<H5['File']> | null = null;
  try {
    try {
      f = new h5.File(path, mode);
    } catch (e) {
      throw new InputError(`HDF5 structure could not be opened (${e instanceof Error ? e.message : String(e)}): file corrupt or truncated`, fileName);
    }
    const value = fn(f, h5);
    f.close();
    f = null;
    return { value, bytes: mode === 'r' ? null : (fs.readFile(path) as Uint8Array) };
  } finally {
    try {
      f?.close();
    } catch {
      /* already failed */
    }
    try {
      fs.unlink(path);
    } catch {
      /* not created */
    }
  }
}

/** The data types of a SNIRF file's measurements (1 = CW, 201 gated, 301 moments, 99999 processed …), without reading the data. */
export async function snirfDataTypes(bytes: Uint8Array, fileName = 'recording.snirf'): Promise<number[]> {
  return (await withFile(bytes, 'r', fileName, (f, h5) => {
    const nirs = f.get('nirs');
    const data = nirs instanceof h5.Group ? nirs.get('data1') : null;
    if (!(data instanceof h5.Group)) return [];
    return measurementFields(data, h5, bytes.length, fileName).dataType;
  })).value;
}

interface Fields {
  sourceIndex: number[];
  detectorIndex: number[];
  wavelengthIndex: number[];
  dataType: number[];
  dataTypeIndex: number[];
}

function numbers(g: Group, name: string, h5: H5, limit: number, where: string): number[] | undefined {
  const d = g.get(name);
  if (!(d instanceof h5.Dataset)) return undefined;
  const n = (d.shape ?? []).reduce((a, b) => a * b, 1);
  if (n * Math.max(1, d.metadata.size ?? 1) > limit) throw new InputError(`${where}/${name} claims ${n} values, more than the file can hold`, where);
  const v = d.value;
  if (typeof v === 'number' || typeof v === 'bigint') return [Number(v)];
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, Number);
  if (Array.isArray(v)) return flatNumbers(v as unknown[]);
  return undefined;
}

function flatNumbers(v: unknown[]): number[] {
  const out: number[] = [];
  const walk = (x: unknown) => (Array.isArray(x) ? x.forEach(walk) : out.push(Number(x)));
  walk(v);
  return out;
}

function text(g: Group, name: string, h5: H5): string | undefined {
  const d = g.get(name);
  if (!(d instanceof h5.Dataset)) return undefined;
  const v = d.value;
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
}

function measurementFields(data: Group, h5: H5, limit: number, fileName: string): Fields {
  const out: Fields = { sourceIndex: [], detectorIndex: [], wavelengthIndex: [], dataType: [], dataTypeIndex: [] };
  const lists = data.get('measurementLists');
  if (lists instanceof h5.Group) {
    for (const k of Object.keys(out) as (keyof Fields)[]) out[k] = numbers(lists, k, h5, limit, fileName) ?? [];
    return out;
  }
  const keys = data
    .keys()
    .filter((k) => /^measurementList\d+$/.test(k))
    .sort((a, b) => Number(a.slice(15)) - Number(b.slice(15)));
  for (const k of keys) {
    const m = data.get(k);
    if (!(m instanceof h5.Group)) continue;
    for (const f of Object.keys(out) as (keyof Fields)[]) out[f].push(numbers(m, f, h5, limit, fileName)?.[0] ?? 0);
  }
  return out;
}

function positions(pg: Group, name3: string, name2: string, h5: H5, toM: number, limit: number, where: string): { list: number[][]; is3d: boolean } {
  const d3 = pg.get(name3);
  const d = d3 instanceof h5.Dataset ? d3 : pg.get(name2);
  if (!(d instanceof h5.Dataset)) return { list: [], is3d: false };
  const shape = d.shape ?? [];
  const v = numbers(pg, d3 instanceof h5.Dataset ? name3 : name2, h5, limit, where) ?? [];
  const cols = shape.length === 2 ? shape[1] : 3;
  const list: number[][] = [];
  for (let r = 0; r < v.length / cols; r++) list.push([0, 1, 2].map((k) => (k < cols ? v[r * cols + k] * toM : 0)));
  return { list, is3d: d3 instanceof h5.Dataset };
}

/** Reads a time-domain SNIRF (201 or 301); InputError naming what is wrong otherwise (e.g. a CW file). */
export async function readTdSnirf(bytes: Uint8Array, fileName = 'recording.snirf'): Promise<TdData> {
  const limit = bytes.length;
  return (await withFile(bytes, 'r', fileName, (f, h5) => {
    const nirs = f.get('nirs');
    if (!(nirs instanceof h5.Group)) throw new InputError('no /nirs group: not a SNIRF file', fileName);
    const tags: Record<string, string> = {};
    const tg = nirs.get('metaDataTags');
    if (tg instanceof h5.Group) for (const k of tg.keys()) {
      const v = text(tg, k, h5);
      if (v !== undefined) tags[k] = v;
    }
    const data = nirs.get('data1');
    if (!(data instanceof h5.Group)) throw new InputError('no /nirs/data1 group', fileName);
    const m = measurementFields(data, h5, limit, fileName);
    const types = [...new Set(m.dataType)];
    if (types.length !== 1 || (types[0] !== 201 && types[0] !== 301))
      throw new InputError(`measurements have dataType ${types.join(', ') || 'none'}; time-domain data are 201 (gated histograms) or 301 (moments), one kind per file`, fileName);
    const kind = types[0] === 201 ? 'gated' : 'moments';
    const pg = nirs.get('probe');
    if (!(pg instanceof h5.Group)) throw new InputError('no /nirs/probe group', fileName);
    const wavelengths = numbers(pg, 'wavelengths', h5, limit, fileName) ?? [];
    const toPs = TIME_TO_PS[(tags.TimeUnit ?? 's').trim()] ?? 1e12;
    const toM = { m: 1, cm: 0.01, mm: 0.001 }[(tags.LengthUnit ?? 'mm').trim() as 'm'] ?? 0.001;
    const depth = kind === 'gated' ? (numbers(pg, 'timeDelays', h5, limit, fileName) ?? []) : (numbers(pg, 'momentOrders', h5, limit, fileName) ?? []);
    if (!depth.length) throw new InputError(kind === 'gated' ? 'gated data (201) need probe/timeDelays' : 'moment data (301) need probe/momentOrders', fileName);
    const widths = kind === 'gated' ? (numbers(pg, 'timeDelayWidths', h5, limit, fileName) ?? []) : [];
    if (kind === 'gated' && widths.length !== depth.length) throw new InputError(`probe/timeDelayWidths has ${widths.length} values for ${depth.length} timeDelays`, fileName);
    const times = numbers(data, 'time', h5, limit, fileName) ?? [];
    const series = data.get('dataTimeSeries');
    if (!(series instanceof h5.Dataset)) throw new InputError('no dataTimeSeries', fileName);
    const shape = series.shape ?? [];
    const M = m.dataType.length;
    const flat = numbers(data, 'dataTimeSeries', h5, limit, fileName) ?? [];
    let T: number;
    let at: (t: number, k: number) => number;
    if (shape.length === 2 && shape[1] === M) [T, at] = [shape[0], (t, k) => flat[t * M + k]];
    else if (shape.length === 2 && shape[0] === M) [T, at] = [shape[1], (t, k) => flat[k * shape[1] + t]];
    else throw new InputError(`dataTimeSeries has shape ${shape.join('×')}, expected time × ${M} measurements`, fileName);
    const timesS = times.length === T ? Float64Array.from(times) : times.length === 2 ? Float64Array.from({ length: T }, (_, i) => times[0] + i * times[1]) : null;
    if (!timesS) throw new InputError(`time has ${times.length} values for ${T} frames`, fileName);
    // Channels = distinct (source, detector, wavelength), in first-seen order.
    const key = (k: number) => `${m.sourceIndex[k]}/${m.detectorIndex[k]}/${m.wavelengthIndex[k]}`;
    const order = new Map<string, number>();
    for (let k = 0; k < M; k++) if (!order.has(key(k))) order.set(key(k), order.size);
    const G = depth.length;
    const C = order.size;
    const values = new Float64Array(C * G * T);
    const seen = new Uint8Array(C * G);
    for (let k = 0; k < M; k++) {
      const c = order.get(key(k))!;
      const g = m.dataTypeIndex[k] - 1;
      if (!(g >= 0 && g < G)) throw new InputError(`measurement ${k + 1} has dataTypeIndex ${m.dataTypeIndex[k]}, outside 1–${G}`, fileName);
      if (seen[c * G + g]++) throw new InputError(`measurement ${k + 1} repeats source ${m.sourceIndex[k]}, detector ${m.detectorIndex[k]}, wavelength ${m.wavelengthIndex[k]}, index ${g + 1}`, fileName);
      const o = (c * G + g) * T;
      for (let t = 0; t < T; t++) values[o + t] = at(t, k);
    }
    if (seen.some((s) => !s)) throw new InputError('some channel lacks a gate or moment order (every source/detector/wavelength needs all of them)', fileName);
    const channels: TdChannel[] = [...order.keys()].map((k) => {
      const [s, d, w] = k.split('/').map(Number);
      return { source: s, detector: d, wavelengthNm: wavelengths[w - 1] ?? NaN };
    });
    const src = positions(pg, 'sourcePos3D', 'sourcePos2D', h5, toM, limit, fileName);
    const det = positions(pg, 'detectorPos3D', 'detectorPos2D', h5, toM, limit, fileName);
    const markers: MarkerEvent[] = [];
    for (const sk of nirs.keys().filter((k) => /^stim\d*$/.test(k))) {
      const sg = nirs.get(sk);
      if (!(sg instanceof h5.Group)) continue;
      const name = text(sg, 'name', h5) ?? sk;
      const d = sg.get('data');
      const v = numbers(sg, 'data', h5, limit, fileName) ?? [];
      const cols = d instanceof h5.Dataset && (d.shape ?? []).length === 2 ? d.shape![1] : 3;
      for (let r = 0; r + cols <= v.length; r += cols) markers.push({ timestampMs: v[r] * 1000, value: name, ...(cols > 1 ? { durationMs: v[r + 1] * 1000 } : {}) });
    }
    markers.sort((a, b) => a.timestampMs - b.timestampMs);
    const date = tags.MeasurementDate;
    const start = date && /^\d{4}-\d{2}-\d{2}$/.test(date) ? Date.parse(`${date}T${/^\d{2}:\d{2}:\d{2}/.test(tags.MeasurementTime ?? '') ? tags.MeasurementTime!.replace(/Z?$/, 'Z') : '00:00:00Z'}`) : NaN;
    return {
      kind,
      timesS,
      ...(Number.isFinite(start) ? { startTimeMs: start } : {}),
      channels,
      ...(kind === 'gated' ? { gateDelaysPs: Float64Array.from(depth, (v) => v * toPs), gateWidthsPs: Float64Array.from(widths, (v) => v * toPs) } : { momentOrders: depth.map(Math.round) }),
      values,
      markers,
      probe: { wavelengthsNm: wavelengths, sourcePositionsM: src.list, detectorPositionsM: det.list, positions3d: src.is3d && det.is3d },
      tags,
    } satisfies TdData;
  })).value;
}

/** Writes TdData as SNIRF 1.1 (dataType 201 or 301; times and delays in s, positions in m), with `tags` among the metaDataTags. */
export async function writeTdSnirf(d: TdData, tags: Record<string, string> = {}): Promise<Uint8Array> {
  const G = depthOf(d);
  const C = d.channels.length;
  const T = d.timesS.length;
  const wl = d.probe.wavelengthsNm;
  return (await withFile(null, 'w', 'output.snirf', (f) => {
    const str = (g: Group, name: string, v: string) => g.create_dataset({ name, data: v });
    const i32 = (g: Group, name: string, v: number) => g.create_dataset({ name, data: new Int32Array([v]), shape: [], dtype: '<i' });
    const f64 = (g: Group, name: string, v: Float64Array, shape: number[]) => g.create_dataset({ name, data: v, shape, dtype: '<d' });
    str(f, 'formatVersion', '1.1');
    const n = f.create_group('nirs');
    const mt = n.create_group('metaDataTags');
    const iso = d.startTimeMs !== undefined ? new Date(d.startTimeMs).toISOString() : undefined;
    const base: Record<string, string> = {
      SubjectID: d.tags.SubjectID ?? 'default',
      MeasurementDate: iso ? iso.slice(0, 10) : 'unknown',
      MeasurementTime: iso ? `${iso.slice(11, 19)}Z` : 'unknown',
      LengthUnit: 'm',
      TimeUnit: 's',
      FrequencyUnit: 'Hz',
      ...tags,
    };
    for (const [k, v] of Object.entries(base)) str(mt, k, v);
    const data = n.create_group('data1');
    const series = new Float64Array(T * C * G);
    for (let c = 0; c < C; c++) for (let g = 0; g < G; g++) {
      const o = (c * G + g) * T;
      const col = c * G + g;
      for (let t = 0; t < T; t++) series[t * C * G + col] = d.values[o + t];
    }
    f64(data, 'dataTimeSeries', series, [T, C * G]);
    f64(data, 'time', d.timesS, [T]);
    let k = 0;
    for (const ch of d.channels)
      for (let g = 0; g < G; g++) {
        const m = data.create_group(`measurementList${++k}`);
        i32(m, 'sourceIndex', ch.source);
        i32(m, 'detectorIndex', ch.detector);
        i32(m, 'wavelengthIndex', Math.max(1, wl.indexOf(ch.wavelengthNm) + 1));
        i32(m, 'dataType', d.kind === 'gated' ? 201 : 301);
        i32(m, 'dataTypeIndex', g + 1);
        if (d.kind === 'moments') str(m, 'dataUnit', ['counts', 'ps', 'ps^2'][d.momentOrders![g]] ?? '');
      }
    const probe = n.create_group('probe');
    f64(probe, 'wavelengths', Float64Array.from(wl), [wl.length]);
    const pos = (list: number[][]) => Float64Array.from(list.flatMap((p) => [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0]));
    f64(probe, 'sourcePos3D', pos(d.probe.sourcePositionsM), [d.probe.sourcePositionsM.length, 3]);
    f64(probe, 'detectorPos3D', pos(d.probe.detectorPositionsM), [d.probe.detectorPositionsM.length, 3]);
    if (d.kind === 'gated') {
      f64(probe, 'timeDelays', Float64Array.from(d.gateDelaysPs!, (v) => v * 1e-12), [G]);
      f64(probe, 'timeDelayWidths', Float64Array.from(d.gateWidthsPs!, (v) => v * 1e-12), [G]);
    } else probe.create_dataset({ name: 'momentOrders', data: new Int32Array(d.momentOrders!), shape: [G], dtype: '<i' });
    const byName = new Map<string, MarkerEvent[]>();
    for (const m of d.markers) byName.set(m.value, [...(byName.get(m.value) ?? []), m]);
    [...byName].forEach(([name, list], i) => {
      const g = n.create_group(`stim${i + 1}`);
      str(g, 'name', name);
      f64(g, 'data', Float64Array.from(list.flatMap((m) => [m.timestampMs / 1000, (m.durationMs ?? 0) / 1000, 1])), [list.length, 3]);
    });
  })).bytes!;
}

/** The same SNIRF with `tags` added to (or replacing entries of) /nirs/metaDataTags. */
export async function withMetaDataTags(bytes: Uint8Array, tags: Record<string, string>): Promise<Uint8Array> {
  return (await withFile(bytes, 'a', 'output.snirf', (f, h5) => {
    const mt = f.get('nirs/metaDataTags');
    if (!(mt instanceof h5.Group)) throw new InputError('no /nirs/metaDataTags group', 'output.snirf');
    const have = new Set(mt.keys());
    for (const [k, v] of Object.entries(tags)) {
      if (have.has(k)) continue; // the writer's own tags stay as written
      mt.create_dataset({ name: k, data: v });
    }
  })).bytes!;
}
