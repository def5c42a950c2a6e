// A .pyp pipeline wired as real NeuroPype files wire these classes (PYP.md §1.4, §1.6): value nodes
// build ImportEDF's file name; ShiftTimestamps, ExtractStreams, InsertMarkers, SelectInstances,
// MergeStreams, Segmentation, RenameStreams, SetStreamProperties, DiscardLongChunks, HoldLastPacket
// and ExtractChannels turn the task blocks (T1 … next T0) of a PhysioNet EEGMMIDB run into 1 s epochs
// every second. Checked against the recording itself: marker times from its EDF+ annotations,
// epoch data equal to its samples.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { needsShared, sharedBytes } from '../../../../tests/support/shared';
import { readPipelineText, pypToPipeline } from '../../formats/pyp';
import { readRecording } from '../../formats/index';
import { MARKER } from '../axes';
import { parsePipelineDocument } from '../document';
import { concatPackets, copyPacket, type Packet } from '../packet';
import { registryResolver } from '../registry';
import { Execution } from '../runtime';
import { axisOf, slab } from '../testing';
import { builtinRegistry } from './index';

describe('np-stream-task-epochs.pyp on S001R04.edf', needsShared, () => {
  it('loads, resolves every class, and gives one 1 s epoch per second of every task block, equal to the recording', async () => {
    const text = readFileSync(new URL('./fixtures/np-stream-task-epochs.pyp', import.meta.url), 'utf8');
    const read = readPipelineText(text, 'np-stream-task-epochs.pyp');
    if (read.kind !== 'pyp') throw new Error('expected a .pyp');
    const reg = builtinRegistry();
    const { doc, warnings } = pypToPipeline(read.graph, registryResolver(reg), 'np-stream-task-epochs.pyp');
    expect(warnings).toEqual([]);
    const idOf = (cls: string) => parsePipelineDocument(doc).nodes.find((n) => (doc.ui as any).neuropype.nodes[n.id].class === cls)!.id;

    const rec = await readRecording(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf');
    const ex = new Execution(reg, { info: { errorMode: 'stop' } });
    ex.load(doc);
    expect(ex.getParams(idOf('ImportEDF')).filename).toBe('S001R04.edf');
    ex.bind(idOf('ImportEDF'), rec);
    let out: Packet | undefined;
    ex.tap(idOf('HoldLastPacket'), 'data', (p: Packet) => void (out = out ? concatPackets(out, copyPacket(p)) : copyPacket(p)));
    ex.runOffline();
    expect(ex.errors()).toEqual([]);

    // expected: T1 … the next T0, one marker a second up to 1 s before T0, all shifted by +0.5 s
    const ms = [...rec.markers].sort((a, b) => a.timestampMs - b.timestampMs);
    const want: number[] = [];
    ms.forEach((m, i) => {
      if (m.value !== 'T1') return;
      const close = ms.slice(i + 1).find((x) => x.value === 'T0' || x.value === 'T1');
      if (close?.value !== 'T0') return;
      for (let t = m.timestampMs; t <= close.timestampMs - 1000 + 1e-6; t += 1000) want.push(t + 500);
    });
    expect(want.length).toBeGreaterThan(20);

    expect([...out!.keys()]).toEqual(['EEG']);
    const ep = out!.get('EEG')!;
    expect(ep.props.is_streaming).toBe(false);
    const { descriptor, samples, timestampsMs } = rec.streams[0];
    const C = descriptor.channels.length;
    const fs = descriptor.sampleRateHz;
    expect(ep.block.axes.map((a) => a.type)).toEqual(['instance', 'time', 'space']);
    const S = fs + 1; // [0, 1] s, both ends included (as mne.Epochs)
    expect(ep.block.shape).toEqual([want.length, S, C]);
    const inst = axisOf(ep, 'instance');
    expect(Array.from(inst.timesMs)).toEqual(want);
    expect(new Set(inst.fields[MARKER] as string[])).toEqual(new Set(['task']));
    // each epoch is S consecutive frames of the recording, starting at its marker (times shifted alike)
    for (const k of [0, 7, want.length - 1]) {
      const t = want[k] - 500;
      const j = timestampsMs.findIndex((x) => x >= t - 1e-6);
      const near = [j - 1, j, j + 1].filter((s) => s >= 0 && Array.from(samples.subarray(s * C, (s + S) * C)).every((v, i) => v === slab(ep, k)[i]));
      expect(near.length, `epoch ${k}`).toBe(1);
    }
    expect(ex.peek(idOf('ExtractChannels'))).toEqual({ stream: 'eeg', channel_names: descriptor.channels.map((c) => c.label) });
  });
});
