// NeuroPype's own sample client (shared/clients/neuropype_exec.py, its bin/exec.py), run unmodified
// from where it lives against this router served over HTTP on 127.0.0.1 with the NeuroPype family
// at the root, as the bridge serves it. Skipped when ../shared or Python's `requests` is absent.
import { spawnSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { hasShared, needsShared, sharedPath } from '../../../tests/support/shared';
import { createApi } from './index';
import { LocalBackend } from './local-backend';
import { alphaPyp, sineBinding } from './testing';

const python = process.env.PYTHON ?? 'python3';
const hasRequests = spawnSync(python, ['-c', 'import requests'], { stdio: 'ignore' }).status === 0;
const skip = !hasShared || !hasRequests;
if (skip) console.warn(`exec.py client test skipped: ${!hasShared ? '../shared is absent' : `${python} has no "requests" module (Debian: python3-requests)`}`);

let server: Server;
let port = 0;
let backend: LocalBackend;

/** Minimal Node http → fetch adapter (test only; the real relay is the bridge command). */
function serve(app: ReturnType<typeof createApi>): Promise<void> {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const r = await app.fetch(new Request(`http://127.0.0.1:${port}${req.url}`, { method: req.method, headers, body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body }));
    res.writeHead(r.status, Object.fromEntries(r.headers.entries()));
    res.end(Buffer.from(await r.arrayBuffer()));
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () => {
      port = (server.address() as AddressInfo).port;
      ok();
    }),
  );
}

function execPy(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; out: string }> {
  return new Promise((ok) => {
    const p = spawn(python, [sharedPath('clients/neuropype_exec.py'), '--host', '127.0.0.1', '--port', String(port), ...args]);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => p.kill('SIGINT'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      ok({ code, out });
    });
  });
}

describe('neuropype_exec.py (unmodified) against the router', { ...needsShared, skip }, () => {
  beforeAll(async () => {
    backend = new LocalBackend({ bind: (r) => (r.type === 'io.stream-input' ? sineBinding(250, 4) : undefined) });
    await backend.writePipeline('pipelines/alpha.pyp', alphaPyp());
    await serve(createApi(backend, { neuropypeAtRoot: true }));
  });
  beforeEach(async () => {
    for (const e of await backend.listExecutions()) await backend.deleteExecution(e.id);
  });
  afterAll(async () => {
    await new Promise((ok) => server.close(ok));
    await backend.dispose();
  });

  it('--file … --play, --list, --state, --config, --logs, --pause/--play, --stop, --purge', async () => {
    const started = await execPy(['--file', '/home/someone/pipelines/alpha.pyp', '--play', '--tickrate', '50']);
    expect(started.out).toMatch(/Pipeline loaded with execution ID (\d{4})\nPipeline started\./);
    const id = /execution ID (\d{4})/.exec(started.out)![1];
    expect((await backend.getInfo(Number(id))).tickrate).toBe(50);
    expect((await backend.getState(Number(id))).status).toBe('running');

    const list = await execPy(['--list']);
    expect(list.out).toContain(`ID: ${id}, Pipeline: {'name': 'Alpha'`);
    expect(list.out).toContain('Status: running');

    const state = await execPy(['--exid', id, '--state']);
    expect(state.out).toMatch(new RegExp(`ID: ${id}, .*Status: running`));

    const config = await execPy(['--exid', id, '--config', "{'band': [1, 2, 30, 35]}"]);
    expect(config.out).toContain("Pipeline parameters set: {'band': [1, 2, 30, 35]}");
    const node = (await backend.getGraph(Number(id))).nodes.find((n) => n.type === 'ParameterPort')!;
    expect(node.parameters.find((p) => p.id === 'value')!.value).toEqual([1, 2, 30, 35]);

    // --logs follows the logs until the run stops; stop it from outside once it has polled a few times.
    const realLogs = backend.logs.bind(backend);
    let polls = 0;
    backend.logs = async (...a) => {
      polls++;
      return realLogs(...a);
    };
    const logs = execPy(['--exid', id, '--logs']);
    await vi.waitFor(() => expect(polls).toBeGreaterThanOrEqual(3), { timeout: 15_000, interval: 50 });
    await backend.control(Number(id), 'stop');
    backend.logs = realLogs;
    const l = await logs;
    expect(l.code).toBe(0);
    expect(l.out).toContain(`Fetching logs for pipeline ${id}`);
    expect(l.out).toMatch(/INFO: .*configured/);

    const pause = await execPy(['--exid', id, '--play']);
    expect(pause.out).toContain('Pipeline started or resumed.');
    expect((await execPy(['--exid', id, '--pause'])).out).toMatch(/Pipeline paused\.\nID: .*Status: paused/);

    const stop = await execPy(['--exid', id, '--stop']);
    expect(stop.out).toContain('Pipeline stopped and execution deleted.');
    expect(await backend.listExecutions()).toEqual([]);
    expect((await execPy(['--exid', id, '--state'])).out).toContain(`Execution ${id} not found.`);

    await execPy(['--file', 'alpha.pyp']);
    await execPy(['--file', 'alpha.pyp']);
    const purge = await execPy(['--purge']);
    expect(purge.out.match(/Deleted execution \d{4}/g)).toHaveLength(2);
    expect(await backend.listExecutions()).toEqual([]);
  });

  it('a failed load prints the error envelope and deletes the execution', async () => {
    const r = await execPy(['--file', 'missing.pyp']);
    expect(r.out).toContain('Error loading pipeline: {"error":{"code":"FILE_NOT_FOUND"');
    // exec.py's terminate() deletes the wrong URL (…/executions/N/N), so the execution stays (vendor bug).
    expect((await execPy(['--clean'])).out).toMatch(/Deleted empty execution \d{4}/);
    expect(await backend.listExecutions()).toEqual([]);
  });
});
