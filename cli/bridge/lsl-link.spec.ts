// LSL in the tab through the bridge (issue 20 items 2 and 3), against liblsl 1.16.2: each scenario of
// lsl-link-scenarios.ts runs in a network namespace of its own (liblsl peer, bridge, the tab's
// client over the real socket). The bad-input cases at the end open no LSL socket and run here.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { encodeFloat64, type LslBridgeToTab } from '../../src/lib/api/lsl-wire';
import { createLslLink } from './lsl-link';
import { ensureLiblsl, skipLslTests, type Liblsl } from './lsl/testing/liblsl';
import { jsonLines, runInNetns, tsCommand } from './lsl/testing/netns';
import { peerSamples } from './lsl/testing/peer-values';

const skip = skipLslTests('the bridge ↔ tab LSL tests (cli/bridge/lsl-link.spec.ts)');
let lib: Liblsl;

async function scenario(name: string): Promise<any> {
  const r = await runInNetns(tsCommand('cli/bridge/lsl-link-scenarios.ts', [name]), { timeoutMs: 100_000, env: { ...lib.env, LSL_PEER: lib.peer, LSL_EXAMPLES: join(lib.dir, 'bin') } });
  const out = jsonLines(r.stdout).find((l) => 'result' in l);
  if (r.code !== 0 || !out) throw new Error(`scenario ${name} failed (exit ${r.code}):\n${r.stderr.slice(-6000)}`);
  return out.result;
}

describe.skipIf(skip)('LSL streams to and from the tab through the bridge (liblsl 1.16.2 peer)', () => {
  beforeAll(() => {
    lib = ensureLiblsl();
  }, 600_000);

  it('a liblsl outlet: listed, its samples reach the tab exact, at 100 Hz, stamped on the tab clock within 1 ms', async () => {
    const r = await scenario('peer-outlet-to-tab');
    expect(r.streams).toContainEqual(expect.objectContaining({ name: 'tab-f32', type: 'EEG', sourceId: 'src-tab-f32', channelCount: 4, nominalSrateHz: 100, channelFormat: 'float32' }));
    expect(r.opened.stream).toMatchObject({ name: 'tab-f32', channelCount: 4 });
    expect(r.opened.channels).toEqual([0, 1, 2, 3].map((c) => ({ label: `c${c}`, unit: 'microvolts', type: 'EEG' })));
    // The tab's clock is 12.3 s ahead of the bridge's; the client measured that.
    expect(Math.abs(r.clockOffsetMs - r.shiftMs)).toBeLessThan(1);
    expect(r.timestampsMs.length).toBe(200);
    expect(r.values).toEqual(peerSamples('float32', 4, 0, 200));
    r.timestampsMs.forEach((t: number, i: number) => expect(Math.abs(t - r.pushedTabMs[i])).toBeLessThan(1));
    const rateHz = (199 * 1000) / (r.timestampsMs[199] - r.timestampsMs[0]);
    expect(Math.abs(rateHz - 100)).toBeLessThan(2);
    expect(r.events).toEqual([]);
  }, 120_000);

  it('a liblsl string marker stream reaches the tab with every string exact (UTF-8, 300 bytes)', async () => {
    const r = await scenario('peer-markers-to-tab');
    expect(r.opened.stream).toMatchObject({ name: 'tab-markers', type: 'Markers', channelFormat: 'string', channelCount: 3 });
    expect(r.values).toEqual(peerSamples('string', 3, 0, 40));
    expect(r.timestampsMs.length).toBe(40);
  }, 120_000);

  it("a liblsl marker stream reaches a running pipeline's Segmentation: one epoch per marker, at the marker's time", async () => {
    const r = await scenario('peer-markers-to-segmentation');
    expect(r.epochs.length).toBeGreaterThanOrEqual(6);
    const pushed = new Map<string, number>(r.pushed.map((p: { value: string; tabMs: number }) => [p.value, p.tabMs]));
    for (const e of r.epochs) {
      expect(e.marker).toMatch(/^s\d+-c0$/);
      // The epoch starts at its LSL marker's push time, mapped to the tab clock, within 1 ms.
      expect(Math.abs(e.timeMs - pushed.get(e.marker)!)).toBeLessThan(1);
    }
    // Each marker came over the bus once.
    const values = r.heard.map((m: { value: string }) => m.value);
    expect(new Set(values).size).toBe(values.length);
  }, 120_000);

  it('the outlet killed and restarted: the LSL stream device hears the gap (samples missing), then its frames go on', async () => {
    const r = await scenario('peer-recovery-to-tab');
    expect(r.descriptor).toMatchObject({ id: 'lsl:src-tab-rec', name: 'tab-rec', kind: 'eeg', sampleRateHz: 100 });
    expect(r.framesBeforeKill).toBeGreaterThan(0);
    expect(r.gaps).toHaveLength(1);
    const gap = r.gaps[0];
    // ≥ 1.5 s without samples at 100 Hz.
    expect(gap.lostFrames).toBeGreaterThan(140);
    const after = r.frames.filter((f: { sampleIndex: number }) => f.sampleIndex >= gap.sampleIndex);
    expect(after.length).toBeGreaterThan(0);
    // Sample indices stay continuous across the gap; the restarted outlet starts again from its first value.
    expect(after[0].sampleIndex).toBe(gap.sampleIndex + gap.lostFrames);
    expect(after[0].first).toBe(peerSamples('float32', 2, 0, 1)[0]);
    for (let k = 1; k < r.frames.length; k++) if (r.frames[k].sampleIndex !== gap.sampleIndex + gap.lostFrames) expect(r.frames[k].sampleIndex).toBe(r.frames[k - 1].sampleIndex + r.frames[k - 1].frames);
  }, 120_000);

  it('an app stream published from the tab is read by a liblsl inlet: exact values, its timestamps, channel metadata', async () => {
    const r = await scenario('tab-outlet-to-peer');
    expect(r.info).toContain('<name>nt-eeg</name>');
    expect(r.info).toContain('<source_id>neurotab:test</source_id>');
    expect(r.info).toContain('<nominal_srate>250.0000000000000</nominal_srate>');
    expect(r.info).toMatch(/<channel>\s*<label>Fp1<\/label>\s*<unit>microvolts<\/unit>\s*<type>EEG<\/type>\s*<\/channel>/);
    expect(r.info).toContain('<label>Fp2 &amp; &lt;x&gt;</label>');
    expect(r.info).toMatch(/<label>Marker-free<\/label>\s*<unit>volts<\/unit>\s*<type>AUX<\/type>/);
    expect(r.samples.length).toBe(100);
    const first = r.samples[0].v[0];
    r.samples.forEach((s: { t: number; v: number[] }, k: number) => {
      const i = first + k; // no sample skipped
      expect(s.v).toEqual([i, Math.fround(i * 0.5 - 7.25), Math.fround(-i / 8)]);
      // The tab's timestamp, mapped to the bridge's LSL clock (the clock offset measured to < 1 ms).
      expect(Math.abs(s.t - r.expectedLslS[i])).toBeLessThan(0.001);
    });
    expect(Math.abs(r.offset)).toBeLessThan(0.001);
  }, 120_000);
});

describe('the bridge LSL link refuses bad messages from the tab (no LSL socket is opened)', () => {
  const link = () => {
    const sent: LslBridgeToTab[] = [];
    const logs: string[] = [];
    return { sent, logs, link: createLslLink({ send: (m) => sent.push(m), bufferedBytes: () => 0, log: (l) => logs.push(l) }) };
  };

  it('an outlet without channels or with an unknown format is refused with a reason; nothing opens', async () => {
    const { sent, link: l } = link();
    expect(l.onTabMessage({ type: 'lsl-outlet-open', outlet: 'o1', spec: { name: 'x', type: 'EEG', sourceId: '', channelFormat: 'float32', nominalSrateHz: 250, channels: [] } } as never)).toBe(true);
    expect(l.onTabMessage({ type: 'lsl-outlet-open', outlet: 'o2', spec: { name: 'x', channelFormat: 'int64', channels: [{ label: 'a' }] } } as never)).toBe(true);
    expect(sent).toEqual([
      { type: 'lsl-outlet-opened', outlet: 'o1', error: expect.stringMatching(/at least one channel/) },
      { type: 'lsl-outlet-opened', outlet: 'o2', error: expect.stringMatching(/float32 or string/) },
    ]);
    expect(l.counts).toEqual({ outlets: 0, inlets: 0 });
  });

  it('an inlet without a query is refused; samples for an outlet that is not open are dropped with a log line', () => {
    const { sent, logs, link: l } = link();
    l.onTabMessage({ type: 'lsl-inlet-open', inlet: 'i1', query: '  ', waitS: 1 } as never);
    l.onTabMessage({ type: 'lsl-samples', outlet: 'nope', frames: 1, valuesBase64: 'AAAAAA==', timestampsBase64: encodeFloat64([0]) } as never);
    expect(sent).toEqual([{ type: 'lsl-inlet-opened', inlet: 'i1', error: expect.stringMatching(/needs a query/) }]);
    expect(logs.some((x) => /outlet nope, which is not open/.test(x))).toBe(true);
    expect(l.counts).toEqual({ outlets: 0, inlets: 0 });
  });

  it('answers clock probes with its app clock, and leaves other messages to the relay', () => {
    const { sent, link: l } = link();
    const before = performance.timeOrigin + performance.now();
    expect(l.onTabMessage({ type: 'lsl-clock-probe', req: 4 } as never)).toBe(true);
    expect(l.onTabMessage({ type: 'response' })).toBe(false);
    const m = sent[0] as Extract<LslBridgeToTab, { type: 'lsl-clock' }>;
    expect(m.req).toBe(4);
    expect(m.bridgeMs).toBeGreaterThanOrEqual(before);
    expect(m.bridgeMs).toBeLessThanOrEqual(performance.timeOrigin + performance.now());
  });
});
