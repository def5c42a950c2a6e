// LslDevices over the tab's real LslBridgeClient and the fake bridge end (tests/fakes/lsl-bridge.ts):
// the ring the page's acquisition reads from the first frame, the outlet gone (waiting) and back, its
// gap as a gap marker (the one a board's gap gets, so recordings mark it), and a stream given up.
// The same path against liblsl in Chromium: tests/e2e/lsl-tab.test.ts.
import { describe, expect, it } from 'vitest';
import type { MarkerEvent } from '../core/stream';
import { parseGapMarker } from '../devices/timing/counter-tracker';
import { Ring, RingReader } from '../streams/ring';
import { encodeFloat32, encodeFloat64 } from './lsl-wire';
import { fakeLslBridge } from '../../../tests/fakes/lsl-bridge';
import { LslDevices } from './lsl-devices';

const EEG = { name: 'BioSemi', type: 'EEG', sourceId: 'bs-1', channelCount: 2, nominalSrateHz: 100, channelFormat: 'float32', hostname: 'amp', uid: 'u1' };

describe('LslDevices', () => {
  it('hands the page its ring from the first frame; says waiting then streaming as the outlet goes and returns, and marks the gap on the bus', async () => {
    const b = fakeLslBridge({ inlet: { stream: EEG, channels: [{ label: 'Fz', unit: 'microvolts', type: 'EEG' }, { label: 'Cz', unit: 'microvolts', type: 'EEG' }] } });
    const offset = await b.attach();
    const markers: MarkerEvent[] = [];
    const devices = new LslDevices(b.client, { publish: (events) => markers.push(...events) });
    const c = await devices.connect("source_id='bs-1'");
    const inlet = b.lastInlet();
    // Frames that arrive before the page attaches are in the ring for it.
    b.client.onMessage({ type: 'lsl-chunk', inlet, frames: 2, valuesBase64: encodeFloat32([1, 2, 3, 4]), timestampsBase64: encodeFloat64([1000, 1010]) });
    const got = devices.ring(c.id)!;
    expect(got.connection).toMatchObject({ id: c.id, state: 'streaming', stream: { id: 'lsl:bs-1', sampleRateHz: 100, channels: [{ label: 'Fz', unit: 'uV' }, { label: 'Cz', unit: 'uV' }] } });
    const reader = new RingReader(Ring.attach(got.buffer!), { from: 'oldest' });

    b.client.onMessage({ type: 'lsl-inlet-event', inlet, event: 'disconnected', detail: 'the outlet closed the connection' });
    expect(devices.ring(c.id)!.connection).toMatchObject({ state: 'waiting', detail: 'the outlet closed the connection' });
    // Still bindable while it is waiting: it resumes.
    expect(devices.streams().map((s) => s.descriptor.id)).toEqual(['lsl:bs-1']);
    b.client.onMessage({ type: 'lsl-inlet-event', inlet, event: 'recovered', detail: 'reconnected to the restarted outlet' });
    b.client.onMessage({ type: 'lsl-inlet-event', inlet, event: 'gap-detected', detail: 'no samples for 0.500 s', gapMs: 500, frames: 49 });
    b.client.onMessage({ type: 'lsl-chunk', inlet, frames: 1, valuesBase64: encodeFloat32([5, 6]), timestampsBase64: encodeFloat64([1510]) });
    expect(devices.ring(c.id)!.connection).toMatchObject({ state: 'streaming', frames_received: 3, frames_lost: 49 });

    const samples = new Float32Array(6);
    const stamps = new Float64Array(3);
    expect(reader.read(3, samples, stamps)).toMatchObject({ frames: 3, dropped: 0 });
    expect(Array.from(samples)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(stamps)).toEqual([1000 + offset, 1010 + offset, 1510 + offset]);
    // The gap marker starts one period after the last frame before it and lasts the 49 missing samples.
    expect(markers).toHaveLength(1);
    expect(parseGapMarker(markers[0].value)).toEqual({ streamId: 'lsl:bs-1', lostFrames: 49 });
    expect(markers[0].timestampMs).toBe(1010 + offset + 10);
    expect(markers[0].durationMs).toBe(490);

    b.client.onMessage({ type: 'lsl-inlet-event', inlet, event: 'lost', detail: 'recovery is off' });
    expect(devices.ring(c.id)!.connection).toMatchObject({ state: 'lost', detail: 'the LSL stream was lost: recovery is off' });
    expect(devices.streams()).toEqual([]);
    expect(await devices.disconnect(c.id)).toBe(true);
    expect(devices.ring(c.id)).toBeNull();
  });

  it('a marker stream has no ring (its samples go to the bus)', async () => {
    const b = fakeLslBridge({ inlet: { stream: { ...EEG, name: 'Stim', type: 'Markers', channelCount: 1, nominalSrateHz: 0, channelFormat: 'string' }, channels: [] } });
    await b.attach();
    const devices = new LslDevices(b.client, { publish: () => {} });
    const c = await devices.connect("name='Stim'");
    expect(devices.ring(c.id)).toMatchObject({ buffer: null, connection: { stream: { kind: 'markers' } } });
  });
});
