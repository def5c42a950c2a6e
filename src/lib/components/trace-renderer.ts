// Draws multichannel traces on a 2D canvas: a scrolling window, one row per channel, min/max per
// pixel column. Min/max are kept incrementally in blocks of D frames (one block per column), so a
// frame costs O(channels) once at ingest and drawing costs O(channels × columns), whatever the rate:
// 64 channels at 2 kHz cost the same to draw as 16 at 250 Hz. Main thread only; no Svelte.
// `ingest` and `draw` are per-animation-frame hot paths: they do not allocate.

export interface TraceStyle {
  background: string;
  grid: string;
  label: string;
  trace: string[];
  font: string;
}

export const DEFAULT_STYLE: TraceStyle = {
  background: '#0b1220',
  grid: 'rgba(148, 163, 184, 0.12)',
  label: '#cbd5e1',
  trace: ['#38bdf8', '#a78bfa', '#34d399', '#fbbf24', '#f472b6', '#60a5fa', '#f87171', '#4ade80'],
  font: '12px ui-sans-serif, system-ui, sans-serif',
};

const LABEL_WIDTH = 64;

export class TraceRenderer {
  readonly channels: number;
  readonly sampleRateHz: number;
  readonly historyFrames: number;
  /** Raw history per channel, channel-major circular buffers (to rebuild blocks when D changes). */
  private readonly history: Float32Array;
  private written = 0; // total frames ingested
  /** Frames per block (= per pixel column at the current window and width); 0 = not built yet. */
  private blockFrames = 0;
  /** Min/max per block and channel, channel-major rings of `historyFrames` blocks (D ≥ 1). */
  private readonly blockMin: Float32Array;
  private readonly blockMax: Float32Array;
  private readonly colMin: Float32Array;
  private readonly colMax: Float32Array;
  private readonly maxColumns = 4096;

  constructor(channels: number, sampleRateHz: number, maxWindowSeconds = 30) {
    this.channels = channels;
    this.sampleRateHz = sampleRateHz;
    this.historyFrames = Math.max(1, Math.ceil(sampleRateHz * maxWindowSeconds));
    this.history = new Float32Array(channels * this.historyFrames);
    this.blockMin = new Float32Array(channels * this.historyFrames);
    this.blockMax = new Float32Array(channels * this.historyFrames);
    this.colMin = new Float32Array(this.maxColumns);
    this.colMax = new Float32Array(this.maxColumns);
  }

  /** Appends frame-major samples. */
  ingest(samples: Float32Array, frames: number): void {
    const ch = this.channels;
    const H = this.historyFrames;
    const D = this.blockFrames;
    let slot = this.written % H;
    for (let f = 0; f < frames; f++) {
      const base = f * ch;
      const frame = this.written + f;
      for (let c = 0; c < ch; c++) this.history[c * H + slot] = samples[base + c];
      if (D > 0) this.addToBlock(frame, samples, base);
      if (++slot === H) slot = 0;
    }
    this.written += frames;
  }

  /** Folds one frame into its block (block k holds frames [k·D, (k+1)·D)). */
  private addToBlock(frame: number, src: Float32Array, base: number): void {
    const ch = this.channels;
    const H = this.historyFrames;
    const D = this.blockFrames;
    const b = Math.floor(frame / D) % H;
    const first = frame % D === 0;
    for (let c = 0; c < ch; c++) {
      const v = src[base + c];
      const i = c * H + b;
      if (first || v < this.blockMin[i]) this.blockMin[i] = v;
      if (first || v > this.blockMax[i]) this.blockMax[i] = v;
    }
  }

  /** Recomputes the blocks of the frames still in history for a new block size. Allocation-free. */
  private rebuild(D: number): void {
    this.blockFrames = D;
    const ch = this.channels;
    const H = this.historyFrames;
    const start = Math.max(0, this.written - H);
    for (let f = Math.ceil(start / D) * D; f < this.written; f++) {
      const slot = f % H;
      const b = Math.floor(f / D) % H;
      const first = f % D === 0;
      for (let c = 0; c < ch; c++) {
        const v = this.history[c * H + slot];
        const i = c * H + b;
        if (first || v < this.blockMin[i]) this.blockMin[i] = v;
        if (first || v > this.blockMax[i]) this.blockMax[i] = v;
      }
    }
  }

  clear(): void {
    this.written = 0;
    this.blockFrames = 0;
  }

  get framesIngested(): number {
    return this.written;
  }

  /**
   * Min/max of channel `c` per column for the last `windowFrames` frames, newest last, into
   * colMin/colMax. Returns [columns filled, index of the first column with data, total columns].
   */
  columns(c: number, windowFrames: number, plotW: number): [number, number, number] {
    const H = this.historyFrames;
    const D = Math.max(1, Math.round(windowFrames / plotW));
    if (D !== this.blockFrames) this.rebuild(D);
    const total = Math.min(this.maxColumns, Math.max(1, Math.ceil(windowFrames / D)));
    if (this.written === 0) return [0, total, total];
    const lastBlock = Math.floor((this.written - 1) / D);
    const oldestFrame = Math.max(0, this.written - Math.min(H, windowFrames));
    const firstBlock = Math.floor(oldestFrame / D) + (oldestFrame % D === 0 ? 0 : 1);
    const from = Math.max(firstBlock, lastBlock - total + 1);
    let n = 0;
    for (let b = from; b <= lastBlock; b++) {
      const i = c * H + (b % H);
      this.colMin[n] = this.blockMin[i];
      this.colMax[n] = this.blockMax[i];
      n++;
    }
    return [n, total - n, total];
  }

  /** Test hook: the column arrays filled by `columns`. */
  columnValues(n: number): { min: Float32Array; max: Float32Array } {
    return { min: this.colMin.subarray(0, n), max: this.colMax.subarray(0, n) };
  }

  /**
   * Draws the last `windowSeconds` with `scaleUv` microvolts per half row height.
   * The newest sample is at the right edge. Channels beyond the canvas height are not drawn.
   */
  draw(ctx: CanvasRenderingContext2D, width: number, height: number, labels: string[], windowSeconds: number, scaleUv: number, style: TraceStyle = DEFAULT_STYLE): void {
    const ch = this.channels;
    ctx.fillStyle = style.background;
    ctx.fillRect(0, 0, width, height);
    const plotW = Math.max(1, Math.min(this.maxColumns, Math.floor(width - LABEL_WIDTH)));
    const rowH = height / ch;
    const windowFrames = Math.min(this.historyFrames, Math.max(2, Math.round(windowSeconds * this.sampleRateHz)));

    // Grid: one vertical line per second, a baseline per channel.
    ctx.strokeStyle = style.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    const pxPerSecond = plotW / windowSeconds;
    for (let s = 0; s <= windowSeconds; s++) {
      const x = Math.round(LABEL_WIDTH + plotW - s * pxPerSecond) + 0.5;
      ctx.moveTo(x, 0);
      ctx.lineTo(x, height);
    }
    for (let c = 0; c < ch; c++) {
      const y = Math.round((c + 0.5) * rowH) + 0.5;
      ctx.moveTo(LABEL_WIDTH, y);
      ctx.lineTo(width, y);
    }
    ctx.stroke();

    ctx.font = style.font;
    ctx.textBaseline = 'middle';
    const showLabels = rowH >= 9;
    const pxPerUv = rowH / 2 / Math.max(1e-9, scaleUv);
    for (let c = 0; c < ch; c++) {
      const mid = (c + 0.5) * rowH;
      if (showLabels) {
        ctx.fillStyle = style.label;
        ctx.fillText(labels[c] ?? `ch${c + 1}`, 8, mid);
      }
      const [cols, empty, total] = this.columns(c, windowFrames, plotW);
      if (cols < 2) continue;
      const dx = plotW / total;
      // Centre each trace on its mean over the window so DC offsets do not push it off its row.
      let mean = 0;
      for (let i = 0; i < cols; i++) mean += this.colMin[i] + this.colMax[i];
      mean /= 2 * cols;
      ctx.strokeStyle = style.trace[c % style.trace.length];
      ctx.beginPath();
      const top = c * rowH;
      const bottom = top + rowH;
      for (let i = 0; i < cols; i++) {
        const x = LABEL_WIDTH + (empty + i + 0.5) * dx;
        const y1 = Math.min(bottom, Math.max(top, mid - (this.colMax[i] - mean) * pxPerUv));
        const y2 = Math.min(bottom, Math.max(top, mid - (this.colMin[i] - mean) * pxPerUv));
        if (i === 0) ctx.moveTo(x, y1);
        else ctx.lineTo(x, y1);
        if (y2 - y1 > 1) ctx.lineTo(x, y2);
      }
      ctx.stroke();
    }
  }
}
