// BIDS export of one recording as a zip (fflate): EEG-BIDS (EDF + sidecars) or NIRS-BIDS (SNIRF +
// sidecars, optodes). Async because SNIRF goes through h5wasm. Runs anywhere; builds the whole zip in
// memory (allocates ~2× the data size).
//
// Layout (BIDS 1.9, https://bids-specification.readthedocs.io):
//   dataset_description.json, participants.tsv, README
//   sub-<s>/[ses-<x>/]eeg/sub-<s>[_ses-<x>]_task-<t>[_run-<r>]_eeg.edf | _eeg.json | _channels.tsv | _events.tsv
//   sub-<s>/[ses-<x>/]nirs/…_nirs.snirf | _nirs.json | _channels.tsv | _optodes.tsv | _events.tsv
// Event onsets are seconds from the first sample of the data file; "n/a" marks unknown values.
import { zipSync } from 'fflate';
import { InputError } from '../core/errors';
import { encodeUtf8 } from './bytes';
import { writeEdf } from './edf';
import { durationSeconds, type RecordingData } from './recording';
import { writeSnirf } from './snirf';

export interface BidsOptions {
  subject?: string;
  session?: string;
  task?: string;
  run?: number;
  /** Mains frequency for the sidecar ("n/a" when unknown). */
  powerLineFrequencyHz?: number;
  /** Dataset name in dataset_description.json. */
  datasetName?: string;
  /** 'edf' (16-bit, default) or 'bdf' (24-bit) for EEG data. */
  eegFormat?: 'edf' | 'bdf';
}

/** BIDS labels are alphanumeric. */
export function bidsLabel(s: string | undefined, fallback: string): string {
  const l = (s ?? '').replace(/[^A-Za-z0-9]/g, '');
  return l || fallback;
}

const BIDS_EEG_TYPES = new Set(['EEG', 'EOG', 'HEOG', 'VEOG', 'ECG', 'EMG', 'MISC', 'TRIG', 'RESP', 'PPG', 'GSR', 'TEMP', 'AUDIO', 'EYEGAZE', 'PUPIL', 'REF', 'SYSCLOCK']);

function bidsEegType(t: string): string {
  const u = t.toUpperCase();
  if (u === 'STIM') return 'TRIG';
  if (u === 'EKG') return 'ECG';
  return BIDS_EEG_TYPES.has(u) ? u : 'MISC';
}

function tsv(rows: (string | number)[][]): Uint8Array {
  return encodeUtf8(rows.map((r) => r.map((c) => String(c).replace(/[\t\n\r]/g, ' ')).join('\t')).join('\n') + '\n');
}

function json(o: unknown): Uint8Array {
  return encodeUtf8(JSON.stringify(o, null, 2) + '\n');
}

const num = (x: number) => Number(x.toFixed(6));

/** Build the zip. Returns the bytes and the list of paths inside. */
export async function writeBids(data: RecordingData, options: BidsOptions = {}, fileName = 'recording-bids.zip'): Promise<{ bytes: Uint8Array; paths: string[] }> {
  const nirsStream = data.streams.find((s) => s.descriptor.kind === 'fnirs');
  const modality = nirsStream ? 'nirs' : 'eeg';
  const dataStreams = data.streams.filter((s) => s.timestampsMs.length > 0);
  if (dataStreams.length === 0) throw new InputError('the recording has no samples to export', fileName);
  const sub = bidsLabel(options.subject ?? data.meta.subject, '01');
  const ses = options.session ?? data.meta.session;
  const sesLabel = ses ? bidsLabel(ses, '01') : undefined;
  const task = bidsLabel(options.task ?? data.meta.task, 'recording');
  const dir = `sub-${sub}/${sesLabel ? `ses-${sesLabel}/` : ''}${modality}`;
  const stem = `sub-${sub}${sesLabel ? `_ses-${sesLabel}` : ''}_task-${task}${options.run !== undefined ? `_run-${options.run}` : ''}`;
  const files: Record<string, Uint8Array> = {};
  const main = nirsStream ?? dataStreams[0];
  const firstSampleMs = Math.min(...dataStreams.map((s) => s.timestampsMs[0]));
  const powerLine = options.powerLineFrequencyHz ?? 'n/a';

  files['dataset_description.json'] = json({
    Name: options.datasetName ?? `Neurotab export: ${task}`,
    BIDSVersion: '1.9.0',
    DatasetType: 'raw',
    GeneratedBy: [{ Name: 'Neurotab', Description: 'BIDS export from the browser BCI lab' }],
  });
  files['participants.tsv'] = tsv([['participant_id'], [`sub-${sub}`]]);
  files['README'] = encodeUtf8(`Exported by Neurotab from a ${data.meta.sourceFormat} recording.\n`);

  // Events: onsets relative to the first sample.
  const events: (string | number)[][] = [['onset', 'duration', 'trial_type']];
  for (const m of data.markers) {
    events.push([num((m.timestampMs - firstSampleMs) / 1000), m.durationMs !== undefined ? num(m.durationMs / 1000) : 'n/a', m.value]);
  }
  files[`${dir}/${stem}_events.tsv`] = tsv(events);
  const duration = num(durationSeconds(data));

  if (modality === 'eeg') {
    const fmt = options.eegFormat ?? 'edf';
    files[`${dir}/${stem}_eeg.${fmt}`] = writeEdf({ ...data, streams: dataStreams }, { format: fmt, fileName });
    const rows: (string | number)[][] = [['name', 'type', 'units', 'sampling_frequency', 'low_cutoff', 'high_cutoff', 'status']];
    const counts: Record<string, number> = {};
    for (const s of dataStreams) {
      for (const c of s.descriptor.channels) {
        const t = bidsEegType(c.type);
        counts[t] = (counts[t] ?? 0) + 1;
        rows.push([c.label, t, c.unit || 'n/a', s.descriptor.sampleRateHz, 'n/a', 'n/a', 'good']);
      }
    }
    files[`${dir}/${stem}_channels.tsv`] = tsv(rows);
    files[`${dir}/${stem}_eeg.json`] = json({
      TaskName: task,
      SamplingFrequency: main.descriptor.sampleRateHz,
      EEGChannelCount: counts.EEG ?? 0,
      EOGChannelCount: (counts.EOG ?? 0) + (counts.HEOG ?? 0) + (counts.VEOG ?? 0),
      ECGChannelCount: counts.ECG ?? 0,
      EMGChannelCount: counts.EMG ?? 0,
      MiscChannelCount: counts.MISC ?? 0,
      TriggerChannelCount: counts.TRIG ?? 0,
      PowerLineFrequency: powerLine,
      EEGReference: 'n/a',
      SoftwareFilters: 'n/a',
      RecordingDuration: duration,
      RecordingType: 'continuous',
      ...(data.meta.device ? { ManufacturersModelName: data.meta.device } : {}),
    });
  } else {
    files[`${dir}/${stem}_nirs.snirf`] = await writeSnirf(data, fileName);
    const chans = nirsStream!.descriptor.channels;
    const rows: (string | number)[][] = [['name', 'type', 'source', 'detector', 'wavelength_nominal', 'units', 'sampling_frequency', 'status']];
    for (const c of chans) {
      const type = c.type === 'NIRS_CW_AMPLITUDE' ? 'NIRSCWAMPLITUDE' : c.type.replace(/_/g, '');
      rows.push([c.label, type, `S${c.sourceIndex}`, `D${c.detectorIndex}`, c.wavelengthNm ?? 'n/a', c.unit || 'n/a', nirsStream!.descriptor.sampleRateHz, 'good']);
    }
    for (const s of dataStreams) {
      if (s === nirsStream) continue;
      for (const c of s.descriptor.channels) rows.push([c.label, bidsEegType(c.type), 'n/a', 'n/a', 'n/a', c.unit || 'n/a', s.descriptor.sampleRateHz, 'good']);
    }
    files[`${dir}/${stem}_channels.tsv`] = tsv(rows);
    const nSrc = new Set(chans.map((c) => c.sourceIndex)).size;
    const nDet = new Set(chans.map((c) => c.detectorIndex)).size;
    const optodes: (string | number)[][] = [['name', 'type', 'x', 'y', 'z']];
    const probe = data.probe;
    const srcIds = [...new Set(chans.map((c) => c.sourceIndex!))].sort((a, b) => a - b);
    const detIds = [...new Set(chans.map((c) => c.detectorIndex!))].sort((a, b) => a - b);
    const xyz = (p?: number[]) => (p ? p.map((v) => num(v)) : ['n/a', 'n/a', 'n/a']);
    for (const i of srcIds) optodes.push([`S${i}`, 'source', ...xyz(probe?.sourcePositionsM[i - 1])]);
    for (const i of detIds) optodes.push([`D${i}`, 'detector', ...xyz(probe?.detectorPositionsM[i - 1])]);
    files[`${dir}/${stem}_optodes.tsv`] = tsv(optodes);
    files[`${dir}/${stem}_nirs.json`] = json({
      TaskName: task,
      SamplingFrequency: nirsStream!.descriptor.sampleRateHz,
      NIRSChannelCount: chans.length,
      NIRSSourceOptodeCount: nSrc,
      NIRSDetectorOptodeCount: nDet,
      PowerLineFrequency: powerLine,
      SoftwareFilters: 'n/a',
      RecordingDuration: duration,
      RecordingType: 'continuous',
      ...(data.meta.device ? { ManufacturersModelName: data.meta.device } : {}),
    });
    if (probe) files[`${dir}/${stem}_coordsystem.json`] = json({ NIRSCoordinateSystem: 'Other', NIRSCoordinateUnits: 'm', NIRSCoordinateSystemDescription: 'Probe coordinates from the source file' });
  }
  const paths = Object.keys(files).sort();
  // Data files (EDF/SNIRF) compress poorly and are large: fastest deflate level for them.
  const entries: Record<string, Uint8Array | [Uint8Array, { level: 0 | 1 | 6 }]> = {};
  for (const [p, b] of Object.entries(files)) entries[p] = /\.(edf|bdf|snirf)$/.test(p) ? [b, { level: 1 }] : b;
  return { bytes: zipSync(entries, { level: 6 }), paths };
}
