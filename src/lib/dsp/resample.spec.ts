import { describe, expect, it } from 'vitest';
import { hasShared, referenceArray, referenceError, referenceJson, needsShared } from '../../../tests/support/shared';
import { InputError } from '../core/errors';
import { firwin } from './filter-design';
import { sosfilt } from './iir';
import { decimate, decimateSos, resamplePoly, StreamingDecimator, StreamingResampler, upfirdn } from './resample';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const toFrames = (x: Float64Array, nch: number, ns: number): Float64Array => {
  const f = new Float64Array(nch * ns);
  for (let c = 0; c < nch; c++) for (let n = 0; n < ns; n++) f[n * nch + c] = x[c * ns + n];
  return f;
};

describe('resampling vs SciPy 1.10 (reference/resample.json)', needsShared, () => {
  const man = hasShared ? referenceJson('resample') : { cases: [], inputs: {} };
  const caseOf = (id: string): any => man.cases.find((c: any) => c.id === id);
  const input = (name: string): { x: Float64Array; ns: number } => {
    const ref = man.inputs[name];
    return { x: referenceArray(ref), ns: ref.shape[1] };
  };

  for (const id of ['resample_poly_250_to_100', 'resample_poly_160_to_128', 'resample_poly_256_to_250']) {
    it(`${id}: anti-alias taps, one-shot output (f64, f32) and the streaming resampler`, () => {
      const c = caseOf(id);
      const { x, ns } = input(c.input);
      const exp = referenceArray(c.expected.y);
      const maxRate = Math.max(c.up, c.down);
      const taps = firwin(20 * maxRate + 1, 1 / maxRate, { window: { kaiser: 5 } });
      expect(referenceError(taps, referenceArray(c.filter.taps), 'nmax')).toBeLessThan(1e-12);
      const y = resamplePoly(x, 8, ns, c.up, c.down);
      expect(y.length).toBe(8 * c.n_out);
      expect(referenceError(y, exp, 'nmax')).toBeLessThanOrEqual(c.tol.y.f64);
      expect(referenceError(resamplePoly(Float32Array.from(x), 8, ns, c.up, c.down), exp, 'nmax')).toBeLessThanOrEqual(c.tol.y.f32);

      // Streaming, frame-major, irregular chunks: equals resample_poly except the tail that
      // resample_poly derives from zeros after the end of the signal.
      const r = new StreamingResampler(8, c.up, c.down);
      const parts: Float64Array[] = [];
      const frames = toFrames(x, 8, ns);
      const rc = rng(3);
      let o = 0;
      while (o < ns) {
        const n = Math.min(ns - o, 1 + Math.floor(rc() * 150));
        parts.push(r.process(frames.subarray(o * 8, (o + n) * 8)));
        o += n;
      }
      const got = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
      let off = 0;
      for (const p of parts) {
        got.set(p, off);
        off += p.length;
      }
      const nGot = got.length / 8;
      const tail = Math.ceil((10 * maxRate) / c.up) + 2;
      expect(nGot).toBeGreaterThan(c.n_out - tail - 2);
      const nCmp = Math.min(nGot, c.n_out - tail);
      const a = new Float64Array(8 * nCmp);
      const e = new Float64Array(8 * nCmp);
      for (let ch = 0; ch < 8; ch++) {
        for (let j = 0; j < nCmp; j++) {
          a[ch * nCmp + j] = got[j * 8 + ch];
          e[ch * nCmp + j] = exp[ch * c.n_out + j];
        }
      }
      expect(referenceError(a, e, 'nmax')).toBeLessThanOrEqual(c.tol.y.f64);
    });
  }

  it('decimate_q4_iir_zero_phase: cheby1(8, 0.05, 0.8/4) and the decimated output', () => {
    const c = caseOf('decimate_q4_iir_zero_phase');
    const { x, ns } = input('x250');
    expect(referenceError(decimateSos(4), referenceArray(c.filter.sos), 'nmax')).toBeLessThan(1e-10);
    const exp = referenceArray(c.expected.y);
    expect(referenceError(decimate(x, 8, ns, 4), exp, 'nmax')).toBeLessThanOrEqual(c.tol.y.f64);
    expect(referenceError(decimate(Float32Array.from(x), 8, ns, 4), exp, 'nmax')).toBeLessThanOrEqual(c.tol.y.f32);
  });
});

describe('streaming resampler and decimator', () => {
  const nch = 3;
  const ns = 1200;
  const r = rng(5);
  const x = Float64Array.from({ length: nch * ns }, () => r() - 0.5); // channel-major
  const frames = toFrames(x, nch, ns);

  const runChunked = (proc: (c: Float64Array) => Float64Array, seed: number): Float64Array => {
    const rc = rng(seed);
    const parts: number[] = [];
    let o = 0;
    while (o < ns) {
      const n = Math.min(ns - o, Math.floor(rc() * rc() * 90));
      parts.push(...proc(frames.subarray(o * nch, (o + n) * nch)));
      o += n;
    }
    return Float64Array.from(parts);
  };

  it('StreamingResampler with explicit taps equals upfirdn for any chunking', () => {
    const h = firwin(31, 0.3);
    const full = upfirdn(h, x, nch, ns, 3, 7);
    const nFull = full.length / nch;
    for (const seed of [1, 2]) {
      const s = new StreamingResampler(nch, 3, 7, { taps: h });
      const got = runChunked((c) => s.process(c), seed);
      const n = got.length / nch;
      expect(n).toBe(Math.ceil((ns * 3) / 7));
      for (let j = 0; j < n; j++) for (let c = 0; c < nch; c++) expect(got[j * nch + c]).toBeCloseTo(full[c * nFull + j], 13);
    }
  });

  it('StreamingDecimator equals causal sosfilt then every 4th sample, for any chunking', () => {
    const ref = sosfilt(decimateSos(4), x, nch, ns);
    const d = new StreamingDecimator(nch, 4);
    const got = runChunked((c) => d.process(c), 9);
    expect(got.length / nch).toBe(ns / 4);
    for (let j = 0; j < ns / 4; j++) for (let c = 0; c < nch; c++) expect(got[j * nch + c]).toBe(ref[c * ns + 4 * j]);
    expect(Array.from(decimate(x, nch, ns, 4, { zeroPhase: false }).subarray(0, 5))).toEqual([0, 1, 2, 3, 4].map((j) => ref[4 * j]));
  });

  it('rejects bad factors and shapes', () => {
    expect(() => resamplePoly(x, nch, ns, 0, 2)).toThrow(InputError);
    expect(() => new StreamingResampler(2, 3, 2).process(new Float64Array(3))).toThrow(/frames/);
    expect(() => decimate(x, nch, ns, 1.5)).toThrow(/factor/);
  });
});
