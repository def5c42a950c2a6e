// The continuous-wave form of Kernel's Hb-moments preprocessing (API.md §8.5 snirf_hb_moments), shared
// by snirf_hb_moments, analysis_nirs_epoched and analysis_nirs_glm: intensity → optical density →
// modified Beer–Lambert (ppf 6) → TDDR → cubic-spline repair of the spikes TDDR leaves (Homer3's
// detection and spline) → 100 s moving-average detrend → short-channel regression (channels under
// 10 mm). Every step can be switched off through params (how the fNIRS references are checked through
// the job). Pure computation; any thread. Output CHANNEL-MAJOR in µM.
import {
  beerLambert,
  channelMidpoints,
  detectMotionArtifacts,
  intensityChecks,
  movingAverageDetrend,
  opticalDensity,
  pickChannels,
  pruneChannels,
  shortChannelRegression,
  sourceDetectorDistances,
  splineMotionCorrection,
  tddr,
  type NirsChannel,
} from '../../fnirs/index';
import type { NirsProbe } from '../../formats/recording';
import { asFailure, cwBlock, params, PipelineFailure, type ChannelBlock } from '../pipeline';
import type { RecordingData } from '../../formats/recording';

export interface HbOptions {
  ppf: number;
  tddr: boolean;
  spline: boolean;
  /** 0 = no detrend. */
  detrendSeconds: number;
  shortChannelRegression: boolean;
  maxShortDistanceM: number;
  /** Homer3 STDEVthresh for the spikes left after TDDR. */
  spikeStdThreshold: number;
}

/** The chain's parameters from a job's params (snake_case), with Kernel's defaults. */
export function hbOptions(p: Record<string, unknown>): HbOptions {
  return {
    ppf: params.num(p, 'ppf', 6, [0.1, 100]),
    tddr: params.bool(p, 'tddr', true),
    spline: params.bool(p, 'spline', true),
    detrendSeconds: params.num(p, 'detrend_seconds', 100, [0, 1e5]),
    shortChannelRegression: params.bool(p, 'short_channel_regression', true),
    maxShortDistanceM: params.num(p, 'short_channel_max_distance_m', 0.01, [0, 0.1]),
    spikeStdThreshold: params.num(p, 'spike_std_threshold', 50, [1, 1e6]),
  };
}

export interface HbResult {
  /** The intensity block it came from (time base: t0Ms, sampleRateHz). */
  source: ChannelBlock;
  probe: NirsProbe;
  /** CHANNEL-MAJOR [channel, sample], µM. */
  data: Float64Array;
  /** "S1_D1 hbo" / "S1_D1 hbr", MNE's order (HbO at the shorter wavelength's position). */
  channels: NirsChannel[];
  sampleCount: number;
  sampleRateHz: number;
  /** Source–detector distance per Hb channel, m. */
  distancesM: Float64Array;
  /** Midpoint per Hb channel, m. */
  midpointsM: number[][];
  /** Intensity channels left out, and why. */
  dropped: { label: string; reasons: string[] }[];
  /** What was done, in order, and what was skipped and why. */
  steps: string[];
  /** Motion segments the spline repaired (pairs × segments). */
  splineSegments: number;
  shortChannels: number;
}

/** Runs the chain on the dataset's CW intensity (see the module header). */
export function cwHaemoglobin(rec: RecordingData, o: HbOptions, pipeline: string): HbResult {
  const block = cwBlock(rec, pipeline);
  const probe = rec.probe;
  if (!probe || !probe.sourcePositionsM.length || !probe.detectorPositionsM.length)
    throw new PipelineFailure(`${pipeline} needs the probe's source and detector positions (SNIRF /nirs/probe) for the source–detector distances; this dataset has none`);
  const fs = block.sampleRateHz;
  const n = block.sampleCount;
  const steps: string[] = [];
  // Channels whose intensity cannot be turned into optical density go, with their pair partner.
  const checks = intensityChecks(block.data, block.channels.length, n);
  const pruned = asFailure('channel check', () => pruneChannels(block.channels, { intensity: checks }));
  if (pruned.keep.length < 2) throw new PipelineFailure(`${pipeline}: no usable fNIRS channel pair (${pruned.dropped.map((d) => `${d.label}: ${d.reasons.join(', ')}`).join('; ')})`);
  const channels = pruned.keep.map((c) => block.channels[c]);
  const intensity = pruned.keep.length === block.channels.length ? block.data : pickChannels(block.data, n, pruned.keep);
  if (pruned.dropped.length) steps.push(`dropped ${pruned.dropped.length} channel(s) with unusable intensity`);
  const od = asFailure('optical density', () => opticalDensity(intensity, channels.length, n));
  steps.push('optical density');
  const distances = asFailure('source–detector distances', () => sourceDetectorDistances(channels, probe.sourcePositionsM, probe.detectorPositionsM));
  const hb = asFailure('Beer–Lambert', () => beerLambert(od, channels, n, distances, o.ppf));
  steps.push(`modified Beer–Lambert law (ppf ${o.ppf})`);
  const hbChannels: NirsChannel[] = hb.labels.map((label, k) => {
    const src = channels[hb.inputChannels[k]];
    return { label, sourceIndex: src.sourceIndex, detectorIndex: src.detectorIndex };
  });
  const C = hbChannels.length;
  const distancesM = Float64Array.from(hb.inputChannels, (c) => distances[c]);
  let x: Float64Array = hb.data;
  if (o.tddr) {
    x = asFailure('TDDR', () => tddr(x, C, n, fs));
    steps.push('TDDR motion correction');
  } else steps.push('TDDR skipped (params.tddr = false)');
  let splineSegments = 0;
  if (o.spline) {
    const motion = asFailure('spike detection', () => detectMotionArtifacts(x, hbChannels, n, fs, { stdThreshold: o.spikeStdThreshold, ampThreshold: Infinity }));
    for (let c = 0; c < C; c++) for (let t = 1; t < n; t++) if (!motion.includedByChannel[c * n + t] && motion.includedByChannel[c * n + t - 1]) splineSegments++;
    if (splineSegments) {
      x = asFailure('spline repair', () => splineMotionCorrection(x, C, n, fs, motion.includedByChannel, 0.99));
      steps.push(`cubic-spline repair of ${splineSegments} spike segment(s) left after TDDR`);
    } else steps.push('spline repair: no spike left after TDDR');
  } else steps.push('spline repair skipped (params.spline = false)');
  if (o.detrendSeconds > 0) {
    x = asFailure('moving-average detrend', () => movingAverageDetrend(x, C, n, fs, o.detrendSeconds));
    steps.push(`${o.detrendSeconds} s moving-average detrend`);
  } else steps.push('detrend skipped (params.detrend_seconds = 0)');
  const midpointsM = channelMidpoints(hbChannels, probe.sourcePositionsM, probe.detectorPositionsM);
  const shortChannels = Array.from(distancesM).filter((d) => d < o.maxShortDistanceM).length;
  if (o.shortChannelRegression && shortChannels > 0 && shortChannels < C) {
    x = asFailure('short-channel regression', () => shortChannelRegression(x, hbChannels, n, distancesM, { maxShortDistanceM: o.maxShortDistanceM, midpointsM }).data);
    steps.push(`short-channel regression on ${shortChannels / 2} pair(s) under ${o.maxShortDistanceM * 1000} mm`);
  } else if (!o.shortChannelRegression) steps.push('short-channel regression skipped (params.short_channel_regression = false)');
  else steps.push(`short-channel regression skipped: ${shortChannels ? 'every channel is short' : `no channel under ${o.maxShortDistanceM * 1000} mm (shortest ${(Math.min(...distancesM) * 1000).toFixed(1)} mm)`}`);
  for (let i = 0; i < x.length; i++) x[i] *= 1e6;
  return {
    source: block,
    probe,
    data: x,
    channels: hbChannels,
    sampleCount: n,
    sampleRateHz: fs,
    distancesM,
    midpointsM,
    dropped: pruned.dropped.map((d) => ({ label: d.label, reasons: d.reasons })),
    steps,
    splineSegments,
    shortChannels,
  };
}

/** "S1_D1 hbo" → { pair: "S1_D1", chromophore: "hbo" }. */
export function hbLabel(label: string): { pair: string; chromophore: 'hbo' | 'hbr' } {
  const [pair, chrom] = label.split(/\s+/);
  return { pair, chromophore: chrom === 'hbr' ? 'hbr' : 'hbo' };
}
