// Filtering fNIRS signals offline: band-pass (MNE's default zero-phase FIR, or a zero-phase
// Butterworth as Homer3's hmrR_BandpassFilt applies with filtfilt) and moving-average detrend (Kernel's
// snirf_hb_moments subtracts a 100 s moving average). Runs anywhere (any thread, Node); allocates.
// CHANNEL-MAJOR data [channel, sample].
import { InputError } from '../core/errors';
import { butter, firZeroPhase, mneFirFilter, sosfiltfilt } from '../dsp/index';

export interface BandpassOptions {
  /**
   * 'fir' (default): MNE `raw.filter(l_freq, h_freq)` — firwin/hamming FIR with MNE's automatic
   * length and transition bands, zero phase, odd-reflection padding. 'butterworth': Butterworth
   * band-pass of `order` (default 3) applied forward and backward (SciPy sosfiltfilt, odd padding).
   */
  method?: 'fir' | 'butterworth';
  order?: number;
  /** FIR transition bandwidths, Hz (MNE 'auto' when absent). */
  lTransBandwidthHz?: number;
  hTransBandwidthHz?: number;
}

/** Band-pass lFreqHz – hFreqHz (either may be null: high-pass / low-pass), zero phase. */
export function bandpass(x: ArrayLike<number>, channelCount: number, sampleCount: number, sampleRateHz: number, lFreqHz: number | null, hFreqHz: number | null, o: BandpassOptions = {}): Float64Array {
  if (x.length !== channelCount * sampleCount) throw new InputError(`expected ${channelCount} × ${sampleCount} values, got ${x.length}`, 'fnirs band-pass');
  if (o.method === 'butterworth') {
    const order = o.order ?? 3;
    const sos =
      lFreqHz !== null && hFreqHz !== null
        ? butter(order, [lFreqHz, hFreqHz], 'bandpass', sampleRateHz)
        : lFreqHz !== null
          ? butter(order, lFreqHz, 'highpass', sampleRateHz)
          : hFreqHz !== null
            ? butter(order, hFreqHz, 'lowpass', sampleRateHz)
            : null;
    if (!sos) throw new InputError('give a low cut, a high cut or both', 'fnirs band-pass');
    return Float64Array.from(sosfiltfilt(sos, Float64Array.from(x), channelCount, sampleCount));
  }
  const h = mneFirFilter(sampleRateHz, lFreqHz, hFreqHz, { lTransBandwidthHz: o.lTransBandwidthHz, hTransBandwidthHz: o.hTransBandwidthHz });
  return firZeroPhase(h, x, channelCount, sampleCount);
}

/**
 * x minus its centred moving average over ± round(windowSeconds·fs / 2) samples (2h + 1 samples),
 * the window shrinking at the edges to the samples that exist (MATLAB movmean's 'shrink'). Default
 * 100 s, as Kernel's snirf_hb_moments. O(n) per channel (running sums, Neumaier-compensated).
 */
export function movingAverageDetrend(x: ArrayLike<number>, channelCount: number, sampleCount: number, sampleRateHz: number, windowSeconds = 100): Float64Array {
  if (x.length !== channelCount * sampleCount) throw new InputError(`expected ${channelCount} × ${sampleCount} values, got ${x.length}`, 'moving-average detrend');
  const h = Math.round((windowSeconds * sampleRateHz) / 2);
  if (!(h >= 1)) throw new InputError(`window of ${windowSeconds} s is under 3 samples at ${sampleRateHz} Hz`, 'moving-average detrend');
  const n = sampleCount;
  const out = new Float64Array(channelCount * n);
  const prefix = new Float64Array(n + 1);
  for (let c = 0; c < channelCount; c++) {
    const o = c * n;
    let acc = 0;
    let comp = 0;
    for (let t = 0; t < n; t++) {
      const v = x[o + t];
      const s = acc + v;
      comp += Math.abs(acc) >= Math.abs(v) ? acc - s + v : v - s + acc;
      acc = s;
      prefix[t + 1] = acc + comp;
    }
    for (let t = 0; t < n; t++) {
      const lo = Math.max(0, t - h);
      const hi = Math.min(n - 1, t + h);
      out[o + t] = x[o + t] - (prefix[hi + 1] - prefix[lo]) / (hi - lo + 1);
    }
  }
  return out;
}
