// /bci/v1/lsl through the API router, with the tab's real LslBridgeClient and LslPublisher over a
// fake bridge socket (it records what the tab sends and answers as cli/bridge/lsl-link.ts does; the
// real link against liblsl is tested in cli/bridge/lsl-link.spec.ts inside a network namespace).
import { afterAll, describe, expect, it } from 'vitest';
import type { StreamDescriptor } from '../core/stream';
import { Ring, RingReader, RingWriter } from '../streams/ring';
import { createApi } from './index';
import { LocalBackend } from './local-backend';
import { LslDevices } from './lsl-devices';
import { LslPublisher, type LslSource } from './lsl-publisher';
import { decodeSamples, encodeFloat32, encodeFloat64, type LslTabToBridge } from './lsl-wire';
import { fakeLslBridge as fakeBridge, FAKE_BRIDGE_SHIFT_MS as SHIFT_MS } from '../../../tests/fakes/lsl-bridge';

const backend = new LocalBackend();
afterAll(() => backend.dispose());

const EEG: StreamDescriptor = {
  id: 'synthetic-eeg',
  name: 'Synthetic EEG',
  kind: 'eeg',
  sampleRateHz: 250,
  channels: [
    { label: 'Fp1', unit: 'uV', type: 'EEG' },
    { label: 'Cz', unit: 'uV', type: 'EEG' },
    { label: 'accel_x', unit: 'g', type: 'ACCEL' },
  ],
};

function setup() {
  const bridge = fakeBridge();
  const ring = Ring.create({ channels: 3, capacityFrames: 1024 });
  let markerFn: ((e: { timestampMs: number; value: string }) => void) | null = null;
  const sources: Record<string, LslSource> = {
    'synthetic-eeg': { descriptor: EEG, ring: ring.buffer },
    markers: { descriptor: { id: 'markers', name: 'Neurotab markers', kind: 'markers', sampleRateHz: 0, channels: [{ label: 'Marker', unit: '', type: 'STIM' }] }, subscribeMarkers: (fn) => ((markerFn = fn), () => (markerFn = null)) },
  };
  const publisher = new LslPublisher(bridge.client, { find: (s) => sources[s] ?? null });
  const api = createApi(backend, { lsl: publisher });
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await api.request(path, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, json: r.status === 204 ? null : await r.json() };
  };
  return { ...bridge, ring, writer: new RingWriter(ring), call, publisher, marker: (t: number, v: string) => markerFn?.({ timestampMs: t, value: v }) };
}

const waitFor = async (pred: () => boolean, ms = 2000) => {
  for (const t0 = Date.now(); !pred(); await new Promise((r) => setTimeout(r, 5))) if (Date.now() - t0 > ms) throw new Error('timed out');
};

describe('/bci/v1/lsl', () => {
  it('answers 503 with how to start the bridge when no bridge is paired (and with no LSL backend at all)', async () => {
    const s = setup();
    for (const [method, path] of [['GET', '/bci/v1/lsl/streams'], ['GET', '/bci/v1/lsl/outlets'], ['POST', '/bci/v1/lsl/outlets'], ['DELETE', '/bci/v1/lsl/outlets/o1']]) {
      const r = await s.call(method, path, method === 'POST' ? { source: 'markers' } : undefined);
      expect(r.status, `${method} ${path}`).toBe(503);
      expect(r.json.error.code).toBe('BRIDGE_UNAVAILABLE');
      expect(r.json.error.message).toContain('npm run neurotab -- bridge');
    }
    const bare = await createApi(backend).request('/bci/v1/lsl/streams');
    expect(bare.status).toBe(503);
    expect(s.sent).toEqual([]);
  });

  it('lists what the bridge resolves, in snake_case', async () => {
    const s = setup();
    await s.attach();
    const r = await s.call('GET', '/bci/v1/lsl/streams?wait=0.5');
    expect(r.status).toBe(200);
    expect(r.json.streams).toEqual([{ name: 'SendData', type: 'EEG', source_id: 'myuid34234', channel_count: 8, nominal_srate: 100, channel_format: 'float32', hostname: 'lab-pc', uid: 'u-1' }]);
    expect(s.sent.find((m) => m.type === 'lsl-resolve')).toMatchObject({ waitS: 0.5 });
    expect((await s.call('GET', '/bci/v1/lsl/streams?wait=99')).status).toBe(400);
  });

  it("publishes a device ring with its descriptor's labels, units, types and rate; frames go out exact, on the bridge's clock; withdraws", async () => {
    const s = setup();
    const offset = await s.attach();
    expect(Math.abs(offset - SHIFT_MS)).toBeLessThan(5);
    const r = await s.call('POST', '/bci/v1/lsl/outlets', { source: 'synthetic-eeg', name: 'Neurotab EEG' });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ source: 'synthetic-eeg', name: 'Neurotab EEG', type: 'EEG', uid: expect.stringMatching(/^uid-/), channel_count: 3, nominal_srate: 250, channel_format: 'float32' });
    expect(s.sent.find((m) => m.type === 'lsl-outlet-open')).toEqual({
      type: 'lsl-outlet-open',
      outlet: r.json.id,
      spec: {
        name: 'Neurotab EEG', type: 'EEG', sourceId: 'neurotab:synthetic-eeg', channelFormat: 'float32', nominalSrateHz: 250,
        channels: [{ label: 'Fp1', unit: 'microvolts', type: 'EEG' }, { label: 'Cz', unit: 'microvolts', type: 'EEG' }, { label: 'accel_x', unit: 'g', type: 'ACCEL' }],
      },
    });
    // 20 frames written to the ring reach the bridge as they are, stamped on the bridge's clock.
    const values = Float32Array.from({ length: 60 }, (_, k) => Math.fround(k * 0.37 - 5));
    const stamps = Float64Array.from({ length: 20 }, (_, i) => 1_000_000 + i * 4);
    s.writer.push(values, stamps, 20);
    const samples = () => s.sent.filter((m): m is Extract<LslTabToBridge, { type: 'lsl-samples' }> => m.type === 'lsl-samples');
    await waitFor(() => samples().reduce((n, m) => n + m.frames, 0) >= 20);
    const got = samples().map((m) => decodeSamples(m, 3));
    expect(got.flatMap((g) => Array.from(g.values as Float32Array))).toEqual(Array.from(values));
    got.flatMap((g) => Array.from(g.timestampsMs)).forEach((t, i) => expect(Math.abs(t - (stamps[i] - offset))).toBeLessThan(1e-6));
    const listed = await s.call('GET', '/bci/v1/lsl/outlets');
    expect(listed.json.outlets).toEqual([expect.objectContaining({ id: r.json.id, frames_sent: 20, frames_dropped: 0 })]);
    expect((await s.call('DELETE', `/bci/v1/lsl/outlets/${r.json.id}`)).status).toBe(204);
    expect(s.sent.at(-1)).toEqual({ type: 'lsl-outlet-close', outlet: r.json.id });
    expect((await s.call('DELETE', `/bci/v1/lsl/outlets/${r.json.id}`)).status).toBe(404);
    expect((await s.call('GET', '/bci/v1/lsl/outlets')).json.outlets).toEqual([]);
  });

  it('publishes the marker bus as an irregular string stream, one sample per marker', async () => {
    const s = setup();
    const offset = await s.attach();
    const r = await s.call('POST', '/bci/v1/lsl/outlets', { source: 'markers' });
    expect(r.json).toMatchObject({ type: 'Markers', channel_format: 'string', nominal_srate: 0, channel_count: 1 });
    s.marker(2_000_000.5, 'stimulus/left é');
    const m = s.sent.at(-1) as Extract<LslTabToBridge, { type: 'lsl-samples' }>;
    const d = decodeSamples(m, 1);
    expect(d.values).toEqual(['stimulus/left é']);
    expect(Math.abs(d.timestampsMs[0] - (2_000_000.5 - offset))).toBeLessThan(1e-6);
  });

  it('refuses a body that is not one, an unknown app stream, and drops pushes (counted) while the socket is backed up', async () => {
    const s = setup();
    await s.attach();
    expect((await s.call('POST', '/bci/v1/lsl/outlets', { source: 'synthetic-eeg', extra: 1 })).status).toBe(400);
    const unknown = await s.call('POST', '/bci/v1/lsl/outlets', { source: 'nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.message).toMatch(/no app stream "nope"/);
    let buffered = 0;
    const b = fakeBridge({ buffered: () => buffered });
    await b.attach();
    const { id } = await b.client.openOutlet({ name: 'x', type: 'EEG', sourceId: '', channelFormat: 'float32', nominalSrateHz: 10, channels: [{ label: 'a', unit: '', type: '' }] });
    buffered = 64 * 1024 * 1024;
    expect(b.client.push(id, [1, 2], [0, 1])).toBe(0);
    expect(b.client.droppedFrames(id)).toBe(2);
    expect(() => b.client.push(id, [1, 2, 3], [0, 1])).toThrow(/3 values for 2 samples/);
  });

  it('an inlet: chunks arrive on the tab clock; garbled chunks are reported, not delivered; the socket closing ends it', async () => {
    const b = fakeBridge();
    const offset = await b.attach();
    const chunks: { frames: number; values: number[]; t: number[] }[] = [];
    const events: string[] = [];
    const opening = b.client.openInlet("name='SendData'", { onChunk: (frames, v, t) => chunks.push({ frames, values: Array.from(v as Float32Array), t: Array.from(t) }), onEvent: (e, detail) => events.push(`${e}: ${detail}`) });
    const open = b.sent.at(-1) as Extract<LslTabToBridge, { type: 'lsl-inlet-open' }>;
    expect(open).toMatchObject({ type: 'lsl-inlet-open', query: "name='SendData'" });
    b.client.onMessage({ type: 'lsl-inlet-opened', inlet: open.inlet, stream: { name: 'SendData', type: 'EEG', sourceId: 's', channelCount: 2, nominalSrateHz: 100, channelFormat: 'float32', hostname: 'h', uid: 'u' }, channels: [] });
    await opening;
    b.client.onMessage({ type: 'lsl-chunk', inlet: open.inlet, frames: 2, valuesBase64: encodeFloat32([1.5, -2, 3, 4]), timestampsBase64: encodeFloat64([5000, 5010]) });
    b.client.onMessage({ type: 'lsl-chunk', inlet: open.inlet, frames: 2, valuesBase64: encodeFloat32([1, 2, 3]), timestampsBase64: encodeFloat64([5020, 5030]) });
    expect(chunks).toEqual([{ frames: 2, values: [1.5, -2, 3, 4], t: [5000 + offset, 5010 + offset] }]);
    expect(events).toEqual([expect.stringMatching(/^dropped: a garbled chunk.*12 bytes, not 4 float32/)]);
    b.client.detach('test over');
    expect(events.at(-1)).toBe('lost: test over');
    await expect(b.client.streams()).rejects.toThrow(/npm run neurotab -- bridge/);
  });

  it('connects an LSL stream as a device: its ring fills exact, listed, re-publishable; the tab\'s own outlet is refused', async () => {
    const stream = { name: 'BioSemi', type: 'EEG', sourceId: 'bs-1', channelCount: 2, nominalSrateHz: 512, channelFormat: 'float32', hostname: 'amp', uid: 'uid-o2' };
    const bridge = fakeBridge({ inlet: { stream, channels: [{ label: 'Fz', unit: 'microvolts', type: 'EEG' }] } });
    const devices = new LslDevices(bridge.client, {}, () => publisher.lslOutlets().map((o) => o.uid));
    const publisher: LslPublisher = new LslPublisher(bridge.client, { find: (id) => devices.streams().map((x) => ({ descriptor: x.descriptor, ring: x.buffer })).find((x) => x.descriptor.id === id) ?? null }, devices);
    const api = createApi(backend, { lsl: publisher });
    const call = async (method: string, path: string, body?: unknown) => {
      const r = await api.request(path, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: r.status, json: r.status === 204 ? null : await r.json() };
    };
    const offset = await bridge.attach();
    expect((await call('POST', '/bci/v1/lsl/inlets', {})).status).toBe(400);
    const r = await call('POST', '/bci/v1/lsl/inlets', { query: "source_id='bs-1'" });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ query: "source_id='bs-1'", uid: 'uid-o2', state: 'streaming', stream: { id: 'lsl:bs-1', name: 'BioSemi', kind: 'eeg', sampleRateHz: 512, channels: [{ label: 'Fz', unit: 'uV', type: 'EEG' }, { label: 'ch2', unit: 'uV', type: 'EEG' }] } });
    const [ring] = devices.streams();
    const reader = new RingReader(Ring.attach(ring.buffer), { from: 'oldest' });
    bridge.client.onMessage({ type: 'lsl-chunk', inlet: bridge.lastInlet(), frames: 2, valuesBase64: encodeFloat32([0.5, -1, 2, 3.25]), timestampsBase64: encodeFloat64([10, 12]) });
    const samples = new Float32Array(4);
    const stamps = new Float64Array(2);
    expect(reader.read(2, samples, stamps).frames).toBe(2);
    expect(Array.from(samples)).toEqual([0.5, -1, 2, 3.25]);
    expect(Array.from(stamps)).toEqual([10 + offset, 12 + offset]);
    expect((await call('GET', '/bci/v1/lsl/inlets')).json.inlets).toEqual([expect.objectContaining({ id: r.json.id, frames_received: 2, frames_lost: 0 })]);
    // The connected stream is an app stream like any: it can be published again (the client's ids run i1, o2…; the fake's outlet uids are uid-<id>, so this one is uid-o2)…
    expect((await call('POST', '/bci/v1/lsl/outlets', { source: 'lsl:bs-1', name: 'echo' })).status).toBe(201);
    // …and then the same uid, now the tab's own outlet, is refused: it would loop.
    const loop = await call('POST', '/bci/v1/lsl/inlets', { query: "name='echo'" });
    expect(loop.status).toBe(409);
    expect(loop.json.error.message).toMatch(/this tab's own outlet/);
    expect((await call('DELETE', `/bci/v1/lsl/inlets/${r.json.id}`)).status).toBe(204);
    expect(bridge.sent).toContainEqual({ type: 'lsl-inlet-close', inlet: expect.any(String) });
    expect((await call('DELETE', `/bci/v1/lsl/inlets/${r.json.id}`)).status).toBe(404);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await createApi(backend).request('/bci/v1/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/bci/v1/lsl/outlets'])).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/bci/v1/lsl/outlets/{id}'])).toEqual(['delete']);
    expect(Object.keys(doc.paths['/bci/v1/lsl/inlets'])).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/bci/v1/lsl/inlets/{id}'])).toEqual(['delete']);
    expect(doc.paths['/bci/v1/lsl/streams'].get).toBeDefined();
  });
});
