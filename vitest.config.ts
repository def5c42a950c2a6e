// Unit tests: plain TypeScript in Node (no SvelteKit plugin), files `*.spec.ts` beside the code.
// End-to-end browser tests live in tests/e2e and run through vitest.e2e.config.ts.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// tsconfig.json extends "$app/tsconfig", which `svelte-kit sync` writes into node_modules; npm
// removes it whenever it installs a package, so recreate it before Vite reads the tsconfig.
if (!existsSync('node_modules/$app/tsconfig.json')) {
  execFileSync(process.execPath, ['node_modules/@sveltejs/kit/svelte-kit.js', 'sync'], { stdio: 'inherit' });
}

export default defineConfig({
  test: {
    include: ['src/**/*.spec.ts', 'cli/**/*.spec.ts', 'workers/**/*.spec.ts', 'tests/unit/**/*.spec.ts'],
    environment: 'node',
    testTimeout: 60_000,
    pool: 'forks',
    tags: [{ name: 'shared', description: 'needs ../shared (real recordings, reference vectors, clients); skipped without it' }],
  },
});
