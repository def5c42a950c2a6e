// NeuroPype's machine_learning module on the packet model: the learners LogisticRegression and
// LinearDiscriminantAnalysis (ml/learners.ts, checked against scikit-learn), MeasureLoss
// (ml/metrics.ts) and the nodes that bring calibration data into a live pipeline,
// InjectCalibrationData and AccumulateCalibrationData. Engine worker / Node. Learners follow
// calibration.ts (train on labelled non-streaming chunks, one model per chunk name, predict on
// every chunk, nothing before); the calibration nodes emit the calibration packet flagged
// non-streaming, then the live packets (docs/packets.md §5).
import { InputError } from '../../core/errors';
import { featureAxis, TARGET, type Axis, type FeatureAxis } from '../axes';
import { axisIndex, findAxis, makeBlock, selectAlong, sliceAlong } from '../block';
import { ChunkModels, labelsOf } from '../calibration';
import { concatPackets, copyPacket, markersOf, withProps, chunkProps, type Chunk, type Packet } from '../packet';
import { chunkShape, mapShapes, UNKNOWN_SHAPE, type ChunkShape, type ShapeFn } from '../shapes';
import type { NodeClass, NodeInstance, ParamSpec, PortValues, TrainableState } from '../types';
import { dense, type DenseMatrix } from '../../ml/linalg';
import { LdaLearner, LogisticLearner, type Label, type LdaLearnerState, type LogisticLearnerState } from '../../ml/learners';
import { CLASSIFICATION_METRICS, classificationMetric, REGRESSION_METRICS, regressionMetric, type LossMetric, type SearchMetric } from '../../ml/metrics';
import { input, np, output, p } from './common';
import { ITEMS, itemsAndFeatures } from './ml';

// ------------------------------------------------------------------------------- shared learner frame

/** Parameters that do not change the numbers (accepted and ignored). */
const INERT = (): ParamSpec[] => [
  p.int('verbosity', 0, 'Accepted for NeuroPype compatibility (ignored).'),
  p.int('num_jobs', 1, 'Accepted for NeuroPype compatibility (ignored: one thread).'),
  p.dict('metadata', {}, 'Accepted for NeuroPype compatibility (ignored).'),
  p.bool('set_breakpoint', false, 'Accepted for NeuroPype compatibility (ignored).'),
];

const CALIBRATION_PARAMS = (): ParamSpec[] => [
  p.string('cond_field', TARGET, 'Instance field holding the class labels.'),
  p.bool('initialize_once', true, 'Train once; false = retrain on every labelled non-streaming chunk.'),
  p.bool('dont_reset_model', false, 'Keep the model when the graph upstream changes.'),
  p.bool('probabilistic', true, 'Output class probabilities (one feature per class); false = the predicted label (feature "prediction").'),
];

/** Refuses a parameter NeuroPype has but this node cannot honour, unless it is at its default. */
export function refuseUnlessDefault(params: Readonly<Record<string, unknown>>, name: string, def: unknown, why: string, who: string): void {
  if (JSON.stringify(params[name]) !== JSON.stringify(def)) throw new InputError(`parameter "${name}" = ${JSON.stringify(params[name])} is not supported (${why}); leave it at ${JSON.stringify(def)}`, who);
}

interface Learner {
  classes: readonly Label[];
  predictProba(x: DenseMatrix): DenseMatrix;
  toJSON(): unknown;
}

interface LearnerSpec {
  type: string;
  title: string;
  alias: ReturnType<typeof np>;
  doc: string;
  params: ParamSpec[];
  /** Throws an InputError for parameters that cannot be honoured (load time). */
  check?(params: Readonly<Record<string, unknown>>, who: string): void;
  fit(x: DenseMatrix, y: Label[], params: Readonly<Record<string, unknown>>, who: string): Learner;
  fromJSON(state: unknown): Learner;
}

/** Rows × features of a chunk as float64 (a copy: the chunk is valid only during its step). */
function matrixOf(c: Chunk): DenseMatrix {
  const { rows, width, data } = itemsAndFeatures(c);
  return dense(rows, width, Float64Array.from(data));
}

/** The labelled rows of a chunk: features and labels (NaN labels dropped). */
function labelledRows(c: Chunk, who: string, field: string): { x: DenseMatrix; y: number[] } {
  const y = labelsOf(c, who, field);
  const all = matrixOf(c);
  const keep: number[] = [];
  for (let i = 0; i < y.length; i++) if (Number.isFinite(y[i])) keep.push(i);
  const x = dense(keep.length, all.cols);
  keep.forEach((r, i) => x.data.set(all.data.subarray(r * all.cols, (r + 1) * all.cols), i * all.cols));
  return { x, y: keep.map((i) => y[i]) };
}

/** A learner's output shape: the item axis × one feature axis (classes), as NeuroPype's. */
function learnerOutShape(s: ChunkShape): ChunkShape {
  const item = s.axes.includes('instance') ? 'instance' : 'time';
  return chunkShape(s.name, [item, 'feature'], { ...s.flags, is_signal: true, has_markers: false });
}

function learnerClass(spec: LearnerSpec): NodeClass {
  return {
    type: spec.type,
    package: 'ml',
    title: spec.title,
    version: '1.0.0',
    neuropype: spec.alias,
    trainable: true,
    doc: spec.doc,
    inputs: [input('data', ITEMS, 'Labelled instances (calibration) / instances to classify.', { hint: 'a learner needs instances (segment the signal, then reduce to features)' })],
    outputs: [output('data', mapShapes('data', ITEMS, learnerOutShape), 'Per instance: the probability of each class (features named by the sorted class labels).')],
    params: [...spec.params, ...CALIBRATION_PARAMS(), ...INERT()],
    create(params, ctx) {
      spec.check?.(params, ctx.nodeId);
      const condField = params.cond_field as string;
      const probabilistic = params.probabilistic as boolean;
      const models = new ChunkModels<Learner>({ initializeOnce: params.initialize_once as boolean, condField });
      /** Labelled streaming rows seen while untrained, for `fit()` (Execution.fit / an offline first pass). */
      let pending = new Map<string, { x: DenseMatrix[]; y: number[] }>();
      const outAxes = new Map<string, { model: Learner; feature: FeatureAxis; props: Chunk['props'] }>();

      const train = (name: string, x: DenseMatrix, y: number[]) => {
        models.set(name, spec.fit(x, y, params, ctx.nodeId));
        ctx.log(20, `trained on ${y.length} labelled instances of "${name}" (classes ${[...new Set(y)].sort((a, b) => a - b).join(', ')})`);
      };
      const predict = (m: Learner, c: Chunk, name: string): Chunk => {
        const x = matrixOf(c);
        const proba = m.predictProba(x);
        let o = outAxes.get(name);
        if (!o || o.model !== m || o.props.is_streaming !== c.props.is_streaming) {
          const feature = probabilistic ? featureAxis(m.classes.map(String), m.classes.map(() => 'probability')) : featureAxis(['prediction'], ['class']);
          const src = c.props.source;
          o = { model: m, feature, props: chunkProps({ ...src, id: `${src.id}.prediction`, kind: 'predictions' }, { is_signal: true, is_streaming: c.props.is_streaming }) };
          outAxes.set(name, o);
        }
        const K = m.classes.length;
        const w = probabilistic ? K : 1;
        const out = new Float32Array(x.rows * w);
        for (let i = 0; i < x.rows; i++) {
          if (probabilistic) for (let k = 0; k < K; k++) out[i * K + k] = proba.data[i * K + k];
          else {
            let best = 0;
            for (let k = 1; k < K; k++) if (proba.data[i * K + k] > proba.data[i * K + best]) best = k;
            out[i] = Number(m.classes[best]);
          }
        }
        const items = c.block.axes[axisIndex(c.block, 'instance') >= 0 ? axisIndex(c.block, 'instance') : axisIndex(c.block, 'time')];
        const axes: Axis[] = [items, o.feature];
        return { block: makeBlock(out, axes), props: o.props };
      };

      const trainable: TrainableState = {
        keepOnUpstreamChange: params.dont_reset_model as boolean,
        get fitted() {
          return models.fitted;
        },
        get collected() {
          let n = 0;
          for (const v of pending.values()) n += v.y.length;
          return n;
        },
        fit() {
          if (!pending.size) throw new InputError(`no labelled instances reached this node (labels in "${condField}"); feed calibration data (ImportFile/InjectCalibrationData, AssignTargets, Segmentation)`, ctx.nodeId);
          for (const [name, v] of pending) {
            const cols = v.x[0].cols;
            const x = dense(v.y.length, cols);
            let r = 0;
            for (const m of v.x) {
              x.data.set(m.data, r * cols);
              r += m.rows;
            }
            train(name, x, v.y);
          }
          pending = new Map();
        },
        exportModel: () => Object.fromEntries(Object.entries(models.exportModels()).map(([k, m]) => [k, m.toJSON()])),
        importModel(state) {
          if (!state || typeof state !== 'object') throw new InputError(`a ${spec.alias.class} model is an object of models by chunk name`, ctx.nodeId);
          models.importModels(Object.fromEntries(Object.entries(state as Record<string, unknown>).map(([k, s]) => [k, spec.fromJSON(s)])));
        },
        clear() {
          models.clear();
          pending = new Map();
        },
      };
      const node: NodeInstance = {
        trainable,
        process(inputs: PortValues) {
          const d = inputs.data;
          if (!d) return;
          const out = new Map<string, Chunk>();
          for (const [name, c] of d) {
            if (c.props.has_markers || !(findAxis(c.block, 'instance') || findAxis(c.block, 'time'))) {
              out.set(name, c);
              continue;
            }
            if (models.wantsTraining(name, c)) {
              const { x, y } = labelledRows(c, ctx.nodeId, condField);
              train(name, x, y);
            } else if (!models.get(name) && !c.props.is_streaming && findAxis(c.block, 'instance')) {
              labelsOf(c, ctx.nodeId, condField); // calibration data without labels: says which markers it saw
            } else if (!models.get(name) && c.props.is_streaming) {
              const t = findAxis(c.block, 'instance')?.fields[condField];
              if (t instanceof Float64Array && t.some(Number.isFinite)) {
                const { x, y } = labelledRows(c, ctx.nodeId, condField);
                const acc = pending.get(name) ?? { x: [], y: [] };
                acc.x.push(x);
                acc.y.push(...y);
                pending.set(name, acc);
              }
            }
            const m = models.get(name);
            if (m) out.set(name, predict(m, c, name));
          }
          return out.size ? { data: out } : undefined;
        },
        reset() {
          outAxes.clear();
        },
      };
      return node;
    },
  };
}

// ------------------------------------------------------------------------------- LogisticRegression

const SEARCH_METRICS = ['accuracy', 'balanced_accuracy', 'roc_auc', 'neg_log_loss', 'f1', 'precision', 'recall'] as const;

function classWeightsOf(v: unknown, who: string): null | 'balanced' | 'auto' | Record<string, number> {
  if (v === null || v === undefined || v === '') return null;
  if (v === 'balanced' || v === 'auto') return v;
  if (typeof v === 'object' && !Array.isArray(v)) return v as Record<string, number>;
  throw new InputError(`class_weights must be null, "auto", "balanced" or a dict of label → weight, got ${JSON.stringify(v)}`, who);
}

class LogisticAdapter implements Learner {
  constructor(readonly m: LogisticLearner) {}
  get classes() {
    return this.m.state.classes;
  }
  predictProba(x: DenseMatrix) {
    return this.m.predictProba(x);
  }
  toJSON() {
    return this.m.toJSON();
  }
}

export const logisticRegression: NodeClass = learnerClass({
  type: 'ml.logistic-regression',
  title: 'Logistic regression',
  alias: np('LogisticRegression', 'machine_learning'),
  doc: `Regularised logistic regression over instances (NeuroPype's LogisticRegression; scikit-learn's
LogisticRegression inside a grid search over \`alphas\`, C = 1/alpha, with unshuffled KFold,
docs/neural.md). Trains on a non-streaming chunk whose instances carry labels in \`cond_field\`
(an imported recording, InjectCalibrationData, AccumulateCalibrationData), keeps one model per
chunk name, predicts on every chunk (the training chunk too) and outputs nothing before.
Labelled streaming instances seen while untrained are kept for \`Execution.fit()\` (and the
first pass of an offline run).

- **in \`data\`**: instances (or feature frames); every axis but the item axis is flattened into
  features. Marker chunks pass through.
- **out \`data\`**: instance × feature, one feature per class (names = the sorted class labels)
  holding probabilities; with **probabilistic** false one feature "prediction" holding the label.
- **regularizer** (l2 | l1), **alphas** (list; one value = no search), **search_metric**,
  **num_folds**, **class_weights** (null, "auto" = "balanced", or {label: weight}), **multiclass**
  (ovr | multinomial | auto), **include_bias**, **bias_scaling** (l1 only), **solver**
  (any: the converged optimum is the same), **max_iter**, **tolerance** (the solvers run to
  convergence), **cond_field**, **initialize_once**, **dont_reset_model**. Not supported (refused
  unless at the default): **dual_formulation**, **l1_ratios**, **feature_scaling**.`,
  params: [
    p.enum('regularizer', 'l2', ['l2', 'l1'], 'Penalty: l2 (small weights) or l1 (sparse weights).'),
    p.list('alphas', [0.1, 0.5, 1.0, 5, 10.0], 'Candidate regularisation strengths (C = 1/alpha), chosen by cross-validation.', { items: 'number' }),
    p.enum('search_metric', 'accuracy', SEARCH_METRICS, 'Cross-validation score of the alphas search.'),
    p.int('num_folds', 5, 'Folds of the search (unshuffled).', { domain: [2, 1000] }),
    p.any('class_weights', null, 'null, "auto"/"balanced", or a dict label → weight.'),
    p.enum('solver', 'lbfgs', ['lbfgs', 'auto', 'liblinear', 'newton-cg', 'sag', 'saga'], 'Accepted: every solver converges to the same optimum here.'),
    p.bool('dual_formulation', false, 'Dual problem (not supported).'),
    p.enum('multiclass', 'ovr', ['ovr', 'multinomial', 'auto'], 'More than two classes: one-vs-rest or multinomial.'),
    p.int('max_iter', 100, 'Accepted (the optimiser runs to convergence).', { domain: [1, 1e9] }),
    p.float('tolerance', 1e-4, 'Accepted (the optimiser runs to convergence).', { domain: [0, Infinity] }),
    p.bool('include_bias', true, 'Fit an intercept.'),
    p.float('bias_scaling', 1.0, 'liblinear intercept scaling (l1).', { domain: [0, Infinity] }),
    p.list('l1_ratios', null, 'Elastic net mixing (not supported).'),
    p.enum('feature_scaling', 'none', ['none', 'std', 'minmax'], 'Feature scaling (not supported).'),
    p.int('random_seed', 12345, 'Accepted (the folds are not shuffled).'),
  ],
  check(params, who) {
    refuseUnlessDefault(params, 'dual_formulation', false, 'the dual solver is not implemented; the primal gives the same model', who);
    refuseUnlessDefault(params, 'l1_ratios', null, 'elastic-net is not implemented', who);
    refuseUnlessDefault(params, 'feature_scaling', 'none', 'NeuroPype does not document its scalings', who);
    const alphas = params.alphas as unknown[];
    if (!alphas.length || alphas.some((a) => typeof a !== 'number' || !(a > 0))) throw new InputError(`alphas must be a non-empty list of positive numbers, got ${JSON.stringify(alphas)}`, who);
    classWeightsOf(params.class_weights, who);
  },
  fit(x, y, params, who) {
    return new LogisticAdapter(
      LogisticLearner.fit(x, y, {
        regularizer: params.regularizer as 'l1' | 'l2',
        alphas: params.alphas as number[],
        searchMetric: params.search_metric as SearchMetric,
        numFolds: params.num_folds as number,
        classWeights: classWeightsOf(params.class_weights, who),
        multiclass: params.multiclass as 'ovr' | 'multinomial' | 'auto',
        includeBias: params.include_bias as boolean,
        biasScaling: params.bias_scaling as number,
      }),
    );
  },
  fromJSON: (s) => new LogisticAdapter(LogisticLearner.fromJSON(s as LogisticLearnerState)),
});

// ------------------------------------------------------------------------------- LinearDiscriminantAnalysis

class LdaAdapter implements Learner {
  constructor(readonly m: LdaLearner) {}
  get classes() {
    return this.m.state.classes;
  }
  predictProba(x: DenseMatrix) {
    return this.m.predictProba(x);
  }
  toJSON() {
    return this.m.toJSON();
  }
}

function shrinkageOf(v: unknown, who: string): null | 'auto' | number | number[] {
  if (v === null || v === 'auto') return v;
  if (typeof v === 'number' && v >= 0 && v <= 1) return v;
  if (Array.isArray(v) && v.length && v.every((s) => typeof s === 'number' && s >= 0 && s <= 1)) return v as number[];
  throw new InputError(`shrinkage must be "auto", null, a number in [0, 1] or a list of them, got ${JSON.stringify(v)}`, who);
}

export const linearDiscriminantAnalysis: NodeClass = learnerClass({
  type: 'ml.linear-discriminant-analysis',
  title: 'Linear discriminant analysis',
  alias: np('LinearDiscriminantAnalysis', 'machine_learning'),
  doc: `Linear discriminant analysis over instances (NeuroPype's LinearDiscriminantAnalysis; scikit-learn's,
docs/neural.md), with the calibration semantics of LogisticRegression.

- **in/out \`data\`**: as LogisticRegression (probabilities from predict_proba, softmax of the
  decision values).
- **shrinkage** ("auto" = Ledoit–Wolf; a number in [0, 1]; a list = searched by CV; null),
  **solver** (eigen | lsqr | svd; svd has no shrinkage), **search_metric**, **num_folds**,
  **class_weights** (dict label → prior weight), **tolerance** (svd rank threshold). Not
  supported (refused unless at the default): **dimensionality_reduction**, **max_feature_select**,
  **feature_selection**, **robust_method**, **huber_threshold**.`,
  params: [
    p.any('shrinkage', 'auto', '"auto" (Ledoit–Wolf), a number in [0, 1], a list searched by CV, or null.'),
    p.enum('solver', 'eigen', ['eigen', 'lsqr', 'svd'], 'LDA solver.'),
    p.enum('search_metric', 'accuracy', SEARCH_METRICS, 'Cross-validation score of the shrinkage search.'),
    p.int('num_folds', 5, 'Folds of the search (unshuffled).', { domain: [2, 1000] }),
    p.any('class_weights', null, 'Dict label → prior weight (missing labels 1), or null.'),
    p.float('tolerance', 1e-4, 'Rank threshold of the svd solver.', { domain: [0, Infinity] }),
    p.int('dimensionality_reduction', null, 'Not supported.'),
    p.int('max_feature_select', null, 'Not supported.'),
    p.enum('feature_selection', 'none', ['none', 'anova', 'mutual_info', 'rfe'], 'Not supported.'),
    p.enum('feature_sel_group_op', 'max', ['max', 'mean', 'min', 'sum'], 'Inert without feature selection.'),
    p.int('feature_sel_group_size', 1, 'Inert without feature selection.'),
    p.enum('robust_method', 'none', ['none', 'huber', 'mcd', 'tyler'], 'Not supported.'),
    p.list('robust_gamma', [1, 1.25, 1.5, 2, 2.5, 5, 10, 20, 40, 80, 160], 'Inert without a robust method.'),
    p.float('robust_max_contamination', null, 'Inert without a robust method.'),
    p.any('huber_threshold', 0, 'Not supported.'),
  ],
  check(params, who) {
    refuseUnlessDefault(params, 'dimensionality_reduction', null, 'not documented by NeuroPype', who);
    refuseUnlessDefault(params, 'max_feature_select', null, 'not documented by NeuroPype', who);
    refuseUnlessDefault(params, 'feature_selection', 'none', 'not documented by NeuroPype', who);
    refuseUnlessDefault(params, 'robust_method', 'none', 'robust covariances are not implemented', who);
    refuseUnlessDefault(params, 'huber_threshold', 0, 'robust covariances are not implemented', who);
    const s = shrinkageOf(params.shrinkage, who);
    if (params.solver === 'svd' && s !== null) throw new InputError(`solver "svd" has no shrinkage; set shrinkage null or use solver "eigen"/"lsqr"`, who);
    if (params.class_weights !== null && params.class_weights !== '' && (typeof params.class_weights !== 'object' || Array.isArray(params.class_weights))) {
      throw new InputError(`class_weights must be null or a dict label → weight, got ${JSON.stringify(params.class_weights)}`, who);
    }
  },
  fit(x, y, params, who) {
    const cw = params.class_weights;
    return new LdaAdapter(
      LdaLearner.fit(x, y, {
        solver: params.solver as 'eigen' | 'lsqr' | 'svd',
        shrinkage: shrinkageOf(params.shrinkage, who),
        searchMetric: params.search_metric as SearchMetric,
        numFolds: params.num_folds as number,
        classWeights: cw && typeof cw === 'object' ? (cw as Record<string, number>) : null,
        tolerance: params.tolerance as number,
      }),
    );
  },
  fromJSON: (s) => new LdaAdapter(LdaLearner.fromJSON(s as LdaLearnerState)),
});

// ------------------------------------------------------------------------------- MeasureLoss

export const measureLoss: NodeClass = {
  type: 'ml.measure-loss',
  package: 'ml',
  title: 'Measure loss',
  version: '1.0.2',
  neuropype: np('MeasureLoss', 'machine_learning'),
  doc: `Loss between a learner's predictions and the true labels of the instances (NeuroPype's
MeasureLoss; scikit-learn's metrics, docs/neural.md). Online it is a running value over all
streaming instances since the last reset; a non-streaming chunk is measured on its own (with
**accumulate_offline**, added to the running totals).

- **in \`data\`**: instance × feature predictions: class probabilities (features named by the
  class labels, as LogisticRegression/LDA output) for classification metrics, one predicted value
  for regression metrics; the true labels in the instances' \`cond_field\`.
- **out \`loss\`**: one feature named after the metric (SelectRange(feature, ["MCR"]) picks it).
- **loss_metric** (MCR = misclassification rate, accuracy, balanced_accuracy, AUC, log_loss, F1,
  precision, recall, brier; MSE, RMSE, MAE, R2), **cond_field**, **accumulate_offline**,
  **ignore_resets** (keep the totals over graph resets). **output_for_stats_table** is not
  supported (refused unless false).`,
  inputs: [input('data', [{ onlySignals: true, withAxes: ['instance', 'feature'] }], 'Predictions with true labels.', { hint: 'feed the output of a learner (instance × feature) whose instances carry targets' })],
  outputs: [output('loss', mapShapes('data', [{ onlySignals: true, withAxes: ['instance', 'feature'] }], (s) => chunkShape(s.name, ['feature'], { is_signal: true, has_markers: false })), 'The loss, one feature named after the metric.')],
  params: [
    p.enum('loss_metric', 'MCR', [...CLASSIFICATION_METRICS, ...REGRESSION_METRICS], 'Metric.'),
    p.string('cond_field', TARGET, 'Instance field with the true labels.'),
    p.bool('accumulate_offline', false, 'Add non-streaming chunks to the running totals.'),
    p.bool('ignore_resets', false, 'Keep the running totals when the graph resets.'),
    p.bool('output_for_stats_table', false, 'Not supported.'),
    ...INERT().slice(2),
  ],
  create(params, ctx) {
    refuseUnlessDefault(params, 'output_for_stats_table', false, 'its format is not documented', ctx.nodeId);
    const metric = params.loss_metric as LossMetric;
    const field = params.cond_field as string;
    const regression = REGRESSION_METRICS.includes(metric);
    let truth: number[] = [];
    let pred: number[][] = [];
    const measure = (t: number[], q: number[][]): number => {
      if (regression) return regressionMetric(metric, t, q.map((r) => r[0]));
      const K = q[0].length;
      return classificationMetric(metric, t, dense(q.length, K, Float64Array.from(q.flat())));
    };
    return {
      process(inputs) {
        const out = new Map<string, Chunk>();
        for (const [name, c] of inputs.data ?? []) {
          const inst = findAxis(c.block, 'instance');
          const feat = findAxis(c.block, 'feature');
          if (c.props.has_markers || !inst || !feat) continue;
          const y = inst.fields[field];
          if (!(y instanceof Float64Array)) throw new InputError(`the instances carry no "${field}" field to measure against; its fields are ${Object.keys(inst.fields).join(', ') || 'none'}`, ctx.nodeId);
          const { rows, width, data } = itemsAndFeatures(c);
          const t: number[] = [];
          const q: number[][] = [];
          for (let i = 0; i < rows; i++) {
            if (!Number.isFinite(y[i])) continue;
            const row = Array.from(data.subarray(i * width, (i + 1) * width));
            if (regression) {
              t.push(y[i]);
              q.push(row);
            } else {
              const k = feat.names.indexOf(String(y[i]));
              if (k < 0) throw new InputError(`true label ${y[i]} is not among the prediction's classes (${feat.names.join(', ')}); feed class probabilities from a learner trained on the same labels`, ctx.nodeId);
              t.push(k);
              q.push(row);
            }
          }
          if (!t.length) continue;
          let value: number;
          if (c.props.is_streaming || params.accumulate_offline) {
            truth.push(...t);
            pred.push(...q);
            value = measure(truth, pred);
          } else value = measure(t, q);
          out.set(name, { block: makeBlock(Float64Array.of(value), [featureAxis([metric], ['loss'])]), props: chunkProps({ ...c.props.source, id: `${c.props.source.id}.loss` }, { is_signal: true, is_streaming: c.props.is_streaming }) });
        }
        return out.size ? { loss: out } : undefined;
      },
      reset() {
        if (params.ignore_resets) return;
        truth = [];
        pred = [];
      },
    };
  },
};

// ------------------------------------------------------------------------------- InjectCalibrationData

/** Every chunk of a packet flagged non-streaming (calibration data). */
function asCalibration(pk: Packet): Packet {
  const out = new Map<string, Chunk>();
  for (const [name, c] of pk) out.set(name, c.props.is_streaming ? { block: c.block, props: withProps(c.props, { is_streaming: false }) } : c);
  return out;
}

/** The calibration packet's shape (flagged non-streaming) followed by the live chunks of other names. */
function injectShape(calibPort: string, livePort: string): ShapeFn {
  return (ins) => {
    const calib = ins[calibPort];
    const live = ins[livePort];
    if (calib === UNKNOWN_SHAPE || live === UNKNOWN_SHAPE) return UNKNOWN_SHAPE;
    const unflag = (s: ChunkShape): ChunkShape => {
      const { is_streaming: _, ...flags } = s.flags;
      return { ...s, flags };
    };
    const out = (calib ?? []).map(unflag);
    for (const s of live ?? []) if (!out.some((o) => o.name === s.name && o.flags.has_markers === s.flags.has_markers)) out.push(unflag(s));
    return out;
  };
}

/**
 * Emits a calibration packet once, then the live packets; a live packet that arrives with (or
 * before, when `delay`) the calibration packet is queued and emitted with the next call or at flush.
 */
class CalibrationGate {
  private queued: Packet | undefined;
  constructor(private readonly delay: boolean) {}
  sent = false;

  /** The packet to emit this step for a calibration packet (or none) and a live packet (or none). */
  step(calib: Packet | undefined, live: Packet | undefined): Packet | undefined {
    if (calib) {
      this.sent = true;
      if (live) this.queue(live);
      return asCalibration(calib);
    }
    if (!live) return undefined;
    if (!this.sent) {
      if (this.delay) this.queue(live);
      return undefined;
    }
    const q = this.queued;
    this.queued = undefined;
    return q ? concatPackets(q, live) : live;
  }

  private queue(live: Packet): void {
    const c = copyPacket(live);
    this.queued = this.queued ? concatPackets(this.queued, c) : c;
  }

  flush(): Packet | undefined {
    const q = this.sent ? this.queued : undefined;
    this.queued = undefined;
    return q;
  }

  reset(): void {
    this.queued = undefined;
    this.sent = false;
  }
}

export const injectCalibrationData: NodeClass = {
  type: 'ml.inject-calibration-data',
  package: 'ml',
  title: 'Inject calibration data',
  version: '1.0.0',
  neuropype: np('InjectCalibrationData', 'machine_learning'),
  doc: `Joins a calibration recording and a live stream into one path (NeuroPype's InjectCalibrationData):
the packet on \`calib_data\` (e.g. ImportXDF of a calibration session) goes out first, flagged
non-streaming, so the trainable nodes downstream train on it; the live packets follow. A new
calibration packet later is injected again.

- **in \`streaming_data\`**: the live stream (LSLInput …). **in \`calib_data\`** (optional):
  the calibration packet. Unwired, the live stream passes through.
- **out \`data\`**: the calibration packet, then the live packets.
- **delay_streaming_packets** (bool): live packets that arrive before the calibration packet are
  queued and emitted after it (false: dropped). A live packet arriving in the same step as the
  calibration packet always follows it on the next step (NeuroPype never merges the two).`,
  inputs: [input('streaming_data', [], 'Live packets.'), input('calib_data', [], 'Calibration packet (imported recording).', { optional: true })],
  outputs: [output('data', injectShape('calib_data', 'streaming_data'), 'The calibration packet, then the live packets.')],
  params: [p.bool('delay_streaming_packets', false, 'Queue live packets until the calibration packet has gone out.'), ...INERT().slice(2)],
  create(params, ctx) {
    const gate = new CalibrationGate(params.delay_streaming_packets as boolean);
    const calibWired = () => ctx.isWired?.('calib_data') ?? true;
    return {
      process(inputs) {
        if (!calibWired()) return inputs.streaming_data ? { data: inputs.streaming_data } : undefined;
        const calib = inputs.calib_data?.size ? inputs.calib_data : undefined;
        if (calib) ctx.log(20, `calibration packet injected (${[...calib.keys()].join(', ')})`);
        const out = gate.step(calib, inputs.streaming_data?.size ? inputs.streaming_data : undefined);
        return out ? { data: out } : undefined;
      },
      flush() {
        const q = gate.flush();
        return q ? { data: q } : undefined;
      },
      reset: () => gate.reset(),
    };
  },
};

// ------------------------------------------------------------------------------- AccumulateCalibrationData

function markerList(v: unknown): string[] {
  return (Array.isArray(v) ? v : [v]).filter((m) => m !== null && m !== undefined && m !== '').map(String);
}

/** The first marker event of a packet with one of `values` at or after `fromMs`. */
function findMarker(pk: Packet, values: readonly string[], fromMs = -Infinity): number | undefined {
  let best: number | undefined;
  for (const c of pk.values()) {
    if (!c.props.has_markers) continue;
    for (const e of markersOf(c)) if (e.timestampMs >= fromMs && values.includes(e.value) && (best === undefined || e.timestampMs < best)) best = e.timestampMs;
  }
  return best;
}

/**
 * The part of each chunk whose items (instances, else time samples) lie in [fromMs, toMs]; chunks
 * without either stay whole. `after`: (fromMs, toMs] instead, and chunks left empty or without
 * items are dropped (the remainder of a packet after a span). Allocates.
 */
function cutByTime(pk: Packet, fromMs: number, toMs: number, opts: { after?: boolean } = {}): Packet {
  const drop = opts.after === true;
  const out = new Map<string, Chunk>();
  for (const [name, c] of pk) {
    const t = axisIndex(c.block, 'time');
    const i = axisIndex(c.block, 'instance');
    // segmented data is cut by its instances (their times are absolute); a continuous signal by its samples
    const d = i >= 0 ? i : t;
    if (d < 0) {
      if (!drop) out.set(name, c);
      continue;
    }
    const times = (c.block.axes[d] as { timesMs: Float64Array }).timesMs;
    let a = 0;
    while (a < times.length && (times[a] < fromMs || (opts.after && times[a] === fromMs))) a++;
    let b = a;
    while (b < times.length && times[b] <= toMs) b++;
    if (b === a && drop) continue;
    const block = d === t ? sliceAlong(c.block, d, a, b) : selectAlong(c.block, d, Int32Array.from({ length: b - a }, (_, k) => a + k));
    out.set(name, { block, props: c.props });
  }
  return out;
}

export const accumulateCalibrationData: NodeClass = {
  type: 'ml.accumulate-calibration-data',
  package: 'ml',
  title: 'Accumulate calibration data',
  version: '1.0.0',
  neuropype: np('AccumulateCalibrationData', 'machine_learning'),
  doc: `Collects the live calibration data recorded at the start of a session and emits it in one
non-streaming packet, so the trainable nodes downstream train on it (NeuroPype's
AccumulateCalibrationData). The span runs from the \`begin_marker\` event to the \`end_marker\`
event (both included, sample-exact whatever the chunking); every chunk of the packet (signal and
markers) is cut to it, joined along time and flagged non-streaming. Afterwards the live packets
pass through (the part of the last packet after the end marker first, on the next step).

- **in/out \`data\`**: the live stream with its markers riding along (LSLInput with marker_query).
- **begin_marker**, **end_marker** (string or list of strings), **calibration_first** (nothing
  passes before the calibration packet; false = the live packets pass while accumulating),
  **emit_calib_data** (false: the span is not emitted), **emit_predict_data** (false: nothing
  after the span passes), **can_recalibrate** (a later begin … end span is emitted again).
  **marker_mode** "markers" only (refused otherwise: NeuroPype does not document the others).`,
  inputs: [input('data', [], 'Live packets with markers.')],
  outputs: [output('data', injectShape('data', 'data'), 'The calibration packet (non-streaming), then the live packets.')],
  params: [
    p.any('begin_marker', 'calib-begin', 'Marker (or list of markers) that begins the calibration span.'),
    p.any('end_marker', 'calib-end', 'Marker (or list of markers) that ends it.'),
    p.enum('marker_mode', 'markers', ['markers'], 'How the span is delimited (markers only).'),
    p.bool('calibration_first', true, 'Output nothing before the calibration packet.'),
    p.bool('emit_calib_data', true, 'Emit the accumulated calibration packet.'),
    p.bool('emit_predict_data', true, 'Pass the live packets after the span.'),
    p.bool('can_recalibrate', false, 'A later span is accumulated and emitted again.'),
    p.bool('print_markers', false, 'Log the markers seen.'),
    p.bool('verbose', false, 'Accepted for NeuroPype compatibility (ignored).'),
    ...INERT().slice(2),
  ],
  create(params, ctx) {
    const begins = markerList(params.begin_marker);
    const ends = markerList(params.end_marker);
    if (!begins.length || !ends.length) throw new InputError('begin_marker and end_marker must name at least one marker each', ctx.nodeId);
    let beginMs: number | undefined;
    let kept: Packet | undefined;
    let calibrated = false;
    let queued: Packet | undefined;
    const afterSpan = (live: Packet | undefined): Packet | undefined => {
      const q = queued;
      queued = undefined;
      if (!params.emit_predict_data) return undefined;
      return q && live ? concatPackets(q, live) : (q ?? live);
    };
    return {
      process(inputs) {
        const d = inputs.data;
        if (!d?.size) return;
        if (params.print_markers) for (const c of d.values()) if (c.props.has_markers) for (const e of markersOf(c)) ctx.log(20, `marker "${e.value}" at ${e.timestampMs} ms`);
        if (beginMs === undefined && (!calibrated || params.can_recalibrate)) beginMs = findMarker(d, begins);
        if (beginMs === undefined) {
          if (calibrated) return wrapData(afterSpan(d));
          return params.calibration_first ? undefined : { data: d };
        }
        const piece = copyPacket(d);
        kept = kept ? concatPackets(kept, piece) : piece;
        const endMs = findMarker(d, ends, beginMs);
        const recalibrating = calibrated;
        const passing = recalibrating ? afterSpan(d) : params.calibration_first ? undefined : d;
        if (endMs === undefined) return wrapData(passing);
        const calib = asCalibration(cutByTime(kept, beginMs, endMs));
        ctx.log(20, `calibration span ${beginMs} … ${endMs} ms accumulated`);
        kept = undefined;
        beginMs = undefined;
        calibrated = true;
        // what follows the span goes out on the next step: the rest of this packet, or (already
        // flowing when recalibrating or not calibration_first) this packet as it is
        const next = passing === d ? piece : (passing ?? (params.calibration_first && !recalibrating ? cutByTime(piece, endMs, Infinity, { after: true }) : undefined));
        if (next?.size) queued = queued ? concatPackets(queued, next) : next;
        if (!params.emit_calib_data) return undefined;
        return { data: calib };
      },
      flush() {
        return wrapData(afterSpan(undefined));
      },
      reset() {
        beginMs = undefined;
        kept = undefined;
        queued = undefined;
        calibrated = false;
      },
    };
  },
};

function wrapData(pk: Packet | undefined): PortValues | undefined {
  return pk?.size ? { data: pk } : undefined;
}

/** This module's classes, most used first (registered by nodes/index.ts). */
export const NP_MACHINE_LEARNING: NodeClass[] = [logisticRegression, injectCalibrationData, accumulateCalibrationData, measureLoss, linearDiscriminantAnalysis];
