// `neurotab kernel run` and `kernel serve` (in-process jobs): run on real recordings into a directory
// (SUCCEEDED files, FAILED reason, bad arguments); serve over a BIDS-style folder of shared/data files,
// driven by the Kernel seed's own Python `requests` examples (tests/kernel/seed_client.py, Debian's
// python3-requests): list datasets, run, poll until SUCCEEDED, download every signed URL.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bidsFolder } from '../../tests/kernel/support';
import { hasShared, sharedPath } from '../../tests/support/shared';
import { newApiKey } from '../../src/lib/kernel/signing';
import { run, startKernelServer, type KernelServer } from './kernel';

const exec = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const hasRequests = existsSync(PYTHON);

describe.skipIf(!hasShared)('neurotab kernel run', () => {
  const out = mkdtempSync(join(tmpdir(), 'ntk-run-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes the pipeline outputs into --out-dir and exits 0', async () => {
    expect(await run(['run', 'qc_eeg', '--in', sharedPath('data', 'edf/S001R04.edf'), '--out-dir', out])).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['qc_eeg.html', 'qc_eeg.json']);
    expect(JSON.parse(readFileSync(join(out, 'qc_eeg.json'), 'utf8')).channels.length).toBe(64);
    expect(await run(['run', 'analysis_nirs_glm', '--in', sharedPath('data', 'snirf/neuro_run01.snirf'), '--out-dir', out, '--params', '{"noise_model": "ols"}'])).toBe(0);
    expect(readFileSync(join(out, 'glm_results.tsv'), 'utf8').split('\n')[0]).toBe('channel\tchromophore\tregressor\tbeta\tse\tt\tp\tdof\tnoise_model');
    expect(readdirSync(out).some((f) => f.includes('.partial'))).toBe(false);
  });

  it('exits 1 with the reason when the pipeline does not fit, 2 on bad arguments', async () => {
    expect(await run(['run', 'qc_eeg', '--in', sharedPath('data', 'snirf/Simple_Probe.snirf'), '--out-dir', out])).toBe(1);
    expect(await run(['run', 'qc_everything', '--in', sharedPath('data', 'edf/S001R04.edf'), '--out-dir', out])).toBe(2);
    expect(await run(['run', 'qc_eeg', '--in', sharedPath('data', 'edf/S001R04.edf'), '--out-dir', out, '--params', '{bad'])).toBe(2);
    expect(await run(['run', 'qc_eeg', '--out-dir', out])).toBe(2);
  });
});

describe.skipIf(!hasShared || !hasRequests)('neurotab kernel serve, driven by the seed\'s Python examples', () => {
  let data: string;
  let outputs: string;
  let server: KernelServer;
  const key = newApiKey();
  beforeAll(async () => {
    data = bidsFolder([
      ['sub-01/eeg/sub-01_task-motor_run-04_eeg.edf', 'edf/S001R04.edf'],
      ['sub-02/eeg/sub-02_task-motor_run-08_eeg.edf', 'edf/S001R08.edf'],
      ['sub-03/nirs/sub-03_task-tapping_nirs.snirf', 'snirf/neuro_run01.snirf'],
    ]);
    outputs = mkdtempSync(join(tmpdir(), 'ntk-out-'));
    writeFileSync(join(outputs, 'keys.txt'), `${key}\n`);
    server = await startKernelServer({ data, outputs, port: 0, host: '127.0.0.1', keysFile: join(outputs, 'keys.txt') });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(data, { recursive: true, force: true });
    rmSync(outputs, { recursive: true, force: true });
  });

  const client = async (pipeline: string, apiKey = key) => JSON.parse((await exec(PYTHON, [resolve('tests/kernel/seed_client.py'), server.url, server.alias, pipeline, apiKey], { timeout: 180_000 })).stdout);

  it('lists the BIDS datasets, runs qc_eeg on each, polls to the end and downloads every signed URL', async () => {
    const r = await client('qc_eeg');
    expect(r.datasets).toHaveLength(3);
    const runs = r.datasets.map((d: string) => r.runs[d]);
    expect(runs.map((x: any) => x.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'FAILED']);
    expect(runs[2].reason).toMatch(/^qc_eeg needs EEG channels/);
    for (const x of runs.slice(0, 2)) {
      expect(Object.keys(x.files)).toEqual(['qc_eeg.html', 'qc_eeg.json']);
      expect(x.files['qc_eeg.html'].content_type).toBe('text/html; charset=utf-8');
      expect(x.files['qc_eeg.json'].bytes / 1e6).toBeCloseTo(x.files['qc_eeg.json'].size_mb, 9);
    }
    // Outputs sit under <outputs>/<job uid>/, nothing half-written beside them.
    const jobDirs = readdirSync(outputs).filter((f) => /^[0-9a-f-]{36}$/.test(f));
    expect(jobDirs.length).toBe(2);
    for (const d of jobDirs) expect(readdirSync(join(outputs, d)).sort()).toEqual(['qc_eeg.html', 'qc_eeg.json']);
  });

  it('runs snirf_hb_moments on the SNIRF dataset: the signed URL serves SNIRF as application/x-hdf5', async () => {
    const r = await client('snirf_hb_moments');
    const snirfRun = r.runs[r.datasets[2]];
    expect(snirfRun.status).toBe('SUCCEEDED');
    const [file] = Object.keys(snirfRun.files);
    expect(file).toBe(`${r.datasets[2]}_HB_MOMENTS.snirf`);
    expect(snirfRun.files[file].content_type).toBe('application/x-hdf5');
  });

  it('answers 401 to a wrong key, and the study by its folder name, its hex id and under /kernel', async () => {
    const bad = await exec(PYTHON, [resolve('tests/kernel/seed_client.py'), server.url, server.alias, 'qc_eeg', 'ntk_wrong']).catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Missing or invalid API key/);
    const hex = server.studyId.replace(/-/g, '');
    for (const url of [`${server.url}/api/v1/study/${hex}/datasets`, `${server.url}/kernel/api/v1/study/${server.alias}/datasets`]) {
      const res = await fetch(url, { headers: { Authorization: `Bearer ${key}` } });
      expect(res.status, url).toBe(200);
      expect((await res.json()).datasets[0].participant.participant_id).toBe('sub-01');
    }
  });
});
