// Source Power Comodulation (Dähne et al. 2014) as MNE 1.3's `mne.decoding.SPoC` (NeuroPype's
// SourcePowerComodulation): spatial filters whose band power follows a continuous target. Runs
// anywhere; `fit` allocates, `transform` is the per-epoch path (allocates its output only).
//
// z = (target − mean)/std; per-epoch covariances C_e (MNE's _regularized_covariance: uncentred,
// X Xᵀ/(T − 1), or shrunk by `reg` — NeuroPype's cov_lambda); C = mean C_e, C_z = mean z_e C_e; solve
// C_z w = λ C w (Wᵀ C W = I, in C's range when C is rank-deficient), order by |λ| descending;
// filters = rows of Wᵀ, patterns = pinv(filters)ᵀ; features = ln(mean_t (w·x)²) of the first
// `components` filters. Eigenvector signs are arbitrary; each filter's largest weight is made positive.
import { pseudoInverse } from 'ml-matrix';
import { InputError } from '../core/errors';
import { epochCovariance, type CovarianceRegularisation } from './covariance';
import type { EpochData } from './csp';
import { validateForModel } from './epochs';
import { dense, eighGeneralised, fromMl, fromRows, toMl, toRows, type DenseMatrix } from './linalg';

export interface SpocOptions {
  /** Filters kept as features (MNE's n_components; NeuroPype's nof; default 4). */
  components?: number;
  /** Covariance regularisation: null, 'ledoit_wolf' or a shrinkage in [0, 1] (NeuroPype's cov_lambda, 0.001). */
  reg?: CovarianceRegularisation;
  /** ln of the mean power (default true); false: mean power z-scored with the training mean/std. */
  log?: boolean;
}

export interface SpocState {
  kind: 'spoc';
  version: 1;
  channelCount: number;
  channelLabels?: string[];
  components: number;
  filters: number[][];
  patterns: number[][];
  eigenvalues: number[];
  log: boolean;
  featureMean?: number[];
  featureStd?: number[];
}

export class Spoc {
  readonly state: SpocState;
  private readonly w: Float64Array;

  constructor(state: SpocState) {
    if (state?.kind !== 'spoc' || state.version !== 1) throw new InputError('not a SPoC state (kind "spoc", version 1)', 'SPoC state');
    const f = fromRows(state.filters, 'SPoC state filters');
    if (f.cols !== state.channelCount || !(state.components >= 1 && state.components <= f.rows)) throw new InputError(`filters do not fit ${state.channelCount} channels × ${state.components} components`, 'SPoC state');
    this.state = state;
    this.w = f.data.slice(0, state.components * state.channelCount);
  }

  static fromJSON(state: SpocState): Spoc {
    return new Spoc(state);
  }

  toJSON(): SpocState {
    return this.state;
  }

  /** `x` [epoch, channel, sample]; `target` one real value per epoch. */
  static fit(x: EpochData, target: ArrayLike<number>, options: SpocOptions = {}): Spoc {
    const where = 'SPoC training data';
    const { epochCount: n, channelCount: p } = x;
    if (target.length !== n) throw new InputError(`${target.length} target values for ${n} epochs`, where);
    for (let i = 0; i < n; i++) if (!Number.isFinite(target[i])) throw new InputError(`epoch ${i} has target ${target[i]}; SPoC needs a finite target per epoch`, where);
    for (let i = 0; i < x.data.length; i++) if (!Number.isFinite(x.data[i])) throw new InputError(`sample ${i} is ${x.data[i]}; the epochs must be finite`, where);
    let mean = 0;
    for (let i = 0; i < n; i++) mean += target[i] / n;
    let sd = 0;
    for (let i = 0; i < n; i++) sd += (target[i] - mean) ** 2 / n;
    sd = Math.sqrt(sd);
    if (!(sd > 1e-12 * Math.abs(mean))) throw new InputError(`the target takes one value only (${mean}); SPoC needs at least two distinct values`, where);
    const components = options.components ?? 4;
    const c = dense(p, p);
    const cz = dense(p, p);
    for (let e = 0; e < n; e++) {
      const ce = epochCovariance(x, e, options.reg ?? null);
      const z = (target[e] - mean) / sd;
      for (let i = 0; i < p * p; i++) {
        c.data[i] += ce.data[i] / n;
        cz.data[i] += (z * ce.data[i]) / n;
      }
    }
    const ge = eighGeneralised(cz, c);
    const r = ge.rank;
    if (!Number.isInteger(components) || components < 1 || components > r) throw new InputError(`components must be an integer from 1 to the data rank ${r}, got ${components}`, 'SPoC options');
    const order = Array.from(ge.values, (_, i) => i).sort((a, b) => Math.abs(ge.values[b]) - Math.abs(ge.values[a]) || b - a);
    const filters = dense(r, p);
    order.forEach((src, dst) => {
      let big = 0;
      for (let i = 0; i < p; i++) if (Math.abs(ge.vectors.data[i * r + src]) > Math.abs(big)) big = ge.vectors.data[i * r + src];
      const s = big < 0 ? -1 : 1;
      for (let i = 0; i < p; i++) filters.data[dst * p + i] = s * ge.vectors.data[i * r + src];
    });
    const patterns = fromMl(pseudoInverse(toMl(filters)).transpose());
    const log = options.log ?? true;
    const state: SpocState = { kind: 'spoc', version: 1, channelCount: p, channelLabels: x.channelLabels, components, filters: toRows(filters), patterns: toRows(patterns), eigenvalues: order.map((i) => ge.values[i]), log };
    if (!log) {
      const pw = new Spoc({ ...state, log: true }).meanPower(x);
      state.featureMean = [];
      state.featureStd = [];
      for (let j = 0; j < components; j++) {
        let m = 0;
        for (let e = 0; e < n; e++) m += pw.data[e * components + j] / n;
        let v = 0;
        for (let e = 0; e < n; e++) v += (pw.data[e * components + j] - m) ** 2 / n;
        state.featureMean.push(m);
        state.featureStd.push(Math.sqrt(v));
      }
    }
    return new Spoc(state);
  }

  /** Spatially filtered epochs [epoch, component, sample] (what NeuroPype's node outputs, before Variance). */
  filterEpochs(x: EpochData): Float64Array {
    validateForModel(x, this.state, 'SPoC input');
    const { channelCount: p, sampleCount: T } = x;
    const k = this.state.components;
    const out = new Float64Array(x.epochCount * k * T);
    for (let e = 0; e < x.epochCount; e++)
      for (let j = 0; j < k; j++) {
        const o = (e * k + j) * T;
        for (let c = 0; c < p; c++) {
          const wc = this.w[j * p + c];
          const xc = (e * p + c) * T;
          for (let t = 0; t < T; t++) out[o + t] += wc * x.data[xc + t];
        }
      }
    return out;
  }

  /** Mean power of each component, [epoch, component]. */
  meanPower(x: EpochData): DenseMatrix {
    const y = this.filterEpochs(x);
    const k = this.state.components;
    const T = x.sampleCount;
    const out = dense(x.epochCount, k);
    for (let i = 0; i < x.epochCount * k; i++) {
      let s = 0;
      for (let t = 0; t < T; t++) s += y[i * T + t] ** 2;
      out.data[i] = s / T;
    }
    return out;
  }

  /** Features [epoch, component]: ln(mean power), or z-scored mean power with log=false. */
  transform(x: EpochData): DenseMatrix {
    const f = this.meanPower(x);
    const { components: k, log, featureMean, featureStd } = this.state;
    for (let i = 0; i < f.data.length; i++) f.data[i] = log ? Math.log(f.data[i]) : (f.data[i] - featureMean![i % k]) / featureStd![i % k];
    return f;
  }
}
