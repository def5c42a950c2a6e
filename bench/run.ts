// `npm run bench`: runs every bench/*.bench.ts in turn, each in its own Node process (this Node —
// the pinned one — with `--import tsx`), streams its output, enforces a timeout, keeps going after
// a failure, and ends with a summary. Node only; measures nothing itself.
//
// Usage: npm run bench [-- [name-filter …] [--timeout=SECONDS] [--quick]]
//   name-filter  run only bench files whose name contains one of these strings (e.g. `ring`)
//   --timeout    per-file limit in seconds (default 180; each bench aims for under 60 s)
//   --quick      passed through to every bench script (those that support it run shorter)
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = dirname(benchDir);

interface Outcome {
  file: string;
  status: 'ok' | 'failed' | 'timed out';
  exitCode: number | null;
  seconds: number;
}

function runOne(file: string, timeoutS: number, extraArgs: string[]): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...extraArgs], { cwd: repoRoot, stdio: 'inherit' });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 5000).unref();
    }, timeoutS * 1000);
    const done = (code: number | null): void => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      resolve({ file, status: timedOut ? 'timed out' : code === 0 ? 'ok' : 'failed', exitCode: code, seconds });
    };
    child.once('error', (e) => {
      console.error(`bench: cannot start ${file}: ${e.message}`);
      done(null);
    });
    child.once('exit', (code) => done(code));
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const timeoutArg = args.find((a) => a.startsWith('--timeout='));
  const timeoutS = timeoutArg ? Number(timeoutArg.slice('--timeout='.length)) : 180;
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
    console.error(`bench: --timeout must be a positive number of seconds, got ${timeoutArg}`);
    return 2;
  }
  const passThrough = args.filter((a) => a === '--quick');
  const filters = args.filter((a) => !a.startsWith('--'));
  const files = readdirSync(benchDir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort()
    .map((f) => relative(repoRoot, join(benchDir, f)));
  if (files.length === 0) {
    console.error(`bench: no bench/*.bench.ts file matches ${filters.join(', ') || '(any)'}`);
    return 2;
  }
  console.log(`bench: ${files.length} file(s), Node ${process.version}, timeout ${timeoutS} s each\n`);
  const outcomes: Outcome[] = [];
  for (const file of files) {
    console.log(`━━ ${file}`);
    const o = await runOne(file, timeoutS, passThrough);
    outcomes.push(o);
    console.log(`━━ ${file}: ${o.status}${o.status === 'failed' ? ` (exit ${o.exitCode})` : ''} in ${o.seconds.toFixed(1)} s\n`);
  }
  console.log('bench summary:');
  for (const o of outcomes) console.log(`  ${o.status.padEnd(9)} ${o.seconds.toFixed(1).padStart(6)} s  ${o.file}`);
  const bad = outcomes.filter((o) => o.status !== 'ok').length;
  console.log(bad ? `${bad} of ${outcomes.length} bench file(s) did not finish cleanly` : `all ${outcomes.length} bench file(s) finished`);
  return bad ? 1 : 0;
}

main().then((code) => process.exit(code));
