// Polls `what` (sync or async) every 20 ms until it gives something truthy, which it resolves with;
// throws "timed out waiting for <label>" after `timeoutMs`. For tests that wait on events of a worker.
export async function until<T>(what: () => T | undefined | false | Promise<T | undefined | false>, label: string, timeoutMs = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await what();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
