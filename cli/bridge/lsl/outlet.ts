// An LSL outlet in Node: advertises a stream (answers discovery queries on the multicast port and
// on its own service port, and time probes there), serves any number of TCP consumers in protocol
// 1.10 or 1.00, and takes samples with `push` from whatever source feeds it (a device, a ring, the
// marker bus). Node only (node:net, node:dgram).
//
// `push` never blocks and never waits for a consumer: the samples are encoded once per wire
// variant (1.10 little/big-endian, 1.00) and queued on each consumer's socket. A consumer that
// stops reading is dropped, with a log line, once its queue exceeds its buffer (the samples it
// asked for with Max-Buffer-Length, at most `maxQueuedBytes`); the others are not disturbed. So are
// peers that send something that is not an LSL request, or nothing within 10 s.
// Every push is sent at once (liblsl's pushthrough); there is no chunk batching.
import { randomUUID } from 'node:crypto';
import type { Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { errorMessage, InputError } from '../../../src/lib/core/errors';
import type { XmlElement } from '../../../src/lib/formats/xml-lite';
import { DEDUCED_TIMESTAMP, lslClock, lslConfig, type LslConfig, type LslLog } from './config';
import { answerDatagram, openResponder, type UdpService } from './discovery';
import { listenInRange, throttledLog, udpInRange } from './net';
import {
  allocateValues,
  archivePreamble,
  encodeSamples100,
  encodeSamples110,
  feedResponse,
  negotiateFeed,
  parseFeedRequest,
  splitAt,
  testPattern,
  TEST_PATTERN_TIMESTAMP,
  type FeedTerms,
  type SampleValues,
} from './protocol';
import { matches, parseQuery } from './query';
import { CHANNEL_FORMAT_BYTES, descElement, infoElement, infoMessage, MAX_CHANNELS, type ChannelFormat, type LslChannelSpec, type StreamInfo } from './stream-info';

const HANDSHAKE_TIMEOUT_MS = 10_000;
const MAX_CACHED_QUERIES = 100;

export interface OutletOptions {
  name: string;
  /** Content type: "EEG", "Markers", … */
  type: string;
  channelCount: number;
  /** 0 for irregular streams (markers). */
  nominalSrateHz: number;
  channelFormat: ChannelFormat;
  /** A stable id of the source (device serial, …); lets inlets recover when the outlet comes back. */
  sourceId?: string;
  /** Written as desc/channels/channel (label, unit, type). */
  channels?: LslChannelSpec[];
  /** Further children of <desc> (manufacturer, …). */
  desc?: XmlElement[];
  /** The most bytes one consumer may have queued before it is dropped (default 64 MiB). */
  maxQueuedBytes?: number;
  /** Where the data and service ports listen (default all IPv4 interfaces, as liblsl). */
  bindAddress?: string;
  hostname?: string;
  config?: Partial<LslConfig>;
  log?: LslLog;
  /** The LSL clock (seconds); tests shift it to check clock offsets. */
  clock?: () => number;
}

/** Values for `push`: frame-major numbers (typed or plain; BigInt64Array for exact int64) or strings. */
export type PushValues = ArrayLike<number> | BigInt64Array | readonly string[];

interface Consumer {
  socket: Socket;
  peer: string;
  terms: FeedTerms;
  limitBytes: number;
}

export class LslOutlet {
  readonly info: StreamInfo;
  private readonly consumers = new Set<Consumer>();
  private readonly sockets = new Set<Socket>();
  private readonly queryCache = new Map<string, boolean>();
  private readonly document: XmlElement;
  private readonly shortinfo: string;
  private readonly fullinfo: string;
  private readonly warn: (kind: string, line: string) => void;
  private readonly log: LslLog;
  private readonly clock: () => number;
  private readonly cfg: LslConfig;
  private readonly maxQueuedBytes: number;
  private closed = false;
  private consumerWaiters: (() => void)[] = [];

  private constructor(
    info: StreamInfo,
    private readonly server: Server,
    private readonly udp: UdpSocket[],
    o: OutletOptions,
    cfg: LslConfig,
  ) {
    this.info = info;
    this.cfg = cfg;
    this.log = o.log ?? (() => {});
    this.warn = throttledLog(this.log);
    this.clock = o.clock ?? lslClock;
    this.maxQueuedBytes = o.maxQueuedBytes ?? 64 * 1024 * 1024;
    this.document = infoElement(info, true);
    this.shortinfo = infoMessage(info, false);
    this.fullinfo = infoMessage(info, true);
  }

  /** Opens the ports, then advertises the stream. */
  static async open(o: OutletOptions): Promise<LslOutlet> {
    if (!o.name) throw new InputError('an LSL stream needs a name');
    if (!Number.isInteger(o.channelCount) || o.channelCount < 1 || o.channelCount > MAX_CHANNELS) throw new InputError(`channel count ${o.channelCount} is not an integer from 1 to ${MAX_CHANNELS}`);
    if (!(o.nominalSrateHz >= 0 && Number.isFinite(o.nominalSrateHz))) throw new InputError(`nominal rate ${o.nominalSrateHz} is not a number ≥ 0 (0 for irregular streams)`);
    if (!(o.channelFormat in CHANNEL_FORMAT_BYTES)) throw new InputError(`channel format "${o.channelFormat}" is not one of ${Object.keys(CHANNEL_FORMAT_BYTES).join(', ')}`);
    if (o.channels && o.channels.length !== o.channelCount) throw new InputError(`${o.channels.length} channel descriptions for ${o.channelCount} channels`);
    const cfg = lslConfig(o.config);
    const host = o.bindAddress ?? '0.0.0.0';
    const server = createServer({ noDelay: true });
    const dataPort = await listenInRange(server, cfg, host);
    const { socket: service, port: servicePort } = await udpInRange(cfg, host);
    const clock = o.clock ?? lslClock;
    const info: StreamInfo = {
      name: o.name,
      type: o.type,
      channelCount: o.channelCount,
      channelFormat: o.channelFormat,
      sourceId: o.sourceId ?? '',
      nominalSrateHz: o.nominalSrateHz,
      version: cfg.protocolVersion,
      createdAtS: clock(),
      uid: randomUUID(),
      sessionId: cfg.sessionId,
      hostname: o.hostname ?? hostname(),
      v4address: '',
      v4dataPort: dataPort,
      v4servicePort: servicePort,
      v6address: '',
      v6dataPort: 0,
      v6servicePort: 0,
      desc: descElement(o.channels ?? [], o.desc),
    };
    const outlet = new LslOutlet(info, server, [service], o, cfg);
    server.on('connection', (s) => outlet.accept(s));
    server.on('error', (e) => outlet.log(`LSL outlet "${o.name}": server error: ${e.message}`));
    const svc = outlet.udpService(true);
    service.on('message', (m, r) => answerDatagram(m, r, service, svc));
    service.on('error', (e) => outlet.warn('service', `LSL outlet "${o.name}": service socket error: ${e.message}`));
    try {
      outlet.udp.push(await openResponder(cfg, outlet.udpService(false), outlet.log));
    } catch (e) {
      outlet.log(`LSL outlet "${o.name}": cannot listen for discovery on port ${cfg.multicastPort} (${errorMessage(e)}); only direct (unicast) queries to port ${servicePort} will find it`);
    }
    return outlet;
  }

  private udpService(timeService: boolean): UdpService {
    return { matches: (q) => this.matches(q), shortinfo: this.shortinfo, timeService, clock: this.clock, warn: this.warn };
  }

  /** Whether the stream answers an XPath query (liblsl's query cache: up to 100 recent queries). */
  matches(query: string): boolean {
    const cached = this.queryCache.get(query);
    if (cached !== undefined) return cached;
    let result = false;
    try {
      result = matches(parseQuery(query), this.document);
    } catch (e) {
      this.warn('query', `LSL outlet "${this.info.name}": cannot evaluate the query ${JSON.stringify(query.slice(0, 120))}: ${errorMessage(e)}`);
    }
    if (this.queryCache.size >= MAX_CACHED_QUERIES) this.queryCache.delete(this.queryCache.keys().next().value!);
    this.queryCache.set(query, result);
    return result;
  }

  /** Consumers receiving data now. */
  get consumerCount(): number {
    return this.consumers.size;
  }

  /** Resolves true when a consumer is connected (at once if one is), false after timeoutS. */
  waitForConsumers(timeoutS: number): Promise<boolean> {
    if (this.consumers.size) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.consumers.size > 0), timeoutS * 1000);
      this.consumerWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private accept(socket: Socket): void {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.closed) return void socket.destroy();
    this.sockets.add(socket);
    socket.setNoDelay(true);
    let pending = new Uint8Array(0);
    let streaming = false;
    const drop = (why: string) => {
      this.warn(`drop ${why.slice(0, 30)}`, `LSL outlet "${this.info.name}": dropped ${peer}: ${why}`);
      socket.destroy();
    };
    const timer = setTimeout(() => drop(`sent no complete LSL request within ${HANDSHAKE_TIMEOUT_MS / 1000} s`), HANDSHAKE_TIMEOUT_MS);
    socket.on('data', (d: Buffer) => {
      if (streaming) return; // a consumer has nothing more to say; liblsl does not read either
      const b = new Uint8Array(pending.length + d.length);
      b.set(pending);
      b.set(d, pending.length);
      pending = b;
      try {
        const done = this.request(socket, peer, pending);
        if (done === 'incomplete') return;
        clearTimeout(timer);
        streaming = true;
      } catch (e) {
        clearTimeout(timer);
        drop(errorMessage(e));
      }
    });
    socket.on('error', () => {}); // 'close' follows and cleans up; a reset consumer is ordinary
    socket.on('close', () => {
      clearTimeout(timer);
      this.sockets.delete(socket);
      for (const c of this.consumers) if (c.socket === socket) this.consumers.delete(c);
    });
  }

  /** Handles the request bytes so far: 'incomplete' until a whole request arrived. Throws InputError on garbage. */
  private request(socket: Socket, peer: string, bytes: Uint8Array): 'incomplete' | 'handled' {
    const prefix = bytes.subarray(0, 4);
    if (prefix.some((b, i) => b !== 'LSL:'.charCodeAt(i))) throw new InputError(`the request does not start with "LSL:" (${JSON.stringify(Buffer.from(prefix).toString('latin1'))}…; not an LSL peer?)`);
    const first = splitAt(bytes, '\r\n', 16 * 1024);
    if (!first) return 'incomplete';
    const method = first.head.trim();
    if (method === 'LSL:fullinfo') {
      socket.end(this.fullinfo);
      return 'handled';
    }
    if (method === 'LSL:shortinfo') {
      const q = splitAt(first.rest, '\r\n', 16 * 1024);
      if (!q) return 'incomplete';
      if (this.matches(q.head.trim())) socket.end(this.shortinfo);
      else socket.end();
      return 'handled';
    }
    let lines: string[];
    if (method === 'LSL:streamfeed') {
      const params = splitAt(first.rest, '\r\n', 1024);
      if (!params) return 'incomplete';
      lines = [method, params.head];
    } else if (method.startsWith('LSL:streamfeed/')) {
      const all = splitAt(bytes, '\r\n\r\n');
      if (!all) return 'incomplete';
      lines = all.head.split('\r\n');
    } else throw new InputError(`"${method.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}" is not an LSL request (not an LSL peer?)`);
    const req = parseFeedRequest(lines[0].trim(), lines.slice(1));
    const { status, terms } = negotiateFeed(req, this.info, this.cfg.protocolVersion);
    if (!terms) {
      this.log(`LSL outlet "${this.info.name}": refused ${peer}: ${status}`);
      socket.end(status);
      return 'handled';
    }
    const { format: f, channelCount: n } = { format: this.info.channelFormat, channelCount: this.info.channelCount };
    const patterns = concatValues(f, [testPattern(f, n, 4), testPattern(f, n, 2)]);
    const stamps = [TEST_PATTERN_TIMESTAMP, TEST_PATTERN_TIMESTAMP];
    if (req.protocolVersion >= 110) socket.write(feedResponse(this.cfg.protocolVersion, this.info.uid, terms));
    if (terms.dataProtocolVersion === 100) {
      socket.write(archivePreamble(this.shortinfo));
      socket.write(encodeSamples100(f, n, patterns, stamps, true));
    } else socket.write(encodeSamples110(f, n, patterns, stamps, terms.reverseByteOrder));
    if (req.maxBufferLength <= 0) {
      socket.end(); // liblsl: a consumer that asks for no buffer gets the header only
      return 'handled';
    }
    const sampleBytes = 9 + n * (CHANNEL_FORMAT_BYTES[f] || 16);
    const limitBytes = Math.min(this.maxQueuedBytes, Math.max(64 * 1024, req.maxBufferLength * sampleBytes));
    this.consumers.add({ socket, peer, terms, limitBytes });
    this.log(`LSL outlet "${this.info.name}": ${peer} subscribed (protocol ${terms.dataProtocolVersion === 100 ? '1.00' : '1.10'}${terms.reverseByteOrder ? ', big-endian' : ''})`);
    for (const w of this.consumerWaiters.splice(0)) w();
    return 'handled';
  }

  /**
   * Sends samples to every consumer. `values`: frames × channelCount, frame-major. `timestampsS`:
   * one per frame (the LSL clock, seconds); or one number, the time of the last frame (earlier
   * frames are spaced 1/rate before it and go out as deduced timestamps, as liblsl's push_chunk);
   * or nothing (now). Returns the number of frames taken. Never blocks.
   */
  push(values: PushValues, timestampsS?: number | ArrayLike<number>): number {
    if (this.closed) return 0;
    const n = this.info.channelCount;
    if (values.length % n !== 0) throw new InputError(`${values.length} values is not a whole number of ${n}-channel samples`);
    const frames = values.length / n;
    if (frames === 0) return 0;
    const stamps = new Float64Array(frames);
    if (timestampsS !== undefined && typeof timestampsS !== 'number') {
      if (timestampsS.length !== frames) throw new InputError(`${timestampsS.length} timestamps for ${frames} samples`);
      stamps.set(timestampsS);
    } else {
      const last = timestampsS ?? this.clock();
      const rate = this.info.nominalSrateHz;
      stamps[0] = rate > 0 ? last - (frames - 1) / rate : last;
      stamps.fill(rate > 0 ? DEDUCED_TIMESTAMP : last, 1);
    }
    if (this.consumers.size === 0) return frames;
    const typed = toFormat(this.info.channelFormat, values);
    const encoded = new Map<string, Uint8Array>();
    for (const c of this.consumers) {
      const key = c.terms.dataProtocolVersion === 100 ? '100' : c.terms.reverseByteOrder ? '110be' : '110';
      let bytes = encoded.get(key);
      if (!bytes) {
        bytes = key === '100' ? encodeSamples100(this.info.channelFormat, n, typed, stamps, false) : encodeSamples110(this.info.channelFormat, n, typed, stamps, key === '110be');
        encoded.set(key, bytes);
      }
      c.socket.write(bytes);
      if (c.socket.writableLength > c.limitBytes) {
        this.consumers.delete(c);
        this.log(`LSL outlet "${this.info.name}": dropped ${c.peer}: it stopped reading (${c.socket.writableLength} bytes queued, more than its buffer of ${c.limitBytes})`);
        c.socket.destroy();
      }
    }
    return frames;
  }

  /** Stops advertising and serving; consumers see the connection close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const u of this.udp) {
      try {
        u.close();
      } catch {
        /* closed */
      }
    }
    for (const s of this.sockets) s.destroy();
    this.consumers.clear();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

function concatValues(format: ChannelFormat, parts: SampleValues[]): SampleValues {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = allocateValues(format, n);
  let o = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) (out as unknown[])[o + i] = (p as unknown[])[i];
    o += p.length;
  }
  return out;
}

/** The values in the outlet's format: integer formats truncate (as liblsl's casts), int64 from numbers via BigInt. */
function toFormat(format: ChannelFormat, values: PushValues): SampleValues {
  if (format === 'string') return Array.from(values as ArrayLike<unknown>, String);
  if (format === 'int64') {
    if (values instanceof BigInt64Array) return values;
    return BigInt64Array.from(values as ArrayLike<number>, (v) => (Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n));
  }
  const out = allocateValues(format, values.length) as Exclude<SampleValues, BigInt64Array | string[]>;
  if (values instanceof BigInt64Array) for (let i = 0; i < values.length; i++) out[i] = Number(values[i]);
  else out.set(values as ArrayLike<number>);
  return out;
}
