// NeuroPype's visualization display sinks that real .pyp files use besides TimeSeriesPlot —
// InspectPacket, ScrollPlot, TimeSeriesSweepPlot, MarkerStreamWindow — as inspect sinks: they keep
// a small copy of the latest chunk (io.inspect's snapshot) that the Pipelines page shows; headless
// (CLI) they only keep it. Engine worker / Node. They never change or refuse data: any packet goes.
import { findFirstChunk, type Chunk } from '../packet';
import type { NodeClass, ParamSpec } from '../types';
import { barPlot, spectrumPlot, timeSeriesPlot } from './compat';
import { inspect, snapshot, type InspectSnapshot } from './io';
import { np, p } from './common';

/** TimeSeriesPlot's parameters (PYP.md §3), shared by ScrollPlot and TimeSeriesSweepPlot; only history/stream_name matter here. */
const traceParams = (title: string, scale: number): ParamSpec[] => [
  p.int('history', 1, 'Snapshots kept (most recent last).', { domain: [1, 1000] }),
  p.string('stream_name', null, 'Chunk to show (name prefix); null = the first data chunk.'),
  p.string('title', title, 'Panel title.'),
  p.float('time_range', 5, 'Seconds shown (display only).', { unit: 's' }),
  p.float('scale', scale, 'Trace scale (display only).'),
  p.bool('autoscale', true, 'Display only.'),
  p.bool('zeromean', true, 'Display only.'),
  p.list('initial_dims', [50, 50, 700, 500], 'Window geometry (display only).'),
];

function displaySink(type: string, npClass: string, title: string, what: string, params: ParamSpec[]): NodeClass {
  return {
    ...timeSeriesPlot,
    type,
    title,
    version: '1.0.1',
    neuropype: np(npClass, 'visualization'),
    doc: `NeuroPype's ${npClass} (${what}). In Neurotab an inspect sink: it keeps the latest values of one
chunk like io.inspect (\`Execution.peek\`), which the Pipelines page shows; the data is not changed.
Window, colour and font parameters are accepted and ignored.

- **in \`data\`** (any packet). **history** (int): snapshots kept. **stream_name**: the chunk shown
  (name prefix; null = the first data chunk).`,
    params,
  };
}

export const inspectPacket = displaySink('compat.inspect-packet', 'InspectPacket', 'Inspect packet', 'a table view of a packet', [
  p.int('history', 1, 'Snapshots kept (most recent last).', { domain: [1, 1000] }),
  p.string('stream_name', null, 'Chunk to show (name prefix); null = the first data chunk.'),
  p.string('row_axis', 'space', 'Table rows (display only).'),
  p.string('col_axis', 'time', 'Table columns (display only).'),
  p.int('show_max_values', 50, 'Display only.'),
  p.int('decimals', 6, 'Display only.'),
  p.string('window_title', 'Inspect Data Packet', 'Panel title.'),
]);

export const scrollPlot = displaySink('compat.scroll-plot', 'ScrollPlot', 'Scroll plot', 'a scrolling trace view', traceParams('Time series view', 1));

export const timeSeriesSweepPlot = displaySink('compat.time-series-sweep-plot', 'TimeSeriesSweepPlot', 'Time series sweep plot', 'a sweep display overwriting from the left', [
  ...traceParams('Time series view', 1),
  p.float('buffer_duration', 30, 'Seconds buffered by the display (display only).', { unit: 's' }),
]);

/** The marker chunk a marker window shows: by name (case-insensitive prefix), else the first marker chunk. */
function markerChunkNamed(data: ReadonlyMap<string, Chunk>, name: string): [string, Chunk] | undefined {
  const wanted = name.toLowerCase();
  const markers = [...data].filter(([, c]) => c.props.has_markers && !c.props.is_signal);
  return markers.find(([n]) => n.toLowerCase().startsWith(wanted)) ?? markers[0] ?? findFirstChunk(data, { onlyMarkers: true });
}

export const markerStreamWindow: NodeClass = {
  ...displaySink('compat.marker-stream-window', 'MarkerStreamWindow', 'Marker stream window', 'lists the incoming markers', [
    p.int('history', 1, 'Snapshots kept (most recent last).', { domain: [1, 1000] }),
    p.string('stream_name', 'Markers', 'Marker chunk to list (case-insensitive name prefix; else the first marker chunk).'),
    p.list('initial_dims', [50, 50, 500, 500], 'Window geometry (display only).'),
  ]),
  doc: `NeuroPype's MarkerStreamWindow: lists the incoming markers. In Neurotab an inspect sink keeping the
last 20 markers of the marker chunk (\`Execution.peek\`: an io.inspect snapshot of kind markers), which
the Pipelines page shows. Packets without markers leave it as it was.

- **in \`data\`** (any packet). **stream_name** (string): the marker chunk (case-insensitive prefix;
  else the first marker chunk). Window parameters are accepted and ignored.`,
  create(params) {
    const history = params.history as number;
    let snaps: InspectSnapshot[] = [];
    return {
      process(inputs) {
        const found = inputs.data && markerChunkNamed(inputs.data, String(params.stream_name ?? ''));
        if (!found || !found[1].block.data.length) return;
        snaps.push(snapshot(found[0], found[1]));
        if (snaps.length > history) snaps = snaps.slice(-history);
      },
      reset() {
        snaps = [];
      },
      peek: () => (history === 1 ? (snaps[0] ?? null) : [...snaps]),
    };
  },
};

/** Node types whose latest values the app shows as inspect panels (io.inspect and every display sink). */
export const DISPLAY_TYPES: ReadonlySet<string> = new Set(
  [inspect, timeSeriesPlot, spectrumPlot, barPlot, inspectPacket, scrollPlot, timeSeriesSweepPlot, markerStreamWindow].map((c) => c.type),
);

/** This module's node classes, in the order index.ts lists them. */
export const NP_VISUALIZATION_NODES: NodeClass[] = [inspectPacket, scrollPlot, markerStreamWindow, timeSeriesSweepPlot];
