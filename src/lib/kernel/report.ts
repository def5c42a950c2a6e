// The one report renderer every pipeline uses (API.md §8.5): a Report (summary, traffic-light
// sections with metrics, tables and figures, plus machine-readable data) becomes a self-contained
// HTML page (inline SVG, inline CSS, no script, a CSP that forbids loading anything), a JSON document
// and one TSV per table that names a file. Pure; any thread. Text from recordings is escaped.
import { esc, fmt, LIGHT_COLOURS, renderFigure, type Figure, type Light } from './svg';

export type { Figure, Light };
export type Cell = string | number | boolean | null;

export interface Metric {
  label: string;
  value: number | string | boolean | null;
  unit?: string;
}

export interface Table {
  id: string;
  title: string;
  columns: string[];
  rows: Cell[][];
  /** Also written as this TSV file (full precision numbers, "n/a" for missing). */
  file?: string;
  /** Shown in the HTML page at most this many rows (the TSV and JSON keep all); default 200. */
  htmlRows?: number;
}

export interface Section {
  id: string;
  title: string;
  status: Light;
  /** One or two sentences: what was checked and what was found. */
  summary: string;
  notes?: string[];
  metrics?: Metric[];
  tables?: Table[];
  figures?: Figure[];
}

export interface Report {
  pipeline: string;
  label: string;
  dataset: { id: string; name: string };
  createdAtMs: number;
  summary: Metric[];
  sections: Section[];
  /** Machine-readable results, merged into the JSON document. */
  data?: Record<string, unknown>;
  /** Caveats printed under the title (e.g. "continuous-wave equivalent of Kernel's …"). */
  notes?: string[];
}

export interface RenderedFile {
  filename: string;
  bytes: Uint8Array;
}

const RANK: Record<Light, number> = { grey: 0, green: 1, orange: 2, red: 3 };

/** The worst light of a list (grey when empty or all grey). */
export function worst(lights: Light[]): Light {
  return lights.reduce<Light>((a, b) => (RANK[b] > RANK[a] ? b : a), 'grey');
}

/** A check over many channels: red when a quarter or more are red, orange when any is orange or red, else green (grey when all are). */
export function channelsLight(lights: Light[]): Light {
  const red = lights.filter((l) => l === 'red').length;
  if (red && red * 4 >= lights.length) return 'red';
  if (lights.some((l) => l === 'red' || l === 'orange')) return 'orange';
  return lights.every((l) => l === 'grey') ? 'grey' : 'green';
}

/** The overall status of a report: its worst section. */
export function reportStatus(r: Report): Light {
  return worst(r.sections.map((s) => s.status));
}

/** JSON with typed arrays as lists and non-finite numbers as null (API.md §1.5: strict JSON). */
export function strictJson(value: unknown, indent = 1): string {
  return JSON.stringify(
    value,
    (_k, v) => {
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>, (x) => (Number.isFinite(x) ? x : null));
      if (typeof v === 'number' && !Number.isFinite(v)) return null;
      return v;
    },
    indent,
  );
}

function tsvCell(c: Cell): string {
  if (c === null || (typeof c === 'number' && !Number.isFinite(c))) return 'n/a';
  if (typeof c === 'number') return String(c);
  return String(c).replace(/[\t\r\n]+/g, ' ');
}

/** A table as TSV: a header row, then one line per row; numbers in full (round-trip) precision. */
export function renderTsv(t: Table): string {
  return [t.columns.map(tsvCell), ...t.rows.map((r) => r.map(tsvCell))].map((r) => r.join('\t')).join('\n') + '\n';
}

const lightDot = (l: Light) => `<span class="dot" style="background:${LIGHT_COLOURS[l]}" title="${l}"></span>`;

function metricValue(m: Metric): string {
  const v = typeof m.value === 'number' ? fmt(m.value) : m.value === null ? '—' : typeof m.value === 'boolean' ? (m.value ? 'yes' : 'no') : m.value;
  return esc(String(v)) + (m.unit ? ` <span class="unit">${esc(m.unit)}</span>` : '');
}

function metricsHtml(ms: Metric[]): string {
  return `<dl class="metrics">${ms.map((m) => `<div><dt>${esc(m.label)}</dt><dd>${metricValue(m)}</dd></div>`).join('')}</dl>`;
}

function cellHtml(c: Cell): string {
  if (typeof c === 'number') return `<td class="num">${esc(fmt(c))}</td>`;
  if (c === 'green' || c === 'orange' || c === 'red' || c === 'grey') return `<td>${lightDot(c)}${c}</td>`;
  return `<td>${c === null ? '—' : esc(typeof c === 'boolean' ? (c ? 'yes' : 'no') : c)}</td>`;
}

function tableHtml(t: Table): string {
  const max = t.htmlRows ?? 200;
  const rows = t.rows.slice(0, max);
  const more = t.rows.length > max ? `<p class="muted">${t.rows.length - max} more rows in ${esc(t.file ?? 'the JSON document')}.</p>` : '';
  return `<h4>${esc(t.title)}${t.file ? ` <span class="muted">(${esc(t.file)})</span>` : ''}</h4><div class="scroll"><table><thead><tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map(cellHtml).join('')}</tr>`).join('')}</tbody></table></div>${more}`;
}

const CSS = `body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#111827;background:#f3f4f6;margin:0}
main{max-width:1000px;margin:0 auto;padding:24px}header{background:#fff;border-radius:10px;padding:18px 22px;margin-bottom:16px;box-shadow:0 1px 2px #0001}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 6px;display:flex;align-items:center;gap:8px}h4{margin:14px 0 6px;font-size:13px}
.muted{color:#6b7280}.dot{display:inline-block;width:12px;height:12px;border-radius:50%;margin-right:6px;vertical-align:-1px}
section{background:#fff;border-radius:10px;padding:16px 22px;margin-bottom:14px;box-shadow:0 1px 2px #0001;border-left:6px solid var(--l)}
.metrics{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:8px 16px;margin:10px 0}.metrics div{background:#f9fafb;border-radius:6px;padding:6px 10px}
dt{font-size:11px;color:#6b7280}dd{margin:0;font-weight:600}.unit{font-weight:400;color:#6b7280}
table{border-collapse:collapse;font-size:12px;width:100%}th,td{border-bottom:1px solid #e5e7eb;padding:3px 8px;text-align:left;white-space:nowrap}td.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto;max-height:460px;overflow-y:auto}figure{margin:10px 0}svg{max-width:100%;height:auto;border:1px solid #e5e7eb;border-radius:6px}
.notes li{color:#92400e}ul.sum{display:flex;flex-wrap:wrap;gap:6px 18px;padding:0;list-style:none;margin:8px 0 0}`;

/** The report as one self-contained HTML page. */
export function renderHtml(r: Report): string {
  const status = reportStatus(r);
  const when = new Date(r.createdAtMs).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  const sections = r.sections
    .map(
      (s) =>
        `<section id="${esc(s.id)}" style="--l:${LIGHT_COLOURS[s.status]}"><h2>${lightDot(s.status)}${esc(s.title)}</h2><p>${esc(s.summary)}</p>` +
        (s.notes?.length ? `<ul class="notes">${s.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '') +
        (s.metrics?.length ? metricsHtml(s.metrics) : '') +
        (s.figures ?? []).map((f) => `<figure>${renderFigure(f)}</figure>`).join('') +
        (s.tables ?? []).map(tableHtml).join('') +
        '</section>',
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(r.label)} · ${esc(r.dataset.name)}</title><style>${CSS}</style></head>
<body><main><header><h1>${lightDot(status)}${esc(r.label)}</h1>
<div class="muted">Dataset ${esc(r.dataset.name)} (${esc(r.dataset.id)}) · pipeline ${esc(r.pipeline)} · ${esc(when)} · Neurotab</div>
${r.notes?.length ? `<ul class="notes">${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
<ul class="sum">${r.sections.map((s) => `<li>${lightDot(s.status)}<a href="#${esc(s.id)}">${esc(s.title)}</a></li>`).join('')}</ul>
${r.summary.length ? metricsHtml(r.summary) : ''}</header>
${sections}
</main></body></html>
`;
}

/** The report as the JSON document (sections without figures; tables with all rows; `data` merged in). */
export function reportJson(r: Report): Record<string, unknown> {
  return {
    pipeline: r.pipeline,
    label: r.label,
    dataset_id: r.dataset.id,
    dataset_name: r.dataset.name,
    created_at: r.createdAtMs / 1000,
    status: reportStatus(r),
    notes: r.notes ?? [],
    summary: Object.fromEntries(r.summary.map((m) => [m.label, m.value])),
    sections: r.sections.map((s) => ({
      id: s.id,
      title: s.title,
      status: s.status,
      summary: s.summary,
      notes: s.notes ?? [],
      metrics: Object.fromEntries((s.metrics ?? []).map((m) => [m.label, m.value])),
      tables: (s.tables ?? []).map((t) => ({ id: t.id, title: t.title, columns: t.columns, rows: t.rows })),
    })),
    ...(r.data ?? {}),
  };
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** Every file of a report: `<stem>.html`, `<stem>.json` and each table's TSV. */
export function renderReport(r: Report, stem: string): RenderedFile[] {
  const out: RenderedFile[] = [
    { filename: `${stem}.html`, bytes: utf8(renderHtml(r)) },
    { filename: `${stem}.json`, bytes: utf8(strictJson(reportJson(r))) },
  ];
  for (const s of r.sections) for (const t of s.tables ?? []) if (t.file) out.push({ filename: t.file, bytes: utf8(renderTsv(t)) });
  return out;
}
