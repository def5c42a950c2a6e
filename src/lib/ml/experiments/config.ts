// Experiment documents for every experiment type: the classic recipes of ../experiment.ts plus the
// TensorFlow.js networks (eegnet, shallow_convnet) with their training options. Accepts the flat
// Neurotab form and the ExperimentHub form ({setup: {...}, create_model: {model_type, params}}).
// Pure; runs anywhere. Never trains.
import { InputError } from '../../core/errors';
import { CLASSIC_EXPERIMENT_TYPES, parseExperimentConfig, type ClassicExperimentType, type ExperimentConfig } from '../experiment';

export const DEEP_EXPERIMENT_TYPES = ['eegnet', 'shallow_convnet'] as const;
export type DeepExperimentType = (typeof DEEP_EXPERIMENT_TYPES)[number];
/** Types that train on a table or a whole recording rather than on EEG epochs (API.md §11.2). */
export const DATA_EXPERIMENT_TYPES = ['time_series', 'fault_detection', 'fnirs_classification'] as const;
export type DataExperimentType = (typeof DATA_EXPERIMENT_TYPES)[number];
export type ExperimentType = ClassicExperimentType | DeepExperimentType | DataExperimentType;
export const EXPERIMENT_TYPES: readonly ExperimentType[] = [...CLASSIC_EXPERIMENT_TYPES, ...DEEP_EXPERIMENT_TYPES, ...DATA_EXPERIMENT_TYPES];

/** ExperimentHub names (API.md §11.2) that map onto a Neurotab type. */
export const TYPE_ALIASES: Record<string, ExperimentType> = {
  bci_motor_imagery: 'motor_imagery_csp_lda',
  bci_erp: 'p300_xdawn_lda',
  bci_ssvep: 'ssvep_cca',
};

/** Module and class reported by /available_experiments (informational; upstream's names where it has the type). */
export const EXPERIMENT_CLASSES: Record<ExperimentType, { module: string; class: string }> = {
  motor_imagery_csp_lda: { module: 'neurotab.ml', class: 'MotorImageryExperiment' },
  p300_xdawn_lda: { module: 'neurotab.ml', class: 'ERPExperiment' },
  ssvep_cca: { module: 'neurotab.ml', class: 'SSVEPExperiment' },
  eegnet: { module: 'neurotab.ml.tf', class: 'EEGNetExperiment' },
  shallow_convnet: { module: 'neurotab.ml.tf', class: 'ShallowConvNetExperiment' },
  time_series: { module: 'framework.TimeSeriesAnalysis', class: 'TimeSeriesExperiment' },
  fault_detection: { module: 'framework.FaultDetection', class: 'FaultDetectionExperiment' },
  fnirs_classification: { module: 'neurotab.ml.fnirs', class: 'FNIRSClassificationExperiment' },
};

/** The type of an upstream `load_object.name` (a class name such as "TimeSeriesExperiment"). */
export function typeFromLoadObject(className: string): ExperimentType | undefined {
  return EXPERIMENT_TYPES.find((t) => EXPERIMENT_CLASSES[t].class === className);
}

/** Experiment names (API.md §11.4). */
export const RESERVED_NAMES = ['health', 'available_experiments', 'create_experiment', 'experiments', 'flush', 'publish', 'log', 'docs', 'redoc', 'openapi.json', 'None'];
export const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

export function isDeepType(t: string): t is DeepExperimentType {
  return (DEEP_EXPERIMENT_TYPES as readonly string[]).includes(t);
}

export function isDataType(t: string): t is DataExperimentType {
  return (DATA_EXPERIMENT_TYPES as readonly string[]).includes(t);
}

export function resolveType(t: string): ExperimentType | undefined {
  if ((EXPERIMENT_TYPES as readonly string[]).includes(t)) return t as ExperimentType;
  return TYPE_ALIASES[t];
}

/** An experiment of any type. For deep types, `type` holds the network and the classic fields are shared. */
export interface ExperimentSpec extends Omit<ExperimentConfig, 'type'> {
  type: ExperimentType;
  /** Cross-validation folds (default 5 classic, 3 deep; 0 = no cross-validation for deep runs). */
  cv?: number;
  seed?: number;
  /** Deep training options. */
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  patience?: number;
  validationFraction?: number;
  dropoutRate?: number;
}

/** Flattens the ExperimentHub shape: top level, then `setup`, then `create_model.params` win. */
export function flattenHubConfig(doc: Record<string, unknown>): Record<string, unknown> {
  const setup = isObj(doc.setup) ? doc.setup : {};
  const cm = isObj(doc.create_model) ? doc.create_model : {};
  const params = isObj(cm.params) ? cm.params : {};
  const out: Record<string, unknown> = { ...doc, ...setup, ...params };
  if (typeof cm.model_type === 'string' && resolveType(cm.model_type)) out.type = cm.model_type;
  return out;
}

export function parseExperimentSpec(doc: unknown, where = 'experiment'): ExperimentSpec {
  if (!isObj(doc)) throw new InputError('must be a JSON object', where);
  const flat = flattenHubConfig(doc);
  const type = typeof flat.type === 'string' ? resolveType(flat.type) : undefined;
  if (!type) throw new InputError(`type must be one of ${EXPERIMENT_TYPES.join(', ')}; got ${JSON.stringify(flat.type)}`, `${where}.type`);
  if (isDataType(type)) throw new InputError(`${type} is not an epoch-based recipe: its configuration is read by parseDataSpec (data-run.ts)`, `${where}.type`);
  const deep = isDeepType(type);
  // The classic parser checks classes, window, band, channels; deep runs borrow the motor-imagery rules.
  const base = parseExperimentConfig({ ...flat, type: deep ? 'motor_imagery_csp_lda' : type }, where);
  const spec: ExperimentSpec = { ...base, type };
  const int = (k: 'cv' | 'seed' | 'epochs' | 'batchSize' | 'patience', min: number) => {
    const v = flat[k];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new InputError(`must be an integer ≥ ${min}`, `${where}.${k}`);
    spec[k] = v;
  };
  const real = (k: 'learningRate' | 'validationFraction' | 'dropoutRate', lo: number, hi: number) => {
    const v = flat[k];
    if (v === undefined) return;
    if (typeof v !== 'number' || !(v >= lo && v < hi)) throw new InputError(`must be a number in [${lo}, ${hi})`, `${where}.${k}`);
    spec[k] = v;
  };
  int('cv', 0);
  if (spec.cv === 1) throw new InputError('must be 0 (none) or at least 2 folds', `${where}.cv`);
  if (!deep && spec.cv === 0) throw new InputError('classic recipes are always cross-validated: use ≥ 2 folds', `${where}.cv`);
  int('seed', 0);
  int('epochs', 1);
  int('batchSize', 1);
  int('patience', 1);
  real('learningRate', 1e-7, 1);
  real('validationFraction', 0, 0.9);
  real('dropoutRate', 0, 1);
  return spec;
}

/** The classic recipe's config (throws for deep types). */
export function classicConfig(spec: ExperimentSpec): ExperimentConfig {
  if (isDeepType(spec.type)) throw new InputError(`${spec.type} is not a classic recipe`, 'experiment.type');
  return spec as ExperimentConfig;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
