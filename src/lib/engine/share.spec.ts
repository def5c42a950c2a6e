import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'fflate';
import { builtinRegistry } from './nodes/index';
import { parsePipelineDocument } from './document';
import {
  decodeSharedPipeline,
  encodeSharedPipeline,
  fromBase64Url,
  inflateCapped,
  SHARE_MAX_DOCUMENT_BYTES,
  SHARE_MAX_ENCODED_CHARS,
  ShareLinkError,
  shareFragment,
  sharePayloadOf,
  toBase64Url,
} from './share';

const registry = builtinRegistry();
const fixture = (name: string) => parsePipelineDocument(readFileSync(`tests/fixtures/pipelines/${name}`, 'utf8'));
const payloadOfJson = (json: string) => toBase64Url(deflateSync(new TextEncoder().encode(json)));

function rejects(payload: string, pattern: RegExp): ShareLinkError {
  let err: unknown;
  try {
    decodeSharedPipeline(payload, registry);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ShareLinkError);
  expect((err as Error).message).toMatch(pattern);
  return err as ShareLinkError;
}

describe('share links', () => {
  it('round-trips every fixture pipeline exactly (and compresses it)', () => {
    for (const f of ['bandpass-notch-car.json', 'bandpower.json', 'motor-imagery-calibration.json']) {
      const doc = fixture(f);
      const payload = encodeSharedPipeline(doc);
      expect(payload).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(payload.length).toBeLessThan(JSON.stringify(doc).length);
      expect(decodeSharedPipeline(payload, registry)).toEqual(doc);
      expect(sharePayloadOf(`#${shareFragment(doc)}`)).toBe(payload);
    }
  });

  it('base64url agrees with Node Buffer for every byte value and length', () => {
    for (let n = 0; n < 300; n += 7) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      const ours = toBase64Url(bytes);
      expect(ours).toBe(Buffer.from(bytes).toString('base64url'));
      expect(Array.from(fromBase64Url(ours))).toEqual(Array.from(bytes));
    }
  });

  it('finds the payload among other fragment keys, and reports none when absent', () => {
    expect(sharePayloadOf('#x=1&p=abc')).toBe('abc');
    expect(sharePayloadOf('')).toBeNull();
    expect(sharePayloadOf('#section')).toBeNull();
  });

  it('rejects corrupt base64 with the offending character', () => {
    rejects('abc$def', /character "\$" at position 3 is not base64url/);
    rejects('abcde', /impossible length/);
  });

  it('rejects bytes that are not deflate data', () => {
    rejects(toBase64Url(new TextEncoder().encode('this is not compressed at all, just text')), /corrupt|cut short/);
    rejects('', /no pipeline/);
  });

  it('rejects a truncated link', () => {
    const payload = encodeSharedPipeline(fixture('bandpower.json'));
    rejects(payload.slice(0, Math.floor(payload.length / 2) & ~3), /cut short|corrupt/);
  });

  it('refuses a zip bomb without inflating it all (cap on decompressed size)', () => {
    // 50 MB of zeros compress to ~50 kB; the cap stops inflation at 1 MB.
    const bomb = deflateSync(new Uint8Array(50_000_000));
    const payload = toBase64Url(bomb);
    expect(payload.length).toBeLessThan(SHARE_MAX_ENCODED_CHARS);
    rejects(payload, /expands to more than 1000000 bytes/);
    expect(() => inflateCapped(bomb, 10)).toThrow(/more than 10 bytes/);
    // Just under the cap is fine for the inflater itself.
    expect(inflateCapped(deflateSync(new Uint8Array(SHARE_MAX_DOCUMENT_BYTES)), SHARE_MAX_DOCUMENT_BYTES).byteLength).toBe(SHARE_MAX_DOCUMENT_BYTES);
  });

  it('rejects an oversized payload before decoding it', () => {
    rejects('A'.repeat(SHARE_MAX_ENCODED_CHARS + 4), /characters long/);
  });

  it('refuses to encode a document over the limit', () => {
    const doc = fixture('bandpower.json');
    doc.meta.description = 'x'.repeat(SHARE_MAX_DOCUMENT_BYTES);
    expect(() => encodeSharedPipeline(doc)).toThrow(/at most 1000000/);
  });

  it('rejects non-JSON and non-UTF-8 content', () => {
    rejects(payloadOfJson('{"format": '), /not hold valid JSON/);
    rejects(toBase64Url(deflateSync(new Uint8Array([0xff, 0xfe, 0x80]))), /UTF-8/);
  });

  it('names the node and the problem for unknown node types and bad parameters', () => {
    const doc = fixture('bandpower.json') as unknown as { nodes: { id: string; type: string; params: Record<string, unknown> }[] };
    doc.nodes[1].type = 'os.exec';
    doc.nodes[4].params.segment_samples = -3;
    const err = rejects(payloadOfJson(JSON.stringify(doc)), /not valid/);
    expect(err.issues.some((i) => i.nodeId === 'highpass' && /unknown node type "os.exec"/.test(i.message))).toBe(true);
    expect(err.issues.some((i) => i.nodeId === 'psd' && /segment_samples/.test(i.message))).toBe(true);
  });

  it('rejects schema violations (wrong format, not an object)', () => {
    rejects(payloadOfJson('[1,2,3]'), /must be a JSON object/);
    rejects(payloadOfJson('{"format":"evil","version":1,"nodes":[]}'), /format/);
  });

  it('rejects prototype-polluting keys anywhere and leaves Object.prototype clean', () => {
    const base = JSON.stringify(fixture('bandpower.json'));
    const hostile = [
      base.replace('"meta":{', '"meta":{"__proto__":{"polluted":true},'),
      base.replace('"params":{"frequencies"', '"params":{"__proto__":{"polluted":true},"frequencies"'),
      base.replace('"meta":{', '"meta":{"constructor":{"prototype":{"polluted":true}},'),
      `{"__proto__":{"polluted":true},${base.slice(1)}`,
    ];
    for (const json of hostile) {
      expect(json).not.toBe(base);
      rejects(payloadOfJson(json), /forbidden key "(__proto__|constructor|prototype)"/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects absurdly deep nesting', () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    rejects(payloadOfJson(`{"format":"neurotab.pipeline","version":1,"nodes":[],"ui":{"x":${deep}}}`), /nested deeper/);
  });
});
