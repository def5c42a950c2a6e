import { describe, expect, it } from 'vitest';
import { hasShared, referenceArray, referenceError, referenceJson, needsShared } from '../../../tests/support/shared';
import { InputError } from '../core/errors';
import { butter, concatSos, firwin, iirnotchSos } from './filter-design';
import { filtfilt, lfilter, lfilterZi, LFilter, sosfilt, sosfiltfilt, sosfiltZi, SosFilter, type IirBackend, type Samples } from './iir';

const NCH = 8;
const NS = 2500;

/** channel-major [nch, ns] -> frame-major [ns, nch] (and back with the roles swapped). */
function transpose<T extends Samples>(x: T, rows: number, cols: number): T {
  const out = new (x.constructor as { new (n: number): T })(x.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c];
  return out;
}

/** Small seeded PRNG (mulberry32) for chunk sizes and test signals. */
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

describe('filtering vs SciPy 1.10 (reference/filtering.json)', needsShared, () => {
  const man = hasShared ? referenceJson('filtering') : { cases: [], streaming: [], filters: {} };
  const x = hasShared ? referenceArray(man.inputs.x) : new Float64Array();
  const x32 = Float32Array.from(x);
  const sosOf = (name: string): Float64Array => referenceArray(man.filters[name].sos);
  const caseOf = (id: string): any => man.cases.find((c: any) => c.id === id);

  it('filter A and B from our designers equal the manifest coefficients', () => {
    const a = concatSos(butter(4, [1, 40], 'bandpass', 250), iirnotchSos(50, 30, 250));
    expect(referenceError(a, sosOf('A'), 'nmax')).toBeLessThan(1e-10);
    expect(referenceError(butter(2, 1, 'highpass', 250), sosOf('B'), 'nmax')).toBeLessThan(1e-10);
    expect(referenceError(firwin(101, [7, 30], { passZero: false, sampleRateHz: 250 }), man.filters.FIR.b, 'nmax')).toBeLessThan(1e-12);
  });

  for (const name of ['A', 'B']) {
    it(`sosfilt_${name}_zero: y and zf in float64; y from Float32Array input within the f32 tolerance`, () => {
      const c = caseOf(`sosfilt_${name}_zero`);
      const sos = sosOf(name);
      for (const backend of ['js', 'wasm'] as IirBackend[]) {
        const zf = new Float64Array(NCH * (sos.length / 6) * 2);
        const y = sosfilt(sos, x, NCH, NS, zf, backend);
        expect(y).toBeInstanceOf(Float64Array);
        expect(referenceError(y, referenceArray(c.expected.y), 'nmax')).toBeLessThanOrEqual(c.tol.y.f64);
        expect(referenceError(zf, referenceArray(c.expected.zf), 'nmax')).toBeLessThanOrEqual(c.tol.zf.f64);
        const y32 = sosfilt(sos, x32, NCH, NS, undefined, backend);
        expect(y32).toBeInstanceOf(Float32Array);
        expect(referenceError(y32, referenceArray(c.expected.y), 'nmax')).toBeLessThanOrEqual(c.tol.y.f32);
      }
    });

    it(`sosfilt_${name}_zi: sosfilt_zi and the filtered output from zi·x[c,0]`, () => {
      const c = caseOf(`sosfilt_${name}_zi`);
      const sos = sosOf(name);
      const zi = sosfiltZi(sos);
      expect(referenceError(zi, referenceArray(c.sosfilt_zi), 'nmax')).toBeLessThanOrEqual(c.tol.sosfilt_zi.f64);
      const per = zi.length;
      const state = new Float64Array(NCH * per);
      for (let ch = 0; ch < NCH; ch++) for (let i = 0; i < per; i++) state[ch * per + i] = zi[i] * x[ch * NS];
      const y = sosfilt(sos, x, NCH, NS, state, 'wasm');
      expect(referenceError(y, referenceArray(c.expected.y), 'nmax')).toBeLessThanOrEqual(c.tol.y.f64);
      expect(referenceError(state, referenceArray(c.expected.zf), 'nmax')).toBeLessThanOrEqual(1e-10);
    });
  }

  it('sosfiltfilt_A (padtype odd, padlen 33) in float64 and from float32 input', () => {
    const c = caseOf('sosfiltfilt_A');
    const exp = referenceArray(c.expected.y);
    expect(referenceError(sosfiltfilt(sosOf('A'), x, NCH, NS), exp, 'nmax')).toBeLessThanOrEqual(c.tol.y.f64);
    const yj = sosfiltfilt(sosOf('A'), x, NCH, NS, { backend: 'js' });
    expect(referenceError(yj, exp, 'nmax')).toBeLessThanOrEqual(c.tol.y.f64);
    expect(Array.from(sosfiltfilt(sosOf('A'), x, NCH, NS, { backend: 'wasm' }))).toEqual(Array.from(yj));
    expect(referenceError(sosfiltfilt(sosOf('A'), x32, NCH, NS), exp, 'nmax')).toBeLessThanOrEqual(c.tol.y.f32);
    // An explicit padlen equal to the default rule gives the same answer; another padlen does not.
    expect(referenceError(sosfiltfilt(sosOf('A'), x, NCH, NS, { padlen: 33 }), exp, 'nmax')).toBeLessThanOrEqual(c.tol.y.f64);
    expect(referenceError(sosfiltfilt(sosOf('A'), x, NCH, NS, { padlen: 60 }), exp, 'nmax')).toBeGreaterThan(1e-6);
  });

  it('lfilter_fir (101-tap FIR, zero state) in float64 and float32', () => {
    const c = caseOf('lfilter_fir');
    const exp = referenceArray(c.expected.y);
    expect(referenceError(lfilter(man.filters.FIR.b, [1], x, NCH, NS), exp, 'nmax')).toBeLessThanOrEqual(c.tol.y.f64);
    expect(referenceError(lfilter(man.filters.FIR.b, [1], x32, NCH, NS), exp, 'nmax')).toBeLessThanOrEqual(c.tol.y.f32);
  });

  it('filtfilt with b/a of one biquad equals sosfiltfilt of that section (two SciPy routes to one result)', () => {
    const sos = sosOf('B');
    const b = Array.from(sos.subarray(0, 3));
    const a = Array.from(sos.subarray(3, 6));
    // filtfilt's default padlen is 3·max(len a, len b) = 9, sosfiltfilt's is 3·(2+1) = 9 too.
    const y1 = filtfilt(b, a, x, NCH, NS);
    const y2 = sosfiltfilt(sos, x, NCH, NS);
    expect(referenceError(y1, y2, 'nmax')).toBeLessThan(1e-9);
    expect(referenceError(lfilterZi(b, a), sosfiltZi(sos), 'nmax')).toBeLessThan(1e-12);
  });

  for (const s of (man.streaming ?? []) as any[]) {
    it(`${s.id}: frame-major streaming with the manifest's irregular chunks equals the one-shot output`, () => {
      const chunks: number[] = s.chunk_sizes;
      expect(chunks.reduce((a, b) => a + b, 0)).toBe(NS);
      const exp = referenceArray(s.expected.y);
      for (const [dtype, backend] of [['f64', 'js'], ['f32', 'js'], ['f64', 'wasm'], ['f32', 'wasm']] as const) {
        const xf = transpose(dtype === 'f64' ? x : x32, NCH, NS); // [ns, nch]
        const yf = dtype === 'f64' ? new Float64Array(xf.length) : new Float32Array(xf.length);
        let state: Float64Array | undefined;
        if (s.filter === 'FIR') {
          const f = new LFilter(man.filters.FIR.b, [1], NCH);
          let o = 0;
          for (const n of chunks) {
            yf.set(f.process(xf.subarray(o * NCH, (o + n) * NCH)), o * NCH);
            o += n;
          }
        } else {
          const f = new SosFilter(sosOf(s.filter), NCH, { initialState: s.initial_state === 'zeros' ? 'zero' : 'step', backend });
          let o = 0;
          for (const n of chunks) {
            f.process(xf.subarray(o * NCH, (o + n) * NCH), yf.subarray(o * NCH, (o + n) * NCH));
            o += n;
          }
          state = f.getState();
        }
        const y = transpose(yf, NS, NCH);
        expect(referenceError(y, exp, 'nmax')).toBeLessThanOrEqual(s.tol.y[dtype]);
        if (dtype === 'f64' && state) expect(referenceError(state, referenceArray(s.expected.zf_after_last_chunk), 'nmax')).toBeLessThanOrEqual(1e-10);
      }
    });
  }
});

describe('SosFilter streaming behaviour', () => {
  const sos = concatSos(butter(4, [1, 40], 'bandpass', 250), iirnotchSos(50, 30, 250));
  const nch = 5;
  const ns = 3000;
  const r = rng(7);
  const xf = new Float64Array(nch * ns).map(() => 50 * (r() - 0.5) + 20);

  for (const ctor of [Float64Array, Float32Array]) {
    it(`random irregular chunk sizes give bit-identical output to one call (${ctor.name})`, () => {
      const x = ctor === Float64Array ? xf : Float32Array.from(xf);
      const one = new SosFilter(sos, nch).process(x);
      const f = new SosFilter(sos, nch);
      const out = new ctor(x.length);
      const rc = rng(11);
      let o = 0;
      while (o < ns) {
        const n = Math.min(ns - o, Math.floor(rc() * rc() * 300));
        out.set(f.process(x.subarray(o * nch, (o + n) * nch)), o * nch);
        o += n;
      }
      expect(Array.from(out)).toEqual(Array.from(one));
    });
  }

  it('matches channel-major sosfilt on the transposed data, and reset() restarts from rest', () => {
    const ref = sosfilt(sos, transpose(xf, ns, nch), nch, ns);
    const f = new SosFilter(sos, nch);
    f.process(xf.subarray(0, 100 * nch));
    f.reset();
    const y = transpose(f.process(xf), ns, nch);
    expect(referenceError(y, ref, 'nmax')).toBe(0);
  });

  it('a NaN sample resets only its channel at the end of the chunk and is reported', () => {
    const seen: number[] = [];
    const f = new SosFilter(sos, nch, { onNonFinite: (c) => seen.push(c) });
    const bad = xf.slice(0, 200 * nch);
    bad[50 * nch + 2] = Number.NaN;
    const y1 = f.process(bad);
    expect(Number.isNaN(y1[60 * nch + 2])).toBe(true);
    expect(Number.isFinite(y1[60 * nch + 1])).toBe(true);
    expect(f.nonFiniteResets).toBe(1);
    expect(seen).toEqual([2]);
    // Next chunk: channel 2 behaves like a fresh filter, the others keep their history.
    const next = xf.slice(200 * nch, 400 * nch);
    const y2 = f.process(next);
    const fresh = new SosFilter(sos, nch).process(next);
    for (let i = 0; i < 200; i++) {
      expect(y2[i * nch + 2]).toBe(fresh[i * nch + 2]);
      expect(Number.isFinite(y2[i * nch + 0])).toBe(true);
    }
    expect(y2[5 * nch + 0]).not.toBe(fresh[5 * nch + 0]);
  });

  it("'step' initial state removes the DC transient: a constant input passes through a low-pass unchanged", () => {
    const lp = butter(4, 10, 'lowpass', 250);
    const f = new SosFilter(lp, 2, { initialState: 'step' });
    const y = f.process(new Float64Array(200).fill(0).map((_, i) => (i % 2 ? -3 : 40)));
    for (let i = 0; i < 100; i++) {
      expect(y[2 * i]).toBeCloseTo(40, 9);
      expect(y[2 * i + 1]).toBeCloseTo(-3, 9);
    }
  });

  it('rejects malformed chunks and parameters with InputError', () => {
    const f = new SosFilter(sos, 3);
    expect(() => f.process(new Float32Array(10))).toThrow(InputError);
    expect(() => new SosFilter(new Float64Array(5), 2)).toThrow(/rows of 6/);
    expect(() => new SosFilter(sos, 0)).toThrow(/channel count/);
    expect(() => sosfilt(sos, new Float64Array(10), 3, 3)).toThrow(/expected 3×3/);
    expect(() => sosfiltfilt(sos, new Float64Array(20), 1, 20)).toThrow(/too short/);
  });
});

describe('WebAssembly SIMD and JS kernels agree bit for bit', () => {
  const r = rng(21);
  for (const nsec of [1, 2, 5, 9]) {
    for (const nch of [1, 2, 7]) {
      it(`${nsec} sections, ${nch} channels: sosfilt (channel-major) and SosFilter (frame-major, chunked), f64 and f32`, () => {
        const sos = concatSos(...Array.from({ length: nsec }, (_, i) => butter(2, 5 + 7 * i, i % 2 ? 'highpass' : 'lowpass', 250)));
        const ns = 5000 + nsec; // several 4096-sample blocks, odd tail
        const x = Float64Array.from({ length: nch * ns }, () => 100 * (r() - 0.5));
        for (const xx of [x, Float32Array.from(x)]) {
          const zi1 = Float64Array.from({ length: nch * nsec * 2 }, () => r() - 0.5);
          const zi2 = zi1.slice();
          const a = sosfilt(sos, xx, nch, ns, zi1, 'js');
          const b = sosfilt(sos, xx, nch, ns, zi2, 'wasm');
          expect(Array.from(b)).toEqual(Array.from(a));
          expect(Array.from(zi2)).toEqual(Array.from(zi1));
          const fj = new SosFilter(sos, nch, { backend: 'js', initialState: 'step' });
          const fw = new SosFilter(sos, nch, { backend: 'wasm', initialState: 'step' });
          expect(fw.backend).toBe('wasm');
          let o = 0;
          while (o < ns) {
            const n = Math.min(ns - o, Math.floor(r() * 700));
            const chunk = xx.subarray(o * nch, (o + n) * nch);
            expect(Array.from(fw.process(chunk))).toEqual(Array.from(fj.process(chunk)));
            o += n;
          }
          expect(Array.from(fw.getState())).toEqual(Array.from(fj.getState()));
        }
      });
    }
  }

  it('cascades beyond the unrolled/wasm limits (40 sections, generic loop) equal two shorter cascades run in turn', () => {
    const parts = Array.from({ length: 40 }, (_, i) => butter(2, 3 + i, i % 3 ? 'lowpass' : 'highpass', 250));
    const all = concatSos(...parts);
    const x = Float64Array.from({ length: 2 * 600 }, () => r() - 0.5);
    const y = sosfilt(all, x, 2, 600);
    const y2 = sosfilt(concatSos(...parts.slice(12)), sosfilt(concatSos(...parts.slice(0, 12)), x, 2, 600, undefined, 'wasm'), 2, 600, undefined, 'js');
    expect(Array.from(y)).toEqual(Array.from(y2));
  });

  it('wasm SosFilter: NaN reset per channel (odd channel count), mixed dtypes, setState round trip', () => {
    const sos = concatSos(butter(4, [1, 40], 'bandpass', 250), iirnotchSos(50, 30, 250));
    const nch = 3;
    const x = Float64Array.from({ length: nch * 400 }, () => r() - 0.5);
    x[10 * nch + 2] = Number.POSITIVE_INFINITY;
    const fw = new SosFilter(sos, nch, { backend: 'wasm' });
    const fj = new SosFilter(sos, nch, { backend: 'js' });
    fw.process(x.subarray(0, 200 * nch));
    fj.process(x.subarray(0, 200 * nch));
    expect(fw.nonFiniteResets).toBe(1);
    expect(fj.nonFiniteResets).toBe(1);
    const out64 = new Float64Array(200 * nch);
    const a = fw.process(Float32Array.from(x.subarray(200 * nch)), out64); // f32 in, f64 out: JS path with wasm state
    const b = fj.process(Float32Array.from(x.subarray(200 * nch)), new Float64Array(200 * nch));
    expect(Array.from(a)).toEqual(Array.from(b));
    const st = fj.getState();
    fw.setState(st);
    expect(Array.from(fw.getState())).toEqual(Array.from(st));
  });
});
