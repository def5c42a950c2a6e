// Common Spatial Patterns (MNE 1.3 `mne.decoding.CSP` semantics for two classes) and filter-bank CSP,
// with trained state as plain JSON. Runs anywhere (page, workers, Node). `fit` allocates;
// `transform` is the per-epoch path used online (allocates only its output).
//
// Definition (shared/reference/README.md §6): C_k = class covariance (covariance.ts, MNE's 'concat'
// estimate: uncentred, divisor N−1), solve C_0 w = λ (C_0 + C_1) w with Wᵀ(C_0 + C_1)W = I, order
// components by |λ − 0.5| descending (MNE's 'mutual_info' order for two classes), filters = rows of Wᵀ,
// patterns = Wᵀ(C_0 + C_1) (= MNE's pinv(W) when W is square), feature = ln(mean_t (w·x)²).
//
// Rank: average-referenced EEG has rank p−1, so C_0 + C_1 is singular and the plain problem fails.
// With `rank: 'auto'` (default) the problem is solved in the range of C_0 + C_1 (its eigenvalues above
// 1e-10 × the largest; the covariance-domain equivalent of dropping one channel after the average
// reference): you get `rank` components instead of p. A full-rank input is unaffected (bit-for-bit the
// same problem). `rank: 'full'` refuses rank-deficient data with an InputError; a number forces it.
// Eigenvector signs are arbitrary; each filter is flipped so that its largest-magnitude weight is positive.
import { InputError } from '../core/errors';
import { classCovariances, type CovarianceRegularisation } from './covariance';
import { validateEpochs, validateForModel, type EpochSet } from './epochs';
import { dense, eighGeneralised, fromRows, matMul, toRows, type DenseMatrix } from './linalg';

export interface CspOptions {
  /** Number of components kept as features (MNE's n_components; default 4). */
  components?: number;
  /** Covariance regularisation (MNE's reg): null (default), 'ledoit_wolf', or a shrinkage in [0, 1]. */
  reg?: CovarianceRegularisation;
  /** 'concat' (default) or 'epoch' (MNE's cov_est). */
  covEstimation?: 'concat' | 'epoch';
  /** Divide class covariances by their trace (MNE 1.3 default false). */
  normTrace?: boolean;
  /** 'auto' (default: the data rank), 'full' (error if rank-deficient) or a number of dimensions. */
  rank?: 'auto' | 'full' | number;
  /** 'mutual_info' (default; for 2 classes |λ − 0.5| descending) or 'alternate' (largest, smallest, 2nd largest, …). */
  componentOrder?: 'mutual_info' | 'alternate';
  /** true (default): ln of the mean power; false: mean power z-scored with training mean/std (MNE log=False). */
  log?: boolean;
}

/** Serialisable trained CSP. Matrices are rows (component-major). */
export interface CspState {
  kind: 'csp';
  version: 1;
  channelCount: number;
  channelLabels?: string[];
  classNames: string[];
  components: number;
  /** Dimension the problem was solved in (≤ channelCount; < for average-referenced data). */
  rank: number;
  /** All `rank` spatial filters in CSP order, [component][channel]. */
  filters: number[][];
  /** Matching spatial patterns, [component][channel]. */
  patterns: number[][];
  /** Generalised eigenvalues in CSP order. */
  eigenvalues: number[];
  log: boolean;
  /** Only with log=false: training mean and std of each feature. */
  featureMean?: number[];
  featureStd?: number[];
}

/** Epoch data without labels: [epoch, channel, sample]. */
export interface EpochData {
  data: Float64Array;
  epochCount: number;
  channelCount: number;
  sampleCount: number;
  channelLabels?: string[];
}

export class Csp {
  readonly state: CspState;
  private readonly w: Float64Array;

  constructor(state: CspState) {
    checkCspState(state);
    this.state = state;
    const k = state.components;
    this.w = new Float64Array(k * state.channelCount);
    for (let j = 0; j < k; j++) this.w.set(state.filters[j], j * state.channelCount);
  }

  static fit(set: EpochSet, options: CspOptions = {}): Csp {
    validateEpochs(set, { minPerClass: 2, what: 'CSP training data' });
    const present = set.classNames.filter((_, k) => set.labels.includes(k));
    if (set.classNames.length !== 2 || present.length !== 2) {
      throw new InputError(
        `CSP separates exactly two classes, got ${set.classNames.length} (${set.classNames.join(', ')}); map the markers to two classes`,
        'CSP training data',
      );
    }
    const p = set.channelCount;
    const components = options.components ?? 4;
    if (!Number.isInteger(components) || components < 1) {
      throw new InputError(`components must be a positive integer, got ${components}`, 'CSP options');
    }
    const { covariances } = classCovariances(set, {
      estimation: options.covEstimation ?? 'concat',
      normTrace: options.normTrace ?? false,
      reg: options.reg ?? null,
    });
    const [c0, c1] = covariances;
    const sum = dense(p, p);
    for (let i = 0; i < sum.data.length; i++) sum.data[i] = c0.data[i] + c1.data[i];
    const rankOpt = options.rank ?? 'auto';
    const ge = eighGeneralised(c0, sum, { rank: typeof rankOpt === 'number' ? rankOpt : undefined });
    if (rankOpt === 'full' && ge.rank < p) {
      throw new InputError(
        `the data have rank ${ge.rank} < ${p} channels (average reference?); use rank "auto" or drop a channel`,
        'CSP training data',
      );
    }
    const r = ge.rank;
    if (components > r) {
      throw new InputError(`components ${components} exceeds the data rank ${r}; ask for at most ${r}`, 'CSP options');
    }
    const order = componentOrder(ge.values, options.componentOrder ?? 'mutual_info');
    // filters: rows = columns of W in CSP order, sign-normalised.
    const filters = dense(r, p);
    order.forEach((src, dst) => {
      let big = 0;
      for (let i = 0; i < p; i++) {
        const v = ge.vectors.data[i * r + src];
        if (Math.abs(v) > Math.abs(big)) big = v;
      }
      const s = big < 0 ? -1 : 1;
      for (let i = 0; i < p; i++) filters.data[dst * p + i] = s * ge.vectors.data[i * r + src];
    });
    const patterns = matMul(filters, sum); // Wᵀ B (B symmetric)
    const log = options.log ?? true;
    const state: CspState = {
      kind: 'csp',
      version: 1,
      channelCount: p,
      channelLabels: set.channelLabels,
      classNames: [...set.classNames],
      components,
      rank: r,
      filters: toRows(filters),
      patterns: toRows(patterns),
      eigenvalues: order.map((i) => ge.values[i]),
      log,
    };
    if (!log) {
      const raw = new Csp({ ...state, log: true }).meanPower(set);
      const mean: number[] = [];
      const std: number[] = [];
      for (let j = 0; j < components; j++) {
        let m = 0;
        for (let e = 0; e < set.epochCount; e++) m += raw.data[e * components + j];
        m /= set.epochCount;
        let v = 0;
        for (let e = 0; e < set.epochCount; e++) v += (raw.data[e * components + j] - m) ** 2;
        mean.push(m);
        std.push(Math.sqrt(v / set.epochCount));
      }
      state.featureMean = mean;
      state.featureStd = std;
    }
    return new Csp(state);
  }

  static fromJSON(state: CspState): Csp {
    return new Csp(state);
  }

  toJSON(): CspState {
    return this.state;
  }

  /** Features [epoch, component]: ln(mean power) (or z-scored mean power with log=false). */
  transform(x: EpochData): DenseMatrix {
    const f = this.meanPower(x);
    const { components: k, log, featureMean, featureStd } = this.state;
    for (let e = 0; e < x.epochCount; e++) {
      for (let j = 0; j < k; j++) {
        const i = e * k + j;
        f.data[i] = log ? Math.log(f.data[i]) : (f.data[i] - featureMean![j]) / featureStd![j];
      }
    }
    return f;
  }

  /** Mean over time of the squared filtered signal, [epoch, component]. Hot path (online). */
  meanPower(x: EpochData): DenseMatrix {
    validateForModel(x, this.state, 'CSP input');
    const { channelCount: p, sampleCount: T } = x;
    const k = this.state.components;
    const out = dense(x.epochCount, k);
    const y = new Float64Array(T);
    const w = this.w;
    for (let e = 0; e < x.epochCount; e++) {
      const base = e * p * T;
      for (let j = 0; j < k; j++) {
        y.fill(0);
        for (let c = 0; c < p; c++) {
          const wc = w[j * p + c];
          const xc = base + c * T;
          for (let t = 0; t < T; t++) y[t] += wc * x.data[xc + t];
        }
        let s = 0;
        for (let t = 0; t < T; t++) s += y[t] * y[t];
        out.data[e * k + j] = s / T;
      }
    }
    return out;
  }

  /** The first `components` filters, [component, channel]. */
  filterMatrix(): DenseMatrix {
    return dense(this.state.components, this.state.channelCount, this.w.slice());
  }
}

function componentOrder(values: Float64Array, how: 'mutual_info' | 'alternate'): number[] {
  const idx = Array.from(values, (_, i) => i);
  if (how === 'mutual_info') {
    // numpy: argsort(|λ − 0.5|)[::-1]; ties (never in practice) broken by larger index first, as the reversal does.
    return idx.sort((a, b) => Math.abs(values[b] - 0.5) - Math.abs(values[a] - 0.5) || b - a);
  }
  const asc = idx.sort((a, b) => values[a] - values[b] || a - b);
  const n = asc.length;
  const half = Math.floor(n / 2);
  const out = new Array<number>(n);
  // MNE: ix[1::2] = i[:n//2]; ix[0::2] = i[n//2:][::-1]
  for (let m = 0; 2 * m + 1 < n; m++) out[2 * m + 1] = asc[m];
  const top = asc.slice(half).reverse();
  for (let m = 0; 2 * m < n; m++) out[2 * m] = top[m];
  return out;
}

function checkCspState(s: CspState): void {
  const where = 'CSP state';
  if (s?.kind !== 'csp' || s.version !== 1) throw new InputError('not a CSP state (kind "csp", version 1)', where);
  const f = fromRows(s.filters, `${where}.filters`);
  if (f.cols !== s.channelCount) throw new InputError(`filters have ${f.cols} channels, state says ${s.channelCount}`, where);
  if (!(s.components >= 1 && s.components <= f.rows)) throw new InputError(`components ${s.components} out of 1…${f.rows}`, where);
  if (!s.log && (!s.featureMean || !s.featureStd)) throw new InputError('log=false needs featureMean and featureStd', where);
}

export interface FilterBankCspState {
  kind: 'filter-bank-csp';
  version: 1;
  /** Pass bands in Hz, one CSP per band, in feature order. */
  bandsHz: [number, number][];
  csps: CspState[];
}

/**
 * Filter-bank CSP (Ang et al. 2008 without the feature-selection step): one CSP per pass band,
 * features concatenated band after band ([epoch, band·components]). Band-pass filtering is the
 * caller's (dsp/): pass the same epochs filtered once per band.
 */
export class FilterBankCsp {
  readonly state: FilterBankCspState;
  private readonly csps: Csp[];

  constructor(state: FilterBankCspState) {
    if (state?.kind !== 'filter-bank-csp' || state.version !== 1) throw new InputError('not a filter-bank CSP state', 'FBCSP state');
    if (state.bandsHz.length !== state.csps.length || state.csps.length === 0) {
      throw new InputError(`${state.bandsHz.length} bands for ${state.csps.length} CSPs`, 'FBCSP state');
    }
    this.state = state;
    this.csps = state.csps.map((c) => new Csp(c));
  }

  static fit(bands: { bandHz: [number, number]; epochs: EpochSet }[], options: CspOptions = {}): FilterBankCsp {
    if (bands.length === 0) throw new InputError('give at least one band', 'FBCSP');
    const first = bands[0].epochs;
    for (const b of bands) {
      if (b.epochs.epochCount !== first.epochCount || b.epochs.labels.some((l, i) => l !== first.labels[i])) {
        throw new InputError(`band ${b.bandHz.join('–')} Hz holds different epochs than the first band`, 'FBCSP');
      }
    }
    const csps = bands.map((b) => Csp.fit(b.epochs, options).state);
    return new FilterBankCsp({ kind: 'filter-bank-csp', version: 1, bandsHz: bands.map((b) => b.bandHz), csps });
  }

  /** `perBand[i]` = the epochs filtered in band i. */
  transform(perBand: EpochData[]): DenseMatrix {
    if (perBand.length !== this.csps.length) {
      throw new InputError(`${perBand.length} filtered copies for ${this.csps.length} bands`, 'FBCSP input');
    }
    const parts = perBand.map((x, i) => this.csps[i].transform(x));
    const n = parts[0].rows;
    const cols = parts.reduce((c, m) => c + m.cols, 0);
    const out = dense(n, cols);
    for (let e = 0; e < n; e++) {
      let o = 0;
      for (const m of parts) {
        out.data.set(m.data.subarray(e * m.cols, (e + 1) * m.cols), e * cols + o);
        o += m.cols;
      }
    }
    return out;
  }

  toJSON(): FilterBankCspState {
    return this.state;
  }
}
