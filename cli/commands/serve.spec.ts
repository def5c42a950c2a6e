import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { parseServeArgs, startServer } from './serve';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((ok) => s.close(ok));
});

const APP_POLICY = "default-src 'self'; script-src 'self' 'sha256-abc='; object-src 'none'";

function site(): string {
  const dir = mkdtempSync(join(tmpdir(), 'neurotab-serve-'));
  writeFileSync(join(dir, 'index.html'), `<!doctype html><meta http-equiv="content-security-policy" content="${APP_POLICY}"><title>app</title>`);
  mkdirSync(join(dir, 'examples'));
  writeFileSync(join(dir, 'examples', 'plain.html'), '<!doctype html><title>example</title><script src="plain.js"></script>');
  mkdirSync(join(dir, '_app'));
  writeFileSync(join(dir, '_app', 'x.js'), 'export {}');
  writeFileSync(join(dir, 'service-worker.js'), '// sw');
  return dir;
}

describe('neurotab serve', () => {
  it('parses its options and refuses bad ones with a message', () => {
    expect(parseServeArgs(['--port', '8080', '--host', '0.0.0.0'])).toMatchObject({ port: 8080, host: '0.0.0.0', isolationHeaders: true });
    expect(parseServeArgs(['--no-isolation-headers']).isolationHeaders).toBe(false);
    expect(() => parseServeArgs(['--port', 'x'])).toThrow(/--port must be an integer/);
    expect(() => parseServeArgs(['--port'])).toThrow(/needs a value/);
    expect(() => parseServeArgs(['--wat'])).toThrow(/unknown option "--wat"/);
  });

  it('serves files with the isolation headers, client routes fall back to index.html, the worker is revalidated', async () => {
    const { server, url } = await startServer({ port: 0, host: '127.0.0.1', dir: site(), isolationHeaders: true });
    servers.push(server);
    const js = await fetch(new URL('/_app/x.js', url));
    expect(js.status).toBe(200);
    expect(js.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(js.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    const route = await fetch(new URL('/recordings', url));
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<title>app</title>');
    expect((await fetch(new URL('/service-worker.js', url))).headers.get('cache-control')).toBe('no-cache');
  });

  it("sends each document's own policy as a header (frame-ancestors added), the base policy for one without, and nosniff on everything", async () => {
    const { server, url } = await startServer({ port: 0, host: '127.0.0.1', dir: site(), isolationHeaders: true });
    servers.push(server);
    for (const path of ['/', '/recordings', '/index.html']) {
      expect((await fetch(new URL(path, url))).headers.get('content-security-policy'), path).toBe(`${APP_POLICY}; frame-ancestors 'self'`);
    }
    const plain = (await fetch(new URL('/examples/plain.html', url))).headers.get('content-security-policy') ?? '';
    expect(plain).toMatch(/^default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; .*object-src 'none'; base-uri 'none'.*; frame-ancestors 'self'$/);
    const js = await fetch(new URL('/_app/x.js', url));
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect(js.headers.get('content-security-policy')).toBeNull();
  });

  it('can serve like a plain static host, and says when there is nothing built', async () => {
    const { server, url } = await startServer({ port: 0, host: '127.0.0.1', dir: site(), isolationHeaders: false });
    servers.push(server);
    const res = await fetch(url);
    for (const h of ['cross-origin-embedder-policy', 'content-security-policy', 'x-content-type-options']) expect(res.headers.get(h), h).toBeNull();
    await expect(startServer({ port: 0, host: '127.0.0.1', dir: mkdtempSync(join(tmpdir(), 'empty-')), isolationHeaders: true })).rejects.toThrow(/no built app in .*: run "npm run build" first/);
  });
});
