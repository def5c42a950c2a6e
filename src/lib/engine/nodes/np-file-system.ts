// NeuroPype's file_system node classes that write files — RecordToXDF, RecordToCSV (streaming
// recorders), ExportCSV, ExportMarkers, ExportMAT (offline exporters) — and ImportSET. Engine worker
// / Node. Nodes never touch a file system: the host binds a `FileOutputs` (the CLI: files under
// --out-dir) and a node hands it bytes in file order; without one the node logs once and writes
// nothing. Recorders write each packet as it comes (a crash loses at most the packet in hand);
// exporters copy what they receive and write the file at the end of the input (`flush`).
import { InputError } from '../../core/errors';
import { encodeUtf8 } from '../../formats/bytes';
import { writeChunksMat, type MatExportAxis, type MatExportChunk } from '../../formats/mat-export';
import { XdfWriter, type XdfChannel, type XdfChannelFormat } from '../../formats/xdf-writer';
import { textElement } from '../../formats/xml-lite';
import { MARKER, timeAxis, type Axis, type FeatureAxis, type InstanceAxis, type SpaceAxis } from '../axes';
import { axisIndex, flattenFeatures, itemAxisIndex, sameStream, transposeBlock, type Block, type BlockData } from '../block';
import { concatPackets, copyPacket, markersOf, type Chunk, type Packet } from '../packet';
import type { NodeClass, NodeContext, NodeInstance, ParamSpec } from '../types';
import { importFile } from './io';
import { input, np, p } from './common';

// ------------------------------------------------------------------------------- file outputs (host binding)

/** One file being written: bytes appended in order. */
export interface FileOutput {
  write(bytes: Uint8Array): void;
  close(): void;
}

/**
 * What the host binds to a file-writing node. `open` creates (or truncates) the file the node's
 * `output_root` and `filename` name — the host decides where that is (the CLI: inside --out-dir,
 * refusing paths that leave it) — and throws an InputError saying what to change when it cannot.
 */
export interface FileOutputs {
  open(outputRoot: string, filename: string): FileOutput;
}

/** Node types the host binds a FileOutputs to. */
export const FILE_OUTPUT_TYPES: ReadonlySet<string> = new Set(['io.record-to-xdf', 'io.record-to-csv', 'io.export-csv', 'io.export-markers', 'io.export-mat']);

/** A node's one output file: opened on the first write, closed on flush or reset (a rerun truncates it). */
class OutputFile {
  private outputs: FileOutputs | undefined;
  private file: FileOutput | undefined;
  private warned = false;
  constructor(
    private readonly params: Record<string, unknown>,
    private readonly ctx: NodeContext,
  ) {}

  bind(b: unknown): void {
    if (!b || typeof (b as FileOutputs).open !== 'function') throw new InputError('a file-writing node needs a file output binding ({open(outputRoot, filename)})', this.ctx.nodeId);
    this.outputs = b as FileOutputs;
  }

  get isOpen(): boolean {
    return this.file !== undefined;
  }

  /** Opens the file if needed; false when no output is bound (logged once: the data is not written). */
  open(): boolean {
    if (this.file) return true;
    if (!this.outputs) {
      if (!this.warned) this.ctx.log(30, `no file output is bound, so "${this.name}" is not written (run it with \`neurotab run … --out-dir DIR\`)`);
      this.warned = true;
      return false;
    }
    this.file = this.outputs.open(String(this.params.output_root ?? ''), this.name);
    return true;
  }

  write(bytes: Uint8Array): void {
    if (this.open()) this.file!.write(bytes);
  }

  close(): void {
    this.file?.close();
    this.file = undefined;
  }

  private get name(): string {
    return String(this.params.filename ?? '');
  }
}

/** NeuroPype's cloud storage parameters: accepted at their defaults (files go where the host says), refused otherwise. */
const CLOUD_PARAMS: ParamSpec[] = [
  p.string('cloud_host', 'Default', 'Cloud storage (not supported: keep "Default").'),
  p.string('cloud_account', '', 'Cloud storage (not supported: keep empty).'),
  p.string('cloud_bucket', '', 'Cloud storage (not supported: keep empty).'),
  p.string('cloud_credentials', '', 'Cloud storage (not supported: keep empty).'),
];
const RECORDER_CLOUD_PARAMS: ParamSpec[] = [
  p.int('cloud_partsize', 30, 'Accepted for NeuroPype compatibility (cloud upload part size, MB; ignored).', { unit: 'MB' }),
  p.bool('delete_parts', true, 'Accepted for NeuroPype compatibility (ignored).'),
  p.bool('retrievable', false, 'Accepted for NeuroPype compatibility (ignored).'),
];

function refuseCloud(params: Record<string, unknown>, who: string): void {
  for (const spec of CLOUD_PARAMS) {
    if ((params[spec.name] ?? spec.default) !== spec.default)
      throw new InputError(`${spec.name} ${JSON.stringify(params[spec.name])}: cloud storage is not supported; set it back to ${JSON.stringify(spec.default)} (files are written under the run's output folder)`, who);
  }
}

function requireFilename(params: Record<string, unknown>, who: string): void {
  if (typeof params.filename !== 'string' || params.filename.trim() === '') throw new InputError('filename is empty: give the name of the file to write (relative to output_root)', who);
}

const fileParams = (defaultName: string): ParamSpec[] => [
  p.string('filename', defaultName, 'File to write, relative to output_root (in the CLI both are resolved inside --out-dir).'),
  p.string('output_root', '', 'Folder of the file (relative; an absolute folder from another machine is replaced by the output folder).'),
  ...CLOUD_PARAMS,
];

// ------------------------------------------------------------------------------- rows of a chunk

/** A chunk as rows: the item axis first (instances × time concatenated along time), every other axis flattened into named columns. */
interface Rows {
  data: BlockData;
  rows: number;
  width: number;
  /** Column names ("C3", or "C3:alpha" for flattened axes) and units. */
  names: string[];
  units: string[];
  /** Row times in ms (NaN when the chunk has neither time nor instance axis). */
  timesMs: Float64Array;
  /** Channel types where the columns are exactly the space axis. */
  types?: string[];
  /** Each row's instance Marker (a condition, a contrast …) where the rows come from instances that carry one. */
  markers?: string[];
}

/** Allocates unless the chunk already is time-first (or instance-first) with one further axis. */
function rowsOf(c: Chunk, absoluteInstanceTimes = true): Rows {
  let b: Block = c.block;
  const t = axisIndex(b, 'time');
  const i = axisIndex(b, 'instance');
  const instanceMarkers = i >= 0 ? (b.axes[i] as InstanceAxis).fields[MARKER] : undefined;
  let markers = Array.isArray(instanceMarkers) ? instanceMarkers.map(String) : undefined;
  if (t >= 0 && i >= 0) {
    if (markers) markers = markers.flatMap((m) => new Array<string>(b.shape[t]).fill(m));
    // instance × time × rest → one row per (instance, time); times absolute (instance time + offset) or relative
    const rest = b.axes.map((_, d) => d).filter((d) => d !== t && d !== i);
    const moved = transposeBlock(b, [i, t, ...rest]);
    const inst = b.axes[i] as { timesMs: Float64Array };
    const time = b.axes[t] as { timesMs: Float64Array; nominalRateHz: number };
    const ni = b.shape[i];
    const nt = b.shape[t];
    const times = new Float64Array(ni * nt);
    for (let k = 0; k < ni; k++) for (let s = 0; s < nt; s++) times[k * nt + s] = (absoluteInstanceTimes ? inst.timesMs[k] : 0) + time.timesMs[s];
    const axes: Axis[] = [timeAxis(times, time.nominalRateHz), ...moved.axes.slice(2)];
    b = { data: moved.data, shape: [ni * nt, ...moved.shape.slice(2)], axes };
  }
  const flat = flattenFeatures(b);
  // flattenFeatures always ends in one feature axis: the columns
  const feature = flat.axes[flat.axes.length - 1] as FeatureAxis;
  const item = itemAxisIndex(b);
  const rows = item >= 0 ? b.shape[item] : 1;
  const space = b.axes.length === 2 && item >= 0 ? b.axes[1 - item] : undefined;
  return {
    data: flat.data,
    rows,
    width: feature.names.length,
    names: [...feature.names],
    units: [...feature.units],
    timesMs: item >= 0 ? (b.axes[item] as { timesMs: Float64Array }).timesMs : Float64Array.of(NaN),
    types: space?.type === 'space' ? space.channels.map((ch) => ch.type) : undefined,
    markers: item >= 0 && markers?.length === rows ? markers : undefined,
  };
}

/** CSV number: shortest text that reads back as the same value (float32 data: the same float32). */
function csvNumber(v: number, f32: boolean): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Inf' : '-Inf';
  if (!f32) return String(v);
  for (let digits = 6; digits < 9; digits++) {
    const s = +v.toPrecision(digits);
    if (Math.fround(s) === v) return String(s);
  }
  return String(+v.toPrecision(9));
}

function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Seconds for a file (NeuroPype's time stamps are seconds); NaN stays NaN. */
const seconds = (ms: number) => ms / 1000;

// ------------------------------------------------------------------------------- RecordToXDF

const BOUNDARY_EVERY_MS = 10_000;

/** One XDF stream per chunk name, until the chunk's layout changes (sameStream). */
interface XdfStreamState {
  id: number;
  layout: { axes: readonly Axis[] };
}

export const recordToXdf: NodeClass = {
  type: 'io.record-to-xdf',
  package: 'io',
  title: 'Record to XDF',
  version: '1.0.0',
  neuropype: np('RecordToXDF', 'file_system'),
  doc: `Records every chunk that reaches it to an XDF file, as LabRecorder writes one (readable by pyxdf,
MNE and our XDF reader): one XDF stream per chunk name, its header from the chunk's source, channels
and nominal rate; each packet appended as a Samples chunk as it arrives; stream footers (first/last
time stamp, sample count) when the input ends or on the marker \`close_on_marker\`. Signal chunks are
one sample per time point (segments: every instance's samples in turn, stamped instance time + offset);
chunks with instances but no time axis one sample per instance; other axes flattened into channels
("C3:alpha"); marker chunks a string stream of the Marker field. Time stamps in seconds on the shared
clock; a Boundary chunk every 10 s of data, as LabRecorder writes. A chunk whose layout changes starts a
new XDF stream. A rerun (reset, e.g. the second pass of an offline calibration) rewrites the file.

- **in \`data\`** (any packet).
- **filename**, **output_root** (strings): where (the host resolves them; CLI: inside --out-dir).
- **close_on_marker** (string): a marker that closes the file (\`""\`: never); later data is not written.
- **allow_double** (bool): write float64 data as double64 instead of float32.
- **session_notes** (string): into the file header. **preserve_original_metadata**, **verbose**, the
  cloud_* and upload parameters are accepted (cloud storage only at its defaults).`,
  inputs: [input('data', [], 'Chunks to record.')],
  outputs: [],
  params: [
    ...fileParams('untitled.xdf'),
    p.string('close_on_marker', 'close-recording', 'Marker that closes the recording ("" = never).'),
    p.bool('allow_double', false, 'Keep float64 data as double64 (else float32).'),
    p.bool('preserve_original_metadata', false, 'Accepted for NeuroPype compatibility (headers come from the chunks).'),
    p.string('session_notes', '', 'Notes written into the file header.'),
    p.bool('verbose', false, 'Accepted for NeuroPype compatibility.'),
    ...RECORDER_CLOUD_PARAMS,
  ],
  create(params, ctx) {
    refuseCloud(params, ctx.nodeId);
    requireFilename(params, ctx.nodeId);
    const file = new OutputFile(params, ctx);
    const closeOn = params.close_on_marker as string;
    const allowDouble = params.allow_double as boolean;
    let writer: XdfWriter | undefined;
    let streams = new Map<string, XdfStreamState>();
    let closed = false;
    let boundaryAtMs = -Infinity;

    const stream = (name: string, c: Chunk, rows: Rows | undefined): XdfStreamState => {
      const s = streams.get(name);
      if (s && sameStream(s.layout, c.block)) return s;
      const markers = rows === undefined;
      const format: XdfChannelFormat = markers ? 'string' : allowDouble && c.block.data instanceof Float64Array ? 'double64' : 'float32';
      const time = c.block.axes.find((a) => a.type === 'time');
      const regular = time?.type === 'time' && !c.block.axes.some((a) => a.type === 'instance') ? time.nominalRateHz : 0;
      const channels: XdfChannel[] = markers ? [{ label: MARKER }] : rows.names.map((label, k) => ({ label, unit: rows.units[k] || undefined, type: rows.types?.[k] || undefined }));
      const src = c.props.source;
      const id = writer!.addStream({
        name: src.name || name,
        type: markers ? 'Markers' : src.kind.toUpperCase(),
        channelCount: channels.length,
        nominalSrateHz: regular,
        channelFormat: format,
        sourceId: src.id,
        channels,
      });
      const next = { id, layout: { axes: c.block.axes } };
      streams.set(name, next);
      return next;
    };

    const close = () => {
      writer?.close();
      writer = undefined;
      streams = new Map();
      boundaryAtMs = -Infinity;
      file.close();
    };
    /** LabRecorder's Boundary chunk every 10 s of data, so a reader of a damaged file can resynchronise. */
    const boundary = (lastMs: number) => {
      if (!(lastMs >= boundaryAtMs + BOUNDARY_EVERY_MS)) return;
      if (boundaryAtMs > -Infinity) writer!.writeBoundary();
      boundaryAtMs = lastMs;
    };

    const node: NodeInstance = {
      bind: (b) => file.bind(b),
      process(inputs) {
        const d = inputs.data;
        if (!d || closed) return;
        if (!writer) {
          if (!file.open()) return;
          const header = [textElement('datetime', new Date().toISOString())];
          if (params.session_notes) header.push(textElement('session_notes', params.session_notes as string));
          writer = new XdfWriter((bytes) => file.write(bytes), { fileHeader: header });
        }
        let closing = false;
        for (const [name, c] of d) {
          if (c.props.has_markers && !c.props.is_signal) {
            const events = markersOf(c);
            if (!events.length) continue;
            writer.writeSamples(stream(name, c, undefined).id, events.map((e) => seconds(e.timestampMs)), events.map((e) => e.value));
            if (closeOn && events.some((e) => e.value === closeOn)) closing = true;
            continue;
          }
          const rows = rowsOf(c);
          if (!rows.rows || !rows.width) continue;
          const s = stream(name, c, rows);
          writer.writeSamples(s.id, Array.from(rows.timesMs, seconds), rows.data);
          boundary(rows.timesMs[rows.rows - 1]);
        }
        if (closing) {
          ctx.log(20, `marker "${closeOn}" received: the recording is closed`);
          close();
          closed = true;
        }
      },
      flush() {
        close();
      },
      reset() {
        close();
        closed = false;
      },
      peek: () => ({ open: file.isOpen, streams: [...streams.keys()], closed }),
    };
    return node;
  },
};

// ------------------------------------------------------------------------------- RecordToCSV

export const recordToCsv: NodeClass = {
  type: 'io.record-to-csv',
  package: 'io',
  title: 'Record to CSV',
  version: '1.0.1',
  neuropype: np('RecordToCSV', 'file_system'),
  doc: `Streaming recorder to CSV (NeuroPype's counterpart of ExportCSV for online pipelines): the first
data chunk that arrives (by name; later chunks of that name are appended, other chunks ignored) as
one row per time point (segments: every instance's samples in turn; features: one row per instance),
channel values separated by commas, extra axes flattened into columns ("C3:alpha"). Rows are
appended as packets arrive. Numbers: the shortest text that reads back as the same value.

- **in \`data\`** (data chunks).
- **filename**, **output_root** (strings): where (CLI: inside --out-dir).
- **column_header** (bool): first row = column names. **time_stamps** (bool): append a time stamp
  column (seconds, shared clock) named **timestamp_label**. **absolute_instance_times** (bool):
  segment rows stamped instance time + offset (else the offset within the segment).`,
  inputs: [input('data', [{ onlySignals: true }], 'Data to record.', { hint: 'RecordToCSV writes data chunks; record markers with ExportMarkers or RecordToXDF' })],
  outputs: [],
  params: [
    ...fileParams('untitled.csv'),
    p.bool('column_header', true, 'Write the column names first.'),
    p.bool('time_stamps', true, 'Append a time stamp column (seconds).'),
    p.string('timestamp_label', 'timestamp', 'Name of the time stamp column.'),
    p.bool('absolute_instance_times', true, 'Segments: stamp rows with instance time + offset (else the offset).'),
    ...RECORDER_CLOUD_PARAMS,
  ],
  create(params, ctx) {
    refuseCloud(params, ctx.nodeId);
    requireFilename(params, ctx.nodeId);
    const file = new OutputFile(params, ctx);
    let chunkName: string | undefined;
    let columns: string[] | undefined;
    return {
      bind: (b) => file.bind(b),
      process(inputs) {
        const d = inputs.data;
        if (!d) return;
        for (const [name, c] of d) {
          if (!c.props.is_signal || (chunkName !== undefined && name !== chunkName)) continue;
          const rows = rowsOf(c, params.absolute_instance_times as boolean);
          if (columns && rows.width !== columns.length)
            throw new InputError(`chunk "${name}" now has ${rows.width} columns but the file was started with ${columns.length} (${columns.slice(0, 4).join(', ')}…); record each layout to its own file`, ctx.nodeId);
          if (!file.open()) return;
          const lines: string[] = [];
          if (!columns) {
            chunkName = name;
            columns = rows.names;
            if (params.column_header) lines.push([...columns, ...(params.time_stamps ? [params.timestamp_label as string] : [])].map(csvCell).join(','));
          }
          lines.push(...csvLines(rows, params.time_stamps as boolean));
          if (lines.length) file.write(encodeUtf8(lines.join('\n') + '\n'));
        }
      },
      flush: () => file.close(),
      reset() {
        file.close();
        chunkName = undefined;
        columns = undefined;
      },
    };
  },
};

function csvLines(rows: Rows, withTimes: boolean, withMarkers = false): string[] {
  const f32 = rows.data instanceof Float32Array;
  const out: string[] = new Array(rows.rows);
  for (let r = 0; r < rows.rows; r++) {
    const cells: string[] = [];
    if (withMarkers) cells.push(csvCell(rows.markers?.[r] ?? ''));
    for (let k = 0; k < rows.width; k++) cells.push(csvNumber(rows.data[r * rows.width + k], f32));
    if (withTimes) cells.push(String(seconds(rows.timesMs[r])));
    out[r] = cells.join(',');
  }
  return out;
}

// ------------------------------------------------------------------------------- exporters (whole data)

/** What an exporter received, copied and joined per chunk name (streaming pieces along their item axis). */
class Collected {
  private packet: Packet | undefined;
  add(p: Packet): void {
    const copy = copyPacket(p);
    this.packet = this.packet ? concatPackets(this.packet, copy) : copy;
  }
  take(): Packet | undefined {
    const p = this.packet;
    this.packet = undefined;
    return p;
  }
  clear(): void {
    this.packet = undefined;
  }
}

/** An exporter: collects its input, writes the file once at the end of the input. */
function exporter(params: Record<string, unknown>, ctx: NodeContext, write: (p: Packet) => Uint8Array | undefined): NodeInstance {
  refuseCloud(params, ctx.nodeId);
  requireFilename(params, ctx.nodeId);
  const file = new OutputFile(params, ctx);
  const collected = new Collected();
  return {
    bind: (b) => file.bind(b),
    process(inputs) {
      if (inputs.data?.size) collected.add(inputs.data);
    },
    flush() {
      const p = collected.take();
      const bytes = p && write(p);
      if (!bytes) return;
      file.write(bytes);
      file.close();
    },
    reset() {
      collected.clear();
      file.close();
    },
  };
}

export const exportCsv: NodeClass = {
  type: 'io.export-csv',
  package: 'io',
  title: 'Export CSV',
  version: '1.2.1',
  neuropype: np('ExportCSV', 'file_system'),
  doc: `Writes a multi-channel time series to a CSV file (offline: the whole dataset, written when the
input ends; NeuroPype's RecordToCSV is the streaming recorder). The first data chunk: one row per
sample, channel values separated by commas; extra axes (frequency, feature …) flattened into
columns ("C3:alpha"); several instances (segments) concatenated along time; features without a time
axis one row per instance. Numbers: the shortest text that reads back as the same value.

- **in \`data\`** (data chunks).
- **filename**, **output_root** (strings): where (CLI: inside --out-dir).
- **column_header** (bool): first row = column names. **row_header** (bool): append a time stamp
  column (seconds; rows of a segment: instance time + offset) named "timestamp".
- **col_axis**: "space" (default; also any other axis: columns are the non-time axes flattened) or
  "time" (transposed: one row per column of the default layout, one column per sample; the header row
  holds the time stamps). **row_axis**, **axis_description**: accepted (rows always follow time, then
  instances).
- **marker_column** (ours, default false): rows of instances that carry a Marker (GroupedMean's
  groups, fNIRS block-average conditions, GLM contrasts) start with it, in a "Marker" column.`,
  inputs: [input('data', [{ onlySignals: true }], 'Data to export.', { hint: 'ExportCSV writes data chunks; export markers with ExportMarkers' })],
  outputs: [],
  params: [
    ...fileParams('untitled.csv'),
    p.bool('column_header', true, 'Write the column names first.'),
    p.bool('row_header', true, 'Append a time stamp column (seconds).'),
    p.string('col_axis', 'space', 'Columns: "space" (the non-time axes) or "time" (transposed).'),
    p.string('row_axis', 'frequency', 'Accepted for NeuroPype compatibility (rows follow time, then instances).'),
    p.string('axis_description', '', 'Accepted for NeuroPype compatibility.'),
    p.bool('marker_column', false, 'Ours: rows of instances that carry a Marker (a condition, a contrast) start with it, in a "Marker" column.'),
  ],
  create(params, ctx) {
    return exporter(params, ctx, (packet) => {
      const found = [...packet].find(([, c]) => c.props.is_signal);
      if (!found) {
        ctx.log(30, 'no data chunk reached ExportCSV: nothing written');
        return undefined;
      }
      const rows = rowsOf(found[1]);
      const lines: string[] = [];
      if (params.col_axis === 'time') {
        const f32 = rows.data instanceof Float32Array;
        if (params.column_header) lines.push(['channel', ...Array.from(rows.timesMs, (t) => String(seconds(t)))].join(','));
        for (let k = 0; k < rows.width; k++) {
          const cells = [csvCell(rows.names[k])];
          for (let r = 0; r < rows.rows; r++) cells.push(csvNumber(rows.data[r * rows.width + k], f32));
          lines.push(cells.join(','));
        }
      } else {
        const markers = (params.marker_column as boolean) && rows.markers !== undefined;
        if (params.column_header) lines.push([...(markers ? ['Marker'] : []), ...rows.names, ...(params.row_header ? ['timestamp'] : [])].map(csvCell).join(','));
        lines.push(...csvLines(rows, params.row_header as boolean, markers));
      }
      return encodeUtf8(lines.join('\n') + '\n');
    });
  },
};

export const exportMarkers: NodeClass = {
  type: 'io.export-markers',
  package: 'io',
  title: 'Export markers',
  version: '1.0.0',
  neuropype: np('ExportMarkers', 'file_system'),
  neuropypeAliases: ['neuropype.nodes.markers.ExportMarkers'],
  doc: `Writes a marker stream to CSV when the input ends: a header \`timestamp,marker\` plus the other
instance fields the markers carry (TargetValue, DurationMs … where any marker has one), then one row
per marker in time order (time stamp in seconds on the shared clock).

- **in \`data\`** (a packet with a marker chunk; streaming pieces are joined).
- **filename**, **output_root** (strings): where (CLI: inside --out-dir).
- **stream** (string): the marker chunk's name; \`""\` = the first marker chunk.`,
  inputs: [input('data', [{ onlyMarkers: true }], 'Markers to export.', { hint: 'ExportMarkers writes marker chunks: feed it an importer or a marker stream' })],
  outputs: [],
  params: [...fileParams('markers.csv'), p.string('stream', '', 'Marker chunk to write ("" = the first).', { nullable: true })],
  create(params, ctx) {
    const wanted = (params.stream as string | null) ?? '';
    return exporter(params, ctx, (packet) => {
      const found = [...packet].find(([name, c]) => c.props.has_markers && !c.props.is_signal && (wanted === '' || name === wanted));
      if (!found) {
        ctx.log(30, wanted ? `no marker chunk "${wanted}" arrived (chunks: ${[...packet.keys()].join(', ')}): nothing written` : 'no marker chunk arrived: nothing written');
        return undefined;
      }
      const axis = found[1].block.axes.find((a) => a.type === 'instance')!;
      const order = Array.from(axis.timesMs, (_, i) => i).sort((a, b) => axis.timesMs[a] - axis.timesMs[b]);
      const numeric = Object.entries(axis.fields).filter(([k, v]) => k !== MARKER && v instanceof Float64Array && v.some((x) => !Number.isNaN(x))) as [string, Float64Array][];
      const text = Object.entries(axis.fields).filter(([k, v]) => k !== MARKER && Array.isArray(v)) as [string, string[]][];
      const marker = axis.fields[MARKER];
      const head = ['timestamp', 'marker', ...numeric.map(([k]) => k), ...text.map(([k]) => k)];
      const lines = [head.map(csvCell).join(',')];
      for (const i of order) {
        const cells = [String(seconds(axis.timesMs[i])), csvCell(Array.isArray(marker) ? (marker[i] ?? '') : '')];
        for (const [, v] of numeric) cells.push(Number.isNaN(v[i]) ? '' : String(v[i]));
        for (const [, v] of text) cells.push(csvCell(v[i] ?? ''));
        lines.push(cells.join(','));
      }
      return encodeUtf8(lines.join('\n') + '\n');
    });
  },
};

/** A chunk as formats/mat-export sees it (structural; formats import nothing from the engine). */
function matChunk(name: string, c: Chunk): MatExportChunk {
  const axes = c.block.axes.map((a): MatExportAxis => {
    switch (a.type) {
      case 'time':
        return { type: 'time', timesMs: a.timesMs, nominalRateHz: a.nominalRateHz };
      case 'space':
        return { type: 'space', names: a.channels.map((ch) => ch.label), units: a.channels.map((ch) => ch.unit), types: a.channels.map((ch) => ch.type), positionsM: a.positions ?? undefined };
      case 'frequency':
        return { type: 'frequency', frequenciesHz: a.frequenciesHz };
      case 'instance':
        return { type: 'instance', timesMs: a.timesMs, fields: a.fields };
      case 'feature':
        return { type: 'feature', names: [...a.names], units: [...a.units] };
      case 'statistic':
        return { type: 'statistic', names: [...a.paramTypes] };
      case 'lag':
        return { type: 'lag', lags: a.lags };
      case 'axis':
        return { type: 'axis', length: a.length };
    }
  });
  const props: Record<string, boolean | number | string> = {};
  for (const [k, v] of Object.entries(c.props)) if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') props[k] = v;
  props.source = c.props.source.name;
  return { name, data: c.block.data, shape: [...c.block.shape], axes, props };
}

export const exportMat: NodeClass = {
  type: 'io.export-mat',
  package: 'io',
  title: 'Export MAT',
  version: '0.5.0',
  neuropype: np('ExportMAT', 'file_system'),
  doc: `Writes everything that reached it to a MATLAB .mat file (level 5, compressed) when the input
ends: one struct variable per chunk ("eeg", "markers"), holding \`data\` (the block, dims in the
chunk's axis order), \`axes\` (a cell of one struct per dimension: times in s, channel names, units,
positions, frequencies, instance fields …) and \`props\` (the chunk's flags and source). Layout:
formats/mat-export.ts. Streaming pieces are joined along their time or instance axis.

- **in \`data\`** (any packet).
- **filename**, **output_root** (strings): where (CLI: inside --out-dir).`,
  inputs: [input('data', [], 'Packets to export.')],
  outputs: [],
  params: fileParams('untitled.mat'),
  create(params, ctx) {
    return exporter(params, ctx, (packet) => writeChunksMat([...packet].map(([name, c]) => matChunk(name, c)), { description: 'Neurotab ExportMAT' }));
  },
};

// ------------------------------------------------------------------------------- ImportSET

export const importSet: NodeClass = {
  ...importFile,
  type: 'io.import-set',
  title: 'Import EEGLAB .set (whole)',
  neuropype: np('ImportSET', 'file_system'),
  neuropypeAliases: [],
  doc: `NeuroPype's ImportSET: an EEGLAB dataset (.set, MAT level 5 or the HDF5 v7.3 variant; samples
inside it or in the .fdt beside it, which the host reads with it) in ONE non-streaming packet, as
io.import-file hands over any recording: an "eeg" chunk (time × space, positions from chanlocs)
plus a "markers" chunk from EEG.event (type → Marker, latency → time).

- **out \`data\`**: the whole recording.
- **filename** (string): the .set file (the CLI binds --in by this name). The cloud_* parameters are
  accepted at their defaults.`,
  params: [...importFile.params, ...CLOUD_PARAMS],
  create(params, ctx) {
    refuseCloud(params, ctx.nodeId);
    const inner = importFile.create(params, ctx);
    let positions = new Map<string, Float64Array>();
    return {
      ...inner,
      bind(b) {
        inner.bind!(b);
        // chanlocs positions travel with the recording's streams (formats/eeglab.ts channelPositionsM)
        const streams = (b as { streams: { descriptor: { id: string }; channelPositionsM?: Float64Array }[] }).streams;
        positions = new Map(streams.filter((s) => s.channelPositionsM).map((s) => [s.descriptor.id, s.channelPositionsM!]));
      },
      pull() {
        const out = inner.pull!();
        if (!out?.data || !positions.size) return out;
        const data = new Map(out.data);
        for (const [name, c] of data) {
          const pos = positions.get(c.props.source.id);
          const d = axisIndex(c.block, 'space');
          if (!pos || d < 0) continue;
          const axes = c.block.axes.slice();
          axes[d] = { ...(axes[d] as SpaceAxis), positions: pos };
          data.set(name, { block: { ...c.block, axes }, props: c.props });
        }
        return { data };
      },
      get done() {
        return inner.done;
      },
    };
  },
};

/** This module's node classes, in the order index.ts lists them. */
export const NP_FILE_SYSTEM_NODES: NodeClass[] = [recordToXdf, recordToCsv, exportMarkers, exportCsv, importSet, exportMat];
