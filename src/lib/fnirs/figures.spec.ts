// The recordings library's fNIRS analysis and figures on the shared SNIRF files: quality on the probe
// (the pairs MNE's SCI puts below 0.5 drawn red), block averages per condition (HbO/HbR paths with SEM
// bands; the grand average is the event mean of the library's epochs), GLM t on the probe, TSV tables
// with BIDS / MNE-NIRS columns; hostile labels are escaped; a file without a probe says what is missing;
// a synthetic fNIRS session recorded through the library shows its task response in the GLM.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { MarkerEvent } from '../core/stream';
import { SyntheticFnirsDriver, SyntheticFnirsGenerator } from '../devices/drivers/synthetic-fnirs/index';
import { NeurotabDb } from '../storage/db';
import { loadRecordingData } from '../storage/library';
import { Recorder } from '../storage/recorder';
import { createRecording } from '../storage/recordings';
import { Ring, RingReader, RingWriter } from '../streams/ring';
import { needsShared, referenceJson, sharedBytes } from '../../../tests/support/shared';
import { readSnirf } from '../formats/snirf';
import { blockAverageFigure, blockAverageTsv, channelsTsv, glmFigure, glmTsv, grandAverages, qualityFigure } from './figures';
import { analyseFnirs } from './recording-analysis';

const load = (name: string) => readSnirf(sharedBytes(`data/snirf/${name}.snirf`), `${name}.snirf`);

describe('fNIRS recording analysis and figures', needsShared, () => {
  it('neuro_run01: quality on the probe, block averages of both conditions, GLM t; TSVs', async () => {
    const data = await load('neuro_run01');
    const a = analyseFnirs(data);
    expect(a.notes).toEqual([]);
    expect(a.layout?.pairs).toHaveLength(9);
    const q = qualityFigure(a)!;
    const red = [...q.matchAll(/stroke="#ef4444" stroke-width="5" stroke-linecap="round" data-pair="(S\d+_D\d+)"/g)].map((m) => m[1]);
    const ref = referenceJson('fnirs').recordings[0];
    const lowSci = [...new Set(ref.ch_names.filter((_: string, i: number) => ref.scalp_coupling_index.values[i] < 0.5).map((l: string) => l.split(' ')[0]))];
    expect(red).toEqual(lowSci);
    expect(q).toMatch(/<title>S1_D1: SCI 0\.38, pruned — SCI 0\.383 &lt; 0\.5/);

    expect(a.blocks?.conditions).toEqual(['1', '2']);
    const g = grandAverages(a);
    expect(g.map((x) => x.events)).toEqual(a.blocks!.counts);
    // The grand average at one lag is the event mean of the channel mean of the library's epochs.
    const C = a.hbLabels.length;
    const L = a.blocks!.timesSeconds.length;
    const kept = a.hbLabels.map((l, k) => k).filter((k) => a.hbLabels[k].endsWith('hbo') && a.quality.rows[k].reasons.length === 0);
    const evs = a.blocks!.eventConditions.map((c, e) => (c === '1' ? e : -1)).filter((e) => e >= 0);
    const j = L - 1;
    const want = evs.reduce((s, e) => s + kept.reduce((t, c) => t + a.blocks!.epochs[(e * C + c) * L + j], 0) / kept.length, 0) / evs.length;
    expect(g[0].hbo.mean[j]).toBeCloseTo(want * 1e6, 10);
    const b = blockAverageFigure(a)!;
    expect(b.match(/data-chroma="hbo"/g)).toHaveLength(2);
    expect(b.match(/data-chroma="hbr"/g)).toHaveLength(2);
    expect(b).toContain('fill-opacity="0.18"');

    expect(a.glm.map((x) => x.condition)).toEqual(['1', '2']);
    expect(a.glm.every((x) => Array.from(x.contrast.t).every(Number.isFinite))).toBe(true);
    expect(glmFigure(a)!.match(/<line [^>]*data-pair=/g)).toHaveLength(18);

    const ch = channelsTsv(a).trim().split('\n');
    expect(ch[0]).toBe('name\ttype\tsource\tdetector\twavelength_nominal\tunits\tsci\tpsp\tcv_percent\tstatus\tstatus_description');
    expect(ch).toHaveLength(19);
    expect(ch[1]).toMatch(/^S1_D1 690\tNIRSCWAMPLITUDE\tS1\tD1\t690\t.*\t0\.383\d*\t.*\tbad\tSCI 0\.383 < 0\.5$/);
    const glm = glmTsv(a)!.trim().split('\n');
    expect(glm[0]).toBe('ch_name\tCondition\tSource\tDetector\tChroma\ttheta\tse\tt\tp_value\tdf');
    expect(glm).toHaveLength(1 + 2 * 18);
    expect(blockAverageTsv(a)!.trim().split('\n')).toHaveLength(1 + 2 * 18 * L);
  });

  it('escapes labels from the file and says what is missing without a probe or markers', async () => {
    const data = await load('Simple_Probe');
    data.markers = data.markers.map((m) => ({ ...m, value: '<script>alert(1)</script>' }));
    const a = analyseFnirs(data);
    const figures = [qualityFigure(a), blockAverageFigure(a), glmFigure(a)].join('');
    expect(figures).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(figures).not.toContain('<script');

    const noProbe = analyseFnirs({ ...data, probe: undefined });
    expect(noProbe.notes.join()).toMatch(/no source–detector distances \(probe positions missing or at 0\): no haemoglobin, block averages or GLM/);
    expect(qualityFigure(noProbe)).toBeNull();
    expect(channelsTsv(noProbe).split('\n')).toHaveLength(10);
    const noMarkers = analyseFnirs({ ...data, markers: [] });
    expect(noMarkers.notes.join()).toMatch(/no markers inside the recording/);
    expect(qualityFigure(noMarkers)).toContain('<svg');
  });
});

describe('a synthetic fNIRS session through the library', () => {
  it('recorded with a rest/task schedule, its GLM finds the task on the long channels and not on the short ones', async () => {
    const db = new NeurotabDb(`fnirs-session-${Math.random()}`);
    try {
      let now = 1_700_000_000_000;
      const markers: MarkerEvent[] = [];
      const d = new SyntheticFnirsDriver({ sampleRateHz: 10, seed: 2, motionPerMinute: 0, clock: () => now, timer: false, onTaskBlock: (m) => markers.push(m) });
      const ring = Ring.create({ channels: 20, capacityFrames: 4096 });
      const rec = await createRecording(db, { streams: [d.stream], source: 'synthetic-fnirs' });
      const recorder = new Recorder(db, rec.id, [{ descriptor: d.stream, source: new RingReader(ring) }]);
      await d.open();
      await d.start(new RingWriter(ring));
      d.setSchedule({ taskSeconds: 20, restSeconds: 20 });
      for (let s = 0; s < 6 * 60; s++) {
        now += 1000;
        d.pump();
        recorder.addMarkers(markers.splice(0));
        if (s % 30 === 0) await recorder.flush();
      }
      await recorder.stop();
      const a = analyseFnirs(await loadRecordingData(db, rec.id));
      expect(a.notes).toEqual([]);
      expect(a.blocks?.counts).toEqual([9]);
      const t = a.glm[0].contrast.t;
      const isLong = new SyntheticFnirsGenerator().isLong;
      a.hbLabels.forEach((label, c) => {
        // Long: the simulated response (HbO up, HbR down) far above chance; short: no response (|t| < 5,
        // as in glm-recovery.spec.ts: their slow systemic oscillations may overlap the task a little).
        if (isLong[c]) expect(label.endsWith('hbo') ? t[c] : -t[c], label).toBeGreaterThan(10);
        else expect(Math.abs(t[c]), label).toBeLessThan(5);
      });
    } finally {
      await db.delete();
    }
  });
});
