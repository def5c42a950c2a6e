// Gap detection from a device's wrapping packet counter: turns counter values (mod N) into a
// continuous sample index and counts lost packets/frames. Pure; runs wherever the decoder runs.
// Hot path (one call per packet): no allocation. Cannot see a loss of N or more packets in a row.
import type { MarkerEvent } from '../../core/stream.ts';

export interface CounterStep {
  /** Counter steps missing before this packet (0 when consecutive or first packet). */
  lostSteps: number;
  /** Frames missing before this packet. */
  lostFrames: number;
  /** Continuous index of this packet's first frame. */
  sampleIndex: number;
  /** True when the counter repeated or went backwards (packet ignored by the caller). */
  duplicate: boolean;
}

/**
 * Tracks one counter that advances by one per packet modulo `modulo`. Each packet carries
 * `framesPerStep` frames. A jump forward of d steps means d−1 lost packets. A counter equal to the
 * last one is a duplicate. A jump "backwards" by less than `backwardsTolerance` steps is treated
 * as a late/duplicate packet rather than a near-full wrap (BLE can reorder; serial cannot).
 */
export class CounterTracker {
  readonly modulo: number;
  readonly framesPerStep: number;
  private readonly backwardsTolerance: number;
  private last = -1;
  private nextIndex = 0;
  /** Discontinuities seen. */
  gaps = 0;
  lostSteps = 0;
  lostFrames = 0;
  duplicates = 0;
  private readonly step: CounterStep = { lostSteps: 0, lostFrames: 0, sampleIndex: 0, duplicate: false };

  constructor(modulo: number, framesPerStep = 1, backwardsTolerance = 0) {
    if (!(modulo >= 2) || !Number.isInteger(modulo)) throw new RangeError(`counter modulo must be an integer >= 2, got ${modulo}`);
    this.modulo = modulo;
    this.framesPerStep = framesPerStep;
    this.backwardsTolerance = backwardsTolerance;
  }

  /** Register the counter of the next packet. The returned object is reused: read it at once. */
  next(counter: number): CounterStep {
    const s = this.step;
    s.duplicate = false;
    s.lostSteps = 0;
    s.lostFrames = 0;
    if (this.last < 0) {
      this.last = counter;
      s.sampleIndex = this.nextIndex;
      this.nextIndex += this.framesPerStep;
      return s;
    }
    const d = (((counter - this.last) % this.modulo) + this.modulo) % this.modulo;
    if (d === 0 || d > this.modulo - 1 - this.backwardsTolerance) {
      this.duplicates++;
      s.duplicate = true;
      s.sampleIndex = this.nextIndex;
      return s;
    }
    if (d > 1) {
      this.gaps++;
      s.lostSteps = d - 1;
      s.lostFrames = (d - 1) * this.framesPerStep;
      this.lostSteps += s.lostSteps;
      this.lostFrames += s.lostFrames;
      this.nextIndex += s.lostFrames;
    }
    this.last = counter;
    s.sampleIndex = this.nextIndex;
    this.nextIndex += this.framesPerStep;
    return s;
  }

  /** Add frames lost for a reason the counter cannot see (e.g. a half Daisy pair dropped). */
  addLoss(frames: number): void {
    this.gaps++;
    this.lostFrames += frames;
    this.nextIndex += frames;
  }

  /** Index the next frame will get if nothing is lost. */
  get expectedIndex(): number {
    return this.nextIndex;
  }

  reset(): void {
    this.last = -1;
    this.nextIndex = 0;
    this.gaps = this.lostSteps = this.lostFrames = this.duplicates = 0;
  }
}

/** Marker value prefix for gap events, so recordings and pipelines can find them. */
export const GAP_MARKER_PREFIX = 'gap:';

/** A marker event for frames lost in `streamId`: value `gap:<streamId>:<lostFrames>`. */
export function gapMarker(streamId: string, timestampMs: number, lostFrames: number, sampleRateHz: number): MarkerEvent {
  const ev: MarkerEvent = { timestampMs, value: `${GAP_MARKER_PREFIX}${streamId}:${lostFrames}` };
  if (sampleRateHz > 0) ev.durationMs = (lostFrames * 1000) / sampleRateHz;
  return ev;
}

/** Parse a gap marker value back; null if the value is not one. */
export function parseGapMarker(value: string): { streamId: string; lostFrames: number } | null {
  if (!value.startsWith(GAP_MARKER_PREFIX)) return null;
  const rest = value.slice(GAP_MARKER_PREFIX.length);
  const colon = rest.lastIndexOf(':');
  if (colon <= 0) return null;
  const lost = Number(rest.slice(colon + 1));
  if (!Number.isInteger(lost) || lost < 0) return null;
  return { streamId: rest.slice(0, colon), lostFrames: lost };
}
