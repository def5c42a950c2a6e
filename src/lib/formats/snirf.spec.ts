import { describe, expect, it } from 'vitest';
import { hasShared, referenceArray, referenceError, referenceJson, sharedBytes, needsShared } from '../../../tests/support/shared';
import { loadH5wasm, readSnirf, writeSnirf } from './snirf';
import { channelData, regularTimestamps, type RecordingData } from './recording';

describe('readSnirf against MNE (reference/fnirs.json)', needsShared, () => {
  const ref = hasShared ? referenceJson('fnirs') : { recordings: [] };
  for (const r of ref.recordings as any[]) {
    it(`${r.recording}: raw intensities, channel names, wavelengths, optode positions, stims`, async () => {
      const rec = await readSnirf(sharedBytes(`data/snirf/${r.recording}.snirf`), `${r.recording}.snirf`);
      const nirs = rec.streams.find((s) => s.descriptor.kind === 'fnirs')!;
      expect(nirs.descriptor.channels.map((c) => c.label)).toEqual(r.ch_names);
      expect(nirs.descriptor.channels.map((c) => c.wavelengthNm)).toEqual(r.wavelengths_nm);
      expect(nirs.timestampsMs.length).toBe(r.n_times);
      // MNE's raw_intensity [channel, sample]; ours is frame-major float32.
      const expected = referenceArray(r.raw_intensity);
      const C = nirs.descriptor.channels.length;
      const actual = new Float64Array(C * r.n_times);
      for (let c = 0; c < C; c++) actual.set(channelData(nirs, r.mapping_mne_to_file_column[c]), c * r.n_times);
      expect(referenceError(actual, expected, 'nmax')).toBeLessThan(1e-7); // float32 rounding only
      // Positions per channel (MNE: metres, z = 0 for 2D files).
      nirs.descriptor.channels.forEach((ch, i) => {
        const s = rec.probe!.sourcePositionsM[ch.sourceIndex! - 1];
        const d = rec.probe!.detectorPositionsM[ch.detectorIndex! - 1];
        s.forEach((v, j) => expect(v).toBeCloseTo(r.source_pos_m[i][j], 12));
        d.forEach((v, j) => expect(v).toBeCloseTo(r.detector_pos_m[i][j], 12));
        expect(Math.hypot(s[0] - d[0], s[1] - d[1], s[2] - d[2])).toBeCloseTo(r.source_detector_distances_m[i], 12);
      });
      expect(rec.probe!.positions3d).toBe(false);
      // Stims: MNE onsets (s from the file's time zero) and descriptions; MNE 1.3 sets 1 s durations, the file says 5 s.
      expect(rec.markers.map((m) => m.value)).toEqual(r.annotations.description);
      rec.markers.forEach((m, i) => expect((m.timestampMs - rec.meta.startTimeMs!) / 1000).toBeCloseTo(r.annotations.onset_s[i], 5));
      expect(rec.markers.every((m) => m.durationMs === 5000)).toBe(true);
      // Same wall clock as MNE's meas_date from MeasurementDate/Time.
      expect(new Date(rec.meta.startTimeMs!).toISOString().slice(0, 10)).toBe('2020-05-16');
      expect(rec.streams.some((s) => s.descriptor.id === 'aux-aux1')).toBe(true);
    });
  }

  it('minimum_example.snirf (no dataTimeSeries) reads as no streams, without error', async () => {
    const rec = await readSnirf(sharedBytes('data/snirf/minimum_example.snirf'), 'minimum_example.snirf');
    expect(rec.streams).toHaveLength(0);
    expect(rec.markers).toHaveLength(0);
    expect(rec.meta.extra?.LengthUnit).toBe('mm');
  });

  it('round-trips neuro_run01 through writeSnirf', async () => {
    const src = await readSnirf(sharedBytes('data/snirf/neuro_run01.snirf'), 'neuro_run01.snirf');
    const back = await readSnirf(await writeSnirf(src), 'copy.snirf');
    expect(back.meta.extra?.formatVersion).toBe('1.1');
    expect(back.meta.startTimeMs).toBe(src.meta.startTimeMs);
    expect(back.streams.map((s) => s.descriptor.id)).toEqual(src.streams.map((s) => s.descriptor.id));
    for (let k = 0; k < src.streams.length; k++) {
      expect(Array.from(back.streams[k].samples)).toEqual(Array.from(src.streams[k].samples));
      expect(back.streams[k].descriptor.channels).toEqual(src.streams[k].descriptor.channels);
      for (let i = 0; i < src.streams[k].timestampsMs.length; i += 101) expect(back.streams[k].timestampsMs[i]).toBeCloseTo(src.streams[k].timestampsMs[i], 6);
    }
    expect(back.markers).toEqual(src.markers);
    expect(back.probe).toEqual(src.probe);
  });
});

describe('SNIRF writer', () => {
  it('writes a synthetic 3D probe with landmarks, sub-second start and aux, and reads it back', async () => {
    const start = Date.UTC(2024, 1, 2, 3, 4, 5);
    const n = 50;
    const channels = [690, 830].flatMap((wl) => [1, 2].map((d) => ({ label: `S1_D${d} ${wl}`, unit: 'a.u.', type: 'NIRS_CW_AMPLITUDE', wavelengthNm: wl, sourceIndex: 1, detectorIndex: d })));
    const rec: RecordingData = {
      meta: { sourceFormat: 'neurotab', startTimeMs: start, subject: 'p07' },
      streams: [
        { descriptor: { id: 'nirs', name: 'nirs', kind: 'fnirs', sampleRateHz: 10, channels }, samples: Float32Array.from({ length: n * 4 }, (_, i) => 1 + i / 7), timestampsMs: regularTimestamps(start + 250, n, 10) },
        { descriptor: { id: 'acc', name: 'acc', kind: 'aux', sampleRateHz: 10, channels: [{ label: 'accel_x', unit: 'g', type: 'ACCEL' }] }, samples: Float32Array.from({ length: n }, (_, i) => i), timestampsMs: regularTimestamps(start + 250, n, 10) },
      ],
      markers: [{ timestampMs: start + 1000, value: 'task', durationMs: 2000 }, { timestampMs: start + 3000, value: 'rest' }],
      probe: {
        wavelengthsNm: [690, 830],
        sourcePositionsM: [[0.01, 0.02, 0.03]],
        detectorPositionsM: [[0.04, 0.05, 0.06], [0.07, 0.08, 0.09]],
        positions3d: true,
        landmarks: [{ label: 'Nz', positionM: [0, 0.1, 0] }],
      },
    };
    const back = await readSnirf(await writeSnirf(rec), 'syn.snirf');
    expect(back.meta.subject).toBe('p07');
    expect(back.meta.startTimeMs).toBe(start);
    expect(back.streams[0].descriptor.channels).toEqual(channels);
    expect(back.streams[0].timestampsMs[0]).toBeCloseTo(start + 250, 6);
    expect(back.streams[0].descriptor.sampleRateHz).toBeCloseTo(10, 9);
    expect(Array.from(back.streams[0].samples)).toEqual(Array.from(rec.streams[0].samples));
    expect(back.streams[1].descriptor.channels[0]).toMatchObject({ label: 'accel_x', unit: 'g' });
    expect(back.markers).toEqual([{ timestampMs: start + 1000, value: 'task', durationMs: 2000 }, { timestampMs: start + 3000, value: 'rest', durationMs: 0 }]);
    expect(back.probe).toEqual(rec.probe);
  });

  it('refuses recordings without an fNIRS stream and non-HDF5 bytes', async () => {
    const eeg: RecordingData = { meta: { sourceFormat: 'neurotab' }, streams: [{ descriptor: { id: 'eeg', name: 'eeg', kind: 'eeg', sampleRateHz: 1, channels: [{ label: 'Cz', unit: 'uV', type: 'EEG' }] }, samples: new Float32Array(1), timestampsMs: new Float64Array(1) }], markers: [] };
    await expect(writeSnirf(eeg, 'out.snirf')).rejects.toThrow(/out\.snirf: SNIRF needs an fNIRS stream/);
    await expect(readSnirf(new TextEncoder().encode('hello world, not hdf5'), 'x.snirf')).rejects.toThrow(/x\.snirf: no HDF5 signature/);
  });
});

describe('SNIRF layout variants (file built with h5wasm)', () => {
  it('reads 1.1 measurementLists arrays, [start, step] time, transposed data, string arrays, ms, 3D probe with landmarks', async () => {
    const { h5, fs } = await loadH5wasm();
    const path = '/variant-test.snirf';
    const f = new h5.File(path, 'w');
    f.create_dataset({ name: 'formatVersion', data: ['1.1'] });
    const n = f.create_group('nirs');
    const tags = n.create_group('metaDataTags');
    tags.create_dataset({ name: 'SubjectID', data: ['s42'] }); // string stored as a 1-element array
    tags.create_dataset({ name: 'MeasurementDate', data: '2021-03-04' });
    tags.create_dataset({ name: 'MeasurementTime', data: '05:06:07+01:00' });
    tags.create_dataset({ name: 'LengthUnit', data: 'mm' });
    tags.create_dataset({ name: 'TimeUnit', data: 'ms' });
    const d = n.create_group('data1');
    const T = 5;
    // Stored [channel × time] (as some MATLAB writers do): 3 channels.
    d.create_dataset({ name: 'dataTimeSeries', data: Float64Array.from({ length: 3 * T }, (_, i) => i), shape: [3, T], dtype: '<d' });
    d.create_dataset({ name: 'time', data: Float64Array.of(1000, 100), shape: [2], dtype: '<d' }); // start 1000 ms, step 100 ms
    const ml = d.create_group('measurementLists');
    ml.create_dataset({ name: 'sourceIndex', data: Int32Array.of(1, 1, 2), shape: [3], dtype: '<i' });
    ml.create_dataset({ name: 'detectorIndex', data: Int32Array.of(1, 1, 1), shape: [3], dtype: '<i' });
    ml.create_dataset({ name: 'wavelengthIndex', data: Int32Array.of(1, 2, 1), shape: [3], dtype: '<i' });
    ml.create_dataset({ name: 'dataType', data: Int32Array.of(1, 1, 1), shape: [3], dtype: '<i' });
    const probe = n.create_group('probe');
    probe.create_dataset({ name: 'wavelengths', data: Float64Array.of(760, 850), shape: [2], dtype: '<d' });
    probe.create_dataset({ name: 'sourcePos3D', data: Float64Array.of(10, 20, 30, 40, 50, 60), shape: [2, 3], dtype: '<d' });
    probe.create_dataset({ name: 'detectorPos3D', data: Float64Array.of(1, 2, 3), shape: [1, 3], dtype: '<d' });
    probe.create_dataset({ name: 'landmarkPos3D', data: Float64Array.of(0, 100, 0, 1), shape: [1, 4], dtype: '<d' });
    probe.create_dataset({ name: 'landmarkLabels', data: ['Nz'] });
    const stim = n.create_group('stim1');
    stim.create_dataset({ name: 'name', data: ['go'] });
    stim.create_dataset({ name: 'data', data: Float64Array.of(1200, 50, 1), shape: [1, 3], dtype: '<d' });
    f.close();
    const bytes = fs.readFile(path) as Uint8Array;
    fs.unlink(path);

    const rec = await readSnirf(bytes, 'variant.snirf');
    const start = Date.UTC(2021, 2, 4, 4, 6, 7); // 05:06:07+01:00
    expect(rec.meta.startTimeMs).toBe(start);
    expect(rec.meta.subject).toBe('s42');
    expect(rec.meta.extra?.formatVersion).toBe('1.1');
    const s = rec.streams[0];
    expect(s.descriptor.channels.map((c) => c.label)).toEqual(['S1_D1 760', 'S1_D1 850', 'S2_D1 760']);
    expect(s.descriptor.sampleRateHz).toBeCloseTo(10, 12);
    expect(Array.from(s.timestampsMs)).toEqual([1000, 1100, 1200, 1300, 1400].map((t) => start + t));
    // Transposed back to frame-major: frame 1 = (data[0][1], data[1][1], data[2][1]) = (1, 6, 11).
    expect(Array.from(s.samples.slice(3, 6))).toEqual([1, 6, 11]);
    expect(rec.markers).toEqual([{ timestampMs: start + 1200, value: 'go', durationMs: 50 }]);
    expect(rec.probe?.positions3d).toBe(true);
    expect(rec.probe?.sourcePositionsM[1]).toEqual([0.04, 0.05, 0.06]);
    expect(rec.probe?.landmarks).toEqual([{ label: 'Nz', positionM: [0, 0.1, 0] }]);
  });
});
