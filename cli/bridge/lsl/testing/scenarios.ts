// LSL interoperability scenarios, each run by lsl.spec.ts inside a network namespace of its own:
// liblsl 1.16.2 (its example programs and lsl-peer.c) on one side, our outlet, inlet and resolver on
// the other. Each prints log lines on stderr and one {"result": …} line on stdout, which the spec
// asserts on. Test support; never app code. Usage (inside a namespace only):
//   node --import tsx cli/bridge/lsl/testing/scenarios.ts <scenario> [args]
// Environment: LSL_PEER (lsl-peer binary), LSL_EXAMPLES (liblsl's bin/), LD_LIBRARY_PATH.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lslClock, lslConfig, multicastGroups } from '../config';
import { ContinuousResolver, resolveByPredicate, resolveByProperty, resolveStreams } from '../discovery';
import { LslInlet, type InletEvent } from '../inlet';
import { LslOutlet } from '../outlet';
import { encodeSamples110, feedRequest110, TEST_PATTERN_TIMESTAMP, testPattern, type SampleChunk } from '../protocol';
import { infoMessage, streamChannels, type ChannelFormat, type StreamInfo } from '../stream-info';
import { jsonLines } from './netns';
import { peerSamples } from './peer-values';

const FORMATS: ChannelFormat[] = ['float32', 'double64', 'int8', 'int16', 'int32', 'int64', 'string'];
const logs: string[] = [];
const log = (line: string) => {
  logs.push(line);
  process.stderr.write(`[lsl] ${line}\n`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** JSON with bigints as strings. */
function result(value: unknown): void {
  console.log(JSON.stringify({ result: value }, (_, v) => (typeof v === 'bigint' ? String(v) : v)));
}

// ── child processes ──

interface Proc {
  child: ChildProcess;
  lines: any[];
  text: () => string;
  /** Resolves with the first JSON line matching, or the first text line containing `what`. */
  waitFor: (what: ((line: any) => boolean) | string, timeoutMs?: number) => Promise<any>;
  exited: Promise<number | null>;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let parsedUpTo = 0;
  const lines: any[] = [];
  const waiters: (() => void)[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    const end = out.lastIndexOf('\n') + 1;
    if (end > parsedUpTo) {
      lines.push(...jsonLines(out.slice(parsedUpTo, end)));
      parsedUpTo = end;
    }
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    for (const l of d.split('\n')) if (l.includes('ERR') || l.includes('WARN')) process.stderr.write(`[${file.split('/').pop()}] ${l}\n`);
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => (r(c), waiters.splice(0).forEach((w) => w()))));
  const waitFor = (what: ((line: any) => boolean) | string, timeoutMs = 20_000) =>
    new Promise<any>((resolvePromise, reject) => {
      const t0 = Date.now();
      const check = () => {
        const hit = typeof what === 'string' ? out.split('\n').find((l) => l.includes(what)) : lines.find(what);
        if (hit !== undefined) return resolvePromise(hit);
        if (child.exitCode !== null || Date.now() - t0 > timeoutMs) return reject(new Error(`${file} ${args.join(' ')}: no ${typeof what === 'string' ? JSON.stringify(what) : 'matching line'} (exit ${child.exitCode}); output:\n${out.slice(-2000)}`));
        waiters.push(check);
        setTimeout(check, 200);
      };
      check();
    });
  return { child, lines, text: () => out, waitFor, exited };
}

const peer = (args: (string | number)[], env: NodeJS.ProcessEnv = {}) => run(process.env.LSL_PEER!, args.map(String), env);
const example = (name: string, args: (string | number)[] = [], env: NodeJS.ProcessEnv = {}) => run(join(process.env.LSL_EXAMPLES!, name), args.map(String), env);

/** A liblsl config file forcing the 1.00 protocol (tuning.UseProtocolVersion). */
function protocol100Env(): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'lslcfg-'));
  const file = join(dir, 'lsl_api.cfg');
  writeFileSync(file, '[tuning]\nUseProtocolVersion = 100\n');
  return { LSLAPICFG: file };
}

// ── our side ──

/** Opens an inlet on the first stream matching `predicate` and gathers samples until `until` holds. */
async function gather(predicate: string, until: (frames: number) => boolean, o: { timeoutMs?: number; mutate?: (i: StreamInfo) => StreamInfo } = {}) {
  const [found] = await resolveByPredicate(predicate, { timeoutS: 10, log });
  if (!found) throw new Error(`nothing answers ${predicate}`);
  const info = o.mutate ? o.mutate(found) : found;
  const chunks: SampleChunk[] = [];
  const events: InletEvent[] = [];
  let frames = 0;
  let done = () => {};
  const finished = new Promise<void>((r) => (done = r));
  const inlet = await LslInlet.open(info, {
    log,
    onChunk: (c) => {
      chunks.push(c);
      frames += c.frames;
      if (until(frames)) done();
    },
    onEvent: (e) => events.push(e),
  });
  const timer = setTimeout(done, o.timeoutMs ?? 20_000);
  await finished;
  clearTimeout(timer);
  const values = chunks.flatMap((c) => Array.from(c.values as ArrayLike<unknown>));
  const timestamps = chunks.flatMap((c) => Array.from(c.timestampsS));
  return { inlet, info: inlet.info, chunks, events, values, timestamps, frames };
}

async function waitForCorrection(inlet: LslInlet, timeoutMs = 5000) {
  const t0 = Date.now();
  while (!inlet.timeCorrection && Date.now() - t0 < timeoutMs) await sleep(50);
  return inlet.timeCorrection;
}

// ── scenarios ──

const scenarios: Record<string, (args: string[]) => Promise<unknown>> = {
  /** lsl-peer outlets in every format → our resolver and inlet (values, timestamps, rate, clock, metadata). */
  async 'liblsl-outlet-formats'() {
    const out: Record<string, unknown> = {};
    for (const format of FORMATS) {
      const name = `peer-${format}`;
      const p = peer(['outlet', name, 'EEG', format, 3, 50, 40, `src-${format}`, 1, 0.5]);
      await p.waitFor((l) => 'ready' in l);
      const g = await gather(`name='${name}'`, (n) => n >= 40);
      const correction = await waitForCorrection(g.inlet);
      await p.waitFor((l) => 'done' in l);
      g.inlet.close();
      await p.exited;
      out[format] = {
        values: g.values.slice(0, 120),
        expected: peerSamples(format, 3, 0, 40),
        timestamps: g.timestamps.slice(0, 40),
        peerTimestamps: p.lines.filter((l) => 'i' in l).map((l) => l.t),
        correction,
        channels: streamChannels(g.info),
        info: { ...g.info, desc: undefined },
        connected: g.events.find((e) => e.type === 'connected'),
      };
    }
    return out;
  },

  /** liblsl's SendData example (float32, 9 channels, the last a counter) → our inlet. */
  async 'liblsl-senddata'() {
    const p = example('SendData', ['SendDataEx', 'EEG', 9, 100]);
    const g = await gather("name='SendDataEx'", (n) => n >= 150);
    g.inlet.close();
    p.child.kill();
    const printed = p.text().split('\n').filter((l) => /^-?[\d.]+\t\d+$/.test(l)).map((l) => l.split('\t').map(Number));
    const ch0 = g.values.filter((_, i) => i % 9 === 0) as number[];
    const counter = g.values.filter((_, i) => i % 9 === 8) as number[];
    return { frames: g.frames, ch0, counter, printed, timestamps: g.timestamps, channels: streamChannels(g.info), manufacturer: g.info.desc.children.find((c) => c.tag === 'manufacturer')?.text };
  },

  /** push_chunk with one timestamp (deduced timestamps on the wire): lsl-peer chunks and liblsl's SendDataInChunks. */
  async 'liblsl-chunks'() {
    const p = peer(['outlet', 'peer-chunks', 'EEG', 'int16', 2, 100, 60, 'chunks', 10, 2]);
    await p.waitFor((l) => 'ready' in l);
    const g = await gather("name='peer-chunks'", (n) => n >= 60);
    await p.waitFor((l) => 'done' in l);
    g.inlet.close();
    const e = example('SendDataInChunks', ['InChunks', 'Audio', 1000, 2, 10, 20]);
    const h = await gather("name='InChunks'", (n) => n >= 1500);
    h.inlet.close();
    e.child.kill();
    return {
      peer: { values: g.values, expected: peerSamples('int16', 2, 0, 60), timestamps: g.timestamps, peerTimestamps: p.lines.filter((l) => 'i' in l).map((l) => l.t) },
      example: { frames: h.frames, timestamps: h.timestamps.slice(0, 1500), format: h.info.channelFormat, rate: h.info.nominalSrateHz },
    };
  },

  /** Our outlet in every format → lsl-peer inlets (values, timestamps, fullinfo with channel metadata). */
  async 'our-outlet-formats'() {
    const out: Record<string, unknown> = {};
    for (const format of FORMATS) {
      const name = `ours-${format}`;
      const outlet = await LslOutlet.open({
        name,
        type: 'EEG',
        channelCount: 3,
        nominalSrateHz: 50,
        channelFormat: format,
        sourceId: `ours-${format}`,
        channels: [{ label: 'Fp1', unit: 'microvolts', type: 'EEG' }, { label: 'Fp2 & <x>', unit: 'microvolts', type: 'EEG' }, { label: 'EOG', unit: 'millivolts', type: 'EOG' }],
        log,
      });
      const p = peer(['inlet', `name='${name}'`, 40, 10]);
      await outlet.waitForConsumers(15);
      const pushed: number[] = [];
      const values = peerSamples(format, 3, 0, 40);
      for (let i = 0; i < 40; i++) {
        const t = lslClock();
        pushed.push(t);
        outlet.push(format === 'int64' ? BigInt64Array.from(values.slice(3 * i, 3 * i + 3) as bigint[]) : (values.slice(3 * i, 3 * i + 3) as never), [t]);
        await sleep(20);
      }
      await p.exited;
      await outlet.close();
      out[format] = { peer: p.lines, expected: values, pushed };
    }
    return out;
  },

  /** Clock offsets: our outlet on a clock 3.21 s ahead → liblsl's inlet and ours both measure it. */
  async 'clock-offset'() {
    const shiftS = 3.21;
    const outlet = await LslOutlet.open({ name: 'shifted', type: 'EEG', channelCount: 1, nominalSrateHz: 10, channelFormat: 'float32', sourceId: 'shifted', clock: () => lslClock() + shiftS, log });
    const p = peer(['inlet', "name='shifted'", 5, 10]);
    await outlet.waitForConsumers(15);
    const pusher = setInterval(() => outlet.push([1]), 100);
    const g = await gather("name='shifted'", (n) => n >= 5);
    const ours = await waitForCorrection(g.inlet);
    await p.exited;
    clearInterval(pusher);
    g.inlet.close();
    await outlet.close();
    return { shiftS, liblsl: p.lines.find((l) => 'offset' in l)?.offset, ours, ourEvents: g.events.filter((e) => e.type === 'clock-offset-measured').length };
  },

  /** Markers both ways with liblsl's own examples. */
  async markers() {
    const sender = example('SendStringMarkers', ['PeerMarkers']);
    const g = await gather("name='PeerMarkers'", (n) => n >= 4, { timeoutMs: 20_000 });
    await sleep(300);
    g.inlet.close();
    sender.child.kill();
    const sent = sender.text().split('\n').filter((l) => l.startsWith('now sending: ')).map((l) => l.slice('now sending: '.length));

    const outlet = await LslOutlet.open({ name: 'OurMarkers', type: 'Markers', channelCount: 1, nominalSrateHz: 0, channelFormat: 'string', sourceId: 'our-markers', log });
    const receiver = example('ReceiveStringMarkers');
    await outlet.waitForConsumers(15);
    const ours = ['stimulus/left', 'response é→ 𝄞', '', 'x'.repeat(400), 'end'];
    for (const m of ours) {
      outlet.push([m]);
      await sleep(150);
    }
    await receiver.waitFor('\tend', 10_000);
    receiver.child.kill();
    await outlet.close();
    const received = receiver.text().split('\n').filter((l) => /^-?[\d.e-]+\t/.test(l)).map((l) => l.slice(l.indexOf('\t') + 1));
    return { sent, got: g.values, receivedByLiblsl: received, ours, listening: receiver.text().includes('Listening to OurMarkers') };
  },

  /** XPath predicates both ways: liblsl's resolver against our outlet, ours against liblsl outlets. */
  async queries() {
    const outlet = await LslOutlet.open({
      name: 'NeuroQuery',
      type: 'EEG',
      channelCount: 3,
      nominalSrateHz: 250,
      channelFormat: 'float32',
      sourceId: 'nq-1',
      channels: [{ label: 'Fp1' }, { label: 'Fp2' }, { label: 'Cz' }],
      log,
    });
    const predicates = [
      "name='NeuroQuery'",
      "starts-with(name,'Neuro') and type='EEG'",
      'count(desc/channels/channel)=3',
      "desc/channels/channel[2]/label='Fp2'",
      'nominal_srate>200',
      "name='NeuroQuery' and channel_format='int16'",
      "desc/channels/channel/label='O1'",
    ];
    const liblsl: Record<string, string[]> = {};
    for (const q of predicates) liblsl[q] = (await peer(['resolve', q, 1.5]).waitFor((l) => 'found' in l)).found.map((f: any) => f.name);
    await outlet.close();
    const p = peer(['outlet', 'PeerQuery', 'Markers', 'string', 2, 0, 0, 'pq-1']);
    await p.waitFor((l) => 'ready' in l);
    const theirs = ["name='PeerQuery'", "type='Markers' and channel_count=2", "contains(source_id,'pq')", "name='PeerQuery' and nominal_srate>0"];
    const ours: Record<string, string[]> = {};
    for (const q of theirs) ours[q] = (await resolveByPredicate(q, { timeoutS: 1.5, minimum: 0, log })).map((s) => s.name);
    // A continuous resolver lists the stream while it answers and forgets it 5 s after it is gone.
    const continuous = new ContinuousResolver("session_id='default' and name='PeerQuery'", 5, { log });
    await continuous.start();
    await sleep(1500);
    const listed = continuous.results().map((s) => s.name);
    p.child.kill('SIGKILL');
    const killedAt = Date.now();
    while (continuous.results().length && Date.now() - killedAt < 15_000) await sleep(100);
    const forgottenAfterS = (Date.now() - killedAt) / 1000;
    continuous.close();
    return { liblsl, ours, continuous: { listed, forgottenAfterS } };
  },

  /** The 1.00 protocol both ways (liblsl forced to it by its config) and a 1.10 request answered in 1.00. */
  async 'fallback-100'() {
    const env = protocol100Env();
    const p = peer(['outlet', 'peer-100', 'EEG', 'double64', 3, 50, 30, 'p100', 1, 3], env);
    await p.waitFor((l) => 'ready' in l);
    const g = await gather("name='peer-100'", (n) => n >= 30);
    await p.waitFor((l) => 'done' in l);
    g.inlet.close();
    await p.exited;
    // Our inlet asks for 1.10; liblsl (configured for 1.00) answers with Data-Protocol-Version: 100.
    const q = peer(['outlet', 'peer-100b', 'EEG', 'string', 3, 50, 20, 'p100b', 1, 3], env);
    await q.waitFor((l) => 'ready' in l);
    const h = await gather("name='peer-100b'", (n) => n >= 20, { mutate: (i) => ({ ...i, version: 110 }) });
    h.inlet.close();
    q.child.kill();
    // Our outlet → a liblsl inlet configured for 1.00 ("LSL:streamfeed" without version).
    const outlet = await LslOutlet.open({ name: 'ours-100', type: 'EEG', channelCount: 3, nominalSrateHz: 50, channelFormat: 'int32', sourceId: 'o100', log });
    const r = peer(['inlet', "name='ours-100'", 20, 10], env);
    await outlet.waitForConsumers(15);
    const values = peerSamples('int32', 3, 0, 20);
    for (let i = 0; i < 20; i++) {
      outlet.push(values.slice(3 * i, 3 * i + 3) as number[]);
      await sleep(20);
    }
    await r.exited;
    await outlet.close();
    return {
      fromLiblsl: { values: g.values, expected: peerSamples('double64', 3, 0, 30), version: g.info.version, connected: g.events.find((e) => e.type === 'connected') },
      negotiated: { values: h.values, expected: peerSamples('string', 3, 0, 20), connected: h.events.find((e) => e.type === 'connected') },
      toLiblsl: { peer: r.lines.filter((l) => 'v' in l).map((l) => l.v), expected: values, subscribed: logs.filter((l) => l.includes('ours-100') && l.includes('subscribed')) },
    };
  },

  /** The outlet killed and restarted: our inlet recovers and reports the gap; liblsl's inlet recovers from ours. */
  async recovery() {
    const start = () => peer(['outlet', 'peer-rec', 'EEG', 'int32', 2, 100, 0, 'rec-src']);
    let p = start();
    const firstUid = (await p.waitFor((l) => 'ready' in l)).ready;
    const events: InletEvent[] = [];
    const chunks: SampleChunk[] = [];
    const [info] = await resolveByProperty('source_id', 'rec-src', { timeoutS: 10, log });
    const inlet = await LslInlet.open(info, { log, onChunk: (c) => chunks.push(c), onEvent: (e) => events.push(e) });
    await sleep(1000);
    const before = chunks.reduce((a, c) => a + c.frames, 0);
    p.child.kill('SIGKILL');
    const killedAt = lslClock();
    await p.exited;
    await sleep(1500);
    p = start();
    const secondUid = (await p.waitFor((l) => 'ready' in l)).ready;
    const t0 = Date.now();
    while (!events.some((e) => e.type === 'gap-detected') && Date.now() - t0 < 20_000) await sleep(100);
    await sleep(500);
    inlet.close();
    p.child.kill('SIGKILL');
    const gapAt = chunks.findIndex((c) => c.timestampsS[0] > killedAt);
    const after = chunks.slice(gapAt).flatMap((c) => Array.from(c.values as Int32Array));

    // Our outlet closed and opened again (same source id): liblsl's inlet recovers and keeps pulling.
    const open = () => LslOutlet.open({ name: 'ours-rec', type: 'EEG', channelCount: 1, nominalSrateHz: 50, channelFormat: 'int32', sourceId: 'ours-rec-src', log });
    let outlet = await open();
    const r = peer(['inlet', "name='ours-rec'", 60, 30]);
    await outlet.waitForConsumers(15);
    for (let i = 0; i < 30; i++) {
      outlet.push([i]);
      await sleep(20);
    }
    await outlet.close();
    await sleep(1000);
    outlet = await open();
    await outlet.waitForConsumers(30);
    for (let i = 30; i < 60; i++) {
      outlet.push([i]);
      await sleep(20);
    }
    await r.exited;
    await outlet.close();
    return {
      firstUid,
      secondUid,
      events: events.map((e) => (e.type === 'recovered' ? { type: e.type, uid: e.info.uid, sameOutlet: e.sameOutlet } : e.type === 'clock-offset-measured' ? { type: e.type } : e)),
      framesBefore: before,
      valuesAfterRestart: after.slice(0, 20),
      expectedAfterRestart: peerSamples('int32', 2, 0, 10),
      liblslValues: r.lines.filter((l) => 'v' in l).map((l) => l.v[0]),
    };
  },

  /** Garbage from every side; what works keeps working. */
  async garbage() {
    const cfg = lslConfig();
    // 1. A hostile responder on the multicast port answers every query with junk.
    const junk = createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((r) => junk.bind(cfg.multicastPort, () => r()));
    for (const g of multicastGroups(cfg)) junk.addMembership(g, '127.0.0.1');
    junk.on('message', (m, from) => {
      const text = m.toString();
      const [, , tail] = text.split('\r\n');
      const [port, id] = (tail ?? '').split(' ');
      if (!text.startsWith('LSL:shortinfo') || !port) return;
      for (const reply of [`999\r\n<info/>`, `${id}\r\n<info><name>x</name>`, `${id}\r\n<info><name>bad</name><channel_format>float128</channel_format></info>`, `${id}\r\n${'\u0000'.repeat(60_000)}`, `${id}`]) junk.send(reply, Number(port), from.address);
    });
    const real = peer(['outlet', 'real-one', 'EEG', 'float32', 2, 100, 0, 'real']);
    await real.waitFor((l) => 'ready' in l);
    const found = (await resolveStreams(1.5, { log })).map((s) => s.name);
    junk.close();

    // 2. Garbage TCP peers against our outlet, and a consumer that stops reading, while a liblsl
    //    inlet (lsl-peer bench-inlet, which counts lost samples from channel 0) reads it.
    const nch = 64;
    const outlet = await LslOutlet.open({ name: 'ours-g', type: 'EEG', channelCount: nch, nominalSrateHz: 1000, channelFormat: 'float32', sourceId: 'g', log, maxQueuedBytes: 256 * 1024 });
    const reader = peer(['bench-inlet', "name='ours-g'", 6]);
    await outlet.waitForConsumers(15);
    const garbage = ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'LSL:hello\r\n', '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003', 'LSL:streamfeed/xyz\r\n\r\n', 'LSL:streamfeed\r\nmany samples please\r\n', `LSL:streamfeed/110 not-${outlet.info.uid}\r\n\r\n`, `LSL:streamfeed/250 ${outlet.info.uid}\r\n\r\n`];
    const garbageReplies: string[] = [];
    await Promise.all(
      garbage.map(
        (g) =>
          new Promise<void>((r) => {
            const s = connect(outlet.info.v4dataPort, '127.0.0.1', () => s.write(g, 'latin1'));
            let reply = '';
            s.on('data', (d) => (reply += d.toString('latin1')));
            s.on('error', () => {});
            s.on('close', () => (garbageReplies.push(reply.slice(0, 40)), r()));
          }),
      ),
    );
    // A consumer that subscribes and then stops reading.
    const stalled: Socket = connect({ port: outlet.info.v4dataPort, host: '127.0.0.1' }, () => {
      stalled.write(feedRequest110({ uid: outlet.info.uid, valueSize: 4, maxBufferLength: 100, maxChunkLength: 0, hostname: 'x', sourceId: 'x', sessionId: 'default' }));
      setTimeout(() => stalled.pause(), 100);
    });
    stalled.on('error', () => {});
    let pushed = 0;
    const frame = new Float32Array(nch * 20);
    const pusher = setInterval(() => {
      for (let k = 0; k < 20; k++) frame[k * nch] = pushed++;
      outlet.push(frame); // 20 samples per ms: 20 kHz of 64 channels, ~5 MB/s
    }, 1);
    // (A paused socket never sees its connection close: watch the outlet's log instead.)
    const t0 = Date.now();
    while (!logs.some((l) => l.includes('stopped reading')) && Date.now() - t0 < 20_000) await sleep(50);
    const stallDetected = logs.some((l) => l.includes('stopped reading'));
    stalled.destroy();
    const readerDone = await reader.waitFor((l) => 'received' in l, 30_000);
    clearInterval(pusher);
    await outlet.close();

    // 3. A fake outlet: valid discovery, then a feed whose test patterns are wrong, or whose data is garbage.
    const fake = async (mode: 'bad-pattern' | 'bad-data' | 'bad-fullinfo') => {
      const server = createServer((s) => {
        s.on('error', () => {});
        s.once('data', (d) => {
          const req = d.toString('latin1');
          if (req.startsWith('LSL:fullinfo')) return s.end(mode === 'bad-fullinfo' ? '<info><name>' : infoMessage(info, true));
          s.write('LSL/110 200 OK\r\nUID: fake-uid\r\nByte-Order: 1234\r\nSuppress-Subnormals: 0\r\nData-Protocol-Version: 110\r\n\r\n');
          const patterns = [...testPattern('float32', 2, mode === 'bad-pattern' ? 5 : 4), ...testPattern('float32', 2, 2)];
          s.write(encodeSamples110('float32', 2, Float32Array.from(patterns as number[]), [TEST_PATTERN_TIMESTAMP, TEST_PATTERN_TIMESTAMP]));
          s.write(encodeSamples110('float32', 2, Float32Array.from([1, 2]), [lslClock()]));
          setTimeout(() => s.writable && s.write(Buffer.from([9, 9, 9, 9, 9, 9, 9, 9, 9, 9])), 200);
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const info: StreamInfo = { name: 'fake', type: 'EEG', channelCount: 2, channelFormat: 'float32', sourceId: '', nominalSrateHz: 10, version: 110, createdAtS: 1, uid: 'fake-uid', sessionId: 'default', hostname: 'x', v4address: '127.0.0.1', v4dataPort: (server.address() as { port: number }).port, v4servicePort: 9, v6address: '', v6dataPort: 0, v6servicePort: 0, desc: { tag: 'desc', attributes: {}, children: [], text: '' } };
      const events: InletEvent[] = [];
      const got: number[] = [];
      let error: string | undefined;
      try {
        const inlet = await LslInlet.open(info, { log, onChunk: (c) => got.push(...(c.values as Float32Array)), onEvent: (e) => events.push(e) });
        await sleep(800);
        inlet.close();
      } catch (e) {
        error = (e as Error).message;
      }
      server.close();
      return { error, got, events: events.map((e) => e.type) };
    };
    const fakes = { badPattern: await fake('bad-pattern'), badData: await fake('bad-data'), badFullinfo: await fake('bad-fullinfo') };
    real.child.kill();
    return { found, reader: readerDone, pushed, stallDetected, garbageReplies, fakes, logs };
  },
};

/** `neurotab lsl …` as a user runs it; resolves with its exit code and output. */
function neurotab(args: string[], signalAfterMs?: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = run(process.execPath, ['--import', 'tsx', 'cli/neurotab.ts', 'lsl', ...args]);
  let stderr = '';
  p.child.stderr!.on('data', (d: string) => (stderr += d));
  if (signalAfterMs !== undefined) setTimeout(() => p.child.kill('SIGINT'), signalAfterMs);
  return p.exited.then((code) => ({ code, stdout: p.text(), stderr }));
}

Object.assign(scenarios, {
  /** `lsl list` against liblsl's SendData and an lsl-peer marker stream. */
  async 'cli-list'() {
    const a = example('SendData', ['ListedEEG', 'EEG', 8, 250]);
    const b = peer(['outlet', 'ListedMarkers', 'Markers', 'string', 1, 0, 0, 'listed-src']);
    await b.waitFor((l) => 'ready' in l);
    await sleep(300);
    const table = await neurotab(['list', '--timeout', '1.5']);
    const json = await neurotab(['list', '--timeout', '1.5', '--json']);
    a.child.kill();
    b.child.kill();
    await sleep(300);
    const empty = await neurotab(['list', '--timeout', '1']);
    const bad = await neurotab(['list', '--timeout', 'soon']);
    return { table, json: JSON.parse(json.stdout), empty, bad };
  },

  /** `lsl record <type>` of two lsl-peer streams to XDF, stopped by --seconds and by Ctrl+C. */
  async 'cli-record'() {
    const dir = mkdtempSync(join(tmpdir(), 'lsl-record-'));
    // The peers linger past the recording and are then killed: liblsl's outlet destructor may send
    // one more sample (a wake-up for its transfer threads), which is not what they pushed.
    const start = () => [peer(['outlet', 'rec-eeg', 'RecTest', 'float32', 3, 100, 400, 'rec-eeg-src', 1, 30]), peer(['outlet', 'rec-markers', 'RecTest', 'string', 3, 0, 150, 'rec-m-src', 1, 30])];
    let peers = start();
    await Promise.all(peers.map((p) => p.waitFor((l) => 'ready' in l)));
    const timed = await neurotab(['record', 'RecTest', '--out', join(dir, 'timed.xdf'), '--seconds', '6']);
    const pushedTimed = peers.map((p) => p.lines.filter((l) => 'i' in l).map((l) => l.t));
    peers.forEach((p) => p.child.kill('SIGKILL'));
    peers = start();
    await Promise.all(peers.map((p) => p.waitFor((l) => 'ready' in l)));
    const interrupted = await neurotab(['record', 'rec-eeg', '--out', join(dir, 'ctrl-c.xdf')], 4000);
    peers.forEach((p) => p.child.kill('SIGKILL'));
    const none = await neurotab(['record', 'NoSuchStream', '--out', join(dir, 'none.xdf'), '--wait', '1']);
    const usage = await neurotab(['record', 'rec-eeg']);
    return { dir, timed, interrupted, none, usage, pushedTimed, expected: { eeg: peerSamples('float32', 3, 0, 400), markers: peerSamples('string', 3, 0, 150) } };
  },
});

const name = process.argv[2];
if (!scenarios[name]) {
  console.error(`unknown scenario "${name}"; one of: ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
scenarios[name](process.argv.slice(3)).then(
  (r) => {
    result(r);
    process.exit(0);
  },
  (e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  },
);
