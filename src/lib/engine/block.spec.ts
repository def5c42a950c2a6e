// Block helpers against NumPy (fixtures/make-block-fixtures.py): the data each helper produces, and
// what happens to the axes (every array of an axis follows its elements).
import { describe, expect, it } from 'vitest';
import fx from './fixtures/block-fixtures.json';
import { axisLength, featureAxis, frequencyAxis, instanceAxis, MARKER, plainAxis, spaceAxis, TARGET, timeAxis, type Axis, type FeatureAxis, type InstanceAxis, type SpaceAxis } from './axes';
import {
  applyAlong,
  axisIndex,
  concatAlong,
  dropSingleton,
  findAxis,
  flattenFeatures,
  makeBlock,
  moveAxis,
  reduceAlong,
  requireAxis,
  sameStream,
  selectAlong,
  sliceAlong,
  transposeBlock,
  viewAs,
  type Block,
} from './block';

type Case = { kind: string; args: Record<string, any>; shape: number[]; data: number[] };
const cases = fx.cases as Case[];
const of = (kind: string) => cases.filter((c) => c.kind === kind);

/** instance (2) × time (3) × space (4) × frequency (5), every axis carrying arrays to follow. */
function sample(data: number[] = fx.x.data, n0 = 2): Block {
  const inst = instanceAxis(Float64Array.from({ length: n0 }, (_, i) => 1000 * i), { [MARKER]: Array.from({ length: n0 }, (_, i) => `m${i}`), [TARGET]: Float64Array.from({ length: n0 }, (_, i) => i % 2) }, 'segments');
  const space = spaceAxis(
    Array.from({ length: 4 }, (_, i) => ({ label: `c${i}`, unit: 'uV', type: 'EEG' })),
    { positions: Float64Array.from({ length: 12 }, (_, i) => i / 10) },
  );
  return makeBlock(Float64Array.from(data), [inst, timeAxis(Float64Array.of(0, 4, 8), 250), space, frequencyAxis(Float64Array.of(1, 2, 3, 4, 5))]);
}

const close = (got: ArrayLike<number>, want: number[]) => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 10);
};

describe('block helpers = NumPy', () => {
  const x = sample();

  it('transposeBlock = np.transpose, axes permuted with the data; identity is a view', () => {
    for (const c of of('transpose')) {
      const t = transposeBlock(x, c.args.perm);
      expect(t.shape).toEqual(c.shape);
      expect(Array.from(t.data)).toEqual(c.data);
      expect(t.axes).toEqual(c.args.perm.map((p: number) => x.axes[p]));
    }
    expect(transposeBlock(x, [0, 1, 2, 3])).toBe(x);
  });

  it('moveAxis = np.moveaxis; viewAs names the order by type, with "..." for the rest', () => {
    for (const c of of('moveaxis')) {
      const m = moveAxis(x, c.args.from, c.args.to);
      expect(m.shape).toEqual(c.shape);
      expect(Array.from(m.data)).toEqual(c.data);
    }
    const freqFirst = of('moveaxis').find((c) => c.args.from === 3 && c.args.to === 1)!;
    const v = viewAs(x, ['instance', 'frequency', '...']);
    expect(v.axes.map((a) => a.type)).toEqual(['instance', 'frequency', 'time', 'space']);
    expect(Array.from(v.data)).toEqual(freqFirst.data);
    expect(viewAs(x, ['instance', '...', 'frequency']).data).toBe(x.data); // already in that order: no copy
    expect(() => viewAs(x, ['lag', '...'])).toThrow(/needs a lag axis, but the data has instance \(2\) × time \(3\) × space \(4\) × frequency \(5\)/);
    expect(() => viewAs(x, ['time', 'space'])).toThrow(/leaves out instance, frequency; add '...'/);
  });

  it('selectAlong = np.take; the axis keeps its arrays in step (positions, instance fields, times)', () => {
    for (const c of of('take')) {
      const s = selectAlong(x, c.args.axis, c.args.indices);
      expect(s.shape).toEqual(c.shape);
      expect(Array.from(s.data)).toEqual(c.data);
    }
    const sp = selectAlong(x, 2, [3, 1]).axes[2] as SpaceAxis;
    expect(sp.channels.map((ch) => ch.label)).toEqual(['c3', 'c1']);
    expect(Array.from(sp.positions!)).toEqual([0.9, 1.0, 1.1, 0.3, 0.4, 0.5].map((v) => +v.toFixed(1)));
    const inst = selectAlong(x, 0, [1]).axes[0] as InstanceAxis;
    expect([Array.from(inst.timesMs), inst.fields[MARKER], Array.from(inst.fields[TARGET] as Float64Array)]).toEqual([[1000], ['m1'], [1]]);
    expect(() => selectAlong(x, 1, [3])).toThrow(/index 3 outside the time axis \(3 elements\)/);
  });

  it('sliceAlong = a contiguous take; a view (no copy) along the first axis', () => {
    for (const c of of('slice')) {
      const s = sliceAlong(x, c.args.axis, c.args.start, c.args.end);
      expect(s.shape).toEqual(c.shape);
      expect(Array.from(s.data)).toEqual(c.data);
      if (c.args.axis === 0) expect(s.data.buffer).toBe(x.data.buffer);
    }
  });

  it('reduceAlong = np.var / np.mean with keepdims; the axis becomes a singleton of its type, a feature, or goes', () => {
    const variance = (ddof: number) => (lane: Float64Array) => {
      let m = 0;
      for (const v of lane) m += v;
      m /= lane.length;
      let s = 0;
      for (const v of lane) s += (v - m) ** 2;
      return s / (lane.length - ddof);
    };
    const mean = (lane: Float64Array) => lane.reduce((a, b) => a + b, 0) / lane.length;
    for (const c of [...of('var'), ...of('mean')]) {
      const fn = c.kind === 'var' ? variance(c.args.ddof) : mean;
      const r = reduceAlong(x, c.args.axis, fn, 'singleton', c.kind);
      expect(r.shape).toEqual(c.shape);
      close(r.data, c.data);
      expect(r.axes[c.args.axis].type).toBe(x.axes[c.args.axis].type);
      const dropped = reduceAlong(x, c.args.axis, fn, 'drop');
      expect(dropped.shape).toEqual(c.shape.filter((_, d) => d !== c.args.axis));
      close(dropped.data, c.data);
      const feat = reduceAlong(x, c.args.axis, fn, 'feature', c.kind);
      expect(feat.axes[c.args.axis]).toEqual(featureAxis([c.kind]));
    }
    // the one-element axis a reduction leaves: mean time, a labelled channel, agreeing instance fields
    const overTime = reduceAlong(x, 1, mean);
    expect(Array.from((overTime.axes[1] as { timesMs: Float64Array }).timesMs)).toEqual([4]);
    expect((reduceAlong(x, 2, mean, 'singleton', 'mean').axes[2] as SpaceAxis).channels).toEqual([{ label: 'mean', unit: 'uV', type: 'MISC' }]);
    expect((reduceAlong(x, 0, mean).axes[0] as InstanceAxis).fields[MARKER]).toEqual(['']);
    expect(dropSingleton(overTime, 1).shape).toEqual([2, 4, 5]);
    expect(() => dropSingleton(x, 1)).toThrow(/3 elements, not 1/);
  });

  it('concatAlong = np.concatenate; the joined axis is the concatenation of theirs', () => {
    // y = x[:, :2] * 2 + 1: its own data over x's axes with time cut to two samples
    const ySmall: Block = { ...selectAlong(x, 1, [0, 1]), data: Float64Array.from(fx.y.data) };
    for (const c of of('concat')) {
      const j = concatAlong([x, c.args.second === 'x' ? x : ySmall], c.args.axis);
      expect(j.shape).toEqual(c.shape);
      expect(Array.from(j.data)).toEqual(c.data);
    }
    const j0 = concatAlong([x, x], 0).axes[0] as InstanceAxis;
    expect(j0.fields[MARKER]).toEqual(['m0', 'm1', 'm0', 'm1']);
    expect(() => concatAlong([x, ySmall], 0)).toThrow(/cannot join blocks/);
  });

  it('applyAlong runs a kernel on every lane along an axis (np.cumsum; scipy.signal.detrend linear)', () => {
    const cumsum = (a: Float64Array, y: Float64Array) => {
      let s = 0;
      for (let i = 0; i < a.length; i++) y[i] = s += a[i];
    };
    for (const c of of('cumsum')) close(applyAlong(x, c.args.axis, cumsum).data, c.data);
    const detrendLinear = (a: Float64Array, y: Float64Array) => {
      const n = a.length;
      const tm = (n - 1) / 2;
      const m = a.reduce((p, v) => p + v, 0) / n;
      let stt = 0;
      let sxy = 0;
      for (let i = 0; i < n; i++) {
        stt += (i - tm) ** 2;
        sxy += (i - tm) * (a[i] - m);
      }
      for (let i = 0; i < n; i++) y[i] = a[i] - m - (sxy / stt) * (i - tm);
    };
    for (const c of of('detrend')) close(applyAlong(x, c.args.axis, detrendLinear).data, c.data);
    // a kernel that changes the lane's length gets its new axis
    const firstTwo = applyAlong(x, 3, (a, y) => y.set(a.subarray(0, 2)), frequencyAxis(Float64Array.of(1, 2)));
    expect(firstTwo.shape).toEqual([2, 3, 4, 2]);
  });

  it('flattenFeatures: item axis first, the rest row-major into named features (np.moveaxis + reshape)', () => {
    // the same data with its instance axis third: time (2) × space (3) × instance (4) × frequency (5)
    const third = makeBlock(x.data, [timeAxis(Float64Array.of(0, 4), 250), spaceAxis(['a', 'b', 'c'].map((label) => ({ label, unit: '', type: 'EEG' }))), instanceAxis(Float64Array.of(0, 1, 2, 3)), frequencyAxis(Float64Array.of(1, 2, 3, 4, 5))]);
    for (const c of of('flatten')) {
      const f = flattenFeatures(c.args.item === 0 ? x : third);
      expect(f.axes.map((a) => a.type)).toEqual(['instance', 'feature']);
      expect(f.shape).toEqual(c.shape);
      expect(Array.from(f.data)).toEqual(c.data);
    }
    const f = flattenFeatures(x);
    const names = (f.axes[1] as FeatureAxis).names;
    expect(names.length).toBe(60);
    expect(names.slice(0, 2)).toEqual(['0 ms:c0:1 Hz', '0 ms:c0:2 Hz']);
    // singleton axes stay out of the names (variance over time, then features)
    const v = flattenFeatures(reduceAlong(x, 1, (l) => l[0]));
    expect((v.axes[1] as FeatureAxis).names.slice(0, 2)).toEqual(['c0:1 Hz', 'c0:2 Hz']);
    // already item × feature: a view
    const ready = makeBlock(new Float32Array(6), [instanceAxis(Float64Array.of(0, 1)), featureAxis(['a', 'b', 'c'])]);
    expect(flattenFeatures(ready)).toBe(ready);
  });
});

describe('finding axes', () => {
  const twoSpace = makeBlock(new Float32Array(2 * 3 * 3), [timeAxis(Float64Array.of(0, 1), 1), spaceAxis([{ label: 'a', unit: '', type: 'EEG' }, { label: 'b', unit: '', type: 'EEG' }, { label: 'c', unit: '', type: 'EEG' }]), spaceAxis([{ label: 'x', unit: '', type: 'EEG' }, { label: 'y', unit: '', type: 'EEG' }, { label: 'z', unit: '', type: 'EEG' }])]);
  it('by type and occurrence (0 first, 1 second, −1 last), with an error naming the axes there are', () => {
    expect([axisIndex(twoSpace, 'space'), axisIndex(twoSpace, 'space', 1), axisIndex(twoSpace, 'space', -1), axisIndex(twoSpace, 'space', 2), axisIndex(twoSpace, 'frequency')]).toEqual([1, 2, 2, -1, -1]);
    expect(findAxis(twoSpace, 'space', 1)!.channels[0].label).toBe('x');
    expect(() => requireAxis(twoSpace, 'frequency', 'node "f"')).toThrow(/node "f": needs a frequency axis, but the data has time \(2\) × space \(3\) × space \(3\)/);
    expect(() => makeBlock(new Float32Array(5), twoSpace.axes)).toThrow(/holds 5 values but its axes .* need 18/);
  });
});

describe('sameStream: the one rule for whether a chunk continues a stream', () => {
  const eeg = (labels: string[], rate = 250, extra: Partial<Axis> = {}): Axis[] => [timeAxis(new Float64Array(3), rate), { ...spaceAxis(labels.map((label) => ({ label, unit: 'uV', type: 'EEG' }))), ...extra } as Axis];
  it('new but equal axis objects continue the stream; another rate, channel, order of axes or position does not', () => {
    const a = { axes: eeg(['C3', 'C4']) };
    expect(sameStream(a, a)).toBe(true);
    expect(sameStream(a, { axes: eeg(['C3', 'C4']) })).toBe(true); // what an upstream node rebuilding its descriptor hands on
    expect(sameStream(a, { axes: [{ ...(a.axes[0] as { timesMs: Float64Array }), timesMs: new Float64Array(10) } as Axis, a.axes[1]] })).toBe(true); // other times
    expect(sameStream(a, { axes: eeg(['C3', 'C4'], 500) })).toBe(false);
    expect(sameStream(a, { axes: eeg(['C3', 'Cz']) })).toBe(false);
    expect(sameStream(a, { axes: eeg(['C3', 'C4', 'Cz']) })).toBe(false);
    expect(sameStream(a, { axes: [a.axes[1], a.axes[0]] })).toBe(false);
    expect(sameStream(a, { axes: eeg(['C3', 'C4'], 250, { positions: new Float64Array(6) } as Partial<Axis>) })).toBe(false);
    // instances are items, not layout: a packet of 3 epochs continues one of 5
    const ep = (n: number) => ({ axes: [instanceAxis(new Float64Array(n)), ...eeg(['C3'])] });
    expect(sameStream(ep(3), ep(5))).toBe(true);
    expect(axisLength(plainAxis(4))).toBe(4);
  });
});
