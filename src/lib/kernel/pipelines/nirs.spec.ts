// The NIRS jobs against shared/reference/fnirs_glm.json through the job code: neuro_run01 read by our
// SNIRF reader (float32 samples → the reference's f32 tolerances), put on MNE's time base (frames at
// k / 20.04008 Hz, onsets as MNE's annotations) and run with the Hb chain reduced to MNE's
// (OD → Beer–Lambert, ppf 6) so the GLM's and the block averages' inputs are the reference's; then
// the full chain on the file as it is, the SNIRF export read back, and the FAILED reasons.
import { describe, expect, it } from 'vitest';
import { sharedDataset, testContext, utf8Text } from '../../../../tests/kernel/support';
import { hasShared, referenceArray, referenceError, referenceJson } from '../../../../tests/support/shared';
import { readSnirf } from '../../formats/snirf';
import type { DatasetInput } from '../model';
import { PipelineFailure } from '../pipeline';
import { analysisNirsEpoched, analysisNirsGlm, GLM_COLUMNS, snirfHbMoments } from './nirs';

const ref = hasShared ? referenceJson('fnirs_glm') : null;
const MNE_CHAIN = { tddr: false, spline: false, detrend_seconds: 0, short_channel_regression: false, ppf: 6 };

/** neuro_run01 on MNE's time base (see the header). */
async function onMneTimeBase(): Promise<DatasetInput> {
  const input = await sharedDataset('snirf/neuro_run01.snirf');
  const fs: number = ref.input.sfreq;
  const t0 = input.recording.streams[0].timestampsMs[0];
  for (const s of input.recording.streams) {
    s.descriptor = { ...s.descriptor, sampleRateHz: fs };
    s.timestampsMs = Float64Array.from(s.timestampsMs, (_, k) => t0 + (k * 1000) / fs);
  }
  const ev = ref.cases[0].events;
  input.recording.markers = ev.onset_s.map((o: number, i: number) => ({ timestampMs: t0 + o * 1000, value: ev.condition[i], durationMs: ev.duration_s[i] * 1000 }));
  return input;
}

const json = (files: { filename: string; bytes: Uint8Array }[], name: string) => JSON.parse(utf8Text(files.find((f) => f.filename === name)!.bytes));

describe.skipIf(!ref)('NIRS jobs', () => {
  for (const model of ['ar1', 'ols'] as const) {
    it(`analysis_nirs_glm (${model}) equals fnirs_glm.json: betas, se, t, p per contrast; glm_results.tsv row per channel × chromophore × regressor`, async () => {
      const out = await analysisNirsGlm(await onMneTimeBase(), testContext({ ...MNE_CHAIN, noise_model: model }));
      expect(out.map((o) => o.filename)).toEqual(['analysis_nirs_glm.html', 'analysis_nirs_glm.json', 'glm_results.tsv']);
      const j = json(out, 'analysis_nirs_glm.json');
      const r = ref.cases[0][model];
      expect(j.design_matrix.columns).toEqual(ref.cases[0].column_names);
      expect(j.channels).toEqual(ref.input.ch_names);
      expect(j.dof).toBe(r.dof);
      expect(j.contrasts.map((k: any) => [k.name, k.vector])).toEqual(r.contrasts.map((k: any) => [k.name, k.vector]));
      const C = ref.input.ch_names.length;
      const K = r.contrasts.length;
      const stack = (key: string, scale = 1) => Float64Array.from({ length: C * K }, (_, i) => j.contrasts[i % K][key][Math.floor(i / K)] * scale);
      // Reference layout [channel, contrast]; nmax over each contrast column; effects in M there, µM here.
      const err = (got: Float64Array, want: number[], cols: number) => Math.max(...Array.from({ length: cols }, (_, k) => referenceError(got.filter((_, i) => i % cols === k), referenceArray(want).filter((_, i) => i % cols === k), 'nmax')));
      expect(err(stack('effect', 1e-6), r.effect, K)).toBeLessThan(r.tol.effect.f32);
      expect(err(stack('se', 1e-6), r.se, K)).toBeLessThan(r.tol.se.f32);
      expect(err(stack('t'), r.t, K)).toBeLessThan(r.tol.t.f32);
      expect(referenceError(stack('p'), referenceArray(r.p), 'abs')).toBeLessThan(r.tol.p.f32);
      if (model === 'ar1') expect(referenceError(j.rho, referenceArray(r.rho), 'abs')).toBeLessThan(r.tol.rho.f32);

      const tsv = utf8Text(out[2].bytes).trimEnd().split('\n').map((l) => l.split('\t'));
      expect(tsv[0]).toEqual(GLM_COLUMNS);
      const P = ref.cases[0].column_names.length;
      expect(tsv.length - 1).toBe(C * P);
      // Row of channel c, column k: beta = reference betas[c, k] (M → µM).
      const betas = referenceArray(r.betas);
      const rowsOf = tsv.slice(1);
      expect(rowsOf[0].slice(0, 3)).toEqual(['S1_D1', 'hbo', '1']);
      expect(rowsOf[9 * P + 1].slice(0, 3)).toEqual(['S1_D1', 'hbr', '2']);
      const got = Float64Array.from(rowsOf, (row) => Number(row[3]) * 1e-6);
      expect(referenceError(got, betas, 'nmax')).toBeLessThan(r.tol.betas.f32);
      expect(rowsOf.every((row) => row[7] === String(r.dof) && row[8] === model)).toBe(true);
    });
  }

  it('analysis_nirs_epoched equals the reference block averages (mean and SEM per condition)', async () => {
    const out = await analysisNirsEpoched(await onMneTimeBase(), testContext(MNE_CHAIN));
    const j = json(out, 'analysis_nirs_epoched.json');
    const b = ref.block_average;
    expect(j.event_samples).toEqual(b.event_samples);
    expect(j.conditions).toEqual(b.conditions);
    expect(j.counts).toEqual(b.n_events);
    expect(referenceError(Float64Array.from(j.mean, (v: number) => v * 1e-6), referenceArray(b.mean), 'nmax')).toBeLessThan(b.tol.mean.f32);
    expect(referenceError(Float64Array.from(j.sem, (v: number) => v * 1e-6), referenceArray(b.sem), 'nmax')).toBeLessThan(b.tol.sem.f32);
  });

  it('snirf_hb_moments writes HbO/HbR in µM as processed SNIRF (dataType 99999, labels HbO/HbR, which our reader reads as NIRS_HBO/NIRS_HBR)', async () => {
    const input = await sharedDataset('snirf/neuro_run01.snirf');
    const out = await snirfHbMoments(input, testContext());
    expect(out.map((o) => o.filename)).toEqual(['0187f1c2a9b47c3e8d2f5a6b7c8d9e0f_HB_MOMENTS.snirf']);
    const back = await readSnirf(out[0].bytes, out[0].filename);
    const s = back.streams.find((x) => x.descriptor.kind === 'fnirs')!;
    expect(s.descriptor.channels.map((c) => [c.type, c.unit]).slice(0, 1)).toEqual([['NIRS_HBO', 'uM']]);
    expect(s.descriptor.channels.filter((c) => c.type === 'NIRS_HBR').length).toBe(9);
    expect(s.timestampsMs.length).toBe(8000);
    expect(back.markers.length).toBe(6);
    // The full chain detrends over 100 s: no channel keeps a mean far from 0.
    const C = s.descriptor.channels.length;
    for (let c = 0; c < C; c++) {
      let m = 0;
      for (let t = 0; t < 8000; t++) m += s.samples[t * C + c] / 8000;
      expect(Math.abs(m)).toBeLessThan(1);
    }
  });

  it('the full chain (TDDR, spline, detrend) runs on the file as recorded, with the three contrasts', async () => {
    const j = json(await analysisNirsGlm(await sharedDataset('snirf/neuro_run01.snirf'), testContext()), 'analysis_nirs_glm.json');
    expect(j.preprocessing).toContain('TDDR motion correction');
    expect(j.contrasts.map((k: any) => k.name)).toEqual(['1', '2', '1 - 2']);
    expect(j.contrasts[0].t.every(Number.isFinite)).toBe(true);
  });

  it('fails with reasons: no fNIRS (EEG file), no task events', async () => {
    const eeg = await analysisNirsGlm(await sharedDataset('edf/S001R04.edf'), testContext()).catch((e) => e);
    expect(eeg).toBeInstanceOf(PipelineFailure);
    expect(eeg.message).toMatch(/analysis_nirs_glm needs continuous-wave fNIRS intensity/);
    const noEvents = await sharedDataset('snirf/neuro_run01.snirf');
    noEvents.recording.markers = [];
    const e2 = await analysisNirsGlm(noEvents, testContext()).catch((e) => e);
    expect(e2.message).toMatch(/needs task events .* this dataset has none/);
  });
});
