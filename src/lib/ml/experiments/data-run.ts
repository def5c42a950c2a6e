// Dispatch for the table/recording experiment types (time_series, fault_detection,
// fnirs_classification): config parsing (errors before anything starts), one training run (model,
// metrics or scores, figures, EDA figures, train data) and prediction with a saved model. Runs in the
// training worker or Node; synchronous CPU work in float64 JavaScript (no TensorFlow.js).
import { InputError } from '../../core/errors';
import type { CrossValidationResult } from '../experiment';
import type { DataExperimentType } from './config';
import { parseFaultDetectionSpec, predictFaultDetection, trainFaultDetection, type FaultDetectionModel, type FaultDetectionSpec } from './fault-detection';
import { parseFnirsSpec, predictFnirs, trainFnirs, type FnirsModel, type FnirsSpec } from './fnirs-classification';
import type { PlotlyFigure } from './run';
import type { DataInput } from './tabular';
import { parseTimeSeriesSpec, predictTimeSeries, trainTimeSeries, type TimeSeriesModel, type TimeSeriesSpec } from './time-series';

export type DataSpec = TimeSeriesSpec | FaultDetectionSpec | FnirsSpec;
export type DataModel = TimeSeriesModel | FaultDetectionModel | FnirsModel;
export const DATA_MODEL_KINDS = ['neurotab.time-series-model', 'neurotab.fault-detection-model', 'neurotab.fnirs-model'] as const;

export interface DataRunResult {
  type: DataExperimentType;
  model: DataModel;
  /** Cross-validation (fnirs_classification); null for the unsupervised / forecasting types. */
  metrics: CrossValidationResult | null;
  /** Named figures of merit: forecast errors, anomaly share / AUC, accuracy. */
  scores: Record<string, number>;
  figures: Record<string, PlotlyFigure>;
  edaFigures: Record<string, PlotlyFigure>;
  trainData: Record<string, unknown[]>;
  durationMs: number;
}

export function isDataModel(m: unknown): m is DataModel {
  return typeof m === 'object' && m !== null && (DATA_MODEL_KINDS as readonly string[]).includes((m as { kind?: string }).kind ?? '');
}

/** Validates a hub config (ExperimentHub or flat form) for a data type; throws InputError with the key. */
export function parseDataSpec(type: DataExperimentType, config: Record<string, unknown>, where = 'config'): DataSpec {
  if (type === 'time_series') return parseTimeSeriesSpec(config, where);
  if (type === 'fault_detection') return parseFaultDetectionSpec(config, where);
  return parseFnirsSpec(config, where);
}

export async function runDataExperiment(spec: DataSpec, input: DataInput, control: { cancelled?: () => boolean } = {}): Promise<DataRunResult> {
  const t0 = Date.now();
  // Let a stop request that arrives right after the start be seen (the fits are synchronous).
  await new Promise((r) => setTimeout(r, 0));
  const cancelled = control.cancelled ?? (() => false);
  if (cancelled()) throw new InputError('training cancelled; the previous model is unchanged', 'run');
  let r: Omit<DataRunResult, 'type' | 'durationMs' | 'metrics'> & { metrics?: CrossValidationResult | null };
  if (spec.type === 'time_series') r = trainTimeSeries(spec, input);
  else if (spec.type === 'fault_detection') r = trainFaultDetection(spec, input);
  else r = trainFnirs(spec, input, cancelled);
  if (cancelled()) throw new InputError('training cancelled; the previous model is unchanged', 'run');
  return { type: spec.type, metrics: r.metrics ?? null, model: r.model, scores: r.scores, figures: r.figures, edaFigures: r.edaFigures, trainData: r.trainData, durationMs: Date.now() - t0 };
}

/** Predictions as DataFrame columns (pandas column JSON once wrapped by columnJson). */
export function predictDataModel(model: DataModel, input: DataInput): Record<string, unknown[]> {
  if (model.kind === 'neurotab.time-series-model') return predictTimeSeries(model, input);
  if (model.kind === 'neurotab.fault-detection-model') return predictFaultDetection(model, input);
  return predictFnirs(model, input);
}
