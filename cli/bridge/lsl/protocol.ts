// The LSL TCP data protocol as bytes, both directions, versions 1.10 and 1.00 (liblsl 1.16's
// tcp_server.cpp, data_receiver.cpp, sample.cpp, portable_archive/). Pure (Uint8Array in and out);
// no sockets here. The decoder takes bytes as they arrive and never allocates from a length the
// peer claims before checking it against a bound.
//
// ── Handshake (client = inlet, server = outlet) ──
//   1.10  client: "LSL:streamfeed/110 <uid>\r\n" + "Key: value\r\n" headers (Native-Byte-Order,
//         Endian-Performance, Has-IEEE754-Floats, Supports-Subnormals, Value-Size,
//         Data-Protocol-Version, Max-Buffer-Length, Max-Chunk-Length, Hostname, Source-Id,
//         Session-Id) + "\r\n".  server: "LSL/110 200 OK\r\n" + UID, Byte-Order (1234 | 4321),
//         Suppress-Subnormals (0|1), Data-Protocol-Version (110, or 100 when the value size or
//         float format differ) + "\r\n"; errors "LSL/110 404 Not found" (wrong uid), "… 505
//         Version not supported". Then, for data protocol 100, what 1.00 sends after its header.
//   1.00  client: "LSL:streamfeed\r\n<max_buffered> <max_chunk>\r\n".  server: a portable archive:
//         header, the shortinfo as a string, then samples.
//   Both: the first two samples are test patterns (offsets 4 and 2, timestamp 123456.789); the
//         client compares them value by value and drops the connection on a mismatch.
//   Other requests on the same port: "LSL:fullinfo\r\n" → the fullinfo XML, then close;
//   "LSL:shortinfo\r\n<query>\r\n" → the shortinfo if the query matches, then close.
//
// ── 1.10 sample ──   [tag u8: 1 deduced | 2 transmitted] [f64 timestamp if 2]
//   [values: channel_count × (1|2|4|8)-byte numbers in the negotiated byte order, or per channel a
//   varlen length ([u8 n ∈ {1,2,4,8}][n-byte length]) and that many UTF-8 bytes for "string"].
//   A deduced timestamp is the previous one + 1/nominal_srate (0 before the first of a connection).
//
// ── 1.00 portable binary archive (little-endian) ──
//   header: [0x7f magic][int 9 (archive version)]; string: [uint size][size raw bytes];
//   int/uint: [i8 n: 0 = value 0, ±1…8 = that many value bytes LE follow, negative = sign-extend];
//   float32/double64: their IEEE bits as uint32/uint64 ints (NaN written as all-ones significand);
//   the first sample is preceded by 2 class-info bytes (tracking 0, version 0);
//   sample: [int tag][double timestamp if tag 2][each value as above, strings as strings].
import { InputError } from '../../../src/lib/core/errors';
import { DEDUCED_TIMESTAMP } from './config';
import { CHANNEL_FORMAT_BYTES, type ChannelFormat } from './stream-info';

export const TAG_DEDUCED_TIMESTAMP = 1;
export const TAG_TRANSMITTED_TIMESTAMP = 2;
export const TEST_PATTERN_TIMESTAMP = 123456.789;
/** Byte orders as liblsl writes them. */
export const LITTLE_ENDIAN = 1234;
export const BIG_ENDIAN = 4321;
/** Longest string value we accept in a sample. */
export const MAX_STRING_BYTES = 64 * 1024 * 1024;
/** Longest header block (request or response) we accept. */
export const MAX_HEADER_BYTES = 64 * 1024;
const ARCHIVE_MAGIC = 0x7f;
const ARCHIVE_VERSION = 9;

export type NumericValues = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array;
export type SampleValues = NumericValues | string[];

/** Consecutive samples of one stream, frame-major. */
export interface SampleChunk {
  frames: number;
  /** Seconds on the sending side's LSL clock; deduced timestamps are filled in. */
  timestampsS: Float64Array;
  /** frames × channelCount values (strings for "string" streams). */
  values: SampleValues;
}

/** A typed array for n values of a numeric format (strings: a plain array). */
export function allocateValues(format: ChannelFormat, n: number): SampleValues {
  switch (format) {
    case 'float32': return new Float32Array(n);
    case 'double64': return new Float64Array(n);
    case 'int8': return new Int8Array(n);
    case 'int16': return new Int16Array(n);
    case 'int32': return new Int32Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'string': return new Array<string>(n).fill('');
  }
}

/** liblsl's sample::assign_test_pattern values for one sample. */
export function testPattern(format: ChannelFormat, channelCount: number, offset: number): SampleValues {
  const out = allocateValues(format, channelCount);
  const base: Record<ChannelFormat, number> = { float32: 0, double64: 16777217, int32: 65537, int16: 257, int8: 1, int64: 0, string: 0 };
  const max: Partial<Record<ChannelFormat, number>> = { int32: 2147483647, int16: 32767, int8: 127 };
  for (let k = 0; k < channelCount; k++) {
    if (format === 'string') (out as string[])[k] = String((k + 10) * (k % 2 === 0 ? 1 : -1));
    else if (format === 'int64') {
      const v = BigInt(2147483649 + offset + k);
      (out as BigInt64Array)[k] = k % 2 === 1 ? -v : v;
    } else {
      let v = k + offset + base[format];
      if (max[format]) v %= max[format]!;
      (out as Float32Array)[k] = k % 2 === 0 ? v : -v;
    }
  }
  return out;
}

// ── Header lines ──

export interface FeedRequest {
  /** 100 for "LSL:streamfeed", else the version after the slash. */
  protocolVersion: number;
  uid: string;
  /** Lower-cased header keys (1.10 only). */
  headers: Map<string, string>;
  maxBufferLength: number;
  maxChunkLength: number;
}

/** "Key: value; comment" lines → lower-cased keys and values, as liblsl reads them. */
function headerMap(lines: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let line of lines) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const semicolon = line.indexOf(';');
    if (semicolon >= 0) line = line.slice(0, semicolon);
    out.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim().toLowerCase());
  }
  return out;
}

function intHeader(h: Map<string, string>, key: string, fallback: number): number {
  const raw = h.get(key);
  if (raw === undefined) return fallback;
  const v = parseInt(raw, 10);
  if (!Number.isFinite(v)) throw new InputError(`header ${key}: "${raw.slice(0, 40)}" is not an integer`);
  return v;
}

/** The request line and headers the client sends for a 1.10 feed. */
export function feedRequest110(o: { uid: string; valueSize: number; maxBufferLength: number; maxChunkLength: number; hostname: string; sourceId: string; sessionId: string; protocolVersion?: number }): string {
  const v = o.protocolVersion ?? 110;
  return (
    `LSL:streamfeed/${v} ${o.uid}\r\n` +
    `Native-Byte-Order: ${LITTLE_ENDIAN}\r\nEndian-Performance: 0\r\nHas-IEEE754-Floats: 1\r\nSupports-Subnormals: 1\r\n` +
    `Value-Size: ${o.valueSize}\r\nData-Protocol-Version: ${v}\r\nMax-Buffer-Length: ${o.maxBufferLength}\r\nMax-Chunk-Length: ${o.maxChunkLength}\r\n` +
    `Hostname: ${o.hostname}\r\nSource-Id: ${o.sourceId}\r\nSession-Id: ${o.sessionId}\r\n\r\n`
  );
}

/** The 1.00 request. */
export function feedRequest100(maxBufferLength: number, maxChunkLength: number): string {
  return `LSL:streamfeed\r\n${maxBufferLength} ${maxChunkLength}\r\n`;
}

/** Parses the request line ("LSL:streamfeed[/NNN] [uid]") and what followed it (1.10 headers or the 1.00 numbers line). */
export function parseFeedRequest(requestLine: string, rest: string[]): FeedRequest {
  if (requestLine === 'LSL:streamfeed') {
    const nums = (rest[0] ?? '').trim().split(/\s+/).map((x) => parseInt(x, 10));
    if (nums.length < 2 || !nums.every(Number.isFinite)) throw new InputError(`1.00 feed parameters "${(rest[0] ?? '').slice(0, 40)}" are not two integers`);
    return { protocolVersion: 100, uid: '', headers: new Map(), maxBufferLength: nums[0], maxChunkLength: nums[1] };
  }
  const m = /^LSL:streamfeed\/(\d{1,6})(?:\s+(\S*))?\s*$/.exec(requestLine);
  if (!m) throw new InputError(`request line "${requestLine.slice(0, 60)}" is not LSL:streamfeed/<version> <uid>`);
  const headers = headerMap(rest);
  return {
    protocolVersion: Number(m[1]),
    uid: m[2] ?? '',
    headers,
    maxBufferLength: intHeader(headers, 'max-buffer-length', 0),
    maxChunkLength: intHeader(headers, 'max-chunk-length', 0),
  };
}

export interface FeedTerms {
  /** 110 or 100. */
  dataProtocolVersion: number;
  /** True when we must write values in the other byte order. */
  reverseByteOrder: boolean;
  suppressSubnormals: boolean;
}

/**
 * The server's side of the negotiation (liblsl client_session::handle_read_feedparams): the status
 * line and terms, or an error status. `ourVersion` is the highest version we speak.
 */
export function negotiateFeed(req: FeedRequest, stream: { uid: string; channelFormat: ChannelFormat }, ourVersion: number): { status: string; terms?: FeedTerms } {
  if (Math.floor(req.protocolVersion / 100) > Math.floor(ourVersion / 100)) return { status: `LSL/${ourVersion} 505 Version not supported` };
  if (req.uid && req.uid !== stream.uid) return { status: `LSL/${ourVersion} 404 Not found` };
  if (req.protocolVersion < 110) return { status: '', terms: { dataProtocolVersion: 100, reverseByteOrder: false, suppressSubnormals: false } };
  const h = req.headers;
  const valueSize = CHANNEL_FORMAT_BYTES[stream.channelFormat];
  // liblsl reads "Protocol-Version" here (clients send Data-Protocol-Version, which it ignores).
  let version = Math.min(ourVersion, intHeader(h, 'protocol-version', req.protocolVersion));
  if (stream.channelFormat !== 'string' && intHeader(h, 'value-size', valueSize) !== valueSize) version = 100;
  if (!parseBool(h.get('has-ieee754-floats') ?? '1')) version = 100;
  let reverse = false;
  let suppress = false;
  if (version >= 110) {
    const order = intHeader(h, 'native-byte-order', LITTLE_ENDIAN);
    // liblsl converts when it is faster than the client; we always can, and do.
    reverse = order === BIG_ENDIAN && valueSize > 1;
    suppress = (stream.channelFormat === 'float32' || stream.channelFormat === 'double64') && !parseBool(h.get('supports-subnormals') ?? '1');
  }
  return { status: `LSL/${ourVersion} 200 OK`, terms: { dataProtocolVersion: version, reverseByteOrder: reverse, suppressSubnormals: suppress } };
}

function parseBool(s: string): boolean {
  return s === '1' || s === 'true';
}

/** The 200 response block for negotiated terms. */
export function feedResponse(ourVersion: number, uid: string, t: FeedTerms): string {
  return `LSL/${ourVersion} 200 OK\r\nUID: ${uid}\r\nByte-Order: ${t.reverseByteOrder ? BIG_ENDIAN : LITTLE_ENDIAN}\r\nSuppress-Subnormals: ${t.suppressSubnormals ? 1 : 0}\r\nData-Protocol-Version: ${t.dataProtocolVersion}\r\n\r\n`;
}

/** The client's reading of the server's response (status line, then header lines). Throws InputError saying why the feed is refused. */
export function parseFeedResponse(statusLine: string, lines: string[], expectedUid: string, ourVersion: number): FeedTerms & { notFound?: true } {
  const parts = statusLine.trim().split(/\s+/);
  if (parts.length < 3 || !parts[0].startsWith('LSL/')) throw new InputError(`response "${statusLine.slice(0, 60)}" is not an LSL status line`);
  if (Math.floor(Number(parts[0].slice(4)) / 100) > Math.floor(ourVersion / 100)) throw new InputError(`the outlet speaks protocol ${parts[0].slice(4)}, newer than ours (${ourVersion})`);
  const code = Number(parts[1]);
  if (code === 404) return { notFound: true, dataProtocolVersion: 0, reverseByteOrder: false, suppressSubnormals: false };
  if (!(code >= 200 && code < 300)) throw new InputError(`the outlet refused the feed: "${statusLine.slice(0, 80)}"`);
  const h = headerMap(lines);
  let order = intHeader(h, 'byte-order', LITTLE_ENDIAN);
  if (order === 0) order = LITTLE_ENDIAN; // liblsl ~1.13 sends 0 with protocol 100
  if (order !== LITTLE_ENDIAN && order !== BIG_ENDIAN) throw new InputError(`byte order ${order} is neither 1234 nor 4321`);
  const uid = h.get('uid');
  if (uid !== undefined && uid !== expectedUid.toLowerCase()) throw new InputError(`the outlet answers for stream ${uid}, not ${expectedUid}`);
  const version = intHeader(h, 'data-protocol-version', 100);
  if (version > ourVersion || (version !== 100 && version !== 110)) throw new InputError(`data protocol ${version} is not one we speak (100 or ${ourVersion})`);
  return { dataProtocolVersion: version, reverseByteOrder: order !== LITTLE_ENDIAN, suppressSubnormals: parseBool(h.get('suppress-subnormals') ?? '0') };
}

const latin1 = new TextDecoder('latin1');

/** Splits `bytes` at the first occurrence of `terminator` (ASCII), or null when it has not arrived; throws past `limit`. */
export function splitAt(bytes: Uint8Array, terminator: string, limit = MAX_HEADER_BYTES): { head: string; rest: Uint8Array } | null {
  const t = Array.from(terminator, (c) => c.charCodeAt(0));
  const end = Math.min(bytes.length, limit + t.length);
  outer: for (let i = 0; i + t.length <= end; i++) {
    for (let j = 0; j < t.length; j++) if (bytes[i + j] !== t[j]) continue outer;
    return { head: latin1.decode(bytes.subarray(0, i)), rest: bytes.subarray(i + t.length) };
  }
  if (bytes.length > limit) throw new InputError(`no "${JSON.stringify(terminator).slice(1, -1)}" within ${limit} bytes (not an LSL peer?)`);
  return null;
}

// ── Encoding ──

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

/** One growing output buffer. */
class ByteSink {
  bytes: Uint8Array;
  view: DataView;
  pos = 0;
  constructor(capacity: number) {
    this.bytes = new Uint8Array(Math.max(16, capacity));
    this.view = new DataView(this.bytes.buffer);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.bytes.length) return;
    const b = new Uint8Array(Math.max(this.bytes.length * 2, this.pos + n));
    b.set(this.bytes.subarray(0, this.pos));
    this.bytes = b;
    this.view = new DataView(b.buffer);
  }
  u8(v: number): void {
    this.ensure(1);
    this.bytes[this.pos++] = v;
  }
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.bytes.set(b, this.pos);
    this.pos += b.length;
  }
  done(): Uint8Array {
    return this.bytes.subarray(0, this.pos);
  }
}

function writeNumber(s: ByteSink, format: ChannelFormat, v: number | bigint, little: boolean): void {
  const size = CHANNEL_FORMAT_BYTES[format];
  s.ensure(size);
  const p = s.pos;
  switch (format) {
    case 'float32': s.view.setFloat32(p, v as number, little); break;
    case 'double64': s.view.setFloat64(p, v as number, little); break;
    case 'int8': s.view.setInt8(p, v as number); break;
    case 'int16': s.view.setInt16(p, v as number, little); break;
    case 'int32': s.view.setInt32(p, v as number, little); break;
    case 'int64': s.view.setBigInt64(p, BigInt(v), little); break;
  }
  s.pos += size;
}

/**
 * 1.10 bytes of consecutive samples. `timestampsS[k] === DEDUCED_TIMESTAMP` writes a deduced tag.
 * `reverse` writes big-endian. Allocates its output; called once per push for all consumers.
 */
export function encodeSamples110(format: ChannelFormat, channelCount: number, values: SampleValues, timestampsS: ArrayLike<number>, reverse = false): Uint8Array {
  const n = timestampsS.length;
  const size = CHANNEL_FORMAT_BYTES[format];
  const s = new ByteSink(n * (9 + channelCount * (size || 4)));
  const little = !reverse;
  for (let k = 0; k < n; k++) {
    const t = timestampsS[k];
    if (t === DEDUCED_TIMESTAMP) s.u8(TAG_DEDUCED_TIMESTAMP);
    else {
      s.u8(TAG_TRANSMITTED_TIMESTAMP);
      s.ensure(8);
      s.view.setFloat64(s.pos, t, little);
      s.pos += 8;
    }
    const o = k * channelCount;
    if (format === 'string') {
      for (let c = 0; c < channelCount; c++) {
        const b = utf8.encode((values as string[])[o + c]);
        if (b.length <= 0xff) {
          s.u8(1);
          s.u8(b.length);
        } else {
          s.u8(4);
          s.ensure(4);
          s.view.setUint32(s.pos, b.length, little);
          s.pos += 4;
        }
        s.raw(b);
      }
    } else for (let c = 0; c < channelCount; c++) writeNumber(s, format, (values as Float64Array)[o + c], little);
  }
  return s.done();
}

/** A portable-archive integer: `bytes` is the value's two's-complement little-endian form (sizeof T). */
function archiveInt(s: ByteSink, v: bigint, sizeofT: number): void {
  if (v === 0n) return s.u8(0);
  let size = 0;
  if (sizeofT === 1) size = 1;
  else {
    let t = v;
    do {
      t >>= 8n;
      size++;
    } while (t !== 0n && t !== -1n);
  }
  s.u8((v > 0n ? size : -size) & 0xff);
  let t = BigInt.asUintN(sizeofT * 8, v);
  for (let i = 0; i < size; i++, t >>= 8n) s.u8(Number(t & 0xffn));
}

const f32 = new DataView(new ArrayBuffer(8));

function archiveValue(s: ByteSink, format: ChannelFormat, v: number | bigint | string): void {
  switch (format) {
    case 'float32': {
      const x = v as number;
      f32.setFloat32(0, x, true);
      archiveInt(s, Number.isNaN(x) ? 0x7fffffffn : BigInt(f32.getUint32(0, true)), 4);
      return;
    }
    case 'double64': {
      const x = v as number;
      f32.setFloat64(0, x, true);
      archiveInt(s, Number.isNaN(x) ? 0x7fffffffffffffffn : f32.getBigUint64(0, true), 8);
      return;
    }
    case 'string': {
      const b = utf8.encode(v as string);
      archiveInt(s, BigInt(b.length), 8);
      s.raw(b);
      return;
    }
    default:
      archiveInt(s, BigInt(v as number | bigint), CHANNEL_FORMAT_BYTES[format]);
  }
}

/** The 1.00 archive header and the shortinfo string (what a 1.00 server sends before the test patterns). */
export function archivePreamble(shortinfo: string): Uint8Array {
  const s = new ByteSink(shortinfo.length + 16);
  s.u8(ARCHIVE_MAGIC);
  archiveInt(s, BigInt(ARCHIVE_VERSION), 1);
  archiveValue(s, 'string', shortinfo);
  return s.done();
}

/**
 * 1.00 bytes of consecutive samples; `withClassInfo` prefixes the 2 class-info bytes the archive
 * writes before its first sample.
 */
export function encodeSamples100(format: ChannelFormat, channelCount: number, values: SampleValues, timestampsS: ArrayLike<number>, withClassInfo: boolean): Uint8Array {
  const n = timestampsS.length;
  const s = new ByteSink(2 + n * (10 + channelCount * 9));
  if (withClassInfo) {
    s.u8(0);
    s.u8(0);
  }
  for (let k = 0; k < n; k++) {
    const t = timestampsS[k];
    if (t === DEDUCED_TIMESTAMP) archiveInt(s, BigInt(TAG_DEDUCED_TIMESTAMP), 1);
    else {
      archiveInt(s, BigInt(TAG_TRANSMITTED_TIMESTAMP), 1);
      archiveValue(s, 'double64', t);
    }
    const o = k * channelCount;
    for (let c = 0; c < channelCount; c++) archiveValue(s, format, (values as Float64Array)[o + c]);
  }
  return s.done();
}

// ── Decoding ──

/** Thrown inside the decoder when a sample is not complete yet. */
const NEED_MORE = Symbol('need more bytes');

/** A cursor over the pending bytes; reading past the end throws NEED_MORE. */
class Cursor {
  pos = 0;
  view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number): void {
    if (this.pos + n > this.bytes.length) throw NEED_MORE;
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }
  /** A portable-archive integer as a bigint (two's complement of `sizeofT` bytes when negative). */
  archiveInt(sizeofT: number, signed: boolean, what: string): bigint {
    const size = (this.u8() << 24) >> 24;
    if (size === 0) return 0n;
    const n = Math.abs(size);
    if (n > sizeofT) throw new InputError(`garbled 1.00 stream: ${what} claims ${n} bytes, more than its ${sizeofT}`);
    if (size < 0 && !signed) throw new InputError(`garbled 1.00 stream: ${what} is negative`);
    this.need(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.bytes[this.pos + i]);
    this.pos += n;
    if (size < 0) v -= 1n << BigInt(8 * n); // sign-extend from n bytes
    return signed ? BigInt.asIntN(sizeofT * 8, v) : v;
  }
}

/** Decodes a feed after its handshake: the 1.00 preamble (if any), the two test patterns, then samples. */
export class FeedDecoder {
  private pending: Uint8Array = new Uint8Array(0);
  private stage: 'preamble' | 'class-info' | 'test-patterns' | 'data';
  private patternsSeen = 0;
  private lastTimestampS = 0;
  private readonly valueSize: number;
  /** The shortinfo a 1.00 server sent in its preamble. */
  shortinfo: string | undefined;

  constructor(
    readonly format: ChannelFormat,
    readonly channelCount: number,
    readonly nominalSrateHz: number,
    readonly terms: FeedTerms,
  ) {
    this.valueSize = CHANNEL_FORMAT_BYTES[format];
    this.stage = terms.dataProtocolVersion === 100 ? 'preamble' : 'test-patterns';
  }

  /** True once both test patterns matched. */
  get verified(): boolean {
    return this.stage === 'data';
  }

  /**
   * Appends bytes and returns the complete data samples among all bytes so far (null if none).
   * Throws InputError on garbage (bad tag, mismatching test pattern, over-long string).
   */
  push(bytes: Uint8Array): SampleChunk | null {
    if (this.pending.length === 0) this.pending = bytes;
    else {
      const b = new Uint8Array(this.pending.length + bytes.length);
      b.set(this.pending);
      b.set(bytes, this.pending.length);
      this.pending = b;
    }
    const c = new Cursor(this.pending);
    let committed = 0;
    const stamps: number[] = [];
    const values: (number | bigint | string)[] = [];
    try {
      while (c.pos < c.bytes.length) {
        if (this.stage === 'preamble') {
          if (c.u8() !== ARCHIVE_MAGIC) throw new InputError('garbled 1.00 stream: the archive does not start with its magic byte 0x7f');
          const v = c.archiveInt(1, false, 'archive version');
          if (v > BigInt(ARCHIVE_VERSION)) throw new InputError(`1.00 archive version ${v} is newer than ${ARCHIVE_VERSION}`);
          this.shortinfo = this.archiveString(c, 'shortinfo');
          this.stage = 'class-info';
        } else if (this.stage === 'class-info') {
          c.need(2);
          c.pos += 2;
          this.stage = 'test-patterns';
        } else {
          const startLen = values.length;
          const t = this.sample(c, values);
          if (this.stage === 'test-patterns') {
            this.checkPattern(t, values.splice(startLen));
            if (++this.patternsSeen === 2) this.stage = 'data';
          } else stamps.push(t);
        }
        committed = c.pos;
      }
    } catch (e) {
      if (e !== NEED_MORE) throw e;
      values.length = stamps.length * this.channelCount;
    }
    this.pending = this.pending.subarray(committed);
    if (stamps.length === 0) return null;
    const out = allocateValues(this.format, values.length);
    if (out instanceof Array) for (let i = 0; i < values.length; i++) out[i] = values[i] as string;
    else if (out instanceof BigInt64Array) for (let i = 0; i < values.length; i++) out[i] = values[i] as bigint;
    else out.set(values as number[]);
    return { frames: stamps.length, timestampsS: Float64Array.from(stamps), values: out };
  }

  private archiveString(c: Cursor, what: string): string {
    const n = Number(c.archiveInt(8, false, `${what} length`));
    if (n > MAX_STRING_BYTES) throw new InputError(`${what} of ${n} bytes is longer than the ${MAX_STRING_BYTES}-byte limit`);
    c.need(n);
    const s = utf8Decoder.decode(c.bytes.subarray(c.pos, c.pos + n));
    c.pos += n;
    return s;
  }

  /** One sample's timestamp (deduced filled in) with its values appended to `out`. */
  private sample(c: Cursor, out: (number | bigint | string)[]): number {
    const v100 = this.terms.dataProtocolVersion === 100;
    const little = !this.terms.reverseByteOrder;
    const tag = v100 ? Number(c.archiveInt(1, true, 'sample tag')) : c.u8();
    let t: number;
    if (tag === TAG_DEDUCED_TIMESTAMP) t = this.lastTimestampS + (this.nominalSrateHz > 0 ? 1 / this.nominalSrateHz : 0);
    else if (tag === TAG_TRANSMITTED_TIMESTAMP) {
      if (v100) {
        f32.setBigUint64(0, c.archiveInt(8, false, 'timestamp'), true);
        t = f32.getFloat64(0, true);
      } else {
        c.need(8);
        t = c.view.getFloat64(c.pos, little);
        c.pos += 8;
      }
    } else throw new InputError(`garbled sample: tag ${tag} (expected 1, deduced timestamp, or 2, transmitted)`);
    const nch = this.channelCount;
    if (this.format === 'string') {
      for (let k = 0; k < nch; k++) out.push(v100 ? this.archiveString(c, 'string value') : this.varlenString(c, little));
    } else if (v100) {
      for (let k = 0; k < nch; k++) out.push(this.archiveNumber(c));
    } else {
      c.need(nch * this.valueSize);
      const v = c.view;
      let p = c.pos;
      for (let k = 0; k < nch; k++, p += this.valueSize) {
        switch (this.format) {
          case 'float32': out.push(this.flush(v.getFloat32(p, little), 1.1754943508222875e-38)); break;
          case 'double64': out.push(this.flush(v.getFloat64(p, little), 2.2250738585072014e-308)); break;
          case 'int8': out.push(v.getInt8(p)); break;
          case 'int16': out.push(v.getInt16(p, little)); break;
          case 'int32': out.push(v.getInt32(p, little)); break;
          case 'int64': out.push(v.getBigInt64(p, little)); break;
        }
      }
      c.pos = p;
    }
    this.lastTimestampS = t;
    return t;
  }

  /** Subnormals become signed zero when the server asked for it (Suppress-Subnormals: 1). */
  private flush(x: number, smallestNormal: number): number {
    return this.terms.suppressSubnormals && x !== 0 && Math.abs(x) < smallestNormal ? (x < 0 ? -0 : 0) : x;
  }

  private archiveNumber(c: Cursor): number | bigint {
    switch (this.format) {
      case 'float32':
        f32.setUint32(0, Number(c.archiveInt(4, false, 'float32 value')), true);
        return f32.getFloat32(0, true);
      case 'double64':
        f32.setBigUint64(0, c.archiveInt(8, false, 'double64 value'), true);
        return f32.getFloat64(0, true);
      case 'int64':
        return c.archiveInt(8, true, 'int64 value');
      default:
        return Number(c.archiveInt(this.valueSize, true, `${this.format} value`));
    }
  }

  private varlenString(c: Cursor, little: boolean): string {
    const width = c.u8();
    if (width !== 1 && width !== 2 && width !== 4 && width !== 8) throw new InputError(`garbled sample: string length width ${width} (expected 1, 2, 4 or 8)`);
    c.need(width);
    const v = c.view;
    const n = width === 1 ? v.getUint8(c.pos) : width === 2 ? v.getUint16(c.pos, little) : width === 4 ? v.getUint32(c.pos, little) : Number(v.getBigUint64(c.pos, little));
    c.pos += width;
    if (n > MAX_STRING_BYTES) throw new InputError(`garbled sample: a string value of ${n} bytes is longer than the ${MAX_STRING_BYTES}-byte limit`);
    c.need(n);
    const s = utf8Decoder.decode(c.bytes.subarray(c.pos, c.pos + n));
    c.pos += n;
    return s;
  }

  private checkPattern(t: number, got: (number | bigint | string)[]): void {
    const offset = this.patternsSeen === 0 ? 4 : 2;
    const want = testPattern(this.format, this.channelCount, offset);
    const same = t === TEST_PATTERN_TIMESTAMP && got.every((v, k) => Object.is(v, (want as Float64Array)[k]));
    if (!same) {
      throw new InputError(
        `test-pattern sample ${this.patternsSeen + 1} does not match liblsl's (timestamp ${t}, first values ${got.slice(0, 3).join(', ')}; expected ${TEST_PATTERN_TIMESTAMP}, ${Array.from(want as ArrayLike<unknown>).slice(0, 3).join(', ')}): the formats are incompatible`,
      );
    }
  }
}
