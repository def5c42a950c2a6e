// Engine worker: runs pipeline graphs (src/lib/engine) on the live device stream. The live view's
// filter chain is itself a pipeline (stream input → IIR band-pass → notch → stream output into the
// filtered ring); a user pipeline may run beside it on the same frames, with markers from the
// marker bus, output rings for its stream-output nodes and reports (inspect values, metrics, logs)
// to the page a few times a second; a trained model deployed from the Training page runs in a slot
// of its own (ml.model-predict, its saved run read from IndexedDB by id). An fNIRS stream's live
// view is HbO/HbR (fnirs-view.ts) instead of the filter chain. Wiring plus the loop; the hot path is
// Execution.step().
import { Execution, builtinRegistry, descriptorOf, framesOf, MarkerQueue, outputChunk, PipelineError, type PipelineDocumentInput, type FrameReader, type Packet } from '../src/lib/engine/index';
import { errorMessage } from '../src/lib/core/errors';
import type { StreamDescriptor } from '../src/lib/core/stream';
import { Ring, RingWriter, TransferRingWriter, type RingReader, type WaitResult } from '../src/lib/streams/ring';
import { yieldToEventLoop } from '../src/lib/engine/runtime';
import { subscribeMarkers } from '../src/lib/core/markers';
import { openSink, openSource, type FrameWriter } from './ring-endpoints';
import type { DeploymentReport, EngineEvent, EngineRequest, FilterSettings, RingSource } from './protocol';
import { openDb } from '../src/lib/storage/db';
import { modelPicks, summariseModel, type DeepWindowPredictor, type DeployableModel } from '../src/lib/engine/nodes/model';
import type { DeepModel } from '../src/lib/ml/tf/train';
import { loadDeepPredictor } from './deep-predictor';
import { FnirsView } from './fnirs-view';
import { DISPLAY_TYPES } from '../src/lib/engine/nodes/np-visualization';
import { FILE_OUTPUT_TYPES } from '../src/lib/engine/nodes/np-file-system';
import { LibraryFileOutputs } from '../src/lib/storage/pipeline-files';

const post = (e: EngineEvent, transfer: Transferable[] = []) => self.postMessage(e, { transfer });

/** Frames per read from the device ring (and per step of the graphs). */
const MAX_FRAMES = 1024;
/** How often a running user pipeline reports to the page. */
const REPORT_INTERVAL_MS = 250;
/** Seconds of data an output ring holds. */
const OUTPUT_RING_SECONDS = 20;

/**
 * The live filter chain as a pipeline document: causal Butterworth band-pass (order 4, started in
 * the steady state of the first sample; upper corner clamped below Nyquist, skipped when it does not
 * fit) and a Q=30 notch at the line frequency with its harmonics below 0.98 × Nyquist.
 */
export function liveChainDocument(f: FilterSettings, sampleRateHz: number): PipelineDocumentInput {
  const nyquist = sampleRateHz / 2;
  const nodes: PipelineDocumentInput['nodes'] = [{ id: 'in', type: 'io.stream-input', params: { max_chunk_frames: MAX_FRAMES } }];
  if (f.bandHz) {
    const lo = f.bandHz[0];
    const hi = Math.min(f.bandHz[1], nyquist * 0.95);
    if (lo < hi) nodes.push({ id: 'bandpass', type: 'filter.iir', params: { frequencies: [lo, hi], mode: 'bandpass', order: 4, design: 'butter', initial_state: 'step' } });
  }
  if (f.notchHz) {
    let harmonics = 0;
    for (let h = f.notchHz; h < nyquist * 0.98; h += f.notchHz) harmonics++;
    if (harmonics > 0) nodes.push({ id: 'notch', type: 'filter.notch', params: { frequency: f.notchHz, quality: 30, harmonics: Math.min(harmonics, 20) } });
  }
  nodes.push({ id: 'out', type: 'io.stream-output', params: { stream_name: 'filtered' } });
  const edges = nodes.slice(1).map((n, i) => ({ source: nodes[i].id, target: n.id }));
  return { format: 'neurotab.pipeline', version: 1, meta: { name: 'Live filter chain', description: 'The live view’s band-pass and notch.' }, nodes, edges };
}

/**
 * The frames of the current step, offered to one graph's stream-input nodes. Every graph reads the
 * same chunk once (the device ring is read by this worker only once per chunk).
 */
class ChunkReader implements FrameReader {
  private samples: Float32Array = new Float32Array(0);
  private ts: Float64Array = new Float64Array(0);
  private frames = 0;
  private pos = 0;
  constructor(private readonly channels: number) {}
  offer(samples: Float32Array, ts: Float64Array, frames: number): void {
    this.samples = samples;
    this.ts = ts;
    this.frames = frames;
    this.pos = 0;
  }
  get remaining(): number {
    return this.frames - this.pos;
  }
  read(maxFrames: number, outSamples: Float32Array, outTimestampsMs: Float64Array): { frames: number; dropped: number } {
    const n = Math.min(maxFrames, this.frames - this.pos, outTimestampsMs.length);
    if (n <= 0) return { frames: 0, dropped: 0 };
    const ch = this.channels;
    outSamples.set(this.samples.subarray(this.pos * ch, (this.pos + n) * ch));
    outTimestampsMs.set(this.ts.subarray(this.pos, this.pos + n));
    this.pos += n;
    return { frames: n, dropped: 0 };
  }
}

/** One graph on the live stream, with the readers and writers bound to its nodes. */
class Graph {
  readonly ex = new Execution(builtinRegistry(), { info: { logLevel: 20, errorMode: 'ignore', tickRateHz: 25 } });
  readonly reader: ChunkReader;
  /** Markers for stream inputs with a marker_query (NeuroPype's LSLInput: markers ride with the data). */
  readonly streamMarkers = new MarkerQueue();
  /** Whether a stream input takes markers (the host then feeds streamMarkers from the bus). */
  wantsStreamMarkers = false;
  constructor(readonly descriptor: StreamDescriptor) {
    this.reader = new ChunkReader(descriptor.channels.length);
  }
  /** Loads `doc`, binds every stream input to the live frames (and markers, when it asks for them). */
  load(doc: unknown): void {
    this.ex.load(doc);
    for (const n of this.ex.nodes()) {
      if (this.ex.nodeClass(n.id).type !== 'io.stream-input') continue;
      const markers = this.ex.getParam(n.id, 'marker_query') ? this.streamMarkers : undefined;
      if (markers) this.wantsStreamMarkers = true;
      this.ex.bind(n.id, { descriptor: this.descriptor, reader: this.reader, markers });
    }
  }
  idsOf(type: string): string[] {
    return this.ex.nodes().filter((n) => this.ex.nodeClass(n.id).type === type).map((n) => n.id);
  }
  /** Runs the graph over one chunk. HOT PATH. */
  feed(samples: Float32Array, ts: Float64Array, frames: number): void {
    this.reader.offer(samples, ts, frames);
    while (this.reader.remaining > 0) if (this.ex.step() === 0) break;
  }
}

let running = false;
let descriptor: StreamDescriptor | null = null;
let live: Graph | null = null;
/** The live view of an fNIRS stream (instead of `live`). */
let fnirs: FnirsView | null = null;
let liveSink: FrameWriter | null = null;
let isolated = false;
let liveResets = 0;
let liveLogFrom = 0;

interface OutputWriter {
  push: FrameWriter['push'];
  close?: () => void;
}

interface UserRun {
  runId: number;
  graph: Graph;
  framesIn: number;
  logFrom: number;
  outputs: Map<string, { writer: OutputWriter; channels: number }>;
  unsubscribeMarkers: () => void;
  timer: ReturnType<typeof setInterval>;
}
let user: UserRun | null = null;

function setFilter(f: FilterSettings): void {
  if (!descriptor || !liveSink) return;
  if (descriptor.kind === 'fnirs' && !fnirs) {
    // Band-pass and notch are EEG settings; an fNIRS stream shows haemoglobin (or ΔOD) instead.
    try {
      fnirs = new FnirsView(descriptor, liveSink, post, MAX_FRAMES);
      return;
    } catch (e) {
      post({ type: 'error', message: `${errorMessage(e)}; showing the raw signal` });
    }
  }
  if (fnirs) return;
  const g = new Graph(descriptor);
  g.load(liveChainDocument(f, descriptor.sampleRateHz));
  g.ex.bind('out', liveSink);
  g.ex.play();
  live = g;
  liveLogFrom = 0;
}

/** Counts the live chain's "filter state reset" warnings (non-finite input). */
function countResets(): void {
  if (!live) return;
  for (const r of live.ex.logs(liveLogFrom)) {
    liveLogFrom = r.id + 1;
    if (/filter state reset/.test(r.message)) liveResets++;
  }
}

/** Longest the loop blocks in Atomics.wait before it lets messages in. */
const BLOCK_MS = 5;
let lastYieldMs = 0;
/**
 * Shared ring: block in Atomics.wait (a push wakes the loop within microseconds, no event-loop
 * trip), yielding to the event loop at least every BLOCK_MS so page messages still arrive.
 * Otherwise (transfer ring) the asynchronous wait.
 */
async function waitForInput(reader: RingReader): Promise<WaitResult> {
  if (performance.now() - lastYieldMs >= BLOCK_MS) {
    await yieldToEventLoop();
    lastYieldMs = performance.now();
  }
  const s = reader.waitForDataSync(BLOCK_MS - (performance.now() - lastYieldMs));
  if (s === 'unsupported') return reader.waitForData(250);
  if (s === 'timed-out') {
    await yieldToEventLoop();
    lastYieldMs = performance.now();
  }
  return s;
}

async function loop(reader: RingReader): Promise<void> {
  const ch = reader.ring.channels;
  const inS = new Float32Array(MAX_FRAMES * ch);
  const inT = new Float64Array(MAX_FRAMES);
  let processed = 0;
  let lastStats = 0;
  while (running) {
    const w = await waitForInput(reader);
    if (w === 'closed') break;
    for (;;) {
      const r = reader.read(MAX_FRAMES, inS, inT);
      if (r.frames === 0) break;
      live?.feed(inS, inT, r.frames);
      fnirs?.feed(inS, inT, r.frames);
      if (user) {
        user.graph.feed(inS, inT, r.frames);
        user.framesIn += r.frames;
      }
      if (deployed) {
        deployed.graph.feed(inS, inT, r.frames);
        deployed.framesIn += r.frames;
      }
      processed += r.frames;
    }
    const now = performance.now();
    if (now - lastStats > 500) {
      lastStats = now;
      countResets();
      fnirs?.tick(now);
      post({ type: 'stats', framesProcessed: processed, droppedFrames: reader.droppedFrames, resets: liveResets });
    }
  }
  liveSink?.close();
  fnirs = null;
  stopUser();
  stopDeployment();
  post({ type: 'stopped' });
}

// ------------------------------------------------------------------------------- user pipelines

/** A ring for a stream-output node, created when the first packet shows its layout (the chunk it writes: frames of `width` values). */
function openOutput(run: UserRun, nodeId: string, packet: Packet): void {
  const chunk = outputChunk(packet);
  if (!chunk) return;
  const { width: channels } = framesOf(chunk);
  const have = run.outputs.get(nodeId);
  if (have && have.channels === channels) return;
  have?.writer.close?.();
  const descriptor = descriptorOf(chunk);
  const rate = descriptor.sampleRateHz > 0 ? descriptor.sampleRateHz : 50;
  const capacityFrames = Math.max(1024, Math.ceil(rate * OUTPUT_RING_SECONDS));
  let source: RingSource;
  let writer: OutputWriter;
  const transfer: Transferable[] = [];
  if (isolated) {
    const ring = Ring.create({ channels, capacityFrames, shared: true });
    writer = new RingWriter(ring);
    source = { kind: 'shared', buffer: ring.buffer as SharedArrayBuffer };
  } else {
    const mc = new MessageChannel();
    writer = new TransferRingWriter(mc.port1, { channels });
    source = { kind: 'port', port: mc.port2, channels, capacityFrames };
    transfer.push(mc.port2);
  }
  run.outputs.set(nodeId, { writer, channels });
  run.graph.ex.bind(nodeId, writer);
  post({ type: 'pipeline-output', runId: run.runId, nodeId, descriptor, source }, transfer);
}

function report(run: UserRun): void {
  const ex = run.graph.ex;
  const inspect: Record<string, unknown> = {};
  for (const n of ex.nodes()) if (DISPLAY_TYPES.has(ex.nodeClass(n.id).type)) inspect[n.id] = ex.peek(n.id);
  const logs = ex.logs(run.logFrom, 200);
  if (logs.length) run.logFrom = logs[logs.length - 1].id + 1;
  post({ type: 'pipeline-report', runId: run.runId, report: { state: ex.state(), metrics: ex.metrics(), logs, inspect, framesIn: run.framesIn } });
}

function runPipeline(runId: number, doc: unknown): void {
  if (!descriptor) throw new Error('no stream is running');
  stopUser();
  const graph = new Graph(descriptor);
  try {
    graph.load(doc);
  } catch (e) {
    post({ type: 'pipeline-error', runId, message: errorMessage(e), issues: e instanceof PipelineError ? e.issues.map((i) => ({ ...i })) : undefined });
    return;
  }
  const markerInputs = graph.idsOf('io.marker-input');
  for (const id of markerInputs) graph.ex.pushMarkers(id, []);
  const run: UserRun = {
    runId,
    graph,
    framesIn: 0,
    logFrom: 0,
    outputs: new Map(),
    unsubscribeMarkers: markerInputs.length || graph.wantsStreamMarkers
      ? subscribeMarkers(
          (events) => {
            for (const id of markerInputs) graph.ex.pushMarkers(id, events);
            if (graph.wantsStreamMarkers) graph.streamMarkers.push(events);
          },
          (why) => graph.ex.log(30, `marker bus: ${why}; ignored`),
        )
      : () => {},
    timer: setInterval(() => report(run), REPORT_INTERVAL_MS),
  };
  // Output rings: tap what feeds each stream-output node to learn its layout before it writes.
  const edges = graph.ex.edges();
  for (const outId of graph.idsOf('io.stream-output')) {
    const e = edges.find((x) => x.target === outId);
    if (e) graph.ex.tap(e.source, e.sourcePort, (p) => openOutput(run, outId, p));
  }
  // RecordToXDF & co.: an XDF file joins the recordings library when its node closes it
  const files = new LibraryFileOutputs(openDb(), { note: (m) => graph.ex.log(30, m), saved: (row, name) => graph.ex.log(20, `"${name}" added to the recordings library as "${row.name}"`) });
  for (const n of graph.ex.nodes()) if (FILE_OUTPUT_TYPES.has(graph.ex.nodeClass(n.id).type)) graph.ex.bind(n.id, files);
  graph.ex.play();
  user = run;
  post({ type: 'pipeline-started', runId });
  report(run);
}

function stopUser(): void {
  const run = user;
  if (!run) return;
  user = null;
  clearInterval(run.timer);
  run.unsubscribeMarkers();
  run.graph.ex.flush(); // recorders close their files (NeuroPype closes them when the pipeline stops)
  run.graph.ex.stop();
  report(run);
  for (const o of run.outputs.values()) o.writer.close?.();
  post({ type: 'pipeline-stopped', runId: run.runId });
}

function setPipelineParams(m: Extract<EngineRequest, { type: 'set-pipeline-params' }>): void {
  const run = user;
  if (!run || run.runId !== m.runId) {
    post({ type: 'pipeline-params', runId: m.runId, requestId: m.requestId, ok: false, nodeId: m.nodeId, message: 'the pipeline is not running' });
    return;
  }
  try {
    run.graph.ex.setParams(m.nodeId, m.values);
    post({ type: 'pipeline-params', runId: m.runId, requestId: m.requestId, ok: true, nodeId: m.nodeId, params: run.graph.ex.getParams(m.nodeId) });
  } catch (e) {
    post({
      type: 'pipeline-params',
      runId: m.runId,
      requestId: m.requestId,
      ok: false,
      nodeId: m.nodeId,
      message: errorMessage(e),
      issues: e instanceof PipelineError ? e.issues.map((i) => ({ ...i })) : undefined,
    });
  }
}

// ------------------------------------------------------------------------------- deployed models

/** Node types whose `model_id` is resolved from the saved runs before a pipeline loads. */
const MODEL_NODE = 'ml.model-predict';

interface Deployment {
  deployId: number;
  graph: Graph;
  framesIn: number;
  logFrom: number;
  timer: ReturnType<typeof setInterval>;
  dispose: (() => void)[];
}
/** A deployed model runs in its own slot, beside the live chain and the Pipelines page's pipeline. */
let deployed: Deployment | null = null;
/** The latest deploy request; an older one still loading its model is dropped when it finishes. */
let deployWanted = 0;

/**
 * Replaces `model_id` of every model-predict node by the saved run it names (Dexie `models` table)
 * and loads TensorFlow.js networks (dynamic import: only deployments of networks pay for it).
 * Returns the predictors to bind, by node id.
 */
async function resolveModels(doc: unknown): Promise<{ doc: unknown; predictors: Map<string, DeepWindowPredictor & { dispose(): void }> }> {
  const predictors = new Map<string, DeepWindowPredictor & { dispose(): void }>();
  const d = structuredClone(doc) as { nodes?: { id: string; type: string; params?: Record<string, unknown> }[] };
  for (const n of d.nodes ?? []) {
    if (n.type !== MODEL_NODE) continue;
    const params = (n.params ??= {});
    if (!params.model && typeof params.model_id === 'string') {
      const row = await openDb().models.get(params.model_id);
      if (!row) throw new Error(`node "${n.id}": no saved run "${params.model_id}" (train and save a model on the Training page first)`);
      params.model = row.state as DeployableModel;
    }
    const m = params.model as { kind?: string; model?: { kind?: string } } | undefined;
    const deep = m?.kind === 'neurotab.tf-model' ? (m as unknown as DeepModel) : m?.model?.kind === 'neurotab.tf-model' ? (m.model as DeepModel) : null;
    if (deep) predictors.set(n.id, await loadDeepPredictor(deep));
  }
  return { doc: d, predictors };
}

/** Checks every model-predict node fed straight by the device stream against that stream (throws InputError). */
function checkDeploymentFits(doc: unknown, stream: StreamDescriptor): void {
  const d = doc as { nodes?: { id: string; type: string; params?: Record<string, unknown> }[]; edges?: { source: string; target: string }[] };
  const inputs = new Set((d.nodes ?? []).filter((n) => n.type === 'io.stream-input').map((n) => n.id));
  for (const n of d.nodes ?? []) {
    if (n.type !== MODEL_NODE || !n.params?.model) continue;
    if (!(d.edges ?? []).some((e) => e.target === n.id && inputs.has(e.source))) continue;
    modelPicks(stream, summariseModel(n.params.model, `node "${n.id}" model`));
  }
}

function deploymentReport(dep: Deployment): void {
  const ex = dep.graph.ex;
  const predictions: Record<string, unknown> = {};
  for (const id of dep.graph.idsOf(MODEL_NODE)) predictions[id] = ex.peek(id);
  const logs = ex.logs(dep.logFrom, 200);
  if (logs.length) dep.logFrom = logs[logs.length - 1].id + 1;
  const report: DeploymentReport = { state: ex.state(), metrics: ex.metrics(), logs, predictions, framesIn: dep.framesIn };
  post({ type: 'deployment-report', deployId: dep.deployId, report });
}

async function deployModel(deployId: number, doc: unknown): Promise<void> {
  deployWanted = deployId;
  if (!descriptor) throw new Error('no stream is running');
  let resolved: Awaited<ReturnType<typeof resolveModels>>;
  try {
    resolved = await resolveModels(doc);
  } catch (e) {
    post({ type: 'deployment-error', deployId, message: errorMessage(e) });
    return;
  }
  const drop = () => resolved.predictors.forEach((p) => p.dispose());
  if (deployWanted !== deployId || !descriptor || !running) {
    drop();
    post({ type: 'deployment-stopped', deployId });
    return;
  }
  try {
    // A model that does not fit the live stream (rate, channels) is refused before anything runs,
    // so the page shows "cannot predict" with the reason instead of a running deployment that never predicts.
    checkDeploymentFits(resolved.doc, descriptor);
  } catch (e) {
    resolved.predictors.forEach((p) => p.dispose());
    post({ type: 'deployment-error', deployId, message: errorMessage(e) });
    return;
  }
  stopDeployment();
  const graph = new Graph(descriptor);
  try {
    graph.load(resolved.doc);
    for (const [id, p] of resolved.predictors) graph.ex.bind(id, p);
  } catch (e) {
    drop();
    post({ type: 'deployment-error', deployId, message: errorMessage(e) });
    return;
  }
  const dep: Deployment = { deployId, graph, framesIn: 0, logFrom: 0, timer: setInterval(() => deploymentReport(dep), REPORT_INTERVAL_MS), dispose: [drop] };
  graph.ex.play();
  deployed = dep;
  post({ type: 'deployment-started', deployId });
  deploymentReport(dep);
}

function stopDeployment(): void {
  const dep = deployed;
  if (!dep) return;
  deployed = null;
  clearInterval(dep.timer);
  dep.graph.ex.stop();
  deploymentReport(dep);
  dep.dispose.forEach((f) => f());
  post({ type: 'deployment-stopped', deployId: dep.deployId });
}

self.onmessage = (ev: MessageEvent<EngineRequest>) => {
  const m = ev.data;
  try {
    if (m.type === 'start') {
      descriptor = m.descriptor;
      isolated = m.source.kind === 'shared';
      liveSink = openSink(m.sink);
      setFilter(m.filter);
      running = true;
      void loop(openSource(m.source)).catch((e) => post({ type: 'error', message: errorMessage(e) }));
      post({ type: 'started' });
    } else if (m.type === 'set-filter') {
      setFilter(m.filter);
    } else if (m.type === 'set-fnirs') {
      fnirs?.setShortChannelRegression(m.shortChannelRegression);
    } else if (m.type === 'stop') {
      running = false;
    } else if (m.type === 'run-pipeline') {
      runPipeline(m.runId, m.doc);
    } else if (m.type === 'stop-pipeline') {
      if (user?.runId === m.runId) stopUser();
    } else if (m.type === 'set-pipeline-params') {
      setPipelineParams(m);
    } else if (m.type === 'deploy-model') {
      void deployModel(m.deployId, m.doc).catch((e) => post({ type: 'deployment-error', deployId: m.deployId, message: errorMessage(e) }));
    } else if (m.type === 'stop-deployment') {
      if (deployWanted === m.deployId) deployWanted = 0;
      if (deployed?.deployId === m.deployId) stopDeployment();
      else post({ type: 'deployment-stopped', deployId: m.deployId });
    } else if (m.type === 'fit-pipeline') {
      const run = user;
      if (run?.runId === m.runId) {
        try {
          run.graph.ex.fit();
        } catch (e) {
          run.graph.ex.log(40, `fit: ${errorMessage(e)}`);
        }
        report(run);
      }
    }
  } catch (e) {
    if (m.type === 'run-pipeline') post({ type: 'pipeline-error', runId: m.runId, message: errorMessage(e) });
    else post({ type: 'error', message: errorMessage(e) });
  }
};
