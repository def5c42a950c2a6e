// `neurotab run` feeding online pipelines and writing files: LSLInput nodes replay an --in recording,
// RecordTo*/Export* write under --out-dir (never outside it), ImportSET reads a .set with its .fdt.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readRecording } from '../../src/lib/formats/index';
import { readXdfStreams } from '../../src/lib/formats/xdf';
import { needsShared, sharedBytes, sharedPath } from '../../tests/support/shared';
import { ReplayClock, resolveOutputPath, StreamReplay } from './run-io';
import { run } from './run';

const fixtures = join(__dirname, '../../tests/fixtures/pipelines');
const eeglab = join(__dirname, '../../tests/formats/eeglab');

async function quietly(f: () => Promise<number>): Promise<{ result: number; stderr: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    return { result: await f(), stderr: lines.join('\n') };
  } finally {
    spy.mockRestore();
  }
}

const pipeline = (nodes: unknown[], edges: [string, string][]) =>
  JSON.stringify({ format: 'neurotab.pipeline', version: 1, meta: { name: 't', description: '' }, nodes, edges: edges.map(([source, target]) => ({ source, target })) });

describe('output paths (--out-dir)', () => {
  it('resolves output_root/filename inside the folder, replaces another machine\'s absolute folder, refuses ".."', () => {
    expect(resolveOutputPath('/o', 'session-1', 'raw.xdf')).toEqual({ path: '/o/session-1/raw.xdf' });
    expect(resolveOutputPath('/o', '', 'a/b.csv')).toEqual({ path: '/o/a/b.csv' });
    expect(resolveOutputPath('/o', 'C:\\Users\\lab\\ERPSpellerData', 'eeg.xdf')).toMatchObject({ path: '/o/eeg.xdf', note: expect.stringContaining('replaced by the output folder') });
    expect(resolveOutputPath('/o', '/home/x/data', 'eeg.xdf').path).toBe('/o/eeg.xdf');
    expect(resolveOutputPath('/o', 'x', '/abs/eeg.xdf').path).toBe('/o/eeg.xdf');
    expect(() => resolveOutputPath('/o', '..', 'eeg.xdf')).toThrow(/outside the output folder \/o; use a relative path inside it/);
    expect(() => resolveOutputPath('/o', 'a', '../../eeg.xdf')).toThrow(/outside the output folder/);
  });
});

describe('replay into LSLInput', () => {
  it('paced by the wall clock, a replay hands out only the samples already due', () => {
    const t = Float64Array.from({ length: 6000 }, (_, i) => 1e12 + i * 10); // 60 s at 100 Hz
    const clock = new ReplayClock(true);
    const replay = new StreamReplay({ descriptor: { id: 'e', name: 'e', kind: 'eeg', sampleRateHz: 100, channels: [] }, samples: new Float32Array(0), timestampsMs: t }, clock);
    const r = replay.read(6000, new Float32Array(0), new Float64Array(6000));
    expect(r.frames).toBeGreaterThanOrEqual(1);
    expect(r.frames).toBeLessThan(6000);
    expect(clock.done).toBe(false);
  });
});

describe('neurotab run: online pipelines and files', needsShared, () => {
  it('feeds LSLInput from an EDF recording; RecordToXDF writes exactly the recording (samples, stamps, markers), RecordToCSV the filtered rows', async () => {
    const out = mkdtempSync(join(tmpdir(), 'neurotab-np-io-'));
    const edf = sharedPath('data/edf/S001R04.edf');
    const { result, stderr } = await quietly(() => run([join(fixtures, 'np-io-record-online.pyp'), '--in', edf, '--out-dir', out, '--chunk', '37']));
    expect(stderr).not.toMatch(/error/i);
    expect(result).toBe(0);
    const rec = await readRecording(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf');
    const src = rec.streams[0];
    const xdf = readXdfStreams(new Uint8Array(readFileSync(join(out, 'raw-eeg.xdf'))), 'raw-eeg.xdf', { synchronizeClocks: false, dejitterTimestamps: false, handleClockResets: false });
    const eeg = xdf.streams.find((s) => s.type === 'EEG')!;
    expect(eeg.nominalSrateHz).toBe(160);
    expect(eeg.channelCount).toBe(64);
    expect(eeg.values!.length).toBe(src.samples.length);
    let worst = 0;
    for (let i = 0; i < src.samples.length; i++) worst = Math.max(worst, Math.abs(eeg.values![i] - src.samples[i]));
    expect(worst).toBe(0);
    for (const k of [0, 1, 9999, src.timestampsMs.length - 1]) expect(eeg.timeStampsS[k]).toBeCloseTo(src.timestampsMs[k] / 1000, 9);
    const mk = xdf.streams.find((s) => s.type === 'Markers')!;
    expect(mk.strings!.map((r) => r[0])).toEqual(rec.markers.map((m) => m.value));
    const csv = readFileSync(join(out, 'filtered.csv'), 'utf8').trimEnd().split('\n');
    expect(csv).toHaveLength(src.timestampsMs.length + 1);
    expect(csv[0].split(',')).toEqual([...src.descriptor.channels.map((c) => c.label), 'timestamp']);
    expect(Number(csv[1].split(',')[64])).toBe(src.timestampsMs[0] / 1000);
  });

  it('runs an offline .pyp: the files land under --out-dir (output_root kept, an absolute one replaced); without --out-dir it says to give one', async () => {
    const out = mkdtempSync(join(tmpdir(), 'neurotab-np-io-'));
    const edf = sharedPath('data/edf/S001R04.edf');
    const { result, stderr } = await quietly(() => run([join(fixtures, 'np-io-record-offline.pyp'), '--in', edf, '--out-dir', out]));
    expect(result).toBe(0);
    expect(stderr).toContain('absolute output_root "C:/Users/lab/Desktop/data" is replaced by the output folder');
    const rec = await readRecording(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf');
    const events = readFileSync(join(out, 'events.csv'), 'utf8').trimEnd().split('\n');
    expect(events.slice(1).map((l) => l.split(',')[1])).toEqual(rec.markers.map((m) => m.value));
    expect(readXdfStreams(new Uint8Array(readFileSync(join(out, 'session-1', 'filtered-eeg.xdf')))).streams[0].channelCount).toBe(64);
    expect(readFileSync(join(out, 'raw.mat')).subarray(0, 6).toString()).toBe('MATLAB');
    const refused = await quietly(() => run([join(fixtures, 'np-io-record-offline.pyp'), '--in', edf, '--out', join(out, 'o.json')]));
    expect(refused.result).toBe(2);
    expect(refused.stderr).toMatch(/writes files \(node "node3" filtered-eeg\.xdf.*give --out-dir DIR/);
  });

  it('refuses a file name that leaves --out-dir, and an LSLInput query no recording matches, saying what to change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'neurotab-np-io-'));
    const escape = join(dir, 'escape.json');
    writeFileSync(escape, pipeline([{ id: 'imp', type: 'ImportEDF', params: {} }, { id: 'rec', type: 'RecordToXDF', params: { filename: '../../x.xdf' } }], [['imp', 'rec']]));
    const a = await quietly(() => run([escape, '--in', sharedPath('data/edf/S001R04.edf'), '--out-dir', join(dir, 'out')]));
    expect(a.result).toBe(2);
    expect(a.stderr).toMatch(/node "rec" \(RecordToXDF\): "\.\.\/\.\.\/x\.xdf" would be written outside the output folder/);
    const query = join(dir, 'query.json');
    writeFileSync(query, pipeline([{ id: 'lsl', type: 'LSLInput', params: { query: "type='NIRS'" } }, { id: 'rec', type: 'RecordToXDF', params: { filename: 'x.xdf' } }], [['lsl', 'rec']]));
    const b = await quietly(() => run([query, '--in', sharedPath('data/edf/S001R04.edf'), '--out-dir', join(dir, 'out')]));
    expect(b.result).toBe(1);
    expect(b.stderr).toMatch(/node "lsl": LSLInput query "type='NIRS'" matches no stream .*S001R04\.edf: .*change the query/);
  });

  it("replays a recording in place of a device named by the author's lab (name='LiveAmpSN-…'), one recording per such LSLInput, with a warning", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'neurotab-np-io-'));
    const p = join(dir, 'named.json');
    const lsl = (id: string, name: string) => ({ id, type: 'LSLInput', params: { query: `name='${name}'` } });
    const rec = (id: string, filename: string) => ({ id, type: 'RecordToXDF', params: { filename } });
    writeFileSync(p, pipeline([lsl('a', 'LiveAmpSN-056309-0553'), lsl('b', 'openbci_eeg'), rec('ra', 'a.xdf'), rec('rb', 'b.xdf')], [['a', 'ra'], ['b', 'rb']]));
    const [r04, r08] = ['data/edf/S001R04.edf', 'data/edf/S001R08.edf'].map((f) => sharedPath(f));
    const { result, stderr } = await quietly(() => run([p, '--in', r04, '--in', r08, '--out-dir', dir]));
    expect(result, stderr).toBe(0);
    expect(stderr).toMatch(/warning: node "a": LSLInput query "name='LiveAmpSN-056309-0553'" matches no stream of the --in recordings; it replays S001R04\.edf's stream/);
    expect(stderr).toMatch(/warning: node "b": .* it replays S001R08\.edf's stream/);
    for (const [file, edf] of [['a.xdf', r04], ['b.xdf', r08]]) {
      const want = (await readRecording(new Uint8Array(readFileSync(edf)), 'x.edf')).streams[0];
      const got = readXdfStreams(new Uint8Array(readFileSync(join(dir, file)))).streams[0];
      expect(got.channelCount).toBe(want.descriptor.channels.length);
      expect(got.timeStampsS.length).toBe(want.timestampsMs.length);
      expect(Array.from(got.values!.subarray(0, 64))).toEqual(Array.from(want.samples.subarray(0, 64)));
    }
  });
});

describe('neurotab run: patterns of public NeuroPype pipelines (np-corpus-*.pyp)', needsShared, () => {
  const edf = () => sharedPath('data/edf/S001R04.edf');

  it('an unfilled dict ParameterPort leaves ImportXDF and Segmentation at their own values; SelectRange(frequency) before any spectrum passes the epochs on', async () => {
    const out = mkdtempSync(join(tmpdir(), 'neurotab-np-corpus-'));
    const { result, stderr } = await quietly(() => run([join(fixtures, 'np-corpus-offline.pyp'), '--in', edf(), '--out-dir', out]));
    expect(result, stderr).toBe(0);
    const rec = await readRecording(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf');
    const trials = rec.markers.filter((m) => m.value === 'T1').length;
    const [header, row, ...rest] = readFileSync(join(out, 'epochs.csv'), 'utf8').trimEnd().split('\n');
    expect(rest).toEqual([]);
    expect(row.split(',')[0]).toBe('Oz..'); // one channel (SelectRange space), all times of every T1 epoch of 1 s at 160 Hz
    expect(header.split(',').length - 1).toBe(trials * 161);
  });

  it("an LSLInput naming a lab's amplifier replays the recording; ShiftTimestamps subtracts offset and the FIR's delay (order 80 → 40 samples)", async () => {
    const out = mkdtempSync(join(tmpdir(), 'neurotab-np-corpus-'));
    const { result, stderr } = await quietly(() => run([join(fixtures, 'np-corpus-online.pyp'), '--in', edf(), '--out-dir', out]));
    expect(result, stderr).toBe(0);
    expect(stderr).toMatch(/LSLInput query "name='LiveAmpSN-000000-0001'" matches no stream .* it replays S001R04\.edf's stream "eeg"/);
    const src = (await readRecording(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf')).streams[0];
    const xdf = readXdfStreams(new Uint8Array(readFileSync(join(out, 'amp.xdf'))), 'amp.xdf', { synchronizeClocks: false, dejitterTimestamps: false, handleClockResets: false });
    const eeg = xdf.streams.find((s) => s.type === 'EEG')!;
    expect(eeg.timeStampsS.length).toBe(src.timestampsMs.length);
    for (const k of [0, 1, 9999, src.timestampsMs.length - 1]) expect(eeg.timeStampsS[k]).toBeCloseTo(src.timestampsMs[k] / 1000 - 0.05 - 40 / 160, 6);
  });
});

describe('neurotab run: ImportSET', () => {
  it('reads a .set with the .fdt beside it and exports its events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'neurotab-np-io-'));
    const p = join(dir, 'set.json');
    writeFileSync(p, pipeline([{ id: 'imp', type: 'ImportSET', params: { filename: 'continuous-fields.set' } }, { id: 'mk', type: 'ExportMarkers', params: { filename: 'events.csv' } }], [['imp', 'mk']]));
    const { result } = await quietly(() => run([p, '--in', join(eeglab, 'continuous-fields.set'), '--out-dir', dir, '--quiet']));
    expect(result).toBe(0);
    const expected = JSON.parse(readFileSync(join(eeglab, 'expected.json'), 'utf8')).raw['continuous-fields.set'] as { annotations: { onset: number; description: string }[] };
    const rows = readFileSync(join(dir, 'events.csv'), 'utf8').trimEnd().split('\n').slice(1).map((l) => l.split(','));
    // MNE's onsets (s); a numeric type: MNE writes str(2.0) = "2.0", we "2"
    expect(rows.map((r) => Number(r[0]))).toEqual(expected.annotations.map((a) => a.onset));
    expect(rows.map((r) => r[1])).toEqual(expected.annotations.map((a) => (/^-?\d+(\.\d+)?$/.test(a.description) ? String(Number(a.description)) : a.description)));
  });
});
