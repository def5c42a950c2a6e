// elkjs layout of pipelines: every wire runs left to right (each node right of what feeds it) and no
// two node boxes overlap, for the issue-18 chain and a branching graph.
import { describe, expect, it } from 'vitest';
import { builtinRegistry, emptyPipeline, type PipelineDocument } from '../../engine/index';
import { autoLayout, NODE_WIDTH_PX } from './layout';

const registry = builtinRegistry();

function graph(): PipelineDocument {
  const d = emptyPipeline('g');
  d.nodes = [
    { id: 'out', type: 'io.stream-output', params: {} },
    { id: 'bands', type: 'spectral.band-power', params: {} },
    { id: 'psd', type: 'spectral.welch', params: {} },
    { id: 'win', type: 'time.sliding-window', params: {} },
    { id: 'bp', type: 'filter.iir', params: {} },
    { id: 'in', type: 'io.stream-input', params: {} },
    { id: 'log', type: 'math.log', params: {} },
    { id: 'probe', type: 'io.inspect', params: {} },
  ];
  const w = (source: string, target: string) => ({ source, sourcePort: 'data', target, targetPort: 'data' });
  d.edges = [w('in', 'bp'), w('bp', 'win'), w('win', 'psd'), w('psd', 'bands'), w('bands', 'out'), w('bp', 'log'), w('log', 'probe')];
  return d;
}

describe('autoLayout', () => {
  it('places every node right of its sources, with no overlapping boxes', async () => {
    const d = graph();
    const pos = await autoLayout(d, registry);
    expect(Object.keys(pos).sort()).toEqual(d.nodes.map((n) => n.id).sort());
    for (const e of d.edges) expect(pos[e.target].x).toBeGreaterThanOrEqual(pos[e.source].x + NODE_WIDTH_PX);
    const ids = Object.keys(pos);
    for (let i = 0; i < ids.length; i++)
      for (let j = i + 1; j < ids.length; j++) {
        const a = pos[ids[i]];
        const b = pos[ids[j]];
        const apart = Math.abs(a.x - b.x) >= NODE_WIDTH_PX || Math.abs(a.y - b.y) >= 78;
        expect(apart, `${ids[i]} and ${ids[j]} overlap`).toBe(true);
      }
  });
});
