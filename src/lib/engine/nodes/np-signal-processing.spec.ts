// NeuroPype's PeakLatency, FrequencyNormalization and IIRFilter with order 0, against NumPy / SciPy
// (fixtures/make-np-fixtures.py): argmax / argmin positions in Hz, f^alpha scaling and a log-log
// numpy.polyfit, and sosfilt of butter(buttord(...)) fed in random chunkings; static shapes and
// refusals.
import { describe, expect, it } from 'vitest';
import { referenceError } from '../../../../tests/support/shared';
import { frequencyAxis, spaceAxis, timeAxis } from '../axes';
import { makeBlock } from '../block';
import { chunkProps, type Chunk } from '../packet';
import { Execution } from '../runtime';
import { axisOf, feedChunks, instantiate, makeStream, only, packet, randomChunks, signalFromChannelMajor, toChannelMajor } from '../testing';
import fx from './fixtures/np-fixtures.json';
import { iirFilter } from './filters';
import { builtinRegistry } from './index';
import { frequencyNormalization, peakLatency } from './np-signal-processing';

const props = chunkProps({ id: 's', name: 's', kind: 'eeg' }, { is_signal: true });
const s = fx.spectrum;
const spectrum = (streaming = false): Chunk => ({ block: makeBlock(Float64Array.from(s.x), [spaceAxis(makeStream(3, 250).channels), frequencyAxis(Float64Array.from(s.freqs))]), props: { ...props, is_streaming: streaming } });
const close = (got: ArrayLike<number>, exp: number[], tol = 1e-12) => {
  expect(got.length).toBe(exp.length);
  for (let i = 0; i < exp.length; i++) expect(Math.abs(got[i] - exp[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(exp[i])));
};

describe('PeakLatency', () => {
  it('gives the peak (and trough) frequency of each channel in Hz, the frequency axis kept with one element', () => {
    const out = instantiate(peakLatency, { axis: 'frequency', unit: 'Hz' }).node.process({ data: packet(spectrum()) })!.data!.get('eeg')!;
    expect(Array.from(out.block.data)).toEqual(s.peakHz);
    expect(out.block.shape).toEqual([3, 1]);
    expect(axisOf(out, 'frequency').frequenciesHz).toEqual(Float64Array.of(s.freqs.reduce((a, b) => a + b) / s.freqs.length));
    const trough = instantiate(peakLatency, { axis: 'frequency', unit: 'Hz', negative: true }).node.process({ data: packet(spectrum()) })!.data!.get('eeg')!;
    expect(Array.from(trough.block.data)).toEqual(s.troughHz);
    const idx = instantiate(peakLatency, { axis: 'frequency', unit: 'indices' }).node.process({ data: packet(spectrum()) })!.data!.get('eeg')!;
    expect(Array.from(idx.block.data)).toEqual(s.peakHz.map((f) => s.freqs.indexOf(f)));
  });

  it('in seconds along a time axis; streaming chunks left out with update_on_streaming false', () => {
    const sig: Chunk = { block: makeBlock(Float32Array.of(0, 5, 3, 1, 2, 9), [timeAxis(Float64Array.of(100, 200, 300), 10), spaceAxis(makeStream(2, 10).channels)]), props };
    expect(Array.from(instantiate(peakLatency, { axis: 'time' }).node.process({ data: packet(sig) })!.data!.get('eeg')!.block.data)).toEqual([0.2, 0.3].map(Math.fround));
    expect(instantiate(peakLatency, { axis: 'frequency', unit: 'Hz', update_on_streaming: false }).node.process({ data: packet(spectrum(true)) })).toBeUndefined();
  });

  it('refuses a unit that does not fit the axis and undocumented options', () => {
    expect(() => instantiate(peakLatency, { axis: 'frequency', unit: 'seconds' }).node.process({ data: packet(spectrum()) })).toThrow(/unit "seconds" does not fit a frequency axis \(use "Hz" or "indices"\)/);
    expect(() => instantiate(peakLatency, { subtract_filter_delay: true })).toThrow(/subtract_filter_delay" = true is not supported/);
  });
});

describe('FrequencyNormalization', () => {
  it('multiplies by f^alpha (0 Hz unscaled) and divides by a log-log fit over fit_frequency_range, as NumPy', () => {
    close(instantiate(frequencyNormalization, { alpha: 1 }).node.process({ data: packet(spectrum()) })!.data!.get('eeg')!.block.data, s.normAlpha1);
    close(instantiate(frequencyNormalization, { fit_frequency_range: [2, 14] }).node.process({ data: packet(spectrum()) })!.data!.get('eeg')!.block.data, s.normFit, 1e-10);
    expect(() => instantiate(frequencyNormalization, { fit_frequency_range: [14, 2] })).toThrow(/\[14, 2\] Hz is not a range lo < hi/);
  });
});

describe('IIRFilter order 0 (NeuroPype: derive the order from the transition bands)', () => {
  it('equals SciPy sosfilt(butter(*buttord([8, 30], [4, 40], 3, 50, fs=250))) in any chunking', () => {
    const r = fx.iirOrder0;
    const x = Float64Array.from(r.x);
    const sig = signalFromChannelMajor(makeStream(1, 250), x, x.length);
    const params = { frequencies: [4, 8, 30, 40], mode: 'bandpass', order: 0, pass_loss: 3, stop_atten: 50 };
    const { outputs, logs } = feedChunks(iirFilter, params, sig, randomChunks(x.length, 3, 60));
    expect(logs[0].message).toMatch(new RegExp(`^order ${r.order} derived from the transition bands \\(natural frequencies ${r.wn.map((f) => f.toFixed(3)).join(', ')} Hz at 250 Hz\\)`));
    expect(referenceError(toChannelMajor(only(outputs.data).block.data, x.length, 1), Float64Array.from(r.y), 'nmax')).toBeLessThan(1e-5);
  });
  it('with design cheby1: SciPy sosfilt(cheby1(*cheb1ord(1, 0.5, 1, 40, fs=250))) (a high-pass, edges [stop, pass])', () => {
    const r = fx.iirOrder0Cheby1;
    const x = Float64Array.from(fx.iirOrder0.x);
    const sig = signalFromChannelMajor(makeStream(1, 250), x, x.length);
    const { outputs, logs } = feedChunks(iirFilter, { frequencies: [0.5, 1], mode: 'highpass', design: 'cheby1', order: 0, pass_loss: 1, stop_atten: 40 }, sig, randomChunks(x.length, 8, 90));
    expect(logs[0].message).toMatch(new RegExp(`^order ${r.order} derived`));
    expect(referenceError(toChannelMajor(only(outputs.data).block.data, x.length, 1), Float64Array.from(r.y), 'nmax')).toBeLessThan(1e-5);
  });
});

describe('at load', () => {
  it('MultitaperSpectrum → FrequencyNormalization → SelectRange(frequency) → PeakLatency → Discretize is accepted; PeakLatency on a spectrum along time is refused', () => {
    const chain = (nodes: { id: string; type: string; params?: Record<string, unknown> }[]) => ({ format: 'neurotab.pipeline', version: 1, nodes, edges: nodes.slice(1).map((n, i) => ({ source: nodes[i].id, target: n.id })) });
    const xdf = { id: 'xdf', type: 'ImportXDF', params: { filename: 'x.xdf' } };
    const mt = { id: 'mt', type: 'MultitaperSpectrum' };
    expect(() =>
      new Execution(builtinRegistry()).load(
        chain([xdf, mt, { id: 'fn', type: 'FrequencyNormalization' }, { id: 'sel', type: 'SelectRange', params: { axis: 'frequency', unit: 'Hz', selection: '7...14' } }, { id: 'pk', type: 'PeakLatency', params: { axis: 'frequency', unit: 'Hz' } }, { id: 'dz', type: 'Discretize', params: { threshold_cutoffs: [8.9, 15.1], newvals: [0, 1, 0] } }]),
      ),
    ).not.toThrow();
    expect(() => new Execution(builtinRegistry()).load(chain([xdf, mt, { id: 'pk', type: 'PeakLatency', params: { axis: 'time', unit: 'seconds' } }, { id: 'f', type: 'FrequencyNormalization' }]))).not.toThrow();
    expect(() => new Execution(builtinRegistry()).load(chain([xdf, { id: 'fn', type: 'FrequencyNormalization' }]))).toThrow(/node "fn".*FrequencyNormalization.*needs a data chunk \(not markers\) with a frequency axis.*feed a spectrum/);
  });
});
