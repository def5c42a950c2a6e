// Every question the pipeline editor asks the engine, in one place (the engine's data model is
// being rewritten — packets of axis-typed chunks — and only this module should need to follow):
// the class palette, whether an edge may be added and if not why (decided by compiling the draft
// document with the registry, never by a re-implementation), what a port carries (handle and edge
// labels) and the nodes' order. Pure functions of (document, registry); runs anywhere.
import {
  PACKAGES,
  PipelineError,
  arrivingKinds,
  classInfo,
  compilePipeline,
  parsePipelineDocument,
  type DataKind,
  type ExecutionPlan,
  type NodeClassInfo,
  type NodeContext,
  type NodeRegistry,
  type PipelineDocument,
  type PipelineEdge,
  type PipelineIssue,
} from '../../engine/index';
import { outputKinds } from '../../engine/compiler';
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
  return groups;
}

const quiet = (nodeId: string): NodeContext => ({ nodeId, log: () => {}, offline: false });

/** Compiles a document as the engine does before running it (nodes instantiated, nothing run). */
export function compileDraft(doc: PipelineDocument, registry: NodeRegistry): { plan: ExecutionPlan } | { issues: PipelineIssue[] } {
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
export function checkEdge(doc: PipelineDocument, edge: PipelineEdge, registry: NodeRegistry): EdgeVerdict {
  const before = compileDraft(doc, registry);
  const known = new Set('issues' in before ? before.issues.map(issueKey) : []);
  const after = compileDraft({ ...doc, edges: [...doc.edges, edge] }, registry);
  if ('plan' in after) return { ok: true };
  const fresh = after.issues.filter((i) => !known.has(issueKey(i)));
  if (!fresh.length) return { ok: true };
  return { ok: false, reason: fresh.map((i) => i.message).join('; '), issues: fresh };
}

/**
 * What each output port of each node carries, as the engine resolves it: the compiled plan's output
 * kinds when the draft compiles, else the kinds propagated from what arrives (arrivingKinds).
 */
export function outputCarries(doc: PipelineDocument, registry: NodeRegistry): Map<string, Record<string, DataKind[]>> {
  const draft = compileDraft(doc, registry);
  if ('plan' in draft) return new Map(draft.plan.order.map((n) => [n.id, n.outputKinds]));
  const arriving = arrivingKinds(doc, registry);
  const out = new Map<string, Record<string, DataKind[]>>();
  for (const n of doc.nodes) {
    const cls = registry.find(n.type);
    if (!cls) continue;
    const kinds = outputKinds(cls, arriving.get(n.id) ?? {});
    out.set(n.id, kinds);
  }
  return out;
}

/** A handle's label: the port's title and what it carries or accepts (e.g. "data · signal/features"). */
export function portLabel(doc: PipelineDocument, registry: NodeRegistry, nodeId: string, port: string, side: 'in' | 'out'): string {
  const node = doc.nodes.find((n) => n.id === nodeId);
  const cls = node && registry.find(node.type);
  if (!cls) return port;
  if (side === 'in') {
    const p = cls.inputs.find((i) => i.name === port);
    if (p) return `${p.name} · ${p.kinds.join('/')}`;
    const param = cls.params.find((q) => q.name === port);
    return param ? `${param.name} · parameter` : port;
  }
  const kinds = outputCarries(doc, registry).get(nodeId)?.[port] ?? [];
  return kinds.length ? `${port} · ${kinds.join('/')}` : port;
}

/**
 * The nodes in the engine's topological order (every node after those feeding it) when the draft
 * compiles; otherwise the document's own order.
 */
export function nodeOrder(doc: PipelineDocument, registry: NodeRegistry): string[] {
  const draft = compileDraft(doc, registry);
  return 'plan' in draft ? draft.plan.order.map((n) => n.id) : doc.nodes.map((n) => n.id);
}
