// The online loops of running executions, shared by every family that runs pipelines on the engine
// host (NeuroPype executions and Instinct streams in LocalBackend): one loop per running
// Execution, restarted if a play raced with its exit, and awaited together on shutdown. Runs where
// the engine runs. Holds no execution state of its own besides the loops' promises.
import { errorMessage } from '../core/errors';
import type { Execution } from '../engine/index';

/** Where a loop is kept for its execution (LocalBackend's slot, an Instinct stream). */
export interface LoopHolder {
  loop?: { abort: AbortController; done: Promise<void> };
}

const ACTIVE = ['running', 'calibrating', 'paused'];

export class RunLoops {
  private readonly loops = new Set<Promise<void>>();

  /** Loops alive, including those still winding down after their execution went away (leak checks). */
  get active(): number {
    return this.loops.size;
  }

  /** Resolves when every loop has ended. */
  async settle(): Promise<void> {
    while (this.loops.size) await Promise.all([...this.loops]);
  }

  /**
   * Starts the online loop of `ex` unless `holder` has one. A loop that ends while its execution is
   * still active and `keep()` holds (it was not aborted or deleted) starts again. A loop that throws
   * is logged and its execution stopped (`failed` tells the owner).
   */
  ensure(holder: LoopHolder, ex: Execution, keep: () => boolean, failed?: (e: unknown) => void): void {
    if (holder.loop) return;
    const abort = new AbortController();
    const done: Promise<void> = ex
      .runOnline(abort.signal)
      .catch((e) => {
        ex.log(40, `engine loop failed: ${errorMessage(e)}`);
        if (ACTIVE.includes(ex.currentStatus)) ex.stop();
        failed?.(e);
      })
      .finally(() => {
        this.loops.delete(done);
        if (holder.loop?.done === done) holder.loop = undefined;
        if (!abort.signal.aborted && keep() && ACTIVE.includes(ex.currentStatus)) this.ensure(holder, ex, keep, failed);
      });
    this.loops.add(done);
    holder.loop = { abort, done };
  }
}
