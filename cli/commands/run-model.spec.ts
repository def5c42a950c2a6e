// `neurotab run` with ml.model-predict: the model comes from `model_file` (the classic model
// `neurotab evaluate --save-model` writes, trained causally on S001R08 + R12; or a saved EEGNet run
// {model, config}, which the CLI binds to TensorFlow.js), and the predictions written for S001R04
// equal the node's own on the same recording; `model_id` is refused saying what to give instead.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { sharedBytes, sharedPath, needsShared } from '../../tests/support/shared';
import { modelPredict } from '../../src/lib/engine/nodes/model';
import { feedChunks, framesView, instantiate, packet } from '../../src/lib/engine/testing';
import { signalChunk } from '../../src/lib/engine/index';
import { readEdf } from '../../src/lib/formats/edf';
import { parseExperimentConfig } from '../../src/lib/ml/experiment';
import { epochsFromRecordings } from '../../src/lib/ml/prepare';
import { evaluate } from './evaluate';
import { run } from './run';

const dir = mkdtempSync(join(tmpdir(), 'neurotab-run-model-'));

async function quietly(f: () => Promise<number>): Promise<{ code: number; stderr: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    return { code: await f(), stderr: lines.join('\n') };
  } finally {
    spy.mockRestore();
  }
}

const pipeline = (params: Record<string, unknown>) => ({
  format: 'neurotab.pipeline',
  version: 1,
  meta: { name: 'deployed offline' },
  nodes: [
    { id: 'rec', type: 'io.recording-input', params: { chunk_frames: 333 } },
    { id: 'predict', type: 'ml.model-predict', params: { rate: 2, ...params } },
    { id: 'out', type: 'io.stream-output', params: {} },
  ],
  edges: [
    { source: 'rec', sourcePort: 'data', target: 'predict', targetPort: 'data' },
    { source: 'predict', sourcePort: 'data', target: 'out', targetPort: 'data' },
  ],
});

describe('neurotab run with ml.model-predict', () => {
  it('refuses model_id (a run saved in a browser) and an unreadable model_file, saying what to give', async () => {
    const p = join(dir, 'by-id.json');
    writeFileSync(p, JSON.stringify(pipeline({ model_id: 'run-1' })));
    const a = await quietly(() => run([p, '--in', 'x.edf', '--out', join(dir, 'o.json'), '--quiet']));
    expect(a.code).toBeGreaterThan(0);
    expect(a.stderr).toMatch(/model_id "run-1" names a run saved in a browser .* give "model_file"/);
    const q = join(dir, 'missing.json');
    writeFileSync(q, JSON.stringify(pipeline({ model_file: 'nope.json' })));
    const b = await quietly(() => run([q, '--in', 'x.edf', '--out', join(dir, 'o.json'), '--quiet']));
    expect(b.code).toBeGreaterThan(0);
    expect(b.stderr).toMatch(/model_file "nope.json" is not a readable JSON file/);
  });

  it('model_file from evaluate --save-model: predictions on S001R04 equal the node on the same recording', { ...needsShared, timeout: 30_000 }, async () => {
    const exp = join(dir, 'mi.json');
    writeFileSync(exp, JSON.stringify({ type: 'motor_imagery_csp_lda', classes: { T1: 'left', T2: 'right' }, window: [1.0, 2.0], band: [7, 30], components: 4, filter: 'causal' }));
    await evaluate({ experimentPath: exp, inputs: ['S001R08', 'S001R12'].map((f) => sharedPath(`data/edf/${f}.edf`)), folds: 5, seed: 0, saveModelPath: join(dir, 'model.json') });
    const p = join(dir, 'deploy.json');
    writeFileSync(p, JSON.stringify(pipeline({ model_file: 'model.json' })));
    const out = join(dir, 'pred.json');
    const r = await quietly(() => run([p, '--in', sharedPath('data/edf/S001R04.edf'), '--out', out, '--quiet']));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = JSON.parse(readFileSync(out, 'utf8')).outputs.out as { channels: string[]; frames: number; data: number[][] };
    const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const s = readEdf(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf').streams[0];
    const signal = signalChunk(s.descriptor, Float32Array.from(s.samples), s.timestampsMs);
    const ref = framesView(feedChunks(modelPredict, { model, rate: 2 }, signal, [signal.block.shape[0]]).outputs.data);
    expect(got.channels).toEqual(['p(left)', 'p(right)', 'predicted']);
    expect(got.frames).toBe(ref.frames);
    expect(got.data.flat()).toEqual(Array.from(ref.samples));
  });

  it('model_file holding a saved EEGNet run: the CLI binds the network; predictions equal the node bound the same way', { ...needsShared, timeout: 60_000 }, async () => {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    const tft = await import('../../src/lib/ml/tf/train');
    const config = { type: 'eegnet', classes: { T1: 'left', T2: 'right' }, window: [1.0, 2.0], band: [7, 30], channels: ['C3..', 'Cz..', 'C4..', 'Cp3.'], filter: 'causal' };
    const cfg = parseExperimentConfig({ ...config, type: 'motor_imagery_csp_lda' });
    const recs = ['S001R08', 'S001R12'].map((f) => ({ recording: readEdf(sharedBytes(`data/edf/${f}.edf`), `${f}.edf`), source: f }));
    const deep = await tft.trainDeepModel('eegnet', epochsFromRecordings(recs, cfg).epochs, { epochs: 1, batchSize: 16, validationFraction: 0, seed: 1 });
    writeFileSync(join(dir, 'eegnet-run.json'), JSON.stringify({ runId: 'r1', name: 'mi-eegnet', model: deep, config }));
    const p = join(dir, 'deploy-eegnet.json');
    writeFileSync(p, JSON.stringify(pipeline({ model_file: 'eegnet-run.json' })));
    const out = join(dir, 'pred-eegnet.json');
    const r = await quietly(() => run([p, '--in', sharedPath('data/edf/S001R04.edf'), '--out', out, '--quiet']));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = JSON.parse(readFileSync(out, 'utf8')).outputs.out as { frames: number; data: number[][] };
    const loaded = await tft.loadDeepModel(deep);
    try {
      const s = readEdf(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf').streams[0];
      const signal = signalChunk(s.descriptor, Float32Array.from(s.samples), s.timestampsMs);
      const { node } = instantiate(modelPredict, { model: { model: deep, config }, rate: 2 });
      node.bind!({ kind: 'deep-window-predictor', predict: (w: Float64Array, C: number) => tft.predictDeepWindow(loaded, w, C) });
      const ref = framesView(node.process({ data: packet(signal) })!.data);
      expect(got.frames).toBe(ref.frames);
      expect(got.frames).toBeGreaterThan(200);
      got.data.forEach((row, i) => {
        expect(row[0]).toBeCloseTo(ref.samples[i * 3], 5);
        expect(row[2]).toBe(ref.samples[i * 3 + 2]);
      });
    } finally {
      loaded.dispose();
    }
  });
});
