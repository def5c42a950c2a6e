// The marker bus in Chromium: markers from another same-origin page land in the running recording
// with the sender's timestamps; the jsPsych example sends one per stimulus onset; the clock
// agreement between two pages is measured (and printed) in both directions.
import { describe, expect, it } from 'vitest';
import { openApp, useApp } from './harness';

const fx = useApp();

async function storedMarkers(page: import('playwright-core').Page, name: string): Promise<{ value: string; timestampMs: number }[]> {
  return page.evaluate(async (recName) => {
    const open = indexedDB.open('neurotab');
    const db: IDBDatabase = await new Promise((ok, fail) => {
      open.onsuccess = () => ok(open.result);
      open.onerror = () => fail(open.error);
    });
    const all = <T,>(store: string): Promise<T[]> =>
      new Promise((ok, fail) => {
        const r = db.transaction(store).objectStore(store).getAll();
        r.onsuccess = () => ok(r.result as T[]);
        r.onerror = () => fail(r.error);
      });
    const recs = await all<{ id: string; name: string }>('recordings');
    const rec = recs.find((r) => r.name === recName);
    const markers = await all<{ recordingId: string; value: string; timestampMs: number }>('markers');
    db.close();
    return markers.filter((m) => m.recordingId === rec?.id).map((m) => ({ value: m.value, timestampMs: m.timestampMs })).sort((a, b) => a.timestampMs - b.timestampMs);
  }, name);
}

describe('marker bus', () => {
  it('lands markers from another page (bus and POST /bci/v1/markers) in the recording with the sender timestamps, and the clocks agree within 1 ms', async () => {
    const app = await openApp(fx.context, fx.server.url);
    await app.click('[data-testid="start-stream"]');
    await app.waitForSelector('[data-testid="stop-stream"]');
    await app.fill('[data-testid="recording-name"]', 'With markers');
    await app.click('[data-testid="start-recording"]');
    await app.waitForSelector('[data-testid="stop-recording"]');

    // A plain same-origin page (not the app) acts as the stimulus program.
    const stim = await fx.context.newPage();
    await stim.goto(new URL('/favicon.svg', fx.server.url).href);
    const sent: number[] = await stim.evaluate(async () => {
      const ch = new BroadcastChannel('neurotab-markers');
      const out: number[] = [];
      for (let i = 0; i < 10; i++) {
        const t = performance.timeOrigin + performance.now();
        ch.postMessage({ type: 'marker', value: `trial/${i}`, timestampMs: t });
        out.push(t);
        await new Promise((r) => setTimeout(r, 50));
      }
      // A malformed message is ignored, not recorded.
      ch.postMessage({ type: 'marker', value: 42 });
      return out;
    });
    // The same through the REST API (served by the service worker), for programs without BroadcastChannel.
    const api = await stim.evaluate(async () => {
      const t = performance.timeOrigin + performance.now();
      const r = await fetch('/bci/v1/markers', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ value: 'api/onset', timestampMs: t }) });
      const bad = await fetch('/bci/v1/markers', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ value: '' }) });
      return { t, status: r.status, badStatus: bad.status, badBody: await bad.json() };
    });
    expect(api.status).toBe(202);
    expect(api.badStatus).toBe(400);
    expect(api.badBody.error.message).toMatch(/"value" must be a non-empty string/);

    // Clock agreement: each page reads its clock when the other's reading arrives, both ways.
    const probe = async (from: typeof stim, to: typeof app) => {
      await to.evaluate(() => {
        const ch = new BroadcastChannel('neurotab-clock-probe');
        (globalThis as { deltas?: number[] }).deltas = [];
        ch.onmessage = (e) => (globalThis as unknown as { deltas: number[] }).deltas.push(performance.timeOrigin + performance.now() - (e.data as number));
      });
      await from.evaluate(async () => {
        const ch = new BroadcastChannel('neurotab-clock-probe');
        for (let i = 0; i < 50; i++) {
          ch.postMessage(performance.timeOrigin + performance.now());
          await new Promise((r) => setTimeout(r, 5));
        }
      });
      await to.waitForTimeout(200);
      return to.evaluate(() => Math.min(...(globalThis as unknown as { deltas: number[] }).deltas));
    };
    const ab = await probe(stim, app); // latency + offset
    const ba = await probe(app, stim); // latency − offset
    const offsetMs = (ab - ba) / 2;
    console.log(`marker clock: page-to-page min delay ${ab.toFixed(3)} / ${ba.toFixed(3)} ms, clock offset ${offsetMs.toFixed(3)} ms (bound ±${((ab + ba) / 2).toFixed(3)} ms)`);
    expect(Math.abs(offsetMs)).toBeLessThan(1);

    await app.waitForTimeout(1200); // one recorder flush
    await app.click('[data-testid="stop-recording"]');
    await app.waitForSelector('[data-testid="start-recording"]');
    const stored = await storedMarkers(app, 'With markers');
    expect(stored.map((m) => m.value)).toEqual([...sent.map((_, i) => `trial/${i}`), 'api/onset']);
    expect(stored.map((m) => m.timestampMs)).toEqual([...sent, api.t]);
    await stim.close();
    await app.close();
  });

  it('the jsPsych example sends a marker at every stimulus onset into the recording', async () => {
    const app = await openApp(fx.context, fx.server.url);
    await app.click('[data-testid="start-stream"]');
    await app.waitForSelector('[data-testid="stop-stream"]');
    await app.fill('[data-testid="recording-name"]', 'jsPsych session');
    await app.click('[data-testid="start-recording"]');
    await app.waitForSelector('[data-testid="stop-recording"]');

    const exp = await fx.context.newPage();
    await exp.goto(new URL('/examples/jspsych', fx.server.url).href);
    await exp.click('[data-testid="start-experiment"]');
    await exp.keyboard.press('Space');
    await exp.waitForSelector('[data-testid="experiment-done"]', { timeout: 60_000 });
    expect(await exp.textContent('[data-testid="experiment-done"]')).toContain('20 markers sent');
    await app.waitForTimeout(1200);
    await app.click('[data-testid="stop-recording"]');
    await app.waitForSelector('[data-testid="start-recording"]');
    const stored = await storedMarkers(app, 'jsPsych session');
    expect(stored).toHaveLength(20);
    expect(stored.filter((m) => m.value === 'stim/target')).toHaveLength(4);
    // Onsets are one trial (400 ms fixation + 600 ms stimulus) apart: the median gap is one trial
    // give or take a frame; single gaps vary more when the machine is busy (timers, paint).
    const gaps = stored.slice(1).map((m, i) => m.timestampMs - stored[i].timestampMs).sort((a, b) => a - b);
    const median = gaps[Math.floor(gaps.length / 2)];
    console.log(`jsPsych onsets: median gap ${median.toFixed(1)} ms, min ${gaps[0].toFixed(1)}, max ${gaps.at(-1)!.toFixed(1)}`);
    expect(median).toBeGreaterThan(980);
    expect(median).toBeLessThan(1100);
    expect(gaps[0]).toBeGreaterThan(500);
    await exp.close();
    await app.close();
  });
});
