// Run by lsl-tab.test.ts inside a network namespace of its own (LSL multicasts): the built app in
// Debian's Chromium, paired with the bridge; on the Devices page the LSL panel finds a liblsl outlet
// (lsl-peer, a known pattern) and connects it as the acquisition's device; the page shows it live and
// records it; the outlet is killed and started again (the page says lost, then back) while the recording
// runs; then disconnected, and connected again through the device chooser's "LSL stream" (by source id);
// an outlet without a source id, killed, is gone for good (no recovery).
// Before pairing, the page says how to start the bridge. Prints one {"result": …} line: what the page said, the recording as stored
// (typed arrays as plain arrays), what the outlets pushed (their LSL timestamps already mapped onto the
// tab's clock: this process's LSL → app clock, then tab − this process measured by round trips), and a
// screenshot's path. Test support only. Environment: LSL_PEER, LD_LIBRARY_PATH.
import type { Page } from 'playwright-core';
import { openApp, screenshot } from './harness';
import { lslToAppMs } from '../../cli/bridge/lsl';
import { lslPeer, runTabScenario } from './lsl-tab-support';

const TOKEN = 'e2e-lsl-devices-token-1234';
const OUTLET = ['outlet', 'e2e-dev', 'EEG', 'float32', 4, 100, 0, 'src-e2e-dev'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The tab's clock minus this process's (ms), from the evaluate round trip with the smallest delay. */
async function tabMinusThisMs(page: Page): Promise<{ offsetMs: number; rttMs: number }> {
  let best = { offsetMs: 0, rttMs: Infinity };
  for (let i = 0; i < 40; i++) {
    const t0 = performance.timeOrigin + performance.now();
    const tab = await page.evaluate(() => performance.timeOrigin + performance.now());
    const t1 = performance.timeOrigin + performance.now();
    if (t1 - t0 < best.rttMs) best = { offsetMs: tab - (t0 + t1) / 2, rttMs: t1 - t0 };
  }
  return best;
}

/** One recording as stored: its row, its chunks in order (plain arrays) and its markers. No named inner functions: tsx would wrap them in a helper the page lacks. */
async function readRecording(page: Page, id: string) {
  const rows = (await page.evaluate(async (names) => {
    const open = indexedDB.open('neurotab');
    const db: IDBDatabase = await new Promise((ok, fail) => ((open.onsuccess = () => ok(open.result)), (open.onerror = () => fail(open.error))));
    const out: Record<string, any[]> = {};
    for (const store of names)
      out[store] = (
        await new Promise<any[]>((ok, fail) => {
          const r = db.transaction(store).objectStore(store).getAll();
          r.onsuccess = () => ok(r.result);
          r.onerror = () => fail(r.error);
        })
      ).map((row) => (store === 'chunks' ? { ...row, samples: Array.from(row.samples), timestampsMs: Array.from(row.timestampsMs) } : row));
    db.close();
    return out;
  }, ['recordings', 'chunks', 'markers'])) as Record<string, any[]>;
  const recording = rows.recordings.find((r) => r.id === id || r.name === id);
  if (!recording) return null;
  return {
    recording,
    chunks: rows.chunks.filter((c) => c.recordingId === recording.id).sort((a, b) => a.seq - b.seq),
    markers: rows.markers.filter((m) => m.recordingId === recording.id),
  };
}

runTabScenario(TOKEN, async ({ server, context, bridge }) => {
  const outlets: ReturnType<typeof lslPeer>[] = [];
  try {
    // No bridge yet: the LSL panel and an LSL stream chosen in the device list say how to start it.
    const page = await openApp(context, server.url, '/devices');
    await page.click('[data-testid="lsl-look"]');
    await page.waitForSelector('[data-testid="lsl-look"]:not([disabled])');
    const noBridgeNotice = await page.locator('[data-testid="lsl-notice"]').textContent();
    await page.click('[data-testid="device-lsl-stream"]');
    await page.click('[data-testid="device-connect"]');
    const noBridgeError = await page.locator('[data-testid="device-error"]').textContent();
    await page.goto(new URL(`/api?bridge=${bridge.port}&token=${TOKEN}`, server.url).href);
    await page.click('[data-testid="bridge-allow"]');
    await bridge.waitForTab();
    outlets.push(lslPeer(OUTLET, 'inherit'));
    // In-app navigation: the bridge stays paired with this document.
    await page.click('nav a[href="/devices"]');
    const connect = page.locator('[data-testid="lsl-panel"] tr', { hasText: 'e2e-dev' }).locator('[data-testid="lsl-connect"]');
    for (let i = 0; i < 30 && !(await connect.count()); i++) {
      await page.click('[data-testid="lsl-look"]');
      await page.waitForSelector('[data-testid="lsl-look"]:not([disabled])');
    }
    await connect.click();
    await page.waitForSelector('[data-testid="device-status"][data-state="streaming"]', { timeout: 30_000 });
    await page.waitForSelector('[data-testid="device-quality"]', { timeout: 10_000 });
    const name = await page.textContent('[data-testid="lsl-device-name"]');
    const label = await page.textContent('[data-testid="device-label"]');
    const where = await page.getAttribute('[data-testid="device-where"]', 'data-where');
    const qualityLabels = await page.locator('[data-testid="device-quality"] td.label').allTextContents();
    await sleep(1500);
    // Clicking Connect scrolled the side panel: the shots show the device's header and the live view.
    await page.evaluate(() => [document.scrollingElement, ...document.querySelectorAll('*')].forEach((e) => e?.scrollTo(0, 0)));
    const shot = await screenshot(page, 'lsl-device-live');

    await page.fill('[data-testid="recording-name"]', 'lsl-e2e');
    await page.click('[data-testid="start-recording"]');
    await page.waitForSelector('[data-testid="recording-status"]');
    await sleep(4000);
    // The outlet dies mid-recording and a new one of the same source id starts.
    outlets[0].child.kill('SIGKILL');
    await page.waitForSelector('[data-testid="lsl-link"][data-state="waiting"]', { timeout: 20_000 });
    const lostText = await page.textContent('[data-testid="lsl-link"]');
    const lostPill = await page.textContent('[data-testid="device-status"]');
    await page.locator('[data-testid="lsl-link"]').scrollIntoViewIfNeeded();
    const lostShot = await screenshot(page, 'lsl-device-lost');
    await sleep(1000);
    outlets.push(lslPeer(OUTLET, 'inherit'));
    await page.waitForSelector('[data-testid="lsl-link"][data-state="streaming"]', { timeout: 40_000 });
    const backText = await page.textContent('[data-testid="lsl-link"]');
    const backPill = await page.getAttribute('[data-testid="device-status"]', 'data-state');
    await sleep(4000);
    await page.click('[data-testid="stop-recording"]');
    await page.waitForSelector('[data-testid="start-recording"]');
    const clock = await tabMinusThisMs(page);

    await page.click('[data-testid="device-disconnect"]');
    await page.waitForSelector('[data-testid="device-empty"]');
    const idle = await page.getAttribute('[data-testid="device-status"]', 'data-state');
    const inletsAfter = await (await fetch(`${bridge.url}/bci/v1/lsl/inlets`)).json();
    const stored = await readRecording(page, 'lsl-e2e');

    // The same stream through the device chooser: "LSL stream", by source id.
    await page.click('[data-testid="device-lsl-stream"]');
    await page.fill('[data-testid="lsl-field-source"]', 'src-e2e-dev');
    await page.click('[data-testid="device-connect"]');
    await page.waitForSelector('[data-testid="device-status"][data-state="streaming"]', { timeout: 30_000 });
    const chosenLabel = await page.textContent('[data-testid="device-label"]');
    const chosenInlets = await (await fetch(`${bridge.url}/bci/v1/lsl/inlets`)).json();
    await page.click('[data-testid="device-disconnect"]');
    await page.waitForSelector('[data-testid="device-empty"]');

    // A stream without a source id cannot be told from another when it returns (liblsl does not recover it either): killed, it is gone for good.
    const plain = lslPeer(['outlet', 'e2e-plain', 'EEG', 'float32', 2, 100, 0, '']);
    outlets.push(plain);
    await page.fill('[data-testid="lsl-field-source"]', '');
    await page.fill('[data-testid="lsl-field-name"]', 'e2e-plain');
    await page.click('[data-testid="device-connect"]');
    await page.waitForSelector('[data-testid="device-status"][data-state="streaming"]', { timeout: 30_000 });
    plain.child.kill('SIGKILL');
    await page.waitForSelector('[data-testid="lsl-link"][data-state="lost"]', { timeout: 20_000 });
    const goneText = await page.textContent('[data-testid="lsl-link"]');
    await page.click('[data-testid="device-disconnect"]');
    await page.waitForSelector('[data-testid="device-empty"]');
    outlets.pop();
    // What each outlet pushed, its LSL timestamps on the tab's clock.
    const pushed = outlets.map((o) => o.lines().filter((l) => 'i' in l).map((l) => ({ i: l.i as number, tabMs: lslToAppMs(l.t) + clock.offsetMs })));
    return { goneText, noBridgeNotice, noBridgeError, chosenLabel, chosenInlets, name, label, where, qualityLabels, shot, lostShot, lostText, lostPill, backText, backPill, idle, inletsAfter, clock, stored, pushed };
  } finally {
    for (const o of outlets) o.child.kill('SIGKILL');
  }
});
