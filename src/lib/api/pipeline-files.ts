// The pipeline file store behind NeuroPype `file` names and /bci/v1/pipelines: keys are relative
// paths ("pipelines/alpha.pyp"); a name resolves by exact key, then by basename. Storage-only, so
// the service worker answers these calls itself (IndexedDB) even with no engine tab open.
// Runs anywhere; the store decides where the bytes live.
import { BackendError, type PipelineFileInfo } from './backend';

/** Where pipeline files live. */
export interface PipelineStore {
  list(): Promise<PipelineFileInfo[]>;
  /** undefined when absent. */
  get(path: string): Promise<string | undefined>;
  put(path: string, text: string): Promise<void>;
  delete(path: string): Promise<boolean>;
}

/** A PipelineStore in memory (tests, bridge fallback). */
export class MemoryPipelineStore implements PipelineStore {
  private readonly files = new Map<string, { text: string; modifiedMs: number }>();
  async list(): Promise<PipelineFileInfo[]> {
    return [...this.files.entries()]
      .map(([path, f]) => ({ path, bytes: new TextEncoder().encode(f.text).byteLength, modifiedMs: f.modifiedMs }))
      .sort((a, b) => (a.path < b.path ? -1 : 1));
  }
  async get(path: string): Promise<string | undefined> {
    return this.files.get(path)?.text;
  }
  async put(path: string, text: string): Promise<void> {
    this.files.set(path, { text, modifiedMs: Date.now() });
  }
  async delete(path: string): Promise<boolean> {
    return this.files.delete(path);
  }
}

export const normalizeKey = (p: string): string => p.replace(/\\/g, '/').replace(/^\/+/, '');
const basename = (p: string): string => p.replace(/\\/g, '/').split('/').pop() ?? p;

/** The store's operations with NeuroPype's name resolution and the API's errors. */
export class PipelineFiles {
  constructor(readonly store: PipelineStore) {}

  list(): Promise<PipelineFileInfo[]> {
    return this.store.list();
  }

  /** Exact key first, then by basename; FILE_NOT_FOUND otherwise. */
  async find(file: string): Promise<{ path: string; text: string }> {
    const key = normalizeKey(file);
    const exact = await this.store.get(key);
    if (exact !== undefined) return { path: key, text: exact };
    const base = basename(key);
    const match = (await this.store.list()).find((f) => basename(f.path) === base);
    if (match) {
      const text = await this.store.get(match.path);
      if (text !== undefined) return { path: match.path, text };
    }
    throw new BackendError('FILE_NOT_FOUND', `No pipeline "${file}" in the pipeline store; upload it first (PUT /bci/v1/pipelines/${base})`);
  }

  async read(path: string): Promise<string> {
    return (await this.find(path)).text;
  }

  write(path: string, text: string): Promise<void> {
    return this.store.put(normalizeKey(path), text);
  }

  async delete(path: string): Promise<void> {
    if (!(await this.store.delete(normalizeKey(path)))) throw new BackendError('FILE_NOT_FOUND', `No pipeline stored at "${path}"`);
  }
}
