// The tab's end of the bridge's LSL link (issue 20 items 2 and 3): lists the LSL streams the bridge
// resolves, publishes app streams as outlets there and opens inlets whose chunks arrive here with
// timestamps on this thread's clock (the bridge's clock mapped by `lsl-clock` probes, the probe
// with the smallest round trip kept, as LSL's time_receiver). Any thread with the bridge socket.
// No Svelte. Must not block or queue without bound: pushes past the socket's backlog are dropped and counted.
import { decodeSamples, encodeFloat32, encodeFloat64, LSL_WIRE_MAX_VALUES, type LslBridgeToTab, type LslOutletSpec, type LslStreamSummary, type LslTabToBridge, type LslWireChannel, type LslInletEventKind } from './lsl-wire';

/** What a paired bridge socket offers the client. */
export interface LslSocket {
  send(m: LslTabToBridge): void;
  /** Bytes queued on the socket (WebSocket.bufferedAmount). */
  bufferedBytes(): number;
}

export interface LslInletHandlers {
  /** Samples: frame-major float32 (or strings for string streams), timestamps in ms on this thread's clock. */
  onChunk(frames: number, values: Float32Array | string[], timestampsMs: Float64Array): void;
  onEvent?(event: LslInletEventKind, detail: string, extra: { gapMs?: number; frames?: number }): void;
}

export interface LslInletOpened {
  id: string;
  stream: LslStreamSummary;
  channels: LslWireChannel[];
}

/** Error of a call made while no bridge is paired. */
export class LslUnavailableError extends Error {
  override name = 'LslUnavailableError';
  constructor(message = 'No bridge is paired, so LSL is out of reach: start it with "npm run neurotab -- bridge" and pair this tab (API page → Bridge).') {
    super(message);
  }
}

/** Pushes are dropped while the socket holds more than this unsent. */
export const LSL_PUSH_MAX_BUFFERED = 4 * 1024 * 1024;
/** A bridge answer that has not come in this long fails the call. */
const ANSWER_TIMEOUT_MS = 40_000;
const PROBES = 8;

const appNow = () => performance.timeOrigin + performance.now();

type Waiter = { resolve: (m: LslBridgeToTab) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> };

export class LslBridgeClient {
  private socket: LslSocket | null = null;
  private nextReq = 1;
  private nextId = 1;
  private readonly waiting = new Map<string, Waiter>();
  private readonly inlets = new Map<string, { handlers: LslInletHandlers; channelCount: number }>();
  private readonly outlets = new Map<string, { channelCount: number; dropped: number }>();
  /** This clock minus the bridge's (ms); measured on attach. */
  private offsetMs = 0;
  private readonly listeners = new Set<(paired: boolean) => void>();

  constructor(private readonly clock: () => number = appNow) {}

  get paired(): boolean {
    return this.socket !== null;
  }

  /** Our clock minus the bridge's, milliseconds (0 until measured). */
  get clockOffsetMs(): number {
    return this.offsetMs;
  }

  onPairedChange(fn: (paired: boolean) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The bridge socket is paired: use it, and measure the clock offset to the bridge. */
  attach(socket: LslSocket): Promise<number> {
    this.socket = socket;
    for (const l of this.listeners) l(true);
    return this.measureClock();
  }

  /** The socket closed: every call in flight fails, every inlet is lost, every outlet gone. */
  detach(reason = 'the bridge went away'): void {
    if (!this.socket) return;
    this.socket = null;
    for (const [key, w] of this.waiting) {
      clearTimeout(w.timer);
      this.waiting.delete(key);
      w.reject(new LslUnavailableError(`The bridge connection closed (${reason}); start "npm run neurotab -- bridge" and pair again.`));
    }
    for (const [, inlet] of this.inlets) inlet.handlers.onEvent?.('lost', reason, {});
    this.inlets.clear();
    this.outlets.clear();
    for (const l of this.listeners) l(false);
  }

  /** Probes the bridge's clock PROBES times; keeps the estimate of the fastest round trip. */
  async measureClock(): Promise<number> {
    let best = { rttMs: Infinity, offsetMs: 0 };
    for (let i = 0; i < PROBES; i++) {
      const t0 = this.clock();
      const a = (await this.ask(`req:${this.nextReq}`, { type: 'lsl-clock-probe', req: this.nextReq++ })) as Extract<LslBridgeToTab, { type: 'lsl-clock' }>;
      const t1 = this.clock();
      if (t1 - t0 < best.rttMs) best = { rttMs: t1 - t0, offsetMs: (t0 + t1) / 2 - a.bridgeMs };
    }
    this.offsetMs = best.offsetMs;
    return best.offsetMs;
  }

  /** The streams the bridge resolves within `waitS` seconds. */
  async streams(waitS = 1): Promise<LslStreamSummary[]> {
    const req = this.nextReq++;
    const a = (await this.ask(`req:${req}`, { type: 'lsl-resolve', req, waitS })) as Extract<LslBridgeToTab, { type: 'lsl-streams' }>;
    if (a.error) throw new Error(`The bridge could not resolve LSL streams: ${a.error}`);
    return a.streams;
  }

  /** Publishes an outlet; resolves with its id (ours) and LSL uid once the bridge advertises it. */
  async openOutlet(spec: LslOutletSpec): Promise<{ id: string; uid: string }> {
    const id = `o${this.nextId++}`;
    const a = (await this.ask(`outlet:${id}`, { type: 'lsl-outlet-open', outlet: id, spec })) as Extract<LslBridgeToTab, { type: 'lsl-outlet-opened' }>;
    if (a.error || !a.uid) throw new Error(a.error ?? 'the bridge opened no outlet');
    this.outlets.set(id, { channelCount: spec.channels.length, dropped: 0 });
    return { id, uid: a.uid };
  }

  /**
   * Sends frames × channels values (timestamps in ms on this clock, one per frame) to an outlet.
   * Returns the frames sent; 0 when the socket is backed up (they are dropped and counted) or the outlet is gone.
   */
  push(id: string, values: ArrayLike<number> | readonly string[], timestampsMs: ArrayLike<number>): number {
    const o = this.outlets.get(id);
    if (!o || !this.socket) return 0;
    const frames = timestampsMs.length;
    if (values.length !== frames * o.channelCount) throw new RangeError(`${values.length} values for ${frames} samples of ${o.channelCount} channels`);
    if (this.socket.bufferedBytes() > LSL_PUSH_MAX_BUFFERED) {
      o.dropped += frames;
      return 0;
    }
    const per = Math.max(1, Math.floor(LSL_WIRE_MAX_VALUES / o.channelCount));
    for (let f0 = 0; f0 < frames; f0 += per) {
      const f1 = Math.min(frames, f0 + per);
      const stamps = new Float64Array(f1 - f0);
      for (let i = f0; i < f1; i++) stamps[i - f0] = timestampsMs[i] - this.offsetMs;
      const slice = Array.prototype.slice.call(values, f0 * o.channelCount, f1 * o.channelCount) as number[] | string[];
      const strings = typeof slice[0] === 'string';
      this.socket.send(
        strings
          ? { type: 'lsl-samples', outlet: id, frames: f1 - f0, strings: slice as string[], timestampsBase64: encodeFloat64(stamps) }
          : { type: 'lsl-samples', outlet: id, frames: f1 - f0, valuesBase64: encodeFloat32(slice as number[]), timestampsBase64: encodeFloat64(stamps) },
      );
    }
    return frames;
  }

  /** Frames an outlet dropped because the socket was backed up. */
  droppedFrames(id: string): number {
    return this.outlets.get(id)?.dropped ?? 0;
  }

  closeOutlet(id: string): void {
    if (this.outlets.delete(id)) this.socket?.send({ type: 'lsl-outlet-close', outlet: id });
  }

  /** Opens an inlet on the first stream matching an XPath predicate (`name='EEG'`), waiting up to `waitS` for it. */
  async openInlet(query: string, handlers: LslInletHandlers, waitS = 5): Promise<LslInletOpened> {
    const id = `i${this.nextId++}`;
    // Chunks may follow the answer at once: handlers are in place before the question goes out.
    this.inlets.set(id, { handlers, channelCount: 0 });
    try {
      const a = (await this.ask(`inlet:${id}`, { type: 'lsl-inlet-open', inlet: id, query, waitS })) as Extract<LslBridgeToTab, { type: 'lsl-inlet-opened' }>;
      if (a.error || !a.stream) throw new Error(a.error ?? 'the bridge opened no inlet');
      this.inlets.set(id, { handlers, channelCount: a.stream.channelCount });
      return { id, stream: a.stream, channels: a.channels ?? [] };
    } catch (e) {
      this.inlets.delete(id);
      throw e;
    }
  }

  closeInlet(id: string): void {
    if (this.inlets.delete(id)) this.socket?.send({ type: 'lsl-inlet-close', inlet: id });
  }

  /** A message from the bridge (the socket's owner routes every `lsl-*` one here). */
  onMessage(m: LslBridgeToTab): void {
    if (m.type === 'lsl-chunk') {
      const inlet = this.inlets.get(m.inlet);
      if (!inlet || !inlet.channelCount) return;
      let s: ReturnType<typeof decodeSamples>;
      try {
        s = decodeSamples(m, inlet.channelCount);
      } catch (e) {
        return inlet.handlers.onEvent?.('dropped', `a garbled chunk from the bridge was dropped (${e instanceof Error ? e.message : String(e)})`, {});
      }
      for (let i = 0; i < s.frames; i++) s.timestampsMs[i] += this.offsetMs;
      inlet.handlers.onChunk(s.frames, s.values, s.timestampsMs);
    } else if (m.type === 'lsl-inlet-event') {
      const inlet = this.inlets.get(m.inlet);
      inlet?.handlers.onEvent?.(m.event, m.detail, { gapMs: m.gapMs, frames: m.frames });
      if (m.event === 'lost') this.inlets.delete(m.inlet);
    } else {
      const key = m.type === 'lsl-outlet-opened' ? `outlet:${m.outlet}` : m.type === 'lsl-inlet-opened' ? `inlet:${m.inlet}` : `req:${m.req}`;
      const w = this.waiting.get(key);
      if (!w) return;
      clearTimeout(w.timer);
      this.waiting.delete(key);
      w.resolve(m);
    }
  }

  private ask(key: string, m: LslTabToBridge): Promise<LslBridgeToTab> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new LslUnavailableError());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`The bridge did not answer ${m.type} within ${ANSWER_TIMEOUT_MS / 1000} s; is it still running?`));
      }, ANSWER_TIMEOUT_MS);
      this.waiting.set(key, { resolve, reject, timer });
      socket.send(m);
    });
  }
}
