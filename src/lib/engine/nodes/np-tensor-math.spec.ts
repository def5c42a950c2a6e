// NeuroPype's OverrideAxis, SetAxisValues and StripSingletonAxis: exact resulting axes and props on
// the layouts real pipelines feed them (learner output, a stream without channel names, a whole-
// recording spectrum), static shapes accepted and refused at load, and bad parameters refused.
import { describe, expect, it } from 'vitest';
import { PipelineError, type PipelineDocumentInput } from '../document';
import { featureAxis, frequencyAxis, instanceAxis, MARKER, spaceAxis, TARGET, timeAxis } from '../axes';
import { makeBlock } from '../block';
import { chunkProps, type Chunk } from '../packet';
import { Execution } from '../runtime';
import { axisOf, epochsChunk, instantiate, makeStream, packet } from '../testing';
import { builtinRegistry } from './index';
import { overrideAxis, setAxisValues, stripSingletonAxis } from './np-tensor-math';

const props = chunkProps({ id: 's', name: 's', kind: 'eeg' }, { is_signal: true });
const run = (cls: typeof overrideAxis, params: Record<string, unknown>, c: Chunk, name = 'eeg') => instantiate(cls, params).node.process({ data: packet(c, name) })!.data!.get(name)!;

/** What a learner emits: instance (3) × feature (2, the class columns). */
function predictions(): Chunk {
  const inst = instanceAxis(Float64Array.of(1000, 2000, 3000), { [MARKER]: ['a', 'b', 'a'], [TARGET]: Float64Array.of(0, 1, 0) }, 'segments');
  return { block: makeBlock(Float64Array.of(0.2, 0.8, 0.6, 0.4, 0.9, 0.1), [inst, featureAxis(['0', '1'], ['p', 'p'])]), props };
}

describe('OverrideAxis', () => {
  it('renames the class-probability columns of a learner (feature → feature, init_data), the data untouched', () => {
    const c = predictions();
    const out = run(overrideAxis, { old_axis: 'feature', new_axis: 'feature', init_data: ['left', 'right'] }, c);
    expect(out.block.data).toBe(c.block.data);
    expect(axisOf(out, 'feature')).toEqual(featureAxis(['left', 'right'], ['', '']));
    expect(out.block.axes[0]).toBe(c.block.axes[0]);
    expect(out.props).toBe(c.props);
    // keep_other_arrays keeps the units; join_format combines old and new labels
    const kept = run(overrideAxis, { init_data: ['left', 'right'], keep_other_arrays: true, join_format: '{old}-{new}' }, c);
    expect(axisOf(kept, 'feature')).toEqual(featureAxis(['0-left', '1-right'], ['p', 'p']));
  });

  it('instance → time carries the instance times over (seconds in NeuroPype, ms here), irregular rate', () => {
    const out = run(overrideAxis, { old_axis: 'instance', new_axis: 'time' }, predictions());
    expect(out.block.axes.map((a) => a.type)).toEqual(['time', 'feature']);
    expect(axisOf(out, 'time')).toEqual(timeAxis(Float64Array.of(1000, 2000, 3000), 0));
    // numbers become names with `decimals` digits; names carry over as names
    const f = run(overrideAxis, { old_axis: 'instance', new_axis: 'feature', carry_over_names: false }, predictions());
    expect(axisOf(f, 'feature').names).toEqual(['1', '2', '3']);
    const m = run(overrideAxis, { old_axis: 'instance', new_axis: 'space' }, predictions());
    expect(axisOf(m, 'space').channels.map((ch) => ch.label)).toEqual(['a', 'b', 'a']);
  });

  it('numeric init_data makes a frequency axis; a numeric axis without numbers and a wrong length are refused', () => {
    const out = run(overrideAxis, { old_axis: 'feature', new_axis: 'frequency', init_data: [8, 12] }, predictions());
    expect(axisOf(out, 'frequency')).toEqual(frequencyAxis(Float64Array.of(8, 12)));
    expect(() => instantiate(overrideAxis, { old_axis: 'feature', new_axis: 'time', init_data: ['x', 'y'] })).toThrow(/a new time axis needs numbers, but init_data holds "x"/);
    const { node } = instantiate(overrideAxis, { old_axis: 'feature', new_axis: 'time' });
    expect(() => node.process({ data: packet(predictions()) })).toThrow(/a new time axis needs numbers \(seconds\)/);
    const bad = instantiate(overrideAxis, { init_data: ['left', 'right', 'up'] }).node;
    expect(() => bad.process({ data: packet(predictions()) })).toThrow(/init_data has 3 entries but the feature axis has 2 elements/);
    expect(() => instantiate(overrideAxis, { custom_label: 'x' })).toThrow(/custom_label" = "x" is not supported .* leave it at null/);
    // NeuroPype's designer saves an unfilled text field as '': the same as the null default.
    expect(() => instantiate(overrideAxis, { custom_label: '' })).not.toThrow();
  });

  it('passes marker chunks unless only_signals is false', () => {
    const mk: Chunk = { block: makeBlock(Float64Array.of(NaN), [instanceAxis(Float64Array.of(5), { [MARKER]: ['go'] })]), props: chunkProps({ id: 'm', name: 'm', kind: 'markers' }, { has_markers: true }) };
    const p = new Map([['eeg', predictions()], ['markers', mk]]);
    const a = instantiate(overrideAxis, { old_axis: 'instance', new_axis: 'time' }).node.process({ data: p })!.data!;
    expect(a.get('markers')).toBe(mk);
    const b = instantiate(overrideAxis, { old_axis: 'instance', new_axis: 'time', only_signals: false }).node.process({ data: p })!.data!;
    expect(b.get('markers')!.block.axes[0].type).toBe('time');
  });
});

describe('SetAxisValues', () => {
  const stream = makeStream(['1', '2', '3'], 250);
  const sig = (): Chunk => ({ block: makeBlock(new Float32Array(6), [timeAxis(Float64Array.of(0, 4), 250), spaceAxis(stream.channels, { positions: new Float64Array(9) })]), props });

  it('names the channels of a stream that sends none, keeping units, types and positions', () => {
    const out = run(setAxisValues, { axis: 'space', values: ['C3', 'Cz', 'C4'] }, sig());
    const s = axisOf(out, 'space');
    expect(s.channels).toEqual([
      { label: 'C3', unit: 'uV', type: 'EEG' },
      { label: 'Cz', unit: 'uV', type: 'EEG' },
      { label: 'C4', unit: 'uV', type: 'EEG' },
    ]);
    expect(s.positions).toEqual(new Float64Array(9));
    expect(run(setAxisValues, { axis: 'space', array_name: 'units', values: ['V', 'V', 'V'] }, sig()).block.axes[1]).toMatchObject({ channels: [{ label: '1', unit: 'V' }, { unit: 'V' }, { unit: 'V' }] });
  });

  it('sets times (seconds), frequencies and instance-data fields (numbers stay numbers)', () => {
    expect(axisOf(run(setAxisValues, { axis: 'time', values: [1, 1.5] }, sig()), 'time').timesMs).toEqual(Float64Array.of(1000, 1500));
    const ep = epochsChunk(stream, [{ samples: new Float32Array(6), timeMs: 0 }, { samples: new Float32Array(6), timeMs: 10 }], 2);
    const t = run(setAxisValues, { axis: 'instance', array_name: TARGET, values: [1, 0] }, ep);
    expect(axisOf(t, 'instance').fields[TARGET]).toEqual(Float64Array.of(1, 0));
    expect(axisOf(run(setAxisValues, { axis: 'instance', array_name: MARKER, values: ['l', 'r'] }, ep), 'instance').fields[MARKER]).toEqual(['l', 'r']);
  });

  it('refuses a wrong length, an unknown array and undocumented options; without values, passes data and warns', () => {
    expect(() => run(setAxisValues, { axis: 'space', values: ['C3'] }, sig())).toThrow(/values has 1 entries but the space axis has 3 elements/);
    const unset = instantiate(setAxisValues, { axis: 'space' });
    const same = sig();
    expect(unset.node.process({ data: packet(same) })!.data!.get('eeg')).toBe(same);
    expect(unset.logs[0].message).toMatch(/no "values" set: data passes unchanged/);
    expect(() => instantiate(setAxisValues, { axis: 'space', values: [], array_name: 'colors' })).toThrow(/array_name "colors" is not an array of a space axis \(arrays: names, units, types\)/);
    expect(() => instantiate(setAxisValues, { values: [], handle_existing: 'append' })).toThrow(/parameter "handle_existing": expects one of "replace-all", got "append"/);
    expect(() => instantiate(setAxisValues, { values: [], infer_dummy_values: true })).toThrow(/infer_dummy_values" = true is not supported/);
    // only the chunk named by `stream`
    const p = instantiate(setAxisValues, { values: ['a', 'b', 'c'], stream: 'other' }).node.process({ data: packet(sig()) })!.data!;
    expect(axisOf(p.get('eeg')!, 'space').channels[0].label).toBe('1');
  });
});

describe('StripSingletonAxis', () => {
  it('drops a one-element axis (view) and leaves a longer one, warning once', () => {
    const spec: Chunk = { block: makeBlock(new Float32Array(6), [timeAxis(Float64Array.of(5), 0), spaceAxis(makeStream(2, 100).channels), frequencyAxis(Float64Array.of(1, 2, 3))]), props };
    const out = run(stripSingletonAxis, { axis: 'time' }, spec);
    expect(out.block.axes.map((a) => a.type)).toEqual(['space', 'frequency']);
    expect(out.block.shape).toEqual([2, 3]);
    expect(out.block.data).toBe(spec.block.data);
    const { node, logs } = instantiate(stripSingletonAxis, { axis: 'frequency' });
    expect(node.process({ data: packet(spec) })!.data!.get('eeg')).toBe(spec);
    node.process({ data: packet(spec) });
    expect(logs).toEqual([{ level: 30, message: 'the frequency axis has 3 elements, not 1: data passed unchanged' }]);
  });
});

describe('at load: shapes through the tensor nodes', () => {
  const doc = (nodes: PipelineDocumentInput['nodes']): PipelineDocumentInput => ({ format: 'neurotab.pipeline', version: 1, nodes, edges: nodes.slice(1).map((n, i) => ({ source: nodes[i].id, target: n.id })) });
  const xdf = { id: 'xdf', type: 'ImportXDF', params: { filename: 'x.xdf' } };
  it('accepts ImportXDF → SetAxisValues(space) → SelectRange, and Welch → StripSingletonAxis(time) → SpectrumPlot', () => {
    expect(() => new Execution(builtinRegistry()).load(doc([xdf, { id: 'names', type: 'SetAxisValues', params: { axis: 'space', values: ['C3'] } }, { id: 'sel', type: 'SelectRange', params: { selection: ['C3'] } }]))).not.toThrow();
    expect(() => new Execution(builtinRegistry()).load(doc([xdf, { id: 'psd', type: 'WelchSpectrum' }, { id: 'strip', type: 'StripSingletonAxis' }, { id: 'plot', type: 'SpectrumPlot' }]))).not.toThrow();
  });
  it('refuses OverrideAxis of an axis the data lacks, and a filter after instance → feature', () => {
    const e1 = (() => {
      try {
        new Execution(builtinRegistry()).load(doc([xdf, { id: 'ov', type: 'OverrideAxis', params: { old_axis: 'frequency', new_axis: 'feature', init_data: ['a'] } }]));
      } catch (e) {
        return e as PipelineError;
      }
    })();
    expect(e1).toBeInstanceOf(PipelineError);
    expect(e1!.message).toMatch(/node "ov".*OverrideAxis \(math.override-axis\) needs a data chunk \(not markers\) with a frequency axis.*set old_axis to an axis the data has/);
    expect(() => new Execution(builtinRegistry()).load(doc([xdf, { id: 'seg', type: 'Segmentation', params: { time_bounds: [0, 1] } }, { id: 'ov', type: 'OverrideAxis', params: { old_axis: 'time', new_axis: 'feature' } }, { id: 'f', type: 'IIRFilter', params: { frequencies: [1, 4] } }]))).toThrow(
      /node "f".*IIRFilter.*with a time axis of more than one element, but ov.data carries .*instance × feature × space/,
    );
  });
});
