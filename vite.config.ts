// Vite + SvelteKit 3 configuration (SvelteKit 3 reads its options here; there is no svelte.config.js).
// The dev and preview servers send the cross-origin isolation headers so SharedArrayBuffer works.
import adapter from '@sveltejs/adapter-static';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig, type Plugin } from 'vite';
import { readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CSP_DIRECTIVES } from './src/lib/core/csp';

/**
 * $app/manifest lists the app's own chunks but not what workers import (their chunks, the
 * TensorFlow.js and h5wasm WebAssembly files), so the service worker could not precache them and
 * workers would fail offline. After the build this writes `_app/precache.json` with every
 * immutable file; the service worker adds it to its install-time precache.
 */
function precacheList(): Plugin {
  return {
    name: 'neurotab-precache-list',
    applyToEnvironment: (env) => env.name === 'serviceWorker',
    closeBundle() {
      const client = '.svelte-kit/output/client';
      const root = join(client, '_app/immutable');
      if (!existsSync(root)) return;
      const files: string[] = [];
      const walk = (dir: string) => {
        for (const e of readdirSync(dir, { withFileTypes: true })) {
          const p = join(dir, e.name);
          if (e.isDirectory()) walk(p);
          else files.push('/' + relative(client, p).split('\\').join('/'));
        }
      };
      walk(root);
      writeFileSync(join(client, '_app/precache.json'), JSON.stringify(files.sort()));
    },
  };
}

const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export default defineConfig({
  plugins: [
    precacheList(),
    sveltekit({
      // Client-only single-page app: every route falls back to index.html (ssr is off in +layout.ts).
      adapter: adapter({ fallback: 'index.html' }),
      // The page registers the service worker itself so it can handle isolation reloads and updates.
      serviceWorker: { register: false },
      // Every page carries the policy in a <meta>, with the hashes of SvelteKit's inline scripts (the
      // service worker and `neurotab serve` repeat it as a header, with frame-ancestors).
      csp: { mode: 'hash', directives: structuredClone(CSP_DIRECTIVES) as unknown as Record<string, string[]> },
    }),
  ],
  server: { headers: isolationHeaders, fs: { allow: ['..'] } },
  preview: { headers: isolationHeaders },
  // @stdlib's generator probe uses eval(), refused by the CSP: answered without it (see the file).
  resolve: { alias: { '@stdlib/assert-has-generator-support': fileURLToPath(new URL('./src/lib/core/has-generator-support.cjs', import.meta.url)) } },
  worker: { format: 'es' },
  build: { target: 'es2023' },
});
