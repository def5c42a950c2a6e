// MovingAverage on the instances of data without a time axis (NeuroPype pipelines smooth their
// classifier's per-trial output with it): exact means over the window by instance times or count,
// the same result in any chunking, `subtract`, and the edges real files wire accepted at load
// (LogisticRegression → MovingAverage; a spectrum → StripSingletonAxis on an axis it lacks).
import { describe, expect, it } from 'vitest';
import { featureAxis, instanceAxis } from '../axes';
import { makeBlock } from '../block';
import { chunkProps, type Chunk, type Packet } from '../packet';
import { Execution } from '../runtime';
import { instantiate } from '../testing';
import { builtinRegistry } from './index';
import { movingAverage } from './filters';

const SOURCE = { id: 'p', name: 'predictions', kind: 'features' } as const;
/** Instances at `timesS` (seconds) with two features each: [v, 10·v]. */
function features(timesS: number[], values: number[]): Chunk {
  const data = new Float64Array(values.flatMap((v) => [v, 10 * v]));
  const block = makeBlock(data, [instanceAxis(Float64Array.from(timesS, (t) => t * 1000), {}, 'windows'), featureAxis(['a', 'b'])]);
  return { block, props: chunkProps(SOURCE, { is_signal: true, is_streaming: true }) };
}
function run(params: Record<string, unknown>, pieces: Chunk[]): number[] {
  const { node } = instantiate(movingAverage, params);
  const out: number[] = [];
  for (const c of pieces) {
    const r = node.process({ data: new Map([['features', c]]) as Packet });
    out.push(...Array.from((r!.data as Packet).get('features')!.block.data));
  }
  return out;
}
const firstFeature = (xs: number[]) => xs.filter((_, i) => i % 2 === 0);

describe('MovingAverage along instances (no time axis)', () => {
  const t = [0, 1, 2, 3, 4];
  const v = [1, 2, 3, 4, 10];
  it('order in seconds: the mean of the instances less than `order` s older, by instance times', () => {
    const got = run({ order: 2, order_unit: 'seconds' }, [features(t, v)]);
    // windows ending at each instance: {1}, {1,2}, {2,3}, {3,4}, {4,10}
    expect(firstFeature(got)).toEqual([1, 1.5, 2.5, 3.5, 7]);
    expect(got.filter((_, i) => i % 2 === 1)).toEqual([10, 15, 25, 35, 70]);
  });
  it('order in samples: the last N instances; the same in any chunking', () => {
    const whole = run({ order: 3, order_unit: 'samples' }, [features(t, v)]);
    expect(firstFeature(whole)).toEqual([1, 1.5, 2, 3, 17 / 3]);
    const split = run({ order: 3, order_unit: 'samples' }, [features(t.slice(0, 2), v.slice(0, 2)), features(t.slice(2, 3), v.slice(2, 3)), features(t.slice(3), v.slice(3))]);
    expect(split).toEqual(whole);
  });
  it('subtract: the data minus its moving average', () => {
    expect(firstFeature(run({ order: 2, order_unit: 'seconds', subtract: true }, [features(t, v)]))).toEqual([0, 0.5, 0.5, 0.5, 3]);
  });
  it('ignore_nans and output_nans are accepted only at false', () => {
    expect(() => instantiate(movingAverage, { ignore_nans: true })).toThrow(/"ignore_nans"/);
  });
});

describe('edges real pipelines wire', () => {
  const load = (nodes: { id: string; type: string; params?: Record<string, unknown> }[], edges: { source: string; target: string }[]) =>
    new Execution(builtinRegistry()).load({ format: 'neurotab.pipeline', version: 1, meta: { name: 't', description: '' }, nodes, edges });
  it('Segmentation → Variance → LogisticRegression → MovingAverage (smoothing predictions) loads', () => {
    expect(() =>
      load(
        [
          { id: 'in', type: 'io.stream-input' },
          { id: 'seg', type: 'time.segmentation', params: { time_bounds: [0, 1] } },
          { id: 'var', type: 'math.variance', params: { axis: 'time' } },
          { id: 'lr', type: 'LogisticRegression' },
          { id: 'ma', type: 'MovingAverage', params: { order: 2, order_unit: 'seconds' } },
        ],
        [
          { source: 'in', target: 'seg' },
          { source: 'seg', target: 'var' },
          { source: 'var', target: 'lr' },
          { source: 'lr', target: 'ma' },
        ],
      ),
    ).not.toThrow();
  });
  it('a spectrum into StripSingletonAxis(axis time) loads: a chunk without the axis passes', () => {
    expect(() =>
      load(
        [
          { id: 'in', type: 'io.stream-input' },
          { id: 'win', type: 'time.sliding-window', params: { window_length: 1, step: 0.5 } },
          { id: 'psd', type: 'spectral.welch' },
          { id: 'strip', type: 'StripSingletonAxis', params: { axis: 'time' } },
        ],
        [
          { source: 'in', target: 'win' },
          { source: 'win', target: 'psd' },
          { source: 'psd', target: 'strip' },
        ],
      ),
    ).not.toThrow();
  });
});
