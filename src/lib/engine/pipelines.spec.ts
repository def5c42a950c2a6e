// End-to-end: real EEG (PhysioNet EEGMMIDB, EDF+) through engine pipelines, against MNE's epochs.
import { describe, expect, it } from 'vitest';
import { referenceArray, referenceError, referenceJson, sharedBytes, needsShared } from '../../../tests/support/shared';
import { readRecording } from '../formats/index';
import { concatPackets } from './packets';
import { builtinRegistry } from './nodes/index';
import { Execution } from './runtime';
import type { EpochsPacket, Packet } from './types';

describe('MNE motor-imagery epochs (eeg_csp_lda.json) from the engine', needsShared, () => {
  it('per-run zero-phase band-pass (padlen 89) + V scaling + segmentation [1, 2] s = mne.Epochs data, labels from AssignTargets', async () => {
    const ref = referenceJson('eeg_csp_lda');
    const expected = referenceArray(ref.epochs.X);
    const [E, C, S] = ref.epochs.X.shape as number[];
    let all: EpochsPacket | undefined;
    for (const run of ['S001R04.edf', 'S001R08.edf', 'S001R12.edf']) {
      const rec = await readRecording(sharedBytes(`data/edf/${run}`), run);
      const ex = new Execution(builtinRegistry(), { info: { errorMode: 'stop' } });
      ex.load({
        format: 'neurotab.pipeline',
        version: 1,
        nodes: [
          { id: 'rec', type: 'ImportEDF', params: { chunk_frames: 700 } },
          { id: 'bp', type: 'IIRFilter', params: { frequencies: [7, 30], order: 4, offline_filtfilt: true, filtfilt_padlen: ref.filter.padlen } },
          { id: 'volts', type: 'math.scale', params: { factor: 1e-6 } },
          { id: 'labels', type: 'AssignTargets', params: { mapping: { T1: 0, T2: 1 } } },
          { id: 'epochs', type: 'Segmentation', params: { time_bounds: [1, 2], select_markers: ['T1', 'T2'] } },
        ],
        edges: [
          { source: 'rec', target: 'bp' },
          { source: 'bp', target: 'volts' },
          { source: 'volts', target: 'epochs' },
          { source: 'rec', sourcePort: 'markers', target: 'labels' },
          { source: 'labels', target: 'epochs', targetPort: 'markers' },
        ],
      });
      ex.bind('rec', rec);
      ex.tap('epochs', 'data', (p: Packet) => void (all = all ? (concatPackets(all, structuredClone(p)) as EpochsPacket) : (structuredClone(p) as EpochsPacket)));
      ex.runOffline();
      expect(ex.errors()).toEqual([]);
    }
    expect(all!.items).toHaveLength(E);
    expect(all!.stream.channels.map((c) => c.label)).toEqual(ref.ch_names);
    expect(all!.items.map((e) => e.target)).toEqual(ref.epochs.labels);
    // frame-major epochs → [epoch, channel, sample]
    const got = new Float64Array(E * C * S);
    all!.items.forEach((e, i) => {
      expect(e.frames).toBe(S);
      for (let n = 0; n < S; n++) for (let c = 0; c < C; c++) got[(i * C + c) * S + n] = e.samples[n * C + c];
    });
    expect(referenceError(got, expected, 'nmax')).toBeLessThan(ref.epochs.tol.X.f32);
  });
});
