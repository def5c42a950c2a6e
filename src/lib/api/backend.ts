// The seam between the API routers and whatever runs executions and stores pipelines.
// Runs anywhere: the routers (service worker, bridge, tests) call it; the engine host implements it.
// Every method is async and takes/returns plain structured-clone-able data (no classes, no
// functions), so the service worker can forward it over a MessageChannel unchanged. Failures are
// BackendError (code + message + details), which survive the trip as plain objects (see toWire).

import type { InstinctBackend } from './instinct-backend';

/** Python logging levels used by NeuroPype: 10 DEBUG, 20 INFO, 30 WARNING, 40 ERROR, 50 CRITICAL. */
export type LogLevel = number;
export type ErrorMode = 'ignore' | 'debug' | 'stop';

/** API.md §7.2 ExecutionInfo (fixed at creation). */
export interface ExecutionInfo {
  log_level: LogLevel;
  error_mode: ErrorMode;
  tickrate: number;
  debug_hooks: unknown[];
}

export type ExecutionStatus = 'pending' | 'calibrating' | 'running' | 'paused' | 'stopped' | 'succeeded' | 'failed';

/** API.md §7.2 ExecutionState. `running` = started and not stopped (true while paused). */
export interface ExecutionState {
  running: boolean;
  paused: boolean;
  completed: boolean;
  calibrating: boolean;
  needs_keepalive: boolean;
  had_errors: boolean;
  status: ExecutionStatus;
}

/** Body of the legacy PATCH /state (§7.4): any subset, applied in the order completed, running, paused, needs_keepalive. */
export interface StatePatch {
  completed?: boolean;
  running?: boolean;
  paused?: boolean;
  needs_keepalive?: boolean;
}

export type ControlAction = 'play' | 'pause' | 'resume' | 'stop' | 'keepalive';

export interface GraphDescription {
  name: string;
  description: string;
  url: string;
  status: string;
  license: string;
  version: string;
}

export type ValueType =
  | 'builtins.bool'
  | 'builtins.int'
  | 'builtins.float'
  | 'builtins.str'
  | 'builtins.list'
  | 'builtins.dict'
  | 'builtins.object';

/** A node parameter as NeuroPype shows it (§7.2). `value_domain` holds enum members or [min, max]. */
export interface NpParameter {
  id: string;
  value: unknown;
  value_type: ValueType;
  port_type: string;
  value_domain: (number | string)[] | null;
  customized: boolean;
}

export interface NpNode {
  id: number;
  uuid: string;
  type: string;
  module: string;
  title: string;
  position?: { x: number; y: number };
  parameters: NpParameter[];
}

export interface NpEdge {
  id: number;
  source_node: number;
  source_port: string;
  target_node: number;
  target_port: string;
}

export interface NpGraph {
  description: GraphDescription;
  nodes: NpNode[];
  edges: NpEdge[];
}

export interface NpPort {
  id: string;
  verbose_name: string;
  help: string;
  port_type: string;
  value_type: string;
  direction: 'IN' | 'OUT' | 'INOUT';
  default: unknown;
  value_domain: (number | string)[] | null;
  editable: boolean;
  is_data_port: boolean;
  /** Only in a node's listing (#25), absent in a class's (#30). */
  connected?: boolean;
}

export interface LogRecord {
  id: number;
  level: LogLevel;
  message: string;
  /** Seconds since the Unix epoch (Python time.time()). */
  time: number;
  name: string;
  node_id: number | null;
}

export interface ErrorRecord {
  id: number;
  time: number;
  node_id: number | null;
  node_type: string | null;
  message: string;
  traceback: string | null;
  fatal: boolean;
}

/** GET /executions entry: `info` and `state` only when a pipeline is loaded. */
export interface ExecutionSummary {
  id: number;
  info?: ExecutionInfo;
  state?: ExecutionState;
}

/** GET /executions/{id}: `state` and `graph` only when a pipeline is loaded. */
export interface ExecutionDetails {
  id: number;
  info: ExecutionInfo;
  state?: ExecutionState;
  graph?: NpGraph;
  errors: ErrorRecord[];
}

export interface LoadRequest {
  /** A key of the pipeline store (exact first, then by basename). */
  file?: string;
  /** Inline pipeline text (.pyp XML, bare patch JSON or neurotab.pipeline JSON). */
  content?: string;
  /** Accepted and ignored (encrypted pipelines are refused). */
  token?: string;
}

export interface NodeCreate {
  /** NeuroPype class name, fully qualified module name, or our own node type. */
  class: string;
  module?: string;
  uuid?: string;
  title?: string;
  position?: { x: number; y: number };
  parameters?: Record<string, unknown>;
}

export interface EdgeCreate {
  source_node: number;
  source_port: string;
  target_node: number;
  target_port: string;
}

export interface PackageInfo {
  id: string;
  name: string;
  module: string;
  description: string;
  node_count: number;
}

export interface NodeClassSummary {
  class: string;
  module: string;
  package: string;
  name: string;
  version: string;
  summary: string;
  browser_supported: boolean;
}

export interface NodeClassDetails extends NodeClassSummary {
  ports: NpPort[];
  doc: string;
}

export interface PipelineFileInfo {
  path: string;
  bytes: number;
  modifiedMs: number;
}

export interface BackendStatus {
  engine: 'up' | 'down';
  /** Human-readable reason when down, e.g. "no Neurotab tab is open". */
  reason?: string;
}

/** Codes a backend may fail with (the NeuroPype family's codes, API.md §6; other families map them). */
export type BackendErrorCode =
  | 'EXECUTION_NOT_FOUND'
  | 'NODE_NOT_FOUND'
  | 'EDGE_NOT_FOUND'
  | 'PARAMETER_NOT_FOUND'
  | 'NODE_CLASS_NOT_FOUND'
  | 'PACKAGE_NOT_FOUND'
  | 'FILE_NOT_FOUND'
  | 'BAD_REQUEST'
  | 'INVALID_INFO'
  | 'NO_PIPELINE_LOADED'
  | 'INVALID_STATE_TRANSITION'
  | 'PORT_ALREADY_CONNECTED'
  | 'PIPELINE_PARSE_ERROR'
  | 'UNSUPPORTED_NODE_CLASS'
  | 'UNKNOWN_PORT'
  | 'PORT_DIRECTION_MISMATCH'
  | 'INVALID_PARAMETER_VALUE'
  | 'ENCRYPTED_PIPELINE_UNSUPPORTED'
  | 'READ_ONLY'
  | 'EXECUTION_LIMIT'
  | 'INSUFFICIENT_STORAGE'
  | 'ENGINE_UNAVAILABLE'
  | 'INTERNAL';

/** A failure with a code and a message that says what to fix. `details` is plain JSON. */
export class BackendError extends Error {
  override name = 'BackendError';
  constructor(
    readonly code: BackendErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
  /** Plain-object form for postMessage. */
  toWire(): WireError {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
  static fromWire(w: WireError): BackendError {
    return new BackendError(w.code, w.message, w.details);
  }
}

export interface WireError {
  code: BackendErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * What the API routers need. Ids are the NeuroPype integers (execution 1000–9999, node and edge
 * ids per execution). All methods reject with BackendError for expected failures.
 */
export interface Backend extends InstinctBackend {
  status(): Promise<BackendStatus>;

  // Executions
  listExecutions(): Promise<ExecutionSummary[]>;
  /** Creates with the defaults of §7.2 for missing info keys. Validation: INVALID_INFO, EXECUTION_LIMIT. */
  createExecution(info: Partial<ExecutionInfo>): Promise<ExecutionDetails>;
  getExecution(id: number): Promise<ExecutionDetails>;
  deleteExecution(id: number): Promise<void>;
  getInfo(id: number): Promise<ExecutionInfo>;
  /** Does not count as a keepalive ping. */
  getState(id: number): Promise<ExecutionState>;
  patchState(id: number, patch: StatePatch): Promise<ExecutionState>;
  control(id: number, action: ControlAction): Promise<void>;
  load(id: number, req: LoadRequest): Promise<void>;
  reload(id: number): Promise<void>;
  save(id: number, file?: string): Promise<void>;
  /** Sets ParameterPort values by name (§7.9); unknown names are ignored with a WARNING log record. */
  configure(id: number, values: Record<string, unknown>): Promise<void>;
  /** Records with id >= fromIdx, ascending, at most `limit`. Counts as a keepalive ping. */
  logs(id: number, fromIdx: number, limit: number): Promise<LogRecord[]>;
  /** Latest `limit` error records with id >= fromIdx, ascending. Counts as a keepalive ping. */
  errors(id: number, fromIdx: number, limit: number): Promise<ErrorRecord[]>;

  // Graph
  getGraph(id: number): Promise<NpGraph>;
  setDescription(id: number, partial: Partial<GraphDescription>): Promise<GraphDescription>;
  addNode(id: number, node: NodeCreate): Promise<NpNode>;
  removeNode(id: number, nodeId: number): Promise<void>;
  getPorts(id: number, nodeId: number): Promise<NpPort[]>;
  setParameter(id: number, nodeId: number, param: string, value: unknown): Promise<NpParameter>;
  addEdge(id: number, edge: EdgeCreate): Promise<NpEdge>;
  removeEdge(id: number, edgeId: number): Promise<void>;

  // Catalog
  listPackages(): Promise<PackageInfo[]>;
  /** PACKAGE_NOT_FOUND when `pkg` is given and unknown. */
  listNodeClasses(pkg?: string): Promise<NodeClassSummary[]>;
  /** Class name (case-sensitive) or fully qualified module name. */
  getNodeClass(name: string): Promise<NodeClassDetails>;

  // Pipeline store (the virtual file store that NeuroPype `file` names resolve against)
  listPipelines(): Promise<PipelineFileInfo[]>;
  /** Exact key first, then by basename; FILE_NOT_FOUND otherwise. */
  readPipeline(path: string): Promise<string>;
  writePipeline(path: string, text: string): Promise<void>;
  deletePipeline(path: string): Promise<void>;
}
