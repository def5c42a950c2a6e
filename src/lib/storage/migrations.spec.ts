import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { NeurotabDb, SCHEMA_V1 } from './db';
import { IndexedDbInstinctStreamStore } from './instinct-store';

describe('schema migrations', () => {
  it('v1 → v2 (→ v3) fills recordings.kinds and indexes it, keeping every row and chunk', async () => {
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
    expect(db.verno).toBeGreaterThanOrEqual(3); // the latest version; v2 (and v3) is what this upgrade reached
    expect((await db.recordings.get('a'))?.kinds).toEqual(['eeg', 'aux']);
    expect((await db.recordings.where('kinds').equals('fnirs').toArray()).map((r) => r.id)).toEqual(['b']);
    expect(await db.chunks.count()).toBe(1);
    await db.delete();
  });

  it('v2 → v3 dates recordings: an import by its epoch first timestamp (none for the LSL clock), a live recording by its start', async () => {
    const name = `mig-${Math.random()}`;
    const v2 = new Dexie(name);
    v2.version(1).stores(SCHEMA_V1);
    v2.version(2).stores({ recordings: 'id, createdAtMs, status, studyId, *kinds' }); // as version 2 of the app declared it
    const stream = (firstTimestampMs: number | null) => ({ descriptor: { id: 'eeg', name: 'eeg', kind: 'eeg', sampleRateHz: 160, channels: [] }, frames: 1, chunks: 1, firstTimestampMs, lastTimestampMs: firstTimestampMs, droppedFrames: 0 });
    const importedAtMs = Date.UTC(2026, 0, 5, 9, 30);
    const s001StartMs = Date.UTC(2009, 7, 12, 16, 15, 0); // S001R04.edf's header: 12.08.09 16.15.00
    const row = (id: string, source: string, firstTimestampMs: number | null) => ({ id, name: id, createdAtMs: importedAtMs, status: 'complete', streams: [stream(firstTimestampMs)], markerCount: 0, byteSize: 0, source, kinds: ['eeg'] });
    await v2.table('recordings').bulkAdd([
      row('edf', 'file:edf', s001StartMs),
      row('xdf', 'file:xdf', 91_725_014.004), // LSL clock: milliseconds since the machine started
      row('empty', 'file:csv', null),
      row('live', 'synthetic', importedAtMs + 12),
    ]);
    v2.close();

    const db = new NeurotabDb(name);
    await db.open();
    expect(db.verno).toBeGreaterThanOrEqual(3);
    const got = Object.fromEntries((await db.recordings.toArray()).map((r) => [r.id, r.recordedAtMs]));
    expect(got).toEqual({ edf: s001StartMs, xdf: undefined, empty: undefined, live: importedAtMs });
    expect((await db.recordings.get('edf'))?.createdAtMs).toBe(importedAtMs);
    await db.delete();
  });

  it('→ v5 (Kernel studies): recordings tagged with a study become its datasets, one participant per label; untagged ones stay unassigned', async () => {
    const name = `mig5-${Math.random()}`;
    const old = new Dexie(name);
    old.version(1).stores(SCHEMA_V1);
    old.version(2).stores({ recordings: 'id, createdAtMs, status, studyId, *kinds' });
    await old.table('studies').add({ id: 's1', name: 'Tapping', createdAtMs: 1 });
    const rec = (id: string, extra: Record<string, unknown>) => ({ id, name: `rec ${id}`, createdAtMs: 10, status: 'complete', streams: [], markerCount: 0, byteSize: 0, kinds: [], ...extra });
    await old.table('recordings').bulkAdd([
      rec('a', { studyId: 's1', participant: 'sub-01', task: 'tapping' }),
      rec('b', { studyId: 's1', participant: 'sub-01' }),
      rec('c', { studyId: 's1' }),
      rec('d', {}),
      rec('e', { studyId: 'gone' }),
    ]);
    old.close();

    const db = new NeurotabDb(name);
    await db.open();
    expect(db.verno).toBeGreaterThanOrEqual(5);
    const ds = await db.datasets.orderBy('id').toArray();
    expect(ds.map((d) => [d.id, d.studyId, d.experiment])).toEqual([['a', 's1', 'tapping'], ['b', 's1', undefined], ['c', 's1', undefined]]);
    const parts = await db.participants.where('studyId').equals('s1').toArray();
    expect(parts.map((p) => p.externalId).sort()).toEqual(['sub-01', 'unknown']);
    expect(ds[0].participantId).toBe(ds[1].participantId);
    expect(await db.recordings.count()).toBe(5);
    expect(await db.studies.where('alias').equals('x').count()).toBe(0);
    await db.delete();
  });
});

describe('schema v4: Instinct stream definitions', () => {
  it('v2 → v4 adds the instinctStreams table, keeping every recording', async () => {
    const name = `mig3-${Math.random()}`;
    const v2 = new Dexie(name);
    v2.version(1).stores(SCHEMA_V1);
    v2.version(2).stores({ recordings: 'id, createdAtMs, status, studyId, *kinds' });
    await v2.table('recordings').add({ id: 'a', name: 'kept', createdAtMs: 1, status: 'complete', streams: [], markerCount: 0, byteSize: 0, kinds: [] });
    v2.close();

    const db = new NeurotabDb(name);
    await db.open();
    expect(db.verno).toBeGreaterThanOrEqual(4);
    expect(await db.instinctStreams.count()).toBe(0);
    expect((await db.recordings.get('a'))?.name).toBe('kept');
    await db.delete();
  });

  it('the stream store puts, lists and deletes definitions, and they survive a new connection', async () => {
    const name = `inst-${Math.random()}`;
    const stream = { id: '7348dd95-7835-4a8a-9ec5-2e4cee1e72e2', meta: { name: 'Basic' }, nodes: [], pipes: [] };
    const a = new NeurotabDb(name);
    await new IndexedDbInstinctStreamStore(a).put({ id: stream.id, stream, updatedAtMs: 5 });
    a.close();
    const b = new NeurotabDb(name);
    const store = new IndexedDbInstinctStreamStore<typeof stream>(b);
    expect(await store.list()).toEqual([{ id: stream.id, stream, updatedAtMs: 5 }]);
    await store.delete(stream.id);
    expect(await store.list()).toEqual([]);
    await b.delete();
  });
});
