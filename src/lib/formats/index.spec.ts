import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors';
import { sharedBytes, needsShared } from '../../../tests/support/shared';
import { detectFormat, readRecording, SUPPORTED_FORMATS, writeRecordingFiles } from './index';
import { regularTimestamps, type RecordingData } from './recording';

describe('readRecording picks the reader', needsShared, () => {
  const cases: [string, string][] = [
    ['data/edf/S001R04.edf', 'edf'],
    ['data/bdf/Newtest17-256.bdf', 'bdf'],
    ['data/bdf/pyedflib_test_generator.bdf', 'bdf'],
    ['data/xdf/xdfmodules_minimal.xdf', 'xdf'],
    ['data/snirf/Simple_Probe.snirf', 'snirf'],
    ['data/openbci/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt', 'openbci'],
    ['data/muse-csv/SSVEP_s1_sess1_data_2017-09-14-21.20.04.csv', 'muse-csv'],
  ];
  for (const [path, format] of cases) {
    it(`${path} → ${format}`, async () => {
      const rec = await readRecording(sharedBytes(path), path.split('/').pop()!);
      expect(rec.meta.sourceFormat).toBe(format);
      expect(rec.streams.length).toBeGreaterThan(0);
    });
  }
  it('detects by magic even with a misleading extension', () => {
    expect(detectFormat(sharedBytes('data/edf/S001R04.edf'), 'x.csv')).toBe('edf');
    expect(detectFormat(sharedBytes('data/xdf/xdfmodules_minimal.xdf'), 'x.edf')).toBe('xdf');
  });
});

describe('writeRecordingFiles', () => {
  const rec: RecordingData = {
    meta: { sourceFormat: 'neurotab', startTimeMs: Date.UTC(2025, 0, 1) },
    streams: [{ descriptor: { id: 'eeg', name: 'eeg', kind: 'eeg', sampleRateHz: 100, channels: [{ label: 'Cz', unit: 'uV', type: 'EEG' }] }, samples: Float32Array.from({ length: 200 }, (_, i) => Math.sin(i)), timestampsMs: regularTimestamps(Date.UTC(2025, 0, 1), 200, 100) }],
    markers: [{ timestampMs: Date.UTC(2025, 0, 1) + 500, value: 'go' }],
  };
  it('chooses the writer by extension and reads back the same markers', async () => {
    for (const name of ['out.edf', 'out.bdf', 'out.csv']) {
      const files = await writeRecordingFiles(rec, name);
      expect(files[0].fileName).toBe(name);
      const back = await readRecording(files[0].bytes, name);
      expect(back.streams[0].timestampsMs.length).toBe(200);
      if (name !== 'out.csv') expect(back.markers.map((m) => m.value)).toEqual(['go']);
      else expect(files.map((f) => f.fileName)).toEqual(['out.csv', 'out.markers.csv']);
    }
  });
  it('names unsupported outputs and inputs clearly', async () => {
    await expect(writeRecordingFiles(rec, 'out.xdf')).rejects.toThrow(/out\.xdf: cannot write "\.xdf"; writable: \.edf, \.bdf, \.snirf, \.csv, \.zip/);
    await expect(readRecording(new Uint8Array([1, 2, 3]), 'thing.bin')).rejects.toBeInstanceOf(InputError);
    expect(SUPPORTED_FORMATS.filter((f) => f.read).length).toBeGreaterThanOrEqual(7);
  });
});
