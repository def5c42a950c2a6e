// The job function of each Kernel pipeline (catalog.ts names them): what runJob calls. Imports every
// pipeline's code (DSP, fNIRS, SNIRF writer): loaded by job runners only (the tab's API worker, the
// BullMQ worker, the command line), never by the service worker. Pure computation; any thread.
import type { PipelineSpec } from './pipeline';
import { qcEeg } from './pipelines/qc-eeg';
import { analysisNirsEpoched, analysisNirsGlm, snirfHbMoments } from './pipelines/nirs';
import { reconstruction, snirfGated, snirfMoments } from './pipelines/td';
import { analysisEeg, analysisTask, qcNirs, qcNirsBasic, qcSyncbox } from './pipelines/reports';

export const RUNNERS: Readonly<Record<string, PipelineSpec['run']>> = {
  analysis_eeg: analysisEeg,
  analysis_nirs_epoched: analysisNirsEpoched,
  analysis_nirs_glm: analysisNirsGlm,
  analysis_task: analysisTask,
  qc_eeg: qcEeg,
  qc_nirs_basic: qcNirsBasic,
  qc_nirs: qcNirs,
  qc_syncbox: qcSyncbox,
  reconstruction: (input) => reconstruction(input),
  pipeline_snirf_gated: snirfGated,
  snirf_hb_moments: snirfHbMoments,
  snirf_moments: snirfMoments,
};
