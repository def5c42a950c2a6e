// The pipeline editor's edits as pure functions on a document: each returns a new document (the
// input is never changed), so every edit can be recorded in DocumentHistory as it is.
// Positions live in `ui.positions` (what the .pyp writer and the /np API read).
import type { PipelineDocument, PipelineEdge, PipelineNode } from '../../engine/index';

export type Position = { x: number; y: number };

export function positionsOf(doc: PipelineDocument): Record<string, Position> {
  return (doc.ui?.positions ?? {}) as Record<string, Position>;
}

/** A fresh node id from the class's last name part (iir, iir2, …). */
export function freshId(doc: PipelineDocument, type: string): string {
  const base = (type.split('.').pop() ?? 'node').replace(/[^A-Za-z0-9_]/g, '_') || 'node';
  const taken = new Set(doc.nodes.map((n) => n.id));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}${i}`)) return `${base}${i}`;
}

export const sameEdge = (a: PipelineEdge, b: PipelineEdge) => a.source === b.source && a.sourcePort === b.sourcePort && a.target === b.target && a.targetPort === b.targetPort;

export function addNode(doc: PipelineDocument, type: string, at: Position): { doc: PipelineDocument; id: string } {
  const id = freshId(doc, type);
  const next = structuredClone(doc);
  next.nodes.push({ id, type, params: {} });
  next.ui = { ...next.ui, positions: { ...positionsOf(next), [id]: at } };
  return { doc: next, id };
}

export function addEdge(doc: PipelineDocument, edge: PipelineEdge): PipelineDocument {
  const next = structuredClone(doc);
  if (!next.edges.some((e) => sameEdge(e, edge))) next.edges.push(edge);
  return next;
}

/** Removes nodes (with their edges) and edges. */
export function remove(doc: PipelineDocument, nodeIds: Iterable<string>, edges: PipelineEdge[] = []): PipelineDocument {
  const gone = new Set(nodeIds);
  const next = structuredClone(doc);
  next.nodes = next.nodes.filter((n) => !gone.has(n.id));
  next.edges = next.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target) && !edges.some((x) => sameEdge(x, e)));
  const pos = { ...positionsOf(next) };
  for (const id of gone) delete pos[id];
  if (next.ui) next.ui = { ...next.ui, positions: pos };
  return next;
}

export function move(doc: PipelineDocument, moved: Record<string, Position>): PipelineDocument {
  const next = structuredClone(doc);
  next.ui = { ...next.ui, positions: { ...positionsOf(next), ...moved } };
  return next;
}

export function setParam(doc: PipelineDocument, nodeId: string, name: string, value: unknown): PipelineDocument {
  const next = structuredClone(doc);
  const n = next.nodes.find((x) => x.id === nodeId);
  if (n) {
    if (value === undefined) delete n.params[name];
    else n.params[name] = value;
  }
  return next;
}

/** What copy keeps: the nodes, the edges among them and their positions. */
export interface Clip {
  nodes: PipelineNode[];
  edges: PipelineEdge[];
  positions: Record<string, Position>;
}

export function copy(doc: PipelineDocument, nodeIds: Iterable<string>): Clip {
  const ids = new Set(nodeIds);
  const pos = positionsOf(doc);
  return structuredClone({
    nodes: doc.nodes.filter((n) => ids.has(n.id)),
    edges: doc.edges.filter((e) => ids.has(e.source) && ids.has(e.target)),
    positions: Object.fromEntries([...ids].filter((id) => pos[id]).map((id) => [id, pos[id]])),
  });
}

/** Pastes a clip with fresh ids, shifted by `offset`; returns the new ids (paste and duplicate). */
export function paste(doc: PipelineDocument, clip: Clip, offset: Position = { x: 40, y: 40 }): { doc: PipelineDocument; ids: string[] } {
  let next = structuredClone(doc);
  const rename = new Map<string, string>();
  for (const n of clip.nodes) {
    const id = freshId(next, n.type);
    rename.set(n.id, id);
    const p = clip.positions[n.id] ?? { x: 0, y: 0 };
    next.nodes.push({ ...structuredClone(n), id });
    next = move(next, { [id]: { x: p.x + offset.x, y: p.y + offset.y } });
  }
  for (const e of clip.edges) next.edges.push({ ...e, source: rename.get(e.source)!, target: rename.get(e.target)! });
  return { doc: next, ids: [...rename.values()] };
}
