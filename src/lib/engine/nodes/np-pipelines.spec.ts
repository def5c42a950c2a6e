// Two NeuroPype .pyp pipelines built from the np-* classes (fixtures/make-np-pipelines.py writes
// them as real files wire them, and what NumPy/SciPy/MNE give for them) loaded through the .pyp
// reader and the registry, run offline on PhysioNet EEGMMIDB S001R04 (../shared/data/edf):
// a mu/beta band-ratio per class (SpectralSelection, Divide, OperateConstant, Shift, Winsorize,
// GroupedMean, OverrideAxis, StripSingletonAxis) and the occipital alpha peak (Welch,
// FrequencyNormalization, PeakLatency, Discretize, StripSingletonAxis).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { needsShared, sharedBytes } from '../../../../tests/support/shared';
import { readRecording } from '../../formats/index';
import { parsePyp, pypToPipeline } from '../../formats/pyp';
import { MARKER } from '../axes';
import { copyPacket, type Packet } from '../packet';
import { registryResolver } from '../registry';
import { Execution } from '../runtime';
import { axisOf, only } from '../testing';
import expected from './fixtures/np-pipelines-expected.json';
import { builtinRegistry } from './index';

/** Loads a fixture .pyp, binds S001R04 to its importer, runs it offline, returns the packets tapped at `taps` (node id, or id.port). */
async function runPyp(file: string, taps: string[]): Promise<{ out: Record<string, Packet>; warnings: string[] }> {
  const reg = builtinRegistry();
  const conv = pypToPipeline(parsePyp(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8'), file), registryResolver(reg), file);
  const ex = new Execution(reg, { info: { errorMode: 'stop' } });
  ex.load(conv.doc);
  ex.bind('node1', await readRecording(sharedBytes('data/edf/S001R04.edf'), 'S001R04.edf'));
  const out: Record<string, Packet> = {};
  for (const t of taps) {
    const [id, port = 'data'] = t.split('.');
    ex.tap(id, port, (p: Packet) => void (out[id] = copyPacket(p)));
  }
  ex.runOffline({ calibration: 'online' });
  expect(ex.errors()).toEqual([]);
  return { out, warnings: conv.warnings };
}

describe('.pyp pipelines of the np-* classes on S001R04', needsShared, () => {
  it('np-band-ratio.pyp: mu/beta variance ratio of C3 and C4 per class = NumPy on the MNE epochs', async () => {
    const { out, warnings } = await runPyp('np-band-ratio.pyp', ['node10.outdata', 'node16']);
    expect(warnings).toEqual([]);
    // Divide's output: one ratio per epoch and channel, as NumPy's on the reference epochs
    const ratio = only(out.node10);
    expect(ratio.block.axes.map((a) => a.type)).toEqual(['instance', 'time', 'space']);
    const exp = expected.bandRatio.ratio.flat();
    ratio.block.data.forEach((v, i) => expect(Math.abs(v - exp[i]) / exp[i]).toBeLessThan(1e-3));
    // the end: one instance per class (T1, T2) × feature (left, right)
    const c = only(out.node16);
    expect(c.block.axes.map((a) => a.type)).toEqual(['instance', 'feature']);
    expect(axisOf(c, 'instance').fields[MARKER]).toEqual(expected.bandRatio.groups);
    expect(axisOf(c, 'feature').names).toEqual(['left', 'right']);
    const values = expected.bandRatio.values.flat();
    c.block.data.forEach((v, i) => expect(Math.abs(v - values[i])).toBeLessThan(1e-3 * Math.abs(values[i]) + 1e-6));
  });

  it('np-alpha-peak.pyp: the occipital alpha peak frequency and its level = SciPy welch of the EDF', async () => {
    const { out, warnings } = await runPyp('np-alpha-peak.pyp', ['node6', 'node8']);
    expect(warnings).toEqual([]);
    const peak = only(out.node6);
    expect(peak.block.axes.map((a) => a.type)).toEqual(['time', 'space', 'frequency']);
    expect(Array.from(peak.block.data)).toEqual(expected.alphaPeak.peakHz);
    const levels = only(out.node8);
    expect(levels.block.axes.map((a) => a.type)).toEqual(['space', 'frequency']);
    expect(axisOf(levels, 'space').channels.map((ch) => ch.label)).toEqual(['O1..', 'Oz..', 'O2..']);
    expect(Array.from(levels.block.data)).toEqual(expected.alphaPeak.levels);
  });
});
