// NeuroPype's spectral module, its wavelet class (SpectralSelection is in np-spectral.ts): ContinuousWaveletTransform (complex
// Morlet over dsp/wavelet.ts, NeuroPype's pywt cmor parameters mapped by cmorAsMorlet). Engine
// worker / Node. Whole time series only (a wavelet spans many samples): segments and non-streaming
// chunks at once, streaming chunks of an offline run held until the end; allocates per chunk.
import { InputError } from '../../core/errors';
import { cmorAsMorlet, tfrMorlet } from '../../dsp/wavelet';
import { frequencyAxis, type Axis } from '../axes';
import { axisIndex, describeAxes, makeBlock, viewAs } from '../block';
import { mapChunks, type Chunk } from '../packet';
import { chunkShape, mapShapes } from '../shapes';
import type { NodeClass } from '../types';
import { Held, input, np, output, p, rateOf, TIME_SERIES, WITH_SPACE } from './common';

const ACCEPTS = [{ ...TIME_SERIES, withAxes: WITH_SPACE.withAxes }];

export const continuousWaveletTransform: NodeClass = {
  type: 'spectral.cwt',
  package: 'spectral',
  title: 'Continuous wavelet transform',
  version: '1.0.0',
  neuropype: np('ContinuousWaveletTransform', 'spectral'),
  doc: `Time-frequency magnitude by a complex Morlet wavelet transform (NeuroPype's
ContinuousWaveletTransform; dsp/wavelet.ts, MNE's tfr_array_morlet). NeuroPype's pywt wavelet
"cmorB-C" at scales s is read as MNE Morlets at f = C·fs/s with n = 2πC·√(B/2) cycles (the same
Gaussian width; MNE's normalisation, ‖W‖ = √2); the output is the magnitude |W ∗ x| ('same'
convolution, pywt's scale order: frequencies descending).

- **in \`data\`**: segments (instance × time × space, each instance on its own) or a continuous
  signal (time × space; a non-streaming chunk at once; streaming chunks of an offline run held to
  the end; online, continuous chunks give nothing — segment them first).
- **out \`data\`**: [instance ×] time × space × frequency.
- **wavelet** ("cmor" only), **bandwidth_frequency** (B, 1.0), **central_frequency** (C, 1.5),
  **scale_range** ([first, end): scales first … end − 1, [1, 129]; a third number is the step).`,
  inputs: [input('data', ACCEPTS, 'Signal or segments with channels.', { hint: 'the wavelet transform runs along a time axis of a signal or segments with channels' })],
  outputs: [output('data', mapShapes('data', ACCEPTS, (s) => chunkShape(s.name, [...(s.axes.includes('instance') ? (['instance'] as const) : []), 'time', 'space', 'frequency'], s.flags)), 'Magnitude per time, channel and frequency.')],
  params: [
    p.enum('wavelet', 'cmor', ['cmor'], 'Mother wavelet (complex Morlet).'),
    p.float('bandwidth_frequency', 1.0, 'cmor bandwidth B.'),
    p.float('central_frequency', 1.5, 'cmor centre frequency C.'),
    p.list('scale_range', [1, 129], 'Scales [first, end) or [first, end, step].', { items: 'number' }),
    p.dict('metadata', {}, 'Accepted for NeuroPype compatibility (ignored).'),
    p.bool('set_breakpoint', false, 'Accepted for NeuroPype compatibility (ignored).'),
  ],
  create(params, ctx) {
    const who = ctx.nodeId;
    const sr = params.scale_range as number[];
    const [first, end, step = 1] = Array.isArray(sr) ? sr : [];
    if (!(sr.length === 2 || sr.length === 3) || !(first > 0) || !(end > first) || !(step > 0)) throw new InputError(`parameter "scale_range" must be [first, end] or [first, end, step] with 0 < first < end and step > 0, got ${JSON.stringify(sr)}`, who);
    const scales: number[] = [];
    for (let s = first; s < end; s += step) scales.push(s);
    const B = params.bandwidth_frequency as number;
    const C = params.central_frequency as number;
    if (!(B > 0) || !(C > 0)) throw new InputError(`parameters "bandwidth_frequency" and "central_frequency" must be positive, got ${B} and ${C}`, who);
    const held = new Held();
    let warned = false;
    const transform = (c: Chunk): Chunk => {
      const fs = rateOf(c, who);
      const hasInstance = axisIndex(c.block, 'instance') >= 0;
      const order = hasInstance ? (['instance', 'space', 'time'] as const) : (['space', 'time'] as const);
      if (c.block.axes.length !== order.length) throw new InputError(`needs ${hasInstance ? 'instance × ' : ''}time × space and nothing else, but the data has ${describeAxes(c.block.axes)}; select or reduce the other axes first`, who);
      const v = viewAs(c.block, order, who);
      const n = hasInstance ? v.shape[0] : 1;
      const ch = v.shape[hasInstance ? 1 : 0];
      const T = v.shape[hasInstance ? 2 : 1];
      const { freqsHz, nCycles } = cmorAsMorlet(B, C, scales, fs);
      const F = freqsHz.length;
      const tfr = tfrMorlet(v.data, n * ch, T, fs, freqsHz, { nCycles, output: 'power' }); // [lane][freq][time]
      const out = c.block.data instanceof Float32Array ? new Float32Array(n * T * ch * F) : new Float64Array(n * T * ch * F);
      for (let i = 0; i < n; i++)
        for (let k = 0; k < ch; k++)
          for (let f = 0; f < F; f++) {
            const src = ((i * ch + k) * F + f) * T;
            for (let t = 0; t < T; t++) out[((i * T + t) * ch + k) * F + f] = Math.sqrt(tfr.re[src + t]);
          }
      const axes: Axis[] = [...(hasInstance ? [c.block.axes[axisIndex(c.block, 'instance')]] : []), c.block.axes[axisIndex(c.block, 'time')], c.block.axes[axisIndex(c.block, 'space')], frequencyAxis(Float64Array.from(freqsHz))];
      return { block: makeBlock(out, axes), props: c.props };
    };
    return {
      process(inputs) {
        const out = mapChunks(inputs.data, ACCEPTS, (c, name) => {
          if (axisIndex(c.block, 'instance') >= 0 || !c.props.is_streaming) return transform(c);
          if (ctx.offline) held.hold(name, c);
          else if (!warned) {
            warned = true;
            ctx.log(30, `continuous streaming chunks of "${name}" give no wavelet transform online; put Segmentation (or a moving window) before this node`);
          }
          return undefined;
        });
        return out?.size ? { data: out } : undefined;
      },
      flush() {
        if (!held.size) return;
        return { data: new Map(held.take().map(([name, c]) => [name, transform(c)])) };
      },
      reset() {
        held.clear();
      },
    };
  },
};

/** This module's classes (registered by nodes/index.ts). */
export const NP_WAVELET: NodeClass[] = [continuousWaveletTransform];
