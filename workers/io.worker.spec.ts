// The io worker's serial path in Node, through its message protocol: a fake Web Serial port with a
// Cyton emulator behind it (the same fake the browser tests use). The worker finds the granted port,
// runs the handshake, writes the EEG into the raw ring and the accelerometer into a ring of its own,
// reports live stats, and stops the board when told to.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fakeSerialKit } from '../tests/fakes/serial';
import { Ring, RingReader } from '../src/lib/streams/ring';
import { until } from '../tests/support/until';
import type { IoEvent, IoRequest } from './protocol';

const events: IoEvent[] = [];
let send: (req: IoRequest) => void;
const kit = fakeSerialKit();
const serial = new kit.FakeSerial();
const IDS = { usbVendorId: 0x0403, usbProductId: 0x6015 };

beforeAll(async () => {
  const self = { postMessage: (e: IoEvent) => void events.push(structuredClone(e)), onmessage: null as null | ((ev: { data: IoRequest }) => Promise<void>) };
  vi.stubGlobal('self', self);
  vi.stubGlobal('navigator', { serial });
  await import('./io.worker');
  send = (req) => void self.onmessage!({ data: req });
});

afterAll(() => vi.unstubAllGlobals());

/** Everything in the ring so far: frames and samples (frame-major). */
function drain(r: RingReader, channels: number): { frames: number; samples: number[] } {
  const s = new Float32Array(4096 * channels);
  const t = new Float64Array(4096);
  const out: number[] = [];
  let frames = 0;
  for (;;) {
    const got = r.read(4096, s, t);
    if (got.frames === 0) break;
    frames += got.frames;
    out.push(...s.subarray(0, got.frames * channels));
  }
  return { frames, samples: out };
}

describe('io worker: a serial device read in the worker', () => {
  it('streams a Cyton: EEG in the raw ring, the accelerometer in its side ring; stops the board', async () => {
    const port = serial.plug(IDS);
    const emu = new kit.CytonEmulator();
    emu.attach(port);
    const eeg = Ring.create({ channels: 8, capacityFrames: 4096, shared: true });
    const aux = Ring.create({ channels: 3, capacityFrames: 4096, shared: true });
    const eegReader = new RingReader(eeg, { from: 'oldest' });
    const auxReader = new RingReader(aux, { from: 'oldest' });
    send({
      type: 'start-serial-device',
      deviceId: 'openbci-cyton',
      port: IDS,
      sink: { kind: 'shared', buffer: eeg.buffer as SharedArrayBuffer },
      sides: [{ streamId: 'openbci-cyton.aux', sink: { kind: 'shared', buffer: aux.buffer as SharedArrayBuffer } }],
    });
    const started = await until(() => events.find((e) => e.type === 'started' || e.type === 'error'), 'the device to start');
    expect(started).toMatchObject({ type: 'started', descriptor: { id: 'openbci-cyton.eeg' } });
    await until(() => emu.streaming, 'the board to be told to stream');

    emu.pump(250);
    await until(() => eegReader.available() >= 250 && auxReader.available() >= 250, '250 frames in both rings');
    const e = drain(eegReader, 8);
    const a = drain(auxReader, 3);
    expect(e.frames).toBe(250);
    expect(a.frames).toBe(250);
    // Channel 1: the emulator's 10 Hz sine of 50 µV; channel 2: a ramp of counts.
    const ch1 = e.samples.filter((_, i) => i % 8 === 0);
    expect(Math.max(...ch1)).toBeCloseTo(50, 0);
    expect(Math.min(...ch1)).toBeCloseTo(-50, 0);
    // The accelerometer at rest (+1 g on Z), held between the LIS3DH's readings.
    for (let f = 0; f < a.frames; f++) expect([a.samples[3 * f], a.samples[3 * f + 1], a.samples[3 * f + 2]]).toEqual([0, 0, 1]);

    await until(() => events.some((x) => x.type === 'device-stats' && x.stats.framesReceived >= 250), 'live stats');
    send({ type: 'stop' });
    await until(() => events.some((x) => x.type === 'stopped'), 'the worker to stop');
    expect(emu.commands.endsWith('s')).toBe(true); // the board was told to stop streaming
    expect(emu.streaming).toBe(false);
  });
});
