import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { sharedPath, needsShared } from '../../tests/support/shared';
import { run as nodes } from './nodes';
import { num, parseRunArgs, run } from './run';

const fixtures = join(__dirname, '../../tests/fixtures/pipelines');
const dir = mkdtempSync(join(tmpdir(), 'neurotab-run-'));

function quietly<T>(f: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  return f().then(
    (result) => {
      spy.mockRestore();
      return { result, stderr: lines.join('\n') };
    },
    (e) => {
      spy.mockRestore();
      throw e;
    },
  );
}

describe('neurotab run', () => {
  it('writes CSV numbers as the shortest decimal that reads back as the same float32', () => {
    for (const v of [0.1, 1 / 3, -123.456, 1e-30, 3.4e38, 16777217, 0]) {
      const f = Math.fround(v);
      expect(Math.fround(Number(num(f)))).toBe(f);
      expect(num(f).replace(/[-.]|e.*$/g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(9);
    }
    expect(num(Math.fround(0.1))).toBe('0.1');
    expect(num(NaN)).toBe('NaN');
  });

  it('parses arguments and rejects bad ones clearly', () => {
    expect(parseRunArgs(['p.json', '--in', 'a.edf', '--in', 'b.edf', '--out', 'o.csv'])).toMatchObject({ pipeline: 'p.json', inputs: ['a.edf', 'b.edf'], out: 'o.csv' });
    expect(() => parseRunArgs(['p.json', '--out', 'o.txt'])).toThrow(/\.csv or \.json/);
    expect(() => parseRunArgs(['p.json', '--in'])).toThrow(/needs a value/);
  });

  it('reports every problem of an invalid pipeline with exit code 2', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'neurotab.pipeline', version: 1, nodes: [{ id: 'r', type: 'io.recording-input' }, { id: 'f', type: 'filter.iir', params: { order: -1 } }], edges: [{ source: 'r', target: 'g' }] }));
    const { result, stderr } = await quietly(() => run([bad, '--in', 'x.edf', '--out', join(dir, 'o.csv')]));
    expect(result).toBe(2);
    expect(stderr).toContain('node "f"');
    expect(stderr).toContain('target node "g" does not exist');
  });

  it('band-pass + notch + CAR over an EDF file to CSV: header, one row per frame, zero channel mean', needsShared, async () => {
    const out = join(dir, 'car.csv');
    const { result } = await quietly(() => run([join(fixtures, 'bandpass-notch-car.json'), '--in', sharedPath('data/edf/S001R04.edf'), '--out', out, '--quiet']));
    expect(result).toBe(0);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    const header = lines[0].split(',');
    expect(header[0]).toBe('timestamp_ms');
    expect(header).toHaveLength(65);
    expect(lines).toHaveLength(20001);
    const row = lines[5000].split(',').slice(1).map(Number);
    expect(Math.abs(row.reduce((a, b) => a + b, 0) / row.length)).toBeLessThan(1e-3);
  });

  it('band power and a calibrated classifier to JSON', needsShared, async () => {
    const out = join(dir, 'bp.json');
    expect((await quietly(() => run([join(fixtures, 'bandpower.json'), '--in', sharedPath('data/edf/S001R04.edf'), '--out', out, '--quiet']))).result).toBe(0);
    const bp = JSON.parse(readFileSync(out, 'utf8')).outputs.out;
    expect(bp.channels).toContain('C3..:alpha');
    expect(bp.frames).toBe(Math.floor((20000 - 320) / 80) + 1);
    const mi = join(dir, 'mi.json');
    expect((await quietly(() => run([join(fixtures, 'motor-imagery-calibration.json'), '--in', sharedPath('data/edf/S001R04.edf'), '--out', mi, '--quiet']))).result).toBe(0);
    const r = JSON.parse(readFileSync(mi, 'utf8'));
    expect(r.outputs.clf.channels).toEqual(['p(0)', 'p(1)', 'predicted']);
    expect(r.outputs.clf.frames).toBe(15);
    expect(r.models.clf.classes).toEqual([0, 1]);
  });

  it('runs a NeuroPype .pyp (converted through the registry) with the same result as the JSON pipeline', needsShared, async () => {
    const { pipelineToPyp, writePyp } = await import('../../src/lib/formats/pyp');
    const { registryResolver } = await import('../../src/lib/engine/index');
    const { builtinRegistry, parsePipelineDocument } = await import('../../src/lib/engine/index');
    const doc = parsePipelineDocument(readFileSync(join(fixtures, 'bandpower.json'), 'utf8'));
    const pyp = join(dir, 'bandpower.pyp');
    writeFileSync(pyp, writePyp(pipelineToPyp(doc, registryResolver(builtinRegistry()))));
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    const edf = sharedPath('data/edf/S001R04.edf');
    expect((await quietly(() => run([join(fixtures, 'bandpower.json'), '--in', edf, '--out', a, '--quiet']))).result).toBe(0);
    expect((await quietly(() => run([pyp, '--in', edf, '--out', b, '--quiet']))).result).toBe(0);
    // .pyp patches sort dict keys (as NeuroPype writes them), so bands come out in another order: compare by label
    const byLabel = (f: string) => {
      const o = Object.values(JSON.parse(readFileSync(f, 'utf8')).outputs)[0] as { channels: string[]; data: number[][]; timestampsMs: number[] };
      return { ts: o.timestampsMs, cols: Object.fromEntries(o.channels.map((c, i) => [c, o.data.map((r) => r[i])])) };
    };
    const ra = byLabel(a);
    expect(ra.ts.length).toBeGreaterThan(100);
    expect(byLabel(b)).toEqual(ra);
  });

  it('refuses CSV for non-frame output and a missing input file', async () => {
    const { result, stderr } = await quietly(() => run([join(fixtures, 'bandpass-notch-car.json'), '--in', join(dir, 'nope.edf'), '--out', join(dir, 'x.csv')]));
    expect(result).toBe(1);
    expect(stderr).toContain('nope.edf');
  });
});

describe('neurotab nodes', () => {
  it('--json lists every class with ports and parameters', async () => {
    let text = '';
    const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void (text += s));
    expect(await nodes(['--json'])).toBe(0);
    spy.mockRestore();
    const j = JSON.parse(text);
    expect(j.nodeClasses.length).toBeGreaterThan(30);
    const iir = j.nodeClasses.find((c: { type: string }) => c.type === 'filter.iir');
    expect(iir.neuropype.class).toBe('IIRFilter');
    expect(iir.params.find((p: { name: string }) => p.name === 'frequencies').unit).toBe('Hz');
  });
});
