// Training page state as a rune class: the worker's backend, the run in progress (phase, live
// epoch curves), the last report (metrics, figures, timings), saved experiments, the experiments of
// the ExperimentHub API (and why they have no model yet), errors, and the model deployed on the live
// stream (its latest predictions). Main thread only; the work happens in workers/train.worker.ts
// and the acquisition's engine worker through clients/training.ts.
import { listApiExperiments, ModelDeployment, TrainingClient, watchRecordingChoices, type ApiExperimentView, type DeploymentView, type RecordingChoice } from '../clients/training';
import { acquisition } from './acquisition.svelte';
import { liveStream } from './live.svelte';
import type { ExperimentSummary, RunReport, TrainEvent } from '../ml/tf/protocol';
import type { RunPhase } from '../ml/experiments/run';
import type { EpochLog } from '../ml/tf/train';

export { deploymentCardState, type DeploymentCardState, type DeploymentView } from '../clients/training';

class TrainingState {
  backend = $state<string | null>(null);
  rejected = $state<{ name: string; reason: string }[]>([]);
  recordings = $state<RecordingChoice[]>([]);
  running = $state<string | null>(null);
  phase = $state<RunPhase | null>(null);
  /** Epoch logs of the current run (fold null = final model). */
  epochs = $state<(EpochLog & { fold: number | null })[]>([]);
  report = $state<RunReport | null>(null);
  experiments = $state<ExperimentSummary[]>([]);
  /** Experiments made through the ExperimentHub API (Python clients through the bridge, other pages). */
  apiExperiments = $state<ApiExperimentView[]>([]);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);
  deployment = $state<DeploymentView | null>(null);
  private client: TrainingClient | null = null;
  private deployed: ModelDeployment | null = null;

  start(): void {
    if (this.client) return;
    this.client = new TrainingClient();
    this.client.on((e) => this.onEvent(e));
    this.client.start();
    this.client.send({ type: 'list' });
  }

  /** Keeps `recordings` in step with the library while the page is open; returns the stop function. */
  watchRecordings(): () => void {
    return watchRecordingChoices(
      (next) => {
        // Same list (a recording elsewhere grew): keep the array, so the page does not re-render.
        if (next.length === this.recordings.length && next.every((r, i) => r.id === this.recordings[i].id && r.name === this.recordings[i].name)) return;
        this.recordings = next;
      },
      (e) => (this.error = e.message),
    );
  }

  /**
   * Keeps `apiExperiments` current while the page is open (asked every `everyMs` through this
   * origin's API, only while a service worker serves it and the tab is visible); returns the stop function.
   */
  watchApiExperiments(everyMs = 3000): () => void {
    const refresh = () => {
      if (document.hidden || !navigator.serviceWorker?.controller) return;
      // Unanswered (no tab hosts the engine yet, an update in progress): the list stays as it was.
      listApiExperiments().then((next) => (this.apiExperiments = next), () => undefined);
    };
    refresh();
    const timer = setInterval(refresh, everyMs);
    return () => clearInterval(timer);
  }

  train(name: string, config: Record<string, unknown>, recordingIds: string[]): void {
    this.error = null;
    this.notice = null;
    this.report = null;
    this.epochs = [];
    this.phase = null;
    this.running = name;
    this.client?.send({ type: 'train', name, config, recordingIds });
  }

  stop(): void {
    if (this.running) this.client?.send({ type: 'stop', name: this.running });
  }

  load(name: string): void {
    this.client?.send({ type: 'load', name });
  }

  remove(name: string): void {
    this.client?.send({ type: 'delete', name });
  }

  /** Runs saved run `runId` on the live stream (state/live.svelte.ts); replaces a previous deployment. */
  deploy(runId: string, name: string): void {
    this.deployed?.stop();
    const view: DeploymentView = { name, runId, status: 'starting', peek: null, error: null, framesIn: 0, stopReason: null };
    this.deployment = view;
    try {
      const source = liveStream();
      if (!source) throw new Error('No stream is running: start one on the Live page or connect a device, then deploy');
      const dep = new ModelDeployment(source.client, runId, name, {
        onStarted: () => this.patchDeployment(dep, { status: 'running' }),
        onPredictions: (peek, report) => this.patchDeployment(dep, { peek, framesIn: report.framesIn, error: peek.error }),
        onError: (message) => this.patchDeployment(dep, { status: 'failed', error: message }),
        onStopped: (reason) => {
          if (this.deployed !== dep) return;
          if (this.deployment?.status !== 'failed') this.patchDeployment(dep, { status: 'stopped', stopReason: reason });
          this.deployed = null;
        },
      });
      this.deployed = dep;
    } catch (e) {
      this.deployment = { ...view, status: 'failed', error: e instanceof Error ? e.message : String(e) };
    }
  }

  stopDeployment(): void {
    this.deployed?.stop();
  }

  private patchDeployment(dep: ModelDeployment, patch: Partial<DeploymentView>): void {
    if (!this.deployment || this.deployed !== dep) return;
    this.deployment = { ...this.deployment, ...patch };
  }

  /** Starts the synthetic device (Live page settings), then deploys. */
  async startSyntheticAndDeploy(runId: string, name: string): Promise<void> {
    acquisition.deviceKind = 'synthetic';
    await acquisition.start();
    if (acquisition.streaming) this.deploy(runId, name);
  }

  private onEvent(e: TrainEvent): void {
    switch (e.type) {
      case 'ready':
        this.backend = e.backend;
        this.rejected = e.rejected;
        break;
      case 'phase':
        this.phase = e.phase;
        break;
      case 'epoch':
        this.epochs = [...this.epochs, e.log];
        break;
      case 'finished':
        this.report = e.report;
        this.running = null;
        this.phase = null;
        this.client?.send({ type: 'list' });
        break;
      case 'failed':
        this.running = null;
        this.phase = null;
        if (e.cancelled) this.notice = e.message;
        else this.error = e.message;
        this.client?.send({ type: 'list' });
        break;
      case 'experiments':
        this.experiments = e.experiments;
        break;
      case 'loaded':
        if (e.report) this.report = e.report;
        else this.error = `no saved run of ${e.name}`;
        break;
      case 'error':
        this.error = e.message;
        this.running = null;
        break;
    }
  }
}

export const training = new TrainingState();
