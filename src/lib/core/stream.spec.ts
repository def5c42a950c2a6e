import { describe, expect, it } from 'vitest';
import { matchStreamQuery, type StreamDescriptor } from './stream';

const d = (id: string, name: string, kind: StreamDescriptor['kind'], type: string): { descriptor: StreamDescriptor } => ({
  descriptor: { id, name, kind, sampleRateHz: 250, channels: [{ label: 'a', unit: 'uV', type }] },
});

describe('matchStreamQuery', () => {
  const streams = [d('muse-2.eeg', 'Muse EEG', 'eeg', 'EEG'), d('muse-2.ppg', 'Muse PPG', 'aux', 'PPG'), d('hegduino.nirs', 'HEG', 'fnirs', 'NIRS_CW_AMPLITUDE')];
  it('matches LSL-style type/name/id predicates and bare words, case-insensitively', () => {
    expect(matchStreamQuery(streams, "type='EEG'")?.descriptor.id).toBe('muse-2.eeg');
    expect(matchStreamQuery(streams, 'type="ppg"')?.descriptor.id).toBe('muse-2.ppg');
    expect(matchStreamQuery(streams, "type='fnirs'")?.descriptor.id).toBe('hegduino.nirs');
    expect(matchStreamQuery(streams, "name='Muse PPG'")?.descriptor.id).toBe('muse-2.ppg');
    expect(matchStreamQuery(streams, "id='hegduino.nirs'")?.descriptor.name).toBe('HEG');
    expect(matchStreamQuery(streams, 'HEG')?.descriptor.id).toBe('hegduino.nirs');
    expect(matchStreamQuery(streams, '')?.descriptor.id).toBe('muse-2.eeg');
    expect(matchStreamQuery(streams, "type='ECG'")).toBeUndefined();
    expect(matchStreamQuery([], "type='EEG'")).toBeUndefined();
  });
});
