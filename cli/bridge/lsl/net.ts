// Socket helpers shared by the LSL outlet, inlet and resolver: ports bound from liblsl's range,
// the machine's IPv4 interfaces (where multicast is joined and sent), a throttled log for things
// peers can make us say over and over. Node only (node:dgram, node:net, node:os).
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { LslConfig, LslLog } from './config';

/** The IPv4 address of every interface that is up (loopback included: liblsl joins its groups on lo too). */
export function ipv4InterfaceAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4') out.push(a.address);
  return out;
}

function candidates(cfg: LslConfig): number[] {
  const ports = Array.from({ length: cfg.portRange }, (_, k) => cfg.basePort + k);
  if (cfg.allowRandomPorts) ports.push(0);
  return ports;
}

function rangeError(cfg: LslConfig, what: string): Error {
  return new Error(
    `all ${cfg.portRange} ${what} ports from ${cfg.basePort} are taken${cfg.allowRandomPorts ? '' : ' and random ports are off'}: close other LSL outlets on this machine or widen the port range`,
  );
}

/** A TCP server listening on the first free port of liblsl's range (then any port, as liblsl). */
export async function listenInRange(server: Server, cfg: LslConfig, host: string): Promise<number> {
  for (const port of candidates(cfg)) {
    const ok = await new Promise<boolean>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) => {
        server.off('listening', onListening);
        if (e.code === 'EADDRINUSE' || e.code === 'EACCES') resolve(false);
        else reject(e);
      };
      const onListening = () => {
        server.off('error', onError);
        resolve(true);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen({ port, host, exclusive: true, backlog: 10 });
    });
    if (ok) return (server.address() as { port: number }).port;
  }
  throw rangeError(cfg, 'TCP');
}

/** A UDP socket bound to the first free port of liblsl's range (then any port). */
export async function udpInRange(cfg: LslConfig, host: string): Promise<{ socket: UdpSocket; port: number }> {
  for (const port of candidates(cfg)) {
    const socket = createSocket({ type: 'udp4' });
    const ok = await new Promise<boolean>((resolve, reject) => {
      socket.once('error', (e: NodeJS.ErrnoException) => {
        socket.close();
        if (e.code === 'EADDRINUSE' || e.code === 'EACCES') resolve(false);
        else reject(e);
      });
      socket.bind({ port, address: host, exclusive: true }, () => resolve(true));
    });
    if (ok) {
      socket.removeAllListeners('error');
      return { socket, port: socket.address().port };
    }
  }
  throw rangeError(cfg, 'UDP');
}

/**
 * A log that says each kind of line at most once per `intervalMs` (with a count of the ones it
 * held back), so a flood of garbage from one peer cannot flood the bridge's output.
 */
export function throttledLog(log: LslLog, intervalMs = 10_000): (kind: string, line: string) => void {
  const last = new Map<string, { at: number; held: number }>();
  return (kind, line) => {
    const now = Date.now();
    const s = last.get(kind);
    if (s && now - s.at < intervalMs) {
      s.held++;
      return;
    }
    log(s?.held ? `${line} (and ${s.held} more like it)` : line);
    last.set(kind, { at: now, held: 0 });
    if (last.size > 1000) last.clear();
  };
}
