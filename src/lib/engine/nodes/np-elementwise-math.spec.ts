// NeuroPype's Add, Subtract, Divide, Shift, OperateConstant and Discretize against NumPy
// (fixtures/make-np-fixtures.py): broadcasting of data2 over data1, constants on either side,
// numpy.digitize levels; chunk pairing, marker pass-through, refusals with their reason.
import { describe, expect, it } from 'vitest';
import { featureAxis, frequencyAxis, instanceAxis, MARKER, spaceAxis, type Axis } from '../axes';
import { makeBlock } from '../block';
import { chunkProps, markerChunk, type Chunk } from '../packet';
import { concatPackets, copyPacket, type Packet } from '../packet';
import { sliceAlong } from '../block';
import { instantiate, makeStream, packet, packetSummary, randomChunks, rng, signalFromChannelMajor } from '../testing';
import fx from './fixtures/np-fixtures.json';
import { addNode, discretizeNode, divideNode, operateConstant, shiftNode, subtractNode } from './np-elementwise-math';

const props = chunkProps({ id: 's', name: 's', kind: 'eeg' }, { is_signal: true });
const inst = instanceAxis(Float64Array.of(0, 1, 2), { [MARKER]: ['a', 'b', 'c'] }, 'segments');
const space = spaceAxis(makeStream(['C3', 'C4'], 100).channels);
const chunk = (data: number[], axes: Axis[], f32 = false): Chunk => ({ block: makeBlock(f32 ? Float32Array.from(data) : Float64Array.from(data), axes), props });
const a = () => chunk(fx.binary.a, [inst, frequencyAxis(Float64Array.of(1, 2, 3, 4, 5)), space]);
const b = () => chunk(fx.binary.b, [inst, frequencyAxis(Float64Array.of(3)), space]);
const close = (got: ArrayLike<number>, exp: number[], tol = 1e-12) => {
  expect(got.length).toBe(exp.length);
  for (let i = 0; i < exp.length; i++) expect(Math.abs(got[i] - exp[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(exp[i])));
};

describe('Add, Subtract, Divide: data1 ∘ data2 as NumPy broadcasts', () => {
  it.each([
    ['add', addNode],
    ['subtract', subtractNode],
    ['divide', divideNode],
  ] as const)('%s: instance × frequency × space with a one-element frequency axis in data2', (op, cls) => {
    const { node } = instantiate(cls);
    const out = node.process({ data1: packet(a()), data2: packet(b()) })!.outdata!.get('eeg')!;
    close(out.block.data, fx.binary[op]);
    expect(out.block.axes).toEqual(a().block.axes);
    expect(out.block.data).toBeInstanceOf(Float64Array);
  });

  it('reorders data2 when it has the same axes in another order, pairs packets that arrive apart, passes markers', () => {
    // data2 as space × frequency × instance (transposed), float32
    const bt = new Array<number>(6);
    for (let i = 0; i < 3; i++) for (let c = 0; c < 2; c++) bt[c * 3 + i] = fx.binary.b[i * 2 + c];
    const b2 = chunk(bt, [space, frequencyAxis(Float64Array.of(3)), inst], true);
    const { node } = instantiate(divideNode);
    const mk = markerChunk([{ timestampMs: 5, value: 'go' }]);
    expect(node.process({ data1: new Map([['eeg', a()], ['markers', mk]]) })).toBeUndefined();
    const out = node.process({ data2: packet(b2) })!.outdata!;
    close(out.get('eeg')!.block.data, fx.binary.divide, 1e-6);
    expect(out.get('markers')).toEqual(mk);
  });

  it('on streaming pieces: the same output in any chunking, also when one input arrives a step later', () => {
    const N = 300;
    const st = makeStream(3, 250);
    const x1 = signalFromChannelMajor(st, Float64Array.from({ length: 3 * N }, (_, i) => Math.sin(i * 0.37)), N);
    const x2 = signalFromChannelMajor(st, Float64Array.from({ length: 3 * N }, (_, i) => 2 + Math.cos(i * 0.11)), N);
    const piece = (c: Chunk, a: number, b: number) => packet({ block: sliceAlong(c.block, 0, a, b), props: c.props });
    const run = (sizes: number[], lag: boolean) => {
      const { node } = instantiate(divideNode);
      const r = rng(9);
      let out: Packet | undefined;
      let late: Packet | undefined;
      const add = (p?: Packet) => void (p && (out = out ? concatPackets(out, copyPacket(p)) : copyPacket(p)));
      for (let at = 0, k = 0; at < N; at += sizes[k++]) {
        const [p1, p2] = [piece(x1, at, at + sizes[k]), piece(x2, at, at + sizes[k])];
        if (lag && r() < 0.5) {
          add(node.process({ data1: p1, ...(late ? { data2: late } : {}) })?.outdata);
          late = copyPacket(p2);
        } else {
          add(node.process({ data1: p1, data2: late ?? p2 })?.outdata);
          if (late) add(node.process({ data2: p2 })?.outdata);
          late = undefined;
        }
      }
      if (late) add(node.process({ data2: late })?.outdata);
      return out;
    };
    const whole = run([N], false);
    expect(packetSummary(run(randomChunks(N, 3, 40), true))).toEqual(packetSummary(whole));
    expect(packetSummary(run(randomChunks(N, 5, 17), false))).toEqual(packetSummary(whole));
    const y = whole!.get('eeg')!.block.data;
    const a1 = x1.block.data;
    const a2 = x2.block.data;
    for (let i = 0; i < y.length; i += 37) expect(y[i]).toBe(Math.fround(a1[i] / a2[i]));
  });

  it('refuses operands that do not broadcast and a data2 without the chunk', () => {
    const { node } = instantiate(addNode);
    const wrong = chunk([1, 2, 3, 4, 5, 6], [inst, featureAxis(['x', 'y'])]);
    expect(() => node.process({ data1: packet(a()), data2: packet(wrong) })).toThrow(/cannot combine instance \(3\) × frequency \(5\) × space \(2\) \(data1\) with instance \(3\) × feature \(2\) \(data2\)/);
    const two = new Map([['eeg', a()], ['eeg-2', a()]]);
    expect(() => instantiate(addNode).node.process({ data1: two, data2: packet(b(), 'other') })).toThrow(/data2 has no data chunk "eeg" to combine with \(data2 holds other\)/);
    const lonely = instantiate(subtractNode).node;
    expect(() => {
      for (let i = 0; i < 300; i++) lonely.process({ data1: packet(a()) });
    }).toThrow(/256 packets on data1 wait for a partner on data2, which delivers nothing/);
  });
});

describe('Shift, OperateConstant', () => {
  const x = () => chunk(fx.constant.x, [inst, frequencyAxis(Float64Array.of(1, 2, 3, 4, 5)), space]);
  const run = (cls: typeof shiftNode, params: Record<string, unknown>) => instantiate(cls, params).node.process({ data: packet(x()) })!.data!.get('eeg')!.block.data;
  it('match NumPy', () => {
    close(run(shiftNode, { offset: -0.5 }), fx.constant.shift);
    close(run(operateConstant, { operator: 'divide', constant: 2 }), fx.constant.divide);
    close(run(operateConstant, { operator: 'divide', constant: 2, constant_first: true }), fx.constant.divideFirst);
    close(run(operateConstant, { operator: 'power', constant: 1.5 }), fx.constant.power);
    close(run(operateConstant, { operator: 'subtract', constant: 3, constant_first: true }), fx.constant.subtractFirst);
  });
  it('refuses an operator outside the accepted list, and Shift on marker chunks', () => {
    expect(() => instantiate(shiftNode, { only_signals: false })).toThrow(/only_signals" = false is not supported \(marker chunks carry no values to shift\)/);
    expect(() => instantiate(operateConstant, { operator: 'modulo' })).toThrow(/parameter "operator": expects one of "add", "subtract", "multiply", "divide", "power", got "modulo"/);
  });
});

describe('Discretize', () => {
  it('gives numpy.digitize levels (an alpha peak in [8.9, 15.1) Hz → 1)', () => {
    const c = chunk(fx.discretize.x, [featureAxis(fx.discretize.x.map(String))]);
    const out = instantiate(discretizeNode, { threshold_cutoffs: fx.discretize.cutoffs, newvals: fx.discretize.newvals }).node.process({ data: packet(c) })!.data!.get('eeg')!;
    expect(Array.from(out.block.data)).toEqual(fx.discretize.y);
  });
  it('refuses missing or inconsistent levels at creation', () => {
    expect(() => instantiate(discretizeNode, { threshold_cutoffs: [1] })).toThrow(/set both threshold_cutoffs .* and newvals/);
    expect(() => instantiate(discretizeNode, { threshold_cutoffs: [1, 2], newvals: [0, 1] })).toThrow(/2 new values for 2 cutoffs; give one more value than cutoffs/);
    expect(() => instantiate(discretizeNode, { threshold_cutoffs: [2, 1], newvals: [0, 1, 0] })).toThrow(/must be increasing/);
  });
});
