// Every question the pipeline editor asks the engine, in one place: the class palette, whether an
// edge may be added and if not why (decided by compiling the draft document with the registry, never
// by a re-implementation), what a port carries (the static packet shapes of graph.ts, labelled with
// shapes.ts `kindOf`) and the nodes' order (graph.ts `topologicalOrder`). Pure functions of
// (document, registry); runs anywhere.
import {
  PACKAGES,
  PipelineError,
  UNKNOWN_SHAPE,
  acceptsOf,
  classInfo,
  compilePipeline,
  describeQueries,
  describeShape,
  kindOf,
  parsePipelineDocument,
  propagateShapes,
  resolveParams,
  topologicalOrder,
  type DataKind,
  type ExecutionPlan,
  type NodeClassInfo,
  type NodeContext,
  type NodeRegistry,
  type PipelineDocument,
  type PipelineEdge,
  type PipelineIssue,
  type PacketShape,
  type ShapeNode,
  type ShapeReport,
} from '../../engine/index';
import { errorMessage } from '../../core/errors';

export interface PaletteGroup {
  package: string;
  title: string;
  description: string;
  classes: NodeClassInfo[];
}

/**
 * Every node class, grouped by package in the registry's package order. `query` (case-insensitive,
 * words ANDed) matches our type id, the NeuroPype class name or aliases, the title or the doc's
 * first line; groups left empty are dropped.
 */
export function palette(registry: NodeRegistry, query = ''): PaletteGroup[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const matches = (c: NodeClassInfo) => {
    const hay = [c.type, c.title, c.neuropype?.class ?? '', ...c.neuropypeAliases, c.doc.split('\n')[0]].join(' ').toLowerCase();
    return words.every((w) => hay.includes(w));
  };
  const groups: PaletteGroup[] = [];
  for (const p of PACKAGES) {
    const classes = registry
      .list(p.id)
      .map(classInfo)
      .filter(matches)
      .sort((a, b) => a.title.localeCompare(b.title));
    if (classes.length) groups.push({ package: p.id, title: p.title, description: p.description, classes });
  }
  // Classes of packages PACKAGES does not list (NeuroPype's neural, feature_extraction…) still get a group.
  const listed = new Set(PACKAGES.map((p) => p.id));
  const extra = new Map<string, NodeClassInfo[]>();
  for (const cls of registry.list()) {
    if (listed.has(cls.package)) continue;
    const info = classInfo(cls);
    if (matches(info)) (extra.get(cls.package) ?? extra.set(cls.package, []).get(cls.package)!).push(info);
  }
  for (const [id, classes] of extra) {
    const title = id.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
    groups.push({ package: id, title, description: '', classes: classes.sort((a, b) => a.title.localeCompare(b.title)) });
  }
  return groups;
}

const quiet = (nodeId: string): NodeContext => ({ nodeId, log: () => {}, offline: false });

/** Compiles a document as the engine does before running it (nodes instantiated, nothing run). */
export type DraftResult = { plan: ExecutionPlan } | { issues: PipelineIssue[] };

export function compileDraft(doc: PipelineDocument, registry: NodeRegistry): DraftResult {
  try {
    const parsed = parsePipelineDocument(doc);
    return { plan: compilePipeline(parsed, registry, { instantiate: ({ id, cls, params }) => cls.create(params, quiet(id)) }) };
  } catch (e) {
    if (e instanceof PipelineError) return { issues: e.issues };
    return { issues: [{ path: '', message: errorMessage(e) }] };
  }
}

export type EdgeVerdict = { ok: true } | { ok: false; reason: string; issues: PipelineIssue[] };

const issueKey = (i: PipelineIssue) => `${i.nodeId ?? ''}\u0000${i.message.replace(/edges\[\d+\]/g, 'edges[]')}`;

/**
 * May `edge` be added to `doc`? The draft with the edge is compiled; the issues it has that the
 * document without it does not are the edge's refusal (a draft under construction may already
 * have issues of its own — those are not blamed on the edge).
 */
export function checkEdge(doc: PipelineDocument, edge: PipelineEdge, registry: NodeRegistry, compile: (d: PipelineDocument) => DraftResult = (d) => compileDraft(d, registry)): EdgeVerdict {
  const before = compile(doc);
  const known = new Set('issues' in before ? before.issues.map(issueKey) : []);
  const after = compile({ ...doc, edges: [...doc.edges, edge] });
  if ('plan' in after) return { ok: true };
  const fresh = after.issues.filter((i) => !known.has(issueKey(i)));
  if (!fresh.length) return { ok: true };
  return { ok: false, reason: fresh.map((i) => i.message).join('; '), issues: fresh };
}

/** The kinds (shapes.ts `kindOf`, UI labels only) of a packet shape's chunks; an unknown shape gives none. */
export function kindsOf(shape: PacketShape | undefined): DataKind[] {
  return shape === undefined || shape === UNKNOWN_SHAPE ? [] : [...new Set(shape.map(kindOf))];
}

/** The document's nodes as graph.ts sees them, in its topological order (parameters that do not check fall back to the defaults). */
function shapeNodes(doc: PipelineDocument, registry: NodeRegistry): ShapeNode[] {
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const nodes: ShapeNode[] = [];
  for (const id of topologicalOrder(doc.nodes.map((n) => n.id), doc.edges).order) {
    const n = byId.get(id)!;
    const cls = registry.find(n.type);
    if (!cls) continue;
    let params: Record<string, unknown>;
    try {
      params = resolveParams(cls, n.params, '');
    } catch {
      params = resolveParams(cls, {}, '');
    }
    nodes.push({ id, cls, params });
  }
  return nodes;
}

/**
 * What reaches and leaves each port of each node, propagated statically along the draft (graph.ts
 * `propagateShapes`; it tolerates drafts that do not compile). Nodes on a cycle and unknown classes
 * get no entry; a port whose shape is known only once its source is bound is 'unknown'.
 */
export function draftShapes(doc: PipelineDocument, registry: NodeRegistry): ShapeReport & { params: Map<string, Readonly<Record<string, unknown>>> } {
  const nodes = shapeNodes(doc, registry);
  return { ...propagateShapes(nodes, doc.edges), params: new Map(nodes.map((n) => [n.id, n.params])) };
}

/** What leaves each output port of each node (see `draftShapes`). */
export function outputShapes(doc: PipelineDocument, registry: NodeRegistry): Map<string, Record<string, PacketShape>> {
  return draftShapes(doc, registry).outputs;
}

/** What each output port of each node carries, as kind labels (see `draftShapes`). */
export function outputCarries(doc: PipelineDocument, registry: NodeRegistry): Map<string, Record<string, DataKind[]>> {
  const out = new Map<string, Record<string, DataKind[]>>();
  for (const [id, ports] of outputShapes(doc, registry)) out.set(id, Object.fromEntries(Object.entries(ports).map(([p, s]) => [p, kindsOf(s)])));
  return out;
}

export interface PortLabels {
  /** node id → input port (or parameter wired as an input) → label. */
  inputs: Map<string, Record<string, string>>;
  /** node id → output port → label. */
  outputs: Map<string, Record<string, string>>;
  /** node id → output port → kind labels (for edge labels). */
  carries: Map<string, Record<string, DataKind[]>>;
}

/**
 * Every handle's label in one propagation (the canvas redraws all nodes at once): a port's name and
 * what it carries, e.g. "data · spectrum". An input shows the kinds arriving on it when they are
 * known, else what it accepts (`acceptsOf`): "data · any" for a port that takes any chunk,
 * "data · markers" for a marker-only port, else just "data". An output without a known shape shows
 * its name.
 */
export function portLabels(doc: PipelineDocument, registry: NodeRegistry): PortLabels {
  const report = draftShapes(doc, registry);
  const inputs = new Map<string, Record<string, string>>();
  const outputs = new Map<string, Record<string, string>>();
  const carries = new Map<string, Record<string, DataKind[]>>();
  for (const n of doc.nodes) {
    const cls = registry.find(n.type);
    if (!cls) continue;
    const arriving = report.arriving.get(n.id) ?? {};
    const params = report.params.get(n.id) ?? {};
    const ins: Record<string, string> = {};
    for (const p of cls.inputs) {
      const kinds = kindsOf(arriving[p.name]);
      if (kinds.length) ins[p.name] = `${p.name} · ${kinds.join('/')}`;
      else {
        const qs = acceptsOf(p, params);
        ins[p.name] = !qs.length ? `${p.name} · any` : qs.every((q) => q.onlyMarkers) ? `${p.name} · markers` : p.name;
      }
    }
    for (const q of cls.params) if (!(q.name in ins)) ins[q.name] = `${q.name} · parameter`;
    inputs.set(n.id, ins);
    const outs: Record<string, string> = {};
    const car: Record<string, DataKind[]> = {};
    for (const o of cls.outputs) {
      const kinds = o.value ? [] : kindsOf(report.outputs.get(n.id)?.[o.name]);
      car[o.name] = kinds;
      outs[o.name] = kinds.length ? `${o.name} · ${kinds.join('/')}` : o.value ? `${o.name} · value` : o.name;
    }
    outputs.set(n.id, outs);
    carries.set(n.id, car);
  }
  return { inputs, outputs, carries };
}

/** One handle's label (see `portLabels`). */
export function portLabel(doc: PipelineDocument, registry: NodeRegistry, nodeId: string, port: string, side: 'in' | 'out'): string {
  const labels = portLabels(doc, registry);
  return (side === 'in' ? labels.inputs : labels.outputs).get(nodeId)?.[port] ?? port;
}

/** A port's tooltip: what it accepts (inputs) and what reaches or leaves it, in the engine's words. */
export function portDetail(doc: PipelineDocument, registry: NodeRegistry, nodeId: string, port: string, side: 'in' | 'out'): string {
  const node = doc.nodes.find((n) => n.id === nodeId);
  const cls = node && registry.find(node.type);
  if (!node || !cls) return '';
  if (side === 'out') return `carries ${describeShape(outputShapes(doc, registry).get(nodeId)?.[port])}`;
  const p = cls.inputs.find((i) => i.name === port);
  if (!p) return '';
  const report = draftShapes(doc, registry);
  const params = report.params.get(nodeId) ?? {};
  const arriving = report.arriving.get(nodeId)?.[port];
  return `needs ${describeQueries(acceptsOf(p, params))}${arriving === undefined ? '' : `; receives ${describeShape(arriving)}`}`;
}

/** The nodes in the engine's topological order (graph.ts `topologicalOrder`: every node after those feeding it, stable in document order; nodes on a cycle last, in document order). */
export function nodeOrder(doc: PipelineDocument): string[] {
  const { order, cyclic } = topologicalOrder(doc.nodes.map((n) => n.id), doc.edges);
  return [...order, ...cyclic];
}

/** What a draft's engine answers depend on: its nodes and edges (positions and meta do not change them). */
function draftKey(doc: PipelineDocument): string {
  return JSON.stringify([doc.nodes, doc.edges]);
}

/**
 * The editor's memo of the answers above, keyed by the draft's nodes and edges: a 10 Hz report, a
 * move or a hover over a handle redraws without compiling or propagating again. Keeps the last
 * DRAFT_CACHE_SIZE compiles (the document and the few drafts with one candidate edge) and the last
 * labels. Main thread; holds compiled plans (node instances), so one per open editor.
 */
export const DRAFT_CACHE_SIZE = 8;

export class DraftCache {
  private readonly compiled = new Map<string, DraftResult>();
  private lastLabels: { key: string; labels: PortLabels } | null = null;
  /** Compiles and propagations actually run (for the bench and the spec). */
  misses = 0;

  constructor(private readonly registry: NodeRegistry) {}

  compile(doc: PipelineDocument): DraftResult {
    const key = draftKey(doc);
    const hit = this.compiled.get(key);
    if (hit) {
      this.compiled.delete(key);
      this.compiled.set(key, hit);
      return hit;
    }
    this.misses++;
    const r = compileDraft(doc, this.registry);
    this.compiled.set(key, r);
    if (this.compiled.size > DRAFT_CACHE_SIZE) this.compiled.delete(this.compiled.keys().next().value!);
    return r;
  }

  checkEdge(doc: PipelineDocument, edge: PipelineEdge): EdgeVerdict {
    return checkEdge(doc, edge, this.registry, (d) => this.compile(d));
  }

  labels(doc: PipelineDocument): PortLabels {
    const key = draftKey(doc);
    if (this.lastLabels?.key !== key) {
      this.misses++;
      this.lastLabels = { key, labels: portLabels(doc, this.registry) };
    }
    return this.lastLabels.labels;
  }
}
