// Benchmark: 64 channels × 1 kHz float32 from a liblsl 1.16.2 outlet (lsl-peer bench-outlet: one
// push_sample per ms, stamped with lsl_local_clock() at the push) into our inlet in Node, whose
// callback writes each batch into a Ring (src/lib/streams/ring.ts) as the bridge will; beside it,
// in the same run, the same outlet read by liblsl's own inlet in C (lsl-peer bench-inlet, which
// measures the same way). Latency of a sample = the LSL clock once it is in the ring (or, for C, in
// the caller's buffer) − (its timestamp + the inlet's time correction). Lost = gaps in channel 0,
// which carries the sample index. Also: the Node event loop's delay while it receives.
// Node only; runs itself inside a network namespace (root). Prints figures, asserts nothing about
// speed; exits 1 if a sample was lost. The machine is shared: figures are noisy.
//   npx tsx bench/lsl.bench.ts            10 minutes per path (npm run bench -- lsl --timeout=1500)
//   npx tsx bench/lsl.bench.ts --quick    30 s per path
//   npx tsx bench/lsl.bench.ts --seconds=N
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { lslClock } from '../cli/bridge/lsl/config';
import { resolveByPredicate } from '../cli/bridge/lsl/discovery';
import { LslInlet } from '../cli/bridge/lsl/inlet';
import { ensureLiblsl, lslTestsUnavailable } from '../cli/bridge/lsl/testing/liblsl';
import { jsonLines, runInNetns, tsCommand } from '../cli/bridge/lsl/testing/netns';
import { Ring, RingWriter } from '../src/lib/streams/ring';

const CHANNELS = 64;
const RATE_HZ = 1000;
const args = process.argv.slice(2);
const secondsArg = args.find((a) => a.startsWith('--seconds='));
const SECONDS = secondsArg ? Number(secondsArg.slice(10)) : args.includes('--quick') ? 30 : 600;

interface Figures {
  received: number;
  lost: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

function percentiles(lat: Float64Array, n: number): Pick<Figures, 'p50_ms' | 'p99_ms' | 'max_ms'> {
  const s = lat.slice(0, n).sort();
  return { p50_ms: s[Math.floor(n / 2)] ?? NaN, p99_ms: s[Math.floor(n * 0.99)] ?? NaN, max_ms: s[n - 1] ?? NaN };
}

function peer(bin: string, env: NodeJS.ProcessEnv, a: (string | number)[]) {
  const child = spawn(bin, a.map(String), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return { child, exited, lines: () => jsonLines(out) };
}

/** liblsl outlet → our inlet → Ring. */
async function ours(bin: string, env: NodeJS.ProcessEnv): Promise<Figures & { loopP99Ms: number; loopMaxMs: number; cpuPercent: number }> {
  const outlet = peer(bin, env, ['bench-outlet', 'bench-ours', CHANNELS, RATE_HZ, SECONDS]);
  const [info] = await resolveByPredicate("name='bench-ours'", { timeoutS: 20 });
  if (!info) throw new Error('the liblsl bench outlet did not answer');
  const ring = Ring.create({ channels: CHANNELS, capacityFrames: 10 * RATE_HZ });
  const writer = new RingWriter(ring);
  const lat = new Float64Array(SECONDS * RATE_HZ + 10_000);
  let n = 0;
  let lost = 0;
  let expected = -1;
  let received = 0;
  let offsetS = 0;
  let stampsMs = new Float64Array(1024);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const inlet = await LslInlet.open(info, {
    onChunk: (c) => {
      const samples = c.values as Float32Array;
      if (stampsMs.length < c.frames) stampsMs = new Float64Array(c.frames * 2);
      for (let k = 0; k < c.frames; k++) stampsMs[k] = (c.timestampsS[k] + offsetS) * 1000;
      writer.push(samples, stampsMs, c.frames);
      const now = lslClock();
      for (let k = 0; k < c.frames; k++) {
        const idx = samples[k * CHANNELS];
        if (expected >= 0 && idx !== expected) lost += idx - expected;
        expected = idx + 1;
        if (n < lat.length) lat[n++] = (now - (c.timestampsS[k] + offsetS)) * 1000;
      }
      received += c.frames;
    },
    onEvent: (e) => {
      if (e.type === 'clock-offset-measured') offsetS = e.correction.offsetS;
      else if (e.type === 'disconnected' || e.type === 'gap-detected') console.error(`bench: ${JSON.stringify(e)}`);
    },
  });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Until the outlet has pushed everything (+0.5 s in flight); not until it exits, because liblsl's
  // outlet destructor sends one more sample (a wake-up for its threads) that it never pushed.
  while (!outlet.lines().some((l) => 'done' in l)) await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setTimeout(r, 500));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  loop.disable();
  inlet.close();
  outlet.child.kill('SIGKILL');
  const sent = outlet.lines().find((l) => 'done' in l)?.done ?? NaN;
  return { received, lost: lost + (sent - received > 1 ? sent - received : 0), ...percentiles(lat, n), loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6, cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100 };
}

/** liblsl outlet → liblsl inlet (C, lsl-peer bench-inlet). */
async function liblsl(bin: string, env: NodeJS.ProcessEnv): Promise<Figures> {
  const outlet = peer(bin, env, ['bench-outlet', 'bench-liblsl', CHANNELS, RATE_HZ, SECONDS]);
  const inlet = peer(bin, env, ['bench-inlet', "name='bench-liblsl'", SECONDS + 2]);
  await Promise.all([outlet.exited, inlet.exited]);
  const r = inlet.lines().find((l) => 'received' in l);
  if (!r) throw new Error('lsl-peer bench-inlet printed no figures');
  return r;
}

async function inside(): Promise<number> {
  const { peer: bin, env } = ensureLiblsl();
  console.log(`LSL: ${CHANNELS} ch × ${RATE_HZ} Hz float32 for ${SECONDS} s per path, liblsl 1.16.2 outlet; ${availableParallelism()} cores, load ${loadavg().map((x) => x.toFixed(2)).join(' ')} (shared machine: figures are noisy)`);
  const a = await ours(bin, env);
  const b = await liblsl(bin, env);
  const row = (name: string, f: Figures) => `${name.padEnd(38)} ${String(f.received).padStart(9)} ${String(f.lost).padStart(5)} ${f.p50_ms.toFixed(3).padStart(8)} ${f.p99_ms.toFixed(3).padStart(8)} ${f.max_ms.toFixed(2).padStart(8)}`;
  console.log(`${'path'.padEnd(38)} ${'received'.padStart(9)} ${'lost'.padStart(5)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}`);
  console.log(row('liblsl outlet → our inlet (Node) → Ring', a));
  console.log(row('liblsl outlet → liblsl inlet (C)', b));
  console.log(`p99 ours / liblsl: ${(a.p99_ms / b.p99_ms).toFixed(2)}×; Node event loop delay while receiving: p99 ${a.loopP99Ms.toFixed(2)} ms, max ${a.loopMaxMs.toFixed(2)} ms; inlet process CPU ${a.cpuPercent.toFixed(1)} % of one core`);
  if (a.lost || b.lost) {
    console.log(`LOST SAMPLES: ours ${a.lost}, liblsl ${b.lost}`);
    return 1;
  }
  console.log('no sample lost on either path');
  return 0;
}

if (process.env.NEUROTAB_IN_NETNS) process.exit(await inside());
const why = lslTestsUnavailable();
if (why) {
  console.log(`bench/lsl.bench.ts: skipped: ${why}`);
  process.exit(0);
}
ensureLiblsl();
const r = await runInNetns(tsCommand(fileURLToPath(import.meta.url), args), { env: { NEUROTAB_IN_NETNS: '1' }, timeoutMs: (2 * SECONDS + 180) * 1000 });
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
process.exit(r.code ?? 1);
