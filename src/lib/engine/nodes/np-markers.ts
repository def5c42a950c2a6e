// NeuroPype's InsertMarkers on the packet model: new marker events placed inside the spans between
// an opening and a closing marker (a block design's eyes-closed … eyes-open), so Segmentation can
// cut epochs there. Engine worker / Node. Keeps the open span per marker chunk between steps.
import { InputError } from '../../core/errors';
import { MARKER, type InstanceAxis } from '../axes';
import { axisIndex, concatAlong, selectAlong } from '../block';
import { mapChunks, markerChunk, type Chunk, type TargetedMarker } from '../packet';
import { sameAs } from '../shapes';
import type { NodeClass } from '../types';
import { input, MARKERS, np, output, p } from './common';
import { onlyDefault } from './np-common';

/** Times (ms) of the markers for one span [startMs, endMs]: every `spacingMs` from the start, the end included. */
export function spanTimes(startMs: number, endMs: number, spacingMs: number): number[] {
  const out: number[] = [];
  if (!(endMs >= startMs) || !(spacingMs > 0)) return out;
  for (let k = 0; ; k++) {
    const t = startMs + k * spacingMs;
    if (t > endMs + 1e-6) break;
    out.push(t);
  }
  return out;
}

export const insertMarkers: NodeClass = {
  type: 'np.insert-markers',
  package: 'markers',
  title: 'Insert markers',
  version: '1.3.0',
  neuropype: np('InsertMarkers', 'markers'),
  doc: `Inserts \`payload\` markers inside every span that opens with \`anchor_marker\` and closes with
the next \`anchor_marker_B\` (NeuroPype InsertMarkers, mode "marker-spanned"), in each marker chunk
(usually riding in the data packet); other chunks pass through. The span is
[opening + time_limits[0], closing + time_limits[1]] (s); markers are placed equidistantly from its
start: \`count\` per second ("persecond", the end included when it falls on the grid) or \`count\` in
all ("total", spacing = span / count). A span still open at the end of a step is kept and closed by
a later chunk: live, the inserted markers arrive with the closing marker, up to a span late, which
Segmentation takes as late markers within its \`max_wait\` (30 s by default; raise it for longer
spans). NeuroPype documents none of this: the reading follows how real files use it
(time_limits [0, −1] with 1 s epochs after it). Inserted markers have no target and no duration.

- **in/out \`data\`**: marker chunks (other chunks pass through).
- **anchor_marker**, **anchor_marker_B** (string), **time_limits** ([start, end] s), **payload** (string),
  **counting** (persecond | total), **count**.
- Refused unless at their defaults: **mode** "marker-spanned", **placement** "equidistant" (random
  placement cannot match NeuroPype's generator), **min_length**/**max_length** null,
  **except_markers**, **extra_limits**, **marker_locked_indices** [], **intermittent_markers** "allow",
  **enforce_intermittent_in** "marker-span", **marker_format** "verbatim", **instance_fields_from** "first".
  **random_seed** is accepted and unused.`,
  inputs: [input('data', [], 'Data with a marker chunk.')],
  outputs: [output('data', sameAs('data'), 'The marker chunks with the new markers, in time order.')],
  params: [
    p.enum('mode', 'marker-spanned', ['marker-spanned'], 'Where markers go: inside marker-delimited spans.'),
    p.string('anchor_marker', '', 'Marker opening a span.'),
    p.string('anchor_marker_B', '', 'Marker closing a span.'),
    p.list('time_limits', [0, 0], 'Offsets of the span start and end from the anchors.', { unit: 's', items: 'number', lengths: [2] }),
    p.string('payload', 'marker', 'The inserted marker.'),
    p.enum('counting', 'persecond', ['persecond', 'total'], 'count is per second or in all.'),
    p.float('count', 1, 'Markers per second or per span.', { domain: [0, Infinity] }),
    p.string('placement', 'equidistant', 'Only "equidistant".'),
    p.int('random_seed', 12345, 'Unused (random placement is not supported).'),
    p.float('min_length', null, 'Not supported (null only).', { unit: 's' }),
    p.float('max_length', null, 'Not supported (null only).', { unit: 's' }),
    p.list('except_markers', [], 'Not supported ([] only).'),
    p.list('extra_limits', [], 'Not supported ([] only).'),
    p.string('intermittent_markers', 'allow', 'Not supported ("allow" only).'),
    p.string('enforce_intermittent_in', 'marker-span', 'Not supported ("marker-span" only).'),
    p.string('marker_format', 'verbatim', 'Not supported ("verbatim" only).'),
    p.string('instance_fields_from', 'first', 'Not supported ("first" only).'),
    p.list('marker_locked_indices', [], 'Not supported ([] only).'),
  ],
  create(params, ctx) {
    const fixed: [string, unknown][] = [
      ['placement', 'equidistant'],
      ['min_length', null],
      ['max_length', null],
      ['except_markers', []],
      ['extra_limits', []],
      ['intermittent_markers', 'allow'],
      ['enforce_intermittent_in', 'marker-span'],
      ['marker_format', 'verbatim'],
      ['instance_fields_from', 'first'],
      ['marker_locked_indices', []],
    ];
    for (const [name, def] of fixed) onlyDefault(params, name, def, 'undocumented in NeuroPype', ctx.nodeId);
    const open = params.anchor_marker as string;
    const close = params.anchor_marker_B as string;
    if (!open || !close) ctx.log(30, 'anchor_marker and anchor_marker_B are not both set: no span opens, no marker is inserted');
    const [lo, hi] = (params.time_limits as number[]).map((s) => s * 1000);
    const count = params.count as number;
    const total = params.counting === 'total';
    if (!(count > 0) || (total && !Number.isInteger(count))) throw new InputError(`parameter "count" must be ${total ? 'a whole number of markers' : 'a positive rate'} (got ${count})`, ctx.nodeId);
    const payload = params.payload as string;
    const opened = new Map<string, number>();
    const insert = (c: Chunk, name: string): Chunk => {
      const d = axisIndex(c.block, 'instance');
      if (d < 0 || c.block.axes.length !== 1) return c;
      const a = c.block.axes[d] as InstanceAxis;
      const values = a.fields[MARKER];
      if (!Array.isArray(values)) return c;
      const added: TargetedMarker[] = [];
      const order = Array.from(a.timesMs.keys()).sort((i, j) => a.timesMs[i] - a.timesMs[j]);
      for (const i of order) {
        const t = a.timesMs[i];
        if (values[i] === open && !opened.has(name)) opened.set(name, t);
        else if (values[i] === close && opened.has(name)) {
          const start = opened.get(name)! + lo;
          const end = t + hi;
          opened.delete(name);
          const spacing = total ? (end - start) / count : 1000 / count;
          for (const tm of total ? spanTimes(start, end, spacing).slice(0, count) : spanTimes(start, end, spacing)) added.push({ timestampMs: tm, value: payload });
        }
      }
      if (!added.length) return c;
      const joined = concatAlong([c.block, markerChunk(added).block], 0);
      const times = (joined.axes[0] as InstanceAxis).timesMs;
      const sorted = Array.from(times.keys()).sort((i, j) => times[i] - times[j] || i - j);
      return { block: selectAlong(joined, 0, sorted), props: c.props };
    };
    return {
      process(inputs) {
        const out = mapChunks(inputs.data, [MARKERS], insert);
        return out ? { data: out } : undefined;
      },
      reset() {
        opened.clear();
      },
    };
  },
};

export const NP_MARKERS: NodeClass[] = [insertMarkers];
