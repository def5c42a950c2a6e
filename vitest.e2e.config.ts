// End-to-end tests: real Chromium driven by playwright-core against the built app (build/),
// served by the project's own static server. One file at a time: the machine has two cores.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.test.ts'],
    environment: 'node',
    testTimeout: 90_000,
    hookTimeout: 90_000,
    fileParallelism: false,
    pool: 'forks',
    tags: [{ name: 'shared', description: 'needs ../shared (real recordings, reference vectors, clients); skipped without it' }],
  },
});
