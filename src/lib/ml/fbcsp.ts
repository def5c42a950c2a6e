// Filter-bank CSP as NeuroPype's FilterBankCommonSpatialPattern node needs it: each trial band-passed
// by FFT masking (dsp/spectral-selection.ts; nfft = max(minFftSize, next power of two ≥ samples)) in
// each band, one CSP per band with `nof` filter pairs (2·nof components, MNE's component_order
// 'alternate' = largest, smallest, 2nd largest…, the class-mean of per-trial covariances —
// cov_est 'epoch' — as BCILAB's CSP, optional shrinkage), features = log-variance band after band.
// Runs anywhere; `fit` allocates; `transform` band-passes each call (allocates).
import { InputError } from '../core/errors';
import { fftBandPass, type BandHz } from '../dsp/spectral-selection';
import { FilterBankCsp, type EpochData, type FilterBankCspState } from './csp';
import type { EpochSet } from './epochs';
import type { DenseMatrix } from './linalg';

export interface NeuroPypeFbcspOptions {
  /** Pass bands in Hz (NeuroPype's default [[0.5,3],[4,7],[8,12],[13,30],[31,42]]). */
  bands?: readonly BandHz[];
  /** Filter pairs per band (default 3). */
  nof?: number;
  /** Covariance shrinkage in [0, 1] (default 0 = none). */
  shrinkage?: number;
  /** Smallest FFT length (default 256). */
  minFftSize?: number;
}

export const NEUROPYPE_FBCSP_BANDS: readonly BandHz[] = [
  [0.5, 3],
  [4, 7],
  [8, 12],
  [13, 30],
  [31, 42],
];

export interface FbcspState {
  kind: 'fbcsp-fft';
  version: 1;
  sampleRateHz: number;
  nfftMin: number;
  bank: FilterBankCspState;
}

/** Epochs band-passed in one band by FFT masking. */
export function bandPassEpochs<T extends EpochData>(x: T, sampleRateHz: number, band: BandHz, minFftSize: number): T {
  const n = Math.max(minFftSize, 2 ** Math.ceil(Math.log2(x.sampleCount)));
  const rows = x.epochCount * x.channelCount;
  return { ...x, data: fftBandPass(x.data, rows, x.sampleCount, sampleRateHz, [band], n) };
}

export class FftFilterBankCsp {
  readonly state: FbcspState;
  private readonly bank: FilterBankCsp;

  constructor(state: FbcspState) {
    if (state?.kind !== 'fbcsp-fft' || state.version !== 1) throw new InputError('not a filter-bank CSP state (kind "fbcsp-fft")', 'FBCSP state');
    this.state = state;
    this.bank = new FilterBankCsp(state.bank);
  }

  static fromJSON(state: FbcspState): FftFilterBankCsp {
    return new FftFilterBankCsp(state);
  }

  toJSON(): FbcspState {
    return this.state;
  }

  static fit(set: EpochSet, options: NeuroPypeFbcspOptions = {}): FftFilterBankCsp {
    const bands = options.bands ?? NEUROPYPE_FBCSP_BANDS;
    const nof = options.nof ?? 3;
    if (!Number.isInteger(nof) || nof < 1) throw new InputError(`nof must be a positive integer (filter pairs per band), got ${nof}`, 'FBCSP options');
    const minFft = options.minFftSize ?? 256;
    const shrink = options.shrinkage ?? 0;
    const perBand = bands.map((b) => ({ bandHz: [b[0], b[1]] as [number, number], epochs: bandPassEpochs(set, set.sampleRateHz, b, minFft) }));
    const bank = FilterBankCsp.fit(perBand, { components: 2 * nof, covEstimation: 'epoch', componentOrder: 'alternate', reg: shrink > 0 ? shrink : null });
    return new FftFilterBankCsp({ kind: 'fbcsp-fft', version: 1, sampleRateHz: set.sampleRateHz, nfftMin: minFft, bank: bank.state });
  }

  /** The epochs band-passed once per band, in band order. */
  bandPassed(x: EpochData): EpochData[] {
    return this.state.bank.bandsHz.map((b) => bandPassEpochs(x, this.state.sampleRateHz, b, this.state.nfftMin));
  }

  /** Log-variance features [epoch, band · 2·nof], band after band. */
  transform(x: EpochData): DenseMatrix {
    return this.bank.transform(this.bandPassed(x));
  }
}
