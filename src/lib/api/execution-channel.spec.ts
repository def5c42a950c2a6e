// The execution channel: an editor and the REST API share one document of an execution — API edits
// arrive as 'changed' events, the editor's whole-document edits go through Execution.edit and are
// what the API then lists; a refused edit names the problem and changes nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { LocalBackend } from './local-backend';
import { serveExecutionChannel, type ChannelEvent, type ChannelMessage } from './execution-channel';
import type { PipelineDocument } from '../engine/index';

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
