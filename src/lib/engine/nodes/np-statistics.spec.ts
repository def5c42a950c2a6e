// NeuroPype's GroupedMean and Winsorize against NumPy / SciPy (fixtures/make-np-fixtures.py): group
// means and medians over sorted Marker groups with the instance axis anywhere, the groups' instance
// fields and times; scipy.stats.mstats.winsorize along the instance axis; refusals with the reason.
import { describe, expect, it } from 'vitest';
import { instanceAxis, MARKER, spaceAxis, TARGET, timeAxis } from '../axes';
import { makeBlock, moveAxis } from '../block';
import { chunkProps, type Chunk } from '../packet';
import { axisOf, instantiate, makeStream, packet } from '../testing';
import fx from './fixtures/np-fixtures.json';
import { groupedMeanNode, winsorizeNode } from './np-statistics';

const props = chunkProps({ id: 's', name: 's', kind: 'eeg' }, { is_signal: true });
const g = fx.groupedMean;
const trials = (): Chunk => {
  const inst = instanceAxis(Float64Array.from(g.markers, (_, i) => 1000 * i), { [MARKER]: g.markers, [TARGET]: Float64Array.from(g.markers, (m) => (m === 'up' ? NaN : m === 'left' ? 0 : 1)) }, 'segments');
  return { block: makeBlock(Float64Array.from(g.x), [inst, timeAxis(Float64Array.of(0, 4), 250), spaceAxis(makeStream(2, 250).channels)]), props };
};
const close = (got: ArrayLike<number>, exp: number[], tol = 1e-12) => {
  expect(got.length).toBe(exp.length);
  for (let i = 0; i < exp.length; i++) expect(Math.abs(got[i] - exp[i])).toBeLessThanOrEqual(tol);
};

describe('GroupedMean', () => {
  it('one instance per sorted Marker group: numpy mean / median, fields and mean times', () => {
    const out = instantiate(groupedMeanNode).node.process({ data: packet(trials()) })!.data!.get('eeg')!;
    close(out.block.data, g.mean);
    const inst = axisOf(out, 'instance');
    expect(inst.fields[MARKER]).toEqual(g.groups);
    expect(inst.fields[TARGET]).toEqual(Float64Array.of(0, 1, NaN));
    // left = trials 1, 3, 4; right = 0, 2, 6; up = 5
    expect(inst.timesMs).toEqual(Float64Array.of(8000 / 3, 8000 / 3, 5000));
    const med = instantiate(groupedMeanNode, { mean_type: 'median' }).node.process({ data: packet(trials()) })!.data!.get('eeg')!;
    close(med.block.data, g.median);
  });

  it('works with the instance axis in the middle, and without fields (fill_cols false)', () => {
    const t = trials();
    const moved: Chunk = { block: moveAxis(t.block, 0, 2), props };
    const out = instantiate(groupedMeanNode, { fill_cols: false }).node.process({ data: packet(moved) })!.data!.get('eeg')!;
    expect(out.block.axes.map((a) => a.type)).toEqual(['time', 'space', 'instance']);
    close(moveAxis(out.block, 2, 0).data, g.mean);
    expect(axisOf(out, 'instance').fields).toEqual({});
  });

  it('refuses a missing field, error estimates and impossible trims', () => {
    expect(() => instantiate(groupedMeanNode, { group_cols: ['Condition'] }).node.process({ data: packet(trials()) })).toThrow(/instances have no field "Condition" \(fields: Marker, TargetValue\); set group_cols/);
    expect(() => instantiate(groupedMeanNode, { error_type: 'sem' })).toThrow(/parameter "error_type": expects one of "none"/);
    expect(() => instantiate(groupedMeanNode, { trim_proportion: [0.6, 0] })).toThrow(/each proportion must be in \[0, 0.5\)/);
  });
});

describe('Winsorize', () => {
  const x = (): Chunk => ({ block: makeBlock(Float32Array.from(fx.winsorize.x), [instanceAxis(new Float64Array(10)), spaceAxis(makeStream(3, 250).channels)]), props });
  it.each(fx.winsorize.cases.map((c) => [c.lower, c.upper, c.y] as const))('lower %d, upper %d as scipy.stats.mstats.winsorize along instance', (lower, upper, y) => {
    const out = instantiate(winsorizeNode, { trim_proportion: upper, trim_proportion_lower: lower }).node.process({ data: packet(x()) })!.data!.get('eeg')!;
    close(out.block.data, y, 1e-5);
    expect(out.block.data).toBeInstanceOf(Float32Array);
  });
  it('the lower limit defaults to trim_proportion; a proportion outside [0, 1] is refused', () => {
    const a = instantiate(winsorizeNode, { trim_proportion: 0.2 }).node.process({ data: packet(x()) })!.data!.get('eeg')!;
    close(a.block.data, fx.winsorize.cases[0].y, 1e-5);
    expect(() => instantiate(winsorizeNode, { trim_proportion: 1.5 })).toThrow(/parameter "trim_proportion": 1.5 is outside \[0, 1\]/);
  });
});
