// Pipelines on the page: built-in examples, the library in IndexedDB, import of our JSON and
// NeuroPype .pyp files, validation against the engine, and the session that runs one pipeline on
// the live stream through the acquisition's engine worker. Main thread only; no Svelte.
import { InputError, errorMessage } from '../core/errors';
import type { StreamDescriptor } from '../core/stream';
import {
  builtinRegistry,
  PipelineError,
  registryResolver,
  type LogRecord,
  type PipelineDocument,
  type PipelineDocumentInput,
  type PipelineIssue,
} from '../engine/index';
import { validatePipeline } from '../engine/share';
import { WHOLE_RECORDING_TYPES } from '../engine/nodes/fnirs';
import { parseNirsChannel } from '../fnirs/channels';
import { pypToPipeline, readPipelineText, type PypResolver } from '../formats/pyp';
import { openDb } from '../storage/db';
import { IndexedDbPipelineStore } from '../storage/pipeline-store';
import type { RingReader } from '../streams/ring';
import type { Acquisition } from './acquisition';
import type { EngineEvent, PipelineReport } from '../../../workers/protocol';
import { openSource } from '../../../workers/ring-endpoints';

export const registry = builtinRegistry();

/** Largest pipeline file accepted on import (a pipeline is a few kB). */
export const MAX_PIPELINE_FILE_BYTES = 5_000_000;

// ------------------------------------------------------------------------------- examples

const ALPHA_BETA: PipelineDocumentInput = {
  format: 'neurotab.pipeline',
  version: 1,
  meta: {
    name: 'Band power: alpha and beta',
    description: 'Every channel: 2 s windows every 0.25 s, Welch PSD (1 s segments), absolute alpha (8–13 Hz) and beta (13–30 Hz) power. Close the eyes: alpha rises over the back of the head.',
  },
  nodes: [
    { id: 'in', type: 'io.stream-input' },
    { id: 'highpass', type: 'filter.iir', params: { frequencies: [1], mode: 'highpass', order: 2, initial_state: 'step' } },
    { id: 'windows', type: 'time.sliding-window', params: { window_length: 2, step: 0.25 } },
    { id: 'psd', type: 'spectral.welch', params: { segment_samples: 256, scaling: 'density' } },
    { id: 'bands', type: 'spectral.band-power', params: { bands: { alpha: [8, 13], beta: [13, 30] } } },
    { id: 'probe', type: 'io.inspect' },
    { id: 'out', type: 'io.stream-output', params: { stream_name: 'bandpower', stream_type: 'Features' } },
  ],
  edges: [
    { source: 'in', target: 'highpass' },
    { source: 'highpass', target: 'windows' },
    { source: 'windows', target: 'psd' },
    { source: 'psd', target: 'bands' },
    { source: 'bands', target: 'probe' },
    { source: 'bands', target: 'out' },
  ],
};

const RUNNING: PipelineDocumentInput = {
  format: 'neurotab.pipeline',
  version: 1,
  meta: {
    name: 'Running band power (every 50 ms)',
    description:
      'Every channel: 1–40 Hz band-pass, then alpha (8–13 Hz) and beta (13–30 Hz) power of the last second, updated every 50 ms. The band-power node takes the signal itself and updates only the bins it needs at each sample, so the value follows the brain with little delay and little CPU.',
  },
  nodes: [
    { id: 'in', type: 'io.stream-input' },
    { id: 'bandpass', type: 'filter.iir', params: { frequencies: [1, 40], mode: 'bandpass', order: 4, initial_state: 'step' } },
    { id: 'bands', type: 'spectral.band-power', params: { bands: { alpha: [8, 13], beta: [13, 30] }, window_length: 1, step: 0.05 } },
    { id: 'probe', type: 'io.inspect' },
    { id: 'out', type: 'io.stream-output', params: { stream_name: 'bandpower', stream_type: 'Features' } },
  ],
  edges: [
    { source: 'in', target: 'bandpass' },
    { source: 'bandpass', target: 'bands' },
    { source: 'bands', target: 'probe' },
    { source: 'bands', target: 'out' },
  ],
};

const CLEAN: PipelineDocumentInput = {
  format: 'neurotab.pipeline',
  version: 1,
  meta: { name: 'Band-pass, notch, common average', description: '1–40 Hz Butterworth band-pass (order 4), 50 Hz notch with its first harmonic, common average reference.' },
  nodes: [
    { id: 'in', type: 'io.stream-input' },
    { id: 'bandpass', type: 'filter.iir', params: { frequencies: [1, 40], mode: 'bandpass', order: 4, initial_state: 'step' } },
    { id: 'notch', type: 'filter.notch', params: { frequency: 50, quality: 30, harmonics: 2 } },
    { id: 'car', type: 'channels.rereference', params: { mode: 'average' } },
    { id: 'probe', type: 'io.inspect' },
    { id: 'out', type: 'io.stream-output', params: { stream_name: 'eeg-clean', stream_type: 'EEG' } },
  ],
  edges: [
    { source: 'in', target: 'bandpass' },
    { source: 'bandpass', target: 'notch' },
    { source: 'notch', target: 'car' },
    { source: 'car', target: 'probe' },
    { source: 'car', target: 'out' },
  ],
};

const EPOCHS: PipelineDocumentInput = {
  format: 'neurotab.pipeline',
  version: 1,
  meta: { name: 'Epochs around markers', description: 'Cuts −0.2…0.8 s around every marker from the marker bus (Live page, stimulus pages, API), baseline-corrected, and shows the latest epoch.' },
  nodes: [
    { id: 'in', type: 'io.stream-input' },
    { id: 'markers', type: 'io.marker-input' },
    { id: 'bandpass', type: 'filter.iir', params: { frequencies: [1, 30], mode: 'bandpass', order: 4, initial_state: 'step' } },
    { id: 'epochs', type: 'time.segmentation', params: { time_bounds: [-0.2, 0.8], baseline: [-0.2, 0] } },
    { id: 'probe', type: 'io.inspect' },
  ],
  edges: [
    { source: 'in', target: 'bandpass' },
    { source: 'bandpass', target: 'epochs' },
    { source: 'markers', sourcePort: 'markers', target: 'epochs', targetPort: 'markers' },
    { source: 'epochs', target: 'probe' },
  ],
};

/** fNIRS on a recording (a SNIRF file: ImportFile hands over the whole recording with its probe and stim markers). */
const fnirsImport = { id: 'in', type: 'io.import-file', params: { filename: 'recording.snirf' } };

const FNIRS_QUALITY: PipelineDocumentInput = {
  format: 'neurotab.pipeline',
  version: 1,
  meta: {
    name: 'fNIRS quality',
    description:
      "Raw intensity → optical density → scalp coupling index (MNE's, 0.7–1.5 Hz cardiac band) of every channel over 10 s windows; sci.csv holds one row per window, one column per channel (≥ 0.5: good coupling). Live, the optical density takes its baseline from the first 10 s.",
  },
  nodes: [
    fnirsImport,
    { id: 'od', type: 'fnirs.optical-density' },
    { id: 'sci', type: 'fnirs.scalp-coupling-index', params: { window_seconds: 10 } },
    { id: 'probe', type: 'io.inspect' },
    { id: 'csv', type: 'io.export-csv', params: { filename: 'sci.csv' } },
  ],
  edges: [
    { source: 'in', target: 'od' },
    { source: 'od', target: 'sci' },
    { source: 'sci', target: 'probe' },
    { source: 'sci', target: 'csv' },
  ],
};

/** Intensity → OD → HbO/HbR (µM) → TDDR → short-channel regression, shared by the block-average and GLM examples. */
const fnirsPreprocessing = (then: { id: string; type: string; params?: Record<string, unknown> }, file: string): Pick<PipelineDocumentInput, 'nodes' | 'edges'> => ({
  nodes: [
    fnirsImport,
    { id: 'od', type: 'fnirs.optical-density' },
    { id: 'tddr', type: 'fnirs.tddr' },
    { id: 'hb', type: 'fnirs.beer-lambert', params: { ppf: 6, unit: 'uM' } },
    { id: 'short', type: 'fnirs.short-channel-regression', params: { max_short_distance_m: 0.015 } },
    then,
    { id: 'probe', type: 'io.inspect' },
    { id: 'csv', type: 'io.export-csv', params: { filename: file, marker_column: true } },
  ],
  edges: [
    { source: 'in', target: 'od' },
    { source: 'od', target: 'tddr' },
    { source: 'tddr', target: 'hb' },
    { source: 'hb', target: 'short' },
    { source: 'short', target: then.id },
    { source: then.id, target: 'probe' },
    { source: then.id, target: 'csv' },
  ],
});

const FNIRS_BLOCK_AVERAGE: PipelineDocumentInput = {
  format: 'neurotab.pipeline',
  version: 1,
  meta: {
    name: 'fNIRS block average',
    description:
      'Optical density, TDDR motion repair, HbO/HbR (modified Beer–Lambert, ppf 6, µM), short-channel regression where the probe has short channels, then per marker condition the mean and SEM of −5 … 25 s epochs, baseline before onset. block_average.csv: one row per condition and lag (conditions sorted), columns Marker (the condition), "<channel>:mean" and "<channel>:sem", then the lag (s). Offline (a recording).',
  },
  ...fnirsPreprocessing({ id: 'blocks', type: 'fnirs.block-average', params: { tmin_seconds: -5, tmax_seconds: 25 } }, 'block_average.csv'),
};

const FNIRS_GLM: PipelineDocumentInput = {
  format: 'neurotab.pipeline',
  version: 1,
  meta: {
    name: 'fNIRS GLM',
    description:
      'The block-average preprocessing, then a GLM per channel and chromophore: a canonical (SPM) HRF boxcar per marker condition, cosine drift below 0.01 Hz and a constant, AR(1) prewhitening; t contrasts for each condition and each pair. glm.csv: one row per contrast, columns Marker (the contrast, e.g. "1 - 2"), then "<channel>:effect|se|t|p|log10p". Offline (a recording).',
  },
  ...fnirsPreprocessing({ id: 'glm', type: 'fnirs.glm', params: { noise_model: 'ar1', high_pass_hz: 0.01 } }, 'glm.csv'),
};

export interface ExampleEntry {
  id: string;
  doc: PipelineDocument;
}

/** Built-in examples (validated once; a broken example is a bug and throws). */
export function examplePipelines(): ExampleEntry[] {
  return [
    { id: 'example:alpha-beta', doc: validatePipeline(ALPHA_BETA, registry) },
    { id: 'example:running-band-power', doc: validatePipeline(RUNNING, registry) },
    { id: 'example:clean', doc: validatePipeline(CLEAN, registry) },
    { id: 'example:epochs', doc: validatePipeline(EPOCHS, registry) },
    { id: 'example:fnirs-quality', doc: validatePipeline(FNIRS_QUALITY, registry) },
    { id: 'example:fnirs-block-average', doc: validatePipeline(FNIRS_BLOCK_AVERAGE, registry) },
    { id: 'example:fnirs-glm', doc: validatePipeline(FNIRS_GLM, registry) },
  ];
}

// ------------------------------------------------------------------------------- import / validation

/** .pyp class and parameter names through the registry's NeuroPype aliases. */
export const pypResolver: PypResolver = registryResolver(registry);

export interface ImportResult {
  doc: PipelineDocument;
  warnings: string[];
}

/** A failure to import or validate, with per-node issues when the engine found them. */
export interface PipelineProblem {
  message: string;
  issues: PipelineIssue[];
}

export function problemOf(e: unknown): PipelineProblem {
  if (e instanceof PipelineError) return { message: e.message, issues: e.issues.map((i) => ({ ...i })) };
  const issues = (e as { issues?: unknown }).issues;
  return { message: errorMessage(e), issues: Array.isArray(issues) ? (issues as PipelineIssue[]) : [] };
}

/** Reads a pipeline file (our JSON or NeuroPype .pyp) and validates it. Throws InputError/PipelineError. */
export function importPipelineText(text: string, fileName: string): ImportResult {
  if (text.length > MAX_PIPELINE_FILE_BYTES) throw new InputError(`the file is larger than ${MAX_PIPELINE_FILE_BYTES} bytes; not a pipeline`, fileName);
  const parsed = readPipelineText(text, fileName);
  if (parsed.kind === 'pyp') {
    const conv = pypToPipeline(parsed.graph, pypResolver, fileName);
    if (!conv.doc.meta.name || conv.doc.meta.name === '(untitled)') conv.doc.meta.name = fileName.replace(/\.[^.]+$/, '');
    return { doc: validatePipeline(conv.doc, registry), warnings: conv.warnings };
  }
  const doc = validatePipeline(parsed.doc, registry);
  if (doc.meta.name === '(untitled)') doc.meta.name = fileName.replace(/\.[^.]+$/, '');
  return { doc, warnings: [] };
}

/**
 * Makes an offline pipeline runnable on the live stream: recording inputs become stream inputs.
 * A chunked replay's markers (its `markers` port) come from a marker input fed by the marker bus; a
 * NeuroPype importer's markers rode in its data packet, so its stream input takes the bus's markers
 * along (LSLInput's marker_query). Returns the notes to show.
 */
export function adaptForLive(doc: PipelineDocument): { doc: PipelineDocument; notes: string[] } {
  const out = structuredClone(doc);
  const notes: string[] = [];
  for (const n of doc.nodes) {
    const type = registry.find(n.type)?.type;
    const importer = type === 'io.import-file' || type === 'io.import-set';
    if (type !== 'io.recording-input' && !importer) continue;
    const node = out.nodes.find((x) => x.id === n.id)!;
    node.type = 'io.stream-input';
    node.params = importer ? { marker_query: 'markers' } : {};
    notes.push(`"${n.id}" reads a recording; on the live stream it reads the device instead${importer ? ', with the markers of the marker bus' : ''}`);
    const markerEdges = out.edges.filter((e) => e.source === n.id && e.sourcePort === 'markers');
    if (markerEdges.length) {
      let mid = `${n.id}_markers`;
      while (out.nodes.some((x) => x.id === mid)) mid += '_';
      out.nodes.push({ id: mid, type: 'io.marker-input', params: {} });
      for (const e of markerEdges) e.source = mid;
      notes.push(`its markers come from the marker bus (node "${mid}")`);
    }
  }
  return { doc: out, notes };
}

/**
 * Why `doc` cannot run on a live stream whatever the stream (null: it can): it has nodes that need the
 * whole recording (TDDR, block average, GLM …). `then` leads the advice ("Open it in the editor and press").
 */
export function wholeRecordingRefusal(doc: PipelineDocument, then = 'Press'): string | null {
  const cls = (n: { type: string }) => registry.find(n.type);
  const whole = doc.nodes.filter((n) => WHOLE_RECORDING_TYPES.has(cls(n)?.type ?? ''));
  if (!whole.length) return null;
  const named = whole.map((n) => `“${n.id}” (${cls(n)?.title ?? n.type})`).join(', ');
  return `“${doc.meta.name}” runs on a recording, not on a live stream: ${whole.length > 1 ? 'its nodes' : 'its node'} ${named} ${whole.length > 1 ? 'need the whole recording (they work' : 'needs the whole recording (it works'} back from its end). ${then} “Run on recording” with a recording of your library, or run it with neurotab run on a file.`;
}

/**
 * Why `doc` cannot run on the live `stream`, or null: nodes that need the whole recording (fNIRS TDDR,
 * spline, block average, GLM), or fNIRS nodes on a stream without fNIRS channels (they would pass
 * its data on untouched, so the run would show EEG where fNIRS values are expected).
 */
export function liveRefusal(doc: PipelineDocument, stream: StreamDescriptor): string | null {
  const cls = (n: { type: string }) => registry.find(n.type);
  const whole = wholeRecordingRefusal(doc, 'Open it in the editor and press');
  if (whole) return whole;
  const fnirs = doc.nodes.filter((n) => cls(n)?.package === 'fnirs');
  if (fnirs.length && !stream.channels.some((ch) => parseNirsChannel(ch) !== null)) {
    return `“${doc.meta.name}” works on fNIRS channels, and the live stream “${stream.name}” has none (${stream.channels.length} ${stream.kind.toUpperCase()} channels): connect an fNIRS device on the Devices page, or open the pipeline in the editor and run it on an fNIRS recording of your library.`;
  }
  return null;
}

// ------------------------------------------------------------------------------- library

export interface LibraryEntry {
  path: string;
  modifiedMs: number;
  doc: PipelineDocument | null;
  /** Why a stored file no longer loads (e.g. a node type was removed). */
  problem: string | null;
}

let store: IndexedDbPipelineStore | null = null;
const pipelineStore = () => (store ??= new IndexedDbPipelineStore(openDb()));

export async function listLibrary(): Promise<LibraryEntry[]> {
  const files = await pipelineStore().list();
  const out: LibraryEntry[] = [];
  for (const f of files) {
    const text = (await pipelineStore().get(f.path)) ?? '';
    try {
      out.push({ path: f.path, modifiedMs: f.modifiedMs, doc: importPipelineText(text, f.path).doc, problem: null });
    } catch (e) {
      out.push({ path: f.path, modifiedMs: f.modifiedMs, doc: null, problem: errorMessage(e) });
    }
  }
  return out;
}

/** A file name for a document that does not collide with `taken`. */
export function libraryPath(name: string, taken: string[]): string {
  const base = name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'pipeline';
  let path = `${base}.json`;
  for (let i = 2; taken.includes(path); i++) path = `${base}-${i}.json`;
  return path;
}

export async function savePipeline(path: string, doc: PipelineDocument): Promise<void> {
  validatePipeline(doc, registry);
  await pipelineStore().put(path, JSON.stringify(doc, null, 2));
}

export async function deletePipeline(path: string): Promise<void> {
  await pipelineStore().delete(path);
}

// ------------------------------------------------------------------------------- live session

export interface PipelineOutput {
  nodeId: string;
  descriptor: StreamDescriptor;
  reader: RingReader;
}

export interface SessionEvents {
  onStarted?(): void;
  onReport?(r: PipelineReport): void;
  onOutput?(o: PipelineOutput): void;
  onStopped?(): void;
  onError?(p: PipelineProblem): void;
}

export type ParamResult = { ok: true; params: Record<string, unknown> } | { ok: false; problem: PipelineProblem };

/**
 * One pipeline running in the acquisition's engine worker on the live stream. Ends when stopped,
 * when the stream stops, or when another session starts (the worker runs one at a time).
 */
export class PipelineSession {
  private static nextRunId = 1;
  readonly runId = PipelineSession.nextRunId++;
  private unsubscribe: () => void;
  private nextRequestId = 1;
  private readonly pending = new Map<number, (r: ParamResult) => void>();
  private ended = false;

  constructor(
    private readonly acq: Acquisition,
    doc: PipelineDocument,
    private readonly events: SessionEvents,
  ) {
    this.unsubscribe = acq.onEngineEvent((e) => this.onEvent(e));
    if (!acq.sendToEngine({ type: 'run-pipeline', runId: this.runId, doc: structuredClone(doc) })) {
      this.unsubscribe();
      throw new InputError('no stream is running: start the synthetic stream (or a device) first');
    }
  }

  get active(): boolean {
    return !this.ended;
  }

  stop(): void {
    if (this.ended) return;
    this.acq.sendToEngine({ type: 'stop-pipeline', runId: this.runId });
  }

  /** Ends calibration: fits the trainable nodes on what they collected (outcome in the log). */
  fit(): void {
    if (!this.ended) this.acq.sendToEngine({ type: 'fit-pipeline', runId: this.runId });
  }

  /** Changes parameters of one node while running; resolves with the node's parameters or the reason it was refused. */
  setParams(nodeId: string, values: Record<string, unknown>): Promise<ParamResult> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      this.pending.set(requestId, resolve);
      if (!this.acq.sendToEngine({ type: 'set-pipeline-params', runId: this.runId, requestId, nodeId, values })) {
        this.pending.delete(requestId);
        resolve({ ok: false, problem: { message: 'the stream is not running', issues: [] } });
      }
    });
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.unsubscribe();
    for (const r of this.pending.values()) r({ ok: false, problem: { message: 'the pipeline stopped', issues: [] } });
    this.pending.clear();
    this.events.onStopped?.();
  }

  private onEvent(e: EngineEvent): void {
    if (e.type === 'stopped') return this.end();
    if (!('runId' in e) || e.runId !== this.runId) {
      // Another run replaced this one in the worker.
      if (e.type === 'pipeline-started') this.end();
      return;
    }
    switch (e.type) {
      case 'pipeline-started':
        this.events.onStarted?.();
        break;
      case 'pipeline-report':
        this.events.onReport?.(e.report);
        break;
      case 'pipeline-output':
        this.events.onOutput?.({ nodeId: e.nodeId, descriptor: e.descriptor, reader: openSource(e.source) });
        break;
      case 'pipeline-params': {
        const r = this.pending.get(e.requestId);
        this.pending.delete(e.requestId);
        r?.(e.ok ? { ok: true, params: e.params ?? {} } : { ok: false, problem: { message: e.message ?? 'refused', issues: e.issues ?? [] } });
        break;
      }
      case 'pipeline-error':
        this.events.onError?.({ message: e.message, issues: e.issues ?? [] });
        this.end();
        break;
      case 'pipeline-stopped':
        this.end();
        break;
    }
  }
}

/** Keeps the most recent `max` log records. */
export function appendLogs(into: LogRecord[], more: LogRecord[], max = 500): LogRecord[] {
  const all = into.concat(more);
  return all.length > max ? all.slice(all.length - max) : all;
}
