// The one clock of Neurotab: milliseconds since the Unix epoch with sub-millisecond resolution,
// `performance.timeOrigin + performance.now()`. Same value in every thread and same-origin page
// (and in Node), so device samples and markers from other pages line up. Pure; no side effects.

/** Current time on the shared clock, in milliseconds. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
