// Recorder worker entry: drains the stream rings into IndexedDB (storage/recorder.ts) every half
// second, holding the recording's Web Lock so a new tab can tell a live recording from an orphan.
// Thin: wiring only.
import { openDb } from '../src/lib/storage/db';
import { Recorder } from '../src/lib/storage/recorder';
import { recordingLockName } from '../src/lib/core/locks';
import { subscribeMarkers } from '../src/lib/core/markers';
import { openSource } from './ring-endpoints';
import type { RecorderEvent, RecorderRequest } from './protocol';

const FLUSH_MS = 500;
const post = (e: RecorderEvent) => self.postMessage(e);

let recorder: Recorder | null = null;
let timer: ReturnType<typeof setInterval> | null = null;
let releaseLock: (() => void) | null = null;
let unsubscribeMarkers: (() => void) | null = null;

async function tick(): Promise<void> {
  const r = recorder;
  if (!r) return;
  await r.flush();
  post({ type: 'progress', ...r.progress });
  if (r.failure) await finish();
}

async function finish(): Promise<void> {
  const r = recorder;
  if (!r) return;
  recorder = null;
  unsubscribeMarkers?.();
  unsubscribeMarkers = null;
  if (timer) clearInterval(timer);
  timer = null;
  const stop = await r.stop();
  post({ type: 'progress', ...r.progress });
  releaseLock?.();
  releaseLock = null;
  post({ type: 'stopped', recordingId: stop.recordingId, reason: stop.reason, ...('message' in stop ? { message: stop.message } : {}) });
}

self.onmessage = async (ev: MessageEvent<RecorderRequest>) => {
  const m = ev.data;
  try {
    if (m.type === 'start') {
      if (recorder) throw new Error('already recording');
      const streams = m.streams.map((s) => ({ descriptor: s.descriptor, source: openSource(s.source) }));
      recorder = new Recorder(openDb(), m.recordingId, streams);
      // Markers from any same-origin page (stimulus programs, the API) land in this recording.
      unsubscribeMarkers = subscribeMarkers((events) => recorder?.addMarkers(events));
      if ('locks' in navigator) {
        await new Promise<void>((held) => {
          void navigator.locks.request(recordingLockName(m.recordingId), () => {
            held();
            return new Promise<void>((release) => (releaseLock = release));
          });
        });
      }
      timer = setInterval(() => void tick(), FLUSH_MS);
      post({ type: 'started', recordingId: m.recordingId });
    } else if (m.type === 'markers') {
      recorder?.addMarkers(m.events);
    } else if (m.type === 'stop') {
      await finish();
    }
  } catch (e) {
    post({ type: 'error', message: (e as Error).message });
  }
};
