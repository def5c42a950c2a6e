// NeuroPype compatibility node classes: nodes that real .pyp pipelines use everywhere but whose work
// is already done elsewhere in Neurotab (replay pacing, timestamp dejittering at acquisition) or that
// are display panels (plots, console). They pass data through or keep the latest values for the UI.
// Engine worker / Node. They accept and ignore unknown (GUI) parameters.
import { describeAxes, itemAxisIndex } from '../block';
import { framesOf, mapChunks, markersOf, withProps } from '../packet';
import { kindOfChunk, mapShapes, sameAs, withShapeFlags } from '../shapes';
import type { NodeClass } from '../types';
import { inspect } from './io';
import { input, np, output, p } from './common';

function passThrough(type: string, alias: ReturnType<typeof np>, title: string, doc: string, params: NodeClass['params'] = []): NodeClass {
  return {
    type,
    package: 'compat',
    title,
    version: '1.1.0',
    neuropype: alias,
    lenientParams: true,
    doc,
    inputs: [input('data', [], 'Anything.')],
    outputs: [output('data', sameAs('data'), 'The input, unchanged.')],
    params,
    create: () => ({ process: (inputs) => (inputs.data ? { data: inputs.data } : undefined), reset() {} }),
  };
}

export const streamData: NodeClass = {
  ...passThrough(
    'compat.stream-data',
    np('StreamData', 'formatting'),
    'Stream data (replay)',
    `NeuroPype's StreamData replays a whole imported recording as a live stream. Here the packet goes on
in one piece, its chunks flagged streaming (so trainable nodes treat it as live data, not as
calibration data); to replay a recording chunk by chunk, use io.recording-input.

- **in/out \`data\`** (any). Parameters (looping, speedup, timing …) are accepted and ignored.`,
    [p.bool('looping', true, 'Accepted for NeuroPype compatibility (ignored).'), p.float('speedup', 1, 'Accepted for NeuroPype compatibility (ignored).')],
  ),
  outputs: [output('data', mapShapes('data', [], (s) => withShapeFlags(s, { is_streaming: true })), 'The input, flagged streaming.')],
  create: () => ({
    process(inputs) {
      const r = mapChunks(inputs.data, () => true, (c) => (c.props.is_streaming ? c : { block: c.block, props: withProps(c.props, { is_streaming: true }) }));
      return r ? { data: r } : undefined;
    },
    reset() {},
  }),
};

export const dejitter = passThrough(
  'compat.dejitter-timestamps',
  np('DejitterTimestamps', 'utilities'),
  'Dejitter timestamps',
  `Device streams are stamped from their sample counter and dejittered at acquisition (LSL-like),
so this node passes data through unchanged.

- **in/out \`data\`** (any). **forget_halftime** (s) is accepted and ignored.`,
  [p.float('forget_halftime', 90, 'Accepted for NeuroPype compatibility (ignored).', { unit: 's' })],
);

function panel(type: string, alias: ReturnType<typeof np>, title: string): NodeClass {
  return {
    ...inspect,
    type,
    package: 'compat',
    title,
    neuropype: alias,
    lenientParams: true,
    doc: `Display panel of NeuroPype (${alias.class}). In Neurotab it keeps the latest values like io.inspect
(\`Execution.peek\`), which the app shows in a panel. GUI parameters are accepted and ignored.

- **in \`data\`** (any packet). **history** (int): snapshots kept. **stream_name**: the chunk shown.`,
    inputs: [input('data', [], 'Data to display.')],
    params: [
      p.int('history', 1, 'Snapshots kept (most recent last).', { domain: [1, 1000] }),
      p.string('title', '', 'Panel title.'),
      p.string('stream_name', null, 'Chunk to show (name prefix); null = the first data chunk.'),
    ],
  };
}

export const timeSeriesPlot = panel('compat.time-series-plot', np('TimeSeriesPlot', 'visualization'), 'Time series plot');
export const spectrumPlot = panel('compat.spectrum-plot', np('SpectrumPlot', 'visualization'), 'Spectrum plot');
export const barPlot = panel('compat.bar-plot', np('BarPlot', 'visualization'), 'Bar plot');

export const printToConsole: NodeClass = {
  type: 'compat.print',
  package: 'compat',
  title: 'Print to log',
  version: '1.1.0',
  neuropype: np('PrintToConsole', 'diagnostics'),
  lenientParams: true,
  doc: `Writes a one-line summary of every chunk of every packet to the execution log (INFO): name,
kind, axes, items × values per item, and the last values (first 8) or the markers.

- **in \`data\`** (any).`,
  inputs: [input('data', [], 'Anything.')],
  outputs: [],
  params: [p.bool('print_data', false, 'Include the last values.')],
  create(params, ctx) {
    return {
      process(inputs) {
        const d = inputs.data;
        if (!d) return;
        for (const [name, c] of d) {
          const kind = kindOfChunk(name, c);
          let line = `${name}: ${kind} ${describeAxes(c.block.axes)}`;
          if (c.props.has_markers) line += `; ${markersOf(c).map((e) => e.value).join(', ')}`;
          else if (itemAxisIndex(c.block) >= 0) {
            const f = framesOf(c);
            line += `; ${f.frames} frames × ${f.width} ch`;
            if (params.print_data && f.frames) {
              const last = (f.frames - 1) * f.width;
              line += ` last [${Array.from(f.samples.subarray(last, last + Math.min(f.width, 8)), (v) => v.toPrecision(4)).join(', ')}]`;
            }
          }
          ctx.log(20, line);
        }
      },
      reset() {},
    };
  },
};
