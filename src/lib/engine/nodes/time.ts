// Time-domain node classes: sliding windows, segmentation around markers (epochs with pre/post
// times and baseline), baseline removal. Engine worker / Node. Windows and epochs are located by
// global sample index, so chunk boundaries never change which samples an epoch holds. Both emit
// segmented chunks: instance × time × (the signal's other axes), the time axis relative to each
// instance's time (ms), the instance axis carrying the marker fields (Marker, TargetValue …).
import { InputError } from '../../core/errors';
import { axisLength, instanceAxis, MARKER, timeAxis, type Axis, type InstanceAxis, type InstanceField, type TimeAxis } from '../axes';
import { axisIndex, describeAxes, moveAxis, type Block, type BlockData } from '../block';
import { chunkMatches, mapChunks, StreamStates, withBlock, type Chunk } from '../packet';
import { insertAxis, mapShapes, type ChunkShape } from '../shapes';
import type { NodeClass, NodeContext, PortValues } from '../types';
import { alloc, CONTINUOUS, input, lanesAlongTime, markerChunksFor, MARKERS, metaChunks, np, output, p, rateOf, Scratches, SEGMENTED } from './common';

/**
 * The most recent frames of one stream with their global indices (frame-major ring).
 * Allocation only when the capacity must grow; `copy` writes frame-major into a caller array.
 */
export class FrameHistory {
  private samples: BlockData;
  private ts: Float64Array;
  private cap: number;
  /** Global index of the next frame to arrive (= frames seen so far). */
  end = 0;
  constructor(
    readonly channels: number,
    capacityFrames: number,
    readonly float64 = false,
  ) {
    this.cap = Math.max(1, capacityFrames);
    this.samples = float64 ? new Float64Array(this.cap * channels) : new Float32Array(this.cap * channels);
    this.ts = new Float64Array(this.cap);
  }
  get capacity(): number {
    return this.cap;
  }
  /** Global index of the oldest frame held. */
  get start(): number {
    return Math.max(0, this.end - this.cap);
  }
  push(x: BlockData, t: Float64Array, frames: number): void {
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
  copy(globalStart: number, frames: number, out: BlockData): void {
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
export function subtractBaseline(x: BlockData, frames: number, ch: number, a: number, b: number): void {
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

// ------------------------------------------------------------------------------- segmented layouts

/** A continuous chunk's block with time first (view when it is already). */
function timeFirst(b: Block): Block {
  const t = axisIndex(b, 'time');
  return t === 0 ? b : moveAxis(b, t, 0);
}

/** Relative sample times of a segment: (first + k) / fs for k < frames, in ms. */
export function relativeTimes(first: number, frames: number, fs: number): Float64Array {
  return Float64Array.from({ length: frames }, (_, k) => ((first + k) * 1000) / fs);
}

/** Shape of segmented output: an instance axis in front of what arrives. */
const segmentedShape = (s: ChunkShape): ChunkShape => insertAxis(s, 'instance', 0);

/** The segmented block: instance × time × the continuous block's other axes (in their order). */
function segmentedBlock(data: BlockData, instances: InstanceAxis, time: TimeAxis, rest: readonly Axis[]): Block {
  const axes: Axis[] = [instances, time, ...rest];
  return { data, shape: axes.map(axisLength), axes };
}

// ------------------------------------------------------------------------------- sliding window

/** Cuts windows of W frames every S frames (by global index) out of a stream. */
export class WindowCutter {
  private hist: FrameHistory | undefined;
  private nextEnd = 0;
  private rel: TimeAxis | undefined;
  constructor(
    private readonly lengthOf: (fs: number) => number,
    private readonly stepOf: (fs: number) => number,
    private readonly who: string,
  ) {}
  /**
   * The windows that end in this chunk: `data` frame-major (window × W × lanes) in `out` (reused,
   * valid during the step), `endsMs` their last samples' times, `time` the window's relative time axis.
   */
  windows(c: Chunk, out: Scratches, name: string): { data: BlockData; endsMs: Float64Array; time: TimeAxis; rest: Axis[] } {
    const fs = rateOf(c, this.who);
    const W = this.lengthOf(fs);
    const S = this.stepOf(fs);
    const b = timeFirst(c.block);
    const lanes = lanesAlongTime(b);
    if (!this.hist || this.hist.channels !== lanes) {
      this.hist = new FrameHistory(lanes, W, b.data instanceof Float64Array);
      this.nextEnd = W;
    }
    if (this.rel?.timesMs.length !== W || this.rel.nominalRateHz !== fs) this.rel = timeAxis(relativeTimes(1 - W, W, fs), fs);
    const frames = b.shape[0];
    const times = (b.axes[0] as TimeAxis).timesMs;
    const most = Math.max(0, Math.floor((this.hist.end + frames - this.nextEnd) / S) + 1);
    const buf = out.get(name).like(b.data, most * W * lanes);
    const ends = new Float64Array(most);
    let used = 0;
    let pos = 0;
    while (pos < frames) {
      // push up to the next window end, cut, repeat (history holds exactly W frames)
      const want = Math.min(frames - pos, Math.max(1, this.nextEnd - this.hist.end));
      this.hist.push(b.data.subarray(pos * lanes, (pos + want) * lanes), times.subarray(pos, pos + want), want);
      pos += want;
      if (this.hist.end === this.nextEnd) {
        this.hist.copy(this.nextEnd - W, W, buf.subarray(used * W * lanes, (used + 1) * W * lanes));
        ends[used++] = this.hist.timeAt(this.nextEnd - 1);
        this.nextEnd += S;
      }
    }
    return { data: buf.subarray(0, used * W * lanes), endsMs: ends.subarray(0, used), time: this.rel, rest: b.axes.slice(1) };
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
  version: '1.1.0',
  neuropype: np('MovingWindow', 'signal_processing'),
  doc: `Cuts a continuous signal into overlapping windows: one window of \`window_length\` every \`step\`,
placed by sample count from the first sample, so any chunking gives the same windows.

- **in \`data\`**: continuous chunks; **out \`data\`**: the windows ending in each chunk,
  instance × time × (the signal's other axes): one instance per window, stamped with its last
  sample's time; the time axis relative to it (the last sample at 0 ms).
- **window_length**, **step** (s, or samples when **unit** = samples).`,
  inputs: [input('data', [CONTINUOUS], 'Continuous signal.', { hint: 'windows are cut from a continuous signal (time, no instances)' })],
  outputs: [output('data', mapShapes('data', [CONTINUOUS], segmentedShape), 'Windows.')],
  params: [
    p.float('window_length', 1, 'Window length.', { unit: 's or samples', domain: [0, Infinity] }),
    p.float('step', 0.1, 'Hop between window ends.', { unit: 's or samples', domain: [0, Infinity] }),
    p.enum('unit', 'seconds', ['seconds', 'samples'], 'Unit of window_length and step.'),
  ],
  create(params, ctx) {
    const unit = params.unit as string;
    const cutters = new StreamStates(
      () =>
        new WindowCutter(
          (fs) => framesOf(params.window_length as number, unit, fs, ctx.nodeId, 'window_length'),
          (fs) => framesOf(params.step as number, unit, fs, ctx.nodeId, 'step'),
          ctx.nodeId,
        ),
    );
    const out = new Scratches();
    return {
      process(inputs) {
        const r = mapChunks(inputs.data, [CONTINUOUS], (c, name) => {
          const w = cutters.get(name, c).windows(c, out, name);
          if (!w.endsMs.length) return undefined;
          return withBlock(c, segmentedBlock(w.data, instanceAxis(w.endsMs, {}, 'windows'), w.time, w.rest));
        });
        return r ? { data: r } : undefined;
      },
      check(meta) {
        for (const { chunk } of metaChunks(meta, CONTINUOUS)) framesOf(params.window_length as number, unit, rateOf(chunk, ctx.nodeId), ctx.nodeId, 'window_length');
      },
      reset: () => cutters.clear(),
    };
  },
};

// ------------------------------------------------------------------------------- segmentation

/** A marker waiting for its epoch: time, value and every field of its instance. */
interface PendingMarker {
  timeMs: number;
  value: string;
  fields: Record<string, string | number>;
}

/** The markers of a marker chunk, with all their instance fields. */
function pendingOf(c: Chunk): PendingMarker[] {
  const a = c.block.axes.find((x): x is InstanceAxis => x.type === 'instance');
  if (!a) return [];
  const names = Object.keys(a.fields);
  return Array.from(a.timesMs, (timeMs, i) => {
    const fields: Record<string, string | number> = {};
    for (const k of names) fields[k] = a.fields[k][i];
    const m = a.fields[MARKER];
    return { timeMs, value: Array.isArray(m) ? (m[i] ?? '') : '', fields };
  });
}

/** The instance axis of a set of epochs: their marker times and every marker field. */
function epochInstances(list: readonly PendingMarker[], instanceType: string): InstanceAxis {
  const names = [...new Set(list.flatMap((m) => Object.keys(m.fields)))];
  const fields: Record<string, InstanceField> = {};
  for (const k of names) {
    const numeric = list.every((m) => m.fields[k] === undefined || typeof m.fields[k] === 'number');
    fields[k] = numeric ? Float64Array.from(list, (m) => (m.fields[k] as number | undefined) ?? NaN) : list.map((m) => String(m.fields[k] ?? ''));
  }
  if (!fields[MARKER]) fields[MARKER] = list.map((m) => m.value);
  return instanceAxis(Float64Array.from(list, (m) => m.timeMs), fields, instanceType);
}

export const segmentation: NodeClass = {
  type: 'time.segmentation',
  package: 'time',
  title: 'Segmentation (epochs around markers)',
  version: '1.1.0',
  neuropype: np('Segmentation', 'formatting'),
  doc: `Cuts an epoch around each selected marker: samples from the marker's sample + round(tmin·fs)
to + round(tmax·fs), both included (MNE's convention; the marker's sample is the one nearest its
time). An epoch is emitted as soon as the signal reaches its end; markers older than the history
(\`max_wait\`) are dropped with a WARNING.

- **in \`data\`**: continuous signal chunks and, NeuroPype's way, the markers as marker chunks of
  the same packet (LSLInput, ImportXDF); **in \`markers\`** (optional): markers on a port of their
  own — when wired, markers come from it and marker chunks in \`data\` are ignored.
- **out \`data\`**: per signal chunk, instance × time × (its other axes): one instance per epoch,
  stamped with its marker's time and carrying the marker's fields (Marker, TargetValue …); the time
  axis relative to the marker (tmin … tmax). The marker chunk is dropped unless **keep_marker_chunk**.
- **time_bounds** [tmin, tmax] (s, relative to the marker). **select_markers** (list; null = all).
- **baseline** [a, b] (s, relative to the marker; null = none): per-channel mean over it is subtracted.
- **max_wait** (s): how far back markers may arrive late / how long history is kept beyond the epoch.
- **online_epoching**: marker-locked, or sliding (online only: on every chunk, the latest window of
  tmax − tmin seconds, as NeuroPype does to classify continuously after calibration).`,
  inputs: [
    input('data', [CONTINUOUS], 'Continuous signal (and its markers).', { hint: 'segment a continuous signal (time, no instances); markers ride along or come on the markers port' }),
    input('markers', [MARKERS], 'Events to lock epochs to.', { optional: true, hint: 'wire a marker stream (markers chunk) here' }),
  ],
  outputs: [
    output(
      'data',
      (ins, params) => {
        const shaped = mapShapes('data', [CONTINUOUS], segmentedShape)(ins, params);
        if (shaped === 'unknown' || params.keep_marker_chunk) return shaped;
        return shaped.filter((s) => !s.flags.has_markers);
      },
      'Epochs.',
    ),
  ],
  params: [
    p.list('time_bounds', [-0.2, 0.8], 'Epoch start and end relative to the marker.', { unit: 's', items: 'number', lengths: [2] }),
    p.list('select_markers', null, 'Marker values that open an epoch (null = all).', { items: 'string' }),
    p.list('baseline', null, 'Baseline interval relative to the marker (null = none).', { unit: 's', items: 'number', lengths: [2] }),
    p.float('max_wait', 30, 'History kept for late markers.', { unit: 's', domain: [0, 3600] }),
    p.enum('online_epoching', 'marker-locked', ['marker-locked', 'sliding'], 'Online: epochs around markers, or (sliding) the latest window on every chunk. Offline runs are always marker-locked.'),
    p.bool('keep_marker_chunk', false, 'Pass the marker chunk on beside the epochs.'),
    p.float('max_gap_length', 0.2, 'Accepted for NeuroPype compatibility.', { unit: 's' }),
  ],
  create(params, ctx) {
    const [tmin, tmax] = params.time_bounds as number[];
    if (!(tmax > tmin)) throw new InputError(`time_bounds [${tmin}, ${tmax}] must have tmin < tmax`, ctx.nodeId);
    const select = params.select_markers as string[] | null;
    const baseline = params.baseline as number[] | null;
    if (baseline && !(baseline[1] > baseline[0])) throw new InputError(`baseline [${baseline.join(', ')}] must have a < b`, ctx.nodeId);
    return new Segmenter(ctx, tmin, tmax, select, baseline, params.max_wait as number, params.online_epoching === 'sliding', params.keep_marker_chunk as boolean);
  },
};

/** Per signal chunk: its history, the markers still waiting for their epochs, what its epochs look like. */
interface SegmenterState {
  hist: FrameHistory;
  rate: number;
  rest: Axis[];
  props: Chunk['props'];
  pending: PendingMarker[];
}

/** Epochs cut in one go: frame-major epoch × frames × lanes, their markers, the first sample's offset from the marker's. */
interface Cut {
  data: BlockData;
  list: PendingMarker[];
  frames: number;
  first: number;
}

/** How far a stream's time must go back for Segmentation to take it as a new recording (ms). */
const TIME_BACK_RESTART_MS = 1000;

class Segmenter {
  private readonly states: StreamStates<SegmenterState>;
  /** Markers that arrived before any signal chunk; handed to each chunk's first state. */
  private early: PendingMarker[] = [];
  private dropped = 0;
  constructor(
    private readonly ctx: NodeContext,
    private readonly tmin: number,
    private readonly tmax: number,
    private readonly select: string[] | null,
    private readonly baseline: number[] | null,
    private readonly maxWaitS: number,
    private readonly sliding: boolean,
    private readonly keepMarkers: boolean,
  ) {
    this.states = new StreamStates((c) => {
      const fs = rateOf(c, ctx.nodeId);
      const b = timeFirst(c.block);
      const span = Math.ceil((this.tmax - Math.min(0, this.tmin) + this.maxWaitS) * fs) + 2;
      return { hist: new FrameHistory(lanesAlongTime(b), span, b.data instanceof Float64Array), rate: fs, rest: b.axes.slice(1), props: c.props, pending: [...this.early] };
    });
  }

  process(inputs: PortValues): PortValues | undefined {
    const arrived: PendingMarker[] = [];
    for (const m of markerChunksFor(this.ctx, inputs)) for (const e of pendingOf(m)) if (!this.select || this.select.includes(e.value)) arrived.push(e);
    const known = this.states.entries();
    if (arrived.length) {
      if (known.length) for (const [, st] of known) st.pending.push(...arrived);
      else this.early.push(...arrived);
    }
    const out = new Map<string, Chunk>();
    for (const [name, c] of inputs.data ?? []) {
      if (c.props.has_markers) {
        if (this.keepMarkers) out.set(name, c);
      } else if (chunkMatches(name, c, CONTINUOUS)) {
        const r = this.segment(name, c, arrived);
        if (r) out.set(name, r);
      } else out.set(name, c);
    }
    if (!known.length && this.states.entries().length) this.early = [];
    if (!this.sliding || this.ctx.offline) {
      // streams without data this step: epochs whose data is already in their history
      for (const [name, st] of known) {
        if (out.has(name) || inputs.data?.has(name)) continue;
        const r = this.emit(st);
        if (r) out.set(name, this.chunkOf(r, st));
      }
    }
    return out.size ? { data: out } : undefined;
  }

  private chunkOf(e: Cut, st: SegmenterState): Chunk {
    const time = timeAxis(relativeTimes(e.first, e.frames, st.rate), st.rate);
    return { block: segmentedBlock(e.data, epochInstances(e.list, 'segments'), time, st.rest), props: st.props };
  }

  /** `arrived`: this step's markers (all a restarted history keeps). */
  private segment(name: string, c: Chunk, arrived: readonly PendingMarker[]): Chunk | undefined {
    const st = this.states.get(name, c);
    st.props = c.props;
    const b = timeFirst(c.block);
    const frames = b.shape[0];
    const times = (b.axes[0] as TimeAxis).timesMs;
    const lanes = st.hist.channels;
    const h = st.hist;
    if (frames > 0 && h.end > 0 && times[0] < h.timeAt(h.end - 1) - TIME_BACK_RESTART_MS) {
      // The stream's time went back: another recording on the same stream (a calibration file, then
      // the live one from the same clock reading). Its history, and the markers still waiting for it,
      // belong to the one before. (Smaller steps back are clock corrections, e.g. LSL's offset.)
      st.hist = new FrameHistory(lanes, h.capacity, h.float64);
      st.pending = st.pending.filter((m) => arrived.includes(m));
      this.ctx.log(20, `stream "${name}": time went back from ${h.timeAt(h.end - 1).toFixed(1)} to ${times[0].toFixed(1)} ms (a new recording); its history starts afresh`);
    }
    if (this.sliding && !this.ctx.offline) {
      st.hist.push(b.data, times, frames);
      const r = this.latest(st);
      return r ? this.chunkOf(r, st) : undefined;
    }
    // Push big chunks (a whole recording arrives at once) in pieces of at most half the history,
    // cutting epochs after each, so no marker's data is pushed out unseen.
    const piece = Math.max(1, st.hist.capacity >> 1);
    const cuts: Cut[] = [];
    for (let pos = 0; pos < frames; pos += piece) {
      const end = Math.min(frames, pos + piece);
      st.hist.push(b.data.subarray(pos * lanes, end * lanes), times.subarray(pos, end), end - pos);
      const r = this.emit(st);
      if (r) cuts.push(r);
    }
    if (!cuts.length) return undefined;
    if (cuts.length === 1) return this.chunkOf(cuts[0], st);
    const data = alloc(b.data, cuts.reduce((n, x) => n + x.data.length, 0));
    let o = 0;
    for (const x of cuts) {
      data.set(x.data, o);
      o += x.data.length;
    }
    return this.chunkOf({ ...cuts[0], data, list: cuts.flatMap((x) => x.list) }, st);
  }

  /** NeuroPype's online 'sliding' epoching: the most recent (tmax − tmin) window, once per chunk. */
  private latest(st: SegmenterState): Cut | undefined {
    const h = st.hist;
    const fs = st.rate;
    const a = Math.round(this.tmin * fs);
    const frames = Math.round(this.tmax * fs) - a + 1;
    st.pending = []; // sliding windows do not wait for markers
    if (h.end - h.start < frames) return undefined;
    const ch = h.channels;
    const first = h.end - frames;
    const x = h.float64 ? new Float64Array(frames * ch) : new Float32Array(frames * ch);
    h.copy(first, frames, x);
    // the window is treated as an epoch whose marker sits at −tmin from its start
    const eventMs = h.timeAt(first) - this.tmin * 1000;
    if (this.baseline) subtractBaseline(x, frames, ch, Math.round((this.baseline[0] - this.tmin) * fs), Math.round((this.baseline[1] - this.tmin) * fs) + 1);
    return { data: x, list: [{ timeMs: eventMs, value: '', fields: {} }], frames, first: a };
  }

  /** Every pending marker whose epoch lies in the history. */
  private emit(st: SegmenterState): Cut | undefined {
    const h = st.hist;
    if (!st.pending.length || h.end === 0) return undefined;
    const fs = st.rate;
    const a = Math.round(this.tmin * fs);
    const b = Math.round(this.tmax * fs);
    const ch = h.channels;
    const frames = b - a + 1;
    const done: PendingMarker[] = [];
    const starts: number[] = [];
    const keep: PendingMarker[] = [];
    const lastT = h.timeAt(h.end - 1);
    for (const e of st.pending) {
      // The marker's sample must be known: wait until data passes its time.
      if (e.timeMs > lastT + 500 / fs) {
        keep.push(e);
        continue;
      }
      if (e.timeMs < h.timeAt(h.start) - 500 / fs) {
        if (this.dropped++ < 20) this.ctx.log(30, `marker "${e.value}" at ${e.timeMs.toFixed(1)} ms is older than the kept history; dropped`);
        continue;
      }
      const ev = h.nearest(e.timeMs);
      if (ev + a < h.start) {
        if (this.dropped++ < 20) this.ctx.log(30, `marker "${e.value}" at ${e.timeMs.toFixed(1)} ms: its epoch starts before the kept history; dropped`);
        continue;
      }
      if (ev + b >= h.end) {
        keep.push(e);
        continue;
      }
      done.push(e);
      starts.push(ev + a);
    }
    st.pending = keep;
    if (!done.length) return undefined;
    const x = h.float64 ? new Float64Array(done.length * frames * ch) : new Float32Array(done.length * frames * ch);
    for (let i = 0; i < done.length; i++) {
      const slab = x.subarray(i * frames * ch, (i + 1) * frames * ch);
      h.copy(starts[i], frames, slab);
      if (this.baseline) subtractBaseline(slab, frames, ch, Math.round(this.baseline[0] * fs) - a, Math.round(this.baseline[1] * fs) - a + 1);
    }
    return { data: x, list: done, frames, first: a };
  }

  reset(): void {
    this.states.clear();
    this.early = [];
  }
}

// ------------------------------------------------------------------------------- baseline removal

export const baselineRemoval: NodeClass = {
  type: 'time.baseline',
  package: 'time',
  title: 'Baseline removal',
  version: '1.1.0',
  doc: `Subtracts from each lane (channel …) of each segment its mean over a baseline interval given
relative to the segment's time (MNE \`Epochs(baseline=(a, b))\`); the segment's time axis is
relative to its marker, so the interval is read from it.

- **in/out \`data\`**: segmented data. **baseline** [a, b] (s; null = whole segment).`,
  inputs: [input('data', [SEGMENTED], 'Epochs.', { hint: 'segment the signal first (Segmentation)' })],
  outputs: [output('data', mapShapes('data', [SEGMENTED], (s) => s), 'Baseline-corrected epochs.')],
  params: [p.list('baseline', [-0.2, 0], 'Interval relative to the event.', { unit: 's', items: 'number', lengths: [2], nullable: true })],
  create(params, ctx) {
    const bl = params.baseline as number[] | null;
    return {
      process(inputs) {
        const out = mapChunks(inputs.data, [SEGMENTED], (c) => {
          const fs = rateOf(c, ctx.nodeId);
          const inst = axisIndex(c.block, 'instance');
          const t = axisIndex(c.block, 'time');
          if (inst !== 0 || t !== 1) throw new InputError(`expects instance × time × … (as Segmentation emits), got ${describeAxes(c.block.axes)}`, ctx.nodeId);
          const frames = c.block.shape[1];
          const ch = lanesAlongTime(c.block);
          const rel = (c.block.axes[1] as TimeAxis).timesMs;
          // the event's sample: the one at relative time 0
          const ev = Math.round((-rel[0] * fs) / 1000);
          const x = c.block.data.slice();
          for (let i = 0; i < c.block.shape[0]; i++) {
            const slab = x.subarray(i * frames * ch, (i + 1) * frames * ch);
            if (!bl) subtractBaseline(slab, frames, ch, 0, frames);
            else subtractBaseline(slab, frames, ch, ev + Math.round(bl[0] * fs), ev + Math.round(bl[1] * fs) + 1);
          }
          return withBlock(c, { ...c.block, data: x });
        });
        return out ? { data: out } : undefined;
      },
      reset() {},
    };
  },
};

