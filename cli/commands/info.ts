// `neurotab info <file> [--json]`: a header summary of a recording file (format, start, duration,
// streams with rates and frame counts, channels with units, markers) and, for fNIRS intensities,
// channel quality (SCI, PSP, CV, which channels would be pruned and why; fnirs/report.ts). Node only;
// reads the file with the same readers the app uses (src/lib/formats). Prints; never writes.
import { readFile, stat } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError, errorMessage } from '../../src/lib/core/errors';
import { readMarkersCsv } from '../../src/lib/formats/csv';
import { readRecording, type RecordingData } from '../../src/lib/formats/index';
import { channelData, durationSeconds, type RecordingStream } from '../../src/lib/formats/recording';
import { channelQualityReport, type ChannelQualityReport } from '../../src/lib/fnirs/report';
import { sourceDetectorDistances } from '../../src/lib/fnirs/channels';

export const summary = 'summarise a recording file (EDF/BDF/XDF/SNIRF/EEGLAB/CSV): streams, channels, rates, duration, markers, fNIRS channel quality [--json]';

const USAGE = 'usage: npm run neurotab -- info <file> [--json] [--board cyton|ganglion|synthetic|cyton-daisy]';

/** The other files of a dataset from the folder of `path` (an EEGLAB set's .fdt); undefined when absent. */
export const siblingFiles =
  (path: string) =>
  (name: string): Uint8Array | undefined => {
    const p = join(dirname(path), basename(name));
    return existsSync(p) ? new Uint8Array(readFileSync(p)) : undefined;
  };

/** Read a recording from disk, attaching `<stem>.markers.csv` to a Neurotab CSV when present. */
export async function loadRecordingFile(path: string, board?: string): Promise<RecordingData> {
  if (!existsSync(path)) throw new InputError('file not found', path);
  const buf = await readFile(path);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const rec = await readRecording(bytes, path, { companion: siblingFiles(path), ...(board ? { csv: { brainflowBoard: board as never } } : {}) });
  if (rec.meta.sourceFormat === 'csv' && /\.csv$/i.test(path)) {
    const markersPath = path.replace(/\.csv$/i, '.markers.csv');
    if (markersPath !== path && existsSync(markersPath)) {
      const m = await readFile(markersPath);
      rec.markers = readMarkersCsv(new Uint8Array(m.buffer, m.byteOffset, m.byteLength), markersPath);
    }
  }
  return rec;
}

/** Channel quality of every fNIRS stream with raw intensities (stream id → report). */
export function fnirsQuality(rec: RecordingData): Map<string, ChannelQualityReport> {
  const out = new Map<string, ChannelQualityReport>();
  for (const s of rec.streams) {
    if (s.descriptor.kind !== 'fnirs' || !s.descriptor.channels.some((c) => c.type === 'NIRS_CW_AMPLITUDE')) continue;
    out.set(s.descriptor.id, channelQualityReport(channelMajor(s), s.descriptor.channels, s.timestampsMs.length, s.descriptor.sampleRateHz));
  }
  return out;
}

/** Whether the probe places every fNIRS channel's source away from its detector. */
function hasDistances(rec: RecordingData): boolean {
  const p = rec.probe;
  const nirs = rec.streams.filter((s) => s.descriptor.kind === 'fnirs').flatMap((s) => s.descriptor.channels.filter((c) => c.sourceIndex && c.detectorIndex));
  if (!p || nirs.length === 0) return false;
  try {
    return sourceDetectorDistances(nirs, p.sourcePositionsM, p.detectorPositionsM).every((d) => d > 0);
  } catch {
    return false;
  }
}

function channelMajor(s: RecordingStream): Float64Array {
  const n = s.timestampsMs.length;
  const x = new Float64Array(s.descriptor.channels.length * n);
  s.descriptor.channels.forEach((_, c) => x.set(channelData(s, c), c * n));
  return x;
}

function qualityLines(id: string, q: ChannelQualityReport): string[] {
  const t = q.thresholds;
  const limits = [t.sciMin !== undefined && `SCI ≥ ${t.sciMin}`, t.pspMin !== undefined && `PSP (median of 10 s windows) ≥ ${t.pspMin}`, t.cvMaxPercent !== undefined && `CV ≤ ${t.cvMaxPercent} %`].filter(Boolean).join(', ');
  const lines = [`fNIRS quality (${id}): ${limits}; ${q.dropped.length} of ${q.rows.length} channels would be pruned`];
  const num = (v: number | null, d: number) => (v === null ? '—' : Number.isFinite(v) ? v.toFixed(d) : String(v)).padStart(7);
  lines.push(`  ${'channel'.padEnd(14)}${'SCI'.padStart(7)}${'PSP'.padStart(7)}${'CV %'.padStart(7)}`);
  for (const r of q.rows) lines.push(`  ${r.label.padEnd(14)}${num(r.sci, 3)}${num(r.pspMedian, 3)}${num(r.cvPercent, 2)}${r.reasons.length ? `   pruned: ${r.reasons.join('; ')}` : ''}`);
  for (const n of q.notes) lines.push(`  note: ${n}`);
  return lines;
}

export function summarise(rec: RecordingData, fileName: string, fileBytes?: number): string {
  const lines: string[] = [];
  lines.push(`file:      ${fileName}${fileBytes !== undefined ? ` (${fileBytes.toLocaleString('en-US')} bytes)` : ''}`);
  lines.push(`format:    ${rec.meta.sourceFormat}${rec.meta.extra?.variant ? ` (${rec.meta.extra.variant})` : ''}${rec.meta.extra?.formatVersion ? ` ${rec.meta.extra.formatVersion}` : ''}`);
  lines.push(`start:     ${rec.meta.startTimeMs !== undefined ? new Date(rec.meta.startTimeMs).toISOString() : 'unknown (timestamps on the file\'s own clock)'}`);
  lines.push(`duration:  ${durationSeconds(rec).toFixed(3)} s`);
  for (const k of ['subject', 'session', 'task', 'device', 'notes'] as const) if (rec.meta[k]) lines.push(`${(k + ':').padEnd(10)} ${rec.meta[k]}`);
  lines.push(`streams:   ${rec.streams.length}`);
  for (const s of rec.streams) {
    const d = s.descriptor;
    const n = s.timestampsMs.length;
    const span = n > 1 ? (s.timestampsMs[n - 1] - s.timestampsMs[0]) / 1000 : 0;
    lines.push(`  ${d.id}  kind=${d.kind}  rate=${d.sampleRateHz > 0 ? `${+d.sampleRateHz.toFixed(6)} Hz` : 'irregular'}  channels=${d.channels.length}  frames=${n}  span=${span.toFixed(3)} s`);
    const byUnit = d.channels.map((c) => `${c.label}${c.unit ? ` [${c.unit}]` : ''}${c.type && c.type !== 'EEG' ? ` ${c.type}` : ''}`);
    for (let i = 0; i < byUnit.length; i += 8) lines.push(`    ${byUnit.slice(i, i + 8).join(', ')}`);
  }
  const counts = new Map<string, number>();
  for (const m of rec.markers) counts.set(m.value, (counts.get(m.value) ?? 0) + 1);
  lines.push(`markers:   ${rec.markers.length}${counts.size ? ` (${counts.size} distinct)` : ''}`);
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
  for (const [v, c] of top) lines.push(`  ${JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v)} × ${c}`);
  if (counts.size > top.length) lines.push(`  … ${counts.size - top.length} more values`);
  if (rec.probe) lines.push(`probe:     ${rec.probe.sourcePositionsM.length} sources, ${rec.probe.detectorPositionsM.length} detectors, wavelengths ${rec.probe.wavelengthsNm.join('/')} nm, ${rec.probe.positions3d ? '3D' : '2D'} positions`);
  const quality = fnirsQuality(rec);
  if (quality.size && !hasDistances(rec)) lines.push('probe:     no source–detector distances (positions missing or all at 0), so haemoglobin (Beer–Lambert) cannot be computed from this file');
  for (const [id, q] of quality) lines.push(...qualityLines(id, q));
  return lines.join('\n');
}

function jsonSummary(rec: RecordingData, fileName: string): unknown {
  return {
    file: fileName,
    meta: rec.meta,
    durationSeconds: durationSeconds(rec),
    streams: rec.streams.map((s) => ({ ...s.descriptor, frames: s.timestampsMs.length, firstTimestampMs: s.timestampsMs[0] ?? null })),
    markerCount: rec.markers.length,
    markerValues: Object.fromEntries(rec.markers.reduce((m, e) => m.set(e.value, (m.get(e.value) ?? 0) + 1), new Map<string, number>())),
    probe: rec.probe ?? null,
    fnirsQuality: Object.fromEntries(fnirsQuality(rec)),
  };
}

export async function run(argv: string[]): Promise<number> {
  const files: string[] = [];
  let json = false;
  let board: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--board') board = argv[++i];
    else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      return 0;
    } else if (a.startsWith('-')) {
      console.error(`neurotab info: unknown option "${a}"\n${USAGE}`);
      return 2;
    } else files.push(a);
  }
  if (files.length === 0) {
    console.error(`neurotab info: which file?\n${USAGE}`);
    return 2;
  }
  let status = 0;
  for (const f of files) {
    try {
      const rec = await loadRecordingFile(f, board);
      const size = (await stat(f)).size;
      console.log(json ? JSON.stringify(jsonSummary(rec, f), null, 2) : summarise(rec, f, size));
    } catch (e) {
      console.error(`neurotab info: ${errorMessage(e)}`);
      status = 1;
    }
  }
  return status;
}
