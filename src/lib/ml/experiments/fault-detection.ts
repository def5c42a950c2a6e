// `fault_detection` experiments (ExperimentHub's FaultDetectionExperiment, API.md §11.2): unsupervised
// anomaly detection on the numeric columns of a table, with an isolation forest (../isolation-forest.ts)
// or PCA reconstruction error (../pca.ts, SPE/Q statistic on standardised features). Config: setup
// {features?: [...], ds?: time column (kept out of the features, used as x axis), target?: label
// column (1/true = fault; kept out of the features; only scores the detector)}, create_model
// {model_type: "IsolationForest" | "PCA", params: {n_estimators, max_samples, contamination,
// random_state | n_components, contamination, standardize}}. Runs in the training worker or Node.
import { InputError } from '../../core/errors';
import { rocAuc } from '../cross-validation';
import { IsolationForest, percentileLinear, type IsolationForestState } from '../isolation-forest';
import { dense, type DenseMatrix } from '../linalg';
import { Pca, type PcaState } from '../pca';
import type { Table } from './dataframe';
import type { PlotlyFigure } from './run';
import { columnIndex, correlationFigure, histogramFigure, hubSections, numericColumn, numericColumnNames, param, tableOf, type DataInput } from './tabular';

export type FaultModelType = 'IsolationForest' | 'PCA';

export interface FaultDetectionSpec {
  type: 'fault_detection';
  modelType: FaultModelType;
  features: string[] | null;
  ds: string | null;
  target: string | null;
  nEstimators?: number;
  maxSamples?: 'auto' | number;
  /** IsolationForest: 'auto' or a share; PCA: the share of training rows above the SPE threshold (default 0.01). */
  contamination?: 'auto' | number;
  seed: number;
  nComponents?: number;
  standardize: boolean;
}

export interface FaultDetectionModel {
  kind: 'neurotab.fault-detection-model';
  version: 1;
  modelType: FaultModelType;
  features: string[];
  ds: string | null;
  target: string | null;
  /** Standardisation (PCA; identity for the forest). */
  center: number[];
  scale: number[];
  forest?: IsolationForestState;
  pca?: PcaState;
  /** PCA: SPE above this is an anomaly. */
  threshold?: number;
  classNames: string[];
}

const MODEL_TYPES: Record<string, FaultModelType> = {
  isolationforest: 'IsolationForest',
  isolation_forest: 'IsolationForest',
  iforest: 'IsolationForest',
  pca: 'PCA',
};

export function parseFaultDetectionSpec(doc: Record<string, unknown>, where = 'config'): FaultDetectionSpec {
  const { flat, modelType } = hubSections(doc);
  const mt = MODEL_TYPES[(modelType ?? 'IsolationForest').toLowerCase()];
  if (!mt) throw new InputError(`fault_detection supports model_type "IsolationForest" or "PCA"; got ${JSON.stringify(modelType)}`, `${where}.create_model.model_type`);
  const c = flat.contamination;
  if (c !== undefined && c !== 'auto' && !(typeof c === 'number' && c > 0 && c <= 0.5)) throw new InputError(`must be "auto" or a share in (0, 0.5]; got ${JSON.stringify(c)}`, `${where}.contamination`);
  if (mt === 'PCA' && c === 'auto') throw new InputError('PCA needs a numeric contamination (share of training rows above the threshold)', `${where}.contamination`);
  const ms = flat.max_samples;
  if (ms !== undefined && ms !== 'auto' && !(typeof ms === 'number' && ms > 0)) throw new InputError(`must be "auto", a count or a fraction; got ${JSON.stringify(ms)}`, `${where}.max_samples`);
  const std = flat.standardize ?? true;
  if (typeof std !== 'boolean') throw new InputError('must be true or false', `${where}.standardize`);
  return {
    type: 'fault_detection',
    modelType: mt,
    features: param.strings(flat, 'features', where) ?? null,
    ds: param.string(flat, 'ds', where) ?? null,
    target: param.string(flat, 'target', where) ?? null,
    nEstimators: param.number(flat, 'n_estimators', where, (v) => Number.isInteger(v) && v >= 1 && v <= 2000, 'an integer in [1, 2000]'),
    maxSamples: ms as FaultDetectionSpec['maxSamples'],
    contamination: c as FaultDetectionSpec['contamination'],
    seed: param.number(flat, 'random_state', where, (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0') ?? param.number(flat, 'seed', where, (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0') ?? 0,
    nComponents: param.number(flat, 'n_components', where, (v) => (Number.isInteger(v) && v >= 1) || (v > 0 && v < 1), 'a positive integer or a fraction in (0, 1)'),
    standardize: std,
  };
}

function featureMatrix(t: Table, names: string[], center: number[], scale: number[], where: string): DenseMatrix {
  const cols = names.map((c) => numericColumn(t, columnIndex(t, c, where), where));
  const n = t.rows.length;
  const x = dense(n, names.length);
  for (let i = 0; i < n; i++) for (let j = 0; j < names.length; j++) x.data[i * names.length + j] = (cols[j][i] - center[j]) / scale[j];
  return x;
}

/** 1 = fault for true, non-zero numbers, and strings other than "", "0", "false", "normal", "ok". */
function labelOf(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v !== 0 ? 1 : 0;
  if (typeof v === 'string') return ['', '0', 'false', 'normal', 'ok', 'no'].includes(v.trim().toLowerCase()) ? 0 : 1;
  return 0;
}

/** Anomaly score (higher = more abnormal) and flag for each row. */
function scoreRows(model: FaultDetectionModel, x: DenseMatrix): { score: Float64Array; anomaly: boolean[] } {
  if (model.forest) {
    const f = IsolationForest.fromJSON(model.forest);
    const d = f.decisionFunction(x);
    // sklearn's decision_function: negative = outlier; reported as −decision so higher = more abnormal.
    return { score: d.map((v) => -v), anomaly: Array.from(d, (v) => v < 0) };
  }
  const spe = Pca.fromJSON(model.pca!).reconstructionError(x);
  return { score: spe, anomaly: Array.from(spe, (v) => v > model.threshold!) };
}

export function trainFaultDetection(spec: FaultDetectionSpec, input: DataInput) {
  const where = input.table ? 'queue data' : 'data.recordings';
  const t = tableOf(input, where);
  const exclude = [spec.ds, spec.target, 'marker', 'timestamp', 'index', 'ds'].filter((c): c is string => !!c);
  const features = spec.features ?? numericColumnNames(t, exclude);
  if (features.length === 0) throw new InputError(`has no numeric feature columns (columns: ${t.columns.join(', ')})`, where);
  const n = t.rows.length;
  if (n < 8) throw new InputError(`needs at least 8 rows to learn what is normal, got ${n}`, where);
  const raw = features.map((c) => numericColumn(t, columnIndex(t, c, where), where));
  const center = features.map((_, j) => (spec.modelType === 'PCA' && spec.standardize ? raw[j].reduce((a, b) => a + b, 0) / n : 0));
  const scale = features.map((_, j) => {
    if (!(spec.modelType === 'PCA' && spec.standardize)) return 1;
    let s = 0;
    for (const v of raw[j]) s += (v - center[j]) ** 2;
    return Math.sqrt(s / n) || 1;
  });
  const x = featureMatrix(t, features, center, scale, where);
  const model: FaultDetectionModel = { kind: 'neurotab.fault-detection-model', version: 1, modelType: spec.modelType, features, ds: spec.ds, target: spec.target, center, scale, classNames: ['normal', 'anomaly'] };
  const figures: Record<string, PlotlyFigure> = {};
  if (spec.modelType === 'IsolationForest') {
    model.forest = IsolationForest.fit(x, { nEstimators: spec.nEstimators, maxSamples: spec.maxSamples, contamination: spec.contamination, seed: spec.seed }).toJSON();
  } else {
    const k = spec.nComponents ?? Math.min(Math.max(1, Math.ceil(features.length / 2)), n - 1, features.length);
    const pca = Pca.fit(x, { components: k });
    model.pca = pca.toJSON();
    model.threshold = percentileLinear(pca.reconstructionError(x), 100 * (1 - (typeof spec.contamination === 'number' ? spec.contamination : 0.01)));
    figures.explained_variance = {
      data: [{ type: 'bar', x: pca.state.explainedVarianceRatio.map((_, i) => `PC${i + 1}`), y: pca.state.explainedVarianceRatio }],
      layout: { title: { text: `Explained variance ratio (${pca.state.components.length} of ${features.length} components kept)` }, yaxis: { range: [0, 1] } },
    };
  }
  const { score, anomaly } = scoreRows(model, x);
  const xs = spec.ds && t.columns.includes(spec.ds) ? t.rows.map((r) => r[t.columns.indexOf(spec.ds!)]) : Array.from({ length: n }, (_, i) => i);
  // The forest flags −decision > 0; PCA flags SPE above its training percentile.
  const thr = model.forest ? 0 : model.threshold!;
  figures.anomaly_score = {
    data: [
      { type: 'scatter', mode: 'lines', name: model.forest ? '−decision_function' : 'SPE (Q)', x: xs, y: Array.from(score) },
      { type: 'scatter', mode: 'markers', name: 'anomaly', x: xs.filter((_, i) => anomaly[i]), y: Array.from(score).filter((_, i) => anomaly[i]), marker: { color: 'red', size: 6 } },
      { type: 'scatter', mode: 'lines', name: 'threshold', x: [xs[0], xs[n - 1]], y: [thr, thr], line: { dash: 'dash' } },
    ],
    layout: { title: { text: `${spec.modelType} anomaly score (${anomaly.filter(Boolean).length} of ${n} rows flagged)` } },
  };
  const scores: Record<string, number> = { anomaly_share: anomaly.filter(Boolean).length / n, rows: n };
  const out: Record<string, unknown[]> = {};
  if (spec.ds && t.columns.includes(spec.ds)) out[spec.ds] = xs;
  features.forEach((c, j) => (out[c] = Array.from(raw[j])));
  if (spec.target && t.columns.includes(spec.target)) {
    const ti = t.columns.indexOf(spec.target);
    const truth = t.rows.map((r) => labelOf(r[ti]));
    out[spec.target] = t.rows.map((r) => r[ti]);
    const pos = truth.filter((v) => v === 1).length;
    if (pos > 0 && pos < n) scores.roc_auc = rocAuc(truth, Array.from(score));
    const tp = truth.filter((v, i) => v === 1 && anomaly[i]).length;
    const flagged = anomaly.filter(Boolean).length;
    scores.precision = flagged ? tp / flagged : 0;
    scores.recall = pos ? tp / pos : 0;
    scores.f1 = scores.precision + scores.recall > 0 ? (2 * scores.precision * scores.recall) / (scores.precision + scores.recall) : 0;
  }
  out.score = Array.from(score);
  out.anomaly = anomaly;
  const cols = features.map((c, j) => ({ name: c, values: raw[j] }));
  return {
    model,
    scores,
    figures,
    edaFigures: { correlation: correlationFigure(cols), histogram: histogramFigure(cols) },
    trainData: out,
  };
}

export function predictFaultDetection(model: FaultDetectionModel, input: DataInput): Record<string, unknown[]> {
  const where = input.table ? 'queue data' : 'data.recordings';
  const t = tableOf(input, where);
  const x = featureMatrix(t, model.features, model.center, model.scale, where);
  const { score, anomaly } = scoreRows(model, x);
  const out: Record<string, unknown[]> = {};
  if (model.ds && t.columns.includes(model.ds)) out[model.ds] = t.rows.map((r) => r[t.columns.indexOf(model.ds!)]);
  out.score = Array.from(score);
  out.anomaly = anomaly;
  if (model.target && t.columns.includes(model.target)) out.true = t.rows.map((r) => labelOf(r[t.columns.indexOf(model.target!)]) === 1);
  return out;
}
