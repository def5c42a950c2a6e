// The report-only pipelines not built yet in this step (API.md §8.5): each ends FAILED saying so.
import type { DatasetInput } from '../model';
import { PipelineFailure, type PipelineContext, type PipelineOutput } from '../pipeline';

const notYet = (name: string) => async (_input: DatasetInput, _ctx: PipelineContext): Promise<PipelineOutput[]> => {
  throw new PipelineFailure(`${name} is not implemented in this build yet`);
};
export const analysisEeg = notYet('analysis_eeg');
export const analysisTask = notYet('analysis_task');
export const qcNirs = notYet('qc_nirs');
export const qcNirsBasic = notYet('qc_nirs_basic');
export const qcSyncbox = notYet('qc_syncbox');
