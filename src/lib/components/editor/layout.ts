// Automatic layout of a pipeline with elkjs (layered, left to right, ports in fixed order: inputs
// on the west side, outputs on the east), for the editor's Layout action and for imported files
// without positions. elk.bundled runs in-thread with no eval (the strict CSP allows it).
import ELK from 'elkjs/lib/elk.bundled.js';
import type { NodeRegistry, PipelineDocument } from '../../engine/index';
import type { Position } from './doc-ops';

/** Node box used for layout (EditorNode's width; height grows with its port rows). */
export const NODE_WIDTH_PX = 190;
const heightOf = (rows: number) => 56 + rows * 22;

const elk = new ELK();

export async function autoLayout(doc: PipelineDocument, registry: NodeRegistry): Promise<Record<string, Position>> {
  const portId = (node: string, side: 'in' | 'out', port: string) => `${node}\u0000${side}\u0000${port}`;
  const children = doc.nodes.map((n) => {
    const cls = registry.find(n.type);
    const ins = cls?.inputs.map((p) => p.name) ?? [];
    const outs = cls?.outputs.map((p) => p.name) ?? [];
    // Parameter wires end on a parameter name: give those a port too.
    for (const e of doc.edges) if (e.target === n.id && !ins.includes(e.targetPort)) ins.push(e.targetPort);
    return {
      id: n.id,
      width: NODE_WIDTH_PX,
      height: heightOf(Math.max(ins.length, outs.length, 1)),
      layoutOptions: { 'elk.portConstraints': 'FIXED_ORDER' },
      ports: [
        ...ins.map((p, i) => ({ id: portId(n.id, 'in', p), layoutOptions: { 'elk.port.side': 'WEST', 'elk.port.index': String(i) } })),
        ...outs.map((p, i) => ({ id: portId(n.id, 'out', p), layoutOptions: { 'elk.port.side': 'EAST', 'elk.port.index': String(i) } })),
      ],
    };
  });
  const known = new Set(doc.nodes.map((n) => n.id));
  const edges = doc.edges
    .filter((e) => known.has(e.source) && known.has(e.target))
    .map((e, i) => ({ id: `e${i}`, sources: [portId(e.source, 'out', e.sourcePort)], targets: [portId(e.target, 'in', e.targetPort)] }));
  const out = await elk.layout({
    id: 'root',
    layoutOptions: { 'elk.algorithm': 'layered', 'elk.direction': 'RIGHT', 'elk.spacing.nodeNode': '40', 'elk.layered.spacing.nodeNodeBetweenLayers': '60' },
    children,
    edges,
  });
  return Object.fromEntries((out.children ?? []).map((c) => [c.id, { x: Math.round((c.x ?? 0) + 40), y: Math.round((c.y ?? 0) + 40) }]));
}
