// EEGLAB datasets (.set, with the samples inside or in a companion .fdt) → RecordingData, from both
// the MAT level-5 variant (mat.ts) and the MATLAB v7.3 / HDF5 variant (mat-v73.ts, h5wasm). Async;
// runs anywhere. Reads follow MNE's read_raw_eeglab / read_epochs_eeglab (MNE 1.3), the peer the
// tests compare with. Never trusts a size: data lengths are checked against nbchan × pnts × trials.
//
// What is read:
//   the EEG struct: either one variable `EEG`, or its fields as top-level variables (pop_saveset).
//   data: nbchan × pnts[ × trials] (single or double) inside the file, or a char naming the .fdt
//     (float32 little-endian, the channels of one sample together — frame-major as we store it),
//     asked for through `companion`; MNE also tries <set name>.fdt when the named file is missing.
//   one 'eeg' stream: rate srate; channel labels, types (chanlocs.type upper-cased, empty → EEG)
//     and units µV (EEGLAB keeps microvolts; MNE scales by 1e-6 to volts); frame f at f / srate s.
//   positions when chanlocs has X/Y/Z: EEGLAB's axes (X nose, Y left, Z up) in millimetres become
//     MNE's head frame in metres, (−Y, X, Z) / 1000 (MNE's montage_units default "mm"); a channel
//     without numbers there is NaN.
//   markers from EEG.event: type (numbers as their shortest decimal) at (latency − 1) / srate
//     (latency counts samples from 1, may be fractional), duration / srate when positive.
//   epochs (trials > 1): kept, joined end to end, described by RecordingData.epochs (tmin = xmin,
//     labels from EEG.epoch.eventtype, several joined with "/" as MNE names them).
//   meta: setname, subject, session, condition, group, ref, comments.
import { InputError } from '../core/errors';
import type { ChannelInfo, MarkerEvent } from '../core/stream';
import { baseName } from './bytes';
import { matNumbers, matStrings, readMat, type MatValue } from './mat';
import { isMatV73, readMatV73 } from './mat-v73';
import type { RecordingData, RecordingEpochs } from './recording';

/** Another file of the dataset (the .fdt) by base name; undefined when it was not given. */
export type CompanionReader = (fileName: string) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

export interface EeglabOptions {
  companion?: CompanionReader;
}

type Fields = Record<string, MatValue>;

/** Read an EEGLAB .set (and its .fdt through `options.companion`). */
export async function readEeglab(bytes: Uint8Array, fileName = 'data.set', options: EeglabOptions = {}): Promise<RecordingData> {
  const vars = isMatV73(bytes) ? await readMatV73(bytes, fileName) : readMat(bytes, fileName).variables;
  const eeg = eegFields(vars, fileName);
  const R = new FieldReader(eeg, fileName);
  const nbchan = R.int('nbchan');
  const pnts = R.int('pnts');
  const trials = R.optional('trials') ? R.int('trials') : 1;
  const srate = R.num('srate');
  if (!(srate > 0)) R.fail('srate', `must be a positive rate in Hz, got ${srate}`);
  if (nbchan < 1 || pnts < 1 || trials < 1) R.fail('nbchan', `nbchan ${nbchan}, pnts ${pnts} and trials ${trials} must all be at least 1`);
  const frames = pnts * trials;
  const samples = await readData(R, eeg, nbchan, frames, fileName, options);
  const { channels, positions } = readChannels(R, eeg, nbchan);
  const timestampsMs = new Float64Array(frames);
  for (let f = 0; f < frames; f++) timestampsMs[f] = (f * 1000) / srate;
  const markers = readEvents(R, eeg, srate);
  const setname = R.text('setname') ?? '';
  const extra: Record<string, string> = {};
  for (const k of ['setname', 'condition', 'group', 'ref', 'comments']) {
    const v = R.text(k);
    if (v) extra[k] = v;
  }
  const session = R.optional('session') ? (R.text('session') ?? String(R.num('session'))) : undefined;
  const subject = R.text('subject');
  const data: RecordingData = {
    meta: {
      sourceFormat: 'eeglab',
      ...(subject ? { subject } : {}),
      ...(session ? { session } : {}),
      ...(extra.comments ? { notes: extra.comments } : {}),
      extra,
    },
    streams: [
      {
        descriptor: { id: 'eeglab', name: setname || 'EEG', kind: 'eeg', sampleRateHz: srate, channels },
        samples,
        timestampsMs,
        ...(positions ? { channelPositionsM: positions } : {}),
      },
    ],
    markers,
  };
  if (trials > 1) data.epochs = readEpochs(R, eeg, trials, pnts);
  return data;
}

/** The EEG struct's fields: variable EEG, or the top-level variables themselves. */
function eegFields(vars: Record<string, MatValue>, fileName: string): Fields {
  if (vars.ALLEEG) throw new InputError('this file holds an ALLEEG array (several datasets); save each dataset on its own in EEGLAB (pop_saveset)', fileName);
  const eeg = vars.EEG;
  if (eeg) {
    if (eeg.kind !== 'struct' || eeg.elements.length !== 1) throw new InputError('variable EEG is not a 1×1 struct: not an EEGLAB dataset', fileName);
    return eeg.elements[0];
  }
  if (vars.nbchan && vars.srate && vars.data) return vars;
  throw new InputError('not an EEGLAB dataset: neither an EEG struct nor its fields (nbchan, srate, data) are in the file', fileName);
}

class FieldReader {
  constructor(
    readonly eeg: Fields,
    readonly fileName: string,
  ) {}
  fail(field: string, msg: string): never {
    throw new InputError(`EEG.${field} ${msg}`, this.fileName);
  }
  optional(field: string): MatValue | undefined {
    const v = this.eeg[field];
    return v && !(v.kind !== 'opaque' && v.dims.some((d) => d === 0)) ? v : undefined;
  }
  num(field: string): number {
    const v = this.eeg[field];
    if (!v) this.fail(field, 'is missing');
    if (v.kind !== 'numeric' && v.kind !== 'logical') this.fail(field, `must be a number, found a ${v.kind} array`);
    const n = matNumbers(v);
    if (n.length !== 1) this.fail(field, `must be one number, found ${n.length}`);
    return n[0];
  }
  int(field: string): number {
    const n = this.num(field);
    if (!Number.isInteger(n)) this.fail(field, `must be a whole number, got ${n}`);
    return n;
  }
  text(field: string): string | undefined {
    const v = this.eeg[field];
    return v?.kind === 'char' ? matStrings(v).join('\n') : undefined;
  }
}

/** A struct array's records (a 1×1 struct gives one; [] gives none). */
function records(v: MatValue | undefined): Record<string, MatValue>[] {
  if (!v || v.kind !== 'struct') return [];
  return v.elements;
}

/** A cell or scalar as a string: char text, a number's shortest decimal, cells joined by "/". */
function asText(v: MatValue | undefined): string {
  if (!v) return '';
  if (v.kind === 'char') return matStrings(v).join('');
  if (v.kind === 'numeric' || v.kind === 'logical') return Array.from(matNumbers(v), (x) => String(x)).join('/');
  if (v.kind === 'cell') return v.cells.map(asText).join('/');
  return '';
}

/** One number, or undefined for an empty array or another type. */
function asNumber(v: MatValue | undefined): number | undefined {
  if (!v || (v.kind !== 'numeric' && v.kind !== 'logical')) return undefined;
  const n = matNumbers(v);
  return n.length === 1 ? n[0] : undefined;
}

async function readData(R: FieldReader, eeg: Fields, nbchan: number, frames: number, fileName: string, options: EeglabOptions): Promise<Float32Array> {
  const data = eeg.data;
  if (!data) R.fail('data', 'is missing');
  const expected = nbchan * frames;
  if (data.kind === 'char') {
    const named = baseName(matStrings(data).join(''));
    if (/\.dat$/i.test(named))
      throw new InputError(`EEG.data names "${named}", the old transposed .dat format; open the set in EEGLAB and save it again (it writes a .fdt)`, fileName);
    if (!/\.fdt$/i.test(named)) throw new InputError(`EEG.data names "${named}", expected a .fdt file`, fileName);
    const fallback = baseName(fileName).replace(/\.set$/i, '') + '.fdt';
    const fdt = (await options.companion?.(named)) ?? (fallback !== named ? await options.companion?.(fallback) : undefined);
    if (!fdt)
      throw new InputError(
        `the samples are in "${named}", which was not given: import the .set together with its .fdt (select both files; from the command line keep them in the same folder)`,
        fileName,
      );
    if (fdt.length !== expected * 4)
      throw new InputError(`"${named}" holds ${fdt.length} bytes, but ${nbchan} channels × ${frames} samples of float32 need ${expected * 4}: the .fdt belongs to another set or is truncated`, fileName);
    const copy = fdt.slice();
    const out = new Float32Array(copy.buffer, 0, expected);
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
      const dv = new DataView(copy.buffer);
      for (let i = 0; i < expected; i++) out[i] = dv.getFloat32(4 * i, true);
    }
    return out;
  }
  if (data.kind !== 'numeric') R.fail('data', `must hold the samples or name a .fdt file, found a ${data.kind} array`);
  if (data.imag) R.fail('data', 'is complex; EEG samples are real');
  const [c] = data.dims;
  const n = data.real.length;
  if (n !== expected || (c !== nbchan && !(nbchan === 1 && data.dims.includes(frames))))
    R.fail('data', `is ${data.dims.join('×')}, but nbchan × pnts × trials is ${nbchan} × ${frames}: the set is inconsistent (truncated or edited by hand)`);
  // Column-major nbchan × samples: the channels of one sample are adjacent — already frame-major.
  return data.real instanceof Float32Array ? data.real : Float32Array.from(matNumbers(data));
}

function readChannels(R: FieldReader, eeg: Fields, nbchan: number): { channels: ChannelInfo[]; positions?: Float64Array } {
  const locs = records(eeg.chanlocs);
  if (locs.length === 0) {
    // MNE's names for a set without chanlocs.
    return { channels: Array.from({ length: nbchan }, (_, i) => ({ label: `EEG ${String(i + 1).padStart(3, '0')}`, unit: 'uV', type: 'EEG' })) };
  }
  if (locs.length !== nbchan) R.fail('chanlocs', `describes ${locs.length} channels, but nbchan is ${nbchan}`);
  const channels = locs.map((l, i) => ({ label: asText(l.labels) || `EEG ${String(i + 1).padStart(3, '0')}`, unit: 'uV', type: asText(l.type).trim().toUpperCase() || 'EEG' }));
  const hasXyz = locs.some((l) => ['X', 'Y', 'Z'].every((k) => asNumber(l[k]) !== undefined));
  if (!hasXyz) return { channels };
  const positions = new Float64Array(3 * nbchan).fill(NaN);
  const MM = 1 / 1000;
  locs.forEach((l, i) => {
    const [x, y, z] = ['X', 'Y', 'Z'].map((k) => asNumber(l[k]));
    if (x === undefined || y === undefined || z === undefined) return;
    positions[3 * i] = -y * MM;
    positions[3 * i + 1] = x * MM;
    positions[3 * i + 2] = z * MM;
  });
  return { channels, positions };
}

function readEvents(R: FieldReader, eeg: Fields, srate: number): MarkerEvent[] {
  const markers: MarkerEvent[] = [];
  records(eeg.event).forEach((e, i) => {
    const latency = asNumber(e.latency);
    if (latency === undefined || !Number.isFinite(latency)) R.fail(`event(${i + 1}).latency`, 'must be a number of samples (from 1)');
    const m: MarkerEvent = { timestampMs: ((latency - 1) / srate) * 1000, value: asText(e.type) };
    const duration = asNumber(e.duration);
    if (duration !== undefined && duration > 0) m.durationMs = (duration / srate) * 1000;
    markers.push(m);
  });
  // Stable: events at the same time keep the file's order.
  return markers.map((m, i) => [m, i] as const).sort((a, b) => a[0].timestampMs - b[0].timestampMs || a[1] - b[1]).map(([m]) => m);
}

function readEpochs(R: FieldReader, eeg: Fields, trials: number, pnts: number): RecordingEpochs {
  const xmin = R.optional('xmin') ? R.num('xmin') : 0;
  const epochs = records(eeg.epoch);
  if (epochs.length !== 0 && epochs.length !== trials) R.fail('epoch', `describes ${epochs.length} epochs, but trials is ${trials}`);
  return {
    count: trials,
    framesPerEpoch: pnts,
    tminMs: xmin * 1000,
    labels: epochs.length ? epochs.map((e) => asText(e.eventtype)) : new Array<string>(trials).fill(''),
  };
}
