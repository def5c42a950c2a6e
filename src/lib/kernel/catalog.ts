// The twelve Kernel pipelines (API.md §8.5) by their API names: label, modality, output names and a
// size estimate for the storage check — what the routes and GET /api/v1/pipelines read. Pure data;
// any thread. Imports no job code (the service worker loads this; the job functions are runners.ts).
import type { PipelineSpec } from './pipeline';

/** A pipeline without its job function. */
export type PipelineInfo = Omit<PipelineSpec, 'run'>;

const report = (stem: string) => () => [`${stem}.html`, `${stem}.json`];
/** A report is small whatever the recording: a few MB at most. */
const REPORT_BYTES = () => 8e6;

export const PIPELINES: readonly PipelineInfo[] = [
  { name: 'analysis_eeg', label: 'Analysis: EEG', modality: 'eeg', description: '1–40 Hz band-limit, ERPs per condition and Welch band powers (theta, alpha, beta) per condition', outputs: report('analysis_eeg'), estimateBytes: REPORT_BYTES, browserSupported: true },
  { name: 'analysis_nirs_epoched', label: 'NIRS: Epoched', modality: 'nirs', description: 'Hb-moments preprocessing, −5…25 s epochs, baseline −5…0 s, mean ± SEM per condition', outputs: report('analysis_nirs_epoched'), estimateBytes: REPORT_BYTES, browserSupported: true },
  { name: 'analysis_nirs_glm', label: 'NIRS: General Linear Model', modality: 'nirs', description: 'Hb-moments preprocessing, SPM-HRF design with cosine drift and constant, AR(1) GLM per channel and chromophore, t contrasts', outputs: () => [...report('analysis_nirs_glm')(), 'glm_results.tsv'], estimateBytes: REPORT_BYTES, browserSupported: true },
  { name: 'analysis_task', label: 'Analysis: Task', modality: 'task', description: 'Per condition: reaction times, accuracy, hit/miss/false-alarm/correct-rejection counts, inter-stimulus intervals', outputs: report('analysis_task'), estimateBytes: REPORT_BYTES, browserSupported: true },
  { name: 'qc_eeg', label: 'EEG QC report', modality: 'eeg', description: 'Per electrode: flat lines, railing, RMS, share within ±100 µV, 50/60 Hz line noise, Welch PSD', outputs: report('qc_eeg'), estimateBytes: REPORT_BYTES, browserSupported: true },
  { name: 'qc_nirs_basic', label: 'NIRS Basic QC report', modality: 'nirs', description: 'Session summary and traffic-light sections: events, intensity, dropped frames, histogram baseline, coverage, saturation, continuity', outputs: report('qc_nirs_basic'), estimateBytes: REPORT_BYTES, browserSupported: true },
  { name: 'qc_nirs', label: 'NIRS QC report', modality: 'nirs', description: 'Per channel: coefficient of variation, scalp-coupling index, peak spectral power, motion rate; probe map', outputs: report('qc_nirs'), estimateBytes: REPORT_BYTES, browserSupported: true },
  { name: 'qc_syncbox', label: 'Sync box QC report', modality: 'syncbox', description: 'Sync pulses on the trigger channel: count, inter-pulse jitter, dropped/extra pulses, lag against the software events', outputs: report('qc_syncbox'), estimateBytes: REPORT_BYTES, browserSupported: true },
  { name: 'reconstruction', label: 'Reconstruction (NIfTI)', modality: 'td-nirs', description: 'Diffuse optical tomography; needs a sensitivity matrix that is not bundled (ends FAILED saying so)', outputs: (id) => [`${id}_hbo.nii.gz`, `${id}_hbr.nii.gz`, `${id}_events.tsv`], estimateBytes: (b) => 2 * b, browserSupported: 'experimental' },
  { name: 'pipeline_snirf_gated', label: 'SNIRF: Gates', modality: 'td-nirs', description: 'Time-domain histograms re-binned into 25 equal-width gates (SNIRF dataType 201)', outputs: (id) => [`${id}_GATES.snirf`], estimateBytes: (b) => 1.2 * b, browserSupported: true },
  { name: 'snirf_hb_moments', label: 'SNIRF: Hb Moments', modality: 'nirs', description: 'CW equivalent: OD → Beer–Lambert → TDDR → spline repair → 100 s detrend → short-channel regression, SNIRF dataType 99999 (HbO/HbR, µM)', outputs: (id) => [`${id}_HB_MOMENTS.snirf`], estimateBytes: (b) => 2 * b, browserSupported: true },
  { name: 'snirf_moments', label: 'SNIRF: Moments', modality: 'td-nirs', description: 'Time-domain histograms → total counts, mean time of flight and its variance (SNIRF dataType 301), trimmed, bad channels removed', outputs: (id) => [`${id}_MOMENTS.snirf`], estimateBytes: (b) => 1.2 * b, browserSupported: true },
];

const BY_NAME = new Map(PIPELINES.map((p) => [p.name, p]));

/** The pipeline of that API name, or undefined. */
export function pipelineNamed(name: string): PipelineInfo | undefined {
  return BY_NAME.get(name);
}
