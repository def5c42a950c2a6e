// What `neurotab run` binds to a pipeline's inputs and outputs in Node: recordings replayed into
// LSLInput nodes (a FrameReader over one recorded stream and a MarkerSource over its markers, as
// fast as the CPU allows or at wall-clock pace), the .fdt beside a .set, and the files RecordTo*/
// Export* nodes write, resolved inside --out-dir and never outside it. Node only (fs).
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { InputError } from '../../src/lib/core/errors';
import type { MarkerEvent } from '../../src/lib/core/stream';
import type { CompanionReader } from '../../src/lib/formats/eeglab';
import type { RecordingData, RecordingStream } from '../../src/lib/formats/index';
import type { FileOutput, FileOutputs } from '../../src/lib/engine/nodes/np-file-system';
import type { FrameReader, MarkerSource } from '../../src/lib/engine/index';

/** Reads the files beside `file` by name (an EEGLAB .set's .fdt). */
export function siblingFiles(file: string): CompanionReader {
  return (name) => {
    try {
      const b = readFileSync(join(dirname(file), basename(name.replace(/\\/g, '/'))));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch {
      return undefined;
    }
  };
}

// ------------------------------------------------------------------------------- output files

const isAbsolutePath = (s: string) => s.startsWith('/') || s.startsWith('~') || /^[A-Za-z]:\//.test(s) || s.startsWith('//');

/**
 * Where a node's file goes: `outputRoot/filename` inside `outDir`. A .pyp's absolute folder (from the
 * machine it was made on) is replaced by `outDir` itself (`note` says so); a path leaving `outDir`
 * ("..") is refused.
 */
export function resolveOutputPath(outDir: string, outputRoot: string, filename: string): { path: string; note?: string } {
  let root = outputRoot.replace(/\\/g, '/');
  let file = filename.replace(/\\/g, '/');
  let note: string | undefined;
  if (isAbsolutePath(file)) {
    note = `the absolute file name "${filename}" is written as "${basename(file)}" in the output folder`;
    file = basename(file);
    root = '';
  } else if (isAbsolutePath(root)) {
    note = `the absolute output_root "${outputRoot}" is replaced by the output folder`;
    root = '';
  }
  const base = resolve(outDir);
  const path = resolve(base, root, file);
  const rel = relative(base, path);
  if (!rel || rel.startsWith('..') || isAbsolute(rel))
    throw new InputError(`"${[root, file].filter(Boolean).join('/')}" would be written outside the output folder ${outDir}; use a relative path inside it (no "..")`);
  return { path, ...(note ? { note } : {}) };
}

/** FileOutputs over the file system under `outDir`; `written` lists every file opened (absolute paths). */
export class DirectoryOutputs implements FileOutputs {
  readonly written = new Set<string>();
  constructor(
    private readonly outDir: string,
    private readonly onNote: (message: string) => void = () => {},
  ) {}

  open(outputRoot: string, filename: string): FileOutput {
    const { path, note } = resolveOutputPath(this.outDir, outputRoot, filename);
    if (note && !this.written.has(path)) this.onNote(note);
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(path, 'w');
    this.written.add(path);
    let open = true;
    return {
      write: (bytes) => {
        if (open) writeSync(fd, bytes);
      },
      close: () => {
        if (open) closeSync(fd);
        open = false;
      },
    };
  }
}

// ------------------------------------------------------------------------------- replay into LSLInput

/** The replay position shared by every replayed stream: markers are released up to the earliest unread sample. */
export class ReplayClock {
  readonly streams: StreamReplay[] = [];
  private readonly startMs = performance.now();
  constructor(readonly realtime: boolean) {}

  /** Wall-clock ms since the replay started (realtime pacing). */
  elapsedMs(): number {
    return performance.now() - this.startMs;
  }

  /** The time (recording clock) before which everything has been handed out. */
  nowMs(): number {
    let t = Infinity;
    for (const s of this.streams) t = Math.min(t, s.nextTimeMs);
    return t;
  }

  get done(): boolean {
    return this.streams.every((s) => s.exhausted);
  }
}

/** A recorded stream as a ring reader: frames in order, all at once or paced by the wall clock. */
export class StreamReplay implements FrameReader {
  private pos = 0;
  private readonly frames: number;
  private readonly channels: number;
  constructor(
    readonly stream: RecordingStream,
    private readonly clock: ReplayClock,
  ) {
    this.frames = stream.timestampsMs.length;
    this.channels = stream.descriptor.channels.length;
    clock.streams.push(this);
  }

  get exhausted(): boolean {
    return this.pos >= this.frames;
  }

  get nextTimeMs(): number {
    return this.pos < this.frames ? this.stream.timestampsMs[this.pos] : Infinity;
  }

  get progress(): number {
    return this.frames ? this.pos / this.frames : 1;
  }

  read(maxFrames: number, outSamples: Float32Array, outTimestampsMs: Float64Array): { frames: number; dropped: number } {
    let end = Math.min(this.frames, this.pos + maxFrames);
    if (this.clock.realtime && this.frames) {
      const until = this.stream.timestampsMs[0] + this.clock.elapsedMs();
      while (end > this.pos && this.stream.timestampsMs[end - 1] > until) end--;
    }
    const n = end - this.pos;
    const ch = this.channels;
    for (let i = 0; i < n * ch; i++) outSamples[i] = this.stream.samples[this.pos * ch + i];
    outTimestampsMs.set(this.stream.timestampsMs.subarray(this.pos, end));
    this.pos = end;
    return { frames: n, dropped: 0 };
  }
}

/** A recording's markers as a live marker source: each released once the replay has passed its time. */
export class MarkerReplay implements MarkerSource {
  private pos = 0;
  private readonly events: MarkerEvent[];
  constructor(
    markers: readonly MarkerEvent[],
    private readonly clock: ReplayClock,
    private readonly firstMs: number,
  ) {
    this.events = [...markers].sort((a, b) => a.timestampMs - b.timestampMs);
  }

  get exhausted(): boolean {
    return this.pos >= this.events.length;
  }

  drain(): MarkerEvent[] {
    let limit = this.clock.nowMs();
    // a marker-only replay (no stream) follows the wall clock when paced
    if (!this.clock.streams.length) limit = this.clock.realtime ? this.firstMs + this.clock.elapsedMs() : Infinity;
    const out: MarkerEvent[] = [];
    while (this.pos < this.events.length && this.events[this.pos].timestampMs < limit) out.push(this.events[this.pos++]);
    return out;
  }
}

/** The earliest time stamp (sample or marker) of some recordings, ms; 0 when they hold none. */
export function firstStartMs(recs: readonly RecordingData[]): number {
  let t = Infinity;
  for (const r of recs) {
    for (const s of r.streams) if (s.timestampsMs.length) t = Math.min(t, s.timestampsMs[0]);
    for (const m of r.markers) t = Math.min(t, m.timestampMs);
  }
  return Number.isFinite(t) ? t : 0;
}
