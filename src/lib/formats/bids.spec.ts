import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { sharedBytes, needsShared } from '../../../tests/support/shared';
import { bidsLabel, writeBids } from './bids';
import { readEdf } from './edf';
import { readSnirf } from './snirf';

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const rows = (b: Uint8Array) => text(b).trim().split('\n').map((l) => l.split('\t'));

describe('BIDS export', needsShared, () => {
  it('EEG-BIDS from EEGMMIDB S001R04: EDF + eeg.json + channels.tsv + events.tsv', async () => {
    const rec = readEdf(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf');
    const { bytes, paths } = await writeBids(rec, { subject: 'S001', task: 'MI left/right', run: 4, powerLineFrequencyHz: 60 });
    const files = unzipSync(bytes);
    const stem = 'sub-S001/eeg/sub-S001_task-MIleftright_run-4';
    expect(Object.keys(files).sort()).toEqual(paths);
    expect(paths).toEqual(
      ['README', 'dataset_description.json', 'participants.tsv', `${stem}_channels.tsv`, `${stem}_eeg.edf`, `${stem}_eeg.json`, `${stem}_events.tsv`].sort(),
    );
    const desc = JSON.parse(text(files['dataset_description.json']));
    expect(desc.BIDSVersion).toBe('1.9.0');
    expect(desc.DatasetType).toBe('raw');
    const sidecar = JSON.parse(text(files[`${stem}_eeg.json`]));
    expect(sidecar).toMatchObject({ TaskName: 'MIleftright', SamplingFrequency: 160, EEGChannelCount: 64, PowerLineFrequency: 60, RecordingDuration: 125 });
    const ch = rows(files[`${stem}_channels.tsv`]);
    expect(ch[0]).toEqual(['name', 'type', 'units', 'sampling_frequency', 'low_cutoff', 'high_cutoff', 'status']);
    expect(ch).toHaveLength(65);
    expect(ch[9]).toEqual(['C3..', 'EEG', 'uV', '160', 'n/a', 'n/a', 'good']);
    const ev = rows(files[`${stem}_events.tsv`]);
    expect(ev[0]).toEqual(['onset', 'duration', 'trial_type']);
    expect(ev).toHaveLength(31);
    expect(ev[1]).toEqual(['0', '4.2', 'T0']);
    expect(ev[2]).toEqual(['4.2', '4.1', 'T2']);
    const edf = readEdf(files[`${stem}_eeg.edf`], 'inner.edf');
    expect(edf.streams[0].descriptor.channels).toHaveLength(64);
    expect(edf.markers).toHaveLength(30);
    expect(edf.meta.startTimeMs).toBe(rec.meta.startTimeMs);
  });

  it('NIRS-BIDS from Simple_Probe: SNIRF + nirs.json + channels/optodes/events', async () => {
    const rec = await readSnirf(sharedBytes('data/snirf/Simple_Probe.snirf'), 'Simple_Probe.snirf');
    const { bytes } = await writeBids(rec, { subject: 'p-1', session: 'a', task: 'probe' });
    const files = unzipSync(bytes);
    const stem = 'sub-p1/ses-a/nirs/sub-p1_ses-a_task-probe';
    const back = await readSnirf(files[`${stem}_nirs.snirf`], 'inner.snirf');
    expect(back.streams[0].descriptor.channels.map((c) => c.label)).toEqual(rec.streams[0].descriptor.channels.map((c) => c.label));
    const sidecar = JSON.parse(text(files[`${stem}_nirs.json`]));
    expect(sidecar).toMatchObject({ TaskName: 'probe', SamplingFrequency: 10, NIRSChannelCount: 8, NIRSSourceOptodeCount: 1, NIRSDetectorOptodeCount: 4 });
    const ch = rows(files[`${stem}_channels.tsv`]);
    expect(ch[1]).toEqual(['S1_D1 690', 'NIRSCWAMPLITUDE', 'S1', 'D1', '690', 'a.u.', '10', 'good']);
    expect(ch).toHaveLength(1 + 8 + 1); // + aux1
    const opt = rows(files[`${stem}_optodes.tsv`]);
    expect(opt.map((r) => r[0])).toEqual(['name', 'S1', 'D1', 'D2', 'D3', 'D4']);
    expect(opt[1]).toEqual(['S1', 'source', '0.02', '0.02', '0']);
    const ev = rows(files[`${stem}_events.tsv`]);
    expect(ev).toHaveLength(1 + 4);
    // Onsets relative to the first sample (file time 0.1 s): stim3 at 23.7 s → 23.6 s.
    expect(ev[1]).toEqual(['23.6', '5', '3']);
  });
});

describe('bidsLabel', () => {
  it('keeps only letters and digits', () => {
    expect(bidsLabel('sub_01-a', 'x')).toBe('sub01a');
    expect(bidsLabel('__', 'x')).toBe('x');
  });
});
