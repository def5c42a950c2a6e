// Test support (Node only): the fNIRS peer outputs made by tests/fnirs/make-fnirs-peers.py (Debian's
// SciPy / MNE / mpmath), as JSON plus little-endian float64 files beside it. Never used by app code.
import { readFileSync } from 'node:fs';

const here = (name: string) => new URL(`./${name}`, import.meta.url);

/** tests/fnirs/peers.json. */
export const fnirsPeers: any = JSON.parse(readFileSync(here('peers.json'), 'utf8'));

/** A `{file, shape}` entry of peers.json as Float64Array (C order). */
export function peerArray(entry: { file: string; shape: number[] }): Float64Array {
  const b = readFileSync(here(entry.file));
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  const out = new Float64Array(copy.buffer);
  if (out.length !== entry.shape.reduce((a, c) => a * c, 1)) throw new Error(`${entry.file}: ${out.length} values, shape ${entry.shape.join('×')}`);
  return out;
}
