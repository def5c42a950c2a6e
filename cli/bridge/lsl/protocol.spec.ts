// The data protocol against liblsl's own bytes: testing/fixtures/liblsl-feeds.json holds what
// liblsl 1.16.2 sent for a 1.10 and a 1.00 request in every channel format (generator:
// testing/make-protocol-fixture.ts, which runs liblsl in a network namespace). Our decoder must read
// those bytes (test patterns and data), and our encoder must reproduce them byte for byte.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEDUCED_TIMESTAMP } from './config';
import {
  archivePreamble,
  encodeSamples100,
  encodeSamples110,
  FeedDecoder,
  feedRequest110,
  feedResponse,
  negotiateFeed,
  parseFeedRequest,
  parseFeedResponse,
  splitAt,
  testPattern,
  TEST_PATTERN_TIMESTAMP,
  type FeedTerms,
  type SampleChunk,
} from './protocol';
import { CHANNEL_FORMAT_BYTES, parseStreamInfo, type ChannelFormat } from './stream-info';
import { peerSamples } from './testing/peer-values';

const fixture = JSON.parse(readFileSync(new URL('./testing/fixtures/liblsl-feeds.json', import.meta.url), 'utf8'));
const FORMATS: ChannelFormat[] = ['float32', 'double64', 'int8', 'int16', 'int32', 'int64', 'string'];
const V110: FeedTerms = { dataProtocolVersion: 110, reverseByteOrder: false, suppressSubnormals: false };
const V100: FeedTerms = { dataProtocolVersion: 100, reverseByteOrder: false, suppressSubnormals: false };

const bytesOf = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

/** liblsl's 1.10 bytes split into the response header and the binary feed. */
function feed110(format: ChannelFormat): { status: string; lines: string[]; body: Uint8Array } {
  const all = bytesOf(fixture[format].v110.hex);
  const { head, rest } = splitAt(all, '\r\n\r\n')!;
  const [status, ...lines] = head.split('\r\n');
  return { status, lines, body: rest };
}

/** Feeds bytes in uneven pieces (1, 2, 3, … bytes) and gathers the samples. */
function decodeInPieces(d: FeedDecoder, body: Uint8Array): SampleChunk[] {
  const out: SampleChunk[] = [];
  for (let p = 0, step = 1; p < body.length; p += step, step = (step % 7) + 1) {
    const c = d.push(body.slice(p, p + step));
    if (c) out.push(c);
  }
  return out;
}

function values(chunks: SampleChunk[]): unknown[] {
  return chunks.flatMap((c) => Array.from(c.values as ArrayLike<unknown>));
}

describe('liblsl 1.10 feeds', () => {
  for (const format of FORMATS) {
    it(`${format}: the response header, test patterns and data decode; our encoder writes the same bytes`, () => {
      const { status, lines, body } = feed110(format);
      const uid = fixture[format].v110.uid;
      const terms = parseFeedResponse(status, lines, uid, 110);
      expect(terms).toEqual(V110);
      const d = new FeedDecoder(format, 3, 10, terms);
      const chunks = decodeInPieces(d, body);
      expect(d.verified).toBe(true);
      expect(values(chunks)).toEqual(peerSamples(format, 3, 0, 2));
      const stamps = chunks.flatMap((c) => Array.from(c.timestampsS));
      expect(stamps).toHaveLength(2);
      expect(stamps[1]).toBeGreaterThan(stamps[0]);
      // Byte for byte: our response header, then test patterns, then the two data samples.
      expect(feedResponse(110, uid, terms)).toBe(`${status}\r\n${lines.join('\r\n')}\r\n\r\n`);
      const patterns = [testPattern(format, 3, 4), testPattern(format, 3, 2)].flatMap((p) => Array.from(p as ArrayLike<unknown>));
      const ours = [
        encodeSamples110(format, 3, patterns as never, [TEST_PATTERN_TIMESTAMP, TEST_PATTERN_TIMESTAMP]),
        encodeSamples110(format, 3, peerSamples(format, 3, 0, 2) as never, stamps),
      ];
      expect(Buffer.concat(ours).toString('hex')).toBe(Buffer.from(body).toString('hex'));
    });
  }
});

describe('liblsl 1.00 feeds (portable binary archive)', () => {
  for (const format of FORMATS) {
    it(`${format}: preamble (shortinfo), test patterns and data decode; our encoder writes the same bytes`, () => {
      const body = bytesOf(fixture[format].v100.hex);
      const d = new FeedDecoder(format, 3, 10, V100);
      const chunks = decodeInPieces(d, body);
      expect(d.verified).toBe(true);
      const info = parseStreamInfo(d.shortinfo!, 'preamble');
      expect(info).toMatchObject({ name: `fixture-${format}-100`, uid: fixture[format].v100.uid, channelFormat: format, channelCount: 3, nominalSrateHz: 10, sourceId: 'fixture' });
      expect(values(chunks)).toEqual(peerSamples(format, 3, 0, 2));
      const stamps = chunks.flatMap((c) => Array.from(c.timestampsS));
      const patterns = [testPattern(format, 3, 4), testPattern(format, 3, 2)].flatMap((p) => Array.from(p as ArrayLike<unknown>));
      const ours = [
        archivePreamble(d.shortinfo!),
        encodeSamples100(format, 3, patterns as never, [TEST_PATTERN_TIMESTAMP, TEST_PATTERN_TIMESTAMP], true),
        encodeSamples100(format, 3, peerSamples(format, 3, 0, 2) as never, stamps, false),
      ];
      expect(Buffer.concat(ours).toString('hex')).toBe(Buffer.from(body).toString('hex'));
    });
  }
});

describe('negotiation (the server side, as liblsl decides)', () => {
  const stream = { uid: 'u-1', channelFormat: 'float32' as ChannelFormat };
  const request = (o: Partial<Parameters<typeof feedRequest110>[0]> = {}) => {
    const text = feedRequest110({ uid: 'u-1', valueSize: 4, maxBufferLength: 360, maxChunkLength: 0, hostname: 'h', sourceId: 's', sessionId: 'default', ...o });
    const [line, ...rest] = text.split('\r\n');
    return parseFeedRequest(line, rest.filter(Boolean));
  };

  it('agrees on 1.10 for a matching client, reads its buffer and chunk lengths', () => {
    const req = request({ maxBufferLength: 3600, maxChunkLength: 8 });
    expect(req).toMatchObject({ protocolVersion: 110, uid: 'u-1', maxBufferLength: 3600, maxChunkLength: 8 });
    expect(negotiateFeed(req, stream, 110)).toEqual({ status: 'LSL/110 200 OK', terms: V110 });
  });

  it('falls back to 1.00 when value sizes differ or floats are not IEEE 754; 404 for another uid; 505 for 2.x', () => {
    expect(negotiateFeed(request({ valueSize: 8 }), stream, 110).terms!.dataProtocolVersion).toBe(100);
    const noIeee = request();
    noIeee.headers.set('has-ieee754-floats', '0');
    expect(negotiateFeed(noIeee, stream, 110).terms!.dataProtocolVersion).toBe(100);
    expect(negotiateFeed(request({ uid: 'other' }), stream, 110)).toEqual({ status: 'LSL/110 404 Not found' });
    expect(negotiateFeed(request({ protocolVersion: 200 }), stream, 110)).toEqual({ status: 'LSL/110 505 Version not supported' });
    expect(parseFeedRequest('LSL:streamfeed', ['360 0'])).toMatchObject({ protocolVersion: 100, maxBufferLength: 360, maxChunkLength: 0 });
  });

  it('converts for a big-endian client and asks a no-subnormals client to flush them', () => {
    const be = request();
    be.headers.set('native-byte-order', '4321');
    be.headers.set('supports-subnormals', '0');
    expect(negotiateFeed(be, stream, 110).terms).toEqual({ dataProtocolVersion: 110, reverseByteOrder: true, suppressSubnormals: true });
  });

  it('the client refuses what it cannot speak, saying why', () => {
    expect(() => parseFeedResponse('HTTP/1.1 200 OK', [], 'u', 110)).toThrow('is not an LSL status line');
    expect(() => parseFeedResponse('LSL/110 500 Internal', [], 'u', 110)).toThrow('the outlet refused the feed: "LSL/110 500 Internal"');
    expect(() => parseFeedResponse('LSL/200 200 OK', [], 'u', 110)).toThrow('newer than ours');
    expect(() => parseFeedResponse('LSL/110 200 OK', ['UID: other'], 'u', 110)).toThrow('answers for stream other, not u');
    expect(() => parseFeedResponse('LSL/110 200 OK', ['Byte-Order: 3412'], 'u', 110)).toThrow('byte order 3412 is neither 1234 nor 4321');
    expect(parseFeedResponse('LSL/110 404 Not found', [], 'u', 110).notFound).toBe(true);
    expect(parseFeedResponse('LSL/110 200 OK', ['Byte-Order: 0', 'Data-Protocol-Version: 100'], 'u', 110)).toEqual(V100);
  });
});

describe('decoder edge cases', () => {
  it('reads big-endian feeds: liblsl bytes with every timestamp and value reversed decode to the same samples', () => {
    for (const format of ['float32', 'double64', 'int16', 'int32', 'int64'] as ChannelFormat[]) {
      const { body } = feed110(format);
      const size = CHANNEL_FORMAT_BYTES[format];
      const be = new Uint8Array(body);
      for (let p = 0; p < be.length; ) {
        p += 1; // tag
        be.subarray(p, p + 8).reverse();
        p += 8;
        for (let c = 0; c < 3; c++, p += size) be.subarray(p, p + size).reverse();
      }
      const d = new FeedDecoder(format, 3, 10, { ...V110, reverseByteOrder: true });
      expect(values(decodeInPieces(d, be))).toEqual(peerSamples(format, 3, 0, 2));
    }
  });

  it('fills deduced timestamps from the previous one + 1/srate', () => {
    const patterns = [testPattern('int16', 1, 4), testPattern('int16', 1, 2)].flatMap((p) => Array.from(p as Int16Array));
    const head = encodeSamples110('int16', 1, Int16Array.from(patterns), [TEST_PATTERN_TIMESTAMP, TEST_PATTERN_TIMESTAMP]);
    const data = encodeSamples110('int16', 1, Int16Array.from([1, 2, 3]), [10, DEDUCED_TIMESTAMP, DEDUCED_TIMESTAMP]);
    const d = new FeedDecoder('int16', 1, 4, V110);
    d.push(head);
    expect(Array.from(d.push(data)!.timestampsS)).toEqual([10, 10.25, 10.5]);
  });

  it('flushes subnormals to signed zero when the server says Suppress-Subnormals: 1', () => {
    const tiny = [1e-40, -1e-40, 1.5];
    const patterns = [testPattern('float32', 3, 4), testPattern('float32', 3, 2)].flatMap((p) => Array.from(p as Float32Array));
    const bytes = Buffer.concat([encodeSamples110('float32', 3, Float32Array.from(patterns), [TEST_PATTERN_TIMESTAMP, TEST_PATTERN_TIMESTAMP]), encodeSamples110('float32', 3, Float32Array.from(tiny), [1])]);
    const got = Array.from(new FeedDecoder('float32', 3, 0, { ...V110, suppressSubnormals: true }).push(bytes)!.values as Float32Array);
    expect(got).toEqual([0, -0, 1.5]);
  });

  it('drops garbage with a reason: bad tag, foreign test pattern, over-long string, bad archive magic', () => {
    const { body } = feed110('float32');
    const badTag = new Uint8Array(body);
    badTag[0] = 7;
    expect(() => new FeedDecoder('float32', 3, 10, V110).push(badTag)).toThrow('garbled sample: tag 7 (expected 1, deduced timestamp, or 2, transmitted)');
    expect(() => new FeedDecoder('float32', 4, 10, V110).push(body)).toThrow(/test-pattern sample 1 does not match liblsl's .* the formats are incompatible/);
    const s = feed110('string').body;
    const long = new Uint8Array(s.length);
    long.set(s);
    long.set([8, 0, 0, 0, 0, 0, 0, 0, 1], 9); // first string length: 2^56 bytes
    expect(() => new FeedDecoder('string', 3, 10, V110).push(long)).toThrow(/a string value of \d+ bytes is longer than the 67108864-byte limit/);
    expect(() => new FeedDecoder('float32', 3, 10, V100).push(new Uint8Array([0x16, 0x03, 0x01]))).toThrow('does not start with its magic byte 0x7f');
  });

  it('splitAt bounds a header that never ends', () => {
    expect(splitAt(new TextEncoder().encode('LSL:fullinfo\r\nx'), '\r\n')).toEqual({ head: 'LSL:fullinfo', rest: new TextEncoder().encode('x') });
    expect(splitAt(new TextEncoder().encode('LSL:fu'), '\r\n')).toBeNull();
    expect(() => splitAt(new Uint8Array(70_000).fill(65), '\r\n')).toThrow('no "\\r\\n" within 65536 bytes (not an LSL peer?)');
  });
});
