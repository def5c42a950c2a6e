// The pipelines page's state: examples and library, the pipeline on view (with live parameter
// edits), the run on the live stream (reports, outputs, log), sharing and shared-link review.
// Main thread only; module-level singleton so a run survives page navigation.
import {
  adaptForLive,
  liveRefusal,
  appendLogs,
  deletePipeline,
  examplePipelines,
  importPipelineText,
  libraryPath,
  listLibrary,
  PipelineSession,
  problemOf,
  registry,
  savePipeline,
  type ExampleEntry,
  type LibraryEntry,
  type PipelineOutput,
  type PipelineProblem,
} from '../clients/pipelines';
import { checkParam, findParam, type LogRecord, type PipelineDocument } from '../engine/index';
import { decodeSharedPipeline, sharePayloadOf, shareUrl, validatePipeline } from '../engine/share';
import { errorMessage } from '../core/errors';
import type { PipelineReport } from '../../../workers/protocol';
import { liveStream } from './live.svelte';
import { app } from './app.svelte';

export type Selection = { kind: 'example'; id: string } | { kind: 'library'; path: string } | { kind: 'import'; fileName: string } | { kind: 'shared' };

export interface RunView {
  /** Name of the pipeline running. */
  name: string;
  /** Which selection it was started from (id or path). */
  key: string;
  status: 'starting' | 'running' | 'stopped' | 'failed';
  framesIn: number;
  notes: string[];
}

class PipelinesState {
  readonly examples: ExampleEntry[] = examplePipelines();
  library = $state.raw<LibraryEntry[]>([]);
  selection = $state<Selection | null>(null);
  /** The pipeline on view (a working copy: parameter edits apply here). */
  doc = $state<PipelineDocument | null>(null);
  /** Why the working copy does not validate (null = valid). */
  problem = $state<PipelineProblem | null>(null);
  warnings = $state<string[]>([]);
  /** Parameter edits refused, by "nodeId.param". */
  paramErrors = $state<Record<string, string>>({});
  dirty = $state(false);
  /** A pipeline opened from a share link (`payload`, the fragment's p=), awaiting review, or the link's refusal. */
  shared = $state<{ payload: string; doc: PipelineDocument | null; problem: PipelineProblem | null } | null>(null);
  shareLink = $state<string | null>(null);
  run = $state<RunView | null>(null);
  report = $state.raw<PipelineReport | null>(null);
  logs = $state.raw<LogRecord[]>([]);
  outputs = $state.raw<PipelineOutput[]>([]);
  runProblem = $state<PipelineProblem | null>(null);
  private session: PipelineSession | null = null;

  selectionKey(s: Selection | null = this.selection): string {
    if (!s) return '';
    return s.kind === 'example' ? s.id : s.kind === 'library' ? `lib:${s.path}` : s.kind === 'import' ? `import:${s.fileName}` : 'shared';
  }

  get running(): boolean {
    return this.run !== null && (this.run.status === 'starting' || this.run.status === 'running');
  }

  /** True when the run on the live stream is the pipeline on view. */
  get runningThis(): boolean {
    return this.running && this.run?.key === this.selectionKey();
  }

  async loadLibrary(): Promise<void> {
    try {
      this.library = await listLibrary();
    } catch (e) {
      app.notify('error', `Could not read the pipeline library: ${errorMessage(e)}`);
    }
  }

  private view(sel: Selection, doc: PipelineDocument, warnings: string[] = []): void {
    this.selection = sel;
    this.doc = $state.snapshot(doc) as PipelineDocument;
    this.problem = null;
    this.warnings = warnings;
    this.paramErrors = {};
    this.dirty = false;
    this.shareLink = null;
  }

  selectExample(id: string): void {
    const e = this.examples.find((x) => x.id === id);
    if (e) this.view({ kind: 'example', id }, e.doc);
  }

  selectLibrary(path: string): void {
    const e = this.library.find((x) => x.path === path);
    if (!e) return;
    if (e.doc) this.view({ kind: 'library', path }, e.doc);
    else {
      this.selection = { kind: 'library', path };
      this.doc = null;
      this.problem = { message: e.problem ?? 'this file no longer loads', issues: [] };
    }
  }

  /** Imports a file: our JSON or a NeuroPype .pyp. Invalid files show their problems and are not kept. */
  async importFile(file: File): Promise<void> {
    let text: string;
    try {
      text = await file.text();
    } catch (e) {
      this.problem = { message: `${file.name}: could not be read (${errorMessage(e)})`, issues: [] };
      return;
    }
    this.selection = { kind: 'import', fileName: file.name };
    this.shareLink = null;
    try {
      const r = importPipelineText(text, file.name);
      this.view({ kind: 'import', fileName: file.name }, r.doc, r.warnings);
      this.dirty = true;
    } catch (e) {
      this.doc = null;
      this.problem = problemOf(e);
    }
  }

  /** Saves the pipeline on view into the library (a new file unless it came from there). */
  async save(): Promise<void> {
    const doc = this.doc;
    if (!doc) return;
    const sel = this.selection;
    const path = sel?.kind === 'library' ? sel.path : libraryPath(doc.meta.name, this.library.map((l) => l.path));
    try {
      await savePipeline(path, $state.snapshot(doc) as PipelineDocument);
      await this.loadLibrary();
      const wasRunning = this.runningThis;
      this.selection = { kind: 'library', path };
      if (wasRunning && this.run) this.run.key = this.selectionKey();
      this.dirty = false;
      app.notify('info', `Saved “${doc.meta.name}” to your pipelines.`);
    } catch (e) {
      this.problem = problemOf(e);
    }
  }

  async remove(path: string): Promise<void> {
    await deletePipeline(path);
    if (this.selection?.kind === 'library' && this.selection.path === path) {
      this.selection = null;
      this.doc = null;
    }
    await this.loadLibrary();
  }

  // ------------------------------------------------------------------ parameters

  /**
   * Sets one parameter: checked against the class's domain, then against the whole pipeline; while
   * the pipeline runs, applied live in the worker (refused changes leave the run untouched).
   */
  async setParam(nodeId: string, name: string, value: unknown): Promise<void> {
    const doc = this.doc;
    if (!doc) return;
    const key = `${nodeId}.${name}`;
    const node = doc.nodes.find((n) => n.id === nodeId);
    const cls = node && registry.find(node.type);
    const spec = cls && findParam(cls, name);
    if (!node || !spec) return;
    const errors = { ...this.paramErrors };
    delete errors[key];
    let v: unknown;
    try {
      v = checkParam(spec, value, '');
      const draft = $state.snapshot(doc) as PipelineDocument;
      draft.nodes.find((n) => n.id === nodeId)!.params[spec.name] = v;
      validatePipeline(draft, registry);
    } catch (e) {
      this.paramErrors = { ...errors, [key]: errorMessage(e) };
      return;
    }
    if (this.runningThis && this.session) {
      const r = await this.session.setParams(nodeId, { [spec.name]: v });
      if (!r.ok) {
        this.paramErrors = { ...errors, [key]: r.problem.message };
        return;
      }
    }
    node.params[spec.name] = v;
    this.paramErrors = errors;
    this.dirty = true;
    this.problem = null;
  }

  // ------------------------------------------------------------------ running

  /** Runs the pipeline on view on the live stream (replacing any other run). */
  start(): void {
    const doc = this.doc;
    const source = liveStream();
    if (!doc || !source) return;
    this.stop();
    this.runProblem = null;
    const refusal = liveRefusal($state.snapshot(doc) as PipelineDocument, source.descriptor);
    if (refusal) {
      this.runProblem = { message: refusal, issues: [] };
      return;
    }
    const { doc: live, notes } = adaptForLive($state.snapshot(doc) as PipelineDocument);
    this.report = null;
    this.logs = [];
    this.outputs = [];
    try {
      const session = new PipelineSession(source.client, live, {
        onStarted: () => {
          if (this.session === session && this.run) this.run.status = 'running';
        },
        onReport: (r) => {
          if (this.session !== session) return;
          this.report = r;
          if (r.logs.length) this.logs = appendLogs(this.logs, r.logs);
          if (this.run) {
            this.run.framesIn = r.framesIn;
            if (r.state.status === 'failed') this.run.status = 'failed';
          }
        },
        onOutput: (o) => {
          if (this.session !== session) return;
          this.outputs = [...this.outputs.filter((x) => x.nodeId !== o.nodeId), o];
        },
        onError: (p) => {
          if (this.session !== session) return;
          this.runProblem = p;
          if (this.run) this.run.status = 'failed';
        },
        onStopped: () => {
          if (this.session !== session) return;
          this.session = null;
          if (this.run && this.run.status !== 'failed') this.run.status = 'stopped';
        },
      });
      this.session = session;
      this.run = { name: doc.meta.name, key: this.selectionKey(), status: 'starting', framesIn: 0, notes };
    } catch (e) {
      this.runProblem = problemOf(e);
    }
  }

  stop(): void {
    this.session?.stop();
  }

  /** Ends calibration of the running pipeline now. */
  fit(): void {
    this.session?.fit();
  }

  // ------------------------------------------------------------------ sharing

  /** A link carrying the pipeline on view (also copied to the clipboard when allowed). */
  async share(): Promise<void> {
    const doc = this.doc;
    if (!doc) return;
    try {
      this.shareLink = shareUrl($state.snapshot(doc) as PipelineDocument, location.origin);
    } catch (e) {
      this.problem = problemOf(e);
      return;
    }
    try {
      await navigator.clipboard.writeText(this.shareLink);
      app.notify('info', 'Share link copied to the clipboard.');
    } catch {
      // No clipboard permission: the link is shown for copying by hand.
    }
  }

  /**
   * Follows the address's fragment: a share link's is decoded, size-limited and validated, never run;
   * what an earlier fragment opened (or why it was refused) goes when the fragment changes or goes.
   */
  openSharedFromHash(hash: string): void {
    const payload = sharePayloadOf(hash);
    if (payload === (this.shared?.payload ?? null)) return;
    if (payload === null) {
      this.shared = null;
      return;
    }
    try {
      this.shared = { payload, doc: decodeSharedPipeline(payload, registry), problem: null };
    } catch (e) {
      this.shared = { payload, doc: null, problem: problemOf(e) };
    }
  }

  dismissShared(): void {
    this.shared = null;
    if (location.hash) history.replaceState(history.state, '', location.pathname + location.search);
  }

  /** "Add to my pipelines": stores the reviewed shared pipeline and shows it. */
  async addShared(): Promise<void> {
    const doc = this.shared?.doc;
    const payload = this.shared?.payload;
    if (!doc || payload === undefined) return;
    const path = libraryPath(doc.meta.name, this.library.map((l) => l.path));
    try {
      await savePipeline(path, $state.snapshot(doc) as PipelineDocument);
    } catch (e) {
      this.shared = { payload, doc: null, problem: problemOf(e) };
      return;
    }
    await this.loadLibrary();
    this.dismissShared();
    this.selectLibrary(path);
    app.notify('info', `Added “${doc.meta.name}” to your pipelines.`);
  }
}

export const pipelines = new PipelinesState();
