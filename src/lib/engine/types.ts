// Engine types: port and parameter specs and the node-class contract. The data model itself
// (packets of named chunks of axis-typed blocks) is in axes.ts, block.ts and packet.ts; static
// shapes in shapes.ts. Pure types plus tiny helpers; runs anywhere (engine worker, page, Node CLI).
// Must not import anything above core/ or dsp/.
import type { MarkerEvent, NirsProbe, StreamDescriptor } from '../core/stream';
import type { Axis } from './axes';
import type { ChunkProps, ChunkQuery, Packet } from './packet';
import type { DataKind, ShapeFn } from './shapes';

export type { DataKind };

// ---------------------------------------------------------------------------------------------
// Metadata: ports and parameters

export interface InputPortSpec {
  /** Engine port name (NeuroPype's Python name): "data", "markers", "calib_data" … */
  name: string;
  title: string;
  doc: string;
  /**
   * The chunks this port works on (NeuroPype's chunk criteria): a chunk matching any of the
   * queries; an empty list accepts any chunk. A packet holding no such chunk is refused at load
   * (or, when its shape is known only once bound, on its first packet) with the reason. Other
   * chunks of an accepted packet pass through unless the node says otherwise.
   */
  accepts: readonly ChunkQuery[] | ((params: Readonly<Record<string, unknown>>) => readonly ChunkQuery[]);
  /** What to change when the data does not fit, shown with the refusal. */
  hint?: string;
  /** A node may run without this input connected. Default true for all but the first input. */
  optional?: boolean;
}

export interface OutputPortSpec {
  name: string;
  title: string;
  doc: string;
  /** A plain value (ParameterPort), wired into another node's parameter instead of carrying packets. */
  value?: boolean;
  /** What leaves this port, from what reaches the node at load (shapes.ts). Absent: unknown until data flows. */
  shape?: ShapeFn;
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
  /** Used only when the node's `data` input carries one of these kinds (shapes.ts `kindOf`; editors hide it otherwise). */
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
  /** Whether an input port is wired in the current graph (absent: assume it is). */
  isWired?(port: string): boolean;
}

/** The layout of one chunk that reached a port: what a node needs to re-check its parameters against it. */
export interface ChunkLayout {
  name: string;
  axes: readonly Axis[];
  props: ChunkProps;
}

/** The layouts of what last reached each input port (used to re-check a parameter change). */
export type InputMeta = Record<string, readonly ChunkLayout[] | undefined>;

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

/** Marker events a source drains each step (io.ts MarkerQueue or any look-alike). */
export interface MarkerSource {
  drain(): MarkerEvent[];
}

/** What a stream-input node is bound to: a ring reader plus the descriptor of the stream in it (and, for LSLInput's `marker_query`, a marker source). */
export interface StreamInputBinding {
  descriptor: StreamDescriptor;
  reader: FrameReader;
  markers?: MarkerSource;
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
  /** fNIRS: the recording's probe (SNIRF /nirs/probe); its fNIRS streams' chunks carry it on their space axis. */
  probe?: NirsProbe;
}

/**
 * Calibration contract (NeuroPype's model, docs/packets.md "Calibration"): a trainable node trains
 * on the non-streaming chunks that carry labels (calibration.ts `ChunkModels`), and/or collects
 * labelled items and fits when the host says so (`Execution.fit`, the first pass of an offline run);
 * it predicts on every chunk once it has a model and outputs nothing before.
 */
export interface TrainableState {
  readonly fitted: boolean;
  /** Labelled items collected so far (for `fit`). */
  readonly collected: number;
  /** Fits on what was collected (throws InputError saying what is missing). */
  fit(): void;
  /** Serialisable model (JSON), so a trained pipeline can be saved and reloaded. */
  exportModel(): unknown;
  importModel(model: unknown): void;
  /** Drop collected data and the model. */
  clear(): void;
  /** NeuroPype `dont_reset_model`: true keeps the model when a node upstream changes (default: the runtime clears it). */
  readonly keepOnUpstreamChange?: boolean;
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
  /**
   * Value outputs (`OutputPortSpec.value`): the value each carries, from the parameters. The
   * compiler copies it into the parameters wired to it (ParameterPort, ConstantString …).
   */
  values?(params: Readonly<Record<string, unknown>>): Record<string, unknown>;
}

/** Finds node classes by type id or NeuroPype name (NodeRegistry, or anything that looks it up). */
export interface NodeClassLookup {
  find(name: string): NodeClass | undefined;
}
