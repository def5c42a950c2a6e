// Public API of the DSP kernel library (re-exports only). Pure TypeScript, runs on any thread
// (page, workers, service worker, Node); imports nothing but ../core.
//
// Layouts: FRAME-MAJOR = interleaved, sample n of channel c at x[n·nch + c] (the engine's Chunk
// layout; used by the streaming classes SosFilter, LFilter). CHANNEL-MAJOR = x[c·ns + n] (SciPy's
// [channel, sample] with axis=-1; used by the one-shot functions sosfilt, sosfiltfilt, lfilter,
// filtfilt, ...). Sample arrays are Float32Array or Float64Array; outputs have the input's type;
// arithmetic is float64. Filter design always returns float64 coefficients.
//
// Speed: biquad cascades (sosfilt, SosFilter) and Welch (hann-type window, power-of-two nperseg,
// detrend 'constant', mean) run in WebAssembly SIMD (f64x2: two channels / two segments per vector,
// module bytes emitted by wasm-encoder.ts from integers only) when the runtime allows it, else in JS;
// both give the same float64 results (IIR bit-identical). setIirBackend('js') forces JS.

// Filter design (SciPy 1.10 / MNE 1.3 compatible): SOS rows [b0, b1, b2, 1, a1, a2].
export {
  bessel,
  besselI0,
  besselord,
  butter,
  buttord,
  cheb1ord,
  cheby1,
  concatSos,
  firwin,
  freqz,
  getWindow,
  iirnotch,
  iirnotchSos,
  mneFirFilter,
  sosfreqz,
  sosMagnitudeAt,
  validateSos,
  type BandType,
  type OrderEstimate,
  type FirwinOptions,
  type MneFirOptions,
  type Sos,
  type TransferFunction,
  type WindowName,
} from './filter-design';

// Filtering: streaming classes take FRAME-MAJOR chunks; functions take CHANNEL-MAJOR arrays.
export {
  filtfilt,
  firZeroPhase,
  lfilter,
  LFilter,
  lfilterZi,
  setIirBackend,
  sosfilt,
  sosfiltfilt,
  SosFilter,
  sosfiltZi,
  type FiltFiltOptions,
  type IirBackend,
  type Samples,
  type SosFilterOptions,
} from './iir';

// IIR design by the modified Yule–Walker method (MATLAB yulewalk).
export { yulewalk, type YulewalkFilter } from './yulewalk';

// Standard 10-05 positions by label (MNE standard_1005, head frame, metres) and spherical-spline interpolation (MNE 1.3).
export { assignStandard1005, standard1005Labels, standard1005Position, STANDARD_1005_FIDUCIALS } from './montage-1005';
export { sphericalSplineMatrix, splineG, type SphericalSplineOptions } from './spherical-spline';

// clean_rawdata's FIR by frequency sampling (design_fir, pchip) and its reflect-padded zero-phase application (filtfilt_fast).
export { firFiltfiltReflect, firFrequencySampling, pchip } from './fir-sampling';

// FFT band-pass by masking (SpectralSelection, filter-bank CSP bands): one-shot CHANNEL-MAJOR, streaming blocks FRAME-MAJOR.
export { BlockSpectralSelection, fftBandPass, type BandHz } from './spectral-selection';

// NeuroPype's signal kernels: complex Morlet CWT (MNE), along-axis ops (PeakLatency, Discretize, FrequencyNormalization,
// Winsorize), GroupedMean, DejitterTimestamps (liblsl RLS), HeartRate (Pan–Tompkins R peaks, BPM windows).
export { cmorAsMorlet, morletWavelets, tfrMorlet, type MorletOptions, type Tfr } from './wavelet';
export { discretize, forEachLane, frequencyNormalize, peakPositions, winsorize } from './axis-ops';
export { groupedMean, type GroupedMeanOptions, type GroupedMeanResult } from './grouped-mean';
export { Dejitter, type DejitterOptions } from './dejitter';
export { detectRPeaks, heartRate, type HeartRateOptions } from './heart-rate';

// Multitaper (DPSS as SciPy, PSD as MNE psd_array_multitaper).
export { dpss, multitaperPsd, multitaperTapers, type DpssOptions, type DpssResult, type MultitaperOptions, type MultitaperSpectrum } from './multitaper';

// FFT (float64; any length): plans allocate once, transforms do not.
export { Fft, RealFft, rfft, rfftMagnitude } from './fft';

// Spectra on CHANNEL-MAJOR arrays; PSD results are Float64Array [channel, bin].
export {
  bandPower,
  periodogram,
  relativeBandPower,
  simpson,
  spectrogram,
  trapezoid,
  welch,
  type Band,
  type PeriodogramOptions,
  type Spectrogram,
  type Spectrum,
  type WelchOptions,
} from './spectral';

// Running one-segment Welch PSD of a sliding window, FRAME-MAJOR input, only the bins asked for
// (sliding DFT, O(bins) per sample, or an FFT per window when cheaper; what online band power uses).
export { SlidingSpectrum, type SlidingSpectrumOptions, type SlidingWindowName } from './sliding-spectrum';

// Resampling: one-shot on CHANNEL-MAJOR arrays; streaming classes on FRAME-MAJOR chunks.
export {
  decimate,
  decimateSos,
  resamplePoly,
  StreamingDecimator,
  StreamingResampler,
  upfirdn,
  type ResamplePolyOptions,
  type StreamingResamplerOptions,
} from './resample';

// Statistics: CHANNEL-MAJOR unless the name says Frames (FRAME-MAJOR); epochs are [epoch, channel, sample].
export {
  commonAverageReference,
  commonAverageReferenceFrames,
  detrend,
  epochLogVariance,
  epochsFromContinuous,
  epochVariance,
  zscore,
} from './stats';
