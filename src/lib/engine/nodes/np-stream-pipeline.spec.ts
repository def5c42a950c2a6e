// A .pyp pipeline wired as real NeuroPype files wire these classes (PYP.md §1.4, §1.6): value nodes
// build ImportEDF's file name; ShiftTimestamps, ExtractStreams, InsertMarkers, SelectInstances,
// MergeStreams, Segmentation, RenameStreams, SetStreamProperties, DiscardLongChunks, HoldLastPacket
// and ExtractChannels turn the task blocks (T1 … next T0) of a PhysioNet EEGMMIDB run into 1 s epochs
// every second — offline from the file, and online from LSLInput in live chunks. Checked against
// the recording itself: marker times from its EDF+ annotations, epoch data equal to its samples.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { needsShared, sharedBytes } from '../../../../tests/support/shared';
import { readPipelineText, pypToPipeline } from '../../formats/pyp';
import { readRecording } from '../../formats/index';
import { MARKER } from '../axes';
import { concatPackets, copyPacket, type Chunk, type Packet } from '../packet';
import { registryResolver } from '../registry';
import { Execution } from '../runtime';
import { axisOf, randomChunks, slab } from '../testing';
import { builtinRegistry } from './index';

async function setup() {
  const text = readFileSync(new URL('./fixtures/np-stream-task-epochs.pyp', import.meta.url), 'utf8');
  const read = readPipelineText(text, 'np-stream-task-epochs.pyp');
  if (read.kind !== 'pyp') throw new Error('expected a .pyp');
  const reg = builtinRegistry();
  const { doc, warnings } = pypToPipeline(read.graph, registryResolver(reg), 'np-stream-task-epochs.pyp');
  const classes = (doc.ui as { neuropype: { nodes: Record<string, { class: string }> } }).neuropype.nodes;
  const idOf = (cls: string) => doc.nodes.find((n) => classes[n.id].class === cls)!.id;
  const rec = await readRecording(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf');
  // expected: T1 … the next T0, one marker a second up to 1 s before T0, all shifted by +0.5 s
  const ms = [...rec.markers].sort((a, b) => a.timestampMs - b.timestampMs);
  const want: number[] = [];
  ms.forEach((m, i) => {
    if (m.value !== 'T1') return;
    const close = ms.slice(i + 1).find((x) => x.value === 'T0' || x.value === 'T1');
    if (close?.value !== 'T0') return;
    for (let t = m.timestampMs; t <= close.timestampMs - 1000 + 1e-6; t += 1000) want.push(t + 500);
  });
  return { reg, doc, warnings, idOf, rec, want };
}

/** Every epoch is S consecutive frames of the recording starting at its marker (times shifted alike); the instances are the expected markers. */
function expectEpochs(ep: Chunk, rec: Awaited<ReturnType<typeof setup>>['rec'], want: number[]) {
  const { descriptor, samples, timestampsMs } = rec.streams[0];
  const C = descriptor.channels.length;
  const S = descriptor.sampleRateHz + 1; // [0, 1] s, both ends included (as mne.Epochs)
  expect(ep.block.axes.map((a) => a.type)).toEqual(['instance', 'time', 'space']);
  expect(ep.block.shape).toEqual([want.length, S, C]);
  const inst = axisOf(ep, 'instance');
  expect(Array.from(inst.timesMs)).toEqual(want);
  expect(new Set(inst.fields[MARKER] as string[])).toEqual(new Set(['task']));
  for (let k = 0; k < want.length; k++) {
    const t = want[k] - 500;
    const j = timestampsMs.findIndex((x) => x >= t - 1e-6);
    const near = [j - 1, j, j + 1].filter((s) => s >= 0 && Array.from(samples.subarray(s * C, (s + S) * C)).every((v, i) => v === slab(ep, k)[i]));
    expect(near.length, `epoch ${k}`).toBe(1);
  }
}

describe('np-stream-task-epochs.pyp on S001R04.edf', needsShared, () => {
  it('offline: loads, resolves every class, and gives one 1 s epoch per second of every task block, equal to the recording', async () => {
    const { reg, doc, warnings, idOf, rec, want } = await setup();
    expect(warnings).toEqual([]);
    expect(want.length).toBeGreaterThan(20);
    const ex = new Execution(reg, { info: { errorMode: 'stop' } });
    ex.load(doc);
    expect(ex.getParams(idOf('ImportEDF')).filename).toBe('S001R04.edf');
    ex.bind(idOf('ImportEDF'), rec);
    let out: Packet | undefined;
    ex.tap(idOf('HoldLastPacket'), 'data', (p: Packet) => void (out = out ? concatPackets(out, copyPacket(p)) : copyPacket(p)));
    ex.runOffline();
    expect(ex.errors()).toEqual([]);
    expect([...out!.keys()]).toEqual(['EEG']);
    expect(out!.get('EEG')!.props.is_streaming).toBe(false);
    expectEpochs(out!.get('EEG')!, rec, want);
    expect(ex.peek(idOf('ExtractChannels'))).toEqual({ stream: 'eeg', channel_names: rec.streams[0].descriptor.channels.map((c) => c.label) });
  });

  it('online: the same graph fed by LSLInput (marker_query) in irregular live chunks gives the same epochs (inserted markers arrive late, with T0)', async () => {
    const { reg, doc, idOf, rec, want } = await setup();
    const imp = idOf('ImportEDF');
    const live = structuredClone(doc);
    live.nodes = live.nodes.map((n) => (n.id === imp ? { id: n.id, type: 'LSLInput', params: { marker_query: "type='Markers'" } } : n));
    live.edges = live.edges.filter((e) => e.target !== imp);
    const ex = new Execution(reg, { info: { errorMode: 'stop' } });
    ex.load(live);
    const { descriptor, samples, timestampsMs } = rec.streams[0];
    const C = descriptor.channels.length;
    const total = timestampsMs.length;
    const sizes = randomChunks(total, 9, 64);
    const markers = [...rec.markers].sort((a, b) => a.timestampMs - b.timestampMs);
    let pos = 0;
    let i = 0;
    let mi = 0;
    ex.bind(imp, {
      descriptor,
      reader: {
        read(_max: number, s: Float32Array, t: Float64Array) {
          if (i >= sizes.length) return { frames: 0, dropped: 0 };
          const n = sizes[i++];
          s.set(samples.subarray(pos * C, (pos + n) * C));
          t.set(timestampsMs.subarray(pos, pos + n));
          pos += n;
          return { frames: n, dropped: 0 };
        },
      },
      // markers reach the tab once the signal has passed them
      markers: {
        drain() {
          const from = mi;
          while (pos && mi < markers.length && markers[mi].timestampMs <= timestampsMs[pos - 1]) mi++;
          return markers.slice(from, mi);
        },
      },
    });
    let out: Packet | undefined;
    ex.tap(idOf('HoldLastPacket'), 'data', (p: Packet) => void (out = out ? concatPackets(out, copyPacket(p)) : copyPacket(p)));
    ex.play();
    for (let k = 0; k < sizes.length; k++) ex.step();
    expect(ex.errors()).toEqual([]);
    expect([...out!.keys()]).toEqual(['EEG']);
    expectEpochs(out!.get('EEG')!, rec, want);
  });
});
