// Raw continuous-wave intensity → optical density → haemoglobin, as MNE-Python 1.3 does it:
// OD = −ln(|I| / mean |I|) per channel, then the modified Beer–Lambert law per source–detector pair
// ([HbO; HbR] = pinv(ε·0.2303·d·ppf) · OD · 1e-3, ε from Prahl's table, d in metres, M out).
// Runs anywhere (any thread, Node). Offline: allocates one output array per call. CHANNEL-MAJOR data.
import { InputError } from '../core/errors';
import { nirsPairs, type NirsChannel } from './channels';
import { dpfFromAge, extinctionCoefficients } from './extinction';

/**
 * MNE `optical_density`: OD = −ln(|I| / mean |I|) per channel (MNE takes |I| of negative intensities).
 * A zero intensity (where MNE would substitute another channel's minimum) is refused, naming the
 * channel and sample: run `intensityChecks` first and drop what it reports.
 */
export function opticalDensity(intensity: ArrayLike<number>, channelCount: number, sampleCount: number): Float64Array {
  if (intensity.length !== channelCount * sampleCount) throw new InputError(`expected ${channelCount} × ${sampleCount} intensities, got ${intensity.length}`, 'fnirs optical density');
  const out = new Float64Array(channelCount * sampleCount);
  for (let c = 0; c < channelCount; c++) {
    const o = c * sampleCount;
    let mean = 0;
    for (let t = 0; t < sampleCount; t++) mean += Math.abs(intensity[o + t]);
    mean /= sampleCount;
    if (!(mean > 0 && Number.isFinite(mean))) throw new InputError(`channel ${c} has no positive, finite intensity; drop it (intensityChecks reports such channels)`, 'fnirs optical density');
    for (let t = 0; t < sampleCount; t++) {
      const v = Math.abs(intensity[o + t]);
      if (!(v > 0)) throw new InputError(`channel ${c} has a ${v === 0 ? 'zero' : 'non-finite'} intensity at sample ${t}; drop the channel (intensityChecks reports such channels)`, 'fnirs optical density');
      out[o + t] = -Math.log(v / mean);
    }
  }
  return out;
}

/**
 * Partial pathlength factor: one number for every wavelength (MNE's `ppf`, default 6), one per
 * wavelength in nm (`{ 760: 6.1, 850: 5.2 }`), or from the subject's age (Scholkmann & Wolf 2013).
 */
export type PathlengthFactor = number | Readonly<Record<number, number>> | { ageYears: number };

function ppfAt(ppf: PathlengthFactor, nm: number, where: string): number {
  const v = typeof ppf === 'number' ? ppf : 'ageYears' in ppf ? dpfFromAge(nm, (ppf as { ageYears: number }).ageYears) : (ppf as Record<number, number>)[nm];
  if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new InputError(v === undefined ? `no partial pathlength factor for ${nm} nm` : `partial pathlength factor must be positive, got ${v} at ${nm} nm`, where);
  return v;
}

export interface HaemoglobinResult {
  /** CHANNEL-MAJOR [channel, sample] in M (mol/L). */
  data: Float64Array;
  /** "Sx_Dy hbo" / "Sx_Dy hbr". */
  labels: string[];
  /**
   * Input channel whose position each output channel takes: the pair's shortest wavelength → hbo,
   * the next → hbr. With two wavelengths per pair this is every channel in order (MNE's layout);
   * with more, the pair's further wavelength channels are consumed and left out.
   */
  inputChannels: number[];
}

/**
 * Modified Beer–Lambert law for two or more wavelengths per source–detector pair: MNE
 * `beer_lambert_law(od, ppf)` for two ([HbO; HbR] = (ε·0.2303·d·ppf)⁻¹ · [OD_λ1; OD_λ2] · 1e-3), its
 * least-squares generalisation (pinv of the W × 2 matrix) for more. `distancesM[c]` is channel c's
 * source–detector distance in metres (`sourceDetectorDistances`). Output in M.
 */
export function beerLambert(od: ArrayLike<number>, channels: readonly NirsChannel[], sampleCount: number, distancesM: ArrayLike<number> | undefined, ppf: PathlengthFactor = 6): HaemoglobinResult {
  const where = 'fnirs beer-lambert';
  const C = channels.length;
  if (od.length !== C * sampleCount) throw new InputError(`expected ${C} × ${sampleCount} values, got ${od.length}`, where);
  if (!distancesM || distancesM.length !== C) throw new InputError(`need one source–detector distance per channel (${C}), got ${distancesM?.length ?? 'none'}: the probe has no positions; give distances in metres`, where);
  const pairs = nirsPairs(channels, where);
  const keep = new Uint8Array(C);
  const hbAt = new Array<string>(C);
  const out = new Float64Array(C * sampleCount);
  for (const p of pairs) {
    const W = p.channels.length;
    if (W < 2) throw new InputError(`pair ${p.pair} has ${W} wavelengths; at least 2 are needed to separate HbO from HbR`, where);
    if (p.kinds.some((k) => typeof k !== 'number')) throw new InputError(`pair ${p.pair} is already haemoglobin (${p.kinds.join(', ')})`, where);
    const d = distancesM[p.channels[0]];
    if (!(d > 0 && d < 1)) throw new InputError(`pair ${p.pair}: source–detector distance ${d} m is not plausible (expected metres, 0–1)`, where);
    // E (W × 2, rows: wavelengths, columns: HbO, HbR); pinv(E) = (EᵀE)⁻¹Eᵀ, E having full column rank.
    const e = p.kinds.map((nm) => {
      const [hbo, hbr] = extinctionCoefficients(nm as number);
      const k = 0.2303 * d * ppfAt(ppf, nm as number, where);
      return [hbo * k, hbr * k];
    });
    let g00 = 0, g01 = 0, g11 = 0;
    for (const [a, b] of e) {
      g00 += a * a;
      g01 += a * b;
      g11 += b * b;
    }
    const det = g00 * g11 - g01 * g01;
    if (!(Math.abs(det) > 1e-12 * g00 * g11)) throw new InputError(`pair ${p.pair}: wavelengths ${p.kinds.join(' / ')} nm cannot separate HbO from HbR`, where);
    const pinv = e.map(([a, b]) => [(g11 * a - g01 * b) / det, (g00 * b - g01 * a) / det]);
    const [co, cr] = p.channels;
    const oo = co * sampleCount;
    const or = cr * sampleCount;
    if (W === 2) {
      // the common case, MNE's: a 2 × 2 inverse with its entries in locals
      const [[a0, b0], [a1, b1]] = pinv;
      for (let t = 0; t < sampleCount; t++) {
        const x = od[oo + t];
        const y = od[or + t];
        out[oo + t] = (a0 * x + a1 * y) * 1e-3;
        out[or + t] = (b0 * x + b1 * y) * 1e-3;
      }
    } else {
      for (let t = 0; t < sampleCount; t++) {
        let hbo = 0;
        let hbr = 0;
        for (let w = 0; w < W; w++) {
          const x = od[p.channels[w] * sampleCount + t];
          hbo += pinv[w][0] * x;
          hbr += pinv[w][1] * x;
        }
        out[oo + t] = hbo * 1e-3;
        out[or + t] = hbr * 1e-3;
      }
    }
    keep[co] = keep[cr] = 1;
    hbAt[co] = `${p.pair} hbo`;
    hbAt[cr] = `${p.pair} hbr`;
  }
  const inputChannels = Array.from({ length: C }, (_, c) => c).filter((c) => keep[c]);
  if (inputChannels.length === C) return { data: out, labels: hbAt, inputChannels };
  const data = new Float64Array(inputChannels.length * sampleCount);
  inputChannels.forEach((c, k) => data.set(out.subarray(c * sampleCount, (c + 1) * sampleCount), k * sampleCount));
  return { data, labels: inputChannels.map((c) => hbAt[c]), inputChannels };
}
