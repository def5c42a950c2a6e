// Test support (Node only): liblsl 1.16.2, the peer of our LSL tests, built from
// ../shared/vendor/liblsl with its build.sh into node_modules/.cache/liblsl (outside git; reused
// when complete), and our C peer (lsl-peer.c) compiled against it. Spec files running in parallel
// share one build through a lock directory. Never used by app code.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hasShared, sharedPath } from '../../../../tests/support/shared';
import { jsonLines, netnsAvailable, repoRoot, runInNetns, tsCommand, warnSkipped } from './netns';

const cacheDir = join(repoRoot, 'node_modules/.cache');
export const LIBLSL_DIR = join(cacheDir, 'liblsl');
const LOCK = join(cacheDir, 'liblsl.lock');
const PEER_SOURCE = join(repoRoot, 'cli/bridge/lsl/testing/lsl-peer.c');

export interface Liblsl {
  dir: string;
  /** Path of one of liblsl's example programs (SendData, ReceiveStringMarkers, …). */
  example(name: string): string;
  /** Our C peer (see lsl-peer.c). */
  peer: string;
  /** Environment for running them (LD_LIBRARY_PATH). */
  env: NodeJS.ProcessEnv;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `fn` holding the cache lock (waits for another process's build; a lock older than 15 min is stale). */
function locked<T>(fn: () => T): T {
  mkdirSync(cacheDir, { recursive: true });
  for (let waited = 0; ; waited += 500) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 15 * 60_000) rmSync(LOCK, { recursive: true, force: true });
      if (waited > 20 * 60_000) throw new Error(`waited 20 min for ${LOCK}; remove it if no build is running`);
      sleepSync(500);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Why liblsl cannot be built here, or null. */
export function liblslUnavailable(): string | null {
  if (!hasShared) return '../shared is absent (it holds vendor/liblsl)';
  if (!existsSync(sharedPath('vendor/liblsl/build.sh'))) return '../shared/vendor/liblsl/build.sh is absent';
  return null;
}

/** Builds liblsl (≈2 min the first time) and the C peer when missing; returns their paths. */
export function ensureLiblsl(): Liblsl {
  const why = liblslUnavailable();
  if (why) throw new Error(why);
  const source = readFileSync(PEER_SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const peerDir = join(cacheDir, 'lsl-peer', hash);
  const peer = join(peerDir, 'lsl-peer');
  locked(() => {
    if (!existsSync(join(LIBLSL_DIR, 'lib/liblsl.so.1.16.2')) || !existsSync(join(LIBLSL_DIR, 'bin/ReceiveStringMarkers'))) {
      execFileSync('bash', [sharedPath('vendor/liblsl/build.sh'), LIBLSL_DIR], { stdio: ['ignore', 'inherit', 'inherit'] });
    }
    if (!existsSync(peer)) {
      mkdirSync(peerDir, { recursive: true });
      // -ffp-contract=off: the peer's double values must be computed exactly as testing/peer-values.ts computes them.
      execFileSync('gcc', ['-O2', '-Wall', '-ffp-contract=off', '-o', peer, PEER_SOURCE, `-I${LIBLSL_DIR}/include`, `-L${LIBLSL_DIR}/lib`, '-llsl', '-lm', `-Wl,-rpath,${LIBLSL_DIR}/lib`], { stdio: 'inherit' });
    }
  });
  return {
    dir: LIBLSL_DIR,
    example: (name) => join(LIBLSL_DIR, 'bin', name),
    peer,
    env: { LD_LIBRARY_PATH: join(LIBLSL_DIR, 'lib') },
  };
}

/** Why LSL tests cannot run here (no network namespaces, or no liblsl source), or null. */
export function lslTestsUnavailable(): string | null {
  const ns = netnsAvailable();
  return ns.ok ? liblslUnavailable() : ns.reason;
}

/** For a spec: true (after a loud notice) when its LSL tests cannot run here. */
export function skipLslTests(what: string): boolean {
  const why = lslTestsUnavailable();
  if (why) warnSkipped(what, why);
  return why !== null;
}

/** Runs one of testing/scenarios.ts in a namespace of its own; resolves with its result, throws with its log. */
export async function runScenario(lib: Liblsl, name: string, timeoutMs = 110_000): Promise<any> {
  const r = await runInNetns(tsCommand('cli/bridge/lsl/testing/scenarios.ts', [name]), { timeoutMs, env: { ...lib.env, LSL_PEER: lib.peer, LSL_EXAMPLES: join(lib.dir, 'bin') } });
  const out = jsonLines(r.stdout).find((l) => 'result' in l);
  if (r.code !== 0 || !out) throw new Error(`scenario ${name} failed (exit ${r.code}):\n${r.stderr.slice(-6000)}`);
  return out.result;
}
