import { describe, expect, it } from 'vitest';
import type { DecodedBlock } from '../drivers/decoder.ts';
import { BlockStamper } from './block-stamper.ts';

const block = (streamId: string, sampleIndex: number, frames: number, lostBefore = 0, deviceTimeMs?: number): DecodedBlock => {
  const b: DecodedBlock = { streamId, sampleIndex, frames, channelCount: 1, samples: new Float32Array(frames), lostBefore };
  if (deviceTimeMs !== undefined) b.deviceTimeMs = deviceTimeMs;
  return b;
};

describe('BlockStamper', () => {
  const rates: Record<string, number> = { 'x.eeg': 250, 'x.bat': 0 };
  it('stamps offline serial blocks at index / rate and reports gaps with their start and duration', () => {
    const s = new BlockStamper((id) => rates[id]);
    expect(Array.from(s.stamp(block('x.eeg', 0, 2)).timestampsMs)).toEqual([0, 4]);
    const r = s.stamp(block('x.eeg', 7, 1, 5));
    expect(Array.from(r.timestampsMs)).toEqual([28]);
    expect(r.gap).toEqual({ timestampMs: 8, value: 'gap:x.eeg:5', durationMs: 20 });
  });

  it('uses arrival times for irregular streams, device time when present', () => {
    const s = new BlockStamper((id) => rates[id]);
    expect(Array.from(s.stamp(block('x.bat', 0, 1), 5000).timestampsMs)).toEqual([5000]);
    const t = new BlockStamper((id) => rates[id]);
    t.stamp(block('x.bat', 0, 1, 0, 100), 5000);
    expect(Array.from(t.stamp(block('x.bat', 1, 1, 0, 350), 9999).timestampsMs)).toEqual([5250]);
  });

  it('dejitters live blocks with arrival times (monotonic, on the nominal grid)', () => {
    const s = new BlockStamper((id) => rates[id]);
    const all: number[] = [];
    for (let i = 0; i < 500; i++) all.push(...s.stamp(block('x.eeg', i, 1), 1e6 + i * 4 + (i % 3)).timestampsMs);
    for (let i = 1; i < all.length; i++) expect(all[i]).toBeGreaterThan(all[i - 1]);
    expect(all[499] - all[498]).toBeCloseTo(4, 1);
  });
});
