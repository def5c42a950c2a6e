// xDAWN spatial filters for event-related potentials, pyriemann's `Xdawn` semantics: per class, the
// evoked response P_k (mean epoch) and the signal covariance C_x of all epochs concatenated; filters =
// leading generalised eigenvectors of eig(P_k P_kᵀ, C_x), unit-norm columns; patterns = pinv(Vᵀ).
// `transform` gives the filtered epochs (class × filter "virtual channels"), optionally averaged over
// `decimate`-sample bins, flattened as features for LDA (the classic "xDAWN + LDA" P300 recipe).
// Runs anywhere. `fit` allocates; `transform` is the per-epoch online path.
import { inverse } from 'ml-matrix';
import { InputError } from '../core/errors';
import { validateEpochs, validateForModel, type EpochSet } from './epochs';
import type { EpochData } from './csp';
import { dense, eighGeneralised, fromMl, toMl, transpose, type DenseMatrix } from './linalg';

export interface XdawnOptions {
  /** Filters kept per class (pyriemann's nfilter, default 4; capped at the channel count). */
  filtersPerClass?: number;
  /** Only these class indices get filters (e.g. [1] for the target class); default all. */
  classes?: number[];
  /** Average features over bins of this many samples (1 = none, default). */
  decimate?: number;
}

export interface XdawnState {
  kind: 'xdawn';
  version: 1;
  channelCount: number;
  channelLabels?: string[];
  classNames: string[];
  sampleCount: number;
  /** Stacked filters, [class-block·filtersPerClass][channel]. */
  filters: number[][];
  patterns: number[][];
  /** Filtered evoked responses (pyriemann's evokeds_), [filter][sample]. */
  evokeds: number[][];
  filtersPerClass: number;
  classes: number[];
  decimate: number;
}

export class Xdawn {
  readonly state: XdawnState;
  private readonly w: Float64Array;

  constructor(state: XdawnState) {
    if (state?.kind !== 'xdawn' || state.version !== 1) throw new InputError('not an xDAWN state', 'xDAWN state');
    if (state.filters.some((r) => r.length !== state.channelCount)) throw new InputError('filter rows do not match the channel count', 'xDAWN state');
    this.state = state;
    this.w = Float64Array.from(state.filters.flat());
  }

  static fromJSON(state: XdawnState): Xdawn {
    return new Xdawn(state);
  }

  toJSON(): XdawnState {
    return this.state;
  }

  static fit(set: EpochSet, options: XdawnOptions = {}): Xdawn {
    validateEpochs(set, { minPerClass: 2, what: 'xDAWN training data' });
    const { channelCount: p, sampleCount: T, epochCount: E } = set;
    const nf = Math.min(options.filtersPerClass ?? 4, p);
    const decimate = options.decimate ?? 1;
    if (!Number.isInteger(decimate) || decimate < 1 || decimate > T) throw new InputError(`decimate must be an integer in 1…${T}`, 'xDAWN options');
    const classes = options.classes ?? set.classNames.map((_, k) => k);
    // Signal covariance of all epochs concatenated (pyriemann 'scm': X Xᵀ / N, uncentred).
    const cx = dense(p, p);
    for (let e = 0; e < E; e++) addOuter(cx, set.data, e * p * T, p, T);
    for (let i = 0; i < cx.data.length; i++) cx.data[i] /= E * T;
    const filters: number[][] = [];
    const patterns: number[][] = [];
    const evokeds: number[][] = [];
    for (const k of classes) {
      const members: number[] = [];
      for (let e = 0; e < E; e++) if (set.labels[e] === k) members.push(e);
      if (members.length === 0) throw new InputError(`class "${set.classNames[k]}" has no epochs`, 'xDAWN training data');
      const P = new Float64Array(p * T);
      for (const e of members) for (let i = 0; i < p * T; i++) P[i] += set.data[e * p * T + i] / members.length;
      const cp = dense(p, p);
      addOuter(cp, P, 0, p, T);
      for (let i = 0; i < cp.data.length; i++) cp.data[i] /= T;
      const ge = eighGeneralised(cp, cx);
      const r = ge.rank;
      // Columns sorted by eigenvalue descending, each scaled to unit L2 norm.
      const V = dense(p, r);
      for (let m = 0; m < r; m++) {
        const src = r - 1 - m;
        let norm = 0;
        for (let i = 0; i < p; i++) norm += ge.vectors.data[i * r + src] ** 2;
        norm = Math.sqrt(norm);
        let big = 0;
        for (let i = 0; i < p; i++) if (Math.abs(ge.vectors.data[i * r + src]) > Math.abs(big)) big = ge.vectors.data[i * r + src];
        const s = (big < 0 ? -1 : 1) / norm;
        for (let i = 0; i < p; i++) V.data[i * r + m] = s * ge.vectors.data[i * r + src];
      }
      // patterns = pinv(Vᵀ) columns (V square and invertible when the data are full rank).
      const A = r === p ? fromMl(inverse(toMl(transpose(V)))) : fromMl(inverse(toMl(transpose(V)), true));
      const take = Math.min(nf, r);
      for (let m = 0; m < take; m++) {
        const w = Array.from({ length: p }, (_, i) => V.data[i * r + m]);
        filters.push(w);
        patterns.push(Array.from({ length: p }, (_, i) => A.data[i * A.cols + m]));
        const ev = new Array<number>(T).fill(0);
        for (let c = 0; c < p; c++) for (let t = 0; t < T; t++) ev[t] += w[c] * P[c * T + t];
        evokeds.push(ev);
      }
    }
    return new Xdawn({
      kind: 'xdawn',
      version: 1,
      channelCount: p,
      channelLabels: set.channelLabels,
      classNames: [...set.classNames],
      sampleCount: T,
      filters,
      patterns,
      evokeds,
      filtersPerClass: nf,
      classes,
      decimate,
    });
  }

  /** Filtered epochs [epoch, filter, sample] (pyriemann's Xdawn.transform). */
  filterEpochs(x: EpochData): Float64Array {
    validateForModel(x, this.state, 'xDAWN input');
    const { channelCount: p, sampleCount: T } = x;
    const F = this.state.filters.length;
    const out = new Float64Array(x.epochCount * F * T);
    for (let e = 0; e < x.epochCount; e++) {
      for (let f = 0; f < F; f++) {
        const o = (e * F + f) * T;
        for (let c = 0; c < p; c++) {
          const wc = this.w[f * p + c];
          const src = (e * p + c) * T;
          for (let t = 0; t < T; t++) out[o + t] += wc * x.data[src + t];
        }
      }
    }
    return out;
  }

  /** Features [epoch, filter·bin]: filtered epochs averaged over `decimate`-sample bins (a trailing partial bin is dropped). */
  transform(x: EpochData): DenseMatrix {
    if (x.sampleCount !== this.state.sampleCount) {
      throw new InputError(`epochs of ${x.sampleCount} samples, the model was trained on ${this.state.sampleCount}`, 'xDAWN input');
    }
    const y = this.filterEpochs(x);
    const F = this.state.filters.length;
    const T = x.sampleCount;
    const q = this.state.decimate;
    const bins = Math.floor(T / q);
    const out = dense(x.epochCount, F * bins);
    for (let e = 0; e < x.epochCount; e++)
      for (let f = 0; f < F; f++)
        for (let b = 0; b < bins; b++) {
          let s = 0;
          for (let t = b * q; t < (b + 1) * q; t++) s += y[(e * F + f) * T + t];
          out.data[e * F * bins + f * bins + b] = s / q;
        }
    return out;
  }
}

function addOuter(acc: DenseMatrix, data: ArrayLike<number>, base: number, p: number, T: number): void {
  for (let i = 0; i < p; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let t = 0; t < T; t++) s += data[base + i * T + t] * data[base + j * T + t];
      acc.data[i * p + j] += s;
      if (i !== j) acc.data[j * p + i] += s;
    }
}
