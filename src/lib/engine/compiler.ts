// Compiler: pipeline document + registry → execution plan (nodes in topological order, resolved
// parameters, which output feeds which input, data kinds checked along every edge).
// Pure; runs in the engine worker, the CLI and the API. Collects every problem before throwing.
import { errorMessage } from '../core/errors';
import { PipelineError, type PipelineDocument, type PipelineIssue } from './document';
import { findParam, resolveParams } from './params';
import type { NodeRegistry } from './registry';
import type { DataKind, NodeClass, NodeInstance } from './types';

/** Kinds each output of `cls` carries, given what reaches its inputs (`sameAs` passes an input's kinds on; nothing known: the input port's kinds). */
export function outputKinds(cls: NodeClass, arriving: Record<string, DataKind[]>): Record<string, DataKind[]> {
  const kinds: Record<string, DataKind[]> = {};
  for (const o of cls.outputs) {
    if (typeof o.kind === 'string') kinds[o.name] = [o.kind];
    else {
      const from = o.kind.sameAs;
      kinds[o.name] = arriving[from]?.length ? arriving[from] : (cls.inputs.find((p) => p.name === from)?.kinds ?? []);
    }
  }
  return kinds;
}

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
  /** Kinds each output port can carry, as resolved from what feeds the node. */
  outputKinds: Record<string, DataKind[]>;
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

export function compilePipeline(doc: PipelineDocument, registry: NodeRegistry, opts: CompileOptions): ExecutionPlan {
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
  const succ = new Map<string, Set<string>>();
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
    if (dst.cls.inputs.some((p) => p.name === e.targetPort)) {
      wired.set(key, i);
      (inputsOf.get(e.target) ?? inputsOf.set(e.target, []).get(e.target)!).push({ port: e.targetPort, sourceId: e.source, sourcePort: e.sourcePort, sourceIndex: -1 });
    } else if (findParam(dst.cls, e.targetPort)) {
      wired.set(key, i);
      const name = findParam(dst.cls, e.targetPort)!.name;
      (paramInputsOf.get(e.target) ?? paramInputsOf.set(e.target, []).get(e.target)!).push({ param: name, sourceId: e.source, sourcePort: e.sourcePort });
    } else {
      const ins = [...dst.cls.inputs.map((p) => p.name), ...dst.cls.params.map((p) => p.name)].join(', ');
      issues.push({ path: `${path}.targetPort`, nodeId: e.target, message: `${label}: ${dst.cls.type} has no input or parameter "${e.targetPort}" (has: ${ins})` });
      return;
    }
    (succ.get(e.source) ?? succ.set(e.source, new Set()).get(e.source)!).add(e.target);
  });

  // Topological order (Kahn), stable in document order; leftovers are on a cycle.
  const indeg = new Map<string, number>();
  for (const id of classes.keys()) indeg.set(id, 0);
  for (const targets of succ.values()) for (const t of targets) indeg.set(t, (indeg.get(t) ?? 0) + 1);
  const ready = [...classes.keys()].filter((id) => indeg.get(id) === 0);
  const orderIds: string[] = [];
  while (ready.length) {
    const id = ready.shift()!;
    orderIds.push(id);
    for (const t of succ.get(id) ?? []) {
      const d = indeg.get(t)! - 1;
      indeg.set(t, d);
      if (d === 0) ready.push(t);
    }
  }
  if (orderIds.length < classes.size) {
    const onCycle = [...classes.keys()].filter((id) => !orderIds.includes(id));
    issues.push({ path: 'edges', message: `the graph has a cycle through nodes ${onCycle.map((s) => `"${s}"`).join(', ')}; pipelines must be acyclic` });
  }

  // Data kinds along every edge, in topological order.
  const outKinds = new Map<string, Record<string, DataKind[]>>();
  for (const id of orderIds) {
    const { cls } = classes.get(id)!;
    const arriving: Record<string, DataKind[]> = {};
    for (const link of inputsOf.get(id) ?? []) {
      const port = cls.inputs.find((p) => p.name === link.port)!;
      const from = outKinds.get(link.sourceId)?.[link.sourcePort] ?? [];
      const ok = from.filter((k) => port.kinds.includes(k));
      if (from.length && !ok.length) {
        issues.push({
          path: 'edges',
          nodeId: id,
          message: `input "${link.port}" of ${cls.type} accepts ${port.kinds.join('/')}, but ${link.sourceId}.${link.sourcePort} carries ${from.join('/')}`,
        });
      }
      arriving[link.port] = ok.length ? ok : port.kinds;
    }
    for (const link of paramInputsOf.get(id) ?? []) {
      const from = outKinds.get(link.sourceId)?.[link.sourcePort] ?? [];
      if (from.length && !from.includes('value'))
        issues.push({ path: 'edges', nodeId: id, message: `parameter "${link.param}" of ${cls.type} can only be wired from a value output (e.g. ParameterPort.value), not ${from.join('/')}` });
    }
    outKinds.set(id, outputKinds(cls, arriving));
  }

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
      outputKinds: outKinds.get(id)!,
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
