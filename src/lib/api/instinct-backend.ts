// The seam between the Instinct family's routes (instinct.ts) and whatever runs its streams
// (instinct-streams.ts, inside LocalBackend on the engine host). Pure types plus the family's
// error class; runs anywhere. Every method takes and returns plain structured-clone-able data so
// the service worker can forward calls over its MessagePort unchanged (API.md §9).

import { ApiError } from './http';

/** API.md §9.2, §5: the Instinct run states. */
export type InstinctState = 'created' | 'starting' | 'running' | 'pausing' | 'paused' | 'stopping' | 'stopped' | 'error';

export type InstinctSignal = 'start' | 'stop' | 'pause' | 'resume';
export const INSTINCT_SIGNALS: readonly InstinctSignal[] = ['start', 'stop', 'pause', 'resume'];

export interface InstinctMeta {
  name?: string;
  description?: string;
  tags?: string[];
  version?: string;
  /** ISO 8601, set by the server. */
  created?: string;
  updated?: string;
  [key: string]: unknown;
}

export interface InstinctNode {
  id: string;
  /** EXECUTABLE | EXECUTABLE_PRODUCER | EXECUTABLE_CONSUMER (or anything a client sends). */
  type: string;
  meta?: Record<string, unknown>;
  /** Program path on the headset, stored verbatim; mapped to one of our node classes at start. */
  executable: string;
  config: Record<string, unknown>;
}

/** Output shape (§13 #14): `source` → `destination`; ports only when the client named them. */
export interface InstinctPipe {
  id: string;
  source: string;
  destination: string;
  sourcePort?: string;
  destinationPort?: string;
}

export interface InstinctStream {
  id: string;
  meta: InstinctMeta;
  nodes: InstinctNode[];
  pipes: InstinctPipe[];
}

export interface InstinctNodeStatus {
  id: string;
  state: InstinctState;
  metrics: { itemsProcessed: number; errorCount: number };
}

export interface InstinctStatus {
  state: InstinctState;
  nodes: InstinctNodeStatus[];
}

/** PUT /stream/streams/{id}: each present key replaces that collection. */
export interface InstinctStreamPatch {
  meta?: InstinctMeta;
  nodes?: InstinctNode[];
  pipes?: InstinctPipe[];
}

/**
 * What the Instinct routes need. Failures are InstinctError (codes of API.md §6, Instinct list);
 * every rejected call leaves the streams as they were.
 */
export interface InstinctBackend {
  instinctList(): Promise<{ id: string; meta: InstinctMeta }[]>;
  instinctGet(id: string): Promise<InstinctStream>;
  /** stream_already_exists 409. The stream starts in `created`. */
  instinctCreate(stream: InstinctStream): Promise<void>;
  /** stream_running 409 unless created, stopped or error. */
  instinctReplace(id: string, patch: InstinctStreamPatch): Promise<void>;
  /** Stops a running stream first. */
  instinctDelete(id: string): Promise<void>;
  /** Begins the transition and returns the state it is in now (starting, pausing, stopping …). */
  instinctSignal(id: string, signal: InstinctSignal): Promise<InstinctState>;
  /** SDK `reconcile`: a running stream restarts on its current definition; otherwise nothing to do. */
  instinctReconcile(id: string): Promise<InstinctState>;
  instinctStatus(id: string): Promise<InstinctStatus>;
  /** Ids added, in order. Allowed while running (live edit). */
  instinctAddNodes(id: string, nodes: InstinctNode[]): Promise<string[]>;
  /** Removes the nodes and their pipes; node_not_found 404 (details.ids) when one is unknown. */
  instinctRemoveNodes(id: string, nodeIds: string[]): Promise<string[]>;
  instinctNodeSignal(id: string, nodeId: string, signal: InstinctSignal): Promise<InstinctState>;
  instinctAddPipes(id: string, pipes: InstinctPipe[]): Promise<string[]>;
  instinctRemovePipes(id: string, pipeIds: string[]): Promise<string[]>;
}

/** Instinct error codes and their HTTP statuses (API.md §6: [doc] list plus [prop] additions). */
export const INSTINCT_STATUS: Readonly<Record<string, number>> = {
  invalid_request: 400,
  invalid_parameter: 400,
  resource_not_found: 404,
  rate_limit_exceeded: 429,
  internal_error: 500,
  authentication_required: 401,
  invalid_credentials: 401,
  expired_token: 401,
  stream_not_found: 404,
  node_not_found: 404,
  pipe_not_found: 404,
  stream_already_exists: 409,
  invalid_signal: 400,
  invalid_state_transition: 409,
  stream_running: 409,
  unsupported_executable: 422,
  yaml_parse_error: 400,
  validation_failed: 422,
  not_supported: 501,
  engine_unavailable: 503,
  // generic failures of the route table (http.ts)
  method_not_allowed: 405,
  payload_too_large: 413,
};

/**
 * A failure of the Instinct family. It is an ApiError (rendered directly where the backend runs in
 * the same thread); across a MessagePort it arrives as a plain {code, message, details} and the
 * envelope maps the code back to its status.
 */
export class InstinctError extends ApiError {
  override name = 'InstinctError';
  constructor(code: keyof typeof INSTINCT_STATUS & string, message: string, details: Record<string, unknown> = {}) {
    super(INSTINCT_STATUS[code] ?? 500, code, message, details);
  }
}

/** Canonical (lower-case, dashed) form of an Instinct id, or null when it is not a UUID (§3). */
export function instinctUuid(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(raw) ? raw.toLowerCase() : null;
}
