// fNIRS channel bookkeeping: which source–detector pair and wavelength (or chromophore) a channel
// is, the pairs of a montage, and source–detector distances and midpoints from the probe.
// Pure functions; runs anywhere (any thread, Node). Allocates; call once per montage, not per sample.
import { InputError } from '../core/errors';

/** What the fNIRS functions need to know about a channel (a core ChannelInfo fits). */
export interface NirsChannel {
  label: string;
  sourceIndex?: number;
  detectorIndex?: number;
  wavelengthNm?: number;
}

export type NirsKind = number | 'hbo' | 'hbr';

export interface ParsedNirsChannel {
  /** "S1_D2" */
  pair: string;
  source: number;
  detector: number;
  /** Wavelength in nm, or the chromophore after Beer–Lambert. */
  kind: NirsKind;
}

/** Source–detector pair and wavelength of a channel, from its fields or an MNE-style label "S1_D2 760". */
export function parseNirsChannel(ch: NirsChannel): ParsedNirsChannel | null {
  const m = /^S(\d+)_D(\d+)\s+(\d+(?:\.\d+)?|hbo|hbr)$/i.exec(ch.label.trim());
  const source = ch.sourceIndex ?? (m ? Number(m[1]) : NaN);
  const detector = ch.detectorIndex ?? (m ? Number(m[2]) : NaN);
  if (!(source >= 1 && detector >= 1)) return null;
  const tail = m?.[3].toLowerCase();
  const kind: NirsKind | undefined = ch.wavelengthNm ?? (tail === 'hbo' || tail === 'hbr' ? tail : tail ? Number(tail) : undefined);
  if (kind === undefined) return null;
  return { pair: `S${source}_D${detector}`, source, detector, kind };
}

export interface NirsPair {
  pair: string;
  source: number;
  detector: number;
  /** Channel indices of the pair, sorted by wavelength (or hbo before hbr). */
  channels: number[];
  /** Their kinds, in the same order. */
  kinds: NirsKind[];
}

const kindOrder = (k: NirsKind): number => (k === 'hbo' ? -2 : k === 'hbr' ? -1 : k);

/**
 * The source–detector pairs of a montage in order of first appearance. Throws, naming the channel,
 * when a label is neither "Sx_Dy <nm>" nor "Sx_Dy hbo|hbr" and carries no source/detector/wavelength.
 */
export function nirsPairs(channels: readonly NirsChannel[], where = 'fnirs channels'): NirsPair[] {
  const byPair = new Map<string, NirsPair>();
  channels.forEach((ch, i) => {
    const p = parseNirsChannel(ch);
    if (!p) throw new InputError(`channel ${i} "${ch.label}" is not an fNIRS channel: give "Sx_Dy <wavelength>" (or hbo/hbr) labels or sourceIndex, detectorIndex and wavelengthNm`, where);
    let e = byPair.get(p.pair);
    if (!e) byPair.set(p.pair, (e = { pair: p.pair, source: p.source, detector: p.detector, channels: [], kinds: [] }));
    if (e.kinds.includes(p.kind)) throw new InputError(`pair ${p.pair} has ${typeof p.kind === 'number' ? `${p.kind} nm` : p.kind} twice (channels ${e.channels[e.kinds.indexOf(p.kind)]} and ${i})`, where);
    e.channels.push(i);
    e.kinds.push(p.kind);
  });
  const pairs = [...byPair.values()];
  for (const p of pairs) {
    const order = p.channels.map((c, k) => ({ c, k: p.kinds[k] })).sort((a, b) => kindOrder(a.k) - kindOrder(b.k));
    p.channels = order.map((o) => o.c);
    p.kinds = order.map((o) => o.k);
  }
  return pairs;
}

function probeOf(ch: NirsChannel, i: number, sourcePositionsM: readonly number[][], detectorPositionsM: readonly number[][]): [number[], number[]] {
  const p = parseNirsChannel(ch);
  const s = p ? sourcePositionsM[p.source - 1] : undefined;
  const d = p ? detectorPositionsM[p.detector - 1] : undefined;
  if (!s || !d) {
    const what = !p ? 'no source/detector' : !s ? `no position for source ${p.source}` : `no position for detector ${p.detector}`;
    throw new InputError(`channel ${i} "${ch.label}": ${what} in the probe; the file needs sourcePos2D/3D and detectorPos2D/3D, or give the distances yourself`, 'fnirs probe');
  }
  return [s, d];
}

/** Euclidean source–detector distance of each channel from probe positions (metres in, metres out). */
export function sourceDetectorDistances(channels: readonly NirsChannel[], sourcePositionsM: readonly number[][], detectorPositionsM: readonly number[][]): Float64Array {
  return Float64Array.from(channels, (ch, i) => {
    const [s, d] = probeOf(ch, i, sourcePositionsM, detectorPositionsM);
    let acc = 0;
    for (let k = 0; k < Math.max(s.length, d.length); k++) acc += ((s[k] ?? 0) - (d[k] ?? 0)) ** 2;
    return Math.sqrt(acc);
  });
}

/** Midpoint between source and detector of each channel ([x, y, z] m; MNE's channel location). */
export function channelMidpoints(channels: readonly NirsChannel[], sourcePositionsM: readonly number[][], detectorPositionsM: readonly number[][]): number[][] {
  return channels.map((ch, i) => {
    const [s, d] = probeOf(ch, i, sourcePositionsM, detectorPositionsM);
    return [0, 1, 2].map((k) => ((s[k] ?? 0) + (d[k] ?? 0)) / 2);
  });
}
