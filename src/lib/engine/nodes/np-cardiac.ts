// NeuroPype's cardiac class HeartRate: beats per minute in windows over R-peak times (the output of
// RDetection: a chunk named "…-peaks" whose instance axis holds the peaks), on the dsp/heart-rate
// kernel. Engine worker / Node. Keeps every peak of a stream (a few per second) and allocates per chunk.
import { heartRate } from '../../dsp/heart-rate';
import { featureAxis, timeAxis, type InstanceAxis } from '../axes';
import { axisIndex, makeBlock } from '../block';
import { chunkProps, type Chunk, type ChunkQuery, type Packet } from '../packet';
import { chunkShape, mapShapes } from '../shapes';
import type { NodeClass } from '../types';
import { input, np, output, p } from './common';
import { rethrowAs } from './np-common';

const PEAKS: ChunkQuery = { withAxes: ['instance'], nameEndsWith: '-peaks' };
const hrName = (name: string) => name.replace(/peaks$/, 'hr');

export const heartRateNode: NodeClass = {
  type: 'time.heart-rate',
  package: 'time',
  title: 'Heart rate',
  version: '0.5.0',
  neuropype: np('HeartRate', 'cardiac'),
  doc: `Heart rate in beats per minute from R-peak times (NeuroPype's HeartRate): the input is what
RDetection emits, a chunk named "…-peaks" whose instance axis holds the peak times. Per window:
BPM = 60 / mean R–R interval of the peaks inside it, stamped at the window's end (NeuroPype does not
document the formula; NEUROPYPE-NODES.md [I]).

- **in \`data\`**: chunks named "…-peaks" with an instance axis; other chunks pass.
- **out \`data\`**: for each, a chunk named with "peaks" replaced by "hr" (e.g. "eeg-hr"): time
  (irregular) × feature (1, "HR", bpm), one row per window that completed; fewer than two peaks in
  a window give NaN.
- **window_length_unit**: seconds | beats. **window_length** (10) and **window_shift** (3): in that
  unit. Seconds: windows start at the first peak and move by the shift; a window leaves once a peak
  past its end has been seen (so the output does not depend on the chunking). Beats: that many
  consecutive peaks, moved by the shift.`,
  inputs: [input('data', [PEAKS], 'R-peak instances (RDetection output).', { hint: 'HeartRate reads a chunk named "…-peaks" with the R-peak times on its instance axis (RDetection output)' })],
  outputs: [output('data', mapShapes('data', [PEAKS], (s) => chunkShape(s.name === null ? null : hrName(s.name), ['time', 'feature'], { is_signal: true, has_markers: false }, ['feature'])), 'Heart rate (bpm) per window.')],
  params: [
    p.enum('window_length_unit', 'seconds', ['seconds', 'beats'], 'Unit of window_length and window_shift.'),
    p.float('window_length', 10, 'Window length.', { domain: [1e-3, 1e6] }),
    p.float('window_shift', 3, 'Hop between windows.', { domain: [1e-3, 1e6] }),
  ],
  create(params, ctx) {
    const who = ctx.nodeId;
    const unit = params.window_length_unit as 'seconds' | 'beats';
    const opts = { windowLength: params.window_length as number, windowShift: params.window_shift as number, unit };
    if (opts.windowShift > opts.windowLength) ctx.log(30, `window_shift ${opts.windowShift} exceeds window_length ${opts.windowLength}: peaks between windows are skipped`);
    const streams = new Map<string, { peaksS: number[]; emitted: number }>();
    return {
      process(inputs) {
        const d = inputs.data;
        if (!d) return;
        const out = new Map<string, Chunk>();
        for (const [name, c] of d) {
          if (!(name.endsWith('-peaks') && axisIndex(c.block, 'instance') >= 0)) {
            out.set(name, c);
            continue;
          }
          const inst = c.block.axes[axisIndex(c.block, 'instance')] as InstanceAxis;
          let st = streams.get(name);
          if (!st) streams.set(name, (st = { peaksS: [], emitted: 0 }));
          for (const t of inst.timesMs) st.peaksS.push(t / 1000);
          let r: ReturnType<typeof heartRate>;
          try {
            r = heartRate(st.peaksS, opts);
          } catch (e) {
            rethrowAs(e, who);
          }
          const n = r.bpm.length - st.emitted;
          if (n <= 0) continue;
          const times = Float64Array.from(r.timesSeconds.slice(st.emitted), (s) => s * 1000);
          const bpm = Float64Array.from(r.bpm.slice(st.emitted));
          st.emitted = r.bpm.length;
          const props = chunkProps(c.props.source, { is_signal: true, is_streaming: c.props.is_streaming });
          out.set(hrName(name), { block: makeBlock(bpm, [timeAxis(times, 0), featureAxis(['HR'], ['bpm'])]), props });
        }
        return out.size ? { data: out as Packet } : undefined;
      },
      reset() {
        streams.clear();
      },
    };
  },
};

/** The cardiac classes, as index.ts registers them. */
export const NP_CARDIAC: NodeClass[] = [heartRateNode];
