// The recorder: drains stream readers into IndexedDB chunks of at most one second, plus markers.
// Runs in the recorder worker (and in Node tests). Crash-safe: every flush is one transaction, so a
// killed tab loses at most the frames of the last flush interval. On a storage error it stops
// cleanly, closes the recording with the reason and keeps everything already written.
import type { MarkerEvent, StreamDescriptor } from '../core/stream';
import type { NeurotabDb } from './db';
import { addMarkers, appendChunk, finishRecording, isQuotaError, toStorageError } from './recordings';

/** What the recorder needs of a ring reader (streams/ring.ts RingReader satisfies it). */
export interface FrameSource {
  read(maxFrames: number, outSamples: Float32Array, outTimestamps: Float64Array): { frames: number; dropped: number };
}

export interface RecorderStream {
  descriptor: StreamDescriptor;
  source: FrameSource;
}

export interface RecorderProgress {
  recordingId: string;
  frames: number;
  bytes: number;
  droppedFrames: number;
  markers: number;
}

export type RecorderStop = { recordingId: string; reason: 'user' } | { recordingId: string; reason: 'storage-full' | 'storage-error'; message: string };

interface StreamState {
  descriptor: StreamDescriptor;
  source: FrameSource;
  maxChunkFrames: number;
  samples: Float32Array;
  timestampsMs: Float64Array;
}

export class Recorder {
  readonly recordingId: string;
  private readonly db: NeurotabDb;
  private readonly streams: StreamState[];
  private pendingMarkers: MarkerEvent[] = [];
  private stopped: RecorderStop | null = null;
  private flushing: Promise<void> = Promise.resolve();
  readonly progress: RecorderProgress;

  constructor(db: NeurotabDb, recordingId: string, streams: RecorderStream[]) {
    this.db = db;
    this.recordingId = recordingId;
    this.streams = streams.map(({ descriptor, source }) => {
      // At most one second per chunk (irregular streams: 256 frames).
      const maxChunkFrames = Math.max(1, Math.round(descriptor.sampleRateHz) || 256);
      return {
        descriptor,
        source,
        maxChunkFrames,
        samples: new Float32Array(maxChunkFrames * descriptor.channels.length),
        timestampsMs: new Float64Array(maxChunkFrames),
      };
    });
    this.progress = { recordingId, frames: 0, bytes: 0, droppedFrames: 0, markers: 0 };
  }

  get isStopped(): boolean {
    return this.stopped !== null;
  }

  addMarkers(events: MarkerEvent[]): void {
    if (!this.stopped) this.pendingMarkers.push(...events);
  }

  /** Writes everything readable now. Serialised: concurrent calls queue behind each other. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushOnce());
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    if (this.stopped) return;
    try {
      for (const s of this.streams) {
        const ch = s.descriptor.channels.length;
        for (;;) {
          const { frames, dropped } = s.source.read(s.maxChunkFrames, s.samples, s.timestampsMs);
          if (frames === 0) {
            this.progress.droppedFrames += dropped;
            break;
          }
          await appendChunk(this.db, this.recordingId, s.descriptor.id, s.samples, s.timestampsMs, frames, dropped);
          this.progress.frames += frames;
          this.progress.droppedFrames += dropped;
          this.progress.bytes += frames * (ch * 4 + 8);
          if (frames < s.maxChunkFrames) break;
        }
      }
      if (this.pendingMarkers.length) {
        const batch = this.pendingMarkers;
        this.pendingMarkers = [];
        await addMarkers(this.db, this.recordingId, batch);
        this.progress.markers += batch.length;
      }
    } catch (e) {
      const err = toStorageError(e);
      this.stopped = { recordingId: this.recordingId, reason: isQuotaError(e) ? 'storage-full' : 'storage-error', message: err.message };
      // Closing the recording is a tiny write; if even that fails, recovery on next start closes it.
      await finishRecording(this.db, this.recordingId, 'complete', err.message).catch(() => {});
    }
  }

  /** Final flush, then closes the recording. Returns why it stopped (user, or an earlier storage error). */
  async stop(): Promise<RecorderStop> {
    await this.flush();
    if (!this.stopped) {
      this.stopped = { recordingId: this.recordingId, reason: 'user' };
      await finishRecording(this.db, this.recordingId, 'complete');
    }
    return this.stopped;
  }

  /** Set once a storage error stopped the recording (the worker reports it to the page). */
  get failure(): RecorderStop | null {
    return this.stopped && this.stopped.reason !== 'user' ? this.stopped : null;
  }
}
