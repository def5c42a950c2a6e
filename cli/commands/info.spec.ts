import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedBytes, sharedPath, needsShared } from '../../tests/support/shared';
import { readSnirf, writeSnirf } from '../../src/lib/formats/snirf';
import { run } from './info';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return { out, err };
}

afterEach(() => vi.restoreAllMocks());

describe('neurotab info', () => {
  it('summarises a BDF with Status triggers', needsShared, async () => {
    const { out } = capture();
    expect(await run([sharedPath('data/bdf/Newtest17-256.bdf')])).toBe(0);
    const text = out.join('\n');
    expect(text).toContain('format:    bdf (BDF)');
    expect(text).toContain('start:     2001-11-05T19:38:42.000Z');
    expect(text).toContain('duration:  60.000 s');
    expect(text).toMatch(/eeg {2}kind=eeg {2}rate=256 Hz {2}channels=16 {2}frames=15360/);
    expect(text).toMatch(/status {2}kind=aux {2}rate=256 Hz {2}channels=1/);
    expect(text).toMatch(/markers: {3}\d+ \(2 distinct\)/);
  });

  it('prints JSON with --json for SNIRF', needsShared, async () => {
    const { out } = capture();
    expect(await run([sharedPath('data/snirf/Simple_Probe.snirf'), '--json'])).toBe(0);
    const j = JSON.parse(out.join('\n'));
    expect(j.meta.sourceFormat).toBe('snirf');
    expect(j.streams[0]).toMatchObject({ id: 'nirs', kind: 'fnirs', sampleRateHz: 10, frames: 1200 });
    expect(j.streams[0].channels[0]).toMatchObject({ label: 'S1_D1 690', wavelengthNm: 690 });
    expect(j.markerCount).toBe(4);
    expect(j.probe.wavelengthsNm).toEqual([690, 830]);
  });

  it('prints fNIRS channel quality: SCI, PSP, CV and which channels would be pruned and why', needsShared, async () => {
    const { out } = capture();
    expect(await run([sharedPath('data/snirf/neuro_run01.snirf')])).toBe(0);
    const text = out.join('\n');
    expect(text).toContain('fNIRS quality (nirs): SCI ≥ 0.5, PSP (median of 10 s windows) ≥ 0.1, CV ≤ 50 %; 4 of 18 channels would be pruned');
    // MNE's SCI for S1_D1 is 0.383 and for S2_D3 0.363 (fnirs.json): both wavelengths of both pairs go.
    expect(text).toMatch(/S1_D1 690 +0\.383 +0\.\d{3} +\d+\.\d\d {3}pruned: SCI 0\.383 < 0\.5/);
    expect(text).toMatch(/S2_D3 830 +0\.363 .*pruned: SCI 0\.363 < 0\.5/);
    expect(text).toMatch(/S3_D5 690 +0\.849 +0\.\d{3} +\d+\.\d\d$/m);
    const { out: json } = capture();
    await run([sharedPath('data/snirf/neuro_run01.snirf'), '--json']);
    const j = JSON.parse(json.join('\n'));
    expect(j.fnirsQuality.nirs.dropped.map((d: { label: string }) => d.label)).toEqual(['S1_D1 690', 'S2_D3 690', 'S1_D1 830', 'S2_D3 830']);
  });

  it('names a channel with intensities ≤ 0 and a file without a probe, and prints no NaN', needsShared, async () => {
    const rec = await readSnirf(sharedBytes('data/snirf/Simple_Probe.snirf'), 'Simple_Probe.snirf');
    const s = rec.streams.find((x) => x.descriptor.kind === 'fnirs')!;
    const C = s.descriptor.channels.length;
    for (let t = 100; t < 105; t++) s.samples[t * C + 2] = 0; // S1_D3 690
    delete rec.probe;
    const dir = mkdtempSync(join(tmpdir(), 'info-'));
    try {
      const file = join(dir, 'bad.snirf');
      writeFileSync(file, await writeSnirf(rec, 'bad.snirf'));
      const { out } = capture();
      expect(await run([file])).toBe(0);
      const text = out.join('\n');
      expect(text).toMatch(/S1_D3 690 +0\.000 .*pruned: .*5 samples ≤ 0/);
      expect(text).toContain('no source–detector distances (positions missing or all at 0), so haemoglobin (Beer–Lambert) cannot be computed');
      expect(text).not.toMatch(/NaN/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads an EEGLAB set whose samples are in the .fdt beside it', async () => {
    const { out } = capture();
    expect(await run([new URL('../../tests/formats/eeglab/continuous-fields.set', import.meta.url).pathname, '--json'])).toBe(0);
    const j = JSON.parse(out.join('\n'));
    expect(j.meta.sourceFormat).toBe('eeglab');
    expect(j.streams[0]).toMatchObject({ kind: 'eeg', sampleRateHz: 250, frames: 500 });
  });

  it('explains usage and missing files', async () => {
    const { err } = capture();
    expect(await run([])).toBe(2);
    expect(err.join('\n')).toContain('usage: npm run neurotab -- info <file>');
    expect(await run(['/nonexistent/x.edf'])).toBe(1);
    expect(err.join('\n')).toContain('neurotab info: /nonexistent/x.edf: file not found');
  });
});
