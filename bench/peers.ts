// `npm run bench:peers`: our IIR and Welch (bench/peers/*.mjs, built from src/lib/dsp by
// bench/build-peers.ts) timed beside SciPy, fili and @neurosity/dsp by the shared harness
// (../shared/bench, read-only: it is copied to bench/.harness and its npm packages installed there).
// Needs python3 with SciPy/NumPy (Debian: apt-get install -y python3-scipy python3-numpy).
// Prints the harness's tables; exits non-zero only when it cannot run.
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.NEUROTAB_SHARED ?? resolve(root, '../shared');
const harness = join(root, 'bench/.harness');
const args = process.argv.slice(2);

if (!existsSync(join(shared, 'bench/compare.mjs'))) {
  console.error(`bench:peers: the shared benchmark harness is not at ${join(shared, 'bench')} (set NEUROTAB_SHARED)`);
  process.exit(2);
}
try {
  execFileSync('python3', ['-c', 'import scipy, numpy'], { stdio: 'ignore' });
} catch {
  console.error('bench:peers: python3 with SciPy and NumPy is needed (Debian: apt-get install -y python3-scipy python3-numpy)');
  process.exit(2);
}
if (!existsSync(join(harness, 'node_modules'))) {
  mkdirSync(harness, { recursive: true });
  cpSync(join(shared, 'bench'), harness, { recursive: true, filter: (p) => !p.includes('node_modules') && !p.includes('/results') });
  console.log('bench:peers: installing the harness packages (fili, @neurosity/dsp, …) into bench/.harness');
  execFileSync('npm', ['install', '--prefix', harness, '--no-audit', '--no-fund'], { stdio: 'inherit' });
}
// Our modules come from the TypeScript source of this checkout.
execFileSync(process.execPath, ['--import', 'tsx', join(root, 'bench/build-peers.ts')], { stdio: 'inherit' });
const quick = args.includes('--quick') ? ['--sizes', '64ch-1kHz-60s', '--reps', '3'] : ['--sizes', '64ch-1kHz-60s'];
let failed = false;
for (const op of ['iir', 'welch']) {
  const r = spawnSync(process.execPath, [join(harness, 'compare.mjs'), op, '--impl', join(root, `bench/peers/${op}.mjs`), ...quick], { stdio: 'inherit', cwd: harness });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
