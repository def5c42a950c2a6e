// Editor edits on documents: ids stay unique, inputs are never changed, removing a node takes its
// wires, pasted copies are rewired among themselves and still compile with the engine.
import { describe, expect, it } from 'vitest';
import { builtinRegistry, emptyPipeline } from '../../engine/index';
import { compileDraft } from './engine-adapter';
import { addEdge, addNode, copy, move, paste, positionsOf, remove, setParam } from './doc-ops';

const registry = builtinRegistry();

function chain() {
  let d = emptyPipeline('t');
  const a = addNode(d, 'io.stream-input', { x: 0, y: 0 });
  const b = addNode(a.doc, 'filter.iir', { x: 200, y: 0 });
  const c = addNode(b.doc, 'math.log', { x: 400, y: 0 });
  d = addEdge(addEdge(c.doc, { source: a.id, sourcePort: 'data', target: b.id, targetPort: 'data' }), { source: b.id, sourcePort: 'data', target: c.id, targetPort: 'data' });
  return { d, ids: [a.id, b.id, c.id] };
}

describe('doc-ops', () => {
  it('adds nodes with unique ids and positions, without changing the input document', () => {
    const d0 = emptyPipeline('t');
    const a = addNode(d0, 'filter.iir', { x: 1, y: 2 });
    const b = addNode(a.doc, 'filter.iir', { x: 3, y: 4 });
    expect([a.id, b.id]).toEqual(['iir', 'iir2']);
    expect(d0.nodes).toEqual([]);
    expect(positionsOf(b.doc)).toEqual({ iir: { x: 1, y: 2 }, iir2: { x: 3, y: 4 } });
  });

  it('removing a node removes its wires and position; removing an edge leaves the nodes', () => {
    const { d, ids } = chain();
    const r = remove(d, [ids[1]]);
    expect(r.nodes.map((n) => n.id)).toEqual([ids[0], ids[2]]);
    expect(r.edges).toEqual([]);
    expect(positionsOf(r)[ids[1]]).toBeUndefined();
    const e = remove(d, [], [d.edges[0]]);
    expect(e.nodes).toHaveLength(3);
    expect(e.edges).toEqual([d.edges[1]]);
  });

  it('duplicates a wired selection with fresh ids, rewired among the copies, and the result compiles', () => {
    const { d, ids } = chain();
    const p = paste(d, copy(d, [ids[1], ids[2]]));
    expect(p.ids).toEqual(['iir2', 'log2']);
    expect(p.doc.edges).toContainEqual({ source: 'iir2', sourcePort: 'data', target: 'log2', targetPort: 'data' });
    expect(positionsOf(p.doc).log2).toEqual({ x: 440, y: 40 });
    const wired = addEdge(p.doc, { source: ids[0], sourcePort: 'data', target: 'iir2', targetPort: 'data' });
    expect('plan' in compileDraft(wired, registry)).toBe(true);
  });

  it('moves and sets parameters on copies', () => {
    const { d, ids } = chain();
    const m = move(d, { [ids[0]]: { x: 9, y: 9 } });
    expect(positionsOf(m)[ids[0]]).toEqual({ x: 9, y: 9 });
    expect(positionsOf(d)[ids[0]]).toEqual({ x: 0, y: 0 });
    const s = setParam(d, ids[1], 'order', 4);
    expect(s.nodes[1].params).toEqual({ order: 4 });
    expect(d.nodes[1].params).toEqual({});
    expect(setParam(s, ids[1], 'order', undefined).nodes[1].params).toEqual({});
  });
});
