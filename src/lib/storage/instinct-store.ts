// Instinct stream definitions in IndexedDB (the `instinctStreams` table, schema v3): the store the
// streams engine keeps them in (api/instinct-streams.ts InstinctStreamStore, structurally), so they
// come back after a reload. Any thread with IndexedDB. Stores definitions only, never run state.
import type { InstinctStreamRow, NeurotabDb } from './db';

export class IndexedDbInstinctStreamStore<T = unknown> {
  constructor(private readonly db: NeurotabDb) {}

  async list(): Promise<InstinctStreamRow<T>[]> {
    return (await this.db.instinctStreams.toArray()) as InstinctStreamRow<T>[];
  }

  async put(row: InstinctStreamRow<T>): Promise<void> {
    await this.db.instinctStreams.put(row);
  }

  async delete(id: string): Promise<void> {
    await this.db.instinctStreams.delete(id);
  }
}
