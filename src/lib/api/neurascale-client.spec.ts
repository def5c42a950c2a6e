// NeuraScale's own example client (../shared/clients/neurascale/device_api_example.py) run unmodified
// with Debian's python3 + requests against the /api/v1/devices alias, served here over HTTP on
// 127.0.0.1 (port 0) with the NeuraScale family at the root, as the bridge serves it on port 8000.
// The driver only replaces DeviceAPIClient's default base URL, then calls the file's main().
import 'fake-indexeddb/auto';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { sharedPath } from '../../../tests/support/shared';
import { NeurotabDb } from '../storage/db';
import { DeviceHub } from './device-hub';
import { createNeuraScaleApp } from './neurascale';
import { NeuraScaleService } from './neurascale-service';

const CLIENT_DIR = sharedPath('clients', 'neurascale');
const PYTHON = '/usr/bin/python3';
const ready = existsSync(`${CLIENT_DIR}/device_api_example.py`) && spawnSync(PYTHON, ['-c', 'import requests']).status === 0;

/** Serves a Hono app on 127.0.0.1 with node:http (test-only adapter). */
function serve(app: Hono): Promise<Server> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const ch of req) chunks.push(ch as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const r = await app.fetch(new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined }));
    res.writeHead(r.status, Object.fromEntries(r.headers));
    res.end(Buffer.from(await r.arrayBuffer()));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const DRIVER = `
import sys
sys.path.insert(0, sys.argv[1])
import device_api_example as example
example.DeviceAPIClient.__init__.__defaults__ = (sys.argv[2],)
example.main()
`;

describe.skipIf(!ready)("NeuraScale's device_api_example.py against /api/v1/devices", () => {
  it('runs main() to the end: add, connect, monitor, stream (256 Hz), health, signal quality, stop, remove, discover', async () => {
    const hub = new DeviceHub();
    const service = new NeuraScaleService({ devices: hub, db: new NeurotabDb(`ns-client-${Math.random()}`) });
    const server = await serve(createNeuraScaleApp(service, ''));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const { spawn } = await import('node:child_process');
      const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const p = spawn(PYTHON, ['-c', DRIVER, CLIENT_DIR, base], { env: { ...process.env, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' } });
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (d) => (stdout += d));
        p.stderr.on('data', (d) => (stderr += d));
        p.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      const s = out.stdout;
      expect(s).toContain('Found 1 devices');
      expect(s).toContain('Device added: Synthetic EEG (state: disconnected)');
      expect(s).toContain('Connected: True');
      expect(s).toContain('Monitoring: True');
      expect(s).toContain('Streaming: True');
      expect(s).toMatch(/Session ID: session_[0-9a-z]{26}/);
      expect(s).toContain('Health status: healthy');
      const rate = Number(/Data rate: ([\d.]+) Hz/.exec(s)?.[1]);
      expect(rate).toBeGreaterThan(240);
      expect(rate).toBeLessThan(270);
      expect(Number(/Connection uptime: ([\d.]+) seconds/.exec(s)?.[1])).toBeGreaterThanOrEqual(3);
      expect(s.match(/Channel \d+: good \(SNR: -?[\d.]+ dB\)/g)).toHaveLength(8);
      expect(s).toContain('Streaming: False');
      expect(s).toContain('Connected: False');
      expect(s).toContain('Device synthetic_eeg_001 removed');
      expect(s).toContain('Synthetic EEG (synthetic) on virtual');
      expect(s).toContain('=== Example completed ===');
    } finally {
      server.close();
      await service.close();
      await hub.close();
    }
  }, 30_000);
});
