// Helpers shared by the NeuroPype node classes of np-*.ts: refusing a parameter that cannot be
// honoured unless it is at its default, and turning a kernel's error into the node's InputError.
// Runs anywhere the engine runs.
import { InputError } from '../../core/errors';

/** Refuses a parameter NeuroPype has but we cannot honour, unless it is at its default (never silently wrong). */
export function onlyDefault(params: Readonly<Record<string, unknown>>, name: string, def: unknown, why: string, who: string): void {
  // NeuroPype's designer saves a text field nobody filled in as '': the same as unset.
  const v = params[name] === '' && def === null ? null : (params[name] ?? null);
  if (JSON.stringify(v) !== JSON.stringify(def)) throw new InputError(`parameter "${name}" = ${JSON.stringify(params[name])} is not supported (${why}); leave it at ${JSON.stringify(def)}`, who);
}

/** A kernel's error (dsp/ throws InputErrors naming the kernel) as the node's own InputError. */
export function rethrowAs(e: unknown, who: string): never {
  throw new InputError(e instanceof Error ? e.message : String(e), who);
}
