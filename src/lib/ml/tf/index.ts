// Public API of the TensorFlow.js models (re-exports only). Runs wherever tfjs runs (training worker,
// page, Node); importing it pulls in @tensorflow/tfjs, so keep it out of the service worker.
// Online use from an engine node: `const m = await loadDeepModel(saved); predictDeepWindow(m, frameMajor, channelCount)`.
export { BROWSER_BACKENDS, selectBackend, type BackendChoice, type BackendName } from './backend';
export { installFastCpuKernels } from './fast-kernels';
export { buildDeepModel, buildEegNet, buildShallowConvNet, DEEP_MODEL_TYPES, type DeepArchitecture, type DeepModelType } from './models';
export type { ExperimentSummary, RunReport, TrainEvent, TrainRequest } from './protocol';
export {
  loadDeepModel,
  predictDeepEpochs,
  predictDeepWindow,
  trainDeepModel,
  TrainingCancelled,
  validateDeepTraining,
  type DeepModel,
  type DeepTrainOptions,
  type DeepWindowPrediction,
  type EpochLog,
  type LoadedDeepModel,
  type TrainControl,
} from './train';
