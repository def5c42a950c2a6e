// Moving recordings between files and the library: import a RecordingData (from formats/) into
// IndexedDB in one-second chunks, and load a stored recording back as RecordingData for export,
// playback or analysis. Any thread with IndexedDB (the import worker, the page, Node tests).
// A failed import removes what it wrote: the library is left as it was.
import { InputError, StorageError } from '../core/errors';
import { recordingDateMs, type RecordingData, type RecordingStream } from '../formats/recording';
import type { NeurotabDb, RecordingRow } from './db';
import { createRecording, deleteRecording, readMarkers, readStream, toStorageError } from './recordings';

export interface ImportProgress {
  framesWritten: number;
  framesTotal: number;
}

/** Bytes the library will use for this data (samples + timestamps + a little per chunk). */
export function storedBytes(data: RecordingData): number {
  return data.streams.reduce((n, s) => n + s.timestampsMs.length * (s.descriptor.channels.length * 4 + 8), 0) + data.markers.length * 64;
}

/**
 * Writes `data` as a new, complete recording named after the file. Each stream becomes chunks of at
 * most one second; markers are stored as they are. On any failure the partial recording is deleted
 * and the error rethrown (quota errors as StorageError with `quota`).
 */
export async function importRecording(db: NeurotabDb, data: RecordingData, fileName: string, onProgress?: (p: ImportProgress) => void): Promise<RecordingRow> {
  if (data.streams.length === 0) throw new InputError('the file holds no sample streams to import', fileName);
  const ids = new Set<string>();
  for (const s of data.streams) {
    if (ids.has(s.descriptor.id)) throw new InputError(`two streams share the id "${s.descriptor.id}"`, fileName);
    ids.add(s.descriptor.id);
  }
  const rec = await createRecording(db, {
    name: fileName.replace(/^.*[\\/]/, ''),
    streams: data.streams.map((s) => s.descriptor),
    source: `file:${data.meta.sourceFormat}`,
    participant: data.meta.subject,
    session: data.meta.session,
    task: data.meta.task,
    notes: data.meta.notes,
    recordedAtMs: recordingDateMs(data.meta) ?? null,
  });
  await db.recordings.update(rec.id, { status: 'importing' });
  const framesTotal = data.streams.reduce((n, s) => n + s.timestampsMs.length, 0);
  let framesWritten = 0;
  try {
    for (const s of data.streams) {
      framesWritten = await writeStream(db, rec.id, s, framesWritten, framesTotal, onProgress);
    }
    if (data.markers.length) {
      await db.markers.bulkAdd(data.markers.map((m) => ({ recordingId: rec.id, timestampMs: m.timestampMs, value: m.value, durationMs: m.durationMs })));
    }
    const bytes = data.streams.reduce((n, s) => n + s.samples.byteLength + s.timestampsMs.byteLength, 0);
    const lastMs = data.streams.reduce((t, s) => Math.max(t, s.timestampsMs.at(-1) ?? 0), 0);
    await db.recordings.update(rec.id, {
      status: 'complete',
      markerCount: data.markers.length,
      byteSize: bytes,
      endedAtMs: lastMs || Date.now(),
      ...(data.probe ? { probe: data.probe } : {}),
      streams: data.streams.map((s) => ({
        descriptor: s.descriptor,
        frames: s.timestampsMs.length,
        chunks: Math.ceil(s.timestampsMs.length / chunkFrames(s)),
        firstTimestampMs: s.timestampsMs.length ? s.timestampsMs[0] : null,
        lastTimestampMs: s.timestampsMs.length ? s.timestampsMs[s.timestampsMs.length - 1] : null,
        droppedFrames: 0,
      })),
    });
  } catch (e) {
    await deleteRecording(db, rec.id).catch(() => {});
    throw e instanceof InputError ? e : toStorageError(e);
  }
  return (await db.recordings.get(rec.id))!;
}

function chunkFrames(s: RecordingStream): number {
  return Math.max(1, Math.round(s.descriptor.sampleRateHz) || 256);
}

async function writeStream(db: NeurotabDb, recordingId: string, s: RecordingStream, done: number, total: number, onProgress?: (p: ImportProgress) => void): Promise<number> {
  const ch = s.descriptor.channels.length;
  const n = s.timestampsMs.length;
  if (s.samples.length !== n * ch) throw new InputError(`stream "${s.descriptor.id}" has ${s.samples.length} samples for ${n} frames of ${ch} channels`);
  const per = chunkFrames(s);
  // Several chunks per transaction: fewer commits, still bounded memory.
  const perTx = 32;
  let seq = 0;
  for (let f0 = 0; f0 < n; f0 += per * perTx) {
    const rows = [];
    for (let f = f0; f < Math.min(n, f0 + per * perTx); f += per) {
      const frames = Math.min(per, n - f);
      rows.push({
        recordingId,
        streamId: s.descriptor.id,
        seq: seq++,
        firstTimestampMs: s.timestampsMs[f],
        frames,
        samples: s.samples.slice(f * ch, (f + frames) * ch),
        timestampsMs: s.timestampsMs.slice(f, f + frames),
      });
    }
    await db.chunks.bulkAdd(rows);
    done += rows.reduce((k, r) => k + r.frames, 0);
    onProgress?.({ framesWritten: done, framesTotal: total });
  }
  return done;
}

/** A stored recording as RecordingData (all streams and markers in memory). */
export async function loadRecordingData(db: NeurotabDb, id: string): Promise<RecordingData> {
  const rec = await db.recordings.get(id);
  if (!rec) throw new StorageError(`recording ${id} does not exist`);
  const streams: RecordingStream[] = [];
  for (const s of rec.streams) {
    const r = await readStream(db, id, s.descriptor.id);
    streams.push({ descriptor: s.descriptor, samples: r.samples, timestampsMs: r.timestampsMs });
  }
  const first = streams.reduce((t, s) => (s.timestampsMs.length ? Math.min(t, s.timestampsMs[0]) : t), Infinity);
  return {
    meta: {
      sourceFormat: 'neurotab',
      startTimeMs: Number.isFinite(first) ? first : rec.createdAtMs,
      subject: rec.participant,
      session: rec.session,
      task: rec.task,
      notes: rec.notes,
      device: rec.source,
    },
    streams,
    markers: await readMarkers(db, id),
    ...(rec.probe ? { probe: rec.probe } : {}),
  };
}

/** Deletes imports a crashed tab left half-written. Returns how many. */
export async function removeFailedImports(db: NeurotabDb): Promise<number> {
  const stale = await db.recordings.where('status').equals('importing').primaryKeys();
  for (const id of stale) await deleteRecording(db, id);
  return stale.length;
}
