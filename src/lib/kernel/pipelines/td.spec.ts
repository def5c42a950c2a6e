// The time-domain pipelines on a gated-histogram SNIRF fixture (tests/kernel/make-td-fixture.py, which
// also computes the expected moments and gates with NumPy): snirf_moments (checks, trimming, moments
// 0/1/2 at gate centres, dataType 301 written and read back), pipeline_snirf_gated (re-binned gates,
// dataType 201), reconstruction (FAILED with what it needs), and FAILED reasons on CW data.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedDataset, tdFixtureDataset, testContext } from '../../../../tests/kernel/support';
import { hasShared, referenceError } from '../../../../tests/support/shared';
import { PipelineFailure } from '../pipeline';
import { readTdSnirf, snirfDataTypes } from '../snirf-td';
import { nirsRecording, reconstruction, snirfGated, snirfMoments, totalCounts } from './td';
import { snirfHbMoments } from './nirs';

const expected = JSON.parse(readFileSync(new URL('../../../../tests/kernel/td-expected.json', import.meta.url), 'utf8'));


const label = (c: { source: number; detector: number; wavelengthNm: number }) => `S${c.source}_D${c.detector} ${c.wavelengthNm}`;
/** [time, channel] of the expected JSON against our [channel, order|gate, time]. */
function column(values: Float64Array, C: number, K: number, T: number, k: number): Float64Array {
  const out = new Float64Array(T * C);
  for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) out[t * C + c] = values[(c * K + k) * T + t];
  return out;
}

describe('time-domain pipelines', () => {
  it('snirf_moments: drops the high-baseline channel, trims, and its moments equal NumPy\'s; SNIRF dataType 301', async () => {
    const out = await snirfMoments(await tdFixtureDataset(), testContext());
    expect(out.map((o) => o.filename)).toEqual(['0187f1c2a9b47c3e8d2f5a6b7c8d9e0f_MOMENTS.snirf']);
    expect(new Set(await snirfDataTypes(out[0].bytes))).toEqual(new Set([301]));
    const m = await readTdSnirf(out[0].bytes);
    expect(m.kind).toBe('moments');
    expect(m.momentOrders).toEqual([0, 1, 2]);
    expect(m.channels.map(label)).toEqual(expected.kept_channels);
    expect(Array.from(m.timesS)).toEqual(expected.kept_times_s);
    const T = m.timesS.length;
    const C = m.channels.length;
    expect(referenceError(column(m.values, C, 3, T, 0), expected.m0.flat(), 'nmax')).toBeLessThan(1e-14);
    expect(referenceError(column(m.values, C, 3, T, 1), expected.m1_ps.flat(), 'nmax')).toBeLessThan(1e-12);
    expect(referenceError(column(m.values, C, 3, T, 2), expected.m2_ps2.flat(), 'nmax')).toBeLessThan(1e-10);
    expect(m.tags.DroppedChannels).toMatch(/^S2_D3 905: high baseline/);
  });

  it('pipeline_snirf_gated: 30 gates re-binned into 15 equal NumPy\'s sums; SNIRF dataType 201 with the new delays', async () => {
    const out = await snirfGated(await tdFixtureDataset(), testContext({ gates: 15 }));
    expect(new Set(await snirfDataTypes(out[0].bytes))).toEqual(new Set([201]));
    const g = await readTdSnirf(out[0].bytes);
    expect(Array.from(g.gateDelaysPs!, (d) => Math.round(d))).toEqual(Array.from({ length: 15 }, (_, i) => i * 200));
    expect(Array.from(g.gateWidthsPs!, (d) => Math.round(d))).toEqual(Array(15).fill(200));
    expect(g.channels.map(label)).toEqual(expected.kept_channels);
    const T = g.timesS.length;
    const C = g.channels.length;
    const got = new Float64Array(T * C * 15);
    for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) for (let k = 0; k < 15; k++) got[(t * C + c) * 15 + k] = g.values[(c * 15 + k) * T + t];
    expect(Array.from(got)).toEqual(expected.gates15.flat(2));
  });

  it('reconstruction ends FAILED naming the sensitivity matrix it needs', async () => {
    const err = await reconstruction(await tdFixtureDataset()).catch((e) => e);
    expect(err).toBeInstanceOf(PipelineFailure);
    expect(err.message).toMatch(/^reconstruction needs a sensitivity matrix/);
  });

  it('the CW pipelines read moment 0 of time-domain data as intensity (snirf_hb_moments runs on the gated fixture)', async () => {
    const { recording, timeDomain } = await nirsRecording(await tdFixtureDataset());
    expect(timeDomain).toBe('gated');
    expect(recording.streams[0].descriptor.channels.length).toBe(6);
    expect(recording.streams[0].descriptor.sampleRateHz).toBeCloseTo(2, 12);
    const m0 = totalCounts(await readTdSnirf((await tdFixtureDataset()).file!.bytes), 0)!;
    expect(Array.from(recording.streams[0].samples.filter((_, i) => i % 6 === 0))).toEqual(Array.from(Float32Array.from(m0)));
    const out = await snirfHbMoments(await tdFixtureDataset(), testContext({ spline: false }));
    expect(out[0].filename).toMatch(/_HB_MOMENTS\.snirf$/);
  });

  it.skipIf(!hasShared)('ends FAILED on continuous-wave data, saying what it needs and what the dataset has', async () => {
    for (const [run, name] of [[snirfMoments, 'snirf_moments'], [snirfGated, 'pipeline_snirf_gated']] as const) {
      const err = await run(await sharedDataset('snirf/neuro_run01.snirf'), testContext()).catch((e) => e);
      expect(err).toBeInstanceOf(PipelineFailure);
      expect(err.message).toMatch(new RegExp(`^${name} needs time-domain photon time-of-flight data .* this dataset has continuous-wave intensity \\(SNIRF dataType 1\\)`));
    }
  });
});
