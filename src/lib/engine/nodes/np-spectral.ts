// NeuroPype's SpectralSelection: an FFT band-pass along time (bins outside the bands zeroed), on the
// dsp/spectral-selection kernels — each segment at once, continuous data in consecutive blocks of
// `blocksize` samples counted from the stream's start (chunk-invariant; output lags up to one
// block). Engine worker / Node. Allocates per chunk (not for the acquisition path).
import { InputError } from '../../core/errors';
import { BlockSpectralSelection, fftBandPass, type BandHz } from '../../dsp/spectral-selection';
import { timeAxis, type TimeAxis } from '../axes';
import { axisIndex, moveAxis } from '../block';
import { mapChunks, StreamStates, withBlock, type Chunk } from '../packet';
import { sameAs } from '../shapes';
import type { NodeClass } from '../types';
import { input, lanesAlongTime, metaChunks, np, output, p, rateOf, TIME_SERIES, wholeAlongTime } from './common';
import { rethrowAs } from './np-common';

/** NeuroPype's `frequencies`: one band [lo, hi] or a list of bands [[lo, hi], …]. */
function bandsOf(v: unknown, who: string): BandHz[] {
  const list = Array.isArray(v) && v.length && v.every((x) => typeof x === 'number') ? [v] : v;
  if (!Array.isArray(list) || !list.length || !list.every((b) => Array.isArray(b) && b.length === 2 && b.every((x) => typeof x === 'number' && x >= 0) && b[0] <= b[1]))
    throw new InputError(`frequencies ${JSON.stringify(v)}: give one band [low, high] in Hz or a list of bands [[low, high], …] with 0 ≤ low ≤ high`, who);
  return list as BandHz[];
}

interface BlockState {
  sel: BlockSpectralSelection;
  /** Time stamps of the samples held in the current incomplete block. */
  timesMs: Float64Array;
  held: number;
}

export const spectralSelection: NodeClass = {
  type: 'spectral.selection',
  package: 'spectral',
  title: 'Spectral selection',
  version: '1.0.0',
  neuropype: np('SpectralSelection', 'spectral'),
  doc: `Restricts a signal to frequency bands by FFT masking (NeuroPype's SpectralSelection): FFT
along time (zero-padded to the next power of two), bins outside **frequencies** zeroed (edges
inclusive), inverse FFT — \`irfft(mask · rfft(x, nfft), nfft)[:n]\`. Time domain in and out.

- **in/out \`data\`**: chunks with a time axis. Segmented data: each instance at once. Continuous
  data: consecutive blocks of **blocksize** samples counted from the start of the stream, each on
  its own; a block leaves when complete (the output lags by up to one block, whatever the chunking;
  an incomplete last block of a recording does not leave).
- **frequencies** (Hz): one band [low, high] or several [[low, high], …] (their union passes).
- **blocksize** (samples, continuous data only).
Where NeuroPype is silent (NEUROPYPE-NODES.md [I]): no taper, edges inclusive, blocksize ignored for
segments.`,
  inputs: [input('data', [TIME_SERIES], 'Time series (continuous or segmented).', { hint: 'SpectralSelection works along a time axis: feed a signal or segments' })],
  outputs: [output('data', sameAs('data'), 'Band-passed signal (continuous output in whole blocks).')],
  params: [
    p.list('frequencies', [8, 12], 'Band [low, high] or bands [[low, high], …].', { unit: 'Hz', items: 'any' }),
    p.int('blocksize', 100, 'Block length for continuous data.', { unit: 'samples', domain: [1, 1e7] }),
  ],
  create(params, ctx) {
    const who = ctx.nodeId;
    const bands = bandsOf(params.frequencies, who);
    const B = params.blocksize as number;
    const states = new StreamStates<BlockState>((c) => ({ sel: new BlockSpectralSelection(lanesAlongTime(c.block), rateOf(c, who), bands, B), timesMs: new Float64Array(B), held: 0 }));
    const continuous = (c: Chunk, name: string): Chunk | undefined => {
      const t = axisIndex(c.block, 'time');
      const b = moveAxis(c.block, t, 0);
      const st = states.get(name, c);
      const times = (b.axes[0] as TimeAxis).timesMs;
      const y = st.sel.process(b.data);
      const frames = y.length / st.sel.channelCount;
      // time stamps of the held samples, then this chunk's: the first `frames` left, the rest stay
      // held (frames is a multiple of the block and held < block, so the rest come from this chunk)
      const stamp = (k: number) => (k < st.held ? st.timesMs[k] : times[k - st.held]);
      const all = st.held + times.length;
      const outTimes = Float64Array.from({ length: frames }, (_, k) => stamp(k));
      for (let k = frames; k < all; k++) st.timesMs[k - frames] = stamp(k);
      st.held = all - frames;
      if (!frames) return undefined;
      const axes = b.axes.slice();
      axes[0] = timeAxis(outTimes, (b.axes[0] as TimeAxis).nominalRateHz);
      return withBlock(c, moveAxis({ data: y, shape: [frames, ...b.shape.slice(1)], axes }, 0, t));
    };
    return {
      process(inputs) {
        const r = mapChunks(inputs.data, [TIME_SERIES], (c, name) => {
          try {
            if (axisIndex(c.block, 'instance') < 0) return continuous(c, name);
            const fs = rateOf(c, who);
            return wholeAlongTime(c, (cm, lanes, n) => fftBandPass(cm, lanes, n, fs, bands));
          } catch (e) {
            rethrowAs(e, who);
          }
        });
        return r ? { data: r } : undefined;
      },
      check(meta) {
        for (const { chunk } of metaChunks(meta, TIME_SERIES)) rateOf(chunk, who);
      },
      reset() {
        for (const [, st] of states.entries()) {
          st.sel.reset();
          st.held = 0;
        }
      },
    };
  },
};

/** The spectral classes, as index.ts registers them. */
export const NP_SPECTRAL: NodeClass[] = [spectralSelection];
