// IO worker entry: runs device drivers and writes their frames into the raw ring. Today the
// synthetic device; Web Serial / WebUSB read loops join it here (ARCHITECTURE.md). Thin: wiring only.
import { SyntheticDriver } from '../src/lib/devices/drivers/synthetic/driver';
import { openSink, type FrameWriter } from './ring-endpoints';
import type { IoEvent, IoRequest } from './protocol';

const post = (e: IoEvent) => self.postMessage(e);
let driver: SyntheticDriver | null = null;
let sink: FrameWriter | null = null;
let statsTimer: ReturnType<typeof setInterval> | null = null;

async function stop(): Promise<void> {
  if (statsTimer) clearInterval(statsTimer);
  statsTimer = null;
  const d = driver;
  driver = null;
  if (d) {
    await d.stop().catch(() => {});
    await d.close().catch(() => {});
  }
  sink?.close();
  sink = null;
  post({ type: 'stopped' });
}

self.onmessage = async (ev: MessageEvent<IoRequest>) => {
  const m = ev.data;
  try {
    if (m.type === 'start-synthetic') {
      if (driver) throw new Error('a device is already streaming in this worker');
      sink = openSink(m.sink);
      driver = new SyntheticDriver({ ...m.settings });
      await driver.open();
      await driver.start(sink);
      post({ type: 'started', descriptor: driver.stream });
      statsTimer = setInterval(() => {
        if (!driver) return;
        if (driver.lastError !== undefined) {
          post({ type: 'error', message: `the device stopped: ${(driver.lastError as Error)?.message ?? String(driver.lastError)}` });
          void stop();
          return;
        }
        post({ type: 'stats', framesWritten: driver.framesWritten });
      }, 1000);
    } else if (m.type === 'set-eyes-closed') {
      driver?.setEyesClosed(m.eyesClosed);
    } else if (m.type === 'stop') {
      await stop();
    }
  } catch (e) {
    post({ type: 'error', message: (e as Error).message });
  }
};
