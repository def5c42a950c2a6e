// Vite + SvelteKit 3 configuration (SvelteKit 3 reads its options here; there is no svelte.config.js).
// The dev and preview servers send the cross-origin isolation headers so SharedArrayBuffer works.
import adapter from '@sveltejs/adapter-static';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export default defineConfig({
  plugins: [
    sveltekit({
      // Client-only single-page app: every route falls back to index.html (ssr is off in +layout.ts).
      adapter: adapter({ fallback: 'index.html' }),
      // The page registers the service worker itself so it can handle isolation reloads and updates.
      serviceWorker: { register: false },
    }),
  ],
  server: { headers: isolationHeaders, fs: { allow: ['..'] } },
  preview: { headers: isolationHeaders },
  worker: { format: 'es' },
  build: { target: 'es2023' },
});
