// Our LSL against liblsl 1.16.2, the peer: its example programs and lsl-peer.c (liblsl driven from
// the command line) on one side, our resolver, inlet and outlet on the other, each scenario
// (testing/scenarios.ts) in a network namespace of its own so no packet leaves the machine.
// liblsl is built once into node_modules/.cache/liblsl (about 2 minutes the first time).
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureLiblsl, runScenario, skipLslTests, type Liblsl } from './testing/liblsl';
import { peerSamples } from './testing/peer-values';
import type { ChannelFormat } from './stream-info';

const skip = skipLslTests('the LSL interoperability tests (cli/bridge/lsl/lsl.spec.ts)');

const FORMATS: ChannelFormat[] = ['float32', 'double64', 'int8', 'int16', 'int32', 'int64', 'string'];
let lib: Liblsl;

const scenario = (name: string) => runScenario(lib, name);

/** JSON carries int64 as strings: compare values in that form. */
const wire = (values: unknown[]) => values.map((v) => (typeof v === 'bigint' ? String(v) : v));

describe.skipIf(skip)('LSL against liblsl 1.16.2', () => {
  beforeAll(() => {
    lib = ensureLiblsl();
  }, 600_000);

  it('resolves liblsl outlets of every format; values exact, timestamps as sent, offset within 1 ms, channel metadata', async () => {
    const r = await scenario('liblsl-outlet-formats');
    for (const format of FORMATS) {
      const f = r[format];
      expect(f.values, format).toEqual(wire(peerSamples(format, 3, 0, 40)));
      // Timestamps arrive as liblsl pushed them (explicit, the same doubles).
      expect(f.timestamps, format).toEqual(f.peerTimestamps);
      // Same machine, same clock: the estimated correction is below 1 ms, so corrected timestamps are within 1 ms of the push times.
      expect(Math.abs(f.correction.offsetS)).toBeLessThan(0.001);
      expect(f.correction.rttS).toBeLessThan(0.005);
      expect(f.channels).toEqual([0, 1, 2].map((c) => ({ label: `c${c}`, unit: 'microvolts', type: 'EEG' })));
      expect(f.info).toMatchObject({ name: `peer-${format}`, type: 'EEG', channelFormat: format, channelCount: 3, nominalSrateHz: 50, sourceId: `src-${format}`, version: 110, v4address: '127.0.0.1' });
      expect(f.connected).toMatchObject({ type: 'connected', protocol: 110 });
    }
  }, 120_000);

  it("reads liblsl's SendData example: ch 0 as it printed, the counter channel without a gap, its channel labels", async () => {
    const r = await scenario('liblsl-senddata');
    expect(r.frames).toBeGreaterThanOrEqual(150);
    // SendData prints "sample[0]\tsample[8]" per sample; our samples are a contiguous run of them.
    const start = r.printed.findIndex((p: number[]) => p[1] === r.counter[0]);
    expect(start).toBeGreaterThanOrEqual(0);
    const run = r.printed.slice(start, start + r.counter.length);
    expect(r.counter).toEqual(run.map((p: number[]) => p[1]));
    expect(r.ch0.slice(0, run.length)).toEqual(run.map((p: number[]) => Math.fround(p[0])));
    for (let i = 1; i < r.counter.length; i++) expect(r.counter[i] - r.counter[i - 1]).toBe(1);
    expect(r.channels.map((c: { label: string }) => c.label)).toEqual(['C3', 'C4', 'Cz', 'FPz', 'POz', 'CPz', 'O1', 'O2', 'Chan-9']);
    expect(r.channels[0]).toEqual({ label: 'C3', unit: 'microvolts', type: 'EEG' });
    expect(r.manufacturer).toBe('LSL');
    const rate = (r.timestamps.length - 1) / (r.timestamps[r.timestamps.length - 1] - r.timestamps[0]);
    expect(Math.abs(rate - 100)).toBeLessThan(2);
  }, 120_000);

  it('fills deduced timestamps of chunked pushes (lsl-peer push_chunk, liblsl SendDataInChunks)', async () => {
    const r = await scenario('liblsl-chunks');
    expect(r.peer.values).toEqual(peerSamples('int16', 2, 0, 60));
    // The first sample of each chunk is explicit, the 9 after it deduced (previous + 1/100 s).
    r.peer.timestamps.forEach((t: number, i: number) => expect(Math.abs(t - r.peer.peerTimestamps[i])).toBeLessThan(1e-9));
    const t = r.example.timestamps;
    expect(r.example).toMatchObject({ format: 'int16', rate: 1000 });
    expect(t.length).toBe(1500);
    // Within the example's chunks timestamps are exactly 1 ms apart (deduced); between chunks they follow its clock.
    const steps = t.slice(1).map((x: number, i: number) => x - t[i]);
    expect(steps.filter((d: number) => Math.abs(d - 0.001) < 1e-9).length).toBeGreaterThan(steps.length * 0.8);
    expect(Math.abs((t.length - 1) / (t[t.length - 1] - t[0]) - 1000)).toBeLessThan(50);
  }, 120_000);

  it('serves liblsl inlets in every format: exact values and timestamps, channel metadata in the fullinfo', async () => {
    const r = await scenario('our-outlet-formats');
    for (const format of FORMATS) {
      const f = r[format];
      const info = f.peer.find((l: any) => 'info' in l).info as string;
      expect(info).toContain(`<name>ours-${format}</name>`);
      expect(info).toContain(`<channel_format>${format}</channel_format>`);
      expect(info).toMatch(/<channel>\s*<label>Fp1<\/label>\s*<unit>microvolts<\/unit>\s*<type>EEG<\/type>\s*<\/channel>/);
      expect(info).toContain('<label>Fp2 &amp; &lt;x&gt;</label>');
      expect(info).toMatch(/<label>EOG<\/label>\s*<unit>millivolts<\/unit>\s*<type>EOG<\/type>/);
      const samples = f.peer.filter((l: any) => 'v' in l);
      expect(samples.flatMap((s: any) => s.v), format).toEqual(f.expected);
      expect(samples.map((s: any) => s.t), format).toEqual(f.pushed);
      expect(Math.abs(f.peer.find((l: any) => 'offset' in l).offset)).toBeLessThan(0.001);
    }
  }, 120_000);

  it('clock offsets: an outlet 3.21 s ahead is measured so by liblsl and by us, within 1 ms of each other', async () => {
    const r = await scenario('clock-offset');
    expect(Math.abs(r.liblsl + r.shiftS)).toBeLessThan(0.001);
    expect(Math.abs(r.ours.offsetS + r.shiftS)).toBeLessThan(0.001);
    expect(Math.abs(r.ours.offsetS - r.liblsl)).toBeLessThan(0.001);
    expect(r.ourEvents).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it("string markers both ways with liblsl's SendStringMarkers and ReceiveStringMarkers", async () => {
    const r = await scenario('markers');
    expect(r.got.length).toBeGreaterThanOrEqual(4);
    // What we got is a contiguous run of what SendStringMarkers printed it sent.
    const at = r.sent.findIndex((_: string, i: number) => r.got.every((g: string, k: number) => r.sent[i + k] === g));
    expect(at).toBeGreaterThanOrEqual(0);
    expect(r.listening).toBe(true);
    expect(r.receivedByLiblsl).toEqual(r.ours);
  }, 120_000);

  it("XPath predicates both ways: liblsl's resolver finds our outlet by them, ours finds liblsl's", async () => {
    const r = await scenario('queries');
    expect(r.liblsl).toEqual({
      "name='NeuroQuery'": ['NeuroQuery'],
      "starts-with(name,'Neuro') and type='EEG'": ['NeuroQuery'],
      'count(desc/channels/channel)=3': ['NeuroQuery'],
      "desc/channels/channel[2]/label='Fp2'": ['NeuroQuery'],
      'nominal_srate>200': ['NeuroQuery'],
      "name='NeuroQuery' and channel_format='int16'": [],
      "desc/channels/channel/label='O1'": [],
    });
    expect(r.ours).toEqual({
      "name='PeerQuery'": ['PeerQuery'],
      "type='Markers' and channel_count=2": ['PeerQuery'],
      "contains(source_id,'pq')": ['PeerQuery'],
      "name='PeerQuery' and nominal_srate>0": [],
    });
    expect(r.continuous.listed).toEqual(['PeerQuery']);
    // Forgotten once unheard for 5 s: between 4 s (last reply up to 1 s before the kill) and 7 s.
    expect(r.continuous.forgottenAfterS).toBeGreaterThan(3.9);
    expect(r.continuous.forgottenAfterS).toBeLessThan(7);
  }, 120_000);

  it('speaks 1.00 (portable archive) with liblsl configured for it, both ways, and when a 1.10 request is answered in 1.00', async () => {
    const r = await scenario('fallback-100');
    expect(r.fromLiblsl.version).toBe(100);
    expect(r.fromLiblsl.connected).toMatchObject({ protocol: 100 });
    expect(r.fromLiblsl.values).toEqual(r.fromLiblsl.expected);
    expect(r.negotiated.connected).toMatchObject({ protocol: 100 });
    expect(r.negotiated.values).toEqual(r.negotiated.expected);
    expect(r.toLiblsl.peer.flat()).toEqual(r.toLiblsl.expected);
    expect(r.toLiblsl.subscribed.join('\n')).toContain('(protocol 1.00)');
  }, 120_000);

  it('recovers when the outlet is killed and restarted, and reports the gap; liblsl recovers from our outlet too', async () => {
    const r = await scenario('recovery');
    const types = r.events.map((e: { type: string }) => e.type).filter((t: string) => t !== 'clock-offset-measured');
    expect(types).toEqual(['connected', 'disconnected', 'connected', 'recovered', 'gap-detected', 'lost']);
    expect(r.events.find((e: any) => e.type === 'recovered')).toMatchObject({ uid: r.secondUid, sameOutlet: false });
    expect(r.secondUid).not.toBe(r.firstUid);
    const gap = r.events.find((e: any) => e.type === 'gap-detected');
    expect(gap.gapS).toBeGreaterThan(1.4);
    expect(gap.gapS).toBeLessThan(15);
    expect(gap.missingSamples).toBe(Math.round(gap.gapS * 100) - 1);
    expect(r.framesBefore).toBeGreaterThan(50);
    // The restarted outlet's samples start again from its first.
    expect(r.valuesAfterRestart).toEqual(r.expectedAfterRestart);
    expect(r.liblslValues).toEqual(Array.from({ length: 60 }, (_, i) => i));
  }, 120_000);

  it('garbage from every side is dropped with a reason; what works keeps working', async () => {
    const r = await scenario('garbage');
    const logs = r.logs.join('\n');
    // A hostile responder's junk replies do not hide the real outlet.
    expect(r.found).toEqual(['real-one']);
    expect(logs).toMatch(/ignored a malformed discovery reply: discovery reply from 127\.0\.0\.1:16571: XML does not parse/);
    expect(logs).toContain('ignored a datagram from 127.0.0.1:16571 that answers no query of ours');
    // Garbage TCP peers: each dropped, or refused with liblsl's status line.
    expect(logs).toContain('is not an LSL request');
    expect(logs).toContain('the request does not start with "LSL:"');
    expect(logs).toContain('request line "LSL:streamfeed/xyz" is not LSL:streamfeed/<version> <uid>');
    expect(logs).toContain('1.00 feed parameters "many samples please" are not two integers');
    expect(r.garbageReplies).toEqual(expect.arrayContaining(['LSL/110 404 Not found', 'LSL/110 505 Version not supported']));
    // The consumer that stopped reading was dropped; the liblsl inlet beside it lost nothing.
    expect(r.stallDetected).toBe(true);
    expect(logs).toMatch(/dropped 127\.0\.0\.1:\d+: it stopped reading \(\d+ bytes queued, more than its buffer of 65536\)/);
    expect(logs.match(/stopped reading/g)).toHaveLength(1);
    expect(r.reader.lost).toBe(0);
    expect(r.reader.received).toBeGreaterThan(10_000);
    // Fake outlets: wrong test patterns refuse the subscription; garbage after good data drops the connection, data kept.
    expect(r.fakes.badPattern.error).toMatch(/test-pattern sample 1 does not match liblsl's/);
    expect(r.fakes.badFullinfo.error).toMatch(/cannot read the stream's description|XML does not parse/);
    expect(r.fakes.badData.got).toEqual([1, 2]);
    expect(r.fakes.badData.events).toEqual(['connected', 'disconnected', 'lost']);
    expect(logs).toContain('dropped the connection to 127.0.0.1');
    expect(logs).toContain('garbled sample: tag 9');
  }, 120_000);
});
