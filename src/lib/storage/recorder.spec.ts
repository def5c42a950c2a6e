import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { NeurotabDb } from './db';
import { Recorder, type FrameSource } from './recorder';
import { createRecording, readStream } from './recordings';
import type { StreamDescriptor } from '../core/stream';

const desc: StreamDescriptor = {
  id: 'eeg', name: 'EEG', kind: 'eeg', sampleRateHz: 100,
  channels: [{ label: 'C3', unit: 'uV', type: 'EEG' }, { label: 'C4', unit: 'uV', type: 'EEG' }, { label: 'Cz', unit: 'uV', type: 'EEG' }],
};

/** A source that yields `total` frames (value = frame index) in reads of at most maxFrames. */
function counterSource(): FrameSource & { produce(n: number, dropped?: number): void } {
  let next = 0;
  let ready = 0;
  let pendingDrop = 0;
  return {
    produce(n: number, dropped = 0) {
      ready += n;
      pendingDrop += dropped;
      next += dropped;
    },
    read(max, s, t) {
      const n = Math.min(max, ready);
      for (let f = 0; f < n; f++) {
        for (let c = 0; c < 3; c++) s[f * 3 + c] = next + c / 10;
        t[f] = next * 10;
        next++;
      }
      ready -= n;
      const dropped = pendingDrop;
      pendingDrop = 0;
      return { frames: n, dropped };
    },
  };
}

const dbs: NeurotabDb[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) await db.delete();
});

describe('Recorder', () => {
  it('writes chunks of at most one second, counts drops, and reads back in order', async () => {
    const db = new NeurotabDb(`rec-${Math.random()}`);
    dbs.push(db);
    const rec = await createRecording(db, { streams: [desc] });
    const src = counterSource();
    const r = new Recorder(db, rec.id, [{ descriptor: desc, source: src }]);
    src.produce(250); // 2.5 s backlog → chunks of 100, 100, 50
    await r.flush();
    src.produce(30, 5);
    r.addMarkers([{ timestampMs: 42, value: 'go' }]);
    const stop = await r.stop();
    expect(stop.reason).toBe('user');
    const chunks = await db.chunks.where('recordingId').equals(rec.id).toArray();
    expect(chunks.map((c) => c.frames)).toEqual([100, 100, 50, 30]);
    const row = (await db.recordings.get(rec.id))!;
    expect(row.status).toBe('complete');
    expect(row.streams[0].frames).toBe(280);
    expect(row.streams[0].droppedFrames).toBe(5);
    expect(row.markerCount).toBe(1);
    const back = await readStream(db, rec.id, 'eeg');
    expect(back.samples[3 * 250]).toBe(255); // after the 5 dropped frames
    expect(back.samples[3 * 249 + 2]).toBeCloseTo(249.2, 3);
  });

  it('records side streams beside the first, and drops the ones that carried nothing when it stops', async () => {
    const db = new NeurotabDb(`rec-${Math.random()}`);
    dbs.push(db);
    const aux: StreamDescriptor = { ...desc, id: 'aux', name: 'Accelerometer', kind: 'aux' };
    const analog: StreamDescriptor = { ...desc, id: 'analog', name: 'Raw aux', kind: 'aux' };
    const rec = await createRecording(db, { streams: [desc, aux, analog] });
    const [e, a, n] = [counterSource(), counterSource(), counterSource()];
    const r = new Recorder(db, rec.id, [{ descriptor: desc, source: e }, { descriptor: aux, source: a }, { descriptor: analog, source: n }]);
    e.produce(120);
    a.produce(120);
    await r.flush();
    await r.stop();
    const row = (await db.recordings.get(rec.id))!;
    expect(row.streams.map((s) => [s.descriptor.id, s.frames])).toEqual([['eeg', 120], ['aux', 120]]);
    expect(row.kinds).toEqual(['eeg', 'aux']);
    expect((await readStream(db, rec.id, 'aux')).frames).toBe(120);
  });

  it('stops cleanly on a storage error and keeps what was already written', async () => {
    const db = new NeurotabDb(`rec-${Math.random()}`);
    dbs.push(db);
    const rec = await createRecording(db, { streams: [desc] });
    const src = counterSource();
    const r = new Recorder(db, rec.id, [{ descriptor: desc, source: src }]);
    src.produce(100);
    await r.flush();
    // The next chunk write fails with the browser's quota error.
    const add = db.chunks.add.bind(db.chunks);
    db.chunks.add = (() => Promise.reject(Object.assign(new Error("quota"), { name: "QuotaExceededError" }))) as unknown as typeof add;
    src.produce(100);
    await r.flush();
    expect(r.failure?.reason).toBe('storage-full');
    expect(r.isStopped).toBe(true);
    const stop = await r.stop();
    expect(stop.reason).toBe('storage-full');
    const row = (await db.recordings.get(rec.id))!;
    expect(row.status).toBe('complete');
    expect(row.stopReason).toMatch(/storage is full/);
    expect(row.streams[0].frames).toBe(100);
    expect((await readStream(db, rec.id, 'eeg')).frames).toBe(100);
  });
});
