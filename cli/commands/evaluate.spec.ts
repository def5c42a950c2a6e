// `neurotab evaluate`: argument parsing, file dispatch, the printed JSON shape, clear errors.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { sharedPath, needsShared } from '../../tests/support/shared';
import { InputError } from '../../src/lib/core/errors';
import { parseExperimentConfig, predictModel, trainModel } from '../../src/lib/ml/experiment';
import { epochsFromRecordings } from '../../src/lib/ml/prepare';
import { ExperimentHub } from '../../src/lib/ml/experiments/hub';
import { evaluate, parseEvaluateArgs, readRecordingFile, run } from './evaluate';

const dir = mkdtempSync(join(tmpdir(), 'neurotab-evaluate-'));
const write = (name: string, doc: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return p;
};

describe('evaluate arguments', () => {
  it('parses repeated --in, --cv, --seed', () => {
    expect(parseEvaluateArgs(['e.json', '--in', 'a.edf', '--in', 'b.edf', '--cv', '4', '--seed', '7'])).toEqual({
      experimentPath: 'e.json',
      inputs: ['a.edf', 'b.edf'],
      folds: 4,
      seed: 7,
      saveModelPath: undefined,
    });
  });
  it('refuses bad arguments with InputError', () => {
    expect(() => parseEvaluateArgs(['e.json'])).toThrow(/--in/);
    expect(() => parseEvaluateArgs(['e.json', '--in', 'a.edf', '--cv', '1'])).toThrow(/--cv must be an integer ≥ 2/);
    expect(() => parseEvaluateArgs(['e.json', '--in', 'a.edf', '--bogus'])).toThrow(InputError);
  });
});

describe('evaluate on real files', needsShared, () => {
  const mi = { type: 'motor_imagery_csp_lda', classes: { T1: 'left', T2: 'right' }, window: [1.0, 2.0], band: [7, 30], components: 4 };
  const edfs = ['S001R04', 'S001R08', 'S001R12'].map((f) => sharedPath(`data/edf/${f}.edf`));

  it('prints { folds, mean, chance } for the motor-imagery example and saves a reloadable model', async () => {
    const exp = write('mi.json', mi);
    const out = await evaluate({ experimentPath: exp, inputs: edfs, folds: 5, seed: 1, saveModelPath: join(dir, 'model.json') });
    expect(out.folds).toHaveLength(5);
    expect(out.mean).toBeCloseTo(out.folds.reduce((a, b) => a + b, 0) / 5, 12);
    expect(out.chance).toBeCloseTo(23 / 45, 12);
    expect(out.epochCount).toBe(45);
    const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const recs = [];
    for (const f of edfs) recs.push({ recording: await readRecordingFile(f), source: f });
    const { epochs } = epochsFromRecordings(recs, parseExperimentConfig(mi));
    const p = predictModel(model, epochs);
    expect(Array.from(p.predicted)).toEqual(Array.from(predictModel(trainModel(parseExperimentConfig(mi), epochs), epochs).predicted));
    expect(p.predicted.filter((c, i) => c === epochs.labels[i]).length).toBeGreaterThan(40); // training-set fit
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const code = await run([exp, ...edfs.flatMap((f) => ['--in', f]), '--cv', '5', '--seed', '1']);
    const printed = JSON.parse(log.mock.calls[0][0] as string);
    log.mockRestore();
    expect(code).toBe(0);
    expect(Object.keys(printed).slice(0, 3)).toEqual(['folds', 'mean', 'chance']);
    expect(printed.folds).toEqual(out.folds);
  });

  it('reports bad input clearly and exits 2', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    // A mapping to a marker value that does not occur: the error names the values the file holds.
    const missing = write('missing.json', { ...mi, classes: { T1: 'left', X9: 'right' } });
    expect(await run([missing, '--in', edfs[0]])).toBe(2);
    expect(String(err.mock.calls.at(-1)?.[0])).toMatch(/no epochs of class "right" \(marker "X9"\); marker values in the recordings: "T0", "T2", "T1"/);
    expect(await run([write('bad.json', '{"type": 1'), '--in', edfs[0]])).toBe(2);
    expect(String(err.mock.calls.at(-1)?.[0])).toMatch(/not readable JSON/);
    expect(await run([write('ok.json', mi), '--in', join(dir, 'nope.edf')])).toBe(2);
    expect(String(err.mock.calls.at(-1)?.[0])).toMatch(/cannot read/);
    err.mockRestore();
  });
});

describe('evaluate fnirs_classification on SNIRF files', needsShared, () => {
  // neuro_run01: stimuli "1" ×4, "2" ×2 → task vs task-free "rest" windows, 6 vs 6 trials.
  const cfg = { type: 'fnirs_classification', classes: { '1': 'task', '2': 'task' }, rest_class: 'rest', window: [0, 15], baseline: [-2, 0] };
  const snirf = sharedPath('data/snirf/neuro_run01.snirf');

  it('prints { folds, mean, chance } equal to the ExperimentHub run of the same config on the same file', async () => {
    const exp = write('fnirs.json', cfg);
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    let code: number;
    try {
      code = await run([exp, '--in', snirf, '--cv', '3', '--seed', '0']);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(0);
    const out = JSON.parse(lines.join('\n'));
    expect(Object.keys(out).slice(0, 3)).toEqual(['folds', 'mean', 'chance']);
    expect(out.folds).toHaveLength(3);
    expect(out.chance).toBe(0.5);
    expect(out.classNames).toEqual(['task', 'rest']);
    expect(out.classCounts).toEqual([6, 6]);
    // The hub (what /exphub and the Training page run) on the same recording and folds.
    const hub = new ExperimentHub({ loadRecording: async () => readRecordingFile(snirf) });
    hub.create('snirf', 'fnirs_classification', { ...cfg, cv: 3, seed: 0, data: { recordings: ['neuro_run01'] } });
    hub.train('snirf', {});
    await hub.idle('snirf');
    const m = hub.get('snirf')!.run!.metrics!;
    expect(out.folds).toEqual(m.folds);
    expect(out.mean).toBe(m.mean);
    expect(out.confusion).toEqual(m.confusion);
    console.log(`[evaluate fnirs_classification neuro_run01, 3-fold] folds ${out.folds.map((f: number) => f.toFixed(2)).join(', ')}, mean ${out.mean.toFixed(3)}, chance ${out.chance}`);
  });

  it('saves the fNIRS model, and refuses EEG input for an fNIRS experiment clearly', async () => {
    const exp = write('fnirs2.json', cfg);
    const model = join(dir, 'fnirs-model.json');
    await evaluate({ experimentPath: exp, inputs: [snirf], folds: 3, seed: 1, saveModelPath: model });
    const saved = JSON.parse(readFileSync(model, 'utf8'));
    expect(saved.kind).toBe('neurotab.fnirs-model');
    expect(saved.classNames).toEqual(['task', 'rest']);
    await expect(evaluate({ experimentPath: exp, inputs: [sharedPath('data/edf/S001R04.edf')], folds: 3, seed: 0 })).rejects.toThrow(/has no fNIRS stream/);
  });
});
