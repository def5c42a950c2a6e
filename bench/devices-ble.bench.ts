// Device driver path benchmark: one packet/notification in → driver (decoder + BlockStamper
// dejitter) → session → frames pushed into a real ring, timed per packet for every driver (the
// work a Web Bluetooth notification handler does on the page, or the serial read loop in the io
// worker). Prints p50/p99/max per packet (target p99 < 1 ms) and the main-thread share at the
// 500 notifications/s × 8 channels load. Node only: `npx tsx bench/devices-ble.bench.ts`; a few s.
// The Chromium figure (fake navigator.bluetooth, real page, frame times) is printed by
// tests/e2e/devices.test.ts ("BLE throughput on the page").
import type { DeviceId, TransportKind } from '../src/lib/devices/descriptor.ts';
import { DeviceSession } from '../src/lib/devices/session.ts';
import { driverSpec } from '../src/lib/devices/transports/driver-specs.ts';
import { TransportDriver } from '../src/lib/devices/transports/transport-driver.ts';
import type { DataListener, DeviceTransport } from '../src/lib/devices/transports/types.ts';
import { Ring, RingWriter } from '../src/lib/streams/ring.ts';
import { MUSE_CHARACTERISTICS } from '../src/lib/devices/drivers/muse-2/descriptor.ts';
import { encodeAthenaPacket, packInt16Le, packLsbFirst } from '../src/lib/devices/drivers/muse-s-athena/encoder.ts';
import { encodeCytonPacket, seededRandom } from '../src/lib/devices/drivers/openbci-cyton/encoder.ts';
import { encodeGanglionFw3 } from '../src/lib/devices/drivers/openbci-ganglion/encoder.ts';
import { encodeBlueberryPacket } from '../src/lib/devices/drivers/blueberry/decoder.ts';
import { BLUEBERRY_LONG_PATH } from '../src/lib/devices/drivers/blueberry/descriptor.ts';
import { ATHENA_DATA } from '../src/lib/devices/drivers/muse-s-athena/descriptor.ts';
import { GANGLION_RECEIVE } from '../src/lib/devices/drivers/openbci-ganglion/descriptor.ts';

/** A transport whose data arrive synchronously when the bench calls `emit` (no I/O in the timing). */
class DirectTransport implements DeviceTransport {
  readonly label = 'bench';
  connected = false;
  onDisconnect: ((reason: string) => void) | null = null;
  private onData: DataListener | null = null;
  constructor(readonly kind: TransportKind) {}
  async open() {
    this.connected = true;
  }
  async listen(onData: DataListener) {
    this.onData = onData;
  }
  async write() {}
  async readCharacteristic() {
    return new TextEncoder().encode('3.0.2');
  }
  async close() {
    this.connected = false;
  }
  emit(payload: Uint8Array, uuid?: string) {
    (this.onData as DataListener)(payload, uuid);
  }
}

interface Input {
  payload: Uint8Array;
  uuid?: string;
}
const N = 20_000;
const r = seededRandom(7);
const rand24 = () => Math.floor(r() * 16777216) - 8388608;

const inputs: Record<string, { id: DeviceId; kind: TransportKind; make: () => Input[]; notificationsPerSecond: number }> = {
  'openbci-cyton (serial, 1 packet)': {
    id: 'openbci-cyton',
    kind: 'serial',
    notificationsPerSecond: 250,
    make: () => Array.from({ length: N }, (_, i) => ({ payload: encodeCytonPacket({ counter: i, counts: Array.from({ length: 8 }, rand24), accel: [0, 0, 0] }) })),
  },
  'openbci-ganglion fw3 (BLE)': {
    id: 'openbci-ganglion',
    kind: 'bluetooth',
    notificationsPerSecond: 100,
    make: () => Array.from({ length: N }, (_, i) => ({ payload: encodeGanglionFw3(100 + (i % 100), Array.from({ length: 4 }, rand24), Array.from({ length: 4 }, rand24)), uuid: GANGLION_RECEIVE })),
  },
  'muse-2 (BLE, per-channel notifications)': {
    id: 'muse-2',
    kind: 'bluetooth',
    notificationsPerSecond: 4 * (256 / 12),
    make: () => {
      const chars = [MUSE_CHARACTERISTICS.eeg_tp9, MUSE_CHARACTERISTICS.eeg_af7, MUSE_CHARACTERISTICS.eeg_af8, MUSE_CHARACTERISTICS.eeg_tp10];
      const out: Input[] = [];
      for (let seq = 0; out.length < N; seq++)
        for (const uuid of chars) {
          const p = new Uint8Array(20);
          p[0] = (seq >> 8) & 0xff;
          p[1] = seq & 0xff;
          for (let k = 2; k < 20; k++) p[k] = Math.floor(r() * 256);
          out.push({ payload: p, uuid });
        }
      return out;
    },
  },
  'muse-s-athena 8 ch (BLE, 1 EEG sub-packet)': {
    id: 'muse-s-athena',
    kind: 'bluetooth',
    notificationsPerSecond: 500,
    make: () => Array.from({ length: N }, (_, i) => ({ payload: encodeAthenaPacket(i, i * 256, [{ tag: 0x12, index: i, data: packLsbFirst(Array.from({ length: 16 }, () => Math.floor(r() * 16384)), 14, 28) }]), uuid: ATHENA_DATA })),
  },
  'muse-s-athena p1041 mix (BLE, ~7 sub-packets)': {
    id: 'muse-s-athena',
    kind: 'bluetooth',
    notificationsPerSecond: 64,
    make: () =>
      Array.from({ length: N }, (_, i) => {
        const subs = [];
        for (let k = 0; k < 4; k++) subs.push({ tag: 0x12, index: i * 4 + k, data: packLsbFirst(Array.from({ length: 16 }, () => Math.floor(r() * 16384)), 14, 28) });
        subs.push({ tag: 0x47, index: i, data: packInt16Le(Array.from({ length: 18 }, () => Math.floor(r() * 65536) - 32768)) });
        subs.push({ tag: 0x36, index: i, data: packLsbFirst(Array.from({ length: 16 }, () => Math.floor(r() * 1048576)), 20, 40) });
        return { payload: encodeAthenaPacket(i, i * 4096, subs), uuid: ATHENA_DATA };
      }),
  },
  'blueberry (BLE)': {
    id: 'blueberry',
    kind: 'bluetooth',
    notificationsPerSecond: 40,
    make: () => Array.from({ length: N }, (_, i) => ({ payload: encodeBlueberryPacket(i, i, [rand24(), rand24(), rand24()]), uuid: BLUEBERRY_LONG_PATH })),
  },
};

const q = (s: Float64Array, p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];

async function run(name: string, c: (typeof inputs)[string]): Promise<void> {
  // The Cyton handshake waits for the board's text reply: not part of the streaming path.
  const full = driverSpec(c.id, c.kind);
  const spec = c.kind === 'serial' ? { ...full, handshake: undefined } : full;
  const transport = new DirectTransport(c.kind);
  const primary = spec.primaryStream({});
  const ring = Ring.create({ channels: primary.channels.length, capacityFrames: 8192, shared: false });
  const writer = new RingWriter(ring);
  let frames = 0;
  // Simulated arrival clock: packets spaced at the device's notification rate.
  let t = 1e12;
  const now = () => t;
  const d2 = new TransportDriver(spec, transport, { sleep: async () => {}, now });
  const session = new DeviceSession(d2, {
    onFrames: (f) => {
      if (f.streamId === primary.id && f.channelCount === primary.channels.length) {
        writer.push(f.samples, f.timestampsMs, f.frames);
        frames += f.frames;
      }
    },
    onGap: () => {},
    onStatus: () => {},
  });
  await session.start();
  const data = c.make();
  const per = new Float64Array(data.length);
  const stepMs = 1000 / c.notificationsPerSecond;
  // Warm-up (JIT), then the timed pass.
  for (let i = 0; i < 2000; i++) transport.emit(data[i].payload, data[i].uuid);
  for (let i = 0; i < data.length; i++) {
    t += stepMs;
    const t0 = performance.now();
    transport.emit(data[i].payload, data[i].uuid);
    per[i] = performance.now() - t0;
  }
  await session.stop();
  const total = per.reduce((a, b) => a + b, 0);
  const sorted = per.slice().sort();
  const share = (total / data.length) * c.notificationsPerSecond / 1000;
  console.log(
    `${name.padEnd(46)} p50 ${(q(sorted, 0.5) * 1000).toFixed(1).padStart(6)} µs  p99 ${(q(sorted, 0.99) * 1000).toFixed(1).padStart(6)} µs  max ${sorted[sorted.length - 1].toFixed(2).padStart(6)} ms  ` +
      `${frames} frames in ring  at ${c.notificationsPerSecond.toFixed(0)}/s: ${(share * 100).toFixed(2)} % of a thread  p99 ${q(sorted, 0.99) < 1 ? '< 1 ms ✓' : '≥ 1 ms ✗'}`,
  );
}

console.log(`Driver path per packet (decoder + dejitter + session + ring push), ${N} packets each:`);
for (const [name, c] of Object.entries(inputs)) await run(name, c);
