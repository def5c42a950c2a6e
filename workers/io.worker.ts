// IO worker entry: runs device drivers and writes their frames into the raw ring: the synthetic
// devices (EEG; fNIRS with its task blocks, published as markers), playback of a stored recording,
// and serial devices the worker can see (Web Serial), whose regular-rate side streams go to rings of
// their own. Thin: wiring only.
import { SyntheticDriver } from '../src/lib/devices/drivers/synthetic/driver';
import { SyntheticFnirsDriver } from '../src/lib/devices/drivers/synthetic-fnirs/driver';
import { PlaybackDriver } from '../src/lib/devices/drivers/playback/driver';
import { openDb } from '../src/lib/storage/db';
import { readMarkers, readStream } from '../src/lib/storage/recordings';
import { publishMarkers } from '../src/lib/core/markers';
import { openSink, type FrameWriter } from './ring-endpoints';
import type { IoEvent, IoRequest } from './protocol';
import { DeviceSession } from '../src/lib/devices/session';
import { driverSpec } from '../src/lib/devices/transports/driver-specs';
import { samePortInfo, SerialTransport, webSerial } from '../src/lib/devices/transports/serial';
import { TransportDriver } from '../src/lib/devices/transports/transport-driver';
import { TransportError } from '../src/lib/devices/transports/types';
import { gapMarker } from '../src/lib/devices/timing/counter-tracker';
import type { DeviceId } from '../src/lib/devices/descriptor';

const post = (e: IoEvent) => self.postMessage(e);
let driver: SyntheticDriver | SyntheticFnirsDriver | PlaybackDriver | null = null;
let sink: FrameWriter | null = null;
/** Rings of a serial device's other streams (accelerometer…), by stream id. */
let sides = new Map<string, { writer: FrameWriter; channels: number }>();
let statsTimer: ReturnType<typeof setInterval> | null = null;
/** A real serial device read in this worker (start-serial-device). */
let session: DeviceSession | null = null;

async function stop(): Promise<void> {
  if (statsTimer) clearInterval(statsTimer);
  statsTimer = null;
  const s = session;
  session = null;
  if (s) await s.stop().catch(() => {});
  const d = driver;
  driver = null;
  if (d) {
    await d.stop().catch(() => {});
    await d.close().catch(() => {});
  }
  sink?.close();
  sink = null;
  closeSides();
  post({ type: 'stopped' });
}

function closeSides(): void {
  for (const x of sides.values()) x.writer.close();
  sides = new Map();
}

self.onmessage = async (ev: MessageEvent<IoRequest>) => {
  const m = ev.data;
  try {
    if (m.type === 'start-synthetic' || m.type === 'start-synthetic-fnirs') {
      if (driver) throw new Error('a device is already streaming in this worker');
      const d =
        m.type === 'start-synthetic'
          ? new SyntheticDriver({ ...m.settings })
          : new SyntheticFnirsDriver({
              ...m.settings,
              onTaskBlock: (marker) => {
                publishMarkers([marker], 'synthetic-fnirs');
                post({ type: 'task-block', marker });
              },
            });
      sink = openSink(m.sink);
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
      const stored = rec?.streams.find((s) => s.descriptor.id === m.settings.streamId)?.descriptor;
      if (!rec || !stored) throw new Error('that recording is no longer in the library');
      // An imported SNIRF file keeps its probe on the recording; the live fNIRS view needs it.
      const stream = stored.kind === 'fnirs' && rec.probe && !stored.probe ? { ...stored, probe: rec.probe } : stored;
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
    } else if (m.type === 'start-serial-device') {
      if (driver || session) throw new Error('a device is already streaming in this worker');
      const serial = webSerial();
      if (!serial) throw new TransportError('unsupported', 'Web Serial is not available in workers here');
      const port = (await serial.getPorts()).find((p) => samePortInfo(p.getInfo(), m.port));
      if (!port) throw new TransportError('not-found', 'the granted serial port is not visible from the worker');
      const spec = driverSpec(m.deviceId as DeviceId, 'serial');
      if (!spec.descriptor.serial) throw new TransportError('wrong-device', `${spec.descriptor.name} has no serial transport`);
      const primary = spec.primaryStream({});
      const w = openSink(m.sink);
      sink = w;
      for (const x of m.sides ?? []) {
        const d = spec.descriptor.streams.find((st) => st.id === x.streamId);
        if (d) sides.set(d.id, { writer: openSink(x.sink), channels: d.channels.length });
      }
      const drv = new TransportDriver(spec, new SerialTransport(serial, port, spec.descriptor.serial));
      let primaryGaps = 0;
      let primaryLost = 0;
      const s = new DeviceSession(drv, {
        // Hot path: one ring push per decoded block of the primary stream.
        onFrames: (f) => {
          if (f.streamId === primary.id) {
            if (f.channelCount === primary.channels.length) w.push(f.samples, f.timestampsMs, f.frames);
            return;
          }
          const side = sides.get(f.streamId);
          if (side && side.channels === f.channelCount) side.writer.push(f.samples, f.timestampsMs, f.frames);
        },
        onGap: (g) => {
          if (g.streamId !== primary.id) return;
          primaryGaps++;
          primaryLost += g.lostFrames;
          publishMarkers([gapMarker(g.streamId, g.timestampMs, g.lostFrames, primary.sampleRateHz)], 'device');
        },
        onStatus: (st) => post({ type: 'device-status', status: { ...st } }),
      });
      session = s;
      try {
        await s.start();
      } catch (e) {
        session = null;
        sink?.close();
        sink = null;
        closeSides();
        throw e;
      }
      post({ type: 'started', descriptor: primary });
      statsTimer = setInterval(() => {
        const c = drv.counters();
        post({
          type: 'device-stats',
          stats: {
            framesReceived: s.framesReceived.get(primary.id) ?? 0, gaps: primaryGaps, lostFrames: primaryLost, lostFramesAllStreams: c.lostFrames,
            resyncs: c.resyncs, bytesDiscarded: c.bytesDiscarded, malformedPackets: c.malformedPackets, unknownPackets: c.unknownPackets, reconnects: s.reconnects,
          },
        });
      }, 1000);
    } else if (m.type === 'device-command') {
      await session?.driver.send(m.command);
    } else if (m.type === 'fnirs-task-block') {
      if (driver instanceof SyntheticFnirsDriver) driver.startTaskBlock(m.seconds);
    } else if (m.type === 'fnirs-schedule') {
      if (driver instanceof SyntheticFnirsDriver) driver.setSchedule(m.schedule);
    } else if (m.type === 'set-eyes-closed') {
      if (driver instanceof SyntheticDriver) driver.setEyesClosed(m.eyesClosed);
    } else if (m.type === 'stop') {
      await stop();
    }
  } catch (e) {
    post({ type: 'error', message: (e as Error).message, ...(e instanceof TransportError ? { code: e.code } : {}) });
  }
};
