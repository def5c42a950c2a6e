// "LSL stream" devices over the tab's real LslBridgeClient and a fake bridge end (tests/fakes/lsl-bridge.ts):
// listing (with and without a bridge), the descriptor NeuroPype's LSLInput query binds to, frames into
// a Ring exact, a marker stream onto the real marker bus, gaps reported. The bridge side against liblsl:
// cli/bridge/lsl-link.spec.ts.
import { describe, expect, it } from 'vitest';
import { subscribeMarkers } from '../../../core/markers';
import { matchStreamQuery, type MarkerEvent } from '../../../core/stream';
import { encodeFloat32, encodeFloat64 } from '../../../api/lsl-wire';
import { Ring, RingReader, RingWriter } from '../../../streams/ring';
import type { DriverGap } from '../../descriptor';
import { FAKE_RESOLVED, fakeLslBridge } from '../../../../../tests/fakes/lsl-bridge';
import { listLslDevices, LSL_NEEDS_BRIDGE, LslStreamDriver, lslQueryFor, lslQueryOf, lslStreamDescriptor } from './driver';

const EEG = { name: 'BioSemi', type: 'EEG', sourceId: 'biosemi-1', channelCount: 2, nominalSrateHz: 512, channelFormat: 'float32', hostname: 'amp', uid: 'u' };
const MARKERS = { name: 'PsychoPy', type: 'Markers', sourceId: '', channelCount: 1, nominalSrateHz: 0, channelFormat: 'string', hostname: 'stim', uid: 'v' };

describe('LSL stream devices', () => {
  it('without a bridge the list says how to start one, and open() refuses with the same words', async () => {
    expect(await listLslDevices(null)).toEqual({ devices: [], message: LSL_NEEDS_BRIDGE });
    const unpaired = fakeLslBridge();
    expect(await listLslDevices(unpaired.client)).toEqual({ devices: [], message: LSL_NEEDS_BRIDGE });
    expect(LSL_NEEDS_BRIDGE).toContain('npm run neurotab -- bridge');
    await expect(new LslStreamDriver(null, "name='x'").open()).rejects.toThrow(/Start the bridge to see LSL streams/);
  });

  it('lists what the bridge resolves as "lsl-stream" devices with the query that finds each again', async () => {
    const b = fakeLslBridge();
    await b.attach();
    const r = await listLslDevices(b.client);
    expect(r.devices).toEqual([{ ...FAKE_RESOLVED, kind: 'lsl-stream', query: "source_id='myuid34234'" }]);
    expect(lslQueryOf({ name: "O'Brien", type: 'EEG', sourceId: '' })).toBe("name='OBrien' and type='EEG'");
    // Chosen by hand: every field given must match, none given is no query.
    expect(lslQueryFor({ name: ' BioSemi ', type: '', sourceId: 'bs-1' })).toBe("source_id='bs-1' and name='BioSemi'");
    expect(lslQueryFor({ type: 'EEG' })).toBe("type='EEG'");
    expect(lslQueryFor({ name: ' ', type: '', sourceId: '' })).toBeNull();
  });

  it("describes the stream so NeuroPype's LSLInput query binds to it (type='EEG', name=…), units in our spelling", () => {
    const d = lslStreamDescriptor(EEG, [{ label: 'Fp1', unit: 'microvolts', type: 'EEG' }]);
    expect(d).toEqual({ id: 'lsl:biosemi-1', name: 'BioSemi', kind: 'eeg', sampleRateHz: 512, channels: [{ label: 'Fp1', unit: 'uV', type: 'EEG' }, { label: 'ch2', unit: 'uV', type: 'EEG' }] });
    expect(matchStreamQuery([{ descriptor: d }], "type='EEG'")).toBeDefined();
    expect(matchStreamQuery([{ descriptor: d }], "name='BioSemi'")).toBeDefined();
    expect(lslStreamDescriptor(MARKERS, []).kind).toBe('markers');
  });

  it('writes its chunks into a ring exact, with continuous sample indices, and reports a gap from one period after its last frame and the link lost and back', async () => {
    const b = fakeLslBridge({ inlet: { stream: EEG, channels: [] } });
    const offset = await b.attach();
    const driver = new LslStreamDriver(b.client, lslQueryOf(EEG));
    await driver.open();
    const ring = Ring.create({ channels: 2, capacityFrames: 64 });
    const writer = new RingWriter(ring);
    const reader = new RingReader(ring, { from: 'oldest' });
    const indices: number[] = [];
    const gaps: DriverGap[] = [];
    const link: string[] = [];
    await driver.start({ onFrames: (f) => (indices.push(f.sampleIndex), writer.push(f.samples, f.timestampsMs, f.frames)), onGap: (g) => gaps.push(g), onDisconnected: () => {}, onLink: (state, detail) => link.push(`${state}: ${detail}`) });
    const inlet = b.lastInlet();
    b.client.onMessage({ type: 'lsl-chunk', inlet, frames: 3, valuesBase64: encodeFloat32([1, 2, 3, 4, 5, 6.5]), timestampsBase64: encodeFloat64([100, 102, 104]) });
    b.client.onMessage({ type: 'lsl-inlet-event', inlet, event: 'disconnected', detail: 'the outlet closed the connection' });
    b.client.onMessage({ type: 'lsl-inlet-event', inlet, event: 'recovered', detail: 'reconnected to the restarted outlet' });
    b.client.onMessage({ type: 'lsl-inlet-event', inlet, event: 'gap-detected', detail: 'no samples for 0.010 s', gapMs: 10, frames: 4 });
    b.client.onMessage({ type: 'lsl-chunk', inlet, frames: 1, valuesBase64: encodeFloat32([-7, 8]), timestampsBase64: encodeFloat64([114]) });
    const samples = new Float32Array(8);
    const stamps = new Float64Array(4);
    expect(reader.read(4, samples, stamps).frames).toBe(4);
    expect(Array.from(samples)).toEqual([1, 2, 3, 4, 5, 6.5, -7, 8]);
    expect(Array.from(stamps)).toEqual([100, 102, 104, 114].map((t) => t + offset));
    expect(indices).toEqual([0, 7]);
    expect(gaps).toEqual([{ streamId: 'lsl:biosemi-1', sampleIndex: 3, lostFrames: 4, timestampMs: 104 + offset + 1000 / 512 }]);
    expect(link).toEqual(['waiting: the outlet closed the connection', 'back: reconnected to the restarted outlet']);
    await driver.stop();
    await driver.close();
    expect(b.sent.at(-1)).toEqual({ type: 'lsl-inlet-close', inlet });
  });

  it("an LSL marker stream's samples land on the marker bus, on the tab clock", async () => {
    const b = fakeLslBridge({ inlet: { stream: MARKERS, channels: [] } });
    const offset = await b.attach();
    const heard: MarkerEvent[] = [];
    const stop = subscribeMarkers((events) => heard.push(...events));
    const driver = new LslStreamDriver(b.client, "type='Markers'");
    await driver.open();
    await driver.start({ onFrames: () => { throw new Error('markers are not frames'); }, onGap: () => {}, onDisconnected: () => {} });
    b.client.onMessage({ type: 'lsl-chunk', inlet: b.lastInlet(), frames: 2, strings: ['stim/left', 'résponse'], timestampsBase64: encodeFloat64([5000.25, 5600]) });
    for (const t0 = Date.now(); heard.length < 2 && Date.now() - t0 < 2000; ) await new Promise((r) => setTimeout(r, 10));
    stop();
    expect(heard).toEqual([
      { timestampMs: 5000.25 + offset, value: 'stim/left' },
      { timestampMs: 5600 + offset, value: 'résponse' },
    ]);
    await driver.close();
  });
});
