// Kernels that work along one axis of an n-d row-major block (a packet chunk's data): the lane
// iterator they share, and NeuroPype's PeakLatency, FrequencyNormalization, Discretize and Winsorize.
// Pure functions; run anywhere; each allocates its output (and one lane buffer).
import { InputError } from '../core/errors';

/** Visit every lane along `axis` of a row-major block of `shape`: `fn(offset, stride)` indexes lane element i at offset + i·stride. */
export function forEachLane(shape: readonly number[], axis: number, fn: (offset: number, stride: number) => void): void {
  if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length) throw new InputError(`axis ${axis} does not exist in a ${shape.length}-d block`, 'axis');
  const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const len = shape[axis];
  for (let o = 0; o < outer; o++) for (let i = 0; i < stride; i++) fn(o * len * stride + i, stride);
}

function checkSize(data: ArrayLike<number>, shape: readonly number[], where: string): void {
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new InputError(`${data.length} values for shape [${shape.join(', ')}]`, where);
}

/**
 * PeakLatency: position of the maximum (or minimum with `negative`) along `axis`; the axis collapses
 * (output shape = shape with shape[axis] = 1). Position = `axisValues[index]` (Hz, seconds…) when given,
 * else the index. Ties: the first, as numpy.argmax; NaN values are skipped (all NaN → NaN); no
 * interpolation between bins (NeuroPype documents none).
 */
export function peakPositions(data: ArrayLike<number>, shape: readonly number[], axis: number, options: { axisValues?: ArrayLike<number>; negative?: boolean } = {}): Float64Array {
  checkSize(data, shape, 'PeakLatency');
  const len = shape[axis];
  if (options.axisValues && options.axisValues.length !== len) throw new InputError(`${options.axisValues.length} axis values for an axis of ${len}`, 'PeakLatency');
  const out = new Float64Array(data.length / Math.max(len, 1));
  const sign = options.negative ? -1 : 1;
  let k = 0;
  forEachLane(shape, axis, (off, stride) => {
    let best = -1;
    let bestV = -Infinity;
    for (let i = 0; i < len; i++) {
      const v = sign * data[off + i * stride];
      if (v > bestV || (best < 0 && v === -Infinity)) {
        best = i;
        bestV = v;
      }
    }
    // lanes are visited in the collapsed block's row-major order
    out[k++] = best < 0 ? NaN : options.axisValues ? options.axisValues[best] : best;
  });
  return out;
}

/**
 * Discretize: `newValues[k]` where k = the number of cutoffs ≤ value (numpy.digitize with increasing
 * cutoffs, right=False), so newValues has one more entry than cutoffs. NaN stays NaN.
 */
export function discretize(data: ArrayLike<number>, cutoffs: readonly number[], newValues: readonly number[]): Float64Array {
  if (newValues.length !== cutoffs.length + 1) throw new InputError(`${newValues.length} new values for ${cutoffs.length} cutoffs; give one more value than cutoffs`, 'Discretize');
  for (let i = 1; i < cutoffs.length; i++) if (!(cutoffs[i] >= cutoffs[i - 1])) throw new InputError('threshold cutoffs must be increasing', 'Discretize');
  return Float64Array.from(data, (v) => {
    if (Number.isNaN(v)) return NaN;
    let k = 0;
    while (k < cutoffs.length && cutoffs[k] <= v) k++;
    return newValues[k];
  });
}

/**
 * FrequencyNormalization (NeuroPype's "1/f frequency normalization", inferred): along the frequency
 * axis, without a fit range multiply by f^alpha (the f = 0 bin unscaled); with `fitRangeHz` [lo, hi],
 * fit log10(x) = a + b·log10(f) by least squares over the bins in range (f > 0, x > 0) of each lane
 * and divide every f > 0 bin by 10^(a + b·log10 f) (numpy.polyfit on log-log data).
 */
export function frequencyNormalize(data: ArrayLike<number>, shape: readonly number[], axis: number, freqsHz: ArrayLike<number>, options: { alpha?: number; fitRangeHz?: readonly [number, number] | null } = {}): Float64Array {
  checkSize(data, shape, 'FrequencyNormalization');
  const len = shape[axis];
  if (freqsHz.length !== len) throw new InputError(`${freqsHz.length} frequencies for an axis of ${len}`, 'FrequencyNormalization');
  const out = Float64Array.from(data);
  const alpha = options.alpha ?? 1;
  const range = options.fitRangeHz ?? null;
  forEachLane(shape, axis, (off, stride) => {
    if (!range) {
      for (let i = 0; i < len; i++) if (freqsHz[i] > 0) out[off + i * stride] *= freqsHz[i] ** alpha;
      return;
    }
    let n = 0;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    for (let i = 0; i < len; i++) {
      const f = freqsHz[i];
      const v = data[off + i * stride];
      if (f >= range[0] && f <= range[1] && f > 0 && v > 0) {
        const lx = Math.log10(f);
        const ly = Math.log10(v);
        n++;
        sx += lx;
        sy += ly;
        sxx += lx * lx;
        sxy += lx * ly;
      }
    }
    if (n < 2) throw new InputError(`fewer than two positive bins in the fit range ${range[0]}–${range[1]} Hz`, 'FrequencyNormalization');
    const b = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    const a = (sy - b * sx) / n;
    for (let i = 0; i < len; i++) if (freqsHz[i] > 0) out[off + i * stride] /= 10 ** (a + b * Math.log10(freqsHz[i]));
  });
  return out;
}

/**
 * scipy.stats.mstats.winsorize(x, limits=(lower, upper), inclusive=(True, True)) along `axis`:
 * per lane the int(lower·n) smallest values become the next one and the int(upper·n) largest the
 * previous one (n = finite values; non-finite values are left out, as masked ones, and stay as they
 * are — SciPy's masked-array version overwrites them with the upper value), applied in that order as SciPy does. NeuroPype's Winsorize: lower = trim_proportion_lower (default trim_proportion),
 * upper = trim_proportion (inferred).
 */
export function winsorize(data: ArrayLike<number>, shape: readonly number[], axis: number, lower: number, upper: number): Float64Array {
  checkSize(data, shape, 'Winsorize');
  if (!(lower >= 0 && lower <= 1 && upper >= 0 && upper <= 1)) throw new InputError(`trim proportions must be in [0, 1], got ${lower} and ${upper}`, 'Winsorize');
  const out = Float64Array.from(data);
  const len = shape[axis];
  const idx: number[] = [];
  forEachLane(shape, axis, (off, stride) => {
    idx.length = 0;
    for (let i = 0; i < len; i++) if (Number.isFinite(out[off + i * stride])) idx.push(off + i * stride);
    const n = idx.length;
    if (n === 0) return;
    idx.sort((p, q) => out[p] - out[q] || p - q);
    const lo = Math.floor(lower * n);
    if (lower > 0 && lo < n) {
      const v = out[idx[lo]];
      for (let i = 0; i < lo; i++) out[idx[i]] = v;
    }
    const up = n - Math.floor(n * upper);
    if (up < n && up >= 1) {
      const v = out[idx[up - 1]];
      for (let i = up; i < n; i++) out[idx[i]] = v;
    }
  });
  return out;
}
