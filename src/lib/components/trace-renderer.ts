// Draws multichannel traces on a 2D canvas: a scrolling window, one row per channel, min/max per
// pixel column so 64 channels at 1 kHz cost the same as 16 at 250 Hz. Main thread only; no Svelte.
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
  /** History per channel, channel-major circular buffers. */
  private readonly history: Float32Array;
  private written = 0; // total frames ingested
  private readonly colMin: Float32Array;
  private readonly colMax: Float32Array;
  private readonly maxColumns = 4096;

  constructor(channels: number, sampleRateHz: number, maxWindowSeconds = 30) {
    this.channels = channels;
    this.sampleRateHz = sampleRateHz;
    this.historyFrames = Math.max(1, Math.ceil(sampleRateHz * maxWindowSeconds));
    this.history = new Float32Array(channels * this.historyFrames);
    this.colMin = new Float32Array(this.maxColumns);
    this.colMax = new Float32Array(this.maxColumns);
  }

  /** Appends frame-major samples. */
  ingest(samples: Float32Array, frames: number): void {
    const ch = this.channels;
    const H = this.historyFrames;
    let slot = this.written % H;
    for (let f = 0; f < frames; f++) {
      const base = f * ch;
      for (let c = 0; c < ch; c++) this.history[c * H + slot] = samples[base + c];
      if (++slot === H) slot = 0;
    }
    this.written += frames;
  }

  clear(): void {
    this.written = 0;
  }

  get framesIngested(): number {
    return this.written;
  }

  /**
   * Draws the last `windowSeconds` with `scaleUv` microvolts per half row height.
   * The newest sample is at the right edge. Channels beyond the canvas height are not drawn.
   */
  draw(ctx: CanvasRenderingContext2D, width: number, height: number, labels: string[], windowSeconds: number, scaleUv: number, style: TraceStyle = DEFAULT_STYLE): void {
    const ch = this.channels;
    const H = this.historyFrames;
    ctx.fillStyle = style.background;
    ctx.fillRect(0, 0, width, height);
    const plotW = Math.max(1, Math.min(this.maxColumns, Math.floor(width - LABEL_WIDTH)));
    const rowH = height / ch;
    const windowFrames = Math.min(H, Math.max(2, Math.round(windowSeconds * this.sampleRateHz)));
    const available = Math.min(this.written, windowFrames);
    const framesPerCol = windowFrames / plotW;

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
      if (available < 2) continue;
      // Min/max of each pixel column over the frames it covers; columns with no data yet stay empty.
      const firstFrame = this.written - windowFrames; // may be negative when not yet full
      let cols = 0;
      let firstCol = -1;
      const row = c * H;
      for (let x = 0; x < plotW; x++) {
        const f0 = Math.floor(firstFrame + x * framesPerCol);
        const f1 = Math.max(f0 + 1, Math.floor(firstFrame + (x + 1) * framesPerCol));
        if (f1 <= this.written - available) continue;
        if (firstCol < 0) firstCol = x;
        let lo = Infinity;
        let hi = -Infinity;
        for (let f = Math.max(f0, this.written - available); f < f1; f++) {
          const v = this.history[row + (f % H)];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        this.colMin[cols] = lo;
        this.colMax[cols] = hi;
        cols++;
      }
      if (cols === 0) continue;
      // Centre each trace on its mean over the window so DC offsets do not push it off its row.
      let mean = 0;
      for (let i = 0; i < cols; i++) mean += this.colMin[i] + this.colMax[i];
      mean /= 2 * cols;
      ctx.strokeStyle = style.trace[c % style.trace.length];
      ctx.beginPath();
      const top = c * rowH;
      const bottom = top + rowH;
      for (let i = 0; i < cols; i++) {
        const x = LABEL_WIDTH + firstCol + i + 0.5;
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
