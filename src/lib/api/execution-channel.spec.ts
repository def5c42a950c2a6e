// The execution channel: an editor and the REST API share one document of an execution — API edits
// arrive as 'changed' events, the editor's whole-document edits go through Execution.edit and are
// what the API then lists; a refused edit names the problem and changes nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { LocalBackend } from './local-backend';
import { PortSummary, serveExecutionChannel, type ChannelEvent, type ChannelMessage } from './execution-channel';
import {
  chunkProps,
  featureAxis,
  frequencyAxis,
  instanceAxis,
  makeBlock,
  markerChunk,
  signalChunk,
  spaceAxis,
  timeAxis,
  type PipelineDocument,
} from '../engine/index';
import type { StreamDescriptor } from '../core/stream';

const doc = (): PipelineDocument => ({
  format: 'neurotab.pipeline',
  version: 1,
  meta: { name: 'chain', description: '' },
  nodes: [
    { id: 'in', type: 'io.stream-input', params: {} },
    { id: 'bp', type: 'filter.iir', params: { frequencies: [8, 12] } },
  ],
  edges: [{ source: 'in', sourcePort: 'data', target: 'bp', targetPort: 'data' }],
});

const cleanups: (() => void)[] = [];
afterEach(async () => {
  while (cleanups.length) cleanups.pop()!();
});

async function setup() {
  const backend = new LocalBackend();
  const name = `exec-${Math.random()}`;
  const stop = serveExecutionChannel(backend, new BroadcastChannel(name));
  const client = new BroadcastChannel(name);
  const events: ChannelEvent[] = [];
  client.onmessage = (ev: MessageEvent) => events.push(ev.data as ChannelEvent);
  cleanups.push(() => void backend.dispose(), stop, () => client.close());
  const { id } = await backend.createExecution({});
  await backend.load(id, { content: JSON.stringify(doc()) });
  const send = (m: ChannelMessage) => client.postMessage(m);
  const next = async <T extends ChannelEvent>(pred: (e: ChannelEvent) => e is T): Promise<T> => {
    for (let i = 0; i < 200; i++) {
      const hit = events.find(pred);
      if (hit) {
        events.splice(events.indexOf(hit), 1);
        return hit;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error('no matching event');
  };
  return { backend, id, events, send, next };
}

const isReply = (rid: string) => (e: ChannelEvent): e is Extract<ChannelEvent, { type: 'reply' }> => e.type === 'reply' && e.requestId === rid;
const isChanged = (e: ChannelEvent): e is Extract<ChannelEvent, { type: 'changed' }> => e.type === 'changed';

describe('execution channel', () => {
  it('pushes API node and edge edits to the editor as the new document', async () => {
    const { backend, id, next } = await setup();
    const graph = await backend.getGraph(id);
    const bp = graph.nodes.find((n) => n.type === 'IIRFilter' || n.title.includes('IIR'))!;
    const node = await backend.addNode(id, { class: 'math.scale', parameters: { factor: 2 } });
    // (The load's own 'changed' may still be on its way; wait for the document with the new node.)
    const added = await next((e): e is Extract<ChannelEvent, { type: 'changed' }> => isChanged(e) && !!e.doc?.nodes.some((n) => n.type === 'math.scale'));
    expect(added.executionId).toBe(id);
    const newNode = added.doc!.nodes.find((n) => n.type === 'math.scale')!;
    expect(newNode.params).toMatchObject({ factor: 2 });
    await backend.addEdge(id, { source_node: bp.id, source_port: 'data', target_node: node.id, target_port: 'data' });
    const wired = await next((e): e is Extract<ChannelEvent, { type: 'changed' }> => isChanged(e) && e.doc!.edges.length === 2);
    expect(wired.doc!.edges).toContainEqual({ source: 'bp', sourcePort: 'data', target: newNode.id, targetPort: 'data' });
  });

  it("applies the editor's document through the live-change path; the API lists it with stable ids", async () => {
    const { backend, id, send, next } = await setup();
    const before = await backend.getGraph(id);
    const edited = doc();
    edited.nodes.push({ id: 'sq', type: 'math.scale', params: { factor: 3 } });
    edited.edges.push({ source: 'bp', sourcePort: 'data', target: 'sq', targetPort: 'data' });
    send({ type: 'replace', requestId: 'r1', executionId: id, doc: edited });
    const reply = await next(isReply('r1'));
    expect(reply.ok).toBe(true);
    const after = await backend.getGraph(id);
    expect(after.nodes).toHaveLength(3);
    // Nodes and the edge that stayed keep their API ids.
    for (const n of before.nodes) expect(after.nodes.map((m) => m.id)).toContain(n.id);
    expect(after.edges.map((e) => e.id)).toContain(before.edges[0].id);
    expect(backend.document(id)!.nodes.map((n) => n.id)).toEqual(['in', 'bp', 'sq']);
  });

  it('refuses a document the engine rejects (a cycle), with the issue, and keeps the old one', async () => {
    const { backend, id, send, next } = await setup();
    const cyclic = doc();
    cyclic.nodes.push({ id: 'sq', type: 'math.scale', params: {} });
    cyclic.edges = [
      { source: 'bp', sourcePort: 'data', target: 'sq', targetPort: 'data' },
      { source: 'sq', sourcePort: 'data', target: 'bp', targetPort: 'data' },
    ];
    send({ type: 'replace', requestId: 'r2', executionId: id, doc: cyclic });
    const reply = await next(isReply('r2'));
    expect(reply.ok).toBe(false);
    if (reply.ok) return;
    expect(reply.message).toMatch(/cycle/);
    expect(backend.document(id)!.nodes.map((n) => n.id)).toEqual(['in', 'bp']);
  });

  it('reports state and per-node entries to a watching editor', async () => {
    const { id, send, next } = await setup();
    send({ type: 'watch', watcherId: 'w', executionId: id });
    const report = await next((e): e is Extract<ChannelEvent, { type: 'report' }> => e.type === 'report');
    expect(Object.keys(report.nodes).sort()).toEqual(['bp', 'in']);
    expect(report.state.running).toBe(false);
    send({ type: 'unwatch', watcherId: 'w' });
  });
});

describe('edge previews from packets', () => {
  const stream = { id: 's', name: 's', kind: 'eeg', sampleRateHz: 32, channels: [{ label: 'C3', unit: 'uV', type: 'EEG' }, { label: 'C4', unit: 'uV', type: 'EEG' }] } as StreamDescriptor;
  const times = (n: number) => Float64Array.from({ length: n }, (_, i) => 1000 + i * 31.25);

  it('a signal gives a sparkline of its first channel and markers riding beside it give ticks', () => {
    const samples = Float32Array.from({ length: 8 }, (_, i) => (i % 2 ? -i : i)); // C3 = 0, 2, 4, 6
    const p = new Map([
      ['eeg', signalChunk(stream, samples, times(4))],
      ['markers', markerChunk([{ timestampMs: performance.timeOrigin + performance.now(), value: 'close' }])],
    ]);
    const s = new PortSummary();
    s.add(p);
    expect(s.kind).toBe('signal');
    expect(s.trace).toEqual([0, 2, 4, 6]);
    expect(s.ticks.map((t) => t.label)).toEqual(['close']);
    expect(s.items).toBe(5);
  });

  it('features give bars averaged per band; a spectrum gives the mean over channels per bin; epochs the last epoch’s first channel', () => {
    const feats = new PortSummary();
    const fb = makeBlock(Float64Array.of(1, 3, 10, 30), [featureAxis(['C3:alpha', 'C4:alpha', 'C3:beta', 'C4:beta'])]);
    feats.add(new Map([['eeg', { block: fb, props: chunkProps(stream) }]]));
    expect(feats.kind).toBe('features');
    expect(feats.bars).toEqual([
      { label: 'alpha', value: 2 },
      { label: 'beta', value: 20 },
    ]);

    const spec = new PortSummary();
    const sb = makeBlock(Float64Array.of(1, 2, 3, 3, 4, 5), [spaceAxis(stream.channels), frequencyAxis(Float64Array.of(8, 10, 12))]);
    spec.add(new Map([['eeg', { block: sb, props: chunkProps(stream) }]]));
    expect(spec.kind).toBe('spectrum');
    expect(spec.trace).toEqual([2, 3, 4]);

    const ep = new PortSummary();
    // 2 epochs × 3 samples × 2 channels; the last epoch's C3 is 7, 9, 11.
    const eb = makeBlock(Float64Array.of(0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12), [instanceAxis(Float64Array.of(0, 500)), timeAxis(times(3), 32), spaceAxis(stream.channels)]);
    ep.add(new Map([['eeg', { block: eb, props: chunkProps(stream) }]]));
    expect(ep.kind).toBe('epochs');
    expect(ep.trace).toEqual([7, 9, 11]);
  });
});
