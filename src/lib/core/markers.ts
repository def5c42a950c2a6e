// The marker bus: event markers (a string at a time on the shared clock) travel between same-origin
// pages and workers on one BroadcastChannel. A stimulus page posts
//   { type: 'marker', value: 'stim/left', timestampMs: performance.timeOrigin + performance.now() }
// at stimulus onset; the recorder and the engine of the app tab receive it. Any thread. Messages
// are validated: a malformed one is dropped and counted, never thrown into the receiver.
// Lives in core so the service worker (POST /bci/v1/markers) can publish without importing streams.
import type { MarkerEvent } from './stream';
import { nowMs } from './clock';

export const MARKER_CHANNEL = 'neurotab-markers';
/** Longest marker value accepted (characters). */
export const MARKER_MAX_VALUE = 1024;
/** Most markers in one batch (API request or bus message). */
export const MARKER_MAX_BATCH = 10_000;

export interface MarkerMessage {
  type: 'marker';
  value: string;
  /** On the shared clock; stamped on receipt when absent. */
  timestampMs?: number;
  durationMs?: number;
  /** Free text naming the sender, e.g. "jspsych". */
  source?: string;
}

export interface MarkerBatchMessage {
  type: 'markers';
  markers: Omit<MarkerMessage, 'type'>[];
}

/** Validates one marker; returns a description of what is wrong, or the event. */
export function checkMarker(m: unknown, receivedAtMs: number): MarkerEvent | string {
  if (!m || typeof m !== 'object') return 'a marker must be an object like {"value": "stim", "timestampMs": 1700000000000.5}';
  const o = m as Record<string, unknown>;
  if (typeof o.value !== 'string' || o.value.length === 0) return '"value" must be a non-empty string';
  if (o.value.length > MARKER_MAX_VALUE) return `"value" is longer than ${MARKER_MAX_VALUE} characters`;
  let t = receivedAtMs;
  if (o.timestampMs !== undefined) {
    if (typeof o.timestampMs !== 'number' || !Number.isFinite(o.timestampMs) || o.timestampMs <= 0) {
      return '"timestampMs" must be a positive number of milliseconds on the shared clock (performance.timeOrigin + performance.now())';
    }
    t = o.timestampMs;
  }
  const ev: MarkerEvent = { timestampMs: t, value: o.value };
  if (o.durationMs !== undefined) {
    if (typeof o.durationMs !== 'number' || !Number.isFinite(o.durationMs) || o.durationMs < 0) return '"durationMs" must be a non-negative number';
    ev.durationMs = o.durationMs;
  }
  return ev;
}

/** The events in a bus message (single or batch); invalid entries are reported through `onInvalid`. */
export function parseMarkerMessage(data: unknown, receivedAtMs: number, onInvalid?: (why: string) => void): MarkerEvent[] {
  const d = data as { type?: unknown; markers?: unknown } | null;
  const items = d?.type === 'marker' ? [d] : d?.type === 'markers' && Array.isArray(d.markers) ? d.markers : null;
  if (!items) {
    onInvalid?.('not a marker message: expected {type: "marker", value, timestampMs?} or {type: "markers", markers: [...]}');
    return [];
  }
  const out: MarkerEvent[] = [];
  for (const m of items) {
    const r = checkMarker(m, receivedAtMs);
    if (typeof r === 'string') onInvalid?.(r);
    else out.push(r);
  }
  return out;
}

/** Sends markers to every listener of the bus in this origin (not to this channel object itself). */
export function publishMarkers(events: MarkerEvent[], source?: string): void {
  const ch = new BroadcastChannel(MARKER_CHANNEL);
  const msg: MarkerBatchMessage = { type: 'markers', markers: events.map((e) => ({ ...e, ...(source ? { source } : {}) })) };
  ch.postMessage(msg);
  ch.close();
}

/** Listens to the bus; returns a function that stops listening. Counts rejected messages. */
export function subscribeMarkers(onMarkers: (events: MarkerEvent[]) => void, onInvalid?: (why: string) => void): () => void {
  const ch = new BroadcastChannel(MARKER_CHANNEL);
  ch.onmessage = (ev: MessageEvent) => {
    const events = parseMarkerMessage(ev.data, nowMs(), onInvalid);
    if (events.length) onMarkers(events);
  };
  return () => ch.close();
}
