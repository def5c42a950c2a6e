// PreprocessEEG meta-node: the whole chain on S001R04 with the bad-channel reference's two spoilt
// channels (found and restored, common average, band-limited, no NaN), and its refusals.
// EventRelatedPotential meta-node: the same epochs as Segmentation with its baseline, whatever the
// chunking; the low-pass and channel stages; the baseline window averages to zero; refusals.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { needsShared, sharedBytes } from '../../../../tests/support/shared';
import { readEdf } from '../../formats/edf';
import { copyPacket, instantiate } from '../testing';
import { axisOf, feedChunks, makeStream, only, randomChunks, rng, signalFromChannelMajor } from '../testing';
import { Execution } from '../runtime';
import { builtinRegistry } from './index';
import { eventRelatedPotential, preprocessEeg } from './np-neural-meta';
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

describe('PreprocessEEG (meta-node) on S001R04 with two spoilt channels', needsShared, () => {
  it('finds the spoilt channels, restores all 64, re-references to the common average, low-passes; no NaN', () => {
    const bc = JSON.parse(readFileSync(new URL('../../../../tests/ml/bad-channels-reference.json', import.meta.url), 'utf8'));
    const rec = readEdf(sharedBytes(bc.recording), 'S001R04.edf').streams[0];
    const nc = rec.descriptor.channels.length;
    const N = rec.samples.length / nc;
    const x = Float32Array.from(rec.samples);
    for (let n = 0; n < N; n++) {
      x[n * nc + bc.spoilt.uncorrelated.channel] = 40 * Math.sin(0.9 * n + 0.002 * n * n) + 30 * Math.cos(2.7 * n);
      x[n * nc + bc.spoilt.noisy.channel] += 60 * Math.sin((2 * Math.PI * 65 * n) / 160) + 40 * Math.sin((2 * Math.PI * 72.5 * n) / 160 + 1);
    }
    const ex = new Execution(builtinRegistry());
    ex.load({
      format: 'neurotab.pipeline',
      version: 1,
      meta: { name: 't', description: '' },
      nodes: [
        { id: 'in', type: 'ImportEDF' },
        { id: 'pre', type: 'PreprocessEEG', params: { num_samples: 50, subset_size: 0.25, lowpass_frequencies: [30, 35], lowpass_stop_atten: 80 } },
      ],
      edges: [{ source: 'in', target: 'pre' }],
    });
    ex.bind('in', { streams: [{ descriptor: rec.descriptor, samples: x, timestampsMs: rec.timestampsMs }], markers: [] });
    let got: ReturnType<typeof copyPacket> | undefined;
    ex.tap('pre', 'data', (p) => (got = got ? got : copyPacket(p)));
    ex.runOffline();
    expect(ex.errors()).toEqual([]);
    const out = only(got);
    const labels = rec.descriptor.channels.map((c) => c.label);
    expect(axisOf(out, 'space').channels.map((c) => c.label)).toEqual(labels);
    const removed = ex.logs().find((l) => /removing \d+ of 64 channels/.test(l.message))!.message;
    for (const ch of [bc.spoilt.uncorrelated.channel, bc.spoilt.noisy.channel]) expect(removed).toContain(labels[ch]);
    const T = out.block.shape[0];
    expect(T).toBeGreaterThan(0.8 * N);
    expect(out.block.data.every(Number.isFinite)).toBe(true);
    // common average: every sample's channel mean is ~0 (relative to the signal's size)
    let worst = 0;
    let size = 0;
    for (let n = 0; n < T; n++) {
      let m = 0;
      for (let c = 0; c < 64; c++) {
        m += out.block.data[n * 64 + c] / 64;
        size = Math.max(size, Math.abs(out.block.data[n * 64 + c]));
      }
      worst = Math.max(worst, Math.abs(m));
    }
    expect(worst).toBeLessThan(1e-4 * size);
  });

  it('refuses undocumented settings and an unknown unit by name; skip_preprocessing only selects', () => {
    expect(() => instantiate(preprocessEeg, { window_len: 2 })).toThrow(/"window_len"/);
    expect(() => instantiate(preprocessEeg, { export_to_h5: true })).toThrow(/"export_to_h5".*RecordToXDF/);
    expect(() => instantiate(preprocessEeg, { desired_unit: 'furlong' })).toThrow(/"desired_unit"/);
    expect(() => instantiate(preprocessEeg, { rereferencing: 42 })).toThrow(/"rereferencing"/);
    const { node } = instantiate(preprocessEeg, { skip_preprocessing: true, channels_to_import: ['Cz', 'Oz'] });
    const out = only(node.process({ data: new Map([['eeg', sig()]]) })!.data);
    expect(axisOf(out, 'space').channels.map((c) => c.label)).toEqual(['Cz', 'Oz']);
  });
});
