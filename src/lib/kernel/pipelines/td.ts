// The time-domain pipelines (API.md §8.5): snirf_moments (gated photon histograms → total counts,
// mean time of flight and its variance per channel and wavelength; Kernel's trimming rule and
// histogram checks), pipeline_snirf_gated (histograms re-binned into N equal-width gates) and
// reconstruction (FAILED with what it needs). Also the continuous-wave view of time-domain data
// (moment 0 = intensity) that lets every NIRS pipeline run on it. Pure computation; any thread.
import type { ChannelInfo } from '../../core/stream';
import type { RecordingData } from '../../formats/recording';
import { readTdSnirf, snirfDataTypes, writeTdSnirf, type TdData } from '../snirf-td';
import type { DatasetInput } from '../model';
import { params, PipelineFailure, type PipelineContext, type PipelineOutput } from '../pipeline';

/** The dataset's time-domain data, or null when it has none (no SNIRF file, or a CW one). */
export async function tdDataOf(input: DatasetInput): Promise<TdData | null> {
  const f = input.file;
  if (!f || !/\.snirf$/i.test(f.name)) return null;
  const types = await snirfDataTypes(f.bytes, f.name);
  if (!types.some((t) => t === 201 || t === 301)) return null;
  return readTdSnirf(f.bytes, f.name);
}

function requireTd(td: TdData | null, input: DatasetInput, pipeline: string, need: 'gated' | 'any'): TdData {
  const has = input.recording.streams.map((s) => s.descriptor.channels[0]?.type).filter(Boolean);
  const what = has.includes('NIRS_CW_AMPLITUDE') ? 'continuous-wave intensity (SNIRF dataType 1)' : has.length ? `channels of type ${[...new Set(has)].join(', ')}` : 'no fNIRS data';
  if (!td)
    throw new PipelineFailure(
      `${pipeline} needs time-domain photon time-of-flight data — a SNIRF file with gated histograms (dataType 201) ${need === 'gated' ? '' : 'or moments (dataType 301) '}— and this dataset has ${what}${input.file ? '' : ' (and no original file was kept with it)'}. Run snirf_hb_moments, analysis_nirs_glm or qc_nirs on continuous-wave data`,
    );
  if (need === 'gated' && td.kind !== 'gated') throw new PipelineFailure(`${pipeline} needs gated histograms (SNIRF dataType 201); this dataset holds moments (301), from which gates cannot be rebuilt`);
  return td;
}

/** Moments 0, 1, 2 of gated histograms: total counts, mean time of flight (ps), its variance (ps²). */
export function momentsOf(td: TdData, irf: { meanPs: number; varPs2: number } = { meanPs: 0, varPs2: 0 }): TdData {
  if (td.kind === 'moments') return td;
  const G = td.gateDelaysPs!.length;
  const T = td.timesS.length;
  const C = td.channels.length;
  const centre = Float64Array.from(td.gateDelaysPs!, (d, g) => d + td.gateWidthsPs![g] / 2);
  const out = new Float64Array(C * 3 * T);
  for (let c = 0; c < C; c++)
    for (let t = 0; t < T; t++) {
      let m0 = 0;
      let s1 = 0;
      for (let g = 0; g < G; g++) {
        const v = td.values[(c * G + g) * T + t];
        m0 += v;
        s1 += v * centre[g];
      }
      const m1 = m0 > 0 ? s1 / m0 : NaN;
      let s2 = 0;
      for (let g = 0; g < G; g++) s2 += td.values[(c * G + g) * T + t] * (centre[g] - m1) ** 2;
      out[(c * 3) * T + t] = m0;
      out[(c * 3 + 1) * T + t] = m1 - irf.meanPs;
      out[(c * 3 + 2) * T + t] = m0 > 0 ? s2 / m0 - irf.varPs2 : NaN;
    }
  const { gateDelaysPs: _d, gateWidthsPs: _w, ...rest } = td;
  return { ...rest, kind: 'moments', momentOrders: [0, 1, 2], values: out };
}

/** Total counts (moment 0) of channel c, frame by frame; null when moment data lack order 0. */
export function totalCounts(td: TdData, c: number): Float64Array | null {
  const T = td.timesS.length;
  if (td.kind === 'moments') {
    const K = td.momentOrders!.length;
    const k0 = td.momentOrders!.indexOf(0);
    return k0 < 0 ? null : td.values.subarray((c * K + k0) * T, (c * K + k0 + 1) * T);
  }
  const G = td.gateDelaysPs!.length;
  const out = new Float64Array(T);
  for (let g = 0; g < G; g++) for (let t = 0; t < T; t++) out[t] += td.values[(c * G + g) * T + t];
  return out;
}

/** Kernel's trimming rule: drop the first and last 5 s, but keep at least 1 s before the first and after the last event. */
export function trimRange(timesS: Float64Array, eventsS: number[], trimS = 5, keepS = 1): [number, number] {
  const T = timesS.length;
  const t0 = timesS[0];
  const t1 = timesS[T - 1];
  let from = t0 + trimS;
  let to = t1 - trimS;
  if (eventsS.length) {
    from = Math.min(from, Math.min(...eventsS) - keepS);
    to = Math.max(to, Math.max(...eventsS) + keepS);
  }
  let i0 = 0;
  while (i0 < T && timesS[i0] < from) i0++;
  let i1 = T;
  while (i1 > i0 && timesS[i1 - 1] > to) i1--;
  return [i0, i1];
}

function slice(td: TdData, keep: number[], i0: number, i1: number): TdData {
  const G = td.kind === 'gated' ? td.gateDelaysPs!.length : td.momentOrders!.length;
  const T = td.timesS.length;
  const L = i1 - i0;
  const values = new Float64Array(keep.length * G * L);
  keep.forEach((c, k) => {
    for (let g = 0; g < G; g++) values.set(td.values.subarray((c * G + g) * T + i0, (c * G + g) * T + i1), (k * G + g) * L);
  });
  return { ...td, timesS: td.timesS.slice(i0, i1), channels: keep.map((c) => td.channels[c]), values };
}

export interface HistogramCheck {
  channel: string;
  medianCounts: number;
  baselineRatio: number | null;
  peakCounts: number | null;
  reasons: string[];
}

/** Per channel: low counts (median total counts), high baseline (first gates against the peak), saturation. */
export function histogramChecks(td: TdData, o: { minCounts: number; maxBaselineRatio: number; saturationCounts: number | null }): HistogramCheck[] {
  const T = td.timesS.length;
  const G = td.kind === 'gated' ? td.gateDelaysPs!.length : 0;
  return td.channels.map((ch, c) => {
    const counts = totalCounts(td, c);
    const medianCounts = counts ? Array.from(counts).sort((a, b) => a - b)[T >> 1] ?? 0 : NaN;
    const reasons: string[] = [];
    if (counts && !(medianCounts >= o.minCounts)) reasons.push(`low counts (median ${Math.round(medianCounts)} < ${o.minCounts})`);
    let baselineRatio: number | null = null;
    let peakCounts: number | null = null;
    if (G) {
      const mean = new Float64Array(G);
      for (let g = 0; g < G; g++) {
        let s = 0;
        for (let t = 0; t < T; t++) s += td.values[(c * G + g) * T + t];
        mean[g] = s / T;
      }
      let peak = 0;
      for (let g = 0; g < G; g++) if (mean[g] > mean[peak]) peak = g;
      peakCounts = Math.max(...Array.from({ length: G }, (_, g) => Math.max(...td.values.subarray((c * G + g) * T, (c * G + g + 1) * T))));
      const early = peak >= 2 ? (mean[0] + mean[1]) / 2 : mean[0];
      baselineRatio = mean[peak] > 0 ? early / mean[peak] : null;
      if (peak < 2) reasons.push('histogram peaks in the first gates (no baseline before the rising edge)');
      else if (baselineRatio !== null && baselineRatio > o.maxBaselineRatio) reasons.push(`high baseline (${baselineRatio.toFixed(3)} of the peak > ${o.maxBaselineRatio}: ambient light or a noisy detector)`);
      if (o.saturationCounts !== null && peakCounts >= o.saturationCounts) reasons.push(`saturated (${peakCounts} ≥ ${o.saturationCounts} counts in a gate)`);
    }
    return { channel: `S${ch.source}_D${ch.detector} ${ch.wavelengthNm}`, medianCounts, baselineRatio, peakCounts, reasons };
  });
}

function checkOptions(p: Record<string, unknown>) {
  return {
    minCounts: params.num(p, 'min_counts', 100, [0, 1e12]),
    maxBaselineRatio: params.num(p, 'max_baseline_ratio', 0.1, [0, 1]),
    saturationCounts: p.saturation_counts === undefined ? null : params.num(p, 'saturation_counts', 0, [1, 1e15]),
  };
}

const PORTAL_TAGS = (pipeline: string, extra: Record<string, string>) => ({ KernelPipeline: pipeline, GeneratedBy: 'Neurotab (browser BCI lab), Kernel-compatible pipeline', ...extra });

export async function snirfMoments(input: DatasetInput, ctx: PipelineContext): Promise<PipelineOutput[]> {
  const td = requireTd(await tdDataOf(input), input, 'snirf_moments', 'any');
  const p = ctx.params;
  ctx.progress(0.2, 'histogram checks');
  const checks = histogramChecks(td, checkOptions(p));
  const keep = checks.flatMap((c, i) => (c.reasons.length ? [] : [i]));
  if (!keep.length) throw new PipelineFailure(`snirf_moments: every channel failed the histogram checks (${checks.slice(0, 4).map((c) => `${c.channel}: ${c.reasons.join(', ')}`).join('; ')}${checks.length > 4 ? '; …' : ''})`);
  const [i0, i1] = trimRange(td.timesS, td.markers.map((m) => m.timestampMs / 1000), params.num(p, 'trim_seconds', 5, [0, 3600]));
  ctx.progress(0.5, 'moments');
  const moments = momentsOf(slice(td, keep, i0, i1), { meanPs: params.num(p, 'irf_mean_ps', 0), varPs2: params.num(p, 'irf_variance_ps2', 0, [0, Infinity]) });
  const name = `${input.dataset.id.replace(/-/g, '')}_MOMENTS.snirf`;
  await ctx.ensureSpace(moments.values.byteLength * 1.2, name);
  const dropped = checks.filter((c) => c.reasons.length);
  const bytes = await writeTdSnirf(moments, PORTAL_TAGS('snirf_moments', {
    MomentsIrfCorrected: p.irf_mean_ps !== undefined || p.irf_variance_ps2 !== undefined ? 'true' : 'false',
    TrimmedSeconds: `${(td.timesS[i0] - td.timesS[0]).toFixed(3)} ${(td.timesS[td.timesS.length - 1] - td.timesS[i1 - 1]).toFixed(3)}`,
    DroppedChannels: dropped.map((c) => `${c.channel}: ${c.reasons.join(', ')}`).join('; ') || 'none',
  }));
  return [{ filename: name, bytes }];
}

/** Gated histograms re-binned into at most `n` gates of equal numbers of source gates. */
export function regate(td: TdData, n: number): TdData {
  const G = td.gateDelaysPs!.length;
  if (G <= n) return td;
  const T = td.timesS.length;
  const C = td.channels.length;
  const groupOf = (g: number) => Math.floor((g * n) / G);
  const delays = new Float64Array(n).fill(Infinity);
  const widths = new Float64Array(n);
  for (let g = 0; g < G; g++) {
    delays[groupOf(g)] = Math.min(delays[groupOf(g)], td.gateDelaysPs![g]);
    widths[groupOf(g)] += td.gateWidthsPs![g];
  }
  const values = new Float64Array(C * n * T);
  for (let c = 0; c < C; c++) for (let g = 0; g < G; g++) {
    const src = (c * G + g) * T;
    const dst = (c * n + groupOf(g)) * T;
    for (let t = 0; t < T; t++) values[dst + t] += td.values[src + t];
  }
  return { ...td, gateDelaysPs: delays, gateWidthsPs: widths, values };
}

export async function snirfGated(input: DatasetInput, ctx: PipelineContext): Promise<PipelineOutput[]> {
  const td = requireTd(await tdDataOf(input), input, 'pipeline_snirf_gated', 'gated');
  const gates = params.num(ctx.params, 'gates', 25, [1, 4096]);
  const checks = histogramChecks(td, checkOptions(ctx.params));
  const keep = checks.flatMap((c, i) => (c.reasons.length ? [] : [i]));
  if (!keep.length) throw new PipelineFailure('pipeline_snirf_gated: every channel failed the histogram checks');
  ctx.progress(0.4, 're-binning gates');
  const out = regate(slice(td, keep, 0, td.timesS.length), Math.round(gates));
  const name = `${input.dataset.id.replace(/-/g, '')}_GATES.snirf`;
  // Gates files are GB-scale for an hour of Flow data (API.md §8.6): check before writing.
  await ctx.ensureSpace(out.values.byteLength * 1.2, name);
  const bytes = await writeTdSnirf(out, PORTAL_TAGS('pipeline_snirf_gated', { IrfDeconvolution: 'not applied (no instrument response function in the file)', Gates: String(out.gateDelaysPs!.length) }));
  return [{ filename: name, bytes }];
}

export async function reconstruction(input: DatasetInput): Promise<PipelineOutput[]> {
  requireTd(await tdDataOf(input), input, 'reconstruction', 'any');
  throw new PipelineFailure(
    'reconstruction needs a sensitivity matrix (time-resolved Jacobians of this probe layout on a 4 mm MNI-152 voxel grid, as Kernel computes with its FEM head model), and none is bundled with Neurotab. Export the moments (snirf_moments) and reconstruct them with a toolbox that has a head model (e.g. NIRFAST, Toast++)',
  );
}

/** The continuous-wave view of time-domain data: moment 0 (total counts) per channel as intensity. */
export function tdAsCw(td: TdData): RecordingData {
  const T = td.timesS.length;
  const C = td.channels.length;
  const base = td.startTimeMs ?? 0;
  const samples = new Float32Array(T * C);
  for (let c = 0; c < C; c++) {
    const m0 = totalCounts(td, c);
    if (!m0) throw new PipelineFailure('the moments in this file lack order 0 (total counts), which the continuous-wave pipelines read as intensity');
    for (let t = 0; t < T; t++) samples[t * C + c] = m0[t];
  }
  const m = td;
  const channels: ChannelInfo[] = m.channels.map((ch) => ({ label: `S${ch.source}_D${ch.detector} ${ch.wavelengthNm}`, unit: 'counts', type: 'NIRS_CW_AMPLITUDE', sourceIndex: ch.source, detectorIndex: ch.detector, wavelengthNm: ch.wavelengthNm }));
  const span = T > 1 ? m.timesS[T - 1] - m.timesS[0] : 0;
  return {
    meta: { sourceFormat: 'snirf', ...(td.startTimeMs !== undefined ? { startTimeMs: td.startTimeMs } : {}), extra: { ...td.tags, timeDomain: td.kind } },
    streams: [{ descriptor: { id: 'nirs', name: 'nirs (moment 0)', kind: 'fnirs', sampleRateHz: span > 0 ? (T - 1) / span : 0, channels }, samples, timestampsMs: Float64Array.from(m.timesS, (t) => base + t * 1000) }],
    markers: td.markers.map((mk) => ({ ...mk, timestampMs: base + mk.timestampMs })),
    probe: td.probe,
  };
}

/** The recording the CW pipelines read: the dataset's own, or moment 0 of its time-domain file. */
export async function nirsRecording(input: DatasetInput): Promise<{ recording: RecordingData; timeDomain: TdData['kind'] | null }> {
  const td = await tdDataOf(input);
  return td ? { recording: tdAsCw(td), timeDomain: td.kind } : { recording: input.recording, timeDomain: null };
}
