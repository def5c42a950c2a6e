// ASR against an independent NumPy re-statement of clean_rawdata 2.11 (tests/ml/make-asr-reference.py,
// Debian's python3-scipy) on 24 channels of S001R04 with injected bursts; MATLAB's own yulewalk output
// (clean_rawdata's precomputed table) for the shaping filter; chunk invariance; what ASR is for.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasShared, referenceError, sharedBytes } from '../../../tests/support/shared';
import { readEdf } from '../formats/edf';
import { asrCalibrate, asrShapingFilter, AsrProcessor, cleanWindows, fitEegDistribution, geometricMedian } from './asr';

const ref = JSON.parse(readFileSync(new URL('../../../tests/ml/asr-reference.json', import.meta.url), 'utf8'));
const blob = (() => {
  const b = readFileSync(new URL('../../../tests/ml/asr-reference.f64', import.meta.url));
  const c = new Uint8Array(b.byteLength);
  c.set(b);
  return new Float64Array(c.buffer);
})();
const arr = (name: string) => {
  const { offset, shape } = ref[name];
  return blob.subarray(offset, offset + shape.reduce((a: number, b: number) => a * b, 1));
};

describe('shaping filter', () => {
  it.each(Object.keys(ref.matlabYulewalk))("%s Hz: MATLAB's yulewalk coefficients (clean_rawdata's table)", (fs) => {
    const f = asrShapingFilter(Number(fs));
    expect(referenceError(f.b, ref.matlabYulewalk[fs].b, 'abs')).toBeLessThan(1e-9);
    expect(referenceError(f.a, ref.matlabYulewalk[fs].a, 'abs')).toBeLessThan(1e-9);
  });
  it('160 Hz: the NumPy re-statement', () => {
    const f = asrShapingFilter(160);
    expect(referenceError(f.b, ref.filter.b, 'abs')).toBeLessThan(1e-10);
    expect(referenceError(f.a, ref.filter.a, 'abs')).toBeLessThan(1e-10);
  });
});

describe('robust statistics', () => {
  it('geometric median of points on a line with an outlier stays with the bulk', () => {
    const x = Float64Array.from([0, 0, 1, 0, 2, 0, 3, 0, 1000, 1000]);
    const y = geometricMedian(x, 5, 2, undefined, 1e-12, 10000);
    expect(y[0]).toBeGreaterThan(1.5);
    expect(y[0]).toBeLessThan(2.5);
    expect(Math.abs(y[1])).toBeLessThan(1e-3);
  });
  it('fitEegDistribution: μ, σ, β of a formula-built sample with a heavy right tail, as the NumPy re-statement', () => {
    const f = ref.fitCase;
    const fit = fitEegDistribution(Array.from({ length: f.n }, (_, i) => 10 + 2 * Math.sin(1.3 * i) * Math.cos(0.7 * i * i) + (i % 7 === 0 ? 25 + (i % 13) : 0)));
    expect(Math.abs(fit.mu - f.mu)).toBeLessThan(1e-12 * f.mu);
    expect(Math.abs(fit.sigma - f.sigma)).toBeLessThan(1e-12 * f.sigma);
    expect(fit.beta).toBeCloseTo(f.beta, 12);
  });
});

describe.skipIf(!hasShared)('ASR on S001R04 (24 channels, injected bursts) vs the NumPy clean_rawdata re-statement', () => {
  const rec = hasShared ? readEdf(sharedBytes(ref.recording), 'S001R04.edf') : null;
  const C = ref.channels.length;
  const S = ref.samples;
  const fs = ref.sampleRateHz;
  const clean = new Float64Array(S * C);
  const input = new Float64Array(S * C);
  if (rec) {
    const s = rec.streams[0];
    const nc = s.descriptor.channels.length;
    const idx = (ref.channels as string[]).map((l) => s.descriptor.channels.findIndex((c) => c.label === l || c.label === l.replace(/\.+$/, '')));
    for (let t = 0; t < S; t++) for (let c = 0; c < C; c++) clean[t * C + c] = s.samples[t * nc + idx[c]];
    input.set(clean);
    for (const a of ref.artifacts) {
      for (let t = 0; t < S; t++) {
        const tt = t / fs - a.centreSeconds;
        const env = a.amplitudeUv * Math.exp(-0.5 * (tt / a.sdSeconds) ** 2);
        const wave = a.frequencyHz > 0 ? env * Math.cos(2 * Math.PI * a.frequencyHz * tt) : env;
        for (const c of a.channels) input[t * C + c] += wave * (1 + 0.1 * c);
      }
    }
  }
  const opts = ref.options;
  const calibrate = () => asrCalibrate(input.subarray(0, ref.calibrationSamples * C), C, { sampleRateHz: fs, cutoff: opts.cutoff, blockSize: opts.blockSize, windowSeconds: opts.windowSeconds });
  const run = (chunks: number[]): Float64Array => {
    const p = new AsrProcessor(calibrate(), { windowSeconds: opts.windowSeconds, stepSamples: opts.stepSamples, maxDims: opts.maxDims });
    const parts: Float64Array[] = [];
    let at = 0;
    let k = 0;
    while (at < S) {
      const n = Math.min(chunks[k++ % chunks.length], S - at);
      parts.push(p.process(input.subarray(at * C, (at + n) * C)));
      at += n;
    }
    parts.push(p.flush(input));
    const out = new Float64Array(S * C);
    let o = 0;
    for (const q of parts) {
      out.set(q, o);
      o += q.length;
    }
    expect(o).toBe(S * C);
    return out;
  };

  it('reads the same input as the generator', () => {
    expect(referenceError(Array.from({ length: C }, (_, c) => input[c]), ref.inputFirstFrame, 'abs')).toBe(0);
  });

  it('calibration: mixing matrix M and thresholds T (rows up to sign)', () => {
    const st = calibrate();
    expect(referenceError(st.mixing.flat(), arr('M'), 'nmax')).toBeLessThan(1e-9);
    const T = arr('T');
    const ours = st.threshold;
    let worst = 0;
    for (let r = 0; r < C; r++) {
      let dot = 0;
      for (let c = 0; c < C; c++) dot += ours[r][c] * T[r * C + c];
      const sign = dot < 0 ? -1 : 1;
      worst = Math.max(worst, referenceError(ours[r].map((v) => sign * v), T.subarray(r * C, (r + 1) * C), 'nmax'));
    }
    expect(worst).toBeLessThan(1e-8);
  });

  const whole = hasShared ? run([S]) : new Float64Array(0);

  it('processing in one chunk + flush equals clean_asr on the whole signal', () => {
    const exp = arr('output'); // [channel][every 4th sample]
    const every = ref.outputEvery;
    const n = exp.length / C;
    const got = new Float64Array(C * n);
    for (let c = 0; c < C; c++) for (let i = 0; i < n; i++) got[c * n + i] = whole[i * every * C + c];
    expect(referenceError(got, exp, 'nmax')).toBeLessThan(1e-11);
  });

  it.each([[[1]], [[7, 300, 1, 64]], [[32]], [[1000, 3]]])('chunks %j give the same output bit for bit', (chunks) => {
    const out = run(chunks as number[]);
    expect(referenceError(out, whole, 'abs')).toBe(0);
  });

  it('bursts shrink by a large factor; most clean samples pass unchanged', () => {
    for (const a of ref.artifacts) {
      const t0 = Math.round((a.centreSeconds - 2 * a.sdSeconds) * fs);
      const t1 = Math.round((a.centreSeconds + 2 * a.sdSeconds) * fs);
      let injected = 0;
      let residual = 0;
      for (let t = t0; t < t1; t++)
        for (const c of a.channels) {
          injected += (input[t * C + c] - clean[t * C + c]) ** 2;
          residual += (whole[t * C + c] - clean[t * C + c]) ** 2;
        }
      expect(Math.sqrt(injected / residual)).toBeGreaterThan(4);
    }
    // the first 10 s of the calibration recording hold no artifact: unchanged to the last bit
    let changed = 0;
    for (let i = 0; i < 10 * fs * C; i++) if (whole[i] !== input[i]) changed++;
    expect(changed).toBe(0);
  });

  it('float32 chunks come back as float32; a second stream after reset() is the same', () => {
    const st = calibrate();
    const p = new AsrProcessor(st, { windowSeconds: opts.windowSeconds, stepSamples: opts.stepSamples, maxDims: opts.maxDims });
    const f32 = Float32Array.from(input.subarray(0, 2000 * C));
    const a = p.process(f32);
    expect(a).toBeInstanceOf(Float32Array);
    const a2 = p.flush(f32);
    p.reset();
    const b = p.process(f32);
    const b2 = p.flush(f32);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(b2)).toEqual(Array.from(a2));
    expect(() => p.process(f32)).toThrow(/flushed/);
    expect(JSON.parse(JSON.stringify(st))).toEqual(st);
  });

  it("clean_windows with NeuroPype's defaults removes the same windows (bursts on more than 20 % of the channels among them)", () => {
    const r = cleanWindows(input, C, { sampleRateHz: fs });
    expect(r.removedWindowStarts).toEqual(ref.cleanWindowsRemovedStarts);
    for (const a of ref.artifacts) if (a.channels.length > 0.2 * C) expect(r.mask[Math.round(a.centreSeconds * fs)]).toBe(0);
    expect(r.kept.length / C).toBe(r.mask.reduce((p, q) => p + q, 0));
  });

  it('too little calibration data is refused with what to give', () => {
    expect(() => asrCalibrate(input.subarray(0, 40 * C), C, { sampleRateHz: fs })).toThrow(/too few .* windows; give at least/);
  });
});
