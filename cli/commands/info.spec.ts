import { afterEach, describe, expect, it, vi } from 'vitest';
import { sharedPath, needsShared } from '../../tests/support/shared';
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
