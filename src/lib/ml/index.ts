// Public API of the classic decoders (re-exports only). Runs anywhere (page, workers, Node); imports
// core/ and dsp/ only. Layouts: epochs [epoch, channel, sample] Float64Array (epochs.ts); features
// DenseMatrix rows = trials (linalg.ts); continuous input CHANNEL-MAJOR. Every trained object has
// `toJSON()` → plain JSON state and `fromJSON(state)`; `TrainedModel` (experiment.ts) bundles a recipe.
export { asrCalibrate, AsrProcessor, asrShapingFilter, cleanWindows, fitEegDistribution, geometricMedian, type AsrCalibrationOptions, type AsrProcessOptions, type AsrState, type CleanWindowsOptions, type EegDistributionFit } from './asr';
export { detectBadChannels, type BadChannelOptions, type BadChannelResult } from './bad-channels';
export { mt19937 } from './mt19937';
export { canonicalCorrelation, SsvepCca, referenceSignals, type CcaOptions, type CcaState } from './cca';
export { bandPassEpochs, FftFilterBankCsp, NEUROPYPE_FBCSP_BANDS, type FbcspState, type NeuroPypeFbcspOptions } from './fbcsp';
export { Spoc, type SpocOptions, type SpocState } from './spoc';
export {
  classCovariances,
  empiricalCovariance,
  epochCovariance,
  ledoitWolf,
  ledoitWolfShrinkageVarMajor,
  shrunkCovariance,
  type ClassCovarianceOptions,
  type CovarianceRegularisation,
} from './covariance';
export {
  accuracy,
  balancedAccuracy,
  chanceLevel,
  confusionMatrix,
  kFold,
  rocAuc,
  seededRandom,
  shuffleSplit,
  stratifiedKFold,
  type Fold,
} from './cross-validation';
export { Csp, FilterBankCsp, type CspOptions, type CspState, type EpochData, type FilterBankCspState } from './csp';
export {
  channelMajorFromFrameMajor,
  classNamesOf,
  concatEpochSets,
  extractEpochs,
  subsetEpochs,
  validateEpochs,
  validateForModel,
  windowSamples,
  type ContinuousSignal,
  type EpochSet,
  type EpochingOptions,
  type SampleMarker,
} from './epochs';
export {
  CLASSIC_EXPERIMENT_TYPES,
  crossValidate,
  defaultMetric,
  parseExperimentConfig,
  predictModel,
  predictWindow,
  trainModel,
  type ClassicExperimentType,
  type CrossValidationResult,
  type ExperimentConfig,
  type Predictions,
  type WindowPrediction,
  type ScoreMetric,
  type TrainedModel,
} from './experiment';
export { encodeLabels, gridSearch, LdaLearner, LogisticLearner, sampleWeightsFor, type ClassWeights, type EncodedLabels, type Label, type LdaLearnerOptions, type LdaLearnerState, type LogisticLearnerOptions, type LogisticLearnerState } from './learners';
export { classificationMetric, CLASSIFICATION_METRICS, logLoss, regressionMetric, REGRESSION_METRICS, searchScore, type LossMetric, type SearchMetric } from './metrics';
export { lbfgs, type LbfgsOptions } from './optimize';
export { Lda, validateFeatures, type LdaOptions, type LdaState } from './lda';
export { dense, type DenseMatrix } from './linalg';
export { LogisticRegression, type LogisticOptions, type LogisticState } from './logistic';
export { epochsFromRecording, epochsFromRecordings, markersToSamples, mneBandPass, mneRingingSamples, type RecordingLike } from './prepare';
export { Xdawn, type XdawnOptions, type XdawnState } from './xdawn';
export { averagePathLength, IsolationForest, percentileLinear, type IsolationForestOptions, type IsolationForestState, type IsolationTree } from './isolation-forest';
export { Pca, type PcaOptions, type PcaState } from './pca';
export { chooseSeasonalities, dsToDays, Forecaster, normalQuantile, type ForecastOptions, type ForecastResult, type ForecastState, type SeasonalitySpec } from './forecast';
export { beerLambert, extinctionCoefficients, FNIRS_FEATURES, opticalDensity, parseNirsChannel, sourceDetectorDistances, windowFeatures, type FnirsFeature, type HaemoglobinResult, type NirsChannel, type WindowFeatureOptions } from './fnirs';
