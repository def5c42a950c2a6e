// NeuroPype's elementwise_math classes: Add, Subtract, Divide (two packets, chunk by chunk, NumPy
// broadcasting), Shift and OperateConstant (a scalar, math.ts's elementwise), Discretize (thresholds
// → levels, the dsp/axis-ops kernel). Engine worker / Node. Per-value nodes reuse one output buffer
// per chunk name; the two-input nodes allocate their output (they are not on the acquisition path).
import { InputError } from '../../core/errors';
import { discretize } from '../../dsp/axis-ops';
import { describeAxes, viewAs, type Block } from '../block';
import { concatPackets, copyPacket, mapChunks, withBlock, withData, type Chunk, type Packet } from '../packet';
import { sameAs } from '../shapes';
import type { NodeClass, NodeInstance } from '../types';
import { DATA, input, np, output, p, Scratches } from './common';
import { elementwise } from './math';
import { onlyDefault, rethrowAs } from './np-common';

// ------------------------------------------------------------------------------- two operands

/**
 * `b` laid out to broadcast against `a` as NumPy does (trailing dimensions aligned, each equal or
 * 1 in `b`): when both have the same axis types in another order, `b` is first reordered to `a`'s.
 * Returns b's strides over a's dimensions (0 where b broadcasts). Throws when they cannot combine.
 */
function broadcastStrides(a: Block, b: Block, who: string): { data: Block['data']; strides: number[] } {
  const at = a.axes.map((x) => x.type);
  const bt = b.axes.map((x) => x.type);
  if (at.length === bt.length && at.join() !== bt.join() && [...at].sort().join() === [...bt].sort().join()) b = viewAs(b, at, who);
  const nd = a.shape.length;
  const off = nd - b.shape.length;
  const refuse = () => new InputError(`cannot combine ${describeAxes(a.axes)} (data1) with ${describeAxes(b.axes)} (data2): every axis of data2 must match data1's or hold one element (NumPy broadcasting)`, who);
  if (off < 0) throw refuse();
  const strides = new Array<number>(nd).fill(0);
  for (let d = nd - 1, s = 1; d >= off; d--) {
    const bd = d - off;
    const n = b.shape[bd];
    if (n !== 1 && (n !== a.shape[d] || b.axes[bd].type !== a.axes[d].type)) throw refuse();
    strides[d] = n === 1 ? 0 : s;
    s *= n;
  }
  return { data: b.data, strides };
}

/** out[i] = op(a[i], b[broadcast i]) over a's shape; float64 when either operand is. Allocates. */
function combine(a: Chunk, b: Chunk, op: (x: number, y: number) => number, who: string): Chunk {
  const { data: bd, strides } = broadcastStrides(a.block, b.block, who);
  const x = a.block.data;
  const shape = a.block.shape;
  const out = x instanceof Float64Array || bd instanceof Float64Array ? new Float64Array(x.length) : new Float32Array(x.length);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let j = 0;
  for (let i = 0; i < x.length; i++) {
    out[i] = op(x[i], bd[j]);
    for (let d = nd - 1; d >= 0; d--) {
      j += strides[d];
      if (++idx[d] < shape[d]) break;
      j -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return withBlock(a, { data: out, shape: shape.slice(), axes: a.block.axes });
}

function dataChunks(p: Packet): [string, Chunk][] {
  return [...p].filter(([, c]) => c.props.is_signal && !c.props.has_markers);
}

/**
 * Add/Subtract/Divide: the data chunks of `data1` combined with the chunks of the same name in
 * `data2` (or, when each holds a single data chunk, with that one); axes, props and marker chunks
 * from `data1`. Packets are paired in arrival order: one waiting on one port is kept (copied) until
 * the other port delivers (at most MAX_WAITING; more is an error, not a silent leak).
 */
/** Packets one input of Add/Subtract/Divide may hold while the other delivers nothing. */
const MAX_WAITING = 256;

function binary(op: (x: number, y: number) => number, who: string): NodeInstance {
  const waiting: { data1: Packet[]; data2: Packet[] } = { data1: [], data2: [] };
  const pair = (p1: Packet, p2: Packet): Packet => {
    const d1 = dataChunks(p1);
    const d2 = dataChunks(p2);
    const out = new Map<string, Chunk>();
    for (const [name, c] of p1) {
      if (!c.props.is_signal || c.props.has_markers) {
        out.set(name, c);
        continue;
      }
      const other = p2.get(name) ?? (d1.length === 1 && d2.length === 1 ? d2[0][1] : undefined);
      if (!other || other.props.has_markers) throw new InputError(`data2 has no data chunk "${name}" to combine with (data2 holds ${[...p2.keys()].join(', ') || 'nothing'}); feed both inputs from the same streams`, who);
      out.set(name, combine(c, other, op, who));
    }
    return out;
  };
  return {
    process(inputs) {
      const { data1, data2 } = inputs;
      if (data1 && data2 && !waiting.data1.length && !waiting.data2.length) return { outdata: pair(data1, data2) };
      if (data1) waiting.data1.push(copyPacket(data1));
      if (data2) waiting.data2.push(copyPacket(data2));
      for (const port of ['data1', 'data2'] as const)
        if (waiting[port].length > MAX_WAITING) throw new InputError(`${MAX_WAITING} packets on ${port} wait for a partner on ${port === 'data1' ? 'data2' : 'data1'}, which delivers nothing; feed both inputs from branches that emit together`, who);
      let out: Packet | undefined;
      while (waiting.data1.length && waiting.data2.length) {
        const r = pair(waiting.data1.shift()!, waiting.data2.shift()!);
        out = out ? concatPackets(out, r) : r;
      }
      return out ? { outdata: out } : undefined;
    },
    reset() {
      waiting.data1.length = 0;
      waiting.data2.length = 0;
    },
  };
}

function binaryClass(type: string, cls: string, title: string, symbol: string, op: (x: number, y: number) => number, extra = ''): NodeClass {
  return {
    type,
    package: 'math',
    title,
    version: '1.0.0',
    neuropype: np(cls, 'elementwise_math'),
    doc: `outdata = data1 ${symbol} data2, element by element (NeuroPype's ${cls}).${extra}

- **in \`data1\`**, **in \`data2\`**: packets; each data chunk of data1 is combined with the chunk of
  the same name in data2 (or with its only data chunk when each holds one). data2's block must
  broadcast against data1's as in NumPy (each axis equal or one element; the same axis types in
  another order are reordered first). Packets are paired in arrival order.
- **out \`outdata\`**: data1's axes and props with the results; data1's marker chunks pass.
Where NeuroPype is silent (NEUROPYPE-NODES.md [I]): chunk pairing by name, axes from data1.`,
    inputs: [input('data1', [], 'First operand.'), input('data2', [], 'Second operand.')],
    outputs: [output('outdata', sameAs('data1'), `data1 ${symbol} data2.`)],
    params: [],
    create: (_params, ctx) => binary(op, ctx.nodeId),
  };
}

export const addNode = binaryClass('math.add', 'Add', 'Add', '+', (x, y) => x + y);
export const subtractNode = binaryClass('math.subtract', 'Subtract', 'Subtract', '−', (x, y) => x - y);
export const divideNode = binaryClass('math.divide', 'Divide', 'Divide', '/', (x, y) => x / y, ' Division by zero gives ±Infinity or NaN, as NumPy.');

// ------------------------------------------------------------------------------- one operand

export const shiftNode: NodeClass = {
  type: 'math.shift',
  package: 'math',
  title: 'Shift',
  version: '1.0.0',
  neuropype: np('Shift', 'elementwise_math'),
  doc: `Adds a constant **offset** (data unit) to every value (NeuroPype's Shift).

- **in/out \`data\`**: data chunks; markers pass. **only_signals** (from NeuroPype's older Shift):
  accepted at true only.`,
  inputs: [input('data', [DATA], 'Data (any axes).', { hint: 'markers carry no values to shift' })],
  outputs: [output('data', sameAs('data'), 'data + offset.')],
  params: [p.float('offset', 0, 'Added to every value.'), p.bool('only_signals', true, 'Only data chunks (accepted at true only).')],
  create(params, ctx) {
    onlyDefault(params, 'only_signals', true, 'marker chunks carry no values to shift', ctx.nodeId);
    const o = params.offset as number;
    return elementwise((v) => v + o);
  },
};

const OPERATORS: Record<string, (x: number, c: number) => number> = {
  add: (x, c) => x + c,
  subtract: (x, c) => x - c,
  multiply: (x, c) => x * c,
  divide: (x, c) => x / c,
  power: (x, c) => x ** c,
};

export const operateConstant: NodeClass = {
  type: 'math.operate-constant',
  package: 'math',
  title: 'Operate with constant',
  version: '1.0.0',
  neuropype: np('OperateConstant', 'elementwise_math'),
  doc: `data ∘ **constant** for every value (NeuroPype's OperateConstant), or constant ∘ data with
**constant_first** (e.g. 1 / x with divide).

- **in/out \`data\`**: data chunks; markers pass. **operator**: add | subtract | multiply | divide |
  power (NeuroPype's full list is not documented; these are the ones accepted).`,
  inputs: [input('data', [DATA], 'Data (any axes).', { hint: 'markers carry no values to transform' })],
  outputs: [output('data', sameAs('data'), 'The results.')],
  params: [
    p.enum('operator', 'add', Object.keys(OPERATORS), 'Operation.'),
    p.float('constant', 0, 'The constant operand.'),
    p.bool('constant_first', false, 'constant ∘ data instead of data ∘ constant.'),
  ],
  create(params) {
    const f = OPERATORS[params.operator as string];
    const k = params.constant as number;
    return elementwise(params.constant_first ? (v) => f(k, v) : (v) => f(v, k));
  },
};

export const discretizeNode: NodeClass = {
  type: 'math.discretize',
  package: 'math',
  title: 'Discretize',
  version: '1.0.0',
  neuropype: np('Discretize', 'elementwise_math'),
  doc: `Maps every value to a level (NeuroPype's Discretize): newvals[k], k = the number of
**threshold_cutoffs** at or below the value (numpy.digitize, increasing cutoffs), so **newvals** has
one entry more than the cutoffs. NaN stays NaN. E.g. cutoffs [8.9, 15.1], newvals [0, 1, 0]: an alpha
peak frequency in [8.9, 15.1) Hz → 1, else 0. Neither set: data passes unchanged (with a warning).

- **in/out \`data\`**: data chunks; markers pass.`,
  inputs: [input('data', [DATA], 'Data (any axes).', { hint: 'markers carry no values to discretize' })],
  outputs: [output('data', sameAs('data'), 'The levels.')],
  params: [
    p.list('threshold_cutoffs', null, 'Increasing thresholds.', { items: 'number' }),
    p.list('newvals', null, 'Level per interval (one more than the cutoffs).', { items: 'number' }),
  ],
  create(params, ctx) {
    const cutoffs = params.threshold_cutoffs as number[] | null;
    const levels = params.newvals as number[] | null;
    if (!cutoffs || !levels) {
      if (cutoffs || levels) throw new InputError('set both threshold_cutoffs (increasing) and newvals (one more entry than the cutoffs)', ctx.nodeId);
      ctx.log(30, 'no threshold_cutoffs / newvals set: data passes unchanged');
      return { process: (inputs) => (inputs.data ? { data: inputs.data } : undefined), reset() {} };
    }
    try {
      discretize([], cutoffs, levels);
    } catch (e) {
      rethrowAs(e, ctx.nodeId);
    }
    const out = new Scratches();
    return {
      process(inputs) {
        const r = mapChunks(inputs.data, [DATA], (c, name) => {
          const y = out.get(name).like(c.block.data, c.block.data.length);
          y.set(discretize(c.block.data, cutoffs, levels));
          return withData(c, y);
        });
        return r ? { data: r } : undefined;
      },
      reset() {},
    };
  },
};

/** The elementwise_math classes, as index.ts registers them. */
export const NP_ELEMENTWISE_MATH: NodeClass[] = [addNode, subtractNode, divideNode, shiftNode, operateConstant, discretizeNode];
