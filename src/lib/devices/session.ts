// A device session: one driver kept streaming across drops. When the transport is lost mid-stream
// the session reconnects with exponential backoff (BLE: gatt.connect() again; serial/USB: the
// granted port found again through getPorts/getDevices), skips the sample indices the outage
// cost, and reports it as a gap so the recording continues with an honest marker. Nothing already
// decoded is dropped (the driver flushes its decoder on disconnect). Runs where the driver runs.
// No DOM, no Svelte; timers through globalThis so tests can fake them.
import { nowMs } from '../core/clock.ts';
import type { DriverFrames, DriverGap } from './descriptor.ts';
import type { TransportDriver } from './transports/transport-driver.ts';
import { TransportError } from './transports/types.ts';

export type SessionStatus =
  | { state: 'idle' }
  | { state: 'connecting' }
  | { state: 'streaming'; reconnects: number }
  | { state: 'reconnecting'; attempt: number; delayMs: number; reason: string }
  | { state: 'stopped' }
  | { state: 'failed'; message: string; code?: string };

export interface SessionListener {
  onFrames(f: DriverFrames): void;
  onGap(g: DriverGap): void;
  onStatus(s: SessionStatus): void;
}

export interface BackoffOptions {
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** Give up after this many failed attempts in a row. */
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 500, factor: 2, maxDelayMs: 10_000, maxAttempts: 30 };

/** Delay before reconnection attempt `attempt` (1-based): initial × factor^(attempt−1), capped. */
export function backoffDelayMs(attempt: number, o: BackoffOptions = DEFAULT_BACKOFF): number {
  return Math.min(o.maxDelayMs, o.initialDelayMs * o.factor ** Math.max(0, attempt - 1));
}

export class DeviceSession {
  status: SessionStatus = { state: 'idle' };
  reconnects = 0;
  /** Frames delivered per stream id. */
  readonly framesReceived = new Map<string, number>();
  private readonly backoff: BackoffOptions;
  private readonly now: () => number;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  /** End time (ms, shared clock) of the last frame per regular-rate stream. */
  private readonly lastEndMs = new Map<string, number>();
  private lostAtMs = 0;

  constructor(
    readonly driver: TransportDriver,
    private readonly listener: SessionListener,
    opts: { backoff?: Partial<BackoffOptions>; now?: () => number } = {},
  ) {
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.now = opts.now ?? nowMs;
  }

  private set(s: SessionStatus): void {
    this.status = s;
    this.listener.onStatus(s);
  }

  private readonly driverListener = {
    onFrames: (f: DriverFrames) => {
      this.framesReceived.set(f.streamId, (this.framesReceived.get(f.streamId) ?? 0) + f.frames);
      const rate = this.rateOf(f.streamId);
      if (rate > 0 && f.frames > 0) this.lastEndMs.set(f.streamId, f.timestampsMs[f.frames - 1] + 1000 / rate);
      this.listener.onFrames(f);
    },
    onGap: (g: DriverGap) => this.listener.onGap(g),
    onDisconnected: (reason: string) => this.dropped(reason),
  };

  private rateOf(streamId: string): number {
    return this.driver.descriptor.streams.find((s) => s.id === streamId)?.sampleRateHz ?? 0;
  }

  /** Connect, handshake and start streaming (first connection: errors go to the caller). */
  async start(): Promise<void> {
    this.stopped = false;
    this.set({ state: 'connecting' });
    try {
      await this.driver.open();
      await this.driver.start(this.driverListener);
    } catch (e) {
      await this.driver.close().catch(() => {});
      const err = e as Error;
      this.set({ state: 'failed', message: err.message, code: e instanceof TransportError ? e.code : undefined });
      throw e;
    }
    this.set({ state: 'streaming', reconnects: this.reconnects });
  }

  private dropped(reason: string): void {
    if (this.stopped) return;
    this.lostAtMs = this.now();
    this.schedule(1, reason);
  }

  private schedule(attempt: number, reason: string): void {
    if (this.stopped) return;
    if (attempt > this.backoff.maxAttempts) {
      this.set({ state: 'failed', message: `gave up reconnecting after ${attempt - 1} attempts (${reason})` });
      return;
    }
    const delayMs = backoffDelayMs(attempt, this.backoff);
    this.set({ state: 'reconnecting', attempt, delayMs, reason });
    this.timer = setTimeout(() => void this.attempt(attempt, reason), delayMs);
  }

  private async attempt(attempt: number, reason: string): Promise<void> {
    this.timer = null;
    if (this.stopped) return;
    try {
      await this.driver.open();
      if (this.stopped) {
        await this.driver.close().catch(() => {});
        return;
      }
      // The outage, per regular stream: frames that should have arrived since the last one.
      const t = this.now();
      for (const s of this.driver.descriptor.streams) {
        if (s.sampleRateHz <= 0 || !this.framesReceived.has(s.id)) continue;
        const fromMs = this.lastEndMs.get(s.id) ?? this.lostAtMs;
        const lost = Math.max(0, Math.round(((t - fromMs) * s.sampleRateHz) / 1000));
        if (lost === 0) continue;
        const sampleIndex = this.driver.nextSampleIndex(s.id);
        this.driver.skip(s.id, lost);
        this.listener.onGap({ streamId: s.id, sampleIndex, lostFrames: lost, timestampMs: fromMs });
      }
      await this.driver.start(this.driverListener);
      this.reconnects++;
      this.set({ state: 'streaming', reconnects: this.reconnects });
    } catch (e) {
      await this.driver.close().catch(() => {});
      this.schedule(attempt + 1, (e as Error).message || reason);
    }
  }

  /** Stop streaming and release the device (also cancels a pending reconnection). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.driver.close().catch(() => {});
    this.set({ state: 'stopped' });
  }
}
