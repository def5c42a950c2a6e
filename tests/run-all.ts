// `npm test`: every test of the project. A type check, unit tests (Vitest, Node), then a production build, then the
// end-to-end tests in Chromium (Vitest + playwright-core). Prints one closing line
// "tests: N passed, N failed, N skipped" (after it, without ../shared, one loud line counting what
// was skipped for its lack: a clone without it is not a full run) and exits non-zero on any failure. Node only.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChromium, NO_CHROMIUM_MESSAGE } from './support/chromium.ts';
import { hasShared, sharedDir } from './support/shared.ts';
import type { SharedSkips } from './support/shared-skips.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const chromium = findChromium();
if (!chromium) {
  console.error(NO_CHROMIUM_MESSAGE);
  process.exit(1);
}
process.env.CHROMIUM_PATH = chromium;

const node = process.execPath; // the pinned Node (npm scripts put node_modules/.bin first)
const vitest = join(root, 'node_modules/vitest/vitest.mjs');
const vite = join(root, 'node_modules/vite/bin/vite.js');
mkdirSync('test-results', { recursive: true });

interface Totals { passed: number; failed: number; skipped: number }
const totals: Totals = { passed: 0, failed: 0, skipped: 0 };
const sharedSkips: SharedSkips = { tests: 0, suites: 0 };
let ok = true;

function step(title: string, args: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  console.log(`\n=== ${title}`);
  const r = spawnSync(node, args, { stdio: 'inherit', env });
  if (r.status !== 0) console.error(`=== ${title}: exit ${r.status ?? r.signal}`);
  return r.status === 0;
}

function vitestStep(title: string, config: string, out: string): void {
  const skipsOut = out.replace(/\.json$/, '.shared-skips.json');
  rmSync(skipsOut, { force: true });
  const reporters = ['--reporter=default', '--reporter=json', `--outputFile.json=${out}`, '--reporter=./tests/support/shared-skips.ts'];
  const passed = step(title, [vitest, 'run', '-c', config, ...reporters], { ...process.env, NEUROTAB_SHARED_SKIPS: skipsOut });
  if (existsSync(skipsOut)) {
    const s = JSON.parse(readFileSync(skipsOut, 'utf8')) as SharedSkips;
    sharedSkips.tests += s.tests;
    sharedSkips.suites += s.suites;
  }
  if (existsSync(out)) {
    const j = JSON.parse(readFileSync(out, 'utf8'));
    totals.passed += j.numPassedTests ?? 0;
    totals.failed += j.numFailedTests ?? 0;
    totals.skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
    if (!passed && !j.numFailedTests) totals.failed += 1; // e.g. a suite that failed to load
  } else if (!passed) totals.failed += 1;
  ok &&= passed;
}

const only = process.argv[2]; // optional: "unit" or "e2e"
if (!only) {
  // TypeScript strict over the whole project (Svelte components included).
  const checked = step('type check', [join(root, 'node_modules/svelte-check/bin/svelte-check'), '--tsconfig', './tsconfig.json', '--threshold', 'error', '--output', 'human']);
  if (!checked) {
    ok = false;
    totals.failed += 1;
  }
}
if (only !== 'e2e') vitestStep('unit tests', 'vitest.config.ts', 'test-results/unit.json');
if (only !== 'unit') {
  if (step('build', [vite, 'build', '--logLevel', 'warn'])) {
    vitestStep('end-to-end tests (Chromium)', 'vitest.e2e.config.ts', 'test-results/e2e.json');
  } else {
    ok = false;
    totals.failed += 1;
  }
}
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
if (!hasShared) {
  const suites = sharedSkips.suites ? ` and ${sharedSkips.suites} suites of per-case tests (their cases are listed in ../shared itself)` : '';
  console.log(`!!! NOT A FULL RUN: ${sharedSkips.tests} tests${suites} skipped for lack of ../shared (looked in ${sharedDir}; clone beside it or set NEUROTAB_SHARED)`);
}
process.exit(ok && totals.failed === 0 ? 0 : 1);
