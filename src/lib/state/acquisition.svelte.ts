// The app's one acquisition: the stream that runs (the Live page's synthetic device or playback, or
// a board connected on the Devices page — never two at once), view settings, the one recording.
// Main thread only; wraps one clients/acquisition.ts, whose workers outlive page navigation.
import { Acquisition, type AcquisitionEvents } from '../clients/acquisition';
import type { StreamDescriptor } from '../core/stream';
import type { EngineEvent, FilterSettings, SyntheticFnirsSettings, SyntheticSettings } from '../../../workers/protocol';
import type { LiveFnirsQuality } from '../fnirs/live';
import { openDb, type RecordingRow } from '../storage/db';
import { listRecordings } from '../storage/recordings';
import { app } from './app.svelte';
import { nowMs } from '../core/clock';

class AcquisitionState {
  /** Which device feeds the live view: the synthetic EEG or fNIRS head, or a stored recording replayed. */
  deviceKind = $state<'synthetic' | 'synthetic-fnirs' | 'playback'>('synthetic');
  playback = $state<{ recordingId: string; speed: number; loop: boolean }>({ recordingId: '', speed: 1, loop: false });
  playable = $state<RecordingRow[]>([]);
  playbackProgress = $state(0);
  settings = $state<SyntheticSettings>({ channels: 16, sampleRateHz: 250, lineFrequencyHz: 50, seed: 1, eyesClosed: false });
  fnirsSettings = $state<SyntheticFnirsSettings>({ sampleRateHz: 10, seed: 1, responseUm: 0.5, motionPerMinute: 0.5 });
  /** Synthetic fNIRS: the running task block (shared clock, ms) and the rest/task schedule. */
  taskBlock = $state<{ startMs: number; endMs: number } | null>(null);
  taskSchedule = $state<{ taskSeconds: number; restSeconds: number } | null>(null);
  /** An fNIRS stream: what its filtered view shows (HbO/HbR or ΔOD) and its channel quality. */
  fnirsView = $state.raw<Extract<EngineEvent, { type: 'fnirs-view' }> | null>(null);
  fnirsQuality = $state.raw<LiveFnirsQuality | null>(null);
  filter = $state<FilterSettings>({ bandHz: [1, 40], notchHz: 50 });
  view = $state<{ filtered: boolean; windowSeconds: number; scaleUv: number }>({ filtered: true, windowSeconds: 10, scaleUv: 50 });
  descriptor = $state<StreamDescriptor | null>(null);
  starting = $state(false);
  engine = $state({ framesProcessed: 0, droppedFrames: 0, resets: 0 });
  display = $state({ fps: 0, framesPerSecond: 0 });
  recording = $state<{ id: string; frames: number; bytes: number; droppedFrames: number; markers: number; startedAt: number } | null>(null);
  lastMarker = $state<string | null>(null);
  recordingName = $state('');
  /** Set while a board connected on the Devices page feeds the acquisition (state/devices.svelte.ts). */
  private device: Pick<AcquisitionEvents, 'onDeviceStatus' | 'onDeviceLiveStats'> & { onError(message: string): boolean } | null = null;
  private acq = new Acquisition({
    onDeviceStatus: (s) => this.device?.onDeviceStatus?.(s),
    onDeviceLiveStats: (s) => this.device?.onDeviceLiveStats?.(s),
    onEngineStats: (s) => (this.engine = s),
    onFnirsView: (v) => (this.fnirsView = v),
    onFnirsQuality: (q) => (this.fnirsQuality = q),
    onDeviceStats: (s) => {
      if (s.progress !== undefined) this.playbackProgress = s.progress;
    },
    onPlaybackFinished: () => app.notify('info', 'Playback reached the end of the recording.'),
    onTaskBlock: (m) => {
      this.taskBlock = { startMs: m.timestampMs, endMs: m.timestampMs + (m.durationMs ?? 0) };
      this.lastMarker = m.value;
    },
    onRecordingProgress: (p) => {
      if (this.recording && p.recordingId === this.recording.id) this.recording = { ...this.recording, ...p };
    },
    onRecordingStopped: (s) => {
      this.recording = null;
      if (s.reason !== 'user') app.notify('error', `Recording stopped: ${s.message ?? s.reason}`);
      void app.refreshStorage();
    },
    onError: (m) => {
      if (!this.device?.onError(m)) app.notify('error', m);
    },
  });

  /**
   * The Devices page takes the acquisition for its board: the synthetic device or playback, if
   * running, stops first (with its recording, everything written kept) and the page says so.
   * `hooks.onError` returns true for errors it handles itself.
   */
  async claimForDevice(deviceName: string, hooks: NonNullable<AcquisitionState['device']>): Promise<void> {
    if (this.streaming) {
      const was = this.deviceKind === 'playback' ? 'Playback' : 'The synthetic device';
      const recorded = this.recording ? ' Its recording was stopped and kept.' : '';
      await this.stop();
      app.notify('info', `${was} stopped: ${deviceName} replaces it (the app runs one acquisition at a time).${recorded}`);
    }
    this.device = hooks;
  }

  /** The board has stopped feeding the acquisition: its fNIRS view and quality end with it. */
  releaseDevice(): void {
    this.device = null;
    this.fnirsView = null;
    this.fnirsQuality = null;
  }

  /** The underlying client (the pipelines page talks to its engine worker). */
  get client(): Acquisition {
    return this.acq;
  }

  get streaming(): boolean {
    return this.descriptor !== null;
  }

  get reader() {
    return this.view.filtered ? this.acq.filteredReader : this.acq.rawReader;
  }

  /** Frames lost anywhere between the device and its consumers. */
  get droppedFrames(): number {
    return this.engine.droppedFrames + (this.recording?.droppedFrames ?? 0);
  }

  /** Recordings that can be replayed (finished, with a regular-rate stream). */
  async loadPlayable(): Promise<void> {
    const all = await listRecordings(openDb());
    this.playable = all.filter((r) => r.status !== 'recording' && r.status !== 'importing' && r.streams.some((s) => s.descriptor.sampleRateHz > 0 && s.frames > 0));
    if (!this.playable.some((r) => r.id === this.playback.recordingId)) this.playback.recordingId = this.playable[0]?.id ?? '';
  }

  async start(): Promise<void> {
    if (this.starting || this.streaming) return;
    if (this.device) {
      app.notify('info', 'A device connected on the Devices page is running: disconnect it there to use the synthetic device or playback.');
      return;
    }
    this.starting = true;
    try {
      if (this.deviceKind === 'playback') {
        const rec = this.playable.find((r) => r.id === this.playback.recordingId);
        if (!rec) throw new Error('choose a recording to play');
        const streams = rec.streams.filter((s) => s.descriptor.sampleRateHz > 0 && s.frames > 0);
        const stream = (streams.find((s) => s.descriptor.kind === 'eeg' || s.descriptor.kind === 'fnirs') ?? streams[0]).descriptor;
        this.playbackProgress = 0;
        this.descriptor = await this.acq.startPlayback({ ...$state.snapshot(this.playback), streamId: stream.id }, stream, $state.snapshot(this.filter));
      } else if (this.deviceKind === 'synthetic-fnirs') {
        // Raw intensities are not band-passed here (the EEG filter chain does not apply).
        this.descriptor = await this.acq.startSyntheticFnirs($state.snapshot(this.fnirsSettings), { bandHz: null, notchHz: null });
      } else this.descriptor = await this.acq.startSynthetic($state.snapshot(this.settings), $state.snapshot(this.filter));
      app.publishStreams(this.acq.sharedStreams());
    } catch (e) {
      app.notify('error', `Could not start the stream: ${(e as Error).message}`);
      await this.acq.stop();
    } finally {
      this.starting = false;
    }
  }

  async stop(): Promise<void> {
    await this.acq.stop();
    app.publishStreams([]);
    this.descriptor = null;
    this.engine = { framesProcessed: 0, droppedFrames: 0, resets: 0 };
    this.taskBlock = null;
    this.taskSchedule = null;
    this.fnirsView = null;
    this.fnirsQuality = null;
  }

  /** Synthetic fNIRS: a task block of `seconds` from now (its marker is recorded with the stream). */
  startTaskBlock(seconds: number): void {
    this.acq.startTaskBlock(seconds);
  }

  /** Synthetic fNIRS: repeat rest then task, or stop repeating (null; a running block finishes). */
  setTaskSchedule(schedule: { taskSeconds: number; restSeconds: number } | null): void {
    this.taskSchedule = schedule;
    this.acq.setTaskSchedule(schedule);
  }

  setEyesClosed(v: boolean): void {
    this.settings.eyesClosed = v;
    this.acq.setEyesClosed(v);
  }

  applyFilter(): void {
    this.acq.setFilter($state.snapshot(this.filter));
  }

  /** Records whatever streams (either page's source); `name` defaults to the name typed in. */
  async startRecording(name = this.recordingName): Promise<void> {
    const descriptor = this.acq.descriptor;
    if (!descriptor || this.recording) return;
    await app.refreshStorage();
    const s = app.storage;
    // Refuse to start with less than ~5 minutes of room at this stream's rate.
    if (s) {
      const bytesPerSecond = Math.max(1, descriptor.sampleRateHz) * (descriptor.channels.length * 4 + 8);
      if (s.quotaBytes - s.usageBytes < bytesPerSecond * 300) {
        app.notify('error', 'Not enough storage left for a recording of 5 minutes. Delete old recordings or export them, then try again.');
        return;
      }
    }
    // Ask once for persistent storage, so the browser does not evict recordings under pressure.
    if (app.storage && !app.storage.persisted) void navigator.storage?.persist?.().then(() => app.refreshStorage());
    try {
      const id = await this.acq.startRecording(name);
      this.recording = { id, frames: 0, bytes: 0, droppedFrames: 0, markers: 0, startedAt: performance.now() };
    } catch (e) {
      app.notify('error', `Could not start recording: ${(e as Error).message}`);
    }
  }

  /** A marker now, from this page (stimulus pages send theirs on the marker bus themselves). */
  addMarker(value: string): void {
    const v = value.trim();
    if (!v) return;
    this.acq.addMarkers([{ value: v, timestampMs: nowMs() }]);
    this.lastMarker = v;
  }

  async stopRecording(): Promise<void> {
    await this.acq.stopRecording();
    this.recordingName = '';
  }
}

export const acquisition = new AcquisitionState();
