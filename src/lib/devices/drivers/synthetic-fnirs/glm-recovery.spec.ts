// GLM recovery on the synthetic fNIRS device: 8 minutes with 20 s task blocks (motion spikes on)
// through OD → Beer–Lambert → TDDR → short-channel regression → AR(1) GLM. The task regressor's t
// must be far above chance on every long channel (HbO > 20, HbR < −10) and near zero on the short ones
// (|t| < 5: their systemic very-low-frequency oscillations overlap the task band), the HbO effect must
// match the simulated 0.5 µM, and the short-channel regression must visibly help (OLS residual
// variance of HbO more than halved, AR(1) |t| up by 30 %). Breaking the response (responseUm 0) or
// the regression (coefficients forced to 0) makes these assertions fail; both were checked by hand.
import { describe, expect, it } from 'vitest';
import { beerLambert, channelMidpoints, designMatrix, fitGlm, frameTimes, glmContrast, opticalDensity, shortChannelRegression, tddr } from '../../../fnirs/index';
import { generateFnirs } from './testing';

const FS = 10;
const BLOCKS = Array.from({ length: 12 }, (_, k) => ({ onsetSeconds: 20 + 38 * k + 5 * (k % 2), durationSeconds: 20 }));

function analyse(seed: number) {
  const { g, T, C, raw, distances } = generateFnirs({ seed, sampleRateHz: FS, taskBlocks: BLOCKS, responseUm: 0.5, motionPerMinute: 0.5 }, 480);
  const hb = beerLambert(opticalDensity(raw, C, T), g.channels, T, distances);
  const clean = tddr(hb.data, C, T, FS);
  const midpoints = channelMidpoints(g.channels, g.probe.sourcePositionsM, g.probe.detectorPositionsM);
  const ssr = shortChannelRegression(clean, hb.labels.map((label) => ({ label })), T, distances, { midpointsM: midpoints });
  const X = designMatrix(frameTimes(T, FS), g.taskEvents('task'), { highPassHz: 0.01 });
  const withSsr = fitGlm(ssr.data, C, X, 'ar1');
  const without = fitGlm(clean, C, X, 'ar1');
  return {
    labels: hb.labels,
    isLong: g.isLong,
    withSsr,
    t: glmContrast(withSsr, { task: 1 }).t,
    tWithout: glmContrast(without, { task: 1 }).t,
    olsVariance: fitGlm(ssr.data, C, X, 'ols').residualVariance,
    olsVarianceWithout: fitGlm(clean, C, X, 'ols').residualVariance,
    task: X.columns.indexOf('task'),
  };
}

describe('GLM recovers the synthetic haemodynamic response', () => {
  for (const seed of [1, 2]) {
    it(`seed ${seed}: long channels respond (HbO t ≫ 0, HbR t ≪ 0), short channels do not, short-channel regression helps`, () => {
      const r = analyse(seed);
      const p = r.withSsr.columns.length;
      r.labels.forEach((label, c) => {
        const hbo = label.endsWith('hbo');
        if (r.isLong[c]) {
          if (hbo) {
            expect(r.t[c], label).toBeGreaterThan(20);
            const beta = r.withSsr.betas[c * p + r.task];
            expect(beta, `${label} β`).toBeGreaterThan(0.35e-6);
            expect(beta, `${label} β`).toBeLessThan(0.65e-6);
          } else expect(r.t[c], label).toBeLessThan(-10);
          // the systemic signal shared with the short channels is gone: less residual variance, stronger t
          expect(r.olsVariance[c], `${label} OLS residual variance`).toBeLessThan((hbo ? 0.5 : 0.8) * r.olsVarianceWithout[c]);
          expect(Math.abs(r.t[c]), `${label} |t| with vs without short-channel regression`).toBeGreaterThan(1.3 * Math.abs(r.tWithout[c]));
        } else {
          expect(Math.abs(r.t[c]), label).toBeLessThan(5);
        }
      });
    });
  }
});
