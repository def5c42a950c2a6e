import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors';
import { readEeglab } from './eeglab';
import { detectFormat, readRecording, writeRecordingFiles } from './index';
import { matChar, matDouble, matStruct, readMat, writeMat } from './mat';
import type { RecordingData } from './recording';

// Fixtures and MNE 1.3's reading of them: tests/formats/eeglab.py (committed with its output).
const dir = new URL('../../../tests/formats/eeglab/', import.meta.url);
const file = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
const f64 = (name: string) => {
  const b = file(name);
  return new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8);
};
const expected = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as {
  raw: Record<string, { sfreq: number; ch_names: string[]; ch_types: string[]; n_times: number; positions: Record<string, number[] | null>; data: string; annotations: { onset: number; duration: number; description: string }[] }>;
  epochs: Record<string, { sfreq: number; ch_names: string[]; ch_types: string[]; tmin: number; n_times: number; events: number[][]; event_id: Record<string, number>; positions: Record<string, number[] | null>; data: string }>;
};
const companion = (name: string) => {
  try {
    return file(name);
  } catch {
    return undefined;
  }
};

/** Largest |ours × 1e-6 − MNE| (EEGLAB keeps µV; MNE gives volts). */
function maxVoltError(rec: RecordingData, mne: Float64Array, order: (frame: number, ch: number) => number): number {
  const s = rec.streams[0];
  const nc = s.descriptor.channels.length;
  let worst = 0;
  for (let f = 0; f < s.timestampsMs.length; f++) for (let c = 0; c < nc; c++) worst = Math.max(worst, Math.abs(s.samples[f * nc + c] * 1e-6 - mne[order(f, c)]));
  return worst;
}

function checkChannels(rec: RecordingData, e: { sfreq: number; ch_names: string[]; ch_types: string[]; positions: Record<string, number[] | null> }) {
  const s = rec.streams[0];
  expect(s.descriptor.sampleRateHz).toBe(e.sfreq);
  expect(s.descriptor.channels.map((c) => c.label)).toEqual(e.ch_names);
  expect(s.descriptor.channels.map((c) => c.type.toLowerCase())).toEqual(e.ch_types);
  expect(new Set(s.descriptor.channels.map((c) => c.unit))).toEqual(new Set(['uV']));
  const pos = s.channelPositionsM!;
  e.ch_names.forEach((name, i) => {
    const mine = Array.from(pos.subarray(3 * i, 3 * i + 3));
    const theirs = e.positions[name];
    if (theirs) mine.forEach((v, k) => expect(v, `${name}[${k}]`).toBeCloseTo(theirs[k], 12));
    // MNE places only EEG channels on its montage; an unlocalized channel is NaN here.
    else if (name === 'ECG') expect(mine.every(Number.isNaN)).toBe(true);
  });
}

describe('readEeglab: continuous sets, against mne.io.read_raw_eeglab', () => {
  it.each([
    ['continuous-struct.set', 'continuous-struct.set'],
    ['continuous-fields.set', 'continuous-fields.set'],
    // The v7.3 (HDF5) twin holds the v5 file's values: MNE 1.3 reads v7.3 only through pymatreader.
    ['continuous-v73.set', 'continuous-struct.set'],
  ])('%s', async (name, twin) => {
    const e = expected.raw[twin];
    const rec = await readEeglab(file(name), name, { companion });
    expect(rec.meta.sourceFormat).toBe('eeglab');
    expect(rec.epochs).toBeUndefined();
    checkChannels(rec, e);
    const s = rec.streams[0];
    expect(s.timestampsMs.length).toBe(e.n_times);
    expect(s.timestampsMs[1] - s.timestampsMs[0]).toBeCloseTo(1000 / e.sfreq, 12);
    // MNE's data: channel-major; the same float32 samples scaled by 1e-6 in float64.
    expect(maxVoltError(rec, f64(e.data), (f, c) => c * e.n_times + f)).toBe(0);
    expect(rec.markers).toHaveLength(e.annotations.length);
    rec.markers.forEach((m, i) => {
      const a = e.annotations[i];
      expect(m.timestampMs / 1000).toBeCloseTo(a.onset, 12);
      expect((m.durationMs ?? 0) / 1000).toBeCloseTo(a.duration, 12);
      // A numeric event type: MNE writes Python's str(2.0) = "2.0", we write 2's shortest decimal "2".
      if (/^-?\d+(\.\d+)?$/.test(a.description)) expect(Number(m.value)).toBe(Number(a.description));
      else expect(m.value).toBe(a.description);
    });
    expect(rec.meta.subject).toBe('S01');
    expect(rec.meta.session).toBe('2');
    expect(rec.meta.extra?.condition).toBe('rest');
  });
  it('is chosen by readRecording for .set files, with the .fdt through the companion reader', async () => {
    expect(detectFormat(file('continuous-v73.set'), 'continuous-v73.set')).toBe('eeglab');
    expect(detectFormat(file('continuous-struct.set'), 'x.set')).toBe('eeglab');
    const rec = await readRecording(file('continuous-fields.set'), 'continuous-fields.set', { companion });
    expect(rec.streams[0].timestampsMs.length).toBe(500);
    await expect(readRecording(file('continuous-fields.fdt'), 'continuous-fields.fdt')).rejects.toThrow(/an \.fdt holds the samples of an EEGLAB \.set; open the \.set/);
  });
});

describe('readEeglab: epoched sets, against mne.read_epochs_eeglab', () => {
  it.each([
    ['epochs.set', 'epochs.set'],
    ['epochs-v73.set', 'epochs.set'],
  ])('%s keeps the epochs', async (name, twin) => {
    const e = expected.epochs[twin];
    const rec = await readEeglab(file(name), name);
    checkChannels(rec, e);
    const ep = rec.epochs!;
    expect(ep.count).toBe(e.events.length);
    expect(ep.framesPerEpoch).toBe(e.n_times);
    expect(ep.tminMs / 1000).toBeCloseTo(e.tmin, 12);
    const names = Object.fromEntries(Object.entries(e.event_id).map(([k, v]) => [v, k]));
    expect(ep.labels).toEqual(e.events.map((ev) => names[ev[2]]));
    // Each epoch's time-locking event (MNE: its latency, from 1) is at k·framesPerEpoch − tmin·rate, and a marker is there.
    const rate = rec.streams[0].descriptor.sampleRateHz;
    e.events.forEach(([latency], k) => {
      const frame = k * ep.framesPerEpoch - (ep.tminMs * rate) / 1000;
      expect(latency - 1).toBeCloseTo(frame, 9);
      expect(rec.markers.some((m) => Math.abs(m.timestampMs - (frame * 1000) / rate) < 1e-9)).toBe(true);
    });
    // MNE's data: epoch, channel, time; ours: epochs joined, frame-major.
    const n = e.n_times;
    const nc = e.ch_names.length;
    expect(maxVoltError(rec, f64(e.data), (f, c) => Math.floor(f / n) * nc * n + c * n + (f % n))).toBe(0);
  });
  it('is not written as a continuous file', async () => {
    const rec = await readEeglab(file('epochs.set'), 'epochs.set');
    await expect(writeRecordingFiles(rec, 'epochs.edf')).rejects.toThrow(/epochs\.edf: this recording holds 6 epochs; the writable formats hold continuous data/);
  });
});

describe('readEeglab: bad input', () => {
  it('refuses a missing .fdt, saying to import both files', async () => {
    await expect(readEeglab(file('continuous-fields.set'), 'continuous-fields.set')).rejects.toThrow(
      /continuous-fields\.set: the samples are in "continuous-fields\.fdt", which was not given: import the \.set together with its \.fdt/,
    );
  });
  it('falls back to <set name>.fdt when the named one is absent (as MNE does)', async () => {
    const rec = await readEeglab(file('continuous-fields.set'), 'renamed.set', { companion: (n) => (n === 'renamed.fdt' ? file('continuous-fields.fdt') : undefined) });
    expect(rec.streams[0].timestampsMs.length).toBe(500);
  });
  it('refuses an .fdt of the wrong size with both sizes', async () => {
    await expect(readEeglab(file('continuous-fields.set'), 'continuous-fields.set', { companion: () => file('continuous-fields.fdt').subarray(0, 9996) })).rejects.toThrow(
      /holds 9996 bytes, but 5 channels × 500 samples of float32 need 10000/,
    );
  });
  it('refuses truncated sets (MAT v5 and HDF5) with an InputError, never another exception', async () => {
    for (const name of ['continuous-struct.set', 'epochs.set', 'continuous-fields.set', 'continuous-v73.set']) {
      const full = file(name);
      for (const n of [0, 100, 127, 200, Math.floor(full.length / 2), full.length - 9]) {
        const err = await readEeglab(full.subarray(0, n), name, { companion }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, `${name} cut at ${n}`).toBeInstanceOf(InputError);
      }
    }
  });
  it('refuses inconsistent sizes and files that are not EEGLAB sets, naming the field', async () => {
    const eeg = (data: ReturnType<typeof matDouble>) =>
      writeMat({ EEG: matStruct({ nbchan: matDouble([2]), pnts: matDouble([3]), trials: matDouble([1]), srate: matDouble([100]), data }) });
    expect((await readEeglab(eeg(matDouble([1, 2, 3, 4, 5, 6], [2, 3])), 'ok.set')).streams[0].samples).toEqual(Float32Array.of(1, 2, 3, 4, 5, 6));
    await expect(readEeglab(eeg(matDouble([1, 2, 3, 4], [2, 2])), 'bad.set')).rejects.toThrow(/bad\.set: EEG\.data is 2×2, but nbchan × pnts × trials is 2 × 3/);
    await expect(readEeglab(writeMat({ x: matDouble([1]) }), 'other.set')).rejects.toThrow(/not an EEGLAB dataset/);
    await expect(readEeglab(writeMat({ EEG: matStruct({ nbchan: matDouble([2]), pnts: matDouble([3]), srate: matDouble([0]), data: matChar('x.fdt') }) }), 'r.set')).rejects.toThrow(
      /EEG\.srate must be a positive rate in Hz, got 0/,
    );
    await expect(readEeglab(writeMat({ EEG: matStruct({ nbchan: matDouble([2]), pnts: matDouble([3]), srate: matDouble([10]), data: matChar('x.dat') }) }), 'd.set')).rejects.toThrow(
      /old transposed \.dat format/,
    );
  });
  it('reads the fixtures through mat.ts as MATLAB structs (sanity of the fixture itself)', () => {
    const v = readMat(file('epochs.set')).variables;
    expect(v.chanlocs.kind === 'struct' && v.chanlocs.elements.length).toBe(5);
  });
});
