// Channel quality of a whole fNIRS recording, as `neurotab info` prints it: per raw-intensity channel
// MNE's SCI over the recording, the median of MNE-NIRS's windowed PSP, the CV and the intensity checks,
// and pruneChannels' verdict with its reasons. What cannot be computed (no wavelengths, too low a
// rate, too short) is said in `notes`, never turned into NaN. Pure, any thread; allocates.
import { opticalDensity } from './beer-lambert';
import { nirsPairs, parseNirsChannel, type NirsChannel } from './channels';
import { coefficientOfVariation, intensityChecks, peakSpectralPower, pruneChannels, scalpCouplingIndex, type DroppedChannel, type IntensityCheck, type PruneThresholds } from './quality';

/**
 * SCI 0.5 (MNE's tutorial), median PSP 0.1 (MNE-NIRS / QT-NIRS), CV 50 % over the whole recording
 * (Homer3's hmrR_PruneChannels SNRthresh 2 = mean/std; drifts over minutes make 7.5 % prune most channels).
 */
export const REPORT_THRESHOLDS: Readonly<Required<Pick<PruneThresholds, 'sciMin' | 'pspMin' | 'cvMaxPercent'>>> = { sciMin: 0.5, pspMin: 0.1, cvMaxPercent: 50 };

export interface ChannelQualityRow {
  /** Index in the stream's channels. */
  channel: number;
  label: string;
  sci: number | null;
  /** Median over 10 s windows of the peak spectral power. */
  pspMedian: number | null;
  cvPercent: number;
  intensity: IntensityCheck;
  /** Why it would be pruned (empty: kept). */
  reasons: string[];
}

export interface ChannelQualityReport {
  rows: ChannelQualityRow[];
  /** Channels that would be pruned (stream indices) and why. */
  dropped: DroppedChannel[];
  thresholds: PruneThresholds;
  /** What could not be computed, and why. */
  notes: string[];
}

const MIN_RATE_HZ = 4;
const PSP_WINDOW_S = 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * `intensity` CHANNEL-MAJOR [channel, sample] for every channel of the stream; only raw CW intensity
 * channels (type NIRS_CW_AMPLITUDE, or unset) are judged, others are skipped.
 */
export function channelQualityReport(intensity: ArrayLike<number>, channels: readonly (NirsChannel & { type?: string })[], sampleCount: number, sampleRateHz: number, thresholds: PruneThresholds = REPORT_THRESHOLDS): ChannelQualityReport {
  const notes: string[] = [];
  const picks = channels.map((ch, i) => ({ ch, i })).filter(({ ch }) => !ch.type || ch.type === 'NIRS_CW_AMPLITUDE');
  if (picks.length === 0) return { rows: [], dropped: [], thresholds, notes: ['no raw-intensity channels (NIRS_CW_AMPLITUDE): quality is judged on intensities, before optical density'] };
  const S = picks.length;
  const n = sampleCount;
  const raw = new Float64Array(S * n);
  picks.forEach(({ i }, k) => {
    for (let t = 0; t < n; t++) raw[k * n + t] = intensity[i * n + t];
  });
  const sub = picks.map(({ ch }) => ch);
  const checks = intensityChecks(raw, S, n);
  const cv = coefficientOfVariation(raw, S, n);

  // SCI and PSP need every channel in a pair of two wavelengths, a rate above the cardiac band, and length.
  let sci: Float64Array | null = null;
  let psp: number[] | null = null;
  const unparsed = sub.filter((ch) => !parseNirsChannel(ch) || typeof parseNirsChannel(ch)!.kind !== 'number' || !((parseNirsChannel(ch)!.kind as number) > 0));
  const pairs = unparsed.length ? [] : nirsPairs(sub);
  const single = pairs.filter((p) => p.channels.length < 2);
  if (unparsed.length) notes.push(`no wavelength for ${unparsed.map((c) => c.label).slice(0, 4).join(', ')}${unparsed.length > 4 ? ` and ${unparsed.length - 4} more` : ''}: SCI and PSP need two wavelengths per source–detector pair (the file's probe/wavelengths or the channels' wavelengthIndex); CV and intensity checks only`);
  else if (single.length) notes.push(`one wavelength at ${single.map((p) => p.pair).join(', ')}: SCI and PSP need two; CV and intensity checks only`);
  else if (!(sampleRateHz >= MIN_RATE_HZ)) notes.push(`sample rate ${sampleRateHz} Hz is below ${MIN_RATE_HZ} Hz: the cardiac band (0.7–1.5 Hz) does not fit; no SCI or PSP`);
  else if (n < Math.round(PSP_WINDOW_S * sampleRateHz) * 2) notes.push(`shorter than ${2 * PSP_WINDOW_S} s: no SCI or PSP`);
  else {
    // A channel with samples ≤ 0 or not finite has no optical density: it is judged flat (SCI 0), with the reason.
    const clean = raw.slice();
    checks.forEach((q, k) => {
      if (q.nonPositive || q.nonFinite) clean.fill(1, k * n, (k + 1) * n);
    });
    const od = opticalDensity(clean, S, n);
    sci = scalpCouplingIndex(od, sub, n, sampleRateHz);
    const w = peakSpectralPower(od, sub, n, sampleRateHz, PSP_WINDOW_S);
    psp = sub.map((_, k) => median(Array.from(w.scores.subarray(k * w.windowCount, (k + 1) * w.windowCount))));
  }
  const t = sci ? thresholds : { ...thresholds, sciMin: undefined, pspMin: undefined };
  // Without pairs each channel is judged alone (pruneChannels pairs partners by source–detector and wavelength).
  const judged = unparsed.length ? sub.map((_, k) => ({ label: `S${k + 1}_D1 1` })) : sub;
  const pruned = pruneChannels(judged, { ...(sci ? { sci } : {}), ...(psp ? { psp } : {}), cvPercent: cv, intensity: checks }, t);
  const reasons = new Map(pruned.dropped.map((d) => [d.channel, d.reasons]));
  const rows = picks.map(({ ch, i }, k) => ({ channel: i, label: ch.label, sci: sci ? sci[k] : null, pspMedian: psp ? psp[k] : null, cvPercent: cv[k], intensity: checks[k], reasons: reasons.get(k) ?? [] }));
  return { rows, dropped: pruned.dropped.map((d) => ({ ...d, channel: picks[d.channel].i, label: picks[d.channel].ch.label })), thresholds: t, notes };
}
