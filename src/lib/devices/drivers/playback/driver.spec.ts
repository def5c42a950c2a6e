import { describe, expect, it } from 'vitest';
import { PlaybackDriver } from './driver';
import type { StreamDescriptor } from '../../../core/stream';

const stream: StreamDescriptor = { id: 'eeg', name: 'EEG', kind: 'eeg', sampleRateHz: 100, channels: [{ label: 'Cz', unit: 'uV', type: 'EEG' }, { label: 'Pz', unit: 'uV', type: 'EEG' }] };

function recording(n: number) {
  const samples = new Float32Array(n * 2);
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    samples[2 * i] = i;
    samples[2 * i + 1] = -i;
    t[i] = 5000 + i * 10 + (i >= 50 ? 1000 : 0); // a one-second gap after frame 49
  }
  return { samples, t };
}

function collect() {
  const frames: number[] = [];
  const times: number[] = [];
  return {
    frames,
    times,
    push(s: Float32Array, ts: Float64Array, k: number) {
      for (let i = 0; i < k; i++) {
        frames.push(s[2 * i]);
        times.push(ts[i]);
        expect(s[2 * i + 1]).toBe(-s[2 * i]);
      }
      return k;
    },
  };
}

describe('PlaybackDriver', () => {
  it('replays every frame once, in order, re-stamped on the clock with gaps kept, at 2× speed, with markers when due', async () => {
    let now = 1_000_000;
    const { samples, t } = recording(100);
    const markers: { timestampMs: number; value: string }[] = [];
    const d = new PlaybackDriver({ stream, samples, timestampsMs: t, markers: [{ timestampMs: 5200, value: 'a' }, { timestampMs: 6600, value: 'b' }], speed: 2, clock: () => now, timer: false });
    await d.open();
    const sink = collect();
    await d.start(sink, (m) => markers.push(...m));
    d.pump();
    expect(sink.frames).toEqual([0]);
    now += 100; // 200 ms of recording at 2×
    d.pump();
    expect(sink.frames.length).toBe(21);
    expect(markers).toEqual([{ timestampMs: 1_000_000 + 100, value: 'a' }]);
    now += 10_000;
    d.pump();
    expect(sink.frames).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(sink.times[50] - sink.times[49]).toBeCloseTo((10 + 1000) / 2, 9);
    expect(sink.times[1] - sink.times[0]).toBeCloseTo(5, 9);
    expect(markers.map((m) => m.value)).toEqual(['a', 'b']);
    expect(d.state).toBe('finished');
  });

  it('loops when asked, continuing the clock', async () => {
    let now = 0;
    const { samples, t } = recording(10);
    const d = new PlaybackDriver({ stream, samples, timestampsMs: t, loop: true, clock: () => now, timer: false });
    await d.open();
    const sink = collect();
    await d.start(sink);
    now = 95;
    d.pump();
    expect(sink.frames).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    now = 100;
    d.pump();
    expect(sink.frames.slice(10)).toEqual([0]);
    expect(sink.times[10]).toBe(100);
  });

  it('refuses empty or inconsistent input and bad speeds', () => {
    const { samples, t } = recording(10);
    expect(() => new PlaybackDriver({ stream, samples: samples.subarray(1), timestampsMs: t })).toThrow(/do not make/);
    expect(() => new PlaybackDriver({ stream, samples: new Float32Array(0), timestampsMs: new Float64Array(0) })).toThrow(/no frames/);
    expect(() => new PlaybackDriver({ stream, samples, timestampsMs: t, speed: 0 })).toThrow(/speed/);
  });
});
