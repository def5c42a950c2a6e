// Typed messages between the page (clients/training.ts) and workers/train.worker.ts: discriminated
// unions on `type`, structured-clone-able values only. Types only; no runtime code.
import type { CrossValidationResult } from '../experiment';
import type { PlotlyFigure, RunPhase } from '../experiments/run';
import type { EpochLog } from './train';

export interface ExperimentSummary {
  name: string;
  type: string;
  available: boolean;
  training: boolean;
  runId: string | null;
  lastError: string | null;
  savedRuns: { runId: string; savedAtMs: number }[];
}

export interface RunReport {
  name: string;
  runId: string;
  type: string;
  metrics: CrossValidationResult | null;
  history: EpochLog[];
  figures: Record<string, PlotlyFigure>;
  /** Milliseconds of the whole run, and per training epoch of the final model (deep types). */
  durationMs: number;
  msPerEpoch: number | null;
  /** One-window inference latency of the final model on this backend. */
  inference: { p50Ms: number; p99Ms: number; windows: number; backend: string } | null;
  backend: string;
}

export type TrainRequest =
  | { type: 'init' }
  | { type: 'train'; name: string; config: Record<string, unknown>; recordingIds: string[] }
  | { type: 'stop'; name: string }
  | { type: 'list' }
  | { type: 'load'; name: string; runId?: string }
  | { type: 'delete'; name: string };

export type TrainEvent =
  | { type: 'ready'; backend: string; rejected: { name: string; reason: string }[] }
  | { type: 'phase'; name: string; phase: RunPhase }
  | { type: 'epoch'; name: string; log: EpochLog & { fold: number | null } }
  | { type: 'finished'; report: RunReport }
  | { type: 'failed'; name: string; message: string; cancelled: boolean }
  | { type: 'experiments'; experiments: ExperimentSummary[] }
  | { type: 'loaded'; name: string; report: RunReport | null }
  | { type: 'error'; message: string };
