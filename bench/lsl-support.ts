// What the two LSL benchmarks share (bench/lsl.bench.ts: liblsl → our inlet in Node; bench/lsl-tab.bench.ts:
// liblsl → bridge → tab): the stream's shape and duration from the command line, the figures and
// their percentiles, the liblsl peer processes, the liblsl → liblsl baseline measured beside ours in
// the same run, the figure table, and running the bench itself inside a network namespace.
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { lslTestsUnavailable, ensureLiblsl } from '../cli/bridge/lsl/testing/liblsl';
import { jsonLines, runInNetns, tsCommand } from '../cli/bridge/lsl/testing/netns';

export const CHANNELS = 64;
export const RATE_HZ = 1000;

/** Seconds per path: `--seconds=N`, `--quick` (30 s), else 10 minutes. */
export function benchSeconds(args: string[]): number {
  const secondsArg = args.find((a) => a.startsWith('--seconds='));
  return secondsArg ? Number(secondsArg.slice(10)) : args.includes('--quick') ? 30 : 600;
}

export interface Figures {
  received: number;
  lost: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

export function percentiles(lat: Float64Array, n: number): Pick<Figures, 'p50_ms' | 'p99_ms' | 'max_ms'> {
  const s = lat.slice(0, n).sort();
  return { p50_ms: s[Math.floor(n / 2)] ?? NaN, p99_ms: s[Math.floor(n * 0.99)] ?? NaN, max_ms: s[n - 1] ?? NaN };
}

/** A liblsl peer program (lsl-peer): its JSON lines on stdout, its stderr where `stderr` says. */
export function peerProcess(bin: string, args: (string | number)[], env: NodeJS.ProcessEnv, stderr: 'ignore' | 'inherit' = 'inherit') {
  const child = spawn(bin, args.map(String), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', stderr] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return { child, exited, lines: () => jsonLines(out) };
}

/** liblsl outlet → liblsl inlet (C, lsl-peer bench-inlet): the baseline, on a stream named `name`. */
export async function liblslBaseline(bin: string, env: NodeJS.ProcessEnv, name: string, seconds: number, stderr: 'ignore' | 'inherit' = 'inherit'): Promise<Figures> {
  const outlet = peerProcess(bin, ['bench-outlet', name, CHANNELS, RATE_HZ, seconds], env, stderr);
  const inlet = peerProcess(bin, ['bench-inlet', `name='${name}'`, seconds + 2], env, stderr);
  await Promise.all([outlet.exited, inlet.exited]);
  const r = inlet.lines().find((l) => 'received' in l);
  if (!r) throw new Error('lsl-peer bench-inlet printed no figures');
  return r;
}

/** The opening line: what is measured, on how many cores, under what load. */
export function benchHeading(title: string, seconds: number): string {
  return `${title}: ${CHANNELS} ch × ${RATE_HZ} Hz float32 for ${seconds} s per path, liblsl 1.16.2 outlet; ${availableParallelism()} cores, load ${loadavg().map((x) => x.toFixed(2)).join(' ')} (shared machine: figures are noisy)`;
}

/** Prints the figure table (ours, then liblsl's), the p99 ratio and `extra` after it; 1 if either path lost a sample. */
export function printFigures(ours: [label: string, f: Figures], liblsl: Figures, ratioLabel: string, extra = ''): number {
  const width = Math.max(ours[0].length, 32);
  const row = (name: string, f: Figures) => `${name.padEnd(width)} ${String(f.received).padStart(9)} ${String(f.lost).padStart(5)} ${f.p50_ms.toFixed(3).padStart(8)} ${f.p99_ms.toFixed(3).padStart(8)} ${f.max_ms.toFixed(2).padStart(8)}`;
  console.log(`${'path'.padEnd(width)} ${'received'.padStart(9)} ${'lost'.padStart(5)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}`);
  console.log(row(...ours));
  console.log(row('liblsl outlet → liblsl inlet (C)', liblsl));
  console.log(`p99 ${ratioLabel} / liblsl: ${(ours[1].p99_ms / liblsl.p99_ms).toFixed(2)}×${extra}`);
  if (ours[1].lost || liblsl.lost) {
    console.log(`LOST SAMPLES: ${ratioLabel} ${ours[1].lost}, liblsl ${liblsl.lost}`);
    return 1;
  }
  console.log('no sample lost on either path');
  return 0;
}

/** Runs the bench file again inside a network namespace of its own (LSL multicasts), passing its output through; never returns. */
export async function rerunInNetns(file: string, args: string[], seconds: number): Promise<never> {
  const why = lslTestsUnavailable();
  if (why) {
    console.log(`${file.replace(/.*\/bench\//, 'bench/')}: skipped: ${why}`);
    process.exit(0);
  }
  ensureLiblsl();
  const r = await runInNetns(tsCommand(file, args), { env: { NEUROTAB_IN_NETNS: '1' }, timeoutMs: (2 * seconds + 180) * 1000 });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  process.exit(r.code ?? 1);
}
