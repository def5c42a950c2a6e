// The report pipelines of API.md §8.5 not tied to the Hb chain: qc_nirs_basic (Kernel's traffic-light
// session checks), qc_nirs (channel quality: SCI, PSP, CV, motion), qc_syncbox (trigger pulses against
// the software events), analysis_task (behaviour per condition) and analysis_eeg (ERPs and band powers
// per condition). Pure computation; any thread. Every one writes through the one report renderer.
import { butter } from '../../dsp/filter-design';
import { sosfiltfilt } from '../../dsp/iir';
import { welch } from '../../dsp/spectral';
import {
  coefficientOfVariation,
  detectMotionArtifacts,
  fractionOfWindowsAbove,
  intensityChecks,
  opticalDensity,
  peakSpectralPower,
  scalpCouplingIndex,
  type NirsChannel,
} from '../../fnirs/index';
import { gapStarts } from '../../formats/edf';
import type { RecordingStream } from '../../formats/recording';
import { channelsLight, renderReport, type Cell, type Light, type Report, type Section } from '../report';
import { asFailure, channelBlock, conditionEvents, cwBlock, describeStreams, eegBlock, eventsFrom, mean, median, params, PipelineFailure, pow2Below, sd, SESSION_MARKERS, type EventInfo, type PipelineContext } from '../pipeline';
import type { DatasetInput } from '../model';
import { inMicrovolts } from './qc-eeg';
import { nirsRecording, tdDataOf, histogramChecks } from './td';

const hex = (input: DatasetInput) => input.dataset.id.replace(/-/g, '');
const header = (input: DatasetInput, pipeline: string, label: string, createdAtMs: number) => ({ pipeline, label, dataset: { id: hex(input), name: input.dataset.name }, createdAtMs });
const count = (ls: Light[], l: Light) => ls.filter((x) => x === l).length;

// ---------------------------------------------------------------------------------------------
// NIRS quality

interface NirsQc {
  channels: NirsChannel[];
  sci: Float64Array;
  pspGoodFraction: Float64Array;
  cvPercent: Float64Array;
  motionPerMinute: Float64Array;
  lights: Light[];
}

function nirsQuality(input: { recording: DatasetInput['recording'] }, pipeline: string, p: Record<string, unknown>): { block: ReturnType<typeof cwBlock>; qc: NirsQc } {
  const block = cwBlock(input.recording, pipeline);
  const C = block.channels.length;
  const n = block.sampleCount;
  const fs = block.sampleRateHz;
  const checks = intensityChecks(block.data, C, n);
  const usable = checks.every((c) => c.nonPositive === 0 && c.nonFinite === 0 && !c.flat);
  const channels = block.channels as NirsChannel[];
  const cvPercent = coefficientOfVariation(block.data, C, n);
  let sci: Float64Array = new Float64Array(C).fill(NaN);
  let pspGoodFraction: Float64Array = new Float64Array(C).fill(NaN);
  let motionPerMinute: Float64Array = new Float64Array(C).fill(NaN);
  if (usable && fs >= 3.2) {
    const od = asFailure('optical density', () => opticalDensity(block.data, C, n));
    sci = asFailure('scalp coupling index', () => scalpCouplingIndex(od, channels, n, fs));
    const windowS = params.num(p, 'psp_window_s', 10, [2, 600]);
    if (n / fs >= windowS) pspGoodFraction = fractionOfWindowsAbove(asFailure('peak spectral power', () => peakSpectralPower(od, channels, n, fs, windowS)), params.num(p, 'psp_threshold', 0.1, [0, 1]));
    const motion = asFailure('motion detection', () => detectMotionArtifacts(od, channels, n, fs, {}));
    motionPerMinute = Float64Array.from({ length: C }, (_, c) => {
      let segments = 0;
      for (let t = 1; t < n; t++) if (!motion.includedByChannel[c * n + t] && motion.includedByChannel[c * n + t - 1]) segments++;
      return segments / (n / fs / 60);
    });
  }
  const lights = channels.map((_, c): Light => {
    const bad = !(sci[c] >= 0.5) || cvPercent[c] >= 15 || checks[c].nonPositive > 0 || checks[c].flat;
    const meh = !(sci[c] >= 0.8) || cvPercent[c] >= 7.5 || pspGoodFraction[c] < 0.5;
    return bad ? 'red' : meh ? 'orange' : 'green';
  });
  return { block, qc: { channels, sci, pspGoodFraction, cvPercent, motionPerMinute, lights } };
}

function probeFigure(input: { recording: DatasetInput['recording'] }, qc: NirsQc, id: string, title: string, values: Float64Array, valueLabel: string, range: [number, number]) {
  const probe = input.recording.probe;
  if (!probe) return [];
  return [{ kind: 'probe' as const, id, title, sources: probe.sourcePositionsM, detectors: probe.detectorPositionsM, channels: qc.channels.map((ch, c) => ({ source: ch.sourceIndex ?? 0, detector: ch.detectorIndex ?? 0, value: Number.isFinite(values[c]) ? values[c] : null, label: ch.label })), valueLabel, range }];
}

export async function qcNirs(input: DatasetInput, ctx: PipelineContext) {
  const { recording, timeDomain } = await nirsRecording(input);
  ctx.progress(0.2, 'channel quality');
  const { block, qc } = nirsQuality({ recording }, 'qc_nirs', ctx.params);
  const labels = qc.channels.map((c) => c.label);
  const rows: Cell[][] = qc.channels.map((ch, c) => [ch.label, qc.lights[c], qc.sci[c], qc.pspGoodFraction[c], qc.cvPercent[c], qc.motionPerMinute[c]]);
  const bySource = new Map<number, Light[]>();
  qc.channels.forEach((ch, c) => bySource.set(ch.sourceIndex ?? 0, [...(bySource.get(ch.sourceIndex ?? 0) ?? []), qc.lights[c]]));
  const sciLights = Array.from(qc.sci, (v): Light => (!Number.isFinite(v) ? 'grey' : v >= 0.8 ? 'green' : v >= 0.5 ? 'orange' : 'red'));
  const cvLights = Array.from(qc.cvPercent, (v): Light => (v < 7.5 ? 'green' : v < 15 ? 'orange' : 'red'));
  const sections: Section[] = [
    {
      id: 'channels',
      title: 'Channels',
      status: channelsLight(qc.lights),
      summary: `${qc.channels.length} intensity channels at ${+block.sampleRateHz.toFixed(3)} Hz over ${(block.sampleCount / block.sampleRateHz).toFixed(1)} s${timeDomain ? ` (moment 0 of ${timeDomain} time-domain data)` : ''}: ${count(qc.lights, 'green')} green, ${count(qc.lights, 'orange')} orange, ${count(qc.lights, 'red')} red.`,
      tables: [{ id: 'channels', title: 'Per channel', columns: ['channel', 'status', 'sci', 'psp_good_fraction', 'cv_percent', 'motion_per_min'], rows }],
    },
    {
      id: 'sci',
      title: 'Scalp coupling (cardiac band)',
      status: channelsLight(sciLights),
      summary: 'Scalp coupling index (MNE-NIRS): correlation of the two wavelengths of a pair band-passed to 0.7–1.5 Hz; green ≥ 0.8, red < 0.5.',
      metrics: [{ label: 'median SCI', value: median(qc.sci) }],
      figures: [{ kind: 'bar', id: 'sci', title: 'Scalp coupling index', yLabel: 'SCI', categories: labels, groups: [{ name: 'SCI', values: Array.from(qc.sci, (v) => (Number.isFinite(v) ? v : null)) }], levels: [{ y: 0.8, label: '0.8' }, { y: 0.5, label: '0.5' }], lights: sciLights }, ...probeFigure({ recording }, qc, 'sci-map', 'SCI on the probe', qc.sci, 'SCI', [0, 1])],
    },
    {
      id: 'cv',
      title: 'Signal stability',
      status: channelsLight(cvLights),
      summary: 'Coefficient of variation of the raw intensity (green < 7.5 %, red ≥ 15 %), and the share of 10 s windows whose peak spectral power in the cardiac band is at least 0.1 (PSP, Pollonini).',
      metrics: [{ label: 'median CV', value: median(qc.cvPercent), unit: '%' }, { label: 'median PSP good-window share', value: median(qc.pspGoodFraction) }],
      figures: [{ kind: 'bar', id: 'cv', title: 'Coefficient of variation', yLabel: '%', categories: labels, groups: [{ name: 'CV', values: Array.from(qc.cvPercent) }], levels: [{ y: 7.5, label: '7.5 %' }], lights: cvLights }],
    },
    {
      id: 'motion',
      title: 'Motion',
      status: median(qc.motionPerMinute) > 2 ? 'orange' : 'green',
      summary: "Motion segments per minute on optical density (Homer3's hmrR_MotionArtifactByChannel defaults).",
      metrics: [{ label: 'median motion segments / min', value: median(qc.motionPerMinute) }],
    },
    {
      id: 'modules',
      title: 'Coverage per source',
      status: channelsLight([...bySource.values()].map((ls) => (count(ls, 'red') * 2 > ls.length ? 'red' : count(ls, 'green') === ls.length ? 'green' : 'orange'))),
      summary: 'Share of good (green) channels per source (the module of a Flow headset).',
      tables: [{ id: 'sources', title: 'Per source', columns: ['source', 'channels', 'green', 'orange', 'red'], rows: [...bySource.entries()].map(([s, ls]) => [`S${s}`, ls.length, count(ls, 'green'), count(ls, 'orange'), count(ls, 'red')]) }],
    },
  ];
  const report: Report = {
    ...header(input, 'qc_nirs', 'NIRS QC report', ctx.nowMs),
    summary: [{ label: 'channels', value: qc.channels.length }, { label: 'green channels', value: `${count(qc.lights, 'green')} of ${qc.channels.length}` }],
    sections,
    data: { channels: qc.channels.map((ch, c) => ({ label: ch.label, status: qc.lights[c], sci: qc.sci[c], psp_good_fraction: qc.pspGoodFraction[c], cv_percent: qc.cvPercent[c], motion_per_min: qc.motionPerMinute[c] })) },
  };
  return renderReport(report, 'qc_nirs');
}

/** Where samples are missing (formats' gapStarts: a jump that persists, not arrival jitter) and how many frames each gap lost. */
function gaps(s: RecordingStream): { gaps: number; lostFrames: number } {
  const ts = s.timestampsMs;
  const dt = 1000 / s.descriptor.sampleRateHz;
  const starts = gapStarts(ts, s.descriptor.sampleRateHz).slice(1);
  return { gaps: starts.length, lostFrames: starts.reduce((a, i) => a + Math.round((ts[i] - ts[i - 1]) / dt) - 1, 0) };
}

export async function qcNirsBasic(input: DatasetInput, ctx: PipelineContext) {
  const td = await tdDataOf(input);
  const { recording } = await nirsRecording(input);
  const { block, qc } = nirsQuality({ recording }, 'qc_nirs_basic', ctx.params);
  const n = block.sampleCount;
  const C = block.channels.length;
  const events = eventsFrom(recording, block.t0Ms);
  const names = events.map((e) => e.value.toLowerCase());
  const hasStart = names.includes('start_experiment');
  const hasEnd = names.includes('end_experiment');
  const task = events.filter((e) => !SESSION_MARKERS.has(e.value.toLowerCase()));
  const checks = intensityChecks(block.data, C, n);
  const med = Array.from({ length: C }, (_, c) => median(block.data.subarray(c * n, (c + 1) * n)));
  const minIntensity = params.num(ctx.params, 'min_intensity', 0, [0, Infinity]);
  const lowChannels = med.filter((v) => !(v > minIntensity)).length;
  const saturated = checks.filter((c) => c.saturatedFraction >= 0.01).length;
  const { gaps: gapCount, lostFrames } = gaps(block.stream);
  const durationS = n / block.sampleRateHz;
  const hist = td ? histogramChecks(td, { minCounts: 100, maxBaselineRatio: 0.1, saturationCounts: null }) : null;
  const bySource = new Map<number, Light[]>();
  qc.channels.forEach((ch, c) => bySource.set(ch.sourceIndex ?? 0, [...(bySource.get(ch.sourceIndex ?? 0) ?? []), qc.lights[c]]));
  const coverage = [...bySource.values()].map((ls) => count(ls, 'green') / ls.length);
  const sections: Section[] = [
    {
      id: 'events',
      title: 'Event data',
      status: !task.length ? 'red' : hasStart && hasEnd ? 'green' : 'orange',
      summary: `${events.length} events: start_experiment ${hasStart ? 'present' : 'missing'}, end_experiment ${hasEnd ? 'present' : 'missing'}, ${task.length} response/task events.`,
      metrics: [{ label: 'total events', value: events.length }, { label: 'task events', value: task.length }, ...[...new Set(task.map((e) => e.value))].slice(0, 12).map((v) => ({ label: `"${v}"`, value: task.filter((e) => e.value === v).length }))],
    },
    {
      id: 'intensity',
      title: 'Laser intensity',
      status: lowChannels ? (lowChannels * 4 >= C ? 'red' : 'orange') : 'green',
      summary: `Median intensity per channel against the target (params.min_intensity = ${minIntensity}); ${lowChannels} of ${C} below it.`,
      figures: [{ kind: 'bar', id: 'intensity', title: 'Median intensity', yLabel: block.channels[0]?.unit || 'a.u.', categories: block.channels.map((c) => c.label), groups: [{ name: 'median', values: med }] }],
    },
    {
      id: 'dropped',
      title: 'Dropped packets',
      status: lostFrames === 0 ? 'green' : lostFrames / (n + lostFrames) < 0.01 ? 'orange' : 'red',
      summary: `${gapCount} gap(s) in the frame clock, ${lostFrames} frame(s) missing (${((100 * lostFrames) / (n + lostFrames)).toFixed(2)} %).`,
    },
    {
      id: 'histogram-baseline',
      title: 'Histogram baseline',
      status: !hist ? 'grey' : channelsLight(hist.map((h) => (h.reasons.length ? 'red' : 'green'))),
      summary: hist ? `Time-domain histograms: ${hist.filter((h) => h.reasons.length).length} of ${hist.length} channels fail (high baseline, low counts).` : 'Not applicable: continuous-wave data have no photon time-of-flight histograms.',
      tables: hist ? [{ id: 'histograms', title: 'Histogram checks', columns: ['channel', 'median_counts', 'baseline_ratio', 'reasons'], rows: hist.map((h) => [h.channel, h.medianCounts, h.baselineRatio, h.reasons.join('; ') || 'ok']) }] : [],
    },
    {
      id: 'coverage',
      title: 'Module coverage',
      status: coverage.every((f) => f >= 0.75) ? 'green' : coverage.some((f) => f < 0.25) ? 'red' : 'orange',
      summary: `Share of good channels per source: ${[...bySource.keys()].map((s, i) => `S${s} ${(coverage[i] * 100).toFixed(0)} %`).join(', ')}.`,
    },
    {
      id: 'saturation',
      title: 'Signal saturation',
      status: saturated ? 'orange' : 'green',
      summary: `${saturated} channel(s) spend 1 % or more of the time at their maximum (a saturated detector).`,
    },
    {
      id: 'continuity',
      title: 'Duration and continuity',
      status: durationS >= 60 && gapCount === 0 ? 'green' : durationS >= 10 ? 'orange' : 'red',
      summary: `${durationS.toFixed(1)} s at ${+block.sampleRateHz.toFixed(3)} Hz${gapCount ? `, interrupted ${gapCount} time(s)` : ', without interruption'}.`,
    },
  ];
  const report: Report = {
    ...header(input, 'qc_nirs_basic', 'NIRS Basic QC report', ctx.nowMs),
    summary: [{ label: 'duration', value: durationS, unit: 's' }, { label: 'channels', value: C }, { label: 'events', value: events.length }],
    sections,
    notes: ["Kernel documents four of its seven sections (event data, laser intensity, dropped packets, histogram baseline); the other three here are inferred (coverage, saturation, continuity)."],
  };
  return renderReport(report, 'qc_nirs_basic');
}

// ---------------------------------------------------------------------------------------------
// Sync box

const TRIGGER_LABEL = /status|trig|sync|ttl|stim|digital/i;

export async function qcSyncbox(input: DatasetInput, ctx: PipelineContext) {
  const rec = input.recording;
  let found: { stream: RecordingStream; index: number } | null = null;
  for (const s of rec.streams) {
    const i = s.descriptor.channels.findIndex((c) => c.type === 'STIM' || TRIGGER_LABEL.test(c.label));
    if (i >= 0 && s.timestampsMs.length > 1) {
      found = { stream: s, index: i };
      break;
    }
  }
  if (!found) throw new PipelineFailure(`qc_syncbox needs the sync box's trigger channel (a STIM channel, or one labelled Status/Trigger/Sync/TTL); this dataset has ${describeStreams(rec)}`);
  const b = channelBlock(found.stream, [found.index]);
  const fs = b.sampleRateHz;
  const x = b.data;
  // Baseline: the most common value; a pulse starts where the value leaves it.
  const counts = new Map<number, number>();
  for (const v of x) counts.set(v, (counts.get(v) ?? 0) + 1);
  const baseline = [...counts.entries()].reduce((a, e) => (e[1] > a[1] ? e : a))[0];
  // Pulses leave the baseline briefly; a channel that holds other levels a fifth of the time or more
  // codes events as level changes (BioSemi Status toggling), so every change is an event there.
  const edges = params.str(ctx.params, 'edges', 'auto', ['auto', 'rising', 'any'] as const);
  const levelCoded = edges === 'any' || (edges === 'auto' && 1 - (counts.get(baseline) ?? 0) / x.length >= 0.2);
  const onsets: number[] = [];
  for (let t = 1; t < x.length; t++) if (x[t] !== x[t - 1] && (levelCoded || x[t] !== baseline)) onsets.push(t / fs);
  if (onsets.length < 2) throw new PipelineFailure(`qc_syncbox: the trigger channel ${b.channels[0].label} holds ${onsets.length} pulse(s); at least 2 are needed to time them`);
  const ipi = onsets.slice(1).map((t, i) => t - onsets[i]);
  const expected = params.num(ctx.params, 'expected_interval_s', median(ipi), [1e-3, 3600]);
  const dropped = ipi.reduce((a, d) => a + (d > 1.5 * expected ? Math.round(d / expected) - 1 : 0), 0);
  const extra = ipi.filter((d) => d < 0.5 * expected).length;
  const jitterMs = sd(ipi) * 1000;
  const software = eventsFrom(rec, b.t0Ms).filter((e) => !SESSION_MARKERS.has(e.value.toLowerCase()));
  const windowS = params.num(ctx.params, 'match_window_s', 0.5, [1e-3, 60]);
  const lags: number[] = [];
  for (const e of software) {
    let best = Infinity;
    for (const o of onsets) if (Math.abs(e.onsetSeconds - o) < Math.abs(best)) best = e.onsetSeconds - o;
    if (Math.abs(best) <= windowS) lags.push(best * 1000);
  }
  const unmatched = software.length - lags.length;
  const sections: Section[] = [
    {
      id: 'pulses',
      title: 'Sync pulses',
      status: dropped || extra ? (dropped + extra > 0.05 * onsets.length ? 'red' : 'orange') : 'green',
      summary: `${onsets.length} ${levelCoded ? 'level changes' : 'pulses'} on ${b.channels[0].label} (baseline value ${baseline}); expected interval ${(expected * 1000).toFixed(1)} ms${ctx.params.expected_interval_s === undefined ? ' (the median)' : ''}: ${dropped} dropped, ${extra} extra.`,
      metrics: [{ label: 'pulses', value: onsets.length }, { label: 'dropped', value: dropped }, { label: 'extra', value: extra }, { label: 'interval jitter (SD)', value: jitterMs, unit: 'ms' }],
      figures: [{ kind: 'histogram', id: 'ipi', title: 'Inter-pulse intervals', xLabel: 'interval (s)', groups: [{ name: 'intervals', values: ipi }] }],
    },
    {
      id: 'lag',
      title: 'Lag against the software events',
      status: !software.length ? 'grey' : unmatched > 0.05 * software.length || Math.abs(median(lags)) > 20 ? 'orange' : 'green',
      summary: software.length ? `${software.length} software events; ${lags.length} within ±${windowS * 1000} ms of a pulse (median lag ${median(lags).toFixed(2)} ms, SD ${sd(lags).toFixed(2)} ms), ${unmatched} unmatched.` : 'The recording has no software events to compare the pulses with.',
      metrics: software.length ? [{ label: 'median lag', value: median(lags), unit: 'ms' }, { label: 'lag SD', value: sd(lags), unit: 'ms' }, { label: 'unmatched events', value: unmatched }] : [],
      figures: lags.length ? [{ kind: 'histogram', id: 'lags', title: 'Event − pulse lag', xLabel: 'lag (ms)', groups: [{ name: 'lag', values: lags }] }] : [],
    },
  ];
  const report: Report = {
    ...header(input, 'qc_syncbox', 'Sync box QC report', ctx.nowMs),
    summary: [{ label: 'pulses', value: onsets.length }, { label: 'software events', value: software.length }],
    sections,
    data: { trigger_channel: b.channels[0].label, baseline_value: baseline, level_coded: levelCoded, pulse_onsets_s: onsets, intervals_s: ipi, expected_interval_s: expected, dropped, extra, lags_ms: lags },
  };
  return renderReport(report, 'qc_syncbox');
}

// ---------------------------------------------------------------------------------------------
// Task behaviour

const RESPONSE = /resp|response|key|button|press|click/i;

export async function analysisTask(input: DatasetInput, ctx: PipelineContext) {
  const p = ctx.params;
  const rec = input.recording;
  const t0 = rec.streams[0]?.timestampsMs[0] ?? rec.markers[0]?.timestampMs ?? 0;
  const events = eventsFrom(rec, t0).filter((e) => !SESSION_MARKERS.has(e.value.toLowerCase()));
  if (!events.length) throw new PipelineFailure(`analysis_task needs task events (markers or annotations); this dataset has ${rec.markers.length ? 'only session markers' : 'none'}`);
  const responses = new Set(params.strings(p, 'responses') ?? [...new Set(events.map((e) => e.value))].filter((v) => RESPONSE.test(v)));
  const targets = params.strings(p, 'targets');
  const windowS = params.num(p, 'response_window_s', 1.5, [0.01, 60]);
  const mapping = params.mapping(p, 'conditions');
  const stimuli = events.filter((e) => !responses.has(e.value) && (!mapping || e.value in mapping));
  const resp = events.filter((e) => responses.has(e.value));
  const condOf = (e: EventInfo) => mapping?.[e.value] ?? e.value;
  const conds = [...new Set(stimuli.map(condOf))].sort();
  const rows: Cell[][] = [];
  const perCondition = conds.map((cond) => {
    const st = stimuli.filter((e) => condOf(e) === cond);
    const isTarget = targets ? st.length > 0 && targets.includes(st[0].value) : true;
    const rts: number[] = [];
    for (let i = 0; i < st.length; i++) {
      const next = stimuli.find((e) => e.onsetSeconds > st[i].onsetSeconds)?.onsetSeconds ?? Infinity;
      const r = resp.find((e) => e.onsetSeconds > st[i].onsetSeconds && e.onsetSeconds <= Math.min(st[i].onsetSeconds + windowS, next));
      if (r) rts.push((r.onsetSeconds - st[i].onsetSeconds) * 1000);
    }
    const responded = rts.length;
    const hits = isTarget ? responded : 0;
    const misses = isTarget ? st.length - responded : 0;
    const falseAlarms = isTarget ? 0 : responded;
    const correctRejections = isTarget ? 0 : st.length - responded;
    const accuracy = resp.length ? (hits + correctRejections) / st.length : null;
    const isi = st.slice(1).map((e, i) => e.onsetSeconds - st[i].onsetSeconds);
    rows.push([cond, st.length, isTarget ? 'target' : 'non-target', responded, mean(rts), median(rts), sd(rts), hits, misses, falseAlarms, correctRejections, accuracy, median(isi)]);
    return { condition: cond, count: st.length, target: isTarget, rt_ms: rts, hits, misses, false_alarms: falseAlarms, correct_rejections: correctRejections, accuracy, isi_s: isi };
  });
  const allIsi = stimuli.slice(1).map((e, i) => e.onsetSeconds - stimuli[i].onsetSeconds);
  const sections: Section[] = [
    {
      id: 'timing',
      title: 'Event timing',
      status: allIsi.length && sd(allIsi) / mean(allIsi) > 1 ? 'orange' : 'green',
      summary: `${stimuli.length} stimuli in ${conds.length} condition(s) over ${((stimuli.at(-1)?.onsetSeconds ?? 0) - (stimuli[0]?.onsetSeconds ?? 0)).toFixed(1)} s; inter-stimulus intervals ${median(allIsi).toFixed(3)} s median (SD ${sd(allIsi).toFixed(3)} s).`,
      figures: [{ kind: 'histogram', id: 'isi', title: 'Inter-stimulus intervals per condition', xLabel: 'interval (s)', groups: perCondition.map((c) => ({ name: c.condition, values: c.isi_s })) }],
    },
    {
      id: 'behaviour',
      title: 'Responses',
      status: resp.length ? channelsLight(perCondition.map((c) => (c.accuracy === null ? 'grey' : c.accuracy >= 0.8 ? 'green' : c.accuracy >= 0.5 ? 'orange' : 'red'))) : 'grey',
      summary: resp.length
        ? `${resp.length} responses (${[...responses].join(', ')}); a response counts for the stimulus before it within ${windowS} s.`
        : `No response events (none named like a response; give params.responses). Reaction times and accuracy need them.`,
      tables: [{ id: 'conditions', title: 'Per condition', columns: ['condition', 'stimuli', 'role', 'responded', 'rt_mean_ms', 'rt_median_ms', 'rt_sd_ms', 'hits', 'misses', 'false_alarms', 'correct_rejections', 'accuracy', 'isi_median_s'], rows }],
      figures: resp.length ? [{ kind: 'histogram', id: 'rt', title: 'Reaction times', xLabel: 'ms', groups: perCondition.map((c) => ({ name: c.condition, values: c.rt_ms })) }] : [],
    },
  ];
  const report: Report = {
    ...header(input, 'analysis_task', 'Analysis: Task', ctx.nowMs),
    summary: [{ label: 'stimuli', value: stimuli.length }, { label: 'responses', value: resp.length }, { label: 'conditions', value: conds.join(', ') }],
    sections,
    data: { conditions: perCondition, response_values: [...responses], response_window_s: windowS },
  };
  return renderReport(report, 'analysis_task');
}

// ---------------------------------------------------------------------------------------------
// EEG analysis

const BANDS: [string, number, number][] = [['theta', 4, 8], ['alpha', 8, 13], ['beta', 13, 30]];

export async function analysisEeg(input: DatasetInput, ctx: PipelineContext) {
  const p = ctx.params;
  const block = eegBlock(input.recording, 'analysis_eeg');
  const fs = block.sampleRateHz;
  const n = block.sampleCount;
  const C = block.channels.length;
  const events = conditionEvents(eventsFrom(input.recording, block.t0Ms), params.mapping(p, 'conditions'));
  if (!events.length) throw new PipelineFailure('analysis_eeg needs task events (markers or annotations) to epoch by; this dataset has none. Give params.conditions to map marker values to conditions');
  const tmin = params.num(p, 'tmin_s', -0.2, [-10, 0]);
  const tmax = params.num(p, 'tmax_s', 0.8, [0.05, 30]);
  const hi = Math.min(40, fs / 2 - 1);
  ctx.progress(0.2, `band-pass 1–${hi} Hz`);
  const { data } = inMicrovolts(block);
  const x = sosfiltfilt(butter(4, [1, hi], 'bandpass', fs), data, C, n) as Float64Array;
  const j0 = Math.round(tmin * fs);
  const j1 = Math.round(tmax * fs);
  const L = j1 - j0 + 1;
  const times = Float64Array.from({ length: L }, (_, j) => (j0 + j) / fs);
  const conds = [...new Set(events.map((e) => e.condition))].sort();
  // Up to six channels in the figures: Kernel Flow's when present, else the first.
  const show = Array.from({ length: Math.min(6, C) }, (_, i) => i);
  ctx.progress(0.5, 'epochs and spectra');
  const per = conds.map((cond) => {
    const ev = events.filter((e) => e.condition === cond).map((e) => Math.round(e.onsetSeconds * fs)).filter((s) => s + j0 >= 0 && s + j1 < n);
    const erp = new Float64Array(C * L);
    for (const s of ev)
      for (let c = 0; c < C; c++) {
        let base = 0;
        for (let j = j0; j <= 0; j++) base += x[c * n + s + j] / (1 - j0);
        for (let j = 0; j < L; j++) erp[c * L + j] += (x[c * n + s + j0 + j] - base) / ev.length;
      }
    // Band powers: Welch over each event's span (its duration, else tmax), averaged over events.
    const spanS = Math.max(0.5, median(events.filter((e) => e.condition === cond).map((e) => e.durationSeconds || tmax)));
    const len = Math.min(Math.round(spanS * fs), n);
    const nperseg = Math.min(len, pow2Below(len));
    const power = new Float64Array(C * BANDS.length);
    let used = 0;
    for (const s of ev) {
      if (s + len > n) continue;
      const seg = new Float64Array(C * len);
      for (let c = 0; c < C; c++) seg.set(x.subarray(c * n + s, c * n + s + len), c * len);
      const w = welch(seg, C, len, fs, { window: 'hann', nperseg, noverlap: nperseg >> 1, scaling: 'density' });
      for (let c = 0; c < C; c++)
        BANDS.forEach(([, lo, hiB], k) => {
          let acc = 0;
          let prev = -1;
          for (let i = 0; i < w.binCount; i++) {
            const f = w.freqsHz[i];
            if (f < lo || f > hiB) continue;
            if (prev >= 0) acc += ((f - w.freqsHz[prev]) * (w.psd[c * w.binCount + i] + w.psd[c * w.binCount + prev])) / 2;
            prev = i;
          }
          power[c * BANDS.length + k] += acc;
        });
      used++;
    }
    if (used) for (let i = 0; i < power.length; i++) power[i] /= used;
    return { condition: cond, epochs: ev.length, erp, power, spanS };
  });
  const sections: Section[] = [
    {
      id: 'erp',
      title: 'Event-related potentials',
      status: per.every((c) => c.epochs >= 10) ? 'green' : 'orange',
      summary: `4th-order Butterworth band-pass 1–${hi} Hz (forward–backward), epochs ${tmin}…${tmax} s, baseline ${tmin}…0 s; ${per.map((c) => `${c.condition}: ${c.epochs}`).join(', ')} epochs.`,
      figures: show.map((c) => ({ kind: 'line' as const, id: `erp-${c}`, title: `ERP at ${block.channels[c].label}`, xLabel: 'time (s)', yLabel: 'µV', series: per.map((k) => ({ name: k.condition, x: times, y: k.erp.subarray(c * L, (c + 1) * L) })), marks: [{ x: 0, label: 'onset' }] })),
    },
    {
      id: 'bands',
      title: 'Band power per condition',
      status: 'green',
      summary: `Welch PSD (Hann) over each event's span (median ${per.map((c) => `${c.condition} ${c.spanS.toFixed(2)} s`).join(', ')}), integrated over theta 4–8, alpha 8–13 and beta 13–30 Hz; mean over channels in the figure.`,
      figures: [{ kind: 'bar', id: 'bands', title: 'Mean band power over channels', yLabel: 'µV²', categories: BANDS.map((b) => b[0]), groups: per.map((k) => ({ name: k.condition, values: BANDS.map((_, b) => mean(Float64Array.from({ length: C }, (_, c) => k.power[c * BANDS.length + b]))) })) }],
      tables: [{ id: 'bands', title: 'Band power per channel', columns: ['condition', 'channel', ...BANDS.map((b) => `${b[0]}_uv2`)], rows: per.flatMap((k) => block.channels.map((ch, c) => [k.condition, ch.label, ...BANDS.map((_, b) => k.power[c * BANDS.length + b])])) }],
    },
  ];
  const report: Report = {
    ...header(input, 'analysis_eeg', 'Analysis: EEG', ctx.nowMs),
    summary: [{ label: 'channels', value: C }, { label: 'conditions', value: conds.join(', ') }, { label: 'epochs', value: per.reduce((a, c) => a + c.epochs, 0) }],
    sections,
    data: { times_s: times, channels: block.channels.map((c) => c.label), bands_hz: Object.fromEntries(BANDS.map(([b, lo, h]) => [b, [lo, h]])), conditions: per.map((k) => ({ condition: k.condition, epochs: k.epochs, erp_layout: '[channel, time]', erp_uv: k.erp, band_power_uv2_layout: '[channel, band]', band_power_uv2: k.power })) },
  };
  return renderReport(report, 'analysis_eeg');
}
