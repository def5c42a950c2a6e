// The engine's own trainable node: a per-class-mean (nearest class mean) classifier. It proves the
// calibration mechanism (collect labelled features → fit → predict); the ML library adds real
// decoders on the same TrainableState contract (and NeuroPype's learners on calibration.ts).
// Engine worker / Node.
import { InputError } from '../../core/errors';
import { featureAxis, TARGET, type Axis, type FeatureAxis } from '../axes';
import { flattenFeatures, itemAxisIndex, moveAxis } from '../block';
import { chunkProps, mapChunks, type Chunk, type ChunkQuery } from '../packet';
import { chunkShape, mapShapes, type ChunkShape } from '../shapes';
import type { NodeClass, NodeInstance, PortValues, TrainableState } from '../types';
import { input, MARKERS, markerValuesFor, output, p } from './common';

/** What a learner takes: data chunks with instances (segments, epochs' features) or a time axis (feature frames). */
export const ITEMS: readonly ChunkQuery[] = [
  { onlySignals: true, withAxes: ['instance'] },
  { onlySignals: true, withAxes: ['time'] },
];

/** A learner's output shape: item axis × feature (NeuroPype's instance × feature). */
export function learnerShape(s: ChunkShape): ChunkShape {
  const item = s.axes.includes('instance') ? 'instance' : 'time';
  return chunkShape(s.name, [item, 'feature'], { ...s.flags, is_signal: true });
}

/** A learner's view of a chunk: items (instance, else time) × features, item axis first (allocates only when it is not first). */
export function itemsAndFeatures(c: Chunk): { rows: number; width: number; data: Chunk['block']['data']; items: Axis; targets: Float64Array | undefined } {
  const b = c.block;
  const d = itemAxisIndex(b);
  const flat = flattenFeatures(d > 0 ? moveAxis(b, d, 0) : b);
  const items = flat.axes[0];
  const rows = flat.shape[0];
  const t = items.type === 'instance' ? items.fields[TARGET] : undefined;
  return { rows, width: rows ? flat.data.length / rows : 0, data: flat.data, items, targets: t instanceof Float64Array ? t : undefined };
}

interface ClassMeanModel {
  classes: number[];
  /** [class][feature] */
  means: number[][];
  /** Pooled within-class variance per feature (floor 1e-12). */
  variance: number[];
  features: number;
}

export const classMean: NodeClass = {
  type: 'ml.class-mean',
  package: 'ml',
  title: 'Class-mean classifier (calibrated)',
  version: '1.0.0',
  trainable: true,
  doc: `Nearest-class-mean classifier with a diagonal pooled variance (Gaussian naive Bayes with shared
variances and equal priors). Calibration: while not fitted it **collects** the items that carry a
class target (instances with a TargetValue, from markers.assign-targets → segmentation → variance…),
then it **fits** — when a marker equal to \`fit_marker\` arrives, when every class has
\`min_trials\` examples (if set), when the host calls \`Execution.fit()\`, or after the first pass
of an offline run — and from then on **predicts**. The model is JSON (\`Execution.exportModels\`)
and is kept when the graph upstream changes.

- **in \`data\`**: chunks with instances (or a time axis of feature frames); every axis but the
  item axis is flattened into the features. **in \`markers\`** (optional): fit trigger (else the
  marker chunks riding with the data).
- **out \`data\`**: per item, the posterior probability of each class (features "p(<target>)")
  plus "predicted" (the most likely target); the item axis is kept (instances keep their fields).
- **fit_marker** (string), **min_trials** (int per class; null = never automatically).`,
  inputs: [input('data', ITEMS, 'Labelled features (calibration) / features to classify.', { hint: 'a classifier needs instances (segments) or feature frames' }), input('markers', [MARKERS], 'Fit trigger markers.', { optional: true })],
  outputs: [output('data', mapShapes('data', ITEMS, learnerShape), 'Class probabilities and predicted target.')],
  params: [
    p.string('fit_marker', 'calib-end', 'Marker value that ends calibration and fits.'),
    p.int('min_trials', null, 'Fit automatically once each of ≥ 2 classes has this many examples.', { domain: [1, 1e6] }),
  ],
  create(params, ctx) {
    const fitMarker = params.fit_marker as string;
    const minTrials = params.min_trials as number | null;
    let xs: Float64Array[] = [];
    let ys: number[] = [];
    let model: ClassMeanModel | undefined;
    /** Output feature axis and props per chunk name, for the model they were made for. */
    const outputs = new Map<string, { model: ClassMeanModel; sourceId: string; feature: FeatureAxis; props: Chunk['props'] }>();

    const state: TrainableState = {
      keepOnUpstreamChange: true,
      get fitted() {
        return model !== undefined;
      },
      get collected() {
        return ys.length;
      },
      fit() {
        const classes = [...new Set(ys)].sort((a, b) => a - b);
        if (classes.length < 2) throw new InputError(`calibration needs labelled examples of at least 2 classes; got ${ys.length} examples of ${classes.length}`, ctx.nodeId);
        const f = xs[0].length;
        const means = classes.map(() => new Array<number>(f).fill(0));
        const counts = classes.map(() => 0);
        ys.forEach((y, i) => {
          const k = classes.indexOf(y);
          counts[k]++;
          for (let j = 0; j < f; j++) means[k][j] += xs[i][j];
        });
        means.forEach((m, k) => m.forEach((_, j) => (m[j] /= counts[k])));
        const variance = new Array<number>(f).fill(0);
        ys.forEach((y, i) => {
          const m = means[classes.indexOf(y)];
          for (let j = 0; j < f; j++) variance[j] += (xs[i][j] - m[j]) ** 2;
        });
        const dof = Math.max(1, ys.length - classes.length);
        for (let j = 0; j < f; j++) variance[j] = Math.max(variance[j] / dof, 1e-12);
        model = { classes, means, variance, features: f };
        xs = [];
        ys = [];
      },
      exportModel: () => structuredClone(model),
      importModel(m) {
        const mm = m as ClassMeanModel;
        if (!mm || !Array.isArray(mm.classes) || !Array.isArray(mm.means) || !Array.isArray(mm.variance)) throw new InputError('not a class-mean model', ctx.nodeId);
        model = structuredClone(mm);
      },
      clear() {
        model = undefined;
        xs = [];
        ys = [];
      },
    };

    const predict = (m: ClassMeanModel, c: Chunk, name: string): Chunk => {
      const { rows, width: f, data: x, items } = itemsAndFeatures(c);
      if (f !== m.features) throw new InputError(`model was fitted on ${m.features} features, got ${f}`, ctx.nodeId);
      let o = outputs.get(name);
      if (!o || o.model !== m || o.sourceId !== c.props.source.id) {
        const feature = featureAxis([...m.classes.map((k) => `p(${k})`), 'predicted'], [...m.classes.map(() => 'probability'), 'class']);
        const src = c.props.source;
        o = { model: m, sourceId: src.id, feature, props: chunkProps({ ...src, id: `${src.id}.prediction`, kind: 'predictions' }, { is_signal: true, is_streaming: c.props.is_streaming }) };
        outputs.set(name, o);
      }
      const K = m.classes.length;
      const w = K + 1;
      const out = new Float32Array(rows * w);
      const ll = new Float64Array(K);
      for (let n = 0; n < rows; n++) {
        let best = -Infinity;
        for (let k = 0; k < K; k++) {
          let s = 0;
          for (let j = 0; j < f; j++) s -= (x[n * f + j] - m.means[k][j]) ** 2 / (2 * m.variance[j]);
          ll[k] = s;
          if (s > best) best = s;
        }
        let z = 0;
        let arg = 0;
        for (let k = 0; k < K; k++) {
          ll[k] = Math.exp(ll[k] - best);
          z += ll[k];
          if (ll[k] === 1) arg = k;
        }
        for (let k = 0; k < K; k++) out[n * w + k] = ll[k] / z;
        out[n * w + K] = m.classes[arg];
      }
      const axes: Axis[] = [items, o.feature];
      return { block: { data: out, shape: [rows, w], axes }, props: o.props };
    };
    const node: NodeInstance = {
      trainable: state,
      process(inputs: PortValues) {
        const d = inputs.data;
        if (!model && d) {
          for (const [, c] of d) {
            if (c.props.has_markers) continue;
            const { rows, width: f, data: x, targets } = itemsAndFeatures(c);
            if (!targets) continue;
            for (let n = 0; n < rows; n++) {
              const t = targets[n];
              if (Number.isNaN(t)) continue;
              xs.push(Float64Array.from(x.subarray(n * f, n * f + f)));
              ys.push(t);
            }
          }
          if (minTrials !== null) {
            const counts = new Map<number, number>();
            for (const y of ys) counts.set(y, (counts.get(y) ?? 0) + 1);
            if (counts.size >= 2 && [...counts.values()].every((c) => c >= minTrials)) {
              state.fit();
              ctx.log(20, `fitted on min_trials=${minTrials} per class`);
            }
          }
        }
        if (!model && markerValuesFor(ctx, inputs).includes(fitMarker)) {
          state.fit();
          ctx.log(20, `fitted at marker "${fitMarker}"`);
        }
        if (!model || !d) return;
        const m = model;
        const r = mapChunks(d, ITEMS, (c, name) => predict(m, c, name));
        return r ? { data: r } : undefined;
      },
      reset() {
        outputs.clear();
      },
    };
    return node;
  },
};
