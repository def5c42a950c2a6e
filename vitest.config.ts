// Unit tests: plain TypeScript in Node (no SvelteKit plugin), files `*.spec.ts` beside the code.
// End-to-end browser tests live in tests/e2e and run through vitest.e2e.config.ts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.spec.ts', 'cli/**/*.spec.ts', 'workers/**/*.spec.ts', 'tests/unit/**/*.spec.ts'],
    environment: 'node',
    testTimeout: 60_000,
    pool: 'forks',
  },
});
