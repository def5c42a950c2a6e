// Generates testing/fixtures/liblsl-feeds.json: the bytes liblsl 1.16.2 sends on its TCP data port
// for each channel format (3 channels, two samples from lsl-peer.c), once for a 1.10 request and
// once for a 1.00 request, so protocol.spec.ts can test our decoder and encoder against the
// peer's own bytes. Runs itself inside a network namespace. Test support; not app code.
// Usage: npx tsx cli/bridge/lsl/testing/make-protocol-fixture.ts
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { feedRequest100, feedRequest110 } from '../protocol';
import { CHANNEL_FORMAT_BYTES, type ChannelFormat } from '../stream-info';
import { ensureLiblsl, lslTestsUnavailable } from './liblsl';
import { repoRoot, runInNetns, tsCommand } from './netns';

const FORMATS: ChannelFormat[] = ['float32', 'double64', 'int8', 'int16', 'int32', 'int64', 'string'];
const OUT = join(repoRoot, 'cli/bridge/lsl/testing/fixtures/liblsl-feeds.json');

/** The outlet's reply to a shortinfo query on 127.0.0.1 (query id 1). */
function shortinfoReply(name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => (s.close(), reject(new Error(`${name} did not answer`))), 5000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m.toString());
    });
    s.bind(0, () => s.send(`LSL:shortinfo\r\nname='${name}'\r\n${s.address().port} 1\r\n`, 16571, '127.0.0.1'));
  });
}

/** All bytes the outlet sends for one request, until it closes (or `untilMs`). */
function tcpExchange(port: number, request: string, untilMs: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1', () => sock.write(request));
    const parts: Buffer[] = [];
    sock.on('data', (d) => parts.push(d));
    const done = () => (sock.destroy(), resolve(Buffer.concat(parts)));
    sock.on('close', done);
    setTimeout(done, untilMs);
  });
}

async function capture(peer: string, env: NodeJS.ProcessEnv, format: ChannelFormat, v100: boolean): Promise<{ uid: string; hex: string; shortinfoReply: string; fullinfo: string }> {
  const name = `fixture-${format}-${v100 ? 100 : 110}`;
  const child = spawn(peer, ['outlet', name, 'EEG', format, '3', '10', '2', 'fixture', '1', '2'], { env: { ...process.env, ...env } });
  const uid = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString().split('\n')[0]).ready)));
  const reply = await shortinfoReply(name);
  const port = Number(/<v4data_port>(\d+)</.exec(reply)![1]);
  const fullinfo = (await tcpExchange(port, 'LSL:fullinfo\r\n', 2000)).toString('utf8');
  const request = v100
    ? feedRequest100(100, 0)
    : feedRequest110({ uid, valueSize: CHANNEL_FORMAT_BYTES[format], maxBufferLength: 100, maxChunkLength: 0, hostname: 'fixture', sourceId: 'fixture', sessionId: 'default' });
  // Until the outlet has pushed its two samples: liblsl's outlet destructor sends one more (a
  // wake-up sample for its transfer threads), which is not part of the fixture.
  const pushed = new Promise((r) => child.stdout.on('data', (d: Buffer) => d.toString().includes('"done"') && setTimeout(r, 300)));
  const bytes = tcpExchange(port, request, 10_000);
  await pushed;
  child.kill('SIGKILL');
  const hex = (await bytes).toString('hex');
  return { uid, hex, shortinfoReply: reply, fullinfo };
}

async function inside(): Promise<void> {
  const { peer, env } = ensureLiblsl();
  const out: Record<string, unknown> = { generator: 'cli/bridge/lsl/testing/make-protocol-fixture.ts', liblsl: '1.16.2', channels: 3, samples: 2 };
  for (const format of FORMATS) out[format] = { v110: await capture(peer, env, format, false), v100: await capture(peer, env, format, true) };
  writeFileSync(OUT, JSON.stringify(out, null, 1) + '\n');
  console.log(`wrote ${OUT}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.env.NEUROTAB_IN_NETNS) await inside();
  else {
    const why = lslTestsUnavailable();
    if (why) throw new Error(why);
    ensureLiblsl();
    const r = await runInNetns(tsCommand(fileURLToPath(import.meta.url)), { env: { NEUROTAB_IN_NETNS: '1' } });
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    process.exit(r.code ?? 1);
  }
}
