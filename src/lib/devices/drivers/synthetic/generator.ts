// SyntheticGenerator: pure, seeded EEG-like signal (1/f background, switchable 10 Hz alpha, line
// noise, blinks) in µV, frame-major. Runs in any thread (io worker, page, Node); no clock, no timers,
// no I/O. `next` is a HOT PATH: no allocation. Output depends only on the seed, the settings and the
// sample indices at which setEyesClosed was called — never on how the frames are chunked.
import { InputError } from '../../../core/errors';

/** 10-20 / 10-10 labels in the order channels are taken (the first 8 are a Cyton-like montage). */
export const SYNTHETIC_LABELS: readonly string[] = [
  'Fp1', 'Fp2', 'C3', 'C4', 'P7', 'P8', 'O1', 'O2',
  'F7', 'F8', 'F3', 'F4', 'T7', 'T8', 'P3', 'P4',
  'Fz', 'Cz', 'Pz', 'Oz', 'FC1', 'FC2', 'CP1', 'CP2',
  'FC5', 'FC6', 'CP5', 'CP6', 'AF7', 'AF8', 'PO3', 'PO4',
  'AF3', 'AF4', 'F1', 'F2', 'F5', 'F6', 'FT7', 'FT8',
  'FC3', 'FC4', 'C1', 'C2', 'C5', 'C6', 'TP7', 'TP8',
  'CP3', 'CP4', 'P1', 'P2', 'P5', 'P6', 'PO7', 'PO8',
  'POz', 'Fpz', 'AFz', 'FCz', 'CPz', 'Iz', 'T9', 'T10',
];

export const SYNTHETIC_MAX_CHANNELS = 64;
export const SYNTHETIC_MIN_RATE_HZ = 125;
export const SYNTHETIC_MAX_RATE_HZ = 2000;

export interface SyntheticSettings {
  /** 1 … 64; labels are the first N of SYNTHETIC_LABELS. */
  channels: number;
  /** 125 … 2000 Hz. */
  sampleRateHz: number;
  /** Mains frequency: 50 (default) or 60 Hz; 0 for none. */
  lineFrequencyHz?: 50 | 60 | 0;
  /** Any integer; same seed, same signal. Default 1. */
  seed?: number;
  /** Start with eyes closed (posterior alpha on, no blinks). Default false. */
  eyesClosed?: boolean;
  /** Blinks per minute while the eyes are open; default 15, 0 for none. */
  blinksPerMinute?: number;
}

/** Throws InputError unless the settings are within the generator's range. */
export function validateSyntheticSettings(s: SyntheticSettings, where = 'synthetic'): void {
  if (!Number.isInteger(s.channels) || s.channels < 1 || s.channels > SYNTHETIC_MAX_CHANNELS) {
    throw new InputError(`channels must be an integer from 1 to ${SYNTHETIC_MAX_CHANNELS}, got ${s.channels}`, where);
  }
  if (!Number.isFinite(s.sampleRateHz) || s.sampleRateHz < SYNTHETIC_MIN_RATE_HZ || s.sampleRateHz > SYNTHETIC_MAX_RATE_HZ) {
    throw new InputError(
      `sampleRateHz must be from ${SYNTHETIC_MIN_RATE_HZ} to ${SYNTHETIC_MAX_RATE_HZ} Hz, got ${s.sampleRateHz}`,
      where,
    );
  }
  const line = s.lineFrequencyHz ?? 50;
  if (line !== 0 && line !== 50 && line !== 60) throw new InputError(`lineFrequencyHz must be 50, 60 or 0, got ${line}`, where);
  if (s.seed !== undefined && !Number.isInteger(s.seed)) throw new InputError(`seed must be an integer, got ${s.seed}`, where);
  const bpm = s.blinksPerMinute ?? 15;
  if (!Number.isFinite(bpm) || bpm < 0 || bpm > 120) throw new InputError(`blinksPerMinute must be from 0 to 120, got ${bpm}`, where);
}

/** sfc32: small, fast, good-quality 32-bit PRNG; state in a typed array so stepping never allocates. */
export class Prng {
  private readonly s = new Uint32Array(4);
  constructor(seed: number) {
    // splitmix32 expands the seed into the four state words.
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    for (let i = 0; i < 12; i++) this.uint32();
  }
  uint32(): number {
    const s = this.s;
    const t = (((s[0] + s[1]) >>> 0) + s[3]) >>> 0;
    s[3] = (s[3] + 1) >>> 0;
    s[0] = s[1] ^ (s[1] >>> 9);
    s[1] = (s[2] + (s[2] << 3)) >>> 0;
    s[2] = ((s[2] << 21) | (s[2] >>> 11)) >>> 0;
    s[2] = (s[2] + t) >>> 0;
    return t;
  }
  /** Uniform in (0, 1). */
  uniform(): number {
    return (this.uint32() + 0.5) / 4294967296;
  }
}

// Region weights by label prefix (how strongly a site sees alpha / blinks).
function alphaWeight(label: string): number {
  if (/^(O|Iz|PO)/.test(label)) return 1;
  if (/^P/.test(label)) return 0.7;
  if (/^(CP|TP)/.test(label)) return 0.4;
  if (/^(C|T)/.test(label)) return 0.2;
  return 0.08;
}
function blinkWeight(label: string): number {
  if (/^Fp/.test(label)) return 1;
  if (/^AF/.test(label)) return 0.7;
  if (/^F[0-9z]/.test(label)) return 0.4;
  if (/^F[CT]/.test(label)) return 0.15;
  return 0.03;
}

// Pink (1/f) noise: Paul Kellet's filter bank of six one-pole sections plus a direct term, applied
// to Gaussian white noise. Poles are in units of the sample rate, so the −10 dB/decade slope holds
// from ≈ 2·10⁻⁴·fs up to Nyquist (0.05–125 Hz at 250 Hz). BACKGROUND_UV puts it near 10 µV RMS (≈ 10 µV²/Hz at 2 Hz, ≈ 1 at 10 Hz).
const P0 = 0.99886, P1 = 0.99332, P2 = 0.969, P3 = 0.8665, P4 = 0.55, P5 = -0.7616;
const G0 = 0.0555179, G1 = 0.0750759, G2 = 0.153852, G3 = 0.3104856, G4 = 0.5329522, G5 = -0.016898;
const PINK_DIRECT = 0.5362;
const PINK_LAST = 0.115926;
const PINK_STATE = 7;
const BACKGROUND_UV = 4;
/** Amplifier noise floor (white), µV RMS. */
const WHITE_UV = 0.5;
const ALPHA_HZ = 10;
/** Alpha amplitude at occipital sites with eyes closed, µV (peak). */
const ALPHA_UV = 20;
/** Eyes open/closed transitions ramp over this long (alpha blocking is not instantaneous). */
const ALPHA_RAMP_S = 0.3;
const BLINK_DURATION_S = 0.35;
const BLINK_MIN_GAP_S = 1.0;

/** Pure seeded EEG-like generator. */
export class SyntheticGenerator {
  readonly channels: number;
  readonly sampleRateHz: number;
  readonly lineFrequencyHz: number;
  readonly labels: readonly string[];
  private readonly rng: Prng;
  private readonly eventRng: Prng;
  private readonly pink: Float64Array;
  private readonly alphaCos: Float64Array;
  private readonly alphaSin: Float64Array;
  private readonly lineAmp: Float64Array;
  private readonly blinkAmp: Float64Array;
  private readonly blinksPerSecond: number;
  private readonly alphaEnvPhase: number;
  private index = 0;
  private closed: boolean;
  private alphaGain: number;
  private nextBlinkAt: number;
  private blinkStart = -1;
  private blinkPeakUv = 0;
  private spareGauss = 0;
  private hasSpare = false;

  constructor(settings: SyntheticSettings) {
    validateSyntheticSettings(settings, 'SyntheticGenerator');
    const ch = settings.channels;
    const fs = settings.sampleRateHz;
    this.channels = ch;
    this.sampleRateHz = fs;
    const line = settings.lineFrequencyHz ?? 50;
    this.lineFrequencyHz = line > 0 && line < fs / 2 ? line : 0;
    this.labels = SYNTHETIC_LABELS.slice(0, ch);
    const seed = settings.seed ?? 1;
    this.rng = new Prng(seed);
    this.eventRng = new Prng(seed ^ 0x5bd1e995);
    this.pink = new Float64Array(ch * PINK_STATE);
    this.alphaCos = new Float64Array(ch);
    this.alphaSin = new Float64Array(ch);
    this.lineAmp = new Float64Array(ch);
    this.blinkAmp = new Float64Array(ch);
    for (let c = 0; c < ch; c++) {
      const label = this.labels[c];
      // Alpha is fairly coherent over the posterior scalp: small per-site phase lags, per-site amplitude.
      const amp = ALPHA_UV * alphaWeight(label) * (0.8 + 0.4 * this.eventRng.uniform());
      const phase = 0.6 * (this.eventRng.uniform() - 0.5);
      this.alphaCos[c] = amp * Math.cos(phase);
      this.alphaSin[c] = amp * Math.sin(phase);
      // Mains pick-up is common-mode with electrode-dependent amplitude (impedance): 2–8 µV.
      this.lineAmp[c] = 2 + 6 * this.eventRng.uniform();
      this.blinkAmp[c] = blinkWeight(label);
    }
    this.alphaEnvPhase = 2 * Math.PI * this.eventRng.uniform();
    this.blinksPerSecond = (settings.blinksPerMinute ?? 15) / 60;
    this.closed = settings.eyesClosed ?? false;
    this.alphaGain = this.closed ? 1 : 0;
    this.nextBlinkAt = this.drawNextBlink(0);
    // Let the slowest pink-noise section settle so the first second is not quieter than the rest.
    const warm = new Float32Array(ch * 64);
    for (let k = 0; k < Math.ceil(fs * 4 / 64); k++) this.background(warm, 64);
  }

  /** Frames generated so far (index of the next frame). */
  get sampleIndex(): number {
    return this.index;
  }

  get eyesClosed(): boolean {
    return this.closed;
  }

  /** Switches eyes closed/open from the next frame on (alpha ramps over 0.3 s; blinks stop while closed). */
  setEyesClosed(closed: boolean): void {
    if (closed === this.closed) return;
    this.closed = closed;
    if (!closed) this.nextBlinkAt = this.drawNextBlink(this.index);
  }

  /** HOT PATH (no allocation). Writes `frames` frames, frame-major, in µV, into outSamples. */
  next(frames: number, outSamples: Float32Array): void {
    const ch = this.channels;
    if (!Number.isInteger(frames) || frames < 0) throw new RangeError(`next: frames must be a non-negative integer, got ${frames}`);
    if (outSamples.length < frames * ch) throw new RangeError(`next: ${frames} frames need ${frames * ch} samples, got ${outSamples.length}`);
    this.background(outSamples, frames);
    const fs = this.sampleRateHz;
    const dt = 1 / fs;
    const alphaStep = dt / ALPHA_RAMP_S;
    const target = this.closed ? 1 : 0;
    const blinkLen = Math.round(BLINK_DURATION_S * fs);
    const twoPi = 2 * Math.PI;
    const line = this.lineFrequencyHz;
    for (let f = 0; f < frames; f++) {
      const n = this.index + f;
      const t = n * dt;
      // Alpha: 10 Hz carrier, amplitude waxing and waning (≈ 0.15 Hz), faded in/out with the eyes.
      if (this.alphaGain !== target) {
        this.alphaGain = target > this.alphaGain ? Math.min(1, this.alphaGain + alphaStep) : Math.max(0, this.alphaGain - alphaStep);
      }
      const base = f * ch;
      if (this.alphaGain > 0) {
        const env = this.alphaGain * (0.7 + 0.3 * Math.sin(twoPi * 0.15 * t + this.alphaEnvPhase));
        const s = Math.sin(twoPi * ALPHA_HZ * t) * env;
        const co = Math.cos(twoPi * ALPHA_HZ * t) * env;
        for (let c = 0; c < ch; c++) outSamples[base + c] += s * this.alphaCos[c] + co * this.alphaSin[c];
      }
      if (line > 0) {
        const w = twoPi * line * t;
        const l1 = Math.sin(w);
        const l3 = 3 * line < fs / 2 ? 0.15 * Math.sin(3 * w) : 0;
        for (let c = 0; c < ch; c++) outSamples[base + c] += this.lineAmp[c] * (l1 + l3);
      }
      // Blinks: a 350 ms positive bump on frontal sites, Poisson-like onsets at least 1 s apart.
      if (this.blinkStart < 0 && n >= this.nextBlinkAt && !this.closed && this.blinksPerSecond > 0) {
        this.blinkStart = n;
        this.blinkPeakUv = 80 + 70 * this.eventRng.uniform();
      }
      if (this.blinkStart >= 0) {
        const k = n - this.blinkStart;
        if (k >= blinkLen) {
          this.blinkStart = -1;
          this.nextBlinkAt = this.drawNextBlink(n);
        } else {
          // Raised-cosine bump, slightly skewed (fast lid closure, slower reopening).
          const x = k / blinkLen;
          const shape = Math.sin(Math.PI * Math.sqrt(x));
          const v = this.blinkPeakUv * shape * shape;
          for (let c = 0; c < ch; c++) outSamples[base + c] += v * this.blinkAmp[c];
        }
      }
    }
    this.index += frames;
  }

  private drawNextBlink(from: number): number {
    if (this.blinksPerSecond <= 0) return Number.POSITIVE_INFINITY;
    const fs = this.sampleRateHz;
    const meanGap = 1 / this.blinksPerSecond;
    const gapS = BLINK_MIN_GAP_S + Math.max(0, meanGap - BLINK_MIN_GAP_S) * -Math.log(this.eventRng.uniform());
    return from + Math.round(gapS * fs);
  }

  /** Standard normal deviate (Marsaglia polar method, pairs cached). */
  private gauss(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spareGauss;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.rng.uniform() - 1;
      v = 2 * this.rng.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareGauss = v * m;
    this.hasSpare = true;
    return u * m;
  }

  /** Overwrites out[0 .. frames·ch) with pink background + white floor. */
  private background(out: Float32Array, frames: number): void {
    const ch = this.channels;
    const st = this.pink;
    for (let f = 0; f < frames; f++) {
      for (let c = 0; c < ch; c++) {
        const w = this.gauss();
        const o = c * PINK_STATE;
        const b0 = (st[o] = P0 * st[o] + w * G0);
        const b1 = (st[o + 1] = P1 * st[o + 1] + w * G1);
        const b2 = (st[o + 2] = P2 * st[o + 2] + w * G2);
        const b3 = (st[o + 3] = P3 * st[o + 3] + w * G3);
        const b4 = (st[o + 4] = P4 * st[o + 4] + w * G4);
        const b5 = (st[o + 5] = P5 * st[o + 5] + w * G5);
        const pink = b0 + b1 + b2 + b3 + b4 + b5 + st[o + 6] + w * PINK_DIRECT;
        st[o + 6] = w * PINK_LAST;
        out[f * ch + c] = BACKGROUND_UV * pink + WHITE_UV * this.gauss();
      }
    }
  }
}
