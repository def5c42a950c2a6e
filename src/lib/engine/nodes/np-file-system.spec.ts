import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeUtf8 } from '../../formats/bytes';
import { readRecording } from '../../formats/index';
import { readMat, type MatCell, type MatChar, type MatNumeric, type MatStruct } from '../../formats/mat';
import { readXdfStreams } from '../../formats/xdf';
import { needsShared, sharedBytes } from '../../../../tests/support/shared';
import { sliceAlong } from '../block';
import { markerChunk, markersOf, type Chunk, type TargetedMarker } from '../packet';
import { axisOf, epochsChunk, instantiate, makeStream, randomChunks, rng, signalFromChannelMajor } from '../testing';
import type { NodeClass, NodeInstance, PortValues } from '../types';
import { PipelineError } from '../document';
import { Execution } from '../runtime';
import { builtinRegistry } from './index';
import { exportCsv, exportMarkers, exportMat, FILE_OUTPUT_TYPES, importSet, recordToCsv, recordToXdf, type FileOutputs } from './np-file-system';

/** An in-memory FileOutputs: every file opened, by "root/filename", with its bytes (reopening truncates). */
function memoryFiles(): FileOutputs & { files: Map<string, Uint8Array[]>; closed: Set<string>; text(path: string): string; bytes(path: string): Uint8Array } {
  const files = new Map<string, Uint8Array[]>();
  const closed = new Set<string>();
  const bytes = (path: string) => {
    const parts = files.get(path);
    if (!parts) throw new Error(`no file ${path} (files: ${[...files.keys()].join(', ')})`);
    const out = new Uint8Array(parts.reduce((a, b) => a + b.length, 0));
    let o = 0;
    for (const b of parts) {
      out.set(b, o);
      o += b.length;
    }
    return out;
  };
  return {
    files,
    closed,
    bytes,
    text: (path) => decodeUtf8(bytes(path)),
    open(root, filename) {
      const path = root ? `${root}/${filename}` : filename;
      const parts: Uint8Array[] = [];
      files.set(path, parts);
      closed.delete(path);
      return { write: (b) => parts.push(b.slice()), close: () => closed.add(path) };
    },
  };
}

/** Feeds a signal in pieces (markers riding in the packet, as NeuroPype's LSLInput delivers them), then flushes. */
function feed(node: NodeInstance, signal: Chunk, sizes: number[], markers: TargetedMarker[] = []): void {
  const times = signal.block.axes[0] as { timesMs: Float64Array };
  const total = signal.block.shape[0];
  let pos = 0;
  let mi = 0;
  for (const n of sizes) {
    const end = Math.min(total, pos + n);
    const piece = new Map([['eeg', { block: sliceAlong(signal.block, 0, pos, end), props: signal.props }]]);
    const limit = end >= total ? Infinity : times.timesMs[end];
    const evs: TargetedMarker[] = [];
    while (mi < markers.length && markers[mi].timestampMs < limit) evs.push(markers[mi++]);
    if (evs.length) piece.set('markers', markerChunk(evs));
    node.process({ data: piece } as PortValues);
    pos = end;
  }
  node.flush?.();
}

function bound(cls: NodeClass, params: Record<string, unknown>) {
  const files = memoryFiles();
  const { node, logs } = instantiate(cls, params);
  node.bind!(files);
  return { node, files, logs };
}

const N = 1000;
const stream = makeStream(['C3', 'Cz', 'C4'], 250);
const r = rng(7);
const channelMajor = Float64Array.from({ length: 3 * N }, () => r() * 200 - 100);
const t0Ms = 1.7e12 + 0.25;
const signal = signalFromChannelMajor(stream, channelMajor, N, t0Ms);
const markers: TargetedMarker[] = [
  { timestampMs: t0Ms + 400, value: 'left' },
  { timestampMs: t0Ms + 1600, value: 'right' },
  { timestampMs: t0Ms + 3000, value: 'left' },
];

describe('RecordToXDF (io.record-to-xdf)', () => {
  it('writes every chunk as an XDF stream that the XDF reader reads back exactly, whatever the chunking', () => {
    const readBack = (sizes: number[]) => {
      const { node, files } = bound(recordToXdf, { filename: 'raw-eeg.xdf', output_root: 'session1' });
      feed(node, signal, sizes, markers);
      expect(files.closed.has('session1/raw-eeg.xdf')).toBe(true);
      return readXdfStreams(files.bytes('session1/raw-eeg.xdf'), 'raw-eeg.xdf', { synchronizeClocks: false, dejitterTimestamps: false, handleClockResets: false });
    };
    const one = readBack([N]);
    const eeg = one.streams.find((s) => s.type === 'EEG')!;
    expect(eeg.channelCount).toBe(3);
    expect(eeg.nominalSrateHz).toBe(250);
    expect(eeg.channelFormat).toBe('float32');
    expect(eeg.footer).toBeDefined();
    const want = signal.block.data as Float32Array;
    expect(Array.from(eeg.values!)).toEqual(Array.from(want));
    const stamps = (signal.block.axes[0] as { timesMs: Float64Array }).timesMs;
    for (let k = 0; k < N; k += 97) expect(eeg.timeStampsS[k]).toBeCloseTo(stamps[k] / 1000, 9);
    const mk = one.streams.find((s) => s.type === 'Markers')!;
    expect(mk.strings).toEqual([['left'], ['right'], ['left']]);
    expect(Array.from(mk.timeStampsS)).toEqual(markers.map((m) => m.timestampMs / 1000));
    const many = readBack(randomChunks(N, 11, 60));
    expect(many.streams.map((s) => [s.name, s.type, s.channelCount, Array.from(s.values ?? []), s.strings ?? null])).toEqual(one.streams.map((s) => [s.name, s.type, s.channelCount, Array.from(s.values ?? []), s.strings ?? null]));
    const oneEeg = one.streams.find((s) => s.type === 'EEG')!.timeStampsS;
    const manyEeg = many.streams.find((s) => s.type === 'EEG')!.timeStampsS;
    expect(Array.from(manyEeg)).toEqual(Array.from(oneEeg));
  });

  it('closes the file on close_on_marker and writes nothing after it', () => {
    const { node, files, logs } = bound(recordToXdf, { filename: 'x.xdf', close_on_marker: 'right' });
    feed(node, signal, randomChunks(N, 3, 80), markers);
    const rec = readXdfStreams(files.bytes('x.xdf'), 'x.xdf', { dejitterTimestamps: false });
    const mk = rec.streams.find((s) => s.type === 'Markers')!;
    expect(mk.strings).toEqual([['left'], ['right']]);
    const eeg = rec.streams.find((s) => s.type === 'EEG')!;
    // the packet carrying "right" (at 1.6 s = sample 400) is the last one written
    expect(eeg.timeStampsS.length).toBeGreaterThan(400);
    expect(eeg.timeStampsS.length).toBeLessThan(400 + 80);
    expect(logs.some((l) => l.message.includes('"right" received'))).toBe(true);
  });

  it('writes float64 data as double64 with allow_double, segments one sample per time point stamped instance time + offset', () => {
    const st = makeStream(['a', 'b'], 100);
    const ep = epochsChunk(st, [{ samples: [1, 2, 3, 4, 5, 6], timeMs: 5000, marker: 'x' }, { samples: [7, 8, 9, 10, 11, 12], timeMs: 9000, marker: 'y' }], 3, -10);
    const d64 = { block: { ...ep.block, data: Float64Array.from(ep.block.data) }, props: ep.props };
    const { node, files } = bound(recordToXdf, { filename: 'ep.xdf', allow_double: true });
    node.process({ data: new Map([['eeg', d64]]) });
    node.flush!();
    const s = readXdfStreams(files.bytes('ep.xdf'), 'ep.xdf', { dejitterTimestamps: false }).streams[0];
    expect(s.channelFormat).toBe('double64');
    expect(s.nominalSrateHz).toBe(0);
    expect(s.values!.length).toBe(12);
    const times = (ep.block.axes[1] as { timesMs: Float64Array }).timesMs;
    expect(Array.from(s.timeStampsS)).toEqual([0, 1, 2].map((k) => (5000 + times[k]) / 1000).concat([0, 1, 2].map((k) => (9000 + times[k]) / 1000)));
  });

  it('starts a new XDF stream when a chunk\'s layout changes (another channel set)', () => {
    const { node, files } = bound(recordToXdf, { filename: 'l.xdf' });
    node.process({ data: new Map([['eeg', signal]]) });
    node.process({ data: new Map([['eeg', signalFromChannelMajor(makeStream(['O1', 'O2'], 250), new Float64Array(20), 10, t0Ms + 4000)]]) });
    node.flush!();
    const s = readXdfStreams(files.bytes('l.xdf'), 'l.xdf', { dejitterTimestamps: false }).streams;
    expect(s.map((x) => [x.channelCount, x.timeStampsS.length, x.footer !== undefined])).toEqual([[3, N, true], [2, 10, true]]);
  });

  it('logs once and writes nothing without a file output; refuses cloud storage and an empty filename at creation', () => {
    const { node, logs } = instantiate(recordToXdf, { filename: 'a.xdf' });
    feed(node, signal, [300, 700]);
    expect(logs.filter((l) => l.level === 30)).toHaveLength(1);
    expect(logs[0].message).toContain('--out-dir');
    expect(() => instantiate(recordToXdf, { filename: 'a.xdf', cloud_bucket: 'lab' })).toThrow(/cloud_bucket "lab": cloud storage is not supported; set it back to ""/);
    expect(() => instantiate(recordToXdf, { filename: ' ' })).toThrow(/filename is empty/);
  });
});

describe('RecordToCSV (io.record-to-csv)', () => {
  it('appends one row per sample with a header and a time stamp column, whatever the chunking', () => {
    const text = (sizes: number[]) => {
      const { node, files } = bound(recordToCsv, { filename: 'eeg.csv', timestamp_label: 'lsl_time' });
      feed(node, signal, sizes, markers);
      return files.text('eeg.csv');
    };
    const one = text([N]);
    expect(text(randomChunks(N, 5, 70))).toBe(one);
    const lines = one.trimEnd().split('\n');
    expect(lines[0]).toBe('C3,Cz,C4,lsl_time');
    expect(lines).toHaveLength(N + 1);
    const data = signal.block.data as Float32Array;
    const stamps = (signal.block.axes[0] as { timesMs: Float64Array }).timesMs;
    for (const k of [0, 1, 499, 999]) {
      const cells = lines[k + 1].split(',').map(Number);
      expect(cells.slice(0, 3).map(Math.fround)).toEqual(Array.from(data.subarray(k * 3, k * 3 + 3)));
      expect(cells[3]).toBe(stamps[k] / 1000);
    }
  });

  it('refuses markers at load and a changed channel count at run time, saying what to do', () => {
    const reg = builtinRegistry();
    expect(reg.find('RecordToCSV')).toBe(recordToCsv);
    const doc = (sink: string) => ({
      format: 'neurotab.pipeline',
      version: 1,
      meta: { name: 't', description: '' },
      nodes: [{ id: 'mk', type: 'io.marker-input' }, { id: 'rec', type: sink, params: { filename: 'm.csv' } }],
      edges: [{ source: 'mk', sourcePort: 'markers', target: 'rec', targetPort: 'data' }],
    });
    let refused: unknown;
    try {
      new Execution(reg).load(doc('RecordToCSV'));
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(PipelineError);
    expect((refused as PipelineError).issues.map((i) => i.message).join('\n')).toMatch(/RecordToCSV.*record markers with ExportMarkers or RecordToXDF/s);
    expect(() => new Execution(reg).load(doc('ExportMarkers'))).not.toThrow();
    const { node } = bound(recordToCsv, { filename: 'e.csv', column_header: false, time_stamps: false });
    node.process({ data: new Map([['eeg', signal]]) });
    const two = signalFromChannelMajor(makeStream(2, 250), new Float64Array(20), 10);
    expect(() => node.process({ data: new Map([['eeg', two]]) })).toThrow(/now has 2 columns but the file was started with 3.*own file/);
  });
});

describe('ExportCSV (io.export-csv)', () => {
  const st = makeStream(['Fz', 'Pz'], 100);
  const ep = epochsChunk(st, [{ samples: [1, 2, 3, 4], timeMs: 1000, marker: 'a' }, { samples: [5, 6, 7, 8], timeMs: 2000, marker: 'b' }], 2, 0);

  it('writes instances concatenated along time, channels as columns, time stamps appended', () => {
    const { node, files } = bound(exportCsv, { filename: 'erp.csv' });
    node.process({ data: new Map([['eeg', ep], ['markers', markerChunk([{ timestampMs: 1, value: 'a' }])]]) });
    expect(files.files.size).toBe(0); // written when the input ends
    node.flush!();
    const t = (ep.block.axes[1] as { timesMs: Float64Array }).timesMs;
    const ts = [1000 + t[0], 1000 + t[1], 2000 + t[0], 2000 + t[1]].map((x) => String(x / 1000));
    // epochsChunk lays each epoch's samples frame-major: frame 0 = [1, 2], frame 1 = [3, 4]
    expect(files.text('erp.csv')).toBe(`Fz,Pz,timestamp\n1,2,${ts[0]}\n3,4,${ts[1]}\n5,6,${ts[2]}\n7,8,${ts[3]}\n`);
  });

  it('col_axis "time" transposes; no headers when asked', () => {
    const { node, files } = bound(exportCsv, { filename: 'e.csv', col_axis: 'time', column_header: false });
    node.process({ data: new Map([['eeg', ep]]) });
    node.flush!();
    expect(files.text('e.csv')).toBe('Fz,1,3,5,7\nPz,2,4,6,8\n');
  });
});

describe('ExportMarkers (io.export-markers)', () => {
  it('writes every marker in time order with its fields, streaming pieces joined', () => {
    const { node, files } = bound(exportMarkers, {});
    node.process({ data: new Map([['eeg', signal], ['markers', markerChunk([{ timestampMs: 2500, value: 'b', target: 1 }])]]) });
    node.process({ data: new Map([['markers', markerChunk([{ timestampMs: 1500, value: 'a, quoted "x"', durationMs: 20 }])]]) });
    node.flush!();
    expect(files.text('markers.csv')).toBe('timestamp,marker,TargetValue,DurationMs\n1.5,"a, quoted ""x""",,20\n2.5,b,1,\n');
  });
});

describe('ExportMAT (io.export-mat)', () => {
  it('writes one struct per chunk with data, axes and props (read back with the MAT reader)', () => {
    const { node, files } = bound(exportMat, { filename: 'out.mat', output_root: 'm' });
    feed(node, signal, randomChunks(N, 9, 200), markers);
    const mat = readMat(files.bytes('m/out.mat'));
    const eeg = mat.variables.eeg as MatStruct;
    const data = eeg.elements[0].data as MatNumeric;
    expect(data.dims).toEqual([N, 3]);
    // column-major in the file: element (f, c) at c·N + f
    const want = signal.block.data as Float32Array;
    for (const [f, c] of [[0, 0], [10, 2], [999, 1]]) expect(data.real[c * N + f]).toBe(want[f * 3 + c]);
    const axes = eeg.elements[0].axes as MatCell;
    const space = axes.cells[1] as MatStruct;
    expect((space.elements[0].type as MatChar).text).toBe('space');
    expect(((space.elements[0].names as MatCell).cells as MatChar[]).map((c) => c.text)).toEqual(['C3', 'Cz', 'C4']);
    const mk = mat.variables.markers as MatStruct;
    const inst = ((mk.elements[0].axes as MatCell).cells[0] as MatStruct).elements[0];
    expect(Array.from((inst.times as MatNumeric).real as Float64Array)).toEqual(markers.map((m) => m.timestampMs / 1000));
  });
});

describe('ImportSET (io.import-set)', () => {
  it('is the whole-recording importer for EEGLAB sets: the samples MNE reads, events as markers', async () => {
    const dir = new URL('../../../../tests/formats/eeglab/', import.meta.url);
    const file = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
    const expected = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')).raw['continuous-fields.set'];
    const rec = await readRecording(file('continuous-fields.set'), 'continuous-fields.set', { companion: (n) => file(n) });
    expect(builtinRegistry().find('ImportSET')).toBe(importSet);
    const { node } = instantiate(importSet, { filename: 'continuous-fields.set' });
    node.bind!(rec);
    const out = node.pull!()!.data!;
    const eeg = out.get('eeg')!;
    expect(eeg.props.is_streaming).toBe(false);
    expect(eeg.block.shape).toEqual([expected.n_times, expected.ch_names.length]);
    const raw = file(expected.data);
    const mne = new Float64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8);
    // MNE's array is channels × times in volts; ours time × space in µV
    let worst = 0;
    const n = expected.n_times;
    for (let c = 0; c < expected.ch_names.length; c++) for (let f = 0; f < n; f++) worst = Math.max(worst, Math.abs(eeg.block.data[f * expected.ch_names.length + c] * 1e-6 - mne[c * n + f]));
    expect(worst).toBeLessThan(1e-9);
    // a numeric event type: MNE writes Python's str(2.0) = "2.0", EEGLAB's reader here 2's shortest decimal "2"
    const same = (v: string) => (/^-?\d+(\.\d+)?$/.test(v) ? String(Number(v)) : v);
    expect(markersOf(out.get('markers')!).map((e) => [e.timestampMs, e.value])).toEqual(expected.annotations.map((a: { onset: number; description: string }) => [a.onset * 1000, same(a.description)]));
    // chanlocs positions on the space axis (MNE's montage positions; unlocalized channels NaN)
    const space = axisOf(eeg, 'space');
    space.channels.forEach((ch, i) => {
      const theirs = expected.positions[ch.label] as number[] | undefined;
      if (theirs) theirs.forEach((v, k) => expect(space.positions![3 * i + k]).toBeCloseTo(v, 12));
    });
    expect(() => instantiate(importSet, { filename: 'a.set', cloud_host: 'S3' })).toThrow(/cloud_host/);
  });
});

describe('file outputs', () => {
  it('every file-writing class is registered and listed for the host to bind', () => {
    const reg = builtinRegistry();
    for (const [cls, np] of [[recordToXdf, 'RecordToXDF'], [recordToCsv, 'RecordToCSV'], [exportCsv, 'ExportCSV'], [exportMarkers, 'ExportMarkers'], [exportMat, 'ExportMAT']] as const) {
      expect(reg.find(np)).toBe(cls);
      expect(FILE_OUTPUT_TYPES.has(cls.type)).toBe(true);
    }
    expect(reg.find('neuropype.nodes.markers.ExportMarkers')).toBe(exportMarkers);
  });
});

describe('recorders in a calibrating offline run', () => {
  it('the second pass of a two-pass calibration rewrites the file: the recording is in it once', needsShared, async () => {
    const doc = JSON.parse(readFileSync(new URL('../../../../tests/fixtures/pipelines/motor-imagery-calibration.json', import.meta.url), 'utf8'));
    doc.nodes.push({ id: 'xdf', type: 'RecordToXDF', params: { filename: 'band.xdf' } });
    doc.edges.push({ source: 'band', target: 'xdf' });
    const ex = new Execution(builtinRegistry());
    ex.load(doc);
    const rec = await readRecording(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf');
    ex.bind('rec', rec);
    const files = memoryFiles();
    ex.bind('xdf', files);
    ex.runOffline();
    expect(ex.errors()).toEqual([]);
    const s = readXdfStreams(files.bytes('band.xdf'), 'band.xdf', { dejitterTimestamps: false }).streams;
    expect(s.map((x) => x.timeStampsS.length)).toEqual([rec.streams[0].timestampsMs.length]);
  });
});
