// Loss and score metrics for NeuroPype's MeasureLoss and for the learners' cross-validated search, with
// scikit-learn 1.2's definitions (sklearn.metrics). Pure functions; runs anywhere; small allocations.
// Classification metrics take class indices (0…K−1) and a [trial][class] probability matrix.
import { InputError } from '../core/errors';
import { balancedAccuracy, confusionMatrix, rocAuc } from './cross-validation';
import type { DenseMatrix } from './linalg';

/** MeasureLoss's metric names (MCR = misclassification rate, its default) and scikit-learn's scorer names. */
export type LossMetric = 'MCR' | 'accuracy' | 'balanced_accuracy' | 'AUC' | 'log_loss' | 'F1' | 'precision' | 'recall' | 'brier' | 'MSE' | 'RMSE' | 'MAE' | 'R2';
export const CLASSIFICATION_METRICS: readonly LossMetric[] = ['MCR', 'accuracy', 'balanced_accuracy', 'AUC', 'log_loss', 'F1', 'precision', 'recall', 'brier'];
export const REGRESSION_METRICS: readonly LossMetric[] = ['MSE', 'RMSE', 'MAE', 'R2'];

function argmaxRows(p: DenseMatrix): Int32Array {
  return Int32Array.from({ length: p.rows }, (_, i) => {
    let best = 0;
    for (let k = 1; k < p.cols; k++) if (p.data[i * p.cols + k] > p.data[i * p.cols + best]) best = k;
    return best;
  });
}

/** sklearn log_loss: probabilities clipped to [1e-15, 1 − 1e-15] and renormalised per row. */
export function logLoss(truth: ArrayLike<number>, proba: DenseMatrix): number {
  const K = proba.cols;
  let s = 0;
  for (let i = 0; i < proba.rows; i++) {
    let rs = 0;
    for (let k = 0; k < K; k++) rs += Math.min(Math.max(proba.data[i * K + k], 1e-15), 1 - 1e-15);
    s -= Math.log(Math.min(Math.max(proba.data[i * K + truth[i]], 1e-15), 1 - 1e-15) / rs);
  }
  return s / proba.rows;
}

/** Per-class F1 (precision and recall of class k; 0 where undefined, scikit-learn's zero_division result). */
function prf(truth: ArrayLike<number>, pred: ArrayLike<number>, K: number): { precision: number[]; recall: number[]; f1: number[] } {
  const cm = confusionMatrix(truth, pred, K);
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  for (let k = 0; k < K; k++) {
    const tp = cm[k][k];
    const predicted = cm.reduce((a, row) => a + row[k], 0);
    const actual = cm[k].reduce((a, b) => a + b, 0);
    const p = predicted ? tp / predicted : 0;
    const r = actual ? tp / actual : 0;
    precision.push(p);
    recall.push(r);
    f1.push(p + r > 0 ? (2 * p * r) / (p + r) : 0);
  }
  return { precision, recall, f1 };
}

/**
 * A classification metric from class indices and probabilities (prediction = argmax). Two classes:
 * AUC, F1, precision, recall and brier are about class 1; more: AUC is one-vs-rest macro, F1 macro.
 */
export function classificationMetric(metric: LossMetric, truth: ArrayLike<number>, proba: DenseMatrix): number {
  const n = truth.length;
  if (n === 0 || proba.rows !== n) throw new InputError(`${n} labels for ${proba.rows} predictions`, `metric ${metric}`);
  const K = proba.cols;
  for (let i = 0; i < n; i++) if (!(truth[i] >= 0 && truth[i] < K && Number.isInteger(truth[i]))) throw new InputError(`label ${truth[i]} of trial ${i} is not one of the ${K} classes`, `metric ${metric}`);
  const pred = argmaxRows(proba);
  let correct = 0;
  for (let i = 0; i < n; i++) if (pred[i] === truth[i]) correct++;
  switch (metric) {
    case 'MCR':
      return 1 - correct / n;
    case 'accuracy':
      return correct / n;
    case 'balanced_accuracy':
      return balancedAccuracy(truth, pred, K);
    case 'AUC': {
      if (K === 2) return rocAuc(truth, Float64Array.from({ length: n }, (_, i) => proba.data[i * 2 + 1]));
      let s = 0;
      for (let k = 0; k < K; k++) s += rocAuc(Int32Array.from(truth, (t) => (t === k ? 1 : 0)), Float64Array.from({ length: n }, (_, i) => proba.data[i * K + k]));
      return s / K;
    }
    case 'log_loss':
      return logLoss(truth, proba);
    case 'brier': {
      if (K !== 2) throw new InputError('the Brier score is defined here for two classes', `metric ${metric}`);
      let s = 0;
      for (let i = 0; i < n; i++) s += (proba.data[i * 2 + 1] - (truth[i] === 1 ? 1 : 0)) ** 2;
      return s / n;
    }
    case 'F1':
    case 'precision':
    case 'recall': {
      const r = prf(truth, pred, K);
      const v = metric === 'F1' ? r.f1 : metric === 'precision' ? r.precision : r.recall;
      return K === 2 ? v[1] : v.reduce((a, b) => a + b, 0) / K;
    }
    default:
      throw new InputError(`"${metric}" is not a classification metric; use one of ${CLASSIFICATION_METRICS.join(', ')}`, 'metric');
  }
}

/** A regression metric (MSE, RMSE, MAE, R2) of predicted against true values. */
export function regressionMetric(metric: LossMetric, truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const n = truth.length;
  if (n === 0 || predicted.length !== n) throw new InputError(`${n} targets for ${predicted.length} predictions`, `metric ${metric}`);
  let se = 0;
  let ae = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) {
    se += (truth[i] - predicted[i]) ** 2;
    ae += Math.abs(truth[i] - predicted[i]);
    mean += truth[i] / n;
  }
  switch (metric) {
    case 'MSE':
      return se / n;
    case 'RMSE':
      return Math.sqrt(se / n);
    case 'MAE':
      return ae / n;
    case 'R2': {
      let ss = 0;
      for (let i = 0; i < n; i++) ss += (truth[i] - mean) ** 2;
      return ss === 0 ? (se === 0 ? 1 : 0) : 1 - se / ss;
    }
    default:
      throw new InputError(`"${metric}" is not a regression metric; use one of ${REGRESSION_METRICS.join(', ')}`, 'metric');
  }
}

/** Search metrics as scikit-learn scorer names: higher is better (neg_log_loss = −log loss). */
export type SearchMetric = 'accuracy' | 'balanced_accuracy' | 'roc_auc' | 'neg_log_loss' | 'f1' | 'precision' | 'recall';

export function searchScore(metric: SearchMetric, truth: ArrayLike<number>, proba: DenseMatrix): number {
  switch (metric) {
    case 'roc_auc':
      return classificationMetric('AUC', truth, proba);
    case 'neg_log_loss':
      return -logLoss(truth, proba);
    case 'f1':
      return classificationMetric('F1', truth, proba);
    case 'accuracy':
    case 'balanced_accuracy':
    case 'precision':
    case 'recall':
      return classificationMetric(metric, truth, proba);
    default:
      throw new InputError(`search metric "${metric}" is not known; use accuracy, balanced_accuracy, roc_auc, neg_log_loss, f1, precision or recall`, 'search metric');
  }
}
