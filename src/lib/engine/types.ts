// Engine types: the packets that travel along edges, port and parameter specs, and the node-class
// contract. Pure types plus tiny helpers; runs anywhere (engine worker, page, Node CLI).
// Must not import anything above core/ or dsp/.
import type { MarkerEvent, StreamDescriptor } from '../core/stream';

/**
 * What a port carries.
 * - `signal`: continuous frames of a regularly sampled stream (EEG, fNIRS …).
 * - `features`: frames of feature vectors (band powers, variances, class scores); same layout as
 *   a signal but the rate may be irregular (one frame per window / epoch) and frames can carry targets.
 * - `markers`: timestamped string events, optionally with a class target.
 * - `spectrum`: one spectrum per channel per item (Welch PSD, FFT magnitude, spectrogram columns).
 * - `epochs`: fixed-length segments of a signal (around markers or sliding windows).
 * - `value`: a plain JSON value (ParameterPort output, wired into another node's parameter).
 */
export type DataKind = 'signal' | 'features' | 'markers' | 'spectrum' | 'epochs' | 'value';
export const DATA_KINDS: readonly DataKind[] = ['signal', 'features', 'markers', 'spectrum', 'epochs', 'value'];

/** Signal or feature frames. Samples are FRAME-MAJOR float32: `samples[frame * channelCount + channel]`. */
export interface FramesPacket {
  kind: 'signal' | 'features';
  stream: StreamDescriptor;
  samples: Float32Array;
  timestampsMs: Float64Array;
  frames: number;
  /** Optional class target per frame (NaN = unlabelled). Used by calibration. */
  targets?: Float64Array;
}

export interface TargetedMarker extends MarkerEvent {
  /** Class target assigned by markers.assign-targets (AssignTargets); undefined = none. */
  target?: number;
}

export interface MarkersPacket {
  kind: 'markers';
  events: TargetedMarker[];
}

export interface SpectrumItem {
  /** Time the spectrum refers to (end of its window, or the marker of its epoch), ms. */
  timestampMs: number;
  /** CHANNEL-MAJOR: `values[channel * bins + bin]` (float64). */
  values: Float64Array;
  target?: number;
  marker?: string;
}

export interface SpectrumPacket {
  kind: 'spectrum';
  stream: StreamDescriptor;
  freqsHz: Float64Array;
  /** 'density' = unit²/Hz, 'spectrum' = unit² (power), 'magnitude' = |X| (no normalisation). */
  scaling: 'density' | 'spectrum' | 'magnitude';
  items: SpectrumItem[];
}

export interface Epoch {
  /** Time of the event the epoch is locked to (marker time, or window end for sliding windows), ms. */
  timestampMs: number;
  /** Timestamp of the first sample, ms. */
  startMs: number;
  /** FRAME-MAJOR float32 `[frame * channelCount + channel]`. */
  samples: Float32Array;
  frames: number;
  marker?: string;
  target?: number;
}

export interface EpochsPacket {
  kind: 'epochs';
  stream: StreamDescriptor;
  items: Epoch[];
}

export interface ValuePacket {
  kind: 'value';
  value: unknown;
}

export type Packet = FramesPacket | MarkersPacket | SpectrumPacket | EpochsPacket | ValuePacket;

// ---------------------------------------------------------------------------------------------
// Metadata: ports and parameters

export interface InputPortSpec {
  /** Engine port name (NeuroPype's Python name): "data", "markers", "calib_data" … */
  name: string;
  title: string;
  kinds: DataKind[];
  doc: string;
  /** A node may run without this input connected. Default true for all but the first input. */
  optional?: boolean;
}

export interface OutputPortSpec {
  name: string;
  title: string;
  /** Fixed kind, or `{ sameAs: "data" }`: the kind arriving on that input. */
  kind: DataKind | { sameAs: string };
  doc: string;
}

export type ParamType = 'bool' | 'int' | 'float' | 'string' | 'enum' | 'list' | 'dict' | 'any';

export interface ParamSpec {
  /** Engine name, NeuroPype style snake_case (e.g. "frequencies", "time_bounds"). */
  name: string;
  title: string;
  type: ParamType;
  default: unknown;
  doc: string;
  /** Physical unit of the value or of the list items: "Hz", "s", "dB", "samples", "uV" … */
  unit?: string;
  /** Numbers: inclusive [min, max] (±Infinity allowed); enums: allowed values. */
  domain?: [number, number] | readonly string[];
  /** Lists: what each item must be. */
  items?: 'number' | 'string' | 'any';
  /** Lists: allowed lengths. */
  lengths?: number[];
  /** null is allowed (means "derive" / "unset"). */
  nullable?: boolean;
  /** Other names the same parameter is known by (e.g. ParameterPort `portname` for `internal_name`). */
  aliases?: string[];
  /** false: cannot be changed while running (the node would need a new stream). Default true. */
  live?: boolean;
  /** Used only when the node's `data` input carries one of these kinds (editors hide it otherwise). */
  inputKinds?: DataKind[];
}

/** NeuroPype identity of a node class (API.md §7.7, PYP.md §2). */
export interface NeuroPypeAlias {
  class: string;
  module: string;
  package: string;
}

/** Python logging levels, as NeuroPype's REST API reports them. */
export const LogLevel = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 } as const;
export type LogLevelValue = (typeof LogLevel)[keyof typeof LogLevel];

/** What a node sees of the runtime. */
export interface NodeContext {
  readonly nodeId: string;
  log(level: number, message: string): void;
  /** True while the execution runs over a recording (offline); zero-phase options need it. */
  readonly offline: boolean;
}

/** Metadata of the inputs that reached a node (used to re-check a parameter change). */
export type InputMeta = Record<string, { kind: DataKind; stream?: StreamDescriptor } | undefined>;

export type PortValues = Record<string, Packet | undefined>;

/** One live node. `process` is the hot path: called once per step with whatever arrived. */
export interface NodeInstance {
  process(inputs: PortValues): PortValues | void;
  /** Forget all state (filter memory, buffers; sources rewind); parameters and fitted models are kept. */
  reset(): void;
  /** End of input (offline): emit what is held back (zero-phase filters, partial windows). */
  flush?(): PortValues | void;
  /** Throws an InputError when these inputs cannot be processed with the current parameters. */
  check?(meta: InputMeta): void;
  /** Trainable nodes only. */
  trainable?: TrainableState;
  /** Inspect/probe nodes: latest values for the UI and API. */
  peek?(): unknown;
  /** Source and sink nodes: attach a ring reader/writer, a recording or a marker queue. */
  bind?(binding: unknown): void;
  /** Source nodes: produce what is available now (undefined = nothing new). */
  pull?(): PortValues | undefined;
  /** Source nodes: true when a finite input (recording) is exhausted. */
  readonly done?: boolean;
  /** Source nodes (online): resolve when new data may be available or after timeoutMs. */
  waitForData?(timeoutMs: number): Promise<void>;
  /**
   * Source nodes (online, worker threads): block until new data may be available or timeoutMs
   * passed (Atomics.wait on a shared ring). Returns false at once when blocking is not possible here.
   */
  waitForDataSync?(timeoutMs: number): boolean;
}

/** The reader half of a ring (streams/ring.ts RingReader) or any look-alike. */
export interface FrameReader {
  /** Copies up to maxFrames frames; `dropped` counts frames lost to an overrun since the last read. */
  read(maxFrames: number, outSamples: Float32Array, outTimestampsMs: Float64Array): { frames: number; dropped: number };
  waitForData?(timeoutMs: number): Promise<unknown>;
  /** Blocking wait (streams/ring.ts RingReader.waitForDataSync); 'unsupported' when it cannot block. */
  waitForDataSync?(timeoutMs: number): string;
}

/** What a stream-input node is bound to: a ring reader plus the descriptor of the stream in it. */
export interface StreamInputBinding {
  descriptor: StreamDescriptor;
  reader: FrameReader;
}

/** What a stream-output node writes to: the ring writer's interface (RingWriter) or any look-alike. */
export interface FrameSink {
  push(samples: Float32Array, timestampsMs: Float64Array, frames: number): number;
}

/** A recording as the offline recording-input node needs it: structurally formats' RecordingData. */
export interface RecordingSource {
  /** Continuous streams; samples FRAME-MAJOR float32, one timestamp per frame. */
  streams: { descriptor: StreamDescriptor; samples: Float32Array; timestampsMs: Float64Array }[];
  markers: MarkerEvent[];
}

/** Calibration contract (NeuroPype model): collect labelled data, fit, then predict. */
export interface TrainableState {
  readonly fitted: boolean;
  /** Labelled items collected so far. */
  readonly collected: number;
  fit(): void;
  /** Serialisable model (JSON), so a trained pipeline can be saved and reloaded. */
  exportModel(): unknown;
  importModel(model: unknown): void;
  /** Drop collected data and the model. */
  clear(): void;
}

/** A node class: metadata plus a factory. Registered once in the registry. */
export interface NodeClass {
  /** Readable id: "filter.iir". */
  type: string;
  /** Category: "io", "filters", "channels", "time", "spectral", "math", "markers", "ml", "workflow". */
  package: string;
  title: string;
  /** Markdown: what it does, ports, parameters with units. */
  doc: string;
  version: string;
  neuropype?: NeuroPypeAlias;
  /** Further NeuroPype class names this class also stands for (e.g. ImportEDF, ImportXDF for ImportFile). */
  neuropypeAliases?: string[];
  inputs: InputPortSpec[];
  outputs: OutputPortSpec[];
  params: ParamSpec[];
  /** Source nodes produce data from bindings (rings, recordings, marker queues), not from inputs. */
  source?: boolean;
  trainable?: boolean;
  /** Unknown parameters are ignored instead of rejected (display/compatibility nodes whose many GUI settings do not matter here). */
  lenientParams?: boolean;
  /** Build an instance; throws InputError when the parameters do not make sense together. */
  create(params: Record<string, unknown>, ctx: NodeContext): NodeInstance;
}

export function isFrames(p: Packet | undefined): p is FramesPacket {
  return p !== undefined && (p.kind === 'signal' || p.kind === 'features');
}
