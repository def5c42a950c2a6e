// The editor's engine questions answered by the engine: the issue-18 chain (stream input → IIR
// band-pass → sliding window → Welch → band power → output) connects edge by edge; edges the
// compiler refuses come back with its reason; history restores exact documents.
import { describe, expect, it } from 'vitest';
import { builtinRegistry, emptyPipeline, type PipelineDocument, type PipelineEdge } from '../../engine/index';
import { DraftCache, checkEdge, compileDraft, nodeOrder, palette, portDetail, portLabel } from './engine-adapter';
import { DocumentHistory } from './history';

const registry = builtinRegistry();
const wire = (source: string, target: string, targetPort = 'data'): PipelineEdge => ({ source, sourcePort: 'data', target, targetPort });

function chainNodes(): PipelineDocument {
  const d = emptyPipeline('alpha');
  // Listed out of order on purpose: the engine's order is topological.
  d.nodes = [
    { id: 'out', type: 'io.stream-output', params: {} },
    { id: 'bands', type: 'spectral.band-power', params: {} },
    { id: 'psd', type: 'spectral.welch', params: {} },
    { id: 'win', type: 'time.sliding-window', params: {} },
    { id: 'bp', type: 'filter.iir', params: { frequencies: [1, 40] } },
    { id: 'in', type: 'io.stream-input', params: {} },
  ];
  return d;
}

describe('palette', () => {
  it('groups every class by package and finds classes by type id, NeuroPype name or title', () => {
    const all = palette(registry);
    expect(all.reduce((n, g) => n + g.classes.length, 0)).toBe(registry.list().length);
    expect(all[0].package).toBe('io');
    const byNp = palette(registry, 'welchspectrum').flatMap((g) => g.classes.map((c) => c.type));
    expect(byNp).toEqual(['spectral.welch']);
    expect(palette(registry, 'filter.iir').flatMap((g) => g.classes.map((c) => c.type))).toEqual(['filter.iir']);
    expect(palette(registry, 'band power').flatMap((g) => g.classes.map((c) => c.type))).toContain('spectral.band-power');
    expect(palette(registry, 'no-such-class-anywhere')).toEqual([]);
  });
});

describe('checkEdge', () => {
  it('accepts the chain edge by edge, and the engine orders the nodes upstream first', () => {
    const d = chainNodes();
    for (const [s, t] of [
      ['in', 'bp'],
      ['bp', 'win'],
      ['win', 'psd'],
      ['psd', 'bands'],
      ['bands', 'out'],
    ]) {
      const e = wire(s, t);
      expect(checkEdge(d, e, registry)).toEqual({ ok: true });
      d.edges.push(e);
    }
    expect('plan' in compileDraft(d, registry)).toBe(true);
    expect(nodeOrder(d)).toEqual(['in', 'bp', 'win', 'psd', 'bands', 'out']);
    expect(portLabel(d, registry, 'psd', 'data', 'out')).toBe('data · spectrum');
    expect(portLabel(d, registry, 'bands', 'data', 'out')).toBe('data · features');
    expect(portLabel(d, registry, 'psd', 'data', 'in')).toBe('data · epochs');
    expect(portLabel(d, registry, 'in', 'data', 'out')).toBe('data · signal');
    expect(portDetail(d, registry, 'psd', 'data', 'out')).toBe('carries (stream): instance × space × frequency');
  });

  it('refuses with the compiler’s reason: a spectrum into a signal-only input, a second wire into one input, a cycle, a missing port', () => {
    const d = chainNodes();
    d.edges.push(wire('in', 'bp'), wire('bp', 'win'), wire('win', 'psd'));
    d.nodes.push({ id: 'fir', type: 'filter.fir', params: {} });
    const kind = checkEdge(d, wire('psd', 'fir'), registry);
    expect(kind.ok).toBe(false);
    if (!kind.ok) expect(kind.reason).toBe(
        'input "data" of FIRFilter (filter.fir) needs a data chunk (not markers) with a time axis of more than one element, but psd.data carries (stream): instance × space × frequency; filters run along a time axis: feed a signal or segments, not a spectrum, features or markers',
      );
    const twice = checkEdge(d, wire('in', 'win'), registry);
    expect(twice.ok).toBe(false);
    if (!twice.ok) expect(twice.reason).toMatch(/already has a connection/);
    d.nodes.push({ id: 'x', type: 'math.scale', params: {} }, { id: 'y', type: 'math.scale', params: {} });
    d.edges.push(wire('x', 'y'));
    const cycle = checkEdge(d, wire('y', 'x'), registry);
    expect(cycle.ok).toBe(false);
    if (!cycle.ok) expect(cycle.reason).toMatch(/cycle through nodes "x", "y"|cycle through nodes "y", "x"/);
    const port = checkEdge(d, { source: 'psd', sourcePort: 'nope', target: 'bands', targetPort: 'data' }, registry);
    expect(port.ok).toBe(false);
    if (!port.ok) expect(port.reason).toMatch(/has no output "nope"/);
  });

  it('does not blame an edge for issues the draft already has', () => {
    const d = chainNodes();
    d.nodes.push({ id: 'bad', type: 'filter.iir', params: { order: -3 } });
    expect('issues' in compileDraft(d, registry)).toBe(true);
    expect(checkEdge(d, wire('in', 'bp'), registry)).toEqual({ ok: true });
  });
});

describe('DraftCache', () => {
  it('answers as the uncached functions do and compiles a draft once however often it is asked (positions do not count)', () => {
    const d = chainNodes();
    d.edges.push(wire('in', 'bp'), wire('bp', 'win'));
    const cache = new DraftCache(registry);
    const e = wire('win', 'psd');
    expect(cache.checkEdge(d, e)).toEqual(checkEdge(d, e, registry));
    const misses = cache.misses;
    for (let i = 0; i < 10; i++) {
      cache.checkEdge(d, e);
      cache.checkEdge({ ...d, ui: { positions: { in: { x: i, y: 0 } } } }, e);
    }
    expect(cache.misses).toBe(misses);
    const labels = cache.labels(d);
    expect(cache.labels(structuredClone(d))).toBe(labels);
    expect(labels.outputs.get('win')?.data).toBe('data · epochs');
    d.edges.push(e);
    expect(cache.labels(d).outputs.get('psd')?.data).toBe('data · spectrum');
  });
});

describe('DocumentHistory', () => {
  it('undo and redo restore the exact documents; a new change drops the redo branch', () => {
    const d0 = chainNodes();
    const h = new DocumentHistory(d0);
    const d1 = structuredClone(d0);
    d1.edges.push(wire('in', 'bp'));
    d1.ui = { positions: { in: { x: 10, y: 20 } } };
    h.commit(d1);
    d1.edges.length = 0; // later changes to the caller's object never reach the history
    const d2 = h.doc;
    d2.nodes = d2.nodes.filter((n) => n.id !== 'out');
    h.commit(d2);
    expect(h.undo()).toEqual({ ...d0, edges: [wire('in', 'bp')], ui: { positions: { in: { x: 10, y: 20 } } } });
    expect(h.undo()).toEqual(d0);
    expect(h.undo()).toBeNull();
    expect(h.redo()!.edges).toEqual([wire('in', 'bp')]);
    h.commit(chainNodes());
    expect(h.canRedo).toBe(false);
    expect(h.doc).toEqual(chainNodes());
  });
});
