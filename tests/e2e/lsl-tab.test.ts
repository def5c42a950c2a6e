// LSL in a headless app tab (issue 20): Debian's Chromium, the built app paired with the bridge, and
// liblsl 1.16.2 — all inside a network namespace of their own (tests/e2e/lsl-tab-scenario.ts), so no
// LSL packet leaves the machine. A liblsl outlet is listed by GET /bci/v1/lsl/streams through the
// bridge; the tab's marker bus published as an outlet is read by a liblsl inlet: every marker posted
// through the bridge arrives, exact, at its timestamp (bridge clock → tab clock → LSL clock, < 1 ms);
// the liblsl outlet connected as a device (POST /bci/v1/lsl/inlets) and its ring re-published comes back exact.
// On the Devices page (tests/e2e/lsl-devices-scenario.ts) a liblsl outlet connected from the LSL panel is
// the acquisition's device: shown live with its channel labels, recorded exact (lsl-peer's known values,
// its LSL timestamps on the tab's clock within 1 ms), its outlet killed and restarted: lost, back, gap marked.
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureLiblsl, lslTestsUnavailable, type Liblsl } from '../../cli/bridge/lsl/testing/liblsl';
import { jsonLines, runInNetns, tsCommand, warnSkipped } from '../../cli/bridge/lsl/testing/netns';
import { peerSamples, peerValue } from '../../cli/bridge/lsl/testing/peer-values';
import { findChromium } from '../support/chromium';
import { parseGapMarker } from '../../src/lib/devices/timing/counter-tracker';

/** The lsl-peer sample index whose float32 values these are (searched over the first 100 000). */
function peerIndex(v: number[]): number {
  for (let i = 0; i < 100_000; i++) if (v.every((x, c) => x === peerValue('float32', i, c))) return i;
  return -1;
}

const why = lslTestsUnavailable() ?? (findChromium() ? null : 'no Chromium (set CHROMIUM_PATH or install Debian chromium)');
if (why) warnSkipped('the LSL tab test (tests/e2e/lsl-tab.test.ts)', why);
let lib: Liblsl;

describe.skipIf(why !== null)('LSL through the bridge in a headless app tab (network namespace, liblsl peer)', () => {
  beforeAll(() => {
    lib = ensureLiblsl();
  }, 600_000);

  it('lists a liblsl outlet; publishes the marker bus to a liblsl inlet (values, timestamps, metadata); connects the liblsl outlet as a device whose ring, re-published, liblsl reads back exact', async () => {
    const r = await runInNetns(tsCommand('tests/e2e/lsl-tab-scenario.ts'), { timeoutMs: 100_000, env: { ...lib.env, LSL_PEER: lib.peer } });
    const out = jsonLines(r.stdout).find((l) => 'result' in l);
    if (r.code !== 0 || !out) throw new Error(`the scenario failed (exit ${r.code}):\n${r.stderr.slice(-6000)}`);
    const res = out.result;
    expect(res.streams).toContainEqual(expect.objectContaining({ name: 'e2e-eeg', type: 'EEG', source_id: 'src-e2e-eeg', channel_count: 4, nominal_srate: 100, channel_format: 'float32' }));
    expect(res.published.status).toBe(201);
    expect(res.published.json).toMatchObject({ source: 'markers', name: 'nt-markers', type: 'Markers', channel_format: 'string', nominal_srate: 0 });
    expect(res.listed.outlets).toEqual([expect.objectContaining({ id: res.published.json.id, name: 'nt-markers' })]);
    expect(res.info).toContain('<source_id>neurotab:markers</source_id>');
    expect(res.info).toMatch(/<channel>\s*<label>Marker<\/label>\s*<unit \/>\s*<type>Marker<\/type>/);
    expect(res.samples).toHaveLength(10);
    const expected = new Map<string, number>(res.expected.map((e: { value: string; lslS: number }) => [e.value, e.lslS]));
    const first = res.expected.findIndex((e: { value: string }) => e.value === res.samples[0].v[0]);
    res.samples.forEach((s: { t: number; v: string[] }, k: number) => {
      // In order, none skipped once the inlet is connected, each exact.
      expect(s.v).toEqual([res.expected[first + k].value]);
      expect(Math.abs(s.t - expected.get(s.v[0])!)).toBeLessThan(0.001);
    });
    expect(res.withdrawn).toBe(204);
    // Into the tab and out again: the liblsl outlet as a device (its ring in the tab's API worker), re-published, read by liblsl.
    expect(res.connected.status).toBe(201);
    expect(res.connected.json.stream).toMatchObject({ id: 'lsl:src-e2e-eeg', name: 'e2e-eeg', kind: 'eeg', sampleRateHz: 100 });
    expect(res.connected.json.stream.channels).toEqual([0, 1, 2, 3].map((c) => ({ label: `c${c}`, unit: 'uV', type: 'EEG' })));
    expect(res.echo.status).toBe(201);
    expect(res.echoInfo).toMatch(/<label>c0<\/label>\s*<unit>microvolts<\/unit>\s*<type>EEG<\/type>/);
    expect(res.echoSamples).toHaveLength(50);
    // lsl-peer's values (peer-values.ts) from the sample the echo starts at, none skipped, exact.
    const i0 = peerIndex(res.echoSamples[0].v);
    expect(i0).toBeGreaterThanOrEqual(0);
    res.echoSamples.forEach((s: { v: number[] }, k: number) => expect(s.v).toEqual(peerSamples('float32', 4, i0 + k, 1)));
    expect(res.inlets.inlets).toEqual([expect.objectContaining({ id: res.connected.json.id, state: 'streaming', frames_lost: 0 })]);
    expect(res.inlets.inlets[0].frames_received).toBeGreaterThan(50);
    // Connecting the tab's own outlet would loop: refused.
    expect(res.loop.status).toBe(409);
  }, 700_000);

  it('on the Devices page a liblsl outlet is the acquisition\'s device: shown live, recorded exact (values, rate, timestamps within 1 ms), its outlet killed and restarted — lost, back, the gap marked — disconnected with the recording kept, and chosen again as "LSL stream" by source id; without a bridge the page says how to start it', async () => {
    const r = await runInNetns(tsCommand('tests/e2e/lsl-devices-scenario.ts'), { timeoutMs: 150_000, env: { ...lib.env, LSL_PEER: lib.peer } });
    const out = jsonLines(r.stdout).find((l) => 'result' in l);
    if (r.code !== 0 || !out) throw new Error(`the scenario failed (exit ${r.code}):\n${r.stderr.slice(-6000)}`);
    const res = out.result;
    // Without a source id LSL cannot recover a stream: the page says it will not come back.
    expect(res.goneText).toMatch(/^The LSL stream was lost: .*it will not come back by itself/);
    // Without a bridge both ways of connecting say how to start it.
    expect(res.noBridgeNotice).toContain('npm run neurotab -- bridge');
    expect(res.noBridgeError).toContain('npm run neurotab -- bridge');
    // "LSL stream" chosen in the device list, by source id (and the type field's default, EEG), is the same stream.
    expect(res.chosenLabel).toBe('LSL stream e2e-dev (4 ch @ 100 Hz)');
    expect(res.chosenInlets.inlets).toEqual([expect.objectContaining({ query: "source_id='src-e2e-dev' and type='EEG'", state: 'streaming', stream: expect.objectContaining({ id: 'lsl:src-e2e-dev' }) })]);
    // Shown live, read through the bridge, with the stream info's channel labels (screenshots: res.shot, res.lostShot).
    expect(res.name).toContain('e2e-dev');
    expect(res.label).toBe('LSL stream e2e-dev (4 ch @ 100 Hz)');
    expect(res.where).toBe('bridge');
    expect(res.qualityLabels).toEqual(['c0', 'c1', 'c2', 'c3']);
    expect(res.lostText).toContain('LSL stream lost — waiting for it to return');
    expect(res.lostPill).toContain('Waiting for the stream');
    expect(res.backText).toMatch(/^LSL stream back/);
    expect(res.backPill).toBe('streaming');
    // Disconnected: the inlet is closed, the page idle.
    expect(res.idle).toBe('idle');
    expect(res.inletsAfter.inlets).toEqual([]);

    const { recording, chunks, markers } = res.stored;
    expect(recording).toMatchObject({ name: 'lsl-e2e', status: 'complete', source: "lsl:source_id='src-e2e-dev'" });
    expect(recording.streams).toHaveLength(1);
    expect(recording.streams[0]).toMatchObject({ droppedFrames: 0, descriptor: { id: 'lsl:src-e2e-dev', kind: 'eeg', sampleRateHz: 100 } });
    expect(recording.streams[0].descriptor.channels).toEqual([0, 1, 2, 3].map((c) => ({ label: `c${c}`, unit: 'uV', type: 'EEG' })));
    const values: number[] = chunks.flatMap((c: { samples: number[] }) => c.samples);
    const stamps: number[] = chunks.flatMap((c: { timestampsMs: number[] }) => c.timestampsMs);
    expect(values).toHaveLength(stamps.length * 4);
    // Two runs of the outlet, split where the timestamps jump by the outage (over a second: kill, restart,
    // LSL's recovery); lsl-peer's own push-time stamps jitter by tens of ms on a loaded machine.
    const cut = stamps.findIndex((t, k) => k > 0 && t - stamps[k - 1] > 500);
    expect(cut).toBeGreaterThan(200);
    expect(stamps.slice(cut).findIndex((t, k) => k > 0 && t - stamps[cut + k - 1] > 500)).toBe(-1);
    [[0, cut], [cut, stamps.length]].forEach(([from, to], run) => {
      const pushed: { i: number; tabMs: number }[] = res.pushed[run];
      const at = new Map(pushed.map((p) => [p.i, p.tabMs]));
      // The sample the run starts at: the pushed one nearest in time (lsl-peer's pattern repeats every 1000 samples).
      const i0 = pushed.reduce((a, b) => (Math.abs(b.tabMs - stamps[from]) < Math.abs(a.tabMs - stamps[from]) ? b : a)).i;
      let compared = 0;
      for (let k = from; k < to; k++) {
        const i = i0 + k - from;
        // Every sample in order, none lost, values exact.
        expect(values.slice(k * 4, k * 4 + 4)).toEqual(peerSamples('float32', 4, i, 1));
        const sent = at.get(i);
        if (sent === undefined) continue; // lsl-peer was killed between its push and its print
        expect(Math.abs(stamps[k] - sent), `sample ${i} of run ${run} (clock probe round trip ${res.clock.rttMs.toFixed(2)} ms)`).toBeLessThan(1);
        compared++;
      }
      expect(compared).toBeGreaterThanOrEqual(to - from - 1);
      // The rate: the least-squares slope of the timestamps over the sample index (jitter averages out).
      const n = to - from;
      const xm = (n - 1) / 2;
      const tm = stamps.slice(from, to).reduce((a, b) => a + b, 0) / n;
      let sxt = 0;
      let sxx = 0;
      for (let k = 0; k < n; k++) {
        sxt += (k - xm) * (stamps[from + k] - tm);
        sxx += (k - xm) ** 2;
      }
      const rateHz = 1000 / (sxt / sxx);
      expect(Math.abs(rateHz - 100) / 100).toBeLessThan(0.01);
    });
    // The gap is marked where it starts (one period after the last sample before it), as long as it lasted.
    expect(markers).toHaveLength(1);
    const missing = Math.round((stamps[cut] - stamps[cut - 1]) / 10) - 1;
    expect(parseGapMarker(markers[0].value)).toEqual({ streamId: 'lsl:src-e2e-dev', lostFrames: missing });
    expect(Math.abs(markers[0].timestampMs - (stamps[cut - 1] + 10))).toBeLessThan(0.001);
    expect(markers[0].durationMs).toBeCloseTo(missing * 10, 6);
  }, 700_000);
});
