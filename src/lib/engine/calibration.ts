// NeuroPype's calibration semantics for trainable nodes (PACKETS.md §4, docs/packets.md): train on
// non-streaming chunks that carry labels, keep one model per chunk name, honour initialize_once,
// predict on every chunk once a model exists and output nothing before. The bookkeeping and the
// label look-up every learner needs; the learning itself is the node's. Engine worker / Node.
import { InputError } from '../core/errors';
import { MARKER, TARGET, type InstanceAxis } from './axes';
import { findAxis } from './block';
import type { Chunk } from './packet';

/** The instance axis of a chunk, if it has one. */
function instancesOf(c: Chunk): InstanceAxis | undefined {
  return findAxis(c.block, 'instance');
}

/** How many instances of a chunk carry a label in `field` (a finite number). */
export function labelledCount(c: Chunk, field = TARGET): number {
  const f = instancesOf(c)?.fields[field];
  if (!(f instanceof Float64Array)) return 0;
  let n = 0;
  for (let i = 0; i < f.length; i++) if (Number.isFinite(f[i])) n++;
  return n;
}

/**
 * The labels of a chunk's instances (`field`, NeuroPype's cond_field, default TargetValue; NaN =
 * unlabelled), or an InputError that says which field it looked in and which marker values the
 * instances had, so the user can fix AssignTargets' mapping.
 */
export function labelsOf(c: Chunk, who: string, field = TARGET): Float64Array {
  const inst = instancesOf(c);
  if (!inst) throw new InputError(`needs labelled instances (an instance axis with "${field}"), but the data has no instance axis; segment it first (Segmentation)`, who);
  const f = inst.fields[field];
  if (f instanceof Float64Array && labelledCount(c, field) > 0) return f;
  const markers = inst.fields[MARKER];
  const seen = Array.isArray(markers) ? [...new Set(markers)].slice(0, 12) : [];
  throw new InputError(
    `no instance carries a label in "${field}"` +
      (seen.length ? `; the instances' markers are ${seen.map((m) => JSON.stringify(m)).join(', ')}` : '; the instances carry no markers') +
      ` — give AssignTargets a mapping from these markers to class numbers (e.g. {"left": 0, "right": 1}) upstream of this node`,
    who,
  );
}

/**
 * One model per chunk name, trained the NeuroPype way: a chunk trains when it is not streaming,
 * carries labels in `condField`, and `initializeOnce` is false or no model exists yet for its name.
 * `fitted` once any model exists; export/import give the JSON of all of them.
 */
export class ChunkModels<M> {
  private readonly models = new Map<string, M>();
  constructor(readonly opts: { initializeOnce: boolean; condField?: string }) {}

  /** Whether this chunk should (re)train the model of its name. */
  wantsTraining(name: string, c: Chunk): boolean {
    if (c.props.is_streaming) return false;
    if (this.opts.initializeOnce && this.models.has(name)) return false;
    return labelledCount(c, this.opts.condField ?? TARGET) > 0;
  }

  get(name: string): M | undefined {
    return this.models.get(name);
  }

  set(name: string, model: M): void {
    this.models.set(name, model);
  }

  get fitted(): boolean {
    return this.models.size > 0;
  }

  exportModels(): Record<string, M> {
    return Object.fromEntries(this.models);
  }

  importModels(models: Record<string, M>): void {
    this.models.clear();
    for (const [name, m] of Object.entries(models)) this.models.set(name, m);
  }

  clear(): void {
    this.models.clear();
  }
}
