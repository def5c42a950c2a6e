// Page-side owner of the training worker (workers/train.worker.ts): starts it, selects its backend,
// forwards train / stop / load / delete, and fans its events out to listeners. Also lists stored
// recordings with their marker values (for picking classes). Main thread only; no Svelte.
import type { TrainEvent, TrainRequest } from '../ml/tf/protocol';
import { openDb } from '../storage/db';
import { listRecordings, readMarkers } from '../storage/recordings';

export interface RecordingChoice {
  id: string;
  name: string;
  /** Marker value → count. */
  markers: Record<string, number>;
  channelCount: number;
  sampleRateHz: number;
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

/** Completed recordings with their marker values (allocates; reads every marker row). */
export async function recordingChoices(): Promise<RecordingChoice[]> {
  const db = openDb();
  const rows = (await listRecordings(db)).filter((r) => r.status === 'complete' || r.status === 'recovered');
  const out: RecordingChoice[] = [];
  for (const r of rows) {
    const markers: Record<string, number> = {};
    for (const m of await readMarkers(db, r.id)) markers[m.value] = (markers[m.value] ?? 0) + 1;
    const eeg = r.streams.find((s) => s.descriptor.kind === 'eeg') ?? r.streams[0];
    out.push({ id: r.id, name: r.name, markers, channelCount: eeg?.descriptor.channels.length ?? 0, sampleRateHz: eeg?.descriptor.sampleRateHz ?? 0 });
  }
  return out;
}
