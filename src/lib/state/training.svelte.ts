// Training page state as a rune class: the worker's backend, the run in progress (phase, live
// epoch curves), the last report (metrics, figures, timings), saved experiments, errors. Main thread
// only; the work happens in workers/train.worker.ts through clients/training.ts.
import { TrainingClient, recordingChoices, type RecordingChoice } from '../clients/training';
import type { ExperimentSummary, RunReport, TrainEvent } from '../ml/tf/protocol';
import type { RunPhase } from '../ml/experiments/run';
import type { EpochLog } from '../ml/tf/train';

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
  error = $state<string | null>(null);
  notice = $state<string | null>(null);
  private client: TrainingClient | null = null;

  start(): void {
    if (this.client) return;
    this.client = new TrainingClient();
    this.client.on((e) => this.onEvent(e));
    this.client.start();
    this.client.send({ type: 'list' });
    void this.refreshRecordings();
  }

  async refreshRecordings(): Promise<void> {
    try {
      this.recordings = await recordingChoices();
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
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
