// The experiment registry behind the ExperimentHub family (API.md §11) and the training page:
// named experiments with a type and configuration, in-engine queues that replace RabbitMQ, runs
// (train, retrain, stop, predict), saved runs (save / load / load by run id), figures and results.
// Runs where training may run (the training worker, or Node for tests and the bridge). Training is
// started in the background and never blocks a call; a cancelled or failed run keeps the previous
// model. Persistence of saved runs goes through an injected `RunRegistry` (memory by default).
import { InputError } from '../../core/errors';
import { predictModel, type CrossValidationResult, type TrainedModel } from '../experiment';
import type { EpochSet } from '../epochs';
import { epochsFromRecordings, type RecordingLike } from '../prepare';
import type { DeepModel, EpochLog } from '../tf/train';
import { flattenHubConfig, isDataType, isDeepType, NAME_PATTERN, parseExperimentSpec, RESERVED_NAMES, resolveType, typeFromLoadObject, type ExperimentSpec, type ExperimentType } from './config';
import { isDataModel, parseDataSpec, predictDataModel, runDataExperiment, type DataModel, type DataSpec } from './data-run';
import { columnJson, parseDataFrame, recordingFromTable, type Table } from './dataframe';
import { runExperiment, type ExperimentRunResult, type PlotlyFigure, type RunPhase } from './run';
import type { DataInput } from './tabular';

export interface SavedRun {
  runId: string;
  name: string;
  expId: string;
  type: ExperimentType;
  config: Record<string, unknown>;
  model: TrainedModel | DeepModel | DataModel;
  metrics: CrossValidationResult | null;
  history: EpochLog[];
  figures: Record<string, PlotlyFigure>;
  edaFigures: Record<string, PlotlyFigure>;
  /** Columns of the training data (epochs and classes; the table types: their rows and fitted values). */
  trainData: ExperimentRunResult['trainData'] | Record<string, unknown[]>;
  /** Figures of merit of the table types (forecast errors, anomaly share and AUC, accuracy). */
  scores?: Record<string, number>;
  savedAtMs: number;
}

export interface RunRegistry {
  put(run: SavedRun): Promise<void>;
  get(runId: string): Promise<SavedRun | undefined>;
  latest(name: string): Promise<SavedRun | undefined>;
}

export class MemoryRunRegistry implements RunRegistry {
  private runs = new Map<string, SavedRun>();
  async put(run: SavedRun) {
    this.runs.set(run.runId, structuredClone(run));
  }
  async get(runId: string) {
    return this.runs.get(runId);
  }
  async latest(name: string) {
    return [...this.runs.values()].filter((r) => r.name === name).sort((a, b) => b.savedAtMs - a.savedAtMs)[0];
  }
}

export interface ExperimentState {
  name: string;
  type: ExperimentType;
  config: Record<string, unknown>;
  available: boolean;
  training: boolean;
  runId: string | null;
  expId: string | null;
  lastError: string | null;
  /** Current model (the last successful run or a loaded one). */
  run: SavedRun | null;
  progress: { phase: RunPhase | null; epochs: (EpochLog & { fold: number | null })[] };
  results: { runId: string; predictions: Record<string, Record<string, unknown>>; createdMs: number } | null;
}

export type HubEvent =
  | { type: 'phase'; name: string; phase: RunPhase }
  | { type: 'epoch'; name: string; log: EpochLog & { fold: number | null } }
  | { type: 'finished'; name: string; runId: string }
  | { type: 'failed'; name: string; message: string; cancelled: boolean };

export interface HubOptions {
  registry?: RunRegistry;
  /** Resolves `data.recordings` ids (the app: IndexedDB; tests: files). */
  loadRecording?: (id: string) => Promise<RecordingLike>;
  onEvent?: (e: HubEvent) => void;
}

export const QUEUE_MAX_MESSAGES = 64;

/** How to give experiment `name` data, for messages (the family is at /exphub in the browser, at the root on the bridge's port 8010). */
export function publishHint(name: string): string {
  return `POST a DataFrame (JSON records, split or columns; or text/csv) to /exphub/publish/${name} (/publish/${name} on the bridge's ExperimentHub port 8010), or name recordings in data.recordings`;
}

function hex32(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export class ExperimentHub {
  private readonly experiments = new Map<string, ExperimentState>();
  private readonly queues = new Map<string, Table[]>();
  private readonly jobs = new Map<string, { promise: Promise<void>; cancel: boolean }>();
  private readonly logLines: string[] = [];
  private nextExpId = 1;
  private readonly expIds = new Map<string, string>();
  readonly registry: RunRegistry;

  constructor(private readonly opts: HubOptions = {}) {
    this.registry = opts.registry ?? new MemoryRunRegistry();
  }

  log(line: string): void {
    this.logLines.push(`${new Date().toISOString()} ${line}`);
    if (this.logLines.length > 500) this.logLines.splice(0, this.logLines.length - 500);
  }
  recentLog(): string {
    return this.logLines.join('\n');
  }

  get(name: string): ExperimentState | undefined {
    return this.experiments.get(name);
  }
  list(): ExperimentState[] {
    return [...this.experiments.values()];
  }

  /** Registers (or re-registers) an experiment. Throws InputError for a bad name or unknown type. */
  create(name: string, type: string, config: Record<string, unknown>): ExperimentState {
    checkName(name);
    const t = resolveType(type);
    if (!t) throw new InputError(`Unknown experiment type: ${type}`, 'experiment_type');
    const prev = this.experiments.get(name);
    const st: ExperimentState = {
      name,
      type: t,
      config: { ...config },
      available: prev?.available ?? false,
      training: prev?.training ?? false,
      runId: prev?.runId ?? null,
      expId: prev?.expId ?? null,
      lastError: null,
      run: prev?.run ?? null,
      progress: { phase: null, epochs: [] },
      results: prev?.results ?? null,
    };
    this.experiments.set(name, st);
    this.log(`created experiment ${name} of type ${t}`);
    return st;
  }

  /**
   * Starts training in the background with `config` merged over the stored one (creating the
   * experiment from `config.type` / `load_object` when unknown). Data: `data.recordings` ids, or the
   * next message of queue `<name>`. Returns the run id. Config errors throw before anything starts.
   */
  train(name: string, config: Record<string, unknown> = {}): string {
    checkName(name);
    let st = this.experiments.get(name);
    if (!st) {
      const lo = config.load_object as { name?: unknown } | undefined;
      const t = (typeof lo?.name === 'string' && (resolveType(lo.name) ?? typeFromLoadObject(lo.name))) || (typeof config.type === 'string' && resolveType(config.type)) || flatType(config);
      if (!t) throw new InputError(`Experiment ${name} has no registered type and the config has no load_object`, 'config');
      st = this.create(name, t, config);
    }
    if (this.jobs.has(name)) throw new InputError(`Experiment ${name} is already training; stop it first`, 'train');
    const merged = { ...st.config, ...config };
    const type = flatType(merged) ?? st.type;
    if (isDataType(type)) {
      const spec = parseDataSpec(type, merged, 'config');
      st.config = merged;
      st.type = type;
      return this.start(st, spec);
    }
    const spec = parseExperimentSpec({ ...merged, type }, 'config');
    st.config = merged;
    st.type = spec.type;
    return this.start(st, spec);
  }

  retrain(name: string): string {
    const st = this.mustGet(name);
    return this.train(st.name, {});
  }

  private start(st: ExperimentState, spec: ExperimentSpec | DataSpec): string {
    const runId = hex32();
    if (!this.expIds.has(st.name)) this.expIds.set(st.name, String(this.nextExpId++));
    const expId = this.expIds.get(st.name)!;
    const job = { cancel: false, promise: Promise.resolve() };
    st.training = true;
    st.available = false;
    st.lastError = null;
    st.progress = { phase: null, epochs: [] };
    const emit = this.opts.onEvent ?? (() => undefined);
    this.log(`training ${st.name} (${spec.type}), run ${runId}`);
    job.promise = (async () => {
      try {
        const onPhase = (p: RunPhase) => {
          st.progress.phase = p;
          emit({ type: 'phase', name: st.name, phase: p });
        };
        let r: Pick<SavedRun, 'model' | 'metrics' | 'history' | 'figures' | 'edaFigures' | 'trainData' | 'scores'>;
        if (isDataType(spec.type)) {
          onPhase({ phase: 'checking' });
          const input = await this.dataInput(st.name, st.config, 'train');
          onPhase({ phase: 'training-final' });
          r = { ...(await runDataExperiment(spec as DataSpec, input, { cancelled: () => job.cancel })), history: [] };
        } else r = await this.runEpochs(st, spec as ExperimentSpec, job, onPhase);
        st.run = { runId, name: st.name, expId, type: spec.type, config: structuredClone(st.config), model: r.model, metrics: r.metrics, history: r.history, figures: r.figures, edaFigures: r.edaFigures, trainData: r.trainData, scores: r.scores, savedAtMs: Date.now() };
        st.runId = runId;
        st.expId = expId;
        const score = r.metrics ? `, ${r.metrics.metric} ${r.metrics.mean.toFixed(3)}` : r.scores ? `, ${Object.entries(r.scores).slice(0, 3).map(([k, v]) => `${k} ${Number(v).toPrecision(3)}`).join(', ')}` : '';
        this.log(`trained ${st.name}: run ${runId}${score}`);
        emit({ type: 'finished', name: st.name, runId });
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        st.lastError = job.cancel ? 'training stopped; the previous model is unchanged' : message;
        this.log(`training ${st.name} ${job.cancel ? 'stopped' : 'failed'}: ${message}`);
        emit({ type: 'failed', name: st.name, message: st.lastError, cancelled: job.cancel });
      } finally {
        st.training = false;
        st.available = st.run !== null;
        this.jobs.delete(st.name);
      }
    })();
    this.jobs.set(st.name, job);
    return runId;
  }

  /** An epoch-based run (classic or deep). */
  private async runEpochs(st: ExperimentState, spec: ExperimentSpec, job: { cancel: boolean }, onPhase: (p: RunPhase) => void) {
    const emit = this.opts.onEvent ?? (() => undefined);
    const set = await this.trainingEpochs(st.name, spec, st.config, 'train');
    return runExperiment(spec, set, {
      cancelled: () => job.cancel,
      onPhase,
      onEpoch: (l) => {
        st.progress.epochs.push(l);
        emit({ type: 'epoch', name: st.name, log: l });
      },
    });
  }

  /** Resolves once the experiment's current training (if any) has settled. */
  async idle(name: string): Promise<void> {
    await this.jobs.get(name)?.promise;
  }

  /** Asks a running training to stop; true when the experiment exists. */
  stopTraining(name: string): boolean {
    const st = this.experiments.get(name);
    if (!st) return false;
    const job = this.jobs.get(name);
    if (job) job.cancel = true;
    return true;
  }

  delete(name: string): boolean {
    if (!this.experiments.has(name)) return false;
    this.stopTraining(name);
    this.experiments.delete(name);
    this.log(`deleted experiment ${name}`);
    return true;
  }

  async save(name: string): Promise<SavedRun> {
    const st = this.mustGet(name);
    if (!st.run) throw new InputError(`Experiment ${name} has no trained model to save`, 'save');
    const run = { ...st.run, savedAtMs: Date.now() };
    await this.registry.put(run);
    this.log(`saved ${name} run ${run.runId}`);
    return run;
  }

  /** Restores the last saved run of `name`, or run `runId`. Returns undefined when none is known. */
  async load(name: string, runId?: string): Promise<SavedRun | undefined> {
    const run = runId ? await this.registry.get(runId) : await this.registry.latest(name);
    if (!run) return undefined;
    let st = this.experiments.get(name);
    if (!st) st = this.create(name, run.type, run.config);
    st.run = structuredClone(run);
    st.runId = run.runId;
    st.expId = run.expId;
    st.type = run.type;
    st.config = structuredClone(run.config);
    st.available = !st.training;
    this.log(`loaded ${name} from run ${run.runId}`);
    return run;
  }

  /** Predicts the next queued message (or `data.recordings`) with the current model; stores results. */
  async predict(name: string): Promise<boolean> {
    const st = this.experiments.get(name);
    if (!st || !st.available || !st.run) return false;
    if (isDataModel(st.run.model)) {
      const cols = predictDataModel(st.run.model, await this.dataInput(name, st.config, 'predict'));
      st.results = { runId: st.run.runId, predictions: columnJson(cols), createdMs: Date.now() };
      this.log(`predicted ${Object.values(cols)[0]?.length ?? 0} rows with ${name}`);
      return true;
    }
    const spec = parseExperimentSpec({ ...st.config, type: st.type }, 'config');
    const set = await this.trainingEpochs(name, spec, st.config, 'predict');
    const model = st.run.model;
    let predicted: number[];
    let score: number[];
    if ((model as DeepModel).kind === 'neurotab.tf-model') {
      const tf = await import('../tf/train');
      const m = await tf.loadDeepModel(model as DeepModel);
      try {
        const p = tf.predictDeepEpochs(m, set);
        const K = set.classNames.length;
        predicted = Array.from({ length: set.epochCount }, (_, e) => {
          let b = 0;
          for (let k = 1; k < K; k++) if (p[e * K + k] > p[e * K + b]) b = k;
          return b;
        });
        score = predicted.map((k, e) => p[e * K + k]);
      } finally {
        m.dispose();
      }
    } else {
      const p = predictModel(model as TrainedModel, set);
      predicted = Array.from(p.predicted);
      score = Array.from(p.scores);
    }
    const classNames = (model as TrainedModel | DeepModel).classNames;
    st.results = {
      runId: st.run.runId,
      predictions: columnJson({ predicted: predicted.map((k) => classNames[k]), score, true: Array.from(set.labels, (l) => set.classNames[l]) }),
      createdMs: Date.now(),
    };
    this.log(`predicted ${set.epochCount} epochs with ${name}`);
    return true;
  }

  // ── queues (replace RabbitMQ) ──
  publish(queue: string, table: Table): number {
    const q = this.queues.get(queue) ?? [];
    if (q.length >= QUEUE_MAX_MESSAGES) throw new InputError(`queue ${queue} holds ${q.length} messages; flush it first`, 'queue');
    q.push(table);
    this.queues.set(queue, q);
    return q.length;
  }
  flush(queue: string): void {
    this.queues.delete(queue);
  }
  depth(queue: string): number {
    return this.queues.get(queue)?.length ?? 0;
  }

  /** The run's data: the recordings named in `data.recordings`, else the next message of queue `name`. */
  private async dataInput(name: string, config: Record<string, unknown>, step: 'train' | 'predict'): Promise<DataInput> {
    const flat = flattenHubConfig(config);
    const data = flat.data as { recordings?: unknown } | undefined;
    const recordings: DataInput['recordings'] = [];
    if (data && Array.isArray(data.recordings) && data.recordings.length) {
      if (!this.opts.loadRecording) throw new InputError('recordings cannot be loaded here; publish the data to the queue instead', 'config.data.recordings');
      for (const id of data.recordings) recordings.push({ recording: await this.opts.loadRecording(String(id)), source: String(id) });
      return { table: null, recordings };
    }
    const msg = this.queues.get(name)?.shift();
    if (!msg) throw new InputError(`no data to ${step === 'train' ? 'learn from' : 'predict on'}: the queue "${name}" is empty. ${publishHint(name)}; then ${step} again`);
    return { table: msg, recordings };
  }

  private async trainingEpochs(name: string, spec: ExperimentSpec, config: Record<string, unknown>, step: 'train' | 'predict'): Promise<EpochSet> {
    const flat = flattenHubConfig(config);
    const input = await this.dataInput(name, config, step);
    const recs = input.recordings;
    if (input.table) {
      const rate = Number(flat.sample_rate_hz ?? flat.sampleRateHz);
      recs.push({ recording: recordingFromTable(input.table, rate, typeof flat.marker_column === 'string' ? flat.marker_column : 'marker', `queue ${name}`), source: `queue ${name}` });
    }
    return epochsFromRecordings(recs, spec as never).epochs;
  }

  private mustGet(name: string): ExperimentState {
    const st = this.experiments.get(name);
    if (!st) throw new NotFound(`Experiment not found`);
    return st;
  }
}

/** An unknown experiment or run (404 on the wire). */
export class NotFound extends Error {
  override name = 'NotFound';
}

function flatType(config: Record<string, unknown>): ExperimentType | undefined {
  const t = flattenHubConfig(config).type;
  return typeof t === 'string' ? resolveType(t) : undefined;
}

export function checkName(name: string): void {
  if (RESERVED_NAMES.includes(name)) throw new InputError(`Reserved experiment name: ${name}`, 'name');
  if (!NAME_PATTERN.test(name)) throw new InputError(`Experiment names must match ${NAME_PATTERN.source}; got ${JSON.stringify(name)}`, 'name');
}

export { parseDataFrame, isDeepType, NAME_PATTERN, RESERVED_NAMES };
