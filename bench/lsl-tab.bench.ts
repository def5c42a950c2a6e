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
import { fileURLToPath } from 'node:url';
import { WebSocket as WsSocket } from 'ws';
import { startBridge } from '../cli/bridge/relay';
import { ensureLiblsl } from '../cli/bridge/lsl/testing/liblsl';
import { jsonLines } from '../cli/bridge/lsl/testing/netns';
import { openBridgeSocket } from '../src/lib/api/bridge';
import { LslBridgeClient } from '../src/lib/api/lsl-client';
import { Ring, RingWriter } from '../src/lib/streams/ring';
import { benchHeading, benchSeconds, CHANNELS, type Figures, liblslBaseline, peerProcess, percentiles, printFigures, RATE_HZ, rerunInNetns } from './lsl-support';

const args = process.argv.slice(2);
const SECONDS = benchSeconds(args);
/** The bridge holds an inlet's first chunks until LSL's first clock offset (~0.7 s): the first 2 s are left out of the latency figures (not of the loss count). */
const WARMUP_SAMPLES = 2 * RATE_HZ;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  const outlet = peerProcess(bin, ['bench-outlet', 'bench-tab', CHANNELS, RATE_HZ, SECONDS], env);
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

async function inside(): Promise<number> {
  const { peer: bin, env } = ensureLiblsl();
  console.log(benchHeading('LSL → tab', SECONDS));
  const a = await throughBridge(bin, env);
  const b = await liblslBaseline(bin, env, 'bench-liblsl', SECONDS);
  return printFigures(['liblsl outlet → bridge → tab client → Ring', a], b, 'through the bridge');
}

const tabArg = args.find((a) => a.startsWith('--tab='));
if (tabArg) {
  const [port, token] = tabArg.slice(6).split(':');
  await tab(Number(port), token);
} else if (process.env.NEUROTAB_IN_NETNS) process.exit(await inside());
else await rerunInNetns(fileURLToPath(import.meta.url), args, SECONDS);
