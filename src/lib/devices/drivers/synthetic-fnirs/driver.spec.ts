import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../core/errors';
import type { MarkerEvent } from '../../../core/stream';
import { readSnirf, writeSnirf } from '../../../formats/snirf';
import { NeurotabDb } from '../../../storage/db';
import { loadRecordingData } from '../../../storage/library';
import { Recorder } from '../../../storage/recorder';
import { createRecording } from '../../../storage/recordings';
import { Ring, RingReader, RingWriter } from '../../../streams/ring';
import { FNIRS_TASK_MARKER, SyntheticFnirsDriver } from './driver';
import { SyntheticFnirsGenerator } from './generator';

function fakeClock(startMs: number) {
  let t = startMs;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** Pumps `seconds` of the driver in irregular steps; returns everything the ring received. */
function pumpSeconds(d: SyntheticFnirsDriver, clock: ReturnType<typeof fakeClock>, seconds: number, ring: Ring, reader = new RingReader(ring)) {
  const steps = [16, 33, 7.5, 120, 4, 61];
  for (let ms = 0, i = 0; ms < seconds * 1000; i++) {
    const step = steps[i % steps.length];
    clock.advance(step);
    ms += step;
    d.pump();
  }
  const C = ring.channels;
  const s = new Float32Array(ring.capacityFrames * C);
  const t = new Float64Array(ring.capacityFrames);
  const r = reader.read(ring.capacityFrames, s, t);
  return { samples: s.subarray(0, r.frames * C), timestampsMs: t.subarray(0, r.frames), frames: r.frames };
}

const dbs: NeurotabDb[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) await db.delete();
});

describe('SyntheticFnirsDriver', () => {
  it('describes a two-wavelength stream with its probe: wavelengths, source/detector pairs, positions', () => {
    const d = new SyntheticFnirsDriver({ sampleRateHz: 10, timer: false });
    expect(d.stream).toMatchObject({ id: 'synthetic-fnirs.nirs', kind: 'fnirs', sampleRateHz: 10 });
    expect(d.stream.channels).toHaveLength(20);
    expect(d.stream.channels[0]).toMatchObject({ label: 'S1_D1 760', wavelengthNm: 760, sourceIndex: 1, detectorIndex: 1 });
    expect(d.stream.probe?.wavelengthsNm).toEqual([760, 850]);
    expect(d.stream.probe?.sourcePositionsM).toHaveLength(4);
    expect(d.stream.probe?.detectorPositionsM).toHaveLength(7);
  });

  it('a schedule of rest and task gives the generator’s signal for the same blocks, and a task marker at each onset frame', async () => {
    const clock = fakeClock(1_700_000_000_000);
    const fs = 10;
    const markers: MarkerEvent[] = [];
    const d = new SyntheticFnirsDriver({ sampleRateHz: fs, seed: 5, clock: clock.now, timer: false, onTaskBlock: (m) => markers.push(m) });
    const ring = Ring.create({ channels: 20, capacityFrames: 2048 });
    const reader = new RingReader(ring);
    await d.open();
    await d.start(new RingWriter(ring));
    d.setSchedule({ taskSeconds: 10, restSeconds: 15 });
    const got = pumpSeconds(d, clock, 88, ring, reader);
    // Blocks at 15–25 s, 40–50 s, 65–75 s (rest first, then task, repeating).
    const want = new Float32Array(got.frames * 20);
    new SyntheticFnirsGenerator({ sampleRateHz: fs, seed: 5, taskBlocks: [15, 40, 65].map((o) => ({ onsetSeconds: o, durationSeconds: 10 })) }).next(got.frames, want);
    expect(got.samples).toEqual(want);
    expect(markers.map((m) => [m.value, m.durationMs, (m.timestampMs - got.timestampsMs[0]) / 1000])).toEqual([
      [FNIRS_TASK_MARKER, 10_000, 15], [FNIRS_TASK_MARKER, 10_000, 40], [FNIRS_TASK_MARKER, 10_000, 65],
    ]);
    // The onset marker carries the timestamp of the frame the block starts at.
    expect(markers[0].timestampMs).toBe(got.timestampsMs[150]);
    expect(d.taskRunning).toBe(false);
    await d.close();
  });

  it('a task block now starts at the next frame; a second one is refused while it runs; bad durations are InputErrors', async () => {
    const clock = fakeClock(1_000);
    const markers: MarkerEvent[] = [];
    const d = new SyntheticFnirsDriver({ sampleRateHz: 10, seed: 2, clock: clock.now, timer: false, onTaskBlock: (m) => markers.push(m) });
    const ring = Ring.create({ channels: 20, capacityFrames: 1024 });
    const reader = new RingReader(ring);
    expect(() => d.startTaskBlock(0.5)).toThrow(InputError);
    expect(() => d.setSchedule({ taskSeconds: 10, restSeconds: 9999 })).toThrow(/restSeconds must be from 1 to 600 s, got 9999/);
    expect(d.startTaskBlock(5)).toBe(false); // not streaming
    await d.open();
    await d.start(new RingWriter(ring));
    const before = pumpSeconds(d, clock, 3, ring, reader);
    expect(d.startTaskBlock(5)).toBe(true);
    expect(d.startTaskBlock(5)).toBe(false);
    const after = pumpSeconds(d, clock, 10, ring, reader);
    expect(markers).toHaveLength(1);
    expect(markers[0].timestampMs).toBe(after.timestampsMs[0]);
    expect(markers[0].durationMs).toBe(5000);
    expect(d.taskRunning).toBe(false);
    const all = new Float32Array((before.frames + after.frames) * 20);
    all.set(before.samples);
    all.set(after.samples, before.samples.length);
    const want = new Float32Array(all.length);
    new SyntheticFnirsGenerator({ sampleRateHz: 10, seed: 2, taskBlocks: [{ onsetSeconds: before.frames / 10, durationSeconds: 5 }] }).next(before.frames + after.frames, want);
    expect(all).toEqual(want);
  });

  it('is recorded like any stream: the probe and the task markers reach the library and its SNIRF export', async () => {
    const db = new NeurotabDb(`fnirs-${Math.random()}`);
    dbs.push(db);
    const clock = fakeClock(1_700_000_000_000);
    const markers: MarkerEvent[] = [];
    const d = new SyntheticFnirsDriver({ sampleRateHz: 10, seed: 3, clock: clock.now, timer: false, onTaskBlock: (m) => markers.push(m) });
    const ring = Ring.create({ channels: 20, capacityFrames: 1024 });
    const rec = await createRecording(db, { streams: [d.stream], source: 'synthetic-fnirs' });
    expect(rec.probe).toEqual(d.stream.probe);
    const recorder = new Recorder(db, rec.id, [{ descriptor: d.stream, source: new RingReader(ring) }]);
    await d.open();
    await d.start(new RingWriter(ring));
    d.setSchedule({ taskSeconds: 5, restSeconds: 5 });
    for (let i = 0; i < 60; i++) {
      clock.advance(500);
      d.pump();
      recorder.addMarkers(markers.splice(0));
      await recorder.flush();
    }
    await recorder.stop();
    const data = await loadRecordingData(db, rec.id);
    expect(data.streams[0].timestampsMs.length).toBe(301);
    const back = await readSnirf(await writeSnirf(data, 'live.snirf'), 'live.snirf');
    expect(back.probe?.wavelengthsNm).toEqual([760, 850]);
    expect(back.probe?.detectorPositionsM).toEqual(d.stream.probe!.detectorPositionsM);
    expect(back.streams[0].descriptor.channels.map((c) => [c.label, c.wavelengthNm])).toEqual(d.stream.channels.map((c) => [c.label, c.wavelengthNm]));
    // Blocks at 5, 15, 25 s from the first sample, 5 s each.
    const t0 = back.streams[0].timestampsMs[0];
    expect(back.markers.map((m) => [m.value, Math.round((m.timestampMs - t0) / 100) / 10, m.durationMs])).toEqual([
      ['task', 5, 5000], ['task', 15, 5000], ['task', 25, 5000],
    ]);
  });
});
