import { describe, expect, it } from 'vitest';
import { CounterTracker, gapMarker, parseGapMarker } from './counter-tracker.ts';
import { Dejitter } from './dejitter.ts';

/** Seeded PRNG (mulberry32) so every run sees the same jitter. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('CounterTracker', () => {
  it('counts consecutive counters as no loss, across the wrap', () => {
    const t = new CounterTracker(256);
    const idx: number[] = [];
    for (let i = 250; i < 262; i++) {
      const s = t.next(i % 256);
      expect(s.lostFrames).toBe(0);
      idx.push(s.sampleIndex);
    }
    expect(idx).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(t.gaps).toBe(0);
  });

  it('detects a gap across the wrap and advances the sample index by the lost frames', () => {
    const t = new CounterTracker(256, 2);
    t.next(253);
    const s = t.next(2); // 254, 255, 0, 1 lost
    expect(s.lostSteps).toBe(4);
    expect(s.lostFrames).toBe(8);
    expect(s.sampleIndex).toBe(2 + 8);
    expect(t.gaps).toBe(1);
    expect(t.lostFrames).toBe(8);
  });

  it('treats a repeated counter as a duplicate and a small backwards step as late when tolerated', () => {
    const t = new CounterTracker(65536, 12, 16);
    t.next(100);
    expect(t.next(100).duplicate).toBe(true);
    t.next(101);
    expect(t.next(99).duplicate).toBe(true); // late packet, not a 65534-step gap
    expect(t.gaps).toBe(0);
    expect(t.duplicates).toBe(2);
    expect(t.next(102).sampleIndex).toBe(24);
  });

  it('round-trips gap markers', () => {
    const m = gapMarker('openbci-cyton.eeg', 1000, 5, 250);
    expect(m.durationMs).toBe(20);
    expect(parseGapMarker(m.value)).toEqual({ streamId: 'openbci-cyton.eeg', lostFrames: 5 });
    expect(parseGapMarker('stim:1')).toBeNull();
  });
});

interface Sim {
  trueMs: Float64Array;
  stampedMs: Float64Array;
  arrivalErrMs: number[];
}

/** Blocks of `block` frames from a device whose clock runs `ppm` fast, arriving with jitter. */
function simulate(opts: { rateHz: number; block: number; seconds: number; ppm: number; seed: number; lossEvery?: number }): Sim & { dj: Dejitter } {
  const r = rng(opts.seed);
  const dj = new Dejitter({ sampleRateHz: opts.rateHz, halfLifeSeconds: 30 });
  const n = Math.floor((opts.rateHz * opts.seconds) / opts.block) * opts.block;
  const trueMs = new Float64Array(n);
  const stampedMs = new Float64Array(n).fill(NaN);
  const period = (1000 / opts.rateHz) * (1 - opts.ppm * 1e-6);
  const t0 = 1.7e12; // realistic epoch milliseconds: checks numerical conditioning
  for (let i = 0; i < n; i++) trueMs[i] = t0 + i * period;
  const arrivalErrMs: number[] = [];
  const out = new Float64Array(opts.block);
  for (let first = 0, blk = 0; first < n; first += opts.block, blk++) {
    if (opts.lossEvery && blk % opts.lossEvery === opts.lossEvery - 1) continue; // lost block
    const last = first + opts.block - 1;
    // Latency 4 ms + exponential jitter (mean 3 ms) + 2 % of blocks held back 40–80 ms.
    let delay = 4 - 3 * Math.log(1 - r());
    if (r() < 0.02) delay += 40 + 40 * r();
    const arrival = trueMs[last] + delay;
    arrivalErrMs.push(delay);
    dj.stamp(first, opts.block, arrival, out);
    for (let k = 0; k < opts.block; k++) stampedMs[first + k] = out[k];
  }
  return { trueMs, stampedMs, arrivalErrMs, dj };
}

function std(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) * (b - m), 0) / xs.length);
}

describe('Dejitter', () => {
  it('removes arrival jitter: residual spread far below the raw jitter, never backwards', () => {
    const { trueMs, stampedMs, arrivalErrMs } = simulate({ rateHz: 250, block: 1, seconds: 120, ppm: 0, seed: 1 });
    let prev = -Infinity;
    for (const t of stampedMs) {
      expect(t).toBeGreaterThan(prev);
      prev = t;
    }
    const errs: number[] = [];
    for (let i = 250 * 20; i < trueMs.length; i++) errs.push(stampedMs[i] - trueMs[i]);
    const rawStd = std(arrivalErrMs);
    const outStd = std(errs);
    expect(rawStd).toBeGreaterThan(3);
    expect(outStd).toBeLessThan(0.3);
    expect(outStd).toBeLessThan(rawStd / 10);
  });

  it('follows device clock drift (fitted period within 20 ppm of the true period)', () => {
    const { dj } = simulate({ rateHz: 256, block: 12, seconds: 300, ppm: 150, seed: 2 });
    const truePeriod = (1000 / 256) * (1 - 150e-6);
    expect(Math.abs(dj.periodMs / truePeriod - 1)).toBeLessThan(20e-6);
  });

  it('keeps frames after lost blocks on the same line (gaps in the index)', () => {
    const { trueMs, stampedMs } = simulate({ rateHz: 250, block: 1, seconds: 60, ppm: 30, seed: 3, lossEvery: 97 });
    const errs: number[] = [];
    for (let i = 250 * 20; i < trueMs.length; i++) if (!Number.isNaN(stampedMs[i])) errs.push(stampedMs[i] - trueMs[i]);
    expect(std(errs)).toBeLessThan(0.3);
  });

  it('re-anchors after a host clock jump instead of smearing it', () => {
    const dj = new Dejitter({ sampleRateHz: 100 });
    const out = new Float64Array(1);
    for (let i = 0; i < 500; i++) dj.stamp(i, 1, 1e6 + i * 10, out);
    for (let i = 500; i < 510; i++) dj.stamp(i, 1, 1e6 + 60_000 + i * 10, out);
    expect(dj.resets).toBe(1);
    expect(out[0]).toBeCloseTo(1e6 + 60_000 + 509 * 10, 0);
  });
});
