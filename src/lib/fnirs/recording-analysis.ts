// The recordings library's fNIRS analysis of one stored recording (run in the library worker):
// channel quality (report.ts), haemoglobin (OD → Beer–Lambert, ppf 6), block averages per marker
// condition on band-passed haemoglobin (0.05–0.7 Hz, −5 … 20 s, baseline before onset, as MNE's
// tutorial), and an AR(1) GLM with one SPM-HRF regressor per condition, cosine drift and a constant
// (t of each condition against baseline per channel). Optode positions in 2D for the probe figures.
// Pure, any thread; allocates. What cannot be computed is said in `notes` (never NaN across channels).
import { InputError } from '../core/errors';
import type { ChannelInfo, MarkerEvent, NirsProbe, StreamDescriptor } from '../core/stream';
import { beerLambert, opticalDensity } from './beer-lambert';
import { blockAverage, type BlockAverage } from './block-average';
import { nirsPairs, sourceDetectorDistances } from './channels';
import { bandpass } from './filters';
import { designMatrix, fitGlm, frameTimes, glmContrast, type ContrastResult, type GlmEvent } from './glm';
import { channelQualityReport, type ChannelQualityReport } from './report';

export interface ProbeLayout {
  /** 2D optode positions, m (x, y of the probe's positions). */
  sources: { label: string; x: number; y: number }[];
  detectors: { label: string; x: number; y: number }[];
  /** One per source–detector pair: its 1-based source and detector and the channels of the stream it holds. */
  pairs: { pair: string; source: number; detector: number; channels: number[] }[];
}

export interface FnirsAnalysis {
  streamId: string;
  sampleRateHz: number;
  channels: ChannelInfo[];
  layout: ProbeLayout | null;
  quality: ChannelQualityReport;
  /** Haemoglobin channel labels ("S1_D1 hbo"), at the intensity channels' positions. */
  hbLabels: string[];
  blocks: BlockAverage | null;
  /** Per condition, the t contrast of its regressor (channels = hbLabels). */
  glm: { condition: string; contrast: ContrastResult }[];
  dof: number;
  notes: string[];
}

/** A recording as formats/ and storage/ give it (RecordingData fits): FRAME-MAJOR streams, markers on their clock. */
export interface FnirsRecording {
  streams: readonly { descriptor: StreamDescriptor; samples: Float32Array; timestampsMs: Float64Array }[];
  markers: readonly MarkerEvent[];
  probe?: NirsProbe;
}

/** Analyses the first raw-intensity fNIRS stream of a recording. */
export function analyseFnirs(data: FnirsRecording): FnirsAnalysis {
  const s = data.streams.find((x) => x.descriptor.kind === 'fnirs' && x.descriptor.channels.some((c) => c.type === 'NIRS_CW_AMPLITUDE'));
  if (!s) throw new InputError('this recording has no fNIRS intensity stream (NIRS_CW_AMPLITUDE channels)', 'fNIRS analysis');
  const d = s.descriptor;
  const fs = d.sampleRateHz;
  const n = s.timestampsMs.length;
  // The intensity channels only (a SNIRF aux or a device's ratio is not analysed).
  const picks = d.channels.map((c, i) => ({ c, i })).filter(({ c }) => c.type === 'NIRS_CW_AMPLITUDE');
  const channels = picks.map(({ c }) => c);
  const C = channels.length;
  const raw = new Float64Array(C * n);
  const stride = d.channels.length;
  picks.forEach(({ i }, k) => {
    for (let t = 0; t < n; t++) raw[k * n + t] = s.samples[t * stride + i];
  });
  const quality = channelQualityReport(raw, channels, n, fs);
  const notes = [...quality.notes];
  const out: FnirsAnalysis = { streamId: d.id, sampleRateHz: fs, channels, layout: null, quality, hbLabels: [], blocks: null, glm: [], dof: 0, notes };

  const probe = data.probe ?? d.probe;
  let distances: Float64Array | null = null;
  try {
    const pairs = nirsPairs(channels);
    if (probe?.sourcePositionsM.length && probe.detectorPositionsM.length) {
      out.layout = {
        sources: probe.sourcePositionsM.map((p, i) => ({ label: probe.sourceLabels?.[i] ?? `S${i + 1}`, x: p[0], y: p[1] })),
        detectors: probe.detectorPositionsM.map((p, i) => ({ label: probe.detectorLabels?.[i] ?? `D${i + 1}`, x: p[0], y: p[1] })),
        pairs: pairs.map((p) => ({ pair: p.pair, source: p.source, detector: p.detector, channels: p.channels })),
      };
      distances = sourceDetectorDistances(channels, probe.sourcePositionsM, probe.detectorPositionsM);
      if (!distances.every((x) => x > 0)) distances = null;
    }
  } catch (e) {
    notes.push(`no probe layout: ${(e as Error).message}`);
  }
  if (!distances) {
    notes.push('no source–detector distances (probe positions missing or at 0): no haemoglobin, block averages or GLM');
    return out;
  }

  // Channels with samples ≤ 0 have no OD: they are held flat (their quality row says why).
  const clean = raw.slice();
  quality.rows.forEach((r, k) => {
    if (r.intensity.nonPositive || r.intensity.nonFinite) clean.fill(1, k * n, (k + 1) * n);
  });
  let hb;
  try {
    hb = beerLambert(opticalDensity(clean, C, n), channels, n, distances, 6);
  } catch (e) {
    notes.push(`no haemoglobin: ${(e as Error).message}`);
    return out;
  }
  out.hbLabels = hb.labels;
  const t0 = s.timestampsMs[0];
  const endS = (n - 1) / fs;
  const events: GlmEvent[] = data.markers
    .map((m) => ({ condition: m.value, onsetSeconds: (m.timestampMs - t0) / 1000, durationSeconds: (m.durationMs ?? 1000) / 1000 }))
    .filter((e) => e.onsetSeconds >= 0 && e.onsetSeconds <= endS);
  if (events.length === 0) {
    notes.push('no markers inside the recording: no block averages or GLM (they need stimulus onsets)');
    return out;
  }
  try {
    const filtered = bandpass(hb.data, C, n, fs, 0.05, 0.7);
    out.blocks = blockAverage(filtered, C, n, fs, events, { tminSeconds: -5, tmaxSeconds: 20 });
    if (out.blocks.skipped.length) notes.push(`${out.blocks.skipped.length} events left out of the block averages: ${out.blocks.skipped[0].reason}`);
  } catch (e) {
    notes.push(`no block averages: ${(e as Error).message}`);
  }
  try {
    const X = designMatrix(frameTimes(n, fs), events, { highPassHz: 0.01 });
    const fit = fitGlm(hb.data, C, X, 'ar1');
    out.dof = fit.dof;
    out.glm = X.conditions.map((condition) => ({ condition, contrast: glmContrast(fit, { [condition]: 1 }, condition) }));
  } catch (e) {
    notes.push(`no GLM: ${(e as Error).message}`);
  }
  return out;
}
