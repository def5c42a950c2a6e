// A Prophet-like forecaster fitted by (ridge) least squares, for the time_series experiment: piecewise
// linear trend with changepoints + Fourier seasonalities (yearly / weekly / daily / custom), additive
// y = g(t) + s(t) or multiplicative y = g(t)·(1 + s(t)) (alternating least squares). Conventions
// follow Prophet: time in days since 1970, trend time scaled to [0, 1] over the history, y scaled by
// max|y|, changepoints evenly over the first 80 % of the history, Fourier columns sin, cos per order,
// the 'auto' seasonality rules and default orders (10 / 3 / 4). Differences: Prophet's Laplace prior
// on changepoint deltas and its MCMC/MAP fit become a Gaussian prior (ridge, λ = σ²/τ²), and the
// interval is the residual σ only (no trend-uncertainty simulation). Runs anywhere; fit allocates.
import { InputError } from '../core/errors';
import { dense, solveSymmetric } from './linalg';

export type SeasonalityToggle = boolean | 'auto' | number;

export interface SeasonalitySpec {
  name: string;
  periodDays: number;
  fourierOrder: number;
}

export interface ForecastOptions {
  seasonalityMode?: 'additive' | 'multiplicative';
  yearlySeasonality?: SeasonalityToggle;
  weeklySeasonality?: SeasonalityToggle;
  dailySeasonality?: SeasonalityToggle;
  /** Extra seasonalities (Prophet's add_seasonality). */
  seasonalities?: SeasonalitySpec[];
  /** Default 25 (fewer when the history is short). */
  nChangepoints?: number;
  /** Share of the history holding changepoints (default 0.8). */
  changepointRange?: number;
  /** τ of the changepoint prior (default 0.05); larger = more flexible trend. */
  changepointPriorScale?: number;
  /** σ of the seasonality prior (default 10); Infinity = plain least squares. */
  seasonalityPriorScale?: number;
  /** Width of the prediction interval (default 0.8, as Prophet). */
  intervalWidth?: number;
}

export interface ForecastState {
  kind: 'forecast';
  version: 1;
  mode: 'additive' | 'multiplicative';
  t0Days: number;
  spanDays: number;
  yScale: number;
  /** Changepoints on the scaled time axis. */
  changepoints: number[];
  seasonalities: SeasonalitySpec[];
  /** [m, k, δ…] on the scaled y. */
  trendCoef: number[];
  /** Fourier coefficients per seasonality (sin₁, cos₁, sin₂, …), on the scaled y (additive) or relative (multiplicative). */
  seasonalCoef: number[][];
  /** Residual standard deviation of the fit, in y units. */
  sigma: number;
  intervalWidth: number;
  trainedRows: number;
}

export interface ForecastResult {
  yhat: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  trend: Float64Array;
  /** Per seasonality: additive in y units; multiplicative as a relative effect. */
  components: Record<string, Float64Array>;
}

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a ds value: epoch milliseconds (pandas to_json default) or a date string. */
export function dsToDays(v: unknown, where: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v / DAY_MS;
  if (typeof v === 'string' && v.trim() !== '') {
    // pandas-style "2024-01-01 12:00:00" → ISO; no zone = UTC (as Prophet: naive datetimes).
    const s = v.trim().replace(' ', 'T');
    const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) || !s.includes('T') ? s : `${s}Z`);
    if (Number.isFinite(ms)) return ms / DAY_MS;
  }
  throw new InputError(`${JSON.stringify(v)} is not a date (epoch milliseconds or a date string)`, where);
}

/** Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new InputError(`probability must be in (0, 1), got ${p}`, 'normalQuantile');
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Prophet's seasonality choice: 'auto' rules on the history span and spacing, true = default order. */
export function chooseSeasonalities(tDays: ArrayLike<number>, o: ForecastOptions): SeasonalitySpec[] {
  const n = tDays.length;
  const span = tDays[n - 1] - tDays[0];
  let minStep = Infinity;
  for (let i = 1; i < n; i++) minStep = Math.min(minStep, tDays[i] - tDays[i - 1]);
  const pick = (name: string, toggle: SeasonalityToggle | undefined, periodDays: number, defaultOrder: number, autoOn: boolean): SeasonalitySpec | null => {
    const t = toggle ?? 'auto';
    if (t === false) return null;
    if (t === 'auto') return autoOn ? { name, periodDays, fourierOrder: defaultOrder } : null;
    if (t === true) return { name, periodDays, fourierOrder: defaultOrder };
    if (Number.isInteger(t) && t >= 1) return { name, periodDays, fourierOrder: t };
    throw new InputError(`must be true, false, "auto" or a positive Fourier order; got ${JSON.stringify(t)}`, `${name}_seasonality`);
  };
  const out = [
    pick('yearly', o.yearlySeasonality, 365.25, 10, span >= 730),
    pick('weekly', o.weeklySeasonality, 7, 3, span >= 14 && minStep < 7),
    pick('daily', o.dailySeasonality, 1, 4, span >= 2 && minStep < 1),
  ].filter((s): s is SeasonalitySpec => s !== null);
  for (const s of o.seasonalities ?? []) {
    if (!(s.periodDays > 0) || !(Number.isInteger(s.fourierOrder) && s.fourierOrder >= 1)) throw new InputError(`seasonality "${s.name}" needs period_days > 0 and a positive fourier_order`, 'seasonalities');
    out.push(s);
  }
  return out;
}

function fourierRow(tDay: number, s: SeasonalitySpec, out: Float64Array, o: number): void {
  for (let i = 0; i < s.fourierOrder; i++) {
    const x = (2 * (i + 1) * Math.PI * tDay) / s.periodDays;
    out[o + 2 * i] = Math.sin(x);
    out[o + 2 * i + 1] = Math.cos(x);
  }
}

/** Ridge least squares: argmin ‖y − Xβ‖² + Σ λⱼ βⱼ². */
function ridge(x: Float64Array, rows: number, cols: number, y: Float64Array, lambda: Float64Array): Float64Array {
  const a = dense(cols, cols);
  const b = dense(cols, 1);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let i = 0; i < cols; i++) {
      const xi = x[o + i];
      if (xi === 0) continue;
      b.data[i] += xi * y[r];
      for (let j = i; j < cols; j++) a.data[i * cols + j] += xi * x[o + j];
    }
  }
  for (let i = 0; i < cols; i++) {
    a.data[i * cols + i] += lambda[i];
    for (let j = 0; j < i; j++) a.data[i * cols + j] = a.data[j * cols + i];
  }
  return solveSymmetric(a, b).data;
}

export class Forecaster {
  readonly state: ForecastState;

  constructor(state: ForecastState) {
    if (state?.kind !== 'forecast' || state.version !== 1) throw new InputError('not a forecast state', 'forecast');
    this.state = state;
  }

  static fromJSON(state: ForecastState): Forecaster {
    return new Forecaster(state);
  }

  toJSON(): ForecastState {
    return this.state;
  }

  /** Fits on `tDays` (days since 1970, increasing) and `y`. */
  static fit(tDays: Float64Array, y: Float64Array, o: ForecastOptions = {}): Forecaster {
    const n = tDays.length;
    if (n !== y.length) throw new InputError(`${n} times but ${y.length} values`, 'forecast');
    if (n < 3) throw new InputError(`needs at least 3 observations, got ${n}`, 'forecast');
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(y[i]) || !Number.isFinite(tDays[i])) throw new InputError(`row ${i} has a NaN or infinite value`, 'forecast');
      if (i > 0 && !(tDays[i] > tDays[i - 1])) throw new InputError(`ds must increase strictly (row ${i})`, 'forecast');
    }
    const mode = o.seasonalityMode ?? 'additive';
    if (mode !== 'additive' && mode !== 'multiplicative') throw new InputError(`seasonality_mode must be "additive" or "multiplicative"; got ${JSON.stringify(mode)}`, 'forecast');
    const t0 = tDays[0];
    const span = tDays[n - 1] - t0;
    let yScale = 0;
    for (const v of y) yScale = Math.max(yScale, Math.abs(v));
    if (yScale === 0) yScale = 1;
    const ys = Float64Array.from(y, (v) => v / yScale);
    const ts = Float64Array.from(tDays, (t) => (t - t0) / span);
    // Changepoints: Prophet's linspace over the first changepointRange of the rows, first one dropped.
    const range = o.changepointRange ?? 0.8;
    if (!(range > 0 && range <= 1)) throw new InputError(`changepoint_range must be in (0, 1]; got ${range}`, 'forecast');
    const hist = Math.floor(n * range);
    const nCp = Math.max(0, Math.min(o.nChangepoints ?? 25, hist - 1));
    const changepoints: number[] = [];
    for (let j = 1; j <= nCp; j++) changepoints.push(ts[Math.round((j * (hist - 1)) / nCp)]);
    const seasonalities = chooseSeasonalities(tDays, o);
    const tauCp = o.changepointPriorScale ?? 0.05;
    const tauS = o.seasonalityPriorScale ?? 10;
    if (!(tauCp > 0) || !(tauS > 0)) throw new InputError('prior scales must be positive', 'forecast');
    const nT = 2 + nCp;
    const nS = seasonalities.reduce((a, s) => a + 2 * s.fourierOrder, 0);
    const T = new Float64Array(n * nT);
    const S = new Float64Array(n * nS);
    for (let r = 0; r < n; r++) {
      T[r * nT] = 1;
      T[r * nT + 1] = ts[r];
      for (let j = 0; j < nCp; j++) T[r * nT + 2 + j] = Math.max(0, ts[r] - changepoints[j]);
      let o2 = r * nS;
      for (const s of seasonalities) {
        fourierRow(tDays[r], s, S, o2);
        o2 += 2 * s.fourierOrder;
      }
    }
    // σ² of a first plain fit (linear trend + seasonality) sets the ridge strengths λ = σ²/τ²; σ² is
    // then re-estimated from each fit's residuals until it settles (a joint MAP estimate of σ).
    let sigma2 = residualVariance(n, ys, T, nT, S, nS, 2);
    let fit = fitOnce(mode, n, ys, T, nT, S, nS, sigma2 / (tauCp * tauCp), Number.isFinite(tauS) ? sigma2 / (tauS * tauS) : 0);
    for (let it = 0; it < 20 && nCp > 0; it++) {
      const next = Math.max(fit.mse, 1e-12);
      if (Math.abs(next - sigma2) <= 1e-3 * sigma2) break;
      sigma2 = next;
      fit = fitOnce(mode, n, ys, T, nT, S, nS, sigma2 / (tauCp * tauCp), Number.isFinite(tauS) ? sigma2 / (tauS * tauS) : 0);
    }
    const { trendCoef, seasCoef } = fit;
    const seasonalCoef: number[][] = [];
    let off = 0;
    for (const s of seasonalities) {
      seasonalCoef.push(Array.from(seasCoef.subarray(off, off + 2 * s.fourierOrder)));
      off += 2 * s.fourierOrder;
    }
    const f = new Forecaster({
      kind: 'forecast',
      version: 1,
      mode,
      t0Days: t0,
      spanDays: span,
      yScale,
      changepoints,
      seasonalities,
      trendCoef: Array.from(trendCoef),
      seasonalCoef,
      sigma: 0,
      intervalWidth: o.intervalWidth ?? 0.8,
      trainedRows: n,
    });
    if (!(f.state.intervalWidth > 0 && f.state.intervalWidth < 1)) throw new InputError('interval_width must be in (0, 1)', 'forecast');
    const inSample = f.predict(tDays).yhat;
    let sse = 0;
    for (let i = 0; i < n; i++) sse += (y[i] - inSample[i]) ** 2;
    f.state.sigma = Math.sqrt(sse / n);
    return f;
  }

  /** Forecast at `tDays` (history or future). */
  predict(tDays: ArrayLike<number>): ForecastResult {
    const { t0Days, spanDays, yScale, changepoints, seasonalities, trendCoef, seasonalCoef, mode, sigma, intervalWidth } = this.state;
    const n = tDays.length;
    const z = normalQuantile(0.5 + intervalWidth / 2);
    const out: ForecastResult = { yhat: new Float64Array(n), lower: new Float64Array(n), upper: new Float64Array(n), trend: new Float64Array(n), components: {} };
    for (const s of seasonalities) out.components[s.name] = new Float64Array(n);
    const maxOrder = Math.max(0, ...seasonalities.map((s) => s.fourierOrder));
    const row = new Float64Array(2 * maxOrder);
    for (let i = 0; i < n; i++) {
      const ts = (tDays[i] - t0Days) / spanDays;
      let g = trendCoef[0] + trendCoef[1] * ts;
      for (let j = 0; j < changepoints.length; j++) g += trendCoef[2 + j] * Math.max(0, ts - changepoints[j]);
      let s = 0;
      seasonalities.forEach((sp, k) => {
        fourierRow(tDays[i], sp, row, 0);
        const v = dot(row, 0, seasonalCoef[k], 2 * sp.fourierOrder);
        out.components[sp.name][i] = mode === 'additive' ? v * yScale : v;
        s += v;
      });
      const yhat = (mode === 'additive' ? g + s : g * (1 + s)) * yScale;
      out.trend[i] = g * yScale;
      out.yhat[i] = yhat;
      out.lower[i] = yhat - z * sigma;
      out.upper[i] = yhat + z * sigma;
    }
    return out;
  }
}

function dot(a: ArrayLike<number>, o: number, b: ArrayLike<number>, n: number): number {
  let s = 0;
  for (let j = 0; j < n; j++) s += a[o + j] * b[j];
  return s;
}

/** One ridge fit of the trend and seasonal coefficients (alternating least squares when multiplicative). */
function fitOnce(
  mode: 'additive' | 'multiplicative',
  n: number,
  ys: Float64Array,
  T: Float64Array,
  nT: number,
  S: Float64Array,
  nS: number,
  lamCp: number,
  lamS: number,
): { trendCoef: Float64Array; seasCoef: Float64Array; mse: number } {
  let trendCoef: Float64Array;
  let seasCoef: Float64Array;
  let sse = 0;
  if (mode === 'additive') {
    const cols = nT + nS;
    const X = new Float64Array(n * cols);
    for (let r = 0; r < n; r++) {
      X.set(T.subarray(r * nT, (r + 1) * nT), r * cols);
      X.set(S.subarray(r * nS, (r + 1) * nS), r * cols + nT);
    }
    const lam = new Float64Array(cols);
    lam.fill(lamCp, 2, nT);
    lam.fill(lamS, nT);
    const beta = ridge(X, n, cols, ys, lam);
    trendCoef = beta.slice(0, nT);
    seasCoef = beta.slice(nT);
    for (let r = 0; r < n; r++) sse += (ys[r] - dot(X, r * cols, beta, cols)) ** 2;
    return { trendCoef, seasCoef, mse: sse / n };
  }
  // y = g·(1 + s): alternate the two linear problems until the fit stops moving.
  const lamT = new Float64Array(nT).fill(lamCp, 2);
  const lamSeas = new Float64Array(nS).fill(lamS);
  trendCoef = ridge(T, n, nT, ys, lamT);
  seasCoef = new Float64Array(nS);
  const s = new Float64Array(n);
  const Xs = new Float64Array(n * nS);
  const Xt = new Float64Array(n * nT);
  const r = new Float64Array(n);
  let prev = Infinity;
  for (let i = 0; i < n; i++) sse += (ys[i] - dot(T, i * nT, trendCoef, nT)) ** 2;
  for (let it = 0; it < 200 && nS > 0; it++) {
    for (let i = 0; i < n; i++) {
      const g = dot(T, i * nT, trendCoef, nT);
      for (let j = 0; j < nS; j++) Xs[i * nS + j] = g * S[i * nS + j];
      r[i] = ys[i] - g;
    }
    seasCoef = ridge(Xs, n, nS, r, lamSeas);
    for (let i = 0; i < n; i++) {
      s[i] = dot(S, i * nS, seasCoef, nS);
      for (let j = 0; j < nT; j++) Xt[i * nT + j] = T[i * nT + j] * (1 + s[i]);
    }
    trendCoef = ridge(Xt, n, nT, ys, lamT);
    sse = 0;
    for (let i = 0; i < n; i++) sse += (ys[i] - dot(T, i * nT, trendCoef, nT) * (1 + s[i])) ** 2;
    if (Math.abs(prev - sse) <= 1e-10 * sse + 1e-18) break;
    prev = sse;
  }
  return { trendCoef, seasCoef, mse: sse / n };
}

/** Mean squared residual of plain least squares on the first `keepT` trend columns plus all seasonal columns. */
function residualVariance(n: number, y: Float64Array, T: Float64Array, nT: number, S: Float64Array, nS: number, keepT: number): number {
  const cols = keepT + nS;
  const X = new Float64Array(n * cols);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < keepT; j++) X[r * cols + j] = T[r * nT + j];
    X.set(S.subarray(r * nS, (r + 1) * nS), r * cols + keepT);
  }
  const beta = ridge(X, n, cols, y, new Float64Array(cols));
  let sse = 0;
  for (let r = 0; r < n; r++) sse += (y[r] - dot(X, r * cols, beta, cols)) ** 2;
  // A perfect fit still gets a tiny positive σ² so the ridge keeps the changepoint system well posed.
  return Math.max(sse / n, 1e-12);
}
