// `neurotab run` with the fNIRS example pipelines (src/lib/clients/pipelines.ts) on the shared SNIRF
// recordings: each writes its CSV under --out-dir (SCI per window, block averages per condition and lag,
// GLM contrasts); a SNIRF file without probe positions is refused with what is wrong.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { examplePipelines } from '../../src/lib/clients/pipelines';
import { readSnirf, writeSnirf } from '../../src/lib/formats/snirf';
import { needsShared, sharedBytes, sharedPath } from '../../tests/support/shared';
import { run } from './run';

const dir = mkdtempSync(join(tmpdir(), 'neurotab-run-fnirs-'));

async function quietly(argv: string[]): Promise<{ code: number; stderr: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    return { code: await run(argv), stderr: lines.join('\n') };
  } finally {
    spy.mockRestore();
  }
}

/** The example's document as a pipeline file. */
function pipelineFile(id: string): string {
  const path = join(dir, `${id.replace(/\W+/g, '-')}.json`);
  writeFileSync(path, JSON.stringify(examplePipelines().find((e) => e.id === id)!.doc));
  return path;
}

/** The CSV's numbers; a leading Marker column (the examples' ExportCSV marker_column) apart. */
function csv(path: string): { header: string[]; rows: number[][]; markers: string[] } {
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const header = head.split(',');
  const withMarkers = header[0] === 'Marker';
  const cells = lines.map((l) => l.split(','));
  return { header: withMarkers ? header.slice(1) : header, rows: cells.map((c) => c.slice(withMarkers ? 1 : 0).map(Number)), markers: withMarkers ? cells.map((c) => c[0]) : [] };
}

describe('neurotab run: fNIRS examples on SNIRF files', needsShared, () => {
  const snirf = sharedPath('data/snirf/neuro_run01.snirf');

  it('"fNIRS quality" writes sci.csv: one row per 10 s window, one SCI per channel in [-1, 1]', async () => {
    for (const [name, channels, fs, frames] of [['neuro_run01', 18, 20.0334, 8000], ['Simple_Probe', 8, 10, 1200]] as const) {
      const out = join(dir, `quality-${name}`);
      const { code, stderr } = await quietly([pipelineFile('example:fnirs-quality'), '--in', sharedPath(`data/snirf/${name}.snirf`), '--out-dir', out, '--quiet']);
      expect(code, stderr).toBe(0);
      const { header, rows } = csv(join(out, 'sci.csv'));
      expect(header.length).toBe(channels + 1);
      expect(header[0]).toMatch(/^S\d+_D\d+ \d+$/);
      expect(rows.length).toBe(Math.floor(frames / Math.round(10 * fs)));
      for (const r of rows) for (const v of r.slice(0, channels)) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    }
  });

  it('"fNIRS block average" writes block_average.csv: conditions 1 and 2 × lags −5 … 25 s, mean and SEM per Hb channel', async () => {
    const out = join(dir, 'blocks');
    const { code, stderr } = await quietly([pipelineFile('example:fnirs-block-average'), '--in', snirf, '--out-dir', out]);
    expect(code, stderr).toBe(0);
    const { header, rows, markers } = csv(join(out, 'block_average.csv'));
    expect(header.slice(0, 4)).toEqual(['S1_D1 hbo:mean', 'S1_D1 hbo:sem', 'S1_D2 hbo:mean', 'S1_D2 hbo:sem']);
    expect(header.length).toBe(18 * 2 + 1);
    const lags = rows.length / 2;
    expect(markers).toEqual([...new Array(lags).fill('1'), ...new Array(lags).fill('2')]);
    const lagS = rows.map((r) => r[r.length - 1]);
    expect(lagS[0]).toBeCloseTo(-5, 1);
    expect(lagS[lags - 1]).toBeCloseTo(25, 1);
    expect(lagS[lags]).toBeCloseTo(-5, 1);
    // condition 2 has two events: SEM finite; the baseline (t ≤ 0) mean of every channel is 0
    for (const r of rows) for (const v of r) expect(Number.isFinite(v)).toBe(true);
    const baseline = rows.slice(0, lags).filter((r) => r[r.length - 1] <= 0);
    for (let c = 0; c < 18; c++) expect(Math.abs(baseline.reduce((s, r) => s + r[2 * c], 0) / baseline.length)).toBeLessThan(1e-9);
  });

  it('"fNIRS GLM" writes glm.csv: contrasts 1, 2 and 1 - 2 for every channel and chromophore, t = effect / se, p from t', async () => {
    const out = join(dir, 'glm');
    // the app's example by name (`example:…`), no file needed
    const { code, stderr } = await quietly(['example:fnirs-glm', '--in', snirf, '--out-dir', out, '--quiet']);
    expect(code, stderr).toBe(0);
    const { header, rows, markers } = csv(join(out, 'glm.csv'));
    expect(markers).toEqual(['1', '2', '1 - 2']);
    expect(header.slice(0, 5)).toEqual(['S1_D1 hbo:effect', 'S1_D1 hbo:se', 'S1_D1 hbo:t', 'S1_D1 hbo:p', 'S1_D1 hbo:log10p']);
    expect(header.length).toBe(18 * 5 + 1);
    expect(rows.length).toBe(3);
    for (const r of rows)
      for (let c = 0; c < 18; c++) {
        const [effect, se, t, p, log10p] = r.slice(5 * c, 5 * c + 5);
        expect(t).toBeCloseTo(effect / se, 6);
        expect(p).toBeGreaterThan(0);
        expect(p).toBeLessThanOrEqual(1);
        expect(log10p).toBeCloseTo(Math.log10(p), 6);
      }
    // contrast 1 - 2 is contrast 1 minus contrast 2
    for (let c = 0; c < 18; c++) expect(rows[2][5 * c]).toBeCloseTo(rows[0][5 * c] - rows[1][5 * c], 12);
  });

  it('a SNIRF file whose probe has no positions (our writer stores zeros) is refused naming the pair and the distance, and glm.csv is not written', async () => {
    const rec = await readSnirf(sharedBytes('data/snirf/neuro_run01.snirf'), 'neuro_run01.snirf');
    const noProbe = join(dir, 'no-probe.snirf');
    writeFileSync(noProbe, await writeSnirf({ ...rec, probe: { ...rec.probe!, sourcePositionsM: [], detectorPositionsM: [] } }, 'no-probe.snirf'));
    const out = join(dir, 'no-probe');
    const { code, stderr } = await quietly([pipelineFile('example:fnirs-glm'), '--in', noProbe, '--out-dir', out, '--quiet']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/node hb \(EstimateConcentrations\): .*pair S1_D1: source–detector distance 0 m is not plausible/);
    expect(existsSync(join(out, 'glm.csv'))).toBe(false);
  });
});
