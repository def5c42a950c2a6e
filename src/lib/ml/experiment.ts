// Experiment recipes for the classic decoders: the configuration document (type, classes, window,
// band, type options), the train → serialisable model → predict path, and cross-validated
// evaluation with fold scores, chance level, confusion matrix and ROC AUC. The CLI (`neurotab
// evaluate`) and the app run this same code. Runs anywhere; operates on EPOCHS that are already
// band-pass filtered (filter the continuous recording first, as MNE does: filtering short epochs
// rings at their edges). Training allocates; prediction is per-epoch cheap.
import { InputError } from '../core/errors';
import { SsvepCca, type CcaState } from './cca';
import { accuracy, balancedAccuracy, chanceLevel, confusionMatrix, rocAuc, stratifiedKFold, type Fold } from './cross-validation';
import { Csp, type CspState } from './csp';
import { channelMajorFromFrameMajor, classCounts, classNamesOf, subsetEpochs, validateEpochs, type EpochSet } from './epochs';
import { Lda, type LdaState } from './lda';
import { Xdawn, type XdawnState } from './xdawn';

export const CLASSIC_EXPERIMENT_TYPES = ['motor_imagery_csp_lda', 'p300_xdawn_lda', 'ssvep_cca'] as const;
export type ClassicExperimentType = (typeof CLASSIC_EXPERIMENT_TYPES)[number];
export type ScoreMetric = 'accuracy' | 'balanced_accuracy' | 'roc_auc';

export interface ExperimentConfig {
  type: ClassicExperimentType;
  /** Marker value → class name. Class order (index 0, 1, …) = first appearance of each name. */
  classes: Record<string, string>;
  /** Seconds after the marker, [start, end], both inclusive. */
  window: [number, number];
  /**
   * Band-pass in Hz, [low, high], applied to the continuous recording before epoching. For SSVEP keep
   * it below the mains frequency when a reference harmonic would land on it (30 Hz × 2 = 60 Hz mains
   * in the Muse SSVEP file: [5, 70] Hz drops CCA from 0.97 to chance there, [5, 45] Hz does not).
   */
  band: [number, number];
  /**
   * How `band` is applied to the continuous recording before epoching (default "zero-phase"):
   * "zero-phase" = forward-backward (sosfiltfilt, MNE's `raw.filter(method='iir')`, the reference
   * recipe of `neurotab evaluate` and the MNE vectors); "causal" = forward only, from the steady
   * state of the first sample — the filter ml.model-predict runs on the live stream, so a model
   * trained with it sees the same preprocessing when deployed (the Training page's default).
   */
  filter?: 'zero-phase' | 'causal';
  /** Channel labels to use (default all EEG channels of the recording). */
  channels?: string[];
  /** Score reported by cross-validation (default: roc_auc for P300, accuracy otherwise). */
  metric?: ScoreMetric;
  /** motor_imagery_csp_lda: CSP components (default 4); CSP regularisation; LDA shrinkage. */
  components?: number;
  reg?: null | 'ledoit_wolf' | number;
  /** LDA shrinkage (motor imagery default none = sklearn 'svd'; P300 default 'auto'). */
  shrinkage?: null | 'auto' | number;
  /** p300_xdawn_lda: xDAWN filters per class (default 2) and feature decimation in samples (default: to ~32 Hz). */
  filtersPerClass?: number;
  decimate?: number;
  /** ssvep_cca: stimulation frequency per class name (default: the number in the class name, e.g. "20Hz") and harmonics (default 2). */
  frequencies?: Record<string, number>;
  harmonics?: number;
}

/** Validates an experiment document (parsed JSON) and fills nothing in: defaults are applied where used. */
export function parseExperimentConfig(doc: unknown, where = 'experiment'): ExperimentConfig {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new InputError('must be a JSON object', where);
  const d = doc as Record<string, unknown>;
  if (!CLASSIC_EXPERIMENT_TYPES.includes(d.type as ClassicExperimentType)) {
    throw new InputError(`type must be one of ${CLASSIC_EXPERIMENT_TYPES.join(', ')}; got ${JSON.stringify(d.type)}`, `${where}.type`);
  }
  if (typeof d.classes !== 'object' || d.classes === null || Array.isArray(d.classes)) {
    throw new InputError('must map marker values to class names, e.g. {"T1": "left", "T2": "right"}', `${where}.classes`);
  }
  const classes: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.classes as Record<string, unknown>)) {
    if (typeof v !== 'string' || v === '') throw new InputError(`class name for marker "${k}" must be a non-empty string`, `${where}.classes`);
    classes[k] = v;
  }
  if (classNamesOf(classes).length < 2) throw new InputError('needs at least two distinct class names', `${where}.classes`);
  const pair = (key: string): [number, number] => {
    const v = d[key];
    if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x)) || !(v[1] > v[0])) {
      throw new InputError('must be [start, end] numbers with end > start', `${where}.${key}`);
    }
    return [v[0], v[1]];
  };
  const cfg: ExperimentConfig = { type: d.type as ClassicExperimentType, classes, window: pair('window'), band: pair('band') };
  if (cfg.band[0] <= 0) throw new InputError('low edge must be > 0 Hz', `${where}.band`);
  const optInt = (key: 'components' | 'filtersPerClass' | 'decimate' | 'harmonics') => {
    if (d[key] === undefined) return;
    const v = d[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new InputError('must be a positive integer', `${where}.${key}`);
    cfg[key] = v;
  };
  optInt('components');
  optInt('filtersPerClass');
  optInt('decimate');
  optInt('harmonics');
  if (d.channels !== undefined) {
    if (!Array.isArray(d.channels) || d.channels.length === 0 || !d.channels.every((c) => typeof c === 'string')) {
      throw new InputError('must be a non-empty list of channel labels', `${where}.channels`);
    }
    cfg.channels = d.channels as string[];
  }
  if (d.filter !== undefined) {
    if (d.filter !== 'zero-phase' && d.filter !== 'causal') throw new InputError('must be "zero-phase" (offline, MNE) or "causal" (as deployed on a live stream)', `${where}.filter`);
    cfg.filter = d.filter;
  }
  if (d.metric !== undefined) {
    if (!['accuracy', 'balanced_accuracy', 'roc_auc'].includes(d.metric as string)) {
      throw new InputError('must be "accuracy", "balanced_accuracy" or "roc_auc"', `${where}.metric`);
    }
    cfg.metric = d.metric as ScoreMetric;
  }
  if (d.reg !== undefined) {
    if (!(d.reg === null || d.reg === 'ledoit_wolf' || (typeof d.reg === 'number' && d.reg >= 0 && d.reg <= 1))) {
      throw new InputError('must be null, "ledoit_wolf" or a number in [0, 1]', `${where}.reg`);
    }
    cfg.reg = d.reg as ExperimentConfig['reg'];
  }
  if (d.shrinkage !== undefined) {
    if (!(d.shrinkage === null || d.shrinkage === 'auto' || (typeof d.shrinkage === 'number' && d.shrinkage >= 0 && d.shrinkage <= 1))) {
      throw new InputError('must be null, "auto" or a number in [0, 1]', `${where}.shrinkage`);
    }
    cfg.shrinkage = d.shrinkage as ExperimentConfig['shrinkage'];
  }
  if (d.frequencies !== undefined) {
    const f = d.frequencies as Record<string, unknown>;
    if (typeof f !== 'object' || f === null) throw new InputError('must map class names to Hz', `${where}.frequencies`);
    for (const [k, v] of Object.entries(f)) if (typeof v !== 'number' || !(v > 0)) throw new InputError(`"${k}" must be a positive number of Hz`, `${where}.frequencies`);
    cfg.frequencies = f as Record<string, number>;
  }
  if (cfg.type === 'ssvep_cca') ssvepFrequencies(cfg);
  return cfg;
}

/** Stimulation frequency of each class (class-index order), from `frequencies` or the class names. */
export function ssvepFrequencies(cfg: ExperimentConfig): number[] {
  return classNamesOf(cfg.classes).map((name) => {
    const f = cfg.frequencies?.[name] ?? parseFloat(name.match(/\d+(\.\d+)?/)?.[0] ?? '');
    if (!(f > 0)) throw new InputError(`no stimulation frequency for class "${name}": name it like "20Hz" or give "frequencies"`, 'experiment.frequencies');
    return f;
  });
}

export function defaultMetric(cfg: ExperimentConfig): ScoreMetric {
  return cfg.metric ?? (cfg.type === 'p300_xdawn_lda' ? 'roc_auc' : 'accuracy');
}

/** A trained classic pipeline: plain JSON, safe to store (IndexedDB, file) and reload. */
export interface TrainedModel {
  kind: 'neurotab.classic-model';
  version: 1;
  config: ExperimentConfig;
  classNames: string[];
  channelLabels?: string[];
  sampleRateHz: number;
  sampleCount: number;
  csp?: CspState;
  xdawn?: XdawnState;
  lda?: LdaState;
  cca?: CcaState;
}

export interface Predictions {
  /** Class index per epoch. */
  predicted: Int32Array;
  /** Binary: a score that grows with class 1 (LDA decision value; CCA: r₁ − r₀); else the winner's score. */
  scores: Float64Array;
}

/** Trains the experiment's pipeline on (filtered) epochs. Checks the data first (InputError). */
export function trainModel(cfg: ExperimentConfig, set: EpochSet): TrainedModel {
  validateEpochs(set, { minPerClass: cfg.type === 'ssvep_cca' ? 1 : 2 });
  const base = {
    kind: 'neurotab.classic-model' as const,
    version: 1 as const,
    config: cfg,
    classNames: [...set.classNames],
    channelLabels: set.channelLabels,
    sampleRateHz: set.sampleRateHz,
    sampleCount: set.sampleCount,
  };
  switch (cfg.type) {
    case 'motor_imagery_csp_lda': {
      const csp = Csp.fit(set, { components: cfg.components ?? 4, reg: cfg.reg ?? null });
      const shrink = cfg.shrinkage ?? null;
      const lda = Lda.fit(csp.transform(set), set.labels, set.classNames, shrink === null ? {} : { solver: 'lsqr', shrinkage: shrink });
      return { ...base, csp: csp.toJSON(), lda: lda.toJSON() };
    }
    case 'p300_xdawn_lda': {
      const decimate = cfg.decimate ?? Math.max(1, Math.round(set.sampleRateHz / 32));
      const xd = Xdawn.fit(set, { filtersPerClass: cfg.filtersPerClass ?? 2, decimate: Math.min(decimate, set.sampleCount) });
      const shrink = cfg.shrinkage === undefined ? 'auto' : cfg.shrinkage;
      const lda = Lda.fit(xd.transform(set), set.labels, set.classNames, shrink === null ? {} : { solver: 'lsqr', shrinkage: shrink });
      return { ...base, xdawn: xd.toJSON(), lda: lda.toJSON() };
    }
    case 'ssvep_cca': {
      const cca = SsvepCca.fit(set, { frequenciesHz: ssvepFrequencies(cfg), harmonics: cfg.harmonics ?? 2 });
      return { ...base, cca: cca.toJSON() };
    }
  }
}

/** Predicts epochs with a trained model (same channels, rate and window as in training). */
export function predictModel(model: TrainedModel, set: Pick<EpochSet, 'data' | 'epochCount' | 'channelCount' | 'sampleCount' | 'channelLabels' | 'sampleRateHz'>): Predictions {
  if (model?.kind !== 'neurotab.classic-model' || model.version !== 1) throw new InputError('not a Neurotab classic model (version 1)', 'model');
  if (set.sampleRateHz !== model.sampleRateHz || set.sampleCount !== model.sampleCount) {
    throw new InputError(
      `epochs of ${set.sampleCount} samples at ${set.sampleRateHz} Hz, the model expects ${model.sampleCount} at ${model.sampleRateHz} Hz`,
      'predict input',
    );
  }
  const binary = model.classNames.length === 2;
  if (model.cca) {
    const cca = SsvepCca.fromJSON(model.cca);
    const r = cca.correlations(set);
    const K = r.cols;
    const predicted = cca.predict(set);
    const scores = Float64Array.from({ length: set.epochCount }, (_, e) => (binary ? r.data[e * K + 1] - r.data[e * K] : r.data[e * K + predicted[e]]));
    return { predicted, scores };
  }
  if (!model.lda) throw new InputError('model has no classifier stage', 'model');
  const lda = Lda.fromJSON(model.lda);
  const feats = model.csp ? Csp.fromJSON(model.csp).transform(set) : model.xdawn ? Xdawn.fromJSON(model.xdawn).transform(set) : null;
  if (!feats) throw new InputError('model has no feature stage', 'model');
  return { predicted: lda.predict(feats), scores: lda.decisionValues(feats) };
}

export interface WindowPrediction {
  classIndex: number;
  className: string;
  /** Per class: LDA posterior probabilities, or CCA canonical correlations. */
  perClass: number[];
  /** Same meaning as Predictions.scores. */
  score: number;
}

/** Stages of a model, instantiated once per model object (online prediction runs per window). */
interface Stages {
  cca?: SsvepCca;
  lda?: Lda;
  features?: Csp | Xdawn;
}
const stagesOf = new WeakMap<TrainedModel, Stages>();

function stages(model: TrainedModel): Stages {
  let s = stagesOf.get(model);
  if (!s) {
    if (model?.kind !== 'neurotab.classic-model' || model.version !== 1) throw new InputError('not a Neurotab classic model (version 1)', 'model');
    if (model.cca) s = { cca: SsvepCca.fromJSON(model.cca) };
    else {
      if (!model.lda) throw new InputError('model has no classifier stage', 'model');
      const features = model.csp ? Csp.fromJSON(model.csp) : model.xdawn ? Xdawn.fromJSON(model.xdawn) : undefined;
      if (!features) throw new InputError('model has no feature stage', 'model');
      s = { lda: Lda.fromJSON(model.lda), features };
    }
    stagesOf.set(model, s);
  }
  return s;
}

/**
 * Online use: predicts one window given FRAME-MAJOR samples (the engine's Chunk layout,
 * `samples[frame * channelCount + channel]`), already band-passed like the training data and
 * exactly `model.sampleCount` frames long. Same answers as `predictModel` on that one epoch; the
 * features (CSP log-variances, xDAWN projections, CCA correlations) are computed once and give the
 * class, the score and the per-class values. Allocates one channel-major copy of the window and the
 * stages' small intermediates; the model's stages are parsed once per model object.
 */
export function predictWindow(model: TrainedModel, frameMajor: ArrayLike<number>, channelCount: number, channelLabels?: string[]): WindowPrediction {
  if (frameMajor.length !== model.sampleCount * channelCount) {
    throw new InputError(`window holds ${frameMajor.length} values; the model needs ${model.sampleCount} frames × ${channelCount} channels`, 'predict input');
  }
  const x = { data: channelMajorFromFrameMajor(frameMajor, channelCount), epochCount: 1, channelCount, sampleCount: model.sampleCount, channelLabels, sampleRateHz: model.sampleRateHz };
  const st = stages(model);
  if (st.cca) {
    const r = st.cca.correlations(x).data;
    // predictModel's rule: the first largest correlation wins; binary score r₁ − r₀.
    let classIndex = 0;
    for (let k = 1; k < r.length; k++) if (r[k] > r[classIndex]) classIndex = k;
    const score = model.classNames.length === 2 ? r[1] - r[0] : r[classIndex];
    return { classIndex, className: model.classNames[classIndex], perClass: Array.from(r), score };
  }
  const feats = st.features!.transform(x);
  const lda = st.lda!;
  const classIndex = lda.predict(feats)[0];
  return { classIndex, className: model.classNames[classIndex], perClass: Array.from(lda.predictProba(feats).data), score: lda.decisionValues(feats)[0] };
}

export interface CrossValidationResult {
  metric: ScoreMetric;
  /** Score of each fold. */
  folds: number[];
  mean: number;
  /** Chance level of the metric: majority-class share for accuracy, 1/classes for balanced accuracy, 0.5 for AUC. */
  chance: number;
  /** Summed over folds, [true][predicted]. */
  confusion: number[][];
  /** Binary problems: ROC AUC of the pooled out-of-fold scores. */
  rocAuc?: number;
  /** Pooled out-of-fold accuracy. */
  accuracy: number;
  classNames: string[];
  classCounts: number[];
  epochCount: number;
}

/**
 * The pooled summary of an accuracy cross-validation in which every epoch was tested once:
 * `oofPred` / `oofScore` hold each epoch's out-of-fold class and score (probability of class 1 for
 * two classes).
 */
export function accuracySummary(folds: number[], labels: Int32Array, oofPred: ArrayLike<number>, oofScore: ArrayLike<number>, classNames: readonly string[]): CrossValidationResult {
  const K = classNames.length;
  const truth = Array.from(labels);
  const pred = Array.from(oofPred);
  return {
    metric: 'accuracy',
    folds,
    mean: folds.reduce((a, b) => a + b, 0) / folds.length,
    chance: chanceLevel(labels),
    confusion: confusionMatrix(truth, pred, K),
    rocAuc: K === 2 ? rocAuc(truth, oofScore) : undefined,
    accuracy: accuracy(truth, pred),
    classNames: [...classNames],
    classCounts: classCounts(labels, K),
    epochCount: truth.length,
  };
}

/**
 * Cross-validates: the model is re-trained on each fold's training epochs only. Folds default to
 * stratified k-fold with the given seed; pass `folds` to use stored splits (e.g. scikit-learn's).
 * All data checks run once, before the first fold is trained.
 */
export function crossValidate(
  cfg: ExperimentConfig,
  set: EpochSet,
  options: { k?: number; seed?: number; folds?: Fold[] } = {},
): CrossValidationResult {
  const metric = defaultMetric(cfg);
  const K = set.classNames.length;
  const k = options.k ?? 5;
  validateEpochs(set, { minPerClass: options.folds ? 2 : Math.max(2, k) });
  if (metric === 'roc_auc' && K !== 2) throw new InputError(`roc_auc needs two classes, there are ${K}`, 'experiment.metric');
  const folds = options.folds ?? stratifiedKFold(set.labels, k, { seed: options.seed ?? 0 });
  const scores: number[] = [];
  const oofPred = new Int32Array(set.epochCount).fill(-1);
  const oofScore = new Float64Array(set.epochCount);
  for (const [i, fold] of folds.entries()) {
    const train = subsetEpochs(set, fold.train);
    const test = subsetEpochs(set, fold.test);
    const model = trainModel(cfg, train);
    const p = predictModel(model, test);
    fold.test.forEach((e, j) => {
      oofPred[e] = p.predicted[j];
      oofScore[e] = p.scores[j];
    });
    if (metric === 'accuracy') scores.push(accuracy(test.labels, p.predicted));
    else if (metric === 'balanced_accuracy') scores.push(balancedAccuracy(test.labels, p.predicted, K));
    else {
      if (!test.labels.includes(0) || !test.labels.includes(1)) throw new InputError(`fold ${i} has test trials of one class only; use fewer folds`, 'cv');
      scores.push(rocAuc(test.labels, p.scores));
    }
  }
  const tested = Array.from(oofPred.keys()).filter((e) => oofPred[e] >= 0);
  const truth = tested.map((e) => set.labels[e]);
  const pred = tested.map((e) => oofPred[e]);
  const counts = set.classNames.map((_, c) => set.labels.filter((l) => l === c).length);
  return {
    metric,
    folds: scores,
    mean: scores.reduce((a, b) => a + b, 0) / scores.length,
    chance: metric === 'accuracy' ? chanceLevel(set.labels) : metric === 'balanced_accuracy' ? 1 / K : 0.5,
    confusion: confusionMatrix(truth, pred, K),
    rocAuc: K === 2 ? rocAuc(truth, tested.map((e) => oofScore[e])) : undefined,
    accuracy: accuracy(truth, pred),
    classNames: [...set.classNames],
    classCounts: counts,
    epochCount: set.epochCount,
  };
}
