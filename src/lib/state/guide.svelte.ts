// The guided first run as a rune class: starts the app's one acquisition (synthetic EEG unless a
// board is connected), runs the 40 s eyes open / closed calibration (markers on the marker bus, the
// synthetic alpha switch flipped in step, or the person asked to do it), trains in the training
// worker, deploys on the live stream and times each part. Main thread only; its progress is saved
// in localStorage after every phase, so a closed tab resumes where it was (guide-plan.ts).
import { TrainingClient } from '../clients/training';
import type { RunReport, TrainEvent } from '../ml/tf/protocol';
import { acquisition } from './acquisition.svelte';
import { app } from './app.svelte';
import { liveStream } from './live.svelte';
import { openDb } from '../storage/db';
import { saveLessonResult } from '../storage/lesson-results';
import { training } from './training.svelte';
import {
  CALIBRATION_PHASES,
  freshProgress,
  GUIDE_EXPERIMENT,
  GUIDE_STORAGE_KEY,
  guideTrainingConfig,
  MARKER_OFFSETS_SECONDS,
  parseProgress,
  PHASE_SECONDS,
  phaseClass,
  resumeStep,
  type EyesClass,
  type GuideProgress,
  type GuideStep,
} from './guide-plan';

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

class GuideState {
  progress = $state<GuideProgress>(freshProgress());
  step = $state<GuideStep>('signal');
  /** What the person is asked to do now (during calibration and on the live step). */
  prompt = $state<EyesClass | null>(null);
  /** Seconds left in the current calibration phase. */
  phaseLeftSeconds = $state(0);
  busy = $state<'starting' | 'calibrating' | 'training' | 'deploying' | null>(null);
  error = $state<string | null>(null);
  /** A saved guide was found and is waiting to go on from where it was. */
  resumed = $state(false);
  /** Milliseconds since this page's navigation (performance.now()): signal on screen, first prediction. */
  signalAtMs = $state<number | null>(null);
  firstPredictionAtMs = $state<number | null>(null);
  report = $state<RunReport | null>(null);
  /** The lesson this run belongs to (opened from a lesson link); its result is kept on this device. */
  lesson = $state<{ id: string; title: string } | null>(null);
  private loaded = false;
  private cancelled = false;

  /** The stream runs on a real board (connected on the Devices page): the person does the eyes. */
  get withDevice(): boolean {
    return liveStream()?.fromDevice ?? false;
  }

  /** A saved guide, if any (once per page load). */
  load(): void {
    if (this.loaded) return;
    this.loaded = true;
    const saved = parseProgress(readStorage());
    if (!saved) return;
    this.progress = saved;
    this.step = resumeStep(saved);
    this.resumed = saved.step !== 'signal' || saved.phasesDone > 0;
  }

  /** Step 1: the live signal (starts the synthetic device unless something already streams). */
  async openSignal(): Promise<void> {
    if (this.busy) return;
    this.error = null;
    const live = liveStream();
    if (live && (live.fromDevice || acquisition.deviceKind === 'synthetic')) return;
    this.busy = 'starting';
    try {
      if (acquisition.streaming) await acquisition.stop(); // playback or synthetic fNIRS: the guide needs eyes
      acquisition.deviceKind = 'synthetic';
      acquisition.setEyesClosed(false);
      await acquisition.start();
      if (!liveStream()) throw new Error('the synthetic device did not start (see the message above)');
    } catch (e) {
      this.error = `Could not start the signal: ${(e as Error).message}`;
    } finally {
      this.busy = null;
    }
  }

  /** The live view drew its first frames. */
  signalShown(): void {
    this.signalAtMs ??= performance.now();
  }

  /** Step 2: the calibration, from the phase it was at (a resumed guide records a new part). */
  async calibrate(): Promise<void> {
    if (this.busy) return;
    this.error = null;
    this.resumed = false;
    await this.openSignal();
    const live = liveStream();
    if (!live) return;
    this.step = 'calibrate';
    this.busy = 'calibrating';
    this.cancelled = false;
    const startedAt = performance.now();
    const before = this.progress.calibrationMs ?? 0;
    try {
      if (acquisition.recording) {
        await acquisition.stopRecording();
        app.notify('info', 'The recording that was running was stopped and kept; the calibration records on its own.');
      }
      await acquisition.startRecording(`First run · eyes open / closed${this.progress.recordingIds.length ? ` (part ${this.progress.recordingIds.length + 1})` : ''}`);
      const rec = acquisition.recording;
      if (!rec) throw new Error('the calibration recording did not start (see the message above)');
      this.save({ step: 'calibrate', recordingIds: [...this.progress.recordingIds, rec.id] });
      for (let p = this.progress.phasesDone; p < CALIBRATION_PHASES; p++) {
        await this.runPhase(p);
        if (this.cancelled) {
          await acquisition.stopRecording();
          return;
        }
        this.save({ phasesDone: p + 1, calibrationMs: before + performance.now() - startedAt });
      }
      await acquisition.stopRecording();
      this.prompt = null;
      this.save({ step: 'train' });
      this.step = 'train';
    } catch (e) {
      this.error = `The calibration stopped: ${(e as Error).message}`;
      if (acquisition.recording) await acquisition.stopRecording();
    } finally {
      this.busy = null;
      this.prompt = null;
    }
    if (this.step === 'train') await this.train();
  }

  /** One phase: the prompt (and the synthetic switch) at its start, its markers at their offsets. */
  private async runPhase(p: number): Promise<void> {
    const value = phaseClass(p);
    this.prompt = value;
    if (!this.withDevice) acquisition.setEyesClosed(value === 'closed');
    const t0 = performance.now();
    const ticker = setInterval(() => (this.phaseLeftSeconds = Math.max(0, PHASE_SECONDS - (performance.now() - t0) / 1000)), 100);
    try {
      for (const offset of MARKER_OFFSETS_SECONDS) {
        await sleep(Math.max(0, t0 + offset * 1000 - performance.now()));
        if (this.cancelled) return;
        if (!liveStream()) throw new Error('the stream stopped; start it again and go on from this phase');
        acquisition.addMarker(value);
      }
      await sleep(Math.max(0, t0 + PHASE_SECONDS * 1000 - performance.now()));
    } finally {
      clearInterval(ticker);
    }
  }

  /** Step 3: trains the classifier in the training worker, then deploys it on the live stream. */
  async train(): Promise<void> {
    if (this.busy) return;
    const live = liveStream();
    if (!live) {
      await this.openSignal();
      if (!liveStream()) return;
    }
    this.error = null;
    this.step = 'train';
    this.busy = 'training';
    const t0 = performance.now();
    const client = new TrainingClient();
    try {
      const channels = liveStream()!.descriptor.channels.length;
      const report = await new Promise<RunReport>((resolve, reject) => {
        client.on((e: TrainEvent) => {
          if (e.type === 'finished' && e.report.name === GUIDE_EXPERIMENT) resolve(e.report);
          else if (e.type === 'failed' && e.name === GUIDE_EXPERIMENT) reject(new Error(e.message));
          else if (e.type === 'error') reject(new Error(e.message));
        });
        client.start();
        client.send({ type: 'train', name: GUIDE_EXPERIMENT, config: guideTrainingConfig(channels), recordingIds: $state.snapshot(this.progress.recordingIds) });
      });
      this.report = report;
      this.save({ step: 'live', runId: report.runId, trainingMs: performance.now() - t0 });
      this.busy = null;
      this.deploy();
    } catch (e) {
      this.error = `Training failed: ${(e as Error).message}. Calibrate again to record new data.`;
    } finally {
      client.dispose();
      if (this.busy === 'training') this.busy = null;
    }
  }

  /** Step 4: the model on the live stream; `firstPredictionAtMs` is set by the page when it predicts. */
  deploy(): void {
    const runId = this.progress.runId;
    if (!runId) return;
    this.step = 'live';
    this.prompt = 'open';
    if (!this.withDevice) acquisition.setEyesClosed(false);
    training.deploy(runId, GUIDE_EXPERIMENT);
  }

  /** The first live prediction arrived. */
  predicted(): void {
    if (this.firstPredictionAtMs !== null) return;
    this.firstPredictionAtMs = performance.now();
    const lesson = this.lesson;
    if (!lesson) return;
    const result = { lessonId: lesson.id, title: lesson.title, finishedAtMs: Date.now(), accuracy: this.report?.metrics?.accuracy ?? null, firstPredictionSeconds: this.firstPredictionAtMs / 1000 };
    saveLessonResult(openDb(), result).catch((e: Error) => app.notify('error', `Your lesson result was not saved: ${e.message}`));
  }

  /** Starts the guide afresh for a lesson (from its link). */
  startLesson(lesson: { id: string; title: string }): void {
    this.restart();
    this.loaded = true;
    this.lesson = lesson;
  }

  /** Live step: "close / open your eyes" (on the synthetic device, the switch follows). */
  setEyes(value: EyesClass): void {
    this.prompt = value;
    if (!this.withDevice) acquisition.setEyesClosed(value === 'closed');
  }

  /** Forgets the saved guide and starts over (recordings already made stay in the library). */
  restart(): void {
    this.cancelled = true;
    training.stopDeployment();
    this.progress = freshProgress();
    this.step = 'signal';
    this.report = null;
    this.error = null;
    this.resumed = false;
    this.firstPredictionAtMs = null;
    writeStorage(null);
  }

  private save(patch: Partial<GuideProgress>): void {
    this.progress = { ...this.progress, ...patch };
    writeStorage(JSON.stringify($state.snapshot(this.progress)));
  }
}

function readStorage(): string | null {
  try {
    return localStorage.getItem(GUIDE_STORAGE_KEY);
  } catch {
    return null;
  }
}

/** Saves (or, with null, forgets) the guide; storage that is full or refused is said, not swallowed. */
function writeStorage(text: string | null): void {
  try {
    if (text === null) localStorage.removeItem(GUIDE_STORAGE_KEY);
    else localStorage.setItem(GUIDE_STORAGE_KEY, text);
  } catch (e) {
    const full = e instanceof DOMException && (e.name === 'QuotaExceededError' || e.name === 'NS_ERROR_DOM_QUOTA_REACHED');
    app.notify('warning', full
      ? 'Storage is full: the guide cannot save where it is, so closing this tab would start it over. Free space by deleting old recordings on the Recordings page.'
      : `The guide cannot save where it is (${(e as Error).message}); closing this tab would start it over.`);
  }
}

export const guide = new GuideState();
