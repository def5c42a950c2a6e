// Device decoder benchmark: bytes (or one BLE notification) in → decoded frames out, timed per
// packet for every driver; prints p50/p99 per packet (target p99 < 1 ms) and packets per second.
// Node only: `npx tsx bench/devices.bench.ts`. Finishes in a few seconds; prints, asserts nothing.
import type { DeviceDecoder } from '../src/lib/devices/drivers/decoder.ts';
import { encodeBlueberryPacket } from '../src/lib/devices/drivers/blueberry/decoder.ts';
import { BLUEBERRY_LONG_PATH } from '../src/lib/devices/drivers/blueberry/descriptor.ts';
import { encodeHegLine } from '../src/lib/devices/drivers/hegduino/decoder.ts';
import { MUSE_CHARACTERISTICS } from '../src/lib/devices/drivers/muse-2/descriptor.ts';
import { encodeAthenaPacket, packInt16Le, packLsbFirst } from '../src/lib/devices/drivers/muse-s-athena/encoder.ts';
import { encodeCytonPacket, seededRandom } from '../src/lib/devices/drivers/openbci-cyton/encoder.ts';
import { encodeGanglionFw2, encodeGanglionFw3, encodeGanglionRaw } from '../src/lib/devices/drivers/openbci-ganglion/encoder.ts';
import { createDecoder } from '../src/lib/devices/drivers/registry.ts';

interface Input {
  payload: Uint8Array;
  uuid?: string;
}

const PACKETS = 20_000;
const r = seededRandom(42);
const rand24 = () => Math.floor(r() * 16777216) - 8388608;

function cytonInputs(): Input[] {
  return Array.from({ length: PACKETS }, (_, i) => ({ payload: encodeCytonPacket({ counter: i, counts: Array.from({ length: 8 }, rand24), accel: [i % 10 === 0 ? 100 : 0, 0, 0] }) }));
}

function ganglionFw2Inputs(): Input[] {
  const out: Input[] = [];
  let prev = [0, 0, 0, 0];
  for (let i = 0; out.length < PACKETS; i++) {
    const id = i % 101;
    if (id === 0) {
      prev = Array.from({ length: 4 }, () => Math.floor(r() * 100000));
      out.push({ payload: encodeGanglionRaw(prev) });
      continue;
    }
    const s1 = prev.map((v) => v + Math.floor(r() * 200) - 100);
    const s2 = s1.map((v) => v + Math.floor(r() * 200) - 100);
    out.push({ payload: encodeGanglionFw2(id + 100, prev, s1, s2) });
    prev = s2;
  }
  return out;
}

function ganglionFw3Inputs(): Input[] {
  return Array.from({ length: PACKETS }, (_, i) => ({ payload: encodeGanglionFw3(i % 100, Array.from({ length: 4 }, rand24), Array.from({ length: 4 }, rand24), 3) }));
}

function museInputs(): Input[] {
  const chars = [MUSE_CHARACTERISTICS.eeg_tp9, MUSE_CHARACTERISTICS.eeg_af7, MUSE_CHARACTERISTICS.eeg_af8, MUSE_CHARACTERISTICS.eeg_tp10];
  const out: Input[] = [];
  for (let seq = 0; out.length < PACKETS; seq++) {
    for (const uuid of chars) {
      const p = new Uint8Array(20);
      p[0] = (seq >> 8) & 0xff;
      p[1] = seq & 0xff;
      for (let k = 2; k < 20; k++) p[k] = Math.floor(r() * 256);
      out.push({ payload: p, uuid });
    }
    if (seq % 4 === 0) {
      const a = new Uint8Array(20);
      a[0] = (seq >> 8) & 0xff;
      a[1] = seq & 0xff;
      out.push({ payload: a, uuid: MUSE_CHARACTERISTICS.accelerometer });
    }
  }
  return out;
}

function athenaInputs(): Input[] {
  // The p1041 mix: notifications of ~7 sub-packets (EEG 8-ch, IMU, 16-ch optics), ~230 bytes.
  const out: Input[] = [];
  let eeg = 0;
  let imu = 0;
  let opt = 0;
  for (let i = 0; out.length < PACKETS; i++) {
    const subs = [];
    for (let k = 0; k < 4; k++) subs.push({ tag: 0x12, index: eeg++, data: packLsbFirst(Array.from({ length: 16 }, () => Math.floor(r() * 16384)), 14, 28) });
    subs.push({ tag: 0x47, index: imu++, data: packInt16Le(Array.from({ length: 18 }, () => Math.floor(r() * 65536) - 32768)) });
    subs.push({ tag: 0x36, index: opt++, data: packLsbFirst(Array.from({ length: 16 }, () => Math.floor(r() * 1048576)), 20, 40) });
    out.push({ payload: encodeAthenaPacket(i, i * 4096, subs), uuid: '273e0013-4c4d-454d-96be-f03bac821358' });
  }
  return out;
}

function hegInputs(): Input[] {
  const enc = new TextEncoder();
  return Array.from({ length: PACKETS }, (_, i) => ({
    payload: enc.encode(encodeHegLine(100000 + i, 200000 - i, 0.5 + i / 1e6, { us: i * 25000, ambient: 12, velocity: 0.01, acceleration: 0 })),
  }));
}

function blueberryInputs(): Input[] {
  return Array.from({ length: PACKETS }, (_, i) => ({ payload: encodeBlueberryPacket(i, i, [rand24(), rand24(), rand24()]), uuid: BLUEBERRY_LONG_PATH }));
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function bench(name: string, make: () => DeviceDecoder, inputs: Input[]): void {
  // Warm-up pass on a separate decoder so the JIT has seen every path.
  const warm = make();
  for (const x of inputs) warm.push(x.payload, x.uuid);
  const dec = make();
  const per = new Float64Array(inputs.length);
  let frames = 0;
  const t0 = performance.now();
  for (let i = 0; i < inputs.length; i++) {
    const a = performance.now();
    const blocks = dec.push(inputs[i].payload, inputs[i].uuid);
    per[i] = performance.now() - a;
    for (const b of blocks) frames += b.frames;
  }
  const total = performance.now() - t0;
  per.sort();
  const us = (ms: number) => (ms * 1000).toFixed(1).padStart(7);
  console.log(
    `${name.padEnd(24)} p50 ${us(quantile(per, 0.5))} µs  p99 ${us(quantile(per, 0.99))} µs  max ${us(per[per.length - 1])} µs  ` +
      `${Math.round(inputs.length / (total / 1000)).toLocaleString('en-US').padStart(9)} packets/s  ${frames} frames  p99 ${quantile(per, 0.99) < 1 ? '< 1 ms ✓' : '≥ 1 ms ✗'}`,
  );
}

console.log(`device decoders: ${PACKETS} packets each, one push per packet (notification or line)`);
bench('openbci-cyton', () => createDecoder('openbci-cyton'), cytonInputs());
bench('openbci-cyton-daisy', () => createDecoder('openbci-cyton-daisy'), cytonInputs());
bench('openbci-ganglion fw2', () => createDecoder('openbci-ganglion', { ganglionFirmware: 2 }), ganglionFw2Inputs());
bench('openbci-ganglion fw3', () => createDecoder('openbci-ganglion', { ganglionFirmware: 3 }), ganglionFw3Inputs());
bench('muse-2', () => createDecoder('muse-2'), museInputs());
bench('muse-s-athena', () => createDecoder('muse-s-athena'), athenaInputs());
bench('hegduino (serial)', () => createDecoder('hegduino'), hegInputs());
bench('blueberry', () => createDecoder('blueberry'), blueberryInputs());
