// EEGNet-8,2 and ShallowConvNet as TensorFlow.js layers models, following the Keras definitions of
// the ARL EEGModels / MOABB deep-learning pipelines (channels-last input [channels, samples, 1]).
// Runs wherever tfjs runs (training worker, page, Node). Builds graphs only: no training, no I/O.
//
// Kernel and pooling lengths are given in the reference at a fixed rate (EEGNet: 128 Hz, kernel 64 =
// half a second; ShallowConvNet: 250 Hz, kernel 25, pool 75 stride 15) and are scaled here to the
// data's rate so they keep the same duration in seconds.
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../core/errors';

export type DeepModelType = 'eegnet' | 'shallow_convnet';
export const DEEP_MODEL_TYPES: readonly DeepModelType[] = ['eegnet', 'shallow_convnet'];

export interface DeepArchitecture {
  channelCount: number;
  sampleCount: number;
  sampleRateHz: number;
  classCount: number;
  /** Dropout rate (reference default 0.5). */
  dropoutRate?: number;
  /** Seed for weight initialisers (reproducible runs). */
  seed?: number;
}

/** Square activation of ShallowConvNet (x²). Registered so saved models reload. */
class SquareLayer extends tf.layers.Layer {
  static className = 'NeurotabSquare';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.square(Array.isArray(inputs) ? inputs[0] : inputs));
  }
}

/** ShallowConvNet's log activation, clipped to [1e-7, 1e4] as the Keras reference does. */
class SafeLogLayer extends tf.layers.Layer {
  static className = 'NeurotabSafeLog';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.log(tf.clipByValue(Array.isArray(inputs) ? inputs[0] : inputs, 1e-7, 1e4)));
  }
}
tf.serialization.registerClass(SquareLayer);
tf.serialization.registerClass(SafeLogLayer);

/** EEGNet: F1 = 8 temporal filters, depth multiplier D = 2, F2 = 16 (EEGNet-8,2). */
export function buildEegNet(a: DeepArchitecture): tf.LayersModel {
  checkShape(a, 32);
  const F1 = 8;
  const D = 2;
  const F2 = 16;
  const drop = a.dropoutRate ?? 0.5;
  const kernLength = Math.max(2, Math.round(a.sampleRateHz / 2)); // 64 at 128 Hz
  const sepLength = Math.max(2, Math.round((16 * a.sampleRateHz) / 128)); // 16 at 128 Hz
  const init = (k: number) => tf.initializers.glorotUniform({ seed: a.seed === undefined ? undefined : a.seed + k });
  const input = tf.input({ shape: [a.channelCount, a.sampleCount, 1] });
  let x = tf.layers.conv2d({ filters: F1, kernelSize: [1, kernLength], padding: 'same', useBias: false, kernelInitializer: init(1), name: 'temporal_conv' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .depthwiseConv2d({
      kernelSize: [a.channelCount, 1],
      depthMultiplier: D,
      useBias: false,
      depthwiseConstraint: tf.constraints.maxNorm({ maxValue: 1, axis: 0 }),
      depthwiseInitializer: init(2),
      name: 'spatial_depthwise',
    })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn2' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.elu().apply(x) as tf.SymbolicTensor;
  x = tf.layers.averagePooling2d({ poolSize: [1, 4], strides: [1, 4] }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: drop, seed: a.seed }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .separableConv2d({ filters: F2, kernelSize: [1, sepLength], padding: 'same', useBias: false, depthwiseInitializer: init(3), pointwiseInitializer: init(4), name: 'separable_conv' })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn3' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.elu().apply(x) as tf.SymbolicTensor;
  x = tf.layers.averagePooling2d({ poolSize: [1, 8], strides: [1, 8] }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: drop, seed: a.seed }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: a.classCount, kernelConstraint: tf.constraints.maxNorm({ maxValue: 0.25, axis: 0 }), kernelInitializer: init(5), name: 'dense' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.softmax().apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'eegnet_8_2' });
}

/** ShallowConvNet (Schirrmeister et al. 2017): temporal conv, spatial conv, square, mean-pool, log. */
export function buildShallowConvNet(a: DeepArchitecture): tf.LayersModel {
  const scale = a.sampleRateHz / 250;
  const kern = Math.max(2, Math.round(25 * scale));
  const pool = Math.max(2, Math.round(75 * scale));
  const stride = Math.max(1, Math.round(15 * scale));
  checkShape(a, kern + pool - 1);
  const drop = a.dropoutRate ?? 0.5;
  const init = (k: number) => tf.initializers.glorotUniform({ seed: a.seed === undefined ? undefined : a.seed + k });
  // max_norm(2., axis=(0, 1, 2)): per output filter over kernel rows, columns and input depth.
  const filterNorm = () => tf.constraints.maxNorm({ maxValue: 2, axis: [0, 1, 2] as unknown as number });
  const input = tf.input({ shape: [a.channelCount, a.sampleCount, 1] });
  let x = tf.layers.conv2d({ filters: 40, kernelSize: [1, kern], kernelConstraint: filterNorm(), kernelInitializer: init(1), name: 'temporal_conv' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 40, kernelSize: [a.channelCount, 1], useBias: false, kernelConstraint: filterNorm(), kernelInitializer: init(2), name: 'spatial_conv' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ epsilon: 1e-5, momentum: 0.9, name: 'bn' }).apply(x) as tf.SymbolicTensor;
  x = new SquareLayer({ name: 'square' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.averagePooling2d({ poolSize: [1, pool], strides: [1, stride] }).apply(x) as tf.SymbolicTensor;
  x = new SafeLogLayer({ name: 'log' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: drop, seed: a.seed }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: a.classCount, kernelConstraint: tf.constraints.maxNorm({ maxValue: 0.5, axis: 0 }), kernelInitializer: init(3), name: 'dense' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.softmax().apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'shallow_convnet' });
}

export function buildDeepModel(type: DeepModelType, a: DeepArchitecture): tf.LayersModel {
  return type === 'eegnet' ? buildEegNet(a) : buildShallowConvNet(a);
}

function checkShape(a: DeepArchitecture, minSamples: number): void {
  if (!(a.channelCount >= 1) || !(a.sampleRateHz > 0) || !(a.classCount >= 2)) {
    throw new InputError(`needs ≥ 1 channel, a positive rate and ≥ 2 classes (got ${a.channelCount}, ${a.sampleRateHz} Hz, ${a.classCount})`, 'model');
  }
  if (a.sampleCount < minSamples) {
    throw new InputError(`windows of ${a.sampleCount} samples are too short for this network (needs ≥ ${minSamples}); widen the window`, 'experiment.window');
  }
}
