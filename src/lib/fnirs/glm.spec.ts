// HRF, design matrix, OLS / AR(1) GLM and block averages against shared/reference/fnirs_glm.json
// (Nilearn's arithmetic ported in make-glm-reference.py; statsmodels and MNE cross-checked there), on
// neuro_run01's haemoglobin in float64 and cast to float32 (f32 tolerances); plus the Student-t tail
// against SciPy, and mpmath where SciPy's logsf underflows (tests/fnirs/make-fnirs-peers.py).
import { describe, expect, it } from 'vitest';
import { fnirsPeers } from '../../../tests/fnirs/peers';
import { hasShared, referenceArray, referenceError, referenceJson } from '../../../tests/support/shared';
import { blockAverage, designMatrix, fitGlm, frameTimes, glmContrast, spmHrf, studentTLog10TwoSidedP, studentTTwoSidedP, type GlmEvent, type NoiseModel } from './index';

const ref = hasShared ? referenceJson('fnirs_glm') : null;

interface Tol {
  metric: 'nmax' | 'abs' | 'nmax_col' | 'exact';
  f64: number;
  f32: number;
}

/** The manifest's metric; nmax_col over `columns` columns, column index = the last axis (or the first with `columnMajor`). */
function error(actual: ArrayLike<number>, expected: ArrayLike<number>, metric: Tol['metric'], columns = 1, columnMajor = false): number {
  if (metric !== 'nmax_col') return referenceError(actual, expected, metric === 'exact' ? 'abs' : metric);
  const rows = expected.length / columns;
  let worst = 0;
  for (let j = 0; j < columns; j++) {
    const pick = (a: ArrayLike<number>) => Float64Array.from({ length: rows }, (_, i) => a[columnMajor ? j * rows + i : i * columns + j]);
    worst = Math.max(worst, referenceError(pick(actual), pick(expected), 'nmax'));
  }
  return worst;
}

describe.skipIf(!ref)('fNIRS GLM against fnirs_glm.json', () => {
  const input = ref?.input;
  const fs: number = input?.sfreq;
  const n: number = input?.n_times;
  const C: number = input?.ch_names.length;

  it('frame times and the SPM HRF (Nilearn spm_hrf, oversampling 50 and 1)', () => {
    const f = frameTimes(n, fs);
    expect(referenceError(f, referenceArray(input.frame_times), 'abs')).toBe(0);
    const tR = ref.hrf.t_r;
    const h50 = spmHrf(tR, 50);
    const os50 = ref.hrf.nilearn_os50;
    expect(h50.length).toBe(os50.N);
    expect(error(h50, referenceArray(os50.data), 'nmax')).toBeLessThan(os50.tol.f64);
    const os1 = ref.hrf.nilearn_os1;
    expect(error(spmHrf(tR, 1), os1.values, 'nmax')).toBeLessThan(os1.tol.f64);
  });

  const cases = (ref?.cases ?? []) as any[];
  for (const cs of cases) {
    const events: GlmEvent[] = cs.events.onset_s.map((onset: number, i: number) => ({
      condition: cs.events.condition[i],
      onsetSeconds: onset,
      durationSeconds: cs.events.duration_s[i],
      amplitude: cs.events.amplitude[i],
    }));
    const design = () => designMatrix(frameTimes(n, fs), events, { oversampling: 50, minOnsetSeconds: -24, highPassHz: 0.01 });

    it(`${cs.id}: design matrix (conditions, 7 cosines, constant)`, () => {
      const X = design();
      expect(X.columns).toEqual(cs.column_names);
      const full = referenceArray(cases[0].data);
      const expected = cs.data ? full : Float64Array.from(full).fill(0);
      if (!cs.data) {
        expected.set(referenceArray(cs.condition_columns));
        expected.set(full.subarray(2 * n), 2 * n);
      }
      expect(error(X.data, expected, 'nmax_col', X.columns.length, true)).toBeLessThan(cs.tol.f64);
    });

    for (const model of ['ols', 'ar1'] as NoiseModel[]) {
      for (const dtype of ['f64', 'f32'] as const) {
        it(`${cs.id}: ${model.toUpperCase()} betas, residual variance${model === 'ar1' ? ', rho' : ''} and the three t contrasts (${dtype} Hb)`, () => {
          const r = cs[model];
          const hb64 = referenceArray(input.hb);
          const hb = dtype === 'f64' ? hb64 : Float32Array.from(hb64);
          const fit = fitGlm(hb, C, design(), model);
          expect(fit.dof).toBe(r.dof);
          expect(fit.rank).toBe(r.rank);
          const tol = r.tol as Record<string, Tol>;
          const check = (name: string, actual: ArrayLike<number>, expected: unknown, columns: number) => {
            const e = error(actual, referenceArray(expected as number[]), tol[name].metric, columns);
            expect(e, `${name}: ${e}`).toBeLessThan(tol[name][dtype]);
          };
          check('betas', fit.betas, r.betas, fit.columns.length);
          check('resid_var', fit.residualVariance, r.resid_var, 1);
          if (model === 'ar1') check('rho', fit.rho, r.rho, 1);
          const cons = r.contrasts.map((k: { name: string; vector: number[] }) => glmContrast(fit, k.vector, k.name));
          const stack = (key: 'effect' | 'se' | 't' | 'p' | 'log10p') => Float64Array.from({ length: C * cons.length }, (_, i) => cons[i % cons.length][key][Math.floor(i / cons.length)]);
          check('effect', stack('effect'), r.effect, cons.length);
          check('se', stack('se'), r.se, cons.length);
          check('t', stack('t'), r.t, cons.length);
          check('p', stack('p'), r.p, cons.length);
          check('log10_p', stack('log10p'), r.log10_p, cons.length);
        });
      }
    }
  }

  for (const dtype of ['f64', 'f32'] as const) {
    it(`block averages: epochs, mean and SEM per condition (${dtype} Hb)`, () => {
      const b = ref.block_average;
      const hb64 = referenceArray(input.hb);
      const events = b.event_onset_s.map((onset: number, i: number) => ({ condition: b.event_condition[i], onsetSeconds: onset }));
      const avg = blockAverage(dtype === 'f64' ? hb64 : Float32Array.from(hb64), C, n, fs, events, { tminSeconds: -5, tmaxSeconds: 25, baseline: [null, 0] });
      expect(avg.eventSamples).toEqual(b.event_samples);
      expect(avg.conditions).toEqual(b.conditions);
      expect(avg.counts).toEqual(b.n_events);
      expect(avg.skipped).toEqual([]);
      expect(referenceError(avg.timesSeconds, b.times_s, 'abs')).toBeLessThan(1e-12);
      for (const [key, got] of [['epochs', avg.epochs], ['mean', avg.mean], ['sem', avg.sem]] as const) {
        expect(referenceError(got, referenceArray(b[key]), 'nmax'), key).toBeLessThan(b.tol[key][dtype]);
      }
    });
  }
});

describe('Student-t tail against SciPy / mpmath (tests/fnirs/peers.json)', () => {
  const peers = fnirsPeers;
  it('two-sided p (abs 1e-10, worst at dof 1e6) and log10 p (rel 1e-10) over t ∈ [0, 200], dof ∈ [1, 1e6], including where p underflows', () => {
    const s = peers.student_t;
    s.t.forEach((t: number, i: number) => {
      const dof = s.dof[i];
      const lp = studentTLog10TwoSidedP(t, dof);
      expect(Math.abs(lp - s.log10_p[i]), `t ${t}, dof ${dof}`).toBeLessThan(1e-10 * Math.max(1, Math.abs(s.log10_p[i])));
      expect(Math.abs(studentTTwoSidedP(t, dof) - s.p[i]), `t ${t}, dof ${dof}`).toBeLessThan(1e-10);
    });
  });
});
