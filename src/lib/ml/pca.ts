// Principal component analysis with scikit-learn's PCA conventions (centred SVD, explained variance
// s²/(n−1), u-based sign flip, fractional n_components = smallest k whose cumulative ratio exceeds
// it) and the reconstruction error used for fault detection: squared prediction error (SPE, Q) and
// Hotelling's T². Runs anywhere; fit allocates (SVD of the n × d data), transform is O(n·d·k).
import { InputError } from '../core/errors';
import { dense, svd, type DenseMatrix } from './linalg';

export interface PcaState {
  kind: 'pca';
  version: 1;
  mean: number[];
  /** k × d, rows = principal axes (unit vectors). */
  components: number[][];
  explainedVariance: number[];
  explainedVarianceRatio: number[];
  singularValues: number[];
  sampleCount: number;
}

export interface PcaOptions {
  /** Integer k ≥ 1, or a fraction in (0, 1): keep the components explaining more than that share. Default min(n, d). */
  components?: number;
}

export class Pca {
  readonly state: PcaState;

  constructor(state: PcaState) {
    if (state?.kind !== 'pca' || state.version !== 1) throw new InputError('not a PCA state', 'pca');
    this.state = state;
  }

  static fromJSON(state: PcaState): Pca {
    return new Pca(state);
  }

  toJSON(): PcaState {
    return this.state;
  }

  static fit(x: DenseMatrix, options: PcaOptions = {}): Pca {
    const { rows: n, cols: d } = x;
    if (n < 2) throw new InputError(`needs at least 2 rows, got ${n}`, 'pca');
    for (const v of x.data) if (!Number.isFinite(v)) throw new InputError('data contain NaN or infinite values', 'pca');
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x.data[i * d + j];
    for (let j = 0; j < d; j++) mean[j] /= n;
    const xc = dense(n, d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xc.data[i * d + j] = x.data[i * d + j] - mean[j];
    const { u, s, v } = svd(xc);
    const r = s.length;
    const ev = Array.from(s, (sv) => (sv * sv) / (n - 1));
    const total = ev.reduce((a, b) => a + b, 0);
    const ratio = ev.map((e) => (total > 0 ? e / total : 0));
    const want = options.components ?? Math.min(n, d);
    let k: number;
    if (Number.isInteger(want) && want >= 1) {
      if (want > Math.min(n, d)) throw new InputError(`n_components=${want} must be ≤ min(rows, columns) = ${Math.min(n, d)}`, 'pca');
      k = want;
    } else if (want > 0 && want < 1) {
      let cum = 0;
      k = 0;
      // numpy.searchsorted(cumsum, want, side='right') + 1
      for (; k < r; k++) {
        cum += ratio[k];
        if (cum > want) break;
      }
      k = Math.min(k + 1, r);
    } else throw new InputError(`n_components must be a positive integer or a fraction in (0, 1); got ${want}`, 'pca');
    const components: number[][] = [];
    for (let c = 0; c < k; c++) {
      // svd_flip (u-based): the largest |u| entry of each column is made positive.
      let best = 0;
      for (let i = 1; i < u.rows; i++) if (Math.abs(u.data[i * u.cols + c]) > Math.abs(u.data[best * u.cols + c])) best = i;
      const sign = u.data[best * u.cols + c] < 0 ? -1 : 1;
      components.push(Array.from({ length: d }, (_, j) => sign * v.data[j * v.cols + c]));
    }
    return new Pca({
      kind: 'pca',
      version: 1,
      mean: Array.from(mean),
      components,
      explainedVariance: ev.slice(0, k),
      explainedVarianceRatio: ratio.slice(0, k),
      singularValues: Array.from(s.subarray(0, k)),
      sampleCount: n,
    });
  }

  private check(x: DenseMatrix): void {
    if (x.cols !== this.state.mean.length) throw new InputError(`expected ${this.state.mean.length} columns, got ${x.cols}`, 'pca');
  }

  /** Scores (n × k). */
  transform(x: DenseMatrix): DenseMatrix {
    this.check(x);
    const { mean, components } = this.state;
    const d = mean.length;
    const k = components.length;
    const out = dense(x.rows, k);
    for (let i = 0; i < x.rows; i++) {
      for (let c = 0; c < k; c++) {
        const w = components[c];
        let acc = 0;
        for (let j = 0; j < d; j++) acc += (x.data[i * d + j] - mean[j]) * w[j];
        out.data[i * k + c] = acc;
      }
    }
    return out;
  }

  /** Back to data space (n × d). */
  inverseTransform(z: DenseMatrix): DenseMatrix {
    const { mean, components } = this.state;
    const d = mean.length;
    const k = components.length;
    if (z.cols !== k) throw new InputError(`expected ${k} score columns, got ${z.cols}`, 'pca');
    const out = dense(z.rows, d);
    for (let i = 0; i < z.rows; i++) {
      for (let j = 0; j < d; j++) {
        let acc = mean[j];
        for (let c = 0; c < k; c++) acc += z.data[i * k + c] * components[c][j];
        out.data[i * d + j] = acc;
      }
    }
    return out;
  }

  /** Squared prediction error ‖x − x̂‖² per row (the Q statistic). */
  reconstructionError(x: DenseMatrix): Float64Array {
    const back = this.inverseTransform(this.transform(x));
    const out = new Float64Array(x.rows);
    for (let i = 0; i < x.rows; i++) {
      let s = 0;
      for (let j = 0; j < x.cols; j++) s += (x.data[i * x.cols + j] - back.data[i * x.cols + j]) ** 2;
      out[i] = s;
    }
    return out;
  }

  /** Hotelling's T² per row: Σ score² / explained variance. */
  hotellingT2(x: DenseMatrix): Float64Array {
    const z = this.transform(x);
    const ev = this.state.explainedVariance;
    const k = ev.length;
    const out = new Float64Array(x.rows);
    for (let i = 0; i < x.rows; i++) for (let c = 0; c < k; c++) out[i] += ev[c] > 0 ? z.data[i * k + c] ** 2 / ev[c] : 0;
    return out;
  }
}
