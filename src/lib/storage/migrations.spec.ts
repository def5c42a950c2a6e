import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { NeurotabDb, SCHEMA_V1 } from './db';

describe('schema migrations', () => {
  it('v1 → v2 fills recordings.kinds and indexes it, keeping every row and chunk', async () => {
    const name = `mig-${Math.random()}`;
    // A database as version 1 of the app left it.
    const v1 = new Dexie(name);
    v1.version(1).stores(SCHEMA_V1);
    const stream = (id: string, kind: string) => ({ descriptor: { id, name: id, kind, sampleRateHz: 10, channels: [] }, frames: 1, chunks: 1, firstTimestampMs: 0, lastTimestampMs: 0, droppedFrames: 0 });
    await v1.table('recordings').bulkAdd([
      { id: 'a', name: 'EEG only', createdAtMs: 1, status: 'complete', streams: [stream('eeg', 'eeg'), stream('acc', 'aux')], markerCount: 0, byteSize: 0 },
      { id: 'b', name: 'fNIRS', createdAtMs: 2, status: 'complete', streams: [stream('nirs', 'fnirs')], markerCount: 0, byteSize: 0 },
    ]);
    await v1.table('chunks').add({ recordingId: 'a', streamId: 'eeg', seq: 0, frames: 1, firstTimestampMs: 0, samples: new Float32Array(1), timestampsMs: new Float64Array(1) });
    v1.close();

    const db = new NeurotabDb(name);
    await db.open();
    expect(db.verno).toBe(2);
    expect((await db.recordings.get('a'))?.kinds).toEqual(['eeg', 'aux']);
    expect((await db.recordings.where('kinds').equals('fnirs').toArray()).map((r) => r.id)).toEqual(['b']);
    expect(await db.chunks.count()).toBe(1);
    await db.delete();
  });
});
