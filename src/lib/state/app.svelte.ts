// App-wide state as a rune class: isolation, service worker, updates, storage, notices.
// Main thread only. Thin: logic lives in clients/ and storage/.
import { applyUpdate, currentIsolation, setupServiceWorker, type SwStatus } from '../clients/service-worker';
import { openDb } from '../storage/db';
import { recoverOpenRecordings } from '../storage/recordings';
import { removeFailedImports } from '../storage/library';
import { IMPORT_LOCK, recordingLockName } from '../core/locks';
import { becomeEngineHost } from '../clients/engine-host';
import { bridgeThroughWorker, type BridgeOpener } from '../clients/bridge';
import { apiDevices, serveApiDevices } from '../clients/api-devices';
import type { StreamDescriptor } from '../core/stream';
import { connectPort, rpcProxy } from '../core/rpc';
import type { LslDeviceSeam } from '../clients/lsl-device';

export interface Notice {
  id: number;
  kind: 'info' | 'warning' | 'error';
  text: string;
}

class AppState {
  sw = $state<SwStatus>({ supported: false, controlled: false, isolated: false, updateWaiting: false });
  capabilities = $state(currentIsolation());
  online = $state(typeof navigator === 'undefined' ? true : navigator.onLine);
  storage = $state<{ usageBytes: number; quotaBytes: number; persisted: boolean } | null>(null);
  notices = $state<Notice[]>([]);
  recovered = $state<string[]>([]);
  /** This tab runs the engine behind the REST API (one tab per browser at a time). */
  engineHost = $state(false);
  private apiWorker: Worker | null = null;
  private lslSeam: LslDeviceSeam | null = null;
  private liveStreams: Array<{ descriptor: StreamDescriptor; buffer: SharedArrayBuffer }> = [];
  private nextNotice = 1;
  private started = false;

  /** Degraded: the page runs without SharedArrayBuffer (transferable-buffer fallback). */
  get degraded(): boolean {
    return !this.capabilities.isolated || !this.capabilities.sharedArrayBuffer;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    addEventListener('online', () => (this.online = true));
    addEventListener('offline', () => (this.online = false));
    // Registration can stall (e.g. an update check right after a hard reload): nothing waits on it.
    this.sw = { ...this.sw, supported: 'serviceWorker' in navigator, controlled: !!navigator.serviceWorker?.controller, isolated: crossOriginIsolated };
    void setupServiceWorker((s) => (this.sw = s)).then((s) => (this.sw = s));
    const host = becomeEngineHost((port) => {
      if (!this.apiWorker) {
        this.apiWorker = new Worker(new URL('../../../workers/api-engine.worker.ts', import.meta.url), { type: 'module', name: 'neurotab-api-engine' });
        this.apiWorker.postMessage({ type: 'streams', streams: this.liveStreams });
        // The /exphub family trains in its own worker, reached from the API engine through a port. It
        // loads TensorFlow.js, so it starts on the API engine's first /exphub call, not with the page.
        const api = this.apiWorker;
        const startTrainer = (ev: MessageEvent) => {
          if (ev.data?.type !== 'exphub-wanted') return;
          api.removeEventListener('message', startTrainer);
          const train = new Worker(new URL('../../../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'neurotab-api-train' });
          train.postMessage({ type: 'init' });
          const link = new MessageChannel();
          train.postMessage({ type: 'serve-exphub' }, [link.port1]);
          api.postMessage({ type: 'exphub-port' }, [link.port2]);
        };
        api.addEventListener('message', startTrainer);
        // The device seam (NeuraScale, Instinct system endpoints): devices live on this page.
        const devices = new MessageChannel();
        serveApiDevices(devices.port1);
        this.apiWorker.postMessage({ type: 'devices-port' }, [devices.port2]);
      }
      this.apiWorker.postMessage({ type: 'serve' }, [port]);
    });
    void host.hosting.then(() => (this.engineHost = true));
    await this.recover();
    await this.refreshStorage();
  }

  /** Closes recordings whose tab died mid-recording (nobody holds their Web Lock any more). */
  async recover(): Promise<void> {
    try {
      const failed = 'locks' in navigator
        ? await navigator.locks.request(IMPORT_LOCK, { ifAvailable: true }, async (lock) => (lock ? removeFailedImports(openDb()) : 0))
        : await removeFailedImports(openDb());
      if (failed) this.notify('info', `${failed} import${failed === 1 ? ' was' : 's were'} interrupted when a tab closed and ${failed === 1 ? 'was' : 'were'} removed; import the file again.`);
      const ids = await recoverOpenRecordings(openDb(), async (id) => {
        if (!('locks' in navigator)) return true;
        return navigator.locks.request(recordingLockName(id), { ifAvailable: true }, async (lock) => lock !== null);
      });
      if (ids.length) {
        this.recovered = ids;
        this.notify('warning', `${ids.length === 1 ? 'A recording was' : `${ids.length} recordings were`} interrupted when a tab closed. Everything up to the last saved second was kept and marked "recovered".`);
      }
    } catch (e) {
      this.notify('error', `Could not check for interrupted recordings: ${(e as Error).message}`);
    }
  }

  /**
   * Opens bridge connections in this tab's API engine worker, which answers relayed requests with
   * the REST API itself (no main-thread or service-worker hop) — only while this tab hosts the
   * engine (null otherwise: the bridge then goes through the service worker).
   */
  hostBridge(): BridgeOpener | null {
    return this.engineHost && this.apiWorker ? bridgeThroughWorker(this.apiWorker) : null;
  }

  async refreshStorage(): Promise<void> {
    if (!navigator.storage?.estimate) return;
    const est = await navigator.storage.estimate();
    const persisted = (await navigator.storage.persisted?.()) ?? false;
    this.storage = { usageBytes: est.usage ?? 0, quotaBytes: est.quota ?? 0, persisted };
  }

  async requestPersistence(): Promise<void> {
    const ok = (await navigator.storage?.persist?.()) ?? false;
    if (!ok) this.notify('info', 'The browser did not grant persistent storage; recordings may be evicted when the disk is nearly full. Export important ones.');
    await this.refreshStorage();
  }

  /**
   * The LSL streams connected in the API engine worker, which holds the bridge socket (connect,
   * ring, disconnect), for the Devices page; null until this tab hosts the engine.
   */
  lslDevices(): LslDeviceSeam | null {
    if (!this.apiWorker) return null;
    if (!this.lslSeam) {
      const link = new MessageChannel();
      this.apiWorker.postMessage({ type: 'lsl-devices-port' }, [link.port2]);
      // Connecting waits for the stream's answer through the bridge (up to its resolve timeout).
      this.lslSeam = rpcProxy<LslDeviceSeam>(connectPort(link.port1, { timeoutMs: 30_000 }));
    }
    return this.lslSeam;
  }

  /**
   * Tells the API's engine which live streams exist (the app's one acquisition: its primary stream
   * and side streams), so NeuroPype executions (LSLInput / stream input nodes) read them. Only the
   * engine-host tab runs that engine.
   */
  publishStreams(streams: Array<{ descriptor: StreamDescriptor; buffer: SharedArrayBuffer }>): void {
    this.liveStreams = streams;
    this.apiWorker?.postMessage({ type: 'streams', streams });
    // NeuraScale and Instinct list the primary stream as device app-live.
    apiDevices().setAppStream(streams[0] ?? null);
  }

  notify(kind: Notice['kind'], text: string): void {
    if (this.notices.some((n) => n.kind === kind && n.text === text)) return; // the same message once
    const id = this.nextNotice++;
    this.notices = [...this.notices, { id, kind, text }];
    // Information goes away by itself; warnings and errors stay until dismissed.
    if (kind === 'info') setTimeout(() => this.dismiss(id), 8000);
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }

  update(): Promise<void> {
    return applyUpdate();
  }
}

export const app = new AppState();
