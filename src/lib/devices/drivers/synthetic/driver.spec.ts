import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { InputError, StateError } from '../../../core/errors';
import { Ring, RingReader, RingWriter } from '../../../streams/ring';
import type { DriverFrames, DriverGap } from '../../descriptor';
import { SyntheticDriver, syntheticStreamDescriptor } from './driver';
import { SyntheticGenerator } from './generator';

function fakeClock(startMs: number): { now: () => number; advance: (ms: number) => void } {
  let t = startMs;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('SyntheticDriver', () => {
  it('describes its stream: labels, µV, rate', () => {
    const d = syntheticStreamDescriptor({ channels: 4, sampleRateHz: 500 });
    expect(d).toMatchObject({ id: 'synthetic.eeg', kind: 'eeg', sampleRateHz: 500 });
    expect(d.channels.map((c) => c.label)).toEqual(['Fp1', 'Fp2', 'C3', 'C4']);
    expect(d.channels.every((c) => c.unit === 'uV' && c.type === 'EEG')).toBe(true);
  });

  it('enforces open → start → stop → close', async () => {
    const d = new SyntheticDriver({ channels: 2, sampleRateHz: 250, timer: false });
    const w = new RingWriter(Ring.create({ channels: 2, capacityFrames: 64 }));
    expect(d.state).toBe('closed');
    await expect(d.start(w)).rejects.toThrow(StateError);
    await expect(d.stop()).rejects.toThrow(StateError);
    await d.open();
    await expect(d.open()).rejects.toThrow(StateError);
    await d.start(w);
    expect(d.state).toBe('streaming');
    await expect(d.start(w)).rejects.toThrow(StateError);
    await d.stop();
    expect(d.state).toBe('open');
    await d.close();
    await d.close();
    expect(d.state).toBe('closed');
  });

  it('rejects bad settings with InputError before anything starts', () => {
    expect(() => new SyntheticDriver({ channels: 65, sampleRateHz: 250 })).toThrow(InputError);
    expect(() => new SyntheticDriver({ channels: 8, sampleRateHz: 100 })).toThrow(/sampleRateHz must be from 125 to 2000 Hz, got 100/);
    expect(() => new SyntheticDriver({ channels: 8, sampleRateHz: 250, chunkMs: 1 })).toThrow(InputError);
  });

  it('writes the frames that are due into a ring, stamped anchor + k/rate on its clock, same data as the generator', async () => {
    const clock = fakeClock(1_700_000_000_000);
    const fs = 500;
    const ring = Ring.create({ channels: 8, capacityFrames: 4096 });
    const reader = new RingReader(ring);
    const d = new SyntheticDriver({ channels: 8, sampleRateHz: fs, seed: 4, clock: clock.now, timer: false });
    await d.open();
    await d.start(new RingWriter(ring));
    const anchor = clock.now();
    expect(d.pump()).toBe(1); // frame 0 is due at the anchor
    let total = 1;
    for (const step of [16, 17, 15.5, 100, 0, 3]) {
      clock.advance(step);
      total += d.pump();
      expect(total).toBe(Math.floor(((clock.now() - anchor) * fs) / 1000) + 1);
    }
    expect(d.framesWritten).toBe(total);
    const out = new Float32Array(total * 8);
    const ts = new Float64Array(total);
    expect({ ...reader.read(total, out, ts) }).toEqual({ frames: total, dropped: 0 });
    for (let k = 0; k < total; k++) expect(ts[k]).toBe(anchor + (k * 1000) / fs);
    const expected = new Float32Array(total * 8);
    new SyntheticGenerator({ channels: 8, sampleRateHz: fs, seed: 4 }).next(total, expected);
    expect(out).toEqual(expected);
  });

  it('after a long stall skips frames (reported as a gap) instead of bursting, and timestamps stay on the clock', async () => {
    const clock = fakeClock(0);
    const frames: DriverFrames[] = [];
    const gaps: DriverGap[] = [];
    const d = new SyntheticDriver({ channels: 2, sampleRateHz: 250, clock: clock.now, timer: false, maxBurstMs: 200 });
    await d.open();
    await d.start({
      onFrames: (f) => frames.push({ ...f, samples: f.samples.slice(), timestampsMs: f.timestampsMs.slice() }),
      onGap: (g) => gaps.push(g),
      onDisconnected: () => {},
    });
    d.pump();
    clock.advance(5000); // a throttled tab
    d.pump();
    expect(gaps).toEqual([{ streamId: 'synthetic.eeg', sampleIndex: 1, lostFrames: 1250 - 50, timestampMs: 4 }]);
    expect(frames[1]).toMatchObject({ sampleIndex: 1201, frames: 50 });
    expect(frames[1].timestampsMs[49]).toBe(5000);
    expect(d.skippedFrames).toBe(1200);
  });

  it('counts only frames the ring accepted, and stops cleanly when the sink throws', async () => {
    const clock = fakeClock(0);
    const writer = new RingWriter(Ring.create({ channels: 2, capacityFrames: 64 }));
    const d = new SyntheticDriver({ channels: 2, sampleRateHz: 250, clock: clock.now, timer: false });
    await d.open();
    await d.start(writer);
    clock.advance(40);
    expect(d.pump()).toBe(11);
    writer.close();
    clock.advance(40);
    expect(d.pump()).toBe(0);
    expect(d.framesWritten).toBe(11);
    await d.stop();
    await d.start({
      push: () => {
        throw new Error('quota exceeded');
      },
    });
    clock.advance(40);
    expect(d.pump()).toBe(0);
    expect(d.state).toBe('open');
    expect(String(d.lastError)).toMatch(/quota exceeded/);
  });

  it('turns alpha on when the eyes close at runtime', async () => {
    const clock = fakeClock(0);
    const fs = 250;
    const ring = Ring.create({ channels: 8, capacityFrames: 20 * fs });
    const reader = new RingReader(ring);
    const d = new SyntheticDriver({ channels: 8, sampleRateHz: fs, seed: 2, clock: clock.now, timer: false, blinksPerMinute: 0, lineFrequencyHz: 0 });
    await d.open();
    await d.start(new RingWriter(ring));
    const power10 = (): number => {
      // Power at 10 Hz on O1 (channel 6) over 8 s, by correlation with a 10 Hz complex exponential.
      for (let i = 0; i < 8 * 50; i++) {
        clock.advance(20);
        d.pump();
      }
      const out = new Float32Array(ring.capacityFrames * 8);
      const ts = new Float64Array(ring.capacityFrames);
      const n = reader.read(ring.capacityFrames, out, ts).frames;
      let re = 0;
      let im = 0;
      for (let k = 0; k < n; k++) {
        re += out[k * 8 + 6] * Math.cos((2 * Math.PI * 10 * k) / fs);
        im += out[k * 8 + 6] * Math.sin((2 * Math.PI * 10 * k) / fs);
      }
      return (re * re + im * im) / n;
    };
    const open = power10();
    d.setEyesClosed(true);
    expect(d.eyesClosed).toBe(true);
    const closed = power10();
    expect(closed / open).toBeGreaterThan(30);
  });

  it('streams from a worker thread with its real timer into a shared ring read here', async () => {
    const ring = Ring.create({ channels: 16, capacityFrames: 8192 });
    const reader = new RingReader(ring, { from: 'oldest' });
    const worker = new Worker(new URL('./testing-driver.worker.ts', import.meta.url), {
      execArgv: ['--import', 'tsx'],
      workerData: { buffer: ring.buffer, options: { channels: 16, sampleRateHz: 1000, seed: 1, chunkMs: 10 } },
    });
    try {
      const messages: Array<{ type: string; framesWritten?: number }> = [];
      const next = (type: string) =>
        new Promise<{ framesWritten?: number }>((resolve, reject) => {
          const found = messages.find((m) => m.type === type);
          if (found) return resolve(found);
          worker.on('message', (m) => m.type === type && resolve(m));
          worker.once('error', reject);
        });
      worker.on('message', (m) => messages.push(m));
      await next('started');
      const out = new Float32Array(8192 * 16);
      const ts = new Float64Array(8192);
      let got = 0;
      let lastTs = -Infinity;
      const periodMs = 1;
      while (got < 300) {
        expect(await reader.waitForData(10_000)).toBe('ok');
        const r = reader.read(8192, out, ts);
        for (let k = 0; k < r.frames; k++) {
          if (lastTs !== -Infinity) expect(ts[k] - lastTs).toBeCloseTo(periodMs, 3);
          lastTs = ts[k];
        }
        got += r.frames;
      }
      worker.postMessage({ type: 'stop' });
      const { framesWritten } = await next('stopped');
      while ((await reader.waitForData(10_000)) === 'ok') got += reader.read(8192, out, ts).frames;
      expect(got).toBe(framesWritten);
      expect(reader.droppedFrames).toBe(0);
    } finally {
      await worker.terminate();
    }
  });
});
