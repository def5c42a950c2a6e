// NeuroPype compatibility node classes: nodes that real .pyp pipelines use everywhere but whose work
// is already done elsewhere in Neurotab (replay pacing, timestamp dejittering at acquisition) or that
// are display panels (plots, console). They pass data through or keep the latest values for the UI.
// Engine worker / Node. They accept and ignore unknown (GUI) parameters.
import type { NodeClass, Packet } from '../types';
import { inspect } from './io';
import { input, np, output, p } from './common';

const ANY = ['signal', 'features', 'markers', 'spectrum', 'epochs'] as const;

function passThrough(type: string, alias: ReturnType<typeof np>, title: string, doc: string, params: NodeClass['params'] = []): NodeClass {
  return {
    type,
    package: 'compat',
    title,
    version: '1.0.0',
    neuropype: alias,
    lenientParams: true,
    doc,
    inputs: [input('data', [...ANY], 'Anything.')],
    outputs: [output('data', { sameAs: 'data' }, 'The input, unchanged.')],
    params,
    create: () => ({ process: (inputs) => (inputs.data ? { data: inputs.data } : undefined), reset() {} }),
  };
}

export const streamData = passThrough(
  'compat.stream-data',
  np('StreamData', 'formatting'),
  'Stream data (replay)',
  `NeuroPype's StreamData turns a whole imported recording into chunks. Neurotab's recording input
already emits chunks (offline as fast as possible), so this node passes data through unchanged.

- **in/out \`data\`** (any). Parameters (looping, speedup, timing …) are accepted and ignored.`,
  [p.bool('looping', true, 'Accepted for NeuroPype compatibility (ignored).'), p.float('speedup', 1, 'Accepted for NeuroPype compatibility (ignored).')],
);

export const dejitter = passThrough(
  'compat.dejitter-timestamps',
  np('DejitterTimestamps', 'utilities'),
  'Dejitter timestamps',
  `Device streams are stamped from their sample counter and dejittered at acquisition (LSL-like),
so this node passes data through unchanged.

- **in/out \`data\`** (any). **forget_halftime** (s) is accepted and ignored.`,
  [p.float('forget_halftime', 90, 'Accepted for NeuroPype compatibility (ignored).', { unit: 's' })],
);

function panel(type: string, alias: ReturnType<typeof np>, title: string, kinds: readonly Packet['kind'][]): NodeClass {
  return {
    ...inspect,
    type,
    package: 'compat',
    title,
    neuropype: alias,
    lenientParams: true,
    doc: `Display panel of NeuroPype (${alias.class}). In Neurotab it keeps the latest values like io.inspect
(\`Execution.peek\`), which the app shows in a panel. GUI parameters are accepted and ignored.

- **in \`data\`** (${kinds.join(' | ')}). **history** (int): snapshots kept.`,
    inputs: [input('data', [...kinds], 'Data to display.')],
    params: [p.int('history', 1, 'Snapshots kept (most recent last).', { domain: [1, 1000] }), p.string('title', '', 'Panel title.')],
  };
}

export const timeSeriesPlot = panel('compat.time-series-plot', np('TimeSeriesPlot', 'visualization'), 'Time series plot', ['signal', 'features', 'markers']);
export const spectrumPlot = panel('compat.spectrum-plot', np('SpectrumPlot', 'visualization'), 'Spectrum plot', ['spectrum', 'features']);
export const barPlot = panel('compat.bar-plot', np('BarPlot', 'visualization'), 'Bar plot', ['features', 'signal']);

export const printToConsole: NodeClass = {
  type: 'compat.print',
  package: 'compat',
  title: 'Print to log',
  version: '1.0.0',
  neuropype: np('PrintToConsole', 'diagnostics'),
  lenientParams: true,
  doc: `Writes a one-line summary of every packet to the execution log (INFO): kind, item count, channels,
and the last values (first 8).

- **in \`data\`** (any).`,
  inputs: [input('data', [...ANY, 'value'], 'Anything.')],
  outputs: [],
  params: [p.bool('print_data', false, 'Include the last values.')],
  create(params, ctx) {
    return {
      process(inputs) {
        const d = inputs.data;
        if (!d) return;
        let line: string = d.kind;
        if (d.kind === 'signal' || d.kind === 'features') {
          const ch = d.stream.channels.length;
          line += ` ${d.frames} frames × ${ch} ch`;
          if (params.print_data) line += ` last [${Array.from(d.samples.subarray((d.frames - 1) * ch, (d.frames - 1) * ch + Math.min(ch, 8)), (v) => v.toPrecision(4)).join(', ')}]`;
        } else if (d.kind === 'markers') line += ` ${d.events.map((e) => e.value).join(', ')}`;
        else if (d.kind === 'epochs' || d.kind === 'spectrum') line += ` ${d.items.length} items × ${d.stream.channels.length} ch`;
        else if (d.kind === 'value') line += ` ${JSON.stringify(d.value)}`;
        ctx.log(20, line);
      },
      reset() {},
    };
  },
};
