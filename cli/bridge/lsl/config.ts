// LSL settings: liblsl 1.16's defaults (src/api_config.cpp, used when no lsl_api.cfg exists), the
// protocol constants, and the LSL clock. Node only (the clock is process.hrtime). Pure otherwise.
//
// Discovery with ResolveScope "site" (liblsl's default) queries 127.0.0.1 (machine), 255.255.255.255,
// 224.0.0.1, 224.0.0.183 (link) and 239.255.172.215 (site) on the multicast port 16571, TTL 24.
// liblsl also uses IPv6 groups FF02:/FF05:113D:6FDD:2C17:A643:FFE2:1BD1:3CD2; we speak IPv4 only
// (see docs/lsl.md: liblsl's own IPv6 responders cannot join on a loopback-only host, and its inlets
// prefer IPv4 when a stream offers both).

/** The data protocol we speak (1.10) and fall back to (1.00), as liblsl numbers them. */
export const LSL_PROTOCOL_VERSION = 110;
export const LSL_PROTOCOL_VERSION_100 = 100;
/** liblsl's deduced-timestamp marker (LSL_DEDUCED_TIMESTAMP). */
export const DEDUCED_TIMESTAMP = -1;

export interface LslConfig {
  multicastPort: number;
  /** Data (TCP) and service (UDP) ports are the first free ones from basePort, portRange of them. */
  basePort: number;
  portRange: number;
  /** Fall back to an OS-chosen port when the range is full (liblsl AllowRandomPorts). */
  allowRandomPorts: boolean;
  sessionId: string;
  /** Unicast, broadcast and multicast addresses a query goes to (ResolveScope site). */
  queryAddresses: string[];
  multicastTtl: number;
  /** Seconds between resolve waves in a one-shot resolve (MulticastMinRTT). */
  multicastMinRttS: number;
  /** How long one wave's replies are awaited (MulticastMaxRTT). */
  multicastMaxRttS: number;
  /** Extra pause between waves of a continuous resolver (ContinuousResolveInterval). */
  continuousResolveIntervalS: number;
  timeUpdateIntervalS: number;
  timeUpdateMinProbes: number;
  timeProbeCount: number;
  timeProbeIntervalS: number;
  timeProbeMaxRttS: number;
  /** An inlet that received nothing for this long checks whether its stream moved (WatchdogTimeThreshold). */
  watchdogTimeThresholdS: number;
  watchdogCheckIntervalS: number;
  /** Highest data protocol this side offers (110; 100 forces the 1.00 portable-archive format). */
  protocolVersion: number;
}

export const LSL_DEFAULTS: Readonly<LslConfig> = Object.freeze({
  multicastPort: 16571,
  basePort: 16572,
  portRange: 32,
  allowRandomPorts: true,
  sessionId: 'default',
  queryAddresses: ['127.0.0.1', '255.255.255.255', '224.0.0.1', '224.0.0.183', '239.255.172.215'],
  multicastTtl: 24,
  multicastMinRttS: 0.5,
  multicastMaxRttS: 3.0,
  continuousResolveIntervalS: 0.5,
  timeUpdateIntervalS: 2.0,
  timeUpdateMinProbes: 6,
  timeProbeCount: 8,
  timeProbeIntervalS: 0.064,
  timeProbeMaxRttS: 0.128,
  watchdogTimeThresholdS: 15,
  watchdogCheckIntervalS: 15,
  protocolVersion: LSL_PROTOCOL_VERSION,
});

export function lslConfig(overrides: Partial<LslConfig> = {}): LslConfig {
  return { ...LSL_DEFAULTS, ...overrides, queryAddresses: [...(overrides.queryAddresses ?? LSL_DEFAULTS.queryAddresses)] };
}

/** The multicast groups among the query addresses (what a responder joins). */
export function multicastGroups(cfg: LslConfig): string[] {
  return cfg.queryAddresses.filter((a) => {
    const first = Number(a.split('.')[0]);
    return first >= 224 && first <= 239;
  });
}

/**
 * The LSL clock: seconds on the monotonic clock, liblsl's lsl_clock() (std::chrono::steady_clock,
 * CLOCK_MONOTONIC on Linux, the clock process.hrtime reads). Timestamps of LSL samples are on it.
 */
export function lslClock(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/**
 * Milliseconds on Neurotab's clock (performance.timeOrigin + performance.now()) of an LSL timestamp
 * on this machine's LSL clock. Add an inlet's time correction first for a stream from elsewhere.
 */
export function lslToAppMs(lslSeconds: number): number {
  return lslSeconds * 1000 + APP_MINUS_LSL_MS;
}

// Both clocks advance with the monotonic clock, so their difference is fixed for the process.
const APP_MINUS_LSL_MS = performance.timeOrigin + performance.now() - lslClock() * 1000;

/** A log line sink; every LSL object takes one (default: none). */
export type LslLog = (line: string) => void;
