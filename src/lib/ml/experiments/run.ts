// One training run of an experiment of any type on labelled epochs: cross-validated metrics (fold
// scores, chance, confusion matrix, ROC AUC), the final model trained on all epochs, and Plotly-style
// figures (JSON {data, layout}) for the API and the training page. Runs in the training worker or
// Node (deep types load TensorFlow.js lazily); long and allocating: never on the UI thread.
import { InputError } from '../../core/errors';
import { accuracy, stratifiedKFold } from '../cross-validation';
import { classCounts, subsetEpochs, validateEpochs, type EpochSet } from '../epochs';
import { accuracySummary, crossValidate, trainModel, type CrossValidationResult, type TrainedModel } from '../experiment';
import type { DeepModel, EpochLog, TrainControl } from '../tf/train';
import { classicConfig, isDeepType, type ExperimentSpec } from './config';

export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

export type RunPhase = { phase: 'checking' } | { phase: 'cross-validating'; fold: number; folds: number } | { phase: 'training-final' };

export interface RunControl {
  onEpoch?: (log: EpochLog & { fold: number | null }) => void;
  onPhase?: (p: RunPhase) => void;
  cancelled?: () => boolean;
}

export interface ExperimentRunResult {
  type: ExperimentSpec['type'];
  model: TrainedModel | DeepModel;
  /** Cross-validation; null for a deep run with cv = 0. */
  metrics: CrossValidationResult | null;
  /** Final-model training curves (deep types). */
  history: EpochLog[];
  figures: Record<string, PlotlyFigure>;
  edaFigures: Record<string, PlotlyFigure>;
  trainData: { epoch: number[]; class: string[]; source: string[] };
  durationMs: number;
  backend?: string;
}

/** Checks a run's data up front, with the rules of its type (deep nets need more trials). */
export function validateRunData(spec: ExperimentSpec, set: EpochSet): void {
  const deep = isDeepType(spec.type);
  const k = spec.cv ?? (deep ? 3 : 5);
  // Deep runs need ≥ 4 trials per class in every training fold (stratified folds hold ~n/k out).
  const deepMin = k >= 2 ? Math.ceil((4 * k) / (k - 1)) + 1 : 4;
  validateEpochs(set, { minPerClass: Math.max(deep ? deepMin : 2, k) });
}

export async function runExperiment(spec: ExperimentSpec, set: EpochSet, control: RunControl = {}): Promise<ExperimentRunResult> {
  const t0 = Date.now();
  control.onPhase?.({ phase: 'checking' });
  validateRunData(spec, set);
  // Give a stop request that arrives right after the start a chance (classic fits are synchronous).
  await new Promise((r) => setTimeout(r, 0));
  if (control.cancelled?.()) throw new InputError('training cancelled; the previous model is unchanged', 'run');
  const seed = spec.seed ?? 0;
  let metrics: CrossValidationResult | null;
  let model: TrainedModel | DeepModel;
  let history: EpochLog[] = [];
  let backend: string | undefined;
  if (!isDeepType(spec.type)) {
    const cfg = classicConfig(spec);
    const k = spec.cv ?? 5;
    control.onPhase?.({ phase: 'cross-validating', fold: 0, folds: k });
    metrics = crossValidate(cfg, set, { k, seed });
    if (control.cancelled?.()) throw new InputError('training cancelled; the previous model is unchanged', 'run');
    control.onPhase?.({ phase: 'training-final' });
    model = trainModel(cfg, set);
  } else {
    const tf = await import('../tf/train');
    const opts = { epochs: spec.epochs, batchSize: spec.batchSize, learningRate: spec.learningRate, patience: spec.patience, validationFraction: spec.validationFraction, dropoutRate: spec.dropoutRate, seed };
    const k = spec.cv ?? 3;
    metrics = null;
    if (k >= 2) {
      const folds = stratifiedKFold(set.labels, k, { seed });
      const K = set.classNames.length;
      const oofPred = new Int32Array(set.epochCount).fill(-1);
      const oofScore = new Float64Array(set.epochCount);
      const scores: number[] = [];
      for (const [i, fold] of folds.entries()) {
        control.onPhase?.({ phase: 'cross-validating', fold: i + 1, folds: k });
        const train = subsetEpochs(set, fold.train);
        const test = subsetEpochs(set, fold.test);
        const m = await tf.trainDeepModel(spec.type, train, opts, { cancelled: control.cancelled, onEpoch: (l) => control.onEpoch?.({ ...l, fold: i + 1 }) });
        const loaded = await tf.loadDeepModel(m);
        try {
          const p = tf.predictDeepEpochs(loaded, test);
          const pred = fold.test.map((_, j) => argmax(p, j * K, K));
          fold.test.forEach((e, j) => {
            oofPred[e] = pred[j];
            oofScore[e] = K === 2 ? p[j * K + 1] : p[j * K + pred[j]];
          });
          scores.push(accuracy(test.labels, pred));
        } finally {
          loaded.dispose();
        }
      }
      metrics = accuracySummary(scores, set.labels, oofPred, oofScore, set.classNames);
    }
    control.onPhase?.({ phase: 'training-final' });
    const deep = await tf.trainDeepModel(spec.type, set, opts, { cancelled: control.cancelled, onEpoch: (l) => control.onEpoch?.({ ...l, fold: null }) });
    model = deep;
    history = deep.history;
    backend = deep.backend;
  }
  return {
    type: spec.type,
    model,
    metrics,
    history,
    figures: runFigures(metrics, history),
    edaFigures: edaFigures(set),
    trainData: {
      epoch: Array.from(set.labels.keys()),
      class: Array.from(set.labels, (l) => set.classNames[l]),
      source: set.sources ?? Array.from(set.labels, () => ''),
    },
    durationMs: Date.now() - t0,
    backend,
  };
}

function argmax(p: ArrayLike<number>, o: number, K: number): number {
  let b = 0;
  for (let k = 1; k < K; k++) if (p[o + k] > p[o + b]) b = k;
  return b;
}

/** Figures of a run: fold scores (with chance), confusion matrix, and training curves (deep types). */
export function runFigures(metrics: CrossValidationResult | null, history: EpochLog[]): Record<string, PlotlyFigure> {
  const out: Record<string, PlotlyFigure> = {};
  if (metrics) {
    const x = metrics.folds.map((_, i) => `fold ${i + 1}`);
    out.fold_scores = {
      data: [
        { type: 'bar', name: metrics.metric, x, y: metrics.folds },
        { type: 'scatter', mode: 'lines', name: 'chance', x, y: x.map(() => metrics.chance), line: { dash: 'dash' } },
      ],
      layout: { title: { text: `Cross-validated ${metrics.metric}: ${metrics.mean.toFixed(3)} (chance ${metrics.chance.toFixed(3)})` }, yaxis: { range: [0, 1] } },
    };
    out.confusion_matrix = {
      data: [{ type: 'heatmap', x: metrics.classNames, y: metrics.classNames, z: metrics.confusion, colorscale: 'Blues' }],
      layout: { title: { text: 'Confusion matrix (rows: true, columns: predicted)' }, xaxis: { title: { text: 'predicted' } }, yaxis: { title: { text: 'true' } } },
    };
  }
  if (history.length) {
    const ep = history.map((h) => h.epoch);
    out.training_curves = {
      data: [
        { type: 'scatter', mode: 'lines', name: 'loss', x: ep, y: history.map((h) => h.loss) },
        { type: 'scatter', mode: 'lines', name: 'val_loss', x: ep, y: history.map((h) => h.valLoss) },
        { type: 'scatter', mode: 'lines', name: 'accuracy', x: ep, y: history.map((h) => h.accuracy), yaxis: 'y2' },
        { type: 'scatter', mode: 'lines', name: 'val_accuracy', x: ep, y: history.map((h) => h.valAccuracy), yaxis: 'y2' },
      ],
      layout: { title: { text: 'Training curves' }, xaxis: { title: { text: 'epoch' } }, yaxis: { title: { text: 'loss' } }, yaxis2: { title: { text: 'accuracy' }, overlaying: 'y', side: 'right', range: [0, 1] } },
    };
  }
  return out;
}

/** Exploratory figures of the training data: class balance and per-channel variance by class. */
export function edaFigures(set: EpochSet): Record<string, PlotlyFigure> {
  const counts = classCounts(set.labels, set.classNames.length);
  const { channelCount: C, sampleCount: T } = set;
  const labels = set.channelLabels ?? Array.from({ length: C }, (_, c) => `ch${c}`);
  const variance = set.classNames.map((_, k) => {
    const v = new Array<number>(C).fill(0);
    let n = 0;
    for (let e = 0; e < set.epochCount; e++) {
      if (set.labels[e] !== k) continue;
      n++;
      for (let c = 0; c < C; c++) {
        const o = (e * C + c) * T;
        let m = 0;
        for (let t = 0; t < T; t++) m += set.data[o + t];
        m /= T;
        let s = 0;
        for (let t = 0; t < T; t++) s += (set.data[o + t] - m) ** 2;
        v[c] += s / T;
      }
    }
    return v.map((x) => (n ? x / n : 0));
  });
  return {
    class_balance: { data: [{ type: 'bar', x: set.classNames, y: counts }], layout: { title: { text: 'Epochs per class' } } },
    channel_variance: {
      data: set.classNames.map((name, k) => ({ type: 'bar', name, x: labels, y: variance[k] })),
      layout: { title: { text: 'Mean epoch variance per channel and class' }, barmode: 'group' },
    },
  };
}
