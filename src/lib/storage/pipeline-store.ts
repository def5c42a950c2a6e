// The pipeline file store in IndexedDB: the virtual files NeuroPype `file` names resolve against
// (api/local-backend PipelineStore, structurally). Any thread with IndexedDB.
import type { NeurotabDb } from './db';

export interface PipelineFileInfo {
  path: string;
  bytes: number;
  modifiedMs: number;
}

export class IndexedDbPipelineStore {
  constructor(private readonly db: NeurotabDb) {}

  async list(): Promise<PipelineFileInfo[]> {
    const rows = await this.db.pipelines.orderBy('path').toArray();
    return rows.map((r) => ({ path: r.path, bytes: new TextEncoder().encode(r.content).byteLength, modifiedMs: r.updatedAtMs }));
  }

  async get(path: string): Promise<string | undefined> {
    return (await this.db.pipelines.get(path))?.content;
  }

  async put(path: string, text: string): Promise<void> {
    const contentType = path.endsWith('.pyp') ? 'application/xml' : 'application/json';
    await this.db.pipelines.put({ path, content: text, updatedAtMs: Date.now(), contentType });
  }

  async delete(path: string): Promise<boolean> {
    const had = (await this.db.pipelines.get(path)) !== undefined;
    await this.db.pipelines.delete(path);
    return had;
  }
}
