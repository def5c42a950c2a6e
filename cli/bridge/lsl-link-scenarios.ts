// LSL through the bridge to the tab's client, each scenario run by lsl-link.spec.ts inside a network
// namespace of its own: liblsl 1.16.2 (lsl-peer.c) on one side, the bridge (startBridge) in the
// middle, and the tab's real code (openBridgeSocket + LslBridgeClient, src/lib/api/) over the real
// socket on the other, its clock shifted so the bridge ↔ tab mapping is exercised. Test support;
// never app code. Prints one {"result": …} line. Usage (inside a namespace only):
//   node --import tsx cli/bridge/lsl-link-scenarios.ts <scenario>
// Environment: LSL_PEER (lsl-peer binary), LD_LIBRARY_PATH.
import { spawn } from 'node:child_process';
import { WebSocket as WsSocket } from 'ws';
import { openBridgeSocket, type BridgeConnection } from '../../src/lib/api/bridge';
import { LslBridgeClient } from '../../src/lib/api/lsl-client';
import type { DriverGap } from '../../src/lib/devices/descriptor';
import { LslStreamDriver } from '../../src/lib/devices/drivers/lsl/driver';
import { subscribeMarkers } from '../../src/lib/core/markers';
import { matchStreamQuery, type MarkerEvent } from '../../src/lib/core/stream';
import type { InstanceAxis } from '../../src/lib/engine/axes';
import { builtinRegistry } from '../../src/lib/engine/nodes/index';
import { MarkerQueue } from '../../src/lib/engine/nodes/io';
import { Execution } from '../../src/lib/engine/runtime';
import { Ring, RingReader, RingWriter } from '../../src/lib/streams/ring';
import { appMsToLsl } from './lsl-link';
import { lslToAppMs } from './lsl';
import { jsonLines } from './lsl/testing/netns';
import { startBridge, type Bridge } from './relay';

/** The fake tab's clock runs this far ahead of the bridge's (ms). */
const TAB_SHIFT_MS = 12_345.678;
const APP_ORIGIN = 'http://127.0.0.1:5173';
const log = (line: string) => process.stderr.write(`[bridge] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The tab's code uses the browser's WebSocket; in Node, `ws` sends the Origin a browser would.
(globalThis as { WebSocket: unknown }).WebSocket = class extends WsSocket {
  constructor(url: string) {
    super(url, { origin: APP_ORIGIN });
  }
};

/** lsl-peer as a child: its JSON lines, and a wait for one. */
function peer(args: (string | number)[]) {
  const child = spawn(process.env.LSL_PEER!, args.map(String), { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  const lines = () => jsonLines(out.slice(0, out.lastIndexOf('\n') + 1));
  const waitFor = async (pred: (l: any) => boolean, timeoutMs = 20_000) => {
    for (const t0 = Date.now(); Date.now() - t0 < timeoutMs; await sleep(50)) {
      const hit = lines().find(pred);
      if (hit) return hit;
      if (child.exitCode !== null) break;
    }
    throw new Error(`lsl-peer ${args.join(' ')}: no matching line (exit ${child.exitCode}); output:\n${out.slice(-2000)}`);
  };
  return { child, lines, waitFor, exited };
}

/** A bridge and the tab's client paired with it over the real socket. */
async function pairedTab(): Promise<{ bridge: Bridge; client: LslBridgeClient; conn: BridgeConnection }> {
  const bridge = await startBridge({ port: 0, log });
  const client = new LslBridgeClient(() => performance.timeOrigin + performance.now() + TAB_SHIFT_MS);
  let paired = () => {};
  const ready = new Promise<void>((r) => (paired = r));
  const conn = openBridgeSocket(bridge.port, bridge.token, {
    engineHost: true,
    answer: async (req) => ({ type: 'response', id: req.id, status: 404, headers: {} }),
    onState: (state, detail) => {
      if (state === 'paired') paired();
      if (state === 'error') log(`pairing failed: ${detail}`);
    },
    lsl: client,
  });
  await ready;
  while (client.clockOffsetMs === 0) await sleep(20); // attach() measures the clock
  return { bridge, client, conn };
}

/** Samples received by an inlet opened through the client, until `frames` of them (or the timeout). */
async function gather(client: LslBridgeClient, query: string, frames: number, timeoutMs = 20_000) {
  const values: (number | string)[] = [];
  const timestampsMs: number[] = [];
  const events: { event: string; detail: string; gapMs?: number; frames?: number }[] = [];
  const opened = await client.openInlet(query, {
    onChunk: (n, v, t) => {
      values.push(...(v as ArrayLike<number | string> as (number | string)[]));
      timestampsMs.push(...t);
    },
    onEvent: (event, detail, extra) => events.push({ event, detail, ...extra }),
  });
  for (const t0 = Date.now(); timestampsMs.length < frames && Date.now() - t0 < timeoutMs; ) await sleep(50);
  // Stop before liblsl's destroyed outlet sends its wake-up sample (docs/lsl.md).
  client.closeInlet(opened.id);
  const width = opened.stream.channelCount;
  return { opened, values: values.slice(0, frames * width), timestampsMs: timestampsMs.slice(0, frames), received: timestampsMs.length, events };
}

const scenarios: Record<string, () => Promise<unknown>> = {
  /** A liblsl float32 outlet → bridge inlet → the tab: values, rate, timestamps on the tab's clock. */
  async 'peer-outlet-to-tab'() {
    const p = peer(['outlet', 'tab-f32', 'EEG', 'float32', 4, 100, 200, 'src-tab-f32']);
    await p.waitFor((l) => 'ready' in l);
    const { bridge, client, conn } = await pairedTab();
    const streams = await client.streams(1.5);
    const got = await gather(client, "name='tab-f32'", 200);
    await p.exited;
    // What the peer pushed, on the bridge's app clock, then on the tab's.
    const pushedTabMs = p.lines().filter((l) => 'i' in l).map((l) => lslToAppMs(l.t) + TAB_SHIFT_MS);
    conn.close();
    await bridge.close();
    return { streams, ...got, pushedTabMs, clockOffsetMs: client.clockOffsetMs, shiftMs: TAB_SHIFT_MS };
  },

  /** A liblsl string marker stream (3 channels, one 300 bytes long) → the tab: strings exact. */
  async 'peer-markers-to-tab'() {
    const p = peer(['outlet', 'tab-markers', 'Markers', 'string', 3, 20, 40, 'src-tab-mk']);
    await p.waitFor((l) => 'ready' in l);
    const { bridge, client, conn } = await pairedTab();
    const got = await gather(client, "type='Markers'", 40);
    await p.exited;
    conn.close();
    await bridge.close();
    return got;
  },

  /**
   * A liblsl EEG outlet and a liblsl marker outlet → two LSL stream devices → a running pipeline
   * (LSLInput bound by its query, io.marker-input fed by the marker bus, as in the API worker) whose
   * Segmentation cuts one epoch per LSL marker.
   */
  async 'peer-markers-to-segmentation'() {
    const eeg = peer(['outlet', 'seg-eeg', 'EEG', 'float32', 2, 100, 0, 'src-seg-eeg']);
    const mk = peer(['outlet', 'seg-markers', 'Markers', 'string', 1, 4, 0, 'src-seg-mk']);
    await eeg.waitFor((l) => 'ready' in l);
    await mk.waitFor((l) => 'ready' in l);
    const { bridge, client, conn } = await pairedTab();
    const queue = new MarkerQueue();
    const heard: MarkerEvent[] = [];
    const unsubscribe = subscribeMarkers((events) => (heard.push(...events), queue.push(events)));
    const eegDevice = new LslStreamDriver(client, "source_id='src-seg-eeg'");
    const mkDevice = new LslStreamDriver(client, "type='Markers'");
    await eegDevice.open();
    await mkDevice.open();
    const ring = Ring.create({ channels: 2, capacityFrames: 4096 });
    const writer = new RingWriter(ring);
    const streams = [{ descriptor: eegDevice.descriptor!, buffer: ring.buffer }];
    const ex = new Execution(builtinRegistry(), { info: { tickRateHz: 50 } });
    ex.load({
      format: 'neurotab.pipeline', version: 1, meta: { name: 'lsl markers' },
      nodes: [
        { id: 'in', type: 'LSLInput', params: { query: "type='EEG'" } },
        { id: 'mk', type: 'io.marker-input' },
        { id: 'ep', type: 'time.segmentation', params: { time_bounds: [0, 0.2] } },
      ],
      edges: [
        { source: 'in', target: 'ep' },
        { source: 'mk', sourcePort: 'markers', target: 'ep', targetPort: 'markers' },
      ],
    });
    const bound = matchStreamQuery(streams, "type='EEG'")!;
    ex.bind('in', { descriptor: bound.descriptor, reader: new RingReader(Ring.attach(bound.buffer), { from: 'now' }) });
    ex.bind('mk', queue);
    const epochs: { marker: string; timeMs: number; frames: number; first: number }[] = [];
    ex.tap('ep', 'data', (p) => {
      for (const [, c] of p) {
        const inst = c.block.axes.find((a) => a.type === 'instance') as InstanceAxis | undefined;
        const time = c.block.axes.find((a) => a.type === 'time') as { timesMs?: Float64Array; timestampsMs?: Float64Array } | undefined;
        if (!inst) continue;
        const markers = inst.fields.Marker as unknown as ArrayLike<string>;
        for (let k = 0; k < inst.timesMs.length; k++) epochs.push({ marker: String(markers?.[k]), timeMs: inst.timesMs[k], frames: (time?.timesMs ?? time?.timestampsMs)?.length ?? 0, first: Number((c.block.data as ArrayLike<number>)[0]) });
      }
    });
    const ac = new AbortController();
    const loop = ex.runOnline(ac.signal);
    await mkDevice.start({ onFrames: () => {}, onGap: () => {}, onDisconnected: () => {} });
    await eegDevice.start({ onFrames: (f) => writer.push(f.samples, f.timestampsMs, f.frames), onGap: () => {}, onDisconnected: () => {} });
    for (const t0 = Date.now(); epochs.length < 6 && Date.now() - t0 < 20_000; ) await sleep(100);
    ac.abort();
    await loop;
    unsubscribe();
    eeg.child.kill('SIGKILL');
    mk.child.kill('SIGKILL');
    // Marker i was pushed by liblsl at t (LSL seconds): on the tab's clock it is lslToAppMs(t) + shift.
    const pushed = mk.lines().filter((l) => 'i' in l).map((l) => ({ value: `s${l.i}-c0`, tabMs: lslToAppMs(l.t) + TAB_SHIFT_MS }));
    await eegDevice.close();
    await mkDevice.close();
    conn.close();
    await bridge.close();
    return { epochs, heard, pushed };
  },

  /** The outlet killed and restarted under an LSL stream device: the driver hears the gap, then frames go on. */
  async 'peer-recovery-to-tab'() {
    const start = () => peer(['outlet', 'tab-rec', 'EEG', 'float32', 2, 100, 0, 'src-tab-rec']);
    let p = start();
    await p.waitFor((l) => 'ready' in l);
    const { bridge, client, conn } = await pairedTab();
    const driver = new LslStreamDriver(client, "source_id='src-tab-rec'");
    await driver.open();
    const frames: { sampleIndex: number; frames: number; first: number; t: number }[] = [];
    const gaps: DriverGap[] = [];
    await driver.start({ onFrames: (f) => frames.push({ sampleIndex: f.sampleIndex, frames: f.frames, first: f.samples[0], t: f.timestampsMs[0] }), onGap: (g) => gaps.push(g), onDisconnected: (why) => log(`disconnected: ${why}`) });
    await sleep(1500);
    p.child.kill('SIGKILL');
    await p.exited;
    const framesBeforeKill = frames.length;
    await sleep(1500);
    p = start();
    await p.waitFor((l) => 'ready' in l);
    for (const t0 = Date.now(); !gaps.length && Date.now() - t0 < 20_000; ) await sleep(100);
    await sleep(1000);
    p.child.kill('SIGKILL');
    await driver.close();
    conn.close();
    await bridge.close();
    return { frames, gaps, framesBeforeKill, descriptor: driver.descriptor };
  },

  /** An app stream published from the tab → the bridge's outlet → a liblsl inlet: values, timestamps, channel metadata. */
  async 'tab-outlet-to-peer'() {
    const { bridge, client, conn } = await pairedTab();
    const channels = [
      { label: 'Fp1', unit: 'microvolts', type: 'EEG' },
      { label: 'Fp2 & <x>', unit: 'microvolts', type: 'EEG' },
      { label: 'Marker-free', unit: 'volts', type: 'AUX' },
    ];
    const outlet = await client.openOutlet({ name: 'nt-eeg', type: 'EEG', sourceId: 'neurotab:test', channelFormat: 'float32', nominalSrateHz: 250, channels });
    const p = peer(['inlet', "name='nt-eeg'", 100, 15]);
    // The tab pushes 10 frames every 40 ms (250 Hz): channel 0 carries the sample index.
    const pushedTabMs: number[] = [];
    const t0 = performance.timeOrigin + performance.now() + TAB_SHIFT_MS;
    let i = 0;
    while (p.child.exitCode === null && i < 20_000) {
      const values: number[] = [];
      const stamps: number[] = [];
      for (let k = 0; k < 10; k++, i++) {
        values.push(i, i * 0.5 - 7.25, -i / 8);
        stamps.push(t0 + i * 4);
        pushedTabMs.push(t0 + i * 4);
      }
      client.push(outlet.id, values, stamps);
      await sleep(40);
    }
    await p.exited;
    client.closeOutlet(outlet.id);
    const lines = p.lines();
    // Each tab timestamp as the bridge should have stamped it (the tab's clock mapped to the bridge's, then to LSL seconds).
    const expectedLslS = pushedTabMs.map((ms) => appMsToLsl(ms - TAB_SHIFT_MS));
    conn.close();
    await bridge.close();
    return { info: lines.find((l) => 'info' in l)?.info, samples: lines.filter((l) => 'v' in l), offset: lines.find((l) => 'offset' in l)?.offset, expectedLslS, clockOffsetMs: client.clockOffsetMs, uid: outlet.uid };
  },
};

const name = process.argv[2];
const run = scenarios[name];
if (!run) {
  console.error(`unknown scenario ${name}; one of ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
run().then(
  (value) => {
    console.log(JSON.stringify({ result: value }));
    process.exit(0);
  },
  (e: unknown) => {
    console.error(e instanceof Error ? e.stack : String(e));
    process.exit(1);
  },
);
