// An LSL inlet in Node: subscribes to a resolved stream (its fullinfo, then a 1.10 or 1.00 feed),
// hands every batch of samples to a callback as soon as it is decoded, estimates the clock offset
// to the outlet (time-sync.ts) and, when the outlet disappears, recovers as liblsl does: it
// resolves the same stream again by its name, type, source id, channel count and format, connects
// to it (the same uid, or the new one when the outlet was restarted), and reports the gap.
// Node only (node:net). Never blocks: bytes are decoded as they arrive, in the socket's handler.
//
// Events, in order: connected → chunks (onChunk) and clock-offset-measured → disconnected →
// connected → recovered → gap-detected (with the first chunk after it) → … ; lost when recovery
// is impossible (no source id, as in liblsl) or the inlet is closed.
import { connect, type Socket } from 'node:net';
import { errorMessage, InputError } from '../../../src/lib/core/errors';
import { lslClock, lslConfig, type LslConfig, type LslLog } from './config';
import { resolve } from './discovery';
import { FeedDecoder, feedRequest100, feedRequest110, parseFeedResponse, splitAt, type FeedTerms, type SampleChunk } from './protocol';
import { quote } from './query';
import { CHANNEL_FORMAT_BYTES, MAX_INFO_BYTES, parseStreamInfo, type StreamInfo } from './stream-info';
import { TimeProber, type TimeCorrection } from './time-sync';

export type { SampleChunk };

export type InletEvent =
  | { type: 'connected'; info: StreamInfo; protocol: 100 | 110 }
  | { type: 'clock-offset-measured'; correction: TimeCorrection }
  | { type: 'disconnected'; reason: string }
  | { type: 'recovered'; info: StreamInfo; sameOutlet: boolean }
  /** Samples missing between two connections: timestamps on the outlet's clock, seconds. */
  | { type: 'gap-detected'; lastTimestampS: number; nextTimestampS: number; gapS: number; missingSamples?: number }
  | { type: 'lost'; reason: string };

export interface InletOptions {
  /** Called with every batch of samples decoded (frame-major values, seconds on the outlet's clock). */
  onChunk: (chunk: SampleChunk) => void;
  onEvent?: (event: InletEvent) => void;
  /** How much the outlet keeps for us if we fall behind: seconds (× 100 samples for irregular streams), liblsl's max_buflen (360). */
  maxBufferLengthS?: number;
  /** liblsl max_chunklen (0: the outlet's choice). */
  maxChunkLength?: number;
  /** Reconnect when the outlet goes away (liblsl's recovery; needs a source id). Default true. */
  recover?: boolean;
  /** Gives up connecting (and fetching the fullinfo) after this long (default 10 s). */
  connectTimeoutS?: number;
  config?: Partial<LslConfig>;
  log?: LslLog;
  clock?: () => number;
}

/** The fullinfo (with <desc>) of a resolved stream, over its data port. */
export function fetchFullinfo(info: StreamInfo, timeoutS = 10): Promise<StreamInfo> {
  return new Promise((resolvePromise, reject) => {
    const where = `fullinfo from ${info.v4address}:${info.v4dataPort}`;
    const sock = connect(info.v4dataPort, info.v4address, () => sock.write('LSL:fullinfo\r\n'));
    const parts: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => sock.destroy(new Error(`no fullinfo within ${timeoutS} s`)), timeoutS * 1000);
    sock.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_INFO_BYTES) sock.destroy(new Error(`the fullinfo is larger than ${MAX_INFO_BYTES} bytes`));
      else parts.push(d);
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(new InputError(`cannot read the stream's description (${e.message})`, where));
    });
    sock.on('end', () => {
      clearTimeout(timer);
      try {
        const full = parseStreamInfo(Buffer.concat(parts).toString('utf8'), where);
        if (full.uid !== info.uid) throw new InputError(`it describes stream ${full.uid}, not ${info.uid} (the outlet was replaced)`, where);
        resolvePromise({ ...full, v4address: info.v4address });
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** liblsl's recovery query: the fields a restarted outlet keeps (not its uid, nor the rate). */
export function recoveryQuery(info: StreamInfo): string {
  let q = `channel_count='${info.channelCount}'`;
  if (info.name) q += ` and name=${quote(info.name)}`;
  if (info.type) q += ` and type=${quote(info.type)}`;
  if (info.sourceId) q += ` and source_id=${quote(info.sourceId)}`;
  return `${q} and channel_format='${info.channelFormat}'`;
}

export class LslInlet {
  private socket?: Socket;
  private decoder?: FeedDecoder;
  private readonly prober: TimeProber;
  private readonly cfg: LslConfig;
  private readonly log: LslLog;
  private readonly clock: () => number;
  private closed = false;
  private recovering = false;
  private lastTimestampS: number | undefined;
  private gapPending = false;
  private lastReceiveS: number;
  private readonly abort = new AbortController();
  private watchdog?: ReturnType<typeof setInterval>;

  private constructor(
    private current: StreamInfo,
    private readonly o: InletOptions,
  ) {
    this.cfg = lslConfig(o.config);
    this.log = o.log ?? (() => {});
    this.clock = o.clock ?? lslClock;
    this.lastReceiveS = this.clock();
    this.prober = new TimeProber({ address: current.v4address, port: current.v4servicePort }, this.cfg, this.clock, (c) => this.emit({ type: 'clock-offset-measured', correction: c }), this.log);
  }

  /** Fetches the stream's fullinfo, subscribes, and resolves once the feed's test patterns checked out. */
  static async open(info: StreamInfo, options: InletOptions): Promise<LslInlet> {
    if (!info.v4address || !info.v4dataPort) throw new InputError(`stream "${info.name}" has no IPv4 address and data port (resolve it first)`);
    if (info.channelCount < 1) throw new InputError(`stream "${info.name}" has no channels`);
    const full = await fetchFullinfo(info, options.connectTimeoutS ?? 10);
    const inlet = new LslInlet(full, options);
    await inlet.subscribe();
    inlet.prober.start();
    inlet.watchdog = setInterval(() => void inlet.checkStale(), inlet.cfg.watchdogCheckIntervalS * 1000);
    return inlet;
  }

  /** The stream read now (its fullinfo; it changes when recovery switched to a restarted outlet). */
  get info(): StreamInfo {
    return this.current;
  }

  /** The latest clock offset estimate (null until the first one, ~0.7 s after opening). */
  get timeCorrection(): TimeCorrection | null {
    return this.prober.latest;
  }

  private emit(e: InletEvent): void {
    try {
      this.o.onEvent?.(e);
    } catch (err) {
      this.log(`LSL inlet "${this.current.name}": the event handler threw: ${errorMessage(err)}`);
    }
  }

  /**
   * Connects the feed; resolves when the test patterns matched, rejects with the reason otherwise.
   * Emits `connected` then (for a recovery) `recovered` before the first samples are delivered.
   */
  private subscribe(recovery?: { sameOutlet: boolean }): Promise<void> {
    const info = this.current;
    const protocol = Math.min(this.cfg.protocolVersion, info.version) >= 110 ? 110 : 100;
    const maxBuffer = Math.max(1, Math.round((this.o.maxBufferLengthS ?? 360) * (info.nominalSrateHz > 0 ? info.nominalSrateHz : 100)));
    const request =
      protocol === 110
        ? feedRequest110({ uid: info.uid, valueSize: CHANNEL_FORMAT_BYTES[info.channelFormat], maxBufferLength: maxBuffer, maxChunkLength: this.o.maxChunkLength ?? 0, hostname: info.hostname, sourceId: info.sourceId, sessionId: info.sessionId })
        : feedRequest100(maxBuffer, this.o.maxChunkLength ?? 0);
    const peer = `${info.v4address}:${info.v4dataPort}`;
    return new Promise((resolvePromise, reject) => {
      let settled = false;
      const settle = (e?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (e) reject(e);
        else resolvePromise();
      };
      const sock = connect({ port: info.v4dataPort, host: info.v4address, noDelay: true }, () => sock.write(request));
      this.socket = sock;
      const timer = setTimeout(() => sock.destroy(new Error(`no answer within ${this.o.connectTimeoutS ?? 10} s`)), (this.o.connectTimeoutS ?? 10) * 1000);
      let header: Uint8Array | null = protocol === 110 ? new Uint8Array(0) : null;
      this.decoder = protocol === 100 ? new FeedDecoder(info.channelFormat, info.channelCount, info.nominalSrateHz, { dataProtocolVersion: 100, reverseByteOrder: false, suppressSubnormals: false }) : undefined;
      sock.on('data', (d: Buffer) => {
        try {
          let bytes: Uint8Array = d;
          if (header) {
            const all = new Uint8Array(header.length + d.length);
            all.set(header);
            all.set(d, header.length);
            const split = splitAt(all, '\r\n\r\n');
            if (!split) {
              header = all;
              return;
            }
            header = null;
            const [status, ...lines] = split.head.split('\r\n');
            const terms: FeedTerms & { notFound?: true } = parseFeedResponse(status, lines, info.uid, this.cfg.protocolVersion);
            if (terms.notFound) throw new InputError('the outlet no longer serves this stream (404: it was restarted)');
            this.decoder = new FeedDecoder(info.channelFormat, info.channelCount, info.nominalSrateHz, terms);
            bytes = split.rest;
          }
          const wasVerified = this.decoder!.verified;
          const chunk = this.decoder!.push(bytes);
          if (this.decoder!.shortinfo !== undefined && !wasVerified && this.decoder!.verified) {
            const preamble = parseStreamInfo(this.decoder!.shortinfo, `1.00 feed from ${peer}`);
            if (preamble.uid !== info.uid) throw new InputError(`the 1.00 feed is for stream ${preamble.uid}, not ${info.uid}`);
          }
          if (!wasVerified && this.decoder!.verified) {
            settle();
            this.emit({ type: 'connected', info, protocol: this.decoder!.terms.dataProtocolVersion === 100 ? 100 : 110 });
            if (recovery) {
              this.prober.retarget({ address: info.v4address, port: info.v4servicePort });
              this.log(`LSL inlet "${info.name}": recovered (${recovery.sameOutlet ? 'same outlet' : `restarted outlet ${info.uid}`})`);
              this.emit({ type: 'recovered', info, sameOutlet: recovery.sameOutlet });
            }
          }
          if (chunk) this.deliver(chunk);
        } catch (e) {
          const why = errorMessage(e);
          this.log(`LSL inlet "${info.name}": dropped the connection to ${peer}: ${why}`);
          sock.destroy(new Error(why));
        }
      });
      sock.on('error', () => {}); // 'close' carries on
      sock.on('close', () => {
        const wasVerified = this.decoder?.verified ?? false;
        const reason = (sock as Socket & { errored?: Error }).errored?.message ?? 'the outlet closed the connection';
        if (!settled) settle(new InputError(`cannot subscribe: ${reason}`, `stream "${info.name}" at ${peer}`));
        if (this.socket === sock && wasVerified) this.connectionLost(reason);
      });
    });
  }

  private deliver(chunk: SampleChunk): void {
    this.lastReceiveS = this.clock();
    if (this.gapPending && this.lastTimestampS !== undefined) {
      this.gapPending = false;
      const next = chunk.timestampsS[0];
      const rate = this.current.nominalSrateHz;
      const gapS = next - this.lastTimestampS;
      this.emit({ type: 'gap-detected', lastTimestampS: this.lastTimestampS, nextTimestampS: next, gapS, ...(rate > 0 ? { missingSamples: Math.max(0, Math.round(gapS * rate) - 1) } : {}) });
    }
    this.lastTimestampS = chunk.timestampsS[chunk.frames - 1];
    try {
      this.o.onChunk(chunk);
    } catch (e) {
      this.log(`LSL inlet "${this.current.name}": the chunk handler threw: ${errorMessage(e)}`);
    }
  }

  private connectionLost(reason: string): void {
    if (this.closed) return;
    this.emit({ type: 'disconnected', reason });
    if (!(this.o.recover ?? true) || !this.current.sourceId) {
      const why = this.current.sourceId ? 'recovery is off' : 'the stream has no source id, so a restarted outlet cannot be told from another (liblsl does not recover it either)';
      this.stop(`${reason}; ${why}`);
      return;
    }
    this.log(`LSL inlet "${this.current.name}": ${reason}; looking for the stream again`);
    void this.recover();
  }

  /** Resolves the stream again until it is back (liblsl inlet_connection::try_recover), then resubscribes. */
  private async recover(): Promise<void> {
    if (this.recovering) return;
    this.recovering = true;
    const query = recoveryQuery(this.current);
    try {
      for (let attempt = 0; !this.closed; attempt++) {
        const found = await resolve({ query, minimum: 1, timeoutS: 5, minimumTimeS: attempt === 0 ? 1 : 5, config: this.cfg, log: this.log, signal: this.abort.signal });
        if (this.closed) return;
        const same = found.find((f) => f.uid === this.current.uid);
        if (!same && found.length > 1) {
          this.log(`LSL inlet "${this.current.name}": ${found.length} streams have source id "${this.current.sourceId}"; cannot recover until all but one are closed`);
          continue;
        }
        const next = same ?? found[0];
        if (!next) continue;
        try {
          const full = same ? { ...this.current, v4address: same.v4address, v4dataPort: same.v4dataPort, v4servicePort: same.v4servicePort } : await fetchFullinfo(next, this.o.connectTimeoutS ?? 10);
          this.current = full;
          this.gapPending = true;
          await this.subscribe({ sameOutlet: !!same });
          return;
        } catch (e) {
          this.log(`LSL inlet "${this.current.name}": recovery attempt failed: ${errorMessage(e)}`);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    } finally {
      this.recovering = false;
    }
  }

  /** liblsl's watchdog: quiet for WatchdogTimeThreshold → check that the stream has not moved. */
  private async checkStale(): Promise<void> {
    if (this.closed || this.recovering || this.clock() - this.lastReceiveS < this.cfg.watchdogTimeThresholdS) return;
    const found = await resolve({ query: recoveryQuery(this.current), minimum: 1, timeoutS: 5, minimumTimeS: 1, config: this.cfg, log: this.log, signal: this.abort.signal });
    if (this.closed || found.some((f) => f.uid === this.current.uid) || found.length !== 1) return;
    this.socket?.destroy(new Error(`no data for ${this.cfg.watchdogTimeThresholdS} s and the stream answers from a new outlet`));
  }

  private stop(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    clearInterval(this.watchdog);
    this.prober.close();
    this.socket?.destroy();
    this.emit({ type: 'lost', reason });
  }

  /** Unsubscribes; emits `lost` with reason "closed". */
  close(): void {
    this.stop('closed');
  }
}
