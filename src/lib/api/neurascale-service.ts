// NeuraScaleService: the NeuraScale backend (neurascale-backend.ts) in the API worker (and Node
// tests). Devices come through the device seam (the page's DeviceHub over a port, or one in this
// thread); a session is a recording in the library: starting a device stream records it through
// the recorder (storage/recorder.ts) from the device's ring, into IndexedDB, until it stops or the
// device is lost (what arrived is kept). Exports use the format writers, analyses the ML decoders.
// Must not block the worker: recorder flushes and analyses run on timers / as promises.
import { InputError } from '../core/errors';
import type { MarkerEvent } from '../core/stream';
import { epochsFromRecording } from '../ml/prepare';
import { crossValidate, parseExperimentConfig, type ClassicExperimentType } from '../ml/experiment';
import { writeRecording, type RecordingData } from '../formats/index';
import { Ring, RingReader } from '../streams/ring';
import type { NeurotabDb } from '../storage/db';
import { loadRecordingData } from '../storage/library';
import { Recorder } from '../storage/recorder';
import { createRecording } from '../storage/recordings';
import type { ApiDevice, DeviceBackend, DeviceConfig, DeviceEvent } from './device-backend';
import { ulid } from './http';
import {
  NsFailure,
  type NeuraScaleBackend, type NeuraScaleSettings, type NsAnalysis, type NsExport, type NsExportFormat, type NsExportRequest, type NsModelInfo,
  type NsRecordingInfo, type NsSession, type NsSessionCreate, type NsSessionStatus, type NsStreamStarted, type NsTimeseries,
} from './neurascale-backend';

const SESSION_FAMILY = 'neurascale-session';
const SETTINGS_KEY = 'neurascale';
/** T1: more than one hour at full rate is refused (413). */
const MAX_TIMESERIES_SECONDS = 3600;
const FLUSH_MS = 1000;
/** How long a device list is reused when nothing changed (battery and last_seen are that fresh). */
const LIST_CACHE_MS = 500;

/** A live event for socket subscribers (WebSocket `system_event`, `session_event`, `error`). */
export type NsLiveEvent =
  | { kind: 'device'; event: DeviceEvent }
  | { kind: 'session'; sessionId: string; event: 'recording_started' | 'recording_stopped' | 'session_completed'; deviceId: string; timestampMs: number; reason?: string };

/** model_type names of NeuraScale → our experiment types (ml/experiment.ts). */
export const NS_MODELS: Record<string, { experimentType: ClassicExperimentType; description: string; band: [number, number]; window: [number, number] }> = {
  motor_imagery_2class: { experimentType: 'motor_imagery_csp_lda', description: 'Motor imagery, two classes: CSP + LDA on mu/beta band power', band: [8, 30], window: [0.5, 2.5] },
  motor_imagery_4class: { experimentType: 'motor_imagery_csp_lda', description: 'Motor imagery, up to four classes: one-vs-rest CSP + LDA', band: [8, 30], window: [0.5, 2.5] },
  p300_speller: { experimentType: 'p300_xdawn_lda', description: 'P300 event-related potentials: xDAWN + LDA', band: [1, 20], window: [0, 0.8] },
  ssvep: { experimentType: 'ssvep_cca', description: 'SSVEP: canonical correlation with reference sinusoids', band: [5, 45], window: [0, 4] },
};

export const NS_EXPORT_FORMATS: readonly NsExportFormat[] = ['csv', 'edf', 'bdf', 'snirf', 'bids', 'json'];

interface ActiveRecording {
  recorder: Recorder;
  timer: ReturnType<typeof setInterval>;
  sessionId: string;
  deviceId: string;
  streamId: string;
  recordingId: string;
  /** The session was made for this stream and ends with it. */
  autoSession: boolean;
  /** Set once finishing began: every caller waits for the same close. */
  finished?: Promise<void>;
}

/** Where the service keeps its settings (IndexedDB settings in the app; memory in tests). */
export interface SettingsStore {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
}

export function dbSettings(db: NeurotabDb): SettingsStore {
  return {
    get: async (key) => (await db.settings.get(key))?.value,
    put: async (key, value) => void (await db.settings.put({ key, value })),
  };
}

/** The family's settings; a missing secret is generated and stored once. */
export async function readNeuraScaleSettings(store: SettingsStore): Promise<NeuraScaleSettings> {
  const stored = ((await store.get(SETTINGS_KEY)) ?? {}) as Partial<NeuraScaleSettings>;
  const s: NeuraScaleSettings = {
    auth: stored.auth === 'local' ? 'local' : 'off',
    secret: typeof stored.secret === 'string' && stored.secret.length >= 32 ? stored.secret : randomSecret(),
    password: typeof stored.password === 'string' ? stored.password : null,
    rateLimitPerHour: typeof stored.rateLimitPerHour === 'number' && stored.rateLimitPerHour > 0 ? stored.rateLimitPerHour : null,
  };
  if (s.secret !== stored.secret) await store.put(SETTINGS_KEY, s);
  return s;
}

/** Changes settings (never the secret, except `rotateSecret`, which invalidates every token issued). */
export async function writeNeuraScaleSettings(store: SettingsStore, patch: Partial<Omit<NeuraScaleSettings, 'secret'>> & { rotateSecret?: boolean }): Promise<NeuraScaleSettings> {
  const { rotateSecret, ...rest } = patch;
  const s = { ...(await readNeuraScaleSettings(store)), ...rest, ...(rotateSecret ? { secret: randomSecret() } : {}) };
  await store.put(SETTINGS_KEY, s);
  return s;
}

function randomSecret(): string {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const MEDIA: Record<NsExportFormat, string> = { csv: 'text/csv', edf: 'application/octet-stream', bdf: 'application/octet-stream', snirf: 'application/x-hdf5', bids: 'application/zip', json: 'application/json' };
const EXT: Record<NsExportFormat, string> = { csv: 'csv', edf: 'edf', bdf: 'bdf', snirf: 'snirf', bids: 'zip', json: 'json' };

export interface NeuraScaleServiceOptions {
  devices: DeviceBackend;
  db: NeurotabDb;
  settings?: SettingsStore;
  /** Follow device events (default true); tests that drive events themselves pass false. */
  watch?: boolean;
}

export class NeuraScaleService implements NeuraScaleBackend {
  private readonly devices: DeviceBackend;
  private readonly db: NeurotabDb;
  private readonly settingsStore: SettingsStore;
  private readonly active = new Map<string, ActiveRecording>();
  private readonly exports = new Map<string, NsExport & { file?: Uint8Array }>();
  private readonly analyses = new Map<string, NsAnalysis>();
  private readonly deployed = new Set<string>();
  private readonly listeners = new Set<(e: NsLiveEvent) => void>();
  private closed = false;
  private lastSeq = 0;
  private settingsCache: { atMs: number; s: NeuraScaleSettings } | null = null;
  /** Creation times are kept strictly increasing, so sessions made in the same millisecond keep their order. */
  private lastCreatedMs = 0;

  constructor(o: NeuraScaleServiceOptions) {
    this.devices = o.devices;
    this.db = o.db;
    this.settingsStore = o.settings ?? dbSettings(o.db);
    if (o.watch !== false) void this.watch();
  }

  /** Live events for socket handlers; returns the unsubscribe function. */
  onEvent(listener: (e: NsLiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private publish(e: NsLiveEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  private async watch(): Promise<void> {
    while (!this.closed) {
      let events: DeviceEvent[];
      try {
        events = await this.devices.deviceEvents(this.lastSeq, 5000);
      } catch {
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      for (const ev of events) await this.onDeviceEvent(ev);
    }
  }

  /** One device event: recordings of a stream that ended are closed, keeping what arrived. */
  async onDeviceEvent(ev: DeviceEvent): Promise<void> {
    if (ev.seq <= this.lastSeq) return;
    this.lastSeq = ev.seq;
    this.listCache = null;
    this.publish({ kind: 'device', event: ev });
    if (ev.type === 'stream_stopped') {
      const rec = this.active.get(ev.deviceId);
      if (rec && rec.streamId === ev.streamId) await this.finish(rec, ev.message ?? null);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const rec of [...this.active.values()]) await this.finish(rec, 'service closed');
  }

  // ------------------------------------------------------------------------------------------
  // Settings

  async nsSettings(): Promise<NeuraScaleSettings> {
    // Re-read once a second: the API page changes them in IndexedDB from another thread.
    const now = Date.now();
    if (this.settingsCache && now - this.settingsCache.atMs < 1000) return this.settingsCache.s;
    const s = await readNeuraScaleSettings(this.settingsStore);
    this.settingsCache = { atMs: now, s };
    return s;
  }

  async nsDeviceSessions(): Promise<Record<string, string>> {
    return Object.fromEntries([...this.active.values()].map((r) => [r.deviceId, r.sessionId]));
  }

  async nsDevices(id?: string): Promise<{ devices: ApiDevice[]; sessions: Record<string, string> }> {
    const devices = id === undefined ? await this.deviceList() : [await this.deviceGet(id)];
    return { devices, sessions: await this.nsDeviceSessions() };
  }

  /** Changes settings (tests; the API page writes them with writeNeuraScaleSettings). */
  async setSettings(patch: Partial<Omit<NeuraScaleSettings, 'secret'>>): Promise<NeuraScaleSettings> {
    const s = await writeNeuraScaleSettings(this.settingsStore, patch);
    this.settingsCache = { atMs: Date.now(), s };
    return s;
  }

  // ------------------------------------------------------------------------------------------
  // Device seam, passed through. The device list is kept here for LIST_CACHE_MS and dropped on every
  // device event and after every change made through here: listing costs no trip to the page then.

  private listCache: { atMs: number; list: Promise<ApiDevice[]> } | null = null;

  /** Callers must not change the devices of the list (it is shared until the next change). */
  deviceList = (): Promise<ApiDevice[]> => {
    const now = Date.now();
    if (!this.listCache || now - this.listCache.atMs >= LIST_CACHE_MS) {
      const list = this.devices.deviceList();
      this.listCache = { atMs: now, list };
      list.catch(() => (this.listCache = null));
    }
    return this.listCache.list;
  };

  private changed<T>(p: Promise<T>): Promise<T> {
    this.listCache = null;
    return p.finally(() => (this.listCache = null));
  }

  deviceGet = (id: string) => this.devices.deviceGet(id);
  deviceRegister: DeviceBackend['deviceRegister'] = (r) => this.changed(this.devices.deviceRegister(r));
  deviceUpdate: DeviceBackend['deviceUpdate'] = (id, p) => this.changed(this.devices.deviceUpdate(id, p));
  deviceRemove = (id: string) => this.changed(this.devices.deviceRemove(id));
  deviceConnect = (id: string) => this.changed(this.devices.deviceConnect(id));
  deviceDisconnect = (id: string): Promise<ApiDevice> =>
    this.changed(
      (async () => {
        const d = await this.devices.deviceDisconnect(id);
        const rec = this.active.get(id);
        if (rec) await this.finish(rec, null);
        return d;
      })(),
    );
  deviceStartStream: DeviceBackend['deviceStartStream'] = (id, c) => this.changed(this.devices.deviceStartStream(id, c));
  deviceStopStream = (id: string) => this.changed(this.devices.deviceStopStream(id));
  deviceConfigure: DeviceBackend['deviceConfigure'] = (id, c) => this.changed(this.devices.deviceConfigure(id, c));
  deviceCalibrate: DeviceBackend['deviceCalibrate'] = (id, p, by) => this.changed(this.devices.deviceCalibrate(id, p, by));
  deviceImpedance = (id: string) => this.devices.deviceImpedance(id);
  deviceSignalQuality = (id: string) => this.devices.deviceSignalQuality(id);
  deviceHealth = (id?: string) => this.devices.deviceHealth(id);
  deviceDiscover = () => this.devices.deviceDiscover();
  deviceStream = (id: string) => this.devices.deviceStream(id);
  deviceEvents = (after: number, waitMs: number) => this.devices.deviceEvents(after, waitMs);

  // ------------------------------------------------------------------------------------------
  // Streams and recordings

  async nsStreamStart(deviceId: string, config?: Partial<DeviceConfig>): Promise<NsStreamStarted> {
    const { device, started } = await this.changed(this.devices.deviceStartStream(deviceId, config));
    let rec = this.active.get(deviceId);
    if (!rec || rec.streamId !== device.streamId) {
      if (rec) await this.finish(rec, null);
      rec = await this.record(device);
    }
    return { deviceId, streamId: device.streamId!, sessionId: rec.sessionId, sampleRateHz: device.config.sampleRateHz, channels: device.config.channels, started, recordingId: rec.recordingId };
  }

  /** Records a streaming device into its open session (a session listing it, not completed) or a new one. */
  private async record(device: ApiDevice): Promise<ActiveRecording> {
    const info = await this.devices.deviceStream(device.id);
    const sessions = await this.allSessions();
    let session = sessions.find((s) => s.status !== 'completed' && s.deviceIds.includes(device.id) && ![...this.active.values()].some((r) => r.sessionId === s.id && r.deviceId === device.id));
    const autoSession = !session;
    const now = this.createdNow();
    session ??= { id: `session_${ulid(now).toLowerCase()}`, name: `${device.name} ${new Date(now).toISOString()}`, patientId: null, deviceIds: [device.id], durationMinutes: null, protocol: null, status: 'created', startTimeMs: null, endTimeMs: null, metadata: { auto_created: true }, recordingIds: [], createdAtMs: now };
    const row = await createRecording(this.db, { name: `${session.name} — ${device.id}`, streams: [info.descriptor], source: device.kind === 'synthetic' || device.simulated ? 'synthetic' : device.kind, session: session.id, participant: session.patientId ?? undefined });
    const recorder = new Recorder(this.db, row.id, [{ descriptor: info.descriptor, source: new RingReader(Ring.attach(info.buffer), { from: 'now' }) }]);
    session.status = 'recording';
    session.startTimeMs ??= now;
    session.recordingIds = [...session.recordingIds, row.id];
    await this.saveSession(session);
    const rec: ActiveRecording = { recorder, timer: setInterval(() => void recorder.flush(), FLUSH_MS), sessionId: session.id, deviceId: device.id, streamId: info.streamId, recordingId: row.id, autoSession };
    this.active.set(device.id, rec);
    this.publish({ kind: 'session', sessionId: session.id, event: 'recording_started', deviceId: device.id, timestampMs: now });
    return rec;
  }

  /** Closes a recording (final flush); the session completes when none of its recordings run. */
  private finish(rec: ActiveRecording, reason: string | null): Promise<void> {
    rec.finished ??= this.close1(rec, reason);
    return rec.finished;
  }

  private async close1(rec: ActiveRecording, reason: string | null): Promise<void> {
    clearInterval(rec.timer);
    await rec.recorder.stop();
    if (this.active.get(rec.deviceId) === rec) this.active.delete(rec.deviceId);
    if (reason) await this.db.recordings.update(rec.recordingId, { stopReason: reason });
    const now = Date.now();
    this.publish({ kind: 'session', sessionId: rec.sessionId, event: 'recording_stopped', deviceId: rec.deviceId, timestampMs: now, ...(reason ? { reason } : {}) });
    const s = await this.sessionRow(rec.sessionId);
    if (!s) return;
    const stillRecording = [...this.active.values()].some((r) => r.sessionId === s.id);
    if (!stillRecording) {
      s.status = rec.autoSession || reason ? 'completed' : 'created';
      if (s.status === 'completed') s.endTimeMs = now;
      if (reason) s.metadata = { ...s.metadata, stop_reason: reason };
      await this.saveSession(s);
      if (s.status === 'completed') this.publish({ kind: 'session', sessionId: s.id, event: 'session_completed', deviceId: rec.deviceId, timestampMs: now });
    }
  }

  async nsStreamStop(deviceId: string): Promise<{ deviceId: string; streamId: string }> {
    const before = await this.devices.deviceGet(deviceId);
    await this.changed(this.devices.deviceStopStream(deviceId));
    const rec = this.active.get(deviceId);
    if (rec) await this.finish(rec, null);
    return { deviceId, streamId: before.streamId! };
  }

  // ------------------------------------------------------------------------------------------
  // Sessions

  private async allSessions(): Promise<NsSession[]> {
    const rows = await this.db.executions.where('family').equals(SESSION_FAMILY).toArray();
    return rows.map((r) => r.state as NsSession).sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  private async sessionRow(id: string): Promise<NsSession | undefined> {
    const row = await this.db.executions.get(id);
    return row?.family === SESSION_FAMILY ? (row.state as NsSession) : undefined;
  }

  private async saveSession(s: NsSession): Promise<void> {
    await this.db.executions.put({ id: s.id, family: SESSION_FAMILY, alias: s.id, createdAtMs: s.createdAtMs, state: s });
  }

  private async session(id: string): Promise<NsSession> {
    const s = await this.sessionRow(id);
    if (!s) throw new NsFailure('SESSION_NOT_FOUND', `Session '${id}' not found`, { resource_type: 'session', resource_id: id });
    return s;
  }

  private createdNow(): number {
    this.lastCreatedMs = Math.max(Date.now(), this.lastCreatedMs + 1);
    return this.lastCreatedMs;
  }

  async nsSessionCreate(c: NsSessionCreate): Promise<NsSession> {
    for (const id of c.deviceIds) await this.devices.deviceGet(id);
    const now = this.createdNow();
    const s: NsSession = {
      id: `session_${ulid(now).toLowerCase()}`, name: c.name, patientId: c.patientId ?? null, deviceIds: [...c.deviceIds], durationMinutes: c.durationMinutes ?? null,
      protocol: c.protocol ?? null, status: 'created', startTimeMs: null, endTimeMs: null, metadata: { ...(c.metadata ?? {}) }, recordingIds: [], createdAtMs: now,
    };
    await this.saveSession(s);
    return s;
  }

  async nsSessionList(limit: number, offset: number): Promise<{ items: NsSession[]; total: number }> {
    const all = await this.allSessions();
    return { items: all.slice(offset, offset + limit), total: all.length };
  }

  nsSessionGet(id: string): Promise<NsSession> {
    return this.session(id);
  }

  async nsSessionUpdate(id: string, patch: { name?: string; metadata?: Record<string, unknown>; status?: NsSessionStatus }): Promise<NsSession> {
    const s = await this.session(id);
    if (patch.status === 'recording' && s.status !== 'recording') throw new NsFailure('VALIDATION_ERROR', 'A session starts recording when one of its devices starts streaming (POST /v2/devices/{id}/stream/start), not by PATCH', { field: 'status' });
    if (patch.status !== undefined && patch.status !== s.status) {
      if (patch.status === 'completed') {
        for (const rec of [...this.active.values()].filter((r) => r.sessionId === id)) {
          await this.deviceStopStream(rec.deviceId).catch(() => undefined);
          await this.finish(rec, null);
        }
        const fresh = await this.session(id);
        Object.assign(s, { recordingIds: fresh.recordingIds, startTimeMs: fresh.startTimeMs });
        s.endTimeMs = Date.now();
      }
      s.status = patch.status;
    }
    if (patch.name !== undefined) s.name = patch.name;
    if (patch.metadata !== undefined) s.metadata = { ...s.metadata, ...patch.metadata };
    await this.saveSession(s);
    return s;
  }

  async nsSessionDelete(id: string): Promise<void> {
    const s = await this.session(id);
    if ([...this.active.values()].some((r) => r.sessionId === id)) throw new NsFailure('SESSION_BUSY', `Session '${id}' is recording; stop its device streams (or PATCH status "completed") first`, { resource_id: id });
    await this.db.executions.delete(s.id);
  }

  async nsSessionRecordings(id: string): Promise<NsRecordingInfo[]> {
    const s = await this.session(id);
    const out: NsRecordingInfo[] = [];
    for (const rid of s.recordingIds) {
      const r = await this.db.recordings.get(rid);
      if (!r) continue;
      const st = r.streams[0];
      const rate = st?.descriptor.sampleRateHz ?? 0;
      const deviceId = [...this.active.values()].find((a) => a.recordingId === rid)?.deviceId ?? r.name.split(' — ').at(-1) ?? '';
      out.push({
        id: rid, sessionId: id, deviceId, channelCount: st?.descriptor.channels.length ?? 0, sampleRateHz: rate,
        durationSeconds: st && st.firstTimestampMs !== null && st.lastTimestampMs !== null ? (st.lastTimestampMs - st.firstTimestampMs) / 1000 + (rate > 0 ? 1 / rate : 0) : 0,
        sampleCount: st?.frames ?? 0, droppedFrames: st?.droppedFrames ?? 0, status: r.status, stopReason: r.stopReason ?? null,
      });
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // Data

  /** The session's first recording, flushed first when it is still being written. */
  private async sessionData(sessionId: string): Promise<{ session: NsSession; data: RecordingData }> {
    const s = await this.session(sessionId);
    const rid = s.recordingIds[0];
    if (!rid) throw new NsFailure('VALIDATION_ERROR', `Session '${sessionId}' has no recording yet; start one of its devices' streams first`, { resource_id: sessionId });
    const active = [...this.active.values()].find((r) => r.recordingId === rid);
    if (active) await active.recorder.flush();
    return { session: s, data: await loadRecordingData(this.db, rid) };
  }

  async nsTimeseries(sessionId: string, q: { startMs?: number; endMs?: number; channels?: number[] }): Promise<NsTimeseries> {
    const { data } = await this.sessionData(sessionId);
    const st = data.streams[0];
    const C = st.descriptor.channels.length;
    const channels = q.channels ?? Array.from({ length: C }, (_, i) => i + 1);
    const bad = channels.find((n) => !Number.isInteger(n) || n < 1 || n > C);
    if (bad !== undefined) throw new NsFailure('VALIDATION_ERROR', `Channel ${bad} does not exist: the recording has channels 1 to ${C}`, { field: 'channels' });
    const ts = st.timestampsMs;
    let i0 = 0;
    let i1 = ts.length;
    if (q.startMs !== undefined) while (i0 < i1 && ts[i0] < q.startMs) i0++;
    if (q.endMs !== undefined) while (i1 > i0 && ts[i1 - 1] > q.endMs) i1--;
    const rate = st.descriptor.sampleRateHz;
    if (rate > 0 && (i1 - i0) / rate > MAX_TIMESERIES_SECONDS) throw new NsFailure('RANGE_TOO_LARGE', `The range holds ${((i1 - i0) / rate / 3600).toFixed(2)} h of samples; ask for at most 1 h per call (start/end), or export the session`, { max_seconds: MAX_TIMESERIES_SECONDS });
    const samples: Record<string, number | null>[] = [];
    for (let f = i0; f < i1; f++) {
      const row: Record<string, number | null> = { timestamp: Math.round(ts[f] * 1000) / 1000 };
      for (const n of channels) {
        const v = st.samples[f * C + n - 1];
        row[`ch${n}`] = Number.isFinite(v) ? v : null;
      }
      samples.push(row);
    }
    return { sessionId, sampleRateHz: rate, channels, samples };
  }

  async nsExportCreate(r: NsExportRequest): Promise<NsExport> {
    const format = r.format.toLowerCase() as NsExportFormat;
    if (!NS_EXPORT_FORMATS.includes(format)) {
      const hint = r.format.toLowerCase() === 'xdf' ? ' (XDF is read, not written, here)' : '';
      throw new NsFailure('VALIDATION_ERROR', `Cannot export as '${r.format}'${hint}; formats: ${NS_EXPORT_FORMATS.join(', ')}`, { field: 'format', supported: NS_EXPORT_FORMATS });
    }
    await this.session(r.sessionId);
    const now = Date.now();
    const ex: NsExport & { file?: Uint8Array } = { id: `export_${ulid(now).toLowerCase()}`, sessionId: r.sessionId, format, status: 'queued', filename: null, bytes: null, error: null, createdAtMs: now };
    this.exports.set(ex.id, ex);
    void this.runExport(ex, r);
    return { ...ex };
  }

  private async runExport(ex: NsExport & { file?: Uint8Array }, r: NsExportRequest): Promise<void> {
    ex.status = 'running';
    try {
      const { session, data } = await this.sessionData(r.sessionId);
      const sliced = sliceRecording(data, r.channels, r.startMs, r.endMs);
      const base = session.id;
      if (ex.format === 'json') {
        const s = sliced.streams[0];
        const C = s.descriptor.channels.length;
        const doc = {
          session_id: session.id, sample_rate: s.descriptor.sampleRateHz, channels: s.descriptor.channels.map((c) => c.label),
          timestamps: Array.from(s.timestampsMs), data: s.descriptor.channels.map((_, c) => Array.from({ length: s.timestampsMs.length }, (_, f) => s.samples[f * C + c])),
          markers: sliced.markers,
        };
        ex.file = new TextEncoder().encode(JSON.stringify(doc));
      } else {
        ex.file = await writeRecording(sliced, `${base}.${EXT[ex.format]}`);
      }
      ex.filename = `${base}.${EXT[ex.format]}`;
      ex.bytes = ex.file.byteLength;
      ex.status = 'completed';
    } catch (e) {
      ex.status = 'failed';
      ex.error = e instanceof Error ? e.message : String(e);
    }
  }

  async nsExportGet(id: string): Promise<NsExport> {
    const ex = this.exports.get(id);
    if (!ex) throw new NsFailure('EXPORT_NOT_FOUND', `Export '${id}' not found`, { resource_id: id });
    const { file: _file, ...rest } = ex;
    return rest;
  }

  async nsExportFile(id: string): Promise<{ filename: string; mediaType: string; bytes: Uint8Array }> {
    const ex = this.exports.get(id);
    if (!ex) throw new NsFailure('EXPORT_NOT_FOUND', `Export '${id}' not found`, { resource_id: id });
    if (ex.status !== 'completed' || !ex.file) throw new NsFailure('EXPORT_NOT_FOUND', `Export '${id}' is ${ex.status}${ex.error ? `: ${ex.error}` : ''}; poll GET /v2/data/export/${id} until it is completed`, { resource_id: id, status: ex.status });
    return { filename: ex.filename!, mediaType: MEDIA[ex.format], bytes: ex.file };
  }

  // ------------------------------------------------------------------------------------------
  // Analysis

  async nsAnalyze(sessionId: string, modelType: string, parameters: Record<string, unknown>): Promise<NsAnalysis> {
    const m = NS_MODELS[modelType];
    if (!m) throw new NsFailure('INVALID_CONFIGURATION', `Unknown model_type '${modelType}'; models: ${Object.keys(NS_MODELS).join(', ')}`, { field: 'model_type', supported: Object.keys(NS_MODELS) });
    await this.session(sessionId);
    const now = Date.now();
    const a: NsAnalysis = { id: `analysis_${ulid(now).toLowerCase()}`, sessionId, modelType, status: 'queued', metrics: {}, predictions: [], error: null, createdAtMs: now };
    this.analyses.set(a.id, a);
    setTimeout(() => void this.runAnalysis(a, m, parameters), 0);
    return { ...a };
  }

  private async runAnalysis(a: NsAnalysis, m: (typeof NS_MODELS)[string], p: Record<string, unknown>): Promise<void> {
    a.status = 'running';
    try {
      const { data } = await this.sessionData(a.sessionId);
      const values = [...new Set(data.markers.map((x: MarkerEvent) => x.value))];
      const classes = (p.classes as Record<string, string> | undefined) ?? Object.fromEntries(values.map((v) => [v, v]));
      const windowSize = typeof p.window_size === 'number' ? p.window_size : m.window[1] - m.window[0];
      const bands = p.frequency_bands as Record<string, [number, number]> | undefined;
      const band: [number, number] = bands && Object.values(bands).length ? [Math.min(...Object.values(bands).map((b) => b[0])), Math.max(...Object.values(bands).map((b) => b[1]))] : m.band;
      const cfg = parseExperimentConfig({ type: m.experimentType, classes, window: [m.window[0], m.window[0] + windowSize], band, ...(p.options ? { options: p.options } : {}) }, 'parameters');
      const { epochs } = epochsFromRecording({ streams: data.streams, markers: data.markers }, cfg, a.sessionId);
      const cv = crossValidate(cfg, epochs, { k: typeof p.folds === 'number' ? p.folds : 5 });
      a.metrics = { accuracy: cv.accuracy, mean_score: cv.mean, chance: cv.chance, epochs: cv.epochCount, ...(cv.rocAuc !== undefined ? { roc_auc: cv.rocAuc } : {}) };
      a.predictions = [];
      a.status = 'completed';
    } catch (e) {
      a.status = 'failed';
      a.error = e instanceof InputError || e instanceof NsFailure || e instanceof Error ? e.message : String(e);
    }
  }

  async nsAnalysis(id: string): Promise<NsAnalysis> {
    const a = this.analyses.get(id);
    if (!a) throw new NsFailure('ANALYSIS_NOT_FOUND', `Analysis '${id}' not found`, { resource_id: id });
    return structuredClone(a);
  }

  async nsModels(): Promise<NsModelInfo[]> {
    return Object.entries(NS_MODELS).map(([modelType, m]) => ({
      modelType, description: m.description, modality: 'EEG', experimentType: m.experimentType, deployed: this.deployed.has(modelType),
      parametersSchema: { window_size: { type: 'number', unit: 's', default: m.window[1] - m.window[0] }, frequency_bands: { type: 'object', default: { band: m.band } }, classes: { type: 'object', description: 'marker value → class name; default: every marker value' }, folds: { type: 'integer', default: 5 } },
    }));
  }

  async nsDeploy(modelType: string, source: { artifactUrl?: string; experiment?: string }): Promise<NsModelInfo> {
    if (!NS_MODELS[modelType]) throw new NsFailure('INVALID_CONFIGURATION', `Unknown model_type '${modelType}'; models: ${Object.keys(NS_MODELS).join(', ')}`, { field: 'model_type' });
    if (source.artifactUrl !== undefined) throw new NsFailure('INVALID_CONFIGURATION', 'Models are not downloaded from URLs here; train an ExperimentHub experiment (/exphub) and deploy it by "experiment"', { field: 'artifact_url' });
    this.deployed.add(modelType);
    return (await this.nsModels()).find((x) => x.modelType === modelType)!;
  }
}

/** A copy of a recording with only the given 1-based channels of its first stream, between two times. */
function sliceRecording(d: RecordingData, channels: number[] | undefined, startMs?: number, endMs?: number): RecordingData {
  const s = d.streams[0];
  const C = s.descriptor.channels.length;
  const pick = channels ?? Array.from({ length: C }, (_, i) => i + 1);
  const bad = pick.find((n) => !Number.isInteger(n) || n < 1 || n > C);
  if (bad !== undefined) throw new NsFailure('VALIDATION_ERROR', `Channel ${bad} does not exist: the recording has channels 1 to ${C}`, { field: 'channels' });
  const idx: number[] = [];
  for (let f = 0; f < s.timestampsMs.length; f++) {
    const t = s.timestampsMs[f];
    if ((startMs === undefined || t >= startMs) && (endMs === undefined || t <= endMs)) idx.push(f);
  }
  const samples = new Float32Array(idx.length * pick.length);
  const ts = new Float64Array(idx.length);
  idx.forEach((f, i) => {
    ts[i] = s.timestampsMs[f];
    pick.forEach((n, j) => (samples[i * pick.length + j] = s.samples[f * C + n - 1]));
  });
  const t0 = ts[0] ?? d.meta.startTimeMs;
  return {
    ...d,
    meta: { ...d.meta, startTimeMs: t0 },
    streams: [{ descriptor: { ...s.descriptor, channels: pick.map((n) => s.descriptor.channels[n - 1]) }, samples, timestampsMs: ts }],
    markers: d.markers.filter((m) => (startMs === undefined || m.timestampMs >= startMs) && (endMs === undefined || m.timestampMs <= endMs)),
  };
}
