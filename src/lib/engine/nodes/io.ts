// I/O node classes: stream input (ring reader), stream output (ring writer), recording input
// (offline), marker input (queue fed by the API / BroadcastChannel), inspect (latest values).
// Run in the engine worker or Node. Sources reuse their buffers (see the packet contract in common.ts).
import { InputError } from '../../core/errors';
import type { MarkerEvent, StreamDescriptor } from '../../core/stream';
import type {
  FramesPacket,
  MarkersPacket,
  NodeClass,
  NodeInstance,
  Packet,
  PortValues,
  RecordingSource,
  StreamInputBinding,
  FrameSink,
} from '../types';
import { input, np, output, p, samplesOf } from './common';

// ------------------------------------------------------------------------------- stream input

export const streamInput: NodeClass = {
  type: 'io.stream-input',
  package: 'io',
  title: 'Stream input',
  version: '1.0.0',
  neuropype: np('LSLInput', 'network'),
  source: true,
  doc: `Reads a live device stream from its ring (online). The engine host binds the ring reader of the
stream matching \`query\` (a stream id, name or kind such as \`type='EEG'\`).

- **out \`data\`** (signal): every frame available since the last step, in one chunk of at most
  \`max_chunk_frames\` frames. Frames dropped by an overrun are counted and logged (WARNING).
- **query** (string): which stream to bind. **max_chunk_frames** (int, frames): cap per step.`,
  inputs: [],
  outputs: [output('data', 'signal', 'Frames read from the ring.')],
  params: [
    p.string('query', "type='EEG'", "Stream to read: id, name, or NeuroPype-style `type='EEG'` / `name='…'`."),
    p.int('max_chunk_frames', 4096, 'Most frames emitted per step.', { unit: 'frames', domain: [1, 1 << 20] }),
    p.string('marker_query', '', 'Accepted for NeuroPype compatibility; markers come from io.marker-input.'),
    p.list('channel_names', [], 'Accepted for NeuroPype compatibility (channel labels come from the stream descriptor).'),
    p.float('nominal_rate', null, 'Accepted for NeuroPype compatibility (the rate comes from the descriptor).', { unit: 'Hz' }),
  ],
  create(params, ctx) {
    const maxFrames = params.max_chunk_frames as number;
    let binding: StreamInputBinding | undefined;
    let samples = new Float32Array(0);
    let ts = new Float64Array(0);
    let dropped = 0;
    // reused packet and result (packet contract: valid during the step only)
    const packet: FramesPacket = { kind: 'signal', stream: undefined as unknown as StreamDescriptor, samples, timestampsMs: ts, frames: 0 };
    const result = { data: packet };
    const node: NodeInstance = {
      bind(b) {
        const sb = b as StreamInputBinding;
        if (!sb || typeof sb.reader?.read !== 'function' || !sb.descriptor) throw new InputError('stream input needs {descriptor, reader}', ctx.nodeId);
        binding = sb;
        samples = new Float32Array(maxFrames * sb.descriptor.channels.length);
        ts = new Float64Array(maxFrames);
      },
      pull() {
        if (!binding) return undefined;
        const r = binding.reader.read(maxFrames, samples, ts);
        if (r.dropped > 0) {
          dropped += r.dropped;
          ctx.log(30, `${r.dropped} frames dropped (reader fell behind; ${dropped} in total)`);
        }
        if (r.frames === 0) return undefined;
        const ch = binding.descriptor.channels.length;
        packet.stream = binding.descriptor;
        packet.samples = r.frames === maxFrames ? samples : samples.subarray(0, r.frames * ch);
        packet.timestampsMs = r.frames === maxFrames ? ts : ts.subarray(0, r.frames);
        packet.frames = r.frames;
        return result;
      },
      async waitForData(timeoutMs) {
        if (binding?.reader.waitForData) await binding.reader.waitForData(timeoutMs);
        else await new Promise((r) => setTimeout(r, timeoutMs));
      },
      waitForDataSync(timeoutMs) {
        const wait = binding?.reader.waitForDataSync;
        return wait !== undefined && wait.call(binding!.reader, timeoutMs) !== 'unsupported';
      },
      process: () => undefined,
      reset() {
        dropped = 0;
      },
      peek: () => ({ bound: binding?.descriptor ?? null, droppedFrames: dropped }),
    };
    return node;
  },
};

// ------------------------------------------------------------------------------- stream output

export const streamOutput: NodeClass = {
  type: 'io.stream-output',
  package: 'io',
  title: 'Stream output',
  version: '1.0.0',
  neuropype: np('LSLOutput', 'network'),
  doc: `Writes signal or feature frames to an output ring (viewer, recorder, API, predictions). The host
binds a ring writer once it knows the stream layout (\`peek()\` reports the descriptor seen).

- **in \`data\`** (signal | features).
- **stream_name** / **stream_type** (string): how the output stream is announced.`,
  inputs: [input('data', ['signal', 'features'], 'Frames to publish.')],
  outputs: [],
  params: [
    p.string('stream_name', 'OutStream', 'Name of the output stream.'),
    p.string('stream_type', 'Control', 'Type of the output stream (NeuroPype convention).'),
    p.string('source_id', '', 'Accepted for NeuroPype compatibility.'),
    p.bool('send_markers', false, 'Accepted for NeuroPype compatibility.'),
    p.string('marker_name', 'OutStream-markers', 'Accepted for NeuroPype compatibility.'),
  ],
  create(_params, ctx) {
    let sink: FrameSink | undefined;
    let last: StreamDescriptor | undefined;
    let written = 0;
    let lost = 0;
    return {
      bind(b) {
        if (!b || typeof (b as FrameSink).push !== 'function') throw new InputError('stream output needs a ring writer (push)', ctx.nodeId);
        sink = b as FrameSink;
      },
      process(inputs) {
        const d = inputs.data as FramesPacket | undefined;
        if (!d) return;
        last = d.stream;
        if (!sink) return;
        // a RingWriter knows its frame width; writing another width would scramble the ring
        const width = (sink as { ring?: { channels?: number } }).ring?.channels;
        if (width !== undefined && width !== d.stream.channels.length)
          throw new InputError(`output ring holds ${width}-channel frames but "${d.stream.name}" has ${d.stream.channels.length} channels; bind a ring of the right width (see peek().stream)`, ctx.nodeId);
        const n = sink.push(samplesOf(d), d.timestampsMs.length === d.frames ? d.timestampsMs : d.timestampsMs.subarray(0, d.frames), d.frames);
        written += n;
        if (n < d.frames) lost += d.frames - n;
      },
      reset() {
        written = 0;
        lost = 0;
      },
      peek: () => ({ stream: last ?? null, framesWritten: written, framesRefused: lost }),
    };
  },
};

// ------------------------------------------------------------------------------- recording input

/** Picks the stream of a recording: by id/name/kind, else the first regular EEG stream, else the first regular one. */
export function pickStream(rec: RecordingSource, query: string, who: string): RecordingSource['streams'][number] {
  const regular = rec.streams.filter((s) => s.descriptor.sampleRateHz > 0);
  if (query) {
    const q = query.toLowerCase();
    const s = rec.streams.find((s) => s.descriptor.id.toLowerCase() === q || s.descriptor.name.toLowerCase() === q || s.descriptor.kind === q);
    if (!s) throw new InputError(`no stream "${query}" in the recording (streams: ${rec.streams.map((s) => s.descriptor.id).join(', ')})`, who);
    return s;
  }
  const s = regular.find((s) => s.descriptor.kind === 'eeg') ?? regular[0];
  if (!s) throw new InputError('the recording has no regularly sampled stream', who);
  return s;
}

export const recordingInput: NodeClass = {
  type: 'io.recording-input',
  package: 'io',
  title: 'Recording input',
  version: '1.0.0',
  neuropype: np('ImportFile', 'file_system'),
  neuropypeAliases: ['ImportEDF', 'ImportXDF', 'neuropype.nodes.file_system.ImportEDF', 'neuropype.nodes.file_system.ImportXDF'],
  source: true,
  doc: `Plays a recording (EDF/EDF+/BDF, or anything formats/ reads) through the graph in chunks, as fast
as the CPU allows (offline). The host binds the recording whose file matches \`filename\`.

- **out \`data\`** (signal): consecutive chunks of \`chunk_frames\` frames of the selected stream.
- **out \`markers\`** (markers): the recording's markers, each emitted with the chunk that reaches its time.
- **filename** (string), **stream** (string: id, name or kind; empty = first EEG stream),
  **chunk_frames** (int, frames).`,
  inputs: [],
  outputs: [output('data', 'signal', 'Signal chunks.'), output('markers', 'markers', 'Recording markers (annotations, triggers).')],
  params: [
    p.string('filename', '', 'File to read (resolved by the host: path in Node, stored file in the app).'),
    p.string('stream', '', 'Stream to play: id, name or kind (eeg, fnirs …); empty = first EEG stream.'),
    p.int('chunk_frames', 1024, 'Frames per emitted chunk.', { unit: 'frames', domain: [1, 1 << 22] }),
  ],
  create(params, ctx) {
    const chunk = params.chunk_frames as number;
    let stream: RecordingSource['streams'][number] | undefined;
    let markers: MarkerEvent[] = [];
    let pos = 0;
    let markerPos = 0;
    let frames = 0;
    const node: NodeInstance & { progress: number } = {
      bind(b) {
        const rec = b as RecordingSource;
        if (!rec || !Array.isArray(rec.streams)) throw new InputError('recording input needs a recording {streams, markers}', ctx.nodeId);
        stream = pickStream(rec, params.stream as string, ctx.nodeId);
        frames = stream.timestampsMs.length;
        markers = [...(rec.markers ?? [])].sort((a, b) => a.timestampMs - b.timestampMs);
        pos = 0;
        markerPos = 0;
      },
      get done() {
        return stream === undefined || (pos >= frames && markerPos >= markers.length);
      },
      get progress() {
        return frames ? pos / frames : 1;
      },
      pull() {
        if (!stream || (pos >= frames && markerPos >= markers.length)) return undefined;
        const out: PortValues = {};
        const ch = stream.descriptor.channels.length;
        const end = Math.min(frames, pos + chunk);
        if (end > pos) {
          out.data = {
            kind: 'signal',
            stream: stream.descriptor,
            samples: stream.samples.subarray(pos * ch, end * ch),
            timestampsMs: stream.timestampsMs.subarray(pos, end),
            frames: end - pos,
          } satisfies FramesPacket;
        }
        const limit = end >= frames ? Infinity : stream.timestampsMs[end];
        const evs: MarkerEvent[] = [];
        while (markerPos < markers.length && markers[markerPos].timestampMs < limit) evs.push(markers[markerPos++]);
        if (evs.length) out.markers = { kind: 'markers', events: evs } satisfies MarkersPacket;
        pos = end;
        return out;
      },
      process: () => undefined,
      reset() {
        pos = 0;
        markerPos = 0;
      },
      peek: () => ({ stream: stream?.descriptor ?? null, position: pos, frames }),
    };
    return node;
  },
};

// ------------------------------------------------------------------------------- marker input

/** A queue of marker events the host (API, BroadcastChannel) pushes into; the node drains it each step. */
export class MarkerQueue {
  private events: MarkerEvent[] = [];
  private wake: (() => void) | undefined;
  push(events: MarkerEvent | MarkerEvent[]): void {
    for (const e of Array.isArray(events) ? events : [events]) {
      if (typeof e?.value !== 'string' || !Number.isFinite(e.timestampMs)) throw new InputError('a marker needs {timestampMs: number, value: string}');
      this.events.push(e);
    }
    this.wake?.();
  }
  drain(): MarkerEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }
  wait(timeoutMs: number): Promise<void> {
    if (this.events.length) return Promise.resolve();
    return new Promise((r) => {
      const t = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(t);
        r();
      }
      this.wake = done;
    });
  }
}

export const markerInput: NodeClass = {
  type: 'io.marker-input',
  package: 'io',
  title: 'Marker input',
  version: '1.0.0',
  source: true,
  doc: `Markers sent by other pages (jsPsych, API, BroadcastChannel) or by the host. The host binds a
\`MarkerQueue\` (or calls \`Execution.pushMarkers\`).

- **out \`markers\`** (markers): events received since the last step, in time order.
- **stream_name** (string): which marker stream to listen to.`,
  inputs: [],
  outputs: [output('markers', 'markers', 'Marker events.')],
  params: [p.string('stream_name', 'markers', 'Marker stream to listen to.')],
  create(_params, ctx) {
    let queue: MarkerQueue | undefined;
    return {
      bind(b) {
        if (!(b instanceof MarkerQueue)) throw new InputError('marker input needs a MarkerQueue', ctx.nodeId);
        queue = b;
      },
      pull() {
        const events = queue?.drain();
        if (!events?.length) return undefined;
        events.sort((a, b) => a.timestampMs - b.timestampMs);
        return { markers: { kind: 'markers', events } };
      },
      waitForData: (ms) => (queue ? queue.wait(ms) : new Promise((r) => setTimeout(r, ms))),
      process: () => undefined,
      reset() {
        queue?.drain();
      },
    };
  },
};

// ------------------------------------------------------------------------------- inspect

/** What an inspect node keeps: a small, copied summary of the latest packet. */
export interface InspectSnapshot {
  kind: Packet['kind'];
  timestampMs: number | null;
  channels: string[];
  /** signal/features: last frame per channel; spectrum: last item [channel][bin]; epochs: shape; value: the value. */
  latest: unknown;
  items: number;
  target?: number;
}

export const inspect: NodeClass = {
  type: 'io.inspect',
  package: 'io',
  title: 'Inspect (probe)',
  version: '1.0.0',
  neuropype: np('InspectData', 'visualization'),
  doc: `Keeps the latest values of whatever reaches it, for UI panels and the API (\`Execution.peek\`).
It copies only a small summary (last frame, last spectrum, last epoch's shape, last markers).

- **in \`data\`** (any kind).
- **history** (int): how many recent snapshots are kept.`,
  inputs: [input('data', ['signal', 'features', 'markers', 'spectrum', 'epochs', 'value'], 'Anything.')],
  outputs: [],
  params: [
    p.int('history', 1, 'Snapshots kept (most recent last).', { domain: [1, 1000] }),
    p.string('stream_name', null, 'Accepted for NeuroPype compatibility.'),
    p.int('show_max_values', 50, 'Accepted for NeuroPype compatibility.'),
  ],
  create(params) {
    const history = params.history as number;
    let snaps: InspectSnapshot[] = [];
    return {
      process(inputs) {
        const d = inputs.data;
        if (!d) return;
        snaps.push(snapshot(d));
        if (snaps.length > history) snaps = snaps.slice(-history);
      },
      reset() {
        snaps = [];
      },
      peek: () => (history === 1 ? (snaps[0] ?? null) : [...snaps]),
    };
  },
};

function snapshot(d: Packet): InspectSnapshot {
  switch (d.kind) {
    case 'signal':
    case 'features': {
      const ch = d.stream.channels.length;
      const last = d.frames - 1;
      return {
        kind: d.kind,
        timestampMs: d.timestampsMs[last],
        channels: d.stream.channels.map((c) => c.label),
        latest: Array.from(d.samples.subarray(last * ch, last * ch + ch)),
        items: d.frames,
        target: d.targets && !Number.isNaN(d.targets[last]) ? d.targets[last] : undefined,
      };
    }
    case 'markers':
      return { kind: 'markers', timestampMs: d.events.at(-1)?.timestampMs ?? null, channels: [], latest: d.events.slice(-20).map((e) => ({ ...e })), items: d.events.length };
    case 'spectrum': {
      const it = d.items.at(-1)!;
      const bins = d.freqsHz.length;
      const rows = d.stream.channels.map((_, c) => Array.from(it.values.subarray(c * bins, c * bins + bins)));
      return { kind: 'spectrum', timestampMs: it?.timestampMs ?? null, channels: d.stream.channels.map((c) => c.label), latest: { freqsHz: Array.from(d.freqsHz), values: rows }, items: d.items.length, target: it?.target };
    }
    case 'epochs': {
      const it = d.items.at(-1);
      return { kind: 'epochs', timestampMs: it?.timestampMs ?? null, channels: d.stream.channels.map((c) => c.label), latest: it ? { frames: it.frames, marker: it.marker ?? null } : null, items: d.items.length, target: it?.target };
    }
    case 'value':
      return { kind: 'value', timestampMs: null, channels: [], latest: structuredClone(d.value), items: 1 };
  }
}
