import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { recordToCsv, recordToXdf } from '../engine/nodes/np-file-system';
import { markerChunk } from '../engine/packet';
import { instantiate, makeStream, signalFromChannelMajor } from '../engine/testing';
import { NeurotabDb } from './db';
import { loadRecordingData } from './library';
import { LibraryFileOutputs } from './pipeline-files';

describe('pipeline files in the app (LibraryFileOutputs)', () => {
  it('a RecordToXDF file becomes a recording of the library with the samples, stamps and markers recorded', async () => {
    const db = new NeurotabDb(`test-${Math.random()}`);
    const notes: string[] = [];
    const saved: string[] = [];
    const files = new LibraryFileOutputs(db, { note: (m) => notes.push(m), saved: (row, name) => saved.push(`${row.id}:${name}`) });
    const stream = makeStream(['Fz', 'Cz'], 100);
    const x = Float64Array.from({ length: 2 * 300 }, (_, i) => Math.sin(i / 7) * 50);
    const sig = signalFromChannelMajor(stream, x, 300, 1.7e12);
    const { node } = instantiate(recordToXdf, { filename: 'raw-eeg.xdf', output_root: '/abs/elsewhere' });
    node.bind!(files);
    node.process({ data: new Map([['eeg', sig], ['markers', markerChunk([{ timestampMs: 1.7e12 + 500, value: 'go' }])]]) });
    node.flush!();
    await Promise.all(files.pending);
    expect(notes).toEqual([]);
    expect(saved).toHaveLength(1);
    const rec = await loadRecordingData(db, saved[0].split(':')[0]);
    expect(rec.streams[0].descriptor.channels.map((c) => c.label)).toEqual(['Fz', 'Cz']);
    expect(Array.from(rec.streams[0].samples)).toEqual(Array.from(sig.block.data));
    expect(rec.streams[0].timestampsMs[299]).toBeCloseTo(1.7e12 + 2990, 3);
    expect(rec.markers.map((m) => m.value)).toEqual(['go']);
    db.close();
  });

  it('says once that other files are kept only by the CLI', () => {
    const notes: string[] = [];
    const files = new LibraryFileOutputs(new NeurotabDb(`test-${Math.random()}`), { note: (m) => notes.push(m) });
    const { node } = instantiate(recordToCsv, { filename: 'f.csv' });
    node.bind!(files);
    const sig = signalFromChannelMajor(makeStream(1, 10), [1, 2, 3], 3);
    node.process({ data: new Map([['eeg', sig]]) });
    node.process({ data: new Map([['eeg', sig]]) });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/"f\.csv" is not kept.*--out-dir/);
  });
});
