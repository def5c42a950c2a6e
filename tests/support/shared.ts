// Test support (Node only): locate ../shared (real recordings, SciPy/MNE reference vectors, clients)
// and load reference vectors with their tolerances. Never used by app code.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Absolute path of the shared folder: $NEUROTAB_SHARED, else ../shared beside the checkout. */
export const sharedDir: string = process.env.NEUROTAB_SHARED ?? resolve(repoRoot, '../shared');
export const hasShared: boolean = existsSync(join(sharedDir, 'reference'));

/** The Vitest tag of every test that needs shared/ (defined in both Vitest configs). */
export const SHARED_TAG = 'shared';
/**
 * Options of a test or suite that needs shared/: skipped without it and tagged, so tests/run-all.ts
 * counts what a run without it left out (`describe('…', needsShared, () => …)`). A test skipped for
 * another reason as well spreads it: `{ ...needsShared, skip: !hasShared || !hasPython }`.
 */
export const needsShared = { skip: !hasShared, tags: [SHARED_TAG] };

export function sharedPath(...parts: string[]): string {
  return join(sharedDir, ...parts);
}

/** Bytes of a file under shared/ (e.g. `sharedBytes('data/edf/S001R04.edf')`). */
export function sharedBytes(rel: string): Uint8Array {
  const b = readFileSync(sharedPath(rel));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** A reference manifest, e.g. `referenceJson('filtering')` reads reference/filtering.json. */
export function referenceJson<T = any>(family: string): T {
  return JSON.parse(readFileSync(sharedPath('reference', `${family}.json`), 'utf8')) as T;
}

export interface F64Ref {
  file: string;
  shape: number[];
}

/** A reference array: either an inline nested list or a `{file, shape}` pointer to a .f64 file. */
export function referenceArray(ref: F64Ref | number[] | number[][] | number[][][]): Float64Array {
  if (Array.isArray(ref)) return Float64Array.from((ref as unknown[]).flat(Infinity as 1) as number[]);
  const buf = readFileSync(sharedPath('reference', ref.file));
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  const out = new Float64Array(copy.buffer);
  const n = ref.shape.reduce((a, b) => a * b, 1);
  if (out.length !== n) throw new Error(`${ref.file}: ${out.length} values, shape says ${n}`);
  return out;
}

export interface Tolerance {
  metric: 'nmax' | 'abs' | 'exact';
  f64: number;
  f32: number;
}

/** The error of `actual` against `expected` under the manifest's metric. */
export function referenceError(actual: ArrayLike<number>, expected: ArrayLike<number>, metric: Tolerance['metric']): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != expected ${expected.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : d;
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  if (metric === 'nmax') return maxRef === 0 ? maxDiff : maxDiff / maxRef;
  return maxDiff;
}
