// Graph walks shared by the compiler, the runtime and the editors: one topological order, and the
// propagation of static shapes along the edges (what reaches each input port, what leaves each
// output, which edges a node refuses and why). Pure; runs anywhere. Finds classes through a
// NodeClassLookup, so neither this file nor the compiler imports the registry.
import { resolveParams } from './params';
import type { Packet } from './packet';
import { UNKNOWN_SHAPE, describeQueries, describeShape, kindOf, shapeMatchesAny, shapeOfPacket, type DataKind, type PacketShape } from './shapes';
import type { InputPortSpec, NodeClass, NodeClassLookup } from './types';

interface EdgeLike {
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
}

/**
 * Kahn's order, stable in document order: every node after all nodes feeding it. Nodes on a cycle
 * (or fed by one) are left out of `order` and listed in `cyclic`. Edges to unknown nodes are ignored.
 */
export function topologicalOrder(nodeIds: readonly string[], edges: readonly { source: string; target: string }[]): { order: string[]; cyclic: string[] } {
  const known = new Set(nodeIds);
  const succ = new Map<string, Set<string>>();
  const indeg = new Map<string, number>(nodeIds.map((id) => [id, 0]));
  for (const e of edges) {
    if (!known.has(e.source) || !known.has(e.target)) continue;
    let s = succ.get(e.source);
    if (!s) succ.set(e.source, (s = new Set()));
    if (s.has(e.target)) continue;
    s.add(e.target);
    indeg.set(e.target, indeg.get(e.target)! + 1);
  }
  const ready = nodeIds.filter((id) => indeg.get(id) === 0);
  const order: string[] = [];
  for (let i = 0; i < ready.length; i++) {
    const id = ready[i];
    order.push(id);
    for (const t of succ.get(id) ?? []) {
      const d = indeg.get(t)! - 1;
      indeg.set(t, d);
      if (d === 0) ready.push(t);
    }
  }
  const placed = new Set(order);
  return { order, cyclic: nodeIds.filter((id) => !placed.has(id)) };
}

/** The queries an input port accepts with these parameters. */
export function acceptsOf(port: InputPortSpec, params: Readonly<Record<string, unknown>>) {
  return typeof port.accepts === 'function' ? port.accepts(params) : port.accepts;
}

/** A node as the shape propagation sees it. */
export interface ShapeNode {
  id: string;
  cls: NodeClass;
  params: Readonly<Record<string, unknown>>;
}

export interface ShapeIssue {
  nodeId: string;
  port: string;
  message: string;
}

export interface ShapeReport {
  /** node id → input port → what reaches it at load. */
  arriving: Map<string, Record<string, PacketShape>>;
  /** node id → output port → what leaves it. */
  outputs: Map<string, Record<string, PacketShape>>;
  issues: ShapeIssue[];
}

/**
 * Why a port refuses what reaches it, or undefined when it accepts it (or cannot tell before data
 * flows). Used at load with static shapes and on the first packet of a port whose shape was unknown.
 */
export function refusal(cls: NodeClass, port: InputPortSpec, params: Readonly<Record<string, unknown>>, arriving: PacketShape, from: string): string | undefined {
  if (arriving === UNKNOWN_SHAPE || !arriving.length) return undefined;
  const qs = acceptsOf(port, params);
  if (arriving.some((s) => shapeMatchesAny(s, qs))) return undefined;
  const who = cls.neuropype ? `${cls.neuropype.class} (${cls.type})` : cls.type;
  return `input "${port.name}" of ${who} needs ${describeQueries(qs)}, but ${from} carries ${describeShape(arriving)}${port.hint ? `; ${port.hint}` : ''}`;
}

/** The runtime form of `refusal`: the packet that arrived, checked against the port. */
export function refusalOfPacket(cls: NodeClass, port: InputPortSpec, params: Readonly<Record<string, unknown>>, packet: Packet, from: string): string | undefined {
  return refusal(cls, port, params, shapeOfPacket(packet), from);
}

/**
 * Static shapes along a graph, in the given (topological) order: each output's shape from what
 * reaches the node (`OutputPortSpec.shape`; absent = unknown), each input checked against what its
 * port accepts. Edges into parameters (value wires) are not data and are skipped.
 */
export function propagateShapes(order: readonly ShapeNode[], edges: readonly EdgeLike[]): ShapeReport {
  const arriving = new Map<string, Record<string, PacketShape>>();
  const outputs = new Map<string, Record<string, PacketShape>>();
  const issues: ShapeIssue[] = [];
  const byTarget = new Map<string, EdgeLike[]>();
  for (const e of edges) (byTarget.get(e.target) ?? byTarget.set(e.target, []).get(e.target)!).push(e);
  for (const n of order) {
    const ins: Record<string, PacketShape> = {};
    for (const e of byTarget.get(n.id) ?? []) {
      const port = n.cls.inputs.find((p) => p.name === e.targetPort);
      if (!port) continue;
      const shape = outputs.get(e.source)?.[e.sourcePort] ?? UNKNOWN_SHAPE;
      ins[port.name] = shape;
      const why = refusal(n.cls, port, n.params, shape, `${e.source}.${e.sourcePort}`);
      if (why) issues.push({ nodeId: n.id, port: port.name, message: why });
    }
    arriving.set(n.id, ins);
    const outs: Record<string, PacketShape> = {};
    for (const o of n.cls.outputs) {
      if (o.value) continue;
      try {
        outs[o.name] = o.shape ? o.shape(ins, n.params) : UNKNOWN_SHAPE;
      } catch {
        outs[o.name] = UNKNOWN_SHAPE;
      }
    }
    outputs.set(n.id, outs);
  }
  return { arriving, outputs, issues };
}

/**
 * What reaches each node's input ports in a document, for editors (which parameters apply, which
 * axes arrive). Tolerant: parameters that do not check fall back to the defaults; unknown classes
 * and nodes on a cycle get no entry.
 */
export function arrivingShapes(doc: { nodes: readonly { id: string; type: string; params: Record<string, unknown> }[]; edges: readonly EdgeLike[] }, registry: NodeClassLookup): Map<string, Record<string, PacketShape>> {
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const { order } = topologicalOrder(
    doc.nodes.map((n) => n.id),
    doc.edges,
  );
  const nodes: ShapeNode[] = [];
  for (const id of order) {
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
  return propagateShapes(nodes, doc.edges).arriving;
}

/** The kinds (shapes.ts `kindOf`) of the chunks reaching each input port; an unknown shape gives none. */
export function arrivingKinds(doc: Parameters<typeof arrivingShapes>[0], registry: NodeClassLookup): Map<string, Record<string, DataKind[]>> {
  const out = new Map<string, Record<string, DataKind[]>>();
  for (const [id, ports] of arrivingShapes(doc, registry)) {
    const kinds: Record<string, DataKind[]> = {};
    for (const [port, shape] of Object.entries(ports)) kinds[port] = shape === UNKNOWN_SHAPE ? [] : [...new Set(shape.map(kindOf))];
    out.set(id, kinds);
  }
  return out;
}
