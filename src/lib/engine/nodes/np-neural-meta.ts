// NeuroPype's neural meta-nodes on the packet model: EventRelatedPotential, a fixed chain of existing
// node classes run inside one node. Engine worker / Node. The stages are real node instances (their
// parameters checked as the registry checks them), fed in order; nothing is copied beyond what the
// stages themselves do.
import { InputError } from '../../core/errors';
import { resolveParams } from '../params';
import { concatPackets, type Packet } from '../packet';
import type { PacketShape, ShapeInputs } from '../shapes';
import type { NodeClass, NodeContext, NodeInstance, PortValues } from '../types';
import { selectChannels } from './channels';
import { firFilter } from './filters';
import { input, np, output, p, CONTINUOUS } from './common';
import { segmentation } from './time';

/** One stage of a chain: a node class and the parameters the meta-node gives it. */
type Stage = readonly [NodeClass, Record<string, unknown>];

/** The stages' data output shape after another, from the shape reaching the chain. */
function chainShape(stages: (params: Readonly<Record<string, unknown>>) => Stage[]) {
  return (inputs: ShapeInputs, params: Readonly<Record<string, unknown>>): PacketShape => {
    let shape: PacketShape | undefined = inputs.data;
    for (const [cls, given] of stages(params)) {
      const fn = cls.outputs[0].shape;
      if (!fn) return 'unknown';
      shape = fn({ data: shape }, resolveParams(cls, given, cls.type));
    }
    return shape ?? 'unknown';
  };
}

/**
 * Stage instances fed one after another through their `data` ports. `flush` flushes stage k and runs
 * what it releases through the stages after it, for k = 0, 1, … (so held data reaches the end).
 */
class Chain {
  private readonly nodes: NodeInstance[];
  constructor(stages: Stage[], ctx: NodeContext) {
    this.nodes = stages.map(([cls, given]) => {
      const where = `${ctx.nodeId}/${cls.neuropype?.class ?? cls.type}`;
      const sub: NodeContext = { nodeId: where, log: ctx.log, offline: ctx.offline, isWired: (port) => port === 'data' };
      return cls.create(resolveParams(cls, given, where), sub);
    });
  }
  private run(from: number, data: Packet | undefined): Packet | undefined {
    let d = data;
    for (let k = from; k < this.nodes.length && d; k++) d = (this.nodes[k].process({ data: d }) as PortValues | undefined)?.data;
    return d;
  }
  process(data: Packet | undefined): Packet | undefined {
    return this.run(0, data);
  }
  flush(): Packet | undefined {
    let out: Packet | undefined;
    for (let k = 0; k < this.nodes.length; k++) {
      const released = (this.nodes[k].flush?.() as PortValues | undefined)?.data;
      const d = released ? this.run(k + 1, released) : undefined;
      if (d) out = out ? concatPackets(out, d) : d;
    }
    return out;
  }
  reset(): void {
    for (const n of this.nodes) n.reset();
  }
}

/** NeuroPype's "a...b" range string (or [a, b]) in seconds. */
function secondsRange(v: unknown, name: string, who: string): [number, number] {
  const pair = typeof v === 'string' ? v.split('...').map((x) => Number(x.trim())) : Array.isArray(v) ? v.map(Number) : [];
  if (pair.length !== 2 || !pair.every(Number.isFinite) || !(pair[1] > pair[0])) throw new InputError(`parameter "${name}" must be "a...b" or [a, b] in seconds with a < b, got ${JSON.stringify(v)}`, who);
  return [pair[0], pair[1]];
}

function erpStages(params: Readonly<Record<string, unknown>>, who = 'EventRelatedPotential'): Stage[] {
  const stages: Stage[] = [];
  const range = params.channel_range;
  if (!(range === ':' || range === null || range === undefined || (Array.isArray(range) && range.length === 0))) stages.push([selectChannels, { axis: 'space', selection: range, unit: Array.isArray(range) ? 'names' : 'indices' }]);
  const lp = params.lowpass_cutoff as number[];
  if (!Array.isArray(lp)) throw new InputError(`parameter "lowpass_cutoff" must be [] or low-pass edges in Hz ([pass, stop] or [cutoff]), got ${JSON.stringify(lp)}`, who);
  if (lp.length) stages.push([firFilter, { frequencies: lp, mode: 'lowpass' }]);
  const baseline = params.skip_baseline_removal ? null : secondsRange(params.baseline_removal_range, 'baseline_removal_range', who);
  stages.push([segmentation, { time_bounds: params.time_bounds, baseline, max_gap_length: params.max_gap_length }]);
  return stages;
}

export const eventRelatedPotential: NodeClass = {
  type: 'neural.event-related-potential',
  package: 'neural',
  title: 'Event-related potential (meta)',
  version: '1.0.2',
  neuropype: np('EventRelatedPotential', 'neural'),
  doc: `Cuts baseline-corrected epochs around markers (NeuroPype's EventRelatedPotential meta-node):
SelectRange(space, \`channel_range\`) → FIRFilter low-pass (\`lowpass_cutoff\`, when given) →
Segmentation(\`time_bounds\`, baseline = \`baseline_removal_range\`, \`max_gap_length\`), run as
those node classes run.

- **in \`data\`**: a continuous signal with its markers riding along (LSLInput, ImportXDF).
- **out \`erp_data\`**: instance × time × space epochs (Segmentation's output), one per marker.
- **time_bounds** ([tmin, tmax] s; [-0.3, 1] as the saved files), **baseline_removal_range**
  ("a...b" or [a, b] s; "-0.3...0"), **skip_baseline_removal**, **channel_range** (":" = all; a
  list of labels or an index range), **lowpass_cutoff** ([] = none; [pass, stop] Hz),
  **max_gap_length** (s).
- **output_measure**: "trials" only (the per-condition averages NeuroPype may offer are not
  documented; GroupedMean after this node gives them).`,
  inputs: [input('data', [CONTINUOUS], 'Continuous signal and its markers.', { hint: 'ERPs are cut from a continuous signal (time, no instances) whose markers ride along' })],
  outputs: [output('erp_data', chainShape(erpStages), 'Epochs around the markers.')],
  params: [
    p.list('time_bounds', [-0.3, 1], 'Epoch limits relative to each marker.', { unit: 's', items: 'number', lengths: [2] }),
    p.any('baseline_removal_range', '-0.3...0', 'Baseline window relative to each marker, "a...b" or [a, b].', { unit: 's' }),
    p.bool('skip_baseline_removal', false, 'No baseline subtraction.'),
    p.any('channel_range', ':', 'Channels to keep (":" = all; labels or an index range).'),
    p.list('lowpass_cutoff', [], 'Low-pass edges [pass, stop] (Hz); [] = no filter.', { unit: 'Hz', items: 'number' }),
    p.float('max_gap_length', 0.2, 'As Segmentation.', { unit: 's' }),
    p.enum('output_measure', 'trials', ['trials'], 'What to output ("trials" = the epochs).'),
    p.dict('metadata', {}, 'Accepted for NeuroPype compatibility (ignored).'),
    p.bool('set_breakpoint', false, 'Accepted for NeuroPype compatibility (ignored).'),
  ],
  create(params, ctx) {
    const chain = new Chain(erpStages(params, ctx.nodeId), ctx);
    const wrap = (d: Packet | undefined) => (d?.size ? { erp_data: d } : undefined);
    return {
      process: (inputs) => wrap(chain.process(inputs.data)),
      flush: () => wrap(chain.flush()),
      reset: () => chain.reset(),
    };
  },
};

/** This file's classes (listed in np-neural.ts' NP_NEURAL). */
export const NP_NEURAL_META: NodeClass[] = [eventRelatedPotential];
