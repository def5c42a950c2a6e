// Time-domain node classes: sliding windows, segmentation around markers (epochs with pre/post
// times and baseline), baseline removal. Engine worker / Node. Windows and epochs are located by
// global sample index, so chunk boundaries never change which samples an epoch holds.
import { InputError } from '../../core/errors';
import type { StreamDescriptor } from '../../core/stream';
import type { Epoch, EpochsPacket, FramesPacket, MarkersPacket, NodeClass, NodeContext, TargetedMarker } from '../types';
import { input, np, output, p, rateOf, samplesOf } from './common';

/**
 * The most recent frames of one stream with their global indices (frame-major ring).
 * Allocation only when the capacity must grow; `copy` writes frame-major into a caller array.
 */
export class FrameHistory {
  private samples: Float32Array;
  private ts: Float64Array;
  private cap: number;
  /** Global index of the next frame to arrive (= frames seen so far). */
  end = 0;
  constructor(
    readonly channels: number,
    capacityFrames: number,
  ) {
    this.cap = Math.max(1, capacityFrames);
    this.samples = new Float32Array(this.cap * channels);
    this.ts = new Float64Array(this.cap);
  }
  get capacity(): number {
    return this.cap;
  }
  /** Global index of the oldest frame held. */
  get start(): number {
    return Math.max(0, this.end - this.cap);
  }
  push(x: Float32Array, t: Float64Array, frames: number): void {
    const ch = this.channels;
    // keep only what fits, then copy in at most two contiguous runs (ring wrap)
    const skip = Math.max(0, frames - this.cap);
    let n = skip;
    while (n < frames) {
      const slot = (this.end + n) % this.cap;
      const run = Math.min(frames - n, this.cap - slot);
      this.samples.set(x.subarray(n * ch, (n + run) * ch), slot * ch);
      this.ts.set(t.subarray(n, n + run), slot);
      n += run;
    }
    this.end += frames;
  }
  timeAt(global: number): number {
    return this.ts[global % this.cap];
  }
  /** Global index of the frame whose timestamp is nearest to tMs (ties → earlier), within the held range. */
  nearest(tMs: number): number {
    let lo = this.start;
    let hi = this.end - 1;
    if (hi < lo) return -1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.timeAt(mid) < tMs) lo = mid + 1;
      else hi = mid;
    }
    if (lo > this.start && Math.abs(this.timeAt(lo - 1) - tMs) <= Math.abs(this.timeAt(lo) - tMs)) lo--;
    return lo;
  }
  copy(globalStart: number, frames: number, out: Float32Array): void {
    const ch = this.channels;
    let n = 0;
    while (n < frames) {
      const slot = (globalStart + n) % this.cap;
      const run = Math.min(frames - n, this.cap - slot);
      out.set(this.samples.subarray(slot * ch, (slot + run) * ch), n * ch);
      n += run;
    }
  }
  clear(): void {
    this.end = 0;
  }
}

/** Subtracts, per channel, the mean over frames [a, b) of a frame-major epoch, in place. */
export function subtractBaseline(x: Float32Array, frames: number, ch: number, a: number, b: number): void {
  const lo = Math.max(0, a);
  const hi = Math.min(frames, b);
  if (hi <= lo) return;
  for (let c = 0; c < ch; c++) {
    let m = 0;
    for (let n = lo; n < hi; n++) m += x[n * ch + c];
    m /= hi - lo;
    for (let n = 0; n < frames; n++) x[n * ch + c] -= m;
  }
}

// ------------------------------------------------------------------------------- sliding window

/** Cuts windows of W frames every S frames (by global index) out of a stream. */
export class WindowCutter {
  private hist: FrameHistory | undefined;
  private stream: StreamDescriptor | undefined;
  private nextEnd = 0;
  /** Window buffers reused from step to step (packet contract: valid during the step only). */
  private pool: Float32Array[] = [];
  constructor(
    private readonly lengthOf: (fs: number) => number,
    private readonly stepOf: (fs: number) => number,
    private readonly who: string,
  ) {}
  windows(d: FramesPacket): { stream: StreamDescriptor; items: Epoch[] } {
    const fs = rateOf(d.stream, this.who);
    const W = this.lengthOf(fs);
    const S = this.stepOf(fs);
    const ch = d.stream.channels.length;
    if (!this.hist || this.stream !== d.stream) {
      this.hist = new FrameHistory(ch, W);
      this.stream = d.stream;
      this.nextEnd = W;
    }
    const items: Epoch[] = [];
    const x = samplesOf(d);
    let pos = 0;
    let used = 0;
    while (pos < d.frames) {
      // push up to the next window end, cut, repeat (history holds exactly W frames)
      const want = Math.min(d.frames - pos, Math.max(1, this.nextEnd - this.hist.end));
      this.hist.push(x.subarray(pos * ch, (pos + want) * ch), d.timestampsMs.subarray(pos, pos + want), want);
      pos += want;
      if (this.hist.end === this.nextEnd) {
        let s = this.pool[used];
        if (!s || s.length !== W * ch) s = this.pool[used] = new Float32Array(W * ch);
        used++;
        this.hist.copy(this.nextEnd - W, W, s);
        items.push({ timestampMs: this.hist.timeAt(this.nextEnd - 1), startMs: this.hist.timeAt(this.nextEnd - W), samples: s, frames: W });
        this.nextEnd += S;
      }
    }
    return { stream: d.stream, items };
  }
  reset(): void {
    this.hist = undefined;
  }
}

/** A length in seconds or samples → whole frames at `fs` (≥ 1, else an InputError naming `what`). */
export function framesOf(value: number, unit: string, fs: number, who: string, what: string): number {
  const n = unit === 'samples' ? Math.round(value) : Math.round(value * fs);
  if (n < 1) throw new InputError(`${what} of ${value} ${unit} is shorter than one sample at ${fs} Hz`, who);
  return n;
}

export const slidingWindow: NodeClass = {
  type: 'time.sliding-window',
  package: 'time',
  title: 'Sliding window',
  version: '1.0.0',
  neuropype: np('MovingWindow', 'signal_processing'),
  doc: `Cuts a continuous signal into overlapping windows: one window of \`window_length\` every \`step\`,
placed by sample count from the first sample, so any chunking gives the same windows.

- **in \`data\`** (signal); **out \`data\`** (epochs): each window's timestamp is its last sample's.
- **window_length**, **step** (s, or samples when **unit** = samples).`,
  inputs: [input('data', ['signal'], 'Continuous signal.')],
  outputs: [output('data', 'epochs', 'Windows.')],
  params: [
    p.float('window_length', 1, 'Window length.', { unit: 's or samples', domain: [0, Infinity] }),
    p.float('step', 0.1, 'Hop between window ends.', { unit: 's or samples', domain: [0, Infinity] }),
    p.enum('unit', 'seconds', ['seconds', 'samples'], 'Unit of window_length and step.'),
  ],
  create(params, ctx) {
    const unit = params.unit as string;
    const cut = new WindowCutter(
      (fs) => framesOf(params.window_length as number, unit, fs, ctx.nodeId, 'window_length'),
      (fs) => framesOf(params.step as number, unit, fs, ctx.nodeId, 'step'),
      ctx.nodeId,
    );
    return {
      process(inputs) {
        const d = inputs.data as FramesPacket | undefined;
        if (!d) return;
        const w = cut.windows(d);
        return w.items.length ? { data: { kind: 'epochs', stream: w.stream, items: w.items } } : undefined;
      },
      check(meta) {
        const s = meta.data?.stream;
        if (s) framesOf(params.window_length as number, unit, rateOf(s, ctx.nodeId), ctx.nodeId, 'window_length');
      },
      reset: () => cut.reset(),
    };
  },
};

// ------------------------------------------------------------------------------- segmentation

export const segmentation: NodeClass = {
  type: 'time.segmentation',
  package: 'time',
  title: 'Segmentation (epochs around markers)',
  version: '1.0.0',
  neuropype: np('Segmentation', 'formatting'),
  doc: `Cuts an epoch around each selected marker: samples from the marker's sample + round(tmin·fs)
to + round(tmax·fs), both included (MNE's convention; the marker's sample is the one nearest its
time). An epoch is emitted as soon as the signal reaches its end; markers older than the history
(\`max_wait\`) are dropped with a WARNING. Epochs carry the marker value and its class target.

- **in \`data\`** (signal), **in \`markers\`** (markers); **out \`data\`** (epochs).
- **time_bounds** [tmin, tmax] (s, relative to the marker). **select_markers** (list; null = all).
- **baseline** [a, b] (s, relative to the marker; null = none): per-channel mean over it is subtracted.
- **max_wait** (s): how far back markers may arrive late / how long history is kept beyond the epoch.
- **online_epoching**: marker-locked, or sliding (online only: on every chunk, the latest window of
  tmax − tmin seconds, as NeuroPype does to classify continuously after calibration).`,
  inputs: [input('data', ['signal'], 'Continuous signal.'), input('markers', ['markers'], 'Events to lock epochs to.', true)],
  outputs: [output('data', 'epochs', 'Epochs.')],
  params: [
    p.list('time_bounds', [-0.2, 0.8], 'Epoch start and end relative to the marker.', { unit: 's', items: 'number', lengths: [2] }),
    p.list('select_markers', null, 'Marker values that open an epoch (null = all).', { items: 'string' }),
    p.list('baseline', null, 'Baseline interval relative to the marker (null = none).', { unit: 's', items: 'number', lengths: [2] }),
    p.float('max_wait', 30, 'History kept for late markers.', { unit: 's', domain: [0, 3600] }),
    p.enum('online_epoching', 'marker-locked', ['marker-locked', 'sliding'], 'Online: epochs around markers, or (sliding) the latest window on every chunk. Offline runs are always marker-locked.'),
    p.float('max_gap_length', 0.2, 'Accepted for NeuroPype compatibility.', { unit: 's' }),
  ],
  create(params, ctx) {
    const [tmin, tmax] = params.time_bounds as number[];
    if (!(tmax > tmin)) throw new InputError(`time_bounds [${tmin}, ${tmax}] must have tmin < tmax`, ctx.nodeId);
    const select = params.select_markers as string[] | null;
    const baseline = params.baseline as number[] | null;
    if (baseline && !(baseline[1] > baseline[0])) throw new InputError(`baseline [${baseline.join(', ')}] must have a < b`, ctx.nodeId);
    return new Segmenter(ctx, tmin, tmax, select, baseline, params.max_wait as number, params.online_epoching === 'sliding');
  },
};

class Segmenter {
  private hist: FrameHistory | undefined;
  private stream: StreamDescriptor | undefined;
  private pending: TargetedMarker[] = [];
  private dropped = 0;
  constructor(
    private readonly ctx: NodeContext,
    private readonly tmin: number,
    private readonly tmax: number,
    private readonly select: string[] | null,
    private readonly baseline: number[] | null,
    private readonly maxWaitS: number,
    private readonly sliding = false,
  ) {}

  process(inputs: Record<string, unknown>): { data: EpochsPacket } | undefined {
    const m = inputs.markers as MarkersPacket | undefined;
    if (m) for (const e of m.events) if (!this.select || this.select.includes(e.value)) this.pending.push(e);
    const d = inputs.data as FramesPacket | undefined;
    if (d) {
      const fs = rateOf(d.stream, this.ctx.nodeId);
      if (!this.hist || this.stream !== d.stream) {
        const span = Math.ceil((this.tmax - Math.min(0, this.tmin) + this.maxWaitS) * fs) + 2;
        this.hist = new FrameHistory(d.stream.channels.length, span);
        this.stream = d.stream;
      }
      if (this.sliding && !this.ctx.offline) {
        this.hist.push(samplesOf(d), d.timestampsMs, d.frames);
        return this.latest();
      }
      // Push big chunks (a whole zero-phase-filtered recording arrives at once) in pieces of at most
      // half the history, cutting epochs after each, so no marker's data is pushed out unseen.
      const x = samplesOf(d);
      const ch = d.stream.channels.length;
      const piece = Math.max(1, this.hist.capacity >> 1);
      let out: EpochsPacket | undefined;
      for (let pos = 0; pos < d.frames; pos += piece) {
        const end = Math.min(d.frames, pos + piece);
        this.hist.push(x.subarray(pos * ch, end * ch), d.timestampsMs.subarray(pos, end), end - pos);
        const r = this.emit();
        if (r) out = out ? { ...out, items: [...out.items, ...r.data.items] } : r.data;
      }
      return out ? { data: out } : undefined;
    }
    return this.emit();
  }

  /** NeuroPype's online 'sliding' epoching: the most recent (tmax − tmin) window, once per chunk. */
  private latest(): { data: EpochsPacket } | undefined {
    const h = this.hist!;
    const s = this.stream!;
    const fs = s.sampleRateHz;
    const frames = Math.round(this.tmax * fs) - Math.round(this.tmin * fs) + 1;
    if (h.end - h.start < frames) return undefined;
    const ch = s.channels.length;
    const first = h.end - frames;
    const x = new Float32Array(frames * ch);
    h.copy(first, frames, x);
    // the window is treated as an epoch whose marker sits at −tmin from its start
    const eventMs = h.timeAt(first) - this.tmin * 1000;
    if (this.baseline) subtractBaseline(x, frames, ch, Math.round((this.baseline[0] - this.tmin) * fs), Math.round((this.baseline[1] - this.tmin) * fs) + 1);
    return { data: { kind: 'epochs', stream: s, items: [{ timestampMs: eventMs, startMs: h.timeAt(first), samples: x, frames }] } };
  }

  private emit(): { data: EpochsPacket } | undefined {
    const h = this.hist;
    const s = this.stream;
    if (!h || !s || !this.pending.length || h.end === 0) return undefined;
    const fs = s.sampleRateHz;
    const a = Math.round(this.tmin * fs);
    const b = Math.round(this.tmax * fs);
    const ch = s.channels.length;
    const items: Epoch[] = [];
    const keep: TargetedMarker[] = [];
    const lastT = h.timeAt(h.end - 1);
    for (const e of this.pending) {
      // The marker's sample must be known: wait until data passes its time.
      if (e.timestampMs > lastT + 500 / fs) {
        keep.push(e);
        continue;
      }
      if (e.timestampMs < h.timeAt(h.start) - 500 / fs) {
        if (this.dropped++ < 20) this.ctx.log(30, `marker "${e.value}" at ${e.timestampMs.toFixed(1)} ms is older than the kept history; dropped`);
        continue;
      }
      const ev = h.nearest(e.timestampMs);
      const first = ev + a;
      const last = ev + b;
      if (first < h.start) {
        if (this.dropped++ < 20) this.ctx.log(30, `marker "${e.value}" at ${e.timestampMs.toFixed(1)} ms: its epoch starts before the kept history; dropped`);
        continue;
      }
      if (last >= h.end) {
        keep.push(e);
        continue;
      }
      const frames = last - first + 1;
      const x = new Float32Array(frames * ch);
      h.copy(first, frames, x);
      if (this.baseline) subtractBaseline(x, frames, ch, Math.round(this.baseline[0] * fs) - a, Math.round(this.baseline[1] * fs) - a + 1);
      items.push({ timestampMs: e.timestampMs, startMs: h.timeAt(first), samples: x, frames, marker: e.value, target: e.target });
    }
    this.pending = keep;
    return items.length ? { data: { kind: 'epochs', stream: s, items } } : undefined;
  }

  reset(): void {
    this.hist = undefined;
    this.pending = [];
  }
}

// ------------------------------------------------------------------------------- baseline removal

export const baselineRemoval: NodeClass = {
  type: 'time.baseline',
  package: 'time',
  title: 'Baseline removal',
  version: '1.0.0',
  doc: `Subtracts from each channel of each epoch its mean over a baseline interval given relative to
the epoch's event time (MNE \`Epochs(baseline=(a, b))\`).

- **in/out \`data\`** (epochs). **baseline** [a, b] (s; null = whole epoch).`,
  inputs: [input('data', ['epochs'], 'Epochs.')],
  outputs: [output('data', 'epochs', 'Baseline-corrected epochs.')],
  params: [p.list('baseline', [-0.2, 0], 'Interval relative to the event.', { unit: 's', items: 'number', lengths: [2], nullable: true })],
  create(params, ctx) {
    const bl = params.baseline as number[] | null;
    return {
      process(inputs) {
        const d = inputs.data as EpochsPacket | undefined;
        if (!d) return;
        const fs = rateOf(d.stream, ctx.nodeId);
        const ch = d.stream.channels.length;
        const items = d.items.map((e) => {
          const x = e.samples.slice();
          if (!bl) subtractBaseline(x, e.frames, ch, 0, e.frames);
          else {
            const ev = Math.round(((e.timestampMs - e.startMs) * fs) / 1000);
            subtractBaseline(x, e.frames, ch, ev + Math.round(bl[0] * fs), ev + Math.round(bl[1] * fs) + 1);
          }
          return { ...e, samples: x };
        });
        return { data: { kind: 'epochs', stream: d.stream, items } };
      },
      reset() {},
    };
  },
};
