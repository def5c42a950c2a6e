// Pairing state of this tab with the local bridge (`npm run neurotab -- bridge`) as a rune class:
// the offer read from `?bridge=<port>&token=<T>`, the connection state, and a relay counter.
// Main thread only. Thin: the socket and the relaying live in clients/bridge.ts. Never connects
// without the user's click (accept() / connect() are only called from buttons); once paired, it
// retries for about a minute when the bridge goes away (a bridge restarted with --token T re-pairs).
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
    this.cancelRetry();
    this.retries = 0;
    this.open(port, token, false);
  }

  private open(port: number, token: string, retrying: boolean): void {
    this.conn?.close();
    this.port = port;
    this.lastToken = token;
    if (!retrying) {
      this.detail = null;
      this.relayed = 0;
      this.lastRelay = null;
    }
    this.state = 'connecting';
    let conn: BridgeConnection | null = null;
    conn = connectBridge(port, token, {
      engineHost: () => app.engineHost,
      hostBridge: () => app.hostBridge(),
      onState: (s, detail) => {
        if (conn !== null && this.conn !== conn) return; // a newer connection replaced this one
        if (s === 'paired') {
          this.retries = 0;
          this.state = s;
          this.detail = null;
          app.notify('info', `Paired with the local bridge on port ${port}: programs on this computer can now use the API through this tab.`);
          return;
        }
        // The bridge went away (restarted, Ctrl+C) after pairing, or a retry failed: try again
        // for a while with the same token (a bridge restarted with --token T pairs again).
        const lost = (s === 'closed' && detail !== undefined && (this.state === 'paired' || retrying)) || (s === 'error' && retrying);
        if (lost && this.retries < BridgeState.MAX_RETRIES) {
          this.state = 'connecting';
          this.detail = `The bridge on port ${port} went away; reconnecting (attempt ${this.retries + 1} of ${BridgeState.MAX_RETRIES})…`;
          this.scheduleRetry(port, token);
          return;
        }
        this.state = s;
        this.detail = detail ?? null;
        if (s === 'error' && detail) app.notify('error', retrying ? `Lost the local bridge on port ${port} and could not pair again; start it again and pair from the API page.` : detail);
      },
      onRelay: (count, last) => {
        this.relayed += count;
        this.lastRelay = last;
      },
    });
    this.conn = conn;
  }

  private static readonly MAX_RETRIES = 30;
  private static readonly RETRY_MS = 2000;
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  private scheduleRetry(port: number, token: string): void {
    this.cancelRetry();
    this.retries++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.open(port, token, true);
    }, BridgeState.RETRY_MS);
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** Reconnects with the last port and token (after the bridge restarted). */
  reconnect(): void {
    if (this.port !== null && this.lastToken !== null) this.connect(this.port, this.lastToken);
  }

  get canReconnect(): boolean {
    return this.port !== null && this.lastToken !== null && (this.state === 'closed' || this.state === 'error');
  }

  disconnect(): void {
    const waiting = this.retryTimer !== null;
    this.cancelRetry();
    this.retries = 0;
    if (waiting) {
      // Between two reconnection attempts: the last socket is already closed.
      this.conn = null;
      this.state = 'closed';
      this.detail = null;
      return;
    }
    this.conn?.close();
  }
}

export const bridge = new BridgeState();
