// Undo/redo for the pipeline editor as whole-document snapshots: every change (add, move, connect,
// delete, paste, parameter, layout, an API writer's edit) records the document before it, and undo
// restores that exact document (deep copies, so later edits never reach a stored snapshot).
import type { PipelineDocument } from '../../engine/index';

export const HISTORY_LIMIT = 200;

const copy = (d: PipelineDocument): PipelineDocument => structuredClone(d);

export class DocumentHistory {
  private readonly past: PipelineDocument[] = [];
  private readonly future: PipelineDocument[] = [];
  private current: PipelineDocument;

  constructor(doc: PipelineDocument, private readonly limit = HISTORY_LIMIT) {
    this.current = copy(doc);
  }

  /** The document now (a copy: changing it changes nothing here). */
  get doc(): PipelineDocument {
    return copy(this.current);
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }

  /** Records `next` as a change (drops the redo branch; the oldest snapshot beyond `limit` is forgotten). */
  commit(next: PipelineDocument): void {
    this.past.push(this.current);
    if (this.past.length > this.limit) this.past.shift();
    this.future.length = 0;
    this.current = copy(next);
  }

  /** Steps back; returns the restored document, or null with nothing to undo. */
  undo(): PipelineDocument | null {
    const prev = this.past.pop();
    if (!prev) return null;
    this.future.push(this.current);
    this.current = prev;
    return this.doc;
  }

  redo(): PipelineDocument | null {
    const next = this.future.pop();
    if (!next) return null;
    this.past.push(this.current);
    this.current = next;
    return this.doc;
  }
}
