// NeuroPype's artifact-handling neural nodes on the packet model: ArtifactRemoval (ASR over ml/asr.ts),
// BadChannelRemoval (ml/bad-channels.ts), InterpolateMissingChannels (dsp/spherical-spline.ts).
// Engine worker / Node. The first two calibrate on a non-streaming chunk, or on the first
// `calib_seconds` of a stream, then work per chunk; none mutates its input, buffers are copies.
import { InputError } from '../../core/errors';
import { asrCalibrate, AsrProcessor, cleanWindows, type AsrState } from '../../ml/asr';
import { detectBadChannels } from '../../ml/bad-channels';
import type { ChannelInfo } from '../../core/stream';
import { sphericalSplineMatrix } from '../../dsp/spherical-spline';
import { standard1005Position } from '../../dsp/montage-1005';
import { axisSubset, spaceAxis, timeAxis, type SpaceAxis, type TimeAxis } from '../axes';
import { applyAlong, axisIndex, concatAlong, findAxis, makeBlock, selectAlong, viewAs } from '../block';
import { copyChunk, mapChunks, StreamStates, type Chunk, type ChunkQuery } from '../packet';
import { chunkShape, mapShapes } from '../shapes';
import type { NodeClass } from '../types';
import { input, normLabel, np, output, p, rateOf, resolveChannels, WITH_SPACE } from './common';
import { refuseUnlessDefault } from './np-machine-learning';
import { refuseOtherMontages } from './np-source-localization';

/** A continuous multichannel signal, time × space and nothing else (what ASR reconstructs). */
const SIGNAL_WITH_SPACE: ChunkQuery[] = [{ onlySignals: true, withLongAxes: ['time'], withAxes: ['space'], withoutAxes: ['instance', 'frequency', 'feature', 'lag', 'statistic'] }];

/** Growable FIFO of per-sample values (time stamps of samples an ASR stream still holds). */
class Fifo {
  private buf = new Float64Array(1024);
  private head = 0;
  private tail = 0;
  get length(): number {
    return this.tail - this.head;
  }
  push(v: ArrayLike<number>): void {
    if (this.tail + v.length > this.buf.length) {
      const need = this.length + v.length;
      const next = need > this.buf.length / 2 ? new Float64Array(2 * need) : this.buf;
      next.set(this.buf.subarray(this.head, this.tail));
      this.buf = next;
      this.tail -= this.head;
      this.head = 0;
    }
    this.buf.set(v, this.tail);
    this.tail += v.length;
  }
  /** Removes and returns the first n values (a copy). */
  shift(n: number): Float64Array {
    const out = this.buf.slice(this.head, this.head + n);
    this.head += n;
    return out;
  }
}

/** The samples of a time × space chunk, frame-major (a view when time comes first). */
function framesOfSignal(c: Chunk, who: string): { x: Float32Array | Float64Array; time: TimeAxis; space: SpaceAxis } {
  const b = viewAs(c.block, ['time', 'space'], who);
  return { x: b.data, time: findAxis(b, 'time')!, space: findAxis(b, 'space')! };
}

/** `init_on` ([] = all; [a, b] seconds, or fractions of the data when both < 1) as a frame range. */
function initRange(initOn: unknown, frames: number, fs: number, who: string): [number, number] {
  if (!Array.isArray(initOn) || initOn.length === 0) return [0, frames];
  const [a, b] = initOn as number[];
  if (initOn.length !== 2 || !Number.isFinite(a) || !Number.isFinite(b) || !(b > a) || a < 0) throw new InputError(`parameter "init_on" must be [] or two increasing non-negative numbers (seconds, or fractions when both are below 1), got ${JSON.stringify(initOn)}`, who);
  const [s, e] = b < 1 ? [Math.round(a * frames), Math.round(b * frames)] : [Math.round(a * fs), Math.round(b * fs)];
  if (e > frames) throw new InputError(`parameter "init_on" asks for ${b} ${b < 1 ? 'of' : 's of'} calibration data, but only ${(frames / fs).toFixed(2)} s are there`, who);
  return [s, e];
}

/** The held frame-major pieces joined (allocates). */
function joined(pieces: readonly Float64Array[]): Float64Array {
  const all = new Float64Array(pieces.reduce((n, h) => n + h.length, 0));
  let o = 0;
  for (const h of pieces) {
    all.set(h, o);
    o += h.length;
  }
  return all;
}

/** clean_windows' options from a node's parameters (NeuroPype's names). */
function cleanWindowOptions(params: Readonly<Record<string, unknown>>, fs: number, overlapParam: string) {
  const z = params.zscore_thresholds as number[];
  return {
    sampleRateHz: fs,
    maxBadChannels: params.max_bad_channels as number,
    zThresholds: [z[0], z[1]] as const,
    windowSeconds: params.window_len_cleanwindow as number,
    windowOverlap: params[overlapParam] as number,
    maxDropoutFraction: (params.max_dropout_fraction as number | undefined) ?? 0.1,
    minCleanFraction: (params.min_clean_fraction as number | undefined) ?? 0.25,
  };
}

function checkZscores(params: Readonly<Record<string, unknown>>, who: string): void {
  const z = params.zscore_thresholds as number[];
  if (!Array.isArray(z) || z.length !== 2 || !(z[0] < z[1])) throw new InputError(`parameter "zscore_thresholds" must be [low, high] with low < high, got ${JSON.stringify(z)}`, who);
}

interface AsrStream {
  fs: number;
  channels: number;
  /** Passed through untouched (fewer channels than min_required_channels). */
  bypass: boolean;
  state?: AsrState;
  processor?: AsrProcessor;
  /** Streaming samples held while calibrating (frame-major, float64) and their count. */
  held: Float64Array[];
  heldFrames: number;
  times: Fifo;
  space?: SpaceAxis;
  props?: Chunk['props'];
  float32: boolean;
}

export const artifactRemoval: NodeClass = {
  type: 'neural.artifact-removal',
  package: 'neural',
  title: 'Artifact removal (ASR)',
  version: '1.0.0',
  neuropype: np('ArtifactRemoval', 'neural'),
  doc: `Artifact Subspace Reconstruction (NeuroPype's ArtifactRemoval; clean_rawdata 2.11's
asr_calibrate/asr_process in ml/asr.ts, docs/neural.md): high-variance bursts are reconstructed from
the clean calibration statistics; channels and axes are unchanged.

- **in/out \`data\`**: continuous signals, time × space (other chunks pass). The output lags the
  input by \`lookahead\` plus up to one \`step_size\`; every sample keeps its own time stamp, and at
  the end of an offline run the rest is flushed (reflected tail, as clean_asr).
- **Calibration**: a non-streaming chunk (an imported recording, InjectCalibrationData) is itself the
  calibration data and is cleaned at once; a stream is buffered for its first \`calib_seconds\`
  (nothing is output meanwhile), then calibrated; with \`emit_calib_data\` that span is cleaned and
  output too. \`init_on\` narrows the calibration data to [a, b] s (fractions when both < 1);
  \`use_clean_window\` first keeps only clean windows (clean_windows with \`window_len_cleanwindow\`,
  \`window_overlap_cleanwindow\`, \`zscore_thresholds\`, \`max_bad_channels\`).
- **cutoff** (SD, 7.5), **block_size** (samples, null = clean_rawdata's from \`max_mem\`, at least 10),
  **a**/**b** (shaping IIR for the statistics, null = clean_rawdata's Yule-Walker design),
  **window_length** (s, 0.5), **window_overlap** (0.66), **lookahead** (s, null = window/2),
  **max_dropout_fraction** (0.1), **min_clean_fraction** (0.25), **step_size** (seconds between
  statistics updates, 0.2; read as seconds), **max_dims** (count ≥ 1 or fraction < 1; 0 = 0.66),
  **min_required_channels** (2; fewer channels pass through untouched), **max_mem** (MB, 256).
- Choices: \`riemannian\` is accepted but the Euclidean algorithm runs (the Riemannian variant is
  not implemented); \`stddev_cutoff\` is accepted at the two saved defaults (20, 15) and has no
  effect (NeuroPype does not document it); \`use_legacy\` true and \`preserve_band\` are refused.`,
  inputs: [input('data', SIGNAL_WITH_SPACE, 'Continuous signal to clean.', { hint: 'ASR cleans a continuous signal with channels (time × space): put it before Segmentation and spectra' })],
  outputs: [output('data', mapShapes('data', SIGNAL_WITH_SPACE, (s) => chunkShape(s.name, ['time', 'space'], s.flags)), 'Cleaned signal (time × space).')],
  params: [
    p.float('cutoff', 7.5, 'Threshold in standard deviations of the clean component RMS.', { domain: [0, 1e6] }),
    p.int('block_size', null, 'Samples per block of the robust covariance (null = from max_mem, at least 10).'),
    p.list('a', null, 'Denominator of the shaping IIR filter (null = built-in).', { items: 'number' }),
    p.list('b', null, 'Numerator of the shaping IIR filter (null = built-in).', { items: 'number' }),
    p.float('window_length', 0.5, 'Window for the thresholds and the running covariance.', { unit: 's' }),
    p.float('window_overlap', 0.66, 'Overlap of the threshold windows (0 … <1).'),
    p.float('lookahead', null, 'How far the statistics run ahead of the output (null = window_length/2).', { unit: 's' }),
    p.float('max_dropout_fraction', 0.1, 'Most windows that may be artifacts below the clean range.'),
    p.float('min_clean_fraction', 0.25, 'Least fraction of clean windows.'),
    p.any('max_mem', 256, 'Memory budget in MB (sets the automatic block size).'),
    p.float('step_size', 0.2, 'Interval between statistics updates.', { unit: 's' }),
    p.float('max_dims', 0, 'Most dimensions removed at once: a count (≥ 1) or a fraction (< 1); 0 = 0.66.'),
    p.float('calib_seconds', 45, 'Online: seconds of the stream buffered for calibration.', { unit: 's' }),
    p.list('init_on', [], 'Calibration range [a, b] in s (fractions when both < 1); [] = all.', { items: 'number' }),
    p.bool('use_clean_window', true, 'Calibrate on the clean windows only (clean_windows).'),
    p.float('window_len_cleanwindow', 0.5, 'clean_windows window length.', { unit: 's' }),
    p.float('window_overlap_cleanwindow', 0.66, 'clean_windows window overlap.'),
    p.list('zscore_thresholds', [-5, 7], 'clean_windows robust z-score range of window RMS.', { items: 'number' }),
    p.float('max_bad_channels', 0.2, 'clean_windows: most channels out of range in a kept window (count, or fraction < 1).'),
    p.bool('riemannian', true, 'Accepted; the Euclidean algorithm runs either way.'),
    p.bool('use_legacy', false, 'Not supported (refused unless false).'),
    p.int('stddev_cutoff', 20, 'Undocumented by NeuroPype; accepted at its saved defaults (20, 15), no effect.'),
    p.bool('emit_calib_data', true, 'Online: output the cleaned calibration span once calibrated.'),
    p.int('min_required_channels', 2, 'Fewer channels than this pass through untouched.'),
    p.dict('preserve_band', null, 'Not supported (refused unless null).'),
    p.dict('metadata', {}, 'Accepted for NeuroPype compatibility (ignored).'),
    p.bool('set_breakpoint', false, 'Accepted for NeuroPype compatibility (ignored).'),
  ],
  create(params, ctx) {
    const who = ctx.nodeId;
    refuseUnlessDefault(params, 'use_legacy', false, 'the legacy variant is not documented', who);
    refuseUnlessDefault(params, 'preserve_band', null, 'band preservation is not documented by NeuroPype', who);
    if (params.stddev_cutoff !== 20 && params.stddev_cutoff !== 15) throw new InputError(`parameter "stddev_cutoff" = ${JSON.stringify(params.stddev_cutoff)} is not supported (NeuroPype does not document what it does); leave it at 20 or 15, its saved defaults`, who);
    const a = params.a as number[] | null;
    const b = params.b as number[] | null;
    if ((a === null) !== (b === null)) throw new InputError('parameters "a" and "b" (the shaping filter) go together: give both or neither', who);
    if (a && (a.length === 0 || !(a[0] !== 0) || b!.length === 0)) throw new InputError('parameter "a" must be a non-empty list whose first coefficient is not 0, and "b" non-empty', who);
    const filter = a && b ? { a: Float64Array.from(a), b: Float64Array.from(b) } : undefined;
    const windowSeconds = params.window_length as number;
    if (!(windowSeconds > 0)) throw new InputError(`parameter "window_length" must be a positive number of seconds, got ${windowSeconds}`, who);
    const lookahead = params.lookahead as number | null;
    if (lookahead !== null && !(lookahead >= 0 && lookahead <= windowSeconds / 2)) throw new InputError(`parameter "lookahead" must be null or between 0 and window_length/2 (${windowSeconds / 2} s), got ${lookahead}`, who);
    const stepSeconds = params.step_size as number;
    if (!(stepSeconds > 0)) throw new InputError(`parameter "step_size" must be a positive number of seconds, got ${stepSeconds}`, who);
    const maxDims = params.max_dims as number;
    if (!(maxDims >= 0)) throw new InputError(`parameter "max_dims" must be ≥ 0 (a count, or a fraction below 1), got ${maxDims}`, who);
    const calibSeconds = params.calib_seconds as number;
    if (!(calibSeconds > 0)) throw new InputError(`parameter "calib_seconds" must be a positive number of seconds, got ${calibSeconds}`, who);
    checkZscores(params, who);
    const maxMemMb = Number(params.max_mem ?? 256);
    if (!(maxMemMb > 0)) throw new InputError(`parameter "max_mem" must be a positive number of megabytes, got ${JSON.stringify(params.max_mem)}`, who);
    const minChannels = params.min_required_channels as number;
    const emitCalib = params.emit_calib_data as boolean;

    const calibrate = (x: Float64Array, C: number, fs: number): AsrState => {
      const S = x.length / C;
      const [s, e] = initRange(params.init_on, S, fs, who);
      let data = x.subarray(s * C, e * C);
      if (params.use_clean_window) data = cleanWindows(data, C, cleanWindowOptions(params, fs, 'window_overlap_cleanwindow')).kept;
      const frames = data.length / C;
      // clean_rawdata: blocksize = max(blocksize, ceil(C·C·S·8·3·2 / (maxmem·2^21)))
      const blockSize = (params.block_size as number | null) ?? Math.max(10, Math.ceil((C * C * frames * 48) / (maxMemMb * 2 ** 21)));
      const state = asrCalibrate(data, C, {
        sampleRateHz: fs,
        cutoff: params.cutoff as number,
        blockSize,
        filter,
        windowSeconds,
        windowOverlap: params.window_overlap as number,
        maxDropoutFraction: params.max_dropout_fraction as number,
        minCleanFraction: params.min_clean_fraction as number,
      });
      ctx.log(20, `calibrated on ${(frames / fs).toFixed(1)} s of ${C} channels`);
      return state;
    };
    const processor = (state: AsrState) =>
      new AsrProcessor(state, { windowSeconds, lookaheadSeconds: lookahead ?? undefined, stepSamples: Math.max(1, Math.round(stepSeconds * state.sampleRateHz)), maxDims: maxDims === 0 ? 0.66 : maxDims });

    // another rate or channel set is another stream: it calibrates afresh
    const states = new StreamStates<AsrStream>((c) => {
      const C = findAxis(c.block, 'space')!.channels.length;
      return { fs: rateOf(c, who), channels: C, bypass: C < minChannels, held: [], heldFrames: 0, times: new Fifo(), float32: c.block.data instanceof Float32Array };
    });

    /** A time × space chunk of the samples `y` leaves (their stamps from the FIFO). */
    const emit = (st: AsrStream, y: Float32Array | Float64Array): Chunk | undefined => {
      const n = y.length / st.channels;
      if (n === 0) return undefined;
      const data = st.float32 && !(y instanceof Float32Array) ? Float32Array.from(y) : y;
      return { block: makeBlock(data, [timeAxis(st.times.shift(n), st.fs), st.space!]), props: st.props! };
    };

    /** Calibrates a stream on the held samples once enough are there; returns what becomes final. */
    const startFromHeld = (st: AsrStream, force: boolean): Float64Array | undefined => {
      const need = Math.round(calibSeconds * st.fs);
      if (st.heldFrames < need && !force) return undefined;
      const C = st.channels;
      const all = joined(st.held);
      st.held = [];
      const span = Math.min(need, st.heldFrames);
      st.heldFrames = 0;
      st.state = calibrate(all.subarray(0, span * C), C, st.fs);
      st.processor = processor(st.state);
      if (emitCalib) return st.processor.process(all);
      st.times.shift(span);
      return st.processor.process(all.subarray(span * C));
    };

    const step = (c: Chunk, name: string): Chunk | undefined => {
      const st = states.get(name, c);
      if (st.bypass) return c;
      const { x, time, space } = framesOfSignal(c, who);
      st.space = space;
      st.props = c.props;
      if (!c.props.is_streaming) {
        // a whole recording: it is the calibration data, cleaned at once; the stream state starts afresh
        const x64 = Float64Array.from(x);
        st.state = calibrate(x64, st.channels, st.fs);
        st.processor = undefined;
        const proc = processor(st.state);
        const y = joined([proc.process(x64), proc.flush(x64)]);
        return { block: makeBlock(x instanceof Float32Array ? Float32Array.from(y) : y, [time, space]), props: c.props };
      }
      st.times.push(time.timesMs);
      if (st.processor) return emit(st, st.processor.process(x));
      if (st.state) {
        st.processor = processor(st.state);
        return emit(st, st.processor.process(x));
      }
      st.held.push(Float64Array.from(x));
      st.heldFrames += x.length / st.channels;
      const y = startFromHeld(st, false);
      return y ? emit(st, y) : undefined;
    };

    return {
      process(inputs) {
        const out = mapChunks(inputs.data, SIGNAL_WITH_SPACE, step);
        return out?.size ? { data: out } : undefined;
      },
      flush() {
        if (!ctx.offline) return;
        const out = new Map<string, Chunk>();
        for (const [name, st] of states.entries()) {
          if (st.bypass) continue;
          let head: Float64Array | undefined;
          if (!st.processor && st.heldFrames > 0) {
            ctx.log(30, `the recording ended after ${(st.heldFrames / st.fs).toFixed(1)} s, before calib_seconds (${calibSeconds} s): calibrating on what there is`);
            head = startFromHeld(st, true);
          }
          if (!st.processor) continue;
          const rest = st.processor.flush(new Float64Array(0));
          const c = emit(st, head ? joined([head, rest]) : rest);
          if (c) out.set(name, c);
        }
        return out.size ? { data: out } : undefined;
      },
      reset() {
        // the calibration is kept (a fitted model); samples in flight are forgotten
        for (const [, st] of states.entries()) Object.assign(st, { processor: undefined, held: [], heldFrames: 0, times: new Fifo() });
      },
    };
  },
};

interface BadChannelStream {
  fs: number;
  /** Kept channel indices once decided, and the reduced space axis. */
  kept?: number[];
  space?: SpaceAxis;
  held: Chunk[];
  heldFrames: number;
}

export const badChannelRemoval: NodeClass = {
  type: 'neural.bad-channel-removal',
  package: 'neural',
  title: 'Bad channel removal',
  version: '1.0.0',
  neuropype: np('BadChannelRemoval', 'neural'),
  doc: `Finds channels that are broken, noisy or uncorrelated with their neighbours and drops them
(NeuroPype's BadChannelRemoval; clean_rawdata 2.11's clean_channels in ml/bad-channels.ts,
docs/neural.md). The bad set is fixed at calibration: on a non-streaming chunk (an imported
recording) at once, or on the first \`calib_seconds\` of a stream (held back until then, then
output without the bad channels); later chunks lose the same channels.

- **in/out \`data\`**: continuous signals, time × space, positions on the space axis
  (AssignChannelLocations; unlocalised channels are judged by noise only). Other chunks pass.
- **corr_threshold** (0.8), **noise_threshold** (robust SD, 4), **window_len** (s, 5),
  **max_broken_time** (s, or a fraction when < 1; 0.4), **num_samples** (RANSAC, 200),
  **subset_size** (fraction of channels, 0.15), **calib_seconds** (s, 15 — NeuroPype's default is
  not known; files set 15 or 20), **init_on** (as ArtifactRemoval), **protect_channels** (labels or
  indices never removed), **use_clean_window** with
  **window_len_cleanwindow**, **window_overlap**, **zscore_thresholds**, **max_bad_channels** (clean_windows first).
- Not implemented, accepted at their defaults only: **min_corr**, **ignored_quantile**, **ignore_chanlocs**,
  **keep_unlocalized_channels**, **rereferenced**, **coords_override**; **linenoise_aware** is
  accepted but the noise measure is clean_rawdata's (above 50 Hz, line noise included).`,
  inputs: [input('data', SIGNAL_WITH_SPACE, 'Continuous signal with channel positions.', { hint: 'bad channels are found on a continuous signal with channels (time × space)' })],
  outputs: [output('data', mapShapes('data', SIGNAL_WITH_SPACE, (s) => chunkShape(s.name, ['time', 'space'], s.flags)), 'The signal without its bad channels (time × space).')],
  params: [
    p.float('corr_threshold', 0.8, 'Least correlation with the RANSAC reconstruction.'),
    p.float('noise_threshold', 4, 'Most high-frequency noise, robust z-score across channels.'),
    p.float('window_len', 5, 'Correlation window.', { unit: 's' }),
    p.float('max_broken_time', 0.4, 'Longest a kept channel may be bad: seconds, or a fraction when < 1.'),
    p.int('num_samples', 200, 'RANSAC reconstructions.', { domain: [1, 100000] }),
    p.float('subset_size', 0.15, 'Fraction of the channels in each RANSAC subset.'),
    p.float('calib_seconds', 15, 'Online: seconds gathered before the first output.', { unit: 's' }),
    p.list('init_on', [], 'Calibration range [a, b] in s (fractions when both < 1); [] = all.', { items: 'number' }),
    p.bool('use_clean_window', false, 'Judge on the clean windows only (clean_windows).'),
    p.float('window_len_cleanwindow', 0.5, 'clean_windows window length.', { unit: 's' }),
    p.float('window_overlap', 0.66, 'clean_windows window overlap.'),
    p.list('zscore_thresholds', [-3.5, 5], 'clean_windows robust z-score range of window RMS.', { items: 'number' }),
    p.float('max_bad_channels', 0.15, 'clean_windows: most channels out of range in a kept window (count, or fraction < 1).'),
    p.list('protect_channels', [], 'Channels never removed (labels or indices).'),
    p.float('min_corr', 0.5, 'Not implemented (accepted at 0.5).'),
    p.float('ignored_quantile', 0.1, 'Not implemented (accepted at 0.1).'),
    p.bool('linenoise_aware', true, 'Accepted; the noise measure includes the line-noise band (clean_rawdata).'),
    p.bool('ignore_chanlocs', false, 'Not implemented (accepted at false).'),
    p.bool('keep_unlocalized_channels', false, 'Not implemented (accepted at false).'),
    p.bool('rereferenced', false, 'Not implemented (accepted at false).'),
    p.float('coords_override', null, 'Not implemented (accepted at null).'),
    p.dict('metadata', {}, 'Accepted for NeuroPype compatibility (ignored).'),
    p.bool('set_breakpoint', false, 'Accepted for NeuroPype compatibility (ignored).'),
  ],
  create(params, ctx) {
    const who = ctx.nodeId;
    refuseUnlessDefault(params, 'min_corr', 0.5, 'NeuroPype does not document it', who);
    refuseUnlessDefault(params, 'ignored_quantile', 0.1, 'NeuroPype does not document it', who);
    refuseUnlessDefault(params, 'keep_unlocalized_channels', false, 'NeuroPype does not document it; RemoveUnlocalizedChannels drops them explicitly', who);
    refuseUnlessDefault(params, 'rereferenced', false, 'NeuroPype does not document it', who);
    refuseUnlessDefault(params, 'ignore_chanlocs', false, 'the correlation criterion needs the positions; without them use RemoveUnlocalizedChannels or drop the node', who);
    refuseUnlessDefault(params, 'coords_override', null, 'NeuroPype does not document it; AssignChannelLocations sets positions', who);
    checkZscores(params, who);
    const calibSeconds = params.calib_seconds as number;
    if (!(calibSeconds > 0)) throw new InputError(`parameter "calib_seconds" must be a positive number of seconds, got ${calibSeconds}`, who);
    const protect = params.protect_channels as unknown[];
    if (!Array.isArray(protect)) throw new InputError(`parameter "protect_channels" must be a list of channel labels or indices, got ${JSON.stringify(protect)}`, who);

    /** Decides the kept channels on frame-major calibration data. */
    const decide = (st: BadChannelStream, x: Float64Array, space: SpaceAxis) => {
      const C = space.channels.length;
      const [s, e] = initRange(params.init_on, x.length / C, st.fs, who);
      let data = x.subarray(s * C, e * C);
      if (params.use_clean_window) data = cleanWindows(data, C, cleanWindowOptions(params, st.fs, 'window_overlap')).kept;
      const positions = space.positions ?? new Float64Array(3 * C).fill(NaN);
      const protectIdx = protect.length ? resolveChannels(space.channels, protect, typeof protect[0] === 'number' ? 'indices' : 'names', who) : [];
      const r = detectBadChannels(data, C, {
        sampleRateHz: st.fs,
        positions,
        corrThreshold: params.corr_threshold as number,
        noiseThreshold: params.noise_threshold as number,
        windowSeconds: params.window_len as number,
        maxBrokenTime: params.max_broken_time as number,
        ransacSamples: params.num_samples as number,
        subsetSize: params.subset_size as number,
        protect: protectIdx,
      });
      st.kept = r.bad.flatMap((b, i) => (b ? [] : [i]));
      st.space = axisSubset(space, st.kept) as SpaceAxis;
      const bad = r.bad.flatMap((b, i) => (b ? [`${space.channels[i].label} (${r.reasons[i].join(', ')})`] : []));
      ctx.log(bad.length ? 30 : 20, bad.length ? `removing ${bad.length} of ${C} channels: ${bad.join(', ')}` : `no bad channels among ${C}`);
    };
    /** A chunk without the bad channels (time × space). Allocates. */
    const drop = (st: BadChannelStream, c: Chunk): Chunk => {
      const b = viewAs(c.block, ['time', 'space'], who);
      return { block: { ...selectAlong(b, 1, st.kept!), axes: [b.axes[0], st.space!] }, props: c.props };
    };
    const states = new StreamStates<BadChannelStream>((c) => ({ fs: rateOf(c, who), held: [], heldFrames: 0 }));
    const release = (st: BadChannelStream): Chunk => {
      const whole: Chunk = { block: concatAlong(st.held.map((h) => viewAs(h.block, ['time', 'space'], who)), 0), props: st.held.at(-1)!.props };
      const span = Math.min(st.heldFrames, Math.round(calibSeconds * st.fs));
      const sp = findAxis(whole.block, 'space')!;
      st.held = [];
      st.heldFrames = 0;
      decide(st, Float64Array.from(whole.block.data.subarray(0, span * sp.channels.length)), sp);
      return drop(st, whole);
    };
    return {
      process(inputs) {
        const out = mapChunks(inputs.data, SIGNAL_WITH_SPACE, (c, name) => {
          const st = states.get(name, c);
          if (!c.props.is_streaming) {
            const b = viewAs(c.block, ['time', 'space'], who);
            decide(st, Float64Array.from(b.data), findAxis(b, 'space')!);
            return drop(st, c);
          }
          if (st.kept) return drop(st, c);
          st.held.push(copyChunk(c));
          st.heldFrames += findAxis(c.block, 'time')!.timesMs.length;
          return st.heldFrames >= Math.round(calibSeconds * st.fs) ? release(st) : undefined;
        });
        return out?.size ? { data: out } : undefined;
      },
      flush() {
        if (!ctx.offline) return;
        const out = new Map<string, Chunk>();
        for (const [name, st] of states.entries()) {
          if (st.kept || !st.held.length) continue;
          ctx.log(30, `the recording ended after ${(st.heldFrames / st.fs).toFixed(1)} s, before calib_seconds (${calibSeconds} s): judging the channels on what there is`);
          out.set(name, release(st));
        }
        return out.size ? { data: out } : undefined;
      },
      reset() {
        // the bad set is kept (a fitted model); held samples are forgotten
        for (const [, st] of states.entries()) Object.assign(st, { held: [], heldFrames: 0 });
      },
    };
  },
};

export const interpolateMissingChannels: NodeClass = {
  type: 'neural.interpolate-missing-channels',
  package: 'neural',
  title: 'Interpolate missing channels',
  version: '1.0.0',
  neuropype: np('InterpolateMissingChannels', 'neural'),
  doc: `Restores a desired channel set (NeuroPype's InterpolateMissingChannels): channels present are
copied, missing ones are interpolated by spherical splines (dsp/spherical-spline.ts: MNE's
_make_interpolation_matrix, m = 4, 50 Legendre terms, α = 1e-5, origin (0, 0, 0) of the head
frame) from the present channels that have positions. The matrix is built once per incoming space
axis; applying it is one product per sample. Works on any chunk with a space axis (continuous or
segmented).

- **in/out \`data\`**: chunks with a space axis and positions (AssignChannelLocations). Other chunks pass.
- **desired_channels** (labels in output order; null = pass through; often wired from
  ExtractChannels.channel_names): labels are matched case-insensitively; a missing channel's
  position is its standard 10-05 one.
- **montage** ("" or standard_1005; others refused), **montage_type** ("auto"), **mode**
  ("spherical-spline" only). **min_ev** (null) and **additive_noise_scale** (0) are refused unless
  at their defaults; **randseed**, **compute_backend**, **precision**, **verbose** do not change the numbers.`,
  inputs: [input('data', [WITH_SPACE], 'Data with channels and their positions.', { hint: 'interpolation needs a space axis (channels)' })],
  outputs: [output('data', mapShapes('data', [WITH_SPACE], (s) => s), 'The data on the desired channels.')],
  params: [
    p.list('desired_channels', null, 'Channel labels the output has, in order (null = pass through).', { items: 'string' }),
    p.string('montage', '', 'Montage for missing positions ("" = standard 10-05).'),
    p.enum('mode', 'spherical-spline', ['spherical-spline'], 'Interpolation method.'),
    p.string('montage_type', 'auto', 'As AssignChannelLocations (only the standard 10-05 table ships).'),
    p.float('min_ev', null, 'Not implemented (accepted at null).'),
    p.float('additive_noise_scale', 0, 'Not implemented (accepted at 0).'),
    p.int('randseed', 12345, 'No effect (nothing random here).'),
    p.string('compute_backend', 'keep', 'No effect.'),
    p.string('precision', 'keep', 'No effect (the input precision is kept).'),
    p.bool('verbose', false, 'No effect.'),
    p.dict('metadata', {}, 'Accepted for NeuroPype compatibility (ignored).'),
    p.bool('set_breakpoint', false, 'Accepted for NeuroPype compatibility (ignored).'),
  ],
  create(params, ctx) {
    const who = ctx.nodeId;
    refuseOtherMontages(params, who);
    refuseUnlessDefault(params, 'min_ev', null, 'NeuroPype does not document it', who);
    refuseUnlessDefault(params, 'additive_noise_scale', 0, 'NeuroPype does not document it', who);
    const desired = params.desired_channels as string[] | null;
    if (desired !== null && (!Array.isArray(desired) || desired.some((d) => typeof d !== 'string' || !d))) throw new InputError(`parameter "desired_channels" must be null or a list of channel labels, got ${JSON.stringify(desired)}`, who);
    const cache = new WeakMap<SpaceAxis, { space: SpaceAxis; w: Float64Array; from: number }>();
    /** The desired space axis and the (desired × present) matrix for an incoming space axis. */
    const plan = (s: SpaceAxis) => {
      let got = cache.get(s);
      if (got) return got;
      const P = s.channels.length;
      const norm = s.channels.map((c) => normLabel(c.label));
      const at = desired!.map((d) => norm.indexOf(normLabel(d)));
      const pos = s.positions;
      const located = (i: number) => !!pos && [0, 1, 2].every((k) => Number.isFinite(pos[i * 3 + k]));
      const sources = Array.from({ length: P }, (_, i) => i).filter(located);
      const missing = desired!.flatMap((d, k) => (at[k] < 0 ? [k] : []));
      const D = desired!.length;
      const positions = new Float64Array(3 * D).fill(NaN);
      const w = new Float64Array(D * P);
      at.forEach((i, k) => {
        if (i < 0) return;
        w[k * P + i] = 1;
        if (located(i)) positions.set(pos!.subarray(i * 3, i * 3 + 3), k * 3);
      });
      if (missing.length) {
        const unknown = missing.filter((k) => !standard1005Position(desired![k]));
        if (unknown.length) throw new InputError(`desired channel(s) ${unknown.map((k) => `"${desired![k]}"`).join(', ')} are not in the data and have no standard 10-05 position to interpolate at; remove them from desired_channels`, who);
        if (sources.length < 3) throw new InputError(`only ${sources.length} of the ${P} channels have positions, too few to interpolate from; run AssignChannelLocations before this node`, who);
        for (const k of missing) positions.set(standard1005Position(desired![k])!, k * 3);
        const from = new Float64Array(sources.length * 3);
        sources.forEach((i, j) => from.set(pos!.subarray(i * 3, i * 3 + 3), j * 3));
        const to = new Float64Array(missing.length * 3);
        missing.forEach((k, j) => to.set(positions.subarray(k * 3, k * 3 + 3), j * 3));
        const m = sphericalSplineMatrix(from, to);
        missing.forEach((k, r) => sources.forEach((i, j) => (w[k * P + i] = m.data[r * m.cols + j])));
        ctx.log(20, `interpolating ${missing.map((k) => desired![k]).join(', ')} from ${sources.length} channels`);
      }
      const unit = s.channels[0]?.unit ?? '';
      const channels: ChannelInfo[] = desired!.map((d, k) => (at[k] >= 0 ? s.channels[at[k]] : { label: d, unit, type: 'EEG' }));
      got = { space: spaceAxis(channels, { positions, namingSystem: s.namingSystem, coordinateSystem: s.coordinateSystem, montage: s.montage ?? 'standard_1005' }), w, from: P };
      cache.set(s, got);
      return got;
    };
    return {
      process(inputs) {
        if (desired === null) return { data: inputs.data };
        const out = mapChunks(inputs.data, [WITH_SPACE], (c) => {
          const d = axisIndex(c.block, 'space');
          const { space, w, from } = plan(c.block.axes[d] as SpaceAxis);
          const D = space.channels.length;
          const block = applyAlong(c.block, d, (x, y) => {
            for (let k = 0; k < D; k++) {
              let v = 0;
              for (let i = 0; i < from; i++) v += w[k * from + i] * x[i];
              y[k] = v;
            }
          }, space);
          return { block, props: c.props };
        });
        return out ? { data: out } : undefined;
      },
      reset() {},
    };
  },
};

/** This file's classes (listed in np-neural.ts' NP_NEURAL). */
export const NP_ARTIFACTS: NodeClass[] = [artifactRemoval, badChannelRemoval, interpolateMissingChannels];
