// Instinct's WebSocket sinks (API.md §9.5) on the engine host: each running `io.websocket-sink`
// node gets a publisher for its port; every chunk goes, as one JSON message, to
// BroadcastChannel("instinct:<port>") and to every live client of `/instinct/_sinks/<port>` (page
// shim, SSE, bridge). Runs where the streams run. Must never wait for a client: one whose backlog
// passes SINK_MAX_BACKLOG is dropped with a close reason, and the engine goes on.

import type { SinkChunk, SinkPublisher } from '../engine/nodes/sinks';
import type { LiveSocket, LiveSocketHandler } from './live';

/** A sink client with more than this queued (liveSize units ≈ bytes of JSON) is dropped. */
export const SINK_MAX_BACKLOG = 1 << 20;
/** WebSocket close code for a dropped slow client (private range; browsers accept it). */
export const SINK_DROPPED_CODE = 4008;

export interface SinkHubOptions {
  /** Posts to BroadcastChannel("instinct:<port>"); default a channel per port (none where BroadcastChannel is missing). */
  broadcast?: (port: number, message: unknown) => void;
  maxBacklog?: number;
}

/** The live path of a sink port. */
export const sinkPath = (port: number) => `/instinct/_sinks/${port}`;

interface PortState {
  publishers: number;
  clients: Set<LiveSocket>;
  channel: BroadcastChannel | null;
}

export class SinkHub {
  private readonly ports = new Map<number, PortState>();
  private readonly listeners = new Set<(ports: number[]) => void>();
  private readonly maxBacklog: number;
  private readonly broadcast?: (port: number, message: unknown) => void;

  constructor(opts: SinkHubOptions = {}) {
    this.maxBacklog = opts.maxBacklog ?? SINK_MAX_BACKLOG;
    this.broadcast = opts.broadcast;
  }

  /** Ports with a running sink, ascending. */
  activePorts(): number[] {
    return [...this.ports.keys()].sort((a, b) => a - b);
  }

  /** Called with the active ports whenever they change (the bridge opens or closes its sink servers). */
  onPortsChanged(fn: (ports: number[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** A publisher for one sink node; `release()` when the node stops (its clients are closed once no sink uses the port). */
  publisher(port: number, streamId: string, nodeId: string): SinkPublisher & { release(): void } {
    let st = this.ports.get(port);
    if (!st) {
      const channel = !this.broadcast && typeof BroadcastChannel === 'function' ? new BroadcastChannel(`instinct:${port}`) : null;
      this.ports.set(port, (st = { publishers: 0, clients: new Set(), channel }));
      this.changed();
    }
    st.publishers++;
    const state = st;
    let released = false;
    return {
      publish: (chunk: SinkChunk) => {
        if (released) return;
        const message = { nodeId, streamId, port, ...chunk };
        if (this.broadcast) this.broadcast(port, message);
        else state.channel?.postMessage(message);
        if (!state.clients.size) return;
        const text = JSON.stringify(message);
        for (const socket of state.clients) {
          if (socket.bufferedBytes > this.maxBacklog) {
            state.clients.delete(socket);
            socket.close(SINK_DROPPED_CODE, `dropped: the client stopped reading (more than ${this.maxBacklog} bytes queued); reconnect to resume`);
          } else socket.send(text);
        }
      },
      release: () => {
        if (released) return;
        released = true;
        if (--state.publishers > 0) return;
        this.ports.delete(port);
        state.channel?.close();
        for (const socket of [...state.clients]) socket.close(1001, `the sink on port ${port} stopped`);
        state.clients.clear();
        this.changed();
      },
    };
  }

  /** The live endpoint of a port, while a sink runs there (the transports answer 404 otherwise). */
  handler(port: number): LiveSocketHandler | undefined {
    const st = this.ports.get(port);
    if (!st) return undefined;
    return {
      open: (socket) => void st.clients.add(socket),
      message: () => {}, // sinks only speak
      close: (socket) => void st.clients.delete(socket),
    };
  }

  private changed(): void {
    const ports = this.activePorts();
    for (const fn of this.listeners) fn(ports);
  }
}
