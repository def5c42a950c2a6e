// `neurotab lsl list | record`: the Lab Streaming Layer without an app tab. `list` prints the streams
// that answer on the network (as liblsl's GetAllStreams); `record` writes streams to an XDF file as
// LabRecorder does (stream headers from the fullinfo, samples as they arrive, clock offsets every
// 5 s, a boundary every 10 s, footers on stop). Node only; argument parsing and output here, the
// protocol in cli/bridge/lsl/.
import { createWriteStream } from 'node:fs';
import { InputError, errorMessage } from '../../src/lib/core/errors';
import { XdfWriter } from '../../src/lib/formats/xdf-writer';
import { textElement } from '../../src/lib/formats/xml-lite';
import { LslInlet, lslClock, quote, resolveByPredicate, resolveStreams, type SampleChunk, type StreamInfo } from '../bridge/lsl/index';
import { infoElement } from '../bridge/lsl/stream-info';

export const summary = 'Lab Streaming Layer: list the streams on the network, record them to XDF (list [--timeout S] | record <name|type> --out f.xdf [--seconds S])';

const USAGE = `usage: npm run neurotab -- lsl list [--timeout S] [--json]
       npm run neurotab -- lsl record <name|type> --out file.xdf [--seconds S] [--wait S]
  list     streams that answer within --timeout seconds (default 2)
  record   every stream whose name or type is <name|type>, until Ctrl+C or --seconds;
           waits up to --wait seconds (default 10) for the first one to answer`;

/** LabRecorder's intervals. */
const CLOCK_OFFSET_INTERVAL_S = 5;
const BOUNDARY_INTERVAL_S = 10;

const stamp = () => new Date().toISOString().slice(11, 19);
const log = (line: string) => console.error(`[${stamp()}] ${line}`);

function seconds(flag: string, raw: string | undefined, max: number): number {
  const v = Number(raw);
  if (raw === undefined || !(v > 0 && v <= max)) throw new InputError(`${flag} must be a number of seconds in (0, ${max}], got "${raw ?? ''}"`);
  return v;
}

function rate(hz: number): string {
  return hz > 0 ? `${+hz.toFixed(3)} Hz` : 'irregular';
}

/** The `lsl list` table. */
export function formatStreams(streams: StreamInfo[]): string {
  const rows = [['name', 'type', 'source id', 'channels', 'rate', 'format', 'host']];
  for (const s of [...streams].sort((a, b) => a.name.localeCompare(b.name) || a.uid.localeCompare(b.uid))) {
    rows.push([s.name, s.type, s.sourceId || '-', String(s.channelCount), rate(s.nominalSrateHz), s.channelFormat, `${s.hostname} (${s.v4address}:${s.v4dataPort})`]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((x, c) => (c === r.length - 1 ? x : x.padEnd(widths[c]))).join('  ')).join('\n');
}

async function list(argv: string[]): Promise<number> {
  let timeoutS = 2;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--timeout') timeoutS = seconds('--timeout', argv[++i], 600);
    else if (argv[i] === '--json') json = true;
    else throw new InputError(`unknown option "${argv[i]}"\n${USAGE}`);
  }
  const streams = await resolveStreams(timeoutS, { log: process.env.NEUROTAB_LSL_DEBUG ? log : undefined });
  if (json) {
    console.log(JSON.stringify(streams.map(({ desc: _desc, ...s }) => s), null, 2));
    return 0;
  }
  if (streams.length === 0) {
    console.log(`No LSL stream answered within ${timeoutS} s. Is the outlet running on this network? (Firewalls must let UDP port 16571 and TCP/UDP ports 16572–16604 through; multicast must reach this machine.)`);
    return 0;
  }
  console.log(formatStreams(streams));
  return 0;
}

async function record(argv: string[]): Promise<number> {
  let target: string | undefined;
  let out: string | undefined;
  let durationS: number | undefined;
  let waitS = 10;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') out = argv[++i];
    else if (a === '--seconds') durationS = seconds('--seconds', argv[++i], 7 * 24 * 3600);
    else if (a === '--wait') waitS = seconds('--wait', argv[++i], 3600);
    else if (a.startsWith('-')) throw new InputError(`unknown option "${a}"\n${USAGE}`);
    else if (target === undefined) target = a;
    else throw new InputError(`one stream name or type, got "${target}" and "${a}"\n${USAGE}`);
  }
  if (!target) throw new InputError(`which stream? Give its name or type (see: npm run neurotab -- lsl list)\n${USAGE}`);
  if (!out) throw new InputError(`where to? Add --out file.xdf\n${USAGE}`);
  const file = out;

  log(`waiting up to ${waitS} s for streams named or typed ${JSON.stringify(target)}…`);
  const found = await resolveByPredicate(`(name=${quote(target)} or type=${quote(target)})`, { timeoutS: waitS, minimumTimeS: 1, log });
  if (found.length === 0) {
    console.error(`neurotab lsl: no stream named or typed ${JSON.stringify(target)} answered within ${waitS} s (run: npm run neurotab -- lsl list)`);
    return 1;
  }

  const fileStream = createWriteStream(file);
  let writeError: Error | undefined;
  fileStream.on('error', (e) => {
    writeError ??= e;
    stop();
  });
  const writer = new XdfWriter((b) => fileStream.write(b), { fileHeader: [textElement('datetime', new Date().toISOString())] });
  const inlets: { inlet: LslInlet; id: number }[] = [];
  let stop = () => {};
  const stopped = new Promise<void>((r) => (stop = r));
  for (const info of found) {
    let id = -1;
    // Samples can arrive with the subscription, before the header (which needs the fullinfo) is written.
    const early: SampleChunk[] = [];
    try {
      const inlet = await LslInlet.open(info, {
        log,
        onChunk: (c) => (id < 0 ? early.push(c) : writer.writeSamples(id, c.timestampsS, c.values)),
        onEvent: (e) => {
          if (e.type === 'gap-detected') log(`${info.name}: ${e.gapS.toFixed(3)} s without samples${e.missingSamples !== undefined ? ` (≈ ${e.missingSamples} lost)` : ''} while the outlet was away`);
          else if (e.type === 'disconnected') log(`${info.name}: ${e.reason}`);
          else if (e.type === 'lost' && e.reason !== 'closed') log(`${info.name}: stopped recording it: ${e.reason}`);
        },
      });
      id = writer.addStream(infoElement(inlet.info, true));
      for (const c of early.splice(0)) writer.writeSamples(id, c.timestampsS, c.values);
      inlets.push({ inlet, id });
      log(`recording ${info.name} (${info.type}, ${info.channelCount} × ${info.channelFormat}, ${rate(info.nominalSrateHz)}) from ${info.hostname}`);
    } catch (e) {
      log(`cannot record ${info.name}: ${errorMessage(e)}`);
    }
  }
  if (inlets.length === 0) {
    fileStream.end();
    console.error('neurotab lsl: no stream could be subscribed to; nothing recorded');
    return 1;
  }

  const offsets = setInterval(() => {
    for (const { inlet, id } of inlets) {
      const c = inlet.timeCorrection;
      // LabRecorder: collection time on the outlet's clock, and the offset.
      if (c) writer.writeClockOffset(id, lslClock() - c.offsetS, c.offsetS);
    }
  }, CLOCK_OFFSET_INTERVAL_S * 1000);
  const boundaries = setInterval(() => writer.writeBoundary(), BOUNDARY_INTERVAL_S * 1000);
  const timer = durationS !== undefined ? setTimeout(stop, durationS * 1000) : undefined;
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  log(`writing ${file}; ${durationS !== undefined ? `stopping after ${durationS} s` : 'press Ctrl+C to stop'}`);
  await stopped;

  clearInterval(offsets);
  clearInterval(boundaries);
  clearTimeout(timer);
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  for (const { inlet, id } of inlets) {
    const c = inlet.timeCorrection;
    if (c) writer.writeClockOffset(id, lslClock() - c.offsetS, c.offsetS);
    inlet.close();
  }
  writer.close();
  await new Promise<void>((r) => fileStream.end(r));
  if (writeError) {
    console.error(`neurotab lsl: writing ${file} failed: ${writeError.message}; what was written before is in the file, without footers`);
    return 1;
  }
  for (const { inlet, id } of inlets) {
    const s = writer.stats(id);
    console.log(`${inlet.info.name}: ${s.sampleCount} samples${s.sampleCount ? `, ${s.firstTimestampS!.toFixed(3)}–${s.lastTimestampS!.toFixed(3)} s (LSL clock)` : ''}`);
  }
  console.log(`wrote ${file}`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === 'list') return await list(rest);
    if (sub === 'record') return await record(rest);
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      console.log(USAGE);
      return 0;
    }
    console.error(sub ? `neurotab lsl: unknown subcommand "${sub}"\n${USAGE}` : USAGE);
    return 2;
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    console.error(`neurotab lsl: ${e.message}`);
    return 2;
  }
}
