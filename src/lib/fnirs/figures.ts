// The recordings library's fNIRS figures and tables, from an FnirsAnalysis (recording-analysis.ts):
// channel quality on the probe layout, block averages per condition (HbO red, HbR blue, SEM bands)
// and GLM t values on the probe layout, as standalone SVG documents (the page shows them as images
// and rasterises them for PNG), and BIDS-style TSV tables (n/a for missing values). Every label from
// the file is XML-escaped: a document is data. Pure, any thread.
import { analyseFnirs, type FnirsAnalysis, type FnirsRecording, type ProbeLayout } from './recording-analysis';

/** Everything the recordings page shows and exports for an fNIRS recording (plain data: posted from a worker). */
export interface FnirsFigures {
  /** SVG documents; null where the recording does not allow the figure (the notes say why). */
  svg: { quality: string | null; blockAverage: string | null; glm: string | null };
  /** BIDS-style tables. */
  tsv: { channels: string; blockAverage: string | null; glm: string | null };
  notes: string[];
}

/** Analyses a recording and draws its figures and tables. */
export function fnirsFigures(data: FnirsRecording): FnirsFigures {
  const a = analyseFnirs(data);
  return {
    svg: { quality: qualityFigure(a), blockAverage: blockAverageFigure(a), glm: glmFigure(a) },
    tsv: { channels: channelsTsv(a), blockAverage: blockAverageTsv(a), glm: glmTsv(a) },
    notes: a.notes,
  };
}

const W = 640;
const FONT = 'font-family="ui-sans-serif, system-ui, sans-serif"';
const HBO = '#dc2626';
const HBR = '#2563eb';

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const num = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '0');

function svgDoc(height: number, title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" ${FONT}>\n<title>${escapeXml(title)}</title>\n<rect width="${W}" height="${height}" fill="#ffffff"/>\n${body}</svg>\n`;
}

/** Maps probe metres into a box (y up), keeping the aspect ratio. */
function probeTransform(layout: ProbeLayout, x0: number, y0: number, w: number, h: number): (x: number, y: number) => [number, number] {
  const pts = [...layout.sources, ...layout.detectors];
  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scale = Math.min(w / Math.max(1e-6, maxX - minX), h / Math.max(1e-6, maxY - minY));
  const ox = x0 + (w - (maxX - minX) * scale) / 2;
  const oy = y0 + (h - (maxY - minY) * scale) / 2;
  return (x, y) => [ox + (x - minX) * scale, oy + (maxY - y) * scale];
}

/** Lines per pair (colour and tooltip from `style`), then the optodes on top. */
function probeBody(layout: ProbeLayout, y0: number, h: number, style: (pair: ProbeLayout['pairs'][number]) => { colour: string; tip: string; text?: string }): string {
  const at = probeTransform(layout, 50, y0 + 20, W - 100, h - 40);
  let out = '';
  for (const p of layout.pairs) {
    const s = layout.sources[p.source - 1];
    const d = layout.detectors[p.detector - 1];
    if (!s || !d) continue;
    const [x1, y1] = at(s.x, s.y);
    const [x2, y2] = at(d.x, d.y);
    const st = style(p);
    out += `<line x1="${num(x1)}" y1="${num(y1)}" x2="${num(x2)}" y2="${num(y2)}" stroke="${st.colour}" stroke-width="5" stroke-linecap="round" data-pair="${escapeXml(p.pair)}"><title>${escapeXml(st.tip)}</title></line>\n`;
    if (st.text) out += `<text x="${num((x1 + x2) / 2)}" y="${num((y1 + y2) / 2 - 6)}" font-size="10" text-anchor="middle" fill="#111827">${escapeXml(st.text)}</text>\n`;
  }
  const optode = (o: { label: string; x: number; y: number }, fill: string) => {
    const [x, y] = at(o.x, o.y);
    return `<circle cx="${num(x)}" cy="${num(y)}" r="9" fill="${fill}" stroke="#ffffff" stroke-width="1.5"/><text x="${num(x)}" y="${num(y + 3.5)}" font-size="9" text-anchor="middle" fill="#ffffff">${escapeXml(o.label)}</text>\n`;
  };
  for (const s of layout.sources) out += optode(s, '#b91c1c');
  for (const d of layout.detectors) out += optode(d, '#1d4ed8');
  return out;
}

/** Channel quality on the probe: a line per pair, green when both wavelengths are kept, red when pruned. */
export function qualityFigure(a: FnirsAnalysis): string | null {
  if (!a.layout) return null;
  const bad = new Map(a.quality.dropped.map((d) => [d.channel, d]));
  const rowOf = new Map(a.quality.rows.map((r, k) => [k, r]));
  const h = 360;
  const body = probeBody(a.layout, 30, h - 60, (p) => {
    const rows = p.channels.map((k) => rowOf.get(k)!);
    const dropped = rows.filter((r) => bad.has(r.channel));
    const sci = rows[0]?.sci;
    const tip = `${p.pair}: ${sci !== null && sci !== undefined ? `SCI ${sci.toFixed(2)}, ` : ''}${dropped.length ? `pruned — ${dropped.flatMap((r) => r.reasons).join('; ')}` : 'kept'}`;
    return { colour: dropped.length ? '#ef4444' : '#16a34a', tip, text: sci !== null && sci !== undefined ? sci.toFixed(2) : undefined };
  });
  const legend = `<text x="16" y="22" font-size="14" fill="#111827">Channel quality (SCI ≥ ${a.quality.thresholds.sciMin ?? '—'}, PSP ≥ ${a.quality.thresholds.pspMin ?? '—'}, CV ≤ ${a.quality.thresholds.cvMaxPercent ?? '—'} %): ${a.quality.rows.length - a.quality.dropped.length} of ${a.quality.rows.length} channels kept</text>
<line x1="16" y1="${h - 18}" x2="40" y2="${h - 18}" stroke="#16a34a" stroke-width="5"/><text x="46" y="${h - 14}" font-size="11">kept</text>
<line x1="90" y1="${h - 18}" x2="114" y2="${h - 18}" stroke="#ef4444" stroke-width="5"/><text x="120" y="${h - 14}" font-size="11">pruned (hover: why)</text>
<circle cx="250" cy="${h - 18}" r="6" fill="#b91c1c"/><text x="260" y="${h - 14}" font-size="11">source</text>
<circle cx="320" cy="${h - 18}" r="6" fill="#1d4ed8"/><text x="330" y="${h - 14}" font-size="11">detector</text>\n`;
  return svgDoc(h, 'fNIRS channel quality', legend + body);
}

/** Per condition: across events, mean ± SEM of the channel-average HbO and HbR (kept channels; µM). */
export interface GrandAverage {
  condition: string;
  events: number;
  timesSeconds: Float64Array;
  hbo: { mean: Float64Array; sem: Float64Array };
  hbr: { mean: Float64Array; sem: Float64Array };
}

export function grandAverages(a: FnirsAnalysis): GrandAverage[] {
  const b = a.blocks;
  if (!b) return [];
  const C = a.hbLabels.length;
  const L = b.timesSeconds.length;
  const dropped = new Set(a.quality.dropped.map((d) => a.quality.rows.findIndex((r) => r.channel === d.channel)));
  const pick = (kind: string) => {
    const all = a.hbLabels.map((l, k) => ({ l, k })).filter(({ l }) => l.endsWith(kind));
    const kept = all.filter(({ k }) => !dropped.has(k));
    return (kept.length ? kept : all).map(({ k }) => k);
  };
  const hboCh = pick('hbo');
  const hbrCh = pick('hbr');
  return b.conditions.map((condition) => {
    const evs = b.eventConditions.map((c, e) => ({ c, e })).filter(({ c }) => c === condition).map(({ e }) => e);
    const stat = (chs: number[]) => {
      const per = evs.map((e) => {
        const curve = new Float64Array(L);
        for (const c of chs) for (let j = 0; j < L; j++) curve[j] += (b.epochs[(e * C + c) * L + j] * 1e6) / chs.length;
        return curve;
      });
      const mean = new Float64Array(L);
      const sem = new Float64Array(L);
      for (let j = 0; j < L; j++) {
        let m = 0;
        for (const p of per) m += p[j] / per.length;
        let v = 0;
        for (const p of per) v += (p[j] - m) ** 2;
        mean[j] = m;
        sem[j] = per.length > 1 ? Math.sqrt(v / (per.length - 1)) / Math.sqrt(per.length) : 0;
      }
      return { mean, sem };
    };
    return { condition, events: evs.length, timesSeconds: b.timesSeconds, hbo: stat(hboCh), hbr: stat(hbrCh) };
  });
}

/** Block averages: one panel per condition, HbO red and HbR blue with their SEM bands. */
export function blockAverageFigure(a: FnirsAnalysis): string | null {
  const g = grandAverages(a);
  if (g.length === 0) return null;
  const panelH = 200;
  const h = 30 + g.length * (panelH + 20);
  let body = `<text x="16" y="22" font-size="14" fill="#111827">Block averages (channel mean of kept channels; mean ± SEM over events)</text>\n`;
  g.forEach((c, i) => {
    const top = 40 + i * (panelH + 20);
    const [x0, x1] = [60, W - 20];
    const [y0, y1] = [top + 20, top + panelH - 24];
    const t = c.timesSeconds;
    let lo = 0;
    let hi = 0;
    for (const s of [c.hbo, c.hbr]) for (let j = 0; j < t.length; j++) {
      lo = Math.min(lo, s.mean[j] - s.sem[j]);
      hi = Math.max(hi, s.mean[j] + s.sem[j]);
    }
    if (hi - lo < 1e-9) hi = lo + 1;
    const X = (s: number) => x0 + ((s - t[0]) / (t[t.length - 1] - t[0])) * (x1 - x0);
    const Y = (v: number) => y1 - ((v - lo) / (hi - lo)) * (y1 - y0);
    const path = (v: Float64Array) => Array.from(v, (y, j) => `${j ? 'L' : 'M'}${num(X(t[j]))},${num(Y(y))}`).join('');
    const band = (m: Float64Array, s: Float64Array) => `${Array.from(m, (y, j) => `${j ? 'L' : 'M'}${num(X(t[j]))},${num(Y(y + s[j]))}`).join('')}${Array.from(m, (y, j) => j).reverse().map((j) => `L${num(X(t[j]))},${num(Y(m[j] - s[j]))}`).join('')}Z`;
    body += `<text x="${x0}" y="${top + 12}" font-size="12" fill="#111827">${escapeXml(c.condition)} (${c.events} event${c.events === 1 ? '' : 's'})</text>\n`;
    body += `<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" fill="none" stroke="#d1d5db"/>\n`;
    body += `<line x1="${num(X(0))}" y1="${y0}" x2="${num(X(0))}" y2="${y1}" stroke="#9ca3af" stroke-dasharray="3,3"/><line x1="${x0}" y1="${num(Y(0))}" x2="${x1}" y2="${num(Y(0))}" stroke="#9ca3af"/>\n`;
    body += `<path d="${band(c.hbo.mean, c.hbo.sem)}" fill="${HBO}" fill-opacity="0.18" stroke="none"/><path d="${path(c.hbo.mean)}" fill="none" stroke="${HBO}" stroke-width="2" data-chroma="hbo"/>\n`;
    body += `<path d="${band(c.hbr.mean, c.hbr.sem)}" fill="${HBR}" fill-opacity="0.18" stroke="none"/><path d="${path(c.hbr.mean)}" fill="none" stroke="${HBR}" stroke-width="2" data-chroma="hbr"/>\n`;
    body += `<text x="${x0 - 6}" y="${num(y0 + 4)}" font-size="10" text-anchor="end">${num(hi, 2)}</text><text x="${x0 - 6}" y="${num(y1)}" font-size="10" text-anchor="end">${num(lo, 2)}</text><text x="14" y="${num((y0 + y1) / 2)}" font-size="10">µM</text>\n`;
    for (const s of [t[0], 0, 5, 10, 15, t[t.length - 1]]) body += `<text x="${num(X(s))}" y="${y1 + 14}" font-size="10" text-anchor="middle">${num(s, 0)}</text>`;
    body += `<text x="${x1}" y="${y1 + 14}" font-size="10" text-anchor="end" dy="10">s</text>\n`;
    body += `<line x1="${x1 - 120}" y1="${top + 8}" x2="${x1 - 100}" y2="${top + 8}" stroke="${HBO}" stroke-width="2"/><text x="${x1 - 95}" y="${top + 12}" font-size="11">HbO</text><line x1="${x1 - 60}" y1="${top + 8}" x2="${x1 - 40}" y2="${top + 8}" stroke="${HBR}" stroke-width="2"/><text x="${x1 - 35}" y="${top + 12}" font-size="11">HbR</text>\n`;
  });
  return svgDoc(h, 'fNIRS block averages', body);
}

/** Diverging colour for t: blue (negative) — white — red (positive), saturating at ±tMax. */
function tColour(t: number, tMax: number): string {
  const u = Math.max(-1, Math.min(1, t / tMax));
  const mix = (a: number, b: number) => Math.round(a + (b - a) * Math.abs(u));
  const [r, g, b] = u >= 0 ? [mix(240, 220), mix(240, 38), mix(240, 38)] : [mix(240, 37), mix(240, 99), mix(240, 235)];
  return `rgb(${r},${g},${b})`;
}

/** GLM: per condition the HbO t of its regressor on the probe layout (value at each pair's midpoint). */
export function glmFigure(a: FnirsAnalysis): string | null {
  if (!a.layout || a.glm.length === 0) return null;
  const panelH = 300;
  const h = 30 + a.glm.length * panelH;
  const hboOf = new Map<string, number>();
  a.hbLabels.forEach((l, k) => {
    if (l.endsWith(' hbo')) hboOf.set(l.slice(0, -4), k);
  });
  let tMax = 3;
  for (const g of a.glm) for (const k of hboOf.values()) if (Number.isFinite(g.contrast.t[k])) tMax = Math.max(tMax, Math.abs(g.contrast.t[k]));
  let body = `<text x="16" y="22" font-size="14" fill="#111827">GLM: HbO t per channel (AR(1), SPM HRF, cosine drift; colour ±${num(tMax, 1)})</text>\n`;
  a.glm.forEach((g, i) => {
    const top = 30 + i * panelH;
    body += `<text x="16" y="${top + 22}" font-size="12" fill="#111827">${escapeXml(g.condition)}</text>\n`;
    body += probeBody(a.layout!, top + 10, panelH - 20, (p) => {
      const k = hboOf.get(p.pair);
      const t = k === undefined ? NaN : g.contrast.t[k];
      return { colour: Number.isFinite(t) ? tColour(t, tMax) : '#d1d5db', tip: `${p.pair} HbO: t = ${num(t, 2)}, p = ${k === undefined ? 'n/a' : g.contrast.p[k].toExponential(2)}`, text: Number.isFinite(t) ? num(t, 1) : undefined };
    });
  });
  return svgDoc(h, 'fNIRS GLM t values', body);
}

const cell = (v: number | null | undefined, d = 6) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : String(+v.toPrecision(d)));
const tsv = (header: string[], rows: (string | number)[][]) => [header, ...rows].map((r) => r.map((x) => String(x).replace(/[\t\n\r]/g, ' ')).join('\t')).join('\n') + '\n';

/** BIDS channels.tsv with the quality columns (status good/bad as BIDS, status_description = why). */
export function channelsTsv(a: FnirsAnalysis): string {
  return tsv(
    ['name', 'type', 'source', 'detector', 'wavelength_nominal', 'units', 'sci', 'psp', 'cv_percent', 'status', 'status_description'],
    a.quality.rows.map((r, k) => {
      const ch = a.channels[k];
      return [r.label, 'NIRSCWAMPLITUDE', ch.sourceIndex ? `S${ch.sourceIndex}` : 'n/a', ch.detectorIndex ? `D${ch.detectorIndex}` : 'n/a', ch.wavelengthNm ?? 'n/a', ch.unit || 'n/a', cell(r.sci), cell(r.pspMedian), cell(r.cvPercent), r.reasons.length ? 'bad' : 'good', r.reasons.join('; ') || 'n/a'];
    }),
  );
}

/** Block averages per condition and channel, long format (µM). */
export function blockAverageTsv(a: FnirsAnalysis): string | null {
  const b = a.blocks;
  if (!b) return null;
  const C = a.hbLabels.length;
  const L = b.timesSeconds.length;
  const rows: (string | number)[][] = [];
  b.conditions.forEach((condition, q) => {
    for (let c = 0; c < C; c++) for (let j = 0; j < L; j++) {
      const i = (q * C + c) * L + j;
      rows.push([condition, a.hbLabels[c], cell(b.timesSeconds[j]), b.counts[q], cell(b.mean[i] * 1e6), cell(b.sem[i] * 1e6)]);
    }
  });
  return tsv(['condition', 'ch_name', 'time_s', 'n_events', 'mean_uM', 'sem_uM'], rows);
}

/** GLM results per channel and condition, in MNE-NIRS's `glm.to_dataframe()` column names (theta in M). */
export function glmTsv(a: FnirsAnalysis): string | null {
  if (a.glm.length === 0) return null;
  const rows: (string | number)[][] = [];
  for (const g of a.glm) {
    a.hbLabels.forEach((label, c) => {
      const ch = a.channels[c];
      rows.push([label, g.condition, ch.sourceIndex ?? 'n/a', ch.detectorIndex ?? 'n/a', label.split(' ')[1] ?? 'n/a', cell(g.contrast.effect[c]), cell(g.contrast.se[c]), cell(g.contrast.t[c]), cell(g.contrast.p[c]), a.dof]);
    });
  }
  return tsv(['ch_name', 'Condition', 'Source', 'Detector', 'Chroma', 'theta', 'se', 't', 'p_value', 'df'], rows);
}
