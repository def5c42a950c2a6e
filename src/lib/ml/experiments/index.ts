// Public API of experiments (re-exports only): documents for every type, runs with metrics and
// figures, and the ExperimentHub registry behind /exphub and the training page. Runs anywhere; deep
// types load TensorFlow.js lazily (dynamic import) only when a network trains or predicts.
export { DATA_EXPERIMENT_TYPES, DEEP_EXPERIMENT_TYPES, EXPERIMENT_CLASSES, EXPERIMENT_TYPES, isDataType, typeFromLoadObject, type DataExperimentType, NAME_PATTERN, RESERVED_NAMES, TYPE_ALIASES, flattenHubConfig, isDeepType, parseExperimentSpec, resolveType, type ExperimentSpec, type ExperimentType } from './config';
export { columnJson, parseCsvTable, parseDataFrame, recordingFromTable, type Table } from './dataframe';
export { ExperimentHub, MemoryRunRegistry, NotFound, QUEUE_MAX_MESSAGES, type ExperimentState, type HubEvent, type HubOptions, type RunRegistry, type SavedRun } from './hub';
export { edaFigures, runExperiment, runFigures, validateRunData, type ExperimentRunResult, type PlotlyFigure, type RunControl, type RunPhase } from './run';
export { DATA_MODEL_KINDS, isDataModel, parseDataSpec, predictDataModel, runDataExperiment, type DataModel, type DataRunResult, type DataSpec } from './data-run';
export { parseTimeSeriesSpec, predictTimeSeries, trainTimeSeries, type TimeSeriesModel, type TimeSeriesSpec } from './time-series';
export { parseFaultDetectionSpec, predictFaultDetection, trainFaultDetection, type FaultDetectionModel, type FaultDetectionSpec } from './fault-detection';
export { haemoglobinOf, parseFnirsSpec, predictFnirs, trainFnirs, type FnirsModel, type FnirsSpec } from './fnirs-classification';
export type { DataInput } from './tabular';
