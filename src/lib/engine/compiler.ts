// Compiler: pipeline document + registry → execution plan (nodes in topological order, resolved
// parameters, which output feeds which input, static shapes checked along every edge: graph.ts).
// Pure; runs in the engine worker, the CLI and the API. Collects every problem before throwing.
import { errorMessage } from '../core/errors';
import { PipelineError, type PipelineDocument, type PipelineIssue } from './document';
import { propagateShapes, topologicalOrder, type ShapeNode } from './graph';
import { findParam, resolveParams } from './params';
import { UNKNOWN_SHAPE, type PacketShape } from './shapes';
import type { NodeClass, NodeClassLookup, NodeInstance } from './types';

export interface InputLink {
  port: string;
  sourceId: string;
  sourcePort: string;
  /** Position of the source in `ExecutionPlan.order` (set when the plan is built; −1 before). */
  sourceIndex: number;
}

export interface ParamLink {
  param: string;
  sourceId: string;
  sourcePort: string;
}

export interface PlanNode {
  id: string;
  cls: NodeClass;
  params: Record<string, unknown>;
  /** Data inputs (one link per input port). */
  inputs: InputLink[];
  /** Wires from `value` outputs into this node's parameters (NeuroPype parameter ports). */
  paramInputs: ParamLink[];
  /** Static shape of each output port (graph.ts). */
  outputShapes: Record<string, PacketShape>;
  /** Input ports whose shape was unknown at load: the runtime checks their first packet (and any change of layout). */
  deferredPorts: string[];
  instance: NodeInstance;
  /** Position in `ExecutionPlan.order`. */
  index: number;
}

export interface ExecutionPlan {
  doc: PipelineDocument;
  /** Topological order: every node after all nodes feeding it. */
  order: PlanNode[];
  byId: Map<string, PlanNode>;
}

export interface CompileOptions {
  /** Builds (or reuses) the live instance of a node; throwing marks the node's parameters invalid. */
  instantiate(node: { id: string; cls: NodeClass; params: Record<string, unknown> }): NodeInstance;
}

export function compilePipeline(doc: PipelineDocument, registry: NodeClassLookup, opts: CompileOptions): ExecutionPlan {
  const issues: PipelineIssue[] = [];
  const classes = new Map<string, { cls: NodeClass; params: Record<string, unknown> | null; index: number }>();

  doc.nodes.forEach((n, i) => {
    const path = `nodes[${i}]`;
    if (classes.has(n.id)) {
      issues.push({ path: `${path}.id`, nodeId: n.id, message: `duplicate node id "${n.id}"` });
      return;
    }
    const cls = registry.find(n.type);
    if (!cls) {
      issues.push({ path: `${path}.type`, nodeId: n.id, message: `unknown node type "${n.type}"; run "neurotab nodes" for the list` });
      return;
    }
    let params: Record<string, unknown> | null = null;
    try {
      params = resolveParams(cls, n.params, '');
    } catch (e) {
      issues.push({ path: `${path}.params`, nodeId: n.id, message: errorMessage(e) });
    }
    classes.set(n.id, { cls, params, index: i });
  });

  // Edges: endpoints exist, ports exist, one wire per input.
  const inputsOf = new Map<string, InputLink[]>();
  const paramInputsOf = new Map<string, ParamLink[]>();
  const wired = new Map<string, number>();
  doc.edges.forEach((e, i) => {
    const path = `edges[${i}]`;
    const label = `edge ${e.source}.${e.sourcePort} → ${e.target}.${e.targetPort}`;
    const src = classes.get(e.source);
    const dst = classes.get(e.target);
    if (!doc.nodes.some((n) => n.id === e.source)) {
      issues.push({ path: `${path}.source`, message: `${label}: source node "${e.source}" does not exist` });
      return;
    }
    if (!doc.nodes.some((n) => n.id === e.target)) {
      issues.push({ path: `${path}.target`, message: `${label}: target node "${e.target}" does not exist` });
      return;
    }
    if (!src || !dst) return; // their own issue was reported
    if (!src.cls.outputs.some((p) => p.name === e.sourcePort)) {
      const outs = src.cls.outputs.map((p) => p.name).join(', ') || '(none)';
      issues.push({ path: `${path}.sourcePort`, nodeId: e.source, message: `${label}: ${src.cls.type} has no output "${e.sourcePort}" (outputs: ${outs})` });
      return;
    }
    const key = `${e.target}\u0000${e.targetPort}`;
    const prior = wired.get(key);
    if (prior !== undefined) {
      issues.push({ path, nodeId: e.target, message: `${label}: input "${e.targetPort}" already has a connection (edges[${prior}]); an input accepts one wire` });
      return;
    }
    const srcOut = src.cls.outputs.find((p) => p.name === e.sourcePort)!;
    if (dst.cls.inputs.some((p) => p.name === e.targetPort)) {
      if (srcOut.value) {
        issues.push({ path, nodeId: e.target, message: `${label}: ${src.cls.type}.${e.sourcePort} is a value, not data; wire it into a parameter of ${dst.cls.type}` });
        return;
      }
      wired.set(key, i);
      (inputsOf.get(e.target) ?? inputsOf.set(e.target, []).get(e.target)!).push({ port: e.targetPort, sourceId: e.source, sourcePort: e.sourcePort, sourceIndex: -1 });
    } else if (findParam(dst.cls, e.targetPort)) {
      if (!srcOut.value) {
        issues.push({ path: 'edges', nodeId: e.target, message: `parameter "${e.targetPort}" of ${dst.cls.type} can only be wired from a value output (e.g. ParameterPort.value), not ${e.source}.${e.sourcePort} (data)` });
        return;
      }
      wired.set(key, i);
      const name = findParam(dst.cls, e.targetPort)!.name;
      (paramInputsOf.get(e.target) ?? paramInputsOf.set(e.target, []).get(e.target)!).push({ param: name, sourceId: e.source, sourcePort: e.sourcePort });
    } else {
      const ins = [...dst.cls.inputs.map((p) => p.name), ...dst.cls.params.map((p) => p.name)].join(', ');
      issues.push({ path: `${path}.targetPort`, nodeId: e.target, message: `${label}: ${dst.cls.type} has no input or parameter "${e.targetPort}" (has: ${ins})` });
      return;
    }
  });

  // Topological order, then static shapes along every data edge.
  const { order: orderIds, cyclic } = topologicalOrder([...classes.keys()], doc.edges);
  if (cyclic.length) issues.push({ path: 'edges', message: `the graph has a cycle through nodes ${cyclic.map((s) => `"${s}"`).join(', ')}; pipelines must be acyclic` });
  const shapeNodes: ShapeNode[] = orderIds.map((id) => {
    const { cls, params } = classes.get(id)!;
    return { id, cls, params: params ?? resolveParams(cls, {}, '') };
  });
  const dataEdges = doc.edges.filter((e) => inputsOf.get(e.target)?.some((l) => l.port === e.targetPort && l.sourceId === e.source && l.sourcePort === e.sourcePort));
  const shapes = propagateShapes(shapeNodes, dataEdges);
  for (const i of shapes.issues) issues.push({ path: 'edges', nodeId: i.nodeId, message: i.message });

  if (issues.length) throw new PipelineError(issues);

  const order: PlanNode[] = [];
  const byId = new Map<string, PlanNode>();
  for (const id of orderIds) {
    const { cls, params, index } = classes.get(id)!;
    let instance: NodeInstance;
    try {
      instance = opts.instantiate({ id, cls, params: params! });
    } catch (e) {
      issues.push({ path: `nodes[${index}].params`, nodeId: id, message: errorMessage(e) });
      continue;
    }
    const node: PlanNode = {
      id,
      cls,
      params: params!,
      inputs: inputsOf.get(id) ?? [],
      paramInputs: paramInputsOf.get(id) ?? [],
      outputShapes: shapes.outputs.get(id) ?? {},
      deferredPorts: Object.entries(shapes.arriving.get(id) ?? {})
        .filter(([, sh]) => sh === UNKNOWN_SHAPE)
        .map(([port]) => port),
      instance,
      index: order.length,
    };
    order.push(node);
    byId.set(id, node);
  }
  if (issues.length) throw new PipelineError(issues);
  // index links by position so the runtime finds a source's outputs without a Map lookup
  for (const n of order) n.inputs = n.inputs.map((l) => ({ ...l, sourceIndex: byId.get(l.sourceId)!.index }));
  return { doc, order, byId };
}
