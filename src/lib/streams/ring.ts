// Ring: the multi-reader frame ring every stream travels through (device → engine → viewer/recorder).
// Runs in any thread (page, dedicated workers, Node worker_threads); one writer thread, any number
// of reader threads. push/read/peekLatest are HOT PATHS: they never block and allocate nothing per
// frame (runs of ≥ 256 values are copied with TypedArray.set through ≤ 4 subarray views per call).
//
// ── Memory layout (one SharedArrayBuffer, or ArrayBuffer when shared memory is unavailable) ──
//
//   byte 0    header: Int32Array(16), all words accessed with Atomics
//               [0] MAGIC 0x4e54524e ("NTRN")   [1] LAYOUT version (1)
//               [2] channels (frame width)        [3] capacity in frames
//               [4] GEN   seqlock generation, odd while COMMIT_HI/LO are being changed together
//               [5] COMMIT_LO  [6] COMMIT_HI   committed write sequence = HI·2^32 + LO (uint32 halves):
//                          total frames ever pushed and fully written (monotonic, exact up to 2^53)
//               [7] CLAIM_LO   low 32 bits of the claimed sequence: frames the writer is about to
//                          write (stored BEFORE the sample data is touched)
//               [8] CLOSED (0/1)   [9] NOTIFY  bumped after every push/close; Atomics.waitAsync word
//               [10..15] reserved (0)
//   byte 64   samples: Float32Array(capacity · channels), FRAME-MAJOR interleaved; frame f lives in
//             slot f mod capacity at samples[slot · channels + channel]
//   byte T    timestamps: Float64Array(capacity), ms on the shared clock (core/clock.ts);
//             T = 64 + capacity · channels · 4 rounded up to a multiple of 8
//
// ── Thread contract ──
//   Writer (exactly one at a time, never blocks): store CLAIM = seq + n; copy the n frames into their
//   slots (overwriting the oldest); publish COMMIT = seq + n (under GEN only when HI changes);
//   bump NOTIFY and Atomics.notify it.
//   Reader (any number, each with a private cursor; never writes the buffer): load COMMIT; if it is
//   more than capacity ahead of the cursor, skip to the oldest frame still in the ring and count the
//   skipped frames as dropped; copy; then re-load CLAIM: any copied frame older than CLAIM − capacity
//   may have been overwritten while it was copied, so it is discarded and counted as dropped too.
//   Hence torn frames are never returned and, for every reader, frames read + frames dropped =
//   frames written (once it has caught up). CLAIM is reconstructed from its low 32 bits relative to
//   COMMIT, exact while fewer than 2^32 frames are written during one copy.
//   Ordering: all header accesses are SeqCst Atomics; sample/timestamp accesses are plain. The
//   guard relies on the engine keeping plain reads/writes on their side of the atomic header
//   accesses, which V8 does on x86-64 (TSO; atomic stores are XCHG). The JS memory model itself
//   has no standalone fence to express a seqlock formally.
//
// ── Fallback without cross-origin isolation ──
//   `Ring.create` falls back to an ArrayBuffer (same layout, one thread only). Between threads, use
//   `TransferRingWriter` (writer thread) and `TransferRingReader` (reader thread): each push is
//   copied into fresh buffers and posted through a MessagePort with transfer; the reader side
//   writes them into a local Ring and is itself a `RingReader` (same API). This path allocates per
//   push; the app shows "degraded" when it is in use.
//
// ── Usage ──
//   page:    const ring = Ring.create({ channels: 8, capacityFrames: 250 * 30 });  // 30 s at 250 Hz
//            worker.postMessage({ buffer: ring.buffer });            // SharedArrayBuffer: shared, not copied
//   writer:  const w = new RingWriter(Ring.attach(buffer)); w.push(samples, timestampsMs, frames);
//   reader:  const r = new RingReader(Ring.attach(buffer), { from: 'now' });
//            while ((await r.waitForData(1000)) !== 'closed') {
//              const { frames, dropped } = r.read(256, outSamples, outTimestampsMs);  // object reused
//            }
//   not isolated (sharedMemoryAvailable() false): a MessageChannel, TransferRingWriter on one end,
//            TransferRingReader (a RingReader) on the other.

import { InputError, StateError } from '../core/errors';

const MAGIC = 0x4e54524e;
const LAYOUT = 1;
const H_MAGIC = 0;
const H_LAYOUT = 1;
const H_CHANNELS = 2;
const H_CAPACITY = 3;
const H_GEN = 4;
const H_COMMIT_LO = 5;
const H_COMMIT_HI = 6;
const H_CLAIM_LO = 7;
const H_CLOSED = 8;
const H_NOTIFY = 9;
const HEADER_WORDS = 16;
/** Bytes before the samples region. */
export const RING_HEADER_BYTES = HEADER_WORDS * 4;
const TWO_32 = 4294967296;
/** Largest buffer Ring.create allocates (and Ring.attach accepts): 1 GiB. */
export const RING_MAX_BYTES = 2 ** 30;
export const RING_MAX_CHANNELS = 4096;

export interface RingOptions {
  /** Frame width: samples per frame (1 … 4096). */
  channels: number;
  /** Frames kept before the oldest is overwritten (≥ 1). */
  capacityFrames: number;
  /**
   * Default: SharedArrayBuffer when available, else ArrayBuffer. false: always a same-thread
   * ArrayBuffer ring. true: SharedArrayBuffer or throw.
   */
  shared?: boolean;
}

/** True when this thread can create a SharedArrayBuffer (cross-origin isolated page, worker, Node). */
export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  const g = globalThis as { crossOriginIsolated?: boolean };
  return g.crossOriginIsolated !== false;
}

function layoutBytes(channels: number, capacityFrames: number): { tsOffset: number; total: number } {
  const samplesEnd = RING_HEADER_BYTES + capacityFrames * channels * 4;
  const tsOffset = Math.ceil(samplesEnd / 8) * 8;
  return { tsOffset, total: tsOffset + capacityFrames * 8 };
}

function checkShape(channels: number, capacityFrames: number, where: string): void {
  if (!Number.isInteger(channels) || channels < 1 || channels > RING_MAX_CHANNELS) {
    throw new InputError(`channels must be an integer from 1 to ${RING_MAX_CHANNELS}, got ${channels}`, where);
  }
  if (!Number.isInteger(capacityFrames) || capacityFrames < 1) {
    throw new InputError(`capacityFrames must be a positive integer, got ${capacityFrames}`, where);
  }
  const { total } = layoutBytes(channels, capacityFrames);
  if (total > RING_MAX_BYTES) {
    throw new InputError(
      `a ring of ${capacityFrames} frames × ${channels} channels needs ${total} bytes, over the ${RING_MAX_BYTES}-byte limit; lower capacityFrames`,
      where,
    );
  }
}

/** The shared buffer and typed views over it. Cheap to construct; one per thread (see Ring.attach). */
export class Ring {
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  readonly channels: number;
  readonly capacityFrames: number;
  /** True when backed by a SharedArrayBuffer (usable across threads). */
  readonly isShared: boolean;
  /** @internal header words (see layout above). */
  readonly header: Int32Array;
  /** @internal samples region, frame-major. */
  readonly samples: Float32Array;
  /** @internal timestamps region, ms. */
  readonly timestampsMs: Float64Array;
  /** @internal same-thread wake-ups for non-shared rings (Atomics.waitAsync needs shared memory). */
  readonly localListeners = new Set<() => void>();
  private lastCommit = 0;

  private constructor(buffer: SharedArrayBuffer | ArrayBuffer, channels: number, capacityFrames: number) {
    this.buffer = buffer;
    this.channels = channels;
    this.capacityFrames = capacityFrames;
    this.isShared = typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
    const { tsOffset } = layoutBytes(channels, capacityFrames);
    this.header = new Int32Array(buffer, 0, HEADER_WORDS);
    this.samples = new Float32Array(buffer, RING_HEADER_BYTES, capacityFrames * channels);
    this.timestampsMs = new Float64Array(buffer, tsOffset, capacityFrames);
  }

  /** Allocates a ring (SharedArrayBuffer when available, else ArrayBuffer; check `isShared`). */
  static create(options: RingOptions): Ring {
    const { channels, capacityFrames } = options;
    checkShape(channels, capacityFrames, 'Ring.create');
    const { total } = layoutBytes(channels, capacityFrames);
    const canShare = sharedMemoryAvailable();
    if (options.shared === true && !canShare) {
      throw new StateError('SharedArrayBuffer is unavailable here (page not cross-origin isolated); use the transfer fallback');
    }
    const buffer = canShare && options.shared !== false ? new SharedArrayBuffer(total) : new ArrayBuffer(total);
    const h = new Int32Array(buffer, 0, HEADER_WORDS);
    h[H_LAYOUT] = LAYOUT;
    h[H_CHANNELS] = channels;
    h[H_CAPACITY] = capacityFrames;
    Atomics.store(h, H_MAGIC, MAGIC);
    return new Ring(buffer, channels, capacityFrames);
  }

  /** Rebuilds the views over a buffer received through postMessage; validates the header. */
  static attach(buffer: SharedArrayBuffer | ArrayBuffer): Ring {
    const isBuffer =
      buffer instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer);
    if (!isBuffer) throw new InputError('expected a SharedArrayBuffer or ArrayBuffer', 'Ring.attach');
    if (buffer.byteLength < RING_HEADER_BYTES) {
      throw new InputError(`buffer of ${buffer.byteLength} bytes is smaller than the ring header`, 'Ring.attach');
    }
    const h = new Int32Array(buffer, 0, HEADER_WORDS);
    if (Atomics.load(h, H_MAGIC) !== MAGIC) throw new InputError('not a ring buffer (bad magic)', 'Ring.attach');
    if (h[H_LAYOUT] !== LAYOUT) throw new InputError(`unsupported ring layout ${h[H_LAYOUT]}`, 'Ring.attach');
    const channels = h[H_CHANNELS];
    const capacityFrames = h[H_CAPACITY];
    checkShape(channels, capacityFrames, 'Ring.attach');
    const { total } = layoutBytes(channels, capacityFrames);
    if (buffer.byteLength < total) {
      throw new InputError(
        `header says ${capacityFrames} frames × ${channels} channels (${total} bytes) but the buffer has ${buffer.byteLength}`,
        'Ring.attach',
      );
    }
    return new Ring(buffer, channels, capacityFrames);
  }

  /** Committed write sequence: total frames pushed so far. */
  writeSequence(): number {
    const h = this.header;
    for (let attempt = 0; attempt < 64; attempt++) {
      const gen = Atomics.load(h, H_GEN);
      if ((gen & 1) === 0) {
        const lo = Atomics.load(h, H_COMMIT_LO) >>> 0;
        const hi = Atomics.load(h, H_COMMIT_HI);
        if (Atomics.load(h, H_GEN) === gen) {
          const seq = hi * TWO_32 + lo;
          if (seq > this.lastCommit) this.lastCommit = seq;
          return seq;
        }
      }
    }
    // The writer is (or died) between the two halves of a 2^32 carry: what we saw last is a safe
    // lower bound (readers just see less data for now).
    return this.lastCommit;
  }

  /** @internal claimed sequence, reconstructed relative to a committed sequence read before it. */
  claimSequence(commit: number): number {
    return commit + ((Atomics.load(this.header, H_CLAIM_LO) - commit) >>> 0);
  }

  get closed(): boolean {
    return Atomics.load(this.header, H_CLOSED) === 1;
  }
}

// Bulk copies: an element loop for short runs (no allocation), TypedArray.set over a subarray view
// for long ones (memmove; 2–3× faster than the loop at 32 frames × 64 channels, for one short-lived
// view object). Separate F32/F64 functions keep both call sites monomorphic.
const SET_MIN_ELEMENTS = 256;
function copyF32(dst: Float32Array, dstAt: number, src: Float32Array, srcAt: number, n: number): void {
  if (n >= SET_MIN_ELEMENTS) dst.set(src.subarray(srcAt, srcAt + n), dstAt);
  else for (let i = 0; i < n; i++) dst[dstAt + i] = src[srcAt + i];
}
function copyF64(dst: Float64Array, dstAt: number, src: Float64Array, srcAt: number, n: number): void {
  if (n >= SET_MIN_ELEMENTS) dst.set(src.subarray(srcAt, srcAt + n), dstAt);
  else for (let i = 0; i < n; i++) dst[dstAt + i] = src[srcAt + i];
}

function checkOut(outSamples: Float32Array, outTimestamps: Float64Array, channels: number): number {
  return Math.min(Math.floor(outSamples.length / channels), outTimestamps.length);
}

/** The one writer of a ring. Construct it in the thread that produces the data. */
export class RingWriter {
  readonly ring: Ring;
  private seq: number;

  constructor(ring: Ring) {
    this.ring = ring;
    // Continue an existing sequence (a restarted writer thread keeps readers' cursors valid).
    this.seq = ring.writeSequence();
  }

  /** Frames pushed so far (the committed write sequence). */
  get writeSequence(): number {
    return this.seq;
  }

  /**
   * HOT PATH (never blocks; no per-frame allocation). Appends `frames` frames (frame-major `samples`, one
   * timestamp each), overwriting the oldest; when frames > capacity only the newest capacity frames
   * are stored and readers count the rest as dropped. Returns the frames accepted (0 once closed).
   */
  push(samples: Float32Array, timestampsMs: Float64Array, frames: number): number {
    const ring = this.ring;
    if (ring.closed) return 0;
    const ch = ring.channels;
    const cap = ring.capacityFrames;
    if (!Number.isInteger(frames) || frames < 0) throw new RangeError(`push: frames must be a non-negative integer, got ${frames}`);
    if (samples.length < frames * ch || timestampsMs.length < frames) {
      throw new RangeError(
        `push: ${frames} frames of ${ch} channels need ${frames * ch} samples and ${frames} timestamps, got ${samples.length} and ${timestampsMs.length}`,
      );
    }
    if (frames === 0) return 0;
    const h = ring.header;
    const start = this.seq;
    const end = start + frames;
    Atomics.store(h, H_CLAIM_LO, end | 0);
    const skip = frames > cap ? frames - cap : 0;
    const m = frames - skip;
    const slot = (start + skip) % cap;
    const first = m < cap - slot ? m : cap - slot;
    copyF32(ring.samples, slot * ch, samples, skip * ch, first * ch);
    copyF64(ring.timestampsMs, slot, timestampsMs, skip, first);
    if (first < m) {
      copyF32(ring.samples, 0, samples, (skip + first) * ch, (m - first) * ch);
      copyF64(ring.timestampsMs, 0, timestampsMs, skip + first, m - first);
    }
    const hiOld = Math.floor(start / TWO_32);
    const hiNew = Math.floor(end / TWO_32);
    if (hiNew !== hiOld) {
      Atomics.add(h, H_GEN, 1);
      Atomics.store(h, H_COMMIT_LO, end | 0);
      Atomics.store(h, H_COMMIT_HI, hiNew);
      Atomics.add(h, H_GEN, 1);
    } else {
      Atomics.store(h, H_COMMIT_LO, end | 0);
    }
    this.seq = end;
    this.wake();
    return frames;
  }

  /** Marks the stream finished; readers drain what is left, then waitForData resolves 'closed'. */
  close(): void {
    Atomics.store(this.ring.header, H_CLOSED, 1);
    this.wake();
  }

  private wake(): void {
    const ring = this.ring;
    Atomics.add(ring.header, H_NOTIFY, 1);
    if (ring.isShared) Atomics.notify(ring.header, H_NOTIFY);
    else if (ring.localListeners.size > 0) for (const listener of ring.localListeners) listener();
  }
}

export interface RingReaderOptions {
  /** 'now' (default): only frames pushed after construction; 'oldest': everything still in the ring. */
  from?: 'now' | 'oldest';
}

/** Result of RingReader.read; the object is reused by each call (read it before the next call). */
export interface RingReadResult {
  frames: number;
  dropped: number;
}

export type WaitResult = 'ok' | 'timed-out' | 'closed';

const noop = (): void => {};
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Checked per wait (cheap) rather than at load, so engines without it (and tests) take the poll path. */
const hasWaitAsync = (): boolean => typeof (Atomics as { waitAsync?: unknown }).waitAsync === 'function';
let blockingAllowed: boolean | undefined;
/** Whether this thread may block in Atomics.wait (false on a browser page's main thread). Probed once. */
function canBlock(): boolean {
  if (blockingAllowed === undefined) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      blockingAllowed = true;
    } catch {
      blockingAllowed = false;
    }
  }
  return blockingAllowed;
}
/** Polling period when Atomics.waitAsync is missing (shared ring) — a few ms keeps latency low. */
const POLL_MS = 4;

/** One consumer's cursor over a ring. Construct one per consumer, in the consumer's thread. */
export class RingReader {
  readonly ring: Ring;
  /** Total frames this reader skipped because the writer overwrote them first. Exact. */
  droppedFrames = 0;
  private cursor: number;
  private readonly result: RingReadResult = { frames: 0, dropped: 0 };

  constructor(ring: Ring, options: RingReaderOptions = {}) {
    this.ring = ring;
    const w = ring.writeSequence();
    this.cursor = options.from === 'oldest' ? Math.max(0, w - ring.capacityFrames) : w;
  }

  /** Sequence number of the next frame this reader will return. */
  get position(): number {
    return this.cursor;
  }

  /** Frames ready to read now (at most capacity). */
  available(): number {
    const n = this.ring.writeSequence() - this.cursor;
    return n <= 0 ? 0 : n > this.ring.capacityFrames ? this.ring.capacityFrames : n;
  }

  /**
   * HOT PATH (no per-frame allocation). Drains up to maxFrames frames into outSamples (frame-major) and
   * outTimestamps, oldest first. `dropped` counts frames skipped by this call (overrun, or
   * overwritten during the copy); they are also added to `droppedFrames`. The returned object is
   * reused by the next call.
   */
  read(maxFrames: number, outSamples: Float32Array, outTimestamps: Float64Array): RingReadResult {
    const ring = this.ring;
    const ch = ring.channels;
    const cap = ring.capacityFrames;
    const w = ring.writeSequence();
    let cursor = this.cursor;
    let dropped = 0;
    if (w - cursor > cap) {
      dropped = w - cap - cursor;
      cursor = w - cap;
    }
    let n = Math.min(maxFrames, w - cursor, checkOut(outSamples, outTimestamps, ch));
    if (n < 0) n = 0;
    if (n > 0) this.copy(cursor, n, outSamples, outTimestamps, 0);
    const minValid = ring.claimSequence(w) - cap;
    if (cursor < minValid) {
      // The writer lapped part of what we copied (or of what we skipped to): discard it.
      const lapped = minValid - cursor;
      if (lapped >= n) {
        n = 0;
      } else {
        outSamples.copyWithin(0, lapped * ch, n * ch);
        outTimestamps.copyWithin(0, lapped, n);
        n -= lapped;
      }
      dropped += lapped;
      cursor = minValid;
    }
    this.cursor = cursor + n;
    this.droppedFrames += dropped;
    const r = this.result;
    r.frames = n;
    r.dropped = dropped;
    return r;
  }

  /**
   * HOT PATH (no per-frame allocation). Copies the newest min(frames, available in ring) frames, oldest
   * first, without moving the cursor (for the live view). Returns the number of frames copied.
   */
  peekLatest(frames: number, outSamples: Float32Array, outTimestamps: Float64Array): number {
    const ring = this.ring;
    const ch = ring.channels;
    const cap = ring.capacityFrames;
    const w = ring.writeSequence();
    let n = Math.min(frames, w, cap, checkOut(outSamples, outTimestamps, ch));
    if (n <= 0) return 0;
    const start = w - n;
    this.copy(start, n, outSamples, outTimestamps, 0);
    const minValid = ring.claimSequence(w) - cap;
    if (start < minValid) {
      const lapped = minValid - start;
      if (lapped >= n) return 0;
      outSamples.copyWithin(0, lapped * ch, n * ch);
      outTimestamps.copyWithin(0, lapped, n);
      n -= lapped;
    }
    return n;
  }

  /**
   * Resolves 'ok' as soon as frames are available, 'closed' once the writer closed and this reader
   * has drained everything, 'timed-out' after timeoutMs (Infinity: never). Sleeps on Atomics.waitAsync (shared ring),
   * on a same-thread listener (local ring), or polls every few ms where waitAsync is missing.
   */
  async waitForData(timeoutMs: number): Promise<WaitResult> {
    const ring = this.ring;
    const h = ring.header;
    const deadline = performance.now() + Math.max(0, timeoutMs);
    for (;;) {
      const notify = Atomics.load(h, H_NOTIFY);
      if (this.available() > 0) return 'ok';
      if (ring.closed) return 'closed';
      const remaining = deadline - performance.now();
      if (remaining <= 0) return 'timed-out';
      // setTimeout treats delays over 2^31 − 1 ms (and Infinity) as 1 ms.
      const timerMs = remaining < MAX_TIMER_MS ? remaining : MAX_TIMER_MS;
      if (ring.isShared && hasWaitAsync()) {
        const res = Atomics.waitAsync(h, H_NOTIFY, notify, remaining);
        if (res.async) {
          // A pending waitAsync does not keep Node's event loop alive (a worker would just exit).
          const keepAlive = setTimeout(noop, timerMs);
          await res.value;
          clearTimeout(keepAlive);
        }
      } else if (!ring.isShared) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            ring.localListeners.delete(done);
            resolve();
          };
          const timer = setTimeout(done, timerMs);
          ring.localListeners.add(done);
        });
      } else {
        await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, remaining)));
      }
    }
  }

  /**
   * Blocking variant for worker threads (Atomics.wait: not allowed on a page's main thread): sleeps
   * on the ring's notify word until frames are available, the writer closed, or timeoutMs passed.
   * A futex wake-up, without a trip through the event loop, so the reader runs within microseconds
   * of the push. Shared rings only; for a local ring (or where blocking is not allowed) it returns
   * 'unsupported' at once and the caller should use waitForData. Allocates nothing.
   */
  waitForDataSync(timeoutMs: number): WaitResult | 'unsupported' {
    const ring = this.ring;
    if (!ring.isShared || !canBlock()) return 'unsupported';
    const h = ring.header;
    const deadline = performance.now() + Math.max(0, timeoutMs);
    for (;;) {
      const notify = Atomics.load(h, H_NOTIFY);
      if (this.available() > 0) return 'ok';
      if (ring.closed) return 'closed';
      const remaining = deadline - performance.now();
      if (remaining <= 0) return 'timed-out';
      Atomics.wait(h, H_NOTIFY, notify, remaining);
    }
  }

  private copy(from: number, n: number, outSamples: Float32Array, outTimestamps: Float64Array, at: number): void {
    const ring = this.ring;
    const ch = ring.channels;
    const cap = ring.capacityFrames;
    const slot = from % cap;
    const first = n < cap - slot ? n : cap - slot;
    copyF32(outSamples, at * ch, ring.samples, slot * ch, first * ch);
    copyF64(outTimestamps, at, ring.timestampsMs, slot, first);
    if (first < n) {
      copyF32(outSamples, (at + first) * ch, ring.samples, 0, (n - first) * ch);
      copyF64(outTimestamps, at + first, ring.timestampsMs, 0, n - first);
    }
  }
}

// ── Transferable-buffer fallback (no SharedArrayBuffer) ──

/** What TransferRingWriter posts. Discriminated on `type`. */
export type TransferRingMessage =
  | { type: 'ring-frames'; channels: number; frames: number; samples: Float32Array; timestampsMs: Float64Array }
  | { type: 'ring-closed' };

/** The subset of MessagePort (browser or node:worker_threads) the fallback needs. */
export interface RingPort {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  start?(): void;
}

/**
 * Writer side of the fallback: same push/close as RingWriter, but each push copies the frames into
 * new buffers and posts them with transfer. Allocates per push (that is the price of no shared
 * memory); never blocks.
 */
export class TransferRingWriter {
  readonly channels: number;
  private readonly port: RingPort;
  private closedFlag = false;
  private seq = 0;

  constructor(port: RingPort, options: { channels: number }) {
    checkShape(options.channels, 1, 'TransferRingWriter');
    this.port = port;
    this.channels = options.channels;
  }

  get writeSequence(): number {
    return this.seq;
  }

  push(samples: Float32Array, timestampsMs: Float64Array, frames: number): number {
    if (this.closedFlag) return 0;
    const ch = this.channels;
    if (!Number.isInteger(frames) || frames < 0) throw new RangeError(`push: frames must be a non-negative integer, got ${frames}`);
    if (samples.length < frames * ch || timestampsMs.length < frames) {
      throw new RangeError(
        `push: ${frames} frames of ${ch} channels need ${frames * ch} samples and ${frames} timestamps, got ${samples.length} and ${timestampsMs.length}`,
      );
    }
    if (frames === 0) return 0;
    const s = samples.slice(0, frames * ch);
    const t = timestampsMs.slice(0, frames);
    const message: TransferRingMessage = { type: 'ring-frames', channels: ch, frames, samples: s, timestampsMs: t };
    this.port.postMessage(message, [s.buffer, t.buffer]);
    this.seq += frames;
    return frames;
  }

  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    const message: TransferRingMessage = { type: 'ring-closed' };
    this.port.postMessage(message, []);
  }
}

export interface TransferRingReaderOptions extends RingReaderOptions {
  channels: number;
  /** Local ring size; frames beyond it are overwritten and counted as dropped like in Ring. */
  capacityFrames: number;
}

/**
 * Reader side of the fallback: receives TransferRingWriter's batches into a local (same-thread)
 * ring and reads it with the RingReader API. More readers in this thread: `new RingReader(x.ring)`.
 * Malformed messages are ignored and counted in `rejectedMessages`.
 */
export class TransferRingReader extends RingReader {
  rejectedMessages = 0;
  private readonly port: RingPort;
  private readonly writer: RingWriter;
  private readonly onMessage: (event: MessageEvent) => void;

  constructor(port: RingPort, options: TransferRingReaderOptions) {
    checkShape(options.channels, options.capacityFrames, 'TransferRingReader');
    const ring = Ring.create({ channels: options.channels, capacityFrames: options.capacityFrames, shared: false });
    super(ring, options);
    this.port = port;
    this.writer = new RingWriter(ring);
    this.onMessage = (event: MessageEvent) => this.receive(event.data);
    port.addEventListener('message', this.onMessage);
    port.start?.();
  }

  /** Stops listening to the port (does not close it). */
  dispose(): void {
    this.port.removeEventListener('message', this.onMessage);
  }

  private receive(data: unknown): void {
    const m = data as { type?: unknown; channels?: unknown; frames?: unknown; samples?: unknown; timestampsMs?: unknown } | null;
    if (m?.type === 'ring-closed') {
      this.writer.close();
      return;
    }
    const ch = this.ring.channels;
    if (
      m?.type !== 'ring-frames' ||
      m.channels !== ch ||
      !(m.samples instanceof Float32Array) ||
      !(m.timestampsMs instanceof Float64Array) ||
      !Number.isInteger(m.frames) ||
      (m.frames as number) < 0 ||
      m.samples.length < (m.frames as number) * ch ||
      m.timestampsMs.length < (m.frames as number)
    ) {
      this.rejectedMessages++;
      return;
    }
    this.writer.push(m.samples, m.timestampsMs, m.frames as number);
  }
}
