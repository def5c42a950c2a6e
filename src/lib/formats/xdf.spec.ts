// Expected values are those of pyxdf's own test suite (xdf-modules/pyxdf test/test_data.py) for
// the xdf-modules/example-files recordings, read with load_xdf's defaults.
import { describe, expect, it } from 'vitest';
import { sharedBytes, needsShared } from '../../../tests/support/shared';
import { parseXdfDatetime, readXdf, readXdfStreams, robustFit } from './xdf';

describe('readXdf on the xdf-modules example files', needsShared, () => {
  it('minimal.xdf: int16 + string streams, clock offsets applied (t − 0.1 s)', () => {
    const bytes = sharedBytes('data/xdf/xdfmodules_minimal.xdf');
    const { streams, fileHeader } = readXdfStreams(bytes, 'minimal.xdf');
    expect(fileHeader?.children.find((c) => c.tag === 'version')?.text).toBe('1.0');
    expect(streams.map((s) => s.streamId)).toEqual([0, 0x02c0ffee]);
    const [a, b] = streams;
    expect(a.name).toBe('SendDataC');
    expect(a.channelFormat).toBe('int16');
    expect(Array.from(a.values!)).toEqual([192, 255, 238, 12, 22, 32, 13, 23, 33, 14, 24, 34, 15, 25, 35, 12, 22, 32, 13, 23, 33, 14, 24, 34, 15, 25, 35]);
    [5.0, 5.1, 5.2, 5.3, 5.4, 5.5, 5.6, 5.7, 5.8].forEach((t, i) => expect(a.timeStampsS[i]).toBeCloseTo(t, 9));
    expect(a.clockTimesS).toEqual([6.1, 7.1]);
    expect(a.segments).toEqual([[0, 8]]);
    expect(a.clockSegments).toEqual([[0, 8]]);
    expect(a.effectiveSrateHz).toBeCloseTo(10, 9);
    expect(a.footer?.children.find((c) => c.tag === 'sample_count')?.text).toBe('9');
    // String stream: no clock offsets → unchanged 5.1 … 5.9.
    expect(b.strings!.slice(1).map((r) => r[0])).toEqual(['Hello', 'World', 'from', 'LSL', 'Hello', 'World', 'from', 'LSL']);
    expect(b.strings![0][0].startsWith('<?xml version="1.0"?><info><writer>LabRecorder xdfwriter')).toBe(true);
    [5.1, 5.2, 5.3, 5.4, 5.5, 5.6, 5.7, 5.8, 5.9].forEach((t, i) => expect(b.timeStampsS[i]).toBeCloseTo(t, 9));

    const rec = readXdf(bytes, 'minimal.xdf');
    expect(rec.meta.sourceFormat).toBe('xdf');
    expect(rec.meta.startTimeMs).toBeUndefined();
    expect(rec.streams).toHaveLength(1);
    expect(rec.streams[0].descriptor).toMatchObject({ id: 'senddatac', kind: 'eeg', sampleRateHz: 10 });
    expect(rec.streams[0].timestampsMs[0]).toBeCloseTo(5000, 6);
    expect(rec.markers.map((m) => m.value).slice(1, 5)).toEqual(['Hello', 'World', 'from', 'LSL']);
    expect(rec.markers[1].timestampMs).toBeCloseTo(5200, 6);
  });

  it('clock_resets.xdf: splits clock segments at the reset and dejitters each break segment', () => {
    const { streams } = readXdfStreams(sharedBytes('data/xdf/xdfmodules_clock_resets.xdf'), 'clock_resets.xdf');
    const [markers, eeg] = streams;
    expect(markers.name).toBe('MyMarkerStream');
    expect(markers.strings).toHaveLength(175);
    expect(markers.segments).toEqual([[0, 174]]);
    expect(markers.clockSegments).toEqual([[0, 90], [91, 174]]);
    expect(markers.clockTimesS[0]).toBeCloseTo(653156.02616855, 6);
    expect(markers.clockValuesS[markers.clockValuesS.length - 1]).toBeCloseTo(1121.165595, 4);
    expect(eeg.name).toBe('BioSemi');
    expect(eeg.channelCount).toBe(8);
    expect(eeg.timeStampsS).toHaveLength(27815);
    expect(eeg.segments).toEqual([[0, 12875], [12876, 27814]]);
    expect(eeg.clockSegments).toEqual([[0, 12875], [12876, 27814]]);
    expect(eeg.effectiveSrateHz).toBeCloseTo(92.934, 3);
    // Timestamps stay monotonic across the reset after synchronisation.
    for (let i = 1; i < eeg.timeStampsS.length; i++) expect(eeg.timeStampsS[i]).toBeGreaterThan(eeg.timeStampsS[i - 1]);
  });

  it('without sync/dejitter, effective rate is not 92.934 and there is one segment (pyxdf)', () => {
    const { streams } = readXdfStreams(sharedBytes('data/xdf/xdfmodules_clock_resets.xdf'), 'clock_resets.xdf', { synchronizeClocks: false, dejitterTimestamps: false });
    expect(streams[1].segments).toEqual([[0, 27814]]);
    expect(Math.abs(streams[1].effectiveSrateHz - 92.934)).toBeGreaterThan(1e-3);
    expect(streams[1].clockSegments).toEqual([]);
  });

  it('empty_streams.xdf: empty numeric and string streams, int32 counter, JSON control string', () => {
    const bytes = sharedBytes('data/xdf/xdfmodules_empty_streams.xdf');
    const { streams } = readXdfStreams(bytes, 'empty_streams.xdf');
    expect(streams.map((s) => s.name)).toEqual([
      'Empty data stream: test stream 0 counter',
      'Data stream: test stream 0 counter',
      'ctrl',
      'Empty marker stream: test stream 0 counter',
    ]);
    expect(streams[0].timeStampsS).toHaveLength(0);
    expect(streams[0].segments).toEqual([]);
    expect(streams[0].clockSegments).toEqual([]);
    expect(streams[3].strings).toEqual([]);
    const counter = streams[1];
    expect(Array.from(counter.values!)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const expected = [91725.21394789, 91726.21394789, 91727.21394789, 91728.21394789, 91729.21394789, 91730.21394789, 91731.21394789, 91732.21394789, 91733.21394789, 91734.21394789];
    expected.forEach((t, i) => expect(Math.abs(counter.timeStampsS[i] - t)).toBeLessThan(1.5e-4));
    expect(counter.effectiveSrateHz).toBeCloseTo(1, 5);
    expect(counter.segments).toEqual([[0, 9]]);
    expect(streams[2].strings).toEqual([['{"state": 2}']]);
    expect(Math.abs(streams[2].timeStampsS[0] - 91725.01400425) / 91725.01400425).toBeLessThan(1e-7);

    const rec = readXdf(bytes, 'empty_streams.xdf');
    expect(rec.meta.extra?.datetime).toBe('2025-01-31T00:21:17+0000');
    expect(rec.meta.recordedAtMs).toBe(Date.UTC(2025, 0, 31, 0, 21, 17));
    expect(rec.meta.startTimeMs).toBeUndefined(); // the timestamps stay on the LSL clock
    expect(rec.streams.map((s) => [s.descriptor.channels[0].label, s.timestampsMs.length])).toEqual([['ch:00', 0], ['ch:00', 10]]);
    expect(rec.markers).toEqual([{ timestampMs: streams[2].timeStampsS[0] * 1000, value: '{"state": 2}' }]);
  });
});

describe('parseXdfDatetime (LabRecorder header datetime)', () => {
  it('reads ISO dates with a zone with or without a colon, Z, none (as UTC) and fractions; refuses anything else', () => {
    expect(parseXdfDatetime('2025-01-31T00:21:17+0000')).toBe(Date.UTC(2025, 0, 31, 0, 21, 17));
    expect(parseXdfDatetime('2017-06-12T16:03:14+0200')).toBe(Date.UTC(2017, 5, 12, 14, 3, 14));
    expect(parseXdfDatetime('2017-06-12T16:03:14-05:30')).toBe(Date.UTC(2017, 5, 12, 21, 33, 14));
    expect(parseXdfDatetime('2017-06-12T16:03:14Z')).toBe(Date.UTC(2017, 5, 12, 16, 3, 14));
    expect(parseXdfDatetime(' 2017-06-12 16:03:14.25 ')).toBe(Date.UTC(2017, 5, 12, 16, 3, 14, 250));
    for (const bad of ['', 'yesterday', '2017-13-12T16:03:14', '12.06.2017 16:03', '2017-06-12T16:03']) expect(parseXdfDatetime(bad), bad).toBeUndefined();
  });
});

describe('XDF errors and clock fit', () => {
  it('rejects wrong magic and lying sizes with the file name', () => {
    expect(() => readXdf(new TextEncoder().encode('EDF:xxxx'), 'a.xdf')).toThrow(/a\.xdf: magic is not "XDF:"/);
    // Chunk length claims 2^32 − 1 bytes.
    const b = new Uint8Array([0x58, 0x44, 0x46, 0x3a, 4, 0xff, 0xff, 0xff, 0xff, 1, 0]);
    expect(() => readXdf(b, 'b.xdf')).toThrow(/b\.xdf: chunk at byte 4 \(length 4294967295\) needs 4294967295 bytes/);
  });

  it('robustFit recovers a line and ignores one outlier (Huber)', () => {
    const x = Array.from({ length: 20 }, (_, i) => i);
    const y = x.map((v) => 3 + 0.5 * v);
    y[7] += 1000;
    const [a, b] = robustFit(x, y);
    // Least squares would move the intercept by tens; Huber's bounded influence keeps it within 0.2.
    expect(Math.abs(a - 3)).toBeLessThan(0.2);
    expect(Math.abs(b - 0.5)).toBeLessThan(0.02);
  });
});
