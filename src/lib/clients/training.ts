// Page-side owner of the training worker (workers/train.worker.ts): starts it, selects its backend,
// forwards train / stop / load / delete, and fans its events out to listeners. Also lists stored
// recordings with their marker values (for picking classes), and deploys a saved run on the live
// stream through the acquisition's engine worker (ModelDeployment), and lists the experiments made
// through the ExperimentHub API with why they have no model yet. Main thread only; no Svelte.
import { InputError } from '../core/errors';
import { notTrainedReason, type ExperimentStatus } from '../api/exphub';
import type { PipelineDocumentInput } from '../engine/index';
import type { ModelPredictPeek } from '../engine/nodes/model';
import type { TrainEvent, TrainRequest } from '../ml/tf/protocol';
import type { Acquisition } from './acquisition';
import type { DeploymentReport, EngineEvent } from '../../../workers/protocol';
import { openDb, type RecordingRow } from '../storage/db';
import { readMarkers, watchRecordings } from '../storage/recordings';

export interface RecordingChoice {
  id: string;
  name: string;
  /** Marker value → count. */
  markers: Record<string, number>;
  channelCount: number;
  sampleRateHz: number;
  /**
   * What the recording holds: the kind of its first EEG or fNIRS stream ("fnirs" for SNIRF imports,
   * "eeg" for a device recording even with an optics side stream), else "eeg". The Training page
   * offers the experiment types of that modality.
   */
  modality: 'eeg' | 'fnirs';
  /** fNIRS: raw intensity ("S1_D1 760" channels) or haemoglobin ("S1_D1 hbo"); null for EEG. */
  fnirsData: 'intensity' | 'hb' | null;
  /** fNIRS: the import kept the probe geometry, so source–detector distances come from it. */
  hasProbe: boolean;
}

export class TrainingClient {
  private worker: Worker | null = null;
  private readonly listeners = new Set<(e: TrainEvent) => void>();

  private ensure(): Worker {
    if (!this.worker) {
      this.worker = new Worker(new URL('../../../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'neurotab-train' });
      this.worker.onmessage = (ev: MessageEvent<TrainEvent>) => this.listeners.forEach((l) => l(ev.data));
      this.worker.onerror = (ev) => this.listeners.forEach((l) => l({ type: 'error', message: ev.message || 'training worker failed to start' }));
      this.send({ type: 'init' });
    }
    return this.worker;
  }

  send(m: TrainRequest): void {
    if (m.type === 'init') this.worker!.postMessage(m);
    else this.ensure().postMessage(m);
  }

  start(): void {
    this.ensure();
  }

  on(listener: (e: TrainEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
  }
}

/** Finished recordings already summarised, by id (a finished recording's markers no longer change). */
const choiceCache = new Map<string, RecordingChoice>();

/**
 * Completed recordings with their marker values, now and after every change to the library (an
 * import finishing, a recording stopped, a deletion — in any tab or worker). Reads the marker rows
 * only of recordings it has not seen finished before. Returns the unsubscribe function.
 */
export function watchRecordingChoices(onChoices: (choices: RecordingChoice[]) => void, onError: (e: Error) => void): () => void {
  let generation = 0;
  return watchRecordings(
    openDb(),
    (rows) => {
      const mine = ++generation;
      recordingChoices(rows).then((c) => mine === generation && onChoices(c), onError);
    },
    onError,
  );
}

async function recordingChoices(all: RecordingRow[]): Promise<RecordingChoice[]> {
  const db = openDb();
  const rows = all.filter((r) => r.status === 'complete' || r.status === 'recovered');
  const out: RecordingChoice[] = [];
  for (const r of rows) {
    let choice = choiceCache.get(r.id);
    if (!choice || choice.name !== r.name) {
      const markers: Record<string, number> = {};
      for (const m of await readMarkers(db, r.id)) markers[m.value] = (markers[m.value] ?? 0) + 1;
      // The first EEG or fNIRS stream decides (a device's EEG comes before its side streams, a
      // SNIRF import's fNIRS before its aux).
      const main = r.streams.find((s) => s.descriptor.kind === 'eeg' || s.descriptor.kind === 'fnirs') ?? r.streams[0];
      const fnirs = main?.descriptor.kind === 'fnirs' ? main : undefined;
      const hb = fnirs?.descriptor.channels.some((c) => / hb[or]$/i.test(c.label)) ?? false;
      choice = {
        id: r.id,
        name: r.name,
        markers,
        channelCount: main?.descriptor.channels.length ?? 0,
        sampleRateHz: main?.descriptor.sampleRateHz ?? 0,
        modality: fnirs ? 'fnirs' : 'eeg',
        fnirsData: fnirs ? (hb ? 'hb' : 'intensity') : null,
        hasProbe: !!r.probe?.sourcePositionsM.length && !!r.probe.detectorPositionsM.length,
      };
      choiceCache.set(r.id, choice);
    }
    out.push(choice);
  }
  return out;
}

// ------------------------------------------------------------------------------- ExperimentHub API

/** An experiment made through the ExperimentHub API (/exphub: a Python client through the bridge, another page). */
export interface ApiExperimentView extends ExperimentStatus {
  /** Its plots (none until trained). */
  plots: string[];
  /** Why it has no model, and what to do next; null once it has one. */
  reason: string | null;
}

/**
 * The ExperimentHub API's experiments and their status, asked of this origin's API like any client
 * (`send`: fetch, answered by the service worker). Throws with the API's detail when it does not answer.
 */
export async function listApiExperiments(send: (path: string) => Promise<Response> = (path) => fetch(path, { cache: 'no-store' })): Promise<ApiExperimentView[]> {
  const r = await send('/exphub/experiments');
  if (!r.ok) throw new Error(`the ExperimentHub API answered ${r.status}: ${((await r.json().catch(() => null)) as { detail?: string } | null)?.detail ?? r.statusText}`);
  const all = (await r.json()) as Record<string, [string[], string[]]>;
  const views = await Promise.all(
    Object.entries(all).map(async ([name, [plots]]) => {
      const s = await send(`/exphub/${encodeURIComponent(name)}/status`);
      if (!s.ok) return null; // deleted in between
      const status = (await s.json()) as ExperimentStatus;
      return { ...status, plots, reason: notTrainedReason(status) };
    }),
  );
  return views.filter((v) => v !== null);
}

// ------------------------------------------------------------------------------- deployment

/** Why a deployment ended: Stop pressed, the live stream stopped, a newer deployment replaced it, or the engine refused it. */
export type DeploymentStopReason = 'user' | 'stream' | 'replaced' | 'failed';

/** A saved run deployed on the live stream, as the page shows it. */
export interface DeploymentView {
  name: string;
  runId: string;
  status: 'starting' | 'running' | 'stopped' | 'failed';
  peek: ModelPredictPeek | null;
  error: string | null;
  /** Device frames the deployment has seen. */
  framesIn: number;
  /** Set once stopped: Stop pressed, or the live stream stopped under it. */
  stopReason: DeploymentStopReason | null;
}

/**
 * What the deployment card shows, one state at a time (the pill and the headline agree):
 * starting (loading the model), warming (filling the first window), predicting, not-predicting (runs
 * but the model refuses the data), failed (never started: the model does not fit the stream or did
 * not load), stopped (by the user), stream-stopped (the live stream ended under it).
 */
export type DeploymentCardState = 'starting' | 'warming' | 'predicting' | 'not-predicting' | 'failed' | 'stopped' | 'stream-stopped';

export function deploymentCardState(d: DeploymentView): DeploymentCardState {
  if (d.status === 'failed') return 'failed';
  if (d.status === 'stopped') return d.stopReason === 'stream' ? 'stream-stopped' : 'stopped';
  if (d.status === 'starting') return 'starting';
  if (d.error) return 'not-predicting';
  return d.peek && d.peek.predictions > 0 ? 'predicting' : 'warming';
}

/** What a deployment reports to the page (engine/nodes/model.ts peek, plus the run's state). */
export interface DeploymentEvents {
  onStarted?(): void;
  onPredictions?(peek: ModelPredictPeek, report: DeploymentReport): void;
  onStopped?(reason: DeploymentStopReason): void;
  onError?(message: string): void;
}

/** The pipeline a deployment runs: device stream → model-predict (the saved run, by id). */
export function deploymentDocument(runId: string, name: string, rateHz = 4): PipelineDocumentInput {
  return {
    format: 'neurotab.pipeline',
    version: 1,
    meta: { name: `Deployed: ${name}`, description: `Live predictions of saved run ${runId}.` },
    nodes: [
      { id: 'in', type: 'io.stream-input' },
      { id: 'predict', type: 'ml.model-predict', params: { model_id: runId, rate: rateHz } },
    ],
    edges: [{ source: 'in', target: 'predict' }],
  };
}

/**
 * A trained model running on the live stream in the acquisition's engine worker (its own slot, so
 * the Pipelines page's pipeline keeps running). Ends when stopped, when the stream stops, or when a
 * newer deployment replaces it.
 */
export class ModelDeployment {
  private static nextId = 1;
  readonly deployId = ModelDeployment.nextId++;
  private readonly unsubscribe: () => void;
  private ended = false;
  private stopRequested = false;

  constructor(
    private readonly acq: Acquisition,
    runId: string,
    name: string,
    private readonly events: DeploymentEvents,
    rateHz = 4,
  ) {
    this.unsubscribe = acq.onEngineEvent((e) => this.onEvent(e));
    if (!acq.sendToEngine({ type: 'deploy-model', deployId: this.deployId, doc: deploymentDocument(runId, name, rateHz) })) {
      this.unsubscribe();
      throw new InputError('no stream is running: start the synthetic device (or a device) on the Live page first');
    }
  }

  get active(): boolean {
    return !this.ended;
  }

  stop(): void {
    if (this.ended) return;
    this.stopRequested = true;
    if (!this.acq.sendToEngine({ type: 'stop-deployment', deployId: this.deployId })) this.end('user');
  }

  private end(reason: DeploymentStopReason): void {
    if (this.ended) return;
    this.ended = true;
    this.unsubscribe();
    this.events.onStopped?.(reason);
  }

  private onEvent(e: EngineEvent): void {
    if (e.type === 'stopped') return this.end(this.stopRequested ? 'user' : 'stream');
    if (!('deployId' in e)) return;
    if (e.deployId !== this.deployId) {
      if (e.type === 'deployment-started') this.end('replaced');
      return;
    }
    switch (e.type) {
      case 'deployment-started':
        this.events.onStarted?.();
        break;
      case 'deployment-report': {
        const peek = Object.values(e.report.predictions)[0] as ModelPredictPeek | undefined;
        if (peek) this.events.onPredictions?.(peek, e.report);
        break;
      }
      case 'deployment-error':
        this.events.onError?.(e.message);
        this.end('failed');
        break;
      case 'deployment-stopped':
        // Unasked, the engine worker stops a deployment only when its stream ends.
        this.end(this.stopRequested ? 'user' : 'stream');
        break;
    }
  }
}
