import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasShared, sharedBytes, sharedPath, needsShared } from '../../../tests/support/shared';
import { detectCsvLayout, estimateRateHz, readCsv, readMarkersCsv, writeCsv, writeMarkersCsv } from './csv';
import { regularTimestamps, type RecordingData } from './recording';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('CSV readers on real files', needsShared, () => {
  it('reads the OpenBCI GUI v6 Cyton recording', () => {
    const bytes = sharedBytes('data/openbci/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt');
    expect(detectCsvLayout(text(bytes))).toBe('openbci');
    const rec = readCsv(bytes, 'blinks.txt');
    expect(rec.meta.sourceFormat).toBe('openbci');
    expect(rec.meta.device).toBe('BoardCytonSerial');
    expect(rec.meta.startTimeMs).toBe(1557936053329);
    const eeg = rec.streams.find((s) => s.descriptor.kind === 'eeg')!;
    expect(eeg.descriptor.sampleRateHz).toBe(250);
    expect(eeg.descriptor.channels.map((c) => c.label)).toEqual(Array.from({ length: 8 }, (_, i) => `EXG Channel ${i}`));
    expect(eeg.descriptor.channels[0].unit).toBe('uV');
    expect(eeg.timestampsMs.length).toBe(22_490);
    // First data row: 0, 61379.36, 49492.89, …, 1740.11 | accel 0.040, 0.420, 0.238.
    expect(eeg.samples[0]).toBeCloseTo(61379.36, 2);
    expect(eeg.samples[7]).toBeCloseTo(1740.11, 2);
    expect(eeg.samples[8]).toBeCloseTo(60973.46, 2);
    const acc = rec.streams.find((s) => s.descriptor.id === 'accel')!;
    expect(Array.from(acc.samples.slice(0, 3))).toEqual([0.04, 0.42, 0.238].map(Math.fround));
    // Regular grid from the first timestamp; last file timestamp is 12:02:23.166 → ≈ 89.9 s later.
    expect((eeg.timestampsMs[22_489] - eeg.timestampsMs[0]) / 1000).toBeCloseTo(22_489 / 250, 9);
    expect(rec.markers).toHaveLength(0);
    expect(rec.meta.notes).toBeUndefined();
  });

  it('reads the same recording in the OpenBCI GUI v5 shape (a row of zeros first, no column row) frame for frame, without the zero row', () => {
    // The GUI's v5 copy of this recording (OpenBCI_GUI repo, EEG_Sample_Data): no column row, no
    // Marker column, and a first row of 24 × "0.0" (timestamp 0: 1970) before sample 0.
    const v6 = sharedBytes('data/openbci/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt');
    const all = text(v6).split('\r\n');
    const dataRows = all.slice(5).filter((l) => l !== '').map((l) => l.split(',').filter((_, k) => k !== 23).join(','));
    const v5Text = [...all.slice(0, 4), Array(24).fill('0.0').join(','), ...dataRows].join('\r\n');
    const v5 = readCsv(new TextEncoder().encode(v5Text), 'OpenBCI_GUI-v5-blinks-jawClench-alpha.txt');
    const want = readCsv(v6, 'blinks.txt');
    expect(v5.meta.notes).toMatch(/^Skipped line 5: a row of zeros with timestamp 0 \(1970\)/);
    expect(v5.meta.startTimeMs).toBe(1557936053329);
    const [eeg, acc] = v5.streams;
    expect(eeg.timestampsMs.length).toBe(22_490);
    expect(eeg.samples[0]).toBeCloseTo(61379.36, 2);
    expect(eeg.samples).toEqual(want.streams[0].samples);
    expect(eeg.timestampsMs).toEqual(want.streams[0].timestampsMs);
    expect(acc.samples).toEqual(want.streams[1].samples);
  });
});

describe('muse-lsl CSV files of shared/data/muse-csv', needsShared, () => {
  const museFiles = hasShared ? readdirSync(sharedPath('data/muse-csv')).filter((f) => f.endsWith('.csv')) : [];
  for (const f of museFiles) {
    it(`reads muse-lsl ${f} with its markers`, () => {
      const bytes = sharedBytes(`data/muse-csv/${f}`);
      const rec = readCsv(bytes, f);
      expect(rec.meta.sourceFormat).toBe('muse-csv');
      const s = rec.streams[0];
      expect(s.descriptor.channels.map((c) => c.label)).toEqual(['TP9', 'AF7', 'AF8', 'TP10', 'Right AUX']);
      expect(s.descriptor.sampleRateHz).toBe(256);
      expect(s.timestampsMs.length).toBe(30_732);
      // Independent count: rows whose last field is 1 / 2.
      const rows = text(bytes).trim().split('\n').slice(1);
      const count = (v: string) => rows.filter((r) => r.slice(r.lastIndexOf(',') + 1).trim() === v).length;
      expect(rec.markers.filter((m) => m.value === '1')).toHaveLength(count('1'));
      expect(rec.markers.filter((m) => m.value === '2')).toHaveLength(count('2'));
      if (f.startsWith('P300')) {
        expect(count('1')).toBeGreaterThanOrEqual(155);
        expect(rec.meta.startTimeMs).toBeCloseTo(Number(rows[0].split(',')[0]) * 1000, 3);
      } else {
        expect(rec.meta.startTimeMs).toBeUndefined(); // LSL clock, not epoch
      }
      const firstMarkerRow = rows.find((r) => !r.endsWith(',0'))!;
      expect(rec.markers[0].timestampMs).toBeCloseTo(Number(firstMarkerRow.split(',')[0]) * 1000, 3);
    });
  }
});

describe('OpenBCI GUI text without a column row (older GUI layout)', () => {
  it('reads index, 8 EXG, 3 accel, time, unix ms by position', () => {
    const rows = ['%OpenBCI Raw EEG Data', '%Number of channels = 8', '%Sample Rate = 250.0 Hz', '%First Column = SampleIndex', '%Last Column = Timestamp', '%Other = SampleRate, NumberOfChannels'];
    for (let i = 0; i < 4; i++) rows.push([i, ...Array.from({ length: 8 }, (_, c) => (c + 1) * 1.5 + i), 0.01, 0.02, 0.98, '12:00:53.329', 1557936053329 + 4 * i].join(', '));
    const rec = readCsv(new TextEncoder().encode(rows.join('\r\n')), 'old.txt');
    expect(rec.meta.sourceFormat).toBe('openbci');
    expect(rec.meta.startTimeMs).toBe(1557936053329);
    expect(rec.streams[0].descriptor.channels).toHaveLength(8);
    expect(rec.streams[0].descriptor.sampleRateHz).toBe(250);
    expect(rec.streams[0].samples[8 + 7]).toBe(13);
    expect(Array.from(rec.streams[1].samples.slice(0, 3))).toEqual([0.01, 0.02, 0.98].map(Math.fround));
  });
});

describe('OpenBCI GUI v5 row of zeros after the header', () => {
  const header = ['%OpenBCI Raw EXG Data', '%Number of channels = 8', '%Sample Rate = 250 Hz', '%Board = OpenBCI_GUI$BoardCytonSerial'];
  const columns = 'Sample Index, EXG Channel 0, EXG Channel 1, EXG Channel 2, EXG Channel 3, EXG Channel 4, EXG Channel 5, EXG Channel 6, EXG Channel 7, Accel Channel 0, Accel Channel 1, Accel Channel 2, Timestamp, Timestamp (Formatted)';
  const row = (i: number, ts: number | string, formatted: string) => [i, ...Array.from({ length: 8 }, (_, c) => 100 * c + i + 0.5), 0.04, 0.42, 0.238, ts, formatted].join(', ');
  const read = (lines: string[]) => readCsv(new TextEncoder().encode(lines.join('\n')), 'v5.txt');

  it('skips it under a column row too (the formatted time aside) and says so; every real row is kept', () => {
    const rec = read([...header, columns, [...Array(13).fill('0.0'), '1970-01-01 00:00:00.000'].join(', '), row(0, 1557936053329, '12:00:53.329'), row(1, 1557936053336, '12:00:53.336'), row(2, 1557936053343, '12:00:53.343')]);
    expect(rec.meta.notes).toMatch(/^Skipped line 6: a row of zeros/);
    expect(rec.meta.startTimeMs).toBe(1557936053329);
    expect(rec.streams[0].timestampsMs.length).toBe(3);
    expect(Array.from(rec.streams[0].samples.slice(0, 2))).toEqual([0.5, 100.5]);
  });

  it('keeps a row of zeros whose neighbours carry no real timestamp, and a zero row that is not the first', () => {
    const zeros = Array(14).fill('0.0').join(',');
    const noTime = read([...header, columns, zeros, row(0, '0.0', '00:00:00.000'), row(1, '0.0', '00:00:00.004')]);
    expect(noTime.streams[0].timestampsMs.length).toBe(3);
    expect(noTime.meta.notes).toBeUndefined();
    const later = read([...header, columns, row(0, 1557936053329, '12:00:53.329'), zeros, row(2, 1557936053343, '12:00:53.343')]);
    expect(later.streams[0].timestampsMs.length).toBe(3);
    expect(later.meta.notes).toBeUndefined();
  });
});

describe('BrainFlow raw CSV', () => {
  it('reads a Cyton layout (24 tab-separated columns, unix seconds, marker column 23)', () => {
    const rows: string[] = [];
    for (let i = 0; i < 5; i++) {
      const cells = new Array(24).fill('0.000000');
      cells[0] = String(i);
      for (let c = 1; c <= 8; c++) cells[c] = (c * 10 + i).toFixed(6);
      cells[9] = '0.100000';
      cells[22] = (1700000000 + i / 250).toFixed(6);
      cells[23] = i === 3 ? '7.000000' : '0.000000';
      rows.push(cells.join('\t'));
    }
    const rec = readCsv(new TextEncoder().encode(rows.join('\n') + '\n'), 'BrainFlow-RAW.csv');
    expect(rec.meta.sourceFormat).toBe('brainflow');
    expect(rec.meta.device).toBe('Cyton');
    const eeg = rec.streams[0];
    expect(eeg.descriptor.sampleRateHz).toBe(250);
    expect(eeg.descriptor.channels).toHaveLength(8);
    expect(eeg.samples[8 * 2 + 4]).toBe(52);
    expect(eeg.timestampsMs[1]).toBeCloseTo(1700000000004, 3);
    expect(rec.streams[1].samples[0]).toBeCloseTo(0.1, 6);
    expect(rec.markers).toEqual([{ timestampMs: eeg.timestampsMs[3], value: '7' }]);
  });

  it('reads Ganglion and Synthetic layouts and rejects unknown column counts', () => {
    const row = (n: number, ts: number, eeg: number) => Array.from({ length: n }, (_, k) => (k === ts ? '1700000000.5' : k === 1 ? String(eeg) : '0')).join('\t');
    const g = readCsv(new TextEncoder().encode(row(15, 13, 3) + '\n' + row(15, 13, 4)), 'g.csv');
    expect(g.meta.device).toBe('Ganglion');
    expect(g.streams[0].descriptor.sampleRateHz).toBe(200);
    expect(g.streams[0].descriptor.channels).toHaveLength(4);
    expect(g.streams[0].samples[4]).toBe(4);
    const s = readCsv(new TextEncoder().encode(row(32, 30, 1)), 's.csv');
    expect(s.meta.device).toBe('Synthetic');
    expect(s.streams[0].descriptor.channels[0].label).toBe('Fz');
    expect(s.streams[1].descriptor.channels.map((c) => c.type)).toEqual(['ACCEL', 'ACCEL', 'ACCEL', 'GYRO', 'GYRO', 'GYRO']);
    expect(() => readCsv(new TextEncoder().encode(row(9, 3, 1)), 'x.csv')).toThrow(/x\.csv: BrainFlow CSV with 9 columns/);
  });
});

describe('Neurotab CSV writer', () => {
  it('round-trips samples (float32-exact), timestamps and markers', () => {
    const start = 1_700_000_000_000;
    const n = 300;
    const samples = Float32Array.from({ length: n * 3 }, (_, i) => Math.sin(i) * 123.456 + (i % 3));
    const rec: RecordingData = {
      meta: { sourceFormat: 'neurotab', startTimeMs: start },
      streams: [{ descriptor: { id: 'eeg', name: 'eeg', kind: 'eeg', sampleRateHz: 250, channels: ['C3', 'Cz', 'C4'].map((label) => ({ label, unit: 'uV', type: 'EEG' })) }, samples, timestampsMs: regularTimestamps(start, n, 250) }],
      markers: [{ timestampMs: start + 40, value: 'left, "cue"' }, { timestampMs: start + 800, value: 'right', durationMs: 500 }],
    };
    const files = writeCsv(rec);
    expect(files.map((f) => f.suffix)).toEqual(['', '.markers.csv']);
    expect(text(files[0].bytes).split('\n')[0]).toBe('timestamp_ms,C3,Cz,C4');
    const back = readCsv(files[0].bytes, 'x.csv');
    expect(back.streams[0].descriptor.sampleRateHz).toBe(250);
    expect(back.meta.startTimeMs).toBe(start);
    expect(Array.from(back.streams[0].samples)).toEqual(Array.from(samples));
    for (let i = 0; i < n; i++) expect(back.streams[0].timestampsMs[i]).toBeCloseTo(rec.streams[0].timestampsMs[i], 3);
    const markers = readMarkersCsv(files[1].bytes);
    expect(markers).toEqual([{ timestampMs: start + 40, value: 'left, "cue"' }, { timestampMs: start + 800, value: 'right', durationMs: 500 }]);
    expect(text(writeMarkersCsv([]))).toBe('timestamp_ms,value\n');
  });

  it('names the file, line and column of a bad cell', () => {
    const bad = new TextEncoder().encode('timestamp_ms,Cz\n0,1\n4,abc\n');
    expect(() => readCsv(bad, 'bad.csv')).toThrow(/bad\.csv: line 3, column "Cz": "abc" is not a number/);
  });
});

describe('estimateRateHz', () => {
  it('ignores long gaps and averages quantised stamps (3/4 ms steps → 256 Hz)', () => {
    const t = Float64Array.from({ length: 1000 }, (_, i) => i * 10 + (i >= 500 ? 60_000 : 0));
    expect(estimateRateHz(t)).toBe(100);
    expect(estimateRateHz(Float64Array.from({ length: 100 }, (_, i) => i * 50.1))).toBe(19.9601);
    expect(estimateRateHz(Float64Array.from({ length: 2560 }, (_, i) => Math.round((i * 1000) / 256)))).toBe(256);
  });
});
