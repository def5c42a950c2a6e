// The NIRS analysis and export jobs built on the CW Hb-moments chain (hb.ts), API.md §8.5:
// snirf_hb_moments (the chain's HbO/HbR written as SNIRF, processed data type 99999, µM),
// analysis_nirs_glm (SPM-HRF boxcars per condition, cosine drift at 0.01 Hz, constant; AR(1) or OLS
// per channel and chromophore; t contrasts per condition and pairwise; glm_results.tsv) and
// analysis_nirs_epoched (−5…+25 s epochs, baseline −5…0 s, mean ± SEM per condition). Pure
// computation; any thread. Numbers checked against shared/reference/fnirs_glm.json through the job.
import { InputError } from '../../core/errors';
import { blockAverage, designMatrix, fitGlm, frameTimes, glmContrast, type DesignMatrix, type GlmFit, type NoiseModel } from '../../fnirs/index';
import { writeSnirf } from '../../formats/snirf';
import type { RecordingData } from '../../formats/recording';
import { channelsLight, renderReport, type Cell, type Report, type Section } from '../report';
import { asFailure, conditionEvents, eventsFrom, params, PipelineFailure, type PipelineContext, type PipelineOutput } from '../pipeline';
import type { DatasetInput } from '../model';
import { cwHaemoglobin, hbLabel, hbOptions, type HbResult } from './hb';
import { nirsRecording } from './td';

const hex = (input: DatasetInput) => input.dataset.id.replace(/-/g, '');

const CW_NOTE =
  "Continuous-wave equivalent of Kernel's Hb-moments chain: intensity → optical density → modified Beer–Lambert law, instead of time-domain moments through a two-layer head model's sensitivities.";

function preprocessingSection(hb: HbResult): Section {
  return {
    id: 'preprocessing',
    title: 'Preprocessing',
    status: hb.dropped.length ? (hb.dropped.length * 2 >= hb.channels.length ? 'red' : 'orange') : 'green',
    summary: `${hb.channels.length / 2} source–detector pairs at ${+hb.sampleRateHz.toFixed(3)} Hz over ${(hb.sampleCount / hb.sampleRateHz).toFixed(1)} s.`,
    notes: [...hb.steps, ...hb.dropped.map((d) => `${d.label} dropped: ${d.reasons.join(', ')}`)],
    metrics: [
      { label: 'pairs', value: hb.channels.length / 2 },
      { label: 'dropped intensity channels', value: hb.dropped.length },
      { label: 'short channels', value: hb.shortChannels / 2 },
      { label: 'spline-repaired segments', value: hb.splineSegments },
    ],
  };
}

/** Events of the analysed stream as GLM / block events; FAILED when there are none. */
function taskEvents(rec: RecordingData, hb: HbResult, p: Record<string, unknown>, pipeline: string) {
  const durationS = params.num(p, 'duration_s', 5, [0, 3600]);
  const events = conditionEvents(eventsFrom(rec, hb.source.t0Ms), params.mapping(p, 'conditions'), durationS);
  if (!events.length)
    throw new PipelineFailure(`${pipeline} needs task events (SNIRF stim groups or markers); this dataset has ${rec.markers.length ? `only session markers (${[...new Set(rec.markers.map((m) => m.value))].join(', ')})` : 'none'}. Give params.conditions to map marker values to conditions`);
  return events;
}

export async function snirfHbMoments(input: DatasetInput, ctx: PipelineContext): Promise<PipelineOutput[]> {
  ctx.progress(0.1, 'optical density, Beer–Lambert, TDDR, spline, detrend, short-channel regression');
  const { recording: rec } = await nirsRecording(input);
  const hb = cwHaemoglobin(rec, hbOptions(ctx.params), 'snirf_hb_moments');
  const C = hb.channels.length;
  const n = hb.sampleCount;
  const samples = new Float32Array(n * C);
  for (let c = 0; c < C; c++) for (let t = 0; t < n; t++) samples[t * C + c] = hb.data[c * n + t];
  const src = hb.source.stream;
  const bytes = C * n * 8;
  await ctx.ensureSpace(bytes, 'the Hb-moments SNIRF file');
  ctx.progress(0.8, 'writing SNIRF');
  const out: RecordingData = {
    meta: { ...rec.meta, extra: { ...(rec.meta.extra ?? {}), NeurotabPipeline: 'snirf_hb_moments (continuous-wave equivalent)' } },
    probe: rec.probe,
    markers: rec.markers,
    streams: [
      {
        descriptor: {
          ...src.descriptor,
          channels: hb.channels.map((ch) => {
            const { chromophore } = hbLabel(ch.label);
            return { label: ch.label, unit: 'uM', type: chromophore === 'hbo' ? 'NIRS_HbO' : 'NIRS_HbR', sourceIndex: ch.sourceIndex, detectorIndex: ch.detectorIndex };
          }),
        },
        samples,
        timestampsMs: src.timestampsMs,
      },
    ],
  };
  const snirf = await writeSnirf(out, `${hex(input)}_HB_MOMENTS.snirf`).catch((e) => {
    throw e instanceof InputError ? new PipelineFailure(`SNIRF writer: ${e.message}`) : e;
  });
  return [{ filename: `${hex(input)}_HB_MOMENTS.snirf`, bytes: snirf }];
}

/** The t contrasts of the issue: each condition against baseline, then each pair (a − b). */
export function defaultContrasts(conditions: string[]): { name: string; weights: Record<string, number> }[] {
  const out = conditions.map((c) => ({ name: c, weights: { [c]: 1 } }));
  for (let i = 0; i < conditions.length; i++)
    for (let j = i + 1; j < conditions.length; j++) out.push({ name: `${conditions[i]} - ${conditions[j]}`, weights: { [conditions[i]]: 1, [conditions[j]]: -1 } });
  return out;
}

export const GLM_COLUMNS = ['channel', 'chromophore', 'regressor', 'beta', 'se', 't', 'p', 'dof', 'noise_model'];

/** glm_results.tsv's rows: one per channel × chromophore × regressor (every design column). */
export function glmRows(hb: HbResult, fit: GlmFit, noiseModel: NoiseModel): Cell[][] {
  const rows: Cell[][] = [];
  const perColumn = fit.columns.map((col, j) => glmContrast(fit, Float64Array.from(fit.columns, (_, k) => (k === j ? 1 : 0)), col));
  hb.channels.forEach((ch, c) => {
    const { pair, chromophore } = hbLabel(ch.label);
    perColumn.forEach((r, j) => rows.push([pair, chromophore, fit.columns[j], r.effect[c], r.se[c], r.t[c], r.p[c], fit.dof, noiseModel]));
  });
  return rows;
}

export async function analysisNirsGlm(input: DatasetInput, ctx: PipelineContext): Promise<PipelineOutput[]> {
  const p = ctx.params;
  const noiseModel = params.str<NoiseModel>(p, 'noise_model', 'ar1', ['ar1', 'ols']);
  const highPassHz = params.num(p, 'high_pass_hz', 0.01, [0, 10]);
  ctx.progress(0.1, 'Hb-moments preprocessing');
  const { recording } = await nirsRecording(input);
  const hb = cwHaemoglobin(recording, hbOptions(p), 'analysis_nirs_glm');
  const events = taskEvents(recording, hb, p, 'analysis_nirs_glm');
  const C = hb.channels.length;
  const n = hb.sampleCount;
  ctx.progress(0.4, 'design matrix');
  const design: DesignMatrix = asFailure('design matrix', () => designMatrix(frameTimes(n, hb.sampleRateHz), events, { oversampling: 50, minOnsetSeconds: -24, highPassHz: highPassHz > 0 ? highPassHz : 'none' }));
  ctx.progress(0.5, `${noiseModel.toUpperCase()} fit of ${C} channels`);
  const fit = asFailure('GLM', () => fitGlm(hb.data, C, design, noiseModel));
  const contrasts = defaultContrasts(design.conditions).map((k) => ({ ...k, result: glmContrast(fit, k.weights, k.name) }));
  ctx.progress(0.85, 'report');
  const rows = glmRows(hb, fit, noiseModel);
  const pairs = hb.channels.map((ch) => hbLabel(ch.label));
  const contrastRows: Cell[][] = contrasts.flatMap((k) => hb.channels.map((_, c) => [k.name, pairs[c].pair, pairs[c].chromophore, k.result.effect[c], k.result.se[c], k.result.t[c], k.result.p[c]]));
  const significant = (k: (typeof contrasts)[number]) => Array.from(k.result.p).filter((v) => v < 0.05).length;
  const probe = hb.probe;
  const tMap = (k: (typeof contrasts)[number], chrom: 'hbo' | 'hbr') => ({
    kind: 'probe' as const,
    id: `t-${k.name}-${chrom}`,
    title: `t for ${k.name} (${chrom === 'hbo' ? 'HbO' : 'HbR'})`,
    sources: probe.sourcePositionsM,
    detectors: probe.detectorPositionsM,
    channels: hb.channels.flatMap((ch, c) => (pairs[c].chromophore === chrom ? [{ source: ch.sourceIndex ?? 0, detector: ch.detectorIndex ?? 0, value: k.result.t[c], label: pairs[c].pair }] : [])),
    valueLabel: 't',
    diverging: true,
  });
  const frames = Math.min(n, 400);
  const step = n / frames;
  const designPreview = new Float64Array(frames * design.columns.length);
  // Each column scaled to its largest magnitude (the drifts are ~0.02, the constant 1).
  const P = design.columns.length;
  const colMax = design.columns.map((_, j) => Math.max(1e-300, ...Array.from({ length: frames }, (_, r) => Math.abs(design.data[j * n + Math.floor(r * step)]))));
  for (let r = 0; r < frames; r++) for (let j = 0; j < P; j++) designPreview[r * P + j] = design.data[j * n + Math.floor(r * step)] / colMax[j];
  const sections: Section[] = [
    preprocessingSection(hb),
    {
      id: 'design',
      title: 'Design matrix',
      status: 'green',
      summary: `${design.conditions.length} condition regressor(s) (SPM HRF, 50× oversampling), ${design.columns.filter((c) => c.startsWith('drift_')).length} cosine drift regressors (cut-off ${highPassHz} Hz) and a constant; ${events.length} events.`,
      metrics: design.conditions.map((c) => ({ label: `events of ${c}`, value: events.filter((e) => e.condition === c).length })),
      figures: [
        { kind: 'heatmap', id: 'design', title: 'Design matrix (frames down, regressors across; each column scaled to its largest value)', rowLabel: 'time (s)', rows: Array.from({ length: frames }, (_, r) => (Math.floor(r * step) / hb.sampleRateHz).toFixed(0)), columns: design.columns, values: designPreview, diverging: true },
        { kind: 'line', id: 'regressors', title: 'Condition regressors', xLabel: 'time (s)', yLabel: 'a.u.', series: design.conditions.map((c, j) => ({ name: c, x: frameTimes(n, hb.sampleRateHz), y: design.data.subarray(j * n, (j + 1) * n) })) },
      ],
    },
    {
      id: 'contrasts',
      title: 'Contrasts',
      status: channelsLight(contrasts.map((k) => (significant(k) ? 'green' : 'orange'))),
      summary: `t contrasts, ${noiseModel === 'ar1' ? 'AR(1) prewhitened (two-step Prais–Winsten)' : 'ordinary least squares'}, ${fit.dof} degrees of freedom; uncorrected two-sided p.`,
      metrics: contrasts.map((k) => ({ label: `${k.name}: channels with p < 0.05`, value: `${significant(k)} of ${C}` })),
      figures: contrasts.flatMap((k) => [tMap(k, 'hbo'), tMap(k, 'hbr')]),
      tables: [{ id: 'contrasts', title: 'Contrast statistics per channel', columns: ['contrast', 'channel', 'chromophore', 'effect_um', 'se_um', 't', 'p'], rows: contrastRows }],
    },
    {
      id: 'channels',
      title: 'Channel-wise statistics',
      status: 'green',
      summary: 'Every regressor of every channel and chromophore (betas in µM).',
      tables: [{ id: 'glm', title: 'GLM results', columns: GLM_COLUMNS, rows, file: 'glm_results.tsv', htmlRows: 60 }],
    },
  ];
  const report: Report = {
    pipeline: 'analysis_nirs_glm',
    label: 'NIRS: General Linear Model',
    dataset: { id: hex(input), name: input.dataset.name },
    createdAtMs: ctx.nowMs,
    notes: [CW_NOTE],
    summary: [
      { label: 'pairs', value: C / 2 },
      { label: 'conditions', value: design.conditions.join(', ') },
      { label: 'noise model', value: noiseModel },
      { label: 'dof', value: fit.dof },
    ],
    sections,
    data: {
      units: { beta: 'uM', se: 'uM' },
      sample_rate_hz: hb.sampleRateHz,
      noise_model: noiseModel,
      dof: fit.dof,
      preprocessing: hb.steps,
      events: events.map((e) => ({ condition: e.condition, onset_s: e.onsetSeconds, duration_s: e.durationSeconds })),
      design_matrix: { columns: design.columns, conditions: design.conditions, hrf: 'spm', oversampling: 50, drift_model: 'cosine', high_pass_hz: highPassHz },
      channels: hb.channels.map((c) => c.label),
      rho: fit.rho,
      contrasts: contrasts.map((k) => ({ name: k.name, vector: k.result.vector, effect: k.result.effect, se: k.result.se, t: k.result.t, p: k.result.p, log10_p: k.result.log10p })),
    },
  };
  return renderReport(report, 'analysis_nirs_glm');
}

export async function analysisNirsEpoched(input: DatasetInput, ctx: PipelineContext): Promise<PipelineOutput[]> {
  const p = ctx.params;
  const tmin = params.num(p, 'tmin_s', -5, [-120, 0]);
  const tmax = params.num(p, 'tmax_s', 25, [0, 600]);
  ctx.progress(0.1, 'Hb-moments preprocessing');
  const { recording } = await nirsRecording(input);
  const hb = cwHaemoglobin(recording, hbOptions(p), 'analysis_nirs_epoched');
  const events = taskEvents(recording, hb, p, 'analysis_nirs_epoched');
  const C = hb.channels.length;
  ctx.progress(0.6, 'epochs');
  const avg = asFailure('block average', () => blockAverage(hb.data, C, hb.sampleCount, hb.sampleRateHz, events, { tminSeconds: tmin, tmaxSeconds: tmax, baseline: [null, 0] }));
  if (!avg.eventSamples.length) throw new PipelineFailure(`analysis_nirs_epoched: every epoch (${tmin}…${tmax} s) leaves the recording: ${avg.skipped.map((s) => s.reason).join('; ')}`);
  const L = avg.timesSeconds.length;
  const pairs = hb.channels.map((ch) => hbLabel(ch.label));
  // The region average: mean over channels of each chromophore (SEM over events of that mean).
  const figures = avg.conditions.map((cond, k) => ({
    kind: 'line' as const,
    id: `roi-${cond}`,
    title: `Condition ${cond}: mean over channels (n = ${avg.counts[k]} events, ± SEM band per channel mean)`,
    xLabel: 'time from onset (s)',
    yLabel: 'µM',
    marks: [{ x: 0, label: 'onset' }],
    series: (['hbo', 'hbr'] as const).map((chrom) => {
      const cs = pairs.flatMap((q, c) => (q.chromophore === chrom ? [c] : []));
      const y = new Float64Array(L);
      const s = new Float64Array(L);
      for (const c of cs)
        for (let j = 0; j < L; j++) {
          y[j] += avg.mean[(k * C + c) * L + j] / cs.length;
          s[j] += avg.sem[(k * C + c) * L + j] / cs.length;
        }
      return { name: chrom === 'hbo' ? 'HbO' : 'HbR', x: avg.timesSeconds, y, lo: y.map((v, j) => v - s[j]), hi: y.map((v, j) => v + s[j]) };
    }),
  }));
  const peakRows: Cell[][] = avg.conditions.flatMap((cond, k) =>
    hb.channels.map((_, c) => {
      let best = 0;
      for (let j = 0; j < L; j++) if (avg.timesSeconds[j] >= 0 && Math.abs(avg.mean[(k * C + c) * L + j]) > Math.abs(avg.mean[(k * C + c) * L + best])) best = j;
      return [cond, pairs[c].pair, pairs[c].chromophore, avg.counts[k], avg.mean[(k * C + c) * L + best], avg.timesSeconds[best]];
    }),
  );
  const report: Report = {
    pipeline: 'analysis_nirs_epoched',
    label: 'NIRS: Epoched',
    dataset: { id: hex(input), name: input.dataset.name },
    createdAtMs: ctx.nowMs,
    notes: [CW_NOTE],
    summary: [
      { label: 'conditions', value: avg.conditions.join(', ') },
      { label: 'epochs', value: avg.eventSamples.length },
      { label: 'skipped epochs', value: avg.skipped.length },
    ],
    sections: [
      preprocessingSection(hb),
      {
        id: 'epochs',
        title: 'Event-locked averages',
        status: avg.skipped.length ? 'orange' : 'green',
        summary: `Epochs ${tmin}…${tmax} s around each onset, baseline ${tmin}…0 s subtracted, mean ± SEM (ddof 1) per condition.`,
        notes: avg.skipped.map((s) => `event ${s.event + 1} (${s.condition}) skipped: ${s.reason}`),
        figures,
        tables: [{ id: 'peaks', title: 'Largest response after onset per channel', columns: ['condition', 'channel', 'chromophore', 'events', 'peak_um', 'peak_time_s'], rows: peakRows }],
      },
    ],
    data: {
      units: 'uM',
      channels: hb.channels.map((c) => c.label),
      conditions: avg.conditions,
      counts: avg.counts,
      times_s: avg.timesSeconds,
      event_samples: avg.eventSamples,
      event_conditions: avg.eventConditions,
      skipped: avg.skipped,
      mean_layout: '[condition, channel, time]',
      mean: avg.mean,
      sem: avg.sem,
    },
  };
  return renderReport(report, 'analysis_nirs_epoched');
}
