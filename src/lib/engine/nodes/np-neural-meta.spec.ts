// EventRelatedPotential meta-node: the same epochs as Segmentation with its baseline, whatever the
// chunking; the low-pass and channel stages; the baseline window averages to zero; refusals.
import { describe, expect, it } from 'vitest';
import { axisOf, feedChunks, makeStream, only, randomChunks, rng, signalFromChannelMajor } from '../testing';
import { Execution } from '../runtime';
import { builtinRegistry } from './index';
import { eventRelatedPotential } from './np-neural-meta';
import { segmentation } from './time';

const fs = 100;
const N = 3000;
const stream = makeStream(['Fz', 'Cz', 'Pz', 'Oz'], fs);
const r = rng(7);
const x = Float64Array.from({ length: 4 * N }, (_, i) => 20 * Math.sin((2 * Math.PI * (3 + (i % 4)) * (i % N)) / fs) + 5 * (r() - 0.5) + 10 * Math.floor(i / N));
const sig = () => signalFromChannelMajor(stream, x, N);
const markers = [2.5, 7.25, 12, 19.5, 26].map((s, k) => ({ timestampMs: s * 1000, value: k % 2 ? 'target' : 'standard' }));

describe('EventRelatedPotential (meta-node)', () => {
  it('equals Segmentation with its baseline (markers riding in the packet), in any chunking', () => {
    const params = { time_bounds: [-0.3, 1], baseline_removal_range: '-0.3...0' };
    const seg = only(feedChunks(segmentation, { time_bounds: [-0.3, 1], baseline: [-0.3, 0] }, sig(), [N], { markers, markersIn: 'packet' }).outputs.data);
    for (const sizes of [[N], randomChunks(N, 3, 200)]) {
      const erp = only(feedChunks(eventRelatedPotential, params, sig(), sizes, { markers, markersIn: 'packet' }).outputs.erp_data);
      expect(erp.block.shape).toEqual([5, 131, 4]);
      expect(Array.from(erp.block.data)).toEqual(Array.from(seg.block.data));
      expect(axisOf(erp, 'instance').fields.Marker).toEqual(['standard', 'target', 'standard', 'target', 'standard']);
    }
  });

  it('channel_range and lowpass_cutoff run SelectRange and a FIR low-pass first; the baseline window then averages to zero', () => {
    const erp = only(feedChunks(eventRelatedPotential, { channel_range: ['Cz', 'Oz'], lowpass_cutoff: [20, 25] }, sig(), randomChunks(N, 5, 300), { markers, markersIn: 'packet' }).outputs.erp_data);
    expect(axisOf(erp, 'space').channels.map((c) => c.label)).toEqual(['Cz', 'Oz']);
    const t = axisOf(erp, 'time').timesMs;
    const base = Array.from(t.keys()).filter((i) => t[i] >= -300 && t[i] <= 0);
    for (let e = 0; e < 5; e++)
      for (let c = 0; c < 2; c++) {
        const m = base.reduce((a, i) => a + erp.block.data[(e * t.length + i) * 2 + c], 0) / base.length;
        expect(Math.abs(m)).toBeLessThan(1e-4);
      }
  });

  it('loads as NeuroPype wires it (ERP → GroupedMean-like consumers see epochs) and refuses what it cannot do', () => {
    const ex = new Execution(builtinRegistry());
    expect(() =>
      ex.load({
        format: 'neurotab.pipeline',
        version: 1,
        meta: { name: 't', description: '' },
        nodes: [
          { id: 'in', type: 'ImportFile' },
          { id: 'erp', type: 'EventRelatedPotential', params: { output_measure: 'averages' } },
        ],
        edges: [{ source: 'in', target: 'erp' }],
      }),
    ).toThrow(/output_measure/);
    expect(() => feedChunks(eventRelatedPotential, { baseline_removal_range: '0...-1' }, sig(), [N])).toThrow(/"baseline_removal_range" must be "a\.\.\.b"/);
    expect(() => feedChunks(eventRelatedPotential, { skip_baseline_removal: true, baseline_removal_range: 'nonsense' }, sig(), [N])).not.toThrow();
  });
});
