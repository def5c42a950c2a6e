// XDF writer, streaming, as LabRecorder writes files: the magic and file header at once, then stream
// headers, sample chunks, clock offsets, boundaries and stream footers as they happen, each handed
// to a sink as one byte array (append it to a file, or collect the parts into a Blob). Pure; runs in
// the page, workers and Node. Allocates one array per chunk; not for a per-sample loop.
//
// Byte layout: see the header of ./xdf.ts (the reader). Choices made here, all LabRecorder's:
//   - lengths and sample counts use the smallest varlen width (1, 4 or 8 bytes);
//   - a sample's timestamp is omitted (TimeStampBytes 0) when it equals exactly the previous
//     sample's timestamp + 1/nominal_srate, the value a reader deduces; the first sample of a stream
//     always carries its timestamp;
//   - ClockOffset chunks carry (collection time on the sender's clock, offset) in seconds;
//   - a footer is <info><first_timestamp/><last_timestamp/><sample_count/><clock_offsets>
//     <offset><time/><value/></offset>…</clock_offsets></info>, written by writeFooter / close.
// Numbers in XML are written with JavaScript's shortest round-trip form, so they read back exactly.
import { encodeUtf8 } from './bytes';
import { childText, textElement, writeXml, type XmlElement } from './xml-lite';

export type XdfChannelFormat = 'int8' | 'int16' | 'int32' | 'int64' | 'float32' | 'double64' | 'string';

/** Bytes per value of each numeric format (0: string). */
export const XDF_FORMAT_BYTES: Record<XdfChannelFormat, number> = { int8: 1, int16: 2, int32: 4, int64: 8, float32: 4, double64: 8, string: 0 };

export interface XdfChannel {
  label: string;
  unit?: string;
  type?: string;
}

/** What a stream header says, in the fields LSL's stream info has. */
export interface XdfStreamDefinition {
  name: string;
  type: string;
  channelCount: number;
  /** 0 for irregular streams (markers). */
  nominalSrateHz: number;
  channelFormat: XdfChannelFormat;
  sourceId?: string;
  uid?: string;
  hostname?: string;
  /** Stream creation time on its own clock, seconds. */
  createdAtS?: number;
  /** Written as desc/channels/channel (label, unit, type). */
  channels?: XdfChannel[];
  /** Further children of <desc> (manufacturer, reference, …). */
  desc?: XmlElement[];
}

/** Receives each chunk's bytes in file order. */
export type XdfSink = (bytes: Uint8Array) => void;

/** Numeric values (frame-major; BigInt64Array keeps int64 exact) or strings (frame-major). */
export type XdfValues = ArrayLike<number> | BigInt64Array | readonly string[];

export interface XdfStreamStats {
  firstTimestampS: number | undefined;
  lastTimestampS: number | undefined;
  sampleCount: number;
}

interface StreamState extends XdfStreamStats {
  channelCount: number;
  format: XdfChannelFormat;
  tdiffS: number;
  clockOffsets: [number, number][];
  footerWritten: boolean;
}

const TAG_FILE_HEADER = 1;
const TAG_STREAM_HEADER = 2;
const TAG_SAMPLES = 3;
const TAG_CLOCK_OFFSET = 4;
const TAG_BOUNDARY = 5;
const TAG_STREAM_FOOTER = 6;
/** The XDF boundary chunk's fixed UUID (XDF 1.0 specification). */
const BOUNDARY_UUID = [0x43, 0xa5, 0x46, 0xdc, 0xcb, 0xf5, 0x41, 0x0f, 0xb3, 0x0e, 0xd5, 0x46, 0x73, 0x83, 0xcb, 0xe4];

/** The largest double below 2^63 (int64 values given as numbers saturate there). */
const INT64_MAX_DOUBLE = 2 ** 63 - 1024;
const INT_RANGE: Partial<Record<XdfChannelFormat, [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

function varlenBytes(n: number): number {
  return n < 256 ? 2 : n < 2 ** 32 ? 5 : 9;
}

function putVarlen(v: DataView, pos: number, n: number): number {
  if (n < 256) {
    v.setUint8(pos, 1);
    v.setUint8(pos + 1, n);
    return pos + 2;
  }
  if (n < 2 ** 32) {
    v.setUint8(pos, 4);
    v.setUint32(pos + 1, n, true);
    return pos + 5;
  }
  v.setUint8(pos, 8);
  v.setBigUint64(pos + 1, BigInt(n), true);
  return pos + 9;
}

/** A <desc> holding desc/channels/channel (label, unit, type: LSL's convention) and any further children. */
export function descElement(channels: readonly XdfChannel[], extra: XmlElement[] = []): XmlElement {
  const desc: XmlElement = { tag: 'desc', attributes: {}, children: [], text: '' };
  if (channels.length) {
    desc.children.push({
      tag: 'channels',
      attributes: {},
      text: '',
      children: channels.map((c) => ({
        tag: 'channel',
        attributes: {},
        text: '',
        children: [textElement('label', c.label), ...(['unit', 'type'] as const).filter((k) => c[k] !== undefined).map((k) => textElement(k, c[k]!))],
      })),
    });
  }
  desc.children.push(...extra);
  return desc;
}

/** The <info> element of a stream header built from a definition. */
export function streamHeaderXml(def: XdfStreamDefinition): XmlElement {
  const fields: XmlElement[] = [
    textElement('name', def.name),
    textElement('type', def.type),
    textElement('channel_count', def.channelCount),
    textElement('channel_format', def.channelFormat),
    textElement('source_id', def.sourceId ?? ''),
    textElement('nominal_srate', def.nominalSrateHz),
  ];
  if (def.createdAtS !== undefined) fields.push(textElement('created_at', def.createdAtS));
  if (def.uid !== undefined) fields.push(textElement('uid', def.uid));
  if (def.hostname !== undefined) fields.push(textElement('hostname', def.hostname));
  fields.push(descElement(def.channels ?? [], def.desc));
  return { tag: 'info', attributes: {}, children: fields, text: '' };
}

/** Channel count, format and rate a stream header states; throws naming the bad field. */
function headerFacts(h: XmlElement): { channelCount: number; format: XdfChannelFormat; srate: number } {
  const channelCount = Number(childText(h, 'channel_count'));
  const format = childText(h, 'channel_format') as XdfChannelFormat;
  const srate = Number(childText(h, 'nominal_srate') || '0');
  if (!Number.isInteger(channelCount) || channelCount < 1) throw new Error(`stream header: channel_count "${childText(h, 'channel_count')}" is not a positive integer`);
  if (!(format in XDF_FORMAT_BYTES)) throw new Error(`stream header: channel_format "${format}" is not one of ${Object.keys(XDF_FORMAT_BYTES).join(', ')}`);
  if (!(srate >= 0 && Number.isFinite(srate))) throw new Error(`stream header: nominal_srate "${childText(h, 'nominal_srate')}" is not a number ≥ 0`);
  return { channelCount, format, srate };
}

export class XdfWriter {
  private readonly streams = new Map<number, StreamState>();
  private nextId = 1;

  /** Writes the magic and the file header at once; `fileHeader` adds children to its <info> (e.g. datetime). */
  constructor(
    private readonly sink: XdfSink,
    options: { fileHeader?: XmlElement[] } = {},
  ) {
    const info: XmlElement = { tag: 'info', attributes: {}, text: '', children: [textElement('version', '1.0'), ...(options.fileHeader ?? [])] };
    sink(new Uint8Array([0x58, 0x44, 0x46, 0x3a]));
    this.xmlChunk(TAG_FILE_HEADER, undefined, info);
  }

  /**
   * Declares a stream and writes its header: a definition, or a whole <info> element (as read from
   * another file or received from an LSL inlet). Returns its stream id (`streamId` when given).
   */
  addStream(header: XdfStreamDefinition | XmlElement, streamId?: number): number {
    const h = 'tag' in header ? header : streamHeaderXml(header);
    const { channelCount, format, srate } = headerFacts(h);
    const id = streamId ?? this.nextId;
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new Error(`stream id ${id} is not a 32-bit unsigned integer`);
    if (this.streams.has(id)) throw new Error(`stream id ${id} is already in this file`);
    this.nextId = Math.max(this.nextId, id + 1);
    this.streams.set(id, { channelCount, format, tdiffS: srate > 0 ? 1 / srate : 0, clockOffsets: [], footerWritten: false, firstTimestampS: undefined, lastTimestampS: undefined, sampleCount: 0 });
    this.xmlChunk(TAG_STREAM_HEADER, id, h);
    return id;
  }

  /** Counts and first/last timestamps written so far for a stream (finished or not). */
  stats(streamId: number): XdfStreamStats {
    const s = this.streams.get(streamId);
    if (!s) throw new Error(`stream ${streamId} has no header in this file`);
    return { firstTimestampS: s.firstTimestampS, lastTimestampS: s.lastTimestampS, sampleCount: s.sampleCount };
  }

  /**
   * One Samples chunk: `timestampsS[k]` (the stream's own clock, seconds) and channelCount values
   * per sample. Integer formats store values truncated toward zero and saturated to their range.
   */
  writeSamples(streamId: number, timestampsS: ArrayLike<number>, values: XdfValues): void {
    const s = this.state(streamId);
    const n = timestampsS.length;
    const nch = s.channelCount;
    if (values.length !== n * nch) throw new Error(`stream ${streamId}: ${values.length} values for ${n} samples × ${nch} channels`);
    if (n === 0) return;
    const isString = s.format === 'string';
    if (isString !== (typeof values[0] === 'string')) throw new Error(`stream ${streamId} is ${s.format}: pass ${isString ? 'strings' : 'numbers'}`);
    // Which timestamps a reader can deduce, as it will: previous + 1/srate, in float64.
    const explicit = new Uint8Array(n);
    let prev = s.lastTimestampS;
    let explicitCount = 0;
    for (let k = 0; k < n; k++) {
      const t = timestampsS[k];
      if (!(s.tdiffS > 0 && prev !== undefined && prev + s.tdiffS === t)) {
        explicit[k] = 1;
        explicitCount++;
      }
      prev = t;
    }
    const encoded = isString ? (values as readonly string[]).map(encodeUtf8) : null;
    let valueBytes = n * nch * XDF_FORMAT_BYTES[s.format];
    if (encoded) valueBytes = encoded.reduce((a, b) => a + varlenBytes(b.length) + b.length, 0);
    const content = 4 + varlenBytes(n) + n + 8 * explicitCount + valueBytes;
    const { bytes, view, pos: start } = this.chunkHead(TAG_SAMPLES, content, streamId);
    let p = putVarlen(view, start, n);
    const size = XDF_FORMAT_BYTES[s.format];
    const range = INT_RANGE[s.format];
    for (let k = 0; k < n; k++) {
      if (explicit[k]) {
        view.setUint8(p, 8);
        view.setFloat64(p + 1, timestampsS[k], true);
        p += 9;
      } else view.setUint8(p++, 0);
      const o = k * nch;
      if (encoded) {
        for (let c = 0; c < nch; c++) {
          const b = encoded[o + c];
          p = putVarlen(view, p, b.length);
          bytes.set(b, p);
          p += b.length;
        }
        continue;
      }
      for (let c = 0; c < nch; c++, p += size) {
        const raw = values[o + c] as number | bigint;
        switch (s.format) {
          case 'float32': view.setFloat32(p, raw as number, true); break;
          case 'double64': view.setFloat64(p, raw as number, true); break;
          case 'int64': view.setBigInt64(p, typeof raw === 'bigint' ? raw : BigInt(saturate(raw, -(2 ** 63), INT64_MAX_DOUBLE)), true); break;
          default: {
            const v = saturate(raw as number, range![0], range![1]);
            if (size === 1) view.setInt8(p, v);
            else if (size === 2) view.setInt16(p, v, true);
            else view.setInt32(p, v, true);
          }
        }
      }
    }
    s.firstTimestampS ??= timestampsS[0];
    s.lastTimestampS = timestampsS[n - 1];
    s.sampleCount += n;
    this.sink(bytes);
  }

  /** A ClockOffset chunk: at `collectionTimeS` (sender's clock) the receiver's clock was `offsetS` ahead. */
  writeClockOffset(streamId: number, collectionTimeS: number, offsetS: number): void {
    const s = this.state(streamId);
    const { bytes, view, pos } = this.chunkHead(TAG_CLOCK_OFFSET, 4 + 16, streamId);
    view.setFloat64(pos, collectionTimeS, true);
    view.setFloat64(pos + 8, offsetS, true);
    s.clockOffsets.push([collectionTimeS, offsetS]);
    this.sink(bytes);
  }

  /** A Boundary chunk (a resynchronisation point for readers of damaged files; LabRecorder writes one every 10 s). */
  writeBoundary(): void {
    const { bytes, pos } = this.chunkHead(TAG_BOUNDARY, BOUNDARY_UUID.length);
    bytes.set(BOUNDARY_UUID, pos);
    this.sink(bytes);
  }

  /** The stream's footer: LabRecorder's summary (plus `extra` children), or `footer` verbatim. */
  writeFooter(streamId: number, footer?: XmlElement | { extra: XmlElement[] }): void {
    const s = this.state(streamId);
    let el: XmlElement;
    if (footer && 'tag' in footer) el = footer;
    else {
      const num = (v: number | undefined) => (v === undefined ? '' : String(v));
      el = {
        tag: 'info',
        attributes: {},
        text: '',
        children: [
          textElement('first_timestamp', num(s.firstTimestampS)),
          textElement('last_timestamp', num(s.lastTimestampS)),
          textElement('sample_count', s.sampleCount),
          {
            tag: 'clock_offsets',
            attributes: {},
            text: '',
            children: s.clockOffsets.map(([t, v]) => ({ tag: 'offset', attributes: {}, text: '', children: [textElement('time', String(t)), textElement('value', String(v))] })),
          },
          ...(footer?.extra ?? []),
        ],
      };
    }
    s.footerWritten = true;
    this.xmlChunk(TAG_STREAM_FOOTER, streamId, el);
  }

  /** Writes the footers still missing. The writer takes nothing more for those streams. */
  close(): void {
    for (const [id, s] of this.streams) if (!s.footerWritten) this.writeFooter(id);
  }

  private state(streamId: number): StreamState {
    const s = this.streams.get(streamId);
    if (!s) throw new Error(`stream ${streamId} has no header in this file (call addStream first)`);
    if (s.footerWritten) throw new Error(`stream ${streamId} is finished (its footer is written)`);
    return s;
  }

  /** A chunk's bytes with its length, tag and optional stream id filled in; `pos` is where the rest starts. */
  private chunkHead(tag: number, contentBytes: number, streamId?: number): { bytes: Uint8Array; view: DataView; pos: number } {
    const len = 2 + contentBytes; // contentBytes counts the stream id when there is one
    const bytes = new Uint8Array(varlenBytes(len) + len);
    const view = new DataView(bytes.buffer);
    let p = putVarlen(view, 0, len);
    view.setUint16(p, tag, true);
    p += 2;
    if (streamId !== undefined) {
      view.setUint32(p, streamId, true);
      p += 4;
    }
    return { bytes, view, pos: p };
  }

  private xmlChunk(tag: number, streamId: number | undefined, el: XmlElement): void {
    const text = encodeUtf8(writeXml(el));
    const { bytes, pos } = this.chunkHead(tag, text.length + (streamId === undefined ? 0 : 4), streamId);
    bytes.set(text, pos);
    this.sink(bytes);
  }
}

function saturate(v: number, lo: number, hi: number): number {
  if (Number.isNaN(v)) return 0;
  return Math.min(hi, Math.max(lo, Math.trunc(v)));
}
