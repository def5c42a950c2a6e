// NeuroPype's GroupedMean: the mean of the instances (trials) of each group, a group being each
// distinct combination of the grouping fields' values (sorted), as scipy.stats computes the
// location and spread. Pure function; runs anywhere; allocates its output.
import { InputError } from '../core/errors';

export interface GroupedMeanOptions {
  /** 'mean' (default), 'median', or 'trimmed' (scipy.stats.mstats.trimmed_mean with `trim`), or 'winsorized' (mean after winsorize with `trim`). */
  meanType?: 'mean' | 'median' | 'trimmed' | 'winsorized';
  /** [lower, upper] proportions for 'trimmed' / 'winsorized' (NeuroPype trim_proportion, default [0, 0]). */
  trim?: readonly [number, number];
  /** 'none' (default), 'std' or 'sem' (scipy.stats.sem) with `ddof` (default 1). */
  errorType?: 'none' | 'std' | 'sem';
  ddof?: number;
}

export interface GroupedMeanResult {
  /** Group keys in output order (sorted; a key joins the fields' values with '|'). */
  groups: string[];
  /** The fields' values of each group. */
  groupValues: string[][];
  counts: number[];
  /** [group][rowSize] */
  means: Float64Array;
  errors: Float64Array | null;
}

/**
 * The location of `v`: mean, median, trimmed mean (int(p·n) values cut from each end, as
 * scipy.stats.trim_mean) or winsorized mean, with [lower, upper] proportions `trim`.
 */
export function location(v: readonly number[], type: NonNullable<GroupedMeanOptions['meanType']>, trim: readonly [number, number]): number {
  const n = v.length;
  const s = [...v].sort((a, b) => a - b);
  if (type === 'median') return n % 2 ? s[(n - 1) >> 1] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  if (type === 'mean') return v.reduce((a, b) => a + b, 0) / n;
  const lo = Math.floor(trim[0] * n);
  const hi = n - Math.floor(trim[1] * n);
  if (type === 'trimmed') {
    if (hi <= lo) return NaN;
    let sum = 0;
    for (let i = lo; i < hi; i++) sum += s[i];
    return sum / (hi - lo);
  }
  // winsorized
  let sum = 0;
  for (let i = 0; i < n; i++) sum += s[Math.min(Math.max(i, lo), Math.max(hi - 1, lo))];
  return sum / n;
}

/**
 * `values` is [instance][rowSize] row-major; `fields[f][instance]` the grouping fields' values.
 * Groups sort by their values field by field (numbers numerically when every value parses as one).
 */
export function groupedMean(values: ArrayLike<number>, instanceCount: number, fields: readonly (readonly (string | number)[])[], options: GroupedMeanOptions = {}): GroupedMeanResult {
  const where = 'GroupedMean';
  if (instanceCount < 1 || values.length % instanceCount !== 0) throw new InputError(`${values.length} values are not a whole number of rows for ${instanceCount} instances`, where);
  if (fields.length === 0) throw new InputError('give at least one grouping field', where);
  for (const f of fields) if (f.length !== instanceCount) throw new InputError(`a grouping field has ${f.length} values for ${instanceCount} instances`, where);
  const rowSize = values.length / instanceCount;
  const byKey = new Map<string, { vals: string[]; members: number[] }>();
  for (let i = 0; i < instanceCount; i++) {
    const vals = fields.map((f) => String(f[i]));
    const key = vals.join('|');
    if (!byKey.has(key)) byKey.set(key, { vals, members: [] });
    byKey.get(key)!.members.push(i);
  }
  const numericField = fields.map((f) => f.every((v) => v !== '' && Number.isFinite(Number(v))));
  const groups = [...byKey.keys()].sort((a, b) => {
    const va = byKey.get(a)!.vals;
    const vb = byKey.get(b)!.vals;
    for (let k = 0; k < va.length; k++) {
      const c = numericField[k] ? Number(va[k]) - Number(vb[k]) : va[k] < vb[k] ? -1 : va[k] > vb[k] ? 1 : 0;
      if (c !== 0) return c;
    }
    return 0;
  });
  const type = options.meanType ?? 'mean';
  const trim = options.trim ?? [0, 0];
  const errType = options.errorType ?? 'none';
  const ddof = options.ddof ?? 1;
  const means = new Float64Array(groups.length * rowSize);
  const errors = errType === 'none' ? null : new Float64Array(groups.length * rowSize);
  const col: number[] = [];
  groups.forEach((key, g) => {
    const { members } = byKey.get(key)!;
    for (let j = 0; j < rowSize; j++) {
      col.length = 0;
      for (const i of members) col.push(values[i * rowSize + j]);
      means[g * rowSize + j] = location(col, type, trim);
      if (errors) {
        const n = col.length;
        const m = col.reduce((a, b) => a + b, 0) / n;
        const sd = Math.sqrt(col.reduce((a, b) => a + (b - m) ** 2, 0) / (n - ddof));
        errors[g * rowSize + j] = errType === 'std' ? sd : sd / Math.sqrt(n);
      }
    }
  });
  return { groups, groupValues: groups.map((k) => byKey.get(k)!.vals), counts: groups.map((k) => byKey.get(k)!.members.length), means, errors };
}
