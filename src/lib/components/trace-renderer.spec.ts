import { describe, expect, it } from 'vitest';
import { TraceRenderer } from './trace-renderer';

/** Brute force: min/max of channel c over blocks k·D … (k+1)·D−1 of the frames in the window. */
function expected(all: Float32Array, ch: number, c: number, written: number, windowFrames: number, H: number, D: number, total: number) {
  const lastBlock = Math.floor((written - 1) / D);
  const oldest = Math.max(0, written - Math.min(H, windowFrames));
  const firstBlock = Math.floor(oldest / D) + (oldest % D === 0 ? 0 : 1);
  const min: number[] = [];
  const max: number[] = [];
  for (let b = Math.max(firstBlock, lastBlock - total + 1); b <= lastBlock; b++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let f = b * D; f < Math.min(written, (b + 1) * D); f++) {
      const v = all[f * ch + c];
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    min.push(lo);
    max.push(hi);
  }
  return { min, max };
}

describe('TraceRenderer columns', () => {
  it('keeps per-column min/max incrementally, equal to a brute-force scan, across chunking, wrap-around and resizes', () => {
    const ch = 3;
    const rate = 100;
    const r = new TraceRenderer(ch, rate, 5); // history 500 frames
    const total = 1733;
    const all = new Float32Array(total * ch);
    let seed = 7;
    for (let i = 0; i < all.length; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      all[i] = (seed / 2 ** 31) * 200 - 100;
    }
    let written = 0;
    const check = (windowFrames: number, plotW: number) => {
      const D = Math.max(1, Math.round(windowFrames / plotW));
      const cols = Math.ceil(windowFrames / D);
      for (let c = 0; c < ch; c++) {
        const [n, empty, tot] = r.columns(c, windowFrames, plotW);
        expect(tot).toBe(cols);
        const e = expected(all, ch, c, written, windowFrames, 500, D, cols);
        expect(n).toBe(e.min.length);
        expect(empty).toBe(cols - n);
        const got = r.columnValues(n);
        expect(Array.from(got.min)).toEqual(e.min.map((v) => Math.fround(v)));
        expect(Array.from(got.max)).toEqual(e.max.map((v) => Math.fround(v)));
      }
    };
    const chunks = [1, 7, 13, 64, 3, 200, 45, 5];
    let k = 0;
    while (written < total) {
      const n = Math.min(chunks[k++ % chunks.length], total - written);
      r.ingest(all.subarray(written * ch, (written + n) * ch), n);
      written += n;
      // A few window/width combinations, as a user would change them while it runs.
      if (k % 3 === 0) check(400, 120);
      if (k % 5 === 0) check(250, 250);
      if (k % 7 === 0) check(500, 37);
    }
    check(400, 120);
    check(100, 1000);
  });
});
