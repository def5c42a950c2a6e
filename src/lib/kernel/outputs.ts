// Job outputs behind one interface (API.md §8.4 #6, §8.6): a directory in Node, OPFS or IndexedDB in
// the browser, memory in tests; an object store would be one more implementation. Any thread.
// Contract: `put` publishes a file only once it is complete (write under a temporary name, then
// rename), so a writer killed mid-write never leaves a half-written output under its real name;
// `open` gives a lazily read Blob, so a Range request reads only its bytes.

export interface OutputStore {
  /** Writes one output of a job, atomically (see the header). Replaces an earlier file of that name. */
  put(jobId: string, filename: string, bytes: Uint8Array): Promise<void>;
  /** The file, or null when there is none. */
  open(jobId: string, filename: string): Promise<Blob | null>;
  /** Removes every output of a job (a re-run starts clean). */
  clear(jobId: string): Promise<void>;
  /** Bytes that can still be written, or null when unknown. */
  freeBytes(): Promise<number | null>;
}

/** Outputs in memory (tests, and the command line's dry runs). */
export class MemoryOutputStore implements OutputStore {
  readonly files = new Map<string, Uint8Array>();
  constructor(private readonly capacityBytes: number | null = null) {}
  async put(jobId: string, filename: string, bytes: Uint8Array): Promise<void> {
    this.files.set(`${jobId}/${filename}`, bytes.slice());
  }
  async open(jobId: string, filename: string): Promise<Blob | null> {
    const b = this.files.get(`${jobId}/${filename}`);
    return b ? new Blob([b as BlobPart]) : null;
  }
  async clear(jobId: string): Promise<void> {
    for (const k of [...this.files.keys()]) if (k.startsWith(`${jobId}/`)) this.files.delete(k);
  }
  async freeBytes(): Promise<number | null> {
    if (this.capacityBytes === null) return null;
    let used = 0;
    for (const b of this.files.values()) used += b.byteLength;
    return this.capacityBytes - used;
  }
}

const MEDIA_TYPES: [RegExp, string][] = [
  [/\.snirf$/i, 'application/x-hdf5'],
  [/\.nii\.gz$/i, 'application/gzip'],
  [/\.html?$/i, 'text/html; charset=utf-8'],
  [/\.json$/i, 'application/json'],
  [/\.tsv$/i, 'text/tab-separated-values; charset=utf-8'],
  [/\.png$/i, 'image/png'],
  [/\.svg$/i, 'image/svg+xml'],
];

/** The media type an output is served with (API.md §8.4 #6). */
export function mediaTypeOf(filename: string): string {
  return MEDIA_TYPES.find(([re]) => re.test(filename))?.[1] ?? 'application/octet-stream';
}

/** A file name a job may write and the assets route may serve: one plain path segment. */
export function isOutputName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(name) && !name.includes('..');
}
