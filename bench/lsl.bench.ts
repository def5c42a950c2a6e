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
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { lslClock } from '../cli/bridge/lsl/config';
import { resolveByPredicate } from '../cli/bridge/lsl/discovery';
import { LslInlet } from '../cli/bridge/lsl/inlet';
import { ensureLiblsl } from '../cli/bridge/lsl/testing/liblsl';
import { Ring, RingWriter } from '../src/lib/streams/ring';
import { benchHeading, benchSeconds, CHANNELS, type Figures, liblslBaseline, peerProcess, percentiles, printFigures, RATE_HZ, rerunInNetns } from './lsl-support';

const args = process.argv.slice(2);
const SECONDS = benchSeconds(args);

/** liblsl outlet → our inlet → Ring. */
async function ours(bin: string, env: NodeJS.ProcessEnv): Promise<Figures & { loopP99Ms: number; loopMaxMs: number; cpuPercent: number }> {
  const outlet = peerProcess(bin, ['bench-outlet', 'bench-ours', CHANNELS, RATE_HZ, SECONDS], env, 'ignore');
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

async function inside(): Promise<number> {
  const { peer: bin, env } = ensureLiblsl();
  console.log(benchHeading('LSL', SECONDS));
  const a = await ours(bin, env);
  const b = await liblslBaseline(bin, env, 'bench-liblsl', SECONDS, 'ignore');
  return printFigures(['liblsl outlet → our inlet (Node) → Ring', a], b, 'ours', `; Node event loop delay while receiving: p99 ${a.loopP99Ms.toFixed(2)} ms, max ${a.loopMaxMs.toFixed(2)} ms; inlet process CPU ${a.cpuPercent.toFixed(1)} % of one core`);
}

if (process.env.NEUROTAB_IN_NETNS) process.exit(await inside());
await rerunInNetns(fileURLToPath(import.meta.url), args, SECONDS);
