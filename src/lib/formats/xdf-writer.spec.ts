// The XDF writer checked two ways: read back by our reader (src/lib/formats/xdf.ts), and by an
// independent reader written from the XDF specification in Python (tests/peers/xdf_read.py,
// standard library only: pyxdf is not packaged by Debian). Real files from ../shared/data/xdf are
// re-written through reader → writer → reader and must come back equal.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasShared, sharedBytes } from '../../../tests/support/shared';
import { concatBytes } from './bytes';
import { readXdfStreams, type XdfStreamInfo } from './xdf';
import { XdfWriter, type XdfChannelFormat, type XdfStreamDefinition } from './xdf-writer';
import { textElement } from './xml-lite';

const RAW = { synchronizeClocks: false, dejitterTimestamps: false } as const;
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const tmp = mkdtempSync(join(tmpdir(), 'xdf-writer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function collect(): { parts: Uint8Array[]; bytes: () => Uint8Array } {
  const parts: Uint8Array[] = [];
  return { parts, bytes: () => concatBytes(parts) };
}

/** The Python reader's view of a file. */
function pythonRead(bytes: Uint8Array, name: string): any {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return JSON.parse(execFileSync(python, ['tests/peers/xdf_read.py', path], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }));
}

// Values exact in each format, with the edges of every integer range.
const CASES: { format: XdfChannelFormat; values: number[] }[] = [
  { format: 'int8', values: [-128, 127, 0, -1, 5, 100] },
  { format: 'int16', values: [-32768, 32767, 0, -1, 1234, -4321] },
  { format: 'int32', values: [-2147483648, 2147483647, 0, -1, 65537, -99999] },
  { format: 'int64', values: [-(2 ** 53), 2 ** 53, 0, -1, 2147483649, -2147483650] },
  { format: 'float32', values: [Math.fround(0.1), -Math.fround(3.25e-20), Math.fround(1e30), 0, -0, Math.fround(Math.PI)] },
  { format: 'double64', values: [0.1, -3.25e-300, Math.PI, 1e308, -5e-324, 2 ** 60 + 2 ** 10] },
];

function definition(format: XdfChannelFormat, channelCount: number, nominalSrateHz: number, name = `s-${format}`): XdfStreamDefinition {
  return {
    name,
    type: format === 'string' ? 'Markers' : 'EEG',
    channelCount,
    nominalSrateHz,
    channelFormat: format,
    sourceId: `src-${format}`,
    uid: `uid-${format}`,
    hostname: 'lab-pc',
    createdAtS: 1234.5678,
    channels: Array.from({ length: channelCount }, (_, c) => ({ label: `ch<${c}>&`, unit: 'microvolts', type: 'EEG' })),
    desc: [textElement('manufacturer', 'Neurotab "tests"')],
  };
}

describe('XdfWriter → our reader and the Python reader', () => {
  // Two channels, 300 samples (a 4-byte sample count), regular 250 Hz timestamps with a jittered
  // stretch (explicit) in between, two chunks, two clock offsets, a boundary, footer on close.
  const n = 300;
  const fs = 250;
  const t0 = 100.004;
  const stamps: number[] = [];
  for (let k = 0; k < n; k++) stamps.push(k === 0 ? t0 : k >= 120 && k < 140 ? stamps[k - 1] + 1 / fs + 1e-5 * (k % 3) : stamps[k - 1] + 1 / fs);
  const sink = collect();
  const w = new XdfWriter((b) => sink.parts.push(b), { fileHeader: [textElement('datetime', '2026-01-02T03:04:05+0000')] });
  const ids = CASES.map(({ format }) => w.addStream(definition(format, 2, fs)));
  const valuesOf = (values: number[]) => Array.from({ length: n * 2 }, (_, i) => values[i % values.length]);
  CASES.forEach(({ format, values }, s) => {
    const all = valuesOf(values);
    w.writeSamples(ids[s], stamps.slice(0, 150), format === 'int64' ? BigInt64Array.from(all.slice(0, 300), BigInt) : all.slice(0, 300));
    w.writeClockOffset(ids[s], 101.5, -0.0025);
  });
  w.writeBoundary();
  CASES.forEach(({ format, values }, s) => {
    const all = valuesOf(values);
    w.writeSamples(ids[s], stamps.slice(150), format === 'int64' ? all.slice(300) : all.slice(300));
    w.writeClockOffset(ids[s], 103.5, -0.0031);
  });
  // int64 beyond 2^53 (BigInt64Array), strings (UTF-8, empty, longer than 255 bytes), irregular rate.
  const big = w.addStream(definition('int64', 1, 0, 'big'));
  const bigValues = BigInt64Array.from([2n ** 62n + 1n, -(2n ** 63n), 2n ** 63n - 1n]);
  w.writeSamples(big, [1, 2, 3], bigValues);
  const markers = w.addStream(definition('string', 2, 0, 'markers'));
  const strings = ['stimulus/left', 'é→𝄞', '', 'x'.repeat(300), 'a "quoted" <tag>', 'last'];
  w.writeSamples(markers, [10.25, 10.25, 11.5], strings);
  w.close();
  const bytes = sink.bytes();

  it('our reader reads back values, timestamps, channel metadata, clock offsets and footers', () => {
    const { fileHeader, streams } = readXdfStreams(bytes, 'written.xdf', RAW);
    expect(fileHeader?.children.map((c) => [c.tag, c.text])).toEqual([['version', '1.0'], ['datetime', '2026-01-02T03:04:05+0000']]);
    expect(streams).toHaveLength(CASES.length + 2);
    CASES.forEach(({ format, values }, s) => {
      const st = streams[s];
      expect(st).toMatchObject({ streamId: ids[s], name: `s-${format}`, type: 'EEG', channelCount: 2, nominalSrateHz: 250, channelFormat: format });
      expect(Array.from(st.values!)).toEqual(valuesOf(values));
      expect(Array.from(st.timeStampsS)).toEqual(stamps);
      expect(st.clockTimesS).toEqual([101.5, 103.5]);
      expect(st.clockValuesS).toEqual([-0.0025, -0.0031]);
      const channels = st.header.children.find((c) => c.tag === 'desc')!.children[0].children;
      expect(channels.map((c) => c.children.map((x) => [x.tag, x.text]))).toEqual([0, 1].map((c) => [['label', `ch<${c}>&`], ['unit', 'microvolts'], ['type', 'EEG']]));
      const footer = Object.fromEntries(st.footer!.children.map((c) => [c.tag, c.text]));
      expect(footer).toMatchObject({ first_timestamp: String(t0), last_timestamp: String(stamps[n - 1]), sample_count: '300' });
      expect(st.footer!.children.find((c) => c.tag === 'clock_offsets')!.children.map((o) => o.children.map((x) => Number(x.text)))).toEqual([[101.5, -0.0025], [103.5, -0.0031]]);
    });
    const b = streams[CASES.length];
    expect(Array.from(b.values!)).toEqual(Array.from(bigValues, Number)); // our reader keeps int64 as float64
    const m = streams[CASES.length + 1];
    expect(m.strings).toEqual([strings.slice(0, 2), strings.slice(2, 4), strings.slice(4)]);
    expect(Array.from(m.timeStampsS)).toEqual([10.25, 10.25, 11.5]);
  });

  it('the Python reader of the specification sees the same file (int64 exact, strings UTF-8)', () => {
    const py = pythonRead(bytes, 'written.xdf');
    expect(py.file_header).toEqual({ version: '1.0', datetime: '2026-01-02T03:04:05+0000' });
    expect(py.boundaries).toBe(1);
    CASES.forEach(({ format, values }, s) => {
      const st = py.streams[s];
      expect(st.header).toMatchObject({ name: `s-${format}`, channel_count: '2', channel_format: format, nominal_srate: '250', source_id: `src-${format}`, uid: `uid-${format}`, hostname: 'lab-pc', created_at: '1234.5678' });
      expect(st.channels).toEqual([0, 1].map((c) => ({ label: `ch<${c}>&`, unit: 'microvolts', type: 'EEG' })));
      expect(st.desc_xml).toContain('<manufacturer>Neurotab "tests"</manufacturer>');
      const expected = valuesOf(values);
      const rows: number[][] = [];
      for (let k = 0; k < n; k++) rows.push(expected.slice(2 * k, 2 * k + 2).map((v) => (format === 'int64' ? String(v) : v)) as number[]);
      expect(st.values).toEqual(rows);
      expect(st.timestamps).toEqual(stamps);
      expect(st.clock_offsets).toEqual([[101.5, -0.0025], [103.5, -0.0031]]);
      expect(st.footer_offsets).toEqual([[101.5, -0.0025], [103.5, -0.0031]]);
      expect(st.footer).toMatchObject({ sample_count: '300', first_timestamp: String(t0) });
    });
    expect(py.streams[CASES.length].values).toEqual(Array.from(bigValues, (v) => [String(v)]));
    expect(py.streams[CASES.length + 1].values).toEqual([strings.slice(0, 2), strings.slice(2, 4), strings.slice(4)]);
  });

  it('omits the timestamps a reader deduces (previous + 1/srate) and keeps the others', () => {
    const one = collect();
    const w1 = new XdfWriter((b) => one.parts.push(b));
    const id = w1.addStream(definition('float32', 1, 100));
    const t: number[] = [5];
    for (let k = 1; k < 1000; k++) t.push(t[k - 1] + 1 / 100);
    t[500] += 0.003; // one late sample: it and the one after carry their timestamps
    w1.writeSamples(id, t, new Array(1000).fill(1));
    const samplesChunk = one.parts[3];
    // 3 explicit timestamps (first, late, after the late one) × 9 bytes, 997 deduced × 1 byte, 1000 × 4 value bytes.
    expect(samplesChunk.length).toBe(1 + 4 + 2 + 4 + 5 + 3 * 9 + 997 + 4000);
    expect(Array.from(readXdfStreams(one.bytes(), 'd.xdf', RAW).streams[0].timeStampsS)).toEqual(t);
    expect(pythonRead(one.bytes(), 'd.xdf').streams[0].timestamps).toEqual(t);
  });

  it('stores non-finite floats and saturates out-of-range integers', () => {
    const one = collect();
    const w1 = new XdfWriter((b) => one.parts.push(b));
    const f = w1.addStream(definition('float32', 3, 0));
    const i = w1.addStream(definition('int16', 3, 0));
    w1.writeSamples(f, [1], [NaN, Infinity, -Infinity]);
    w1.writeSamples(i, [1], [40000.7, -40000, -12.9]);
    const ours = readXdfStreams(one.bytes(), 'n.xdf', RAW).streams;
    expect(Array.from(ours[0].values!)).toEqual([NaN, Infinity, -Infinity]);
    expect(Array.from(ours[1].values!)).toEqual([32767, -32768, -12]);
    const py = pythonRead(one.bytes(), 'n.xdf');
    expect(py.streams[0].values).toEqual([['NaN', 'Infinity', '-Infinity']]);
    expect(py.streams[1].values).toEqual([[32767, -32768, -12]]);
    expect(py.streams[0].footer).toBeNull(); // no close(): the footers are not written
  });

  it('refuses calls that would write a broken file, naming the problem', () => {
    const w1 = new XdfWriter(() => {});
    const id = w1.addStream(definition('float32', 2, 10));
    expect(() => w1.writeSamples(id, [1, 2], [1, 2, 3])).toThrow('stream 1: 3 values for 2 samples × 2 channels');
    expect(() => w1.writeSamples(id, [1], ['a', 'b'])).toThrow('stream 1 is float32: pass numbers');
    expect(() => w1.writeSamples(7, [1], [1, 2])).toThrow('stream 7 has no header in this file (call addStream first)');
    expect(() => w1.addStream(definition('float32', 2, 10), id)).toThrow('stream id 1 is already in this file');
    expect(() => w1.addStream({ ...definition('float32', 2, 10), channelCount: 0 })).toThrow('channel_count "0" is not a positive integer');
    w1.writeFooter(id);
    expect(() => w1.writeSamples(id, [3], [1, 2])).toThrow('stream 1 is finished (its footer is written)');
  });
});

/** Re-write what the reader returned (raw timestamps) with the writer: headers, samples, offsets, footers. */
function rewrite(fileHeader: ReturnType<typeof readXdfStreams>['fileHeader'], streams: XdfStreamInfo[]): Uint8Array {
  const out = collect();
  const w = new XdfWriter((b) => out.parts.push(b), { fileHeader: fileHeader?.children.filter((c) => c.tag !== 'version') });
  for (const s of streams) {
    w.addStream(s.header, s.streamId);
    w.writeSamples(s.streamId, s.timeStampsS, s.strings ? s.strings.flat() : s.values!);
    s.clockTimesS.forEach((t, k) => w.writeClockOffset(s.streamId, t, s.clockValuesS[k]));
    if (s.footer) w.writeFooter(s.streamId, s.footer);
  }
  return out.bytes();
}

describe.skipIf(!hasShared)('real XDF files: reader → writer → reader', () => {
  for (const file of ['xdfmodules_minimal.xdf', 'xdfmodules_clock_resets.xdf', 'xdfmodules_empty_streams.xdf']) {
    it(`${file} comes back equal`, () => {
      const original = readXdfStreams(sharedBytes(`data/xdf/${file}`), file, RAW);
      const again = readXdfStreams(rewrite(original.fileHeader, original.streams), file, RAW);
      expect(again.fileHeader).toEqual(original.fileHeader);
      expect(again.streams.length).toBe(original.streams.length);
      original.streams.forEach((s, k) => {
        const a = again.streams[k];
        expect(a.streamId).toBe(s.streamId);
        expect(a.header).toEqual(s.header);
        expect(a.footer).toEqual(s.footer);
        expect(Array.from(a.timeStampsS)).toEqual(Array.from(s.timeStampsS));
        if (s.strings) expect(a.strings).toEqual(s.strings);
        else expect(Array.from(a.values!)).toEqual(Array.from(s.values!));
        expect(a.clockTimesS).toEqual(s.clockTimesS);
        expect(a.clockValuesS).toEqual(s.clockValuesS);
      });
      // And with pyxdf's default processing the two read the same, too.
      const synced = (b: Uint8Array) => readXdfStreams(b, file).streams.map((s) => Array.from(s.timeStampsS));
      expect(synced(rewrite(original.fileHeader, original.streams))).toEqual(synced(sharedBytes(`data/xdf/${file}`)));
    });
  }
});
