// `neurotab lsl list | record` against liblsl 1.16.2 streams (its SendData example and lsl-peer.c),
// run as a user runs them, inside a network namespace (cli/bridge/lsl/testing/scenarios.ts). The
// recorded XDF files are read by our reader and by the independent Python reader of the spec.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readXdfStreams } from '../../src/lib/formats/xdf';
import { ensureLiblsl, runScenario, skipLslTests, type Liblsl } from '../bridge/lsl/testing/liblsl';

const skip = skipLslTests('the `neurotab lsl` tests (cli/commands/lsl.spec.ts)');
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const RAW = { synchronizeClocks: false, dejitterTimestamps: false } as const;

let lib: Liblsl;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const scenario = (name: string) => runScenario(lib, name);

describe.skipIf(skip)('neurotab lsl', () => {
  beforeAll(() => {
    lib = ensureLiblsl();
  }, 600_000);

  it('list prints the streams that answer (name, type, source id, channels, rate, format, host), --json too', async () => {
    const r = await scenario('cli-list');
    expect(r.table.code).toBe(0);
    const lines = r.table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^name\s+type\s+source id\s+channels\s+rate\s+format\s+host$/);
    expect(lines.find((l: string) => l.startsWith('ListedEEG'))).toMatch(/^ListedEEG\s+EEG\s+ListedEEGEEG\s+8\s+250 Hz\s+float32\s+\S+ \(127\.0\.0\.1:\d+\)$/);
    expect(lines.find((l: string) => l.startsWith('ListedMarkers'))).toMatch(/^ListedMarkers\s+Markers\s+listed-src\s+1\s+irregular\s+string\s+/);
    expect(r.json.map((s: { name: string }) => s.name).sort()).toEqual(['ListedEEG', 'ListedMarkers']);
    expect(r.json.find((s: { name: string }) => s.name === 'ListedEEG')).toMatchObject({ type: 'EEG', channelCount: 8, nominalSrateHz: 250, channelFormat: 'float32', sourceId: 'ListedEEGEEG', v4address: '127.0.0.1' });
    expect(r.empty).toMatchObject({ code: 0 });
    expect(r.empty.stdout).toContain('No LSL stream answered within 1 s');
    expect(r.bad.code).toBe(2);
    expect(r.bad.stderr).toContain('--timeout must be a number of seconds in (0, 600], got "soon"');
  }, 120_000);

  it('record writes what LabRecorder writes: fullinfo headers, every sample, clock offsets, footers; stops on --seconds and on Ctrl+C', async () => {
    const r = await scenario('cli-record');
    dirs.push(r.dir);
    expect(r.timed.code).toBe(0);
    expect(r.timed.stdout).toMatch(/rec-eeg: 400 samples/);
    expect(r.timed.stdout).toMatch(/rec-markers: 150 samples/);
    const bytes = new Uint8Array(readFileSync(join(r.dir, 'timed.xdf')));
    const { streams } = readXdfStreams(bytes, 'timed.xdf', RAW);
    const eeg = streams.find((s) => s.name === 'rec-eeg')!;
    const markers = streams.find((s) => s.name === 'rec-markers')!;
    expect(Array.from(eeg.values!)).toEqual(r.expected.eeg);
    expect(markers.strings!.flat()).toEqual(r.expected.markers);
    expect(Array.from(eeg.timeStampsS)).toEqual(r.pushedTimed[0]);
    expect(Array.from(markers.timeStampsS)).toEqual(r.pushedTimed[1]);
    for (const s of [eeg, markers]) {
      // The header is the stream's fullinfo: desc/channels from liblsl.
      expect(s.header.children.find((c) => c.tag === 'desc')!.children.find((c) => c.tag === 'channels')!.children.map((c) => c.children[0].text)).toEqual(['c0', 'c1', 'c2']);
      expect(s.header.children.find((c) => c.tag === 'source_id')!.text).toMatch(/^rec-/);
      // Offsets every 5 s and on stop; same machine, so each is under 1 ms.
      expect(s.clockValuesS.length).toBeGreaterThanOrEqual(2);
      for (const v of s.clockValuesS) expect(Math.abs(v)).toBeLessThan(0.001);
      const footer = Object.fromEntries(s.footer!.children.map((c) => [c.tag, c.text]));
      expect(Number(footer.sample_count)).toBe(s.timeStampsS.length);
      expect(Number(footer.first_timestamp)).toBe(s.timeStampsS[0]);
      expect(Number(footer.last_timestamp)).toBe(s.timeStampsS[s.timeStampsS.length - 1]);
    }
    // The independent reader agrees.
    const py = JSON.parse(execFileSync(python, ['tests/peers/xdf_read.py', join(r.dir, 'timed.xdf')], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
    const pyEeg = py.streams.find((s: any) => s.header.name === 'rec-eeg');
    expect(pyEeg.values.flat()).toEqual(r.expected.eeg);
    expect(pyEeg.timestamps).toEqual(r.pushedTimed[0]);
    expect(pyEeg.channels).toEqual([0, 1, 2].map((c) => ({ label: `c${c}`, unit: 'microvolts', type: 'RecTest' })));
    expect(pyEeg.footer.sample_count).toBe('400');
    expect(py.streams.find((s: any) => s.header.name === 'rec-markers').values.flat()).toEqual(r.expected.markers);

    // Ctrl+C: the recording so far, closed with its footer.
    expect(r.interrupted.code).toBe(0);
    const cut = readXdfStreams(new Uint8Array(readFileSync(join(r.dir, 'ctrl-c.xdf'))), 'ctrl-c.xdf', RAW).streams;
    expect(cut.map((s) => s.name)).toEqual(['rec-eeg']);
    expect(cut[0].timeStampsS.length).toBeGreaterThan(50);
    expect(Array.from(cut[0].values!)).toEqual(r.expected.eeg.slice(0, cut[0].values!.length));
    expect(Number(cut[0].footer!.children.find((c) => c.tag === 'sample_count')!.text)).toBe(cut[0].timeStampsS.length);

    expect(r.none.code).toBe(1);
    expect(r.none.stderr).toContain('no stream named or typed "NoSuchStream" answered within 1 s (run: npm run neurotab -- lsl list)');
    expect(r.usage.code).toBe(2);
    expect(r.usage.stderr).toContain('where to? Add --out file.xdf');
  }, 120_000);
});
