// Test support (Node only): run LSL code and liblsl inside a network namespace of its own, so no
// discovery packet leaves the machine (../shared/vendor/liblsl/README.md): `unshare -n` with the
// loopback up, multicast on and the multicast route. Never used by app code. Every LSL test and
// benchmark goes through runInNetns; nothing LSL runs outside a namespace.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The namespace's network: loopback only, with multicast (what liblsl's README prescribes). */
export const NETNS_SETUP = 'ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo';

let checked: { ok: boolean; reason: string } | undefined;

/** Whether this process may create network namespaces (root, or CAP_SYS_ADMIN), and why not. */
export function netnsAvailable(): { ok: boolean; reason: string } {
  if (!checked) {
    const r = spawnSync('unshare', ['-n', 'bash', '-c', NETNS_SETUP], { encoding: 'utf8' });
    checked = r.status === 0
      ? { ok: true, reason: '' }
      : { ok: false, reason: `cannot create a network namespace (unshare -n: ${(r.error?.message ?? r.stderr).trim() || `exit ${r.status}`}); the LSL tests need root (CI runs as root)` };
  }
  return checked;
}

/** Loud skip notice for a spec that cannot run its LSL scenarios here. */
export function warnSkipped(what: string, reason: string): void {
  const bar = '!'.repeat(100);
  console.warn(`\n${bar}\n!! SKIPPED ${what}: ${reason}\n${bar}\n`);
}

/** A shell word (single-quoted). */
export function sh(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command that runs a TypeScript file with this Node and tsx. */
export function tsCommand(file: string, args: string[] = []): string {
  return [process.execPath, '--import', 'tsx', file, ...args].map(sh).join(' ');
}

export interface NetnsResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` (bash) in a fresh network namespace; resolves when it exits (killed after timeoutMs). */
export function runInNetns(command: string, options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<NetnsResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('unshare', ['-n', 'bash', '-c', `${NETNS_SETUP} && ${command}`], { cwd: repoRoot, env: { ...process.env, ...options.env }, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[runInNetns] killed after ${options.timeoutMs} ms`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, options.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** The JSON objects among a scenario's output lines (other lines are ignored). */
export function jsonLines<T = any>(text: string): T[] {
  const out: T[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      out.push(JSON.parse(t) as T);
    } catch {
      /* a log line that happens to start with "{" */
    }
  }
  return out;
}
