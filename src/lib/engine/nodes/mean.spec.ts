// NeuroPype's Mean with trim_proportion (trimmed mean), robust (median) and ignore_nans against
// scipy.stats.trim_mean / numpy.median / numpy.nanmean along each axis (tests/dsp/make-mean-reference.py),
// as real .pyp files set them (Mean over space with trim_proportion 0.2).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceError } from '../../../../tests/support/shared';
import { instanceAxis, spaceAxis, timeAxis, type AxisType } from '../axes';
import { makeBlock } from '../block';
import { chunkProps, type Chunk } from '../packet';
import { instantiate, makeStream, packet } from '../testing';
import { meanNode } from './math';

interface Case {
  axis: AxisType;
  trim_proportion?: number;
  robust?: boolean;
  ignore_nans?: boolean;
  nan?: boolean;
  result: (number | null)[];
}
const ref = JSON.parse(readFileSync(new URL('../../../../tests/dsp/mean-reference.json', import.meta.url), 'utf8')) as { cases: Case[] };

/** The generator's instance × space × time array (C order), with or without its two NaNs. */
function chunk(nan: boolean): Chunk {
  const [I, S, T] = [5, 4, 7];
  const x = new Float64Array(I * S * T);
  for (let i = 0; i < I; i++) for (let s = 0; s < S; s++) for (let t = 0; t < T; t++) x[(i * S + s) * T + t] = Math.sin(1.3 * i + 0.7 * s * s + 0.37 * t) * (1 + i) + 0.1 * t;
  if (nan) x[(1 * S + 2) * T + 3] = x[(4 * S + 0) * T + 6] = NaN;
  const stream = makeStream(S, 100);
  const axes = [instanceAxis(Float64Array.from({ length: I }, (_, i) => i * 1000)), spaceAxis(stream.channels), timeAxis(Float64Array.from({ length: T }, (_, t) => t * 10), 100)];
  return { block: makeBlock(x, axes), props: chunkProps(stream, { is_signal: true }) };
}

describe('math.mean (NeuroPype Mean) options', () => {
  for (const c of ref.cases) {
    const { result, nan, ...params } = c;
    it(JSON.stringify(params), () => {
      const { node } = instantiate(meanNode, params);
      const out = node.process({ data: packet(chunk(!!nan)) })!.data!.get('eeg')!;
      expect(referenceError(out.block.data, result.map((v) => v ?? NaN), 'nmax')).toBeLessThan(1e-12);
    });
  }

  it('a NaN without ignore_nans makes its lane NaN; trim_proportion 0.5 is refused', () => {
    const { node } = instantiate(meanNode, { axis: 'time', trim_proportion: 0.2 });
    const out = node.process({ data: packet(chunk(true)) })!.data!.get('eeg')!;
    expect(Number.isNaN(out.block.data[1 * 4 + 2])).toBe(true);
    expect(Number.isNaN(out.block.data[0])).toBe(false);
    expect(() => instantiate(meanNode, { trim_proportion: 0.5 })).toThrow(/trim_proportion 0.5/);
  });
});
