import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { sharedPath, needsShared } from '../../tests/support/shared';
import { readEdf } from '../../src/lib/formats/edf';
import { run } from './convert';
import { run as info } from './info';

const dir = mkdtempSync(join(tmpdir(), 'neurotab-convert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return { out, err };
}

describe('neurotab convert', needsShared, () => {
  it('muse CSV → EDF keeps channels and markers', async () => {
    capture();
    const out = join(dir, 'p300.edf');
    expect(await run([sharedPath('data/muse-csv/P300_s1_sess1_data_2017-02-04-15_45_13.csv'), out])).toBe(0);
    const rec = readEdf(new Uint8Array(readFileSync(out)), out);
    expect(rec.streams[0].descriptor.channels.map((c) => c.label)).toEqual(['TP9', 'AF7', 'AF8', 'TP10', 'Right AUX']);
    expect(rec.streams[0].descriptor.sampleRateHz).toBe(256);
    expect(rec.markers.filter((m) => m.value === '2')).toHaveLength(32);
  });

  it('EDF → CSV writes <out>.markers.csv, and CSV (+markers) → EDF round-trips the UTF-8 markers', async () => {
    const { out: log } = capture();
    const csv = join(dir, 'utf8.csv');
    expect(await run([sharedPath('data/edf/pyedflib_test_utf8.edf'), csv])).toBe(0);
    expect(existsSync(join(dir, 'utf8.markers.csv'))).toBe(true);
    expect(log.join('\n')).toContain('utf8.markers.csv');
    expect(readFileSync(csv, 'utf8').split('\n', 1)[0]).toBe('timestamp_ms,Fp1');
    const back = join(dir, 'utf8-back.edf');
    expect(await run([csv, back])).toBe(0);
    const rec = readEdf(new Uint8Array(readFileSync(back)), back);
    expect(rec.markers.map((m) => m.value)).toEqual(['XLSpike', 'Clip Note', '中文测试八个字', 'XLEvent', 'XLSpike']);
    expect(rec.streams[0].descriptor.sampleRateHz).toBe(128);
  });

  it('writes BIDS zips with the given entities and refuses to overwrite without --force', async () => {
    const { err } = capture();
    const zip = join(dir, 'bids.zip');
    const src = sharedPath('data/edf/pyedflib_test_subsecond.edf');
    expect(await run([src, zip, '--subject', '001', '--task', 'imagery', '--run', '8'])).toBe(0);
    expect(Object.keys(unzipSync(new Uint8Array(readFileSync(zip))))).toContain('sub-001/eeg/sub-001_task-imagery_run-8_eeg.edf');
    expect(await run([src, zip])).toBe(1);
    expect(err.join('\n')).toContain('already exist(s); pass --force');
    expect(await run([src, zip, '--force'])).toBe(0);
  });

  it('reports unreadable input and unwritable output formats', async () => {
    const { err } = capture();
    expect(await run([sharedPath('data/xdf/xdfmodules_minimal.xdf'), join(dir, 'x.xdf')])).toBe(1);
    expect(err.join('\n')).toMatch(/cannot write "\.xdf"; writable: \.edf, \.bdf, \.snirf, \.csv, \.zip/);
    expect(await run([sharedPath('data/edf/S001R04.edf'), join(dir, 'fnirs.snirf')])).toBe(1);
    expect(err.join('\n')).toContain('SNIRF needs an fNIRS stream');
    expect(await run(['only-one-arg'])).toBe(2);
    // info on the converted SNIRF of a SNIRF works.
    expect(await run([sharedPath('data/snirf/Simple_Probe.snirf'), join(dir, 'copy.snirf')])).toBe(0);
    expect(await info([join(dir, 'copy.snirf')])).toBe(0);
  });
});
