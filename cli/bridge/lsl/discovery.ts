// LSL discovery over UDP/IPv4, as liblsl 1.16 does it (resolver_impl.cpp, resolve_attempt_udp.cpp,
// udp_server.cpp). Node only (node:dgram). Never blocks: every handler does a bounded amount of
// work per datagram; malformed datagrams are dropped with a throttled log line.
//
// Query (resolver → every query address on the multicast port, each interface in turn):
//   "LSL:shortinfo\r\n<XPath query>\r\n<return port> <query id>\r\n"
// Reply (outlet → the query's source address, return port), when the query matches its info:
//   "<query id>\r\n<shortinfo XML>"; the resolver takes the outlet's address from the datagram.
// Time probe (inlet → the outlet's service port): "LSL:timedata\r\n<wave id> <t0>\r\n"; reply
//   " <wave id> <t0> <t1 = receive time> <t2 = send time>" on the outlet's clock (time-sync.ts).
// A one-shot resolve sends a wave every MulticastMinRTT (0.5 s) until it has `minimum` results and
// `minimumTimeS` passed, or the timeout; a continuous resolver waves every 1 s and forgets streams
// not heard of for `forgetAfterS`.
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { errorMessage, InputError } from '../../../src/lib/core/errors';
import { lslConfig, lslClock, multicastGroups, type LslConfig, type LslLog } from './config';
import { ipv4InterfaceAddresses, throttledLog, udpInRange } from './net';
import { propertyQuery, quote } from './query';
import { parseStreamInfo, type StreamInfo } from './stream-info';

/** Largest datagram we read as a request or reply (a shortinfo is about 700 bytes). */
const MAX_DATAGRAM = 65_507;

// ── the outlet side ──

export interface UdpService {
  /** Whether the outlet's info matches an XPath query (false for a query it cannot evaluate). */
  matches(query: string): boolean;
  shortinfo: string;
  /** Answer LSL:timedata (the unicast service socket does; multicast responders do not). */
  timeService: boolean;
  clock(): number;
  warn: (kind: string, line: string) => void;
}

/** Answers one datagram on an outlet's service or responder socket. */
export function answerDatagram(msg: Buffer, from: RemoteInfo, socket: UdpSocket, svc: UdpService): void {
  const t1 = svc.clock();
  const peer = `${from.address}:${from.port}`;
  const text = msg.toString('latin1');
  const nl = text.indexOf('\n');
  const method = (nl < 0 ? text : text.slice(0, nl)).trim();
  const rest = nl < 0 ? '' : text.slice(nl + 1);
  if (method === 'LSL:shortinfo') {
    const nl2 = rest.indexOf('\n');
    const query = (nl2 < 0 ? rest : rest.slice(0, nl2)).trim();
    const [portText, id] = (nl2 < 0 ? '' : rest.slice(nl2 + 1)).trim().split(/\s+/);
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535 || !id || !/^[\x21-\x7e]{1,128}$/.test(id)) {
      svc.warn('bad-query', `LSL: ignored a malformed discovery query from ${peer} (return port "${(portText ?? '').slice(0, 20)}", query id "${(id ?? '').slice(0, 20)}")`);
      return;
    }
    if (!svc.matches(query)) return;
    socket.send(`${id}\r\n${svc.shortinfo}`, port, from.address, (e) => e && svc.warn('reply-failed', `LSL: could not answer ${from.address}:${port}: ${e.message}`));
    return;
  }
  if (method === 'LSL:timedata' && svc.timeService) {
    const [waveText, t0Text] = rest.trim().split(/\s+/);
    if (!/^-?\d{1,10}$/.test(waveText ?? '') || !Number.isFinite(Number(t0Text))) {
      svc.warn('bad-probe', `LSL: ignored a malformed time probe from ${peer}`);
      return;
    }
    socket.send(` ${Number(waveText)} ${Number(t0Text)} ${t1} ${svc.clock()}`, from.port, from.address, (e) => e && svc.warn('reply-failed', `LSL: could not answer a time probe from ${peer}: ${e.message}`));
    return;
  }
  svc.warn('unknown-method', `LSL: ignored a UDP datagram from ${peer} with method "${method.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}" (not an LSL peer?)`);
}

/**
 * The socket an outlet listens on for multicast and broadcast queries: the multicast port, shared
 * with every other LSL outlet on the machine (SO_REUSEADDR), joined to the multicast groups on
 * every IPv4 interface.
 */
export async function openResponder(cfg: LslConfig, svc: UdpService, log: LslLog): Promise<UdpSocket> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  socket.on('message', (m, r) => answerDatagram(m, r, socket, svc));
  socket.on('error', (e) => log(`LSL: discovery responder error: ${e.message}`));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(cfg.multicastPort, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  let joined = 0;
  for (const group of multicastGroups(cfg)) {
    for (const iface of ipv4InterfaceAddresses()) {
      try {
        socket.addMembership(group, iface);
        joined++;
      } catch (e) {
        log(`LSL: could not join ${group} on ${iface} (${errorMessage(e)}); queries sent there will not reach this outlet`);
      }
    }
  }
  if (joined === 0) log('LSL: joined no multicast group; only unicast and broadcast queries will find this outlet');
  return socket;
}

// ── the resolver side ──

export interface ResolveOptions {
  /** The XPath query, sent as is (use resolveStreams/resolveByPredicate for liblsl's session clause). */
  query: string;
  /** Finish once this many streams answered (and minimumTimeS passed); 0 waits the whole timeout. */
  minimum?: number;
  /** Give up after this long (seconds; Infinity waits until `signal` aborts). */
  timeoutS?: number;
  minimumTimeS?: number;
  config?: Partial<LslConfig>;
  log?: LslLog;
  signal?: AbortSignal;
}

export interface Discovered {
  info: StreamInfo;
  /** lslClock() when last heard of. */
  seenAtS: number;
}

/** One query id, one socket, waves sent on demand, replies collected by uid. */
class Querier {
  private socket!: UdpSocket;
  private readonly id = String(Math.floor(Math.random() * 2 ** 48));
  private message!: string;
  readonly found = new Map<string, Discovered>();
  private readonly warn: (kind: string, line: string) => void;

  constructor(
    private readonly cfg: LslConfig,
    private readonly query: string,
    log: LslLog,
    private readonly onFound?: () => void,
  ) {
    this.warn = throttledLog(log);
  }

  async open(): Promise<void> {
    // liblsl binds its reply socket in the port range too (firewall rules are written for it).
    const { socket, port } = await udpInRange(this.cfg, '0.0.0.0');
    this.socket = socket;
    socket.on('error', (e) => this.warn('socket', `LSL: resolver socket error: ${e.message}`));
    socket.on('message', (m, r) => this.reply(m, r));
    socket.setBroadcast(true);
    socket.setMulticastTTL(this.cfg.multicastTtl);
    this.message = `LSL:shortinfo\r\n${this.query}\r\n${port} ${this.id}\r\n`;
  }

  wave(): void {
    const groups = new Set(multicastGroups(this.cfg));
    const interfaces = ipv4InterfaceAddresses();
    for (const target of this.cfg.queryAddresses) {
      if (!groups.has(target)) {
        this.send(target);
        continue;
      }
      // Multicast goes out on every interface in turn, as liblsl sends it.
      for (const iface of interfaces.length ? interfaces : [undefined]) {
        try {
          if (iface) this.socket.setMulticastInterface(iface);
          this.send(target);
        } catch (e) {
          this.warn(`iface ${iface}`, `LSL: cannot send queries on ${iface}: ${errorMessage(e)}`);
        }
      }
    }
  }

  private send(target: string): void {
    this.socket.send(this.message, this.cfg.multicastPort, target, (e) => {
      if (e) this.warn(`send ${target}`, `LSL: cannot send a query to ${target} (${(e as NodeJS.ErrnoException).code ?? e.message}); streams reachable only that way are not found`);
    });
  }

  private reply(msg: Buffer, from: RemoteInfo): void {
    if (msg.length > MAX_DATAGRAM) return;
    const text = msg.toString('utf8');
    const nl = text.indexOf('\n');
    if (nl < 0 || text.slice(0, nl).trim() !== this.id) {
      this.warn(`stray ${from.address}`, `LSL: ignored a datagram from ${from.address}:${from.port} that answers no query of ours`);
      return;
    }
    let info: StreamInfo;
    try {
      info = parseStreamInfo(text.slice(nl + 1), `discovery reply from ${from.address}:${from.port}`);
    } catch (e) {
      this.warn(`bad ${from.address}`, `LSL: ignored a malformed discovery reply: ${errorMessage(e)}`);
      return;
    }
    const known = this.found.get(info.uid);
    // The first address a stream answered from is kept (liblsl: the faster route).
    if (known) known.seenAtS = lslClock();
    else {
      if (!info.v4address) info.v4address = from.address;
      this.found.set(info.uid, { info, seenAtS: lslClock() });
      this.onFound?.();
    }
  }

  close(): void {
    try {
      this.socket?.close();
    } catch {
      /* already closed */
    }
  }
}

/** Resolves streams matching `query` (liblsl's resolve_oneshot). Resolves with what was found. */
export async function resolve(o: ResolveOptions): Promise<StreamInfo[]> {
  const cfg = lslConfig(o.config);
  const minimum = o.minimum ?? 0;
  const timeoutS = o.timeoutS ?? 1;
  const minimumTimeS = o.minimumTimeS ?? 0;
  if (o.signal?.aborted) return [];
  let finish = () => {};
  const done = new Promise<void>((r) => (finish = r));
  const started = lslClock();
  const satisfied = () => minimum > 0 && q.found.size >= minimum && lslClock() - started >= minimumTimeS;
  const q = new Querier(cfg, o.query, o.log ?? (() => {}), () => satisfied() && finish());
  await q.open();
  q.wave();
  const waves = setInterval(() => (satisfied() ? finish() : q.wave()), cfg.multicastMinRttS * 1000);
  const timer = Number.isFinite(timeoutS) ? setTimeout(finish, timeoutS * 1000) : undefined;
  const onAbort = () => finish();
  o.signal?.addEventListener('abort', onAbort);
  try {
    await done;
  } finally {
    clearInterval(waves);
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
    q.close();
  }
  return [...q.found.values()].map((d) => d.info);
}

/** Every stream of the session that answers within `waitS` (liblsl resolve_streams). */
export function resolveStreams(waitS = 1, options: Omit<ResolveOptions, 'query' | 'timeoutS' | 'minimum'> = {}): Promise<StreamInfo[]> {
  return resolve({ ...options, query: propertyQuery(lslConfig(options.config).sessionId), timeoutS: waitS, minimum: 0 });
}

/** Streams of the session matching an XPath predicate (liblsl resolve_bypred; resolve_stream(prop, value) is `prop='value'`). */
export function resolveByPredicate(predicate: string, options: Omit<ResolveOptions, 'query'> = {}): Promise<StreamInfo[]> {
  return resolve({ minimum: 1, timeoutS: Infinity, ...options, query: `${propertyQuery(lslConfig(options.config).sessionId)} and ${predicate}` });
}

/** Streams of the session whose `prop` (name, type, source_id, …) is `value` (liblsl resolve_stream(prop, value)). */
export function resolveByProperty(prop: string, value: string, options: Omit<ResolveOptions, 'query'> = {}): Promise<StreamInfo[]> {
  if (!/^[A-Za-z_][\w.\-]*(\/[A-Za-z_][\w.\-]*)*$/.test(prop)) throw new InputError(`"${prop}" is not a stream info field (e.g. name, type, source_id, desc/manufacturer)`);
  return resolveByPredicate(`${prop}=${quote(value)}`, options);
}

/** A resolver that keeps asking (liblsl continuous_resolver); `results()` lists streams heard from within forgetAfterS. */
export class ContinuousResolver {
  private q?: Querier;
  private timer?: ReturnType<typeof setInterval>;

  constructor(
    private readonly query: string,
    private readonly forgetAfterS = 5,
    private readonly options: { config?: Partial<LslConfig>; log?: LslLog } = {},
  ) {}

  async start(): Promise<void> {
    const cfg = lslConfig(this.options.config);
    this.q = new Querier(cfg, this.query, this.options.log ?? (() => {}));
    await this.q.open();
    this.q.wave();
    this.timer = setInterval(() => this.q!.wave(), (cfg.continuousResolveIntervalS + cfg.multicastMinRttS) * 1000);
  }

  results(): StreamInfo[] {
    const now = lslClock();
    const out: StreamInfo[] = [];
    for (const [uid, d] of this.q?.found ?? []) {
      if (now - d.seenAtS > this.forgetAfterS) this.q!.found.delete(uid);
      else out.push(d.info);
    }
    return out;
  }

  close(): void {
    clearInterval(this.timer);
    this.q?.close();
  }
}
