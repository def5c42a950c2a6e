import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { NeurotabDb } from './db';
import {
  addMarkers, appendChunk, byRecordingDate, createRecording, deleteRecording, finishRecording, listRecordings,
  readMarkers, readStream, recordingDurationSeconds, recoverOpenRecordings, watchRecordings,
} from './recordings';
import type { StreamDescriptor } from '../core/stream';

const eeg: StreamDescriptor = {
  id: 'eeg', name: 'EEG', kind: 'eeg', sampleRateHz: 250,
  channels: [{ label: 'Fz', unit: 'uV', type: 'EEG' }, { label: 'Cz', unit: 'uV', type: 'EEG' }],
};

let dbs: NeurotabDb[] = [];
function freshDb(): NeurotabDb {
  const db = new NeurotabDb(`test-${Math.random()}`);
  dbs.push(db);
  return db;
}
afterEach(async () => {
  for (const db of dbs) await db.delete();
  dbs = [];
});

function frames(n: number, start: number): { s: Float32Array; t: Float64Array } {
  const s = new Float32Array(n * 2);
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s[2 * i] = start + i;
    s[2 * i + 1] = -(start + i);
    t[i] = 1000 + (start + i) * 4;
  }
  return { s, t };
}

describe('recording dates', () => {
  it('a live recording is dated by its start, a file by what it says (or not at all); the library sorts by that date, newest first', async () => {
    const db = freshDb();
    const live = await createRecording(db, { streams: [eeg], source: 'synthetic' });
    expect(live.recordedAtMs).toBe(live.createdAtMs);
    const s001 = await createRecording(db, { streams: [eeg], source: 'file:edf', recordedAtMs: Date.UTC(2009, 7, 12, 16, 15) });
    const biosemi = await createRecording(db, { streams: [eeg], source: 'file:bdf', recordedAtMs: Date.UTC(2001, 10, 5, 19, 38, 42) });
    const undated = await createRecording(db, { streams: [eeg], source: 'file:xdf', recordedAtMs: null });
    expect((await db.recordings.get(undated.id))?.recordedAtMs).toBeUndefined();
    expect(s001.createdAtMs).toBeGreaterThanOrEqual(live.createdAtMs); // imported after the live one was made
    // The undated file counts from its import (the newest); then the live one; then by the files' dates.
    expect(byRecordingDate(await listRecordings(db)).map((r) => r.id)).toEqual([undated.id, live.id, s001.id, biosemi.id]);
  });
});

describe('recordings repository', () => {
  it('stores chunks in order and reads the stream back exactly', async () => {
    const db = freshDb();
    const rec = await createRecording(db, { streams: [eeg], source: 'synthetic' });
    for (let k = 0; k < 5; k++) {
      const { s, t } = frames(250, k * 250);
      await appendChunk(db, rec.id, 'eeg', s, t, 250, k === 3 ? 7 : 0);
    }
    await finishRecording(db, rec.id);
    const [row] = await listRecordings(db);
    expect(row.status).toBe('complete');
    expect(row.streams[0].frames).toBe(1250);
    expect(row.streams[0].droppedFrames).toBe(7);
    expect(row.byteSize).toBe(1250 * (2 * 4 + 8));
    expect(recordingDurationSeconds(row)).toBe(5);
    const back = await readStream(db, rec.id, 'eeg');
    expect(back.frames).toBe(1250);
    for (let i = 0; i < 1250; i++) {
      expect(back.samples[2 * i]).toBe(i);
      expect(back.timestampsMs[i]).toBe(1000 + i * 4);
    }
  });

  it('recovers an orphaned open recording from its stored chunks, and leaves a live one alone', async () => {
    const db = freshDb();
    const dead = await createRecording(db, { streams: [eeg] });
    const live = await createRecording(db, { streams: [eeg] });
    const { s, t } = frames(100, 0);
    await appendChunk(db, dead.id, 'eeg', s, t, 100);
    await appendChunk(db, dead.id, 'eeg', s, t, 60);
    await addMarkers(db, dead.id, [{ timestampMs: 1010, value: 'stim' }]);
    // Simulate a crash between the chunk write and a counter update: counters are rebuilt from chunks.
    await db.recordings.update(dead.id, { markerCount: 0 });
    const ids = await recoverOpenRecordings(db, async (id) => id === dead.id);
    expect(ids).toEqual([dead.id]);
    const r = (await db.recordings.get(dead.id))!;
    expect(r.status).toBe('recovered');
    expect(r.streams[0].frames).toBe(160);
    expect(r.markerCount).toBe(1);
    expect((await db.recordings.get(live.id))!.status).toBe('recording');
    expect(await readMarkers(db, dead.id)).toEqual([{ timestampMs: 1010, value: 'stim' }]);
  });

  it('rejects chunks for unknown streams and deletes everything of a recording', async () => {
    const db = freshDb();
    const rec = await createRecording(db, { streams: [eeg] });
    const { s, t } = frames(10, 0);
    await expect(appendChunk(db, rec.id, 'nope', s, t, 10)).rejects.toThrow(/no stream "nope"/);
    await appendChunk(db, rec.id, 'eeg', s, t, 10);
    await deleteRecording(db, rec.id);
    expect(await db.chunks.count()).toBe(0);
    expect(await db.recordings.count()).toBe(0);
  });
});

describe('watchRecordings', () => {
  it('delivers the list now and after each committed change (create, grow, finish, delete), then stops', async () => {
    const db = freshDb();
    const seen: Array<Array<{ name: string; frames: number; status: string }>> = [];
    let wake: () => void = () => {};
    const next = () => new Promise<void>((r) => (wake = r));
    let arrived = next();
    const stop = watchRecordings(
      db,
      (rows) => {
        seen.push(rows.map((r) => ({ name: r.name, frames: r.streams[0]?.frames ?? 0, status: r.status })));
        wake();
      },
      (e) => {
        throw e;
      },
    );
    await arrived;
    expect(seen.at(-1)).toEqual([]);
    arrived = next();
    const rec = await createRecording(db, { streams: [eeg], source: 'synthetic', name: 'watched' });
    await arrived;
    expect(seen.at(-1)).toEqual([{ name: 'watched', frames: 0, status: 'recording' }]);
    arrived = next();
    const { s, t } = frames(10, 0);
    await appendChunk(db, rec.id, 'eeg', s, t, 10);
    await arrived;
    expect(seen.at(-1)?.[0].frames).toBe(10);
    arrived = next();
    await finishRecording(db, rec.id);
    await arrived;
    expect(seen.at(-1)?.[0].status).toBe('complete');
    arrived = next();
    await deleteRecording(db, rec.id);
    await arrived;
    expect(seen.at(-1)).toEqual([]);
    stop();
    const count = seen.length;
    await createRecording(db, { streams: [eeg], source: 'synthetic', name: 'unseen' });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.length).toBe(count);
  });
});
