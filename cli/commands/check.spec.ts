import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { builtinRegistry, registryResolver } from '../../src/lib/engine/index';
import { pipelineToPyp, writePyp, type PipelineDocumentShape } from '../../src/lib/formats/pyp';
import { checkPipelineFile, run } from './check';

const fixtures = join(__dirname, '../../tests/fixtures/pipelines');
const dir = mkdtempSync(join(tmpdir(), 'neurotab-check-'));

function stdout<T>(f: () => Promise<T>): Promise<{ result: T; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  return f().finally(() => {
    log.mockRestore();
    err.mockRestore();
  }).then((result) => ({ result, out: lines.join('\n') }));
}

const doc = (nodes: PipelineDocumentShape['nodes'], edges: PipelineDocumentShape['edges']): PipelineDocumentShape => ({ format: 'neurotab.pipeline', version: 1, meta: { name: 't', description: '' }, nodes, edges });
const edge = (source: string, target: string, sourcePort = 'data') => ({ source, sourcePort, target, targetPort: 'data' });

describe('neurotab check', () => {
  it('passes the NeuroPype-shaped fixtures (every class, parameter and edge resolves) with exit 0', async () => {
    const files = ['np-io-record-offline.pyp', 'np-io-record-online.pyp', 'bandpower.json'].map((f) => join(fixtures, f));
    const { result, out } = await stdout(() => run(files));
    expect(result).toBe(0);
    expect(out).toContain('np-io-record-online.pyp: OK');
    expect(out).toContain('3 of 3 files OK');
  });

  it('lists every problem of a .pyp — a class we lack, a parameter outside its domain, a refused edge — with node id, class and what to change', async () => {
    const resolver = registryResolver(builtinRegistry());
    const g = pipelineToPyp(
      doc(
        [
          { id: 'lsl', type: 'LSLInput', params: { marker_query: "type='Markers'" } },
          { id: 'iir', type: 'IIRFilter', params: { order: 40 } },
          { id: 'mk', type: 'io.marker-input', params: {} },
          { id: 'csv', type: 'RecordToCSV', params: { filename: 'm.csv' } },
          { id: 'x', type: 'RecordToXDF', params: { filename: 'a.xdf' } },
          { id: 'after', type: 'InspectPacket', params: {} },
        ],
        [edge('lsl', 'iir'), edge('mk', 'csv', 'markers'), edge('iir', 'x')],
      ),
      resolver,
    );
    // a class this engine lacks, wired after the filter, feeding a display sink
    g.nodes.push({ ...g.nodes[5], index: 7, uuid: 'u7', class: 'FancyClassifier', module: 'neuropype.nodes.machine_learning.FancyClassifier', params: {} });
    g.edges.push({ source: 2, sourcePort: 'data', target: 7, targetPort: 'data' }, { source: 7, sourcePort: 'data', target: 6, targetPort: 'data' });
    const file = join(dir, 'bad.pyp');
    writeFileSync(file, writePyp(g));
    const r = checkPipelineFile(file);
    expect(r.ok).toBe(false);
    const byNode = Object.fromEntries(r.problems.map((p) => [p.nodeId, p]));
    expect(byNode.node7).toMatchObject({ class: 'FancyClassifier' });
    expect(byNode.node7.message).toMatch(/not available in this engine; replace or remove the node/);
    expect(byNode.node2).toMatchObject({ class: 'IIRFilter' });
    expect(byNode.node2.message).toMatch(/order/);
    expect(byNode.node4).toMatchObject({ class: 'RecordToCSV' });
    expect(byNode.node4.message).toMatch(/record markers with ExportMarkers or RecordToXDF/);
    // the display sink fed only by the missing class is not reported again
    expect(byNode.node6).toBeUndefined();
    const { result, out } = await stdout(() => run([file, '--json']));
    expect(result).toBe(1);
    const json = JSON.parse(out) as { ok: boolean; files: { problems: unknown[] }[] };
    expect(json.ok).toBe(false);
    expect(json.files[0].problems).toHaveLength(r.problems.length);
  });

  it('reports an unreadable file, a JSON document with an edge to a missing node, and bad usage', async () => {
    const json = join(dir, 'bad.json');
    writeFileSync(json, JSON.stringify(doc([{ id: 'r', type: 'io.recording-input', params: {} }], [edge('r', 'g')])));
    const { result, out } = await stdout(() => run([json, join(dir, 'missing.pyp')]));
    expect(result).toBe(1);
    expect(out).toContain('target node "g" does not exist');
    expect(out).toMatch(/missing\.pyp: 1 problem\n {2}- .*cannot read the pipeline/);
    expect((await stdout(() => run([]))).result).toBe(2);
    expect((await stdout(() => run(['--strict', json]))).result).toBe(2);
    expect(readFileSync(json, 'utf8')).toContain('io.recording-input');
  });
});
