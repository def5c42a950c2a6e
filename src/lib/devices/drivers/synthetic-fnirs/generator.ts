// SyntheticFnirsGenerator: a pure, seeded continuous-wave fNIRS head. A row of 4 sources, 3 long
// detectors (3 cm) and one short detector per source (0.8 cm), two wavelengths; haemoglobin made of
// systemic physiology (cardiac ~1 Hz with heart-rate variability, respiration ~0.3 Hz, Mayer waves
// ~0.1 Hz, very-low-frequency oscillations 0.01–0.04 Hz; scalp and long channels alike), a canonical
// haemodynamic response (HbO up, HbR down) to task blocks on long channels only, and occasional motion
// spikes (some leaving a baseline shift), turned into raw intensities by the forward modified
// Beer–Lambert law (ppf 6), so that OD → Beer–Lambert recovers the haemoglobin.
// Runs in any thread (io worker, page, Node); no clock, no timers, no I/O. `next` is a HOT PATH: no
// allocation. Output depends only on the seed, the settings and the sample indices of setTask calls.
import { InputError } from '../../../core/errors';
import type { ChannelInfo, NirsProbe, StreamDescriptor } from '../../../core/stream';
import { extinctionCoefficients, spmHrf } from '../../../fnirs/index';
import { Prng } from '../synthetic/generator';

export const SYNTHETIC_FNIRS_STREAM_ID = 'synthetic-fnirs.nirs';
export const SYNTHETIC_FNIRS_MIN_RATE_HZ = 2;
export const SYNTHETIC_FNIRS_MAX_RATE_HZ = 50;

export interface SyntheticFnirsSettings {
  /** 2 … 50 Hz; default 10. */
  sampleRateHz?: number;
  /** Any integer; same seed, same signal. Default 1. */
  seed?: number;
  /** Two wavelengths, nm (650–950); default [760, 850]. */
  wavelengthsNm?: readonly [number, number];
  /** HbO change of a sustained task block on long channels, µM (HbR changes by −0.3 × this); default 0.5. */
  responseUm?: number;
  /** Motion artefacts per minute (Poisson); default 0.5, 0 for none. */
  motionPerMinute?: number;
  /** Task blocks known in advance, s from the first sample (live use: setTask instead). */
  taskBlocks?: readonly { onsetSeconds: number; durationSeconds: number }[];
}

/** Source, detector positions (m) and the channel pairs of the synthetic probe. */
const SOURCES_M = [0, 1, 2, 3].map((i) => [0.06 * i, 0, 0]);
const LONG_DETECTORS_M = [0, 1, 2].map((j) => [0.03 + 0.06 * j, 0, 0]);
const SHORT_DETECTORS_M = SOURCES_M.map(([x]) => [x, 0.008, 0]);
const DETECTORS_M = [...LONG_DETECTORS_M, ...SHORT_DETECTORS_M];
/** [source, detector] (1-based): S1–D1, S2–D1, S2–D2, S3–D2, S3–D3, S4–D3 long; Si–D(3+i) short. */
const PAIRS: readonly (readonly [number, number])[] = [
  [1, 1], [2, 1], [2, 2], [3, 2], [3, 3], [4, 3],
  [1, 4], [2, 5], [3, 6], [4, 7],
];
const PPF = 6;

/** The probe (positions in metres) of the synthetic device. */
export function syntheticFnirsProbe(wavelengthsNm: readonly [number, number] = [760, 850]): NirsProbe {
  return { wavelengthsNm: [...wavelengthsNm], sourcePositionsM: SOURCES_M.map((p) => [...p]), detectorPositionsM: DETECTORS_M.map((p) => [...p]), positions3d: false };
}

/** Channels pair-major: S1_D1 760, S1_D1 850, S2_D1 760, … (MNE-style labels, raw CW amplitude). */
export function syntheticFnirsChannels(wavelengthsNm: readonly [number, number] = [760, 850]): ChannelInfo[] {
  return PAIRS.flatMap(([s, d]) => wavelengthsNm.map((nm) => ({ label: `S${s}_D${d} ${nm}`, unit: 'a.u.', type: 'NIRS_CW_AMPLITUDE', wavelengthNm: nm, sourceIndex: s, detectorIndex: d })));
}

/** The stream the generator produces for these settings. */
export function syntheticFnirsStreamDescriptor(settings: SyntheticFnirsSettings = {}): StreamDescriptor {
  validateSyntheticFnirsSettings(settings);
  return {
    id: SYNTHETIC_FNIRS_STREAM_ID, name: 'Synthetic fNIRS', kind: 'fnirs', sampleRateHz: settings.sampleRateHz ?? 10,
    channels: syntheticFnirsChannels(settings.wavelengthsNm), probe: syntheticFnirsProbe(settings.wavelengthsNm),
  };
}

/** Throws InputError unless the settings are within the generator's range. */
export function validateSyntheticFnirsSettings(s: SyntheticFnirsSettings, where = 'synthetic fNIRS'): void {
  const fs = s.sampleRateHz ?? 10;
  if (!(fs >= SYNTHETIC_FNIRS_MIN_RATE_HZ && fs <= SYNTHETIC_FNIRS_MAX_RATE_HZ)) throw new InputError(`sampleRateHz must be from ${SYNTHETIC_FNIRS_MIN_RATE_HZ} to ${SYNTHETIC_FNIRS_MAX_RATE_HZ} Hz, got ${fs}`, where);
  if (s.seed !== undefined && !Number.isInteger(s.seed)) throw new InputError(`seed must be an integer, got ${s.seed}`, where);
  const wl = s.wavelengthsNm ?? [760, 850];
  if (wl.length !== 2 || !wl.every((nm) => nm >= 650 && nm <= 950) || wl[0] === wl[1]) throw new InputError(`wavelengthsNm must be two different wavelengths from 650 to 950 nm, got ${wl.join(', ')}`, where);
  const r = s.responseUm ?? 0.5;
  if (!(r >= 0 && r <= 10)) throw new InputError(`responseUm must be from 0 to 10 µM, got ${r}`, where);
  const m = s.motionPerMinute ?? 0.5;
  if (!(m >= 0 && m <= 30)) throw new InputError(`motionPerMinute must be from 0 to 30, got ${m}`, where);
  for (const b of s.taskBlocks ?? []) if (!(b.onsetSeconds >= 0 && b.durationSeconds > 0)) throw new InputError('task blocks need an onset ≥ 0 s and a duration > 0 s', where);
}

/** Standard normal deviate (Box–Muller, one value per call; at ≤ 50 Hz speed does not matter). */
function gauss(rng: Prng): number {
  return Math.sqrt(-2 * Math.log(rng.uniform())) * Math.cos(2 * Math.PI * rng.uniform());
}

// Systemic amplitudes in the scalp (short channels), µM of HbO; HbR moves by HBR_SYSTEMIC × these.
const CARDIAC_UM = 0.25;
const RESPIRATION_UM = 0.3;
const MAYER_UM = 0.5;
const VLF_UM = 0.4;
const HBR_SYSTEMIC = -0.35;
/**
 * The cardiac pulse is a blood-volume pulse: HbR rises with HbO (arterial blood, mostly oxygenated),
 * so both wavelengths see it in phase and a well-coupled channel scores a high SCI, as on a real head.
 */
const HBR_CARDIAC = 0.3;
/** Long channels see this share of the scalp's systemic signal (plus the brain). */
const LONG_SYSTEMIC_GAIN = 0.7;
/** Share of each source region's systemic signal that is its own (the rest is common to the head). */
const LOCAL_SHARE = 0.25;
/** Optical-density noise (white), per channel kind. */
const OD_NOISE_LONG = 0.002;
const OD_NOISE_SHORT = 0.001;
const HBR_RESPONSE = -0.3;
const MAX_TRANSITIONS = 64;

/** Pure seeded fNIRS generator (see the module header). */
export class SyntheticFnirsGenerator {
  readonly sampleRateHz: number;
  readonly channels: ChannelInfo[];
  readonly probe: NirsProbe;
  readonly stream: StreamDescriptor;
  /** Per channel: true for the 3 cm channels, false for the 0.8 cm ones. */
  readonly isLong: boolean[];
  private readonly rng: Prng;
  private readonly eventRng: Prng;
  private readonly responseM: number;
  private readonly motionPerSample: number;
  /** Forward Beer–Lambert per channel: OD = (eHbO·HbO + eHbR·HbR) · 1e3 (HbO, HbR in M). */
  private readonly eHbO: Float64Array;
  private readonly eHbR: Float64Array;
  private readonly baseIntensity: Float64Array;
  private readonly pairSource: Int32Array;
  /** Cumulative sum of the canonical HRF at the sample rate (the response to a unit step). */
  private readonly step: Float64Array;
  /** Task on/off transitions still inside the kernel: sample index and sign, in a ring. */
  private readonly transitionAt = new Float64Array(MAX_TRANSITIONS);
  private readonly transitionSign = new Float64Array(MAX_TRANSITIONS);
  private transitions = 0;
  private settled = 0;
  private taskOn = false;
  private readonly blocks: { on: number; off: number }[];
  private readonly vlf: { f: number; phase: number }[][];
  private readonly localPhase: Float64Array;
  private cardiacPhase = 0;
  private motionUntil = -1;
  private motionStart = 0;
  private motionDepth = 0;
  private motionShift = 0;
  private motionSource = 0;
  private nextMotionAt: number;
  private readonly shift: Float64Array;
  private index = 0;

  constructor(settings: SyntheticFnirsSettings = {}) {
    validateSyntheticFnirsSettings(settings, 'SyntheticFnirsGenerator');
    const fs = (this.sampleRateHz = settings.sampleRateHz ?? 10);
    const wl = settings.wavelengthsNm ?? [760, 850];
    this.channels = syntheticFnirsChannels(wl);
    this.probe = syntheticFnirsProbe(wl);
    this.stream = syntheticFnirsStreamDescriptor(settings);
    const seed = settings.seed ?? 1;
    this.rng = new Prng(seed);
    this.eventRng = new Prng(seed ^ 0x27d4eb2f);
    this.responseM = (settings.responseUm ?? 0.5) * 1e-6;
    this.motionPerSample = (settings.motionPerMinute ?? 0.5) / 60 / fs;
    const C = this.channels.length;
    this.eHbO = new Float64Array(C);
    this.eHbR = new Float64Array(C);
    this.baseIntensity = new Float64Array(C);
    this.pairSource = new Int32Array(C);
    this.isLong = this.channels.map((ch) => ch.detectorIndex! <= LONG_DETECTORS_M.length);
    this.channels.forEach((ch, c) => {
      const s = SOURCES_M[ch.sourceIndex! - 1];
      const d = DETECTORS_M[ch.detectorIndex! - 1];
      const dist = Math.hypot(s[0] - d[0], s[1] - d[1], s[2] - d[2]);
      const [hbo, hbr] = extinctionCoefficients(ch.wavelengthNm!);
      this.eHbO[c] = hbo * 0.2303 * dist * PPF;
      this.eHbR[c] = hbr * 0.2303 * dist * PPF;
      // Light falls off steeply with distance: short channels see far more of it.
      this.baseIntensity[c] = (this.isLong[c] ? 2500 : 30000) * (0.8 + 0.4 * this.eventRng.uniform());
      this.pairSource[c] = ch.sourceIndex! - 1;
    });
    this.step = spmHrf(1 / fs, 1);
    for (let i = 1; i < this.step.length; i++) this.step[i] += this.step[i - 1];
    this.blocks = (settings.taskBlocks ?? []).map((b) => ({ on: Math.round(b.onsetSeconds * fs), off: Math.round((b.onsetSeconds + b.durationSeconds) * fs) }));
    // Very-low-frequency oscillations: three sinusoids 0.01–0.04 Hz with random phases, per region + common.
    this.vlf = Array.from({ length: SOURCES_M.length + 1 }, () => Array.from({ length: 3 }, () => ({ f: 0.01 + 0.03 * this.eventRng.uniform(), phase: 2 * Math.PI * this.eventRng.uniform() })));
    this.localPhase = Float64Array.from(SOURCES_M, () => 2 * Math.PI * this.eventRng.uniform());
    this.shift = new Float64Array(C);
    this.nextMotionAt = this.drawNextMotion(0);
  }

  /** Frames generated so far (index of the next frame). */
  get sampleIndex(): number {
    return this.index;
  }

  /** Whether the simulated subject is doing the task (set by setTask or the block schedule). */
  get task(): boolean {
    return this.taskOn;
  }

  /** Starts or stops the task from the next frame on (live use; a block schedule does this itself). */
  setTask(on: boolean): void {
    this.transition(on, this.index);
  }

  private transition(on: boolean, at: number): void {
    if (on === this.taskOn) return;
    this.taskOn = on;
    const k = this.transitions % MAX_TRANSITIONS;
    // The oldest transition leaves the ring long after its response settled (MAX_TRANSITIONS ≫ 2 per kernel length).
    if (this.transitions >= MAX_TRANSITIONS) this.settled += this.transitionSign[k];
    this.transitionAt[k] = at;
    this.transitionSign[k] = on ? 1 : -1;
    this.transitions++;
  }

  /** Task blocks of the schedule as GLM events (onset and duration in s from the first sample). */
  taskEvents(condition = 'task'): { condition: string; onsetSeconds: number; durationSeconds: number }[] {
    return this.blocks.map((b) => ({ condition, onsetSeconds: b.on / this.sampleRateHz, durationSeconds: (b.off - b.on) / this.sampleRateHz }));
  }

  /** Haemodynamic response (fraction of the sustained level) at sample n from the transitions so far. */
  private response(n: number): number {
    let r = this.settled;
    const kernel = this.step.length;
    const first = Math.max(0, this.transitions - MAX_TRANSITIONS);
    for (let i = first; i < this.transitions; i++) {
      const k = i % MAX_TRANSITIONS;
      const lag = n - this.transitionAt[k];
      if (lag >= 0) r += this.transitionSign[k] * this.step[Math.min(lag, kernel - 1)];
    }
    return r;
  }

  private drawNextMotion(from: number): number {
    if (this.motionPerSample <= 0) return Number.POSITIVE_INFINITY;
    return from + Math.max(1, Math.round(-Math.log(this.eventRng.uniform()) / this.motionPerSample));
  }

  /** HOT PATH (no allocation). Writes `frames` frames of raw intensity, frame-major, into outSamples. */
  next(frames: number, outSamples: Float32Array): void {
    const C = this.channels.length;
    if (!Number.isInteger(frames) || frames < 0) throw new RangeError(`next: frames must be a non-negative integer, got ${frames}`);
    if (outSamples.length < frames * C) throw new RangeError(`next: ${frames} frames need ${frames * C} samples, got ${outSamples.length}`);
    const fs = this.sampleRateHz;
    const twoPi = 2 * Math.PI;
    for (let f = 0; f < frames; f++) {
      const n = this.index + f;
      const t = n / fs;
      for (const b of this.blocks) {
        if (n === b.on) this.transition(true, n);
        if (n === b.off) this.transition(false, n);
      }
      // Heart rate 60–72 bpm, drifting with a 0.1 Hz (Mayer-coupled) and a slower modulation.
      const heartHz = 1.1 + 0.05 * Math.sin(twoPi * 0.1 * t) + 0.04 * Math.sin(twoPi * 0.013 * t);
      this.cardiacPhase += (twoPi * heartHz) / fs;
      const cardiac = Math.sin(this.cardiacPhase) + 0.4 * Math.sin(2 * this.cardiacPhase + 0.6);
      const resp = Math.sin(twoPi * 0.3 * t);
      const mayerEnv = 0.7 + 0.3 * Math.sin(twoPi * 0.007 * t);
      const commonCardiac = CARDIAC_UM * cardiac;
      const common = RESPIRATION_UM * resp + MAYER_UM * mayerEnv * Math.sin(twoPi * 0.1 * t) + VLF_UM * this.vlfAt(SOURCES_M.length, t);
      const resp01 = this.response(n);
      // Motion: a fast dip of light on one source's channels, recovering over ~1–3 s, sometimes leaving a shift.
      if (n >= this.nextMotionAt && this.motionUntil < n) {
        this.motionStart = n;
        this.motionUntil = n + Math.round((1 + 2 * this.eventRng.uniform()) * fs);
        this.motionDepth = 0.1 + 0.4 * this.eventRng.uniform();
        this.motionShift = this.eventRng.uniform() < 0.4 ? 0.02 + 0.08 * this.eventRng.uniform() : 0;
        this.motionSource = Math.floor(this.eventRng.uniform() * SOURCES_M.length);
        this.nextMotionAt = this.drawNextMotion(this.motionUntil);
      }
      let dip = 0;
      if (n <= this.motionUntil) {
        const x = (n - this.motionStart) / Math.max(1, this.motionUntil - this.motionStart);
        dip = this.motionDepth * Math.min(1, x * 6) * (1 - x);
        if (n === this.motionUntil && this.motionShift) {
          for (let c = 0; c < C; c++) if (this.pairSource[c] === this.motionSource) this.shift[c] += this.motionShift;
        }
      }
      const base = f * C;
      for (let c = 0; c < C; c++) {
        const src = this.pairSource[c];
        const localCardiac = CARDIAC_UM * 0.5 * Math.sin(this.cardiacPhase + this.localPhase[src]);
        const local = VLF_UM * this.vlfAt(src, t);
        const gain = (this.isLong[c] ? LONG_SYSTEMIC_GAIN : 1) * 1e-6;
        const systemicM = gain * ((1 - LOCAL_SHARE) * common + LOCAL_SHARE * local);
        const cardiacM = gain * ((1 - LOCAL_SHARE) * commonCardiac + LOCAL_SHARE * localCardiac);
        let hbo = systemicM + cardiacM;
        let hbr = HBR_SYSTEMIC * systemicM + HBR_CARDIAC * cardiacM;
        if (this.isLong[c]) {
          hbo += this.responseM * resp01;
          hbr += HBR_RESPONSE * this.responseM * resp01;
        }
        let od = (this.eHbO[c] * hbo + this.eHbR[c] * hbr) * 1e3;
        od += (this.isLong[c] ? OD_NOISE_LONG : OD_NOISE_SHORT) * gauss(this.rng);
        if (src === this.motionSource) od += -Math.log(1 - dip);
        od += this.shift[c];
        outSamples[base + c] = this.baseIntensity[c] * Math.exp(-od);
      }
    }
    this.index += frames;
  }

  private vlfAt(region: number, t: number): number {
    const comps = this.vlf[region];
    let v = 0;
    for (let i = 0; i < comps.length; i++) v += Math.sin(2 * Math.PI * comps[i].f * t + comps[i].phase) / comps.length;
    return v;
  }
}
