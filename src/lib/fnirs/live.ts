// LiveFnirs: the live fNIRS chain for a device stream — raw intensity → optical density (against a
// baseline of the first seconds) → modified Beer–Lambert (HbO/HbR in µM, the library's own linear
// map) frame by frame, and, on demand, channel quality over the last window (SCI and CV from the
// library on that window, pruned with its reasons). Streams without source–detector distances get
// ΔOD instead of haemoglobin, labelled as such; channels that are not fNIRS (a device's own ratio)
// pass through, labelled "(device)". Where the probe has short channels, haemoglobin can go on through
// the running short-channel regression (setShortChannelRegression). Output has as many channels as
// input, at the same positions.
// Pure TypeScript, any thread (the engine worker runs it). FRAME-MAJOR float32 chunks (the engine's
// layout); `process` is a HOT PATH (no allocation) and chunk-invariant; `quality` allocates.
import { InputError } from '../core/errors';
import type { ChannelInfo, StreamDescriptor } from '../core/stream';
import { beerLambert, opticalDensity, type PathlengthFactor } from './beer-lambert';
import { channelMidpoints, nirsPairs, parseNirsChannel, sourceDetectorDistances } from './channels';
import { RunningShortChannelRegression } from './short-channels';
import { coefficientOfVariation, intensityChecks, pruneChannels, scalpCouplingIndex, type PruneThresholds } from './quality';

export interface LiveFnirsOptions {
  /** OD baseline: the mean intensity of each channel over its first this-many seconds; default 10. */
  baselineSeconds?: number;
  /** Quality window, s (SCI and CV over the last this-many seconds); default 10. */
  qualityWindowSeconds?: number;
  /** Partial pathlength factor (number, per wavelength, or from age); default 6 as MNE. */
  ppf?: PathlengthFactor;
  /** Quality thresholds; default SCI ≥ 0.5 (MNE's tutorial) and CV ≤ 7.5 %. */
  thresholds?: PruneThresholds;
  /** Start with the running short-channel regression on (where the probe has short channels); default false. */
  shortChannelRegression?: boolean;
  /** Its memory, s (RunningShortChannelRegression's τ); default 60. */
  shortChannelTimeConstantSeconds?: number;
}

export interface LiveChannelQuality {
  label: string;
  /** Windowed SCI of the channel's pair; null where it cannot be computed (no pair, irregular or too low a rate). */
  sci: number | null;
  /** Coefficient of variation of the raw intensity over the window, %. */
  cvPercent: number;
  ok: boolean;
  /** Why not ok (pruneChannels' reasons: "SCI 0.31 < 0.5", "CV % 9.2 > 7.5", "3 samples ≤ 0"). */
  reasons: string[];
}

export interface LiveFnirsQuality {
  /** Seconds of signal the window covers; null for an irregular stream (no rate: see windowSamples). */
  windowSeconds: number | null;
  windowSamples: number;
  /** What a channel is judged against (SCI where it can be computed). */
  thresholds: PruneThresholds;
  /** One per fNIRS input channel, in stream order. */
  channels: LiveChannelQuality[];
}

/** Lowest rate at which the cardiac band (0.7–1.5 Hz with 0.3 Hz transitions) fits below Nyquist. */
const MIN_SCI_RATE_HZ = 4;
/** Baseline length for irregular streams (no rate), in samples. */
const IRREGULAR_BASELINE_SAMPLES = 100;

export class LiveFnirs {
  /** 'haemoglobin': HbO/HbR in µM; 'optical-density': ΔOD (no distances, or one wavelength per pair). */
  readonly mode: 'haemoglobin' | 'optical-density';
  /** The output stream: labels and units of what `process` writes. */
  readonly output: StreamDescriptor;
  /** Why the output is ΔOD rather than haemoglobin (empty in haemoglobin mode). */
  readonly note: string;
  private readonly C: number;
  private readonly fs: number;
  /** Input indices of the fNIRS intensity channels. */
  private readonly nirs: number[];
  private readonly nirsChannels: ChannelInfo[];
  private readonly baselineFrames: number;
  private readonly baseSum: Float64Array;
  private readonly baseCount: Float64Array;
  private readonly lastOd: Float64Array;
  /** Per input channel: its OD this frame (scratch). */
  private readonly od: Float64Array;
  /** Sparse linear map OD → output, per output channel (CSR over input channels), haemoglobin mode. */
  private readonly rowStart: Int32Array;
  private readonly colIndex: Int32Array;
  private readonly weight: Float64Array;
  /** Per output channel: 0 pass-through, 1 OD, 2 mapped (Hb), 3 zero (consumed by Beer–Lambert). */
  private readonly outKind: Uint8Array;
  private framesSeen = 0;
  // Quality history: the last `windowFrames` raw intensities of the fNIRS channels, channel-major ring.
  private readonly windowFrames: number;
  private readonly history: Float64Array;
  private historyPos = 0;
  private historyFill = 0;
  private readonly thresholds: PruneThresholds;
  /** Running short-channel regression over the fNIRS channels' Hb (null: the probe has no short and long channels). */
  private readonly ssr: RunningShortChannelRegression | null = null;
  private ssrOn = false;
  private ssrIn = new Float64Array(0);
  private ssrOut = new Float64Array(0);

  constructor(stream: StreamDescriptor, opts: LiveFnirsOptions = {}) {
    const where = 'live fNIRS';
    const C = (this.C = stream.channels.length);
    this.fs = stream.sampleRateHz;
    this.nirs = [];
    stream.channels.forEach((ch, i) => {
      if (ch.type !== 'MISC' && parseNirsChannel(ch) && typeof parseNirsChannel(ch)!.kind === 'number') this.nirs.push(i);
    });
    if (this.nirs.length === 0) throw new InputError(`${stream.name} has no fNIRS intensity channels (Sx_Dy <nm> labels, or source, detector and wavelength)`, where);
    this.nirsChannels = this.nirs.map((i) => stream.channels[i]);
    const baselineSeconds = opts.baselineSeconds ?? 10;
    this.baselineFrames = this.fs > 0 ? Math.max(1, Math.round(baselineSeconds * this.fs)) : IRREGULAR_BASELINE_SAMPLES;
    this.baseSum = new Float64Array(C);
    this.baseCount = new Float64Array(C);
    this.lastOd = new Float64Array(C);
    this.od = new Float64Array(C);
    this.outKind = new Uint8Array(C);
    for (const i of this.nirs) this.outKind[i] = 1;
    this.thresholds = opts.thresholds ?? { sciMin: 0.5, cvMaxPercent: 7.5 };
    const qw = opts.qualityWindowSeconds ?? 10;
    this.windowFrames = this.fs > 0 ? Math.max(2, Math.round(qw * this.fs)) : IRREGULAR_BASELINE_SAMPLES;
    this.history = new Float64Array(this.nirs.length * this.windowFrames);

    // Haemoglobin where every pair has ≥ 2 wavelengths and the probe gives distances.
    const map = this.haemoglobinMap(stream, opts.ppf ?? 6);
    const labels = stream.channels.map((ch) => `${ch.label} (device)`);
    const units = stream.channels.map((ch) => ch.unit);
    const rows: number[][] = stream.channels.map(() => []);
    const weights: number[][] = stream.channels.map(() => []);
    if (typeof map === 'string') {
      this.mode = 'optical-density';
      this.note = map;
      for (const i of this.nirs) {
        labels[i] = `${stream.channels[i].label} ΔOD`;
        units[i] = '';
      }
    } else {
      this.mode = 'haemoglobin';
      this.note = '';
      const S = this.nirs.length;
      for (const i of this.nirs) {
        this.outKind[i] = 3;
        labels[i] = `${stream.channels[i].label} (in Hb)`;
        units[i] = '';
      }
      map.inputChannels.forEach((subsetIndex, o) => {
        const out = this.nirs[subsetIndex];
        this.outKind[out] = 2;
        labels[out] = map.labels[o];
        units[out] = 'uM';
        // Row o of the library's map (its response to a unit OD at each channel), in µM.
        for (let t = 0; t < S; t++) {
          const w = map.data[o * S + t];
          if (w !== 0) {
            rows[out].push(this.nirs[t]);
            weights[out].push(w * 1e6);
          }
        }
      });
    }
    if (this.mode === 'haemoglobin' && !this.outKind.includes(3)) {
      // Hb channels at the intensity channels' positions; a pair's distance is its channels'.
      const hbChannels = this.nirs.map((i) => ({ label: labels[i] }));
      const probe = stream.probe!;
      const distances = sourceDetectorDistances(this.nirsChannels, probe.sourcePositionsM, probe.detectorPositionsM);
      const midpointsM = channelMidpoints(this.nirsChannels, probe.sourcePositionsM, probe.detectorPositionsM);
      if (distances.some((d) => d < 0.015) && distances.some((d) => d > 0.015)) {
        this.ssr = new RunningShortChannelRegression(hbChannels, distances, { sampleRateHz: this.fs, midpointsM, timeConstantSeconds: opts.shortChannelTimeConstantSeconds ?? 60 });
        this.ssrOn = opts.shortChannelRegression ?? false;
      }
    }
    this.rowStart = new Int32Array(C + 1);
    for (let c = 0; c < C; c++) this.rowStart[c + 1] = this.rowStart[c] + rows[c].length;
    this.colIndex = Int32Array.from(rows.flat());
    this.weight = Float64Array.from(weights.flat());
    this.output = {
      id: `${stream.id}.${this.mode === 'haemoglobin' ? 'hb' : 'od'}`,
      name: `${stream.name} (${this.mode === 'haemoglobin' ? 'HbO/HbR' : 'ΔOD'})`,
      kind: 'fnirs',
      sampleRateHz: stream.sampleRateHz,
      channels: stream.channels.map((ch, i) => ({ ...ch, label: labels[i], unit: units[i], type: this.outKind[i] === 2 ? (labels[i].endsWith('hbo') ? 'HBO' : 'HBR') : ch.type })),
    };
  }

  /**
   * The library's Beer–Lambert map from the fNIRS channels' OD to haemoglobin: `beerLambert` of the
   * identity (unit OD at one channel per "sample"), so the live output is that linear map exactly.
   * A string says why there is none.
   */
  private haemoglobinMap(stream: StreamDescriptor, ppf: PathlengthFactor): ReturnType<typeof beerLambert> | string {
    const pairs = nirsPairs(this.nirsChannels, 'live fNIRS');
    const single = pairs.filter((p) => p.channels.length < 2);
    if (single.length) return `one wavelength at ${single.map((p) => p.pair).join(', ')}: haemoglobin needs two; showing ΔOD`;
    const probe = stream.probe;
    if (!probe?.sourcePositionsM.length || !probe.detectorPositionsM.length) return 'no probe positions, so no source–detector distances: showing ΔOD (haemoglobin needs the distances)';
    const distances = sourceDetectorDistances(this.nirsChannels, probe.sourcePositionsM, probe.detectorPositionsM);
    const S = this.nirs.length;
    const identity = new Float64Array(S * S);
    for (let i = 0; i < S; i++) identity[i * S + i] = 1;
    try {
      return beerLambert(identity, this.nirsChannels, S, distances, ppf);
    } catch (e) {
      return `${(e as Error).message}; showing ΔOD`;
    }
  }

  /** Whether the probe has short and long channels (the short-channel regression is available). */
  get hasShortChannels(): boolean {
    return this.ssr !== null;
  }

  get shortChannelRegression(): boolean {
    return this.ssrOn;
  }

  /** Turns the running short-channel regression on or off (its estimate starts afresh). No-op without short channels. */
  setShortChannelRegression(on: boolean): void {
    if (!this.ssr) return;
    this.ssr.reset();
    this.ssrOn = on;
  }

  /** Frames processed so far. */
  get frames(): number {
    return this.framesSeen;
  }

  /**
   * HOT PATH. `frames` frames of raw intensity (frame-major, C channels) → `out` (frame-major, C
   * channels): HbO/HbR µM or ΔOD at the fNIRS positions, pass-through elsewhere. A sample ≤ 0 or not
   * finite holds its channel's previous OD (never NaN); quality reports it.
   */
  process(samples: Float32Array, frames: number, out: Float32Array): void {
    const C = this.C;
    if (samples.length < frames * C || out.length < frames * C) throw new RangeError(`process: ${frames} frames of ${C} channels need ${frames * C} values`);
    const nirs = this.nirs;
    const S = nirs.length;
    const W = this.windowFrames;
    for (let f = 0; f < frames; f++) {
      const base = f * C;
      const inBaseline = this.framesSeen < this.baselineFrames;
      for (let k = 0; k < S; k++) {
        const c = nirs[k];
        const v = samples[base + c];
        this.history[k * W + this.historyPos] = v;
        let od = this.lastOd[c];
        if (v > 0 && v < Number.POSITIVE_INFINITY) {
          if (inBaseline) {
            this.baseSum[c] += v;
            this.baseCount[c]++;
          }
          od = -Math.log((v * this.baseCount[c]) / this.baseSum[c]);
          this.lastOd[c] = od;
        }
        this.od[c] = od;
      }
      for (let c = 0; c < C; c++) {
        const kind = this.outKind[c];
        if (kind === 0) out[base + c] = samples[base + c];
        else if (kind === 1) out[base + c] = this.od[c];
        else if (kind === 3) out[base + c] = 0;
        else {
          let acc = 0;
          for (let j = this.rowStart[c]; j < this.rowStart[c + 1]; j++) acc += this.weight[j] * this.od[this.colIndex[j]];
          out[base + c] = acc;
        }
      }
      this.historyPos = (this.historyPos + 1) % W;
      if (this.historyFill < W) this.historyFill++;
      this.framesSeen++;
    }
    if (this.ssrOn) this.regressShortChannels(out, frames);
  }

  /** The running short-channel regression over the fNIRS positions of `out` (scratch grows only for a larger chunk). */
  private regressShortChannels(out: Float32Array, frames: number): void {
    const C = this.C;
    const nirs = this.nirs;
    const S = nirs.length;
    if (this.ssrIn.length < frames * S) {
      this.ssrIn = new Float64Array(frames * S);
      this.ssrOut = new Float64Array(frames * S);
    }
    for (let f = 0; f < frames; f++) for (let k = 0; k < S; k++) this.ssrIn[f * S + k] = out[f * C + nirs[k]];
    this.ssr!.process(this.ssrIn, frames, this.ssrOut);
    for (let f = 0; f < frames; f++) for (let k = 0; k < S; k++) out[f * C + nirs[k]] = this.ssrOut[f * S + k];
  }

  /**
   * Channel quality over the last window (null until a full window has arrived): MNE's SCI of
   * `optical_density` of the window's intensities (the library on that window), the CV of the
   * intensities, and pruneChannels' verdict and reasons. Channels with a sample ≤ 0 in the window get
   * SCI 0 and the reason.
   */
  quality(): LiveFnirsQuality | null {
    const W = this.windowFrames;
    if (this.historyFill < W) return null;
    const S = this.nirs.length;
    const raw = new Float64Array(S * W);
    for (let k = 0; k < S; k++) {
      for (let t = 0; t < W; t++) raw[k * W + t] = this.history[k * W + ((this.historyPos + t) % W)];
    }
    const checks = intensityChecks(raw, S, W);
    const cv = coefficientOfVariation(raw, S, W);
    let sci: Float64Array | null = null;
    if (this.fs >= MIN_SCI_RATE_HZ && nirsPairs(this.nirsChannels).every((p) => p.channels.length >= 2)) {
      // Invalid channels become constant (flat → SCI 0); the reasons come from intensityChecks.
      const clean = raw.slice();
      checks.forEach((ch, k) => {
        if (ch.nonPositive || ch.nonFinite) clean.fill(1, k * W, (k + 1) * W);
      });
      sci = scalpCouplingIndex(opticalDensity(clean, S, W), this.nirsChannels, W, this.fs);
    }
    const pruned = pruneChannels(this.nirsChannels, { ...(sci ? { sci } : {}), cvPercent: cv, intensity: checks }, sci ? this.thresholds : { ...this.thresholds, sciMin: undefined });
    const reasons = new Map(pruned.dropped.map((d) => [d.channel, d.reasons]));
    return {
      windowSeconds: this.fs > 0 ? W / this.fs : null,
      windowSamples: W,
      thresholds: sci ? this.thresholds : { ...this.thresholds, sciMin: undefined },
      channels: this.nirsChannels.map((ch, k) => ({ label: ch.label, sci: sci ? sci[k] : null, cvPercent: cv[k], ok: !reasons.has(k), reasons: reasons.get(k) ?? [] })),
    };
  }
}
