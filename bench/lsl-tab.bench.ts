// Benchmark: 64 channels × 1 kHz float32 from a liblsl 1.16.2 outlet (lsl-peer bench-outlet: one
// push_sample per ms, channel 0 = sample index, stamped with lsl_local_clock() at the push) through
// the bridge (startBridge: its LSL inlet, time correction, the tab socket) into the tab's
// LslBridgeClient — in a process of its own, as a tab would be — whose chunks are written to a
// Ring. Beside it, in the same run, the same outlet read by liblsl's own inlet in C (lsl-peer
// bench-inlet). Latency of a sample = the tab's clock once it is in the ring − its timestamp on
// the tab's clock (the outlet's push time, corrected by LSL's offset and the bridge ↔ tab probe).
// Lost = gaps in channel 0, plus samples the bridge reported dropped. Node only; runs itself inside
// a network namespace (root). Prints figures, asserts nothing about speed; exits 1 if a sample was
// lost. The machine is shared: figures are noisy.
//   npx tsx bench/lsl-tab.bench.ts            10 minutes per path
//   npx tsx bench/lsl-tab.bench.ts --quick    30 s per path
//   npx tsx bench/lsl-tab.bench.ts --seconds=N
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { WebSocket as WsSocket } from 'ws';
import { startBridge } from '../cli/bridge/relay';
import { ensureLiblsl, lslTestsUnavailable } from '../cli/bridge/lsl/testing/liblsl';
import { jsonLines, runInNetns, tsCommand } from '../cli/bridge/lsl/testing/netns';
import { openBridgeSocket } from '../src/lib/api/bridge';
import { LslBridgeClient } from '../src/lib/api/lsl-client';
import { Ring, RingWriter } from '../src/lib/streams/ring';

const CHANNELS = 64;
const RATE_HZ = 1000;
const args = process.argv.slice(2);
const secondsArg = args.find((a) => a.startsWith('--seconds='));
const SECONDS = secondsArg ? Number(secondsArg.slice(10)) : args.includes('--quick') ? 30 : 600;
/** The bridge holds an inlet's first chunks until LSL's first clock offset (~0.7 s): the first 2 s are left out of the latency figures (not of the loss count). */
const WARMUP_SAMPLES = 2 * RATE_HZ;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

function child(bin: string, a: (string | number)[], env: NodeJS.ProcessEnv = {}) {
  const c = spawn(bin, a.map(String), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((r) => c.on('exit', () => r()));
  return { child: c, exited, lines: () => jsonLines(out) };
}

/** The tab (its own process): pairs, opens the inlet through the bridge, rings what arrives, prints figures when told. */
async function tab(port: number, token: string): Promise<void> {
  (globalThis as { WebSocket: unknown }).WebSocket = class extends WsSocket {
    constructor(url: string) {
      super(url, { origin: 'http://127.0.0.1:5173' });
    }
  };
  const client = new LslBridgeClient();
  openBridgeSocket(port, token, { engineHost: true, answer: async (req) => ({ type: 'response', id: req.id, status: 404, headers: {} }), onState: () => {}, lsl: client });
  while (!client.paired) await sleep(20);
  await client.measureClock();
  const ring = Ring.create({ channels: CHANNELS, capacityFrames: 10 * RATE_HZ });
  const writer = new RingWriter(ring);
  const lat = new Float64Array(SECONDS * RATE_HZ + 10_000);
  let n = 0;
  let lost = 0;
  let expected = -1;
  let received = 0;
  await client.openInlet("name='bench-tab'", {
    onChunk: (frames, values, timestampsMs) => {
      const samples = values as Float32Array;
      writer.push(samples, timestampsMs, frames);
      const now = performance.timeOrigin + performance.now();
      for (let k = 0; k < frames; k++) {
        const idx = samples[k * CHANNELS];
        if (expected >= 0 && idx !== expected) lost += idx - expected;
        expected = idx + 1;
        if (idx >= WARMUP_SAMPLES && n < lat.length) lat[n++] = now - timestampsMs[k];
      }
      received += frames;
    },
    onEvent: (event, detail, extra) => {
      console.error(`bench tab: ${event}: ${detail}`);
      if (event === 'dropped') lost += extra.frames ?? 0;
    },
  }, 20);
  process.stdout.write(JSON.stringify({ ready: true }) + '\n');
  process.stdin.once('data', () => {
    process.stdout.write(JSON.stringify({ received, lost, ...percentiles(lat, n) }) + '\n');
    process.exit(0);
  });
}

/** liblsl outlet → bridge → tab process → Ring. */
async function throughBridge(bin: string, env: NodeJS.ProcessEnv): Promise<Figures> {
  const bridge = await startBridge({ port: 0, log: (l) => console.error(`bridge: ${l}`) });
  const outlet = child(bin, ['bench-outlet', 'bench-tab', CHANNELS, RATE_HZ, SECONDS], env);
  const t = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args, `--tab=${bridge.port}:${bridge.token}`], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  t.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  while (!out.includes('"ready"')) await sleep(100);
  while (!outlet.lines().some((l) => 'done' in l)) await sleep(200);
  await sleep(500);
  t.stdin.write('report\n');
  while (!out.includes('"received"')) await sleep(50);
  outlet.child.kill('SIGKILL');
  await bridge.close();
  const r = jsonLines(out).find((l) => 'received' in l) as Figures;
  const sent = outlet.lines().find((l) => 'done' in l)?.done ?? NaN;
  return { ...r, lost: r.lost + (sent - r.received > 1 ? sent - r.received : 0) };
}

/** liblsl outlet → liblsl inlet (C, lsl-peer bench-inlet). */
async function liblsl(bin: string, env: NodeJS.ProcessEnv): Promise<Figures> {
  const outlet = child(bin, ['bench-outlet', 'bench-liblsl', CHANNELS, RATE_HZ, SECONDS], env);
  const inlet = child(bin, ['bench-inlet', "name='bench-liblsl'", SECONDS + 2], env);
  await Promise.all([outlet.exited, inlet.exited]);
  const r = inlet.lines().find((l) => 'received' in l);
  if (!r) throw new Error('lsl-peer bench-inlet printed no figures');
  return r;
}

async function inside(): Promise<number> {
  const { peer: bin, env } = ensureLiblsl();
  console.log(`LSL → tab: ${CHANNELS} ch × ${RATE_HZ} Hz float32 for ${SECONDS} s per path, liblsl 1.16.2 outlet; ${availableParallelism()} cores, load ${loadavg().map((x) => x.toFixed(2)).join(' ')} (shared machine: figures are noisy)`);
  const a = await throughBridge(bin, env);
  const b = await liblsl(bin, env);
  const row = (name: string, f: Figures) => `${name.padEnd(44)} ${String(f.received).padStart(9)} ${String(f.lost).padStart(5)} ${f.p50_ms.toFixed(3).padStart(8)} ${f.p99_ms.toFixed(3).padStart(8)} ${f.max_ms.toFixed(2).padStart(8)}`;
  console.log(`${'path'.padEnd(44)} ${'received'.padStart(9)} ${'lost'.padStart(5)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}`);
  console.log(row('liblsl outlet → bridge → tab client → Ring', a));
  console.log(row('liblsl outlet → liblsl inlet (C)', b));
  console.log(`p99 through the bridge / liblsl: ${(a.p99_ms / b.p99_ms).toFixed(2)}×`);
  if (a.lost || b.lost) {
    console.log(`LOST SAMPLES: through the bridge ${a.lost}, liblsl ${b.lost}`);
    return 1;
  }
  console.log('no sample lost on either path');
  return 0;
}

const tabArg = args.find((a) => a.startsWith('--tab='));
if (tabArg) {
  const [port, token] = tabArg.slice(6).split(':');
  await tab(Number(port), token);
} else if (process.env.NEUROTAB_IN_NETNS) process.exit(await inside());
else {
  const why = lslTestsUnavailable();
  if (why) {
    console.log(`bench/lsl-tab.bench.ts: skipped: ${why}`);
    process.exit(0);
  }
  ensureLiblsl();
  const r = await runInNetns(tsCommand(fileURLToPath(import.meta.url), args), { env: { NEUROTAB_IN_NETNS: '1' }, timeoutMs: (2 * SECONDS + 180) * 1000 });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  process.exit(r.code ?? 1);
}
