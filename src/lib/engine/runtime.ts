// Execution runtime: one loaded pipeline with its live node instances, driven online (by data
// arrival; the tick rate only bounds how long an idle loop sleeps) or offline (a recording as fast
// as the CPU allows). Runs in the engine worker or in Node; never on the page's main thread.
// `step()` is the hot path: no allocation besides what nodes produce; no awaits inside a step.
import { InputError, StateError, errorMessage } from '../core/errors';
import { compilePipeline, type ExecutionPlan, type PlanNode } from './compiler';
import {
  parsePipelineDocument,
  PipelineError,
  type PipelineDocument,
  type PipelineEdge,
  type PipelineNode,
} from './document';
import type { MarkerEvent } from '../core/stream';
import { axisLength, timeAxis } from './axes';
import { sameStream } from './block';
import { refusalOfPacket, topologicalOrder } from './graph';
import { MarkerQueue } from './nodes/io';
import { concatPackets, packetItems, type Chunk, type Packet } from './packet';
import { findParam, resolveParams } from './params';
import type { NodeRegistry } from './registry';
import { LogLevel, type ChunkLayout, type InputMeta, type NodeClass, type NodeContext, type NodeInstance, type PortValues } from './types';

export type ErrorMode = 'ignore' | 'stop' | 'debug';
export type ExecutionStatus = 'pending' | 'calibrating' | 'running' | 'paused' | 'stopped' | 'succeeded' | 'failed';

export interface ExecutionInfo {
  /** Python logging level threshold: 10 DEBUG … 50 CRITICAL. */
  logLevel: number;
  /** NeuroPype semantics (API.md §7.6): ignore = log and continue; stop = halt, status failed; debug = stop + stack at DEBUG. */
  errorMode: ErrorMode;
  /** Hz. Online: longest idle sleep is 1/tickRateHz; data is processed as soon as it arrives. */
  tickRateHz: number;
}

export const DEFAULT_EXECUTION_INFO: ExecutionInfo = { logLevel: 20, errorMode: 'ignore', tickRateHz: 25 };

/** NeuroPype's ExecutionState (API.md §7.2). */
export interface ExecutionState {
  running: boolean;
  paused: boolean;
  completed: boolean;
  calibrating: boolean;
  needs_keepalive: boolean;
  had_errors: boolean;
  status: ExecutionStatus;
}

export interface LogRecord {
  id: number;
  level: number;
  message: string;
  /** Seconds since the epoch (NeuroPype convention). */
  time: number;
  /** Logger name, e.g. "neurotab.nodes.IIRFilter". */
  name: string;
  nodeId: string | null;
}

export interface ErrorRecord {
  id: number;
  time: number;
  nodeId: string | null;
  nodeType: string | null;
  message: string;
  traceback: string | null;
  fatal: boolean;
}

export interface NodeMetrics {
  nodeId: string;
  type: string;
  /** process() calls that received input (or pulls that produced output for sources). */
  calls: number;
  /** Items received: elements along the instance (else time) axis of each chunk: frames, marker events, epochs. */
  itemsIn: number;
  itemsOut: number;
  errors: number;
  /** Wall time spent inside the node, ms. */
  timeMs: number;
}

export interface ExecutionOptions {
  info?: Partial<ExecutionInfo>;
  /** Max retained log records (oldest dropped first). */
  logCapacity?: number;
}

export type PacketTap = (packet: Packet, nodeId: string, port: string) => void;

const KEEPALIVE_MS = 5000;
/** Online loops running in this thread (blocking waits only when there is one). */
let onlineLoops = 0;

export class Execution {
  readonly info: ExecutionInfo;
  private status: ExecutionStatus = 'pending';
  private completed = false;
  private hadErrors = false;
  private needsKeepalive = false;
  private lastPingMs = performance.now();
  private plan: ExecutionPlan | undefined;
  private readonly bindings = new Map<string, unknown>();
  private readonly metricsById = new Map<string, NodeMetrics>();
  private readonly inputMeta = new Map<string, InputMeta>();
  /** node id → port → taps (two lookups, no key string built per packet). */
  private readonly taps = new Map<string, Map<string, PacketTap[]>>();
  private readonly repeats = new Map<string, { message: string; count: number }>();
  private readonly logRecords: LogRecord[] = [];
  private readonly errorRecords: ErrorRecord[] = [];
  private nextLogId = 0;
  private nextErrorId = 0;
  private readonly logCapacity: number;
  private isOffline = false;
  /** Per-step outputs by plan position, and each node's reused inputs object (rebuilt when the plan changes). */
  private stepOut: (PortValues | undefined)[] = [];
  private stepIn: PortValues[] = [];
  private stepPlan: ExecutionPlan | undefined;
  /** Metrics by plan position (same objects as in metricsById). */
  private stepMetrics: (NodeMetrics | undefined)[] = [];

  constructor(
    readonly registry: NodeRegistry,
    opts: ExecutionOptions = {},
  ) {
    const info = { ...DEFAULT_EXECUTION_INFO, ...opts.info };
    if (!['ignore', 'stop', 'debug'].includes(info.errorMode)) throw new InputError(`error_mode must be ignore, stop or debug, not "${info.errorMode}"`);
    if (!(info.tickRateHz > 0) || !Number.isFinite(info.tickRateHz)) throw new InputError(`tickrate must be a positive number of Hz, not ${info.tickRateHz}`);
    if (!Number.isInteger(info.logLevel)) throw new InputError(`log_level must be an integer (10 DEBUG … 50 CRITICAL), not ${info.logLevel}`);
    this.info = info;
    this.logCapacity = opts.logCapacity ?? 10_000;
  }

  // ------------------------------------------------------------------ loading and graph editing

  /**
   * Loads a pipeline (document object or JSON text), replacing the current one; bindings are
   * dropped (bind the new source/sink nodes after loading). On any error nothing changes and a
   * PipelineError is thrown.
   */
  load(input: unknown): void {
    const doc = parsePipelineDocument(input);
    const bindings = new Map(this.bindings);
    this.bindings.clear();
    let plan: ExecutionPlan;
    try {
      plan = this.compile(doc, undefined);
    } catch (e) {
      for (const [k, v] of bindings) this.bindings.set(k, v);
      throw e;
    }
    if (this.isActive()) this.stop();
    this.plan = plan;
    this.metricsById.clear();
    this.inputMeta.clear();
    this.status = 'pending';
    this.completed = false;
    this.log(LogLevel.INFO, `loaded pipeline "${doc.meta.name}" (${doc.nodes.length} nodes, ${doc.edges.length} edges)`);
  }

  /** Removes the pipeline (stops it first). */
  unload(): void {
    if (this.isActive()) this.stop();
    this.plan = undefined;
    this.status = 'pending';
  }

  get loaded(): boolean {
    return this.plan !== undefined;
  }

  /** A copy of the current document (parameter values as currently applied). */
  get document(): PipelineDocument | undefined {
    return this.plan ? structuredClone(this.plan.doc) : undefined;
  }

  /** Class of a node in the loaded pipeline. */
  nodeClass(nodeId: string): NodeClass {
    return this.node(nodeId).cls;
  }

  /** Applies an edit to a copy of the document; rejected (and nothing running disturbed) when it would break the pipeline. */
  edit(mutate: (doc: PipelineDocument) => void): void {
    const plan = this.requirePlan();
    const draft = structuredClone(plan.doc);
    mutate(draft);
    const doc = parsePipelineDocument(draft);
    const next = this.compile(doc, plan);
    this.dryRun(next, plan);
    this.plan = next;
    this.resetModelsDownstreamOfChanges(next, plan);
    for (const id of [...this.metricsById.keys()]) if (!next.byId.has(id)) this.metricsById.delete(id);
  }

  addNode(node: { id: string; type: string; params?: Record<string, unknown>; title?: string }): void {
    this.edit((d) => {
      if (d.nodes.some((n) => n.id === node.id)) throw new InputError(`node "${node.id}" already exists`);
      d.nodes.push({ id: node.id, type: node.type, params: node.params ?? {}, title: node.title });
    });
  }

  removeNode(nodeId: string): void {
    this.node(nodeId);
    this.edit((d) => {
      d.nodes = d.nodes.filter((n) => n.id !== nodeId);
      d.edges = d.edges.filter((e) => e.source !== nodeId && e.target !== nodeId);
    });
    this.bindings.delete(nodeId);
  }

  addEdge(edge: { source: string; sourcePort?: string; target: string; targetPort?: string }): PipelineEdge {
    const e: PipelineEdge = { source: edge.source, sourcePort: edge.sourcePort ?? 'data', target: edge.target, targetPort: edge.targetPort ?? 'data' };
    this.edit((d) => void d.edges.push(e));
    return e;
  }

  removeEdge(edge: PipelineEdge): void {
    const plan = this.requirePlan();
    const same = (x: PipelineEdge) => x.source === edge.source && x.sourcePort === edge.sourcePort && x.target === edge.target && x.targetPort === edge.targetPort;
    if (!plan.doc.edges.some(same)) throw new InputError(`no edge ${edge.source}.${edge.sourcePort} → ${edge.target}.${edge.targetPort}`);
    this.edit((d) => void (d.edges = d.edges.filter((x) => !same(x))));
  }

  nodes(): PipelineNode[] {
    return this.requirePlan().doc.nodes.map((n) => structuredClone(n));
  }

  edges(): PipelineEdge[] {
    return this.requirePlan().doc.edges.map((e) => ({ ...e }));
  }

  // ------------------------------------------------------------------ parameters

  /** Current value of a parameter (resolved: defaults included). */
  getParam(nodeId: string, name: string): unknown {
    const n = this.node(nodeId);
    const spec = findParam(n.cls, name);
    if (!spec) throw new InputError(`${n.cls.type} has no parameter "${name}"`, `node "${nodeId}"`);
    return structuredClone(n.params[spec.name]);
  }

  /** All resolved parameters of a node. */
  getParams(nodeId: string): Record<string, unknown> {
    return structuredClone(this.node(nodeId).params);
  }

  /**
   * Changes parameters of one node, live. Validated against the domain and against the data the
   * node is currently receiving; on failure an InputError is thrown and the running node is untouched.
   */
  setParams(nodeId: string, values: Record<string, unknown>): void {
    const n = this.node(nodeId);
    for (const name of Object.keys(values)) {
      const spec = findParam(n.cls, name);
      if (!spec) throw new InputError(`${n.cls.type} has no parameter "${name}"`, `node "${nodeId}"`);
      if (spec.live === false && this.isActive()) throw new InputError(`parameter "${spec.name}" of ${n.cls.type} cannot change while running; stop first`, `node "${nodeId}"`);
    }
    resolveParams(n.cls, { ...n.params, ...values }, `node "${nodeId}"`);
    this.edit((d) => {
      const dn = d.nodes.find((x) => x.id === nodeId)!;
      for (const [k, v] of Object.entries(values)) dn.params[findParam(n.cls, k)!.name] = v;
    });
    this.log(LogLevel.INFO, `parameters changed: ${Object.keys(values).join(', ')}`, nodeId);
  }

  setParam(nodeId: string, name: string, value: unknown): void {
    this.setParams(nodeId, { [name]: value });
  }

  /** ParameterPort nodes: the pipeline's public settings. */
  parameterPorts(): { nodeId: string; name: string; value: unknown; valueType: string }[] {
    const plan = this.requirePlan();
    return plan.order
      .filter((n) => n.cls.type === 'workflow.parameter-port')
      .map((n) => ({ nodeId: n.id, name: String(n.params.internal_name), value: structuredClone(n.params.value), valueType: String(n.params.value_type) }));
  }

  /**
   * NeuroPype `configure`: `{ <ParameterPort name>: value }`. All values are applied together or
   * none is (InputError). Unknown names are returned (and logged at WARNING), not an error.
   */
  configure(values: Record<string, unknown>): { ignored: string[] } {
    const ports = this.parameterPorts();
    const ignored: string[] = [];
    const changes = new Map<string, unknown>();
    for (const [name, value] of Object.entries(values)) {
      const port = ports.find((p) => p.name === name);
      if (!port) {
        ignored.push(name);
        continue;
      }
      changes.set(port.nodeId, value);
    }
    if (changes.size) {
      this.edit((d) => {
        for (const [id, value] of changes) d.nodes.find((x) => x.id === id)!.params.value = value;
      });
      this.log(LogLevel.INFO, `configured ${[...changes.keys()].join(', ')}`);
    }
    for (const name of ignored) this.log(LogLevel.WARNING, `configure: no ParameterPort named "${name}"; ignored`);
    return { ignored };
  }

  // ------------------------------------------------------------------ bindings and taps

  /** Attaches a ring reader/writer, a recording or a marker queue to a source/sink node. */
  bind(nodeId: string, binding: unknown): void {
    const n = this.node(nodeId);
    if (!n.instance.bind) throw new InputError(`${n.cls.type} takes no binding (only input/output nodes do)`, `node "${nodeId}"`);
    n.instance.bind(binding);
    this.bindings.set(nodeId, binding);
  }

  /** Feeds marker events to an io.marker-input node (binds a MarkerQueue on first use). */
  pushMarkers(nodeId: string, events: MarkerEvent | MarkerEvent[]): void {
    let q = this.bindings.get(nodeId);
    if (!(q instanceof MarkerQueue)) {
      q = new MarkerQueue();
      this.bind(nodeId, q);
    }
    (q as MarkerQueue).push(events);
  }

  /** Calls `tap` with every packet a node emits on `port`. Returns an unsubscribe function. */
  tap(nodeId: string, port: string, tap: PacketTap): () => void {
    let ports = this.taps.get(nodeId);
    if (!ports) this.taps.set(nodeId, (ports = new Map()));
    let list = ports.get(port);
    if (!list) ports.set(port, (list = []));
    list.push(tap);
    return () => list.splice(list.indexOf(tap), 1);
  }

  /** Latest values of an inspect/probe node (or whatever a node exposes through peek). */
  peek(nodeId: string): unknown {
    const n = this.node(nodeId);
    if (!n.instance.peek) throw new InputError(`${n.cls.type} keeps no values to inspect`, `node "${nodeId}"`);
    return n.instance.peek();
  }

  // ------------------------------------------------------------------ lifecycle

  play(): void {
    this.requirePlan();
    if (this.status === 'running' || this.status === 'calibrating') return;
    if (this.status === 'paused') return this.resume();
    if (this.status !== 'pending') this.resetAll();
    this.completed = false;
    this.status = this.hasUnfittedTrainable() ? 'calibrating' : 'running';
    this.lastPingMs = performance.now();
    this.log(LogLevel.INFO, 'started');
  }

  pause(): void {
    if (this.status === 'paused') return;
    if (!this.isActive()) throw new StateError(`cannot pause a ${this.status} execution`);
    this.status = 'paused';
  }

  resume(): void {
    if (this.status === 'running' || this.status === 'calibrating') return;
    if (this.status !== 'paused') throw new StateError(`cannot resume a ${this.status} execution`);
    this.status = this.hasUnfittedTrainable() ? 'calibrating' : 'running';
  }

  stop(): void {
    if (this.status === 'stopped') return;
    if (this.status === 'running' || this.status === 'calibrating' || this.status === 'paused') {
      this.status = 'stopped';
      this.log(LogLevel.INFO, 'stopped');
    }
  }

  /** Marks the run finished (NeuroPype `completed`). */
  complete(): void {
    this.status = 'succeeded';
    this.completed = true;
  }

  keepalive(): void {
    this.lastPingMs = performance.now();
  }

  setNeedsKeepalive(on: boolean): void {
    this.needsKeepalive = on;
    this.lastPingMs = performance.now();
  }

  state(): ExecutionState {
    this.checkKeepalive();
    const s = this.status;
    return {
      running: s === 'running' || s === 'calibrating' || s === 'paused',
      paused: s === 'paused' || s === 'pending',
      completed: this.completed,
      calibrating: s === 'calibrating',
      needs_keepalive: this.needsKeepalive,
      had_errors: this.hadErrors,
      status: s,
    };
  }

  get currentStatus(): ExecutionStatus {
    return this.status;
  }

  /** Clears every node's state (filters, buffers) and rewinds recordings; fitted models are kept. */
  resetAll(): void {
    for (const n of this.plan?.order ?? []) n.instance.reset();
    this.inputMeta.clear();
    this.repeats.clear();
  }

  /** Drops collected calibration data and fitted models of every trainable node (recalibrate). */
  clearCalibration(): void {
    for (const n of this.plan?.order ?? []) n.instance.trainable?.clear();
    if (this.status === 'running' && this.hasUnfittedTrainable()) this.status = 'calibrating';
  }

  // ------------------------------------------------------------------ processing

  /**
   * One round: pull every source, run each node once (topological order) on what arrived.
   * Returns the number of source nodes that produced data. Hot path.
   */
  step(): number {
    const plan = this.plan;
    if (!plan || !(this.status === 'running' || this.status === 'calibrating')) return 0;
    if (this.needsKeepalive && this.checkKeepalive()) return 0;
    const out = this.stepBuffers(plan);
    const order = plan.order;
    let produced = 0;
    for (let i = 0; i < order.length; i++) {
      const n = order[i];
      if (n.cls.source) {
        const r = this.runNode(n, undefined, 'pull');
        if (r) {
          out[i] = r;
          produced++;
        }
      } else if (n.inputs.length) {
        const inputs = this.gather(n, out);
        if (inputs) {
          const r = this.runNode(n, inputs, 'process');
          if (r) out[i] = r;
        }
      }
      if (this.isFailed()) return produced;
    }
    if (this.status === 'calibrating' && !this.hasUnfittedTrainable()) {
      this.status = 'running';
      this.log(LogLevel.INFO, 'calibration finished; predicting');
    }
    return produced;
  }

  /** End of input: every node emits what it held back (zero-phase filters, partial windows). */
  flush(): void {
    const plan = this.plan;
    if (!plan) return;
    const out = this.stepBuffers(plan);
    for (const n of plan.order) {
      let result: PortValues | undefined;
      const inputs = n.cls.source ? undefined : this.gather(n, out);
      if (inputs) result = this.runNode(n, inputs, 'process');
      if (this.isFailed()) return;
      const flushed = this.runNode(n, undefined, 'flush');
      if (flushed) {
        if (!result) result = flushed;
        else for (const [k, v] of Object.entries(flushed)) if (v) result[k] = result[k] ? concatPackets(result[k]!, v) : v;
      }
      if (result) out[n.index] = result;
    }
  }

  /** The per-step output slots, cleared (HOT PATH: allocates only when the plan changed). */
  private stepBuffers(plan: ExecutionPlan): (PortValues | undefined)[] {
    if (this.stepPlan !== plan) {
      this.stepPlan = plan;
      this.stepOut = new Array<PortValues | undefined>(plan.order.length).fill(undefined);
      this.stepIn = plan.order.map(() => ({}));
      this.stepMetrics = new Array<NodeMetrics | undefined>(plan.order.length).fill(undefined);
    } else this.stepOut.fill(undefined);
    return this.stepOut;
  }

  /** True when every source is exhausted (offline). */
  sourcesDone(): boolean {
    const sources = this.requirePlan().order.filter((n) => n.cls.source);
    return sources.every((n) => n.instance.done === true);
  }

  /**
   * Runs all bound recordings through the graph as fast as possible, then flushes.
   * `calibration: 'two-pass'` (default when the pipeline has trainable nodes): a first pass
   * collects labelled data and fits, a second pass predicts (NeuroPype's offline model).
   */
  runOffline(opts: { onProgress?: (fraction: number) => void; calibration?: 'two-pass' | 'online' } = {}): void {
    const plan = this.requirePlan();
    this.isOffline = true;
    try {
      this.resetAll(); // a second run starts from the beginning of every recording
      const trainable = plan.order.filter((n) => n.instance.trainable);
      const twoPass = trainable.length > 0 && (opts.calibration ?? 'two-pass') === 'two-pass';
      if (twoPass) {
        this.status = 'pending';
        this.play();
        this.drain((f) => opts.onProgress?.(f / 2));
        if (this.isFailed()) return;
        for (const n of trainable) if (!n.instance.trainable!.fitted) this.fitNode(n);
        for (const n of plan.order) n.instance.reset();
        this.status = 'running';
        this.drain((f) => opts.onProgress?.(0.5 + f / 2));
      } else {
        this.status = 'pending';
        this.play();
        this.drain((f) => opts.onProgress?.(f));
      }
      if (!this.isFailed()) this.complete();
    } finally {
      this.isOffline = false;
    }
  }

  private drain(onProgress: (f: number) => void): void {
    const sources = this.requirePlan().order.filter((n) => n.cls.source);
    let steps = 0;
    while (!this.sourcesDone() && !this.isFailed()) {
      const produced = this.step();
      if (produced === 0 && !this.sourcesDone()) throw new StateError('offline run stalled: a source produced nothing but is not done (is every recording bound?)');
      if (++steps % 16 === 0) onProgress(progressOf(sources));
    }
    if (!this.isFailed()) this.flush();
    onProgress(1);
  }

  /**
   * Online loop: processes as soon as any source has data; sleeps at most 1/tickRate when idle.
   * Ends when `signal` aborts, the execution stops or fails, or all finite sources are done.
   *
   * Waiting: by default (`blockMs` 0) it awaits the sources' asynchronous waits (Atomics.waitAsync,
   * queue listeners), so the thread stays free for other work — the API backend's thread answers
   * calls and runs several executions. A thread dedicated to one pipeline (a benchmark, a batch
   * job) passes `blockMs` > 0: when this is the only online loop in the thread and the pipeline has
   * a single source that can block (a stream input on a shared ring, in a worker thread or Node),
   * the loop sleeps in Atomics.wait on the ring and wakes within microseconds of a push, without a
   * trip through the event loop, yielding to the event loop (messages, timers, `signal`) at least
   * every `blockMs`.
   */
  async runOnline(signal?: AbortSignal, opts: { blockMs?: number } = {}): Promise<void> {
    this.requirePlan();
    onlineLoops++;
    try {
      await this.onlineLoop(signal, opts.blockMs ?? 0);
    } finally {
      onlineLoops--;
    }
  }

  private async onlineLoop(signal: AbortSignal | undefined, blockMsOpt: number): Promise<void> {
    if (!this.isActive()) this.play();
    const idleMs = 1000 / this.info.tickRateHz;
    const blockMs = Math.min(blockMsOpt, idleMs);
    let plan: ExecutionPlan | undefined;
    let sources: PlanNode[] = [];
    let lastYield = performance.now();
    while (!signal?.aborted && this.isActive()) {
      if (this.plan !== plan) {
        plan = this.requirePlan();
        sources = plan.order.filter((n) => n.cls.source);
      }
      if (this.status === 'paused') {
        await sleep(idleMs);
        lastYield = performance.now();
        continue;
      }
      const produced = this.step();
      if (sources.length && sources.every((n) => n.instance.done === true)) {
        this.flush();
        this.complete();
        break;
      }
      if (produced > 0 && performance.now() - lastYield < blockMs) continue;
      if (produced === 0 && blockMs > 0 && onlineLoops === 1 && sources.length === 1 && sources[0].instance.waitForDataSync) {
        const left = blockMs - (performance.now() - lastYield);
        if (left > 0 && sources[0].instance.waitForDataSync(left)) continue;
        if (left <= 0 || sources[0].instance.waitForDataSync(0)) {
          await yieldToEventLoop();
          lastYield = performance.now();
          continue;
        }
      }
      if (produced === 0) {
        const waits = sources.filter((n) => n.instance.waitForData).map((n) => n.instance.waitForData!(idleMs));
        await (waits.length ? Promise.race([...waits, sleep(idleMs)]) : sleep(idleMs));
      } else await yieldToEventLoop();
      lastYield = performance.now();
    }
  }

  // ------------------------------------------------------------------ calibration

  /** Fits one trainable node (or all) on the data collected so far. */
  fit(nodeId?: string): void {
    const plan = this.requirePlan();
    const targets = nodeId ? [this.node(nodeId)] : plan.order.filter((n) => n.instance.trainable);
    for (const n of targets) {
      if (!n.instance.trainable) throw new InputError(`${n.cls.type} is not trainable`, `node "${n.id}"`);
      this.fitNode(n);
    }
    if (this.status === 'calibrating' && !this.hasUnfittedTrainable()) this.status = 'running';
  }

  /** Models of all trainable nodes (JSON), keyed by node id, to save a calibrated pipeline. */
  exportModels(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const n of this.requirePlan().order) if (n.instance.trainable?.fitted) out[n.id] = n.instance.trainable.exportModel();
    return out;
  }

  importModels(models: Record<string, unknown>): void {
    for (const [id, model] of Object.entries(models)) {
      const n = this.node(id);
      if (!n.instance.trainable) throw new InputError(`${n.cls.type} is not trainable`, `node "${id}"`);
      n.instance.trainable.importModel(model);
    }
  }

  private fitNode(n: PlanNode): void {
    const t = n.instance.trainable!;
    const collected = t.collected;
    try {
      t.fit();
      this.log(LogLevel.INFO, `fitted on ${collected} labelled items`, n.id);
    } catch (e) {
      this.nodeError(n, e);
    }
  }

  private hasUnfittedTrainable(): boolean {
    return (this.plan?.order ?? []).some((n) => n.instance.trainable && !n.instance.trainable.fitted);
  }

  // ------------------------------------------------------------------ logs, errors, metrics

  /** Log records with id ≥ fromId (ascending), at most `max`. */
  logs(fromId = 0, max = 1000): LogRecord[] {
    const out: LogRecord[] = [];
    for (const r of this.logRecords) if (r.id >= fromId && out.length < max) out.push(r);
    return out;
  }

  errors(fromId = 0): ErrorRecord[] {
    return this.errorRecords.filter((r) => r.id >= fromId);
  }

  metrics(): NodeMetrics[] {
    return (this.plan?.order ?? []).map((n) => ({ ...this.metricOf(n) }));
  }

  /** Appends a log record if `level` ≥ the execution's log level. */
  log(level: number, message: string, nodeId: string | null = null): void {
    if (level < this.info.logLevel) return;
    const cls = nodeId ? this.plan?.byId.get(nodeId)?.cls : undefined;
    const name = cls ? `neurotab.nodes.${cls.neuropype?.class ?? cls.type}` : 'neurotab.engine';
    const prefix = cls ? `${nodeId} (${cls.neuropype?.class ?? cls.type}): ` : '';
    this.logRecords.push({ id: this.nextLogId++, level, message: prefix + message, time: Date.now() / 1000, name, nodeId });
    if (this.logRecords.length > this.logCapacity) this.logRecords.splice(0, this.logRecords.length - this.logCapacity);
  }

  // ------------------------------------------------------------------ internals

  private compile(doc: PipelineDocument, previous: ExecutionPlan | undefined): ExecutionPlan {
    const applied = applyParameterPorts(doc, this.registry);
    const fresh: string[] = [];
    const plan = compilePipeline(applied, this.registry, {
      instantiate: ({ id, cls, params }) => {
        const old = previous?.byId.get(id);
        if (old && old.cls === cls && sameJson(old.params, params)) return old.instance;
        const instance = cls.create(params, this.contextFor(id));
        const meta = this.inputMeta.get(id);
        if (meta && instance.check) instance.check(meta);
        const binding = this.bindings.get(id);
        if (binding !== undefined && instance.bind) instance.bind(binding);
        fresh.push(id);
        return instance;
      },
    });
    plan.doc = doc;
    return plan;
  }

  /**
   * NeuroPype: a trainable node's model is reset when the graph upstream of it changes, unless it
   * keeps it (`dont_reset_model`, TrainableState.keepOnUpstreamChange).
   */
  private resetModelsDownstreamOfChanges(next: ExecutionPlan, previous: ExecutionPlan): void {
    const changed = this.changedOrDownstream(next, previous);
    for (const n of next.order) {
      const t = n.instance.trainable;
      if (!t || t.keepOnUpstreamChange || previous.byId.get(n.id)?.instance !== n.instance) continue;
      if (n.inputs.some((l) => changed.has(l.sourceId)) && (t.fitted || t.collected)) {
        t.clear();
        this.log(LogLevel.INFO, 'the graph upstream changed: model and calibration data reset (set dont_reset_model to keep them)', n.id);
      }
    }
  }

  /** Ids of nodes that are new or rebuilt in `next`, and of every node downstream of one. */
  private changedOrDownstream(next: ExecutionPlan, previous: ExecutionPlan): Set<string> {
    const reach = new Set<string>();
    for (const n of next.order) {
      const old = previous.byId.get(n.id);
      if (!old || old.instance !== n.instance || n.inputs.some((l) => reach.has(l.sourceId)) || !sameLinks(old, n)) reach.add(n.id);
    }
    return reach;
  }

  /**
   * Before a live edit takes effect: runs throwaway copies of every changed node and everything
   * downstream of it on one frame shaped like the data each node last received, so an edit that
   * would break a downstream node (a channel it needs removed, a corner above a new Nyquist) is
   * rejected before anything running is touched. Nodes that need more than one frame to emit
   * (windows, epochs) end the propagation.
   */
  private dryRun(next: ExecutionPlan, previous: ExecutionPlan): void {
    if (!this.inputMeta.size) return;
    const reach = this.changedOrDownstream(next, previous);
    const outs = new Map<string, PortValues>();
    const quiet: NodeContext = { nodeId: '', log: () => {}, offline: this.isOffline };
    const issues: { path: string; nodeId: string; message: string }[] = [];
    for (const n of next.order) {
      if (!reach.has(n.id) || n.cls.source || !n.inputs.length) continue;
      const meta = this.inputMeta.get(n.id);
      const inputs: PortValues = {};
      let any = false;
      for (const link of n.inputs) {
        let p = outs.get(link.sourceId)?.[link.sourcePort];
        if (!p && !reach.has(link.sourceId)) p = syntheticPacket(meta?.[link.port]);
        if (p) {
          inputs[link.port] = p;
          any = true;
        }
      }
      if (!any) continue;
      try {
        const inst = n.cls.create(n.params, { ...quiet, nodeId: n.id });
        const r = inst.process(inputs);
        if (r) outs.set(n.id, r);
      } catch (e) {
        issues.push({ path: 'nodes', nodeId: n.id, message: `the change would break this node: ${errorMessage(e)}` });
      }
    }
    if (issues.length) throw new PipelineError(issues);
  }

  private contextFor(nodeId: string): NodeContext {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      nodeId,
      log: (level, message) => self.log(level, message, nodeId),
      get offline() {
        return self.isOffline;
      },
      isWired: (port) => self.plan?.byId.get(nodeId)?.inputs.some((l) => l.port === port) ?? true,
    };
  }

  /** What reached a node this step, in its reused inputs object; undefined when nothing did. HOT PATH. */
  private gather(n: PlanNode, out: (PortValues | undefined)[]): PortValues | undefined {
    const inputs = this.stepIn[n.index];
    const links = n.inputs;
    let any = false;
    for (let i = 0; i < links.length; i++) {
      const link = links[i];
      const p = out[link.sourceIndex]?.[link.sourcePort];
      inputs[link.port] = p;
      if (p) any = true;
    }
    return any ? inputs : undefined;
  }

  private runNode(n: PlanNode, inputs: PortValues | undefined, op: 'pull' | 'process' | 'flush'): PortValues | undefined {
    const m = this.metricOf(n);
    const t0 = performance.now();
    let result: PortValues | void | undefined;
    try {
      if (op === 'pull') result = n.instance.pull?.();
      else if (op === 'flush') result = n.instance.flush?.();
      else {
        this.noteInputs(n, inputs!, m);
        result = n.instance.process(inputs!);
      }
    } catch (e) {
      m.errors++;
      m.timeMs += performance.now() - t0;
      this.nodeError(n, e);
      return undefined;
    }
    m.timeMs += performance.now() - t0;
    if (!result) return undefined;
    let any = false;
    const ports = this.taps.size ? this.taps.get(n.id) : undefined;
    for (const k in result) {
      const p = result[k];
      if (!p) continue;
      any = true;
      m.itemsOut += packetItems(p);
      const taps = ports?.get(k);
      if (taps) for (let i = 0; i < taps.length; i++) taps[i](p, n.id, k);
    }
    if (any || op === 'process') m.calls++;
    return any ? (result as PortValues) : undefined;
  }

  /**
   * Counts items and remembers the chunk layouts each input port last carried (for live-edit
   * checks); a port whose shape was unknown at load is checked against what it accepts whenever
   * the layout changes (first packet included). HOT PATH: no allocation while layouts stay the same.
   */
  private noteInputs(n: PlanNode, inputs: PortValues, m: NodeMetrics): void {
    let meta = this.inputMeta.get(n.id);
    if (!meta) this.inputMeta.set(n.id, (meta = {}));
    const links = n.inputs;
    for (let i = 0; i < links.length; i++) {
      const link = links[i];
      const p = inputs[link.port];
      if (!p) continue;
      m.itemsIn += packetItems(p);
      const prev = meta[link.port];
      if (prev && sameLayouts(prev, p)) continue;
      meta[link.port] = layoutsOf(p);
      if (n.deferredPorts.length && n.deferredPorts.includes(link.port)) {
        const port = n.cls.inputs.find((x) => x.name === link.port)!;
        const why = refusalOfPacket(n.cls, port, n.params, p, `${link.sourceId}.${link.sourcePort}`);
        if (why) {
          meta[link.port] = undefined;
          throw new InputError(why);
        }
      }
    }
  }

  private nodeError(n: PlanNode, e: unknown): void {
    this.hadErrors = true;
    const message = errorMessage(e);
    const stack = e instanceof Error ? (e.stack ?? null) : null;
    const fatal = this.info.errorMode !== 'ignore';
    // error_mode=ignore with a node failing on every chunk: keep the first 20 identical errors, then one note
    const rep = this.repeats.get(n.id);
    if (!fatal && rep && rep.message === message) {
      if (++rep.count === 20) this.log(LogLevel.WARNING, `the same error repeats; further occurrences are counted in metrics only`, n.id);
      if (rep.count >= 20) return;
    } else this.repeats.set(n.id, { message, count: 1 });
    this.errorRecords.push({ id: this.nextErrorId++, time: Date.now() / 1000, nodeId: n.id, nodeType: n.cls.neuropype?.class ?? n.cls.type, message, traceback: stack, fatal });
    if (this.errorRecords.length > 1000) this.errorRecords.shift();
    this.log(LogLevel.ERROR, message + (stack && this.info.errorMode === 'ignore' ? `\n${stack}` : ''), n.id);
    if (this.info.errorMode === 'debug' && stack) this.log(LogLevel.DEBUG, stack, n.id);
    if (fatal) {
      this.status = 'failed';
      this.log(LogLevel.CRITICAL, `execution halted (error_mode=${this.info.errorMode})`, n.id);
    }
  }

  private metricOf(n: PlanNode): NodeMetrics {
    const cached = this.stepPlan === this.plan ? this.stepMetrics[n.index] : undefined;
    if (cached) return cached;
    let m = this.metricsById.get(n.id);
    if (!m) this.metricsById.set(n.id, (m = { nodeId: n.id, type: n.cls.type, calls: 0, itemsIn: 0, itemsOut: 0, errors: 0, timeMs: 0 }));
    if (this.stepPlan === this.plan && n.index < this.stepMetrics.length) this.stepMetrics[n.index] = m;
    return m;
  }

  private checkKeepalive(): boolean {
    if (this.needsKeepalive && this.isActive() && performance.now() - this.lastPingMs > KEEPALIVE_MS) {
      this.status = 'stopped';
      this.log(LogLevel.WARNING, 'keepalive expired');
      return true;
    }
    return false;
  }

  private isFailed(): boolean {
    return this.status === 'failed';
  }

  private isActive(): boolean {
    return this.status === 'running' || this.status === 'calibrating' || this.status === 'paused';
  }

  private requirePlan(): ExecutionPlan {
    if (!this.plan) throw new StateError('no pipeline loaded');
    return this.plan;
  }

  private node(nodeId: string): PlanNode {
    const n = this.requirePlan().byId.get(nodeId);
    if (!n) throw new InputError(`no node "${nodeId}" in the pipeline`);
    return n;
  }
}

/**
 * Copies the value of each value output (ParameterPort, NodeClass.values) into the parameters wired
 * to it (NeuroPype §7.9), in topological order, so a value node fed by another (ConstantString →
 * StringConcat → RecordToXDF) computes its value from what it was given.
 */
function applyParameterPorts(doc: PipelineDocument, registry: NodeRegistry): PipelineDocument {
  if (!doc.nodes.some((n) => registry.find(n.type)?.values)) return doc;
  const out = structuredClone(doc);
  const byId = new Map(out.nodes.map((n) => [n.id, n]));
  const values = new Map<string, Record<string, unknown>>();
  for (const id of topologicalOrder([...byId.keys()], out.edges).order) {
    const n = byId.get(id)!;
    for (const e of out.edges) {
      const value = e.target === id ? values.get(e.source)?.[e.sourcePort] : undefined;
      if (value !== undefined && value !== null) n.params[e.targetPort] = value;
    }
    const cls = registry.find(n.type);
    if (!cls?.values) continue;
    try {
      values.set(id, cls.values(resolveParams(cls, n.params, '')));
    } catch {
      // the compiler reports the parameters
    }
  }
  return out;
}

/** The layout of each chunk of a packet (allocates; only when a port's layout changes). */
function layoutsOf(p: Packet): ChunkLayout[] {
  return [...p].map(([name, c]) => ({ name, axes: c.block.axes, props: c.props }));
}

/** Same chunk names, each continuing its stream (`sameStream`: an identity check when the axes are the same objects). HOT PATH. */
function sameLayouts(prev: readonly ChunkLayout[], p: Packet): boolean {
  if (prev.length !== p.size) return false;
  let i = 0;
  for (const [name, c] of p) {
    const l = prev[i++];
    if (l.name !== name || !sameStream(l, c.block)) return false;
  }
  return true;
}

/** One zero frame shaped like each continuous chunk a port last received (time without instances); other chunks are left out. */
function syntheticPacket(layouts: readonly ChunkLayout[] | undefined): Packet | undefined {
  if (!layouts) return undefined;
  const out = new Map<string, Chunk>();
  for (const l of layouts) {
    const t = l.axes.findIndex((a) => a.type === 'time');
    if (t < 0 || l.axes.some((a) => a.type === 'instance')) continue;
    const axes = l.axes.map((a, i) => (i === t && a.type === 'time' ? timeAxis(new Float64Array(1), a.nominalRateHz) : a));
    const shape = axes.map((a, i) => (i === t ? 1 : axisLength(a)));
    out.set(l.name, { block: { data: new Float32Array(shape.reduce((x, y) => x * y, 1)), shape, axes }, props: l.props });
  }
  return out.size ? out : undefined;
}

function sameLinks(a: PlanNode, b: PlanNode): boolean {
  return a.inputs.length === b.inputs.length && a.inputs.every((l, i) => l.port === b.inputs[i].port && l.sourceId === b.inputs[i].sourceId && l.sourcePort === b.inputs[i].sourcePort);
}

function progressOf(sources: PlanNode[]): number {
  let p = 1;
  for (const s of sources) {
    const v = (s.instance as { progress?: number }).progress;
    if (typeof v === 'number') p = Math.min(p, v);
  }
  return p;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One macrotask turn (messages and timers run), without setTimeout's 4 ms clamp where avoidable. */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  if (typeof g.setImmediate === 'function') return new Promise((r) => void g.setImmediate!(r));
  if (typeof MessageChannel === 'function') {
    // browsers: one channel, reused (a message is a macrotask, unclamped)
    if (!yieldChannel) {
      yieldChannel = new MessageChannel();
      yieldChannel.port1.onmessage = () => yieldWaiters.shift()?.();
    }
    const ch = yieldChannel;
    return new Promise((r) => {
      yieldWaiters.push(r);
      ch.port2.postMessage(null);
    });
  }
  return sleep(0);
}
let yieldChannel: MessageChannel | undefined;
const yieldWaiters: (() => void)[] = [];

export { PipelineError };
