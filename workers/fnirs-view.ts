// The engine worker's live view of an fNIRS stream: instead of the EEG filter chain, raw intensities
// go through the library's live chain (fnirs/live.ts: HbO/HbR in µM, or ΔOD where the stream has no
// distances; optionally through the running short-channel regression) into the "filtered" ring, and
// channel quality (windowed SCI, CV, pruning reasons) is posted to the page once a second. Worker-side wiring only; `feed` is the hot path (no allocation).
import { errorMessage } from '../src/lib/core/errors';
import type { StreamDescriptor } from '../src/lib/core/stream';
import { LiveFnirs } from '../src/lib/fnirs/live';
import type { FrameWriter } from './ring-endpoints';
import type { EngineEvent } from './protocol';

/** How often quality is recomputed and posted, ms. */
const QUALITY_INTERVAL_MS = 1000;

export class FnirsView {
  private readonly live: LiveFnirs;
  private out: Float32Array;
  private lastQualityMs = 0;

  /** Throws (InputError) when the stream has no fNIRS intensity channels. */
  constructor(
    descriptor: StreamDescriptor,
    private readonly sink: FrameWriter,
    private readonly post: (e: EngineEvent) => void,
    maxFrames: number,
  ) {
    this.live = new LiveFnirs(descriptor);
    this.out = new Float32Array(maxFrames * descriptor.channels.length);
    this.announce();
  }

  private announce(): void {
    const l = this.live;
    this.post({ type: 'fnirs-view', descriptor: l.output, mode: l.mode, note: l.note, shortChannels: l.hasShortChannels, shortChannelRegression: l.shortChannelRegression });
  }

  /** The running short-channel regression on or off (its estimate starts afresh); says so to the page. */
  setShortChannelRegression(on: boolean): void {
    this.live.setShortChannelRegression(on);
    this.announce();
  }

  /** HOT PATH: one chunk of raw frames → the view's frames in the sink. */
  feed(samples: Float32Array, timestampsMs: Float64Array, frames: number): void {
    this.live.process(samples, frames, this.out);
    this.sink.push(this.out, timestampsMs, frames);
  }

  /** Posts channel quality when a second has passed since the last (call from the loop's stats tick). */
  tick(nowMs: number): void {
    if (nowMs - this.lastQualityMs < QUALITY_INTERVAL_MS) return;
    this.lastQualityMs = nowMs;
    try {
      const quality = this.live.quality();
      if (quality) this.post({ type: 'fnirs-quality', quality });
    } catch (e) {
      this.post({ type: 'error', message: `fNIRS quality: ${errorMessage(e)}` });
    }
  }
}
