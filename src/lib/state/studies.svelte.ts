// State of the Studies page (routes/studies): studies, the selected study's participants, datasets,
// unassigned recordings and jobs, read through the app's own API (/bci/v1/studies, /kernel — served
// by the service worker from the engine-host tab), and the Kernel API-key settings in IndexedDB.
// Main thread; runes. Jobs are polled while the page is open.
import { openDb } from '../storage/db';
import { generateKernelKey, kernelKeySettings, revokeKernelKey, setKernelAuth, type StoredApiKey } from '../kernel/settings';

export interface StudyView { id: string; name: string; alias?: string; description?: string; readOnly?: boolean }
export interface ParticipantView { id: string; externalId: string; status: string }
export interface DatasetView { id: string; name: string; participantId: string; kinds: string[]; experiment?: string }
export interface RecordingView { id: string; name: string; kinds: string[]; participant?: string }
export interface JobView { id: string; template: string; datasetId: string; batchId: string; status: string; reason?: string; progress?: { fraction: number; message: string }; outputs: { filename: string; bytes: number }[] }
export interface PipelineView { name: string; label: string; modality: string }

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const r = await fetch(url, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 204) return undefined as T;
  const j = await r.json().catch(() => null);
  if (!r.ok) throw new Error(j?.error?.message ?? j?.detail ?? `${method} ${url}: HTTP ${r.status}`);
  return j as T;
}

const hex = (uid: string) => uid.replace(/-/g, '');

export class StudiesState {
  studies = $state<StudyView[]>([]);
  selected = $state<string | null>(null);
  participants = $state<ParticipantView[]>([]);
  datasets = $state<DatasetView[]>([]);
  unassigned = $state<RecordingView[]>([]);
  jobs = $state<JobView[]>([]);
  pipelines = $state<PipelineView[]>([]);
  /** Signed output URLs of succeeded jobs, by job id. */
  links = $state<Record<string, Record<string, string>>>({});
  keys = $state<{ authEnabled: boolean; keys: StoredApiKey[] }>({ authEnabled: false, keys: [] });
  error = $state<string | null>(null);

  get current(): StudyView | undefined {
    return this.studies.find((s) => s.id === this.selected);
  }

  private async guard(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
      this.error = null;
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  load = () =>
    this.guard(async () => {
      this.studies = (await call<{ studies: StudyView[] }>('GET', '/bci/v1/studies')).studies;
      this.pipelines = await call<PipelineView[]>('GET', '/kernel/api/v1/pipelines');
      this.unassigned = (await call<{ recordings: RecordingView[] }>('GET', '/bci/v1/studies/unassigned')).recordings;
      this.keys = await kernelKeySettings(openDb());
      if (this.selected) await this.loadStudy();
    });

  select = (id: string) => {
    this.selected = id;
    void this.guard(() => this.loadStudy());
  };

  private async loadStudy(): Promise<void> {
    const id = this.selected!;
    this.participants = (await call<{ participants: ParticipantView[] }>('GET', `/bci/v1/studies/${id}/participants`)).participants;
    this.datasets = (await call<{ datasets: DatasetView[] }>('GET', `/bci/v1/studies/${id}/datasets`)).datasets;
    await this.loadJobs();
  }

  /** Jobs of the selected study, and fresh signed links for the batches with succeeded jobs. */
  loadJobs = async () => {
    const id = this.selected;
    if (!id) return;
    const jobs = (await call<{ jobs: JobView[] }>('GET', `/bci/v1/studies/${id}/jobs?limit=200`)).jobs;
    this.jobs = jobs;
    const batches = new Map<string, string>();
    for (const j of jobs) if (j.status === 'succeeded' && !this.links[j.id]) batches.set(j.batchId, j.template);
    for (const [batchId, template] of batches) {
      const b = await call<{ jobs: { job_id: string; signed_urls: { urls: Record<string, string> } | null }[] }>('GET', `/kernel/api/v1/study/${hex(id)}/pipeline/${template}/batch/${hex(batchId)}/status`);
      const next = { ...this.links };
      for (const j of b.jobs) if (j.signed_urls) next[jobs.find((x) => hex(x.id) === j.job_id)?.id ?? j.job_id] = j.signed_urls.urls;
      this.links = next;
    }
  };

  createStudy = (name: string, alias: string) =>
    this.guard(async () => {
      const s = await call<StudyView>('POST', '/bci/v1/studies', { name, ...(alias.trim() ? { alias: alias.trim() } : {}) });
      await this.load();
      this.select(s.id);
    });

  addParticipant = (externalId: string) =>
    this.guard(async () => {
      await call('POST', `/bci/v1/studies/${this.selected}/participants`, { participant_id: externalId });
      await this.loadStudy();
    });

  /** Assigns recordings in one call (all or none); `participant` empty = each recording's own subject label. */
  assign = (recordingIds: string[], participant: string) =>
    this.guard(async () => {
      await call('POST', `/bci/v1/studies/${this.selected}/datasets`, { datasets: recordingIds.map((recording_id) => ({ recording_id, ...(participant.trim() ? { participant: participant.trim() } : {}) })) });
      await this.load();
    });

  unassign = (datasetId: string) =>
    this.guard(async () => {
      await call('DELETE', `/bci/v1/studies/${this.selected}/datasets/${datasetId}`);
      await this.load();
    });

  run = (pipeline: string, datasetIds: string[]) =>
    this.guard(async () => {
      await call('POST', `/kernel/api/v1/study/${hex(this.selected!)}/pipeline/${pipeline}/batch`, { dataset_ids: datasetIds.map(hex) });
      await this.loadJobs();
    });

  newKey = async (label: string): Promise<string | null> => {
    let key: string | null = null;
    await this.guard(async () => {
      key = await generateKernelKey(openDb(), label);
      this.keys = await kernelKeySettings(openDb());
    });
    return key;
  };

  revokeKey = (hash: string) =>
    this.guard(async () => {
      await revokeKernelKey(openDb(), hash);
      this.keys = await kernelKeySettings(openDb());
    });

  setAuth = (on: boolean) =>
    this.guard(async () => {
      await setKernelAuth(openDb(), on);
      this.keys = await kernelKeySettings(openDb());
    });
}
