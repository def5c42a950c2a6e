// `time_series` experiments (ExperimentHub's TimeSeriesExperiment, API.md §11.2): forecasting and
// anomaly flags on a univariate or multivariate series. The upstream model is Prophet; here it is the
// in-browser Prophet-like forecaster of ../forecast.ts (piecewise-linear trend + Fourier seasonality,
// additive or multiplicative, ridge least squares), one per target column. Config as the seed shows:
// setup.target (column or list), setup.ds (time column: epoch ms or date strings), create_model
// {model_type: "Prophet", params: {seasonality_mode, yearly/weekly/daily_seasonality, n_changepoints,
// changepoint_range, changepoint_prior_scale, seasonality_prior_scale, interval_width, seasonalities,
// holdout}}. Runs in the training worker or Node; fit allocates.
import { InputError } from '../../core/errors';
import { dsToDays, Forecaster, type ForecastOptions, type ForecastState, type SeasonalitySpec, type SeasonalityToggle } from '../forecast';
import type { Table } from './dataframe';
import type { PlotlyFigure } from './run';
import { columnIndex, correlationFigure, hubSections, histogramFigure, isObj, numericColumn, numericColumnNames, param, seriesFigure, tableOf, type DataInput } from './tabular';

export interface TimeSeriesSpec {
  type: 'time_series';
  modelType: 'Prophet';
  target: string[];
  ds: string;
  options: ForecastOptions;
  /** Share of the most recent rows held out to score the forecast (default 0.2; 0 = none). */
  holdout: number;
}

export interface TimeSeriesModel {
  kind: 'neurotab.time-series-model';
  version: 1;
  modelType: 'Prophet';
  ds: string;
  target: string[];
  forecasters: ForecastState[];
  classNames: string[];
}

const MODEL_TYPES: Record<string, 'Prophet'> = { prophet: 'Prophet', additive_trend_seasonality: 'Prophet', trend_seasonality: 'Prophet' };

export function parseTimeSeriesSpec(doc: Record<string, unknown>, where = 'config'): TimeSeriesSpec {
  const { flat, modelType } = hubSections(doc);
  const mt = MODEL_TYPES[(modelType ?? 'Prophet').toLowerCase()];
  if (!mt) throw new InputError(`time_series supports model_type "Prophet" (trend + seasonality least squares); got ${JSON.stringify(modelType)}`, `${where}.create_model.model_type`);
  const target = param.strings(flat, 'target', where) ?? ['y'];
  const ds = param.string(flat, 'ds', where) ?? 'ds';
  const toggle = (k: string): SeasonalityToggle | undefined => {
    const v = flat[k];
    if (v === undefined || v === null) return undefined;
    if (v === true || v === false || v === 'auto' || (typeof v === 'number' && Number.isInteger(v) && v >= 1)) return v;
    throw new InputError('must be true, false, "auto" or a positive Fourier order', `${where}.${k}`);
  };
  const mode = flat.seasonality_mode ?? 'additive';
  if (mode !== 'additive' && mode !== 'multiplicative') throw new InputError(`must be "additive" or "multiplicative"; got ${JSON.stringify(mode)}`, `${where}.seasonality_mode`);
  let seasonalities: SeasonalitySpec[] | undefined;
  if (flat.seasonalities !== undefined) {
    if (!Array.isArray(flat.seasonalities)) throw new InputError('must be a list of {name, period, fourier_order}', `${where}.seasonalities`);
    seasonalities = flat.seasonalities.map((s, i) => {
      if (!isObj(s) || typeof s.name !== 'string' || typeof s.period !== 'number' || !(s.period > 0) || typeof s.fourier_order !== 'number' || !Number.isInteger(s.fourier_order) || s.fourier_order < 1) {
        throw new InputError('needs name, period (days) > 0 and a positive integer fourier_order', `${where}.seasonalities[${i}]`);
      }
      return { name: s.name, periodDays: s.period, fourierOrder: s.fourier_order };
    });
  }
  const pos = (v: number) => v > 0;
  const options: ForecastOptions = {
    seasonalityMode: mode,
    yearlySeasonality: toggle('yearly_seasonality'),
    weeklySeasonality: toggle('weekly_seasonality'),
    dailySeasonality: toggle('daily_seasonality'),
    seasonalities,
    nChangepoints: param.number(flat, 'n_changepoints', where, (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0'),
    changepointRange: param.number(flat, 'changepoint_range', where, (v) => v > 0 && v <= 1, 'in (0, 1]'),
    changepointPriorScale: param.number(flat, 'changepoint_prior_scale', where, pos, 'a positive number'),
    seasonalityPriorScale: param.number(flat, 'seasonality_prior_scale', where, pos, 'a positive number'),
    intervalWidth: param.number(flat, 'interval_width', where, (v) => v > 0 && v < 1, 'in (0, 1)'),
  };
  const holdout = param.number(flat, 'holdout', where, (v) => v >= 0 && v < 0.9, 'in [0, 0.9)') ?? 0.2;
  return { type: 'time_series', modelType: mt, target, ds, options, holdout };
}

/** Rows sorted by time: ds in days since 1970 and each target. */
function series(t: Table, spec: { ds: string; target: string[] }, where: string, needTarget = true): { days: Float64Array; ds: unknown[]; y: Float64Array[] | null } {
  const di = columnIndex(t, spec.ds, where);
  const order = t.rows.map((r, i) => ({ d: dsToDays(r[di], `${where}, row ${i}, column "${spec.ds}"`), i })).sort((a, b) => a.d - b.d);
  for (let k = 1; k < order.length; k++) if (order[k].d === order[k - 1].d) throw new InputError(`two rows have the same ${spec.ds} (rows ${order[k - 1].i} and ${order[k].i})`, where);
  const sorted: Table = { columns: t.columns, rows: order.map((o) => t.rows[o.i]) };
  const hasAll = spec.target.every((c) => t.columns.includes(c));
  if (needTarget && !hasAll) spec.target.forEach((c) => columnIndex(t, c, where));
  return {
    days: Float64Array.from(order, (o) => o.d),
    ds: sorted.rows.map((r) => r[di]),
    y: hasAll ? spec.target.map((c) => numericColumn(sorted, columnIndex(sorted, c, where), where)) : null,
  };
}

function errors(y: ArrayLike<number>, p: { yhat: Float64Array; lower: Float64Array; upper: Float64Array }, from = 0): { mae: number; rmse: number; mape: number; coverage: number } {
  let ae = 0;
  let se = 0;
  let pe = 0;
  let pn = 0;
  let cov = 0;
  const n = y.length - from;
  for (let i = from; i < y.length; i++) {
    const e = y[i] - p.yhat[i - from];
    ae += Math.abs(e);
    se += e * e;
    if (y[i] !== 0) {
      pe += Math.abs(e / y[i]);
      pn++;
    }
    if (y[i] >= p.lower[i - from] && y[i] <= p.upper[i - from]) cov++;
  }
  return { mae: ae / n, rmse: Math.sqrt(se / n), mape: pn ? pe / pn : NaN, coverage: cov / n };
}

export function trainTimeSeries(spec: TimeSeriesSpec, input: DataInput) {
  const where = input.table ? 'queue data' : 'data.recordings';
  const t = tableOf(input, where);
  const s = series(t, spec, where);
  const y = s.y!;
  const n = s.days.length;
  const scores: Record<string, number> = {};
  const prefix = (c: string) => (spec.target.length > 1 ? `${c}_` : '');
  const forecasters: ForecastState[] = [];
  const forecastFig: PlotlyFigure = { data: [], layout: { title: { text: `Forecast (${spec.modelType}-like trend + seasonality)` }, xaxis: { title: { text: spec.ds } } } };
  const componentsFig: PlotlyFigure = { data: [], layout: { title: { text: 'Components' }, xaxis: { title: { text: spec.ds } } } };
  const fitted: Record<string, number[]> = {};
  spec.target.forEach((col, k) => {
    const nHold = Math.floor(n * spec.holdout);
    if (nHold > 0 && n - nHold >= 3) {
      const f = Forecaster.fit(s.days.subarray(0, n - nHold), y[k].subarray(0, n - nHold), spec.options);
      const e = errors(y[k], f.predict(s.days.subarray(n - nHold)), n - nHold);
      for (const [m, v] of Object.entries(e)) scores[`${prefix(col)}holdout_${m}`] = v;
    }
    const f = Forecaster.fit(s.days, y[k], spec.options);
    forecasters.push(f.state);
    const p = f.predict(s.days);
    for (const [m, v] of Object.entries(errors(y[k], p))) scores[`${prefix(col)}${m}`] = v;
    fitted[`${prefix(col)}yhat`] = Array.from(p.yhat);
    forecastFig.data.push(
      { type: 'scatter', mode: 'markers', name: `${col} observed`, x: s.ds, y: Array.from(y[k]), marker: { size: 3 } },
      { type: 'scatter', mode: 'lines', name: `${col} upper`, x: s.ds, y: Array.from(p.upper), line: { width: 0 }, showlegend: false },
      { type: 'scatter', mode: 'lines', name: `${col} interval`, x: s.ds, y: Array.from(p.lower), fill: 'tonexty', line: { width: 0 } },
      { type: 'scatter', mode: 'lines', name: `${col} forecast`, x: s.ds, y: Array.from(p.yhat) },
    );
    componentsFig.data.push({ type: 'scatter', mode: 'lines', name: `${col} trend`, x: s.ds, y: Array.from(p.trend) });
    for (const [name, v] of Object.entries(p.components)) componentsFig.data.push({ type: 'scatter', mode: 'lines', name: `${col} ${name}${f.state.mode === 'multiplicative' ? ' (relative)' : ''}`, x: s.ds, y: Array.from(v), yaxis: 'y2' });
  });
  componentsFig.layout.yaxis2 = { title: { text: 'seasonal effect' }, overlaying: 'y', side: 'right' };
  const numeric = numericColumnNames(t, [spec.ds]).map((c) => ({ name: c, values: numericColumn(t, t.columns.indexOf(c), where) }));
  const targetCols = spec.target.map((c, k) => ({ name: c, values: y[k] }));
  const model: TimeSeriesModel = { kind: 'neurotab.time-series-model', version: 1, modelType: spec.modelType, ds: spec.ds, target: spec.target, forecasters, classNames: [] };
  return {
    model,
    scores,
    figures: { forecast: forecastFig, components: componentsFig },
    edaFigures: {
      series: seriesFigure(s.ds, targetCols, 'Series'),
      histogram: histogramFigure(targetCols),
      correlation: correlationFigure(numeric.length ? numeric : targetCols),
    },
    trainData: { [spec.ds]: s.ds, ...Object.fromEntries(targetCols.map((c) => [c.name, Array.from(c.values)])), ...fitted } as Record<string, unknown[]>,
  };
}

/** Forecast at the message's ds values; when the target is present too, flags values outside the interval. */
export function predictTimeSeries(model: TimeSeriesModel, input: DataInput): Record<string, unknown[]> {
  const where = input.table ? 'queue data' : 'data.recordings';
  const t = tableOf(input, where);
  const s = series(t, model, where, false);
  const out: Record<string, unknown[]> = { [model.ds]: s.ds };
  const prefix = (c: string) => (model.target.length > 1 ? `${c}_` : '');
  model.target.forEach((col, k) => {
    const p = Forecaster.fromJSON(model.forecasters[k]).predict(s.days);
    out[`${prefix(col)}yhat`] = Array.from(p.yhat);
    out[`${prefix(col)}yhat_lower`] = Array.from(p.lower);
    out[`${prefix(col)}yhat_upper`] = Array.from(p.upper);
    if (s.y) {
      out[`${prefix(col)}y`] = Array.from(s.y[k]);
      out[`${prefix(col)}anomaly`] = Array.from(s.y[k], (v, i) => v < p.lower[i] || v > p.upper[i]);
    }
  });
  return out;
}
