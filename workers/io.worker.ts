// IO worker entry: runs device drivers and writes their frames into the raw ring. Today the
// synthetic device; Web Serial / WebUSB read loops join it here (ARCHITECTURE.md). Thin: wiring only.
import { SyntheticDriver } from '../src/lib/devices/drivers/synthetic/driver';
import { PlaybackDriver } from '../src/lib/devices/drivers/playback/driver';
import { openDb } from '../src/lib/storage/db';
import { readMarkers, readStream } from '../src/lib/storage/recordings';
import { publishMarkers } from '../src/lib/core/markers';
import { openSink, type FrameWriter } from './ring-endpoints';
import type { IoEvent, IoRequest } from './protocol';

const post = (e: IoEvent) => self.postMessage(e);
let driver: SyntheticDriver | PlaybackDriver | null = null;
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
      const d = new SyntheticDriver({ ...m.settings });
      driver = d;
      await d.open();
      await d.start(sink);
      post({ type: 'started', descriptor: d.stream });
      statsTimer = setInterval(() => {
        if (d.lastError !== undefined) {
          post({ type: 'error', message: `the device stopped: ${(d.lastError as Error)?.message ?? String(d.lastError)}` });
          void stop();
          return;
        }
        post({ type: 'stats', framesWritten: d.framesWritten });
      }, 1000);
    } else if (m.type === 'start-playback') {
      if (driver) throw new Error('a device is already streaming in this worker');
      const db = openDb();
      const rec = await db.recordings.get(m.settings.recordingId);
      const stream = rec?.streams.find((s) => s.descriptor.id === m.settings.streamId)?.descriptor;
      if (!rec || !stream) throw new Error('that recording is no longer in the library');
      const data = await readStream(db, rec.id, stream.id);
      const markers = await readMarkers(db, rec.id);
      sink = openSink(m.sink);
      const d = new PlaybackDriver({ stream, samples: data.samples, timestampsMs: data.timestampsMs, markers, speed: m.settings.speed, loop: m.settings.loop });
      driver = d;
      await d.open();
      // Replayed markers go on the bus like live ones: recorders and pipelines receive them.
      await d.start(sink, (events) => publishMarkers(events, 'playback'));
      post({ type: 'started', descriptor: stream });
      statsTimer = setInterval(() => {
        post({ type: 'stats', framesWritten: d.framesWritten, progress: d.progress });
        if (d.state === 'finished') {
          post({ type: 'finished' });
          if (statsTimer) clearInterval(statsTimer);
          statsTimer = null;
        }
      }, 250);
    } else if (m.type === 'set-eyes-closed') {
      if (driver instanceof SyntheticDriver) driver.setEyesClosed(m.eyesClosed);
    } else if (m.type === 'stop') {
      await stop();
    }
  } catch (e) {
    post({ type: 'error', message: (e as Error).message });
  }
};
