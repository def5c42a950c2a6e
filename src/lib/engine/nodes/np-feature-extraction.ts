// NeuroPype's feature_extraction module on the packet model: CCA (canonical correlation between two
// packets, ml/cca.ts — MATLAB's canoncorr A, B, D). Engine worker / Node. Stateless: every packet
// pair is analysed on its own (one CCA per instance of segmented data); allocates per packet.
import { InputError } from '../../core/errors';
import { canonicalCorrelation } from '../../ml/cca';
import type { DenseMatrix } from '../../ml/linalg';
import { featureAxis, type Axis } from '../axes';
import { axisIndex, describeAxes, findAxis, makeBlock, viewAs } from '../block';
import { chunkMatches, type Chunk, type ChunkQuery } from '../packet';
import { AXIS_PARAM_DOMAIN, chunkShape, mapShapes, type ChunkShape } from '../shapes';
import type { NodeClass } from '../types';
import { input, np, output, p } from './common';

const accepts = (params: Readonly<Record<string, unknown>>): ChunkQuery[] => [{ onlySignals: true, withLongAxes: ['time'], withAxes: [params.axis as Axis['type']] }];
const segmented = (s: ChunkShape) => s.axes.includes('instance');
const coefShape = (s: ChunkShape, params: Readonly<Record<string, unknown>>) => chunkShape(s.name, segmented(s) ? ['instance', params.axis as Axis['type'], 'feature'] : [params.axis as Axis['type'], 'feature'], { is_signal: true, is_streaming: s.flags.is_streaming });
const corrShape = (s: ChunkShape) => chunkShape(s.name, segmented(s) ? ['instance', 'feature'] : ['feature'], { is_signal: true, is_streaming: s.flags.is_streaming });

/** Per instance (or the whole chunk): time × variables as rows × columns, float64. */
function observations(c: Chunk, axis: Axis['type'], who: string, port: string): { slabs: DenseMatrix[]; vars: Axis } {
  const b = c.block;
  const hasInstance = axisIndex(b, 'instance') >= 0;
  const order = hasInstance ? (['instance', 'time', axis] as const) : (['time', axis] as const);
  if (b.axes.length !== order.length) throw new InputError(`input ${port} must be time × ${axis}${hasInstance ? ' per instance' : ''} and nothing else, but it has ${describeAxes(b.axes)}; select or reduce the other axes first`, who);
  const v = viewAs(b, order, who);
  const n = hasInstance ? v.shape[0] : 1;
  const t = v.shape[hasInstance ? 1 : 0];
  const q = v.shape[hasInstance ? 2 : 1];
  const slabs = Array.from({ length: n }, (_, i) => ({ rows: t, cols: q, data: Float64Array.from(v.data.subarray(i * t * q, (i + 1) * t * q)) }));
  return { slabs, vars: findAxis(b, axis)! };
}

export const cca: NodeClass = {
  type: 'ml.cca',
  package: 'feature_extraction',
  title: 'Canonical correlation analysis',
  version: '1.1.0',
  neuropype: np('CCA', 'feature_extraction'),
  doc: `Canonical correlation analysis between two packets (NeuroPype's CCA; ml/cca.ts, MATLAB's
canoncorr: centred data, d = min(rank X, rank Y), variates with unit variance, correlations
descending). The stream compared is the one of the same name in both packets; marker streams are
ignored. Time is the observation axis, \`axis\` the variables; segmented data get one CCA per
instance.

- **in \`X\`, \`Y\`**: chunks with a time axis and the \`axis\` axis (time × axis, or instance ×
  time × axis); the same number of time points.
- **out \`A\`**: [instance ×] X's \`axis\` × feature ("CC1" … "CCd"): X's canonical coefficients.
  **out \`B\`**: the same for Y. **out \`D\`**: [instance ×] feature: the canonical correlations.
  With per-instance ranks below min(p, q), the missing columns are NaN.
- **axis** ("space"): the variable axis.`,
  inputs: [
    input('X', accepts, 'First data set.', { hint: 'CCA compares time series: feed chunks with a time axis and the variable axis' }),
    input('Y', accepts, 'Second data set (a stream of the same name as in X).', { hint: 'CCA compares time series: feed chunks with a time axis and the variable axis' }),
  ],
  outputs: [
    output('A', mapShapes('X', accepts, coefShape), "X's canonical coefficients."),
    output('B', mapShapes('Y', accepts, coefShape), "Y's canonical coefficients."),
    output('D', mapShapes('X', accepts, corrShape), 'Canonical correlations.'),
  ],
  params: [
    p.enum('axis', 'space', AXIS_PARAM_DOMAIN, 'Variable axis (time is the observation axis).'),
    p.dict('metadata', {}, 'Accepted for NeuroPype compatibility (ignored).'),
    p.bool('set_breakpoint', false, 'Accepted for NeuroPype compatibility (ignored).'),
  ],
  create(params, ctx) {
    const who = ctx.nodeId;
    const axis = params.axis as Axis['type'];
    if (axis === 'time') throw new InputError('parameter "axis" names the variables; time is the observation axis, so choose another axis (e.g. "space")', who);
    const [q] = accepts(params);
    return {
      process(inputs) {
        if (!inputs.X || !inputs.Y) return undefined;
        const A = new Map<string, Chunk>();
        const B = new Map<string, Chunk>();
        const D = new Map<string, Chunk>();
        for (const [name, cx] of inputs.X) {
          if (!chunkMatches(name, cx, q)) continue;
          const cy = inputs.Y.get(name);
          if (!cy || !chunkMatches(name, cy, q)) throw new InputError(`input Y has no stream "${name}" with a time and a ${axis} axis to compare with X's (it has ${[...inputs.Y.keys()].map((k) => `"${k}"`).join(', ') || 'nothing'}); give both inputs the same stream names`, who);
          const x = observations(cx, axis, who, 'X');
          const y = observations(cy, axis, who, 'Y');
          if (x.slabs.length !== y.slabs.length) throw new InputError(`X has ${x.slabs.length} instances of "${name}" and Y ${y.slabs.length}; CCA pairs them one to one`, who);
          const p1 = x.slabs[0].cols;
          const q1 = y.slabs[0].cols;
          const d = Math.min(p1, q1);
          const n = x.slabs.length;
          const a = new Float64Array(n * p1 * d).fill(NaN);
          const b = new Float64Array(n * q1 * d).fill(NaN);
          const r = new Float64Array(n * d).fill(NaN);
          x.slabs.forEach((xs, i) => {
            const res = canonicalCorrelation(xs, y.slabs[i]);
            const k = res.r.length;
            r.set(res.r, i * d);
            for (let j = 0; j < p1; j++) for (let c = 0; c < k; c++) a[(i * p1 + j) * d + c] = res.a.data[j * k + c];
            for (let j = 0; j < q1; j++) for (let c = 0; c < k; c++) b[(i * q1 + j) * d + c] = res.b.data[j * k + c];
          });
          const cc = featureAxis(Array.from({ length: d }, (_, c) => `CC${c + 1}`));
          const inst = findAxis(cx.block, 'instance');
          const lead = inst ? [inst] : [];
          const props = { ...cx.props, has_markers: false };
          A.set(name, { block: makeBlock(a, [...lead, x.vars, cc]), props });
          B.set(name, { block: makeBlock(b, [...lead, y.vars, cc]), props });
          D.set(name, { block: makeBlock(r, [...lead, cc]), props });
        }
        return D.size ? { A, B, D } : undefined;
      },
      reset() {},
    };
  },
};

/** This module's classes (registered by nodes/index.ts). */
export const NP_FEATURE_EXTRACTION: NodeClass[] = [cca];
