// Recording repository: create, append chunks and markers, finish, recover, list, read back.
// Used by the recorder worker (writes) and the page / service worker (reads). Works on any
// NeurotabDb so tests can use a fresh database. Not for the acquisition loop: allocates.
import { liveQuery } from 'dexie';
import { uuidv7 } from '../core/ids';
import { StorageError } from '../core/errors';
import type { MarkerEvent, StreamDescriptor } from '../core/stream';
import type { ChunkRow, NeurotabDb, RecordingRow } from './db';

export interface NewRecording {
  name?: string;
  streams: StreamDescriptor[];
  source?: string;
  studyId?: string;
  participant?: string;
  session?: string;
  task?: string;
  notes?: string;
  /** When it was made (ms since the epoch); default now (a live recording starts), null: unknown (a file that does not say). */
  recordedAtMs?: number | null;
}

function defaultName(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `Recording ${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export async function createRecording(db: NeurotabDb, r: NewRecording): Promise<RecordingRow> {
  const now = Date.now();
  // A live fNIRS device's probe travels in its stream descriptor; the recording keeps it (SNIRF export).
  const probe = r.streams.find((d) => d.probe)?.probe;
  const row: RecordingRow = {
    id: uuidv7(now),
    name: r.name?.trim() || defaultName(now),
    createdAtMs: now,
    ...(r.recordedAtMs !== null ? { recordedAtMs: r.recordedAtMs ?? now } : {}),
    status: 'recording',
    streams: r.streams.map((descriptor) => ({
      descriptor, frames: 0, chunks: 0, firstTimestampMs: null, lastTimestampMs: null, droppedFrames: 0,
    })),
    markerCount: 0,
    byteSize: 0,
    source: r.source,
    kinds: [...new Set(r.streams.map((s) => s.kind))],
    studyId: r.studyId,
    participant: r.participant,
    session: r.session,
    task: r.task,
    notes: r.notes,
    ...(probe ? { probe } : {}),
  };
  await guard(() => db.recordings.add(row));
  return row;
}

/** Turns IndexedDB failures into a StorageError that says what happened; quota errors are named. */
async function guard<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw toStorageError(e);
  }
}

export function isQuotaError(e: unknown): boolean {
  if (e instanceof StorageError) return e.quota;
  const names = [e, (e as { inner?: unknown })?.inner].map((x) => (x as { name?: string } | null)?.name);
  return names.includes('QuotaExceededError');
}

export function toStorageError(e: unknown): StorageError {
  if (e instanceof StorageError) return e;
  if (isQuotaError(e)) return new StorageError('storage is full: the recording was stopped and everything written so far is kept. Free space (delete old recordings) and record again.', { quota: true });
  return new StorageError(`storage failed (${(e as Error)?.message ?? String(e)}); what was written before is kept`);
}

/**
 * Appends one chunk of one stream and updates the recording's counters in ONE transaction, so a
 * crash leaves either both or neither. `droppedFrames` are frames lost before this chunk.
 */
export async function appendChunk(
  db: NeurotabDb,
  recordingId: string,
  streamId: string,
  samples: Float32Array,
  timestampsMs: Float64Array,
  frames: number,
  droppedFrames = 0,
): Promise<void> {
  if (frames <= 0) return;
  await guard(() =>
    db.transaction('rw', db.recordings, db.chunks, async () => {
      const rec = await db.recordings.get(recordingId);
      if (!rec) throw new StorageError(`recording ${recordingId} does not exist`);
      const s = rec.streams.find((x) => x.descriptor.id === streamId);
      if (!s) throw new StorageError(`recording ${recordingId} has no stream "${streamId}"`);
      const ch = s.descriptor.channels.length;
      const row: ChunkRow = {
        recordingId,
        streamId,
        seq: s.chunks,
        firstTimestampMs: timestampsMs[0],
        frames,
        samples: samples.slice(0, frames * ch),
        timestampsMs: timestampsMs.slice(0, frames),
      };
      await db.chunks.add(row);
      s.chunks += 1;
      s.frames += frames;
      s.droppedFrames += droppedFrames;
      s.firstTimestampMs ??= timestampsMs[0];
      s.lastTimestampMs = timestampsMs[frames - 1];
      rec.byteSize += row.samples.byteLength + row.timestampsMs.byteLength;
      await db.recordings.put(rec);
    }),
  );
}

export async function addMarkers(db: NeurotabDb, recordingId: string, markers: MarkerEvent[]): Promise<void> {
  if (markers.length === 0) return;
  await guard(() =>
    db.transaction('rw', db.recordings, db.markers, async () => {
      const rec = await db.recordings.get(recordingId);
      if (!rec) throw new StorageError(`recording ${recordingId} does not exist`);
      await db.markers.bulkAdd(markers.map((m) => ({ recordingId, timestampMs: m.timestampMs, value: m.value, durationMs: m.durationMs })));
      rec.markerCount += markers.length;
      await db.recordings.put(rec);
    }),
  );
}

/**
 * Marks a recording finished. Side streams that never carried a frame (a device's raw-aux stream
 * while the board sends accelerometer data) are dropped from it; the first stream always stays.
 */
export async function finishRecording(db: NeurotabDb, recordingId: string, status: 'complete' | 'recovered' = 'complete', stopReason?: string): Promise<void> {
  await db.transaction('rw', db.recordings, async () => {
    const rec = await db.recordings.get(recordingId);
    if (!rec) return;
    const streams = rec.streams.filter((s, i) => i === 0 || s.frames > 0);
    await db.recordings.update(recordingId, {
      status,
      endedAtMs: Date.now(),
      streams,
      kinds: [...new Set(streams.map((s) => s.descriptor.kind))],
      ...(stopReason ? { stopReason } : {}),
    });
  });
}

/**
 * Closes recordings left open by a tab that died. `isOrphan(id)` says whether nobody still writes
 * it (the page checks the recorder's Web Lock). Counters are rebuilt from the stored chunks, which
 * are the truth. Returns the ids recovered.
 */
export async function recoverOpenRecordings(db: NeurotabDb, isOrphan: (id: string) => Promise<boolean>): Promise<string[]> {
  const open = await db.recordings.where('status').equals('recording').toArray();
  const recovered: string[] = [];
  for (const rec of open) {
    if (!(await isOrphan(rec.id))) continue;
    await db.transaction('rw', db.recordings, db.chunks, db.markers, async () => {
      const chunks = await db.chunks.where('recordingId').equals(rec.id).toArray();
      let bytes = 0;
      for (const s of rec.streams) {
        const mine = chunks.filter((c) => c.streamId === s.descriptor.id).sort((a, b) => a.seq - b.seq);
        s.chunks = mine.length;
        s.frames = mine.reduce((n, c) => n + c.frames, 0);
        s.firstTimestampMs = mine.length ? mine[0].firstTimestampMs : null;
        const last = mine.at(-1);
        s.lastTimestampMs = last ? last.timestampsMs[last.frames - 1] : null;
        bytes += mine.reduce((n, c) => n + c.samples.byteLength + c.timestampsMs.byteLength, 0);
      }
      rec.byteSize = bytes;
      rec.markerCount = await db.markers.where('recordingId').equals(rec.id).count();
      rec.status = 'recovered';
      rec.stopReason = 'recovered: the tab closed while recording; data up to the last saved second is kept';
      rec.endedAtMs = rec.streams.reduce((t, s) => Math.max(t, s.lastTimestampMs ?? 0), 0) || Date.now();
      await db.recordings.put(rec);
    });
    recovered.push(rec.id);
  }
  return recovered;
}

export async function listRecordings(db: NeurotabDb): Promise<RecordingRow[]> {
  return db.recordings.orderBy('createdAtMs').reverse().toArray();
}

/** The library's order: newest recording date first; a file that gives no date counts from its import. */
export function byRecordingDate(rows: readonly RecordingRow[]): RecordingRow[] {
  return [...rows].sort((a, b) => (b.recordedAtMs ?? b.createdAtMs) - (a.recordedAtMs ?? a.createdAtMs));
}

/**
 * The library list, newest first, delivered now and again after every committed change to the
 * recordings table — from this thread or any other tab or worker of the origin (Dexie's liveQuery
 * broadcasts commits): a recording growing in the recorder worker, an import, a deletion.
 * Returns the unsubscribe function.
 */
export function watchRecordings(db: NeurotabDb, onRows: (rows: RecordingRow[]) => void, onError: (e: Error) => void): () => void {
  const sub = liveQuery(() => listRecordings(db)).subscribe({ next: onRows, error: (e: unknown) => onError(e instanceof Error ? e : new Error(String(e))) });
  return () => sub.unsubscribe();
}

export async function deleteRecording(db: NeurotabDb, id: string): Promise<void> {
  await db.transaction('rw', db.recordings, db.chunks, db.markers, async () => {
    await db.chunks.where('recordingId').equals(id).delete();
    await db.markers.where('recordingId').equals(id).delete();
    await db.recordings.delete(id);
  });
}

/** Duration in seconds of the longest stream: frames / nominal rate. */
export function recordingDurationSeconds(rec: RecordingRow): number {
  return rec.streams.reduce((d, s) => Math.max(d, s.descriptor.sampleRateHz > 0 ? s.frames / s.descriptor.sampleRateHz : 0), 0);
}

/** All samples of one stream, concatenated (frame-major). Allocates the whole stream. */
export async function readStream(db: NeurotabDb, recordingId: string, streamId: string): Promise<{ samples: Float32Array; timestampsMs: Float64Array; frames: number; channelCount: number }> {
  const rec = await db.recordings.get(recordingId);
  const s = rec?.streams.find((x) => x.descriptor.id === streamId);
  if (!rec || !s) throw new StorageError(`recording ${recordingId} has no stream "${streamId}"`);
  const ch = s.descriptor.channels.length;
  const chunks = await db.chunks.where('[recordingId+streamId+seq]').between([recordingId, streamId, 0], [recordingId, streamId, Infinity]).toArray();
  const frames = chunks.reduce((n, c) => n + c.frames, 0);
  const samples = new Float32Array(frames * ch);
  const timestampsMs = new Float64Array(frames);
  let f = 0;
  for (const c of chunks) {
    samples.set(c.samples.subarray(0, c.frames * ch), f * ch);
    timestampsMs.set(c.timestampsMs.subarray(0, c.frames), f);
    f += c.frames;
  }
  return { samples, timestampsMs, frames, channelCount: ch };
}

export async function readMarkers(db: NeurotabDb, recordingId: string): Promise<MarkerEvent[]> {
  const rows = await db.markers.where('[recordingId+timestampMs]').between([recordingId, -Infinity], [recordingId, Infinity]).toArray();
  return rows.map((r) => ({ timestampMs: r.timestampMs, value: r.value, ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}) }));
}
