// Collects decoded frames during one `push` and merges consecutive frames of a stream into one
// DecodedBlock (a new block starts at a gap or when a frame carries its own device time).
// Runs wherever decoders run. Allocates one Float32Array per block at `finish`; reuse the
// collector across pushes (call `finish` once per push).
import type { DecodedBlock } from './decoder.ts';

interface Pending {
  streamId: string;
  channelCount: number;
  sampleIndex: number;
  frames: number;
  lostBefore: number;
  deviceTimeMs?: number;
  values: number[];
}

export class BlockCollector {
  private pending: Pending[] = [];
  private readonly open = new Map<string, Pending>();

  /** Append one frame (`values.length` must equal `channelCount`). */
  frame(streamId: string, channelCount: number, sampleIndex: number, lostBefore: number, values: ArrayLike<number>, deviceTimeMs?: number): void {
    let p = this.open.get(streamId);
    const contiguous =
      p !== undefined && lostBefore === 0 && deviceTimeMs === undefined && p.channelCount === channelCount && p.sampleIndex + p.frames === sampleIndex;
    if (!contiguous) {
      p = { streamId, channelCount, sampleIndex, frames: 0, lostBefore, values: [] };
      if (deviceTimeMs !== undefined) p.deviceTimeMs = deviceTimeMs;
      this.pending.push(p);
      this.open.set(streamId, p);
    }
    const q = p as Pending;
    for (let c = 0; c < channelCount; c++) q.values.push(values[c]);
    q.frames++;
  }

  /** Append `frames` frames at once from a frame-major array (used for multi-sample packets). */
  frames(streamId: string, channelCount: number, sampleIndex: number, lostBefore: number, values: ArrayLike<number>, frames: number, deviceTimeMs?: number): void {
    const row = new Array<number>(channelCount);
    for (let f = 0; f < frames; f++) {
      for (let c = 0; c < channelCount; c++) row[c] = values[f * channelCount + c];
      this.frame(streamId, channelCount, sampleIndex + f, f === 0 ? lostBefore : 0, row, f === 0 ? deviceTimeMs : undefined);
    }
  }

  /** The blocks collected since the last call, in order of first frame arrival. */
  finish(): DecodedBlock[] {
    const out: DecodedBlock[] = [];
    for (const p of this.pending) {
      const b: DecodedBlock = {
        streamId: p.streamId,
        sampleIndex: p.sampleIndex,
        frames: p.frames,
        channelCount: p.channelCount,
        samples: Float32Array.from(p.values),
        lostBefore: p.lostBefore,
      };
      if (p.deviceTimeMs !== undefined) b.deviceTimeMs = p.deviceTimeMs;
      out.push(b);
    }
    this.pending = [];
    this.open.clear();
    return out;
  }
}
