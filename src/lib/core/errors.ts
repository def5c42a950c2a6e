// Error types shared by every layer. Messages say what is wrong and what to do next.
// Runs anywhere (page, workers, service worker, Node); imports nothing.

/** A problem with input the user or a client supplied (file, request body, pipeline, packet). */
export class InputError extends Error {
  override name = 'InputError';
  /** Where the problem is: a file name, a JSON path, a node id, a byte offset. */
  readonly where?: string;
  constructor(message: string, where?: string) {
    super(where ? `${where}: ${message}` : message);
    this.where = where;
  }
}

/** An operation that is not possible in the current state (e.g. stop a stopped recording). */
export class StateError extends Error {
  override name = 'StateError';
}

/** Storage ran out of quota or failed; what was written before is kept. */
export class StorageError extends Error {
  override name = 'StorageError';
  /** True when the browser refused the write for lack of quota (QuotaExceededError). */
  readonly quota: boolean;
  constructor(message: string, options: { quota?: boolean } = {}) {
    super(message);
    this.quota = options.quota ?? false;
  }
}

/** A readable one-line message for any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
