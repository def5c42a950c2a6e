// `neurotab decode`: decodes a raw device capture into CSV files of samples, one per stream.
// Node only. Serial devices read raw bytes; BLE devices read the OpenMuse text capture format
// (`<ISO timestamp>\t<characteristic UUID>\t<hex payload>` per notification). The decoding itself
// is the pure library code in src/lib/devices; this file parses arguments and writes files.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { InputError, errorMessage } from '../../src/lib/core/errors.ts';
import type { DeviceDescriptor, DeviceId } from '../../src/lib/devices/descriptor.ts';
import type { DecodedBlock, DeviceDecoder } from '../../src/lib/devices/drivers/decoder.ts';
import { createDecoder, DEVICE_DESCRIPTORS, deviceDescriptor, type DecoderOptions } from '../../src/lib/devices/drivers/registry.ts';
import { MUSE_CHARACTERISTICS } from '../../src/lib/devices/drivers/muse-2/descriptor.ts';
import { BlockStamper } from '../../src/lib/devices/timing/block-stamper.ts';

const MUSE_AUX = MUSE_CHARACTERISTICS.eeg_aux;

export const summary = 'decode a raw device capture to CSV: --device <id> --in <capture> --out <samples.csv> [--firmware 2|3] [--aux]';

const USAGE = `usage: npm run neurotab -- decode --device <id> --in <capture> --out <samples.csv> [options]

  --device <id>      ${DEVICE_DESCRIPTORS.map((d) => d.id).join(', ')}
  --in <file>        serial devices: the raw byte stream; BLE devices: one notification per line,
                     "<ISO timestamp>\\t<characteristic UUID>\\t<hex payload>" (OpenMuse format)
  --out <file.csv>   output; devices with several streams write <name>.<stream>.csv per stream
  --firmware 2|3     Ganglion firmware generation (default 3)
  --aux              Muse 2 / Muse S: five EEG channels (presets p20/p50) instead of four
                     (chosen automatically when the capture has right-AUX notifications)
  --gain-commands S  Cyton/Daisy: channel-setting commands sent before the capture (e.g. x1040110X)

Columns: timestamp_ms,sample_index,<channel labels>. Serial captures carry no arrival times, so
timestamps are sample_index / rate from 0 (or the device's own clock when it sends one); BLE
captures are stamped from the notification times, dejittered. Gaps found from the device's
counters are written to <name>.gaps.csv as marker events.`;

export interface DecodeArgs {
  device: DeviceId;
  inPath: string;
  outPath: string;
  options: DecoderOptions;
}

export function parseDecodeArgs(argv: string[]): DecodeArgs {
  let device: string | undefined;
  let inPath: string | undefined;
  let outPath: string | undefined;
  const options: DecoderOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new InputError(`${a} needs a value`);
      return v;
    };
    if (a === '--device') device = value();
    else if (a === '--in') inPath = value();
    else if (a === '--out') outPath = value();
    else if (a === '--firmware') {
      const f = value();
      if (f !== '2' && f !== '3') throw new InputError(`--firmware must be 2 or 3, got "${f}"`);
      options.ganglionFirmware = f === '2' ? 2 : 3;
    } else if (a === '--aux') options.museEegChannels = 5;
    else if (a === '--gain-commands') (options.commandsSent ??= []).push(value());
    else throw new InputError(`unknown option "${a}"`);
  }
  if (!device || !inPath || !outPath) throw new InputError('--device, --in and --out are all required');
  if (!deviceDescriptor(device)) throw new InputError(`unknown device "${device}"; known devices: ${DEVICE_DESCRIPTORS.map((d) => d.id).join(', ')}`);
  return { device: device as DeviceId, inPath, outPath, options };
}

/** One parsed line of a BLE capture. */
export interface Notification {
  arrivalMs: number;
  uuid: string;
  payload: Uint8Array;
}

const ISO_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$/;

/** ISO 8601 with sub-millisecond fraction → epoch ms (Date.parse keeps only milliseconds). */
export function parseIsoMs(text: string): number {
  const m = ISO_RE.exec(text);
  if (!m) return NaN;
  const whole = Date.parse(`${m[1]}${m[3] ?? 'Z'}`);
  const frac = m[2] ? Number(`0${m[2]}`) * 1000 : 0;
  return whole + frac;
}

/** Parse a text capture; throws InputError naming the first bad line. */
export function parseNotificationCapture(text: string, file: string): Notification[] {
  const out: Notification[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split('\t');
    const where = `${file}:${i + 1}`;
    if (parts.length !== 3) throw new InputError(`expected "<ISO timestamp>\\t<characteristic UUID>\\t<hex payload>", found ${parts.length} tab-separated fields`, where);
    const arrivalMs = parseIsoMs(parts[0]);
    if (!Number.isFinite(arrivalMs)) throw new InputError(`"${parts[0].slice(0, 40)}" is not an ISO 8601 timestamp`, where);
    const hex = parts[2].trim();
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new InputError('payload is not an even-length hex string', where);
    const payload = new Uint8Array(hex.length / 2);
    for (let k = 0; k < payload.length; k++) payload[k] = parseInt(hex.substr(2 * k, 2), 16);
    out.push({ arrivalMs, uuid: parts[1].trim(), payload });
  }
  return out;
}

interface StreamOut {
  streamId: string;
  labels: string[];
  rows: string[];
  frames: number;
}

export interface DecodeResult {
  files: string[];
  framesByStream: Record<string, number>;
  counters: DeviceDecoder['counters'];
  gaps: number;
}

function labelsOf(d: DeviceDescriptor, dec: DeviceDecoder, streamId: string, channelCount: number): string[] {
  const custom = dec.labelsFor?.(streamId, channelCount);
  if (custom && custom.length === channelCount) return custom;
  const s = d.streams.find((x) => x.id === streamId);
  const base = s ? s.channels.map((c) => c.label) : [];
  const out = base.slice(0, channelCount);
  for (let c = out.length; c < channelCount; c++) out.push(`ch${c + 1}`);
  return out;
}

function fmt(v: number): string {
  return Number.isNaN(v) ? 'NaN' : String(v);
}

/** Decode a capture file and write the CSV files; returns what was written. */
export function decodeCaptureFile(args: DecodeArgs): DecodeResult {
  const d = deviceDescriptor(args.device) as DeviceDescriptor;
  let size: number;
  try {
    size = statSync(args.inPath).size;
  } catch (e) {
    throw new InputError(`cannot read the capture: ${errorMessage(e)}`, args.inPath);
  }
  if (size === 0) throw new InputError('the capture is empty', args.inPath);
  const raw = readFileSync(args.inPath);
  const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  const serialDevice = d.transports.includes('serial');
  // HEGduino speaks both; a text capture of notifications starts with an ISO timestamp.
  const looksLikeCapture = /^\d{4}-\d\d-\d\dT[^\t\n]*\t/.test(new TextDecoder().decode(bytes.subarray(0, 64)));
  const notifications = !serialDevice || (args.device === 'hegduino' && looksLikeCapture);
  const options = { ...args.options, hegInput: notifications ? ('notifications' as const) : ('bytes' as const) };
  const list = notifications ? parseNotificationCapture(new TextDecoder().decode(bytes), args.inPath) : [];
  // Muse classic: a capture with right-AUX notifications (presets p20/p50) has five EEG channels.
  if ((args.device === 'muse-2' || args.device === 'muse-s') && options.museEegChannels === undefined && list.some((n) => n.uuid.toLowerCase() === MUSE_AUX)) {
    options.museEegChannels = 5;
  }
  const dec = createDecoder(args.device, options);

  const streams = new Map<string, StreamOut>();
  const gapEvents: string[] = [];
  const stamper = new BlockStamper((id) => d.streams.find((x) => x.id === id)?.sampleRateHz ?? 0);

  const take = (blocks: DecodedBlock[], arrivalMs: number | undefined): void => {
    for (const b of blocks) {
      let s = streams.get(b.streamId);
      if (!s) {
        s = { streamId: b.streamId, labels: labelsOf(d, dec, b.streamId, b.channelCount), rows: [], frames: 0 };
        streams.set(b.streamId, s);
      }
      // A packet type with another channel subset (e.g. 4- and 8-channel presets mixed in one
      // capture) does not fit this file's columns: skip it.
      if (b.channelCount !== s.labels.length) continue;
      const { timestampsMs: ts, gap } = stamper.stamp(b, arrivalMs);
      if (gap) gapEvents.push(`${gap.timestampMs.toFixed(3)},${gap.value},${gap.durationMs ?? ''}`);
      const n = b.channelCount;
      for (let f = 0; f < b.frames; f++) {
        let row = `${ts[f].toFixed(3)},${b.sampleIndex + f}`;
        for (let c = 0; c < n; c++) row += `,${fmt(b.samples[f * n + c])}`;
        s.rows.push(row);
      }
      s.frames += b.frames;
    }
  };

  if (notifications) {
    for (const n of list) take(dec.push(n.payload, n.uuid), n.arrivalMs);
    take(dec.flush(), list.length > 0 ? list[list.length - 1].arrivalMs : undefined);
  } else {
    for (let o = 0; o < bytes.length; o += 4096) take(dec.push(bytes.subarray(o, o + 4096)), undefined);
    take(dec.flush(), undefined);
  }

  if (streams.size === 0) {
    const c = dec.counters;
    throw new InputError(
      `no samples decoded as ${d.name} (${c.bytesDiscarded} bytes discarded, ${c.unknownPackets} unknown and ${c.malformedPackets} malformed packets). ` +
        (notifications ? 'Check that the UUIDs in the capture belong to this device.' : 'Is this a raw serial capture of this device (not a text log)?'),
      args.inPath,
    );
  }

  const ext = extname(args.outPath) || '.csv';
  const stem = join(dirname(args.outPath), basename(args.outPath, extname(args.outPath)));
  const files: string[] = [];
  const framesByStream: Record<string, number> = {};
  const several = d.streams.length > 1;
  for (const s of streams.values()) {
    const name = s.streamId.slice(s.streamId.indexOf('.') + 1);
    const file = several ? `${stem}.${name}${ext}` : args.outPath;
    writeFileSync(file, `timestamp_ms,sample_index,${s.labels.join(',')}\n${s.rows.join('\n')}\n`);
    files.push(file);
    framesByStream[s.streamId] = s.frames;
  }
  if (gapEvents.length > 0) {
    const file = `${stem}.gaps${ext}`;
    writeFileSync(file, `timestamp_ms,value,duration_ms\n${gapEvents.join('\n')}\n`);
    files.push(file);
  }
  return { files, framesByStream, counters: { ...dec.counters }, gaps: gapEvents.length };
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let args: DecodeArgs;
  try {
    args = parseDecodeArgs(argv);
  } catch (e) {
    console.error(`decode: ${errorMessage(e)}\n\n${USAGE}`);
    return 2;
  }
  try {
    const r = decodeCaptureFile(args);
    for (const [id, n] of Object.entries(r.framesByStream)) console.log(`${id}: ${n} frames`);
    const c = r.counters;
    console.log(
      `packets ${c.packets}, gaps ${c.gaps} (${c.lostFrames} frames lost), resyncs ${c.resyncs}, bytes discarded ${c.bytesDiscarded}, unknown ${c.unknownPackets}, malformed ${c.malformedPackets}`,
    );
    for (const f of r.files) console.log(`wrote ${f}`);
    return 0;
  } catch (e) {
    console.error(`decode: ${errorMessage(e)}`);
    return 1;
  }
}
