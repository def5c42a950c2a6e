// Pairing state of this tab with the local bridge (`npm run neurotab -- bridge`) as a rune class:
// the offer read from `?bridge=<port>&token=<T>`, the connection state, and a relay counter.
// Main thread only. Thin: the socket and the relaying live in clients/bridge.ts. Never connects
// without the user's click (accept() / connect() are only called from buttons).
import { connectBridge, parseBridgePort, type BridgeConnection, type BridgeConnectionState } from '../clients/bridge';
import { app } from './app.svelte';

export type BridgeUiState = 'idle' | BridgeConnectionState;

export interface BridgeOffer {
  port: number;
  token: string;
}

class BridgeState {
  /** A pairing offered by the URL, waiting for the user's click. */
  offer = $state<BridgeOffer | null>(null);
  state = $state<BridgeUiState>('idle');
  port = $state<number | null>(null);
  /** Why the last attempt failed or the socket closed. */
  detail = $state<string | null>(null);
  relayed = $state(0);
  lastRelay = $state<{ method: string; path: string; status: number } | null>(null);
  private conn: BridgeConnection | null = null;
  private lastToken: string | null = null;

  /** Reads `?bridge=<port>&token=<T>`; returns true when the URL offered a pairing. */
  readOffer(url: URL): boolean {
    const port = parseBridgePort(url.searchParams.get('bridge'));
    const token = url.searchParams.get('token');
    if (port === null || !token) return false;
    this.offer = { port, token };
    return true;
  }

  accept(): void {
    const o = this.offer;
    this.offer = null;
    if (o) this.connect(o.port, o.token);
  }

  decline(): void {
    this.offer = null;
  }

  connect(port: number, token: string): void {
    this.conn?.close();
    this.port = port;
    this.lastToken = token;
    this.detail = null;
    this.relayed = 0;
    this.lastRelay = null;
    this.state = 'connecting';
    let conn: BridgeConnection | null = null;
    conn = connectBridge(port, token, {
      engineHost: () => app.engineHost,
      onState: (s, detail) => {
        if (conn !== null && this.conn !== conn) return; // a newer connection replaced this one
        this.state = s;
        this.detail = detail ?? null;
        if (s === 'paired') app.notify('info', `Paired with the local bridge on port ${port}: programs on this computer can now use the API through this tab.`);
        if (s === 'error' && detail) app.notify('error', detail);
      },
      onRelay: (method, path, status) => {
        this.relayed++;
        this.lastRelay = { method, path, status };
      },
    });
    this.conn = conn;
  }

  /** Reconnects with the last port and token (after the bridge restarted). */
  reconnect(): void {
    if (this.port !== null && this.lastToken !== null) this.connect(this.port, this.lastToken);
  }

  get canReconnect(): boolean {
    return this.port !== null && this.lastToken !== null && (this.state === 'closed' || this.state === 'error');
  }

  disconnect(): void {
    this.conn?.close();
  }
}

export const bridge = new BridgeState();
