// Names of the Web Locks that coordinate tabs and workers. Any thread.
/** Held by the tab that hosts the engine for the service worker's API (ARCHITECTURE.md). */
export const ENGINE_LOCK = 'neurotab-engine';
/** Held by the recorder worker while it writes a recording; free = the recording is orphaned. */
export function recordingLockName(recordingId: string): string {
  return `neurotab-recording-${recordingId}`;
}
/** Held (shared) by every import in progress; free = any "importing" recording is a crash leftover. */
export const IMPORT_LOCK = 'neurotab-import';
