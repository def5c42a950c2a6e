// Share-link codec: a pipeline document as deflate-compressed JSON in a URL fragment
// (`/pipelines#p=<base64url>`). Pure; runs on the page, in workers and in Node.
// A shared link is untrusted DATA: decoding never evaluates anything, is bounded in input and
// output size (zip-bomb safe: inflated in small steps with a cap), rejects prototype-polluting
// keys and returns only a document that the engine schema and registry accept.
import { Inflate, deflateSync } from 'fflate';
import { InputError, errorMessage } from '../core/errors';
import { concatBytes } from '../formats/bytes';
import { compilePipeline } from './compiler';
import { parsePipelineDocument, PipelineError, type PipelineDocument, type PipelineIssue } from './document';
import type { NodeRegistry } from './registry';
import type { NodeContext } from './types';

/** Largest decompressed document accepted (bytes of UTF-8 JSON). */
export const SHARE_MAX_DOCUMENT_BYTES = 1_000_000;
/** Largest encoded payload accepted (characters of base64url). Deflate never grows data by more than a few %. */
export const SHARE_MAX_ENCODED_CHARS = Math.ceil((SHARE_MAX_DOCUMENT_BYTES * 1.01 + 1024) * (4 / 3));
/** Deepest JSON nesting accepted (documents are shallow: doc → nodes → node → params → value → list). */
export const SHARE_MAX_DEPTH = 32;
/** Input fed to the inflater per step: bounds one step's output to ~1 MB (deflate expands ≤ 1032×). */
const INFLATE_STEP_BYTES = 512;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A share link that cannot be opened; `issues` holds the schema/registry problems when there are any. */
export class ShareLinkError extends InputError {
  override name = 'ShareLinkError';
  readonly issues: PipelineIssue[];
  constructor(message: string, issues: PipelineIssue[] = []) {
    super(message, 'share link');
    this.issues = issues;
  }
}

// ------------------------------------------------------------------------------- base64url

export function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) {
    const bad = text.search(/[^A-Za-z0-9_-]/);
    throw new ShareLinkError(`the link is corrupt: character ${JSON.stringify(text[bad])} at position ${bad} is not base64url`);
  }
  if (text.length % 4 === 1) throw new ShareLinkError('the link is corrupt: its base64url payload has an impossible length (was it cut short?)');
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const bin = atob(padded);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// ------------------------------------------------------------------------------- encode

/** The base64url payload for a document (deflate level 9 over its JSON). */
export function encodeSharedPipeline(doc: PipelineDocument): string {
  const json = new TextEncoder().encode(JSON.stringify(doc));
  if (json.byteLength > SHARE_MAX_DOCUMENT_BYTES) throw new InputError(`the pipeline is ${json.byteLength} bytes of JSON; share links carry at most ${SHARE_MAX_DOCUMENT_BYTES}`);
  return toBase64Url(deflateSync(json, { level: 9 }));
}

/** `p=<payload>`: the fragment (without "#") of a share link. */
export function shareFragment(doc: PipelineDocument): string {
  return `p=${encodeSharedPipeline(doc)}`;
}

/** A full link: `<origin>/pipelines#p=…`. */
export function shareUrl(doc: PipelineDocument, origin: string): string {
  return `${origin.replace(/\/$/, '')}/pipelines#${shareFragment(doc)}`;
}

// ------------------------------------------------------------------------------- decode

/** Inflates raw deflate data, refusing to produce more than `maxBytes` (throws as soon as it would). */
export function inflateCapped(data: Uint8Array, maxBytes: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  const inflater = new Inflate((chunk, final) => {
    total += chunk.byteLength;
    if (total > maxBytes) throw new ShareLinkError(`the pipeline in the link expands to more than ${maxBytes} bytes; refused`);
    parts.push(chunk);
    if (final) ended = true;
  });
  try {
    if (data.byteLength === 0) throw new ShareLinkError('the link carries no pipeline (empty payload)');
    for (let i = 0; i < data.byteLength; i += INFLATE_STEP_BYTES) {
      const end = Math.min(data.byteLength, i + INFLATE_STEP_BYTES);
      inflater.push(data.subarray(i, end), end === data.byteLength);
    }
  } catch (e) {
    if (e instanceof ShareLinkError) throw e;
    throw new ShareLinkError(`the link is corrupt or cut short: its compressed data does not decode (${errorMessage(e)})`);
  }
  if (!ended) throw new ShareLinkError('the link is cut short: the compressed data ends early');
  return concatBytes(parts);
}

/** JSON.parse that refuses prototype-polluting keys and overly deep nesting. */
export function parseUntrustedJson(text: string): unknown {
  checkDepth(text);
  let value: unknown;
  try {
    value = JSON.parse(text, (key, v) => {
      if (FORBIDDEN_KEYS.has(key)) throw new ShareLinkError(`the pipeline contains the forbidden key "${key}"; refused`);
      return v;
    });
  } catch (e) {
    if (e instanceof ShareLinkError) throw e;
    throw new ShareLinkError(`the link does not hold valid JSON (${errorMessage(e)})`);
  }
  return value;
}

/** Scans JSON text (before parsing, iteratively) for bracket nesting deeper than SHARE_MAX_DEPTH. */
function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > SHARE_MAX_DEPTH) throw new ShareLinkError(`the pipeline is nested deeper than ${SHARE_MAX_DEPTH} levels; refused`);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

/**
 * Checks a document against the engine: schema, node types, ports, parameter domains, cycles, and
 * that every node can be instantiated. Nothing is connected or run. Throws PipelineError.
 */
export function validatePipeline(doc: unknown, registry: NodeRegistry): PipelineDocument {
  const parsed = parsePipelineDocument(doc);
  const quiet = (nodeId: string): NodeContext => ({ nodeId, log: () => {}, offline: false });
  compilePipeline(parsed, registry, { instantiate: ({ id, cls, params }) => cls.create(params, quiet(id)) });
  return parsed;
}

/** Decodes a base64url payload into a validated document. Throws ShareLinkError with a readable reason. */
export function decodeSharedPipeline(payload: string, registry: NodeRegistry): PipelineDocument {
  if (payload.length > SHARE_MAX_ENCODED_CHARS) throw new ShareLinkError(`the link is ${payload.length} characters long; at most ${SHARE_MAX_ENCODED_CHARS} are accepted`);
  const bytes = inflateCapped(fromBase64Url(payload), SHARE_MAX_DOCUMENT_BYTES);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ShareLinkError('the link does not hold UTF-8 text');
  }
  const raw = parseUntrustedJson(text);
  try {
    return validatePipeline(raw, registry);
  } catch (e) {
    if (e instanceof PipelineError) throw new ShareLinkError(`the pipeline in the link is not valid: ${e.message}`, e.issues);
    throw new ShareLinkError(`the pipeline in the link is not valid: ${errorMessage(e)}`);
  }
}

/**
 * The payload of a location hash (`#p=…`, other `&`-separated keys ignored), or null when the hash
 * carries no pipeline.
 */
export function sharePayloadOf(hash: string): string | null {
  const h = hash.startsWith('#') ? hash.slice(1) : hash;
  for (const part of h.split('&')) if (part.startsWith('p=')) return part.slice(2);
  return null;
}
