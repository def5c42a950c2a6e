// The report pipelines on real recordings of shared/data: qc_nirs's scalp coupling index against MNE
// (shared/reference/fnirs.json, through our SNIRF reader: f32 tolerance), qc_nirs_basic's seven
// sections on CW and time-domain data, qc_syncbox on a BioSemi Status channel, analysis_task and
// analysis_eeg on EEGMMIDB's T0/T1/T2 annotations, and the FAILED reasons.
import { describe, expect, it } from 'vitest';
import { sharedDataset, tdFixtureDataset, testContext, utf8Text } from '../../../../tests/kernel/support';
import { hasShared, referenceError, referenceJson } from '../../../../tests/support/shared';
import { PipelineFailure, type PipelineOutput } from '../pipeline';
import { analysisEeg, analysisTask, qcNirs, qcNirsBasic, qcSyncbox } from './reports';

const json = (out: PipelineOutput[]) => JSON.parse(utf8Text(out.find((o) => o.filename.endsWith('.json'))!.bytes));
const section = (j: any, id: string) => j.sections.find((s: any) => s.id === id);


describe.skipIf(!hasShared)('report pipelines', () => {
  it('qc_nirs: the scalp coupling index per channel equals MNE\'s on neuro_run01', async () => {
    const ref = referenceJson('fnirs').recordings.find((r: any) => r.recording === 'neuro_run01');
    // On MNE's sample rate (1 / round(Δt, 4)), which sets the cardiac band-pass FIR.
    const input = await sharedDataset('snirf/neuro_run01.snirf');
    for (const s of input.recording.streams) s.descriptor = { ...s.descriptor, sampleRateHz: ref.sfreq };
    const j = json(await qcNirs(input, testContext()));
    expect(j.channels.map((c: any) => c.label)).toEqual(ref.ch_names);
    const sci = ref.scalp_coupling_index;
    expect(referenceError(j.channels.map((c: any) => c.sci), sci.values, sci.tol.metric)).toBeLessThan(sci.tol.f32);
    // CV in percent: 100 · sd(ddof 1) / mean of the raw intensity, recomputed here for one channel.
    const s0 = input.recording.streams[0];
    const C = s0.descriptor.channels.length;
    const x = Array.from(s0.samples.filter((_, i) => i % C === 0));
    const m = x.reduce((a, b) => a + b, 0) / x.length;
    const cv = (100 * Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1))) / m;
    expect(j.channels[0].cv_percent).toBeCloseTo(cv, 9);
    // SCI 0.38 and 0.36 channels are red; the report's light follows the worst share.
    expect(j.channels[0].status).toBe('red');
    expect(section(j, 'sci').status).toBe('orange');
  });

  it('qc_nirs_basic: seven sections; events orange without start/end markers; no histogram check on CW data; on time-domain data it fails the high-baseline channel', async () => {
    const j = json(await qcNirsBasic(await sharedDataset('snirf/neuro_run01.snirf'), testContext()));
    expect(j.sections.map((s: any) => s.id)).toEqual(['events', 'intensity', 'dropped', 'histogram-baseline', 'coverage', 'saturation', 'continuity']);
    expect(section(j, 'events')).toMatchObject({ status: 'orange', metrics: { 'total events': 6, 'task events': 6 } });
    expect(section(j, 'dropped').status).toBe('green');
    expect(section(j, 'histogram-baseline').status).toBe('grey');
    const td = json(await qcNirsBasic(await tdFixtureDataset(), testContext()));
    const h = section(td, 'histogram-baseline');
    expect(h.status).toBe('orange');
    expect(h.tables[0].rows.filter((r: any[]) => r[3] !== 'ok').map((r: any[]) => r[0])).toEqual(['S2_D3 905']);
  });

  it('qc_syncbox: level changes of the BioSemi Status channel, one per software event, at zero lag; FAILED without a trigger channel', async () => {
    const input = await sharedDataset('bdf/Newtest17-256.bdf');
    const out = await qcSyncbox(input, testContext());
    const j = json(out);
    const status = input.recording.streams.find((s) => s.descriptor.id === 'status')!;
    // Status toggles between 255 and 254 (both held for long): every change is an event.
    expect(j.level_coded).toBe(true);
    const v = Array.from(status.samples);
    expect(j.pulse_onsets_s.length).toBe(v.filter((x, t) => t > 0 && x !== v[t - 1]).length);
    // Every reader marker but the one stating the initial level at the first sample matches a change.
    expect(j.lags_ms.length).toBe(input.recording.markers.length - 1);
    expect(Math.max(...j.lags_ms.map(Math.abs))).toBeLessThan(1000 / 256);
    expect(utf8Text(out[0].bytes)).toContain('Inter-pulse intervals');
    const err = await qcSyncbox(await sharedDataset('edf/S001R04.edf'), testContext()).catch((e) => e);
    expect(err).toBeInstanceOf(PipelineFailure);
    expect(err.message).toMatch(/^qc_syncbox needs the sync box's trigger channel/);
  });

  it('analysis_task: stimuli per condition (EEGMMIDB T0 15, T1 8, T2 7), intervals, no reaction times without responses', async () => {
    const j = json(await analysisTask(await sharedDataset('edf/S001R04.edf'), testContext()));
    expect(j.conditions.map((c: any) => [c.condition, c.count])).toEqual([['T0', 15], ['T1', 8], ['T2', 7]]);
    expect(section(j, 'behaviour').status).toBe('grey');
    expect(j.conditions[0].isi_s.every((d: number) => d > 4)).toBe(true);
    // Declared responses: every T0 is followed by a cue within 4.3 s (rest 4.2 s), so RTs are the rest length.
    const r = json(await analysisTask(await sharedDataset('edf/S001R04.edf'), testContext({ responses: ['T1', 'T2'], response_window_s: 4.3 })));
    const t0 = r.conditions.find((c: any) => c.condition === 'T0');
    expect(t0.rt_ms.length).toBe(15);
    expect(t0.rt_ms.every((x: number) => Math.abs(x - 4200) < 100)).toBe(true);
  });

  it('analysis_eeg: ERPs and band powers per condition (the T0 at 0 s has no baseline before it and is left out)', async () => {
    const j = json(await analysisEeg(await sharedDataset('edf/S001R04.edf'), testContext()));
    expect(j.conditions.map((c: any) => [c.condition, c.epochs])).toEqual([['T0', 14], ['T1', 8], ['T2', 7]]);
    expect(j.times_s[0]).toBeCloseTo(-0.2, 12);
    expect(j.conditions[0].erp_uv.length).toBe(64 * j.times_s.length);
    expect(j.conditions.every((c: any) => c.band_power_uv2.every((x: number) => x > 0))).toBe(true);
    const err = await analysisEeg(await sharedDataset('snirf/neuro_run01.snirf'), testContext()).catch((e) => e);
    expect(err.message).toMatch(/^analysis_eeg needs EEG channels/);
  });
});
