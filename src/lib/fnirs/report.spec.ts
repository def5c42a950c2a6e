// channelQualityReport on the shared SNIRF files: SCI is MNE 1.3's (fnirs.json) and the channels it
// would prune are those MNE's SCI puts below 0.5; bad input (no wavelengths, samples ≤ 0, a saturating
// channel) is named per channel and never spreads NaN to the others.
import { describe, expect, it } from 'vitest';
import { needsShared, referenceError, referenceJson, sharedBytes } from '../../../tests/support/shared';
import { channelData } from '../formats/recording';
import { readSnirf } from '../formats/snirf';
import { channelQualityReport } from './report';

async function snirf(name: string) {
  const rec = await readSnirf(sharedBytes(`data/snirf/${name}.snirf`), `${name}.snirf`);
  const s = rec.streams.find((x) => x.descriptor.kind === 'fnirs')!;
  const n = s.timestampsMs.length;
  const C = s.descriptor.channels.length;
  const x = new Float64Array(C * n);
  for (let c = 0; c < C; c++) x.set(channelData(s, c), c * n);
  return { channels: s.descriptor.channels, n, C, x, fs: s.descriptor.sampleRateHz };
}

describe('channelQualityReport', needsShared, () => {
  const ref = referenceJson('fnirs');
  for (const r of ref.recordings as any[]) {
    it(`${r.recording}: SCI is MNE's; the channels pruned for SCI are those below 0.5 in MNE`, async () => {
      const s = await snirf(r.recording);
      const q = channelQualityReport(s.x, s.channels, s.n, r.sfreq); // MNE's rate (see live.spec.ts)
      expect(q.notes).toEqual([]);
      const sci = r.scalp_coupling_index;
      expect(referenceError(q.rows.map((x) => x.sci!), sci.values, sci.tol.metric)).toBeLessThan(sci.tol.f32);
      const lowSci = q.rows.filter((x) => x.reasons.some((why) => why.startsWith('SCI'))).map((x) => x.label);
      expect(lowSci).toEqual(r.ch_names.filter((_: string, i: number) => sci.values[i] < 0.5));
      expect(q.rows.every((x) => Number.isFinite(x.pspMedian) && Number.isFinite(x.cvPercent))).toBe(true);
    });
  }

  it('a channel with samples ≤ 0 and one that saturates are dropped with why; the other channels keep their scores', async () => {
    const s = await snirf('neuro_run01');
    const clean = channelQualityReport(s.x, s.channels, s.n, s.fs);
    const bad = s.x.slice();
    for (let t = 1000; t < 1010; t++) bad[3 * s.n + t] = t % 2 ? 0 : -1; // S2_D4 690
    const c = 7; // S4_D7 690: clipped at a level 12 % of its samples exceed
    const sorted = Array.from(s.x.subarray(c * s.n, (c + 1) * s.n)).sort((a, b) => a - b);
    const ceiling = sorted[Math.floor(0.88 * s.n)];
    for (let t = 0; t < s.n; t++) bad[c * s.n + t] = Math.min(bad[c * s.n + t], ceiling);
    const q = channelQualityReport(bad, s.channels, s.n, s.fs);
    const row = (label: string) => q.rows.find((x) => x.label === label)!;
    expect(row('S2_D4 690').reasons).toContain('10 samples ≤ 0');
    expect(row('S2_D4 690').sci).toBe(0);
    expect(row('S2_D4 830').reasons.join()).toMatch(/SCI 0 < 0\.5/);
    expect(row('S4_D7 690').reasons.join()).toMatch(/saturated: 1[12]\.\d % of samples at the top/);
    expect(row('S4_D7 830').reasons).toContain('pair partner S4_D7 690 dropped');
    for (const [i, r] of q.rows.entries()) {
      if (/S2_D4|S4_D7/.test(r.label)) continue;
      // the same up to rounding (the filter transforms two channels at a time)
      expect(Math.abs(r.sci! - clean.rows[i].sci!)).toBeLessThan(1e-12);
      expect(r.reasons).toEqual(clean.rows[i].reasons);
    }
  });

  it('without wavelengths: says SCI and PSP need them, still gives CV and intensity checks', async () => {
    const s = await snirf('Simple_Probe');
    const bare = s.channels.map((ch) => ({ label: `S${ch.sourceIndex}_D${ch.detectorIndex}`, type: ch.type, sourceIndex: ch.sourceIndex, detectorIndex: ch.detectorIndex }));
    const q = channelQualityReport(s.x, bare, s.n, s.fs);
    expect(q.notes[0]).toMatch(/^no wavelength for S1_D1, S1_D2, .*: SCI and PSP need two wavelengths per source–detector pair/);
    expect(q.rows.every((r) => r.sci === null && r.pspMedian === null && r.cvPercent > 0 && r.cvPercent < 50)).toBe(true);
    expect(q.dropped).toEqual([]);
  });
});
