// Training, saving, loading and one-window inference of the TensorFlow.js models (EEGNet,
// ShallowConvNet) on labelled epochs. Runs in the training worker (browser) or Node; training is
// long and allocates: never on the page's main thread or in the engine loop. `predictDeepWindow`
// is the online path (one window, a few ms): it allocates one small tensor per call.
//
// Saved form: `DeepModel`, plain JSON (topology, weight specs, weights as base64 float32), so the
// same object is stored in the Dexie `models` table, sent over postMessage, returned by the API
// and written to files. A run that is cancelled or fails returns no model: callers keep the old one.
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../core/errors';
import { stratifiedKFold, seededRandom } from '../cross-validation';
import { channelMajorFromFrameMajor, subsetEpochs, validateEpochs, type EpochSet } from '../epochs';
import { buildDeepModel, type DeepModelType } from './models';

export interface DeepTrainOptions {
  /** Maximum training epochs (passes over the data). */
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Early stopping: stop after this many epochs without a lower validation loss; best weights are kept. */
  patience?: number;
  /** Share of the trials held out (stratified) for validation loss / early stopping. */
  validationFraction?: number;
  dropoutRate?: number;
  seed?: number;
}

export interface EpochLog {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
}

export interface DeepModel {
  kind: 'neurotab.tf-model';
  version: 1;
  type: DeepModelType;
  classNames: string[];
  channelLabels?: string[];
  channelCount: number;
  sampleCount: number;
  sampleRateHz: number;
  /** Inputs are (x − per-window channel mean) / inputScale; inputScale = training-data SD. */
  inputScale: number;
  topology: unknown;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightsBase64: string;
  history: EpochLog[];
  /** Epoch whose weights were kept (early stopping restores the best validation loss). */
  bestEpoch: number;
  stoppedEarly: boolean;
  backend: string;
  options: DeepTrainOptions;
}

/** Thrown when a run is cancelled; nothing was saved. */
export class TrainingCancelled extends Error {
  override name = 'TrainingCancelled';
  constructor() {
    super('training cancelled; the previous model is unchanged');
  }
}

export interface TrainControl {
  onEpoch?: (log: EpochLog) => void;
  /** Checked after every batch; when it reads true, training stops and TrainingCancelled is thrown. */
  cancelled?: () => boolean;
}

/** Checks the data before any tensor is made (one class, too few trials, shapes, NaN/Infinity). */
export function validateDeepTraining(set: EpochSet, options: DeepTrainOptions = {}): void {
  validateEpochs(set, { minPerClass: 4, what: 'training data' });
  if (options.epochs !== undefined && !(Number.isInteger(options.epochs) && options.epochs >= 1)) throw new InputError('must be a positive integer', 'experiment.epochs');
  if (options.batchSize !== undefined && !(Number.isInteger(options.batchSize) && options.batchSize >= 1)) throw new InputError('must be a positive integer', 'experiment.batchSize');
  const vf = options.validationFraction;
  if (vf !== undefined && !(vf >= 0 && vf < 0.9)) throw new InputError('must be in [0, 0.9)', 'experiment.validationFraction');
}

/** Standard deviation of all values (after per-epoch channel mean removal): the model's input scale. */
function inputScaleOf(set: EpochSet): number {
  const { channelCount: C, sampleCount: T } = set;
  let ss = 0;
  for (let r = 0; r < set.epochCount * C; r++) {
    let m = 0;
    for (let t = 0; t < T; t++) m += set.data[r * T + t];
    m /= T;
    for (let t = 0; t < T; t++) ss += (set.data[r * T + t] - m) ** 2;
  }
  const sd = Math.sqrt(ss / set.data.length);
  return sd > 0 ? sd : 1;
}

/** Epochs [epoch, channel, sample] → float32 [epoch, channel, sample, 1], centred and scaled. */
function toInput(data: Float64Array, epochCount: number, C: number, T: number, scale: number): tf.Tensor4D {
  const out = new Float32Array(epochCount * C * T);
  for (let r = 0; r < epochCount * C; r++) {
    let m = 0;
    for (let t = 0; t < T; t++) m += data[r * T + t];
    m /= T;
    for (let t = 0; t < T; t++) out[r * T + t] = (data[r * T + t] - m) / scale;
  }
  return tf.tensor4d(out, [epochCount, C, T, 1]);
}

function oneHot(labels: Int32Array, K: number): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), K).toFloat() as tf.Tensor2D);
}

/** Stratified hold-out: the last `fraction` of a shuffled order within each class. */
function holdOut(labels: Int32Array, fraction: number, seed: number): { train: number[]; val: number[] } {
  if (fraction <= 0) return { train: Array.from(labels.keys()), val: [] };
  const rnd = seededRandom(seed);
  const train: number[] = [];
  const val: number[] = [];
  const K = Math.max(...labels) + 1;
  for (let k = 0; k < K; k++) {
    const idx = Array.from(labels.keys()).filter((i) => labels[i] === k);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    const nVal = Math.min(idx.length - 2, Math.max(1, Math.round(idx.length * fraction)));
    val.push(...idx.slice(0, nVal));
    train.push(...idx.slice(nVal));
  }
  return { train: train.sort((a, b) => a - b), val: val.sort((a, b) => a - b) };
}

/**
 * Trains a network on epochs (band-passed like the classic recipes). Checks the data first; reports
 * each epoch; stops early on validation loss (restoring the best weights); honours cancellation.
 */
export async function trainDeepModel(type: DeepModelType, set: EpochSet, options: DeepTrainOptions = {}, control: TrainControl = {}): Promise<DeepModel> {
  validateDeepTraining(set, options);
  const epochs = options.epochs ?? 100;
  const batchSize = options.batchSize ?? 16;
  const patience = options.patience ?? 20;
  const seed = options.seed ?? 0;
  const { channelCount: C, sampleCount: T } = set;
  const K = set.classNames.length;
  const scale = inputScaleOf(set);
  const split = holdOut(set.labels, options.validationFraction ?? 0.2, seed);
  const trainSet = subsetEpochs(set, split.train);
  const valSet = split.val.length ? subsetEpochs(set, split.val) : null;
  const model = buildDeepModel(type, { channelCount: C, sampleCount: T, sampleRateHz: set.sampleRateHz, classCount: K, dropoutRate: options.dropoutRate, seed });
  model.compile({ optimizer: tf.train.adam(options.learningRate ?? 1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const xs = toInput(trainSet.data, trainSet.epochCount, C, T, scale);
  const ys = oneHot(trainSet.labels, K);
  const xv = valSet ? toInput(valSet.data, valSet.epochCount, C, T, scale) : null;
  const yv = valSet ? oneHot(valSet.labels, K) : null;
  const history: EpochLog[] = [];
  let best = { loss: Infinity, epoch: -1, weights: null as tf.Tensor[] | null };
  let cancelled = false;
  let stoppedEarly = false;
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  try {
    await model.fit(xs, ys, {
      epochs,
      batchSize,
      shuffle: true,
      validationData: xv && yv ? [xv, yv] : undefined,
      verbose: 0,
      callbacks: {
        onBatchEnd: async () => {
          if (control.cancelled?.()) {
            cancelled = true;
            model.stopTraining = true;
          }
        },
        onEpochEnd: async (epoch, logs = {}) => {
          const log: EpochLog = {
            epoch: epoch + 1,
            loss: num(logs.loss) ?? NaN,
            accuracy: num(logs.acc ?? logs.accuracy) ?? NaN,
            valLoss: num(logs.val_loss),
            valAccuracy: num(logs.val_acc ?? logs.val_accuracy),
          };
          history.push(log);
          control.onEpoch?.(log);
          const monitored = log.valLoss ?? log.loss;
          if (monitored < best.loss) {
            best.weights?.forEach((w) => w.dispose());
            best = { loss: monitored, epoch: epoch + 1, weights: model.getWeights().map((w) => w.clone()) };
          } else if (epoch + 1 - best.epoch >= patience) {
            stoppedEarly = true;
            model.stopTraining = true;
          }
          if (control.cancelled?.()) {
            cancelled = true;
            model.stopTraining = true;
          }
          // Let the worker receive a cancel message between epochs.
          await new Promise((r) => setTimeout(r, 0));
        },
      },
    });
    if (cancelled) throw new TrainingCancelled();
    if (best.weights) model.setWeights(best.weights);
    const artifacts = await saveArtifacts(model);
    return {
      kind: 'neurotab.tf-model',
      version: 1,
      type,
      classNames: [...set.classNames],
      channelLabels: set.channelLabels ? [...set.channelLabels] : undefined,
      channelCount: C,
      sampleCount: T,
      sampleRateHz: set.sampleRateHz,
      inputScale: scale,
      ...artifacts,
      history,
      bestEpoch: best.epoch,
      stoppedEarly,
      backend: tf.getBackend(),
      options: { ...options, epochs, batchSize, patience, seed },
    };
  } finally {
    best.weights?.forEach((w) => w.dispose());
    tf.dispose([xs, ys, ...(xv ? [xv] : []), ...(yv ? [yv] : [])]);
    model.dispose();
  }
}

async function saveArtifacts(model: tf.LayersModel): Promise<Pick<DeepModel, 'topology' | 'weightSpecs' | 'weightsBase64'>> {
  let out: Pick<DeepModel, 'topology' | 'weightSpecs' | 'weightsBase64'> | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = a.weightData instanceof ArrayBuffer ? a.weightData : tf.io.concatenateArrayBuffers(a.weightData as ArrayBuffer[]);
      out = { topology: a.modelTopology, weightSpecs: a.weightSpecs ?? [], weightsBase64: bytesToBase64(new Uint8Array(data)) };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return out!;
}

/** A loaded network ready for inference. Dispose it when done. */
export interface LoadedDeepModel {
  meta: DeepModel;
  net: tf.LayersModel;
  dispose(): void;
}

export async function loadDeepModel(meta: DeepModel): Promise<LoadedDeepModel> {
  if (meta?.kind !== 'neurotab.tf-model' || meta.version !== 1) throw new InputError('not a Neurotab TensorFlow.js model (version 1)', 'model');
  const bytes = base64ToBytes(meta.weightsBase64);
  const net = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: meta.topology as tf.io.ModelArtifacts['modelTopology'], weightSpecs: meta.weightSpecs, weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer }),
  );
  return { meta, net, dispose: () => net.dispose() };
}

/** Class probabilities of epochs [epoch, channel, sample] (same channels, rate and window as training). */
export function predictDeepEpochs(m: LoadedDeepModel, set: Pick<EpochSet, 'data' | 'epochCount' | 'channelCount' | 'sampleCount' | 'sampleRateHz'>): Float32Array {
  const { meta } = m;
  checkInput(meta, set.channelCount, set.sampleCount, set.sampleRateHz);
  for (let i = 0; i < set.data.length; i++) if (!Number.isFinite(set.data[i])) throw new InputError(`value ${i} is ${set.data[i]}; non-finite samples cannot be classified`, 'predict input');
  return tf.tidy(() => {
    const x = toInput(set.data, set.epochCount, meta.channelCount, meta.sampleCount, meta.inputScale);
    return (m.net.predict(x) as tf.Tensor).dataSync() as Float32Array;
  }).slice();
}

export interface DeepWindowPrediction {
  classIndex: number;
  className: string;
  probabilities: number[];
}

/**
 * Online inference (hot path, a few ms): one window of FRAME-MAJOR samples
 * (`samples[frame * channelCount + channel]`, the engine's Chunk layout), band-passed like the
 * training data, exactly `sampleCount` frames.
 */
export function predictDeepWindow(m: LoadedDeepModel, frameMajor: ArrayLike<number>, channelCount: number): DeepWindowPrediction {
  const { meta } = m;
  if (frameMajor.length !== meta.sampleCount * channelCount) {
    throw new InputError(`window holds ${frameMajor.length} values; the model needs ${meta.sampleCount} frames × ${channelCount} channels`, 'predict input');
  }
  const x = channelMajorFromFrameMajor(frameMajor, channelCount);
  const p = predictDeepEpochs(m, { data: x, epochCount: 1, channelCount, sampleCount: meta.sampleCount, sampleRateHz: meta.sampleRateHz });
  let best = 0;
  for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
  return { classIndex: best, className: meta.classNames[best], probabilities: Array.from(p) };
}

function checkInput(meta: DeepModel, channelCount: number, sampleCount: number, sampleRateHz: number): void {
  if (channelCount !== meta.channelCount) throw new InputError(`has ${channelCount} channels, the model was trained on ${meta.channelCount}`, 'predict input');
  if (sampleCount !== meta.sampleCount || sampleRateHz !== meta.sampleRateHz) {
    throw new InputError(`windows of ${sampleCount} samples at ${sampleRateHz} Hz, the model expects ${meta.sampleCount} at ${meta.sampleRateHz} Hz`, 'predict input');
  }
}

/** k-fold cross-validation folds for a deep run (stratified, seeded), re-exported for callers. */
export function deepFolds(set: EpochSet, k: number, seed: number) {
  return stratifiedKFold(set.labels, k, { seed });
}

export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function base64ToBytes(b64: string): Uint8Array {
  if (typeof b64 !== 'string') throw new InputError('weights must be a base64 string', 'model.weightsBase64');
  let s: string;
  try {
    s = atob(b64);
  } catch {
    throw new InputError('weights are not valid base64', 'model.weightsBase64');
  }
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
