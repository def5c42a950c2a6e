// Clock offsets between an inlet and its outlet, as liblsl's time_receiver computes them: every
// TimeUpdateInterval (2 s) a wave of TimeProbeCount (8) "LSL:timedata" probes 64 ms apart goes to
// the outlet's service port; TimeProbeMaxRTT + count × interval later, if at least
// TimeUpdateMinProbes (6) came back, the probe with the smallest round trip gives the estimate
// (NTP's rule). Node only (node:dgram); the arithmetic is pure (`estimateOffset`).
//
// For a probe sent at t0 (our clock), received at t1 and answered at t2 (the outlet's clock) and
// back at t3 (ours): rtt = (t3 − t0) − (t2 − t1), offset = ((t1 − t0) + (t2 − t3)) / 2 (theirs −
// ours). The time correction is −offset: add it to the outlet's timestamps to get ours.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { LslConfig, LslLog } from './config';
import { throttledLog } from './net';

export interface TimeCorrection {
  /** Seconds to add to the outlet's timestamps to put them on our LSL clock. */
  offsetS: number;
  /** Round trip of the probe it came from (the uncertainty, liblsl). */
  rttS: number;
  /** The outlet's clock at the middle of that probe. */
  remoteTimeS: number;
  /** Our clock at the middle of that probe. */
  localTimeS: number;
}

export interface ProbeReply {
  t0: number;
  t1: number;
  t2: number;
  t3: number;
}

/** The estimate from one wave's replies, or null with fewer than `minProbes`. */
export function estimateOffset(replies: ProbeReply[], minProbes: number): TimeCorrection | null {
  if (replies.length < minProbes || replies.length === 0) return null;
  let best: TimeCorrection | null = null;
  for (const { t0, t1, t2, t3 } of replies) {
    const rtt = t3 - t0 - (t2 - t1);
    if (best && rtt >= best.rttS) continue;
    best = { offsetS: -((t1 - t0 + (t2 - t3)) / 2), rttS: rtt, remoteTimeS: (t2 + t1) / 2, localTimeS: (t3 + t0) / 2 };
  }
  return best;
}

/** Probes an outlet's time service and reports each new estimate. */
export class TimeProber {
  private socket?: UdpSocket;
  private wave = 0;
  private replies: ProbeReply[] = [];
  private timers: ReturnType<typeof setTimeout>[] = [];
  private interval?: ReturnType<typeof setInterval>;
  private readonly warn: (kind: string, line: string) => void;
  latest: TimeCorrection | null = null;

  constructor(
    private target: { address: string; port: number },
    private readonly cfg: LslConfig,
    private readonly clock: () => number,
    private readonly onEstimate: (c: TimeCorrection) => void,
    log: LslLog,
  ) {
    this.warn = throttledLog(log);
  }

  start(): void {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('error', (e) => this.warn('socket', `LSL: time probe socket error: ${e.message}`));
    socket.on('message', (m) => this.reply(m.toString('latin1')));
    socket.bind(0, () => {
      this.estimate();
      this.interval = setInterval(() => this.estimate(), this.cfg.timeUpdateIntervalS * 1000);
    });
  }

  /** Point at a recovered outlet; the next wave probes it. */
  retarget(target: { address: string; port: number }): void {
    this.target = target;
    this.latest = null;
  }

  private estimate(): void {
    this.wave = Math.floor(Math.random() * 2 ** 31);
    this.replies = [];
    const wave = this.wave;
    for (let k = 0; k < this.cfg.timeProbeCount; k++) {
      this.timers.push(
        setTimeout(() => {
          this.socket?.send(`LSL:timedata\r\n${wave} ${this.clock()}\r\n`, this.target.port, this.target.address, (e) => e && this.warn('send', `LSL: cannot send a time probe to ${this.target.address}:${this.target.port}: ${e.message}`));
        }, k * this.cfg.timeProbeIntervalS * 1000),
      );
    }
    this.timers.push(
      setTimeout(() => {
        this.timers = [];
        const c = wave === this.wave ? estimateOffset(this.replies, this.cfg.timeUpdateMinProbes) : null;
        if (c) {
          this.latest = c;
          this.onEstimate(c);
        }
      }, (this.cfg.timeProbeMaxRttS + this.cfg.timeProbeIntervalS * this.cfg.timeProbeCount) * 1000),
    );
  }

  private reply(text: string): void {
    const t3 = this.clock();
    const parts = text.trim().split(/\s+/).map(Number);
    if (parts.length < 4 || !parts.every(Number.isFinite)) {
      this.warn('bad-reply', `LSL: ignored a malformed time reply "${text.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}"`);
      return;
    }
    const [wave, t0, t1, t2] = parts;
    if (wave !== this.wave) return;
    this.replies.push({ t0, t1, t2, t3 });
  }

  close(): void {
    clearInterval(this.interval);
    for (const t of this.timers) clearTimeout(t);
    try {
      this.socket?.close();
    } catch {
      /* closed */
    }
  }
}
