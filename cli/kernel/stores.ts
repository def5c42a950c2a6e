// Node implementations of the Kernel stores (src/lib/kernel/model.ts, outputs.ts): job outputs in a
// directory (write to a temporary name, fsync, rename — a worker killed mid-write never leaves a
// half-written file under its real name), and the read-only study of a folder of recordings or a BIDS
// dataset with name-based ids, so every `neurotab kernel serve` / `worker` process over the same
// folder agrees on them. Node only (node:fs); recordings are read when a job needs them.
import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, statfs } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { readRecording } from '../../src/lib/formats/index';
import { nameUuid } from '../../src/lib/kernel/ids';
import { MemoryStudyStore } from '../../src/lib/kernel/memory';
import { isOutputName, type OutputStore } from '../../src/lib/kernel/outputs';

/** Outputs under `<root>/<job uid>/<file>`; or, with `flat`, every job's files directly in `root` (`neurotab kernel run`). */
export class DirOutputStore implements OutputStore {
  constructor(
    readonly root: string,
    private readonly flat = false,
  ) {}

  private dir(jobId: string): string {
    if (this.flat) return this.root;
    if (!/^[0-9a-f-]{32,36}$/.test(jobId)) throw new Error(`not a job id: ${jobId}`);
    return join(this.root, jobId);
  }

  async put(jobId: string, filename: string, bytes: Uint8Array): Promise<void> {
    if (!isOutputName(filename)) throw new Error(`not an output file name: ${JSON.stringify(filename)}`);
    const dir = this.dir(jobId);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${filename}.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(dir, filename));
  }

  async open(jobId: string, filename: string): Promise<Blob | null> {
    if (!isOutputName(filename)) return null;
    const path = join(this.dir(jobId), filename);
    try {
      if (!(await stat(path)).isFile()) return null;
      return await openAsBlob(path);
    } catch {
      return null;
    }
  }

  async clear(jobId: string): Promise<void> {
    if (this.flat) return;
    await rm(this.dir(jobId), { recursive: true, force: true });
  }

  async freeBytes(): Promise<number | null> {
    await mkdir(this.root, { recursive: true });
    const s = await statfs(this.root);
    return Number(s.bavail) * Number(s.bsize);
  }
}

const RECORDING = /\.(snirf|edf|bdf|xdf)$/i;
const SKIP_DIRS = new Set(['derivatives', 'sourcedata', 'code', 'node_modules', '.git']);

async function walk(dir: string, out: string[]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    // Links are followed (a study folder of links to recordings kept elsewhere).
    const st = e.isSymbolicLink() ? await stat(p).catch(() => null) : e;
    if (!st) continue;
    if (st.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) await walk(p, out);
    } else if (st.isFile() && RECORDING.test(e.name)) out.push(p);
  }
}

/**
 * The study of a folder: every EDF/BDF/XDF/SNIRF file under it (BIDS `derivatives/`, `sourcedata/`
 * skipped) is a dataset; the participant is the path's `sub-<label>` (else "unknown"); the experiment
 * is BIDS's `task-<label>`. Study id = name UUID of the folder's name (alias: that name).
 */
export async function folderStudy(folder: string): Promise<{ store: MemoryStudyStore; studyId: string; alias: string; datasets: number }> {
  const root = resolve(folder);
  const rootStat = await stat(root).catch(() => null);
  if (!rootStat?.isDirectory()) throw new Error(`--data ${folder} is not a folder; give a folder of recordings (EDF, BDF, XDF, SNIRF) or a BIDS dataset`);
  const alias = basename(root).replace(/[^0-9A-Za-z-]/g, '-').slice(0, 64) || 'study';
  let name = basename(root);
  try {
    const desc = JSON.parse(await readFile(join(root, 'dataset_description.json'), 'utf8'));
    if (typeof desc.Name === 'string' && desc.Name.trim()) name = desc.Name.trim();
  } catch {
    /* not BIDS, or no readable description: the folder's name */
  }
  const store = new MemoryStudyStore();
  const studyId = await nameUuid(`neurotab-kernel-study:${alias}`);
  store.putStudy({ id: studyId, name, alias, createdAtMs: rootStat.mtimeMs, readOnly: true });
  const files: string[] = [];
  await walk(root, files);
  files.sort();
  const participants = new Map<string, string>();
  for (const path of files) {
    const rel = relative(root, path).split(sep).join('/');
    const st = await stat(path);
    const external = /(?:^|\/|_)(sub-[0-9A-Za-z]+)/.exec(rel)?.[1] ?? 'unknown';
    let participantId = participants.get(external);
    if (!participantId) {
      participantId = await nameUuid(`neurotab-kernel-participant:${alias}/${external}`);
      participants.set(external, participantId);
      store.putParticipant({ id: participantId, studyId, externalId: external, createdAtMs: rootStat.mtimeMs, status: 'active' });
    }
    const id = await nameUuid(`neurotab-kernel-dataset:${alias}/${rel}`);
    const kinds = /\.snirf$/i.test(rel) ? ['fnirs'] : ['eeg'];
    const fileName = basename(path);
    store.addRecording(id, { name: rel, kinds, createdAtMs: st.mtimeMs, byteSize: st.size, participant: external }, async () => {
      const bytes = new Uint8Array(await readFile(path));
      return { recording: await readRecording(bytes, fileName), file: { name: fileName, bytes } };
    });
    store.putDataset({ id, studyId, participantId, name: rel, experiment: /_task-([0-9A-Za-z]+)/.exec(rel)?.[1] ?? '', createdAtMs: st.mtimeMs, startedAtMs: st.mtimeMs, stoppedAtMs: st.mtimeMs, kinds, byteSize: st.size, source: rel });
  }
  return { store, studyId, alias, datasets: files.length };
}
