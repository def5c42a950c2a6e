// The engine's own trainable node: a per-class-mean (nearest class mean) classifier. It proves the
// calibration mechanism (collect labelled features → fit → predict); the ML library adds real
// decoders on the same TrainableState contract. Engine worker / Node.
import { InputError } from '../../core/errors';
import type { ChannelInfo, StreamDescriptor } from '../../core/stream';
import type { FramesPacket, MarkersPacket, NodeClass, NodeInstance, TrainableState } from '../types';
import { input, output, p, samplesOf } from './common';

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
variances and equal priors). Calibration follows NeuroPype: while not fitted it **collects** the
feature frames that carry a class target (from markers.assign-targets → segmentation → variance…),
then it **fits** — when a marker equal to \`fit_marker\` arrives, when every class has
\`min_trials\` examples (if set), when the host calls \`Execution.fit()\`, or after the first pass
of an offline run — and from then on **predicts**. The model is JSON (\`Execution.exportModels\`).

- **in \`data\`** (features with targets); **in \`markers\`** (markers, optional): fit trigger.
- **out \`data\`** (features): per input frame, the posterior probability of each class
  (channels "p(<target>)") plus "predicted" (the most likely target); input targets are kept.
- **fit_marker** (string), **min_trials** (int per class; null = never automatically).`,
  inputs: [input('data', ['features'], 'Labelled features (calibration) / features to classify.'), input('markers', ['markers'], 'Fit trigger markers.', true)],
  outputs: [output('data', 'features', 'Class probabilities and predicted target.')],
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
    let outStream: { src: StreamDescriptor; out: StreamDescriptor } | undefined;

    const state: TrainableState = {
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

    const node: NodeInstance = {
      trainable: state,
      process(inputs) {
        const mk = inputs.markers as MarkersPacket | undefined;
        const d = inputs.data as FramesPacket | undefined;
        if (!model && d) {
          const f = d.stream.channels.length;
          const x = samplesOf(d);
          for (let n = 0; n < d.frames; n++) {
            const t = d.targets?.[n];
            if (t === undefined || Number.isNaN(t)) continue;
            xs.push(Float64Array.from(x.subarray(n * f, n * f + f)));
            ys.push(t);
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
        if (!model && mk?.events.some((e) => e.value === fitMarker)) {
          state.fit();
          ctx.log(20, `fitted at marker "${fitMarker}"`);
        }
        if (!model || !d) return;
        const m = model;
        const f = d.stream.channels.length;
        if (f !== m.features) throw new InputError(`model was fitted on ${m.features} features, got ${f}`, ctx.nodeId);
        if (!outStream || outStream.src !== d.stream) {
          const channels: ChannelInfo[] = [...m.classes.map((c) => ({ label: `p(${c})`, unit: 'probability', type: 'PREDICTION' })), { label: 'predicted', unit: 'class', type: 'PREDICTION' }];
          outStream = { src: d.stream, out: { ...d.stream, id: `${d.stream.id}.prediction`, kind: 'predictions', channels } };
        }
        const K = m.classes.length;
        const w = K + 1;
        const out = new Float32Array(d.frames * w);
        const x = samplesOf(d);
        const ll = new Float64Array(K);
        for (let n = 0; n < d.frames; n++) {
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
        return { data: { kind: 'features', stream: outStream.out, samples: out, timestampsMs: d.timestampsMs.slice(0, d.frames), frames: d.frames, targets: d.targets?.slice(0, d.frames) } };
      },
      reset() {
        outStream = undefined;
      },
    };
    return node;
  },
};
