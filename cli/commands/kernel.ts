// `neurotab kernel run|serve|worker`: the Kernel pipelines from the command line and at scale (API.md
// §8). `run` executes one pipeline on one recording into a directory (the same runJob as every
// runner); `serve` answers the Kernel family (and nothing else) over a folder of recordings or a BIDS
// dataset, running jobs in-process or queueing them on BullMQ/Redis; `worker` processes those jobs.
// Node only. This file parses options and wires stores; the job code lives in src/lib/kernel/.
import { serve as serveNode, type ServerType } from '@hono/node-server';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Hono } from 'hono';
import { InputError, errorMessage } from '../../src/lib/core/errors';
import { readRecording } from '../../src/lib/formats/index';
import { createKernelApp } from '../../src/lib/api/kernel';
import { commonHeaders, normalizedGetPath } from '../../src/lib/api/http';
import { PIPELINES, pipelineNamed } from '../../src/lib/kernel/catalog';
import { nameUuid } from '../../src/lib/kernel/ids';
import { LocalJobQueue, MemoryStudyStore } from '../../src/lib/kernel/memory';
import type { JobQueue } from '../../src/lib/kernel/model';
import { KernelService, runJob, type KernelSettings } from '../../src/lib/kernel/service';
import { apiKeyHash, newSecret } from '../../src/lib/kernel/signing';
import { DirOutputStore, folderStudy } from '../kernel/stores';

export const summary = 'Kernel pipelines: kernel run <pipeline> --in <recording> --out-dir <dir> | kernel serve --data <folder|BIDS> [--redis URL] | kernel worker --redis URL --data <folder>';

const USAGE = `usage:
  npm run neurotab -- kernel run <pipeline> --in <recording> --out-dir <dir> [--params '<json>']
  npm run neurotab -- kernel serve --data <folder|BIDS> [--outputs <dir>] [--port 8020] [--host 127.0.0.1]
                                   [--redis redis://HOST:PORT] [--keys <file>] [--concurrency N]
  npm run neurotab -- kernel worker --redis redis://HOST:PORT --data <folder|BIDS> [--outputs <dir>] [--concurrency N]

  pipelines: ${PIPELINES.map((p) => p.name).join(', ')}
  serve: the Kernel API at http://HOST:PORT/ (and /kernel/…): GET /api/v1/study/<folder name>/datasets, …
    Without --redis, jobs run in the serving process. With --redis, they are queued on BullMQ and run by
    \`kernel worker\` processes (any number, on any machine that sees the same --data and --outputs).
  --outputs  where job outputs go (default <cwd>/kernel-outputs); shared by serve and every worker.
  --keys     a file of API keys, one a line: auth on (Authorization: <key> or Bearer <key>).`;

interface Opts {
  positional: string[];
  values: Map<string, string>;
}

function parse(argv: string[], valued: string[]): Opts {
  const values = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const k = a.slice(2);
      if (!valued.includes(k)) throw new InputError(`unknown option ${a}\n${USAGE}`);
      const v = argv[++i];
      if (v === undefined) throw new InputError(`${a} needs a value\n${USAGE}`);
      values.set(k, v);
    } else positional.push(a);
  }
  return { positional, values };
}

function intOption(o: Opts, key: string, dflt: number, min: number, max: number): number {
  const v = o.values.get(key);
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new InputError(`--${key} must be a whole number from ${min} to ${max}, got ${v}`);
  return Number(v);
}

/** The app-local signing secret shared by every process over the same outputs (created once, mode 600). */
async function sharedSecret(outputs: string): Promise<string> {
  const path = join(outputs, '.kernel-secret');
  try {
    const s = (await readFile(path, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(s)) return s;
  } catch {
    /* first run */
  }
  await mkdir(outputs, { recursive: true });
  const s = newSecret();
  await writeFile(path, s + '\n', { flag: 'wx' }).catch(async () => undefined);
  await chmod(path, 0o600).catch(() => undefined);
  return (await readFile(path, 'utf8')).trim();
}

async function runCommand(argv: string[]): Promise<number> {
  const o = parse(argv, ['in', 'out-dir', 'params']);
  const [pipeline] = o.positional;
  const input = o.values.get('in');
  const outDir = o.values.get('out-dir');
  if (!pipeline || !input || !outDir || o.positional.length > 1) throw new InputError(`kernel run needs <pipeline> --in <recording> --out-dir <dir>\n${USAGE}`);
  if (!pipelineNamed(pipeline)) throw new InputError(`Unknown pipeline: ${pipeline}; one of ${PIPELINES.map((p) => p.name).join(', ')}`);
  let params: Record<string, unknown> = {};
  if (o.values.has('params')) {
    try {
      params = JSON.parse(o.values.get('params')!);
    } catch (e) {
      throw new InputError(`--params is not valid JSON (${errorMessage(e)}); give e.g. '{"noise_model": "ols"}'`);
    }
    if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new InputError('--params must be a JSON object');
  }
  const path = resolve(input);
  const bytes = new Uint8Array(await readFile(path));
  const name = basename(path);
  const studies = new MemoryStudyStore();
  const id = await nameUuid(`neurotab-kernel-file:${name}`);
  studies.addRecording(id, { name, kinds: [], createdAtMs: Date.now(), byteSize: bytes.byteLength }, async () => ({ recording: await readRecording(bytes, name), file: { name, bytes } }));
  const study = await studies.createStudy({ name: 'command line' });
  await studies.assignDatasets(study.id, [{ recordingId: id }]);
  const t0 = performance.now();
  const r = await runJob({ id: await nameUuid(`neurotab-kernel-job:${name}:${pipeline}`), template: pipeline, datasetId: id, params }, { studies, outputs: new DirOutputStore(resolve(outDir), true) }, (f, m) => {
    if (process.stderr.isTTY) process.stderr.write(`\r${(f * 100).toFixed(0).padStart(3)} % ${m.padEnd(60).slice(0, 60)}`);
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  if (r.status === 'failed') {
    console.error(`${pipeline} FAILED: ${r.reason}`);
    return 1;
  }
  for (const f of r.outputs) console.log(`${join(resolve(outDir), f.filename)}\t${f.bytes} bytes`);
  console.error(`${pipeline} SUCCEEDED in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  return 0;
}

export interface KernelServer {
  url: string;
  studyId: string;
  alias: string;
  close(): Promise<void>;
}

/** Starts `kernel serve` (tests call this directly). */
export async function startKernelServer(opts: { data: string; outputs: string; port: number; host: string; redis?: string; keysFile?: string; concurrency?: number }): Promise<KernelServer> {
  const { store, studyId, alias } = await folderStudy(opts.data);
  const outputs = new DirOutputStore(resolve(opts.outputs));
  const keyHashes = opts.keysFile ? await Promise.all((await readFile(opts.keysFile, 'utf8')).split('\n').map((l) => l.trim()).filter(Boolean).map(apiKeyHash)) : [];
  const settings: KernelSettings = { authEnabled: !!opts.keysFile, keyHashes, secretHex: await sharedSecret(resolve(opts.outputs)) };
  let queue: JobQueue & { close?(): Promise<void> };
  if (opts.redis) {
    const { RedisJobQueue } = await import('../kernel/bullmq');
    queue = new RedisJobQueue(opts.redis);
  } else queue = new LocalJobQueue({ studies: store, outputs }, opts.concurrency ?? 1);
  const service = new KernelService(store, queue, outputs, () => settings);
  const app = new Hono({ getPath: normalizedGetPath });
  app.use('*', commonHeaders);
  // Kernel at the root (its clients' base URL is the server) and under /kernel (the app's mount).
  app.route('/', createKernelApp(service, '/kernel'));
  app.route('/', createKernelApp(service, ''));
  const server: ServerType = await new Promise((ok) => {
    const s = serveNode({ fetch: app.fetch, port: opts.port, hostname: opts.host }, () => ok(s));
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    url: `http://${opts.host}:${port}`,
    studyId,
    alias,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await queue.close?.();
    },
  };
}

async function serveCommand(argv: string[]): Promise<number> {
  const o = parse(argv, ['data', 'outputs', 'port', 'host', 'redis', 'keys', 'concurrency']);
  const data = o.values.get('data');
  if (!data || o.positional.length) throw new InputError(`kernel serve needs --data <folder|BIDS>\n${USAGE}`);
  const s = await startKernelServer({
    data,
    outputs: o.values.get('outputs') ?? resolve('kernel-outputs'),
    port: intOption(o, 'port', 8020, 0, 65535),
    host: o.values.get('host') ?? '127.0.0.1',
    redis: o.values.get('redis'),
    keysFile: o.values.get('keys'),
    concurrency: intOption(o, 'concurrency', 1, 1, 64),
  });
  console.log(`Kernel API on ${s.url}  (study "${s.alias}" = ${s.studyId.replace(/-/g, '')}: GET ${s.url}/api/v1/study/${s.alias}/datasets)`);
  await new Promise<void>((r) => {
    const stop = () => void s.close().then(r);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

async function workerCommand(argv: string[]): Promise<number> {
  const o = parse(argv, ['redis', 'data', 'outputs', 'concurrency']);
  const redis = o.values.get('redis');
  const data = o.values.get('data');
  if (!redis || !data || o.positional.length) throw new InputError(`kernel worker needs --redis <url> and --data <folder|BIDS>\n${USAGE}`);
  const { startKernelWorker } = await import('../kernel/bullmq');
  const { store } = await folderStudy(data);
  // NEUROTAB_KERNEL_LOCK_MS shortens the stalled-job lock (tests that kill a worker).
  const lockMs = Number(process.env.NEUROTAB_KERNEL_LOCK_MS) || undefined;
  const w = await startKernelWorker({ redis, studies: store, outputs: new DirOutputStore(resolve(o.values.get('outputs') ?? 'kernel-outputs')), concurrency: intOption(o, 'concurrency', 1, 1, 64), lockMs });
  console.log(`Kernel worker on ${redis} (concurrency ${w.concurrency})`);
  await new Promise<void>((r) => {
    const stop = () => void w.close().then(r);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === 'run') return await runCommand(rest);
    if (sub === 'serve') return await serveCommand(rest);
    if (sub === 'worker') return await workerCommand(rest);
    console.error(USAGE);
    return sub === undefined || sub === '--help' ? 0 : 2;
  } catch (e) {
    if (e instanceof InputError) {
      console.error(`neurotab kernel: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
