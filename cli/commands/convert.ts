// `neurotab convert <in> <out>`: convert a recording between formats, chosen by extension
// (.edf .bdf .snirf .csv .zip=BIDS; inputs also .xdf .txt and text layouts). CSV output also writes
// `<out stem>.markers.csv` (and `<stem>.<stream>.csv` for extra streams). Node only; refuses to
// overwrite unless --force.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { errorMessage } from '../../src/lib/core/errors';
import { writeRecordingFiles } from '../../src/lib/formats/index';
import { loadRecordingFile } from './info';

export const summary = 'convert a recording by extension: <in> <out> (.edf .bdf .snirf .csv .zip=BIDS) [--force] [--subject S --task T --session X --run N]';

const USAGE =
  'usage: npm run neurotab -- convert <in> <out> [--force] [--board cyton|ganglion|synthetic|cyton-daisy]\n' +
  '       BIDS (.zip) options: [--subject S] [--session X] [--task T] [--run N] [--line-freq 50|60]';

export async function run(argv: string[]): Promise<number> {
  const pos: string[] = [];
  let force = false;
  let board: string | undefined;
  const bids: { subject?: string; session?: string; task?: string; run?: number; powerLineFrequencyHz?: number } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--force' || a === '-f') force = true;
      else if (a === '--board') board = value();
      else if (a === '--subject') bids.subject = value();
      else if (a === '--session') bids.session = value();
      else if (a === '--task') bids.task = value();
      else if (a === '--run') bids.run = Number(value());
      else if (a === '--line-freq') bids.powerLineFrequencyHz = Number(value());
      else if (a === '-h' || a === '--help') {
        console.log(USAGE);
        return 0;
      } else if (a.startsWith('-')) throw new Error(`unknown option "${a}"`);
      else pos.push(a);
    } catch (e) {
      console.error(`neurotab convert: ${errorMessage(e)}\n${USAGE}`);
      return 2;
    }
  }
  if (pos.length !== 2) {
    console.error(`neurotab convert: expected an input and an output file, got ${pos.length} argument(s)\n${USAGE}`);
    return 2;
  }
  const [input, output] = pos;
  try {
    const rec = await loadRecordingFile(input, board);
    const files = await writeRecordingFiles(rec, output, { bids });
    const existing = files.filter((f) => existsSync(f.fileName));
    if (existing.length && !force) {
      console.error(`neurotab convert: ${existing.map((f) => f.fileName).join(', ')} already exist(s); pass --force to overwrite`);
      return 1;
    }
    for (const f of files) {
      await writeFile(f.fileName, f.bytes);
      console.log(`wrote ${f.fileName} (${f.bytes.length.toLocaleString('en-US')} bytes)`);
    }
    const frames = rec.streams.reduce((a, s) => a + s.timestampsMs.length, 0);
    console.log(`${rec.meta.sourceFormat} → ${output}: ${rec.streams.length} stream(s), ${frames} frames, ${rec.markers.length} markers`);
    return 0;
  } catch (e) {
    console.error(`neurotab convert: ${errorMessage(e)}`);
    return 1;
  }
}
