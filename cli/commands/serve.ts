// `neurotab serve`: serves the built app (build/) over HTTP on 127.0.0.1 with the cross-origin
// isolation headers, falling back to index.html for client-side routes; documents carry the
// Content-Security-Policy they declare (core/csp.ts) as a header, everything nosniff. Node only.
// `--no-isolation-headers` serves like a plain static host, with none of these headers (the service
// worker must then supply them).
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import sirv from 'sirv';
import { documentSecurityHeaders } from '../../src/lib/core/csp';

export const summary = 'serve the built app with cross-origin isolation headers [--port N] [--host H] [--dir build]';

export interface ServeOptions {
  port: number;
  host: string;
  dir: string;
  isolationHeaders: boolean;
}

export const ISOLATION_HEADERS: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export function parseServeArgs(argv: string[]): ServeOptions {
  const opts: ServeOptions = { port: 4173, host: '127.0.0.1', dir: 'build', isolationHeaders: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--port') {
      const p = Number(value());
      if (!Number.isInteger(p) || p < 0 || p > 65535) throw new Error(`--port must be an integer 0–65535, got "${argv[i]}"`);
      opts.port = p;
    } else if (a === '--host') opts.host = value();
    else if (a === '--dir') opts.dir = value();
    else if (a === '--no-isolation-headers') opts.isolationHeaders = false;
    else throw new Error(`unknown option "${a}" (try --port N, --host H, --dir D, --no-isolation-headers)`);
  }
  return opts;
}

/** Starts the static server; resolves once it listens. */
export async function startServer(opts: ServeOptions): Promise<{ server: Server; url: string }> {
  const dir = resolve(opts.dir);
  if (!existsSync(resolve(dir, 'index.html'))) {
    throw new Error(`no built app in ${dir}: run "npm run build" first (or "npm start", which builds and serves)`);
  }
  // Security headers per document file, read once (the build does not change under a running server).
  const documentHeaders = new Map<string, Array<[string, string]>>();
  const files = sirv(dir, {
    single: true, // client-side routes fall back to index.html
    dev: false,
    etag: true,
    setHeaders(res, pathname) {
      // The service worker must always be revalidated so updates are seen.
      if (pathname === '/service-worker.js') res.setHeader('Cache-Control', 'no-cache');
      if (!opts.isolationHeaders) return;
      res.setHeader('X-Content-Type-Options', 'nosniff');
      const file = documentFile(dir, pathname);
      if (!file) return;
      if (!documentHeaders.has(file)) documentHeaders.set(file, documentSecurityHeaders(readFileSync(file, 'utf8')));
      for (const [k, v] of documentHeaders.get(file)!) res.setHeader(k, v);
    },
  });
  const server = createServer((req, res) => {
    if (opts.isolationHeaders) for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
    files(req, res, () => {
      res.statusCode = 404;
      res.end('Not found');
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, opts.host, () => ok());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return { server, url: `http://${opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host}:${port}/` };
}

/** The HTML file sirv answers `pathname` with (a .html file, or index.html for routes); null for other files. */
function documentFile(dir: string, pathname: string): string | null {
  const ext = extname(pathname);
  if (ext !== '' && ext !== '.html' && ext !== '.htm') return null;
  const own = ext ? join(dir, pathname) : join(dir, `${pathname}.html`);
  return existsSync(own) ? own : join(dir, 'index.html');
}

export async function run(argv: string[]): Promise<number> {
  const opts = parseServeArgs(argv);
  const { url } = await startServer(opts);
  console.log(`Neurotab is running at ${url}${opts.isolationHeaders ? '' : ' (no isolation headers: the service worker adds them)'}`);
  console.log('Press Ctrl+C to stop.');
  await new Promise(() => {}); // serve until killed
  return 0;
}
