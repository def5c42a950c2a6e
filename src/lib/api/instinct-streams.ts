// Instinct streams run by the real engine (API.md §9.1–§9.3): a stream's nodes become our node
// classes (instinct-executables.ts), its pipes edges, and it runs as one Execution on the same run
// loops, registry and host bindings as LocalBackend's NeuroPype executions. Definitions persist in a
// store (IndexedDB on the engine host) and come back stopped after a reload. Runs where the engine
// runs (engine host, Node); returns plain data, throws InstinctError; every rejected call leaves the
// streams as they were. Changes of one stream run one after another.
//
// While a stream runs, every change (nodes or pipes added or removed, a node paused, stopped or
// restarted) rebuilds its graph from the definition and applies it through the runtime's live-edit
// path: unchanged nodes keep their instances and state; an edit the engine refuses changes nothing.
// A paused or stopped node loses its incoming edges (a source leaves the graph), so it processes
// nothing; `start` on a node gives it a fresh instance.

import { errorMessage } from '../core/errors';
import { nowMs } from '../core/clock';
import { Execution, PipelineError, type NodeRegistry, type PipelineDocument, type PipelineEdge, type PipelineNode, type StreamInputBinding } from '../engine/index';
import {
  InstinctError,
  type InstinctBackend,
  type InstinctMeta,
  type InstinctNode,
  type InstinctPipe,
  type InstinctSignal,
  type InstinctState,
  type InstinctStatus,
  type InstinctStream,
  type InstinctStreamPatch,
} from './instinct-backend';
import { ExecutableConfigError, INSTINCT_PROGRAMS, mapExecutable, type GeneratorConfig, type MappedNode } from './instinct-executables';
import { generatorBinding } from './instinct-sources';
import type { SinkHub } from './instinct-sinks';
import type { LoopHolder, RunLoops } from './run-loops';
import type { BindRequest } from './local-backend';

/** A stream definition as stored. */
export interface StoredInstinctStream {
  id: string;
  stream: InstinctStream;
  updatedAtMs: number;
}

/** Where definitions persist (storage/instinct-store.ts in the app; memory in tests and the bridge). */
export interface InstinctStreamStore {
  list(): Promise<StoredInstinctStream[]>;
  put(row: StoredInstinctStream): Promise<void>;
  delete(id: string): Promise<void>;
}

export class MemoryInstinctStreamStore implements InstinctStreamStore {
  private readonly rows = new Map<string, StoredInstinctStream>();
  async list(): Promise<StoredInstinctStream[]> {
    return [...this.rows.values()].map((r) => structuredClone(r));
  }
  async put(row: StoredInstinctStream): Promise<void> {
    this.rows.set(row.id, structuredClone(row));
  }
  async delete(id: string): Promise<void> {
    this.rows.delete(id);
  }
}

export interface InstinctStreamsOptions {
  registry: NodeRegistry;
  runs: RunLoops;
  /** The host's binder (device rings, marker bus …), as for NeuroPype executions. */
  bind?: (req: BindRequest) => unknown;
  sinks?: SinkHub;
  store?: InstinctStreamStore;
  /** Binding of a SignalGenerator node (default: instinct-sources.ts). */
  generator?: (cfg: GeneratorConfig, id: string) => StreamInputBinding;
}

const ACTIVE: readonly InstinctState[] = ['starting', 'running', 'pausing', 'paused'];
const STOPPABLE: readonly InstinctState[] = ['created', 'stopped', 'error'];
const TICK_RATE_HZ = 25;

/** One run of a stream: its execution and online loop (a restart makes a new one; the old loop winds down by itself). */
interface Run extends LoopHolder {
  ex: Execution;
}

interface Slot {
  def: InstinctStream;
  state: InstinctState;
  run?: Run;
  /** Instinct node → doc ids of its parts (data order) in the running graph. */
  parts: Map<string, string[]>;
  /** Per-node signals: paused or stopped nodes. */
  nodeState: Map<string, 'paused' | 'stopped'>;
  /** Restart count per node (`start` on a node gives it new doc ids, hence fresh instances). */
  generation: Map<string, number>;
  /** Metrics a node had before it left the running graph (a paused source). */
  frozen: Map<string, { itemsProcessed: number; errorCount: number }>;
  /** Doc id → what was bound there: a sink publisher to release, the device stream a source reads. */
  bound: Map<string, { release?: () => void; sourceId?: string }>;
  error?: string;
  queue: Promise<unknown>;
}

/** What building the graph of a definition gives. */
interface Built {
  doc: PipelineDocument;
  parts: Map<string, string[]>;
  mapped: Map<string, MappedNode>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A node's state: its own signal's while the stream runs, idle (`created`) when it could not join the running graph, else the stream's. */
function nodeView(streamState: InstinctState, override: 'paused' | 'stopped' | undefined, inGraph: boolean): InstinctState {
  if (!ACTIVE.includes(streamState)) return streamState;
  return override ?? (inGraph ? streamState : 'created');
}

export class InstinctStreams implements InstinctBackend {
  private readonly slots = new Map<string, Slot>();
  private readonly ready: Promise<void>;
  private readonly store?: InstinctStreamStore;
  private readonly generator: (cfg: GeneratorConfig, id: string) => StreamInputBinding;

  constructor(private readonly opts: InstinctStreamsOptions) {
    this.store = opts.store;
    this.generator = opts.generator ?? ((cfg, id) => generatorBinding(cfg, id));
    // Streams saved by an earlier session come back stopped.
    this.ready = (this.store?.list() ?? Promise.resolve([]))
      .then((rows) => {
        for (const r of rows.sort((a, b) => (a.stream.meta.created ?? '').localeCompare(b.stream.meta.created ?? '')))
          if (!this.slots.has(r.id)) this.slots.set(r.id, this.newSlot(r.stream, 'stopped'));
      })
      .catch(() => undefined); // an unreadable store starts empty; new streams are still saved
  }

  // ------------------------------------------------------------------------------- definitions

  async instinctList(): Promise<{ id: string; meta: InstinctMeta }[]> {
    await this.ready;
    return [...this.slots.values()].map((s) => ({ id: s.def.id, meta: structuredClone(s.def.meta) }));
  }

  async instinctGet(id: string): Promise<InstinctStream> {
    await this.ready;
    return structuredClone(this.slot(id).def);
  }

  async instinctCreate(stream: InstinctStream): Promise<void> {
    await this.ready;
    if (this.slots.has(stream.id)) throw new InstinctError('stream_already_exists', `Stream ${stream.id} already exists; choose another id, or PUT /stream/streams/${stream.id} to change it`, { streamId: stream.id });
    const now = iso(nowMs());
    const def: InstinctStream = { ...structuredClone(stream), meta: { ...stream.meta, created: now, updated: now } };
    checkStructure(def);
    const slot = this.newSlot(def, 'created');
    // Reserve the id at once, so a second create of the same id while this one is saved is refused.
    this.slots.set(def.id, slot);
    try {
      await this.save(def);
    } catch (e) {
      this.slots.delete(def.id);
      throw e;
    }
  }

  async instinctReplace(id: string, patch: InstinctStreamPatch): Promise<void> {
    return this.serial(id, async (s) => {
      if (!STOPPABLE.includes(s.state))
        throw new InstinctError('stream_running', `Stream ${id} is ${s.state}; stop it (signal=stop) before replacing its definition`, { streamId: id, state: s.state });
      const def: InstinctStream = {
        id,
        meta: { ...(patch.meta ?? s.def.meta), created: s.def.meta.created, updated: iso(nowMs()) },
        nodes: patch.nodes ? structuredClone(patch.nodes) : s.def.nodes,
        pipes: patch.pipes ? structuredClone(patch.pipes) : s.def.pipes,
      };
      checkStructure(def);
      await this.save(def);
      s.def = def;
    });
  }

  async instinctDelete(id: string): Promise<void> {
    return this.serial(id, async (s) => {
      await this.store?.delete(id);
      this.slots.delete(id);
      this.halt(s);
      s.run?.ex.unload();
    });
  }

  // ------------------------------------------------------------------------------- run state

  async instinctSignal(id: string, signal: InstinctSignal): Promise<InstinctState> {
    return this.serial(id, async (s) => {
      this.transition(s, signal);
      return s.state;
    });
  }

  async instinctReconcile(id: string): Promise<InstinctState> {
    return this.serial(id, async (s) => {
      if (s.state === 'running' || s.state === 'paused') {
        const next = this.prepare(s);
        this.halt(s);
        this.commit(s, next);
      }
      return s.state;
    });
  }

  async instinctStatus(id: string): Promise<InstinctStatus> {
    await this.ready;
    const s = this.slot(id);
    const metrics = new Map((s.run?.ex.metrics() ?? []).map((m) => [m.nodeId, m]));
    const nodes = s.def.nodes.map((n) => {
      const ids = s.parts.get(n.id) ?? [];
      const first = ids.length ? metrics.get(ids[0]) : undefined;
      const frozen = s.frozen.get(n.id);
      return {
        id: n.id,
        state: nodeView(s.state, s.nodeState.get(n.id), first !== undefined),
        metrics: {
          itemsProcessed: (frozen?.itemsProcessed ?? 0) + (first?.calls ?? 0),
          errorCount: (frozen?.errorCount ?? 0) + ids.reduce((sum, d) => sum + (metrics.get(d)?.errors ?? 0), 0),
        },
      };
    });
    return { state: s.state, nodes, ...(s.state === 'error' && s.error ? { error: s.error } : {}) };
  }

  /** The live device streams changed: running streams that read one that went away end in `error`. */
  sourcesChanged(liveStreamIds: readonly string[]): void {
    const live = new Set(liveStreamIds);
    for (const s of this.slots.values()) {
      if (!ACTIVE.includes(s.state)) continue;
      const lost = [...s.bound.values()].find((b) => b.sourceId !== undefined && !live.has(b.sourceId));
      if (lost) this.fail(s, deviceGone(lost.sourceId!));
    }
  }

  /** Stops every stream (the host is shutting down). */
  async dispose(): Promise<void> {
    for (const s of this.slots.values()) {
      this.halt(s);
      s.run?.ex.unload();
    }
    this.slots.clear();
  }

  // ------------------------------------------------------------------------------- nodes and pipes

  async instinctAddNodes(id: string, nodes: InstinctNode[]): Promise<string[]> {
    return this.serial(id, async (s) => {
      const taken = new Set(s.def.nodes.map((n) => n.id));
      const dup = nodes.find((n) => taken.has(n.id));
      if (dup) throw new InstinctError('stream_already_exists', `Node ${dup.id} already exists in stream ${id}; node ids must be unique`, { nodeId: dup.id });
      await this.change(s, { ...s.def, nodes: [...s.def.nodes, ...structuredClone(nodes)] });
      return nodes.map((n) => n.id);
    });
  }

  async instinctRemoveNodes(id: string, nodeIds: string[]): Promise<string[]> {
    return this.serial(id, async (s) => {
      const missing = nodeIds.filter((n) => !s.def.nodes.some((x) => x.id === n));
      if (missing.length) throw new InstinctError('node_not_found', `Stream ${id} has no node ${missing.join(', ')}; nothing was removed`, { ids: missing });
      const gone = new Set(nodeIds);
      await this.change(s, { ...s.def, nodes: s.def.nodes.filter((n) => !gone.has(n.id)), pipes: s.def.pipes.filter((p) => !gone.has(p.source) && !gone.has(p.destination)) });
      for (const n of nodeIds) {
        s.nodeState.delete(n);
        s.frozen.delete(n);
      }
      return nodeIds;
    });
  }

  async instinctNodeSignal(id: string, nodeId: string, signal: InstinctSignal): Promise<InstinctState> {
    return this.serial(id, async (s) => {
      if (!s.def.nodes.some((n) => n.id === nodeId)) throw new InstinctError('node_not_found', `Stream ${id} has no node ${nodeId}`, { ids: [nodeId] });
      if (!(s.state === 'running' || s.state === 'paused') || !s.run)
        throw new InstinctError('invalid_state_transition', `Node ${nodeId} cannot take "${signal}": stream ${id} is ${s.state}; start the stream first`, { streamId: id, nodeId, state: s.state, signal });
      const now = s.nodeState.get(nodeId);
      const view = nodeView(s.state, now, (s.parts.get(nodeId) ?? []).length > 0);
      const states = new Map(s.nodeState);
      const generation = new Map(s.generation);
      if (signal === 'pause') {
        if (now === 'paused') return 'paused';
        if (now === 'stopped' || view === 'created') throw nodeRefusal(id, nodeId, view, signal);
        states.set(nodeId, 'paused');
      } else if (signal === 'resume') {
        if (now === undefined) return view;
        if (now !== 'paused') throw nodeRefusal(id, nodeId, view, signal);
        states.delete(nodeId);
      } else if (signal === 'stop') {
        if (now === 'stopped') return 'stopped';
        states.set(nodeId, 'stopped');
      } else {
        states.delete(nodeId);
        generation.set(nodeId, (generation.get(nodeId) ?? 0) + 1);
      }
      await this.change(s, s.def, { nodeState: states, generation });
      return nodeView(s.state, s.nodeState.get(nodeId), (s.parts.get(nodeId) ?? []).length > 0);
    });
  }

  async instinctAddPipes(id: string, pipes: InstinctPipe[]): Promise<string[]> {
    return this.serial(id, async (s) => {
      const taken = new Set(s.def.pipes.map((p) => p.id));
      const dup = pipes.find((p) => taken.has(p.id));
      if (dup) throw new InstinctError('stream_already_exists', `Pipe ${dup.id} already exists in stream ${id}; pipe ids must be unique`, { pipeId: dup.id });
      await this.change(s, { ...s.def, pipes: [...s.def.pipes, ...structuredClone(pipes)] });
      return pipes.map((p) => p.id);
    });
  }

  async instinctRemovePipes(id: string, pipeIds: string[]): Promise<string[]> {
    return this.serial(id, async (s) => {
      const missing = pipeIds.filter((p) => !s.def.pipes.some((x) => x.id === p));
      if (missing.length) throw new InstinctError('pipe_not_found', `Stream ${id} has no pipe ${missing.join(', ')}; nothing was removed`, { ids: missing });
      const gone = new Set(pipeIds);
      await this.change(s, { ...s.def, pipes: s.def.pipes.filter((p) => !gone.has(p.id)) });
      return pipeIds;
    });
  }

  // ------------------------------------------------------------------------------- internals

  private newSlot(def: InstinctStream, state: InstinctState): Slot {
    return { def, state, parts: new Map(), nodeState: new Map(), generation: new Map(), frozen: new Map(), bound: new Map(), queue: Promise.resolve() };
  }

  private slot(id: string): Slot {
    const s = this.slots.get(id);
    if (!s) throw new InstinctError('stream_not_found', `Stream ${id} not found`, { streamId: id });
    return s;
  }

  /** Runs `fn` after every earlier queued change of this stream. */
  private async serial<T>(id: string, fn: (s: Slot) => Promise<T>): Promise<T> {
    await this.ready;
    const s = this.slot(id);
    const run = s.queue.then(() => fn(this.slot(id)));
    s.queue = run.catch(() => undefined);
    return run;
  }

  private async save(def: InstinctStream): Promise<void> {
    try {
      await this.store?.put({ id: def.id, stream: def, updatedAtMs: Date.now() });
    } catch (e) {
      throw new InstinctError('internal_error', `The stream could not be saved (${errorMessage(e)}); free storage space and retry — nothing was changed`, { streamId: def.id });
    }
  }

  /**
   * A new definition (and per-node states): checked, applied to the running graph (live edit) when
   * the stream runs, saved, then committed. Any failure changes nothing.
   */
  private async change(s: Slot, def: InstinctStream, nodes?: { nodeState: Slot['nodeState']; generation: Slot['generation'] }): Promise<void> {
    checkStructure(def);
    const next = def === s.def ? def : { ...def, meta: { ...def.meta, updated: iso(nowMs()) } };
    const nodeState = nodes?.nodeState ?? s.nodeState;
    const generation = nodes?.generation ?? s.generation;
    const run = s.run && ACTIVE.includes(s.state) ? s.run : undefined;
    if (!run) {
      if (next !== s.def) await this.save(next);
      s.def = next;
      s.nodeState = nodeState;
      s.generation = generation;
      return;
    }
    const ex = run.ex;
    const built = this.build(next, s.def.id, { nodeState, generation, lenient: true });
    const before = ex.document!;
    const metrics = new Map(ex.metrics().map((m) => [m.nodeId, m]));
    const setGraph = (doc: PipelineDocument) =>
      ex.edit((d) => {
        d.nodes = doc.nodes;
        d.edges = doc.edges;
      });
    try {
      setGraph(built.doc);
    } catch (e) {
      throw validationError(e, built, `The change would break running stream ${s.def.id}`);
    }
    if (next !== s.def) {
      try {
        await this.save(next);
      } catch (e) {
        setGraph(before);
        throw e;
      }
    }
    // Counts of a node that left the graph (a paused source) carry on when it comes back; a restarted or removed node starts from 0.
    for (const [nodeId, ids] of s.parts) {
      if (built.parts.get(nodeId)?.[0] === ids[0]) continue;
      const m = metrics.get(ids[0]);
      const restarted = (generation.get(nodeId) ?? 0) !== (s.generation.get(nodeId) ?? 0);
      if (restarted || !next.nodes.some((n) => n.id === nodeId)) s.frozen.delete(nodeId);
      else if (m) {
        const f = s.frozen.get(nodeId);
        s.frozen.set(nodeId, { itemsProcessed: (f?.itemsProcessed ?? 0) + m.calls, errorCount: (f?.errorCount ?? 0) + m.errors });
      }
    }
    s.def = next;
    s.nodeState = nodeState;
    s.generation = generation;
    s.parts = built.parts;
    const inGraph = new Set(built.doc.nodes.map((n) => n.id));
    const wasIn = new Set(before.nodes.map((n) => n.id));
    for (const [docId, b] of s.bound)
      if (!inGraph.has(docId)) {
        b.release?.();
        s.bound.delete(docId);
      }
    for (const n of built.doc.nodes) if (!wasIn.has(n.id) || !s.bound.has(n.id)) this.bindPart(s, ex, built, n);
  }

  private transition(s: Slot, signal: InstinctSignal): void {
    const refuse = (allowed: string) =>
      new InstinctError('invalid_state_transition', `Cannot ${signal} stream ${s.def.id}: it is ${s.state} (${signal} is allowed from ${allowed})`, { streamId: s.def.id, state: s.state, signal });
    const run = s.run;
    switch (signal) {
      case 'start':
        if (s.state === 'starting' || s.state === 'running') return;
        if (!STOPPABLE.includes(s.state)) throw refuse('created, stopped or error');
        this.commit(s, this.prepare(s));
        return;
      case 'pause':
        if (s.state === 'pausing' || s.state === 'paused') return;
        if (s.state !== 'running' || !run) throw refuse('running');
        s.state = 'pausing';
        run.ex.pause();
        setTimeout(() => {
          if (s.state === 'pausing' && s.run === run) s.state = 'paused';
        }, 0);
        return;
      case 'resume':
        if (s.state === 'running') return;
        if (s.state !== 'paused' || !run) throw refuse('paused');
        run.ex.resume();
        s.state = 'running';
        this.loop(s, run);
        return;
      case 'stop':
        if (s.state === 'stopping' || s.state === 'stopped') return;
        if (!ACTIVE.includes(s.state)) throw refuse('starting, running, pausing or paused');
        s.state = 'stopping';
        this.halt(s);
        void (run?.loop?.done ?? Promise.resolve()).then(() => {
          if (s.state === 'stopping' && s.run === run) s.state = 'stopped';
        });
        return;
    }
  }

  /** Maps and loads the definition into a fresh execution; refused (nothing changed) when a node cannot run here. */
  private prepare(s: Slot): { run: Run; built: Built } {
    const built = this.build(s.def, s.def.id, { nodeState: new Map(), generation: new Map(), lenient: false });
    const ex = new Execution(this.opts.registry, { info: { logLevel: 20, errorMode: 'ignore', tickRateHz: TICK_RATE_HZ } });
    try {
      ex.load(built.doc);
    } catch (e) {
      throw validationError(e, built, `Stream ${s.def.id} cannot start`);
    }
    return { run: { ex }, built };
  }

  /** Binds and plays a prepared run (restart from scratch: node states and counts are new). */
  private commit(s: Slot, { run, built }: { run: Run; built: Built }): void {
    this.release(s);
    s.run?.ex.unload();
    s.run = run;
    s.parts = built.parts;
    s.nodeState = new Map();
    s.generation = new Map();
    s.frozen = new Map();
    s.error = undefined;
    for (const n of built.doc.nodes) this.bindPart(s, run.ex, built, n);
    if (s.error) {
      this.release(s);
      s.state = 'error';
      return;
    }
    s.state = 'starting';
    run.ex.play();
    this.loop(s, run);
    setTimeout(() => {
      if (s.state === 'starting' && s.run === run) s.state = 'running';
    }, 0);
  }

  private loop(s: Slot, run: Run): void {
    this.opts.runs.ensure(run, run.ex, () => this.slots.get(s.def.id) === s && s.run === run, (e) => this.fail(s, `the engine loop failed: ${errorMessage(e)}`));
  }

  /** Binds one part of the graph: generated signal, sink publisher or the host's binding (device ring …). */
  private bindPart(s: Slot, ex: Execution, built: Built, n: PipelineNode): void {
    const nodeId = [...built.parts].find(([, ids]) => ids.includes(n.id))?.[0];
    const mapped = nodeId ? built.mapped.get(nodeId) : undefined;
    const part = mapped?.parts[(built.parts.get(nodeId!) ?? []).indexOf(n.id)];
    if (!nodeId || !mapped || !part?.binding) return;
    try {
      if (part.binding === 'generator') {
        ex.bind(n.id, this.generator(mapped.generator!, `instinct.${s.def.id}.${nodeId}`));
        s.bound.set(n.id, {});
      } else if (part.binding === 'sink') {
        if (!this.opts.sinks) return;
        const pub = this.opts.sinks.publisher(Number(n.params.port), s.def.id, nodeId);
        ex.bind(n.id, pub);
        s.bound.set(n.id, { release: pub.release });
      } else {
        const b = this.opts.bind?.({ executionId: s.def.id, nodeId: n.id, type: n.type, params: ex.getParams(n.id) });
        if (b === undefined) return;
        const sourceId = (b as Partial<StreamInputBinding>).descriptor?.id;
        ex.bind(n.id, sourceId !== undefined ? this.watched(s, b as StreamInputBinding) : b);
        s.bound.set(n.id, sourceId !== undefined ? { sourceId } : {});
      }
    } catch (e) {
      const why = `node ${nodeId} (${n.type}) could not be bound: ${errorMessage(e)}`;
      ex.log(40, why, n.id);
      s.error ??= why;
      if (ACTIVE.includes(s.state)) this.fail(s, why);
    }
  }

  /**
   * A device stream's reader that reports its end: when the device goes away its ring closes, and a
   * closed ring answers every wait at once; the stream fails instead of spinning on it.
   */
  private watched(s: Slot, b: StreamInputBinding): StreamInputBinding {
    const inner = b.reader;
    const run = s.run;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    return {
      descriptor: b.descriptor,
      reader: {
        read: (maxFrames, samples, ts) => inner.read(maxFrames, samples, ts),
        waitForData: async (ms) => {
          const r = inner.waitForData ? await inner.waitForData(ms) : await sleep(ms);
          if (r !== 'closed') return r;
          if (s.run === run) this.fail(s, deviceGone(b.descriptor.id));
          await sleep(ms);
          return r;
        },
      },
    };
  }

  /** Stops the run, its loop and its sinks (the execution and its metrics are kept). */
  private halt(s: Slot): void {
    s.run?.ex.stop();
    s.run?.loop?.abort.abort();
    this.release(s);
  }

  private release(s: Slot): void {
    for (const b of s.bound.values()) b.release?.();
    s.bound.clear();
  }

  private fail(s: Slot, why: string): void {
    if (!ACTIVE.includes(s.state)) return;
    s.run?.ex.log(40, why);
    this.halt(s);
    s.state = 'error';
    s.error = why;
  }

  /**
   * Our graph of a definition. Strict (at start): every executable must map (else
   * unsupported_executable, details.nodes) and every config be usable (else validation_failed).
   * Lenient (live edits): nodes that cannot run stay out of the graph, idle.
   */
  private build(def: InstinctStream, streamId: string, o: { nodeState: Slot['nodeState']; generation: Slot['generation']; lenient: boolean }): Built {
    const unsupported: string[] = [];
    const invalid: { nodeId: string; message: string }[] = [];
    const mapped = new Map<string, MappedNode>();
    for (const n of def.nodes) {
      try {
        const m = mapExecutable(n.executable, n.config ?? {}, this.opts.registry);
        if (m) mapped.set(n.id, m);
        else unsupported.push(n.id);
      } catch (e) {
        if (!(e instanceof ExecutableConfigError)) throw e;
        invalid.push({ nodeId: n.id, message: e.message });
      }
    }
    if (!o.lenient && unsupported.length)
      throw new InstinctError(
        'unsupported_executable',
        `Stream ${streamId} cannot start: no browser equivalent for the executable of node${unsupported.length > 1 ? 's' : ''} ${unsupported.join(', ')} (known programs: ${INSTINCT_PROGRAMS.join(', ')}, or any Neurotab node type id such as filter.iir); the stream was not changed`,
        { nodes: unsupported, executables: unsupported.map((u) => def.nodes.find((n) => n.id === u)!.executable) },
      );
    if (!o.lenient && invalid.length)
      throw new InstinctError('validation_failed', `Stream ${streamId} cannot start: ${invalid.map((i) => `node ${i.nodeId}: ${i.message}`).join('; ')}; the stream was not changed`, { issues: invalid });
    const nodes: PipelineNode[] = [];
    const edges: PipelineEdge[] = [];
    const parts = new Map<string, string[]>();
    for (const n of def.nodes) {
      const m = mapped.get(n.id);
      const state = o.nodeState.get(n.id);
      const isSource = m?.parts[0]?.binding === 'generator' || (m ? (this.opts.registry.find(m.parts[0].type)?.source ?? false) : false);
      if (!m || (state && isSource)) continue; // out of the graph: cannot run here, or a paused source
      const gen = o.generation.get(n.id) ?? 0;
      const base = gen ? `${n.id}:r${gen}` : n.id;
      const ids = m.parts.map((_, k) => (k === 0 ? base : `${base}:${k}`));
      parts.set(n.id, ids);
      m.parts.forEach((p, k) => nodes.push({ id: ids[k], type: p.type, params: structuredClone(p.params), title: k === 0 ? n.executable : undefined }));
      for (let k = 1; k < ids.length; k++) edges.push({ source: ids[k - 1], sourcePort: 'data', target: ids[k], targetPort: 'data' });
    }
    for (const p of def.pipes) {
      const from = parts.get(p.source);
      const to = parts.get(p.destination);
      if (!from || !to || o.nodeState.has(p.destination)) continue;
      edges.push({ source: from[from.length - 1], sourcePort: p.sourcePort ?? 'data', target: to[0], targetPort: p.destinationPort ?? 'data' });
    }
    const meta = { name: def.meta.name ?? `Instinct stream ${streamId}`, description: def.meta.description ?? '' };
    return { doc: { format: 'neurotab.pipeline', version: 1, meta, nodes, edges }, parts, mapped };
  }
}

const deviceGone = (streamId: string) =>
  `the device stream "${streamId}" this stream reads disconnected; what it delivered was processed (and recorded, if a recording ran); reconnect the device and start the stream again`;

function nodeRefusal(streamId: string, nodeId: string, state: InstinctState, signal: InstinctSignal): InstinctError {
  return new InstinctError('invalid_state_transition', `Node ${nodeId} of stream ${streamId} is ${state}; "${signal}" is not possible from there`, { streamId, nodeId, state, signal });
}

/** Node ids unique, pipe ids unique, pipes between nodes of the stream. */
function checkStructure(def: InstinctStream): void {
  const seen = new Set<string>();
  def.nodes.forEach((n, i) => {
    if (seen.has(n.id)) throw new InstinctError('invalid_parameter', `nodes[${i}].id: node ${n.id} appears twice; node ids must be unique`, { field: `nodes[${i}].id` });
    seen.add(n.id);
  });
  const pipes = new Set<string>();
  def.pipes.forEach((p, i) => {
    if (pipes.has(p.id)) throw new InstinctError('invalid_parameter', `pipes[${i}].id: pipe ${p.id} appears twice; pipe ids must be unique`, { field: `pipes[${i}].id` });
    pipes.add(p.id);
    for (const [end, node] of [['source', p.source], ['destination', p.destination]] as const)
      if (!seen.has(node)) throw new InstinctError('validation_failed', `pipes[${i}].${end}: node ${node} is not in the stream; a pipe must connect two of its nodes`, { field: `pipes[${i}].${end}`, pipeId: p.id, nodeId: node });
  });
}

/** An engine refusal in Instinct terms: the issues name Instinct node ids. */
function validationError(e: unknown, built: Built, what: string): InstinctError {
  if (e instanceof InstinctError) return e;
  const owner = (docId: string | undefined) => (docId === undefined ? undefined : [...built.parts].find(([, ids]) => ids.includes(docId))?.[0]);
  if (e instanceof PipelineError) {
    const issues = e.issues.map((i) => ({ nodeId: owner(i.nodeId) ?? null, message: i.message }));
    return new InstinctError('validation_failed', `${what}: ${issues.map((i) => (i.nodeId ? `node ${i.nodeId}: ${i.message}` : i.message)).join('; ')}; nothing was changed`, { issues });
  }
  return new InstinctError('validation_failed', `${what}: ${errorMessage(e)}; nothing was changed`);
}
