// Entry point of the file formats: pick a reader by content (magic bytes) then extension, a writer by
// extension; list what is supported. Async (SNIRF/BIDS/EEGLAB v7.3 need h5wasm). Runs anywhere; no
// I/O of its own (callers pass bytes and get bytes, and the other files of a dataset through
// ReadOptions.companion).
import { InputError } from '../core/errors';
import { extensionOf, latin1 } from './bytes';
import { readCsv, writeCsv, type CsvReadOptions } from './csv';
import { readEdf, writeEdf } from './edf';
import { writeBids, type BidsOptions } from './bids';
import { readEeglab, type CompanionReader } from './eeglab';
import type { FormatId, RecordingData } from './recording';
import { readSnirf, writeSnirf } from './snirf';
import { readXdf } from './xdf';

export type { RecordingData, RecordingMeta, RecordingStream, NirsProbe, FormatId } from './recording';

export interface FormatInfo {
  id: FormatId;
  name: string;
  extensions: string[];
  read: boolean;
  write: boolean;
  notes: string;
}

export const SUPPORTED_FORMATS: readonly FormatInfo[] = [
  { id: 'edf', name: 'EDF / EDF+', extensions: ['edf'], read: true, write: true, notes: '16-bit; EDF+C/D, TAL annotations, mixed rates; writes EDF+ with annotations' },
  { id: 'bdf', name: 'BDF / BDF+ (BioSemi)', extensions: ['bdf'], read: true, write: true, notes: '24-bit; Status channel → trigger markers; writes BDF+' },
  { id: 'xdf', name: 'XDF (LabRecorder)', extensions: ['xdf'], read: true, write: false, notes: 'all streams; clock sync + dejitter as pyxdf; string streams → markers' },
  { id: 'snirf', name: 'SNIRF (fNIRS, HDF5)', extensions: ['snirf'], read: true, write: true, notes: 'CW amplitude, stims, aux, probe; writes SNIRF 1.1' },
  { id: 'openbci', name: 'OpenBCI GUI text', extensions: ['txt', 'csv'], read: true, write: false, notes: 'GUI v5/v6 "%" header files' },
  { id: 'brainflow', name: 'BrainFlow raw CSV', extensions: ['csv', 'tsv'], read: true, write: false, notes: 'tab-separated; Cyton, Ganglion, Synthetic layouts' },
  { id: 'muse-csv', name: 'muse-lsl CSV', extensions: ['csv'], read: true, write: false, notes: 'timestamps,TP9,…,Marker' },
  { id: 'csv', name: 'Neurotab CSV', extensions: ['csv'], read: true, write: true, notes: 'timestamp_ms,<labels> + <name>.markers.csv' },
  { id: 'eeglab', name: 'EEGLAB dataset', extensions: ['set'], read: true, write: false, notes: 'MAT v5 or v7.3 (HDF5); samples inside or in the .fdt beside it; chanlocs positions, events; epochs kept' },
  { id: 'bids', name: 'BIDS (zip)', extensions: ['zip'], read: false, write: true, notes: 'EEG-BIDS (EDF) or NIRS-BIDS (SNIRF) with sidecars' },
];

export interface ReadOptions {
  csv?: CsvReadOptions;
  /** The dataset's other files by base name (an EEGLAB set's .fdt); undefined when not given. */
  companion?: CompanionReader;
}

/** The format the bytes hold, by magic bytes first, then by the file name's extension. */
export function detectFormat(bytes: Uint8Array, fileName: string): FormatId | 'hdf5' | 'zip' | null {
  const ext = extensionOf(fileName);
  if (bytes.length >= 4 && latin1(bytes, 0, 4) === 'XDF:') return 'xdf';
  // A .set is a MAT file (level 5, or v7.3 = HDF5 after a 512-byte header): no magic of its own.
  if (ext === 'set') return 'eeglab';
  if (bytes.length >= 8 && bytes[0] === 0x89 && latin1(bytes, 1, 3) === 'HDF') return 'snirf';
  if (bytes.length >= 8 && bytes[0] === 0xff && latin1(bytes, 1, 7) === 'BIOSEMI') return 'bdf';
  if (bytes.length >= 4 && latin1(bytes, 0, 4) === 'PK\x03\x04') return 'zip';
  if (bytes.length >= 256 && latin1(bytes, 0, 8) === '0       ') {
    const reserved = latin1(bytes, 192, 5);
    return reserved === '24BIT' || reserved.startsWith('BDF') ? 'bdf' : 'edf';
  }
  if (ext === 'edf' || ext === 'rec') return 'edf';
  if (ext === 'bdf') return 'bdf';
  if (ext === 'xdf') return 'xdf';
  if (ext === 'snirf' || ext === 'h5') return 'snirf';
  if (ext === 'csv' || ext === 'txt' || ext === 'tsv') return 'csv';
  return null;
}

const listSupported = () =>
  SUPPORTED_FORMATS.filter((f) => f.read)
    .flatMap((f) => f.extensions.map((e) => `.${e}`))
    .filter((e, i, a) => a.indexOf(e) === i)
    .join(', ');

/** Read any supported recording. */
export async function readRecording(bytes: Uint8Array, fileName: string, options: ReadOptions = {}): Promise<RecordingData> {
  const f = detectFormat(bytes, fileName);
  switch (f) {
    case 'edf':
    case 'bdf':
      return readEdf(bytes, fileName);
    case 'xdf':
      return readXdf(bytes, fileName);
    case 'snirf':
      return readSnirf(bytes, fileName);
    case 'csv':
      return readCsv(bytes, fileName, options.csv);
    case 'eeglab':
      return readEeglab(bytes, fileName, { companion: options.companion });
    case 'zip':
      throw new InputError('zip archives (BIDS) can be written but not read; unzip and open the data file inside', fileName);
    default:
      if (extensionOf(fileName) === 'fdt') throw new InputError('an .fdt holds the samples of an EEGLAB .set; open the .set (with the .fdt beside it)', fileName);
      throw new InputError(`unknown recording format; readable: ${listSupported()}`, fileName);
  }
}

export interface OutputFile {
  fileName: string;
  bytes: Uint8Array;
}

export interface WriteOptions {
  bids?: BidsOptions;
}

/** Write a recording in the format named by the extension. CSV gives several files
 *  (`<name>.csv`, `<name>.markers.csv`, `<name>.<streamId>.csv` for further streams). */
export async function writeRecordingFiles(data: RecordingData, fileName: string, options: WriteOptions = {}): Promise<OutputFile[]> {
  const ext = extensionOf(fileName);
  if (data.epochs)
    throw new InputError(`this recording holds ${data.epochs.count} epochs; the writable formats hold continuous data, and joining the epochs would fake a continuous signal. Write the continuous recording the epochs came from`, fileName);
  switch (ext) {
    case 'edf':
    case 'bdf':
      return [{ fileName, bytes: writeEdf(data, { format: ext, fileName }) }];
    case 'snirf':
      return [{ fileName, bytes: await writeSnirf(data, fileName) }];
    case 'zip':
      return [{ fileName, bytes: (await writeBids(data, options.bids, fileName)).bytes }];
    case 'csv': {
      const stem = fileName.slice(0, -4);
      return writeCsv(data).map((f) => ({ fileName: f.suffix ? stem + f.suffix : fileName, bytes: f.bytes }));
    }
    default: {
      const writable = SUPPORTED_FORMATS.filter((f) => f.write).map((f) => `.${f.extensions[0]}`).join(', ');
      throw new InputError(`cannot write "${ext ? '.' + ext : 'no extension'}"; writable: ${writable}`, fileName);
    }
  }
}

/** Single-file convenience: the main output file's bytes (for CSV, the samples file; markers need writeRecordingFiles). */
export async function writeRecording(data: RecordingData, fileName: string, options: WriteOptions = {}): Promise<Uint8Array> {
  return (await writeRecordingFiles(data, fileName, options))[0].bytes;
}
