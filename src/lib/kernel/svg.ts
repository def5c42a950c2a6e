// Inline SVG figures for the job reports (report.ts): line plots (optionally log-y, with SEM bands
// and event lines), grouped bars, histograms, heat maps and fNIRS probe maps. Pure string building,
// any thread; no DOM. Every label that came from a file is XML-escaped: reports are data, never code.
// Allocates; not for hot paths.

export type Light = 'green' | 'orange' | 'red' | 'grey';

export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** A shaded band (e.g. mean ± SEM). */
  lo?: ArrayLike<number>;
  hi?: ArrayLike<number>;
}

export interface LineFigure {
  kind: 'line';
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logY?: boolean;
  /** Vertical lines (event onsets, 50/60 Hz). */
  marks?: { x: number; label: string }[];
  /** Horizontal reference lines. */
  levels?: { y: number; label: string }[];
}

export interface BarFigure {
  kind: 'bar';
  id: string;
  title: string;
  yLabel: string;
  categories: string[];
  groups: { name: string; values: (number | null)[] }[];
  levels?: { y: number; label: string }[];
  /** Colour each bar by its category's light instead of by group. */
  lights?: Light[];
}

export interface HistogramFigure {
  kind: 'histogram';
  id: string;
  title: string;
  xLabel: string;
  groups: { name: string; values: number[] }[];
  bins?: number;
}

export interface HeatmapFigure {
  kind: 'heatmap';
  id: string;
  title: string;
  rowLabel: string;
  rows: string[];
  columns: string[];
  /** Row-major [row, column]; NaN is drawn grey. */
  values: ArrayLike<number>;
  /** Signed data: a blue–white–red scale centred on 0. */
  diverging?: boolean;
}

export interface ProbeFigure {
  kind: 'probe';
  id: string;
  title: string;
  /** Optode positions (any length unit; x to the right, y up). */
  sources: number[][];
  detectors: number[][];
  channels: { source: number; detector: number; value: number | null; label: string }[];
  valueLabel: string;
  range?: [number, number];
  diverging?: boolean;
}

export type Figure = LineFigure | BarFigure | HistogramFigure | HeatmapFigure | ProbeFigure;

const W = 720;
const H = 280;
const M = { l: 70, r: 150, t: 30, b: 46 };
const PALETTE = ['#0284c7', '#ea580c', '#16a34a', '#dc2626', '#7c3aed', '#ca8a04', '#0d9488', '#db2777', '#4b5563', '#65a30d', '#2563eb', '#9333ea'];
export const LIGHT_COLOURS: Record<Light, string> = { green: '#16a34a', orange: '#f59e0b', red: '#dc2626', grey: '#9ca3af' };

/** XML/HTML text escape. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A short, readable number (4 significant digits, no trailing zeros, exponent when tiny or huge). */
export function fmt(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(digits)));
}

const colour = (i: number) => PALETTE[i % PALETTE.length];
const r1 = (v: number) => Math.round(v * 10) / 10;

/** Tick values covering [lo, hi]: 1, 2 or 5 × 10^k steps, about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return out;
}

function frame(f: { title: string }, body: string, extraHeight = 0): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H + extraHeight}" width="${W}" height="${H + extraHeight}" role="img" aria-label="${esc(f.title)}" font-family="system-ui, sans-serif" font-size="11">` +
    `<rect width="100%" height="100%" fill="#fff"/><text x="${M.l}" y="18" font-size="13" font-weight="600" fill="#111827">${esc(f.title)}</text>${body}</svg>`;
}

interface Scale {
  (v: number): number;
  ticks: number[];
  label: (v: number) => string;
}

function linear(lo: number, hi: number, a: number, b: number): Scale {
  if (!(hi > lo)) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    if (lo !== 0) lo -= pad;
    hi += pad;
  }
  const ticks = niceTicks(lo, hi);
  const s = ((v: number) => a + ((v - lo) / (hi - lo)) * (b - a)) as Scale;
  s.ticks = ticks;
  s.label = (v) => fmt(v, 3);
  return s;
}

function logScale(lo: number, hi: number, a: number, b: number): Scale {
  const l0 = Math.floor(Math.log10(lo));
  const l1 = Math.max(l0 + 1, Math.ceil(Math.log10(hi)));
  const s = ((v: number) => a + ((Math.log10(Math.max(v, 10 ** l0)) - l0) / (l1 - l0)) * (b - a)) as Scale;
  const stride = Math.max(1, Math.ceil((l1 - l0) / 6));
  s.ticks = [];
  for (let k = l0; k <= l1; k += stride) s.ticks.push(10 ** k);
  s.label = (v) => `1e${Math.round(Math.log10(v))}`;
  return s;
}

function axes(x: Scale, y: Scale, xLabel: string, yLabel: string, xTicks = true): string {
  const x0 = M.l;
  const x1 = W - M.r;
  const y0 = H - M.b;
  const y1 = M.t;
  let s = `<g stroke="#e5e7eb">`;
  for (const t of y.ticks) s += `<line x1="${x0}" x2="${x1}" y1="${r1(y(t))}" y2="${r1(y(t))}"/>`;
  s += `</g><g fill="#374151">`;
  for (const t of y.ticks) s += `<text x="${x0 - 6}" y="${r1(y(t)) + 4}" text-anchor="end">${esc(y.label(t))}</text>`;
  if (xTicks) for (const t of x.ticks) s += `<text x="${r1(x(t))}" y="${y0 + 16}" text-anchor="middle">${esc(x.label(t))}</text>`;
  s += `</g><rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#9ca3af"/>`;
  s += `<text x="${(x0 + x1) / 2}" y="${H - 8}" text-anchor="middle" fill="#111827">${esc(xLabel)}</text>`;
  s += `<text transform="translate(14 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" fill="#111827">${esc(yLabel)}</text>`;
  return s;
}

function legend(names: string[], colours: string[], max = 14): string {
  let s = '';
  const shown = names.slice(0, max);
  shown.forEach((n, i) => {
    const y = M.t + 6 + i * 15;
    s += `<rect x="${W - M.r + 10}" y="${y - 8}" width="12" height="4" fill="${colours[i]}"/><text x="${W - M.r + 27}" y="${y - 3}" fill="#374151">${esc(n.length > 18 ? n.slice(0, 17) + '…' : n)}</text>`;
  });
  if (names.length > max) s += `<text x="${W - M.r + 10}" y="${M.t + 6 + max * 15}" fill="#6b7280">+${names.length - max} more</text>`;
  return s;
}

/** Indices to draw of a long series: every point up to `max`, else min/max per bucket (keeps spikes). */
function decimate(y: ArrayLike<number>, max = 1200): number[] {
  const n = y.length;
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  const per = n / (max / 2);
  for (let b = 0; b < max / 2; b++) {
    const i0 = Math.floor(b * per);
    const i1 = Math.min(n, Math.floor((b + 1) * per));
    let lo = i0;
    let hi = i0;
    for (let i = i0; i < i1; i++) {
      if (y[i] < y[lo]) lo = i;
      if (y[i] > y[hi]) hi = i;
    }
    out.push(Math.min(lo, hi), Math.max(lo, hi));
  }
  return out;
}

function extent(arrays: ArrayLike<number>[], positive: boolean): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays)
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (!Number.isFinite(v) || (positive && !(v > 0))) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  return Number.isFinite(lo) ? [lo, hi] : positive ? [1, 10] : [0, 1];
}

function lineChart(f: LineFigure): string {
  const ys = f.series.flatMap((s) => [s.y, ...(s.lo ? [s.lo] : []), ...(s.hi ? [s.hi] : [])]);
  const [ylo, yhi] = extent([...ys, ...(f.levels ?? []).map((l) => [l.y])], !!f.logY);
  const [xlo, xhi] = extent(f.series.map((s) => s.x), false);
  const x = linear(xlo, xhi, M.l, W - M.r);
  const y = f.logY ? logScale(ylo, yhi, H - M.b, M.t) : linear(ylo, yhi, H - M.b, M.t);
  let body = axes(x, y, f.xLabel, f.yLabel);
  body += `<clipPath id="c-${esc(f.id)}"><rect x="${M.l}" y="${M.t}" width="${W - M.l - M.r}" height="${H - M.t - M.b}"/></clipPath><g clip-path="url(#c-${esc(f.id)})">`;
  const many = f.series.length > 12;
  f.series.forEach((s, i) => {
    const idx = decimate(s.y);
    if (s.lo && s.hi) {
      const up = idx.map((k) => `${r1(x(s.x[k]))},${r1(y(s.hi![k]))}`);
      const down = idx.map((k) => `${r1(x(s.x[k]))},${r1(y(s.lo![k]))}`).reverse();
      body += `<polygon points="${[...up, ...down].join(' ')}" fill="${colour(i)}" fill-opacity="0.18" stroke="none"/>`;
    }
    const pts = idx.filter((k) => Number.isFinite(s.y[k]) && (!f.logY || s.y[k] > 0)).map((k) => `${r1(x(s.x[k]))},${r1(y(s.y[k]))}`);
    body += `<polyline points="${pts.join(' ')}" fill="none" stroke="${colour(i)}" stroke-width="${many ? 0.8 : 1.4}" stroke-opacity="${many ? 0.7 : 1}"/>`;
  });
  for (const m of f.marks ?? []) body += `<line x1="${r1(x(m.x))}" x2="${r1(x(m.x))}" y1="${M.t}" y2="${H - M.b}" stroke="#6b7280" stroke-dasharray="3 3"/><text x="${r1(x(m.x)) + 3}" y="${M.t + 11}" fill="#4b5563">${esc(m.label)}</text>`;
  for (const l of f.levels ?? []) body += `<line x1="${M.l}" x2="${W - M.r}" y1="${r1(y(l.y))}" y2="${r1(y(l.y))}" stroke="#b91c1c" stroke-dasharray="5 3"/><text x="${W - M.r - 4}" y="${r1(y(l.y)) - 3}" text-anchor="end" fill="#b91c1c">${esc(l.label)}</text>`;
  body += '</g>' + legend(f.series.map((s) => s.name), f.series.map((_, i) => colour(i)));
  return frame(f, body);
}

function barChart(f: BarFigure): string {
  const all = f.groups.flatMap((g) => g.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const [lo0, hi0] = extent([all, (f.levels ?? []).map((l) => l.y)], false);
  const y = linear(Math.min(0, lo0), Math.max(0, hi0), H - M.b, M.t);
  const n = f.categories.length;
  const slot = (W - M.l - M.r) / Math.max(1, n);
  const bw = Math.max(1, (slot * 0.8) / Math.max(1, f.groups.length));
  const x = linear(0, 1, M.l, W - M.r);
  let body = axes(x, y, '', f.yLabel, false);
  f.groups.forEach((g, gi) =>
    g.values.forEach((v, ci) => {
      if (v === null || !Number.isFinite(v)) return;
      const left = M.l + ci * slot + slot * 0.1 + gi * bw;
      const top = Math.min(y(v), y(0));
      const fill = f.lights ? LIGHT_COLOURS[f.lights[ci]] : colour(gi);
      body += `<rect x="${r1(left)}" y="${r1(top)}" width="${r1(bw)}" height="${r1(Math.abs(y(v) - y(0)))}" fill="${fill}"><title>${esc(`${f.categories[ci]} ${g.name}: ${fmt(v)}`)}</title></rect>`;
    }),
  );
  const every = Math.max(1, Math.ceil(n / 40));
  f.categories.forEach((c, ci) => {
    if (ci % every) return;
    const cx = M.l + (ci + 0.5) * slot;
    body += `<text transform="translate(${r1(cx)} ${H - M.b + 8}) rotate(60)" font-size="9" fill="#374151">${esc(c.length > 10 ? c.slice(0, 9) + '…' : c)}</text>`;
  });
  for (const l of f.levels ?? []) body += `<line x1="${M.l}" x2="${W - M.r}" y1="${r1(y(l.y))}" y2="${r1(y(l.y))}" stroke="#b91c1c" stroke-dasharray="5 3"/><text x="${W - M.r - 4}" y="${r1(y(l.y)) - 3}" text-anchor="end" fill="#b91c1c">${esc(l.label)}</text>`;
  if (!f.lights) body += legend(f.groups.map((g) => g.name), f.groups.map((_, i) => colour(i)));
  return frame(f, body, 24);
}

function histogram(f: HistogramFigure): string {
  const all = f.groups.flatMap((g) => g.values).filter(Number.isFinite);
  const [lo, hi] = extent([all], false);
  const nb = f.bins ?? Math.min(40, Math.max(5, Math.ceil(Math.sqrt(all.length))));
  const width = (hi - lo) / nb || 1;
  const counts = f.groups.map((g) => {
    const c = new Array<number>(nb).fill(0);
    for (const v of g.values) if (Number.isFinite(v)) c[Math.min(nb - 1, Math.floor((v - lo) / width))]++;
    return c;
  });
  const x = linear(lo, lo + nb * width, M.l, W - M.r);
  const y = linear(0, Math.max(1, ...counts.flat()), H - M.b, M.t);
  let body = axes(x, y, f.xLabel, 'count');
  counts.forEach((c, gi) =>
    c.forEach((k, b) => {
      if (!k) return;
      const x0 = x(lo + b * width);
      const x1 = x(lo + (b + 1) * width);
      body += `<rect x="${r1(x0)}" y="${r1(y(k))}" width="${r1(Math.max(1, x1 - x0 - 1))}" height="${r1(y(0) - y(k))}" fill="${colour(gi)}" fill-opacity="${f.groups.length > 1 ? 0.55 : 0.85}"/>`;
    }),
  );
  body += legend(f.groups.map((g) => g.name), f.groups.map((_, i) => colour(i)));
  return frame(f, body);
}

/** A colour for t ∈ [0, 1]: sequential (light → dark blue) or diverging (blue – white – red). */
function ramp(t: number, diverging: boolean): string {
  if (!Number.isFinite(t)) return '#d1d5db';
  const c = Math.max(0, Math.min(1, t));
  const mix = (a: number[], b: number[], u: number) => a.map((v, i) => Math.round(v + (b[i] - v) * u));
  const rgb = diverging ? (c < 0.5 ? mix([37, 99, 235], [248, 250, 252], c * 2) : mix([248, 250, 252], [220, 38, 38], (c - 0.5) * 2)) : mix([239, 246, 255], [30, 58, 138], c);
  return `rgb(${rgb.join(',')})`;
}

function colourBar(lo: number, hi: number, diverging: boolean, label: string, x0: number, y0: number, h: number): string {
  let s = '';
  for (let i = 0; i < 20; i++) s += `<rect x="${x0}" y="${r1(y0 + (h * (19 - i)) / 20)}" width="14" height="${r1(h / 20 + 0.5)}" fill="${ramp(i / 19, diverging)}"/>`;
  s += `<text x="${x0 + 18}" y="${y0 + 8}" fill="#374151">${esc(fmt(hi, 3))}</text><text x="${x0 + 18}" y="${y0 + h}" fill="#374151">${esc(fmt(lo, 3))}</text>`;
  s += `<text x="${x0}" y="${y0 - 6}" fill="#111827">${esc(label)}</text>`;
  return s;
}

function heatmap(f: HeatmapFigure): string {
  const R = f.rows.length;
  const C = f.columns.length;
  const [lo0, hi0] = extent([f.values], false);
  const m = Math.max(Math.abs(lo0), Math.abs(hi0)) || 1;
  const [lo, hi] = f.diverging ? [-m, m] : [lo0, hi0 > lo0 ? hi0 : lo0 + 1];
  const showRows = Math.min(R, 160);
  const x0 = M.l;
  const x1 = W - M.r;
  const y0 = M.t;
  const y1 = H - M.b - 10;
  const cw = (x1 - x0) / Math.max(1, C);
  const rh = (y1 - y0) / Math.max(1, showRows);
  let body = '';
  for (let k = 0; k < showRows; k++) {
    const r = Math.floor((k * R) / showRows);
    for (let c = 0; c < C; c++) body += `<rect x="${r1(x0 + c * cw)}" y="${r1(y0 + k * rh)}" width="${r1(cw + 0.4)}" height="${r1(rh + 0.4)}" fill="${ramp((f.values[r * C + c] - lo) / (hi - lo), !!f.diverging)}"/>`;
  }
  const every = Math.max(1, Math.ceil(C / 30));
  f.columns.forEach((name, c) => {
    if (c % every) return;
    body += `<text transform="translate(${r1(x0 + (c + 0.5) * cw)} ${y1 + 6}) rotate(60)" font-size="9" fill="#374151">${esc(name.length > 12 ? name.slice(0, 11) + '…' : name)}</text>`;
  });
  body += `<text transform="translate(14 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" fill="#111827">${esc(f.rowLabel)}</text>`;
  body += `<text x="${x0 - 6}" y="${y0 + 9}" text-anchor="end" fill="#374151">${esc(f.rows[0] ?? '')}</text><text x="${x0 - 6}" y="${y1}" text-anchor="end" fill="#374151">${esc(f.rows[R - 1] ?? '')}</text>`;
  body += colourBar(lo, hi, !!f.diverging, '', W - M.r + 20, y0 + 10, y1 - y0 - 20);
  return frame(f, body, 40);
}

function probeMap(f: ProbeFigure): string {
  const pts = [...f.sources, ...f.detectors].filter((p) => p && p.length >= 2);
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const [xlo, xhi] = extent([xs], false);
  const [ylo, yhi] = extent([ys], false);
  const span = Math.max(xhi - xlo, yhi - ylo) || 1;
  const box = Math.min(W - M.l - M.r, H - M.t - 20);
  const sc = box / (span * 1.15);
  const cx = M.l + (W - M.l - M.r) / 2;
  const cy = M.t + (H - M.t - 20) / 2;
  const px = (p: number[]) => [cx + (p[0] - (xlo + xhi) / 2) * sc, cy - (p[1] - (ylo + yhi) / 2) * sc];
  const vals = f.channels.map((c) => c.value).filter((v): v is number => v !== null && Number.isFinite(v));
  const [vlo0, vhi0] = f.range ?? extent([vals], false);
  const vm = Math.max(Math.abs(vlo0), Math.abs(vhi0)) || 1;
  const [vlo, vhi] = f.diverging && !f.range ? [-vm, vm] : [vlo0, vhi0 > vlo0 ? vhi0 : vlo0 + 1];
  let body = '';
  for (const ch of f.channels) {
    const s = f.sources[ch.source - 1];
    const d = f.detectors[ch.detector - 1];
    if (!s || !d) continue;
    const [ax, ay] = px(s);
    const [bx, by] = px(d);
    const t = ch.value === null ? NaN : (ch.value - vlo) / (vhi - vlo);
    body += `<line x1="${r1(ax)}" y1="${r1(ay)}" x2="${r1(bx)}" y2="${r1(by)}" stroke="${ramp(t, !!f.diverging)}" stroke-width="7" stroke-linecap="round"><title>${esc(`${ch.label}: ${fmt(ch.value)}`)}</title></line>`;
  }
  f.sources.forEach((p, i) => {
    const [x, y] = px(p);
    body += `<circle cx="${r1(x)}" cy="${r1(y)}" r="6" fill="#dc2626"/><text x="${r1(x) + 8}" y="${r1(y) - 6}" fill="#7f1d1d" font-size="9">S${i + 1}</text>`;
  });
  f.detectors.forEach((p, i) => {
    const [x, y] = px(p);
    body += `<circle cx="${r1(x)}" cy="${r1(y)}" r="5" fill="#1d4ed8"/><text x="${r1(x) + 7}" y="${r1(y) + 12}" fill="#1e3a8a" font-size="9">D${i + 1}</text>`;
  });
  body += colourBar(vlo, vhi, !!f.diverging, f.valueLabel, W - M.r + 20, M.t + 24, H - M.t - M.b - 30);
  return frame(f, body);
}

/** One figure as an inline SVG element. */
export function renderFigure(f: Figure): string {
  switch (f.kind) {
    case 'line':
      return lineChart(f);
    case 'bar':
      return barChart(f);
    case 'histogram':
      return histogram(f);
    case 'heatmap':
      return heatmap(f);
    case 'probe':
      return probeMap(f);
  }
}
