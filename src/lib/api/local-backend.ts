// The in-process Backend: NeuroPype executions run by the real engine (engine/runtime Execution),
// pipelines from a store (in memory by default; IndexedDB/OPFS stores plug in through PipelineStore).
// Runs where the engine runs: the engine host (page/worker), the bridge, Node tests. Each running
// execution has one online loop; keepalive watchdogs are timers here. Must not render HTTP: it
// returns plain data and throws BackendError; every rejected call leaves state as it was.

import { errorMessage, InputError, StateError } from '../core/errors';
import {
  createBuiltinRegistry,
  emptyPipeline,
  Execution,
  findParam,
  neuropypePortType,
  neuropypeValueDomain,
  neuropypeValueType,
  parsePipelineDocument,
  PipelineError,
  registryResolver,
  resolveParams,
  type NodeClass,
  type NodeRegistry,
  type ParamSpec,
  type PipelineDocument,
  type PipelineEdge,
  type PipelineNode,
} from '../engine/index';
import {
  EncryptedPipelineError,
  DEFAULT_DESCRIPTION,
  pipelineToPyp,
  pypToPipeline,
  readPipelineText,
  UnsupportedNodeClassError,
  writePyp,
  type PypResolver,
  type PypUiInfo,
} from '../formats/pyp';
import {
  BackendError,
  type Backend,
  type BackendStatus,
  type ControlAction,
  type EdgeCreate,
  type ErrorRecord,
  type ExecutionDetails,
  type ExecutionInfo,
  type ExecutionState,
  type ExecutionSummary,
  type GraphDescription,
  type LoadRequest,
  type LogRecord,
  type NodeClassDetails,
  type NodeClassSummary,
  type NodeCreate,
  type NpEdge,
  type NpGraph,
  type NpNode,
  type NpParameter,
  type NpPort,
  type PackageInfo,
  type PipelineFileInfo,
  type StatePatch,
  type ValueType,
} from './backend';
import { MemoryPipelineStore, normalizeKey, PipelineFiles, type PipelineStore } from './pipeline-files';
import { RunLoops } from './run-loops';
import { InstinctStreams, type InstinctStreamStore } from './instinct-streams';
import { SinkHub } from './instinct-sinks';
import type { InstinctNode, InstinctPipe, InstinctSignal, InstinctStreamPatch, InstinctStream } from './instinct-backend';

/** Keepalive period (API.md §7.5). */
export const KEEPALIVE_MS = 5000;
/** Most live executions (API.md §7.3 #4). */
export const EXECUTION_LIMIT = 16;

export const DEFAULT_INFO: ExecutionInfo = { log_level: 20, error_mode: 'ignore', tickrate: 25.0, debug_hooks: [] };

// The pipeline store lives in pipeline-files.ts (the service worker answers store calls itself).
export { MemoryPipelineStore, PipelineFiles, type PipelineStore };

// ---------------------------------------------------------------------------------------------
// Per-execution bookkeeping

interface Slot {
  id: number;
  info: ExecutionInfo;
  ex: Execution;
  /** NeuroPype integer id ↔ document node id. */
  nodeToDoc: Map<number, string>;
  docToNode: Map<string, number>;
  nextNodeId: number;
  /** Edge ids in order of creation. */
  edges: { id: number; source: string; sourcePort: string; target: string; targetPort: string }[];
  nextEdgeId: number;
  uuids: Map<string, string>;
  /** Store key the graph was loaded from (reload/save default). */
  sourceFile?: string;
  loop?: { abort: AbortController; done: Promise<void> };
  /**
   * Legacy PATCH /state flags the runtime has no state for (§7.4): `completed:false` on a finished
   * run and `paused:true` on a stopped one. Shown while the status stays what it was; cleared by any
   * later state change.
   */
  overlay?: { status: string; completed?: boolean; paused?: boolean };
  /** Tail of this execution's call queue: loads, reloads and state changes run one after another (§13 #13). */
  queue: Promise<unknown>;
  keepaliveTimer?: ReturnType<typeof setTimeout>;
}

const CONTROL_STATES = {
  pauseFrom: ['running', 'calibrating', 'paused'],
  resumeFrom: ['running', 'calibrating', 'paused'],
} as const;

/**
 * Node types, besides input/output nodes, whose binding the host supplies: ml.model-predict, whose
 * `model_id` (a saved run in IndexedDB) the host resolves (engine/nodes/model.ts `modelBinding`).
 */
export const HOST_BOUND_TYPES: ReadonlySet<string> = new Set(['ml.model-predict']);

/** What a binder is told about a source/sink node of a freshly loaded graph. */
export interface BindRequest {
  /** NeuroPype execution id, or the Instinct stream id. */
  executionId: number | string;
  /** Document node id ("node3"). */
  nodeId: string;
  /** Our node type ("io.stream-input"). */
  type: string;
  params: Record<string, unknown>;
}

export interface LocalBackendOptions {
  /** Node classes (default: every built-in class). */
  registry?: NodeRegistry;
  /**
   * Supplies the binding of an input/output node (ring reader/writer, recording, marker queue)
   * after each load; undefined = leave unbound. The engine host wires device streams here.
   */
  bind?: (req: BindRequest) => unknown;
  store?: PipelineStore;
  /** Most live executions (default 16). */
  executionLimit?: number;
  /** Random source for execution ids (tests make it deterministic). */
  random?: () => number;
  /** Where Instinct stream definitions persist (default: memory). */
  instinctStore?: InstinctStreamStore;
  /** Publishers of Instinct WebSocket sinks (the host's live endpoints); default: a hub of its own. */
  sinks?: SinkHub;
}

/** Backend running executions in this thread with the real engine. Call dispose() when done. */
export class LocalBackend implements Backend {
  readonly registry: NodeRegistry;
  readonly store: PipelineStore;
  private readonly files: PipelineFiles;
  private readonly slots = new Map<number, Slot>();
  /** Online loops of every execution run here (NeuroPype executions and Instinct streams). */
  readonly runs = new RunLoops();
  private readonly limit: number;
  private readonly random: () => number;
  private readonly resolver: PypResolver;
  private readonly binder?: (req: BindRequest) => unknown;
  /** Instinct streams: same registry, binder and run loops as the executions. */
  readonly instinct: InstinctStreams;
  readonly sinks: SinkHub;
  private readonly watchers = new Set<(executionId: number) => void>();

  constructor(opts: LocalBackendOptions = {}) {
    this.registry = opts.registry ?? createBuiltinRegistry();
    this.binder = opts.bind;
    this.store = opts.store ?? new MemoryPipelineStore();
    this.files = new PipelineFiles(this.store);
    this.limit = opts.executionLimit ?? EXECUTION_LIMIT;
    this.random = opts.random ?? Math.random;
    this.resolver = registryResolver(this.registry);
    this.sinks = opts.sinks ?? new SinkHub();
    this.instinct = new InstinctStreams({ registry: this.registry, runs: this.runs, bind: this.binder, sinks: this.sinks, store: opts.instinctStore });
  }

  async status(): Promise<BackendStatus> {
    return { engine: 'up' };
  }

  /** Stops every loop and timer and forgets all executions. */
  async dispose(): Promise<void> {
    const ids = [...this.slots.keys()];
    for (const id of ids) await this.deleteExecution(id);
    await this.instinct.dispose();
    await this.settle();
  }

  /**
   * Calls `fn` with the execution id after every change to an execution's document (load, reload,
   * configure, node, edge, parameter and description edits, replaceDocument) — how an open editor of
   * that execution learns of edits made through the API. Returns an unsubscribe function.
   */
  watchDocuments(fn: (executionId: number) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** The engine's execution behind an id (for in-process observers: taps, metrics). */
  execution(id: number): Execution {
    return this.slot(id).ex;
  }

  /** A copy of the execution's document (what the engine runs, positions included); undefined when nothing is loaded. */
  document(id: number): PipelineDocument | undefined {
    return this.slot(id).ex.document;
  }

  /**
   * Replaces the execution's document through the engine's live-change path (Execution.edit: a
   * running pipeline keeps the state of unchanged nodes; a change that would break it is refused
   * and nothing changes). Nodes and edges that stay keep their API ids; new ones get fresh ids.
   */
  async replaceDocument(id: number, doc: PipelineDocument): Promise<void> {
    return this.serial(id, (s) => {
      const next = parsePipelineDocument(doc);
      const missing = [...new Set(next.nodes.filter((n) => !this.registry.find(n.type)).map((n) => n.type))].sort();
      if (missing.length) throw toLoadError(new UnsupportedNodeClassError(missing, 'document'));
      const wasLoaded = s.ex.loaded;
      this.ensureGraph(s);
      try {
        s.ex.edit((d) => {
          d.meta = next.meta;
          d.nodes = next.nodes;
          d.edges = next.edges;
          d.ui = next.ui;
        });
      } catch (e) {
        if (!wasLoaded) s.ex.unload();
        throw toLoadError(e);
      }
      const cust = this.customizedOf(s);
      for (const docId of [...s.docToNode.keys()]) {
        if (next.nodes.some((n) => n.id === docId)) continue;
        s.nodeToDoc.delete(s.docToNode.get(docId)!);
        s.docToNode.delete(docId);
        cust.delete(docId);
      }
      for (const n of next.nodes) {
        const known = cust.get(n.id) ?? new Set<string>();
        for (const k of Object.keys(n.params)) known.add(k);
        cust.set(n.id, known);
        if (s.docToNode.has(n.id)) continue;
        const nodeId = s.nextNodeId++;
        s.nodeToDoc.set(nodeId, n.id);
        s.docToNode.set(n.id, nodeId);
        s.uuids.set(n.id, crypto.randomUUID());
        this.bindNode(s, n.id);
      }
      const same = (a: PipelineEdge, b: PipelineEdge) => a.source === b.source && a.sourcePort === b.sourcePort && a.target === b.target && a.targetPort === b.targetPort;
      s.edges = next.edges.map((e) => s.edges.find((r) => same(r, e)) ?? { id: s.nextEdgeId++, ...e });
      this.changed(s);
    });
  }

  /** Online loops currently alive, including those still winding down after a delete (for leak checks). */
  activeLoops(): number {
    return this.runs.active;
  }

  // ------------------------------------------------------------------------------- executions

  async listExecutions(): Promise<ExecutionSummary[]> {
    return [...this.slots.values()]
      .sort((a, b) => a.id - b.id)
      .map((s) => (s.ex.loaded ? { id: s.id, info: { ...s.info }, state: this.stateOf(s) } : { id: s.id }));
  }

  async createExecution(info: Partial<ExecutionInfo>): Promise<ExecutionDetails> {
    const full: ExecutionInfo = { ...DEFAULT_INFO, ...info, debug_hooks: [] };
    if (!['ignore', 'debug', 'stop'].includes(full.error_mode)) throw new BackendError('INVALID_INFO', `error_mode must be 'ignore', 'debug' or 'stop', not ${JSON.stringify(full.error_mode)}`);
    if (typeof full.tickrate !== 'number' || !(full.tickrate > 0) || !Number.isFinite(full.tickrate)) throw new BackendError('INVALID_INFO', `tickrate must be a number of Hz > 0, not ${JSON.stringify(full.tickrate)}`);
    if (!Number.isInteger(full.log_level)) throw new BackendError('INVALID_INFO', `log_level must be an integer Python logging level, not ${JSON.stringify(full.log_level)}`);
    if (this.slots.size >= this.limit) throw new BackendError('EXECUTION_LIMIT', `At most ${this.limit} executions can be live; delete one first (DELETE /executions/{id})`);
    let id: number;
    do id = 1000 + Math.floor(this.random() * 9000);
    while (this.slots.has(id));
    const ex = new Execution(this.registry, { info: { logLevel: full.log_level, errorMode: full.error_mode, tickRateHz: full.tickrate } });
    this.slots.set(id, { id, info: full, ex, nodeToDoc: new Map(), docToNode: new Map(), nextNodeId: 1, edges: [], nextEdgeId: 1, uuids: new Map(), queue: Promise.resolve() });
    return { id, info: { ...full }, errors: [] };
  }

  async getExecution(id: number): Promise<ExecutionDetails> {
    const s = this.slot(id);
    const out: ExecutionDetails = { id, info: { ...s.info }, errors: this.errorsOf(s, 0, 100) };
    if (s.ex.loaded) {
      out.state = this.stateOf(s);
      out.graph = this.graphOf(s);
    }
    return out;
  }

  async deleteExecution(id: number): Promise<void> {
    const s = this.slot(id);
    this.slots.delete(id);
    if (s.keepaliveTimer) clearTimeout(s.keepaliveTimer);
    s.ex.unload();
    // The loop ends at its next wake-up (≤ 1/tickrate); settle() waits for that.
    s.loop?.abort.abort();
    for (const fn of this.watchers) fn(id);
  }

  /** Resolves when every engine loop (also of deleted executions) has ended. */
  settle(): Promise<void> {
    return this.runs.settle();
  }

  async getInfo(id: number): Promise<ExecutionInfo> {
    return { ...this.slot(id).info };
  }

  async getState(id: number): Promise<ExecutionState> {
    return this.stateOf(this.slot(id));
  }

  async patchState(id: number, patch: StatePatch): Promise<ExecutionState> {
    return this.serial(id, (s) => this.patchStateNow(s, patch));
  }

  private patchStateNow(s: Slot, patch: StatePatch): ExecutionState {
    const id = s.id;
    const ex = s.ex;
    if (patch.running === true && !ex.loaded) throw new BackendError('NO_PIPELINE_LOADED', `Execution ${id} has no pipeline; load one first (POST …/actions/load)`);
    const active = () => ['running', 'calibrating', 'paused'].includes(ex.currentStatus);
    const overlay = s.overlay;
    s.overlay = undefined;
    // Order: completed, running, paused, needs_keepalive (§7.4).
    if (patch.completed === true && ex.loaded) {
      if (active()) this.halt(s);
      ex.complete();
    }
    if (patch.running === true && !active()) {
      const wasPaused = overlay?.status === ex.currentStatus && overlay.paused !== undefined ? overlay.paused : this.stateOf(s).paused;
      ex.play();
      if (wasPaused && patch.paused === undefined) ex.pause();
      this.ensureLoop(s);
    } else if (patch.running === false && active()) this.halt(s);
    if (patch.paused === true && ex.loaded && ['running', 'calibrating'].includes(ex.currentStatus)) ex.pause();
    else if (patch.paused === false && ex.currentStatus === 'paused') {
      ex.resume();
      this.ensureLoop(s);
    }
    if (patch.needs_keepalive !== undefined) ex.setNeedsKeepalive(patch.needs_keepalive);
    this.armKeepalive(s); // (re)starts or cancels the watchdog for the new state
    // Flags without a runtime state: kept as an overlay on the current (inactive) status.
    const status = ex.currentStatus;
    if (ex.loaded && !active()) {
      const next: NonNullable<Slot['overlay']> = { status };
      if (overlay?.status === status) Object.assign(next, overlay);
      if (patch.completed === false && ex.state().completed) next.completed = false;
      if (patch.paused === true && status !== 'pending') next.paused = true;
      if (patch.paused === false) delete next.paused;
      if (patch.completed === true) delete next.completed;
      if (next.completed !== undefined || next.paused !== undefined) s.overlay = next;
    }
    return this.stateOf(s);
  }

  async control(id: number, action: ControlAction): Promise<void> {
    if (action === 'keepalive') {
      const s = this.slot(id);
      s.ex.keepalive();
      this.armKeepalive(s);
      return;
    }
    return this.serial(id, (s) => this.controlNow(s, action));
  }

  private controlNow(s: Slot, action: ControlAction): void {
    const id = s.id;
    const ex = s.ex;
    this.stateOf(s); // applies an expired keepalive first
    const st = ex.currentStatus;
    // A state change clears the legacy flag overlay; a rejected call (thrown below) keeps it.
    if (action !== 'keepalive' && !(action === 'stop' && !['running', 'calibrating', 'paused'].includes(st))) {
      this.controlCases(s, action, st);
      s.overlay = undefined;
    } else this.controlCases(s, action, st);
  }

  private controlCases(s: Slot, action: ControlAction, st: string): void {
    const id = s.id;
    const ex = s.ex;
    switch (action) {
      case 'play':
        if (!ex.loaded) throw new BackendError('NO_PIPELINE_LOADED', `Execution ${id} has no pipeline; load one first (POST …/actions/load)`);
        ex.play();
        this.ensureLoop(s);
        this.armKeepalive(s);
        return;
      case 'pause':
        if (!(CONTROL_STATES.pauseFrom as readonly string[]).includes(st))
          throw new BackendError('INVALID_STATE_TRANSITION', `Cannot pause execution ${id}: it is ${st}; play it first`);
        ex.pause();
        return;
      case 'resume':
        if (!(CONTROL_STATES.resumeFrom as readonly string[]).includes(st))
          throw new BackendError('INVALID_STATE_TRANSITION', `Cannot resume execution ${id}: it is ${st} (only a paused execution resumes; use play to start)`);
        ex.resume();
        this.ensureLoop(s);
        return;
      case 'stop':
        this.halt(s);
        return;
      case 'keepalive':
        ex.keepalive();
        this.armKeepalive(s);
        return;
    }
  }

  async load(id: number, req: LoadRequest): Promise<void> {
    return this.serial(id, (s) => this.loadNow(s, req));
  }

  private async loadNow(s: Slot, req: LoadRequest): Promise<void> {
    const id = s.id;
    let text: string;
    let sourceFile: string | undefined;
    if (req.content !== undefined) text = req.content;
    else if (req.file !== undefined) {
      const found = await this.files.find(req.file);
      text = found.text;
      sourceFile = found.path;
    } else throw new BackendError('BAD_REQUEST', 'give "file" or "content" to load');
    this.slot(id); // may have been deleted meanwhile
    this.loadText(s, text, sourceFile ?? req.file ?? 'content');
    s.sourceFile = sourceFile;
  }

  async reload(id: number): Promise<void> {
    return this.serial(id, (s) => this.reloadNow(s));
  }

  private async reloadNow(s: Slot): Promise<void> {
    const id = s.id;
    if (!s.sourceFile) throw new BackendError('NO_PIPELINE_LOADED', `Execution ${id} was not loaded from a file, so there is nothing to reload`);
    const found = await this.files.find(s.sourceFile);
    this.loadText(s, found.text, found.path);
  }

  async save(id: number, file?: string): Promise<void> {
    const s = this.slot(id);
    if (!s.ex.loaded) throw new BackendError('NO_PIPELINE_LOADED', `Execution ${id} has no pipeline to save`);
    const target = file !== undefined ? normalizeKey(file) : s.sourceFile;
    if (!target) throw new BackendError('BAD_REQUEST', 'This pipeline was not loaded from a file; give {"file": "pipelines/name.pyp"} to save it');
    if (target === '' || target.split('/').some((p) => p === '..' || p === '.' || p === '')) throw new BackendError('BAD_REQUEST', `Cannot save to "${file}"; use a relative path like "pipelines/name.pyp"`);
    const doc = this.documentWithIdentity(s);
    const text = /\.json$/i.test(target) ? JSON.stringify(doc, null, 2) + '\n' : writePyp(pipelineToPyp(doc, this.resolver));
    try {
      await this.store.put(target, text);
    } catch (e) {
      if (e instanceof Error && /quota/i.test(e.name + e.message)) throw new BackendError('INSUFFICIENT_STORAGE', `Storage is full; free space and save again (${e.message})`);
      throw e;
    }
    if (!s.sourceFile) s.sourceFile = target;
  }

  async configure(id: number, values: Record<string, unknown>): Promise<void> {
    return this.serial(id, (s) => this.configureNow(s, values));
  }

  private configureNow(s: Slot, values: Record<string, unknown>): void {
    const id = s.id;
    if (!s.ex.loaded) throw new BackendError('NO_PIPELINE_LOADED', `Execution ${id} has no pipeline; load one first`);
    try {
      s.ex.configure(values);
    } catch (e) {
      throw new BackendError('INVALID_PARAMETER_VALUE', errorMessage(e));
    }
    this.changed(s);
  }

  async logs(id: number, fromIdx: number, limit: number): Promise<LogRecord[]> {
    const s = this.slot(id);
    this.ping(s);
    return s.ex.logs(fromIdx, limit).map((r) => ({ id: r.id, level: r.level, message: r.message, time: r.time, name: r.name, node_id: this.npNodeId(s, r.nodeId) }));
  }

  async errors(id: number, fromIdx: number, limit: number): Promise<ErrorRecord[]> {
    const s = this.slot(id);
    this.ping(s);
    return this.errorsOf(s, fromIdx, limit);
  }

  // ------------------------------------------------------------------------------- graph

  async getGraph(id: number): Promise<NpGraph> {
    const s = this.slot(id);
    if (!s.ex.loaded) return { description: { ...DEFAULT_DESCRIPTION }, nodes: [], edges: [] };
    return this.graphOf(s);
  }

  async setDescription(id: number, partial: Partial<GraphDescription>): Promise<GraphDescription> {
    const s = this.slot(id);
    const wasLoaded = s.ex.loaded;
    this.ensureGraph(s);
    try {
      s.ex.edit((d) => {
        for (const k of ['name', 'description', 'url', 'status', 'license', 'version'] as const) if (typeof partial[k] === 'string') d.meta[k] = partial[k];
      });
    } catch (e) {
      if (!wasLoaded) s.ex.unload();
      throw new BackendError('PIPELINE_PARSE_ERROR', `The description could not be applied: ${errorMessage(e)}`);
    }
    this.changed(s);
    return this.descriptionOf(s.ex.document!);
  }

  async addNode(id: number, node: NodeCreate): Promise<NpNode> {
    const s = this.slot(id);
    const cls = this.registry.find(node.class) ?? (node.module ? this.registry.find(node.module) : undefined);
    if (!cls) {
      // A NeuroPype-looking name we do not implement is "unsupported"; anything else is unknown.
      if (/^[A-Z][A-Za-z0-9]*$/.test(node.class) || /^neuropype\./.test(node.class))
        throw new BackendError('UNSUPPORTED_NODE_CLASS', `Node class ${node.class} cannot run in the browser engine`, { classes: [node.class] });
      throw new BackendError('NODE_CLASS_NOT_FOUND', `No node class "${node.class}"; GET /nodeclasses lists them`);
    }
    const params: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node.parameters ?? {})) {
      const spec = findParam(cls, k);
      if (!spec) throw new BackendError('INVALID_PARAMETER_VALUE', `${cls.neuropype?.class ?? cls.type} has no parameter "${k}"`);
      params[spec.name] = v;
    }
    try {
      resolveParams(cls, params, npName(cls));
    } catch (e) {
      throw new BackendError('INVALID_PARAMETER_VALUE', errorMessage(e));
    }
    const nodeId = s.nextNodeId;
    const docId = this.freshDocId(s, nodeId);
    const wasLoaded = s.ex.loaded;
    this.ensureGraph(s);
    try {
      s.ex.edit((d) => {
        d.nodes.push({ id: docId, type: cls.type, params, ...(node.title !== undefined ? { title: node.title } : {}) });
        if (node.position) {
          const ui = (d.ui ??= {});
          const positions = ((ui.positions as Record<string, unknown> | undefined) ?? (ui.positions = {})) as Record<string, unknown>;
          positions[docId] = node.position;
        }
      });
    } catch (e) {
      if (!wasLoaded) s.ex.unload();
      throw new BackendError('INVALID_PARAMETER_VALUE', errorMessage(e));
    }
    s.nextNodeId = nodeId + 1;
    s.nodeToDoc.set(nodeId, docId);
    s.docToNode.set(docId, nodeId);
    s.uuids.set(docId, node.uuid ?? crypto.randomUUID());
    const cust = this.customizedOf(s);
    cust.set(docId, new Set(Object.keys(params)));
    this.bindNode(s, docId);
    this.changed(s);
    return this.nodeOf(s, s.ex.document!.nodes.find((n) => n.id === docId)!);
  }

  async removeNode(id: number, nodeId: number): Promise<void> {
    const s = this.slot(id);
    const docId = this.docId(s, nodeId);
    try {
      s.ex.removeNode(docId);
    } catch (e) {
      throw new BackendError('PIPELINE_PARSE_ERROR', `Removing node ${nodeId} would leave an invalid pipeline (${errorMessage(e)}); nothing was removed`);
    }
    s.nodeToDoc.delete(nodeId);
    s.docToNode.delete(docId);
    s.edges = s.edges.filter((e) => e.source !== docId && e.target !== docId);
    this.changed(s);
  }

  async getPorts(id: number, nodeId: number): Promise<NpPort[]> {
    const s = this.slot(id);
    const docId = this.docId(s, nodeId);
    const cls = s.ex.nodeClass(docId);
    const connected = new Set<string>();
    for (const e of s.edges) {
      if (e.source === docId) connected.add(`out:${e.sourcePort}`);
      if (e.target === docId) connected.add(`in:${e.targetPort}`);
    }
    return portsOf(cls, s.ex.getParams(docId)).map((p) => ({
      ...p,
      connected: (p.direction !== 'OUT' && connected.has(`in:${p.id}`)) || (p.direction !== 'IN' && connected.has(`out:${p.id}`)),
    }));
  }

  async setParameter(id: number, nodeId: number, param: string, value: unknown): Promise<NpParameter> {
    const s = this.slot(id);
    const docId = this.docId(s, nodeId);
    const cls = s.ex.nodeClass(docId);
    const spec = findParam(cls, param);
    if (!spec) throw new BackendError('PARAMETER_NOT_FOUND', `Node ${nodeId} (${cls.neuropype?.class ?? cls.type}) has no parameter "${param}"`);
    try {
      s.ex.setParams(docId, { [spec.name]: value });
    } catch (e) {
      throw new BackendError('INVALID_PARAMETER_VALUE', `${param} expects ${neuropypeValueType(spec)}: ${errorMessage(e)}`);
    }
    const cust = this.customizedOf(s);
    (cust.get(docId) ?? cust.set(docId, new Set()).get(docId)!).add(spec.name);
    // A new model_id must be resolved by the host again.
    if (HOST_BOUND_TYPES.has(cls.type)) this.bindNode(s, docId);
    this.changed(s);
    const node = this.nodeOf(s, s.ex.document!.nodes.find((n) => n.id === docId)!);
    return node.parameters.find((p) => p.id === param)!;
  }

  async addEdge(id: number, edge: EdgeCreate): Promise<NpEdge> {
    const s = this.slot(id);
    const src = this.docId(s, edge.source_node);
    const dst = this.docId(s, edge.target_node);
    const sc = s.ex.nodeClass(src);
    const dc = s.ex.nodeClass(dst);
    const srcIsOut = sc.outputs.some((p) => p.name === edge.source_port);
    const srcKnown = srcIsOut || sc.inputs.some((p) => p.name === edge.source_port) || !!findParam(sc, edge.source_port);
    if (!srcKnown) throw new BackendError('UNKNOWN_PORT', `Node ${edge.source_node} (${npName(sc)}) has no port "${edge.source_port}"`);
    if (!srcIsOut) throw new BackendError('PORT_DIRECTION_MISMATCH', `Port ${edge.source_port} of node ${edge.source_node} is an input; an edge must start at an output`);
    const dstIsIn = dc.inputs.some((p) => p.name === edge.target_port) || !!findParam(dc, edge.target_port);
    const dstKnown = dstIsIn || dc.outputs.some((p) => p.name === edge.target_port);
    if (!dstKnown) throw new BackendError('UNKNOWN_PORT', `Node ${edge.target_node} (${npName(dc)}) has no port "${edge.target_port}"`);
    if (!dstIsIn) throw new BackendError('PORT_DIRECTION_MISMATCH', `Port ${edge.target_port} of node ${edge.target_node} is an output; an edge must end at an input`);
    const targetPort = findParam(dc, edge.target_port) && !dc.inputs.some((p) => p.name === edge.target_port) ? findParam(dc, edge.target_port)!.name : edge.target_port;
    const prior = s.edges.find((e) => e.target === dst && e.targetPort === targetPort);
    if (prior) throw new BackendError('PORT_ALREADY_CONNECTED', `Input port ${edge.target_port} of node ${edge.target_node} already has a connection (edge ${prior.id})`);
    try {
      s.ex.addEdge({ source: src, sourcePort: edge.source_port, target: dst, targetPort });
    } catch (e) {
      throw new BackendError('PORT_DIRECTION_MISMATCH', `This edge would make the pipeline invalid: ${errorMessage(e)}`);
    }
    const rec = { id: s.nextEdgeId++, source: src, sourcePort: edge.source_port, target: dst, targetPort };
    s.edges.push(rec);
    this.changed(s);
    return this.edgeOf(s, rec);
  }

  async removeEdge(id: number, edgeId: number): Promise<void> {
    const s = this.slot(id);
    const rec = s.edges.find((e) => e.id === edgeId);
    if (!rec) throw new BackendError('EDGE_NOT_FOUND', `Edge ${edgeId} does not exist`);
    try {
      s.ex.removeEdge({ source: rec.source, sourcePort: rec.sourcePort, target: rec.target, targetPort: rec.targetPort });
    } catch (e) {
      throw new BackendError('PIPELINE_PARSE_ERROR', `Removing edge ${edgeId} would leave an invalid pipeline (${errorMessage(e)}); nothing was removed`);
    }
    s.edges = s.edges.filter((e) => e !== rec);
    this.changed(s);
  }

  // ------------------------------------------------------------------------------- catalog

  async listPackages(): Promise<PackageInfo[]> {
    const byPkg = new Map<string, NodeClass[]>();
    for (const c of this.registry.list()) {
      const pkg = npPackage(c);
      (byPkg.get(pkg) ?? byPkg.set(pkg, []).get(pkg)!).push(c);
    }
    return [...byPkg.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([id, classes]) => ({
        id,
        name: id.split(/[_.]/).map((w) => w[0].toUpperCase() + w.slice(1)).join(' '),
        module: `neuropype.nodes.${id}`,
        description: `${classes.map(npName).sort().join(', ')}.`,
        node_count: classes.length,
      }));
  }

  async listNodeClasses(pkg?: string): Promise<NodeClassSummary[]> {
    const all = this.registry.list();
    if (pkg !== undefined && !all.some((c) => npPackage(c) === pkg))
      throw new BackendError('PACKAGE_NOT_FOUND', `No package "${pkg}"; GET /packages lists them`);
    return all.filter((c) => pkg === undefined || npPackage(c) === pkg).map(classSummary);
  }

  async getNodeClass(name: string): Promise<NodeClassDetails> {
    const cls = this.registry.find(name);
    if (!cls) throw new BackendError('NODE_CLASS_NOT_FOUND', `No node class "${name}" (names are case-sensitive; GET /nodeclasses lists them)`);
    return { ...classSummary(cls), ports: portsOf(cls, undefined), doc: cls.doc };
  }

  // ------------------------------------------------------------------------------- store

  listPipelines(): Promise<PipelineFileInfo[]> {
    return this.files.list();
  }

  readPipeline(path: string): Promise<string> {
    return this.files.read(path);
  }

  writePipeline(path: string, text: string): Promise<void> {
    return this.files.write(path, text);
  }

  deletePipeline(path: string): Promise<void> {
    return this.files.delete(path);
  }

  // ------------------------------------------------------------------------------- internals

  /** Run `fn` after every earlier queued call of this execution (a play sent during a load waits for it). */
  private serial<T>(id: number, fn: (s: Slot) => Promise<T> | T): Promise<T> {
    const s = this.slot(id);
    const run = s.queue.then(() => fn(this.slot(id)));
    s.queue = run.catch(() => undefined);
    return run;
  }

  private slot(id: number): Slot {
    const s = this.slots.get(id);
    if (!s) throw new BackendError('EXECUTION_NOT_FOUND', `Execution ${id} does not exist`);
    return s;
  }

  private docId(s: Slot, nodeId: number): string {
    const d = s.ex.loaded ? s.nodeToDoc.get(nodeId) : undefined;
    if (d === undefined) throw new BackendError('NODE_NOT_FOUND', `Node ${nodeId} does not exist in execution ${s.id}`);
    return d;
  }

  private npNodeId(s: Slot, docId: string | null): number | null {
    return docId === null ? null : (s.docToNode.get(docId) ?? null);
  }

  private freshDocId(s: Slot, nodeId: number): string {
    let docId = `node${nodeId}`;
    const taken = new Set(s.ex.loaded ? s.ex.document!.nodes.map((n) => n.id) : []);
    while (taken.has(docId)) docId += '_';
    return docId;
  }

  /** Parse, convert, validate and load; on any failure nothing changes. */
  private loadText(s: Slot, text: string, where: string): void {
    let doc: PipelineDocument;
    let warnings: string[] = [];
    try {
      const r = readPipelineText(text, where);
      if (r.kind === 'pyp') {
        const conv = pypToPipeline(r.graph, this.resolver, where);
        doc = conv.doc;
        warnings = conv.warnings;
      } else {
        doc = parsePipelineDocument(r.doc);
        const missing = [...new Set(doc.nodes.filter((n) => !this.registry.find(n.type)).map((n) => n.type))].sort();
        if (missing.length) throw new UnsupportedNodeClassError(missing, where);
      }
    } catch (e) {
      throw toLoadError(e);
    }
    const wasActive = ['running', 'calibrating', 'paused'].includes(s.ex.currentStatus);
    try {
      s.ex.load(doc);
    } catch (e) {
      throw toLoadError(e);
    }
    if (wasActive) this.halt(s);
    s.overlay = undefined;
    // Identity tables for the new graph.
    const ui = (doc.ui?.neuropype ?? undefined) as PypUiInfo | undefined;
    s.nodeToDoc.clear();
    s.docToNode.clear();
    s.uuids.clear();
    let next = 1;
    for (const n of doc.nodes) {
      const k = ui?.nodes[n.id]?.index ?? next;
      next = Math.max(next, k) + 1;
      s.nodeToDoc.set(k, n.id);
      s.docToNode.set(n.id, k);
      s.uuids.set(n.id, ui?.nodes[n.id]?.uuid || crypto.randomUUID());
    }
    s.nextNodeId = next;
    s.edges = doc.edges.map((e, i) => ({ id: i + 1, ...e }));
    s.nextEdgeId = s.edges.length + 1;
    const cust = new Map<string, Set<string>>();
    for (const n of doc.nodes) cust.set(n.id, new Set(ui?.nodes[n.id]?.customized ?? Object.keys(n.params)));
    this.customized.set(s, cust);
    for (const w of warnings) s.ex.log(30, w);
    for (const n of doc.nodes) this.bindNode(s, n.id);
    this.changed(s);
  }

  /** Ask the binder for a binding of one node (input/output nodes only); failures become WARNING records. */
  private bindNode(s: Slot, docId: string): void {
    if (!this.binder) return;
    const cls = s.ex.nodeClass(docId);
    if (!cls.source && !cls.type.startsWith('io.') && !HOST_BOUND_TYPES.has(cls.type)) return;
    try {
      const b = this.binder({ executionId: s.id, nodeId: docId, type: cls.type, params: s.ex.getParams(docId) });
      if (b !== undefined) s.ex.bind(docId, b);
    } catch (e) {
      s.ex.log(30, `could not bind ${docId} (${npName(cls)}): ${errorMessage(e)}`);
    }
  }

  private changed(s: Slot): void {
    for (const fn of this.watchers) fn(s.id);
  }

  private readonly customized = new WeakMap<Slot, Map<string, Set<string>>>();
  private customizedOf(s: Slot): Map<string, Set<string>> {
    let m = this.customized.get(s);
    if (!m) this.customized.set(s, (m = new Map()));
    return m;
  }

  private ensureGraph(s: Slot): void {
    if (s.ex.loaded) return;
    s.ex.load(emptyPipeline());
    s.edges = [];
  }

  private documentWithIdentity(s: Slot): PipelineDocument {
    const doc = s.ex.document!;
    const cust = this.customizedOf(s);
    const nodes: PypUiInfo['nodes'] = {};
    for (const n of doc.nodes) {
      const cls = this.registry.find(n.type);
      nodes[n.id] = {
        uuid: s.uuids.get(n.id) ?? crypto.randomUUID(),
        index: s.docToNode.get(n.id) ?? 0,
        class: cls?.neuropype?.class ?? n.type,
        module: cls?.neuropype?.module ?? `neurotab.nodes.${n.type}`,
        customized: [...(cust.get(n.id) ?? [])],
        ...(n.title !== undefined ? { title: n.title } : {}),
      };
    }
    doc.ui = { ...(doc.ui ?? {}), neuropype: { description: this.descriptionOf(doc), nodes } satisfies PypUiInfo };
    return doc;
  }

  private stateOf(s: Slot): ExecutionState {
    const st = s.ex.state();
    const o = s.overlay;
    if (!o) return st;
    if (o.status !== st.status) {
      s.overlay = undefined;
      return st;
    }
    return { ...st, ...(o.completed !== undefined ? { completed: o.completed } : {}), ...(o.paused !== undefined ? { paused: o.paused } : {}) };
  }

  private errorsOf(s: Slot, fromIdx: number, limit: number): ErrorRecord[] {
    const all = s.ex.errors(fromIdx);
    return all.slice(Math.max(0, all.length - limit)).map((r) => ({
      id: r.id,
      time: r.time,
      node_id: this.npNodeId(s, r.nodeId),
      node_type: r.nodeType,
      message: r.message,
      traceback: r.traceback,
      fatal: r.fatal,
    }));
  }

  private descriptionOf(doc: PipelineDocument): GraphDescription {
    const m = doc.meta as Record<string, unknown>;
    const str = (k: keyof GraphDescription) => (typeof m[k] === 'string' ? (m[k] as string) : DEFAULT_DESCRIPTION[k]);
    return { name: str('name'), description: str('description'), url: str('url'), status: str('status'), license: str('license'), version: str('version') };
  }

  private graphOf(s: Slot): NpGraph {
    const doc = s.ex.document!;
    return {
      description: this.descriptionOf(doc),
      nodes: doc.nodes.map((n) => this.nodeOf(s, n, doc)),
      edges: s.edges.map((e) => this.edgeOf(s, e)),
    };
  }

  private nodeOf(s: Slot, n: PipelineNode, doc: PipelineDocument = s.ex.document!): NpNode {
    const cls = s.ex.nodeClass(n.id);
    const values = s.ex.getParams(n.id);
    const cust = this.customizedOf(s).get(n.id);
    const parameters: NpParameter[] = [];
    for (const spec of cls.params) {
      for (const name of [spec.name, ...(spec.aliases ?? [])]) parameters.push(paramOf(spec, name, values[spec.name], cust?.has(spec.name) ?? false));
    }
    const pos = (doc.ui?.positions as Record<string, { x: number; y: number }> | undefined)?.[n.id];
    return {
      id: s.docToNode.get(n.id)!,
      uuid: s.uuids.get(n.id) ?? '',
      type: npName(cls),
      module: cls.neuropype?.module ?? `neurotab.nodes.${cls.type}`,
      title: n.title ?? cls.title,
      ...(pos ? { position: { x: pos.x, y: pos.y } } : {}),
      parameters,
    };
  }

  private edgeOf(s: Slot, e: Slot['edges'][number]): NpEdge {
    return { id: e.id, source_node: s.docToNode.get(e.source)!, source_port: e.sourcePort, target_node: s.docToNode.get(e.target)!, target_port: e.targetPort };
  }

  /** Stop the run and its loop (graph kept). */
  private halt(s: Slot): void {
    if (s.ex.state().running) s.ex.flush(); // recorders (RecordToXDF …) close their files, as NeuroPype's do at stop
    s.ex.stop();
  }

  private ping(s: Slot): void {
    s.ex.keepalive();
    this.armKeepalive(s);
  }

  /** Watchdog: when needs_keepalive, read the state 5 s after the last ping so expiry stops the run. */
  private armKeepalive(s: Slot): void {
    if (s.keepaliveTimer) clearTimeout(s.keepaliveTimer);
    s.keepaliveTimer = undefined;
    if (!s.ex.state().needs_keepalive) return;
    s.keepaliveTimer = setTimeout(() => {
      s.keepaliveTimer = undefined;
      if (this.slots.get(s.id) !== s) return;
      const st = s.ex.state(); // the runtime stops the run (and logs "keepalive expired") when overdue
      if (st.running) this.armKeepalive(s);
    }, KEEPALIVE_MS + 20);
    (s.keepaliveTimer as { unref?: () => void }).unref?.();
  }

  // ------------------------------------------------------------------------------- Instinct (instinct-streams.ts)

  instinctList = () => this.instinct.instinctList();
  instinctGet = (id: string) => this.instinct.instinctGet(id);
  instinctCreate = (stream: InstinctStream) => this.instinct.instinctCreate(stream);
  instinctReplace = (id: string, patch: InstinctStreamPatch) => this.instinct.instinctReplace(id, patch);
  instinctDelete = (id: string) => this.instinct.instinctDelete(id);
  instinctSignal = (id: string, signal: InstinctSignal) => this.instinct.instinctSignal(id, signal);
  instinctReconcile = (id: string) => this.instinct.instinctReconcile(id);
  instinctStatus = (id: string) => this.instinct.instinctStatus(id);
  instinctAddNodes = (id: string, nodes: InstinctNode[]) => this.instinct.instinctAddNodes(id, nodes);
  instinctRemoveNodes = (id: string, ids: string[]) => this.instinct.instinctRemoveNodes(id, ids);
  instinctNodeSignal = (id: string, nodeId: string, signal: InstinctSignal) => this.instinct.instinctNodeSignal(id, nodeId, signal);
  instinctAddPipes = (id: string, pipes: InstinctPipe[]) => this.instinct.instinctAddPipes(id, pipes);
  instinctRemovePipes = (id: string, ids: string[]) => this.instinct.instinctRemovePipes(id, ids);

  /** The live device streams changed (the host published a new list): Instinct streams reading one that went away end in `error`. */
  sourcesChanged(liveStreamIds: readonly string[]): void {
    this.instinct.sourcesChanged(liveStreamIds);
  }

  /** One online loop per running execution (run-loops.ts). */
  private ensureLoop(s: Slot): void {
    this.runs.ensure(s, s.ex, () => this.slots.get(s.id) === s);
  }
}

// ---------------------------------------------------------------------------------------------
// Mapping helpers (registry → NeuroPype vocabulary)

function npName(cls: NodeClass): string {
  return cls.neuropype?.class ?? cls.type;
}

function npPackage(cls: NodeClass): string {
  return cls.neuropype?.package ?? cls.package;
}

function classSummary(cls: NodeClass): NodeClassSummary {
  const firstSentence = cls.doc.split(/(?<=\.)\s/)[0]?.replace(/\s+/g, ' ').trim() ?? '';
  return {
    class: npName(cls),
    module: cls.neuropype?.module ?? `neurotab.nodes.${cls.type}`,
    package: npPackage(cls),
    name: cls.title,
    version: cls.version,
    summary: firstSentence,
    browser_supported: true,
  };
}

function paramOf(spec: ParamSpec, name: string, value: unknown, customized: boolean): NpParameter {
  return {
    id: name,
    value: value === undefined ? null : value,
    value_type: neuropypeValueType(spec) as ValueType,
    port_type: neuropypePortType(spec),
    value_domain: neuropypeValueDomain(spec),
    customized,
  };
}

/** Data ports first (an input and an output of the same name become one INOUT port), then parameters. */
function portsOf(cls: NodeClass, values: Record<string, unknown> | undefined): NpPort[] {
  const out: NpPort[] = [];
  const outputs = new Map(cls.outputs.map((o) => [o.name, o]));
  for (const i of cls.inputs) {
    const both = outputs.has(i.name);
    out.push({
      id: i.name,
      verbose_name: i.title,
      help: i.doc,
      port_type: 'DataPort',
      value_type: 'Packet',
      direction: both ? 'INOUT' : 'IN',
      default: null,
      value_domain: null,
      editable: false,
      is_data_port: true,
    });
    outputs.delete(i.name);
  }
  for (const o of outputs.values()) {
    const isValue = o.value === true;
    out.push({
      id: o.name,
      verbose_name: o.title,
      help: o.doc,
      port_type: isValue ? 'Port' : 'DataPort',
      value_type: isValue ? 'builtins.object' : 'Packet',
      direction: 'OUT',
      default: null,
      value_domain: null,
      editable: false,
      is_data_port: !isValue,
    });
  }
  for (const p of cls.params) {
    for (const name of [p.name, ...(p.aliases ?? [])]) {
      out.push({
        id: name,
        verbose_name: p.title,
        help: p.doc,
        port_type: neuropypePortType(p),
        value_type: neuropypeValueType(p),
        direction: 'IN',
        default: values ? (values[p.name] ?? null) : (p.default ?? null),
        value_domain: neuropypeValueDomain(p),
        editable: true,
        is_data_port: false,
      });
    }
  }
  return out;
}

function toLoadError(e: unknown): BackendError {
  if (e instanceof BackendError) return e;
  if (e instanceof EncryptedPipelineError)
    return new BackendError('ENCRYPTED_PIPELINE_UNSUPPORTED', `${e.message}; encrypted pipelines cannot be run in the browser engine, load an unencrypted copy`);
  if (e instanceof UnsupportedNodeClassError) return new BackendError('UNSUPPORTED_NODE_CLASS', e.message + '; nothing was loaded', { classes: e.classes });
  if (e instanceof PipelineError) return new BackendError('PIPELINE_PARSE_ERROR', `${e.message}; nothing was loaded`, { issues: e.issues.map((i) => ({ ...i })) });
  if (e instanceof InputError || e instanceof StateError) return new BackendError('PIPELINE_PARSE_ERROR', `${e.message}; nothing was loaded`);
  return new BackendError('INTERNAL', errorMessage(e));
}
