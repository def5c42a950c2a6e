import { describe, expect, it } from 'vitest';
import { hasShared, referenceArray, referenceError, referenceJson, needsShared } from '../../../tests/support/shared';
import { InputError } from '../core/errors';
import { commonAverageReference, commonAverageReferenceFrames, detrend, epochLogVariance, epochsFromContinuous, epochVariance, zscore } from './stats';

const NCH = 8;
const NS = 2500;

describe('statistics vs MNE/SciPy/NumPy (reference/stats.json)', needsShared, () => {
  const man = hasShared ? referenceJson('stats') : { cases: [] };
  const x = hasShared ? referenceArray(man.inputs.x) : new Float64Array();
  const x32 = Float32Array.from(x);
  const caseOf = (id: string): any => man.cases.find((c: any) => c.id === id);

  it('car: channel-major and frame-major (in place), float64 and float32', () => {
    const c = caseOf('car');
    const exp = referenceArray(c.expected.y);
    expect(referenceError(commonAverageReference(x, NCH, NS), exp, 'nmax')).toBeLessThanOrEqual(c.tol.y.f64);
    expect(referenceError(commonAverageReference(x32, NCH, NS), exp, 'nmax')).toBeLessThanOrEqual(c.tol.y.f32);
    const frames = new Float64Array(NCH * NS);
    for (let ch = 0; ch < NCH; ch++) for (let n = 0; n < NS; n++) frames[n * NCH + ch] = x[ch * NS + n];
    commonAverageReferenceFrames(frames, NCH, frames);
    const back = new Float64Array(NCH * NS);
    for (let ch = 0; ch < NCH; ch++) for (let n = 0; n < NS; n++) back[ch * NS + n] = frames[n * NCH + ch];
    expect(referenceError(back, exp, 'nmax')).toBeLessThanOrEqual(c.tol.y.f64);
  });

  it('zscore (population std) in float64 and float32', () => {
    const c = caseOf('zscore');
    const exp = referenceArray(c.expected.y);
    expect(referenceError(zscore(x, NCH, NS), exp, 'nmax')).toBeLessThanOrEqual(c.tol.y.f64);
    expect(referenceError(zscore(x32, NCH, NS), exp, 'nmax')).toBeLessThanOrEqual(c.tol.y.f32);
  });

  it('epoch_variance: var and log-var with ddof 0 and 1, [epoch, channel]', () => {
    const c = caseOf('epoch_variance');
    const epochs = epochsFromContinuous(x, NCH, NS, 250);
    for (const ddof of [0, 1]) {
      expect(referenceError(epochVariance(epochs, 10, NCH, 250, ddof), referenceArray(c.expected[`var_ddof${ddof}`]), 'nmax')).toBeLessThanOrEqual(c.tol.var.f64);
      expect(referenceError(epochLogVariance(epochs, 10, NCH, 250, ddof), referenceArray(c.expected[`logvar_ddof${ddof}`]), 'abs')).toBeLessThanOrEqual(c.tol.logvar.f64);
      const e32 = Float32Array.from(epochs);
      expect(referenceError(epochLogVariance(e32, 10, NCH, 250, ddof), referenceArray(c.expected[`logvar_ddof${ddof}`]), 'abs')).toBeLessThanOrEqual(c.tol.logvar.f32);
    }
  });
});

describe('detrend', () => {
  it('removes a line exactly and a constant by the mean, as scipy.signal.detrend', () => {
    const ns = 50;
    const x = Float64Array.from({ length: 2 * ns }, (_, i) => (i < ns ? 3 + 0.25 * i : -7 + 0.5 * ((i - ns) % 5)));
    const lin = detrend(x, 2, ns, 'linear');
    for (let i = 0; i < ns; i++) expect(Math.abs(lin[i])).toBeLessThan(1e-12);
    const con = detrend(x, 2, ns, 'constant');
    let s = 0;
    for (let i = ns; i < 2 * ns; i++) s += con[i];
    expect(Math.abs(s)).toBeLessThan(1e-12);
    expect(con[ns]).toBeCloseTo(-1, 12); // channel 2: values 0..2 (mean 1) on top of -7
  });

  it('rejects wrong shapes', () => {
    expect(() => zscore(new Float64Array(7), 2, 3)).toThrow(InputError);
    expect(() => epochVariance(new Float64Array(8), 2, 2, 2, 2)).toThrow(/ddof/);
  });
});
