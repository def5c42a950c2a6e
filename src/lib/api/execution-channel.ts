// The execution channel: how an open pipeline editor and the executions of the REST API share one
// document. Runs in the API engine worker (beside LocalBackend); pages reach it over a
// BroadcastChannel, so an editor in any tab of the origin sees the execution the API edits.
// Serves: the document (get), whole-document edits through the engine's live-change path
// (replace), every change pushed as it happens (changed), and for watched executions a report at
// 10 Hz with per-node metrics, last log lines and errors and per-edge rates and previews.
// Taps copy what they keep (packets are valid only during their step); nothing here blocks a step.
import { errorMessage } from '../core/errors';
import {
  channelsOf,
  findAxis,
  framesOf,
  kindOfChunk,
  markersOf,
  packetItems,
  PipelineError,
  stridesOf,
  type Block,
  type Chunk,
  type ExecutionState,
  type NodeMetrics,
  type Packet,
  type PipelineDocument,
  type PipelineIssue,
} from '../engine/index';
import { BackendError } from './backend';
import type { LocalBackend } from './local-backend';

export const EXECUTION_CHANNEL = 'neurotab-executions';
/** A watch not renewed within this time ends (the page closed). */
export const WATCH_TTL_MS = 5000;
/** Reports per second to watching editors. */
export const REPORT_HZ = 10;
/** Points in a trace preview. */
export const TRACE_POINTS = 64;
/** Bars in a bar preview. */
export const MAX_BARS = 32;
/** How long a marker stays on a tick preview. */
export const TICK_WINDOW_MS = 5000;

export type ChannelRequest =
  | { type: 'get'; requestId: string; executionId: number }
  | { type: 'replace'; requestId: string; executionId: number; doc: PipelineDocument }
  /** Start or renew a watch (renew more often than WATCH_TTL_MS). */
  | { type: 'watch'; watcherId: string; executionId: number }
  | { type: 'unwatch'; watcherId: string };

export type ChannelReply =
  | { type: 'reply'; requestId: string; ok: true; doc: PipelineDocument | null; state: ExecutionState | null }
  | { type: 'reply'; requestId: string; ok: false; code: string; message: string; issues: PipelineIssue[] };

/** What travels along one edge (its source port), summarised for a preview. */
export interface EdgePreview {
  source: string;
  sourcePort: string;
  /** The kind label (shapes.ts `kindOfChunk`) of the packet's main chunk: its first data chunk, else its marker chunk. */
  kind: string;
  /** Items (samples, events, epochs — each chunk's item axis) per second over the last report interval. */
  itemsPerSecond: number;
  /** Signal: the last samples of the first channel; epochs: the last epoch's first channel; spectrum: the last item's mean over the other axes per bin. */
  trace?: number[];
  /** Features: the latest vector (features "<channel>:<band>" averaged per band). */
  bars?: { label: string; value: number }[];
  /** Markers of the last TICK_WINDOW_MS: age and value. */
  ticks?: { ageMs: number; label: string }[];
}

export interface NodeReport {
  metrics: NodeMetrics | null;
  lastLog: string | null;
  /** Latest error of the node, with its age. */
  error: { message: string; ageMs: number; fatal: boolean } | null;
}

export type ChannelEvent =
  | ChannelReply
  /** The execution's document changed (any writer); null when it was unloaded or deleted. */
  | { type: 'changed'; executionId: number; doc: PipelineDocument | null }
  | { type: 'report'; executionId: number; state: ExecutionState; nodes: Record<string, NodeReport>; edges: EdgePreview[] };

export type ChannelMessage = ChannelRequest | ChannelEvent;

/** Per-port summary kept by a tap between reports (exported for its spec). */
export class PortSummary {
  kind = '';
  items = 0;
  trace: number[] = [];
  bars: { label: string; value: number }[] | undefined;
  ticks: { atMs: number; label: string }[] = [];

  /**
   * Called from a tap: copies what it keeps. Every marker chunk of the packet adds ticks (markers
   * ride in the packet beside the data); the first data chunk gives the trace or bars, as
   * `kindOfChunk` labels it. Allocates (small); runs once per step per watched port.
   */
  add(p: Packet): void {
    this.items += packetItems(p);
    let main: [string, Chunk] | undefined;
    for (const [name, c] of p) {
      if (c.props.has_markers) {
        const now = performance.timeOrigin + performance.now();
        for (const ev of markersOf(c)) this.ticks.push({ atMs: Number.isFinite(ev.timestampMs) ? ev.timestampMs : now, label: String(ev.value) });
        if (!main) this.kind = 'markers';
      } else if (!main) main = [name, c];
    }
    if (!main) return;
    const [name, c] = main;
    const b = c.block;
    const kind = kindOfChunk(name, c);
    this.kind = kind;
    switch (kind) {
      case 'signal': {
        const { samples, frames, width } = framesOf(c);
        const rateHz = findAxis(b, 'time')?.nominalRateHz ?? 0;
        const step = Math.max(1, Math.round(rateHz / 32));
        for (let f = 0; f < frames; f += step) this.trace.push(samples[f * width]);
        if (this.trace.length > TRACE_POINTS) this.trace.splice(0, this.trace.length - TRACE_POINTS);
        break;
      }
      case 'features': {
        const { samples, frames, width } = framesOf(c);
        if (!frames) break;
        this.bars = barsOf(
          channelsOf(c).map((ch) => ch.label),
          samples.subarray((frames - 1) * width, frames * width),
        );
        break;
      }
      case 'spectrum': {
        const d = b.axes.findIndex((x) => x.type === 'frequency');
        this.trace = decimate(meanAlong(b, d), TRACE_POINTS);
        break;
      }
      case 'epochs': {
        const d = b.axes.findIndex((x) => x.type === 'time');
        this.trace = decimate(lineAlong(b, d), TRACE_POINTS);
        break;
      }
    }
  }
}

/** Index fixed on the other axes of a preview: the last instance (the newest item), element 0 elsewhere. */
function fixedIndex(b: Block, axis: number): number {
  return b.axes[axis].type === 'instance' ? Math.max(0, b.shape[axis] - 1) : 0;
}

/** The values along axis `d` with every other axis fixed (`fixedIndex`). Allocates. */
function lineAlong(b: Block, d: number): number[] {
  if (d < 0) return [];
  const strides = stridesOf(b.shape);
  let base = 0;
  for (let i = 0; i < b.shape.length; i++) if (i !== d) base += fixedIndex(b, i) * strides[i];
  return Array.from({ length: b.shape[d] }, (_, k) => b.data[base + k * strides[d]]);
}

/** Per element of axis `d`: the mean over the other axes, the instance axis fixed at its last item. Allocates. */
function meanAlong(b: Block, d: number): number[] {
  if (d < 0) return [];
  const strides = stridesOf(b.shape);
  const inst = b.axes.findIndex((x) => x.type === 'instance');
  const sums = new Array<number>(b.shape[d]).fill(0);
  const counts = new Array<number>(b.shape[d]).fill(0);
  for (let j = 0; j < b.data.length; j++) {
    if (inst >= 0 && Math.floor(j / strides[inst]) % b.shape[inst] !== fixedIndex(b, inst)) continue;
    const k = Math.floor(j / strides[d]) % b.shape[d];
    sums[k] += b.data[j];
    counts[k]++;
  }
  return sums.map((s, k) => (counts[k] ? s / counts[k] : 0));
}

/** Features named "<channel>:<band>" are averaged per band; other features are shown one by one. */
function barsOf(labels: string[], values: ArrayLike<number>): { label: string; value: number }[] {
  if (labels.length && labels.every((l) => l.includes(':'))) {
    const sums = new Map<string, { sum: number; n: number }>();
    labels.forEach((l, i) => {
      const band = l.slice(l.lastIndexOf(':') + 1);
      const s = sums.get(band) ?? sums.set(band, { sum: 0, n: 0 }).get(band)!;
      s.sum += values[i];
      s.n++;
    });
    return [...sums].slice(0, MAX_BARS).map(([label, s]) => ({ label, value: s.sum / s.n }));
  }
  return labels.slice(0, MAX_BARS).map((label, i) => ({ label, value: values[i] }));
}

function decimate(values: number[], points: number): number[] {
  if (values.length <= points) return values;
  const out: number[] = [];
  for (let i = 0; i < points; i++) out.push(values[Math.floor((i * values.length) / points)]);
  return out;
}

interface Watch {
  executionId: number;
  expiresMs: number;
}

interface Observed {
  summaries: Map<string, PortSummary>;
  untap: Map<string, () => void>;
  lastReportMs: number;
  logFrom: number;
  errorFrom: number;
  lastLog: Map<string, string>;
  lastError: Map<string, { message: string; timeMs: number; fatal: boolean }>;
}

/** Anything with BroadcastChannel's two methods (tests pass a pair of linked fakes or real channels). */
export interface ChannelPort {
  postMessage(m: unknown): void;
  onmessage: ((ev: MessageEvent) => void) | null;
  close?(): void;
}

/**
 * Serves the channel for `backend` until the returned function is called. `port` defaults to a
 * BroadcastChannel named EXECUTION_CHANNEL.
 */
export function serveExecutionChannel(backend: LocalBackend, port: ChannelPort = new BroadcastChannel(EXECUTION_CHANNEL)): () => void {
  const watches = new Map<string, Watch>();
  const observed = new Map<number, Observed>();
  const post = (e: ChannelEvent) => port.postMessage(e);

  const docOf = (id: number): PipelineDocument | null => {
    try {
      return backend.document(id) ?? null;
    } catch {
      return null;
    }
  };
  const unwatchDocs = backend.watchDocuments((id) => {
    post({ type: 'changed', executionId: id, doc: docOf(id) });
    const o = observed.get(id);
    if (o) retap(id, o);
  });

  /** Taps every source port that feeds an edge (and drops taps of ports no edge uses any more). */
  function retap(id: number, o: Observed): void {
    let ex;
    try {
      ex = backend.execution(id);
    } catch {
      return;
    }
    const doc = ex.document;
    const wanted = new Set((doc?.edges ?? []).map((e) => `${e.source}\u0000${e.sourcePort}`));
    for (const [key, off] of o.untap) {
      if (wanted.has(key)) continue;
      off();
      o.untap.delete(key);
      o.summaries.delete(key);
    }
    for (const key of wanted) {
      if (o.untap.has(key)) continue;
      const [node, portName] = key.split('\u0000');
      const summary = new PortSummary();
      o.summaries.set(key, summary);
      o.untap.set(key, ex.tap(node, portName, (p) => summary.add(p)));
    }
  }

  function observe(id: number): void {
    if (observed.has(id)) return;
    const o: Observed = { summaries: new Map(), untap: new Map(), lastReportMs: performance.now(), logFrom: 0, errorFrom: 0, lastLog: new Map(), lastError: new Map() };
    observed.set(id, o);
    retap(id, o);
  }

  function forget(id: number): void {
    const o = observed.get(id);
    if (!o) return;
    for (const off of o.untap.values()) off();
    observed.delete(id);
  }

  function report(id: number, o: Observed): void {
    let ex;
    try {
      ex = backend.execution(id);
    } catch {
      return forget(id);
    }
    const nowMs = performance.now();
    const dtS = Math.max(1e-3, (nowMs - o.lastReportMs) / 1000);
    o.lastReportMs = nowMs;
    const wallMs = performance.timeOrigin + nowMs;
    for (const r of ex.logs(o.logFrom, 1000)) {
      o.logFrom = r.id + 1;
      if (r.nodeId) o.lastLog.set(r.nodeId, r.message);
    }
    for (const r of ex.errors(o.errorFrom)) {
      o.errorFrom = r.id + 1;
      if (r.nodeId) o.lastError.set(r.nodeId, { message: r.message, timeMs: r.time * 1000, fatal: r.fatal });
    }
    const metrics = new Map(ex.metrics().map((m) => [m.nodeId, m]));
    const nodes: Record<string, NodeReport> = {};
    for (const n of ex.document?.nodes ?? []) {
      const err = o.lastError.get(n.id);
      nodes[n.id] = {
        metrics: metrics.get(n.id) ?? null,
        lastLog: o.lastLog.get(n.id) ?? null,
        error: err ? { message: err.message, ageMs: Math.max(0, wallMs - err.timeMs), fatal: err.fatal } : null,
      };
    }
    const edges: EdgePreview[] = [];
    for (const [key, s] of o.summaries) {
      const [source, sourcePort] = key.split('\u0000');
      s.ticks = s.ticks.filter((t) => wallMs - t.atMs < TICK_WINDOW_MS);
      edges.push({
        source,
        sourcePort,
        kind: s.kind,
        itemsPerSecond: s.items / dtS,
        ...(s.trace.length ? { trace: [...s.trace] } : {}),
        ...(s.bars ? { bars: s.bars } : {}),
        ...(s.kind === 'markers' || s.ticks.length ? { ticks: s.ticks.map((t) => ({ ageMs: wallMs - t.atMs, label: t.label })) } : {}),
      });
      s.items = 0;
    }
    post({ type: 'report', executionId: id, state: ex.state(), nodes, edges });
  }

  const timer = setInterval(() => {
    const now = performance.now();
    const live = new Set<number>();
    for (const [wid, w] of watches) {
      if (w.expiresMs < now) watches.delete(wid);
      else live.add(w.executionId);
    }
    for (const id of [...observed.keys()]) if (!live.has(id)) forget(id);
    for (const [id, o] of observed) report(id, o);
  }, 1000 / REPORT_HZ);

  async function answer(m: Extract<ChannelRequest, { requestId: string }>): Promise<void> {
    try {
      if (m.type === 'replace') await backend.replaceDocument(m.executionId, m.doc);
      const state = await backend.getState(m.executionId);
      post({ type: 'reply', requestId: m.requestId, ok: true, doc: docOf(m.executionId), state });
    } catch (e) {
      const details = e instanceof BackendError ? e.details : undefined;
      const issues = e instanceof PipelineError ? e.issues : Array.isArray(details?.issues) ? (details.issues as PipelineIssue[]) : [];
      post({ type: 'reply', requestId: m.requestId, ok: false, code: e instanceof BackendError ? e.code : 'INTERNAL', message: errorMessage(e), issues });
    }
  }

  port.onmessage = (ev: MessageEvent) => {
    const m = ev.data as ChannelMessage | null;
    if (!m || typeof m !== 'object') return;
    if (m.type === 'get' || m.type === 'replace') void answer(m);
    else if (m.type === 'watch') {
      watches.set(m.watcherId, { executionId: m.executionId, expiresMs: performance.now() + WATCH_TTL_MS });
      observe(m.executionId);
    } else if (m.type === 'unwatch') watches.delete(m.watcherId);
  };

  return () => {
    clearInterval(timer);
    unwatchDocs();
    for (const id of [...observed.keys()]) forget(id);
    port.onmessage = null;
    port.close?.();
  };
}
