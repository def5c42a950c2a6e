import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { NeurotabDb } from './db';
import { importRecording, loadRecordingData, removeFailedImports } from './library';
import { readEdf, writeEdf } from '../formats/edf';
import { readSnirf, writeSnirf } from '../formats/snirf';
import { readXdf } from '../formats/xdf';
import { sharedBytes, needsShared } from '../../../tests/support/shared';

const dbs: NeurotabDb[] = [];
const fresh = () => {
  const db = new NeurotabDb(`lib-${Math.random()}`);
  dbs.push(db);
  return db;
};
afterEach(async () => {
  for (const db of dbs.splice(0)) await db.delete();
});

describe('library import and export', needsShared, () => {
  it('imports a real EDF+ file and loads back the identical samples, timestamps and annotations', async () => {
    const db = fresh();
    const data = readEdf(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf');
    const progress: number[] = [];
    const rec = await importRecording(db, data, 'S001R04.edf', (p) => progress.push(p.framesWritten / p.framesTotal));
    expect(rec.status).toBe('complete');
    expect(rec.name).toBe('S001R04.edf');
    expect(progress.at(-1)).toBe(1);
    expect(rec.markerCount).toBe(data.markers.length);
    const back = await loadRecordingData(db, rec.id);
    expect(back.streams.map((s) => s.descriptor)).toEqual(data.streams.map((s) => s.descriptor));
    for (let i = 0; i < data.streams.length; i++) {
      expect(back.streams[i].samples).toEqual(data.streams[i].samples);
      expect(back.streams[i].timestampsMs).toEqual(data.streams[i].timestampsMs);
    }
    expect(back.markers).toEqual(data.markers);
    // And it exports as EDF+ that reads back with the same annotations.
    const again = readEdf(writeEdf(back, { format: 'edf', fileName: 'x.edf' }), 'x.edf');
    expect(again.markers.map((m) => m.value)).toEqual(data.markers.map((m) => m.value));
  });

  it('dates an import by the file: EDF start, SNIRF measurement date, XDF header datetime; keeps the import time apart', async () => {
    const db = fresh();
    const before = Date.now();
    const edf = await importRecording(db, readEdf(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf'), 'S001R04.edf');
    expect(edf.recordedAtMs).toBe(Date.UTC(2009, 7, 12, 16, 15, 0));
    expect(edf.createdAtMs).toBeGreaterThanOrEqual(before);
    const snirf = await readSnirf(sharedBytes('data/snirf/Simple_Probe.snirf'), 'Simple_Probe.snirf');
    const nirs = await importRecording(db, snirf, 'Simple_Probe.snirf');
    expect(nirs.recordedAtMs).toBe(snirf.meta.startTimeMs);
    expect(new Date(nirs.recordedAtMs!).toISOString().slice(0, 10)).toBe('2020-05-16'); // MNE's meas_date
    const xdf = await importRecording(db, readXdf(sharedBytes('data/xdf/xdfmodules_empty_streams.xdf'), 'e.xdf'), 'e.xdf');
    expect(xdf.recordedAtMs).toBe(Date.UTC(2025, 0, 31, 0, 21, 17));
    const undated = await importRecording(db, readXdf(sharedBytes('data/xdf/xdfmodules_minimal.xdf'), 'm.xdf'), 'm.xdf');
    expect(undated.recordedAtMs).toBeUndefined();
  });

  it('keeps a SNIRF probe geometry through import, load and export', async () => {
    const db = fresh();
    const data = await readSnirf(sharedBytes('data/snirf/neuro_run01.snirf'), 'neuro_run01.snirf');
    expect(data.probe?.sourcePositionsM.length).toBeGreaterThan(0);
    const rec = await importRecording(db, data, 'neuro_run01.snirf');
    expect(rec.probe).toEqual(data.probe);
    const back = await loadRecordingData(db, rec.id);
    expect(back.probe).toEqual(data.probe);
    const again = await readSnirf(await writeSnirf(back, 'x.snirf'), 'x.snirf');
    expect(again.probe).toEqual(data.probe);
  });

  it('a failed import leaves the library as it was', async () => {
    const db = fresh();
    const data = readEdf(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf');
    let calls = 0;
    const bulkAdd = db.chunks.bulkAdd.bind(db.chunks);
    db.chunks.bulkAdd = ((rows: Parameters<typeof bulkAdd>[0]) => {
      if (++calls === 2) return Promise.reject(Object.assign(new Error('quota'), { name: 'QuotaExceededError' }));
      return bulkAdd(rows);
    }) as unknown as typeof bulkAdd;
    await expect(importRecording(db, data, 'S001R04.edf')).rejects.toMatchObject({ name: 'StorageError', quota: true });
    expect(await db.recordings.count()).toBe(0);
    expect(await db.chunks.count()).toBe(0);
    expect(await db.markers.count()).toBe(0);
  });

  it('removes half-written imports left by a crash', async () => {
    const db = fresh();
    const data = readEdf(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf');
    const rec = await importRecording(db, data, 'a.edf');
    await db.recordings.update(rec.id, { status: 'importing' });
    expect(await removeFailedImports(db)).toBe(1);
    expect(await db.chunks.count()).toBe(0);
  });
});
