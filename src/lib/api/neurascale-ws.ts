// The NeuraScale WebSocket protocol (API.md §10.5) as a LiveSocketHandler: auth (first message or
// ?token=), subscribe in both forms (topic + session_id; the SDK's sessionId + channels), unsubscribe,
// device_control; sends neural_data (one per sample at ≤ 64 Hz effective rate: slow devices, or a
// subscribe with `sample_rate` ≤ 64, which decimates), neural_data_batch (base64 of
// little-endian float32, channel-major, every 100 ms above that), device_response, system_event,
// session_event and error. Runs where the device rings are readable (the API worker, Node); the
// same handler serves the page shim, the SSE fallback and the bridge's socket. Never blocks: a
// client whose backlog passes its bound is dropped with a reason; readers that fall behind count
// the samples the ring overwrote and say so (`dropped_samples`).
import type { LiveSocket, LiveSocketHandler } from './live';
import type { DeviceEvent, DeviceStreamInfo } from './device-backend';
import type { NeuraScaleBackend } from './neurascale-backend';
import type { NsLiveEvent } from './neurascale-service';
import { verifyToken } from './neurascale-auth';
import { Ring, RingReader } from '../streams/ring';
import { ulid } from './http';

/** What the handler needs: the backend plus its live events. */
export interface NeuraScaleLive extends Pick<NeuraScaleBackend, 'nsSettings' | 'nsDeviceSessions' | 'deviceList' | 'deviceStream' | 'deviceSignalQuality' | 'nsStreamStart' | 'nsStreamStop' | 'deviceConfigure'> {
  onEvent(listener: (e: NsLiveEvent) => void): () => void;
}

export interface NeuraScaleSocketOptions {
  /** Delivery period (default 20 ms). */
  tickMs?: number;
  /** Batch period above 64 Hz (default 100 ms, API.md §10.5). */
  batchMs?: number;
  /** A client with more queued than this is dropped (default 8 MiB). */
  maxBufferedBytes?: number;
  clock?: () => number;
}

/** Close code for a client dropped because it does not read (application range 4000–4999). */
export const CLOSE_SLOW_CONSUMER = 4008;
export const CLOSE_AUTH_FAILED = 4001;
const PER_SAMPLE_MAX_HZ = 64;

interface Subscription {
  topic: 'neural_data' | 'custom_events';
  /** Session id, or a device id (subscribed by device_id). */
  sessionId: string | null;
  deviceId: string | null;
  channels: number[] | 'all';
  eventTypes: string[] | null;
  /** Effective rate asked for (Hz): ≤ 64 gets one neural_data per kept sample (decimated), else batches. */
  rateHz: number | null;
}

interface Feed {
  deviceId: string;
  sessionId: string | null;
  info: DeviceStreamInfo;
  reader: RingReader;
  samples: Float32Array;
  timestampsMs: Float64Array;
  lastBatchMs: number;
  /** Samples read since the last batch (channel-major assembled at send). */
  pending: { samples: Float32Array; ts: Float64Array; frames: number };
  dropped: number;
  /** Frames read so far (the phase of decimated per-sample delivery). */
  read: number;
}

interface Conn {
  socket: LiveSocket;
  authed: boolean;
  subs: Subscription[];
  feeds: Map<string, Feed>;
  closed: boolean;
}

function b64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export class NeuraScaleSocketHandler implements LiveSocketHandler {
  private readonly conns = new Map<string, Conn>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly unsubscribe: () => void;
  private readonly clock: () => number;
  private readonly tickMs: number;
  private readonly batchMs: number;
  private readonly maxBuffered: number;
  /** Streams being attached (deviceStream is a call across threads). */
  private readonly attaching = new Set<string>();
  private quality = new Map<string, Map<number, number>>();
  private lastQualityMs = 0;
  /** Devices streaming now (from device events; asked once when the first subscription arrives). */
  private streaming: Set<string> | null = null;

  constructor(
    private readonly live: NeuraScaleLive,
    o: NeuraScaleSocketOptions = {},
  ) {
    this.clock = o.clock ?? Date.now;
    this.tickMs = o.tickMs ?? 20;
    this.batchMs = o.batchMs ?? 100;
    this.maxBuffered = o.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.unsubscribe = live.onEvent((e) => this.onEvent(e));
  }

  /** Stops delivery and forgets every connection (the host is going away). */
  dispose(): void {
    this.unsubscribe();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.conns.clear();
  }

  open(socket: LiveSocket): void {
    const conn: Conn = { socket, authed: false, subs: [], feeds: new Map(), closed: false };
    this.conns.set(socket.id, conn);
    const q = new URL(socket.url, 'http://x').searchParams;
    const token = q.get('token') ?? /^Bearer\s+(.+)$/i.exec(socket.headers.authorization ?? '')?.[1];
    // A URL that names what to follow subscribes at once (the SSE form, GET …/ws/events?session_id=…).
    const sub = q.has('session_id') || q.has('sessionId') || q.has('device_id') || q.has('topic')
      ? { type: 'subscribe', topic: q.get('topic') ?? 'neural_data', ...(q.get('session_id') ?? q.get('sessionId') ? { session_id: q.get('session_id') ?? q.get('sessionId') } : {}), ...(q.get('device_id') ? { device_id: q.get('device_id') } : {}), ...(q.get('channels') && q.get('channels') !== 'all' ? { channels: q.get('channels')!.split(',').map(Number) } : {}) }
      : null;
    void this.live.nsSettings().then(async (s) => {
      if (s.auth === 'off') conn.authed = true;
      else if (token) {
        const v = await verifyToken(s, token, 'access', this.clock());
        if ('reason' in v) return this.fail(conn, 'INVALID_TOKEN', `Invalid token: ${v.reason}`, true);
        conn.authed = true;
      }
      if (sub && !conn.closed) await this.handle(conn, sub);
    });
  }

  close(socket: LiveSocket, _code?: number, _reason?: string): void {
    const c = this.conns.get(socket.id);
    if (c) c.closed = true;
    this.conns.delete(socket.id);
    this.idle();
  }

  message(socket: LiveSocket, data: string | Uint8Array): void {
    const conn = this.conns.get(socket.id);
    if (!conn) return;
    let m: Record<string, unknown>;
    try {
      const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
      const v = JSON.parse(text) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
      m = v as Record<string, unknown>;
    } catch {
      this.send(conn, { type: 'error', error_code: 'INVALID_MESSAGE', message: 'Messages are JSON objects with a "type": auth, subscribe, unsubscribe or device_control', timestamp: this.clock(), retry_suggested: false });
      return;
    }
    void this.handle(conn, m);
  }

  private async handle(conn: Conn, m: Record<string, unknown>): Promise<void> {
    const s = await this.live.nsSettings();
    if (m.type === 'auth') {
      if (s.auth === 'off') {
        conn.authed = true;
        this.send(conn, { type: 'auth_ok' });
        return;
      }
      const v = typeof m.token === 'string' ? await verifyToken(s, m.token, 'access', this.clock()) : { reason: 'send {"type":"auth","token":<access_token>}' };
      if ('reason' in v) this.fail(conn, 'INVALID_TOKEN', `Invalid token: ${v.reason}`, true);
      else {
        conn.authed = true;
        this.send(conn, { type: 'auth_ok' });
      }
      return;
    }
    if (s.auth === 'local' && !conn.authed) {
      this.fail(conn, 'AUTHENTICATION_REQUIRED', 'Authenticate first: {"type":"auth","token":<access_token>} or ?token= on the URL', false);
      return;
    }
    const sessionId = (m.session_id ?? m.sessionId ?? (m.filters as Record<string, unknown> | undefined)?.session_id) as unknown;
    const deviceId = (m.device_id ?? m.deviceId) as unknown;
    if (m.type === 'subscribe') {
      const topic = m.topic === undefined ? 'neural_data' : m.topic;
      if (topic !== 'neural_data' && topic !== 'custom_events') return this.fail(conn, 'INVALID_MESSAGE', 'topic must be neural_data or custom_events', false);
      if (sessionId !== undefined && typeof sessionId !== 'string') return this.fail(conn, 'INVALID_MESSAGE', 'session_id must be a string', false);
      if (deviceId !== undefined && typeof deviceId !== 'string') return this.fail(conn, 'INVALID_MESSAGE', 'device_id must be a string', false);
      const ch = m.channels;
      if (ch !== undefined && ch !== 'all' && !(Array.isArray(ch) && ch.every((n) => Number.isInteger(n) && n >= 1))) return this.fail(conn, 'INVALID_MESSAGE', 'channels must be "all" or 1-based channel numbers', false);
      const ev = (m.filters as Record<string, unknown> | undefined)?.event_types;
      const rate = m.sample_rate ?? m.sampleRate;
      if (rate !== undefined && !(typeof rate === 'number' && rate > 0)) return this.fail(conn, 'INVALID_MESSAGE', 'sample_rate (the effective rate wanted, Hz) must be a positive number', false);
      conn.subs.push({ topic, sessionId: (sessionId as string) ?? null, deviceId: (deviceId as string) ?? null, channels: Array.isArray(ch) ? (ch as number[]) : 'all', eventTypes: Array.isArray(ev) ? ev.map(String) : null, rateHz: (rate as number | undefined) ?? null });
      this.send(conn, { type: 'subscribed', topic, session_id: sessionId ?? null, device_id: deviceId ?? null });
      this.busy();
      return;
    }
    if (m.type === 'unsubscribe') {
      conn.subs = conn.subs.filter((x) => (sessionId === undefined || x.sessionId !== sessionId) && (deviceId === undefined || x.deviceId !== deviceId) && !(sessionId === undefined && deviceId === undefined));
      for (const [k, f] of conn.feeds) if (!conn.subs.some((x) => this.matches(x, f.deviceId, f.sessionId))) conn.feeds.delete(k);
      this.send(conn, { type: 'unsubscribed', session_id: sessionId ?? null, device_id: deviceId ?? null });
      this.idle();
      return;
    }
    if (m.type === 'device_control') {
      const action = m.action;
      if (typeof deviceId !== 'string') return this.fail(conn, 'INVALID_MESSAGE', 'device_control needs device_id', false);
      const cfg = (m.config ?? {}) as Record<string, unknown>;
      const config = {
        ...(typeof cfg.sample_rate === 'number' ? { sampleRateHz: cfg.sample_rate } : {}),
        ...(Array.isArray(cfg.channels) ? { channels: cfg.channels as number[] } : {}),
        ...(typeof cfg.gain === 'number' ? { gain: cfg.gain } : {}),
      };
      try {
        if (action === 'start_stream') {
          const r = await this.live.nsStreamStart(deviceId, config);
          this.send(conn, { type: 'device_response', device_id: deviceId, action, status: 'success', stream_id: r.streamId, session_id: r.sessionId, message: `Device ${deviceId} ${r.started ? 'started' : 'is already'} streaming` });
        } else if (action === 'stop_stream') {
          const r = await this.live.nsStreamStop(deviceId);
          this.send(conn, { type: 'device_response', device_id: deviceId, action, status: 'success', stream_id: r.streamId, message: `Device ${deviceId} stopped streaming` });
        } else if (action === 'update_config') {
          const r = await this.live.deviceConfigure(deviceId, config);
          this.send(conn, { type: 'device_response', device_id: deviceId, action, status: 'success', stream_id: r.device.streamId, message: `Configuration ${r.applied === 'immediate' ? 'applied' : 'applies at the next start'}` });
        } else {
          this.send(conn, { type: 'device_response', device_id: deviceId, action: action ?? null, status: 'error', stream_id: null, message: 'action must be start_stream, stop_stream or update_config' });
        }
      } catch (e) {
        const o = e as { code?: string; message?: string };
        this.send(conn, { type: 'device_response', device_id: deviceId, action, status: 'error', stream_id: null, error_code: o.code ?? 'INTERNAL_ERROR', message: o.message ?? String(e) });
      }
      return;
    }
    this.fail(conn, 'INVALID_MESSAGE', `Unknown message type ${JSON.stringify(m.type)}; types: auth, subscribe, unsubscribe, device_control`, false);
  }

  private fail(conn: Conn, code: string, message: string, closeIt: boolean): void {
    this.send(conn, { type: 'error', error_code: code, message, timestamp: this.clock(), retry_suggested: false });
    if (closeIt) {
      conn.socket.close(CLOSE_AUTH_FAILED, message.slice(0, 120));
      this.close(conn.socket);
    }
  }

  /** Sends unless the client's backlog is past its bound; then drops it with the reason. */
  private send(conn: Conn, msg: unknown): boolean {
    if (conn.closed) return false;
    if (conn.socket.bufferedBytes > this.maxBuffered) {
      conn.closed = true;
      conn.socket.close(CLOSE_SLOW_CONSUMER, `client is not reading: more than ${this.maxBuffered} bytes queued`);
      this.close(conn.socket);
      return false;
    }
    conn.socket.send(JSON.stringify(msg));
    return true;
  }

  private matches(s: Subscription, deviceId: string, sessionId: string | null): boolean {
    if (s.topic !== 'neural_data') return false;
    if (s.deviceId !== null) return s.deviceId === deviceId;
    if (s.sessionId !== null) return s.sessionId === sessionId;
    return true;
  }

  private busy(): void {
    if (!this.streaming) {
      this.streaming = new Set();
      void this.live.deviceList().then((list) => {
        for (const d of list) if (d.streaming) this.streaming!.add(d.id);
      }, () => undefined);
    }
    this.timer ??= setInterval(() => void this.tick(), this.tickMs);
  }

  private idle(): void {
    if (this.timer && ![...this.conns.values()].some((c) => c.subs.length)) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** One delivery round: attach new streams, read every feed, send what is due. */
  async tick(): Promise<void> {
    const wanted = [...this.conns.values()].filter((c) => c.subs.some((s) => s.topic === 'neural_data'));
    if (wanted.length === 0) return;
    const sessions = await this.live.nsDeviceSessions();
    const now = this.clock();
    if (now - this.lastQualityMs > 1000) {
      this.lastQualityMs = now;
      void this.refreshQuality(Object.keys(sessions));
    }
    const feeding = new Map<string, string | null>([...(this.streaming ?? [])].map((id) => [id, null]));
    for (const [deviceId, sessionId] of Object.entries(sessions)) feeding.set(deviceId, sessionId);
    for (const [deviceId, sessionId] of feeding) {
      for (const conn of wanted) {
        if (!conn.subs.some((s) => this.matches(s, deviceId, sessionId))) continue;
        const f = conn.feeds.get(deviceId);
        if (!f) void this.attach(conn, deviceId, sessionId);
        else f.sessionId = sessionId ?? f.sessionId;
      }
    }
    for (const conn of wanted) for (const f of conn.feeds.values()) this.deliver(conn, f, now);
  }

  private async refreshQuality(deviceIds: string[]): Promise<void> {
    for (const id of deviceIds) {
      const q = await this.live.deviceSignalQuality(id).catch(() => null);
      if (q) this.quality.set(id, new Map(q.map((x) => [x.number, x.quality])));
    }
  }

  private async attach(conn: Conn, deviceId: string, sessionId: string | null): Promise<void> {
    const key = `${conn.socket.id}/${deviceId}`;
    if (this.attaching.has(key)) return;
    this.attaching.add(key);
    try {
      const info = await this.live.deviceStream(deviceId);
      if (conn.closed || conn.feeds.has(deviceId)) return;
      const C = info.descriptor.channels.length;
      const maxFrames = Math.max(64, Math.ceil((info.descriptor.sampleRateHz || 64) * 0.5));
      conn.feeds.set(deviceId, {
        deviceId, sessionId, info, reader: new RingReader(Ring.attach(info.buffer), { from: 'now' }),
        samples: new Float32Array(maxFrames * C), timestampsMs: new Float64Array(maxFrames), lastBatchMs: this.clock(),
        pending: { samples: new Float32Array(maxFrames * C), ts: new Float64Array(maxFrames), frames: 0 }, dropped: 0, read: 0,
      });
    } catch {
      /* the stream ended meanwhile; the next tick looks again */
    } finally {
      this.attaching.delete(key);
    }
  }

  /** The channels a connection wants from a feed (1-based, within the device's selection). */
  private channelsFor(conn: Conn, f: Feed): number[] {
    const subs = conn.subs.filter((s) => this.matches(s, f.deviceId, f.sessionId));
    if (subs.some((s) => s.channels === 'all')) return f.info.channels;
    const want = new Set(subs.flatMap((s) => s.channels as number[]));
    return f.info.channels.filter((n) => want.has(n));
  }

  private deliver(conn: Conn, f: Feed, now: number): void {
    const C = f.info.descriptor.channels.length;
    const rate = f.info.descriptor.sampleRateHz;
    const channels = this.channelsFor(conn, f);
    const cap = f.timestampsMs.length;
    for (;;) {
      const room = cap - f.pending.frames;
      if (room <= 0) {
        this.flushBatch(conn, f, channels);
        continue;
      }
      const r = f.reader.read(room, f.samples, f.timestampsMs);
      f.dropped += r.dropped;
      if (r.frames === 0) break;
      const stride = this.perSampleStride(conn, f, rate);
      if (stride > 0) {
        const q = this.quality.get(f.deviceId);
        for (let i = 0; i < r.frames; i++) {
          if ((f.read + i) % stride !== 0) continue;
          if (!this.send(conn, { type: 'neural_data', timestamp: Math.round(f.timestampsMs[i]), device_id: f.deviceId, session_id: f.sessionId, channels: channels.map((n) => ({ number: n, value: f.samples[i * C + n - 1], quality: q?.get(n) ?? null })), events: [] })) return;
        }
        f.read += r.frames;
      } else {
        f.read += r.frames;
        f.pending.samples.set(f.samples.subarray(0, r.frames * C), f.pending.frames * C);
        f.pending.ts.set(f.timestampsMs.subarray(0, r.frames), f.pending.frames);
        f.pending.frames += r.frames;
      }
      if (r.frames < room) break;
    }
    if (f.pending.frames > 0 && now - f.lastBatchMs >= this.batchMs) this.flushBatch(conn, f, channels);
  }

  /** Every stride-th sample as its own neural_data (0: batches): devices at ≤ 64 Hz, or a subscriber asking for ≤ 64 Hz. */
  private perSampleStride(conn: Conn, f: Feed, rateHz: number): number {
    if (rateHz > 0 && rateHz <= PER_SAMPLE_MAX_HZ) return 1;
    const asked = conn.subs.filter((s) => this.matches(s, f.deviceId, f.sessionId) && s.rateHz !== null).map((s) => s.rateHz!);
    const want = asked.length ? Math.max(...asked) : Infinity;
    if (!(want <= PER_SAMPLE_MAX_HZ)) return 0;
    return rateHz > 0 ? Math.max(1, Math.round(rateHz / want)) : 1;
  }

  private flushBatch(conn: Conn, f: Feed, channels: number[]): void {
    const C = f.info.descriptor.channels.length;
    const n = f.pending.frames;
    const out = new Float32Array(n * channels.length);
    channels.forEach((ch, j) => {
      for (let i = 0; i < n; i++) out[j * n + i] = f.pending.samples[i * C + ch - 1];
    });
    // Float32Array is little-endian on every platform JavaScript runs on that we support.
    this.send(conn, {
      type: 'neural_data_batch', batch_id: `batch_${ulid(this.clock()).toLowerCase()}`, device_id: f.deviceId, session_id: f.sessionId,
      timestamp_start: f.pending.ts[0], timestamp_end: f.pending.ts[n - 1], sample_count: n, sample_rate: f.info.descriptor.sampleRateHz,
      channels, encoding: 'float32-le-channel-major', compressed_data: b64(new Uint8Array(out.buffer)), dropped_samples: f.dropped,
    });
    f.pending.frames = 0;
    f.lastBatchMs = this.clock();
  }

  private onEvent(e: NsLiveEvent): void {
    if (e.kind === 'session') {
      for (const conn of this.conns.values()) {
        if (!conn.subs.some((s) => s.sessionId === null || s.sessionId === e.sessionId)) continue;
        this.send(conn, { type: 'session_event', session_id: e.sessionId, event: e.event, device_id: e.deviceId, timestamp: e.timestampMs, user_id: null, ...(e.reason ? { reason: e.reason } : {}) });
      }
      return;
    }
    const ev: DeviceEvent = e.event;
    if (ev.type === 'stream_started') this.streaming?.add(ev.deviceId);
    if (ev.type === 'stream_stopped') this.streaming?.delete(ev.deviceId);
    for (const conn of this.conns.values()) {
      if (!conn.authed || conn.subs.length === 0) continue;
      const feed = conn.feeds.get(ev.deviceId);
      if (ev.type === 'device_error' && (feed || conn.subs.some((s) => s.deviceId === ev.deviceId))) {
        if (feed) this.deliver(conn, feed, Infinity);
        this.send(conn, { type: 'error', error_code: 'DEVICE_DISCONNECTED', message: ev.message ?? `Device ${ev.deviceId} failed`, device_id: ev.deviceId, timestamp: ev.timestampMs, retry_suggested: ev.retrySuggested ?? false });
      }
      if (ev.type === 'stream_stopped' && feed) {
        this.deliver(conn, feed, Infinity);
        conn.feeds.delete(ev.deviceId);
      }
      const events = conn.subs.filter((s) => s.topic === 'custom_events' || s.topic === 'neural_data');
      if (events.some((s) => s.eventTypes === null || s.eventTypes.includes(ev.type)))
        this.send(conn, { type: 'system_event', event: ev.type, device_id: ev.deviceId, timestamp: ev.timestampMs, metadata: { ...(ev.streamId ? { stream_id: ev.streamId } : {}), ...(ev.message ? { message: ev.message } : {}) } });
    }
  }
}
