// I/O node classes: stream input (ring reader, LSLInput), stream output (ring writer, LSLOutput),
// recording input (our chunked replay), file import (NeuroPype's ImportFile/ImportXDF/ImportEDF:
// the whole recording in one non-streaming packet), marker input (queue fed by the API /
// BroadcastChannel), inspect (latest values). Run in the engine worker or Node. Sources reuse their
// output objects between steps (the packet contract in ../packet.ts).
import { InputError } from '../../core/errors';
import type { MarkerEvent, StreamDescriptor } from '../../core/stream';
import { MARKER, spaceAxis, TARGET, timeAxis, type TimeAxis } from '../axes';
import { axisIndex, describeAxes, findAxis, itemAxisIndex, sameStream, selectAlong, viewAs, type Block } from '../block';
import {
  chunkNameOf,
  chunkProps,
  descriptorOf,
  findFirstChunk,
  framesOf,
  itemCount,
  markerChunk,
  markersOf,
  MARKERS_CHUNK,
  signalChunk,
  type Chunk,
  type Packet,
} from '../packet';
import { fixedShape, kindOfChunk, markerShape, signalShape } from '../shapes';
import type { FrameSink, MarkerSource, NodeClass, NodeInstance, PortValues, RecordingSource, StreamInputBinding } from '../types';
import { DATA, input, np, output, p } from './common';


// ------------------------------------------------------------------------------- stream input

export const streamInput: NodeClass = {
  type: 'io.stream-input',
  package: 'io',
  title: 'Stream input',
  version: '1.1.0',
  neuropype: np('LSLInput', 'network'),
  source: true,
  doc: `Reads a live device stream from its ring (online). The engine host binds the ring reader of the
stream matching \`query\` (a stream id, name or kind such as \`type='EEG'\`).

- **out \`data\`**: every frame available since the last step as one streaming chunk, time × space
  (the ring's frame-major buffer itself, no copy), of at most \`max_chunk_frames\` frames; named by
  the stream's kind ("eeg") or, with **use_streamnames**, its name. With **marker_query** set and a
  marker source bound by the host, the markers received since the last step ride along in a
  "markers" chunk (NeuroPype's LSLInput). Frames dropped by an overrun are counted and logged (WARNING).
- **query** (string): which stream to bind. **max_chunk_frames** (int, frames): cap per step.`,
  inputs: [],
  outputs: [
    output('data', (_ins, params) => [signalShape(null, true), ...(params.marker_query ? [markerShape(MARKERS_CHUNK, true)] : [])], 'Frames read from the ring (and markers).'),
  ],
  params: [
    p.string('query', "type='EEG'", "Stream to read: id, name, or NeuroPype-style `type='EEG'` / `name='…'`."),
    p.int('max_chunk_frames', 4096, 'Most frames emitted per step.', { unit: 'frames', domain: [1, 1 << 20] }),
    p.string('marker_query', '', 'Marker stream to carry along in a "markers" chunk (bound by the host); empty = none.'),
    p.bool('use_streamnames', false, 'Name the chunk after the stream instead of its kind.'),
    p.list('channel_names', [], 'Accepted for NeuroPype compatibility (channel labels come from the stream descriptor).'),
    p.float('nominal_rate', null, 'Accepted for NeuroPype compatibility (the rate comes from the descriptor).', { unit: 'Hz' }),
  ],
  create(params, ctx) {
    const maxFrames = params.max_chunk_frames as number;
    const withMarkers = params.marker_query !== '';
    let binding: StreamInputBinding | undefined;
    let samples = new Float32Array(0);
    let ts = new Float64Array(0);
    let dropped = 0;
    // reused from step to step (packet contract): time axis, block, chunk, packet, result
    let time: TimeAxis = timeAxis(ts, 0);
    let chunk: Chunk | undefined;
    let name = 'eeg';
    const packet = new Map<string, Chunk>();
    const result = { data: packet as Packet };
    const node: NodeInstance = {
      bind(b) {
        const sb = b as StreamInputBinding;
        if (!sb || typeof sb.reader?.read !== 'function' || !sb.descriptor) throw new InputError('stream input needs {descriptor, reader}', ctx.nodeId);
        binding = sb;
        const d = sb.descriptor;
        samples = new Float32Array(maxFrames * d.channels.length);
        ts = new Float64Array(maxFrames);
        // new axis objects for a new binding: stateful nodes see a new stream only if its layout differs
        time = timeAxis(ts, d.sampleRateHz);
        const block: Block = { data: samples, shape: [0, d.channels.length], axes: [time, spaceAxis(d.channels, d.probe ? { probe: d.probe } : {})] };
        chunk = { block, props: chunkProps(d, { is_signal: true, is_streaming: true }) };
        name = chunkNameOf(d, params.use_streamnames as boolean);
      },
      pull() {
        if (!binding || !chunk) return undefined;
        const r = binding.reader.read(maxFrames, samples, ts);
        if (r.dropped > 0) {
          dropped += r.dropped;
          ctx.log(30, `${r.dropped} frames dropped (reader fell behind; ${dropped} in total)`);
        }
        const events = withMarkers ? binding.markers?.drain() : undefined;
        packet.clear();
        if (r.frames > 0) {
          const ch = binding.descriptor.channels.length;
          const block = chunk.block;
          block.data = r.frames === maxFrames ? samples : samples.subarray(0, r.frames * ch);
          block.shape[0] = r.frames;
          time.timesMs = r.frames === maxFrames ? ts : ts.subarray(0, r.frames);
          packet.set(name, chunk);
        }
        if (events?.length) packet.set(MARKERS_CHUNK, markerChunk(events.sort((a, b) => a.timestampMs - b.timestampMs)));
        return packet.size ? result : undefined;
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

/** The chunk a stream output writes: the first data chunk of the packet (markers are not frames). */
export function outputChunk(p: Packet | undefined): Chunk | undefined {
  return findFirstChunk(p, DATA)?.[1];
}

export const streamOutput: NodeClass = {
  type: 'io.stream-output',
  package: 'io',
  title: 'Stream output',
  version: '1.1.0',
  neuropype: np('LSLOutput', 'network'),
  doc: `Writes the first data chunk of each packet to an output ring (viewer, recorder, API, predictions):
one frame per element of its instance axis (else time axis), every other axis flattened into the
frame (channels × bands …), stamped with the instance or sample times. The host binds a ring
writer once it knows the layout (\`peek()\` reports the descriptor seen).

- **in \`data\`**: any data chunk (markers are not written).
- **stream_name** / **stream_type** (string): how the output stream is announced.`,
  inputs: [input('data', [DATA], 'Data to publish.', { hint: 'markers are not frames; send data' })],
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
    let last: { axes: Block['axes']; descriptor: StreamDescriptor } | undefined;
    let written = 0;
    let lost = 0;
    return {
      bind(b) {
        if (!b || typeof (b as FrameSink).push !== 'function') throw new InputError('stream output needs a ring writer (push)', ctx.nodeId);
        sink = b as FrameSink;
      },
      process(inputs) {
        const c = outputChunk(inputs.data);
        if (!c) return;
        // the descriptor is rebuilt only for a new layout (not for every new time axis)
        if (!last || !sameStream(last, c.block)) last = { axes: c.block.axes, descriptor: descriptorOf(c) };
        if (!sink) return;
        const f = framesOf(c);
        // a RingWriter knows its frame width; writing another width would scramble the ring
        const width = (sink as { ring?: { channels?: number } }).ring?.channels;
        if (width !== undefined && width !== f.width)
          throw new InputError(`output ring holds ${width}-value frames but "${c.props.source.name}" has ${f.width} values per frame (${describeAxes(c.block.axes)}); bind a ring of the right width (see peek().stream)`, ctx.nodeId);
        const n = sink.push(f.samples, f.timestampsMs, f.frames);
        written += n;
        if (n < f.frames) lost += f.frames - n;
      },
      reset() {
        written = 0;
        lost = 0;
      },
      peek: () => ({ stream: last?.descriptor ?? null, framesWritten: written, framesRefused: lost }),
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

/** A stream's descriptor with the recording's probe on its fNIRS streams (a SNIRF file keeps the probe beside them). */
function withProbe(d: StreamDescriptor, rec: RecordingSource): StreamDescriptor {
  return d.kind === 'fnirs' && rec.probe && !d.probe ? { ...d, probe: rec.probe } : d;
}

function checkRecording(b: unknown, who: string): RecordingSource {
  const rec = b as RecordingSource;
  if (!rec || !Array.isArray(rec.streams)) throw new InputError('needs a recording {streams, markers}', who);
  return rec;
}

export const recordingInput: NodeClass = {
  type: 'io.recording-input',
  package: 'io',
  title: 'Recording input (replay in chunks)',
  version: '1.1.0',
  source: true,
  doc: `Replays one stream of a recording (EDF/EDF+/BDF, XDF, SNIRF, CSV: anything formats/ reads)
through the graph in chunks, as fast as the CPU allows (offline) — the way a live stream arrives,
so the same pipeline runs offline and online. The host binds the recording whose file matches
\`filename\`. (NeuroPype's importers, which hand over the whole recording in one packet, are
io.import-file.)

- **out \`data\`**: consecutive streaming chunks of \`chunk_frames\` frames, time × space, named
  by the stream's kind ("eeg").
- **out \`markers\`**: the recording's markers (a "markers" chunk), each with the chunk that reaches its time.
- **filename** (string), **stream** (string: id, name or kind; empty = first EEG stream),
  **chunk_frames** (int, frames).`,
  inputs: [],
  outputs: [output('data', fixedShape([signalShape(null, true)]), 'Signal chunks.'), output('markers', fixedShape([markerShape(MARKERS_CHUNK, true)]), 'Recording markers (annotations, triggers).')],
  params: [
    p.string('filename', '', 'File to read (resolved by the host: path in Node, stored file in the app).'),
    p.string('stream', '', 'Stream to play: id, name or kind (eeg, fnirs …); empty = first EEG stream.'),
    p.int('chunk_frames', 1024, 'Frames per emitted chunk.', { unit: 'frames', domain: [1, 1 << 22] }),
  ],
  create(params, ctx) {
    const chunk = params.chunk_frames as number;
    let stream: RecordingSource['streams'][number] | undefined;
    let whole: Chunk | undefined;
    let name = 'eeg';
    let markers: MarkerEvent[] = [];
    let pos = 0;
    let markerPos = 0;
    let frames = 0;
    const node: NodeInstance & { progress: number } = {
      bind(b) {
        const rec = checkRecording(b, ctx.nodeId);
        stream = pickStream(rec, params.stream as string, ctx.nodeId);
        frames = stream.timestampsMs.length;
        whole = signalChunk(withProbe(stream.descriptor, rec), stream.samples, stream.timestampsMs, { streaming: true });
        name = chunkNameOf(stream.descriptor);
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
        if (!stream || !whole || (pos >= frames && markerPos >= markers.length)) return undefined;
        const out: PortValues = {};
        const ch = stream.descriptor.channels.length;
        const end = Math.min(frames, pos + chunk);
        if (end > pos) {
          const t = whole.block.axes[0] as TimeAxis;
          const block: Block = { data: stream.samples.subarray(pos * ch, end * ch), shape: [end - pos, ch], axes: [{ ...t, timesMs: stream.timestampsMs.subarray(pos, end) }, whole.block.axes[1]] };
          out.data = new Map([[name, { block, props: whole.props }]]);
        }
        const limit = end >= frames ? Infinity : stream.timestampsMs[end];
        const evs: MarkerEvent[] = [];
        while (markerPos < markers.length && markers[markerPos].timestampMs < limit) evs.push(markers[markerPos++]);
        if (evs.length) out.markers = new Map([[MARKERS_CHUNK, markerChunk(evs)]]);
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

// ------------------------------------------------------------------------------- file import (NeuroPype's importers)

/** Chunk names for a recording's streams: kind (or name), a second stream of a kind gets "-2". */
function streamChunkNames(streams: readonly { descriptor: StreamDescriptor }[], useNames: boolean): string[] {
  const seen = new Map<string, number>();
  return streams.map(({ descriptor }) => {
    const base = chunkNameOf(descriptor, useNames);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}

export const importFile: NodeClass = {
  type: 'io.import-file',
  package: 'io',
  title: 'Import recording (whole)',
  version: '1.0.0',
  neuropype: np('ImportFile', 'file_system'),
  neuropypeAliases: ['ImportXDF', 'ImportEDF', 'neuropype.nodes.file_system.ImportXDF', 'neuropype.nodes.file_system.ImportEDF'],
  source: true,
  doc: `NeuroPype's file importers: the whole recording in ONE non-streaming packet (an offline
dataset: trainable nodes calibrate on it, zero-phase filters and whole-recording statistics work on
it at once). Formats: EDF/EDF+/BDF, XDF, SNIRF, CSV (formats/). The host binds the recording whose
file matches \`filename\`. To replay a recording chunk by chunk, as a live stream arrives, use
io.recording-input (or follow this node with StreamData).

- **out \`data\`**: one chunk per continuous stream (time × space), named by its kind ("eeg",
  "fnirs"; a second stream of a kind "eeg-2") or, with **use_streamnames**, by its name; plus the
  recording's markers as a "markers" chunk.
- **filename** (string). **retain_streams** (list of stream ids/names/kinds; null = all).`,
  inputs: [],
  outputs: [output('data', fixedShape([signalShape(null, false), markerShape(MARKERS_CHUNK, false)]), 'The whole recording: signal chunks and a markers chunk.')],
  params: [
    p.string('filename', '', 'File to read (resolved by the host: path in Node, stored file in the app).'),
    p.list('retain_streams', null, 'Streams to keep (ids, names or kinds); null = all.', { items: 'string' }),
    p.bool('use_streamnames', false, 'Name chunks after their streams instead of their kinds.'),
  ],
  create(params, ctx) {
    let pending: Packet | undefined;
    let rec: RecordingSource | undefined;
    const build = (r: RecordingSource): Packet => {
      const keep = params.retain_streams as string[] | null;
      const streams = r.streams.filter(({ descriptor: d }) => d.sampleRateHz > 0 && (!keep || keep.some((k) => [d.id, d.name, d.kind].some((x) => x.toLowerCase() === k.toLowerCase()))));
      if (!streams.length) throw new InputError(keep ? `no stream of the recording matches retain_streams ${JSON.stringify(keep)} (streams: ${r.streams.map((s) => s.descriptor.id).join(', ')})` : 'the recording has no regularly sampled stream', ctx.nodeId);
      const names = streamChunkNames(streams, params.use_streamnames as boolean);
      const out = new Map<string, Chunk>();
      streams.forEach((s, i) => out.set(names[i], signalChunk(withProbe(s.descriptor, r), s.samples, s.timestampsMs, { streaming: false })));
      out.set(MARKERS_CHUNK, markerChunk([...(r.markers ?? [])].sort((a, b) => a.timestampMs - b.timestampMs), { streaming: false }));
      return out;
    };
    const node: NodeInstance & { progress: number } = {
      bind(b) {
        rec = checkRecording(b, ctx.nodeId);
        pending = build(rec);
      },
      get done() {
        return pending === undefined;
      },
      get progress() {
        return pending ? 0 : 1;
      },
      pull() {
        const p = pending;
        pending = undefined;
        return p ? { data: p } : undefined;
      },
      process: () => undefined,
      reset() {
        if (rec) pending = build(rec);
      },
      peek: () => ({ streams: rec?.streams.map((s) => s.descriptor) ?? [], emitted: rec !== undefined && pending === undefined }),
    };
    return node;
  },
};

// ------------------------------------------------------------------------------- marker input

/** A queue of marker events the host (API, BroadcastChannel) pushes into; the node drains it each step. */
export class MarkerQueue implements MarkerSource {
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
  version: '1.1.0',
  source: true,
  doc: `Markers sent by other pages (jsPsych, API, BroadcastChannel) or by the host. The host binds a
\`MarkerQueue\` (or calls \`Execution.pushMarkers\`).

- **out \`markers\`**: the events received since the last step, in time order, as a streaming
  "markers" chunk (one instance per event, field Marker).
- **stream_name** (string): which marker stream to listen to.`,
  inputs: [],
  outputs: [output('markers', fixedShape([markerShape(MARKERS_CHUNK, true)]), 'Marker events.')],
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
        return { markers: new Map([[MARKERS_CHUNK, markerChunk(events)]]) };
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

/** What an inspect node keeps: a small, copied summary of the latest chunk. */
export interface InspectSnapshot {
  /** shapes.ts kindOf: signal | features | epochs | spectrum | markers. */
  kind: string;
  /** Chunk name ("eeg", "markers" …) and its axes ("instance (3) × time (250) × space (8)"). */
  chunk: string;
  axes: string;
  timestampMs: number | null;
  /** signal/features: one label per value of `latest`; spectrum: one per row; epochs: the channels. */
  channels: string[];
  /** signal/features: last frame (or instance); spectrum: {freqsHz, values[row][bin]} of the last item; epochs: {frames, marker}; markers: the last 20 events. */
  latest: unknown;
  /** Elements along the instance (else time) axis. */
  items: number;
  target?: number;
}

/** The chunk an inspect node shows: the first whose name starts with `streamName`, else the first data chunk, else the first chunk. */
export function inspectedChunk(p: Packet, streamName: string | null): [string, Chunk] | undefined {
  if (streamName) {
    const byName = findFirstChunk(p, { nameStartsWith: streamName });
    if (byName) return byName;
  }
  return findFirstChunk(p, DATA) ?? findFirstChunk(p);
}

/** The last element of a block along its item axis (view of one row when the item axis is first). */
function lastItem(b: Block): Block {
  const d = itemAxisIndex(b);
  return d < 0 ? b : selectAlong(b, d, [b.shape[d] - 1]);
}

export function snapshot(name: string, c: Chunk): InspectSnapshot {
  const b = c.block;
  const kind = kindOfChunk(name, c);
  const base = { kind, chunk: name, axes: describeAxes(b.axes), items: b.data.length ? itemCount(b) : 0 };
  const d = itemAxisIndex(b);
  const times = d >= 0 ? (b.axes[d] as { timesMs: Float64Array }).timesMs : undefined;
  const timestampMs = times?.length ? times[times.length - 1] : null;
  const inst = axisIndex(b, 'instance');
  const targets = inst >= 0 ? (b.axes[inst] as { fields: Record<string, unknown> }).fields[TARGET] : undefined;
  const lastTarget = targets instanceof Float64Array && targets.length && !Number.isNaN(targets[targets.length - 1]) ? targets[targets.length - 1] : undefined;
  if (kind === 'markers') {
    const events = markersOf(c);
    return { ...base, timestampMs: events.at(-1)?.timestampMs ?? null, channels: [], latest: events.slice(-20), items: events.length };
  }
  if (!b.data.length) return { ...base, timestampMs, channels: [], latest: null };
  if (kind === 'spectrum') {
    const one = viewAs(lastItem(b), ['...', 'frequency']);
    const freqs = findAxis(one, 'frequency')!.frequenciesHz;
    const bins = freqs.length;
    const rows = one.data.length / bins;
    const space = findAxis(one, 'space');
    const labels = space && space.channels.length === rows ? space.channels.map((x) => x.label) : Array.from({ length: rows }, (_, i) => String(i));
    const values = Array.from({ length: rows }, (_, r) => Array.from(one.data.subarray(r * bins, r * bins + bins)));
    return { ...base, timestampMs, channels: labels, latest: { freqsHz: Array.from(freqs), values }, target: lastTarget };
  }
  if (kind === 'epochs') {
    const marker = inst >= 0 ? (b.axes[inst] as { fields: Record<string, unknown> }).fields[MARKER] : undefined;
    const space = findAxis(b, 'space');
    return {
      ...base,
      timestampMs,
      channels: space ? space.channels.map((x) => x.label) : [],
      latest: { frames: b.shape[axisIndex(b, 'time')], marker: Array.isArray(marker) ? (marker.at(-1) ?? null) : null },
      target: lastTarget,
    };
  }
  const f = framesOf(c);
  const last = f.frames - 1;
  const latest = Array.from(f.samples.subarray(last * f.width, last * f.width + f.width));
  return { ...base, timestampMs, channels: descriptorOf(c).channels.map((x) => x.label), latest, target: lastTarget };
}

export const inspect: NodeClass = {
  type: 'io.inspect',
  package: 'io',
  title: 'Inspect (probe)',
  version: '1.1.0',
  neuropype: np('InspectData', 'visualization'),
  doc: `Keeps the latest values of whatever reaches it, for UI panels and the API (\`Execution.peek\`).
It copies only a small summary of one chunk (the first whose name starts with **stream_name**, else
the first data chunk, else the markers): its kind, axes, last frame or instance, last spectrum,
last epoch's length and marker, last markers.

- **in \`data\`** (any packet).
- **history** (int): how many recent snapshots are kept.`,
  inputs: [input('data', [], 'Anything.')],
  outputs: [],
  params: [
    p.int('history', 1, 'Snapshots kept (most recent last).', { domain: [1, 1000] }),
    p.string('stream_name', null, 'Chunk to show (name prefix); null = the first data chunk.'),
    p.int('show_max_values', 50, 'Accepted for NeuroPype compatibility.'),
  ],
  create(params) {
    const history = params.history as number;
    const streamName = params.stream_name as string | null;
    let snaps: InspectSnapshot[] = [];
    return {
      process(inputs) {
        const d = inputs.data;
        const found = d && inspectedChunk(d, streamName);
        if (!found) return;
        snaps.push(snapshot(found[0], found[1]));
        if (snaps.length > history) snaps = snaps.slice(-history);
      },
      reset() {
        snaps = [];
      },
      peek: () => (history === 1 ? (snaps[0] ?? null) : [...snaps]),
    };
  },
};

