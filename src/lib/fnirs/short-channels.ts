// Short-separation regression: long channels lose the part of their signal explained by scalp-only
// (short, < 1.5 cm by default) channels, as MNE-NIRS `short_channel_regression` (Scholkmann et al.
// 2014, eq. 26–27: y = l − (s·l / s·s)·s), offline, and a running estimate for live use.
// Runs anywhere (any thread, Node). `shortChannelRegression` is offline (allocates, CHANNEL-MAJOR);
// `RunningShortChannelRegression.process` is a HOT PATH on FRAME-MAJOR chunks (no allocation).
import { InputError } from '../core/errors';
import { parseNirsChannel, type NirsChannel } from './channels';

export interface ShortChannelOptions {
  /** Channels with a source–detector distance under this are short, m; default 0.015 (1.5 cm). */
  maxShortDistanceM?: number;
  /**
   * 'nearest' (default; MNE-NIRS): the short channel of the same wavelength or chromophore whose
   * midpoint is nearest the long channel's; 'mean': the mean of all short channels of that kind.
   */
  method?: 'nearest' | 'mean';
  /** Channel midpoints [x, y, z] m (`channelMidpoints`); needed for 'nearest'. */
  midpointsM?: readonly (readonly number[])[];
}

export interface ShortChannelPlan {
  /** Per channel: 'long' (regressed), 'short' (a regressor, passed through), or 'other' (exactly at the limit: passed through, as MNE-NIRS). */
  role: ('long' | 'short' | 'other')[];
  /** Per long channel, the short channels whose mean is its regressor (one for 'nearest'); [] for others. */
  regressors: number[][];
}

const kindKey = (ch: NirsChannel, i: number): string => {
  const p = parseNirsChannel(ch);
  if (!p) throw new InputError(`channel ${i} "${ch.label}" is not an fNIRS channel`, 'short-channel regression');
  return String(p.kind);
};

/**
 * Which channels are long and short and what each long channel is regressed on. MNE-NIRS picks the
 * nearest short channel of any wavelength (the first listed on a tie, so an 850 nm long channel can
 * be regressed on a 760 nm short one); here it is the nearest of the same wavelength or chromophore.
 */
export function planShortChannelRegression(channels: readonly NirsChannel[], distancesM: ArrayLike<number> | undefined, o: ShortChannelOptions = {}): ShortChannelPlan {
  const where = 'short-channel regression';
  const C = channels.length;
  if (!distancesM || distancesM.length !== C) throw new InputError(`need one source–detector distance per channel (${C}), got ${distancesM?.length ?? 'none'}: the probe has no positions; give distances in metres`, where);
  const limit = o.maxShortDistanceM ?? 0.015;
  const method = o.method ?? 'nearest';
  const role = Array.from(distancesM, (d, i) => {
    if (!(d > 0 && d < 1)) throw new InputError(`channel ${i} "${channels[i].label}": distance ${d} m is not plausible (expected metres, 0–1)`, where);
    return d < limit ? 'short' : d > limit ? 'long' : 'other';
  }) as ShortChannelPlan['role'];
  const kinds = channels.map(kindKey);
  if (!role.includes('short')) throw new InputError(`no short channels (none under ${limit * 100} cm): nothing to regress on`, where);
  if (!role.includes('long')) throw new InputError(`no long channels (none over ${limit * 100} cm)`, where);
  if (method === 'nearest' && (!o.midpointsM || o.midpointsM.length !== C)) throw new InputError('nearest-short-channel regression needs channel midpoints (channelMidpoints of the probe), or use method "mean"', where);
  const regressors = channels.map((_, c) => {
    if (role[c] !== 'long') return [];
    const shorts = kinds.flatMap((k, s) => (role[s] === 'short' && k === kinds[c] ? [s] : []));
    if (shorts.length === 0) throw new InputError(`no short channel of kind ${kinds[c]} for long channel ${c} "${channels[c].label}"`, where);
    if (method === 'mean') return shorts;
    const mc = o.midpointsM![c];
    let best = shorts[0];
    let bestD = Infinity;
    for (const s of shorts) {
      const ms = o.midpointsM![s];
      const dd = (ms[0] - mc[0]) ** 2 + (ms[1] - mc[1]) ** 2 + ((ms[2] ?? 0) - (mc[2] ?? 0)) ** 2;
      if (dd < bestD) {
        bestD = dd;
        best = s;
      }
    }
    return [best];
  });
  return { role, regressors };
}

export interface ShortChannelResult {
  /** CHANNEL-MAJOR, same channels as the input; long channels corrected. */
  data: Float64Array;
  plan: ShortChannelPlan;
  /** Per channel, the regression coefficient s·l / s·s (0 for short and other channels). */
  coefficients: Float64Array;
}

/** Mean of the regressor channels at sample t (CHANNEL-MAJOR input). */
function regressorAt(x: ArrayLike<number>, n: number, shorts: readonly number[], t: number): number {
  let s = 0;
  for (const k of shorts) s += x[k * n + t];
  return s / shorts.length;
}

/**
 * Offline regression (MNE-NIRS): every long channel l becomes l − (s·l / s·s)·s, s its short regressor
 * (neither demeaned, as MNE-NIRS: run it on optical density or haemoglobin changes).
 */
export function shortChannelRegression(x: ArrayLike<number>, channels: readonly NirsChannel[], sampleCount: number, distancesM: ArrayLike<number> | undefined, o: ShortChannelOptions = {}): ShortChannelResult {
  const C = channels.length;
  const n = sampleCount;
  if (x.length !== C * n) throw new InputError(`expected ${C} × ${n} values, got ${x.length}`, 'short-channel regression');
  const plan = planShortChannelRegression(channels, distancesM, o);
  const data = Float64Array.from(x);
  const coefficients = new Float64Array(C);
  const s = new Float64Array(n);
  for (let c = 0; c < C; c++) {
    const shorts = plan.regressors[c];
    if (shorts.length === 0) continue;
    let sl = 0;
    let ss = 0;
    for (let t = 0; t < n; t++) {
      s[t] = regressorAt(x, n, shorts, t);
      sl += s[t] * x[c * n + t];
      ss += s[t] * s[t];
    }
    const a = ss > 0 ? sl / ss : 0;
    coefficients[c] = a;
    for (let t = 0; t < n; t++) data[c * n + t] = x[c * n + t] - a * s[t];
  }
  return { data, plan, coefficients };
}

export interface RunningShortChannelOptions extends ShortChannelOptions {
  sampleRateHz: number;
  /** Memory of the running estimate, s: weights decay as exp(−age/τ); default 60. Infinity = all data so far. */
  timeConstantSeconds?: number;
}

/**
 * Running short-separation regression for live data. The coefficient of each long channel is
 * a(t) = S_sl(t) / S_ss(t) with exponentially weighted sums S_sl(t) = λ·S_sl(t−1) + s(t)·l(t),
 * S_ss likewise, λ = exp(−1/(τ·fs)), and the output is l(t) − a(t)·s(t) (a from data up to and
 * including t). For one regressor this is exactly recursive least squares with forgetting factor λ,
 * written as weighted covariances because that needs two numbers per channel, no matrix, no
 * per-sample division beyond one, and is chunk-invariant; with τ = Infinity the coefficient at the
 * last sample equals the offline `shortChannelRegression` coefficient on the same data.
 */
export class RunningShortChannelRegression {
  readonly plan: ShortChannelPlan;
  readonly channelCount: number;
  private readonly lambda: number;
  private readonly sl: Float64Array;
  private readonly ss: Float64Array;
  private readonly longs: Int32Array;
  private readonly shorts: Int32Array[];

  constructor(channels: readonly NirsChannel[], distancesM: ArrayLike<number> | undefined, o: RunningShortChannelOptions) {
    if (!(o.sampleRateHz > 0)) throw new InputError(`sample rate must be positive, got ${o.sampleRateHz}`, 'running short-channel regression');
    const tau = o.timeConstantSeconds ?? 60;
    if (!(tau > 0)) throw new InputError(`time constant must be positive (s), got ${tau}`, 'running short-channel regression');
    this.plan = planShortChannelRegression(channels, distancesM, o);
    this.channelCount = channels.length;
    this.lambda = Number.isFinite(tau) ? Math.exp(-1 / (tau * o.sampleRateHz)) : 1;
    this.longs = Int32Array.from(this.plan.role.flatMap((r, c) => (r === 'long' ? [c] : [])));
    this.shorts = Array.from(this.longs, (c) => Int32Array.from(this.plan.regressors[c]));
    this.sl = new Float64Array(this.longs.length);
    this.ss = new Float64Array(this.longs.length);
  }

  /** Current coefficient of each channel (0 for short and other channels). */
  get coefficients(): Float64Array {
    const out = new Float64Array(this.channelCount);
    this.longs.forEach((c, i) => (out[c] = this.ss[i] > 0 ? this.sl[i] / this.ss[i] : 0));
    return out;
  }

  /** Forget the estimate (a new recording or a change of montage). */
  reset(): void {
    this.sl.fill(0);
    this.ss.fill(0);
  }

  /**
   * HOT PATH (no allocation): `frames` FRAME-MAJOR frames of `input` → `output` (the same array only
   * if the caller owns it: never a ring's view, which holds what was recorded). A non-finite sample
   * passes through uncorrected and leaves the estimate untouched.
   */
  process(input: Float32Array | Float64Array, frames: number, output: Float32Array | Float64Array): void {
    const C = this.channelCount;
    if (input.length < frames * C || output.length < frames * C) throw new InputError(`${frames} frames of ${C} channels need ${frames * C} samples`, 'running short-channel regression');
    const lam = this.lambda;
    const L = this.longs.length;
    for (let f = 0; f < frames; f++) {
      const base = f * C;
      if (output !== input) for (let c = 0; c < C; c++) output[base + c] = input[base + c];
      for (let i = 0; i < L; i++) {
        const c = this.longs[i];
        const sh = this.shorts[i];
        let s = 0;
        for (let k = 0; k < sh.length; k++) s += input[base + sh[k]];
        s /= sh.length;
        const l = input[base + c];
        if (!Number.isFinite(s) || !Number.isFinite(l)) continue;
        this.sl[i] = lam * this.sl[i] + s * l;
        this.ss[i] = lam * this.ss[i] + s * s;
        const a = this.ss[i] > 0 ? this.sl[i] / this.ss[i] : 0;
        output[base + c] = l - a * s;
      }
    }
  }
}
