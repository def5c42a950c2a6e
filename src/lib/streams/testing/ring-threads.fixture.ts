// Test fixture (Node only, never bundled): a known frame sequence written at full speed and a reader
// that checks every frame it gets, for the cross-thread ring tests and the ring benchmark.
// Runs in worker_threads, the test's main thread, and browser pages/workers (ring.browser.spec.ts);
// must not be imported by app code.
import { Ring, RingReader, RingWriter, TransferRingReader, TransferRingWriter, type RingPort } from '../ring';

/** Sample value of frame f, channel c: exact in float32 (< 2^24), differs per channel. */
export function patternValue(frame: number, channel: number): number {
  return (frame * 131 + channel * 7919) % 16777216;
}

export interface WriterJob {
  /** Frames to write in total. */
  totalFrames: number;
  /** Chunk sizes cycle deterministically through 1 … maxChunkFrames. */
  maxChunkFrames: number;
  /**
   * Optional test-side back-pressure: Int32Array slots where readers publish their position; the
   * writer never gets more than `lagFrames` ahead of the slowest (so "a reader that keeps up" is
   * deterministic on a loaded machine). Readers set their slot to -1 when they stop.
   */
  acks?: Int32Array;
  lagFrames?: number;
}

interface PushTarget {
  push(samples: Float32Array, timestampsMs: Float64Array, frames: number): number;
  close(): void;
}

/** Writes the known sequence into `target`, then closes it. Returns frames written. */
export function writeKnownSequence(target: PushTarget, channels: number, job: WriterJob): number {
  const samples = new Float32Array(job.maxChunkFrames * channels);
  const ts = new Float64Array(job.maxChunkFrames);
  let f = 0;
  let k = 0;
  while (f < job.totalFrames) {
    const n = Math.min(1 + ((k++ * 7919) % job.maxChunkFrames), job.totalFrames - f);
    if (job.acks) waitForAcks(job.acks, f + n - (job.lagFrames ?? 0));
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < channels; c++) samples[i * channels + c] = patternValue(f + i, c);
      ts[i] = f + i;
    }
    if (target.push(samples, ts, n) !== n) throw new Error(`push refused at frame ${f}`);
    f += n;
  }
  target.close();
  return f;
}

function waitForAcks(acks: Int32Array, minPosition: number): void {
  for (;;) {
    let slowest = Infinity;
    for (let i = 0; i < acks.length; i++) {
      const a = Atomics.load(acks, i);
      if (a >= 0 && a < slowest) slowest = a;
    }
    if (slowest >= minPosition) return;
    Atomics.wait(acks, 0, Atomics.load(acks, 0), 1);
  }
}

export interface ReaderReport {
  seen: number;
  dropped: number;
  /** droppedFrames as counted by the reader itself. */
  readerDropped: number;
  /** Frames whose content did not match their sequence position (lost, duplicated, reordered, torn). */
  badFrames: number;
  firstProblem: string;
  /** Next frame index expected after the last one seen. */
  endPosition: number;
}

export interface ReaderJob {
  batchFrames: number;
  /** Sleep this long (ms) after every read: a deliberately slow reader. */
  pauseMs?: number;
  acks?: Int32Array;
  ackSlot?: number;
  from?: 'now' | 'oldest';
}

/** Reads until the writer closes and the ring is drained, checking every frame. */
export async function readAndVerify(reader: RingReader, job: ReaderJob): Promise<ReaderReport> {
  const ch = reader.ring.channels;
  const out = new Float32Array(job.batchFrames * ch);
  const outTs = new Float64Array(job.batchFrames);
  // Only slow readers sleep (Atomics.wait: workers and Node; a page without isolation has no SAB).
  const sleeper = job.pauseMs ? new Int32Array(new SharedArrayBuffer(4)) : null;
  let expected = reader.position;
  const report: ReaderReport = { seen: 0, dropped: 0, readerDropped: 0, badFrames: 0, firstProblem: '', endPosition: 0 };
  const ack = (): void => {
    if (job.acks) {
      Atomics.store(job.acks, job.ackSlot ?? 0, reader.position);
      Atomics.notify(job.acks, 0);
    }
  };
  for (;;) {
    const r = reader.read(job.batchFrames, out, outTs);
    report.dropped += r.dropped;
    expected += r.dropped;
    for (let i = 0; i < r.frames; i++) {
      let ok = outTs[i] === expected;
      for (let c = 0; ok && c < ch; c++) ok = out[i * ch + c] === patternValue(expected, c);
      if (!ok) {
        report.badFrames++;
        if (!report.firstProblem) {
          report.firstProblem = `expected frame ${expected}, got timestamp ${outTs[i]} and samples ${Array.from(out.subarray(i * ch, i * ch + Math.min(ch, 3))).join(',')}`;
        }
        expected = outTs[i];
      }
      expected++;
    }
    report.seen += r.frames;
    ack();
    if (r.frames === 0 && r.dropped === 0) {
      const w = await reader.waitForData(1000);
      if (w === 'closed') break;
    } else if (sleeper) {
      Atomics.wait(sleeper, 0, 0, job.pauseMs);
    }
  }
  if (job.acks) Atomics.store(job.acks, job.ackSlot ?? 0, -1);
  report.readerDropped = reader.droppedFrames;
  report.endPosition = expected;
  return report;
}

/** Messages understood by ring-threads.worker.ts. */
export type RingWorkerTask =
  | { role: 'writer'; buffer: SharedArrayBuffer; job: WriterJob }
  | { role: 'reader'; buffer: SharedArrayBuffer; job: ReaderJob }
  | { role: 'transfer-writer'; port: RingPort; channels: number; job: WriterJob };

/** Runs one task; `onReady` is called once the task is attached and about to start. */
export async function runTask(task: RingWorkerTask, onReady: () => void = () => {}): Promise<unknown> {
  if (task.role === 'writer') {
    const ring = Ring.attach(task.buffer);
    const writer = new RingWriter(ring);
    onReady();
    return { written: writeKnownSequence(writer, ring.channels, task.job) };
  }
  if (task.role === 'reader') {
    const ring = Ring.attach(task.buffer);
    const reader = new RingReader(ring, { from: task.job.from ?? 'oldest' });
    onReady();
    return readAndVerify(reader, task.job);
  }
  const writer = new TransferRingWriter(task.port, { channels: task.channels });
  onReady();
  return { written: writeKnownSequence(writer, task.channels, task.job) };
}

export { TransferRingReader };
