// fNIRS node classes over the library in ../../fnirs (docs/fnirs.md): optical density and modified
// Beer–Lambert (live and offline), scalp coupling index over sliding windows (live), TDDR, spline
// motion correction, short-channel regression (running live, whole offline), block averages and the
// GLM (offline). Engine worker / Node. The numerics are the library's; these classes only move chunks
// (time × space) to and from its CHANNEL-MAJOR layout. Channel metadata rides on the space axis as the
// SNIRF reader gives it: wavelengthNm, sourceIndex/detectorIndex per channel and the probe
// (`SpaceAxis.probe`, source/detector positions in m) for distances and midpoints.
import { InputError } from '../../core/errors';
import type { ChannelInfo, MarkerEvent } from '../../core/stream';
import { transposeInto } from '../../dsp/layout';
import {
  beerLambert,
  blockAverage,
  channelMidpoints,
  designMatrix,
  detectMotionArtifacts,
  fitGlm,
  frameTimes,
  glmContrast,
  opticalDensity,
  parseNirsChannel,
  RunningShortChannelRegression,
  scalpCouplingIndex,
  shortChannelRegression,
  sourceDetectorDistances,
  splineMotionCorrection,
  tddr,
  type CardiacBand,
  type GlmEvent,
  type NoiseModel,
  type PathlengthFactor,
} from '../../fnirs/index';
import { instanceAxis, MARKER, spaceAxis, statisticAxis, timeAxis, type Axis, type SpaceAxis, type TimeAxis } from '../axes';
import { axisIndex, describeAxes, findAxis, makeBlock, transposeBlock, type BlockData } from '../block';
import { chunkMatches, chunkProps, mapChunks, markersOf, StreamStates, withBlock, withProps, type Chunk, type ChunkQuery, type Packet } from '../packet';
import { chunkShape, mapShapes, sameAs, withShapeFlags, type ChunkShape } from '../shapes';
import type { NodeClass, NodeContext, NodeInstance, PortValues } from '../types';
import { alloc, Held, input, MARKERS, markerChunksFor, metaChunks, np, output, p, rateOf, Scratches } from './common';
import { FrameHistory } from './time';

/** What the fNIRS nodes work on: a continuous signal, time × space (one sample or more: live chunks). */
const NIRS: ChunkQuery = { onlySignals: true, withAxes: ['space'], withLongAxes: ['time'], withoutAxes: ['instance', 'frequency', 'feature'] };
const NIRS_HINT = 'fNIRS nodes take a continuous fNIRS signal (time × space), e.g. from ImportFile on a SNIRF file or a device stream';

/**
 * The chunks a node works on: NIRS chunks whose channels are all fNIRS ("Sx_Dy 760", "Sx_Dy hbo", or
 * source/detector/wavelength fields); a recording's other streams (a SNIRF file's aux) pass through.
 */
function isNirs(name: string, c: Chunk): boolean {
  if (!chunkMatches(name, c, NIRS)) return false;
  const s = findAxis(c.block, 'space');
  return !!s && s.channels.length > 0 && s.channels.every((ch) => parseNirsChannel(ch) !== null);
}

// ------------------------------------------------------------------------------- layout helpers

interface TimeSpace {
  /** CHANNEL-MAJOR [channel, sample], float64. */
  x: Float64Array;
  channels: readonly ChannelInfo[];
  n: number;
  space: SpaceAxis;
  time: TimeAxis;
  fs: number;
}

function requireTimeSpace(c: Chunk, who: string): void {
  if (c.block.axes.length !== 2 || axisIndex(c.block, 'time') < 0 || axisIndex(c.block, 'space') < 0)
    throw new InputError(`needs time × space (a continuous fNIRS signal), but the data has ${describeAxes(c.block.axes)}`, who);
}

/** A time × space chunk as the library's CHANNEL-MAJOR float64 (allocates). */
function channelMajor(c: Chunk, who: string): TimeSpace {
  requireTimeSpace(c, who);
  const fs = rateOf(c, who);
  const b = transposeBlock(c.block, [axisIndex(c.block, 'time'), axisIndex(c.block, 'space')]);
  const [n, C] = b.shape;
  const space = b.axes[1] as SpaceAxis;
  return { x: transposeInto(b.data, n, C, new Float64Array(C * n)), channels: space.channels, n, space, time: b.axes[0] as TimeAxis, fs };
}

/** CHANNEL-MAJOR values back into a time × space chunk of the input's float type (allocates). */
function fromChannelMajor(c: Chunk, t: TimeSpace, x: Float64Array, space: SpaceAxis = t.space): Chunk {
  const C = space.channels.length;
  const data = transposeInto(x, C, t.n, alloc(c.block.data, t.n * C) as Float32Array | Float64Array);
  return withBlock(c, makeBlock(data, [t.time, space]));
}

/** Time-first frame-major view of a time × space chunk (a view for the usual layout). */
function frames(c: Chunk, who: string): { x: BlockData; n: number; C: number; time: TimeAxis; space: SpaceAxis } {
  requireTimeSpace(c, who);
  const b = axisIndex(c.block, 'time') === 0 ? c.block : transposeBlock(c.block, [1, 0]);
  return { x: b.data, n: b.shape[0], C: b.shape[1], time: b.axes[0] as TimeAxis, space: b.axes[1] as SpaceAxis };
}

/** Source–detector distance per channel (m) from the space axis's probe, or a message saying what is missing. */
function distancesOf(space: SpaceAxis, who: string): Float64Array {
  const probe = space.probe;
  if (!probe || !probe.sourcePositionsM.length || !probe.detectorPositionsM.length)
    throw new InputError(
      'needs the probe geometry (source and detector positions) for the source–detector distances, and this stream has none: read a SNIRF file that has /nirs/probe sourcePos/detectorPos, or use a device whose descriptor gives its probe',
      who,
    );
  return sourceDetectorDistances(space.channels, probe.sourcePositionsM, probe.detectorPositionsM);
}

function midpointsOf(space: SpaceAxis): number[][] | undefined {
  const probe = space.probe;
  return probe ? channelMidpoints(space.channels, probe.sourcePositionsM, probe.detectorPositionsM) : undefined;
}

/** Marker events of the marker chunks for a node (port or packet), copied. */
function markerEvents(ctx: NodeContext, inputs: PortValues): MarkerEvent[] {
  return markerChunksFor(ctx, inputs).flatMap((m) => markersOf(m));
}

/**
 * The body of a node that needs the whole recording (TDDR, spline, offline regression, block average,
 * GLM): a non-streaming chunk is done at once; streaming pieces of an offline run are held and done at
 * the end of the input (flush); streaming pieces online are refused, saying why. Markers are collected
 * over the whole run (they arrive with the pieces that reach their time). `keepMarkers`: pass marker
 * chunks on (preprocessing nodes) or drop them (nodes whose output replaces the signal).
 */
function wholeRecording(ctx: NodeContext, who: string, run: (c: Chunk, name: string, markers: readonly MarkerEvent[]) => Chunk, keepMarkers: boolean): NodeInstance {
  const held = new Held();
  let markers: MarkerEvent[] = [];
  return {
    process(inputs) {
      markers = markers.concat(markerEvents(ctx, inputs));
      const out = mapChunks(inputs.data, (_name, c) => c.props.is_signal || c.props.has_markers, (c, name) => {
        if (c.props.has_markers && !c.props.is_signal) return keepMarkers ? c : undefined;
        if (!isNirs(name, c)) return c;
        if (!c.props.is_streaming) return run(c, name, markers);
        if (!ctx.offline)
          throw new InputError(`works on a whole recording and cannot run on a live stream (it has no end to work back from): run the pipeline offline (neurotab run, or ImportFile), or use the live nodes (OpticalDensity, BeerLambert, ScalpCouplingIndex, ShortChannelRegression)`, who);
        held.hold(name, c);
        return undefined;
      });
      return out?.size ? { data: out } : undefined;
    },
    flush() {
      if (!held.size) return undefined;
      const out = new Map<string, Chunk>();
      for (const [name, c] of held.take()) out.set(name, run({ block: c.block, props: withProps(c.props, { is_streaming: false }) }, name, markers));
      return { data: out as Packet };
    },
    reset() {
      held.clear();
      markers = [];
    },
  };
}

const nirsShape = (fn: (s: ChunkShape) => ChunkShape = (s) => s) => mapShapes('data', [NIRS], fn);

// ------------------------------------------------------------------------------- optical density

/** −ln(I / baseline) per channel; the baseline is the running mean of the first `baselineFrames` valid (positive, finite) samples. */
class RunningOpticalDensity {
  private readonly sum: Float64Array;
  private readonly count: Float64Array;
  private readonly last: Float64Array;
  constructor(
    private readonly C: number,
    private readonly baselineFrames: number,
  ) {
    this.sum = new Float64Array(C);
    this.count = new Float64Array(C);
    this.last = new Float64Array(C);
  }
  /** HOT PATH (no allocation). A sample ≤ 0 or not finite repeats its channel's previous OD (0 before any), never NaN. */
  process(x: BlockData, frames: number, out: BlockData): void {
    const C = this.C;
    for (let f = 0; f < frames; f++) {
      for (let c = 0; c < C; c++) {
        const v = x[f * C + c];
        if (v > 0 && v !== Infinity) {
          if (this.count[c] < this.baselineFrames) {
            this.sum[c] += v;
            this.count[c]++;
          }
          this.last[c] = -Math.log(v / (this.sum[c] / this.count[c]));
        }
        out[f * C + c] = this.last[c];
      }
    }
  }
}

export const opticalDensityNode: NodeClass = {
  type: 'fnirs.optical-density',
  package: 'fnirs',
  title: 'Optical density',
  version: '1.0.0',
  neuropype: np('IntensityToOpticalDensity', 'nirs'),
  doc: `Raw fNIRS intensity → optical density, OD = −ln(|I| / I₀) per channel (dimensionless).

- **in \`data\`**: continuous fNIRS intensity, time × space (any unit; channels keep their labels,
  wavelengths, sources/detectors and the probe). Other chunks pass through.
- **out \`data\`**: OD, same layout and float type; channel unit "OD", type "NIRS_OD".
- **baseline_seconds** (s, null): I₀. null = each channel's mean |I| over the whole data, as MNE's
  \`optical_density\` (a non-streaming chunk at once; an offline run's streaming pieces are held until the
  end); a zero or non-finite intensity is then refused naming channel and sample. A number = live: I₀ is
  the mean over each channel's first \`baseline_seconds\` (a running mean until then), chunk-invariant; a
  sample ≤ 0 or not finite repeats its channel's previous OD (never NaN; other channels untouched).
  Online with null, 10 s is used (logged once).`,
  inputs: [input('data', [NIRS], 'fNIRS intensity.', { hint: NIRS_HINT })],
  outputs: [output('data', sameAs('data'), 'Optical density; other chunks pass through.')],
  params: [p.float('baseline_seconds', null, 'I₀: null = whole-data mean (MNE, offline); seconds = mean of the first seconds (live).', { unit: 's', domain: [0.001, 1e6] })],
  create(params, ctx) {
    const who = ctx.nodeId;
    let baselineSeconds = params.baseline_seconds as number | null;
    if (baselineSeconds === null && !ctx.offline) {
      ctx.log(20, 'baseline_seconds is null (whole-data mean, offline only): online the baseline is the mean of the first 10 s');
      baselineSeconds = 10;
    }
    const relabel = new Map<SpaceAxis, SpaceAxis>();
    const odSpace = (s: SpaceAxis) => relabel.get(s) ?? relabel.set(s, { ...s, channels: s.channels.map((ch) => ({ ...ch, unit: 'OD', type: 'NIRS_OD' })) }).get(s)!;
    const whole = (c: Chunk): Chunk => {
      const t = channelMajor(c, who);
      return fromChannelMajor(c, t, opticalDensity(t.x, t.channels.length, t.n), odSpace(t.space));
    };
    if (baselineSeconds === null) return wholeRecording(ctx, who, whole, true);
    const seconds = baselineSeconds;
    const states = new StreamStates((c) => {
      const { C } = frames(c, who);
      return new RunningOpticalDensity(C, Math.max(1, Math.round(seconds * rateOf(c, who))));
    });
    const scratch = new Scratches();
    return {
      process(inputs) {
        const out = mapChunks(inputs.data, isNirs, (c, name) => {
          const f = frames(c, who);
          const y = scratch.get(name).like(f.x, f.x.length);
          states.get(name, c).process(f.x, f.n, y);
          return withBlock(c, makeBlock(y, [f.time, odSpace(f.space)]));
        });
        return out ? { data: out } : undefined;
      },
      reset: () => states.clear(),
    };
  },
};

// ------------------------------------------------------------------------------- modified Beer–Lambert

/** The library's OD → haemoglobin map as sparse rows (beerLambert of the identity: it is linear per sample). */
interface HbMap {
  space: SpaceAxis;
  /** Per output channel: input channel indices and weights. */
  rows: Int32Array[];
  weights: Float64Array[];
}

function haemoglobinMap(space: SpaceAxis, ppf: PathlengthFactor, scale: number, unit: string, who: string): HbMap {
  const C = space.channels.length;
  const identity = new Float64Array(C * C);
  for (let c = 0; c < C; c++) identity[c * C + c] = 1;
  const hb = beerLambert(identity, space.channels, C, distancesOf(space, who), ppf);
  const rows: Int32Array[] = [];
  const weights: Float64Array[] = [];
  for (let o = 0; o < hb.labels.length; o++) {
    const r: number[] = [];
    const w: number[] = [];
    for (let c = 0; c < C; c++) {
      const v = hb.data[o * C + c];
      if (v !== 0) {
        r.push(c);
        w.push(v * scale);
      }
    }
    rows.push(Int32Array.from(r));
    weights.push(Float64Array.from(w));
  }
  const channels: ChannelInfo[] = hb.labels.map((label, o) => {
    const src = space.channels[hb.inputChannels[o]];
    const hbo = label.endsWith('hbo');
    return { label, unit, type: hbo ? 'NIRS_HbO' : 'NIRS_HbR', sourceIndex: src.sourceIndex, detectorIndex: src.detectorIndex };
  });
  return { space: spaceAxis(channels, space.probe ? { probe: space.probe } : {}), rows, weights };
}

export const beerLambertNode: NodeClass = {
  type: 'fnirs.beer-lambert',
  package: 'fnirs',
  title: 'Beer–Lambert (MBLL)',
  version: '1.0.0',
  neuropype: np('EstimateConcentrations', 'nirs'),
  doc: `Optical density → HbO / HbR by the modified Beer–Lambert law (MNE's \`beer_lambert_law\`: per
source–detector pair, pinv(ε · 0.2303 · d · ppf) · OD; Prahl's extinction table). Linear per sample,
so live and offline give the same numbers at any chunking.

- **in \`data\`**: OD, time × space, two or more wavelengths per pair (channel wavelengthNm,
  sourceIndex, detectorIndex) and the probe on the space axis (source–detector distances d, m). No
  probe, one wavelength, or an implausible distance → an error saying what to give.
- **out \`data\`**: one channel per pair and chromophore, MNE's labels and order ("S1_D1 hbo" at the
  pair's shortest wavelength, "S1_D1 hbr" at the next; with 3+ wavelengths the extra channels are
  consumed), unit **unit**, type NIRS_HbO / NIRS_HbR, the probe kept.
- **ppf** (dimensionless, 6): partial pathlength factor for every wavelength, as MNE.
  **ppf_per_wavelength** ({nm: ppf}, null): per wavelength instead. **age_years** (years, null): DPF
  from age and wavelength (Scholkmann & Wolf 2013) instead.
- **unit**: "uM" (µmol/L, default) or "M" (mol/L, as MNE reports).`,
  inputs: [input('data', [NIRS], 'Optical density.', { hint: NIRS_HINT })],
  outputs: [output('data', sameAs('data'), 'Haemoglobin (HbO, HbR); other chunks pass through.')],
  params: [
    p.float('ppf', 6, 'Partial pathlength factor, every wavelength.', { domain: [0.01, 100] }),
    p.dict('ppf_per_wavelength', null, 'Partial pathlength factor per wavelength, {nm: ppf}; overrides ppf.'),
    p.float('age_years', null, 'DPF from age (Scholkmann & Wolf 2013); overrides ppf.', { unit: 'years', domain: [0, 120] }),
    p.enum('unit', 'uM', ['uM', 'M'], 'Output unit: µmol/L or mol/L.'),
  ],
  create(params, ctx) {
    const who = ctx.nodeId;
    const perNm = params.ppf_per_wavelength as Record<string, unknown> | null;
    if (perNm) for (const [k, v] of Object.entries(perNm)) if (!(Number(k) > 0) || !(typeof v === 'number' && v > 0)) throw new InputError(`ppf_per_wavelength needs {wavelength in nm: positive factor}, got "${k}": ${JSON.stringify(v)}`, who);
    const ppf: PathlengthFactor =
      params.age_years !== null ? { ageYears: params.age_years as number } : perNm ? Object.fromEntries(Object.entries(perNm).map(([k, v]) => [Number(k), v as number])) : (params.ppf as number);
    const unit = params.unit as string;
    const scale = unit === 'uM' ? 1e6 : 1;
    const maps = new StreamStates((c) => haemoglobinMap(frames(c, who).space, ppf, scale, unit, who));
    const scratch = new Scratches();
    return {
      process(inputs) {
        const out = mapChunks(inputs.data, isNirs, (c, name) => {
          const m = maps.get(name, c);
          const f = frames(c, who);
          const O = m.rows.length;
          const y = scratch.get(name).like(f.x, f.n * O);
          for (let t = 0; t < f.n; t++) {
            const base = t * f.C;
            for (let o = 0; o < O; o++) {
              const r = m.rows[o];
              const w = m.weights[o];
              let s = 0;
              for (let k = 0; k < r.length; k++) s += w[k] * f.x[base + r[k]];
              y[t * O + o] = s;
            }
          }
          return withBlock(c, makeBlock(y, [f.time, m.space]));
        });
        return out ? { data: out } : undefined;
      },
      check(meta) {
        for (const { chunk } of metaChunks(meta, NIRS).filter((m) => isNirs(m.name, m.chunk))) {
          const s = findAxis(chunk.block, 'space');
          if (s) haemoglobinMap(s, ppf, scale, unit, who);
        }
      },
      reset: () => maps.clear(),
    };
  },
};

// ------------------------------------------------------------------------------- scalp coupling index

interface SciState {
  hist: FrameHistory;
  nextEnd: number;
  window: Float64Array;
  cm: Float64Array;
  fs: number;
  space: SpaceAxis;
}

export const scalpCouplingIndexNode: NodeClass = {
  type: 'fnirs.scalp-coupling-index',
  package: 'fnirs',
  title: 'Scalp coupling index',
  version: '1.0.0',
  doc: `Channel quality as MNE's scalp coupling index (SCI, 1.3): per source–detector pair, the correlation
of its two wavelengths' optical density after MNE's cardiac band-pass FIR (0.7–1.5 Hz, 0.3 Hz
transitions, zero phase, MNE's padding); both channels of the pair get the pair's value (−1 … 1,
dimensionless); a flat channel gets 0. Over sliding windows placed by global sample index, so live and
offline give the same windows at any chunking.

- **in \`data\`**: OD (not intensity), time × space, two wavelengths per pair; rate ≥ 4 Hz.
- **out \`data\`**: per complete window one instance (time = the window's last sample, instance type
  "windows") × space (the input channels, unit "", so downstream nodes still know each channel's pair):
  the SCI — a features chunk that replaces the signal (per-channel quality as data, not as chunk props,
  so ExportCSV, plots and thresholds downstream read it like any feature). Nothing until a window is full.
- **window_seconds** (s, 10): window length; null = the whole chunk at once (one value per channel over
  a whole recording, MNE's \`scalp_coupling_index\`; non-streaming data only).
- **step_seconds** (s, null): hop between windows; null = the window length (non-overlapping, as MNE-NIRS).
- **l_freq**, **h_freq** (Hz, 0.7, 1.5), **trans_bandwidth** (Hz, 0.3): the cardiac band.`,
  inputs: [input('data', [NIRS], 'Optical density.', { hint: NIRS_HINT })],
  outputs: [output('data', nirsShape((s) => chunkShape(s.name, ['instance', 'space'], s.flags)), 'SCI per window and channel; other chunks pass through.')],
  params: [
    p.float('window_seconds', 10, 'Window length; null = the whole (non-streaming) chunk.', { unit: 's', domain: [1, 1e6], nullable: true }),
    p.float('step_seconds', null, 'Hop between windows; null = the window length.', { unit: 's', domain: [0.01, 1e6] }),
    p.float('l_freq', 0.7, 'Cardiac band low edge.', { unit: 'Hz', domain: [0.01, 100] }),
    p.float('h_freq', 1.5, 'Cardiac band high edge.', { unit: 'Hz', domain: [0.01, 100] }),
    p.float('trans_bandwidth', 0.3, 'Transition band of both edges.', { unit: 'Hz', domain: [0.01, 10] }),
  ],
  create(params, ctx) {
    const who = ctx.nodeId;
    const windowSeconds = params.window_seconds as number | null;
    const stepSeconds = (params.step_seconds as number | null) ?? windowSeconds;
    const band: CardiacBand = { lFreqHz: params.l_freq as number, hFreqHz: params.h_freq as number, lTransBandwidthHz: params.trans_bandwidth as number, hTransBandwidthHz: params.trans_bandwidth as number };
    if (band.lFreqHz! >= band.hFreqHz!) throw new InputError(`l_freq (${band.lFreqHz} Hz) must be below h_freq (${band.hFreqHz} Hz)`, who);
    const sciSpaces = new Map<SpaceAxis, SpaceAxis>();
    const sciSpace = (s: SpaceAxis) => sciSpaces.get(s) ?? sciSpaces.set(s, { ...s, channels: s.channels.map((ch) => ({ ...ch, unit: '' })) }).get(s)!;
    const checkRate = (fs: number) => {
      if (fs < 2 * (band.hFreqHz! + band.hTransBandwidthHz!)) throw new InputError(`the cardiac band (${band.lFreqHz}–${band.hFreqHz} Hz with ${band.hTransBandwidthHz} Hz transitions) needs a rate of at least ${2 * (band.hFreqHz! + band.hTransBandwidthHz!)} Hz; this stream has ${fs} Hz`, who);
    };
    const newState = (c: Chunk, windowFrames?: number): SciState => {
      const f = frames(c, who);
      const fs = rateOf(c, who);
      checkRate(fs);
      const W = windowFrames ?? Math.round(windowSeconds! * fs);
      if (W < 2) throw new InputError(`window_seconds ${windowSeconds} s holds fewer than 2 samples at ${fs} Hz`, who);
      return { hist: new FrameHistory(f.C, W, true), nextEnd: W, window: new Float64Array(W * f.C), cm: new Float64Array(W * f.C), fs, space: f.space };
    };
    const states = new StreamStates((c) => newState(c));
    /** Feeds a chunk's frames; returns the SCI of every window completed, or undefined. */
    const feed = (st: SciState, c: Chunk): Chunk | undefined => {
      const f = frames(c, who);
      const W = st.hist.capacity;
      const S = stepSeconds === null ? W : Math.max(1, Math.round(stepSeconds * st.fs));
      const values: Float64Array[] = [];
      const times: number[] = [];
      let off = 0;
      while (off < f.n) {
        const k = Math.min(f.n - off, st.nextEnd - st.hist.end);
        st.hist.push(f.x.subarray(off * f.C, (off + k) * f.C), f.time.timesMs.subarray(off, off + k), k);
        off += k;
        if (st.hist.end === st.nextEnd) {
          st.hist.copy(st.nextEnd - W, W, st.window);
          transposeInto(st.window, W, f.C, st.cm);
          values.push(scalpCouplingIndex(st.cm, f.space.channels, W, st.fs, band));
          times.push(st.hist.timeAt(st.nextEnd - 1));
          st.nextEnd += S;
        }
      }
      if (!values.length) return undefined;
      const data = new Float64Array(values.length * f.C);
      values.forEach((v, i) => data.set(v, i * f.C));
      return { block: makeBlock(data, [instanceAxis(Float64Array.from(times), {}, 'windows'), sciSpace(f.space)]), props: c.props };
    };
    return {
      process(inputs) {
        const out = mapChunks(inputs.data, isNirs, (c, name) => {
          if (!c.props.is_streaming) return feed(newState(c, windowSeconds === null ? frames(c, who).n : undefined), c);
          if (windowSeconds === null) throw new InputError('window_seconds is null (the whole chunk), which needs a non-streaming recording (ImportFile); give a window in seconds for streaming data', who);
          return feed(states.get(name, c), c);
        });
        return out?.size ? { data: out } : undefined;
      },
      check(meta) {
        for (const { chunk } of metaChunks(meta, NIRS).filter((m) => isNirs(m.name, m.chunk))) checkRate(rateOf(chunk, who));
      },
      reset: () => states.clear(),
    };
  },
};

// ------------------------------------------------------------------------------- TDDR and spline

export const tddrNode: NodeClass = {
  type: 'fnirs.tddr',
  package: 'fnirs',
  title: 'TDDR motion correction',
  version: '1.0.0',
  neuropype: np('TDDR', 'nirs'),
  doc: `Temporal derivative distribution repair (Fishburn et al. 2019; MNE's
\`temporal_derivative_distribution_repair\`): robust (Tukey biweight) down-weighting of outlying
sample-to-sample changes of the < 0.5 Hz part, re-integrated. Offline: needs the whole recording (a
non-streaming chunk, or an offline run's streaming pieces, done at the end); refused on a live stream.

- **in \`data\`**: OD (as intended) or haemoglobin, time × space, any unit.
- **out \`data\`**: the repaired signal, same layout, unit and float type. Markers pass through.`,
  inputs: [input('data', [NIRS, MARKERS], 'OD or haemoglobin (and markers).', { hint: NIRS_HINT })],
  outputs: [output('data', sameAs('data'), 'Motion-corrected signal; markers pass through.')],
  params: [],
  create(_params, ctx) {
    return wholeRecording(ctx, ctx.nodeId, (c) => {
      const t = channelMajor(c, ctx.nodeId);
      return fromChannelMajor(c, t, tddr(t.x, t.channels.length, t.n, t.fs));
    }, true);
  },
};

export const splineMotionCorrectionNode: NodeClass = {
  type: 'fnirs.motion-correction-spline',
  package: 'fnirs',
  title: 'Spline motion correction',
  version: '1.0.0',
  doc: `Motion artefacts found as Homer3's \`hmrR_MotionArtifactByChannel\` and repaired as
\`hmrR_MotionCorrectSpline\` (Scholkmann 2010): a change within **t_motion_seconds** above
**std_threshold** × std(diff) or **amp_threshold** marks ± **t_mask_seconds** (both wavelengths or
chromophores of a pair share the mask); each marked segment loses its smoothing-spline trend (MATLAB
csaps with **p**) and segments are re-joined by their window means. Offline (whole recording).

- **in \`data\`**: OD or haemoglobin, time × space (pairs from the channels' source/detector).
- **out \`data\`**: the corrected signal, same layout and unit. Markers pass through.
- **t_motion_seconds** (s, 0.5), **t_mask_seconds** (s, 1), **std_threshold** (standard deviations, 50),
  **amp_threshold** (units of the data, 5; null = none), **p** (0–1, 0.99).`,
  inputs: [input('data', [NIRS, MARKERS], 'OD or haemoglobin (and markers).', { hint: NIRS_HINT })],
  outputs: [output('data', sameAs('data'), 'Motion-corrected signal; markers pass through.')],
  params: [
    p.float('t_motion_seconds', 0.5, 'Span a change is looked for in (Homer3 tMotion).', { unit: 's', domain: [0.001, 60] }),
    p.float('t_mask_seconds', 1, 'Marked around a change (Homer3 tMask).', { unit: 's', domain: [0, 60] }),
    p.float('std_threshold', 50, 'Change threshold in standard deviations of the differences (Homer3 STDEVthresh).', { domain: [0.1, 1e6] }),
    p.float('amp_threshold', 5, 'Change threshold in units of the data (Homer3 AMPthresh); null = none.', { domain: [0, 1e12], nullable: true }),
    p.float('p', 0.99, 'Smoothing-spline parameter (csaps p).', { domain: [0, 1] }),
  ],
  create(params, ctx) {
    return wholeRecording(ctx, ctx.nodeId, (c) => {
      const t = channelMajor(c, ctx.nodeId);
      const motion = detectMotionArtifacts(t.x, t.channels, t.n, t.fs, {
        tMotionSeconds: params.t_motion_seconds as number,
        tMaskSeconds: params.t_mask_seconds as number,
        stdThreshold: params.std_threshold as number,
        ampThreshold: (params.amp_threshold as number | null) ?? Infinity,
      });
      return fromChannelMajor(c, t, splineMotionCorrection(t.x, t.channels.length, t.n, t.fs, motion.includedByChannel, params.p as number));
    }, true);
  },
};

// ------------------------------------------------------------------------------- short-channel regression

export const shortChannelRegressionNode: NodeClass = {
  type: 'fnirs.short-channel-regression',
  package: 'fnirs',
  title: 'Short-channel regression',
  version: '1.0.0',
  doc: `Short-separation regression (MNE-NIRS \`short_channel_regression\`): every long channel (source–
detector distance > **max_short_distance_m**) becomes l − a·s, s its short channel of the same wavelength
or chromophore (**method** "nearest" by channel midpoint, or "mean" of all short ones); short channels
pass through. Distances and midpoints from the probe on the space axis. A probe without short channels
(or with only short ones) passes the data unchanged, with a warning.

- Non-streaming chunk (offline): a = s·l / s·s over the whole recording (MNE-NIRS).
- Streaming chunks (live, and recordings replayed in pieces): the running estimate a(t) = S_sl / S_ss with
  exponentially weighted sums of memory **time_constant_seconds** (s, 60; recursive least squares with
  forgetting), from data up to t, chunk-invariant.
- **in/out \`data\`**: OD or haemoglobin, time × space, same layout and unit. Markers pass through.`,
  inputs: [input('data', [NIRS], 'OD or haemoglobin with long and short channels.', { hint: NIRS_HINT })],
  outputs: [output('data', sameAs('data'), 'Long channels regressed; other chunks pass through.')],
  params: [
    p.float('max_short_distance_m', 0.015, 'Channels under this source–detector distance are short.', { unit: 'm', domain: [0.001, 0.1] }),
    p.enum('method', 'nearest', ['nearest', 'mean'], 'Regressor: the nearest short channel, or the mean of all.'),
    p.float('time_constant_seconds', 60, 'Memory of the running estimate (streaming chunks).', { unit: 's', domain: [0.1, 1e7] }),
  ],
  create(params, ctx) {
    const who = ctx.nodeId;
    const opts = (space: SpaceAxis) => ({ maxShortDistanceM: params.max_short_distance_m as number, method: params.method as 'nearest' | 'mean', midpointsM: midpointsOf(space) });
    const running = new StreamStates((c) => {
      const f = frames(c, who);
      return new RunningShortChannelRegression(f.space.channels, distancesOf(f.space, who), { ...opts(f.space), sampleRateHz: rateOf(c, who), timeConstantSeconds: params.time_constant_seconds as number });
    });
    const scratch = new Scratches();
    const maxShort = params.max_short_distance_m as number;
    /** Per stream: nothing to regress (no short channel, or no long one) — the chunks pass, logged once. */
    const passes = new StreamStates((c, name) => {
      const d = distancesOf(frames(c, who).space, who);
      const shorts = Array.from(d).filter((x) => x < maxShort).length;
      if (shorts > 0 && shorts < d.length) return false;
      ctx.log(30, `"${name}": ${shorts ? 'every channel is short' : `no channel under ${maxShort * 100} cm (shortest ${(Math.min(...d) * 100).toFixed(2)} cm)`}, so nothing is regressed; the data passes unchanged`);
      return true;
    });
    return {
      process(inputs) {
        const out = mapChunks(inputs.data, isNirs, (c, name) => {
          if (passes.get(name, c)) return c;
          if (!c.props.is_streaming) {
            const t = channelMajor(c, who);
            return fromChannelMajor(c, t, shortChannelRegression(t.x, t.channels, t.n, distancesOf(t.space, who), opts(t.space)).data);
          }
          const f = frames(c, who);
          const y = scratch.get(name).like(f.x, f.x.length) as Float32Array | Float64Array;
          running.get(name, c).process(f.x as Float32Array | Float64Array, f.n, y);
          return withBlock(c, makeBlock(y, [f.time, f.space]));
        });
        return out ? { data: out } : undefined;
      },
      reset() {
        running.clear();
        passes.clear();
      },
    };
  },
};

// ------------------------------------------------------------------------------- block average

/** Onsets in seconds from the chunk's first sample (the library's time base: sample k at k / fs). */
function onsetsSeconds(markers: readonly MarkerEvent[], time: TimeAxis, conditions: readonly string[] | null): MarkerEvent[] {
  const keep = conditions ? new Set(conditions) : null;
  return markers.filter((m) => !keep || keep.has(m.value)).map((m) => ({ ...m, timestampMs: (m.timestampMs - time.timesMs[0]) / 1000 }));
}

function noEvents(who: string, markers: readonly MarkerEvent[], conditions: readonly string[] | null): InputError {
  const seen = [...new Set(markers.map((m) => m.value))];
  return new InputError(
    conditions
      ? `none of the markers is one of the conditions ${JSON.stringify(conditions)} (markers seen: ${seen.join(', ') || 'none'}); list marker values in "conditions", or null for all`
      : 'no marker reached it: wire the markers (ImportFile carries a SNIRF file\'s stim groups in the packet; RecordingInput on its markers port)',
    who,
  );
}

export const blockAverageNode: NodeClass = {
  type: 'fnirs.block-average',
  package: 'fnirs',
  title: 'Block average',
  version: '1.0.0',
  doc: `Block averages per condition (mne.Epochs(tmin, tmax, baseline) + scipy.stats.sem): epochs
around each marker's onset (sample round(onset·fs), half to even), baseline mean subtracted per event
and channel, then per condition (sorted) the mean and SEM = std(ddof 1)/√n (NaN for one event). Events
whose epoch leaves the recording are skipped and logged. Offline (whole recording).

- **in \`data\`**: haemoglobin or OD, time × space; markers in the packet or on **markers**.
- **out \`data\`**: instance (one per condition: Marker = condition, field Count = events averaged,
  time 0) × time (lags tmin … tmax, ms relative to the onset) × space × statistic ("mean", "sem"),
  the unit of the input. ExportCSV writes one row per condition and lag (conditions sorted), columns
  "<channel>:mean", "<channel>:sem", timestamp = lag in seconds.
- **tmin_seconds** (s, −5), **tmax_seconds** (s, 25, inclusive), **baseline** ([from, to] s, [null, 0]
  = epoch start to onset; null = none), **conditions** (marker values to average; null = every value).`,
  inputs: [input('data', [NIRS], 'Signal (and markers).', { hint: NIRS_HINT }), input('markers', [MARKERS], 'Event markers (else those in data).', { optional: true })],
  outputs: [output('data', nirsShape((s) => withShapeFlags(chunkShape(s.name, ['instance', 'time', 'space', 'statistic'], s.flags), { is_streaming: false })), 'Mean and SEM per condition.')],
  params: [
    p.float('tmin_seconds', -5, 'Epoch start relative to onset.', { unit: 's', domain: [-3600, 3600] }),
    p.float('tmax_seconds', 25, 'Epoch end (inclusive) relative to onset.', { unit: 's', domain: [-3600, 3600] }),
    p.list('baseline', [null, 0], 'Baseline [from, to] s (null from = epoch start); null = none.', { unit: 's', nullable: true }),
    p.list('conditions', null, 'Marker values to average; null = all.', { items: 'string' }),
  ],
  create(params, ctx) {
    const who = ctx.nodeId;
    const tmin = params.tmin_seconds as number;
    const tmax = params.tmax_seconds as number;
    if (!(tmax > tmin)) throw new InputError(`tmax_seconds (${tmax}) must be after tmin_seconds (${tmin})`, who);
    const bl = params.baseline as unknown[] | null;
    if (bl !== null && !(bl.length === 2 && (bl[0] === null || typeof bl[0] === 'number') && typeof bl[1] === 'number')) throw new InputError(`baseline must be [from, to] in seconds (from may be null) or null, got ${JSON.stringify(bl)}`, who);
    const baseline = bl as [number | null, number] | null;
    const conditions = params.conditions as string[] | null;
    const node = wholeRecording(ctx, who, (c, _name, markers) => {
      const t = channelMajor(c, who);
      const events = onsetsSeconds(markers, t.time, conditions).map((m) => ({ condition: m.value, onsetSeconds: m.timestampMs }));
      if (!events.length) throw noEvents(who, markers, conditions);
      const avg = blockAverage(t.x, t.channels.length, t.n, t.fs, events, { tminSeconds: tmin, tmaxSeconds: tmax, baseline });
      for (const s of avg.skipped) ctx.log(30, `event ${s.event} (${s.condition}) skipped: ${s.reason}`);
      if (!avg.conditions.length) throw new InputError(`every epoch (${tmin} … ${tmax} s) leaves the recording: ${avg.skipped.map((s) => s.reason).join('; ')}`, who);
      const K = avg.conditions.length;
      const C = t.channels.length;
      const L = avg.timesSeconds.length;
      const data = new Float64Array(K * L * C * 2);
      for (let k = 0; k < K; k++)
        for (let ch = 0; ch < C; ch++)
          for (let j = 0; j < L; j++) {
            const src = (k * C + ch) * L + j;
            const dst = ((k * L + j) * C + ch) * 2;
            data[dst] = avg.mean[src];
            data[dst + 1] = avg.sem[src];
          }
      const axes: Axis[] = [
        instanceAxis(new Float64Array(K), { [MARKER]: [...avg.conditions], Count: Float64Array.from(avg.counts) }, 'conditions'),
        timeAxis(Float64Array.from(avg.timesSeconds, (s) => s * 1000), t.fs),
        t.space,
        statisticAxis(['mean', 'sem']),
      ];
      return { block: makeBlock(data, axes), props: withProps(c.props, { is_streaming: false }) };
    }, false);
    return node;
  },
};

// ------------------------------------------------------------------------------- GLM

/** Each condition against baseline, then every pair (a − b). */
function defaultContrasts(conditions: readonly string[]): { name: string; weights: Record<string, number> }[] {
  const out = conditions.map((c) => ({ name: c, weights: { [c]: 1 } }));
  for (let i = 0; i < conditions.length; i++) for (let j = i + 1; j < conditions.length; j++) out.push({ name: `${conditions[i]} - ${conditions[j]}`, weights: { [conditions[i]]: 1, [conditions[j]]: -1 } });
  return out;
}

export const GLM_STATISTICS = ['effect', 'se', 't', 'p', 'log10p'] as const;

export const glmNode: NodeClass = {
  type: 'fnirs.glm',
  package: 'fnirs',
  title: 'GLM (canonical HRF)',
  version: '1.0.0',
  doc: `First-level GLM per channel and chromophore as MNE-NIRS runs it (Nilearn's design matrix): one
boxcar per condition (marker value; duration = the marker's DurationMs, else **duration_seconds**)
convolved with the SPM canonical HRF (double gamma) on a grid **oversampling** times the frame rate,
**high_pass_hz** cosine drifts and a constant; fitted by OLS or AR(1) (Yule–Walker ρ from the OLS
residuals, Prais–Winsten, one refit). Then t contrasts: **contrasts** ({name: {condition: weight}}),
null = each condition against baseline, then each pair "a - b". Offline (whole recording).

- **in \`data\`**: haemoglobin (or OD), time × space; markers in the packet or on **markers**.
- **out \`data\`**: instance (one per contrast, Marker = its name, time 0) × space (the input's channels,
  so channel and chromophore, e.g. "S1_D1 hbo") × statistic ("effect" = c·β in the input's unit,
  "se", "t", "p" two-sided, "log10p" finite where p underflows); props.meta.dof and .noise_model. With
  the default contrasts the first rows are the conditions' betas. ExportCSV writes one row per contrast
  (order as listed: conditions sorted, then pairs), columns "<channel>:<statistic>".
- **noise_model** ("ar1" | "ols"), **high_pass_hz** (Hz, 0.01; null = no drift), **oversampling** (50),
  **min_onset_seconds** (s, −24), **duration_seconds** (s, 5), **conditions** (marker values to model;
  null = all).`,
  inputs: [input('data', [NIRS], 'Signal (and markers).', { hint: NIRS_HINT }), input('markers', [MARKERS], 'Event markers (else those in data).', { optional: true })],
  outputs: [output('data', nirsShape((s) => withShapeFlags(chunkShape(s.name, ['instance', 'space', 'statistic'], s.flags), { is_streaming: false })), 'Contrast statistics per channel.')],
  params: [
    p.enum('noise_model', 'ar1', ['ar1', 'ols'], 'AR(1) prewhitening or ordinary least squares.'),
    p.float('high_pass_hz', 0.01, 'Cosine drift cut-off; null = no drift columns.', { unit: 'Hz', domain: [0.0001, 10] }),
    p.int('oversampling', 50, 'HRF convolution grid, times the frame rate.', { domain: [1, 1000] }),
    p.float('min_onset_seconds', -24, 'Where the convolution grid starts before the first frame.', { unit: 's', domain: [-3600, 0] }),
    p.float('duration_seconds', 5, 'Boxcar length of markers without a duration.', { unit: 's', domain: [0, 3600] }),
    p.list('conditions', null, 'Marker values to model; null = all.', { items: 'string' }),
    p.dict('contrasts', null, 't contrasts {name: {condition: weight}}; null = each condition and each pair.'),
  ],
  create(params, ctx) {
    const who = ctx.nodeId;
    const noiseModel = params.noise_model as NoiseModel;
    const conditions = params.conditions as string[] | null;
    const durationS = params.duration_seconds as number;
    const given = params.contrasts as Record<string, unknown> | null;
    if (given)
      for (const [name, w] of Object.entries(given))
        if (!w || typeof w !== 'object' || Object.values(w).some((v) => typeof v !== 'number' || !Number.isFinite(v))) throw new InputError(`contrast "${name}" must be {condition: weight} with numeric weights, got ${JSON.stringify(w)}`, who);
    return wholeRecording(ctx, who, (c, _name, markers) => {
      const t = channelMajor(c, who);
      const events: GlmEvent[] = onsetsSeconds(markers, t.time, conditions).map((m) => ({ condition: m.value, onsetSeconds: m.timestampMs, durationSeconds: m.durationMs !== undefined && Number.isFinite(m.durationMs) ? m.durationMs / 1000 : durationS }));
      if (!events.length) throw noEvents(who, markers, conditions);
      const hp = params.high_pass_hz as number | null;
      const design = designMatrix(frameTimes(t.n, t.fs), events, { oversampling: params.oversampling as number, minOnsetSeconds: params.min_onset_seconds as number, highPassHz: hp === null ? 'none' : hp });
      const fit = fitGlm(t.x, t.channels.length, design, noiseModel);
      const list = given ? Object.entries(given).map(([name, w]) => ({ name, weights: w as Record<string, number> })) : defaultContrasts(design.conditions);
      for (const k of list) for (const col of Object.keys(k.weights)) if (!design.conditions.includes(col)) throw new InputError(`contrast "${k.name}" names "${col}", which is not a condition (conditions: ${design.conditions.join(', ')})`, who);
      const results = list.map((k) => glmContrast(fit, k.weights, k.name));
      const C = t.channels.length;
      const S = GLM_STATISTICS.length;
      const data = new Float64Array(results.length * C * S);
      results.forEach((r, k) => {
        for (let ch = 0; ch < C; ch++) GLM_STATISTICS.forEach((stat, s) => (data[(k * C + ch) * S + s] = r[stat][ch]));
      });
      const axes: Axis[] = [instanceAxis(new Float64Array(results.length), { [MARKER]: list.map((k) => k.name) }, 'contrasts'), t.space, statisticAxis([...GLM_STATISTICS])];
      return { block: makeBlock(data, axes), props: chunkProps(c.props.source, { ...flagsOf(c), is_streaming: false }, { ...c.props.meta, dof: fit.dof, noise_model: noiseModel, columns: design.columns }) };
    }, false);
  },
};

function flagsOf(c: Chunk): Record<string, boolean> {
  const { source: _s, meta: _m, ...flags } = c.props;
  return flags;
}

/** Node types that need the whole recording (wholeRecording): a live stream is refused before it starts. */
export const WHOLE_RECORDING_TYPES: ReadonlySet<string> = new Set([tddrNode.type, splineMotionCorrectionNode.type, blockAverageNode.type, glmNode.type]);

export const FNIRS_NODES: NodeClass[] = [opticalDensityNode, beerLambertNode, scalpCouplingIndexNode, tddrNode, splineMotionCorrectionNode, shortChannelRegressionNode, blockAverageNode, glmNode];
