// Runs the editor's drawn pipeline on a recording from the library, offline, the way `neurotab run`
// runs one on files: live inputs become recording replays, then Execution.runOffline, with a tap on
// every edge. Returns a report in the execution channel's shape (per-node metrics, last log line,
// errors; per-edge items and the last preview), so the canvas shows what ran, and the files its
// writers (ExportCSV …) wrote, in memory, for the editor to offer as downloads. Framework-free; any
// thread (the editor calls it on the main thread: it blocks while the recording runs).
import { Execution, type NodeRegistry, type PipelineDocument } from '../../engine/index';
import { PortSummary, TICK_WINDOW_MS, type EdgePreview, type NodeReport } from '../../api/execution-channel';
import { FILE_OUTPUT_TYPES, type FileOutputs } from '../../engine/nodes/np-file-system';
import type { RecordingData } from '../../formats/recording';
import type { ExecutionReport } from './execution-link';

/**
 * The document made to read a recording: each live stream input replays the recording's first EEG
 * stream (io.recording-input), and what a marker input fed now comes from that replay's markers.
 * Returns the notes to show.
 */
export function adaptForRecording(doc: PipelineDocument, registry: NodeRegistry): { doc: PipelineDocument; notes: string[] } {
  const out = structuredClone(doc);
  const notes: string[] = [];
  const typeOf = (type: string) => registry.find(type)?.type;
  const replays = out.nodes.filter((n) => typeOf(n.type) === 'io.stream-input');
  for (const n of replays) {
    n.type = 'io.recording-input';
    n.params = {};
    notes.push(`"${n.id}" replays the recording's first EEG stream`);
  }
  const markerInputs = new Set(out.nodes.filter((n) => typeOf(n.type) === 'io.marker-input').map((n) => n.id));
  if (markerInputs.size) {
    const from = replays[0];
    if (!from) throw new Error('the pipeline reads markers but no stream: add a stream input to run it on a recording');
    for (const e of out.edges) if (markerInputs.has(e.source)) Object.assign(e, { source: from.id, sourcePort: 'markers' });
    out.nodes = out.nodes.filter((n) => !markerInputs.has(n.id));
    notes.push(`markers come from the recording (through "${from.id}")`);
  }
  if (!replays.length && !out.nodes.some((n) => ['io.recording-input', 'io.import-file', 'io.import-set'].includes(typeOf(n.type) ?? ''))) {
    throw new Error('the pipeline has no input: add a stream input (it replays the recording)');
  }
  return { doc: out, notes };
}

/** A file a writer node wrote during the run: its path ("output_root/filename") and bytes. */
export interface WrittenFile {
  path: string;
  bytes: Uint8Array<ArrayBuffer>;
}

/** File outputs kept in memory, one entry per path (a writer opening its file again truncates it). */
function memoryOutputs(files: Map<string, Uint8Array[]>): FileOutputs {
  return {
    open(outputRoot, filename) {
      const parts: Uint8Array[] = [];
      files.set(outputRoot ? `${outputRoot.replace(/\/+$/, '')}/${filename}` : filename, parts);
      return { write: (bytes) => void parts.push(bytes.slice()), close() {} };
    },
  };
}

/** Runs `doc` on `rec` to its end; every recording/file input gets the recording, every writer a file in memory. */
export function runOnRecording(doc: PipelineDocument, rec: RecordingData, registry: NodeRegistry): { report: ExecutionReport; notes: string[]; seconds: number; files: WrittenFile[] } {
  const adapted = adaptForRecording(doc, registry);
  const ex = new Execution(registry, { info: { errorMode: 'ignore' } });
  ex.load(adapted.doc);
  const written = new Map<string, Uint8Array[]>();
  const outputs = memoryOutputs(written);
  for (const n of adapted.doc.nodes) {
    const type = registry.find(n.type)?.type ?? '';
    if (type === 'io.recording-input' || type === 'io.import-file' || type === 'io.import-set') ex.bind(n.id, rec);
    if (FILE_OUTPUT_TYPES.has(type)) ex.bind(n.id, outputs);
  }
  const summaries = new Map<string, PortSummary>();
  for (const e of adapted.doc.edges) {
    const key = `${e.source}\u0000${e.sourcePort}`;
    if (summaries.has(key)) continue;
    const s = new PortSummary();
    summaries.set(key, s);
    ex.tap(e.source, e.sourcePort, (p) => s.add(p));
  }
  ex.runOffline();
  // Rates are per second of recording, not of the (much shorter) time the run took.
  const seconds = Math.max(...rec.streams.map((s) => (s.timestampsMs.length > 1 ? (s.timestampsMs[s.timestampsMs.length - 1] - s.timestampsMs[0]) / 1000 : 0)), 1e-3);
  const metrics = new Map(ex.metrics().map((m) => [m.nodeId, m]));
  const lastLog = new Map<string, string>();
  for (const r of ex.logs(0, 10_000)) if (r.nodeId) lastLog.set(r.nodeId, r.message);
  const lastError = new Map<string, NodeReport['error']>();
  for (const r of ex.errors()) if (r.nodeId) lastError.set(r.nodeId, { message: r.message, ageMs: 0, fatal: r.fatal });
  const nodes: Record<string, NodeReport> = {};
  // The drawn document's ids: a marker input's report is its replacement's (it carried its markers).
  for (const n of doc.nodes) {
    const id = adapted.doc.nodes.some((x) => x.id === n.id) ? n.id : null;
    nodes[n.id] = { metrics: (id && metrics.get(id)) || null, lastLog: (id && lastLog.get(id)) || null, error: (id && lastError.get(id)) || null };
  }
  const edges: EdgePreview[] = [...summaries].map(([key, s]) => {
    const [source, sourcePort] = key.split('\u0000');
    // The markers of the recording's last TICK_WINDOW_MS, aged from its end.
    const endMs = Math.max(...s.ticks.map((t) => t.atMs));
    const ticks = s.ticks.filter((t) => endMs - t.atMs < TICK_WINDOW_MS).map((t) => ({ ageMs: endMs - t.atMs, label: t.label }));
    return {
      source,
      sourcePort,
      kind: s.kind || 'nothing passed',
      itemsPerSecond: s.items / seconds,
      ...(s.trace.length ? { trace: [...s.trace] } : {}),
      ...(s.bars ? { bars: s.bars } : {}),
      ...(s.kind === 'markers' || ticks.length ? { ticks } : {}),
    };
  });
  const files = [...written].map(([path, parts]) => {
    const bytes = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
    parts.reduce((at, b) => (bytes.set(b, at), at + b.length), 0);
    return { path, bytes };
  });
  return { report: { type: 'report', executionId: -1, state: ex.state(), nodes, edges }, notes: adapted.notes, seconds, files };
}
