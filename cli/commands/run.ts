// `neurotab run <pipeline.json|.pyp> --in <file> [--in <file>…] [--out <file.csv|file.json>] [--out-dir DIR]`:
// runs a pipeline over recordings (EDF/EDF+/BDF, XDF, SNIRF, CSV, EEGLAB .set via formats/) in Node,
// with a progress bar on stderr. Importers take whole recordings; an online pipeline's LSLInput nodes
// get a replay of a recording (as fast as the CPU allows, or --realtime); the files RecordTo*/Export*
// nodes write land in --out-dir. Writes signal/feature output as CSV (streamed) or any output as JSON.
// ml.model-predict nodes take their trained model from a file (`model_file`, a path relative to the
// pipeline file) or inline (`model`); `model_id` (a saved run in a browser's IndexedDB) is refused.
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { InputError, errorMessage } from '../../src/lib/core/errors';
import { matchStreamQuery } from '../../src/lib/core/stream';
import { readRecording, type RecordingData } from '../../src/lib/formats/index';
import { summariseModel, type DeepWindowPredictor } from '../../src/lib/engine/nodes/model';
import { FILE_OUTPUT_TYPES } from '../../src/lib/engine/nodes/np-file-system';
import { readPipelineFile } from './check';
import { DirectoryOutputs, firstStartMs, MarkerReplay, ReplayClock, resolveOutputPath, siblingFiles, StreamReplay } from './run-io';
import {
  axisIndex,
  builtinRegistry,
  concatPackets,
  copyPacket,
  descriptorOf,
  Execution,
  findAxis,
  formatIssue,
  framesOf,
  kindOfChunk,
  markersOf,
  outputChunk,
  parsePipelineDocument,
  PipelineError,
  TARGET,
  describeAxes,
  type Chunk,
  type Packet,
  type PipelineDocument,
} from '../../src/lib/engine/index';

/** Node types --in files are bound to: our chunked replay and NeuroPype's whole-recording importers. */
const RECORDING_NODES = new Set(['io.recording-input', 'io.import-file', 'io.import-set']);
/** LSLInput: fed a replay of an --in recording. */
const LIVE_INPUT = 'io.stream-input';

export const summary = 'run a pipeline over recordings: run <pipeline.json|.pyp> --in <file> [--in …] [--out <file.csv|file.json>] [--out-dir DIR] [--realtime]';

const USAGE = `usage: npm run neurotab -- run <pipeline.json|pipeline.pyp> --in <recording> [--in <recording> …] [--out <result.csv|result.json>] [--out-dir DIR] [--realtime] [--chunk FRAMES] [--quiet]

  Each --in is bound to a recording node (io.recording-input, or io.import-file = ImportXDF/ImportEDF/ImportFile,
  io.import-set = ImportSET; a .set reads the .fdt beside it): by its "filename" parameter (basename match),
  else in order. The --in files left over feed the LSLInput nodes (online pipelines): each LSLInput gets the
  first stream its query matches (type='EEG', name='…') replayed as fast as the CPU allows (--realtime: at
  the recording's pace), and with marker_query the recording's markers; an LSLInput whose query names a
  marker stream (type='Markers') gets the markers alone. A query no stream matches by name (a device of the
  author's lab) replays, in its place, the next left-over recording's first stream of the query's type, if any.
  RecordToXDF/RecordToCSV/ExportCSV/ExportMarkers/ExportMAT write under --out-dir: output_root/filename
  relative to it (an absolute output_root from another machine is replaced by it; ".." is refused).
  ml.model-predict: give "model_file": "<exported model .json>" (relative to the pipeline file; a classic
  model from \`neurotab evaluate --save-model\`, or a saved run {model, config} exported from the app or
  /exphub) or the model inline under "model". "model_id" names a run saved in a browser and cannot be read here.
  Output: what reaches sink nodes (io.stream-output, io.inspect, plots), else the outputs of the last nodes.
  CSV (signal or feature output only): header "timestamp_ms,<channel labels…>", one row per frame.
  JSON: every captured output, per chunk (frames with data, spectra, markers, epochs' shapes, axes).`;

export interface RunArgs {
  pipeline: string;
  inputs: string[];
  out?: string;
  outDir?: string;
  realtime: boolean;
  chunkFrames?: number;
  quiet: boolean;
}

export function parseRunArgs(argv: string[]): RunArgs {
  const inputs: string[] = [];
  let pipeline: string | undefined;
  let out: string | undefined;
  let outDir: string | undefined;
  let chunkFrames: number | undefined;
  let quiet = false;
  let realtime = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new InputError(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--in') inputs.push(value());
    else if (a === '--out') out = value();
    else if (a === '--out-dir') outDir = value();
    else if (a === '--realtime') realtime = true;
    else if (a === '--chunk') {
      chunkFrames = Number(value());
      if (!Number.isInteger(chunkFrames) || chunkFrames < 1) throw new InputError(`--chunk must be a positive number of frames, got "${argv[i]}"`);
    } else if (a === '--quiet' || a === '-q') quiet = true;
    else if (a.startsWith('-')) throw new InputError(`unknown option "${a}"\n${USAGE}`);
    else if (!pipeline) pipeline = a;
    else throw new InputError(`unexpected argument "${a}"\n${USAGE}`);
  }
  if (!pipeline) throw new InputError(`missing <pipeline.json>\n${USAGE}`);
  if (!out && !outDir) throw new InputError(`missing --out <file.csv|file.json> (and/or --out-dir DIR for the files the pipeline writes)\n${USAGE}`);
  const ext = out ? extname(out).toLowerCase() : '.json';
  if (ext !== '.csv' && ext !== '.json') throw new InputError(`--out must end in .csv or .json, got "${out}"`);
  return { pipeline, inputs, out, outDir, realtime, chunkFrames, quiet };
}

/**
 * ml.model-predict nodes: reads `model_file` (path relative to the pipeline file, or absolute) into
 * `model`; refuses `model_id` without a model, saying what to give instead. Before the pipeline loads.
 */
export function resolveModelFiles(doc: PipelineDocument, ex: Execution, pipelinePath: string): void {
  for (const n of doc.nodes) {
    if (ex.registry.find(n.type)?.type !== 'ml.model-predict') continue;
    const file = n.params.model_file;
    if (file !== undefined) {
      if (typeof file !== 'string' || file === '') throw new InputError('model_file must be a path to a model JSON file', `node "${n.id}"`);
      const path = isAbsolute(file) ? file : resolve(dirname(pipelinePath), file);
      let model: unknown;
      try {
        model = JSON.parse(readFileSync(path, 'utf8'));
      } catch (e) {
        throw new InputError(`model_file "${file}" is not a readable JSON file (${errorMessage(e)})`, `node "${n.id}"`);
      }
      summariseModel(model, `node "${n.id}" model_file "${file}"`);
      n.params.model = model;
      delete n.params.model_file;
      delete n.params.model_id;
    } else if (n.params.model_id && !n.params.model) {
      throw new InputError(
        `model_id "${String(n.params.model_id)}" names a run saved in a browser (IndexedDB), which the CLI cannot read: export the model to a file and give "model_file": "model.json" (e.g. \`neurotab evaluate … --save-model model.json\`), or put the model JSON inline under "model"`,
        `node "${n.id}"`,
      );
    }
  }
}

/** Binds a TensorFlow.js predictor to every model-predict node holding a network (tfjs loaded only then). */
async function bindNetworks(doc: PipelineDocument, ex: Execution): Promise<void> {
  for (const n of doc.nodes) {
    if (ex.registry.find(n.type)?.type !== 'ml.model-predict' || !n.params.model) continue;
    const s = summariseModel(n.params.model, `node "${n.id}" model`);
    if (s.kind !== 'deep') continue;
    const tft = await import('../../src/lib/ml/tf/train');
    const loaded = await tft.loadDeepModel(s.deep!);
    const predictor: DeepWindowPredictor = {
      kind: 'deep-window-predictor',
      predict: (window, channelCount) => tft.predictDeepWindow(loaded, window, channelCount),
    };
    ex.bind(n.id, predictor);
  }
}

/** Which (node, port) outputs the CLI captures. */
export function captureTargets(doc: PipelineDocument, ex: Execution): { nodeId: string; port: string; label: string }[] {
  const sinks = doc.nodes.filter((n) => ex.nodeClass(n.id).outputs.length === 0);
  if (sinks.length) {
    return sinks.flatMap((s) =>
      doc.edges.filter((e) => e.target === s.id && e.targetPort === 'data').map((e) => ({ nodeId: e.source, port: e.sourcePort, label: s.id })),
    );
  }
  const out: { nodeId: string; port: string; label: string }[] = [];
  for (const n of doc.nodes) {
    const cls = ex.nodeClass(n.id);
    for (const o of cls.outputs) {
      if (o.value) continue;
      if (!doc.edges.some((e) => e.source === n.id && e.sourcePort === o.name)) out.push({ nodeId: n.id, port: o.name, label: cls.outputs.length > 1 ? `${n.id}.${o.name}` : n.id });
    }
  }
  return out.filter((t) => !ex.nodeClass(t.nodeId).source);
}

/** JSON view of a captured output: its chunk, or with several chunks {kind: "packet", chunks: {name: …}}. */
export function packetJson(p: Packet): unknown {
  if (p.size === 1) {
    const [name, c] = [...p][0];
    return chunkJson(name, c);
  }
  return { kind: 'packet', chunks: Object.fromEntries([...p].map(([name, c]) => [name, chunkJson(name, c)])) };
}

/** JSON view of one chunk, by its kind (shapes.ts kindOf). */
export function chunkJson(name: string, c: Chunk): unknown {
  const kind = kindOfChunk(name, c);
  const b = c.block;
  const head = { kind, chunk: name, axes: describeAxes(b.axes) };
  if (kind === 'markers') return { ...head, events: markersOf(c) };
  const inst = findAxis(b, 'instance');
  const marker = inst?.fields.Marker;
  const target = inst?.fields[TARGET];
  const itemInfo = (i: number) => ({
    marker: Array.isArray(marker) ? (marker[i] ?? null) : null,
    target: target instanceof Float64Array && !Number.isNaN(target[i]) ? target[i] : null,
  });
  if (kind === 'spectrum') {
    const freqs = findAxis(b, 'frequency')!.frequenciesHz;
    const bins = freqs.length;
    const d = inst ? axisIndex(b, 'instance') : axisIndex(b, 'time');
    const items = d >= 0 ? b.shape[d] : 1;
    const rows = bins && items ? b.data.length / bins / items : 0;
    const times = d >= 0 ? (b.axes[d] as { timesMs: Float64Array }).timesMs : Float64Array.of(NaN);
    const space = findAxis(b, 'space');
    return {
      ...head,
      scaling: c.props.meta.scaling ?? null,
      channels: space && space.channels.length === rows ? space.channels.map((x) => x.label) : Array.from({ length: rows }, (_, i) => String(i)),
      freqsHz: Array.from(freqs),
      items: Array.from({ length: items }, (_, k) => ({
        timestampMs: times[k],
        ...itemInfo(k),
        values: Array.from({ length: rows }, (_, r) => Array.from(b.data.subarray((k * rows + r) * bins, (k * rows + r + 1) * bins))),
      })),
    };
  }
  if (kind === 'epochs') {
    const space = findAxis(b, 'space');
    const frames = b.shape[axisIndex(b, 'time')];
    const n = inst ? inst.timesMs.length : 0;
    return {
      ...head,
      channels: space ? space.channels.map((x) => x.label) : [],
      sampleRateHz: findAxis(b, 'time')!.nominalRateHz,
      count: n,
      shape: [n, space?.channels.length ?? 0, frames],
      items: Array.from({ length: n }, (_, i) => ({ timestampMs: inst!.timesMs[i], ...itemInfo(i), frames })),
    };
  }
  const d = descriptorOf(c);
  const f = framesOf(c);
  const rows: number[][] = [];
  for (let n = 0; n < f.frames; n++) rows.push(Array.from(f.samples.subarray(n * f.width, n * f.width + f.width)));
  return {
    ...head,
    channels: d.channels.map((x) => x.label),
    units: d.channels.map((x) => x.unit),
    sampleRateHz: d.sampleRateHz,
    frames: f.frames,
    timestampsMs: Array.from(f.timestampsMs),
    data: rows,
    ...(target instanceof Float64Array ? { targets: Array.from(target, (t) => (Number.isNaN(t) ? null : t)) } : {}),
  };
}

function csvEscape(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Number formatting for CSV: the shortest decimal (≤ 9 digits) that reads back as the same float32. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf';
  const f = Math.fround(v);
  for (let p = 6; p < 9; p++) {
    const s = +f.toPrecision(p);
    if (Math.fround(s) === f) return String(s);
  }
  return String(+f.toPrecision(9));
}

class ProgressBar {
  private last = -1;
  constructor(private readonly enabled: boolean) {}
  update(fraction: number): void {
    if (!this.enabled) return;
    const pct = Math.floor(fraction * 100);
    if (pct === this.last) return;
    this.last = pct;
    const width = 30;
    const full = Math.round((pct / 100) * width);
    process.stderr.write(`\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(pct).padStart(3)}%`);
  }
  done(): void {
    if (this.enabled && this.last >= 0) process.stderr.write('\n');
  }
}

/** Reads one --in recording (a .set with the .fdt beside it). */
async function readInput(file: string): Promise<RecordingData> {
  let bytes: Uint8Array;
  try {
    const b = readFileSync(file);
    bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new InputError(`cannot read (${errorMessage(e)})`, file);
  }
  return readRecording(bytes, basename(file), { companion: siblingFiles(file) });
}

/** What one LSLInput node is fed: a recorded stream (and the recording's markers with marker_query), or markers alone. */
interface LiveFeed {
  nodeId: string;
  file: string;
  stream?: RecordingData['streams'][number];
  markers: boolean;
}

/**
 * Pairs LSLInput nodes with the recordings left for them: the first stream the query matches, or
 * the markers for a marker query. A query that matches no stream by name (a device of the author's
 * lab, e.g. name='LiveAmpSN-…') replays a recording anyway, as a stand-in for that device: the first
 * signal stream (of the query's type, if it gives one) of the next recording no other LSLInput took
 * (in --in order; the first fitting recording once all are taken), said in a warning.
 */
function planLiveFeeds(doc: PipelineDocument, liveIds: string[], recs: { file: string; rec: RecordingData }[], warn: (m: string) => void): LiveFeed[] {
  const signals = (rec: RecordingData) => rec.streams.filter((s) => s.descriptor.sampleRateHz > 0);
  const taken = new Set<string>();
  const feeds = liveIds.map((id): LiveFeed | string => {
    const params = doc.nodes.find((n) => n.id === id)!.params;
    const query = String(params.query ?? "type='EEG'");
    for (const { file, rec } of recs) {
      const stream = matchStreamQuery(signals(rec), query);
      if (stream) {
        taken.add(file);
        return { nodeId: id, file, stream, markers: Boolean(params.marker_query) };
      }
    }
    if (/markers?/i.test(query)) {
      const withMarkers = recs.find((r) => r.rec.markers.length) ?? recs[0];
      // a marker stream: the LSLInput carries the markers alone (its marker chunk), as NeuroPype's does
      params.marker_query = query;
      return { nodeId: id, file: withMarkers.file, markers: true };
    }
    return query;
  });
  return feeds.map((f, k) => {
    if (typeof f !== 'string') return f;
    const id = liveIds[k];
    // the stand-in keeps the query's type clause, if any: only a device's name is lab-specific
    const type = /\btype\s*=\s*(['"])(.*?)\1/.exec(f);
    const fits = (rec: RecordingData) => (type ? signals(rec).filter((s) => matchStreamQuery([s], `type='${type[2]}'`)) : signals(rec));
    const stand = recs.find(({ file, rec }) => !taken.has(file) && fits(rec).length) ?? recs.find(({ rec }) => fits(rec).length);
    if (!stand) {
      const seen = recs.flatMap(({ file, rec }) => rec.streams.map((s) => `${basename(file)}: ${s.descriptor.name} (type ${s.descriptor.kind})`));
      throw new InputError(`LSLInput query ${JSON.stringify(f)} matches no stream of the --in recordings left for live inputs (${seen.join('; ') || 'none'}); change the query or give a recording holding such a stream`, `node "${id}"`);
    }
    taken.add(stand.file);
    const stream = fits(stand.rec)[0];
    warn(`node "${id}": LSLInput query ${JSON.stringify(f)} matches no stream of the --in recordings; it replays ${basename(stand.file)}'s stream "${stream.descriptor.name}" (type ${stream.descriptor.kind}) in its place`);
    return { nodeId: id, file: stand.file, stream, markers: Boolean(doc.nodes.find((n) => n.id === id)!.params.marker_query) };
  });
}

export async function run(argv: string[]): Promise<number> {
  let args: RunArgs;
  try {
    args = parseRunArgs(argv);
  } catch (e) {
    console.error(`neurotab run: ${errorMessage(e)}`);
    return 2;
  }
  const t0 = performance.now();
  const note = (m: string) => {
    if (!args.quiet) console.error(`neurotab run: ${m}`);
  };
  let doc: PipelineDocument;
  const ex = new Execution(builtinRegistry(), { info: { errorMode: 'stop', logLevel: 30 } });
  const typeOf = (n: { type: string }) => ex.registry.find(n.type)?.type;
  try {
    const loaded = readPipelineFile(args.pipeline, ex.registry);
    for (const w of loaded.warnings) note(`warning: ${w}`);
    doc = loaded.doc;
    resolveModelFiles(doc, ex, args.pipeline);
    ex.load(doc); // every problem of the document before any file is read; loaded again once the inputs are planned
  } catch (e) {
    return reportLoadError(e, args);
  }

  // --in files: importers by filename, then in order; the rest feed the LSLInput nodes
  const recNodes = doc.nodes.filter((n) => RECORDING_NODES.has(typeOf(n) ?? ''));
  const liveIds = doc.nodes.filter((n) => typeOf(n) === LIVE_INPUT).map((n) => n.id);
  if (recNodes.length === 0 && liveIds.length === 0) {
    console.error('neurotab run: the pipeline has no input to read --in files into (LSLInput, ImportXDF/ImportEDF/ImportSET/ImportFile or io.recording-input)');
    return 2;
  }
  const tooFew = args.inputs.length < recNodes.length + (liveIds.length ? 1 : 0);
  if (tooFew || (!liveIds.length && args.inputs.length > recNodes.length)) {
    const wants = [recNodes.length ? `${recNodes.length} importer(s) (${recNodes.map((n) => n.id).join(', ')})` : '', liveIds.length ? `LSLInput node(s) ${liveIds.join(', ')} (fed from the recordings left over)` : ''].filter(Boolean).join(' and ');
    console.error(`neurotab run: the pipeline reads ${wants} but ${args.inputs.length} --in file(s) were given`);
    return 2;
  }
  const unbound = [...recNodes];
  const pairs: [string, string][] = [];
  const left: string[] = [];
  for (const file of args.inputs) {
    const byName = unbound.findIndex((n) => {
      const f = String(n.params.filename ?? '');
      return f !== '' && basename(f.replace(/\\/g, '/')) === basename(file);
    });
    if (byName >= 0) pairs.push([unbound.splice(byName, 1)[0].id, file]);
    else left.push(file);
  }
  while (unbound.length) pairs.push([unbound.shift()!.id, left.shift()!]);

  let recordings: Map<string, RecordingData>;
  let feeds: LiveFeed[] = [];
  try {
    recordings = new Map(await Promise.all(args.inputs.map(async (f) => [f, await readInput(f)] as const)));
    if (liveIds.length) feeds = planLiveFeeds(doc, liveIds, left.map((file) => ({ file, rec: recordings.get(file)! })), (m) => note(`warning: ${m}`));
  } catch (e) {
    console.error(`neurotab run: ${errorMessage(e)}`);
    return 1;
  }
  for (const n of doc.nodes) {
    if (!args.chunkFrames) break;
    if (typeOf(n) === 'io.recording-input') n.params.chunk_frames = args.chunkFrames;
    if (typeOf(n) === LIVE_INPUT) n.params.max_chunk_frames = args.chunkFrames;
  }
  const writers = doc.nodes.filter((n) => FILE_OUTPUT_TYPES.has(typeOf(n) ?? ''));
  if (writers.length && !args.outDir) {
    console.error(`neurotab run: the pipeline writes files (${writers.map((n) => `node "${n.id}" ${String(n.params.filename ?? '')}`).join(', ')}): give --out-dir DIR to say where`);
    return 2;
  }
  try {
    ex.load(doc);
  } catch (e) {
    return reportLoadError(e, args);
  }

  // where every file goes, before anything runs (output_root may come from a value node, so after load)
  for (const n of writers) {
    try {
      resolveOutputPath(args.outDir!, String(ex.getParam(n.id, 'output_root') ?? ''), String(ex.getParam(n.id, 'filename') ?? ''));
    } catch (e) {
      console.error(`neurotab run: node "${n.id}" (${ex.nodeClass(n.id).neuropype?.class ?? n.type}): ${errorMessage(e)}`);
      return 2;
    }
  }
  const clock = new ReplayClock(args.realtime);
  const outputs = args.outDir ? new DirectoryOutputs(args.outDir, note) : undefined;
  try {
    for (const [nodeId, file] of pairs) ex.bind(nodeId, recordings.get(file)!);
    for (const f of feeds) {
      const rec = recordings.get(f.file)!;
      const descriptor = f.stream?.descriptor ?? { id: 'markers', name: 'markers', kind: 'markers' as const, sampleRateHz: 0, channels: [] };
      const reader = f.stream ? new StreamReplay(f.stream, clock) : { read: () => ({ frames: 0, dropped: 0 }) };
      ex.bind(f.nodeId, { descriptor, reader, ...(f.markers ? { markers: new MarkerReplay(rec.markers, clock, firstStartMs([rec])) } : {}) });
    }
    for (const n of writers) ex.bind(n.id, outputs!);
    await bindNetworks(doc, ex);
  } catch (e) {
    console.error(`neurotab run: ${errorMessage(e)}`);
    return 1;
  }

  // Capture outputs (only with --out).
  const targets = args.out ? captureTargets(doc, ex) : [];
  if (args.out && !targets.length) {
    console.error('neurotab run: the pipeline produces no output to write (add an io.stream-output or leave a node output unconnected)');
    return 2;
  }
  const csv = args.out !== undefined && extname(args.out).toLowerCase() === '.csv';
  const captured = new Map<string, Packet>();
  let fd: number | undefined;
  let csvRows = 0;
  let csvError: string | undefined;
  if (csv) {
    if (targets.length !== 1) {
      console.error(`neurotab run: CSV holds one output but the pipeline has ${targets.length} (${targets.map((t) => t.label).join(', ')}); write .json instead`);
      return 2;
    }
    fd = openSync(args.out!, 'w');
    let header = false;
    ex.tap(targets[0].nodeId, targets[0].port, (p) => {
      const c = outputChunk(p);
      if (!c) return;
      const kind = kindOfChunk('', c);
      if (kind !== 'signal' && kind !== 'features') {
        csvError = `output ${targets[0].label} carries ${kind} (${describeAxes(c.block.axes)}), which CSV cannot hold; write .json instead`;
        return;
      }
      const f = framesOf(c);
      if (!header) {
        writeSync(fd!, `timestamp_ms,${descriptorOf(c).channels.map((x) => csvEscape(x.label)).join(',')}\n`);
        header = true;
      }
      const lines: string[] = [];
      for (let n = 0; n < f.frames; n++) {
        let line = f.timestampsMs[n].toFixed(3);
        for (let k = 0; k < f.width; k++) line += ',' + num(f.samples[n * f.width + k]);
        lines.push(line);
      }
      writeSync(fd!, lines.join('\n') + '\n');
      csvRows += f.frames;
    });
  } else {
    for (const t of targets) {
      ex.tap(t.nodeId, t.port, (p) => {
        const prev = captured.get(t.label);
        captured.set(t.label, prev ? concatPackets(prev, copyPacket(p)) : copyPacket(p));
      });
    }
  }

  const bar = new ProgressBar(!args.quiet && Boolean(process.stderr.isTTY));
  try {
    if (feeds.length) await replayOnline(ex, clock, (f) => bar.update(f));
    else ex.runOffline({ onProgress: (f) => bar.update(f) });
  } catch (e) {
    bar.done();
    console.error(`neurotab run: ${errorMessage(e)}`);
    return 1;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  bar.done();
  const errors = ex.errors();
  if (errors.length) {
    for (const e of errors) console.error(`neurotab run: node ${e.nodeId} (${e.nodeType}): ${e.message}`);
    return 1;
  }
  if (csvError) {
    console.error(`neurotab run: ${csvError}`);
    return 2;
  }
  if (args.out && !csv) {
    const result: Record<string, unknown> = {};
    for (const t of targets) result[t.label] = captured.has(t.label) ? packetJson(captured.get(t.label)!) : null;
    const models = ex.exportModels();
    writeFileSync(args.out, JSON.stringify({ pipeline: doc.meta.name, inputs: args.inputs.map((f) => basename(f)), outputs: result, ...(Object.keys(models).length ? { models } : {}) }, null, 1));
  }
  if (!args.quiet) {
    const secs = (performance.now() - t0) / 1000;
    const framesIn = ex.metrics().filter((m) => RECORDING_NODES.has(ex.nodeClass(m.nodeId).type) || ex.nodeClass(m.nodeId).type === LIVE_INPUT).reduce((a, m) => a + m.itemsOut, 0);
    const wrote = [...(args.out ? [`${args.out}${csv ? ` (${csvRows} rows)` : ''}`] : []), ...[...(outputs?.written ?? [])]];
    console.error(`neurotab run: ${framesIn} frames and markers read → ${wrote.join(', ') || 'nothing written'} in ${secs.toFixed(2)} s`);
  }
  return 0;
}

function reportLoadError(e: unknown, args: RunArgs): number {
  if (e instanceof PipelineError) {
    console.error(`neurotab run: ${args.pipeline}: the pipeline is not valid:`);
    for (const i of e.issues) console.error(`  - ${formatIssue(i)}`);
    return 2;
  }
  console.error(`neurotab run: ${errorMessage(e)}`);
  return 1;
}

/**
 * Runs an online pipeline whose LSLInput nodes replay recordings: steps until every replay is
 * exhausted and the importers are done, as fast as the CPU allows (or, with a paced clock, sleeping
 * while nothing is due), then flushes — as the online loop does when its finite sources end.
 */
async function replayOnline(ex: Execution, clock: ReplayClock, onProgress: (fraction: number) => void): Promise<void> {
  ex.play();
  let steps = 0;
  let idle = 0;
  for (;;) {
    const produced = ex.step();
    if (ex.errors().length || !ex.state().running) break;
    if (++steps % 16 === 0) onProgress(clock.streams.length ? clock.streams.reduce((a, s) => a + s.progress, 0) / clock.streams.length : 1);
    if (produced > 0) {
      idle = 0;
      continue;
    }
    // nothing came: done once the replays are over (one more quiet step lets the last markers through)
    if (clock.done && ++idle > 1) break;
    if (clock.realtime) await new Promise((r) => setTimeout(r, 2));
  }
  if (!ex.errors().length) {
    ex.flush();
    ex.complete();
  }
  onProgress(1);
}
