// Forecaster: plain least squares on the documented design equals numpy.linalg.lstsq (fixtures/
// anomaly.json forecast_lstsq) in-sample and on the future; noise-free additive and multiplicative
// series are recovered; Prophet's 'auto' seasonality rules and defaults; changepoints follow a
// trend break; the interval is the normal quantile of the width; bad input is refused.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chooseSeasonalities, dsToDays, Forecaster, normalQuantile } from './forecast';

const fx = JSON.parse(readFileSync(new URL('./fixtures/anomaly.json', import.meta.url), 'utf8')).forecast_lstsq;
const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return m / s;
};

describe('forecaster (Prophet-like least squares)', () => {
  it('no changepoints, no seasonality prior: numpy lstsq in-sample and 48 h ahead', () => {
    const f = Forecaster.fit(Float64Array.from(fx.t_days), Float64Array.from(fx.y), { nChangepoints: 0, dailySeasonality: 4, weeklySeasonality: 3, yearlySeasonality: false, seasonalityPriorScale: Infinity });
    expect(f.state.seasonalities.map((s) => [s.name, s.fourierOrder])).toEqual([['weekly', 3], ['daily', 4]]);
    expect(maxRel(f.predict(fx.t_days).yhat, fx.yhat)).toBeLessThan(1e-10);
    expect(maxRel(f.predict(fx.future_t_days).yhat, fx.future_yhat)).toBeLessThan(1e-10);
    expect(f.state.sigma).toBeCloseTo(fx.residual_std, 9);
    // 80 % interval = ± 1.2816 σ.
    const p = f.predict([fx.future_t_days[0]]);
    expect((p.upper[0] - p.yhat[0]) / f.state.sigma).toBeCloseTo(1.2815515655, 8);
  });

  it('auto seasonalities follow Prophet: daily and weekly for 3 weeks of hourly data, not yearly', () => {
    const t = Float64Array.from(fx.t_days);
    expect(chooseSeasonalities(t, {}).map((s) => [s.name, s.periodDays, s.fourierOrder])).toEqual([['weekly', 7, 3], ['daily', 1, 4]]);
    const daily = Float64Array.from({ length: 800 }, (_, i) => 18000 + i);
    expect(chooseSeasonalities(daily, {}).map((s) => s.name)).toEqual(['yearly', 'weekly']);
    expect(chooseSeasonalities(daily, { yearlySeasonality: false, dailySeasonality: true }).map((s) => s.name)).toEqual(['weekly', 'daily']);
  });

  it('recovers a noise-free multiplicative series exactly, and forecasts it', () => {
    const t = Float64Array.from({ length: 24 * 28 }, (_, i) => 19000 + i / 24);
    const truth = (d: number) => (50 + 2 * (d - 19000)) * (1 + 0.3 * Math.sin(2 * Math.PI * d) + 0.1 * Math.cos(2 * Math.PI * d / 7));
    const f = Forecaster.fit(t, t.map(truth), { seasonalityMode: 'multiplicative', nChangepoints: 0, yearlySeasonality: false, seasonalityPriorScale: Infinity });
    const future = Array.from({ length: 72 }, (_, i) => 19028 + i / 24);
    expect(maxRel(f.predict(future).yhat, future.map(truth))).toBeLessThan(1e-8);
    const add = Forecaster.fit(t, t.map(truth), { seasonalityMode: 'additive', nChangepoints: 0, yearlySeasonality: false });
    // An additive model cannot follow seasonality that grows with the trend.
    expect(maxRel(add.predict(future).yhat, future.map(truth))).toBeGreaterThan(1e-3);
  });

  it('changepoints bend the trend at a break (default 25, regularised)', () => {
    const t = Float64Array.from({ length: 200 }, (_, i) => 19000 + i);
    const y = t.map((d) => (d < 19100 ? d - 19000 : 100 - 0.5 * (d - 19100)) + 0.1 * Math.sin(d * 12.9898));
    const bent = Forecaster.fit(t, y, { yearlySeasonality: false, weeklySeasonality: false });
    const straight = Forecaster.fit(t, y, { nChangepoints: 0, yearlySeasonality: false, weeklySeasonality: false });
    expect(bent.state.changepoints).toHaveLength(25);
    expect(bent.state.sigma).toBeLessThan(2);
    expect(straight.state.sigma).toBeGreaterThan(10);
    // The last slope continues: 10 days ahead ≈ 100 − 0.5·109.
    expect(bent.predict([19209]).yhat[0]).toBeCloseTo(100 - 0.5 * 109, 0);
  });

  it('ds values: epoch milliseconds and date strings', () => {
    expect(dsToDays(86_400_000 * 3, 'ds')).toBe(3);
    expect(dsToDays('1970-01-02', 'ds')).toBe(1);
    expect(dsToDays('1970-01-02 12:00:00', 'ds')).toBe(1.5);
    expect(() => dsToDays('tuesday', 'data.ds')).toThrow(/data\.ds: "tuesday" is not a date/);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 8);
  });

  it('refuses NaN, unsorted times, bad modes', () => {
    const t = Float64Array.of(1, 2, 3, 4);
    expect(() => Forecaster.fit(t, Float64Array.of(1, NaN, 3, 4))).toThrow(/row 1/);
    expect(() => Forecaster.fit(Float64Array.of(1, 3, 2, 4), Float64Array.of(1, 2, 3, 4))).toThrow(/increase strictly/);
    expect(() => Forecaster.fit(t, Float64Array.of(1, 2, 3, 4), { seasonalityMode: 'log' as never })).toThrow(/seasonality_mode/);
    expect(() => Forecaster.fit(t, Float64Array.of(1, 2, 3, 4), { dailySeasonality: 'sometimes' as never })).toThrow(/daily_seasonality/);
  });
});
