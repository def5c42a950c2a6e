// End-to-end: real EEG (PhysioNet EEGMMIDB, EDF+) through engine pipelines, against MNE's epochs.
// The pipeline is wired as NeuroPype's are: the importer hands over the whole recording (signal and
// markers in one non-streaming packet) and every node works on the chunks it is meant for.
import { describe, expect, it } from 'vitest';
import { referenceArray, referenceError, referenceJson, sharedBytes, needsShared } from '../../../tests/support/shared';
import { readRecording } from '../formats/index';
import { MARKER, TARGET } from './axes';
import { concatPackets, copyPacket, type Packet } from './packet';
import { builtinRegistry } from './nodes/index';
import { Execution } from './runtime';
import { axisOf, only } from './testing';

describe('MNE motor-imagery epochs (eeg_csp_lda.json) from the engine', needsShared, () => {
  it('ImportEDF → zero-phase band-pass (padlen 89) → V scaling → AssignTargets → Segmentation [1, 2] s = mne.Epochs data and labels', async () => {
    const ref = referenceJson('eeg_csp_lda');
    const expected = referenceArray(ref.epochs.X);
    const [E, C, S] = ref.epochs.X.shape as number[];
    let all: Packet | undefined;
    for (const run of ['S001R04.edf', 'S001R08.edf', 'S001R12.edf']) {
      const rec = await readRecording(sharedBytes(`data/edf/${run}`), run);
      const ex = new Execution(builtinRegistry(), { info: { errorMode: 'stop' } });
      ex.load({
        format: 'neurotab.pipeline',
        version: 1,
        nodes: [
          { id: 'rec', type: 'ImportEDF' },
          { id: 'bp', type: 'IIRFilter', params: { frequencies: [7, 30], order: 4, offline_filtfilt: true, filtfilt_padlen: ref.filter.padlen } },
          { id: 'volts', type: 'math.scale', params: { factor: 1e-6 } },
          { id: 'labels', type: 'AssignTargets', params: { mapping: { T1: 0, T2: 1 } } },
          { id: 'epochs', type: 'Segmentation', params: { time_bounds: [1, 2], select_markers: ['T1', 'T2'] } },
        ],
        edges: [
          { source: 'rec', target: 'bp' },
          { source: 'bp', target: 'volts' },
          { source: 'volts', target: 'labels' },
          { source: 'labels', target: 'epochs' },
        ],
      });
      ex.bind('rec', rec);
      ex.tap('epochs', 'data', (p: Packet) => void (all = all ? concatPackets(all, copyPacket(p)) : copyPacket(p)));
      ex.runOffline();
      expect(ex.errors()).toEqual([]);
    }
    const ep = only(all);
    expect(ep.block.axes.map((a) => a.type)).toEqual(['instance', 'time', 'space']);
    expect(ep.block.shape).toEqual([E, S, C]);
    expect(axisOf(ep, 'space').channels.map((c) => c.label)).toEqual(ref.ch_names);
    expect(Array.from(axisOf(ep, 'instance').fields[TARGET] as Float64Array)).toEqual(ref.epochs.labels);
    expect(new Set(axisOf(ep, 'instance').fields[MARKER] as string[])).toEqual(new Set(['T1', 'T2']));
    // the time axis is relative to each marker: 1 s … 2 s
    const rel = axisOf(ep, 'time').timesMs;
    expect([rel[0], rel[S - 1]]).toEqual([1000, 2000]);
    // instance × time × space → [epoch, channel, sample]
    const got = new Float64Array(E * C * S);
    for (let i = 0; i < E; i++) for (let n = 0; n < S; n++) for (let c = 0; c < C; c++) got[(i * C + c) * S + n] = ep.block.data[(i * S + n) * C + c];
    expect(referenceError(got, expected, 'nmax')).toBeLessThan(ref.epochs.tol.X.f32);
  });
});
