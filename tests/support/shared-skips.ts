// Vitest reporter for tests/run-all.ts: counts the tests tagged `shared` (needsShared in shared.ts)
// that were skipped, and the tagged suites that registered no test at all (their cases are listed
// in shared/'s own manifests, so without it their number is unknown), and writes
// {"tests": n, "suites": m} to the file named by $NEUROTAB_SHARED_SKIPS. Node only; test tooling.
// Default export because Vitest loads a reporter given by path that way.
import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';
import { SHARED_TAG } from './shared.ts';

export interface SharedSkips {
  tests: number;
  suites: number;
}

export default class SharedSkipsReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const out = process.env.NEUROTAB_SHARED_SKIPS;
    if (!out) return;
    const counts: SharedSkips = { tests: 0, suites: 0 };
    for (const m of modules) {
      for (const t of m.children.allTests('skipped')) if (t.tags.includes(SHARED_TAG)) counts.tests++;
      for (const s of m.children.allSuites()) {
        if (s.state() === 'skipped' && s.children.size === 0 && s.options.tags?.includes(SHARED_TAG)) counts.suites++;
      }
    }
    writeFileSync(out, JSON.stringify(counts));
  }
}
