// Public API of the fNIRS analysis library (re-exports only): optical density, modified Beer–Lambert
// law, channel quality and pruning, motion correction, short-separation regression, filtering,
// block averages and the GLM, to the standard of MNE-Python / MNE-NIRS / Homer3 (docs/fnirs.md).
// Where it sits: beside dsp/ and ml/ (imports only core/ and dsp/; ml/, devices/ and, later, engine/
// import it, never the reverse). Pure TypeScript, any thread (page, workers, Node); no I/O.
//
// Layout: CHANNEL-MAJOR [channel, sample] (x[c·ns + n]) Float32Array / Float64Array in, Float64Array
// out, float64 arithmetic; RunningShortChannelRegression and LiveFnirs take FRAME-MAJOR chunks (the engine's).
// Units: intensity as recorded, optical density dimensionless, haemoglobin in M (mol/L, as MNE).

export { channelMidpoints, nirsPairs, parseNirsChannel, sourceDetectorDistances, type NirsChannel, type NirsKind, type NirsPair, type ParsedNirsChannel } from './channels';
export { dpfFromAge, extinctionCoefficients } from './extinction';
export { beerLambert, opticalDensity, type HaemoglobinResult, type PathlengthFactor } from './beer-lambert';
export {
  cardiacBandpass,
  coefficientOfVariation,
  fractionOfWindowsAbove,
  intensityChecks,
  peakSpectralPower,
  pickChannels,
  pruneChannels,
  scalpCouplingIndex,
  scalpCouplingIndexWindowed,
  type CardiacBand,
  type DroppedChannel,
  type IntensityCheck,
  type IntensityCheckOptions,
  type PruneMetrics,
  type PruneResult,
  type PruneThresholds,
  type WindowedScores,
} from './quality';
export { tddr } from './tddr';
export { logBeta, logGamma, studentTLog10TwoSidedP, studentTLogTwoSidedP, studentTTwoSidedP } from './student-t';
export {
  designMatrix,
  fitGlm,
  frameTimes,
  glmContrast,
  roundHalfEven,
  spmHrf,
  type ContrastResult,
  type DesignMatrix,
  type DesignOptions,
  type GlmEvent,
  type GlmFit,
  type HrfOptions,
  type NoiseModel,
} from './glm';
export { blockAverage, type BlockAverage, type BlockAverageOptions, type BlockEvent } from './block-average';
export { detectMotionArtifacts, smoothingSpline, splineMotionCorrection, type MotionDetection, type MotionDetectionOptions } from './motion';
export {
  planShortChannelRegression,
  RunningShortChannelRegression,
  shortChannelRegression,
  type RunningShortChannelOptions,
  type ShortChannelOptions,
  type ShortChannelPlan,
  type ShortChannelResult,
} from './short-channels';
export { bandpass, movingAverageDetrend, type BandpassOptions } from './filters';
export { LiveFnirs, type LiveChannelQuality, type LiveFnirsOptions, type LiveFnirsQuality } from './live';
