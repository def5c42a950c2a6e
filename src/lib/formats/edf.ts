// EDF/EDF+ (16-bit) and BDF/BDF+ (24-bit) reader and writer over bytes → RecordingData.
// Pure; runs anywhere (page, workers, service worker, Node). Never trusts header sizes: every
// count is checked against the byte length before anything is allocated.
//
// Byte layout (EDF spec, https://www.edfplus.info/specs/edf.html; BDF = same with 24-bit samples):
//   fixed header 256 B: version 8 | patient 80 | recording 80 | startdate 8 "dd.mm.yy" |
//     starttime 8 "hh.mm.ss" | header bytes 8 | reserved 44 ("EDF+C", "EDF+D", "BDF+C", "24BIT") |
//     data records 8 (-1 = unknown) | record duration s 8 | signal count ns 4
//   per-signal header ns × 256 B, field-major: label 16 | transducer 80 | physical dimension 8 |
//     physical min 8 | physical max 8 | digital min 8 | digital max 8 | prefilter 80 |
//     samples per record 8 | reserved 32
//   data records: for each record, for each signal, its samples (int16 LE or int24 LE).
// EDF+ annotations ("EDF Annotations"/"BDF Annotations" signal) hold TALs:
//   "+onset[\x15duration]\x14text\x14text…\x14\x00"; the first TAL of each record has an empty
//   first text and gives that record's start (s after the header's start second): this carries the
//   sub-second start (first record) and the gaps of EDF+D.
//
// Read model: signals with the same samples-per-record (same rate) form one stream
// ("eeg" when there is only one group of data signals and it holds EEG, else "signals-<rate>hz").
// The BioSemi "Status" channel of BDF files becomes its own stream "status" (type STIM, values =
// low 16 bits of the 24-bit word, i.e. the trigger lines) and a marker is emitted each time the
// low 16 bits change to a non-zero value (value = that number as text); upper bits (CMS, battery,
// epoch) are dropped. Physical value = (digital − digMin) · (physMax − physMin)/(digMax − digMin)
// + physMin, which also handles inverted ranges (physMin > physMax → negative gain).
import { InputError } from '../core/errors';
import type { ChannelInfo, MarkerEvent, StreamDescriptor } from '../core/stream';
import { decodeUtf8, encodeUtf8, latin1, littleEndianHost } from './bytes';
import type { RecordingData, RecordingStream } from './recording';

export type EdfVariant = 'EDF' | 'EDF+C' | 'EDF+D' | 'BDF' | 'BDF+C' | 'BDF+D';

export interface EdfSignalHeader {
  label: string;
  transducer: string;
  physicalDimension: string;
  physicalMin: number;
  physicalMax: number;
  digitalMin: number;
  digitalMax: number;
  prefilter: string;
  samplesPerRecord: number;
  isAnnotation: boolean;
}

export interface EdfHeader {
  variant: EdfVariant;
  /** 2 for EDF, 3 for BDF. */
  bytesPerSample: 2 | 3;
  patient: string;
  recording: string;
  /** Start from startdate/starttime (+ the 4-digit year of the EDF+ recording field), ms since epoch, read as UTC; undefined if unparsable. */
  startSecondMs?: number;
  headerBytes: number;
  recordCount: number;
  recordDurationS: number;
  signals: EdfSignalHeader[];
  /** Bytes of one data record. */
  recordBytes: number;
}

const FIELD_LENGTHS = [16, 80, 8, 8, 8, 8, 8, 80, 8, 32] as const;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

function fieldNumber(bytes: Uint8Array, offset: number, length: number, fileName: string, field: string, integer = false): number {
  const raw = latin1(bytes, offset, length).trim();
  const v = Number(raw);
  if (raw === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new InputError(`header field ${field} is "${raw}", expected ${integer ? 'an integer' : 'a number'}`, fileName);
  }
  return v;
}

/** Parse the fixed and per-signal headers; validates every size against bytes.length. */
export function readEdfHeader(bytes: Uint8Array, fileName = 'recording.edf'): EdfHeader {
  if (bytes.length < 256) {
    throw new InputError(`file is ${bytes.length} bytes, shorter than the 256-byte EDF/BDF header`, fileName);
  }
  const isBdf = bytes[0] === 0xff && latin1(bytes, 1, 7) === 'BIOSEMI';
  const version = latin1(bytes, 0, 8);
  if (!isBdf && version.trim() !== '0') {
    throw new InputError(`header field version is ${JSON.stringify(version)}: not an EDF ("0") or BDF (0xFF "BIOSEMI") file`, fileName);
  }
  const patient = latin1(bytes, 8, 80).trim();
  const recording = latin1(bytes, 88, 80).trim();
  const headerBytes = fieldNumber(bytes, 184, 8, fileName, 'header bytes', true);
  const reserved = latin1(bytes, 192, 44).trim();
  let recordCount = fieldNumber(bytes, 236, 8, fileName, 'number of data records', true);
  const recordDurationS = fieldNumber(bytes, 244, 8, fileName, 'record duration');
  const ns = fieldNumber(bytes, 252, 4, fileName, 'number of signals', true);
  if (ns < 1) throw new InputError(`header field number of signals is ${ns}, expected ≥ 1`, fileName);
  if (256 + ns * 256 > bytes.length) {
    throw new InputError(`header field number of signals is ${ns}, needing a ${256 + ns * 256}-byte header, but the file has only ${bytes.length} bytes`, fileName);
  }
  if (headerBytes !== 256 + ns * 256) {
    throw new InputError(`header field header bytes is ${headerBytes}, expected 256 × (1 + ${ns} signals) = ${256 + ns * 256}`, fileName);
  }
  if (!(recordDurationS >= 0)) throw new InputError(`header field record duration is ${recordDurationS} s, expected ≥ 0`, fileName);
  const bytesPerSample: 2 | 3 = isBdf || reserved.startsWith('24BIT') || reserved.startsWith('BDF') ? 3 : 2;
  let variant: EdfVariant = bytesPerSample === 3 ? 'BDF' : 'EDF';
  const plus = reserved.startsWith('EDF+') || reserved.startsWith('BDF+');
  if (plus) variant = `${variant}+${reserved[4] === 'D' ? 'D' : 'C'}` as EdfVariant;

  const fieldOffsets: number[] = [];
  let o = 256;
  for (const len of FIELD_LENGTHS) {
    fieldOffsets.push(o);
    o += len * ns;
  }
  const annotationLabel = bytesPerSample === 3 ? 'BDF Annotations' : 'EDF Annotations';
  const signals: EdfSignalHeader[] = [];
  let samplesPerRecordTotal = 0;
  for (let i = 0; i < ns; i++) {
    const at = (f: number) => fieldOffsets[f] + i * FIELD_LENGTHS[f];
    const label = latin1(bytes, at(0), 16).trim();
    const name = (f: string) => `${f} of signal ${i + 1} (${label || 'unnamed'})`;
    const isAnnotation = plus && (label === 'EDF Annotations' || label === annotationLabel);
    const s: EdfSignalHeader = {
      label,
      transducer: latin1(bytes, at(1), 80).trim(),
      physicalDimension: latin1(bytes, at(2), 8).trim(),
      physicalMin: fieldNumber(bytes, at(3), 8, fileName, name('physical minimum')),
      physicalMax: fieldNumber(bytes, at(4), 8, fileName, name('physical maximum')),
      digitalMin: fieldNumber(bytes, at(5), 8, fileName, name('digital minimum'), true),
      digitalMax: fieldNumber(bytes, at(6), 8, fileName, name('digital maximum'), true),
      prefilter: latin1(bytes, at(7), 80).trim(),
      samplesPerRecord: fieldNumber(bytes, at(8), 8, fileName, name('samples per record'), true),
      isAnnotation,
    };
    if (s.samplesPerRecord < 1 || s.samplesPerRecord > bytes.length) {
      throw new InputError(`header field ${name('samples per record')} is ${s.samplesPerRecord}, expected 1…${bytes.length} (file size)`, fileName);
    }
    if (!isAnnotation) {
      if (s.digitalMax <= s.digitalMin) {
        throw new InputError(`header field ${name('digital maximum')} is ${s.digitalMax}, not above the digital minimum ${s.digitalMin}`, fileName);
      }
      if (s.physicalMax === s.physicalMin) {
        throw new InputError(`header field ${name('physical maximum')} equals the physical minimum (${s.physicalMin}): gain would be 0`, fileName);
      }
    }
    samplesPerRecordTotal += s.samplesPerRecord;
    signals.push(s);
  }
  const recordBytes = samplesPerRecordTotal * bytesPerSample;
  const available = bytes.length - headerBytes;
  if (recordCount === -1) {
    recordCount = Math.floor(available / recordBytes);
  } else if (recordCount < 0) {
    throw new InputError(`header field number of data records is ${recordCount}, expected ≥ 0 or -1 (unknown)`, fileName);
  } else if (recordCount * recordBytes > available) {
    throw new InputError(
      `header field number of data records is ${recordCount} (${recordCount * recordBytes} bytes of ${recordBytes} each) but only ${available} bytes follow the header: file truncated`,
      fileName,
    );
  }
  const hasData = signals.some((s) => !s.isAnnotation);
  if (hasData && !(recordDurationS > 0)) {
    throw new InputError(`header field record duration is ${recordDurationS} s; must be > 0 for a file with signals`, fileName);
  }
  return {
    variant,
    bytesPerSample,
    patient,
    recording,
    startSecondMs: parseStart(latin1(bytes, 168, 8), latin1(bytes, 176, 8), recording),
    headerBytes,
    recordCount,
    recordDurationS,
    signals,
    recordBytes,
  };
}

function parseStart(date: string, time: string, recording: string): number | undefined {
  const d = /^(\d\d)\.(\d\d)\.(\d\d)$/.exec(date.trim());
  const t = /^(\d\d)\.(\d\d)\.(\d\d)$/.exec(time.trim());
  if (!d || !t) return undefined;
  const yy = Number(d[3]);
  let year = yy >= 85 ? 1900 + yy : 2000 + yy;
  // EDF+ "Startdate 12-AUG-2009 …" carries the 4-digit year (needed after 2084).
  const m = /^Startdate (\d\d)-([A-Z]{3})-(\d{4})/.exec(recording);
  if (m) year = Number(m[3]);
  const ms = Date.UTC(year, Number(d[2]) - 1, Number(d[1]), Number(t[1]), Number(t[2]), Number(t[3]));
  return Number.isFinite(ms) ? ms : undefined;
}

interface Tal {
  onsetS: number;
  durationS?: number;
  texts: string[];
}

/** Parse the TALs in one record's annotation bytes. */
function parseTals(b: Uint8Array, fileName: string, record: number): Tal[] {
  const tals: Tal[] = [];
  let i = 0;
  while (i < b.length) {
    if (b[i] === 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < b.length && b[end] !== 0) end++;
    const text = decodeUtf8(b.subarray(i, end));
    i = end + 1;
    const parts = text.split('\x14');
    const [onsetText, durText] = parts[0].split('\x15');
    const onsetS = Number(onsetText);
    if (!/^[+-]/.test(onsetText) || !Number.isFinite(onsetS)) {
      throw new InputError(`annotation onset ${JSON.stringify(onsetText)} in data record ${record + 1} is not a signed number`, fileName);
    }
    const durationS = durText !== undefined && durText !== '' ? Number(durText) : undefined;
    tals.push({ onsetS, durationS: Number.isFinite(durationS) ? durationS : undefined, texts: parts.slice(1) });
  }
  return tals;
}

function channelType(label: string, isStatus: boolean): { type: string; label: string } {
  if (isStatus) return { type: 'STIM', label };
  const m = /^(EEG|ECG|EKG|EOG|EMG|ERG|Resp|SaO2|Temp|Light|Sound|Event)\s/i.exec(label);
  if (!m) return { type: 'EEG', label };
  const k = m[1].toUpperCase();
  const type = k === 'EKG' ? 'ECG' : ['EEG', 'ECG', 'EOG', 'EMG'].includes(k) ? k : k === 'EVENT' ? 'STIM' : 'MISC';
  return { type, label };
}

function normaliseUnit(u: string): string {
  if (u === 'µV' || u === 'μV' || u.toLowerCase() === 'uv') return 'uV';
  return u;
}

function rateLabel(hz: number): string {
  return Number.isInteger(hz) ? String(hz) : hz.toFixed(3).replace(/0+$/, '');
}

/** Read an EDF/EDF+/BDF/BDF+ file. Allocates the whole recording (float32). */
export function readEdf(bytes: Uint8Array, fileName = 'recording.edf'): RecordingData {
  const h = readEdfHeader(bytes, fileName);
  const bps = h.bytesPerSample;
  const isBdf = bps === 3;
  const ns = h.signals.length;
  const sigByteOffset: number[] = [];
  let acc = 0;
  for (const s of h.signals) {
    sigByteOffset.push(acc);
    acc += s.samplesPerRecord * bps;
  }

  // Annotations and record start times.
  const annotationSignals = h.signals.map((s, i) => (s.isAnnotation ? i : -1)).filter((i) => i >= 0);
  const recordStartS = new Float64Array(h.recordCount);
  for (let r = 0; r < h.recordCount; r++) recordStartS[r] = r * h.recordDurationS;
  const tals: Tal[] = [];
  let firstOffsetS = 0;
  for (let r = 0; r < h.recordCount; r++) {
    let first = true;
    for (const si of annotationSignals) {
      const start = h.headerBytes + r * h.recordBytes + sigByteOffset[si];
      const recTals = parseTals(bytes.subarray(start, start + h.signals[si].samplesPerRecord * bps), fileName, r);
      for (let k = 0; k < recTals.length; k++) {
        const t = recTals[k];
        let texts = t.texts;
        if (first && k === 0 && texts.length > 0 && texts[0] === '') {
          // Timekeeping TAL: this record's start.
          if (r === 0) firstOffsetS = t.onsetS;
          if (h.variant.endsWith('+D')) recordStartS[r] = t.onsetS;
          texts = texts.slice(1);
        }
        const real = texts.filter((x) => x !== '');
        if (real.length) tals.push({ ...t, texts: real });
      }
      first = false;
    }
  }
  if (!h.variant.endsWith('+D')) for (let r = 0; r < h.recordCount; r++) recordStartS[r] += firstOffsetS;

  const baseMs = h.startSecondMs ?? 0;
  const markers: MarkerEvent[] = [];
  for (const t of tals) {
    for (const text of t.texts) {
      const m: MarkerEvent = { timestampMs: baseMs + t.onsetS * 1000, value: text };
      if (t.durationS !== undefined) m.durationMs = t.durationS * 1000;
      markers.push(m);
    }
  }

  // Group data signals by samples per record.
  const isStatus = (s: EdfSignalHeader) => isBdf && s.label.toLowerCase() === 'status';
  const groups = new Map<number, number[]>();
  const statusSignals: number[] = [];
  h.signals.forEach((s, i) => {
    if (s.isAnnotation) return;
    if (isStatus(s)) {
      statusSignals.push(i);
      return;
    }
    const g = groups.get(s.samplesPerRecord) ?? [];
    g.push(i);
    groups.set(s.samplesPerRecord, g);
  });

  const i16 = bps === 2 ? int16View(bytes) : null;
  const streams: RecordingStream[] = [];
  const makeStream = (members: number[], id: string, kind: StreamDescriptor['kind'], status: boolean): RecordingStream => {
    const spr = h.signals[members[0]].samplesPerRecord;
    const rateHz = spr / h.recordDurationS;
    const nc = members.length;
    const frames = spr * h.recordCount;
    const samples = new Float32Array(frames * nc);
    const timestampsMs = new Float64Array(frames);
    const periodS = h.recordDurationS / spr;
    for (let r = 0; r < h.recordCount; r++) {
      const t0 = baseMs + recordStartS[r] * 1000;
      for (let i = 0; i < spr; i++) timestampsMs[r * spr + i] = t0 + i * periodS * 1000;
    }
    const channels: ChannelInfo[] = [];
    const gains = new Float64Array(nc);
    const offsets = new Float64Array(nc);
    const byteOffsets = new Int32Array(nc);
    for (let c = 0; c < nc; c++) {
      const s = h.signals[members[c]];
      const ct = channelType(s.label, status);
      channels.push({ label: ct.label, unit: status ? '' : normaliseUnit(s.physicalDimension), type: ct.type });
      gains[c] = (s.physicalMax - s.physicalMin) / (s.digitalMax - s.digitalMin);
      offsets[c] = s.physicalMin - s.digitalMin * gains[c];
      byteOffsets[c] = sigByteOffset[members[c]];
    }
    decodeGroup(bytes, i16, h, byteOffsets, spr, gains, offsets, status, samples);
    return { descriptor: { id, name: id, kind, sampleRateHz: rateHz, channels }, samples, timestampsMs };
  };
  const groupList = [...groups.values()];
  for (const members of groupList) {
    const spr = h.signals[members[0]].samplesPerRecord;
    const hasEeg = members.some((i) => channelType(h.signals[i].label, false).type === 'EEG');
    const kind = hasEeg ? 'eeg' : 'aux';
    const id = groupList.length === 1 && hasEeg ? 'eeg' : `signals-${rateLabel(spr / h.recordDurationS)}hz`;
    streams.push(makeStream(members, id, kind, false));
  }
  if (statusSignals.length) {
    const s = makeStream(statusSignals.slice(0, 1), 'status', 'aux', true);
    streams.push(s);
    // A BDF+ written from a recording whose markers came from this channel carries them twice
    // (annotation + Status): keep one of each (same value within half a sample).
    const halfPeriodMs = (500 * h.recordDurationS) / h.signals[statusSignals[0]].samplesPerRecord;
    const annotated = markers.slice();
    let prev = 0;
    for (let i = 0; i < s.timestampsMs.length; i++) {
      const v = s.samples[i];
      if (v !== prev && v !== 0) {
        const t = s.timestampsMs[i];
        const value = String(v);
        if (!annotated.some((m) => m.value === value && Math.abs(m.timestampMs - t) <= halfPeriodMs)) markers.push({ timestampMs: t, value });
      }
      prev = v;
    }
  }
  markers.sort((a, b) => a.timestampMs - b.timestampMs);

  const meta: RecordingData['meta'] = {
    sourceFormat: isBdf ? 'bdf' : 'edf',
    extra: { variant: h.variant, patient: h.patient, recording: h.recording },
  };
  if (h.startSecondMs !== undefined) meta.startTimeMs = h.startSecondMs + firstOffsetS * 1000;
  if (h.variant.includes('+')) {
    // EDF+ patient: "code sex birthdate name"; recording: "Startdate date code technician equipment".
    const p = h.patient.split(' ');
    if (p[0] && p[0] !== 'X') meta.subject = p[0];
    const rec = h.recording.split(' ');
    if (rec[0] === 'Startdate') {
      if (rec[2] && rec[2] !== 'X') meta.session = rec[2];
      if (rec[4] && rec[4] !== 'X') meta.device = rec.slice(4).join(' ');
    }
  } else if (h.patient) {
    meta.subject = h.patient;
  }
  const prefilters = [...new Set(h.signals.filter((s) => !s.isAnnotation && s.prefilter).map((s) => s.prefilter))];
  if (prefilters.length) meta.extra!.prefilter = prefilters.join('; ');
  return { meta, streams, markers };
}

function int16View(bytes: Uint8Array): Int16Array | null {
  if (!littleEndianHost) return null;
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
  const copy = new Uint8Array(bytes.length & ~1);
  copy.set(bytes.subarray(0, copy.length));
  return new Int16Array(copy.buffer);
}

/** Hot path: decode one group of equal-rate signals of every record into frame-major output.
 *  Loop order record → sample → channel: writes are sequential and the reads stay inside one
 *  data record (a few tens of kB, cache-resident). */
function decodeGroup(
  bytes: Uint8Array,
  i16: Int16Array | null,
  h: EdfHeader,
  byteOffsets: Int32Array,
  spr: number,
  gains: Float64Array,
  offsets: Float64Array,
  status: boolean,
  out: Float32Array,
): void {
  const nc = byteOffsets.length;
  const bps = h.bytesPerSample;
  const base = new Int32Array(nc);
  let o = 0;
  for (let r = 0; r < h.recordCount; r++) {
    const recStart = h.headerBytes + r * h.recordBytes;
    if (bps === 2 && i16) {
      // headerBytes and recordBytes are even, so every signal starts on an int16 boundary.
      for (let c = 0; c < nc; c++) base[c] = (recStart + byteOffsets[c]) >> 1;
      for (let i = 0; i < spr; i++) for (let c = 0; c < nc; c++) out[o++] = i16[base[c] + i] * gains[c] + offsets[c];
    } else if (bps === 2) {
      for (let c = 0; c < nc; c++) base[c] = recStart + byteOffsets[c];
      for (let i = 0; i < spr; i++) {
        for (let c = 0; c < nc; c++) {
          const p = base[c] + 2 * i;
          out[o++] = (((bytes[p] | (bytes[p + 1] << 8)) << 16) >> 16) * gains[c] + offsets[c];
        }
      }
    } else {
      for (let c = 0; c < nc; c++) base[c] = recStart + byteOffsets[c];
      for (let i = 0; i < spr; i++) {
        for (let c = 0; c < nc; c++) {
          const p = base[c] + 3 * i;
          if (status) out[o++] = bytes[p] | (bytes[p + 1] << 8); // trigger lines: low 16 bits
          else out[o++] = (((bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16)) << 8) >> 8) * gains[c] + offsets[c];
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Writer

export interface EdfWriteOptions {
  /** 'edf' = EDF+ with 16-bit samples, 'bdf' = BDF+ with 24-bit samples. */
  format: 'edf' | 'bdf';
  /** Used in error messages. */
  fileName?: string;
  /** Record duration in seconds; chosen automatically (1 s when every rate is whole) if omitted. */
  recordDurationS?: number;
}

/** Format x in at most 8 characters, rounding toward -∞ (dir -1) or +∞ (dir +1) so ranges stay enclosing. */
export function formatField8(x: number, dir: -1 | 0 | 1 = 0): string {
  for (let d = 7; d >= 0; d--) {
    const f = 10 ** d;
    const v = dir < 0 ? Math.floor(x * f) / f : dir > 0 ? Math.ceil(x * f) / f : Math.round(x * f) / f;
    let s = v.toFixed(d);
    if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
    if (s === '-0') s = '0';
    if (s.length <= 8) return s;
  }
  throw new InputError(`value ${x} does not fit an 8-character EDF header field`);
}

function pad(s: string, n: number): string {
  // Header fields are ASCII: replace anything else, then pad/truncate.
  const a = s.replace(/[^\x20-\x7e]/g, '_');
  return a.length >= n ? a.slice(0, n) : a + ' '.repeat(n - a.length);
}

function chooseRecordDuration(rates: number[], fileName: string): { durationS: number; durationText: string } {
  const fits = (d: number) =>
    rates.every((r) => {
      const n = r * d;
      return Math.abs(n - Math.round(n)) < 1e-6 * Math.max(1, n) && Math.round(n) >= 1;
    });
  for (const d of [1, 0.5, 0.25, 0.2, 0.1, 2, 4, 5, 10, 0.05, 0.02, 0.01, 20, 60]) {
    if (fits(d)) return { durationS: d, durationText: formatField8(d) };
  }
  if (new Set(rates).size === 1) {
    const r = rates[0];
    for (let n = 1; n <= 1000; n++) {
      const text = formatField8(n / r);
      if (Math.abs(n / Number(text) - r) <= 1e-6 * r) return { durationS: Number(text), durationText: text };
    }
  }
  throw new InputError(`sample rates ${rates.join(', ')} Hz cannot share whole-sample EDF data records; resample first`, fileName);
}

function fmtOnset(s: number): string {
  const t = s.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  return (s >= 0 ? '+' : '') + (t === '-0' ? '0' : t);
}

/** Frames a persistent gap precedes: how far ahead a jump must hold before it counts as one. */
const GAP_CONFIRM_FRAMES = 16;

/**
 * Where the stream's contiguous segments start (frame 0 first): frame i starts one when samples are
 * missing before it — its timestamp is more than 1.5 periods after frame i−1's and the frames after it
 * do not catch up (each of the next GAP_CONFIRM_FRAMES stays over half a period late on frame i−1's
 * grid). Timestamps taken at arrival (an LSL outlet's push times, a board read over a busy link) jump
 * and catch up again; that is jitter, not a gap.
 */
export function gapStarts(t: ArrayLike<number>, sampleRateHz: number): number[] {
  const periodMs = 1000 / sampleRateHz;
  const starts = [0];
  for (let i = 1; i < t.length; i++) {
    if (!(t[i] - t[i - 1] > 1.5 * periodMs)) continue;
    let persists = true;
    for (let w = 0; w < GAP_CONFIRM_FRAMES && i + w < t.length && persists; w++) persists = t[i + w] - t[i - 1] > (w + 1.5) * periodMs;
    if (persists) starts.push(i);
  }
  return starts;
}

/** Write EDF+ (16-bit) or BDF+ (24-bit) with an annotation signal. Streams must start together;
 *  shorter streams are padded with their last value to whole records. Gaps in the first stream's
 *  timestamps (samples missing: `gapStarts`) make the file EDF+D/BDF+D: each contiguous segment starts a new
 *  record (start in its TAL) and its last record is padded with the segment's last value.
 *  Physical ranges come from each channel's min/max; NaN is written as the digital minimum. */
export function writeEdf(data: RecordingData, options: EdfWriteOptions): Uint8Array {
  const fileName = options.fileName ?? `recording.${options.format}`;
  const bdf = options.format === 'bdf';
  const bps = bdf ? 3 : 2;
  const dMin = bdf ? -8388608 : -32768;
  const dMax = bdf ? 8388607 : 32767;
  const streams = data.streams.filter((s) => s.descriptor.channels.length > 0 && s.timestampsMs.length > 0);
  for (const s of streams) {
    if (!(s.descriptor.sampleRateHz > 0)) {
      throw new InputError(`stream ${s.descriptor.id} has no regular sample rate; EDF needs one`, fileName);
    }
  }
  const rates = streams.map((s) => s.descriptor.sampleRateHz);
  let durationS: number;
  let durationText: string;
  if (options.recordDurationS) {
    durationS = options.recordDurationS;
    durationText = formatField8(durationS);
  } else if (rates.length) {
    ({ durationS, durationText } = chooseRecordDuration(rates, fileName));
  } else {
    durationS = 1;
    durationText = '1';
  }
  const spr = streams.map((s) => Math.round(s.descriptor.sampleRateHz * durationS));

  const startMs =
    data.meta.startTimeMs ?? (streams.length ? streams[0].timestampsMs[0] : data.markers[0]?.timestampMs ?? 0);
  // EDF dates cover 1985–2084; a start outside (e.g. relative clocks) is written as 01.01.85 00.00.00.
  const startDate = new Date(startMs);
  const inRange = startDate.getUTCFullYear() >= 1985 && startDate.getUTCFullYear() <= 2084;
  const headerSecondMs = inRange ? Math.floor(startMs / 1000) * 1000 : Date.UTC(1985, 0, 1);
  const shiftMs = inRange ? 0 : headerSecondMs - Math.floor(startMs / 1000) * 1000;
  const toFileS = (tMs: number) => (tMs + shiftMs - headerSecondMs) / 1000;

  // Record plan. Continuous data (no gap in the first stream's timestamps): records are consecutive
  // blocks of frames. With gaps (gapStarts): each contiguous segment of the first stream
  // starts a new record (EDF+D), the segment's last record is padded with its last value, and other
  // streams take the frames whose timestamps fall in each record's time span.
  const firstOffsetS = toFileS(startMs);
  const starts: number[] = []; // record start, ms on the data clock
  let discontinuous = false;
  const s0 = streams[0];
  if (s0) {
    const t0 = s0.timestampsMs;
    const segStarts = gapStarts(t0, s0.descriptor.sampleRateHz);
    discontinuous = segStarts.length > 1;
    if (discontinuous) {
      segStarts.push(t0.length);
      // Within a segment records follow each other on the nominal grid (jittered stamps would overlap them).
      for (let k = 0; k + 1 < segStarts.length; k++) {
        for (let f = segStarts[k]; f < segStarts[k + 1]; f += spr[0]) starts.push(t0[segStarts[k]] + ((f - segStarts[k]) / s0.descriptor.sampleRateHz) * 1000);
      }
    } else {
      const count = Math.max(...streams.map((s, i) => Math.ceil(s.timestampsMs.length / spr[i])));
      for (let r = 0; r < count; r++) starts.push(startMs + r * durationS * 1000);
    }
  } else starts.push(startMs);
  const recordCount = starts.length;
  const recordStartS = new Float64Array(recordCount);
  for (let r = 0; r < recordCount; r++) recordStartS[r] = discontinuous ? toFileS(starts[r]) : firstOffsetS + r * durationS;
  // Per stream and record: first frame and how many frames are real (the rest repeat the last one).
  const recFirst = streams.map(() => new Int32Array(recordCount));
  const recCount = streams.map(() => new Int32Array(recordCount));
  streams.forEach((s, k) => {
    const t = s.timestampsMs;
    const n = t.length;
    const halfMs = 500 / s.descriptor.sampleRateHz;
    let f = 0;
    for (let r = 0; r < recordCount; r++) {
      if (!discontinuous) {
        recFirst[k][r] = r * spr[k];
        recCount[k][r] = Math.max(0, Math.min(spr[k], n - r * spr[k]));
        continue;
      }
      while (f < n && t[f] < starts[r] - halfMs) f++;
      const endMs = starts[r] + durationS * 1000 - halfMs;
      let c = 0;
      while (c < spr[k] && f + c < n && t[f + c] < endMs) c++;
      recFirst[k][r] = f;
      recCount[k][r] = c;
    }
  });

  // TALs per record: markers go to the record that contains their onset.
  const recTexts: Uint8Array[][] = Array.from({ length: recordCount }, () => []);
  for (let r = 0; r < recordCount; r++) recTexts[r].push(encodeUtf8(`${fmtOnset(recordStartS[r])}\x14\x14\x00`));
  for (const m of data.markers) {
    const onsetS = toFileS(m.timestampMs);
    let r = 0;
    while (r + 1 < recordCount && recordStartS[r + 1] <= onsetS) r++;
    const dur = m.durationMs !== undefined && m.durationMs > 0 ? `\x15${fmtOnset(m.durationMs / 1000).slice(1)}` : '';
    const text = m.value.replace(/[\x00\x14\x15]/g, ' ');
    recTexts[r].push(encodeUtf8(`${fmtOnset(onsetS)}${dur}\x14${text}\x14\x00`));
  }
  let maxTal = 0;
  for (let r = 0; r < recordCount; r++) {
    const n = recTexts[r].reduce((a, b) => a + b.length, 0);
    maxTal = Math.max(maxTal, n);
  }
  const annSpr = Math.max(1, Math.ceil(maxTal / bps));

  interface OutSignal {
    label: string;
    unit: string;
    pMin: number;
    pMax: number;
    spr: number;
    stream: number;
    channel: number;
    gain: number;
    offset: number;
  }
  const sigs: OutSignal[] = [];
  streams.forEach((s, si) => {
    const nc = s.descriptor.channels.length;
    const n = s.timestampsMs.length;
    for (let c = 0; c < nc; c++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0, o = c; i < n; i++, o += nc) {
        const v = s.samples[o];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (!(lo <= hi)) {
        lo = -1;
        hi = 1;
      }
      if (lo === hi) {
        lo -= 1;
        hi += 1;
      }
      const ch0 = s.descriptor.channels[c];
      // BioSemi Status: readers take the raw 24-bit word as trigger lines, so store digital = value.
      const identity = bdf && ch0.label.toLowerCase() === 'status';
      const pMin = identity ? dMin : Number(formatField8(lo, -1));
      const pMax = identity ? dMax : Number(formatField8(hi, 1));
      const gain = (pMax - pMin) / (dMax - dMin);
      const ch = s.descriptor.channels[c];
      sigs.push({ label: ch.label, unit: ch.unit === 'uV' ? 'uV' : ch.unit, pMin, pMax, spr: spr[si], stream: si, channel: c, gain, offset: pMin - dMin * gain });
    }
  });
  const ns = sigs.length + 1;
  const headerBytes = 256 * (ns + 1);
  const recordSamples = sigs.reduce((a, s) => a + s.spr, 0) + annSpr;
  const recordBytes = recordSamples * bps;
  const total = headerBytes + recordCount * recordBytes;
  const out = new Uint8Array(total);
  const put = (off: number, s: string, n: number) => {
    const p = pad(s, n);
    for (let i = 0; i < n; i++) out[off + i] = p.charCodeAt(i);
  };

  const d = new Date(headerSecondMs);
  const two = (x: number) => String(x).padStart(2, '0');
  const subject = (data.meta.subject ?? 'X').replace(/\s+/g, '_') || 'X';
  const session = (data.meta.session ?? 'X').replace(/\s+/g, '_') || 'X';
  const device = (data.meta.device ?? 'X').replace(/\s+/g, '_') || 'X';
  if (bdf) {
    out[0] = 0xff;
    put(1, 'BIOSEMI', 7);
  } else put(0, '0', 8);
  put(8, `${subject} X X X`, 80);
  put(88, `Startdate ${two(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${session} X ${device}`, 80);
  put(168, `${two(d.getUTCDate())}.${two(d.getUTCMonth() + 1)}.${two(d.getUTCFullYear() % 100)}`, 8);
  put(176, `${two(d.getUTCHours())}.${two(d.getUTCMinutes())}.${two(d.getUTCSeconds())}`, 8);
  put(184, String(headerBytes), 8);
  put(192, `${bdf ? 'BDF' : 'EDF'}+${discontinuous ? 'D' : 'C'}`, 44);
  put(236, String(recordCount), 8);
  put(244, durationText, 8);
  put(252, String(ns), 4);
  const annLabel = bdf ? 'BDF Annotations' : 'EDF Annotations';
  const fields: ((s: OutSignal | null) => string)[] = [
    (s) => (s ? s.label : annLabel),
    () => '',
    (s) => (s ? s.unit : ''),
    (s) => (s ? formatField8(s.pMin) : '-1'),
    (s) => (s ? formatField8(s.pMax) : '1'),
    () => String(dMin),
    () => String(dMax),
    () => '',
    (s) => String(s ? s.spr : annSpr),
    () => '',
  ];
  let off = 256;
  fields.forEach((f, fi) => {
    const len = FIELD_LENGTHS[fi];
    [...sigs, null].forEach((s, i) => put(off + i * len, f(s), len));
    off += len * ns;
  });

  // Data records. Hot path: one pass per signal over its frames.
  const sigOffsets: number[] = [];
  let acc = 0;
  for (const s of sigs) {
    sigOffsets.push(acc);
    acc += s.spr * bps;
  }
  // Hot path: per stream, record → frame → channel (reads sequential, writes inside one record).
  const i16out = !bdf && littleEndianHost ? new Int16Array(out.buffer, 0, out.length >> 1) : null;
  let firstSig = 0;
  streams.forEach((s, si) => {
    const nc = s.descriptor.channels.length;
    const n = s.timestampsMs.length;
    const sprS = sigs[firstSig].spr;
    const inv = new Float64Array(nc);
    const off = new Float64Array(nc);
    const pos = new Int32Array(nc);
    for (let c = 0; c < nc; c++) {
      inv[c] = 1 / sigs[firstSig + c].gain;
      off[c] = sigs[firstSig + c].offset;
    }
    const firstOf = recFirst[si];
    const countOf = recCount[si];
    for (let r = 0; r < recordCount; r++) {
      for (let c = 0; c < nc; c++) pos[c] = headerBytes + r * recordBytes + sigOffsets[firstSig + c];
      const first = firstOf[r];
      const valid = countOf[r];
      const last = valid > 0 ? first + valid - 1 : Math.min(first, n - 1);
      for (let i = 0; i < sprS; i++) {
        const row = (i < valid ? first + i : last) * nc;
        for (let c = 0; c < nc; c++) {
          let dv = Math.round((s.samples[row + c] - off[c]) * inv[c]);
          if (!(dv >= dMin)) dv = dMin;
          else if (dv > dMax) dv = dMax;
          const p = pos[c] + i * bps;
          if (i16out) i16out[p >> 1] = dv; // EDF: every sample offset is even
          else {
            out[p] = dv & 0xff;
            out[p + 1] = (dv >> 8) & 0xff;
            if (bdf) out[p + 2] = (dv >> 16) & 0xff;
          }
        }
      }
    }
    firstSig += nc;
  });
  for (let r = 0; r < recordCount; r++) {
    let p = headerBytes + r * recordBytes + acc;
    for (const t of recTexts[r]) {
      out.set(t, p);
      p += t.length;
    }
  }
  return out;
}
