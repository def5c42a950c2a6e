// XDF (Lab Streaming Layer / LabRecorder) reader over bytes → RecordingData, with pyxdf's default
// clock synchronisation and dejittering. Pure; runs anywhere. Never allocates from a count the
// bytes cannot hold (every length and sample count is checked against the remaining bytes).
//
// Byte layout (XDF 1.0, https://github.com/sccn/xdf/wiki/Specifications):
//   "XDF:" then chunks: [NumLengthBytes u8 ∈ {1,4,8}] [Length (that many bytes, LE)] [Tag u16 LE]
//   [content, Length − 2 bytes]. Tags: 1 FileHeader (XML), 2 StreamHeader (u32 StreamId + XML),
//   3 Samples (u32 StreamId, varlen NumSamples, then per sample: [u8 0|8][f64 timestamp if 8]
//   [values: channel_count × int8/16/32/64 | float32 | double64 LE, or per channel varlen length
//   + UTF-8 bytes for "string"]), 4 ClockOffset (u32 StreamId, f64 collection time, f64 offset),
//   5 Boundary (16-byte UUID), 6 StreamFooter (u32 StreamId + XML). Varlen = [u8 n ∈ {1,4,8}][n-byte LE].
//   A missing timestamp is the previous one + 1/nominal_srate (pyxdf).
//
// Time processing follows pyxdf.load_xdf defaults (synchronize_clocks, handle_clock_resets,
// dejitter_timestamps; thresholds 5 s / 5 MAD for reset intervals, 1 s / 10 MAD for offset jumps,
// winsor 1e-4, jitter break > max(1 s, 500 samples)):
//   1. clock offsets are split into segments at clock resets (interval < 0, or interval AND value
//      glitches); each segment gets a Huber-robust linear fit offset(t) = a + b·t (ADMM, 1000
//      iterations, as pyxdf._robust_fit); a single-point segment uses its value.
//      Samples are assigned to a segment until a timestamp is closer to the next segment's first
//      clock time than to the current segment's last; each timestamp t becomes t + a + b·t.
//   2. regularly sampled streams are split at breaks and each segment's timestamps are replaced by
//      the least-squares line over sample index.
//   Not implemented: pyxdf's truncation of a corrupted last clock offset (pylsl#67), select_streams,
//   on_chunk, .xdfz. Timestamps stay on the LSL clock (seconds → ms); meta.startTimeMs is undefined,
//   meta.recordedAtMs is the file header's datetime.
//
// Output: numeric streams → RecordingStream (float32; int64 values beyond 2^24 lose precision);
// string streams → markers (value = the channel's string; multi-channel samples joined with "|").
import { InputError } from '../core/errors';
import type { ChannelInfo, MarkerEvent, StreamDescriptor } from '../core/stream';
import { ByteReader, decodeUtf8 } from './bytes';
import type { RecordingData, RecordingStream } from './recording';
import { child, childText, parseXml, type XmlElement } from './xml-lite';

type ChannelFormat = 'int8' | 'int16' | 'int32' | 'int64' | 'float32' | 'double64' | 'string';
const FORMAT_BYTES: Record<ChannelFormat, number> = { int8: 1, int16: 2, int32: 4, int64: 8, float32: 4, double64: 8, string: 0 };

export interface XdfStreamInfo {
  streamId: number;
  name: string;
  type: string;
  channelCount: number;
  nominalSrateHz: number;
  channelFormat: ChannelFormat;
  header: XmlElement;
  footer?: XmlElement;
  /** Timestamps in seconds (LSL clock), after clock sync and dejittering. */
  timeStampsS: Float64Array;
  /** Numeric values, frame-major (numeric streams). */
  values?: Float64Array;
  /** String values [sample][channel] (string streams). */
  strings?: string[][];
  clockTimesS: number[];
  clockValuesS: number[];
  /** Inclusive [start, end] sample ranges between breaks (pyxdf "segments"). */
  segments: [number, number][];
  clockSegments: [number, number][];
  effectiveSrateHz: number;
}

export interface XdfOptions {
  synchronizeClocks?: boolean;
  handleClockResets?: boolean;
  dejitterTimestamps?: boolean;
}

interface Temp {
  info: Omit<XdfStreamInfo, 'timeStampsS' | 'values' | 'strings' | 'segments' | 'clockSegments' | 'effectiveSrateHz'>;
  stampChunks: Float64Array[];
  valueChunks: Float64Array[];
  strings: string[][];
  n: number;
  lastTimestamp: number;
  tdiff: number;
}

function varlen(r: ByteReader, field: string): number {
  const n = r.u8(`${field} size byte`);
  if (n === 1) return r.u8(field);
  if (n === 4) return r.u32(field);
  if (n === 8) return r.u64(field);
  throw new InputError(`${field} at byte ${r.pos - 1}: variable-length integer size ${n}, expected 1, 4 or 8`, r.fileName);
}

function xml(bytes: Uint8Array, fileName: string, what: string): XmlElement {
  try {
    return parseXml(decodeUtf8(bytes));
  } catch (e) {
    throw new InputError(`${what} XML is malformed (${e instanceof Error ? e.message : String(e)})`, fileName);
  }
}

/** Parse all chunks and apply pyxdf's time processing. */
export function readXdfStreams(bytes: Uint8Array, fileName = 'recording.xdf', options: XdfOptions = {}): { fileHeader?: XmlElement; streams: XdfStreamInfo[] } {
  const r = new ByteReader(bytes, fileName);
  if (bytes.length < 4 || bytes[0] !== 0x58 || bytes[1] !== 0x44 || bytes[2] !== 0x46 || bytes[3] !== 0x3a) {
    throw new InputError('magic is not "XDF:": not an XDF file', fileName);
  }
  r.pos = 4;
  let fileHeader: XmlElement | undefined;
  const temps = new Map<number, Temp>();
  while (r.remaining > 0) {
    const chunkStart = r.pos;
    const len = varlen(r, `chunk length at byte ${chunkStart}`);
    if (len < 2) throw new InputError(`chunk at byte ${chunkStart}: length ${len} is shorter than its tag`, fileName);
    r.need(len, `chunk at byte ${chunkStart} (length ${len})`);
    const end = r.pos + len;
    const tag = r.view.getUint16(r.pos, true);
    r.pos += 2;
    const body = new ByteReader(bytes.subarray(r.pos, end), fileName);
    const where = `chunk tag ${tag} at byte ${chunkStart}`;
    if (tag === 1) {
      fileHeader = xml(body.bytes, fileName, 'FileHeader');
    } else if (tag === 2 || tag === 3 || tag === 4 || tag === 6) {
      const id = body.u32(`${where} stream id`);
      if (tag === 2) {
        const h = xml(body.bytes.subarray(4), fileName, `StreamHeader of stream ${id}`);
        const channelCount = Number(childText(h, 'channel_count'));
        const fmt = childText(h, 'channel_format') as ChannelFormat;
        const srate = Number(childText(h, 'nominal_srate') || '0');
        if (!Number.isInteger(channelCount) || channelCount < 1 || channelCount > 1_000_000) {
          throw new InputError(`StreamHeader of stream ${id}: channel_count "${childText(h, 'channel_count')}" is not a positive integer`, fileName);
        }
        if (!(fmt in FORMAT_BYTES)) throw new InputError(`StreamHeader of stream ${id}: channel_format "${fmt}" is not one of ${Object.keys(FORMAT_BYTES).join(', ')}`, fileName);
        if (!(srate >= 0)) throw new InputError(`StreamHeader of stream ${id}: nominal_srate "${childText(h, 'nominal_srate')}" is not ≥ 0`, fileName);
        temps.set(id, {
          info: { streamId: id, name: childText(h, 'name'), type: childText(h, 'type'), channelCount, nominalSrateHz: srate, channelFormat: fmt, header: h, clockTimesS: [], clockValuesS: [] },
          stampChunks: [],
          valueChunks: [],
          strings: [],
          n: 0,
          lastTimestamp: 0,
          tdiff: srate > 0 ? 1 / srate : 0,
        });
      } else {
        const t = temps.get(id);
        if (!t) throw new InputError(`${where}: stream ${id} has no StreamHeader before its data`, fileName);
        if (tag === 3) readSamples(body, t, where);
        else if (tag === 4) {
          t.info.clockTimesS.push(body.f64(`${where} collection time`));
          t.info.clockValuesS.push(body.f64(`${where} offset value`));
        } else {
          t.info.footer = xml(body.bytes.subarray(4), fileName, `StreamFooter of stream ${id}`);
        }
      }
    }
    // Tag 5 (Boundary) and unknown tags are skipped.
    r.pos = end;
  }

  const streams: XdfStreamInfo[] = [];
  for (const t of temps.values()) {
    const stamps = concat(t.stampChunks, t.n);
    const s: XdfStreamInfo = {
      ...t.info,
      timeStampsS: stamps,
      segments: [],
      clockSegments: [],
      effectiveSrateHz: 0,
    };
    if (t.info.channelFormat === 'string') s.strings = t.strings;
    else s.values = concat(t.valueChunks, t.n * t.info.channelCount);
    streams.push(s);
  }
  if (options.synchronizeClocks ?? true) for (const s of streams) clockSync(s, options.handleClockResets ?? true);
  if (options.dejitterTimestamps ?? true) for (const s of streams) jitterRemoval(s);
  else
    for (const s of streams) {
      const n = s.timeStampsS.length;
      if (n > 0) s.segments.push([0, n - 1]);
      if (n > 1) s.effectiveSrateHz = (n - 1) / (s.timeStampsS[n - 1] - s.timeStampsS[0]);
    }
  return { fileHeader, streams };
}

function concat(chunks: Float64Array[], n: number): Float64Array {
  const out = new Float64Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function readSamples(r: ByteReader, t: Temp, where: string): void {
  const nch = t.info.channelCount;
  const fmt = t.info.channelFormat;
  const size = FORMAT_BYTES[fmt];
  const n = varlen(r, `${where} sample count`);
  // Smallest possible sample: 1 timestamp byte + values (strings: 2 bytes per empty channel).
  const minBytes = 1 + nch * (fmt === 'string' ? 2 : size);
  if (n * minBytes > r.remaining) {
    throw new InputError(`${where}: sample count ${n} needs at least ${n * minBytes} bytes but the chunk has ${r.remaining}`, r.fileName);
  }
  const stamps = new Float64Array(n);
  const values = fmt === 'string' ? null : new Float64Array(n * nch);
  const v = r.view;
  for (let k = 0; k < n; k++) {
    const tsBytes = r.u8(`${where} sample ${k} timestamp size`);
    if (tsBytes === 8) stamps[k] = r.f64(`${where} sample ${k} timestamp`);
    else if (tsBytes === 0) stamps[k] = t.lastTimestamp + t.tdiff;
    else throw new InputError(`${where} sample ${k}: timestamp size byte ${tsBytes}, expected 0 or 8`, r.fileName);
    t.lastTimestamp = stamps[k];
    if (values) {
      r.need(nch * size, `${where} sample ${k} values`);
      let p = r.pos;
      const o = k * nch;
      for (let c = 0; c < nch; c++, p += size) {
        switch (fmt) {
          case 'float32': values[o + c] = v.getFloat32(p, true); break;
          case 'double64': values[o + c] = v.getFloat64(p, true); break;
          case 'int8': values[o + c] = v.getInt8(p); break;
          case 'int16': values[o + c] = v.getInt16(p, true); break;
          case 'int32': values[o + c] = v.getInt32(p, true); break;
          case 'int64': values[o + c] = Number(v.getBigInt64(p, true)); break;
        }
      }
      r.pos = p;
    } else {
      const row: string[] = [];
      for (let c = 0; c < nch; c++) {
        const len = varlen(r, `${where} sample ${k} string length`);
        row.push(decodeUtf8(r.slice(len, `${where} sample ${k} string`)));
      }
      t.strings.push(row);
    }
  }
  t.stampChunks.push(stamps);
  if (values) t.valueChunks.push(values);
  t.n += n;
}

function median(a: ArrayLike<number>): number {
  const s = Array.from(a).sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function segmentClockDiff(diff: number[], threshStds: number, threshSecs: number): boolean[] {
  const med = median(diff);
  const shifted = diff.map((d) => d - med);
  const mad = median(shifted.map(Math.abs)) + Number.EPSILON;
  return shifted.map((d) => Math.abs(d / mad) > threshStds && Math.abs(d) > threshSecs);
}

/** Segments [start, end] (inclusive) between breaks. */
function segmentIndices(breaks: boolean[]): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < breaks.length; i++) {
    if (breaks[i]) {
      out.push([start, i]);
      start = i + 1;
    }
  }
  out.push([start, breaks.length]);
  return out;
}

/** pyxdf._robust_fit: Huber regression y ≈ a + b·x by ADMM (rho 1, 1000 iterations). */
export function robustFit(x: number[], y: number[], iterations = 1000): [number, number] {
  const n = x.length;
  const offset = Math.min(...x);
  const xs = x.map((v) => v - offset);
  // AᵀA for A = [1, xs].
  let s1 = 0;
  let sx = 0;
  let sxx = 0;
  for (const v of xs) {
    s1 += 1;
    sx += v;
    sxx += v * v;
  }
  const det = s1 * sxx - sx * sx;
  if (!(det !== 0)) throw new Error('singular clock-offset fit');
  let aty0 = 0;
  let aty1 = 0;
  for (let i = 0; i < n; i++) {
    aty0 += y[i];
    aty1 += xs[i] * y[i];
  }
  const z = new Float64Array(n);
  const u = new Float64Array(n);
  let a = 0;
  let b = 0;
  for (let k = 0; k < iterations; k++) {
    let r0 = aty0;
    let r1 = aty1;
    for (let i = 0; i < n; i++) {
      const w = z[i] - u[i];
      r0 += w;
      r1 += xs[i] * w;
    }
    a = (sxx * r0 - sx * r1) / det;
    b = (s1 * r1 - sx * r0) / det;
    for (let i = 0; i < n; i++) {
      const d = a + b * xs[i] - y[i] + u[i];
      const dInv = d !== 0 ? 1 / d : 0;
      const tmp = Math.max(0, 1 - 2 * Math.abs(dInv));
      z[i] = 0.5 * d + 0.5 * tmp * d;
      u[i] = d - z[i];
    }
  }
  return [a - b * offset, b];
}

function clockSync(s: XdfStreamInfo, handleResets: boolean): void {
  const ts = s.timeStampsS;
  const ct = s.clockTimesS;
  const cv = s.clockValuesS;
  if (ts.length === 0 || ct.length === 0) return;
  let ranges: [number, number][] = [[0, ct.length - 1]];
  if (handleResets && ct.length > 1) {
    const timeDiff = ct.slice(1).map((t, i) => t - ct[i]);
    const valueDiff = cv.slice(1).map((v, i) => v - cv[i]);
    const tg = segmentClockDiff(timeDiff, 5, 5);
    const vg = segmentClockDiff(valueDiff, 10, 1);
    ranges = segmentIndices(timeDiff.map((d, i) => d < 0 || (tg[i] && vg[i])));
  }
  const winsor = 1e-4;
  const coef: [number, number][] = ranges.map(([a, b]) => {
    if (a === b) return [cv[a], 0];
    try {
      const [c0, c1] = robustFit(ct.slice(a, b + 1).map((t) => t / winsor), cv.slice(a, b + 1).map((v) => v / winsor));
      return [c0 * winsor, c1];
    } catch {
      return [0, 0];
    }
  });
  if (ranges.length === 1) {
    for (let i = 0; i < ts.length; i++) ts[i] += coef[0][0] + coef[0][1] * ts[i];
    s.clockSegments.push([0, ts.length - 1]);
    return;
  }
  let tsStart = 0;
  ranges.forEach(([, last], k) => {
    const stop = last + 1;
    let tsStop: number;
    if (stop < ct.length) {
      const curEnd = ct[last];
      const nextStart = ct[stop];
      tsStop = ts.length;
      for (let i = tsStart; i < ts.length; i++) {
        if (!(Math.abs(ts[i] - curEnd) < Math.abs(ts[i] - nextStart))) {
          tsStop = i;
          break;
        }
      }
    } else tsStop = ts.length;
    if (tsStop > tsStart) {
      s.clockSegments.push([tsStart, tsStop - 1]);
      for (let i = tsStart; i < tsStop; i++) ts[i] += coef[k][0] + coef[k][1] * ts[i];
      tsStart = tsStop;
    }
  });
}

function jitterRemoval(s: XdfStreamInfo): void {
  const ts = s.timeStampsS;
  const n = ts.length;
  s.effectiveSrateHz = 0;
  if (n === 0) return;
  if (s.nominalSrateHz === 0) {
    s.segments.push([0, n - 1]);
    return;
  }
  const threshold = Math.max(1, 500 / s.nominalSrateHz);
  const breaks: boolean[] = [];
  for (let i = 1; i < n; i++) breaks.push(Math.abs(ts[i] - ts[i - 1]) > threshold);
  const segs = segmentIndices(breaks);
  s.segments.push(...segs);
  let counts = 0;
  let durations = 0;
  for (const [a, b] of segs) {
    // Least squares ts[i] ≈ p + q·i over the segment (centred for precision).
    const m = b - a + 1;
    const iMean = (a + b) / 2;
    let tMean = 0;
    for (let i = a; i <= b; i++) tMean += ts[i];
    tMean /= m;
    let sxy = 0;
    let sxx = 0;
    for (let i = a; i <= b; i++) {
      sxy += (i - iMean) * (ts[i] - tMean);
      sxx += (i - iMean) * (i - iMean);
    }
    const q = sxx > 0 ? sxy / sxx : 0;
    for (let i = a; i <= b; i++) ts[i] = tMean + q * (i - iMean);
    counts += m - 1;
    durations += ts[b] - ts[a];
  }
  if (counts > 0 && durations > 0) s.effectiveSrateHz = counts / durations;
}

function streamKind(type: string): StreamDescriptor['kind'] {
  const t = type.toLowerCase();
  if (t === 'eeg') return 'eeg';
  if (t === 'nirs' || t === 'fnirs') return 'fnirs';
  return 'aux';
}

function channelsOf(s: XdfStreamInfo): ChannelInfo[] {
  const list = child(s.header, 'desc/channels')?.children.filter((c) => c.tag === 'channel') ?? [];
  const defaultType = s.type.toUpperCase() === 'EEG' ? 'EEG' : 'MISC';
  return Array.from({ length: s.channelCount }, (_, i) => {
    const c = list[i];
    const unit = childText(c, 'unit');
    return {
      label: childText(c, 'label') || `ch${i + 1}`,
      unit: unit === 'microvolts' || unit === 'µV' ? 'uV' : unit,
      type: (childText(c, 'type') || defaultType).toUpperCase(),
    };
  });
}

/** Read an XDF file into the common model. */
export function readXdf(bytes: Uint8Array, fileName = 'recording.xdf', options: XdfOptions = {}): RecordingData {
  const { fileHeader, streams } = readXdfStreams(bytes, fileName, options);
  const out: RecordingStream[] = [];
  const markers: MarkerEvent[] = [];
  const extra: Record<string, string> = {};
  const datetime = childText(fileHeader, 'datetime');
  if (datetime) extra.datetime = datetime;
  const recordedAtMs = datetime ? parseXdfDatetime(datetime) : undefined;
  const usedIds = new Set<string>();
  for (const s of streams) {
    extra[`stream ${s.streamId}`] = `${s.name} (${s.type}, ${s.channelFormat}, ${s.timeStampsS.length} samples, effective ${s.effectiveSrateHz.toFixed(3)} Hz)`;
    if (s.strings) {
      s.strings.forEach((row, i) => markers.push({ timestampMs: s.timeStampsS[i] * 1000, value: row.join('|') }));
      continue;
    }
    let id = (s.name || `stream-${s.streamId}`).toLowerCase().replace(/[^a-z0-9_.]+/g, '-').replace(/^-+|-+$/g, '') || `stream-${s.streamId}`;
    if (usedIds.has(id)) id = `${id}-${s.streamId}`;
    usedIds.add(id);
    const t = Float64Array.from(s.timeStampsS, (x) => x * 1000);
    out.push({
      descriptor: { id, name: s.name, kind: streamKind(s.type), sampleRateHz: s.nominalSrateHz, channels: channelsOf(s) },
      samples: Float32Array.from(s.values!),
      timestampsMs: t,
    });
  }
  markers.sort((a, b) => a.timestampMs - b.timestampMs);
  return { meta: { sourceFormat: 'xdf', ...(recordedAtMs !== undefined ? { recordedAtMs } : {}), extra }, streams: out, markers };
}

/**
 * LabRecorder's header `<datetime>` (ISO 8601: "2025-01-31T00:21:17+0000", zone with or without a
 * colon; none read as UTC, like EDF) in ms since the epoch; undefined when it is not such a date.
 */
export function parseXdfDatetime(text: string): number | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(\.\d+)?(Z|([+-])(\d\d):?(\d\d))?$/.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone, sign, zh, zm] = m;
  if (+mo < 1 || +mo > 12 || +d < 1 || +d > 31) return undefined;
  const local = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s) + (frac ? Math.round(Number(frac) * 1000) : 0);
  const offsetMs = zone && zone !== 'Z' ? (sign === '-' ? -1 : 1) * (+zh * 60 + +zm) * 60_000 : 0;
  return local - offsetMs;
}
