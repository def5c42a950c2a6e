// The built-in node library: every node class Neurotab ships, and a registry holding them all.
// Runs anywhere the engine runs. Adding a class = export it from its package file and list it here.
import { NodeRegistry } from '../registry';
import type { NodeClass } from '../types';
import { bipolar, rereference, selectChannels } from './channels';
import { dcBlock, decimateNode, detrend, firFilter, iirFilter, movingAverage, notchFilter, resample } from './filters';
import { assignTargets, rewriteMarkers } from './markers';
import { absNode, clipNode, logNode, meanNode, scaleNode, thresholdNode, varianceNode, zscoreNode } from './math';
import { classMean } from './ml';
import { modelPredict } from './model';
import { bandPowerNode, fftMagnitude, multitaperSpectrum, spectrogram, welchSpectrum } from './spectral';
import { baselineRemoval, segmentation, slidingWindow } from './time';
import { importFile, inspect, markerInput, recordingInput, streamInput, streamOutput } from './io';
import { NP_FILE_SYSTEM_NODES } from './np-file-system';
import { NP_VISUALIZATION_NODES } from './np-visualization';
import { parameterPort } from './workflow';
import { webSocketSink } from './sinks';
import { barPlot, dejitter, printToConsole, spectrumPlot, streamData, timeSeriesPlot } from './compat';
import { NP_MACHINE_LEARNING } from './np-machine-learning';
import { NP_NEURAL } from './np-neural';
import { NP_SOURCE_LOCALIZATION } from './np-source-localization';
import { NP_FORMATTING } from './np-formatting';
import { NP_MARKERS } from './np-markers';
import { NP_PROGRAMMING } from './np-programming';
import { NP_UTILITIES } from './np-utilities';
import { NP_TENSOR_MATH } from './np-tensor-math';
import { NP_ELEMENTWISE_MATH } from './np-elementwise-math';
import { NP_STATISTICS } from './np-statistics';
import { NP_SIGNAL_PROCESSING } from './np-signal-processing';
import { NP_SPECTRAL } from './np-spectral';
import { NP_CARDIAC } from './np-cardiac';
import { NP_FEATURE_EXTRACTION } from './np-feature-extraction';
import { NP_WAVELET } from './np-wavelet';
import { FNIRS_NODES } from './fnirs';

export const BUILTIN_NODE_CLASSES: NodeClass[] = [
  streamInput,
  streamOutput,
  recordingInput,
  importFile,
  markerInput,
  inspect,
  webSocketSink,
  ...NP_FILE_SYSTEM_NODES,
  ...NP_VISUALIZATION_NODES,
  iirFilter,
  notchFilter,
  firFilter,
  movingAverage,
  dcBlock,
  detrend,
  resample,
  decimateNode,
  selectChannels,
  rereference,
  bipolar,
  slidingWindow,
  segmentation,
  baselineRemoval,
  welchSpectrum,
  multitaperSpectrum,
  bandPowerNode,
  fftMagnitude,
  spectrogram,
  varianceNode,
  meanNode,
  logNode,
  absNode,
  scaleNode,
  clipNode,
  thresholdNode,
  zscoreNode,
  rewriteMarkers,
  assignTargets,
  classMean,
  modelPredict,
  parameterPort,
  streamData,
  dejitter,
  timeSeriesPlot,
  spectrumPlot,
  barPlot,
  printToConsole,
  ...NP_MACHINE_LEARNING,
  ...NP_NEURAL,
  ...NP_SOURCE_LOCALIZATION,
  ...NP_FORMATTING,
  ...NP_MARKERS,
  ...NP_PROGRAMMING,
  ...NP_UTILITIES,
  ...NP_TENSOR_MATH,
  ...NP_ELEMENTWISE_MATH,
  ...NP_STATISTICS,
  ...NP_SIGNAL_PROCESSING,
  ...NP_SPECTRAL,
  ...NP_CARDIAC,
  ...NP_FEATURE_EXTRACTION,
  ...NP_WAVELET,
  ...FNIRS_NODES,
];

/** A fresh registry with every built-in node class. */
export function createBuiltinRegistry(): NodeRegistry {
  const r = new NodeRegistry();
  for (const c of BUILTIN_NODE_CLASSES) r.register(c);
  return r;
}

let shared: NodeRegistry | undefined;

/** The process-wide registry of built-in classes (created on first use). */
export function builtinRegistry(): NodeRegistry {
  return (shared ??= createBuiltinRegistry());
}
