// Turns decoded blocks into timestamped frames and gap marker events, per stream: the glue a
// driver (and the decode CLI) puts between a pure decoder and a ring/recording.
// Runs wherever the decoder runs. Allocates one Float64Array per block; no clock reads (the
// caller passes arrival times on the shared clock, core/clock.ts nowMs()).
import type { MarkerEvent } from '../../core/stream.ts';
import type { DecodedBlock } from '../drivers/decoder.ts';
import { gapMarker } from './counter-tracker.ts';
import { Dejitter, type DejitterOptions } from './dejitter.ts';

export interface StampedBlock {
  timestampsMs: Float64Array;
  /** Set when frames were lost right before this block. */
  gap?: MarkerEvent;
}

/**
 * Timestamps per stream:
 * - live/captured with arrival times and a nominal rate: dejittered fit (LSL-like, dejitter.ts);
 * - irregular stream (rate 0): the device's own time if the block has one (offset to the first
 *   such time + the first arrival), else the arrival time for every frame of the block;
 * - no arrival times (raw serial file): sample index / rate from 0, or device time from 0.
 */
export class BlockStamper {
  private readonly dejitters = new Map<string, Dejitter>();
  private readonly deviceTime0 = new Map<string, number>();
  private readonly arrival0 = new Map<string, number>();

  constructor(
    private readonly rateOf: (streamId: string) => number,
    private readonly dejitterOptions: Omit<DejitterOptions, 'sampleRateHz'> = {},
  ) {}

  stamp(b: DecodedBlock, arrivalMs?: number): StampedBlock {
    const rateHz = this.rateOf(b.streamId);
    const ts = new Float64Array(b.frames);
    if (rateHz > 0 && arrivalMs !== undefined) {
      let dj = this.dejitters.get(b.streamId);
      if (!dj) {
        dj = new Dejitter({ ...this.dejitterOptions, sampleRateHz: rateHz });
        this.dejitters.set(b.streamId, dj);
      }
      dj.stamp(b.sampleIndex, b.frames, arrivalMs, ts);
    } else if (rateHz > 0) {
      for (let f = 0; f < b.frames; f++) ts[f] = ((b.sampleIndex + f) * 1000) / rateHz;
    } else if (b.deviceTimeMs !== undefined) {
      if (!this.deviceTime0.has(b.streamId)) {
        this.deviceTime0.set(b.streamId, b.deviceTimeMs);
        this.arrival0.set(b.streamId, arrivalMs ?? 0);
      }
      const t = b.deviceTimeMs - (this.deviceTime0.get(b.streamId) as number) + (this.arrival0.get(b.streamId) as number);
      ts.fill(t);
    } else {
      ts.fill(arrivalMs ?? b.sampleIndex);
    }
    const out: StampedBlock = { timestampsMs: ts };
    if (b.lostBefore > 0) {
      const startMs = rateHz > 0 ? ts[0] - (b.lostBefore * 1000) / rateHz : ts[0];
      out.gap = gapMarker(b.streamId, startMs, b.lostBefore, rateHz);
    }
    return out;
  }
}
