// LslDeviceConnection between the API worker's real LslDevices (over the real LslBridgeClient and the
// fake bridge end, tests/fakes/lsl-bridge.ts) and an acquisition's raw ring: every frame from the first
// one, exact, in order; the link's states as they change; a ring the page fell behind on (a gap
// marker); a stream closed elsewhere; stop copies the rest and closes the inlet. In Chromium against liblsl: tests/e2e/lsl-tab.test.ts.
import { describe, expect, it } from 'vitest';
import { LslDevices, type LslConnection } from '../api/lsl-devices';
import { subscribeMarkers } from '../core/markers';
import type { MarkerEvent } from '../core/stream';
import { parseGapMarker } from '../devices/timing/counter-tracker';
import { encodeFloat32, encodeFloat64 } from '../api/lsl-wire';
import { Ring, RingReader, RingWriter } from '../streams/ring';
import { fakeLslBridge } from '../../../tests/fakes/lsl-bridge';
import { LslDeviceConnection, type LslDeviceSeam } from './lsl-device';

const EEG = { name: 'BioSemi', type: 'EEG', sourceId: 'bs-1', channelCount: 2, nominalSrateHz: 100, channelFormat: 'float32', hostname: 'amp', uid: 'u1' };
const until = async (ok: () => boolean, what: string) => {
  for (const t0 = Date.now(); !ok(); await new Promise((r) => setTimeout(r, 5))) if (Date.now() - t0 > 3000) throw new Error(`timed out waiting for ${what}`);
};

async function setUp(stream = EEG) {
  const b = fakeLslBridge({ inlet: { stream, channels: [] } });
  const offset = await b.attach();
  const devices = new LslDevices(b.client, { publish: () => {} });
  // The page reaches LslDevices through core/rpc.ts: every call is asynchronous there.
  const seam: LslDeviceSeam = { connect: async (q) => devices.connect(q), ring: async (id) => devices.ring(id), disconnect: async (id) => devices.disconnect(id) };
  const states: Array<[LslConnection['state'] | null, LslConnection['state']]> = [];
  const opened = await LslDeviceConnection.open(seam, "source_id='bs-1'", { onState: (now, before) => states.push([now?.state ?? null, before.state]) });
  return { b, offset, devices, opened, states };
}

/** An acquisition's raw ring, as startExternal opens it (the writer this page pushes into). */
function fakeAcquisition() {
  let ring: Ring | null = null;
  const started: Array<{ source: string; capacityRateHz: number | undefined }> = [];
  return {
    started,
    reader: () => new RingReader(ring!, { from: 'oldest' }),
    startExternal(d: { channels: unknown[] }, _filter: unknown, source: string, capacityRateHz?: number) {
      ring = Ring.create({ channels: d.channels.length, capacityFrames: 4096 });
      started.push({ source, capacityRateHz });
      return new RingWriter(ring);
    },
  };
}

describe('LslDeviceConnection', () => {
  it('copies the LSL ring into the acquisition from its first frame, exact; follows the link; stop copies the rest and closes the inlet', async () => {
    const { b, offset, opened, states } = await setUp();
    if (!(opened instanceof LslDeviceConnection)) throw new Error('an EEG stream should feed the acquisition');
    expect(opened.primary).toMatchObject({ id: 'lsl:bs-1', name: 'BioSemi', kind: 'eeg', sampleRateHz: 100 });
    const inlet = b.lastInlet();
    // Before the page starts copying: kept in the LSL ring for it.
    b.client.onMessage({ type: 'lsl-chunk', inlet, frames: 2, valuesBase64: encodeFloat32([1, 2, 3, 4]), timestampsBase64: encodeFloat64([1000, 1010]) });
    const acq = fakeAcquisition();
    opened.start(acq, { bandHz: [1, 40], notchHz: 50 });
    expect(acq.started).toEqual([{ source: "lsl:source_id='bs-1'", capacityRateHz: 100 }]);
    const out = acq.reader();
    const values: number[] = [];
    const stamps: number[] = [];
    const s = new Float32Array(2 * 16);
    const t = new Float64Array(16);
    const drain = () => {
      for (let r = out.read(16, s, t); r.frames; r = out.read(16, s, t)) {
        values.push(...s.subarray(0, r.frames * 2));
        stamps.push(...t.subarray(0, r.frames));
      }
    };
    b.client.onMessage({ type: 'lsl-chunk', inlet, frames: 1, valuesBase64: encodeFloat32([5, 6.5]), timestampsBase64: encodeFloat64([1020]) });
    await until(() => (drain(), values.length === 6), 'three frames');
    b.client.onMessage({ type: 'lsl-inlet-event', inlet, event: 'disconnected', detail: 'the outlet closed the connection' });
    await until(() => states.length === 1, 'waiting');
    expect(opened.state).toMatchObject({ state: 'waiting', detail: 'the outlet closed the connection' });
    b.client.onMessage({ type: 'lsl-inlet-event', inlet, event: 'recovered', detail: 'reconnected to the restarted outlet' });
    b.client.onMessage({ type: 'lsl-inlet-event', inlet, event: 'gap-detected', detail: 'no samples for 0.500 s', gapMs: 500, frames: 49 });
    await until(() => states.length === 2, 'back');
    expect(states).toEqual([['waiting', 'streaming'], ['streaming', 'waiting']]);
    // The last chunk arrives just before Disconnect: stop copies it.
    b.client.onMessage({ type: 'lsl-chunk', inlet, frames: 1, valuesBase64: encodeFloat32([-7, 8]), timestampsBase64: encodeFloat64([1520]) });
    await opened.stop();
    drain();
    expect(values).toEqual([1, 2, 3, 4, 5, 6.5, -7, 8]);
    expect(stamps).toEqual([1000, 1010, 1020, 1520].map((x) => x + offset));
    expect(opened.stats()).toMatchObject({ framesReceived: 4, lostFrames: 49, gaps: 1 });
    expect(b.sent.at(-1)).toEqual({ type: 'lsl-inlet-close', inlet });
  });

  it('frames the page fell a whole ring behind on are counted and marked as a gap on the bus', async () => {
    const { b, offset, opened } = await setUp();
    if (!(opened instanceof LslDeviceConnection)) throw new Error('an EEG stream should feed the acquisition');
    const heard: MarkerEvent[] = [];
    const stop = subscribeMarkers((events) => heard.push(...events));
    opened.start(fakeAcquisition(), { bandHz: null, notchHz: null });
    // 100 Hz × 30 s = a ring of 3000 frames; 3100 arrive before this page copies any.
    const frames = 3100;
    const values = Array.from({ length: frames * 2 }, (_, k) => k);
    const stamps = Array.from({ length: frames }, (_, k) => 1000 + k * 10);
    b.client.onMessage({ type: 'lsl-chunk', inlet: b.lastInlet(), frames, valuesBase64: encodeFloat32(values), timestampsBase64: encodeFloat64(stamps) });
    await until(() => opened.stats().framesReceived === 3000, 'the ring copied');
    await until(() => heard.length === 1, 'the gap marker');
    stop();
    expect(opened.stats()).toMatchObject({ lostFrames: 100, gaps: 1 });
    expect(parseGapMarker(heard[0].value)).toEqual({ streamId: 'lsl:bs-1', lostFrames: 100 });
    // It starts at the first frame lost (frame 0, overwritten) and lasts the 100 frames.
    expect(heard[0]).toMatchObject({ timestampMs: 1000 + offset, durationMs: 1000 });
    await opened.stop();
  });

  it('a stream closed elsewhere (DELETE /bci/v1/lsl/inlets) is told as null', async () => {
    const { devices, opened, states } = await setUp();
    if (!(opened instanceof LslDeviceConnection)) throw new Error('an EEG stream should feed the acquisition');
    opened.start(fakeAcquisition(), { bandHz: null, notchHz: null });
    await devices.disconnect(opened.id);
    await until(() => states.length === 1, 'the close');
    expect(states).toEqual([[null, 'streaming']]);
    await opened.stop();
  });

  it('a marker stream stays connected to the bus and is not a device of the acquisition', async () => {
    const { devices, opened } = await setUp({ ...EEG, type: 'Markers', channelCount: 1, nominalSrateHz: 0, channelFormat: 'string' });
    expect(opened).toMatchObject({ markers: { state: 'streaming', stream: { kind: 'markers' } } });
    expect(devices.list()).toHaveLength(1);
  });
});
